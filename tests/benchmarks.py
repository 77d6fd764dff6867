"""Benchmarks for the README (not a test): ``python -m tests.benchmarks [--quick]``.

For each scenario with a shipped config (each time the best of five): trials per second at 1,000,000
trials; the time to draw the same scenario's random inputs alone (the chunked sampling of
``engine.iterate_chunks`` without ``evaluate``, with a coalition's per-trial preference draws: the floor for a
vectorised model) and the ratio of the two
(target: within 3x); a 200-point x 100,000-trial sweep with 1 and 2 worker processes (target: at least
1.7x); and the peak memory (``ru_maxrss`` of a fresh subprocess) of a 10,000,000-trial run of the
settlement scenario (target: under 1 GiB). ``--quick`` scales the trial and point counts down (for a smoke
test; the README quotes the full run); ``--sweep-points`` and ``--memory-trials`` set those two sizes alone,
``--scenario`` picks rows of the scenario table.
Prints a markdown table with the machine it ran on.

Issue 17 adds two entries: the start-up time of the commands that only read configs (``accord --help``,
``list``, ``show``, ``validate``; target under 0.5 s), each a fresh process as a shell runs it, best of five
and median; and where a default ``accord run`` spends its time (the Monte Carlo summaries, the scenario's other
model work, building the figures, saving them serially and in parallel, writing the brief and report.html;
target: no more time on figures and report than on the model). ``--only start,run`` runs just those.
"""

from __future__ import annotations  # noqa: I001 (cli before numpy: see below)

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from importlib import metadata
from pathlib import Path

# the process settings of the `accord` command (one BLAS thread per process, parallelism over processes;
# freed memory kept for reuse), made when cli.py is imported, before numpy
import cli  # noqa: F401

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
REPEATS = 5  # each scenario timing is the best of this many (as timeit repeats 5 times)
CONFIGS = [
    ("guarantees", "configs/guarantees/plan_28_points.yaml"),
    ("forces", "configs/forces/plan_28_points.yaml"),
    ("coalition", "configs/coalition/plan_28_points.yaml"),
    ("settlement", "configs/plan_28_points.yaml"),
]


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    ram = "unknown RAM"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 2**20:.1f} GiB RAM"
                break
    except OSError:
        pass
    libs = ", ".join(f"{p} {metadata.version(p)}" for p in ("numpy", "scipy") if _has(p))
    return (f"{platform.platform()}; {cpu}; {os.cpu_count()} cores; {ram}; Python {platform.python_version()}, "
            f"{libs}")


def _has(pkg: str) -> bool:
    try:
        metadata.version(pkg)
        return True
    except metadata.PackageNotFoundError:
        return False


def _load(rel: str):
    from scenarios.config import load

    return load(ROOT / rel)


def draw_floor(cfg, trials: int, seed: int, preferences_too: bool = True) -> float:
    """Seconds to draw every random input chunk by chunk, as iterate_chunks does, without evaluate: the uncertain
    parameters and, where the scenario evaluates a coalition whose preferences are drawn per trial
    (`coalition.preference_uncertainty`), those draws too (an ideal point and a salience per actor and dimension
    and trial: random inputs like the parameters, drawn from the chunk's own streams) unless preferences_too is
    false."""
    from model import params as P
    from scenarios.coalition import preferences
    from scenarios.engine import Draws

    dists = cfg.uncertain()
    paths = {id(spec): path for path, (spec, _) in cfg.params().items()}
    # only a scenario that evaluates the coalition draws its preferences (the guarantees and forces scenarios of
    # a world config carry its coalition block without reading it)
    coalition = getattr(cfg.model, "coalition", None) if cfg.scenario in ("coalition", "settlement") else None
    if coalition is not None and not (preferences_too and coalition.preference_uncertainty.enabled):
        coalition = None
    t0 = time.perf_counter()
    samp = P.Sampler(list(dists), seed, cfg.model.run.sampler)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*balance properties of Sobol.*")
        for chunk, n in enumerate(P.chunk_sizes(trials, cfg.model.run.chunk_size)):
            draws = Draws(P.draw(dists, samp, chunk, n), paths, n)
            np.random.default_rng(P.child_seed(seed, P.NOISE_KEY, chunk))
            draws.noise = (seed, chunk)
            if coalition is not None:
                preferences(coalition, draws)
    return time.perf_counter() - t0


def bench_scenario(rel: str, trials: int, repeats: int = REPEATS) -> dict:
    from scenarios import engine

    cfg = _load(rel)
    seed = cfg.model.run.seed
    engine.summarise(cfg, min(trials, 20_000), seed, cfg.model.run.sampler)  # warm up imports and caches

    def seconds(workers: int) -> float:
        t0 = time.perf_counter()
        engine.summarise(cfg, trials, seed, cfg.model.run.sampler, workers=workers)
        return time.perf_counter() - t0

    # best of `repeats` for every timing alike (the usual defence against a noisy shared machine; timeit does so)
    run_s = min(seconds(1) for _ in range(repeats))
    run2_s = min(seconds(2) for _ in range(repeats))  # chunks in 2 processes
    floor_s = min(draw_floor(cfg, trials, seed) for _ in range(repeats))
    params_s = min(draw_floor(cfg, trials, seed, preferences_too=False) for _ in range(repeats))
    return {"uncertain": len(cfg.uncertain()), "run_s": run_s, "run2_s": run2_s, "floor_s": floor_s,
            "params_s": params_s}


def bench_sweep(rel: str, points: int, trials: int) -> dict:
    from scenarios import sweep as S

    cfg = _load(rel)
    key, dist = next(iter(cfg.uncertain().items()))
    lo, hi = (float(dist.ppf(np.array([q]))[0]) for q in (0.05, 0.95))
    axes = S.parse_axes([], [], points, [f"{key}={lo!r}:{hi!r}"])
    out = {"key": key}
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (1, 2):
            t0 = time.perf_counter()
            res = S.run_sweep(ROOT / rel, [], axes, trials, None, None, workers, None, None,
                              Path(tmp) / f"w{workers}", False)
            out[workers] = time.perf_counter() - t0
            if res.n_failed:
                raise RuntimeError(f"{res.n_failed} sweep points failed: {res.failed[0]['error']}")
        same = (Path(tmp) / "w1" / "points.csv").read_text() == (Path(tmp) / "w2" / "points.csv").read_text()
    out["identical"] = same
    return out


def bench_memory(rel: str, trials: int) -> dict:
    """Peak resident memory of a fresh process running ``trials`` trials (ru_maxrss, KiB on Linux)."""
    code = (
        "import resource, sys, time\n"
        "from pathlib import Path\n"
        "from scenarios.config import load\n"
        "from scenarios import engine\n"
        f"cfg = load(Path({str(ROOT / rel)!r}))\n"
        "engine.summarise(cfg, 1000, 1, cfg.model.run.sampler)\n"
        "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "t0 = time.perf_counter()\n"
        f"engine.summarise(cfg, {trials}, cfg.model.run.seed, cfg.model.run.sampler)\n"
        "print(base, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, time.perf_counter() - t0)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    base, peak, secs = res.stdout.split()
    scale = 1024 if sys.platform != "darwin" else 1  # ru_maxrss is KiB on Linux, bytes on macOS
    return {"base_mib": int(base) * scale / 2**20, "peak_mib": int(peak) * scale / 2**20, "seconds": float(secs)}


START_COMMANDS = [
    ("accord --help", ["--help"]),
    ("accord list", ["list"]),
    ("accord show configs/plan_28_points.yaml", ["show", "configs/plan_28_points.yaml"]),
    ("accord validate configs/plan_28_points.yaml", ["validate", "configs/plan_28_points.yaml"]),
]


def bench_start(repeats: int = REPEATS) -> list[dict]:
    """Wall time of each read-only command as a fresh process (``python -m cli``, what the ``accord`` script
    runs), with bytecode caching on as in an installed package: best and median of ``repeats`` runs, after one
    warm-up run (which writes the bytecode cache)."""
    import resource
    import statistics

    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    out = []
    for label, args in START_COMMANDS:
        cmd = [sys.executable, "-m", "cli", *args]
        subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, check=True)
        times, cpus = [], []
        for _ in range(repeats):
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, check=True)
            times.append(time.perf_counter() - t0)
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime)
        # CPU time (user + system) is the steadier measure on a shared machine: waiting for a core is not in it
        out.append({"command": label, "best": min(times), "median": statistics.median(times),
                    "cpu_best": min(cpus), "cpu_median": statistics.median(cpus)})
    return out


def _figure_share(fn, *args) -> tuple[object, float]:
    """Run fn(*args) under cProfile; return its value and the share of its time spent inside the scenario
    modules' figure functions (``*_figure``, outermost calls only): an estimate of how much of a scenario's
    report is building figures (the profiler slows Python code more than NumPy's, so it is approximate)."""
    import cProfile
    import pstats

    prof = cProfile.Profile()
    value = prof.runcall(fn, *args)
    st = pstats.Stats(prof).stats  # (file, line, name) -> (cc, nc, tt, ct, callers)
    total = sum(tt for (_, _, _), (_, _, tt, _, _) in st.items())
    figure_keys = {k for k in st if k[2].endswith("_figure") and f"{os.sep}scenarios{os.sep}" in k[0]}
    outermost = [k for k in figure_keys if not (set(st[k][4]) & figure_keys)]
    inside = sum(st[k][3] for k in outermost)
    return value, (inside / total if total else 0.0)


def bench_default_run(repeats: int = 3) -> dict:
    """Where a default ``accord run`` (the default config, its own trial count) spends its wall time, best of
    ``repeats`` for each phase: the Monte Carlo summaries (all cores), the scenario's report (tables, its
    one-at-a-time sensitivity and other model runs, and building the figure objects, split by a profile),
    saving the figures (one process, and in parallel as accord does), and writing result.json, summary.md and
    report.html."""
    from scenarios import engine, registry
    from scenarios import report as R

    cfg = _load("configs/plan_28_points.yaml")
    run = cfg.model.run
    workers = engine.default_workers(run.trials, run.chunk_size)
    engine.summarise(cfg, 2000, run.seed, run.sampler)  # imports and caches warm
    timings: dict[str, list[float]] = {}

    def timed(name: str, fn, *args):
        t0 = time.perf_counter()
        value = fn(*args)
        timings.setdefault(name, []).append(time.perf_counter() - t0)
        return value

    mod = registry.get(cfg.scenario)
    for _ in range(repeats):
        s = timed("summaries", engine.summarise, cfg, run.trials, run.seed, run.sampler, None, None, workers)
        result = timed("report", mod.report, cfg, s)
        with tempfile.TemporaryDirectory() as tmp:
            for label, w in (("save_serial", 1), ("save_parallel", None)):
                where = Path(tmp) / label
                where.mkdir()
                records = timed(label, R.save_figures, result.figures, where, ["png"], w)
            (Path(tmp) / "figures").symlink_to(Path(tmp) / "save_parallel")
            manifest = {"command_line": ["accord", "run"], "cwd": str(ROOT), "parameters": {}}
            record = R.result_record("run", "bench", headline=result.headline, markdown=result.summary,
                                     figures=records, tables=list(result.tables), run_dir=tmp)
            (Path(tmp) / "tables").mkdir()
            for name, table in result.tables.items():
                (Path(tmp) / "tables" / f"{name}.csv").write_text(table.to_csv())
            timed("brief", R.write_outputs, Path(tmp), record, manifest)
    _, share = _figure_share(mod.report, cfg, s)
    best = {k: min(v) for k, v in timings.items()}
    best["figures_built"] = best["report"] * share
    best["report_without_figures"] = best["report"] - best["figures_built"]
    best.update(trials=run.trials, workers=workers, figures=len(result.figures), save_workers=R.save_workers(len(result.figures)))
    return best


def print_start(rows: list[dict], repeats: int = REPEATS) -> None:
    print(f"| command (a fresh process) | wall, best of {repeats} (s) | wall, median (s) | CPU, best (s) | CPU, median (s) |")
    print("|---|---:|---:|---:|---:|")
    for r in rows:
        print(f"| `{r['command']}` | {r['best']:.2f} | {r['median']:.2f} | {r['cpu_best']:.2f} | {r['cpu_median']:.2f} |")
    print()
    print(f"Target (issue 17): each under 0.5 s. Load average when measured: {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores.")
    print()


def print_default_run(r: dict) -> None:
    model = r["summaries"] + r["report_without_figures"]
    figures = r["figures_built"] + r["save_parallel"] + r["brief"]
    print(f"| default `accord run` ({r['trials']:,} trials, {r['figures']} figures) | seconds |")
    print("|---|---:|")
    print(f"| Monte Carlo summaries ({r['workers']} process{'es' if r['workers'] > 1 else ''}) | {r['summaries']:.2f} |")
    print(f"| the scenario's tables, one-at-a-time sensitivity and other model runs | {r['report_without_figures']:.2f} |")
    print(f"| building the figure objects (share of the scenario report by a profile) | {r['figures_built']:.2f} |")
    print(f"| saving the figures, 1 process | {r['save_serial']:.2f} |")
    print(f"| saving the figures, {r['save_workers']} processes (what accord does) | {r['save_parallel']:.2f} |")
    print(f"| result.json, summary.md and report.html | {r['brief']:.2f} |")
    print(f"| **model** (summaries + the scenario's other model work) | **{model:.2f}** |")
    print(f"| **figures and report** (build + parallel save + brief) | **{figures:.2f}** |")
    print()
    print(f"Each phase the best of 3. Target (issue 17): figures and report take no more time than the model "
          f"(here {figures / model:.2f}x).")
    print()


def bench_scenarios(trials: int, repeats: int, names: set[str] | None = None) -> list[tuple[str, str]]:
    """Print the scenario table (every scenario, or those named); returns the scenarios that ran."""
    print("| scenario | config | uncertain parameters | trials | run, 1 process (s) | trials/s | run, 2 processes (s) "
          "| draw floor (s) | of which the parameters (s) | run / floor |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    available = []
    for name, rel in CONFIGS:
        if names and name not in names:
            continue
        if not (ROOT / rel).is_file():
            print(f"| {name} | `{rel}` | | | skipped: config missing | | | | | |")
            continue
        try:
            r = bench_scenario(rel, trials, repeats)
        except Exception as exc:  # noqa: BLE001 - a scenario still being built is reported, not fatal
            print(f"| {name} | `{rel}` | | | skipped: {type(exc).__name__}: {str(exc).splitlines()[0][:80]} | | | | | |")
            continue
        available.append((name, rel))
        print(f"| {name} | `{rel}` | {r['uncertain']} | {trials:,} | {r['run_s']:.2f} | {trials / r['run_s']:,.0f} "
              f"| {r['run2_s']:.2f} | {r['floor_s']:.2f} | {r['params_s']:.2f} | {r['run_s'] / r['floor_s']:.1f}x |",
              flush=True)
    print()
    return available


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="scale trial and point counts down (smoke test)")
    ap.add_argument("--repeats", type=int, default=REPEATS,
                    help=f"timings per scenario, the best kept [default: {REPEATS}]")
    ap.add_argument("--only", default="scenarios,sweep,memory,start,run",
                    help="comma-separated: scenarios, sweep, memory, start, run [default: all]")
    ap.add_argument("--scenario", default="",
                    help="comma-separated scenarios of the scenario table [default: all]: "
                         + ", ".join(name for name, _ in CONFIGS))
    ap.add_argument("--sweep-points", type=int, default=None,
                    help="points of the sweep benchmark [default: 200; 20 with --quick]: the 2-worker speed-up is "
                         "per point, so fewer points of the same size measure it in less time")
    ap.add_argument("--memory-trials", type=int, default=None,
                    help="trials of the memory benchmark [default: 10,000,000; 2,000,000 with --quick]")
    args = ap.parse_args(argv)
    repeats = max(1, args.repeats)
    only = {x.strip() for x in args.only.split(",") if x.strip()}
    os.chdir(ROOT)
    if only & {"start", "run"}:
        print(f"Measured with `python -m tests.benchmarks --only {args.only}` on: {machine()}.")
        print()
        if "start" in only:
            print_start(bench_start(repeats), repeats)
        if "run" in only:
            print_default_run(bench_default_run())
    if not only & {"scenarios", "sweep", "memory"}:
        return
    if args.quick:
        trials, sweep_points, sweep_trials, mem_trials = 200_000, 20, 20_000, 2_000_000
    else:
        trials, sweep_points, sweep_trials, mem_trials = 1_000_000, 200, 100_000, 10_000_000
    sweep_points = args.sweep_points or sweep_points
    mem_trials = args.memory_trials or mem_trials
    print("## Benchmarks" + (" (--quick: scaled down)" if args.quick else ""))
    print()
    print(f"Measured with `python -m tests.benchmarks{' --quick' if args.quick else ''}` on: {machine()}.")
    print()
    available = [(name, rel) for name, rel in CONFIGS if (ROOT / rel).is_file()]
    if "scenarios" in only:
        names = {x.strip() for x in args.scenario.split(",") if x.strip()}
        unknown = names - {name for name, _ in CONFIGS}
        if unknown:
            ap.error(f"unknown scenario(s) {', '.join(sorted(unknown))}; allowed: {', '.join(n for n, _ in CONFIGS)}")
        available = bench_scenarios(trials, repeats, names)
    if not available:
        print("No scenario could run: no sweep or memory benchmark.")
        return
    name, rel = available[-1]  # the settlement scenario when it is there (the composite, the slowest)
    if "sweep" in only:
        s = bench_sweep(rel, sweep_points, sweep_trials)
        print(f"| sweep ({name}, Latin hypercube over `{s['key']}`) | 1 worker (s) | 2 workers (s) | speed-up | "
              "identical points.csv |")
        print("|---|---:|---:|---:|---|")
        print(f"| {sweep_points} points x {sweep_trials:,} trials | {s[1]:.1f} | {s[2]:.1f} | {s[1] / s[2]:.2f}x | "
              f"{'yes' if s['identical'] else 'NO'} |")
        print()
    if "memory" in only:
        m = bench_memory(rel, mem_trials)
        print(f"| peak memory ({name}, one process) | trials | peak RSS (MiB) "
              "| RSS after a 1,000-trial warm-up (MiB) | run (s) |")
        print("|---|---:|---:|---:|---:|")
        print(f"| `{rel}` | {mem_trials:,} | {m['peak_mib']:.0f} | {m['base_mib']:.0f} | {m['seconds']:.1f} |")
        print()
    print(f"Scenario times are the best of {repeats} runs; the draw floor and run / floor are for one process. "
          "Targets (issue 7): each scenario within 3x of its draw floor; the settlement scenario at least "
          "1,000,000 trials in under 10 s; at least 1.7x from 2 workers on a sweep; peak memory under 1 GiB "
          "whatever the trial count.")


if __name__ == "__main__":
    main()
