"""`accord calibrate guarantees` on the record (scenarios/guarantee_record.py): rates with Wilson intervals,
the penalised fit with standard errors, grouped cross-validation, and what a config can use."""

import json
from pathlib import Path

import numpy as np
import pytest

import cli
from model import calibration as cal
from scenarios import guarantee_record as GR
from scenarios import reference as ref
from scenarios.config import load
from scenarios.engine import summarise

ROOT = Path(__file__).resolve().parent.parent
BF = str(ROOT / "configs" / "reference" / "alliances_berkemeier_fuhrmann_2018.csv")
LA = str(ROOT / "configs" / "reference" / "alliances_leeds_anac_2005.csv")
PLAN = str(ROOT / "configs" / "guarantees" / "plan_28_points.yaml")


def _calibrate(runner, tmp_path, *args):
    res = runner.invoke(cli.main, ["calibrate", "guarantees", *args, "--json", "--out", str(tmp_path / "c")])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout), res.stderr


def test_the_record_by_default_with_rates_fit_and_cross_validation(runner, tmp_path):
    data, text = _calibrate(runner, tmp_path, "--folds", "5")
    assert data["format"] == "berkemeier_fuhrmann_2018" and (data["n_cases"], data["n_honoured"]) == (102, 58)
    rates = {r["class"]: r for r in data["rates"]}
    post = rates["defence pacts 1945-2003"]
    assert (post["honoured"], post["n"]) == (4, 20)
    assert (post["ci95_low"], post["ci95_high"]) == pytest.approx(cal.rate(4, 20)[1:])
    assert set(data["coefficients"]) == {"intercept", *GR.CLASS_COVARIATES}
    assert all(c["se"] > 0 for c in data["coefficients"].values())
    # the fit reproduces the record's big fact in direction: later and multilateral commitments fare worse
    assert data["coefficients"]["post1945"]["coef"] < 0 and data["coefficients"]["multilateral"]["coef"] < 0
    cv = data["cross_validation"]
    assert cv["model"]["brier"] < cv["base_rate"]["brier"] and cv["model"]["n"] == 102
    assert "Reference-class rates" in text and "defence pacts 1945-2003" in text and "weights: calibrated" in text
    assert (tmp_path / "c" / "figures" / "rates.png").is_file()


def test_the_other_coding_changes_which_rows_are_cases(runner, tmp_path):
    data, _ = _calibrate(runner, tmp_path, BF, "--coding", "bf")
    assert (data["n_cases"], data["n_honoured"]) == (99, 57) and data["coding"] == "bf"


def test_leeds_anac_fits_institutionalisation_and_change_since_signature(runner, tmp_path):
    data, text = _calibrate(runner, tmp_path, LA, "--link", "probit")
    assert set(data["coefficients"]) == {"intercept", "post1945", "multilateral", "milinst", "formal", "chcap2d",
                                         "dinstch2"}
    # Leeds (2003): change in domestic institutions since signature predicts violation
    assert data["coefficients"]["dinstch2"]["coef"] < 0
    assert "codes no commitment types" in text and "Change since signature" in text


def test_the_record_snippet_it_prints_runs_as_a_config(runner, tmp_path):
    """`record: {table: ..., coding: ...}` from the calibrate output: the scenario refits that table on the class
    covariates it codes (Leeds & Anac: era and multilateral only)."""
    cfg = load(PLAN, [f"guarantee.record={{table: {LA}}}"])
    model = GR.record_model(LA)
    assert model.covariates == ("post1945", "multilateral")
    s = summarise(cfg, 1000, 1, "mc")
    assert 0 < s.estimate("p_honour.us").mean < 1


def test_one_outcome_only_cannot_be_fitted(runner, tmp_path):
    la = ref.read_alliances(LA)
    keep = np.flatnonzero(la.honoured == 1)
    lines = Path(LA).read_text().splitlines()
    one = tmp_path / "honoured.csv"
    one.write_text("\n".join([lines[0], *(lines[int(la.line[i]) - 1] for i in keep)]) + "\n")
    res = runner.invoke(cli.main, ["calibrate", "guarantees", str(one)])
    assert res.exit_code == 2 and "all 63 cases were honoured" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_coding_on_a_table_with_one_coding_is_a_one_line_error(runner, tmp_path):
    """Leeds & Anac code honour once (honor3): --coding llm|bf selects one of Berkemeier & Fuhrmann's two."""
    for coding in ("bf", "llm"):
        res = runner.invoke(cli.main, ["calibrate", "guarantees", LA, "--coding", coding])
        assert res.exit_code == 2 and len(res.stderr.strip().splitlines()) == 1, res.stderr
        assert "honor3" in res.stderr and "llm|bf" in res.stderr and "--coding" in res.stderr
    res = runner.invoke(cli.main, ["backtest", "guarantees", "--train", LA, "--folds", "3", "--coding", "bf"])
    assert res.exit_code == 2 and "does not apply" in res.stderr
    res = runner.invoke(cli.main, ["backtest", "guarantees", "--train", BF, "--test", LA, "--coding", "bf", "--json",
                                   "-q", "--out", str(tmp_path / "b")])
    assert res.exit_code == 0, res.output  # the coding applies to the training table


def test_class_values_are_averages_over_the_records_cases_never_read_off_an_empty_cell():
    """Leeds & Anac hold no invocation after 1945 without formal organisation and without change since signature;
    a class's P(honour) is the fit's mean over its own cases, so it cannot exceed the largest of their fitted
    values, and a class without cases has none."""
    report = GR.calibrate(LA)
    cases = ref.read_alliances(LA)
    fit_p = GR.fit_record(cases, GR.record_covariates(cases)).predict(GR.design(cases, GR.record_covariates(cases)))
    for c in report.data["classes"]:
        mask = (cases.era == c["era"]) & (cases.covariates["multilateral"] == float(c["multilateral"]))
        assert c["n"] == int(mask.sum()) and c["honoured"] == int(cases.honoured[mask].sum())
        assert c["p_honour"] == pytest.approx(float(fit_p[mask].mean()))
    post = cases.era == "1945-2003"
    assert not np.any(post & (cases.covariates["formal"] == 0) & (cases.covariates["chcap2d"] == 0)
                      & (cases.covariates["dinstch2"] == 0) & (cases.covariates["multilateral"] == 0))
    late_bilateral = next(c for c in report.data["classes"] if c["era"] == "1945-2003" and not c["multilateral"])
    assert late_bilateral["p_honour"] < 0.6  # the old table read 0.89 off the empty cell; the record has 2 of 8


def test_a_cell_the_training_cases_lack_takes_its_wider_classs_fitted_rate():
    cases = ref.read_alliances(BF)
    covs = GR.record_covariates(cases)
    x_train = GR.design(cases, covs)
    fit = GR.fit_record(cases, covs)
    budapest = np.zeros(len(covs))
    budapest[[covs.index("post1945"), covs.index("consul"), covs.index("multilateral")]] = 1.0
    p, (s,) = GR.predict_supported(fit, x_train, budapest[None, :])
    wider = (cases.era == "1945-2003") & (cases.covariates["multilateral"] == 1)
    assert s.extrapolated and s.level == "era x multilateral" and s.n_cell == 0
    assert np.array_equal(s.mask, wider)
    assert p[0] == pytest.approx(float(fit.predict(x_train[wider]).mean()))
    # a cell with cases is the fit itself
    p_in, (s_in,) = GR.predict_supported(fit, x_train, x_train[:1])
    assert not s_in.extrapolated and p_in[0] == pytest.approx(float(fit.predict(x_train[:1])[0]))
