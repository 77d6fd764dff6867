"""`accord calibrate lanchester`: fit Lanchester laws to a battle's daily record (model/lanchester_fit.py).

The record is a CSV: columns day, attacker, defender [, attacker_reinforcement, defender_reinforcement]; one row
per observation day, days strictly increasing; strengths in troops, a blank cell where a side's count is unknown
that day (Engel 1954 knew the Japanese strength at Iwo Jima only at the start and the end); reinforcements are the
troops arriving that day, already in its count. Blank lines and lines starting with '#' (provenance) are skipped.

The report: every law's fit (coefficients, initial strengths and the error sigma, each with its interval), the
law with the lowest AIC, observed against fitted strengths and the residuals (a table and a figure).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from model import lanchester_fit as LF
from model.forces import LAWS
from scenarios import plots
from scenarios.config import ConfigError
from scenarios.report import caption
from scenarios.results import Report, Table

if TYPE_CHECKING:
    from matplotlib.figure import Figure

BATTLE_REQUIRED = ("day", "attacker", "defender")
BATTLE_OPTIONAL = ("attacker_reinforcement", "defender_reinforcement")
MAY_BE_BLANK = ("attacker", "defender")


@dataclass(frozen=True)
class BattleRecord:
    """A battle's daily record, arrays of shape (n_days,): counts NaN where blank; `line` the CSV line of each
    row (for error messages)."""

    path: str
    day: np.ndarray
    attacker: np.ndarray
    defender: np.ndarray
    attacker_reinforcement: np.ndarray
    defender_reinforcement: np.ndarray
    line: np.ndarray


def read_battle(path: Path) -> BattleRecord:
    """Read a battle's daily record (module docstring): numbers >= 0, day strictly increasing, at least 2 rows,
    each side counted at least once. Raises ConfigError naming the line and column."""
    label = str(path)
    allowed = ", ".join(BATTLE_REQUIRED + BATTLE_OPTIONAL)
    if not path.is_file():
        raise ConfigError("no such data file", label)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {exc}", label) from None
    lines = [(i + 1, ln) for i, ln in enumerate(text.splitlines()) if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise ConfigError(f"empty file; expected a header with columns {allowed}", label)
    header_line, header_text = lines[0]
    header = [h.strip() for h in next(csv.reader([header_text]))]
    for col in header:
        if col not in BATTLE_REQUIRED + BATTLE_OPTIONAL:
            raise ConfigError(f"unknown column '{col}'; allowed columns: {allowed}", label, header_line, col)
    if len(set(header)) != len(header):
        dup = next(c for c in header if header.count(c) > 1)
        raise ConfigError(f"column '{dup}' appears twice; allowed columns: {allowed}", label, header_line, dup)
    missing = [c for c in BATTLE_REQUIRED if c not in header]
    if missing:
        raise ConfigError(f"missing column(s) {', '.join(missing)}; required: {', '.join(BATTLE_REQUIRED)}",
                          label, header_line)
    values: dict[str, list[float]] = {c: [] for c in header}
    line_nos = []
    for line_no, ln in lines[1:]:
        row = [v.strip() for v in next(csv.reader([ln]))]
        if len(row) != len(header):
            raise ConfigError(f"row has {len(row)} values, the header has {len(header)} ({', '.join(header)})",
                              label, line_no)
        for col, raw in zip(header, row):
            if raw == "" and col in MAY_BE_BLANK:
                values[col].append(math.nan)
                continue
            try:
                x = float(raw)
            except ValueError:
                blank = " or blank (not counted that day)" if col in MAY_BE_BLANK else ""
                raise ConfigError(f"'{raw}' is not a number; allowed: a number >= 0{blank}", label, line_no,
                                  col) from None
            if not np.isfinite(x) or x < 0:
                raise ConfigError(f"got {raw}; allowed: a finite number >= 0", label, line_no, col)
            if col == "day" and values["day"] and x <= values["day"][-1]:
                raise ConfigError(f"day {raw} does not follow day {values['day'][-1]:g}; days must increase",
                                  label, line_no, col)
            values[col].append(x)
        line_nos.append(line_no)
    if len(values["day"]) < 2:
        raise ConfigError(f"{len(values['day'])} data rows; a battle's record needs at least 2 days", label,
                          header_line)
    for side in MAY_BE_BLANK:
        if not np.any(np.isfinite(values[side])):
            raise ConfigError(f"no {side} count in any row; each side needs at least one", label, header_line, side)
    n = len(values["day"])
    arrays = {c: np.array(values[c]) if c in values else np.zeros(n) for c in BATTLE_REQUIRED + BATTLE_OPTIONAL}
    return BattleRecord(label, line=np.array(line_nos), **arrays)


def _check_fit_input(record: BattleRecord, errors: str, fix_initial: bool) -> None:
    """The record's problems for this fit, as one-line ConfigErrors naming line and column."""
    if errors == "multiplicative":
        for side in MAY_BE_BLANK:
            x = getattr(record, side)
            zero = np.flatnonzero(x == 0)
            if zero.size:
                raise ConfigError(
                    "a count of 0 cannot be fitted with multiplicative (log) errors; use --errors additive, or "
                    "leave the cell blank if the count is unknown", record.path, int(record.line[zero[0]]), side)
    if fix_initial:
        for side in MAY_BE_BLANK:
            if not np.isfinite(getattr(record, side)[0]):
                raise ConfigError("--fix-initial takes the first day's counts as the initial strengths; this one "
                                  "is blank", record.path, int(record.line[0]), side)
    n_obs = int(np.isfinite(record.attacker).sum() + np.isfinite(record.defender).sum()) - 2 * fix_initial
    n_theta = 2 if fix_initial else 4
    if n_obs <= n_theta:
        what = "alpha and beta" if fix_initial else "alpha, beta and the two initial strengths"
        raise ConfigError(f"{n_obs} observed counts; fitting {what} (and sigma) needs at least {n_theta + 1}",
                          record.path)


def fit_figure(fit: LF.LanchesterFit) -> Figure:
    """Observed strengths (points; estimated day-0 strengths as open circles) against the fitted curves of every
    law (the chosen one solid), and the chosen law's residuals on the scale it was fitted."""
    fig = plots.figure(figsize=(7.5, 6.2))
    ax, axr = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [2.2, 1]})
    colours = {"attacker": "#b2182b", "defender": "#2166ac"}
    ax.plot(fit.day, fit.attacker, "o", ms=3, color=colours["attacker"], label="attacker observed")
    ax.plot(fit.day, fit.defender, "s", ms=3, color=colours["defender"], label="defender observed")
    for f in fit.fits:
        best = f.law == fit.law
        style = {"lw": 1.6 if best else 0.8, "ls": "-" if best else "--", "alpha": 1.0 if best else 0.6}
        tag = f"{f.law} law" + (" (best)" if best else "")
        ax.plot(fit.day, f.fitted_attacker, color=colours["attacker"], label=f"attacker, {tag}", **style)
        ax.plot(fit.day, f.fitted_defender, color=colours["defender"], label=f"defender, {tag}", **style)
    b = fit.best
    if not b.fix_initial:
        ax.plot([fit.day[0]] * 2, [b.attacker0, b.defender0], "o", mfc="none", mec="black", ms=7,
                label="estimated day-0 strengths")
    ax.set(ylabel="troops")
    ax.set_title(f"Lanchester fit: {fit.law} law, {b.errors} errors, initial strengths "
                 f"{'fixed' if b.fix_initial else 'estimated'}; n = {b.n_obs:,} observed counts\n"
                 f"alpha {_g(b.alpha)} (95% CI {_g(b.alpha_ci[0])}-{_g(b.alpha_ci[1])}), "
                 f"beta {_g(b.beta)} (95% CI {_g(b.beta_ci[0])}-{_g(b.beta_ci[1])})", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    for side, observed, fitted in (("attacker", fit.attacker, b.fitted_attacker),
                                   ("defender", fit.defender, b.fitted_defender)):
        if b.errors == "multiplicative":
            resid = 100.0 * (np.log(observed) - np.log(np.maximum(fitted, 1e-300)))
        else:
            resid = observed - fitted
        axr.plot(fit.day, resid, "o-" if side == "attacker" else "s-", ms=3, lw=0.6, color=colours[side],
                 label=side)
    axr.axhline(0.0, color="black", lw=0.8)
    axr.set(xlabel="day", ylabel="residual, % (log)" if b.errors == "multiplicative" else "residual, troops")
    axr.grid(alpha=0.3)
    axr.legend(fontsize=7)
    return caption(fig, (
        f"Observed troop strengths of both sides by day (n = {b.n_obs:,} observed counts{', day 0 fixed' if b.fix_initial else ''}) "
        f"and each Lanchester law's least-squares fit ({b.errors} errors; the {fit.law} law, chosen by AIC, solid); "
        f"below, the chosen law's residuals. The fit's uncertainty is in its coefficients' 95% intervals in the title "
        f"({b.interval_method} intervals; residual sigma {_g(b.sigma)})."))


def _g(x: float) -> str:
    """A fitted coefficient for a figure: three significant digits, 'inf' for an unbounded interval end."""
    return f"{x:.3g}" if np.isfinite(x) else ("inf" if x > 0 else "-inf")


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _law_dict(f: LF.LawFit) -> dict:
    """A law's fit for --json: every parameter with its interval (None for an infinite bound)."""
    params = {
        p.name: {"value": p.value, "se": _finite(p.se), "ci": [_finite(p.ci[0]), _finite(p.ci[1])], "unit": p.unit,
                 "estimated": not p.fixed}
        for p in f.parameters
    }
    return {
        "law": f.law, "alpha": f.alpha, "alpha_se": _finite(f.alpha_se), "alpha_ci": [_finite(x) for x in f.alpha_ci],
        "beta": f.beta, "beta_se": _finite(f.beta_se), "beta_ci": [_finite(x) for x in f.beta_ci],
        "parameters": params, "estimated_parameters": list(f.estimated), "n_params": f.n_params,
        "sse": f.sse, "sigma": f.sigma, "rmse": f.rmse, "log_likelihood": f.log_likelihood, "aic": f.aic,
        "n_obs": f.n_obs, "converged": f.converged, "identifiable": f.identifiable,
    }


def _describe_method(b: LF.LawFit, pct: str) -> str:
    errors = ("multiplicative (log residuals; one relative sigma for both sides)" if b.errors == "multiplicative"
              else "additive (residuals in troops; one sigma for both sides)")
    initial = ("taken from the first day's counts (--fix-initial)" if b.fix_initial
               else "estimated (the first day's counts are observations like the others)")
    intervals = (f"{pct} profile likelihood (F-based, re-fitting the other parameters)" if b.interval_method == "profile"
                 else f"{pct} Wald on the log scale (delta method, t with {b.n_obs - b.n_params + 1} df)")
    return f"Errors {errors}; initial strengths {initial}; intervals {intervals}."


def calibrate_lanchester(
    path: Path,
    laws: tuple[str, ...] = LAWS,
    confidence: float = 0.95,
    errors: str = "multiplicative",
    fix_initial: bool = False,
    intervals: str = "wald",
) -> Report:
    """Fit each law to a battle's daily record (model.lanchester_fit.fit_lanchester), pick the law with the
    lowest AIC, and report every parameter with its interval, the fit's error, and observed against fitted."""
    path = Path(path)
    record = read_battle(path)
    _check_fit_input(record, errors, fix_initial)
    fit = LF.fit_lanchester(
        record.day, record.attacker, record.defender, record.attacker_reinforcement, record.defender_reinforcement,
        laws=tuple(laws), confidence=confidence, errors=errors, fix_initial=fix_initial, intervals=intervals,
    )
    pct = f"{confidence:.0%}"
    b = fit.best

    fits_table = Table(
        ["law", "parameter", "estimate", "se", "ci_low", "ci_high", "unit", "estimated", "aic", "best"],
        [[f.law, p.name, p.value, p.se, p.ci[0], p.ci[1], p.unit, not p.fixed, f.aic, f.law == fit.law]
         for f in fit.fits for p in f.parameters],
    )
    fitted = Table(
        ["day", "attacker_observed", "attacker_fitted", "defender_observed", "defender_fitted"],
        [[float(d), float(a), float(fa), float(dd), float(fd)] for d, a, fa, dd, fd in
         zip(fit.day, fit.attacker, fit.fitted_attacker, fit.defender, fit.fitted_defender)],
    )

    def ci(p: LF.ParameterEstimate, fmt: str) -> str:
        return f"{pct} CI {format(p.ci[0], fmt)}-{format(p.ci[1], fmt)}" if np.all(np.isfinite(p.ci)) else \
            f"{pct} CI unbounded"

    n_counts = int(np.isfinite(fit.attacker).sum() + np.isfinite(fit.defender).sum())
    lines = [
        (f"Lanchester fit to {path} ({len(fit.day)} days, {n_counts} counts, {b.n_obs} used as observations); "
         f"laws tried: {', '.join(laws)}."),
        _describe_method(b, pct),
        f"Best law (lowest AIC): {b.law}.",
    ]
    a, be = b.param("alpha"), b.param("beta")
    lines += [
        f"  alpha (attacker's fire effectiveness) = {a.value:.4g} {a.unit} ({ci(a, '.4g')})",
        f"  beta (defender's fire effectiveness)  = {be.value:.4g} {be.unit} ({ci(be, '.4g')})",
    ]
    for name, label in (("attacker0", "attacker"), ("defender0", "defender")):
        p = b.param(name)
        first = getattr(fit, label)[0]
        seen = f"counted {first:,.0f}" if np.isfinite(first) else "not counted"
        if p.fixed:
            lines.append(f"  {label} on day {fit.day[0]:g} = {p.value:,.0f} troops (fixed: the first count)")
        else:
            lines.append(f"  {label} on day {fit.day[0]:g} = {p.value:,.0f} troops ({ci(p, ',.0f')}; {seen})")
    s = b.param("sigma")
    if b.errors == "multiplicative":
        lines.append(f"  sigma = {100 * s.value:.2f}% relative error ({pct} CI {100 * s.ci[0]:.2f}-{100 * s.ci[1]:.2f}%)")
    else:
        lines.append(f"  sigma = {s.value:,.1f} troops ({pct} CI {s.ci[0]:,.1f}-{s.ci[1]:,.1f})")
    lines.append(f"  RMSE {b.rmse:,.1f} troops; AIC {b.aic:.1f}, counting all {b.n_params} estimated parameters "
                 f"({', '.join(b.estimated)})")
    if not b.identifiable:
        lines.append("  warning: these data cannot separate all the parameters (singular information matrix); "
                     "their intervals are unbounded")
    if not b.converged:
        lines.append("  warning: the optimiser did not report convergence")
    lines += ["", f"{'law':<8} {'alpha':<11} {'beta':<11} {'A0':>9} {'D0':>9} {'RMSE':>9} {'AIC':>9} {'dAIC':>7}"]
    for f in fit.fits:
        lines.append(f"{f.law:<8} {f.alpha:<11.4g} {f.beta:<11.4g} {f.attacker0:>9,.0f} {f.defender0:>9,.0f} "
                     f"{f.rmse:>9,.1f} {f.aic:>9.1f} {f.aic - b.aic:>7.1f}" + ("  <- best" if f.law == fit.law else ""))
    data_out = {
        **_law_dict(b), "errors": b.errors, "fix_initial": b.fix_initial, "intervals": b.interval_method,
        "confidence": confidence, "n_days": len(fit.day), "file": str(path), "fits": [_law_dict(f) for f in fit.fits],
    }
    return Report(
        kind="calibrate-lanchester",
        text="\n".join(lines),
        data=data_out,
        tables={"lanchester_fits": fits_table, "lanchester_fitted": fitted},
        figures={"lanchester_fit": fit_figure(fit)},
        inputs={"data": str(path), "laws": list(laws), "confidence": confidence, "errors": errors,
                "fix_initial": fix_initial, "intervals": intervals},
    )
