"""Durability on the record (issue 14): the readers' coding rules, bad input as one-line exit-2 errors, the
time-split backtest, and the reference-class API the settlement uses."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest

import cli
from model import survival as sv
from scenarios import durability
from scenarios.config import ConfigError
from scenarios.reference import filter_spells, read_spells

ROOT = Path(__file__).resolve().parent.parent
UCDP = ROOT / "configs/reference/peace_agreements_ucdp_v22.1_1975_2011.csv"
COW = ROOT / "configs/reference/cow_interstate_wars_v4.0.csv"

COW_HEADER = ["WarNum", "WarName", "WarType", "ccode", "StateName", "Side", "StartMonth1", "StartDay1", "StartYear1",
              "EndMonth1", "EndDay1", "EndYear1", "StartMonth2", "StartDay2", "StartYear2", "EndMonth2", "EndDay2",
              "EndYear2", "TransFrom", "WhereFought", "Initiator", "Outcome", "TransTo", "BatDeath", "Version"]


def cow_row(war, ccode, side, start, end, outcome, phase2=None):
    s2, e2 = phase2 or ((-8, -8, -8), (-8, -8, -8))
    return [war, f"war {war}", 1, ccode, f"state {ccode}", side, start[1], start[2], start[0], end[1], end[2], end[0],
            s2[1], s2[2], s2[0], e2[1], e2[2], e2[0], -8, 1, 1, outcome, -8, 1000, 4]


def write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def ucdp_rows(path=UCDP):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def exit2_one_line(runner, args, *fragments):
    result = runner.invoke(cli.main, args)
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("accord: error: "), result.output
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert "Traceback" not in result.output
    return lines[0]


# ------------------------------------------------------------------------------------------- COW pairs


def test_cow_pairs_follow_the_stated_rules(tmp_path):
    rows = [
        # war 1: 100 (side 1) against 200 and 300 (side 2); 300 joined after 100 had left: no pair 100-300
        cow_row(1, 100, 1, (1900, 1, 1), (1900, 6, 30), 1),
        cow_row(1, 200, 2, (1900, 1, 1), (1900, 12, 31), 2),
        cow_row(1, 300, 2, (1900, 8, 1), (1900, 12, 31), 2),
        # war 2: 100 against 200 again: a recurrence of the pair 100-200, 20 years after their peace began
        cow_row(2, 100, 1, (1920, 7, 1), (1921, 1, 1), 3),
        cow_row(2, 200, 2, (1920, 7, 1), (1921, 1, 1), 3),
        # war 3: 100 and 200 on the same side against 400: no recurrence between 100 and 200
        cow_row(3, 100, 1, (1950, 1, 1), (1950, 12, 31), 1),
        cow_row(3, 200, 1, (1950, 1, 1), (1950, 12, 31), 1),
        cow_row(3, 400, 2, (1950, 1, 1), (1950, 12, 31), 2),
    ]
    s = read_spells(write_csv(tmp_path / "cow.csv", COW_HEADER, rows))
    spells = dict(zip(s.ids, zip(s.durations, s.events, s.covariates["decisive"], s.covariates["post1945"])))
    assert set(spells) == {"1:100-200", "2:100-200", "3:100-400", "3:200-400"}  # no 100-300, no 100-200 in war 3
    years, ended, decisive, post = spells["1:100-200"]
    # peace from 1900-07-01 (the day after 100 left) to 1920-07-01 (both in war 2)
    assert ended and years == pytest.approx(7305 / 365.25) and decisive == 1 and post == 0
    years, ended, decisive, _ = spells["2:100-200"]
    assert not ended and decisive == 0  # censored at the end of coverage; a compromise is not decisive
    assert years == pytest.approx((np.datetime64("2007-12-31") - np.datetime64("1921-01-02")).astype(int) / 365.25)
    assert spells["3:100-400"][3] == 1


def test_cow_shipped_file_pairs_and_recurrences():
    s = read_spells(COW)
    assert (s.n, int(s.events.sum())) == (376, 83)
    assert s.coverage_end.isoformat() == "2007-12-31"
    # World War I's Germany (255) - United States (2): peace from 1918, war again from December 1941
    i = list(s.ids).index("106:2-255")
    assert s.events[i] and 22.9 < s.durations[i] < 23.2


# ----------------------------------------------------------------------------------------------- UCDP


def test_ucdp_year_only_end_date_is_read_as_later_that_year_and_said():
    s = read_spells(UCDP)
    assert (s.n, int(s.events.sum())) == (303, 116)
    i = list(s.ids).index("1024")
    assert s.events[i] and s.durations[i] == pytest.approx(63 / 365.25)  # 2000-08-26 -> 2000-10-28
    assert any("paid 1024" in n and "year-only" in n for n in s.notes)


def test_no_recognised_columns_is_one_line_exit_2(runner, tmp_path):
    bad = write_csv(tmp_path / "bad.csv", ["name", "start", "finish"], [["a", "1990", "1995"]])
    exit2_one_line(runner, ["calibrate", "durability", str(bad)], "bad.csv:1", "no recognised duration and event")


def test_an_end_before_the_signature_is_one_line_exit_2_naming_row_and_column(runner, tmp_path):
    header, rows = ucdp_rows()
    col_end, col_ended = header.index("duration"), header.index("ended")
    rows[4][col_ended], rows[4][col_end] = "True", "1980-05-01"  # signed 1996-05-24
    path = write_csv(tmp_path / "ucdp.csv", header, rows)
    exit2_one_line(runner, ["calibrate", "durability", str(path)], "ucdp.csv:6", "duration", "before the signature")


def test_an_ended_agreement_without_an_end_date_is_exit_2(runner, tmp_path):
    header, rows = ucdp_rows()
    rows[9][header.index("ended")], rows[9][header.index("duration")] = "True", ""
    path = write_csv(tmp_path / "ucdp.csv", header, rows)
    exit2_one_line(runner, ["calibrate", "durability", str(path)], "ucdp.csv:11", "duration", "no end date")


@pytest.mark.parametrize("value, message", [("-2.5", "duration -2.5 is not allowed"), ("", "missing or not a number")])
def test_negative_or_missing_durations_are_exit_2(runner, tmp_path, value, message):
    rows = [[f"c{i}", 1.0 + i, i % 2] for i in range(10)]
    rows[3][1] = value
    path = write_csv(tmp_path / "spells.csv", ["id", "years", "event"], rows)
    exit2_one_line(runner, ["calibrate", "durability", str(path)], "spells.csv:5", "years", message)


def test_backtest_of_bad_tables_is_exit_2(runner, tmp_path):
    bad = write_csv(tmp_path / "bad.csv", ["x"], [["1"]])
    exit2_one_line(runner, ["backtest", "durability", "--train", str(UCDP), "--test", str(bad)], "bad.csv:1")
    exit2_one_line(runner, ["backtest", "durability", "--train", str(UCDP), "--test", str(COW)],
                   "give two tables of one kind")


# ------------------------------------------------------------------------------------- the time split


@pytest.fixture(scope="module")
def split(tmp_path_factory):
    header, rows = ucdp_rows()
    year = header.index("year")
    where = tmp_path_factory.mktemp("split")
    train = write_csv(where / "train_1975_1999.csv", header, [r for r in rows if int(r[year]) <= 1999])
    test = write_csv(where / "test_2000_2011.csv", header, [r for r in rows if int(r[year]) >= 2000])
    return train, test


def test_time_split_backtest_prints_its_scores(runner, split, tmp_path):
    train, test = split
    result = runner.invoke(cli.main, ["backtest", "durability", "--train", str(train), "--test", str(test),
                                      "--horizons", "1,2,5", "--out", str(tmp_path / "bt")])
    assert result.exit_code == 0, result.output
    assert "predicting" in result.output and "107 spells" in result.output
    assert "Brier 1 y" in result.output and "Kaplan-Meier" in result.output
    assert (tmp_path / "bt/figures/reliability_1y.png").is_file()
    for name in ("predictions", "scores", "reliability"):
        assert (tmp_path / f"bt/tables/{name}.csv").is_file()


def test_time_split_scores_on_agreements_the_model_never_saw(runner, split, tmp_path):
    train, test = split
    result = runner.invoke(cli.main, ["backtest", "durability", "--train", str(train), "--test", str(test),
                                      "--json", "--quiet", "--out", str(tmp_path / "bt")])
    data = json.loads(result.output)
    assert set(data["model"]) == {"concordance", "brier", "n"} and set(data["model"]["brier"]) == {"1", "2", "5"}
    assert data["model"]["n"] == data["kaplan_meier"]["n"] == 107
    # the provisions rank the 2000-2011 agreements better than chance (Harrell's C; 0.61 when written)
    assert data["model"]["concordance"] > 0.55
    # and the model is no worse than the training Kaplan-Meier curve at 2 and 5 years (scored out of sample)
    for h in ("2", "5"):
        assert data["model"]["brier"][h] <= data["kaplan_meier"]["brier"][h] + 1e-9
    # The test cohort was followed at least 10 years (signed by 2011, censored 2021-12-31): no censoring before
    # 5 years, so the IPCW Brier score is the plain mean squared error of the 0/1 status
    spells = read_spells(test)
    km = sv.kaplan_meier(read_spells(train).durations, read_spells(train).events)
    alive = (spells.durations > 5).astype(float)
    assert data["kaplan_meier"]["brier"]["5"] == pytest.approx(np.mean((alive - km.at([5])[0][0]) ** 2))


# ---------------------------------------------------------------------------- the settlement's API


def test_reference_model_is_fitted_once_per_process_and_cached():
    a = durability.reference_model("ucdp_peace_agreements")
    b = durability.reference_model("ucdp_peace_agreements", {})
    assert a is b
    assert a.covariates == ("full", "commission") and a.cov.shape == (len(a.coef), len(a.coef))
    assert np.all(np.linalg.eigvalsh(a.cov) > 0)


def test_reference_survival_of_a_class_is_its_kaplan_meier():
    out = durability.reference_survival("ucdp_peace_agreements", {"years": [1975, 1999]}, years=[1, 5])
    spells = filter_spells(read_spells(UCDP), {"years": [1975, 1999]})
    km = sv.kaplan_meier(spells.durations, spells.events)
    assert out["n"] == 196 and out["survival"] == pytest.approx(km.at([1, 5])[0].tolist())
    assert out["censored_at"] == "2021-12-31"
    assert all(lo <= s <= hi for s, lo, hi in zip(out["survival"], out["lower"], out["upper"]))


def test_reference_class_filters_reject_what_they_do_not_know():
    with pytest.raises(ConfigError, match="unknown filter 'era'"):
        durability.reference_model("ucdp_peace_agreements", {"era": "post1945"})
    with pytest.raises(ConfigError, match="unknown reference dataset"):
        durability.reference_model("ucdp", {})
    with pytest.raises(ConfigError, match="no case matches"):
        durability.reference_survival("cow_interstate_wars", {"years": [2050, 2060]})


def test_full_agreements_with_a_commission_last_longer_in_the_settlement_hazard():
    m = durability.reference_model("ucdp_peace_agreements")
    x = sv.provision_design(m, {"full_agreement": np.array([0.0, 1.0]), "implementation_commission":
                                np.array([0.0, 1.0])}, 2)
    h = sv.yearly_hazard(m, x, None, 5)
    assert np.all(h[1] < h[0])
    assert h[0, 0] > 0.2  # the record: about a quarter of bare agreements fail within the first year


# ------------------------------------------------------------------------------------------ calibrate


def test_calibrate_prints_the_record_with_intervals(runner, tmp_path):
    result = runner.invoke(cli.main, ["calibrate", "durability", str(UCDP), "--out", str(tmp_path / "cal")])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "303 peace agreements, 116 ended, 187 censored at 2021-12-31" in out
    assert "77.2% (72.1%-81.5%)" in out  # Kaplan-Meier at 1 year with its interval
    assert "Weibull shape rho" in out and "the hazard falls with time" in out
    assert "Cox check" in out and "paid 1024" in out
    assert (tmp_path / "cal/figures/durability.png").is_file()


@pytest.mark.slow
def test_calibrate_the_inter_state_record(runner, tmp_path):
    result = runner.invoke(cli.main, ["calibrate", "durability", str(COW), "--json", "--quiet",
                                      "--out", str(tmp_path / "cal")])
    data = json.loads(result.output)
    assert data["n"] == 376 and data["events"] == 83 and data["censored_at"] == "2007-12-31"
    assert data["covariates"] == ["decisive", "post1945"]


def test_split_year_is_the_same_time_split_as_two_files(runner, split, tmp_path):
    train, test = split
    files = runner.invoke(cli.main, ["backtest", "durability", "--train", str(train), "--test", str(test), "--json",
                                     "--quiet", "--out", str(tmp_path / "a")])
    one = runner.invoke(cli.main, ["backtest", "durability", "--train", str(UCDP), "--split-year", "2000", "--json",
                                   "--quiet", "--out", str(tmp_path / "b")])
    a, b = json.loads(files.output), json.loads(one.output)
    assert a["model"] == b["model"] and a["kaplan_meier"] == b["kaplan_meier"]
    exit2_one_line(runner, ["backtest", "durability", "--train", str(UCDP), "--split-year", "1950"], "--split-year",
                   "both sides")
