"""Fuzzing the config loader through the CLI (issue 16): arbitrary bytes and YAML documents as configs, arbitrary
`--set` strings, and random single mutations of every shipped config must each end in exit 0 or 2, with one-line
errors, never a traceback or exit 1, in bounded time and memory.

The shipped configs are discovered, never named: whatever configs/ holds is fuzzed, whatever its keys. Examples are
derandomised in CI (the `ci` profile of tests/conftest.py) and fresh elsewhere."""

import math
import os
import re
import time
import tracemalloc
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import cli
from scenarios import config as C

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted((ROOT / "configs").rglob("*.yaml"))
SECONDS = 20  # per example: far above any honest config's validation, far below a hang
PEAK_BYTES = 256 * 2**20  # traced by tracemalloc: far above any honest config's, far below an alias bomb's
EXAMPLES = int(os.environ.get("ACCORD_FUZZ_EXAMPLES", "30"))  # raise it to hunt: ACCORD_FUZZ_EXAMPLES=2000 pytest ...
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])


def _validate(args: list[str]):
    """`accord validate ARGS` in process, timed and with its peak memory traced."""
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        res = CliRunner().invoke(cli.main, ["validate", *args])
    finally:
        elapsed = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return res, elapsed, peak


def _check(res, elapsed: float, peak: int) -> None:
    assert res.exit_code in (0, 2), (res.exit_code, res.output, repr(res.exception))
    assert "Traceback" not in res.output and "internal error" not in res.output, res.output
    for line in res.stderr.splitlines():  # errors and notes are one line each, in accord's form
        assert line.startswith(("accord: error: ", "accord: note: ")), line
    if res.exit_code == 2:
        assert "accord: error: " in res.stderr
    assert elapsed < SECONDS, elapsed
    assert peak < PEAK_BYTES, peak


def _absolute_extends(data: dict, where: Path) -> dict:
    """The config with its `extends` made absolute, so that it can be written anywhere."""
    parents = data.get("extends")
    if isinstance(parents, str):
        data["extends"] = str((where.parent / parents).resolve())
    elif isinstance(parents, list):
        data["extends"] = [str((where.parent / p).resolve()) for p in parents]
    return data


# -------------------------------------------------------------------------------------------- strategies

SCALARS = (st.none() | st.booleans() | st.integers(min_value=-(10**30), max_value=10**30)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20)
           | st.sampled_from(["1e5", ".nan", "yes", "~", "", "2025-11-21", "0x1F", "1_000"]))
KEYS = st.text(min_size=1, max_size=12) | st.sampled_from(["dist", "value", "low", "high", "mode", "source", "name",
                                                            "extends", "scenario", "run", "trials", "seed", "<<"])
TREES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
                     max_leaves=25)
YAMLISH = st.text(alphabet=st.sampled_from(list("abcxyz019 .-_:,[]{}&*!|>'\"#%@`?<=\n\t~\\")), max_size=300)


def _scenarios() -> list[str]:
    from scenarios import registry

    return registry.names()


@st.composite
def documents(draw) -> str:
    """A YAML document: random trees, often under a real scenario or extending a shipped config."""
    tree = draw(st.dictionaries(KEYS, TREES, max_size=5))
    if draw(st.booleans()):
        tree["scenario"] = draw(st.sampled_from(_scenarios()) | SCALARS)
    if draw(st.booleans()):
        tree["extends"] = str(draw(st.sampled_from(SHIPPED)))
    return yaml.safe_dump(tree, allow_unicode=draw(st.booleans()))


# ------------------------------------------------------------------------------------------------- tests


@FUZZ
@given(raw=st.binary(max_size=4096))
def test_arbitrary_bytes_as_a_config(raw, tmp_path_factory):
    p = tmp_path_factory.mktemp("fuzz") / "c.yaml"
    p.write_bytes(raw)
    _check(*_validate([str(p)]))


@FUZZ
@given(text=documents() | YAMLISH)
def test_arbitrary_yaml_documents_as_a_config(text, tmp_path_factory):
    p = tmp_path_factory.mktemp("fuzz") / "c.yaml"
    p.write_text(text, encoding="utf-8", errors="surrogatepass")
    _check(*_validate([str(p)]))


def _set_keys() -> list[str]:
    """Every parameter path and block of the shipped scenario configs (discovered, not named)."""
    keys: set[str] = set()
    for path in SHIPPED:
        try:
            cfg = C.load(path)
        except C.ConfigError:
            continue  # a fragment or a game
        keys |= set(cfg.params())
        keys |= {k for k in cfg.data if isinstance(k, str)}
    return sorted(keys)


SET_KEYS = _set_keys()
SCENARIO_CONFIGS = [p for p in SHIPPED if p.name != "base.yaml" and "games" not in p.parts]


@FUZZ
@given(config=st.sampled_from(SCENARIO_CONFIGS),
       setting=st.text(max_size=60) | st.builds(lambda k, sep, v: f"{k}{sep}{v}", st.sampled_from(SET_KEYS or ["x"]),
                                                st.sampled_from(["=", "==", "", "=\n"]),
                                                YAMLISH | SCALARS.map(lambda v: yaml.safe_dump(v).strip())))
def test_arbitrary_set_strings(config, setting):
    _check(*_validate([str(config), "--set", setting]))


# mutations of a node: what a hurried edit, or an attacker, does to one value
MUTANTS = [math.nan, math.inf, -math.inf, True, False, None, "", "nan", 10**400, -1, 1e308, [], {}, [1, 2],
           {"dist": "uniform"}, {"value": math.nan}, {"dist": "normal", "mean": 0, "sd": -1}, "*", "<<"]


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, path + (i,))


def _replace(data, path, value):
    if not path:
        return value
    node = data
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    return data


def _delete(data, path):
    node = data
    for k in path[:-1]:
        node = node[k]
    del node[path[-1]]
    return data


@pytest.mark.parametrize("shipped", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
@settings(max_examples=max(EXAMPLES // 6, 4), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                HealthCheck.too_slow])
@given(data=st.data())
def test_single_mutations_of_every_shipped_config(shipped, data, tmp_path_factory):
    original = yaml.safe_load(shipped.read_text(encoding="utf-8"))
    doc = _absolute_extends(original, shipped)
    paths = [p for p in _paths(doc) if p and p[:1] != ("extends",)]
    assume(paths)
    path = data.draw(st.sampled_from(paths), label="path")
    kind = data.draw(st.sampled_from(["replace", "delete", "duplicate", "retype"]), label="kind")
    text = None
    if kind == "replace":
        doc = _replace(doc, path, data.draw(st.sampled_from(MUTANTS), label="value"))
    elif kind == "delete":
        doc = _delete(doc, path)
    elif kind == "retype":  # the same value, as text or inside a list
        node = doc
        for k in path:
            node = node[k]
        doc = _replace(doc, path, data.draw(st.sampled_from([str(node), [node], {"value": node}])))
    else:  # a key written twice: duplicate one `key:` line of the document
        text = yaml.safe_dump(doc, sort_keys=False, width=10**6)
        lines = text.splitlines()
        keyed = [i for i, line in enumerate(lines) if re.match(r"^\s*[\w.-]+:", line)]
        i = data.draw(st.sampled_from(keyed), label="line")
        text = "\n".join(lines[: i + 1] + [lines[i]] + lines[i + 1:]) + "\n"
    p = tmp_path_factory.mktemp("mut") / shipped.name
    p.write_text(text if text is not None else yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    res, elapsed, peak = _validate([str(p)])
    _check(res, elapsed, peak)
    if kind == "duplicate":  # a key twice, or (a line copied into a block that cannot take it) malformed YAML
        assert res.exit_code == 2 and ("duplicate key" in res.stderr or "malformed YAML" in res.stderr), res.output


def test_the_pure_python_parser_gives_the_same_answers(monkeypatch):
    """libyaml's parser is used when present; PyYAML's own must refuse the hostile files just the same."""
    from scenarios import configfile, yamlparse
    from tests.test_hostile_input import BAD, HOSTILE

    answers = {}
    loaders = (configfile._Loader, configfile._PyLoader)
    for loader in loaders:
        monkeypatch.setattr(yamlparse, "_Loader", loader)  # the module that composes (scenarios/yamlparse.py)
        answers[loader] = {}
        for name in HOSTILE:
            try:
                C.load(BAD / name)
                answers[loader][name] = None
            except C.ConfigError as exc:
                answers[loader][name] = (exc.line, exc.key)
    assert answers[loaders[1]] == answers[loaders[0]]
