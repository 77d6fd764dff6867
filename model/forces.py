"""What do force caps and ceded territory do to the military balance? (MODELS.md section 2)

Attrition (Lanchester 1916). A attacker, D defender (troops), alpha the attacker's and beta the defender's
fire effectiveness, r_A(t), r_D(t) reinforcement rates (troops/day), t in days:

    square law (aimed fire)     dA/dt = -beta * D       + r_A(t)     dD/dt = -alpha * A     + r_D(t)
    linear law (area fire)      dA/dt = -beta * A * D   + r_A(t)     dD/dt = -alpha * A * D + r_D(t)
    mixed law (attacker in the  dA/dt = -beta * D       + r_A(t)     dD/dt = -alpha * A * D + r_D(t)
      open under aimed fire, defender under cover hit by area fire; Deitchman's 1962 guerrilla-war form)

alpha and beta are per day (square), per troop per day (linear) and as their terms require (mixed: alpha per
troop per day, beta per day). Without reinforcement each law conserves an invariant, and the side whose
term is larger wins:

    square  alpha A^2 - beta D^2      linear  alpha A - beta D      mixed  alpha A^2 / 2 - beta D

Square law closed forms (derived here; the standard treatment is Taylor 1983, *Lanchester Models of
Warfare*). With constant reinforcement, omega = sqrt(alpha beta), k = sqrt(beta / alpha) and the
equilibrium A* = r_D / alpha, D* = r_A / beta, the deviations a = A - A*, d = D - D* satisfy
a' = -beta d, d' = -alpha a, so

    a(t) = a0 cosh(omega t) - k d0 sinh(omega t)      d(t) = d0 cosh(omega t) - (a0 / k) sinh(omega t).

Without reinforcement and with alpha A0^2 > beta D0^2 the defender is annihilated when d(t) = 0:

    t* = artanh(sqrt(beta / alpha) * D0 / A0) / sqrt(alpha * beta).

With u = tanh(omega t / 2) and v = 2u / omega (so cosh(omega t) = (1 + u^2) / (1 - u^2), sinh(omega t) =
2u / (1 - u^2), and v runs from 0 to 2 tanh(omega T / 2) / omega as t runs from 0 to T), each strength times
(1 - u^2) > 0 is a quadratic in v with plain rates as coefficients:

    (1 - u^2) A(t) = A0 - (beta D0 - r_A) v + (alpha beta A0 - 2 beta r_D) v^2 / 4
    (1 - u^2) D(t) = D0 - (alpha A0 - r_D) v + (alpha beta D0 - 2 alpha r_A) v^2 / 4

so the day a side falls to a threshold is a root of a quadratic (`square_law_campaign`), and so is the day
a ratio of such strengths peaks. Other laws, and time-varying reinforcement, use a fixed-step RK4 integrator
over arrays of shape (n_trials,). Stop conditions: a side falls to its breakpoint share of its initial
strength (on a grid: found inside a step by cubic Hermite interpolation, then both sides are frozen), or the
campaign's days run out.

Fitting (Engel 1954, "A verification of Lanchester's law", J. Operations Research Soc. America 2(2):163-171,
fitted the square law with reinforcements to Iwo Jima; Bracken 1995 and Lucas & Turkes 2004 fitted the
Ardennes and Kursk): model/lanchester_fit.py fits each law's coefficients and the initial strengths to a daily
record, with relative (log) or additive errors, checked interval coverage, and picks the law by AIC.

The balance (what accord adds; `balance_trajectory`). Year index t = 0..T-1, t = 0 the moment the
settlement takes effect (or, with ``wartime=True``, today in a war that goes on), strengths at the start of
year t: caps, aid-limited replenishment of equipment, rearmament (or the observed wartime net growth), the
share of the attacker's battles that meet fortified and prepared defences (the cession of a fortified belt
lowers it; new lines restore it), the front's length and density, and the attacker's strength after the
defender's long-range interdiction (a strike ban removes it). Equations in `balance_trajectory`.

What a renewed war does with that balance is model/war.py (the theatre, from the battle record's relations
of model/battles.py). Lanchester's laws stay here for single battles and for fitting battle data: a
theatre-wide square law is not a model of a 1,000-km front (Epstein 1985; Biddle 2004). The 30-day
square-law campaign earlier versions ran each year moved the force ratio by under 0.6% and never reached a
breakpoint, so P(breakthrough) was in effect a hand-set probit of the ratio; it is gone.

A defence multiplier m on the defender's fire effectiveness means, under the square law, parity at A/D =
sqrt(m beta / alpha): the "3:1 rule" (Mearsheimer 1989, "Assessing the Conventional Balance: The 3:1 Rule
and Its Critics", International Security 13(4); Epstein 1989) is m = 9 under the square law, and m = 3 only
under the linear law (or read as a multiplier of strength). model/battles.py expresses a posture's effect
both ways.

Shapes: every parameter is a scalar or an array of shape (n_trials,); outputs are (n_trials,) per trial or
(n_trials, n_years) per year. Runs are deterministic; no randomness is drawn here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

LAWS = ("square", "linear", "mixed")
STOP_TIME, STOP_ATTACKER_BROKE, STOP_DEFENDER_BROKE = 0, 1, 2

Rate = float | np.ndarray | Callable[[float], float | np.ndarray]


# ----------------------------------------------------------------------------- Lanchester dynamics


def _check_law(law: str) -> None:
    if law not in LAWS:
        raise ValueError(f"law must be one of {LAWS}, got {law!r}")


def _losses(law: str, attacker, defender, alpha, beta):
    """(attacker losses, defender losses) in troops/day under a law."""
    if law == "square":
        return beta * defender, alpha * attacker
    if law == "linear":
        contact = attacker * defender
        return beta * contact, alpha * contact
    return beta * defender, alpha * attacker * defender  # mixed


def lanchester_invariant(law: str, attacker, defender, alpha, beta) -> np.ndarray:
    """The conserved quantity of a law without reinforcement (positive: the attacker wins).

    square alpha A^2 - beta D^2; linear alpha A - beta D; mixed alpha A^2 / 2 - beta D (Lanchester 1916;
    Taylor 1983). Any broadcastable shapes.
    """
    _check_law(law)
    a, d = np.asarray(attacker, dtype=float), np.asarray(defender, dtype=float)
    if law == "square":
        return alpha * a**2 - beta * d**2
    if law == "linear":
        return alpha * a - beta * d
    return 0.5 * alpha * a**2 - beta * d


def square_law_annihilation_day(attacker0, defender0, alpha, beta) -> np.ndarray:
    """Day the defender is annihilated under the square law without reinforcement (inf if it never is).

    t* = artanh(sqrt(beta / alpha) * D0 / A0) / sqrt(alpha * beta), valid when alpha A0^2 > beta D0^2 (the
    attacker wins); derived in the module docstring. alpha, beta > 0 per day; strengths in troops.
    """
    a0, d0 = np.asarray(attacker0, dtype=float), np.asarray(defender0, dtype=float)
    alpha, beta = np.asarray(alpha, dtype=float), np.asarray(beta, dtype=float)
    x = np.sqrt(beta / alpha) * d0 / a0
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.arctanh(np.minimum(x, 1.0)) / np.sqrt(alpha * beta)
    return np.where(x < 1.0, t, np.inf)


def _rate_fn(rate: Rate, n: int) -> Callable[[float], np.ndarray]:
    if callable(rate):
        return lambda t: np.broadcast_to(np.asarray(rate(t), dtype=float), (n,))
    const = np.broadcast_to(np.asarray(rate, dtype=float), (n,))
    return lambda t: const


@dataclass(frozen=True)
class LanchesterRun:
    """One campaign for every trial. Paths hold frozen values after each trial's stop.

    time_days (n_steps + 1,); attacker, defender (n_trials, n_steps + 1) troops; stop_day (n_trials,);
    stop_reason (n_trials,) int: 0 time ran out, 1 attacker reached its breakpoint, 2 defender did.
    """

    law: str
    method: str
    time_days: np.ndarray
    attacker: np.ndarray
    defender: np.ndarray
    stop_day: np.ndarray
    stop_reason: np.ndarray


def _hermite(s, y0, y1, m0h, m1h):
    """Cubic Hermite value and d/ds on the unit interval (m0h, m1h: derivatives times the step)."""
    s2, s3 = s * s, s * s * s
    value = (2 * s3 - 3 * s2 + 1) * y0 + (s3 - 2 * s2 + s) * m0h + (-2 * s3 + 3 * s2) * y1 + (s3 - s2) * m1h
    slope = (
        (6 * s2 - 6 * s) * y0 + (3 * s2 - 4 * s + 1) * m0h + (-6 * s2 + 6 * s) * y1 + (3 * s2 - 2 * s) * m1h
    )
    return value, slope


def _hermite_crossing(y0, y1, m0h, m1h, threshold):
    """s in [0, 1] where the Hermite cubic reaches threshold (Newton from the linear guess)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.clip(np.where(y0 != y1, (y0 - threshold) / (y0 - y1), 1.0), 0.0, 1.0)
    for _ in range(8):
        value, slope = _hermite(s, y0, y1, m0h, m1h)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(slope != 0, (value - threshold) / slope, 0.0)
        s = np.clip(s - step, 0.0, 1.0)
    return s


def simulate_lanchester(
    attacker0,
    defender0,
    alpha,
    beta,
    *,
    days: float,
    law: str = "square",
    attacker_reinforcement_per_day: Rate = 0.0,
    defender_reinforcement_per_day: Rate = 0.0,
    attacker_breakpoint_share=0.0,
    defender_breakpoint_share=0.0,
    n_steps: int = 100,
    method: str = "auto",
) -> LanchesterRun:
    """Integrate a Lanchester law for all trials at once, with stop conditions.

    attacker0, defender0: initial troops (>= 0); alpha, beta: fire effectiveness (>= 0, units per law, see
    the module docstring); reinforcement rates in troops/day: a scalar, an (n_trials,) array, or a callable
    t_days -> either (time-varying). Breakpoint shares in [0, 1): a side stops the campaign when it falls to
    that share of its initial strength (0: only at annihilation). days > 0 the campaign length; n_steps the
    number of fixed steps.

    method: 'closed_form' (square law with constant reinforcement, exact on the grid; alpha, beta > 0),
    'rk4' (classical fourth-order Runge-Kutta), or 'auto' (closed form where it applies, RK4 otherwise).
    Returns a LanchesterRun with paths of shape (n_trials, n_steps + 1).
    """
    _check_law(law)
    if days <= 0 or n_steps < 1:
        raise ValueError("days must be > 0 and n_steps >= 1")
    arrays = [
        np.asarray(x, dtype=float)
        for x in (attacker0, defender0, alpha, beta, attacker_breakpoint_share, defender_breakpoint_share)
    ]
    for x in arrays[:2]:
        if np.any(x < 0):
            raise ValueError("strengths must be >= 0")
    shapes = [x.shape for x in arrays] + [
        np.shape(r)
        for r in (attacker_reinforcement_per_day, defender_reinforcement_per_day)
        if not callable(r)
    ]
    n = int(np.prod(np.broadcast_shapes(*shapes, (1,))))
    a0, d0, alpha, beta, bp_a, bp_d = (np.broadcast_to(x, (n,)).astype(float) for x in arrays)
    if np.any(alpha < 0) or np.any(beta < 0):
        raise ValueError("fire effectiveness alpha, beta must be >= 0")
    if np.any((bp_a < 0) | (bp_a >= 1) | (bp_d < 0) | (bp_d >= 1)):
        raise ValueError("breakpoint shares must be in [0, 1)")
    r_a = _rate_fn(attacker_reinforcement_per_day, n)
    r_d = _rate_fn(defender_reinforcement_per_day, n)

    constant_rates = not (
        callable(attacker_reinforcement_per_day) or callable(defender_reinforcement_per_day)
    )
    closed_ok = law == "square" and constant_rates and bool(np.all(alpha > 0) and np.all(beta > 0))
    if method == "auto":
        method = "closed_form" if closed_ok else "rk4"
    if method == "closed_form" and not closed_ok:
        raise ValueError("closed_form needs the square law, constant reinforcement and alpha, beta > 0")
    if method not in ("closed_form", "rk4"):
        raise ValueError(f"method must be 'auto', 'closed_form' or 'rk4', got {method!r}")

    time = np.linspace(0.0, float(days), n_steps + 1)
    h = float(days) / n_steps

    def rhs(t, a, d):
        loss_a, loss_d = _losses(law, a, d, alpha, beta)
        return r_a(t) - loss_a, r_d(t) - loss_d

    if method == "closed_form":
        ra, rd = r_a(0.0), r_d(0.0)
        omega, k = np.sqrt(alpha * beta), np.sqrt(beta / alpha)
        a_star, d_star = rd / alpha, ra / beta
        dev_a, dev_d = (a0 - a_star)[:, None], (d0 - d_star)[:, None]
        c, s = np.cosh(omega[:, None] * time), np.sinh(omega[:, None] * time)
        att = a_star[:, None] + dev_a * c - k[:, None] * dev_d * s
        dfd = d_star[:, None] + dev_d * c - dev_a / k[:, None] * s
    else:
        att, dfd = np.empty((n, n_steps + 1)), np.empty((n, n_steps + 1))
        att[:, 0], dfd[:, 0] = a0, d0
        a, d = a0.copy(), d0.copy()
        # a trial past a breakpoint keeps its first post-crossing values (needed for the Hermite step),
        # so a path that would diverge after the stop cannot overflow
        done = (a0 <= bp_a * a0) | (d0 <= bp_d * d0)
        for i in range(n_steps):
            t = time[i]
            k1a, k1d = rhs(t, a, d)
            k2a, k2d = rhs(t + h / 2, a + h / 2 * k1a, d + h / 2 * k1d)
            k3a, k3d = rhs(t + h / 2, a + h / 2 * k2a, d + h / 2 * k2d)
            k4a, k4d = rhs(t + h, a + h * k3a, d + h * k3d)
            a = np.where(done, a, a + h / 6 * (k1a + 2 * k2a + 2 * k3a + k4a))
            d = np.where(done, d, d + h / 6 * (k1d + 2 * k2d + 2 * k3d + k4d))
            done |= (a <= bp_a * a0) | (d <= bp_d * d0)
            att[:, i + 1], dfd[:, i + 1] = a, d

    # Stops: the first grid point at or below a breakpoint; the crossing inside that step by Hermite.
    thr_a, thr_d = bp_a * a0, bp_d * d0
    below_a, below_d = att <= thr_a[:, None], dfd <= thr_d[:, None]
    big = n_steps + 1
    first_a = np.where(below_a.any(axis=1), below_a.argmax(axis=1), big)
    first_d = np.where(below_d.any(axis=1), below_d.argmax(axis=1), big)
    first = np.minimum(first_a, first_d)
    stop_day = np.full(n, float(days))
    stop_reason = np.full(n, STOP_TIME, dtype=int)
    idx = np.nonzero(first < big)[0]
    if idx.size:
        j = first[idx]
        at_start = j == 0
        jm = np.maximum(j - 1, 0)
        y0a, y1a, y0d, y1d = att[idx, jm], att[idx, j], dfd[idx, jm], dfd[idx, j]
        t0 = time[jm]
        # derivatives at both ends (reinforcement evaluated per trial's own time)
        m0a, m0d = np.empty(idx.size), np.empty(idx.size)
        m1a, m1d = np.empty(idx.size), np.empty(idx.size)
        for jj in np.unique(j):
            sel = j == jj
            rows = idx[sel]
            tl, tr = time[max(jj - 1, 0)], time[jj]
            la, ld = _losses(
                law, att[rows, max(jj - 1, 0)], dfd[rows, max(jj - 1, 0)], alpha[rows], beta[rows]
            )
            ra_l, rd_l = r_a(tl)[rows], r_d(tl)[rows]
            m0a[sel], m0d[sel] = ra_l - la, rd_l - ld
            la, ld = _losses(law, att[rows, jj], dfd[rows, jj], alpha[rows], beta[rows])
            m1a[sel], m1d[sel] = r_a(tr)[rows] - la, r_d(tr)[rows] - ld
        s_a = np.where(first_a[idx] == j, _hermite_crossing(y0a, y1a, h * m0a, h * m1a, thr_a[idx]), np.inf)
        s_d = np.where(first_d[idx] == j, _hermite_crossing(y0d, y1d, h * m0d, h * m1d, thr_d[idx]), np.inf)
        defender_first = np.where(at_start, first_a[idx] != 0, s_d < s_a)
        s = np.where(at_start, 0.0, np.minimum(s_a, s_d))
        frozen_a, _ = _hermite(s, y0a, y1a, h * m0a, h * m1a)
        frozen_d, _ = _hermite(s, y0d, y1d, h * m0d, h * m1d)
        frozen_a = np.where(~defender_first & ~at_start, thr_a[idx], frozen_a)
        frozen_d = np.where(defender_first & ~at_start, thr_d[idx], frozen_d)
        frozen_a = np.where(at_start, att[idx, 0], frozen_a)
        frozen_d = np.where(at_start, dfd[idx, 0], frozen_d)
        stop_day[idx] = np.where(at_start, 0.0, t0 + s * h)
        stop_reason[idx] = np.where(defender_first, STOP_DEFENDER_BROKE, STOP_ATTACKER_BROKE)
        after = np.arange(n_steps + 1)[None, :] >= j[:, None]
        att[idx] = np.where(after, frozen_a[:, None], att[idx])
        dfd[idx] = np.where(after, frozen_d[:, None], dfd[idx])
    return LanchesterRun(law, method, time, att, dfd, stop_day, stop_reason)


def effective_force_ratio(
    law: str, attacker, defender, alpha, beta, defender_margin_troops=None
) -> np.ndarray:
    """The attacker's invariant term over the defender's: > 1 means the attacker wins the attrition race.

    square sqrt(alpha / beta) A / D; linear alpha A / (beta D); mixed alpha A^2 / (2 beta D). With
    defender_margin_troops (D minus the defender's breakpoint strength) in place of D the ratio goes to
    infinity as the defender reaches its breakpoint. Broadcastable arrays.
    """
    _check_law(law)
    a = np.asarray(attacker, dtype=float)
    d = np.asarray(defender if defender_margin_troops is None else defender_margin_troops, dtype=float)
    d = np.maximum(d, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        if law == "square":
            ratio = np.sqrt(alpha / beta) * a / d
        elif law == "linear":
            ratio = alpha * a / (beta * d)
        else:
            ratio = alpha * a**2 / (2.0 * beta * d)
    return np.where(a <= 0, 0.0, ratio)


@dataclass(frozen=True)
class SquareLawCampaign:
    """A square-law campaign in closed form, every field of the inputs' broadcast shape.

    peak_effective_ratio: R_max, the largest effective ratio before the stop (inf if the defender reaches
    its breakpoint); stop_day in days; stop_reason (int): 0 time ran out, 1 attacker's breakpoint, 2
    defender's.
    """

    peak_effective_ratio: np.ndarray
    stop_day: np.ndarray
    stop_reason: np.ndarray


def _first_positive_root(c2, c1, c0):
    """Smallest v > 0 with c2 v^2 + c1 v + c0 = 0 for c0 > 0 (inf if none), by the cancellation-free
    form of the quadratic formula: q = -(c1 + sign(c1) sqrt(c1^2 - 4 c2 c0)) / 2, roots c0 / q and q / c2.
    With c0 > 0 the smallest positive root is c0 / q if c1 < 0, else q / c2 (positive only if c2 < 0)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        q = -0.5 * (c1 + np.copysign(np.sqrt(c1 * c1 - 4.0 * c2 * c0), c1))
        root = np.where(c1 < 0, c0 / q, q / c2)
        return np.where(root > 0, root, np.inf)  # NaN (no real root) compares False


def _quadratic(c2, c1, c0, v):
    return (c2 * v + c1) * v + c0


def square_law_campaign(
    attacker0,
    defender0,
    alpha,
    beta,
    *,
    days,
    attacker_reinforcement_per_day=0.0,
    defender_reinforcement_per_day=0.0,
    attacker_breakpoint_share=0.0,
    defender_breakpoint_share=0.0,
) -> SquareLawCampaign:
    """Peak effective ratio and stop of a square-law campaign with constant reinforcement, exactly.

    The closed form of the module docstring (Taylor 1983) under the half-angle substitution u = tanh(omega
    t / 2), so that cosh(omega t) = (1 + u^2) / s and sinh(omega t) = 2u / s with s = 1 - u^2 > 0, written
    in v = 2u / omega (v increases with t, v = t + O(omega^2 t^3), omega = sqrt(alpha beta)). Each strength
    (and each strength above its breakpoint) times s is a quadratic in v whose coefficients are plain rates,
    so nothing large cancels when omega is small:

        s (A - b_A A0) = (1 - b_A) A0 - (beta D0 - r_A) v + (alpha beta (1 + b_A) A0 - 2 beta r_D) v^2 / 4
        s (D - b_D D0) = (1 - b_D) D0 - (alpha A0 - r_D) v + (alpha beta (1 + b_D) D0 - 2 alpha r_A) v^2 / 4
        s A            = A0 - (beta D0 - r_A) v + (alpha beta A0 - 2 beta r_D) v^2 / 4  =: N(v)

    A side reaches its breakpoint at the smallest positive root of its line (first two lines; the
    cancellation-free quadratic formula); the campaign stops at the first of these or at V = 2 tanh(omega
    T_c / 2) / omega (t = T_c). With M(v) the second line, the effective ratio is R = sqrt(alpha / beta) A /
    (D - b_D D0) = sqrt(alpha / beta) N / M, so its maximum over [0, v_stop] is at an end or where
    (N / M)' = 0, the quadratic (n2 m1 - n1 m2) v^2 + 2 (n2 m0 - n0 m2) v + (n1 m0 - n0 m1) = 0 (N = sum
    n_i v^i, M = sum m_i v^i). A stop day is t = 2 artanh(omega v / 2) / omega. This is exactly what
    `simulate_lanchester` followed by `effective_force_ratio` approximates on a grid (whose maximum over
    grid points can miss an interior peak).

    attacker0, defender0: troops (>= 0); alpha, beta >= 0 per day; days > 0 (T_c); reinforcement in
    troops/day (>= 0); breakpoint shares in [0, 1). Any broadcastable shapes, e.g. (n_trials,) or
    (n_trials, n_years). A side with no troops at the start stops the campaign at day 0 (the attacker
    first if both); R_max = 0 if the attacker has none, inf if the defender has none.
    """
    arrays = np.broadcast_arrays(
        *(
            np.asarray(x, dtype=float)
            for x in (
                attacker0,
                defender0,
                alpha,
                beta,
                days,
                attacker_reinforcement_per_day,
                defender_reinforcement_per_day,
                attacker_breakpoint_share,
                defender_breakpoint_share,
            )
        )
    )
    if any(np.any(x < 0) for x in arrays[:4] + arrays[5:7]):
        raise ValueError("strengths, fire effectiveness and reinforcement must be >= 0")
    if np.any(arrays[4] <= 0):
        raise ValueError("days must be > 0")
    if any(np.any((x < 0) | (x >= 1)) for x in arrays[7:]):
        raise ValueError("breakpoint shares must be in [0, 1)")
    shape = arrays[0].shape
    run = _square_law_campaign(*(x.reshape(-1) for x in arrays))
    fields = (run.peak_effective_ratio, run.stop_day, run.stop_reason)
    return SquareLawCampaign(*(x.reshape(shape) for x in fields))


def _square_law_campaign(a0, d0, alpha, beta, days, r_a, r_d, b_a, b_d) -> SquareLawCampaign:
    """square_law_campaign on arrays of one shape, unchecked."""
    ab = alpha * beta
    omega = np.sqrt(ab)
    # N = (1 - u^2) A = a0 + n1 v + n2 v^2 and the defender's margin M = (1 - u^2) (D - b_D D0) = m0 + m1 v +
    # m2 v^2; the attacker's strength above its breakpoint shares N's linear coefficient
    n1 = r_a - beta * d0
    n2 = 0.25 * ab * a0 - 0.5 * beta * r_d
    m0 = (1.0 - b_d) * d0
    m1 = r_d - alpha * a0
    m2 = 0.25 * ab * (1.0 + b_d) * d0 - 0.5 * alpha * r_a
    v_a = _first_positive_root(n2 + 0.25 * ab * b_a * a0, n1, (1.0 - b_a) * a0)
    v_d = _first_positive_root(m2, m1, m0)
    with np.errstate(divide="ignore", invalid="ignore"):
        v_end = np.where(omega > 0, 2.0 * np.tanh(0.5 * omega * days) / omega, days)
    attacker_stops = (v_a <= v_end) & (v_a <= v_d)
    defender_stops = (v_d <= v_end) & (v_d < v_a)
    v_stop = np.minimum(np.minimum(v_a, v_d), v_end)

    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # R_max over [0, v_stop]: the larger end, or a stationary point of N / M inside
        k = np.sqrt(beta / alpha)
        peak = np.fmax(a0 / (k * m0), _quadratic(n2, n1, a0, v_stop) / (k * _quadratic(m2, m1, m0, v_stop)))
        e2 = n2 * m1 - n1 * m2
        e1 = 2.0 * (n2 * m0 - a0 * m2)
        e0 = n1 * m0 - a0 * m1
        q = -0.5 * (e1 + np.copysign(np.sqrt(e1 * e1 - 4.0 * e2 * e0), e1))
        for v in (q / e2, e0 / q):
            idx = np.nonzero((v > 0) & (v < v_stop))
            if idx[0].size:
                vi = v[idx]
                ratio = _quadratic(n2[idx], n1[idx], a0[idx], vi) / (
                    k[idx] * _quadratic(m2[idx], m1[idx], m0[idx], vi)
                )
                peak[idx] = np.fmax(peak[idx], ratio)
        stop_day = np.array(days)
        idx = np.nonzero(attacker_stops | defender_stops)
        w, v = omega[idx], v_stop[idx]
        stop_day[idx] = np.minimum(np.where(w > 0, 2.0 * np.arctanh(0.5 * w * v) / w, v), days[idx])
    peak[defender_stops] = np.inf
    reason = np.full(peak.shape, STOP_TIME)
    reason[attacker_stops] = STOP_ATTACKER_BROKE
    reason[defender_stops] = STOP_DEFENDER_BROKE
    # a side with nothing at the start (A0 = 0 or D0 = 0): stopped at day 0
    no_attacker, no_defender = a0 <= 0, d0 <= 0
    if no_attacker.any() or no_defender.any():
        peak[no_defender], reason[no_defender] = np.inf, STOP_DEFENDER_BROKE
        peak[no_attacker], reason[no_attacker] = 0.0, STOP_ATTACKER_BROKE
        stop_day[no_attacker | no_defender] = 0.0
    return SquareLawCampaign(peak, stop_day, reason)


# ----------------------------------------------------------------------------- fitting a battle

# The fitter lives in model/lanchester_fit.py (issue 19); these names still resolve here for older callers.
_MOVED_TO_LANCHESTER_FIT = ("LawFit", "LanchesterFit", "fit_lanchester", "_predict_battle", "_start_values")


def __getattr__(name: str):
    """PEP 562: model.forces.fit_lanchester etc. are model.lanchester_fit's (imported on first use, no cycle)."""
    if name in _MOVED_TO_LANCHESTER_FIT:
        from model import lanchester_fit

        return getattr(lanchester_fit, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ----------------------------------------------------------------------------- cession


@dataclass(frozen=True)
class CessionEffects:
    """Before/after values of a territorial cession; each field has shape (n_trials,)."""

    held_area_km2_before: np.ndarray
    held_area_km2_after: np.ndarray
    population_before: np.ndarray
    population_after: np.ndarray
    front_length_km_before: np.ndarray
    front_length_km_after: np.ndarray
    fortified_share_before: np.ndarray
    fortified_share_after: np.ndarray


def cession_effects(
    *,
    held_area_km2,
    ceded_area_km2,
    held_population,
    ceded_population,
    front_length_before_km,
    front_length_after_km,
    fortified_share_before,
    fortified_share_after,
) -> CessionEffects:
    """What a cession changes: held area (km2), population, front length (km) and the share of the
    attacker's battles that meet a fortified defence (ceding a fortified belt such as Sloviansk-Kramatorsk
    lowers it).

    area_after = held_area - ceded_area; population_after = held_population - ceded_population. All inputs
    are scalars or (n_trials,); shares in [0, 1]; ceded amounts no larger than held ones.
    """
    v = {k: np.asarray(x, dtype=float) for k, x in locals().items()}
    n = int(np.prod(np.broadcast_shapes(*(x.shape for x in v.values()), (1,))))
    v = {k: np.broadcast_to(x, (n,)).astype(float) for k, x in v.items()}
    if np.any(v["ceded_area_km2"] > v["held_area_km2"]) or np.any(
        v["ceded_population"] > v["held_population"]
    ):
        raise ValueError("ceded area and population cannot exceed what is held")
    if any(np.any(v[k] < 0) for k in v):
        raise ValueError("all inputs must be >= 0")
    for key in ("fortified_share_before", "fortified_share_after"):
        if np.any(v[key] > 1):
            raise ValueError(f"{key} must be in [0, 1]")
    return CessionEffects(
        held_area_km2_before=v["held_area_km2"],
        held_area_km2_after=v["held_area_km2"] - v["ceded_area_km2"],
        population_before=v["held_population"],
        population_after=v["held_population"] - v["ceded_population"],
        front_length_km_before=v["front_length_before_km"],
        front_length_km_after=v["front_length_after_km"],
        fortified_share_before=v["fortified_share_before"],
        fortified_share_after=v["fortified_share_after"],
    )


# ----------------------------------------------------------------------------- the balance, year by year

# Defaults for the Russia-Ukraine case, late 2025. Values marked (assumption) have no source; the others
# are rounded from reported figures (see configs/forces/ for outlet and date).
BALANCE_DEFAULTS: dict[str, float] = {
    "defender_strength_now_troops": 880_000.0,  # AFP "just under 900,000"; Reuters ~850,000 (Nov 2025)
    "defender_cap_troops": np.inf,  # no cap; the 28-point plan: 600,000; E3 counter-proposal: 800,000
    "equipment_depreciation_per_year": 0.15,  # (assumption) wear, losses in training, obsolescence
    "domestic_equipping_troops_per_year": 50_000.0,  # (assumption) troop-equivalents of kit made at home
    "aid_bn_per_year": 36.0,  # Kiel Ukraine Support Tracker: ~EUR 36bn of military aid in 2025
    "troops_equipped_per_bn": 2_300.0,  # (assumption) ~EUR 0.43m of kit and munitions per troop-year
    "attacker_strength_now_troops": 700_000.0,  # "more than 700,000" (Putin, Sep and Dec 2025)
    "attacker_rearmament_troops_per_year": 80_000.0,  # (assumption) peacetime net growth of the force
    "attacker_max_troops": 1_000_000.0,  # (assumption) committed share of a 1.5m active army
    "fortified_share_before": 0.5,  # (assumption) share of Russia's battles that meet fortified lines today
    "fortified_share_after": 0.5,  # = before (no cession); lower after ceding a fortified belt
    "prepared_share": 0.3,  # (assumption) share meeting prepared (not fortified) positions; the rest hasty
    "fortified_rebuild_per_year": 0.0,  # share of battles moved from prepared to fortified per year
    "front_length_before_km": 1_250.0,  # Syrskyi: active front ~1,250 km (2025)
    "front_length_after_km": 1_250.0,  # (assumption) no published figure for the post-withdrawal line
    "interdiction_share": 0.1,  # (assumption) attacker strength denied by the defender's long-range strike
    "long_range_strike_ban": 0.0,  # 0 allowed, 1 banned (the 28-point plan limits long-range missiles)
    "attacker_wartime_growth_per_year": 45_000.0,  # 617,000 (Dec 2023) -> 700,000 (Sep 2025), Putin
    "defender_wartime_growth_per_year": 0.0,  # (assumption) mobilisation replaces losses
    # (assumption) share of Ukraine's armed forces (personnel, the unit of its cap) in the theatre, so that the
    # ratio compares like with like: Russia's figure counts its troops in the "SMO zone" (Putin), Ukraine's
    # its whole armed forces, which "are defending the entire territory" (Zelensky, 15 Jan 2025)
    "defender_theatre_share": 0.7,
}

_SHARES = ("equipment_depreciation_per_year", "fortified_share_before", "fortified_share_after",
           "prepared_share", "interdiction_share", "long_range_strike_ban", "defender_theatre_share")
_POSITIVE = ("front_length_before_km", "front_length_after_km", "defender_strength_now_troops",
             "attacker_strength_now_troops")
_SIGNED = ("attacker_wartime_growth_per_year", "defender_wartime_growth_per_year")


def _balance_params(params: dict) -> tuple[int, dict[str, np.ndarray]]:
    unknown = set(params) - set(BALANCE_DEFAULTS)
    if unknown:
        raise TypeError(f"unknown parameters: {sorted(unknown)}")
    raw = {k: np.asarray(params.get(k, v), dtype=float) for k, v in BALANCE_DEFAULTS.items()}
    n = int(np.prod(np.broadcast_shapes(*(x.shape for x in raw.values()), (1,))))
    p = {k: np.broadcast_to(x, (n,)) for k, x in raw.items()}
    for key in _POSITIVE:
        if np.any(p[key] <= 0):
            raise ValueError(f"{key} must be > 0")
    for key in _SHARES:
        if np.any((p[key] < 0) | (p[key] > 1)):
            raise ValueError(f"{key} must be in [0, 1]")
    for key in set(BALANCE_DEFAULTS) - set(_POSITIVE) - set(_SHARES) - set(_SIGNED):
        if np.any(p[key] < 0):
            raise ValueError(f"{key} must be >= 0")
    if np.any(np.maximum(p["fortified_share_before"], p["fortified_share_after"]) + p["prepared_share"] > 1):
        raise ValueError("fortified_share_before/after + prepared_share must be <= 1 (the rest is hasty defence)")
    return n, p


def _equipment(p: dict[str, np.ndarray], years: int, n: int) -> np.ndarray:
    """Equipment in troop-equivalents at the start of each year (years, n): E_0 = today's strength,
    E_{t+1} = (1 - depreciation) E_t + domestic + aid * troops_per_bn."""
    equipping = p["domestic_equipping_troops_per_year"] + p["aid_bn_per_year"] * p["troops_equipped_per_bn"]
    keep = 1.0 - p["equipment_depreciation_per_year"]
    e = np.empty((years, n))
    e[0] = p["defender_strength_now_troops"]
    for t in range(1, years):
        e[t] = keep * e[t - 1] + equipping
    return e


def balance_trajectory(years: int = 10, *, wartime: bool = False, **params) -> dict[str, np.ndarray]:
    """The military balance at the start of each year t = 0..years-1, for every trial.

    Peace (the settlement's path; t = 0 the moment it takes effect):

        defender  personnel P = min(cap, D_now)                 (no growth beyond today's force)
                  equipment E_0 = D_now, E_{t+1} = (1 - depreciation) E_t + domestic + aid * troops_per_bn
                  D_t = s_th min(P, E_t)                        (troops the force fields in the theatre: s_th
                                                                the theatre share of its armed forces, so that
                                                                D is in the attacker's units, troops in the
                                                                theatre; the cap P is on all personnel)
        attacker  A_t = min(max(A_max, A_now), A_now + rearmament * t)
        posture   fortified share f_t = min(f_before, f_after + rebuild * t) (what the cession lost moves to
                  prepared, and back as new lines are built), prepared share p_t = p + f_before - f_t
        front     L = front_length_after_km;   interdiction i = interdiction_share * (1 - ban)

    Wartime (``wartime=True``: the war going on from today, no settlement): no cap, no cession, no ban; the
    committed forces change at their observed wartime net rates (recruitment minus losses),

        A_t = min(max(A_max, A_now), A_now + attacker_wartime_growth * t)
        P_t = max(D_now + defender_wartime_growth * t, 0),  D_t = s_th min(P_t, E_t)   (today's aid; D_t = 0
        is the defender's collapse, which model/war.py and scenarios/forces.py treat as a defined outcome)
        f_t = f_before, p_t = p, L = front_length_before_km, i = interdiction_share

    Long-range strike against logistics, depots and reinforcement denies the attacker a share i of its
    strength in the field: A_eff = A_t (1 - i). A ban (the 28-point plan) removes that.

    Parameters: keyword, each a scalar or an (n_trials,) array, defaults in BALANCE_DEFAULTS (units in the
    names; shares in [0, 1]; fortified + prepared <= 1; wartime growth may be negative). Returns arrays of
    shape (n_trials, years): defender_strength_troops (fielded in the theatre), defender_personnel_troops,
    defender_equipment_troops, attacker_strength_troops, attacker_effective_troops, force_ratio (A / D),
    fortified_share, prepared_share, force_density_troops_per_km (D / L); front_length_km (n_trials,);
    year (years,).
    """
    if years < 1:
        raise ValueError("years must be >= 1")
    n, p = _balance_params(params)
    t = np.arange(years, dtype=float)[:, None]  # year-major (years, n): each year's row is contiguous
    equipment = _equipment(p, years, n)
    a_ceiling = np.maximum(p["attacker_max_troops"], p["attacker_strength_now_troops"])
    if wartime:
        personnel = np.maximum(p["defender_strength_now_troops"] + p["defender_wartime_growth_per_year"] * t, 0.0)
        attacker = np.minimum(a_ceiling, np.maximum(
            p["attacker_strength_now_troops"] + p["attacker_wartime_growth_per_year"] * t, 0.0))
        fortified = np.broadcast_to(p["fortified_share_before"], (years, n))
        front = p["front_length_before_km"]
        denied = p["interdiction_share"]
    else:
        personnel = np.broadcast_to(np.minimum(p["defender_cap_troops"], p["defender_strength_now_troops"]),
                                    (years, n))
        attacker = np.minimum(a_ceiling, p["attacker_strength_now_troops"]
                              + p["attacker_rearmament_troops_per_year"] * t)
        ceiling = np.maximum(p["fortified_share_before"], p["fortified_share_after"])
        fortified = np.minimum(ceiling, p["fortified_share_after"] + p["fortified_rebuild_per_year"] * t)
        front = p["front_length_after_km"]
        denied = p["interdiction_share"] * (1.0 - p["long_range_strike_ban"])
    defender = p["defender_theatre_share"] * np.minimum(personnel, equipment)
    prepared = p["prepared_share"] + np.maximum(p["fortified_share_before"], fortified) - fortified
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = attacker / defender
    by_year = {
        "defender_strength_troops": defender,
        "defender_personnel_troops": np.broadcast_to(personnel, (years, n)),
        "defender_equipment_troops": equipment,
        "attacker_strength_troops": attacker,
        "attacker_effective_troops": attacker * (1.0 - denied),
        "force_ratio": ratio,
        "fortified_share": np.broadcast_to(fortified, (years, n)),
        "prepared_share": np.broadcast_to(prepared, (years, n)),
        "force_density_troops_per_km": defender / front,
    }
    # (n_trials, years) views of year-major arrays: each year's row is contiguous (a quantity constant over
    # the years stays a broadcast view, not a copy)
    out = {k: v.T for k, v in by_year.items()}
    out["front_length_km"] = np.array(front, dtype=float)
    out["year"] = np.arange(years)
    return out
