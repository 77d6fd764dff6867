"""Who accepts a plan: spatial utilities, random-utility acceptance, veto players, ratification stages,
Friedkin-Johnsen influence, the zone of possible agreement, deal-breakers and an amendment search.

Issue space. A plan is a point x in [0, 1]^K, one coordinate per issue dimension (for the Ukraine case:
territory, force cap, weapons limits, foreign troops, guarantee strength, sanctions relief, frozen assets,
NATO membership, domestic-policy points, elections, amnesty; the scaling of each is config). Actor i has an
ideal point x*_i in [0, 1]^K and saliences s_ik >= 0 (conventionally sum_k s_ik = 1, not enforced).

Loss function (weighted Minkowski distance raised to its power; Enelow & Hinich 1984 spatial utility):

    U_i(x) = - sum_k s_ik * |x_k - x*_ik| ** p          p > 0 (p = 1 linear loss, p = 2 quadratic loss)

Reservation value (the expected utility of no deal, e.g. the war going on):

    R_i = sum_j q_j * U_i(z_j) - c_i

over no-deal outcomes z_j with probabilities q_j and an extra expected cost c_i of having no deal
(casualties, economic damage; utility units).

Random-utility acceptance (McFadden 1974; logistic because the difference of two Gumbel errors is logistic):

    P(accept_i) = logistic((U_i(plan) - R_i) / sigma_i)          sigma_i > 0, utility units

Veto players (Tsebelis 2002) and two-level ratification (Putnam 1988): the plan is adopted only if every
actor in every stage accepts; stages are ordered (government signatures, then parliaments, referendums,
...). Acceptances are independent given the utilities, or share a common shock: actor i accepts iff
sqrt(rho) C + sqrt(1 - rho) E_i < Phi^-1(P(accept_i)), with C, E_i iid N(0, 1) (a one-factor Gaussian
copula; each actor's marginal P(accept_i) is unchanged). Then for a set S of actors

    P(all of S accept) = E_C[ prod_{i in S} Phi((Phi^-1(p_i) - sqrt(rho) C) / sqrt(1 - rho)) ]

which equals prod_{i in S} p_i at rho = 0 and min_{i in S} p_i at rho = 1; the expectation over C is
computed by Gauss-Legendre quadrature on C, split where each actor's conditional acceptance switches
(no sampling; absolute error below 1e-6 for rho <= 0.999, and exact at rho = 0 and rho = 1).

Influence (Friedkin & Johnsen 1990, 1999): before deciding, actors' ideal points move under pressure from
those who lean on them:

    x(t+1) = Lambda W x(t) + (I - Lambda) x(0)
    x(inf) = (I - Lambda W)^-1 (I - Lambda) x(0)        when I - Lambda W is invertible

W row-stochastic (W_ij: weight actor i gives to actor j's position), Lambda = diag(susceptibility),
susceptibility in [0, 1]. Applied to each issue dimension separately.

Pivotal actors: in a trial, veto player i is pivotal when every other veto player accepts (the plan is
then adopted iff i accepts): P(pivotal_i) = P(all veto j != i accept) = P(adopted) + P(fails only because
of i); at rho = 0 it is prod_{j != i} p_j. Non-veto actors are never pivotal.

Zone of possible agreement on dimension k (others held at the plan): the values v with
U_i(plan with x_k = v) >= R_i (equivalently P(accept_i) >= 1/2) for every veto player; because the loss is
separable this is an intersection of intervals |v - x*_ik| <= ((U_i(plan) + s_ik |plan_k - x*_ik|^p - R_i)
/ s_ik)^(1/p), a closed form for any p (no root finding); it may be empty.

Deal-breakers: for an actor with P(accept) < 1/2, the smallest single-dimension move of the plan that takes
it to P(accept) = p_target (the distance from plan_k to the interval above with R_i raised by
sigma_i logit(p_target)), and P(accept) re-evaluated after the move.

Amendments: maximise P(adopted)(x) - lambda ||x - plan||_1 over the negotiable dimensions with
differential evolution (Storn & Price 1997), for a set of lambdas.

Array shapes (n = n_trials, A = n_actors, K = n_dims). Every input may omit the leading trial axis, and
broadcasts: ideal points and saliences (n, A, K) or (A, K); plan (n, K) or (K,); reservation values,
scales (n, A), (A,) or scalars; acceptance (n, A).

Vectorised over trials; loops run only over actors, stages or rounds.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
from scipy import optimize, special

#: Issue dimensions of the Ukraine case, in the order configs use by default.
UKRAINE_DIMENSIONS: tuple[str, ...] = (
    "territory",
    "force_cap",
    "weapons_limits",
    "foreign_troops",
    "guarantee_strength",
    "sanctions_relief",
    "frozen_assets",
    "nato_membership",
    "domestic_policy",
    "elections",
    "amnesty",
)

# Quadrature for the common shock C ~ N(0, 1): Gauss-Legendre on segments of [-8.5, 8.5] cut at a unit grid
# and at each actor's switch point c_i = Phi^-1(p_i) / sqrt(rho) and c_i +- 1, 3 transition widths
# sqrt((1 - rho) / rho), so the integrand stays resolved as rho -> 1. Against scipy.integrate.quad, the
# absolute error is below 1e-6 for rho <= 0.999 (checked while writing this module).
_SHOCK_RANGE = 8.5
_SHOCK_GRID = np.arange(-_SHOCK_RANGE, _SHOCK_RANGE + 1e-9, 1.0)
_gl_nodes, _gl_weights = np.polynomial.legendre.leggauss(8)
_SEGMENT_NODES = 0.5 * (_gl_nodes + 1.0)
_SEGMENT_WEIGHTS = 0.5 * _gl_weights


# --------------------------------------------------------------------------------------------- utilities


def _loss_in_place(distance: np.ndarray, loss_power: float) -> np.ndarray:
    """|distance| ** p, overwriting `distance` (a fresh array); square and abs need no `**` for p = 2, 1."""
    if loss_power == 2.0:
        return np.multiply(distance, distance, out=distance)
    np.abs(distance, out=distance)
    if loss_power != 1.0:
        np.power(distance, loss_power, out=distance)
    return distance


def utility(
    position: np.ndarray, ideal: np.ndarray, salience: np.ndarray, loss_power: float = 2.0
) -> np.ndarray:
    """Spatial utility U_i(x) = - sum_k s_ik |x_k - x*_ik|^p of a position for every actor.

    position: (n, K) or (K,), each coordinate in [0, 1]; ideal, salience: (n, A, K) or (A, K);
    loss_power p > 0 (1 linear, 2 quadratic). Returns (n, A) (or (A,) without a trial axis); <= 0.
    """
    position = np.asarray(position, dtype=float)
    ideal = np.asarray(ideal, dtype=float)
    salience = np.asarray(salience, dtype=float)
    if loss_power == 2.0 and position.ndim >= 2 and ideal.ndim == 2 and salience.ndim == 2:
        # Actors shared by all trials: expand the square, sum_k s (x - m)^2 = s.x^2 - 2 (s m).x + (s m).m, so
        # the sums over K are matrix products and no (n, A, K) temporary is needed. Equal to the direct sum
        # up to rounding (~1e-16 for coordinates and saliences of order 1); a loss is never negative.
        weighted_ideal = salience * ideal
        if position.ndim == 2:
            # actor-major (A, n) rows, returned transposed: the (n, A) result is Fortran-ordered, so each
            # actor's column (a per-actor output) is contiguous; same values
            loss = _loss_rows(position, ideal, salience)
            np.maximum(loss, 0.0, out=loss)
            return np.negative(loss, out=loss).T
        loss = (position * position) @ salience.T - 2.0 * (position @ weighted_ideal.T)
        loss += np.sum(weighted_ideal * ideal, axis=-1)
        return -np.maximum(loss, 0.0)
    loss = _loss_in_place(position[..., None, :] - ideal, loss_power)
    return -np.einsum("...k,...k->...", salience, loss)


def _loss_rows(position: np.ndarray, ideal: np.ndarray, salience: np.ndarray, shift: np.ndarray | None = None
               ) -> np.ndarray:
    """The quadratic loss sum_k s_ik (x_k - x*_ik)^2 (+ shift_i) as (A, n) rows, for positions (n, K) and
    actors shared by all trials (A, K): one matrix product [s, -2 s m, (s m).m + shift] @ [x^2; x; 1] (the
    square expanded; equal to the direct sum up to rounding, ~1e-16 for coordinates and saliences of order
    1, so it may come out a rounding below 0)."""
    pos = np.asarray(position, dtype=float).T
    K, n = pos.shape
    stacked = np.empty((2 * K + 1, n))
    np.multiply(pos, pos, out=stacked[:K])
    stacked[K:2 * K] = pos
    stacked[2 * K] = 1.0
    weighted_ideal = salience * ideal
    constant = np.sum(weighted_ideal * ideal, axis=-1, keepdims=True)
    if shift is not None:
        constant = constant + np.reshape(shift, (-1, 1))
    return np.concatenate([salience, -2.0 * weighted_ideal, constant], axis=1) @ stacked


def reservation_value(
    no_deal_outcomes: np.ndarray,
    ideal: np.ndarray,
    salience: np.ndarray,
    outcome_probabilities: np.ndarray | None = None,
    cost_of_no_deal: np.ndarray | float = 0.0,
    loss_power: float = 2.0,
    beliefs_per_actor: bool = False,
) -> np.ndarray:
    """Expected utility of no deal, R_i = sum_j q_ij U_i(z_j) - c_i.

    Without outcome_probabilities, no_deal_outcomes is one state of the world: (n, K) or (K,). With
    outcome_probabilities, no_deal_outcomes holds J possible states: (n, J, K) or (J, K), and q sums to 1
    over J: shared by all actors, (n, J) or (J,); or, with beliefs_per_actor=True, each actor's own beliefs
    (n, A, J) or (A, J) (e.g. the challenger more optimistic about the war than the defender).
    cost_of_no_deal c_i: (n, A), (A,) or scalar, utility units >= 0 (the war's expected cost to actor i
    beyond the issue positions). Returns (n, A) (or (A,)).
    """
    z = np.asarray(no_deal_outcomes, dtype=float)
    if outcome_probabilities is None:
        return utility(z, ideal, salience, loss_power) - cost_of_no_deal
    ideal = np.asarray(ideal, dtype=float)
    salience = np.asarray(salience, dtype=float)
    # z (..., J, K) against ideal (..., 1, A, K): utilities (..., J, A).
    u = utility(z, ideal[..., None, :, :], salience[..., None, :, :], loss_power)
    q = np.asarray(outcome_probabilities, dtype=float)
    q = np.swapaxes(q, -1, -2) if beliefs_per_actor else q[..., :, None]  # (..., J, A) or (..., J, 1)
    return np.sum(q * u, axis=-2) - cost_of_no_deal


def acceptance_probability(
    plan: np.ndarray,
    ideal: np.ndarray,
    salience: np.ndarray,
    reservation: np.ndarray | float,
    scale: np.ndarray | float,
    loss_power: float = 2.0,
) -> np.ndarray:
    """P(accept_i) = logistic((U_i(plan) - R_i) / sigma_i) (McFadden 1974).

    plan: (n, K) or (K,); ideal, salience: (n, A, K) or (A, K); reservation R_i: (n, A), (A,) or scalar;
    scale sigma_i > 0 (utility units; smaller = more decisive): (n, A), (A,) or scalar. Returns (n, A).
    """
    plan, ideal, salience = (np.asarray(a, dtype=float) for a in (plan, ideal, salience))
    if loss_power == 2.0 and plan.ndim == 2 and ideal.ndim == 2 and salience.ndim == 2:
        # actor-major (A, n) rows, in place, returned transposed (contiguous per-actor columns):
        # (R - U) / sigma = (loss + R) / sigma, a reservation shared by all trials folded into the product
        A, n = ideal.shape[0], plan.shape[0]
        shared = np.ndim(reservation) < 2
        rows = _loss_rows(plan, ideal, salience, np.broadcast_to(reservation, (A,)) if shared else None)
        if not shared:
            rows += np.broadcast_to(reservation, (n, A)).T
        rows /= np.broadcast_to(scale, (n, A)).T
        return _logistic_of_negative(rows).T
    u = utility(plan, ideal, salience, loss_power)
    return special.expit((u - reservation) / scale)


def _logistic_of_negative(t: np.ndarray) -> np.ndarray:
    """logistic(-t) = 1 / (1 + exp(t)), overwriting t (a fresh float array): the same values as
    scipy.special.expit(-t) to a few ulps, in a third of its time (numpy's exp is vectorised). exp overflows
    to inf for t > 709, giving 0 exactly, as expit does."""
    with np.errstate(over="ignore"):
        np.exp(t, out=t)
    t += 1.0
    return np.reciprocal(t, out=t)


# ------------------------------------------------------------------------------------- veto and stages


class _CommonShock:
    """P(all of S accept) for subsets S of a fixed set of veto players, on one shared quadrature.

    Sharing the nodes makes the quadrature sums exactly monotone in S (a subset never has a lower
    probability), as the true probabilities are. p: (..., M) acceptance of the veto players; rho: scalar
    or (...,) in [0, 1].
    """

    def __init__(self, p: np.ndarray, rho: np.ndarray):
        self.p = np.clip(p, 0.0, 1.0)
        batch = self.p.shape[:-1]
        self.rho = np.broadcast_to(rho, batch)
        self.independent = bool(np.all(self.rho == 0.0))
        self.comonotone = bool(np.all(self.rho == 1.0))
        if self.independent or self.comonotone:
            return
        r = np.clip(self.rho, 0.0, 1.0 - 1e-12)[..., None]
        loading, spread = np.sqrt(r), np.sqrt(1.0 - r)
        threshold = special.ndtri(self.p)  # -inf / +inf at p = 0 / 1 propagate through ndtr
        with np.errstate(divide="ignore", invalid="ignore"):
            switch = threshold / loading
            width = spread / loading
            cuts = [switch] + [switch + sign * k * width for k in (1.0, 3.0) for sign in (-1.0, 1.0)]
        cuts = np.nan_to_num(np.concatenate(cuts, axis=-1), nan=-_SHOCK_RANGE)
        cuts = np.clip(cuts, -_SHOCK_RANGE, _SHOCK_RANGE)
        grid = np.broadcast_to(_SHOCK_GRID, batch + _SHOCK_GRID.shape)
        edges = np.sort(np.concatenate([grid, cuts], axis=-1), axis=-1)
        seg = np.diff(edges, axis=-1)[..., None]
        shock = (edges[..., :-1, None] + seg * _SEGMENT_NODES).reshape(batch + (-1,))
        self.weight = (
            (seg * _SEGMENT_WEIGHTS).reshape(batch + (-1,)) * np.exp(-0.5 * shock**2) / np.sqrt(2.0 * np.pi)
        )
        # Conditional acceptance of each veto player given the shock, one (..., nodes) array per player.
        self.factors = [
            special.ndtr((threshold[..., j, None] - loading * shock) / spread)
            for j in range(self.p.shape[-1])
        ]

    def p_all(self, members: Sequence[int]) -> np.ndarray:
        """P(all veto players with these column indices accept), (...,)."""
        batch = self.p.shape[:-1]
        if len(members) == 0:
            return np.ones(batch)
        p = self.p[..., list(members)]
        independent = np.prod(p, axis=-1)
        comonotone = np.min(p, axis=-1)
        if self.independent:
            return independent
        if self.comonotone:
            return comonotone
        integrand = np.ones_like(self.weight)
        for j in members:
            integrand = integrand * self.factors[j]
        mixed = np.minimum(np.sum(self.weight * integrand, axis=-1), comonotone)  # Frechet bound
        return np.where(self.rho == 0.0, independent, np.where(self.rho >= 1.0, comonotone, mixed))


@dataclass(frozen=True)
class Adoption:
    """Adoption of a plan through ordered ratification stages.

    p_adopted: (n,) P(every stage passes).
    p_stage_cumulative: (n, n_stages) P(stages 1..k all pass).
    p_stage_conditional: (n, n_stages) P(stage k passes | stages before it passed) (NaN if unreachable).
    p_pivotal: (n, A) P(actor i is pivotal) = P(every other veto player accepts); 0 for non-veto actors.
    p_pivotal_blocking: (n, A) P(the plan fails only because of i) = P(others accept, i rejects).
    veto: (A,) bool, actor belongs to some stage.
    common_shock_correlation: rho used, scalar or (n,).
    """

    p_adopted: np.ndarray
    p_stage_cumulative: np.ndarray
    p_stage_conditional: np.ndarray
    p_pivotal: np.ndarray
    p_pivotal_blocking: np.ndarray
    veto: np.ndarray
    common_shock_correlation: np.ndarray


def adoption(
    p_accept: np.ndarray,
    stages: Sequence[Sequence[int]],
    common_shock_correlation: np.ndarray | float = 0.0,
) -> Adoption:
    """P(adopted) through ordered veto stages (Tsebelis 2002; Putnam 1988).

    p_accept: (n, A) acceptance probabilities (a column may also be a voting body's probability of passing,
    e.g. from model.power). stages: ordered lists of actor indices; every actor of every stage is a veto
    player, actors in no stage only influence others. common_shock_correlation rho in [0, 1], scalar or
    (n,):
    0 = independent decisions, P(adopted) = prod_{veto i} p_i; 1 = one shared shock, P = min_i p_i.

    P(stage k passes | earlier passed) = P(all in stages 1..k) / P(all in stages 1..k-1).
    Pivotal (vectorised over trials): veto player i is pivotal in a trial when all other veto players
    accept: then the plan is adopted iff i accepts, so P(pivotal_i) = P(all veto j != i accept)
    = P(adopted) + P(only i rejects); at rho = 0 this is prod_{j != i} p_j (Banzhaf-style).
    """
    p_accept = np.asarray(p_accept, dtype=float)
    rho = np.clip(np.asarray(common_shock_correlation, dtype=float), 0.0, 1.0)
    n_actors = p_accept.shape[-1]
    batch = p_accept.shape[:-1]
    members: list[int] = []
    stage_members: list[list[int]] = []
    for stage in stages:
        members = members + [i for i in stage if i not in members]
        stage_members.append(list(members))
    if members and np.all(rho == 0.0):
        return _adoption_independent(p_accept, members, stage_members, rho)
    column = {actor: j for j, actor in enumerate(members)}
    shock = _CommonShock(p_accept[..., members], rho)
    p_cumulative = [shock.p_all([column[i] for i in upto]) for upto in stage_members]
    p_stage_cumulative = np.stack(p_cumulative, axis=-1) if stages else np.ones(batch + (0,))
    previous = np.concatenate([np.ones(batch + (1,)), p_stage_cumulative[..., :-1]], axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        p_stage_conditional = np.where(previous > 0, p_stage_cumulative / previous, np.nan)
    p_adopted = p_stage_cumulative[..., -1] if stages else np.ones(batch)

    veto = np.zeros(n_actors, dtype=bool)
    veto[members] = True
    p_pivotal = np.zeros(batch + (n_actors,))
    for i in members:
        p_pivotal[..., i] = shock.p_all([column[j] for j in members if j != i])
    p_blocking = np.clip(p_pivotal - p_adopted[..., None], 0.0, 1.0) * veto
    return Adoption(p_adopted, p_stage_cumulative, p_stage_conditional, p_pivotal, p_blocking, veto, rho)


def _adoption_independent(
    p_accept: np.ndarray, members: list[int], stage_members: list[list[int]], rho: np.ndarray
) -> Adoption:
    """`adoption` at rho = 0 from running products: with the veto players in stage order, the stages' P(all
    accept) are prefix products, and P(all but i accept) = prefix_{<i} suffix_{>i}. Computed actor-major
    ((M, ...) rows, contiguous) and returned with the actor axis last, as `adoption` does."""
    n_actors = p_accept.shape[-1]
    batch = p_accept.shape[:-1]
    rows = np.moveaxis(p_accept, -1, 0)[members]  # (M, ...): a row gather, cheap for actor-major input
    np.clip(rows, 0.0, 1.0, out=rows)
    M = len(members)
    # running products row by row (np.cumprod over the short leading axis is several times slower); slices
    # keep (1, ...) views so that out= works without a trial axis too
    prefix, suffix = np.empty_like(rows), np.empty_like(rows)  # prod_{k <= j}, prod_{k >= j}
    prefix[0], suffix[M - 1] = rows[0], rows[M - 1]
    for j in range(1, M):
        np.multiply(prefix[j - 1:j], rows[j:j + 1], out=prefix[j:j + 1])
        np.multiply(suffix[M - j:M - j + 1], rows[M - 1 - j:M - j], out=suffix[M - 1 - j:M - j])
    one = np.ones((1,) + batch)
    cumulative = np.stack([prefix[len(upto) - 1] for upto in stage_members])  # (S, ...)
    previous = np.concatenate([one, cumulative[:-1]])
    with np.errstate(invalid="ignore", divide="ignore"):
        conditional = np.where(previous > 0, cumulative / previous, np.nan)
    p_adopted = cumulative[-1]
    veto = np.zeros(n_actors, dtype=bool)
    veto[members] = True
    pivotal, blocking = np.zeros((n_actors,) + batch), np.zeros((n_actors,) + batch)
    for j, i in enumerate(members):
        row = slice(i, i + 1)
        np.multiply(prefix[j - 1:j] if j > 0 else one, suffix[j + 1:j + 2] if j < M - 1 else one, out=pivotal[row])
        # mathematically pivotal_i >= P(adopted) = pivotal_i p_i; the max only absorbs the rounding
        np.subtract(pivotal[row], p_adopted, out=blocking[row])
        np.maximum(blocking[row], 0.0, out=blocking[row])

    def last(a: np.ndarray) -> np.ndarray:  # (X, ...) -> (..., X), a view
        return np.moveaxis(a, 0, -1)

    return Adoption(p_adopted, last(cumulative), last(conditional), last(pivotal), last(blocking), veto, rho)


# --------------------------------------------------------------- nested copula: countries and ratification

#: Gauss-Hermite nodes per level of the nested copula (the global factor; a group's own factor for r <= 1/2).
#: `equicorrelated_orthant` errs most at a correlation near 1/2, where its two forms meet: against
#: scipy.stats.multivariate_normal.cdf, 2.4e-5 absolute at r = 0.5, below 4e-6 at r = 0.75 and 1e-7 at r = 0.25
#: (12 nodes: 5e-6 at r = 0.5; 16: 2e-7). Nested (`_group_given_factor` for a country's group), against a 40 x 40
#: Gauss-Hermite reference on the shipped distributions: the mean of P(adopted) within 1e-6 relative, each trial
#: within 6e-4 relative (8 nodes: 1.3e-5 and 2.6e-3). tests/test_ratification.py asserts 3e-5 (one level) and
#: 5e-5 (nested, random block-correlated cases) against the oracle.
NESTED_NODES = 10


@functools.cache
def _hermite_rule(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Hermite nodes and weights for E[f(Z)], Z ~ N(0, 1) (probabilists' Hermite, weights sum to 1).
    Computed once per n (read-only): an amendment search asks for them thousands of times."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(n)
    weights = weights / np.sqrt(2.0 * np.pi)
    nodes.flags.writeable = weights.flags.writeable = False
    return nodes, weights


def equicorrelated_orthant(x: np.ndarray, r: np.ndarray | float, n_nodes: int = NESTED_NODES) -> np.ndarray:
    """P(W_i < x_i for every i) for W ~ N(0, R), R_ij = r (i != j), r in [0, 1]: the probability that every
    member of a group with a one-factor Gaussian copula (Gaussian thresholds x_i = Phi^-1(p_i)) accepts.

        P = E_C[ prod_i Phi((x_i - sqrt(r) C) / sqrt(1 - r)) ],   C ~ N(0, 1)

    exactly prod_i Phi(x_i) at r = 0 and Phi(min_i x_i) at r = 1 (comonotone). In between, Gauss-Hermite in C
    for r <= 1/4 (the integrand varies on a scale sqrt(1 - r) / sqrt(r) >= sqrt(3)); for r > 1/4 the least
    willing member's factor is integrated in closed form and the rest, which vanishes outside a window of +-7
    idiosyncratic s.d., by the trapezoid rule (`_orthant_given_mean`).
    x: (..., M) thresholds (+-inf allowed); r: scalar or (...,). Returns (...).
    """
    x = np.asarray(x, dtype=float)
    batch, M = x.shape[:-1], x.shape[-1]
    if M == 0:
        return np.ones(batch)
    if M == 1:
        return special.ndtr(x[..., 0])
    r = np.broadcast_to(np.clip(np.asarray(r, dtype=float), 0.0, 1.0), batch)
    out = np.empty(batch)
    one = r >= 1.0
    if np.any(one):
        out[one] = special.ndtr(np.min(x[one], axis=-1))
    low = (r > 0.0) & (r <= _TRAPEZOID_MIN_R)
    high = (r > _TRAPEZOID_MIN_R) & (r < 1.0)
    rest = ~(one | low | high)  # r = 0 (or NaN): independent
    if np.any(rest):
        out[rest] = np.prod(special.ndtr(x[rest]), axis=-1)
    z, w = _hermite_rule(n_nodes)
    if np.any(low):
        xl, rl = x[low], r[low][:, None, None]
        factors = special.ndtr((xl[..., None] - np.sqrt(rl) * z) / np.sqrt(1.0 - rl))  # (k, M, N)
        out[low] = np.prod(factors, axis=-2) @ w
    if np.any(high):
        out[high] = _orthant_given_mean(x[high], r[high], np.zeros((int(np.sum(high)), 1)))[:, 0]
    return out


def nested_orthant(
    thresholds: np.ndarray,
    country: np.ndarray | Sequence[int],
    rho_across: np.ndarray | float,
    rho_within: np.ndarray | float,
    subsets: Sequence[Sequence[int]],
    n_nodes: int = NESTED_NODES,
) -> np.ndarray:
    """P(every actor of S accepts), for each subset S, under a nested one-factor Gaussian copula.

    Actor i of country c accepts iff its latent

        Z_i = sqrt(rho_g) G + sqrt(rho_c - rho_g) C_c + sqrt(1 - rho_c) E_i  <  t_i = Phi^-1(p_i)

    with G (global), C_c (one per country) and E_i independent N(0, 1): two actors of one country are correlated
    rho_c, of two countries rho_g (a nested factor model; McNeil, Frey & Embrechts 2005, ch. 3.4; the nested
    Gaussian copula of Hofert & Scherer 2011). rho_c < rho_g is read as rho_c = rho_g (the nesting needs
    rho_c >= rho_g). Each actor's marginal P(accept) stays p_i. Given G = g, countries are independent:

        P(S) = E_G[ prod_c Phi_{|S_c|}((t_i - sqrt(rho_g) g) / sqrt(1 - rho_g), i in S_c; r'_c) ],
        r'_c = (rho_c - rho_g) / (1 - rho_g)

    with `equicorrelated_orthant` inside and Gauss-Hermite over G outside. Exact closed forms: the product of the
    p_i when every correlation is 0; the minimum when rho_g = 1; the product over countries of each country's
    minimum when rho_g = 0 and every rho_c = 1 (a country's actors then decide as one). In between the
    quadrature error is ~1e-5 (see NESTED_NODES).

    thresholds: (n, A) t_i (+-inf allowed); country: (A,) country index 0..C-1 of each actor; rho_across:
    scalar or (n,); rho_within: (C,) or (n, C); subsets: actor index lists. Returns (n, len(subsets)).
    """
    t = np.asarray(thresholds, dtype=float)
    n = t.shape[0]
    country = np.asarray(country, dtype=int)
    rg = np.clip(np.broadcast_to(np.asarray(rho_across, dtype=float), (n,)), 0.0, 1.0)
    n_countries = int(country.max()) + 1 if country.size else 0
    rc = np.clip(np.broadcast_to(np.asarray(rho_within, dtype=float), (n, n_countries)), 0.0, 1.0)
    rc = np.maximum(rc, rg[:, None])
    comonotone = rg >= 1.0
    rg_safe = np.where(comonotone, 0.0, rg)  # those trials take the closed form below
    if np.all(rg_safe == 0.0):
        g, w = np.zeros(1), np.ones(1)  # no global factor: exact with one node
    else:
        g, w = _hermite_rule(n_nodes)
    loading, spread = np.sqrt(rg_safe)[:, None], np.sqrt(1.0 - rg_safe)[:, None]
    within = (rc - rg_safe[:, None]) / (1.0 - rg_safe[:, None])  # (n, C) conditional correlation given G
    shift = loading * g  # (n, N): sqrt(rho_g) g, shared by every country
    cache: dict[tuple[int, ...], np.ndarray] = {}

    def country_factor(members: tuple[int, ...]) -> np.ndarray:  # (n, N): P(members accept | G = node)
        if members not in cache:
            if len(members) == 1:
                x = np.subtract(t[:, list(members)], shift)
                x /= spread
                cache[members] = special.ndtr(x, out=x)
            else:
                cache[members] = _group_given_factor(t[:, list(members)], shift, spread[:, 0],
                                                     within[:, country[members[0]]], n_nodes)
        return cache[members]

    out = np.empty((n, len(subsets)))
    for k, subset in enumerate(subsets):
        subset = list(subset)
        if not subset:
            out[:, k] = 1.0
            continue
        integrand = None
        for c in dict.fromkeys(country[subset]):
            factor = country_factor(tuple(i for i in subset if country[i] == c))
            if integrand is None:
                integrand = factor.copy()
            else:
                integrand *= factor
        out[:, k] = integrand @ w
        if np.any(comonotone):
            out[comonotone, k] = special.ndtr(np.min(t[comonotone][:, subset], axis=-1))
    return np.clip(out, 0.0, 1.0)


@dataclass(frozen=True)
class _Trapezoid:
    """An equally spaced rule on [-7, 7] (units of the members' own noise s) for `_orthant_given_mean`, for group
    correlations r in (r_min, r_max]: nodes u_j, step, lead_j = Phi(-u_j) times the trapezoid weight, and the
    clip of the kernel offset z that keeps exp(eta z (nodes - 1)) below exp(600) (eta <= step sqrt((1 - r_min) /
    r_min)); a node further out adds below exp(-80) (the kernel at the window's nearest node)."""

    r_min: float
    r_max: float
    nodes: int

    @functools.cached_property
    def u(self) -> np.ndarray:
        return np.linspace(-_TRAPEZOID_HALF_WIDTH, _TRAPEZOID_HALF_WIDTH, self.nodes)

    @property
    def step(self) -> float:
        return 2.0 * _TRAPEZOID_HALF_WIDTH / (self.nodes - 1)

    @functools.cached_property
    def lead(self) -> np.ndarray:
        return special.ndtr(-self.u) * np.r_[0.5, np.ones(self.nodes - 2), 0.5] * self.step

    @property
    def half(self) -> int:
        """(J - 1) / 2, the middle node's index (J odd: the kernel's mirror image in `_trapezoid_orthant`)."""
        if self.nodes % 2 != 1:
            raise ValueError(f"a trapezoid rule needs an odd number of nodes, got {self.nodes}")
        return (self.nodes - 1) // 2

    @functools.cached_property
    def offsets(self) -> np.ndarray:
        """|j'| = 0, 1, ..., half (float)."""
        return np.arange(self.half + 1, dtype=float)

    @property
    def z_clip(self) -> float:
        eta_max = self.step * np.sqrt((1.0 - self.r_min) / self.r_min)
        return min(40.0, 600.0 / (eta_max * (self.nodes - 1)))


#: Beyond +-7 s of the least willing member's threshold the integrand of `_orthant_given_mean` is below
#: Phi(-7) = 1.3e-12. Two rules (the kernel is narrower in units of s when r is smaller). Against
#: scipy.integrate.quad on two sets of 1,500 random groups of 2-4 members (thresholds N(0, 2^2), factor means
#: N(0, 2^2); r uniform on (1/4, 1), and in the second set for two thirds of the groups just above 1/4 or 1/2,
#: where each rule's kernel is narrowest): absolute error below 6e-7 with 21 nodes for r in (1/2, 1) (19 nodes:
#: 4e-6; 23: 4e-8; 25: 2e-9), below 4e-7 with 27 nodes for r in (1/4, 1/2] (25: 2e-6; 33: 6e-10); relative
#: below 2e-5 wherever P > 1e-6 (tests/test_ratification.py asserts 1e-6 and 1e-4). The node counts balance the
#: error budget: the outer Gauss-Hermite level errs by up to 2.4e-5 (NESTED_NODES), 40 times more. The 25 and 33
#: nodes used until December 2026 bought digits the result does not have, for 10-20% more of this rule's CPU.
_TRAPEZOID_HALF_WIDTH = 7.0
_TRAPEZOID_RULES = (_Trapezoid(0.5, 1.0, 21), _Trapezoid(0.25, 0.5, 27))
_TRAPEZOID_MIN_R = 0.25  # below it, Gauss-Hermite over the group's factor (`equicorrelated_orthant`)
_TRAPEZOID_BLOCK = 4096  # trials per block (the (block, N) running sums stay in the CPU cache)


def _orthant_given_mean(tau: np.ndarray, r: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """E_Y[ prod_i Phi((tau_i - Y) / s) ], Y ~ N(mu_n, r), s = sqrt(1 - r), r in (1/4, 1): the probability that
    every member of a group with correlation r accepts when its common factor has mean mu_n (a node of the global
    factor; mu = 0 for a group alone). tau (k, m); r (k,); mu (k, N). Returns (k, N).

    With tau_1 the least willing member's threshold, S(y) = Phi((tau_1 - y) / s) its factor and H(y) the product,

        P_n = Phi(tau_1 - mu_n) + int (H - S)(y) phi((y - mu_n) / l) / l dy,     l = sqrt(r)

    (the first term is E_Y[S(Y)] in closed form, as s^2 + l^2 = 1). H - S = -S (1 - prod_{i > 1} Phi((tau_i - y)
    / s)) vanishes like a Gaussian at both ends of [tau_1 - 7 s, tau_1 + 7 s] and is analytic, so the trapezoid
    rule on equally spaced nodes converges geometrically (Trefethen & Weideman 2014, SIAM Review 56: 385-458).
    With nodes y_j = tau_1 + s u_j the least willing member's factor S(y_j) = Phi(-u_j) is the same in every trial,
    and node j's Gaussian kernel is exp(-(z_n + eta j')^2 / 2), z_n = (tau_1 - mu_n) / l, eta = s (u_2 - u_1) / l,
    j' = j - (J - 1) / 2: a polynomial in exp(-eta z_n) (Horner's rule). Per trial (m - 1) J normal CDFs, N more
    for the first term and about 2 N + J exponentials, instead of a normal CDF per member, factor node and node of
    the group's factor. Every term of the sum has the sign of H - S (<= 0): Horner's rule cancels nothing.
    """
    out = np.empty(mu.shape)
    for rule in _TRAPEZOID_RULES:
        rows = np.flatnonzero((r > rule.r_min) & (r <= rule.r_max))
        for start in range(0, rows.size, _TRAPEZOID_BLOCK):  # blocks of trials: the (J, k) sums stay in the cache
            block = rows[start:start + _TRAPEZOID_BLOCK]
            out[block] = _trapezoid_orthant(tau[block], r[block], mu[block], rule)
    return out


def _sorted_columns(tau: np.ndarray) -> np.ndarray:
    """The rows of tau (k, m) sorted ascending, returned as columns (m, k): for m <= 3 by compare-exchange
    (np.minimum / np.maximum on whole columns, the values np.sort gives), else, or if any is NaN, by np.sort."""
    m = tau.shape[1]
    if m > 3 or np.isnan(tau).any():
        return np.sort(tau, axis=1).T
    columns = tau.T
    if m == 1:
        return columns.copy()
    a, b = columns[0], columns[1]
    low, high = np.minimum(a, b), np.maximum(a, b)
    if m == 2:
        return np.stack((low, high))
    c = columns[2]
    top = np.maximum(high, c)
    np.minimum(high, c, out=high)  # the smaller of the two larger so far: the middle, or below low
    return np.stack((np.minimum(low, high), np.maximum(low, high), top))


def _trapezoid_orthant(tau: np.ndarray, r: np.ndarray, mu: np.ndarray, rule: _Trapezoid) -> np.ndarray:
    """`_orthant_given_mean` on one rule. Works node-major ((J, k) and (N, k) arrays, k trials along the contiguous
    axis) so that each step of Horner's rule is one pass over contiguous memory; the kernel is even in j', so half
    of its exponentials are computed and mirrored (bit for bit the same values)."""
    m = tau.shape[1]
    ordered = _sorted_columns(tau)  # (m, k), ascending
    lead = ordered[0]
    sig, lam = np.sqrt(1.0 - r), np.sqrt(r)
    with np.errstate(invalid="ignore"):
        delta = (ordered[1:] - lead) / sig  # (m - 1, k), >= 0; inf - inf (every member certain) is NaN: a factor of 1
    np.copyto(delta, np.inf, where=np.isnan(delta))
    factors = np.subtract(delta[:, None, :], rule.u[:, None])  # (m - 1, J, k)
    special.ndtr(factors, out=factors)
    rest = factors[0]
    for i in range(1, m - 1):  # a loop over the group's members, not over trials
        rest *= factors[i]
    rest -= 1.0
    rest *= rule.lead[:, None]  # (H - S)(y_j) times the weight, in units of s
    eta = rule.step * sig / lam
    half = rule.half
    kernel = np.multiply(rule.offsets[:, None], eta)  # |j'| eta, j' = 0 .. half
    np.square(kernel, out=kernel)
    kernel *= -0.5
    np.exp(kernel, out=kernel)
    rest[half:] *= kernel
    rest[:half] *= kernel[:0:-1]
    first = np.subtract(lead, mu.T)  # (N, k)
    z = first / lam
    np.maximum(z, -rule.z_clip, out=z)
    np.minimum(z, rule.z_clip, out=z)
    ratio = np.multiply(-eta, z)
    np.exp(ratio, out=ratio)
    total = np.multiply(rest[-1], ratio)
    total += rest[-2]
    for j in range(rule.nodes - 3, -1, -1):
        total *= ratio
        total += rest[j]
    edge = np.multiply(0.5, z)
    np.subtract(half * eta, edge, out=edge)
    edge *= z
    np.exp(edge, out=edge)
    total *= edge
    total *= sig / (lam * np.sqrt(2.0 * np.pi))
    total += special.ndtr(first, out=first)
    return total.T


def _group_given_factor(t: np.ndarray, shift: np.ndarray, spread: np.ndarray, r: np.ndarray,
                        n_nodes: int) -> np.ndarray:
    """`equicorrelated_orthant` of x (n, m, N) (a group's thresholds t (n, m) at each of N values g_n of the global
    factor, x = (t - sqrt(rho_g) g) / sqrt(1 - rho_g) = tau - mu, shift (n, N) = sqrt(rho_g) g, spread (n,) =
    sqrt(1 - rho_g), tau = t / spread, mu (n, N) = shift / spread) with correlation r (n,), for every node at once:
    the same integral. For r <= 1/4 by `equicorrelated_orthant`; for r > 1/4 by `_orthant_given_mean`: given g_n,
    the group's factor mu_n + sqrt(r) C is the same for every member, so one trapezoid rule serves all N nodes.
    x is formed only for the trials that need it (r <= 1/4 or r = 1). Returns (n, N)."""
    out = np.empty(shift.shape)

    def x_of(rows: np.ndarray) -> np.ndarray:  # (k, m, N)
        x = np.subtract(t[rows][:, :, None], shift[rows][:, None, :])
        x /= spread[rows][:, None, None]
        return x

    one, zero = r >= 1.0, r <= 0.0
    if np.any(one):
        out[one] = special.ndtr(np.min(x_of(one), axis=1))
    if np.any(zero):
        out[zero] = np.prod(special.ndtr(x_of(zero)), axis=1)
    low = (r > 0.0) & (r <= _TRAPEZOID_MIN_R)
    if np.any(low):
        out[low] = equicorrelated_orthant(np.moveaxis(x_of(low), 1, -1), r[low][:, None], n_nodes)
    high = np.flatnonzero((r > _TRAPEZOID_MIN_R) & (r < 1.0))
    if high.size:
        tau = t[high] / spread[high][:, None]  # (k, m)
        out[high] = _orthant_given_mean(tau, r[high], shift[high] / spread[high][:, None])
    return out


def revert_gain(
    plan: np.ndarray, ideal: np.ndarray, salience: np.ndarray, status_quo: np.ndarray, dims: np.ndarray,
    loss_power: float = 2.0,
) -> np.ndarray:
    """U_i(plan) - U_i(plan with the dimensions `dims` at the status quo), for every actor given:

        sum_{k in dims} s_ik (|sq_k - x*_ik|^p - |plan_k - x*_ik|^p)

    (separable loss: only those dimensions' terms change). What a partial veto player weighs (it accepts its part
    when this is positive, up to noise), and what a signatory stands to lose if one does not.
    plan, status_quo: (n, K) or (K,); ideal, salience: (n, A, K) or (A, K); dims: (K,) bool. Returns (n, A) or (A,).
    """
    dims = np.asarray(dims, dtype=bool)
    plan_k = np.asarray(plan, dtype=float)[..., None, dims]
    sq_k = np.asarray(status_quo, dtype=float)[..., None, dims]
    ideal_k, salience_k = np.asarray(ideal, dtype=float)[..., dims], np.asarray(salience, dtype=float)[..., dims]
    gap = _loss_in_place(sq_k - ideal_k, loss_power) - _loss_in_place(plan_k - ideal_k, loss_power)
    return np.sum(salience_k * gap, axis=-1)


def signing_value(
    net: np.ndarray, p_ratified: np.ndarray | float, failed_ratification_cost: np.ndarray | float = 0.0,
    audience_cost: np.ndarray | float = 0.0, expected_partial_loss: np.ndarray | float = 0.0,
) -> np.ndarray:
    """A signatory's value of signing minus its reservation value, anticipating its own ratification stages
    (Putnam 1988, two-level games; Milner 1997):

        V(sign) - R = P (U(plan) - L - R) + (1 - P) (U(failed) - R) - A
                    = P (net - L) - (1 - P) k - A

    net = U(plan) - R; P = P(ratified | signed), the chance that every full ratifier of its country accepts;
    U(failed) = R - k: a failed ratification leaves no deal (the reservation value R) and costs the signatory k >= 0
    more (Putnam's "involuntary defection": credibility lost abroad); A >= 0 the audience cost of signing at all
    (Fearon 1994; Tomz 2007); L >= 0 the expected loss from partial veto players of its country that keep their
    dimensions at the status quo (sum_j (1 - p_j) revert_gain). With P = 1 and k = A = L = 0 it is net.
    All in utility units, shapes broadcasting against net (n, A) or (n,).

    Cheap signing (a property of this value, kept and documented, not corrected): for a plan the signatory
    dislikes (net < 0), V - R is pulled from net toward -(k + A) as P falls, since a signature the ratifiers will
    probably undo costs little more than k. A government whose parliament will reject the plan therefore signs a
    disliked plan more readily than one whose parliament would pass it (net = -0.3, k = 0.03, A = 0.02, Kyiv's modes:
    V - R = -0.32 at P = 1, -0.10 at P = 0.2). This is Putnam's (1988) two-level logic (a negotiator may sign what its
    ratifiers will reject, at the price of involuntary defection), not an error; but its size rests on k and A,
    which are small assumed constants, not scaled with what is at stake (no source gives such a scaling: Fearon
    1994 and Tomz 2007 measure audience costs of backing down, not of signing). Its effect on adoption is bounded:
    the plan is adopted only if the ratifiers accept too, so P(adopted) <= P(ratifiers accept) however cheap
    signing is; it matters for the signatory's own P(accept) (what `accord backtest responses` compares with what
    governments said).
    """
    p = np.asarray(p_ratified, dtype=float)
    return p * (net - expected_partial_loss) - (1.0 - p) * failed_ratification_cost - audience_cost


# --------------------------------------------------------------------------------- influence dynamics


@dataclass(frozen=True)
class InfluenceNetwork:
    """Friedkin-Johnsen network as arrays: weights W (A, A) row-stochastic, susceptibility (A,) in [0, 1]."""

    actors: tuple[str, ...]
    weights: np.ndarray
    susceptibility: np.ndarray


def influence_network_from_graph(
    graph: nx.DiGraph,
    actors: Sequence[str],
    weight: str = "weight",
    susceptibility: str = "susceptibility",
    default_susceptibility: float = 0.0,
) -> InfluenceNetwork:
    """Convert a 'who leans on whom' digraph to Friedkin-Johnsen arrays, once.

    An edge u -> v with weight w >= 0 means u leans on v: v gives weight w to u's position, so
    W[v, u] = w before normalisation. A self-loop v -> v is v's weight on its own position. Rows are
    normalised to sum 1; an actor nobody leans on (and with no self-loop) keeps W[v, v] = 1. Node attribute
    `susceptibility` (in [0, 1], default `default_susceptibility`) gives Lambda's diagonal; actors not in the
    graph keep their position (susceptibility default, W row = own).
    """
    sub = nx.DiGraph()
    sub.add_nodes_from(actors)
    sub.add_weighted_edges_from(
        ((u, v, d.get(weight, 1.0)) for u, v, d in graph.edges(data=True) if u in sub and v in sub),
        weight="w",
    )
    leans_on = nx.to_numpy_array(sub, nodelist=list(actors), weight="w")  # [u, v] = weight u -> v
    if np.any(leans_on < 0):
        raise ValueError("influence weights must be non-negative")
    listens_to = leans_on.T.copy()
    row_sum = listens_to.sum(axis=1)
    isolated = row_sum == 0
    listens_to[isolated, isolated] = 1.0
    weights = listens_to / listens_to.sum(axis=1, keepdims=True)
    lam = np.array(
        [
            float(graph.nodes[a].get(susceptibility, default_susceptibility))
            if a in graph
            else float(default_susceptibility)
            for a in actors
        ]
    )
    if np.any((lam < 0) | (lam > 1)):
        raise ValueError("susceptibility must lie in [0, 1]")
    return InfluenceNetwork(tuple(actors), weights, lam)


def _fj_operands(ideal: np.ndarray, weights: np.ndarray, susceptibility: np.ndarray):
    x0 = np.asarray(ideal, dtype=float)
    w = np.asarray(weights, dtype=float)
    lam = np.asarray(susceptibility, dtype=float)
    return x0, w, lam


def friedkin_johnsen_rounds(
    ideal: np.ndarray, weights: np.ndarray, susceptibility: np.ndarray, n_rounds: int
) -> np.ndarray:
    """Positions after n_rounds of x(t+1) = Lambda W x(t) + (I - Lambda) x(0) (Friedkin & Johnsen 1990).

    ideal x(0): (n, A, K) or (A, K); weights W: (n, A, A) or (A, A), row-stochastic; susceptibility:
    (n, A) or (A,) in [0, 1]. Returns x(n_rounds) with x(0)'s broadcast shape.
    """
    x0, w, lam = _fj_operands(ideal, weights, susceptibility)
    lam = lam[..., :, None]
    anchored = (1.0 - lam) * x0
    x = x0
    for _ in range(int(n_rounds)):
        x = lam * (w @ x) + anchored
    return x


def friedkin_johnsen_equilibrium(
    ideal: np.ndarray, weights: np.ndarray, susceptibility: np.ndarray
) -> np.ndarray:
    """Fixed point x* = (I - Lambda W)^-1 (I - Lambda) x(0) (Friedkin & Johnsen 1999), batched solve.

    Shapes as in `friedkin_johnsen_rounds`. Where I - Lambda W is singular (e.g. every actor of a closed
    group fully susceptible, so no equilibrium independent of the starting point exists) the trial's
    positions are NaN.
    """
    x0, w, lam = _fj_operands(ideal, weights, susceptibility)
    n_actors = w.shape[-1]
    system = np.eye(n_actors) - lam[..., :, None] * w
    if system.ndim == 2:
        # One network for all trials: the (A, A) map x(0) -> x* = (I - Lambda W)^-1 (I - Lambda) x(0) once, then
        # one matrix product per trial (a batched matmul: no copy of x(0) into a column layout and back).
        condition = np.linalg.cond(system)
        if not np.isfinite(condition) or condition > 1e12:
            return np.full(np.broadcast_shapes(x0.shape, (n_actors, 1)), np.nan)
        return np.matmul(np.linalg.solve(system, np.diag(1.0 - lam)), x0)
    rhs = (1.0 - lam)[..., :, None] * x0
    batch = np.broadcast_shapes(system.shape[:-2], rhs.shape[:-2])
    n_dims = rhs.shape[-1]
    system = np.broadcast_to(system, batch + system.shape[-2:]).reshape(-1, n_actors, n_actors)
    rhs = np.broadcast_to(rhs, batch + rhs.shape[-2:]).reshape(-1, n_actors, n_dims)
    x = np.empty(rhs.shape)
    # Trials whose diagonal dominance certifies cond_2 <= 1e12 (Varah 1975: ||M^-1||_inf <= 1 / min_i margin_i,
    # margin_i = |m_ii| - sum_{j != i} |m_ij| > 0; cond_2 <= n cond_inf): solved by elimination without pivoting,
    # vectorised over trials (stable for a diagonally dominant matrix: growth factor <= 2; Wilkinson 1961), far
    # cheaper than a LAPACK call and an SVD per trial. I - Lambda W with W row-stochastic has margin_i >= 1 -
    # lambda_i, so only trials with an actor (nearly) fully susceptible take the general path below.
    row_sums = np.abs(system).sum(axis=-1)
    margin = 2.0 * np.abs(np.diagonal(system, axis1=-2, axis2=-1)) - row_sums
    norm = row_sums.max(axis=-1)
    with np.errstate(divide="ignore"):
        certified = margin.min(axis=-1) * 1e12 >= n_actors * norm
    if np.any(certified):
        x[certified] = _dominant_solve(system[certified], rhs[certified])
    rest = ~certified
    if np.any(rest):
        # Singular systems are replaced by I so one bad trial cannot abort the batch, then marked NaN.
        sub = system[rest]
        condition = np.linalg.cond(sub)
        singular = ~np.isfinite(condition) | (condition > 1e12)
        safe = np.where(singular[..., None, None], np.eye(n_actors), sub)
        x[rest] = np.where(singular[..., None, None], np.nan, np.linalg.solve(safe, rhs[rest]))
    return x.reshape(batch + (n_actors, n_dims))


def _dominant_solve(system: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Solve system @ x = rhs, (n, A, A) and (n, A, K), by Gaussian elimination without pivoting, a Python loop
    over the A pivots vectorised over the n trials (trials last, so every row operation is on contiguous
    memory). For diagonally dominant systems only (see `friedkin_johnsen_equilibrium`)."""
    a = np.ascontiguousarray(np.moveaxis(system, 0, -1))  # (A, A, n)
    b = np.ascontiguousarray(np.moveaxis(rhs, 0, -1))  # (A, K, n)
    n_actors = a.shape[0]
    for p in range(n_actors):
        inv = 1.0 / a[p, p]
        a[p, p + 1:] *= inv
        b[p] *= inv
        f = a[p + 1:, p]  # (A - p - 1, n): the multipliers of the rows below
        a[p + 1:, p + 1:] -= f[:, None, :] * a[p, None, p + 1:]
        b[p + 1:] -= f[:, None, :] * b[p, None]
    for p in range(n_actors - 2, -1, -1):
        b[p] -= np.einsum("jn,jkn->kn", a[p, p + 1:], b[p + 1:])
    return np.moveaxis(b, -1, 0)


# ------------------------------------------------------------------------- ZOPA and deal-breakers


def _acceptable_intervals(
    plan: np.ndarray,
    ideal: np.ndarray,
    salience: np.ndarray,
    net: np.ndarray,
    loss_power: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Per actor and dimension, the values v of x_k (others at the plan) with U_i >= R_i + margin.

    Separable loss: U_i(plan with x_k = v) = U_i(plan) + s_ik |plan_k - x*_ik|^p - s_ik |v - x*_ik|^p, so
    the set is |v - x*_ik| <= (slack_ik / s_ik)^(1/p), slack_ik = net_i + s_ik |plan_k - x*_ik|^p with
    net_i = U_i(plan) - R_i - margin; empty when slack < 0; all of [0, 1] when s_ik = 0 and slack >= 0.
    plan (n, K) or (K,); ideal, salience (n, A, K) or (A, K); net (n, A) or (A,).
    Returns lo, hi (n, A, K) clipped to [0, 1], NaN where empty.
    """
    plan_b = plan[..., None, :]
    net_b = np.asarray(net, dtype=float)[..., None]
    shape = np.broadcast_shapes(plan_b.shape, ideal.shape, salience.shape, net_b.shape)
    loss = np.empty(shape)
    np.subtract(plan_b, ideal, out=loss)
    return _intervals(_loss_in_place(loss, loss_power), plan_b, ideal, salience, net_b, loss_power)


def _intervals(
    loss: np.ndarray, plan: np.ndarray, ideal: np.ndarray, salience: np.ndarray, net: np.ndarray, loss_power: float
) -> tuple[np.ndarray, np.ndarray]:
    """lo, hi of `_acceptable_intervals` from the loss |plan_k - x*_ik|^p, in any layout: plan, ideal,
    salience and net broadcast against loss (e.g. (n, A, K) with net (n, A, 1), or (A, K, n) with net
    (A, 1, n)). loss is left as it is."""
    # radius^p = slack / s = loss + net / s; negative slack gives NaN (empty) through the root.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # 1 / s of a tiny drawn weight: inf
        radius = np.multiply(net, 1.0 / salience)  # 1 / s on the small operand: one full pass, not two
        radius += loss
        zero = salience == 0
        if np.any(zero):
            np.copyto(radius, np.inf, where=zero & (net >= 0))
        if loss_power == 2.0:
            np.sqrt(radius, out=radius)
        else:
            np.copyto(radius, np.nan, where=radius < 0)
            if loss_power != 1.0:
                np.power(radius, 1.0 / loss_power, out=radius)
    lo = np.subtract(ideal, radius)
    hi = np.add(ideal, radius, out=radius)
    # Clip to [0, 1]; with ideal points inside it (radius >= 0), lo <= 1 and hi >= 0 already hold.
    inside = bool(np.all((ideal >= 0.0) & (ideal <= 1.0)))
    np.maximum(lo, 0.0, out=lo)
    np.minimum(hi, 1.0, out=hi)
    if not inside:
        np.minimum(lo, 1.0, out=lo)
        np.maximum(hi, 0.0, out=hi)
    # An actor that accepts the plan accepts plan_k on every dimension: state it exactly, so rounding in the
    # radius cannot put a plan that sits on the boundary outside its own interval.
    accepts = net >= 0
    if np.any(accepts):
        np.minimum(lo, plan, out=lo, where=accepts)
        np.maximum(hi, plan, out=hi, where=accepts)
    return lo, hi


@dataclass(frozen=True)
class Zopa:
    """Zone of possible agreement per dimension, others held at the plan.

    low, high: (n, K) interval acceptable to every veto player (NaN where empty); nonempty: (n, K) bool.
    actor_low, actor_high: (n, A, K) each actor's own acceptable interval (NaN where empty).
    """

    low: np.ndarray
    high: np.ndarray
    nonempty: np.ndarray
    actor_low: np.ndarray
    actor_high: np.ndarray


def _zopa(lo: np.ndarray, hi: np.ndarray, veto: np.ndarray) -> Zopa:
    """Intersect the veto players' intervals (lo, hi: (..., A, K), NaN where empty)."""
    columns = np.flatnonzero(veto)
    if columns.size == 0:
        raise ValueError("the zone of possible agreement needs at least one veto player")
    # Running max / min over the veto players (a loop over actors): maximum and minimum propagate NaN, so an
    # empty interval of any veto player makes the zone empty.
    low = lo[..., columns[0], :].copy()
    high = hi[..., columns[0], :].copy()
    for j in columns[1:]:
        np.maximum(low, lo[..., j, :], out=low)
        np.minimum(high, hi[..., j, :], out=high)
    nonempty = low <= high  # False where NaN
    return Zopa(np.where(nonempty, low, np.nan), np.where(nonempty, high, np.nan), nonempty, lo, hi)


def zone_of_possible_agreement(
    plan: np.ndarray,
    ideal: np.ndarray,
    salience: np.ndarray,
    reservation: np.ndarray | float,
    veto: np.ndarray | Sequence[bool],
    loss_power: float = 2.0,
) -> Zopa:
    """ZOPA_k = {v in [0, 1]: U_i(plan with x_k = v) >= R_i for every veto player i}.

    U_i >= R_i is the same as P(accept_i) >= 1/2 under logistic acceptance. Closed form for any p > 0
    because the loss is separable across dimensions; the intersection of intervals centred on each veto
    player's ideal point is an interval [max lo_i, min hi_i], possibly empty.
    Shapes: plan (n, K) or (K,); ideal, salience (n, A, K) or (A, K); reservation (n, A), (A,) or scalar;
    veto (A,) bool.
    """
    plan, ideal, salience = (np.asarray(a, dtype=float) for a in (plan, ideal, salience))
    net = utility(plan, ideal, salience, loss_power) - reservation
    lo, hi = _acceptable_intervals(plan, ideal, salience, net, loss_power)
    return _zopa(lo, hi, np.asarray(veto, dtype=bool))


@dataclass(frozen=True)
class DealBreakers:
    """For each rejecting actor, the smallest single-dimension move that flips it to accept.

    move: (n, A, K) signed change of x_k needed (0 where the actor already accepts; NaN where no move on k
    alone suffices within [0, 1]).
    best_dimension: (n, A) index of the dimension with the smallest |move| (-1 if the actor accepts or no
    single-dimension move suffices).
    best_move: (n, A) that move (0 / NaN likewise).
    p_accept_before: (n, A); p_accept_after: (n, A) re-evaluated after the best move (NaN if none).
    rejects: (n, A) bool, P(accept) < p_target before.
    """

    move: np.ndarray
    best_dimension: np.ndarray
    best_move: np.ndarray
    p_accept_before: np.ndarray
    p_accept_after: np.ndarray
    rejects: np.ndarray


def _at(values: np.ndarray, index: np.ndarray) -> np.ndarray:
    """values[..., i, index[..., i]]: values (..., A, K) or (..., 1, K) (leading axes may be missing),
    index (..., A) into the last axis. A gather over the flattened last two axes."""
    n_rows, n_dims = values.shape[-2:]
    flat = values.reshape(values.shape[:-2] + (n_rows * n_dims,))
    columns = index + (np.arange(index.shape[-1]) * n_dims if n_rows > 1 else 0)
    flat = flat.reshape((1,) * (columns.ndim - flat.ndim) + flat.shape)
    return np.take_along_axis(flat, columns, axis=-1)


def _deal_breakers(
    plan: np.ndarray,
    ideal: np.ndarray,
    salience: np.ndarray,
    net: np.ndarray,
    scale: np.ndarray | float,
    loss_power: float,
    p_target: float,
    lo: np.ndarray,
    hi: np.ndarray,
) -> DealBreakers:
    """Deal-breakers from net = U_i(plan) - R_i (n, A) and the intervals for the target (see `deal_breakers`)."""
    p_before = special.expit(net / scale)
    plan_b = plan[..., None, :]
    move = np.maximum(plan_b, lo)  # clip plan_k into [lo, hi]; NaN where the interval is empty
    np.minimum(move, hi, out=move)
    move -= plan_b
    rejects = p_before < p_target
    np.copyto(move, 0.0, where=~rejects[..., None])

    abs_move = np.abs(move)
    np.copyto(abs_move, np.inf, where=np.isnan(abs_move))
    best = np.argmin(abs_move, axis=-1)
    best_move = _at(move, best)  # NaN only if every dimension's move is (then the minimum is inf)
    possible = ~np.isnan(best_move)
    best_dimension = np.where(rejects & possible, best, -1)
    best_move = np.where(rejects, best_move, 0.0)

    # Re-evaluate each actor at its own moved plan. The loss is separable, so only dimension k's term changes:
    # U_i(moved) - R_i = net_i + s_ik (|plan_k - x*_ik|^p - |plan_k + move - x*_ik|^p), k the best dimension.
    plan_k = _at(plan_b, best)
    ideal_k, salience_k = _at(ideal, best), _at(salience, best)
    loss_before = _loss_in_place(plan_k - ideal_k, loss_power)
    loss_after = _loss_in_place(plan_k + np.nan_to_num(best_move) - ideal_k, loss_power)
    p_after = special.expit((net + salience_k * (loss_before - loss_after)) / scale)
    p_after = np.where(rejects & ~possible, np.nan, p_after)
    return DealBreakers(move, best_dimension, best_move, p_before, p_after, rejects)


def deal_breakers(
    plan: np.ndarray,
    ideal: np.ndarray,
    salience: np.ndarray,
    reservation: np.ndarray | float,
    scale: np.ndarray | float,
    loss_power: float = 2.0,
    p_target: float = 0.5,
) -> DealBreakers:
    """Deal-breaking points: which dimension, moved how far, would flip a rejecting actor.

    Target: P(accept_i) >= p_target, i.e. U_i >= R_i + sigma_i logit(p_target). Holding the other
    dimensions at the plan, the acceptable values of x_k form the interval |v - x*_ik| <= r_ik (see
    `zone_of_possible_agreement`; closed form for any loss power, no root finding), clipped to [0, 1];
    the smallest move is the distance from plan_k to it. P(accept) after the best move (dimension k) is
    re-evaluated from the utility, which by separability is U_i(plan) + s_ik |plan_k - x*_ik|^p
    - s_ik |plan_k + move - x*_ik|^p. Shapes as in `acceptance_probability`; p_target in (0, 1), default 1/2
    (the actor becomes exactly indifferent; pass e.g. 0.55 to land strictly inside).
    """
    return zopa_and_deal_breakers(
        plan, ideal, salience, reservation, scale, None, loss_power, p_target
    )[1]


def zopa_and_deal_breakers(
    plan: np.ndarray,
    ideal: np.ndarray,
    salience: np.ndarray,
    reservation: np.ndarray | float,
    scale: np.ndarray | float,
    veto: np.ndarray | Sequence[bool] | None,
    loss_power: float = 2.0,
    p_target: float = 0.5,
) -> tuple[Zopa | None, DealBreakers]:
    """`zone_of_possible_agreement` and `deal_breakers` (same equations) in one pass.

    The utilities are evaluated once, and at p_target = 1/2 (margin sigma_i logit(p_target) = 0) the deal-
    breakers' target intervals are the ZOPA's, so they are computed once. veto (A,) bool, or None to skip
    the ZOPA (then None is returned in its place). Shapes as in `deal_breakers`.
    """
    plan, ideal, salience = (np.asarray(a, dtype=float) for a in (plan, ideal, salience))
    scale = np.asarray(scale, dtype=float)
    net = utility(plan, ideal, salience, loss_power) - reservation
    lo, hi = _acceptable_intervals(plan, ideal, salience, net, loss_power)
    zopa = None if veto is None else _zopa(lo, hi, np.asarray(veto, dtype=bool))
    margin = scale * special.logit(p_target)
    if np.any(margin != 0):
        lo, hi = _acceptable_intervals(plan, ideal, salience, net - margin, loss_power)
    return zopa, _deal_breakers(plan, ideal, salience, net, scale, loss_power, p_target, lo, hi)


def zopa_and_deal_breakers_trial_last(
    plan: np.ndarray,
    ideal: np.ndarray,
    salience: np.ndarray,
    net: np.ndarray,
    scale: np.ndarray | float,
    loss_power: float = 2.0,
) -> dict[str, np.ndarray]:
    """`zopa_and_deal_breakers` (p_target 1/2, every actor a veto player) for actors shared by all trials,
    with the trials on the last axis: the same equations and the same rules (NaN for empty intervals, ties
    to the first dimension, the plan kept inside an accepting actor's interval), but every operation runs
    over long contiguous rows of trials instead of loops over the K dimensions of each trial.

    plan (K, m); ideal, salience (V, K); net = U_i(plan) - R_i (V, m); scale sigma (V, m), (1, m) or scalar.
    Returns "low", "high" (K, m) the ZOPA (NaN where empty), "nonempty" (K, m) bool, "rejects" (V, m) bool
    (P(accept) < 1/2), "best_dimension" (V, m) (-1 where the actor accepts or no single move suffices),
    "best_move" (V, m) the signed move on that dimension (0 where the actor accepts, NaN where no single move
    suffices), "p_accept_after" (V, m); not the move on every dimension, which the general function returns.
    """
    plan = np.asarray(plan, dtype=float)
    K, m = plan.shape
    V = ideal.shape[0]
    ideal3, salience3 = ideal[:, :, None], salience[:, :, None]
    net3 = net[:, None, :]
    distance = plan[None] - ideal3  # (V, K, m)
    loss = _loss_in_place(np.abs(distance), loss_power)  # |d| first: the same loss for every p, and a fresh array
    lo, hi = _intervals(loss, plan[None], ideal3, salience3, net3, loss_power)
    low, high = lo.max(axis=0), hi.min(axis=0)  # NaN (an empty interval) propagates
    nonempty = low <= high
    out = {"low": np.where(nonempty, low, np.nan), "high": np.where(nonempty, high, np.nan), "nonempty": nonempty}

    p_before = special.expit(net / scale)
    rejects = p_before < 0.5
    # The move that takes plan_k into [lo, hi] is lo - plan_k (> 0) or hi - plan_k (< 0), so its size is
    # max(lo - plan_k, plan_k - hi, 0) (0 inside, as for every accepting actor; NaN where the interval is
    # empty); its sign is needed at the best dimension only.
    below = np.subtract(lo, plan[None], out=lo)
    size = np.subtract(plan[None], hi, out=hi)
    np.maximum(size, below, out=size)
    np.maximum(size, 0.0, out=size)
    # the smallest size over k (first on ties; NaN = impossible: fmin skips it), by a running minimum over
    # the K rows, then what sits at that dimension by gathers
    best = np.zeros((V, m), dtype=np.intp)
    best_size = np.fmin(size[:, 0], np.inf)
    better = np.empty((V, m), dtype=bool)
    for k in range(1, K):
        np.less(size[:, k], best_size, out=better)
        np.copyto(best, k, where=better)
        np.fmin(best_size, size[:, k], out=best_size)
    rows = np.arange(V)[:, None]
    trials = np.arange(m)

    def at_best(a: np.ndarray) -> np.ndarray:  # a[v, best[v, t], t], (V, m)
        return a[rows, best, trials]

    best_move = np.where(at_best(below) > 0, best_size, -best_size)
    best_move[np.isinf(best_size)] = np.nan  # no dimension's move suffices
    possible = ~np.isnan(best_move)
    # P(accept) after the best move: only dimension k's loss term changes (separable loss)
    distance_k = at_best(distance)
    moved = np.add(distance_k, np.nan_to_num(best_move))
    loss_after = _loss_in_place(np.abs(moved, out=moved), loss_power)
    loss_k = _loss_in_place(np.abs(distance_k, out=distance_k), loss_power)
    p_after = special.expit((net + salience[rows, best] * (loss_k - loss_after)) / scale)
    out.update(
        rejects=rejects,
        best_dimension=np.where(rejects & possible, best, -1),
        best_move=np.where(rejects, best_move, 0.0),
        p_accept_after=np.where(rejects & ~possible, np.nan, p_after),
    )
    return out


# -------------------------------------------------------------------------------------------- pipeline


@dataclass(frozen=True)
class CoalitionOutcome:
    """Everything the coalition model reports for one plan.

    ideal_after_influence: (n, A, K); p_accept: (n, A); adoption: Adoption; zopa: Zopa;
    deal_breakers: DealBreakers.
    """

    ideal_after_influence: np.ndarray
    p_accept: np.ndarray
    adoption: Adoption
    zopa: Zopa
    deal_breakers: DealBreakers


def evaluate_plan(
    plan: np.ndarray,
    ideal: np.ndarray,
    salience: np.ndarray,
    reservation: np.ndarray | float,
    scale: np.ndarray | float,
    stages: Sequence[Sequence[int]],
    loss_power: float = 2.0,
    common_shock_correlation: np.ndarray | float = 0.0,
    influence_weights: np.ndarray | None = None,
    susceptibility: np.ndarray | None = None,
    influence_rounds: int | None = None,
) -> CoalitionOutcome:
    """Influence (optional) -> acceptance -> adoption, ZOPA and deal-breakers, in one call.

    If influence_weights W and susceptibility are given, ideal points first move by Friedkin-Johnsen: to the
    equilibrium (influence_rounds None) or for influence_rounds rounds. Reservation values are taken as
    given (compute them with `reservation_value` from the pre- or post-influence ideal points, as the
    config decides). Shapes as in the functions called.
    """
    ideal = np.asarray(ideal, dtype=float)
    if influence_weights is not None:
        lam = np.zeros(ideal.shape[-2]) if susceptibility is None else susceptibility
        if influence_rounds is None:
            ideal = friedkin_johnsen_equilibrium(ideal, influence_weights, lam)
        else:
            ideal = friedkin_johnsen_rounds(ideal, influence_weights, lam, influence_rounds)
    n_actors = ideal.shape[-2]
    veto = np.zeros(n_actors, dtype=bool)
    veto[[i for stage in stages for i in stage]] = True
    zopa, breakers = zopa_and_deal_breakers(plan, ideal, salience, reservation, scale, veto, loss_power)
    adopted = adoption(breakers.p_accept_before, stages, common_shock_correlation)
    return CoalitionOutcome(ideal, breakers.p_accept_before, adopted, zopa, breakers)


# ------------------------------------------------------------------------------------ amendment search


@dataclass(frozen=True)
class Amendment:
    """One row of the amendment table.

    penalty: lambda (P(adopted) per unit of L1 change); plan: (K,) amended plan; change: (K,) plan - base;
    p_adopted: value of the objective's P(adopted) at the amended plan; objective: p_adopted - lambda ||change||_1.
    """

    penalty: float
    plan: np.ndarray
    change: np.ndarray
    p_adopted: float
    objective: float


def search_amendments(
    p_adopted_fn: Callable[[np.ndarray], float],
    plan: np.ndarray,
    negotiable: np.ndarray | Sequence[bool],
    penalties: Sequence[float] = (0.0, 0.1, 0.3, 1.0),
    bounds: tuple[np.ndarray | float, np.ndarray | float] = (0.0, 1.0),
    seed: int = 0,
    maxiter: int = 200,
    popsize: int = 15,
) -> tuple[Amendment, ...]:
    """Plan variants maximising P(adopted)(x) - lambda ||x - plan||_1 over the negotiable dimensions.

    p_adopted_fn maps a plan vector (K,) to a number in [0, 1] (typically the Monte Carlo mean of
    `adoption(...).p_adopted`). For each lambda in penalties, scipy.optimize.differential_evolution
    (Storn & Price 1997) searches the negotiable coordinates within bounds (low, high: scalars or (K,)),
    seeded (deterministic), started from the base plan, then polished. The other coordinates stay fixed.
    The base plan itself is kept if nothing beats it. Returns one Amendment per lambda, in order.
    """
    base = np.asarray(plan, dtype=float)
    mask = np.asarray(negotiable, dtype=bool)
    low = np.broadcast_to(np.asarray(bounds[0], dtype=float), base.shape)
    high = np.broadcast_to(np.asarray(bounds[1], dtype=float), base.shape)
    free = np.flatnonzero(mask)

    def full_plan(z: np.ndarray) -> np.ndarray:
        x = base.copy()
        x[free] = z
        return x

    rows = []
    for penalty in penalties:

        def negative_objective(z: np.ndarray, penalty: float = float(penalty)) -> float:
            x = full_plan(z)
            return -(float(p_adopted_fn(x)) - penalty * float(np.sum(np.abs(x - base))))

        best_x = base.copy()
        best_value = -negative_objective(base[free]) if free.size else float(p_adopted_fn(base))
        if free.size:
            result = optimize.differential_evolution(
                negative_objective,
                bounds=list(zip(low[free], high[free])),
                rng=np.random.default_rng(seed),
                maxiter=maxiter,
                popsize=popsize,
                x0=np.clip(base[free], low[free], high[free]),
                polish=True,
                tol=1e-8,
            )
            if -result.fun > best_value:
                best_x, best_value = full_plan(result.x), -float(result.fun)
        p = float(p_adopted_fn(best_x))
        rows.append(Amendment(float(penalty), best_x, best_x - base, p, best_value))
    return tuple(rows)


def mean_p_adopted_fn(
    ideal: np.ndarray,
    salience: np.ndarray,
    reservation: np.ndarray | float,
    scale: np.ndarray | float,
    stages: Sequence[Sequence[int]],
    loss_power: float = 2.0,
    common_shock_correlation: np.ndarray | float = 0.0,
) -> Callable[[np.ndarray], float]:
    """Objective for `search_amendments`: plan (K,) -> mean over trials of P(adopted).

    Arrays as in `acceptance_probability` (trial axis kept); influence, if any, should be applied to
    `ideal` beforehand (it does not depend on the plan).
    """

    def p_adopted(plan_vector: np.ndarray) -> float:
        p = acceptance_probability(plan_vector, ideal, salience, reservation, scale, loss_power)
        return float(np.mean(adoption(p, stages, common_shock_correlation).p_adopted))

    return p_adopted
