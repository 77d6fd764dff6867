"""Bargaining range (Fearon 1995), commitment problem (Powell 2006), settlement survival (MODELS.md s. 3)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from model import guarantees as gm
from model.bargaining import (
    bargaining_gap,
    bargaining_range,
    combined_hazard,
    commitment_shift,
    mechanism_break_year,
    survival_curve,
    survival_from_break_year,
    survival_from_hazard,
    war_payoffs,
)

SETTINGS = settings(max_examples=60, deadline=None)
unit = st.floats(0.0, 1.0)
cost = st.floats(0.0, 0.5)


def _fearon(x, p, c_a, c_b, q=0.0, p_g=None, punish=0.0):
    """Payoffs of a symmetric war from the line x: the challenger's expected share becomes p, so its gain is
    p - x and the defender's gain from its own offensive is x - p (the same war, fought the other way)."""
    p = np.atleast_2d(p)
    p_g = p if p_g is None else np.atleast_2d(p_g)
    return war_payoffs(q, p - x, p_g - x, x - p, c_a, c_b, punish)


def test_without_a_guarantee_the_range_is_fearons_closed_form():
    """p - c_A <= x <= p + c_B (Fearon 1995): at p = 0.6, c_A = 0.1, c_B = 0.2 the range is [0.5, 0.8]."""
    for x in (0.3, 0.5, 0.7, 0.8, 0.9):
        pa, pb = _fearon(x, 0.6, 0.1, 0.2)
        lower, upper = bargaining_range(x, pa, pb)
        assert lower[0, 0] == pytest.approx(0.5) and upper[0, 0] == pytest.approx(0.8)
        inside = 0.5 <= x <= 0.8
        assert (bargaining_gap(pa, pb)[0, 0] <= 1e-12) == inside


def test_the_defender_prefers_war_when_the_terms_give_the_challenger_more_than_war_would():
    """x = 0.9 > p + c_B = 0.8: the defender's payoff of war is 0.1, the challenger's is negative."""
    pa, pb = _fearon(0.9, 0.6, 0.1, 0.2)
    assert pb[0, 0] == pytest.approx(0.1) and pa[0, 0] < 0
    assert bargaining_gap(pa, pb)[0, 0] == pytest.approx(0.1)


def test_the_challenger_payoff_is_the_deterrence_function():
    """One implementation: the bargaining range's challenger side is model.guarantees.war_payoff."""
    rng = np.random.default_rng(3)
    q, g, gg, k, punish = rng.uniform(0, 1, (5, 200))
    pa, _ = war_payoffs(q, g[:, None], gg[:, None], np.zeros((200, 1)), k, 0.0, punish)
    np.testing.assert_array_equal(pa[:, 0], gm.war_payoff(q, g, gg, k, punish))


@SETTINGS
@given(p_now=unit, p_next=unit, x=unit, c_a=cost, c_b=cost, delta=st.floats(0.0, 0.99))
def test_power_shift_is_powells_condition(p_now, p_next, x, c_a, c_b, delta):
    """Without a guarantee the shift term reduces to Powell's (2006) declining-side conditions:
    defender declining  delta p_{t+1} - p_t > c_B + delta c_A;  challenger declining
    delta (1 - p_{t+1}) - (1 - p_t) > c_A + delta c_B (derived in the module docstring)."""
    pa, pb = _fearon(x, [[p_now, p_next]], c_a, c_b)
    s = commitment_shift(x, pa, pb, delta)
    s_b = delta * p_next - p_now - c_b - delta * c_a
    s_a = delta * (1 - p_next) - (1 - p_now) - c_a - delta * c_b
    assert s[0, 0] == pytest.approx(max(s_a, s_b), abs=1e-12)
    assert s[0, 1] == -np.inf  # no successor year


@SETTINGS
@given(p_now=unit, p_next=unit, x=unit, c_a=cost, c_b=cost, delta=st.floats(0.0, 0.99))
def test_no_preventive_war_while_the_terms_stay_in_both_years_ranges(p_now, p_next, x, c_a, c_b, delta):
    """A fixed share inside both years' ranges rules the commitment problem out (module docstring)."""
    pa, pb = _fearon(x, [[p_now, p_next]], c_a, c_b)
    if np.all(bargaining_gap(pa, pb) <= 0):
        assert commitment_shift(x, pa, pb, delta)[0, 0] <= 1e-12


def test_a_fast_shift_breaks_the_peace_a_year_early_though_each_year_is_in_range_then_out():
    """Hand case: x = 0.5, c_A = c_B = 0.1, delta = 0.95; p rises 0.5 -> 0.75 (the challenger's war share
    jumps past x + c_A in year 2). Year 1 is in range, year 2 not; Powell's defender (declining) fights in
    year 1: 0.95 * 0.75 - 0.5 = 0.2125 > 0.1 + 0.095."""
    pa, pb = _fearon(0.5, [[0.5, 0.75, 0.75]], 0.1, 0.1)
    gap, shift = bargaining_gap(pa, pb), commitment_shift(0.5, pa, pb, 0.95)
    assert gap[0, 0] < 0 < gap[0, 1]
    assert shift[0, 0] > 0
    assert mechanism_break_year(gap, shift)[0] == 0
    assert mechanism_break_year(gap, np.full_like(shift, -np.inf))[0] == 1  # the range rule alone: a year later


def test_a_defender_favourable_shift_can_break_the_peace():
    """The challenger declining: its war share falls 0.5 -> 0.2 (x = 0.45, c_A = c_B = 0.1). Year 1 is in
    range, year 2's range [0.1, 0.3] excludes x, and the challenger, declining, strikes first in year 1:
    0.95 (1 - 0.2) - (1 - 0.5) = 0.26 > c_A + 0.95 c_B = 0.195."""
    pa, pb = _fearon(0.45, [[0.5, 0.2]], 0.1, 0.1)
    shift = commitment_shift(0.45, pa, pb, 0.95)
    assert shift[0, 0] == pytest.approx(0.95 * 0.8 - 0.5 - 0.1 - 0.095)
    assert bargaining_gap(pa, pb)[0, 0] < 0  # year 1 itself is in range: the break is the shift's
    assert mechanism_break_year(bargaining_gap(pa, pb), shift)[0] == 0


@SETTINGS
@given(
    gains=arrays(float, (8, 6), elements=st.floats(-0.3, 0.5)),
    guaranteed=arrays(float, (8, 6), elements=st.floats(-0.5, 0.5)),
    defender=arrays(float, (8, 6), elements=st.floats(-0.3, 0.3)),
    q_low=unit, q_extra=unit, punish=st.floats(0.0, 2.0), c_a=cost, c_b=cost, x=unit,
)
def test_a_more_credible_guarantee_never_brings_the_break_forward(gains, guaranteed, defender, q_low, q_extra,
                                                                  punish, c_a, c_b, x):
    """A guarantee that helps the defender (G_Ag <= G_A) lowers the challenger's payoff as q rises, so the
    mechanism's break year never comes earlier (Powell's term included: its A side falls, its B side uses
    next year's payoff_A, which falls too)."""
    guaranteed = np.minimum(guaranteed, gains)
    q_high = min(q_low + q_extra, 1.0)
    years = []
    for q in (q_low, q_high):
        pa, pb = war_payoffs(q, gains, guaranteed, defender, c_a, c_b, punish)
        years.append(mechanism_break_year(bargaining_gap(pa, pb), commitment_shift(x, pa, pb, 0.9)))
    assert np.all(years[1] >= years[0])


def test_combined_hazard_is_the_reference_hazard_when_the_terms_hold():
    h0 = np.array([[0.2, 0.1, 0.05]])
    out = combined_hazard(h0, np.full((1, 3), -0.1), np.full((1, 3), -np.inf), 10.0, 10.0)
    np.testing.assert_allclose(out, h0)


@SETTINGS
@given(h0=st.floats(0.0, 0.99), g1=st.floats(-0.5, 0.5), g2=st.floats(-0.5, 0.5), s=st.floats(-0.5, 0.5),
       gamma=st.floats(0.0, 30.0))
def test_combined_hazard_rises_with_the_gap_and_stays_a_probability(h0, g1, g2, s, gamma):
    lo, hi = sorted((g1, g2))
    a = combined_hazard(h0, np.array([[lo]]), np.array([[s]]), gamma, gamma)
    b = combined_hazard(h0, np.array([[hi]]), np.array([[s]]), gamma, gamma)
    assert 0.0 <= a[0, 0] <= b[0, 0] + 1e-15 <= 1.0 + 1e-15


def test_combined_hazard_is_proportional_for_a_small_base_hazard():
    """h0 -> 0: 1 - (1 - h0)^e^eta ~ h0 e^eta, the proportional-hazards form of MODELS.md section 3."""
    h0, g, gamma = 1e-6, 0.1, 8.0
    out = combined_hazard(h0, np.array([[g]]), np.array([[-1.0]]), gamma, 0.0)[0, 0]
    assert out == pytest.approx(h0 * np.exp(gamma * g), rel=1e-5)


def test_survival_from_hazard_and_from_break_years():
    np.testing.assert_allclose(survival_from_hazard(np.array([[0.5, 0.5]])), [[1.0, 0.5, 0.25]])
    np.testing.assert_array_equal(survival_from_break_year(np.array([0, 2, 1]), 2),
                                  [[1, 0, 0], [1, 1, 1], [1, 1, 0]])


def test_survival_curve_hand_case():
    curve = survival_curve(np.array([0, 1, 1, 3]), n_years=3)
    assert curve.years.tolist() == [0, 1, 2, 3]
    assert np.allclose(curve.survival, [1.0, 0.75, 0.25, 0.25])
    assert np.allclose(curve.break_year_pmf, [0.25, 0.5, 0.0, 0.25])
    assert np.allclose(curve.se, np.sqrt(curve.survival * (1 - curve.survival) / 4))


@SETTINGS
@given(st.integers(1, 12).flatmap(lambda t: st.tuples(
    st.just(t), arrays(np.int64, st.integers(1, 200), elements=st.integers(0, t)))))
def test_survival_starts_at_one_and_never_rises(case):
    n_years, break_year = case
    curve = survival_curve(break_year, n_years)
    assert curve.survival[0] == 1.0
    assert np.all(np.diff(curve.survival) <= 0)
    assert np.isclose(curve.break_year_pmf.sum(), 1.0)
    assert np.all(curve.ci_low <= curve.survival + 1e-12) and np.all(curve.survival <= curve.ci_high + 1e-12)


def test_survival_rejects_break_years_beyond_the_horizon():
    with pytest.raises(ValueError):
        survival_curve(np.array([0, 5]), n_years=4)


# ------------------------------------------------------------------------ the stake from the physical line


def test_the_physical_line_moves_from_the_line_of_contact_by_the_area_ceded():
    from model.terms import physical_line

    assert physical_line(0.0, 21_000.0) == pytest.approx(0.5)
    assert physical_line(21_000.0, 21_000.0) == pytest.approx(1.0)
    assert physical_line(5_250.0, 21_000.0) == pytest.approx(0.625)
    assert physical_line(50_000.0, 21_000.0) == pytest.approx(1.0)  # cannot cede more than the claimed rest


@pytest.mark.parametrize("gain, expected", [
    (3_000.0, 0.5 / 21_000 * 3_000),  # within the ceded ground: the claimed oblasts' slope
    (8_000.0, 0.5 / 21_000 * 5_800 + 0.5 / 118_000 * 2_200),  # past the line of contact: the occupied slope
    (1e6, 0.5 / 21_000 * 5_800 + 0.5),  # everything, down to the 1991 borders (the scale's 0)
])
def test_the_defenders_gain_is_kinked_at_the_line_of_contact_not_at_the_physical_line(gain, expected):
    """A nearly certain season's gain (sd tiny) gives the piecewise map of model/terms.py exactly."""
    from model.terms import defender_gain_share

    got = defender_gain_share(gain, gain * 1e-6, 5_800.0, 21_000.0, 118_000.0)
    assert float(got) == pytest.approx(expected, rel=1e-5)


def test_the_defenders_expected_gain_matches_a_gamma_simulation():
    from model.terms import defender_gain_share

    mean, sd, ceded, claimed, occupied = 6_000.0, 4_000.0, 5_800.0, 21_000.0, 118_000.0
    k, theta = (mean / sd) ** 2, sd * sd / mean
    g = np.random.default_rng(5).gamma(k, theta, 2_000_000)
    pos = np.where(g <= ceded, 0.5 / claimed * g, 0.5 / claimed * ceded + 0.5 / occupied * np.minimum(
        g - ceded, occupied))
    se = pos.std() / np.sqrt(g.size)
    assert float(defender_gain_share(mean, sd, ceded, claimed, occupied)) == pytest.approx(pos.mean(), abs=4 * se)
