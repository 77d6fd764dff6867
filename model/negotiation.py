"""Bueno de Mesquita's expected-utility negotiation model on one issue dimension.

Follows the specification of Scholz, Calbert & Smith (2011), "Unravelling Bueno De Mesquita's group decision
model" (Journal of Theoretical Politics 23(4): 510-531; conference version ICAART 2011, pp. 18-30, whose
equation numbers are used below), which reconstructs Bueno de Mesquita (1985, 1994), and, where the printed
text and the authors' results disagree, what their program did, as reconstructed by the public replication
github.com/jmckib/bdm-scholz-expected-utility-model (J. McKibben, file bdm_scholz_model.py, which says where it
is "faithful to Scholz' code"). The code here is an independent, vectorised implementation.

Actors i = 1..n have capability c_i >= 0, position x_i on the issue scale and salience s_i in [0, 1].
R = x_max - x_min is the range of the issue scale (default: of the initial positions), r_i the risk exponent,
and d_ij = |x_i - x_j| / R.

Median voter position (Appendix step 3): pairwise votes between positions x_j and x_k

    v^{jk} = sum_i c_i s_i (|x_i - x_k| - |x_i - x_j|) / R

and mu is the position that no other position beats (the Condorcet winner; Black 1948: the capability-
and-salience weighted median). Ties between distinct positions are split at their mean.
The weighted mean position is  sum_i c_i s_i x_i / sum_i c_i s_i.

Basic utilities to i of a contest with j (eqs. 15, 16, 22, 23, 24), with the exponent r of whoever evaluates:

    U_s = 2 - 4 (0.5 - 0.5 d_ij)^r                                  success
    U_f = 2 - 4 (0.5 + 0.5 d_ij)^r                                  failure
    U_b = 2 - 4 (0.5 - 0.25 (|x_i - mu| / R + d_ij))^r               things get better without a challenge
    U_w = 2 - 4 (0.5 + 0.25 (|x_i - mu| / R + d_ij))^r               things get worse without a challenge
    U_sq = 2 - 4 (0.5)^r                                            status quo

Probability that i prevails over j (eqs. 30-31): third party k votes for i with the weight

    a_k(i, j) = c_k s_k ((|x_k - x_j| / R)^{r_k} - (|x_k - x_i| / R)^{r_k})

(the difference of k's own utilities for the two positions), and

    per_pair:   P_ij = sum_k max(a_k(i, j), 0) / sum_k |a_k(i, j)|                       (eq. 31 as printed)
    all_pairs:  P_ij = sum_k max(a_k(i, j), 0) / sum_{k, l, m} |a_k(l, m)|                (the default)

`per_pair` normalises by the votes of the pair's own contest, so P_ij + P_ji = 1. `all_pairs` normalises by
the votes over every ordered pair of actors, so that sum_{i, j} P_ij = 1/2 and a single P_ij is of order
1 / (2 n (n - 1)); then a target's salience, not the capabilities, drives the expected utilities below.

A property of `all_pairs` users should know (it is the replication's behaviour, kept): P_ij depends on which
POSITIONS exist, not only on who is strong. The denominator sums every voter's |vote| over every pair of
positions, so an actor with negligible capability at a new position adds pairs that the heavy voters vote
on: on the example, one actor of capability 1e-9 at 5.5 multiplies every other P_ij by 0.846 and the median
then stays at 7 in every round instead of Table 2's path (tests/test_negotiation.py). Per pair, the same actor
changes no P_ij by more than 1e-9. So with `all_pairs`, adding or splitting actors, or moving a minor one, can
move the forecast; run `per_pair` beside it (the structural variants of `accord forecast` do) before reading
much into a trajectory.
Why `all_pairs` is the default: (1) the sentence before eq. 30 says the probabilities are obtained "by
combining across all pairs ... and normalising"; (2) with it, and only with it, the authors' Table 2 is
reproduced (medians 8.4, 9.9, 9.9, 9.9, 9.9, 7.4, 8.8, 9.6 after rounds 1-8, read as truncated to one
decimal: 7 of 8 rounds; tests/test_negotiation.py), as is the public replication that says it follows their
code; (3) with it Belgium's first-round expected utilities fall near the points of Bueno de Mesquita's
(1994) chart of the case (reproduced in github.com/dmasad/BDM_DecisionModel_Replication,
Figures/BelgiumEU.png), whereas with `per_pair` they are all positive, contradicting that chart and the
paper's own claim of a complete quadrant match (its Fig. 7). With `per_pair` the example's median stays at
7 in every round. Either way what the authors ran was not eq. 31 as printed.

Expected utility to i of challenging j (eqs. 5-7), evaluated with an exponent r:

    EU_ij = s_j (P_ij U_s + (1 - P_ij) U_f) + (1 - s_j) U_s - Q U_sq - (1 - Q) (T U_b + (1 - T) U_w)

with Q the probability that j keeps its position absent a challenge (Scholz et al. use Q = 1 for the
example) and T = 1 if j moving to the median would bring j closer to i (|x_i - mu| < |x_i - x_j|), else 0.
E^i(U_ij) is i's own expected utility (r = r_i); E^i(U_ji) is i's estimate of j's (also with r = r_i).

Risk exponents (section 5, eqs. 32-34): with every r = 1 first (utilities and votes alike), the security
level of i is what its adversaries expect from challenging it, S_i = sum_{j != i} E^i(U_ji), and

    R_i = (2 S_i - max_k S_k - min_k S_k) / (max_k S_k - min_k S_k)  in [-1, 1],
    r_i = (1 - R_i / 3) / (1 + R_i / 3)                               in [0.5, 2],

so the least threatened actor gets r = 2 (risk averse) and the most threatened r = 0.5; then the expected
utilities and the votes are recomputed with these r.

Offers (section 6, figure 6): actor i weighs each j at another position (further than the forecast's tolerance
or rounding on its scale, `expected_utility_forecast`) by a = E^i(U_ij), b = E^i(U_ji):

    conflict      b > a > 0:              i expects to lose the contest and moves to x_j
    compromise    b > 0 > a, b > |a|:      i moves part way, x_i + (x_j - x_i) |a / b|   (eqs. 35-36)
    capitulation  b > 0 > a, |a| >= b:     i moves to x_j
    otherwise (i prevails, or nobody challenges) i does not move on j's account.

Each actor takes one offer per round: a conflict before a compromise before a capitulation (section 6.2);
among conflicts or capitulations the one that moves it least ("concede to the one that allows i to move the
least"). All actors move at once. Rounds repeat until no position moves by more than the tolerance (then
positions stay fixed) or n_rounds is reached. The forecast of a round is the median voter position mu.

Departures from the printed text besides the normalisation of P (all as Scholz et al.'s program did them,
per the replication cited above; each one is needed for Table 2):

1. Votes in P use each voter's risk exponent r_k (the difference of k's utilities), where eq. 31 prints
   distances. Reason: Bueno de Mesquita's (1985, 1994) votes are utility differences, and utilities carry
   r_k. Without it round 6 of the example gives 7.52 (Table 2: 7.4).
2. Both expected utilities of a pair are evaluated with the risk exponent of the actor who decides whether
   to move (E^i(U_ij) and E^i(U_ji), i's perception of both sides, Bueno de Mesquita's superscript); the
   text's Appendix evaluates each with its own actor's r. Without it: 8.78, 9.80, 9.97, 10, ...
3. Among compromises an actor takes the one whose weighted position (|a| x_i + |b| x_j) / (|a| + |b|) is
   lowest on the scale (`compromise="lowest_weighted"`), not the one that moves it least
   (`compromise="least_move"`, the text's rule). This rule is not invariant to reversing the scale: it
   favours compromises towards the low end. Without it rounds 6-8 give 10, 10, 8.18. Offered as an option
   because an analyst may not want a forecast that depends on which end of the scale is called 0.

Capitulation is kept as printed (the replication never reaches it, through a typo; it is moot on the
example, but on a case where nobody challenges anybody it is the only move left: an actor that perceives a
challenge, E^i(U_ji) > 0 in its own r_i, that it cannot resist, |E^i(U_ij)| >= E^i(U_ji), moves to the
challenger's position; tests/test_negotiation.py checks it on a two-actor closed form). The median uses linear
votes (r = 1) as printed. When no actor challenges any other (every E^i(U_ij) <= 0) and nobody yields, the
forecast stays at the round-0 weighted median; ``n_challenges`` counts the challenges per round so a caller
can say so.

Arrays: inputs have shape (n_actors,) or (n_trials, n_actors) - every trial is solved at once, no Python
loop over trials; pair quantities are (n_trials, n_actors, n_actors) with [.., i, j] = i against j, and the
vote tensor of P is (n_trials, n_actors, n_actors, n_actors) (chunk the trials to bound memory).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CONFLICT, COMPROMISE, CAPITULATION, NO_MOVE = 0, 1, 2, 3
RULES = ("all_pairs", "per_pair")
COMPROMISE_RULES = ("lowest_weighted", "least_move")


@dataclass(frozen=True)
class NegotiationResult:
    """Trajectory of the expected-utility model.

    positions: (n_rounds + 1, n_actors), or (n_trials, n_rounds + 1, n_actors); row 0 is the input.
    forecast: median voter position per round, (n_rounds + 1,) or (n_trials, n_rounds + 1).
    mean_position: capability-and-salience weighted mean per round, same shape as forecast.
    risk_exponent: r_i used in each round, (n_rounds, n_actors) or (n_trials, n_rounds, n_actors).
    offer_kind: the offer each actor took per round (0 conflict, 1 compromise, 2 capitulation, 3 none),
        (n_rounds, n_actors) or (n_trials, n_rounds, n_actors).
    offer_from: index of the actor whose offer it took, -1 for none; same shape as offer_kind.
    first_round_eu: E^i(U_ij) of round 1 (each challenger's own view, its own r_i), (n_actors, n_actors) or
        (n_trials, n_actors, n_actors); zero on the diagonal. i challenges j where it is > 0.
    n_challenges: ordered pairs (i, j) with E^i(U_ij) > 0 in each round (i would challenge j), (n_rounds,) or
        (n_trials, n_rounds); 0 in every round: nobody challenges anybody.
    rounds_run: rounds until convergence (or n_rounds), () or (n_trials,).
    converged: whether positions stopped moving within tolerance, () or (n_trials,); False: the forecast is where
        the last round left the process, not a settled outcome.
    """

    positions: np.ndarray
    forecast: np.ndarray
    mean_position: np.ndarray
    risk_exponent: np.ndarray
    offer_kind: np.ndarray
    offer_from: np.ndarray
    first_round_eu: np.ndarray
    n_challenges: np.ndarray
    rounds_run: np.ndarray
    converged: np.ndarray
    q_status_quo: float
    position_range: np.ndarray
    rule: str
    compromise: str


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


def _check_rule(rule: str) -> None:
    if rule not in RULES:
        raise ValueError(f"rule must be one of {', '.join(RULES)}, got {rule!r}")


def prevail_probability(
    capability: np.ndarray,
    position: np.ndarray,
    salience: np.ndarray,
    *,
    rule: str = "all_pairs",
    risk_exponent: np.ndarray | None = None,
    position_range: np.ndarray | float | None = None,
) -> np.ndarray:
    """P_ij, probability that i prevails over j with third-party support (Scholz et al. 2011, eqs. 30-31).

    capability, position, salience, risk_exponent (the voters' r_k; default 1): (..., n); position_range R:
    (...) or a number, default max - min of the positions. Returns (..., n, n). `rule="per_pair"`: eq. 31
    as printed, P_ij + P_ji = 1 (0.5 where no voter tells i and j apart); `rule="all_pairs"`: normalised by
    the votes over every ordered pair, sum_{i, j} P_ij = 1/2 (module docstring).
    """
    _check_rule(rule)
    weight = capability * salience
    x = position
    if position_range is None:
        position_range = np.ptp(x, axis=-1)
    span = np.asarray(position_range, dtype=float)
    span = np.where(span > 0, span, 1.0)[..., None, None]
    utility_gap = np.abs(x[..., :, None] - x[..., None, :]) / span  # [.., k, l] = |x_k - x_l| / R
    if risk_exponent is not None:
        utility_gap = utility_gap ** risk_exponent[..., :, None]
    # k's vote for i against j is w_k (g_kj - g_ki); max(v, 0) = (v + |v|) / 2, so the sum over k splits into
    # a linear part, sum_k w_k g_kj - sum_k w_k g_ki, and sum_k w_k |g_kj - g_ki| (the one n^3 term)
    lead, n = x.shape[:-1], x.shape[-1]
    w = np.broadcast_to(weight, (*lead, n)).reshape(-1, n)
    g = np.broadcast_to(utility_gap, (*lead, n, n)).reshape(-1, n, n)
    linear = np.einsum("tk,tkj->tj", w, g).reshape(*lead, 1, n)  # [.., 0, j] = sum_k w_k g_kj
    # sum_k w_k |g_kj - g_ki|, one voter at a time with the trials innermost (long contiguous inner loops)
    g_last = np.ascontiguousarray(np.moveaxis(g, 0, -1))  # [k, l, t]
    w_last = np.ascontiguousarray(w.T)  # [k, t]
    absolute = np.zeros((n, n, g.shape[0]))
    step = np.empty_like(absolute)
    for k in range(n):
        np.subtract(g_last[k, None, :, :], g_last[k, :, None, :], out=step)
        np.abs(step, out=step)
        step *= w_last[k]
        absolute += step
    absolute = np.moveaxis(absolute, -1, 0).reshape(*lead, n, n)
    numerator = np.maximum(0.5 * (linear - np.swapaxes(linear, -1, -2) + absolute), 0.0)
    if rule == "per_pair":
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(absolute > 0, numerator / np.where(absolute > 0, absolute, 1.0), 0.5)
    # sum over k, l, m of |votes| = sum_{l, m} absolute
    total = absolute.sum(axis=(-2, -1), keepdims=True)
    return numerator / np.where(total > 0, total, 1.0)


def _expected_utility(
    prevail: np.ndarray,
    position: np.ndarray,
    salience: np.ndarray,
    exponent: np.ndarray,
    median: np.ndarray,
    span: np.ndarray,
    q_status_quo: float,
) -> np.ndarray:
    """EU_ij of eqs. 5-7 for every ordered pair with the exponent exponent[.., i, j]; (..., n, n)."""
    x = position
    span = span[..., None, None]
    gap = np.abs(x[..., :, None] - x[..., None, :]) / span  # |x_i - x_j| / R
    to_median = np.abs(x - median[..., None])[..., :, None] / span  # |x_i - mu| / R

    linear = bool(np.all(exponent == 1.0))  # the risk step: every r = 1, no powers needed

    def utility(base):
        base = np.maximum(base, 0.0)
        return 2.0 - 4.0 * (base if linear else base**exponent)

    u_success = utility(0.5 - 0.5 * gap)
    u_failure = utility(0.5 + 0.5 * gap)
    u_status_quo = 2.0 - 4.0 * 0.5**exponent
    s_j = salience[..., None, :]
    eu = s_j * (prevail * u_success + (1 - prevail) * u_failure) + (1 - s_j) * u_success - q_status_quo * u_status_quo
    if q_status_quo < 1:
        u_better = utility(0.5 - 0.25 * (to_median + gap))
        u_worse = utility(0.5 + 0.25 * (to_median + gap))
        better = (to_median < gap).astype(float)  # T: j moving to the median brings it closer to i
        eu = eu - (1 - q_status_quo) * (better * u_better + (1 - better) * u_worse)
    n = x.shape[-1]
    return eu * (1 - np.eye(n))


def challenge_expected_utility(
    capability: np.ndarray,
    position: np.ndarray,
    salience: np.ndarray,
    risk_exponent: np.ndarray,
    median: np.ndarray,
    position_range: np.ndarray,
    q_status_quo: float = 1.0,
    *,
    rule: str = "all_pairs",
    perspective: str = "challenger",
) -> np.ndarray:
    """EU_ij, expected utility to i of challenging j (Scholz et al. 2011, eqs. 5-7, 15-16, 22-24, 30-31).

    capability, position, salience, risk_exponent: (..., n); median, position_range: (...).
    perspective="challenger": E^i(U_ij), evaluated with i's r_i; "target": E^j(U_ij), the target j's
    estimate of i's expected utility, evaluated with r_j. The votes in P use each voter's r_k.
    Returns (..., n, n) with [.., i, j] = EU_ij and zeros on the diagonal.
    """
    if perspective not in ("challenger", "target"):
        raise ValueError(f"perspective must be 'challenger' or 'target', got {perspective!r}")
    r = np.asarray(risk_exponent, dtype=float)
    span = np.asarray(position_range, dtype=float)
    p = prevail_probability(capability, position, salience, rule=rule, risk_exponent=r, position_range=span)
    exponent = r[..., :, None] if perspective == "challenger" else r[..., None, :]
    return _expected_utility(p, position, salience, exponent, np.asarray(median, dtype=float), span, q_status_quo)


def security_level(eu_risk_neutral: np.ndarray) -> np.ndarray:
    """S_i = sum_{j != i} EU_ji, what i's adversaries expect from challenging it (eq. 32); (..., n, n) -> (..., n)."""
    return eu_risk_neutral.sum(axis=-2)  # column sums: [.., j, i] summed over the challengers j


def risk_exponent(eu_risk_neutral: np.ndarray) -> np.ndarray:
    """r_i from the security levels S_i of expected utilities computed with every r = 1 (eqs. 32-34).

    (..., n, n) -> (..., n), values in [0.5, 2]: r = 2 for the least threatened actor (smallest S_i), 0.5 for
    the most threatened; r = 1 for everyone when all security levels are equal.
    """
    security = security_level(eu_risk_neutral)
    high = security.max(axis=-1, keepdims=True)
    low = security.min(axis=-1, keepdims=True)
    spread = high - low
    with np.errstate(invalid="ignore", divide="ignore"):
        big_r = np.where(spread > 0, (2 * security - high - low) / np.where(spread > 0, spread, 1.0), 0.0)
    return (1 - big_r / 3) / (1 + big_r / 3)


def _apart(position: np.ndarray, resolution: float | np.ndarray = 0.0) -> np.ndarray:
    """[.., i, j]: i and j hold different positions, further apart than `resolution` (`_offers`)."""
    n = position.shape[-1]
    gap = np.abs(position[..., :, None] - position[..., None, :])
    return (gap > np.asarray(resolution)) & ~np.eye(n, dtype=bool)


def _offers(own: np.ndarray, other: np.ndarray, position: np.ndarray, compromise_rule: str,
            resolution: float | np.ndarray = 0.0):
    """Each actor's accepted offer from a = E^i(U_ij) = own[.., i, j] and b = E^i(U_ji) = other[.., i, j].

    Two actors within `resolution` (scale units; per trial, (..., 1, 1) or scalar) of each other hold the same
    position: there is nothing to contest between them. The reason is numerical: a and b are of the order of
    d = |x_i - x_j| / R with a relative rounding error of about eps |x| / d, so for an actor converging on
    another's position (d ~ 1e-12) the kind of the offer, a compromise (b > |a|) or a capitulation, was decided
    by the last bit, and the mirrored scale 10 - x took another trajectory.

    Returns (new position (..., n), offer kind (..., n), proposer index (..., n), -1 for none).
    """
    a, b = own, other
    x_i = position[..., :, None]
    x_j = position[..., None, :]
    distinct = _apart(position, resolution)
    conflict = distinct & (a > 0) & (b > a)
    yields = distinct & (a < 0) & (b > 0)
    compromise = yields & (b > np.abs(a))
    capitulation = yields & ~compromise
    with np.errstate(invalid="ignore", divide="ignore"):
        fraction = np.where(compromise, np.abs(a) / np.where(b > 0, b, 1.0), 1.0)
    target = np.where(compromise, x_i + (x_j - x_i) * fraction, x_j)
    kind = np.select([conflict, compromise, capitulation], [CONFLICT, COMPROMISE, CAPITULATION], NO_MOVE)
    move = np.abs(target - x_i)
    if compromise_rule == "lowest_weighted":
        with np.errstate(invalid="ignore", divide="ignore"):
            weighted = (np.abs(a) * x_i + np.abs(b) * x_j) / np.where(compromise, np.abs(a) + np.abs(b), 1.0)
        rank = np.where(kind == COMPROMISE, weighted, move)
    else:
        rank = move
    # order: kind first, then the rank within the kind (ties: the lowest index, as a stable argmin)
    lo = np.min(np.where(kind == NO_MOVE, np.inf, rank), axis=(-2, -1), keepdims=True)
    hi = np.max(np.where(kind == NO_MOVE, -np.inf, rank), axis=(-2, -1), keepdims=True)
    lo = np.where(np.isfinite(lo), lo, 0.0)
    width = np.where(np.isfinite(hi), hi - lo, 0.0) + 1.0
    key = kind * width + np.where(kind == NO_MOVE, 0.0, rank - lo)
    choice = np.argmin(key, axis=-1)[..., None]
    chosen_kind = np.take_along_axis(kind, choice, axis=-1)[..., 0]
    chosen_target = np.take_along_axis(target, choice, axis=-1)[..., 0]
    new_position = np.where(chosen_kind == NO_MOVE, position, chosen_target)
    proposer = np.where(chosen_kind == NO_MOVE, -1, choice[..., 0])
    return new_position, chosen_kind, proposer


def expected_utility_forecast(
    capability: np.ndarray,
    position: np.ndarray,
    salience: np.ndarray,
    *,
    n_rounds: int = 10,
    tolerance: float = 1e-9,
    q_status_quo: float = 1.0,
    position_range: float | np.ndarray | None = None,
    rule: str = "all_pairs",
    compromise: str = "lowest_weighted",
) -> NegotiationResult:
    """Run the expected-utility negotiation model (Bueno de Mesquita 1994; Scholz et al. 2011).

    Parameters
    ----------
    capability : (n_actors,) or (n_trials, n_actors), >= 0, any unit (only ratios matter).
    position : same shape, actors' positions on the issue scale (the scale's units, e.g. years).
    salience : same shape, in [0, 1] (divide a 0-100 salience by 100).
    n_rounds : maximum number of bargaining rounds (>= 0).
    tolerance : stop when no position moves by more than this (scale units, >= 0). Two positions within it,
        or within 1e-12 (R + max |x|) (rounding), of each other are one position, with nothing to contest
        between them (`_offers`).
    q_status_quo : Q in [0, 1], probability that a target keeps its position absent a challenge.
    position_range : R, the width of the issue scale; default max - min of the initial positions.
    rule : "all_pairs" (default) or "per_pair", the normalisation of P_ij (module docstring).
    compromise : "lowest_weighted" (default, as Scholz et al.'s program) or "least_move" (as printed).

    Returns a NegotiationResult; see its docstring for shapes. Equations: module docstring.
    """
    _check_rule(rule)
    if compromise not in COMPROMISE_RULES:
        raise ValueError(f"compromise must be one of {', '.join(COMPROMISE_RULES)}, got {compromise!r}")
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
    if not tolerance >= 0:
        raise ValueError("tolerance must be >= 0")
    c, x, s = (np.atleast_2d(a) for a in (capability, position, salience))  # (n_trials, n)
    if np.any(np.sum(c * s, axis=-1) <= 0):
        raise ValueError("at least one actor needs capability * salience > 0")
    n_trials, n = x.shape
    if position_range is None:
        span = x.max(axis=-1) - x.min(axis=-1)
    else:
        span = np.broadcast_to(np.asarray(position_range, dtype=float), (n_trials,)).copy()
    span = np.where(span > 0, span, 1.0)  # all actors agree: nothing moves, any R will do
    # positions closer than this are one position (`_offers`): the tolerance, or rounding on this scale
    resolution = np.maximum(tolerance, 1e-12 * (span + np.abs(x).max(axis=-1)))[:, None, None]

    positions = np.empty((n_trials, n_rounds + 1, n))
    forecast = np.empty((n_trials, n_rounds + 1))
    mean = np.empty((n_trials, n_rounds + 1))
    risk = np.ones((n_trials, n_rounds, n))
    kinds = np.full((n_trials, n_rounds, n), NO_MOVE)
    proposers = np.full((n_trials, n_rounds, n), -1)
    first_eu = np.zeros((n_trials, n, n))
    n_challenges = np.zeros((n_trials, n_rounds), dtype=int)
    active = np.ones(n_trials, dtype=bool)
    rounds_run = np.zeros(n_trials, dtype=int)
    positions[:, 0] = x
    forecast[:, 0] = median_voter_position(c, x, s)
    mean[:, 0] = weighted_mean_position(c, x, s)
    ones = np.ones_like(x)
    for t in range(n_rounds):
        mu = forecast[:, t]
        eu_neutral = challenge_expected_utility(c, x, s, ones, mu, span, q_status_quo, rule=rule)
        r = risk_exponent(eu_neutral)
        p = prevail_probability(c, x, s, rule=rule, risk_exponent=r, position_range=span)
        own = _expected_utility(p, x, s, r[:, :, None], mu, span, q_status_quo)  # E^i(U_ij)
        # E^i(U_ji): j challenging i, seen by i, i.e. with the target's r, transposed to [.., i, j]
        other = np.swapaxes(_expected_utility(p, x, s, r[:, None, :], mu, span, q_status_quo), -1, -2)
        if t == 0:
            first_eu = own
        # positions within the resolution are one position (`_offers`)
        n_challenges[:, t] = ((own > 0) & _apart(x, resolution)).sum(axis=(-2, -1))
        new_x, kind, proposer = _offers(own, other, x, compromise, resolution)
        moved = np.max(np.abs(new_x - x), axis=-1) > tolerance
        still = active & moved
        risk[:, t] = np.where(active[:, None], r, risk[:, t])
        kinds[:, t] = np.where(still[:, None], kind, NO_MOVE)
        proposers[:, t] = np.where(still[:, None], proposer, -1)
        x = np.where(still[:, None], new_x, x)
        rounds_run += still
        active = still
        positions[:, t + 1] = x
        forecast[:, t + 1] = median_voter_position(c, x, s)
        mean[:, t + 1] = weighted_mean_position(c, x, s)
    converged = ~active
    if single:
        positions, forecast, mean, risk, kinds = positions[0], forecast[0], mean[0], risk[0], kinds[0]
        proposers, first_eu, n_challenges = proposers[0], first_eu[0], n_challenges[0]
        rounds_run, converged, span = rounds_run[0], converged[0], span[0]
    return NegotiationResult(
        positions=positions,
        forecast=forecast,
        mean_position=mean,
        risk_exponent=risk,
        offer_kind=kinds,
        offer_from=proposers,
        first_round_eu=first_eu,
        n_challenges=n_challenges,
        rounds_run=np.asarray(rounds_run),
        converged=np.asarray(converged),
        q_status_quo=float(q_status_quo),
        position_range=np.asarray(span),
        rule=rule,
        compromise=compromise,
    )
