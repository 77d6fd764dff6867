"""How credible is a security guarantee, and does it deter a renewed attack?

Guarantor's decision (random utility, probit; McFadden 1974). Guarantor g honours its promise if

    H_g = baseline_g + stake_g + audience_g * binding_g + tau_g * tripwire_g + alpha_g * automatic_g
          - cost_g + eps_g,                         eps_g ~ N(0, sigma_g^2)
    p_honour_g = P(H_g > 0) = Phi(mean(H_g) / sigma_g)

Schelling (1966, *Arms and Influence*): commitments are credible when reneging is costly (tripwires);
Fearon (1997, "Signaling Foreign Policy Interests", J. Conflict Resolution 41(1)): tying hands (audience and
legal costs, the ``audience * binding`` term) versus sinking costs (troops committed up front, the tripwire
term); Huth (1988, *Extended Deterrence and the Prevention of War*): stakes and the military balance.
``baseline`` is an accord extension (default 0): a constant that absorbs the base rate when the weights are
calibrated on a reference table (Leeds, Long & Mitchell 2000 find 74.5% of commitments honoured).

Utility units: everything inside H is measured in units of the noise sigma (default sigma = 1), so a term
worth +1 moves a 50% guarantor to Phi(1) = 84%. Default weights (ASSUMPTIONS, to be swept):

    audience (audience cost of reneging on a fully binding commitment)  1.0   range 0.3 - 2.0
    tau      (value of a full tripwire: own troops on the protected soil) 1.5  range 0.5 - 3.0
    alpha    (value of a fully automatic trigger and defined response)   0.5   range 0.0 - 1.5
    sigma    (noise of the decision)                                     1.0   range 0.5 - 2.0
    baseline                                                             0.0   range -0.5 - 1.0

Leeds & Anac (2005, International Interactions 31(3)) find no evidence that more institutionalised alliances
are more reliable, so ``audience`` in particular should be swept down to ~0.3.

Calibrated form (the outside view first; MODELS.md section 1; Kahneman & Lovallo 1993). The baseline is the
record's probit index for the guarantor's reference class, and the mechanism's features enter as shifts from
the record's typical commitment x_ref:

    z_g = eta_g + w_stake (stake_g - stake_ref) - w_cost (cost_g - cost_ref) + audience (binding_g - binding_ref)
              + tau (tripwire_g - tripwire_ref) + alpha (automatic_g - automatic_ref),     sigma = 1
    eta_g = b0 + b_era post1945 + sum_t b_t type_{g,t} + b_m multilateral_g          (``record_index``)

with b a penalised probit fit to invoked alliance commitments (Berkemeier & Fuhrmann 2018; model/calibration.py)
drawn per trial from its sampling distribution. This is the same H_g as above with baseline_g = eta_g and the
features measured from x_ref, so the functions below compute it unchanged (centred features may be negative).

Feature scales (shared with configs/reference/guarantees.csv):

    stake      0 none, 0.5 peripheral, 1 significant, 1.5 major (alliance core), 2 vital
    cost       0 negligible, 0.5 limited action / minor adversary, 1 regional war,
               1.5 war with a great power, 2 war with a nuclear great power on its border
    binding    [0, 1]: political declaration ~0.1, memorandum ~0.2, executive agreement ~0.5,
               ratified treaty ~0.9 (MODELS.md section 1)
    tripwire   [0, 1]: own troops on the protected state's soil (0/1, or the share of the response force)
    automatic  [0, 1]: 0 consultations only, 0.5 defined trigger but discretionary response
               ("such action as it deems necessary"), 1 defined trigger and defined military response
    capability [0, 1]: the share of the response the protected state needs that this guarantor can deliver

Escape clauses (conditions that void the guarantee, e.g. "if Ukraine fires a missile at Moscow without
cause"): each condition c is triggered genuinely with p_triggered_c or manufactured by the challenger (a
staged provocation) with p_manufactured_c, and a manufactured pretext is accepted by the guarantors with
p_accepted_c; conditions are independent:

    p_void = 1 - prod_c (1 - p_triggered_c) (1 - p_manufactured_c * p_accepted_c)

Several guarantors (one-factor model, equicorrelated latent noise with correlation rho in [0, 1]):

    eps_g / sigma_g = sqrt(rho) F + sqrt(1 - rho) e_g,   F, e_g ~ N(0, 1) independent
    P(honour_g | F = f) = Phi((z_g + sqrt(rho) f) / sqrt(1 - rho)),   z_g = Phi^-1(p_honour_g)

Conditional on F the decisions are independent, so the probability of each subset S of honouring
guarantors is  P(S) = E_F[ prod_{g in S} P(g | F) prod_{g not in S} (1 - P(g | F)) ]. Computed exactly for
rho = 0 (products), rho = 1 (comonotone: guarantor g honours iff F > -z_g, so P(all) = min_g p_g and
P(any) = max_g p_g) and for two guarantors (the bivariate normal CDF via Owen's T function, Owen 1956);
for three or more by Gauss-Hermite quadrature over F followed by iterative proportional fitting of the
subset table to the exact marginals (Deming & Stephan 1940); with the default 64 nodes the error in P(all)
and P(none) is below ~3e-5 up to rho = 0.95 and ~2e-4 at rho = 0.99 (tested against
scipy.stats.multivariate_normal.cdf). Outputs:
P(at least one honours), P(all honour), and the expected capability-weighted response

    expected_response = E[ min(1, sum_g capability_g * 1{g honours}) ]

(capped at a full response, which is why correlation matters: when two guarantors would both have
honoured, the second adds nothing beyond the cap). Free riding (Olson & Zeckhauser 1966, "An Economic
Theory of Alliances"), optional: ``free_riding_stake`` shrinks each guarantor's stake by the others' share of
capability.

The challenger's war payoff with a guarantee (MODELS.md section 1; Huth 1988, Zagare & Kilgour 2000). With
q the probability-weighted response of the guarantors (the expected capability-weighted response after
escape clauses, q_eff below), G = V p the challenger's expected gain from war against the protected state
alone and G_g = V p_g its expected gain against the state plus the guarantors' full response (p_g <= p: the
same war model with the guarantors' capability added), k its cost of war and P the further cost a response
imposes (sanctions, losses) whether or not the attack succeeds, the gain of attacking over the status quo is

    payoff = EU_A(attack) - U(status quo) = (1 - q) (G - k) + q (G_g - k - P)
           = (G - k) - q (G - G_g + P).

The response is linear in the delivered capability r = min(1, sum of the honouring guarantors' capability):
a share r of a full response lowers the gain by r (G - G_g) and costs r P, so the expectation over who
honours is exactly the formula with q = E[r] (and p_g that of a full response). This one function is the
deterrence decision here and the challenger's side of the bargaining range in model/bargaining.py. (The
older form q P (1 - p) made any guarantee useless to a protected state that would lose alone, p -> 1: the
very case a guarantee exists for; here a capable guarantor deters through G - G_g even then.)

Deterrence: the challenger attacks if payoff > 0, made probabilistic with a probit noise scale s:
P(attack) = Phi(payoff / s), P(deterred) = 1 - P(attack); s = 0 gives the deterministic rule (deterred iff
payoff <= 0). The credibility threshold q* = (G - k) / (G - G_g + P) is where payoff = 0 (P(deterred) = 1/2):
q* = 0 when the attack does not pay even without a guarantee, and q* = NaN when no credibility in [0, 1]
deters (q* > 1, or G - G_g + P <= 0 with a positive gain). NaN is the house convention for "threshold does
not exist" (model/stats.py ignores NaNs and reports the count). Effective credibility after escape clauses:
q_eff = expected_response * (1 - p_void).

Calibration (the penalised logit/probit fit, separation check, AUC, the logit-probit scale) lives in
``model/calibration.py``; ``fit_binary_response``, ``BinaryFit``, ``separation_check``, ``auc_score``,
``probit_scale_coefficients`` and ``LOGIT_PROBIT_SCALE`` are re-exported here for older imports.

Arrays: per-trial parameters are scalars or shape (n_trials,); per-guarantor parameters are scalars, shape
(n_guarantors,) or (n_trials, n_guarantors); per-guarantor outputs have shape (n_trials, n_guarantors).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from model.calibration import (  # noqa: F401  (re-exported: the calibration lived here before)
    LOGIT_PROBIT_SCALE,
    BinaryFit,
    auc_score,
    fit_binary_response,
    probit_scale_coefficients,
    separation_check,
)

MAX_GUARANTORS = 10  # joint probabilities enumerate 2^G subsets per trial
_Z_CLIP = 38.0  # Phi(38) == 1 in double precision; keeps z finite
# At rho >= 0.999 the conditional honour probabilities are near-steps in the common factor (width
# sqrt(1 - rho) ~ 0.03), far narrower than Gauss-Hermite's node spacing, and the quadrature fails (structural
# zeros that break the marginals). There the comonotone closed form is used: against a 400,001-point
# integration its error is at most ~1.1 percentage points (three guarantors at p = 0.5, rho = 0.999) and
# vanishes as rho -> 1 (tests/test_guarantees.py). Two guarantors are exact at any rho (bivariate normal).
_RHO_ONE = 1.0 - 1e-12
_RHO_COMONOTONE = 0.999  # three or more guarantors


@dataclass(frozen=True)
class HonourWeights:
    """Weights of the guarantor's utility H_g (sigma units). Defaults are assumptions; see module docstring."""

    audience: float = 1.0  # range 0.3 - 2.0
    tau: float = 1.5  # range 0.5 - 3.0
    alpha: float = 0.5  # range 0.0 - 1.5
    sigma: float = 1.0  # range 0.5 - 2.0
    baseline: float = 0.0  # range -0.5 - 1.0


DEFAULT_WEIGHTS = HonourWeights()


# ---------------------------------------------------------------------------------------------------------
# Shapes


def _as_per_guarantor(x: ArrayLike) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if a.ndim == 0:
        return a.reshape(1, 1)
    if a.ndim == 1:
        return a.reshape(1, -1)
    if a.ndim == 2:
        return a
    raise ValueError(f"per-guarantor parameter must be scalar, (G,) or (n, G); got shape {a.shape}")


def _as_per_trial(x: ArrayLike) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if a.ndim == 0:
        return a.reshape(1, 1)
    if a.ndim == 1:
        return a.reshape(-1, 1)
    raise ValueError(f"per-trial parameter must be scalar or (n,); got shape {a.shape}")


def _broadcast_2d(*arrays: np.ndarray) -> list[np.ndarray]:
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    return [np.broadcast_to(a, shape) for a in arrays]


# ---------------------------------------------------------------------------------------------------------
# One guarantor


def _mean_utility(stake, cost, binding, tripwire, automatic, audience, tau, alpha, baseline) -> np.ndarray:
    g = _as_per_guarantor
    return (
        g(baseline)
        + g(stake)
        + g(audience) * g(binding)
        + g(tau) * g(tripwire)
        + g(alpha) * g(automatic)
        - g(cost)
    )


def honour_utility_terms(
    stake: ArrayLike,
    cost: ArrayLike,
    binding: ArrayLike,
    tripwire: ArrayLike = 0.0,
    automatic: ArrayLike = 0.0,
    audience: ArrayLike = DEFAULT_WEIGHTS.audience,
    tau: ArrayLike = DEFAULT_WEIGHTS.tau,
    alpha: ArrayLike = DEFAULT_WEIGHTS.alpha,
    baseline: ArrayLike = DEFAULT_WEIGHTS.baseline,
) -> dict[str, np.ndarray]:
    """Each term's contribution to mean(H_g), shape (n_trials, n_guarantors) each.

    Keys: baseline, stake, audience_binding (= audience * binding), tripwire (= tau * tripwire),
    automatic (= alpha * automatic), cost (= -cost, so terms add up), mean_utility (their sum).
    Units and scales: see the module docstring (stake, cost in [0, 2]; binding, tripwire, automatic in [0, 1]).
    """
    terms = {
        "baseline": _as_per_guarantor(baseline),
        "stake": _as_per_guarantor(stake),
        "audience_binding": _as_per_guarantor(audience) * _as_per_guarantor(binding),
        "tripwire": _as_per_guarantor(tau) * _as_per_guarantor(tripwire),
        "automatic": _as_per_guarantor(alpha) * _as_per_guarantor(automatic),
        "cost": -_as_per_guarantor(cost),
    }
    arrays = _broadcast_2d(*terms.values())
    out = {name: np.array(a) for name, a in zip(terms, arrays)}
    out["mean_utility"] = sum(arrays[1:], start=np.array(arrays[0]))
    return out


def honour_probability(
    stake: ArrayLike,
    cost: ArrayLike,
    binding: ArrayLike,
    tripwire: ArrayLike = 0.0,
    automatic: ArrayLike = 0.0,
    audience: ArrayLike = DEFAULT_WEIGHTS.audience,
    tau: ArrayLike = DEFAULT_WEIGHTS.tau,
    alpha: ArrayLike = DEFAULT_WEIGHTS.alpha,
    sigma: ArrayLike = DEFAULT_WEIGHTS.sigma,
    baseline: ArrayLike = DEFAULT_WEIGHTS.baseline,
) -> np.ndarray:
    """p_honour_g = Phi(mean(H_g) / sigma_g), shape (n_trials, n_guarantors). Probit random utility.

    sigma > 0 (utility units); see ``honour_utility_terms`` for the terms.
    """
    mean_utility = _mean_utility(stake, cost, binding, tripwire, automatic, audience, tau, alpha, baseline)
    sigma_2d = _as_per_guarantor(sigma)
    if np.any(sigma_2d <= 0):
        raise ValueError("sigma must be positive")
    return special.ndtr(mean_utility / sigma_2d)


def record_index(coef: ArrayLike, class_features: ArrayLike) -> np.ndarray:
    """eta_g = b0 + x_g b per trial and guarantor: the record's probit index of each guarantor's class.

    coef (n, k + 1), per-trial coefficients, intercept first (model.calibration.draw_coefficients);
    class_features (n, G, k) or (G, k), the class covariates (0/1 indicators or shares) -> (n, G).
    """
    b = np.asarray(coef, dtype=float)
    x = np.asarray(class_features, dtype=float)
    if b.ndim != 2 or x.ndim not in (2, 3) or x.shape[-1] != b.shape[1] - 1:
        raise ValueError(f"coef {b.shape} must be (n, k + 1) for class features {x.shape}, (G, k) or (n, G, k)")
    if x.ndim == 2:
        return b[:, :1] + b[:, 1:] @ x.T
    return b[:, :1] + np.einsum("ngk,nk->ng", x, b[:, 1:])


def free_riding_stake(stake: ArrayLike, capability: ArrayLike, free_riding: ArrayLike) -> np.ndarray:
    """Stake after free riding (Olson & Zeckhauser 1966), shape (n_trials, n_guarantors).

        stake_eff_g = stake_g * (1 - free_riding * others_share_g),
        others_share_g = sum_{h != g} capability_h / sum_h capability_h

    free_riding in [0, 1] (per trial): 0 none, 1 a guarantor whose partners hold all the capability
    keeps none of its stake. With a single guarantor others_share = 0 and the stake is unchanged.
    """
    stake_2d, capability_2d = _broadcast_2d(_as_per_guarantor(stake), _as_per_guarantor(capability))
    total = capability_2d.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        others_share = np.where(total > 0, (total - capability_2d) / total, 0.0)
    return stake_2d * (1.0 - _as_per_trial(free_riding) * others_share)


# ---------------------------------------------------------------------------------------------------------
# Escape clauses


def void_probability(
    p_triggered: Sequence[ArrayLike],
    p_manufactured: Sequence[ArrayLike] | None = None,
    p_accepted: Sequence[ArrayLike] | None = None,
) -> np.ndarray:
    """Probability that at least one voiding condition holds, shape (n_trials,).

        p_void = 1 - prod_c (1 - p_triggered_c) (1 - p_manufactured_c * p_accepted_c)

    One list entry per escape clause c (each a scalar or (n_trials,) probability in [0, 1]): p_triggered_c
    the chance the condition arises genuinely before or during the attack, p_manufactured_c the chance the
    challenger stages it, p_accepted_c the chance the guarantors accept a staged pretext (default 1).
    An empty list gives p_void = 0.
    """
    n_clauses = len(p_triggered)
    p_manufactured = list(p_manufactured) if p_manufactured is not None else [0.0] * n_clauses
    p_accepted = list(p_accepted) if p_accepted is not None else [1.0] * n_clauses
    if not len(p_manufactured) == len(p_accepted) == n_clauses:
        raise ValueError("p_triggered, p_manufactured and p_accepted need one entry per escape clause")
    p_holds = np.ones(1)
    for trig, manu, acc in zip(p_triggered, p_manufactured, p_accepted):
        trig, manu, acc = (np.atleast_1d(np.asarray(v, dtype=float)) for v in (trig, manu, acc))
        p_holds = p_holds * (1.0 - trig) * (1.0 - manu * acc)
    return 1.0 - p_holds


def effective_credibility(p_response: ArrayLike, p_void: ArrayLike) -> np.ndarray:
    """q_eff = p_response * (1 - p_void), shape (n_trials,): the response the challenger should expect."""
    return np.asarray(p_response, dtype=float) * (1.0 - np.asarray(p_void, dtype=float))


# ---------------------------------------------------------------------------------------------------------
# Several guarantors


@dataclass(frozen=True)
class JointHonour:
    """Joint behaviour of G guarantors with correlated decisions, per trial.

    p_any, p_all, expected_response: shape (n_trials,); p_number: shape (n_trials, G + 1), the probability
    that exactly k guarantors honour; p_subsets: shape (n_trials, 2^G), bit g of the column index set when
    guarantor g honours.
    """

    p_any: np.ndarray
    p_all: np.ndarray
    expected_response: np.ndarray
    p_number: np.ndarray
    p_subsets: np.ndarray


def _subset_masks(n_guarantors: int) -> np.ndarray:
    """Boolean (2^G, G): row s, column g is True when bit g of s is set."""
    index = np.arange(2**n_guarantors)[:, None]
    return ((index >> np.arange(n_guarantors)[None, :]) & 1).astype(bool)


def bivariate_normal_cdf(h: ArrayLike, k: ArrayLike, rho: ArrayLike) -> np.ndarray:
    """Phi_2(h, k; rho) = P(X <= h, Y <= k) for standard normals with correlation rho in [-1, 1].

    Owen (1956), via Owen's T function (scipy.special.owens_t):
        Phi_2 = (Phi(h) + Phi(k)) / 2 - T(h, a_h) - T(k, a_k) - beta,
        a_h = (k - rho h) / (h sqrt(1 - rho^2)),  a_k = (h - rho k) / (k sqrt(1 - rho^2)),
        beta = 0 if h k > 0 or (h k = 0 and h + k >= 0), else 1/2.
    rho = +-1 use the closed forms min(Phi(h), Phi(k)) and max(0, Phi(h) + Phi(k) - 1). Vectorised.
    """
    h, k, rho = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (h, k, rho)))
    h = np.clip(h, -_Z_CLIP, _Z_CLIP)
    k = np.clip(k, -_Z_CLIP, _Z_CLIP)
    # h = 0 or k = 0 makes a_h, a_k 0/0; a tiny offset changes Phi_2 by O(1e-13).
    h_safe = np.where(h == 0.0, 1e-13, h)
    k_safe = np.where(k == 0.0, 1e-13, k)
    rho_inner = np.clip(rho, -_RHO_ONE, _RHO_ONE)
    root = np.sqrt(1.0 - rho_inner**2)
    a_h = (k_safe - rho_inner * h_safe) / (h_safe * root)
    a_k = (h_safe - rho_inner * k_safe) / (k_safe * root)
    beta = np.where(h_safe * k_safe > 0, 0.0, 0.5)
    phi_h, phi_k = special.ndtr(h), special.ndtr(k)
    inner = 0.5 * (phi_h + phi_k) - special.owens_t(h_safe, a_h) - special.owens_t(k_safe, a_k) - beta
    out = np.where(rho >= _RHO_ONE, np.minimum(phi_h, phi_k), inner)
    out = np.where(rho <= -_RHO_ONE, np.maximum(0.0, phi_h + phi_k - 1.0), out)
    return np.clip(out, 0.0, np.minimum(phi_h, phi_k))


def _subsets_independent_given(p_conditional: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """(G, n) conditional probabilities -> (2^G, n) subset probabilities for independent decisions.

    Subset-major layout (each subset's row contiguous) because this runs once per quadrature node.
    """
    n_guarantors, n = p_conditional.shape
    if out is None:
        out = np.empty((2**n_guarantors, n))
    out[0] = 1.0 - p_conditional[0]
    out[1] = p_conditional[0]
    for g in range(1, n_guarantors):
        width = 2**g
        np.multiply(out[:width], p_conditional[g], out=out[width : 2 * width])
        out[:width] *= 1.0 - p_conditional[g]
    return out


def _subsets_comonotone(z: np.ndarray) -> np.ndarray:
    """rho = 1: guarantor g honours iff F > -z_g, so the honouring set is always the top-k by z."""
    n, n_guarantors = z.shape
    order = np.argsort(-z, axis=1, kind="stable")
    z_sorted = np.take_along_axis(z, order, axis=1)
    phi = np.concatenate([np.ones((n, 1)), special.ndtr(z_sorted), np.zeros((n, 1))], axis=1)
    p_top_k = phi[:, :-1] - phi[:, 1:]  # (n, G + 1): exactly the top-k honour
    index_top_k = np.concatenate(
        [np.zeros((n, 1), dtype=np.int64), np.cumsum(1 << order, axis=1, dtype=np.int64)], axis=1
    )
    out = np.zeros((n, 2**n_guarantors))
    np.put_along_axis(out, index_top_k, p_top_k, axis=1)
    return out


def _subsets_quadrature(z: np.ndarray, rho: np.ndarray, n_nodes: int) -> np.ndarray:
    """0 <= rho < 1: Gauss-Hermite quadrature over the common factor F (probabilists' Hermite).

    z (n, G) -> (n, 2^G). Nodes whose weight is below 1e-15 are dropped (they change no result by more
    than that); the table is then fitted to the exact marginals (``_match_marginals``).
    """
    nodes, weights = np.polynomial.hermite_e.hermegauss(n_nodes)
    weights = weights / np.sqrt(2.0 * np.pi)
    keep = weights > 1e-15
    nodes, weights = nodes[keep], weights[keep] / weights[keep].sum()
    idiosyncratic = np.sqrt(1.0 - rho)
    z_scaled = z.T / idiosyncratic  # (G, n)
    loading_scaled = np.sqrt(rho) / idiosyncratic  # (n,)
    out = np.zeros((2 ** z.shape[1], z.shape[0]))
    scratch = np.empty_like(out)
    conditional = np.empty_like(z_scaled)
    for node, weight in zip(nodes, weights):
        np.multiply(loading_scaled, node, out=conditional[0])
        np.add(z_scaled, conditional[0], out=conditional)
        special.ndtr(conditional, out=conditional)
        _subsets_independent_given(conditional, scratch)
        scratch *= weight
        out += scratch
    return _match_marginals(np.ascontiguousarray(out.T), special.ndtr(z))


def _match_marginals(
    subsets: np.ndarray, p: np.ndarray, max_sweeps: int = 200, tol: float = 1e-12
) -> np.ndarray:
    """Iterative proportional fitting (Deming & Stephan 1940) of the (n, 2^G) table to the exact marginals.

    Quadrature errs mostly in the marginals; rescaling restores them (to ``tol``) while keeping the table's
    dependence (odds ratios), so P(all) <= min p_g and P(any) >= max p_g hold. Sweeps continue only on
    the trials not yet within ``tol``.
    """
    n, n_guarantors = p.shape
    target = np.stack([1.0 - p, p], axis=2)  # (n, G, 2)
    active = np.arange(n)
    for _ in range(max_sweeps):
        # index = sum_g bit_g 2^g, so in C order guarantor g is tensor axis n_guarantors - g (axis 0 = trials)
        table = subsets[active].reshape((len(active),) + (2,) * n_guarantors)
        worst = np.zeros(len(active))
        for g in range(n_guarantors):
            axis = n_guarantors - g
            others = tuple(a for a in range(1, n_guarantors + 1) if a != axis)
            current = table.sum(axis=others)  # (m, 2): P(g reneges), P(g honours)
            worst = np.maximum(worst, np.abs(current - target[active, g]).max(axis=1))
            factor = np.divide(target[active, g], current, out=np.zeros_like(current), where=current > 0)
            shape = [len(active)] + [1] * n_guarantors
            shape[axis] = 2
            table *= factor.reshape(shape)
        subsets[active] = table.reshape(len(active), -1)
        active = active[worst >= tol]
        if len(active) == 0:
            break
    return subsets


def _subsets_two(z: np.ndarray, rho: np.ndarray) -> np.ndarray:
    p1, p2 = special.ndtr(z[:, 0]), special.ndtr(z[:, 1])
    p_both = np.where(rho == 0.0, p1 * p2, bivariate_normal_cdf(z[:, 0], z[:, 1], rho))
    p_only_1 = np.clip(p1 - p_both, 0.0, 1.0)
    p_only_2 = np.clip(p2 - p_both, 0.0, 1.0)
    p_none = np.clip(1.0 - p1 - p2 + p_both, 0.0, 1.0)
    return np.stack([p_none, p_only_1, p_only_2, p_both], axis=1)


def joint_honour(
    p_honour: ArrayLike,
    rho: ArrayLike = 0.0,
    capability: ArrayLike = 1.0,
    n_nodes: int = 64,
) -> JointHonour:
    """Joint honour probabilities of G guarantors whose decisions share a common factor (one-factor probit).

    p_honour: (n_trials, G) or (G,) marginal probabilities; rho: scalar or (n_trials,) in [0, 1], the
    correlation of the guarantors' latent utilities (shared political will); capability: per-guarantor share
    of the needed response, in [0, 1]. See the module docstring for the equations; exact for rho in {0, 1}
    and for G <= 2, Gauss-Hermite with ``n_nodes`` nodes otherwise, and the comonotone form
    for G >= 3 and rho >= 0.999 (error below ~1.1 percentage points there; see _RHO_COMONOTONE).
    """
    p, capability_2d = _broadcast_2d(_as_per_guarantor(p_honour), _as_per_guarantor(capability))
    rho_2d = _as_per_trial(rho)
    p, capability_2d, _ = _broadcast_2d(
        p, capability_2d, np.broadcast_to(rho_2d, (rho_2d.shape[0], p.shape[1]))
    )
    if np.any((p < 0) | (p > 1)):
        raise ValueError("p_honour must lie in [0, 1]")
    if np.any((rho_2d < 0) | (rho_2d > 1)):
        raise ValueError("rho must lie in [0, 1] (the one-factor model needs non-negative correlation)")
    n, n_guarantors = p.shape
    if n_guarantors > MAX_GUARANTORS:
        raise ValueError(f"at most {MAX_GUARANTORS} guarantors (2^G subsets are enumerated)")
    rho_1d = np.broadcast_to(rho_2d[:, 0], (n,))
    z = np.clip(special.ndtri(p), -_Z_CLIP, _Z_CLIP)

    if n_guarantors == 1:
        subsets = np.concatenate([1.0 - p, p], axis=1)
    else:
        comonotone = rho_1d >= (_RHO_ONE if n_guarantors == 2 else _RHO_COMONOTONE)
        rho_inner = np.where(comonotone, 0.0, rho_1d)
        if n_guarantors == 2:
            subsets = _subsets_two(z, rho_inner)
        else:
            subsets = np.ascontiguousarray(_subsets_independent_given(p.T).T)  # exact where rho = 0
            correlated = rho_inner > 0.0
            if np.any(correlated):
                subsets[correlated] = _subsets_quadrature(z[correlated], rho_inner[correlated], n_nodes)
        if np.any(comonotone):
            subsets = np.where(comonotone[:, None], _subsets_comonotone(z), subsets)

    masks = _subset_masks(n_guarantors)
    response_if = np.minimum(1.0, capability_2d @ masks.T.astype(float))  # (n, 2^G)
    count = masks.sum(axis=1)
    p_number = np.stack([subsets[:, count == k].sum(axis=1) for k in range(n_guarantors + 1)], axis=1)
    return JointHonour(
        p_any=1.0 - subsets[:, 0],
        p_all=subsets[:, -1].copy(),
        expected_response=(subsets * response_if).sum(axis=1),
        p_number=p_number,
        p_subsets=subsets,
    )


# ---------------------------------------------------------------------------------------------------------
# Challenger


def war_payoff(
    q: ArrayLike, gain: ArrayLike, gain_guaranteed: ArrayLike, cost_of_war: ArrayLike, punishment: ArrayLike
) -> np.ndarray:
    """The challenger's gain from attacking over the status quo, with a guarantee (module docstring):

        payoff = (1 - q) (G - k) + q (G_g - k - P)

    q: the guarantors' expected capability-weighted response in [0, 1] (q_eff); gain G = V p: the expected
    gain of a war against the protected state alone; gain_guaranteed G_g = V p_g: the same against the state
    and a full guarantor response; cost_of_war k >= 0; punishment P >= 0: the further cost a full response
    imposes. All in the same utility units (shares of the stake V). Broadcastable shapes, e.g. (n,) or
    (n, T). Positive: the challenger prefers war. One implementation for deterrence and for the bargaining
    range (model.bargaining)."""
    q, gain, gain_g, cost, punish = (
        np.asarray(v, dtype=float) for v in (q, gain, gain_guaranteed, cost_of_war, punishment)
    )
    return (1.0 - q) * (gain - cost) + q * (gain_g - cost - punish)


def deterrence_probability(
    q: ArrayLike,
    gain: ArrayLike,
    gain_guaranteed: ArrayLike,
    cost_of_war: ArrayLike,
    punishment: ArrayLike,
    noise_scale: ArrayLike = 0.1,
) -> np.ndarray:
    """P(deterred) = Phi(-payoff / noise_scale), payoff = war_payoff(...); noise_scale = 0: 1{payoff <= 0}.

    noise_scale (utility units, >= 0; assumption 0.1, range 0.02 - 0.3 with V = 1) is the spread of the
    challenger's private assessment of its gain (random utility).
    """
    payoff = war_payoff(q, gain, gain_guaranteed, cost_of_war, punishment)
    noise_scale = np.asarray(noise_scale, dtype=float)
    if np.any(noise_scale < 0):
        raise ValueError("noise_scale must be >= 0")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        smooth = special.ndtr(-payoff / np.where(noise_scale > 0, noise_scale, 1.0))
    return np.where(noise_scale > 0, smooth, (payoff <= 0).astype(float))


def credibility_threshold(
    gain: ArrayLike, gain_guaranteed: ArrayLike, cost_of_war: ArrayLike, punishment: ArrayLike
) -> np.ndarray:
    """q* in [0, 1] at which war_payoff = 0; NaN where no q in [0, 1] deters.

        q* = (G - k) / (G - G_g + P)
    q* = 0 when G - k <= 0 (deterred without any guarantee); NaN when q* > 1 or the guarantee's leverage
    G - G_g + P is not positive while the gain is (nothing the guarantors can do deters).
    """
    gain, gain_g, cost, punish = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (gain, gain_guaranteed, cost_of_war, punishment))
    )
    unguaranteed = gain - cost
    sure_response = gain_g - cost - punish  # the payoff at q = 1: a threshold in [0, 1] exists iff it is <= 0
    leverage = unguaranteed - sure_response  # = G - G_g + P, > 0 wherever a threshold exists and the gain > 0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        raw = np.clip(unguaranteed / np.where(leverage > 0, leverage, 1.0), 0.0, 1.0)  # clip: rounding only
    return np.where(unguaranteed <= 0, 0.0, np.where(sure_response > 0, np.nan, raw))


# ---------------------------------------------------------------------------------------------------------
# Everything a scenario needs


def evaluate_guarantee(
    *,
    stake: ArrayLike,
    cost: ArrayLike,
    binding: ArrayLike,
    tripwire: ArrayLike = 0.0,
    automatic: ArrayLike = 0.0,
    capability: ArrayLike = 1.0,
    audience: ArrayLike = DEFAULT_WEIGHTS.audience,
    tau: ArrayLike = DEFAULT_WEIGHTS.tau,
    alpha: ArrayLike = DEFAULT_WEIGHTS.alpha,
    sigma: ArrayLike = DEFAULT_WEIGHTS.sigma,
    baseline: ArrayLike = DEFAULT_WEIGHTS.baseline,
    free_riding: ArrayLike = 0.0,
    rho: ArrayLike = 0.0,
    p_void: ArrayLike = 0.0,
    gain: ArrayLike = 0.5,
    gain_guaranteed: ArrayLike | None = None,
    cost_of_war: ArrayLike = 0.2,
    punishment: ArrayLike = 1.0,
    noise_scale: ArrayLike = 0.1,
    n_nodes: int = 64,
) -> dict[str, np.ndarray]:
    """Credibility of a guarantee and deterrence of the challenger, per trial.

    Per-guarantor inputs (scalar, (G,) or (n_trials, G)): stake, cost, binding, tripwire, automatic,
    capability, audience, tau, alpha, sigma, baseline. Per-trial inputs (scalar or (n_trials,)):
    free_riding, rho, p_void (e.g. from ``void_probability``), gain (V p), gain_guaranteed (V p_g; default:
    equal to gain, i.e. the guarantors add punishment but no capability), cost_of_war, punishment,
    noise_scale. Equations in the module docstring; q_eff = expected_response * (1 - p_void).

    Returns arrays: p_honour (n, G), mean_utility (n, G), p_any, p_all, expected_response, p_void, q_eff,
    net_gain (the war payoff at q_eff), p_deterred, q_star (NaN where no credibility deters),
    credibility_gap = q_eff - q_star, all (n,).
    """
    if gain_guaranteed is None:
        gain_guaranteed = gain
    if np.any(np.asarray(free_riding, dtype=float) != 0):
        stake = free_riding_stake(stake, capability, free_riding)
    mean_utility = _mean_utility(stake, cost, binding, tripwire, automatic, audience, tau, alpha, baseline)
    sigma_2d = _as_per_guarantor(sigma)
    if np.any(sigma_2d <= 0):
        raise ValueError("sigma must be positive")
    p_honour = special.ndtr(mean_utility / sigma_2d)
    trial_shapes = [
        np.shape(v) for v in (free_riding, rho, p_void, gain, gain_guaranteed, cost_of_war, punishment, noise_scale)
    ]
    (n_trials,) = np.broadcast_shapes(p_honour.shape[:1], *trial_shapes)
    n_guarantors = np.broadcast_shapes(p_honour.shape, _as_per_guarantor(capability).shape)[1]
    p_honour = np.broadcast_to(p_honour, (n_trials, n_guarantors))
    mean_utility = np.broadcast_to(mean_utility, p_honour.shape)
    joint = joint_honour(
        p_honour, np.broadcast_to(np.asarray(rho, dtype=float), (n_trials,)), capability, n_nodes
    )
    p_void_1d = np.broadcast_to(np.asarray(p_void, dtype=float), (n_trials,))
    q_eff = effective_credibility(joint.expected_response, p_void_1d)
    net_gain = np.broadcast_to(war_payoff(q_eff, gain, gain_guaranteed, cost_of_war, punishment), (n_trials,))
    p_deterred = np.broadcast_to(
        deterrence_probability(q_eff, gain, gain_guaranteed, cost_of_war, punishment, noise_scale), (n_trials,)
    )
    q_star = np.broadcast_to(credibility_threshold(gain, gain_guaranteed, cost_of_war, punishment), (n_trials,))
    return {
        "p_honour": np.array(p_honour),
        "mean_utility": np.array(mean_utility),
        "p_any": joint.p_any,
        "p_all": joint.p_all,
        "expected_response": joint.expected_response,
        "p_void": np.array(p_void_1d),
        "q_eff": np.array(q_eff),
        "net_gain": np.array(net_gain),
        "p_deterred": np.array(p_deterred),
        "q_star": np.array(q_star),
        "credibility_gap": np.array(q_eff - q_star),
    }


# ---------------------------------------------------------------------------------------------------------
# Calibration: moved to model/calibration.py (the outside view's estimators); re-exported for old imports.


def contributions_table(terms: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Trial means of each term of ``honour_utility_terms``: {term: shape (G,)}; for a comparison table."""
    return {name: np.asarray(values).mean(axis=0) for name, values in terms.items()}
