"""`accord backtest responses` (scenarios/backtest.py, issue 15 part 2): the shipped configs against what the
parties said (configs/reference/responses.csv). The shipped coding reproduces every revealed accept and reject
without near-certain acceptance, and all but one (Russia on the E3 counter-proposal, see WEAK) by a margin; the check can fail (the coding before the recalibration misses
Ushakov's rejection of the counter-proposal); P(accept) moves toward 1/2 as the acceptance noise grows (the
logit's scale, McFadden 1974); bad input is a one-line exit-2 error naming file, line and key."""

import csv
import json
from pathlib import Path

import pytest

import cli
from scenarios import backtest as bt
from scenarios.reference import RESPONSES

ROOT = Path(__file__).resolve().parent.parent
OPTIONS = [str(ROOT / "configs" / "coalition" / f"{o}.yaml") for o in ("plan_28_points", "counterproposal", "no_deal")]
TRIALS = "1500"  # MC s.e. of a P(accept) below 0.013: far below every margin checked here
MARGIN = 0.1  # a response's P(accept) at least this far from 1/2 on its side: not knife-edge
ON_SIDE = 0.8  # and on its side in at least this share of the draws of the assumptions


def _run(runner, tmp_path, *args, name="bt"):
    return runner.invoke(cli.main, ["backtest", "responses", *args, "--out", str(tmp_path / name), "--json"])


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    from click.testing import CliRunner

    out = tmp_path_factory.mktemp("responses")
    res = _run(CliRunner(), out, *OPTIONS, "-n", TRIALS)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout), out / "bt"


def test_the_shipped_configs_reproduce_every_revealed_accept_and_reject(shipped):
    data, _ = shipped
    assert data["n_signed_scored"] >= 8  # FACTS.md's and the verified rows with a config for their option
    assert data["n_matched"] == data["n_signed_scored"], data["missed"]
    rows = {r["id"]: r for r in data["responses"]}
    # the two: Russia rejects the E3 text (Ushakov, 24 Nov 2025), takes the US plan as a basis (Putin, 21 Nov)
    assert rows["ushakov_e3_unconstructive"]["p_accept"] < 0.5 < rows["putin_us_plan_basis"]["p_accept"]
    assert rows["zelensky_us_plan_dignity"]["p_accept"] < 0.5
    assert rows["kremlin_rejects_30_day_ceasefire"]["p_accept"] < 0.5 < rows["ukraine_jeddah_ceasefire"]["p_accept"]


# The honest exception (issue 15 review J1, J3): with Russia's sanctions and asset saliences back at .10/.05 and
# the ideal points and saliences drawn around their coding (coalition.preference_uncertainty), Russia still rejects
# the E3 counter-proposal on average (P about 0.41) but within MARGIN of 1/2, and in about a fifth of the draws of
# the assumptions it would accept it: the model reproduces Ushakov's sign, not with a robust margin.
WEAK = {"ushakov_e3_unconstructive"}


def test_no_revealed_response_is_near_certain_or_knife_edge(shipped):
    data, _ = shipped
    assert data["flagged"] == {}
    for r in data["responses"]:
        if r["sign"] == 0 or r["config"] == "":
            continue
        p = r["p_accept"]
        assert bt.NEAR_CERTAIN <= p <= 1 - bt.NEAR_CERTAIN, r  # sigma comparable to the utility gaps
        assert r["spread10"] < r["p_accept"] < r["spread90"]  # a spread over the assumptions, not a point
        if r["id"] in WEAK:  # on its side, but not by MARGIN nor in ON_SIDE of the draws: stated, not hidden
            assert 0 < r["sign"] * (p - 0.5) < MARGIN, r
            assert 0.5 < r["share_of_trials_on_its_side"] < ON_SIDE + 0.1, r
            continue
        assert r["sign"] * (p - 0.5) >= MARGIN, r
        assert r["share_of_trials_on_its_side"] >= ON_SIDE, r


def test_the_report_writes_its_table_figure_and_page(shipped):
    data, where = shipped
    with open(where / "tables" / "responses.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    with open(RESPONSES, newline="", encoding="utf-8") as handle:
        n_table = len(list(csv.DictReader(handle)))
    assert len(rows) == data["n_responses"] == n_table
    assert (where / "figures" / "responses.png").stat().st_size > 0 and (where / "report.html").is_file()
    unscored = [r for r in rows if not r["config"]]
    assert unscored and all(r["option"] == "geneva_framework" and r["note"].startswith("not scored") for r in unscored)
    assert all(int(r["n_trials"]) == int(TRIALS) for r in rows if r["config"])


def test_the_coding_before_the_recalibration_misses_ushakov(runner, tmp_path):
    """The check can fail: Russia's saliences and the no-deal state as shipped before issue 15 have Russia accept
    the counter-proposal (P about 0.9) where Ushakov called it completely unconstructive."""
    old = ("coalition.actors.russia.salience={territory: .25, force_cap: .10, weapons_limits: .07, foreign_troops: .12, "
           "guarantee_strength: .06, sanctions_relief: .10, frozen_assets: .05, nato_membership: .15, "
           "domestic_policy: .05, elections: .02, amnesty: .03}")
    res = _run(runner, tmp_path, OPTIONS[1], "-n", "1000", "--set", old,
               "--set", "coalition.no_deal.war_goes_on.position.foreign_troops=0")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["missed"] == ["ushakov_e3_unconstructive"]
    row = next(r for r in data["responses"] if r["id"] == "ushakov_e3_unconstructive")
    assert row["p_accept"] > 0.5 and row["matches"] == 0


def test_more_acceptance_noise_moves_p_accept_toward_one_half(runner, tmp_path):
    """P = logistic((U - R) / sigma): with the same draws, a larger sigma pulls every P(accept) toward 1/2."""
    p = {}
    for sigma in ("0.05", "0.2"):
        res = _run(runner, tmp_path, OPTIONS[0], "-n", "1000", "--set", f"coalition.sigma={sigma}", name=sigma)
        assert res.exit_code == 0, res.output
        p[sigma] = {r["id"]: r["p_accept"] for r in json.loads(res.stdout)["responses"] if r["config"]}
    for rid in p["0.05"]:
        assert abs(p["0.2"][rid] - 0.5) < abs(p["0.05"][rid] - 0.5), rid


def _one_error_line(res) -> str:
    assert res.exit_code == 2, (res.exit_code, res.output)
    assert "Traceback" not in res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("accord: error: "), res.stderr
    return lines[0]


@pytest.mark.parametrize("column, value, words", [
    ("actor", "kremlin", "unknown actor 'kremlin'"),
    ("option", "plan_29_points", "unknown option 'plan_29_points'"),
])
def test_a_response_naming_an_unknown_actor_or_option_is_an_error_naming_file_line_and_key(runner, tmp_path, column,
                                                                                           value, words):
    with open(RESPONSES, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    rows[3][column] = value  # line 5 of the file
    bad = tmp_path / "responses.csv"
    with open(bad, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    msg = _one_error_line(_run(runner, tmp_path, OPTIONS[0], "--responses", str(bad), "-n", "200"))
    assert "responses.csv:5: " in msg and f": {column}: " in msg and words in msg, msg


def test_a_config_without_a_coalition_or_two_configs_of_one_option_are_errors(runner, tmp_path):
    guarantee = str(ROOT / "configs" / "guarantees" / "plan_28_points.yaml")
    msg = _one_error_line(_run(runner, tmp_path, guarantee, "-n", "200"))
    assert "guarantees/plan_28_points.yaml" in msg and "computes no P(accept)" in msg, msg
    settlement = str(ROOT / "configs" / "plan_28_points.yaml")
    msg = _one_error_line(_run(runner, tmp_path, OPTIONS[0], settlement, "-n", "200", name="two"))
    assert "two configs give the option 'plan_28_points'" in msg and "CONFIG" in msg, msg
