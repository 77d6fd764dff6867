"""Tests for model/forces.py: Lanchester invariants and closed forms, the balance year by year (the fitter's
tests are in test_lanchester_fit.py)."""

import numpy as np
import pytest

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


# ----------------------------------------------------------------------------- the balance


def test_balance_shapes_and_year_zero_is_today():
    n, years = 4, 6
    out = F.balance_trajectory(years, defender_cap_troops=np.linspace(5e5, 1e6, n))
    for key in ("force_ratio", "defender_strength_troops", "attacker_strength_troops", "attacker_effective_troops",
                "fortified_share", "prepared_share", "force_density_troops_per_km"):
        assert out[key].shape == (n, years), key
    d = F.BALANCE_DEFAULTS
    # the strength in the theatre: the theatre share of the fielded force (model/forces.py)
    np.testing.assert_allclose(out["defender_strength_troops"][:, 0], d["defender_theatre_share"]
                               * np.minimum(np.linspace(5e5, 1e6, n), d["defender_strength_now_troops"]))
    np.testing.assert_allclose(out["attacker_strength_troops"][:, 0], d["attacker_strength_now_troops"])
    np.testing.assert_allclose(out["attacker_effective_troops"][:, 0],
                               d["attacker_strength_now_troops"] * (1 - d["interdiction_share"]))
    np.testing.assert_array_equal(out["year"], np.arange(years))


def test_cap_below_strength_binds_at_once():
    out = F.balance_trajectory(3, defender_cap_troops=600_000)
    np.testing.assert_allclose(out["defender_strength_troops"], 600_000 * F.BALANCE_DEFAULTS["defender_theatre_share"])


def test_equipment_limits_the_fielded_force_to_what_aid_sustains():
    """E_{t+1} = (1 - delta) E_t + q has the closed form E_t = E* + (E_0 - E*) (1 - delta)^t, E* = q / delta:
    with no cap the fielded strength is the smaller of personnel and equipment."""
    q, delta, e0 = 50_000 + 10 * 2_000.0, 0.2, F.BALANCE_DEFAULTS["defender_strength_now_troops"]
    out = F.balance_trajectory(12, aid_bn_per_year=10, troops_equipped_per_bn=2_000,
                               domestic_equipping_troops_per_year=50_000, equipment_depreciation_per_year=delta)
    t = np.arange(12)
    expected = q / delta + (e0 - q / delta) * (1 - delta) ** t
    np.testing.assert_allclose(out["defender_equipment_troops"][0], expected, rtol=1e-12)
    np.testing.assert_allclose(out["defender_strength_troops"][0],
                               F.BALANCE_DEFAULTS["defender_theatre_share"] * np.minimum(expected, e0), rtol=1e-12)


def test_fortifications_rebuild_to_their_pre_cession_share_and_the_rest_is_prepared():
    out = F.balance_trajectory(8, fortified_share_before=0.5, fortified_share_after=0.2, prepared_share=0.3,
                               fortified_rebuild_per_year=0.1)
    np.testing.assert_allclose(out["fortified_share"][0], [0.2, 0.3, 0.4, 0.5, 0.5, 0.5, 0.5, 0.5])
    np.testing.assert_allclose(out["fortified_share"][0] + out["prepared_share"][0], 0.8)


def test_a_strike_ban_gives_the_attacker_back_its_interdicted_strength():
    out = F.balance_trajectory(3, interdiction_share=0.2, long_range_strike_ban=np.array([0.0, 0.5, 1.0]))
    a = out["attacker_strength_troops"][:, 0]
    np.testing.assert_allclose(out["attacker_effective_troops"][:, 0], a * np.array([0.8, 0.9, 1.0]))


def test_wartime_balance_grows_at_the_wartime_rates_and_ignores_the_settlement():
    common = {"attacker_strength_now_troops": 700_000, "attacker_max_troops": 800_000,
                  "attacker_wartime_growth_per_year": 45_000, "defender_wartime_growth_per_year": -20_000,
                  "defender_cap_troops": 400_000, "long_range_strike_ban": 1.0, "interdiction_share": 0.1,
                  "fortified_share_before": 0.5, "fortified_share_after": 0.1, "front_length_before_km": 1250,
                  "front_length_after_km": 1000, "equipment_depreciation_per_year": 0.0}
    war = F.balance_trajectory(5, wartime=True, **common)
    np.testing.assert_allclose(war["attacker_strength_troops"][0], [700_000, 745_000, 790_000, 800_000, 800_000])
    np.testing.assert_allclose(war["defender_personnel_troops"][0], 880_000 - 20_000 * np.arange(5))
    np.testing.assert_allclose(war["attacker_effective_troops"], 0.9 * war["attacker_strength_troops"])
    np.testing.assert_allclose(war["fortified_share"], 0.5)
    assert float(war["front_length_km"][0]) == 1250
    peace = F.balance_trajectory(5, **common)
    np.testing.assert_allclose(peace["defender_strength_troops"], 400_000 * F.BALANCE_DEFAULTS["defender_theatre_share"])
    np.testing.assert_allclose(peace["attacker_effective_troops"], peace["attacker_strength_troops"])


def test_unknown_or_invalid_parameters_are_rejected():
    with pytest.raises(TypeError):
        F.balance_trajectory(3, defender_cap=600_000)
    with pytest.raises(ValueError):
        F.balance_trajectory(3, fortified_share_before=1.2)
    with pytest.raises(ValueError):
        F.balance_trajectory(3, fortified_share_before=0.8, prepared_share=0.3)
    with pytest.raises(ValueError):
        F.balance_trajectory(3, front_length_after_km=0.0)


# ----------------------------------------------------------------------------- cession


def test_cession_effects_subtract_ceded_ground_and_keep_the_fortified_shares():
    eff = F.cession_effects(
        held_area_km2=np.array([487_000.0, 487_000.0]),
        ceded_area_km2=np.array([5_000.0, 6_600.0]),
        held_population=30e6,
        ceded_population=250_000,
        front_length_before_km=1_250,
        front_length_after_km=1_200,
        fortified_share_before=0.5,
        fortified_share_after=0.2,
    )
    np.testing.assert_allclose(eff.held_area_km2_after, [482_000.0, 480_400.0])
    np.testing.assert_allclose(eff.population_after, 30e6 - 250_000)
    np.testing.assert_allclose(eff.fortified_share_after, 0.2)
    with pytest.raises(ValueError):
        F.cession_effects(
            held_area_km2=1.0,
            ceded_area_km2=2.0,
            held_population=1,
            ceded_population=0,
            front_length_before_km=1,
            front_length_after_km=1,
            fortified_share_before=0.5,
            fortified_share_after=0.5,
        )
