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


@pytest.fixture(scope="session")
def small_default_run(tmp_path_factory):
    """The default config (the 28-point plan, settlement) run once at 2,000 trials for the report tests:
    its `runs.Done` (run directory, result with the figure objects)."""
    from scenarios import runs
    from scenarios.config import load

    root = Path(__file__).resolve().parent.parent
    cfg = load(root / "configs" / "plan_28_points.yaml")
    return runs.run_and_write(cfg, trials=2000, out=tmp_path_factory.mktemp("report") / "plan", workers=1)
