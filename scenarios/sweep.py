"""Sweeps: a config run over a grid or a sample of parameter values, in parallel, resumably.

Axes (``parse_axes``): ``--grid key=lo:hi:n`` (linear), ``--grid key=log:lo:hi:n`` (geometric),
``--values key=a,b,c`` and ``--lhs N --range key=lo:hi ...`` (one Latin hypercube block over all the ranges;
McKay, Beckman & Conover 1979, via ``scipy.stats.qmc``). The points are the Cartesian product of the axes
(the Latin hypercube counts as one axis of N points). Each point is the base config with the point's values
applied as ``--set`` overrides, run in full: ``trials`` trials with its own seed, derived from the sweep seed
and the point's index by ``SeedSequence(seed, spawn_key=(SWEEP_KEY, index))``. A point's numbers therefore do
not depend on which worker ran it, nor on how many workers there were.

The sweep directory (``outputs/<config-stem>/sweep-<id>/`` or ``--out``):

* ``manifest.json``  written once, before any point runs: the base config (resolved), overrides, axes,
  every point's values and seed, trials, sampler, versions, command line;
* ``points.jsonl``   append-only, one line per finished point (fsync'ed), so an interrupted sweep loses at
  most the points in flight; ``resume`` runs only the points without an ``ok`` line;
* ``points.csv``     when the sweep ends: one row per point (index, swept values, each headline metric's mean,
  standard error and trial count, seed), in point order, so a resumed sweep equals an uninterrupted one;
* ``failed.csv``     the points that failed, with their values and the error (only if any did);
* ``figures/``       a line plot for a 1-D sweep, a heatmap with contours per metric for a 2-D grid, small
  multiples (each metric against each swept key) otherwise; ``summary.md``.

A new sweep never reuses an existing directory (the manifest is written to a temporary sibling and renamed
into place); a resumed sweep only appends points and rewrites the derived files (points.csv, figures).

Executors: the current process (1 worker), local processes (``concurrent.futures.ProcessPoolExecutor``,
forkserver start method), or a Dask cluster (``dask.distributed``; an optional extra: ``pip install
accord[dask]``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import numpy as np
import yaml

from model import params as P
from scenarios import engine, registry
from scenarios.config import Config, ConfigError, from_data, load
from scenarios.results import (
    RunDirError,
    atomic_dir,
    command_line,
    git_commit,
    number_text,
    run_id,
    save_figures,
    versions,
)
from scenarios.runs import config_record, describe_config

SWEEP_KEY = 0x73776570  # "swep": the spawn key of per-point seeds
LHS_KEY = 0x6C687321  # "lhs!": the spawn key of the Latin hypercube design
POINTS_LOG = "points.jsonl"
SOURCE_ROOT = Path(__file__).resolve().parent.parent

# ------------------------------------------------------------------------------------------------ axes


@dataclass(frozen=True)
class Axis:
    """One factor of the sweep: kind 'grid' | 'log' | 'values' (one key) or 'lhs' (one or more keys)."""

    kind: str
    keys: tuple[str, ...]
    values: tuple[Any, ...] = ()  # grid / log / values: the values of the single key
    ranges: tuple[tuple[float, float], ...] = ()  # lhs: (lo, hi) per key
    n: int = 0  # lhs: number of points
    text: str = ""

    def size(self) -> int:
        return self.n if self.kind == "lhs" else len(self.values)

    def rows(self, seed: int) -> list[tuple[Any, ...]]:
        """The axis' points: a tuple of values (one per key) per point."""
        if self.kind != "lhs":
            return [(v,) for v in self.values]
        from scipy.stats import qmc

        rng = np.random.default_rng(P.child_seed(seed, LHS_KEY))
        u = qmc.LatinHypercube(len(self.keys), seed=rng).random(self.n)
        lo = np.array([r[0] for r in self.ranges])
        hi = np.array([r[1] for r in self.ranges])
        x = lo + u * (hi - lo)
        return [tuple(_tidy(float(v)) for v in row) for row in x]

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind, "keys": list(self.keys), "text": self.text}
        if self.kind == "lhs":
            d.update(n=self.n, ranges=[list(r) for r in self.ranges])
        else:
            d["values"] = list(self.values)
        return d


@dataclass(frozen=True)
class Axes:
    """The sweep's axes; its points are their Cartesian product (the first axis varies slowest)."""

    axes: tuple[Axis, ...]

    @property
    def keys(self) -> list[str]:
        return [k for a in self.axes for k in a.keys]

    def size(self) -> int:
        return math.prod(a.size() for a in self.axes)

    def points(self, seed: int) -> list[dict[str, Any]]:
        """Every point as {key: value}, in product order."""
        import itertools

        per_axis = [a.rows(seed) for a in self.axes]
        out = []
        for combo in itertools.product(*per_axis):
            point: dict[str, Any] = {}
            for axis, row in zip(self.axes, combo):
                point.update(zip(axis.keys, row))
            out.append(point)
        return out

    def describe(self) -> str:
        return " x ".join(a.text for a in self.axes)

    def as_list(self) -> list[dict[str, Any]]:
        return [a.as_dict() for a in self.axes]


GRID_HELP = "allowed: KEY=LO:HI:N (linear), KEY=log:LO:HI:N (log spacing, LO > 0), with N >= 1 points"
VALUES_HELP = "allowed: KEY=A,B,C (numbers or YAML scalars)"
RANGE_HELP = "allowed: KEY=LO:HI with LO < HI (a range for --lhs)"


def _tidy(v: float) -> float | int:
    """12 significant digits (0.30000000000000004 -> 0.3), and a whole number as an int."""
    v = float(f"{v:.12g}")
    return int(v) if v.is_integer() and abs(v) < 2**53 else v


def _number(text: str, what: str, hint: str, option: str) -> float:
    try:
        v = float(text.strip().replace("_", ""))
    except ValueError:
        raise click.BadParameter(f"{what} {text.strip()!r} is not a number; {hint}", param_hint=option) from None
    if not math.isfinite(v):
        raise click.BadParameter(f"{what} must be finite, got {text.strip()!r}; {hint}", param_hint=option)
    return v


def _split_key(text: str, option: str, hint: str) -> tuple[str, str]:
    if "=" not in text:
        raise click.BadParameter(f"{text!r} has no '='; {hint}", param_hint=option)
    key, rest = text.split("=", 1)
    key = key.strip()
    if not key or any(not part for part in key.split(".")) or any(c.isspace() for c in key):
        raise click.BadParameter(f"{key!r} is not a dotted config key (e.g. forces.ukraine_cap); {hint}",
                                 param_hint=option)
    return key, rest.strip()


def _parse_grid(text: str) -> Axis:
    key, rest = _split_key(text, "--grid", GRID_HELP)
    parts = rest.split(":")
    log = bool(parts) and parts[0].strip().lower() == "log"
    if log:
        parts = parts[1:]
    if len(parts) != 3:
        raise click.BadParameter(f"{text!r} is not a grid; {GRID_HELP}", param_hint="--grid")
    lo = _number(parts[0], "LO", GRID_HELP, "--grid")
    hi = _number(parts[1], "HI", GRID_HELP, "--grid")
    try:
        n = int(parts[2].strip())
    except ValueError:
        raise click.BadParameter(f"N {parts[2].strip()!r} is not a whole number; {GRID_HELP}", param_hint="--grid") \
            from None
    if n < 1 or n > 1_000_000:
        raise click.BadParameter(f"N must be between 1 and 1,000,000, got {n}; {GRID_HELP}", param_hint="--grid")
    if n > 1 and lo == hi:
        raise click.BadParameter(f"{text!r}: LO equals HI, so the {n} points would all be equal; {GRID_HELP}",
                                 param_hint="--grid")
    if log:
        if lo <= 0 or hi <= 0:
            raise click.BadParameter(f"{text!r}: log spacing needs LO > 0 and HI > 0; {GRID_HELP}", param_hint="--grid")
        values = np.geomspace(lo, hi, n) if n > 1 else np.array([lo])
    else:
        values = np.linspace(lo, hi, n) if n > 1 else np.array([lo])
    return Axis("log" if log else "grid", (key,), tuple(_tidy(v) for v in values), text=text.strip())


def _value(text: str) -> Any:
    text = text.strip()
    try:
        return _tidy(float(text.replace("_", "")))
    except ValueError:
        pass
    try:
        v = yaml.safe_load(text)
    except yaml.YAMLError:
        v = None
    if not isinstance(v, (str, bool, int, float)) or text == "":
        raise click.BadParameter(f"value {text!r} is not a number or a plain YAML scalar; {VALUES_HELP}",
                                 param_hint="--values")
    return v


def _parse_values(text: str) -> Axis:
    key, rest = _split_key(text, "--values", VALUES_HELP)
    items = [x for x in rest.split(",")]
    if not rest or any(not x.strip() for x in items):
        raise click.BadParameter(f"{text!r} has an empty value; {VALUES_HELP}", param_hint="--values")
    values = tuple(_value(x) for x in items)
    return Axis("values", (key,), values, text=text.strip())


def _parse_range(text: str) -> tuple[str, tuple[float, float]]:
    key, rest = _split_key(text, "--range", RANGE_HELP)
    parts = rest.split(":")
    if len(parts) != 2:
        raise click.BadParameter(f"{text!r} is not a range; {RANGE_HELP}", param_hint="--range")
    lo = _number(parts[0], "LO", RANGE_HELP, "--range")
    hi = _number(parts[1], "HI", RANGE_HELP, "--range")
    if not lo < hi:
        raise click.BadParameter(f"{text!r}: LO must be below HI; {RANGE_HELP}", param_hint="--range")
    return key, (lo, hi)


def parse_axes(grid: list[str], values: list[str], lhs: int | None, ranges: list[str]) -> Axes:
    """Parse --grid / --values / --lhs with --range into the sweep's axes (their product is the sweep).

    Raises click.BadParameter (one line naming what is allowed) on bad syntax, a key given twice, --lhs
    without --range or --range without --lhs.
    """
    axes = [_parse_grid(g) for g in grid] + [_parse_values(v) for v in values]
    parsed = [_parse_range(r) for r in ranges]
    if lhs is not None:
        if lhs < 1:
            raise click.BadParameter(f"--lhs needs N >= 1, got {lhs}", param_hint="--lhs")
        if not parsed:
            raise click.BadParameter("--lhs N needs at least one --range KEY=LO:HI", param_hint="--lhs")
        axes.append(Axis("lhs", tuple(k for k, _ in parsed), ranges=tuple(r for _, r in parsed), n=lhs,
                         text=f"lhs {lhs} over {', '.join(r.strip() for r in ranges)}"))
    elif parsed:
        raise click.BadParameter("--range gives a range for --lhs N; add --lhs N (or use --grid KEY=LO:HI:N)",
                                 param_hint="--range")
    if not axes:
        raise click.BadParameter("give at least one of --grid, --values or --lhs", param_hint="--grid")
    seen: set[str] = set()
    for a in axes:
        for k in a.keys:
            if k in seen:
                raise click.BadParameter(f"key {k!r} is swept twice; give each key in one --grid, --values or "
                                         f"--range only", param_hint="--grid")
            seen.add(k)
    return Axes(tuple(axes))


def axes_from_list(items: list[dict[str, Any]]) -> Axes:
    """Rebuild Axes from a manifest's ``axes`` list."""
    out = []
    for d in items:
        if d["kind"] == "lhs":
            out.append(Axis("lhs", tuple(d["keys"]), ranges=tuple(tuple(r) for r in d["ranges"]), n=int(d["n"]),
                            text=d.get("text", "")))
        else:
            out.append(Axis(d["kind"], tuple(d["keys"]), tuple(d["values"]), text=d.get("text", "")))
    return Axes(tuple(out))


def yaml_text(v: Any) -> str:
    """A value written so that YAML reads it back as the same value (1e-05 needs a dot to be a float)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return ".nan"
        if math.isinf(v):
            return ".inf" if v > 0 else "-.inf"
        text = repr(v)
        if "e" in text and "." not in text.split("e")[0]:
            mant, exp = text.split("e")
            text = f"{mant}.0e{exp if exp[0] in '+-' else '+' + exp}"
        return text
    return json.dumps(str(v))


def point_overrides(values: dict[str, Any]) -> list[str]:
    return [f"{k}={yaml_text(v)}" for k, v in values.items()]


def point_seed(seed: int, index: int) -> int:
    """The seed of point ``index``: from SeedSequence(seed, spawn_key=(SWEEP_KEY, index)), < 2**63."""
    return int(P.child_seed(seed, SWEEP_KEY, index).generate_state(1, np.uint64)[0] >> np.uint64(1))


# ------------------------------------------------------------------------------------------ one point


def headline_of(cfg: Config, s: engine.Summaries) -> dict[str, Any]:
    """The scenario's headline metrics: its cheap ``headline(s)`` if it has one, else its report's."""
    mod = registry.get(cfg.scenario)
    if hasattr(mod, "headline"):
        return mod.headline(s)
    return mod.report(cfg, s).headline


def _ensure_scenario(name: str, module: str) -> None:
    """Make a scenario registered in the parent (e.g. a test fixture) known in a worker process."""
    if name not in registry.available():
        registry.SCENARIOS[name] = module


def run_point(task: dict[str, Any]) -> dict[str, Any]:
    """Run one point (in any process): validate its config, summarise, take the headline. Never raises for
    a failing point: the record says status 'failed' and why."""
    t0 = time.perf_counter()
    rec: dict[str, Any] = {"point": task["index"], "values": task["values"], "seed": task["seed"]}
    try:
        _ensure_scenario(task["scenario"], task["module"])
        # the sweep's chunk size, as recorded when it started (the numbers depend on it), then the point's values
        chunk = task.get("chunk_size")
        overrides = [f"run.chunk_size={int(chunk)}"] if isinstance(chunk, int) else []
        cfg = from_data(task["base"], files=task["files"], overrides=overrides + point_overrides(task["values"]),
                        path=task["path"])
        # only the headline metrics are kept: no detail outputs (they do not change the headline numbers)
        if task.get("compare"):  # several options at this point, in lockstep (scenarios.compare.point_metrics)
            from scenarios.compare import point_metrics

            others = [from_data(o["resolved"], files=o["files"], overrides=overrides + point_overrides(task["values"]),
                                path=o["path"]) for o in task["compare"]]
            rec["metrics"] = point_metrics([cfg, *others], task["labels"], task["trials"], task["seed"],
                                           task["sampler"])
        else:
            s = engine.summarise(cfg, task["trials"], task["seed"], task["sampler"], detail_trials=0)
            heads = headline_of(cfg, s)
            rec["metrics"] = {k: {"label": h.label, "percent": bool(h.percent), **h.estimate.as_dict(),
                                  "unit": h.unit_name() if hasattr(h, "unit_name") else ""} for k, h in heads.items()}
        rec["status"] = "ok"
    except Exception as exc:  # noqa: BLE001 - a failed point must not lose the others; it is recorded
        text = exc.text() if isinstance(exc, ConfigError) else str(exc)
        rec["status"] = "failed"
        rec["error"] = f"{type(exc).__name__}: {' '.join(text.split())}"
    rec["seconds"] = round(time.perf_counter() - t0, 4)
    rec["pid"] = os.getpid()
    return rec


# ------------------------------------------------------------------------------------------ executors


def _run_local(tasks: list[dict], workers: int, record: Callable[[dict], None]) -> None:
    if workers <= 1 or len(tasks) <= 1:
        for task in tasks:
            record(run_point(task))
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    # forkserver: workers start from a clean process, safe even when the parent holds threads (Dask, BLAS)
    ctx = multiprocessing.get_context("forkserver")
    pool = ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=ctx,
                               initializer=engine.die_with_parent, initargs=(None, os.getpid()))  # issue 16
    try:
        futures = [pool.submit(run_point, t) for t in tasks]
        for fut in as_completed(futures):
            record(fut.result())
    except BrokenProcessPool as exc:
        raise engine.ModelError(f"a worker process died ({exc}); the finished points are recorded") from exc
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _run_dask(tasks: list[dict], scheduler: str | None, dask_local: int | None,
              record: Callable[[dict], None]) -> None:
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise ConfigError("--scheduler / --dask-local need Dask: pip install 'accord[dask]' "
                          "(or dask[distributed])", "sweep") from None
    cluster = None
    try:
        if scheduler:
            try:
                client = Client(scheduler, timeout="20s")
            except (OSError, TimeoutError) as exc:
                raise ConfigError(f"cannot reach the Dask scheduler at {scheduler}: {exc}", "--scheduler") from None
        else:
            cluster = LocalCluster(n_workers=dask_local, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
            client = Client(cluster)
        try:
            futures = [client.submit(run_point, t, pure=False) for t in tasks]
            for fut in as_completed(futures):
                try:
                    record(fut.result())
                except Exception as exc:  # a lost worker or scheduler: keep what finished
                    raise engine.ModelError(f"the Dask cluster lost a point ({type(exc).__name__}: {exc}); "
                                            "the finished points are recorded") from exc
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()


class _Bar:
    """Points done, rate and time left on stderr (only when asked, or when stderr is a terminal)."""

    def __init__(self, total: int, label: str, enabled: bool):
        self.total, self.label, self.enabled = total, label, enabled and total > 0
        self.done, self.t0 = 0, time.perf_counter()

    def update(self, n: int = 1) -> None:
        if not self.enabled:
            return
        self.done += n
        elapsed = time.perf_counter() - self.t0
        rate = self.done / max(elapsed, 1e-9)
        left = (self.total - self.done) / rate if rate > 0 else float("nan")
        width = 28
        fill = int(width * self.done / self.total)
        eta = f"{int(left // 60)}:{int(left % 60):02d}" if math.isfinite(left) else "?"
        sys.stderr.write(f"\r{self.label} [{'#' * fill}{'.' * (width - fill)}] {self.done}/{self.total} points, "
                         f"{rate:.2f}/s, ETA {eta} ")
        if self.done >= self.total:
            sys.stderr.write("\n")
        sys.stderr.flush()


# ---------------------------------------------------------------------------------------- the records


def read_records(sweep_dir: Path) -> dict[int, dict[str, Any]]:
    """The last record of every point in points.jsonl (a line cut short by a kill is ignored)."""
    out: dict[int, dict[str, Any]] = {}
    path = sweep_dir / POINTS_LOG
    if not path.is_file():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
            idx = int(rec["point"])
        except (ValueError, KeyError, TypeError):
            continue
        if rec.get("status") == "ok" or out.get(idx, {}).get("status") != "ok":
            out[idx] = rec
    return out


class _Log:
    """points.jsonl opened for appending, locked against a second process running the same sweep."""

    def __init__(self, sweep_dir: Path):
        import fcntl

        self.path = sweep_dir / POINTS_LOG
        self.f = open(self.path, "ab")  # noqa: SIM115 - closed in close()
        try:
            fcntl.flock(self.f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.f.close()
            raise RunDirError(f"{sweep_dir} is being run by another accord process") from None
        if self.f.tell() > 0:  # a kill may have cut the last line short: start on a fresh line
            with open(self.path, "rb") as g:
                g.seek(-1, os.SEEK_END)
                if g.read(1) != b"\n":
                    self.f.write(b"\n")

    def write(self, rec: dict[str, Any]) -> None:
        self.f.write((json.dumps(rec, default=_json_default) + "\n").encode())
        self.f.flush()
        os.fsync(self.f.fileno())

    def close(self) -> None:
        self.f.close()


def _json_default(o: Any) -> Any:
    if hasattr(o, "item"):
        return o.item()
    return str(o)


# ------------------------------------------------------------------------------------------- outcome


@dataclass
class Outcome:
    """What a sweep did: where it is, how many points finished or failed (the CLI exits 1 if any failed)."""

    sweep_dir: Path
    config: str
    scenario: str
    axes: str
    keys: list[str]
    n_points: int
    n_done: int
    failed: list[dict[str, Any]]
    ran_now: int
    trials: int
    seed: int
    sampler: str
    executor: str
    seconds: float
    resumed: bool
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> label, percent, min, max
    figures: list[str] = field(default_factory=list)

    @property
    def n_failed(self) -> int:
        return len(self.failed)

    def json(self) -> dict[str, Any]:
        return {
            "sweep_dir": str(self.sweep_dir),
            "config": self.config,
            "scenario": self.scenario,
            "axes": self.axes,
            "keys": self.keys,
            "points": self.n_points,
            "completed": self.n_done,
            "failed": self.failed,
            "ran_now": self.ran_now,
            "resumed": self.resumed,
            "trials": self.trials,
            "seed": self.seed,
            "sampler": self.sampler,
            "executor": self.executor,
            "seconds": self.seconds,
            "points_csv": str(self.sweep_dir / "points.csv"),
            "figures": self.figures,
            "metrics": self.metrics,
        }

    def text(self) -> str:
        verb = "resumed" if self.resumed else "ran"
        lines = [(f"sweep of {Path(self.config).stem} ({self.scenario}) over {self.axes}: {self.n_points} points, "
                 f"{self.trials:,} trials each, seed {self.seed}; {verb} {self.ran_now} points in "
                 f"{self.seconds:.1f} s on {self.executor}; {self.n_done} of {self.n_points} done")]
        width = max((len(m["label"]) for m in self.metrics.values()), default=0)
        for m in self.metrics.values():
            if m.get("min") is None:
                continue
            pct = m["percent"]
            lines.append(f"  {m['label']:<{width}}  {number_text(m['min'], pct)} to {number_text(m['max'], pct)} over the points "
                         f"(largest s.e. {number_text(m['max_se'], pct)})")
        for f in self.failed:
            vals = ", ".join(f"{k}={v}" for k, v in f["values"].items())
            lines.append(f"  FAILED point {f['point']} ({vals}): {f['error']}")
        if self.failed:
            lines.append(f"  re-run the failed points with: accord sweep --resume {self.sweep_dir}")
        lines.append(f"written to {self.sweep_dir}/ (points.csv, manifest.json, figures/)")
        return "\n".join(lines)


# ------------------------------------------------------------------------------------------ the sweep


def _executor_name(workers: int, scheduler: str | None, dask_local: int | None) -> str:
    if scheduler:
        return f"Dask scheduler {scheduler}"
    if dask_local:
        return f"a local Dask cluster of {dask_local} workers"
    return "1 process" if workers <= 1 else f"{workers} local processes"


def _validate_points(cfg: Config, points: list[dict[str, Any]]) -> None:
    """Every point's overrides must give a valid config; fail fast, naming the point, before anything runs."""
    for i, values in enumerate(points):
        try:
            from_data(cfg.data, cfg.locs, cfg.files, point_overrides(values), path=cfg.path)
        except ConfigError as exc:
            vals = ", ".join(f"{k}={v}" for k, v in values.items())
            first = exc.errors[0] if hasattr(exc, "errors") else exc
            raise ConfigError(f"sweep point {i} ({vals}): {first.text()}", "sweep") from None


def run_sweep(
    config_path: Path,
    overrides: list[str],
    axes: Axes,
    trials: int | None,
    seed: int | None,
    sampler: str | None,
    workers: int | None,
    scheduler: str | None,
    dask_local: int | None,
    out: Path | None,
    progress: bool | None,
    formats: tuple[str, ...] = ("png",),
    outputs_root: Path = Path("outputs"),
    compare_with: Sequence[Path] = (),
) -> Outcome:
    """Run a config at every point of ``axes`` and write the sweep directory (see the module docstring). With
    ``compare_with`` (other configs: `accord sweep ... --compare OTHER`), each point runs every option in lockstep
    and records each metric per option, the share of draws each beats the first, its mean regret and the best
    option (scenarios.compare.point_metrics), for PRIM to find where the preferred option changes."""
    cfg = load(config_path, list(overrides))
    others = [load(p, list(overrides)) for p in compare_with]
    run = cfg.model.run
    trials = run.trials if trials is None else trials
    seed = run.seed if seed is None else seed
    sampler = sampler or run.sampler
    points = axes.points(seed)
    _validate_points(cfg, points)
    for other in others:
        _validate_points(other, points)
    started = dt.datetime.now(dt.UTC)
    axes_digest = json.dumps(axes.as_list(), sort_keys=True, default=str)
    rid = run_id(cfg.digest() + axes_digest, seed, sampler, trials, started)
    target = out if out is not None else outputs_root / cfg.stem / f"sweep-{rid}"
    manifest = {
        "accord_manifest": 1,
        "kind": "sweep",
        "run_id": rid,
        "scenario": cfg.scenario,
        "config": config_record(cfg),
        "parameters": describe_config(cfg)["parameters"],  # the base config's, with units (report.html)
        "axes": axes.as_list(),
        "keys": axes.keys,
        "points": [{"point": i, "values": v, "seed": point_seed(seed, i)} for i, v in enumerate(points)],
        "seed": seed,
        "seed_derivation": "point seed = SeedSequence(seed, spawn_key=(0x73776570, point)).generate_state(1, "
                           "uint64)[0] >> 1",
        "sampler": sampler,
        "trials": trials,
        "chunk_size": run.chunk_size,
        **({"compare": [config_record(o) for o in others],
            "labels": _option_labels([cfg, *others])} if others else {}),
        "formats": list(formats),
        "versions": versions(),
        "git": git_commit(SOURCE_ROOT),
        "command_line": command_line(),
        "cwd": str(Path.cwd()),
        "started_utc": started.isoformat(timespec="seconds"),
    }

    def fill(tmp: Path) -> None:
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, default=_json_default) + "\n",
                                           encoding="utf-8")
        (tmp / POINTS_LOG).touch()

    sweep_dir = atomic_dir(target, fill, unique=out is None)
    return _continue(sweep_dir, manifest, workers, scheduler, dask_local, progress, resumed=False)


def _option_labels(configs: list[Config]) -> list[str]:
    """Each option's label in the sweep's metric names: its file stem (with its directory if stems repeat)."""
    stems = [c.stem for c in configs]
    return [f"{Path(c.path).parent.name}_{c.stem}" if stems.count(c.stem) > 1 else c.stem for c in configs]


def read_manifest(sweep_dir: Path) -> dict[str, Any]:
    path = sweep_dir / "manifest.json"
    try:
        m = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("not a sweep directory (no manifest.json)", str(sweep_dir)) from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"unreadable manifest.json ({type(exc).__name__}: {exc})", str(sweep_dir)) from None
    if m.get("kind") != "sweep" or "points" not in m:
        raise ConfigError("not a sweep directory (its manifest.json is not a sweep's)", str(sweep_dir))
    return m


def resume(dir: Path, workers: int | None, scheduler: str | None, dask_local: int | None,
           progress: bool | None) -> Outcome:
    """Finish an interrupted sweep: run only the points without a finished record (failed ones again)."""
    manifest = read_manifest(Path(dir))
    return _continue(Path(dir), manifest, workers, scheduler, dask_local, progress, resumed=True)


def _continue(sweep_dir: Path, manifest: dict[str, Any], workers: int | None, scheduler: str | None,
              dask_local: int | None, progress: bool | None, resumed: bool) -> Outcome:
    t0 = time.perf_counter()
    scenario = manifest["scenario"]
    modules = registry.available()
    if scenario not in modules:
        raise ConfigError(f"the sweep's scenario {scenario!r} is not available; allowed: {', '.join(modules)}",
                          str(sweep_dir))
    conf = manifest["config"]
    base = {"base": conf["resolved"], "files": conf["files"], "path": conf["path"], "scenario": scenario,
            "module": modules[scenario], "trials": manifest["trials"], "sampler": manifest["sampler"],
            "chunk_size": manifest.get("chunk_size"),
            **({"compare": manifest["compare"], "labels": manifest["labels"]} if manifest.get("compare") else {})}
    log = _Log(sweep_dir)
    try:
        done = read_records(sweep_dir)
        todo = [p for p in manifest["points"] if done.get(p["point"], {}).get("status") != "ok"]
        tasks = [{**base, "index": p["point"], "values": p["values"], "seed": p["seed"]} for p in todo]
        workers = workers or os.cpu_count() or 1
        show = sys.stderr.isatty() if progress is None else progress
        bar = _Bar(len(tasks), f"{Path(conf['path']).stem}:", show)

        def record(rec: dict[str, Any]) -> None:
            log.write(rec)
            bar.update()

        if scheduler or dask_local:
            _run_dask(tasks, scheduler, dask_local, record)
        else:
            _run_local(tasks, workers, record)
    finally:
        log.close()
    records = read_records(sweep_dir)
    outcome = _finish(sweep_dir, manifest, records)
    outcome.ran_now, outcome.resumed = len(tasks), resumed
    outcome.executor = _executor_name(workers, scheduler, dask_local)
    outcome.seconds = time.perf_counter() - t0
    return outcome


# ------------------------------------------------------------------------------------ tables, figures


def points_table(manifest: dict[str, Any], records: dict[int, dict[str, Any]]) -> tuple[list[str], list[list]]:
    """points.csv: point, the swept keys, per metric mean / se / n, seed; finished points in point order."""
    keys = manifest["keys"]
    metrics: list[str] = []
    for idx in sorted(records):
        rec = records[idx]
        if rec.get("status") == "ok":
            metrics += [m for m in rec["metrics"] if m not in metrics]
    cols = ["point", *keys]
    for m in metrics:
        cols += [m, f"{m}_se", f"{m}_n"]
    cols.append("seed")
    rows = []
    for p in manifest["points"]:
        rec = records.get(p["point"])
        if not rec or rec.get("status") != "ok":
            continue
        row = [p["point"], *[p["values"][k] for k in keys]]
        for m in metrics:
            e = rec["metrics"].get(m)
            row += [e["mean"], e["se"], e["n_trials"]] if e else [float("nan")] * 2 + [0]
        row.append(p["seed"])
        rows.append(row)
    return cols, rows


def _csv(cols: list[str], rows: list[list]) -> str:
    from scenarios.results import Table

    return Table(cols, rows).to_csv()


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _finish(sweep_dir: Path, manifest: dict[str, Any], records: dict[int, dict[str, Any]]) -> Outcome:
    cols, rows = points_table(manifest, records)
    _write_atomic(sweep_dir / "points.csv", _csv(cols, rows))
    failed = []
    for p in manifest["points"]:
        rec = records.get(p["point"])
        if rec is not None and rec.get("status") != "ok":
            failed.append({"point": p["point"], "values": p["values"], "error": rec.get("error", "")})
    failed_csv = sweep_dir / "failed.csv"
    if failed:
        keys = manifest["keys"]
        _write_atomic(failed_csv, _csv(["point", *keys, "error"],
                                       [[f["point"], *[f["values"][k] for k in keys], f["error"]] for f in failed]))
    elif failed_csv.exists():
        failed_csv.unlink()
    ok = [records[p["point"]] for p in manifest["points"] if records.get(p["point"], {}).get("status") == "ok"]
    metrics: dict[str, dict[str, Any]] = {}
    for rec in ok:
        for name, e in rec["metrics"].items():
            m = metrics.setdefault(name, {"label": e["label"], "percent": e["percent"], "unit": e.get("unit", ""),
                                          "values": [], "se": []})
            m["values"].append(e["mean"])
            m["se"].append(e["se"])
    summary_metrics = {}
    for name, m in metrics.items():
        vals = np.array(m["values"], float)
        ses = np.array(m["se"], float)
        finite = np.isfinite(vals)
        summary_metrics[name] = {
            "label": m["label"], "percent": m["percent"], "unit": m["unit"],
            "min": float(vals[finite].min()) if finite.any() else None,
            "max": float(vals[finite].max()) if finite.any() else None,
            "max_se": float(np.nanmax(ses)) if np.isfinite(ses).any() else None,
        }
    figs = sweep_figures(manifest, cols, rows, summary_metrics) if rows else {}
    formats = manifest.get("formats") or ["png"]
    fig_dir = sweep_dir / "figures"
    records = {}
    if figs:
        fig_dir.mkdir(exist_ok=True)
        records = save_figures(figs, fig_dir, formats)
    n_done = len(ok)
    from scenarios import report as R

    record = R.result_record("sweep", f"Sweep of {manifest['config']['path']}",
                             markdown=_summary_md(manifest, summary_metrics, n_done, failed), figures=records,
                             tables=["points"] + (["failed"] if failed else []), run_dir=sweep_dir)
    R.write_outputs(sweep_dir, record, manifest, atomic=True)
    conf = manifest["config"]
    return Outcome(
        sweep_dir=sweep_dir, config=conf["path"], scenario=manifest["scenario"],
        axes=" x ".join(a.get("text", "") for a in manifest["axes"]), keys=manifest["keys"],
        n_points=len(manifest["points"]), n_done=n_done, failed=failed, ran_now=0, trials=manifest["trials"],
        seed=manifest["seed"], sampler=manifest["sampler"], executor="", seconds=0.0, resumed=False,
        metrics=summary_metrics, figures=[f for r in records.values() for f in r.files],
    )




def _summary_md(manifest: dict[str, Any], metrics: dict[str, dict[str, Any]], n_done: int,
                failed: list[dict[str, Any]]) -> str:
    conf = manifest["config"]
    axes = " x ".join(a.get("text", "") for a in manifest["axes"])
    lines = [f"# Sweep of {conf['path']}", "",
             (f"{len(manifest['points'])} points over {axes}; {manifest['trials']:,} trials per point "
             f"(sampler `{manifest['sampler']}`), point seeds derived from seed {manifest['seed']}. "
             f"{n_done} points finished, {len(failed)} failed."), "", "## Headline metrics over the points", ""]
    for m in metrics.values():
        if m["min"] is None:
            continue
        pct = m["percent"]
        lines.append(f"- **{m['label']}**: from {number_text(m['min'], pct)} to {number_text(m['max'], pct)} across the points "
                     f"(Monte Carlo s.e. at most {number_text(m['max_se'], pct)} per point, {manifest['trials']:,} trials)")
    if failed:
        lines += ["", "## Failed points", ""]
        lines += [f"- point {f['point']} ({', '.join(f'{k}={v}' for k, v in f['values'].items())}): {f['error']}"
                  for f in failed]
    lines += ["", ("points.csv holds one row per point: the swept values, each headline metric's mean, standard "
              "error and trial count, and the point's seed (re-run one point exactly with `accord run "
              f"{conf['path']} --set KEY=VALUE ... --seed SEED --trials {manifest['trials']}`).")]
    return "\n".join(lines) + "\n"


def _numeric(values: Sequence[Any]) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def sweep_figures(manifest: dict[str, Any], cols: list[str], rows: list[list],
                  metrics: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A line plot (1-D), a heatmap with contours per metric (2-D grid), else small multiples; each with a
    caption naming the points, the trials per point and the 95% Monte Carlo intervals shown."""
    keys = manifest["keys"]
    axes = manifest["axes"]
    trials = manifest["trials"]
    data = {c: [r[i] for r in rows] for i, c in enumerate(cols)}
    names = [m for m in metrics if metrics[m]["min"] is not None]
    if not names:
        return {}
    units = key_units(manifest)
    if len(keys) == 1:
        return {"sweep": _line_figure(keys[0], axes[0], data, names, metrics, trials, units)}
    two_axes = len(axes) == 2 and all(a["kind"] != "lhs" and _numeric(a["values"]) for a in axes)
    if two_axes:
        return {f"heatmap_{m}": _heatmap(axes, data, m, metrics[m], trials, units) for m in names}
    return {f"multiples_{m}": _multiples(keys, axes, data, m, metrics[m], trials, units) for m in names}


def key_units(manifest: dict[str, Any]) -> dict[str, str]:
    """The unit of each swept key (from its parameter declaration), where it is a model parameter."""
    from scenarios.config import param_info

    conf = manifest.get("config") or {}
    try:
        cfg = from_data(conf["resolved"], files=conf.get("files") or [], path=conf.get("path", ""))
        info = param_info(cfg)
    except (ConfigError, KeyError, TypeError, ValueError):
        return {}
    return {k: info[k].unit for k in manifest.get("keys", []) if k in info and info[k].unit}


def _scale(meta: dict[str, Any]) -> tuple[float, str]:
    if meta["percent"]:
        return 100.0, " (%)"
    unit = meta.get("unit") or ""
    return 1.0, f" ({unit})" if unit else ""


def _key_label(key: str, units: dict[str, str]) -> str:
    return f"{key} ({units[key]})" if units.get(key) else key


def _positions(values: list[Any]) -> tuple[np.ndarray, list[str] | None]:
    if _numeric(values):
        return np.asarray(values, float), None
    cats = list(dict.fromkeys(str(v) for v in values))
    return np.array([cats.index(str(v)) for v in values], float), cats


def _line_figure(key: str, axis: dict[str, Any], data: dict[str, list], names: list[str],
                 metrics: dict[str, dict[str, Any]], trials: int, units: dict[str, str] | None = None):
    from matplotlib.figure import Figure

    from scenarios.report import caption

    units = units or {}
    ncol = min(3, len(names))
    nrow = math.ceil(len(names) / ncol)
    fig = Figure(figsize=(4.4 * ncol, 3.3 * nrow), layout="constrained")
    x, cats = _positions(data[key])
    order = np.argsort(x, kind="stable")
    for j, m in enumerate(names):
        ax = fig.add_subplot(nrow, ncol, j + 1)
        scale, unit = _scale(metrics[m])
        y = np.asarray(data[m], float)[order] * scale
        se = np.asarray(data[f"{m}_se"], float)[order] * scale
        ax.fill_between(x[order], y - 1.96 * se, y + 1.96 * se, alpha=0.25, lw=0, label="95% interval")
        ax.plot(x[order], y, marker="o", ms=3)
        if axis.get("kind") == "log":
            ax.set_xscale("log")
        if cats:
            ax.set_xticks(range(len(cats)), cats)
        ax.set_xlabel(_key_label(key, units), fontsize=8)
        ax.set_title(metrics[m]["label"] + unit, fontsize=8)
        ax.set_ylabel(unit.strip(" ()") or "value", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    n_points = len(data[key])
    fig.suptitle(f"Sweep over {key}: {n_points} points, {trials:,} trials per point; bands are 95% Monte Carlo "
                 "intervals", fontsize=9)
    return caption(fig, f"Each headline metric against {_key_label(key, units)} over {n_points} points of "
                        f"{trials:,} trials each (n = {trials:,} per point); the line is the Monte Carlo mean, the "
                        "band its 95% interval (mean +- 1.96 s.e.).")


def _heatmap(axes: list[dict[str, Any]], data: dict[str, list], m: str, meta: dict[str, Any], trials: int,
             units: dict[str, str] | None = None):
    from matplotlib.figure import Figure

    from scenarios.report import caption

    units = units or {}
    kx, ky = axes[1]["keys"][0], axes[0]["keys"][0]  # the first axis varies slowest: rows
    xs = np.asarray(axes[1]["values"], float)
    ys = np.asarray(axes[0]["values"], float)
    scale, unit = _scale(meta)
    Z = np.full((len(ys), len(xs)), np.nan)
    xi = {v: i for i, v in enumerate(axes[1]["values"])}
    yi = {v: i for i, v in enumerate(axes[0]["values"])}
    for x, y, z in zip(data[kx], data[ky], data[m]):
        Z[yi[y], xi[x]] = float(z) * scale
    max_se = (meta["max_se"] or 0.0) * scale
    fig = Figure(figsize=(6.4, 4.8), layout="constrained")
    ax = fig.add_subplot()
    mesh = ax.pcolormesh(xs, ys, Z, shading="nearest", cmap="viridis")
    fig.colorbar(mesh, ax=ax, label=meta["label"] + unit)
    # contours only where the surface varies by more than its Monte Carlo noise (else they trace the noise)
    contours = (len(xs) > 1 and len(ys) > 1 and np.isfinite(Z).sum() >= 4
                and np.nanmax(Z) - np.nanmin(Z) > 4 * max_se)
    if contours:
        cs = ax.contour(xs, ys, np.ma.masked_invalid(Z), colors="white", linewidths=0.8)
        ax.clabel(cs, fontsize=7, fmt="%.3g")
    if axes[1]["kind"] == "log":
        ax.set_xscale("log")
    if axes[0]["kind"] == "log":
        ax.set_yscale("log")
    ax.set_xlabel(_key_label(kx, units))
    ax.set_ylabel(_key_label(ky, units))
    se_text = number_text(meta["max_se"], True) if meta["percent"] else f"{max_se:.3g}{unit.strip(' ()')}"
    ax.set_title(f"{meta['label']}\n{len(data[m])} points x {trials:,} trials; Monte Carlo s.e. at most {se_text}",
                 fontsize=9)
    return caption(fig, f"{meta['label']}{unit} over the grid of {_key_label(kx, units)} and {_key_label(ky, units)} "
                        f"({len(data[m])} points of {trials:,} trials each, n = {trials:,} per point): colour is the "
                        f"Monte Carlo mean, whose standard error is at most {se_text} at any point"
                        + ("; white lines: contours." if contours else
                           "; no contours: the surface varies by less than four standard errors."))


def _multiples(keys: list[str], axes: list[dict[str, Any]], data: dict[str, list], m: str,
               meta: dict[str, Any], trials: int, units: dict[str, str] | None = None):
    from matplotlib.figure import Figure

    from scenarios.report import caption

    units = units or {}
    ncol = min(3, len(keys))
    nrow = math.ceil(len(keys) / ncol)
    fig = Figure(figsize=(4.2 * ncol, 3.3 * nrow), layout="constrained")
    scale, unit = _scale(meta)
    y = np.asarray(data[m], float) * scale
    se = np.asarray(data[f"{m}_se"], float) * scale
    log_keys = {a["keys"][0] for a in axes if a["kind"] == "log"}
    for j, k in enumerate(keys):
        ax = fig.add_subplot(nrow, ncol, j + 1)
        x, cats = _positions(data[k])
        ax.errorbar(x, y, yerr=1.96 * se, fmt="o", ms=2.5, alpha=0.6, elinewidth=0.6)
        if k in log_keys:
            ax.set_xscale("log")
        if cats:
            ax.set_xticks(range(len(cats)), cats)
        ax.set_xlabel(_key_label(k, units), fontsize=8)
        ax.set_ylabel(meta["label"] + unit, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    fig.suptitle(f"{meta['label']} against each swept parameter: {len(y)} points, {trials:,} trials each; "
                 "bars are 95% Monte Carlo intervals", fontsize=9)
    return caption(fig, f"{meta['label']}{unit} at each of {len(y)} points ({trials:,} trials each, n = {trials:,} "
                        "per point) against each swept parameter in turn; bars are 95% Monte Carlo intervals of "
                        "the point's mean (mean +- 1.96 s.e.).")


def read_points(sweep_dir: Path) -> tuple[dict[str, Any], list[str], list[dict[str, str]]]:
    """The manifest, the points.csv columns and rows (as text) of a sweep directory."""
    manifest = read_manifest(sweep_dir)
    path = sweep_dir / "points.csv"
    if not path.is_file():
        raise ConfigError(f"no points.csv yet; finish the sweep with accord sweep --resume {sweep_dir}",
                          str(sweep_dir))
    reader = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")))
    rows = list(reader)
    return manifest, list(reader.fieldnames or []), rows
