"""Reading a config file: its text (bounded), YAML with the line of every key, ``extends:`` merged; no validation.

The half of the config loader that needs neither pydantic nor NumPy (issue 17): `accord list` reads every shipped
config's ``scenario`` and ``title`` through it alone, and scenarios/config.py (validation, ``--set``, provenance)
builds on it. Errors are :class:`ConfigError`, naming the file, the line, the key, what was wrong and what is
allowed.

Hostile input (issue 16). The loader is bounded by construction: only a regular file of at most
``Limits.file_bytes``, UTF-8 (or UTF-16/32 with a byte-order mark); plain YAML only (tags refused, naming the
line); aliases, nesting and values counted while composing, and the size with every alias and ``<<`` merge
expanded measured on the node graph before anything is expanded (:func:`_compose`).
"""

from __future__ import annotations

import codecs
import json
import os
import stat
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
import yaml.composer
import yaml.constructor
import yaml.parser
import yaml.reader
import yaml.resolver
import yaml.scanner

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
        key = f"{clip(self.key, 120)}: " if self.key else ""
        return printable(f"{where}{key}{self.message}")


class ConfigErrors(ConfigError):
    """Several config errors at once (each still one line)."""

    def __init__(self, errors: list[ConfigError]):
        self.errors = errors
        Exception.__init__(self, "\n".join(e.text() for e in errors))
        self.message, self.file, self.line, self.key = errors[0].message, errors[0].file, errors[0].line, errors[0].key

    def text(self) -> str:
        return "\n".join(e.text() for e in self.errors)


def printable(text: str) -> str:
    """One terminal-safe line: control characters (newlines, escapes, NUL) shown as escapes, not obeyed."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def clip(text: str, n: int = 60) -> str:
    """A user-supplied string cut to ``n`` characters for a message."""
    return text if len(text) <= n else text[: n - 3] + "..."



# ---------------------------------------------------------------------------------------------- limits

Loc = tuple[str, int | None]  # (file label, line)
KeyPath = tuple[Any, ...]


@dataclass(frozen=True)
class Limits:
    """What the loader accepts; each bound is lifted by its environment variable (README, "Errors")."""

    file_bytes: int = 1 << 20  # bytes in one config file (ACCORD_MAX_CONFIG_BYTES)
    aliases: int = 1_000  # YAML aliases (*name) in one file (ACCORD_MAX_ALIASES)
    values: int = 50_000  # values of a resolved config, aliases, merges and extends expanded (ACCORD_MAX_VALUES)
    depth: int = 64  # levels of nesting (ACCORD_MAX_DEPTH, at most 200: Python's recursion limit)
    files: int = 100  # files read through `extends` for one config (ACCORD_MAX_EXTENDS, at most 500)


LIMIT_VARIABLES = {"file_bytes": "ACCORD_MAX_CONFIG_BYTES", "aliases": "ACCORD_MAX_ALIASES",
                   "values": "ACCORD_MAX_VALUES", "depth": "ACCORD_MAX_DEPTH", "files": "ACCORD_MAX_EXTENDS"}
_CEILINGS = {"depth": 200, "files": 500}  # Python's recursion limit bounds these


def limits() -> Limits:
    """The loader's limits: the defaults, or what the environment variables set."""
    values: dict[str, int] = {}
    for name, var in LIMIT_VARIABLES.items():
        text = os.environ.get(var, "").strip()
        if not text:
            continue
        ceiling = _CEILINGS.get(name, 2**62)
        try:
            number = int(text.replace("_", ""))
        except ValueError:
            number = 0
        if not 1 <= number <= ceiling:
            raise ConfigError(f"got {clip(text)!r}; allowed: a whole number from 1 to {ceiling:,}", "environment", None, var)
        values[name] = number
    return Limits(**values)


def _over_limit(what: str, limit: int, name: str) -> str:
    return f"{what}; the limit is {limit:,} (set {LIMIT_VARIABLES[name]} to lift it)"


# ------------------------------------------------------------------------------- reading a config file

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def read_text(path: Path, label: str | None = None, max_bytes: int | None = None) -> str:
    """The text of a config (or manifest) file, safely: only a regular file (not a directory, device, FIFO or
    socket: /dev/zero or a pipe never hangs the reader), at most ``max_bytes`` (default: the config file
    limit), decoded as UTF-8 (or UTF-16/32 with a byte-order mark) with an error naming the line otherwise."""
    label = label or _display(path)
    limit = max_bytes or limits().file_bytes
    too_big = _over_limit("the file is larger than a config should be", limit, "file_bytes")
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise ConfigError("is a directory; give a YAML config file", label)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError("is not a regular file (a device, pipe or socket); give a YAML config file", label)
        if info.st_size > limit:
            raise ConfigError(f"{info.st_size:,} bytes: {too_big}", label)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):  # replaced since the check
                raise ConfigError("is not a regular file; give a YAML config file", label)
            chunks, total = [], 0
            while total <= limit:
                chunk = os.read(fd, min(1 << 16, limit + 1 - total))
                if not chunk:
                    break
                chunks.append(chunk)
                total += len(chunk)
        finally:
            os.close(fd)
    except FileNotFoundError:
        raise ConfigError("no such file", label) from None
    except OSError as exc:  # permissions, a symlink loop (ELOOP), a name too long, ...
        raise ConfigError(f"cannot read: {exc.strerror or exc}", label) from None
    raw = b"".join(chunks)
    if len(raw) > limit:
        raise ConfigError(f"more than {limit:,} bytes: {too_big}", label)
    return decode(raw, label)


def decode(raw: bytes, label: str) -> str:
    """Bytes as text: UTF-8, or UTF-16/32 when a byte-order mark says so; otherwise an error naming the line."""
    encoding = next((enc for bom, enc in _BOMS if raw.startswith(bom)), "utf-8")
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].decode(encoding, errors="replace").count("\n") + 1
        name = {"utf-8-sig": "UTF-8"}.get(encoding, encoding.upper())
        raise ConfigError(f"not {name} text: byte 0x{raw[exc.start]:02x} at line {line} cannot be decoded "
                          "(a binary file?); save the config as UTF-8", label, line) from None


# --------------------------------------------------------------------------------------- YAML + lines

_CORE = "tag:yaml.org,2002:"
_PLAIN_TAGS = frozenset({"!"} | {_CORE + t for t in ("str", "int", "float", "bool", "null", "map", "seq", "merge")})


def _tag_text(tag: str | None) -> str:
    tag = tag or "?"
    return clip("!!" + tag[len(_CORE):] if tag.startswith(_CORE) else tag)


class _Resolver(yaml.resolver.Resolver):
    """YAML 1.1's implicit types without timestamps (``2025-11-21`` stays text) or ``=`` (a value key)."""

    yaml_implicit_resolvers: typing.ClassVar[dict] = {
        first: [(tag, rx) for tag, rx in resolvers if tag not in (_CORE + "timestamp", _CORE + "value")]
        for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
    }


class _BoundedComposer(yaml.composer.Composer):
    """PyYAML's composer, bounded: a limit on aliases and nesting while composing, and only the plain YAML tags
    (``!!python/...``, ``!!binary``, ``!!timestamp``, local ``!tags`` are refused, naming the line)."""

    def _bound(self, label: str, lim: Limits) -> None:
        self.label, self.lim, self.depth, self.aliases, self.nodes = label, lim, 0, 0, 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > self.lim.aliases:
                raise ConfigError(_over_limit("too many YAML aliases (*name)", self.lim.aliases, "aliases"), self.label, line)
            return super().compose_node(parent, index)
        tag = getattr(event, "tag", None)
        if tag is not None and tag not in _PLAIN_TAGS:
            raise ConfigError(f"the YAML tag {_tag_text(tag)} is not allowed: a config holds plain values (mappings, "
                              "lists, numbers, text, true/false, null); remove the tag", self.label, line)
        self.depth += 1
        self.nodes += 1
        try:
            if self.nodes > self.lim.values:  # stop composing a document too large to be a config
                raise ConfigError(_over_limit(f"more than {self.lim.values:,} values", self.lim.values, "values"),
                                  self.label, line)
            if self.depth > self.lim.depth:
                raise ConfigError(_over_limit("nested too deeply", self.lim.depth, "depth"), self.label, line)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _PyLoader(_BoundedComposer, yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser,
                yaml.constructor.SafeConstructor, _Resolver):
    """The bounded loader on PyYAML's pure-Python parser."""

    def __init__(self, text: str, label: str, lim: Limits):
        yaml.reader.Reader.__init__(self, text)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        _Resolver.__init__(self)
        self._bound(label, lim)


_Loader: type = _PyLoader
if getattr(yaml, "__with_libyaml__", False):  # libyaml's parser (C, iterative) is ~7x faster; the composer is ours

    class _CLoader(_BoundedComposer, yaml.cyaml.CParser, yaml.constructor.SafeConstructor, _Resolver):
        """The bounded loader on libyaml's parser."""

        def __init__(self, text: str, label: str, lim: Limits):
            yaml.cyaml.CParser.__init__(self, text)
            yaml.constructor.SafeConstructor.__init__(self)
            _Resolver.__init__(self)
            yaml.composer.Composer.__init__(self)
            self._bound(label, lim)

    _Loader = _CLoader


def _display(path: Path) -> str:
    try:
        return str(Path(os.path.realpath(path)).relative_to(Path.cwd().resolve()))
    except (ValueError, OSError, RuntimeError):
        return str(path)


def _compose(text: str, label: str, lim: Limits | None = None) -> tuple[Any, dict[KeyPath, Loc]]:
    """Parse YAML safely, returning the data (None for an empty document) and the line of every key and list
    item (1-based).

    Bounded by construction: aliases and nesting are limited while composing, and the size of the document
    with every alias and merge key (``<<``) expanded is computed on the node graph (each node once) before
    anything is expanded, so an alias bomb is refused in microseconds instead of exhausting memory."""
    lim = lim or limits()
    if len(text) > lim.file_bytes:
        raise ConfigError(f"more than {lim.file_bytes:,} characters: " + _over_limit("too large", lim.file_bytes, "file_bytes"), label)
    loader = None
    try:
        loader = _Loader(text, label, lim)  # PyYAML's reader checks every character here
        root = loader.get_single_node()
        if root is None:
            return None, {}
        size = _Expander(loader, label, lim).measure(root, 1)[0]
        if size > lim.values:
            raise ConfigError(_over_limit(f"more than {lim.values:,} values once its aliases and merge keys are "
                                          "expanded (an alias bomb?)", lim.values, "values"), label, root.start_mark.line + 1)
        locs: dict[KeyPath, Loc] = {}
        return _Expander(loader, label, lim).build(root, (), locs), locs
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        raise ConfigError(f"contains the control character U+{ord(char):04X} at line {line} (a binary file, or "
                          "UTF-16 without a byte-order mark?); a config is plain text", label, line) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = " ".join(str(exc.problem or exc.context or "").split())
        if "nesting depth" in problem:  # libyaml's own bound, met while it reads ahead
            raise ConfigError(_over_limit("nested too deeply", lim.depth, "depth"), label, line) from None
        raise ConfigError(f"malformed YAML: {problem}", label, line) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"malformed YAML: {' '.join(str(exc).split())}", label) from None
    except RecursionError:
        raise ConfigError(_over_limit("nested too deeply to read", lim.depth, "depth"), label) from None
    finally:
        if loader is not None and hasattr(loader, "dispose"):
            loader.dispose()


class _Expander:
    """Walks a composed YAML node graph: ``measure`` sizes it (aliases counted at every use, each node visited
    once), ``build`` expands it into plain dicts and lists with the line of every key and item."""

    def __init__(self, loader: _Loader, label: str, lim: Limits):
        self.loader, self.label, self.lim = loader, label, lim
        self.sizes: dict[int, tuple[int, int]] = {}
        self.active: set[int] = set()

    def _line(self, node: yaml.Node) -> int:
        return node.start_mark.line + 1

    def measure(self, node: yaml.Node, depth: int) -> tuple[int, int]:
        """(values under and including ``node``, capped at the limit + 1; its height), refusing cycles and
        nesting deeper than the limit once aliases are expanded."""
        if depth > self.lim.depth:
            raise ConfigError(_over_limit("nested too deeply once aliases are expanded", self.lim.depth, "depth"),
                              self.label, self._line(node))
        key = id(node)
        if key in self.active:
            raise ConfigError("a recursive alias (an anchor used inside itself); a config is a tree", self.label,
                              self._line(node))
        if key not in self.sizes:
            self.active.add(key)
            size, height = 1, 1
            if isinstance(node, yaml.MappingNode):
                children = [n for pair in node.value for n in pair]
            elif isinstance(node, yaml.SequenceNode):
                children = node.value
            else:
                children = []
            for child in children:
                s, h = self.measure(child, depth + 1)
                size, height = min(self.lim.values + 1, size + s), max(height, h + 1)
            self.active.discard(key)
            self.sizes[key] = (size, height)
        size, height = self.sizes[key]
        if depth + height - 1 > self.lim.depth:
            raise ConfigError(_over_limit("nested too deeply once aliases are expanded", self.lim.depth, "depth"),
                              self.label, self._line(node))
        return size, height

    def scalar(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise ConfigError(f"the YAML tag {_tag_text(node.tag)} does not fit a "
                              f"{'mapping' if isinstance(node, yaml.MappingNode) else 'list'}", self.label, self._line(node))
        try:
            value = self.loader.construct_object(node, deep=True)
            if isinstance(value, str):
                value.encode("utf-8")  # a lone surrogate ("\ud800") cannot be printed or written
            return value
        except UnicodeEncodeError:
            raise ConfigError("contains an invalid character (a lone UTF-16 surrogate escape such as \\ud800)",
                              self.label, self._line(node)) from None
        except yaml.MarkedYAMLError:
            raise
        except Exception as exc:  # noqa: BLE001 - e.g. `!!int 1.5`, or an integer of 10,000 digits
            why = "too many digits" if "digits" in str(exc) else clip(" ".join(str(exc).split()), 80)
            raise ConfigError(f"cannot read {clip(node.value, 40)!r} as {_tag_text(node.tag)} ({why})", self.label,
                              self._line(node)) from None

    def key(self, node: yaml.Node, path: KeyPath) -> str | int:
        where = ".".join(map(str, path)) or None
        if not isinstance(node, yaml.ScalarNode):
            raise ConfigError("keys must be plain names, not a mapping or a list", self.label, self._line(node), where)
        key = self.scalar(node)
        if isinstance(key, bool):
            raise ConfigError(f"the key {node.value!r} is read as a boolean (YAML reads yes/no/on/off/true/false so); "
                              "quote it", self.label, self._line(node), where)
        if not isinstance(key, (str, int)):
            raise ConfigError(f"keys must be plain names, got {_short(key)}", self.label, self._line(node), where)
        return key

    def build(self, node: yaml.Node, path: KeyPath, locs: dict[KeyPath, Loc]) -> Any:
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _CORE + "seq":
                raise ConfigError(f"the YAML tag {_tag_text(node.tag)} does not fit a list", self.label, self._line(node))
            items = []
            for i, item in enumerate(node.value):
                locs[path + (i,)] = (self.label, self._line(item))
                items.append(self.build(item, path + (i,), locs))
            return items
        if not isinstance(node, yaml.MappingNode):
            return self.scalar(node)
        if node.tag != _CORE + "map":
            raise ConfigError(f"the YAML tag {_tag_text(node.tag)} does not fit a mapping", self.label, self._line(node))
        out: dict[Any, Any] = {}
        merged: list[tuple[dict, dict]] = []
        for key_node, value_node in node.value:
            line = self._line(key_node)
            if key_node.tag == _CORE + "merge":  # `<<: *base` or `<<: [*a, *b]`: keys the mapping does not set
                sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                for source in sources:
                    if not isinstance(source, yaml.MappingNode):
                        raise ConfigError("a merge key (<<) takes a mapping or a list of mappings", self.label, line,
                                          ".".join(map(str, path)) or None)
                    sub_locs: dict[KeyPath, Loc] = {}
                    merged.append((self.build(source, path, sub_locs), sub_locs))
                continue
            key = self.key(key_node, path)
            if key in out:
                raise ConfigError(f"duplicate key '{clip(str(key))}' (first at line {locs[path + (key,)][1]})", self.label,
                                  line, ".".join(map(str, path + (key,))))
            locs[path + (key,)] = (self.label, line)
            out[key] = self.build(value_node, path + (key,), locs)
        n = len(path)
        for sub, sub_locs in merged:  # the mapping's own keys win, then the first merged mapping listed (YAML)
            new = {k for k in sub if k not in out}
            for k in new:
                out[k] = sub[k]
            locs.update((kp, loc) for kp, loc in sub_locs.items() if len(kp) > n and kp[n] in new)
        return out


def check_tree(data: Any, label: str, lim: Limits | None = None) -> None:
    """Refuse a resolved config (after extends, overrides, or read from a manifest) with more values or deeper
    nesting than the limits allow. Iterative: any depth is measured safely."""
    lim = lim or limits()
    count, stack = 0, [(data, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > lim.values:
            raise ConfigError(_over_limit(f"more than {lim.values:,} values in the resolved config", lim.values, "values"), label)
        if depth > lim.depth:
            raise ConfigError(_over_limit("nested too deeply", lim.depth, "depth"), label)
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
            count += len(node)
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)


_PARSED: dict[tuple, tuple[Any, dict]] = {}  # file identity -> (data, locs): a file is parsed once per process


def compose_file(path: Path, label: str | None = None, lim: Limits | None = None) -> tuple[Any, dict[KeyPath, Loc]]:
    """A config file read (:func:`read_text`) and parsed (:func:`_compose`); the caller owns the result. A file
    read again unchanged (same inode, size and times: `accord validate` reads a config to tell what it is, then
    loads it) is not parsed again."""
    label = label or _display(path)
    lim = lim or limits()
    try:
        info = os.stat(path)
        key: tuple | None = (os.path.realpath(path), info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns,
                             info.st_ctime_ns, label, lim)
        if not stat.S_ISREG(info.st_mode):
            key = None
    except OSError:
        key = None
    if key is not None and key in _PARSED:
        data, locs = _PARSED[key]
        return _copy_tree(data), dict(locs)
    data, locs = _compose(read_text(path, label, lim.file_bytes), label, lim)
    if key is not None:
        while len(_PARSED) >= 64:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[key] = (_copy_tree(data), dict(locs))
    return data, locs


def _copy_tree(node: Any) -> Any:
    """A copy of parsed config data: new mappings and lists, the same scalars (text, numbers, booleans and
    null are immutable, and a config holds nothing else); copy.deepcopy's memo made it a tenth of reading a
    config (issue 17). Its depth is bounded by the loader's limit."""
    if isinstance(node, dict):
        return {k: _copy_tree(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_copy_tree(v) for v in node]
    return node


def _merge(base: Any, over: Any, base_locs: dict, over_locs: dict) -> Any:
    """Deep-merge mappings (``over`` wins); lists, scalars and parameter specs replace. Locations follow the
    values: ``base_locs`` is updated in place to the merged data's."""
    replaced: list[KeyPath] = []

    def merge(b: Any, o: Any, path: KeyPath) -> Any:
        if isinstance(b, dict) and isinstance(o, dict) and not _replaces(b, o):
            out = dict(b)
            for k, v in o.items():
                if k in b:
                    out[k] = merge(b[k], v, path + (k,))
                else:
                    out[k] = v
                    replaced.append(path + (k,))
            return out
        replaced.append(path)
        return o

    merged = merge(base, over, ())
    prefixes = set(replaced)

    def under(kp: KeyPath) -> bool:  # a plain loop: called for every key of both files (issue 17)
        for i in range(len(kp) + 1):
            if kp[:i] in prefixes:
                return True
        return False

    if () in prefixes:
        base_locs.clear()
    else:
        for kp in [kp for kp in base_locs if under(kp)]:
            del base_locs[kp]
    base_locs.update((kp, loc) for kp, loc in over_locs.items() if under(kp))
    return merged


SPEC_KEYS = frozenset({"value", "source"})


def _is_spec(d: dict) -> bool:
    """A parameter written as a mapping: a distribution ({dist: ...}) or a number with its source
    ({value: x[, source: s]}). A block that happens to have a field named ``value`` (e.g. ``challenger:
    {value: 1, p_win: 0.5}``) has other keys too, and is not one."""
    return "dist" in d or ("value" in d and set(d) <= SPEC_KEYS)


def _replaces(base: dict, over: dict) -> bool:
    """Whether ``over`` replaces ``base`` whole rather than merging into it: a parameter value is one value.
    ``{value: x}`` over a block with other keys (a block with a field named ``value``) merges."""
    if _is_spec(base) or "dist" in over:
        return True
    return _is_spec(over) and not (set(base) - SPEC_KEYS)


def _read_file(path: Path, chain: tuple[Path, ...], ref: tuple[str, int | None, str] | None,
               budget: list[int] | None = None) -> tuple[dict, dict, list[str]]:
    """Read a config and its ``extends`` ancestors; returns (merged data, locations, files read)."""
    lim = limits()
    budget = [lim.files] if budget is None else budget
    label = _display(path)
    resolved = Path(os.path.realpath(path))
    if resolved in chain:
        cycle = " -> ".join(_display(p) for p in chain[chain.index(resolved):] + (resolved,))
        raise ConfigError(f"extends cycle: {cycle}", ref[0] if ref else label, ref[1] if ref else None, "extends")
    budget[0] -= 1
    if budget[0] < 0:
        raise ConfigError(_over_limit("extends reads too many files", lim.files, "files"),
                          ref[0] if ref else label, ref[1] if ref else None, "extends")
    if ref and not os.path.lexists(path):
        raise ConfigError(f"extends names '{clip(ref[2])}', which does not exist ({label})", ref[0], ref[1], "extends")
    try:
        data, locs = compose_file(path, label, lim)
    except ConfigError as exc:
        if ref and exc.file == label and exc.line is None:  # say which file's extends led here
            raise ConfigError(f"extends names '{clip(ref[2])}': {label}: {exc.message}", ref[0], ref[1], "extends") from None
        raise
    if data is None or data == {}:
        raise ConfigError("the config is empty; a config is a mapping of keys (scenario:, run:, and the scenario's "
                          "blocks; see configs/)", label, 1)
    if not isinstance(data, dict):
        raise ConfigError(f"a config must be a mapping of keys, got {_kind(data)}", label, 1)
    files = [label]
    parents = data.pop("extends", None)
    if parents is None:
        return data, locs, files
    line = locs.get(("extends",), (label, None))[1]
    if isinstance(parents, str):
        parents = [parents]
    if not isinstance(parents, list) or not parents or not all(isinstance(p, str) and p.strip() for p in parents):
        raise ConfigError("extends must be a file name or a list of file names", label, line, "extends")
    if len(parents) > budget[0]:
        raise ConfigError(_over_limit("extends reads too many files", lim.files, "files"), label, line, "extends")
    merged: dict = {}
    merged_locs: dict = {}
    for parent in parents:
        pdata, plocs, pfiles = _read_file(path.parent / parent, chain + (resolved,), (label, line, parent), budget)
        merged = _merge(merged, pdata, merged_locs, plocs)
        files += [f for f in pfiles if f not in files]
    locs = {k: v for k, v in locs.items() if k[:1] != ("extends",)}
    merged = _merge(merged, data, merged_locs, locs)
    check_tree(merged, label, lim)
    return merged, merged_locs, files


def _kind(v: Any) -> str:
    return {list: "a list", str: "text", int: "a number", float: "a number", bool: "true/false"}.get(type(v), type(v).__name__)




def read_config(path: Path) -> tuple[dict, dict, list[str]]:
    """A config file with its ``extends`` merged: (data, locations, files read); not validated."""
    try:
        return _read_file(Path(path), (), None)
    except RecursionError:  # an extends chain deeper than Python recurses (its limit lifted far)
        raise ConfigError(_over_limit("extends chains too many files", limits().files, "files"), _display(Path(path))) from None



# ------------------------------------------------------------------------------------- values in messages


def _digits(v: int) -> str:
    try:
        return str(len(str(abs(v))))
    except ValueError:  # more digits than Python converts
        return f"about {int(v.bit_length() * 0.30103)}"


def _short(v: Any) -> str:
    """A value for a message: YAML-ish, at most 60 characters."""
    if isinstance(v, str):
        text = repr(clip(v, 200))
    elif isinstance(v, bool) or v is None:
        text = "null" if v is None else str(v).lower()
    elif isinstance(v, float):
        text = repr(v)  # nan, inf
    elif isinstance(v, int):
        text = str(v) if v.bit_length() < 200 else f"an integer of {_digits(v)} digits"
    else:
        try:
            text = json.dumps(v, default=str)
        except (ValueError, RecursionError):
            text = type(v).__name__
    return clip(text)


