"""`accord calibrate lanchester` end to end (scenarios/lanchester.py): the report and its --json, the options,
the record's blank cells, and one-line exit-2 errors naming line and column."""

import json
from pathlib import Path

import numpy as np
import pytest

import cli
from scenarios import lanchester as SL
from scenarios.config import ConfigError
from tests.lanchester_battles import ISSUE_BATTLE, ISSUE_CSV

SYNTHETIC = Path(__file__).parent / "data" / "lanchester_synthetic.csv"
PARAMETERS = {"alpha", "beta", "attacker0", "defender0", "sigma"}


def _covers(entry: dict, truth: float) -> bool:
    return entry["ci"][0] <= truth <= entry["ci"][1]


def test_default_run_reports_every_parameter_with_its_interval(runner, tmp_path):
    """The issue-19 battle (tests/lanchester_battles.py; truth alpha 0.0106, beta 0.0544, A0 54,000, D0 21,500):
    --json names the method and gives every estimated parameter of every law with its interval; the square law is
    chosen and its intervals cover the truth."""
    res = runner.invoke(cli.main, ["calibrate", "lanchester", str(ISSUE_CSV), "--json", "--quiet",
                                   "--out", str(tmp_path / "cal")])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert (data["errors"], data["fix_initial"], data["intervals"]) == ("multiplicative", False, "wald")
    assert data["law"] == "square" and data["n_params"] == 5 and data["n_obs"] == 72
    for fit in data["fits"]:
        assert set(fit["parameters"]) == PARAMETERS == set(fit["estimated_parameters"])
        for p in fit["parameters"].values():
            assert p["ci"][0] <= p["value"] <= p["ci"][1] and p["se"] > 0
    for name in ("alpha", "beta", "attacker0", "defender0"):
        assert _covers(data["parameters"][name], ISSUE_BATTLE[name]), name
    assert (tmp_path / "cal" / "figures" / "lanchester_fit.png").is_file()
    assert (tmp_path / "cal" / "tables" / "lanchester_fits.csv").is_file()
    text = runner.invoke(cli.main, ["calibrate", "lanchester", str(ISSUE_CSV), "--out", str(tmp_path / "t")]).output
    assert "counting all 5 estimated parameters (alpha, beta, attacker0, defender0, sigma)" in text
    assert "initial strengths estimated" in text and "Errors multiplicative" in text


def test_fix_initial_additive_keeps_the_fit_before_issue_19(runner, tmp_path):
    """--fix-initial --errors additive is the old fitter: on tests/data/lanchester_synthetic.csv it gives the
    coefficients the README showed before issue 19 (alpha 0.01056, beta 0.0542 per day, RMSE 282.5 troops), the
    initial strengths are the first counts and not estimated, and the AIC counts 3 parameters."""
    res = runner.invoke(cli.main, ["calibrate", "lanchester", str(SYNTHETIC), "--fix-initial", "--errors",
                                   "additive", "--json", "--quiet", "--out", str(tmp_path / "c")])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert round(data["alpha"], 5) == 0.01056 and round(data["beta"], 4) == 0.0542
    assert round(data["rmse"], 1) == 282.5
    assert data["parameters"]["attacker0"] == {"value": 54000.0, "se": 0.0, "ci": [54000.0, 54000.0],
                                               "unit": "troops", "estimated": False}
    assert data["n_params"] == 3 and data["estimated_parameters"] == ["alpha", "beta", "sigma"]


def test_laws_confidence_and_profile_intervals_are_honoured():
    narrow = SL.calibrate_lanchester(ISSUE_CSV, laws=("square", "linear"), confidence=0.5)
    wide = SL.calibrate_lanchester(ISSUE_CSV, laws=("square", "linear"), confidence=0.99)
    assert [f["law"] for f in wide.data["fits"]] == ["square", "linear"]
    assert np.diff(narrow.data["alpha_ci"]) < np.diff(wide.data["alpha_ci"])
    profile = SL.calibrate_lanchester(ISSUE_CSV, laws=("square",), intervals="profile")
    assert profile.data["intervals"] == "profile" and "profile likelihood" in profile.text
    assert profile.data["alpha"] == pytest.approx(wide.data["alpha"], rel=1e-9)


def test_blank_cells_are_uncounted_days(tmp_path):
    """Engel's (1954) design: the defender counted on the first and last day only; blank cells are skipped."""
    rows = ISSUE_CSV.read_text().splitlines()
    body = [r for r in rows if r and not r.startswith("#")]
    out = [body[0]]
    for i, r in enumerate(body[1:]):
        day, a, d, ra, rd = r.split(",")
        out.append(",".join([day, a, d if i in (0, len(body) - 2) else "", ra, rd]))
    path = tmp_path / "sparse.csv"
    path.write_text("\n".join(out) + "\n")
    record = SL.read_battle(path)
    assert np.isfinite(record.defender).sum() == 2 and np.isfinite(record.attacker).all()
    report = SL.calibrate_lanchester(path)
    assert report.data["n_obs"] == 38 and report.data["law"] == "square"
    fitted = report.tables["lanchester_fitted"]
    assert np.isnan(fitted.rows[5][3]) and np.isfinite(fitted.rows[5][4])  # an uncounted day is still fitted


@pytest.mark.parametrize("text, line, key, words", [
    ("day,attacker,defender\n0,10,5\n1,x,4\n2,8,3\n", 3, "attacker", "or blank (not counted that day)"),
    ("day,attacker,defender\n0,10,5\n1,9,-4\n2,8,3\n", 3, "defender", ">= 0"),
    ("day,attacker,defender\n0,10,5\n2,9,4\n1,8,3\n", 4, "day", "must increase"),
    ("day,attacker,defender\n0,10,5\n,9,4\n", 3, "day", "not a number"),
    ("day,attacker,defender,attacker_reinforcement\n0,10,5,0\n1,9,4,\n", 3, "attacker_reinforcement",
     "not a number"),
    ("day,attacker,troops\n0,10,5\n", 1, "troops", "allowed columns"),
    ("day,attacker\n0,10\n", 1, None, "missing column"),
    ("day,attacker,defender\n0,10,5\n1,9\n2,8,3\n", 3, None, "the header has 3"),
    ("day,attacker,defender\n0,10,5\n", 1, None, "at least 2 days"),
    ("day,attacker,defender\n0,10,\n1,9,\n", 1, "defender", "no defender count"),
])
def test_bad_battle_csv_names_the_line_column_and_what_is_allowed(tmp_path, text, line, key, words):
    path = tmp_path / "battle.csv"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        SL.read_battle(path)
    assert err.value.line == line and err.value.key == key and words in err.value.message


@pytest.mark.parametrize("text, options, line, key, words", [
    ("day,attacker,defender\n0,10,5\n1,9,4\n2,0,3\n3,7,2\n", [], 4, "attacker", "--errors additive"),
    ("day,attacker,defender\n0,,5\n1,9,4\n2,8,3\n3,7,2\n", ["--fix-initial"], 2, "attacker", "is blank"),
    ("day,attacker,defender\n0,10,5\n1,9,4\n", [], None, None, "needs at least 5"),
])
def test_bad_fits_exit_2_with_one_line(runner, tmp_path, text, options, line, key, words):
    path = tmp_path / "battle.csv"
    path.write_text(text)
    res = runner.invoke(cli.main, ["calibrate", "lanchester", str(path), *options, "--out", str(tmp_path / "c")])
    assert res.exit_code == 2, res.output
    err = res.stderr.strip()
    assert len(err.splitlines()) == 1 and words in err and "Traceback" not in res.output
    if line is not None:
        assert f":{line}: {key}:" in err
    assert not (tmp_path / "c").exists()


def test_bad_options_exit_2(runner, tmp_path):
    for extra in (["--laws", "cubic"], ["--errors", "poisson"], ["--intervals", "bootstrap"]):
        res = runner.invoke(cli.main, ["calibrate", "lanchester", str(ISSUE_CSV), *extra])
        assert res.exit_code == 2 and "Traceback" not in res.output, extra
