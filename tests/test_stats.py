"""Mergeable Monte Carlo summaries: chunked = all at once; intervals behave."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.stats import Accumulator, ByCategory, Estimate, OneHot, difference, estimate, wilson_interval


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(1, 50), min_size=1, max_size=6), st.integers(0, 1000))
def test_chunked_summary_equals_the_whole(sizes, seed):
    x = np.random.default_rng(seed).normal(3, 2, size=(sum(sizes), 2))
    acc = Accumulator()
    start = 0
    for n in sizes:
        acc.add(x[start:start + n])
        start += n
    assert np.allclose(acc.mean_value(), x.mean(axis=0))
    if len(x) > 1:
        assert np.allclose(acc.var(), x.var(axis=0, ddof=1))
    assert np.allclose(acc.quantiles((0.5,))[0], np.median(x, axis=0))


def test_nan_trials_are_left_out_of_their_element_only():
    acc = Accumulator()
    acc.add(np.array([[1.0, np.nan], [3.0, 2.0], [np.inf, 4.0]]))
    assert acc.count.tolist() == [2, 2]
    assert acc.mean_value().tolist() == [2.0, 3.0]


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from([np.nan, np.inf, -np.inf]), st.floats(0, 0.5))
def test_non_finite_values_are_left_out_exactly_as_the_finite_ones_alone(seed, bad, share):
    """Whatever mix of NaN and +-inf: the finite values' own mean and variance."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(40, 3))
    x[rng.random((40, 3)) < share] = bad
    acc = Accumulator()
    with np.errstate(all="raise"):  # no floating-point warning escapes the accumulator
        acc.add(x[:25])
        acc.add(x[25:])
    for k in range(3):
        ok = x[:, k][np.isfinite(x[:, k])]
        assert acc.count[k] == len(ok)
        if len(ok):
            assert acc.mean_value()[k] == pytest.approx(ok.mean(), rel=1e-9, abs=1e-300)
        if len(ok) > 1:
            assert acc.var()[k] == pytest.approx(ok.var(ddof=1), rel=1e-9, abs=1e-300)
    assert not np.isinf(np.concatenate(acc.sample)).any()


def _same_summary(a: Accumulator, b: Accumulator) -> None:
    for name in ("n", "mean", "m2"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-12, atol=1e-12, err_msg=name)
    assert a.binary == b.binary
    np.testing.assert_array_equal(a.quantiles(), b.quantiles())


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.floats(0, 1), st.sampled_from([np.nan, np.inf]), st.booleans())
def test_trials_last_layout_gives_the_same_summary(seed, share, bad, binary):
    """An (n, ...) view of an array stored trials-last (summed along its rows, and through the gathered
    finite values when most are undefined) summarises exactly as the same values stored trials-first."""
    rng = np.random.default_rng(seed)
    a, b = Accumulator(quantile_cap=50), Accumulator(quantile_cap=50)
    for n in (40, 50):
        stored = rng.integers(0, 2, (3, 4, n)).astype(float) if binary else rng.normal(1, 2, (3, 4, n))
        stored[rng.random(stored.shape) < share] = bad
        view = np.moveaxis(stored, -1, 0)
        assert np.moveaxis(view, 0, -1).flags.c_contiguous and not view.flags.c_contiguous
        a.add(view)
        b.add(np.ascontiguousarray(view))
    _same_summary(a, b)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 5), st.booleans())
def test_one_hot_codes_summarise_as_the_one_hot_array(seed, categories, trials_last):
    """OneHot (category codes, NONE, UNDEFINED) gives the statistics of the dense 0/1/NaN array."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(OneHot.UNDEFINED, categories, (70, 3))
    if trials_last:
        codes = np.ascontiguousarray(codes.T).T
    a, b = Accumulator(quantile_cap=30), Accumulator(quantile_cap=30)
    for rows in (slice(0, 25), slice(25, 70)):
        part = OneHot(codes[rows], categories)
        a.add(part)
        b.add(part.dense())
    _same_summary(a, b)
    assert a.mean.shape == (3, categories)


def test_quantile_sample_is_capped():
    acc = Accumulator(quantile_cap=100)
    for _ in range(5):
        acc.add(np.arange(60.0))
    assert sum(len(s) for s in acc.sample) == 100
    assert acc.count == 300


def test_merge_equals_sequential_adds():
    rng = np.random.default_rng(0)
    a, b, whole = Accumulator(), Accumulator(), Accumulator()
    xa, xb = rng.random(100), rng.random(50)
    a.add(xa), b.add(xb), whole.add(np.concatenate([xa, xb]))
    a.merge(b)
    assert a.mean_value() == pytest.approx(whole.mean_value())
    assert a.var() == pytest.approx(whole.var())


def test_proportion_estimate_uses_a_wilson_interval_that_stays_in_0_1():
    acc = Accumulator()
    acc.add(np.r_[np.ones(3), np.zeros(997)])
    e = estimate(acc, proportion=True)
    assert 0 <= e.lo < e.mean < e.hi <= 1
    assert e.se == pytest.approx(np.sqrt(0.003 * 0.997 / 999))


def test_wilson_interval_matches_the_published_example():
    """Newcombe (1998), Statistics in Medicine 17:857-872, Table I, example (a): 81/263 -> 0.2553 to 0.3662."""
    lo, hi = wilson_interval(81 / 263, 263)
    assert lo == pytest.approx(0.2553, abs=5e-5) and hi == pytest.approx(0.3662, abs=5e-5)


def test_difference_adds_independent_errors_in_quadrature():
    d = difference(Estimate(0.5, 0.03, 0, 0, 100), Estimate(0.2, 0.04, 0, 0, 100))
    assert d.mean == pytest.approx(0.3) and d.se == pytest.approx(0.05)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 5), st.booleans(), st.booleans())
def test_values_by_category_summarise_as_their_dense_array(seed, categories, trials_last, binary):
    """ByCategory (a value in one category per cell, undefined in the others) gives the statistics of the
    dense array with NaN outside each value's category."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(-2, categories, (70, 3))
    values = rng.integers(0, 2, (70, 3)).astype(float) if binary else rng.normal(size=(70, 3))
    values[rng.random((70, 3)) < 0.1] = np.nan
    if trials_last:
        codes, values = np.ascontiguousarray(codes.T).T, np.ascontiguousarray(values.T).T
    a, b = Accumulator(quantile_cap=30), Accumulator(quantile_cap=30)
    for rows in (slice(0, 25), slice(25, 70)):
        part = ByCategory(codes[rows], values[rows], categories)
        a.add(part)
        b.add(part.dense())
    _same_summary(a, b)
