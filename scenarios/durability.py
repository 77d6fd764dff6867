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

**Default covariates.** For peace agreements (UCDP) the predictive model uses two provisions, a full
agreement and an implementation commission, with ridge penalty 0.1: on the shipped file, grouped 5-fold
cross-validation by conflict gave out-of-fold log-likelihoods of -394.3 for these two, -394.8 to -395.9 for
all seven coded provisions (penalty 0.1-1) and -397.3 for the baseline alone; on the time split (fit
1975-1999, score 2000-2011) the two-provision model scored concordance 0.61 and Brier 0.140 / 0.175 / 0.201 at
1 / 2 / 5 years against 0.56 and 0.152 / 0.187 / 0.219 for all seven (the training Kaplan-Meier curve:
0.139 / 0.178 / 0.207). The other provisions (ceasefire, peacekeeping, withdrawal, third parties, territory)
do not carry a lower hazard on this record: their hazard ratios are printed by ``calibrate`` but left out of
the default prediction. For inter-state pairs (COW) both derived covariates (decisive outcome, post-1945).
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from model import survival as sv
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

#: Default model per kind of spell table: covariates, piecewise breakpoints (years), ridge penalty.
DEFAULTS: dict[str, dict[str, Any]] = {
    "ucdp": {"covariates": ("full", "commission"), "breakpoints": (1.0, 2.0, 5.0, 10.0), "penalizer": 0.1},
    "cow": {"covariates": ("decisive", "post1945"), "breakpoints": (5.0, 10.0, 20.0, 40.0), "penalizer": 0.1},
    "table": {"covariates": None, "breakpoints": (1.0, 2.0, 5.0, 10.0), "penalizer": 0.1},
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
    "upper": [...], "n": 303, "events": 116, "censored_at": "2021-12-31", "dataset": ..., "filter": ...}``."""
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
    rows = [("no provision", np.zeros(p))]
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
    lines += ["", (f"Proportional-hazards model, {baseline} baseline, ridge penalty {model.penalizer:g} on the "
              f"standardised coefficients; {conf}% intervals cluster-robust over {model.n_groups} groups "
              f"({'conflicts' if spells.dataset == 'ucdp' else 'wars' if spells.dataset == 'cow' else 'groups'})."),
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
                     "with no provision")
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
        "covariates": list(model.covariates),
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


def score(train: Spells, test: Spells, horizons: Sequence[float] = (1, 2, 5), covariates: Sequence[str] | None = None,
          baseline: str = "piecewise", penalizer: float | None = None) -> dict[str, Any]:
    """Fit on ``train``, predict ``test``: the model's and the training Kaplan-Meier curve's predicted survival
    at each horizon (m, H), Harrell's C and the IPCW Brier score per horizon for both."""
    if train.dataset != test.dataset and "table" not in (train.dataset, test.dataset):
        raise ConfigError(f"the training table is {train.dataset} data and the test table {test.dataset} data; "
                          "give two tables of one kind", test.source)
    model = fit(train, covariates, baseline, penalizer)
    missing = [c for c in model.covariates if c not in test.covariates]
    if missing:
        raise ConfigError(f"the test table does not code {missing[0]!r}", test.source, None, missing[0])
    km = sv.kaplan_meier(train.durations, train.events)
    pred_model = model.survival(test.design(model.covariates), horizons)
    pred_km = np.broadcast_to(km.at(horizons)[0], pred_model.shape)
    out: dict[str, Any] = {"model": model, "horizons": list(horizons), "pred_model": pred_model, "pred_km": pred_km}
    for key, pred in (("model", pred_model), ("kaplan_meier", pred_km)):
        # the risk ranking: predicted survival at the longest horizon (the whole curve for the PH model)
        c = sv.concordance(test.durations, test.events, pred[:, -1]) if key == "model" else 0.5
        out[key] = {"concordance": c,
                    "brier": {f"{h:g}": sv.brier_ipcw(test.durations, test.events, pred[:, j], h)
                              for j, h in enumerate(horizons)},
                    "n": test.n}
    return out


def backtest_json(scores: dict[str, Any]) -> str:
    return json.dumps({k: scores[k] for k in ("model", "kaplan_meier")}, indent=2)
