import os

import pytest
from hypothesis import settings

os.environ.setdefault("MPLBACKEND", "Agg")

# Property tests draw fresh examples on every run (they have found real corner cases that way); in CI
# (`CI` set, or HYPOTHESIS_PROFILE=ci) they are derandomised, so a clean checkout passes or fails the same
# way every time. `HYPOTHESIS_PROFILE=dev pytest` forces fresh examples anywhere.
settings.register_profile("ci", derandomize=True)
settings.register_profile("dev")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture
def toy(monkeypatch):
    """Register the test-only 'toy' scenario."""
    from scenarios import registry

    monkeypatch.setitem(registry.SCENARIOS, "toy", "tests.toy_scenario")
    return "toy"
