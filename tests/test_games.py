"""`accord power` and `accord forecast` end to end through the CLI: published UN Security Council indices,
Monte Carlo errors, the Scholz, Calbert & Smith (2011) example data, and one-line errors for bad inputs."""

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import cli
from scenarios import games
from scenarios.config import ConfigError

ROOT = Path(__file__).resolve().parent.parent
UNSC = "configs/games/un_security_council.yaml"
EMISSIONS = "configs/games/emission_standards.csv"


@pytest.fixture
def runner(monkeypatch):
    monkeypatch.chdir(ROOT)
    return CliRunner()


def _json(runner, args, tmp_path):
    res = runner.invoke(cli.main, [*args, "--json", "-q", "--out", str(tmp_path / "report")])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_power_json_gives_published_unsc_values(runner, tmp_path):
    """Shapley-Shubik 0.1963 per permanent member and 4/2145 = 0.00186 per elected member (Gonit Sora,
    "Is it me, or is 'Veto' starting to sound really good", as in tests/test_power.py; the figures the issue
    attributes to Felsenthal & Machover 1998); normalised Banzhaf 848/5080 = 0.1669 and 84/5080 = 0.0165."""
    data = _json(runner, ["power", UNSC], tmp_path)
    assert data["method"] == "exact" and data["quota"] == 9
    members = {m["name"]: m for m in data["members"]}
    assert members["China"]["veto"] and not members["elected_1"]["veto"]
    for name in ("China", "United States"):
        assert members[name]["shapley_shubik"] == pytest.approx(421 / 2145, rel=1e-12)
        assert members[name]["shapley_shubik"] == pytest.approx(0.1963, abs=5e-5)
        assert members[name]["banzhaf"] == pytest.approx(0.1669, abs=5e-5)
    assert members["elected_3"]["shapley_shubik"] == pytest.approx(4 / 2145, rel=1e-12)
    assert members["elected_3"]["banzhaf"] == pytest.approx(0.0165, abs=5e-5)
    assert sum(m["shapley_shubik"] for m in data["members"]) == pytest.approx(1.0)
    assert (tmp_path / "report" / "tables" / "power.csv").is_file()


def test_power_monte_carlo_reports_standard_errors_within_four_of_exact(tmp_path):
    rep = games.power(ROOT / UNSC, method="monte_carlo", samples=20_000, seed=3)
    assert rep.data["method"] == "monte_carlo" and rep.data["n_samples"] == 20_000
    for m in rep.data["members"]:
        exact = 421 / 2145 if m["veto"] else 4 / 2145
        assert m["shapley_shubik_se"] > 0
        assert abs(m["shapley_shubik"] - exact) < 4 * m["shapley_shubik_se"] + 1e-3
    assert "+-" in rep.text


def test_forecast_json_on_the_scholz_example(runner, tmp_path):
    """The example data of Scholz, Calbert & Smith (2011), Table 1 (BDM 1994 emission standards): the
    capability-and-salience weighted median of the initial positions is 7, where their Table 2 starts too."""
    data = _json(runner, ["forecast", EMISSIONS, "--rounds", "6"], tmp_path)
    assert len(data["rounds"]) == 7 and data["salience_scale"] == 100
    assert data["rounds"][0]["forecast"] == pytest.approx(7.0)
    assert data["rounds"][0]["positions"]["France"] == 10
    assert {a["actor"] for a in data["actors"]} >= {"Netherlands", "UK", "Greece"}
    assert (tmp_path / "report" / "figures" / "forecast.png").is_file()


def test_forecast_salience_on_0_1_and_0_100_scales_agree(tmp_path):
    text = (ROOT / EMISSIONS).read_text().splitlines()
    scaled = [text[0]] + [",".join(r.split(",")[:3] + [str(float(r.split(",")[3]) / 100)]) for r in text[1:]]
    p = tmp_path / "unit.csv"
    p.write_text("\n".join(scaled) + "\n")
    a = games.forecast(ROOT / EMISSIONS, rounds=5).data
    b = games.forecast(p, rounds=5).data
    assert b["salience_scale"] == 1
    assert np.allclose([r["forecast"] for r in a["rounds"]], [r["forecast"] for r in b["rounds"]])


@pytest.mark.parametrize(("body", "where", "words"), [
    ("quota: 9\nmembers:\n  - {name: A, weight: 5}\n  - {name: B, weight: -1}\n", ":4: members.1.weight", ">= 0"),
    ("quota: 9\nmembers:\n  - {name: A, weight: 5, vote: true}\n", ":3: members.0.vote", "allowed keys"),
    ("quota: 20\nmembers:\n  - {name: A, weight: 5}\n", ":1: quota", "exceeds the total weight"),
    ("members:\n  - {name: A, weight: 5}\n", ":1: quota", "missing required key"),
    ("quota: 2\nmembers:\n  - {name: A, weight: 1}\n  - {name: A, weight: 1}\n", ":4: members.1.name", "duplicate"),
    ("quota: 2\nmembers: [\n", "", "malformed YAML"),
])
def test_bad_game_yaml_exits_2_with_one_line(runner, tmp_path, body, where, words):
    _exits_2_with_one_line(runner, "power", tmp_path / "game.yaml", body, where, words)


@pytest.mark.parametrize(("body", "where", "words"), [
    ("actor,capability,position,salience\nA,1,4,80\nB,x,7,40\n", ":3: capability", "expected a number"),
    ("actor,capability,position\nA,1,4\nB,1,7\n", ":1: salience", "missing column"),
    ("actor,capability,position,salience,colour\nA,1,4,80,red\n", ":1: colour", "unknown column"),
    ("actor,capability,position,salience\nA,1,4,80\nB,1,7,140\n", ":3: salience", "0-100"),
    ("actor,capability,position,salience\nA,1,4,80\nB,1,7\n", ":3: ", "expected 4 values"),
    ("actor,capability,position,salience\nA,1,4,80\n", ":2: ", "at least two actors"),
])
def test_bad_actors_csv_exits_2_with_one_line_naming_line_and_column(runner, tmp_path, body, where, words):
    _exits_2_with_one_line(runner, "forecast", tmp_path / "actors.csv", body, where, words)


def _exits_2_with_one_line(runner, command, path, body, where, words):
    """`accord COMMAND PATH` on a file holding body: exit 2, one line naming path:where and saying words."""
    path.write_text(body)
    res = runner.invoke(cli.main, [command, str(path)])
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.output, res.output
    assert f"{path.name}{where}" in lines[0] and words in lines[0], lines[0]


def test_missing_files_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        games.power(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="does not exist"):
        games.forecast(tmp_path / "nope.csv")


def test_shipped_emission_standards_is_the_scholz_example_data():
    assert (ROOT / EMISSIONS).read_text() == (ROOT / "tests" / "data" / "scholz_example.csv").read_text()
