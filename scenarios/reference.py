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
* further sections (durability: UCDP peace agreements and COW wars; battles: CDB90) go below, each with its
  own header.
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
    agreement not coded as ended is censored at the end of coverage, 2021-12-31 (UCDP_END_OF_COVERAGE). An end
    date before the signature is an error, except UCDP's year-only precision: an end coded 1 January of the
    signature year (the day unknown, the year known) is read as the middle of the rest of that year, and
    the run says so. An end on the day of signature counts as half a day.
    """
    label = _label(Path(path))
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
