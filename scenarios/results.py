"""Results and run directories.

A :class:`Result` is what a scenario hands back: headline estimates, named tables and figures, and the body of
a one-page brief. :func:`write_run` writes it as ``<dir>/{manifest.json, summary.md, tables/*.csv,
figures/*.<fmt>}``. The directory is built as a hidden temporary sibling and renamed into place only when
complete, so an interrupted or failed run leaves no run directory behind, and an existing run is never
overwritten.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model.stats import Estimate

TMP_MARK = ".accord-tmp-"
FIGURE_FORMATS = ("png", "svg", "pdf")


class RunDirError(Exception):
    """The run directory cannot be written where asked (exists already, or not writable)."""


@dataclass
class Table:
    """A plain table: column names and rows of values (numbers are written at full precision)."""

    columns: list[str]
    rows: list[list[Any]]

    def to_csv(self) -> str:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(self.columns)
        for row in self.rows:
            writer.writerow([_cell(v) for v in row])
        return buf.getvalue()

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row)) for row in self.rows]


def _cell(v: Any) -> Any:
    if isinstance(v, float):
        return "nan" if math.isnan(v) else repr(v)
    if hasattr(v, "item"):  # numpy scalar
        return _cell(v.item())
    return v


@dataclass
class Headline:
    """One headline metric: a label a reader understands and its Monte Carlo estimate."""

    label: str
    estimate: Estimate
    percent: bool = True
    unit: str = ""  # what the mean is measured in; default: "probability" when percent, else read off the label

    def unit_name(self) -> str:
        return self.unit or infer_unit(self.label, self.percent)

    def as_dict(self) -> dict[str, Any]:
        return {"label": self.label, **self.estimate.as_dict(), "unit": self.unit_name()}


UNIT_WORDS = ("km2", "km", "years", "year", "days", "troops", "persons", "EUR bn", "USD bn")


def infer_unit(label: str, percent: bool) -> str:
    """The unit of a headline that declares none: "probability" for a percentage, else the first unit word of
    its label ("km2 under Kyiv's control" -> "km2", "expected years of peace" -> "years"), else ""."""
    if percent:
        return "probability"
    words = label.replace("(", " ").replace(")", " ").split()
    for unit in UNIT_WORDS:
        if " " in unit and unit in label or unit in words:
            return unit
    return ""


@dataclass
class Result:
    scenario: str
    headline: dict[str, Headline]
    tables: dict[str, Table] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)  # name -> matplotlib Figure
    summary: str = ""  # markdown body: the scenario's own brief

    def headline_json(self) -> dict[str, dict[str, Any]]:
        return {k: h.as_dict() for k, h in self.headline.items()}


# ------------------------------------------------------------------------------------------- run ids


def run_id(config_digest: str, seed: int, sampler: str, trials: int, now: dt.datetime | None = None) -> str:
    """UTC time plus a short hash of the resolved config, seed, sampler and trial count."""
    now = now or dt.datetime.now(dt.UTC)
    h = hashlib.sha256(f"{config_digest}|{seed}|{sampler}|{trials}".encode()).hexdigest()[:8]
    return f"{now:%Y%m%dT%H%M%SZ}-{h}"


def versions() -> dict[str, str]:
    from importlib import metadata  # imports the email package: only when a manifest is written

    out = {"python": platform.python_version(), "platform": platform.platform()}
    for pkg in ("accord", "numpy", "scipy", "pydantic", "PyYAML", "click", "matplotlib", "networkx", "SALib"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def git_commit(where: Path) -> dict[str, Any] | None:
    """The commit of the source tree accord runs from, if it is a git checkout."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, timeout=5,
                              check=False)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=where,
                               capture_output=True, text=True, timeout=5, check=False)
        return {"commit": head.stdout.strip(), "dirty": bool(dirty.stdout.strip())}
    except (OSError, subprocess.SubprocessError):
        return None


# ------------------------------------------------------------------------------------------- writing


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale_temporaries(parent: Path) -> None:
    """Remove temporary run directories left by processes that were killed (SIGKILL cannot clean up)."""
    if not parent.is_dir():
        return
    for p in parent.iterdir():
        if p.name.startswith(".") and TMP_MARK in p.name:
            try:
                pid = int(p.name.rsplit(TMP_MARK, 1)[1].split("-")[0])
            except ValueError:
                continue
            if not _pid_alive(pid):
                shutil.rmtree(p, ignore_errors=True)


def atomic_dir(target: Path, fill, *, unique: bool) -> Path:
    """Build a directory with ``fill(tmp_path)`` and rename it to ``target`` when complete.

    With ``unique``, a taken target gets a numeric suffix; otherwise a taken target is an error. On any
    exception (including KeyboardInterrupt) the temporary directory is removed and nothing is left behind.
    """
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    sweep_stale_temporaries(parent)
    if target.exists() and not unique:
        raise RunDirError(f"{target} exists already; accord never overwrites a run (choose another --out)")
    tmp = parent / f".{target.name}{TMP_MARK}{os.getpid()}-{os.urandom(3).hex()}"
    tmp.mkdir()
    try:
        fill(tmp)
        final = target
        for i in range(2, 1000):
            try:
                os.rename(tmp, final)  # fails if final exists and is non-empty: never overwrites
                return final
            except OSError:
                if not unique or not final.exists():
                    raise
                final = target.with_name(f"{target.name}-{i}")
        raise RunDirError(f"could not find a free name for {target}")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_run(
    target: Path,
    result: Result,
    manifest: dict[str, Any],
    formats: Sequence[str] = ("png",),
    unique: bool = True,
) -> Path:
    """Write a complete run directory atomically (manifest.json, summary.md, report.html, result.json,
    tables/*.csv, figures/*); returns its final path."""

    def fill(tmp: Path) -> None:
        from scenarios import report as R

        R.add_headline_units(result.tables, result.headline)
        (tmp / "tables").mkdir()
        for name, table in result.tables.items():
            (tmp / "tables" / f"{name}.csv").write_text(table.to_csv(), encoding="utf-8")
        records = {}
        if result.figures:
            (tmp / "figures").mkdir()
            t0 = time.perf_counter()
            records = R.save_figures(result.figures, tmp / "figures", formats)
            if isinstance(manifest.get("timings_seconds"), dict):
                manifest["timings_seconds"]["figures_saved_seconds"] = time.perf_counter() - t0
        manifest["outputs"] = {
            "tables": [f"tables/{n}.csv" for n in result.tables],
            "figures": [f for r in records.values() for f in r.files],
            "brief": ["summary.md", R.REPORT_FILE, R.RESULT_FILE],
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, default=_json_default) + "\n", encoding="utf-8")
        title = ((manifest.get("config") or {}).get("resolved") or {}).get("title") or target.name
        R.write_outputs(tmp, R.result_record("run", title, headline=result.headline, markdown=result.summary,
                                             figures=records, tables=list(result.tables), run_dir=target), manifest)

    return atomic_dir(target, fill, unique=unique)


def save_figures(figures: dict[str, Any], where: Path, formats: Sequence[str]) -> dict[str, Any]:
    """Save figures in every format (in parallel processes; see scenarios.report.save_figures); returns each
    figure's record (caption, titles, files)."""
    from scenarios import report as R

    return R.save_figures(figures, where, formats)


def _json_default(o: Any) -> Any:
    if hasattr(o, "item"):
        return o.item()
    if hasattr(o, "tolist"):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    return str(o)


def command_line() -> list[str]:
    return [Path(sys.argv[0]).name] + sys.argv[1:]


@dataclass
class Report:
    """What an analysis command (calibrate, power, forecast, amend, compare, ...) hands to the CLI.

    ``text`` is for people (the CLI prints it), ``data`` for scripts (``--json``); tables and figures are
    written to a report directory like a run's.
    """

    kind: str  # e.g. "calibrate-guarantees"; names the folder under outputs/
    text: str
    data: dict[str, Any]
    tables: dict[str, Table] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)  # what it was made from (files, options)
    # the parameters behind it, as runs.describe_config gives them (value, unit, source...), for report.html
    parameters: dict[str, Any] = field(default_factory=dict)


def write_report(report: Report, out: Path | None = None, outputs_root: Path = Path("outputs"),
                 formats: Sequence[str] = ("png",)) -> Path:
    """Write a report directory atomically: manifest.json, report.md, report.html, result.json, tables/*.csv,
    figures/*."""
    digest = hashlib.sha256(json.dumps(report.inputs, sort_keys=True, default=str).encode()).hexdigest()
    rid = run_id(digest, 0, report.kind, 0)
    target = out if out is not None else outputs_root / report.kind / rid
    manifest = {
        "accord_manifest": 1,
        "kind": report.kind,
        "run_id": rid,
        "inputs": report.inputs,
        "result": report.data,
        "versions": versions(),
        "git": git_commit(Path(__file__).resolve().parent.parent),
        "command_line": command_line(),
        "cwd": str(Path.cwd()),
    }
    if report.parameters:
        manifest["parameters"] = report.parameters
    result = Result(report.kind, {}, report.tables, report.figures, report.text)

    def fill(tmp: Path) -> None:
        from scenarios import report as R

        (tmp / "tables").mkdir()
        for name, table in result.tables.items():
            (tmp / "tables" / f"{name}.csv").write_text(table.to_csv(), encoding="utf-8")
        records = {}
        if result.figures:
            (tmp / "figures").mkdir()
            records = R.save_figures(result.figures, tmp / "figures", formats)
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, default=_json_default) + "\n", encoding="utf-8")
        R.write_outputs(tmp, R.result_record(report.kind, R.report_title(report.kind, report.inputs), text=report.text,
                                             figures=records, tables=list(result.tables), run_dir=target,
                                             markdown_file="report.md"), manifest)

    return atomic_dir(target, fill, unique=out is None)


def number_text(v: float | None, percent: bool) -> str:
    """A number for the terminal, a brief or a figure: percentages with one decimal, or two significant digits
    below 0.1% however small (0.025%, 0.00036%, 3.2e-11%; never 0.0% or "<0.001%" for a value that is not
    zero); other numbers with three significant digits, thousands separated."""
    if v is None or not math.isfinite(v):
        return "n/a"
    if percent:
        if v == 0 or abs(v) >= 0.001:
            return f"{v * 100:.1f}%"
        if abs(v) < 1e-8:  # past six zeros a reader counts digits: scientific notation
            return f"{v * 100:.2g}%"
        return _significant(v * 100, 2) + "%"
    return f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}"


def _significant(x: float, digits: int) -> str:
    """``x`` to ``digits`` significant digits in positional notation (0.00036, not 3.6e-04)."""
    import numpy as np

    return np.format_float_positional(x, precision=digits, unique=False, fractional=False, trim="-")
