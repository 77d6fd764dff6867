import os
import textwrap
from pathlib import Path

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


@pytest.fixture
def runner():
    """The CLI in process (test files that need another working directory define their own)."""
    from click.testing import CliRunner

    return CliRunner()


def write_toy_config(path: Path, trials: int) -> Path:
    """A config of the 'toy' scenario (register it with the `toy` fixture): one uniform and one beta parameter."""
    path.write_text(textwrap.dedent(f"""\
        scenario: toy
        run: {{trials: {trials}, seed: 11, chunk_size: 1000}}
        toy:
          x: {{dist: uniform, low: 0, high: 10, source: "assumption"}}
          items: [{{name: a, weight: {{dist: beta, a: 2, b: 3}}}}]
        """))
    return path
