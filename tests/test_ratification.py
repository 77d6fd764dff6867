"""Sequential, correlated ratification (issue 15): the nested copula, signing anticipation, partial vetoes."""

from pathlib import Path

import numpy as np
import pytest
from scipy import special, stats

from model import coalition as M

ROOT = Path(__file__).resolve().parent.parent


def block_correlation(country, rho_across, rho_within):
    """The latent correlation matrix of the nested factor model (the oracle's input)."""
    country = np.asarray(country)
    same = country[:, None] == country[None, :]
    R = np.where(same, np.maximum(np.asarray(rho_within)[country][:, None], rho_across), rho_across)
    np.fill_diagonal(R, 1.0)
    return R


def test_nested_copula_is_the_product_when_nothing_is_correlated_and_the_minimum_when_everything_is():
    p = np.array([[0.3, 0.8, 0.55, 0.9, 0.05], [0.99, 0.01, 0.5, 0.5, 0.7]])
    t = special.ndtri(p)
    country = [0, 0, 0, 1, 2]
    every = [list(range(5))]
    independent = M.nested_orthant(t, country, 0.0, [0.0, 0.0, 0.0], every)[:, 0]
    np.testing.assert_allclose(independent, p.prod(axis=1), rtol=1e-12)
    comonotone = M.nested_orthant(t, country, 1.0, [1.0, 1.0, 1.0], every)[:, 0]
    np.testing.assert_allclose(comonotone, p.min(axis=1), rtol=1e-12)


def test_with_every_within_country_correlation_1_a_country_acts_as_one_decision():
    """rho_within = 1, rho_across = 0: each country's stages decide as one (its least willing member), and
    countries are independent: P = prod over countries of the minimum within each."""
    p = np.array([[0.3, 0.8, 0.55, 0.9, 0.05, 0.4], [0.6, 0.2, 0.95, 0.5, 0.7, 0.9]])
    country = np.array([0, 0, 0, 1, 1, 2])
    got = M.nested_orthant(special.ndtri(p), country, 0.0, [1.0, 1.0, 1.0], [list(range(6))])[:, 0]
    want = np.prod([p[:, country == c].min(axis=1) for c in range(3)], axis=0)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    # and a country's government anticipates ratification exactly as it would accept itself: P(ratified) = min
    np.testing.assert_allclose(M.equicorrelated_orthant(special.ndtri(p[:, :3]), 1.0), p[:, :3].min(axis=1))


@pytest.mark.parametrize("rho_across, rho_ukr, rho_us", [(0.2, 0.8, 0.6), (0.45, 0.95, 0.5), (0.1, 0.3, 0.9),
                                                         (0.0, 0.7, 0.7), (0.3, 0.3, 0.3)])
def test_nested_copula_matches_the_multivariate_normal_cdf(rho_across, rho_ukr, rho_us):
    """Against scipy.stats.multivariate_normal.cdf (Genz's algorithm) with the block correlation matrix, every
    subset of actors: within 5e-5 absolute (the 10 x 10 Gauss-Hermite default)."""
    rng = np.random.default_rng(7)
    country = np.array([0, 0, 0, 1, 2, 2, 3])
    within = np.array([rho_ukr, 1.0, rho_us, 1.0])
    R = block_correlation(country, rho_across, within)
    t = rng.normal(-0.3, 1.0, size=(4, 7))
    subsets = [list(range(7)), [0, 1, 2], [0, 3, 4], [1, 2, 5, 6], [0, 6]]
    got = M.nested_orthant(t, country, rho_across, within, subsets)
    for row in range(len(t)):
        for k, s in enumerate(subsets):
            want = stats.multivariate_normal.cdf(t[row, s], np.zeros(len(s)), R[np.ix_(s, s)], abseps=1e-8,
                                                 releps=1e-8, maxpts=2_000_000)
            assert got[row, k] == pytest.approx(want, abs=5e-5, rel=1e-3)


def test_equicorrelated_orthant_matches_the_oracle_on_both_branches():
    x = np.array([[-0.5, 0.3, 1.2], [0.1, -1.5, 0.4]])
    for r in (0.25, 0.5, 0.75, 0.97):
        R = np.full((3, 3), r) + (1 - r) * np.eye(3)
        got = M.equicorrelated_orthant(x, r)
        for i in range(2):
            want = stats.multivariate_normal.cdf(x[i], np.zeros(3), R, abseps=1e-8, releps=1e-8, maxpts=2_000_000)
            assert got[i] == pytest.approx(want, abs=3e-5)  # the documented worst case (r = 1/2): 2.4e-5


@pytest.mark.parametrize("m", [1, 2, 3, 4])
def test_members_sort_by_compare_exchange_as_by_np_sort_and_their_order_does_not_matter(m):
    """The trapezoid rule sorts each group's thresholds (m <= 3 by np.minimum / np.maximum, else np.sort): the
    same values as np.sort, ties and +-inf included, so P is exactly invariant to the order of the members."""
    rng = np.random.default_rng(7)
    tau = rng.normal(0.0, 1.5, (3000, m))
    tau[:300, -1] = tau[:300, 0]  # ties
    tau[300:400, 0], tau[400:500, -1], tau[500:550] = np.inf, -np.inf, np.inf
    np.testing.assert_array_equal(M._sorted_columns(tau), np.sort(tau, axis=1).T)
    if m == 1:
        return
    r = rng.uniform(0.26, 0.99, 3000)  # both trapezoid rules
    mu = rng.normal(0.0, 1.0, (3000, 4))
    reference = M._orthant_given_mean(tau, r, mu)
    for order in ([m - 1, *range(m - 1)], rng.permutation(m)):
        np.testing.assert_array_equal(M._orthant_given_mean(tau[:, order], r, mu), reference)
    assert np.all((reference >= 0.0) & (reference <= 1.0))


def test_trapezoid_rule_matches_adaptive_quadrature_within_its_documented_error():
    """`_orthant_given_mean` (the trapezoid rules of the nested copula) against scipy.integrate.quad of the same
    integral, E_Y[prod_i Phi((tau_i - Y) / s)], Y ~ N(mu, r), on random groups of 2-4 members over both rules,
    two thirds of them just above r = 1/4 or 1/2 (each rule's narrowest kernel): within the error
    `_TRAPEZOID_RULES` documents, 1e-6 absolute and 1e-4 relative where P > 1e-6."""
    from scipy import integrate

    rng = np.random.default_rng(3)
    worst_abs, worst_rel = 0.0, 0.0
    for i in range(120):
        tau = rng.normal(0.0, 2.0, rng.integers(2, 5))
        r = (rng.uniform(0.25, 0.99), 0.25 + rng.uniform(1e-6, 0.02), 0.5 + rng.uniform(1e-6, 0.02))[i % 3]
        mu = rng.normal(0.0, 2.0)
        s, sd = np.sqrt(1.0 - r), np.sqrt(r)

        def integrand(y, tau=tau, s=s, sd=sd, mu=mu):
            return np.prod(special.ndtr((tau - y) / s)) * stats.norm.pdf(y, mu, sd)

        lo, hi = mu - 12.0 * sd, mu + 12.0 * sd
        want = integrate.quad(integrand, lo, hi, points=sorted(set(np.clip(tau, lo, hi))), epsabs=1e-14,
                              epsrel=1e-12, limit=500)[0]
        got = M._orthant_given_mean(tau[None, :], np.array([r]), np.array([[mu]]))[0, 0]
        worst_abs = max(worst_abs, abs(got - want))
        if want > 1e-6:
            worst_rel = max(worst_rel, abs(got - want) / want)
    assert worst_abs < 1e-6
    assert worst_rel < 1e-4


def test_more_correlation_never_lowers_adoption():
    """Slepian's inequality: raising correlations of a Gaussian vector raises every orthant probability."""
    t = special.ndtri(np.array([[0.2, 0.4, 0.6, 0.3]]))
    country = [0, 0, 1, 2]
    values = [M.nested_orthant(t, country, ra, [rw, 1, 1], [[0, 1, 2, 3]])[0, 0]
              for ra, rw in [(0, 0), (0, 0.5), (0.2, 0.5), (0.2, 0.9), (0.5, 0.9), (0.9, 0.95)]]
    assert np.all(np.diff(values) >= -1e-9)


def test_signing_value_is_net_with_certain_ratification_and_falls_with_its_costs():
    net = np.array([0.1, -0.05])
    np.testing.assert_allclose(M.signing_value(net, 1.0), net)
    lower = M.signing_value(net, 0.4, failed_ratification_cost=0.05, audience_cost=0.01)
    np.testing.assert_allclose(lower, 0.4 * net - 0.6 * 0.05 - 0.01)


def test_revert_gain_is_the_utility_lost_when_the_controlled_dimensions_revert():
    plan, sq = np.array([0.8, 0.5, 0.9]), np.array([0.0, 0.5, 0.0])
    ideal, sal = np.array([[1.0, 0.5, 0.0]]), np.array([[0.5, 0.2, 0.3]])
    dims = np.array([True, False, True])
    full = M.utility(plan, ideal, sal)[0] - M.utility(np.where(dims, sq, plan), ideal, sal)[0]
    assert M.revert_gain(plan, ideal, sal, sq, dims)[0] == pytest.approx(full)


# ----------------------------------------------------------------------------- scenario level


def _load(extra_sets=()):
    from scenarios.config import load

    # the coalition block on its own (plan given; no deal as its own outcome): the ratification machinery alone
    return load(ROOT / "tests/data/coalition_standalone.yaml", list(extra_sets))


def _outputs(cfg, n=400, detail=400):
    from model import params as P
    from scenarios import coalition as C
    from scenarios.engine import Draws

    dists = cfg.uncertain()
    paths = {id(spec): path for path, (spec, _) in cfg.params().items()}
    draws = Draws(P.draw(dists, P.Sampler(list(dists), 3, "mc"), 0, n), paths, n, detail_n=detail)
    return C.compute(cfg.model.coalition, draws)


def test_a_partial_veto_players_rejection_cannot_block_adoption():
    """The EU Council and Congress decide only their dimensions: P(adopted) does not depend on whether they
    accept (forcing either to reject changes nothing), and P(adopted) = P(adopted in full) + what they revert."""
    base = _outputs(_load())
    # the EU Council all but indifferent on what it controls: it accepts its part half the time instead of ~16%
    salience = "{territory: 1, sanctions_relief: 0.0001, frozen_assets: 0.0001}"
    indifferent = _outputs(_load([f"coalition.actors.eu_council.salience={salience}"]))
    assert np.mean(indifferent["p_accept.eu_council"]) > 0.45
    assert np.mean(base["p_accept.eu_council"]) < 0.3
    np.testing.assert_allclose(indifferent["p_adopted"], base["p_adopted"], rtol=1e-12)
    assert np.mean(indifferent["p_adopted_in_full"]) > np.mean(base["p_adopted_in_full"])
    assert np.all(base["p_adopted"] >= base["p_adopted_in_full"] - 1e-12)
    assert np.all(base["p_reverted.eu_council"] <= base["p_adopted"] + 1e-12)
    assert np.all(base["p_sole_blocker.eu_council"] == 0.0)


def _unanticipated_government(cfg, n=400):
    """Kyiv's government's P(accept) before it anticipates ratification: logistic((U - R) / sigma)."""
    from model import params as P
    from scenarios import coalition as C
    from scenarios.engine import Draws

    dists = cfg.uncertain()
    paths = {id(spec): path for path, (spec, _) in cfg.params().items()}
    draws = Draws(P.draw(dists, P.Sampler(list(dists), 3, "mc"), 0, n), paths, n, detail_n=n)
    x = C.arrays(cfg.model.coalition, draws)
    g = x.actors.index("ukraine_government")
    net = np.broadcast_to(M.utility(x.plan, x.ideal, x.salience, x.loss_power) - x.reservation, (n, len(x.actors)))
    return special.expit(net[:, g] / np.broadcast_to(x.sigma, (n, 1))[:, 0])


def test_signatory_anticipates_its_ratifiers():
    """Kyiv's government weighs P(ratified | signed) = P(government, Rada and voters accept) / P(government
    accepts) (its unanticipated P); at correlation 1 the joint is the least willing of the three, so the
    conditional is min(p_g, p_rada, p_voters) / p_g."""
    cfg = _load(["coalition.countries.ukraine.correlation=1", "coalition.rho=0"])
    out = _outputs(cfg)
    p_g = _unanticipated_government(cfg)
    want = np.minimum(np.minimum(out["p_accept.verkhovna_rada"], out["p_accept.ukrainian_voters"]), p_g) / p_g
    np.testing.assert_allclose(out["p_ratified.ukraine_government"], want, rtol=1e-10)
    # conditioning on the signature raises it above the unconditional P(both ratifiers accept) where the government
    # is the least willing
    alone = np.minimum(out["p_accept.verkhovna_rada"], out["p_accept.ukrainian_voters"])
    assert np.all(out["p_ratified.ukraine_government"] >= alone - 1e-12)


def _toy(p_gov, p_rat, within, rho=0.0, sigma=0.1):
    """One country: a government (signatory) and two ratifiers, one dimension, utilities set so that the
    unanticipated P(accept) are p_gov and p_rat: net_i = sigma logit(p_i), reservation 0 at plan 0.5."""
    from scenarios import coalition as C

    p = np.array([p_gov, *p_rat])
    net = sigma * special.logit(p)
    ideal = np.full((3, 1), 0.5)
    x = C.CoalitionArrays(("d",), ("gov", "r1", "r2"), np.array([0.5]), ideal, np.ones((3, 1)), -net,
                          sigma, rho, np.eye(3), np.zeros(3), ((0,), (1, 2)), np.ones(3, dtype=bool), 2.0)
    r = C.Ratification(np.zeros(3, dtype=int), ("c",), np.array([within]), (0, 1, 2), (), np.zeros((3, 1), bool),
                       np.array([np.nan]), {0: (1, 2)}, {0: ()}, np.zeros(3), np.zeros(3))
    return x, r, p


@pytest.mark.parametrize("p_gov, p_rat, within", [(0.3, (0.6, 0.8), 0.8), (0.7, (0.4, 0.9), 0.5),
                                                  (0.5, (0.5, 0.5), 0.95)])
def test_p_ratified_given_signed_matches_a_direct_simulation(p_gov, p_rat, within):
    """P(ratified | signed) against a direct simulation of the one-factor Gaussian copula: draw the three
    latents with correlation `within`, count the draws where the government accepts, and among them those where
    both ratifiers accept (2,000,000 draws: s.e. below 6e-4)."""
    from scenarios import coalition as C

    x, r, p = _toy(p_gov, p_rat, within)
    _, p_ratified = C.acceptance(x, r, 0.0)
    got = float(p_ratified[0][0])
    rng = np.random.default_rng(11)
    m = 2_000_000
    common = rng.standard_normal((m, 1))
    z = np.sqrt(within) * common + np.sqrt(1 - within) * rng.standard_normal((m, 3))
    accept = z < special.ndtri(p)
    signed = accept[:, 0]
    sim = accept[signed].all(axis=1).mean()
    se = np.sqrt(sim * (1 - sim) / signed.sum())
    assert abs(got - sim) < 4 * se + 1e-4, (got, sim, se)
    unconditional = accept[:, 1:].all(axis=1).mean()
    assert abs(unconditional - sim) > 10 * se  # the check can tell the conditional from the unconditional one


def test_a_partial_veto_player_with_nothing_to_decide_accepts():
    """A plan that leaves the EU's and Congress's dimensions at the status quo gives them nothing to veto:
    P(accept) = 1 (not logistic(0) = 1/2), and P(adopted in full) = P(adopted)."""
    sets = ["coalition.plan.sanctions_relief=0", "coalition.plan.frozen_assets=0"]
    out = _outputs(_load(sets))
    for actor in ("eu_council", "us_congress"):
        np.testing.assert_array_equal(out[f"p_accept.{actor}"], 1.0)
        np.testing.assert_array_equal(out[f"nothing_to_decide.{actor}"], 1.0)
    # the same integral by two subsets of the nested copula: equal to its quadrature error (~1e-5, NESTED_NODES)
    np.testing.assert_allclose(out["p_adopted_in_full"], out["p_adopted"][:400], rtol=0, atol=1e-5)
    # a plan that moves them off the status quo: something to decide again, P < 1
    moved = _outputs(_load(sets[:1]))  # the assets' release stays in the plan: the EU decides it, Congress not
    assert np.all(moved["nothing_to_decide.eu_council"] == 0) and np.all(moved["p_accept.eu_council"] < 1)
    assert np.all(moved["p_accept.us_congress"] == 1.0)


@pytest.mark.parametrize("old, new, key, words", [
    ("controls: [sanctions_relief, frozen_assets]", "controls: [sanctions_relief, frozen_asets]",
     "coalition.actors.eu_council.controls", "partial veto over unknown dimension 'frozen_asets'"),
    ("rho: {dist: pert, low: 0.0, mode: 0.2, high: 0.6,", "rho: {dist: pert, low: 0.0, mode: 0.2, high: 1.6,",
     "coalition.rho", "outside the allowed range [0, 1]"),
    ("correlation: {dist: pert, low: 0.5, mode: 0.8, high: 0.95,", "correlation: {value: -0.2,",
     "coalition.countries.ukraine.correlation", "outside the allowed range [0, 1]"),
    ("actors: [us_administration, us_congress]", "actors: [us_administration, us_congres]",
     "coalition.countries.us.actors", "unknown actor 'us_congres'"),
])
def test_bad_ratification_input_is_one_line_exit_2_naming_file_line_and_key(runner, tmp_path, old, new, key, words):
    from cli import main

    base = (ROOT / "configs/base.yaml").read_text()
    assert base.count(old) == 1
    (tmp_path / "base.yaml").write_text(base.replace(old, new))
    plan = (ROOT / "tests/data/coalition_standalone.yaml").read_text().replace(
        "extends: ../../configs/base.yaml", "extends: base.yaml")
    (tmp_path / "plan.yaml").write_text(plan)
    res = runner.invoke(main, ["validate", str(tmp_path / "plan.yaml")])
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.output, res.output
    assert key in lines[0] and words in lines[0] and "base.yaml:" in lines[0], lines[0]


def _draws(extra=(), n=4000, noise=None):
    from model import params as P
    from scenarios.engine import Draws

    cfg = _load(list(extra))
    dists = cfg.uncertain()
    paths = {id(spec): path for path, (spec, _) in cfg.params().items()}
    draws = Draws(P.draw(dists, P.Sampler(list(dists), 3, "mc"), 0, n), paths, n, detail_n=0)
    draws.noise = noise
    return cfg.model.coalition, draws


def _arrays(extra=(), n=4000, noise=None):
    from scenarios import coalition as C

    block, draws = _draws(extra, n, noise)
    return block, C.arrays(block, draws)


def test_preference_uncertainty_draws_around_the_coding_reproducibly_and_switches_off():
    """Issue 15 review J3: ideal points uniform within +-h of the coding (clipped to [0, 1]), saliences
    Dirichlet(c x coding): each trial's weights sum to 1, their mean is the coding (within 5 s.e. of the Dirichlet
    s.d. sqrt(s (1 - s) / (c + 1)) / sqrt(n)), the same seed gives the same draws, another seed others, and
    `enabled: false` gives the coding in every trial."""
    from scenarios import coalition as C

    block, x = _arrays()
    before, drawn_salience = C.preferences(*_draws())  # the ideal points before Friedkin-Johnsen influence
    np.testing.assert_array_equal(drawn_salience, x.salience)
    u = block.preference_uncertainty
    assert u.enabled and x.salience.ndim == 3 and before.ndim == 3
    coded = np.array([[float(a.salience.get(d.name).value) if d.name in a.salience else 0.0 for d in block.dimensions]
                      for a in block.actors])
    coded = coded / coded.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(x.salience.sum(axis=-1), 1.0, rtol=1e-12)
    sd = np.sqrt(coded * (1 - coded) / (u.salience_concentration + 1)) / np.sqrt(x.salience.shape[0])
    assert np.all(np.abs(x.salience.mean(axis=0) - coded) <= 5 * sd + 1e-12)
    assert np.all(x.salience[:, coded == 0] == 0)  # a zero weight stays zero
    ideal = np.array([[float(a.ideal[d.name].value) for d in block.dimensions] for a in block.actors])
    h = u.ideal_half_width
    assert np.all(before >= np.maximum(ideal - h, 0) - 1e-12)
    assert np.all(before <= np.minimum(ideal + h, 1) + 1e-12)
    assert np.ptp(before, axis=0).max() > 1.9 * h * 0.9  # it does move them
    _, again = _arrays()
    np.testing.assert_array_equal(again.salience, x.salience)
    _, other = _arrays(noise=(5, 0))
    assert not np.array_equal(other.salience, x.salience)
    _, off = _arrays(["coalition.preference_uncertainty.enabled=false"])
    assert off.salience.ndim == 2
    np.testing.assert_allclose(off.salience, coded, rtol=1e-12)
