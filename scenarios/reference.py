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
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

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
