"""The brief an analyst opens: ``report.html`` (one self-contained file) and the figures embedded in the
Markdown brief, for every directory accord writes (runs, analysis reports, sweeps).

What a writer stores beside its tables and figures, ``result.json``, is enough to render both again without
re-running anything (``accord report DIR``, `regenerate`): the headlines with every field they carry, the
figures' captions and titles, the scenario's Markdown brief and the console text. The figures are read from
``figures/`` and embedded in the page as base64 PNG (or SVG) data; the page loads nothing from elsewhere (no
scripts, fonts or styles from the network: one inline style sheet and one inline script that sorts tables).

Captions: the code that makes a figure attaches a caption with `caption` (what is plotted, the uncertainty
shown and the trial count); the writers carry it into ``result.json``, the page and the Markdown.
`figure_text` is what the trial-count rule reads (tests/test_report.py): the caption, the figure's suptitle
and its axes' titles.

Figures are saved in parallel (`save_figures`): forked processes each render a share of the already built
figures (Agg, no shared state), since rendering, not the model, dominated a default run's wall time.
"""

from __future__ import annotations

import base64
import csv
import html
import json
import math
import os
import re
import shlex
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RESULT_FILE = "result.json"
REPORT_FILE = "report.html"
CAPTION_ATTR = "_accord_caption"
MAX_TABLE_ROWS = 500  # rows of one table shown in the page (the CSV has them all)
LONG_CELL = 30  # characters: a text column with a longer cell is kept at least 16em wide on screen
FIGURES_HEADING = "## Figures"
RERUN_HEADING = "## Re-run"


class ReportError(Exception):
    """A directory that `accord report` cannot render (not an accord output directory)."""


# ------------------------------------------------------------------------------------------- captions


def caption(fig: Any, text: str) -> Any:
    """Attach a caption to a figure where it is made (what is plotted, the uncertainty shown, the trial
    count); returns the figure, so ``return caption(fig, "...")`` reads naturally."""
    setattr(fig, CAPTION_ATTR, " ".join(str(text).split()))
    return fig


def caption_of(fig: Any) -> str:
    return getattr(fig, CAPTION_ATTR, "") or ""


def title_of(fig: Any) -> str:
    """The figure's suptitle and its axes' titles (left, centre, right), joined."""
    parts = []
    sup = getattr(fig, "_suptitle", None)
    if sup is not None and sup.get_text():
        parts.append(sup.get_text())
    for ax in getattr(fig, "axes", []):
        for loc in ("left", "center", "right"):
            t = ax.get_title(loc=loc)
            if t:
                parts.append(t)
    return " | ".join(" ".join(p.split()) for p in parts)


def figure_text(fig: Any) -> str:
    """Everything a reader sees as the figure's words: caption and titles (the trial-count rule reads it)."""
    return " | ".join(p for p in (caption_of(fig), title_of(fig)) if p)


# ------------------------------------------------------------------------------------- saving figures


@dataclass
class FigureRecord:
    """One figure as written: its name, caption, titles and files (relative to the output directory)."""

    name: str
    caption: str = ""
    title: str = ""
    files: list[str] = field(default_factory=list)


_PENDING: dict[str, Any] = {}  # the figures a forked saver renders (inherited through fork, never pickled)


def _save_one(fig: Any, where: Path, name: str, formats: Sequence[str]) -> None:
    for fmt in formats:
        # each writer's own keys (the SVG writer rejects PNG's "Software"); no dates: identical reruns, identical files
        meta = {"png": {"Software": "accord"}, "svg": {"Creator": "accord", "Date": None},
                "pdf": {"Creator": "accord", "CreationDate": None}}.get(fmt, {})
        if fmt == "svg":  # SVG element ids hash a salt that is random by default
            import matplotlib

            with matplotlib.rc_context({"svg.hashsalt": "accord"}):
                fig.savefig(where / f"{name}.{fmt}", format=fmt, dpi=120, bbox_inches="tight", metadata=meta)
            continue
        # zlib level 1: ~15% less time to save than the default 6, for PNGs ~10% larger (flat-colour plots)
        extra = {"pil_kwargs": {"compress_level": 1}} if fmt == "png" else {}
        fig.savefig(where / f"{name}.{fmt}", format=fmt, dpi=120, bbox_inches="tight", metadata=meta, **extra)


def _save_share(names: list[str], where: str, formats: list[str]) -> int:
    for name in names:
        _save_one(_PENDING[name], Path(where), name, formats)
    return len(names)


def save_workers(n_figures: int) -> int:
    """Processes for saving ``n_figures`` figures: all cores, at most one per figure; 1 without fork, or while
    other threads run (forking then may copy a lock another thread holds: e.g. a Dask client's)."""
    import threading

    if (not sys.platform.startswith("linux") or os.environ.get("ACCORD_FIGURE_WORKERS") == "1"
            or threading.active_count() > 1):
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, n_figures))


def save_figures(figures: dict[str, Any], where: Path, formats: Sequence[str],
                 workers: int | None = None) -> dict[str, FigureRecord]:
    """Save every figure in every format (``where/<name>.<fmt>``; PNG too if no format the page can embed was
    asked for), in ``workers`` processes (default: see `save_workers`), and close them. Returns each figure's
    record (caption, titles, files)."""
    if not {"png", "svg"} & set(formats):
        formats = [*formats, "png"]
    records = {name: FigureRecord(name, caption_of(fig), title_of(fig),
                                  [f"figures/{name}.{fmt}" for fmt in formats]) for name, fig in figures.items()}
    names = list(figures)
    workers = save_workers(len(names)) if workers is None else max(1, min(workers, len(names)))
    shares = [names[i::workers] for i in range(workers)]
    futures = []
    pool = None
    if workers > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        _PENDING.clear()
        _PENDING.update(figures)
        pool = ProcessPoolExecutor(workers - 1, mp_context=multiprocessing.get_context("fork"))
        futures = [pool.submit(_save_share, share, str(where), list(formats)) for share in shares[1:]]
    try:
        for name in shares[0]:
            _save_one(figures[name], where, name, formats)
        for f in futures:
            f.result()
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
            _PENDING.clear()
        for fig in figures.values():
            _close(fig)
    return records


def _close(fig: Any) -> None:
    """Release a figure: pyplot's registry only if pyplot made it (importing pyplot costs ~0.1 s)."""
    if "matplotlib.pyplot" in sys.modules:
        import matplotlib.pyplot as plt

        plt.close(fig)


# ------------------------------------------------------------------------------------ result.json


def headline_records(headline: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Headline objects (scenarios.results.Headline) as plain records with every field they carry."""
    out = {}
    for key, h in headline.items():
        if isinstance(h, dict):
            out[key] = dict(h)
            continue
        rec = h.as_dict()
        rec.setdefault("percent", bool(getattr(h, "percent", False)))
        rec.setdefault("unit", h.unit_name() if hasattr(h, "unit_name") else "")
        out[key] = rec
    return out


def add_headline_units(tables: dict[str, Any], headline: dict[str, Any]) -> None:
    """tables/headline.csv convention: one metric per row, so a ``unit`` column (from the Headline objects)
    after ``label``, if the scenario's table has none."""
    table = tables.get("headline")
    if table is None or "unit" in table.columns or "metric" not in table.columns or not headline:
        return
    units = {k: rec.get("unit", "") for k, rec in headline_records(headline).items()}
    at = table.columns.index("label") + 1 if "label" in table.columns else len(table.columns)
    m = table.columns.index("metric")
    table.columns.insert(at, "unit")
    for row in table.rows:
        row.insert(at, units.get(row[m], ""))


def _json_default(o: Any) -> Any:
    if hasattr(o, "item"):
        return o.item()
    if hasattr(o, "tolist"):
        return o.tolist()
    return str(o)


def result_record(kind: str, title: str, *, headline: dict[str, Any] | None = None, markdown: str = "",
                  text: str = "", figures: dict[str, FigureRecord] | None = None, tables: Sequence[str] = (),
                  run_dir: Path | str | None = None, markdown_file: str = "summary.md") -> dict[str, Any]:
    """What `context` and `full_markdown` need besides the manifest, the tables and the figures on disk."""
    return {
        "accord_result": 1,
        "kind": kind,
        "title": title,
        "headline": headline_records(headline or {}),
        "markdown": markdown,
        "markdown_file": markdown_file,
        "text": text,
        "figures": [asdict(r) for r in (figures or {}).values()],
        "tables": list(tables),
        "run_dir": str(run_dir) if run_dir is not None else None,
    }


# ------------------------------------------------------------------------------------ the Markdown


def display_command(manifest: dict[str, Any]) -> str:
    """The command line a manifest recorded, as a shell line (``python -m cli`` shown as ``accord``)."""
    argv = list(manifest.get("command_line") or [])
    if not argv:
        return ""
    if Path(argv[0]).name in ("cli.py", "cli", "__main__.py", "accord"):
        argv[0] = "accord"
    return shlex.join(str(a) for a in argv)


def rerun_commands(manifest: dict[str, Any], run_dir: Path | str | None, kind: str) -> list[tuple[str, str]]:
    """(what, shell line) pairs: the original command (from the directory it ran in) and, for a run, the
    exact re-run from its manifest, and the report regenerated."""
    out = []
    cmd = display_command(manifest)
    cwd = manifest.get("cwd")
    if cmd:
        out.append(("the command that made this, from the directory it ran in",
                    f"cd {shlex.quote(str(cwd))} && {cmd}" if cwd else cmd))
    if run_dir is not None:
        d = shlex.quote(str(run_dir))
        if kind == "run":
            out.append(("re-run exactly (same config, seed, sampler, trials and chunking)",
                        f"accord run --from {shlex.quote(str(Path(run_dir) / 'manifest.json'))}"))
        elif kind == "sweep":
            out.append(("finish the sweep if it was interrupted", f"accord sweep --resume {d}"))
        out.append(("regenerate this report and the Markdown brief (no model run)", f"accord report {d}"))
    return out


def figures_markdown(figures: Sequence[dict[str, Any]]) -> str:
    """The Markdown section that embeds each figure (relative links) with its caption."""
    lines = [FIGURES_HEADING, ""]
    for f in figures:
        src = _embeddable(f.get("files", []))
        words = f.get("caption") or f.get("title") or f["name"]
        if src:
            lines += [f"![{_md_alt(words)}]({src})", ""]
        else:
            lines += [f"`{', '.join(f.get('files', []))}`", ""]
        lines += [f"*{f['name']}*: {words}", ""]
    return "\n".join(lines).rstrip() + "\n"


def _md_alt(text: str) -> str:
    return text.replace("[", "(").replace("]", ")").replace("\n", " ")


def _embeddable(files: Sequence[str]) -> str | None:
    for ext in (".png", ".svg"):
        for f in files:
            if f.endswith(ext):
                return f
    return None


def rerun_markdown(manifest: dict[str, Any], run_dir: Path | str | None, kind: str) -> str:
    lines = [RERUN_HEADING, ""]
    for what, line in rerun_commands(manifest, run_dir, kind):
        lines += [f"{what}:", "", "```sh", line, "```", ""]
    return "\n".join(lines).rstrip() + "\n"


def full_markdown(record: dict[str, Any], manifest: dict[str, Any]) -> str:
    """The Markdown file as written: the stored brief (or the console text, fenced), then the figures and the
    re-run lines."""
    body = record.get("markdown") or ""
    if record.get("text") and not body:
        body = f"# {record.get('title', '')}\n\n```text\n{record['text'].rstrip()}\n```\n"
    parts = [body.rstrip() + "\n"]
    if record.get("figures"):
        parts.append(figures_markdown(record["figures"]))
    parts.append(rerun_markdown(manifest, record.get("run_dir"), record.get("kind", "")))
    return "\n".join(parts)


# ------------------------------------------------------------------------------------- the page


def _read_table(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    return (rows[0], rows[1:]) if rows else ([], [])


_NUMBER = re.compile(r"^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def cell_text(value: str) -> tuple[str, str | None]:
    """(shown text, sort key) of a CSV cell: numbers to four significant digits (thousands separated), the
    full value kept as the sort key; other cells as they are."""
    v = value.strip()
    if not _NUMBER.match(v):
        if v.lower() in ("nan", "inf", "-inf"):
            return v, None
        return value, None
    x = float(v)
    if x == int(x) and abs(x) < 1e15 and "e" not in v.lower() and "." not in v.rstrip("0").rstrip("."):
        return f"{int(x):,}", v
    if x != 0 and (abs(x) >= 1e6 or abs(x) < 1e-4):
        return f"{x:.4g}", v
    if abs(x) >= 1000:
        return f"{x:,.0f}", v
    return _sig(x, 4), v


def _sig(x: float, digits: int) -> str:
    import numpy as np

    return np.format_float_positional(x, precision=digits, unique=False, fractional=False, trim="-")


def _table_context(name: str, columns: list[str], rows: list[list[str]], path: str) -> dict[str, Any]:
    shown = rows[:MAX_TABLE_ROWS]
    numeric = [all(cell_text(r[i])[1] is not None or r[i].strip().lower() in ("", "nan") for r in shown if i < len(r))
               for i in range(len(columns))]
    # a column of long words (a description, a source) gets a minimum width, so a wide table scrolls rather
    # than squeezing it to a word a line
    long = [not numeric[i] and max((len(r[i]) for r in shown if i < len(r)), default=0) > LONG_CELL
            for i in range(len(columns))]
    return {
        "name": name, "path": path, "columns": columns, "numeric": numeric,
        "classes": ["num" if n else "long" if w else "" for n, w in zip(numeric, long)],
        "rows": [[cell_text(c) for c in r] for r in shown], "n_rows": len(rows), "n_shown": len(shown),
    }


def _headline_context(key: str, rec: dict[str, Any]) -> dict[str, Any]:
    """A headline row: the estimate with its interval, the s.e., n, the unit, and any further field the
    headline carries (e.g. a spread over assumptions, an effective sample size) in its own column."""
    from scenarios.results import number_text

    # a record from before headlines carried "percent" (an old manifest): a probability is shown as one
    pct = bool(rec.get("percent", rec.get("unit") == "probability" or str(rec.get("label", "")).startswith("P(")))
    mean, se = rec.get("mean"), rec.get("se")
    lo, hi = rec.get("ci95_low"), rec.get("ci95_high")
    digits = _digits(se, pct)

    def f(x: Any) -> str:
        if not isinstance(x, (int, float)) or not math.isfinite(x):
            return "n/a"
        if pct:
            if x != 0 and abs(x) < 0.001:
                return number_text(x, True)
            return f"{x * 100:,.{digits}f}%"
        return f"{x:,.{digits}f}"

    known = {"label", "mean", "se", "ci95_low", "ci95_high", "n_trials", "unit", "percent"}
    extra = {}
    for k, v in rec.items():
        if k in known:
            continue
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            counts = k == "n" or k.startswith("n_") or k.endswith("_n")
            extra[k] = f"{v:,.0f}" if counts else f(v)
        elif isinstance(v, (str, bool)) or v is None:
            extra[k] = "" if v is None else str(v)
        elif isinstance(v, dict):
            extra[k] = "; ".join(f"{a}: {f(b) if isinstance(b, (int, float)) else b}" for a, b in v.items())
        elif isinstance(v, (list, tuple)):
            extra[k] = ", ".join(f(b) if isinstance(b, (int, float)) else str(b) for b in v)
    n = rec.get("n_trials")
    return {"key": key, "label": rec.get("label", key), "estimate": f(mean), "ci": f"{f(lo)} to {f(hi)}",
            "se": f(se), "n": f"{n:,}" if isinstance(n, (int, float)) and math.isfinite(n) else "",
            "unit": rec.get("unit", ""), "extra": extra}


def _digits(se: Any, percent: bool) -> int:
    """Decimals as the s.e. warrants (one significant digit of it), as model.stats.Estimate.text prints."""
    scale = 100.0 if percent else 1.0
    if isinstance(se, (int, float)) and math.isfinite(se) and se > 0:
        return int(min(max(-math.floor(math.log10(se * scale)), 1 if percent else 0), 4))
    return 1 if percent else 3


def _image_src(where: Path, files: Sequence[str]) -> str | None:
    """A data: URI of the figure's PNG (else SVG) file, or None if neither was written."""
    for ext, mime in ((".png", "image/png"), (".svg", "image/svg+xml")):
        for f in files:
            if f.endswith(ext) and (where / f).is_file():
                data = base64.b64encode((where / f).read_bytes()).decode("ascii")
                return f"data:{mime};base64,{data}"
    return None


def _sections(markdown_text: str) -> tuple[str, list[dict[str, str]]]:
    """The brief's Markdown as (the one sentence to quote, [{title, html}] per ``##`` section), leaving out
    the sections the page shows in its own way (headline, figures, re-run)."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")
    quote, sections = "", []
    current: dict[str, Any] = {"title": "", "lines": []}
    blocks = [current]
    for line in markdown_text.splitlines():
        m = re.match(r"^(#{1,2})\s+(.*)$", line)
        if m:
            current = {"title": m.group(2).strip(), "lines": [], "level": len(m.group(1))}
            blocks.append(current)
        else:
            current["lines"].append(line)
    skip = {"headline", "figures", "re-run", "how to re-run"}
    for b in blocks:
        body = "\n".join(b["lines"]).strip()
        title = b["title"]
        if b.get("level") == 1:  # the document title: the page has its own; keep any paragraph under it
            title = ""
        if title.lower() == "in one sentence" and not quote:
            quote = md.render(body)
            continue
        if title.lower() in skip or not body:
            continue
        sections.append({"title": title, "html": _sortable(md.render(body))})
    return quote, sections


def _sortable(fragment: str) -> str:
    return fragment.replace("<table>", '<table class="sortable">')


def _parameters(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    params = manifest.get("parameters") or {}
    return [{"path": k, "value": v.get("value", ""), "unit": v.get("unit", ""), "range": v.get("allowed_range", ""),
             "source": v.get("source") or "", "set_at": v.get("set_at", ""), "uncertain": bool(v.get("uncertain")),
             "differs": bool(v.get("differs"))}
            for k, v in params.items()]


def _provenance(manifest: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for key, label in (("run_id", "run id"), ("kind", "kind"), ("scenario", "scenario"), ("started_utc", "started (UTC)"),
                       ("trials", "trials"), ("seed", "seed"), ("sampler", "sampler"), ("chunk_size", "chunk size"),
                       ("detail_trials", "detail trials"), ("workers", "worker processes")):
        if manifest.get(key) not in (None, ""):
            v = manifest[key]
            out.append((label, f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) and key != "seed" else str(v)))
    conf = manifest.get("config") or {}
    if isinstance(conf, dict) and conf.get("path"):
        out.append(("config", str(conf["path"])))
        if conf.get("files"):
            out.append(("config files", ", ".join(conf["files"])))
        if conf.get("overrides"):
            out.append(("overrides", "; ".join(conf["overrides"])))
        if conf.get("digest_sha256"):
            out.append(("config digest (sha256)", conf["digest_sha256"]))
    git = manifest.get("git")
    if isinstance(git, dict):
        out.append(("git commit", f"{git.get('commit', '')}{' (uncommitted changes)' if git.get('dirty') else ''}"))
    versions = manifest.get("versions")
    if isinstance(versions, dict):
        out.append(("versions", ", ".join(f"{k} {v}" for k, v in versions.items() if v != "not installed")))
    timings = manifest.get("timings_seconds")
    if isinstance(timings, dict):
        out.append(("timings", ", ".join(f"{k.replace('_seconds', '')} {v:.2f} s" for k, v in timings.items()
                                          if isinstance(v, (int, float)))))
    return out


def context(where: Path, record: dict[str, Any], manifest: dict[str, Any]) -> dict[str, Any]:
    """Everything the template shows, from a written directory's result.json, manifest, tables and figures."""
    quote, sections = _sections(record.get("markdown") or "")
    featured = ("variants",)  # tables the page shows in their own section
    tables, special = [], {}
    for name in record.get("tables") or []:
        path = where / "tables" / f"{name}.csv"
        if not path.is_file():
            path = where / f"{name}.csv"
            if not path.is_file():
                continue
        cols, rows = _read_table(path)
        t = _table_context(name, cols, rows, str(path.relative_to(where)))
        (special.__setitem__(name, t) if name in featured else tables.append(t))
    figures = []
    for f in record.get("figures") or []:
        figures.append({**f, "src": _image_src(where, f.get("files", [])),
                        "words": f.get("caption") or f.get("title") or ""})
    return {
        "title": record.get("title") or record.get("kind", "accord"),
        "kind": record.get("kind", ""),
        "quote": quote,
        "headlines": [_headline_context(k, v) for k, v in (record.get("headline") or {}).items()],
        "extra_columns": _extra_columns(record.get("headline") or {}),
        "text": record.get("text") or "",
        "sections": sections,
        "figures": figures,
        "variants": special.get("variants"),
        "tables": tables,
        "parameters": _parameters(manifest),
        "rerun": rerun_commands(manifest, record.get("run_dir"), record.get("kind", "")),
        "provenance": _provenance(manifest),
        "markdown_file": record.get("markdown_file", "summary.md"),
    }


def _extra_columns(headline: dict[str, dict[str, Any]]) -> list[str]:
    cols: list[str] = []
    for key, rec in headline.items():
        for k in _headline_context(key, rec)["extra"]:
            if k not in cols:
                cols.append(k)
    return cols


def render_html(ctx: dict[str, Any]) -> str:
    """The page, from `context` (Jinja2 template ``scenarios/templates/report.html.j2``, autoescaped)."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("scenarios", "templates"),
                             autoescape=jinja2.select_autoescape(["html", "j2"]), trim_blocks=True,
                             lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters["humanise"] = lambda k: str(k).replace("_", " ")
    return env.get_template("report.html.j2").render(**ctx, escape=html.escape)


def write_outputs(where: Path, record: dict[str, Any], manifest: dict[str, Any], atomic: bool = False) -> None:
    """Write result.json, the Markdown file with its figures and re-run lines, and report.html into the output
    directory ``where`` (a temporary one that is renamed into place; ``atomic``: each file replaced
    atomically, for a directory in use, such as a sweep's)."""
    files = ((where / RESULT_FILE, json.dumps(record, indent=2, default=_json_default) + "\n"),
             (where / record.get("markdown_file", "summary.md"), full_markdown(record, manifest)))
    for path, text in files:
        _replace(path, text) if atomic else path.write_text(text, encoding="utf-8")
    page = render_html(context(where, record, manifest))
    _replace(where / REPORT_FILE, page) if atomic else (where / REPORT_FILE).write_text(page, encoding="utf-8")


def report_title(kind: str, inputs: dict[str, Any]) -> str:
    """A page title for an analysis report: the command and the files it read (``accord compare: a, b, c``)."""
    def is_file(x: Any) -> bool:
        return isinstance(x, str) and ("/" in x or x.endswith((".csv", ".yaml", ".yml")))

    command = "accord " + kind.replace("-", " ")
    for v in inputs.values():
        if is_file(v):
            return f"{command}: {Path(v).name}"
        if isinstance(v, (list, tuple)) and v and all(is_file(x) for x in v):
            return f"{command}: " + ", ".join(Path(x).stem for x in v)
    return command


# ------------------------------------------------------------------------------------ accord report


def regenerate(where: Path) -> list[Path]:
    """Render report.html and the Markdown brief of an existing accord directory again, from its manifest,
    result.json, tables and figures (no model run). Each file is replaced atomically. A directory written
    before result.json existed is rendered from its manifest's headline and its summary.md."""
    where = Path(where)
    manifest_path = where / "manifest.json"
    if not manifest_path.is_file():
        raise ReportError(f"{where}: not an accord output directory (no manifest.json)")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReportError(f"{manifest_path}: unreadable ({type(exc).__name__}: {exc})") from None
    record_path = where / RESULT_FILE
    if record_path.is_file():
        try:
            record = json.loads(record_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ReportError(f"{record_path}: unreadable ({type(exc).__name__}: {exc})") from None
    else:
        record = _record_without_result_json(where, manifest)
    record["run_dir"] = str(where)  # wherever the directory is now: the re-run lines name it
    written = []
    md_path = where / record.get("markdown_file", "summary.md")
    for path, text in ((record_path, json.dumps(record, indent=2, default=_json_default) + "\n"),
                       (md_path, full_markdown(record, manifest)),
                       (where / REPORT_FILE, render_html(context(where, record, manifest)))):
        _replace(path, text)
        written.append(path)
    return written


def _replace(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _strip_generated(markdown: str) -> str:
    """A brief without the sections this module appends (so that regenerating does not repeat them)."""
    for heading in (FIGURES_HEADING, RERUN_HEADING):
        i = markdown.find("\n" + heading + "\n")
        if i >= 0:
            markdown = markdown[:i]
    return markdown.rstrip() + "\n"


def _record_without_result_json(where: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    kind = "sweep" if manifest.get("kind") == "sweep" else ("run" if "scenario" in manifest and "kind" not in manifest
                                                            else manifest.get("kind", "report"))
    md_name = "report.md" if (where / "report.md").is_file() and not (where / "summary.md").is_file() else "summary.md"
    md_path = where / md_name
    markdown = _strip_generated(md_path.read_text(encoding="utf-8")) if md_path.is_file() else ""
    figures = {}
    for p in sorted((where / "figures").glob("*")) if (where / "figures").is_dir() else []:
        figures.setdefault(p.stem, FigureRecord(p.stem)).files.append(f"figures/{p.name}")
    tables = [p.stem for p in sorted((where / "tables").glob("*.csv"))] if (where / "tables").is_dir() else []
    if (where / "points.csv").is_file():
        tables.append("points")
    conf = manifest.get("config") or {}
    title = ((conf.get("resolved") or {}).get("title") if isinstance(conf, dict) else None) or where.name
    text = "" if md_name == "summary.md" else markdown
    return result_record(kind, title, headline=manifest.get("headline") or {}, markdown=markdown if not text else "",
                         text=text, figures=figures, tables=tables, run_dir=where, markdown_file=md_name)


def embed_check(html_text: str) -> list[str]:
    """The external references in a page (src/href to anything but data: URIs and in-page anchors): empty
    for a self-contained page."""
    refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html_text)
    return [r for r in refs if not r.startswith(("data:", "#"))]
