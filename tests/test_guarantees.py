"""Tests for model/guarantees.py: invariants, closed forms, published numbers, and the reference table."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats

from model import guarantees as gm

SETTINGS = settings(max_examples=50, deadline=None)
REFERENCE_CSV = Path(__file__).resolve().parents[1] / "configs" / "reference" / "guarantees.csv"

unit = st.floats(0.0, 1.0)
scale2 = st.floats(0.0, 2.0)
probability = st.floats(0.0, 1.0)
open_probability = st.floats(1e-6, 1.0 - 1e-6)
rho_values = st.floats(0.0, 1.0)


def _mvn_orthant(z: np.ndarray, rho: float) -> float:
    """P(all X_g <= z_g), equicorrelated standard normals, by scipy's own integrator (tight tolerance)."""
    g = len(z)
    cov = np.full((g, g), rho)
    np.fill_diagonal(cov, 1.0)
    return float(
        stats.multivariate_normal.cdf(
            z, np.zeros(g), cov, abseps=1e-10, releps=1e-10, rng=np.random.default_rng(0)
        )
    )


# --------------------------------------------------------------------------------------------------------
# One guarantor: monotonicity and range


@pytest.mark.parametrize("feature", ["stake", "binding", "tripwire", "automatic"])
@SETTINGS
@given(
    stake=scale2,
    cost=scale2,
    binding=unit,
    tripwire=unit,
    automatic=unit,
    audience=st.floats(0.0, 3.0),
    tau=st.floats(0.0, 3.0),
    alpha=st.floats(0.0, 3.0),
    sigma=st.floats(0.2, 3.0),
    increase=st.floats(0.0, 1.0),
)
def test_raising_a_commitment_feature_never_lowers_p_honour(feature, increase, **params):
    before = gm.honour_probability(**params)
    params[feature] = params[feature] + increase
    after = gm.honour_probability(**params)
    assert np.all(after >= before - 1e-15)


@SETTINGS
@given(
    stake=scale2,
    cost=scale2,
    binding=unit,
    tripwire=unit,
    automatic=unit,
    sigma=st.floats(0.2, 3.0),
    increase=st.floats(0.0, 2.0),
)
def test_raising_cost_never_raises_p_honour(stake, cost, binding, tripwire, automatic, sigma, increase):
    before = gm.honour_probability(stake, cost, binding, tripwire, automatic, sigma=sigma)
    after = gm.honour_probability(stake, cost + increase, binding, tripwire, automatic, sigma=sigma)
    assert np.all(after <= before + 1e-15)


def test_more_binding_never_lowers_credibility_across_a_grid():
    binding = np.linspace(0.0, 1.0, 101)
    p = gm.honour_probability(stake=1.0, cost=1.5, binding=binding[:, None])[:, 0]
    assert np.all(np.diff(p) > 0)


def test_p_honour_is_the_probit_of_the_summed_terms():
    terms = gm.honour_utility_terms(
        stake=[0.5, 1.5], cost=1.5, binding=[0.2, 0.9], tripwire=[0, 1], automatic=[0, 0.5], baseline=0.1
    )
    parts = sum(terms[k] for k in ("baseline", "stake", "audience_binding", "tripwire", "automatic", "cost"))
    np.testing.assert_allclose(parts, terms["mean_utility"])
    # by hand: 0.1 + 0.5 + 1.0 * 0.2 + 0 + 0 - 1.5 = -0.7;  0.1 + 1.5 + 0.9 + 1.5 + 0.25 - 1.5 = 2.75
    np.testing.assert_allclose(terms["mean_utility"], [[-0.7, 2.75]])
    p = gm.honour_probability(
        stake=[0.5, 1.5],
        cost=1.5,
        binding=[0.2, 0.9],
        tripwire=[0, 1],
        automatic=[0, 0.5],
        baseline=0.1,
        sigma=2.0,
    )
    np.testing.assert_allclose(p, special.ndtr(np.array([[-0.7, 2.75]]) / 2.0))


def test_non_positive_sigma_is_rejected():
    with pytest.raises(ValueError):
        gm.honour_probability(stake=1.0, cost=1.0, binding=0.5, sigma=0.0)


# --------------------------------------------------------------------------------------------------------
# Several guarantors


@SETTINGS
@given(
    p=st.lists(probability, min_size=1, max_size=4),
    rho=rho_values,
    capability=st.lists(unit, min_size=4, max_size=4),
)
def test_probabilities_stay_in_unit_interval_and_subsets_sum_to_one(p, rho, capability):
    joint = gm.joint_honour(np.array([p]), rho, np.array(capability[: len(p)]))
    for value in (joint.p_any, joint.p_all, joint.expected_response, joint.p_subsets, joint.p_number):
        assert np.all((value >= -1e-12) & (value <= 1 + 1e-12))
    np.testing.assert_allclose(joint.p_subsets.sum(axis=1), 1.0, atol=1e-9)
    np.testing.assert_allclose(joint.p_number.sum(axis=1), 1.0, atol=1e-9)


@SETTINGS
@given(p=st.lists(probability, min_size=1, max_size=4), rho=rho_values)
def test_p_any_at_least_max_single_at_least_p_all(p, rho):
    joint = gm.joint_honour(np.array([p]), rho)
    assert joint.p_any[0] >= max(p) - 1e-9
    assert max(p) >= min(p) >= joint.p_all[0] - 1e-9


@SETTINGS
@given(p=st.lists(open_probability, min_size=2, max_size=4))
def test_rho_zero_matches_independent_products(p):
    p = np.array(p)
    joint = gm.joint_honour(p[None, :], 0.0)
    np.testing.assert_allclose(joint.p_all, np.prod(p), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(joint.p_any, 1.0 - np.prod(1.0 - p), rtol=1e-12, atol=1e-15)


@SETTINGS
@given(p=st.lists(open_probability, min_size=2, max_size=4))
def test_rho_one_matches_min_and_max(p):
    p = np.array(p)
    joint = gm.joint_honour(p[None, :], 1.0)
    np.testing.assert_allclose(joint.p_all, p.min(), atol=1e-12)
    np.testing.assert_allclose(joint.p_any, p.max(), atol=1e-12)


@pytest.mark.parametrize(
    "z, rho",
    [
        ([0.3, -0.5], 0.3),
        ([1.5, 2.0], 0.6),
        ([-1.2, 0.4], 0.9),
        ([0.0, 0.0], 0.99),
    ],
)
def test_two_guarantors_match_scipy_multivariate_normal(z, rho):
    z = np.array(z)
    joint = gm.joint_honour(special.ndtr(z)[None, :], rho)
    assert joint.p_all[0] == pytest.approx(_mvn_orthant(z, rho), abs=1e-8)
    assert 1.0 - joint.p_any[0] == pytest.approx(_mvn_orthant(-z, rho), abs=1e-8)


@pytest.mark.parametrize(
    "z, rho, tolerance",
    [
        ([-1.0, 0.2, 0.8], 0.3, 1e-7),
        ([0.5, 1.0, 1.5, -0.3], 0.6, 1e-7),
        ([-1.0, 0.2, 0.8], 0.9, 1e-5),
        ([2.0, 2.5, 1.8], 0.95, 3e-5),  # the accuracy the module docstring states up to rho = 0.95
        ([0.5, 1.0, 1.5, -0.3], 0.99, 2e-4),  # and at rho = 0.99
    ],
)
def test_quadrature_matches_scipy_multivariate_normal(z, rho, tolerance):
    z = np.array(z)
    joint = gm.joint_honour(special.ndtr(z)[None, :], rho)
    assert joint.p_all[0] == pytest.approx(_mvn_orthant(z, rho), abs=tolerance)
    assert 1.0 - joint.p_any[0] == pytest.approx(_mvn_orthant(-z, rho), abs=tolerance)


def test_bivariate_normal_cdf_at_origin_matches_sheppard():
    """Sheppard (1899): Phi_2(0, 0; rho) = 1/4 + arcsin(rho) / (2 pi)."""
    rho = np.array([-0.9, -0.3, 0.0, 0.5, 0.95, 1.0])
    np.testing.assert_allclose(
        gm.bivariate_normal_cdf(0.0, 0.0, rho), 0.25 + np.arcsin(rho) / (2 * np.pi), atol=1e-12
    )


@SETTINGS
@given(p=st.lists(open_probability, min_size=2, max_size=3), rho_low=rho_values, rho_high=rho_values)
def test_more_correlation_never_lowers_p_all_slepian(p, rho_low, rho_high):
    """Slepian (1962): orthant probabilities of normal vectors are non-decreasing in the correlations."""
    rho_low, rho_high = sorted((rho_low, rho_high))
    low = gm.joint_honour(np.array([p]), rho_low)
    high = gm.joint_honour(np.array([p]), rho_high)
    tolerance = 3e-4 if len(p) > 2 and rho_high > 0.95 else 1e-8  # quadrature accuracy near rho = 1
    assert high.p_all[0] >= low.p_all[0] - tolerance
    assert high.p_any[0] <= low.p_any[0] + tolerance


def test_capped_response_for_two_guarantors_matches_hand_formula():
    p = np.array([[0.7, 0.6]])
    capability = np.array([0.8, 0.5])
    joint = gm.joint_honour(p, 0.4, capability)
    p_both = joint.p_all[0]
    by_hand = 0.8 * (0.7 - p_both) + 0.5 * (0.6 - p_both) + 1.0 * p_both  # min(1, 0.8 + 0.5) = 1
    assert joint.expected_response[0] == pytest.approx(by_hand, abs=1e-12)


def test_uncapped_response_is_linear_and_ignores_correlation():
    p = np.array([[0.7, 0.6, 0.2]])
    capability = np.array([0.5, 0.3, 0.1])  # sums to 0.9 <= 1: the cap never binds
    for rho in (0.0, 0.5, 1.0):
        joint = gm.joint_honour(p, rho, capability)
        assert joint.expected_response[0] == pytest.approx(0.5 * 0.7 + 0.3 * 0.6 + 0.1 * 0.2, abs=1e-6)


def test_joint_honour_is_vectorised_over_trials_with_mixed_rho():
    rng = np.random.default_rng(7)
    p = rng.uniform(0.05, 0.95, size=(6, 3))
    rho = np.array([0.0, 0.3, 0.6, 0.9, 1.0, 0.5])
    together = gm.joint_honour(p, rho, [0.6, 0.5, 0.2])
    for i in range(6):
        alone = gm.joint_honour(p[i : i + 1], rho[i], [0.6, 0.5, 0.2])
        np.testing.assert_allclose(together.p_subsets[i], alone.p_subsets[0], atol=1e-13)


def test_invalid_rho_is_rejected():
    with pytest.raises(ValueError):
        gm.joint_honour([[0.5, 0.5]], -0.2)


# --------------------------------------------------------------------------------------------------------
# Free riding and escape clauses


def test_free_riding_leaves_a_lone_guarantor_and_zero_free_riding_unchanged():
    np.testing.assert_allclose(gm.free_riding_stake([1.2], [0.9], 1.0), [[1.2]])
    np.testing.assert_allclose(gm.free_riding_stake([1.2, 0.5], [0.9, 0.3], 0.0), [[1.2, 0.5]])
    # others' share of capability: 0.3 / 1.2 = 0.25 and 0.9 / 1.2 = 0.75; half free riding
    np.testing.assert_allclose(
        gm.free_riding_stake([1.2, 0.5], [0.9, 0.3], 0.5), [[1.2 * 0.875, 0.5 * 0.625]]
    )


def test_void_probability_closed_form():
    p_void = gm.void_probability(p_triggered=[0.1, 0.05], p_manufactured=[0.2, 0.0], p_accepted=[0.5, 1.0])
    expected = 1.0 - (0.9 * (1 - 0.2 * 0.5)) * (0.95 * 1.0)
    np.testing.assert_allclose(p_void, [expected])
    np.testing.assert_allclose(gm.void_probability([]), [0.0])


@SETTINGS
@given(clauses=st.lists(st.tuples(probability, probability, probability), min_size=1, max_size=4))
def test_another_escape_clause_never_lowers_p_void(clauses):
    trig, manu, acc = (list(x) for x in zip(*clauses))
    fewer = gm.void_probability(trig[:-1], manu[:-1], acc[:-1])
    more = gm.void_probability(trig, manu, acc)
    assert np.all(more >= fewer - 1e-15)
    assert np.all((more >= 0) & (more <= 1))


def test_effective_credibility_is_response_times_not_void():
    np.testing.assert_allclose(gm.effective_credibility([0.8, 0.5], [0.25, 0.0]), [0.6, 0.5])


# --------------------------------------------------------------------------------------------------------
# Deterrence

deterrence_params = {
    "gain": st.floats(0.0, 2.0),
    "gain_guaranteed": st.floats(-1.0, 2.0),
    "cost_of_war": st.floats(0.0, 1.0),
    "punishment": st.floats(0.0, 3.0),
    "noise_scale": st.floats(0.0, 0.5),
}


def test_war_payoff_is_the_published_mixture():
    """EU_A = (1 - q)(V p - k) + q (V p_g - k - P) (MODELS.md section 1; Huth 1988, Zagare & Kilgour 2000),
    checked term by term at a hand-computed point: V p = 0.6, V p_g = 0.1, k = 0.2, P = 0.5, q = 0.3:
    0.7 * 0.4 + 0.3 * (0.1 - 0.2 - 0.5) = 0.28 - 0.18 = 0.10."""
    assert gm.war_payoff(0.3, 0.6, 0.1, 0.2, 0.5) == pytest.approx(0.10)
    assert gm.war_payoff(0.0, 0.6, 0.1, 0.2, 0.5) == pytest.approx(0.4)  # no guarantee: V p - k
    assert gm.war_payoff(1.0, 0.6, 0.1, 0.2, 0.5) == pytest.approx(-0.6)  # sure response: V p_g - k - P


@SETTINGS
@given(q_low=unit, q_high=unit, **deterrence_params)
def test_more_credibility_never_lowers_p_deterred(q_low, q_high, gain, gain_guaranteed, cost_of_war, punishment,
                                                  noise_scale):
    """A guarantee whose response helps the defender (p_g <= p) or punishes can only deter more as it grows
    more credible."""
    gain_guaranteed = min(gain_guaranteed, gain)
    q_low, q_high = sorted((q_low, q_high))
    args = (gain, gain_guaranteed, cost_of_war, punishment, noise_scale)
    low, high = gm.deterrence_probability(q_low, *args), gm.deterrence_probability(q_high, *args)
    assert high >= low - 1e-15
    assert 0.0 <= low <= 1.0


def test_a_capable_guarantor_deters_even_when_the_protected_state_would_surely_lose():
    """The case the old form q P (1 - p) got wrong: with p = 1 the old threshold did not exist whatever the
    guarantee. Here V p = 1, k = 0.2 and a full response makes the attack fail (V p_g = 0), P = 0.3:
    q* = (1 - 0.2) / (1 - 0 + 0.3) = 0.615..., and a sure response deters."""
    q_star = gm.credibility_threshold(1.0, 0.0, 0.2, 0.3)
    assert q_star == pytest.approx(0.8 / 1.3)
    assert gm.deterrence_probability(1.0, 1.0, 0.0, 0.2, 0.3, noise_scale=0.0) == 1.0
    assert gm.deterrence_probability(0.0, 1.0, 0.0, 0.2, 0.3, noise_scale=0.0) == 0.0


@SETTINGS
@given(**{k: v for k, v in deterrence_params.items() if k != "noise_scale"})
def test_credibility_threshold_zeroes_the_war_payoff(gain, gain_guaranteed, cost_of_war, punishment):
    q_star = gm.credibility_threshold(gain, gain_guaranteed, cost_of_war, punishment)
    args = (gain, gain_guaranteed, cost_of_war, punishment)
    if gain - cost_of_war <= 0:
        assert q_star == 0.0
    elif np.isnan(q_star):
        # no credibility in [0, 1] deters: a sure response still leaves a positive payoff
        assert gm.war_payoff(1.0, *args) > 0
    else:
        assert 0.0 <= q_star <= 1.0
        assert gm.war_payoff(q_star, *args) == pytest.approx(0.0, abs=1e-9)
        assert gm.deterrence_probability(q_star, *args, 0.1) == pytest.approx(0.5)


def test_credibility_threshold_nan_when_nothing_the_guarantors_do_deters():
    assert np.isnan(gm.credibility_threshold(1.0, 1.0, 0.2, 0.0))  # response adds neither capability nor cost
    assert np.isnan(gm.credibility_threshold(0.6, 0.6, 0.0, 0.1))  # (0.6 - 0) / 0.1 > 1
    assert gm.credibility_threshold(0.5, 0.5, 0.2, 0.5) == pytest.approx(0.6)  # (0.5 - 0.2) / 0.5


def test_zero_noise_gives_the_deterministic_rule():
    q = np.array([0.0, 0.59, 0.6, 0.61, 1.0])
    p = gm.deterrence_probability(q, 0.5, 0.5, 0.2, 0.5, noise_scale=0.0)
    np.testing.assert_array_equal(p, [0.0, 0.0, 1.0, 1.0, 1.0])


# --------------------------------------------------------------------------------------------------------
# The cases: Budapest against Article 5 with tripwire forces

BUDAPEST_US = {"stake": 0.5, "cost": 1.5, "binding": 0.2, "tripwire": 0.0, "automatic": 0.0}
ARTICLE5_BALTIC_US = {"stake": 1.5, "cost": 1.5, "binding": 0.9, "tripwire": 1.0, "automatic": 0.5}


def test_budapest_far_less_credible_than_article5_with_tripwire():
    budapest = gm.honour_probability(**BUDAPEST_US)[0, 0]
    article5 = gm.honour_probability(**ARTICLE5_BALTIC_US)[0, 0]
    assert budapest < 0.3
    assert article5 > 0.9
    budapest_terms = gm.contributions_table(gm.honour_utility_terms(**BUDAPEST_US))
    article5_terms = gm.contributions_table(gm.honour_utility_terms(**ARTICLE5_BALTIC_US))
    gap = {k: float(article5_terms[k][0] - budapest_terms[k][0]) for k in budapest_terms}
    # the tying-hands and sinking-costs terms (audience*binding, tripwire, automatic) explain most of the gap
    commitment = gap["audience_binding"] + gap["tripwire"] + gap["automatic"]
    assert commitment > 0.5 * gap["mean_utility"]
    assert gap["cost"] == 0.0


def test_evaluate_guarantee_shapes_and_consistency():
    n = 1000
    rng = np.random.default_rng(3)
    stake = np.stack([rng.uniform(0.5, 1.5, n), rng.uniform(0.2, 1.0, n)], axis=1)
    out = gm.evaluate_guarantee(
        stake=stake,
        cost=1.5,
        binding=[0.5, 0.3],
        automatic=[0.5, 0.2],
        capability=[0.8, 0.3],
        rho=rng.uniform(0, 1, n),
        p_void=0.1,
        gain=rng.uniform(0.3, 0.7, n),
        gain_guaranteed=0.1,
    )
    assert out["p_honour"].shape == (n, 2)
    for key in ("p_any", "p_all", "expected_response", "q_eff", "p_deterred", "q_star", "net_gain"):
        assert out[key].shape == (n,)
    np.testing.assert_allclose(out["q_eff"], out["expected_response"] * 0.9)
    np.testing.assert_allclose(
        out["p_honour"],
        gm.honour_probability(stake=stake, cost=1.5, binding=[0.5, 0.3], automatic=[0.5, 0.2]),
    )
    assert np.all(out["p_any"] >= out["p_honour"].max(axis=1) - 1e-12)


def test_guarantor_count_can_come_from_capability_alone():
    out = gm.evaluate_guarantee(stake=0.5, cost=1.5, binding=0.2, capability=[0.6, 0.4], rho=0.8)
    assert out["p_honour"].shape == (1, 2)
    # capabilities sum to 1, so the cap never binds and the expected response is linear
    linear = 0.6 * out["p_honour"][0, 0] + 0.4 * out["p_honour"][0, 1]
    assert out["expected_response"][0] == pytest.approx(linear)


def test_evaluate_guarantee_all_scalar_inputs_give_one_trial():
    out = gm.evaluate_guarantee(stake=1.0, cost=1.0, binding=0.5)
    assert out["p_honour"].shape == (1, 1)
    assert out["p_any"][0] == pytest.approx(out["p_all"][0]) == pytest.approx(out["p_honour"][0, 0])


# --------------------------------------------------------------------------------------------------------
# Calibration

# Dalal, Fowlkes & Hoadley (1989, JASA 84:945-957) pre-Challenger launches: temperature (F), O-ring incident.
CHALLENGER_TEMPERATURE = np.array(
    [66, 70, 69, 68, 67, 72, 73, 70, 57, 63, 70, 78, 67, 53, 67, 75, 70, 81, 76, 79, 75, 76, 58], dtype=float
)
CHALLENGER_INCIDENT = np.array(
    [0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1], dtype=float
)


def test_logistic_fit_reproduces_published_challenger_coefficients():
    """Agresti (2007), An Introduction to Categorical Data Analysis, 2nd ed., problem 5.1:
    logit(pi_hat) = 15.043 - 0.2322 x for the 23 pre-Challenger launches."""
    fit = gm.fit_binary_response(CHALLENGER_TEMPERATURE[:, None], CHALLENGER_INCIDENT, ["temperature"])
    assert fit.coef[0] == pytest.approx(15.043, abs=5e-4)
    assert fit.coef[1] == pytest.approx(-0.2322, abs=5e-5)
    assert fit.separation == "none" and fit.converged


def test_standard_errors_match_the_numerical_hessian():
    fit = gm.fit_binary_response(CHALLENGER_TEMPERATURE[:, None], CHALLENGER_INCIDENT, ["temperature"])
    design = np.column_stack([np.ones(23), CHALLENGER_TEMPERATURE])

    def log_likelihood(b):
        eta = design @ b
        return np.sum(CHALLENGER_INCIDENT * eta - np.logaddexp(0.0, eta))

    step = np.array([1e-3, 1e-5])
    hessian = np.zeros((2, 2))
    for i in range(2):
        for j in range(2):
            e_i, e_j = np.eye(2)[i] * step[i], np.eye(2)[j] * step[j]
            hessian[i, j] = (
                log_likelihood(fit.coef + e_i + e_j)
                - log_likelihood(fit.coef + e_i - e_j)
                - log_likelihood(fit.coef - e_i + e_j)
                + log_likelihood(fit.coef - e_i - e_j)
            ) / (4 * step[i] * step[j])
    np.testing.assert_allclose(fit.se, np.sqrt(np.diag(np.linalg.inv(-hessian))), rtol=1e-3)


def test_probit_and_logit_fits_differ_by_about_the_amemiya_factor():
    logit = gm.fit_binary_response(CHALLENGER_TEMPERATURE[:, None], CHALLENGER_INCIDENT, ["t"], link="logit")
    probit = gm.fit_binary_response(
        CHALLENGER_TEMPERATURE[:, None], CHALLENGER_INCIDENT, ["t"], link="probit"
    )
    ratio = logit.coef[1] / probit.coef[1]
    assert 1.5 < ratio < 1.9
    assert gm.probit_scale_coefficients(logit)["t"] == pytest.approx(logit.coef[1] / gm.LOGIT_PROBIT_SCALE)


def test_separation_is_detected_and_firth_keeps_estimates_finite():
    x = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]])
    y = np.array([0, 0, 0, 1, 1, 1.0])
    assert gm.separation_check(np.column_stack([np.ones(6), x]), y) == "complete"
    quasi_x = np.array([[0.0], [1.0], [2.0], [2.0], [3.0], [4.0]])
    quasi_y = np.array([0, 0, 0, 1, 1, 1.0])
    assert gm.separation_check(np.column_stack([np.ones(6), quasi_x]), quasi_y) == "quasi-complete"
    assert (
        gm.separation_check(np.column_stack([np.ones(23), CHALLENGER_TEMPERATURE]), CHALLENGER_INCIDENT)
        == "none"
    )
    unpenalised = gm.fit_binary_response(x, y, ["x"])
    firth = gm.fit_binary_response(x, y, ["x"], penalty="firth")
    ridge = gm.fit_binary_response(x, y, ["x"], penalty="ridge", ridge=1.0)
    assert unpenalised.separation == "complete"
    assert abs(unpenalised.coef[1]) > 5.0  # the maximum-likelihood estimate runs off towards infinity
    assert 0.0 < firth.coef[1] < 5.0 and np.all(np.isfinite(firth.se)) and firth.converged
    assert 0.0 < ridge.coef[1] < firth.coef[1]


def test_auc_of_a_hand_example():
    # pairs (pos, neg): 0.9>0.1, 0.9>0.4, 0.35<0.4, 0.35>0.1 -> 3 of 4
    assert gm.auc_score([0.9, 0.35, 0.1, 0.4], [1, 1, 0, 0]) == pytest.approx(0.75)


def test_fit_recovers_simulated_weights():
    rng = np.random.default_rng(11)
    x = rng.uniform(0, 2, size=(4000, 2))
    truth = np.array([-1.0, 1.2, -0.8])
    y = (rng.uniform(size=4000) < special.ndtr(truth[0] + x @ truth[1:])).astype(float)
    fit = gm.fit_binary_response(x, y, ["stake", "cost"], link="probit")
    assert np.all(np.abs(fit.coef - truth) < 4 * fit.se)


# --------------------------------------------------------------------------------------------------------
# Reference table

REQUIRED_CASES = {
    "budapest_2014_us": 0,
    "nato_2001_article5": 1,
    "korea_1950_us": 1,
    "rhineland_1936_uk": 0,
    "poland_1939_uk": 1,
    "south_vietnam_1975_us_paris": 0,
    "minsk_2022_france_germany": 0,
    "czechoslovakia_1938_france": 0,
    "belgium_1914_uk": 1,
    "laos_1961_us_seato": 0,
}


@pytest.fixture(scope="module")
def reference_rows():
    with open(REFERENCE_CSV, newline="") as handle:
        return list(csv.DictReader(handle))


def test_reference_table_has_the_required_cases_coded_on_the_model_scales(reference_rows):
    assert len(reference_rows) >= 12
    by_id = {row["case_id"]: row for row in reference_rows}
    for case_id, honoured in REQUIRED_CASES.items():
        assert int(by_id[case_id]["honoured"]) == honoured, case_id
    for row in reference_rows:
        assert row["source"].strip(), row["case_id"]
        assert 0 <= float(row["stake"]) <= 2 and 0 <= float(row["cost"]) <= 2
        for key in ("binding", "tripwire", "automatic", "capability"):
            assert 0 <= float(row[key]) <= 1, (row["case_id"], key)
        assert row["honoured"] in ("0", "1") and row["effective_help"] in ("0", "1")


def test_default_weights_rank_honoured_above_dishonoured_reference_cases(reference_rows):
    """Not a published number: with the default (assumed) weights the model ranks the table's honoured
    commitments above the dishonoured ones most of the time (AUC 0.84 when written; 0.5 is chance)."""
    column = {
        k: np.array([float(r[k]) for r in reference_rows])
        for k in reference_rows[0]
        if k in ("stake", "cost", "binding", "tripwire", "automatic", "honoured")
    }
    p = gm.honour_probability(
        column["stake"], column["cost"], column["binding"], column["tripwire"], column["automatic"]
    )[0]
    assert gm.auc_score(p, column["honoured"]) > 0.8


def test_reference_table_is_separable_so_penalised_fits_are_needed(reference_rows):
    names = ["stake", "cost", "binding", "tripwire", "automatic"]
    x = np.array([[float(r[k]) for k in names] for r in reference_rows])
    y = np.array([float(r["honoured"]) for r in reference_rows])
    ridge = gm.fit_binary_response(x, y, names, link="probit", penalty="ridge", ridge=1.0)
    assert ridge.separation == "complete"
    assert ridge.converged and np.all(np.isfinite(ridge.se))
    assert ridge.log_likelihood > ridge.null_log_likelihood
    assert ridge.as_dict()["stake"] > 0


def test_near_one_correlation_uses_the_comonotone_form_within_its_stated_error():
    """For three or more guarantors and rho >= 0.999 joint_honour uses the comonotone closed form; its error
    against a fine 400,001-point integration over the common factor is at most ~1.1 percentage points (worst
    case: equal marginals), and the marginals are exact."""
    p = np.array([0.5, 0.5, 0.5])
    rho = 0.999
    f = np.linspace(-9, 9, 400_001)
    w = stats.norm.pdf(f)
    w /= w.sum()
    cond = special.ndtr((special.ndtri(p)[:, None] + np.sqrt(rho) * f[None, :]) / np.sqrt(1 - rho))
    exact_all = float((w * np.prod(cond, axis=0)).sum())
    joint = gm.joint_honour(p, rho)
    assert abs(joint.p_all[0] - exact_all) < 0.012
    for p_hard in ([0.0, 0.375, 0.3125], [1.0, 0.3125, 0.375]):
        j = gm.joint_honour(np.array(p_hard), 0.99999)
        assert j.p_any[0] >= max(p_hard) - 1e-12 and j.p_all[0] <= min(p_hard) + 1e-12
