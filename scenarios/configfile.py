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
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def _display(path: Path) -> str:
    try:
        return str(Path(os.path.realpath(path)).relative_to(Path.cwd().resolve()))
    except (ValueError, OSError, RuntimeError):
        return str(path)


def _compose(text: str, label: str, lim: Limits | None = None) -> tuple[Any, dict[KeyPath, Loc]]:
    """Parse YAML safely: the data (None for an empty document) and the line of every key and list item
    (scenarios.yamlparse._compose, which imports PyYAML; imported when first needed)."""
    from scenarios import yamlparse

    return yamlparse._compose(text, label, lim)


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
    loads it) is not parsed again in this process; text parsed before by another process is read from the disk
    cache of parsed files (:func:`_remembered`) instead of parsed again."""
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
    text = read_text(path, label, lim.file_bytes)
    where = _parsed_file(text, label, lim)
    parsed = _remembered(where) if where is not None else None
    if parsed is None:
        parsed = _compose(text, label, lim)  # an error is raised here, every time: errors are never remembered
        if where is not None:
            _remember(where, parsed)
    data, locs = parsed
    if key is not None:
        while len(_PARSED) >= 64:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[key] = (_copy_tree(data), dict(locs))
    return data, locs


# --------------------------------------------------------------------------- parsed files remembered on disk
# Composing YAML (PyYAML's import and the bounded composer in Python) was a quarter of `accord validate`'s start
# (issue 17). What a successful parse gives (the data and the line of every key) depends only on the text, the
# file's label (it is in the lines), the limits, and the code that parses: scenarios/configfile.py,
# scenarios/yamlparse.py and PyYAML. So it is remembered in accord's cache directory (where the record-table
# verdicts are kept: $ACCORD_CACHE_DIR, else $XDG_CACHE_HOME/accord or ~/.cache/accord; ACCORD_CACHE_DIR=off
# keeps none) under a digest of all of them, and read back with marshal (plain dicts, lists, tuples, text and
# numbers are all a parse holds). A text that does not parse is parsed again every time, so every error message
# is the parser's own. An unreadable or foreign cache entry is ignored; the newest PARSED_ENTRIES are kept.

PARSED_ENTRIES = 256
_PARSED_MAGIC = "accord parsed config 1"
_PARSER_DIGEST: list[bytes] = []  # the digest of the parsing code, computed once per process


def cache_dir() -> Path | None:
    """accord's cache directory (None when ACCORD_CACHE_DIR turns it off: '', '0' or 'off')."""
    root = os.environ.get("ACCORD_CACHE_DIR")
    if root is not None and root.strip() in ("", "0", "off"):
        return None
    return Path(root or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "accord"))


def _parser_digest() -> bytes | None:
    """A digest of the code that parses: this module's and scenarios/yamlparse.py's source, and PyYAML's
    installation (its version file and whether libyaml's extension is there); None if any cannot be read."""
    if not _PARSER_DIGEST:
        import hashlib
        import importlib.util

        h = hashlib.sha256(_PARSED_MAGIC.encode())
        try:
            here = Path(__file__)
            for source in (here, here.with_name("yamlparse.py")):
                h.update(source.read_bytes())
            spec = importlib.util.find_spec("yaml")
            if spec is None or not spec.origin or not spec.submodule_search_locations:
                return None
            h.update(Path(spec.origin).read_bytes())  # yaml/__init__.py, with __version__
            for folder in spec.submodule_search_locations:
                h.update("\0".join(sorted(os.listdir(folder))).encode("utf-8", "surrogatepass"))
        except (OSError, ImportError, ValueError):
            return None
        _PARSER_DIGEST.append(h.digest())
    return _PARSER_DIGEST[0]


def _parsed_file(text: str, label: str, lim: Limits) -> Path | None:
    """Where the parse of this text (as ``label``, within ``lim``) is remembered; None when not remembered (no
    cache directory, or a parser other than the default set by a test)."""
    root = cache_dir()
    parsing = sys.modules.get("scenarios.yamlparse")
    if root is None or (parsing is not None and parsing._Loader is not parsing._DEFAULT_LOADER):
        return None
    code = _parser_digest()
    if code is None:
        return None
    import hashlib

    h = hashlib.sha256(code)
    for part in (label, repr(lim), text):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return root / "parsed" / h.hexdigest()[:40]


def _remembered(where: Path) -> tuple[Any, dict[KeyPath, Loc]] | None:
    """The remembered parse at ``where``, or None (none there, unreadable, or not one accord wrote)."""
    import marshal

    try:
        with open(where, "rb") as f:
            entry = marshal.loads(f.read())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not (isinstance(entry, tuple) and len(entry) == 4 and entry[0] == _PARSED_MAGIC and entry[1] == where.name
            and isinstance(entry[3], dict)):
        return None
    try:
        os.utime(where)  # recently used: kept when the cache is pruned
    except OSError:
        pass
    return entry[2], entry[3]


def _remember(where: Path, parsed: tuple[Any, dict[KeyPath, Loc]]) -> None:
    """Write a parse to ``where`` (atomically; a cache that cannot be written is skipped), then prune the
    cache to the newest PARSED_ENTRIES."""
    import marshal
    import tempfile

    try:
        payload = marshal.dumps((_PARSED_MAGIC, where.name, parsed[0], parsed[1]))
    except ValueError:  # a value marshal cannot write (none a parse holds): not remembered
        return
    try:
        where.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=where.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(payload)
            os.replace(tmp, where)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        entries = [e for e in os.scandir(where.parent) if not e.name.startswith(".")]
    except OSError:
        return
    if len(entries) > PARSED_ENTRIES:
        def used(e: os.DirEntry) -> float:
            try:
                return e.stat().st_mtime
            except OSError:
                return 0.0

        for e in sorted(entries, key=used)[: len(entries) - PARSED_ENTRIES]:
            try:
                os.unlink(e.path)
            except OSError:
                pass


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


_PARSING_NAMES = frozenset({"_Loader", "_PyLoader", "_Expander", "_BoundedComposer", "_Resolver", "_tag_text", "_CORE",
                            "_PLAIN_TAGS"})


def __getattr__(name: str) -> Any:
    """The YAML parser's names, from scenarios/yamlparse.py (imported, with PyYAML, when first asked for)."""
    if name in _PARSING_NAMES:
        from scenarios import yamlparse

        return getattr(yamlparse, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
