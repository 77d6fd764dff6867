"""Tests for model/negotiation.py: the expected-utility model as specified by Scholz, Calbert & Smith (2011)."""

import csv
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from model.negotiation import (
    CAPITULATION,
    COMPROMISE,
    CONFLICT,
    NO_MOVE,
    _offers,
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
    two least threatened, hence most risk-averse, actors. The public replications agree on that ORDER at the
    top, not on the values: github.com/dmasad/BDM_DecisionModel_Replication ("Comparison with Original") has
    UK 2.0 and Denmark 1.47, and the Netherlands and Germany 1.13 where we have 1.41; the values below are this
    implementation's (github.com/jmckib/bdm-scholz-expected-utility-model's rules), not a published figure.
    Greece is 1.11. Greece above Denmark (1.557 against 1.454) came from normalising P per pair, not from the
    security levels themselves (the test above)."""
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


@pytest.mark.parametrize("tolerance", [1e-9, 0.0])
def test_an_actor_converging_on_anothers_position_mirrors_whatever_the_tolerance(tolerance):
    """Actor 3 converges geometrically on actor 0's position; within rounding of it the pair's expected utilities
    are noise, so they count as one position (`_offers`) even with tolerance 0, and the mirrored scale gives the
    mirrored trajectory. A negative tolerance is refused."""
    capability, salience = np.ones(4), np.array([0.7998299056942404, 1.0, 0.9375, 0.2])
    position = np.array([7.625, 0.0, 0.125, 8.875])
    kw = {"n_rounds": 12, "rule": "all_pairs", "compromise": "least_move", "tolerance": tolerance}
    result = expected_utility_forecast(capability, position, salience, **kw)
    mirrored = expected_utility_forecast(capability, 10.0 - position, salience, **kw)
    np.testing.assert_allclose(mirrored.positions, 10.0 - result.positions, atol=1e-9)
    with pytest.raises(ValueError, match="tolerance"):
        expected_utility_forecast(capability, position, salience, tolerance=-1e-9)


@pytest.mark.parametrize("rule", ["all_pairs", "per_pair"])
@settings(max_examples=50, deadline=None)
@given(arrays=mirror_arrays)
# found by hypothesis: actor 3 converges on actor 0's position to within 2e-12, where the pair's a and b are
# rounding noise and classified the offer differently on the two scales (model/negotiation.py `_offers`)
@example(arrays=([1.0, 1.0, 1.0, 1.0], [7.625, 0.0, 0.125, 8.875], [0.7998299056942404, 1.0, 0.9375, 0.2]))
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


# ------------------------------------------------------------------------------------------ capitulation


def _two_actor_offer(c1, s1, c2=10.0, s2=1.0):
    """Closed form of round 1 for two actors at the ends of the scale (x = 0, 1; R = 1; Q = 1).

    d = 1, so U_s = 2, U_f = -2 and U_sq = 2 - 4 (1/2)^r for any r (eqs. 15-16, 24); all-pairs P_12 = w_1 /
    (2 (w_1 + w_2)), w = c s (eq. 31 over all pairs: both ordered pairs' votes in the denominator). So
    E(U_ij) = 4 (1/2)^r - 4 s_j (1 - P_ij). Security levels at r = 1: S_1 = E(U_21), S_2 = E(U_12); the more
    threatened actor (larger S) gets r = 1/2, the other r = 2 (eqs. 32-34). Actor 1 weighs a = E^1(U_12) and
    b = E^1(U_21), both with its own r_1 (module docstring, departure 2). Returns (a, b, r_1)."""
    w1, w2 = c1 * s1, c2 * s2
    p12, p21 = w1 / (2 * (w1 + w2)), w2 / (2 * (w1 + w2))
    s_1, s_2 = 2 - 4 * s1 * (1 - p21), 2 - 4 * s2 * (1 - p12)
    r1 = 0.5 if s_1 > s_2 else 2.0
    a = 4 * 0.5**r1 - 4 * s2 * (1 - p12)
    b = 4 * 0.5**r1 - 4 * s1 * (1 - p21)
    return a, b, r1


def test_capitulation_on_a_two_actor_closed_form():
    """Figure 6 of Scholz et al. (2011): b > 0 > a with |a| >= b is a capitulation (i moves to x_j), with
    |a| < b a compromise to x_i + (x_j - x_i) |a / b| (eqs. 35-36). A weak actor (c = 1) facing a strong one
    (c = 10, s = 1): with s_1 = 0.9, a = -1.006 and b = 0.880: it capitulates to 1 in round 1; with s_1 = 0.7,
    a = -1.041 and b = 1.337: it compromises to 0.779. The strong actor (r = 2) has b < 0 and stays."""
    a, b, r1 = _two_actor_offer(1.0, 0.9)
    assert r1 == 0.5 and a < 0 < b <= abs(a)
    res = expected_utility_forecast([1.0, 10.0], [0.0, 1.0], [0.9, 1.0], n_rounds=3)
    assert res.risk_exponent[0] == pytest.approx([0.5, 2.0])
    assert list(res.offer_kind[0]) == [CAPITULATION, NO_MOVE] and res.offer_from[0, 0] == 1
    np.testing.assert_allclose(res.positions[1], [1.0, 1.0])
    assert bool(res.converged) and int(res.rounds_run) == 1
    assert list(res.n_challenges) == [0, 0, 0]  # actor 2 never challenges: actor 1 yields to what it perceives

    a, b, r1 = _two_actor_offer(1.0, 0.7)
    assert r1 == 0.5 and a < 0 < abs(a) < b
    res = expected_utility_forecast([1.0, 10.0], [0.0, 1.0], [0.7, 1.0], n_rounds=1)
    assert list(res.offer_kind[0]) == [COMPROMISE, NO_MOVE]
    assert res.positions[1, 0] == pytest.approx(abs(a / b))


@settings(max_examples=60, deadline=None)
@given(st.floats(0.05, 1.0), st.floats(0.2, 5.0))
def test_capitulation_boundary_matches_the_closed_form(s1, c1):
    """Over weak actors' saliences and capabilities, round 1's offer to the weak actor is exactly what the
    closed form's a and b say (figure 6): none, compromise or capitulation, and where it lands."""
    a, b, _ = _two_actor_offer(c1, s1)
    res = expected_utility_forecast([c1, 10.0], [0.0, 1.0], [s1, 1.0], n_rounds=1, tolerance=0.0)
    kind, x = int(res.offer_kind[0, 0]), float(res.positions[1, 0])
    if abs(abs(a) - b) < 1e-9 or abs(a) < 1e-9 or abs(b) < 1e-9:
        return  # on a boundary rounding decides
    if a < 0 < b and abs(a) >= b:
        assert kind == CAPITULATION and x == 1.0
    elif a < 0 < b:
        assert kind == COMPROMISE and x == pytest.approx(abs(a) / b)
    elif 0 < a < b:
        assert kind == CONFLICT and x == 1.0
    else:
        assert kind == NO_MOVE and x == 0.0


def test_offers_order_conflict_before_compromise_before_capitulation_and_the_least_move():
    """Section 6.2: one offer per round, a conflict before a compromise before a capitulation; among
    capitulations the one that moves the actor least. Actor 0 at 0 weighs actors 1 (at 1), 2 (at 4), 3 (at 9)."""
    x = np.array([0.0, 1.0, 4.0, 9.0])
    a, b = np.zeros((4, 4)), np.zeros((4, 4))
    a[0, 1:], b[0, 1:] = [-2.0, -3.0, -1.0], [1.0, 1.0, 2.0]  # 1, 2 capitulations; 3 a compromise (|a| < b)
    new, kind, source = _offers(a, b, x, "least_move")
    assert kind[0] == COMPROMISE and source[0] == 3 and new[0] == pytest.approx(9 * 0.5)
    a[0, 3], b[0, 3] = -3.0, 2.0  # now 3 is a capitulation too: the least move is to actor 1
    new, kind, source = _offers(a, b, x, "least_move")
    assert kind[0] == CAPITULATION and source[0] == 1 and new[0] == 1.0
    a[0, 2], b[0, 2] = 0.5, 1.0  # a conflict with 2 (b > a > 0) comes first
    new, kind, source = _offers(a, b, x, "least_move")
    assert kind[0] == CONFLICT and source[0] == 2 and new[0] == 4.0
    assert list(kind[1:]) == [NO_MOVE] * 3 and list(new[1:]) == list(x[1:])


def test_capitulation_moves_the_forecast_when_nobody_challenges():
    """Nobody challenges anybody in any round (every E^i(U_ij) <= 0), yet the forecast moves from the round-0
    weighted median 0.25 to 1: the two actors at 0 and 0.25 (salience 0.6) capitulate in round 1 to the weak
    actor at 1 (capability 1, salience 1), a challenge they only perceive (E^i(U_ji) > 0 in their own r). With
    capitulation disabled nobody would move and the forecast would stay at 0.25 (on the shipped territory case
    too, only capitulations move anybody)."""
    res = expected_utility_forecast([3.0, 3.0, 1.0], [0.0, 0.25, 1.0], [0.6, 0.6, 1.0], n_rounds=5)
    assert list(res.n_challenges) == [0] * 5
    assert list(res.offer_kind[0]) == [CAPITULATION, CAPITULATION, NO_MOVE] and list(res.offer_from[0, :2]) == [2, 2]
    assert res.forecast[0] == pytest.approx(0.25) and res.forecast[1:] == pytest.approx([1.0] * 5)
    assert bool(res.converged)


# ---------------------------------------------------------------------- all_pairs: P depends on positions


def test_all_pairs_probabilities_depend_on_which_positions_exist():
    """The all-pairs normalisation (the replication's, kept: model/negotiation.py) sums the votes over every
    pair of positions, so an actor of capability 1e-9 at a new position, 5.5, multiplies every other P_ij on the
    example by the same factor, 0.846, and the median then stays at 7 in every round instead of Table 2's
    8.4, 9.6, ...; per pair the same actor changes no P_ij by more than 1e-9 (and per pair the median is 7
    anyway). Users adding a minor actor should expect this."""
    capability, position, salience = _example()
    more = (np.append(capability, 1e-9), np.append(position, 5.5), np.append(salience, 0.5))
    p, p_more = prevail_probability(capability, position, salience), prevail_probability(*more)[:10, :10]
    ratio = p_more[p > 0] / p[p > 0]
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-6)
    assert ratio[0] == pytest.approx(0.846, abs=1e-3)
    per_pair = prevail_probability(capability, position, salience, rule="per_pair")
    assert np.abs(prevail_probability(*more, rule="per_pair")[:10, :10] - per_pair).max() < 1e-9
    base = expected_utility_forecast(capability, position, salience, n_rounds=8, tolerance=0.0)
    with_minor = expected_utility_forecast(*more, n_rounds=8, tolerance=0.0)
    assert base.forecast[1] == pytest.approx(8.416, abs=1e-3)
    np.testing.assert_allclose(with_minor.forecast, 7.0)
