"""Regenerate docs/report.png, the README's picture of report.html: the default run (the 28-point plan,
20,000 trials) opened in headless Chromium (tests/browser.py; needs Debian's `chromium` and the test extras).

    python docs/make_report_screenshot.py [--out docs/report.png] [--run-dir DIR]

With --run-dir the page of an existing run directory is used instead of a fresh run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser import blank_share, open_page


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "report.png")
    ap.add_argument("--run-dir", type=Path, help="use this run directory's report.html (default: a fresh run)")
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=1500)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="accord-screenshot-") as tmp:
        run_dir = args.run_dir
        if run_dir is None:
            run_dir = Path(tmp) / "plan_28_points"
            subprocess.run([sys.executable, "-m", "cli", "run", "--out", str(run_dir), "--quiet"], cwd=ROOT,
                           check=True)
        page = open_page(run_dir / "report.html", width=args.width, height=args.height)
    problems = page.console_errors + page.external_requests() + page.failed_requests
    if problems or not all(i["decoded"] for i in page.images) or blank_share(page.screenshot) > 0.95:
        print(f"the page did not load cleanly: {problems or page.images}", file=sys.stderr)
        return 1
    args.out.write_bytes(page.screenshot)
    print(f"wrote {args.out} ({len(page.screenshot) // 1024} KiB; page {page.height} px high, "
          f"{len(page.images)} figures decoded)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
