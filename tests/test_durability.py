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


def cow_row(war, ccode, side, start, end, outcome, phase2=None, deaths=1000):
    s2, e2 = phase2 or ((-8, -8, -8), (-8, -8, -8))
    return [war, f"war {war}", 1, ccode, f"state {ccode}", side, start[1], start[2], start[0], end[1], end[2], end[0],
            s2[1], s2[2], s2[0], e2[1], e2[2], e2[0], -8, 1, 1, outcome, -8, deaths, 4]


def cow_spells(tmp_path, rows):
    s = read_spells(write_csv(tmp_path / "cow.csv", COW_HEADER, rows))
    return s, dict(zip(s.ids, zip(s.durations, s.events)))


def days(a, b):
    return (np.datetime64(b) - np.datetime64(a)).astype(int) / 365.25


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


def test_cow_pairs_are_principal_belligerents_by_a_tenth_of_the_sides_largest_battle_deaths(tmp_path):
    """Fortna (2004, Data Notes, note 1): principal belligerents contributed at least a tenth of the largest
    contingent; with battle deaths for troops, per side. 100 (10,000 deaths) and 101 (999: below 1,000) against
    200 (3,000), 201 (300: exactly a tenth of 3,000, kept) and 202 (deaths unknown, -9: not principal)."""
    rows = [cow_row(1, 100, 1, (1900, 1, 1), (1900, 12, 31), 1, deaths=10_000),
            cow_row(1, 101, 1, (1900, 1, 1), (1900, 12, 31), 1, deaths=999),
            cow_row(1, 200, 2, (1900, 1, 1), (1900, 12, 31), 2, deaths=3000),
            cow_row(1, 201, 2, (1900, 1, 1), (1900, 12, 31), 2, deaths=300),
            cow_row(1, 202, 2, (1900, 1, 1), (1900, 12, 31), 2, deaths=-9),
            # a side whose every state has unknown deaths: the whole side is principal
            cow_row(2, 300, 1, (1910, 1, 1), (1910, 6, 30), 1, deaths=500),
            cow_row(2, 400, 2, (1910, 1, 1), (1910, 6, 30), 2, deaths=-9)]
    s, spells = cow_spells(tmp_path, rows)
    assert set(spells) == {"1:100-200", "1:100-201", "2:300-400"}
    assert any("202" in n and "unknown" in n for n in s.notes)


def test_a_state_on_both_sides_of_one_war_keeps_the_side_it_entered_on(tmp_path):
    """Vichy France, Italy 1943: 500 fights on side 1 (1940-1941), then on side 2 (1942-1943). Its later
    participation is dropped: no pair 500-600 (its former ally), and its peace with 700 starts after 1941."""
    rows = [cow_row(1, 500, 1, (1940, 1, 1), (1941, 6, 30), 2),
            cow_row(1, 500, 2, (1942, 1, 1), (1943, 6, 30), 2),
            cow_row(1, 600, 1, (1940, 1, 1), (1944, 12, 31), 1),
            cow_row(1, 700, 2, (1940, 1, 1), (1944, 12, 31), 2)]
    s, spells = cow_spells(tmp_path, rows)
    assert set(spells) == {"1:500-700", "1:600-700"}
    assert spells["1:500-700"][0] == pytest.approx(days("1941-07-01", "2007-12-31"))
    assert any("state 500 on side 2 from 1942-01-01" in n and "dropped" in n for n in s.notes)


def test_a_war_begun_before_the_pairs_peace_is_a_continuation_not_a_recurrence(tmp_path):
    """The Third Sino-Japanese War into World War II: 100 and 200 fight war 1 to 1941-12-06; war 2 began in
    1939 (300 against 400) and 100 and 200 fight in it from 1941-12-07. No spell after war 1 (not a recurrence
    after 0 days); their peace starts after war 2, and a war 3 begun after that peace is a recurrence."""
    rows = [cow_row(1, 100, 1, (1937, 7, 7), (1941, 12, 6), 2),
            cow_row(1, 200, 2, (1937, 7, 7), (1941, 12, 6), 1),
            cow_row(2, 300, 1, (1939, 9, 1), (1945, 8, 14), 1),
            cow_row(2, 400, 2, (1939, 9, 1), (1945, 8, 14), 2),
            cow_row(2, 100, 1, (1941, 12, 7), (1945, 8, 14), 1),
            cow_row(2, 200, 2, (1941, 12, 7), (1945, 8, 14), 2),
            cow_row(3, 100, 1, (1950, 1, 1), (1950, 2, 1), 1),
            cow_row(3, 200, 2, (1950, 1, 1), (1950, 2, 1), 2)]
    s, spells = cow_spells(tmp_path, rows)
    assert "1:100-200" not in spells
    assert spells["2:100-200"] == (pytest.approx(days("1945-08-15", "1950-01-01")), True)
    assert not spells["3:100-200"][1]
    assert any("war 1" in n and "still at war in war 2" in n for n in s.notes)
    # the same later war begun AFTER the pair's peace started is a recurrence
    rows[2][8] = rows[3][8] = 1942  # war 2 now begins on 1942-09-01 ...
    rows[4][6:9] = rows[5][6:9] = [9, 1, 1942]  # ... and so do 100 and 200 in it
    _, spells = cow_spells(tmp_path, rows)
    assert spells["1:100-200"] == (pytest.approx(days("1941-12-07", "1942-09-01")), True)


def test_second_phases_end_the_pairs_war_and_date_a_recurrence(tmp_path):
    """A war fought in two phases (a truce between): the pair's war ends with the second phase; a later war
    in which one state's second phase is the only one overlapping the other's dates the recurrence then."""
    rows = [cow_row(1, 100, 1, (1848, 3, 24), (1848, 8, 9), 1, phase2=((1849, 3, 12), (1849, 3, 30))),
            cow_row(1, 200, 2, (1848, 3, 24), (1848, 8, 9), 2, phase2=((1849, 3, 12), (1849, 3, 30))),
            cow_row(2, 100, 1, (1859, 1, 1), (1859, 2, 1), 1, phase2=((1859, 6, 1), (1859, 7, 1))),
            cow_row(2, 200, 2, (1859, 5, 1), (1859, 7, 1), 2)]
    _, spells = cow_spells(tmp_path, rows)
    assert spells["1:100-200"] == (pytest.approx(days("1849-03-31", "1859-06-01")), True)


def test_spells_of_one_war_or_one_pair_are_one_group(tmp_path):
    """Clusters for the robust variance and the splits: pairs of one war, and one pair's spells after
    successive wars (Israel-Egypt has five), are not independent: a group joins both (connected components)."""
    rows = [cow_row(1, 100, 1, (1900, 1, 1), (1900, 6, 30), 1), cow_row(1, 200, 2, (1900, 1, 1), (1900, 6, 30), 2),
            cow_row(1, 300, 2, (1900, 1, 1), (1900, 6, 30), 2),
            cow_row(2, 100, 1, (1920, 1, 1), (1920, 6, 30), 1), cow_row(2, 200, 2, (1920, 1, 1), (1920, 6, 30), 2),
            cow_row(3, 500, 1, (1930, 1, 1), (1930, 6, 30), 1), cow_row(3, 600, 2, (1930, 1, 1), (1930, 6, 30), 2)]
    s, _ = cow_spells(tmp_path, rows)
    group = dict(zip(s.ids, s.groups))
    assert group["1:100-200"] == group["1:100-300"] == group["2:100-200"] != group["3:500-600"]


def test_cow_shipped_file_pairs_and_recurrences():
    s = read_spells(COW)
    assert (s.n, int(s.events.sum())) == (149, 42)
    assert s.coverage_end.isoformat() == "2007-12-31"
    ids = set(s.ids)
    # Korea: the US and South Korea against China and North Korea, 4 dyads (Fortna 2004, Data Notes, note 1)
    assert {i for i in ids if i.startswith("151:")} == {"151:2-710", "151:2-731", "151:710-732", "151:731-732"}
    # World War II by battle deaths: the Soviet Union and China against Germany and Japan (the US and the UK
    # fall below a tenth of the Soviet Union's deaths); no Vichy pairs (France-USSR), no Brazil-Japan
    assert {i for i in ids if i.startswith("139:")} == {"139:255-365", "139:255-710", "139:365-740", "139:710-740"}
    # the Third Sino-Japanese War went on into World War II: no spell after it (it used to recur after 0 days)
    assert "130:710-740" not in ids
    assert np.all(s.durations[s.events] > 0.2)
    # Russia - Japan: Changkufeng (1938) recurred at Nomonhan (May 1939)
    i = list(s.ids).index("133:365-740")
    assert s.events[i] and s.durations[i] == pytest.approx(days("1938-08-12", "1939-05-11"))


# ----------------------------------------------------------------------------------------------- UCDP


def test_ucdp_censoring_date_is_the_end_of_the_termination_coding():
    """The shipped file codes no termination after 2014-10-13 though 187 agreements stay at risk through 2021:
    censored at 2014-12-31 (scenarios/reference.py, UCDP_END_OF_COVERAGE has the evidence). The hazard fitted to
    the follow-up to 2014 predicts about 8 terminations among those 187 in 2015-2021; none is coded."""
    s = read_spells(UCDP)
    assert s.coverage_end.isoformat() == "2014-12-31"
    header, rows = ucdp_rows()
    ends = [r[header.index("duration")][:10] for r in rows if r[header.index("ended")] == "True"]
    assert max(ends) == "2014-10-13"
    at_risk = ~s.events
    assert at_risk.sum() == 187
    bare = sv.fit_survival(s.durations, s.events, np.zeros((s.n, 0)), (), breakpoints=(1, 2, 5, 10))
    t0 = s.durations[at_risk]
    expected = (bare.cumulative_hazard(np.zeros((1, 0)), t0 + 7.0)
                - bare.cumulative_hazard(np.zeros((1, 0)), t0))[0]
    assert 6 < expected.sum() < 10 and np.exp(-expected.sum()) < 0.003


def test_a_newer_table_with_later_terminations_is_censored_at_its_last_coded_year(tmp_path):
    header, rows = ucdp_rows()
    col_end, col_ended = header.index("duration"), header.index("ended")
    rows[0][col_ended], rows[0][col_end] = "True", "2019-05-02"  # signed 1992-04-24
    s = read_spells(write_csv(tmp_path / "ucdp.csv", header, rows))
    assert s.coverage_end.isoformat() == "2019-12-31"
    assert any("2019-05-02" in n and "2019-12-31" in n for n in s.notes)


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
    assert "Skill over the base rate:" in result.output  # said either way, from the clustered differences
    assert (tmp_path / "bt/figures/reliability_1y.png").is_file()
    for name in ("predictions", "scores", "reliability"):
        assert (tmp_path / f"bt/tables/{name}.csv").is_file()


def test_time_split_scores_on_agreements_the_model_never_saw(runner, split, tmp_path):
    """The default covariates are fixed in advance (scenarios/durability.py), so the 2000-2011 agreements are
    unseen by the selection as well as by the fit. The scores are computed and finite; whether the provisions
    beat the base rate is what the backtest reports, not what this test asserts."""
    train, test = split
    result = runner.invoke(cli.main, ["backtest", "durability", "--train", str(train), "--test", str(test),
                                      "--json", "--quiet", "--out", str(tmp_path / "bt")])
    data = json.loads(result.output)
    assert set(data["model"]) == {"concordance", "brier", "n"} and set(data["model"]["brier"]) == {"1", "2", "5"}
    assert data["model"]["n"] == data["kaplan_meier"]["n"] == 107
    assert data["covariates"] == ["peacekeeping", "commission"] and data["penalizer"] == 0
    for forecast in ("model", "kaplan_meier"):
        assert 0 <= data[forecast]["concordance"] <= 1
        assert all(np.isfinite(v) and 0 <= v <= 1 for v in data[forecast]["brier"].values())
    assert all(np.isfinite(d["mean"]) and d["se"] > 0 for d in data["difference"].values())
    assert data["skill_over_base_rate"] == [k for k, d in data["difference"].items() if d["mean"] + 2 * d["se"] < 0]
    # Every 2000-2011 agreement has a known status at 2 years (censored 2014-12-31), so there the IPCW Brier
    # score is the plain mean squared error of the 0/1 status; at 5 years the 2010-2011 ones still in force
    # are censored before the horizon (104 of 107 known) and the weights matter
    spells = read_spells(test)
    km = sv.kaplan_meier(read_spells(train).durations, read_spells(train).events)
    alive = (spells.durations > 2).astype(float)
    assert data["kaplan_meier"]["brier"]["2"] == pytest.approx(np.mean((alive - km.at([2])[0][0]) ** 2))
    assert data["followed"] == {"1": 107, "2": 107, "5": 104}


# ---------------------------------------------------------------------------- the settlement's API


def test_reference_model_is_fitted_once_per_process_and_cached():
    a = durability.reference_model("ucdp_peace_agreements")
    b = durability.reference_model("ucdp_peace_agreements", {})
    assert a is b
    assert a.covariates == ("peacekeeping", "commission") and a.cov.shape == (len(a.coef), len(a.coef))
    assert a.penalizer == 0  # the covariance draw_coefficients uses is that of the unpenalised estimate
    assert np.all(np.linalg.eigvalsh(a.cov) > 0)


def test_reference_survival_of_a_class_is_its_kaplan_meier():
    out = durability.reference_survival("ucdp_peace_agreements", {"years": [1975, 1999]}, years=[1, 5])
    spells = filter_spells(read_spells(UCDP), {"years": [1975, 1999]})
    km = sv.kaplan_meier(spells.durations, spells.events)
    assert out["n"] == 196 and out["survival"] == pytest.approx(km.at([1, 5])[0].tolist())
    assert out["censored_at"] == "2014-12-31"
    assert all(lo <= s <= hi for s, lo, hi in zip(out["survival"], out["lower"], out["upper"]))


def test_reference_class_filters_reject_what_they_do_not_know():
    with pytest.raises(ConfigError, match="unknown filter 'era'"):
        durability.reference_model("ucdp_peace_agreements", {"era": "post1945"})
    with pytest.raises(ConfigError, match="unknown reference dataset"):
        durability.reference_model("ucdp", {})
    with pytest.raises(ConfigError, match="no case matches"):
        durability.reference_survival("cow_interstate_wars", {"years": [2050, 2060]})


def test_the_settlement_hazard_moves_with_the_provisions_the_record_codes_and_only_those():
    """A commission lowers the reference hazard (its hazard ratio on the record, below 1); peacekeepers raise it
    (the record's hazard ratio is above 1, a selection effect: it is kept, not dropped for its sign); a
    demilitarised zone, which the record does not code, leaves it where it is and is listed as unused."""
    m = durability.reference_model("ucdp_peace_agreements")
    x = sv.provision_design(m, {"implementation_commission": np.array([0.0, 1.0, 0.0, 0.0]),
                                "peacekeepers": np.array([0.0, 0.0, 1.0, 0.0]),
                                "demilitarised_zone": np.array([0.0, 0.0, 0.0, 1.0])}, 4)
    h = sv.yearly_hazard(m, x, None, 5)
    hr = dict(zip(m.covariates, np.exp(m.coef[: m.p])))
    assert np.all(np.sign(h[1] - h[0]) == np.sign(hr["commission"] - 1))
    assert np.all(np.sign(h[2] - h[0]) == np.sign(hr["peacekeeping"] - 1))
    assert h[3] == pytest.approx(h[0])
    assert sv.unused_provisions(m, {"demilitarised_zone": 1, "peacekeepers": 1}) == ["demilitarised_zone"]
    assert h[0, 0] > 0.2  # the record: about a quarter of bare agreements fail within the first year


# ------------------------------------------------------------------------------------------ calibrate


def test_calibrate_prints_the_record_with_intervals(runner, tmp_path):
    result = runner.invoke(cli.main, ["calibrate", "durability", str(UCDP), "--out", str(tmp_path / "cal")])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "303 peace agreements, 116 ended, 187 censored at 2014-12-31" in out
    assert "unpenalised maximum likelihood" in out and "fixed in advance" in out
    assert "77.2% (72.1%-81.5%)" in out  # Kaplan-Meier at 1 year with its interval
    assert "Weibull shape rho" in out and "the hazard falls with time" in out
    assert "Cox check" in out and "paid 1024" in out
    assert (tmp_path / "cal/figures/durability.png").is_file()


@pytest.mark.slow
def test_calibrate_the_inter_state_record(runner, tmp_path):
    result = runner.invoke(cli.main, ["calibrate", "durability", str(COW), "--json", "--quiet",
                                      "--out", str(tmp_path / "cal")])
    data = json.loads(result.output)
    assert data["n"] == 149 and data["events"] == 42 and data["censored_at"] == "2007-12-31"
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


def test_a_penalised_fit_says_its_intervals_are_around_a_shrunk_estimate(runner, tmp_path):
    result = runner.invoke(cli.main, ["calibrate", "durability", str(UCDP), "--penalty", "0.1", "--json", "--quiet",
                                      "--out", str(tmp_path / "cal")])
    data = json.loads(result.output)
    assert data["penalizer"] == 0.1 and data["intervals"] == "cluster-robust around a penalised fit"
    text = runner.invoke(cli.main, ["calibrate", "durability", str(UCDP), "--penalty", "0.1", "--out",
                                    str(tmp_path / "cal2")]).output
    assert "PENALISED" in text and "not confidence intervals" in text
