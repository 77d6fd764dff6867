"""The config schemas of the scenarios: what a config may say (pydantic blocks with each parameter's range, unit
and meaning) and the checks that read only the config. One module per scenario kind, each with the blocks of that
kind, its ``Schema`` and its ``check(config)``; scenarios/world.py's blocks (a settlement's terms, war and survival)
are in ``world``.

No model code and no NumPy here (issue 17): `accord validate` and `accord show` import these modules alone, so
they start without NumPy, SciPy or the models; the scenario modules (scenarios/<kind>.py) import their blocks from
here under the old names and add the model. scenarios/registry.py maps a scenario's name to its schema module.

These modules do not use ``from __future__ import annotations``: pydantic would compile and evaluate each of their
few hundred field annotations from its text when the blocks are built, ~2% of `accord validate` (issue 17);
written as expressions, they are evaluated once, from the bytecode. A method's return annotation naming its own
class is quoted.
"""
