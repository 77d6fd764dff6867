"""`accord backtest` (scenarios/backtest.py) and its `guarantees` kind, end to end: the done-when scores on the
shipped record, the shared outputs, bad input, and a toy kind plugged into the registry."""

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import cli
from model import calibration as cal
from scenarios import backtest as bt
from scenarios import reference as ref
from scenarios.config import ConfigError

ROOT = Path(__file__).resolve().parent.parent
BF = str(ROOT / "configs" / "reference" / "alliances_berkemeier_fuhrmann_2018.csv")
LA = str(ROOT / "configs" / "reference" / "alliances_leeds_anac_2005.csv")


def _backtest(runner, *args):
    res = runner.invoke(cli.main, ["backtest", *args])
    return res


def _rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_grouped_five_fold_cross_validation_on_the_shipped_record_beats_the_base_rate(runner, tmp_path):
    """The issue's done-when: grouped 5-fold CV by war on Berkemeier & Fuhrmann (2018), coding llm; every
    fold's cases are predicted by a fit that saw none of their wars."""
    res = _backtest(runner, "guarantees", "--train", BF, "--folds", "5", "--json", "--out", str(tmp_path / "cv"))
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["model"]["n"] == out["base_rate"]["n"] == 102
    assert out["model"]["brier"] < out["base_rate"]["brier"]
    assert out["model"]["log_loss"] < out["base_rate"]["log_loss"]
    predictions = _rows(tmp_path / "cv" / "tables" / "predictions.csv")
    folds_of_war: dict[str, set] = {}
    for r in predictions:
        folds_of_war.setdefault(r["war"], set()).add(r["fold"])
    assert all(len(f) == 1 for f in folds_of_war.values())  # no war on both sides of a split
    assert "beats the base rate on Brier" in res.stderr  # words go to stderr with --json
    assert "fitted on the same training folds as the model" in res.stderr  # a fair comparison, said so


def test_cross_validation_beats_the_base_rate_whatever_the_fold_seed_and_coding():
    for coding in ("llm", "bf"):
        for seed in range(4):
            report = bt.run("guarantees", Path(BF), folds=5, seed=seed, options={"coding": coding})
            assert report.data["model"]["brier"] < report.data["base_rate"]["brier"], (coding, seed)


def test_train_on_one_published_format_and_test_on_the_other(runner, tmp_path):
    out_dir = tmp_path / "bt"
    res = _backtest(runner, "guarantees", "--train", BF, "--test", LA, "--out", str(out_dir), "--json", "-q")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    # the headline scores the cases from wars the training table does not hold; all 92 are scored apart
    assert out["headline_subset"] == "unseen wars"
    assert out["model"] == out["unseen_wars"]["model"] and out["model"]["n"] < 92
    for forecast in ("model", "base_rate"):
        assert {"brier", "log_loss", "auc", "n"} <= set(out[forecast]) and out["all_cases"][forecast]["n"] == 92
    # the base rate's Brier score has a closed form: ybar_test (1 - b)^2 + (1 - ybar_test) b^2
    b, ybar = 58 / 102, 63 / 92
    assert out["base_rate"]["rate"] == pytest.approx(b)
    assert out["all_cases"]["base_rate"]["brier"] == pytest.approx(ybar * (1 - b) ** 2 + (1 - ybar) * b**2)
    assert out["base_rate"]["auc"] == 0.5  # one forecast for every case: all pairs tie
    # only era and multilateral are coded in both tables
    assert out["fits"][0]["left_out"] == list(ref.COMMITMENT_TYPES)
    # the wars Leeds & Anac share with the training table are flagged, and the unseen ones scored apart
    predictions = _rows(out_dir / "tables" / "predictions.csv")
    assert {"case_id", "war", "observed", "predicted", "base_rate", "seen_group"} <= set(predictions[0])
    unseen = [r for r in predictions if r["seen_group"] == "0"]
    assert out["unseen_wars"]["model"]["n"] == len(unseen) > 0
    assert not any(r["war"] in ("cow106", "cow139") for r in unseen)  # the World Wars are in both tables
    scores = _rows(out_dir / "tables" / "scores.csv")
    assert {(r["forecast"], r["subset"]) for r in scores} == {
        ("model", "all"), ("base rate", "all"), ("model", "unseen wars"), ("base rate", "unseen wars")}
    assert (out_dir / "figures" / "reliability.png").stat().st_size > 10_000
    bins = _rows(out_dir / "tables" / "reliability.csv")
    assert sum(int(r["n"]) for r in bins) == len(unseen)  # the reliability diagram shows the headline cases


def test_scores_in_the_table_are_those_of_the_predictions(tmp_path):
    report = bt.run("guarantees", Path(LA), Path(BF), options={"coding": "bf"})
    rows = report.tables["predictions"].records()
    p = np.array([r["predicted"] for r in rows])
    y = np.array([r["observed"] for r in rows], dtype=float)
    unseen = np.array([r["seen_group"] == 0 for r in rows])
    assert report.data["all_cases"]["model"]["brier"] == pytest.approx(np.mean((p - y) ** 2))
    assert report.data["model"]["brier"] == pytest.approx(np.mean((p[unseen] - y[unseen]) ** 2))
    assert report.data["model"]["auc"] == pytest.approx(cal.auc_score(p[unseen], y[unseen]))
    assert len(rows) == 99  # coding bf: 99 invocations


def test_a_test_set_with_one_outcome_says_the_auc_is_undefined(runner, tmp_path):
    with open(LA, newline="") as handle:
        reader = csv.DictReader(handle)
        fields, rows = reader.fieldnames, [r for r in reader if r["honor3"] == "1.0"]
    honoured_only = tmp_path / "honoured_only.csv"
    with open(honoured_only, "w", newline="") as handle:
        w = csv.DictWriter(handle, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    res = _backtest(runner, "guarantees", "--train", BF, "--test", str(honoured_only), "--out", str(tmp_path / "o"),
                    "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["model"]["auc"] is None and "outcome 1" in out["model"]["auc_undefined"]
    assert out["model"]["brier"] is not None and out["all_cases"]["model"]["n"] == len(rows)
    assert "AUC undefined: all 63 cases have outcome 1" in res.stderr


@pytest.mark.parametrize("content, words", [
    ("year,outcome\n1914,1\n", "none of the recognised alliance formats"),
    (("warid,atopid,sample,multilateral,defense,offense,neutral,nonagg,consul,honorBF,violateBF\n"
     "4,1020,1,0,1,0,0,0,0,1,\n"), "missing column 'honorLLM'"),
    ("war,atopid,ccode1,milinst,honor3,formal,chcap2d,dinstch2,bilat\n", "no invocations"),
])
def test_bad_test_tables_exit_2_with_one_line(runner, tmp_path, content, words):
    bad = tmp_path / "bad.csv"
    bad.write_text(content)
    res = _backtest(runner, "guarantees", "--train", BF, "--test", str(bad), "--out", str(tmp_path / "o"))
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "bad.csv" in lines[0] and "Traceback" not in res.output
    assert not (tmp_path / "o").exists()


def test_test_and_folds_together_or_neither_is_a_usage_error(runner):
    assert _backtest(runner, "guarantees", "--train", BF, "--test", LA, "--folds", "5").exit_code == 2
    assert _backtest(runner, "guarantees", "--train", BF).exit_code == 2
    res = _backtest(runner, "guarantees", "--train", BF, "--folds", "40")
    assert res.exit_code == 2 and "come from 27 wars" in res.stderr  # 40 folds need 40 wars


def test_same_inputs_give_identical_predictions(tmp_path):
    a = bt.run("guarantees", Path(BF), folds=5, seed=3)
    b = bt.run("guarantees", Path(BF), folds=5, seed=3)
    assert a.tables["predictions"].to_csv() == b.tables["predictions"].to_csv()


# ------------------------------------------------------------------------------------------ a toy kind


@dataclass(frozen=True)
class _ToyRows:
    x: np.ndarray

    def subset(self, mask):
        return _ToyRows(self.x[mask])


class _ToyFit:
    def __init__(self, fit):
        self.fit = fit

    def predict(self, cases):
        return self.fit.predict(cases.payload.x[:, None])

    def describe(self):
        return "logit on x"

    def data(self):
        return {"coef": self.fit.coef.tolist()}


class _ToyKind:
    name, title, outcome_label, prediction_label = "toy", "a toy outcome", "won", "P(win)"

    def read(self, path, options):
        with open(path, newline="") as handle:
            rows = list(csv.DictReader(handle))
        if not rows:
            raise ConfigError("no rows", str(path))
        x = np.array([float(r["x"]) for r in rows])
        y = np.array([float(r["y"]) for r in rows])
        g = np.array([r["g"] for r in rows], dtype=object)
        return bt.Cases(str(path), f"{len(rows)} rows", np.array([f"c{i}" for i in range(len(rows))], dtype=object),
                        g, g, g, y, _ToyRows(x))

    def fit(self, train, test, options):
        return _ToyFit(cal.BinaryResponse().fit(train.payload.x[:, None], train.outcome, ["x"]))


def test_a_new_kind_plugs_into_the_registry_and_gets_the_shared_outputs(monkeypatch, tmp_path):
    """The extension point of scenarios/backtest.py: a kind supplies read and fit; scores, tables, the
    figure and the JSON shape come from the shared code."""
    monkeypatch.setitem(bt.KINDS, "toy", "tests.test_backtest:TOY")
    rng = np.random.default_rng(7)
    x = rng.normal(size=200)
    y = (rng.uniform(size=200) < 1 / (1 + np.exp(-2 * x))).astype(int)
    table = tmp_path / "toy.csv"
    table.write_text("x,y,g\n" + "".join(f"{a},{b},g{i % 20}\n" for i, (a, b) in enumerate(zip(x, y))))
    report = bt.run("toy", table, folds=4, seed=0)
    assert report.kind == "backtest-toy" and set(report.tables) == {"predictions", "scores", "reliability"}
    assert report.data["model"]["brier"] < report.data["base_rate"]["brier"]  # x carries real signal
    assert "reliability" in report.figures and "P(win)" in report.text


TOY = _ToyKind()
