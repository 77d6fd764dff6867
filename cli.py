"""accord: model peace settlements from config files.

The face of the tool: click commands parse options, call scenarios, print results and map errors to exit
codes (0 success, 1 model or runtime failure, 2 bad usage or config). Nothing else prints.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

HERE = Path(__file__).resolve().parent
DEFAULT_CONFIG = "configs/plan_28_points.yaml"
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 110}


# ---------------------------------------------------------------------------------------- plumbing


class Out:
    """Where output goes: JSON to stdout for scripts, words to stdout (or stderr with --json), progress to
    stderr only on a terminal."""

    def __init__(self, as_json: bool = False, quiet: bool = False):
        self.as_json, self.quiet = as_json, quiet

    def say(self, text: str = "") -> None:
        if self.quiet:
            return
        click.echo(text, err=self.as_json)

    def note(self, text: str) -> None:
        if not self.quiet:
            click.echo(text, err=True)

    def json(self, obj: Any) -> None:
        click.echo(json.dumps(obj, indent=2, default=_json_default))


def _json_default(o: Any) -> Any:
    if hasattr(o, "item"):
        return o.item()
    if hasattr(o, "tolist"):
        return o.tolist()
    return str(o)


def fail(message: str, code: int = 2) -> None:
    for line in message.splitlines():
        click.echo(f"accord: error: {line}", err=True)
    sys.exit(code)


def handle_errors(fn: Callable) -> Callable:
    """Turn the layers' typed errors into one clear line each and the right exit code; never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from scenarios.config import ConfigError
        from scenarios.engine import ModelError
        from scenarios.results import RunDirError

        try:
            return fn(*args, **kwargs)
        except ConfigError as exc:
            fail(exc.text(), 2)
        except RunDirError as exc:
            fail(str(exc), 2)
        except ModelError as exc:
            fail(str(exc), 1)
        except KeyboardInterrupt:
            click.echo("accord: interrupted; nothing was written", err=True)
            sys.exit(130)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as exc:  # an accord bug: say so plainly, keep the traceback for whoever debugs it
            if os.environ.get("ACCORD_DEBUG"):
                raise
            fail(f"internal error: {type(exc).__name__}: {exc} (set ACCORD_DEBUG=1 for the traceback)", 1)

    return wrapper


def resolve_config_path(path: str | None) -> str:
    """A config path as given, or the default config (from the working directory, else the source tree)."""
    if path:
        return path
    if Path(DEFAULT_CONFIG).is_file():
        return DEFAULT_CONFIG
    return str(HERE / DEFAULT_CONFIG)


def progress_bar(total: int, label: str, quiet: bool):
    """A stderr progress bar (done, rate, time left) when stderr is a terminal; otherwise a no-op."""
    if quiet or not sys.stderr.isatty():
        return None
    bar = click.progressbar(length=total, label=label, file=sys.stderr, show_eta=True, show_percent=True,
                            item_show_func=lambda _: None)
    start = time.perf_counter()
    bar.__enter__()

    def update(n: int) -> None:
        bar.update(n)
        rate = bar.pos / max(time.perf_counter() - start, 1e-9)
        bar.label = f"{label} {bar.pos:,}/{total:,} ({rate:,.0f}/s)"
        if bar.pos >= total:
            bar.__exit__(None, None, None)

    return update


def set_option(fn: Callable) -> Callable:
    return click.option(
        "--set", "overrides", multiple=True, metavar="KEY=VALUE",
        help="Override a config value (repeatable). VALUE is YAML; list items by index or name, "
             "e.g. --set guarantees.us.binding=0.9 --set 'forces.ukraine_cap={dist: uniform, low: 5e5, high: 8e5}'.",
    )(fn)


def json_option(fn: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True, help="Print a machine-readable result to stdout.")(fn)


def quiet_option(fn: Callable) -> Callable:
    return click.option("--quiet", "-q", is_flag=True, help="Silence everything on stderr but errors.")(fn)


def load_config(path: str, overrides: tuple[str, ...] = ()):
    from scenarios import config as C

    return C.load(path, list(overrides))


# ---------------------------------------------------------------------------------------- commands


@click.group(context_settings=CONTEXT)
@click.version_option(package_name="accord", prog_name="accord")
def main() -> None:
    """accord: model peace settlements: guarantee credibility, the military balance, coalition acceptance
    and whether a settlement holds, as parameterised Monte Carlo models run from YAML configs.

    \b
    Start with:
      accord list                       scenarios and shipped configs
      accord run                        the default config (configs/plan_28_points.yaml)
      accord show configs/no_deal.yaml  the resolved config with the source of every value
    """


@main.command(context_settings=CONTEXT, epilog="""\b
Examples:
  accord run
  accord run configs/no_deal.yaml --trials 200000 --seed 7 --set guarantees.us.binding=0.9
  accord run configs/plan_28_points.yaml --sampler sobol --trials 65536 --format png,pdf
  accord run --from outputs/plan_28_points/20261125T101500Z-1a2b3c4d/manifest.json
  accord run --json | jq '.headline'
""")
@click.argument("config", required=False)
@click.option("--trials", "-n", type=click.IntRange(min=1), help="Monte Carlo trials [default: the config's run.trials].")
@click.option("--seed", "-s", type=click.IntRange(min=0), help="Master seed [default: the config's run.seed].")
@click.option("--sampler", type=click.Choice(["mc", "lhs", "sobol"]), help="Sampler [default: the config's run.sampler].")
@set_option
@click.option("--out", "-o", type=click.Path(file_okay=False), help="Write the run directory here instead of outputs/<config>/<run-id>/.")
@click.option("--format", "formats", default="png", show_default=True, help="Figure formats, comma-separated: png,svg,pdf.")
@click.option("--from", "from_manifest", type=click.Path(dir_okay=False), help="Re-run exactly from a run's manifest.json.")
@json_option
@quiet_option
@handle_errors
def run(config: str | None, trials: int | None, seed: int | None, sampler: str | None, overrides: tuple[str, ...],
        out: str | None, formats: str, from_manifest: str | None, as_json: bool, quiet: bool) -> None:
    """Run a config (default: configs/plan_28_points.yaml) and write a run directory.

    The run directory holds manifest.json (resolved config with sources, seed, sampler, trials, versions,
    git commit, command line, timings), summary.md (a one-page brief), tables/*.csv and figures/*.
    """
    from scenarios import runs

    o = Out(as_json, quiet)
    fmts = _formats(formats)
    if from_manifest:
        if config or overrides:
            raise click.UsageError("--from re-runs a manifest as it is; give no CONFIG or --set with it")
        cfg, settings = runs.config_from_manifest(Path(from_manifest))
        trials = trials or settings["trials"]
        seed = settings["seed"] if seed is None else seed
        sampler = sampler or settings["sampler"]
    else:
        cfg = load_config(resolve_config_path(config), overrides)
    n = trials or cfg.model.run.trials
    bar = progress_bar(n, f"{cfg.stem}:", quiet)
    done = runs.run_and_write(cfg, trials=trials, seed=seed, sampler=sampler, out=Path(out) if out else None,
                              formats=fmts, progress=bar)
    if as_json:
        o.json(done.json())
    o.say(done.text())


def _formats(text: str) -> list[str]:
    from scenarios.results import FIGURE_FORMATS

    fmts = [f.strip().lower() for f in text.split(",") if f.strip()]
    bad = [f for f in fmts if f not in FIGURE_FORMATS]
    if bad or not fmts:
        raise click.BadParameter(f"{', '.join(bad) or text!r} not allowed; allowed: {', '.join(FIGURE_FORMATS)}",
                                 param_hint="--format")
    return fmts


@main.command(context_settings=CONTEXT, epilog="""\b
Examples:
  accord validate configs/*.yaml
  accord validate configs/no_deal.yaml --set forces.ukraine_cap=800000
""")
@click.argument("configs", nargs=-1, required=True)
@set_option
@json_option
@quiet_option
@handle_errors
def validate(configs: tuple[str, ...], overrides: tuple[str, ...], as_json: bool, quiet: bool) -> None:
    """Check configs without running them: exit 0 if all are valid, 2 otherwise (one line per error)."""
    from scenarios.config import ConfigError

    o = Out(as_json, quiet)
    report: dict[str, Any] = {}
    for path in configs:
        try:
            cfg = load_config(path, overrides)
            report[path] = {"valid": True, "scenario": cfg.scenario, "uncertain_parameters": len(cfg.uncertain())}
            o.say(f"ok  {path}  ({cfg.scenario}, {len(cfg.params())} parameters, {len(cfg.uncertain())} uncertain)")
        except ConfigError as exc:
            report[path] = {"valid": False, "errors": exc.text().splitlines()}
            for line in exc.text().splitlines():
                click.echo(f"accord: error: {line}", err=True)
    if as_json:
        o.json(report)
    if not all(r["valid"] for r in report.values()):
        sys.exit(2)


@main.command(context_settings=CONTEXT, epilog="""\b
Examples:
  accord show configs/plan_28_points.yaml --set forces.ukraine_cap=800000
  accord show configs/no_deal.yaml --json | jq '.parameters'
""")
@click.argument("config", required=False)
@set_option
@json_option
@handle_errors
def show(config: str | None, overrides: tuple[str, ...], as_json: bool) -> None:
    """Print the resolved config: every parameter, its value or distribution, where it was set and its source."""
    from scenarios import runs

    cfg = load_config(resolve_config_path(config), overrides)
    info = runs.describe_config(cfg)
    if as_json:
        Out(True).json(info)
        return
    click.echo(f"{cfg.path}  scenario: {cfg.scenario}  files: {', '.join(cfg.files)}")
    if cfg.model.title:
        click.echo(cfg.model.title)
    run = info["run"]
    click.echo(f"run: trials {run['trials']:,}, seed {run['seed']}, sampler {run['sampler']}")
    if cfg.overrides:
        click.echo("overrides: " + "  ".join(cfg.overrides))
    click.echo("")
    rows = [(k, v["value"], v["set_at"], v["source"] or "(no source: assumption?)") for k, v in info["parameters"].items()]
    width = [max(len(str(r[i])) for r in rows + [("parameter", "value", "set at", "")]) for i in range(3)]
    click.echo(f"{'parameter':<{width[0]}}  {'value':<{width[1]}}  {'set at':<{width[2]}}  source")
    for key, value, at, source in rows:
        click.echo(f"{key:<{width[0]}}  {value:<{width[1]}}  {at:<{width[2]}}  {source}")


@main.command("list", context_settings=CONTEXT, epilog="""\b
Examples:
  accord list
  accord list --json | jq '.configs[].path'
""")
@json_option
@handle_errors
def list_(as_json: bool) -> None:
    """List the scenarios and the shipped configs, one line each."""
    from scenarios import runs

    info = runs.catalogue(HERE / "configs")
    if as_json:
        Out(True).json(info)
        return
    click.echo("scenarios:")
    for s in info["scenarios"]:
        click.echo(f"  {s['name']:<12} {s['summary']}")
    click.echo("configs:")
    width = max((len(c["path"]) for c in info["configs"]), default=10)
    for c in info["configs"]:
        click.echo(f"  {c['path']:<{width}}  {c['scenario'] or '?':<11} {c['title']}")


if __name__ == "__main__":  # pragma: no cover
    main()
