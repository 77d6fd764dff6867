"""Scenario discovery with PRIM, the Patient Rule Induction Method.

Friedman & Fisher (1999), "Bump hunting in high-dimensional data", Statistics and Computing 9(2): 123-143;
Bryant & Lempert (2010), "Thinking inside the box", Technological Forecasting & Social Change 77(1): 34-49.
Given points X (n_points, n_dims) of the uncertain parameters and a boolean y marking the cases of interest
(e.g. the settlement broke within five years), PRIM looks for a box B = {x: lower <= x <= upper} in which
the cases are dense. For a box with N_B points of which H_B are cases, out of N points and H cases in all:

    coverage = H_B / H,   density = H_B / N_B,   mass = N_B / N.

Peeling: from the box holding every point, each candidate removes the points below the alpha-quantile
(a 'lower' peel) or above the (1 - alpha)-quantile (an 'upper' peel) of one dimension; the candidate with the
best objective is kept while it improves the box and the box's mass stays >= mass_min. The objective is
'lenient1' (the default of the EMA Workbench and the ``prim`` package: the gain in density per point removed,
(density_new - density_old) / (N_old - N_new), Friedman & Fisher 1999 eq. 14.5) or 'original' (the new box's
density, eq. 14.1). Ties go to the candidate leaving more dimensions unrestricted, then to the first in
dimension order (upper before lower). Pasting: each face of a restricted dimension is pushed back out to the
paste_alpha-quantile of the points just beyond it while that raises the density. Every accepted peel and
paste is a step of the peeling trajectory (coverage, density, mass, bounds); any step can be chosen as the box.

Details follow the sdtoolkit lineage as implemented in the EMA Workbench (Kwakkel; ``ema_workbench/analysis/
prim.py``) and its standalone port, the ``prim`` package (Hadka; ``prim/prim_ops.py``), so that the same data
give the same box: quantiles are sdtoolkit's (the midpoint of the two order statistics around
(m - 1) * alpha, moved outwards past ties), the initial box is the data's range, and for a second box
(covering) the points in the first box are removed, while coverage and mass stay relative to all points.
accord implements the algorithm itself (the ``prim`` package is GPL; it is used only in accord's tests).

Quasi-p-values (Bryant & Lempert 2010): for a restricted limit, widen the box by dropping that restriction
and let p = H_j / N_j be the density of the widened box; the quasi-p-value is the one-sided binomial tail

    qp = P(Binomial(N_B, p) >= H_B) = binom.sf(H_B - 1, N_B, p),

the chance of a density at least as high as the box's if the restriction did nothing. The EMA Workbench
(``_calculate_quasip``: ``binomtest(Hbox, Tbox, p, alternative='greater')``) computes it for each limit
(lower and upper) separately; the ``prim`` package drops both limits of a dimension. Both are returned.

Arrays: X (n_points, n_dims) float, finite; y (n_points,) bool. Bounds (n_dims,); a trajectory's bounds
(n_steps, n_dims).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

OBJECTIVES = ("lenient1", "original")


@dataclass(frozen=True)
class BoxStatistics:
    """coverage = H_B / H, density = H_B / N_B, mass = N_B / N, with the counts N_B, H_B."""

    coverage: float
    density: float
    mass: float
    n_in_box: int
    n_cases_in_box: int


@dataclass(frozen=True)
class PeelingTrajectory:
    """One row per step: coverage, density, mass (n_steps,), n_restricted (n_steps,) int,
    lower and upper (n_steps, n_dims); phase[i] is 'start', 'peel' or 'paste'."""

    coverage: np.ndarray
    density: np.ndarray
    mass: np.ndarray
    n_restricted: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    phase: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.phase)


@dataclass(frozen=True)
class PrimBox:
    """A box chosen from a peeling trajectory, with its statistics and quasi-p-values.

    lower, upper (n_dims,): the bounds (unrestricted dimensions keep the data's range); restricted (n_dims,)
    bool; qp (n_dims,): quasi-p-value of dropping the dimension's restriction, qp_lower / qp_upper of
    dropping only that limit (NaN where not restricted); members (n_points,) bool: the searched points inside
    the box; step: the box's index in ``trajectory``; searched (n_points,) bool: the points PRIM searched
    (all of them for a first box; the rest after earlier boxes when covering).
    """

    lower: np.ndarray
    upper: np.ndarray
    restricted: np.ndarray
    stats: BoxStatistics
    qp: np.ndarray
    qp_lower: np.ndarray
    qp_upper: np.ndarray
    members: np.ndarray
    step: int
    trajectory: PeelingTrajectory
    searched: np.ndarray

    @property
    def coverage(self) -> float:
        return self.stats.coverage

    @property
    def density(self) -> float:
        return self.stats.density

    @property
    def mass(self) -> float:
        return self.stats.mass


@dataclass(frozen=True)
class PrimResult:
    """Boxes found one after another (covering); box_init_lower / upper (n_dims,) the data's range."""

    boxes: tuple[PrimBox, ...]
    box_init_lower: np.ndarray
    box_init_upper: np.ndarray
    n_points: int
    n_cases: int


def _validate(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (n_points, n_dims), got {X.shape}")
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},), got {y.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError("X must be finite")
    if y.dtype != bool:
        if not np.all(np.isin(y, (0, 1))):
            raise ValueError("y must be boolean (cases of interest)")
        y = y.astype(bool)
    return X, y


def _in_box(X: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    return np.all((X >= lower) & (X <= upper), axis=1)


def box_statistics(
    X: np.ndarray, y: np.ndarray, lower: np.ndarray, upper: np.ndarray, searched: np.ndarray | None = None
) -> BoxStatistics:
    """Coverage, density and mass of the box [lower, upper] (inclusive), counting the searched points in the
    box against all points and all cases of interest (coverage = H_B / H, density = H_B / N_B,
    mass = N_B / N). Density is NaN for an empty box."""
    X, y = _validate(X, y)
    inside = _in_box(X, np.asarray(lower, float), np.asarray(upper, float))
    if searched is not None:
        inside &= np.asarray(searched, bool)
    n_in, h_in = int(inside.sum()), int((inside & y).sum())
    n_cases = int(y.sum())
    return BoxStatistics(
        coverage=h_in / n_cases if n_cases else float("nan"),
        density=h_in / n_in if n_in else float("nan"),
        mass=n_in / len(y),
        n_in_box=n_in,
        n_cases_in_box=h_in,
    )


def _lower_quantile(sorted_cols: np.ndarray, alpha: float) -> np.ndarray:
    """sdtoolkit's alpha-quantile (alpha < 1/2) of each column of a column-sorted (m, d) array: the midpoint of
    the order statistics floor(i), ceil(i), i = (m - 1) alpha, the upper one moved up past ties."""
    m = sorted_cols.shape[0]
    i = (m - 1) * alpha
    lo, hi = math.floor(i), math.ceil(i)
    v_lo = sorted_cols[lo]
    past_ties = np.minimum((sorted_cols <= v_lo).sum(axis=0), m - 1)
    hi_idx = np.where(sorted_cols[hi] == v_lo, past_ties, hi)
    return (v_lo + np.take_along_axis(sorted_cols, hi_idx[None, :], axis=0)[0]) / 2


def _upper_quantile(sorted_cols: np.ndarray, alpha: float) -> np.ndarray:
    """sdtoolkit's alpha-quantile (alpha > 1/2): as _lower_quantile, the lower order statistic moved down."""
    m = sorted_cols.shape[0]
    i = (m - 1) * alpha
    lo, hi = math.floor(i), math.ceil(i)
    v_hi = sorted_cols[hi]
    past_ties = np.maximum((sorted_cols < v_hi).sum(axis=0) - 1, 0)
    lo_idx = np.where(sorted_cols[lo] == v_hi, past_ties, lo)
    return (np.take_along_axis(sorted_cols, lo_idx[None, :], axis=0)[0] + v_hi) / 2


def _quantile(values: np.ndarray, alpha: float) -> float:
    """sdtoolkit's quantile of one sample (used when pasting)."""
    sorted_col = np.sort(values)[:, None]
    return float((_upper_quantile if alpha > 0.5 else _lower_quantile)(sorted_col, alpha)[0])


def _objective(
    objective: str, n_old: int, h_old: int, n_new: np.ndarray, h_new: np.ndarray
) -> np.ndarray:
    """Score of candidate boxes with n_new points of which h_new cases; higher is better."""
    n_new = np.asarray(n_new)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_new = np.where(n_new > 0, h_new / np.maximum(n_new, 1), 0.0)
        if objective == "original":
            return np.where(n_new > 0, mean_new, -1.0)
        mean_old = h_old / n_old
        change = np.abs(n_old - n_new)
        return np.where((mean_new != mean_old) & (change > 0), (mean_new - mean_old) / np.maximum(change, 1), 0.0)


def _best(obj: np.ndarray, non_restricted: np.ndarray) -> int:
    """Index of the best candidate: highest objective, then most unrestricted dimensions, then the first."""
    order = np.lexsort((-np.arange(obj.size), non_restricted, obj))
    return int(order[-1])


def _n_restricted(lower, upper, init_lower, init_upper) -> np.ndarray:
    return np.sum((lower != init_lower) | (upper != init_upper), axis=-1)


def _peel_and_paste(X, y, searched, init_lower, init_upper, peel_alpha, paste_alpha, mass_min, objective, paste):
    """The peeling (then pasting) trajectory from the box holding every searched point."""
    n_points, n_dims = X.shape
    n_cases = int(y.sum())
    idx = np.flatnonzero(searched)
    lower, upper = init_lower.copy(), init_upper.copy()
    rows = []

    def record(phase):
        h = int(y[idx].sum())
        rows.append((h / n_cases, h / len(idx), len(idx) / n_points, lower.copy(), upper.copy(), phase))

    record("start")
    # Peeling: the 2 * n_dims candidates are scored at once from column-sorted data.
    while len(idx) > 1:
        Xb, yb = X[idx], y[idx]
        m, h_old = len(idx), int(yb.sum())
        sorted_cols = np.sort(Xb, axis=0)
        cut_upper = _upper_quantile(sorted_cols, 1 - peel_alpha)
        cut_lower = _lower_quantile(sorted_cols, peel_alpha)
        keep = np.stack([Xb <= cut_upper, Xb >= cut_lower], axis=2)  # (m, d, 2): [upper, lower] peel
        n_new = keep.sum(axis=0).ravel()
        h_new = (keep & yb[:, None, None]).sum(axis=0).ravel()
        obj = _objective(objective, m, h_old, n_new, h_new)
        restricted_now = (lower != init_lower) | (upper != init_upper)
        still_upper = (lower != init_lower) | (cut_upper != init_upper)
        still_lower = (cut_lower != init_lower) | (upper != init_upper)
        n_res = restricted_now.sum() - restricted_now[:, None] + np.stack([still_upper, still_lower], axis=1)
        best = _best(obj, n_dims - n_res.ravel())
        dim, side = divmod(best, 2)
        if not (n_new[best] / n_points >= mass_min and n_new[best] < m and obj[best] > 0):
            break
        idx = idx[keep[:, dim, side]]
        if side == 0:
            upper[dim] = cut_upper[dim]
        else:
            lower[dim] = cut_lower[dim]
        record("peel")
    # Pasting: push a restricted face outwards while the density rises.
    while paste:
        Xs, ys = X[searched], y[searched]
        in_now = _in_box(Xs, lower, upper)
        n_old, h_old = int(in_now.sum()), int((in_now & ys).sum())
        restricted = np.flatnonzero((lower != init_lower) | (upper != init_upper))
        violations = (Xs < lower) | (Xs > upper)
        candidates = []
        for dim in restricted:
            others_in = (violations.sum(axis=1) - violations[:, dim]) == 0
            for side in ("lower", "upper"):
                new_lower, new_upper = lower.copy(), upper.copy()
                if side == "upper":
                    region = others_in & (Xs[:, dim] >= upper[dim]) & (Xs[:, dim] <= init_upper[dim])
                    value = _quantile(Xs[region, dim], paste_alpha) if region.any() else init_upper[dim]
                    new_upper[dim] = value
                else:
                    region = others_in & (Xs[:, dim] >= init_lower[dim]) & (Xs[:, dim] <= lower[dim])
                    value = _quantile(Xs[region, dim], 1 - paste_alpha) if region.any() else init_lower[dim]
                    new_lower[dim] = value
                inside = others_in & (Xs[:, dim] >= new_lower[dim]) & (Xs[:, dim] <= new_upper[dim])
                candidates.append((new_lower, new_upper, int(inside.sum()), int((inside & ys).sum())))
        if not candidates:
            break
        n_new = np.array([c[2] for c in candidates])
        h_new = np.array([c[3] for c in candidates])
        obj = _objective(objective, n_old, h_old, n_new, h_new)
        n_res = np.array([_n_restricted(c[0], c[1], init_lower, init_upper) for c in candidates])
        best = _best(obj, n_dims - n_res)
        with np.errstate(invalid="ignore", divide="ignore"):
            denser = h_new[best] / max(n_new[best], 1) > h_old / n_old
        if not (n_new[best] / n_points >= mass_min and n_new[best] > n_old and obj[best] > 0 and denser):
            break
        lower, upper = candidates[best][0], candidates[best][1]
        idx = np.flatnonzero(searched)[_in_box(Xs, lower, upper)]
        record("paste")
    cov, dens, mass, lows, ups, phases = zip(*rows)
    lows, ups = np.array(lows), np.array(ups)
    return PeelingTrajectory(
        coverage=np.array(cov),
        density=np.array(dens),
        mass=np.array(mass),
        n_restricted=_n_restricted(lows, ups, init_lower, init_upper),
        lower=lows,
        upper=ups,
        phase=tuple(phases),
    )


def quasi_p_values(
    X: np.ndarray,
    y: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    init_lower: np.ndarray,
    init_upper: np.ndarray,
    searched: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bryant & Lempert's (2010) quasi-p-values of a box's restrictions, (qp, qp_lower, qp_upper), each (n_dims,).

    qp = binom.sf(H_B - 1, N_B, H_j / N_j), where N_j, H_j count the searched points and cases in the box
    with a restriction dropped: the whole dimension for ``qp`` (as the ``prim`` package), only the lower or
    upper limit for ``qp_lower`` / ``qp_upper`` (as the EMA Workbench). NaN where nothing is restricted.
    """
    X, y = _validate(X, y)
    keep = np.ones(len(y), bool) if searched is None else np.asarray(searched, bool)
    Xs, ys = X[keep], y[keep]
    lower, upper = np.asarray(lower, float), np.asarray(upper, float)
    below, above = Xs < lower, Xs > upper
    n_viol = (below | above).sum(axis=1)
    inside = n_viol == 0
    n_box, h_box = int(inside.sum()), int((inside & ys).sum())

    def tail(widened: np.ndarray, restricted: np.ndarray) -> np.ndarray:
        n_j = widened.sum(axis=0)
        h_j = (widened & ys[:, None]).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            qp = stats.binom.sf(h_box - 1, n_box, h_j / n_j)
        return np.where(restricted, qp, np.nan)

    outside_dim = below | above
    qp = tail((n_viol[:, None] - outside_dim) == 0, (lower != init_lower) | (upper != init_upper))
    qp_lower = tail((n_viol[:, None] - below) == 0, lower != init_lower)
    qp_upper = tail((n_viol[:, None] - above) == 0, upper != init_upper)
    return qp, qp_lower, qp_upper


def _choose_step(trajectory: PeelingTrajectory, min_density: float | None) -> int:
    if min_density is None:
        return len(trajectory) - 1
    ok = np.flatnonzero(trajectory.density >= min_density)
    if ok.size == 0:
        return int(np.argmax(trajectory.density))
    return int(ok[np.argmax(trajectory.coverage[ok])])


def box_at_step(
    X: np.ndarray,
    y: np.ndarray,
    trajectory: PeelingTrajectory,
    step: int,
    searched: np.ndarray | None = None,
    init_bounds: tuple[np.ndarray, np.ndarray] | None = None,
) -> PrimBox:
    """The PrimBox at one step of a peeling trajectory (e.g. a denser or wider box than the one chosen).

    init_bounds: the data's range (lower, upper), by default X's column minima and maxima.
    """
    X, y = _validate(X, y)
    keep = np.ones(len(y), bool) if searched is None else np.asarray(searched, bool)
    init_lower, init_upper = init_bounds if init_bounds is not None else (X.min(axis=0), X.max(axis=0))
    step = range(len(trajectory))[step]
    lower, upper = trajectory.lower[step].copy(), trajectory.upper[step].copy()
    qp, qp_lower, qp_upper = quasi_p_values(X, y, lower, upper, init_lower, init_upper, keep)
    return PrimBox(
        lower=lower,
        upper=upper,
        restricted=(lower != init_lower) | (upper != init_upper),
        stats=box_statistics(X, y, lower, upper, keep),
        qp=qp,
        qp_lower=qp_lower,
        qp_upper=qp_upper,
        members=keep & _in_box(X, lower, upper),
        step=step,
        trajectory=trajectory,
        searched=keep,
    )


def find_box(
    X: np.ndarray,
    y: np.ndarray,
    *,
    peel_alpha: float = 0.05,
    paste_alpha: float = 0.05,
    mass_min: float = 0.05,
    objective: str = "lenient1",
    paste: bool = True,
    min_density: float | None = None,
    searched: np.ndarray | None = None,
) -> PrimBox:
    """One PRIM box (Friedman & Fisher 1999): peel, paste, and choose a step of the trajectory.

    X (n_points, n_dims) float; y (n_points,) bool, the cases of interest. peel_alpha, paste_alpha in (0, 0.5):
    the share of the box's points removed (added) per step; mass_min in (0, 1): the smallest box, as a share
    of all points; objective 'lenient1' or 'original' (see the module docstring); paste: run the pasting
    phase. The chosen step is the last one, or with min_density the step of largest coverage whose density
    is at least min_density (the densest step if none is). searched (n_points,) bool: the points to search
    (default all), used for covering.
    """
    X, y = _validate(X, y)
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
    if not (0 < peel_alpha < 0.5 and 0 < paste_alpha < 0.5 and 0 < mass_min < 1):
        raise ValueError("need 0 < peel_alpha, paste_alpha < 0.5 and 0 < mass_min < 1")
    if not y.any():
        raise ValueError("y has no cases of interest")
    keep = np.ones(len(y), bool) if searched is None else np.asarray(searched, bool)
    if not (keep & y).any():
        raise ValueError("no cases of interest among the searched points")
    init_lower, init_upper = X.min(axis=0), X.max(axis=0)
    trajectory = _peel_and_paste(
        X, y, keep, init_lower, init_upper, peel_alpha, paste_alpha, mass_min, objective, paste
    )
    step = _choose_step(trajectory, min_density)
    return box_at_step(X, y, trajectory, step, keep, (init_lower, init_upper))


def find_boxes(
    X: np.ndarray,
    y: np.ndarray,
    n_boxes: int = 3,
    *,
    peel_alpha: float = 0.05,
    paste_alpha: float = 0.05,
    mass_min: float = 0.05,
    objective: str = "lenient1",
    paste: bool = True,
    min_density: float | None = None,
) -> PrimResult:
    """Several boxes by covering (Friedman & Fisher 1999; Bryant & Lempert 2010): after each box its points are
    removed and PRIM searches the rest. Stops after n_boxes, when no cases of interest remain, when a box
    restricts nothing, or (with min_density) when the chosen box is less dense than min_density.
    Coverage and mass of every box are shares of all points and cases. Arguments as find_box."""
    X, y = _validate(X, y)
    searched = np.ones(len(y), bool)
    boxes: list[PrimBox] = []
    while len(boxes) < n_boxes and (searched & y).any():
        box = find_box(
            X, y, peel_alpha=peel_alpha, paste_alpha=paste_alpha, mass_min=mass_min, objective=objective,
            paste=paste, min_density=min_density, searched=searched,
        )
        if not box.restricted.any() or (min_density is not None and box.density < min_density):
            break
        boxes.append(box)
        searched = searched & ~box.members
    return PrimResult(
        boxes=tuple(boxes),
        box_init_lower=X.min(axis=0),
        box_init_upper=X.max(axis=0),
        n_points=len(y),
        n_cases=int(y.sum()),
    )
