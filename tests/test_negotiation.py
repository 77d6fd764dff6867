"""Tests for model/negotiation.py: the expected-utility model as specified by Scholz, Calbert & Smith (2011)."""

import csv
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.negotiation import (
    challenge_expected_utility,
    expected_utility_forecast,
    median_voter_position,
    prevail_probability,
    risk_exponent,
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


@pytest.mark.xfail(strict=True, reason="no reading of Scholz et al.'s printed equations reproduces their Table 2")
def test_example_reproduces_scholz_table_2_median_trajectory():
    """Scholz, Calbert & Smith (2011), Table 2 (ICAART version p. 28): median voter position after rounds 1-8
    8.4, 9.9, 9.9, 9.9, 9.9, 7.4, 8.8, 9.6 years, with Q = 1.0 ("No value for Q was given. We chose Q=1.0").

    What the text prescribes (and model/negotiation.py implements): P^i = sum_{k: arg > 0} c_k s_k arg /
    sum_{k=1}^n c_k s_k |arg|, arg = |x_k - x_j| - |x_k - x_i| (eq. 30-31, Appendix step 5: the denominator is
    the votes of the pair's own contest); EU_ij = s_j (P U_si + (1 - P) U_fi) + (1 - s_j) U_si - Q U_sq (eqs.
    5-7, each actor's own r_i, Appendix step 7); r_i from S_i = sum_j EU_ji at r = 1 (eqs. 32-34); offers by
    the octant of (EU_ij, EU_ji) (fig. 6), "concede to the one that allows i to move the least" (section 6.2).
    With these the (1 - s_j) U_s term makes EU_ij > 0 for most pairs, nearly every pair is a conflict, actors
    jump to their opponents' positions and the median stays at 7.00 in every round.

    Readings the text leaves open, each tried alone on top of the printed model (medians, rounds 1-8):
    EU_ji in the receiver's r (E^i(U_ji) of eq. 34): 7.00 throughout; k excluding i and j: 4, 7, 7, ...;
    conflict as "uncertain outcome", nobody moves (BDM 1997): 9.53, 9.53, 9.53, 10, 10, ...; most
    enforceable offer first: 10 throughout; security as a row sum: 10 throughout; Q = 0.5: 7, 10, 4, 4, ...;
    R of the current positions: 7, 7, 10, 10, ...; capitulation off, votes using r_k, sequential instead of
    simultaneous moves: 7.00 throughout. No combination of these comes within 1.3 of Table 2.

    Only a rule that is not in the text gets close: dividing P by the |votes| summed over all actors and
    all ordered pairs (github.com/jmckib/bdm-scholz-expected-utility-model, which calls it "faithful to
    Scholz' code"), together with votes using r_k, both EUs of a pair in the receiver's r, no capitulation
    and compromises ranked by (|EU_ij| x_i + |EU_ji| x_j) / (|EU_ij| + |EU_ji|). It gives 8.42, 9.61, 9.96,
    9.96, 9.96, 7.47, 8.82, 9.67, i.e. Table 2 truncated to one decimal except round 2 (9.61 vs 9.9).
    Its capitulation rule is moot here; each other departure matters (pairwise P: 7.00 throughout; least-move
    compromise: ..., 10, 10, 10, 8.18; own r for EU_ji: 8.78, 9.80, 9.97, 10, ...; votes without r_k: round 6
    7.52). The model keeps the printed equations, so this stays a strict xfail that fails loudly if a later
    change closes the gap."""
    capability, position, salience = _example()
    result = expected_utility_forecast(capability, position, salience, n_rounds=8, tolerance=0.0)
    np.testing.assert_allclose(result.forecast[1:], [8.4, 9.9, 9.9, 9.9, 9.9, 7.4, 8.8, 9.6], atol=0.1)


def test_example_stays_on_the_issue_scale_and_stops():
    capability, position, salience = _example()
    result = expected_utility_forecast(capability, position, salience, n_rounds=20)
    assert result.positions.shape == (21, 10) and result.forecast.shape == (21,)
    assert np.all((result.positions >= 4) & (result.positions <= 10))
    assert bool(result.converged)
    assert np.all(result.positions[int(result.rounds_run) :] == result.positions[-1])


def test_two_actor_expected_utility_closed_form():
    """Two actors at the ends of the scale: d = 1, U_s = 2, U_f = -2, U_sq = 0 (r = 1), P_12 = c_1/(c_1+c_2), so
    EU_12 = s_2 (4 P_12 - 2) + 2 (1 - s_2) (eqs. 5-7, 15-16, 24 of Scholz et al. 2011)."""
    capability = np.array([2.0, 1.0])
    salience = np.array([0.5, 0.5])
    position = np.array([0.0, 10.0])
    eu = challenge_expected_utility(
        capability, position, salience, np.ones(2), median=np.array(5.0), position_range=np.array(10.0)
    )
    assert eu[0, 1] == pytest.approx(0.5 * (4 * 2 / 3 - 2) + 2 * 0.5)
    assert eu[1, 0] == pytest.approx(0.5 * (4 * 1 / 3 - 2) + 2 * 0.5)
    assert eu[0, 0] == 0 and eu[1, 1] == 0


@settings(max_examples=50, deadline=None)
@given(actor_arrays)
def test_prevail_probabilities_of_a_pair_sum_to_one(arrays):
    capability, position, salience = (np.array(a) for a in arrays)
    p = prevail_probability(capability, position, salience)
    assert np.all((p >= 0) & (p <= 1))
    np.testing.assert_allclose(p + p.T, 1.0, atol=1e-12)


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


@settings(max_examples=50, deadline=None)
@given(mirror_arrays)
def test_mirrored_issue_scale_mirrors_the_trajectory(arrays):
    capability, position, salience = (np.array(a) for a in arrays)
    result = expected_utility_forecast(capability, position, salience, n_rounds=6)
    mirrored = expected_utility_forecast(capability, 10.0 - position, salience, n_rounds=6)
    np.testing.assert_allclose(mirrored.positions, 10.0 - result.positions, atol=1e-9)
    np.testing.assert_allclose(mirrored.forecast, 10.0 - result.forecast, atol=1e-9)


@settings(max_examples=50, deadline=None)
@given(actor_arrays)
def test_median_voter_position_is_a_weighted_median(arrays):
    capability, position, salience = (np.array(a) for a in arrays)
    mu = median_voter_position(capability, position, salience)
    weight = capability * salience
    below = weight[position < mu - 1e-12].sum()
    above = weight[position > mu + 1e-12].sum()
    assert below <= weight.sum() / 2 + 1e-12 and above <= weight.sum() / 2 + 1e-12


def test_actor_with_all_capability_sets_the_forecast_and_draws_the_others():
    capability = np.array([1.0, 0.0, 0.0, 0.0])
    position = np.array([3.0, 0.0, 5.0, 10.0])
    salience = np.array([0.5, 0.9, 0.3, 1.0])
    result = expected_utility_forecast(capability, position, salience, n_rounds=30)
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
