"""Tests for model/forces.py: Lanchester invariants and closed forms, the peace-time balance (the fitter's tests
are in test_lanchester_fit.py)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from model import forces as F

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


# ----------------------------------------------------------------------------- square law in closed form

# (A0, D0, alpha, beta, r_A, r_D, b_A, b_D): the effective ratio peaks inside the campaign in the first
# three (time runs out; the attacker breaks; time runs out), then the defender breaks, then the attacker
_CAMPAIGNS = np.array([
    [1544.32, 1209.35, 0.018153, 0.014872, 5.0205, 18.575, 0.04739, 0.31829],
    [1601.87, 1682.88, 0.039933, 0.041959, 10.859, 21.976, 0.24602, 0.44426],
    [855.216, 1032.23, 0.049094, 0.018701, 8.9089, 35.531, 0.29403, 0.52901],
    [2000.0, 900.0, 0.02, 0.01, 30.0, 5.0, 0.5, 0.3],
    [1000.0, 1500.0, 0.01, 0.01, 0.0, 10.0, 0.6, 0.0],
]).T


def _campaign_kwargs(days=30.0):
    a0, d0, alpha, beta, r_a, r_d, b_a, b_d = _CAMPAIGNS
    args = (a0, d0, alpha, beta)
    kwargs = {
        "days": days,
        "attacker_reinforcement_per_day": r_a,
        "defender_reinforcement_per_day": r_d,
        "attacker_breakpoint_share": b_a,
        "defender_breakpoint_share": b_d,
    }
    return args, kwargs


def test_square_law_campaign_matches_a_fine_grid_and_finds_interior_peaks():
    """The exact stop and peak against simulate_lanchester on 3,000 steps: the same stop (to 1e-9 days) and
    reason; the exact R_max is never below the grid's maximum and within 1e-6 of it. In the first three
    campaigns the grid's maximum is inside the campaign, not at an end (an interior peak)."""
    args, kwargs = _campaign_kwargs()
    exact = F.square_law_campaign(*args, **kwargs)
    run = F.simulate_lanchester(*args, n_steps=3000, **kwargs)
    np.testing.assert_array_equal(exact.stop_reason, run.stop_reason)
    np.testing.assert_array_equal(exact.stop_reason, [0, 1, 0, 2, 1])
    np.testing.assert_allclose(exact.stop_day, run.stop_day, rtol=0, atol=1e-9)
    _, d0, alpha, beta, *_, b_d = _CAMPAIGNS
    margin = run.defender - (b_d * d0)[:, None]
    grid = F.effective_force_ratio(
        "square", run.attacker, run.defender, alpha[:, None], beta[:, None], margin
    )
    assert np.isinf(exact.peak_effective_ratio[3]) and np.isinf(grid.max(axis=1)[3])
    finite = np.isfinite(exact.peak_effective_ratio)
    peak, grid_peak = exact.peak_effective_ratio[finite], grid.max(axis=1)[finite]
    assert np.all(grid_peak <= peak * (1 + 1e-12))
    np.testing.assert_allclose(grid_peak, peak, rtol=1e-6)
    at = grid.argmax(axis=1)[:3]
    stop_index = np.searchsorted(run.time_days, run.stop_day[:3])
    assert np.all((at > 10) & (at < stop_index - 10))


def test_square_law_campaign_stops_where_the_hyperbolic_path_reaches_the_breakpoint():
    """At the attacker's stop day, A(t) = A* + a0 cosh(omega t) - k d0 sinh(omega t) (module docstring)
    equals its breakpoint strength b_A A0; at the defender's, D(t) equals b_D D0."""
    args, kwargs = _campaign_kwargs()
    run = F.square_law_campaign(*args, **kwargs)
    a0, d0, alpha, beta, r_a, r_d, b_a, b_d = _CAMPAIGNS
    omega, k = np.sqrt(alpha * beta), np.sqrt(beta / alpha)
    a_star, d_star = r_d / alpha, r_a / beta
    c, s = np.cosh(omega * run.stop_day), np.sinh(omega * run.stop_day)
    attacker = a_star + (a0 - a_star) * c - k * (d0 - d_star) * s
    defender = d_star + (d0 - d_star) * c - (a0 - a_star) / k * s
    for i in np.flatnonzero(run.stop_reason == F.STOP_ATTACKER_BROKE):
        assert attacker[i] == pytest.approx(b_a[i] * a0[i], rel=1e-10)
    for i in np.flatnonzero(run.stop_reason == F.STOP_DEFENDER_BROKE):
        assert defender[i] == pytest.approx(b_d[i] * d0[i], rel=1e-10)


def test_square_law_campaign_stop_is_the_annihilation_day_without_reinforcement():
    """t* = artanh(sqrt(beta/alpha) D0/A0) / sqrt(alpha beta) (Taylor 1983; module docstring)."""
    a0, d0 = np.array([1000.0, 1000.0, 3000.0]), np.array([800.0, 300.0, 1000.0])
    alpha, beta = np.array([0.02, 0.01, 0.005]), np.array([0.01, 0.05, 0.03])
    run = F.square_law_campaign(a0, d0, alpha, beta, days=200)
    np.testing.assert_allclose(run.stop_day, F.square_law_annihilation_day(a0, d0, alpha, beta), rtol=1e-12)
    assert np.all(run.stop_reason == F.STOP_DEFENDER_BROKE) and np.all(np.isinf(run.peak_effective_ratio))


def test_square_law_campaign_keeps_its_precision_when_fire_is_weak():
    """omega = sqrt(alpha beta) near 0 (alpha = 1e-15 per day, the configs' lower bound): the equilibrium
    A* = r_D / alpha is ~1e18 troops, so the cosh/sinh form loses whole troops to rounding; the quadratics in
    v have plain rates as coefficients. Against RK4 (accurate here: the dynamics are nearly linear)."""
    kwargs = {
        "days": 60.0,
        "attacker_reinforcement_per_day": 200.0,
        "defender_reinforcement_per_day": 850.0,
        "attacker_breakpoint_share": 0.5,
    }
    exact = F.square_law_campaign(700_000.0, 800_000.0, 1e-15, 0.01, **kwargs)
    rk4 = F.simulate_lanchester(700_000.0, 800_000.0, 1e-15, 0.01, method="rk4", n_steps=600, **kwargs)
    assert exact.stop_reason == rk4.stop_reason[0] == F.STOP_ATTACKER_BROKE
    assert exact.stop_day == pytest.approx(rk4.stop_day[0], rel=1e-9)
    assert exact.peak_effective_ratio == pytest.approx(np.sqrt(1e-15 / 0.01) * 700_000 / 800_000, rel=1e-12)


def test_square_law_campaign_with_a_side_absent_stops_at_once():
    run = F.square_law_campaign(np.array([0.0, 500.0, 0.0]), np.array([400.0, 0.0, 0.0]), 0.01, 0.01, days=30)
    np.testing.assert_array_equal(run.stop_day, 0.0)
    np.testing.assert_array_equal(run.stop_reason, [1, 2, 1])
    np.testing.assert_array_equal(run.peak_effective_ratio, [0.0, np.inf, 0.0])
    with pytest.raises(ValueError):
        F.square_law_campaign(100.0, 100.0, -0.01, 0.01, days=10)
    with pytest.raises(ValueError):
        F.square_law_campaign(100.0, 100.0, 0.01, 0.01, days=10, defender_breakpoint_share=1.0)


def test_balance_trajectory_square_law_agrees_with_a_fine_grid():
    """balance_trajectory's exact R_max, P(breakthrough) and stop day against the same campaigns integrated
    on a 2,000-step grid (simulate_lanchester, then effective_force_ratio): the wiring (campaign length,
    beta_eff = beta m f, interdicted reinforcement) is the same."""
    n, years = 3, 4
    params = {
        "defender_cap_troops": np.array([6e5, 8e5, np.inf]),
        "attacker_breakpoint_share": np.array([0.5, 0.3, 0.7]),
        "defender_breakpoint_share": np.array([0.0, 0.6, 0.6]),
        "campaign_days": np.array([30.0, 60.0, 90.0]),
        "defence_multiplier_after": np.array([1.5, 2.0, 2.5]),
        "attacker_fire_effectiveness_per_day": np.array([6e-4, 8e-3, 4e-3]),
        "defender_fire_effectiveness_per_day": np.array([6e-4, 2e-3, 3e-3]),
    }
    out = F.balance_trajectory(years, **params)
    # time runs out (trial 0), the defender breaks in later years (trial 1), the attacker breaks (trial 2)
    assert np.all(out["campaign_stop_day"][0] == 30) and np.all(out["campaign_stop_day"][2] < 90)
    assert np.all(np.isinf(out["peak_effective_ratio"][1, 2:]))
    d = {**F.BALANCE_DEFAULTS, **params}
    r_a = d["attacker_reinforcement_troops_per_day"] * (1 - d["interdiction_share"])
    for t in range(years):
        beta_eff = d["defender_fire_effectiveness_per_day"] * out["defence_multiplier"][:, t]
        beta_eff = beta_eff * out["density_factor"][:, t]
        defender = out["defender_strength_troops"][:, t]
        peak, stop = np.empty(n), np.empty(n)
        for i in range(n):
            run = F.simulate_lanchester(
                out["attacker_strength_troops"][i, t],
                defender[i],
                d["attacker_fire_effectiveness_per_day"][i],
                beta_eff[i],
                days=d["campaign_days"][i],
                attacker_reinforcement_per_day=r_a,
                defender_reinforcement_per_day=d["defender_reinforcement_troops_per_day"],
                attacker_breakpoint_share=d["attacker_breakpoint_share"][i],
                defender_breakpoint_share=d["defender_breakpoint_share"][i],
                n_steps=2000,
            )
            margin = run.defender - d["defender_breakpoint_share"][i] * defender[i]
            alpha = d["attacker_fire_effectiveness_per_day"][i]
            ratio = F.effective_force_ratio("square", run.attacker, run.defender, alpha, beta_eff[i], margin)
            peak[i], stop[i] = ratio.max(), run.stop_day[0]
        np.testing.assert_allclose(out["peak_effective_ratio"][:, t], peak, rtol=1e-6)
        np.testing.assert_allclose(out["campaign_stop_day"][:, t], stop, rtol=1e-9)
        z = np.log(peak / d["breakthrough_threshold"]) / d["breakthrough_noise_sigma"]
        np.testing.assert_allclose(out["p_breakthrough"][:, t], stats.norm.cdf(z), rtol=0, atol=1e-6)


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
