"""Readers for the shipped reference datasets (the outside view): each published format recognised by its
columns, its coding rules in one place, turned into plain arrays and case ids for model/.

Bad input raises ConfigError naming the file, the line (the header is line 1) and the column, with what was
wrong and what the codebook allows; the CLI prints it as one line and exits with code 2.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from model import battles as MB
from scenarios.config import ConfigError

# ======================================================================================= CDB90 battles
# The CAA Database of Battles, version 1990 (CDB90; US Army Concepts Analysis Agency, CAA-SR-84-6, 1984;
# Helmbold 1993, 1995), in its original wide layout (configs/reference/battles_cdb90.csv; codebook
# configs/reference/battles_cdb90_definitions.csv). Columns read (the rest are kept out of the arrays):
#   STRA, STRD   personnel strength of attacker, defender (-1 = not available: the battle is left out, counted)
#   WINA         1 attacker won, -1 attacker lost, 0 draw, -9 unknown
#   POST1        defender's main posture: HD hasty, PD prepared, FD fortified, DL delaying, WD withdrawal,
#                OO not available
#   AEROA        attacker's theatre air superiority: 1, 0, -1, 9 unknown (read as 0, neither side)
#   WOFD1        defender's front width at the start, km (-1 = not known)
#   KMDA         distance the attacker advanced (negative: retreated), km (-9999 = unknown)
#   NOATP, ATPB*/ATPE*  the active time periods' begin and end dates (year, month, day); the duration is the
#                number of calendar days covered by the union of the periods (unknown if a date is invalid)
#   ISQNO, WAR, NAME  identifiers (WAR groups battles for cross-validation); ATPBYR1 the year it began

CDB90_REQUIRED = ("STRA", "STRD", "WINA", "POST1")
CDB90_OUTCOMES = {"1": 1, "-1": -1, "0": 0, "-9": -9}
CDB90_POSTURES = {"HD": MB.HASTY, "PD": MB.PREPARED, "FD": MB.FORTIFIED, "DL": MB.DELAYING, "WD": MB.DELAYING,
                  "OO": MB.UNKNOWN}
CDB90_AIR = {"1": 1.0, "0": 0.0, "-1": -1.0, "9": 0.0}
STRENGTH_NOT_AVAILABLE = -1.0


@dataclass(frozen=True)
class BattleRecord:
    """A CDB90 table read: the battles with both strengths known, and what was left out (and why)."""

    path: str
    battles: MB.Battles
    excluded: dict[str, int] = field(default_factory=dict)


def _number(raw: str) -> float:
    return float(raw.strip())


def _int_text(raw: str) -> str:
    """'1', '1.0', ' -1 ' -> canonical integer text; other text unchanged (stripped)."""
    text = raw.strip()
    try:
        value = float(text)
    except ValueError:
        return text
    return str(int(value)) if value.is_integer() else text


def _duration_days(row: dict[str, str]) -> float:
    """Calendar days covered by the union of a battle's active periods (NaN if any date is unreadable)."""
    try:
        periods = int(float(row.get("NOATP") or "1"))
    except ValueError:
        return float("nan")
    days: set[dt.date] = set()
    for k in range(1, max(periods, 1) + 1):
        try:
            begin = dt.date(*(int(float(row[f"ATPB{p}{k}"])) for p in ("YR", "MN", "DA")))
            end = dt.date(*(int(float(row[f"ATPE{p}{k}"])) for p in ("YR", "MN", "DA")))
        except (KeyError, ValueError, TypeError):
            return float("nan")
        if end < begin:
            return float("nan")
        days.update(begin + dt.timedelta(i) for i in range((end - begin).days + 1))
    return float(len(days)) if days else float("nan")


def read_cdb90(path: Path | str) -> BattleRecord:
    """Read a CDB90 table (the wide CAA layout; at least STRA, STRD, WINA and POST1) into a BattleRecord.

    Errors (ConfigError, naming the line and column): a missing strength, outcome or posture column; a
    strength that is not a number, zero, or negative other than -1 (the codebook's "not available", which
    leaves the battle out, counted); an outcome (WINA) or posture (POST1) code outside the codebook; an
    unreadable AEROA, WOFD1 or KMDA value. Draws and unknown outcomes are kept (codes 0, -9): the fits
    leave them out and say how many.
    """
    path = Path(path)
    label = str(path)
    if not path.is_file():
        raise ConfigError("no such battle table", label)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the battle table: {getattr(exc, 'strerror', None) or exc}", label) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [c for c in CDB90_REQUIRED if c not in header]
    if missing:
        raise ConfigError(
            f"missing column(s) {', '.join(missing)}; a CDB90 battle table needs {', '.join(CDB90_REQUIRED)} "
            "(strengths STRA, STRD; outcome WINA; defender posture POST1)", label, 1, missing[0])
    cols: dict[str, list] = {k: [] for k in MB.Battles.__dataclass_fields__}
    excluded = {"strength_not_available": 0}
    for row in reader:
        line = reader.line_num
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        strengths = []
        for column in ("STRA", "STRD"):
            raw = (row.get(column) or "").strip()
            try:
                value = _number(raw)
            except ValueError:
                raise ConfigError(f"{raw!r} is not a number; allowed: personnel > 0, or -1 (not available)",
                                  label, line, column) from None
            if not np.isfinite(value) or (value <= 0 and value != STRENGTH_NOT_AVAILABLE):
                raise ConfigError(f"strength {raw}; allowed: personnel > 0, or -1 (not available)", label, line,
                                  column)
            strengths.append(value)
        outcome = _int_text(row.get("WINA") or "")
        if outcome not in CDB90_OUTCOMES:
            raise ConfigError(f"outcome code {outcome!r} is not in the codebook; allowed: 1 (attacker won), "
                              "-1 (attacker lost), 0 (draw), -9 (unknown)", label, line, "WINA")
        posture = (row.get("POST1") or "").strip().upper()
        if posture not in CDB90_POSTURES:
            raise ConfigError(f"posture code {posture!r} is not in the codebook; allowed: HD, PD, FD, DL, WD, "
                              "OO (not available)", label, line, "POST1")
        air = _int_text(row.get("AEROA") or "9")
        if air not in CDB90_AIR:
            raise ConfigError(f"air superiority code {air!r} is not in the codebook; allowed: 1, 0, -1, 9",
                              label, line, "AEROA")
        extra = {}
        for column, unknown in (("WOFD1", -1.0), ("KMDA", -9999.0)):
            raw = (row.get(column) or "").strip()
            if not raw:
                extra[column] = float("nan")
                continue
            try:
                value = _number(raw)
            except ValueError:
                raise ConfigError(f"{raw!r} is not a number (unknown is {unknown:g})", label, line, column) from None
            extra[column] = float("nan") if value == unknown or (column == "WOFD1" and value <= 0) else value
        if STRENGTH_NOT_AVAILABLE in strengths:
            excluded["strength_not_available"] += 1
            continue
        year_text = (row.get("ATPBYR1") or "").strip()
        try:
            year = float(year_text)
        except ValueError:
            year = float("nan")
        cols["battle_id"].append((row.get("ISQNO") or str(line)).strip())
        cols["war"].append((row.get("WAR") or "").strip() or f"line {line}")
        cols["name"].append((row.get("NAME") or "").strip())
        cols["attacker_troops"].append(strengths[0])
        cols["defender_troops"].append(strengths[1])
        cols["outcome"].append(CDB90_OUTCOMES[outcome])
        cols["posture"].append(CDB90_POSTURES[posture])
        cols["air"].append(CDB90_AIR[air])
        cols["defender_front_km"].append(extra["WOFD1"])
        cols["duration_days"].append(_duration_days(row))
        cols["advance_km"].append(extra["KMDA"])
        cols["year"].append(year)
    if not cols["outcome"]:
        raise ConfigError("no battle with both strengths known", label)
    battles = MB.Battles(**{k: np.array(v, dtype=object if k in ("battle_id", "war", "name") else
                                        int if k in ("outcome", "posture") else float)
                            for k, v in cols.items()})
    return BattleRecord(label, battles, excluded)
