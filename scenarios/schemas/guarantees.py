"""The config of scenario `guarantees` (scenarios/guarantees.py): the blocks `guarantee:` (shared settings, the
record the outside view is fitted to, the shifts), `guarantees:` (one per guarantor) and `challenger:`, and the
schema of a guarantee config. No model code (scenarios/schemas/__init__.py): the record table a config names is
checked by scenarios/guarantee_record.py when it has not been read before (`record_table_reads`)."""


import hashlib
import os
import stat
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator, model_validator

from scenarios.config import Block, ConfigBase, ConfigError, Param

MAX_GUARANTORS = 10  # model.guarantees.MAX_GUARANTORS: joint probabilities enumerate 2^G subsets per trial
ROOT = Path(__file__).resolve().parent.parent.parent
# the code that reads a record table: a table that read is remembered with it (`record_table_reads`)
RECORD_READERS = (ROOT / "scenarios" / "reference.py", ROOT / "scenarios" / "guarantee_record.py")
REMEMBER_BYTES = 1 << 26  # tables larger than this are read every time (the reader says what is wrong with them)


def resolve_table(name: str | Path) -> Path:
    """A record table named in a config: absolute; else relative to the working directory if it exists
    there; else relative to accord's source tree (so configs/reference/... works from anywhere)."""
    p = Path(name)
    if p.is_absolute() or p.is_file():
        return p
    return ROOT / p


def record_table_reads(table: str, coding: str) -> None:
    """Raise ConfigError (the table's file, line and what is wrong) unless the record table a config names reads
    with this coding, as scenarios.guarantee_record.record_model reads it for a run.

    Validating a config must not cost a read of the table, and the import of the reader with NumPy, every time
    (issue 17): a table that read is remembered by a digest of its bytes, the coding and the reader's source code
    (RECORD_READERS), as an empty file in accord's cache directory (the one scenarios/durability.py keeps its
    reference fits in: $ACCORD_CACHE_DIR, else $XDG_CACHE_HOME/accord or ~/.cache/accord; ACCORD_CACHE_DIR=off
    keeps none). The same bytes read by the same code read the same, so the verdict is the reader's; a table that
    does not read is read again every time, so its error is the reader's own."""
    marker = _verdict_file(resolve_table(table), coding)
    if marker is not None and marker.is_file():
        return
    from scenarios import guarantee_record

    guarantee_record.record_model(table, coding)
    if marker is not None and marker == _verdict_file(resolve_table(table), coding):  # unchanged while it was read
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
        except OSError:  # a cache that cannot be written is skipped
            pass


def _verdict_file(path: Path, coding: str) -> Path | None:
    """Where the verdict on this table's bytes, coding and reader code is remembered; None if not remembered."""
    root = os.environ.get("ACCORD_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "accord")
    if root in ("", "0", "off"):
        return None
    h = hashlib.sha256(f"accord record table verdict 1\0{coding}\0".encode())
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size > REMEMBER_BYTES:
            return None
        h.update(Path(path).read_bytes())
        for reader in RECORD_READERS:
            h.update(reader.read_bytes())
    except OSError:
        return None
    return Path(root) / "verdicts" / h.hexdigest()[:40]


class Weights(Block):
    """Weights of the guarantor's utility, in units of the decision noise (model/guarantees.py)."""

    audience: Param(0, 5, "sigma units", "audience cost of reneging on a fully binding commitment") = 1.0
    tau: Param(0, 5, "sigma units", "value of a full tripwire (own troops on the protected soil)") = 1.5
    alpha: Param(0, 5, "sigma units", "value of a fully automatic trigger and defined response") = 0.5
    sigma: Param(0.05, 5, "utility units", "noise of the guarantor's decision") = 1.0
    baseline: Param(-5, 5, "sigma units", "constant absorbing the base rate of honouring") = 0.0
    stake_weight: Param(0, 5, "sigma units per stake point", "what one point of the stake scale is worth") = 1.0
    cost_weight: Param(0, 5, "sigma units per cost point", "what one point of the cost scale costs") = 1.0


class EscapeClause(Block):
    """A condition that voids the guarantee (e.g. 'if Ukraine strikes Moscow without cause')."""

    name: str
    p_triggered: Param(0, 1, "probability", "the condition arises genuinely before or during an attack") = 0.0
    p_manufactured: Param(0, 1, "probability", "the challenger stages or claims the condition") = 0.0
    p_accepted: Param(0, 1, "probability", "the guarantors accept a staged pretext") = 1.0


_Z = ("standard normal z_k: the record fit's coefficients per trial are b = b_hat + L z, L the Cholesky factor of their "
      "covariance; together the z are the fit's sampling uncertainty (one alone has no meaning of its own)")


def _normal(source: str) -> dict[str, Any]:
    return {"dist": "normal", "mean": 0.0, "sd": 1.0, "source": source}


def _fixed(value: float, source: str) -> dict[str, Any]:
    return {"value": value, "source": source}


def _pert(low: float, mode: float, high: float, source: str) -> dict[str, Any]:
    return {"dist": "pert", "low": low, "mode": mode, "high": high, "source": source}


class RecordDraws(Block):
    """The standard normals z of the record fit's coefficient draws b = b_hat + L z
    (model.calibration.draw_coefficients), one per coefficient in the fit's order (intercept, then the class
    covariates the table codes), drawn like any parameter: configs share them as common random numbers, and
    fixing them all at 0 gives the point estimate. Eight cover Berkemeier & Fuhrmann's class model."""

    z0: Param(None, None, "standard normal", "") = _normal(_Z)
    z1: Param(None, None, "standard normal", "") = _normal(_Z)
    z2: Param(None, None, "standard normal", "") = _normal(_Z)
    z3: Param(None, None, "standard normal", "") = _normal(_Z)
    z4: Param(None, None, "standard normal", "") = _normal(_Z)
    z5: Param(None, None, "standard normal", "") = _normal(_Z)
    z6: Param(None, None, "standard normal", "") = _normal(_Z)
    z7: Param(None, None, "standard normal", "") = _normal(_Z)


class Record(Block):
    """The outside view: the alliance table whose penalised probit fit gives each guarantor's base rate
    (scenarios/guarantee_record.py; ``accord calibrate guarantees TABLE`` shows the fit)."""

    coding: Literal["llm", "bf"] = "llm"
    table: str = "configs/reference/alliances_berkemeier_fuhrmann_2018.csv"
    link: Literal["probit"] = Field("probit", description=(
        "the fit's link: probit, the link of P(honour) = Phi(z), so the record's index and the shifts add on one "
        "scale (ridge 2.56: N(0, 1) on each slope on the logit scale; scenarios/guarantee_record.py)"))
    draws: RecordDraws = RecordDraws()

    @field_validator("table")
    @classmethod
    def _readable(cls, table: str, info: ValidationInfo) -> str:
        try:
            record_table_reads(table, info.data.get("coding", "llm"))
        except ConfigError as exc:
            raise ValueError(exc.text()) from None
        return table


_SHIFT = ("assumption: not identified by the record (Berkemeier & Fuhrmann code no stakes, costs, troop presence "
          "or bindingness: every invoked alliance is a written treaty)")


class Profile(Block):
    """The record's typical invoked commitment on the mechanism's scales: shifts are measured from it."""

    stake: Param(0, 2, "scale 0-2", "typical stake") = _fixed(1.0, (
        "assumption: 'significant' (1 on the model's scale): allies were called on for partners that mattered"))
    cost: Param(0, 2, "scale 0-2", "typical cost") = _fixed(1.5, (
        "assumption: war with a great power (1.5): 57 of the 102 invocations in the shipped Berkemeier & Fuhrmann "
        "file come from the two World Wars"))
    binding: Param(0, 1, "scale 0-1", "typical bindingness") = _fixed(0.9, (
        "the record holds written alliance treaties only (ATOP: Leeds et al. 2002): 'ratified treaty' 0.9"))
    tripwire: Param(0, 1, "share", "typical tripwire") = _fixed(0.1, (
        "assumption: few allies had troops on the partner's soil; Leeds & Anac code the top level of military "
        "institutionalisation (integrated command, troops or bases) in 16 of their 92 shipped cases"))
    automatic: Param(0, 1, "scale 0-1", "typical trigger") = _fixed(0.5, (
        "assumption: ATOP obligations name a casus foederis and leave the response to the ally (0.5)"))


class Shifts(Block):
    """Weights of the mechanism's features as shifts of the record's probit index, per unit of difference
    from the record's typical commitment (``reference``): assumptions with ranges, not fitted."""

    stake_weight: Param(0, 5, "probit units per stake point", "") = _pert(
        0.2, 0.5, 1.0, _SHIFT + "; Huth (1988): stakes matter")
    cost_weight: Param(0, 5, "probit units per cost point", "") = _pert(
        0.2, 0.5, 1.0, _SHIFT)
    audience: Param(0, 5, "probit units per unit of binding", "") = _pert(
        0.0, 0.5, 1.0, _SHIFT + "; Fearon (1997) tying hands")
    tau: Param(0, 5, "probit units per unit of tripwire", "") = _pert(
        0.0, 0.5, 1.5, (
            _SHIFT + "; Schelling (1966) tripwires; low end 0 because Leeds & Anac (2005) find no evidence that "
            "institutionalised alliances (integrated command, troops stationed) are more reliable"))
    alpha: Param(0, 5, "probit units per unit of automaticity", "") = _pert(
        0.0, 0.25, 0.75, _SHIFT)
    reference: Profile = Profile()


ERA = Literal["1816-1944", "1945-2003"]
COMMITMENT = Literal["defense", "offense", "neutral", "nonagg", "consul"]


def _as_tuple(v: Any) -> Any:
    return (v,) if isinstance(v, str) else v


class GuaranteeBlock(Block):
    """Settings shared by the guarantors of one guarantee."""

    rho: Param(0, 1, "correlation", "correlation of the guarantors' decisions (shared political will)") = 0.5
    free_riding: Param(0, 1, "share", "stake lost to the partners' share of capability (Olson & Zeckhauser)") = 0.0
    weights: Literal["calibrated", "default", "fitted"] | Weights = "calibrated"
    era: ERA = Field("1945-2003", description="the era of the record the guarantee is matched to")
    record: Record = Record()
    shifts: Shifts = Shifts()
    escape_clauses: tuple[EscapeClause, ...] = ()


class Guarantor(Block):
    """One guarantor, coded on the scales of model/guarantees.py (and configs/reference/guarantees.csv), and
    on the record's classes (commitment types, multilateral) for the calibrated model."""

    name: str
    stake: Param(0, 2, "scale 0-2", "0 none, 0.5 peripheral, 1 significant, 1.5 major, 2 vital")
    cost: Param(0, 2, "scale 0-2", "1 regional war, 1.5 war with a great power, 2 nuclear great power on its border")
    binding: Param(0, 1, "scale 0-1", "declaration 0.1, memorandum 0.2, executive agreement 0.5, treaty 0.9")
    tripwire: Param(0, 1, "share", "own troops on the protected soil (0/1 or share of the response force)") = 0.0
    automatic: Param(0, 1, "scale 0-1", "0 consultations, 0.5 trigger with discretionary response, 1 defined") = 0.0
    capability: Param(0, 1, "share", "share of the needed response this guarantor can deliver") = 1.0
    commitment: Annotated[tuple[COMMITMENT, ...], BeforeValidator(_as_tuple), Field(min_length=1)] = ("defense",)
    multilateral: Param(0, 1, "0 bilateral, 1 multilateral", "several guarantors in one instrument") = 0.0


class Challenger(Block):
    """The challenger's deterrence decision: attack if (1 - q)(V p - k) + q (V p_g - k - P) > 0
    (model.guarantees.war_payoff). In a settlement the war model supplies V p and V p_g."""

    value: Param(0, 10, "utility (V = 1 by convention)", "value of the objective") = 1.0
    p_win: Param(0, 1, "probability", "chance the attack reaches its objective against the protected state alone")
    p_win_guaranteed: Param(0, 1, "probability",
                            "chance it does against the state and a full guarantor response (p_g; capped at p_win)")
    cost_of_war: Param(0, 10, "utility (share of V)", "the challenger's cost of war k_war")
    punishment: Param(0, 10, "utility (share of V)", "cost a full guarantor response imposes")
    noise_scale: Param(0, 2, "utility (share of V)", "spread of the challenger's private assessment") = 0.1


# The world view's blocks: imported here, after the guarantee blocks, because scenarios/schemas/coalition.py imports
# this module for them (either module may be imported first).
from scenarios.schemas import coalition as C
from scenarios.schemas import forces as F
from scenarios.schemas import world as W


class Schema(ConfigBase):
    """A guarantee config: the guarantee with its own `challenger` (the deterrence inputs given directly, as in
    the historical references), or a view of a settlement's world (a config that extends one and sets
    `scenario: guarantees`): then the war model gives V p and V p_g and the war block the costs."""

    guarantee: GuaranteeBlock = GuaranteeBlock()
    guarantees: tuple[Guarantor, ...] = Field(min_length=1, max_length=MAX_GUARANTORS)
    challenger: Challenger | None = None
    terms: W.TermsBlock | None = None
    war: W.WarBlock | None = None
    forces: F.ForcesBlock | None = None
    cession: F.CessionBlock | None = None
    coalition: C.CoalitionBlock | None = None
    settlement: W.SettlementBlock | None = None

    @model_validator(mode="after")
    def _unique_names(self) -> "Schema":
        _check_names(self.guarantees)
        if self.terms is None and self.challenger is None:
            raise ValueError("a guarantee config needs a `challenger` block (the deterrence inputs), or the world's "
                             "`terms` (extend a settlement config)")
        W.require_world_blocks(self)
        return self


check = W.check_view  # the registry calls a scenario schema's `check`


def _check_names(guarantors: tuple[Guarantor, ...]) -> None:
    names = [g.name for g in guarantors]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"guarantor names must be unique (--set addresses them); repeated: {', '.join(dupes)}")
