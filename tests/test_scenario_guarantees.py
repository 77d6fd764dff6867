"""The guarantees scenario end to end: shipped configs through the CLI, the references, calibration."""

import csv
import json
import textwrap
from pathlib import Path

import numpy as np
import pytest

import cli
from scenarios import guarantee_record as GR
from scenarios import guarantees as G
from scenarios.config import ConfigError, load
from scenarios.engine import summarise

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "configs" / "guarantees" / "plan_28_points.yaml"
COUNTER = ROOT / "configs" / "guarantees" / "counterproposal.yaml"
BUDAPEST = ROOT / "configs" / "reference" / "budapest_1994.yaml"
ARTICLE5 = ROOT / "configs" / "reference" / "nato_article5.yaml"


def _run(runner, config, out, *extra):
    res = runner.invoke(cli.main, ["run", str(config), "-n", "2000", "--out", str(out), "-q", *extra])
    assert res.exit_code == 0, res.output
    return out


def _rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("config", [PLAN, COUNTER])
def test_shipped_configs_write_tables_figures_and_a_quotable_summary(runner, tmp_path, config):
    out = _run(runner, config, tmp_path / "r")
    for name in ("tables/credibility.csv", "tables/contributions.csv", "figures/credibility.png",
                 "figures/deterrence.png", "summary.md"):
        assert (out / name).is_file(), name
    cfg = load(config)
    names = {g.name for g in cfg.model.guarantees}
    rows = [r for r in _rows(out / "tables" / "credibility.csv") if r["kind"] == "config"]
    assert {r["guarantor"] for r in rows if r["measure"] == "p_honour"} == names
    for r in rows:
        assert 0 <= float(r["q05"]) <= float(r["q50"]) <= float(r["q95"]) <= 1
        assert 0 <= float(r["mean"]) <= 1 and float(r["se"]) >= 0 and int(r["n_trials"]) == 2000
        assert 0 <= float(r["p_deterred"]) <= 1
    by = {r["measure"]: float(r["mean"]) for r in rows if r["guarantor"] == "(all)"}
    best = max(float(r["mean"]) for r in rows if r["measure"] == "p_honour")
    assert by["p_any"] >= best >= by["p_all"]
    assert by["q_eff"] <= by["expected_response"]
    summary = (out / "summary.md").read_text()
    assert "2,000 trials" in summary and "95% CI" in summary and "credibility q =" in summary


def test_same_seed_gives_identical_tables(runner, tmp_path):
    a = _run(runner, PLAN, tmp_path / "a")
    b = _run(runner, PLAN, tmp_path / "b")
    for name in ("credibility.csv", "contributions.csv"):
        assert (a / "tables" / name).read_text() == (b / "tables" / name).read_text()


def test_contributions_sum_to_the_probit_index():
    cfg = load(PLAN)
    s = summarise(cfg, 500, 1, "mc")
    tables, _ = G.tables_figures(cfg, s)
    for r in tables["contributions"].records():
        assert sum(r[t] for t in G.TERMS) == pytest.approx(r["index_z"], abs=1e-9)


def test_budapest_far_less_credible_than_article5_and_the_terms_say_why(runner, tmp_path):
    """Budapest is a consultation commitment (UNSC action, consultations): honouring it costs diplomacy, not
    war, so its cost term is the higher of the two, yet it is far less credible than a ratified treaty with a
    trigger and troops on the ground; and honouring it adds no force (p_g = p), so it does not deter."""
    budapest = _rows(_run(runner, BUDAPEST, tmp_path / "b") / "tables" / "contributions.csv")
    article5 = _rows(_run(runner, ARTICLE5, tmp_path / "a") / "tables" / "contributions.csv")
    bud = next(r for r in budapest if r["kind"] == "config" and r["guarantor"] == "us")
    art = next(r for r in article5 if r["kind"] == "config" and r["guarantor"] == "us")
    assert float(bud["p_honour_mean"]) < 0.5 * float(art["p_honour_mean"])
    gap = {t: float(art[t]) - float(bud[t]) for t in (*G.TERMS, "index_z")}
    assert gap["cost"] < 0  # a consultation commitment is cheaper to honour than a war
    commitment = gap["audience_binding"] + gap["tripwire"] + gap["automatic"]
    assert commitment > 0.5 * gap["index_z"] and gap["tripwire"] > 0
    cred = {r["guarantee"]: r for r in _rows(tmp_path / "a" / "tables" / "credibility.csv") if r["measure"] == "q_eff"}
    assert float(cred["Budapest Memorandum 1994"]["mean"]) < 0.5 * float(cred["NATO Article 5 with tripwire forces"]["mean"])
    assert float(cred["Budapest Memorandum 1994"]["p_deterred"]) < 0.05
    assert float(cred["NATO Article 5 with tripwire forces"]["p_deterred"]) > 0.5


def test_the_record_alone_the_mechanism_alone_and_the_combination_side_by_side(runner, tmp_path):
    """Article 5: the record's class (multilateral defence pacts after 1945) alone is low, the hand-set mechanism
    alone is Phi(2.65) = 0.996, and the combination lies between; the summary explains the selection effect."""
    from scipy import special

    run = _run(runner, ARTICLE5, tmp_path / "a")
    views = {(r["guarantee"], r["guarantor"], r["view"]): float(r["mean"]) for r in _rows(run / "tables" / "views.csv")}
    key = "NATO Article 5 with tripwire forces"
    record, mechanism, combined = (views[(key, "us", v)] for v in ("p_record", "p_mechanism", "p_honour"))
    assert mechanism == pytest.approx(special.ndtr(2.65), abs=1e-9)
    assert record < combined < mechanism
    summary = (run / "summary.md").read_text()
    assert "record class alone" in summary and "selection effect" in summary and "Smith 1995" in summary


def test_the_hand_set_mechanism_model_is_still_there_for_comparison(tmp_path):
    """weights: default is the mechanism alone, features not centred: Article 5's US guarantee (stake 1.5, cost
    1.5, binding 0.9, tripwire 1, automatic 0.5, all fixed) has z = 1.5 + 1 x 0.9 + 1.5 x 1 + 0.5 x 0.5 - 1.5
    = 2.65, P(honour) = Phi(2.65) = 0.996, the number the issue quotes."""
    from scipy import special

    cfg = load(ARTICLE5, ["guarantee.weights=default"])
    s = summarise(cfg, 500, 1, "mc")
    assert s.estimate("p_honour.us").mean == pytest.approx(special.ndtr(2.65), abs=1e-12)
    assert round(special.ndtr(2.65), 3) == 0.996


def _at_the_reference_profile(tmp_path, extra=""):
    """A one-guarantor config coded exactly as the record's typical commitment (no shifts)."""
    path = tmp_path / "typical.yaml"
    path.write_text(textwrap.dedent(f"""\
        scenario: guarantees
        run: {{trials: 20000, seed: 3}}
        guarantee: {{weights: calibrated, era: "1945-2003"{extra}}}
        guarantees:
          - {{name: ally, stake: 1, cost: 1.5, binding: 0.9, tripwire: 0.1, automatic: 0.5, commitment: defense,
              multilateral: 1}}
        challenger: {{p_win: 0.5, p_win_guaranteed: 0.2, cost_of_war: 0.2, punishment: 1}}
        """))
    return load(path)


def test_calibrated_p_honour_of_the_typical_commitment_is_the_record_fit(tmp_path):
    """With every feature at the record's typical value the shifts vanish: P(honour) = Phi(eta) with eta the
    record fit's index of the class (coefficients at their estimate when the draws are fixed at 0), and with
    the coefficients drawn, E[Phi(eta)] = Phi(eta_hat / sqrt(1 + x' V x)) for eta ~ N(eta_hat, x' V x)."""
    from scipy import special

    cfg = _at_the_reference_profile(tmp_path)
    point = _at_the_reference_profile(tmp_path, ", record: {draws: {" + ", ".join(
        f"{k}: 0" for k in G.RecordDraws.model_fields) + "}}")
    model = GR.record_model(GR.RECORD_TABLE, "llm")
    x = model.class_features("1945-2003", ("defense",), np.ones(1))[0]
    eta_hat = float(model.fit.linear_predictor(x[None, :])[0])
    variance = float(np.r_[1.0, x] @ model.fit.covariance @ np.r_[1.0, x])
    s_point = summarise(point, 2000, 1, "mc")
    assert s_point.estimate("p_honour.ally").mean == pytest.approx(special.ndtr(eta_hat), abs=1e-12)
    s = summarise(cfg, 20000, 1, "mc")
    e = s.estimate("p_honour.ally")
    assert e.mean == pytest.approx(special.ndtr(eta_hat / np.sqrt(1 + variance)), abs=4 * e.se)
    # the class the report sets beside it is the same cell (defence only, multilateral, 1945-2003), counted here
    c = G.matched_classes(cfg.model.guarantee, cfg.model.guarantees)["ally"]
    assert c.label == "defence pacts only, multilateral, 1945-2003"
    assert (c.honoured, c.n) == _count(post1945=1, multilateral=1, defense=1, offense=0, neutral=0, nonagg=0,
                                       consul=0)


def test_the_record_makes_a_pre_1945_commitment_more_credible(tmp_path):
    """Berkemeier & Fuhrmann (2018): 66% of invoked commitments honoured before 1945, 22% after; the calibrated
    model carries the direction into the same guarantee matched to either era (shrunk by the ridge penalty and
    shared with the type and multilateral terms, so by less than the raw rates differ)."""
    late = _at_the_reference_profile(tmp_path)
    early = load(late.path, ["guarantee.era=1816-1944"])
    p_late = summarise(late, 4000, 1, "mc").estimate("p_honour.ally")
    p_early = summarise(early, 4000, 1, "mc").estimate("p_honour.ally")
    assert p_early.mean - p_late.mean > 4 * np.hypot(p_early.se, p_late.se)


def test_the_credibility_table_sets_each_guarantor_beside_its_reference_class(runner, tmp_path):
    rows = _rows(_run(runner, ARTICLE5, tmp_path / "a") / "tables" / "credibility.csv")
    us = next(r for r in rows if r["kind"] == "config" and r["guarantor"] == "us")
    # Article 5's cell: defence + consultation, multilateral, after 1945 (the cell its record index is read from)
    assert us["reference_class"] == "defence + consultation pacts, multilateral, 1945-2003"
    k, n = _count(post1945=1, multilateral=1, defense=1, offense=0, neutral=0, nonagg=0, consul=1)
    assert (int(us["class_honoured"]), int(us["class_n"])) == (k, n) and n > 0
    # Budapest's cell (consultation only, multilateral, after 1945) has no invocation in the record (a
    # consultation-only pact promises no fighting): its index and its class are the wider era x multilateral one
    budapest = next(r for r in rows if r["guarantee"] == "Budapest Memorandum 1994" and r["guarantor"] == "us")
    assert _count(post1945=1, multilateral=1, defense=0, offense=0, neutral=0, nonagg=0, consul=1)[1] == 0
    assert budapest["reference_class"].startswith("all commitments, multilateral, 1945-2003 (the record has no case "
                                                  "of consultation pacts only")
    assert (int(budapest["class_honoured"]), int(budapest["class_n"])) == _count(post1945=1, multilateral=1)
    summary = (tmp_path / "a" / "summary.md").read_text()
    assert f"defence + consultation pacts, multilateral, 1945-2003: {k} of {n} honoured" in summary
    assert "Credibility decay" in summary


def _count(**cell: int) -> tuple[int, int]:
    """Honoured and invoked commitments of a cell of the shipped Berkemeier & Fuhrmann file, counted here from
    the CSV: an invocation is a row coded honorLLM = 1 or violateLLM = 1 (Leeds, Long & Mitchell's rules; the
    other rows made no promise that war called on); post1945 = 1 - sample; blank cells are 0."""
    import csv

    k = n = 0
    with open(GR.RECORD_TABLE, newline="") as handle:
        for row in csv.DictReader(handle):
            num = {c: float(row[c] or 0) for c in ("honorLLM", "violateLLM", "sample", "multilateral",
                                                  "defense", "offense", "neutral", "nonagg", "consul")}
            num["post1945"] = 1 - num["sample"]
            if (num["honorLLM"] or num["violateLLM"]) and all(num[c] == v for c, v in cell.items()):
                n += 1
                k += int(num["honorLLM"])
    return k, n


@pytest.mark.parametrize("setting, key, words", [
    ("guarantees.us.commitment=alliance", "guarantees.0.commitment", "defense"),
    ("guarantee.record.table=missing.csv", "guarantee.record", "no such file"),
    ("guarantee.record.table=configs/reference/guarantees.csv", "guarantee.record", "published alliance table"),
])
def test_bad_calibration_settings_are_one_line_config_errors(runner, setting, key, words):
    res = runner.invoke(cli.main, ["validate", str(ARTICLE5), "--set", setting])
    assert res.exit_code == 2 and words in res.stderr and len(res.stderr.strip().splitlines()) == 1, res.stderr


def test_set_addresses_a_guarantor_by_name_and_more_binding_raises_its_credibility(runner, tmp_path):
    low = _rows(_run(runner, PLAN, tmp_path / "lo", "--set", "guarantees.us.binding=0.1") / "tables" / "credibility.csv")
    high = _rows(_run(runner, PLAN, tmp_path / "hi", "--set", "guarantees.us.binding=0.9") / "tables" / "credibility.csv")

    def us(rows):
        return float(next(r["mean"] for r in rows if r["kind"] == "config" and r["guarantor"] == "us"))
    assert us(high) > us(low)


@pytest.mark.parametrize("weights", ["fitted", "{audience: 0.3, tau: {dist: uniform, low: 0.5, high: 3}}"])
def test_a_config_can_opt_into_fitted_or_explicit_weights(runner, tmp_path, weights):
    out = _run(runner, PLAN, tmp_path / "w", "--set", f"guarantee.weights={weights}")
    rows = _rows(out / "tables" / "contributions.csv")
    expected = "fitted" if weights == "fitted" else "explicit"
    assert all(r["weights"].startswith(expected) for r in rows)  # references use the config's weights too
    if weights == "fitted":
        fitted = G.fitted_weights()
        us = next(r for r in rows if r["kind"] == "config" and r["guarantor"] == "us")
        assert float(us["baseline"]) == pytest.approx(fitted["baseline"])


def test_duplicate_guarantor_names_are_a_config_error(tmp_path, runner):
    bad = tmp_path / "dup.yaml"
    bad.write_text(textwrap.dedent("""\
        scenario: guarantees
        guarantees:
          - {name: us, stake: 1, cost: 1, binding: 0.5}
          - {name: us, stake: 1, cost: 1, binding: 0.5}
        challenger: {p_win: 0.5, p_win_guaranteed: 0.1, cost_of_war: 0.2, punishment: 1}
        """))
    res = runner.invoke(cli.main, ["validate", str(bad)])
    assert res.exit_code == 2 and "unique" in res.stderr


def test_calibrate_guarantees_on_accords_table_reports_coefficients_and_json_parses(runner, tmp_path):
    table = str(G.REFERENCE_TABLE)
    res = runner.invoke(cli.main, ["calibrate", "guarantees", table, "--json", "--out", str(tmp_path / "c")])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["n_cases"] >= 12 and set(data["coefficients"]) == {"intercept", *G.FEATURES}
    assert all(c["se"] is not None and c["se"] > 0 for c in data["coefficients"].values())
    assert data["auc_in_sample"] > 0.8 and data["separation"] in ("none", "quasi-complete", "complete")
    assert (tmp_path / "c" / "tables" / "coefficients.csv").is_file()
    text = runner.invoke(cli.main, ["calibrate", "guarantees", table, "--link", "probit", "--out", str(tmp_path / "p")])
    assert text.exit_code == 0 and "AUC" in text.stdout and "weights: {" in text.stdout


def test_probit_ridge_calibration_equals_the_fitted_weights():
    """One link and one prior: calibrate's defaults (probit, ridge 1.6^2) are `weights: fitted`; a logit run prints
    the same weights, refitted as the probit."""
    report = GR.calibrate(G.REFERENCE_TABLE)
    assert report.data["link"] == "probit" and report.data["ridge"] == pytest.approx(1.6**2)
    assert report.data["model_weights"] == pytest.approx(G.fitted_weights())
    assert GR.calibrate(G.REFERENCE_TABLE, link="logit").data["model_weights"] == pytest.approx(G.fitted_weights())


@pytest.mark.parametrize("edit, line, column", [
    (lambda rows: rows[3].__setitem__("binding", "high"), 5, "binding"),
    (lambda rows: rows[0].__setitem__("stake", "3"), 2, "stake"),
    (lambda rows: rows[7].__setitem__("honoured", "yes"), 9, "honoured"),
])
def test_bad_reference_table_names_file_line_and_column(tmp_path, runner, edit, line, column):
    with open(G.REFERENCE_TABLE, newline="") as handle:
        reader = csv.DictReader(handle)
        fields, rows = reader.fieldnames, list(reader)
    edit(rows)
    bad = tmp_path / "bad.csv"
    with open(bad, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(ConfigError) as info:
        GR.calibrate(bad)
    assert (info.value.file, info.value.line, info.value.key) == (str(bad), line, column)
    res = runner.invoke(cli.main, ["calibrate", "guarantees", str(bad)])
    assert res.exit_code == 2 and f"bad.csv:{line}: {column}:" in res.stderr


def test_missing_column_is_named(tmp_path):
    bad = tmp_path / "short.csv"
    bad.write_text("case_id,stake,cost,binding,tripwire,honoured\na,1,1,0.5,0,1\n")
    with pytest.raises(ConfigError, match="missing column 'automatic'"):
        GR.calibrate(bad)
