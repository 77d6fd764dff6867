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

# Under pytest-xdist (`-n auto --dist loadfile`, pyproject's addopts) each test file runs whole on one worker, so
# a module's fixtures are built once; the files below share the session's `small_default_run` and so run on one
# worker together (one default run, not one per worker). pytest-xdist's own `loadgroup` cannot group them: on
# pytest 9.2 its marks silently stop grouping (pytest-xdist issue 1386).
SHARED_DEFAULT_RUN = ("tests/test_figure_rule.py", "tests/test_report.py", "tests/test_report_browser.py")


@pytest.hookimpl(tryfirst=True, optionalhook=True)  # optional: a run without pytest-xdist never calls it
def pytest_xdist_make_scheduler(config, log):
    """`--dist loadfile`, with the files of SHARED_DEFAULT_RUN one unit of work."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class Scheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = super()._split_scope(nodeid)
            return "small_default_run" if path in SHARED_DEFAULT_RUN else path

    return Scheduling(config, log)


def pytest_collection_modifyitems(config, items):
    """A test file that takes `small_default_run` and is not in SHARED_DEFAULT_RUN would build the run again on
    another worker: say so."""
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        if "small_default_run" in getattr(item, "fixturenames", ()) and path not in SHARED_DEFAULT_RUN:
            item.warn(pytest.PytestWarning(f"{path} uses small_default_run: add it to SHARED_DEFAULT_RUN in "
                                           "tests/conftest.py so that pytest-xdist builds the run once"))


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
