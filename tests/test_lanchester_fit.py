"""Tests for model/lanchester_fit.py: the closed forms against solve_ivp, exact recovery without noise, interval
coverage by simulation (battles made by solve_ivp with multiplicative noise on every count, day 0 included),
the issue-19 battle, the likelihood behind the AIC, and missing counts.

The coverage tests use the exact binomial law of the number of covering intervals: with N simulated battles and
true coverage 95%, the count lies in [binom.ppf(0.0005), binom.ppf(0.9995)] with probability 99.9% or more, so
a correct method fails such a test about once in a thousand runs (each test is seeded: it passes or fails the
same way every run)."""

import numpy as np
import pytest
from scipy import stats

from model import forces as F
from model import lanchester_fit as LF
from tests.lanchester_battles import (
    ISSUE_BATTLE,
    ISSUE_CSV,
    ISSUE_SEED,
    issue_counts,
    issue_csv_text,
    issue_truth,
    noisy,
    solve_ivp_battle,
)


def _binomial_band(n: int, p: float = 0.95) -> tuple[int, int]:
    return int(stats.binom.ppf(0.0005, n, p)), int(stats.binom.ppf(0.9995, n, p))


def _covers(p: LF.ParameterEstimate, truth: float) -> bool:
    return p.ci[0] <= truth <= p.ci[1]


# ----------------------------------------------------------------------------- the law between days


@pytest.mark.parametrize("law, a0, d0, alpha, beta", [
    ("square", 54_000.0, 21_500.0, 0.0106, 0.0544),
    ("square", 30_000.0, 40_000.0, 0.05, 0.01),
    ("linear", 5_000.0, 4_000.0, 3e-5, 2e-5),
    ("linear", 5_000.0, 4_000.0, 3e-5, 3.75e-5),  # invariant C = 0: D = D0 / (1 + beta D0 t)
    ("linear", 2_000.0, 6_000.0, 1e-5, 4e-5),
    ("mixed", 5_000.0, 4_000.0, 2e-5, 0.05),  # C > 0
    ("mixed", 3_000.0, 4_000.0, 2e-5, 0.045),  # C < 0
    ("mixed", 2_000.0, 4_000.0, 2e-5, 0.01),  # C = 0
])
def test_closed_forms_match_solve_ivp(law, a0, d0, alpha, beta):
    """The fitter's closed forms (with arrivals on days 3 and 7) against scipy's adaptive RK45 at rtol 1e-11."""
    day = np.arange(12.0)
    add_a, add_d = np.zeros(12), np.zeros(12)
    add_a[3], add_d[7] = 0.1 * a0, 0.05 * d0
    pa, pd = LF._predict_battle(law, day, a0, d0, alpha, beta, add_a, add_d)
    ra, rd = solve_ivp_battle(law, day, a0, d0, alpha, beta, add_a, add_d)
    np.testing.assert_allclose(pa, ra, rtol=1e-7)
    np.testing.assert_allclose(pd, rd, rtol=1e-7)


def test_an_annihilated_side_leaves_what_the_invariant_says():
    """Square law: once the defender is gone the attacker keeps sqrt(A0^2 - (beta / alpha) D0^2) (Lanchester
    1916); mixed law: once the attacker is gone the defender keeps (beta D0 - alpha A0^2 / 2) / beta."""
    day = np.array([0.0, 200.0, 400.0])
    zero = np.zeros(3)
    pa, pd = LF._predict_battle("square", day, 1000.0, 500.0, 0.01, 0.02, zero, zero)
    assert pd[1] == pd[2] == 0.0
    assert pa[1] == pa[2] == pytest.approx(np.sqrt(1000.0**2 - 2.0 * 500.0**2), rel=1e-12)
    pa, pd = LF._predict_battle("mixed", day, 100.0, 500.0, 1e-4, 0.05, zero, zero)
    assert pa[1] == pa[2] == 0.0
    assert pd[1] == pytest.approx((0.05 * 500.0 - 0.5e-4 * 100.0**2) / 0.05, rel=1e-12)


def test_the_fitter_is_still_reachable_from_model_forces():
    assert F.fit_lanchester is LF.fit_lanchester and F.LanchesterFit is LF.LanchesterFit


# ----------------------------------------------------------------------------- recovery and selection


@pytest.mark.parametrize("law, a0, d0, alpha, beta", [
    ("square", 54_000.0, 21_500.0, 0.0106, 0.0544),
    ("linear", 5_000.0, 4_000.0, 3e-5, 2e-5),
    ("mixed", 5_000.0, 4_000.0, 2e-5, 0.05),
])
def test_noise_free_battles_are_recovered_and_their_law_chosen(law, a0, d0, alpha, beta):
    """Without noise every estimated parameter is the generating one (to 1e-5) and AIC picks the true law."""
    day = np.arange(25.0)
    add_a = np.zeros(25)
    add_a[4] = 0.2 * a0
    ya, yd = solve_ivp_battle(law, day, a0, d0, alpha, beta, add_a)
    fit = LF.fit_lanchester(day, ya, yd, add_a)
    assert fit.law == law
    b = fit.best
    for name, truth in (("alpha", alpha), ("beta", beta), ("attacker0", a0), ("defender0", d0)):
        assert b.param(name).value == pytest.approx(truth, rel=1e-5), name


def test_linear_law_battles_are_recognised_and_covered():
    """40 linear-law battles with 3% multiplicative noise on every count: AIC never picks the square law (its AIC
    is about 150 higher) and picks the linear law in most; the mixed law is a close rival (typically 10 higher,
    lower in 3 of these 40 realisations, where the global minimum was checked), so "most" is at least 30. Each
    linear-law 95% interval covers the truth in 32 to 40 of 40 (binomial 99.9% band for 95% coverage)."""
    day = np.arange(25.0)
    ta, td = solve_ivp_battle("linear", day, 5000.0, 4000.0, 3e-5, 2e-5)
    rng = np.random.default_rng(1916)
    chosen, square, covered = 0, 0, np.zeros(2, int)
    for _ in range(40):
        fit = LF.fit_lanchester(day, *noisy(ta, td, 0.03, rng))
        chosen += fit.law == "linear"
        square += fit.law == "square"
        lin = fit.fit_for("linear")
        covered += [_covers(lin.param("alpha"), 3e-5), _covers(lin.param("beta"), 2e-5)]
    lo, hi = _binomial_band(40)
    assert square == 0 and chosen >= 30
    assert np.all((lo <= covered) & (covered <= hi)), covered


# ----------------------------------------------------------------------------- the issue-19 battle


def test_issue_battle_file_is_what_its_generator_makes():
    """tests/data/lanchester_square_2pct.csv is tests/lanchester_battles.py's output (provenance checkable)."""
    assert ISSUE_CSV.read_text() == issue_csv_text()


def test_issue_battle_old_fit_excludes_both_coefficients_new_default_covers_them():
    """Issue 19: a square-law battle observed with 2% multiplicative noise on every day, day 0 included. The fit
    before issue 19 (first counts exact, additive residuals) puts both true coefficients outside its 95%
    intervals; ISSUE_SEED = 3 is the first seed from 0 at which it does (seeds 0-11: it excludes beta at 9 of
    them, both at 3). The new default (initial strengths estimated, log residuals) covers both, and the truth of
    the initial strengths too."""
    day, ya, yd, add_a = issue_counts(ISSUE_SEED)
    b = ISSUE_BATTLE
    old = LF.fit_lanchester(day, ya, yd, add_a, laws=("square",), fix_initial=True, errors="additive").best
    assert not _covers(old.param("alpha"), b["alpha"]) and not _covers(old.param("beta"), b["beta"])
    for seed in range(ISSUE_SEED):
        earlier = LF.fit_lanchester(*issue_counts(seed), laws=("square",), fix_initial=True, errors="additive").best
        assert _covers(earlier.param("alpha"), b["alpha"]) or _covers(earlier.param("beta"), b["beta"])
    new = LF.fit_lanchester(day, ya, yd, add_a, laws=("square",)).best
    for name in ("alpha", "beta", "attacker0", "defender0"):
        assert _covers(new.param(name), b[name]), name
    assert new.param("sigma").ci[0] <= b["noise"] <= new.param("sigma").ci[1]


def _coverage(n: int, days: int = 36, noise: float = 0.02, intervals: str = "wald", **old) -> np.ndarray:
    """Counts of 95% intervals covering alpha, beta, A0, D0 over n issue-19 battles (seeds 1000...), shortened
    to `days` and with `noise` (log sd) on every count."""
    day, ta, td, add_a = issue_truth(days)
    b = ISSUE_BATTLE
    truth = (b["alpha"], b["beta"], b["attacker0"], b["defender0"])
    covered = np.zeros(4, int)
    for seed in range(1000, 1000 + n):
        ya, yd = noisy(ta, td, noise, np.random.default_rng(seed))
        fit = LF.fit_lanchester(day, ya, yd, add_a, laws=("square",), intervals=intervals, **old).best
        covered += [_covers(fit.param(k), t) for k, t in zip(("alpha", "beta", "attacker0", "defender0"), truth)]
    return covered


def test_default_intervals_cover_at_their_nominal_rate():
    """150 issue-19 battles: each 95% Wald interval (alpha, beta, A0, D0) covers the truth in 132 to 149 of
    them (the binomial 99.9% band for 95% coverage at N = 150)."""
    covered = _coverage(150)
    lo, hi = _binomial_band(150)
    assert np.all((lo <= covered) & (covered <= hi)), (covered, lo, hi)


def test_old_fit_undercovers_the_same_battles():
    """The same 150 battles under the fit before issue 19: its beta interval covers the truth in fewer than 102 of
    them (68%; see the module docstring for the rate), so the test above can tell a miscalibrated method from a
    calibrated one."""
    covered = _coverage(150, fix_initial=True, errors="additive")
    assert covered[1] < _binomial_band(150)[0] - 30, covered


@pytest.mark.slow
def test_default_intervals_cover_at_their_nominal_rate_1000_battles():
    """1,000 battles: coverage of each 95% interval within the binomial 99.9% band [926, 971]."""
    covered = _coverage(1000)
    lo, hi = _binomial_band(1000)
    assert np.all((lo <= covered) & (covered <= hi)), (covered, lo, hi)


@pytest.mark.slow
def test_profile_intervals_cover_at_their_nominal_rate():
    """200 battles with profile-likelihood intervals: coverage within the binomial 99.9% band [179, 198]."""
    covered = _coverage(200, intervals="profile")
    lo, hi = _binomial_band(200)
    assert np.all((lo <= covered) & (covered <= hi)), (covered, lo, hi)


@pytest.mark.slow
@pytest.mark.parametrize("intervals", ["wald", "profile"])
def test_intervals_on_a_short_noisier_record_stay_near_nominal(intervals):
    """The first 12 days only (24 counts for 5 parameters) with 5% noise, 300 battles: beta's standard error is
    about a quarter of beta here, yet both methods stay within the binomial 99.9% band [271, 296] for 95%
    coverage."""
    covered = _coverage(300, days=12, noise=0.05, intervals=intervals)
    lo, hi = _binomial_band(300)
    assert np.all((lo <= covered) & (covered <= hi)), (covered, lo, hi)


def test_profile_and_wald_intervals_agree_when_the_likelihood_is_nearly_quadratic():
    """With 0.5% noise on 36 days the log-likelihood is close to quadratic in the log parameters, so the profile
    interval (Bates & Watts 1988) and the linearised one nearly coincide (endpoints within 1%)."""
    day, ta, td, add_a = issue_truth()
    ya, yd = noisy(ta, td, 0.005, np.random.default_rng(7))
    wald = LF.fit_lanchester(day, ya, yd, add_a, laws=("square",)).best
    profile = LF.fit_lanchester(day, ya, yd, add_a, laws=("square",), intervals="profile").best
    for name in ("alpha", "beta", "attacker0", "defender0"):
        np.testing.assert_allclose(profile.param(name).ci, wald.param(name).ci, rtol=0.01, err_msg=name)
        assert profile.param(name).value == wald.param(name).value


def test_a_record_too_short_to_separate_the_coefficients_gets_unbounded_intervals():
    """Six days with 15% noise (issue-19 battle, seed 1): the best fit drives alpha to 0 (the counts cannot tell
    the attacker's fire from none), the information matrix is singular, and every interval is (0, inf) rather
    than a falsely narrow one."""
    day, ta, td, add_a = issue_truth(6)
    fit = LF.fit_lanchester(day, *noisy(ta, td, 0.15, np.random.default_rng(1)), add_a, laws=("square",)).best
    assert not fit.identifiable and fit.alpha < 1e-100
    assert all(fit.param(k).ci == (0.0, np.inf) for k in ("alpha", "beta", "attacker0", "defender0"))


# ----------------------------------------------------------------------------- likelihood and AIC


@pytest.mark.parametrize("errors, fix_initial, k", [("multiplicative", False, 5), ("additive", False, 5),
                                                    ("multiplicative", True, 3), ("additive", True, 3)])
def test_aic_is_the_likelihood_of_the_counts_with_every_estimated_parameter(errors, fix_initial, k):
    """AIC = -2 ln L + 2k, with L the density of the counts in troops (log-normal for multiplicative errors,
    normal for additive; scipy.stats at the fitted curve and sigma^2 = SSE / n) and k counting alpha, beta,
    sigma and, unless fixed, A0 and D0."""
    day, ya, yd, add_a = issue_counts(ISSUE_SEED)
    f = LF.fit_lanchester(day, ya, yd, add_a, laws=("square",), errors=errors, fix_initial=fix_initial).best
    assert f.n_params == k and len(f.estimated) == k
    first = 1 if fix_initial else 0
    y = np.r_[ya[first:], yd[first:]]
    m = np.r_[f.fitted_attacker[first:], f.fitted_defender[first:]]
    sd = np.sqrt(f.sse / y.size)
    if errors == "multiplicative":
        loglik = stats.lognorm.logpdf(y, s=sd, scale=m).sum()
    else:
        loglik = stats.norm.logpdf(y, loc=m, scale=sd).sum()
    assert f.log_likelihood == pytest.approx(loglik, rel=1e-10)
    assert f.aic == pytest.approx(-2.0 * loglik + 2 * k, rel=1e-10)


@pytest.mark.parametrize("noise", ["multiplicative", "additive"])
def test_aic_prefers_the_error_model_that_made_the_noise(noise):
    """Counts of a 10:1 battle with either 3% relative noise or 300-troop noise: the AIC (of the counts in
    troops under both error models) is lower for the error model that generated them."""
    day = np.arange(30.0)
    ta, td = solve_ivp_battle("square", day, 50_000.0, 5_000.0, 0.002, 0.05)
    rng = np.random.default_rng(4)
    if noise == "multiplicative":
        ya, yd = noisy(ta, td, 0.03, rng)
    else:
        ya, yd = ta + rng.normal(0, 300, 30), td + rng.normal(0, 300, 30)
    aic = {e: LF.fit_lanchester(day, ya, yd, laws=("square",), errors=e).best.aic for e in LF.ERRORS}
    other = "additive" if noise == "multiplicative" else "multiplicative"
    assert aic[noise] < aic[other] - 10, aic


# ----------------------------------------------------------------------------- missing counts


def test_a_side_counted_only_at_the_start_and_end_still_identifies_both_coefficients():
    """Engel's (1954) design: the attacker counted daily, the defender only on the first and last day. Without
    noise the fit recovers every parameter; with 2% noise its intervals are wider than with daily counts."""
    day, ta, td, add_a = issue_truth()
    sparse_d = np.full(day.size, np.nan)
    sparse_d[[0, -1]] = td[[0, -1]]
    fit = LF.fit_lanchester(day, ta, sparse_d, add_a, laws=("square",)).best
    b = ISSUE_BATTLE
    for name in ("alpha", "beta", "attacker0", "defender0"):
        assert fit.param(name).value == pytest.approx(b[name], rel=1e-5), name
    ya, yd = noisy(ta, td, 0.02, np.random.default_rng(11))
    ys = np.where(np.isfinite(sparse_d), yd, np.nan)
    daily = LF.fit_lanchester(day, ya, yd, add_a, laws=("square",)).best
    sparse = LF.fit_lanchester(day, ya, ys, add_a, laws=("square",)).best
    assert sparse.n_obs == day.size + 2
    assert sparse.alpha_ci[1] / sparse.alpha_ci[0] > daily.alpha_ci[1] / daily.alpha_ci[0]


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("kwargs, words", [
    ({"day": [0, 1], "attacker": [10, 9], "defender": [10, 9]}, "needs at least 5"),
    ({"day": [0, 2, 1], "attacker": [10, 9, 8], "defender": [10, 9, 8]}, "strictly increasing"),
    ({"day": [0, 1, 2, 3], "attacker": [10, 9, 0, 7], "defender": [10, 9, 8, 7]}, "must be > 0"),
    ({"day": [0, 1, 2], "attacker": [np.nan, 9, 8], "defender": [10, 9, 8], "fix_initial": True}, "first day"),
    ({"day": [0, 1, 2], "attacker": [np.nan] * 3, "defender": [10, 9, 8]}, "no attacker count"),
    ({"day": [0, 1, 2], "attacker": [10, 9, 8], "defender": [10, 9, 8], "errors": "poisson"}, "errors must be"),
])
def test_fit_rejects_bad_input(kwargs, words):
    with pytest.raises(ValueError, match=words):
        LF.fit_lanchester(**kwargs)


def test_zero_counts_are_fine_with_additive_errors():
    day = np.arange(8.0)
    ta, td = solve_ivp_battle("square", day, 1000.0, 600.0, 0.02, 0.02)
    td[-1] = 0.0
    fit = LF.fit_lanchester(day, ta, td, laws=("square",), errors="additive")
    assert fit.best.converged
