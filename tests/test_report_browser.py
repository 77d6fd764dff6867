"""report.html opened in a real browser (headless Chromium, Debian's `chromium` package; `.ci/run` installs
it): the page loads with no console error and no network request, every figure decodes, the page is not
blank, its tables sort, and it prints to PDF. Skipped where no Chromium is installed, except in CI."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.browser import blank_share, chromium_path, open_page

ROOT = Path(__file__).resolve().parent.parent
SORT_SURVIVAL_BY_YEAR_DESCENDING = """(function () {
  var details = Array.from(document.querySelectorAll("details"))
      .filter(function (d) { return d.querySelector("summary").textContent.trim().indexOf("survival ") === 0; })[0];
  var table = details.querySelector("table");
  var year = Array.from(table.querySelectorAll("thead th")).filter(function (th) { return th.textContent === "year"; })[0];
  year.click(); year.click();
  return Array.from(table.tBodies[0].rows).map(function (r) { return r.cells[0].textContent; });
})()"""


@pytest.fixture(scope="module")
def chromium():
    path = chromium_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("no Chromium in CI: .ci/run installs Debian's chromium package")
        pytest.skip("no Chromium installed (apt-get install chromium)")
    return path


def test_the_run_report_loads_clean_in_chromium_and_prints(chromium, small_default_run, tmp_path):
    d = small_default_run.run_dir
    page = open_page(d / "report.html", width=1280, height=1000, pdf=True, script=SORT_SURVIVAL_BY_YEAR_DESCENDING)
    (tmp_path / "report.png").write_bytes(page.screenshot)  # for a person to look at when it fails
    assert page.console_errors == []
    assert page.external_requests() == [] and page.failed_requests == []
    assert page.url.startswith("file://") and page.url in page.requests
    figures = small_default_run.result.figures
    assert len(page.images) == len(figures)
    for img in page.images:
        assert img["decoded"] and img["width"] > 300 and img["height"] > 150, img
    assert blank_share(page.screenshot) < 0.95  # text, the quote box and the headline table
    assert page.height > 5000  # the whole brief, not an error stub
    assert page.script_result == [str(y) for y in range(10, -1, -1)]  # the inline script sorts numerically
    assert page.pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", page.pdf)) >= 5  # printable: the figures spread over pages


def test_an_analysis_report_loads_clean_in_chromium(chromium, tmp_path, runner):
    import cli

    res = runner.invoke(cli.main, ["power", str(ROOT / "configs" / "games" / "un_security_council.yaml"), "--method", "monte_carlo",
                                   "--samples", "2000", "--out", str(tmp_path / "power"), "--quiet"])
    assert res.exit_code == 0, res.output
    page = open_page(tmp_path / "power" / "report.html", width=1100, height=800)
    assert page.console_errors == [] and page.external_requests() == []
    assert len(page.images) == 1 and page.images[0]["decoded"]
    assert blank_share(page.screenshot) < 0.97
