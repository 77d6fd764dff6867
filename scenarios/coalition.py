"""Scenario `coalition`: who accepts the plan, who is pivotal, which points break the deal, what to amend.

Wires model/coalition.py (spatial utilities, random-utility acceptance, veto stages, Friedkin-Johnsen influence,
zone of possible agreement, deal-breakers, amendment search) to the config block `coalition:`:

* `dimensions`: the plan's issue dimensions, each on a 0..1 scale with named anchors;
* `actors`: ideal point and salience per dimension (mappings dim -> number; saliences are renormalised to sum
  1 per actor), capability, cost of no deal (utility units), beliefs over the no-deal outcomes, veto flag;
* `no_deal`: the possible states of the world if there is no deal, each a position per dimension, with a
  default probability (used for actors without their own `beliefs`);
* `stages`: ordered ratification stages (every member is a veto player; Tsebelis 2002, Putnam 1988);
* `influence`: who leans on whom (edges `leaner` -> `leaned_on`), self weight, susceptibility (Friedkin & Johnsen 1999);
* `plan`: the plan's position per dimension (numbers or distributions), `negotiable` dimensions for
  `accord amend`, `sigma` (acceptance noise), `rho` (common shock correlation of the decisions).

Per trial: ideal points move to the Friedkin-Johnsen equilibrium, reservation values R_i = sum_j q_ij U_i(z_j)
- c_i are computed from the moved ideal points, then P(accept_i) = logistic((U_i(plan) - R_i) / sigma)
(McFadden 1974) and P(adopted) through the ordered stages with a one-factor common shock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import Field, model_validator

from model import coalition as M
from model import params as P
from model.stats import ByCategory, OneHot
from scenarios import plots
from scenarios import world as W
from scenarios.config import Block, Config, ConfigBase, ConfigError, Param
from scenarios.engine import Draws, Summaries
from scenarios.results import Headline, Report, Result, Table

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "coalition"
SUMMARY = "who accepts the plan: acceptance per actor and stage, P(adopted), pivotal actors, deal-breakers, ZOPA"

NO_SINGLE_MOVE = "(no single-dimension move suffices)"
Position = Param(0, 1, "issue scale 0-1", "position on the dimension")


# ------------------------------------------------------------------------------------------- config


class Anchor(Block):
    at: float = Field(ge=0, le=1, description="point on the 0-1 scale")
    means: str = Field(description="what a plan at this point says")


class Dimension(Block):
    name: str
    doc: str = ""
    anchors: tuple[Anchor, ...] = ()
    source: str = ""


class Actor(Block):
    name: str
    label: str = ""
    ideal: dict[str, Position] = Field(description="ideal point per dimension (every dimension)")
    salience: dict[str, Param(0, 1, "weight", "salience of the dimension; renormalised to sum 1 per actor")]
    capability: Param(0, 1000, "relative weight", "capability (influence drawing and forecasts)") = 1.0
    cost: Param(0, 5, "utility units", "extra expected cost of no deal to the actor (c_i)") = 0.0
    beliefs: dict[str, Param(0, 1, "probability", "belief in a no-deal outcome")] | None = None
    veto: bool = Field(False, description="veto player: must be a member of some stage, and every stage member is one")
    source: str = ""


class NoDealOutcome(Block):
    name: str
    doc: str = ""
    probability: Param(0, 1, "probability", "default belief in this outcome (actors without beliefs)")
    position: dict[str, Position]
    source: str = ""


class Stage(Block):
    name: str
    actors: tuple[str, ...]
    source: str = ""


class Edge(Block):
    leaner: str = Field(description="the actor who leans on (presses) the other")
    leaned_on: str = Field(description="the actor leaned on, who gives weight to the leaner's position")
    weight: Param(0, 100, "relative weight", "weight the leaned-on actor gives to the leaner's position")
    source: str = ""


class InfluenceBlock(Block):
    edges: tuple[Edge, ...] = ()
    self_weight: Param(0, 100, "relative weight", "weight each actor gives its own position") = 1.0
    susceptibility: dict[str, Param(0, 1, "share", "Friedkin-Johnsen susceptibility lambda_i")] = Field(
        default_factory=dict)
    default_susceptibility: Param(0, 1, "share", "susceptibility of actors not listed") = 0.0
    rounds: int | None = Field(None, ge=0, le=10_000, description="influence rounds; none = the equilibrium")
    source: str = ""


class CoalitionBlock(Block):
    dimensions: tuple[Dimension, ...] = Field(min_length=1)
    actors: tuple[Actor, ...] = Field(min_length=1)
    no_deal: tuple[NoDealOutcome, ...] = Field(min_length=1)
    stages: tuple[Stage, ...] = Field(min_length=1)
    influence: InfluenceBlock = InfluenceBlock()
    plan: dict[str, Position] | None = Field(
        None, description="the plan's position per dimension (every dimension); in a settlement it is mapped from "
                          "the plan's `terms` instead (model/terms.py)")
    negotiable: tuple[str, ...] = Field((), description="dimensions `accord amend` may change")
    sigma: Param(0.001, 1, "utility units", "acceptance noise: scale of the logistic") = 0.05
    rho: Param(0, 1, "correlation", "common shock correlation of the actors' decisions") = 0.0
    loss_power: float = Field(2.0, gt=0, le=4, description="p of the loss |x - x*|^p (1 linear, 2 quadratic)")

    @model_validator(mode="after")
    def _consistent(self) -> CoalitionBlock:
        dims = [d.name for d in self.dimensions]
        actors = [a.name for a in self.actors]
        outcomes = [o.name for o in self.no_deal]
        for what, names in (("dimension", dims), ("actor", actors), ("no_deal outcome", outcomes),
                            ("stage", [s.name for s in self.stages])):
            dup = sorted({x for x in names if names.count(x) > 1})
            if dup:
                raise ValueError(f"duplicate {what} name(s): {', '.join(dup)}")

        def check_keys(keys, allowed, where, complete):
            bad = [k for k in keys if k not in allowed]
            if bad:
                raise ValueError(f"{where}: unknown name(s) {', '.join(bad)}; allowed: {', '.join(allowed)}")
            missing = [k for k in allowed if k not in keys]
            if complete and missing:
                raise ValueError(f"{where}: missing {', '.join(missing)} (every one of {', '.join(allowed)} is needed)")

        if self.plan is not None:
            check_keys(self.plan, dims, "plan", True)
        check_keys(self.negotiable, dims, "negotiable", False)
        for o in self.no_deal:
            check_keys(o.position, dims, f"no_deal.{o.name}.position", True)
        in_stage = {a for s in self.stages for a in s.actors}
        for s in self.stages:
            check_keys(s.actors, actors, f"stages.{s.name}.actors", False)
        for a in self.actors:
            check_keys(a.ideal, dims, f"actors.{a.name}.ideal", True)
            check_keys(a.salience, dims, f"actors.{a.name}.salience", False)
            if a.beliefs is not None:
                check_keys(a.beliefs, outcomes, f"actors.{a.name}.beliefs", True)
            if a.veto != (a.name in in_stage):
                raise ValueError(
                    f"actors.{a.name}.veto is {str(a.veto).lower()} but the actor is "
                    f"{'in' if a.name in in_stage else 'in no'} stage; veto players are exactly the stage members"
                )
        for e in self.influence.edges:
            check_keys((e.leaner, e.leaned_on), actors, "influence.edges", False)
        check_keys(self.influence.susceptibility, actors, "influence.susceptibility", False)
        return self


# The world view's forces and guarantee blocks: imported here, after CoalitionBlock, because the world views of
# scenarios/forces.py and scenarios/guarantees.py need CoalitionBlock (any of the three may be imported first).
from scenarios import forces as F
from scenarios import guarantees as G


class Schema(ConfigBase):
    """A coalition config: the block alone (with its `plan`), or a view of a settlement's world (a config that
    extends one and sets `scenario: coalition`): then the plan is mapped from the world's `terms` and no deal
    is the war going on under its war model (scenarios/world.py)."""

    coalition: CoalitionBlock
    terms: W.TermsBlock | None = None
    war: W.WarBlock | None = None
    forces: F.ForcesBlock | None = None
    cession: F.CessionBlock | None = None
    guarantee: G.GuaranteeBlock | None = None
    guarantees: tuple[G.Guarantor, ...] = ()
    settlement: W.SettlementBlock | None = None

    @model_validator(mode="after")
    def _has_plan(self) -> Schema:
        if self.coalition.plan is None and self.terms is None:
            raise ValueError("coalition.plan is required (the plan's position on every dimension), or the world's "
                             "`terms` to map it from")
        if self.terms is not None and (self.war is None or self.forces is None):
            raise ValueError("a world's `terms` need its `war` and `forces` blocks (extend the settlement config)")
        return self


def check(config: Config) -> None:
    """A view of a world: one draw per real-world quantity (scenarios.world.check_world)."""
    if getattr(config.model, "terms", None) is not None:
        W.check_world(config)


# ------------------------------------------------------------------------------------------- arrays


def _array(values: list, shape: tuple[int, ...], n: int) -> np.ndarray:
    """Drawn values (floats or (n,) arrays) in row-major order -> shape, or (n, *shape) if any varies."""
    fixed = [not isinstance(v, np.ndarray) for v in values]  # a drawn parameter is an (n,) array
    if all(fixed):
        return np.array([float(v) for v in values]).reshape(shape)
    if len(shape) == 1:
        # a vector per trial: built entry-major and returned transposed ((n, J), Fortran-ordered, same
        # values), so each entry's column is contiguous for the actor-major model code
        rows = np.empty((len(values), n))
        for j, v in enumerate(values):
            rows[j] = v
        return rows.T
    # fill the fixed values as one broadcast row, then write only the columns that vary
    out = np.empty((n, len(values)))
    out[:] = [float(v) if f else 0.0 for v, f in zip(values, fixed)]
    for j, (v, f) in enumerate(zip(values, fixed)):
        if not f:
            out[:, j] = v
    return out.reshape((n, *shape))


@dataclass(frozen=True)
class CoalitionArrays:
    """The coalition block as arrays for one chunk (trial axis only where something is uncertain).

    plan (K,) or (n, K); ideal, salience (A, K) or (n, A, K) (ideal after influence); reservation (A,) or
    (n, A); sigma scalar or (n, 1); rho scalar or (n,); weights (A, A) or (n, A, A); stages: actor indices.
    """

    dims: tuple[str, ...]
    actors: tuple[str, ...]
    plan: np.ndarray
    ideal_before: np.ndarray
    ideal: np.ndarray
    salience: np.ndarray
    reservation: np.ndarray
    sigma: np.ndarray | float
    rho: np.ndarray | float
    weights: np.ndarray
    susceptibility: np.ndarray
    stages: tuple[tuple[int, ...], ...]
    veto: np.ndarray
    loss_power: float


@dataclass(frozen=True)
class WarReservation:
    """No deal as the war going on over the settlement's horizon, under the one war model (MODELS.md section
    0): what the reservation values read instead of the config's no-deal outcomes and beliefs.

    dimension: the territory dimension; m1, m2: (n,) the discounted means over the horizon of E[position] and
    E[position^2] of that dimension (model.terms.position_moments year by year); the other dimensions keep
    the config's single no-deal state. side_cost: actor -> its side's cost of a season of war in stake
    shares ((n,) or scalar), for the actors who fight it; their utility cost is side_cost times the utility
    the whole stake is worth to them (|U_i(0) - U_i(1)| on the territory dimension)."""

    dimension: str
    m1: np.ndarray
    m2: np.ndarray
    side_cost: dict[str, np.ndarray | float]


def war_reservation(ideal: np.ndarray, sal: np.ndarray, z: np.ndarray, cost: np.ndarray, dims: tuple[str, ...],
                    names: tuple[str, ...], world: WarReservation) -> np.ndarray:
    """R_i = E[U_i(no deal)] - c_i with the territory of the no-deal state uncertain (WarReservation), for the
    quadratic loss: E[(Z - a)^2] = (E Z - a)^2 + Var Z, so

        R_i = U_i(z with territory = m1) - s_i,terr (m2 - m1^2) - c_i.

    ideal, sal (A, K) or (n, A, K); z (K,) or (n, K) the no-deal state; cost (A,) or (n, A) (the config's);
    returns (n, A)."""
    n = len(world.m1)
    kt = dims.index(world.dimension)
    zt = np.array(np.broadcast_to(z, (n, len(dims))), dtype=float)
    zt[:, kt] = world.m1
    s_t = sal[..., kt]  # (A,) or (n, A)
    x_t = ideal[..., kt]
    reservation = M.utility(zt, ideal, sal, 2.0) - s_t * (world.m2 - world.m1 * world.m1)[:, None]
    cost = np.array(np.broadcast_to(cost, (n, len(names))), dtype=float)
    stake_utility = s_t * np.abs(1.0 - 2.0 * x_t)  # |U_i(territory 0) - U_i(territory 1)|, quadratic loss
    stake_utility = np.broadcast_to(stake_utility, (n, len(names)))
    for i, a in enumerate(names):
        if a in world.side_cost:
            cost[:, i] = np.asarray(world.side_cost[a], dtype=float) * stake_utility[:, i]
    return reservation - cost


def arrays(c: CoalitionBlock, draws: Draws, plan: dict[str, np.ndarray | float] | None = None,
           world: WarReservation | None = None) -> CoalitionArrays:
    """Draw the block into arrays, apply Friedkin-Johnsen influence and compute reservation values.

    plan: the plan's position per dimension when it is mapped from a settlement's terms (else the block's
    `plan`); world: no deal as the war going on (WarReservation; else the block's no-deal outcomes)."""
    n = draws.n
    dims = tuple(d.name for d in c.dimensions)
    names = tuple(a.name for a in c.actors)
    K, A, J = len(dims), len(names), len(c.no_deal)
    if plan is None:
        plan = {k: draws[c.plan[k]] for k in dims}
    plan = _array([plan[k] for k in dims], (K,), n)
    ideal0 = _array([draws[a.ideal[k]] for a in c.actors for k in dims], (A, K), n)
    zero = 0.0
    sal = _array([draws[a.salience[k]] if k in a.salience else zero for a in c.actors for k in dims], (A, K), n)
    total = sal.sum(axis=-1, keepdims=True)
    if np.any(total <= 0):
        raise ValueError("every actor needs a positive salience on some dimension")
    sal = sal / total
    cost = _array([draws[a.cost] for a in c.actors], (A,), n)
    z = _array([draws[o.position[k]] for o in c.no_deal for k in dims], (J, K), n)
    beliefs = _array(
        [draws[(a.beliefs or {}).get(o.name, o.probability)] for a in c.actors for o in c.no_deal], (A, J), n
    )
    bsum = beliefs.sum(axis=-1, keepdims=True)
    if np.any(bsum <= 0):
        raise ValueError("every actor's beliefs over the no-deal outcomes must not all be 0")
    beliefs = beliefs / bsum

    # Friedkin-Johnsen: W[v, u] = weight v gives to u's position (u leans on v), rows normalised.
    inf = c.influence
    index = {a: i for i, a in enumerate(names)}
    leans = [[zero] * A for _ in range(A)]
    for e in inf.edges:
        leans[index[e.leaner]][index[e.leaned_on]] = leans[index[e.leaner]][index[e.leaned_on]] + draws[e.weight]
    for i in range(A):
        leans[i][i] = leans[i][i] + draws[inf.self_weight]
    listens = np.swapaxes(_array([v for row in leans for v in row], (A, A), n), -1, -2)
    row = listens.sum(axis=-1, keepdims=True)
    listens = np.where(row > 0, listens, np.eye(A))
    weights = listens / listens.sum(axis=-1, keepdims=True)
    lam = _array([draws[inf.susceptibility.get(a, inf.default_susceptibility)] for a in names], (A,), n)
    if inf.edges and np.any(lam > 0):
        if inf.rounds is None:
            ideal = M.friedkin_johnsen_equilibrium(ideal0, weights, lam)
        else:
            ideal = M.friedkin_johnsen_rounds(ideal0, weights, lam, inf.rounds)
    else:
        ideal = ideal0

    if world is not None:
        if c.loss_power != 2.0 or J != 1:
            raise ValueError("no deal as the war going on needs loss_power 2 and one no-deal state")
        reservation = war_reservation(ideal, sal, z[..., 0, :], cost, dims, names, world)
    else:
        reservation = M.reservation_value(z, ideal, sal, beliefs, 0.0, c.loss_power, beliefs_per_actor=True)
        if np.ndim(cost) == 2 and np.ndim(reservation) < 2:  # R_i - c_i into the fresh (n, A) cost array
            reservation = np.subtract(reservation, cost, out=cost)
        else:
            reservation = reservation - cost
    sigma = draws[c.sigma]
    sigma = sigma[:, None] if np.ndim(sigma) else float(sigma)
    stages = tuple(tuple(index[a] for a in s.actors) for s in c.stages)
    veto = np.array([a.veto for a in c.actors])
    return CoalitionArrays(dims, names, plan, ideal0, ideal, sal, reservation, sigma, draws[c.rho], weights, lam,
                           stages, veto, c.loss_power)


def veto_names(c: CoalitionBlock) -> list[str]:
    """Veto players in stage order (first appearance)."""
    out: list[str] = []
    for s in c.stages:
        out += [a for a in s.actors if a not in out]
    return out


def stage_of(c: CoalitionBlock) -> dict[str, str]:
    out: dict[str, str] = {}
    for s in c.stages:
        for a in s.actors:
            out.setdefault(a, s.name)
    return out


def compute(coalition: CoalitionBlock, draws: Draws, *, plan: dict[str, np.ndarray | float] | None = None,
            world: WarReservation | None = None,
            alternatives: dict[str, dict[str, np.ndarray | float]] | None = None) -> dict[str, np.ndarray]:
    """Per-trial outputs of the coalition model for one chunk (n = draws.n trials).

    plan, world: see `arrays` (a settlement passes the plan mapped from its terms and no deal as the war
    going on). alternatives: name -> {dimension: position} changes of the plan whose P(adopted) is wanted
    too, on the same draws (e.g. the plan without its guarantee): returned as "p_adopted@<name>".

    The ZOPA and deal-breaker outputs (the detail outputs: (n, V, K) arrays, most of the model's cost) are
    computed on the chunk's first m = draws.detail_n trials only (the run's ``detail_trials``), so their
    arrays have m rows and their tables state that count.

    Returns float arrays, the two deal-breaker outputs as coded arrays for the accumulator:
      "p_adopted" (n,); "p_accept.<actor>" (n,) for every actor; "p_pivotal.<actor>" (n,) P(every other veto
      player accepts) (0 for non-veto actors); "p_sole_blocker.<actor>" (n,) P(the plan fails only because of
      the veto player; veto players only); "p_stage.<stage>" (n,) P(stage passes | earlier stages passed); "p_through.<stage>" (n,)
      P(stages up to this one pass);
      detail outputs, m rows: "plan_position" (m, K); "zopa_low", "zopa_high" (m, K) (NaN where empty),
      "zopa_nonempty" (m, K); "rejects" (m, V) 1 if the veto player's P(accept) < 1/2 (V = veto players in stage order);
      "dealbreaker_best" (m, V, K) one-hot of the dimension whose smallest move flips the veto player (NaN
      where it does not reject), as a `model.stats.OneHot` of the (m, V) dimension codes; "dealbreaker_move"
      (m, V, K) the signed move on that best dimension that takes it to P(accept) = 1/2 (NaN on the other
      dimensions and where it does not reject or no single move suffices), as a `model.stats.ByCategory`;
      "dealbreaker_p_after" (m, V) P(accept) after the best single move (NaN likewise).
    """
    n = draws.n
    x = arrays(coalition, draws, plan, world)
    p_accept = M.acceptance_probability(x.plan, x.ideal, x.salience, x.reservation, x.sigma, x.loss_power)
    ad = M.adoption(p_accept, x.stages, x.rho)
    extra: dict[str, np.ndarray] = {}
    for name, change in (alternatives or {}).items():
        alt = np.array(np.broadcast_to(x.plan, (n, len(x.dims))), dtype=float)
        for dim, value in change.items():
            alt[:, x.dims.index(dim)] = value
        p_alt = M.acceptance_probability(alt, x.ideal, x.salience, x.reservation, x.sigma, x.loss_power)
        extra[f"p_adopted@{name}"] = np.broadcast_to(M.adoption(p_alt, x.stages, x.rho).p_adopted, (n,)).copy()

    def columns(a: np.ndarray) -> np.ndarray:
        """(n, J) or (J,) -> (J, n), each row contiguous: one pass instead of a strided copy per column."""
        return np.ascontiguousarray(np.broadcast_to(a, (n, a.shape[-1])).T)

    res: dict[str, np.ndarray] = {"p_adopted": np.broadcast_to(ad.p_adopted, (n,)).copy(), **extra}
    accept, pivotal, blocking = columns(p_accept), columns(ad.p_pivotal), columns(ad.p_pivotal_blocking)
    for i, a in enumerate(x.actors):
        res[f"p_accept.{a}"] = accept[i]
        res[f"p_pivotal.{a}"] = pivotal[i]
        if x.veto[i]:
            res[f"p_sole_blocker.{a}"] = blocking[i]
    conditional, cumulative = columns(ad.p_stage_conditional), columns(ad.p_stage_cumulative)
    for k, s in enumerate(coalition.stages):
        res[f"p_stage.{s.name}"] = conditional[k]
        res[f"p_through.{s.name}"] = cumulative[k]
    K = len(x.dims)
    m = draws.detail_n
    if m == 0:
        return res
    # the plan itself, beside the ZOPA in its table, over the same trials (read only; (m, K) with each
    # dimension's trials contiguous when drawn, see _array)
    res["plan_position"] = x.plan[:m] if x.plan.ndim == 2 else np.broadcast_to(x.plan, (m, K))
    # ZOPA and deal-breakers concern the veto players only: compute them on that subset (cheaper), in one pass
    # per block of trials small enough that the (V, K, block) temporaries stay in the CPU cache. The blocks
    # fill arrays with the trials last (contiguous); the outputs are their (m, ...) transposed views.
    cols = [x.actors.index(a) for a in veto_names(coalition)]
    V = len(cols)
    full = {key: np.empty(shape + (m,), dtype=np.intp if key == "dealbreaker_best" else float)
            for key, shape in (("zopa_low", (K,)), ("zopa_high", (K,)), ("zopa_nonempty", (K,)), ("rejects", (V,)),
                               ("dealbreaker_best", (V,)), ("dealbreaker_move", (V,)), ("dealbreaker_p_after", (V,)))}
    for start in range(0, m, DETAIL_BLOCK):
        stop = min(start + DETAIL_BLOCK, m)
        for key, value in _details(x, cols, start, stop).items():
            full[key][..., start:stop] = value
    res.update({key: np.moveaxis(value, -1, 0) for key, value in full.items()})
    best = res["dealbreaker_best"]
    res["dealbreaker_best"] = OneHot(best, K)
    res["dealbreaker_move"] = ByCategory(best, res["dealbreaker_move"], K)
    return res


DETAIL_BLOCK = 1024  # trials per pass of the detail outputs: 7 veto players x 11 dimensions x 1024 x 8 B = 0.6 MB


def _details(x: CoalitionArrays, cols: list[int], start: int, stop: int) -> dict[str, np.ndarray]:
    """The detail outputs (ZOPA, deal-breakers) of trials start:stop (see `compute`), trials on the last axis;
    "dealbreaker_best" the best dimension's code and "dealbreaker_move" its move, (V, stop - start)."""

    def rows(a: np.ndarray | float, base_ndim: int) -> np.ndarray | float:
        return a[start:stop] if np.ndim(a) > base_ndim else a

    n, K, V = stop - start, len(x.dims), len(cols)
    plan = np.broadcast_to(rows(x.plan, 1), (n, K))
    reservation = rows(x.reservation, 1)[..., cols]
    sigma = rows(x.sigma, 1)
    if x.ideal.ndim == 2 and x.salience.ndim == 2:  # actors shared by all trials (the usual case): trial-last
        ideal, sal = x.ideal[cols], x.salience[cols]
        net = np.asarray(M.utility(plan, ideal, sal, x.loss_power) - reservation).T
        scale = np.asarray(sigma).T if np.ndim(sigma) else sigma
        d = M.zopa_and_deal_breakers_trial_last(plan.T, ideal, sal, net, scale, x.loss_power)
        low, high, nonempty, rejects = d["low"], d["high"], d["nonempty"], d["rejects"]
        best, move, p_after = d["best_dimension"], d["best_move"], d["p_accept_after"]
    else:
        ideal, sal = rows(x.ideal, 2)[..., cols, :], rows(x.salience, 2)[..., cols, :]
        zopa, db = M.zopa_and_deal_breakers(plan, ideal, sal, reservation, sigma, np.ones(V, dtype=bool),
                                            x.loss_power)

        def last(a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
            return np.moveaxis(np.broadcast_to(a, (n,) + shape), 0, -1)

        low, high, nonempty = (last(a, (K,)) for a in (zopa.low, zopa.high, zopa.nonempty))
        rejects, best, move, p_after = (last(a, (V,)) for a in (db.rejects, db.best_dimension, db.best_move,
                                                                 db.p_accept_after))
    # the best dimension as category codes (a one-hot for the accumulator, undefined where the actor accepts;
    # the move is summarised in its best dimension's category)
    best = np.where(rejects, best, OneHot.UNDEFINED)  # best is -1 = OneHot.NONE where no single move suffices
    return {"zopa_low": low, "zopa_high": high, "zopa_nonempty": nonempty, "rejects": rejects,
            "dealbreaker_best": best, "dealbreaker_move": move,
            "dealbreaker_p_after": np.where(rejects, p_after, np.nan)}


def evaluate(cfg: Schema, draws: Draws, rng: np.random.Generator) -> dict[str, np.ndarray]:
    if cfg.terms is None:
        return compute(cfg.coalition, draws)
    war = F.compute(cfg.forces, cfg.cession, draws, plan=W.forces_plan(cfg, draws))
    return compute(cfg.coalition, draws, plan=W.coalition_plan(cfg, draws), world=W.no_deal_war(cfg, draws, war))


# ------------------------------------------------------------------------------------------- report


def headline(s: Summaries) -> dict[str, Headline]:
    """P(adopted) and each veto player's P(accept) (those with a pivotal output above 0)."""
    h = {"p_adopted": Headline("P(adopted)", s.estimate("p_adopted", proportion=True))}
    for key in s.acc:
        if key.startswith("p_sole_blocker."):  # written for veto players only
            actor = key.removeprefix("p_sole_blocker.")
            h[f"p_accept.{actor}"] = Headline(f"P({actor} accepts)", s.estimate(f"p_accept.{actor}", proportion=True))
    return h


def _est(s: Summaries, name: str, index: tuple = ()) -> list[float]:
    e = s.estimate(name, index, proportion=True)
    return [e.mean, e.se, e.lo, e.hi]


def acceptance_table(c: CoalitionBlock, s: Summaries) -> Table:
    stage = stage_of(c)
    rows = []
    for a in c.actors:
        rows.append([a.name, stage.get(a.name, "influence only"), a.veto, *_est(s, f"p_accept.{a.name}"), s.n_trials])
    for st in c.stages:
        rows.append([f"(stage {st.name} passes | earlier passed)", st.name, True, *_est(s, f"p_stage.{st.name}"),
                     s.n_trials])
    return Table(["actor", "stage", "veto", "p_accept", "se", "ci95_low", "ci95_high", "n_trials"], rows)


def adoption_table(c: CoalitionBlock, s: Summaries) -> Table:
    stage = stage_of(c)
    rows = [["adopted", "(all veto players)", "", *_est(s, "p_adopted")]]
    for st in c.stages:
        rows.append(["through_stage", "(all up to this stage)", st.name, *_est(s, f"p_through.{st.name}")])
    for a in c.actors:
        rows.append(["pivotal", a.name, stage.get(a.name, "influence only"), *_est(s, f"p_pivotal.{a.name}")])
    for a in veto_names(c):
        rows.append(["sole_blocker", a, stage[a], *_est(s, f"p_sole_blocker.{a}")])
    return Table(["row", "actor", "stage", "probability", "se", "ci95_low", "ci95_high"], rows)


def dealbreakers_table(c: CoalitionBlock, s: Summaries) -> Table:
    """Per veto player: how often it rejects (P(accept) < 1/2), and for the trials where it does, which
    dimension's move is the smallest that flips it (the share of those trials), the mean of that move over
    the trials where that dimension is the smallest flip, and P(accept) after it."""
    stage = stage_of(c)
    dims = [d.name for d in c.dimensions]
    rows = []
    for v, a in enumerate(veto_names(c)):
        rej = s.estimate("rejects", (v,), proportion=True)
        after = s.estimate("dealbreaker_p_after", (v,)) if rej.mean > 0 else None
        ranked = []
        if rej.mean > 0:
            for k, d in enumerate(dims):
                share = s.estimate("dealbreaker_best", (v, k), proportion=True)
                if share.n > 0 and share.mean > 0:
                    move = s.estimate("dealbreaker_move", (v, k))
                    ranked.append((share.mean, share.se, d, move.mean, move.se, move.n))
        if ranked and sum(r[0] for r in ranked) < 1 - 1e-9:
            rest = 1 - sum(r[0] for r in ranked)
            ranked.append((rest, float("nan"), NO_SINGLE_MOVE, float("nan"), float("nan"), 0))
        ranked.sort(key=lambda r: -r[0])
        if not ranked:
            note = NO_SINGLE_MOVE if rej.mean > 0 else "accepts"
            rows.append([a, stage[a], rej.mean, rej.se, note, float("nan"), float("nan"), float("nan"), float("nan"),
                         float("nan"), rej.n])
        for share, share_se, d, move, move_se, _ in ranked:
            rows.append([a, stage[a], rej.mean, rej.se, d, share, share_se, move, move_se,
                         after.mean if after else float("nan"), rej.n])
    return Table(["actor", "stage", "p_rejects", "se", "dimension", "share_best_flip", "share_se", "mean_move",
                  "move_se", "p_accept_after_best_move", "n_trials"], rows)


def zopa_table(c: CoalitionBlock, s: Summaries) -> Table:
    rows = []
    for k, d in enumerate(c.dimensions):
        plan = s.estimate("plan_position", (k,))
        ne = s.estimate("zopa_nonempty", (k,), proportion=True)
        lo = s.estimate("zopa_low", (k,))
        hi = s.estimate("zopa_high", (k,))
        rows.append([d.name, plan.mean, ne.mean, ne.se, lo.mean, lo.se, hi.mean, hi.se, lo.n, ne.n])
    return Table(["dimension", "plan_mean", "p_zopa_nonempty", "se", "zopa_low_mean", "low_se", "zopa_high_mean",
                  "high_se", "n_trials_nonempty", "n_trials"], rows)


def network_figure(c: CoalitionBlock, p_accept: dict[str, float]) -> Figure:
    """The actor graph: node colour = P(accept), edge width = influence weight (mean), squares = veto players."""
    import networkx as nx
    from matplotlib import colormaps
    from matplotlib.colors import Normalize

    g = nx.DiGraph()
    g.add_nodes_from(a.name for a in c.actors)
    for e in c.influence.edges:
        g.add_edge(e.leaner, e.leaned_on, weight=e.weight.to_dist().mean())
    pos = nx.circular_layout(g)
    fig = plots.figure(figsize=(8, 7))
    ax = fig.subplots()
    cmap, norm = colormaps["RdYlGn"], Normalize(0, 1)
    for veto, shape in ((True, "s"), (False, "o")):
        nodes = [a.name for a in c.actors if a.veto == veto]
        nx.draw_networkx_nodes(g, pos, nodelist=nodes, node_shape=shape, ax=ax, node_size=900,
                               node_color=[cmap(norm(p_accept.get(a, np.nan))) for a in nodes],
                               edgecolors="black")
    widths = [1 + 12 * d["weight"] for _, _, d in g.edges(data=True)]
    nx.draw_networkx_edges(g, pos, ax=ax, width=widths, arrowsize=15, node_size=900, edge_color="grey",
                           connectionstyle="arc3,rad=0.08")
    nx.draw_networkx_labels(g, pos, ax=ax, font_size=7,
                            labels={a: f"{a}\n{p_accept.get(a, np.nan):.2f}" for a in g.nodes})
    sm = __import__("matplotlib.cm", fromlist=["ScalarMappable"]).ScalarMappable(norm=norm, cmap=cmap)
    fig.colorbar(sm, ax=ax, label="P(accept)", shrink=0.7)
    ax.set_title("Who leans on whom (arrow: leaner -> leaned on; width = weight); squares = veto players")
    ax.axis("off")
    return fig


def acceptance_figure(table: Table, p_adopted: tuple[float, float, float], n_trials: int) -> Figure:
    recs = [r for r in table.records() if not str(r["actor"]).startswith("(")]
    fig = plots.figure(figsize=(7.5, 0.45 * len(recs) + 1.6))
    ax = fig.subplots()
    stages = list(dict.fromkeys(r["stage"] for r in recs))
    colours = {st: f"C{i}" for i, st in enumerate(stages)}
    y = np.arange(len(recs))[::-1]
    for yi, r in zip(y, recs):
        ax.barh(yi, r["p_accept"], color=colours[r["stage"]], alpha=0.85 if r["veto"] else 0.4)
        ax.errorbar(r["p_accept"], yi, xerr=[[r["p_accept"] - r["ci95_low"]], [r["ci95_high"] - r["p_accept"]]],
                    color="black", capsize=3)
    ax.set_yticks(y, [f"{r['actor']} ({r['stage']})" for r in recs], fontsize=8)
    ax.axvline(0.5, color="grey", ls=":")
    mean, lo, hi = p_adopted
    ax.set(xlim=(0, 1), xlabel="P(accept)")
    ax.set_title(f"Acceptance per actor; P(adopted) = {mean:.3f} (95% CI {lo:.3f}-{hi:.3f}, {n_trials:,} trials)",
                 fontsize=9)
    return fig


def zopa_figure(c: CoalitionBlock, table: Table) -> Figure:
    recs = table.records()
    dims = [r["dimension"] for r in recs]
    fig = plots.figure(figsize=(8, 0.5 * len(dims) + 1.8))
    ax = fig.subplots()
    y = np.arange(len(dims))[::-1]
    vetoes = [a for a in c.actors if a.veto]
    for yi, r in zip(y, recs):
        if np.isfinite(r["zopa_low_mean"]) and r["p_zopa_nonempty"] > 0:
            ax.plot([r["zopa_low_mean"], r["zopa_high_mean"]], [yi, yi], lw=8, color="tab:green", alpha=0.5,
                    solid_capstyle="butt")
        ax.plot(r["plan_mean"], yi, "kD", ms=7)
        ax.text(1.02, yi, f"{r['p_zopa_nonempty']:.2f}", va="center", fontsize=7)
    for j, a in enumerate(vetoes):
        xs = [a.ideal[d].to_dist().mean() for d in dims]
        ax.scatter(xs, y + 0.18 * ((j % 3) - 1) / 3, s=14, marker="|", color=f"C{j}", label=a.name)
    ax.set_yticks(y, dims, fontsize=8)
    ax.set(xlim=(-0.02, 1.0), xlabel="position on the dimension (0-1)")
    ax.set_title("Zone of possible agreement per dimension (others at the plan; green = mean ZOPA where it exists;\n"
                 "diamond = plan; ticks = veto players' ideal points before influence; right: P(ZOPA nonempty))",
                 fontsize=8)
    ax.legend(fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=4)
    return fig


def tables_figures(config: Config, s: Summaries) -> tuple[dict[str, Table], dict[str, Figure]]:
    c: CoalitionBlock = config.model.coalition  # type: ignore[attr-defined]
    acc = acceptance_table(c, s)
    tables = {"acceptance": acc, "adoption": adoption_table(c, s)}
    pa = s.estimate("p_adopted", proportion=True)
    p_accept = {a.name: s.estimate(f"p_accept.{a.name}").mean for a in c.actors}
    figures = {"network": network_figure(c, p_accept), "acceptance": acceptance_figure(acc, (pa.mean, pa.lo, pa.hi),
                                                                                        s.n_trials)}
    if "rejects" in s:  # detail outputs were computed (run.detail_trials > 0)
        tables |= {"dealbreakers": dealbreakers_table(c, s), "zopa": zopa_table(c, s)}
        figures["zopa"] = zopa_figure(c, tables["zopa"])
    return tables, figures


def summary_text(config: Config, s: Summaries, tables: dict[str, Table]) -> str:
    c: CoalitionBlock = config.model.coalition  # type: ignore[attr-defined]
    label = config.model.title or config.stem
    pa = s.estimate("p_adopted", proportion=True)
    vetoes = veto_names(c)
    acc = {v: s.estimate(f"p_accept.{v}", proportion=True) for v in vetoes}
    least = min(vetoes, key=lambda v: acc[v].mean)
    blockers = sorted(vetoes, key=lambda v: -s.estimate(f"p_sole_blocker.{v}").mean)
    lines = [
        "## In one sentence", "",
        (f"Under this config ({label}), every veto player accepts the plan with probability {pa.mean:.1%} "
        f"(s.e. {pa.se:.1%}; 95% CI {pa.lo:.1%}-{pa.hi:.1%}; {pa.n:,} simulated trials); the least willing veto "
        f"player is {least} (P(accept) {acc[least].mean:.1%}, s.e. {acc[least].se:.1%})."),
        "",
        "## Acceptance of the veto players", "",
        "| actor | stage | P(accept) | 95% CI | P(pivotal) |", "|---|---|---|---|---|",
    ]
    stage = stage_of(c)
    for v in vetoes:
        piv = s.estimate(f"p_pivotal.{v}")
        lines.append(f"| {v} | {stage[v]} | {acc[v].mean:.3f} | {acc[v].lo:.3f}-{acc[v].hi:.3f} | {piv.mean:.3f} |")
    db = [r for r in tables["dealbreakers"].records() if r["dimension"] != "accepts"] if "dealbreakers" in tables else []
    if "dealbreakers" not in tables:
        lines += ["", "No deal-breaker or ZOPA tables: the run computed no detail outputs (`run.detail_trials: 0`)."]
    if db:
        n_detail = int(db[0]["n_trials"])
        lines += ["", "## Deal-breakers", "",
                  ("For each veto player that rejects (P(accept) < 1/2), the single dimension whose smallest move "
                  "most often flips it to P(accept) = 1/2, with the mean of that move (0-1 scale) where it is the smallest"
                  + (f" (from the first {n_detail:,} trials, `run.detail_trials`)" if n_detail < s.n_trials else "")
                  + ":"), ""]
        seen = set()
        for r in db:
            if r["actor"] in seen:
                continue
            seen.add(r["actor"])
            head = f"- {r['actor']} rejects in {r['p_rejects']:.0%} of trials; "
            if r["dimension"] == NO_SINGLE_MOVE:
                share = r["share_best_flip"] if np.isfinite(r["share_best_flip"]) else 1.0
                lines.append(head + f"no move on a single dimension flips it in {share:.0%} of those trials")
            else:
                lines.append(head + f"move `{r['dimension']}` by {r['mean_move']:+.2f} (s.e. {r['move_se']:.3f}; "
                             f"the smallest flip in {r['share_best_flip']:.0%} of those trials)")
    top = [b for b in blockers if s.estimate(f"p_sole_blocker.{b}").mean > 0.005]
    if top:
        lines += ["", "The plan fails only because of one veto player with probability: " + ", ".join(
            f"{b} {s.estimate(f'p_sole_blocker.{b}').mean:.1%}" for b in top[:3]) + "."]
    lines += ["", ("Every figure above is a Monte Carlo mean over the trials with its standard error; "
              "positions and saliences are sourced or marked assumptions in the config (`accord show`)."), "",
              ("Figures: " + ", ".join(f"`figures/{f}.png`" for f in ("network", "acceptance", "zopa")
                                        if f != "zopa" or "zopa" in tables)
               + ". Tables: " + ", ".join(f"`tables/{t}.csv`" for t in tables) + ".")]
    return "\n".join(lines)


def report(config: Config, s: Summaries) -> Result:
    tables, figures = tables_figures(config, s)
    return Result(NAME, headline(s), tables, figures, summary_text(config, s, tables))


# ------------------------------------------------------------------------------------------- amend


def _coalition_arrays(cfg: Config, trials: int, seed: int, chunk: int) -> CoalitionArrays:
    """The coalition's arrays for `trials` draws. A coalition block on its own needs only its own uncertain
    parameters; in a world (a settlement config or a view of one, with `terms`) the plan and the reservation
    values depend on the terms, the war model and the costs of war, so every parameter is drawn."""
    model = cfg.model
    world = getattr(model, "terms", None) is not None
    dists = {p: d for p, d in cfg.uncertain().items() if world or p.startswith("coalition.")}
    paths = {id(spec): path for path, (spec, _) in cfg.params().items()}
    sampler = P.Sampler(list(dists), seed, "mc")
    draws = Draws(P.draw(dists, sampler, chunk, trials), paths, trials)
    if not world:
        return arrays(model.coalition, draws)
    war = F.compute(model.forces, model.cession, draws, plan=W.forces_plan(model, draws))
    return arrays(model.coalition, draws, W.coalition_plan(model, draws), W.no_deal_war(model, draws, war))


def _p_adopted_trials(x: CoalitionArrays, plan: np.ndarray) -> np.ndarray:
    """Per-trial P(adopted) at a plan ((K,) or (n, K)), ideal points as moved by influence."""
    p = M.acceptance_probability(plan, x.ideal, x.salience, x.reservation, x.sigma, x.loss_power)
    veto_cols = np.flatnonzero(x.veto)
    if np.all(np.asarray(x.rho) == 0):
        return np.prod(p[..., veto_cols], axis=-1)
    return M.adoption(p, [tuple(veto_cols)], x.rho).p_adopted


def amend(cfg: Config, penalties: tuple[float, ...] = (0.0, 0.1, 0.3, 1.0), trials: int = 2000,
          seed: int | None = None, maxiter: int = 30, popsize: int = 8) -> Report:
    """Amendments to the plan over `coalition.negotiable` that most raise P(adopted) per unit of change.

    For each penalty lambda, maximises mean P(adopted) - lambda * ||x - plan||_1 over the negotiable
    dimensions (model.coalition.search_amendments: differential evolution, Storn & Price 1997), with the
    coalition's uncertain parameters drawn for `trials` trials; the plan's non-negotiable dimensions keep their
    drawn values, the negotiable ones are set to x (the base is their median). P(adopted) before and after is
    then re-estimated on a fresh, independent set of draws (so the search cannot flatter its own estimate),
    with common random numbers: the s.e. of the gain is that of the paired per-trial differences.
    Works on any config with a `coalition:` block (a coalition or a settlement config). In a world the
    amendment moves the plan's position on the coalition's dimensions (what the actors weigh), not the terms
    the war model reads: it says which positions could win every veto player.
    """
    c = getattr(cfg.model, "coalition", None)
    if not isinstance(c, CoalitionBlock):
        raise ConfigError(f"scenario {cfg.scenario!r} has no coalition block; `accord amend` needs one",
                          cfg.path or None, None, "coalition")
    if not c.negotiable:
        raise ConfigError("no negotiable dimensions: list the dimensions an analyst may amend, e.g. "
                          "--set 'coalition.negotiable=[territory, force_cap]'", cfg.path or None, None,
                          "coalition.negotiable")
    seed = cfg.model.run.seed if seed is None else seed
    dims = [d.name for d in c.dimensions]
    mask = np.array([d in c.negotiable for d in dims])
    search = _coalition_arrays(cfg, trials, seed, 0)
    drawn = np.broadcast_to(search.plan, (trials, len(dims)))
    base = np.median(drawn, axis=0)  # the plan's median position per dimension (as mapped, in a world)

    def p_fn(xv: np.ndarray) -> float:
        plan = np.where(mask, xv, drawn)
        return float(np.mean(_p_adopted_trials(search, plan)))

    found = M.search_amendments(p_fn, base, mask, penalties, seed=seed % (2**32), maxiter=maxiter, popsize=popsize)
    fresh = _coalition_arrays(cfg, trials, seed, 1)
    drawn_fresh = np.broadcast_to(fresh.plan, (trials, len(dims)))
    before = _p_adopted_trials(fresh, drawn_fresh)
    b_mean, b_se = float(before.mean()), float(before.std(ddof=1) / np.sqrt(trials))
    rows, records = [], []
    for am in found:
        after = _p_adopted_trials(fresh, np.where(mask, am.plan, drawn_fresh))
        a_mean, a_se = float(after.mean()), float(after.std(ddof=1) / np.sqrt(trials))
        diff = after - before
        g_mean, g_se = float(diff.mean()), float(diff.std(ddof=1) / np.sqrt(trials))
        changes = {d: {"plan": float(base[k]), "amended": float(am.plan[k]), "change": float(am.change[k])}
                   for k, d in enumerate(dims) if mask[k] and abs(am.change[k]) > 1e-3}
        l1 = float(np.sum(np.abs(am.change)))
        raises = g_mean > 2 * g_se and g_mean > 0
        records.append({"penalty": am.penalty, "changes": changes, "l1_change": l1, "p_adopted_before": b_mean,
                        "se_before": b_se, "p_adopted_after": a_mean, "se_after": a_se, "gain": g_mean,
                        "gain_se": g_se, "raises_p_adopted": bool(raises), "objective_in_search": am.objective})
        common = [b_mean, b_se, a_mean, a_se, g_mean, g_se, l1]
        if not changes:
            rows.append([am.penalty, "(none)", float("nan"), float("nan"), 0.0, *common])
        for d, ch in changes.items():
            rows.append([am.penalty, d, ch["plan"], ch["amended"], ch["change"], *common])
    table = Table(["penalty", "dimension", "plan_value", "amended_value", "change", "p_adopted_before", "se_before",
                   "p_adopted_after", "se_after", "gain", "gain_se", "l1_change"], rows)
    any_raise = any(r["raises_p_adopted"] for r in records)
    label = cfg.model.title or cfg.stem
    text = [(f"Amendments to {label} over {', '.join(c.negotiable)} ({trials:,} trials for the search, "
            f"{trials:,} fresh trials for the estimates, seed {seed})."),
            f"P(adopted) as coded: {b_mean:.3f} (s.e. {b_se:.3f}).", ""]
    for r in records:
        moves = ", ".join(f"{d} {v['plan']:.2f}->{v['amended']:.2f}" for d, v in r["changes"].items()) or "no change"
        text.append(f"penalty {r['penalty']:g}: {moves}; P(adopted) {r['p_adopted_after']:.3f} (s.e. "
                    f"{r['se_after']:.3f}), gain {r['gain']:+.3f} (s.e. {r['gain_se']:.3f})"
                    + ("" if r["raises_p_adopted"] else " [not a significant gain]"))
    if not any_raise:
        text += ["", ("No amendment over the negotiable dimensions raises P(adopted) by more than twice its Monte "
                 "Carlo standard error: the search cannot improve this plan's chance of adoption.")]
    figure = _amend_figure(records, b_mean, b_se)
    data = {"config": cfg.path, "title": label, "negotiable": list(c.negotiable), "trials": trials, "seed": seed,
            "p_adopted_before": b_mean, "se_before": b_se, "raises_p_adopted": any_raise, "amendments": records}
    inputs = {"config": cfg.path, "files": cfg.files, "overrides": cfg.overrides, "penalties": list(penalties),
              "trials": trials, "seed": seed, "config_digest": cfg.digest()}
    return Report("amend", "\n".join(text), data, {"amendments": table}, {"amendments": figure}, inputs)


def _amend_figure(records: list[dict[str, Any]], b_mean: float, b_se: float) -> Figure:
    fig = plots.figure(figsize=(6.5, 4))
    ax = fig.subplots()
    xs = [r["l1_change"] for r in records]
    ys = [r["p_adopted_after"] for r in records]
    es = [1.96 * r["se_after"] for r in records]
    ax.errorbar(xs, ys, yerr=es, fmt="o-", capsize=3, label="amended plan")
    for r in records:
        ax.annotate(f"penalty {r['penalty']:g}", (r["l1_change"], r["p_adopted_after"]), fontsize=7,
                    textcoords="offset points", xytext=(4, 4))
    ax.axhline(b_mean, color="grey", ls="--", label=f"as coded: {b_mean:.3f} +- {1.96 * b_se:.3f}")
    ax.set(xlabel="total change (L1 over the negotiable dimensions, 0-1 scale)", ylabel="P(adopted)",
           ylim=(0, 1.02))
    ax.legend(fontsize=8)
    ax.set_title("Amendments: P(adopted) against the size of the change (95% MC error bars)", fontsize=9)
    return fig
