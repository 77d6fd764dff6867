"""The battle record (CDB90) and its relations: reading and bad input, the constrained fits against independent
estimators, the record's published rates, held-out scores grouped by war, the coefficient draws, and the
calibrate / backtest commands end to end."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from scipy import special

import cli
from model import battles as MB
from model import calibration as cal
from scenarios.config import ConfigError
from scenarios.reference import read_cdb90

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "configs" / "reference" / "battles_cdb90.csv"


@pytest.fixture(scope="module")
def record():
    return read_cdb90(TABLE)


@pytest.fixture(scope="module")
def relations(record):
    return MB.fit_relations(record.battles)


def _rows():
    with open(TABLE, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def _write(path: Path, header, rows) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


# ------------------------------------------------------------------------------------------- reading


def test_the_shipped_table_reads_with_its_codebook_exclusions(record, relations):
    b = record.battles
    assert len(b) + record.excluded["strength_not_available"] == 495  # the rows of the shared file
    assert record.excluded["strength_not_available"] == 1  # Ardennes (ISQNO 657): STRA = STRD = -1
    assert np.all(b.attacker_troops > 0) and np.all(b.defender_troops > 0)
    c = relations.counts
    assert c["draws"] == int(np.sum(b.outcome == 0)) > 0 and c["unknown_outcome"] == int(np.sum(b.outcome == -9))
    assert c["decided"] == c["battles"] - c["draws"] - c["unknown_outcome"] - c["posture_unknown"]
    # a battle's duration: calendar days of its active periods; Nieuport (1600) was fought on one day
    assert b.duration_days[0] == 1 and np.nanmin(b.duration_days) >= 1


def _bad(tmp_path, column, value, row=0):
    header, rows = _rows()
    rows = [list(r) for r in rows[:5]]
    rows[row][header.index(column)] = value
    return _write(tmp_path / "bad.csv", header, rows)


@pytest.mark.parametrize("column, value, words", [
    ("STRA", "0", "strength '0'"),
    ("STRD", "-5", "strength '-5'"),
    ("STRA", "many", "strength 'many'"),
    ("WINA", "2", "expected 1 or -1 or 0 or -9"),
    ("POST1", "XX", "posture code 'XX'"),
    ("AEROA", "5", "9 unknown"),
])
def test_bad_values_name_the_line_and_column(tmp_path, column, value, words):
    path = _bad(tmp_path, column, value, row=2)
    with pytest.raises(ConfigError) as err:
        read_cdb90(path)
    assert err.value.line == 4 and err.value.key == column  # header line 1, third data row line 4
    assert words in err.value.message


def test_a_table_without_a_strength_column_names_it(tmp_path):
    header, rows = _rows()
    keep = [i for i, h in enumerate(header) if h != "STRD"]
    path = _write(tmp_path / "nostr.csv", [header[i] for i in keep], [[r[i] for i in keep] for r in rows[:3]])
    with pytest.raises(ConfigError) as err:
        read_cdb90(path)
    assert err.value.key == "STRD" and err.value.line == 1


def test_not_available_strengths_are_left_out_and_counted(tmp_path):
    header, rows = _rows()
    rows = [list(r) for r in rows[:6]]
    rows[1][header.index("STRA")] = "-1"
    rec = read_cdb90(_write(tmp_path / "na.csv", header, rows))
    assert len(rec.battles) == 5 and rec.excluded["strength_not_available"] == 1


@pytest.mark.parametrize("command", ["calibrate", "backtest"])
def test_bad_input_exits_2_with_one_line_naming_line_and_column(runner, tmp_path, command):
    path = _bad(tmp_path, "WINA", "7", row=1)
    args = (["calibrate", "battles", str(path)] if command == "calibrate"
            else ["backtest", "battles", "--train", str(TABLE), "--test", str(path)])
    res = runner.invoke(cli.main, args)
    assert res.exit_code == 2
    err = res.stderr.strip()
    assert len(err.splitlines()) == 1 and "bad.csv:3: WINA:" in err and "Traceback" not in res.output


# ------------------------------------------------------------------------------------------- the fits


def test_the_constrained_logit_is_the_ridge_logit_when_no_bound_binds(record):
    """Against model.calibration.fit_binary_response (BFGS, an independent implementation of the same
    penalised likelihood) on covariates whose signs the record agrees with: same estimates and s.e."""
    d = record.battles.take(record.battles.decided)
    x = MB.win_features(d.log_ratio, d.posture, d.air)[:, [0, 4]]  # log ratio, air
    y = (d.outcome == 1).astype(float)
    ours = MB.fit_constrained_logit(x, y, ("log_ratio", "air"), MB.WIN_BOUNDS, ridge=1.0)
    oracle = cal.fit_binary_response(x, y, ("log_ratio", "air"), link="logit", penalty="ridge", ridge=1.0)
    assert not ours.at_bound.any()
    np.testing.assert_allclose(ours.coef, oracle.coef, atol=1e-5)
    np.testing.assert_allclose(ours.se, oracle.se, rtol=1e-4)


def test_the_bounded_regression_is_closed_form_ridge_when_no_bound_binds(record):
    d = record.battles.take(record.battles.decided)
    rate = d.advance_km_per_day
    m = (d.outcome == 1) & (rate > 0) & np.isfinite(d.log_density)
    x, y = d.log_density[m][:, None], np.log(rate[m])
    fit = MB.fit_constrained_linear(x, y, ("log_density",), MB.ADVANCE_BOUNDS, ridge=1.0)
    design = np.column_stack([np.ones(len(y)), x])
    ols = np.linalg.lstsq(design, y, rcond=None)[0]
    s2 = np.sum((y - design @ ols) ** 2) / (len(y) - 2)
    closed = np.linalg.solve(design.T @ design + np.diag([0.0, s2]), design.T @ y)
    np.testing.assert_allclose(fit.coef, closed, rtol=1e-8)


def test_the_signs_theory_implies_hold_and_a_binding_one_is_reported(relations):
    w = dict(zip(relations.win.feature_names, relations.win.coef))
    assert w["log_ratio"] > 0 and w["air"] >= 0 and w["prepared"] <= 0 and w["fortified"] <= 0
    # the record has attackers win more often against prepared than hasty defences at equal odds: the
    # constrained estimate sits at its bound, and says so
    assert w["prepared"] == 0 and relations.win.at_bound[relations.win.feature_names.index("prepared")]
    a = dict(zip(relations.advance.feature_names, relations.advance.coef))
    assert a["log_density"] < 0 and relations.loss_mean <= 0


def test_the_record_reproduces_the_published_weak_link_between_ratio_and_outcome(record):
    """Helmbold (1990), Dupuy (1987), as the shared data README and FACTS.md summarise CDB90: the attacker
    wins about 65% of decided battles, about half below 0.8:1 and about three in four above 3:1. The shipped
    subset's rates (Wilson 95% intervals) contain those values."""
    rates = MB.binned_win_rates(record.battles)
    j = rates.postures.index("all")
    low, high = 0, len(rates.bands) - 1
    assert rates.bands[low] == (0.0, 0.8) and rates.bands[high][0] == 3.0
    assert rates.ci_low[low, j] <= 0.5 <= rates.ci_high[low, j]
    assert rates.ci_low[high, j] <= 0.75 <= rates.ci_high[high, j]
    overall = rates.wins[:, j].sum() / rates.count[:, j].sum()
    assert overall == pytest.approx(0.65, abs=0.03)


def test_the_relations_beat_the_base_rate_on_wars_they_were_not_fitted_to(record):
    """Five folds grouped by war (no war on both sides of a split): out-of-fold predictions of who wins score
    better than each training fold's base rate, and the density predicts a won battle's pace better than the
    training mean."""
    p, y = MB.cross_validated_p_win(record.battles, k=5)
    base, _ = MB.cross_validated_p_win(record.battles, k=5, features=())
    assert cal.log_loss(p, y) < cal.log_loss(base, y) - 0.01
    assert cal.brier_score(p, y) < cal.brier_score(base, y)
    assert cal.auc_score(p, y) > 0.58
    pred, obs = MB.cross_validated_log_advance(record.battles, k=5)
    mean, _ = MB.cross_validated_log_advance(record.battles, k=5, with_density=False)
    assert np.mean((pred - obs) ** 2) < np.mean((mean - obs) ** 2)


def test_the_posture_multiplier_is_the_force_ratio_it_offsets(relations):
    """M = exp(-b / b_ratio): against a fortified defence at ratio r the attacker has the odds it has against a
    hasty one at r / M; the square-law reading of the same posture is m = M^2 (parity at A/D = sqrt(m))."""
    c = relations.coefficients()
    m = relations.defence_multiplier()["fortified"]
    r = np.array([0.5, 1.0, 3.0])
    np.testing.assert_allclose(MB.p_attacker_wins(c, np.log(r), MB.FORTIFIED),
                               MB.p_attacker_wins(c, np.log(r / m), MB.HASTY), rtol=1e-12)
    assert m > 1


def test_coefficient_draws_follow_the_fit_and_respect_the_bounds(relations):
    z = np.random.default_rng(5).standard_normal((20_000, MB.N_CASE_COEFFICIENTS))
    c = relations.coefficients(z)
    draws = np.column_stack([getattr(c, name) for name in MB.CASE_COEFFICIENTS])
    lo, hi = relations.case_bounds()
    assert np.all(draws >= lo) and np.all(draws <= hi)
    est, cov = relations.case_estimate(), relations.case_covariance()
    free = [i for i, name in enumerate(MB.CASE_COEFFICIENTS)
            if name in ("win_intercept", "win_log_ratio", "win_air", "advance_intercept")]
    sd = np.sqrt(np.diag(cov)[free])
    assert np.all(np.abs(draws[:, free].mean(axis=0) - est[free]) < 4 * sd / np.sqrt(len(z)))
    # sample covariances within 4 of their standard errors, sqrt((v_i v_j + c_ij^2) / n)
    c_hat, c_true = np.cov(draws[:, free].T), cov[np.ix_(free, free)]
    se = np.sqrt((np.outer(sd**2, sd**2) + c_true**2) / len(z))
    assert np.all(np.abs(c_hat - c_true) < 4 * se)
    # a coefficient estimated at its bound: half of its sampling distribution sits at the bound
    at = MB.CASE_COEFFICIENTS.index("win_prepared")
    assert np.mean(draws[:, at] == 0.0) == pytest.approx(0.5, abs=0.02)
    # the same z, the same coefficients
    again = relations.coefficients(z)
    np.testing.assert_array_equal(again.win_log_ratio, c.win_log_ratio)


def test_advance_moments_are_the_log_normal_ones(relations):
    c = relations.coefficients()
    n = np.log(np.array([0.5, 2.0]))
    m1, m2 = MB.advance_moments_if_won(c, n)
    mu = c.advance_intercept + c.advance_log_density * n
    v = np.exp(mu + c.advance_sd * np.random.default_rng(0).standard_normal((400_000, 1)))
    np.testing.assert_allclose(m1 / c.share_advancing, v.mean(axis=0), rtol=0.01)
    np.testing.assert_allclose(m2 / c.share_advancing, (v**2).mean(axis=0), rtol=0.05)
    assert special.expit(0.0) == 0.5  # the logit's link, used by p_attacker_wins


# ------------------------------------------------------------------------------------------- commands


def test_calibrate_battles_prints_rates_fit_and_held_out_scores(runner, tmp_path):
    res = runner.invoke(cli.main, ["calibrate", "battles", "--out", str(tmp_path / "c"), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["counts"]["draws"] == 32 and data["counts"]["unknown_outcome"] == 2
    assert data["win"]["log_ratio"]["coef"] > 0 and data["win"]["log_ratio"]["se"] > 0
    assert data["defence_multiplier"]["fortified"]["square_law"] == pytest.approx(
        data["defence_multiplier"]["fortified"]["strength"] ** 2)
    out = tmp_path / "c"
    for name in ("tables/win_rates.csv", "tables/coefficients.csv", "tables/cross_validation.csv",
                 "figures/battles.png", "report.md"):
        assert (out / name).is_file(), name
    text = (out / "report.md").read_text()
    assert "32 draws, 2 unknown outcomes" in text and "Wilson" in text and "grouped by war" in text


def test_backtest_battles_on_a_split_by_war_scores_like_every_kind(runner, tmp_path):
    header, rows = _rows()
    war = MB.war_keys([r[header.index("WAR")] for r in rows])  # one war whatever its theatre label
    fold = cal.grouped_folds(war, 4, seed=1)
    a = _write(tmp_path / "A.csv", header, [r for r, f in zip(rows, fold) if f != 0])
    b = _write(tmp_path / "B.csv", header, [r for r, f in zip(rows, fold) if f == 0])
    res = runner.invoke(cli.main, ["backtest", "battles", "--train", str(a), "--test", str(b), "--json",
                                   "--out", str(tmp_path / "bt")])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert {"model", "base_rate", "difference", "kind", "mode", "fits"} <= set(data)
    assert data["kind"] == "battles" and data["mode"] == "test"
    assert set(data["model"]) >= {"brier", "log_loss", "auc", "n"} and "rate" in data["base_rate"]
    # no war on both sides of this split: every test battle is from an unseen war, and the relation the war
    # model reads beats the training table's base rate on them
    assert "unseen_wars" not in data
    assert data["model"]["log_loss"] < data["base_rate"]["log_loss"]
    for name in ("predictions", "scores", "reliability"):
        assert (tmp_path / "bt" / "tables" / f"{name}.csv").is_file()
    assert (tmp_path / "bt" / "figures" / "reliability.png").is_file()


def test_war_keys_group_one_war_whatever_its_theatre_label_or_spelling():
    """Grouped cross-validation keeps a war whole: CDB90's theatre labels of the world wars and variant
    spellings map to one key; distinct wars (a year outside parentheses) stay apart."""
    keys = MB.war_keys(["WORLD WAR II (ITALY 1944)", "World War II (Eastern Front)", "WORLD  WAR II",
                        "THE SEVEN YEAR'S WAR", "Seven Year's War", "ARAB-ISRAELI WAR, 1967 (SIX-DAY WAR)",
                        "ARAB-ISRAELI WAR, 1973 (OCTOBER WAR)"])
    assert len(set(keys[:3])) == 1 and keys[3] == keys[4]
    assert keys[5] != keys[6]
    b = read_cdb90(TABLE).battles
    assert len(set(b.war)) == 60 and len(set(MB.war_keys(b.war))) == 47  # WWI's 8 labels and WWII's 7 become 2
