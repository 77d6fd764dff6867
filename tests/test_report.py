"""The brief an analyst opens: report.html in every output directory (self-contained, with the headline, the
figures and their captions, the tables, every parameter with its unit and source, the real re-run command),
the Markdown brief embedding the figures, `accord report` regenerating both without running the model, and
units wherever a number leaves accord."""

from __future__ import annotations

import csv
import html
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

import cli
from scenarios import report as R
from scenarios.config import load, param_info
from scenarios.results import Headline, number_text

ROOT = Path(__file__).resolve().parent.parent


def _page(run_dir: Path) -> str:
    return (run_dir / "report.html").read_text(encoding="utf-8")


def test_a_run_writes_one_self_contained_page_with_every_figure_embedded(small_default_run):
    page = _page(small_default_run.run_dir)
    assert R.embed_check(page) == []  # no src/href but data: URIs and in-page anchors
    assert "<script src" not in page and "@import" not in page and "url(" not in page
    figures = small_default_run.result.figures
    assert page.count('src="data:image/png;base64,') == len(figures) > 0
    for name in figures:
        assert f'id="figure-{name}"' in page


def test_the_page_shows_the_quote_headlines_sections_and_parameters(small_default_run):
    done = small_default_run
    page = html.unescape(_page(done.run_dir))
    assert "the chance that the plan is adopted is" in page  # the one sentence to quote
    for h in done.result.headline.values():
        assert h.label in page
    assert "The assumptions that matter most" in page
    manifest = json.loads((done.run_dir / "manifest.json").read_text())
    for path in manifest["parameters"]:
        assert f"<code>{path}</code>" in page
    row = re.search(r"<code>forces\.ukraine_cap</code></td><td[^>]*>600000</td><td>persons</td>", page)
    assert row, "a parameter's row shows its value and unit"
    assert manifest["parameters"]["forces.ukraine_cap"]["source"] in page


def test_the_rerun_lines_are_the_real_commands_not_a_template(small_default_run):
    d = small_default_run.run_dir
    summary = (d / "summary.md").read_text()
    page = html.unescape(_page(d))
    for text in (summary, page):
        assert "<this directory>" not in text
        assert f"accord run --from {d / 'manifest.json'}" in text
        assert f"accord report {d}" in text


def test_summary_md_embeds_each_figure_with_a_relative_link_and_its_caption(small_default_run):
    d = small_default_run.run_dir
    summary = (d / "summary.md").read_text()
    for name, fig in small_default_run.result.figures.items():
        assert f"](figures/{name}.png)" in summary
        assert (d / "figures" / f"{name}.png").is_file()
        words = R.caption_of(fig) or R.title_of(fig)
        assert " ".join(words.split())[:40] in summary


def test_accord_report_regenerates_the_same_files_without_running_the_model(small_default_run, tmp_path, monkeypatch):
    src = small_default_run.run_dir
    before = {name: (src / name).read_text() for name in ("report.html", "summary.md", "result.json")}
    d = tmp_path / "copy"
    shutil.copytree(src, d)
    record = json.loads((d / "result.json").read_text())
    record["run_dir"] = str(src)  # as written; regenerate names the directory where it is now
    (d / "result.json").write_text(json.dumps(record))
    for name in ("report.html", "summary.md"):
        (d / name).unlink()

    def no_model(*args, **kwargs):
        raise AssertionError("accord report must not run the model")

    from scenarios import engine

    monkeypatch.setattr(engine, "summarise", no_model)
    monkeypatch.setattr(engine, "execute", no_model)
    res = CliRunner().invoke(cli.main, ["report", str(d)])
    assert res.exit_code == 0, res.output
    after = {name: (d / name).read_text() for name in before}
    for name, text in before.items():  # identical but for the directory the re-run lines name
        assert after[name] == text.replace(str(src), str(d)), name


def test_accord_report_renders_a_directory_written_before_result_json(small_default_run, tmp_path):
    d = tmp_path / "old"
    shutil.copytree(small_default_run.run_dir, d)
    (d / "result.json").unlink()
    (d / "report.html").unlink()
    R.regenerate(d)
    page = html.unescape(_page(d))
    assert "P(adopted)" in page and R.embed_check(page) == []
    assert page.count('src="data:image/png;base64,') == len(small_default_run.result.figures)
    summary = (d / "summary.md").read_text()
    assert summary.count(R.FIGURES_HEADING) == 1 and summary.count(R.RERUN_HEADING) == 1
    R.regenerate(d)  # again: the generated sections are not repeated
    assert (d / "summary.md").read_text() == summary


def test_accord_report_on_something_else_is_one_line_and_exit_2(tmp_path):
    res = CliRunner().invoke(cli.main, ["report", str(tmp_path / "nothing")])
    assert res.exit_code == 2
    assert res.output.strip().count("\n") == 0 and "not an accord output directory" in res.output


def test_every_field_a_headline_carries_gets_a_column(tmp_path):
    """The template shows whatever a headline carries (e.g. a spread over assumptions, an effective n)."""
    rec = {"label": "P(holds 5 years | adopted)", "mean": 0.6, "se": 0.01, "ci95_low": 0.58, "ci95_high": 0.62,
           "n_trials": 20000, "unit": "probability", "percent": True, "spread_p10": 0.21, "spread_p90": 0.93,
           "n_effective": 3752.4}
    record = R.result_record("run", "t", headline={"p_holds_5y": rec}, markdown="x")
    (tmp_path / "tables").mkdir()
    page = R.render_html(R.context(tmp_path, record, {"command_line": ["accord", "run"], "cwd": "/x"}))
    for header in ("spread p10", "spread p90", "n effective"):
        assert f">{header}</th>" in page
    for value in ("21.0%", "93.0%", "3,752", "60.0%", "58.0% to 62.0%"):
        assert value in page


def test_headline_csv_has_a_unit_column(small_default_run):
    rows = list(csv.DictReader((small_default_run.run_dir / "tables" / "headline.csv").open()))
    units = {r["metric"]: r["unit"] for r in rows}
    assert units["p_adopted"] == "probability"
    assert units["years_of_peace"] == "years"
    assert units["kyiv_km2_at_horizon"] == "km2"
    data = json.loads((small_default_run.run_dir / "result.json").read_text())
    assert data["headline"]["years_of_peace"]["unit"] == "years"


def test_a_declared_unit_wins_over_the_label():
    h = Headline("force ratio at the horizon", None, percent=False, unit="ratio")  # type: ignore[arg-type]
    assert h.unit_name() == "ratio"
    assert Headline("expected years of peace", None, percent=False).unit_name() == "years"  # type: ignore[arg-type]


@pytest.mark.parametrize("config", ["plan_28_points.yaml", "no_deal.yaml", "counterproposal.yaml",
                                    "forces/plan_28_points.yaml", "guarantees/plan_28_points.yaml",
                                    "coalition/plan_28_points.yaml"])
def test_every_parameter_of_a_shipped_config_has_a_declared_unit(config):
    cfg = load(ROOT / "configs" / config)
    info = param_info(cfg)
    assert set(info) == set(cfg.params())
    assert all(i.unit for i in info.values()), [k for k, i in info.items() if not i.unit]


def test_show_prints_the_unit_of_every_parameter(runner):
    res = runner.invoke(cli.main, ["show", str(ROOT / "configs" / "plan_28_points.yaml")])
    assert res.exit_code == 0
    lines = res.output.splitlines()
    header = next(line for line in lines if line.startswith("parameter"))
    assert header.split()[:5] == ["parameter", "value", "unit", "set", "at"]
    cap = next(line for line in lines if line.startswith("forces.ukraine_cap "))
    assert cap.split()[1:3] == ["600000", "persons"]
    res = runner.invoke(cli.main, ["show", str(ROOT / "configs" / "plan_28_points.yaml"), "--json"])
    params = json.loads(res.output)["parameters"]
    assert params["forces.ukraine_cap"]["unit"] == "persons"
    assert all(p["unit"] for p in params.values())


@given(st.floats(min_value=1e-12, max_value=0.000999, allow_nan=False))
def test_a_small_probability_keeps_two_significant_digits(p):
    text = number_text(p, True)
    assert text.endswith("%") and "<" not in text
    assert ("e" in text) == (p < 1e-8)  # positional down to 0.000001%, then scientific
    shown = float(text[:-1]) / 100
    assert shown == pytest.approx(p, rel=0.051)  # two significant digits: at most half a unit in the second


def test_table_cells_are_rounded_for_reading_and_sorted_by_their_full_value():
    assert R.cell_text("0.00024543262483549234") == ("0.0002454", "0.00024543262483549234")
    assert R.cell_text("20000") == ("20,000", "20000")
    assert R.cell_text("434688.123") == ("434,688", "434688.123")
    assert R.cell_text("1.4062065853156065e-09") == ("1.406e-09", "1.4062065853156065e-09")
    assert R.cell_text("signature") == ("signature", None)


def test_parallel_and_serial_saving_write_the_same_files(tmp_path):
    from scenarios import plots

    figs = {}
    for k in range(3):
        fig = plots.figure((3, 2))
        ax = fig.subplots()
        ax.plot([0, 1, 2], [k, 1, 0])
        ax.set_title(f"figure {k}, n = 1,000")
        figs[f"f{k}"] = R.caption(fig, f"caption {k}")
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    rec1 = R.save_figures(figs, one, ["png", "svg"], workers=1)
    rec2 = R.save_figures(figs, two, ["png", "svg"], workers=2)
    assert rec1 == rec2 and rec1["f1"].caption == "caption 1" and rec1["f1"].title == "figure 1, n = 1,000"
    for name in figs:
        for fmt in ("png", "svg"):
            assert (one / f"{name}.{fmt}").read_bytes() == (two / f"{name}.{fmt}").read_bytes()


def test_analysis_reports_and_sweeps_get_a_page_too(tmp_path, toy, monkeypatch):
    from scenarios import sweep as S
    from tests.conftest import write_toy_config

    runner = CliRunner()
    res = runner.invoke(cli.main, ["power", str(ROOT / "configs" / "games" / "un_security_council.yaml"),
                                   "--out", str(tmp_path / "power"), "--quiet"])
    assert res.exit_code == 0, res.output
    page = html.unescape(_page(tmp_path / "power"))
    assert R.embed_check(page) == [] and "Shapley-Shubik" in page and 'src="data:image/png' in page
    assert "exact (generating functions)" in (tmp_path / "power" / "report.md").read_text()

    monkeypatch.setenv("ACCORD_EXTRA_SCENARIOS", "toy=tests.toy_scenario")
    cfg = write_toy_config(tmp_path / "toy.yaml", 500)
    axes = S.parse_axes(["toy.x=1:9:3"], [], None, [])
    S.run_sweep(cfg, [], axes, 300, 3, None, 1, None, None, tmp_path / "sweep", False)
    page = html.unescape(_page(tmp_path / "sweep"))
    assert R.embed_check(page) == [] and "points.csv" in page and "P(x > 5)" in page
    assert f"accord sweep --resume {tmp_path / 'sweep'}" in page
    assert "](figures/sweep.png)" in (tmp_path / "sweep" / "summary.md").read_text()
    before = (tmp_path / "sweep" / "report.html").read_text()
    R.regenerate(tmp_path / "sweep")  # from the sweep's manifest, result.json, points.csv and figures
    assert (tmp_path / "sweep" / "report.html").read_text() == before


def test_a_variants_table_gets_its_own_section_before_the_other_tables(tmp_path):
    """The settlement's structural variants (tables/variants.csv, when a scenario writes it) are shown as
    their own section, not buried among the tables."""
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "variants.csv").write_text("variant,p_holds_5y\ndefault,0.61\nno guarantee,0.43\n")
    (tmp_path / "tables" / "survival.csv").write_text("year,p_holds\n0,1.0\n")
    record = R.result_record("run", "t", markdown="x", tables=["survival", "variants"])
    page = R.render_html(R.context(tmp_path, record, {}))
    assert page.index('id="variants"') < page.index('id="tables"')
    assert "no guarantee" in page and page.count("tables/variants.csv") == 1


def test_compare_lists_every_parameter_and_what_differs_between_the_options():
    from scenarios import compare as CMP

    rep = CMP.compare([str(ROOT / "configs" / "plan_28_points.yaml"), str(ROOT / "configs" / "no_deal.yaml")],
                      trials=500)
    cap = rep.parameters["forces.ukraine_cap"]
    assert cap["differs"] and cap["unit"] == "persons"
    assert cap["value"] == "plan_28_points: 600000; no_deal: (not in this config)"
    same = rep.parameters["settlement.discount"]
    assert not same["differs"] and ";" not in same["value"]
