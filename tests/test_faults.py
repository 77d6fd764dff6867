"""Faults handled as a careful tool does (issue 16): workers die with their parent, killed runs' debris is
cleaned, the output place is checked before any compute, a lost race for --out is the usual error, and a run's
manifest names its own directory."""

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import cli
from scenarios import config as C
from scenarios import engine, runs
from scenarios import results as R
from tests.conftest import write_toy_config

ROOT = Path(__file__).resolve().parent.parent


def _children(pid: int) -> list[int]:
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = Path(f"/proc/{d}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(d))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        kids = _children(todo.pop())
        out += kids
        todo += kids
    return out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_workers_die_with_their_parent(sig, tmp_path):
    """The issue: a killed `accord run -j 2` left its chunk worker alive, blocked on a dead pipe."""
    cfg = write_toy_config(tmp_path / "toy.yaml", 1000)
    env = {**os.environ, "ACCORD_EXTRA_SCENARIOS": "toy=tests.toy_scenario"}
    proc = subprocess.Popen([sys.executable, "-m", "cli", "run", str(cfg), "-n", "400000000", "-j", "2", "--yes",
                             "-q", "--out", str(tmp_path / "run")], cwd=ROOT, env=env, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 60
        kids: list[int] = []
        while time.time() < deadline and not kids and proc.poll() is None:
            kids = _children(proc.pid)
            time.sleep(0.05)
        assert kids, "the run never started a worker"
        time.sleep(0.5)  # the worker is computing
        kids = sorted(set(kids) | set(_descendants(proc.pid)))  # every process of the run, not a passing one
        os.kill(proc.pid, sig)
        rc = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    deadline = time.time() + 10
    while time.time() < deadline and any(_alive(k) for k in kids):
        time.sleep(0.1)
    assert not [k for k in kids if _alive(k)], "a worker outlived its parent"
    assert not (tmp_path / "run").exists()
    debris = [p for p in tmp_path.iterdir() if R.TMP_MARK in p.name]
    if sig == signal.SIGTERM:  # cleanup ran: exit 143, one line, nothing left
        assert rc == 143 and proc.stderr.read().decode().strip() == "accord: terminated; nothing was written"
        assert debris == []
    else:  # SIGKILL: no cleanup can run; the debris is stale at once (its lock died with the process)
        assert rc == -signal.SIGKILL and len(debris) == 1
        lock = debris[0] / R.LOCK_NAME
        deadline = time.time() + 10  # the kernel drops a dead process's locks as it reaps it
        while time.time() < deadline and not R._is_stale(debris[0]):
            time.sleep(0.1)
        holders = [line for line in Path("/proc/locks").read_text().splitlines()
                   if f":{lock.stat().st_ino} " in line]
        stale, busy = R.clean([tmp_path])
        assert [p for p, _ in stale] == debris and busy == [] and not debris[0].exists(), (holders, kids)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sweep_workers_and_their_fork_server_die_with_the_parent(tmp_path):
    cfg = write_toy_config(tmp_path / "toy.yaml", 1000)
    env = {**os.environ, "ACCORD_EXTRA_SCENARIOS": "toy=tests.toy_scenario"}
    proc = subprocess.Popen([sys.executable, "-m", "cli", "sweep", str(cfg), "--grid", "toy.x=1:9:40", "-n", "20000000",
                             "-j", "2", "--yes", "-q", "--out", str(tmp_path / "sweep")], cwd=ROOT, env=env,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 90
        family: list[int] = []
        while time.time() < deadline and len(family) < 3 and proc.poll() is None:  # fork server + 2 workers
            family = _descendants(proc.pid)
            time.sleep(0.1)
        assert len(family) >= 3, family
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    deadline = time.time() + 10
    while time.time() < deadline and any(_alive(k) for k in family):
        time.sleep(0.1)
    assert not [k for k in family if _alive(k)], "a sweep process outlived its parent"


def test_the_next_run_removes_stale_temporaries_and_leaves_live_ones(tmp_path, toy):
    out = tmp_path / "runs"
    out.mkdir()
    stale = out / f".old{R.TMP_MARK}123-abcdef"
    stale.mkdir()
    (stale / R.LOCK_NAME).touch()  # nobody holds its lock
    (stale / "half.csv").write_text("x")
    live = out / f".busy{R.TMP_MARK}{os.getpid()}-fedcba"
    live.mkdir()
    fd = R._lock(live / R.LOCK_NAME)  # a run in progress holds it
    try:
        cfg = C.load(write_toy_config(tmp_path / "toy.yaml", 500))
        runs.run_and_write(cfg, out=out / "new")
        assert not stale.exists() and live.exists() and (out / "new" / "manifest.json").is_file()
    finally:
        os.close(fd)
    assert R.stale_temporaries(out) == [live]  # its process let go: stale now


def test_accord_clean_lists_then_removes_stale_temporaries(tmp_path, runner):
    root = tmp_path / "outputs" / "plan"
    root.mkdir(parents=True)
    stale = root / f".20260101T000000Z-00000000{R.TMP_MARK}99999-aaaaaa"
    (stale / "tables").mkdir(parents=True)
    (stale / R.LOCK_NAME).touch()
    (stale / "tables" / "t.csv").write_text("x" * 2048)
    res = runner.invoke(cli.main, ["clean", str(tmp_path / "outputs"), "--dry-run"])
    assert res.exit_code == 0 and "would remove 1 stale temporary directory (2 KiB)" in res.stdout and stale.exists()
    res = runner.invoke(cli.main, ["clean", str(tmp_path / "outputs"), "--json"])
    assert json.loads(res.stdout)["removed"] == [str(stale)] and not stale.exists()
    assert runner.invoke(cli.main, ["clean", str(tmp_path / "outputs" / "plan" / "nothing")]).exit_code == 0


@pytest.mark.parametrize("make_bad", ["under_a_file", "dangling_link"])
def test_an_unwritable_out_fails_before_any_compute(make_bad, tmp_path, toy, runner, monkeypatch):
    cfg = write_toy_config(tmp_path / "toy.yaml", 500)
    (tmp_path / "afile").write_text("x")
    if make_bad == "under_a_file":
        out, words = tmp_path / "afile" / "run", "is a file, not a directory"
    else:
        (tmp_path / "link").symlink_to(tmp_path / "nowhere")
        out, words = tmp_path / "link" / "run", "broken symbolic link"

    def no_compute(*a, **k):
        raise AssertionError("computed before checking the output place")

    monkeypatch.setattr(engine, "execute", no_compute)
    res = runner.invoke(cli.main, ["run", str(cfg), "--out", str(out)])
    assert res.exit_code == 2 and words in res.stderr and len(res.stderr.strip().splitlines()) == 1, res.output


def _unwritable_dir(tmp_path: Path) -> Path:
    """A directory this process cannot write in: read-only for a user; /sys (a kernel file system) for root."""
    if os.geteuid() != 0:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        return ro
    try:
        (Path("/sys") / "accord-probe").mkdir()
    except OSError:
        return Path("/sys")
    (Path("/sys") / "accord-probe").rmdir()
    pytest.skip("no directory here refuses root")


def test_a_read_only_out_fails_before_any_compute(tmp_path, toy, runner, monkeypatch):
    cfg = write_toy_config(tmp_path / "toy.yaml", 500)
    where = _unwritable_dir(tmp_path)
    monkeypatch.setattr(engine, "execute", lambda *a, **k: pytest.fail("computed"))
    res = runner.invoke(cli.main, ["run", str(cfg), "--out", str(where / "accord-run")])
    assert res.exit_code == 2 and "cannot write" in res.stderr and "choose another --out" in res.stderr, res.output
    assert len(res.stderr.strip().splitlines()) == 1


def test_every_command_with_out_checks_it_before_computing(tmp_path, runner, monkeypatch):
    """Generic (AccordCommand): an analysis command's --out is checked before its compute too."""
    from scenarios import guarantee_record

    (tmp_path / "afile").write_text("x")
    monkeypatch.setattr(guarantee_record, "calibrate", lambda *a, **k: pytest.fail("computed"))
    res = runner.invoke(cli.main, ["calibrate", "guarantees", "--out", str(tmp_path / "afile" / "r")])
    assert res.exit_code == 2 and "cannot write" in res.stderr
    (tmp_path / "taken").mkdir()
    res = runner.invoke(cli.main, ["calibrate", "guarantees", "--out", str(tmp_path / "taken")])
    assert res.exit_code == 2 and "exists already" in res.stderr


def test_a_lost_race_for_out_is_the_usual_exists_already(tmp_path, toy, runner, monkeypatch):
    cfg = write_toy_config(tmp_path / "toy.yaml", 500)
    out = tmp_path / "race"
    real = engine.execute

    def winner_lands_first(*args, **kwargs):
        (out / "tables").mkdir(parents=True)  # the other process's run arrives while this one computes
        (out / "manifest.json").write_text("{}")
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "execute", winner_lands_first)
    res = runner.invoke(cli.main, ["run", str(cfg), "--out", str(out)])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert res.stderr.strip() == (f"accord: error: {out} exists already (another run took it meanwhile); accord "
                                  "never overwrites a run (choose another --out)")
    assert (out / "manifest.json").read_text() == "{}"
    assert [p.name for p in tmp_path.iterdir() if R.TMP_MARK in p.name] == []


def test_a_run_whose_id_was_taken_names_its_own_directory(tmp_path, toy, monkeypatch):
    monkeypatch.setattr(R, "run_id", lambda *a, **k: "20260101T000000Z-0a1b2c3d")  # runs.run_and_write imports it on use
    cfg = C.load(write_toy_config(tmp_path / "toy.yaml", 500))
    first = runs.run_and_write(cfg, outputs_root=tmp_path)
    second = runs.run_and_write(cfg, outputs_root=tmp_path)
    assert first.run_dir.name == "20260101T000000Z-0a1b2c3d" and second.run_dir.name == "20260101T000000Z-0a1b2c3d-2"
    for done in (first, second):
        manifest = json.loads((done.run_dir / "manifest.json").read_text())
        assert manifest["run_id"] == done.run_dir.name and manifest["run_dir"] == str(done.run_dir)
        assert f"run `{done.run_dir.name}`" in (done.run_dir / "summary.md").read_text()


def test_a_disk_error_while_writing_is_a_clear_runtime_error(tmp_path):
    def fill(tmp):
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(R.RunDirError, match="No space left on device") as e:
        R.atomic_dir(tmp_path / "out" / "run", fill, unique=True)
    assert e.value.exit_code == 1 and not (tmp_path / "out").exists()
