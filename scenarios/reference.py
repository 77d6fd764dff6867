"""Readers for the shipped reference datasets: each published format recognised by its columns, with the coding
rules in one place, returned as plain arrays and case ids (ARCHITECTURE.md, "the outside view").

Bad tables raise :class:`scenarios.config.ConfigError` naming the file, the line (the CSV line, header = 1),
the column, what was wrong and what is allowed; the CLI prints one line and exits with code 2.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from scenarios.config import ConfigError

# ============================================================================ durability (issue 14)
# Spell tables for survival models of peace: the UCDP Peace Agreement Dataset (one spell per agreement), the
# Correlates of War inter-state wars (one spell per pair of states after each war they fought each other)
# and a generic table of durations and events. Owned by the durability work; other readers go in their own
# sections of this file.

DAYS_PER_YEAR = 365.25

#: End of coverage of UCDP Peace Agreement Dataset v22.1: agreements not coded as ended are censored here
#: (Pettersson, Högbladh & Öberg 2019; the dataset's README in shared/data/reference).
UCDP_END_OF_COVERAGE = dt.date(2021, 12, 31)
#: End of coverage of the Correlates of War Inter-State War Data v4.0 (wars 1816-2007; Sarkees & Wayman 2010).
COW_END_OF_COVERAGE = dt.date(2007, 12, 31)

#: UCDP `pa_type` codes (UCDP Peace Agreement Dataset codebook): full, partial, peace process agreement.
UCDP_PA_TYPES = {1: "full", 2: "partial", 3: "process"}

#: Covariates derived from a UCDP agreement row, with the rule (the columns are the codebook's).
UCDP_COVARIATES: dict[str, str] = {
    "ceasefire": "cease = 1: the agreement contains a ceasefire provision",
    "peacekeeping": "pko = 1: a peacekeeping operation is deployed under the agreement",
    "withdrawal": "withd = 1: withdrawal of (foreign) forces",
    "commission": "co_impl = 1: a commission or committee to oversee implementation",
    "third_party": "pa_3rd not empty: third parties (mediators, guarantors, witnesses) named in the agreement",
    "full": "pa_type = 1: a full agreement (the parties settle the whole incompatibility), against partial "
            "and peace-process agreements",
    "territorial": "incompatibility 1 or 3: the conflict is over territory (3: territory and government)",
}

#: Covariates derived for a pair of states after a COW inter-state war.
COW_COVARIATES: dict[str, str] = {
    "decisive": "one state of the pair is coded winner (Outcome 1) and the other loser (Outcome 2)",
    "post1945": "the pair's war ended in 1945 or later",
}


@dataclass(frozen=True)
class Spells:
    """Spells of peace, one per case: how long each lasted (years) and whether it ended (else censored).

    Arrays have shape (m,). ``covariates`` maps a name to 0/1 values; ``groups`` are the clusters whose cases
    are not independent (a UCDP conflict, a COW war): a split or a robust variance keeps a group whole.
    """

    dataset: str                      # "ucdp" | "cow" | "table"
    source: str                       # the file it was read from
    ids: np.ndarray                   # (m,) str: a case id
    durations: np.ndarray             # (m,) float, years from the start of peace to its end or to censoring
    events: np.ndarray                # (m,) bool: the peace ended (else censored at the end of coverage)
    start_year: np.ndarray            # (m,) int: the year peace started (signature; the war's end)
    groups: np.ndarray                # (m,) str: cluster ids
    covariates: dict[str, np.ndarray]  # name -> (m,) float
    coverage_end: dt.date | None      # the censoring date (None: durations given directly)
    rules: tuple[str, ...] = ()       # how the spells were derived, one sentence each
    notes: tuple[str, ...] = ()       # per-row readings worth telling the analyst (e.g. a repaired date)
    labels: dict[str, str] = field(default_factory=dict)  # covariate -> its coding rule

    @property
    def n(self) -> int:
        return int(self.durations.shape[0])

    def subset(self, mask: np.ndarray) -> Spells:
        mask = np.asarray(mask, dtype=bool)
        return replace(self, ids=self.ids[mask], durations=self.durations[mask], events=self.events[mask],
                       start_year=self.start_year[mask], groups=self.groups[mask],
                       covariates={k: v[mask] for k, v in self.covariates.items()})

    def design(self, names: tuple[str, ...] | list[str]) -> np.ndarray:
        """The covariates as an (m, p) matrix in the order of ``names``."""
        return np.column_stack([self.covariates[k] for k in names]) if names else np.zeros((self.n, 0))


def _read_csv(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header (stripped names) and (line number, row) pairs of a CSV file; ConfigError if unreadable."""
    label = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the table: {getattr(exc, 'strerror', None) or exc}", label) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise ConfigError("empty file; expected a CSV table with a header line", label, 1) from None
    except csv.Error as exc:
        raise ConfigError(f"not a CSV table: {exc}", label, 1) from None
    rows = []
    try:
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            rows.append((reader.line_num, {h: (values[i].strip() if i < len(values) else "")
                                           for i, h in enumerate(header)}))
    except csv.Error as exc:
        raise ConfigError(f"not a CSV table: {exc}", label, reader.line_num) from None
    return header, rows


def detect_format(header: list[str]) -> str | None:
    """Which spell format a header is: 'ucdp', 'cow', 'table', or None."""
    cols = set(header)
    if {"pa_date", "ended", "duration"} <= cols:
        return "ucdp"
    if {"WarNum", "ccode", "Side", "StartYear1", "EndYear1"} <= cols:
        return "cow"
    if _table_columns(cols) is not None:
        return "table"
    return None


TABLE_DURATION_COLUMNS = ("years", "duration_years")
TABLE_EVENT_COLUMNS = ("event", "ended", "failed")


def _table_columns(cols: set[str]) -> tuple[str, str] | None:
    t = next((c for c in TABLE_DURATION_COLUMNS if c in cols), None)
    e = next((c for c in TABLE_EVENT_COLUMNS if c in cols), None)
    return (t, e) if t and e else None


def read_spells(path: str | Path) -> Spells:
    """Read any recognised spell table: UCDP peace agreements, COW inter-state wars, or a generic table.

    The format is recognised by its columns: UCDP by ``pa_date``, ``ended``, ``duration``; COW by ``WarNum``,
    ``ccode``, ``Side``, ``StartYear1``, ``EndYear1``; a generic table by a duration column (``years`` or
    ``duration_years``, in years) and an event column (``event``, ``ended`` or ``failed``: 1 ended, 0
    censored). Anything else is a ConfigError listing what is recognised.
    """
    path = Path(path)
    header, rows = _read_csv(path)
    kind = detect_format(header)
    if kind == "ucdp":
        return _ucdp_spells(path, rows)
    if kind == "cow":
        return cow_pair_spells(read_cow_participants(path, header, rows), str(path))
    if kind == "table":
        return _table_spells(path, header, rows)
    raise ConfigError(
        "no recognised duration and event columns; expected a UCDP peace-agreement table (pa_date, ended, "
        "duration), a COW inter-state war table (WarNum, ccode, Side, StartYear1, EndYear1, ...) or a table with "
        f"a duration column ({' or '.join(TABLE_DURATION_COLUMNS)}, in years) and an event column "
        f"({', '.join(TABLE_EVENT_COLUMNS)}: 1 ended, 0 censored); found: {', '.join(header[:12])}"
        + (" ..." if len(header) > 12 else ""), str(path), 1)


# ----------------------------------------------------------------------------------------- UCDP


def _date(raw: str, label: str, line: int, column: str) -> dt.date:
    text = raw.strip()
    for cut in (" ", "T"):  # "2000-08-26 00:00:00" as spreadsheets write it
        text = text.split(cut)[0]
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"expected a date YYYY-MM-DD, got {raw!r}", label, line, column) from None


def _flag(raw: str, label: str, line: int, column: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"expected 0 or 1, got {raw!r}", label, line, column) from None
    if value not in (0.0, 1.0):
        raise ConfigError(f"expected 0 or 1, got {raw!r}", label, line, column)
    return value


def _ucdp_ended(raw: str, label: str, line: int) -> bool:
    text = raw.strip().lower()
    if text in ("true", "1", "1.0", "yes"):
        return True
    if text in ("", "false", "0", "0.0", "no", "nan"):
        return False
    raise ConfigError(f"expected True, False or blank, got {raw!r}", label, line, "ended")


def _ucdp_spells(path: Path, rows: list[tuple[int, dict[str, str]]]) -> Spells:
    """One spell per UCDP agreement.

    Rules: peace starts at the signature (``pa_date``); it ends at ``duration`` when ``ended`` is true; an
    agreement not coded as ended is censored at the end of coverage, 2021-12-31 (UCDP_END_OF_COVERAGE). An end
    date before the signature is an error, except UCDP's year-only precision: an end coded 1 January of the
    signature year (the day unknown, the year known) is read as the middle of the rest of that year, and
    the run says so. An end on the day of signature counts as half a day.
    """
    label = str(path)
    if not rows:
        raise ConfigError("no agreements in the table", label, 2)
    ids, durations, events, years, groups, notes = [], [], [], [], [], []
    cov: dict[str, list[float]] = {k: [] for k in UCDP_COVARIATES}
    end_cover = UCDP_END_OF_COVERAGE
    for line, row in rows:
        signed = _date(row.get("pa_date", ""), label, line, "pa_date")
        ended = _ucdp_ended(row.get("ended", ""), label, line)
        raw_end = row.get("duration", "")
        if ended and not raw_end.strip():
            raise ConfigError("ended is True but no end date is given; expected a date YYYY-MM-DD", label, line,
                              "duration")
        if signed > end_cover:
            raise ConfigError(f"signature {signed} is after the end of coverage {end_cover}", label, line, "pa_date")
        case = row.get("paid") or f"line{line}"
        if ended:
            end = _date(raw_end, label, line, "duration")
            if end < signed:
                if end.month == 1 and end.day == 1 and end.year == signed.year:
                    year_end = dt.date(signed.year, 12, 31)
                    repaired = signed + (year_end - signed) / 2
                    notes.append(f"line {line} (paid {case}): end date {end} is before the signature {signed}; read "
                                 f"as year-only precision (ended in {end.year}): {repaired}")
                    end = repaired
                else:
                    raise ConfigError(f"end date {end} is before the signature date {signed} (pa_date); an end "
                                      "must be on or after the signature", label, line, "duration")
            if end > end_cover:
                raise ConfigError(f"end date {end} is after the end of coverage {end_cover}", label, line, "duration")
            days = max((end - signed).days, 0.5)
        else:
            days = (end_cover - signed).days
        ids.append(str(case))
        durations.append(days / DAYS_PER_YEAR)
        events.append(ended)
        years.append(signed.year)
        groups.append(row.get("conflict_id") or str(case))
        cov["ceasefire"].append(_flag(row.get("cease", ""), label, line, "cease"))
        cov["peacekeeping"].append(_flag(row.get("pko", ""), label, line, "pko"))
        cov["withdrawal"].append(_flag(row.get("withd", ""), label, line, "withd"))
        cov["commission"].append(_flag(row.get("co_impl", ""), label, line, "co_impl"))
        third = row.get("pa_3rd", "").strip()
        cov["third_party"].append(0.0 if third.lower() in ("", "nan", "none", "-99", "0") else 1.0)
        try:
            pa_type = int(float(row.get("pa_type", "")))
        except ValueError:
            pa_type = -1
        if pa_type not in UCDP_PA_TYPES:
            raise ConfigError(f"expected 1 (full), 2 (partial) or 3 (peace process), got {row.get('pa_type')!r}",
                              label, line, "pa_type")
        cov["full"].append(1.0 if pa_type == 1 else 0.0)
        try:
            incompatibility = int(float(row.get("incompatibility", "")))
        except ValueError:
            incompatibility = -1
        if incompatibility not in (1, 2, 3):
            raise ConfigError("expected 1 (territory), 2 (government) or 3 (both), got "
                              f"{row.get('incompatibility')!r}", label, line, "incompatibility")
        cov["territorial"].append(1.0 if incompatibility in (1, 3) else 0.0)
    rules = (
        "one spell per agreement: peace starts at the signature (pa_date)",
        "it ends at the termination date (duration) when the agreement is coded as ended",
        f"agreements not coded as ended are censored at the end of UCDP v22.1's coverage, {end_cover}",
        "agreements of one conflict (conflict_id) form one group: a robust variance and a split keep them together",
    )
    return Spells("ucdp", label, np.array(ids), np.array(durations), np.array(events, dtype=bool),
                  np.array(years, dtype=int), np.array(groups), {k: np.array(v) for k, v in cov.items()},
                  end_cover, rules, tuple(notes), dict(UCDP_COVARIATES))


# ------------------------------------------------------------------------------------------ COW


@dataclass(frozen=True)
class Participation:
    """One state's part in one COW inter-state war: its side and its phases of fighting."""

    war: int
    war_name: str
    ccode: int
    state: str
    side: int
    phases: tuple[tuple[dt.date, dt.date], ...]
    outcome: int
    line: int


def _cow_date(row: dict[str, str], which: str, k: int, label: str, line: int) -> dt.date | None:
    """Start or end date of phase k; None when the phase does not apply (-8). Unknown day (-9): the 15th;
    unknown month: 1 July. An ongoing war (end year -7) ends at the end of coverage."""
    names = [f"{which}{part}{k}" for part in ("Month", "Day", "Year")]
    values = []
    for name in names:
        raw = row.get(name, "")
        try:
            values.append(int(float(raw)))
        except ValueError:
            raise ConfigError(f"expected a whole number (-8 not applicable, -9 unknown), got {raw!r}", label, line,
                              name) from None
    month, day, year = values
    if year == -8:
        return None
    if year == -7 and which == "End":
        return COW_END_OF_COVERAGE
    if year < 1800:
        raise ConfigError(f"expected a year (or -8 not applicable), got {year}", label, line, names[2])
    if month == -9:
        month, day = 7, 1
    if day == -9:
        day = 15
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ConfigError(f"not a date: {year}-{month}-{day}", label, line, names[0]) from None


def read_cow_participants(path: Path, header: list[str] | None = None,
                          rows: list[tuple[int, dict[str, str]]] | None = None) -> list[Participation]:
    """The participations of a COW Inter-State War Data v4.0 table (one row per state per war)."""
    label = str(path)
    if rows is None:
        _header, rows = _read_csv(path)
    out = []
    for line, row in rows:
        ints = {}
        for name in ("WarNum", "ccode", "Side", "Outcome"):
            raw = row.get(name, "")
            try:
                ints[name] = int(float(raw))
            except ValueError:
                raise ConfigError(f"expected a whole number, got {raw!r}", label, line, name) from None
        if ints["Side"] not in (1, 2):
            raise ConfigError(f"expected side 1 or 2, got {ints['Side']}", label, line, "Side")
        phases = []
        for k in (1, 2):
            start, end = _cow_date(row, "Start", k, label, line), _cow_date(row, "End", k, label, line)
            if start is None or end is None:
                if k == 1:
                    raise ConfigError("the first phase needs a start and an end year", label, line, f"StartYear{k}")
                continue
            if end < start:
                raise ConfigError(f"phase {k} ends ({end}) before it starts ({start})", label, line, f"EndYear{k}")
            phases.append((start, end))
        out.append(Participation(ints["WarNum"], row.get("WarName", ""), ints["ccode"], row.get("StateName", ""),
                                 ints["Side"], tuple(phases), ints["Outcome"], line))
    if not out:
        raise ConfigError("no participants in the table", label, 2)
    return out


def _overlaps(a: tuple[tuple[dt.date, dt.date], ...], b: tuple[tuple[dt.date, dt.date], ...]
              ) -> list[tuple[dt.date, dt.date]]:
    spans = []
    for s1, e1 in a:
        for s2, e2 in b:
            lo, hi = max(s1, s2), min(e1, e2)
            if lo <= hi:
                spans.append((lo, hi))
    return sorted(spans)


def cow_pair_spells(participants: list[Participation], source: str = "",
                    coverage_end: dt.date = COW_END_OF_COVERAGE) -> Spells:
    """Spells of peace between pairs of states after the inter-state wars they fought each other.

    Rules (stated in the output):

    * a pair is two states on opposite sides of one war whose phases of participation overlap in time (they
      were at war with each other at the same time); states on the same side, or whose participation never
      overlapped, are not a pair;
    * the pair's war ends on the last day both were in it (the end of the last overlap of their phases);
      peace between them starts the next day;
    * peace ends (recurrence) when the same two states are next on opposite sides of a later COW war, at the
      first day both are in that war; a later war that starts before this peace starts is part of the same
      fighting and does not count;
    * otherwise the spell is censored at the end of COW v4.0's coverage (2007-12-31). A state that ceased
      to exist stays at risk until then (the file does not carry state-system membership): this adds
      exposure after a state's end and so understates the long-run hazard a little;
    * the group of a spell is the war it follows (pairs from one war are not independent).
    """
    by_war: dict[int, list[Participation]] = {}
    for p in participants:
        by_war.setdefault(p.war, []).append(p)
    fights: dict[tuple[int, int], list[tuple[dt.date, dt.date, int, str, float]]] = {}
    for war, members in by_war.items():
        for a in members:
            for b in members:
                if a.side != 1 or b.side != 2:
                    continue
                spans = _overlaps(a.phases, b.phases)
                if not spans:
                    continue
                key = (min(a.ccode, b.ccode), max(a.ccode, b.ccode))
                decisive = 1.0 if {a.outcome, b.outcome} == {1, 2} else 0.0
                fights.setdefault(key, []).append((spans[0][0], spans[-1][1], war, a.war_name, decisive))
    ids, durations, events, years, groups = [], [], [], [], []
    cov: dict[str, list[float]] = {k: [] for k in COW_COVARIATES}
    for (c1, c2), wars in sorted(fights.items()):
        wars.sort()
        for i, (_, end, war, _name, decisive) in enumerate(wars):
            peace = end + dt.timedelta(days=1)
            if peace > coverage_end:
                continue
            later = [s for s, _e, w, _n, _d in wars[i + 1:] if s > end and w != war]
            if later:
                days, ended = (min(later) - peace).days, True
            else:
                days, ended = (coverage_end - peace).days, False
            ids.append(f"{war}:{c1}-{c2}")
            durations.append(max(days, 0.5) / DAYS_PER_YEAR)
            events.append(ended)
            years.append(peace.year)
            groups.append(str(war))
            cov["decisive"].append(decisive)
            cov["post1945"].append(1.0 if end.year >= 1945 else 0.0)
    if not ids:
        raise ConfigError("no pair of states fought on opposite sides at the same time", source or None)
    rules = (
        "a pair: two states on opposite sides of one war whose participation overlapped in time",
        "peace starts the day after the last day both were in the war",
        "recurrence: the same two states next on opposite sides of a later war (from the first day both are in it)",
        (f"pairs with no later war between them are censored at the end of COW v4.0's coverage, {coverage_end}; "
        "states that ceased to exist stay at risk until then"),
        "pairs from one war form one group: a robust variance and a split keep them together",
    )
    return Spells("cow", source, np.array(ids), np.array(durations), np.array(events, dtype=bool),
                  np.array(years, dtype=int), np.array(groups), {k: np.array(v) for k, v in cov.items()},
                  coverage_end, rules, (), dict(COW_COVARIATES))


# ---------------------------------------------------------------------------------------- table


def _table_spells(path: Path, header: list[str], rows: list[tuple[int, dict[str, str]]]) -> Spells:
    """A generic table: a duration in years, an event flag, optional id, group, start_year and 0/1 covariates
    named as in UCDP_COVARIATES or COW_COVARIATES."""
    label = str(path)
    t_col, e_col = _table_columns(set(header))  # type: ignore[misc]
    known = {**UCDP_COVARIATES, **COW_COVARIATES}
    cov_names = [h for h in header if h in known]
    if not rows:
        raise ConfigError("no rows in the table", label, 2)
    ids, durations, events, years, groups = [], [], [], [], []
    cov: dict[str, list[float]] = {k: [] for k in cov_names}
    for line, row in rows:
        raw = row.get(t_col, "")
        try:
            value = float(raw)
        except ValueError:
            raise ConfigError(f"missing or not a number: {raw!r}; expected a duration in years >= 0", label, line,
                              t_col) from None
        if not math.isfinite(value) or value < 0:
            raise ConfigError(f"duration {raw} is not allowed; expected a duration in years >= 0", label, line, t_col)
        events.append(_flag(row.get(e_col, ""), label, line, e_col) == 1.0)
        durations.append(max(value, 0.5 / DAYS_PER_YEAR))
        ids.append(row.get("id") or f"line{line}")
        groups.append(row.get("group") or ids[-1])
        raw_year = row.get("start_year", "")
        try:
            years.append(int(float(raw_year)) if raw_year else 0)
        except ValueError:
            raise ConfigError(f"expected a year, got {raw_year!r}", label, line, "start_year") from None
        for k in cov_names:
            cov[k].append(_flag(row.get(k, ""), label, line, k))
    return Spells("table", label, np.array(ids), np.array(durations), np.array(events, dtype=bool),
                  np.array(years, dtype=int), np.array(groups), {k: np.array(v) for k, v in cov.items()}, None,
                  (f"durations in years from column {t_col}; events from column {e_col} (1 ended, 0 censored)",),
                  (), {k: known[k] for k in cov_names})


# --------------------------------------------------------------------------------------- filters


def filter_spells(spells: Spells, spec: dict[str, Any] | None, where: str = "filter") -> Spells:
    """The spells of a reference class: ``spec`` maps ``years: [first, last]`` (the year peace started,
    inclusive) and covariate names to the value required (0 or 1). ConfigError for an unknown key or value,
    or an empty class."""
    if not spec:
        return spells
    mask = np.ones(spells.n, dtype=bool)
    for key, value in spec.items():
        if key == "years":
            if not (isinstance(value, (list, tuple)) and len(value) == 2
                    and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)):
                raise ConfigError(f"expected [first, last] years, got {value!r}", None, None, f"{where}.years")
            mask &= (spells.start_year >= value[0]) & (spells.start_year <= value[1])
        elif key in spells.covariates:
            if value not in (0, 1, True, False):
                raise ConfigError(f"expected 0 or 1, got {value!r}", None, None, f"{where}.{key}")
            mask &= spells.covariates[key] == float(value)
        else:
            allowed = ", ".join(["years", *spells.covariates])
            raise ConfigError(f"unknown filter '{key}' for the {spells.dataset} data; allowed: {allowed}", None, None,
                              f"{where}.{key}")
    if not mask.any():
        raise ConfigError(f"no case matches {spec!r}", None, None, where)
    return spells.subset(mask)

# ======================================================================== end of durability (issue 14)
