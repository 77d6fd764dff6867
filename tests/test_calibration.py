"""model/calibration.py: scoring rules against closed forms and brute force, the grouped splitter, coefficient
draws, the penalised fit's stationarity, and the estimator shape."""

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import special

from model import calibration as cal
from model import guarantees as gm
from model.stats import wilson_interval


def test_old_imports_from_model_guarantees_still_work():
    assert gm.fit_binary_response is cal.fit_binary_response and gm.BinaryFit is cal.BinaryFit
    assert gm.auc_score is cal.auc_score and gm.separation_check is cal.separation_check
    assert gm.LOGIT_PROBIT_SCALE == cal.LOGIT_PROBIT_SCALE


# ------------------------------------------------------------------------------------------ scores


@given(st.floats(0.01, 0.99), st.integers(1, 40), st.integers(0, 40))
def test_constant_forecast_scores_have_their_closed_forms(c, n_pos, n_neg):
    """A forecast c for every case: Brier = ybar (1 - c)^2 + (1 - ybar) c^2 and log loss
    -(ybar ln c + (1 - ybar) ln(1 - c)); both minimised at c = ybar (proper scoring rules)."""
    y = np.r_[np.ones(n_pos), np.zeros(n_neg)]
    ybar = y.mean()
    p = np.full(len(y), c)
    assert cal.brier_score(p, y) == pytest.approx(ybar * (1 - c) ** 2 + (1 - ybar) * c**2)
    assert cal.log_loss(p, y) == pytest.approx(-(ybar * np.log(c) + (1 - ybar) * np.log(1 - c)))
    assert cal.brier_score(np.full(len(y), ybar), y) <= cal.brier_score(p, y) + 1e-12


def test_log_loss_of_a_certain_wrong_forecast_is_large_but_finite():
    assert cal.log_loss([0.0, 1.0], [1.0, 0.0]) == pytest.approx(-np.log(cal.LOG_LOSS_CLIP), rel=1e-4)  # 1 - (1 - 1e-15) is not exactly 1e-15


@given(st.lists(st.tuples(st.integers(0, 5), st.booleans()), min_size=2, max_size=30))
def test_auc_equals_the_brute_force_pair_count(cases):
    """AUC = P(p_pos > p_neg) + P(tie)/2 over all (positive, negative) pairs (ties from coarse scores)."""
    scores = np.array([s / 5 for s, _ in cases])
    y = np.array([float(b) for _, b in cases])
    pos, neg = scores[y == 1], scores[y == 0]
    if len(pos) == 0 or len(neg) == 0:
        assert np.isnan(cal.auc_score(scores, y)) and cal.auc_undefined_reason(y)
        return
    pairs = [(a > b) + 0.5 * (a == b) for a, b in itertools.product(pos, neg)]
    assert cal.auc_score(scores, y) == pytest.approx(np.mean(pairs))


def test_auc_of_a_hand_example():
    # pairs (pos, neg): 0.9>0.1, 0.9>0.4, 0.35<0.4, 0.35>0.1 -> 3 of 4
    assert cal.auc_score([0.9, 0.35, 0.1, 0.4], [1, 1, 0, 0]) == pytest.approx(0.75)


def test_scores_with_one_outcome_class_say_why_the_auc_is_undefined():
    s = cal.binary_scores([0.2, 0.7, 0.9], [1.0, 1.0, 1.0])
    assert np.isnan(s.auc) and "all 3 cases have outcome 1" in s.auc_note
    assert s.as_dict()["auc"] is None and "auc_undefined" in s.as_dict()
    assert s.brier == pytest.approx(np.mean([0.64, 0.09, 0.01]))


def test_bad_scores_input_is_refused():
    with pytest.raises(ValueError):
        cal.brier_score([0.5, 1.2], [0, 1])
    with pytest.raises(ValueError):
        cal.brier_score([0.5, 0.5], [0, 2])


def test_reliability_bins_count_every_case_and_match_a_hand_count():
    p = np.array([0.0, 0.05, 0.1, 0.15, 0.55, 0.6, 0.95, 1.0])
    y = np.array([0, 0, 1, 0, 1, 0, 1, 1.0])
    bins = cal.reliability_bins(p, y, n_bins=4)
    # (0, 0.25]: 0, .05, .1, .15 (0 goes to the first bin); (0.5, 0.75]: .55, .6; (0.75, 1]: .95, 1
    assert bins.count.tolist() == [4, 0, 2, 2] and bins.count.sum() == len(p)
    assert bins.observed[0] == pytest.approx(0.25) and bins.mean_predicted[2] == pytest.approx(0.575)
    assert np.isnan(bins.observed[1]) and np.isnan(bins.observed_lo[1])
    lo, hi = wilson_interval(0.25, 4)
    assert (bins.observed_lo[0], bins.observed_hi[0]) == pytest.approx((lo, hi))


def test_rate_is_k_over_n_with_the_wilson_interval_and_nan_for_an_empty_class():
    p, lo, hi = cal.rate(4, 20)
    assert p == 0.2 and (lo, hi) == pytest.approx(wilson_interval(0.2, 20))
    # Newcombe (1998, Statistics in Medicine 17:857-872), Table II, method 3 (Wilson score, no continuity
    # correction): 81/263 -> 0.2553-0.3662, 15/148 -> 0.0624-0.1605
    assert cal.rate(81, 263)[1:] == pytest.approx((0.2553, 0.3662), abs=6e-5)
    assert cal.rate(15, 148)[1:] == pytest.approx((0.0624, 0.1605), abs=6e-5)
    assert np.isnan(cal.rate(0, 0)[0])


def test_paired_difference_with_one_case_per_group_is_the_iid_standard_error():
    rng = np.random.default_rng(1)
    a, b = rng.uniform(size=30), rng.uniform(size=30)
    d = cal.paired_difference(a, b, np.arange(30))
    assert d.mean == pytest.approx(np.mean(a - b))
    assert d.se == pytest.approx(np.std(a - b, ddof=1) / np.sqrt(30))


def test_clustered_standard_error_does_not_shrink_when_a_group_is_copied():
    """Two copies of every case in the same war carry no new information: the clustered s.e. is unchanged
    (an i.i.d. s.e. would fall by sqrt 2)."""
    rng = np.random.default_rng(2)
    a, b, g = rng.uniform(size=20), rng.uniform(size=20), np.arange(20)
    once = cal.paired_difference(a, b, g)
    twice = cal.paired_difference(np.r_[a, a], np.r_[b, b], np.r_[g, g])
    assert twice.se == pytest.approx(once.se)


# ------------------------------------------------------------------------------------------ folds


@given(st.lists(st.integers(0, 12), min_size=6, max_size=80), st.integers(2, 5), st.integers(0, 3))
def test_grouped_folds_keep_every_group_whole_and_are_deterministic(groups, k, seed):
    groups = np.array(groups)
    if len(np.unique(groups)) < k:
        with pytest.raises(ValueError, match="need at least"):
            cal.grouped_folds(groups, k, seed)
        return
    fold = cal.grouped_folds(groups, k, seed)
    assert np.array_equal(fold, cal.grouped_folds(groups, k, seed))
    assert set(fold.tolist()) == set(range(k))  # no empty fold
    for g in np.unique(groups):
        assert len(set(fold[groups == g].tolist())) == 1


def test_grouped_folds_balance_sizes_as_far_as_the_groups_allow():
    groups = np.repeat(np.arange(10), [40, 1, 1, 1, 1, 1, 1, 1, 1, 1])
    sizes = np.bincount(cal.grouped_folds(groups, 3, 0))
    assert sorted(sizes.tolist()) == [4, 5, 40]


def test_the_seed_reorders_groups_of_equal_size():
    groups = np.arange(40)
    assert not np.array_equal(cal.grouped_folds(groups, 4, 0), cal.grouped_folds(groups, 4, 1))


# ------------------------------------------------------------------------------------------ fits and draws


def test_ridge_estimate_solves_the_penalised_score_equation():
    """At the ridge optimum X'(y - p) = ridge * b on the slopes and 0 on the intercept (stationarity)."""
    rng = np.random.default_rng(3)
    x = rng.integers(0, 2, size=(120, 3)).astype(float)
    y = (rng.uniform(size=120) < special.expit(0.3 + x @ np.array([1.0, -0.8, 0.2]))).astype(float)
    fit = cal.BinaryResponse("logit", "ridge", 2.0).fit(x, y, ["a", "b", "c"])
    design = np.column_stack([np.ones(120), x])
    score = design.T @ (y - special.expit(design @ fit.coef))
    np.testing.assert_allclose(score, np.r_[0.0, 2.0 * fit.coef[1:]], atol=1e-5)
    np.testing.assert_allclose(np.sqrt(np.diag(fit.covariance)), fit.se)


def test_estimator_fits_on_one_table_and_predicts_another():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(300, 2))
    y = (rng.uniform(size=300) < special.ndtr(-0.2 + x @ np.array([0.8, -0.5]))).astype(float)
    fit = cal.BinaryResponse("probit", "none").fit(x[:200], y[:200], ["u", "v"])
    assert fit.coef.shape == (3,) and fit.covariance.shape == (3, 3) and fit.feature_names == ("intercept", "u", "v")
    p = fit.predict(x[200:])
    np.testing.assert_allclose(p, special.ndtr(fit.coef[0] + x[200:] @ fit.coef[1:]))
    # per-trial coefficients (n, k + 1) against one feature row (k,)
    draws = fit.draw(rng.normal(size=(5, 3)))
    np.testing.assert_allclose(cal.linear_predictor(draws, x[0]), draws[:, 0] + draws[:, 1:] @ x[0])


def test_coefficient_draws_have_the_fits_mean_and_covariance():
    coef = np.array([0.5, -1.0, 2.0])
    cov = np.array([[0.4, 0.1, -0.05], [0.1, 0.3, 0.02], [-0.05, 0.02, 0.2]])
    z = np.random.default_rng(5).standard_normal((400_000, 3))
    b = cal.draw_coefficients(coef, cov, z)
    np.testing.assert_allclose(b.mean(axis=0), coef, atol=4 * np.sqrt(np.diag(cov) / 400_000).max())
    np.testing.assert_allclose(np.cov(b.T), cov, atol=0.004)


def test_draws_from_a_singular_covariance_stay_in_its_span():
    cov = np.array([[1.0, 1.0], [1.0, 1.0]])  # rank 1: b1 - b0 never moves
    b = cal.draw_coefficients([0.0, 0.3], cov, np.random.default_rng(6).standard_normal((1000, 2)))
    np.testing.assert_allclose(b[:, 1] - b[:, 0], 0.3, atol=1e-9)
    with pytest.raises(ValueError, match="not finite"):
        cal.draw_coefficients([0.0], [[np.inf]], [[0.1]])


def test_record_index_is_the_class_linear_predictor_per_trial_and_guarantor():
    rng = np.random.default_rng(8)
    coef = rng.normal(size=(6, 4))  # 6 trials, intercept + 3 class covariates
    classes = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.5]])  # 2 guarantors
    eta = gm.record_index(coef, classes)
    expected = np.array([[c[0] + c[1:] @ x for x in classes] for c in coef])
    np.testing.assert_allclose(eta, expected)
    per_trial = np.broadcast_to(classes, (6, 2, 3))
    np.testing.assert_allclose(gm.record_index(coef, per_trial), expected)
    with pytest.raises(ValueError):
        gm.record_index(coef, np.ones((2, 4)))
