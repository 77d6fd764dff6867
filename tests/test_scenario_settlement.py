"""The settlement scenario end to end, one world per trial (MODELS.md sections 0, 1, 3): the default run, the
composite's scientific properties through `accord`, and `accord compare`."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import cli
from model import guarantees as gm
from scenarios import settlement
from scenarios.config import load
from scenarios.engine import iterate_chunks, summarise

ROOT = Path(__file__).resolve().parent.parent
OPTIONS = ("plan_28_points", "counterproposal", "no_deal")


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def _run(tmp_path: Path, name: str, *args: str) -> Path:
    out = tmp_path / name
    res = CliRunner().invoke(cli.main, ["run", *args, "--out", str(out), "--quiet"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return out


def _survival(run: Path, table: str = "survival") -> np.ndarray:
    return np.array([float(r["p_holds"]) for r in _read(run / "tables" / f"{table}.csv")])


DEFAULT_RUN_TRIALS = 3000


@pytest.fixture(scope="module")
def default_run(tmp_path_factory) -> Path:
    """`accord run --trials 3000` of the default config (configs/plan_28_points.yaml)."""
    return _run(tmp_path_factory.mktemp("run"), "plan", "--trials", str(DEFAULT_RUN_TRIALS))


def _summarise(overrides: list[str], trials: int):
    """The default config with ``overrides`` (as `--set`) summarised as `accord run -n TRIALS --set ...` does
    (engine.summarise on the config's seed and sampler), without the report's re-runs (its one-at-a-time
    sensitivity and structural variants, most of a run's time at any trial count): (config, summaries).
    `test_the_summaries_give_the_tables_accord_run_writes` checks that they are the run's numbers."""
    cfg = load(ROOT / "configs" / "plan_28_points.yaml", overrides)
    return cfg, summarise(cfg, trials, cfg.model.run.seed, cfg.model.run.sampler)


def _p_holds(s) -> np.ndarray:
    """P(holds t | adopted), t = 0..T: the p_holds column of the run's tables/survival.csv."""
    return np.array([r["p_holds"] for r in settlement.survival_table(s).records()])


def test_default_run_writes_settlement_and_component_outputs(default_run):
    tables = {p.stem for p in (default_run / "tables").glob("*.csv")}
    figures = {p.stem for p in (default_run / "figures").glob("*.png")}
    assert {"outcomes", "survival", "survival_no_guarantee", "mechanism", "variants", "headline"} <= tables
    assert {"acceptance", "adoption", "balance", "credibility"} <= tables  # coalition, forces, guarantees
    assert {"survival", "outcomes", "network", "balance", "credibility"} <= figures
    summary = (default_run / "summary.md").read_text()
    for section in ("The assumptions that matter most", "Structural variants", "Without the guarantee", "Selection"):
        assert section in summary
    manifest = json.loads((default_run / "manifest.json").read_text())
    assert manifest["seed"] == 20251120 and manifest["trials"] == 3000


def test_every_headline_carries_both_spreads_named_apart(default_run):
    """The Monte Carlo error of the mean and the spread over assumptions (10-90% of the per-draw value), in the
    table and the manifest; conditional rows state their effective sample size, not the trial count."""
    rows = {r["metric"]: r for r in _read(default_run / "tables" / "headline.csv")}
    for r in rows.values():
        assert float(r["ci95_low"]) <= float(r["mean"]) <= float(r["ci95_high"])
        lo, hi = float(r["spread10"]), float(r["spread90"])
        assert lo <= hi
    p5 = rows["p_holds_5y"]
    assert float(p5["n_effective"]) < float(p5["n_trials"])  # weighted by P(adopted)
    assert float(rows["p_adopted"]["n_effective"]) == float(rows["p_adopted"]["n_trials"])
    manifest = json.loads((default_run / "manifest.json").read_text())
    assert {"spread10", "spread90", "n_effective"} <= set(manifest["headline"]["p_holds_5y"])


def test_survival_starts_at_one_and_never_rises(default_run):
    for table in ("survival", "survival_no_guarantee"):
        p = _survival(default_run, table)
        assert p[0] == pytest.approx(1.0, abs=1e-12)  # a ratio of two float sums of the same numbers
        assert np.all(np.diff(p) <= 1e-12)
        assert np.all((p >= 0) & (p <= 1 + 1e-12))


def test_outcomes_partition_the_trials(default_run):
    rows = _read(default_run / "tables" / "outcomes.csv")
    assert sum(float(r["probability"]) for r in rows) == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("option", OPTIONS)
def test_the_weighted_estimator_identity_holds_for_each_option(option):
    """P(adopted and holds t) = P(adopted) * P(holds t | adopted): the ratio estimator's own identity."""
    cfg = load(ROOT / "configs" / f"{option}.yaml")
    s = summarise(cfg, 3000, 11, "mc")
    surv = np.array([r["p_holds"] for r in settlement.survival_table(s).records()])
    assert surv[0] == pytest.approx(1.0, abs=1e-12) and np.all(np.diff(surv) <= 1e-12)
    pa = s.estimate("p_adopted").mean
    for m in settlement.MILESTONES:
        assert s.estimate("survival.w", (m,)).mean == pytest.approx(pa * surv[m], rel=1e-9, abs=1e-15)


def test_the_summaries_give_the_tables_accord_run_writes(default_run):
    """The shortcut of the tests below (`_summarise`) gives the very numbers `accord run` writes: its headline
    table and its survival curve."""
    cfg, s = _summarise([], DEFAULT_RUN_TRIALS)
    written = {r["metric"]: float(r["mean"]) for r in _read(default_run / "tables" / "headline.csv")}
    head = settlement.config_headline(cfg, s)
    assert {"p_adopted", "p_holds_5y", "p_adopted_and_holds_5y"} <= set(head)
    for metric, h in head.items():
        assert h.estimate.mean == pytest.approx(written[metric], rel=1e-12, abs=1e-15, nan_ok=True), metric
    np.testing.assert_allclose(_p_holds(s), _survival(default_run), rtol=1e-12, atol=1e-15)
    assert f"p_adopted@{settlement.NO_GUARANTEE}" in s  # the guarantee's run carries the world without it


def test_the_no_guarantee_row_equals_a_run_with_the_guarantee_removed(default_run):
    """The run's 'without the guarantee' world (q = 0 and no guarantee on the coalition's table, computed in the
    same pass) equals a separate run of the config with `guarantees: []` (common random numbers: every shared
    parameter draws the same values)."""
    a = {r["metric"]: float(r["mean"]) for r in _read(default_run / "tables" / "headline.csv")}
    cfg, without = _summarise(["guarantees=[]"], DEFAULT_RUN_TRIALS)
    b = {k: h.estimate.mean for k, h in settlement.config_headline(cfg, without).items()}
    for metric in ("p_adopted", "p_holds_5y", "p_adopted_and_holds_5y"):
        assert a[f"{metric}@no_guarantee"] == pytest.approx(b[metric], rel=1e-9, abs=1e-15), metric
    np.testing.assert_allclose(_survival(default_run, "survival_no_guarantee"), _p_holds(without), rtol=1e-9,
                               atol=1e-15)
    assert f"p_adopted@{settlement.NO_GUARANTEE}" not in without  # no guarantee: no world without it


@pytest.mark.parametrize("weaker, stronger", [
    (["guarantees.us.tripwire=0"], ["guarantees.us.tripwire=1"]),
    (["guarantees.us.stake=0.25"], ["guarantees.us.stake=1.75"]),
    (["war.response_troops=50000"], ["war.response_troops=1500000"]),
    (["war.punishment=0.2"], ["war.punishment=2"]),
])
def test_a_stronger_or_more_credible_guarantee_never_lowers_p_holds_given_adoption(weaker, stronger):
    """More credible (tripwire, stake: q up) or stronger (a bigger response, a heavier punishment) never brings a
    trial's break forward (tests/test_bargaining.py), and on common random numbers the adoption weights are the
    same, so P(holds t | adopted) is weakly higher at every t."""
    # exact on common random numbers whatever the count: a small run keeps the suite quick
    low, high = _p_holds(_summarise(weaker, 800)[1]), _p_holds(_summarise(stronger, 800)[1])
    assert low.shape == high.shape and len(low) > 5
    assert np.all(high >= low - 1e-12)


def test_the_guarantee_term_is_the_same_function_in_deterrence_and_bargaining(monkeypatch):
    """One implementation: both the deterrence report (model.guarantees.evaluate_guarantee) and the bargaining
    range (model.bargaining.war_payoffs) call model.guarantees.war_payoff, and the settlement's challenger payoff
    is EU_A = (1 - q)(V p - k) + q (V p_g - k - P) of its own outputs."""
    calls = []
    original = gm.war_payoff

    def spy(*args, **kwargs):
        import inspect

        calls.append(inspect.stack()[1].function)
        return original(*args, **kwargs)

    monkeypatch.setattr(gm, "war_payoff", spy)
    import model.bargaining as mb

    monkeypatch.setattr(mb, "war_payoff", spy)
    cfg = load(ROOT / "configs" / "plan_28_points.yaml")
    _, out = next(iterate_chunks(cfg, 500, 1, "mc"))
    assert {"evaluate_guarantee", "war_payoffs"} <= set(calls)
    draws_cost = out["payoff_challenger"]  # (n, T)
    q, gain = out["q_eff"][:, None], out["gain_challenger"]
    # recompute from the world's pieces: the guaranteed gain and the costs are not outputs, so check the identity
    # payoff(q) - payoff(0) = -q (G - G_g + P), with G - G_g + P the deterrence's own "leverage"
    leverage = out["challenger.guarantee_leverage"][:, None]
    unguaranteed = out["challenger.payoff_unguaranteed"][:, None]
    np.testing.assert_allclose(draws_cost[:, :1], unguaranteed - q * leverage, rtol=1e-12, atol=1e-15)
    assert gain.shape == draws_cost.shape


@pytest.mark.parametrize("args, key, words", [
    (["--set", "forces.ukraine_cap=500000"], "forces.ukraine_cap", "set twice"),
    (["--set", "cession.ceded_km2=3000"], "cession.ceded_km2", "set twice"),
    (["--set", "coalition.actors.russia.cost=0.1"], "coalition.actors.russia.cost", "set twice"),
    (["--set", "challenger={p_win: 0.5, p_win_guaranteed: 0.1, cost_of_war: 0.2, punishment: 1}"], "challenger",
     "set twice"),
    (["--set", "coalition.plan=" + json.dumps({d: 0.5 for d in (
        "territory", "force_cap", "weapons_limits", "foreign_troops", "guarantee_strength", "sanctions_relief",
        "frozen_assets", "nato_membership", "domestic_policy", "elections", "amnesty")})], "coalition.plan", "set twice"),
    (["--set", "terms.positions={territory: 0.5}"], "terms.positions.territory", "set twice"),
])
def test_a_quantity_set_twice_is_a_one_line_config_error(tmp_path, args, key, words):
    res = CliRunner().invoke(cli.main, ["run", "configs/plan_28_points.yaml", *args, "--out", str(tmp_path / "x")])
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and key in lines[0] and words in lines[0], res.stderr
    assert not (tmp_path / "x").exists()


def test_a_dimension_without_a_map_is_a_config_error(tmp_path):
    cfg = tmp_path / "extra.yaml"
    coalition = load(ROOT / "configs" / "no_deal.yaml").data["coalition"]
    coalition["dimensions"] = coalition["dimensions"] + [{"name": "reparations", "source": "test"}]
    for actor in coalition["actors"]:
        actor["ideal"]["reparations"] = 0.5
    coalition["no_deal"][0]["position"]["reparations"] = 0.0
    cfg.write_text(json.dumps({"extends": str(ROOT / "configs" / "no_deal.yaml"), "coalition": coalition}))
    res = CliRunner().invoke(cli.main, ["validate", str(cfg)])
    assert res.exit_code == 2
    assert "reparations" in res.stderr and "terms.positions" in res.stderr


def test_weighted_conditioning_matches_tossing_the_adoption_coin():
    """E[w v] / E[w] is what sampling adoption (a coin with P = w per trial) estimates, with less noise: over
    many trials the two agree within Monte Carlo error."""
    cfg = load(ROOT / "configs" / "counterproposal.yaml", ["terms.force_cap=450000"])
    rng = np.random.default_rng(0)
    held = []
    for _, out in iterate_chunks(cfg, 20000, 4, "mc"):
        coin = rng.random(len(out["p_adopted"])) < out["p_adopted"]
        held.append(out["survival"][coin, 5])
    sampled = np.concatenate(held)
    s = summarise(cfg, 20000, 4, "mc")
    est = settlement.conditional(s, "survival", (5,))
    se_sampled = sampled.std(ddof=1) / np.sqrt(len(sampled))
    assert abs(est.mean - sampled.mean()) < 4 * np.hypot(est.se, se_sampled) + 1e-9
    assert est.se <= se_sampled + 1e-12  # weighting beats the coin


def test_compare_matches_separate_runs_and_differences_are_consistent(tmp_path):
    args = ["compare", *(f"configs/{o}.yaml" for o in OPTIONS), "-n", "2000", "--seed", "3", "--json",
            "--out", str(tmp_path / "cmp")]
    res = CliRunner().invoke(cli.main, args, catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert (tmp_path / "cmp" / "tables" / "compare.csv").is_file()
    labels = data["options"]
    for label, option in zip(labels, OPTIONS):
        alone = summarise(load(ROOT / "configs" / f"{option}.yaml"), 2000, 3, "mc")
        for metric in ("p_adopted", "kyiv_km2_at_horizon"):
            got = data["metrics"][metric]["values"][label]["mean"]
            assert got == pytest.approx(alone.estimate(metric).mean, rel=1e-12)
    for metric, entry in data["metrics"].items():
        base = entry["values"][labels[0]]["mean"]
        for label in labels[1:]:
            d = entry["differences"][f"{label} - {labels[0]}"]
            other = entry["values"][label]["mean"]
            if np.isfinite(base) and np.isfinite(other):
                assert d["mean"] == pytest.approx(other - base, abs=1e-9), metric
                assert d["ci95_low"] <= d["mean"] <= d["ci95_high"], metric


def test_compare_pairs_conditional_headlines_by_the_delta_method():
    """P(holds 5 years | adopted) and years of peace are ratios of per-trial means: compare's paired s.e. of
    their difference equals the delta method computed directly from the per-trial arrays of both options."""
    from scenarios.compare import compare

    n, seed = 3000, 4
    names = ["no_deal", "counterproposal"]
    report = compare([f"configs/{o}.yaml" for o in names], trials=n, seed=seed)
    per_trial = []
    chunk = load(ROOT / "configs/no_deal.yaml").model.run.chunk_size
    for o in names:
        cfg = load(ROOT / "configs" / f"{o}.yaml")
        chunks = [out for _, out in iterate_chunks(cfg, n, seed, "mc", chunk)]
        per_trial.append({k: np.concatenate([c[k] for c in chunks]) for k in ("p_adopted", "survival.w", "years_of_peace.w")})
    for metric, numerator in (("p_holds_5y", lambda d: d["survival.w"][:, 5]), ("years_of_peace", lambda d: d["years_of_peace.w"])):
        z = 0.0
        for sign, d in ((1.0, per_trial[1]), (-1.0, per_trial[0])):
            a, w = numerator(d), d["p_adopted"]
            r = a.mean() / w.mean()
            z = z + sign * (a - r * w) / w.mean()
        want = np.std(z, ddof=1) / np.sqrt(n)
        got = report.data["metrics"][metric]["differences"]["counterproposal - no_deal"]
        assert got["method"].startswith("paired ratio")
        assert got["se"] == pytest.approx(want, rel=1e-6), metric


def test_compare_of_a_config_with_itself_has_zero_paired_differences():
    from scenarios.compare import compare

    report = compare(["configs/plan_28_points.yaml", "configs/plan_28_points.yaml"], trials=1000, seed=2)
    for metric, entry in report.data["metrics"].items():
        for d in entry["differences"].values():
            assert d["mean"] == 0 and d["se"] == pytest.approx(0, abs=1e-12), metric


def _selection_world():
    """The world built to show selection: Russia's cost of war wide enough to straddle the renewed war's
    expected gain (the war model's), so the cost decides both adoption and durability; acceptance decisive."""
    return load(ROOT / "configs" / "no_deal.yaml", [
        "forces.compare_with=[]", "settlement.rule=mechanism", "coalition.sigma=0.01",
        "war.cost_challenger={dist: uniform, low: 0, high: 0.3, source: test}",
        "coalition.preference_uncertainty.enabled=false"])


def test_adoption_and_durability_share_their_causes_the_selection_effect():
    """One world per trial (MODELS.md section 0): Russia's cost of a renewed war is one draw, read by its
    acceptance (a costly war makes no deal worse) and by the bargaining range (a costly war makes attacking
    worse). In a world built to show it (that cost wide, acceptance decisive, the mechanism alone), the plans that
    are adopted are those the parties would keep (Fortna 2004; Werner & Yuen 2005): P(holds 5 years | adopted)
    lies far above P(holds 5 years) over all draws. (Acceptance decisive: the ideal points and saliences at
    their coding, not drawn per trial, whose own spread would dilute the shared cause.)"""
    s = summarise(_selection_world(), 6000, 2, "mc", detail_trials=0)
    head = settlement.headline(s)
    given, overall = head["p_holds_5y"].estimate, head["p_holds_5y_unconditional"].estimate
    assert given.mean - overall.mean > 6 * np.hypot(given.se, overall.se)


def _holds(extra: list[str], trials: int = 3000) -> tuple[float, float]:
    cfg = load(ROOT / "configs" / "plan_28_points.yaml", ["forces.compare_with=[]", *extra])
    row = settlement.survival_table(summarise(cfg, trials, 2, "mc", detail_trials=0)).records()[5]
    return row["p_holds"], row["p_holds_reference"]


def test_a_defender_favourable_shift_alone_can_break_the_peace():
    """Powell (2006) made operative: with the bargaining gap's term off, a fast defender-favourable shift (Ukraine
    rebuilding its fortified lines within a few years of ceding the fortress belt, so Russia's war share falls
    year by year) raises the hazard on its own: P(holds 5 years | adopted) falls below the reference class alone,
    and below the same world with the shift's term off (common random numbers, so any difference is the term's).
    Russia's rearmament is held at 0, so the rebuilding is the only shift (with it, Russia's growth shifts the
    balance the other way and the two offset)."""
    still = ["settlement.gamma_gap=0", "forces.russia_rearmament_per_year=0", "war.rearmament_at_full_relief=0"]
    fast = [*still, "cession.fortified_rebuild_per_year=0.3", "settlement.gamma_shift=200"]
    held, reference = _holds(fast)
    no_term, _ = _holds([*fast[:-1], "settlement.gamma_shift=0"])
    slow, _ = _holds([*still, "cession.fortified_rebuild_per_year=0.01", "settlement.gamma_shift=200"])
    assert no_term == pytest.approx(reference, abs=1e-12)  # neither gap nor shift: the reference class alone
    assert held < reference - 0.01
    assert held < slow  # the faster the shift, the more it breaks


def test_terms_far_from_the_balance_of_power_do_not_hold():
    """Werner (1999): a renewed war voids the text and starts from the ground the plan leaves (model.terms.
    physical_line), so a settlement that grants far more than the ground (x well above the line: the defender
    would regain it by fighting) or far less (x below it: the challenger would) holds less often than one that
    matches the ground. Same draws (common random numbers): only x differs."""
    holds = {x: _holds([f"terms.territory={x}"], trials=2000)[0] for x in (0.3, 0.64, 0.98)}
    assert holds[0.64] > holds[0.3] + 0.02
    assert holds[0.64] > holds[0.98] + 0.02


def test_brief_tables_escape_pipes_in_cells():
    """A label with a pipe ("P(holds 5 years | adopted)") stays one cell of the brief's Markdown tables: every row
    renders (GFM, as report.html renders the brief) to as many cells as the header, the pipe shown as text."""
    from markdown_it import MarkdownIt

    from scenarios.results import md_cell, md_table

    assert md_cell("a | b\nc") == "a \\| b c"
    header = ["assumption", "kind", *settlement.OAT_METRICS.values()]
    lines = md_table(header, [["`x|y`", "parameter", "1% -> 2%", "63% -> 64%", "n/a"]])
    html = MarkdownIt("commonmark").enable("table").render("\n".join(lines))
    assert html.count("<th>") == len(header) == 5
    assert html.count("<td>") == 5
    assert "P(holds 5 years | adopted)" in html and "<code>x|y</code>" in html


def test_brief_selection_gap_standard_error_is_calibrated():
    """The selection sentence's difference D = E[w v]/E[w] - E[v] and its delta-method s.e. (Cochran 1977): zero
    with zero s.e. when adoption does not vary (nothing to select), and over 400 independent replications the
    spread of D matches the mean s.e. (within 15%)."""
    v = np.random.default_rng(0).uniform(size=500)
    assert settlement.selection_gap(np.full(500, 0.3), v) == pytest.approx((0.0, 0.0), abs=1e-12)
    rng = np.random.default_rng(1)
    n, reps = 2000, 400
    cost = rng.uniform(size=(reps, n))  # one cause shared by adoption and durability
    w = 1 / (1 + np.exp(-(4 * cost - 2)))
    S = np.clip(0.4 + 0.4 * cost + rng.normal(0, 0.1, (reps, n)), 0, 1)
    got = np.array([settlement.selection_gap(w[i], S[i]) for i in range(reps)])
    assert got[:, 0].mean() > 0.02  # adopted futures hold more often
    assert got[:, 0].std(ddof=1) == pytest.approx((got[:, 1] / np.sqrt(n)).mean(), rel=0.15)


def test_brief_selection_sentence_states_the_difference_and_its_standard_error():
    """In the world built to show selection (see the test above on shared causes), the brief's sentence gives
    the difference in points with its s.e. and attributes it to shared causes; it never claims an effect the
    numbers do not show."""
    s = summarise(_selection_world(), 2000, 2, "mc", detail_trials=0)
    head = settlement.headline(s)
    text = settlement._selection_sentence(s, head["p_holds_5y"], head["p_holds_5y_unconditional"])
    d = head["p_holds_5y"].estimate.mean - head["p_holds_5y_unconditional"].estimate.mean
    assert f"{100 * d:+.1f} percentage points (s.e." in text
    assert "share their causes" in text and "no detectable" not in text


def test_structural_variants_include_tripwire_weight_within_country_correlation_and_full_vetoes():
    """Issue 12 item 5: the guarantee's tripwire weight (guarantee.shifts.tau) at the ends of its range, the
    within-country correlation of the veto players at the ends of theirs, and the partial veto players (EU
    Council, US Congress) as full vetoes; each variant's overrides load and set what it says."""
    from scenarios.config import from_data

    config = load(ROOT / "configs" / "plan_28_points.yaml")
    named = {name: overrides for name, _, overrides in settlement.structural_variants(config)}
    lo, hi = settlement._range_ends(config, "guarantee.shifts.tau")
    assert (lo, hi) == (0.0, 1.5)

    def model(name):
        return from_data(config.data, config.locs, config.files, named[name], path=config.path).model

    assert model("guarantee's tripwire weight at its low end").guarantee.shifts.tau.value == 0.0
    assert model("guarantee's tripwire weight at its high end").guarantee.shifts.tau.value == 1.5
    corr = {c.name: c.correlation.value for c in model("within-country correlation at its low ends").coalition.countries
            if c.name in ("ukraine", "us")}
    assert corr == {"ukraine": 0.5, "us": 0.3}
    corr = {c.name: c.correlation.value for c in model("within-country correlation at its high ends").coalition.countries
            if c.name in ("ukraine", "us")}
    assert corr == {"ukraine": 0.95, "us": 0.9}
    full = model("us_congress and eu_council as full veto players")
    assert all(not a.controls for a in full.coalition.actors)


def test_variants_and_parameters_rank_together_by_the_largest_change():
    """The "assumptions that matter most" table holds the parameters and the structural variants, ranked by the
    largest absolute change in any headline; a variant's change is measured from the "as configured" row before
    it."""
    from model.stats import Estimate

    def e(m):
        return Estimate(m, 0.01, m - 0.02, m + 0.02, 4000)

    variants = [{"variant": "as configured", "change": "(the run)", "trials": 4000, "p_adopted": e(0.03),
                 "p_holds_5y": e(0.63)},
                {"variant": "mechanism alone", "change": "rule", "trials": 4000, "p_adopted": e(0.03),
                 "p_holds_5y": e(0.91)},
                {"variant": "rho 0", "change": "rho", "trials": 4000, "p_adopted": e(0.026), "p_holds_5y": e(0.63)}]
    oat = [{"path": "coalition.sigma", "kind": "parameter", "p_adopted": (0.001, 0.067, 0.066, 0.0005)}]
    ranked = settlement.ranking(oat, variants)
    assert [r["path"] for r in ranked] == ["mechanism alone", "coalition.sigma", "rho 0"]
    assert ranked[0]["p_holds_5y"][:3] == pytest.approx((0.63, 0.91, 0.28))
    assert ranked[0]["kind"] == "structural"


class _Mean:
    def __init__(self, value, sample=()):
        self.value, self.sample = np.asarray(value, dtype=float), list(sample)

    def mean_value(self):
        return self.value

    def values(self):
        return np.concatenate(self.sample, axis=0, dtype=float) if self.sample else np.empty(0)


class _Summaries(dict):
    n_trials = 20000


def test_a_certain_conditional_event_keeps_the_interval_of_its_effective_sample():
    """P(holds 0 years | adopted) is 1 in every trial; the ratio of two float sums gives it as 1 - 1e-16 with a
    rounding-level s.e. Its Wilson interval must stay that of Kish's effective sample (not of the n* = p (1 - p) /
    se^2 that rounding would imply, which put the lower bound at 98% on a 20,000-trial run)."""
    from model.stats import wilson_interval

    w = np.random.default_rng(0).uniform(0, 0.3, 20000)
    mw, mw2 = w.mean(), (w * w).mean()
    s = _Summaries({"p_adopted": _Mean(mw, [w]), "p_adopted.w2": _Mean(mw2),
                    "survival.w": _Mean([mw * (1 - 1e-16)]), "survival.w2v": _Mean([mw2]),
                    "survival.w2v2": _Mean([mw2 * (1 + 6e-16)]), "survival": _Mean([1.0], [np.ones((20000, 1))])})
    est = settlement.conditional(s, "survival", (0,))
    n_eff = 20000 * mw * mw / mw2
    assert est.effective_n == pytest.approx(n_eff)
    assert est.lo == pytest.approx(wilson_interval(1.0, n_eff)[0], abs=1e-9)
    assert est.lo > 0.999
