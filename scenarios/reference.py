"""Readers for the shipped reference datasets: the record of what happened, as plain arrays and case ids.

Each published format is recognised by its columns (never by its file name), and its coding rules (which
rows count as cases, how an outcome and a covariate are read) are written once, here, beside its reader. A
reader returns plain NumPy arrays plus case ids, groups (wars, for grouped cross-validation) and the line of
each case in its file; the models (model/calibration.py) never see a file.

Bad input raises ConfigError naming the file, the line and the column, what was wrong and what is allowed;
the CLI prints it as one line with exit code 2.

Sections (one per family of datasets; each engineer keeps to their own):

* shared helpers: ``read_csv`` (a CSV with the line of every row), ``recognise`` (which format a header
  is), ``cell_number`` / ``cell_choice`` (a cell as a number, with the error message);
* alliances (guarantee credibility): Berkemeier & Fuhrmann (2018), Leeds & Anac (2005), and accord's own
  table of tested guarantees (configs/reference/guarantees.csv): ``read_alliances``;
* further sections (durability: UCDP peace agreements and COW wars; battles: CDB90, ``read_cdb90``) go
  below, each with its own header.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from model import battles as MB
from scenarios.config import ConfigError

# =========================================================================================================
# Shared helpers


@dataclass(frozen=True)
class CsvTable:
    """A CSV file's header and rows (as read, strings), with the file line of every row."""

    label: str  # the file as named in messages
    header: tuple[str, ...]
    rows: list[dict[str, str]]
    lines: list[int]
    problem: ConfigError | None = None  # the first malformed row, when read with strict=False

    def __len__(self) -> int:
        return len(self.rows)

    def check(self) -> None:
        """Raise the first malformed row's error, if any (after the format has been recognised)."""
        if self.problem is not None:
            raise self.problem


def _label(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def read_csv(path: Path | str, strict: bool = True) -> CsvTable:
    """Read a CSV (UTF-8, optional byte-order mark); ConfigError if it cannot be read or has no header.

    A row with more cells than the header is an error at once (``strict``), or is kept in ``problem`` for
    ``check()`` to raise after ``recognise`` (so a file that is no table at all is reported as such)."""
    path = Path(path)
    label = _label(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError("no such file", label) from None
    except IsADirectoryError:
        raise ConfigError("is a directory, not a CSV table", label) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text (byte {exc.start}); save the table as UTF-8 CSV", label) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc}", label) from None
    with io.StringIO(text, newline="") as handle:
        reader = csv.DictReader(handle)
        try:
            header = tuple(h.strip() for h in (reader.fieldnames or ()))
            if not header:
                raise ConfigError("empty file: expected a CSV table with a header row", label, 1)
            reader.fieldnames = list(header)
            rows, lines = [], []
            problem = None
            for row in reader:
                if None in row:
                    problem = problem or ConfigError(
                        f"{len(header) + len(row[None])} cells, the header has {len(header)}", label, reader.line_num)
                    if strict:
                        raise problem
                    continue
                if all(not (v or "").strip() for v in row.values()):
                    continue  # a blank line
                rows.append({k: (v or "").strip() for k, v in row.items()})
                lines.append(reader.line_num)
        except csv.Error as exc:
            raise ConfigError(f"malformed CSV: {exc}", label, reader.line_num) from None
    return CsvTable(label, header, rows, lines, problem)


@dataclass(frozen=True)
class Format:
    """A published table format: recognised when every column of ``identify`` is in the header."""

    name: str  # key, e.g. "berkemeier_fuhrmann_2018"
    title: str  # for people, e.g. "Berkemeier & Fuhrmann (2018)"
    identify: tuple[str, ...]


def recognise(table: CsvTable, formats: Sequence[Format], what: str) -> Format:
    """The first format whose identifying columns the header has; else a ConfigError listing them all."""
    header = set(table.header)
    for fmt in formats:
        if set(fmt.identify) <= header:
            return fmt
    shown = ", ".join(table.header[:8]) + (", ..." if len(table.header) > 8 else "")
    needs = "; ".join(f"{f.title} needs columns {', '.join(f.identify)}" for f in formats)
    raise ConfigError(f"none of the recognised {what} formats (columns: {shown}); {needs}", table.label, 1)


def require_columns(table: CsvTable, fmt: Format, columns: Sequence[str], why: str = "") -> None:
    """ConfigError (line 1) naming the first missing column."""
    for column in columns:
        if column not in table.header:
            raise ConfigError(f"missing column '{column}'{' (' + why + ')' if why else ''}; a {fmt.title} "
                              f"table needs {', '.join(columns)}", table.label, 1, column)


def cell_number(table: CsvTable, i: int, column: str, *, lo: float | None = None, hi: float | None = None,
                blank: float | None = None, whole: bool = False) -> float:
    """Row i's cell as a number in [lo, hi]; a blank cell is ``blank`` when given, else an error."""
    raw = table.rows[i].get(column, "")
    if raw == "" and blank is not None:
        return blank
    allowed = f"a {'whole ' if whole else ''}number" + (
        f" in [{'-inf' if lo is None else f'{lo:g}'}, {'inf' if hi is None else f'{hi:g}'}]"
        if lo is not None or hi is not None else "")
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"expected {allowed}, got {raw!r}", table.label, table.lines[i], column) from None
    if not np.isfinite(value) or (lo is not None and value < lo) or (hi is not None and value > hi) or (
            whole and value != int(value)):
        raise ConfigError(f"expected {allowed}, got {raw!r}", table.label, table.lines[i], column)
    return value


def cell_choice(table: CsvTable, i: int, column: str, allowed: Sequence[float], *, blank: float | None = None,
                note: str = "") -> float:
    """Row i's cell as one of ``allowed`` numbers (e.g. 0/1; '1.0' reads as 1); blank -> ``blank`` if given."""
    raw = table.rows[i].get(column, "")
    if raw == "" and blank is not None:
        return blank
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if value not in allowed:
        what = " or ".join(f"{a:g}" for a in allowed) + (" or blank" if blank is not None else "")
        raise ConfigError(f"expected {what}{' (' + note + ')' if note else ''}, got {raw!r}", table.label,
                          table.lines[i], column)
    return value


# =========================================================================================================
# Alliances: which commitments were honoured when invoked (guarantee credibility; MODELS.md section 1)
#
# Coding rules, all in this section:
#
# Berkemeier & Fuhrmann (2018), one row per alliance x war "performance opportunity", 1816-2003. Under a
#   coding (LLM: Leeds, Long & Mitchell's 2000 rules, the default; BF: the authors' alternative) a row is an
#   invocation when it is coded honoured (honorLLM = 1) or violated (violateLLM = 1); every other row is not
#   an invocation (dnaLLM: the commitment did not apply to this war; cfnaLLM, nonaggLLM, consulLLM: further
#   categories in which no obligation to fight was called) and is left out, counted by its category. A blank
#   cell is 0 (the replication file marks only the 1s). A row coded both honoured and violated is an error.
#   Era: `sample` (1: 1816-1944, 0: 1945-2003). Types: defense, offense, neutral, nonagg, consul (an alliance
#   may carry several); multilateral. War: warid (warname for people; cowwarid for matching other tables).
# Leeds & Anac (2005), one row per alliance x member x war coded honoured (honor3 = 1) or violated (0):
#   every row with honor3 coded is an invocation (a blank honor3 is left out). Era: COW war numbers are
#   chronological and war 147 (First Kashmir, 1947) is the first after 1945 (COW Inter-State War Data
#   v4.0), so post1945 = 1{war >= 147}. multilateral = 1 - bilat. Covariates: milinst (military
#   institutionalisation 0-2), formal (formal organisation 0-2), chcap2d (change in capabilities since
#   signature, 0/1), dinstch2 (change in domestic institutions since signature, 0/1).
# accord's guarantees.csv (configs/reference/guarantees.csv), one row per guarantor x crisis coded after
#   the fact on the scales of model/guarantees.py: every row is a case; honoured 0/1; era from year_tested
#   (when the table has it); the crisis (`case`, else the case id) is the group.

ERAS = ("1816-1944", "1945-2003")
COMMITMENT_TYPES = ("defense", "offense", "neutral", "nonagg", "consul")
TYPE_LABELS = {"defense": "defence pacts", "offense": "offence pacts", "neutral": "neutrality pacts",
               "nonagg": "non-aggression pacts", "consul": "consultation pacts"}
CODINGS = ("llm", "bf")
ACCORD_FEATURES = ("stake", "cost", "binding", "tripwire", "automatic")
ACCORD_RANGES = {"stake": (0.0, 2.0), "cost": (0.0, 2.0), "binding": (0.0, 1.0), "tripwire": (0.0, 1.0),
                 "automatic": (0.0, 1.0), "capability": (0.0, 1.0)}
COVARIATE_LABELS = {
    "post1945": "invoked 1945-2003 (0: 1816-1944)",
    "defense": "defence pact", "offense": "offence pact", "neutral": "neutrality pact",
    "nonagg": "non-aggression pact", "consul": "consultation pact",
    "multilateral": "multilateral alliance (0: bilateral)",
    "milinst": "military institutionalisation (0-2)", "formal": "formal organisation (0-2)",
    "chcap2d": "change in capabilities since signature", "dinstch2": "change in domestic institutions",
    "stake": "stake (0-2)", "cost": "cost (0-2)", "binding": "bindingness (0-1)", "tripwire": "tripwire (0-1)",
    "automatic": "automatic trigger (0-1)",
}
FIRST_POST_1945_COW_WAR = 147

BERKEMEIER_FUHRMANN = Format("berkemeier_fuhrmann_2018", "Berkemeier & Fuhrmann (2018)",
                             ("warid", "atopid", "sample", "multilateral", *COMMITMENT_TYPES))
LEEDS_ANAC = Format("leeds_anac_2005", "Leeds & Anac (2005)", ("war", "atopid", "ccode1", "milinst"))
ACCORD_GUARANTEES = Format("accord_guarantees", "accord guarantees.csv", ("case_id", "stake", "cost", "binding"))
ALLIANCE_FORMATS = (BERKEMEIER_FUHRMANN, LEEDS_ANAC, ACCORD_GUARANTEES)


@dataclass(frozen=True)
class AllianceCases:
    """The invoked commitments of one alliance table, as plain arrays of shape (n,).

    honoured 1 / 0; covariates holds only what this format has (keys of COVARIATE_LABELS; 0/1 indicators or
    the dataset's small integer scales). war is the group for cross-validation; war_key matches wars across
    tables ("cow139") and is "" where unknown; line is each case's line in the file. ``excluded`` counts the
    rows that are not invocations, by reason; ``rule`` says in one sentence which rows are cases.
    """

    source: str
    format: str
    title: str
    coding: str
    rule: str
    case_id: np.ndarray
    war: np.ndarray
    war_label: np.ndarray
    war_key: np.ndarray
    alliance: np.ndarray
    honoured: np.ndarray
    covariates: dict[str, np.ndarray]
    line: np.ndarray
    rows_read: int
    excluded: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.honoured)

    @property
    def era(self) -> np.ndarray:
        """ERAS label per case, shape (n,)."""
        return np.where(self.covariates["post1945"] > 0, ERAS[1], ERAS[0])

    def types(self) -> tuple[str, ...]:
        """The commitment types this table codes (empty when it codes none)."""
        return tuple(t for t in COMMITMENT_TYPES if t in self.covariates)

    def subset(self, mask: np.ndarray) -> AllianceCases:
        """The cases where mask is True (same source, coding and rule)."""
        m = np.asarray(mask, dtype=bool)
        return AllianceCases(
            self.source, self.format, self.title, self.coding, self.rule, self.case_id[m], self.war[m],
            self.war_label[m], self.war_key[m], self.alliance[m], self.honoured[m],
            {k: v[m] for k, v in self.covariates.items()}, self.line[m], self.rows_read, dict(self.excluded))


def read_alliances(path: Path | str, coding: str = "llm") -> AllianceCases:
    """The invoked commitments of an alliance table in any of ALLIANCE_FORMATS (see the coding rules above).

    ``coding`` (llm | bf) selects Berkemeier & Fuhrmann's coding; the other formats have one coding each.
    ConfigError (file, line, column) for an unrecognised table, a missing outcome column or a bad cell, and
    for a table with no invocations.
    """
    if coding not in CODINGS:
        raise ConfigError(f"coding must be one of {', '.join(CODINGS)}, got {coding!r}", None, None, "--coding")
    table = read_csv(path, strict=False)
    fmt = recognise(table, ALLIANCE_FORMATS, "alliance")
    table.check()
    reader: Callable[[CsvTable, str], AllianceCases] = _READERS[fmt.name]
    cases = reader(table, coding)
    if len(cases) == 0:
        reasons = ", ".join(f"{k} {v}" for k, v in cases.excluded.items()) or "no rows"
        raise ConfigError(f"no invocations: {cases.rows_read} rows, none a case under the rule '{cases.rule}' "
                          f"({reasons})", table.label)
    return cases


def _ids(prefix: str, values: Sequence[float]) -> np.ndarray:
    return np.array([f"{prefix}{int(v)}" for v in values], dtype=object)


def _read_berkemeier_fuhrmann(table: CsvTable, coding: str) -> AllianceCases:
    fmt = BERKEMEIER_FUHRMANN
    suffix = coding.upper()
    honour_col, violate_col = f"honor{suffix}", f"violate{suffix}"
    require_columns(table, fmt, (honour_col, violate_col), f"the outcome under --coding {coding}")
    # the most specific category first: in the replication file every such row is also coded dna (did not apply)
    categories = [c for c in (f"nonagg{suffix}", f"consul{suffix}", f"cfna{suffix}", f"dna{suffix}")
                  if c in table.header]
    keep, honoured, excluded = [], [], {}
    for i in range(len(table)):
        h = cell_choice(table, i, honour_col, (0.0, 1.0), blank=0.0, note="1 honoured")
        v = cell_choice(table, i, violate_col, (0.0, 1.0), blank=0.0, note="1 violated")
        if h == 1 and v == 1:
            raise ConfigError(f"coded both honoured ({honour_col} = 1) and violated ({violate_col} = 1)",
                              table.label, table.lines[i], violate_col)
        if h == 1 or v == 1:
            keep.append(i)
            honoured.append(h)
            continue
        reason = next((c for c in categories if cell_choice(table, i, c, (0.0, 1.0), blank=0.0) == 1), "uncoded")
        excluded[reason] = excluded.get(reason, 0) + 1
    cov: dict[str, list[float]] = {"post1945": [], "multilateral": [], **{t: [] for t in COMMITMENT_TYPES}}
    war, war_label, war_key, alliance, case_id = [], [], [], [], []
    for i in keep:
        cov["post1945"].append(1.0 - cell_choice(table, i, "sample", (0.0, 1.0), note="1 for 1816-1944"))
        cov["multilateral"].append(cell_choice(table, i, "multilateral", (0.0, 1.0)))
        for t in COMMITMENT_TYPES:
            cov[t].append(cell_choice(table, i, t, (0.0, 1.0)))
        warid = int(cell_number(table, i, "warid", lo=0, whole=True))
        atopid = int(cell_number(table, i, "atopid", lo=0, whole=True))
        name = table.rows[i].get("warname", "") or f"war {warid}"
        cow = cell_number(table, i, "cowwarid", lo=0, whole=True, blank=-1.0) if "cowwarid" in table.header else -1
        war.append(f"bf{warid}")
        war_label.append(name)
        war_key.append(f"cow{int(cow)}" if cow >= 0 else f"name:{name.lower()}")
        alliance.append(f"atop{atopid}")
        case_id.append(f"{name}/atop{atopid}")
    rule = (f"a row is a case when coded honoured ({honour_col} = 1) or violated ({violate_col} = 1); "
            "other rows are not invocations")
    return AllianceCases(
        table.label, fmt.name, fmt.title, coding, rule, np.array(case_id, dtype=object),
        np.array(war, dtype=object), np.array(war_label, dtype=object), np.array(war_key, dtype=object),
        np.array(alliance, dtype=object), np.array(honoured), {k: np.array(v) for k, v in cov.items()},
        np.array([table.lines[i] for i in keep]), len(table), excluded)


LEEDS_ANAC_COVARIATES = ("milinst", "formal", "chcap2d", "dinstch2")


def _read_leeds_anac(table: CsvTable, coding: str) -> AllianceCases:
    fmt = LEEDS_ANAC
    require_columns(table, fmt, ("honor3",), "the outcome: 1 honoured, 0 violated")
    require_columns(table, fmt, ("war", "atopid", "ccode1", "bilat", *LEEDS_ANAC_COVARIATES))
    keep, honoured, excluded = [], [], {}
    for i in range(len(table)):
        h = cell_choice(table, i, "honor3", (0.0, 1.0), blank=-1.0, note="1 honoured, 0 violated")
        if h < 0:
            excluded["honor3 blank"] = excluded.get("honor3 blank", 0) + 1
            continue
        keep.append(i)
        honoured.append(h)
    cov: dict[str, list[float]] = {"post1945": [], "multilateral": [], **{c: [] for c in LEEDS_ANAC_COVARIATES}}
    war, war_key, alliance, case_id = [], [], [], []
    for i in keep:
        w = int(cell_number(table, i, "war", lo=1, whole=True))
        atopid = int(cell_number(table, i, "atopid", lo=0, whole=True))
        ccode = int(cell_number(table, i, "ccode1", lo=0, whole=True))
        cov["post1945"].append(float(w >= FIRST_POST_1945_COW_WAR))
        cov["multilateral"].append(1.0 - cell_choice(table, i, "bilat", (0.0, 1.0), note="1 bilateral"))
        cov["milinst"].append(cell_choice(table, i, "milinst", (0.0, 1.0, 2.0)))
        cov["formal"].append(cell_choice(table, i, "formal", (0.0, 1.0, 2.0)))
        cov["chcap2d"].append(cell_choice(table, i, "chcap2d", (0.0, 1.0)))
        cov["dinstch2"].append(cell_choice(table, i, "dinstch2", (0.0, 1.0)))
        war.append(f"cow{w}")
        war_key.append(f"cow{w}")
        alliance.append(f"atop{atopid}")
        case_id.append(f"cow{w}/atop{atopid}/state{ccode}")
    rule = "every row with honor3 coded (1 honoured, 0 violated) is a case"
    return AllianceCases(
        table.label, fmt.name, fmt.title, "honor3", rule, np.array(case_id, dtype=object), np.array(war, dtype=object),
        np.array([f"COW war {k[3:]}" for k in war], dtype=object), np.array(war_key, dtype=object),
        np.array(alliance, dtype=object), np.array(honoured), {k: np.array(v) for k, v in cov.items()},
        np.array([table.lines[i] for i in keep]), len(table), excluded)


def _read_accord(table: CsvTable, coding: str) -> AllianceCases:
    fmt = ACCORD_GUARANTEES
    require_columns(table, fmt, ("honoured",), "the outcome: 1 honoured, 0 not")
    require_columns(table, fmt, ("case_id", *ACCORD_FEATURES))
    has_year = "year_tested" in table.header
    cov: dict[str, list[float]] = {**({"post1945": []} if has_year else {}), **{c: [] for c in ACCORD_FEATURES}}
    honoured, war, case_id = [], [], []
    for i in range(len(table)):
        for column in ACCORD_FEATURES:
            lo, hi = ACCORD_RANGES[column]
            cov[column].append(cell_number(table, i, column, lo=lo, hi=hi))
        if has_year:
            year = cell_number(table, i, "year_tested", lo=1800, hi=2100, whole=True)
            cov["post1945"].append(float(year >= 1945))
        honoured.append(cell_choice(table, i, "honoured", (0.0, 1.0), note="1 honoured"))
        case_id.append(table.rows[i]["case_id"] or f"line{table.lines[i]}")
        war.append(table.rows[i].get("case") or case_id[-1])
    return AllianceCases(
        table.label, fmt.name, fmt.title, "honoured", "every row is a commitment tested by an attack",
        np.array(case_id, dtype=object), np.array(war, dtype=object), np.array(war, dtype=object),
        np.array([f"accord:{w.lower()}" for w in war], dtype=object), np.array(case_id, dtype=object),
        np.array(honoured), {k: np.array(v) for k, v in cov.items()}, np.array(table.lines), len(table), {})


_READERS: dict[str, Callable[[CsvTable, str], AllianceCases]] = {
    BERKEMEIER_FUHRMANN.name: _read_berkemeier_fuhrmann,
    LEEDS_ANAC.name: _read_leeds_anac,
    ACCORD_GUARANTEES.name: _read_accord,
}


# ============================================================================ durability (issue 14)
# Spell tables for survival models of peace: the UCDP Peace Agreement Dataset (one spell per agreement), the
# Correlates of War inter-state wars (one spell per pair of states after each war they fought each other)
# and a generic table of durations and events. Owned by the durability work; other readers go in their own
# sections of this file.

DAYS_PER_YEAR = 365.25

#: End of the termination coding of UCDP Peace Agreement Dataset v22.1: agreements not coded as ended are
#: censored here. Not the dataset's 2021: the shipped file codes no termination after 2014-10-13, though
#: 187 of its agreements were still at risk in every year 2015-2021 (terminations per calendar year 2009-2014:
#: 0, 1, 2, 2, 1, 1). The piecewise hazard by time since signature, fitted to the follow-up to 2014, predicts
#: 7.9 terminations among them in 2015-2021 and 3.4 in 2015-2017; none is coded (Poisson probabilities 0.0004
#: and 0.03, so the `noconf17` column's hint of coding to 2017 is not borne out either). Censoring later than
#: the coding ran would count years in which a termination could not have been recorded as years at peace;
#: censoring at the end of the last year with a coded termination only drops follow-up. Kaplan-Meier at 1, 2,
#: 5 and 10 years: 77.2, 72.3, 66.0, 61.9% censored at 2014; 77.2, 72.3, 66.0, 62.0% at 2017 or 2021.
UCDP_END_OF_COVERAGE = dt.date(2014, 12, 31)
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
    """Header and (line number, row) pairs of a CSV file, through the shared ``read_csv``."""
    table = read_csv(path)
    return list(table.header), list(zip(table.lines, table.rows))


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
        return cow_pair_spells(read_cow_participants(path, header, rows), _label(path))
    if kind == "table":
        return _table_spells(path, header, rows)
    raise ConfigError(
        "no recognised duration and event columns; expected a UCDP peace-agreement table (pa_date, ended, "
        "duration), a COW inter-state war table (WarNum, ccode, Side, StartYear1, EndYear1, ...) or a table with "
        f"a duration column ({' or '.join(TABLE_DURATION_COLUMNS)}, in years) and an event column "
        f"({', '.join(TABLE_EVENT_COLUMNS)}: 1 ended, 0 censored); found: {', '.join(header[:12])}"
        + (" ..." if len(header) > 12 else ""), _label(path), 1)


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
    agreement not coded as ended is censored at the end of the termination coding, 2014-12-31
    (UCDP_END_OF_COVERAGE says why), or at the end of the last year with a coded termination if a table codes
    later ones (a newer UCDP version; the run says so). An end date before the signature is an error, except
    UCDP's year-only precision: an end coded 1 January of the signature year (the day unknown, the year known)
    is read as the middle of the rest of that year, and the run says so. An end on the day of signature counts
    as half a day.
    """
    label = _label(Path(path))
    if not rows:
        raise ConfigError("no agreements in the table", label, 2)
    ids, signed_on, ended_on, lines, years, groups, notes = [], [], [], [], [], [], []
    cov: dict[str, list[float]] = {k: [] for k in UCDP_COVARIATES}
    for line, row in rows:
        signed = _date(row.get("pa_date", ""), label, line, "pa_date")
        ended = _ucdp_ended(row.get("ended", ""), label, line)
        raw_end = row.get("duration", "")
        if ended and not raw_end.strip():
            raise ConfigError("ended is True but no end date is given; expected a date YYYY-MM-DD", label, line,
                              "duration")
        case = row.get("paid") or f"line{line}"
        end = None
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
        ids.append(str(case))
        signed_on.append(signed)
        ended_on.append(end)
        lines.append(line)
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
    end_cover = UCDP_END_OF_COVERAGE
    latest = max((e for e in ended_on if e is not None), default=None)
    if latest is not None and latest > end_cover:
        end_cover = dt.date(latest.year, 12, 31)
        notes.append(f"a termination is coded on {latest}, after {UCDP_END_OF_COVERAGE}: agreements not coded as "
                     f"ended are censored at {end_cover}, the end of the last year with a coded termination")
    durations = []
    for signed, end, line in zip(signed_on, ended_on, lines):
        if signed > end_cover:
            raise ConfigError(f"signature {signed} is after the end of the termination coding {end_cover}", label,
                              line, "pa_date")
        days = max((end - signed).days, 0.5) if end is not None else (end_cover - signed).days
        durations.append(days / DAYS_PER_YEAR)
    rules = (
        "one spell per agreement: peace starts at the signature (pa_date)",
        "it ends at the termination date (duration) when the agreement is coded as ended",
        (f"agreements not coded as ended are censored at {end_cover}, the end of the termination coding (no "
         "termination is coded after 2014-10-13 though 187 agreements stayed at risk to 2021: "
         "scenarios/reference.py, UCDP_END_OF_COVERAGE)"),
        "agreements of one conflict (conflict_id) form one group: a robust variance and a split keep them together",
    )
    return Spells("ucdp", label, np.array(ids), np.array(durations), np.array([e is not None for e in ended_on]),
                  np.array(years, dtype=int), np.array(groups), {k: np.array(v) for k, v in cov.items()},
                  end_cover, rules, tuple(notes), dict(UCDP_COVARIATES))


# ------------------------------------------------------------------------------------------ COW


@dataclass(frozen=True)
class Participation:
    """One state's part in one COW inter-state war: its side, its phases of fighting, its battle deaths
    (``BatDeath``; None when COW codes it unknown, -9)."""

    war: int
    war_name: str
    ccode: int
    state: str
    side: int
    phases: tuple[tuple[dt.date, dt.date], ...]
    outcome: int
    line: int
    deaths: float | None = None

    @property
    def start(self) -> dt.date:
        return self.phases[0][0]


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
    label = _label(Path(path))
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
        raw = row.get("BatDeath", "").strip()
        try:
            deaths: float | None = float(raw) if raw else None
        except ValueError:
            raise ConfigError(f"expected a number of battle deaths (-9 unknown), got {raw!r}", label, line,
                              "BatDeath") from None
        if deaths is not None and deaths < 0:
            deaths = None  # -9: unknown
        out.append(Participation(ints["WarNum"], row.get("WarName", ""), ints["ccode"], row.get("StateName", ""),
                                 ints["Side"], tuple(sorted(phases)), ints["Outcome"], line, deaths))
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


#: Principal belligerents (Fortna 2004, Data Notes to the Cease-Fires Data Set, note 1: "states whose troop
#: contribution was at least 1/10th the number contributed by the largest troop provider"; the Korean War is
#: then 4 dyads, not 28). COW's file has no troop numbers: accord uses battle deaths per participant.
PRINCIPAL_SHARE = 0.1


def _one_side_per_state(members: list[Participation]) -> tuple[list[Participation], list[str]]:
    """A state on both sides of one war (COW codes Vichy France, Italy 1943, Romania and Bulgaria 1944 as a
    second participation on the other side) keeps the participation that began first; the later one, on the
    other side, is dropped (its switch is not a war between the state and its former allies in COW's sense,
    and keeping it makes pairs of states that never fought each other). Returns the kept rows and notes."""
    by_state: dict[int, list[Participation]] = {}
    for p in members:
        by_state.setdefault(p.ccode, []).append(p)
    kept, notes = [], []
    for rows in by_state.values():
        first = min(rows, key=lambda p: (p.start, p.line))
        for p in rows:
            if p.side == first.side:
                kept.append(p)
            else:
                notes.append(f"war {p.war} ({p.war_name}): {p.state} on side {p.side} from {p.start} (line {p.line}) "
                             f"dropped: the state entered the war on side {first.side} on {first.start}")
    return sorted(kept, key=lambda p: p.line), notes


def _principals(members: list[Participation]) -> tuple[list[Participation], list[str]]:
    """The principal belligerents of one war: on each side, the states whose battle deaths are at least
    PRINCIPAL_SHARE of the largest on that side. A state whose deaths COW codes unknown is not principal,
    unless no state of its side has known deaths (then the whole side is)."""
    kept, notes = [], []
    for side in (1, 2):
        rows = [p for p in members if p.side == side]
        known = [p.deaths for p in rows if p.deaths is not None]
        if not known:
            kept += rows
            continue
        floor = PRINCIPAL_SHARE * max(known)
        for p in rows:
            if p.deaths is not None and p.deaths >= floor:
                kept.append(p)
            elif p.deaths is None:
                notes.append(f"war {p.war} ({p.war_name}): {p.state}'s battle deaths are unknown (-9): not a principal "
                             "belligerent")
    return kept, notes


def cow_pair_spells(participants: list[Participation], source: str = "",
                    coverage_end: dt.date = COW_END_OF_COVERAGE) -> Spells:
    """Spells of peace between pairs of principal belligerents after the inter-state wars they fought.

    Rules (stated in the output; tests/test_durability.py checks each on a small table):

    * one side per state: a state on both sides of one war keeps the participation that began first; its
      later participation on the other side (Vichy France 1940-41, Italy from October 1943, Romania and
      Bulgaria from September 1944) is dropped;
    * principal belligerents (Fortna 2004, Data Notes, note 1, who uses troop contributions): on each side,
      the states whose battle deaths (COW ``BatDeath``) are at least a tenth of the largest on that side;
      a state with unknown deaths is not principal unless its whole side is unknown. Battle deaths stand in for
      troops, which the file does not give: in World War II the Soviet Union's 7.5 million deaths leave the
      United States and the United Kingdom below the line (Fortna's data start in 1946);
    * a pair is a principal on side 1 and a principal on side 2 whose phases of participation overlap in time;
      their war ends on the last day both were in it (the end of the last overlap of their phases); peace
      between them starts the next day;
    * recurrence: the same two states next principals on opposite sides of a later war, from the first day
      both are in it; COW's dates are each state's dates in the war, not against a given enemy, so the date is
      the first day the two could have fought;
    * continuation: when another war of the pair began (its first participant's start) before the pair's peace
      started and the pair was still in it after that day, e.g. the Third Sino-Japanese War (to 1941-12-06)
      merging into World War II (begun 1939), or a war fought inside a longer one, the pair's fighting went on:
      no spell follows the earlier war, and the later war is not a recurrence (their peace starts after it);
      the run lists these;
    * otherwise the spell is censored at the end of COW v4.0's coverage (2007-12-31). A state that ceased
      to exist stays at risk until then (the file does not carry state-system membership);
    * the group of a spell (for robust variances and splits) joins the spells that share a war or a pair of
      states: pairs from one war are not independent, nor are one pair's spells after successive wars.
    """
    by_war: dict[int, list[Participation]] = {}
    for p in participants:
        by_war.setdefault(p.war, []).append(p)
    notes: list[str] = []
    war_start: dict[int, dt.date] = {}
    war_name: dict[int, str] = {}
    fights: dict[tuple[int, int], list[tuple[dt.date, dt.date, int, float]]] = {}
    names: dict[int, str] = {}
    n_states = n_principal = 0
    for war, members in sorted(by_war.items()):
        war_start[war] = min(p.start for p in members)
        war_name[war] = members[0].war_name
        one_side, dropped = _one_side_per_state(members)
        principal, unknown = _principals(one_side)
        notes += dropped + unknown
        n_states += len(one_side)
        n_principal += len(principal)
        for p in principal:
            names.setdefault(p.ccode, p.state)
        for a in principal:
            for b in principal:
                if a.side != 1 or b.side != 2:
                    continue
                spans = _overlaps(a.phases, b.phases)
                if not spans:
                    continue
                key = (min(a.ccode, b.ccode), max(a.ccode, b.ccode))
                decisive = 1.0 if {a.outcome, b.outcome} == {1, 2} else 0.0
                fights.setdefault(key, []).append((spans[0][0], spans[-1][1], war, decisive))
    ids, durations, events, years, links = [], [], [], [], []
    cov: dict[str, list[float]] = {k: [] for k in COW_COVARIATES}
    for (c1, c2), wars in sorted(fights.items()):
        wars.sort()
        for _first, end, war, decisive in wars:
            peace = end + dt.timedelta(days=1)
            if peace > coverage_end:
                continue
            # a war of the pair begun before this peace, in which they were still at war after it: fighting went on
            # (two such wars ending the same day give one spell, after the later-numbered war)
            going_on = [w for _s, e, w, _d in wars
                        if w != war and war_start[w] < peace and (e > end or (e == end and w > war))]
            if going_on:
                w = going_on[0]
                notes.append(f"{names[c1]} - {names[c2]}: when war {war} ({war_name[war]}) ended for them on {end}, "
                             f"they were still at war in war {w} ({war_name[w]}, begun {war_start[w]}): no spell "
                             f"after war {war}, and war {w} is not a recurrence")
                continue
            later = [s for s, _e, w, _d in wars if w != war and s > end]
            if later:
                days, ended = (min(later) - peace).days, True
            else:
                days, ended = (coverage_end - peace).days, False
            ids.append(f"{war}:{c1}-{c2}")
            durations.append(max(days, 0.5) / DAYS_PER_YEAR)
            events.append(ended)
            years.append(peace.year)
            links.append((war, (c1, c2)))
            cov["decisive"].append(decisive)
            cov["post1945"].append(1.0 if end.year >= 1945 else 0.0)
    if not ids:
        raise ConfigError("no pair of principal belligerents fought on opposite sides at the same time", source or None)
    groups = _linked_groups(links)
    rules = (
        "one side per state: a state on both sides of one war keeps the participation that began first",
        (f"principal belligerents: on each side, the states with at least {PRINCIPAL_SHARE:.0%} of the side's largest "
         "battle deaths (Fortna 2004's rule, with battle deaths for troops); "
         f"{n_principal} of {n_states} participations"),
        "a pair: principals on opposite sides of one war whose participation overlapped in time",
        "peace starts the day after the last day both were in the war",
        ("recurrence: the same two states next principals on opposite sides of a later war (from the first day both "
         "are in it)"),
        ("continuation: another war of the pair, begun before their peace started and still fought by both after "
         "it, continues the fighting: no spell after the earlier war, no recurrence"),
        (f"pairs with no later war between them are censored at the end of COW v4.0's coverage, {coverage_end}; "
         "states that ceased to exist stay at risk until then"),
        (f"spells that share a war or a pair of states form one group ({np.unique(groups).size} groups): a robust "
         "variance and a split keep them together"),
    )
    return Spells("cow", source, np.array(ids), np.array(durations), np.array(events, dtype=bool),
                  np.array(years, dtype=int), groups, {k: np.array(v) for k, v in cov.items()},
                  coverage_end, rules, tuple(notes), dict(COW_COVARIATES))


def _linked_groups(links: list[tuple[int, tuple[int, int]]]) -> np.ndarray:
    """Group labels joining spells that share a war or a pair (connected components, union-find); a group is
    named by its earliest war number."""
    parent: dict[Any, Any] = {}

    def find(x: Any) -> Any:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for war, pair in links:
        a, b = find(("war", war)), find(("pair", pair))
        if a != b:
            parent[b] = a
    first: dict[Any, int] = {}
    for war, _pair in links:
        root = find(("war", war))
        first[root] = min(first.get(root, war), war)
    return np.array([f"w{first[find(('war', war))]}" for war, _pair in links])


# ---------------------------------------------------------------------------------------- table


def _table_spells(path: Path, header: list[str], rows: list[tuple[int, dict[str, str]]]) -> Spells:
    """A generic table: a duration in years, an event flag, optional id, group, start_year and 0/1 covariates
    named as in UCDP_COVARIATES or COW_COVARIATES."""
    label = _label(Path(path))
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


# ============================================================================== CDB90 battles (issue 19)
# The CAA Database of Battles, version 1990 (CDB90; US Army Concepts Analysis Agency, CAA-SR-84-6, 1984;
# Helmbold 1993, 1995), in its original wide layout (configs/reference/battles_cdb90.csv; codebook
# configs/reference/battles_cdb90_definitions.csv). Coding rules, all here:
#   STRA, STRD   personnel strength of attacker, defender; -1 is the codebook's "not available": the battle is
#                left out, counted; zero or any other negative value is an error
#   WINA         1 attacker won, -1 attacker lost, 0 draw, -9 unknown (the fits leave out draws and unknown
#                outcomes and count them); any other code is an error
#   POST1        defender's main posture: HD hasty, PD prepared, FD fortified, DL delaying, WD withdrawal
#                (DL and WD read as one "delaying" posture), OO not available (left out of the fits, counted)
#   AEROA        attacker's theatre air superiority: 1, 0, -1; 9 unknown, read as 0 (neither side)
#   WOFD1        defender's front width at the start, km (-1 or blank: unknown)
#   KMDA         distance the attacker advanced (negative: retreated), km (-9999 or blank: unknown)
#   NOATP, ATPB*/ATPE*  the active time periods' begin and end dates (year, month, day); the duration is the
#                number of calendar days covered by the union of the periods (unknown if a date is invalid)
#   ISQNO, WAR, NAME  identifiers; WAR groups battles for cross-validation; ATPBYR1 the year it began

CDB90 = Format("cdb90", "CDB90 (CAA Database of Battles)", ("WINA",))
CDB90_REQUIRED = ("STRA", "STRD", "WINA", "POST1")
CDB90_OUTCOMES = (1.0, -1.0, 0.0, -9.0)
CDB90_POSTURES = {"HD": MB.HASTY, "PD": MB.PREPARED, "FD": MB.FORTIFIED, "DL": MB.DELAYING, "WD": MB.DELAYING,
                  "OO": MB.UNKNOWN}
STRENGTH_NOT_AVAILABLE = -1.0


@dataclass(frozen=True)
class BattleRecord:
    """A CDB90 table read: the battles with both strengths known, and what was left out (and why)."""

    path: str
    battles: MB.Battles
    excluded: dict[str, int] = field(default_factory=dict)


def _cdb90_duration_days(row: dict[str, str]) -> float:
    """Calendar days covered by the union of a battle's active periods (NaN if any date is unreadable)."""
    try:
        periods = int(float(row.get("NOATP") or "1"))
        days: set[dt.date] = set()
        for k in range(1, max(periods, 1) + 1):
            begin = dt.date(*(int(float(row[f"ATPB{p}{k}"])) for p in ("YR", "MN", "DA")))
            end = dt.date(*(int(float(row[f"ATPE{p}{k}"])) for p in ("YR", "MN", "DA")))
            if end < begin:
                return float("nan")
            days.update(begin + dt.timedelta(i) for i in range((end - begin).days + 1))
    except (KeyError, ValueError, TypeError):
        return float("nan")
    return float(len(days)) if days else float("nan")


def _cdb90_strength(table: CsvTable, i: int, column: str) -> float:
    raw = table.rows[i].get(column, "")
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not (np.isfinite(value) and (value > 0 or value == STRENGTH_NOT_AVAILABLE)):
        raise ConfigError(f"strength {raw!r}; allowed: personnel > 0, or -1 (not available)", table.label,
                          table.lines[i], column)
    return value


def read_cdb90(path: Path | str) -> BattleRecord:
    """Read a CDB90 table (the wide CAA layout: at least STRA, STRD, WINA and POST1) into a BattleRecord, by
    the coding rules above. ConfigError (naming the line and column) for a missing strength, outcome or
    posture column, a strength that is not a number, zero, or negative other than -1, an outcome (WINA),
    posture (POST1) or air superiority (AEROA) code outside the codebook, or an unreadable WOFD1 or KMDA."""
    table = read_csv(path, strict=False)
    recognise(table, (CDB90,), "battle table")
    table.check()
    require_columns(table, CDB90, CDB90_REQUIRED, "strengths STRA, STRD; outcome WINA; defender posture POST1")
    cols: dict[str, list] = {k: [] for k in MB.Battles.__dataclass_fields__}
    excluded = {"strength_not_available": 0}
    for i, row in enumerate(table.rows):
        line = table.lines[i]
        strengths = [_cdb90_strength(table, i, c) for c in ("STRA", "STRD")]
        outcome = cell_choice(table, i, "WINA", CDB90_OUTCOMES,
                              note="1 attacker won, -1 attacker lost, 0 draw, -9 unknown")
        posture = row.get("POST1", "").upper()
        if posture not in CDB90_POSTURES:
            raise ConfigError(f"posture code {posture!r} is not in the codebook; allowed: HD, PD, FD, DL, WD, OO "
                              "(not available)", table.label, line, "POST1")
        air = cell_choice(table, i, "AEROA", (1.0, 0.0, -1.0, 9.0), blank=9.0, note="9 unknown") \
            if "AEROA" in table.header else 9.0
        front = cell_number(table, i, "WOFD1", blank=-1.0) if "WOFD1" in table.header else -1.0
        advance = cell_number(table, i, "KMDA", blank=-9999.0) if "KMDA" in table.header else -9999.0
        if STRENGTH_NOT_AVAILABLE in strengths:
            excluded["strength_not_available"] += 1
            continue
        try:
            year = float(row.get("ATPBYR1", ""))
        except ValueError:
            year = float("nan")
        cols["battle_id"].append(row.get("ISQNO") or f"line {line}")
        cols["war"].append(row.get("WAR") or f"line {line}")
        cols["name"].append(row.get("NAME", ""))
        cols["attacker_troops"].append(strengths[0])
        cols["defender_troops"].append(strengths[1])
        cols["outcome"].append(int(outcome))
        cols["posture"].append(CDB90_POSTURES[posture])
        cols["air"].append(0.0 if air == 9.0 else air)
        cols["defender_front_km"].append(front if front > 0 else float("nan"))
        cols["duration_days"].append(_cdb90_duration_days(row))
        cols["advance_km"].append(float("nan") if advance == -9999.0 else advance)
        cols["year"].append(year)
    if not cols["outcome"]:
        raise ConfigError("no battle with both strengths known", table.label)
    text_fields = ("battle_id", "war", "name")
    battles = MB.Battles(**{k: np.array(v, dtype=object if k in text_fields else
                                        int if k in ("outcome", "posture") else float) for k, v in cols.items()})
    return BattleRecord(table.label, battles, excluded)

# ========================================================================== end of CDB90 battles (issue 19)

# =========================================================================================================
# Revealed responses: what the parties said of each option (issue 15; MODELS.md section 4)

RESPONSES = Path(__file__).resolve().parent.parent / "configs" / "reference" / "responses.csv"
RESPONSE_COLUMNS = ("id", "date", "actor", "option", "response", "sign", "what_was_said", "source")
RESPONSE_SIGNS = {"accept": 1, "conditional": 0, "reject": -1}


@dataclass(frozen=True)
class Response:
    """One party's public response to one option: ``sign`` +1 accept, 0 conditional (a basis needing work; no
    side of 1/2 to check), -1 reject; ``line`` the row's line in the file."""

    id: str
    date: dt.date
    actor: str
    option: str
    response: str
    sign: int
    what_was_said: str
    source: str
    url: str
    line: int


def read_responses(path: Path | str = RESPONSES, actors: Sequence[str] | None = None,
                   options: Sequence[str] | None = None) -> list[Response]:
    """The revealed-responses table (configs/reference/responses.csv): one row per public response of a party
    (a coalition actor) to an option (a config's stem: plan_28_points, counterproposal, ...), with its date, what
    was said and its source (outlet and date). With ``actors`` / ``options`` given, a row naming any other is a
    ConfigError naming the file, line and column (as any malformed cell: a date not YYYY-MM-DD, a response not
    accept/conditional/reject, a sign that disagrees with it, a duplicate id, an empty source)."""
    table = read_csv(path)
    fmt = Format("responses", "revealed-responses", RESPONSE_COLUMNS)
    require_columns(table, fmt, RESPONSE_COLUMNS)
    out: list[Response] = []
    seen: dict[str, int] = {}
    for i, row in enumerate(table.rows):
        line = table.lines[i]

        def bad(message: str, column: str) -> ConfigError:
            return ConfigError(message, table.label, line, column)  # noqa: B023 - used at once

        rid = row["id"]
        if not rid:
            raise bad("empty id", "id")
        if rid in seen:
            raise bad(f"duplicate id {rid!r} (first on line {seen[rid]})", "id")
        seen[rid] = line
        try:
            date = dt.date.fromisoformat(row["date"])
        except ValueError:
            raise bad(f"expected a date YYYY-MM-DD, got {row['date']!r}", "date") from None
        for column, allowed, what in (("actor", actors, "actor"), ("option", options, "option")):
            if allowed is not None and row[column] not in allowed:
                raise bad(f"unknown {what} {row[column]!r}; allowed: {', '.join(allowed)}", column)
            if not row[column]:
                raise bad(f"empty {what}", column)
        response = row["response"]
        if response not in RESPONSE_SIGNS:
            raise bad(f"expected one of {', '.join(RESPONSE_SIGNS)}, got {response!r}", "response")
        sign = int(cell_choice(table, i, "sign", (-1.0, 0.0, 1.0), note="-1 reject, 0 conditional, 1 accept"))
        if sign != RESPONSE_SIGNS[response]:
            raise bad(f"sign {sign} disagrees with response {response!r} (expected {RESPONSE_SIGNS[response]})",
                      "sign")
        if not row["source"]:
            raise bad("empty source: every response needs its outlet and date", "source")
        out.append(Response(rid, date, row["actor"], row["option"], response, sign, row["what_was_said"],
                            row["source"], row.get("url", ""), line))
    return out

# ============================================================== end of revealed responses (issue 15)
