"""Tests for model/coalition.py: utilities, acceptance, veto stages, influence, ZOPA, deal-breakers, amendments."""

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import special, stats

from model import coalition as c

SETTINGS = settings(max_examples=50, deadline=None)

unit = st.floats(0.0, 1.0, allow_nan=False)
# Saliences are 0 or normal floats: subnormal weights (< 1e-308) lose the precision the closed forms need.
saliences = st.one_of(st.just(0.0), st.floats(1e-6, 1.0))
loss_powers = st.sampled_from([1.0, 2.0, 1.5])


def unit_array(shape):
    return arrays(np.float64, shape, elements=unit)


def random_row_stochastic(rng, shape):
    w = rng.random(shape)
    return w / w.sum(axis=-1, keepdims=True)


# ----------------------------------------------------------------------------- utility and acceptance


def test_acceptance_matches_hand_computed_logistic():
    # One dimension, ideal 0, plan 0.5, salience 1, quadratic loss: U = -0.25; R = -0.5; sigma = 0.25.
    p = c.acceptance_probability([0.5], [[0.0]], [[1.0]], reservation=-0.5, scale=0.25, loss_power=2.0)
    assert p.shape == (1,)
    assert p[0] == pytest.approx(1.0 / (1.0 + np.exp(-1.0)), rel=1e-12)
    # Linear loss: U = -0.5 = R, so the actor is indifferent.
    p_linear = c.acceptance_probability([0.5], [[0.0]], [[1.0]], reservation=-0.5, scale=0.25, loss_power=1.0)
    assert p_linear[0] == pytest.approx(0.5)


def test_reservation_value_is_expected_utility_minus_cost():
    ideal = np.array([[0.0, 1.0], [1.0, 0.0]])
    salience = np.array([[0.5, 0.5], [1.0, 0.0]])
    outcomes = np.array([[0.0, 0.0], [1.0, 1.0]])
    r = c.reservation_value(
        outcomes,
        ideal,
        salience,
        outcome_probabilities=[0.25, 0.75],
        cost_of_no_deal=[0.1, 0.2],
        loss_power=2.0,
    )
    # actor 0: U(z1) = -0.5, U(z2) = -0.5; actor 1: U(z1) = -1, U(z2) = 0.
    np.testing.assert_allclose(r, [-0.5 - 0.1, -0.25 - 0.2])
    per_actor = c.reservation_value(
        outcomes, ideal, salience, outcome_probabilities=[[1.0, 0.0], [0.5, 0.5]], beliefs_per_actor=True
    )
    np.testing.assert_allclose(per_actor, [-0.5, -0.5])
    batched = c.reservation_value(
        np.broadcast_to(outcomes, (3, 2, 2)),
        np.broadcast_to(ideal, (3, 2, 2)),
        salience,
        outcome_probabilities=np.full((3, 2, 2), 0.5),
        beliefs_per_actor=True,
    )
    np.testing.assert_allclose(batched, np.broadcast_to([-0.5, -0.5], (3, 2)))
    single = c.reservation_value(outcomes[0], ideal, salience)
    np.testing.assert_allclose(single, c.utility(outcomes[0], ideal, salience))


def test_batched_acceptance_equals_per_trial_acceptance():
    rng = np.random.default_rng(1)
    n, a, k = 6, 4, 3
    ideal, salience, plan = rng.random((n, a, k)), rng.random((n, a, k)), rng.random((n, k))
    reservation, scale = -rng.random((n, a)), 0.05 + rng.random((n, a))
    batched = c.acceptance_probability(plan, ideal, salience, reservation, scale)
    assert batched.shape == (n, a)
    for t in range(n):
        np.testing.assert_allclose(
            batched[t], c.acceptance_probability(plan[t], ideal[t], salience[t], reservation[t], scale[t])
        )
    # A plan without trial axis broadcasts against trial-varying actors.
    shared = c.acceptance_probability(plan[0], ideal, salience, reservation, scale)
    assert shared.shape == (n, a)


@pytest.mark.parametrize("reservation_shape", [(), (4,), (50, 4)])
@pytest.mark.parametrize("scale_shape", [(), (50, 1), (50, 4)])
def test_acceptance_of_many_plans_against_shared_actors_equals_the_logistic_of_the_utility(
        reservation_shape, scale_shape):
    """The actor-major path (reservation folded into the matrix product or added per trial) gives
    logistic((U_i(plan) - R_i) / sigma_i) from the direct sum, for every broadcast shape of R and sigma."""
    rng = np.random.default_rng(3)
    plan, ideal, salience = rng.random((50, 3)), rng.random((4, 3)), rng.random((4, 3))
    reservation = -0.3 * rng.random(reservation_shape)
    scale = 0.02 + 0.1 * rng.random(scale_shape)
    direct = -np.einsum("ak,nak->na", salience, (plan[:, None, :] - ideal) ** 2)
    want = special.expit((direct - reservation) / scale)
    got = c.acceptance_probability(plan, ideal, salience, reservation, scale)
    assert got.shape == (50, 4)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("loss_power", [1.0, 2.0, 1.5])
def test_utility_of_many_plans_against_shared_actors_equals_the_direct_sum(loss_power):
    # Shared (A, K) actors with quadratic loss take the expanded-square matrix-product path.
    rng = np.random.default_rng(3)
    plans, ideal, salience = rng.random((200, 11)), rng.random((6, 11)), rng.random((6, 11))
    direct = -np.sum(salience * np.abs(plans[:, None, :] - ideal) ** loss_power, axis=-1)
    np.testing.assert_allclose(c.utility(plans, ideal, salience, loss_power), direct, rtol=0, atol=1e-14)
    assert np.all(c.utility(ideal[:1], ideal, salience, loss_power)[0, 0] == 0.0)  # at its ideal point: exactly 0


@SETTINGS
@given(
    ideal=unit_array((3, 4)),
    salience=unit_array((3, 4)),
    plan=unit_array((4,)),
    reservation=arrays(np.float64, (3,), elements=st.floats(-2.0, 0.0)),
    actor=st.integers(0, 2),
    t_small=unit,
    t_extra=unit,
    loss_power=loss_powers,
)
def test_moving_plan_toward_actor_ideal_never_lowers_its_acceptance(
    ideal, salience, plan, reservation, actor, t_small, t_extra, loss_power
):
    t_large = t_small + (1.0 - t_small) * t_extra
    nearer = plan + t_small * (ideal[actor] - plan)
    nearest = plan + t_large * (ideal[actor] - plan)
    p = [
        c.acceptance_probability(x, ideal, salience, reservation, 0.1, loss_power)[actor]
        for x in (plan, nearer, nearest)
    ]
    assert p[0] <= p[1] + 1e-12
    assert p[1] <= p[2] + 1e-12


# ---------------------------------------------------------------------------------- veto and stages

p_vectors = arrays(np.float64, (5, 4), elements=unit)


@SETTINGS
@given(p_accept=p_vectors, rho=unit)
def test_adoption_never_exceeds_least_willing_veto_player(p_accept, rho):
    stages = [[0, 1], [2], [3]]
    result = c.adoption(p_accept, stages, rho)
    assert np.all(result.p_adopted >= 0.0) and np.all(result.p_adopted <= 1.0 + 1e-12)
    assert np.all(result.p_adopted <= p_accept.min(axis=-1) + 1e-9)
    assert np.all((result.p_pivotal >= 0) & (result.p_pivotal <= 1 + 1e-12))
    assert np.all(result.p_pivotal >= result.p_adopted[:, None] - 1e-9)
    conditional = result.p_stage_conditional
    assert np.all(np.isnan(conditional) | ((conditional >= -1e-12) & (conditional <= 1 + 1e-9)))
    # Stages only ever lose probability.
    assert np.all(np.diff(result.p_stage_cumulative, axis=-1) <= 1e-9)


def test_independent_adoption_is_product_and_full_correlation_is_minimum():
    p = np.array([[0.9, 0.5, 0.7], [0.2, 1.0, 0.6]])
    independent = c.adoption(p, [[0], [1, 2]], 0.0)
    np.testing.assert_allclose(independent.p_adopted, p.prod(axis=1))
    np.testing.assert_allclose(independent.p_stage_conditional[:, 1], p[:, 1] * p[:, 2])
    np.testing.assert_allclose(independent.p_pivotal[:, 0], p[:, 1] * p[:, 2])
    np.testing.assert_allclose(c.adoption(p, [[0, 1, 2]], 1.0).p_adopted, p.min(axis=1))


@SETTINGS
@given(p_accept=arrays(np.float64, (3, 5), elements=unit))
def test_independent_pivotal_and_stages_are_products_of_the_others(p_accept):
    """rho = 0 runs on prefix and suffix products: they equal the direct products, zeros included."""
    stages = [[3, 0], [4], [0, 2]]  # actor 1 is no veto player; actor 0 appears twice
    r = c.adoption(p_accept, stages, 0.0)
    members = [3, 0, 4, 2]
    for i in members:
        others = [j for j in members if j != i]
        np.testing.assert_allclose(r.p_pivotal[:, i], p_accept[:, others].prod(axis=1), rtol=1e-12, atol=1e-300)
    assert np.all(r.p_pivotal[:, 1] == 0)
    np.testing.assert_allclose(r.p_stage_cumulative, np.stack(
        [p_accept[:, [3, 0]].prod(axis=1), p_accept[:, [3, 0, 4]].prod(axis=1), p_accept[:, members].prod(axis=1)],
        axis=1), rtol=1e-12, atol=1e-300)


def test_common_shock_adoption_matches_multivariate_normal_cdf():
    """Independent check of the quadrature: P(all accept) = Phi_3(Phi^-1(p); equicorrelation rho)."""
    p = np.array([0.8, 0.6, 0.9])
    for rho in (0.2, 0.5, 0.8):
        cov = np.full((3, 3), rho) + (1 - rho) * np.eye(3)
        expected = stats.multivariate_normal(mean=np.zeros(3), cov=cov).cdf(special.ndtri(p))
        got = c.adoption(p[None, :], [[0, 1, 2]], rho).p_adopted[0]
        assert got == pytest.approx(expected, abs=1e-4)


def test_per_trial_common_shock_equals_scalar_calls():
    rng = np.random.default_rng(2)
    p = rng.random((4, 3))
    rho = np.array([0.0, 0.3, 0.9, 1.0])
    batched = c.adoption(p, [[0], [1, 2]], rho)
    for t in range(4):
        single = c.adoption(p[t : t + 1], [[0], [1, 2]], rho[t])
        assert batched.p_adopted[t] == pytest.approx(single.p_adopted[0], abs=1e-12)
        np.testing.assert_allclose(batched.p_pivotal[t], single.p_pivotal[0], atol=1e-12)


@SETTINGS
@given(p_accept=arrays(np.float64, (3,), elements=st.floats(0.01, 0.99)), rho_a=unit, rho_b=unit)
def test_more_common_shock_never_lowers_adoption(p_accept, rho_a, rho_b):
    """Slepian's (1962) inequality: orthant probabilities rise with positive correlation."""
    low, high = sorted((rho_a, rho_b))
    p_low = c.adoption(p_accept[None], [[0, 1, 2]], low).p_adopted[0]
    p_high = c.adoption(p_accept[None], [[0, 1, 2]], high).p_adopted[0]
    assert p_low <= p_high + 1e-6


def test_non_veto_actor_is_never_pivotal_and_does_not_change_adoption():
    p = np.array([[0.7, 0.1, 0.8]])
    with_observer = c.adoption(p, [[0], [2]])
    assert not with_observer.veto[1]
    assert with_observer.p_pivotal[0, 1] == 0.0
    p_changed = p.copy()
    p_changed[0, 1] = 0.99
    assert c.adoption(p_changed, [[0], [2]]).p_adopted[0] == with_observer.p_adopted[0]


@pytest.mark.parametrize("rho", [0.0, 0.6])
def test_pivotal_probability_matches_trial_simulation(rho):
    """Pivotal in a trial = adopted (all veto accept) or failed only because of i; compare frequencies."""
    p = np.array([0.85, 0.6, 0.75, 0.9])
    stages = [[0, 2], [1, 3]]
    n = 200_000
    rng = np.random.default_rng(7)
    latent = np.sqrt(rho) * rng.standard_normal((n, 1)) + np.sqrt(1 - rho) * rng.standard_normal((n, 4))
    accepts = latent < special.ndtri(p)
    adopted = accepts.all(axis=1)
    result = c.adoption(p[None], stages, rho)
    assert result.p_adopted[0] == pytest.approx(adopted.mean(), abs=4 * np.sqrt(0.25 / n))
    for i in range(4):
        others = np.delete(accepts, i, axis=1).all(axis=1)
        pivotal = adopted | (others & ~accepts[:, i])
        assert result.p_pivotal[0, i] == pytest.approx(pivotal.mean(), abs=4 * np.sqrt(0.25 / n))
        blocking = others & ~accepts[:, i]
        assert result.p_pivotal_blocking[0, i] == pytest.approx(blocking.mean(), abs=4 * np.sqrt(0.25 / n))


# ------------------------------------------------------------------------------------ influence


def test_friedkin_johnsen_rounds_converge_to_closed_form():
    rng = np.random.default_rng(3)
    n, a, k = 8, 6, 4
    weights = random_row_stochastic(rng, (n, a, a))
    susceptibility = rng.uniform(0.0, 0.95, (n, a))
    ideal = rng.random((n, a, k))
    closed = c.friedkin_johnsen_equilibrium(ideal, weights, susceptibility)
    iterated = c.friedkin_johnsen_rounds(ideal, weights, susceptibility, n_rounds=2000)
    np.testing.assert_allclose(iterated, closed, atol=1e-10)
    # And the closed form is a fixed point of one more round.
    np.testing.assert_allclose(c.friedkin_johnsen_rounds(closed, weights, susceptibility, 0), closed)
    step = susceptibility[..., None] * (weights @ closed) + (1 - susceptibility[..., None]) * ideal
    np.testing.assert_allclose(step, closed, atol=1e-12)


def test_friedkin_johnsen_shared_network_broadcasts_over_trials():
    rng = np.random.default_rng(4)
    weights = random_row_stochastic(rng, (5, 5))
    susceptibility = rng.uniform(0, 0.9, 5)
    ideal = rng.random((3, 5, 2))
    batched = c.friedkin_johnsen_equilibrium(ideal, weights, susceptibility)
    np.testing.assert_allclose(batched[1], c.friedkin_johnsen_equilibrium(ideal[1], weights, susceptibility))


def test_friedkin_johnsen_without_susceptibility_keeps_ideal_points():
    rng = np.random.default_rng(5)
    ideal = rng.random((4, 3, 2))
    weights = random_row_stochastic(rng, (3, 3))
    np.testing.assert_allclose(c.friedkin_johnsen_equilibrium(ideal, weights, np.zeros(3)), ideal)


def test_friedkin_johnsen_singular_trial_is_nan_and_others_solved():
    weights = np.array([[0.0, 1.0], [1.0, 0.0]])
    susceptibility = np.array([[1.0, 1.0], [0.5, 0.5]])  # trial 0: I - W singular (pure DeGroot)
    ideal = np.array([[[0.0], [1.0]], [[0.0], [1.0]]])
    x = c.friedkin_johnsen_equilibrium(ideal, weights, susceptibility)
    assert np.all(np.isnan(x[0]))
    # Trial 1 by hand: x0 = 0.5 x1 + 0, x1 = 0.5 x0 + 0.5 -> x0 = 1/3, x1 = 2/3.
    np.testing.assert_allclose(x[1, :, 0], [1 / 3, 2 / 3])


def test_friedkin_johnsen_batched_elimination_matches_lapack_per_trial():
    """Trials certified diagonally dominant take the vectorised elimination, the rest LAPACK: every trial's
    fixed point equals np.linalg.solve of its own system, a singular one (a fully susceptible closed pair) is NaN,
    and a nearly singular one (lambda = 1 - 1e-9, outside the certificate) is still solved."""
    rng = np.random.default_rng(6)
    n, a, k = 40, 5, 3
    weights = random_row_stochastic(rng, (n, a, a))
    susceptibility = rng.uniform(0.0, 0.95, (n, a))
    weights[0] = np.eye(a)[[1, 0, 2, 3, 4]]  # trial 0: actors 0 and 1 lean only on each other
    susceptibility[0, :2] = 1.0
    susceptibility[1] = 1.0 - 1e-9
    ideal = rng.random((n, a, k))
    x = c.friedkin_johnsen_equilibrium(ideal, weights, susceptibility)
    assert np.all(np.isnan(x[0])) and not np.any(np.isnan(x[1:]))
    for i in range(1, n):
        system = np.eye(a) - susceptibility[i][:, None] * weights[i]
        rhs = (1 - susceptibility[i])[:, None] * ideal[i]
        expected = np.linalg.solve(system, rhs)
        # two backward-stable solvers agree to about cond * eps (trial 1: cond ~ 1e9)
        scale = np.linalg.cond(system) * 1e-14
        np.testing.assert_allclose(x[i], expected, rtol=scale, atol=scale)
        np.testing.assert_allclose(system @ x[i], rhs, atol=1e-14)  # the residual is at rounding level
    shared = c.friedkin_johnsen_equilibrium(ideal, weights[5], susceptibility[5])  # one network, every trial
    np.testing.assert_allclose(shared[5], x[5], atol=1e-12)


def test_graph_conversion_reads_who_leans_on_whom():
    graph = nx.DiGraph()
    graph.add_edge("US", "Ukraine", weight=3.0)  # the US leans on Ukraine
    graph.add_edge("EU", "Ukraine", weight=1.0)
    graph.add_edge("Ukraine", "Ukraine", weight=4.0)
    graph.nodes["Ukraine"]["susceptibility"] = 0.4
    graph.add_node("Qatar")  # not among the actors: ignored
    net = c.influence_network_from_graph(graph, ["Ukraine", "US", "EU", "Russia"])
    ukr = net.weights[0]
    np.testing.assert_allclose(ukr, [0.5, 0.375, 0.125, 0.0])
    np.testing.assert_allclose(net.weights.sum(axis=1), 1.0)
    np.testing.assert_allclose(net.weights[3], [0, 0, 0, 1])  # Russia: nobody leans on it
    np.testing.assert_allclose(net.susceptibility, [0.4, 0.0, 0.0, 0.0])


def test_graph_conversion_rejects_invalid_susceptibility():
    graph = nx.DiGraph()
    graph.add_node("A", susceptibility=1.5)
    with pytest.raises(ValueError):
        c.influence_network_from_graph(graph, ["A"])


# ------------------------------------------------------------------------------------ ZOPA


@SETTINGS
@given(
    ideal=unit_array((3, 4)),
    salience=arrays(np.float64, (3, 4), elements=saliences),
    plan=unit_array((4,)),
    headroom=arrays(np.float64, (3,), elements=st.floats(0.0, 1.0)),
    loss_power=loss_powers,
)
def test_zopa_contains_plan_when_all_veto_players_accept(ideal, salience, plan, headroom, loss_power):
    reservation = c.utility(plan, ideal, salience, loss_power) - headroom  # every actor accepts
    zopa = c.zone_of_possible_agreement(plan, ideal, salience, reservation, [True, True, True], loss_power)
    assert np.all(zopa.nonempty)
    assert np.all((zopa.low <= plan + 1e-12) & (plan <= zopa.high + 1e-12))


def test_zopa_endpoints_make_the_binding_veto_player_indifferent():
    ideal = np.array([[0.2, 0.5], [0.9, 0.5]])
    salience = np.array([[1.0, 0.5], [1.0, 0.5]])
    plan = np.array([0.55, 0.5])
    reservation = np.array([-0.25, -0.25])
    zopa = c.zone_of_possible_agreement(plan, ideal, salience, reservation, [True, True])
    # Dimension 0: actor 0 accepts v <= 0.2 + 0.5, actor 1 accepts v >= 0.9 - 0.5.
    assert zopa.low[0] == pytest.approx(0.4) and zopa.high[0] == pytest.approx(0.7)
    for value, actor in ((zopa.low[0], 1), (zopa.high[0], 0)):
        x = plan.copy()
        x[0] = value
        assert c.utility(x, ideal, salience)[actor] == pytest.approx(reservation[actor])


def test_zopa_is_empty_when_a_veto_player_wants_more_than_any_plan_gives():
    ideal = np.array([[0.0, 0.0], [1.0, 1.0]])
    salience = np.ones((2, 2))
    reservation = np.array([-0.1, 0.01])  # actor 1 needs positive utility: impossible
    zopa = c.zone_of_possible_agreement([0.5, 0.5], ideal, salience, reservation, [True, True])
    assert not zopa.nonempty.any()
    assert np.isnan(zopa.low).all()
    # Dropping actor 1's veto reopens the zone.
    assert c.zone_of_possible_agreement(
        [0.0, 0.0], ideal, salience, reservation, [True, False]
    ).nonempty.all()


# ------------------------------------------------------------------------------------ deal-breakers


def test_deal_breaker_closed_forms_for_linear_and_quadratic_loss():
    ideal, salience, plan = [[0.0]], [[1.0]], [0.8]
    linear = c.deal_breakers(plan, ideal, salience, reservation=-0.5, scale=0.1, loss_power=1.0)
    assert linear.best_dimension[0] == 0
    assert linear.best_move[0] == pytest.approx(-0.3)
    quadratic = c.deal_breakers(plan, ideal, salience, reservation=-0.5, scale=0.1, loss_power=2.0)
    assert quadratic.best_move[0] == pytest.approx(np.sqrt(0.5) - 0.8)
    assert quadratic.p_accept_after[0] == pytest.approx(0.5)


@SETTINGS
@given(
    ideal=unit_array((4, 3)),
    salience=arrays(np.float64, (4, 3), elements=st.floats(0.05, 1.0)),
    plan=unit_array((3,)),
    reservation=arrays(np.float64, (4,), elements=st.floats(-0.6, 0.0)),
    loss_power=loss_powers,
    p_target=st.sampled_from([0.5, 0.6]),
)
def test_deal_breaker_move_actually_flips_the_actor(ideal, salience, plan, reservation, loss_power, p_target):
    scale = 0.1
    result = c.deal_breakers(plan, ideal, salience, reservation, scale, loss_power, p_target)
    for actor in np.flatnonzero(result.best_dimension >= 0):
        k = result.best_dimension[actor]
        moved = plan.copy()
        moved[k] += result.best_move[actor]
        assert 0.0 <= moved[k] <= 1.0
        p_after = c.acceptance_probability(moved, ideal, salience, reservation, scale, loss_power)[actor]
        assert p_after >= p_target - 1e-9
        assert result.p_accept_after[actor] == pytest.approx(p_after)
        # Minimal: 99% of the move is not enough (for moves above rounding: 99% of a move of 1e-16 can round
        # to the same utility; hypothesis found one).
        if abs(result.best_move[actor]) < 1e-9:
            continue
        short = plan.copy()
        short[k] += 0.99 * result.best_move[actor]
        assert (
            c.acceptance_probability(short, ideal, salience, reservation, scale, loss_power)[actor] < p_target
        )
    accepting = ~result.rejects
    assert np.all(result.best_dimension[accepting] == -1)
    assert np.all(result.best_move[accepting] == 0.0)


@pytest.mark.parametrize("p_target", [0.5, 0.6])
@pytest.mark.parametrize("loss_power", [1.0, 2.0, 1.5])
def test_one_pass_zopa_and_deal_breakers_equal_the_separate_calls(loss_power, p_target):
    rng = np.random.default_rng(5)
    n, a, k = 50, 4, 5
    plan, ideal, salience = rng.random((n, k)), rng.random((a, k)), rng.random((a, k))
    salience[0, 1] = 0.0  # a dimension the actor does not care about
    reservation, scale = -0.3 * rng.random((n, a)), 0.05 + 0.1 * rng.random((n, 1))
    veto = [True, True, False, True]
    zopa, breakers = c.zopa_and_deal_breakers(plan, ideal, salience, reservation, scale, veto, loss_power, p_target)
    alone = c.zone_of_possible_agreement(plan, ideal, salience, reservation, veto, loss_power)
    single = c.deal_breakers(plan, ideal, salience, reservation, scale, loss_power, p_target)
    for got, want in ((zopa.low, alone.low), (zopa.high, alone.high), (breakers.move, single.move),
                      (breakers.p_accept_after, single.p_accept_after)):
        np.testing.assert_array_equal(got, want)
    assert breakers.rejects.any() and (breakers.best_dimension >= 0).any()
    # Per-trial calls agree with the batch.
    for t in (0, 17):
        one = c.deal_breakers(plan[t], ideal, salience, reservation[t], scale[t], loss_power, p_target)
        np.testing.assert_array_equal(one.best_dimension, breakers.best_dimension[t])
        np.testing.assert_allclose(one.p_accept_after, breakers.p_accept_after[t], rtol=0, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), loss_power=st.sampled_from([1.0, 1.5, 2.0]), zero_salience=st.booleans(),
       outside=st.booleans())
def test_trial_last_details_equal_the_general_zopa_and_deal_breakers(seed, loss_power, zero_salience, outside):
    """The trial-last fast path (actors shared by all trials) gives the general function's numbers."""
    rng = np.random.default_rng(seed)
    n, a, k = 64, 4, 5
    plan, ideal, salience = rng.random((n, k)), rng.random((a, k)), rng.random((a, k))
    plan[:3] = ideal[0]  # plans on an actor's ideal point
    if zero_salience:
        salience[0, 1] = 0.0
    if outside:
        ideal[1, 2] = 1.3  # an ideal point beyond the scale
    reservation = -0.4 * rng.random((n, a))
    scale = 0.05 + 0.1 * rng.random((n, 1))
    zopa, db = c.zopa_and_deal_breakers(plan, ideal, salience, reservation, scale, np.ones(a, bool), loss_power)
    net = (c.utility(plan, ideal, salience, loss_power) - reservation).T
    fast = c.zopa_and_deal_breakers_trial_last(plan.T, ideal, salience, net, scale.T, loss_power)
    close = {"rtol": 1e-12, "atol": 1e-12, "equal_nan": True}
    np.testing.assert_allclose(fast["low"].T, zopa.low, **close)
    np.testing.assert_allclose(fast["high"].T, zopa.high, **close)
    np.testing.assert_array_equal(fast["nonempty"].T, zopa.nonempty)
    np.testing.assert_array_equal(fast["rejects"].T, db.rejects)
    np.testing.assert_array_equal(fast["best_dimension"].T, db.best_dimension)
    np.testing.assert_allclose(fast["best_move"].T, db.best_move, **close)
    np.testing.assert_allclose(fast["p_accept_after"].T, db.p_accept_after, **close)


def test_deal_breaker_reports_none_when_no_single_dimension_suffices():
    # Ideal (0, 0), plan (1, 1): even moving one coordinate to 0 leaves U = -1 < R = -0.5.
    result = c.deal_breakers(
        [1.0, 1.0], [[0.0, 0.0]], [[1.0, 1.0]], reservation=-0.5, scale=0.1, loss_power=1
    )
    assert result.rejects[0]
    assert result.best_dimension[0] == -1
    assert np.isnan(result.best_move[0]) and np.isnan(result.p_accept_after[0])
    assert np.isnan(result.move[0]).all()


# ------------------------------------------------------------------------------------ pipeline


def test_evaluate_plan_shapes_and_influence_applied():
    rng = np.random.default_rng(11)
    n, a, k = 5, 4, len(c.UKRAINE_DIMENSIONS)
    ideal, salience, plan = rng.random((n, a, k)), rng.random((n, a, k)) / k, rng.random((n, k))
    reservation = c.reservation_value(rng.random(k), ideal, salience, cost_of_no_deal=0.05)
    weights = random_row_stochastic(rng, (a, a))
    susceptibility = np.array([0.5, 0.0, 0.3, 0.0])
    out = c.evaluate_plan(
        plan,
        ideal,
        salience,
        reservation,
        0.05,
        [[0, 1], [2]],
        influence_weights=weights,
        susceptibility=susceptibility,
    )
    assert out.p_accept.shape == (n, a)
    assert out.adoption.p_adopted.shape == (n,)
    assert out.adoption.p_stage_cumulative.shape == (n, 2)
    assert out.zopa.low.shape == (n, k)
    assert out.deal_breakers.move.shape == (n, a, k)
    np.testing.assert_allclose(out.ideal_after_influence[:, 1], ideal[:, 1])  # not susceptible
    assert not np.allclose(out.ideal_after_influence[:, 0], ideal[:, 0])


# ------------------------------------------------------------------------------------ amendments


def test_search_amendments_raises_adoption_and_respects_fixed_dimensions():
    ideal = np.array([[0.2, 0.3, 0.9], [0.4, 0.5, 0.1], [0.3, 0.8, 0.5]])
    salience = np.full((3, 3), 1 / 3)
    reservation = np.array([-0.1, -0.1, -0.1])
    plan = np.array([0.9, 0.1, 0.5])
    p_fn = c.mean_p_adopted_fn(ideal, salience, reservation, 0.02, [[0, 1], [2]])
    table = c.search_amendments(
        p_fn, plan, [True, True, False], penalties=(0.0, 0.5, 100.0), seed=1, maxiter=60
    )
    free, moderate, costly = table
    # Independent check: the best plan on a 0.01 grid over the two negotiable dimensions.
    grid = np.linspace(0.0, 1.0, 101)
    grid_best = max(p_fn(np.array([a, b, 0.5])) for a in grid[::2] for b in grid[::2])
    assert free.p_adopted >= grid_best - 1e-6
    assert free.p_adopted > p_fn(plan) + 0.5
    assert free.change[2] == 0.0 and moderate.change[2] == 0.0 and costly.change[2] == 0.0
    np.testing.assert_allclose(free.plan, plan + free.change)

    def objective(row, penalty):
        return p_fn(row.plan) - penalty * np.abs(row.change).sum()

    # Each row is at least as good, under its own penalty, as the base plan and as the other rows.
    for row in table:
        for other in table:
            assert objective(row, row.penalty) >= objective(other, row.penalty) - 1e-6
        assert row.objective == pytest.approx(objective(row, row.penalty))
    # A prohibitive penalty keeps the base plan.
    np.testing.assert_allclose(costly.plan, plan)
    # Deterministic given the seed.
    again = c.search_amendments(p_fn, plan, [True, True, False], penalties=(0.0,), seed=1, maxiter=60)
    np.testing.assert_array_equal(again[0].plan, free.plan)
