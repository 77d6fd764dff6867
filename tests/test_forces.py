"""Tests for model/forces.py: Lanchester invariants and closed forms, fitting, the peace-time balance."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model import forces as F

DATA = Path(__file__).parent / "data" / "lanchester_synthetic.csv"


# ----------------------------------------------------------------------------- dynamics


@pytest.mark.parametrize("method", ["rk4", "closed_form"])
def test_square_law_invariant_is_conserved_without_reinforcement(method):
    alpha, beta = np.array([0.01, 0.03, 0.02]), np.array([0.04, 0.01, 0.02])
    run = F.simulate_lanchester(
        np.array([1000.0, 800.0, 500.0]),
        np.array([400.0, 900.0, 450.0]),
        alpha,
        beta,
        days=20,
        method=method,
        n_steps=200,
    )
    invariant = F.lanchester_invariant("square", run.attacker, run.defender, alpha[:, None], beta[:, None])
    rel = np.abs(invariant - invariant[:, :1]) / np.abs(invariant[:, :1])
    assert rel.max() < 1e-6


@pytest.mark.parametrize("law, alpha, beta", [("linear", 2e-5, 5e-5), ("mixed", 2e-5, 0.01)])
def test_linear_and_mixed_invariants_are_conserved_by_rk4(law, alpha, beta):
    run = F.simulate_lanchester(1000.0, 600.0, alpha, beta, days=30, law=law, n_steps=300)
    invariant = F.lanchester_invariant(law, run.attacker, run.defender, alpha, beta)
    assert np.all(run.stop_reason == F.STOP_TIME)
    assert np.max(np.abs(invariant - invariant[:, :1]) / np.abs(invariant[:, :1])) < 1e-6


@pytest.mark.parametrize("method, n_steps", [("rk4", 1000), ("closed_form", 100)])
def test_square_law_annihilation_day_matches_closed_form(method, n_steps):
    """t* = artanh(sqrt(beta/alpha) D0/A0) / sqrt(alpha beta) for dA/dt = -beta D, dD/dt = -alpha A, derived
    from the hyperbolic solution (module docstring; standard result, e.g. Taylor 1983)."""
    a0, d0 = np.array([1000.0, 1000.0, 3000.0]), np.array([800.0, 300.0, 1000.0])
    alpha, beta = np.array([0.02, 0.01, 0.005]), np.array([0.01, 0.05, 0.03])
    assert np.all(alpha * a0**2 > beta * d0**2)
    run = F.simulate_lanchester(a0, d0, alpha, beta, days=200, method=method, n_steps=n_steps)
    expected = np.arctanh(np.sqrt(beta / alpha) * d0 / a0) / np.sqrt(alpha * beta)
    assert np.all(run.stop_reason == F.STOP_DEFENDER_BROKE)
    np.testing.assert_allclose(run.stop_day, expected, rtol=1e-6)
    np.testing.assert_allclose(F.square_law_annihilation_day(a0, d0, alpha, beta), expected, rtol=1e-12)
    np.testing.assert_allclose(run.defender[:, -1], 0.0, atol=1e-9)


def test_annihilation_day_is_infinite_when_the_defender_wins():
    assert np.isinf(F.square_law_annihilation_day(500.0, 800.0, 0.01, 0.01))


def test_closed_form_matches_rk4_with_constant_reinforcement():
    kwargs = {
        "days": 30,
        "attacker_reinforcement_per_day": np.array([10.0, 50.0]),
        "defender_reinforcement_per_day": 5.0,
    }
    exact = F.simulate_lanchester(
        np.array([1000.0, 500.0]), 800.0, 0.02, 0.01, method="closed_form", n_steps=30, **kwargs
    )
    rk4 = F.simulate_lanchester(
        np.array([1000.0, 500.0]), 800.0, 0.02, 0.01, method="rk4", n_steps=300, **kwargs
    )
    np.testing.assert_allclose(exact.attacker, rk4.attacker[:, ::10], rtol=1e-9)
    np.testing.assert_allclose(exact.defender, rk4.defender[:, ::10], rtol=1e-9)


def test_time_varying_reinforcement_adds_its_integral():
    """With no fire, A(T) = A0 + integral of r_A; RK4 is exact for r(t) = 10 + 2t (integral 300 + 900)."""
    run = F.simulate_lanchester(
        1000.0, 500.0, 0.0, 0.0, days=30, n_steps=7, attacker_reinforcement_per_day=lambda t: 10.0 + 2.0 * t
    )
    assert run.method == "rk4"
    assert run.attacker[0, -1] == pytest.approx(2200.0, rel=1e-12)
    assert run.defender[0, -1] == pytest.approx(500.0)


def test_attacker_breakpoint_stops_the_campaign_and_freezes_both_sides():
    run = F.simulate_lanchester(
        1000.0, 1500.0, 0.01, 0.01, days=100, n_steps=100, attacker_breakpoint_share=0.6
    )
    assert run.stop_reason[0] == F.STOP_ATTACKER_BROKE
    assert 0 < run.stop_day[0] < 100
    after = run.time_days >= run.stop_day[0]
    np.testing.assert_allclose(run.attacker[0, after], 600.0, rtol=1e-9)
    assert np.ptp(run.defender[0, after]) == 0.0
    # the crossing day solves A(t) = 600 on the exact hyperbolic path
    omega, k = 0.01, 1.0
    t = run.stop_day[0]
    assert 1000 * np.cosh(omega * t) - k * 1500 * np.sinh(omega * t) == pytest.approx(600.0, rel=1e-8)


def test_invalid_lanchester_inputs_are_rejected():
    with pytest.raises(ValueError):
        F.simulate_lanchester(100.0, 100.0, 0.01, 0.01, days=10, law="cubic")
    with pytest.raises(ValueError):
        F.simulate_lanchester(-1.0, 100.0, 0.01, 0.01, days=10)
    with pytest.raises(ValueError):
        F.simulate_lanchester(100.0, 100.0, 0.01, 0.01, days=10, law="linear", method="closed_form")


# ----------------------------------------------------------------------------- fitting


def _load_synthetic():
    return np.loadtxt(DATA, delimiter=",", skiprows=1, unpack=True)


def test_fit_recovers_known_square_law_coefficients_within_their_intervals():
    """tests/data/lanchester_synthetic.csv: a square-law battle generated with alpha = 0.0106, beta = 0.0544
    (the coefficients Engel 1954 reported for Iwo Jima, used only as plausible values), A0 = 54,000 with
    6,000 and 13,000 arriving on days 2 and 5, D0 = 21,500, 36 days, Gaussian noise sd 250 troops
    (numpy default_rng(1954)), rounded to whole troops."""
    day, attacker, defender, add_a, add_d = _load_synthetic()
    fit = F.fit_lanchester(day, attacker, defender, add_a, add_d)
    assert fit.law == "square"
    assert fit.alpha_ci[0] <= 0.0106 <= fit.alpha_ci[1]
    assert fit.beta_ci[0] <= 0.0544 <= fit.beta_ci[1]
    assert fit.alpha_ci[1] - fit.alpha_ci[0] < 0.1 * 0.0106  # informative, not a vacuous interval
    assert 150 < fit.rmse < 400  # about the noise level
    assert fit.fitted_attacker.shape == day.shape
    assert all(f.aic > fit.best.aic for f in fit.fits if f.law != "square")


def test_fit_picks_the_linear_law_and_its_intervals_cover_the_truth():
    """30 noisy replicates of a linear-law battle (noise after day 0, which is the known initial condition):
    the linear law is chosen every time, and each 95% interval covers the true coefficient in at least 24 of
    30 replicates (if coverage were really 95%, fewer than 24 would happen with probability ~3e-4)."""
    day = np.arange(25.0)
    add = np.zeros(25)
    true_attacker, true_defender = F._predict_battle("linear", day, 5000.0, 4000.0, 3e-5, 2e-5, add, add)
    covered_alpha = covered_beta = 0
    for seed in range(30):
        rng = np.random.default_rng(seed)
        fit = F.fit_lanchester(
            day,
            true_attacker + np.r_[0.0, rng.normal(0, 20, 24)],
            true_defender + np.r_[0.0, rng.normal(0, 20, 24)],
        )
        assert fit.law == "linear"
        covered_alpha += fit.alpha_ci[0] <= 3e-5 <= fit.alpha_ci[1]
        covered_beta += fit.beta_ci[0] <= 2e-5 <= fit.beta_ci[1]
    assert covered_alpha >= 24 and covered_beta >= 24


def test_fit_rejects_bad_input():
    with pytest.raises(ValueError):
        F.fit_lanchester([0, 1], [10, 9], [10, 9])
    with pytest.raises(ValueError):
        F.fit_lanchester([0, 2, 1], [10, 9, 8], [10, 9, 8])


# ----------------------------------------------------------------------------- peace-time balance


def test_trajectory_shapes_and_probabilities():
    n, years = 4, 6
    out = F.balance_trajectory(years, defender_cap_troops=np.linspace(5e5, 8e5, n))
    for key in (
        "force_ratio",
        "p_breakthrough",
        "km2_lost",
        "defence_multiplier",
        "defender_strength_troops",
        "attacker_strength_troops",
        "effective_force_ratio",
    ):
        assert out[key].shape == (n, years), key
    assert np.all((out["p_breakthrough"] >= 0) & (out["p_breakthrough"] <= 1))
    assert np.all(out["km2_lost"] >= 0)
    np.testing.assert_array_equal(out["year"], np.arange(years))


def test_km2_lost_reproduces_todays_rate_when_nothing_changes():
    """Year 0 with no cap, no cession and no rearmament is today's balance: the attritional part equals
    D days at the observed rate, by construction."""
    out = F.balance_trajectory(1, attacker_rearmament_troops_per_year=0.0)
    d = F.BALANCE_DEFAULTS
    expected = (
        d["campaign_days"] * d["gain_now_km2_per_day"]
        + out["p_breakthrough"][0, 0] * d["breakthrough_area_km2"]
    )
    assert out["km2_lost"][0, 0] == pytest.approx(expected, rel=1e-12)


def test_cap_below_strength_binds_at_once():
    out = F.balance_trajectory(3, defender_cap_troops=600_000)
    np.testing.assert_allclose(out["defender_strength_troops"], 600_000)


def test_multiplier_rebuilds_to_its_pre_cession_value():
    out = F.balance_trajectory(
        10, defence_multiplier_before=2.5, defence_multiplier_after=1.5, multiplier_rebuild_per_year=0.25
    )
    np.testing.assert_allclose(
        out["defence_multiplier"][0], [1.5, 1.75, 2.0, 2.25, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5]
    )


def test_unknown_or_invalid_parameters_are_rejected():
    with pytest.raises(TypeError):
        F.balance_trajectory(3, defender_cap=600_000)
    with pytest.raises(ValueError):
        F.balance_trajectory(3, defence_multiplier_after=0.5)
    with pytest.raises(ValueError):
        F.balance_trajectory(3, breakthrough_noise_sigma=0.0)


_base = {
    "defender_strength_now_troops": st.floats(3e5, 1.2e6),
    "attacker_strength_now_troops": st.floats(3e5, 1.2e6),
    "attacker_rearmament_troops_per_year": st.floats(0, 2e5),
    "defence_multiplier_before": st.floats(1.0, 4.0),
    "defence_multiplier_after": st.floats(1.0, 4.0),
    "multiplier_rebuild_per_year": st.floats(0, 0.5),
    "aid_usd_bn_per_year": st.floats(0, 80),
    "defender_cap_troops": st.floats(2e5, 1.2e6),
    "front_length_after_km": st.floats(500, 2000),
    "attacker_reinforcement_troops_per_day": st.floats(0, 5000),
    "breakthrough_noise_sigma": st.floats(0.05, 1.0),
    "attacker_breakpoint_share": st.floats(0, 0.9),
    "defender_breakpoint_share": st.floats(0, 0.9),
    "attacker_fire_effectiveness_per_day": st.floats(1e-4, 0.05),
    "defender_fire_effectiveness_per_day": st.floats(1e-4, 0.05),
    "campaign_days": st.floats(5, 90),
}
_MONOTONE_IN = [
    "defender_cap_troops",
    "defence_multiplier_before",
    "defence_multiplier_after",
    "multiplier_rebuild_per_year",
    "aid_usd_bn_per_year",
]


@settings(max_examples=50, deadline=None)
@given(
    base=st.fixed_dictionaries(_base),
    which=st.sampled_from(_MONOTONE_IN),
    bump=st.floats(0.01, 1.0),
    law=st.sampled_from(F.LAWS),
)
def test_higher_cap_multiplier_or_aid_never_raises_p_breakthrough(base, which, bump, law):
    params = dict(base)
    if law != "square":  # linear/mixed coefficients are per troop: rescale to comparable daily rates
        params["attacker_fire_effectiveness_per_day"] /= 1e6
        params["defender_fire_effectiveness_per_day"] /= 1e6 if law == "linear" else 1.0
    low = params[which]
    params[which] = np.array([low, low * (1.0 + bump) + 1e-9])
    out = F.balance_trajectory(6, law=law, **params)
    p = out["p_breakthrough"]
    assert np.all(p[1] <= p[0] + 1e-9), (which, p)


@settings(max_examples=50, deadline=None)
@given(base=st.fixed_dictionaries(_base), ban=st.floats(0, 1), share=st.floats(0, 1))
def test_banning_long_range_strike_never_lowers_p_breakthrough(base, ban, share):
    out = F.balance_trajectory(
        4, long_range_strike_ban=np.array([0.0, ban]), interdiction_share=share, **base
    )
    assert np.all(out["p_breakthrough"][1] >= out["p_breakthrough"][0] - 1e-9)


# ----------------------------------------------------------------------------- cession


def test_cession_effects_subtract_ceded_ground_and_lower_the_multiplier():
    eff = F.cession_effects(
        held_area_km2=np.array([487_000.0, 487_000.0]),
        ceded_area_km2=np.array([5_000.0, 6_600.0]),
        held_population=30e6,
        ceded_population=250_000,
        front_length_before_km=1_250,
        front_length_after_km=1_200,
        defence_multiplier_fortified=3.0,
        defence_multiplier_open=1.5,
        fortified_share_before=0.8,
        fortified_share_after=0.2,
    )
    np.testing.assert_allclose(eff.held_area_km2_after, [482_000.0, 480_400.0])
    np.testing.assert_allclose(eff.population_after, 30e6 - 250_000)
    np.testing.assert_allclose(eff.defence_multiplier_before, 2.7)
    np.testing.assert_allclose(eff.defence_multiplier_after, 1.8)
    with pytest.raises(ValueError):
        F.cession_effects(
            held_area_km2=1.0,
            ceded_area_km2=2.0,
            held_population=1,
            ceded_population=0,
            front_length_before_km=1,
            front_length_after_km=1,
            defence_multiplier_fortified=2,
            defence_multiplier_open=1,
            fortified_share_before=0.5,
            fortified_share_after=0.5,
        )
