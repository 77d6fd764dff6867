"""Distributions (moments within Monte Carlo error) and samplers (reproducibility, stratification)."""

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from model import params as P

N = 200_000

CASES = [
    P.Uniform(2.0, 5.0),
    P.Normal(10.0, 3.0),
    P.Normal(0.5, 0.3, 0.0, 1.0),
    P.Triangular(0.0, 2.0, 10.0),
    P.Pert(100.0, 150.0, 400.0),
    P.Beta(2.0, 5.0),
    P.Beta(2.0, 2.0, 10.0, 20.0),
    P.Lognormal(3.0, 0.5),
    P.Choice((1.0, 2.0, 5.0), (0.2, 0.5, 0.3)),
    P.Fixed(7.0),
]


@pytest.mark.parametrize("dist", CASES, ids=lambda d: d.describe())
def test_sample_moments_match_the_distribution_within_monte_carlo_error(dist):
    u = np.random.default_rng(1).random(N)
    x = dist.ppf(u)
    sd = np.sqrt(dist.var())
    # mean: 4 standard errors; variance: 4 s.e. of the sample variance (needs the 4th moment; 10% of var is
    # a conservative bound at N=200k for these shapes, checked against the empirical s.e. below)
    assert abs(x.mean() - dist.mean()) <= 4 * sd / np.sqrt(N) + 1e-12
    if sd > 0:
        se_var = np.sqrt(np.mean((x - x.mean()) ** 4) / N)
        assert abs(x.var() - dist.var()) <= 4 * se_var


@pytest.mark.parametrize("dist", CASES[:-1], ids=lambda d: d.describe())
def test_samples_stay_in_the_support(dist):
    x = dist.ppf(np.random.default_rng(2).random(N))
    lo, hi = dist.support()
    assert x.min() >= lo and x.max() <= hi


def test_normal_and_lognormal_quantiles_match_scipy():
    u = np.linspace(0.001, 0.999, 99)
    assert np.allclose(P.Normal(1, 2).ppf(u), stats.norm(1, 2).ppf(u))
    assert np.allclose(P.Lognormal(3, 0.5).ppf(u), stats.lognorm(0.5, scale=3).ppf(u))
    assert np.allclose(P.Triangular(0, 2, 10).ppf(u), stats.triang(0.2, loc=0, scale=10).ppf(u))
    assert np.allclose(P.Normal(0.5, 0.3, 0, 1).ppf(u), stats.truncnorm(-0.5 / 0.3, 0.5 / 0.3, 0.5, 0.3).ppf(u))


def test_pert_is_the_scaled_beta_of_vose():
    d = P.Pert(0.0, 3.0, 10.0)
    assert d.a == pytest.approx(1 + 4 * 0.3) and d.b == pytest.approx(1 + 4 * 0.7)
    assert d.mean() == pytest.approx((0 + 4 * 3 + 10) / 6)


@pytest.mark.parametrize("method", P.SAMPLERS)
def test_same_seed_same_uniforms_different_seed_different(method):
    a = P.Sampler(["a", "b"], 7, method).uniforms(0, 1024)
    b = P.Sampler(["a", "b"], 7, method).uniforms(0, 1024)
    c = P.Sampler(["a", "b"], 8, method).uniforms(0, 1024)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert a.shape == (1024, 2) and (a > 0).all() and (a < 1).all()


def test_mc_streams_are_keyed_by_parameter_path_for_common_random_numbers():
    one = P.Sampler(["forces.cap"], 5, "mc").uniforms(3, 500)
    two = P.Sampler(["guarantees.us.binding", "forces.cap"], 5, "mc").uniforms(3, 500)
    assert np.array_equal(one[:, 0], two[:, 1])


def test_latin_hypercube_puts_one_point_in_each_stratum():
    n = 1000
    u = P.Sampler(["a", "b", "c"], 1, "lhs").uniforms(0, n)
    for j in range(3):
        assert np.array_equal(np.sort(np.floor(u[:, j] * n)), np.arange(n))


def test_sobol_beats_monte_carlo_on_a_smooth_integral():
    f = lambda u: np.prod(1 + 0.5 * (u - 0.5), axis=1)
    err_sobol = abs(f(P.Sampler(list("abcd"), 3, "sobol").uniforms(0, 4096)).mean() - 1)
    err_mc = np.mean([abs(f(P.Sampler(list("abcd"), s, "mc").uniforms(0, 4096)).mean() - 1) for s in range(20)])
    assert err_sobol < err_mc / 5


def test_sobol_continues_its_sequence_across_chunks():
    whole = P.Sampler(["a", "b"], 4, "sobol").uniforms(0, 2048)
    s = P.Sampler(["a", "b"], 4, "sobol")
    parts = np.vstack([s.uniforms(0, 1024), s.uniforms(1, 1024)])
    assert np.array_equal(whole, parts)


def test_chunk_sizes_cover_all_trials():
    assert P.chunk_sizes(250_001, 100_000) == [100_000, 100_000, 50_001]
    assert sum(P.chunk_sizes(7, 3)) == 7


def test_choice_hits_each_value_with_its_weight():
    x = P.Choice((1.0, 2.0, 5.0), (0.2, 0.5, 0.3)).ppf(np.random.default_rng(0).random(N))
    for v, w in [(1.0, 0.2), (2.0, 0.5), (5.0, 0.3)]:
        assert abs((x == v).mean() - w) < 4 * np.sqrt(w * (1 - w) / N)


def test_beta_inverter_sets_up_fast_for_shapes_whose_density_vanishes_at_an_end():
    """Regression: PINV on [0, 1] searched the tail of Beta(4, 2) (a PERT with its mode at three quarters of its
    range) for about 4 minutes before giving up; on the logit it takes milliseconds. In a child process with a
    timeout, so that a regression fails in seconds instead of hanging; the inverse is checked against the exact
    regularised incomplete beta (u-error, the accuracy PINV is set to)."""
    import subprocess
    import sys

    code = (
        "import time, numpy as np\n"
        "from scipy import special\n"
        "from model import params as P\n"
        "u = np.concatenate([np.linspace(1e-9, 1 - 1e-9, 2001), np.logspace(-12, -3, 50), 1 - np.logspace(-12, -3, 50)])\n"
        "shapes = [(P.Pert(0.0, m, 1.0).a, P.Pert(0.0, m, 1.0).b) for m in (0.75, 0.775, 1.0, 0.25, 0.0)]\n"
        "for a, b in shapes + [(4.1, 1.9), (5.0, 2.0), (200.0, 300.0)]:\n"
        "    t0 = time.process_time()\n"
        "    inv = P._beta_inverter(a, b)\n"
        "    assert inv is not None, (a, b)\n"
        "    assert time.process_time() - t0 < 2.0, (a, b, time.process_time() - t0)\n"
        "    assert np.max(np.abs(special.betainc(a, b, inv.ppf(u)) - u)) < 1e-11, (a, b)\n"
        "print('ok')\n"
    )
    res = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True,
                         timeout=60, cwd=Path(__file__).resolve().parent.parent)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr[-2000:]
