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

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import special

from model import coalition as M
from model import params as P
from model.stats import ByCategory, Estimate, OneHot
from scenarios import forces as F
from scenarios import plots
from scenarios import world as W
from scenarios.config import Config, ConfigError
from scenarios.engine import Draws, Summaries
from scenarios.results import Headline, Report, Result, Table, number_text

# The config (blocks, Schema, check) is scenarios/schemas/coalition.py's, which imports no model code, so that
# `accord validate` and `show` start without NumPy (issue 17); its names are this module's too.
from scenarios.schemas.coalition import (  # noqa: F401
    Actor,
    Anchor,
    CoalitionBlock,
    Country,
    Dimension,
    Edge,
    InfluenceBlock,
    NoDealOutcome,
    Position,
    PreferenceUncertainty,
    Schema,
    Stage,
    _fail,
    _hint,
    check,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "coalition"
SUMMARY = "who accepts the plan: acceptance per actor and stage, P(adopted), pivotal actors, deal-breakers, ZOPA"

NO_SINGLE_MOVE = "(no single-dimension move suffices)"

PREFERENCE_KEY = 0x70726566  # "pref": the stream of the preference draws


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


def preferences(c: CoalitionBlock, draws: Draws) -> tuple[np.ndarray, np.ndarray]:
    """Every actor's ideal points and saliences (normalised to sum 1), (A, K) or (n, A, K), drawn per trial
    around the coding when `preference_uncertainty` is enabled (PreferenceUncertainty)."""
    n = draws.n
    dims = tuple(d.name for d in c.dimensions)
    K, A = len(dims), len(c.actors)
    ideal0 = _array([draws[a.ideal[k]] for a in c.actors for k in dims], (A, K), n)
    zero = 0.0
    sal = _array([draws[a.salience[k]] if k in a.salience else zero for a in c.actors for k in dims], (A, K), n)
    total = sal.sum(axis=-1, keepdims=True)
    if np.any(total <= 0):
        raise ValueError("every actor needs a positive salience on some dimension")
    sal = sal / total
    u = c.preference_uncertainty
    if u.enabled:  # ideal points, then saliences, from the chunk's preference stream (PreferenceUncertainty)
        # one stream per actor (vectorised over trials and dimensions): changing one actor's coding leaves every
        # other actor's draws as they were
        # (A, K) when the coding is shared by all trials: the gamma draws read a broadcast view of it (the same
        # values in the same order as an (n, A, K) copy, so the same draws, without the copy)
        shape = u.salience_concentration * sal
        drawn_ideal, drawn_sal = np.empty((n, A, K)), np.empty((n, A, K))
        # ideal points and saliences on streams of their own: on one stream the saliences would start after
        # n K uniforms, so a trial's draws would depend on the length of its chunk
        for i in range(A):
            drawn_ideal[:, i] = draws.stream(PREFERENCE_KEY, i, 0).uniform(-u.ideal_half_width, u.ideal_half_width,
                                                                           (n, K))
            drawn_sal[:, i] = draws.stream(PREFERENCE_KEY, i, 1).gamma(np.broadcast_to(shape[..., i, :], (n, K)))
        ideal0 = np.add(ideal0, drawn_ideal, out=drawn_ideal)
        # clipped to [0, 1] in place (np.clip would allocate another (n, A, K) array and is slower)
        np.maximum(ideal0, 0.0, out=ideal0)
        np.minimum(ideal0, 1.0, out=ideal0)
        sal = drawn_sal
        total = sal.sum(axis=-1, keepdims=True)
        sal = np.divide(sal, total, out=sal, where=total > 0)
    return ideal0, sal


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
    ideal0, sal = preferences(c, draws)
    zero = 0.0
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
    return CoalitionArrays(dims, names, plan, ideal, sal, reservation, sigma, draws[c.rho], weights, lam,
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


@dataclass(frozen=True)
class Ratification:
    """Who signs, who ratifies and who holds a partial veto (indices into the actors), with the correlations.

    country: (A,) country index of every actor (an actor in no `countries:` entry is a country of its own);
    rho_within: (C,) or (n, C); full: the full veto players in stage order; partial: the partial veto players;
    controls: (A, K) bool, the dimensions each partial veto player decides; status_quo: (K,) or (n, K) (NaN where
    none); ratifiers / partial_ratifiers: signatory -> the full / partial veto players of its country after it;
    audience_cost, failed_cost: (A,) or (n, A) utility units.
    """

    country: np.ndarray
    country_names: tuple[str, ...]
    rho_within: np.ndarray
    full: tuple[int, ...]
    partial: tuple[int, ...]
    controls: np.ndarray
    status_quo: np.ndarray
    ratifiers: dict[int, tuple[int, ...]]
    partial_ratifiers: dict[int, tuple[int, ...]]
    audience_cost: np.ndarray
    failed_cost: np.ndarray


def ratification(c: CoalitionBlock, draws: Draws) -> Ratification:
    """The config's countries, signatories, ratifiers and partial veto players as indices and arrays.

    A country's signatory is its first full veto player in stage order (its government); its ratifiers are the
    country's other full veto players, its partial ratifiers the country's partial veto players."""
    n = draws.n
    names = [a.name for a in c.actors]
    dims = [d.name for d in c.dimensions]
    of: dict[str, int] = {}
    country_names: list[str] = []
    for country in c.countries:
        for a in country.actors:
            of[a] = len(country_names)
        country_names.append(country.name)
    within = [draws[country.correlation] for country in c.countries]
    for a in names:
        if a not in of:
            of[a] = len(country_names)
            country_names.append(a)
            within.append(1.0)  # one actor: irrelevant
    country = np.array([of[a] for a in names])
    rho_within = _array(within, (len(within),), n)
    order = veto_names(c)
    by_name = {a.name: a for a in c.actors}
    full = tuple(names.index(a) for a in order if not by_name[a].controls)
    partial = tuple(names.index(a) for a in order if by_name[a].controls)
    controls = np.array([[d in a.controls for d in dims] for a in c.actors], dtype=bool).reshape(len(names), len(dims))
    status_quo = _array([draws[c.status_quo[d]] if d in c.status_quo else float("nan") for d in dims], (len(dims),), n)
    ratifiers: dict[int, tuple[int, ...]] = {}
    partial_ratifiers: dict[int, tuple[int, ...]] = {}
    for k in set(country.tolist()):
        members = [i for i in full if country[i] == k]
        if members:
            ratifiers[members[0]] = tuple(members[1:])
            partial_ratifiers[members[0]] = tuple(i for i in partial if country[i] == k)
    audience = _array([draws[a.audience_cost] for a in c.actors], (len(names),), n)
    failed = _array([draws[a.failed_ratification_cost] for a in c.actors], (len(names),), n)
    return Ratification(country, tuple(country_names), rho_within, full, partial, controls, status_quo, ratifiers,
                        partial_ratifiers, audience, failed)


def _column(a: np.ndarray | float, i: int) -> np.ndarray | float:
    """Actor i's value from an (A,) or (n, A) array, or a scalar / (n, 1) as it is."""
    a = np.asarray(a)
    if a.ndim == 0 or a.shape[-1] == 1:
        return a[..., 0] if a.ndim else float(a)
    return a[..., i]


def _actor(a: np.ndarray, i: int) -> np.ndarray:
    """Rows of actor i from (A, K) or (n, A, K), keeping the actor axis: (1, K) or (n, 1, K)."""
    return a[..., i:i + 1, :]


def nothing_to_decide(plan: np.ndarray, status_quo: np.ndarray, controls: np.ndarray) -> np.ndarray:
    """True where the plan leaves every dimension a partial veto player controls at its status quo (to 1e-12):
    it then has nothing to veto. plan, status_quo: (K,) or (n, K); controls: (K,) bool. Returns () or (n,)."""
    plan_k = np.asarray(plan, dtype=float)[..., controls]
    sq_k = np.asarray(status_quo, dtype=float)[..., controls]
    return np.all(np.abs(plan_k - sq_k) <= 1e-12, axis=-1)


def acceptance(x: CoalitionArrays, r: Ratification,
               rho: np.ndarray | float = 0.0) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """P(accept) of every actor, (n, A), and each signatory's P(ratified | signed), (n,) per signatory.

    Full ratifiers and actors outside the stages: P = logistic((U_i(plan) - R_i) / sigma) (McFadden 1974). A
    partial veto player decides only its dimensions: P = logistic(revert_gain / sigma), the plan's terms on them
    against the status quo (its reservation value plays no part: it cannot block the plan); where the plan leaves
    every dimension it controls at the status quo it has nothing to decide and P = 1 (not the coin flip
    logistic(0) = 1/2: there is nothing to veto). A signatory g anticipates its own ratification:
    P = logistic(signing_value / sigma) (model.coalition.signing_value), with

        P(ratified | signed) = P(g and its full ratifiers accept) / P(g accepts)

    the conditional probability under the copula that `adoption_probability` uses (within the country the latent
    correlation max(rho_within, rho); for one country's actors the nested copula of `model.coalition.
    nested_orthant` reduces to `equicorrelated_orthant` with that correlation, which is what is evaluated here),
    both terms at the government's unanticipated P = logistic(net_g / sigma_g): one step, no fixed point (an
    assumption: solving for the P that is consistent with its own anticipation would make the decision circular).
    A signature is then news about the country's common factor: where the government and its ratifiers are
    correlated, ratifiers who see a government willing to sign are themselves more likely to accept. The expected
    loss from its country's partial veto players enters as sum_j (1 - p_j) revert_gain_g(j)."""
    n = np.shape(x.plan)[0] if np.ndim(x.plan) == 2 else None
    net = M.utility(x.plan, x.ideal, x.salience, x.loss_power) - x.reservation
    if n is not None:
        net = np.broadcast_to(net, (n, len(x.actors)))
    net = np.array(net, dtype=float)
    sigma = x.sigma
    p = special.expit(net / sigma)
    if p.ndim == 1:  # nothing varies over trials: give it the trial axis of the rho draws, if any
        p, net = p[None, :], net[None, :]
    for j in r.partial:
        gain = M.revert_gain(x.plan, _actor(x.ideal, j), _actor(x.salience, j), r.status_quo, r.controls[j],
                             x.loss_power)[..., 0]
        p[:, j] = np.where(nothing_to_decide(x.plan, r.status_quo, r.controls[j]), 1.0,
                           special.expit(gain / _column(sigma, j)))
    unanticipated = p.copy()  # every signatory's P before it anticipates its ratification
    rows = unanticipated.shape[0]
    rho_rows = np.broadcast_to(np.asarray(rho, dtype=float), (rows,)) if np.ndim(rho) == 0 else np.asarray(rho)
    if rho_rows.shape[0] != rows:  # p has one row while rho varies: give p the trial axis
        unanticipated = np.broadcast_to(unanticipated, (rho_rows.shape[0], p.shape[1]))
        p, net = np.array(np.broadcast_to(p, unanticipated.shape)), np.broadcast_to(net, unanticipated.shape)
    p_ratified: dict[int, np.ndarray] = {}
    for g, ratifiers in r.ratifiers.items():
        if not ratifiers and not r.partial_ratifiers[g] and not np.any(_column(r.audience_cost, g)):
            continue
        k = r.country[g]
        if ratifiers:
            within = np.maximum(_column(np.atleast_2d(r.rho_within), k), rho_rows)
            members = [g, *ratifiers]
            joint = M.equicorrelated_orthant(_thresholds(unanticipated[:, members]), within)
            p_g = unanticipated[:, g]
            with np.errstate(invalid="ignore", divide="ignore"):
                p_rat = np.clip(np.where(p_g > 1e-12, joint / p_g, 0.0), 0.0, 1.0)
            # where the government all but never accepts (P < 1e-12) the ratio is 0/0: its P stays ~0 either way;
            # there the unconditional P(ratifiers accept) stands in
            if np.any(p_g <= 1e-12):
                alone = M.equicorrelated_orthant(_thresholds(unanticipated[:, list(ratifiers)]), within)
                p_rat = np.where(p_g > 1e-12, p_rat, alone)
        else:
            p_rat = np.ones(p.shape[0])
        loss = 0.0
        for j in r.partial_ratifiers[g]:
            gain = M.revert_gain(x.plan, _actor(x.ideal, g), _actor(x.salience, g), r.status_quo, r.controls[j],
                                 x.loss_power)[..., 0]
            loss = loss + (1.0 - p[:, j]) * gain
        value = M.signing_value(net[:, g], p_rat, _column(r.failed_cost, g), _column(r.audience_cost, g), loss)
        p[:, g] = special.expit(value / _column(sigma, g))
        if ratifiers:
            p_ratified[g] = p_rat
    return p, p_ratified


def _thresholds(p: np.ndarray) -> np.ndarray:
    """Gaussian thresholds t = Phi^-1(p), finite (p clipped to [1e-300, 1 - 1e-16])."""
    t = np.array(p, dtype=float)  # clipped and mapped in place (np.clip allocates and is slow)
    np.maximum(t, 1e-300, out=t)
    np.minimum(t, 1.0 - 1e-16, out=t)
    return special.ndtri(t, out=t)


def adoption_probability(p: np.ndarray, r: Ratification, rho: np.ndarray | float,
                         subsets: list[tuple[int, ...]] | None = None) -> np.ndarray:
    """P(every actor of each subset accepts), (n, len(subsets)); default the one subset of the full veto players
    (P(adopted)). The nested copula of model.coalition.nested_orthant over the actors' countries."""
    subsets = [r.full] if subsets is None else subsets
    n = p.shape[0]
    rho_within = np.broadcast_to(np.atleast_2d(r.rho_within)[:n], (n, len(r.country_names)))  # [:n]: detail rows
    used = sorted({i for subset in subsets for i in subset})
    t = np.full(p.shape, np.inf)  # an actor in no subset is never read: its threshold is not computed
    t[:, used] = _thresholds(p[:, used])
    return M.nested_orthant(t, r.country, rho, rho_within, subsets)


def compute(coalition: CoalitionBlock, draws: Draws, *, plan: dict[str, np.ndarray | float] | None = None,
            world: WarReservation | None = None,
            alternatives: dict[str, dict[str, np.ndarray | float]] | None = None) -> dict[str, np.ndarray]:
    """Per-trial outputs of the coalition model for one chunk (n = draws.n trials).

    plan, world: see `arrays` (a settlement passes the plan mapped from its terms and no deal as the war
    going on). alternatives: name -> {dimension: position} changes of the plan whose P(adopted) is wanted
    too, on the same draws (e.g. the plan without its guarantee): returned as "p_adopted@<name>".

    Adoption: the plan is adopted when every full veto player accepts (signatories, anticipating their own
    ratification, and full ratifiers); a partial veto player's rejection keeps its dimensions at the status quo
    and does not block it. Decisions are correlated through a nested one-factor Gaussian copula (within a country
    `countries[].correlation`, across countries `rho`; model.coalition.nested_orthant).

    Per trial (n rows): "p_adopted"; "p_accept.<actor>" for every actor (for a partial veto player: P(it accepts
    its dimensions)); "p_ratified.<signatory>" P(ratified | signed) for signatories with full ratifiers;
    "nothing_to_decide.<actor>" 1 where the plan leaves a partial veto player's dimensions at the status quo (its
    P(accept) is then 1).
    The rest are detail outputs, computed on the chunk's first m = draws.detail_n trials only (the run's
    ``detail_trials``), so their arrays have m rows and their tables state that count; the stage, pivotal and
    partial-veto ones (a nested integral per subset and trial) on at most the run's first ADOPTION_DETAIL_TRIALS =
    20,000 of them (draws.first: not 20,000 per chunk): "p_pivotal.<actor>" P(every other full veto player accepts) (0 for non-veto actors; for
    a partial veto player P(adopted): it then decides its dimensions); "p_sole_blocker.<actor>" P(the plan fails
    only because of it) (0 for partial veto players, who cannot block); "p_stage.<stage>" P(the stage's full veto
    players accept | earlier stages passed); "p_through.<stage>" P(stages up to this one pass); "p_adopted_in_full"
    P(adopted and every partial veto player accepts); "p_reverted.<actor>" P(adopted with that partial veto
    player's dimensions at the status quo); "plan_position" (m, K); "zopa_low", "zopa_high" (m, K) (NaN where
    empty), "zopa_nonempty" (m, K); "rejects" (m, V) 1 if the veto player's P(accept) < 1/2 (V = veto players in
    stage order); "dealbreaker_best" (m, V, K) one-hot of the dimension whose smallest move flips the veto player
    (NaN where it does not reject), as a `model.stats.OneHot` of the (m, V) dimension codes; "dealbreaker_move"
    (m, V, K) the signed move on that best dimension that takes it to U - R = 0 (NaN on the other dimensions and
    where it does not reject or no single move suffices), as a `model.stats.ByCategory`; "dealbreaker_p_after"
    (m, V) P(accept) after the best single move (NaN likewise). The ZOPA and deal-breakers use U_i - R_i for every
    veto player (not the signatories' anticipation nor the partial veto players' own comparison).
    """
    n = draws.n
    x = arrays(coalition, draws, plan, world)
    r = ratification(coalition, draws)
    rho = draws[coalition.rho]
    p_accept, p_ratified = acceptance(x, r, rho)
    p_accept = np.broadcast_to(p_accept, (n, len(x.actors)))
    res: dict[str, np.ndarray] = {"p_adopted": adoption_probability(p_accept, r, rho)[:, 0]}
    for name, change in (alternatives or {}).items():
        alt = np.array(np.broadcast_to(x.plan, (n, len(x.dims))), dtype=float)
        for dim, value in change.items():
            alt[:, x.dims.index(dim)] = value
        p_alt, _ = acceptance(dataclasses.replace(x, plan=alt), r, rho)
        res[f"p_adopted@{name}"] = adoption_probability(np.broadcast_to(p_alt, (n, len(x.actors))), r, rho)[:, 0]
    accept = np.ascontiguousarray(p_accept.T)
    for i, a in enumerate(x.actors):
        res[f"p_accept.{a}"] = accept[i]
    for g, p_rat in p_ratified.items():
        res[f"p_ratified.{x.actors[g]}"] = np.broadcast_to(p_rat, (n,))
    for j in r.partial:  # 1 where the plan leaves all its dimensions at the status quo (its P(accept) is then 1)
        still = nothing_to_decide(x.plan, r.status_quo, r.controls[j])
        res[f"nothing_to_decide.{x.actors[j]}"] = np.broadcast_to(np.asarray(still, dtype=float), (n,))
    m = draws.detail_n
    if m == 0:
        return res
    c = min(m, ADOPTION_DETAIL_TRIALS - draws.first)  # the run's first ADOPTION_DETAIL_TRIALS, not each chunk's
    if c > 0:
        res.update(_adoption_details(coalition, x, r, p_accept[:c], np.asarray(rho)[:c] if np.ndim(rho) else rho,
                                     res["p_adopted"][:c]))
    K = len(x.dims)
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


ADOPTION_DETAIL_TRIALS = 20_000  # the stage, pivotal and partial-veto outputs: a nested integral per subset and trial


def _adoption_details(c: CoalitionBlock, x: CoalitionArrays, r: Ratification, p: np.ndarray, rho: np.ndarray | float,
                      adopted: np.ndarray) -> dict[str, np.ndarray]:
    """Stage, pivotal and partial-veto outputs of `compute` on the first m trials (p: (m, A)), all from one
    call of the nested copula (shared quadrature nodes, each country's factor computed once)."""
    full = list(r.full)
    stage_sets = [tuple(i for i in full if x.actors[i] in {a for st in c.stages[:k + 1] for a in st.actors})
                  for k in range(len(c.stages))]
    pivot_sets = [tuple(j for j in full if j != i) for i in full]
    partial_sets = [tuple(full + [j]) for j in r.partial]
    subsets = stage_sets + pivot_sets + partial_sets + ([tuple(full + list(r.partial))] if r.partial else [])
    probs = adoption_probability(p, r, rho, subsets)
    m = p.shape[0]
    out: dict[str, np.ndarray] = {}
    S, F, P_ = len(stage_sets), len(pivot_sets), len(partial_sets)
    through = probs[:, :S]
    previous = np.concatenate([np.ones((m, 1)), through[:, :-1]], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        conditional = np.where(previous > 0, through / previous, np.nan)
    for k, st in enumerate(c.stages):
        out[f"p_stage.{st.name}"] = np.ascontiguousarray(conditional[:, k])
        out[f"p_through.{st.name}"] = np.ascontiguousarray(through[:, k])
    pivotal = {i: probs[:, S + k] for k, i in enumerate(full)}
    for i, a in enumerate(x.actors):
        if i in pivotal:
            out[f"p_pivotal.{a}"] = np.ascontiguousarray(pivotal[i])
            out[f"p_sole_blocker.{a}"] = np.clip(pivotal[i] - adopted, 0.0, 1.0)
        elif i in r.partial:
            out[f"p_pivotal.{a}"] = adopted.copy()
            out[f"p_sole_blocker.{a}"] = np.zeros(m)
        else:
            out[f"p_pivotal.{a}"] = np.zeros(m)
    for k, j in enumerate(r.partial):
        out[f"p_reverted.{x.actors[j]}"] = np.clip(adopted - probs[:, S + F + k], 0.0, 1.0)
    if r.partial:
        out["p_adopted_in_full"] = np.ascontiguousarray(probs[:, S + F + P_])
    return out


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
    war = F.compute(cfg.forces, cfg.cession, draws, plan=W.forces_plan(cfg, draws),
                    claimed_km2=draws.full(cfg.war.claimed_km2))
    return compute(cfg.coalition, draws, plan=W.coalition_plan(cfg, draws), world=W.no_deal_war(cfg, draws, war))


# ------------------------------------------------------------------------------------------- report


def headline(s: Summaries) -> dict[str, Headline]:
    """P(adopted), P(adopted in full) (with partial veto players) and each veto player's P(accept) (the veto
    players are those with a sole-blocker output, a detail output: without detail outputs P(adopted) only)."""
    h = {"p_adopted": Headline("P(adopted)", s.estimate("p_adopted", proportion=True))}
    if "p_adopted_in_full" in s:
        h["p_adopted_in_full"] = Headline("P(adopted in full)", s.estimate("p_adopted_in_full", proportion=True))
    for key in s.acc:
        if key.startswith("p_sole_blocker."):  # written for veto players only
            actor = key.removeprefix("p_sole_blocker.")
            idle = _idle(s, actor)
            label = f"P({actor} accepts)" + (f" [{NOTHING_TO_DECIDE}]" if idle == 1.0 else "")
            h[f"p_accept.{actor}"] = Headline(label, s.estimate(f"p_accept.{actor}", proportion=True))
    return h


def per_draw(outputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each headline metric's value in each draw (trial), (n,) per metric, for `accord compare`: P(adopted |
    parameters), and P(adopted in full) and each veto player's P(accept) where they are outputs of the run."""
    keys = ["p_adopted", "p_adopted_in_full"] + [k for k in outputs if k.startswith("p_accept.")]
    return {k: np.asarray(outputs[k], dtype=float) for k in keys if k in outputs and np.ndim(outputs[k]) == 1}


def _est(s: Summaries, name: str, index: tuple = ()) -> list[float]:
    e = s.estimate(name, index, proportion=True)
    return [e.mean, e.se, e.lo, e.hi]


NOTHING_TO_DECIDE = "nothing to decide"


def _idle(s: Summaries, actor: str) -> float:
    """The share of trials in which the plan leaves a partial veto player's dimensions at the status quo (NaN
    for other actors)."""
    key = f"nothing_to_decide.{actor}"
    return float(s.estimate(key).mean) if key in s else float("nan")


def acceptance_table(c: CoalitionBlock, s: Summaries) -> Table:
    """Each actor's P(accept); note: for a partial veto player whose dimensions the plan leaves at the status
    quo, "nothing to decide" (its P(accept) is 1 there: nothing to veto), with the share of trials if not all."""
    stage = stage_of(c)
    rows = []
    for a in c.actors:
        idle = _idle(s, a.name)
        note = (NOTHING_TO_DECIDE + ": the plan leaves its dimensions at the status quo" if idle == 1.0 else
                f"{NOTHING_TO_DECIDE} in {idle:.1%} of the trials" if idle > 0 else "")
        rows.append([a.name, stage.get(a.name, "influence only"), a.veto, *_est(s, f"p_accept.{a.name}"), s.n_trials,
                     note])
    for st in c.stages:
        if f"p_stage.{st.name}" in s:  # a detail output
            e = s.estimate(f"p_stage.{st.name}", proportion=True)
            rows.append([f"(stage {st.name} passes | earlier passed)", st.name, True, e.mean, e.se, e.lo, e.hi, e.n,
                         ""])
    return Table(["actor", "stage", "veto", "p_accept", "se", "ci95_low", "ci95_high", "n_trials", "note"], rows)


def adoption_table(c: CoalitionBlock, s: Summaries) -> Table:
    stage = stage_of(c)
    rows = [["adopted", "(all full veto players)", "", *_est(s, "p_adopted"), s.n_trials]]
    if "p_pivotal." + c.actors[0].name not in s:  # no detail outputs (run.detail_trials: 0)
        return Table(["row", "actor", "stage", "probability", "se", "ci95_low", "ci95_high", "n_trials"], rows)

    def row(kind: str, actor: str, stage_name: str, key: str) -> list:
        e = s.estimate(key, proportion=True)
        return [kind, actor, stage_name, e.mean, e.se, e.lo, e.hi, e.n]

    if "p_adopted_in_full" in s:
        rows.append(row("adopted_in_full", "(and every partial veto player)", "", "p_adopted_in_full"))
    for a in c.actors:
        if a.controls:
            rows.append(row("adopted_reverted", a.name, stage[a.name], f"p_reverted.{a.name}"))
    for st in c.stages:
        rows.append(row("through_stage", "(all up to this stage)", st.name, f"p_through.{st.name}"))
    for a in c.actors:
        rows.append(row("pivotal", a.name, stage.get(a.name, "influence only"), f"p_pivotal.{a.name}"))
    for a in veto_names(c):
        rows.append(row("sole_blocker", a, stage[a], f"p_sole_blocker.{a}"))
    return Table(["row", "actor", "stage", "probability", "se", "ci95_low", "ci95_high", "n_trials"], rows)


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


def network_figure(c: CoalitionBlock, p_accept: dict[str, Estimate], n_trials: int) -> Figure:
    """The actor graph: node colour = P(accept) (its value and 95% interval beside the node), edge width =
    influence weight (mean), squares = veto players. Nodes sit on a circle; each name is written outside the
    circle, beside its node, so that neighbours' names do not overlap."""
    import networkx as nx
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    g = nx.DiGraph()
    g.add_nodes_from(a.name for a in c.actors)
    for e in c.influence.edges:
        g.add_edge(e.leaner, e.leaned_on, weight=e.weight.to_dist().mean())
    pos = nx.circular_layout(g)
    fig = plots.figure(figsize=(9, 7.5))
    ax = fig.subplots()
    cmap, norm = colormaps["RdYlGn"], Normalize(0, 1)
    for veto, shape in ((True, "s"), (False, "o")):
        nodes = [a.name for a in c.actors if a.veto == veto]
        nx.draw_networkx_nodes(g, pos, nodelist=nodes, node_shape=shape, ax=ax, node_size=500,
                               node_color=[cmap(norm(_mean(p_accept.get(a)))) for a in nodes],
                               edgecolors="black")
    widths = [1 + 12 * d["weight"] for _, _, d in g.edges(data=True)]
    nx.draw_networkx_edges(g, pos, ax=ax, width=widths, arrowsize=15, node_size=500, edge_color="grey",
                           alpha=0.8, connectionstyle="arc3,rad=0.08")
    for name, (x, y) in pos.items():
        # outside the circle along the node's radius, aligned away from the centre
        r = float(np.hypot(x, y)) or 1.0
        ux, uy = x / r, y / r
        ha = "left" if ux > 0.3 else "right" if ux < -0.3 else "center"
        va = "bottom" if uy > 0.3 else "top" if uy < -0.3 else "center"
        e = p_accept.get(name)
        ax.annotate(f"{name}\n{_interval_text(e)}", (x, y), xytext=(22 * ux, 22 * uy), textcoords="offset points",
                    ha=ha, va=va, fontsize=8, linespacing=1.1)
    ax.set(xlim=(-1.75, 1.75), ylim=(-1.35, 1.45), aspect="equal")
    fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, label="P(accept)", shrink=0.6)
    ax.set_title(f"Who leans on whom (arrow: leaner -> leaned on; width = weight; squares = veto players)\n"
                 f"P(accept) per actor, 95% CI, from {n_trials:,} trials", fontsize=10)
    ax.axis("off")
    from scenarios.report import caption

    return caption(fig, (f"The influence network: each actor coloured by its P(accept) (beside its name with the 95% "
                         f"interval; Monte Carlo over {n_trials:,} trials); arrows from the actor who leans to the one "
                         "leaned on, width proportional to the mean influence weight; squares are veto players."))


def _mean(e: Estimate | None) -> float:
    return float(e.mean) if e is not None else float("nan")


def _interval_text(e: Estimate | None) -> str:
    """P(accept) and its 95% interval for a figure (small probabilities with enough digits: number_text)."""
    if e is None:
        return "n/a"
    return f"{number_text(e.mean, True)} ({number_text(e.lo, True)}-{number_text(e.hi, True)})"


def acceptance_figure(table: Table, p_adopted: tuple[float, float, float], n_trials: int) -> Figure:
    recs = [r for r in table.records() if not str(r["actor"]).startswith("(")]
    fig = plots.figure(figsize=(7.5, 0.45 * len(recs) + 1.6))
    ax = fig.subplots()
    stages = list(dict.fromkeys(r["stage"] for r in recs))
    colours = {st: f"C{i}" for i, st in enumerate(stages)}
    y = np.arange(len(recs))[::-1]
    for yi, r in zip(y, recs):
        ax.barh(yi, r["p_accept"], color=colours[r["stage"]], alpha=0.85 if r["veto"] else 0.4)
        ax.errorbar(r["p_accept"], yi, xerr=[[max(r["p_accept"] - r["ci95_low"], 0.0)],
                                                 [max(r["ci95_high"] - r["p_accept"], 0.0)]],
                    color="black", capsize=3)
    ax.set_yticks(y, [f"{r['actor']} ({r['stage']})" + (f"\n{NOTHING_TO_DECIDE}" if str(r.get("note", ""))
                                                          .startswith(NOTHING_TO_DECIDE + ":") else "")
                      for r in recs], fontsize=8)
    ax.axvline(0.5, color="grey", ls=":")
    mean, lo, hi = p_adopted
    ax.set(xlim=(0, 1), xlabel="P(accept)")
    ax.set_title(f"Acceptance per actor (bars: 95% CI); P(adopted) = {number_text(mean, True)} "
                 f"(95% CI {number_text(lo, True)}-{number_text(hi, True)}), {n_trials:,} trials", fontsize=9)
    return fig


def zopa_figure(c: CoalitionBlock, table: Table) -> Figure:
    """Per dimension: the mean zone of possible agreement where it exists (green), the plan (diamond), each
    veto player's ideal point (ticks); on the right, P(ZOPA nonempty) with its 95% interval, written in a
    column of its own beside the axes (the layout keeps it inside the figure)."""
    from model.stats import wilson_interval

    recs = table.records()
    dims = [r["dimension"] for r in recs]
    n = max((int(r["n_trials"]) for r in recs), default=0)
    fig = plots.figure(figsize=(9, 0.5 * len(dims) + 2.4))
    fig.set_layout_engine("constrained")
    ax = fig.subplots()
    y = np.arange(len(dims))[::-1]
    vetoes = [a for a in c.actors if a.veto]
    right = ax.get_yaxis_transform()  # x in axes fraction, y in data
    for yi, r in zip(y, recs):
        if np.isfinite(r["zopa_low_mean"]) and r["p_zopa_nonempty"] > 0:
            ax.plot([r["zopa_low_mean"], r["zopa_high_mean"]], [yi, yi], lw=8, color="tab:green", alpha=0.5,
                    solid_capstyle="butt")
        ax.plot(r["plan_mean"], yi, "kD", ms=7)
        lo, hi = wilson_interval(r["p_zopa_nonempty"], int(r["n_trials"]))
        lo = lo if lo > 1e-12 else 0.0  # Wilson's bound at p = 0 is 0 (not rounding noise)
        ax.text(1.02, yi, f"{number_text(r['p_zopa_nonempty'], True)} ({number_text(lo, True)}-{number_text(hi, True)})",
                transform=right, va="center", fontsize=7)
    ax.text(1.02, 1.01, "P(ZOPA nonempty)\n(95% CI)", transform=ax.transAxes, fontsize=7, va="bottom")
    for j, a in enumerate(vetoes):
        xs = [a.ideal[d].to_dist().mean() for d in dims]
        ax.scatter(xs, y + 0.18 * ((j % 3) - 1) / 3, s=14, marker="|", color=f"C{j}", label=a.name, clip_on=False)
    ax.set_yticks(y, dims, fontsize=8)
    ax.set(xlim=(-0.03, 1.03), xlabel="position on the dimension (0-1)")
    ax.set_title(f"Zone of possible agreement per dimension, {n:,} trials (others at the plan; green = mean ZOPA where "
                 "it exists;\ndiamond = plan; ticks = veto players' ideal points before influence)", fontsize=8)
    fig.legend(fontsize=7, loc="outside lower center", ncol=4)
    from scenarios.report import caption

    return caption(fig, (f"Per negotiable dimension, with the other dimensions at the plan: the mean zone of possible "
                         f"agreement (green, where one exists), the plan (diamond) and each veto player's ideal point "
                         f"(ticks); at the right, P(ZOPA nonempty) with its 95% Wilson interval, from {n:,} trials "
                         "(the run's detail trials)."))


def tables_figures(config: Config, s: Summaries) -> tuple[dict[str, Table], dict[str, Figure]]:
    c: CoalitionBlock = config.model.coalition  # type: ignore[attr-defined]
    acc = acceptance_table(c, s)
    tables = {"acceptance": acc, "adoption": adoption_table(c, s)}
    pa = s.estimate("p_adopted", proportion=True)
    p_accept = {a.name: s.estimate(f"p_accept.{a.name}", proportion=True) for a in c.actors}
    figures = {"network": network_figure(c, p_accept, s.n_trials), "acceptance": acceptance_figure(acc, (pa.mean, pa.lo, pa.hi),
                                                                                        s.n_trials)}
    if "rejects" in s:  # detail outputs were computed (run.detail_trials > 0)
        tables |= {"dealbreakers": dealbreakers_table(c, s), "zopa": zopa_table(c, s)}
        figures["zopa"] = zopa_figure(c, tables["zopa"])
    return tables, figures


def in_full_sentence(c: CoalitionBlock, s: Summaries) -> str:
    """P(adopted in full) beside P(adopted), and what the gap means (a settlement's brief and the coalition's)."""
    pa, full = s.estimate("p_adopted", proportion=True), s.estimate("p_adopted_in_full", proportion=True)
    partial = [a.name for a in c.actors if a.controls]
    dims = sorted({d for a in c.actors for d in a.controls})
    idle = [a for a in partial if _idle(s, a) == 1.0]
    return (f"Partial veto players ({', '.join(partial)}) decide only the dimensions they control "
            f"({', '.join(dims)}); their rejection keeps those at the status quo and does not block adoption. "
            f"P(adopted in full), every one of them also accepting its part, is {full.mean:.2%} (95% CI "
            f"{full.lo:.2%}-{full.hi:.2%}; {full.n:,} trials) against P(adopted) {pa.mean:.2%}: the gap, "
            f"{pa.mean - full.mean:.2%}, is the chance that the plan is adopted with some of those dimensions reverted "
            "to the status quo (sanctions kept, assets frozen), a different deal from the one signed. Signatories "
            "anticipate the partial vetoes of their own country only, not those of other countries."
            + (f" {', '.join(idle)}: {NOTHING_TO_DECIDE} (the plan leaves their dimensions at the status quo)."
               if idle else ""))


def summary_text(config: Config, s: Summaries, tables: dict[str, Table]) -> str:
    c: CoalitionBlock = config.model.coalition  # type: ignore[attr-defined]
    label = config.model.title or config.stem
    pa = s.estimate("p_adopted", proportion=True)
    vetoes = veto_names(c)
    acc = {v: s.estimate(f"p_accept.{v}", proportion=True) for v in vetoes}
    least = min(vetoes, key=lambda v: acc[v].mean)
    detail = f"p_sole_blocker.{vetoes[0]}" in s
    blockers = sorted(vetoes, key=lambda v: -s.estimate(f"p_sole_blocker.{v}").mean) if detail else []
    lines = [
        "## In one sentence", "",
        (f"Under this config ({label}), the plan is adopted (every full veto player accepts, the signatories "
        f"anticipating their own ratification, decisions correlated within and across countries) with probability "
        f"{pa.mean:.2%} (s.e. {pa.se:.2%}; 95% CI {pa.lo:.2%}-{pa.hi:.2%}; {pa.n:,} simulated trials); the least "
        f"willing veto player is {least} (P(accept) {acc[least].mean:.1%}, s.e. {acc[least].se:.1%})."),
        "",
        *([in_full_sentence(c, s), ""] if "p_adopted_in_full" in s else []),
        "## Acceptance of the veto players", "",
        "| actor | stage | P(accept) | 95% CI | P(pivotal) |", "|---|---|---|---|---|",
    ]
    stage = stage_of(c)
    for v in vetoes:
        piv = f"{s.estimate(f'p_pivotal.{v}').mean:.3f}" if detail else "n/a"
        lines.append(f"| {v} | {stage[v]} | {acc[v].mean:.3f} | {acc[v].lo:.3f}-{acc[v].hi:.3f} | {piv} |")
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


def _coalition_arrays(cfg: Config, trials: int, seed: int, chunk: int
                      ) -> tuple[CoalitionArrays, Ratification, np.ndarray | float]:
    """The coalition's arrays for `trials` draws. A coalition block on its own needs only its own uncertain
    parameters; in a world (a settlement config or a view of one, with `terms`) the plan and the reservation
    values depend on the terms, the war model and the costs of war, so every parameter is drawn."""
    model = cfg.model
    world = getattr(model, "terms", None) is not None
    dists = {p: d for p, d in cfg.uncertain().items() if world or p.startswith("coalition.")}
    paths = {id(spec): path for path, (spec, _) in cfg.params().items()}
    sampler = P.Sampler(list(dists), seed, "mc")
    draws = Draws(P.draw(dists, sampler, chunk, trials), paths, trials)
    c = model.coalition
    if not world:
        x = arrays(c, draws)
    else:
        war = F.compute(model.forces, model.cession, draws, plan=W.forces_plan(model, draws),
                        claimed_km2=draws.full(model.war.claimed_km2))
        x = arrays(c, draws, W.coalition_plan(model, draws), W.no_deal_war(model, draws, war))
    return x, ratification(c, draws), draws[c.rho]


def _p_adopted_trials(x: CoalitionArrays, r: Ratification, rho: np.ndarray | float, plan: np.ndarray) -> np.ndarray:
    """Per-trial P(adopted) at a plan ((K,) or (n, K)), as `compute` has it (ideal points as moved by influence,
    signatories anticipating ratification, partial vetoes, the nested copula)."""
    from dataclasses import replace

    p, _ = acceptance(replace(x, plan=np.asarray(plan, dtype=float)), r, rho)
    n = max(p.shape[0], np.shape(rho)[0] if np.ndim(rho) else 1)
    return adoption_probability(np.broadcast_to(p, (n, p.shape[1])), r, rho)[:, 0]


def _move(before: float, after: float) -> str:
    """'0.75->0.48'; with a third decimal where two would print a change as no change ('0.850->0.846')."""
    digits = 2 if f"{before:.2f}" != f"{after:.2f}" else 3
    return f"{before:.{digits}f}->{after:.{digits}f}"


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
    search, search_r, search_rho = _coalition_arrays(cfg, trials, seed, 0)
    drawn = np.broadcast_to(search.plan, (trials, len(dims)))
    base = np.median(drawn, axis=0)  # the plan's median position per dimension (as mapped, in a world)

    def p_fn(xv: np.ndarray) -> float:
        plan = np.where(mask, xv, drawn)
        return float(np.mean(_p_adopted_trials(search, search_r, search_rho, plan)))

    found = M.search_amendments(p_fn, base, mask, penalties, seed=seed % (2**32), maxiter=maxiter, popsize=popsize)
    fresh, fresh_r, fresh_rho = _coalition_arrays(cfg, trials, seed, 1)
    drawn_fresh = np.broadcast_to(fresh.plan, (trials, len(dims)))
    before = _p_adopted_trials(fresh, fresh_r, fresh_rho, drawn_fresh)
    b_mean, b_se = float(before.mean()), float(before.std(ddof=1) / np.sqrt(trials))
    rows, records = [], []
    for am in found:
        after = _p_adopted_trials(fresh, fresh_r, fresh_rho, np.where(mask, am.plan, drawn_fresh))
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
        moves = ", ".join(f"{d} {_move(v['plan'], v['amended'])}" for d, v in r["changes"].items()) or "no change"
        text.append(f"penalty {r['penalty']:g}: {moves}; P(adopted) {r['p_adopted_after']:.3f} (s.e. "
                    f"{r['se_after']:.3f}), gain {r['gain']:+.3f} (s.e. {r['gain_se']:.3f})"
                    + ("" if r["raises_p_adopted"] else " [not a significant gain]"))
    if not any_raise:
        text += ["", ("No amendment over the negotiable dimensions raises P(adopted) by more than twice its Monte "
                 "Carlo standard error: the search cannot improve this plan's chance of adoption.")]
    figure = _amend_figure(records, b_mean, b_se, trials)
    data = {"config": cfg.path, "title": label, "negotiable": list(c.negotiable), "trials": trials, "seed": seed,
            "p_adopted_before": b_mean, "se_before": b_se, "raises_p_adopted": any_raise, "amendments": records}
    inputs = {"config": cfg.path, "files": cfg.files, "overrides": cfg.overrides, "penalties": list(penalties),
              "trials": trials, "seed": seed, "config_digest": cfg.digest()}
    return Report("amend", "\n".join(text), data, {"amendments": table}, {"amendments": figure}, inputs)


def _amend_figure(records: list[dict[str, Any]], b_mean: float, b_se: float, trials: int) -> Figure:
    fig = plots.figure(figsize=(6.5, 4))
    ax = fig.subplots()
    xs = [r["l1_change"] for r in records]
    ys = [r["p_adopted_after"] for r in records]
    es = [1.96 * r["se_after"] for r in records]
    ax.errorbar(xs, ys, yerr=es, fmt="o-", capsize=3, label="amended plan")
    for r in records:
        ax.annotate(f"penalty {r['penalty']:g}", (r["l1_change"], r["p_adopted_after"]), fontsize=7,
                    textcoords="offset points", xytext=(4, 4))
    ax.axhline(b_mean, color="grey", ls="--",
               label=f"as coded: {number_text(b_mean, True)} +- {number_text(1.96 * b_se, True)}")
    top = max([b_mean + 1.96 * b_se, *(y + e for y, e in zip(ys, es))], default=1.0)
    ax.set(xlabel="total change (L1 over the negotiable dimensions, 0-1 scale)", ylabel="P(adopted)",
           ylim=(0, min(1.02, 1.25 * top) if top > 0 else 1.02))
    ax.yaxis.set_major_formatter(lambda v, _: number_text(v, True))
    ax.legend(fontsize=8)
    ax.set_title(f"Amendments: P(adopted) against the size of the change\n(95% MC error bars; {trials:,} trials per "
                 "evaluation, common random numbers)", fontsize=9)
    return fig
