"""The pipeline: validated config -> draws (chunk by chunk) -> scenario model -> merged summaries -> Result.

Trials run in chunks (``run.chunk_size``, default 100,000) whose summaries are merged
(:class:`model.stats.Accumulator`), so memory is bounded by one chunk whatever the trial count. Chunk ``k``
draws its parameters from the sampler's chunk ``k`` and its model-internal randomness from
``SeedSequence(seed, spawn_key=(NOISE_KEY, k))``: the same config and seed give identical numbers.
"""

from __future__ import annotations

import time
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from model import params as P
from model.stats import Accumulator, Estimate, estimate
from scenarios import registry
from scenarios.config import Config, _Spec
from scenarios.results import Result

QUANTILE_CAP = 1_000_000


class ModelError(Exception):
    """A model failed at run time (exit code 1)."""


class Draws:
    """The drawn value of every parameter for one chunk; look up by the config's spec object.

    ``draws[cfg.forces.ukraine_cap]`` is an array of shape (n,) for an uncertain parameter and a float for a
    fixed one (both broadcast against arrays of shape (n,)).
    """

    def __init__(self, values: dict[str, np.ndarray], paths: dict[int, str], n: int):
        self.values, self._paths, self.n = values, paths, n

    def __getitem__(self, spec: _Spec) -> np.ndarray | float:
        path = self._paths.get(id(spec))
        if path is not None and path in self.values:
            return self.values[path]
        dist = spec.to_dist()
        if isinstance(dist, P.Fixed):
            return dist.value
        raise KeyError(f"parameter {path or spec!r} was not drawn")

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
    config: Config, trials: int, seed: int, sampler: str, chunk_size: int | None = None
) -> Iterator[tuple[int, dict[str, np.ndarray]]]:
    """Yield (chunk size, scenario outputs) chunk by chunk: the heart of every run, sweep and comparison."""
    scenario = registry.get(config.scenario)
    dists = config.uncertain()
    paths = {id(spec): path for path, (spec, _) in config.params().items()}
    samp = P.Sampler(list(dists), seed, sampler)
    size = chunk_size or config.model.run.chunk_size
    with warnings.catch_warnings():
        # scipy warns that Sobol' balance needs powers of two; the trial count is the user's choice
        warnings.filterwarnings("ignore", message=".*balance properties of Sobol.*")
        for chunk, n in enumerate(P.chunk_sizes(trials, size)):
            draws = Draws(P.draw(dists, samp, chunk, n), paths, n)
            rng = np.random.default_rng(P.child_seed(seed, P.NOISE_KEY, chunk))
            try:
                outputs = scenario.evaluate(config.model, draws, rng)
            except (FloatingPointError, ValueError, ZeroDivisionError, np.linalg.LinAlgError) as exc:
                raise ModelError(f"{config.scenario} model failed in chunk {chunk}: {exc}") from exc
            yield n, outputs


def summarise(
    config: Config,
    trials: int,
    seed: int,
    sampler: str,
    progress: Callable[[int], None] | None = None,
    chunk_size: int | None = None,
) -> Summaries:
    """Run the config's scenario over ``trials`` trials and merge the chunk summaries."""
    acc: dict[str, Accumulator] = defaultdict(lambda: Accumulator(quantile_cap=QUANTILE_CAP))
    for n, outputs in iterate_chunks(config, trials, seed, sampler, chunk_size):
        for name, values in outputs.items():
            acc[name].add(values)
        if progress:
            progress(n)
    return Summaries(dict(acc), trials, seed, sampler)


def execute(
    config: Config,
    trials: int | None = None,
    seed: int | None = None,
    sampler: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> RunOutput:
    """Run a config end to end in memory: summaries, then the scenario's tables, figures and brief."""
    run = config.model.run
    trials = run.trials if trials is None else trials
    seed = run.seed if seed is None else seed
    sampler = sampler or run.sampler
    t0 = time.perf_counter()
    summaries = summarise(config, trials, seed, sampler, progress)
    t1 = time.perf_counter()
    result = registry.get(config.scenario).report(config, summaries)
    t2 = time.perf_counter()
    return RunOutput(result, summaries, {"model_seconds": t1 - t0, "report_seconds": t2 - t1})
