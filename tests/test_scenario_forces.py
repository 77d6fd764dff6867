"""The `forces` scenario end to end: shipped configs through the CLI, options overlaid, the cession table, and
monotonicity through compute() (`accord calibrate lanchester`: test_calibrate_lanchester.py)."""

import csv
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cli
from scenarios import forces as SF
from scenarios.config import ConfigError, load
from scenarios.engine import Draws, execute

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs" / "forces"
OPTIONS = {"28-point plan (600,000 cap)", "28-point plan (forces halved)", "E3 counter-proposal", "no deal"}


def _run(runner, config, out, *extra):
    res = runner.invoke(cli.main, ["run", str(config), "-n", "300", "--out", str(out), "--quiet", *extra])
    assert res.exit_code == 0, res.output
    return out


def _csv(path):
    """A table as a dict of columns (numbers as float arrays, text as object arrays)."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out = {}
    for col in rows[0]:
        values = [r[col] for r in rows]
        try:
            out[col] = np.array([float(v) for v in values])
        except ValueError:
            out[col] = np.array(values, dtype=object)
    return _Table(out)


class _Table(dict):
    """Columns with boolean-mask row selection: t[mask] gives the rows; len() is the row count."""

    def __getitem__(self, key):
        if isinstance(key, str):
            return dict.__getitem__(self, key)
        return _Table({c: v[key] for c, v in self.items()})

    def __len__(self):
        return len(next(iter(self.values())))

    def rows(self):
        return [dict(zip(self, vals)) for vals in zip(*self.values())]


# ------------------------------------------------------------------------------------------- runs


def test_validate_accepts_every_shipped_forces_config(runner):
    res = runner.invoke(cli.main, ["validate", *map(str, sorted(CONFIGS.glob("*.yaml")))])
    assert res.exit_code == 0, res.output
    assert res.output.count("ok ") == 4


def test_plan_run_writes_balance_for_every_option_and_the_cession(runner, tmp_path):
    out = _run(runner, CONFIGS / "plan_28_points.yaml", tmp_path / "r")
    for name in ("tables/balance.csv", "tables/cession.csv", "tables/breakthrough_crossing.csv",
                 "figures/balance.png", "figures/breakthrough.png", "summary.md"):
        assert (out / name).is_file(), name
    bal = _csv(out / "tables" / "balance.csv")
    assert set(bal["option"]) == OPTIONS
    assert len(bal) == 4 * 10 and set(bal["year"]) == set(range(1, 11))
    assert np.all((bal["p_breakthrough"] >= 0) & (bal["p_breakthrough"] <= 1))
    assert np.all(bal["force_ratio_q05"] <= bal["force_ratio_q50"])
    assert np.all(bal["force_ratio_q50"] <= bal["force_ratio_q95"])
    assert np.all(bal["km2_lost_mean"] > 0) and np.all(bal["n_trials"] == 300)

    def p(option):
        return bal["p_breakthrough"][bal["option"] == option]

    # fewer troops, no fortress belt, no strike, less aid: the plan never beats no deal in any year
    assert np.all(p("28-point plan (600,000 cap)") >= p("no deal"))
    assert np.all(p("28-point plan (forces halved)") >= p("28-point plan (600,000 cap)"))

    ces = _csv(out / "tables" / "cession.csv")
    plan = ces[ces["option"] == "28-point plan (600,000 cap)"]
    row = {r["quantity"]: r for r in plan.rows()}
    assert 5000 <= row["area ceded (cumulative)"]["after_mean"] <= 6600
    assert row["defence multiplier m (year 1)"]["after_mean"] < row["defence multiplier m (year 1)"]["before_mean"]
    assert row["front length"]["change_mean"] < 0
    nodeal = ces[ces["option"] == "no deal"]
    assert np.all(nodeal["change_mean"][nodeal["quantity"] != "force density (today -> year 1)"] == 0)

    summary = (out / "summary.md").read_text()
    assert "300 simulated futures" in summary and "95% CI" in summary


def test_counterproposal_runs_alone_with_its_cap_and_without_a_cession(runner, tmp_path):
    out = _run(runner, CONFIGS / "counterproposal.yaml", tmp_path / "r", "--json")
    ces = _csv(out / "tables" / "cession.csv")
    own = ces[ces["option"] == "E3 counter-proposal"]
    assert "area held by Kyiv" not in set(own["quantity"])
    assert np.all(own["change_mean"][own["quantity"] == "area ceded (cumulative)"] == 0)


def test_same_seed_gives_identical_tables(runner, tmp_path):
    a = _run(runner, CONFIGS / "no_deal.yaml", tmp_path / "a")
    b = _run(runner, CONFIGS / "no_deal.yaml", tmp_path / "b")
    for name in ("balance", "cession", "breakthrough_crossing"):
        assert (a / "tables" / f"{name}.csv").read_bytes() == (b / "tables" / f"{name}.csv").read_bytes()


def test_set_overrides_the_cap_and_the_aid():
    base = load(CONFIGS / "plan_28_points.yaml")
    cfg = load(CONFIGS / "plan_28_points.yaml",
               ["forces.ukraine_cap=800000", "forces.aid_eur_bn_per_year=36", "forces.compare_with=[]"])
    assert cfg.model.forces.ukraine_cap.value == 800000
    assert cfg.model.forces.aid_eur_bn_per_year.value == 36
    p_base = execute(load(CONFIGS / "plan_28_points.yaml", ["forces.compare_with=[]"]), trials=200).summaries
    p_new = execute(cfg, trials=200).summaries
    assert p_new.estimate("p_breakthrough", (0,)).mean < p_base.estimate("p_breakthrough", (0,)).mean
    assert base.model.forces.compare_with  # the shipped plan compares with the other options


# ------------------------------------------------------------------------------------------- options


def test_compare_with_resolves_against_the_file_that_wrote_it(tmp_path):
    """A config elsewhere (as a settlement config would be) that extends the shipped plan keeps the plan's
    compare_with, written relative to configs/forces/."""
    other = tmp_path / "elsewhere" / "variant.yaml"
    other.parent.mkdir()
    other.write_text(textwrap.dedent(f"""\
        extends: {CONFIGS / "plan_28_points.yaml"}
        scenario: forces
        forces:
          label: "variant"
          ukraine_cap: {{value: 700000, source: "assumption: test"}}
        """))
    config = load(other)
    done = execute(config, trials=100)
    tables, figures = SF.tables_figures(config, done.summaries)
    labels = list(dict.fromkeys(tables["balance"].records()[i]["option"] for i in range(0, 40, 10)))
    assert labels == ["variant", "28-point plan (forces halved)", "E3 counter-proposal", "no deal"]
    assert set(figures) == {"balance", "breakthrough"}


def test_a_missing_compare_with_file_is_a_config_error(tmp_path):
    config = load(CONFIGS / "no_deal.yaml", ["forces.compare_with=[nowhere.yaml]"])
    done = execute(load(CONFIGS / "no_deal.yaml", ["forces.compare_with=[]"]), trials=50)
    with pytest.raises(ConfigError, match="nowhere.yaml"):
        SF.tables_figures(config, done.summaries)


# ------------------------------------------------------------------------------------------- compute


def _fixed_forces(horizon=6, **values):
    return SF.ForcesBlock.model_validate({"horizon_years": horizon, **values})


def test_compute_gives_n_by_T_arrays_for_every_trial():
    cfg = load(CONFIGS / "plan_28_points.yaml", ["forces.horizon_years=7"])
    from model import params as P

    dists = cfg.uncertain()
    paths = {id(spec): path for path, (spec, _) in cfg.params().items()}
    n = 64
    draws = Draws(P.draw(dists, P.Sampler(list(dists), 1, "mc"), 0, n), paths, n)
    out = SF.compute(cfg.model.forces, cfg.model.cession, draws)
    for key in ("force_ratio", "p_breakthrough", "km2_lost"):
        assert out[key].shape == (n, 7), key
    for key in ("cession_ceded_km2", "cession_held_km2_after", "cession_multiplier_after"):
        assert out[key].shape == (n,), key
    # all fixed: still one row per trial
    fixed = SF.compute(_fixed_forces(3), None, Draws({}, {}, 5))
    assert fixed["p_breakthrough"].shape == (5, 3)


_CESSION = SF.CessionBlock.model_validate(
    {"ceded_km2": 5800, "ceded_population": 230000, "front_length_after_km": 1175,
     "defence_multiplier_loss": 0.8, "multiplier_rebuild_per_year": 0.2}
)


@settings(max_examples=50, deadline=None)
@given(
    which=st.sampled_from(["ukraine_cap", "defence_multiplier", "aid_eur_bn_per_year"]),
    low=st.floats(0.0, 1.0),
    bump=st.floats(0.01, 1.0),
    russia=st.floats(4e5, 1.2e6),
    rearm=st.floats(0, 2e5),
    ban=st.sampled_from([0.0, 1.0]),
    ceded=st.booleans(),
    law=st.sampled_from(["square", "linear", "mixed"]),
)
def test_higher_cap_multiplier_or_aid_never_raises_p_breakthrough(which, low, bump, russia, rearm, ban, ceded,
                                                                  law):
    """Config-level check of the model's monotonicity (tests/test_forces.py checks it on the model)."""
    ranges = {"ukraine_cap": (2e5, 1.2e6), "defence_multiplier": (1.0, 4.0), "aid_eur_bn_per_year": (0.0, 80.0)}
    lo, hi = ranges[which]
    x0 = lo + low * (hi - lo)
    fire = {"square": (6e-4, 6e-4), "linear": (6e-10, 6e-10), "mixed": (6e-10, 6e-4)}[law]
    common = {"russia_now": russia, "russia_rearmament_per_year": rearm, "long_range_strike_ban": ban, "law": law,
              "russia_fire_effectiveness": fire[0], "ukraine_fire_effectiveness": fire[1]}
    cession = _CESSION if ceded else None
    draws = Draws({}, {}, 1)
    p0 = SF.compute(_fixed_forces(**common, **{which: x0}), cession, draws)["p_breakthrough"]
    p1 = SF.compute(_fixed_forces(**common, **{which: x0 * (1 + bump) + 1e-6}), cession, draws)["p_breakthrough"]
    assert np.all(p1 <= p0 + 1e-9), (which, p0, p1)


@pytest.mark.parametrize("law", ["linear", "mixed"])
def test_square_law_fire_coefficients_under_another_law_are_a_clear_error(runner, law):
    cfg = str(CONFIGS / "plan_28_points.yaml")
    res = runner.invoke(cli.main, ["validate", cfg, "--set", f"forces.law={law}"])
    assert res.exit_code == 2
    err = res.stderr.strip()
    assert len(err.splitlines()) == 1 and "russia_fire_effectiveness" in err and "per troop per day" in err
    assert "Traceback" not in res.output
    fitted = ["--set", "forces.russia_fire_effectiveness=6e-10"]
    if law == "linear":
        fitted += ["--set", "forces.ukraine_fire_effectiveness=6e-10"]
    assert runner.invoke(cli.main, ["validate", cfg, "--set", f"forces.law={law}", *fitted]).exit_code == 0
