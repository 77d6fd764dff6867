"""Will the settlement hold? The bargaining range, the commitment problem, and survival over time.

Fearon (1995), "Rationalist Explanations for War", International Organization 49(3): the challenger A wins a
war with probability p and pays cost c_A, the defender B pays c_B (both as shares of the stake). A war gives
A the expected share p - c_A and B the share 1 - p - c_B, so every division x (A's share) with

    p - c_A <= x <= p + c_B                                                       (the bargaining range)

is at least as good as war for both.

accord's reading (MODELS.md sections 0, 1, 3). The stake is the territorial dispute (model/terms.py: the
coalition's territory scale), x the plan's position on it, and "war" is one campaign season of renewed
fighting from the settlement's line, whose territorial outcome comes from the one war model (model/war.py)
year by year. Each side's value of war is its expected share after the season net of its costs; relative
to the settlement, i.e. as a PAYOFF of war over peace (positive: that side prefers war):

    challenger  payoff_A(t) = (1 - q) (G_A(t) - c_A) + q (G_Ag(t) - c_A - P)     (model.guarantees.war_payoff)
    defender    payoff_B(t) = G_B(t) - c_B

G_A the challenger's expected gain (stake shares) of an offensive against the defender alone, G_Ag the same
against the defender and a full guarantor response, q the guarantors' expected response, P the further
cost a response imposes; G_B the defender's expected gain of its own offensive (a guarantee does not cover
a war the protected state starts: point 22 of the 28-point plan voids it). With no guarantee (q = 0) and
p = x + G, these are Fearon's conditions: payoff_A > 0 iff x < p - c_A, payoff_B > 0 iff x > p_B + c_B.
A renewed war voids the settlement's text: it starts from the physical line L the plan leaves on the ground
(model.terms.physical_line), so the gains here are war outcomes against x, G_A = (L - x) + g_A and G_B =
(x - L) + g_B with g the seasons' expected gains (scenarios.world.war_in_stake): what a plan grants beyond the
ground (x > L: recognition, a frozen front) is lost to the challenger by attacking and regained by the
defender (Werner 1999: terms far from the balance of power do not hold). The bargaining range of the
challenger's share is [x + payoff_A, x - payoff_B], and the gap

    g(t) = max(payoff_A(t), payoff_B(t))

is how far (in stake shares) x lies outside it; either side may prefer war, the defender too when the
balance shifts its way.

Powell (2006), "War as a Commitment Problem", International Organization 60(1): 169-203: when power shifts,
the rising side cannot commit not to use its future strength, and the declining side may fight now, under
full information. In the infinite-horizon form (a flow of size 1 divided each year; war absorbing, a side's
war value v per year for ever; discount factor delta), the most the declining defender can get without
fighting is the whole flow at t plus, from t+1 on, what the rising challenger leaves once it can threaten
war: 1 - v_A(t+1). So B prefers war at t when v_B(t) / (1 - delta) > 1 + delta (1 - v_A(t+1)) / (1 - delta),

    s_B(t) = v_B(t) + delta v_A(t+1) - 1 > 0,     and symmetrically   s_A(t) = v_A(t) + delta v_B(t+1) - 1 > 0

for a declining challenger. With v_A = x + payoff_A and v_B = 1 - x + payoff_B,

    s_B(t) = payoff_B(t) + delta payoff_A(t+1) - (1 - delta) x
    s_A(t) = payoff_A(t) + delta payoff_B(t+1) - (1 - delta) (1 - x)

and s(t) = max(s_A, s_B), Powell's power-shift term (the declining side's net gain from a preventive war,
stake shares; the last year has no successor: s = -inf there). With no guarantee this is the familiar
delta p_{t+1} - p_t > c_B + delta c_A (derived here from the model as Powell sets it out; the paper's own
equation numbering was not available to check against). A fixed x inside both years' ranges rules it out,
so a shift breaks the peace only when the next year's terms would leave the range faster than the costs
absorb: a preventive war brought forward. Slower, persistent shifts can also cause war (Krainin 2017, PSRM
5(1)); accord does not model that path.

Survival (MODELS.md section 3). The mechanism alone (the deterministic range rule): a trial's peace breaks in
the first year with g(t) > 0 or s(t) > 0. The combined model the headline uses puts the mechanism on top of
the record's reference-class hazard h0(t) (Fortna 2003, 2004: highest early, falling with time; strong
agreements lower it) as a proportional-hazards multiplier,

    h(t) = 1 - (1 - h0(t)) ^ exp(gamma_g g(t)+ + gamma_s d(t))

with d(t) = |m(t) - m(t-1)| the size of the shift in the military balance m = g_A - g_B (the challenger's
expected gain of a season of war net of the defender's own offensive; its war share is p = L + m, L the
physical line) from one year to the next, d(0) = 0 by default: what the settlement itself changes at once
(the cap, the fortified ground ceded, the aid cut) is in the level of the first year's war payoffs, so the gap
prices it (the terms against the new balance). The settlement's `first_year_shift` variant also counts it as
a shift, d(0) = |m(0) - m_before| from the wartime balance of the day before. The ground handed over moves L:
that is the deal, not a shift of power, so it is never in d. MODELS.md writes shift(t)+; accord reads it as
the shift's size, in either direction: Powell's (2006) point is that a large, rapid shift in either side's
favour makes the declining side's preventive war thinkable even when no year's terms leave the range; his
strict condition s(t) is the deterministic rule's, the size of the shift raises the hazard below it.
the grouped-time (complementary log-log) form of h0(t) exp(...) (Prentice & Gloeckler 1978), which stays a
probability however large the multiplier; gamma_g, gamma_s are stated priors with ranges (sweepable).
Survival S(t) = prod_{k < t} (1 - h(k)).

Shapes: n_trials = n, n_years = T. Payoffs are (n, T) (or broadcast to it); shares, costs and the discount
factor are scalars or (n,) (one value per trial, held over the years), and a 1-D array is always read as per
trial. Shares in [0, 1]; the discount factor delta is per year, in [0, 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.guarantees import war_payoff
from model.stats import Z95, wilson_interval


def _per_trial(value: np.ndarray | float) -> np.ndarray:
    """A scalar or (n,) per-trial value as a column that broadcasts against (n, T)."""
    arr = np.asarray(value, dtype=float)
    return arr[:, None] if arr.ndim == 1 else arr


def war_payoffs(
    guarantee_response: np.ndarray | float,
    gain_challenger: np.ndarray,
    gain_challenger_guaranteed: np.ndarray,
    gain_defender: np.ndarray,
    cost_challenger: np.ndarray | float,
    cost_defender: np.ndarray | float,
    punishment: np.ndarray | float,
) -> tuple[np.ndarray, np.ndarray]:
    """(payoff_A, payoff_B), each (n, T): the two sides' payoffs of war over the settlement (module
    docstring). The challenger's is model.guarantees.war_payoff, the one implementation deterrence uses too.

    guarantee_response q in [0, 1]: scalar, (n,) or (n, T) (a credibility that changes over the horizon);
    gains (n, T) in stake shares; costs and punishment scalars or (n,)."""
    q = np.asarray(guarantee_response, dtype=float)
    q = q[:, None] if q.ndim == 1 else q
    c_a, c_b, punish = _per_trial(cost_challenger), _per_trial(cost_defender), _per_trial(punishment)
    payoff_a = war_payoff(q, gain_challenger, gain_challenger_guaranteed, c_a, punish)
    payoff_b = np.asarray(gain_defender, dtype=float) - c_b
    return payoff_a, payoff_b


def bargaining_range(
    settlement_share: np.ndarray | float, payoff_challenger: np.ndarray, payoff_defender: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The range of the challenger's share that both sides prefer to war: [x + payoff_A, x - payoff_B],
    clipped to [0, 1] (module docstring; Fearon 1995). Empty where lower > upper."""
    x = _per_trial(settlement_share)
    lower = np.clip(x + np.asarray(payoff_challenger, dtype=float), 0.0, 1.0)
    upper = np.clip(x - np.asarray(payoff_defender, dtype=float), 0.0, 1.0)
    return lower, upper


def bargaining_gap(payoff_challenger: np.ndarray, payoff_defender: np.ndarray) -> np.ndarray:
    """g = max(payoff_A, payoff_B): how far the settlement lies outside the bargaining range (stake shares);
    positive where a side prefers war."""
    return np.maximum(np.asarray(payoff_challenger, dtype=float), np.asarray(payoff_defender, dtype=float))


def commitment_shift(
    settlement_share: np.ndarray | float,
    payoff_challenger: np.ndarray,
    payoff_defender: np.ndarray,
    discount: np.ndarray | float,
) -> np.ndarray:
    """Powell's (2006) power-shift term s(t) = max(s_A(t), s_B(t)) (module docstring), shape (n, T); the last
    year -inf (no successor). Positive: the declining side prefers a preventive war in year t."""
    pa = np.asarray(payoff_challenger, dtype=float)
    pb = np.asarray(payoff_defender, dtype=float)
    pa, pb = np.broadcast_arrays(pa, pb)
    x = _per_trial(settlement_share)
    delta = _per_trial(discount)
    out = np.full(pa.shape, -np.inf)
    if pa.shape[-1] > 1:
        s_b = pb[..., :-1] + delta * pa[..., 1:] - (1.0 - delta) * x
        s_a = pa[..., :-1] + delta * pb[..., 1:] - (1.0 - delta) * (1.0 - x)
        out[..., :-1] = np.maximum(s_a, s_b)
    return out


def shift_size(balance: np.ndarray, balance_before: np.ndarray | float | None = None) -> np.ndarray:
    """d(t) = |m(t) - m(t-1)|, m the military balance g_A - g_B in stake shares (module docstring), (n, T).
    d(0) is the shift the settlement itself makes, from m before it (the wartime balance, scalar or (n,));
    without it d(0) = 0."""
    p = np.asarray(balance, dtype=float)
    out = np.zeros(p.shape)
    out[..., 1:] = np.abs(np.diff(p, axis=-1))
    if balance_before is not None:
        out[..., 0] = np.abs(p[..., 0] - np.asarray(balance_before, dtype=float))
    return out


def first_break_year(broken: np.ndarray) -> np.ndarray:
    """Index of the first True along the year axis, or T where there is none; shape (n,)."""
    n_years = broken.shape[-1]
    return np.where(broken.any(axis=-1), broken.argmax(axis=-1), n_years)


def mechanism_break_year(gap: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """The mechanism alone (deterministic): the first year (0-based) with g(t) > 0 or s(t) > 0, T where the
    settlement holds through the horizon; int (n,)."""
    return first_break_year((np.asarray(gap) > 0) | (np.asarray(shift) > 0))


def combined_hazard(
    base_hazard: np.ndarray | float,
    gap: np.ndarray,
    shift: np.ndarray,
    gamma_gap: np.ndarray | float,
    gamma_shift: np.ndarray | float,
) -> np.ndarray:
    """h(t) = 1 - (1 - h0(t)) ^ exp(gamma_g g(t)+ + gamma_s d(t)+), shape of the broadcast (n, T).

    base_hazard h0 in [0, 1]: the reference-class yearly hazard (scalar, (n,) or (n, T)); gap g and shift d
    (n, T) in stake shares (the settlement passes d = shift_size(...); negative parts count 0); gamma_g,
    gamma_s >= 0 per stake share (scalar or (n,)). With gap and shift <= 0 it is h0; it rises with each,
    towards 1."""
    h0 = np.clip(np.asarray(base_hazard, dtype=float), 0.0, 1.0)
    if h0.ndim == 1:
        h0 = h0[:, None]
    eta = np.asarray(_per_trial(gamma_gap) * np.maximum(gap, 0.0)
                     + _per_trial(gamma_shift) * np.maximum(shift, 0.0))
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        np.exp(eta, out=eta)
        log_keep = np.asarray(np.log1p(-h0) * eta)  # log(1 - h)
    np.expm1(log_keep, out=log_keep)
    np.negative(log_keep, out=log_keep)
    return np.where(h0 >= 1.0, 1.0, log_keep)


def survival_from_hazard(hazard: np.ndarray) -> np.ndarray:
    """Per-trial probability of holding at least t years, S(t) = prod_{s<t} (1 - h(s)), shape (n, T+1)."""
    h = np.asarray(hazard, dtype=float)
    out = np.empty(h.shape[:-1] + (h.shape[-1] + 1,))
    out[..., 0] = 1.0
    np.subtract(1.0, h, out=out[..., 1:])
    np.cumprod(out[..., 1:], axis=-1, out=out[..., 1:])
    return out


def survival_from_break_year(break_year: np.ndarray, n_years: int) -> np.ndarray:
    """1{break_year >= t} for t = 0..T: (n, T+1) 0/1 survival of the deterministic rule."""
    return (np.asarray(break_year)[:, None] >= np.arange(n_years + 1)[None, :]).astype(float)


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

    break_year: int (n,) in 0..n_years (n_years = held throughout; nothing is censored before the horizon,
    so the empirical survival function is exact). Returns a SurvivalCurve.
    """
    years_broken = np.asarray(break_year)
    if years_broken.ndim != 1 or years_broken.size == 0:
        raise ValueError("break_year must be a non-empty 1-D array")
    if years_broken.min() < 0 or years_broken.max() > n_years:
        raise ValueError(f"break years must lie in 0..{n_years}")
    n = years_broken.size
    counts = np.bincount(years_broken.astype(int), minlength=n_years + 1).astype(float)
    pmf = counts / n
    survival = np.cumsum(counts[::-1])[::-1] / n  # S(t) = P(B >= t): a reversed cumulative sum, 1 at t = 0
    se = np.sqrt(survival * (1.0 - survival) / n)
    ci_low, ci_high = wilson_interval(survival, n)
    return SurvivalCurve(years=np.arange(n_years + 1), survival=survival, se=se, ci_low=np.asarray(ci_low),
                         ci_high=np.asarray(ci_high), break_year_pmf=pmf, n_trials=n)
