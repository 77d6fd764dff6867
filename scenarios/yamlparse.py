"""Composing YAML with the line of every key, bounded (issue 16): the half of reading a config that needs PyYAML.

scenarios/configfile.py reads the file and calls :func:`_compose` here only for text it has not parsed before
(issue 17: a parsed file is remembered on disk by its text, so a start that reads only known configs never
imports PyYAML). Errors are scenarios.configfile.ConfigError, naming the file, the line and what is allowed.
"""

from __future__ import annotations

import typing
from typing import Any

import yaml
import yaml.composer
import yaml.constructor
import yaml.parser
import yaml.reader
import yaml.resolver
import yaml.scanner

from scenarios.configfile import ConfigError, KeyPath, Limits, Loc, _over_limit, _short, clip, limits

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

_DEFAULT_LOADER = _Loader  # what the disk cache of parsed files assumes (a test may set _Loader to _PyLoader)


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
