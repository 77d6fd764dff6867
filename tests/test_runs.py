"""Run directories: reproducible tables, atomic writes, no overwrites, re-runs from a manifest."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from scenarios import config as C
from scenarios import engine, runs
from scenarios.results import RunDirError, Table, atomic_dir
from tests.conftest import write_toy_config

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def toy_cfg(tmp_path, toy):
    return write_toy_config(tmp_path / "toy.yaml", 5000)


def tables(run_dir: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted((run_dir / "tables").glob("*.csv"))}


def test_same_seed_gives_identical_tables_and_different_seeds_differ(toy_cfg, tmp_path):
    cfg = C.load(toy_cfg)
    a = runs.run_and_write(cfg, out=tmp_path / "a")
    b = runs.run_and_write(cfg, out=tmp_path / "b")
    c = runs.run_and_write(cfg, seed=12, out=tmp_path / "c")
    assert tables(a.run_dir) == tables(b.run_dir)
    assert tables(a.run_dir) != tables(c.run_dir)


@pytest.mark.parametrize("sampler", ["mc", "lhs", "sobol"])
def test_chunking_does_not_change_mc_and_lhs_estimates_beyond_their_error(toy_cfg, sampler):
    cfg = C.load(toy_cfg)
    s = engine.summarise(cfg, 4096, 5, sampler, chunk_size=1024)
    e = s.estimate("x")
    assert abs(e.mean - 5.0) < 4 * e.se + (0.01 if sampler != "mc" else 0)


def test_run_directory_holds_manifest_summary_tables(toy_cfg, tmp_path):
    done = runs.run_and_write(C.load(toy_cfg, ["toy.items.a.weight=0.3"]), out=tmp_path / "r")
    m = json.loads((done.run_dir / "manifest.json").read_text())
    for key in ("config", "seed", "sampler", "trials", "versions", "command_line", "timings_seconds", "git"):
        assert key in m
    assert m["config"]["overrides"] == ["toy.items.a.weight=0.3"]
    assert m["parameters"]["toy.x"]["source"] == "assumption"
    assert "P(x > 5)" in (done.run_dir / "summary.md").read_text()
    assert (done.run_dir / "tables" / "metrics.csv").is_file()


def test_rerun_from_manifest_reproduces_the_tables(toy_cfg, tmp_path):
    first = runs.run_and_write(C.load(toy_cfg, ["toy.y=2"]), seed=99, sampler="lhs", out=tmp_path / "first")
    cfg, settings = runs.config_from_manifest(first.run_dir / "manifest.json")
    again = runs.run_and_write(cfg, **settings, out=tmp_path / "again")
    assert tables(first.run_dir) == tables(again.run_dir)


def test_a_run_never_overwrites_another(toy_cfg, tmp_path):
    cfg = C.load(toy_cfg)
    first = runs.run_and_write(cfg, outputs_root=tmp_path)
    second = runs.run_and_write(cfg, outputs_root=tmp_path)
    assert first.run_dir != second.run_dir and first.run_dir.is_dir() and second.run_dir.is_dir()
    with pytest.raises(RunDirError):
        runs.run_and_write(cfg, out=first.run_dir)


def test_a_failed_write_leaves_nothing_behind(tmp_path):
    def fill(tmp):
        (tmp / "half.csv").write_text("x")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_dir(tmp_path / "out" / "run", fill, unique=True)
    assert not (tmp_path / "out").exists()  # not even the parent it made


def test_a_killed_run_leaves_no_run_directory_and_its_debris_is_swept(tmp_path):
    target = tmp_path / "out" / "run"
    script = textwrap.dedent(f"""
        import time
        from pathlib import Path
        from scenarios.results import atomic_dir
        def fill(tmp):
            (tmp / "tables").mkdir()
            (tmp / "tables" / "half.csv").write_text("x")
            time.sleep(60)
        atomic_dir(Path({str(target)!r}), fill, unique=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
    for _ in range(100):
        if (tmp_path / "out").exists() and any((tmp_path / "out").iterdir()):
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not target.exists()
    atomic_dir(tmp_path / "out" / "next", lambda tmp: None, unique=True)
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["next"]


def test_table_csv_is_written_at_full_precision():
    t = Table(["a", "b"], [[0.1 + 0.2, float("nan")]])
    assert t.to_csv() == "a,b\n0.30000000000000004,nan\n"
