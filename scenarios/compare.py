"""Side-by-side comparison of configs or finished runs.

Configs are run in lockstep with common random numbers: the same seed, sampler and trial count, and the
Monte Carlo sampler keys each parameter's stream by its path, so a parameter the configs share gets the same
draws in each (Glasserman 2004, ch. 4.2). A difference of two means is then estimated from the per-trial
differences, whose standard error is usually far smaller than the independent sqrt(se_a^2 + se_b^2).
A headline that is a ratio of two per-trial means, R = mean(a) / mean(w) (e.g. P(holds | adopted), each trial
weighted by its P(adopted)), is paired the same way through the delta method: the difference R_j - R_0 has
the per-trial linearisation z = (a_j - R_j w_j) / mean(w_j) - (a_0 - R_0 w_0) / mean(w_0), whose variance
comes from the running covariance of (a_j, w_j, a_0, w_0) (Cochran 1977, ch. 6). Metrics without a per-trial
form (e.g. defined only on some trials) and finished run directories are compared as independent estimates. Each option's numbers equal those of running it alone with the same seed (and,
if the configs set different ``run.chunk_size``, the first config's chunk size).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from model.stats import Accumulator, Estimate, difference, estimate
from scenarios import registry
from scenarios.config import Config, ConfigError, load
from scenarios.engine import Summaries, iterate_chunks
from scenarios.report import caption
from scenarios.results import Report, Table, number_text


class PairedRatio:
    """Running means and second moments of (a_j, w_j, a_0, w_0) per trial, for se(R_j - R_0) (module docstring)."""

    def __init__(self) -> None:
        self.acc = Accumulator(quantile_cap=0)

    def add(self, a1: np.ndarray, w1: np.ndarray, a0: np.ndarray, w0: np.ndarray) -> None:
        x = np.stack([np.broadcast_to(np.asarray(v, float), np.shape(a1)) for v in (a1, w1, a0, w0)], axis=1)
        products = (x[:, :, None] * x[:, None, :]).reshape(len(x), 16)
        self.acc.add(np.concatenate([x, products], axis=1))

    def estimate(self) -> Estimate:
        m, n = self.acc.mean_value(), int(self.acc.n[0])
        mean, second = m[:4], m[4:].reshape(4, 4)
        if not (mean[1] > 0 and mean[3] > 0) or n < 2:
            nan = float("nan")
            return Estimate(nan, nan, nan, nan, n)
        cov = (second - np.outer(mean, mean)) * n / (n - 1)
        r1, r0 = mean[0] / mean[1], mean[2] / mean[3]
        g = np.array([1 / mean[1], -r1 / mean[1], -1 / mean[3], r0 / mean[3]])
        se = float(np.sqrt(max(float(g @ cov @ g), 0.0) / n))
        d = float(r1 - r0)
        return Estimate(d, se, d - 1.959964 * se, d + 1.959964 * se, n)


@dataclass
class Option:
    label: str
    origin: str  # config path or run directory
    headline: dict[str, dict[str, Any]]  # metric -> {label, mean, se, ci95_low, ci95_high, n_trials}
    survival: Table | None = None
    outputs_bar: dict[str, tuple[float, float]] | None = None


def _headline_of(cfg: Config, s: Summaries) -> dict[str, Any]:
    mod = registry.get(cfg.scenario)
    if hasattr(mod, "headline"):
        heads = mod.headline(s)
    else:
        heads = mod.report(cfg, s).headline
    return heads


def _label(cfg: Config, all_configs: list[Config]) -> str:
    """The config's file stem (short, unique for shipped configs); its directory too if stems repeat."""
    stems = [c.stem for c in all_configs]
    if stems.count(cfg.stem) > 1:
        return f"{Path(cfg.path).parent.name}/{cfg.stem}"
    return cfg.stem


def _from_run_dir(path: Path) -> Option:
    manifest_path = path / "manifest.json" if path.is_dir() else path
    try:
        m = json.loads(manifest_path.read_text(encoding="utf-8"))
        head = m["headline"]
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(f"not an accord run directory ({type(exc).__name__}: {exc})", str(path)) from None
    survival = None
    csv_path = manifest_path.parent / "tables" / "survival.csv"
    if csv_path.is_file():
        lines = csv_path.read_text().strip().splitlines()
        cols = lines[0].split(",")
        rows = [[float(x) if i else int(x) for i, x in enumerate(line.split(","))] for line in lines[1:]]
        survival = Table(cols, rows)
    label = (m.get("config", {}).get("resolved", {}) or {}).get("title") or manifest_path.parent.name
    return Option(label, str(path), head, survival)


def compare(targets: list[str], trials: int | None = None, seed: int | None = None, sampler: str | None = None,
            overrides: list[str] | None = None) -> Report:
    """Compare configs (run with common random numbers) and/or run directories against the first one."""
    if len(targets) < 2:
        raise ConfigError("compare needs at least two configs or run directories", "compare")
    configs: list[tuple[int, Config]] = []
    options: dict[int, Option] = {}
    for i, t in enumerate(targets):
        p = Path(t)
        if p.is_dir() or p.name == "manifest.json":
            options[i] = _from_run_dir(p)
        else:
            configs.append((i, load(t, list(overrides or []))))
    first_cfg = configs[0][1] if configs else None
    n = trials or (first_cfg.model.run.trials if first_cfg else 0)
    sd = seed if seed is not None else (first_cfg.model.run.seed if first_cfg else 0)
    smp = sampler or "mc"
    paired: dict[tuple[int, str], Accumulator | PairedRatio] = defaultdict(Accumulator)
    if configs:
        accs = [defaultdict(Accumulator) for _ in configs]
        # one chunk size for all, so that chunk k holds the same trials in every config (lockstep)
        size = first_cfg.model.run.chunk_size if first_cfg else None
        # headlines only: no detail outputs (the coalition's ZOPA and deal-breakers)
        iters = [iterate_chunks(cfg, n, sd, smp, size, detail_trials=0) for _, cfg in configs]
        modules = [registry.get(cfg.scenario) for _, cfg in configs]
        for chunks in zip(*iters):
            outs = [o for _, o in chunks]
            for acc, out in zip(accs, outs):
                for k, v in out.items():
                    acc[k].add(v)
            ratios = [getattr(mod, "paired_ratios", None) for mod in modules]
            base_ratios = ratios[0](outs[0]) if ratios[0] else {}
            for j in range(1, len(outs)):
                for k, v in outs[0].items():
                    w = outs[j].get(k)
                    if w is not None and np.shape(w) == np.shape(v) and np.ndim(v) == 1 \
                            and not (np.isnan(v).any() or np.isnan(w).any()):
                        paired[(j, k)].add(np.asarray(w, float) - np.asarray(v, float))
                other = ratios[j](outs[j]) if ratios[j] and modules[j] is modules[0] else {}
                for k, (a0, w0) in base_ratios.items():
                    if k in other:
                        if (j, k) not in paired:
                            paired[(j, k)] = PairedRatio()
                        paired[(j, k)].add(*other[k], a0, w0)
        for j, ((i, cfg), acc) in enumerate(zip(configs, accs)):
            s = Summaries(dict(acc), n, sd, smp)
            heads = _headline_of(cfg, s)
            mod = registry.get(cfg.scenario)
            surv = mod.survival_table(s) if hasattr(mod, "survival_table") else None
            bars = mod.outcome_bars(s) if hasattr(mod, "outcome_bars") and "outcome_holds" in s else None
            options[i] = Option(_label(cfg, [c for _, c in configs]), cfg.path,
                                {k: h.as_dict() | {"percent": h.percent} for k, h in heads.items()}, surv, bars)
    ordered = [options[i] for i in range(len(targets))]
    config_index = {i: j for j, (i, _) in enumerate(configs)}
    report = _report(ordered, targets, paired, config_index, n, sd, smp)
    report.parameters = _parameters([(options[i].label, cfg) for i, cfg in configs])
    return report


def _parameters(labelled: list[tuple[str, Config]]) -> dict[str, Any]:
    """Every parameter of the compared configs (runs.describe_config), one row per path: its value where the
    options agree, else each option's value and source (so a reader sees what differs)."""
    from scenarios.runs import describe_config

    described = [(label, describe_config(cfg)["parameters"]) for label, cfg in labelled]
    paths = list(dict.fromkeys(p for _, params in described for p in params))
    out: dict[str, Any] = {}
    for path in paths:
        present = [(label, params[path]) for label, params in described if path in params]
        first = present[0][1]
        values = {label: params[path]["value"] if path in params else "(not in this config)"
                  for label, params in described}
        same = len(set(values.values())) == 1
        sources = {label: p.get("source") or "" for label, p in present}
        out[path] = {
            **first,
            "value": first["value"] if same else "; ".join(f"{label}: {v}" for label, v in values.items()),
            "source": first.get("source") if same and len(set(sources.values())) == 1 else
            "; ".join(f"{label}: {src or '(none)'}" for label, src in sources.items()),
            "set_at": first.get("set_at") if same else "; ".join(f"{label}: {p.get('set_at')}" for label, p in present),
            "differs": not same,
        }
    return out


def _report(opts: list[Option], targets: list[str], paired: dict, config_index: dict[int, int], n: int, seed: int,
            sampler: str) -> Report:
    base = opts[0]
    metrics = [k for k in base.headline if all(k in o.headline for o in opts[1:])]
    columns = ["metric", "label", "unit"]  # one metric per row: its unit in a column (the tables' convention)
    for o in opts:
        columns += [f"{o.label} mean", f"{o.label} se"]
    for o in opts[1:]:
        columns += [f"{o.label} - {base.label}", "ci95_low", "ci95_high", "method"]
    rows, data = [], {"options": [o.label for o in opts], "sources": targets, "metrics": {}}
    for k in metrics:
        row: list[Any] = [k, base.headline[k].get("label", k), base.headline[k].get("unit", "")]
        for o in opts:
            row += [o.headline[k]["mean"], o.headline[k]["se"]]
        entry: dict[str, Any] = {"label": base.headline[k].get("label", k), "unit": base.headline[k].get("unit", ""),
                                 "values": {o.label: {"mean": o.headline[k]["mean"], "se": o.headline[k]["se"]} for o in opts},
                                 "differences": {}}
        for j, o in enumerate(opts[1:], start=1):
            a, b = (_est(o.headline[k]), _est(base.headline[k]))
            key = (config_index.get(j), k)
            if 0 in config_index and j in config_index and key in paired:
                pair = paired[key]
                pe = pair.estimate() if isinstance(pair, PairedRatio) else estimate(pair)
                d, method = Estimate(a.mean - b.mean, pe.se, a.mean - b.mean - 1.959964 * pe.se,
                                     a.mean - b.mean + 1.959964 * pe.se, pe.n), "paired (common random numbers)"
                if isinstance(pair, PairedRatio):
                    method = "paired ratio (common random numbers, delta method)"
            else:
                d, method = difference(a, b), "independent"
            row += [d.mean, d.lo, d.hi, method]
            entry["differences"][f"{o.label} - {base.label}"] = {**d.as_dict(), "method": method}
        rows.append(row)
        data["metrics"][k] = entry
    table = Table(columns, rows)
    text = _text(opts, metrics, data, n, seed, sampler)
    figures = {}
    curves = {o.label: o.survival for o in opts if o.survival is not None}
    if curves:
        from scenarios.settlement import outcomes_figure, survival_figure

        figures["survival"] = caption(survival_figure(curves), _survival_caption(opts, curves))
        bars = {o.label: o.outputs_bar for o in opts if o.outputs_bar}
        if bars:
            figures["outcomes"] = caption(outcomes_figure(bars), _outcomes_caption(opts, bars))
    data.update({"trials": n, "seed": seed, "sampler": sampler})
    return Report("compare", text, data, {"compare": table}, figures,
                  inputs={"targets": targets, "trials": n, "seed": seed, "sampler": sampler})


def _trials(o: Option) -> int:
    return max((int(h.get("n_trials") or 0) for h in o.headline.values()), default=0)


def _survival_caption(opts: list[Option], curves: dict[str, Table]) -> str:
    """What the overlaid survival curves show, with each option's trials and effective sample size."""
    parts = []
    for o in opts:
        if o.label not in curves:
            continue
        rec = curves[o.label].records()
        n_eff = min((float(r.get("n_effective", "nan")) for r in rec), default=float("nan"))
        eff = f", effective n {n_eff:,.0f}" if np.isfinite(n_eff) else ""
        parts.append(f"{o.label}: n = {_trials(o):,} trials{eff}")
    return ("P(peace holds t years | adopted) for each option, each trial weighted by its P(adopted); bands are "
            "95% Monte Carlo intervals (delta method). " + "; ".join(parts) + ".")


def _outcomes_caption(opts: list[Option], bars: dict[str, dict[str, tuple[float, float]]]) -> str:
    """What the stacked outcome bars show, with the trials and the largest Monte Carlo s.e. of a share."""
    parts = []
    for o in opts:
        if o.label not in bars:
            continue
        ses = [se for _, se in bars[o.label].values() if np.isfinite(se)]
        worst = f", s.e. of the not-adopted and holds shares at most {number_text(max(ses), True)}" if ses else ""
        parts.append(f"{o.label}: n = {_trials(o):,} trials{worst}")
    return ("Share of trials (each weighted by its P(adopted)) ending in each outcome over the horizon: Monte Carlo "
            "means, drawn without error bars; their standard errors are stated here. " + "; ".join(parts) + ".")


def _est(d: dict[str, Any]) -> Estimate:
    return Estimate(d["mean"], d["se"], d.get("ci95_low", np.nan), d.get("ci95_high", np.nan), int(d.get("n_trials", 0)))




def _text(opts: list[Option], metrics: list[str], data: dict, n: int, seed: int, sampler: str) -> str:
    base = opts[0]
    header = ["metric"] + [o.label for o in opts] + [f"{o.label} - {base.label} (95% CI)" for o in opts[1:]]
    lines = [header]
    for k in metrics:
        pct = bool(base.headline[k].get("percent", True))
        row = [data["metrics"][k]["label"]]
        for o in opts:
            v = o.headline[k]
            row.append(f"{number_text(v['mean'], pct)} ± {number_text(v['se'], pct)}")
        for d in data["metrics"][k]["differences"].values():
            row.append(f"{number_text(d['mean'], pct)} ({number_text(d['ci95_low'], pct)} to {number_text(d['ci95_high'], pct)})")
        lines.append(row)
    widths = [max(len(r[i]) for r in lines) for i in range(len(header))]
    out = ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in lines]
    out.insert(1, "  ".join("-" * w for w in widths))
    out.append("")
    out.append(f"{n:,} trials each, seed {seed}, sampler {sampler}; ± is one standard error; differences from "
               f"common random numbers where marked 'paired' in compare.csv.")
    return "\n".join(out)
