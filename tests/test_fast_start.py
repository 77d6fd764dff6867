"""Fast start (issue 17): the commands that only read configs (``accord --help``, ``list``, ``show``,
``validate``) import none of the heavy packages a run needs (matplotlib, SciPy, networkx, jinja2, markdown-it,
dask, pandas) nor the models; importing them was most of a 2-3 s start. Nor NumPy: they read configs through
the schemas of scenarios/schemas/ (no model code); and `list`, which reads only each config's scenario and title,
not pydantic either (scenarios/configfile.py). The times themselves are measured by ``python -m tests.benchmarks
--only start`` (a timing test would fail on a busy machine, not on slow code); this test keeps the cause from
coming back, and checks that the numbers the schemas write out agree with the models' own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("matplotlib", "scipy", "scipy.stats", "scipy.optimize", "networkx", "jinja2", "markdown_it", "dask", "pandas",
         "numpy", "model.params", "model.coalition", "model.war", "model.terms", "model.lanchester_fit",
         "scenarios.engine", "scenarios.settlement", "scenarios.guarantee_record", "cli_commands")
NOT_FOR_LIST = ("pydantic", "scenarios.config")  # `accord list` reads configs without validating them


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    """accord's cache directory for these runs, after one validation of the default config: the first validation
    of a record table reads it, with NumPy (scenarios.schemas.guarantees.record_table_reads); later ones do not."""
    where = tmp_path_factory.mktemp("cache")
    subprocess.run([sys.executable, "-m", "cli", "validate", "configs/plan_28_points.yaml"], cwd=ROOT, check=True,
                   capture_output=True, env={**os.environ, "ACCORD_CACHE_DIR": str(where)}, timeout=300)
    return where


def _imported(args: list[str], cache: Path, heavy: tuple[str, ...] = HEAVY) -> tuple[int, list[str]]:
    """Run the command in a fresh interpreter; return its exit code and which of ``heavy`` it really imported (a
    `cli._Deferred` stand-in does not count: it imports the module only when used)."""
    env = {**os.environ, "ACCORD_CACHE_DIR": str(cache)}
    code = (
        "import json, sys\n"
        f"args, heavy = {json.dumps(args)}, {json.dumps(list(heavy))}\n"
        "sys.argv = ['accord', *args]\n"
        "import cli\n"
        "try:\n"
        "    cli.main()\n"
        "    rc = 0\n"
        "except SystemExit as exc:\n"
        "    rc = exc.code or 0\n"
        "real = [m for m in heavy if m in sys.modules and not isinstance(sys.modules[m], cli._Deferred)]\n"
        "sys.stderr.write('\\nPROBE ' + json.dumps([rc, real]) + '\\n')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          check=False, env=env)
    line = [ln for ln in done.stderr.splitlines() if ln.startswith("PROBE ")]
    assert line, done.stderr[-2000:]
    rc, real = json.loads(line[-1].removeprefix("PROBE "))
    return rc, real


@pytest.mark.parametrize("args", [
    ["--help"],
    ["list"],
    ["show", "configs/plan_28_points.yaml"],
    ["validate", "configs/plan_28_points.yaml"],
    ["validate", "configs/forces/plan_28_points.yaml"],
], ids=lambda a: " ".join(a))
def test_read_only_commands_import_no_heavy_package(args, cache):
    rc, real = _imported(args, cache, HEAVY + (NOT_FOR_LIST if args == ["list"] else ()))
    assert rc == 0
    assert real == [], f"`accord {' '.join(args)}` imported {real}"


def test_a_bad_config_is_reported_without_the_models(tmp_path, cache):
    """An error (exit 2, file, line, key) is found by the schema alone."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("extends: " + str(ROOT / "configs" / "plan_28_points.yaml") + "\nterms:\n  territory: 1.5\n")
    rc, real = _imported(["validate", str(bad)], cache)
    assert rc == 2 and real == []


def test_the_schemas_write_out_the_models_numbers():
    """scenarios/schemas/ restates a few of the models' constants so as not to import them (and NumPy)."""
    import math

    from model import battles as MB
    from model import forces as FM
    from model import guarantees as gm
    from scenarios.schemas import forces as SF
    from scenarios.schemas import guarantees as SG

    assert SF._D == {k: FM.BALANCE_DEFAULTS[k] for k in SF._D}
    assert SF.N_CASE_COEFFICIENTS == MB.N_CASE_COEFFICIENTS
    assert SG.MAX_GUARANTORS == gm.MAX_GUARANTORS
    fields = SF.ForcesBlock.model_fields
    assert fields["russia_now"].default == FM.BALANCE_DEFAULTS["attacker_strength_now_troops"]
    assert math.isinf(FM.BALANCE_DEFAULTS["defender_cap_troops"])  # the block's ukraine_cap: none, no cap
    assert fields["ukraine_cap"].default is None


def test_a_record_table_that_read_is_not_read_again(tmp_path, monkeypatch):
    """Validation reads the guarantee's record table (and imports its reader, with NumPy) only for a table, coding
    and reader code not read before; a changed table is read again, and a table that does not read says why every
    time."""
    from scenarios import guarantee_record
    from scenarios.config import ConfigError
    from scenarios.schemas import guarantees as SG

    monkeypatch.setenv("ACCORD_CACHE_DIR", str(tmp_path / "cache"))
    table = tmp_path / "record.csv"
    table.write_bytes(guarantee_record.RECORD_TABLE.read_bytes())
    reads = []
    real = guarantee_record.record_model
    monkeypatch.setattr(guarantee_record, "record_model", lambda *a: reads.append(a) or real(*a))
    SG.record_table_reads(str(table), "llm")
    SG.record_table_reads(str(table), "llm")
    assert len(reads) == 1
    SG.record_table_reads(str(table), "bf")  # another coding: read
    assert len(reads) == 2
    table.write_text(table.read_text() + "\n")  # changed bytes: read again
    SG.record_table_reads(str(table), "llm")
    assert len(reads) == 3
    table.write_text("not,a,record\n1,2,3\n")
    for _ in range(2):
        with pytest.raises(ConfigError):
            SG.record_table_reads(str(table), "llm")
    assert len(reads) == 5


def test_a_known_config_is_read_without_pyyaml(cache):
    """After one validation (the fixture's), the default config's four files are read from the cache of parsed
    files: neither PyYAML nor the composer is imported again."""
    for args in (["validate", "configs/plan_28_points.yaml"], ["show", "configs/plan_28_points.yaml"]):
        rc, real = _imported(args, cache, ("yaml", "scenarios.yamlparse"))
        assert rc == 0 and real == [], f"`accord {' '.join(args)}` imported {real}"


def test_a_remembered_parse_is_the_parse(tmp_path, monkeypatch):
    """A file's remembered parse (scenarios.configfile._remembered) gives the same data, key order and lines as
    parsing it; changed text is parsed again; a file that does not parse is never remembered, so its error is
    the parser's every time; ACCORD_CACHE_DIR=off remembers nothing."""
    from scenarios import configfile as F

    monkeypatch.setenv("ACCORD_CACHE_DIR", str(tmp_path / "cache"))
    parsed = tmp_path / "cache" / "parsed"
    doc = tmp_path / "doc.yaml"
    doc.write_text("b: 1\na: &x {k: [1, 2.5, null, yes, '7']}\nc: *x\n3: text\n")
    composed = F._compose(doc.read_text(), "doc.yaml")
    F._PARSED.clear()
    assert F.compose_file(doc, "doc.yaml") == composed  # parsed, then remembered
    assert len(list(parsed.iterdir())) == 1
    calls = []
    monkeypatch.setattr(F, "_compose", lambda *a: calls.append(a) or composed)
    F._PARSED.clear()
    data, locs = F.compose_file(doc, "doc.yaml")
    assert calls == [] and (data, locs) == composed and list(data) == ["b", "a", "c", 3]
    assert F.compose_file(doc, "other.yaml") and len(calls) == 1  # another label: its lines say another file
    monkeypatch.undo()
    monkeypatch.setenv("ACCORD_CACHE_DIR", str(tmp_path / "cache"))
    doc.write_text("b: 2\n")
    assert F.compose_file(doc, "doc.yaml")[0] == {"b": 2}
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [1, 2\n")
    n = len(list(parsed.iterdir()))
    errors = []
    for _ in range(2):
        with pytest.raises(F.ConfigError) as exc:
            F.compose_file(bad, "bad.yaml")
        errors.append(exc.value.text())
    assert errors[0] == errors[1] and "malformed YAML" in errors[0]
    assert len(list(parsed.iterdir())) == n
    monkeypatch.setenv("ACCORD_CACHE_DIR", "off")
    F._PARSED.clear()
    doc.write_text("b: 3\n")
    assert F.compose_file(doc, "doc.yaml")[0] == {"b": 3}
    assert len(list(parsed.iterdir())) == n


def test_a_foreign_or_broken_cache_entry_is_ignored(tmp_path, monkeypatch):
    from scenarios import configfile as F

    monkeypatch.setenv("ACCORD_CACHE_DIR", str(tmp_path / "cache"))
    doc = tmp_path / "doc.yaml"
    doc.write_text("a: 1\n")
    where = F._parsed_file(doc.read_text(), "doc.yaml", F.limits())
    where.parent.mkdir(parents=True)
    for junk in (b"", b"\x00garbage", __import__("marshal").dumps(("something else", where.name, {"a": 2}, {}))):
        where.write_bytes(junk)
        F._PARSED.clear()
        assert F.compose_file(doc, "doc.yaml")[0] == {"a": 1}


def test_the_cache_of_parsed_files_keeps_the_newest(tmp_path, monkeypatch):
    """The cache of parsed files is bounded: beyond PARSED_ENTRIES, the least recently used entries go."""
    import os

    from scenarios import configfile as F

    monkeypatch.setenv("ACCORD_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(F, "PARSED_ENTRIES", 3)
    doc = tmp_path / "doc.yaml"
    for i in range(6):
        doc.write_text(f"a: {i}\n")
        F._PARSED.clear()
        assert F.compose_file(doc, "doc.yaml")[0] == {"a": i}
        where = F._parsed_file(doc.read_text(), "doc.yaml", F.limits())
        os.utime(where, (1e9 + i, 1e9 + i))  # distinct times, oldest first
    entries = sorted(p.name for p in (tmp_path / "cache" / "parsed").iterdir())
    assert len(entries) == 3 and where.name in entries


@pytest.mark.parametrize("value", ["", "off", "0", " off "])
def test_the_cache_is_off_when_the_variable_says_so(monkeypatch, value):
    from scenarios import configfile

    monkeypatch.setenv("ACCORD_CACHE_DIR", value)
    assert configfile.cache_dir() is None
    monkeypatch.setenv("ACCORD_CACHE_DIR", "/some/where")
    assert str(configfile.cache_dir()) == "/some/where"
