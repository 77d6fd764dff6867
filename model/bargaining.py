"""Will the settlement hold? The bargaining range, the commitment problem, and survival over time.

Fearon (1995), "Rationalist Explanations for War", International Organization 49(3): the challenger A wins a
war with probability p and pays cost c_A, the defender B pays c_B (both as shares of the stake). A war gives
A the expected share p - c_A and B the share 1 - p - c_B, so every division x (A's share) with

    p - c_A <= x <= p + c_B                                                       (the bargaining range)

is at least as good as war for both.

Powell (2006), "War as a Commitment Problem", International Organization 60(1): 169-203: when power shifts,
the rising side cannot commit not to use its future strength, and war can occur under full information.
accord uses the infinite-horizon form of Powell's model: each year a flow of size 1 (the stake) is divided;
war is absorbing and gives the winner the whole flow for ever, so with discount factor delta a war at t is
worth (p_t - c_A) / (1 - delta) to A and (1 - p_t - c_B) / (1 - delta) to B (costs, like Fearon's, are
shares of the stake, paid every year of the war's consequences). Suppose A is rising (p_{t+1} > p_t). The most
B can get without fighting is the whole flow at t, plus, from t+1 on, what A leaves once it can threaten a war
at p_{t+1}: at most (1 - p_{t+1} + c_A) / (1 - delta). B therefore prefers war at t whenever

    (1 - p_t - c_B) / (1 - delta) > 1 + delta (1 - p_{t+1} + c_A) / (1 - delta)
    <=>  delta p_{t+1} - p_t > c_B + delta c_A                                     (B declining)

and symmetrically A, if it is the declining side, prefers war at t whenever

    delta (1 - p_{t+1}) - (1 - p_t) > c_A + delta c_B                              (A declining).

Written as delta (p_{t+1} - p_t) > (1 - delta) p_t + c_B + delta c_A, this is Powell's statement that war
happens when the discounted shift in power exceeds what the rising side can hand over today (the current
flow) plus the costs of war it saves; as delta -> 1 it is the familiar "shift larger than the costs of war".
It is a sufficient condition for breakdown at t: whatever happens after t+1, the rising side can always
fight, so the bound holds. A fixed share x inside both years' ranges rules the condition out (from
p_{t+1} - c_A <= x <= p_t + c_B, delta p_{t+1} - p_t <= delta (c_A + c_B) - (1 - delta) p_t <= c_B + delta c_A,
and likewise for A), so for a fixed settlement the commitment problem brings a break forward (a preventive war
the year before the terms would leave the range) rather than adding new ones. Slower, persistent shifts can also cause war (Krainin 2017, PSRM 5(1)); accord does
not model that path. The printed inequality above is derived here from the model as Powell sets it out; the
paper's own equation numbering was not available to check against.

What accord adds (MODELS.md section 3): p(t) comes from the force model year by year, and the guarantee's
expected response q (0-1, from the credibility model) with punishment cost P (share of the stake) raises the
challenger's cost of war:

    c_A_eff(t) = c_A + q * P.

The guarantee enters through the cost, not through p: a guarantor's forces already in the force balance are
part of p_win from the force model, and counting them again in p would double count; what the response adds
on top (sanctions, strikes, losses to the guarantor's forces) is a cost, as in the deterrence condition of
MODELS.md section 1. A trial's settlement breaks in the first year its terms leave the range (rule 'range',
optionally also in the first year the commitment problem holds), or by a per-year hazard (rule 'hazard')

    h(t) = logistic((g(t) - h0) / s),   g(t) = (p(t) - c_A_eff(t)) - x(t),

g the challenger's net gain of attacking (its expected war share minus its settlement share).

Shapes: n_trials = n, n_years = T. p paths, shares and costs may be scalars, (n,) (one value per trial, held
over the years) or (n, T). A 1-D array is always read as per trial. All shares, probabilities and costs are in
[0, 1] (costs >= 0; the range is clipped to [0, 1]); the discount factor delta is per year, in [0, 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from model.stats import Z95, wilson_interval

RULES = ("range", "hazard")
SIDES = ("either", "challenger", "defender")


def _per_year(value: np.ndarray | float, n_dim: int) -> np.ndarray:
    """A scalar, (n,) per-trial or (n, T) array, made to broadcast against (n, T) when n_dim == 2."""
    arr = np.asarray(value, dtype=float)
    if n_dim == 2 and arr.ndim == 1:
        return arr[:, None]
    return arr


def bargaining_range(
    p_win: np.ndarray | float,
    cost_challenger: np.ndarray | float,
    cost_defender: np.ndarray | float,
) -> tuple[np.ndarray, np.ndarray]:
    """Fearon's (1995) bargaining range of the challenger's share: lower = p - c_A, upper = p + c_B.

    p_win: the challenger's probability of winning a war, in [0, 1]; cost_challenger c_A and
    cost_defender c_B: each side's cost of war as a share of the stake, >= 0. Any shape that broadcasts
    (scalars, (n,), (n, T)). Returns (lower, upper), clipped to [0, 1] because a share lives there.
    """
    p = np.asarray(p_win, dtype=float)
    lower = np.clip(p - np.asarray(cost_challenger, dtype=float), 0.0, 1.0)
    upper = np.clip(p + np.asarray(cost_defender, dtype=float), 0.0, 1.0)
    return lower, upper


def in_range(
    settlement_share: np.ndarray | float,
    p_win: np.ndarray | float,
    cost_challenger: np.ndarray | float,
    cost_defender: np.ndarray | float,
) -> np.ndarray:
    """True where p - c_A <= x <= p + c_B (Fearon 1995): the settlement beats war for both sides.

    settlement_share x: the challenger's share of the stake under the settlement, in [0, 1]. Shapes
    broadcast; returns a bool array of the broadcast shape.
    """
    lower, upper = bargaining_range(p_win, cost_challenger, cost_defender)
    x = np.asarray(settlement_share, dtype=float)
    return (x >= lower) & (x <= upper)


def commitment_problem(
    p_path: np.ndarray,
    cost_challenger: np.ndarray | float,
    cost_defender: np.ndarray | float,
    discount: np.ndarray | float,
    side: str = "either",
) -> np.ndarray:
    """Years in which a shift of power makes war preferable for the declining side (Powell 2006).

    Flags year t (for t < T-1) when, with delta the discount factor,

        defender declining:   delta p_{t+1} - p_t > c_B(t) + delta c_A(t+1)
        challenger declining: delta (1 - p_{t+1}) - (1 - p_t) > c_A(t) + delta c_B(t+1)

    (the declining side's cost is its cost of fighting now, the rising side's is that of the war it could
    threaten next year; see the module docstring for the derivation). The last year has no successor and is
    never flagged.

    p_path: (n, T) the challenger's p_win by year. Costs (shares of the stake, >= 0) and discount (per year,
    [0, 1)) are scalars, (n,) or (n, T). side: 'either' (default), 'challenger' (only the challenger's
    preventive war: it is declining) or 'defender'. Returns bool (n, T).
    """
    if side not in SIDES:
        raise ValueError(f"side must be one of {SIDES}, got {side!r}")
    p = np.asarray(p_path, dtype=float)
    if p.ndim != 2:
        raise ValueError(f"p_path must have shape (n_trials, n_years), got {p.shape}")
    n, n_years = p.shape
    c_a = np.broadcast_to(_per_year(cost_challenger, 2), (n, n_years))
    c_b = np.broadcast_to(_per_year(cost_defender, 2), (n, n_years))
    delta = _per_year(discount, 2)
    if np.ndim(delta) == 2 and np.shape(delta)[1] == n_years:
        delta = delta[:, :-1]
    p_now, p_next = p[:, :-1], p[:, 1:]
    flags = np.zeros((n, n_years), dtype=bool)
    if side in ("either", "defender"):
        flags[:, :-1] |= delta * p_next - p_now > c_b[:, :-1] + delta * c_a[:, 1:]
    if side in ("either", "challenger"):
        flags[:, :-1] |= delta * (1.0 - p_next) - (1.0 - p_now) > c_a[:, :-1] + delta * c_b[:, 1:]
    return flags


def effective_cost_challenger(
    cost_challenger: np.ndarray | float,
    guarantee_response: np.ndarray | float,
    punish_cost: np.ndarray | float,
    n_dim: int = 1,
) -> np.ndarray:
    """c_A_eff = c_A + q * P: the challenger's cost of war including the expected guarantee response.

    guarantee_response q in [0, 1] (expected capability-weighted response, from the credibility model);
    punish_cost P >= 0, the cost an honoured response imposes, as a share of the stake. n_dim=2 reads 1-D
    inputs as per trial against an (n, T) year axis.
    """
    return _per_year(cost_challenger, n_dim) + _per_year(guarantee_response, n_dim) * _per_year(
        punish_cost, n_dim
    )


def break_hazard(
    settlement_share: np.ndarray | float,
    p_path: np.ndarray,
    guarantee_response: np.ndarray | float,
    punish_cost: np.ndarray | float,
    cost_challenger: np.ndarray | float,
    hazard_midpoint: np.ndarray | float = 0.0,
    hazard_scale: np.ndarray | float = 0.05,
) -> np.ndarray:
    """Per-year probability that the challenger breaks the settlement, shape (n, T).

    h(t) = logistic((g(t) - h0) / s), g(t) = p(t) - c_A_eff(t) - x(t): the challenger's expected war share
    minus its settlement share (both shares of the stake). h0 (hazard_midpoint, share of the stake) is the net
    gain at which h = 1/2; s > 0 (hazard_scale, share of the stake) how sharply h rises around it.
    """
    p = np.asarray(p_path, dtype=float)
    c_a_eff = effective_cost_challenger(cost_challenger, guarantee_response, punish_cost, n_dim=2)
    net_gain = p - c_a_eff - _per_year(settlement_share, 2)
    z = (net_gain - _per_year(hazard_midpoint, 2)) / _per_year(hazard_scale, 2)
    return np.broadcast_to(special.expit(z), p.shape).copy()


def survival_from_hazard(hazard: np.ndarray) -> np.ndarray:
    """Per-trial probability of holding at least t years, S(t) = prod_{s<t} (1 - h(s)), shape (n, T+1).

    The closed form of the 'hazard' rule: its mean over trials is the expected survival curve without
    sampling noise.
    """
    h = np.asarray(hazard, dtype=float)
    ones = np.ones(h.shape[:-1] + (1,))
    return np.concatenate([ones, np.cumprod(1.0 - h, axis=-1)], axis=-1)


def _first_true(flags: np.ndarray) -> np.ndarray:
    """Index of the first True along the year axis, or T where there is none; shape (n,)."""
    n_years = flags.shape[-1]
    return np.where(flags.any(axis=-1), flags.argmax(axis=-1), n_years)


def expected_war_share(settlement_share: np.ndarray | float, p_breakthrough: np.ndarray) -> np.ndarray:
    """The challenger's expected share of the stake from a renewed war, Fearon's p, when war starts from the
    settlement's line:

        p(t) = x + p_b(t) * (1 - x)

    x in [0, 1]: the challenger's share under the settlement (what it holds if its offensive fails);
    p_b(t) in [0, 1]: its probability of a breakthrough (winning: it takes the whole stake). Shapes: x scalar
    or (n,), p_b (n, T) -> (n, T). With this p the defender never prefers war (x <= p + c_B always), and the
    challenger prefers war iff p_b (1 - x) > c_A_eff: a settlement that already gives the challenger most of
    the stake leaves it less to gain. accord's reading of Fearon's (1995) p for a war fought from the
    settlement's line (an assumption: the defender does not counter-attack to retake ground).
    """
    x = np.asarray(settlement_share, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    return x + np.asarray(p_breakthrough, dtype=float) * (1.0 - x)


def settlement_breaks(
    settlement_share: np.ndarray | float,
    p_path: np.ndarray,
    guarantee_response: np.ndarray | float,
    punish_cost: np.ndarray | float,
    cost_challenger: np.ndarray | float,
    cost_defender: np.ndarray | float,
    discount: np.ndarray | float = 0.9,
    *,
    rule: str = "range",
    include_commitment: bool = False,
    hazard_midpoint: np.ndarray | float = 0.0,
    hazard_scale: np.ndarray | float = 0.05,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """First year (0-based) in which each trial's settlement breaks; n_years where it holds throughout.

    rule='range': year t breaks when x(t) is outside [p(t) - c_A_eff(t), p(t) + c_B(t)] (Fearon 1995) or,
    with include_commitment, when commitment_problem flags t (Powell 2006; c_A_eff used there too).
    rule='hazard': each year breaks with probability break_hazard(...) (h0 = hazard_midpoint,
    s = hazard_scale); one (n, T) block of uniforms is drawn from ``rng`` and the break is the first year
    with u < h, so a given seed gives the same break years.

    settlement_share x: the challenger's share of the stake, scalar, (n,) or (n, T). p_path (n, T): the
    challenger's p_win by year. guarantee_response q in [0, 1] and punish_cost P (share of the stake): see
    effective_cost_challenger. Costs are shares of the stake; discount per year in [0, 1).
    Returns int (n,): a value t < n_years is the year of breakdown (peace held t full years); n_years means
    the settlement held through the horizon. A higher q never makes a break earlier under 'range'.
    """
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    p = np.asarray(p_path, dtype=float)
    if p.ndim != 2:
        raise ValueError(f"p_path must have shape (n_trials, n_years), got {p.shape}")
    if rule == "hazard":
        if rng is None:
            raise ValueError("rule='hazard' needs an explicit numpy Generator (rng)")
        hazard = break_hazard(
            settlement_share, p, guarantee_response, punish_cost, cost_challenger, hazard_midpoint, hazard_scale
        )
        uniforms = rng.random(p.shape)
        return _first_true(uniforms < hazard)
    c_a_eff = effective_cost_challenger(cost_challenger, guarantee_response, punish_cost, n_dim=2)
    c_b = _per_year(cost_defender, 2)
    broken = ~in_range(_per_year(settlement_share, 2), p, c_a_eff, c_b)
    broken = np.broadcast_to(broken, p.shape)
    if include_commitment:
        broken = broken | commitment_problem(p, c_a_eff, c_b, discount)
    return _first_true(broken)


@dataclass(frozen=True)
class SurvivalCurve:
    """P(the settlement holds at least t years | adopted), t = 0..T, with its Monte Carlo uncertainty.

    years (T+1,); survival (T+1,) with survival[0] = 1, non-increasing; se (T+1,) the binomial standard
    error sqrt(S (1 - S) / n); ci_low, ci_high (T+1,) Wilson (1927) 95% intervals; break_year_pmf (T+1,):
    P(break in year k) for k < T and, last, P(holds through the horizon); n_trials.
    """

    years: np.ndarray
    survival: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    break_year_pmf: np.ndarray
    n_trials: int

    def normal_interval(self) -> tuple[np.ndarray, np.ndarray]:
        """The normal-approximation 95% interval S +- 1.96 se, clipped to [0, 1]."""
        return np.clip(self.survival - Z95 * self.se, 0, 1), np.clip(self.survival + Z95 * self.se, 0, 1)


def survival_curve(break_year: np.ndarray, n_years: int) -> SurvivalCurve:
    """The empirical survival function of the break years: S(t) = P(break_year >= t), t = 0..T.

    break_year: int (n,) from settlement_breaks, values in 0..n_years (n_years = held throughout; nothing is
    censored before the horizon, so the empirical survival function is exact). Returns a SurvivalCurve.
    """
    years_broken = np.asarray(break_year)
    if years_broken.ndim != 1 or years_broken.size == 0:
        raise ValueError("break_year must be a non-empty 1-D array")
    if years_broken.min() < 0 or years_broken.max() > n_years:
        raise ValueError(f"break years must lie in 0..{n_years}")
    n = years_broken.size
    counts = np.bincount(years_broken.astype(int), minlength=n_years + 1).astype(float)
    pmf = counts / n
    # S(t) = P(B >= t) = sum of the pmf from t on: a reversed cumulative sum, exactly 1 at t = 0.
    survival = np.cumsum(counts[::-1])[::-1] / n
    se = np.sqrt(survival * (1.0 - survival) / n)
    ci_low, ci_high = wilson_interval(survival, n)
    return SurvivalCurve(
        years=np.arange(n_years + 1),
        survival=survival,
        se=se,
        ci_low=np.asarray(ci_low),
        ci_high=np.asarray(ci_high),
        break_year_pmf=pmf,
        n_trials=n,
    )
