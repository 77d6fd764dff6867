"""How long peace lasts: survival models of the historical record (MODELS.md section 3, the outside view).

Arrays in, arrays out; lifelines (Davidson-Pilon 2019, MIT) does the fitting and is imported only inside the
functions that fit, so importing this module costs nothing and the settlement's per-chunk functions
(``survival``, ``yearly_hazard``, ``draw_coefficients``, ``provision_design``) are plain NumPy.

**The model.** A proportional-hazards model with a duration-dependent baseline (Cox 1972 for the form;
Box-Steffensmeier & Jones 2004, ch. 3-4, for its use on political durations):

    H(t | x) = H0(t) exp(beta . x),   S(t | x) = exp(-H(t | x)),   t in years since peace began,

with one of two baselines:

* ``piecewise`` (the default; the piecewise-exponential model, Friedman 1982): a constant yearly hazard
  exp(r_j) on each interval [b_j, b_j+1) between breakpoints (for peace agreements 0, 1, 2, 5, 10 years and
  on), H0(t) = sum_j exp(r_j) |[b_j, b_j+1) intersect [0, t)|. It lets the record say how the risk falls;
* ``weibull``: H0(t) = (t / sigma)^rho, one shape rho (< 1: risk falling with time, as Fortna 2003, 2004
  finds for cease-fires), sigma = exp(log_scale) in years.

The parameter vector is theta = (beta_1..beta_p, baseline...), ``names`` says which is which. beta_k is a log
hazard ratio: exp(beta_k) multiplies the hazard at every duration when provision k is present. The fit
maximises the likelihood sum_i [e_i log h(t_i | x_i) - H(t_i | x_i)] minus a ridge penalty
(penalizer / 2) sum_k (beta_k sd_k)^2 on the standardised coefficients only (never on the baseline), through
lifelines' ``ParametricRegressionFitter``. Agreements of one conflict (pairs of one war) are not independent:
the covariance of theta is the cluster-robust sandwich V (sum_g s_g s_g') V G / (G - 1) (Lin & Wei 1989;
Williams 2000), V the inverse penalised information, s_g the summed scores of cluster g. Unpenalised
(penalizer 0, the default here and in scenarios/durability.py) this is the usual cluster-robust covariance of
the maximum-likelihood estimate, and ``draw_coefficients`` passes honest uncertainty on. With a penalty it is
the sandwich around a shrunk estimate: narrower than the uncertainty of the effect, so report it as penalised.

**Scoring** (``backtest``): Harrell's concordance index of the predicted risk (Harrell et al. 1982, through
lifelines), and the Brier score at horizon t with inverse probability of censoring weights (Graf, Schmoor,
Sauerbrei & Schumacher 1999):

    BS(t) = 1/n sum_i [ S_i(t)^2 1{T_i <= t, e_i = 1} / G(T_i-) + (1 - S_i(t))^2 1{T_i > t} / G(t) ],

G the Kaplan-Meier estimate of the censoring distribution on the scored cases.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from scipy import stats

BASELINES = ("piecewise", "weibull")

#: Default breakpoints (years) of the piecewise baseline for peace agreements: the first, second, next three
#: and next five years, then on (the horizons the brief reports).
DEFAULT_BREAKPOINTS = (1.0, 2.0, 5.0, 10.0)


# ------------------------------------------------------------------------------------ Kaplan-Meier


@dataclass(frozen=True)
class KaplanMeier:
    """The product-limit estimate S(t) = prod_{t_j <= t} (1 - d_j / n_j) (Kaplan & Meier 1958) as a step
    curve, with pointwise log(-log) intervals from Greenwood's variance (Kalbfleisch & Prentice 1980).

    ``timeline`` (k,) in years, ``survival``, ``lower``, ``upper`` (k,) on it; ``n``, ``n_events``."""

    timeline: np.ndarray
    survival: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    n: int
    n_events: int
    alpha: float = 0.05

    def at(self, times: Sequence[float] | np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Survival and its interval at ``times`` (right-continuous steps)."""
        idx = np.searchsorted(self.timeline, np.asarray(times, dtype=float), side="right") - 1
        idx = np.clip(idx, 0, None)
        return self.survival[idx], self.lower[idx], self.upper[idx]

    def last_time(self) -> float:
        return float(self.timeline[-1])


def kaplan_meier(durations: np.ndarray, events: np.ndarray, alpha: float = 0.05) -> KaplanMeier:
    """Kaplan-Meier estimate of durations (m,) with events (m,) bool (False: censored), via lifelines."""
    from lifelines import KaplanMeierFitter

    durations, events = np.asarray(durations, dtype=float), np.asarray(events, dtype=bool)
    km = KaplanMeierFitter(alpha=alpha).fit(durations, events)
    ci = km.confidence_interval_survival_function_
    timeline = km.survival_function_.index.to_numpy(dtype=float)
    return KaplanMeier(timeline, km.survival_function_.iloc[:, 0].to_numpy(dtype=float),
                       ci.iloc[:, 0].to_numpy(dtype=float), ci.iloc[:, 1].to_numpy(dtype=float),
                       int(durations.size), int(events.sum()), alpha)


# ---------------------------------------------------------------------------------- the PH model


@dataclass(frozen=True)
class SurvivalModel:
    """A fitted proportional-hazards model of peace, H(t | x) = H0(t) exp(beta . x) (see the module docstring).

    ``coef`` (q,) = (beta (p,), baseline parameters); ``cov`` (q, q) its cluster-robust covariance (the
    sampling distribution ``draw_coefficients`` draws from); ``cov_model`` the inverse penalised information.
    For the piecewise baseline the baseline parameters are the log yearly hazards r_j of the intervals
    starting at ``breakpoints`` (0 first); for the Weibull, (log_scale, log_rho).
    """

    baseline: str
    covariates: tuple[str, ...]
    names: tuple[str, ...]
    coef: np.ndarray
    cov: np.ndarray
    cov_model: np.ndarray
    breakpoints: tuple[float, ...]   # interval starts, 0 first (piecewise); () for weibull
    n: int
    n_events: int
    n_groups: int
    log_likelihood: float            # unpenalised, at the fitted coefficients
    penalizer: float
    converged: bool = True
    notes: tuple[str, ...] = ()
    _chol: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def p(self) -> int:
        return len(self.covariates)

    @property
    def aic(self) -> float:
        return 2.0 * len(self.coef) - 2.0 * self.log_likelihood

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.diag(self.cov))

    def hazard_ratios(self, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """exp(beta_k) with its (1 - alpha) Wald interval from the robust covariance, each (p,)."""
        z = stats.norm.ppf(1 - alpha / 2)
        beta, se = self.coef[: self.p], self.se[: self.p]
        return np.exp(beta), np.exp(beta - z * se), np.exp(beta + z * se)

    def baseline_rates(self, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Piecewise baseline: yearly hazard exp(r_j) on each interval with its interval, each (J,)."""
        if self.baseline != "piecewise":
            raise ValueError("baseline_rates: only for the piecewise baseline")
        z = stats.norm.ppf(1 - alpha / 2)
        r, se = self.coef[self.p:], self.se[self.p:]
        return np.exp(r), np.exp(r - z * se), np.exp(r + z * se)

    def shape(self, alpha: float = 0.05) -> tuple[float, float, float]:
        """Weibull baseline: the shape rho with its interval (rho < 1: the hazard falls with time)."""
        if self.baseline != "weibull":
            raise ValueError("shape: only for the Weibull baseline")
        z = stats.norm.ppf(1 - alpha / 2)
        a, se = self.coef[-1], self.se[-1]
        return math.exp(a), math.exp(a - z * se), math.exp(a + z * se)

    def cumulative_hazard(self, design: np.ndarray, times: Sequence[float] | np.ndarray,
                          coef: np.ndarray | None = None) -> np.ndarray:
        """H(t | x) for design (n, p) at times (k,) -> (n, k); ``coef`` (q,) or (n, q) per row (default: the
        fit)."""
        theta = self.coef if coef is None else np.asarray(coef, dtype=float)
        design = np.atleast_2d(np.asarray(design, dtype=float))
        times = np.asarray(times, dtype=float)
        beta = theta[..., : self.p]
        lp = design @ beta if beta.ndim == 1 else np.einsum("np,np->n", design, beta)
        return baseline_cumulative_hazard(self, theta[..., self.p:], times) * np.exp(lp)[:, None]

    def survival(self, design: np.ndarray, times: Sequence[float] | np.ndarray,
                 coef: np.ndarray | None = None) -> np.ndarray:
        """S(t | x) = exp(-H(t | x)), shape (n, k)."""
        return np.exp(-self.cumulative_hazard(design, times, coef))

    def chol(self) -> np.ndarray:
        """A lower-triangular L with L L' = cov (eigenvalues floored at 0 if cov is not positive definite)."""
        if self._chol is not None:
            return self._chol
        try:
            low = np.linalg.cholesky(self.cov)
        except np.linalg.LinAlgError:
            w, v = np.linalg.eigh((self.cov + self.cov.T) / 2)
            low = v * np.sqrt(np.clip(w, 0, None))
        object.__setattr__(self, "_chol", low)
        return low


def _exposure(starts: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Time spent in each interval [b_j, b_j+1) by time t: (k, J)."""
    ends = np.append(starts[1:], np.inf)
    return np.clip(times[:, None] - starts[None, :], 0.0, ends - starts)


def baseline_cumulative_hazard(model: SurvivalModel, baseline_coef: np.ndarray, times: np.ndarray) -> np.ndarray:
    """H0(t) for baseline parameters (q0,) -> (1, k) or (n, q0) -> (n, k)."""
    b = np.atleast_2d(baseline_coef)
    if model.baseline == "piecewise":
        return np.exp(b) @ _exposure(np.asarray(model.breakpoints), times).T
    log_scale, log_rho = b[:, :1], b[:, 1:2]
    with np.errstate(divide="ignore"):
        return np.exp(np.exp(log_rho) * (np.log(np.maximum(times, 0.0))[None, :] - log_scale))


def merge_breakpoints(durations: np.ndarray, events: np.ndarray, breakpoints: Sequence[float],
                      min_events: int = 3) -> tuple[float, ...]:
    """Interval starts (0 first) with at least ``min_events`` events in each interval: an interval with fewer
    is merged into the one before it (the first into the next), so that each rate is estimable."""
    t = np.asarray(durations, dtype=float)[np.asarray(events, dtype=bool)]
    starts = [0.0] + sorted(float(b) for b in breakpoints if b > 0)

    def counts(s: list[float]) -> list[int]:
        edges = s + [np.inf]
        return [int(((t >= edges[j]) & (t < edges[j + 1])).sum()) for j in range(len(s))]

    while len(starts) > 1:
        c = counts(starts)
        low = [j for j, x in enumerate(c) if x < min_events]
        if not low:
            break
        j = low[-1]
        starts.pop(j if j > 0 else 1)
    return tuple(starts)


def _lifelines_fitter(baseline: str, starts: tuple[float, ...], penalizer: np.ndarray | float, has_beta: bool):
    from autograd import numpy as anp
    from lifelines.fitters import ParametricRegressionFitter

    starts_arr = np.asarray(starts, dtype=float)
    widths = np.append(np.diff(starts_arr), np.inf)
    n_pieces = len(starts)

    class _PiecewisePH(ParametricRegressionFitter):
        _fitted_parameter_names = ["beta_"] * has_beta + [f"r{j:02d}_" for j in range(n_pieces)]

        def _cumulative_hazard(self, params, T, Xs):
            lp = anp.dot(Xs["beta_"], params["beta_"]) if has_beta else 0.0
            total = 0.0
            for j in range(n_pieces):  # intercept-only rates: read the parameter, not lifelines' slow slicer
                spent = anp.clip(T - starts_arr[j], 0.0, widths[j])
                total = total + anp.exp(params[f"r{j:02d}_"][0]) * spent
            return total * anp.exp(lp)

    class _WeibullPH(ParametricRegressionFitter):
        _fitted_parameter_names = ["beta_"] * has_beta + ["w0_log_scale_", "w1_log_rho_"]

        def _cumulative_hazard(self, params, T, Xs):
            lp = anp.dot(Xs["beta_"], params["beta_"]) if has_beta else 0.0
            log_scale = params["w0_log_scale_"][0]
            rho = anp.exp(params["w1_log_rho_"][0])
            return anp.exp(rho * (anp.log(T) - log_scale) + lp)

    # lifelines orders its Hessian (so variance_matrix_) and an array penalizer by the sorted parameter names
    # but labels the matrix in _fitted_parameter_names order: the names above sort in the order they are listed.
    cls = _PiecewisePH if baseline == "piecewise" else _WeibullPH
    return cls(penalizer=penalizer)


def log_likelihood_terms(model_or_baseline: SurvivalModel | str, theta: np.ndarray, durations: np.ndarray,
                         events: np.ndarray, design: np.ndarray, starts: Sequence[float] = ()
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Per-case log-likelihood l_i = e_i log h(t_i | x_i) - H(t_i | x_i) and its scores dl_i/dtheta: ((m,), (m, q)).

    With H_i = H0(t_i) exp(beta . x_i): dl_i/dbeta = x_i (e_i - H_i); piecewise: dl_i/dr_j = e_i 1{t_i in
    interval j} - exp(beta . x_i) exp(r_j) (time in interval j); Weibull with z_i = rho (log t_i - log sigma)
    + beta . x_i: dl_i/dlog sigma = -rho (e_i - H_i), dl_i/dlog rho = e_i (1 + u_i) - H_i u_i, u_i = rho (log t_i -
    log sigma)."""
    if isinstance(model_or_baseline, SurvivalModel):
        baseline, starts = model_or_baseline.baseline, model_or_baseline.breakpoints
    else:
        baseline = model_or_baseline
    t = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=float)
    x = np.asarray(design, dtype=float).reshape(t.size, -1)
    p = x.shape[1]
    lp = x @ theta[:p]
    if baseline == "piecewise":
        starts_arr = np.asarray(starts, dtype=float)
        widths = np.append(np.diff(starts_arr), np.inf)
        spent = np.clip(t[:, None] - starts_arr[None, :], 0.0, widths)
        inside = ((t[:, None] >= starts_arr) & (t[:, None] < starts_arr + widths)).astype(float)
        per_piece = spent * np.exp(theta[p:]) * np.exp(lp)[:, None]
        big_h = per_piece.sum(axis=1)
        terms = e * (inside @ theta[p:] + lp) - big_h
        base_scores = e[:, None] * inside - per_piece
    else:
        log_scale, log_rho = theta[p], theta[p + 1]
        rho = np.exp(log_rho)
        u = rho * (np.log(t) - log_scale)
        big_h = np.exp(u + lp)
        terms = e * (log_rho - np.log(t) + u + lp) - big_h
        base_scores = np.column_stack([-rho * (e - big_h), e * (1 + u) - big_h * u])
    return terms, np.column_stack([x * (e - big_h)[:, None], base_scores])


def fit_survival(durations: np.ndarray, events: np.ndarray, design: np.ndarray, covariates: Sequence[str],
                 baseline: str = "piecewise", breakpoints: Sequence[float] = DEFAULT_BREAKPOINTS,
                 penalizer: float = 0.0, groups: np.ndarray | None = None, min_events: int = 3) -> SurvivalModel:
    """Fit H(t | x) = H0(t) exp(beta . x) by penalised maximum likelihood (lifelines), with a cluster-robust
    covariance by ``groups`` (each case its own group if None).

    durations (m,) years > 0; events (m,) bool; design (m, p) covariates; penalizer >= 0 the ridge strength
    on the standardised betas (lifelines' convention: the objective is the mean negative log-likelihood plus
    penalizer/2 sum (beta_k sd_k)^2). Raises ValueError on bad input.
    """
    import pandas as pd
    durations = np.asarray(durations, dtype=float)
    events = np.asarray(events, dtype=bool)
    design = np.asarray(design, dtype=float).reshape(durations.size, -1)
    covariates = tuple(covariates)
    if baseline not in BASELINES:
        raise ValueError(f"baseline {baseline!r}: allowed {', '.join(BASELINES)}")
    if design.shape[1] != len(covariates):
        raise ValueError(f"design has {design.shape[1]} columns for {len(covariates)} covariates")
    if durations.size == 0 or not np.all(np.isfinite(durations)) or np.any(durations <= 0):
        raise ValueError("durations must be finite and > 0")
    if events.sum() < 2:
        raise ValueError(f"{int(events.sum())} events: a survival model needs at least 2")
    if penalizer < 0:
        raise ValueError("penalizer must be >= 0")
    p = len(covariates)
    notes = []
    if baseline == "piecewise":
        starts = merge_breakpoints(durations, events, breakpoints, min_events)
        asked = (0.0, *sorted(float(b) for b in breakpoints if b > 0))
        if starts != asked:
            notes.append(f"breakpoints {', '.join(f'{b:g}' for b in asked[1:])} merged to "
                         f"{', '.join(f'{b:g}' for b in starts[1:]) or 'none'} (each interval needs "
                         f"{min_events} events)")
        base_names = tuple(f"log_rate_{_interval_label(starts, j)}" for j in range(len(starts)))
        base_params = [f"r{j:02d}_" for j in range(len(starts))]
    else:
        starts = ()
        base_names, base_params = ("log_scale", "log_rho"), ["w0_log_scale_", "w1_log_rho_"]
    # A covariate constant in this sample (e.g. a filter fixed it) cannot be estimated: dropped from the fit,
    # its beta fixed at 0.
    varying = [k for k in range(p) if np.ptp(design[:, k]) > 0]
    cols = [f"x{k:03d}" for k in varying]  # zero-padded: lifelines sorts names
    frame = pd.DataFrame(design[:, varying], columns=cols)
    frame["T"], frame["E"], frame["_one"] = durations, events.astype(int), 1.0
    regressors: dict[str, list[str]] = {"beta_": cols} if cols else {}
    regressors.update({name: ["_one"] for name in base_params})
    pen = np.array([penalizer] * len(cols) + [0.0] * len(base_params))
    fitter = _lifelines_fitter(baseline, starts, pen if penalizer > 0 and cols else 0.0, bool(cols))
    converged = True
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fitter.fit(frame, "T", "E", regressors=regressors)
        except Exception as exc:  # noqa: BLE001 - lifelines raises ConvergenceError and numerical errors alike
            raise ValueError(f"the survival fit did not converge: {str(exc).splitlines()[0]}") from None
    if any("converge" in str(w.message).lower() for w in caught):
        converged = False
    fitted = fitter.params_
    theta = np.zeros(p + len(base_params))
    for k, name in zip(varying, cols):
        theta[k] = float(fitted[("beta_", name)])
    for j, name in enumerate(base_params):
        theta[p + j] = float(fitted[(name, "_one")])
    # lifelines' covariance of its parameters, in our order; fixed betas get zero variance
    order = [("beta_", c) for c in cols] + [(name, "_one") for name in base_params]
    v_fit = fitter.variance_matrix_.loc[order, order].to_numpy()
    free = np.array(varying + list(range(p, p + len(base_params))))
    v_model = np.zeros((len(theta), len(theta)))
    v_model[np.ix_(free, free)] = v_fit
    terms, scores = log_likelihood_terms(baseline, theta, durations, events, design, starts)
    log_lik = float(np.sum(terms))
    scores = scores[:, free]
    group_ids = np.arange(durations.size) if groups is None else np.unique(np.asarray(groups), return_inverse=True)[1]
    n_groups = int(group_ids.max()) + 1
    summed = np.zeros((n_groups, free.size))
    np.add.at(summed, group_ids, scores)
    meat = summed.T @ summed
    factor = n_groups / (n_groups - 1) if n_groups > 1 else 1.0
    v_robust = np.zeros_like(v_model)
    v_robust[np.ix_(free, free)] = factor * v_fit @ meat @ v_fit
    names = tuple(f"beta_{c}" for c in covariates) + base_names
    return SurvivalModel(baseline, covariates, names, theta, v_robust, v_model, tuple(starts), int(durations.size),
                         int(events.sum()), n_groups, log_lik, float(penalizer), converged, tuple(notes))


def _interval_label(starts: Sequence[float], j: int) -> str:
    hi = f"{starts[j + 1]:g}" if j + 1 < len(starts) else "inf"
    return f"{starts[j]:g}_{hi}y"


def cox_hazard_ratios(durations: np.ndarray, events: np.ndarray, design: np.ndarray, covariates: Sequence[str],
                      penalizer: float = 0.0, groups: np.ndarray | None = None, alpha: float = 0.05
                      ) -> dict[str, tuple[float, float, float]]:
    """Cox (1972) partial-likelihood hazard ratios with cluster-robust intervals (lifelines CoxPHFitter, the
    same ridge convention): a check on the parametric model's betas free of any baseline shape."""
    import pandas as pd
    from lifelines import CoxPHFitter

    design = np.asarray(design, dtype=float)
    frame = pd.DataFrame(design, columns=list(covariates))
    frame = frame.loc[:, [c for c in covariates if np.ptp(frame[c]) > 0]]
    frame["T"], frame["E"] = np.asarray(durations, dtype=float), np.asarray(events, dtype=int)
    kwargs = {}
    if groups is not None:
        frame["_group"] = np.asarray(groups).astype(str)
        kwargs["cluster_col"] = "_group"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cph = CoxPHFitter(penalizer=penalizer, alpha=alpha).fit(frame, "T", "E", **kwargs)
    z = stats.norm.ppf(1 - alpha / 2)
    out = {}
    for name in covariates:
        if name in cph.params_.index:
            b, se = float(cph.params_[name]), float(cph.standard_errors_[name])
            out[name] = (math.exp(b), math.exp(b - z * se), math.exp(b + z * se))
    return out


# ----------------------------------------------------------------------- the settlement's interface

class Provision(NamedTuple):
    """A settlement provision's reading on the record: the reference model's ``covariate`` (None: the record has
    none for it), the ``reason``, and whether the record ``identifies`` its effect: "yes" (the record codes this
    provision), "partly" (it codes a wider or a related provision: the effect is that of the coded one), "no"
    (not coded: no effect from the record)."""

    covariate: str | None
    reason: str
    identifies: str


#: Named provisions of a settlement -> their reading on the record. Values given to ``provision_design`` are in
#: [0, 1] (the share of the provision in force, or 0/1); provisions read as one covariate combine by their
#: maximum. A provision with no covariate changes no hazard and ``unused_provisions`` lists it, so that the
#: brief can say the record is silent on it rather than borrow a wrong proxy.
PROVISIONS: dict[str, Provision] = {
    "ceasefire": Provision("ceasefire", "UCDP cease: the agreement contains a ceasefire provision", "yes"),
    "peacekeepers": Provision("peacekeeping", "UCDP pko: a peacekeeping operation deployed under the agreement",
                              "yes"),
    "guarantor_troops": Provision(
        "peacekeeping", ("foreign troops deployed on the ground as a guarantee (not the coalition dimension "
                         "foreign_troops, whose 1 means none): UCDP pko codes a peacekeeping operation, a third "
                         "party's forces deployed under the agreement; a guarantor's troops are a third party's "
                         "forces but not a neutral one's, so the record's effect is that of peacekeepers"), "partly"),
    "withdrawal": Provision("withdrawal", ("UCDP withd: withdrawal of foreign forces from the territory (e.g. an "
                                           "occupying state's troops leaving)"), "yes"),
    "demilitarised_zone": Provision(
        None, ("UCDP does not code demilitarised zones (the parties' own forces pulled back from a line); withd is "
               "the withdrawal of foreign forces, a different provision whose association on the record (hazard "
               "ratio about 1.3-1.6) runs opposite to Fortna's (2004) finding for DMZs: no effect from the record"),
        "no"),
    "implementation_commission": Provision("commission", "UCDP co_impl: a commission or committee to oversee "
                                                         "implementation (Fortna's joint commissions)", "yes"),
    "third_party_guarantors": Provision(
        None, ("UCDP pa_3rd names the third parties of an agreement, mostly mediators and witnesses, with no "
               "separate code for a guarantor: no effect of a guarantee from the record (third_parties_named reads "
               "pa_3rd as what it is)"), "no"),
    "third_parties_named": Provision("third_party", "UCDP pa_3rd not empty: third parties (mediators, witnesses, "
                                                    "guarantors) named in the agreement", "yes"),
    "full_agreement": Provision("full", "UCDP pa_type 1: the agreement settles the whole incompatibility", "yes"),
    "territorial": Provision("territorial", "UCDP incompatibility 1 or 3: a conflict over territory", "yes"),
    "decisive_victory": Provision("decisive", "COW outcomes: one state of the pair won, the other lost", "yes"),
    "post1945": Provision("post1945", "COW: the war ended in 1945 or later", "yes"),
}


def provision_design(model: SurvivalModel, provisions: Mapping[str, np.ndarray | float], n: int) -> np.ndarray:
    """The design (n, p) for per-trial provision values: each value a scalar or an (n,) array in [0, 1].

    A covariate no named provision maps to is 0 (the provision is absent); a provision the record does not code
    (``PROVISIONS``: covariate None) or whose covariate the model does not have (e.g. a UCDP provision with the
    COW model) is ignored: ``unused_provisions`` lists them.
    ValueError for an unknown name or a value outside [0, 1].
    """
    design = np.zeros((n, model.p))
    index = {c: k for k, c in enumerate(model.covariates)}
    for name, value in provisions.items():
        if name not in PROVISIONS:
            raise ValueError(f"unknown provision {name!r}; allowed: {', '.join(PROVISIONS)}")
        v = np.broadcast_to(np.asarray(value, dtype=float), (n,))
        if np.any(v < 0) or np.any(v > 1) or not np.all(np.isfinite(v)):
            raise ValueError(f"provision {name!r}: values must be in [0, 1]")
        column = PROVISIONS[name].covariate
        if column not in index:
            continue
        k = index[column]
        np.maximum(design[:, k], v, out=design[:, k])
    return design


def unused_provisions(model: SurvivalModel, provisions: Mapping[str, object]) -> list[str]:
    """The named provisions that do not change this model's hazard: the record has no covariate for them
    (``PROVISIONS[name].identifies == "no"``, e.g. a demilitarised zone) or this model does not use theirs."""
    return [name for name in provisions if name in PROVISIONS and PROVISIONS[name].covariate not in model.covariates]


def draw_coefficients(model: SurvivalModel, normals: np.ndarray) -> np.ndarray:
    """Coefficient vectors theta = coef + L z from the fit's (normal, cluster-robust) sampling distribution,
    for standard normals z (n, q): (n, q). The caller owns the randomness. L L' = ``model.cov``: the honest
    covariance of the estimate when the model was fitted unpenalised (the reference models are)."""
    z = np.asarray(normals, dtype=float)
    if z.ndim != 2 or z.shape[1] != len(model.coef):
        raise ValueError(f"normals must have shape (n, {len(model.coef)})")
    return model.coef + z @ model.chol().T


def yearly_hazard(model: SurvivalModel, design: np.ndarray, coef: np.ndarray | None, years: int) -> np.ndarray:
    """The discrete yearly hazard h0(t) = 1 - S(t) / S(t - 1), t = 1..years, for each trial: (n, years).

    design (n, p) from ``provision_design``; coef None (the fit), (q,) or (n, q) from ``draw_coefficients``.
    """
    times = np.arange(years + 1, dtype=float)
    big_h = model.cumulative_hazard(design, times, coef)
    return -np.expm1(-np.diff(big_h, axis=1))


# -------------------------------------------------------------------------------------- scoring


def concordance(durations: np.ndarray, events: np.ndarray, predicted_survival: np.ndarray) -> float:
    """Harrell's C: the share of comparable pairs in which the case that ended first had the lower predicted
    survival (ties in prediction count one half); 0.5 is chance (lifelines.utils.concordance_index)."""
    from lifelines.utils import concordance_index

    return float(concordance_index(np.asarray(durations, dtype=float), np.asarray(predicted_survival, dtype=float),
                                   np.asarray(events, dtype=bool)))


def ipcw_weights(durations: np.ndarray, events: np.ndarray, horizon: float) -> tuple[np.ndarray, np.ndarray]:
    """Graf et al. (1999) weights at ``horizon``: (weights (m,), alive (m,) 0/1).

    A case that ended by the horizon weighs 1 / G(T_i-), one still at peace after it 1 / G(horizon), one
    censored before it 0; G is the Kaplan-Meier estimate of the censoring distribution of these cases
    (censoring as the event). NaN weights if G(horizon) = 0 (no case is followed that long)."""
    from lifelines import KaplanMeierFitter

    t = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=bool)
    censor = KaplanMeierFitter().fit(t, ~e)
    curve = censor.survival_function_.iloc[:, 0]
    grid, values = curve.index.to_numpy(dtype=float), curve.to_numpy(dtype=float)

    def g_before(x: np.ndarray) -> np.ndarray:  # G(x-): the step value strictly before x
        idx = np.searchsorted(grid, x, side="left") - 1
        return np.where(idx >= 0, values[np.clip(idx, 0, None)], 1.0)

    idx_h = np.searchsorted(grid, horizon, side="right") - 1
    g_h = values[idx_h] if idx_h >= 0 else 1.0
    died = (t <= horizon) & e
    alive = t > horizon
    if g_h <= 0:
        return np.full(t.shape, np.nan), alive.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(died, 1.0 / g_before(t), np.where(alive, 1.0 / g_h, 0.0))
    return w, alive.astype(float)


def ipcw_losses(durations: np.ndarray, events: np.ndarray, predicted_survival: np.ndarray,
                horizon: float) -> np.ndarray:
    """Per-case Brier losses w_i (1{T_i > horizon} - S_i(horizon))^2 with the weights of ``ipcw_weights``:
    (m,); their mean is the Graf et al. (1999) Brier score (so differences can be paired case by case)."""
    w, alive = ipcw_weights(durations, events, horizon)
    return w * (alive - np.asarray(predicted_survival, dtype=float)) ** 2


def brier_ipcw(durations: np.ndarray, events: np.ndarray, predicted_survival: np.ndarray,
               horizon: float) -> float:
    """Graf et al. (1999) Brier score at ``horizon`` with inverse probability of censoring weights (see the
    module docstring): predicted_survival (m,) = S_i(horizon). NaN if no case is followed to the horizon."""
    return float(np.mean(ipcw_losses(durations, events, predicted_survival, horizon)))
