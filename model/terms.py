"""One world per trial: the maps from a plan's terms to what each model reads (MODELS.md section 0).

A plan's terms (land ceded, the force cap, weapons and aid limits, the guarantee's text, sanctions relief,
...) are drawn once per trial and mapped, by the explicit functions below, to the inputs of each model: the
plan's position on the coalition's issue dimensions, the force model's cap, aid and rearmament, and the
territorial stake of the bargaining model. So adoption and durability share their causes, and the selection
effect can appear: adopted plans are disproportionately those the parties would keep (Fortna 2004; Werner &
Yuen 2005).

The territorial stake. The bargaining model's stake is the territorial dispute on the coalition's territory
scale in [0, 1] (its anchors in configs/base.yaml: 0 the 1991 borders, 1/2 the line of contact with nothing
recognised, 1 the Russian June 2025 memorandum: Crimea and four oblasts). Fearon's settlement share x is the
plan's position on that scale, and a renewed war moves the position by the territory it changes hands. The
anchors tie the scale to areas: from the 1991 borders to the line of contact Russia comes to hold the
occupied area O (km2), from the line of contact to the memorandum it would take the Kyiv-held rest C of the
claimed oblasts. So, near the line, a km2 Russia takes is worth 0.5 / C of the scale and a km2 Ukraine
retakes 0.5 / O (piecewise linear between the anchors):

    position(held) = 0.5 held / O                  held <= O      (held: km2 Russia holds)
                   = 0.5 + 0.5 (held - O) / C      held >= O

The scale is the parties' own valuation (their ideal points and saliences are coded on it), so its kink is
theirs: land at the front, contested in the claimed oblasts, counts for more per km2 than land far behind
Russian lines. Position changes are capped at the scale's ends (a war cannot take more than the whole stake).

Expected changes under uncertainty: a war's territorial outcome over a campaign season is given by its mean
and standard deviation (the war model, model/war.py). A season's gain is read in the war model's family, a
gamma distribution (`expected_min_gamma`); a net change over several years of war, which may be negative, as
normal, and the expectations of the capped, piecewise-linear position are then exact Gaussian integrals:
with a = (c - mu) / s,

    E[min(X, c)] = mu - (mu - c) Phi(-a) - s phi(a)        (Mills; e.g. Greene, Econometric Analysis, ch. 19)

Shapes: every function takes scalars or arrays that broadcast ((n,) per trial, (n, T) per trial and year).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

# the coalition's force_cap scale (configs/base.yaml): 0 = no cap (today's ~900,000), 1 = 85,000
FORCE_CAP_PERSONS_AT_0 = 900_000.0  # "just under 900,000" active (AFP via Al Jazeera, 21 Nov 2025)
FORCE_CAP_PERSONS_AT_1 = 85_000.0  # Russia's 2022 proposal (firstpost/Reuters, FACTS.md)
DAYS_PER_YEAR = 365.0
_SQRT2 = np.sqrt(2.0)


def force_cap_position(
    cap_persons: ArrayLike, at_0: float = FORCE_CAP_PERSONS_AT_0, at_1: float = FORCE_CAP_PERSONS_AT_1
) -> np.ndarray:
    """The coalition's force_cap position of a cap on Ukraine's armed forces (persons; inf = no cap):

        position = clip((at_0 - cap) / (at_0 - at_1), 0, 1)

    (the dimension's anchors: 0 no cap / today's ~900,000; 0.368 the 28-point plan's 600,000; 1 85,000)."""
    cap = np.asarray(cap_persons, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.clip((at_0 - cap) / (at_0 - at_1), 0.0, 1.0)


def weapons_limits_position(strike_ban: ArrayLike, aid_cut: ArrayLike) -> np.ndarray:
    """The coalition's weapons_limits position: the dimension's top anchor is "a ban on long-range strike +
    an end of foreign military aid", so each half of the scale is one of them:

        position = (strike_ban + aid_cut) / 2,    strike_ban, aid_cut in [0, 1]

    strike_ban: the share of Ukraine's long-range strike the plan bans; aid_cut: the plan's cut of foreign
    military aid as a share of today's."""
    return 0.5 * (np.asarray(strike_ban, dtype=float) + np.asarray(aid_cut, dtype=float))


def aid_under_plan(aid_today: ArrayLike, aid_cut: ArrayLike) -> np.ndarray:
    """Foreign military aid under the plan (EUR bn/year): today's level times (1 - aid_cut)."""
    return np.asarray(aid_today, dtype=float) * (1.0 - np.asarray(aid_cut, dtype=float))


def rearmament_with_relief(base_per_year: ArrayLike, sanctions_relief: ArrayLike,
                           extra_at_full_relief: ArrayLike) -> np.ndarray:
    """Russia's net peacetime force growth (persons/year) under the plan: today's trend plus the resources
    sanctions relief frees, linear in the relief position (0 all sanctions stay, 1 all lifted):

        rearmament = base + sanctions_relief * extra_at_full_relief"""
    return np.asarray(base_per_year, dtype=float) + np.asarray(sanctions_relief, dtype=float) * np.asarray(
        extra_at_full_relief, dtype=float)


def guarantee_strength(binding: ArrayLike, capability: ArrayLike) -> np.ndarray:
    """The coalition's guarantee_strength position of a guarantee: its guarantors' legal bindingness (the
    same scale: declaration 0.1, memorandum 0.2, executive agreement 0.5, ratified treaty 0.9; MODELS.md
    section 1) weighted by what each can deliver:

        strength = sum_g capability_g binding_g / sum_g capability_g     (0 with no guarantor)

    binding, capability: (n, G) or (G,); returns (n,) (or a scalar). With no guarantor (G = 0) it is 0."""
    b = np.asarray(binding, dtype=float)
    c = np.asarray(capability, dtype=float)
    if b.shape[-1:] == (0,):
        return np.zeros(b.shape[:-1])
    total = c.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (c * b).sum(axis=-1) / np.where(total > 0, total, 1.0), 0.0)


def elections_position(days_to_election: ArrayLike) -> np.ndarray:
    """The coalition's elections position: 1 - days / 365, clipped to [0, 1]; inf (no imposed date) = 0."""
    d = np.asarray(days_to_election, dtype=float)
    return np.clip(1.0 - d / DAYS_PER_YEAR, 0.0, 1.0)


# ---------------------------------------------------------------------------------- the territorial stake


def territory_slopes(claimed_km2: ArrayLike, occupied_km2: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Position per km2 near the line: (Russian gains 0.5 / C, Ukrainian gains 0.5 / O); module docstring."""
    return 0.5 / np.asarray(claimed_km2, dtype=float), 0.5 / np.asarray(occupied_km2, dtype=float)


def physical_line(ceded_km2: ArrayLike, claimed_km2: ArrayLike) -> np.ndarray:
    """The territory position of the line the settlement leaves on the ground: the line of contact (0.5) moved
    by the area ceded (km2 Russia comes to hold, or Ukraine withdraws from, in the claimed oblasts):

        L = 0.5 + 0.5 min(ceded, C) / C

    A plan's position x on the scale may exceed L: the rest, x - L, is what the text grants beyond the ground
    (recognition, a freeze of the front in the other oblasts). A renewed war voids the text and starts from L."""
    ceded = np.maximum(np.asarray(ceded_km2, dtype=float), 0.0)
    claimed = np.asarray(claimed_km2, dtype=float)
    return 0.5 + 0.5 * np.minimum(ceded, claimed) / claimed


def defender_gain_share(mean_km2: ArrayLike, sd_km2: ArrayLike, ceded_km2: ArrayLike, claimed_km2: ArrayLike,
                        occupied_km2: ArrayLike) -> np.ndarray:
    """The defender's expected gain in stake shares from a season whose territorial gain is G km2 (gamma, the
    war model's family), retaken from the physical line L (`physical_line`): the first `ceded` km2 lie in the
    claimed oblasts, at 0.5 / C a km2, the rest behind the line of contact, at 0.5 / O, down to the scale's 0:

        E[L - position] = up E[min(G, ceded)] + down (E[min(G, O + ceded)] - E[min(G, ceded)])

    (the module docstring's piecewise map, kinked where it is: at the line of contact, not at L)."""
    ceded = np.maximum(np.asarray(ceded_km2, dtype=float), 0.0)
    claimed, occupied = np.asarray(claimed_km2, dtype=float), np.asarray(occupied_km2, dtype=float)
    up, down = 0.5 / claimed, 0.5 / occupied
    first = expected_min_gamma(mean_km2, sd_km2, np.minimum(ceded, claimed))
    total = expected_min_gamma(mean_km2, sd_km2, occupied + np.minimum(ceded, claimed))
    return up * first + down * (total - first)


def expected_min(mean: ArrayLike, sd: ArrayLike, cap: ArrayLike) -> np.ndarray:
    """E[min(X, c)] for X ~ N(mean, sd^2) (sd >= 0; sd = 0 gives min(mean, c)):

        E[min(X, c)] = mu - (mu - c) Phi(-a) - s phi(a),   a = (c - mu) / s."""
    mu, s, c = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (mean, sd, cap)))
    positive = s > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        a = (c - mu) / np.where(positive, s, 1.0)
    smooth = mu - (mu - c) * special.ndtr(-a) - s * np.exp(-0.5 * a * a) / np.sqrt(2.0 * np.pi)
    return np.where(positive, smooth, np.minimum(mu, c))


def expected_min_gamma(mean: ArrayLike, sd: ArrayLike, cap: ArrayLike) -> np.ndarray:
    """E[min(G, c)] for G gamma-distributed with the given mean and sd (shape k = (mean/sd)^2, scale
    theta = sd^2/mean; the war model's family for a season's gain, model/war.py), c >= 0:

        E[min(G, c)] = E[G] - E[(G - c)+],   E[(G - c)+] = k theta Q(k + 1, c/theta) - c Q(k, c/theta)

    (Q the regularised upper incomplete gamma function), evaluated with one Q through the recurrence
    Q(k + 1, x) = Q(k, x) + x^k e^-x / Gamma(k + 1) (Abramowitz & Stegun 1964, 6.5.21): with x = c/theta,
    E[(G - c)+] = (k theta - c) Q(k, x) + k theta exp(k ln x - x - ln Gamma(k + 1)). The special function is evaluated only where the
    cap is within 8 sd of the mean: above it, E[(G - c)+] is negligible and the result is the mean; below it
    (c < mean - 8 sd, possible only for k > 64), E[min(G, c)] = c - E[(c - G)+] and the gamma's lower tail is
    sub-Gaussian, P(G <= mean - t sd) <= exp(-t^2 / 2) (Boucheron, Lugosi & Massart 2013, section 2.4), so
    E[(c - G)+] <= sd int_8^inf exp(-t^2/2) dt < 1e-15 sd and the result is c. A non-positive mean or sd = 0
    gives min(mean, c)."""
    mu, s, c = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (mean, sd, cap)))
    shape = mu.shape
    mu, s, c = (np.atleast_1d(v) for v in (mu, s, c))
    live = np.abs(c - mu)
    live = live < 8.0 * s
    live &= mu > 0
    live &= s > 0
    out = np.minimum(mu, c)  # (its memory order is the result's, so sums over it round as they always have)
    if live.all():  # e.g. a season's gain against a cap within reach in every trial and year: no gather
        m, v, cc = mu, s, np.maximum(c, 0.0)
    elif live.any():
        m, v, cc = mu[live], s[live], np.maximum(c[live], 0.0)
    else:
        return out.reshape(shape)
    k = m / v
    k *= k
    x = v * v
    x /= m
    np.divide(cc, x, out=x)  # x = c / theta, theta = sd^2 / mean
    with np.errstate(divide="ignore"):  # x = 0 (a cap of 0): ln x = -inf, the density term is 0
        density = np.log(x)
    density *= k
    density -= x
    density -= special.gammaln(k + 1.0)
    np.exp(density, out=density)
    density *= m
    excess = m - cc
    excess *= special.gammaincc(k, x)
    excess += density
    np.maximum(excess, 0.0, out=excess)
    np.subtract(m, excess, out=excess)
    if live.all():
        out[...] = excess
    else:
        out[live] = excess
    return out.reshape(shape)


def expected_min_and_exceedance(mean: ArrayLike, sd: ArrayLike, cap: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """(E[min(X, c)], P(X >= c)) for X ~ N(mean, sd^2): `expected_min` and `exceedance` at threshold c, sharing
    their normal cdf, P(X >= c) = Phi(-a) with a = (c - mu) / s (the same numbers as the two calls)."""
    mu, s, c = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (mean, sd, cap)))
    positive = s > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        a = (c - mu) / np.where(positive, s, 1.0)
    upper = special.ndtr(-a)
    smooth = mu - (mu - c) * upper - s * np.exp(-0.5 * a * a) / np.sqrt(2.0 * np.pi)
    return (np.where(positive, smooth, np.minimum(mu, c)),
            np.where(positive, upper, (mu >= c).astype(float)))


def exceedance(threshold: ArrayLike, mean: ArrayLike, sd: ArrayLike) -> np.ndarray:
    """P(X >= threshold) for X ~ N(mean, sd^2) (sd = 0: a step)."""
    thr, mu, s = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (threshold, mean, sd)))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (mu - thr) / np.where(s > 0, s, 1.0)
    return np.where(s > 0, special.ndtr(z), (mu >= thr).astype(float))


def expected_gain_share(mean_km2: ArrayLike, sd_km2: ArrayLike, slope: ArrayLike, room: ArrayLike,
                        family: str = "gamma") -> np.ndarray:
    """The attacker's expected gain in stake shares from a season whose territorial gain is G km2 with the
    given mean and sd: E[min(slope G, room)], room >= 0 the share it can still take (the challenger 1 - x,
    the defender x). family "gamma" (the war model's, model/war.py: a season's gain is positive and
    right-skewed) or "normal" (a net change that may be negative)."""
    slope = np.asarray(slope, dtype=float)
    capped = expected_min_gamma if family == "gamma" else expected_min
    return slope * capped(mean_km2, sd_km2, np.asarray(room, dtype=float) / slope)


def position_moments(start: ArrayLike, mean_km2: ArrayLike, sd_km2: ArrayLike, claimed_km2: ArrayLike,
                     occupied_km2: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of the territory position after Russia's net gains X km2 (X ~ N(mean, sd^2)) from
    a starting position: up at 0.5 / C per km2 gained, down at 0.5 / O per km2 lost (the piecewise map of the
    module docstring, kinked at the start), clipped to [0, 1]. Exact: the map is linear on four intervals of
    X (below the 0 clip, loss, gain, above the 1 clip), so both moments are sums of the normal's partial
    moments on them: on [za, zb] in standard units, int phi = Phi(zb) - Phi(za), int z phi = phi(za) -
    phi(zb), int z^2 phi = Phi(zb) - Phi(za) + za phi(za) - zb phi(zb) (infinite ends contribute 0); the
    three cut points are shared by neighbouring intervals. sd = 0 gives the map of the mean and variance 0.
    Shapes broadcast; returns (mean, variance)."""
    start, claimed, occupied = (np.asarray(v, dtype=float) for v in (start, claimed_km2, occupied_km2))
    mu, s = np.asarray(mean_km2, dtype=float), np.asarray(sd_km2, dtype=float)
    shape = np.broadcast_shapes(start.shape, mu.shape, s.shape, claimed.shape, occupied.shape)
    # C order (a copy of a year-major view): the moments come out in C order, and so do their sums over years
    mu, s = (np.array(np.broadcast_to(v, shape), order="C", ndmin=1, copy=None) for v in (mu, s))
    # the per-trial quantities (start, slopes, cut points) in their own shape, (n, 1) against (n, T) moments
    up, down = 0.5 / claimed, 0.5 / occupied
    positive = s > 0
    sd = np.where(positive, s, 1.0)
    # the standard normal's cdf, pdf and z pdf at the cut points X where the position reaches 0, start and 1
    cdf, pdf, zpdf = [], [], []
    for c in (-start / down, 0.0, (1.0 - start) / up):
        z = c - mu
        z /= sd
        phi = z * z
        phi *= -0.5
        np.exp(phi, out=phi)
        phi *= 1.0 / np.sqrt(2.0 * np.pi)
        cdf.append(special.ndtr(z))
        pdf.append(phi)
        z *= phi
        zpdf.append(z)
    # the position is a + b X on the loss interval (a, b) = (start, down) and the gain interval (start, up);
    # below the 0 clip it is 0 (no contribution), above the 1 clip it is 1 (contributes P to both moments)
    mu2, mu_sd2, sd2 = mu * mu, 2 * mu * sd, sd * sd
    m1 = m2 = None
    for i, (a, b) in enumerate(((start, down), (start, up))):
        p0 = cdf[i + 1] - cdf[i]
        p1 = pdf[i] - pdf[i + 1]
        p2 = p0 + zpdf[i]
        p2 -= zpdf[i + 1]
        e1 = mu * p0
        e1 += sd * p1  # E[X 1{}]
        e2 = mu2 * p0
        e2 += mu_sd2 * p1
        e2 += sd2 * p2  # E[X^2 1{}]
        t1 = a * p0
        t1 += b * e1
        e1 *= 2 * a * b
        e2 *= b * b
        p0 *= a * a
        p0 += e1
        p0 += e2
        m1, m2 = (t1, p0) if m1 is None else (m1 + t1, m2 + p0)
    above = 1.0 - cdf[2]
    m1 += above
    m2 += above
    if positive.all():
        mean = m1
    else:
        point = np.clip(start + np.where(mu >= 0, up * mu, down * mu), 0.0, 1.0)
        mean = np.where(positive, m1, point)
    var = m1 * m1
    np.subtract(m2, var, out=var)
    np.maximum(var, 0.0, out=var)
    if not positive.all():
        var = np.where(positive, var, 0.0)
    return mean.reshape(shape), var.reshape(shape)
