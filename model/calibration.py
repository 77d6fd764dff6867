"""The outside view's estimators and scoring rules: arrays in, arrays out.

Every outside-view model in accord (guarantee credibility on the alliance record, durability on the peace and
war record, battle outcomes on CDB90) has the same small shape, after scikit-learn's ``fit`` / ``predict_proba``
and lifelines' fitters (STYLE.md):

    estimator = BinaryResponse(link="logit", penalty="ridge", ridge=1.0)   # settings only
    fit = estimator.fit(features, outcome, feature_names)                  # a frozen result
    fit.coef, fit.covariance, fit.se, fit.feature_names                    # coefficients and their covariance
    fit.predict(other_features)                                            # P(outcome = 1) on another table
    fit.draw(standard_normals)                                             # coefficients from their sampling
                                                                           # distribution (caller's randomness)

and the scoring rules are kept apart from the models, so every ``accord backtest`` kind scores the same way.

**Binary response (penalised).** P(y = 1 | x) = F(b0 + x b), F the logistic (logit) or normal (probit) CDF,
fitted by maximum likelihood (scipy.optimize.minimize, BFGS), optionally penalised:

    ridge:  l(b) - ridge/2 sum_{j>=1} b_j^2        (a N(0, 1/ridge) prior on each slope; intercept free)
    firth:  l(b) + 1/2 log det I(b)                (Jeffreys prior; Firth 1993; Heinze & Schemper 2002)

Standard errors and the covariance come from the inverse of the (penalised) Fisher information
I(b) = X' W X (+ ridge on the slopes), W = f(eta)^2 / (F(eta) (1 - F(eta))). Separation (the unpenalised
estimate does not exist) is diagnosed by linear programming (Albert & Anderson 1984; Konis 2007). Logit
coefficients are about 1.6 times probit ones (Amemiya 1981): ``probit_scale_coefficients``.

**Coefficient draws.** b = b_hat + L z with L L' = covariance (Cholesky; an eigen-decomposition when the
covariance is only semi-definite) and z the caller's standard normals, so a Monte Carlo run draws one
coefficient vector per trial from the fit's (asymptotic, penalised) sampling distribution.

**Scores** of predicted probabilities p_i against outcomes y_i in {0, 1}, i = 1..n:

    Brier (1950)      BS = (1/n) sum (p_i - y_i)^2                       0 perfect; a constant p scores p(1-p)
    log loss          LL = -(1/n) sum [y_i ln p_i + (1 - y_i) ln(1 - p_i)]   (p clipped to [1e-15, 1 - 1e-15])
    AUC               P(p_pos > p_neg) + P(p_pos = p_neg) / 2 = U / (n_1 n_0), U the Mann-Whitney statistic
                      (scipy.stats.mannwhitneyu; Hanley & McNeil 1982); undefined with one outcome class
    reliability       bins of p: count, mean p, observed rate with its Wilson (1927) interval (Murphy & Winkler
                      1977; Brocker & Smith 2007)

A difference in mean loss between two forecasts of the same cases is reported with a cluster-robust standard
error over groups (wars), because cases of one war are not independent: ``paired_difference``.

**Grouped K-fold.** ``grouped_folds`` assigns whole groups (wars) to folds, so no war sits on both sides of a
split (scikit-learn's GroupKFold): groups in decreasing size, ties in an order drawn from the seed, each to the
fold with the fewest cases so far. Deterministic given the seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, special, stats

from model.stats import wilson_interval

LOGIT_PROBIT_SCALE = 1.6  # Amemiya (1981); 1.6-1.8 in the literature (Camilli 1994 uses 1.702)
LINKS = ("logit", "probit")
PENALTIES = ("none", "ridge", "firth")
LOG_LOSS_CLIP = 1e-15


# ---------------------------------------------------------------------------------------------------------
# Links


def inverse_link(eta: ArrayLike, link: str) -> np.ndarray:
    """F(eta): the logistic CDF (logit link) or the standard normal CDF (probit link)."""
    eta = np.asarray(eta, dtype=float)
    if link == "logit":
        return special.expit(eta)
    if link == "probit":
        return special.ndtr(eta)
    raise ValueError(f"link must be one of {', '.join(LINKS)}; got {link!r}")


def link_function(p: ArrayLike, link: str) -> np.ndarray:
    """F^-1(p): logit(p) or Phi^-1(p)."""
    p = np.asarray(p, dtype=float)
    if link == "logit":
        return special.logit(p)
    if link == "probit":
        return special.ndtri(p)
    raise ValueError(f"link must be one of {', '.join(LINKS)}; got {link!r}")


def linear_predictor(coef: ArrayLike, features: ArrayLike) -> np.ndarray:
    """eta = b0 + x b, intercept first in ``coef``.

    coef (k + 1,) with features (m, k) -> (m,); or per-trial coefficients coef (n, k + 1) with features (k,)
    or (n, k) -> (n,). Shapes broadcast over the leading axes.
    """
    coef = np.asarray(coef, dtype=float)
    x = np.asarray(features, dtype=float)
    if x.shape[-1] != coef.shape[-1] - 1:
        raise ValueError(f"features have {x.shape[-1]} columns; the coefficients need {coef.shape[-1] - 1}")
    return coef[..., 0] + np.einsum("...k,...k->...", x, coef[..., 1:])


def _log_likelihood(eta: np.ndarray, y: np.ndarray, link: str) -> float:
    if link == "logit":
        return float(np.sum(y * eta - np.logaddexp(0.0, eta)))
    return float(np.sum(y * special.log_ndtr(eta) + (1.0 - y) * special.log_ndtr(-eta)))


def _fisher_weights(eta: np.ndarray, link: str) -> np.ndarray:
    if link == "logit":
        p = special.expit(eta)
        return p * (1.0 - p)
    # probit: phi^2 / (Phi (1 - Phi)), computed in logs for large |eta|
    log_w = 2.0 * stats.norm.logpdf(eta) - special.log_ndtr(eta) - special.log_ndtr(-eta)
    return np.exp(log_w)


# ---------------------------------------------------------------------------------------------------------
# The fit


@dataclass(frozen=True)
class BinaryFit:
    """A fitted binary-response model P(y = 1) = F(b0 + sum_k b_k x_k), F the logistic or normal CDF.

    coef, se, z_value: shape (k + 1,), intercept first (feature_names[0] == "intercept"); covariance
    (k + 1, k + 1), the inverse of the (penalised) Fisher information, whose diagonal is se^2.
    log_likelihood is the unpenalised log-likelihood at the estimate; separation is "none", "quasi-complete"
    or "complete"; auc and share_correct are in-sample (optimistic: score held-out cases for evidence).
    """

    feature_names: tuple[str, ...]
    coef: np.ndarray
    se: np.ndarray
    z_value: np.ndarray
    covariance: np.ndarray
    log_likelihood: float
    penalised_log_likelihood: float
    null_log_likelihood: float
    n_obs: int
    n_honoured: int  # cases with outcome 1
    auc: float
    share_correct: float
    separation: str
    link: str
    penalty: str
    ridge: float
    converged: bool
    message: str

    def linear_predictor(self, features: ArrayLike) -> np.ndarray:
        """b0 + x b for rows of features, shape (m, k) -> (m,)."""
        return linear_predictor(self.coef, features)

    def predict(self, features: ArrayLike) -> np.ndarray:
        """P(y = 1) for rows of features, shape (m, k) -> (m,)."""
        return inverse_link(self.linear_predictor(features), self.link)

    def draw(self, standard_normals: ArrayLike) -> np.ndarray:
        """Coefficient vectors from the fit's sampling distribution, (n, k + 1) normals -> (n, k + 1)."""
        return draw_coefficients(self.coef, self.covariance, standard_normals)

    def as_dict(self) -> dict[str, float]:
        return dict(zip(self.feature_names, self.coef.tolist()))

    @property
    def n_events(self) -> int:
        return self.n_honoured

    @property
    def mcfadden_r2(self) -> float:
        """1 - l(b_hat) / l(intercept only) (McFadden 1974); NaN when the null log-likelihood is 0."""
        return 1.0 - self.log_likelihood / self.null_log_likelihood if self.null_log_likelihood < 0 else float("nan")


def separation_check(design: ArrayLike, outcome: ArrayLike, tol: float = 1e-7) -> str:
    """Detect (quasi-)complete separation by linear programming (Albert & Anderson 1984; Konis 2007).

    With s_i = 2 y_i - 1 and x_i the design row (intercept included): quasi-complete separation if some b
    with |b_j| <= 1 has s_i x_i b >= 0 for all i and > 0 for some; complete if s_i x_i b >= t > 0 for all i.
    Under separation the unpenalised maximum-likelihood estimate does not exist (coefficients diverge).
    """
    x = np.asarray(design, dtype=float)
    s = 2.0 * np.asarray(outcome, dtype=float) - 1.0
    signed = s[:, None] * x
    k = x.shape[1]
    bounds = [(-1.0, 1.0)] * k
    quasi = optimize.linprog(-signed.sum(axis=0), A_ub=-signed, b_ub=np.zeros(len(s)), bounds=bounds)
    if not quasi.success or -quasi.fun <= tol:
        return "none"
    # maximise t subject to signed @ b >= t, t <= 1
    c = np.zeros(k + 1)
    c[-1] = -1.0
    a_ub = np.hstack([-signed, np.ones((len(s), 1))])
    complete = optimize.linprog(c, A_ub=a_ub, b_ub=np.zeros(len(s)), bounds=bounds + [(None, 1.0)])
    return "complete" if complete.success and -complete.fun > tol else "quasi-complete"


def fit_binary_response(
    features: ArrayLike,
    honoured: ArrayLike,
    feature_names: Sequence[str],
    link: str = "logit",
    penalty: str = "none",
    ridge: float = 1.0,
) -> BinaryFit:
    """Fit P(y = 1) = F(b0 + x b) by (penalised) maximum likelihood.

    features (m, k); honoured (m,) outcomes in {0, 1}; link "logit" or "probit". penalty:
      "none"  maximum likelihood; diverges under separation (check ``separation``);
      "ridge" adds -ridge/2 * sum_{j>=1} b_j^2 (intercept unpenalised; features are not standardised,
              so keep them on comparable scales, e.g. 0/1 indicators);
      "firth" adds +1/2 log det I(b) (Jeffreys prior; Firth 1993, Heinze & Schemper 2002): finite
              estimates under separation.
    Optimised with scipy.optimize.minimize (BFGS); covariance = inverse of I(b) [+ ridge], se its diagonal.
    """
    if link not in LINKS:
        raise ValueError("link must be 'logit' or 'probit'")
    if penalty not in PENALTIES:
        raise ValueError("penalty must be 'none', 'ridge' or 'firth'")
    x = np.asarray(features, dtype=float)
    y = np.asarray(honoured, dtype=float)
    if x.ndim != 2 or x.shape[0] != y.shape[0] or x.shape[1] != len(feature_names):
        raise ValueError("features must be (m, k) with m outcomes and k feature names")
    if len(y) == 0:
        raise ValueError("no cases to fit")
    design = np.hstack([np.ones((x.shape[0], 1)), x])
    k = design.shape[1]
    ridge_diag = np.r_[0.0, np.full(k - 1, ridge)] if penalty == "ridge" else np.zeros(k)

    def information(b: np.ndarray) -> np.ndarray:
        w = _fisher_weights(design @ b, link)
        return design.T @ (w[:, None] * design)

    def penalised(b: np.ndarray) -> float:
        value = _log_likelihood(design @ b, y, link) - 0.5 * np.sum(ridge_diag * b**2)
        if penalty == "firth":
            sign, logdet = np.linalg.slogdet(information(b))
            value += 0.5 * logdet if sign > 0 else -1e10
        return value

    def gradient(b: np.ndarray) -> np.ndarray:
        eta = design @ b
        if link == "logit":
            score = design.T @ (y - special.expit(eta))
        else:
            ratio_1 = np.exp(stats.norm.logpdf(eta) - special.log_ndtr(eta))
            ratio_0 = np.exp(stats.norm.logpdf(eta) - special.log_ndtr(-eta))
            score = design.T @ (y * ratio_1 - (1.0 - y) * ratio_0)
        return score - ridge_diag * b

    def firth_logit_gradient(b: np.ndarray) -> np.ndarray:
        # Firth (1993): U*(b) = X'(y - p + h (1/2 - p)), h the diagonal of the weighted hat matrix
        p = special.expit(design @ b)
        w = p * (1.0 - p)
        root_w_x = np.sqrt(w)[:, None] * design
        hat = np.einsum("ij,jk,ik->i", root_w_x, np.linalg.pinv(design.T @ (w[:, None] * design)), root_w_x)
        return design.T @ (y - p + hat * (0.5 - p))

    if penalty != "firth":
        jac = lambda b: -gradient(b)
    elif link == "logit":
        jac = lambda b: -firth_logit_gradient(b)
    else:
        jac = None  # probit Firth: finite-difference gradient
    p_mean = np.clip(y.mean(), 1e-6, 1 - 1e-6)
    start = np.zeros(k)
    start[0] = float(link_function(p_mean, link))
    result = optimize.minimize(
        lambda b: -penalised(b), start, jac=jac, method="BFGS", options={"maxiter": 2000, "gtol": 1e-8}
    )
    b_hat = result.x
    # BFGS often stops with "precision loss" at the optimum; judge convergence by the gradient itself.
    final_gradient = optimize.approx_fprime(b_hat, penalised, 1e-7) if jac is None else -jac(b_hat)
    converged = bool(result.success) or float(np.max(np.abs(final_gradient))) < 1e-4
    info = information(b_hat) + np.diag(ridge_diag)
    try:
        covariance = np.linalg.inv(info)
        se = np.sqrt(np.clip(np.diag(covariance), 0.0, None))
    except np.linalg.LinAlgError:
        covariance = np.full((k, k), np.inf)
        se = np.full(k, np.inf)
    eta_hat = design @ b_hat
    p_hat = inverse_link(eta_hat, link)
    null_eta = np.full_like(y, start[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        z_value = b_hat / se
    return BinaryFit(
        feature_names=("intercept", *feature_names),
        coef=b_hat,
        se=se,
        z_value=z_value,
        covariance=covariance,
        log_likelihood=_log_likelihood(eta_hat, y, link),
        penalised_log_likelihood=-float(result.fun),
        null_log_likelihood=_log_likelihood(null_eta, y, link),
        n_obs=len(y),
        n_honoured=int(y.sum()),
        auc=auc_score(p_hat, y),
        share_correct=float(np.mean((p_hat > 0.5) == (y > 0.5))),
        separation=separation_check(design, y),
        link=link,
        penalty=penalty,
        ridge=float(ridge) if penalty == "ridge" else 0.0,
        converged=converged,
        message=str(result.message),
    )


@dataclass(frozen=True)
class BinaryResponse:
    """The estimator: settings only; ``fit`` returns a frozen BinaryFit (see the module docstring)."""

    link: str = "logit"
    penalty: str = "ridge"
    ridge: float = 1.0

    def fit(self, features: ArrayLike, outcome: ArrayLike, feature_names: Sequence[str]) -> BinaryFit:
        return fit_binary_response(features, outcome, feature_names, self.link, self.penalty, self.ridge)


def probit_scale_coefficients(fit: BinaryFit) -> dict[str, float]:
    """Coefficients on the probit scale (logit ones divided by LOGIT_PROBIT_SCALE = 1.6, Amemiya 1981).

    With sigma = 1 these read directly as weights of a probit random-utility model (model/guarantees.py).
    """
    scale = LOGIT_PROBIT_SCALE if fit.link == "logit" else 1.0
    return {name: float(c) / scale for name, c in zip(fit.feature_names, fit.coef)}


def draw_coefficients(coef: ArrayLike, covariance: ArrayLike, standard_normals: ArrayLike) -> np.ndarray:
    """b = b_hat + L z: coefficient vectors from N(b_hat, covariance), given standard normals z.

    coef (k,), covariance (k, k), standard_normals (n, k) -> (n, k). L is the lower Cholesky factor (so the
    first coefficient moves with z_0 only, the second with z_0 and z_1, ...); for a covariance that is only
    positive semi-definite, L = V sqrt(max(w, 0)) from its eigen-decomposition. Non-finite covariance (a fit
    whose information matrix was singular) raises ValueError: such a fit has no sampling distribution.
    """
    b = np.asarray(coef, dtype=float)
    cov = np.asarray(covariance, dtype=float)
    z = np.asarray(standard_normals, dtype=float)
    if cov.shape != (len(b), len(b)) or z.shape[-1] != len(b):
        raise ValueError(f"coef ({len(b)},), covariance {cov.shape} and normals {z.shape} do not match")
    if not np.all(np.isfinite(cov)):
        raise ValueError("the covariance is not finite: the fit has no sampling distribution to draw from")
    try:
        factor = np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        w, v = np.linalg.eigh(0.5 * (cov + cov.T))
        factor = v * np.sqrt(np.clip(w, 0.0, None))
    return b + z @ factor.T


# ---------------------------------------------------------------------------------------------------------
# Scores


def _check_scores(p: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(p, dtype=float)
    y = np.asarray(y, dtype=float)
    if p.shape != y.shape or p.ndim != 1:
        raise ValueError(f"predictions {p.shape} and outcomes {y.shape} must be two (n,) arrays")
    if np.any((p < 0) | (p > 1)) or np.any(~np.isfinite(p)):
        raise ValueError("predictions must be probabilities in [0, 1]")
    if np.any((y != 0) & (y != 1)):
        raise ValueError("outcomes must be 0 or 1")
    return p, y


def brier_losses(p: ArrayLike, y: ArrayLike) -> np.ndarray:
    """(p_i - y_i)^2 per case, shape (n,)."""
    p, y = _check_scores(p, y)
    return (p - y) ** 2


def log_losses(p: ArrayLike, y: ArrayLike) -> np.ndarray:
    """-[y_i ln p_i + (1 - y_i) ln(1 - p_i)] per case, p clipped to [1e-15, 1 - 1e-15], shape (n,)."""
    p, y = _check_scores(p, y)
    q = np.clip(p, LOG_LOSS_CLIP, 1.0 - LOG_LOSS_CLIP)
    return -(special.xlogy(y, q) + special.xlogy(1.0 - y, 1.0 - q))


def brier_score(p: ArrayLike, y: ArrayLike) -> float:
    """Mean squared error of the probabilities (Brier 1950); NaN for no cases."""
    losses = brier_losses(p, y)
    return float(losses.mean()) if len(losses) else float("nan")


def log_loss(p: ArrayLike, y: ArrayLike) -> float:
    """Mean negative log-likelihood of the outcomes under the probabilities; NaN for no cases."""
    losses = log_losses(p, y)
    return float(losses.mean()) if len(losses) else float("nan")


def auc_score(scores: ArrayLike, outcome: ArrayLike) -> float:
    """Area under the ROC curve: P(score_pos > score_neg) + ties / 2 = U / (n_1 n_0), U the Mann-Whitney
    statistic of the positives (scipy.stats.mannwhitneyu). NaN when either outcome class is empty."""
    scores = np.asarray(scores, dtype=float)
    positive = np.asarray(outcome).astype(bool)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    u = stats.mannwhitneyu(scores[positive], scores[~positive], alternative="two-sided", method="asymptotic")
    return float(u.statistic) / (n_pos * n_neg)


def auc_undefined_reason(outcome: ArrayLike) -> str | None:
    """Why the AUC is undefined for these outcomes (one class only, or none), or None when it is defined."""
    y = np.asarray(outcome, dtype=float)
    if len(y) == 0:
        return "no cases"
    n_pos = int(np.sum(y == 1))
    if n_pos == len(y):
        return f"all {len(y)} cases have outcome 1: the AUC compares cases with outcome 1 and 0"
    if n_pos == 0:
        return f"all {len(y)} cases have outcome 0: the AUC compares cases with outcome 1 and 0"
    return None


@dataclass(frozen=True)
class BinaryScores:
    """Scores of one forecast on n cases (n_events with outcome 1); auc is NaN when ``auc_note`` says why."""

    n: int
    n_events: int
    brier: float
    log_loss: float
    auc: float
    auc_note: str | None

    def as_dict(self) -> dict[str, float | int | str | None]:
        def finite(x: float) -> float | None:
            return float(x) if np.isfinite(x) else None

        out: dict[str, float | int | str | None] = {"brier": finite(self.brier), "log_loss": finite(self.log_loss),
                                                    "auc": finite(self.auc), "n": self.n}
        if self.auc_note:
            out["auc_undefined"] = self.auc_note
        return out


def binary_scores(p: ArrayLike, y: ArrayLike) -> BinaryScores:
    """Brier score, log loss and AUC of probabilities p for outcomes y (see the module docstring)."""
    p, y = _check_scores(p, y)
    note = auc_undefined_reason(y)
    return BinaryScores(n=len(y), n_events=int(y.sum()), brier=brier_score(p, y), log_loss=log_loss(p, y),
                        auc=float("nan") if note else auc_score(p, y), auc_note=note)


@dataclass(frozen=True)
class PairedDifference:
    """Mean per-case loss of forecast a minus forecast b, with its cluster-robust standard error."""

    mean: float
    se: float
    n: int
    n_groups: int


def paired_difference(loss_a: ArrayLike, loss_b: ArrayLike, groups: ArrayLike) -> PairedDifference:
    """d = mean_i (loss_a_i - loss_b_i) and its standard error clustered by group (Liang & Zeger 1986):

        se^2 = G / (G - 1) * sum_g (D_g - n_g d)^2 / n^2,   D_g the sum of the differences in group g.

    Cases of one group (a war) share their causes, so an i.i.d. standard error would be too small. NaN with
    fewer than two groups.
    """
    a = np.asarray(loss_a, dtype=float)
    b = np.asarray(loss_b, dtype=float)
    g = np.asarray(groups)
    if not a.shape == b.shape == g.shape or a.ndim != 1:
        raise ValueError("losses and groups must be three (n,) arrays")
    n = len(a)
    if n == 0:
        return PairedDifference(float("nan"), float("nan"), 0, 0)
    d = a - b
    mean = float(d.mean())
    _, codes = np.unique(g, return_inverse=True)
    n_groups = int(codes.max()) + 1
    if n_groups < 2:
        return PairedDifference(mean, float("nan"), n, n_groups)
    residual_by_group = np.bincount(codes, weights=d - mean, minlength=n_groups)
    se = float(np.sqrt(n_groups / (n_groups - 1) * np.sum(residual_by_group**2)) / n)
    return PairedDifference(mean, se, n, n_groups)


@dataclass(frozen=True)
class ReliabilityBins:
    """Reliability diagram data: per bin of predicted probability (edges[j], edges[j + 1]], the number of
    cases, their mean prediction, the observed rate and its Wilson 95% interval (NaN for empty bins)."""

    edges: np.ndarray  # (B + 1,)
    count: np.ndarray  # (B,) int
    mean_predicted: np.ndarray  # (B,)
    observed: np.ndarray  # (B,)
    observed_lo: np.ndarray  # (B,)
    observed_hi: np.ndarray  # (B,)


def reliability_bins(p: ArrayLike, y: ArrayLike, n_bins: int = 10) -> ReliabilityBins:
    """Equal-width bins of the predictions on [0, 1] (the first bin includes 0), with counts."""
    p, y = _check_scores(p, y)
    if n_bins < 1:
        raise ValueError("n_bins must be >= 1")
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    index = np.clip(np.searchsorted(edges, p, side="left") - 1, 0, n_bins - 1)
    count = np.bincount(index, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_p = np.bincount(index, weights=p, minlength=n_bins) / count
        observed = np.bincount(index, weights=y, minlength=n_bins) / count
        lo, hi = wilson_interval(observed, count)
    empty = count == 0
    lo, hi = np.where(empty, np.nan, lo), np.where(empty, np.nan, hi)
    return ReliabilityBins(edges, count, mean_p, observed, lo, hi)


def rate(k: ArrayLike, n: ArrayLike) -> tuple[np.ndarray | float, np.ndarray | float, np.ndarray | float]:
    """A reference-class rate k / n with its Wilson (1927) 95% interval: (rate, lo, hi); NaN for n = 0."""
    k_arr = np.asarray(k, dtype=float)
    n_arr = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(n_arr > 0, k_arr / np.where(n_arr > 0, n_arr, 1.0), np.nan)
    lo, hi = wilson_interval(p, np.where(n_arr > 0, n_arr, np.nan))
    if p.ndim == 0:
        return float(p), float(lo), float(hi)
    return p, np.asarray(lo), np.asarray(hi)


# ---------------------------------------------------------------------------------------------------------
# Splits


def grouped_folds(groups: ArrayLike, k: int, seed: int = 0) -> np.ndarray:
    """Fold index in 0..k-1 per case, keeping each group (war) whole, deterministic given the seed.

    Groups are taken in decreasing size (ties in a random order from ``seed``) and each goes to the fold
    with the fewest cases so far (the first such fold on a tie), which balances the fold sizes as far as the
    groups allow. Needs 2 <= k <= the number of groups.
    """
    g = np.asarray(groups)
    labels, codes, sizes = np.unique(g, return_inverse=True, return_counts=True)
    if k < 2:
        raise ValueError("cross-validation needs at least 2 folds")
    if k > len(labels):
        raise ValueError(f"{k} folds need at least {k} groups; the cases come from {len(labels)}")
    tie_order = np.random.default_rng(seed).permutation(len(labels))
    order = np.lexsort((tie_order, -sizes))
    load = np.zeros(k, dtype=np.int64)
    fold_of_group = np.empty(len(labels), dtype=np.int64)
    for i in order:
        j = int(np.argmin(load))
        fold_of_group[i] = j
        load[j] += sizes[i]
    return fold_of_group[codes.reshape(-1)]
