"""model/survival.py: survival models of peace, checked against hand computations, closed forms and a second
code path of lifelines (its own Weibull fitter, its own robust variance)."""

import time
from pathlib import Path

import numpy as np
import pytest

from model import survival as sv
from scenarios.reference import read_spells

ROOT = Path(__file__).resolve().parent.parent
UCDP = ROOT / "configs/reference/peace_agreements_ucdp_v22.1_1975_2011.csv"


@pytest.fixture(scope="module")
def ucdp():
    return read_spells(UCDP)


@pytest.fixture(scope="module")
def fitted(ucdp):
    names = ("peacekeeping", "commission")  # the default UCDP reference model (scenarios/durability.py)
    return sv.fit_survival(ucdp.durations, ucdp.events, ucdp.design(names), names, groups=ucdp.groups)


def product_limit(t, e, at):
    """Kaplan & Meier (1958) by hand: S(x) = prod over event times t_j <= x of (1 - d_j / n_j)."""
    out = []
    for x in at:
        s = 1.0
        for tj in np.unique(t[e & (t <= x)]):
            s *= 1.0 - np.sum(e & (t == tj)) / np.sum(t >= tj)
        out.append(s)
    return np.array(out)


def test_kaplan_meier_on_the_shipped_file_equals_a_hand_product_limit(ucdp):
    km = sv.kaplan_meier(ucdp.durations, ucdp.events)
    years = [0.5, 1, 2, 5, 10, 20]
    assert km.at(years)[0] == pytest.approx(product_limit(ucdp.durations, ucdp.events, years), abs=1e-12)
    # the shared data README's figures for this file: about 77%, 72%, 66% and 62% at 1, 2, 5 and 10 years
    assert np.round(km.at([1, 2, 5, 10])[0], 2) == pytest.approx([0.77, 0.72, 0.66, 0.62])
    s, lo, hi = km.at(years)
    assert np.all(lo <= s) and np.all(s <= hi)


def test_greenwood_interval_matches_a_hand_log_log_computation():
    t = np.array([1.0, 2, 2, 3, 4, 5, 6, 7, 8, 9])
    e = np.array([1, 1, 0, 1, 0, 1, 1, 0, 1, 0], dtype=bool)
    km = sv.kaplan_meier(t, e)
    s_hand = product_limit(t, e, [5.5])[0]
    var_sum = sum(np.sum(e & (t == tj)) / (np.sum(t >= tj) * (np.sum(t >= tj) - np.sum(e & (t == tj))))
                  for tj in np.unique(t[e & (t <= 5.5)]))
    # Kalbfleisch & Prentice (1980): the interval of log(-log S) with sd sqrt(var_sum) / |log S|
    z = 1.959963984540054
    sd = np.sqrt(var_sum) / abs(np.log(s_hand))
    lo, hi = s_hand ** np.exp(z * sd), s_hand ** np.exp(-z * sd)
    s, klo, khi = km.at([5.5])
    assert (s[0], klo[0], khi[0]) == pytest.approx((s_hand, lo, hi), rel=1e-9)


def test_piecewise_rates_without_covariates_are_events_over_exposure(ucdp):
    """The piecewise-exponential MLE (Friedman 1982): rate_j = d_j / (time at risk in interval j)."""
    model = sv.fit_survival(ucdp.durations, ucdp.events, np.zeros((ucdp.n, 0)), (), breakpoints=(1, 2, 5))
    starts = np.array(model.breakpoints)
    ends = np.append(starts[1:], np.inf)
    t, e = ucdp.durations, ucdp.events
    for j, (a, b) in enumerate(zip(starts, ends)):
        exposure = np.clip(t - a, 0, b - a).sum()
        d = np.sum(e & (t >= a) & (t < b))
        assert model.baseline_rates()[0][j] == pytest.approx(d / exposure, rel=1e-4)


def test_a_heavy_penalty_shrinks_the_provisions_but_never_the_baseline(ucdp):
    names = ("ceasefire", "full", "commission")
    heavy = sv.fit_survival(ucdp.durations, ucdp.events, ucdp.design(names), names, breakpoints=(1, 2, 5),
                            penalizer=1e4)
    bare = sv.fit_survival(ucdp.durations, ucdp.events, np.zeros((ucdp.n, 0)), (), breakpoints=(1, 2, 5))
    assert np.abs(heavy.coef[: heavy.p]).max() < 1e-3
    assert heavy.coef[heavy.p:] == pytest.approx(bare.coef, abs=1e-3)


def test_weibull_without_covariates_agrees_with_lifelines_own_weibull_fitter(ucdp):
    from lifelines import WeibullFitter

    ours = sv.fit_survival(ucdp.durations, ucdp.events, np.zeros((ucdp.n, 0)), (), baseline="weibull")
    theirs = WeibullFitter().fit(ucdp.durations, ucdp.events)
    assert ours.shape()[0] == pytest.approx(theirs.rho_, rel=1e-3)
    assert np.exp(ours.coef[0]) == pytest.approx(theirs.lambda_, rel=1e-3)
    # the record's shape: the risk falls with time (Fortna 2003, 2004): rho < 1 with its whole interval
    assert ours.shape()[2] < 1


def test_robust_covariance_with_one_case_per_cluster_is_lifelines_sandwich(ucdp):
    """With each case its own cluster the sandwich is Huber's; lifelines computes it by its own code (robust=True),
    without the G / (G - 1) small-sample factor."""
    import pandas as pd
    from lifelines import WeibullAFTFitter

    names = ("full", "commission")
    part = ucdp.subset(np.arange(ucdp.n) < 150)  # lifelines' sandwich loops over rows in Python: keep it short
    ours = sv.fit_survival(part.durations, part.events, part.design(names), names, baseline="weibull",
                           penalizer=0.0)
    frame = pd.DataFrame(part.design(names), columns=list(names))
    frame["T"], frame["E"] = part.durations, part.events.astype(int)
    aft = WeibullAFTFitter().fit(frame, "T", "E", robust=True)
    # AFT -> PH: beta_PH = -rho beta_AFT; log_rho is shared. Compare log_rho's robust s.e. (invariant)
    m = part.n
    assert ours.se[-1] * np.sqrt((m - 1) / m) == pytest.approx(float(aft.standard_errors_[("rho_", "Intercept")]),
                                                               rel=2e-3)
    rho = ours.shape()[0]
    assert ours.coef[:2] == pytest.approx(-rho * aft.params_["lambda_"][list(names)].to_numpy(), rel=2e-3)


def test_clustering_by_conflict_widens_the_intervals(ucdp, fitted):
    names = ("peacekeeping", "commission")
    plain = sv.fit_survival(ucdp.durations, ucdp.events, ucdp.design(names), names)
    clustered = fitted
    assert clustered.coef == pytest.approx(plain.coef)
    assert np.all(clustered.se[plain.p:] > plain.se[plain.p:])  # agreements of one conflict fail together


def test_yearly_hazard_is_the_discrete_hazard_of_the_survival_curve(fitted):
    model = fitted
    design = np.array([[0.0, 0.0], [1.0, 1.0], [0.5, 0.0]])
    h = sv.yearly_hazard(model, design, None, 10)
    s = model.survival(design, np.arange(11.0))
    assert h.shape == (3, 10)
    assert h == pytest.approx(1 - s[:, 1:] / s[:, :-1], rel=1e-12)
    # a constant rate r over year 1 gives 1 - exp(-r exp(beta x)) (closed form)
    rate0 = model.baseline_rates()[0][0]
    assert h[0, 0] == pytest.approx(1 - np.exp(-rate0))
    assert h[1, 0] == pytest.approx(1 - np.exp(-rate0 * np.exp(model.coef[:2].sum())))
    # highest early, falling after (Fortna 2003, 2004; the record's piecewise rates)
    assert np.all(np.diff(h[0, [0, 1, 2, 5]]) < 0)
    # the hazard ratio exp(beta . x) moves the hazard the same way in every year
    assert np.all(np.sign(h[1] - h[0]) == np.sign(model.coef[:2].sum()))


def test_drawn_coefficients_have_the_fits_covariance(fitted):
    model = fitted
    low = model.chol()
    assert low @ low.T == pytest.approx(model.cov, abs=1e-12)
    z = np.zeros((2, len(model.coef)))
    z[1, 0] = 1.0
    theta = sv.draw_coefficients(model, z)
    assert theta[0] == pytest.approx(model.coef)
    assert theta[1] - model.coef == pytest.approx(low[:, 0])
    with pytest.raises(ValueError):
        sv.draw_coefficients(model, np.zeros((3, 2)))


def test_a_chunk_of_50000_trials_takes_milliseconds(fitted):
    model = fitted
    rng = np.random.default_rng(0)
    n = 50_000
    x = sv.provision_design(model, {"full_agreement": rng.uniform(size=n), "implementation_commission": 1.0}, n)
    z = rng.standard_normal((n, len(model.coef)))
    best = np.inf
    for _ in range(3):
        start = time.perf_counter()
        h = sv.yearly_hazard(model, x, sv.draw_coefficients(model, z), 20)
        best = min(best, time.perf_counter() - start)
    assert h.shape == (n, 20) and np.all((h >= 0) & (h <= 1))
    assert best < 0.25  # ~20 ms on the 2-core build machine; generous for a loaded one


def test_provision_design_maps_names_to_covariates(ucdp):
    names = ("ceasefire", "peacekeeping", "withdrawal", "commission")
    model = sv.fit_survival(ucdp.durations, ucdp.events, ucdp.design(names), names)
    x = sv.provision_design(model, {"peacekeepers": np.array([0.0, 1.0, 0.2]), "guarantor_troops": 0.5,
                                    "demilitarised_zone": 1.0, "decisive_victory": 1.0}, 3)
    assert x[:, 1] == pytest.approx([0.5, 1.0, 0.5])  # two names of one covariate combine by their maximum
    # a demilitarised zone is not coded by UCDP: no proxy (withd is the withdrawal of FOREIGN forces)
    assert x[:, 2] == pytest.approx([0.0, 0.0, 0.0])
    assert x[:, 0] == pytest.approx([0.0, 0.0, 0.0]) and x[:, 3] == pytest.approx([0, 0, 0])
    assert sv.unused_provisions(model, {"decisive_victory": 1, "ceasefire": 1, "demilitarised_zone": 1,
                                        "third_party_guarantors": 1}) == ["decisive_victory", "demilitarised_zone",
                                                                         "third_party_guarantors"]
    with pytest.raises(ValueError, match="unknown provision"):
        sv.provision_design(model, {"dmz": 1.0}, 3)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        sv.provision_design(model, {"ceasefire": 1.5}, 3)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):  # checked even where the record is silent
        sv.provision_design(model, {"demilitarised_zone": 2.0}, 3)


def test_each_provision_says_whether_the_record_identifies_its_effect():
    """The map states for each provision whether the record codes it: a provision the record does not code has
    no covariate (no effect from the record, never a proxy), and every covariate it names is one a reader codes;
    the guarantee force is not called foreign_troops (the coalition dimension of that name means the opposite)."""
    from scenarios.reference import COW_COVARIATES, UCDP_COVARIATES

    assert "foreign_troops" not in sv.PROVISIONS and "guarantor_troops" in sv.PROVISIONS
    for name, p in sv.PROVISIONS.items():
        assert p.identifies in ("yes", "partly", "no"), name
        assert (p.covariate is None) == (p.identifies == "no"), name
        assert p.covariate is None or p.covariate in {**UCDP_COVARIATES, **COW_COVARIATES}, name
    assert sv.PROVISIONS["demilitarised_zone"].covariate is None
    assert sv.PROVISIONS["third_party_guarantors"].covariate is None
    assert sv.PROVISIONS["guarantor_troops"].identifies == "partly"


def test_the_unpenalised_fit_is_the_mle_and_its_covariance_the_cluster_sandwich(ucdp, fitted):
    """What the settlement draws from is honest for what is estimated: at the unpenalised estimate the summed
    scores vanish (a ridge-shrunk estimate would leave them at penalizer x sd^2 x beta), and the covariance is
    G / (G - 1) H^-1 B H^-1 with H the observed information, here by central differences of the analytic
    scores (checked against the log-likelihood below), and B the outer product of the per-conflict score sums."""
    model = fitted
    x = ucdp.design(model.covariates)
    args = (ucdp.durations, ucdp.events, x, model.breakpoints)
    _, scores = sv.log_likelihood_terms("piecewise", model.coef, *args)
    assert np.abs(scores.sum(axis=0)).max() < 1e-2  # lifelines' tolerance is on the mean log-likelihood
    q, step = len(model.coef), 1e-5
    hess = np.empty((q, q))
    for k in range(q):
        up, down = model.coef.copy(), model.coef.copy()
        up[k] += step
        down[k] -= step
        hess[:, k] = (sv.log_likelihood_terms("piecewise", up, *args)[1].sum(axis=0)
                      - sv.log_likelihood_terms("piecewise", down, *args)[1].sum(axis=0)) / (2 * step)
    inv = np.linalg.inv(-hess)
    groups = np.unique(ucdp.groups, return_inverse=True)[1]
    summed = np.zeros((groups.max() + 1, q))
    np.add.at(summed, groups, scores)
    g = summed.shape[0]
    sandwich = g / (g - 1) * inv @ (summed.T @ summed) @ inv
    assert model.cov == pytest.approx(sandwich, rel=2e-3, abs=1e-8)
    # a ridge penalty shrinks the estimate and narrows the sandwich: not the uncertainty of the effect
    ridge = sv.fit_survival(ucdp.durations, ucdp.events, x, model.covariates, penalizer=0.1, groups=ucdp.groups)
    assert np.all(np.abs(ridge.coef[:2]) < np.abs(model.coef[:2]))
    assert np.all(ridge.se[:2] < model.se[:2])
    _, ridge_scores = sv.log_likelihood_terms("piecewise", ridge.coef, *args)
    assert np.abs(ridge_scores.sum(axis=0)[:2]).max() > 0.5


def test_brier_without_censoring_is_the_mean_squared_error():
    t = np.array([0.5, 1.5, 2.5, 3.5, 4.5])
    e = np.ones(5, dtype=bool)
    s = np.array([0.1, 0.4, 0.6, 0.8, 0.9])
    alive = (t > 2.0).astype(float)
    assert sv.brier_ipcw(t, e, s, 2.0) == pytest.approx(np.mean((alive - s) ** 2))


def test_brier_ipcw_matches_graf_by_hand():
    """Graf et al. (1999) by hand: censoring KM G(t) = 1 until 1.0, 4/5 after (one of five censored at 1.0)."""
    t = np.array([0.5, 1.0, 1.5, 2.5, 3.0])
    e = np.array([True, False, True, False, True])
    s = np.array([0.2, 0.7, 0.5, 0.6, 0.9])
    # censoring times: 1.0 (at risk 4 after the event at 0.5) -> G = 3/4 after 1.0; 2.5 (at risk 2) -> G = 3/8
    g_before_15 = 0.75
    expected = (s[0] ** 2 / 1.0 + s[2] ** 2 / g_before_15 + (1 - s[3]) ** 2 / g_before_15
                + (1 - s[4]) ** 2 / g_before_15) / 5
    assert sv.brier_ipcw(t, e, s, 2.0) == pytest.approx(expected)


def test_brier_ipcw_with_censoring_tied_to_an_event_and_to_the_horizon():
    """Graf et al. (1999) at ties, by hand: an event and a censoring both at 2.0, a censoring at 3.0.
    Censoring Kaplan-Meier G (events at a tie count as still at risk of censoring, as in Kaplan & Meier's
    convention of censoring after events): G = 1 before 2, 3/4 from 2 (one of four at risk censored), 3/8 from 3.
    The case that ended at 2.0 weighs 1 / G(2-) = 1, not 1 / G(2) = 4/3; a case followed past the horizon weighs
    1 / G(horizon) with G right-continuous: at horizon 3.0 the censoring at 3.0 counts (1 / (3/8))."""
    t = np.array([1.0, 2.0, 2.0, 3.0, 4.0])
    e = np.array([True, True, False, False, True])
    s = np.array([0.2, 0.3, 0.5, 0.6, 0.9])
    at_25 = (s[0] ** 2 / 1.0 + s[1] ** 2 / 1.0 + (1 - s[3]) ** 2 / 0.75 + (1 - s[4]) ** 2 / 0.75) / 5
    assert sv.brier_ipcw(t, e, s, 2.5) == pytest.approx(at_25)
    at_3 = (s[0] ** 2 + s[1] ** 2 + (1 - s[4]) ** 2 / 0.375) / 5  # censored at 3.0: status unknown at 3.0
    assert sv.brier_ipcw(t, e, s, 3.0) == pytest.approx(at_3)
    w, _ = sv.ipcw_weights(t, e, 2.0)  # the horizon on the tie: the event counts (T <= t), G(2) = 3/4 for none
    assert w == pytest.approx([1.0, 1.0, 0.0, 4 / 3, 4 / 3])


def test_concordance_of_a_perfect_and_a_reversed_ranking():
    t = np.array([1.0, 2.0, 3.0, 4.0])
    e = np.ones(4, dtype=bool)
    assert sv.concordance(t, e, t / 10) == pytest.approx(1.0)
    assert sv.concordance(t, e, -t) == pytest.approx(0.0)


def test_breakpoints_merge_until_each_interval_has_events():
    t = np.array([0.2, 0.3, 0.5, 1.5, 3.0, 4.0, 6.0, 12.0])
    e = np.array([1, 1, 1, 1, 1, 1, 0, 0], dtype=bool)
    assert sv.merge_breakpoints(t, e, (1, 2, 5, 10), min_events=3) == (0.0, 1.0)
    assert sv.merge_breakpoints(t, e, (1, 2, 5, 10), min_events=1) == (0.0, 1.0, 2.0)


@pytest.mark.parametrize("baseline", ["piecewise", "weibull"])
def test_scores_are_the_gradient_of_the_log_likelihood(ucdp, baseline):
    """The robust covariance's scores against central finite differences of the per-case log-likelihood."""
    names = ("full", "commission")
    x = ucdp.design(names)
    starts = (0.0, 1.0, 2.0, 5.0) if baseline == "piecewise" else ()
    theta = np.array([-0.4, 0.3, -1.5, -2.8, -3.6, -5.7]) if baseline == "piecewise" else np.array([-0.4, 0.3, 5.0, -1.0])
    _, scores = sv.log_likelihood_terms(baseline, theta, ucdp.durations, ucdp.events, x, starts)
    step = 1e-6
    for k in range(theta.size):
        up, down = theta.copy(), theta.copy()
        up[k] += step
        down[k] -= step
        numeric = (sv.log_likelihood_terms(baseline, up, ucdp.durations, ucdp.events, x, starts)[0]
                   - sv.log_likelihood_terms(baseline, down, ucdp.durations, ucdp.events, x, starts)[0]) / (2 * step)
        assert scores[:, k] == pytest.approx(numeric, rel=1e-5, abs=1e-7)
