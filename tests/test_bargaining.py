"""Bargaining range (Fearon 1995), commitment problem (Powell 2006), settlement survival."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from model.bargaining import (
    bargaining_range,
    break_hazard,
    commitment_problem,
    in_range,
    settlement_breaks,
    survival_curve,
    survival_from_hazard,
)

SETTINGS = settings(max_examples=50, deadline=None)
unit = st.floats(0.0, 1.0)
cost = st.floats(0.0, 0.5)


def test_bargaining_range_is_fearons_closed_form():
    """Fearon (1995): p - c_A <= x <= p + c_B; hand-computed cases, vectorised over trials."""
    lower, upper = bargaining_range(np.array([0.6, 0.3]), np.array([0.1, 0.05]), np.array([0.15, 0.2]))
    assert np.allclose(lower, [0.5, 0.25])
    assert np.allclose(upper, [0.75, 0.5])


def test_bargaining_range_is_clipped_to_shares():
    lower, upper = bargaining_range(0.95, 1.2, 0.3)
    assert lower == 0.0 and upper == 1.0


def test_in_range_hand_cases():
    x = np.array([0.49, 0.5, 0.75, 0.76])
    assert in_range(x, 0.6, 0.1, 0.15).tolist() == [False, True, True, False]


def test_in_range_broadcasts_per_trial_values_over_years():
    p_path = np.array([[0.5, 0.6, 0.7], [0.2, 0.2, 0.2]])
    share = np.array([[0.5], [0.5]])
    assert in_range(share, p_path, 0.15, 0.1).tolist() == [[True, True, False], [False, False, False]]


def test_commitment_problem_defender_declining_hand_case():
    """delta p_{t+1} - p_t > c_B + delta c_A: 0.9*0.6 - 0.3 = 0.24 > 0.1 + 0.09 = 0.19."""
    flags = commitment_problem(np.array([[0.3, 0.6], [0.3, 0.54]]), 0.1, 0.1, 0.9)
    # second trial: 0.9*0.54 - 0.3 = 0.186 < 0.19
    assert flags.tolist() == [[True, False], [False, False]]


def test_commitment_problem_challenger_declining_hand_case():
    """delta (1 - p_{t+1}) - (1 - p_t) > c_A + delta c_B: 0.9*0.6 - 0.3 = 0.24 > 0.19."""
    p_path = np.array([[0.7, 0.4]])
    assert commitment_problem(p_path, 0.1, 0.1, 0.9).tolist() == [[True, False]]
    assert commitment_problem(p_path, 0.1, 0.1, 0.9, side="challenger").tolist() == [[True, False]]
    assert commitment_problem(p_path, 0.1, 0.1, 0.9, side="defender").tolist() == [[False, False]]


@SETTINGS
@given(p_now=unit, p_next=unit, c_a=cost, c_b=cost, delta=st.floats(0.0, 0.99))
def test_commitment_flag_is_the_declining_sides_payoff_comparison(p_now, p_next, c_a, c_b, delta):
    """Powell (2006): the flag is 'war now beats the most peace can offer', computed from payoffs directly."""
    # defender (B) fights at t: its war payoff vs the whole flow now plus what A leaves it from t+1.
    b_war = (1 - p_now - c_b) / (1 - delta)
    b_peace_max = 1 + delta * (1 - p_next + c_a) / (1 - delta)
    a_war = (p_now - c_a) / (1 - delta)
    a_peace_max = 1 + delta * (p_next + c_b) / (1 - delta)
    margin_b, margin_a = b_war - b_peace_max, a_war - a_peace_max
    flags = commitment_problem(np.array([[p_now, p_next]]), c_a, c_b, delta)
    if abs(margin_b) > 1e-9 and abs(margin_a) > 1e-9:
        assert flags[0, 0] == (margin_b > 0 or margin_a > 0)
    assert not flags[0, 1]


@SETTINGS
@given(p=unit, c_a=cost, c_b=cost, delta=st.floats(0.0, 0.99))
def test_no_commitment_problem_without_a_shift_in_power(p, c_a, c_b, delta):
    assert not commitment_problem(np.full((1, 5), p), c_a, c_b, delta).any()


def test_settlement_breaks_in_first_year_out_of_range():
    p_path = np.array([[0.55, 0.6, 0.7, 0.8]])
    no_guarantee = settlement_breaks(0.5, p_path, 0.0, 0.2, 0.1, 0.3)
    assert no_guarantee.tolist() == [2]  # p - c_A = 0.6 > 0.5 first in year 2
    guaranteed = settlement_breaks(0.5, p_path, 1.0, 0.2, 0.1, 0.3)
    assert guaranteed.tolist() == [4]  # c_A_eff = 0.3: 0.8 - 0.3 = 0.5, holds through the 4-year horizon


def test_commitment_problem_brings_the_break_forward_to_a_preventive_war():
    """The challenger declines fast: the share leaves the range in year 1, but Powell's condition holds in
    year 0 (0.9 * 0.6 - 0.3 = 0.24 > 0.1 + 0.09), so the challenger strikes a year earlier."""
    p_path = np.array([[0.7, 0.4, 0.4]])
    assert settlement_breaks(0.6, p_path, 0.0, 0.0, 0.1, 0.1).tolist() == [1]
    assert settlement_breaks(0.6, p_path, 0.0, 0.0, 0.1, 0.1, 0.9, include_commitment=True).tolist() == [0]


@SETTINGS
@given(p_now=unit, p_next=unit, share=unit, c_a=cost, c_b=cost, delta=st.floats(0.0, 0.99))
def test_no_commitment_problem_while_a_fixed_share_stays_in_both_years_ranges(
    p_now, p_next, share, c_a, c_b, delta
):
    """A fixed division inside both years' ranges is itself a credible deal, so Powell's condition fails."""
    p_path = np.array([[p_now, p_next]])
    if in_range(share, p_path, c_a, c_b).all():
        assert not commitment_problem(p_path, c_a, c_b, delta).any()


@SETTINGS
@given(
    p_path=arrays(float, (6, 8), elements=unit),
    share=arrays(float, (6,), elements=unit),
    q_low=arrays(float, (6,), elements=unit),
    q_extra=arrays(float, (6,), elements=unit),
    punish=st.floats(0.0, 0.5),
    c_a=cost,
    c_b=cost,
    with_commitment=st.booleans(),
)
def test_stronger_guarantee_response_never_shortens_survival(
    p_path, share, q_low, q_extra, punish, c_a, c_b, with_commitment
):
    q_high = np.minimum(q_low + q_extra, 1.0)
    kwargs = {"include_commitment": with_commitment}
    weak = settlement_breaks(share, p_path, q_low, punish, c_a, c_b, 0.9, **kwargs)
    strong = settlement_breaks(share, p_path, q_high, punish, c_a, c_b, 0.9, **kwargs)
    assert np.all(strong >= weak)


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
    lo, hi = curve.normal_interval()
    assert np.all(lo <= hi)


def test_survival_rejects_break_years_beyond_the_horizon():
    with pytest.raises(ValueError):
        survival_curve(np.array([0, 5]), n_years=4)


def _hazard_case(n=4000):
    rng = np.random.default_rng(7)
    p_path = np.clip(0.5 + np.cumsum(rng.normal(0, 0.03, (n, 10)), axis=1), 0, 1)
    share = rng.uniform(0.3, 0.5, n)
    q = rng.uniform(0, 1, n)
    return share, p_path, q


def test_hazard_rule_is_reproducible_for_a_seed():
    share, p_path, q = _hazard_case()
    kwargs = {"rule": "hazard", "hazard_midpoint": 0.0, "hazard_scale": 0.05}
    first = settlement_breaks(share, p_path, q, 0.2, 0.1, 0.1, rng=np.random.default_rng(42), **kwargs)
    again = settlement_breaks(share, p_path, q, 0.2, 0.1, 0.1, rng=np.random.default_rng(42), **kwargs)
    other = settlement_breaks(share, p_path, q, 0.2, 0.1, 0.1, rng=np.random.default_rng(43), **kwargs)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


def test_hazard_rule_needs_an_explicit_generator():
    share, p_path, q = _hazard_case(10)
    with pytest.raises(ValueError):
        settlement_breaks(share, p_path, q, 0.2, 0.1, 0.1, rule="hazard")


def test_hazard_rule_sampling_agrees_with_its_closed_form_survival():
    """The sampled survival curve lies within 4 binomial standard errors of mean prod(1 - h)."""
    share, p_path, q = _hazard_case()
    hazard = break_hazard(share, p_path, q, 0.2, 0.1, 0.0, 0.05)
    expected = survival_from_hazard(hazard).mean(axis=0)
    breaks = settlement_breaks(share, p_path, q, 0.2, 0.1, 0.1, rule="hazard", rng=np.random.default_rng(1))
    curve = survival_curve(breaks, p_path.shape[1])
    se = np.sqrt(expected * (1 - expected) / len(breaks))
    assert np.all(np.abs(curve.survival - expected) <= 4 * se + 1e-12)


def test_hazard_is_one_half_at_the_midpoint_and_rises_with_net_gain():
    p_path = np.array([[0.6, 0.7, 0.8]])
    hazard = break_hazard(0.5, p_path, 0.0, 0.0, 0.1, hazard_midpoint=0.0, hazard_scale=0.05)
    assert np.isclose(hazard[0, 0], 0.5)  # net gain 0.6 - 0.1 - 0.5 = 0
    assert np.all(np.diff(hazard[0]) > 0)


def test_expected_war_share_spans_the_settlement_line_to_the_whole_stake():
    from model.bargaining import expected_war_share

    x = np.array([0.5, 0.75])
    p_b = np.array([[0.0, 1.0, 0.4], [0.0, 1.0, 0.4]])
    p = expected_war_share(x, p_b)
    np.testing.assert_allclose(p[:, 0], x)  # an offensive that cannot break through gains nothing
    np.testing.assert_allclose(p[:, 1], 1.0)  # a certain breakthrough takes the whole stake
    np.testing.assert_allclose(p[:, 2], x + 0.4 * (1 - x))


def test_with_the_war_share_only_the_challenger_can_leave_the_range():
    """x <= p + c_B always; the break condition reduces to p_b (1 - x) > c_A (no guarantee)."""
    from model.bargaining import expected_war_share, settlement_breaks

    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, 500)
    p_b = rng.uniform(0, 1, (500, 1))
    c_a = rng.uniform(0, 0.5, 500)
    year = settlement_breaks(x, expected_war_share(x, p_b), 0.0, 0.0, c_a, 0.0)
    expected_break = p_b[:, 0] * (1 - x) > c_a
    np.testing.assert_array_equal(year == 0, expected_break)
