"""Parallel chunks give the same numbers as one process; the Sobol' sampler can start mid-sequence."""

from pathlib import Path

import numpy as np

from model import params as P
from scenarios.config import load
from scenarios.engine import summarise

ROOT = Path(__file__).resolve().parent.parent


def _same(a, b):
    assert set(a.acc) == set(b.acc)
    for k in a.acc:
        np.testing.assert_array_equal(a[k].mean_value(), b[k].mean_value(), err_msg=k)
        np.testing.assert_array_equal(a[k].se(), b[k].se(), err_msg=k)
        np.testing.assert_array_equal(a[k].quantiles(), b[k].quantiles(), err_msg=k)


def test_two_workers_give_bit_identical_summaries():
    cfg = load(ROOT / "configs" / "guarantees" / "plan_28_points.yaml")
    one = summarise(cfg, 5000, 3, "mc", chunk_size=1000, workers=1)
    two = summarise(cfg, 5000, 3, "mc", chunk_size=1000, workers=2)
    _same(one, two)


def test_workers_past_the_quantile_sample_send_no_trials_and_change_nothing(monkeypatch):
    from scenarios import engine

    monkeypatch.setattr(engine, "QUANTILE_CAP", 2000)
    cfg = load(ROOT / "configs" / "forces" / "plan_28_points.yaml")
    one = summarise(cfg, 6000, 3, "mc", chunk_size=1000, workers=1)
    two = summarise(cfg, 6000, 3, "mc", chunk_size=1000, workers=2)  # the worker's chunks start at 3,000
    _same(one, two)
    assert sum(len(p) for p in two["force_ratio"].sample) == 2000


def test_sobol_chunks_drawn_out_of_order_continue_the_sequence():
    whole = P.Sampler(["a", "b"], 5, "sobol").uniforms(0, 8)
    later = P.Sampler(["a", "b"], 5, "sobol").uniforms(1, 4, start=4)
    np.testing.assert_array_equal(whole[4:], later)


def test_sobol_run_in_two_workers_equals_one():
    cfg = load(ROOT / "configs" / "guarantees" / "plan_28_points.yaml")
    _same(summarise(cfg, 4096, 3, "sobol", chunk_size=1024, workers=1),
          summarise(cfg, 4096, 3, "sobol", chunk_size=1024, workers=2))


def test_quantile_sample_is_bounded_by_values_per_output():
    from model.stats import Accumulator

    wide, narrow = Accumulator(quantile_cap=100, quantile_values=200), Accumulator(quantile_cap=100, quantile_values=200)
    for _ in range(3):
        wide.add(np.ones((150, 10)))
        narrow.add(np.ones(150))
    assert sum(len(p) for p in wide.sample) == 20  # 200 values / 10 per trial
    assert sum(len(p) for p in narrow.sample) == 100  # the trial cap
    assert wide.count[0] == 450  # moments still use every trial


def test_detail_outputs_cover_the_first_detail_trials_and_change_nothing_else():
    cfg = load(ROOT / "configs" / "coalition" / "plan_28_points.yaml")
    full = summarise(cfg, 5000, 3, "mc", chunk_size=1000, detail_trials=5000)
    part = summarise(cfg, 5000, 3, "mc", chunk_size=1000, detail_trials=2500, workers=2)  # ends mid-chunk
    none = summarise(cfg, 5000, 3, "mc", chunk_size=1000, detail_trials=0)
    details = {"plan_position", "zopa_low", "zopa_high", "zopa_nonempty", "rejects", "dealbreaker_best",
               "dealbreaker_move", "dealbreaker_p_after", "p_adopted_in_full"}
    adoption = ("p_pivotal.", "p_sole_blocker.", "p_stage.", "p_through.", "p_reverted.")  # issue 15: detail too
    extra = set(full.acc) - set(none.acc)
    assert {k for k in extra if not k.startswith(adoption)} == details and set(part.acc) == set(full.acc)
    assert {k for k in extra if k.startswith("p_pivotal.")} == {f"p_pivotal.{a.name}" for a in
                                                               cfg.model.coalition.actors}
    for k in none.acc:  # headline and table outputs do not depend on how many trials get details
        np.testing.assert_array_equal(none[k].mean_value(), full[k].mean_value(), err_msg=k)
        np.testing.assert_array_equal(part[k].mean_value(), full[k].mean_value(), err_msg=k)
    assert int(part["rejects"].n[0]) == 2500 and int(full["rejects"].n[0]) == 5000
    # the first 2,500 trials' deal-breakers are the same trials whichever cap was set
    first = summarise(cfg, 2500, 3, "mc", chunk_size=1000, detail_trials=5000)
    np.testing.assert_array_equal(part["rejects"].mean_value(), first["rejects"].mean_value())
    np.testing.assert_array_equal(part["dealbreaker_move"].mean_value(), first["dealbreaker_move"].mean_value())


def test_variants_equal_runs_of_configs_with_the_values_set():
    """summarise_variants (one draw, many fixed values) gives exactly what `--set path=value` runs give."""
    from scenarios.engine import summarise_variants

    cfg = load(ROOT / "configs" / "plan_28_points.yaml")
    paths = ["coalition.sigma", "forces.ukraine_now"]
    variants = [{paths[0]: 0.05}, {paths[1]: 700_000.0}, {}]
    got = summarise_variants(cfg, 3000, 9, variants)
    for fixed, s in zip(variants, got):
        alone = summarise(load(ROOT / "configs" / "plan_28_points.yaml", [f"{k}={v!r}" for k, v in fixed.items()]),
                          3000, 9, "mc", chunk_size=cfg.model.run.chunk_size, detail_trials=0)
        assert set(s.acc) == set(alone.acc)
        for k in s.acc:
            np.testing.assert_array_equal(s[k].mean_value(), alone[k].mean_value(), err_msg=k)
            np.testing.assert_array_equal(s[k].se(), alone[k].se(), err_msg=k)
