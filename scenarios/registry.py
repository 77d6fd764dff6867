"""Scenario name -> scenario module.

A scenario module (``scenarios/<kind>.py``) declares:

* ``NAME`` and ``SUMMARY`` (one line for ``accord list``);
* ``Schema``: the pydantic config model (a subclass of :class:`scenarios.config.ConfigBase`), and optionally
  ``check(config)``, cross-field rules run after validation; the shipped scenarios define both in
  ``scenarios/schemas/<kind>.py`` (no model code: `accord validate` and `show` import only that) and re-export them;
* ``evaluate(cfg, draws, rng) -> dict[str, ndarray]``: the model over one chunk of trials, every output of
  shape (n_trials,) or (n_trials, ...); pure given its inputs;
* ``report(config, summaries) -> Result``: tables, figures, headline metrics and the brief, from the merged
  chunk summaries (:class:`scenarios.engine.Summaries`).

Modules are imported lazily so that the CLI starts fast.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from types import ModuleType

SCENARIOS: dict[str, str] = {
    "guarantees": "scenarios.guarantees",
    "forces": "scenarios.forces",
    "coalition": "scenarios.coalition",
    "settlement": "scenarios.settlement",
}
# each shipped scenario's config schema, in a module of its own that imports no model code (scenarios/schemas/)
SCHEMAS: dict[str, str] = {name: f"scenarios.schemas.{name}" for name in SCENARIOS}


def _extra() -> dict[str, str]:
    """Extra scenarios from ACCORD_EXTRA_SCENARIOS="name=module,..." (lets tests register fixtures in
    worker processes)."""
    out = {}
    for item in os.environ.get("ACCORD_EXTRA_SCENARIOS", "").split(","):
        if "=" in item:
            name, module = item.split("=", 1)
            out[name.strip()] = module.strip()
    return out


def available() -> dict[str, str]:
    """Scenarios whose module is present (a scenario still being built is simply absent)."""
    mods = {**SCENARIOS, **_extra()}
    return {n: m for n, m in mods.items() if _importable(m)}


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # its parent package is missing (e.g. tests/ not on sys.path)
        return False


def names() -> list[str]:
    return list(available())


def summary(name: str) -> str:
    """A scenario's one-line SUMMARY, read from its module's source without importing it (``accord list``
    starts fast); imported only if the source does not state it as a plain string."""
    import ast
    from pathlib import Path

    module = available()[name]
    try:
        spec = importlib.util.find_spec(module)
        lines = Path(spec.origin).read_text(encoding="utf-8").splitlines() if spec and spec.origin else []
    except (OSError, ImportError, ValueError):
        lines = []
    # parse only the statement that starts "SUMMARY =" (its first line and up to 4 continuation lines), not the
    # whole module: ast.parse of four 1,000-line modules was a tenth of `accord list`
    for i, line in enumerate(lines):
        if not line.startswith("SUMMARY"):
            continue
        for j in range(i + 1, min(i + 6, len(lines)) + 1):
            try:
                tree = ast.parse("\n".join(lines[i:j]))
            except SyntaxError:
                continue
            node = tree.body[0] if len(tree.body) == 1 else None
            if (isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "SUMMARY" for t in node.targets)
                    and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
                return node.value.value
            break
    return getattr(get(name), "SUMMARY", "")


def get(name: str) -> ModuleType:
    mods = available()
    if name not in mods:
        raise KeyError(name)
    return importlib.import_module(mods[name])


def schema_module(name: str) -> ModuleType:
    """The module with a scenario's ``Schema`` and ``check``: its schema-only module (SCHEMAS), which imports no
    model code, so that validating a config does not import the models and NumPy; else the scenario's own module
    (a scenario registered through ACCORD_EXTRA_SCENARIOS declares its schema there)."""
    if name in SCHEMAS and name in available():
        return importlib.import_module(SCHEMAS[name])
    return get(name)


def schema_for(name: str):
    try:
        return schema_module(name).Schema
    except KeyError:
        return None
