"""Scenario `coalition` end to end: the shipped configs run through the CLI and write the issue-5 outputs;
same seed -> identical tables; `accord amend` on coalition and settlement configs; acceptance is monotone
in the plan's distance to an actor's ideal point (through compute())."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import cli
from scenarios import coalition as C
from scenarios.config import ConfigError, FixedSpec, load
from scenarios.engine import Draws

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ["configs/coalition/plan_28_points.yaml", "configs/coalition/counterproposal.yaml",
           "configs/coalition/no_deal.yaml"]
STANDALONE = "tests/data/coalition_standalone.yaml"  # the block on its own (plan given), for unit tests
TABLES = ("acceptance", "adoption", "dealbreakers", "zopa")
FIGURES = ("network", "acceptance", "zopa")


@pytest.fixture
def runner(monkeypatch):
    monkeypatch.chdir(ROOT)
    return CliRunner()


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open() as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("config", CONFIGS)
def test_shipped_config_run_writes_tables_figures_and_quotable_summary(runner, tmp_path, config):
    out = tmp_path / "run"
    res = runner.invoke(cli.main, ["run", config, "-n", "400", "--out", str(out), "--json", "-q"])
    assert res.exit_code == 0, res.output
    head = json.loads(res.stdout)["headline"]
    assert 0 <= head["p_adopted"]["mean"] <= 1 and head["p_adopted"]["n_trials"] == 400
    for t in TABLES:
        assert (out / "tables" / f"{t}.csv").is_file()
    for f in FIGURES:
        assert (out / "figures" / f"{f}.png").stat().st_size > 1000
    acc = _rows(out / "tables" / "acceptance.csv")
    actors = {r["actor"]: r for r in acc}
    assert {"ukraine_government", "russia", "us_congress", "ukrainian_voters", "qatar"} <= set(actors)
    assert actors["verkhovna_rada"]["stage"] == "ratification" and actors["qatar"]["stage"] == "influence only"
    assert all(0 <= float(r["p_accept"]) <= 1 and float(r["se"]) >= 0 for r in acc)
    adoption = _rows(out / "tables" / "adoption.csv")
    assert adoption[0]["row"] == "adopted"
    assert all(float(r["probability"]) == 0 for r in adoption if r["row"] == "pivotal" and r["actor"] == "turkiye")
    summary = (out / "summary.md").read_text()
    assert "the plan is adopted (every full veto player accepts" in summary and "400 simulated trials" in summary


def test_detail_tables_state_their_trials_and_can_be_switched_off(runner, tmp_path):
    res = runner.invoke(cli.main, ["run", CONFIGS[0], "-n", "600", "--set", "run.detail_trials=250", "--out",
                                   str(tmp_path / "some"), "-q"])
    assert res.exit_code == 0, res.output
    for t in ("dealbreakers", "zopa"):
        assert {r["n_trials"] for r in _rows(tmp_path / "some" / "tables" / f"{t}.csv")} == {"250"}
    assert "from the first 250 trials" in (tmp_path / "some" / "summary.md").read_text()
    res = runner.invoke(cli.main, ["run", CONFIGS[0], "-n", "300", "--set", "run.detail_trials=0", "--out",
                                   str(tmp_path / "none"), "-q"])
    assert res.exit_code == 0, res.output
    assert sorted(p.stem for p in (tmp_path / "none" / "tables").glob("*.csv")) == ["acceptance", "adoption"]
    assert "run.detail_trials: 0" in (tmp_path / "none" / "summary.md").read_text()


@pytest.mark.parametrize("workers", [1, 2])
def test_adoption_details_cover_the_runs_first_trials_whatever_the_chunking(monkeypatch, workers):
    """The stage, pivot and partial-veto outputs (a nested integral per subset and trial) are computed on the run's
    first ADOPTION_DETAIL_TRIALS trials, as documented: not that many per chunk (they were: 40,000 at two
    50,000-trial detail chunks), in one process or several."""
    from scenarios import engine

    monkeypatch.setattr(C, "ADOPTION_DETAIL_TRIALS", 1_500)
    cfg = load(ROOT / CONFIGS[0], ["run.detail_trials=3000"])
    s = engine.summarise(cfg, 3_500, cfg.model.run.seed, "mc", chunk_size=1_000, workers=workers)
    pivotal = [k for k in s.acc if k.startswith("p_pivotal.")]
    assert pivotal and all(int(np.ravel(s[k].n)[0]) == 1_500 for k in pivotal)
    assert int(np.ravel(s["p_adopted_in_full"].n)[0]) == 1_500
    assert int(np.ravel(s["zopa_nonempty"].n)[0]) == 3_000  # the other details: run.detail_trials
    assert int(np.ravel(s["p_adopted"].n)[0]) == 3_500


def test_rerun_from_manifest_restores_the_detail_trials(runner, tmp_path):
    res = runner.invoke(cli.main, ["run", CONFIGS[0], "-n", "600", "--set", "run.detail_trials=250", "--out",
                                   str(tmp_path / "a"), "-q"])
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "a" / "manifest.json").read_text())["detail_trials"] == 250
    res = runner.invoke(cli.main, ["run", "--from", str(tmp_path / "a" / "manifest.json"), "--out", str(tmp_path / "b"),
                                   "-q"])
    assert res.exit_code == 0, res.output
    for t in TABLES:
        assert (tmp_path / "a" / "tables" / f"{t}.csv").read_text() == (tmp_path / "b" / "tables" / f"{t}.csv").read_text()


def test_same_seed_gives_identical_tables(runner, tmp_path):
    for name in ("a", "b"):
        res = runner.invoke(cli.main, ["run", CONFIGS[1], "-n", "300", "--seed", "7", "--out", str(tmp_path / name),
                                       "-q"])
        assert res.exit_code == 0, res.output
    for t in TABLES:
        assert (tmp_path / "a" / "tables" / f"{t}.csv").read_text() == (tmp_path / "b" / "tables" / f"{t}.csv").read_text()


def test_counterproposal_is_more_likely_adopted_than_the_28_point_plan():
    """The coalition-model author's plausibility check, at the means and the shipped sigma mode (0.10): the
    28-point plan is adopted less often than the E3 counter-proposal; the plan's obstacle is the Ukrainian veto
    players (Russia accepts it), the counter-proposal's is Russia (the Ukrainian veto players accept it), as the
    parties said (configs/reference/responses.csv). (Before issue 15 this also asserted P(adopted) < 0.02 for the
    plan at sigma 0.05: a figure of the near-deterministic acceptance the recalibration removed.)"""
    p = {}
    for config in CONFIGS[:2]:
        cfg = _at_means(config, "coalition.sigma=0.10")
        p[config] = C.evaluate(cfg.model, Draws({}, {}, 1), np.random.default_rng(0))
    plan, e3 = (p[c] for c in CONFIGS[:2])
    assert plan["p_adopted"][0] < e3["p_adopted"][0]
    assert plan["p_accept.russia"][0] > 0.9 and plan["p_accept.verkhovna_rada"][0] < 0.2
    assert plan["p_accept.ukraine_government"][0] < 0.5 < e3["p_accept.ukraine_government"][0]
    assert e3["p_accept.russia"][0] < 0.5 < min(e3[f"p_accept.{a}"][0] for a in
                                                ("ukraine_government", "verkhovna_rada", "ukrainian_voters"))


def test_actors_are_addressable_by_name_and_veto_flag_must_match_the_stages(runner):
    ok = runner.invoke(cli.main, ["validate", CONFIGS[0], "--set", "coalition.actors.germany.cost=0.05"])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(cli.main, ["validate", CONFIGS[0], "--set", "coalition.actors.germany.veto=true"])
    assert bad.exit_code == 2
    lines = bad.stderr.strip().splitlines()
    assert len(lines) == 1 and "germany.veto" in lines[0] and "stage" in lines[0]


def test_base_fragment_validates(runner):
    res = runner.invoke(cli.main, ["validate", "configs/base.yaml"])
    assert res.exit_code == 0, res.output
    assert "fragment" in res.stdout


def test_amend_raises_p_adopted_or_says_it_cannot(runner, tmp_path):
    res = runner.invoke(cli.main, ["amend", CONFIGS[0], "--trials", "200", "--penalties", "0,0.3", "--json", "-q",
                                   "--out", str(tmp_path / "amend")])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert [a["penalty"] for a in data["amendments"]] == [0.0, 0.3]
    free = data["amendments"][0]
    if data["raises_p_adopted"]:
        assert free["p_adopted_after"] > data["p_adopted_before"] + 2 * free["gain_se"] and free["changes"]
    else:
        assert "cannot" in (tmp_path / "amend" / "report.md").read_text()
    rows = _rows(tmp_path / "amend" / "tables" / "amendments.csv")
    assert {r["penalty"] for r in rows} == {"0.0", "0.3"}
    # a penalty can only shrink the change
    assert data["amendments"][1]["l1_change"] <= free["l1_change"] + 1e-9


def test_amend_works_on_the_settlement_config(runner, tmp_path):
    settlement = ROOT / "configs" / "plan_28_points.yaml"
    try:
        load(settlement)
    except (ConfigError, KeyError, ImportError) as exc:  # forces/guarantees parts: other helpers' files
        pytest.skip(f"settlement config not loadable yet: {exc}")
    res = runner.invoke(cli.main, ["amend", str(settlement), "--trials", "100", "--penalties", "0.5", "--json", "-q",
                                   "--out", str(tmp_path / "amend")])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["amendments"][0]["penalty"] == 0.5


def test_amend_without_negotiable_dimensions_exits_2(runner, tmp_path):
    res = runner.invoke(cli.main, ["amend", CONFIGS[0], "--trials", "50", "--set", "coalition.negotiable=[]",
                                   "--out", str(tmp_path / "x")])
    assert res.exit_code == 2 and "negotiable" in res.stderr


def _at_means(config: str, *overrides: str):
    """The config with every uncertain parameter fixed at its mean (so compute() needs no draws) and the ideal
    points and saliences at their coding (no per-trial preference draws)."""
    cfg = load(ROOT / config)
    # (the war model's relations variates are a defaulted list, which --set cannot address item by item: set whole)
    z = [p for p in cfg.uncertain() if "relations_z" in p]
    whole = [f"forces.relations_z=[{', '.join(['0.0'] * len(z))}]"] if z else []
    return load(ROOT / config, [f"{p}={d.mean()!r}" for p, d in cfg.uncertain().items() if "relations_z" not in p]
                + whole + ["coalition.preference_uncertainty.enabled=false"] + list(overrides))


_BLOCK = _at_means(STANDALONE).model.coalition
_IDEAL = C.arrays(_BLOCK, Draws({}, {}, 1)).ideal  # (A, K) after influence: what acceptance compares with
_DIMS = [d.name for d in _BLOCK.dimensions]
_ACTORS = [a.name for a in _BLOCK.actors]


def _p_accept(plan: np.ndarray, actor: str) -> float:
    block = _BLOCK.model_copy(update={"plan": {d: FixedSpec(value=float(v)) for d, v in zip(_DIMS, plan)}})
    return float(C.compute(block, Draws({}, {}, 1))[f"p_accept.{actor}"][0])


@settings(max_examples=50, deadline=None)
@given(
    actor=st.sampled_from(_ACTORS),
    plan=st.lists(st.floats(0, 1), min_size=len(_DIMS), max_size=len(_DIMS)),
    step=st.floats(0, 1),
)
def test_moving_the_plan_toward_an_actors_ideal_never_lowers_its_acceptance(actor, plan, step):
    """Except from the one point where a partial veto player has nothing to decide (the plan leaves its dimensions
    at the status quo: P = 1, not a coin flip; tests/test_ratification.py): any move off it gives it something to
    decide, accepted with logistic(gain / sigma) < 1 however good for it."""
    plan = np.array(plan)
    i = _ACTORS.index(actor)
    ideal = _IDEAL[i]
    closer = np.clip(plan + step * (ideal - plan), 0, 1)
    a = _BLOCK.actors[i]
    if a.controls:
        ctrl = [_DIMS.index(d) for d in a.controls]
        sq = np.array([float(_BLOCK.status_quo[d].value) for d in a.controls])
        if np.all(np.abs(plan[ctrl] - sq) <= 1e-12):  # C.nothing_to_decide's tolerance
            assert _p_accept(plan, actor) == 1.0
            return
    assert _p_accept(closer, actor) >= _p_accept(plan, actor) - 1e-12


def test_detail_outputs_are_the_same_whether_actors_vary_by_trial_or_not():
    """The trial-last fast path (ideal points and saliences shared by all trials) and the general path (per
    trial) give the same ZOPA and deal-breakers."""
    import dataclasses

    from model import params as P
    from scenarios.config import load
    from scenarios.engine import Draws

    cfg = load(ROOT / STANDALONE, ["coalition.preference_uncertainty.enabled=false"])  # the coding: shared
    dists = cfg.uncertain()
    paths = {id(spec): path for path, (spec, _) in cfg.params().items()}
    n = 300
    x = C.arrays(cfg.model.coalition, Draws(P.draw(dists, P.Sampler(list(dists), 5, "mc"), 0, n), paths, n))
    assert x.ideal.ndim == 2 and x.salience.ndim == 2
    per_trial = dataclasses.replace(x, ideal=np.broadcast_to(x.ideal, (n, *x.ideal.shape)),
                                    salience=np.broadcast_to(x.salience, (n, *x.salience.shape)))
    cols = [x.actors.index(a) for a in C.veto_names(cfg.model.coalition)]
    fast, general = C._details(x, cols, 0, n), C._details(per_trial, cols, 0, n)
    assert set(fast) == set(general)
    for key in fast:
        np.testing.assert_allclose(np.asarray(fast[key], float), np.asarray(general[key], float), rtol=1e-12,
                                   atol=1e-12, equal_nan=True, err_msg=key)


def test_dealbreaker_table_statistics_are_those_of_the_per_trial_deal_breakers():
    """P(rejects), the share of each best dimension and the mean move on it (over the trials where it is the
    best) from the accumulated scenario outputs equal the same statistics computed directly from
    model.coalition.deal_breakers on the chunk's per-trial arrays."""
    from model import coalition as M
    from model import params as P
    from model.stats import Accumulator

    # the two warring sides' costs of no deal uncertain (as in the settlement, where they are the war's costs)
    cfg = load(ROOT / STANDALONE, ["coalition.actors.russia.cost={dist: pert, low: 0.02, mode: 0.04, high: 0.08}",
                                   "coalition.actors.ukraine_government.cost={dist: pert, low: 0.06, mode: 0.12, high: 0.24}",
                                   "coalition.preference_uncertainty.enabled=false"])  # x.ideal[cols]: (A, K)
    dists = cfg.uncertain()
    paths = {id(spec): path for path, (spec, _) in cfg.params().items()}
    n = 3000
    draws = Draws(P.draw(dists, P.Sampler(list(dists), 11, "mc"), 0, n), paths, n)
    out = C.compute(cfg.model.coalition, draws)
    acc = {k: Accumulator() for k in ("rejects", "dealbreaker_best", "dealbreaker_move")}
    for k, a in acc.items():
        a.add(out[k])
    x = C.arrays(cfg.model.coalition, draws)
    cols = [x.actors.index(a) for a in C.veto_names(cfg.model.coalition)]
    reservation = np.broadcast_to(x.reservation, (n, len(x.actors)))
    db = M.deal_breakers(x.plan, x.ideal[cols], x.salience[cols], reservation[:, cols], x.sigma, x.loss_power)
    checked = 0
    for v in range(len(cols)):
        rejects = db.rejects[:, v]
        assert acc["rejects"].mean_value()[v] == pytest.approx(rejects.mean(), abs=1e-12)
        for k in range(len(x.dims)):
            best = rejects & (db.best_dimension[:, v] == k)
            share = acc["dealbreaker_best"].mean_value()[v, k]
            if not rejects.any():  # undefined: no trial where it rejects
                assert np.isnan(share)
                continue
            assert share == pytest.approx(best.sum() / rejects.sum(), abs=1e-12)
            if best.any():
                assert acc["dealbreaker_move"].mean_value()[v, k] == pytest.approx(db.best_move[best, v].mean(),
                                                                                  abs=1e-12)
                assert acc["dealbreaker_move"].count[v, k] == best.sum()
                checked += 1
            else:
                assert acc["dealbreaker_move"].count[v, k] == 0
    assert checked >= 3
