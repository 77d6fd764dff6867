"""Sweeps: axis syntax, per-point seeds, identical results whatever the executor, resuming after a kill or a
failed point, never reusing a directory, and the figures (line, heatmap, small multiples)."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import cli
from scenarios import config as C
from scenarios import engine
from scenarios import sweep as S
from scenarios.results import RunDirError
from tests.conftest import write_toy_config

ROOT = Path(__file__).resolve().parent.parent
EXTRA = "toy=tests.toy_scenario,ishigami=tests.ishigami_scenario"


@pytest.fixture
def toy_cfg(tmp_path, toy, monkeypatch):
    monkeypatch.setenv("ACCORD_EXTRA_SCENARIOS", EXTRA)
    return write_toy_config(tmp_path / "toy.yaml", 3000)


def sweep(cfg, out, grid=(), values=(), lhs=None, ranges=(), trials=2000, seed=7, workers=1, dask_local=None,
          overrides=()):
    axes = S.parse_axes(list(grid), list(values), lhs, list(ranges))
    return S.run_sweep(cfg, list(overrides), axes, trials, seed, None, workers, None, dask_local, out, False)


# ------------------------------------------------------------------------------------------- axes


def test_grid_values_and_lhs_combine_as_a_product():
    axes = S.parse_axes(["a.b=0:1:3", "c=log:1:100:3"], ["d=x,2"], 4, ["e=0:1", "f=10:20"])
    pts = axes.points(seed=1)
    assert len(pts) == axes.size() == 3 * 3 * 2 * 4
    assert [p["a.b"] for p in pts[:: 3 * 2 * 4]] == [0, 0.5, 1]
    assert sorted({p["c"] for p in pts}) == [1, 10, 100]
    assert {p["d"] for p in pts} == {"x", 2}
    lhs = [(p["e"], p["f"]) for p in pts[:4]]
    # a Latin hypercube: each of the 4 strata of each range holds exactly one point
    assert sorted(int(e * 4) for e, _ in lhs) == [0, 1, 2, 3]
    assert sorted(int((f - 10) / 10 * 4) for _, f in lhs) == [0, 1, 2, 3]
    assert axes.points(seed=1) == pts and axes.points(seed=2) != pts


def test_grid_values_are_tidy_and_whole_numbers_stay_integers():
    axes = S.parse_axes(["k=0.1:0.9:5", "m=400000:900000:6"], [], None, [])
    assert axes.axes[0].values == (0.1, 0.3, 0.5, 0.7, 0.9)
    assert axes.axes[1].values == (400000, 500000, 600000, 700000, 800000, 900000)
    assert all(isinstance(v, int) for v in axes.axes[1].values)


@pytest.mark.parametrize("grid, values, lhs, ranges", [
    (["k=1:2"], [], None, []),
    (["k=1:2:x"], [], None, []),
    (["k=a:2:3"], [], None, []),
    (["k=log:0:1:3"], [], None, []),
    (["k=1:1:3"], [], None, []),
    (["=1:2:3"], [], None, []),
    (["k1:2:3"], [], None, []),
    ([], ["k="], None, []),
    ([], ["k=1,,2"], None, []),
    ([], [], 10, []),
    ([], [], None, ["k=0:1"]),
    ([], [], 10, ["k=1:0"]),
    (["k=0:1:3"], ["k=1,2"], None, []),
])
def test_bad_axis_syntax_is_a_one_line_bad_parameter(grid, values, lhs, ranges):
    with pytest.raises(click.BadParameter) as exc:
        S.parse_axes(grid, values, lhs, ranges)
    assert "\n" not in exc.value.message


def test_bad_axis_syntax_exits_2_and_names_what_is_allowed(toy_cfg, tmp_path):
    res = CliRunner().invoke(cli.main, ["sweep", str(toy_cfg), "--grid", "toy.y=0:1", "--out", str(tmp_path / "s")])
    assert res.exit_code == 2
    assert "KEY=LO:HI:N" in res.output and not (tmp_path / "s").exists()


def test_a_bad_key_fails_before_any_point_runs(toy_cfg, tmp_path):
    res = CliRunner().invoke(cli.main, ["sweep", str(toy_cfg), "--values", "toy.y=1,2", "--values", "toy.nope=1,2",
                                        "--out", str(tmp_path / "s")])
    assert res.exit_code == 2, res.output
    assert "sweep point 0" in res.output and "unknown key 'nope'" in res.output
    assert not (tmp_path / "s").exists()


def test_a_value_outside_a_parameters_range_fails_up_front(toy_cfg, tmp_path):
    res = CliRunner().invoke(cli.main, ["sweep", str(toy_cfg), "--grid", "toy.x=5:20:4", "--out", str(tmp_path / "s")])
    assert res.exit_code == 2 and "sweep point 2" in res.output and "toy.x" in res.output


@settings(max_examples=50, deadline=None)
@given(st.one_of(st.floats(allow_nan=False), st.integers(-10**12, 10**12), st.booleans(),
                 st.text(alphabet="abcxyz _-", min_size=1, max_size=8)))
def test_override_text_reads_back_as_the_same_value(v):
    assert yaml.safe_load(S.yaml_text(v)) == v


def test_point_seeds_come_from_seedsequence_of_sweep_seed_and_index():
    seeds = [S.point_seed(42, i) for i in range(100)]
    assert len(set(seeds)) == 100 and all(0 <= s < 2**63 for s in seeds)
    ss = np.random.SeedSequence(42, spawn_key=(S.SWEEP_KEY, 7))
    assert seeds[7] == int(ss.generate_state(1, np.uint64)[0]) >> 1
    assert S.point_seed(43, 7) != seeds[7]


# ---------------------------------------------------------------------------------------- executors


def test_one_worker_two_workers_and_dask_give_identical_points(toy_cfg, tmp_path):
    """Dask runs as a LocalCluster of 2 worker processes (processes=True), as `--dask-local 2` does."""
    pytest.importorskip("dask.distributed")
    grid = ["toy.y=0:3:4"]
    values = ["toy.items.a.weight=0.2,0.8"]
    one = sweep(toy_cfg, tmp_path / "one", grid, values, workers=1)
    two = sweep(toy_cfg, tmp_path / "two", grid, values, workers=2)
    dask = sweep(toy_cfg, tmp_path / "dask", grid, values, dask_local=2)
    assert one.n_done == two.n_done == dask.n_done == 8 and not one.n_failed
    text = (tmp_path / "one" / "points.csv").read_text()
    assert text == (tmp_path / "two" / "points.csv").read_text() == (tmp_path / "dask" / "points.csv").read_text()
    assert len({r["pid"] for r in S.read_records(tmp_path / "two").values()}) == 2
    # a point is an ordinary run of the config with the point's values as overrides and the point's seed
    m = S.read_manifest(tmp_path / "one")
    p = m["points"][5]
    cfg = C.load(toy_cfg, [f"{k}={v}" for k, v in p["values"].items()])
    s = engine.summarise(cfg, 2000, p["seed"], "mc")
    row = text.splitlines()[6].split(",")
    assert float(row[3]) == s.estimate("above_5").mean and float(row[4]) == s.estimate("above_5").se


def test_dask_not_installed_is_a_clear_error(toy_cfg, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    with pytest.raises(C.ConfigError, match="need Dask: pip install"):
        sweep(toy_cfg, tmp_path / "s", ["toy.y=0:1:2"], dask_local=2)


# ------------------------------------------------------------------------------------ resume, failures


def test_failed_point_is_reported_and_resume_then_equals_an_uninterrupted_sweep(toy_cfg, tmp_path, monkeypatch):
    import tests.toy_scenario as toy_module

    whole = sweep(toy_cfg, tmp_path / "whole", ["toy.y=0:4:5"])
    real = toy_module.evaluate

    def flaky(cfg, draws, rng):
        if cfg.toy.y.value == 2:
            raise ValueError("injected failure")
        return real(cfg, draws, rng)

    monkeypatch.setattr(toy_module, "evaluate", flaky)
    broken = sweep(toy_cfg, tmp_path / "broken", ["toy.y=0:4:5"])
    assert broken.n_failed == 1 and broken.n_done == 4
    assert broken.failed[0]["values"] == {"toy.y": 2} and "injected failure" in broken.failed[0]["error"]
    assert "FAILED point 2 (toy.y=2)" in broken.text()
    assert "injected failure" in (tmp_path / "broken" / "failed.csv").read_text()
    monkeypatch.setattr(toy_module, "evaluate", real)
    fixed = S.resume(tmp_path / "broken", 1, None, None, False)
    assert fixed.n_failed == 0 and fixed.ran_now == 1 and fixed.resumed
    assert (tmp_path / "broken" / "points.csv").read_text() == (tmp_path / "whole" / "points.csv").read_text()
    assert not (tmp_path / "broken" / "failed.csv").exists()
    assert whole.n_done == 5


def test_cli_exits_1_when_a_point_fails(toy_cfg, tmp_path, monkeypatch):
    import tests.toy_scenario as toy_module

    real = toy_module.evaluate
    monkeypatch.setattr(toy_module, "evaluate",
                        lambda cfg, d, rng: (_ for _ in ()).throw(ValueError("boom")) if cfg.toy.y.value else
                        real(cfg, d, rng))
    res = CliRunner().invoke(cli.main, ["sweep", str(toy_cfg), "--values", "toy.y=0,1", "-j", "1", "-n", "500",
                                        "--out", str(tmp_path / "s"), "--json"])
    assert res.exit_code == 1
    out = json.loads(res.stdout)
    assert out["completed"] == 1 and out["failed"][0]["values"] == {"toy.y": 1}


def test_sweep_killed_midway_and_resumed_equals_an_uninterrupted_one(toy_cfg, tmp_path):
    cmd = [sys.executable, "-m", "cli", "sweep", str(toy_cfg), "--values", "toy.y=0,1,2,3,4,5", "-n", "200000",
           "-s", "7", "-j", "1", "--quiet", "--out", str(tmp_path / "killed")]
    env = {**os.environ, "ACCORD_EXTRA_SCENARIOS": EXTRA, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    log = tmp_path / "killed" / S.POINTS_LOG
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if log.is_file() and log.read_text().count("\n") >= 2:
            break
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = S.read_records(tmp_path / "killed")
    assert 2 <= len(done) < 6, "the sweep should have been killed midway"
    assert not (tmp_path / "killed" / "points.csv").exists()
    res = CliRunner().invoke(cli.main, ["sweep", "--resume", str(tmp_path / "killed"), "-j", "2", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["ran_now"] == 6 - len(done)
    sweep(toy_cfg, tmp_path / "whole", values=["toy.y=0,1,2,3,4,5"], trials=200000)
    assert (tmp_path / "killed" / "points.csv").read_text() == (tmp_path / "whole" / "points.csv").read_text()


def test_a_cut_short_last_line_is_ignored_and_resume_appends_on_a_new_line(toy_cfg, tmp_path):
    sweep(toy_cfg, tmp_path / "s", values=["toy.y=0,1,2"], trials=500)
    log = tmp_path / "s" / S.POINTS_LOG
    lines = log.read_text().splitlines()
    log.write_text("\n".join(lines[:2]) + "\n" + lines[2][:25])  # a kill in the middle of writing a record
    assert len(S.read_records(tmp_path / "s")) == 2
    again = S.resume(tmp_path / "s", 1, None, None, False)
    assert again.ran_now == 1 and again.n_done == 3
    assert len(S.read_records(tmp_path / "s")) == 3


def test_resume_runs_points_with_the_chunk_size_the_sweep_started_with(toy_cfg, tmp_path):
    """The numbers depend on the chunk size: a resume uses the manifest's, even if the default has changed."""
    sweep(toy_cfg, tmp_path / "s", values=["toy.y=0,1"], trials=3000)
    before = (tmp_path / "s" / "points.csv").read_text()
    manifest_path = tmp_path / "s" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    assert manifest["chunk_size"] == 1000
    del manifest["config"]["resolved"]["run"]["chunk_size"]  # as if set by a default that has since changed
    manifest_path.write_text(json.dumps(manifest))
    (tmp_path / "s" / S.POINTS_LOG).write_text("")
    again = S.resume(tmp_path / "s", 1, None, None, False)
    assert again.ran_now == 2 and (tmp_path / "s" / "points.csv").read_text() == before


def test_resuming_a_finished_sweep_runs_nothing_and_changes_nothing(toy_cfg, tmp_path):
    sweep(toy_cfg, tmp_path / "s", values=["toy.y=0,1"], trials=500)
    before = (tmp_path / "s" / "points.csv").read_text()
    again = S.resume(tmp_path / "s", 2, None, None, False)
    assert again.ran_now == 0 and (tmp_path / "s" / "points.csv").read_text() == before


def test_a_sweep_being_run_cannot_be_resumed_by_a_second_process(toy_cfg, tmp_path):
    sweep(toy_cfg, tmp_path / "s", values=["toy.y=0"], trials=500)
    held = S._Log(tmp_path / "s")
    try:
        with pytest.raises(RunDirError, match="another accord process"):
            S.resume(tmp_path / "s", 1, None, None, False)
    finally:
        held.close()


def test_a_new_sweep_never_reuses_a_directory(toy_cfg, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    axes = S.parse_axes([], ["toy.y=0,1"], None, [])
    a = S.run_sweep(toy_cfg, [], axes, 300, 1, None, 1, None, None, None, False)
    b = S.run_sweep(toy_cfg, [], axes, 300, 1, None, 1, None, None, None, False)
    assert a.sweep_dir != b.sweep_dir and a.sweep_dir.parent == Path("outputs") / "toy"
    assert a.sweep_dir.name.startswith("sweep-")
    with pytest.raises(RunDirError, match="never overwrites"):
        S.run_sweep(toy_cfg, [], axes, 300, 1, None, 1, None, None, a.sweep_dir, False)
    assert (a.sweep_dir / "points.csv").read_text() == (b.sweep_dir / "points.csv").read_text()


def test_resume_of_something_that_is_not_a_sweep_exits_2(tmp_path):
    res = CliRunner().invoke(cli.main, ["sweep", "--resume", str(tmp_path)])
    assert res.exit_code == 2 and "not a sweep directory" in res.output


# --------------------------------------------------------------------------------- outputs, figures


def test_points_csv_and_manifest_hold_what_a_reader_needs(toy_cfg, tmp_path):
    out = sweep(toy_cfg, tmp_path / "s", grid=["toy.y=0:1:2"], overrides=["toy.items.a.weight=0.5"])
    cols = (tmp_path / "s" / "points.csv").read_text().splitlines()[0].split(",")
    assert cols == ["point", "toy.y", "above_5", "above_5_se", "above_5_n", "seed"]
    m = json.loads((tmp_path / "s" / "manifest.json").read_text())
    assert m["config"]["overrides"] == ["toy.items.a.weight=0.5"] and m["config"]["resolved"]["scenario"] == "toy"
    assert m["trials"] == 2000 and m["seed"] == 7 and m["axes"][0]["values"] == [0, 1]
    assert {"versions", "command_line", "sampler", "points"} <= set(m)
    assert out.json()["points_csv"].endswith("points.csv") and str(out.sweep_dir) in out.text()


def test_1d_sweep_draws_a_line_plot(toy_cfg, tmp_path):
    out = sweep(toy_cfg, tmp_path / "s", grid=["toy.y=0:1:3"], trials=300)
    assert out.figures == ["figures/sweep.png"] and (tmp_path / "s" / "figures" / "sweep.png").is_file()


def test_2d_grid_draws_a_heatmap(toy_cfg, tmp_path):
    res = CliRunner().invoke(cli.main, ["sweep", str(toy_cfg), "--grid", "toy.x=1:9:3", "--grid",
                                        "toy.y=log:0.1:10:3", "-n", "300", "-j", "1", "--out", str(tmp_path / "s")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "s" / "figures" / "heatmap_above_5.png").is_file()
    # x fixed at 1, 5 and 9 by the grid: P(x > 5) is 0, 0, 1 along that axis
    rows = [r.split(",") for r in (tmp_path / "s" / "points.csv").read_text().splitlines()[1:]]
    assert [(float(r[1]), float(r[3])) for r in rows[::3]] == [(1, 0.0), (5, 0.0), (9, 1.0)]


def test_lhs_sweep_draws_small_multiples(toy_cfg, tmp_path):
    out = sweep(toy_cfg, tmp_path / "s", lhs=6, ranges=["toy.y=0:1", "toy.x=0:10"], trials=300)
    assert out.n_done == 6 and out.figures == ["figures/multiples_above_5.png"]


def test_progress_bar_writes_points_rate_and_eta_to_stderr(toy_cfg, tmp_path, capsys):
    axes = S.parse_axes([], ["toy.y=0,1"], None, [])
    S.run_sweep(toy_cfg, [], axes, 300, 1, None, 1, None, None, tmp_path / "s", True)
    err = capsys.readouterr().err
    assert "2/2 points" in err and "/s" in err and "ETA" in err

