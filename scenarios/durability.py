"""Durability on the record: how long peace lasts after war (MODELS.md section 3, the outside view).

Wires ``model/survival.py`` to the shipped reference data (``scenarios/reference.py`` reads them):

* ``calibrate`` (``accord calibrate durability FILE``): Kaplan-Meier overall and by provision, the
  proportional-hazards model with a duration-dependent baseline (piecewise-constant by default, Weibull for
  comparison), hazard ratios with cluster-robust intervals beside a Cox check, the shape of the hazard, and
  survival at 1, 2, 5 and 10 years with intervals; a figure of the curves;
* ``backtest`` (``accord backtest durability``): fit on one table, predict another, and score the model and
  the training set's Kaplan-Meier curve alike (concordance, IPCW Brier scores);
* the settlement's reference class: ``reference_model(dataset, filter)`` fits once per process and caches;
  ``reference_survival`` gives the class's Kaplan-Meier survival at chosen years for the brief.

**Default covariates: fixed in advance, from theory, never selected on the record.** Fortna (2003, 2004)
argues that strong agreements make peace last by raising the cost of attacking, reducing uncertainty and
managing accidents, through four provisions: demilitarised zones, peacekeepers, third-party guarantees and
joint commissions (MODELS.md section 3; issue 14, step 3). The default UCDP model takes those of the four that
the UCDP record codes with the meaning the theory gives them: ``peacekeeping`` (``pko``) and ``commission``
(``co_impl``). The record does not code demilitarised zones (``withd`` is the withdrawal of foreign forces) nor
guarantors (``pa_3rd`` names mediators and witnesses with them), so those two have no covariate
(``model.survival.PROVISIONS``). No provision is kept or dropped for its estimated sign or for a score; a
provision with a hazard ratio above 1 (peacekeeping, on this record: the hardest conflicts get peacekeepers)
stays in. For COW pairs: ``decisive`` (a decisive outcome; Fortna 2004 finds decisive victories more stable)
and ``post1945``. Any coded covariate can be fitted with ``covariates``; ``calibrate`` prints every one.

(An earlier default, full agreement and commission, was chosen by cross-validation on the whole file and by
the very time split whose scores it then reported; that choice is withdrawn.)

**Unpenalised by default.** The default fit is plain maximum likelihood (``penalizer`` 0), so the
cluster-robust intervals and the covariance ``draw_coefficients`` passes to the settlement are those of what is
estimated. A ridge penalty (``--penalty``) shrinks the coefficients; its sandwich intervals are then labelled
as intervals around a penalised estimate (they are narrower than the uncertainty of the effect).

**What the record can and cannot say** (the README's durability section says it to the analyst): the UCDP
agreements are mostly intrastate and ``ended`` is the end of the agreement, not of the peace; COW pairs count
only wars above 1,000 battle deaths between principal belligerents, and miss cease-fires that failed inside
one COW war; neither is the reference class of an inter-state settlement in the narrow sense.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from model import calibration as cal
from model import survival as sv
from model.stats import wilson_interval
from scenarios import backtest as B
from scenarios import plots
from scenarios.config import ConfigError
from scenarios.reference import Spells, filter_spells, read_spells
from scenarios.results import Report, Table

ROOT = Path(__file__).resolve().parent.parent

#: Reference datasets shipped under configs/reference/ (README there: provenance and citations).
DATASETS: dict[str, str] = {
    "ucdp_peace_agreements": "configs/reference/peace_agreements_ucdp_v22.1_1975_2011.csv",
    "cow_interstate_wars": "configs/reference/cow_interstate_wars_v4.0.csv",
}

#: Default model per kind of spell table: covariates (fixed in advance: module docstring), piecewise breakpoints
#: (years), ridge penalty (0: unpenalised, so the robust covariance is honest for what is estimated).
DEFAULTS: dict[str, dict[str, Any]] = {
    "ucdp": {"covariates": ("peacekeeping", "commission"), "breakpoints": (1.0, 2.0, 5.0, 10.0), "penalizer": 0.0},
    "cow": {"covariates": ("decisive", "post1945"), "breakpoints": (5.0, 10.0, 20.0, 40.0), "penalizer": 0.0},
    "table": {"covariates": None, "breakpoints": (1.0, 2.0, 5.0, 10.0), "penalizer": 0.0},
}

HORIZONS = (1, 2, 5, 10)
INTERVAL_DRAWS = 4000  # coefficient draws for the model's survival intervals (fixed seed: reproducible)


def dataset_path(name: str) -> Path:
    """The shipped CSV of a reference dataset; ConfigError naming the allowed names."""
    if name not in DATASETS:
        raise ConfigError(f"unknown reference dataset {name!r}; allowed: {', '.join(DATASETS)}", None, None,
                          "settlement.reference.dataset")
    return ROOT / DATASETS[name]


def resolve_covariates(spells: Spells, covariates: Sequence[str] | None) -> tuple[str, ...]:
    """The covariates to fit: as asked (each must be coded in the table), else the dataset's default."""
    if covariates is None:
        default = DEFAULTS[spells.dataset]["covariates"]
        return tuple(default) if default is not None else tuple(spells.covariates)
    names = tuple(covariates)
    unknown = [c for c in names if c not in spells.covariates]
    if unknown:
        raise ConfigError(f"covariate {unknown[0]!r} is not coded in {spells.source}; allowed: "
                          f"{', '.join(spells.covariates) or 'none'}", spells.source, None, "covariates")
    return names


def fit(spells: Spells, covariates: Sequence[str] | None = None, baseline: str = "piecewise",
        penalizer: float | None = None) -> sv.SurvivalModel:
    """Fit the PH model to spells (cluster-robust by their groups); ModelError-free: bad data -> ConfigError."""
    names = resolve_covariates(spells, covariates)
    pen = DEFAULTS[spells.dataset]["penalizer"] if penalizer is None else penalizer
    try:
        return sv.fit_survival(spells.durations, spells.events, spells.design(names), names, baseline=baseline,
                               breakpoints=DEFAULTS[spells.dataset]["breakpoints"], penalizer=pen,
                               groups=spells.groups)
    except ValueError as exc:
        raise ConfigError(str(exc), spells.source) from None


# --------------------------------------------------------------------------- the settlement's API


def _freeze(spec: dict[str, Any] | None) -> tuple:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in (spec or {}).items()))


@functools.lru_cache(maxsize=16)
def _reference(dataset: str, frozen: tuple, covariates: tuple[str, ...] | None) -> tuple[Spells, sv.SurvivalModel]:
    spells = filter_spells(read_spells(dataset_path(dataset)),
                           {k: list(v) if isinstance(v, tuple) else v for k, v in frozen},
                           "settlement.reference.filter")
    return spells, fit(spells, covariates)


def reference_model(dataset: str, filter: dict[str, Any] | None = None,
                    covariates: Sequence[str] | None = None) -> sv.SurvivalModel:
    """The fitted reference-class model for a shipped dataset (``DATASETS``) and filter
    (``scenarios.reference.filter_spells``: ``years: [first, last]`` and covariate: 0/1), fitted once per
    process and cached. Its ``coef`` / ``cov`` feed ``model.survival.draw_coefficients``; its covariates are
    the dataset's defaults (``DEFAULTS``) unless given (a covariate the filter fixes keeps beta = 0).

    Example: ``m = reference_model("ucdp_peace_agreements", {"years": [1989, 2011]})``, then per chunk
    ``x = model.survival.provision_design(m, {"implementation_commission": 1.0}, n)``,
    ``theta = model.survival.draw_coefficients(m, z)``, ``h0 = model.survival.yearly_hazard(m, x, theta, 10)``.
    """
    return _reference(dataset, _freeze(filter), tuple(covariates) if covariates is not None else None)[1]


def reference_spells(dataset: str, filter: dict[str, Any] | None = None) -> Spells:
    """The (cached) spells of a reference class."""
    return _reference(dataset, _freeze(filter), None)[0]


def reference_survival(dataset: str, filter: dict[str, Any] | None = None, years: Sequence[float] = HORIZONS,
                       alpha: float = 0.05) -> dict[str, Any]:
    """The reference class alone, for the brief: Kaplan-Meier survival at ``years`` with its interval, the
    class size, its events and the censoring date, e.g. ``{"years": [1, 2], "survival": [...], "lower": [...],
    "upper": [...], "n": 303, "events": 116, "censored_at": "2014-12-31", "dataset": ..., "filter": ...}``."""
    spells = reference_spells(dataset, filter)
    km = sv.kaplan_meier(spells.durations, spells.events, alpha)
    s, lo, hi = km.at(years)
    return {"dataset": dataset, "filter": filter or {}, "years": list(years), "survival": s.tolist(),
            "lower": lo.tolist(), "upper": hi.tolist(), "n": spells.n, "events": int(spells.events.sum()),
            "censored_at": str(spells.coverage_end) if spells.coverage_end else None}


# ----------------------------------------------------------------------------------- calibrate


def _pct(x: float) -> str:
    return "n/a" if not math.isfinite(x) else f"{100 * x:.1f}%"


def _profiles(model: sv.SurvivalModel) -> list[tuple[str, np.ndarray]]:
    """Provision profiles to print: none, each alone, all (at most 2 + p rows)."""
    p = model.p
    rows = [("none (every covariate 0)", np.zeros(p))]
    for k, name in enumerate(model.covariates):
        x = np.zeros(p)
        x[k] = 1.0
        rows.append((f"{name} only" if p > 1 else name, x))
    if p > 1:
        rows.append(("all of " + ", ".join(model.covariates), np.ones(p)))
    return rows


def model_survival_intervals(model: sv.SurvivalModel, design: np.ndarray, times: Sequence[float],
                             alpha: float = 0.05, draws: int = INTERVAL_DRAWS, seed: int = 0
                             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Model survival (n, k) at the fit and its (1 - alpha) interval from ``draws`` coefficient draws."""
    z = np.random.default_rng(seed).standard_normal((draws, len(model.coef)))
    theta = sv.draw_coefficients(model, z)
    point = model.survival(design, times)
    sims = np.stack([model.survival(design, times, np.broadcast_to(t, (design.shape[0], t.size))) for t in theta])
    lo, hi = np.quantile(sims, [alpha / 2, 1 - alpha / 2], axis=0)
    return point, lo, hi


def calibrate(path: str | Path, covariates: Sequence[str] | None = None, baseline: str = "piecewise",
              penalizer: float | None = None, alpha: float = 0.05) -> Report:
    """``accord calibrate durability``: the record of how long peace lasted in a spell table."""
    spells = read_spells(path)
    model = fit(spells, covariates, baseline, penalizer)
    other = fit(spells, model.covariates, "weibull" if baseline == "piecewise" else "piecewise", model.penalizer)
    all_names = tuple(spells.covariates)
    full_model = fit(spells, all_names, baseline, model.penalizer) if set(all_names) != set(model.covariates) \
        else model
    cox = sv.cox_hazard_ratios(spells.durations, spells.events, spells.design(all_names), all_names,
                               model.penalizer, spells.groups, alpha)
    km = sv.kaplan_meier(spells.durations, spells.events, alpha)
    conf = round(100 * (1 - alpha))
    years = [h for h in HORIZONS]
    s, lo, hi = km.at(years)
    what = {"ucdp": "peace agreements", "cow": "pairs of states after an inter-state war", "table": "spells"}
    lines = [f"Durability of peace in {spells.source}: {spells.n} {what[spells.dataset]}, "
             f"{int(spells.events.sum())} ended, {spells.n - int(spells.events.sum())} censored"
             + (f" at {spells.coverage_end}." if spells.coverage_end else ".")]
    lines += [f"  rule: {r}" for r in spells.rules]
    lines += [f"  note: {n}" for n in spells.notes]
    lines += ["", f"Kaplan-Meier survival ({conf}% interval, log-log Greenwood):",
              f"  {'group':<28} {'n':>4} {'ended':>5}  " + "  ".join(f"{str(y) + ' y':>20}" for y in years)]
    km_rows = []

    def km_line(label: str, mask: np.ndarray) -> None:
        k = sv.kaplan_meier(spells.durations[mask], spells.events[mask], alpha)
        ks, kl, kh = k.at(years)
        cells = [f"{_pct(a)} ({_pct(b)}-{_pct(c)})" if y <= k.last_time() else "n/a" for y, a, b, c in
                 zip(years, ks, kl, kh)]
        lines.append(f"  {label:<28} {int(mask.sum()):>4} {int(spells.events[mask].sum()):>5}  "
                     + "  ".join(f"{c:>20}" for c in cells))
        km_rows.extend([label, int(mask.sum()), int(spells.events[mask].sum()), y, float(a), float(b), float(c)]
                       for y, a, b, c in zip(years, ks, kl, kh))

    km_line("all", np.ones(spells.n, dtype=bool))
    for name in all_names:
        x = spells.covariates[name]
        for v in (1.0, 0.0):
            if np.any(x == v):
                km_line(f"{name} = {int(v)}", x == v)

    hr, hlo, hhi = model.hazard_ratios(alpha)
    fhr, flo, fhi = full_model.hazard_ratios(alpha)
    clusters = {"ucdp": "conflicts", "cow": "wars and pairs linked by shared spells"}.get(spells.dataset, "groups")
    fitted = ("unpenalised maximum likelihood" if model.penalizer == 0 else
              f"ridge penalty {model.penalizer:g} on the standardised coefficients (PENALISED: the intervals are "
              "sandwiches around the shrunk estimate, narrower than the uncertainty of the effect; not confidence "
              "intervals)")
    lines += ["", (f"Proportional-hazards model, {baseline} baseline, {fitted}; {conf}% intervals cluster-robust over "
                   f"{model.n_groups} groups ({clusters}). "
                   + ("Covariates: the default, fixed in advance from theory (Fortna 2003, 2004), not selected on this "
                      "record." if covariates is None else "Covariates as asked.")),
              (f"  hazard ratios (below 1: peace lasts longer)   {'default model':>22}  "
              f"{'all coded provisions':>22}  {'Cox check (all)':>22}")]
    hr_rows = []
    for k, name in enumerate(all_names):
        in_default = name in model.covariates
        j = model.covariates.index(name) if in_default else -1
        d = f"{hr[j]:.2f} ({hlo[j]:.2f}-{hhi[j]:.2f})" if in_default else "-"
        f = f"{fhr[k]:.2f} ({flo[k]:.2f}-{fhi[k]:.2f})"
        c = cox.get(name)
        ctext = f"{c[0]:.2f} ({c[1]:.2f}-{c[2]:.2f})" if c else "-"
        lines.append(f"  {name:<44} {d:>22}  {f:>22}  {ctext:>22}")
        hr_rows.append([name, in_default, float(hr[j]) if in_default else float("nan"),
                        float(hlo[j]) if in_default else float("nan"), float(hhi[j]) if in_default else float("nan"),
                        float(fhr[k]), float(flo[k]), float(fhi[k]),
                        *(c if c else (float("nan"),) * 3)])
    lines += ["", "Shape of the hazard:"]
    pw = model if baseline == "piecewise" else other
    wb = other if baseline == "piecewise" else model
    rates, rlo, rhi = pw.baseline_rates(alpha)
    shape_rows = []
    for j, start in enumerate(pw.breakpoints):
        end = f"{pw.breakpoints[j + 1]:g}" if j + 1 < len(pw.breakpoints) else "on"
        lines.append(f"  years {f'{start:g}-{end}':<8} yearly hazard {rates[j]:.3f} ({rlo[j]:.3f}-{rhi[j]:.3f}) "
                     "with every covariate 0")
        shape_rows.append([f"{start:g}-{end}", float(rates[j]), float(rlo[j]), float(rhi[j])])
    rho, rho_lo, rho_hi = wb.shape(alpha)
    trend = "falls" if rho_hi < 1 else "rises" if rho_lo > 1 else "neither rises nor falls clearly"
    lines.append(f"  Weibull shape rho {rho:.2f} ({rho_lo:.2f}-{rho_hi:.2f}): the hazard {trend} with time; "
                 f"AIC piecewise {pw.aic:.1f}, Weibull {wb.aic:.1f} (lower fits better)")
    lines += [f"  note: {n}" for n in model.notes + other.notes]

    profiles = _profiles(model)
    design = np.array([x for _, x in profiles])
    point, plo, phi = model_survival_intervals(model, design, years, alpha)
    lines += ["", f"Model survival ({conf}% interval from {INTERVAL_DRAWS:,} draws of the coefficients):",
              f"  {'provisions':<39} " + "  ".join(f"{str(y) + ' y':>20}" for y in years)]
    surv_rows = []
    for i, (label, _) in enumerate(profiles):
        cells = [f"{_pct(point[i, k])} ({_pct(plo[i, k])}-{_pct(phi[i, k])})" for k in range(len(years))]
        lines.append(f"  {label:<39} " + "  ".join(f"{c:>20}" for c in cells))
        surv_rows.extend([label, y, float(point[i, k]), float(plo[i, k]), float(phi[i, k])]
                         for k, y in enumerate(years))
    data = {
        "table": str(spells.source), "dataset": spells.dataset, "n": spells.n, "events": int(spells.events.sum()),
        "censored_at": str(spells.coverage_end) if spells.coverage_end else None, "rules": list(spells.rules),
        "notes": list(spells.notes), "baseline": baseline, "penalizer": model.penalizer,
        "intervals": "cluster-robust, unpenalised" if model.penalizer == 0 else "cluster-robust around a penalised fit",
        "covariates": list(model.covariates), "covariates_fixed_in_advance": covariates is None,
        "kaplan_meier": {str(y): {"survival": float(a), "lower": float(b), "upper": float(c)}
                         for y, a, b, c in zip(years, s, lo, hi)},
        "hazard_ratios": {r[0]: {"default": None if not r[1] else [r[2], r[3], r[4]], "all": r[5:8],
                                 "cox": r[8:11]} for r in hr_rows},
        "coefficients": dict(zip(model.names, model.coef.tolist())),
        "covariance": model.cov.tolist(),
        "hazard_shape": {"piecewise": {r[0]: r[1:] for r in shape_rows}, "weibull_rho": [rho, rho_lo, rho_hi],
                         "aic": {"piecewise": pw.aic, "weibull": wb.aic}},
        "model_survival": {label: {str(y): [float(point[i, k]), float(plo[i, k]), float(phi[i, k])]
                                   for k, y in enumerate(years)} for i, (label, _) in enumerate(profiles)},
    }
    tables = {
        "kaplan_meier": Table(["group", "n", "ended", "years", "survival", "lower", "upper"], km_rows),
        "hazard_ratios": Table(["covariate", "in_default_model", "hr", "lower", "upper", "hr_all", "lower_all",
                                "upper_all", "hr_cox", "lower_cox", "upper_cox"], hr_rows),
        "hazard_shape": Table(["years", "yearly_hazard", "lower", "upper"], shape_rows),
        "model_survival": Table(["profile", "years", "survival", "lower", "upper"], surv_rows),
        "coefficients": Table(["name", "coef", "se", *model.names],
                              [[n, float(c), float(e), *row.tolist()] for n, c, e, row in
                               zip(model.names, model.coef, model.se, model.cov)]),
    }
    figure = curves_figure(spells, km, model, profiles, alpha)
    return Report(kind="calibrate-durability", text="\n".join(lines), data=data, tables=tables,
                  figures={"durability": figure},
                  inputs={"table": str(spells.source), "covariates": list(model.covariates), "baseline": baseline,
                          "penalizer": model.penalizer})


def curves_figure(spells: Spells, km: sv.KaplanMeier, model: sv.SurvivalModel,
                  profiles: list[tuple[str, np.ndarray]], alpha: float):
    """Kaplan-Meier (with its band) and the model's curves for each provision profile."""
    fig = plots.figure((13.0, 5.0))
    ax = fig.add_subplot(1, 2, 1)
    ax.step(km.timeline, km.survival, where="post", color="black", lw=2, label=f"Kaplan-Meier, all (n={km.n})")
    ax.fill_between(km.timeline, km.lower, km.upper, step="post", color="grey", alpha=0.3,
                    label=f"{round(100 * (1 - alpha))}% interval")
    t_max = min(km.last_time(), 30.0)
    grid = np.linspace(0.0, t_max, 300)
    colours = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown", "tab:pink",
               "tab:olive", "tab:cyan"]
    for (label, x), colour in zip(profiles, colours):
        ax.plot(grid, model.survival(x[None, :], grid)[0], color=colour, lw=1.4, ls="--", label=f"model: {label}")
    ax.set_xlim(0, t_max)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("years since peace began")
    ax.set_ylabel("share of spells still at peace")
    censor = f"; censored at {spells.coverage_end}" if spells.coverage_end else ""
    ax.set_title(f"How long peace lasted: {Path(spells.source).name} ({spells.n} spells, "
                 f"{int(spells.events.sum())} ended{censor})", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    by = fig.add_subplot(1, 2, 2, sharey=ax)
    for name, colour in zip(model.covariates, colours[1:]):
        for value, style in ((1.0, "-"), (0.0, ":")):
            mask = spells.covariates[name] == value
            if mask.sum() < 2:
                continue
            k = sv.kaplan_meier(spells.durations[mask], spells.events[mask], alpha)
            by.step(k.timeline, k.survival, where="post", color=colour, ls=style, lw=1.5,
                    label=f"{name} = {int(value)} (n={k.n})")
    by.set_xlim(0, t_max)
    by.set_xlabel("years since peace began")
    by.set_title("Kaplan-Meier by provision in the model", fontsize=9)
    by.grid(alpha=0.3)
    by.legend(fontsize=7, loc="lower left")
    return fig


# ------------------------------------------------------------------------------------ backtest
# `accord backtest durability`: the conventions of scenarios/backtest.py (issue 13: predictions, scores and
# reliability tables, a reliability figure, the model against a reference forecast with a paired difference
# clustered by group), with the scores a survival forecast needs: the concordance index, and at each horizon
# the IPCW Brier score (Graf et al. 1999), for the model and for the training set's Kaplan-Meier curve.

RELIABILITY_BINS = 10


def _predict(train: Spells, test: Spells, horizons: Sequence[float], covariates: Sequence[str] | None,
             baseline: str, penalizer: float | None) -> tuple[sv.SurvivalModel, np.ndarray, np.ndarray]:
    model = fit(train, covariates, baseline, penalizer)
    missing = [c for c in model.covariates if c not in test.covariates]
    if missing:
        raise ConfigError(f"the test table does not code {missing[0]!r}, which the model uses", test.source, None,
                          missing[0])
    km = sv.kaplan_meier(train.durations, train.events)
    pred_model = model.survival(test.design(model.covariates), horizons)
    pred_km = np.broadcast_to(km.at(horizons)[0], pred_model.shape).copy()
    return model, pred_model, pred_km


def score(test: Spells, horizons: Sequence[float], pred_model: np.ndarray, pred_km: np.ndarray) -> dict[str, Any]:
    """Scores of the model's and the Kaplan-Meier curve's predictions (m, H) of the test spells:
    ``{"model": {"concordance", "brier": {"1": ..}, "n"}, "kaplan_meier": {...}, "difference": {"1": {"mean",
    "se"}}, "followed": {"1": m_h}}``. The model's concordance ranks by its predicted survival (a PH model ranks
    the same at every horizon); the Kaplan-Meier curve predicts one value for all, so its concordance is 0.5."""
    out: dict[str, Any] = {"model": {"concordance": sv.concordance(test.durations, test.events, pred_model[:, -1]),
                                     "brier": {}, "n": test.n},
                           "kaplan_meier": {"concordance": 0.5, "brier": {}, "n": test.n},
                           "difference": {}, "followed": {}}
    for j, h in enumerate(horizons):
        key = f"{h:g}"
        lm = sv.ipcw_losses(test.durations, test.events, pred_model[:, j], h)
        lk = sv.ipcw_losses(test.durations, test.events, pred_km[:, j], h)
        out["model"]["brier"][key] = float(np.mean(lm))
        out["kaplan_meier"]["brier"][key] = float(np.mean(lk))
        d = cal.paired_difference(lm, lk, test.groups)
        out["difference"][key] = {"mean": d.mean, "se": d.se}
        out["followed"][key] = int(np.sum((test.durations > h) | test.events))
    return out


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def backtest(train_path: str | Path, test_path: str | Path | None = None, folds: int | None = None,
             horizons: Sequence[float] = (1, 2, 5), covariates: Sequence[str] | None = None,
             baseline: str = "piecewise", penalizer: float | None = None, seed: int = 0,
             split_year: int | None = None) -> Report:
    """``accord backtest durability``: fit on one table and predict another, or split one table in time
    (``split_year``: fit on the spells that began before it, predict those that began in it or later), or
    grouped K-fold cross-validation on one (no conflict or war on both sides of a split); score the model and
    the training Kaplan-Meier curve at each horizon."""
    if sum(x is not None for x in (test_path, folds, split_year)) != 1:
        raise ConfigError("give one of a test table (--test B.csv), cross-validation folds (--folds K) or a split "
                          "year (--split-year Y)", None, None, "--test/--folds/--split-year")
    horizons = sorted(float(h) for h in horizons)
    if not horizons or any(h <= 0 for h in horizons):
        raise ConfigError("horizons must be positive numbers of years", None, None, "--horizons")
    train = read_spells(train_path)
    if split_year is not None:
        later = train.start_year >= split_year
        if later.all() or not later.any():
            raise ConfigError(f"every spell began {'in or after' if later.all() else 'before'} {split_year}; a split "
                              f"year must leave spells on both sides ({train.start_year.min()}-"
                              f"{train.start_year.max()})", train.source, None, "--split-year")
        whole = train
        train, test = whole.subset(~later), whole.subset(later)
        train = replace(train, source=f"{whole.source} [began before {split_year}]")
        test = replace(test, source=f"{whole.source} [began {split_year} or later]")
        model, pred_model, pred_km = _predict(train, test, horizons, covariates, baseline, penalizer)
        fold = None
        mode = f"fitted on {train.source} ({train.n} spells), predicting {test.source} ({test.n} spells)"
        fits = [model]
    elif test_path is not None:
        test = read_spells(test_path)
        if train.dataset != test.dataset and "table" not in (train.dataset, test.dataset):
            raise ConfigError(f"the training table is {train.dataset} data and the test table {test.dataset} data; "
                              "give two tables of one kind", str(test_path))
        model, pred_model, pred_km = _predict(train, test, horizons, covariates, baseline, penalizer)
        fold = None
        mode = f"fitted on {train.source} ({train.n} spells), predicting {test.source} ({test.n} spells)"
        fits = [model]
    else:
        test = train
        groups = np.unique(train.groups).size
        if not 2 <= folds <= groups:
            raise ConfigError(f"{folds} folds need at least {folds} groups (a group is never split); the table has "
                              f"{groups}", train.source, None, "--folds")
        fold = cal.grouped_folds(train.groups, folds, seed)
        pred_model = np.empty((train.n, len(horizons)))
        pred_km = np.empty_like(pred_model)
        fits = []
        for k in range(folds):
            held = fold == k
            m, pm, pk = _predict(train.subset(~held), train.subset(held), horizons, covariates, baseline, penalizer)
            pred_model[held], pred_km[held] = pm, pk
            fits.append(m)
        model = fits[0]
        mode = (f"grouped {folds}-fold cross-validation on {train.source} ({train.n} spells, "
                f"{np.unique(train.groups).size} groups, none on both sides of a split; fold seed {seed})")
    scores = score(test, horizons, pred_model, pred_km)
    keys = [f"{h:g}" for h in horizons]
    lines = [f"Backtest of the durability of peace: {mode}.",
             f"Model: proportional hazards, {baseline} baseline, covariates {', '.join(model.covariates) or 'none'}, "
             + ("unpenalised" if model.penalizer == 0 else f"ridge penalty {model.penalizer:g}")
             + (f"; refitted in each of the {len(fits)} folds." if fold is not None else "."),
             ("Reference forecast: the training spells' Kaplan-Meier curve (the same survival for every case; the "
             "figures' base rate)."),
             "Brier scores weight each case by the inverse probability of its censoring (Graf et al. 1999); "
             + (f"test spells censored at {test.coverage_end}." if test.coverage_end else ""),
             "",
             f"{'forecast':<14} {'n':>5} {'concordance':>11}  " + "  ".join(f"{'Brier ' + k + ' y':>10}" for k in keys)]
    for name, label in (("model", "model"), ("kaplan_meier", "Kaplan-Meier")):
        sc = scores[name]
        lines.append(f"{label:<14} {sc['n']:>5} {sc['concordance']:>11.3f}  "
                     + "  ".join(f"{sc['brier'][k]:>10.3f}" for k in keys))
    diff_text = "; ".join(f"{k} y {d['mean']:+.3f} (s.e. {d['se']:.3f})" for k, d in scores["difference"].items())
    lines += ["", (f"Model minus Kaplan-Meier Brier, clustered by group ({np.unique(test.groups).size} groups): "
              f"{diff_text} (negative: the model is better)."),
              "Cases with a known status at each horizon: "
              + ", ".join(f"{k} y {scores['followed'][k]}" for k in keys) + f" of {test.n}."]
    better = [k for k, d in scores["difference"].items() if d["mean"] + 2 * d["se"] < 0]
    lines.append(
        f"Skill over the base rate: the model's Brier score is lower than Kaplan-Meier's by more than 2 s.e. at "
        f"{', '.join(k + ' y' for k in better)}." if better else
        "Skill over the base rate: NONE. At no horizon is the model's Brier score lower than the training Kaplan-"
        "Meier curve's by more than 2 s.e.: on these spells the covariates add no out-of-sample skill, and the "
        "base rate forecasts as well.")
    # tables in the framework's conventions
    pred_rows = []
    for i in range(test.n):
        row = [test.ids[i], test.groups[i], float(test.durations[i]), int(test.events[i])]
        for j, h in enumerate(horizons):
            status = "" if (test.durations[i] <= h and not test.events[i]) else int(test.durations[i] > h)
            row += [status, float(pred_model[i, j]), float(pred_km[i, j])]
        if fold is not None:
            row.append(int(fold[i]))
        pred_rows.append(row)
    pred_cols = ["case_id", "group", "years", "ended"]
    for k in keys:
        pred_cols += [f"at_peace_{k}y", f"model_{k}y", f"kaplan_meier_{k}y"]
    if fold is not None:
        pred_cols.append("fold")
    score_rows = []
    for name in ("model", "kaplan_meier"):
        for k in keys:
            d = scores["difference"][k]
            score_rows.append([name, k, test.n, scores["followed"][k], scores[name]["concordance"],
                               scores[name]["brier"][k], d["mean"] if name == "model" else float("nan"),
                               d["se"] if name == "model" else float("nan")])
    rel_rows, figures = [], {}
    edges = np.linspace(0.0, 1.0, RELIABILITY_BINS + 1)
    for j, (h, k) in enumerate(zip(horizons, keys)):
        bins = ipcw_reliability_bins(test.durations, test.events, pred_model[:, j], h, edges)
        rel_rows += [[k, float(edges[b]), float(edges[b + 1]), int(bins.count[b]), float(bins.mean_predicted[b]),
                      float(bins.observed[b]), float(bins.observed_lo[b]), float(bins.observed_hi[b])]
                     for b in range(RELIABILITY_BINS)]
        title = (f"Durability, {k} year{'s' if k != '1' else ''}: {'cross-validated' if fold is not None else 'test'} "
                 f"predictions, {int(bins.count.sum())} spells with a known status at {k} y")
        figures[f"reliability_{k}y"] = B.reliability_figure(
            bins, float(pred_km[0, j]) if fold is None else float(np.mean(pred_km[:, j])), title,
            f"S({k} y)", "at peace", (scores["model"]["brier"][k], scores["kaplan_meier"]["brier"][k]))
    tables = {
        "predictions": Table(pred_cols, pred_rows),
        "scores": Table(["forecast", "horizon_years", "n", "n_followed", "concordance", "brier",
                         "brier_minus_kaplan_meier", "difference_se"], score_rows),
        "reliability": Table(["horizon_years", "bin_low", "bin_high", "n", "mean_predicted", "observed",
                              "observed_lo95", "observed_hi95"], rel_rows),
    }
    data = {
        "model": {"concordance": scores["model"]["concordance"],
                  "brier": {k: _finite(v) for k, v in scores["model"]["brier"].items()}, "n": test.n},
        "kaplan_meier": {"concordance": 0.5,
                         "brier": {k: _finite(v) for k, v in scores["kaplan_meier"]["brier"].items()},
                         "n": test.n},
        "difference": {k: {"mean": _finite(d["mean"]), "se": _finite(d["se"])} for k, d in scores["difference"].items()},
        "followed": scores["followed"], "horizons": [float(h) for h in horizons],
        "skill_over_base_rate": [k for k, d in scores["difference"].items() if d["mean"] + 2 * d["se"] < 0],
        "kind": "durability", "mode": "folds" if fold is not None else "test", "train": train.source,
        "test": None if fold is not None else test.source, "covariates": list(model.covariates),
        "baseline": baseline, "penalizer": model.penalizer,
        "fits": [{"coefficients": dict(zip(m.names, m.coef.tolist())), "n": m.n, "events": m.n_events}
                 for m in fits],
    }
    return Report(kind="backtest-durability", text="\n".join(lines), data=data, tables=tables,
                  figures=figures,
                  inputs={"kind": "durability", "train": str(train_path),
                          "test": None if test_path is None else str(test_path), "folds": folds, "seed": seed,
                          "split_year": split_year,
                          "horizons": [float(h) for h in horizons], "covariates": list(model.covariates),
                          "baseline": baseline, "penalizer": model.penalizer})


def ipcw_reliability_bins(durations: np.ndarray, events: np.ndarray, predicted: np.ndarray, horizon: float,
                          edges: np.ndarray) -> cal.ReliabilityBins:
    """Reliability bins of predicted survival at ``horizon``: per bin of prediction, the spells with a known
    status at the horizon (ended by then, or followed past it), their mean prediction, and the observed share
    still at peace weighted by the inverse probability of censoring (Graf et al. 1999), with a Wilson interval
    on the bin's count."""
    w, alive = sv.ipcw_weights(durations, events, horizon)
    known = w > 0
    n_bins = len(edges) - 1
    index = np.clip(np.searchsorted(edges, predicted, side="left") - 1, 0, n_bins - 1)
    count = np.bincount(index[known], minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_p = np.bincount(index[known], weights=predicted[known], minlength=n_bins) / count
        weight = np.bincount(index[known], weights=w[known], minlength=n_bins)
        observed = np.bincount(index[known], weights=(w * alive)[known], minlength=n_bins) / weight
    lo, hi = wilson_interval(observed, count)
    empty = count == 0
    return cal.ReliabilityBins(edges, count, mean_p, observed, np.where(empty, np.nan, lo), np.where(empty, np.nan, hi))


class _Backtest:
    """The durability kind of ``accord backtest`` (scenarios/backtest.py): censored times of peace, so it
    scores itself (``run``) with the framework's folds, paired differences, reliability bins and figure."""

    name = "durability"
    title = "the durability of peace"
    outcome_label = "at peace"
    prediction_label = "S(horizon)"

    def run(self, train_path: Path, test_path: Path | None, folds: int | None, seed: int,
            options: dict[str, Any]) -> Report:
        return backtest(train_path, test_path, folds, options.get("horizons", (1, 2, 5)), options.get("covariates"),
                        options.get("baseline", "piecewise"), options.get("penalty"), seed, options.get("split_year"))


BACKTEST = _Backtest()
