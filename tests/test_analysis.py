"""Global sensitivity (SALib, through accord's own evaluation path) and scenario discovery (PRIM over a sweep)."""

import csv
import json
import math
import textwrap

import numpy as np
import pytest
from click.testing import CliRunner

import cli
from model import prim
from scenarios import analysis as A
from scenarios import sweep as S
from scenarios.config import ConfigError

EXTRA = "toy=tests.toy_scenario,ishigami=tests.ishigami_scenario"
PI = repr(math.pi)


@pytest.fixture
def ishigami(tmp_path, monkeypatch):
    from scenarios import registry

    monkeypatch.setitem(registry.SCENARIOS, "ishigami", "tests.ishigami_scenario")
    monkeypatch.setitem(registry.SCENARIOS, "toy", "tests.toy_scenario")
    monkeypatch.setenv("ACCORD_EXTRA_SCENARIOS", EXTRA)
    p = tmp_path / "ishigami.yaml"
    p.write_text(textwrap.dedent(f"""\
        scenario: ishigami
        run: {{trials: 1, seed: 20251120}}
        ishigami:
          x1: {{dist: uniform, low: -{PI}, high: {PI}}}
          x2: {{dist: uniform, low: -{PI}, high: {PI}}}
          x3: {{dist: uniform, low: -{PI}, high: {PI}}}
        """))
    return p


def _analytic_ishigami(a=7.0, b=0.1):
    """Ishigami & Homma (1990); variance decomposition as given by Sobol' & Levitan (1999)."""
    v1 = 0.5 * (1 + b * math.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * math.pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / v, np.array([v1 + v13, v2, v13]) / v


def test_analytic_ishigami_indices_are_the_published_ones():
    """S1 = 0.3139, 0.4424, 0; ST = 0.5576, 0.4424, 0.2437 for a = 7, b = 0.1 (Sobol' & Levitan 1999)."""
    s1, st = _analytic_ishigami()
    assert np.allclose(s1, [0.3139, 0.4424, 0.0], atol=5e-5)
    assert np.allclose(st, [0.5576, 0.4424, 0.2437], atol=5e-5)


def test_ishigami_sobol_indices_through_sensitivity_match_the_analytic_values(ishigami):
    """Sobol' indices of the Ishigami function (Ishigami & Homma 1990; analytic values Sobol' & Levitan 1999),
    computed by accord's own path (config -> overrides -> engine -> headline -> SALib), lie within SALib's
    95% bootstrap confidence intervals (N = 1024, 8192 evaluations)."""
    report = A.sensitivity(ishigami, [], "sobol", None, 1024, 1, None)
    s1, st = _analytic_ishigami()
    idx = report.data["indices"]["y"]
    for j, name in enumerate(["ishigami.x1", "ishigami.x2", "ishigami.x3"]):
        got = idx[name]
        assert abs(got["S1"] - s1[j]) <= got["S1_conf"], (name, got, s1[j])
        assert abs(got["ST"] - st[j]) <= got["ST_conf"], (name, got, st[j])
        assert got["S1_conf"] < 0.1 and got["ST_conf"] < 0.1  # the intervals are informative, not vacuous
    assert report.data["evaluations"] == 1024 * (2 * 3 + 2)
    assert {"indices", "second_order", "evaluations"} <= set(report.tables)
    assert set(report.figures) == {"sensitivity_y"}


def test_ishigami_morris_effect_of_x2_is_the_closed_form_on_a_four_level_grid(ishigami):
    """On 4 levels the Morris step is 2/3 of the range (Morris 1991; Campolongo et al. 2007): x2 moves between
    -pi and pi/3 or -pi/3 and pi, where sin^2 changes by 3/4, so every effect of x2 is +/- a (3/4) / (2/3)."""
    report = A.sensitivity(ishigami, [], "morris", None, 20, 1, 3)
    x2 = report.data["indices"]["y"]["ishigami.x2"]
    assert x2["mu_star"] == pytest.approx(7.0 * 0.75 / (2 / 3), rel=1e-9)
    assert report.data["evaluations"] == 20 * 4


def test_named_parameters_only_and_errors_name_the_choices(ishigami):
    report = A.sensitivity(ishigami, [], "sobol", ["ishigami.x2"], 64, 1, 1)
    assert list(report.data["indices"]["y"]) == ["ishigami.x2"]
    with pytest.raises(ConfigError, match="uncertain parameters: ishigami.x1"):
        A.sensitivity(ishigami, [], "sobol", ["ishigami.x9"], 64, 1, 1)
    with pytest.raises(ConfigError, match="is fixed"):
        A.sensitivity(ishigami, [], "sobol", ["ishigami.a"], 64, 1, 1)


def test_evaluations_use_common_random_numbers(ishigami):
    """With only x1 fixed per evaluation, x2 and x3 keep the same draws in every evaluation (same seed), so two
    evaluations at the same x1 give identical outputs and the per-evaluation mean differs only through x1."""
    from scenarios.config import load

    cfg = load(ishigami)
    recs = A.evaluate_points(cfg, [{"ishigami.x1": 0.5}, {"ishigami.x1": 0.5}, {"ishigami.x1": -1.0}], 2000, 9, "mc")
    means = [r["metrics"]["y"]["mean"] for r in recs]
    assert means[0] == means[1] != means[2]


def test_cli_sensitivity_writes_the_table_and_a_bar_chart(ishigami, tmp_path):
    res = CliRunner().invoke(cli.main, ["sensitivity", str(ishigami), "--method", "morris", "--base-samples", "8", "-n", "1",
                                        "--out", str(tmp_path / "r"), "--json", "--quiet"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["method"] == "morris"
    rows = list(csv.DictReader((tmp_path / "r" / "tables" / "indices.csv").open()))
    assert [r["parameter"] for r in rows] == ["ishigami.x1", "ishigami.x2", "ishigami.x3"]
    assert (tmp_path / "r" / "figures" / "sensitivity_y.png").is_file()


# ------------------------------------------------------------------------------------------ discovery


def _fake_sweep(path, X, outcome, keys=("a", "b", "c")):
    """A sweep directory as run_sweep writes it, with planted points (for PRIM on known data)."""
    path.mkdir()
    points = [{"point": i, "values": dict(zip(keys, map(float, row))), "seed": i} for i, row in enumerate(X)]
    manifest = {"kind": "sweep", "keys": list(keys), "points": points, "trials": 1000, "run_id": "fake",
                "axes": [{"kind": "lhs", "keys": list(keys), "n": len(X), "ranges": [[0, 1]] * len(keys)}]}
    (path / "manifest.json").write_text(json.dumps(manifest))
    lines = [",".join(["point", *keys, "p_holds", "p_holds_se", "p_holds_n", "seed"])]
    for i, (row, y) in enumerate(zip(X, outcome)):
        lines.append(",".join([str(i), *map(repr, map(float, row)), repr(float(y)), "0.01", "1000", str(i)]))
    (path / "points.csv").write_text("\n".join(lines) + "\n")
    return path


def test_discover_finds_the_planted_box(tmp_path):
    """The settlement 'fails' (p_holds < 0.5) exactly when a > 0.7 and b < 0.3; c is noise."""
    rng = np.random.default_rng(4)
    X = rng.uniform(size=(600, 3))
    fails = (X[:, 0] > 0.7) & (X[:, 1] < 0.3)
    p_holds = np.where(fails, 0.2, 0.8) + rng.normal(0, 0.02, 600)
    d = _fake_sweep(tmp_path / "sweep", X, p_holds)
    report = A.discover(d, "p_holds", 0.5, None, 0.05, 0.05, 1)
    box = report.data["boxes"][0]
    assert set(box["limits"]) == {"a", "b"}
    assert box["limits"]["a"]["lower"] == pytest.approx(0.7, abs=0.03)
    assert box["limits"]["b"]["upper"] == pytest.approx(0.3, abs=0.03)
    assert box["coverage"] > 0.9 and box["density"] > 0.9
    assert all(lim["qp"] < 1e-6 for lim in box["limits"].values())
    # the same box as model/prim.py on the same data
    ref = prim.find_box(X, p_holds < 0.5)
    assert box["coverage"] == ref.coverage and box["density"] == ref.density
    assert set(report.tables) == {"boxes", "limits", "trajectory"} and "peeling_trajectory" in report.figures
    assert "a in [" in report.text and "quasi-p" in report.text


def test_discover_unknown_outcome_lists_the_metrics_and_exits_2(tmp_path):
    d = _fake_sweep(tmp_path / "sweep", np.random.default_rng(0).uniform(size=(50, 3)), np.linspace(0, 1, 50))
    with pytest.raises(ConfigError, match="available metrics: p_holds"):
        A.discover(d, "p_hold", 0.5, None, 0.05, 0.05, 1)
    res = CliRunner().invoke(cli.main, ["discover", str(d), "--outcome", "nope", "--below", "0.5"])
    assert res.exit_code == 2 and "available metrics: p_holds" in res.output
    with pytest.raises(ConfigError, match="no point has p_holds < -1"):
        A.discover(d, "p_holds", -1.0, None, 0.05, 0.05, 1)


def test_discover_end_to_end_on_an_ishigami_sweep(ishigami, tmp_path):
    """y > 8 needs sin(x2)^2 near 1 (x2 near +/-pi/2) and sin(x1) > 0: PRIM restricts x2 and x1, not x3 alone."""
    axes = S.parse_axes([], [], 300, [f"ishigami.x{i}=-{PI}:{PI}" for i in (1, 2, 3)])
    out = S.run_sweep(ishigami, [], axes, 1, 5, None, 1, None, None, tmp_path / "sweep", False)
    assert out.n_done == 300
    res = CliRunner().invoke(cli.main, ["discover", str(tmp_path / "sweep"), "--outcome", "y", "--above", "8",
                                        "--out", str(tmp_path / "d"), "--json", "--quiet"])
    assert res.exit_code == 0, res.output
    box = json.loads(res.stdout)["boxes"][0]
    assert "ishigami.x1" in box["limits"] and box["limits"]["ishigami.x1"]["lower"] > -0.5
    ys = np.array([float(r["y"]) for r in csv.DictReader((tmp_path / "sweep" / "points.csv").open())])
    assert box["density"] > 2 * np.mean(ys > 8)
    assert (tmp_path / "d" / "figures" / "peeling_trajectory.png").is_file()
