"""Tests for model/negotiation.py: the expected-utility model as specified by Scholz, Calbert & Smith (2011)."""

import csv
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.negotiation import (
    COMPROMISE,
    NO_MOVE,
    challenge_expected_utility,
    expected_utility_forecast,
    median_voter_position,
    prevail_probability,
    risk_exponent,
    security_level,
    weighted_mean_position,
)

EXAMPLE_CSV = Path(__file__).parent / "data" / "scholz_example.csv"


def _example():
    """BDM (1994, p. 78) emission-standards data as Table 1 of Scholz et al. (2011); salience 0-100 -> 0-1."""
    with EXAMPLE_CSV.open() as f:
        rows = list(csv.DictReader(f))
    capability = np.array([float(r["Capability"]) for r in rows])
    position = np.array([float(r["Position"]) for r in rows])
    salience = np.array([float(r["Salience"]) for r in rows]) / 100
    return capability, position, salience


actor_arrays = st.integers(2, 7).flatmap(
    lambda n: st.tuples(
        st.lists(st.floats(0.01, 1.0), min_size=n, max_size=n),
        st.lists(st.floats(0.0, 10.0), min_size=n, max_size=n),
        st.lists(st.floats(0.05, 1.0), min_size=n, max_size=n),
    )
)


def test_example_round_zero_median_and_mean_follow_from_table_1():
    """Scholz et al. (2011) Table 1 (= BDM 1994, p. 78): weights c*s give 24.8 at year 4, 9.3 at 7, 33.6 at 10
    (total 67.7), so the median voter position is 7 and the weighted mean is 500.3 / 67.7 = 7.39."""
    capability, position, salience = _example()
    result = expected_utility_forecast(capability, position, salience, n_rounds=0)
    assert result.forecast[0] == pytest.approx(7.0)
    assert result.mean_position[0] == pytest.approx(500.3 / 67.7)


TABLE_2_MEDIAN = [8.4, 9.9, 9.9, 9.9, 9.9, 7.4, 8.8, 9.6]  # Scholz et al. (2011), Table 2, rounds 1-8


def _truncate(values, decimals=1):
    """Cut after `decimals` decimals (8.416 -> 8.4, 9.962 -> 9.9), as Table 2's values read."""
    scale = 10**decimals
    return np.floor(np.asarray(values) * scale + 1e-9) / scale


def test_example_reproduces_scholz_table_2_median_trajectory_in_seven_of_eight_rounds():
    """Scholz, Calbert & Smith (2011), Table 2 (ICAART version p. 28): median voter position after rounds 1-8
    8.4, 9.9, 9.9, 9.9, 9.9, 7.4, 8.8, 9.6 years, with Q = 1.0 ("No value for Q was given. We chose Q=1.0"),
    on their Table 1 data (BDM 1994, p. 78).

    With the default rule (P normalised over all pairs; model/negotiation.py says why) the medians, truncated
    to one decimal, equal the table in 7 of the 8 rounds: 8.416, 9.611, 9.962, 9.962, 9.962, 7.472, 8.825,
    9.671. The one that does not is round 2: 9.61 against the table's 9.9 (the public replication
    github.com/jmckib/bdm-scholz-expected-utility-model gives 9.61 there too). Table 2's row of weighted
    means was not available to us (only the medians are quoted in issue 18), so it is not asserted here;
    this model's means are 7.46, 7.55, 7.59, 7.36, 7.35, 7.41, 7.51, 7.57 after rounds 1-8."""
    capability, position, salience = _example()
    result = expected_utility_forecast(capability, position, salience, n_rounds=8, tolerance=0.0)
    median = result.forecast[1:]
    agree = _truncate(median) == np.array(TABLE_2_MEDIAN)
    assert agree.sum() >= 7, median
    assert list(np.flatnonzero(~agree) + 1) == [2]
    assert median[1] == pytest.approx(9.61, abs=0.005)


def test_per_pair_rule_leaves_the_example_median_at_seven():
    """With eq. 31 as printed (P normalised per pair) the median never leaves 7 on the example: the (1 - s_j) U_s
    term makes most pairs conflicts, and actors jump to each other's positions - why per_pair is not the
    default (issue 18; model/negotiation.py)."""
    capability, position, salience = _example()
    result = expected_utility_forecast(capability, position, salience, n_rounds=8, rule="per_pair")
    np.testing.assert_allclose(result.forecast, 7.0)


def test_security_level_is_what_the_adversaries_expect_from_a_challenge():
    """Eqs. 32-34 at r = 1, Q = 1: U_s = 2 d, U_f = -2 d, U_sq = 0, so E^i(U_ji) = 2 d_ij (1 - 2 s_i (1 - P_ji))
    and S_i = sum_j E^i(U_ji) (what i's adversaries expect from challenging i); r_i follows eqs. 33-34.
    Checked against this hand formula for both rules on the Table 1 data."""
    capability, position, salience = _example()
    span = np.array(6.0)
    mu = median_voter_position(capability, position, salience)
    d = np.abs(position[:, None] - position[None, :]) / span
    for rule in ("all_pairs", "per_pair"):
        p = prevail_probability(capability, position, salience, rule=rule)
        by_hand = (2 * d * (1 - 2 * salience[:, None] * (1 - p.T))).sum(axis=1)  # [i] = sum_j E(U_ji)
        eu = challenge_expected_utility(capability, position, salience, np.ones(10), mu, span, rule=rule)
        np.testing.assert_allclose(security_level(eu), by_hand, atol=1e-12)
        big_r = (2 * by_hand - by_hand.max() - by_hand.min()) / (by_hand.max() - by_hand.min())
        np.testing.assert_allclose(risk_exponent(eu), (1 - big_r / 3) / (1 + big_r / 3), atol=1e-12)


def test_example_risk_exponents_put_denmark_and_the_uk_on_top():
    """First-round risk exponents on Table 1: with the default rule Denmark (2.00) and the UK (1.96) are the
    two least threatened, hence most risk-averse, actors, as in both public replications
    (github.com/jmckib/bdm-scholz-expected-utility-model; github.com/dmasad/BDM_DecisionModel_Replication,
    "Comparison with Original": UK 2.0, Denmark 1.47); Greece is 1.11. Greece above Denmark (1.557 against
    1.454) came from normalising P per pair, not from the security levels themselves (the test above)."""
    capability, position, salience = _example()
    names = [r["Actor"] for r in csv.DictReader(EXAMPLE_CSV.open())]
    result = expected_utility_forecast(capability, position, salience, n_rounds=1)
    r = dict(zip(names, result.risk_exponent[0]))
    assert sorted(r, key=r.get)[-2:] == ["UK", "Denmark"]
    assert r["Denmark"] == pytest.approx(2.0) and r["Greece"] < r["Netherlands"] < r["UK"]
    per_pair = expected_utility_forecast(capability, position, salience, n_rounds=1, rule="per_pair")
    r_pp = dict(zip(names, per_pair.risk_exponent[0]))
    assert r_pp["Greece"] > r_pp["Denmark"] and r_pp["UK"] == pytest.approx(2.0)


def test_example_stays_on_the_issue_scale():
    """The all-pairs model does not settle on the example (Scholz et al. discuss its convergence): Belgium,
    Luxembourg and Ireland keep trading places, so the median cycles; positions stay on the scale."""
    capability, position, salience = _example()
    result = expected_utility_forecast(capability, position, salience, n_rounds=20)
    assert result.positions.shape == (21, 10) and result.forecast.shape == (21,)
    assert np.all((result.positions >= 4) & (result.positions <= 10))
    assert not bool(result.converged) and int(result.rounds_run) == 20
    per_pair = expected_utility_forecast(capability, position, salience, n_rounds=20, rule="per_pair")
    assert bool(per_pair.converged)
    assert np.all(per_pair.positions[int(per_pair.rounds_run) :] == per_pair.positions[-1])


@pytest.mark.parametrize(("rule", "p_12"), [("per_pair", 2 / 3), ("all_pairs", 2 / 6)])
def test_two_actor_expected_utility_closed_form(rule, p_12):
    """Two actors at the ends of the scale: d = 1, U_s = 2, U_f = -2, U_sq = 0 (r = 1), so
    EU_12 = s_2 (4 P_12 - 2) + 2 (1 - s_2) (eqs. 5-7, 15-16, 24 of Scholz et al. 2011). Equal saliences: per
    pair P_12 = c_1 / (c_1 + c_2) = 2/3; over all pairs the votes of both ordered pairs are in the
    denominator, P_12 = c_1 / (2 (c_1 + c_2)) = 1/3."""
    capability = np.array([2.0, 1.0])
    salience = np.array([0.5, 0.5])
    position = np.array([0.0, 10.0])
    p = prevail_probability(capability, position, salience, rule=rule)
    assert p[0, 1] == pytest.approx(p_12)
    eu = challenge_expected_utility(
        capability, position, salience, np.ones(2), median=np.array(5.0), position_range=np.array(10.0), rule=rule
    )
    assert eu[0, 1] == pytest.approx(0.5 * (4 * p_12 - 2) + 2 * 0.5)
    assert eu[1, 0] == pytest.approx(0.5 * (4 * p[1, 0] - 2) + 2 * 0.5)
    assert eu[0, 0] == 0 and eu[1, 1] == 0


def test_expected_utility_perspective_uses_the_evaluators_risk_exponent():
    """E^i(U_ij) uses r_i, E^j(U_ij) (the target's estimate) r_j: U_s = 2 - 4 (0.5 - 0.5 d)^r (eq. 15). Two
    actors at the ends of the scale, r = (2, 0.5), s_2 = 0: EU_12 = U_s - U_sq with r_1 = 2: 2 - 1 = 1; with
    r_2 = 0.5: 2 - (2 - 4 sqrt(0.5)) = 4 sqrt(0.5)."""
    args = (np.array([1.0, 1.0]), np.array([0.0, 10.0]), np.array([1.0, 0.0]), np.array([2.0, 0.5]))
    kw = {"median": np.array(5.0), "position_range": np.array(10.0)}
    own = challenge_expected_utility(*args, **kw)
    seen_by_target = challenge_expected_utility(*args, **kw, perspective="target")
    assert own[0, 1] == pytest.approx(1.0)
    assert seen_by_target[0, 1] == pytest.approx(4 * np.sqrt(0.5))


@settings(max_examples=50, deadline=None)
@given(actor_arrays)
def test_prevail_probabilities_of_a_pair_sum_to_one_per_pair(arrays):
    capability, position, salience = (np.array(a) for a in arrays)
    p = prevail_probability(capability, position, salience, rule="per_pair")
    assert np.all((p >= 0) & (p <= 1))
    np.testing.assert_allclose(p + p.T, 1.0, atol=1e-12)


@settings(max_examples=50, deadline=None)
@given(actor_arrays, st.lists(st.floats(0.5, 2.0), min_size=7, max_size=7))
def test_prevail_probabilities_over_all_pairs_sum_to_one_half(arrays, exponents):
    """The all-pairs denominator counts every vote twice over the ordered pairs: sum_{i, j} P_ij = 1/2, for any
    voters' risk exponents (when any two positions differ)."""
    capability, position, salience = (np.array(a) for a in arrays)
    r = np.array(exponents[: len(position)])
    p = prevail_probability(capability, position, salience, rule="all_pairs", risk_exponent=r)
    assert np.all(p >= 0)
    if np.ptp(position) > 0 and np.any(capability * salience > 0):
        assert p.sum() == pytest.approx(0.5, abs=1e-12)


@settings(max_examples=50, deadline=None)
@given(actor_arrays)
def test_risk_exponents_lie_between_half_and_two(arrays):
    capability, position, salience = (np.array(a) for a in arrays)
    span = np.array(max(np.ptp(position), 1.0))
    mu = median_voter_position(capability, position, salience)
    eu = challenge_expected_utility(capability, position, salience, np.ones_like(position), mu, span)
    r = risk_exponent(eu)
    assert np.all((r >= 0.5 - 1e-12) & (r <= 2 + 1e-12))


@settings(max_examples=50, deadline=None)
@given(actor_arrays)
def test_positions_and_forecast_stay_within_the_initial_range(arrays):
    capability, position, salience = (np.array(a) for a in arrays)
    result = expected_utility_forecast(capability, position, salience, n_rounds=8)
    low, high = position.min() - 1e-9, position.max() + 1e-9
    assert np.all((result.positions >= low) & (result.positions <= high))
    assert np.all((result.forecast >= low) & (result.forecast <= high))
    assert np.all((result.mean_position >= low) & (result.mean_position <= high))


# positions on a grid of eighths: 10 - x and every distance are exact in binary, so the mirrored run sees the
# same numbers (with arbitrary floats, rounding in 10 - x can break a tie between offers one way and not the
# other; hypothesis found positions 0 and 1e-15)
mirror_arrays = st.integers(2, 7).flatmap(
    lambda n: st.tuples(
        st.lists(st.floats(0.01, 1.0), min_size=n, max_size=n),
        st.lists(st.integers(0, 80).map(lambda k: k / 8), min_size=n, max_size=n),
        st.lists(st.floats(0.05, 1.0), min_size=n, max_size=n),
    )
)


@pytest.mark.parametrize("rule", ["all_pairs", "per_pair"])
@settings(max_examples=50, deadline=None)
@given(arrays=mirror_arrays)
def test_mirrored_issue_scale_mirrors_the_trajectory_with_least_move_compromises(rule, arrays):
    capability, position, salience = (np.array(a) for a in arrays)
    kw = {"n_rounds": 6, "rule": rule, "compromise": "least_move"}
    result = expected_utility_forecast(capability, position, salience, **kw)
    mirrored = expected_utility_forecast(capability, 10.0 - position, salience, **kw)
    np.testing.assert_allclose(mirrored.positions, 10.0 - result.positions, atol=1e-9)
    np.testing.assert_allclose(mirrored.forecast, 10.0 - result.forecast, atol=1e-9)


def test_lowest_weighted_compromise_is_not_invariant_to_reversing_the_scale():
    """The compromise rule of Scholz et al.'s program takes the offer with the lowest weighted position, which
    favours the low end of the scale: on the example reversed (x -> 14 - x) the median runs 8.416, 9.611,
    9.962, 10, 10, 10 instead of 8.416, 9.611, 9.962, 9.962, 9.962, 7.472 (model/negotiation.py, departure 3)."""
    capability, position, salience = _example()
    result = expected_utility_forecast(capability, position, salience, n_rounds=6)
    reversed_ = expected_utility_forecast(capability, 14.0 - position, salience, n_rounds=6)
    np.testing.assert_allclose(14.0 - reversed_.forecast[:4], result.forecast[:4], atol=1e-9)
    assert 14.0 - reversed_.forecast[6] == pytest.approx(10.0) and result.forecast[6] == pytest.approx(7.472, abs=1e-3)


@settings(max_examples=50, deadline=None)
@given(actor_arrays)
def test_median_voter_position_is_a_weighted_median(arrays):
    capability, position, salience = (np.array(a) for a in arrays)
    mu = median_voter_position(capability, position, salience)
    weight = capability * salience
    below = weight[position < mu - 1e-12].sum()
    above = weight[position > mu + 1e-12].sum()
    assert below <= weight.sum() / 2 + 1e-12 and above <= weight.sum() / 2 + 1e-12


def test_actor_with_all_capability_sets_the_forecast_and_draws_the_others_per_pair():
    capability = np.array([1.0, 0.0, 0.0, 0.0])
    position = np.array([3.0, 0.0, 5.0, 10.0])
    salience = np.array([0.5, 0.9, 0.3, 1.0])
    result = expected_utility_forecast(capability, position, salience, n_rounds=30, rule="per_pair")
    np.testing.assert_allclose(result.forecast, 3.0)
    distance = np.abs(result.positions - 3.0)
    assert np.all(np.diff(distance, axis=0) <= 1e-12)
    np.testing.assert_allclose(result.positions[-1], 3.0, atol=1e-6)


def test_symmetric_pair_forecasts_the_midpoint_and_nobody_moves():
    result = expected_utility_forecast([1.0, 1.0], [0.0, 10.0], [0.6, 0.6], n_rounds=5)
    np.testing.assert_allclose(result.forecast, 5.0)
    np.testing.assert_allclose(result.positions, [[0.0, 10.0]] * 6)
    assert bool(result.converged) and int(result.rounds_run) == 0


def test_relabelling_actors_permutes_the_result():
    capability, position, salience = _example()
    order = np.array([9, 3, 0, 7, 1, 5, 2, 8, 4, 6])
    result = expected_utility_forecast(capability, position, salience, n_rounds=6)
    shuffled = expected_utility_forecast(capability[order], position[order], salience[order], n_rounds=6)
    np.testing.assert_allclose(shuffled.positions, result.positions[:, order])
    np.testing.assert_allclose(shuffled.forecast, result.forecast)


def test_trials_are_solved_at_once_and_match_single_runs():
    rng = np.random.default_rng(5)
    capability, position, salience = rng.random((4, 6)), 10 * rng.random((4, 6)), rng.random((4, 6))
    batch = expected_utility_forecast(capability, position, salience, n_rounds=7)
    assert batch.positions.shape == (4, 8, 6) and batch.forecast.shape == (4, 8)
    for t in range(4):
        single = expected_utility_forecast(capability[t], position[t], salience[t], n_rounds=7)
        np.testing.assert_allclose(batch.positions[t], single.positions)
        np.testing.assert_allclose(batch.forecast[t], single.forecast)
        assert batch.rounds_run[t] == single.rounds_run


def test_weighted_mean_position_closed_form():
    assert weighted_mean_position(np.array([1.0, 3.0]), np.array([0.0, 4.0]), np.array([1.0, 1.0])) == 3.0


def test_invalid_inputs_are_rejected():
    with pytest.raises(ValueError, match="salience"):
        expected_utility_forecast([1, 1], [0, 1], [80, 40])
    with pytest.raises(ValueError, match="two actors"):
        expected_utility_forecast([1], [0], [1])
    with pytest.raises(ValueError, match="q_status_quo"):
        expected_utility_forecast([1, 1], [0, 1], [1, 1], q_status_quo=2)
    with pytest.raises(ValueError, match="all_pairs, per_pair"):
        expected_utility_forecast([1, 1], [0, 1], [1, 1], rule="pairs")
    with pytest.raises(ValueError, match="lowest_weighted, least_move"):
        expected_utility_forecast([1, 1], [0, 1], [1, 1], compromise="nearest")


@settings(max_examples=50, deadline=None)
@given(actor_arrays)
def test_each_move_goes_to_the_proposer_or_part_way_towards_it(arrays):
    """Conflicts and capitulations move an actor to the proposer's position, compromises strictly between
    (eqs. 35-36); actors that do not move took no offer."""
    capability, position, salience = (np.array(a) for a in arrays)
    result = expected_utility_forecast(capability, position, salience, n_rounds=3, tolerance=0.0)
    for t in range(int(result.rounds_run)):
        before, after = result.positions[t], result.positions[t + 1]
        for i, (kind, j) in enumerate(zip(result.offer_kind[t], result.offer_from[t])):
            if kind == NO_MOVE:
                assert j == -1 and after[i] == before[i]
            elif kind == COMPROMISE:
                lo, hi = sorted((before[i], before[j]))
                assert lo - 1e-12 <= after[i] <= hi + 1e-12
            else:
                assert after[i] == before[j]


def test_first_round_expected_utilities_are_each_challengers_own():
    capability, position, salience = _example()
    result = expected_utility_forecast(capability, position, salience, n_rounds=2)
    mu = median_voter_position(capability, position, salience)
    eu = challenge_expected_utility(capability, position, salience, result.risk_exponent[0], mu, np.array(6.0))
    np.testing.assert_allclose(result.first_round_eu, eu, atol=1e-12)
