"""Re-run every command of the README's ``console`` blocks and write their real output back.

Each ```` ```console ```` block is a sequence of ``$ command`` lines, each followed by what it printed
(stdout and stderr together, as a terminal shows them) and, when it failed, ``# exit code N``. This script
runs the commands with bash, in order, in a scratch directory that sees the repository's ``configs/`` and
``tests/data/`` (so ``--out runs/...`` paths stay short and nothing lands in the checkout), and replaces each
block's output with what they print now. An output that the README cut with a last line ``...`` is cut at
the same number of lines again.

Usage (from the repository root, with accord installed):

    python docs/regen_readme.py            # rewrite README.md in place
    python docs/regen_readme.py --check    # exit 1 if any block's commands fail unexpectedly
    python docs/regen_readme.py --only 'accord sweep'   # only the blocks whose commands contain the text
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FENCE_OPEN = "```console"
FENCE_CLOSE = "```"
EXIT_RE = re.compile(r"^# exit code (\d+)$")


def parse_blocks(lines: list[str]) -> list[tuple[int, int]]:
    """(first, last) line indices of each console block's body (fences excluded)."""
    blocks, start = [], None
    for i, line in enumerate(lines):
        if start is None and line.strip() == FENCE_OPEN:
            start = i + 1
        elif start is not None and line.strip() == FENCE_CLOSE:
            blocks.append((start, i))
            start = None
    return blocks


def commands_of(body: list[str]) -> list[tuple[str, int | None, int]]:
    """Each command with the cut length of its old output (None = uncut) and its old exit code."""
    out: list[tuple[str, int | None, int]] = []
    for line in body:
        if line.startswith("$ "):
            out.append((line[2:], None, 0))
            n_old = 0
        elif out:
            cmd, cut, code = out[-1]
            m = EXIT_RE.match(line.strip())
            if m:
                out[-1] = (cmd, cut, int(m.group(1)))
            elif line.strip() == "...":
                out[-1] = (cmd, n_old, code)
            else:
                n_old += 1
    return out


def run(cmd: str, cwd: Path, env: dict[str, str]) -> tuple[list[str], int]:
    proc = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], check=False, cwd=cwd, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    text = proc.stdout.replace("\r", "")
    # progress bars redraw on stderr with carriage returns; a terminal keeps only the last state
    return [ln.rstrip() for ln in text.splitlines() if ln.strip() != ""], proc.returncode


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--readme", type=Path, default=ROOT / "README.md")
    ap.add_argument("--check", action="store_true", help="do not write; exit 1 on an unexpected exit code")
    ap.add_argument("--only", action="append", default=[],
                    help="re-run only the blocks whose commands contain this text (repeatable: any of them)")
    args = ap.parse_args(argv)
    if shutil.which("accord") is None:  # every block would record "command not found" (exit 127)
        print("accord is not on PATH: activate the environment it is installed in first", file=sys.stderr)
        return 2
    lines = args.readme.read_text(encoding="utf-8").splitlines()
    env = dict(os.environ, COLUMNS="200", NO_COLOR="1")
    bad = 0
    with tempfile.TemporaryDirectory(prefix="accord-readme-") as tmp:
        work = Path(tmp)
        for sub in ("configs", "tests"):
            (work / sub).symlink_to(ROOT / sub)
        new = list(lines)
        replacements = []  # run top to bottom (later commands read earlier runs), then replace bottom-up
        for first, last in parse_blocks(lines):
            if args.only and not any(o in "\n".join(lines[first:last]) for o in args.only):
                continue
            body: list[str] = []
            for cmd, cut, old_code in commands_of(lines[first:last]):
                print(f"$ {cmd}", file=sys.stderr)
                out, code = run(cmd, work, env)
                if cut is not None and len(out) > cut:
                    out = out[:cut] + ["..."]
                if code != old_code:
                    bad += 1
                    print(f"  exit code {code}, README expects {old_code}", file=sys.stderr)
                body += [f"$ {cmd}"] + out + ([f"# exit code {code}"] if code else [])
            replacements.append((first, last, body))
        for first, last, body in reversed(replacements):
            new[first:last] = body
    if args.check:
        return 1 if bad else 0
    args.readme.write_text("\n".join(new) + "\n", encoding="utf-8")
    print(f"rewrote {len(replacements)} console blocks in {args.readme}"
          + (f"; {bad} commands changed exit code" if bad else ""), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
