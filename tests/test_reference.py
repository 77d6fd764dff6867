"""scenarios/reference.py, alliance section: which rows are invocations, counted independently of the reader;
the shipped subsets against the published full-sample counts; bad tables named by file, line and column."""

import csv
from pathlib import Path

import numpy as np
import pytest

from scenarios import reference as ref
from scenarios.config import ConfigError

ROOT = Path(__file__).resolve().parent.parent
BF = ROOT / "configs" / "reference" / "alliances_berkemeier_fuhrmann_2018.csv"
LA = ROOT / "configs" / "reference" / "alliances_leeds_anac_2005.csv"
OURS = ROOT / "configs" / "reference" / "guarantees.csv"


def _independent_counts(path: Path, suffix: str) -> dict[str, tuple[int, int]]:
    """Counted with the csv module only, not with scenarios/reference.py.

    Which rows are invocations: Berkemeier & Fuhrmann (2018) code every alliance x war opportunity; under a
    coding (LLM or BF) a row is an invocation when its honor<coding> or violate<coding> cell is 1 (the
    commitment was called on and kept, or called on and broken). Rows coded dna (did not apply), cfna,
    nonagg or consul were not calls to fight under that alliance, so they are not cases of honouring or
    not: counting them would score alliances on wars they never promised to join.
    """
    counts: dict[str, list[int]] = {}
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            honoured = row[f"honor{suffix}"] in ("1", "1.0")
            violated = row[f"violate{suffix}"] in ("1", "1.0")
            if not (honoured or violated):
                continue
            era = "1816-1944" if row["sample"] in ("1", "1.0") else "1945-2003"
            classes = ["all", era] + [t for t in ("defense", "offense", "neutral", "nonagg", "consul")
                                      if row[t] in ("1", "1.0")]
            classes += [f"defense {era}"] if row["defense"] in ("1", "1.0") else []
            for c in classes:
                k_n = counts.setdefault(c, [0, 0])
                k_n[0] += honoured
                k_n[1] += 1
    return {c: (k, n) for c, (k, n) in counts.items()}


def _reader_counts(cases: ref.AllianceCases) -> dict[str, tuple[int, int]]:
    y = cases.honoured
    out = {"all": (int(y.sum()), len(y))}
    for era in ref.ERAS:
        m = cases.era == era
        out[era] = (int(y[m].sum()), int(m.sum()))
    for t in ref.COMMITMENT_TYPES:
        m = cases.covariates[t] == 1
        out[t] = (int(y[m].sum()), int(m.sum()))
    for era in ref.ERAS:
        m = (cases.covariates["defense"] == 1) & (cases.era == era)
        out[f"defense {era}"] = (int(y[m].sum()), int(m.sum()))
    return out


# The counts in the shipped file (2026 snapshot, a subset of the published data: see the data README on the
# held-back part), written down when the file was shipped; the test recounts them two independent ways.
SHIPPED_LLM = {"all": (58, 102), "1816-1944": (51, 77), "1945-2003": (7, 25), "defense": (37, 71),
               "offense": (25, 34), "neutral": (27, 37), "nonagg": (15, 32), "consul": (17, 38),
               "defense 1816-1944": (33, 51), "defense 1945-2003": (4, 20)}
SHIPPED_BF = {"all": (57, 99), "1816-1944": (50, 74), "1945-2003": (7, 25)}


@pytest.mark.parametrize("coding, shipped", [("llm", SHIPPED_LLM), ("bf", SHIPPED_BF)])
def test_reference_class_counts_match_an_independent_count_of_the_shipped_file(coding, shipped):
    cases = ref.read_alliances(BF, coding)
    by_reader = _reader_counts(cases)
    independent = _independent_counts(BF, coding.upper())
    for c, (k, n) in independent.items():
        assert by_reader[c] == (k, n), c
    for c, k_n in shipped.items():
        assert independent[c] == k_n, c
    assert cases.rows_read == 330 and cases.rows_read - len(cases) == sum(cases.excluded.values())


# Berkemeier & Fuhrmann (2018), Research & Politics 5(2), full sample under LLM rules (data README):
PUBLISHED_LLM = {"all": (73, 146), "1816-1944": (61, 92), "1945-2003": (12, 54), "defense": (42, 102),
                 "offense": (31, 42), "neutral": (35, 45), "nonagg": (18, 49)}


def test_shipped_cases_are_a_subset_of_the_published_sample():
    """Part of the data is held back, so the shipped counts cannot reproduce the published ones; but a subset
    can hold no more honoured and no more violated cases in any class than the full sample."""
    counts = _reader_counts(ref.read_alliances(BF, "llm"))
    for c, (k_pub, n_pub) in PUBLISHED_LLM.items():
        k, n = counts[c]
        assert k <= k_pub and n - k <= n_pub - k_pub, c
    la = ref.read_alliances(LA)
    # Leeds & Anac (2005), International Interactions 31(3): 93 of 137 honoured in their full sample
    assert la.honoured.sum() <= 93 and len(la) - la.honoured.sum() <= 137 - 93


def test_leeds_anac_rows_are_all_cases_and_their_era_follows_the_cow_war_number():
    la = ref.read_alliances(LA)
    assert (len(la), int(la.honoured.sum())) == (92, 63) and la.excluded == {}
    with open(LA, newline="") as handle:
        wars = np.array([float(r["war"]) for r in csv.DictReader(handle)])
    # COW war 139 is World War II (1939-45), 148 the Arab-Israeli war of 1948
    assert np.array_equal(la.covariates["post1945"], (wars >= 147).astype(float))
    assert set(la.war_key[la.covariates["post1945"] == 0]) >= {"cow139", "cow106"}
    assert "defense" not in la.covariates and la.types() == ()


def test_accords_own_table_reads_with_its_era():
    ours = ref.read_alliances(OURS)
    assert ours.format == "accord_guarantees" and len(ours) == 23 and int(ours.honoured.sum()) == 9
    with open(OURS, newline="") as handle:
        years = [int(r["year_tested"]) for r in csv.DictReader(handle)]
    assert ours.covariates["post1945"].tolist() == [float(y >= 1945) for y in years]


# ------------------------------------------------------------------------------------------ bad input


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(header)
        w.writerows(rows)
    return path


def _bf_rows() -> tuple[list[str], list[list[str]]]:
    with open(BF, newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        return header, list(reader)


def test_a_table_of_no_recognised_format_names_the_formats(tmp_path):
    bad = _write(tmp_path / "other.csv", ["year", "honoured"], [["1914", "1"]])
    with pytest.raises(ConfigError) as info:
        ref.read_alliances(bad)
    e = info.value
    assert e.line == 1 and "none of the recognised alliance formats" in e.message
    assert "Berkemeier & Fuhrmann (2018) needs columns" in e.message and "Leeds & Anac (2005)" in e.message


def test_a_missing_outcome_column_is_named(tmp_path):
    header, rows = _bf_rows()
    drop = header.index("honorLLM")
    bad = _write(tmp_path / "no_outcome.csv", header[:drop] + header[drop + 1:],
                 [r[:drop] + r[drop + 1:] for r in rows])
    with pytest.raises(ConfigError) as info:
        ref.read_alliances(bad, "llm")
    assert info.value.key == "honorLLM" and "missing column 'honorLLM'" in info.value.message
    ref.read_alliances(bad, "bf")  # the other coding's columns are all there


def test_a_bad_cell_names_file_line_and_column(tmp_path):
    header, rows = _bf_rows()
    rows[4][header.index("violateLLM")] = "yes"  # file line 6 (header is line 1)
    bad = _write(tmp_path / "cell.csv", header, rows)
    with pytest.raises(ConfigError) as info:
        ref.read_alliances(bad)
    assert (info.value.file, info.value.line, info.value.key) == (str(bad), 6, "violateLLM")


def test_a_row_coded_both_honoured_and_violated_is_refused(tmp_path):
    header, rows = _bf_rows()
    i = next(i for i, r in enumerate(rows) if r[header.index("honorLLM")] == "1.0")
    rows[i][header.index("violateLLM")] = "1.0"
    with pytest.raises(ConfigError, match="both honoured"):
        ref.read_alliances(_write(tmp_path / "both.csv", header, rows))


def test_a_table_without_invocations_is_an_error_that_says_why(tmp_path):
    header, rows = _bf_rows()
    keep = [r for r in rows if r[header.index("dnaLLM")] == "1.0"][:10]
    with pytest.raises(ConfigError, match="no invocations: 10 rows"):
        ref.read_alliances(_write(tmp_path / "none.csv", header, keep))


def test_unreadable_inputs_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        ref.read_alliances(tmp_path / "missing.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(ConfigError, match="empty file"):
        ref.read_alliances(tmp_path / "empty.csv")
    (tmp_path / "latin1.csv").write_bytes("war,atopid\n\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        ref.read_alliances(tmp_path / "latin1.csv")
    (tmp_path / "ragged.csv").write_text("war,atopid,ccode1,milinst\n1,2,3,4,5\n")
    with pytest.raises(ConfigError) as info:
        ref.read_alliances(tmp_path / "ragged.csv")
    assert info.value.line == 2 and "5 cells" in info.value.message


def test_a_file_that_is_no_table_is_reported_as_unrecognised_not_as_a_ragged_row(tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text("# notes\nsome text, with a comma, or two\n")
    with pytest.raises(ConfigError, match="none of the recognised alliance formats"):
        ref.read_alliances(notes)
