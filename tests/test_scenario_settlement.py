"""The settlement scenario end to end: the default run, the survival curve's invariants, and `accord compare`."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import cli
from scenarios import settlement
from scenarios.config import load
from scenarios.engine import summarise

ROOT = Path(__file__).resolve().parent.parent
OPTIONS = ("plan_28_points", "counterproposal", "no_deal")


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def default_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "plan"
    res = CliRunner().invoke(cli.main, ["run", "--trials", "3000", "--out", str(out), "--quiet"],
                             catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return out


def test_default_run_writes_settlement_and_component_outputs(default_run):
    tables = {p.stem for p in (default_run / "tables").glob("*.csv")}
    figures = {p.stem for p in (default_run / "figures").glob("*.png")}
    assert {"outcomes", "survival", "headline"} <= tables
    assert {"acceptance", "adoption", "balance", "credibility"} <= tables  # coalition, forces, guarantees
    assert {"survival", "outcomes", "network", "balance", "war", "credibility"} <= figures
    summary = (default_run / "summary.md").read_text()
    assert "The assumptions that matter most" in summary and "3,000" in summary
    manifest = json.loads((default_run / "manifest.json").read_text())
    assert manifest["seed"] == 20251120 and manifest["trials"] == 3000


def test_survival_starts_at_one_and_never_rises(default_run):
    rows = _read(default_run / "tables" / "survival.csv")
    p = np.array([float(r["p_holds"]) for r in rows])
    assert p[0] == pytest.approx(1.0, abs=1e-12)  # a ratio of two float sums of the same numbers
    assert np.all(np.diff(p) <= 1e-12)
    assert np.all((p >= 0) & (p <= 1 + 1e-12))


def test_outcomes_partition_the_trials(default_run):
    rows = _read(default_run / "tables" / "outcomes.csv")
    total = sum(float(r["probability"]) for r in rows)
    assert total == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("option", OPTIONS)
def test_each_option_survival_is_monotone_given_adoption(option):
    cfg = load(ROOT / "configs" / f"{option}.yaml")
    s = summarise(cfg, 4000, 11, "mc")
    surv = np.array([r["p_holds"] for r in settlement.survival_table(s).records()])
    assert surv[0] == pytest.approx(1.0, abs=1e-12) and np.all(np.diff(surv) <= 1e-12)
    # P(adopted and holds t) = P(adopted) * P(holds t | adopted): the weighted estimator's identity
    pa = s.estimate("p_adopted").mean
    for m in settlement.MILESTONES:
        joint = s.estimate(f"p_adopted_and_holds_{m}y").mean
        assert joint == pytest.approx(pa * surv[m], rel=1e-9, abs=1e-15)


def test_weighted_conditioning_matches_tossing_the_adoption_coin():
    """E[w v] / E[w] is what sampling adoption (a coin with P = w per trial) estimates, with less noise: over
    many trials the two agree within Monte Carlo error."""
    # a weaker army, so that some settlements break and P(holds) is far from 0 and 1
    cfg = load(ROOT / "configs" / "counterproposal.yaml", ["forces.ukraine_cap=450000"])
    from scenarios.engine import iterate_chunks

    rng = np.random.default_rng(0)
    held, adopted = [], []
    for _, out in iterate_chunks(cfg, 20000, 4, "mc"):
        coin = rng.random(len(out["p_adopted"])) < out["p_adopted"]
        surv = out["survival.w"] / np.where(out["p_adopted"] > 0, out["p_adopted"], 1)[:, None]
        held.append(surv[coin, 5])
        adopted.append(coin)
    sampled = np.concatenate(held)
    s = summarise(cfg, 20000, 4, "mc")
    est, _ = settlement.conditional(s, "survival", (5,))
    se_sampled = sampled.std(ddof=1) / np.sqrt(len(sampled))
    assert abs(est.mean - sampled.mean()) < 4 * np.hypot(est.se, se_sampled)
    assert est.se < se_sampled  # weighting beats the coin


def test_hazard_rule_also_gives_a_monotone_curve():
    cfg = load(ROOT / "configs" / "counterproposal.yaml", ["settlement.rule=hazard"])
    s = summarise(cfg, 3000, 5, "mc")
    surv = np.array([r["p_holds"] for r in settlement.survival_table(s).records()])
    assert surv[0] == pytest.approx(1.0, abs=1e-12) and np.all(np.diff(surv) <= 1e-12)
    assert surv[-1] < 1  # the hazard does break some settlements


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
    from scenarios.engine import iterate_chunks

    n, seed = 3000, 4
    names = ["no_deal", "counterproposal"]
    report = compare([f"configs/{o}.yaml" for o in names], trials=n, seed=seed)
    per_trial = []
    for o in names:
        cfg = load(ROOT / "configs" / f"{o}.yaml")
        chunks = [out for _, out in iterate_chunks(cfg, n, seed, "mc", load(ROOT / "configs/no_deal.yaml").model.run.chunk_size)]
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
