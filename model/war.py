"""The theatre war: the year's force balance -> territory changing hands in a campaign season (MODELS.md 0, 2).

One war model for the whole composite. A single theatre-wide Lanchester square law is not a model of a
1,000-km front: a theatre is many separate battles whose local odds depend on where the attacker masses, how
densely the defender holds, and how well it is dug in, and its outcome is not an attrition race between two
totals (Epstein 1985, *The Calculus of Conventional War*; Biddle 2004, *Military Power*). accord therefore
builds the theatre from the battle record's empirical relations (model/battles.py, fitted on CDB90) and lets
an observation fix the level.

**Construction.** In year t the attacker (strength A, after the defender's long-range interdiction), the
defender (strength D, holding a front of L km), the defender's posture mix (shares f fortified, p prepared,
h = 1 - f - p hasty of the attacker's battles) and the attacker's air superiority a give, per battle,

    x = ln(c A / D)                 local log force ratio; c >= 1 the attacker's concentration at the points
                                    of attack (Epstein: the attacker chooses where to mass; assumption)
    n = ln((D / L) / 1000)          the defender's density (force-to-space)
    P_k = P(win | x, posture k, a) for k = hasty, prepared, fortified; E[v | win, n], E[v^2 | win, n]
                                    (model/battles.py)

    p_success = sum_k s_k P_k                                        (s_k the posture shares)
    e  = p_success E[v | win] + (1 - p_success) m_l                 km/day: expected advance of a battle
    e2 = p_success E[v^2 | win] + (1 - p_success) (m_l^2 + s_l^2)

p_success is the calibrated chance that an engagement of the offensive succeeds (the attacker accomplishes
its mission, in CDB90's coding): what replaces the old P(breakthrough). The territory an offensive takes in
a season of S days along the front is

    G = kappa L S e   (km2),    kappa = the attacker's offensive intensity (km of front in battle per km of
                                front, per day)

**Tempo grows with the attacker's surplus and with force-to-space collapse.** kappa is not a constant of the
war: an attacker with more troops per defender can attack on more axes at once, and a defender spread thin
over its front can no longer hold every position, so more of the front is in battle and gives way
(force-to-space: Liddell Hart; Mearsheimer 1989, "Assessing the conventional balance", International
Security 13(4); "troops so stretched that they can no longer hold some of their positions", NYT on the
autumn 2024 Russian advance). With r = A / D the theatre ratio and rho = D / L the defender's density,

    kappa_t = kappa_now (r_t / r_now)^eta (rho_now / rho_t)^zeta         (`intensity_factor`)

eta >= 0 the tempo's elasticity to the attacker's surplus, zeta >= 0 to the defender's thinning (both
assumptions with ranges, bracketed by the backcast of 2023 and 2024 in tests/test_war.py). The battle
record's relations add their own, weaker, response (P_k on ln r, E[v | win] on ln rho): CDB90 battles are
single engagements, the tempo of a theatre is not in it.

**The defender's collapse.** A defender with no troops in the theatre (D = 0: its forces capped, unequipped
or worn away to nothing) cannot hold: the offensive takes whatever the geography leaves it (scenarios/
forces.py: the Kyiv-held rest of the claimed oblasts), with certainty. That is a defined outcome, counted in
the outputs, never a logarithm of zero.

The spread of a season's gain comes from N operations whose outcomes are independent (operations_per_year
scaled to the season; common shocks make N far smaller than the number of battles; assumption):

    sd(G) = kappa L S sqrt((e2 - e^2) / N)

**Level from the observation, shape from the record.** kappa is not known; it is fixed so that the war as it
is fought today reproduces the observed rate of Russian gains g_obs (about 5,000 km2 in 2025; 5,400 km2
January-November 2025). In that war Russia attacks with intensity kappa_R and Ukraine counter-attacks with
tau_c kappa_R (tau_c: the tempo of its counter-attacks relative to Russia's offensive, a few per cent in 2025),
and the observation is the net:

    kappa_R L_now (e_R(now) - tau_c e_U(now)) = g_obs             (per day)

so CDB90 gives how gains change with the balance (the shape) and the observation gives their level. The
denominator is floored at a tenth of e_R(now): a config whose balance today would let Ukraine's counter-
attacks offset more than nine tenths of Russia's gross gains cannot reproduce the observation. The war with
no settlement goes on in that mode (Russia's offensive, Ukraine's counter-attacks at tau_c). A renewed war
after a peace is one side's offensive: Russia's at kappa_R, or Ukraine's at tau_o kappa_R (tau_o: the tempo
of a dedicated Ukrainian offensive relative to Russia's, as in 2023; an assumption). A side with the tempo
tau runs tau times as many operations as Russia.

**Distribution.** Across trials, the relations' coefficients are drawn from the fit's sampling distribution
(model.battles.BattleRelations.coefficients). Within a trial a season's gain G has mean and sd as above, and
is read as a gamma distribution moment-matched to them (positive and right-skewed, as the sum of a few
log-normal advances is; it tends to the normal as N grows); `exceedance` gives P(G >= threshold), e.g. for a
deterrence objective. A non-positive mean (an offensive expected to lose ground) puts no mass on any
positive gain.

Shapes: every input is a scalar or an array that broadcasts ((n_trials,) per trial, (n_trials, n_years) per
year); the outputs take the broadcast shape. Deterministic given the coefficients: no randomness here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from model import battles as MB

ANCHOR_FLOOR = 0.1  # the anchor's denominator is at least this share of Russia's expected advance today


@dataclass(frozen=True)
class Offensive:
    """One side's offensive at a given balance: p_success, and the first two moments of a battle's advance
    (km/day, (km/day)^2), each of the inputs' broadcast shape."""

    p_success: np.ndarray
    advance_km_per_day: np.ndarray
    advance_second_moment: np.ndarray


@dataclass(frozen=True)
class SideRelations:
    """The relations as one attacking side reads them: per-trial constants (scalars or arrays that broadcast
    against the strengths), computed once so that an offensive costs two exponentials per battle
    (model/battles.py's sums, rearranged; `offensive` is the readable entry point):

        P_k = 1 / (1 + q c_k),  q = exp(-(w0 + b_r ln(A / D))),  c_hasty = 1, c_prepared = exp(-b_p),
        c_fortified = exp(-b_p - b_f),  w0 = b0 + b_a air + b_r ln(concentration)
        E[v | win] = g rho^c_n,  g = pi exp(c0 + s^2/2) / 1000^c_n,  E[v^2 | win] = E[v | win]^2 exp(s^2) / pi
    """

    w0: np.ndarray | float
    slope: np.ndarray | float
    c_prepared: np.ndarray | float
    c_fortified: np.ndarray | float
    advance_scale: np.ndarray | float
    density_slope: np.ndarray | float
    second_factor: float
    loss_mean: np.ndarray | float
    loss_second: np.ndarray | float

    @classmethod
    def of(cls, coef: MB.Coefficients, air=0.0, concentration=1.0) -> SideRelations:
        s2 = coef.advance_sd**2
        return cls(
            w0=coef.win_intercept + coef.win_air * air + coef.win_log_ratio * np.log(concentration),
            slope=coef.win_log_ratio,
            c_prepared=np.exp(-coef.win_prepared),
            c_fortified=np.exp(-(coef.win_prepared + coef.win_fortified)),
            advance_scale=coef.share_advancing * np.exp(coef.advance_intercept + 0.5 * s2
                                                        - coef.advance_log_density * np.log(MB.DENSITY_REF_TROOPS_PER_KM)),
            density_slope=coef.advance_log_density,
            second_factor=float(np.exp(s2) / coef.share_advancing) if coef.share_advancing > 0 else 0.0,
            loss_mean=coef.loss_mean,
            loss_second=_loss_second_moment(coef),
        )


def offensive_from_logs(side: SideRelations, log_attacker, log_defender, log_front_km, defender_fortified_share,
                        defender_prepared_share) -> Offensive:
    """`offensive` on log strengths and log front length (so a caller can share the logarithms between both
    sides' offensives); arrays broadcast."""
    fortified = np.asarray(defender_fortified_share, float)
    prepared = np.asarray(defender_prepared_share, float)
    # in place, in buffers of the inputs' broadcast shape (a year of a chunk: ~50,000 trials)
    shape = np.broadcast_shapes(*(np.shape(x) for x in (
        log_attacker, log_defender, log_front_km, fortified, prepared, side.w0, side.slope, side.c_prepared,
        side.c_fortified, side.advance_scale, side.density_slope, side.loss_mean, side.loss_second)))
    q = np.empty(shape or (1,))
    np.subtract(log_attacker, log_defender, out=q)
    q *= side.slope
    q += side.w0
    np.negative(q, out=q)
    with np.errstate(over="ignore"):
        np.exp(q, out=q)
    p_h = np.reciprocal(q + 1.0)
    p_p = q * side.c_prepared
    p_p += 1.0
    np.reciprocal(p_p, out=p_p)
    p_f = q
    p_f *= side.c_fortified
    p_f += 1.0
    np.reciprocal(p_f, out=p_f)
    # p_success = p_h + prepared (p_p - p_h) + fortified (p_f - p_h)
    p_p -= p_h
    p_p *= prepared
    p_f -= p_h
    p_f *= fortified
    p_success = p_p
    p_success += p_f
    p_success += p_h
    first = np.empty_like(q)
    np.subtract(log_defender, log_front_km, out=first)
    first *= side.density_slope
    np.exp(first, out=first)
    first *= side.advance_scale
    second = first * first
    second *= side.second_factor
    e1 = first
    e1 -= side.loss_mean
    e1 *= p_success
    e1 += side.loss_mean
    e2 = second
    e2 -= side.loss_second
    e2 *= p_success
    e2 += side.loss_second
    return Offensive(p_success.reshape(shape), e1.reshape(shape), e2.reshape(shape))


def offensive(coef: MB.Coefficients, attacker_troops, defender_troops, front_km, defender_fortified_share,
              defender_prepared_share, air=0.0, concentration=1.0) -> Offensive:
    """p_success, e and e2 of an offensive (module docstring). Troops > 0, front_km > 0, shares in [0, 1]
    with fortified + prepared <= 1, air in [-1, 1] (the attacker's theatre air superiority), concentration
    >= 1. Coefficient arrays of shape (n,) broadcast against inputs of shape (n,); for (n, T) inputs pass
    coefficients of shape (n, 1). The same sums as model.battles.p_attacker_wins over the three postures and
    model.battles.advance_moments_if_won (tested equal), arranged as in SideRelations."""
    return offensive_from_logs(SideRelations.of(coef, air, concentration), np.log(attacker_troops),
                               np.log(defender_troops), np.log(front_km), defender_fortified_share,
                               defender_prepared_share)


def _loss_second_moment(coef: MB.Coefficients) -> np.ndarray | float:
    """E[v^2 | loss] = m_l^2 + s_l^2 in (km/day)^2."""
    return np.asarray(coef.loss_mean) ** 2 + coef.loss_sd**2


def russian_intensity(gain_now_km2_per_day, front_km_now, russia_now: Offensive, ukraine_now: Offensive,
                      ukraine_counterattack_tempo) -> np.ndarray:
    """kappa_R = g_obs / (L_now max(e_R(now) - tau e_U(now), ANCHOR_FLOOR e_R(now))): the offensive intensity
    (km of front in battle per km of front) that reproduces the observed net Russian gains per day at
    today's balance. gain_now_km2_per_day >= 0; the offensives are those at today's balance."""
    e_r = russia_now.advance_km_per_day
    net = np.maximum(e_r - np.asarray(ukraine_counterattack_tempo, float) * ukraine_now.advance_km_per_day,
                     ANCHOR_FLOOR * e_r)
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = np.asarray(gain_now_km2_per_day, float) / (np.asarray(front_km_now, float) * net)
    return np.where(net > 0, kappa, 0.0)


def intensity_factor(log_ratio, log_ratio_now, log_density, log_density_now, surplus_elasticity,
                     space_elasticity, max_factor=np.inf) -> np.ndarray:
    """kappa_t / kappa_now = exp(x), x = eta (ln r_t - ln r_now) - zeta (ln rho_t - ln rho_now) (module
    docstring): r the attacker's theatre ratio A / D, rho the defender's density D / L (troops/km), eta,
    zeta >= 0. Equal to 1 at today's balance. Above it the power law can be bounded by a culminating point
    (Clausewitz, On War, book 7: logistics, attrition, the defender's remobilisation): with c = ln(max_factor),

        x -> c tanh(x / c)    for x > 0   (slope 1 at today's balance, never above max_factor)

    and unchanged below. max_factor = inf (the default) leaves the power law. Arrays broadcast."""
    x = np.asarray(surplus_elasticity, float) * np.subtract(log_ratio, log_ratio_now, dtype=float)
    x = np.asarray(x - np.asarray(space_elasticity, float) * np.subtract(log_density, log_density_now, dtype=float))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        c = np.log(np.asarray(max_factor, float))
        finite = np.isfinite(c) & (c > 0)  # the bound applies (max_factor = inf: the power law alone)
        if finite.any():
            bounded = np.asarray(x / (c if finite.all() else np.where(c > 0, c, 1.0)))
            np.tanh(bounded, out=bounded)
            bounded *= c
            x = np.where((x > 0) & finite, bounded, x)
        return np.exp(x, out=x) if x.ndim else np.exp(x)


def season_gain(off: Offensive, intensity, front_km, days, operations) -> tuple[np.ndarray, np.ndarray]:
    """(mean, sd) of the km2 an offensive takes in `days` days: kappa L S e and kappa L S sqrt((e2 - e^2)/N),
    N = operations (> 0) independent operations in those days."""
    scale = np.asarray(intensity, float) * np.asarray(front_km, float) * np.asarray(days, float)
    return season_moments(off, scale, scale / np.sqrt(np.asarray(operations, float)))


def season_moments(off: Offensive, scale, sd_scale) -> tuple[np.ndarray, np.ndarray]:
    """season_gain with its per-trial factors precomputed: scale = kappa L S, sd_scale = scale / sqrt(N)."""
    mean = off.advance_km_per_day * scale
    var = np.asarray(off.advance_km_per_day * off.advance_km_per_day)  # an array even for one battle
    np.subtract(off.advance_second_moment, var, out=var)
    np.maximum(var, 0.0, out=var)
    np.sqrt(var, out=var)
    var *= sd_scale
    return mean, var


def exceedance(threshold_km2, mean_km2, sd_km2, family: str = "gamma") -> np.ndarray:
    """P(gain >= threshold) for a gain with the given mean and sd (broadcast).

    family "gamma" (the default; module docstring): shape k = (mean / sd)^2, scale sd^2 / mean, so
    P = Q(k, threshold / scale) (the regularised upper incomplete gamma function); a non-positive mean gives 0
    for a positive threshold and 1 otherwise; sd = 0 gives the step at the mean. family "normal": 1 -
    Phi((threshold - mean) / sd), for net changes that may be negative.
    """
    t = np.asarray(threshold_km2, float)
    m = np.asarray(mean_km2, float)
    s = np.asarray(sd_km2, float)
    if family == "normal":
        with np.errstate(divide="ignore", invalid="ignore"):
            z = (t - m) / s
        return np.where(s > 0, special.ndtr(-z), (m >= t).astype(float))
    if family != "gamma":
        raise ValueError("family must be 'gamma' or 'normal'")
    with np.errstate(divide="ignore", invalid="ignore"):
        shape = (m / s) ** 2
        x = np.maximum(t, 0.0) * m / (s * s)
        p = special.gammaincc(shape, x)
    step = (m >= t).astype(float)
    return np.where(t <= 0, 1.0, np.where(m <= 0, 0.0, np.where(s > 0, p, step)))
