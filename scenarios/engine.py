"""The pipeline: validated config -> draws (chunk by chunk) -> scenario model -> merged summaries -> Result.

Trials run in chunks (``run.chunk_size``, default 50,000) whose summaries are merged
(:class:`model.stats.Accumulator`), so memory is bounded by one chunk whatever the trial count. Chunk ``k``
draws its parameters from the sampler's chunk ``k`` and its model-internal randomness from
``SeedSequence(seed, spawn_key=(NOISE_KEY, k))``: the same config and seed give identical numbers.

With several workers, contiguous blocks of chunks run in parallel processes (the calling process takes the
first block); each chunk's summary comes back separately and all are merged in chunk order, exactly as a
single process merges them, so the numbers are bit-identical whatever the number of workers.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
import warnings
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from model import params as P
from model.stats import Accumulator, Estimate, estimate
from scenarios import registry
from scenarios.config import Config, _Spec
from scenarios.lifecycle import die_with_parent
from scenarios.results import Result

QUANTILE_CAP = 100_000  # trials kept per output for quantiles (model.stats.Accumulator)


class ModelError(Exception):
    """A model failed at run time (exit code 1)."""


class Draws:
    """The drawn value of every parameter for one chunk; look up by the config's spec object.

    ``draws[cfg.forces.ukraine_cap]`` is an array of shape (n,) for an uncertain parameter and a float for a
    fixed one (both broadcast against arrays of shape (n,)).
    """

    def __init__(self, values: dict[str, np.ndarray], paths: dict[int, str], n: int, detail_n: int | None = None,
                 first: int = 0):
        self.values, self._paths, self.n = values, paths, n
        # (seed, chunk) of the run, set by the engine: model-internal streams of the chunk (see `stream`)
        self.noise: tuple[int, int] | None = None
        # how many of this chunk's leading trials get the costly detail outputs (see RunSettings.detail_trials)
        self.detail_n = n if detail_n is None else max(0, min(int(detail_n), n))
        # the run's index of the chunk's first trial: a model that caps a costlier detail at the run's first k
        # trials computes it on max(0, min(detail_n, k - first)) of the chunk's
        self.first = int(first)

    def __getitem__(self, spec: _Spec) -> np.ndarray | float:
        path = self._paths.get(id(spec))
        if path is not None and path in self.values:
            return self.values[path]
        if spec.dist == "fixed":  # the common case, without building a distribution (models look up many)
            return spec.value
        dist = spec.to_dist()
        if isinstance(dist, P.Fixed):
            return dist.value
        raise KeyError(f"parameter {path or spec!r} was not drawn")

    def stream(self, *keys: int) -> np.random.Generator:
        """A model-internal random stream of this chunk, its own per keys: SeedSequence(seed, spawn_key=(*keys,
        chunk)), so the same seed gives the same numbers and two options run on the same seed share it (common
        random numbers). Draws built outside the engine (tests) use seed 0, chunk 0."""
        seed, chunk = self.noise if self.noise is not None else (0, 0)
        return np.random.default_rng(P.child_seed(seed, *keys, chunk))

    def full(self, spec: _Spec) -> np.ndarray:
        """The parameter as an array of shape (n,) even when fixed."""
        return np.broadcast_to(np.asarray(self[spec], dtype=float), (self.n,))


@dataclass
class Summaries:
    """Merged summaries of every scenario output over all trials."""

    acc: dict[str, Accumulator]
    n_trials: int
    seed: int
    sampler: str
    extra: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Accumulator:
        return self.acc[name]

    def __contains__(self, name: str) -> bool:
        return name in self.acc

    def estimate(self, name: str, index: tuple = (), proportion: bool = False) -> Estimate:
        return estimate(self.acc[name], index, proportion)


@dataclass
class RunOutput:
    result: Result
    summaries: Summaries
    timings: dict[str, float]


def iterate_chunks(
    config: Config, trials: int, seed: int, sampler: str, chunk_size: int | None = None,
    chunks: Iterable[int] | None = None, detail_trials: int | None = None,
) -> Iterator[tuple[int, dict[str, np.ndarray]]]:
    """Yield (chunk size, scenario outputs) chunk by chunk (all chunks, or the given chunk indices in
    increasing order): the heart of every run, sweep and comparison.

    Detail outputs (e.g. the coalition's ZOPA and deal-breakers, costly and only for tables) are computed on
    the first ``detail_trials`` trials in chunk order (default: the config's ``run.detail_trials``; 0 = none,
    as a sweep that keeps only headline metrics asks). Nothing else depends on it: every other output is the
    same whatever its value."""
    scenario, dists, paths, samp = _streams(config, seed, sampler)
    size = chunk_size or config.model.run.chunk_size
    sizes = P.chunk_sizes(trials, size)
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    detail = config.model.run.detail_trials if detail_trials is None else detail_trials
    with warnings.catch_warnings():
        # scipy warns that Sobol' balance needs powers of two; the trial count is the user's choice
        warnings.filterwarnings("ignore", message=".*balance properties of Sobol.*")
        for chunk in (range(len(sizes)) if chunks is None else chunks):
            n = sizes[chunk]
            draws = Draws(P.draw(dists, samp, chunk, n, start=int(starts[chunk])), paths, n,
                          detail_n=detail - int(starts[chunk]), first=int(starts[chunk]))
            yield n, _evaluate(scenario, config, draws, seed, chunk)


def _streams(config: Config, seed: int, sampler: str) -> tuple[Any, dict[str, P.Distribution], dict[int, str], P.Sampler]:
    """The scenario module, the uncertain parameters, spec id -> parameter path, and their sampler."""
    dists = config.uncertain()
    paths = {id(spec): path for path, (spec, _) in config.params().items()}
    return registry.get(config.scenario), dists, paths, P.Sampler(list(dists), seed, sampler)


def _evaluate(scenario: Any, config: Config, draws: Draws, seed: int, chunk: int) -> dict[str, np.ndarray]:
    """The scenario's outputs for one chunk, its model-internal noise from the chunk's own stream."""
    rng = np.random.default_rng(P.child_seed(seed, P.NOISE_KEY, chunk))
    draws.noise = (seed, chunk)
    try:
        return scenario.evaluate(config.model, draws, rng)
    except (FloatingPointError, ValueError, ZeroDivisionError, np.linalg.LinAlgError) as exc:
        raise ModelError(f"{config.scenario} model failed in chunk {chunk}: {exc}") from exc


def summarise_variants(
    config: Config, trials: int, seed: int, variants: Sequence[dict[str, float]],
    outputs: Collection[str] | None = None,
) -> list[Summaries]:
    """Summaries of the config with, in turn, each variant's parameters fixed ({path: value}), sampler mc.

    The same numbers as running each variant's config (``--set path=value``) alone: the Monte Carlo sampler
    keys each parameter's stream by its path, so every other parameter draws exactly what it would draw
    there, and each variant restarts the model's noise stream of the chunk. But the parameters are drawn
    once per chunk and no config is re-validated, so many variants (a one-at-a-time sensitivity) cost little
    more than their model evaluations. No detail outputs; ``outputs`` limits what is summarised (e.g. what a
    headline needs)."""
    scenario, dists, paths, samp = _streams(config, seed, "mc")
    unknown = {p for v in variants for p in v} - set(dists)
    if unknown:
        raise ValueError(f"not uncertain parameters of the config: {', '.join(sorted(unknown))}")
    accs = [_new_acc() for _ in variants]
    start = 0
    for chunk, n in enumerate(P.chunk_sizes(trials, config.model.run.chunk_size)):
        drawn = P.draw(dists, samp, chunk, n, start=start)
        for acc, fixed in zip(accs, variants):
            draws = Draws({**drawn, **{p: float(v) for p, v in fixed.items()}}, paths, n, detail_n=0)
            for name, values in _evaluate(scenario, config, draws, seed, chunk).items():
                if outputs is None or name in outputs:
                    acc[name].add(values)
        start += n
    return [Summaries(dict(acc), trials, seed, "mc") for acc in accs]


def _new_acc() -> dict[str, Accumulator]:
    return defaultdict(lambda: Accumulator(quantile_cap=QUANTILE_CAP))


def _chunk_summaries(config: Config, module: str, trials: int, seed: int, sampler: str, chunk_size: int | None,
                     chunks: list[int], first_trial: int, detail_trials: int | None = None,
                     ) -> list[tuple[int, dict[str, Accumulator]]]:
    """In a worker process: one summary per chunk (not merged, so the caller merges in chunk order)."""
    registry.SCENARIOS.setdefault(config.scenario, module)
    out = []
    for n, outputs in iterate_chunks(config, trials, seed, sampler, chunk_size, chunks, detail_trials):
        acc = _new_acc()
        for name, values in outputs.items():
            a = acc[name]
            if first_trial >= QUANTILE_CAP:  # the caller's quantile sample is full already: send no trials
                a.quantile_cap = 0
            a.add(values)
        out.append((n, dict(acc)))
        first_trial += n
    return out


def default_workers(trials: int, chunk_size: int) -> int:
    """All cores, but no more workers than chunks."""
    return max(1, min(os.cpu_count() or 1, len(P.chunk_sizes(trials, chunk_size))))


def summarise(
    config: Config,
    trials: int,
    seed: int,
    sampler: str,
    progress: Callable[[int], None] | None = None,
    chunk_size: int | None = None,
    workers: int = 1,
    detail_trials: int | None = None,
) -> Summaries:
    """Run the config's scenario over ``trials`` trials and merge the chunk summaries (in ``workers``
    processes; the numbers do not depend on it). ``detail_trials``: see `iterate_chunks`."""
    acc = _new_acc()
    size = chunk_size or config.model.run.chunk_size
    sizes = P.chunk_sizes(trials, size)
    workers = max(1, min(workers, len(sizes)))
    blocks = [list(b) for b in np.array_split(np.arange(len(sizes)), workers)]
    futures = []
    pool = None
    if workers > 1:
        method = "fork" if sys.platform.startswith("linux") else "spawn"
        pool = ProcessPoolExecutor(workers - 1, mp_context=multiprocessing.get_context(method),
                                   initializer=die_with_parent, initargs=(os.getpid(),))
        module = registry.available().get(config.scenario) or registry.SCENARIOS[config.scenario]
        for block in blocks[1:]:
            first = int(sum(sizes[: block[0]]))
            futures.append(pool.submit(_chunk_summaries, config, module, trials, seed, sampler, size,
                                       [int(c) for c in block], first, detail_trials))
    try:
        for n, outputs in iterate_chunks(config, trials, seed, sampler, size, blocks[0], detail_trials):
            for name, values in outputs.items():
                acc[name].add(values)
            if progress:
                progress(n)
        if futures:
            done_trials = {f: sum(sizes[c] for c in b) for f, b in zip(futures, blocks[1:])}
            for f in as_completed(futures):
                if progress:
                    progress(done_trials[f])
            for f in futures:  # merge in chunk order: identical to one process
                for _, chunk_acc in f.result():
                    for name, a in chunk_acc.items():
                        acc[name].merge(a)
    except BaseException:  # interrupted, terminated or failed: the workers' chunks are wasted work; stop them
        if pool is not None:
            stop_workers(pool)
        raise
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    return Summaries(dict(acc), trials, seed, sampler)


# ------------------------------------------------------------------------------------ worker lifecycle
# die_with_parent (a pool initializer) lives in scenarios/lifecycle.py, which imports nothing heavy: a worker
# runs it before it takes a task, so a slow import there would let the first worker drain a queue of short tasks


def stop_workers(pool: ProcessPoolExecutor) -> None:
    """Kill a process pool's workers now (on an interrupt or error: their results would be thrown away)."""
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            proc.kill()
        except (OSError, ValueError, AttributeError):
            pass


def execute(
    config: Config,
    trials: int | None = None,
    seed: int | None = None,
    sampler: str | None = None,
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
) -> RunOutput:
    """Run a config end to end in memory: summaries, then the scenario's tables, figures and brief."""
    run = config.model.run
    trials = run.trials if trials is None else trials
    seed = run.seed if seed is None else seed
    sampler = sampler or run.sampler
    t0 = time.perf_counter()
    if workers is None:
        workers = default_workers(trials, run.chunk_size)
    summaries = summarise(config, trials, seed, sampler, progress, workers=workers)
    t1 = time.perf_counter()
    result = registry.get(config.scenario).report(config, summaries)
    t2 = time.perf_counter()
    return RunOutput(result, summaries, {"model_seconds": t1 - t0, "report_seconds": t2 - t1, "workers": workers})


# ----------------------------------------------------------------------------------------- estimates


@dataclass(frozen=True)
class WorkEstimate:
    """What a run will cost, extrapolated from pilot chunks: wall-clock seconds and peak memory (bytes)."""

    trials: int  # per evaluation
    evaluations: int  # runs of ``trials`` trials (1 for a run; points of a sweep; model runs of a sensitivity)
    workers: int
    seconds: float
    peak_bytes: int
    pilot_trials: tuple[int, ...]

    def text(self) -> str:
        runs = f"{self.evaluations:,} runs of {self.trials:,} trials" if self.evaluations > 1 else f"{self.trials:,} trials"
        pilots = " and ".join(f"{n:,}" for n in self.pilot_trials)
        return (f"{runs}: about {duration_text(self.seconds)} and {bytes_text(self.peak_bytes)} of memory with "
                f"{self.workers} worker{'s' if self.workers > 1 else ''} (extrapolated from pilot chunks of "
                f"{pilots} trials)")


def duration_text(seconds: float) -> str:
    for unit, size in (("days", 86400), ("hours", 3600), ("min", 60)):
        if seconds >= 2 * size:
            return f"{seconds / size:,.0f} {unit}"
    return f"{seconds:.0f} s"


def bytes_text(n: float) -> str:
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20)):
        if n >= size:
            return f"{n / size:,.1f} {unit}"
    return f"{n / 2**10:,.0f} KiB"


def _pilot(config: Config, n: int, seed: int, sampler: str, detail: int, traced: bool) -> tuple[float, int, list[int]]:
    """One chunk of ``n`` trials: (seconds, peak bytes allocated while it ran, values per trial of each output)."""
    import tracemalloc

    if traced:
        tracemalloc.start()
    try:
        t0 = time.perf_counter()
        per_trial: list[int] = []
        acc = _new_acc()
        for _, outputs in iterate_chunks(config, n, seed, sampler, chunk_size=n, chunks=[0], detail_trials=detail):
            per_trial = [int(np.prod(np.shape(v)[1:])) for v in outputs.values()]
            for name, values in outputs.items():  # summarised as a run does
                acc[name].add(values)
        seconds = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1] if traced else 0
    finally:
        if traced:
            tracemalloc.stop()
    return seconds, peak, per_trial


def estimate_work(config: Config, trials: int, seed: int, sampler: str, workers: int, evaluations: int = 1,
                  refine_above: float = 60.0) -> WorkEstimate:
    """Time and peak memory of ``evaluations`` runs of ``trials`` trials on ``workers`` processes, from
    pilot chunks of the config itself (their answers are thrown away).

    After a warm-up chunk (imports, caches) and a first look at 100 trials (which keeps n1 <= 2000 small
    enough that no pilot takes more than seconds), a chunk of n1 trials gives an upper bound on the time per trial
    (it carries the whole fixed cost of a chunk) and, traced by tracemalloc, the memory per trial. When that
    bound says more than ``refine_above`` seconds, a chunk of n2 = 8 n1 trials refines it: per chunk, time
    is a + b n; the detail outputs (the coalition's ZOPA and deal-breakers) cost only their first
    ``run.detail_trials`` trials, so b without them comes from a chunk of n2 trials without details.
    Peak memory: this process now, plus one chunk per worker (memory per trial x the chunk size), plus the
    quantile samples kept (at most QUANTILE_CAP trials of every output, 1,000,000 values each). Timing noise
    on a busy machine makes it an estimate within a factor of about 2: enough to refuse days, not to plan
    minutes."""
    import resource

    size = min(config.model.run.chunk_size, trials)
    detail = config.model.run.detail_trials
    n0 = max(1, min(100, size))
    _pilot(config, n0, seed, sampler, detail, traced=False)  # warm-up: imports, caches
    t0 = _pilot(config, n0, seed, sampler, detail, traced=False)[0]  # a first look, bounding the pilots
    n1 = max(n0, min(2000, size, int(5.0 / max(t0 / n0, 1e-9))))
    _, mem1, per_trial = _pilot(config, n1, seed, sampler, detail, traced=True)
    t1 = _pilot(config, n1, seed, sampler, detail, traced=False)[0]
    chunks = len(P.chunk_sizes(trials, config.model.run.chunk_size))
    used = max(1, min(workers, evaluations * chunks))
    one_run = t1 / n1 * trials  # an upper bound: the fixed cost of a chunk charged to each of n1 trials
    pilots: tuple[int, ...] = (n1,)
    n2 = min(8 * n1, size)
    if one_run * evaluations / used > refine_above and n2 > n1:
        t2 = _pilot(config, n2, seed, sampler, detail, traced=False)[0]
        b = max((t2 - t1) / (n2 - n1), 0.25 * t2 / n2)
        a = max(t2 - b * n2, 0.0)
        b_plain = b
        if detail < trials:
            t_plain = _pilot(config, n2, seed, sampler, 0, traced=False)[0]
            b_plain = min(b, max(t_plain - a, 0.1 * t_plain) / n2)
        one_run = chunks * a + b_plain * trials + (b - b_plain) * min(trials, detail)
        pilots = (n1, n2)
    seconds = one_run * evaluations / used
    chunk_bytes = mem1 / n1 * size
    kept = sum(min(min(trials, QUANTILE_CAP) * k, 1_000_000) * 8 for k in per_trial)  # model.stats.Accumulator
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    peak = int(rss + used * (chunk_bytes + kept))
    return WorkEstimate(trials, evaluations, used, seconds, peak, pilots)
