"""Bueno de Mesquita's expected-utility negotiation model on one issue dimension.

Follows the specification of Scholz, Calbert & Smith (2011), "Unravelling Bueno De Mesquita's group decision
model" (Journal of Theoretical Politics 23(4): 510-531; conference version ICAART 2011, pp. 18-30, whose
equation numbers are used below), which reconstructs Bueno de Mesquita (1985, 1994).

Actors i = 1..n have capability c_i >= 0, position x_i on the issue scale and salience s_i in [0, 1].
R = x_max - x_min is the range of the issue scale (default: of the initial positions).

Median voter position (Appendix step 3): pairwise votes between positions x_j and x_k

    v^{jk} = sum_i c_i s_i (|x_i - x_k| - |x_i - x_j|) / R

and mu is the position that no other position beats (the Condorcet winner; Black 1948: the capability-
and-salience weighted median). Ties between distinct positions are split at their mean.
The weighted mean position is  sum_i c_i s_i x_i / sum_i c_i s_i.

Basic utilities of i against j with risk exponent r_i (eqs. 15, 16, 22, 23, 24):

    U_s = 2 - 4 (0.5 - 0.5 |x_i - x_j| / R)^r_i                       success
    U_f = 2 - 4 (0.5 + 0.5 |x_i - x_j| / R)^r_i                       failure
    U_b = 2 - 4 (0.5 - 0.25 (|x_i - mu| + |x_i - x_j|) / R)^r_i        things get better without a challenge
    U_w = 2 - 4 (0.5 + 0.25 (|x_i - mu| + |x_i - x_j|) / R)^r_i        things get worse without a challenge
    U_sq = 2 - 4 (0.5)^r_i                                             status quo

Probability that i prevails over j (eqs. 30-31), with third parties k siding by distance:

    P_ij = sum_{k: a_k > 0} c_k s_k a_k / sum_k c_k s_k |a_k|,    a_k = |x_k - x_j| - |x_k - x_i|

(P_ij + P_ji = 1; P is irrelevant when x_i = x_j because then U_s = U_f.)

Expected utility to i of challenging j (eqs. 5-7):

    EU_ij = s_j (P_ij U_s + (1 - P_ij) U_f) + (1 - s_j) U_s - Q U_sq - (1 - Q) (T U_b + (1 - T) U_w)

with Q the probability that j keeps its position absent a challenge (Scholz et al. use Q = 1 for the
example) and T = 1 if j moving to the median would bring j closer to i (|x_i - mu| < |x_i - x_j|), else 0.

Risk exponents (section 5, eqs. 32-34): with all r = 1 first, the security level of i is what its
adversaries expect from challenging it, S_i = sum_{j != i} EU_ji, and

    R_i = (2 S_i - max_k S_k - min_k S_k) / (max_k S_k - min_k S_k)  in [-1, 1],
    r_i = (1 - R_i / 3) / (1 + R_i / 3)                               in [0.5, 2],

then the expected utilities are recomputed with these r_i (r_i > 1 makes U_s, U_f concave: risk averse).

Offers (section 6, figure 6), for each pair with a = EU_ij and b = EU_ji:

    conflict      a > 0, b > 0:             the actor with the smaller EU moves to the other's position
    compromise    a < 0 < b, |a| < b:        i moves part way, x_i + (x_j - x_i) |a / b|   (eqs. 35-36)
    capitulation  a < 0 < b, |a| >= b:       i moves to x_j
    (and symmetrically with i and j exchanged); both negative: status quo, nobody moves.

Each actor takes one offer per round: a conflict before a compromise before a capitulation (section 6.2),
and among offers of the same kind the one that moves it least; all actors move at once. Rounds repeat
until no position moves by more than the tolerance (then positions stay fixed) or n_rounds is reached.
The forecast of a round is the median voter position mu of its positions.

Replication status: on Scholz et al.'s example (BDM 1994 emission standards, their Table 1) these printed
equations do NOT reproduce their Table 2 (median 8.4, 9.9, 9.9, 9.9, 9.9, 7.4, 8.8, 9.6 after rounds 1-8):
conflicts move actors fully and the median stays at 7. A public replication that says it follows Scholz's
own code (github.com/jmckib/bdm-scholz-expected-utility-model) comes close to Table 2 only by departing from
the printed equations (P normalised by the votes over all pairs, both EUs of a pair in the receiver's risk
exponent, no capitulation, compromises chosen by a weighted position). tests/test_negotiation.py records
the gap as a strict xfail.

Arrays: inputs have shape (n_actors,) or (n_trials, n_actors) - every trial is solved at once, no Python
loop over trials; pair quantities are (n_trials, n_actors, n_actors) with [.., i, j] = i against j.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CONFLICT, COMPROMISE, CAPITULATION, NO_MOVE = 0, 1, 2, 3


@dataclass(frozen=True)
class NegotiationResult:
    """Trajectory of the expected-utility model.

    positions: (n_rounds + 1, n_actors), or (n_trials, n_rounds + 1, n_actors); row 0 is the input.
    forecast: median voter position per round, (n_rounds + 1,) or (n_trials, n_rounds + 1).
    mean_position: capability-and-salience weighted mean per round, same shape as forecast.
    risk_exponent: r_i used in each round, (n_rounds, n_actors) or (n_trials, n_rounds, n_actors).
    offer_kind: the offer each actor took per round (0 conflict, 1 compromise, 2 capitulation, 3 none),
        (n_rounds, n_actors) or (n_trials, n_rounds, n_actors).
    rounds_run: rounds until convergence (or n_rounds), () or (n_trials,).
    converged: whether positions stopped moving within tolerance, () or (n_trials,).
    """

    positions: np.ndarray
    forecast: np.ndarray
    mean_position: np.ndarray
    risk_exponent: np.ndarray
    offer_kind: np.ndarray
    rounds_run: np.ndarray
    converged: np.ndarray
    q_status_quo: float
    position_range: np.ndarray


def median_voter_position(capability: np.ndarray, position: np.ndarray, salience: np.ndarray) -> np.ndarray:
    """Condorcet-winning position mu from the votes v^{jk} (Scholz et al. 2011, Appendix step 3).

    Shapes (..., n_actors) -> (...). The division by R does not change the winner and is omitted.
    """
    weight = capability * salience  # (..., n)
    x = position
    dist = np.abs(x[..., :, None] - x[..., None, :])  # [.., i, j] = |x_i - x_j|
    # v[j, k] = sum_i w_i (|x_i - x_k| - |x_i - x_j|)
    votes = (
        np.einsum("...i,...ik->...k", weight, dist)[..., None, :]
        - np.einsum("...i,...ij->...j", weight, dist)[..., :, None]
    )
    worst = votes.min(axis=-1)  # a Condorcet winner has min_k v^{jk} = 0 (its tie with itself)
    best = worst.max(axis=-1, keepdims=True)
    scale = np.maximum(np.abs(votes).max(axis=(-2, -1))[..., None], 1e-300)
    tied = worst >= best - 1e-12 * scale
    return np.sum(np.where(tied, x, 0.0), axis=-1) / tied.sum(axis=-1)


def weighted_mean_position(capability: np.ndarray, position: np.ndarray, salience: np.ndarray) -> np.ndarray:
    """sum_i c_i s_i x_i / sum_i c_i s_i; shapes (..., n_actors) -> (...)."""
    weight = capability * salience
    return np.sum(weight * position, axis=-1) / np.sum(weight, axis=-1)


def prevail_probability(capability: np.ndarray, position: np.ndarray, salience: np.ndarray) -> np.ndarray:
    """P_ij, probability that i prevails over j with third-party support (Scholz et al. 2011, eq. 31).

    Shapes (..., n) -> (..., n, n); 0.5 where x_i = x_j (no contest).
    """
    weight = capability * salience
    x = position
    dist = np.abs(x[..., :, None] - x[..., None, :])  # [.., k, i] = |x_k - x_i|
    # a[k, i, j] = |x_k - x_j| - |x_k - x_i|
    support = dist[..., :, None, :] - dist[..., :, :, None]
    w = weight[..., :, None, None]
    numerator = np.sum(w * np.maximum(support, 0.0), axis=-3)
    denominator = np.sum(w * np.abs(support), axis=-3)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1.0), 0.5)


def challenge_expected_utility(
    capability: np.ndarray,
    position: np.ndarray,
    salience: np.ndarray,
    risk_exponent: np.ndarray,
    median: np.ndarray,
    position_range: np.ndarray,
    q_status_quo: float = 1.0,
) -> np.ndarray:
    """EU_ij, expected utility to i of challenging j (Scholz et al. 2011, eqs. 5-7, 15-16, 22-24).

    capability, position, salience, risk_exponent: (..., n); median, position_range: (...).
    Returns (..., n, n) with [.., i, j] = EU_ij and zeros on the diagonal.
    """
    x = position
    r = risk_exponent[..., :, None]
    span = position_range[..., None, None]
    gap = np.abs(x[..., :, None] - x[..., None, :]) / span  # |x_i - x_j| / R
    to_median = np.abs(x - median[..., None])[..., :, None] / span  # |x_i - mu| / R

    def utility(base):
        return 2.0 - 4.0 * np.maximum(base, 0.0) ** r

    u_success = utility(0.5 - 0.5 * gap)
    u_failure = utility(0.5 + 0.5 * gap)
    u_better = utility(0.5 - 0.25 * (to_median + gap))
    u_worse = utility(0.5 + 0.25 * (to_median + gap))
    u_status_quo = utility(np.full_like(gap, 0.5))
    better = (to_median < gap).astype(float)  # T: j moving to the median brings it closer to i
    p = prevail_probability(capability, position, salience)
    s_j = salience[..., None, :]
    challenge = s_j * (p * u_success + (1 - p) * u_failure) + (1 - s_j) * u_success
    no_challenge = q_status_quo * u_status_quo + (1 - q_status_quo) * (
        better * u_better + (1 - better) * u_worse
    )
    eu = challenge - no_challenge
    n = x.shape[-1]
    return eu * (1 - np.eye(n))


def risk_exponent(eu_risk_neutral: np.ndarray) -> np.ndarray:
    """r_i from security levels S_i = sum_{j != i} EU_ji computed with r = 1 (Scholz et al. 2011, eqs. 32-34).

    (..., n, n) -> (..., n), values in [0.5, 2]; r = 1 for everyone when all security levels are equal.
    """
    security = eu_risk_neutral.sum(axis=-2)  # column sums: adversaries' EU of challenging i
    high = security.max(axis=-1, keepdims=True)
    low = security.min(axis=-1, keepdims=True)
    spread = high - low
    with np.errstate(invalid="ignore", divide="ignore"):
        big_r = np.where(spread > 0, (2 * security - high - low) / np.where(spread > 0, spread, 1.0), 0.0)
    return (1 - big_r / 3) / (1 + big_r / 3)


def _offers(eu: np.ndarray, position: np.ndarray):
    """Each actor's accepted offer: (new position (..., n), offer kind (..., n))."""
    a = eu  # [.., i, j] = EU_ij, i as the actor that may move
    b = np.swapaxes(eu, -1, -2)  # EU_ji
    x_i = position[..., :, None]
    x_j = position[..., None, :]
    n = position.shape[-1]
    distinct = (x_i != x_j) & ~np.eye(n, dtype=bool)
    conflict = distinct & (a > 0) & (b > a)
    yields = distinct & (a < 0) & (b > 0)
    compromise = yields & (np.abs(a) < b)
    capitulation = yields & ~compromise
    with np.errstate(invalid="ignore", divide="ignore"):
        fraction = np.where(compromise, np.abs(a) / np.where(b > 0, b, 1.0), 1.0)
    target = np.where(compromise, x_i + (x_j - x_i) * fraction, x_j)
    kind = np.select([conflict, compromise, capitulation], [CONFLICT, COMPROMISE, CAPITULATION], NO_MOVE)
    move = np.abs(target - x_i)
    span = np.max(move, axis=(-2, -1), keepdims=True) + 1.0
    key = kind * span + np.where(kind == NO_MOVE, 0.0, move)  # kind first, then the least move
    choice = np.argmin(key, axis=-1)[..., None]
    chosen_kind = np.take_along_axis(kind, choice, axis=-1)[..., 0]
    chosen_target = np.take_along_axis(target, choice, axis=-1)[..., 0]
    new_position = np.where(chosen_kind == NO_MOVE, position, chosen_target)
    return new_position, chosen_kind


def expected_utility_forecast(
    capability: np.ndarray,
    position: np.ndarray,
    salience: np.ndarray,
    *,
    n_rounds: int = 10,
    tolerance: float = 1e-9,
    q_status_quo: float = 1.0,
    position_range: float | np.ndarray | None = None,
) -> NegotiationResult:
    """Run the expected-utility negotiation model (Bueno de Mesquita 1994; Scholz et al. 2011).

    Parameters
    ----------
    capability : (n_actors,) or (n_trials, n_actors), >= 0, any unit (only ratios matter).
    position : same shape, actors' positions on the issue scale (the scale's units, e.g. years).
    salience : same shape, in [0, 1] (divide a 0-100 salience by 100).
    n_rounds : maximum number of bargaining rounds (>= 0).
    tolerance : stop when no position moves by more than this (scale units).
    q_status_quo : Q in [0, 1], probability that a target keeps its position absent a challenge.
    position_range : R, the width of the issue scale; default max - min of the initial positions.

    Returns a NegotiationResult; see its docstring for shapes. Equations: module docstring.
    """
    capability, position, salience = np.broadcast_arrays(
        np.asarray(capability, dtype=float),
        np.asarray(position, dtype=float),
        np.asarray(salience, dtype=float),
    )
    single = position.ndim == 1
    if position.ndim not in (1, 2) or position.shape[-1] < 2:
        raise ValueError("expected (n_actors,) or (n_trials, n_actors) arrays with at least two actors")
    if np.any(capability < 0) or np.any((salience < 0) | (salience > 1)):
        raise ValueError("capability must be >= 0 and salience in [0, 1]")
    if not 0 <= q_status_quo <= 1:
        raise ValueError("q_status_quo must be in [0, 1]")
    if n_rounds < 0:
        raise ValueError("n_rounds must be >= 0")
    c, x, s = (np.atleast_2d(a) for a in (capability, position, salience))  # (n_trials, n)
    if np.any(np.sum(c * s, axis=-1) <= 0):
        raise ValueError("at least one actor needs capability * salience > 0")
    n_trials, n = x.shape
    if position_range is None:
        span = x.max(axis=-1) - x.min(axis=-1)
    else:
        span = np.broadcast_to(np.asarray(position_range, dtype=float), (n_trials,)).copy()
    span = np.where(span > 0, span, 1.0)  # all actors agree: nothing moves, any R will do

    positions = np.empty((n_trials, n_rounds + 1, n))
    forecast = np.empty((n_trials, n_rounds + 1))
    mean = np.empty((n_trials, n_rounds + 1))
    risk = np.ones((n_trials, n_rounds, n))
    kinds = np.full((n_trials, n_rounds, n), NO_MOVE)
    active = np.ones(n_trials, dtype=bool)
    rounds_run = np.zeros(n_trials, dtype=int)
    positions[:, 0] = x
    forecast[:, 0] = median_voter_position(c, x, s)
    mean[:, 0] = weighted_mean_position(c, x, s)
    for t in range(n_rounds):
        mu = forecast[:, t]
        eu_neutral = challenge_expected_utility(c, x, s, np.ones_like(x), mu, span, q_status_quo)
        r = risk_exponent(eu_neutral)
        eu = challenge_expected_utility(c, x, s, r, mu, span, q_status_quo)
        new_x, kind = _offers(eu, x)
        moved = np.max(np.abs(new_x - x), axis=-1) > tolerance
        still = active & moved
        risk[:, t] = np.where(active[:, None], r, risk[:, t])
        kinds[:, t] = np.where(still[:, None], kind, NO_MOVE)
        x = np.where(still[:, None], new_x, x)
        rounds_run += still
        active = still
        positions[:, t + 1] = x
        forecast[:, t + 1] = median_voter_position(c, x, s)
        mean[:, t + 1] = weighted_mean_position(c, x, s)
    converged = ~active
    if single:
        positions, forecast, mean, risk, kinds = positions[0], forecast[0], mean[0], risk[0], kinds[0]
        rounds_run, converged, span = rounds_run[0], converged[0], span[0]
    return NegotiationResult(
        positions=positions,
        forecast=forecast,
        mean_position=mean,
        risk_exponent=risk,
        offer_kind=kinds,
        rounds_run=np.asarray(rounds_run),
        converged=np.asarray(converged),
        q_status_quo=float(q_status_quo),
        position_range=np.asarray(span),
    )
