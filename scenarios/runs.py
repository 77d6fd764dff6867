"""What ``accord run``, ``show`` and ``list`` do: execute a config, build the manifest, write the run
directory; describe a resolved config with its provenance; list what is shipped."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scenarios import registry
from scenarios.configfile import ConfigError, _read_file, clip, compose_file, limits, read_text

if TYPE_CHECKING:
    from scenarios.config import Config
    from scenarios.results import Result

# Fast start (issue 17): `accord list` and `show` come here too. What only a run needs (the engine and NumPy, the
# run directory writer) is imported where it is used, and `list` reads configs without validating them (no
# pydantic): scenarios/configfile.py.

SOURCE_ROOT = Path(__file__).resolve().parent.parent
MANIFEST_MAX_FILES = 16  # a manifest (resolved config, parameters, headline) may be this many config files long


@dataclass
class Done:
    run_dir: Path
    config: Config
    result: Result
    seed: int
    trials: int
    sampler: str
    timings: dict[str, float]

    def json(self) -> dict[str, Any]:
        return {
            "run_dir": str(self.run_dir),
            "config": self.config.path,
            "scenario": self.config.scenario,
            "overrides": self.config.overrides,
            "seed": self.seed,
            "trials": self.trials,
            "sampler": self.sampler,
            "headline": self.result.headline_json(),
            "report": str(self.run_dir / "report.html"),
        }

    def text(self) -> str:
        head = (f"{self.config.stem} ({self.config.scenario}): {self.trials:,} trials, seed {self.seed}, "
                f"sampler {self.sampler}, {self.timings['total_seconds']:.1f} s")
        lines = [head]
        width = max((len(h.label) for h in self.result.headline.values()), default=0)
        for h in self.result.headline.values():
            lines.append(f"  {h.label:<{width}}  {h.estimate.text(percent=h.percent)}")
            ref = h.reference_text() if hasattr(h, "reference_text") else ""
            if ref:
                lines.append(f"  {'':<{width}}    {ref}")
        lines.append(f"written to {self.run_dir}/")
        return "\n".join(lines)


def settings(cfg: Config, trials: int | None, seed: int | None, sampler: str | None) -> tuple[int, int, str]:
    run = cfg.model.run
    return (run.trials if trials is None else trials, run.seed if seed is None else seed, sampler or run.sampler)


def run_and_write(
    cfg: Config,
    trials: int | None = None,
    seed: int | None = None,
    sampler: str | None = None,
    out: Path | None = None,
    formats: list[str] | None = None,
    progress: Callable[[int], None] | None = None,
    outputs_root: Path = Path("outputs"),
    workers: int | None = None,
) -> Done:
    """Execute a config and write its run directory atomically (``workers`` processes: default all cores,
    never more than there are chunks; the numbers do not depend on it).

    The (temporary) run directory is made before the compute, so that a place that cannot be written, or an
    --out that exists already, fails at once; the manifest and brief name the directory the run lands in."""
    from scenarios import engine
    from scenarios.results import Result, RunDir, run_id, write_run

    trials, seed, sampler = settings(cfg, trials, seed, sampler)
    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    rid = run_id(cfg.digest(), seed, sampler, trials, started)
    target = out if out is not None else outputs_root / cfg.stem / rid
    run_dir = RunDir(target, unique=out is None)
    with run_dir:
        output = engine.execute(cfg, trials, seed, sampler, progress, workers)
    timings = dict(output.timings)
    n_workers = int(timings.pop("workers", 1))
    manifest = build_manifest(cfg, output.result, rid, trials, seed, sampler, started, timings)
    manifest["workers"] = n_workers  # how it ran, not what it computed: the numbers do not depend on it
    body = output.result.summary
    output.result.summary = brief(cfg, output.result, rid, trials, seed, sampler, started)

    def own_name(tmp: Path, final: Path) -> None:  # a run whose id was taken lands in <id>-2: the brief says so
        if out is None:
            result = Result(output.result.scenario, output.result.headline, summary=body)
            output.result.summary = brief(cfg, result, final.name, trials, seed, sampler, started)

    t_write = time.perf_counter()
    final = write_run(run_dir, output.result, manifest, formats or ["png"], finalize=own_name)
    timings["write_seconds"] = time.perf_counter() - t_write
    timings["total_seconds"] = time.perf_counter() - t0
    return Done(final, cfg, output.result, seed, trials, sampler, timings)


def config_record(cfg: Config) -> dict[str, Any]:
    """What a manifest records of a config: where it came from and the resolved data (with sources)."""
    return {"path": cfg.path, "files": cfg.files, "overrides": cfg.overrides, "digest_sha256": cfg.digest(),
            "resolved": cfg.data}


def build_manifest(cfg: Config, result: Result, rid: str, trials: int, seed: int, sampler: str,
                   started: dt.datetime, timings: dict[str, float]) -> dict[str, Any]:
    from scenarios import engine
    from scenarios.results import command_line, git_commit, versions

    return {
        "accord_manifest": 1,
        "run_id": rid,
        "scenario": cfg.scenario,
        "config": config_record(cfg),
        "parameters": describe_config(cfg)["parameters"],
        "seed": seed,
        "sampler": sampler,
        "trials": trials,
        "chunk_size": cfg.model.run.chunk_size,
        "detail_trials": min(trials, cfg.model.run.detail_trials),
        "quantiles_from_first_trials": min(trials, engine.QUANTILE_CAP),
        "quantiles_note": ("quantiles use at most the first quantiles_from_first_trials trials, and for outputs "
                           "with many values per trial at most 1,000,000 values"),
        "headline": result.headline_json(),
        "versions": versions(),
        "git": git_commit(SOURCE_ROOT),
        "command_line": command_line(),
        "cwd": str(Path.cwd()),
        "started_utc": started.isoformat(timespec="seconds"),
        "timings_seconds": timings,
    }


def brief(cfg: Config, result: Result, rid: str, trials: int, seed: int, sampler: str, started: dt.datetime) -> str:
    """summary.md: the headline with its uncertainty, the scenario's own brief, and how the run was made (the
    writer adds the figures and the re-run commands)."""
    title = cfg.model.title or cfg.stem
    lines = [f"# {title}", ""]
    if cfg.model.description:
        lines += [cfg.model.description.strip(), ""]
    lines += ["## Headline", ""]
    for h in result.headline.values():
        ref = h.reference_text() if hasattr(h, "reference_text") else ""
        lines.append(f"- **{h.label}**: {h.estimate.text(percent=h.percent)}" + (f"; {ref}" if ref else ""))
    lines += ["", result.summary.strip(), "", "## How this was made", ""]
    lines.append(f"- config `{cfg.path}` (scenario `{cfg.scenario}`; files: {', '.join(cfg.files)})")
    if cfg.overrides:
        lines.append(f"- overrides: {'; '.join(f'`{o}`' for o in cfg.overrides)}")
    lines.append(f"- {trials:,} trials, sampler `{sampler}`, seed {seed}; run `{rid}` started {started:%Y-%m-%d %H:%M} UTC")
    lines.append("- intervals are 95% Monte Carlo intervals of the mean (Wilson's for 0/1 outcomes, mean "
                 "+- 1.96 s.e. for averaged probabilities); "
                 "quantiles describe the spread over parameter uncertainty")
    # the re-run commands, naming this directory, follow in the "Re-run" section (scenarios/report.py)
    return "\n".join(lines) + "\n"


def config_from_manifest(path: Path) -> tuple[Config, dict[str, Any]]:
    """The config and run settings stored in a run's manifest."""
    from scenarios.config import MAX_TRIALS, from_data

    label = str(path)
    text = read_text(path, label, max_bytes=MANIFEST_MAX_FILES * limits().file_bytes)
    try:
        manifest = json.loads(text)
        resolved = manifest["config"]["resolved"]
        run_settings = {k: manifest[k] for k in ("trials", "seed", "sampler")}
        source = manifest["config"].get("path") or label
        if not all(isinstance(run_settings[k], int) and not isinstance(run_settings[k], bool) for k in ("trials", "seed")):
            raise TypeError("trials and seed must be whole numbers")
        if run_settings["sampler"] not in ("mc", "lhs", "sobol") or not isinstance(source, str):
            raise TypeError("an unknown sampler or config path")
        if not 1 <= run_settings["trials"] <= MAX_TRIALS or run_settings["seed"] < 0:
            raise ValueError("trials or seed out of range")
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise ConfigError(f"not an accord manifest ({type(exc).__name__}: {clip(str(exc), 80)})", label) from None
    # the numbers depend on the chunk size (chunk k draws stream k) and the detail tables on how many trials
    # got details: restore what the run used, whatever today's defaults
    chunk, detail = manifest.get("chunk_size"), manifest.get("detail_trials")
    overrides = [f"run.chunk_size={int(chunk)}"] if isinstance(chunk, int) else []
    overrides += [f"run.detail_trials={int(detail)}"] if isinstance(detail, int) else []
    cfg = from_data(resolved, overrides=overrides, files=[label], path=source)
    return cfg, run_settings


def describe_config(cfg: Config, specs: bool = True) -> dict[str, Any]:
    """The resolved config with every parameter's value, where it was set and its source; with ``specs``, each
    parameter's spec as data too (`accord show` prints no spec: without them, a twentieth less of its start)."""
    from scenarios.config import param_info

    params: dict[str, Any] = {}
    readers = _readers(cfg)
    declared = param_info(cfg)
    for key, (spec, loc) in cfg.params().items():
        info = declared.get(key)
        params[key] = {
            "value": spec.describe(),
            "unit": info.unit if info else "",
            "allowed_range": info.range_text() if info else "",
            **({"spec": spec.model_dump(exclude_none=True)} if specs else {}),
            "uncertain": spec.uncertain,
            "source": spec.source or _enclosing_source(cfg.data, key),
            "set_at": f"{loc[0]}:{loc[1]}" if loc and loc[1] else (loc[0] if loc else "default"),
        }
        if readers:
            params[key]["read_by"] = next((r for prefix, r in readers.items() if key.startswith(prefix)), "")
    return {
        "path": cfg.path,
        "scenario": cfg.scenario,
        "files": cfg.files,
        "overrides": cfg.overrides,
        "run": cfg.model.run.model_dump(),
        "parameters": params,
        "resolved": cfg.data,
    }


def _readers(cfg: Config) -> dict[str, str]:
    """For a world config (a settlement or a view of one): what reads each quantity, by path prefix
    (scenarios.world.readers); empty for other configs."""
    if getattr(cfg.model, "terms", None) is None:
        return {}
    from scenarios.schemas.world import readers

    return readers()


def _enclosing_source(data: Any, path: str) -> str | None:
    """The ``source`` of the nearest enclosing block (e.g. an actor's) for a value without its own, marked
    as inherited."""
    parts, node, found = path.split("."), data, None
    for part in parts[:-1]:
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list):
            by_name = [x for x in node if isinstance(x, dict) and x.get("name") == part]
            node = by_name[0] if by_name else (node[int(part)] if part.isdigit() and int(part) < len(node) else None)
        else:
            return found
        if isinstance(node, dict) and isinstance(node.get("source"), str):
            found = f"(from the enclosing block) {node['source']}"
    return found


def catalogue(configs_dir: Path) -> dict[str, Any]:
    """Scenarios and shipped configs, for ``accord list``."""
    scenarios = [{"name": n, "summary": registry.summary(n)} for n in registry.names()]
    configs = []
    for p in sorted(configs_dir.rglob("*.yaml")):
        rel = p.relative_to(configs_dir.parent)
        try:
            head = compose_file(p, str(rel))[0] or {}
        except ConfigError:
            head = {}
        if not isinstance(head, dict):
            head = {}
        scenario, title = head.get("scenario"), head.get("title", "")
        if p.parent.name == "games":
            scenario, title = "game", title or "a weighted voting game for `accord power`"
        elif scenario is None and "scenario" not in head and "extends" not in head:
            scenario, title = "fragment", title or f"shared blocks ({', '.join(k for k in head if k != 'run')})"
        if scenario is None and "extends" in head:  # the merged files' scenario, without validating (fast)
            try:
                scenario = _read_file(p, (), None)[0].get("scenario")
            except ConfigError:
                scenario = None
        configs.append({"path": str(rel), "scenario": scenario, "title": title})
    return {"scenarios": scenarios, "configs": configs}
