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
import errno
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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from model.stats import Estimate

TMP_MARK = ".accord-tmp-"
FIGURE_FORMATS = ("png", "svg", "pdf")


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
    # the outside view it departs from: the reference class's rate of the same quantity, and which class
    reference: Estimate | None = None
    reference_class: str = ""

    def unit_name(self) -> str:
        return self.unit or infer_unit(self.label, self.percent)

    def as_dict(self) -> dict[str, Any]:
        out = {"label": self.label, **self.estimate.as_dict(), "unit": self.unit_name()}
        if self.reference_class:
            out["reference_class"] = self.reference_class
            out["reference"] = None if self.reference is None else self.reference.as_dict()
        return out

    def reference_text(self) -> str:
        """The reference-class rate beside the headline ("" when it has none)."""
        if not self.reference_class:
            return ""
        if self.reference is None:
            return f"reference class: {self.reference_class}"
        r = self.reference
        if self.percent:
            d = r.digits(percent=True)
            return (f"reference class alone: {100 * r.mean:.{d}f}% (s.e. {100 * r.se:.{d}f}%), "
                    f"{self.reference_class}")
        return f"reference class alone: {r.mean:.3g} (s.e. {r.se:.2g}), {self.reference_class}"


def md_cell(value: Any) -> str:
    """A value as the text of one Markdown (GFM) table cell: a pipe escaped as ``\\|`` (else it splits the cell:
    "P(holds 5 years | adopted)" would make two columns) and line breaks as spaces."""
    return " ".join(str(value).replace("|", "\\|").splitlines())


def md_row(cells: Sequence[Any]) -> str:
    """One Markdown table row, each cell through :func:`md_cell`."""
    return "| " + " | ".join(md_cell(c) for c in cells) + " |"


def md_table(header: Sequence[Any], rows: Sequence[Sequence[Any]]) -> list[str]:
    """A Markdown table's lines: the header, the delimiter row and one line per row, every cell escaped."""
    return [md_row(header), "|" + "---|" * len(header), *(md_row(r) for r in rows)]


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

LOCK_NAME = ".accord-lock"  # inside a temporary directory: held (flock) by the process writing it
STALE_UNLOCKED_SECONDS = 3600  # a temporary directory without its lock file (an older accord) is stale after this


class RunDirError(Exception):
    """The run directory cannot be written where asked (exists already, not writable, disk full)."""

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code  # 2: a bad place asked for; 1: the place failed while writing (disk full)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


def _lock(path: Path) -> int | None:
    """Open and lock ``path`` exclusively without waiting: the descriptor, or None if another process holds it."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no locks; staleness falls back to the process id
        return None
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _is_stale(tmp: Path) -> bool:
    """Whether a temporary run directory was left by a process that is gone.

    Its writer holds an flock on its lock file for as long as it runs (the kernel drops it when the process
    dies, however it dies; no pid can be reused to fool it, and it works across containers sharing the disk).
    Without a lock file (written by an older accord, or caught between unlinking the lock and renaming the
    directory), it is stale when the process named in it is dead and it is an hour old."""
    lock = tmp / LOCK_NAME
    if lock.is_file():
        fd = _lock(lock)
        if fd is None:
            return False
        os.close(fd)
        return True
    try:
        pid = int(tmp.name.rsplit(TMP_MARK, 1)[1].split("-")[0])
        age = time.time() - tmp.stat().st_mtime
    except (ValueError, IndexError, OSError):
        return False
    return not _pid_alive(pid) and age > STALE_UNLOCKED_SECONDS


def stale_temporaries(parent: Path) -> list[Path]:
    """The stale temporary run directories directly under ``parent``."""
    try:
        entries = list(parent.iterdir())
    except OSError:
        return []
    return [p for p in entries if p.name.startswith(".") and TMP_MARK in p.name and p.is_dir() and not p.is_symlink()
            and _is_stale(p)]


def sweep_stale_temporaries(parent: Path) -> list[Path]:
    """Remove temporary run directories left by processes that were killed (SIGKILL cannot clean up); returns
    what was removed."""
    removed = []
    for p in stale_temporaries(parent):
        shutil.rmtree(p, ignore_errors=True)
        if not p.exists():
            removed.append(p)
    return removed


def clean(roots: Sequence[Path], dry_run: bool = False) -> tuple[list[tuple[Path, int]], list[Path]]:
    """Find (and unless ``dry_run`` remove) the stale temporary run directories anywhere under ``roots``:
    ([(path, bytes)], [temporary directories still being written, left alone])."""
    stale: list[tuple[Path, int]] = []
    busy: list[Path] = []
    for root in roots:
        for here, dirs, _ in os.walk(root):
            temporaries = [d for d in dirs if d.startswith(".") and TMP_MARK in d]
            dirs[:] = [d for d in dirs if d not in temporaries]
            for name in temporaries:
                p = Path(here) / name
                if p.is_symlink() or not _is_stale(p):
                    busy.append(p)
                    continue
                size = sum(f.stat().st_size for f in p.rglob("*") if f.is_file() and not f.is_symlink())
                if not dry_run:
                    shutil.rmtree(p, ignore_errors=True)
                stale.append((p, size))
    return stale, busy


def _cannot_write(target: Path, exc: OSError) -> RunDirError:
    reason = exc.strerror or str(exc)
    if exc.errno == errno.ENOTDIR:
        reason += " (a parent of it is a file)"
    return RunDirError(f"cannot write {target}: {reason}; choose another --out")


def _make_parents(parent: Path, target: Path) -> list[Path]:
    """Create ``parent`` and its missing ancestors; returns the directories created (deepest last)."""
    missing = []
    p = parent
    while not p.exists() and p != p.parent:
        if p.is_symlink():  # a dangling symlink: mkdir would fail with a confusing message
            raise RunDirError(f"cannot write {target}: {p} is a broken symbolic link; choose another --out")
        missing.append(p)
        p = p.parent
    if p.exists() and not p.is_dir():
        raise RunDirError(f"cannot write {target}: {p} is a file, not a directory; choose another --out")
    created = []
    try:
        for d in reversed(missing):
            d.mkdir()
            created.append(d)
    except FileExistsError:  # another process made it meanwhile
        pass
    except OSError as exc:
        _remove_empty(created)
        raise _cannot_write(target, exc) from None
    return created


def _remove_empty(dirs: list[Path]) -> None:
    for d in reversed(dirs):
        try:
            d.rmdir()
        except OSError:
            break


class RunDir:
    """A run directory under construction: a hidden temporary sibling of ``target``, made (and locked) up front,
    so that a place that cannot be written fails before any compute; filled; then renamed into place.

    With ``unique``, a taken target gets a numeric suffix (``-2``, ``-3``, ...); otherwise a taken target is
    an error, before the compute and again at the rename (a lost race for the same --out). Used as a context
    manager, an exception (including KeyboardInterrupt) removes the temporary directory and any parent
    directories it made, leaving nothing behind."""

    def __init__(self, target: Path, unique: bool):
        self.target, self.unique = Path(target), unique
        parent = self.target.parent
        self.created = _make_parents(parent, self.target)
        sweep_stale_temporaries(parent)
        if not unique and os.path.lexists(self.target):
            self.abandon()
            raise RunDirError(f"{self.target} exists already; accord never overwrites a run (choose another --out)")
        self.tmp = parent / f".{self.target.name}{TMP_MARK}{os.getpid()}-{os.urandom(3).hex()}"
        try:
            self.tmp.mkdir()
            self._fd = _lock(self.tmp / LOCK_NAME)
        except OSError as exc:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.abandon()
            raise _cannot_write(self.target, exc) from None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if kind is not None:
            self.abandon()

    def _unlock(self) -> None:
        if getattr(self, "_fd", None) is not None:
            os.close(self._fd)
            self._fd = None

    def abandon(self) -> None:
        """Remove the temporary directory and the parents made for it."""
        tmp = getattr(self, "tmp", None)
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        self._unlock()
        _remove_empty(self.created)

    def commit(self, finalize: Callable[[Path, Path], None] | None = None) -> Path:
        """Rename the filled directory into place; returns where it landed. ``finalize(tmp, final)`` runs before
        each rename attempt, to write what names the final directory (the manifest's run id and directory)."""
        final = self.target
        try:
            (self.tmp / LOCK_NAME).unlink(missing_ok=True)
            for i in range(2, 1000):
                if finalize is not None:
                    finalize(self.tmp, final)
                try:
                    os.rename(self.tmp, final)  # fails if final exists and is not an empty directory: never overwrites
                    self._unlock()
                    return final
                except OSError:
                    if not os.path.lexists(final):
                        raise
                    if not self.unique:
                        raise RunDirError(f"{final} exists already (another run took it meanwhile); accord never "
                                          "overwrites a run (choose another --out)") from None
                final = self.target.with_name(f"{self.target.name}-{i}")
            raise RunDirError(f"could not find a free name for {self.target}")
        except OSError as exc:
            raise RunDirError(f"could not write {self.target}: {exc.strerror or exc}", exit_code=1) from None


def _manifest_names(tmp: Path, target: Path, final: Path, manifest: dict[str, Any] | None = None) -> None:
    """Make the manifest name the directory the run lands in: ``run_dir``, and a run id that was the target's
    name becomes the final name (a run that found its id taken lands in ``<id>-2``)."""
    path = tmp / "manifest.json"
    if manifest is None:
        if not path.is_file():
            return
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if not isinstance(manifest, dict):
            return
    rid = manifest.get("run_id")
    if isinstance(rid, str) and (rid == target.name or rid.startswith(target.name + "-")
                                 and rid[len(target.name) + 1:].isdigit()):
        manifest["run_id"] = final.name
    manifest["run_dir"] = str(final)
    path.write_text(json.dumps(manifest, indent=2, default=_json_default) + "\n", encoding="utf-8")


def atomic_dir(target: Path, fill: Callable[[Path], None], *, unique: bool,
               finalize: Callable[[Path, Path], None] | None = None) -> Path:
    """Build a directory with ``fill(tmp_path)`` and rename it to ``target`` when complete (see :class:`RunDir`).

    A manifest.json that ``fill`` wrote names the final directory (``run_dir``; its ``run_id`` follows a
    numeric suffix); ``finalize(tmp, final)`` may write more before each rename attempt."""

    def names(tmp: Path, final: Path) -> None:
        _manifest_names(tmp, target, final)
        if finalize is not None:
            finalize(tmp, final)

    return _build(target, unique, fill, names)


def _build(target: Path | RunDir, unique: bool, fill: Callable[[Path], None],
           names: Callable[[Path, Path], None]) -> Path:
    """Fill a run directory (made now, or made before the compute), then, before each rename attempt,
    ``names(tmp, final)`` writes what names the directory it lands in; returns where it landed."""
    run_dir = target if isinstance(target, RunDir) else RunDir(Path(target), unique)
    with run_dir:
        try:
            fill(run_dir.tmp)
        except OSError as exc:
            raise RunDirError(f"could not write {run_dir.target}: {exc.strerror or exc}", exit_code=1) from None
        return run_dir.commit(names)


def write_run(
    target: Path | RunDir,
    result: Result,
    manifest: dict[str, Any],
    formats: Sequence[str] = ("png",),
    unique: bool = True,
    finalize: Callable[[Path, Path], None] | None = None,
) -> Path:
    """Write a complete run directory atomically (manifest.json, summary.md, report.html, result.json,
    tables/*.csv, figures/*); returns its final path. ``target`` may be a :class:`RunDir` made before the compute
    (so that an unwritable place failed first). The manifest, brief and report name the directory the run lands
    in; ``finalize(tmp, final)`` runs first (e.g. to put the final run id in ``result.summary``)."""
    intended = target.target if isinstance(target, RunDir) else Path(target)
    records: dict[str, Any] = {}

    def fill(tmp: Path) -> None:
        from scenarios import report as R

        R.add_headline_units(result.tables, result.headline)
        (tmp / "tables").mkdir()
        for name, table in result.tables.items():
            (tmp / "tables" / f"{name}.csv").write_text(table.to_csv(), encoding="utf-8")
        if result.figures:
            (tmp / "figures").mkdir()
            t0 = time.perf_counter()
            records.update(R.save_figures(result.figures, tmp / "figures", formats))
            if isinstance(manifest.get("timings_seconds"), dict):
                manifest["timings_seconds"]["figures_saved_seconds"] = time.perf_counter() - t0
        manifest["outputs"] = {
            "tables": [f"tables/{n}.csv" for n in result.tables],
            "figures": [f for r in records.values() for f in r.files],
            "brief": ["summary.md", R.REPORT_FILE, R.RESULT_FILE],
        }

    def names(tmp: Path, final: Path) -> None:
        from scenarios import report as R

        if finalize is not None:
            finalize(tmp, final)
        _manifest_names(tmp, intended, final, manifest)
        title = ((manifest.get("config") or {}).get("resolved") or {}).get("title") or final.name
        R.write_outputs(tmp, R.result_record("run", title, headline=result.headline, markdown=result.summary,
                                             figures=records, tables=list(result.tables), run_dir=final), manifest)

    return _build(target, unique, fill, names)


def check_writable(target: Path, unique: bool) -> None:
    """Before any compute: fail now if ``target`` cannot be written (or, without ``unique``, exists already).
    Leaves nothing behind."""
    RunDir(target, unique).abandon()


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
    records: dict[str, Any] = {}

    def fill(tmp: Path) -> None:
        from scenarios import report as R

        (tmp / "tables").mkdir()
        for name, table in result.tables.items():
            (tmp / "tables" / f"{name}.csv").write_text(table.to_csv(), encoding="utf-8")
        if result.figures:
            (tmp / "figures").mkdir()
            records.update(R.save_figures(result.figures, tmp / "figures", formats))

    def names(tmp: Path, final: Path) -> None:
        from scenarios import report as R

        _manifest_names(tmp, target, final, manifest)
        R.write_outputs(tmp, R.result_record(report.kind, R.report_title(report.kind, report.inputs), text=report.text,
                                             figures=records, tables=list(result.tables), run_dir=final,
                                             markdown_file="report.md"), manifest)

    return _build(target, out is None, fill, names)


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
