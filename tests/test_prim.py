"""PRIM scenario discovery (Friedman & Fisher 1999; Bryant & Lempert 2010), checked against the `prim` package."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from model.prim import box_at_step, box_statistics, find_box, find_boxes, quasi_p_values

SETTINGS = settings(max_examples=50, deadline=None)


def _planted(seed, n=2000, n_dims=4, label_noise=0.0, decimals=None):
    """y = (x0 > 0.7) & (x1 < 0.3) on uniform X; the other dimensions are noise."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(size=(n, n_dims))
    if decimals is not None:
        X = np.round(X, decimals)
    y = (X[:, 0] > 0.7) & (X[:, 1] < 0.3)
    if label_noise:
        y ^= rng.random(n) < label_noise
    return X, y


def test_coverage_density_mass_hand_case():
    """Ten points 0.1..1.0, cases at 0.6, 0.7, 0.9, 1.0; the box [0.55, 1] holds 5 points, 4 of them cases."""
    X = np.linspace(0.1, 1.0, 10)[:, None]
    y = np.zeros(10, bool)
    y[[5, 6, 8, 9]] = True
    box = box_statistics(X, y, [0.55], [1.0])
    assert (box.n_in_box, box.n_cases_in_box) == (5, 4)
    assert box.coverage == 1.0 and box.density == 0.8 and box.mass == 0.5


def test_quasi_p_value_hand_case():
    """Dropping the restriction gives density 4/10, so qp = P(Bin(5, 0.4) >= 4) = 5 0.4^4 0.6 + 0.4^5."""
    X = np.linspace(0.1, 1.0, 10)[:, None]
    y = np.zeros(10, bool)
    y[[5, 6, 8, 9]] = True
    qp, qp_lower, qp_upper = quasi_p_values(X, y, [0.55], [1.0], [0.1], [1.0])
    assert np.isclose(qp[0], 5 * 0.4**4 * 0.6 + 0.4**5)
    assert np.isclose(qp_lower[0], qp[0]) and np.isnan(qp_upper[0])
    assert np.isclose(qp[0], stats.binomtest(4, 5, 0.4, alternative="greater").pvalue)


def test_first_peel_follows_the_quantile_rule_by_hand():
    """x = 0..19, cases x >= 10. sdtoolkit quantiles at alpha = 0.05: i = 19 * 0.05 = 0.95 -> (0 + 1) / 2;
    i = 19 * 0.95 = 18.05 -> (18 + 19) / 2. Peeling the bottom removes a non-case, the top a case, so the
    first step sets the lower bound to 0.5."""
    X = np.arange(20.0)[:, None]
    y = X[:, 0] >= 10
    box = find_box(X, y, peel_alpha=0.05, mass_min=0.05, paste=False)
    assert box.trajectory.lower[1, 0] == 0.5 and box.trajectory.upper[1, 0] == 19.0
    assert box.trajectory.phase[:2] == ("start", "peel")
    assert box.lower[0] == 9.5 and box.density == 1.0 and box.coverage == 1.0


@pytest.mark.parametrize("seed", range(5))
def test_box_recovers_the_planted_limits(seed):
    """The faces land within one paste step of x0 = 0.7 and x1 = 0.3: a face stops where pasting the next
    paste_alpha share of the points beyond it (a slab 0.05 * 0.7 = 0.035 wide here) would dilute the box."""
    X, y = _planted(seed)
    box = find_box(X, y)
    assert box.restricted.tolist() == [True, True, False, False]
    assert abs(box.lower[0] - 0.7) <= 0.05 * 0.7
    assert abs(box.upper[1] - 0.3) <= 0.05 * 0.7
    assert box.upper[0] == X[:, 0].max() and box.lower[1] == X[:, 1].min()
    assert box.density == 1.0 and box.coverage > 0.9
    assert np.all(box.qp[:2] < 1e-10) and np.all(np.isnan(box.qp[2:]))


@SETTINGS
@given(seed=st.integers(0, 10_000), alpha=st.sampled_from([0.05, 0.1, 0.2]), noise=st.floats(0.0, 0.3))
def test_trajectory_density_never_falls(seed, alpha, noise):
    X, y = _planted(seed, n=300, n_dims=3, label_noise=noise)
    if not y.any():
        return
    box = find_box(X, y, peel_alpha=alpha)
    traj = box.trajectory
    assert np.all(np.diff(traj.density) >= 0)
    peeling = np.array([phase != "paste" for phase in traj.phase])
    assert np.all(np.diff(traj.mass[peeling]) < 0)
    assert np.all(traj.mass[1:] >= 0.05)
    assert np.all(np.diff(traj.coverage[peeling]) <= 0)


def test_a_chosen_step_reports_its_own_statistics():
    X, y = _planted(3, label_noise=0.1)
    box = find_box(X, y)
    middle = box_at_step(X, y, box.trajectory, len(box.trajectory) // 2)
    assert np.isclose(middle.density, box.trajectory.density[middle.step])
    assert np.isclose(middle.coverage, box.trajectory.coverage[middle.step])
    chosen = find_box(X, y, min_density=0.8)
    assert chosen.density >= 0.8
    assert chosen.coverage == box.trajectory.coverage[box.trajectory.density >= 0.8].max()


def test_covering_searches_the_points_outside_the_first_box():
    rng = np.random.default_rng(11)
    X = rng.uniform(size=(1500, 3))
    y = ((X[:, 0] > 0.7) & (X[:, 1] < 0.3)) | ((X[:, 2] > 0.8) & (X[:, 0] < 0.3))
    result = find_boxes(X, y, n_boxes=2)
    first, second = result.boxes
    assert not np.any(first.members & second.members)
    assert not np.any(second.searched & first.members)
    restricted = {tuple(np.flatnonzero(b.restricted)) for b in result.boxes}
    assert restricted == {(0, 1), (0, 2)}


def test_rejects_data_without_cases_of_interest():
    with pytest.raises(ValueError):
        find_box(np.random.default_rng(0).uniform(size=(50, 2)), np.zeros(50, bool))


# --- independent check against the GPL `prim` package (EMA Workbench lineage), used only here -------------

def _prim_package_boxes(X, y, n_boxes, **kwargs):
    prim = pytest.importorskip("prim")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        finder = prim.Prim(X, y, **kwargs)
        out = []
        for _ in range(n_boxes):
            # quasi-p-values read the package's current remaining points, so take them before the next box.
            box = finder.find_box()
            lims = box._box_lims[-1]
            names = [str(i) for i in range(X.shape[1])]
            qp = box._calculate_quasi_p(box._cur_box)
            out.append({
                "lower": np.array([lims[name][0] for name in names]),
                "upper": np.array([lims[name][1] for name in names]),
                "trajectory": box.peeling_trajectory[["coverage", "density", "mass"]].to_numpy(float),
                "qp": np.array([qp.get(name, np.nan) for name in names]),
            })
    return out


CASES = {
    "planted, no noise": (_planted(0, n=1000), 1, {}),
    "planted, 5% label noise": (_planted(1, n=1000, label_noise=0.05), 1, {}),
    "ties (one decimal)": (_planted(5, n=600, label_noise=0.05, decimals=1), 1, {}),
    "two boxes, peel 0.1": (_planted(2, n=800, n_dims=3, label_noise=0.1), 2, {"peel_alpha": 0.1}),
    "original objective": (_planted(4, n=800, label_noise=0.1), 1, {"objective": "original"}),
}


@pytest.mark.parametrize("name", list(CASES))
def test_same_box_as_the_prim_package(name):
    """Hadka's `prim` package (prim_alg.py / prim_ops.py, default lenient1 objective, sdtoolkit quantiles)
    on the same data and settings. Both peel by the same rule, so they take the same sequence of peels and
    pastes; one different peel would move a bound by a whole peel step (peel_alpha of the box's points,
    >= 0.01 in these data), so bounds are compared to 1e-12, far below one step."""
    (X, y), n_boxes, options = CASES[name]
    package_options = {"peel_alpha": options.get("peel_alpha", 0.05), "paste_alpha": 0.05, "mass_min": 0.05}
    if options.get("objective") == "original":
        package_options["obj_func"] = pytest.importorskip("prim").original
    reference = _prim_package_boxes(X, y, n_boxes, **package_options)
    ours = find_boxes(X, y, n_boxes=n_boxes, **options).boxes
    assert len(ours) == n_boxes
    for mine, theirs in zip(ours, reference):
        assert np.allclose(mine.lower, theirs["lower"], rtol=0, atol=1e-12)
        assert np.allclose(mine.upper, theirs["upper"], rtol=0, atol=1e-12)
        trajectory = np.c_[mine.trajectory.coverage, mine.trajectory.density, mine.trajectory.mass]
        assert trajectory.shape == theirs["trajectory"].shape
        assert np.allclose(trajectory, theirs["trajectory"], rtol=1e-12, atol=0)
        assert np.allclose(mine.qp, theirs["qp"], rtol=1e-9, atol=0, equal_nan=True)
