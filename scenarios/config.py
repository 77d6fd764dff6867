"""Configs: YAML files with ``extends:``, ``--set`` overrides, pydantic validation, provenance and line numbers.

A config file is YAML (safe loader). ``extends: base.yaml`` (or a list) names parents relative to the file;
mappings merge deeply, lists and scalars replace. ``--set dotted.key=value`` overrides any value after
merging; the value is parsed as YAML. Lists are addressed by index or by an item's ``name``.

Every numeric model parameter (``Param``) is a number or a distribution mapping
``{dist: uniform|normal|triangular|pert|beta|lognormal|choice|fixed, ...}``; any of them may carry
``source: "..."``. A plain number with a source is written ``{value: 600000, source: "..."}``.

Errors are raised as :class:`ConfigError`, which names the file, the line, the key path, what was wrong and
what is allowed; the CLI prints them as one line each and exits with code 2.

Hostile input (issue 16). The loader is bounded by construction: only a regular file of at most
``Limits.file_bytes``, UTF-8 (or UTF-16/32 with a byte-order mark); plain YAML only (tags refused, naming the
line); aliases, nesting and values counted while composing, and the size with every alias and ``<<`` merge
expanded measured on the node graph before anything is expanded (:func:`_compose`). Every number, in a file
or a ``--set``, follows one rule (:class:`Strict`, the base of every block and parameter spec): finite, not a
boolean, inside its field's range. After validation, a scenario module's ``check(config)`` runs, if it has one.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import math
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    GetCoreSchemaHandler,
    Tag,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError, core_schema

# reading a file (text, YAML with lines, extends) is scenarios/configfile.py's, which needs no pydantic; its names
# are this module's too, as they were before the split (issue 17)
from scenarios.configfile import (  # noqa: F401
    _PARSED,
    LIMIT_VARIABLES,
    SPEC_KEYS,
    ConfigError,
    ConfigErrors,
    KeyPath,
    Limits,
    Loc,
    _compose,
    _display,
    _is_spec,
    _kind,
    _merge,
    _over_limit,
    _read_file,
    _replaces,
    _short,
    check_tree,
    clip,
    compose_file,
    decode,
    limits,
    printable,
    read_config,
    read_text,
)

if typing.TYPE_CHECKING:
    from model import params as P

MAX_TRIALS = 1_000_000_000  # the most trials a run may ask for (run.trials, --trials)

# ------------------------------------------------------------------------------------ parameter specs

DIST_NAMES = ("fixed", "uniform", "normal", "triangular", "pert", "beta", "lognormal", "choice")


def _not_boolean(v: Any) -> Any:
    if isinstance(v, bool):
        raise PydanticCustomError("bool_not_number", "expected a number, got {value} (a boolean)",
                                  {"value": str(v).lower()})
    return v


def _reject_booleans(schema: Any) -> Any:
    """The core schema with every int and float validator refusing booleans (Python's bool is an int)."""
    if isinstance(schema, list):
        return [_reject_booleans(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    if schema.get("type") == "function-before" and schema.get("function", {}).get("function") is _not_boolean:
        return schema
    if schema.get("type") in ("int", "float"):
        return core_schema.no_info_before_validator_function(_not_boolean, schema)
    return {k: v if k in ("serialization", "metadata", "ref") else _reject_booleans(v) for k, v in schema.items()}


class Strict(BaseModel):
    """The one rule for numbers, for every config block and parameter spec (subclasses inherit it): a number
    is finite (no NaN or infinity, however YAML spells them) and never a boolean (``true`` is not 1); its range
    is its field's (``Param(lo, hi)``, ``Field(ge=, le=)``). Unknown keys are errors; values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, defer_build=True)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> Any:
        # a block already built carries its processed schema: reuse it rather than walk it again inside every
        # block that holds it (what pydantic does for models without this hook)
        built = cls.__dict__.get("__pydantic_core_schema__") if source is cls else None
        if isinstance(built, dict):
            return built
        return _reject_booleans(handler(source))


class _Spec(Strict):
    """A parameter as the config states it. ``to_dist`` gives the distribution the samplers draw from
    (model/params.py); ``support`` and ``describe`` read the spec's own numbers, so validating and showing a
    config need not import NumPy and SciPy (issue 17); tests/test_config.py checks that they agree with the
    distribution's."""

    source: str | None = Field(None, description="provenance of the value")

    def to_dist(self) -> P.Distribution:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    @property
    def uncertain(self) -> bool:
        return not isinstance(self, FixedSpec)  # every other spec's distribution is not a P.Fixed

    def support(self) -> tuple[float, float]:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover - every subclass overrides
        raise NotImplementedError


class FixedSpec(_Spec):
    dist: Literal["fixed"] = "fixed"
    value: float

    def to_dist(self) -> P.Distribution:
        from model import params as P

        return P.Fixed(self.value)

    def support(self) -> tuple[float, float]:
        return (float(self.value), float(self.value))

    def describe(self) -> str:
        return f"{self.value:g}"


class UniformSpec(_Spec):
    dist: Literal["uniform"]
    low: float
    high: float

    @model_validator(mode="after")
    def _order(self) -> UniformSpec:
        if not self.low < self.high:
            raise ValueError(f"uniform needs low < high (got low={self.low:g}, high={self.high:g})")
        return self

    def to_dist(self) -> P.Distribution:
        from model import params as P

        return P.Uniform(self.low, self.high)

    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    def describe(self) -> str:
        return f"uniform({self.low:g}, {self.high:g})"


class NormalSpec(_Spec):
    dist: Literal["normal"]
    mean: float
    sd: float = Field(gt=0)
    low: float | None = None
    high: float | None = None

    @model_validator(mode="after")
    def _order(self) -> NormalSpec:
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise ValueError(f"normal truncation needs low < high (got low={self.low:g}, high={self.high:g})")
        return self

    def to_dist(self) -> P.Distribution:
        from model import params as P

        return P.Normal(self.mean, self.sd, self.low, self.high)

    def support(self) -> tuple[float, float]:
        return (-math.inf if self.low is None else self.low, math.inf if self.high is None else self.high)

    def describe(self) -> str:
        trunc = "" if self.low is None and self.high is None else f", [{self.low}, {self.high}]"
        return f"normal({self.mean:g}, sd {self.sd:g}{trunc})"


class TriangularSpec(_Spec):
    dist: Literal["triangular"]
    low: float
    mode: float
    high: float

    @model_validator(mode="after")
    def _order(self) -> TriangularSpec:
        if not (self.low <= self.mode <= self.high and self.low < self.high):
            raise ValueError(f"{self.dist} needs low <= mode <= high, low < high "
                             f"(got {self.low:g}, {self.mode:g}, {self.high:g})")
        return self

    def to_dist(self) -> P.Distribution:
        from model import params as P

        return P.Triangular(self.low, self.mode, self.high)

    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    def describe(self) -> str:
        return f"triangular({self.low:g}, {self.mode:g}, {self.high:g})"


class PertSpec(TriangularSpec):
    dist: Literal["pert"]  # type: ignore[assignment]
    shape: float = Field(4.0, gt=0)

    def to_dist(self) -> P.Distribution:
        from model import params as P

        return P.Pert(self.low, self.mode, self.high, self.shape)

    def describe(self) -> str:
        return f"pert({self.low:g}, {self.mode:g}, {self.high:g})"


class BetaSpec(_Spec):
    dist: Literal["beta"]
    a: float = Field(gt=0)
    b: float = Field(gt=0)
    low: float = 0.0
    high: float = 1.0

    @model_validator(mode="after")
    def _order(self) -> BetaSpec:
        if not self.low < self.high:
            raise ValueError(f"beta needs low < high (got low={self.low:g}, high={self.high:g})")
        return self

    def to_dist(self) -> P.Distribution:
        from model import params as P

        return P.Beta(self.a, self.b, self.low, self.high)

    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    def describe(self) -> str:
        scale = "" if (self.low, self.high) == (0.0, 1.0) else f" on [{self.low:g}, {self.high:g}]"
        return f"beta({self.a:g}, {self.b:g}){scale}"


class LognormalSpec(_Spec):
    dist: Literal["lognormal"]
    median: float = Field(gt=0)
    sigma: float = Field(gt=0, description="standard deviation of ln X")

    def to_dist(self) -> P.Distribution:
        from model import params as P

        return P.Lognormal(self.median, self.sigma)

    def support(self) -> tuple[float, float]:
        return (0.0, math.inf)

    def describe(self) -> str:
        return f"lognormal(median {self.median:g}, sigma {self.sigma:g})"


class ChoiceSpec(_Spec):
    dist: Literal["choice"]
    values: list[float] = Field(min_length=1)
    weights: list[float] | None = None

    @model_validator(mode="after")
    def _weights(self) -> ChoiceSpec:
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError(f"choice needs one weight per value ({len(self.values)} values, {len(self.weights)} weights)")
            if any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
                raise ValueError("choice weights must be >= 0 and not all 0")
        return self

    def to_dist(self) -> P.Distribution:
        from model import params as P

        return P.Choice(tuple(self.values), tuple(self.weights or ()))

    def support(self) -> tuple[float, float]:
        return (float(min(self.values)), float(max(self.values)))

    def describe(self) -> str:
        vals = ", ".join(f"{v:g}" for v in self.values)
        if self.weights:
            return f"choice([{vals}], weights [{', '.join(f'{w:g}' for w in self.weights)}])"
        return f"choice([{vals}])"


def _dist_tag(v: Any) -> str | None:
    if isinstance(v, dict):
        tag = v.get("dist", "fixed")
        return tag if isinstance(tag, str) else None
    if isinstance(v, _Spec):
        return v.dist  # type: ignore[attr-defined]
    return "fixed" if isinstance(v, (int, float, str)) else None  # a list or null: "a number or a distribution"


def _number_to_fixed(v: Any) -> Any:
    _not_boolean(v)
    if isinstance(v, (int, float)):
        return {"value": v}
    if isinstance(v, str):
        try:
            return {"value": float(v.replace("_", ""))}
        except ValueError:
            raise ValueError(
                f"expected a number or a distribution {{dist: {'|'.join(DIST_NAMES[1:])}, ...}}, got {_short(v)}"
            ) from None
    return v


ParamSpec = Annotated[
    Annotated[FixedSpec, Tag("fixed")] | Annotated[UniformSpec, Tag("uniform")] | Annotated[NormalSpec, Tag("normal")] | Annotated[TriangularSpec, Tag("triangular")] | Annotated[PertSpec, Tag("pert")] | Annotated[BetaSpec, Tag("beta")] | Annotated[LognormalSpec, Tag("lognormal")] | Annotated[ChoiceSpec, Tag("choice")],
    Discriminator(_dist_tag),
    BeforeValidator(_number_to_fixed),
]


class _ParamSpecSchema:
    """`ParamSpec`'s core schema, generated once and handed to every parameter field (about a hundred in the
    settlement's schema, each of which made pydantic generate the eight-way tagged union anew: a third of
    building the schema, which `accord validate` and `show` pay at every start).

    pydantic inlines a definition referenced once by rewriting the referencing dict in place, so each field
    gets its own copy of the few dicts that wrap the union (the before-validator, the union, its choices and
    their references); the eight distributions' schemas are shared, as pydantic shares a built model's."""

    schema: Any = None

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> Any:
        if cls.schema is None:
            from pydantic import TypeAdapter

            cls.schema = TypeAdapter(ParamSpec).core_schema
        built = cls.schema
        outer = dict(built["schema"])  # function-before (numbers to {value: x}) around the tagged union
        union = dict(outer["schema"])
        union["choices"] = {tag: dict(ref) for tag, ref in union["choices"].items()}
        outer["schema"] = union
        return {"type": "definitions", "schema": outer, "definitions": list(built["definitions"])}


def _fmt_range(lo: float | None, hi: float | None) -> str:
    lo_s = "-inf" if lo is None else f"{lo:g}"
    hi_s = "inf" if hi is None else f"{hi:g}"
    return f"[{lo_s}, {hi_s}]"


def _support_check(lo: float | None, hi: float | None, unit: str):
    def check(spec: _Spec) -> _Spec:
        a, b = spec.support()
        if (lo is not None and a < lo) or (hi is not None and b > hi):
            what = f"value {a:g}" if a == b else f"{spec.describe()} (support {_fmt_range(a, b)})"
            hint = "" if a == b else "; truncate it (normal: low/high) or narrow it"
            raise ValueError(f"{what} is outside the allowed range {_fmt_range(lo, hi)}{' ' + unit if unit else ''}{hint}")
        return spec

    return check


def _number_check(lo: float | None, hi: float | None, unit: str):
    """A parameter given as a plain number must be finite and not a boolean; the message names its range."""
    allowed = f"a number in {_fmt_range(lo, hi)}{' ' + unit if unit else ''} or a distribution"

    def check(v: Any) -> Any:
        number = v
        if isinstance(v, dict) and "value" in v and v.get("dist", "fixed") == "fixed":  # {value: x, source: ...}
            number = v["value"]
        if isinstance(number, bool):
            raise PydanticCustomError("bool_not_number", "expected {allowed}, got {value} (a boolean)",
                                      {"allowed": allowed, "value": str(number).lower()})
        if isinstance(number, str):
            try:
                number = float(number.replace("_", ""))
            except ValueError:
                return v
        if isinstance(number, int) and abs(number) > 1e300:
            raise PydanticCustomError("finite_number", "got {value}, far too large; allowed: {allowed}",
                                      {"allowed": allowed, "value": _short(number)})
        if isinstance(number, float) and not math.isfinite(number):
            raise PydanticCustomError("finite_number", "got {value}, not a finite number; allowed: {allowed}",
                                      {"allowed": allowed, "value": _short(number)})
        return v

    return check


@dataclass(frozen=True)
class ParamInfo:
    """What a parameter's declaration says of it: allowed range, unit and meaning (see `param_info`)."""

    lo: float | None
    hi: float | None
    unit: str
    doc: str

    def range_text(self) -> str:
        return _fmt_range(self.lo, self.hi)


@dataclass(frozen=True)
class _Before:
    """``BeforeValidator(func)`` for a function of the value alone, without pydantic's look at its signature
    (inspect.signature, to tell whether it takes a ValidationInfo) for each of the ~180 validators of the
    settlement's parameter fields at every start (issue 17): the same core schema."""

    func: typing.Callable[[Any], Any]

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> Any:
        return core_schema.no_info_before_validator_function(self.func, schema=handler(source),
                                                             json_schema_input_schema=None)


@dataclass(frozen=True)
class _After:
    """``AfterValidator(func)`` for a function of the value alone, as :class:`_Before`."""

    func: typing.Callable[[Any], Any]

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> Any:
        return core_schema.no_info_after_validator_function(self.func, schema=handler(source))


def Param(lo: float | None = None, hi: float | None = None, unit: str = "", doc: str = "") -> Any:
    """The type of a model parameter: a number or a distribution, whose support must lie in [lo, hi].

    Numbers follow the one rule of :class:`Strict` (finite, not a boolean), however they are written: a plain
    number, a string like ``"1e5"``, ``{value: x}`` or a distribution's bounds."""
    desc = f"{doc} [{unit}] range {_fmt_range(lo, hi)}".strip()
    return Annotated[_ParamSpecSchema, _Before(_number_check(lo, hi, unit)), _After(_support_check(lo, hi, unit)),
                     Field(description=desc), ParamInfo(lo, hi, unit, doc)]


# ------------------------------------------------------------------------------------- config schema


class Block(Strict):
    """Base of every config block: unknown keys are errors; numbers follow :class:`Strict`'s rule; defaults are
    validated (fresh per instance)."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, allow_inf_nan=False, defer_build=True)


class RunSettings(Block):
    trials: int = Field(20_000, ge=1, le=MAX_TRIALS, description="Monte Carlo trials")
    seed: int = Field(20251120, ge=0, le=2**63 - 1, description="master seed (numpy SeedSequence entropy)")
    sampler: Literal["mc", "lhs", "sobol"] = Field("mc", description="mc | lhs | sobol")
    chunk_size: int = Field(20_000, ge=1_000, le=10_000_000, description="trials per chunk (bounds memory)")
    detail_trials: int = Field(
        100_000, ge=0, le=MAX_TRIALS,
        description=("trials (the first, in chunk order) on which costly per-trial detail outputs are computed, "
                     "e.g. the coalition's ZOPA and deal-breakers; their tables state it; 0 = none"),
    )


class ConfigBase(Block):
    """Keys every config has; each scenario extends this with its own blocks."""

    scenario: str = Field(description="which scenario runs this config (see `accord list`)")
    title: str = ""
    description: str = ""
    run: RunSettings = RunSettings()


# ------------------------------------------------------------------------------------------ overrides

EMPTY = object()  # the value of `--set KEY=` (nothing after '='): refused unless the key allows none


def split_override(text: str) -> tuple[list[str], Any]:
    """``a.b.c=value`` -> (['a', 'b', 'c'], parsed YAML value); an empty value is :data:`EMPTY`."""
    if "=" not in text:
        raise ConfigError(f"--set needs KEY=VALUE, got {_short(text)} (e.g. --set forces.ukraine_cap=800000)", "--set")
    key, raw = text.split("=", 1)
    key = key.strip()
    if not key or any(not part.strip() for part in key.split(".")):
        raise ConfigError(f"--set key {_short(key)} is not a dotted path (e.g. guarantees.us.binding)", "--set")
    if not raw.strip():
        return key.split("."), EMPTY
    try:
        value, _ = _compose(raw, f"--set {text}")
    except ConfigError as exc:  # one line of YAML: its line number says nothing
        raise ConfigError(exc.message, exc.file, exc.line if "\n" in raw.strip() else None, key) from None
    return key.split("."), value


def apply_override(data: dict, locs: dict, text: str, index: int = 0,
                   schema: type[BaseModel] | None = None) -> KeyPath:
    """Apply one ``--set`` to the merged data (in place) and record its location; returns the key path set
    (list items by index). An empty value is stored as :data:`EMPTY` for :func:`from_data` to judge. A key the
    data does not have yet is created: as the schema's default when that is a list (so that ``--set
    forces.relations_z.0=0.3`` sets one item of a list the config leaves at its default), else as a mapping."""
    parts, value = split_override(text)
    label = f"--set {text}"
    node: Any = data
    path: KeyPath = ()
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            idx = _list_index(node, part)
            if idx is None:
                names = [str(it.get("name")) for it in node if isinstance(it, dict) and "name" in it]
                allowed = f"items named {', '.join(names)}" if names else f"indices 0..{len(node) - 1}" if node else "none (the list is empty)"
                raise ConfigError(f"no list item '{clip(part)}'; allowed: {allowed}", "--set", None, ".".join(parts[: i + 1]))
            key: Any = idx
        elif isinstance(node, dict):
            key = part
            if not last and key not in node:
                default = _list_default(schema, path + (key,)) if schema is not None else None
                if default is None:
                    node[key] = {}
                    locs[path + (key,)] = (label, None)  # a block the --set creates: its errors are the --set's
                else:
                    node[key] = default  # the default items keep the enclosing block's location
        else:
            raise ConfigError(
                f"cannot go into '{clip(part)}': {'.'.join(parts[:i])} is a value ({_short(node)}), not a mapping or list",
                "--set", None, ".".join(parts[: i + 1]),
            )
        path += (key,)
        if last:
            node[key] = value
            n = len(path)
            for k in [k for k in locs if k[:n] == path]:
                del locs[k]
            locs[path] = (label, None)
        else:
            node = node[key]
    return path


def _list_default(schema: type[BaseModel], keypath: KeyPath) -> list | None:
    """The schema's default at ``keypath`` as plain data when it is a list or tuple (items that are blocks dumped
    to mappings), else None."""
    for tp in _types_at(schema, keypath[:-1]):
        if isinstance(tp, type) and issubclass(tp, BaseModel) and keypath[-1] in tp.model_fields:
            info = tp.model_fields[keypath[-1]]
            if info.is_required():
                return None
            default = info.get_default(call_default_factory=True)
            if isinstance(default, (list, tuple)):
                return [it.model_dump(exclude_unset=True) if isinstance(it, BaseModel) else copy.deepcopy(it)
                        for it in default]
    return None


def _list_index(items: list, part: str) -> int | None:
    for i, item in enumerate(items):
        if isinstance(item, dict) and str(item.get("name")) == part:
            return i
    if part.lstrip("-").isdigit() and len(part) < 20:
        i = int(part)
        if -len(items) <= i < len(items):
            return i % len(items)
    return None


def _empty_overrides(data: Any, empties: list[tuple[KeyPath, str]], schema: type[BaseModel]) -> list[str]:
    """Judge each ``--set KEY=`` with nothing after '=': an error unless the key allows none; then it is set to
    none, and the returned note says so."""
    notes = []
    for keypath, text in empties:
        _set_at(data, keypath, None)
        types_here = _types_at(schema, keypath)
        key = display_path(keypath, data)
        desc = _field_description(schema, keypath)
        if type(None) in types_here:
            notes.append(f"--set {text}: the empty value sets {key} to none{f' ({desc})' if desc else ''}; "
                         f"write {key}=null to say so without this note")
        elif types_here:
            raise ConfigError(f"empty value (an unset shell variable?); {key} does not allow none: give a value"
                              f"{f' ({desc})' if desc else ''}", f"--set {text}", None, key)
    return notes


def _get_at(data: Any, keypath: KeyPath) -> Any:
    node = data
    for k in keypath:
        try:
            node = node[k]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _set_at(data: Any, keypath: KeyPath, value: Any) -> None:
    node = data
    for k in keypath[:-1]:
        node = node[k]
    node[keypath[-1]] = value


def _types_at(schema: type[BaseModel], keypath: KeyPath) -> list[Any]:
    """The types a value at ``keypath`` may take under the schema (NoneType among them when it allows none);
    empty when the schema has no such key."""
    current: list[Any] = [schema]
    for part in keypath:
        nxt: list[Any] = []
        for tp in current:
            origin, args = typing.get_origin(tp), typing.get_args(tp)
            if origin in (list, tuple) and isinstance(part, int) and args:
                nxt.append(args[0])
            elif origin is dict and isinstance(part, str) and len(args) == 2:
                nxt.append(args[1])
            elif isinstance(tp, type) and issubclass(tp, BaseModel) and part in tp.model_fields:
                nxt.append(tp.model_fields[part].annotation)
        current = [c for tp in nxt for c in _unwrap(tp)]
    return current


def _field_description(schema: type[BaseModel], keypath: KeyPath) -> str:
    if not keypath:
        return ""
    for tp in _types_at(schema, keypath[:-1]):
        if isinstance(tp, type) and issubclass(tp, BaseModel) and keypath[-1] in tp.model_fields:
            return tp.model_fields[keypath[-1]].description or ""
    return ""


# ------------------------------------------------------------------------------------------- the config


@dataclass
class Config:
    """A validated config: the pydantic model plus what it came from."""

    model: ConfigBase
    data: dict  # the merged, overridden raw data (what the manifest stores and --from re-runs)
    locs: dict[KeyPath, Loc]
    files: list[str]
    overrides: list[str] = field(default_factory=list)
    path: str = ""
    notes: list[str] = field(default_factory=list)  # what the user should know (e.g. an empty --set read as none)

    @property
    def stem(self) -> str:
        return Path(self.path).stem if self.path else "config"

    @property
    def scenario(self) -> str:
        return self.model.scenario

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.data, sort_keys=True, default=str).encode()).hexdigest()

    def params(self) -> dict[str, tuple[_Spec, Loc | None]]:
        """Every parameter spec by display path (``forces.ukraine_cap``), with where it was set."""
        specs = walk_specs(self.model)
        paths = display_paths([keypath for keypath, _ in specs], self.data)
        return {path: (spec, lookup_loc(self.locs, keypath)) for path, (keypath, spec) in zip(paths, specs)}

    def uncertain(self) -> dict[str, P.Distribution]:
        """The uncertain parameters, in a fixed order, as distributions."""
        return {name: spec.to_dist() for name, (spec, _) in self.params().items() if spec.uncertain}


def walk_specs(obj: Any, path: KeyPath = ()) -> list[tuple[KeyPath, _Spec]]:
    """All parameter specs in a validated model, in declaration order, with their key paths."""
    out: list[tuple[KeyPath, _Spec]] = []
    if isinstance(obj, _Spec):
        out.append((path, obj))
    elif isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            out += walk_specs(getattr(obj, name), path + (name,))
    elif isinstance(obj, (list, tuple)):
        for i, item in enumerate(obj):
            out += walk_specs(item, path + (i,))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            out += walk_specs(v, path + (k,))
    return out


def _declared_info(annotation: Any) -> ParamInfo | None:
    """The ParamInfo inside a field's annotation (``Param(...)``, possibly ``| None``)."""
    if isinstance(annotation, ParamInfo):
        return annotation
    for arg in getattr(annotation, "__metadata__", ()):
        if isinstance(arg, ParamInfo):
            return arg
    for arg in typing.get_args(annotation):
        found = _declared_info(arg)
        if found is not None:
            return found
    return None


def _walk_info(obj: Any, path: KeyPath, info: ParamInfo | None, out: dict[KeyPath, ParamInfo]) -> None:
    if isinstance(obj, _Spec):
        if info is not None:
            out[path] = info
    elif isinstance(obj, BaseModel):
        for name, field_info in type(obj).model_fields.items():
            declared = next((m for m in field_info.metadata if isinstance(m, ParamInfo)), None)
            _walk_info(getattr(obj, name), path + (name,), declared or _declared_info(field_info.annotation), out)
    elif isinstance(obj, (list, tuple)):
        for i, item in enumerate(obj):
            _walk_info(item, path + (i,), info, out)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            _walk_info(v, path + (k,), info, out)


def param_info(cfg: Config) -> dict[str, ParamInfo]:
    """Every parameter's declared unit, range and meaning (from its ``Param(lo, hi, unit, doc)``), by display
    path as in `Config.params`: the one place `accord show`, the manifest and the report read units from."""
    found: dict[KeyPath, ParamInfo] = {}
    _walk_info(cfg.model, (), None, found)
    return dict(zip(display_paths(list(found), cfg.data), found.values()))


def display_path(keypath: KeyPath, data: Any) -> str:
    """Dotted key path, with list items shown by their ``name`` where they have one."""
    parts: list[str] = []
    node = data
    for k in keypath:
        if isinstance(k, int) and isinstance(node, list) and 0 <= k < len(node):
            item = node[k]
            parts.append(str(item["name"]) if isinstance(item, dict) and "name" in item else str(k))
            node = item
        else:
            parts.append(str(k))
            node = node.get(k) if isinstance(node, dict) else None
    return ".".join(parts)


def display_paths(keypaths: list[KeyPath], data: Any) -> list[str]:
    """`display_path` of each key path, each common prefix walked once (a settlement's ~500 parameters share a
    few dozen blocks: walking each path from the top was a twentieth of `accord show`, issue 17)."""
    known: dict[KeyPath, tuple[str, Any]] = {(): ("", data)}  # a prefix -> (its display path, its data)
    out = []
    for keypath in keypaths:
        n = len(keypath)
        while keypath[:n] not in known:
            n -= 1
        text, node = known[keypath[:n]]
        for i in range(n, len(keypath)):
            k = keypath[i]
            if isinstance(k, int) and isinstance(node, list) and 0 <= k < len(node):
                item = node[k]
                part = str(item["name"]) if isinstance(item, dict) and "name" in item else str(k)
                node = item
            else:
                part = str(k)
                node = node.get(k) if isinstance(node, dict) else None
            text = f"{text}.{part}" if i else part
            known[keypath[: i + 1]] = (text, node)
        out.append(text)
    return out


def lookup_loc(locs: dict[KeyPath, Loc], keypath: KeyPath) -> Loc | None:
    for n in range(len(keypath), 0, -1):
        if keypath[:n] in locs:
            return locs[keypath[:n]]
    return None


def load(
    path: str | Path,
    overrides: list[str] | tuple[str, ...] = (),
    schema_for: typing.Callable[[str], type[ConfigBase]] | None = None,
) -> Config:
    """Read, merge, override and validate a config file."""
    data, locs, files = read_config(Path(path))
    return from_data(data, locs, files, overrides, schema_for, path=str(path))


TOP_LEVEL_EXTRA = ("extends",)
MAX_ERRORS = 20  # errors reported for one config (a file of 50,000 bad keys gets the first 20)  # keys of a config file that no schema holds (read before validation)


def from_data(
    data: dict,
    locs: dict | None = None,
    files: list[str] | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    schema_for: typing.Callable[[str], type[ConfigBase]] | None = None,
    path: str = "",
) -> Config:
    """Validate already-merged data (e.g. a manifest's resolved config) after applying overrides, then run
    the scenario's own cross-field checks (``check(config)`` in its module, if it has one)."""
    label = (files or [path or "config"])[0]
    if not isinstance(data, dict):
        raise ConfigError(f"a config must be a mapping of keys, got {_kind(data)}", label, 1)
    lim = limits()
    check_tree(data, label, lim)
    data = copy.deepcopy(data)
    locs = dict(locs or {})
    if schema_for is None:
        from scenarios.registry import schema_for as default_schema_for

        schema_for = default_schema_for

    def schema_now() -> type[BaseModel] | None:  # the scenario as set so far (a --set may change it)
        named = data.get("scenario")
        return schema_for(named) if isinstance(named, str) else None

    applied = [(apply_override(data, locs, text, i, schema_now()), text) for i, text in enumerate(overrides)]
    empties = [(keypath, text) for keypath, text in applied if _get_at(data, keypath) is EMPTY]
    if overrides:
        check_tree(data, "--set", lim)
    scenario = data.get("scenario")
    if scenario is None or scenario is EMPTY:
        close = [k for k in data if isinstance(k, str) and _suggest(k, ["scenario"])]
        if close:
            loc = locs.get((close[0],), (label, None))
            raise ConfigError(f"unknown key '{clip(close[0])}' (did you mean 'scenario'?); a config names its model in "
                              "scenario: (see `accord list`)", loc[0], loc[1], clip(close[0]))
        raise ConfigError("missing required key 'scenario' (see `accord list` for the scenarios)", label, 1, "scenario")
    schema = schema_for(str(scenario)) if isinstance(scenario, str) else None
    if schema is None:
        from scenarios.registry import names

        loc = locs.get(("scenario",), (label, None))
        hint = _suggest(str(scenario), names())
        raise ConfigError(f"unknown scenario {_short(scenario)}{hint}; allowed: {', '.join(names())}", loc[0], loc[1], "scenario")
    notes = _empty_overrides(data, empties, schema)
    try:
        model = schema.model_validate(data)
    except ValidationError as exc:
        raise ConfigErrors(_explain(exc, data, locs, label, schema)) from None
    except RecursionError:
        raise ConfigError(_over_limit("nested too deeply to validate", lim.depth, "depth"), label) from None
    cfg = Config(model=model, data=data, locs=locs, files=files or [label], overrides=list(overrides), path=path,
                 notes=notes)
    _scenario_check(cfg)
    return cfg


def _scenario_check(cfg: Config) -> None:
    """The scenario module's ``check(config) -> None`` (cross-field rules pydantic cannot state alone; it
    raises ConfigError with file, line and key from ``config.locs``), when it has one."""
    from scenarios import registry

    try:
        module = registry.schema_module(cfg.scenario)
    except KeyError:  # a schema given by the caller for a scenario the registry does not know
        return
    check = getattr(module, "check", None)
    if check is not None:
        check(cfg)


# ----------------------------------------------------------------------------------- error explanation


def _suggest(bad: str, allowed: typing.Iterable[str]) -> str:
    close = difflib.get_close_matches(bad, list(allowed), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _data_path(loc: tuple, data: Any) -> KeyPath:
    """Map a pydantic error location onto the data, dropping union tags and validator names."""
    out: KeyPath = ()
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node or isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            out += (part,)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and not _is_tag(part):
            out += (part,)  # a missing or unknown key under an existing mapping
            node = None
    return out


def _is_tag(part: str) -> bool:
    return part in DIST_NAMES or "[" in part or part.startswith("function-")


def _unwrap(tp: Any) -> list[Any]:
    """The concrete classes inside Annotated / Optional / Union / list annotations."""
    origin = typing.get_origin(tp)
    if origin is Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in (Union, types.UnionType):
        return [c for a in typing.get_args(tp) for c in _unwrap(a)]
    return [tp]


def _model_at(schema: type[BaseModel], loc: tuple) -> list[type[BaseModel]]:
    """The block classes that a pydantic location points into (for listing the allowed keys)."""
    current: list[Any] = [schema]
    for part in loc:
        nxt: list[Any] = []
        for tp in current:
            origin = typing.get_origin(tp)
            if origin in (list, tuple) and isinstance(part, int):
                nxt += _unwrap(typing.get_args(tp)[0])
            elif origin is dict and isinstance(part, str):
                nxt += _unwrap(typing.get_args(tp)[1])
            elif isinstance(tp, type) and issubclass(tp, BaseModel):
                if part in tp.model_fields:
                    nxt += _unwrap(tp.model_fields[part].annotation)
                elif getattr(tp.model_fields.get("dist"), "default", None) == part or (
                    "dist" in tp.model_fields and typing.get_args(tp.model_fields["dist"].annotation) == (part,)
                ):
                    nxt.append(tp)
        if nxt:
            current = [c for tp in nxt for c in _unwrap(tp)]
    return [tp for tp in current if isinstance(tp, type) and issubclass(tp, BaseModel)]


def _explain(exc: ValidationError, data: dict, locs: dict, label: str, schema: type[BaseModel]) -> list[ConfigError]:
    errors: list[ConfigError] = []
    seen: set[tuple[KeyPath, str]] = set()
    for err in exc.errors(include_url=False):
        if len(errors) >= MAX_ERRORS:
            break
        loc = tuple(err["loc"])
        keypath = _data_path(loc, data)
        kind = err["type"]
        if (keypath, kind) in seen:
            continue
        seen.add((keypath, kind))
        where = lookup_loc(locs, keypath) or (label, None)
        key = display_path(keypath, data) or "(top level)"
        value = err.get("input")
        if kind == "extra_forbidden":
            allowed = {f for m in _model_at(schema, loc[:-1]) for f in m.model_fields}
            if len(loc) == 1:  # the top level: the keys read before validation too
                allowed |= {"scenario", *TOP_LEVEL_EXTRA}
            allowed = sorted(allowed)
            bad = clip(str(loc[-1]))
            msg = f"unknown key '{bad}'{_suggest(str(loc[-1]), allowed)}; allowed keys: {', '.join(allowed)}"
        elif kind == "missing":
            msg = f"missing required key '{loc[-1]}'"
            if where[1] is None and where[0] == label:  # a top-level block: the mapping starts at line 1
                where = (label, 1)
        elif kind == "union_tag_invalid":
            tag = err.get("ctx", {}).get("tag", "")
            msg = f"unknown distribution '{tag}'{_suggest(str(tag), DIST_NAMES)}; allowed: {', '.join(DIST_NAMES)}"
            where = lookup_loc(locs, keypath + ("dist",)) or where
            key = f"{key}.dist"
        elif kind == "union_tag_not_found" or kind == "model_attributes_type":
            msg = f"expected a number or a distribution {{dist: {'|'.join(DIST_NAMES[1:])}, ...}}, got {_short(value)}"
        elif kind in ("float_parsing", "float_type", "int_parsing", "int_type", "int_from_float"):
            want = "a whole number" if kind.startswith("int") else "a number"
            msg = f"expected {want}, got {_short(value)}"
        elif kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
            op = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}[kind]
            bound = next(iter(err.get("ctx", {}).values()), "?")
            msg = f"got {_short(value)}; must be {op} {bound}"
        elif kind == "literal_error":
            msg = f"got {_short(value)}; allowed: {err.get('ctx', {}).get('expected', '')}"
        elif kind in ("list_type", "tuple_type", "set_type", "frozen_set_type", "iterable_type", "dict_type",
                      "model_type", "mapping_type"):
            want = "a mapping of keys" if kind in ("dict_type", "model_type", "mapping_type") else "a list"
            msg = f"expected {want}, got {_short(value)}"
        elif kind in ("bool_not_number", "finite_number") and "allowed" in err.get("ctx", {}):
            msg = err["msg"]  # the parameter's own check: names its range
        elif kind == "bool_not_number":
            msg = f"expected a number, got {_short(value)} (a boolean)"
        elif kind == "finite_number":
            msg = f"got {_short(value)}, not a finite number; allowed: a finite number"
        elif kind == "invalid_key":
            msg = f"keys must be names (text), got {_short(value)}"
        elif kind in ("bool_type", "bool_parsing"):
            msg = f"expected true or false, got {_short(value)}"
        elif kind == "string_type":
            msg = f"expected text, got {_short(value)}"
        else:
            msg = err["msg"].removeprefix("Value error, ")
            if value is not None and not isinstance(value, (dict, list)) and "got" not in msg:
                msg += f" (got {_short(value)})"
        errors.append(ConfigError(msg, where[0], where[1], key))
    return errors



def is_fragment(path: str | Path) -> bool:
    """A config file with no ``scenario`` (after its own extends) is a fragment, meant to be extended. A file that
    names its scenario itself is not one: its extends are not read here (`accord validate` reads them next)."""
    head = compose_file(Path(path))[0]
    if isinstance(head, dict) and "scenario" in head:
        return False
    data, _, _ = read_config(Path(path))
    return "scenario" not in data


def validate_fragment(path: str | Path) -> tuple[list[str], int]:
    """Validate a fragment's blocks against every scenario's schema for those blocks (required keys may be
    missing: the configs that extend it supply them). Returns (files read, number of parameters)."""
    from pydantic import create_model
    from pydantic.fields import FieldInfo

    from scenarios import registry

    data, locs, files = read_config(Path(path))
    fields: dict[str, Any] = {}
    for name in registry.names():
        for key, info in registry.schema_for(name).model_fields.items():
            if key != "scenario" and key not in fields:
                fields[key] = (info.annotation | None, FieldInfo.merge_field_infos(info, default=None))
    fragment = create_model("Fragment", __base__=Block, **fields)
    try:
        model = fragment.model_validate(data)
    except ValidationError as exc:
        errors = [e for e in _explain(exc, data, locs, files[0], fragment) if not e.message.startswith("missing required key")]
        if errors:
            raise ConfigErrors(errors) from None
        return files, _count_values(data)  # the blocks validated but for keys the extending configs supply
    except RecursionError:
        raise ConfigError(_over_limit("nested too deeply to validate", limits().depth, "depth"), files[0]) from None
    return files, len(walk_specs(model))


def _count_values(node: Any) -> int:
    """Numbers and parameter mappings ({dist: ..} / {value: ..}) in a config tree."""
    if isinstance(node, dict):
        if _is_spec(node):
            return 1
        return sum(_count_values(v) for v in node.values())
    if isinstance(node, list):
        return sum(_count_values(v) for v in node)
    return int(isinstance(node, int | float) and not isinstance(node, bool))


def __getattr__(name: str) -> Any:
    """The YAML parser's names (``_Loader``, ``_PyLoader``, ...), as this module had them before the split: from
    scenarios/yamlparse.py, which imports PyYAML, when first asked for (issue 17)."""
    import scenarios.configfile

    return getattr(scenarios.configfile, name)
