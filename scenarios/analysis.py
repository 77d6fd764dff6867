"""Across many runs: global sensitivity (SALib) and scenario discovery (PRIM) over a sweep.

Sensitivity (``sensitivity``). The inputs are the config's uncertain parameters (or the named ones); each
is sampled in the unit cube u in [0, 1] and mapped through its own quantile function, x = F^-1(u), so the
indices are those of the parameters' distributions as the config states them. Each evaluation is the config
with those parameters fixed (``--set`` overrides), run for ``trials`` trials with the same seed for every
evaluation (common random numbers: the other uncertain parameters and the model's own noise are the same
draws throughout, so differences between evaluations come from the fixed parameters only). The outputs are
the scenario's headline metrics (Monte Carlo means over the trials).

* sobol: Saltelli's (2002, 2010) sampling scheme, SALib.sample.sobol, N (2D + 2) evaluations; first-order
  S1 = V[E(Y|X_i)] / V(Y) and total ST = E[V(Y|X_~i)] / V(Y) (Jansen 1999 estimator) with bootstrap 95%
  confidence intervals, SALib.analyze.sobol (Sobol' 1993, 2001; Saltelli et al. 2010).
* morris: elementary effects on a 4-level grid, N trajectories, N (D + 1) evaluations; mu* (mean absolute
  effect, Campolongo, Cariboni & Saltelli 2007), sigma (interactions / non-linearity), bootstrap 95% CI of
  mu* (Morris 1991), SALib.sample.morris / SALib.analyze.morris. Effects are per unit of u, i.e. for moving
  a parameter across its whole distribution, so parameters with different units compare.

Discovery (``discover``): PRIM (Friedman & Fisher 1999; Bryant & Lempert 2010; accord's own implementation in
model/prim.py) over a sweep's points.csv: the cases of interest are the points whose outcome metric is below
(or above) a threshold; the boxes are ranges of the swept parameters where those cases are dense.
"""

from __future__ import annotations

import math
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from model import params as P
from model import prim
from scenarios import registry
from scenarios.config import ConfigError, load
from scenarios.results import Report, Table
from scenarios.sweep import _run_local, read_points

SA_KEY = 0x73616C69  # "sali": the spawn key of the SALib sample and bootstrap seeds
PARALLEL_TRIALS = 2_000_000  # below this many trials in all, evaluations run in this process
METHODS = ("sobol", "morris")
MORRIS_LEVELS = 4


def _nan_to_none(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _pick_params(cfg, params: list[str] | None) -> dict[str, P.Distribution]:
    uncertain = cfg.uncertain()
    if not params:
        if not uncertain:
            raise ConfigError("the config has no uncertain parameters to analyse; give some a distribution "
                              "(e.g. --set 'key={dist: uniform, low: 0, high: 1}')", cfg.path, None, "--params")
        return uncertain
    every = cfg.params()
    out: dict[str, P.Distribution] = {}
    for name in params:
        if name in uncertain:
            out[name] = uncertain[name]
        elif name in every:
            spec = every[name][0]
            raise ConfigError(f"parameter is fixed ({spec.describe()}); sensitivity needs a distribution: give it "
                              f"one with --set '{name}={{dist: uniform, low: .., high: ..}}' or choose among the "
                              f"uncertain ones: {', '.join(uncertain) or '(none)'}", cfg.path, None, name)
        else:
            import difflib

            close = difflib.get_close_matches(name, list(every), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ConfigError(f"no such parameter{hint}; uncertain parameters: {', '.join(uncertain) or '(none)'}",
                              cfg.path, None, name)
    return out


def _seed32(seed: int) -> int:
    return int(P.child_seed(seed, SA_KEY).generate_state(1)[0])


def evaluate_points(cfg, points: list[dict[str, float]], trials: int, seed: int, sampler: str,
                    workers: int | None = None) -> list[dict[str, Any]]:
    """Run the config once per point ({parameter path: value} overrides), all with the same seed.

    Returns one sweep record per point, in order (see scenarios.sweep.run_point). Runs in this process for
    small jobs, else on local processes (``workers``, default all cores); the numbers are the same either way.
    """
    modules = registry.available()
    base = {"base": cfg.data, "files": cfg.files, "path": cfg.path, "scenario": cfg.scenario,
            "module": modules[cfg.scenario], "trials": trials, "sampler": sampler, "seed": seed}
    tasks = [{**base, "index": i, "values": p} for i, p in enumerate(points)]
    if workers is None:
        workers = 1 if len(points) * trials < PARALLEL_TRIALS else (os.cpu_count() or 1)
    records: dict[int, dict[str, Any]] = {}
    _run_local(tasks, workers, lambda rec: records.__setitem__(rec["point"], rec))
    return [records[i] for i in range(len(points))]


def sensitivity(config_path: Path, overrides: list[str], method: str, params: list[str] | None, n: int,
                trials: int, seed: int | None) -> Report:
    """Global sensitivity of every headline metric to the uncertain (or named) parameters, with SALib.

    method 'sobol' (S1, ST with 95% CIs; N (2D + 2) evaluations, second-order indices in their own table) or
    'morris' (mu, mu*, sigma, 95% CI of mu*; N (D + 1) evaluations). Each evaluation: ``trials`` trials, the
    same seed (common random numbers). Report kind 'sensitivity': tables 'indices' and 'evaluations'
    (and 'second_order' for sobol), a bar chart per metric.
    """
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    if method not in METHODS:
        raise ConfigError(f"unknown method {method!r}; allowed: {', '.join(METHODS)}", "--method")
    cfg = load(config_path, list(overrides))
    seed = cfg.model.run.seed if seed is None else seed
    sampler = cfg.model.run.sampler
    dists = _pick_params(cfg, params)
    names = list(dists)
    d = len(names)
    problem = {"num_vars": d, "names": names, "bounds": [[0.0, 1.0]] * d}
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if method == "sobol":
            U = sobol_sample.sample(problem, n, calc_second_order=True, scramble=True, seed=_seed32(seed))
        else:
            U = morris_sample.sample(problem, n, num_levels=MORRIS_LEVELS, seed=_seed32(seed))
    notes += sorted({str(w.message).split("\n")[0] for w in caught if "balance" in str(w.message)})
    X = np.column_stack([dists[k].ppf(np.clip(U[:, j], 1e-12, 1 - 1e-12)) for j, k in enumerate(names)])
    points = [dict(zip(names, (float(v) for v in row))) for row in X]
    records = evaluate_points(cfg, points, trials, seed, sampler)
    bad = [r for r in records if r["status"] != "ok"]
    if bad:
        from scenarios.engine import ModelError

        vals = ", ".join(f"{k}={v:.6g}" for k, v in bad[0]["values"].items())
        raise ModelError(f"{len(bad)} of {len(records)} evaluations failed; the first ({vals}): {bad[0]['error']}")
    metrics = list(records[0]["metrics"])
    labels = {m: records[0]["metrics"][m]["label"] for m in metrics}
    percent = {m: records[0]["metrics"][m]["percent"] for m in metrics}
    Y = {m: np.array([r["metrics"].get(m, {}).get("mean", np.nan) for r in records], float) for m in metrics}

    indices: dict[str, dict[str, dict[str, float | None]]] = {}
    second: list[list[Any]] = []
    for m in metrics:
        y = Y[m]
        if not np.isfinite(y).all():
            notes.append(f"{m}: undefined at {int((~np.isfinite(y)).sum())} of {len(y)} evaluations; not analysed")
            continue
        if np.ptp(y) == 0:
            notes.append(f"{m}: the same at every evaluation (no sensitivity to these parameters)")
            indices[m] = {k: dict.fromkeys(_columns(method), 0.0) for k in names}
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            if method == "sobol":
                res = sobol_analyze.analyze(problem, y, calc_second_order=True, num_resamples=200,
                                            conf_level=0.95, seed=_seed32(seed))
                indices[m] = {k: {"S1": float(res["S1"][j]), "S1_conf": float(res["S1_conf"][j]),
                                  "ST": float(res["ST"][j]), "ST_conf": float(res["ST_conf"][j])}
                              for j, k in enumerate(names)}
                for a in range(d):
                    for b in range(a + 1, d):
                        second.append([m, names[a], names[b], float(res["S2"][a, b]), float(res["S2_conf"][a, b])])
            else:
                res = morris_analyze.analyze(problem, U, y, num_resamples=200, conf_level=0.95,
                                             num_levels=MORRIS_LEVELS, seed=_seed32(seed))
                indices[m] = {k: {"mu": float(res["mu"][j]), "mu_star": float(res["mu_star"][j]),
                                  "mu_star_conf": float(res["mu_star_conf"][j]), "sigma": float(res["sigma"][j])}
                              for j, k in enumerate(names)}

    cols = _columns(method)
    rows = [[m, labels[m], k, *[v[c] for c in cols]] for m, per in indices.items() for k, v in per.items()]
    tables = {"indices": Table(["metric", "label", "parameter", *cols], rows)}
    if second:
        tables["second_order"] = Table(["metric", "parameter_i", "parameter_j", "S2", "S2_conf"], second)
    tables["evaluations"] = Table(["evaluation", *[f"u_{k}" for k in names], *names, *metrics],
                                  [[i, *U[i].tolist(), *X[i].tolist(), *[Y[m][i] for m in metrics]]
                                   for i in range(len(records))])
    figures = {f"sensitivity_{m}": _bar_chart(method, m, labels[m], per, n, trials, len(records))
               for m, per in indices.items()}
    text = _sensitivity_text(cfg, method, names, indices, labels, n, trials, seed, len(records), notes)
    data = {
        "method": method, "config": cfg.path, "scenario": cfg.scenario, "overrides": list(overrides),
        "parameters": {k: _describe(dists[k]) for k in names}, "n": n, "trials": trials, "seed": seed,
        "evaluations": len(records),
        "indices": {m: {k: {c: _nan_to_none(x) for c, x in v.items()} for k, v in per.items()}
                    for m, per in indices.items()},
        "percent": percent, "notes": notes,
    }
    inputs = {"config": cfg.path, "files": cfg.files, "overrides": list(overrides), "digest": cfg.digest(),
              "method": method, "params": names, "n": n, "trials": trials, "seed": seed, "sampler": sampler}
    return Report("sensitivity", text, data, tables, figures, inputs)


def _describe(dist: P.Distribution) -> str:
    return dist.describe()


def _columns(method: str) -> list[str]:
    return ["S1", "S1_conf", "ST", "ST_conf"] if method == "sobol" else ["mu", "mu_star", "mu_star_conf", "sigma"]


def _sensitivity_text(cfg, method, names, indices, labels, n, trials, seed, n_eval, notes) -> str:
    how = (f"Sobol' indices (Saltelli sampling, N = {n}, second order included)" if method == "sobol"
           else f"Morris elementary effects ({n} trajectories, {MORRIS_LEVELS} levels)")
    lines = [(f"Sensitivity of {cfg.stem} ({cfg.scenario}) to {len(names)} parameters: {how}; "
             f"{n_eval:,} evaluations of {trials:,} trials each, common seed {seed}. "
             "Intervals are bootstrap 95% confidence intervals.")]
    key = "ST" if method == "sobol" else "mu_star"
    for m, per in indices.items():
        ranked = sorted(per.items(), key=lambda kv: -(kv[1][key] if math.isfinite(kv[1][key]) else -1))
        parts = []
        for k, v in ranked[:5]:
            if method == "sobol":
                parts.append(f"{k} (ST {v['ST']:.2f} +/- {v['ST_conf']:.2f}, S1 {v['S1']:.2f} +/- {v['S1_conf']:.2f})")
            else:
                parts.append(f"{k} (mu* {v['mu_star']:.3g} +/- {v['mu_star_conf']:.2g}, sigma {v['sigma']:.3g})")
        lines.append(f"  {labels[m]}: most sensitive to " + "; ".join(parts))
    lines += [f"  note: {x}" for x in notes]
    return "\n".join(lines)


def _bar_chart(method: str, metric: str, label: str, per: dict[str, dict[str, float]], n: int, trials: int,
               n_eval: int):
    from matplotlib.figure import Figure

    names = list(per)
    key = "ST" if method == "sobol" else "mu_star"
    order = sorted(range(len(names)), key=lambda j: per[names[j]][key] if math.isfinite(per[names[j]][key]) else -1)
    # room for the longest parameter name beside a plot area of ~4.5 in, so neither squeezes the other
    width = max(7.0, 4.5 + 0.065 * max((len(k) for k in names), default=0))
    fig = Figure(figsize=(width, 1.4 + 0.35 * len(names)), layout="constrained")
    ax = fig.add_subplot()
    pos = np.arange(len(names))
    h = 0.38
    if method == "sobol":
        for off, (col, conf, lab) in zip((-h / 2, h / 2), (("S1", "S1_conf", "first order S1"),
                                                           ("ST", "ST_conf", "total ST"))):
            vals = [per[names[j]][col] for j in order]
            errs = [per[names[j]][conf] for j in order]
            ax.barh(pos + off, vals, height=h, xerr=errs, capsize=2, label=lab)
        ax.set_xlabel("Sobol' index (share of the variance of the metric)")
    else:
        ax.barh(pos + h / 2, [per[names[j]]["mu_star"] for j in order], height=h,
                xerr=[per[names[j]]["mu_star_conf"] for j in order], capsize=2, label="mu* (mean |effect|)")
        ax.barh(pos - h / 2, [per[names[j]]["sigma"] for j in order], height=h, label="sigma (interactions)")
        ax.set_xlabel("elementary effect on the metric, per move across the parameter's distribution")
    ax.set_yticks(pos, [names[j] for j in order], fontsize=8)
    ax.axvline(0, color="black", lw=0.6)
    ax.legend(fontsize=8, loc="lower right")
    import textwrap

    title = f"{label}: {method} sensitivity, {n_eval:,} evaluations x {trials:,} trials; bars 95% CI"
    fig.suptitle("\n".join(textwrap.wrap(title, width=int(width * 11))), fontsize=9)
    from scenarios.report import caption

    if method == "sobol":
        what = ("Sobol' first-order (S1) and total (ST) indices: the share of the variance of the metric due to "
                "each parameter alone and with its interactions")
    else:
        what = ("Morris mu* (mean absolute elementary effect) and sigma (their spread: interactions or non-linearity) "
                "per parameter")
    ci = ("bars on both are bootstrap 95% confidence intervals" if method == "sobol"
          else "bars on mu* are bootstrap 95% confidence intervals (sigma has none)")
    return caption(fig, f"{label}: {what}, from {n_eval:,} evaluations of {trials:,} trials each (n = {trials:,} "
                        f"per evaluation, N = {n} base samples, common seed); {ci}, 200 resamples.")


# ------------------------------------------------------------------------------------------ discovery


def discover(sweep_dir: Path, outcome: str, below: float | None, above: float | None, peel_alpha: float,
             mass_min: float, boxes: int) -> Report:
    """PRIM boxes over a sweep's points: ranges of the swept parameters where ``outcome`` is below (above) a
    threshold, with coverage, density, mass and the quasi-p-value of each restricted dimension.

    Report kind 'discover': tables 'boxes', 'limits', 'trajectory'; figure 'peeling_trajectory'.
    """
    sweep_dir = Path(sweep_dir)
    if (below is None) == (above is None):
        raise ConfigError("give exactly one of --below X or --above X", "discover")
    manifest, cols, rows = read_points(sweep_dir)
    metrics = [c for c in cols if f"{c}_se" in cols]
    if outcome not in metrics:
        import difflib

        close = difflib.get_close_matches(outcome, metrics, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ConfigError(f"unknown outcome {outcome!r}{hint}; available metrics: {', '.join(metrics)}",
                          str(sweep_dir / "points.csv"), None, "--outcome")
    keys = list(manifest["keys"])
    notes: list[str] = []
    dims: list[str] = []
    for k in keys:
        try:
            [float(r[k]) for r in rows]
            dims.append(k)
        except ValueError:
            notes.append(f"{k} is not numeric; left out of the boxes")
    if not dims:
        raise ConfigError("no numeric swept parameter to search over", str(sweep_dir))
    X = np.array([[float(r[k]) for k in dims] for r in rows], float).reshape(len(rows), len(dims))
    y_val = np.array([float(r[outcome]) for r in rows], float)
    finite = np.isfinite(y_val)
    if not finite.all():
        notes.append(f"{int((~finite).sum())} points with {outcome} undefined were left out")
        X, y_val = X[finite], y_val[finite]
    rule = f"{outcome} < {below:g}" if below is not None else f"{outcome} > {above:g}"
    y = y_val < below if below is not None else y_val > above
    where = str(sweep_dir / "points.csv")
    if len(y) == 0:
        raise ConfigError("points.csv has no finished points", where)
    if not y.any():
        raise ConfigError(f"no point has {rule} ({outcome} ranges {y_val.min():.4g} to {y_val.max():.4g} "
                          f"over {len(y)} points); choose another threshold", where, None, "--outcome")
    if y.all():
        notes.append(f"every point has {rule}: there is nothing to separate")
    res = prim.find_boxes(X, y, n_boxes=boxes, peel_alpha=peel_alpha, mass_min=mass_min)
    box_rows, limit_rows, traj_rows = [], [], []
    data_boxes = []
    for b, box in enumerate(res.boxes, start=1):
        s = box.stats
        box_rows.append([b, s.coverage, s.density, s.mass, s.n_in_box, s.n_cases_in_box, int(box.restricted.sum())])
        limits = {}
        for j in np.flatnonzero(box.restricted):
            limit_rows.append([b, dims[j], box.lower[j], box.upper[j], float(res.box_init_lower[j]),
                               float(res.box_init_upper[j]), box.qp[j], box.qp_lower[j], box.qp_upper[j]])
            limits[dims[j]] = {"lower": float(box.lower[j]), "upper": float(box.upper[j]),
                               "qp": _nan_to_none(float(box.qp[j])),
                               "qp_lower": _nan_to_none(float(box.qp_lower[j])),
                               "qp_upper": _nan_to_none(float(box.qp_upper[j]))}
        t = box.trajectory
        for i in range(len(t)):
            traj_rows.append([b, i, t.phase[i], t.coverage[i], t.density[i], t.mass[i], int(t.n_restricted[i]),
                              int(i == box.step)])
        data_boxes.append({"box": b, "coverage": s.coverage, "density": s.density, "mass": s.mass,
                           "n_in_box": s.n_in_box, "n_cases_in_box": s.n_cases_in_box, "limits": limits})
    tables = {
        "boxes": Table(["box", "coverage", "density", "mass", "n_points", "n_cases", "n_restricted"], box_rows),
        "limits": Table(["box", "parameter", "lower", "upper", "data_min", "data_max", "qp", "qp_lower",
                         "qp_upper"], limit_rows),
        "trajectory": Table(["box", "step", "phase", "coverage", "density", "mass", "n_restricted", "chosen"],
                            traj_rows),
    }
    figures = {"peeling_trajectory": _trajectory_figure(res, rule, int(manifest["trials"]))} if res.boxes else {}
    if not res.boxes:
        notes.append("PRIM found no box that restricts a parameter")
    text = _discover_text(sweep_dir, rule, len(y), int(y.sum()), data_boxes, manifest["trials"], notes)
    data = {"sweep_dir": str(sweep_dir), "outcome": outcome, "rule": rule, "n_points": len(y),
            "n_cases": int(y.sum()), "dimensions": dims, "peel_alpha": peel_alpha, "mass_min": mass_min,
            "boxes": data_boxes, "notes": notes}
    inputs = {"sweep_dir": str(sweep_dir), "sweep_run_id": manifest.get("run_id"), "outcome": outcome,
              "below": below, "above": above, "peel_alpha": peel_alpha, "mass_min": mass_min, "boxes": boxes}
    return Report("discover", text, data, tables, figures, inputs)


def _discover_text(sweep_dir, rule, n, n_cases, boxes, trials, notes) -> str:
    lines = [(f"Scenario discovery (PRIM) over {n} points of {sweep_dir}: {n_cases} points ({n_cases / n:.0%}) "
             f"have {rule} (each point a mean over {trials:,} trials).")]
    for b in boxes:
        lines.append(f"  box {b['box']}: coverage {b['coverage']:.0%} (of the cases), density {b['density']:.0%} "
                     f"(cases in the box), mass {b['mass']:.0%} ({b['n_in_box']} points)")
        for k, lim in b["limits"].items():
            qp = "n/a" if lim["qp"] is None else f"{lim['qp']:.2g}"
            lines.append(f"    {k} in [{lim['lower']:.4g}, {lim['upper']:.4g}]  (quasi-p {qp})")
    lines += [f"  note: {x}" for x in notes]
    return "\n".join(lines)


def _trajectory_figure(res: prim.PrimResult, rule: str, trials: int):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.8), layout="constrained")
    ax = fig.add_subplot()
    for b, box in enumerate(res.boxes, start=1):
        t = box.trajectory
        ax.plot(t.coverage, t.density, lw=0.8, alpha=0.6)
        sc = ax.scatter(t.coverage, t.density, c=t.n_restricted, cmap="viridis", s=14, zorder=3)
        ax.scatter([t.coverage[box.step]], [t.density[box.step]], s=90, facecolors="none", edgecolors="red",
                   zorder=4, label=f"box {b} (chosen step)")
    fig.colorbar(sc, ax=ax, label="dimensions restricted")
    ax.set_xlabel("coverage (share of the cases inside the box)")
    ax.set_ylabel("density (share of the box's points that are cases)")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(f"PRIM peeling trajectory: cases are points with {rule}\n"
                 f"{res.n_cases} of {res.n_points} points, each a mean over {trials:,} trials", fontsize=9)
    from scenarios.report import caption

    return caption(fig, f"Coverage against density of each PRIM box as it is peeled (colour: dimensions restricted; "
                        f"red circle: the step chosen). Cases: {res.n_cases} of the sweep's {res.n_points} points "
                        f"with {rule}, each point a Monte Carlo mean over {trials:,} trials (n = {trials:,} per "
                        "point). Coverage and density are shares of points, not estimates: their uncertainty is in "
                        "the quasi-p-value of each limit (tables/limits.csv).")
