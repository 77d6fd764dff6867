"""Fast start (issue 17): the commands that only read configs (``accord --help``, ``list``, ``show``,
``validate``) import none of the heavy packages a run needs (matplotlib, scipy.stats, scipy.optimize, networkx,
jinja2, markdown-it, dask, pandas) nor the models they do not read; importing them was most of a 2-3 s start.
The times themselves are measured by ``python -m tests.benchmarks --only start`` (a timing test would fail on
a busy machine, not on slow code); this test keeps the cause from coming back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("matplotlib", "scipy.stats", "scipy.optimize", "networkx", "jinja2", "markdown_it", "dask", "pandas",
         "model.coalition", "model.war", "model.terms", "model.lanchester_fit")



def _imported(args: list[str]) -> tuple[int, list[str]]:
    """Run the command in a fresh interpreter; return its exit code and which of HEAVY it really imported (a
    `cli._Deferred` stand-in does not count: it imports the module only when used)."""
    code = (
        "import json, sys\n"
        f"args, heavy = {json.dumps(args)}, {json.dumps(list(HEAVY))}\n"
        "sys.argv = ['accord', *args]\n"
        "import cli\n"
        "try:\n"
        "    cli.main()\n"
        "    rc = 0\n"
        "except SystemExit as exc:\n"
        "    rc = exc.code or 0\n"
        "real = [m for m in heavy if m in sys.modules and not isinstance(sys.modules[m], cli._Deferred)]\n"
        "sys.stderr.write('\\nPROBE ' + json.dumps([rc, real]) + '\\n')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          check=False)
    line = [ln for ln in done.stderr.splitlines() if ln.startswith("PROBE ")]
    assert line, done.stderr[-2000:]
    rc, real = json.loads(line[-1].removeprefix("PROBE "))
    return rc, real


@pytest.mark.parametrize("args", [
    ["--help"],
    ["list"],
    ["show", "configs/plan_28_points.yaml"],
    ["validate", "configs/plan_28_points.yaml"],
    ["validate", "configs/forces/plan_28_points.yaml"],
], ids=lambda a: " ".join(a))
def test_read_only_commands_import_no_heavy_package(args):
    rc, real = _imported(args)
    assert rc == 0
    assert real == [], f"`accord {' '.join(args)}` imported {real}"
