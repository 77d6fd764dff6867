"""Configs: YAML files with ``extends:``, ``--set`` overrides, pydantic validation, provenance and line numbers.

A config file is YAML (safe loader). ``extends: base.yaml`` (or a list) names parents relative to the file;
mappings merge deeply, lists and scalars replace. ``--set dotted.key=value`` overrides any value after
merging; the value is parsed as YAML. Lists are addressed by index or by an item's ``name``.

Every numeric model parameter (``Param``) is a number or a distribution mapping
``{dist: uniform|normal|triangular|pert|beta|lognormal|choice|fixed, ...}``; any of them may carry
``source: "..."``. A plain number with a source is written ``{value: 600000, source: "..."}``.

Errors are raised as :class:`ConfigError`, which names the file, the line, the key path, what was wrong and
what is allowed; the CLI prints them as one line each and exits with code 2.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    model_validator,
)

from model import params as P

# ---------------------------------------------------------------------------------------------- errors


class ConfigError(Exception):
    """A bad config or override: file, line, key path, what was wrong and what is allowed."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None, key: str | None = None):
        self.message, self.file, self.line, self.key = message, file, line, key
        super().__init__(self.text())

    def text(self) -> str:
        where = ""
        if self.file:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        key = f"{self.key}: " if self.key else ""
        return f"{where}{key}{self.message}"


class ConfigErrors(ConfigError):
    """Several config errors at once (each still one line)."""

    def __init__(self, errors: list[ConfigError]):
        self.errors = errors
        Exception.__init__(self, "\n".join(e.text() for e in errors))
        self.message, self.file, self.line, self.key = errors[0].message, errors[0].file, errors[0].line, errors[0].key

    def text(self) -> str:
        return "\n".join(e.text() for e in self.errors)


# ------------------------------------------------------------------------------------ parameter specs

DIST_NAMES = ("fixed", "uniform", "normal", "triangular", "pert", "beta", "lognormal", "choice")


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    source: str | None = Field(None, description="provenance of the value")

    def to_dist(self) -> P.Distribution:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    @property
    def uncertain(self) -> bool:
        return not isinstance(self.to_dist(), P.Fixed)

    def describe(self) -> str:
        return self.to_dist().describe()


class FixedSpec(_Spec):
    dist: Literal["fixed"] = "fixed"
    value: float

    def to_dist(self) -> P.Distribution:
        return P.Fixed(self.value)


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
        return P.Uniform(self.low, self.high)


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
        return P.Normal(self.mean, self.sd, self.low, self.high)


class TriangularSpec(_Spec):
    dist: Literal["triangular"]
    low: float
    mode: float
    high: float

    @model_validator(mode="after")
    def _order(self) -> TriangularSpec:
        if not (self.low <= self.mode <= self.high and self.low < self.high):
            raise ValueError(f"triangular needs low <= mode <= high, low < high (got {self.low:g}, {self.mode:g}, {self.high:g})")
        return self

    def to_dist(self) -> P.Distribution:
        return P.Triangular(self.low, self.mode, self.high)


class PertSpec(TriangularSpec):
    dist: Literal["pert"]  # type: ignore[assignment]
    shape: float = Field(4.0, gt=0)

    def to_dist(self) -> P.Distribution:
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
        return P.Beta(self.a, self.b, self.low, self.high)


class LognormalSpec(_Spec):
    dist: Literal["lognormal"]
    median: float = Field(gt=0)
    sigma: float = Field(gt=0, description="standard deviation of ln X")

    def to_dist(self) -> P.Distribution:
        return P.Lognormal(self.median, self.sigma)


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
        return P.Choice(tuple(self.values), tuple(self.weights or ()))


def _dist_tag(v: Any) -> str | None:
    if isinstance(v, dict):
        tag = v.get("dist", "fixed")
        return tag if isinstance(tag, str) else None
    if isinstance(v, _Spec):
        return v.dist  # type: ignore[attr-defined]
    return "fixed"


def _number_to_fixed(v: Any) -> Any:
    if isinstance(v, bool):
        return {"value": float(v)}
    if isinstance(v, (int, float)):
        return {"value": v}
    if isinstance(v, str):
        try:
            return {"value": float(v.replace("_", ""))}
        except ValueError:
            raise ValueError(
                f"expected a number or a distribution {{dist: {'|'.join(DIST_NAMES[1:])}, ...}}, got {v!r}"
            ) from None
    return v


ParamSpec = Annotated[
    Annotated[FixedSpec, Tag("fixed")] | Annotated[UniformSpec, Tag("uniform")] | Annotated[NormalSpec, Tag("normal")] | Annotated[TriangularSpec, Tag("triangular")] | Annotated[PertSpec, Tag("pert")] | Annotated[BetaSpec, Tag("beta")] | Annotated[LognormalSpec, Tag("lognormal")] | Annotated[ChoiceSpec, Tag("choice")],
    Discriminator(_dist_tag),
    BeforeValidator(_number_to_fixed),
]


def _fmt_range(lo: float | None, hi: float | None) -> str:
    lo_s = "-inf" if lo is None else f"{lo:g}"
    hi_s = "inf" if hi is None else f"{hi:g}"
    return f"[{lo_s}, {hi_s}]"


def _support_check(lo: float | None, hi: float | None, unit: str):
    def check(spec: _Spec) -> _Spec:
        a, b = spec.to_dist().support()
        if (lo is not None and a < lo) or (hi is not None and b > hi):
            what = f"value {a:g}" if a == b else f"{spec.describe()} (support {_fmt_range(a, b)})"
            hint = "" if a == b else "; truncate it (normal: low/high) or narrow it"
            raise ValueError(f"{what} is outside the allowed range {_fmt_range(lo, hi)}{' ' + unit if unit else ''}{hint}")
        return spec

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


def Param(lo: float | None = None, hi: float | None = None, unit: str = "", doc: str = "") -> Any:
    """The type of a model parameter: a number or a distribution, whose support must lie in [lo, hi]."""
    desc = f"{doc} [{unit}] range {_fmt_range(lo, hi)}".strip()
    return Annotated[ParamSpec, AfterValidator(_support_check(lo, hi, unit)), Field(description=desc),
                     ParamInfo(lo, hi, unit, doc)]


# ------------------------------------------------------------------------------------- config schema


class Block(BaseModel):
    """Base of every config block: unknown keys are errors; defaults are validated (fresh per instance)."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class RunSettings(Block):
    trials: int = Field(20_000, ge=1, le=1_000_000_000, description="Monte Carlo trials")
    seed: int = Field(20251120, ge=0, le=2**63 - 1, description="master seed (numpy SeedSequence entropy)")
    sampler: Literal["mc", "lhs", "sobol"] = Field("mc", description="mc | lhs | sobol")
    chunk_size: int = Field(50_000, ge=1_000, le=10_000_000, description="trials per chunk (bounds memory)")
    detail_trials: int = Field(
        100_000, ge=0, le=1_000_000_000,
        description=("trials (the first, in chunk order) on which costly per-trial detail outputs are computed, "
                     "e.g. the coalition's ZOPA and deal-breakers; their tables state it; 0 = none"),
    )


class ConfigBase(Block):
    """Keys every config has; each scenario extends this with its own blocks."""

    scenario: str = Field(description="which scenario runs this config (see `accord list`)")
    title: str = ""
    description: str = ""
    run: RunSettings = RunSettings()


# --------------------------------------------------------------------------------------- YAML + lines

Loc = tuple[str, int | None]  # (file label, line)
KeyPath = tuple[Any, ...]


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _compose(text: str, label: str) -> tuple[Any, dict[KeyPath, Loc]]:
    """Parse YAML, returning the data and the line of every key / list item (1-based)."""
    locs: dict[KeyPath, Loc] = {}
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)  # libyaml: ~10x faster to parse (fast start)
    try:
        root = loader.get_single_node()

        def build(node: yaml.Node, path: KeyPath) -> Any:
            if isinstance(node, yaml.MappingNode):
                loader.flatten_mapping(node)
                out: dict[Any, Any] = {}
                for key_node, value_node in node.value:
                    key = loader.construct_object(key_node, deep=True)
                    line = key_node.start_mark.line + 1
                    if not isinstance(key, (str, int)):
                        raise ConfigError(f"keys must be plain names, got {key!r}", label, line)
                    if key in out:
                        raise ConfigError(
                            f"duplicate key '{key}' (first at line {locs[path + (key,)][1]})", label, line,
                            ".".join(map(str, path + (key,))),
                        )
                    locs[path + (key,)] = (label, line)
                    out[key] = build(value_node, path + (key,))
                return out
            if isinstance(node, yaml.SequenceNode):
                items = []
                for i, item in enumerate(node.value):
                    locs[path + (i,)] = (label, item.start_mark.line + 1)
                    items.append(build(item, path + (i,)))
                return items
            return loader.construct_object(node, deep=True)

        data = {} if root is None else build(root, ())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = " ".join(str(exc.problem or exc.context or "").split())
        raise ConfigError(f"malformed YAML: {problem}", label, line) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"malformed YAML: {exc}", label) from None
    finally:
        loader.dispose()
    return data, locs


def _merge(base: Any, over: Any, base_locs: dict, over_locs: dict, path: KeyPath = ()) -> Any:
    """Deep-merge mappings (``over`` wins); lists, scalars and parameter specs replace. Locations follow
    the values."""
    if isinstance(base, dict) and isinstance(over, dict) and not (_is_spec(base) or _is_spec(over)):
        out = dict(base)
        for k, v in over.items():
            if k in base:
                out[k] = _merge(base[k], v, base_locs, over_locs, path + (k,))
            else:
                out[k] = v
                _take_locs(base_locs, over_locs, path + (k,))
        return out
    _take_locs(base_locs, over_locs, path)
    return over


def _is_spec(d: dict) -> bool:
    """A parameter value written as a mapping ({dist: ...} or {value: ...}) is one value, never merged."""
    return "dist" in d or "value" in d


def _take_locs(base_locs: dict, over_locs: dict, path: KeyPath) -> None:
    n = len(path)
    for k in [k for k in base_locs if k[:n] == path and len(k) > n]:
        del base_locs[k]
    for k, v in over_locs.items():
        if k[:n] == path:
            base_locs[k] = v


def _read_file(path: Path, chain: tuple[Path, ...], ref: tuple[str, int | None, str] | None) -> tuple[dict, dict, list[str]]:
    """Read a config and its ``extends`` ancestors; returns (merged data, locations, files read)."""
    label = _display(path)
    resolved = path.resolve()
    if resolved in chain:
        cycle = " -> ".join(_display(p) for p in chain[chain.index(resolved):] + (resolved,))
        raise ConfigError(f"extends cycle: {cycle}", ref[0] if ref else label, ref[1] if ref else None, "extends")
    if not path.is_file():
        if ref:
            raise ConfigError(f"extends names '{ref[2]}', which does not exist ({label})", ref[0], ref[1], "extends")
        raise ConfigError("no such config file", label)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {exc}", label) from None
    data, locs = _compose(text, label)
    if not isinstance(data, dict):
        raise ConfigError(f"a config must be a mapping of keys, got {type(data).__name__}", label, 1)
    files = [label]
    parents = data.pop("extends", None)
    if parents is None:
        return data, locs, files
    line = locs.get(("extends",), (label, None))[1]
    if isinstance(parents, str):
        parents = [parents]
    if not isinstance(parents, list) or not all(isinstance(p, str) for p in parents):
        raise ConfigError("extends must be a file name or a list of file names", label, line, "extends")
    merged: dict = {}
    merged_locs: dict = {}
    for parent in parents:
        pdata, plocs, pfiles = _read_file(path.parent / parent, chain + (resolved,), (label, line, parent))
        merged = _merge(merged, pdata, merged_locs, plocs)
        files += [f for f in pfiles if f not in files]
    locs = {k: v for k, v in locs.items() if k != ("extends",)}
    return _merge(merged, data, merged_locs, locs), merged_locs, files


# ------------------------------------------------------------------------------------------ overrides


def split_override(text: str) -> tuple[list[str], Any]:
    """``a.b.c=value`` -> (['a', 'b', 'c'], parsed YAML value)."""
    if "=" not in text:
        raise ConfigError(f"--set needs KEY=VALUE, got {text!r} (e.g. --set forces.ukraine_cap=800000)", "--set")
    key, raw = text.split("=", 1)
    key = key.strip()
    if not key or any(not part for part in key.split(".")):
        raise ConfigError(f"--set key {key!r} is not a dotted path (e.g. guarantees.us.binding)", "--set")
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError as exc:
        raise ConfigError(f"value {raw!r} is not valid YAML: {' '.join(str(exc).split())}", "--set", None, key) from None
    return key.split("."), value


def apply_override(data: dict, locs: dict, text: str, index: int) -> dict:
    """Apply one ``--set`` to the merged data (in place) and record its location."""
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
                allowed = f"items named {', '.join(names)}" if names else f"indices 0..{len(node) - 1}"
                raise ConfigError(f"no list item '{part}'; allowed: {allowed}", "--set", None, ".".join(parts[: i + 1]))
            key: Any = idx
        elif isinstance(node, dict):
            key = part
            if not last and key not in node:
                node[key] = {}
        else:
            raise ConfigError(
                f"cannot go into '{part}': {'.'.join(parts[:i])} is a value ({node!r}), not a mapping or list",
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
    return data


def _list_index(items: list, part: str) -> int | None:
    for i, item in enumerate(items):
        if isinstance(item, dict) and str(item.get("name")) == part:
            return i
    if part.lstrip("-").isdigit():
        i = int(part)
        if -len(items) <= i < len(items):
            return i % len(items)
    return None


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
        out: dict[str, tuple[_Spec, Loc | None]] = {}
        for keypath, spec in walk_specs(self.model):
            out[display_path(keypath, self.data)] = (spec, lookup_loc(self.locs, keypath))
        return out

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
    return {display_path(k, cfg.data): v for k, v in found.items()}


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
    p = Path(path)
    data, locs, files = _read_file(p, (), None)
    return from_data(data, locs, files, overrides, schema_for, path=str(path))


def from_data(
    data: dict,
    locs: dict | None = None,
    files: list[str] | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    schema_for: typing.Callable[[str], type[ConfigBase]] | None = None,
    path: str = "",
) -> Config:
    """Validate already-merged data (e.g. a manifest's resolved config) after applying overrides."""
    import copy

    data = copy.deepcopy(data)
    locs = dict(locs or {})
    label = (files or [path or "config"])[0]
    for i, text in enumerate(overrides):
        apply_override(data, locs, text, i)
    if schema_for is None:
        from scenarios.registry import schema_for as default_schema_for

        schema_for = default_schema_for
    scenario = data.get("scenario")
    if scenario is None:
        raise ConfigError("missing required key 'scenario' (see `accord list` for the scenarios)", label, 1, "scenario")
    schema = schema_for(str(scenario)) if isinstance(scenario, str) else None
    if schema is None:
        from scenarios.registry import names

        loc = locs.get(("scenario",), (label, None))
        hint = _suggest(str(scenario), names())
        raise ConfigError(f"unknown scenario {scenario!r}{hint}; allowed: {', '.join(names())}", loc[0], loc[1], "scenario")
    try:
        model = schema.model_validate(data)
    except ValidationError as exc:
        raise ConfigErrors(_explain(exc, data, locs, label, schema)) from None
    return Config(model=model, data=data, locs=locs, files=files or [label], overrides=list(overrides), path=path)


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


def _short(v: Any) -> str:
    text = json.dumps(v, default=str) if not isinstance(v, str) else repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def _explain(exc: ValidationError, data: dict, locs: dict, label: str, schema: type[BaseModel]) -> list[ConfigError]:
    errors: list[ConfigError] = []
    seen: set[tuple[KeyPath, str]] = set()
    for err in exc.errors(include_url=False):
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
            allowed = sorted({f for m in _model_at(schema, loc[:-1]) for f in m.model_fields})
            msg = f"unknown key '{loc[-1]}'{_suggest(str(loc[-1]), allowed)}; allowed keys: {', '.join(allowed)}"
        elif kind == "missing":
            msg = f"missing required key '{loc[-1]}'"
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
        elif kind in ("list_type", "dict_type", "model_type"):
            want = {"list_type": "a list", "dict_type": "a mapping", "model_type": "a mapping of keys"}[kind]
            msg = f"expected {want}, got {_short(value)}"
        elif kind == "string_type":
            msg = f"expected text, got {_short(value)}"
        else:
            msg = err["msg"].removeprefix("Value error, ")
            if value is not None and not isinstance(value, (dict, list)) and "got" not in msg:
                msg += f" (got {_short(value)})"
        errors.append(ConfigError(msg, where[0], where[1], key))
    return errors[:20]



def is_fragment(path: str | Path) -> bool:
    """A config file with no ``scenario`` (after its own extends) is a fragment, meant to be extended."""
    data, _, _ = _read_file(Path(path), (), None)
    return "scenario" not in data


def validate_fragment(path: str | Path) -> tuple[list[str], int]:
    """Validate a fragment's blocks against every scenario's schema for those blocks (required keys may be
    missing: the configs that extend it supply them). Returns (files read, number of parameters)."""
    from pydantic import create_model
    from pydantic.fields import FieldInfo

    from scenarios import registry

    data, locs, files = _read_file(Path(path), (), None)
    fields: dict[str, Any] = {}
    for name in registry.names():
        for key, info in registry.get(name).Schema.model_fields.items():
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
    return files, len(walk_specs(model))


def _count_values(node: Any) -> int:
    """Numbers and parameter mappings ({dist: ..} / {value: ..}) in a config tree."""
    if isinstance(node, dict):
        if "dist" in node or "value" in node:
            return 1
        return sum(_count_values(v) for v in node.values())
    if isinstance(node, list):
        return sum(_count_values(v) for v in node)
    return int(isinstance(node, int | float) and not isinstance(node, bool))
