"""model/terms.py's expectations against direct numerical integration of their definitions.

The closed forms (partial moments of the normal; the incomplete gamma's recurrence, Abramowitz & Stegun 1964,
6.5.21) are checked against scipy.integrate.quad of the same integrand over the distribution's density, on
cases that reach each branch: both clips of the territory position, a cap near, far above and far below the
gain's mean, a cap of 0, a non-positive mean and sd = 0.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import integrate, stats

from model import terms as TM


def _position(start: float, gain_km2: float, claimed: float, occupied: float) -> float:
    """The territory position after a net Russian gain (module docstring of model/terms.py), clipped."""
    slope = 0.5 / claimed if gain_km2 >= 0 else 0.5 / occupied
    return min(max(start + slope * gain_km2, 0.0), 1.0)


@pytest.mark.parametrize("start, mean, sd, claimed, occupied", [
    (0.5, 3000.0, 4000.0, 20_000.0, 110_000.0),     # mostly gains, the 1 clip out of reach
    (0.5, 18_000.0, 6000.0, 20_000.0, 110_000.0),   # the 1 clip in the bulk
    (0.55, -60_000.0, 40_000.0, 20_000.0, 110_000.0),  # losses down to the 0 clip
    (0.7, 0.0, 2500.0, 15_000.0, 90_000.0),         # the kink at the start in the middle
])
def test_position_moments_equal_integrals_of_the_clipped_piecewise_map(start, mean, sd, claimed, occupied):
    m, v = TM.position_moments(start, mean, sd, claimed, occupied)
    density = stats.norm(mean, sd).pdf
    points = sorted({-start * 2 * occupied, 0.0, (1 - start) * 2 * claimed})
    lo, hi = mean - 12 * sd, mean + 12 * sd
    edges = [lo] + [p for p in points if lo < p < hi] + [hi]

    def moment(k: int) -> float:
        return sum(integrate.quad(lambda g: _position(start, g, claimed, occupied) ** k * density(g), a, b,
                                  epsabs=1e-13, epsrel=1e-11, limit=200)[0] for a, b in itertools.pairwise(edges))

    m1, m2 = moment(1), moment(2)
    assert m == pytest.approx(m1, abs=1e-10)
    assert v == pytest.approx(m2 - m1 * m1, abs=1e-10)


def test_position_moments_of_a_certain_change_are_the_map_of_it():
    m, v = TM.position_moments(np.full((2, 3), 0.5), [[1000.0, -4000.0, 50_000.0]] * 2, 0.0, 20_000.0, 100_000.0)
    assert np.allclose(m, [[0.525, 0.48, 1.0]] * 2, rtol=0, atol=1e-15)
    assert np.all(v == 0.0)


def test_position_moments_broadcast_per_trial_against_per_year():
    """(n, 1) per-trial starts and areas against (n, T) moments give each element's own scalar answer."""
    rng = np.random.default_rng(3)
    start, claimed, occupied = rng.uniform(0.4, 0.6, (4, 1)), rng.uniform(1e4, 3e4, (4, 1)), rng.uniform(8e4, 1.2e5, (4, 1))
    mean, sd = rng.normal(5000, 8000, (4, 3)), rng.uniform(100, 9000, (4, 3))
    m, v = TM.position_moments(start, mean, sd, claimed, occupied)
    for i in range(4):
        for t in range(3):
            mi, vi = TM.position_moments(start[i, 0], mean[i, t], sd[i, t], claimed[i, 0], occupied[i, 0])
            assert m[i, t] == pytest.approx(float(mi), rel=1e-14)
            assert v[i, t] == pytest.approx(float(vi), rel=1e-12)


@pytest.mark.parametrize("mean, sd, cap", [
    (3000.0, 1500.0, 2500.0),    # cap near the mean
    (3000.0, 1500.0, 9000.0),    # cap 4 sd above
    (800.0, 1200.0, 300.0),      # k < 1: a density that is infinite at 0
    (20_000.0, 1500.0, 9000.0),  # cap far below the mean (k > 64: the cap itself)
    (3000.0, 1500.0, 40_000.0),  # cap far above (the mean itself)
    (3000.0, 1500.0, 0.0),       # cap 0
])
def test_expected_min_gamma_equals_the_integral(mean, sd, cap):
    k, theta = (mean / sd) ** 2, sd * sd / mean
    dist = stats.gamma(k, scale=theta)
    below = integrate.quad(lambda g: g * dist.pdf(g), 0.0, cap, epsabs=1e-12, epsrel=1e-12, limit=200)[0] if cap else 0.0
    exact = below + cap * dist.sf(cap)
    assert float(TM.expected_min_gamma(mean, sd, cap)) == pytest.approx(exact, rel=1e-9, abs=1e-9)


def test_expected_min_gamma_degenerate_cases_are_the_min_of_the_mean():
    got = TM.expected_min_gamma([-5.0, 0.0, 400.0, 400.0], [100.0, 100.0, 0.0, 0.0], [50.0, 50.0, 300.0, 500.0])
    assert np.array_equal(got, [-5.0, 0.0, 300.0, 400.0])


def test_expected_min_and_exceedance_are_the_two_functions_at_once():
    """The shared-cdf form returns exactly what expected_min and exceedance return, sd = 0 (a step) included,
    and both are the normal's: E[min(X, c)] below both the mean and c, P(X >= c) = 1/2 at c = mean."""
    rng = np.random.default_rng(5)
    mean, sd = rng.normal(0, 5000, (50, 4)), rng.uniform(0, 4000, (50, 4))
    sd[::7] = 0.0
    cap = rng.uniform(1000, 30000, (50, 1))
    both = TM.expected_min_and_exceedance(mean, sd, cap)
    assert np.array_equal(both[0], TM.expected_min(mean, sd, cap))
    assert np.array_equal(both[1], TM.exceedance(cap, mean, sd))
    assert np.all(both[0] <= np.minimum(mean, cap) + 1e-9)
    assert float(TM.expected_min_and_exceedance(300.0, 50.0, 300.0)[1]) == pytest.approx(0.5, abs=1e-15)
