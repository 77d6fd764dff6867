import os

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def toy(monkeypatch):
    """Register the test-only 'toy' scenario."""
    from scenarios import registry

    monkeypatch.setitem(registry.SCENARIOS, "toy", "tests.toy_scenario")
    return "toy"
