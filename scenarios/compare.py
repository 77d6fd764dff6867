"""Side-by-side comparison of configs or finished runs.

Configs are run in lockstep with common random numbers: the same seed, sampler and trial count, and the
Monte Carlo sampler keys each parameter's stream by its path, so a parameter the configs share gets the same
draws in each (Glasserman 2004, ch. 4.2). A difference of two means is then estimated from the per-trial
differences, whose standard error is usually far smaller than the independent sqrt(se_a^2 + se_b^2).
A headline that is a ratio of two per-trial means, R = mean(a) / mean(w) (e.g. P(holds | adopted), each trial
weighted by its P(adopted)), is paired the same way through the delta method: the difference R_j - R_0 has
the per-trial linearisation z = (a_j - R_j w_j) / mean(w_j) - (a_0 - R_0 w_0) / mean(w_0), whose variance
comes from the running covariance of (a_j, w_j, a_0, w_0) (Cochran 1977, ch. 6). Metrics without a per-trial
form (e.g. defined only on some trials) and finished run directories are compared as independent estimates:
a run directory keeps no per-trial values, so its difference from another option has the independent standard
error even where the two share their draws (same seed, trials, chunk size and the mc sampler, which keys draws
by parameter path: then the rows say so, and the independent s.e. usually overstates the paired one; compare
the configs for the paired interval). Each option's numbers equal those of running it alone with the same seed
(and, if the configs set different ``run.chunk_size``, the first config's chunk size); a run directory's come
from its own manifest (its trials, seed and sampler) and result.json (each headline's unit).

Which option wins where (configs only; Savage 1951; Lempert, Popper & Bankes 2003; Kwakkel 2017). A *draw* is one
trial: one joint draw of every uncertain parameter (a state of the world), the same for every option where they
share a parameter (common random numbers), and the same model-internal noise stream. Each scenario module's
``per_draw(outputs)`` gives each headline metric's value in a draw (for the settlement, a conditional metric such
as P(holds 5 years | adopted) is its value given adoption in that draw; see ``scenarios.settlement.per_draw``);
a module without one offers the headline metrics that are plain (n,) outputs. Two values are a *tie* when they
differ by too little to matter: for a probability by at most ``tie`` (absolute; default 0.005, half a
percentage point), for any other unit (years, km2) by at most ``tie_relative`` times the larger magnitude
(default 0.01, one per cent), and always within 1e-9 (relative: conditional values are recovered as (w v) / w,
exact only up to rounding). Higher is better for every metric (the shipped headlines are all "more is
better"). For each pair of options (A, B) and each metric:

    win share  P(A > B) = mean over draws of 1{v_A - v_B > tol}   (ties |v_A - v_B| <= tol, and P(B > A))

over the draws where both are defined, with the Monte Carlo error sqrt(P (1 - P) / n) of each share. Each option's regret in a
draw is its gap to the best option in that draw, r_o = max_o' v_o' - v_o >= 0 (Savage's minimax-regret criterion
reads its maximum; robust decision making its upper percentiles): reported by its mean (with s.e.), 90th
percentile (from the first 100,000 draws) and maximum over all draws.
"""

from __future__ import annotations

import json
import warnings
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

TIE = 1e-9  # relative: values this close are equal (the rounding of w v / w, not a difference)
TIE_PROBABILITY = 0.005  # default --tie: probabilities within half a percentage point are a tie (absolute)
TIE_RELATIVE = 0.01  # default --tie-relative: other units within 1% of the larger magnitude are a tie


class WinsAndRegret:
    """Per-draw win shares and regrets of J options on one metric, merged chunk by chunk (see the module
    docstring). add(values (n, J)); pairs are (a, b) with a < b. Two values are a tie when
    |v_a - v_b| <= max(absolute, relative max(|v_a|, |v_b|), 1e-9 max(1, |v_a|, |v_b|)); regret is exact
    (only the 1e-9 rounding is zeroed)."""

    SAMPLE = 20_000  # per-draw paired differences kept for the figure

    def __init__(self, n_options: int, absolute: float = 0.0, relative: float = 0.0) -> None:
        self.absolute, self.relative = float(absolute), float(relative)
        self.pairs = [(a, b) for a in range(n_options) for b in range(a + 1, n_options)]
        self.wins = Accumulator(quantile_cap=0)  # (n, P, 3): a better, tie, b better
        self.regret = Accumulator()  # (n, J), quantiles from the first 100,000 draws
        self.worst = np.full(n_options, np.nan)
        self.differences: list[np.ndarray] = []  # (draws, J - 1): option j - option 0, first SAMPLE draws
        self._kept = 0

    def add(self, values: np.ndarray) -> None:
        v = np.asarray(values, dtype=float)
        a, b = (np.array(x, dtype=int) for x in zip(*self.pairs))
        va, vb = v[:, a], v[:, b]
        defined = np.isfinite(va) & np.isfinite(vb)
        with np.errstate(invalid="ignore"):
            gap = va - vb
            larger = np.maximum(np.abs(va), np.abs(vb))
            tol = np.maximum(np.maximum(self.absolute, self.relative * larger), TIE * np.maximum(1.0, larger))
            tie = np.abs(gap) <= tol
        outcome = np.stack([(gap > 0) & ~tie, tie, (gap < 0) & ~tie], axis=-1).astype(float)
        outcome[~defined] = np.nan
        self.wins.add(outcome)
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a draw where no option is defined
            best = np.nanmax(v, axis=1, keepdims=True)
            regret = best - v
            regret[regret <= TIE * np.maximum(1.0, np.abs(best))] = 0.0  # rounding, not a gap (NaN stays NaN)
            self.regret.add(regret)
            self.worst = np.fmax(self.worst, np.nanmax(regret, axis=0))
        if self._kept < self.SAMPLE:
            take = v[: self.SAMPLE - self._kept]
            self.differences.append(take[:, 1:] - take[:, :1])
            self._kept += len(take)

    def win_table(self, labels: list[str]) -> dict[str, dict[str, float]]:
        mean, count = self.wins.mean_value(), self.wins.count
        out = {}
        for k, (a, b) in enumerate(self.pairs):
            n = float(count[k, 0])
            p_a, p_tie, p_b = (float(x) for x in mean[k])

            def se(p: float, n: float = n) -> float:
                return float(np.sqrt(max(p * (1 - p), 0.0) / n)) if n > 0 else float("nan")

            out[f"{labels[a]} vs {labels[b]}"] = {
                "first": labels[a], "second": labels[b], "p_first_better": p_a, "p_tie": p_tie,
                "p_second_better": p_b, "se": se(p_a), "se_tie": se(p_tie), "se_second": se(p_b),
                "n_draws": int(n), "tie_absolute": self.absolute, "tie_relative": self.relative}
        return out

    def regret_table(self, labels: list[str]) -> dict[str, dict[str, float]]:
        mean, se, count = self.regret.mean_value(), self.regret.se(), self.regret.count
        p90 = self.regret.quantiles((0.9,))
        p90 = np.asarray(p90).reshape(-1, len(labels))[0] if np.size(p90) else np.full(len(labels), np.nan)
        return {label: {"mean": float(mean[j]), "se": float(se[j]), "p90": float(p90[j]),
                        "max": float(self.worst[j]), "n_draws": int(count[j])} for j, label in enumerate(labels)}


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
    run: dict[str, Any] | None = None  # {trials, seed, sampler, chunk_size} the option's numbers come from
    is_config: bool = True  # run here (per-trial values available) or read from a run directory


def _percent(h: dict[str, Any]) -> bool:
    """Whether a headline record is a probability (shown in per cent): its ``percent`` if it carries one (result.json),
    else whether its unit is "probability" (a manifest's record), else True only for the older records without either."""
    if "percent" in h:
        return bool(h["percent"])
    if h.get("unit"):
        return h["unit"] == "probability"
    return True


def _headline_of(cfg: Config, s: Summaries) -> dict[str, Any]:
    mod = registry.get(cfg.scenario)
    if hasattr(mod, "config_headline"):  # the headline of `accord run` without its report (e.g. reference rates)
        heads = mod.config_headline(cfg, s)
    elif hasattr(mod, "headline"):
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
    result_path = manifest_path.parent / "result.json"
    try:  # result.json records each headline's percent and unit; the manifest's record only its unit
        recorded = json.loads(result_path.read_text(encoding="utf-8")).get("headline") or {}
    except (OSError, ValueError):
        recorded = {}
    head = {k: {**h, **recorded.get(k, {})} for k, h in head.items()}
    head = {k: h | {"percent": _percent(h)} for k, h in head.items()}
    run = {k: m.get(k) for k in ("trials", "seed", "sampler", "chunk_size")}
    survival = None
    csv_path = manifest_path.parent / "tables" / "survival.csv"
    if csv_path.is_file():
        lines = csv_path.read_text().strip().splitlines()
        cols = lines[0].split(",")
        rows = [[float(x) if i else int(x) for i, x in enumerate(line.split(","))] for line in lines[1:]]
        survival = Table(cols, rows)
    config_path = (m.get("config") or {}).get("path")
    # the config's file stem, as a compared config is labelled (compare() makes repeated labels unique)
    label = Path(config_path).stem if isinstance(config_path, str) and config_path else manifest_path.parent.name
    return Option(label, str(path), head, survival, run=run, is_config=False)


def compare(targets: list[str], trials: int | None = None, seed: int | None = None, sampler: str | None = None,
            overrides: list[str] | None = None, tie: float = TIE_PROBABILITY, tie_relative: float = TIE_RELATIVE,
            ) -> Report:
    """Compare configs (run with common random numbers) and/or run directories against the first one; ``tie``
    and ``tie_relative`` set when two options' per-draw values count as a tie (module docstring)."""
    if not (0 <= tie < 1 and 0 <= tie_relative < 1):
        raise ConfigError(f"tie tolerances must be in [0, 1), got --tie {tie} and --tie-relative {tie_relative}",
                          "compare")
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
    robust: dict[str, WinsAndRegret] = {}
    if configs:
        accs = [defaultdict(Accumulator) for _ in configs]
        # one chunk size for all, so that chunk k holds the same trials in every config (lockstep)
        size = first_cfg.model.run.chunk_size if first_cfg else None
        # headlines only: no detail outputs (the coalition's ZOPA and deal-breakers)
        iters = [iterate_chunks(cfg, n, sd, smp, size, detail_trials=0) for _, cfg in configs]
        modules = [registry.get(cfg.scenario) for _, cfg in configs]
        probability: dict[str, bool] | None = None
        for chunks in zip(*iters):
            outs = [o for _, o in chunks]
            for acc, out in zip(accs, outs):
                for k, v in out.items():
                    acc[k].add(v)
            if probability is None:  # which metrics are probabilities (their tie tolerance is absolute)
                probability = _probabilities(configs[0][1], accs[0], sd, smp)
            draws = [per_draw_values(mod, cfg, out) for mod, (_, cfg), out in zip(modules, configs, outs)]
            for k in [k for k in draws[0] if all(k in d for d in draws[1:])]:
                robust.setdefault(k, _wins(len(draws), probability.get(k, False), tie, tie_relative)).add(
                    np.stack([d[k] for d in draws], axis=1))
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
                        if not isinstance(paired.get((j, k)), PairedRatio):  # a ratio headline pairs as a ratio,
                            paired[(j, k)] = PairedRatio()  # even if an output of the same name was differenced
                        paired[(j, k)].add(*other[k], a0, w0)
        for j, ((i, cfg), acc) in enumerate(zip(configs, accs)):
            s = Summaries(dict(acc), n, sd, smp)
            heads = _headline_of(cfg, s)
            mod = registry.get(cfg.scenario)
            surv = mod.survival_table(s) if hasattr(mod, "survival_table") else None
            bars = mod.outcome_bars(s) if hasattr(mod, "outcome_bars") and "outcome_holds" in s else None
            options[i] = Option(_label(cfg, [c for _, c in configs]), cfg.path,
                                {k: h.as_dict() | {"percent": h.percent} for k, h in heads.items()}, surv, bars,
                                run={"trials": n, "seed": sd, "sampler": smp, "chunk_size": size})
    ordered = [options[i] for i in range(len(targets))]
    labels = [o.label for o in ordered]
    for o in ordered:  # a run directory whose label repeats another option's: add its directory name
        if not o.is_config and labels.count(o.label) > 1:
            o.label = f"{o.label}@{Path(o.origin).name if Path(o.origin).is_dir() else Path(o.origin).parent.name}"
    for i, o in enumerate(ordered):  # still repeated (the same directory twice): its position
        if [x.label for x in ordered].count(o.label) > 1:
            o.label = f"{o.label} ({i + 1})"
    config_index = {i: j for j, (i, _) in enumerate(configs)}
    # win shares and regret need every option's per-draw values: configs run in lockstep only
    if len(configs) != len(targets):
        robust = {}
    report = _report(ordered, targets, paired, config_index, n, sd, smp, robust, (tie, tie_relative))
    report.parameters = _parameters([(options[i].label, cfg) for i, cfg in configs])
    return report


def _probabilities(cfg: Config, acc: dict[str, Accumulator], seed: int, sampler: str) -> dict[str, bool]:
    """Which headline metrics are probabilities (Headline.percent), read off the headline of the first chunk."""
    n = int(np.ravel(next(iter(acc.values())).n)[0]) if acc else 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        heads = _headline_of(cfg, Summaries(dict(acc), n, seed, sampler))
    return {k: bool(getattr(h, "percent", h.get("percent", False) if isinstance(h, dict) else False))
            for k, h in heads.items()}


def _wins(n_options: int, probability: bool, tie: float, tie_relative: float) -> WinsAndRegret:
    """The win/regret accumulator with the metric's tie tolerance: absolute for a probability, else relative."""
    return WinsAndRegret(n_options, absolute=tie if probability else 0.0,
                         relative=0.0 if probability else tie_relative)


def per_draw_values(module: Any, cfg: Config, outputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each headline metric's per-draw values, (n,): the module's ``per_draw(outputs)`` if it has one, else its
    headline metrics that are plain per-trial outputs."""
    if hasattr(module, "per_draw"):
        return module.per_draw(outputs)
    n = len(next(iter(outputs.values())))
    return {k: np.asarray(v, dtype=float) for k, v in outputs.items() if np.shape(v) == (n,)}


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
            sampler: str, robust: dict[str, WinsAndRegret] | None = None,
            ties: tuple[float, float] = (TIE_PROBABILITY, TIE_RELATIVE)) -> Report:
    base = opts[0]
    metrics = [k for k in base.headline if all(k in o.headline for o in opts[1:])]
    # each probability beside its reference class's rate where the options' headlines carry one
    has_ref = any(o.headline[k].get("reference_class") for o in opts for k in metrics)
    columns = ["metric", "label", "unit"]  # one metric per row: its unit in a column (the tables' convention)
    for o in opts:
        columns += [f"{o.label} mean", f"{o.label} se"]
        if has_ref:
            columns += [f"{o.label} reference_rate", f"{o.label} reference_se", f"{o.label} reference_class"]
    for o in opts[1:]:
        columns += [f"{o.label} - {base.label}", "ci95_low", "ci95_high", "method"]
    robust = {k: v for k, v in (robust or {}).items() if k in base.headline}
    labels = [o.label for o in opts]
    pairs = [(labels[a], labels[b]) for a in range(len(opts)) for b in range(a + 1, len(opts))]
    if robust:
        for first, second in pairs:
            columns += [f"P({first} > {second})", "se", "P(tie)", "se", f"P({second} > {first})", "se"]
        for label in labels:
            columns += [f"{label} regret mean", "se", "p90", "max"]
        columns.append("draws")
    rows, data = [], {"options": [o.label for o in opts], "sources": targets, "metrics": {}}
    for k in metrics:
        row: list[Any] = [k, base.headline[k].get("label", k), base.headline[k].get("unit", "")]
        values: dict[str, dict[str, Any]] = {}
        for o in opts:
            h = o.headline[k]
            row += [h["mean"], h["se"]]
            values[o.label] = {"mean": h["mean"], "se": h["se"]}
            ref = h.get("reference") or {}
            if has_ref:
                row += [ref.get("mean", np.nan), ref.get("se", np.nan), h.get("reference_class", "")]
            if h.get("reference_class"):
                values[o.label] |= {"reference": ref or None, "reference_class": h["reference_class"]}
        entry: dict[str, Any] = {"label": base.headline[k].get("label", k), "unit": base.headline[k].get("unit", ""),
                                 "percent": _percent(base.headline[k]), "values": values, "differences": {}}
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
                d, method = difference(a, b), _independent_method(base, o)
            row += [d.mean, d.lo, d.hi, method]
            entry["differences"][f"{o.label} - {base.label}"] = {**d.as_dict(), "method": method}
        if robust:
            wr = robust.get(k)
            wins = wr.win_table(labels) if wr else {}
            regret = wr.regret_table(labels) if wr else {}
            for first, second in pairs:
                w = wins.get(f"{first} vs {second}")
                row += [w["p_first_better"], w["se"], w["p_tie"], w["se_tie"], w["p_second_better"],
                        w["se_second"]] if w else [np.nan] * 6
            for label in labels:
                r = regret.get(label)
                row += [r["mean"], r["se"], r["p90"], r["max"]] if r else [np.nan] * 4
            row.append(max((w["n_draws"] for w in wins.values()), default=0))
            entry["wins"], entry["regret"] = wins, regret
        rows.append(row)
        data["metrics"][k] = entry
    table = Table(columns, rows)
    text = _text(opts, metrics, data)
    if robust:
        text += "\n\n" + _robust_text(opts, [k for k in metrics if k in robust], data, n, ties)
    figures = {}
    if robust:
        shown = {k: robust[k] for k in metrics if k in robust}
        figures["paired_differences"] = caption(
            paired_differences_figure(shown, data, labels, n),
            ("Per parameter draw, each option's value of each headline metric minus the first option's (common "
             f"random numbers; histograms of the first {min(n, WinsAndRegret.SAMPLE):,} of {n:,} draws, log "
             "counts); the legend gives the share of all draws in which the option is better and the share of "
             "ties, whose Monte Carlo s.e. is at most 0.5 / sqrt(draws) = "
             f"{number_text(0.5 / np.sqrt(max(n, 1)), True)}."))
    curves = {o.label: o.survival for o in opts if o.survival is not None}
    if curves:
        from scenarios.settlement import outcomes_figure, survival_figure

        figures["survival"] = caption(survival_figure(curves), _survival_caption(opts, curves))
        bars = {o.label: o.outputs_bar for o in opts if o.outputs_bar}
        if bars:
            figures["outcomes"] = caption(outcomes_figure(bars), _outcomes_caption(opts, bars))
    data.update({"trials": n, "seed": seed, "sampler": sampler, "runs": {o.label: o.run for o in opts},
                 "tie": {"probability_absolute": ties[0], "other_relative": ties[1]}})
    return Report("compare", text, data, {"compare": table}, figures,
                  inputs={"targets": targets, "trials": n, "seed": seed, "sampler": sampler,
                          "tie": ties[0], "tie_relative": ties[1]})


def shared_draws(a: Option, b: Option) -> bool:
    """Whether two options' numbers come from the same draws: the same seed, trials and chunk size, under the mc
    sampler (which keys each parameter's stream by its path, so parameters the configs share get identical
    draws; lhs and sobol assign dimensions by position). Unknown (an older manifest without them) is False."""
    ra, rb = a.run or {}, b.run or {}
    keys = ("trials", "seed", "sampler", "chunk_size")
    return all(ra.get(k) is not None and ra.get(k) == rb.get(k) for k in keys) and ra.get("sampler") == "mc"


def _independent_method(a: Option, b: Option) -> str:
    """compare.csv's method of a difference without per-trial values (a run directory, or a metric with no
    per-trial form): independent, saying whether the two share their draws (then the independent s.e. ignores
    their usually positive correlation and overstates the paired one)."""
    if shared_draws(a, b):
        return ("independent s.e. (draws shared: same seed, trials, chunk size, mc sampler; compare the configs "
                "for the paired interval)")
    return "independent"


def _robust_text(opts: list[Option], metrics: list[str], data: dict, n: int,
                 ties: tuple[float, float] = (TIE_PROBABILITY, TIE_RELATIVE)) -> str:
    """The console tables of win shares (one line per metric and pair) and regret (per metric and option)."""
    labels = [o.label for o in opts]
    pairs = [(labels[a], labels[b]) for a in range(len(opts)) for b in range(a + 1, len(opts))]

    def table(header: list[str], body: list[list[str]]) -> list[str]:
        widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in [header, *body]]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return lines

    wins, regrets = [], []
    for k in metrics:
        entry = data["metrics"][k]
        pct = _percent(opts[0].headline[k])
        for a, b in pairs:
            w = entry["wins"][f"{a} vs {b}"]
            wins.append([entry["label"], f"{a} vs {b}", f"{w['p_first_better']:.1%} ± {w['se']:.1%}",
                         f"{w['p_tie']:.1%} ± {w['se_tie']:.1%}",
                         f"{w['p_second_better']:.1%} ± {w['se_second']:.1%}", f"{w['n_draws']:,}"])
        for x in labels:
            r = entry["regret"][x]
            regrets.append([entry["label"], x, f"{number_text(r['mean'], pct)} ± {number_text(r['se'], pct)}",
                            number_text(r["p90"], pct), number_text(r["max"], pct)])
    draws = max((int(w[-1].replace(",", "")) for w in wins), default=n)
    out = [(f"Which option wins where: in how many of the {draws:,} parameter draws (common random numbers) one "
            "option's per-draw value beats the other's by more than a tie (higher is better; ± one Monte Carlo "
            f"s.e.). A tie is a per-draw difference of at most {100 * ties[0]:g} percentage points for a "
            f"probability (--tie {ties[0]:g}) and at most {100 * ties[1]:g}% of the larger value for other units "
            f"(--tie-relative {ties[1]:g}): smaller differences do not matter for a decision."), ""]
    out += table(["metric", "pair (first vs second)", "first better", "tie", "second better", "draws"], wins)
    out += ["", ("Regret: each option's gap to the best option in the same draw (Savage 1951; Lempert, Popper & "
            "Bankes 2003):"), ""]
    out += table(["metric", "option", "mean ± s.e.", "90th percentile", "maximum"], regrets)
    out += ["", ("A conditional metric (| adopted) takes its value given adoption in each draw and compares the draws "
                 "where both options have some chance of adoption; the 90th percentile is from the first 100,000 "
                 "draws.")]
    return "\n".join(out)


def paired_differences_figure(robust: dict[str, WinsAndRegret], data: dict, labels: list[str], n: int):
    """One panel per metric: the distribution over draws of each option's per-draw value minus the first
    option's (histograms of the first 20,000 draws), with the win shares in the legend."""
    from scenarios import plots

    metrics = list(robust)
    ncol = min(3, len(metrics))
    nrow = -(-len(metrics) // ncol)
    fig = plots.figure(figsize=(4.8 * ncol, 3.8 * nrow))
    fig.set_layout_engine("constrained")
    axes = np.atleast_1d(fig.subplots(nrow, ncol)).ravel()
    for ax, k in zip(axes, metrics):
        diffs = np.concatenate(robust[k].differences) if robust[k].differences else np.empty((0, len(labels) - 1))
        for j, label in enumerate(labels[1:]):
            d = diffs[:, j]
            d = d[np.isfinite(d)]
            if not d.size:
                continue
            w = data["metrics"][k]["wins"][f"{labels[0]} vs {label}"]
            lo, hi = float(d.min()), float(d.max())
            bins = np.linspace(lo, hi, 41) if hi > lo else np.array([lo - 0.5, lo + 0.5])
            ax.hist(d, bins=bins, histtype="step", lw=1.4, color=f"C{j}",
                    label=f"{label} - {labels[0]}: {label} better in {w['p_second_better']:.0%}, "
                          f"ties {w['p_tie']:.0%}")
        ax.axvline(0, color="grey", ls=":")
        ax.set_yscale("log")
        ax.set_title(data["metrics"][k]["label"], fontsize=9, pad=30)
        ax.set_xlabel("per-draw difference", fontsize=8)
        ax.legend(fontsize=6, loc="lower center", bbox_to_anchor=(0.5, 1.08), frameon=False)
    for ax in axes[len(metrics):]:
        ax.axis("off")
    fig.suptitle(f"Paired differences per parameter draw (common random numbers; first "
                 f"{min(n, WinsAndRegret.SAMPLE):,} of {n:,} draws; log counts)", fontsize=10)
    return fig


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
            "95% Monte Carlo intervals (Wilson on the effective sample, its variance by the delta method). "
            + "; ".join(parts) + ".")


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
            "means with 95% error bars at each segment's right end (for the breaks, bounded above by the sum of the "
            "per-year standard errors). " + "; ".join(parts) + ".")


def _est(d: dict[str, Any]) -> Estimate:
    return Estimate(d["mean"], d["se"], d.get("ci95_low", np.nan), d.get("ci95_high", np.nan), int(d.get("n_trials", 0)))




def _runs_text(opts: list[Option]) -> str:
    """Where each option's numbers come from: its trials, seed and sampler (one line if they all agree)."""
    def one(o: Option) -> str:
        r = o.run or {}
        trials = f"{r['trials']:,} trials" if isinstance(r.get("trials"), int) else "trials not recorded"
        return f"{trials}, seed {r.get('seed', 'not recorded')}, sampler {r.get('sampler') or 'not recorded'}"
    described = [one(o) for o in opts]
    if len(set(described)) == 1:
        return described[0].replace(" trials,", " trials each,", 1)
    return "; ".join(f"{o.label}: {d}" for o, d in zip(opts, described))


def _text(opts: list[Option], metrics: list[str], data: dict) -> str:
    base = opts[0]
    header = ["metric"] + [o.label for o in opts] + [f"{o.label} - {base.label} (95% CI)" for o in opts[1:]]
    lines = [header]
    classes: dict[str, list[str]] = {}  # reference class (per option if they differ) -> the rows it stands beside
    for k in metrics:
        pct = _percent(base.headline[k])
        row = [data["metrics"][k]["label"]]
        for o in opts:
            v = o.headline[k]
            row.append(f"{number_text(v['mean'], pct)} ± {number_text(v['se'], pct)}")
        for d in data["metrics"][k]["differences"].values():
            row.append(f"{number_text(d['mean'], pct)} ({number_text(d['ci95_low'], pct)} to {number_text(d['ci95_high'], pct)})")
        lines.append(row)
        if any(o.headline[k].get("reference_class") for o in opts):  # the outside view beside the estimate
            ref_row = ["  beside it: reference class alone"]
            named = {o.label: o.headline[k].get("reference_class") or "none" for o in opts}
            which = next(iter(named.values())) if len(set(named.values())) == 1 else \
                "; ".join(f"{label}: {c}" for label, c in named.items())
            classes.setdefault(which, []).append(data["metrics"][k]["label"])
            for o in opts:
                h = o.headline[k]
                r = h.get("reference") or {}
                ref_row.append(f"{number_text(r['mean'], pct)} ± {number_text(r['se'], pct)}"
                               if r.get("mean") is not None else "n/a")
            lines.append(ref_row + [""] * (len(opts) - 1))
    widths = [max(len(r[i]) for r in lines) for i in range(len(header))]
    out = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in lines]
    out.insert(1, "  ".join("-" * w for w in widths))
    out.append("")
    if classes:
        out.append("Reference class alone: the rate of the same quantity in the reference class, on the same trials "
                   "weighted by the same P(adopted) (n/a where the record has none). "
                   + " ".join(f"{', '.join(rows)}: {cls}." for cls, rows in classes.items()))
    methods = {d["method"] for e in data["metrics"].values() for d in e["differences"].values()}
    how = ("differences paired on common random numbers where compare.csv's method says 'paired', else "
           "independent" if any(m.startswith("paired") for m in methods) else "differences independent")
    if any("draws shared" in m for m in methods):
        how += (" (some options share their draws: the independent s.e. then usually overstates the paired one; "
                "compare the configs for the paired interval)")
    out.append(f"{_runs_text(opts)}; ± is one standard error; {how}.")
    return "\n".join(out)


def point_metrics(configs: list[Config], labels: list[str], trials: int, seed: int, sampler: str = "mc",
                  tie: float = TIE_PROBABILITY, tie_relative: float = TIE_RELATIVE) -> dict[str, dict[str, Any]]:
    """The metrics a sweep point records when it compares options (`accord sweep ... --compare`), run in lockstep
    with common random numbers as `compare` runs them. For each headline metric m common to the options:
    "m.<option>" its mean (with s.e.); "m.share.<option>_beats_<first>" the share of draws in which the option
    beats the first (s.e. the binomial one); "m.regret.<option>" the option's mean regret; and "m.best" the index
    (0-based, in the order given) of the option with the highest mean (ties in a draw as in `compare`: within
``tie`` for a probability, ``tie_relative`` of the value otherwise), so that PRIM (`accord discover`) can find
    where the preferred option changes (e.g. --outcome p_adopted.best --above 0.5). Returns sweep-style records:
    name -> {label, percent, mean, se, ci95_low, ci95_high, n_trials}."""
    size = configs[0].model.run.chunk_size
    accs = [defaultdict(Accumulator) for _ in configs]
    modules = [registry.get(cfg.scenario) for cfg in configs]
    robust: dict[str, WinsAndRegret] = {}
    iters = [iterate_chunks(cfg, trials, seed, sampler, size, detail_trials=0) for cfg in configs]
    probability: dict[str, bool] | None = None
    for chunks in zip(*iters):
        outs = [o for _, o in chunks]
        for acc, out in zip(accs, outs):
            for k, v in out.items():
                acc[k].add(v)
        if probability is None:
            probability = _probabilities(configs[0], accs[0], seed, sampler)
        draws = [per_draw_values(mod, cfg, out) for mod, cfg, out in zip(modules, configs, outs)]
        for k in [k for k in draws[0] if all(k in d for d in draws[1:])]:
            robust.setdefault(k, _wins(len(draws), probability.get(k, False), tie, tie_relative)).add(
                np.stack([d[k] for d in draws], axis=1))
    heads = [_headline_of(cfg, Summaries(dict(acc), trials, seed, sampler)) for cfg, acc in zip(configs, accs)]
    out: dict[str, dict[str, Any]] = {}

    def record(name: str, label: str, percent: bool, mean: float, se: float, n: int, unit: str = "") -> None:
        out[name] = {"label": label, "percent": percent, "mean": mean, "se": se,
                     "ci95_low": mean - 1.959964 * se, "ci95_high": mean + 1.959964 * se, "n_trials": n,
                     "unit": unit}

    for k in [k for k in heads[0] if all(k in h for h in heads[1:])]:
        label, percent = heads[0][k].label, bool(heads[0][k].percent)
        unit = heads[0][k].unit_name() if hasattr(heads[0][k], "unit_name") else ""
        means = []
        for option, h in zip(labels, heads):
            e = h[k].estimate
            record(f"{k}.{option}", f"{label}: {option}", percent, e.mean, e.se, e.n, unit)
            means.append(e.mean)
        record(f"{k}.best", f"{label}: best option (index)", False, float(np.nanargmax(means)), 0.0, trials,
               "option index")
        if k in robust:
            wins, regret = robust[k].win_table(labels), robust[k].regret_table(labels)
            for option in labels[1:]:
                w = wins[f"{labels[0]} vs {option}"]
                record(f"{k}.share.{option}_beats_{labels[0]}", f"{label}: share of draws {option} beats {labels[0]}",
                       True, w["p_second_better"], w["se_second"], w["n_draws"], "share of draws")
            for option in labels:
                r = regret[option]
                record(f"{k}.regret.{option}", f"{label}: mean regret of {option}", percent, r["mean"], r["se"],
                       r["n_draws"], unit)
    return out
