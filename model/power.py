"""Power indices of weighted voting games with a quota and veto members.

A game is given by weights w_i >= 0, a quota q > 0 and a set V of veto members. A coalition S wins iff

    w(S) = sum_{i in S} w_i >= q   AND   V is a subset of S.

Shapley-Shubik index (Shapley & Shubik 1954): the share of the n! orderings of the players in which i is
pivotal (its arrival turns a losing coalition into a winning one):

    phi_i = sum_{S not containing i, S losing, S+i winning} |S|! (n - |S| - 1)! / n!

Penrose-Banzhaf index (Banzhaf 1965): with eta_i the number of swings of i (coalitions S not containing i
with S losing and S+i winning),

    absolute   beta'_i = eta_i / 2^(n-1)      (probability that i is decisive when all 2^(n-1) coalitions of
                                                the others are equally likely)
    normalised beta_i  = eta_i / sum_j eta_j  (sums to 1)

Exact method: generating functions over weight sums (the dynamic programme of Brams & Affuso 1976 and
Kurz 2016, "Computing the power distribution in the IMF"). Veto members are handled exactly by
conditioning: every winning coalition contains V, so with T the non-veto part of a coalition and
W_V = w(V),

    veto member i:     S = (V - i) + T  swings iff  w(T) >= q - W_V          (|S| = |V| - 1 + |T|)
    non-veto member i: S = V + T (T not containing i) swings iff  q - w_i - W_V <= w(T) < q - W_V
                                                                               (|S| = |V| + |T|)

so only the counts c[k, w] of subsets T of the non-veto players with k members and weight w are needed.
They are the coefficients of prod_j (1 + y x^{w_j}); the polynomial without player j follows by exact
integer division by (1 + y x^{w_j}). Cost O(n^2 W) time, O(n W) memory (W = total weight), counts in int64,
so the exact method is limited to 62 players (far beyond the 30 required) and to integer weights.

Weights must be integers or decimals with at most 6 decimal places; decimals are scaled by a power of ten
(weights and quota alike), which leaves the set of winning coalitions unchanged.

Monte Carlo method: the Shapley-Shubik index is the probability that i is pivotal in a uniformly random
ordering; the absolute Banzhaf index is the probability that i is decisive in a uniformly random coalition
(each player present with probability 1/2, independently). Both are estimated as sample means of 0/1
indicators, with standard error sqrt(p (1 - p) / N). The normalised Banzhaf index is a ratio of means; its
standard error is the delta-method one, sd(X_i - beta_i T) / (sqrt(N) mean(T)) with T = sum_j X_j.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special

MAX_EXACT_PLAYERS = 62  # int64 coalition counts stay exact below 2^63
MAX_EXACT_TABLE = 50_000_000  # (n_players + 1) x (total weight + 1) cells in the DP table
_MC_CHUNK = 20_000


@dataclass(frozen=True)
class PowerIndices:
    """Power indices of one weighted voting game; arrays have shape (n_players,)."""

    names: tuple[str, ...]
    weights: np.ndarray
    quota: float
    veto: np.ndarray  # bool
    shapley_shubik: np.ndarray  # sums to 1
    banzhaf: np.ndarray  # normalised, sums to 1
    banzhaf_absolute: np.ndarray  # swings / 2^(n-1)
    method: str  # "exact" or "monte_carlo"
    swings: np.ndarray | None = None  # exact swing counts eta_i (int64), exact method only
    n_samples: int | None = None
    shapley_shubik_se: np.ndarray | None = None
    banzhaf_se: np.ndarray | None = None
    banzhaf_absolute_se: np.ndarray | None = None


def _as_game(weights, quota, veto, names):
    weights = np.asarray(weights, dtype=float)
    if weights.ndim != 1 or weights.size == 0:
        raise ValueError("weights must be a non-empty 1-D array")
    if np.any(weights < 0) or not np.all(np.isfinite(weights)):
        raise ValueError("weights must be finite and >= 0")
    n = weights.size
    veto = np.zeros(n, dtype=bool) if veto is None else np.asarray(veto, dtype=bool)
    if veto.shape != (n,):
        raise ValueError("veto must have one entry per player")
    if not np.isfinite(quota) or quota <= 0:
        raise ValueError("quota must be a positive number")
    if weights.sum() < quota:
        raise ValueError("no coalition wins: the quota exceeds the total weight")
    names = tuple(f"player_{i + 1}" for i in range(n)) if names is None else tuple(str(s) for s in names)
    if len(names) != n:
        raise ValueError("names must have one entry per player")
    return weights, float(quota), veto, names


def _integer_weights(weights: np.ndarray, quota: float) -> tuple[np.ndarray, int]:
    """Scale to integer weights and an integer quota with the same winning coalitions."""
    for decimals in range(7):
        scaled = weights * 10**decimals
        rounded = np.round(scaled)
        if np.allclose(scaled, rounded, rtol=0, atol=1e-9 * max(1.0, scaled.max())):
            # integer weights: w(S) >= q  <=>  w(S) >= ceil(q)
            q_scaled = quota * 10**decimals
            q_int = int(np.ceil(q_scaled - 1e-9 * max(1.0, q_scaled)))
            return rounded.astype(np.int64), q_int
    raise ValueError("weights must be integers or decimals with at most 6 decimal places")


def _subset_counts(weights: np.ndarray, total: int) -> np.ndarray:
    """c[k, w] = number of subsets with k members and weight w; shape (n + 1, total + 1), int64."""
    counts = np.zeros((weights.size + 1, total + 1), dtype=np.int64)
    counts[0, 0] = 1
    for w in weights:
        shifted = np.zeros_like(counts)
        shifted[1:, w:] = counts[:-1, : total + 1 - w]
        counts += shifted
    return counts


def _remove_player(counts: np.ndarray, w: int) -> np.ndarray:
    """Exact division of the generating function by (1 + y x^w): the counts without one player."""
    without = np.empty_like(counts)
    without[0] = counts[0]
    for k in range(1, counts.shape[0]):
        without[k] = counts[k]
        if w == 0:
            without[k] -= without[k - 1]
        else:
            without[k, w:] -= without[k - 1, :-w]
    return without[:-1]  # one player fewer: at most n - 1 members


def _exact(weights: np.ndarray, quota: float, veto: np.ndarray):
    """Shapley-Shubik index and Banzhaf swing counts by generating functions; see the module docstring."""
    n = weights.size
    w_int, q = _integer_weights(weights, quota)
    nonveto = np.flatnonzero(~veto)
    w_nv = w_int[nonveto]
    total_nv = int(w_nv.sum())
    if (n + 1) * (total_nv + 1) > MAX_EXACT_TABLE:
        raise ValueError("weight table too large for the exact method; use method='monte_carlo'")
    n_veto = int(veto.sum())
    w_veto = int(w_int[veto].sum())
    counts = _subset_counts(w_nv, total_nv)  # (n_nv + 1, total_nv + 1)
    weight_axis = np.arange(total_nv + 1)

    # ordering weight |S|! (n - |S| - 1)! / n!  =  1 / (n * C(n - 1, |S|))
    def order_weight(size):
        return 1.0 / (n * special.comb(n - 1, size, exact=False))

    shapley = np.zeros(n)
    swings = np.zeros(n, dtype=np.int64)
    if n_veto:
        # every veto member swings on the same coalitions: T with w(T) >= q - W_V
        mask = weight_axis >= q - w_veto
        by_size = counts[:, mask].sum(axis=1)  # subsets T by size |T|
        sizes = n_veto - 1 + np.arange(by_size.size)
        swings[veto] = by_size.sum()
        shapley[veto] = float(np.sum(by_size * order_weight(sizes)))
    for pos, i in enumerate(nonveto):
        without = _remove_player(counts, int(w_nv[pos]))
        mask = (weight_axis >= q - w_int[i] - w_veto) & (weight_axis < q - w_veto)
        by_size = without[:, mask].sum(axis=1)
        sizes = n_veto + np.arange(by_size.size)
        swings[i] = by_size.sum()
        shapley[i] = float(np.sum(by_size * order_weight(sizes)))
    return shapley, swings


def _monte_carlo(weights, quota, veto, n_samples: int, rng: np.random.Generator):
    """Sample means of pivot / swing indicators over random orderings and random coalitions."""
    n = weights.size
    n_veto = int(veto.sum())
    pivots = np.zeros(n)
    swing_sum = np.zeros(n)
    total_sum = total_sq_sum = 0.0
    swing_cross = np.zeros(n)
    done = 0
    while done < n_samples:
        m = min(_MC_CHUNK, n_samples - done)
        # Shapley-Shubik: the pivot is the first player whose arrival makes the coalition winning
        order = rng.permuted(np.tile(np.arange(n), (m, 1)), axis=1)
        cum_weight = np.cumsum(weights[order], axis=1)
        cum_veto = np.cumsum(veto[order], axis=1)
        winning = (cum_weight >= quota) & (cum_veto == n_veto)
        pivot = order[np.arange(m), np.argmax(winning, axis=1)]
        pivots += np.bincount(pivot, minlength=n)
        # Banzhaf: coalition drawn uniformly; i is decisive if the others' part loses without i, wins with i
        member = rng.random((m, n)) < 0.5
        weight_all = member @ weights
        veto_all = member @ veto.astype(float)
        weight_others = weight_all[:, None] - member * weights
        veto_others = veto_all[:, None] - member * veto
        wins_with = (weight_others + weights >= quota) & (veto_others + veto == n_veto)
        wins_without = (weight_others >= quota) & (veto_others == n_veto)
        decisive = (wins_with & ~wins_without).astype(float)  # (m, n)
        n_decisive = decisive.sum(axis=1)
        swing_sum += decisive.sum(axis=0)
        swing_cross += decisive.T @ n_decisive
        total_sum += n_decisive.sum()
        total_sq_sum += float(n_decisive @ n_decisive)
        done += m
    shapley = pivots / n_samples
    shapley_se = np.sqrt(shapley * (1 - shapley) / n_samples)
    absolute = swing_sum / n_samples
    absolute_se = np.sqrt(absolute * (1 - absolute) / n_samples)
    mean_total = total_sum / n_samples
    if mean_total > 0:
        normalised = absolute / mean_total
        # delta method: Var(X_i - r T) with r = normalised_i, X_i in {0, 1}
        var = (
            absolute
            - 2 * normalised * swing_cross / n_samples
            + normalised**2 * total_sq_sum / n_samples
            - (absolute - normalised * mean_total) ** 2
        )
        normalised_se = np.sqrt(np.maximum(var, 0) / n_samples) / mean_total
    else:
        normalised = np.full(n, np.nan)
        normalised_se = np.full(n, np.nan)
    return shapley, shapley_se, absolute, absolute_se, normalised, normalised_se


def power_indices(
    weights: Sequence[float] | np.ndarray,
    quota: float,
    veto: Sequence[bool] | np.ndarray | None = None,
    names: Sequence[str] | None = None,
    *,
    method: str = "auto",
    n_samples: int = 200_000,
    rng: np.random.Generator | None = None,
) -> PowerIndices:
    """Shapley-Shubik (1954) and Penrose-Banzhaf (1965) indices of the game [quota; weights] with vetoes.

    A coalition S wins iff sum_{i in S} w_i >= quota and S contains every veto member.

    Parameters
    ----------
    weights : (n_players,) voting weights >= 0 (integers, or decimals with <= 6 decimal places).
    quota : weight a coalition needs to win, > 0 and <= total weight.
    veto : (n_players,) bool, True for a veto member (default: none).
    names : player names (default player_1, ...).
    method : "exact" (generating functions, <= 62 players), "monte_carlo", or "auto" (exact when it fits).
    n_samples : orderings and coalitions drawn by the Monte Carlo method.
    rng : numpy Generator, required for the Monte Carlo method.
    """
    weights, quota, veto, names = _as_game(weights, quota, veto, names)
    n = weights.size
    if method == "auto":
        method = "exact"
        if n > MAX_EXACT_PLAYERS:
            method = "monte_carlo"
        else:
            try:
                w_int, _ = _integer_weights(weights, quota)
                if (n + 1) * (int(w_int[~veto].sum()) + 1) > MAX_EXACT_TABLE:
                    method = "monte_carlo"
            except ValueError:
                method = "monte_carlo"
    if method == "exact":
        if n > MAX_EXACT_PLAYERS:
            raise ValueError(f"the exact method handles at most {MAX_EXACT_PLAYERS} players")
        shapley, swings = _exact(weights, quota, veto)
        total = swings.sum()
        return PowerIndices(
            names=names,
            weights=weights,
            quota=quota,
            veto=veto,
            shapley_shubik=shapley,
            banzhaf=swings / total if total else np.full(n, np.nan),
            banzhaf_absolute=swings / 2.0 ** (n - 1),
            method="exact",
            swings=swings,
        )
    if method == "monte_carlo":
        if rng is None:
            raise ValueError("the Monte Carlo method needs an explicit numpy Generator (rng=...)")
        if n_samples < 1:
            raise ValueError("n_samples must be >= 1")
        shapley, shapley_se, absolute, absolute_se, normalised, normalised_se = _monte_carlo(
            weights, quota, veto, int(n_samples), rng
        )
        return PowerIndices(
            names=names,
            weights=weights,
            quota=quota,
            veto=veto,
            shapley_shubik=shapley,
            banzhaf=normalised,
            banzhaf_absolute=absolute,
            method="monte_carlo",
            n_samples=int(n_samples),
            shapley_shubik_se=shapley_se,
            banzhaf_se=normalised_se,
            banzhaf_absolute_se=absolute_se,
        )
    raise ValueError(f"unknown method {method!r}; use 'exact', 'monte_carlo' or 'auto'")
