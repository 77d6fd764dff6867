"""Battle outcomes on the record: the empirical relations the theatre war model reads (MODELS.md section 2).

The battle record (CAA Database of Battles, CDB90: US Army Concepts Analysis Agency 1984, 1987; Helmbold
1993, 1995) says that the force ratio predicts a battle's outcome only weakly (Dupuy 1987, *Understanding
War*; Helmbold 1990, "Rates of advance in historical land combat operations", CAA-RP-90-1): attackers win
about half their battles below 0.8:1 and about three in four above 3:1. This module fits that record with
few covariates the Russia-Ukraine case can be mapped onto, penalised, with the signs the theory implies
imposed, so that the fit generalises to battles it has not seen.

**Who wins** (decided battles: draws and unknown outcomes are left out and counted). A logit

    P(attacker wins) = expit(b0 + b_r ln(A / D) + b_p [posture >= prepared] + b_f [posture = fortified]
                             + b_d [delaying or withdrawing] + b_a air)

A, D the personnel engaged (CDB90 STRA, STRD), posture the defender's main posture (POST1: HD hasty, PD
prepared, FD fortified, DL delaying, WD withdrawal; hasty is the baseline), air the attacker's theatre air
superiority (AEROA: +1 attacker, 0 neither, -1 defender; unknown read as 0). The posture steps are ordinal: b_p
is the step from a hasty to a prepared defence, b_f the further step to a fortified one.

**How far the attacker advances** (km/day: KMDA over the battle's duration in calendar days, the union of
its active periods' dates), given the outcome. A won battle advances v > 0 with probability pi (the share of
won battles that advanced), and then log-normally,

    ln v | win, v > 0  ~  N(c0 + c_n ln(rho / 1000), s^2)

rho the defender's density (STRD over the defender's front width WOFD1, troops/km; battles without a front
width are left out of this fit). Force-to-space (Liddell Hart; Mearsheimer 1989): a thinly held front gives
way faster, and in cross-validation grouped by war the density predicts the pace better than the base rate.
The force ratio is not a covariate of the pace: Dupuy (1987) found no direct relation between advance
rates and force ratios, and on the record the partial relation is negative, which is selection (attacks at
long odds are launched where the ground is hard), not a causal effect. Nor is the posture: Dupuy found that
rates fall with fortification, but on the record a posture term makes held-out predictions of the pace
worse (`accord calibrate battles` prints the comparison), so the posture acts through who wins. A lost
battle's advance (often a retreat) has a mean m_l and a standard deviation s_l. So, per battle,

    E[v | win] = pi exp(mu + s^2 / 2),   E[v^2 | win] = pi exp(2 mu + 2 s^2),   E[v | loss] = m_l.

**Estimation.** Ridge-penalised maximum likelihood (penalty lambda/2 sum b_j^2 on every coefficient but the
intercept: a normal prior with standard deviation lambda^-1/2; for the advance regression the penalty is on
the same scale relative to the residual variance), with the signs theory implies imposed as bounds (a
constrained estimator; L-BFGS-B for the logit, bounded least squares for the advance):

    b_r >= 0 (more attackers never lower the attacker's chance), b_p, b_f <= 0 (a stronger posture never
    helps the attacker), b_a >= 0 (air superiority never hurts it), c_n <= 0 (a denser defence
    never speeds the attack), m_l <= 0 (a lost attack takes no ground on average).

Where the record points the other way the estimate sits at its bound (no effect); the fit says so. The
covariance is the inverse of the penalised information at the estimate; drawing a coefficient vector b + L z
(L the Cholesky factor, z standard normal) and projecting it onto the bounds reproduces, for a coefficient
at its bound, the half-mass-at-the-bound sampling distribution of the constrained estimator.

**The posture as a defence multiplier.** With b_r > 0, a posture step b_k < 0 is worth what a larger defence
would be: the attacker's odds against posture k at ratio r equal its odds against a hasty defence at r / M_k,

    M_k = exp(-b_k / b_r)        (a strength multiplier: the linear-law, or plain ratio, reading)

Under Lanchester's square law a multiplier m on the defender's fire effectiveness gives parity at A/D =
sqrt(m beta / alpha), so the same posture is a fire-effectiveness multiplier m_k = M_k^2: the "3:1 rule" is
M = 3, i.e. m = 9 (not 3) under the square law.

Shapes: battle arrays (m,); coefficient draws are scalars or (n_trials,) arrays that broadcast.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, special

from model import calibration as cal
from model.stats import wilson_interval

# defender posture codes (CDB90 POST1: HD, PD, FD, DL/WD; OO not available)
HASTY, PREPARED, FORTIFIED, DELAYING, UNKNOWN = 0, 1, 2, 3, -1
POSTURE_NAMES = {HASTY: "hasty (HD)", PREPARED: "prepared (PD)", FORTIFIED: "fortified (FD)",
                 DELAYING: "delaying or withdrawal (DL, WD)"}
DENSITY_REF_TROOPS_PER_KM = 1000.0  # the advance fit's density is ln(rho / 1000)
RATIO_BANDS = (0.0, 0.8, 1.25, 2.0, 3.0, np.inf)  # force-ratio bands of the empirical table

WIN_FEATURES = ("log_ratio", "prepared", "fortified", "delaying", "air")
WIN_BOUNDS = {"log_ratio": (0.0, None), "prepared": (None, 0.0), "fortified": (None, 0.0),
              "delaying": (None, None), "air": (0.0, None)}
ADVANCE_FEATURES = ("log_density",)
ADVANCE_BOUNDS = {"log_density": (None, 0.0)}
# the coefficients a theatre (the case) reads, in the order of a draw's standard-normal vector z
CASE_COEFFICIENTS = ("win_intercept", "win_log_ratio", "win_prepared", "win_fortified", "win_air",
                     "advance_intercept", "advance_log_density", "loss_mean")
N_CASE_COEFFICIENTS = len(CASE_COEFFICIENTS)


# ----------------------------------------------------------------------------------------- the record


@dataclass(frozen=True)
class Battles:
    """Battles of the record, one entry per battle (arrays of shape (m,)).

    battle_id, war, name: identifiers (war groups battles for grouped cross-validation); attacker_troops,
    defender_troops > 0 (personnel engaged); outcome: 1 attacker won, -1 lost, 0 draw, -9 unknown; posture:
    HASTY, PREPARED, FORTIFIED, DELAYING or UNKNOWN; air: -1, 0, +1; defender_front_km, duration_days,
    advance_km: NaN where unknown; year: the year the battle began.
    """

    battle_id: np.ndarray
    war: np.ndarray
    name: np.ndarray
    attacker_troops: np.ndarray
    defender_troops: np.ndarray
    outcome: np.ndarray
    posture: np.ndarray
    air: np.ndarray
    defender_front_km: np.ndarray
    duration_days: np.ndarray
    advance_km: np.ndarray
    year: np.ndarray

    def __len__(self) -> int:
        return len(self.outcome)

    def take(self, mask: np.ndarray) -> Battles:
        """The battles where mask is True (or at the given indices)."""
        return Battles(**{k: np.asarray(v)[mask] for k, v in self.__dict__.items()})

    subset = take  # the name scenarios/backtest.py's Cases payloads use

    @property
    def log_ratio(self) -> np.ndarray:
        return np.log(self.attacker_troops / self.defender_troops)

    @property
    def decided(self) -> np.ndarray:
        """Attacker won or lost (draws and unknown outcomes excluded), posture known."""
        return np.isin(self.outcome, (1, -1)) & (self.posture != UNKNOWN)

    @property
    def advance_km_per_day(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.advance_km / self.duration_days

    @property
    def log_density(self) -> np.ndarray:
        """ln(defender troops per km of its front / 1000); NaN where the front width is unknown."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.log(self.defender_troops / self.defender_front_km / DENSITY_REF_TROOPS_PER_KM)


def war_key(name) -> str:
    """The war a battle belongs to, as grouping key: CDB90's WAR field upper-cased, punctuation and runs of
    spaces collapsed, a leading "THE " and any parenthesised theatre or period dropped, so that spellings of
    one war group together ("WORLD WAR II (ITALY 1944)", "World War II (Eastern Front)" and "WORLD  WAR II"
    are one war). CDB90 splits the world wars by theatre (WWI into 8 labels, WWII into 7); battles of one war
    share commanders, doctrine and equipment, so grouped cross-validation must not put them on both sides of
    a split. Wars told apart by a year outside parentheses ("ARAB-ISRAELI WAR, 1967 ...", "ARAB-ISRAELI,
    1948") stay apart."""
    text = re.sub(r"\([^)]*\)", " ", str(name).upper())
    text = re.sub(r"[^A-Z0-9]+", " ", text).strip()
    text = re.sub(r"^THE ", "", text)
    return text or "UNKNOWN"


def war_keys(names) -> np.ndarray:
    """war_key of each name (array of str)."""
    return np.array([war_key(n) for n in np.asarray(names, dtype=object)], dtype=object)


def win_features(log_ratio, posture, air) -> np.ndarray:
    """Design rows (m, 5) of the win model in WIN_FEATURES order (no intercept column)."""
    posture = np.asarray(posture)
    return np.column_stack([
        np.asarray(log_ratio, float),
        np.isin(posture, (PREPARED, FORTIFIED)).astype(float),
        (posture == FORTIFIED).astype(float),
        (posture == DELAYING).astype(float),
        np.asarray(air, float) * np.ones(posture.shape),
    ])


def advance_features(log_density) -> np.ndarray:
    """Design rows (m, 1) of the advance-given-a-win model in ADVANCE_FEATURES order (no intercept)."""
    return np.asarray(log_density, float).reshape(-1, 1)


# ------------------------------------------------------------------------------------------- estimators


@dataclass(frozen=True)
class PenalisedFit:
    """A sign-constrained ridge fit: coef (k + 1,) intercept first, its covariance (inverse penalised
    information), se, which coefficients sit at a bound, and (linear fits) the residual sd."""

    feature_names: tuple[str, ...]
    coef: np.ndarray
    covariance: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    n_obs: int
    log_likelihood: float
    ridge: float
    converged: bool
    residual_sd: float = float("nan")

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.clip(np.diag(self.covariance), 0.0, None))

    @property
    def at_bound(self) -> np.ndarray:
        tol = 1e-8
        return (np.abs(self.coef - self.lower) < tol) | (np.abs(self.coef - self.upper) < tol)

    def linear_predictor(self, features) -> np.ndarray:
        return self.coef[0] + np.asarray(features, float) @ self.coef[1:]


def _bounds(names: Sequence[str], table: dict) -> tuple[np.ndarray, np.ndarray]:
    lo = np.array([-np.inf] + [table[n][0] if table[n][0] is not None else -np.inf for n in names])
    hi = np.array([np.inf] + [table[n][1] if table[n][1] is not None else np.inf for n in names])
    return lo, hi


def fit_constrained_logit(features, outcome, names: Sequence[str], bounds: dict, ridge: float = 1.0
                          ) -> PenalisedFit:
    """Maximise sum [y eta - ln(1 + e^eta)] - ridge/2 sum_{j>=1} b_j^2 subject to bounds on b (L-BFGS-B,
    analytic gradient). features (m, k), outcome (m,) in {0, 1}; bounds {name: (low | None, high | None)}.
    Covariance: (X' W X + ridge I')^-1 at the estimate, W = p (1 - p), intercept unpenalised."""
    x = np.asarray(features, float)
    y = np.asarray(outcome, float)
    design = np.column_stack([np.ones(len(y)), x])
    k = design.shape[1]
    penalty = np.r_[0.0, np.full(k - 1, ridge)]
    lo, hi = _bounds(names, bounds)

    def objective(b):
        eta = design @ b
        value = -(y @ eta - np.logaddexp(0.0, eta).sum()) + 0.5 * penalty @ (b * b)
        grad = -(design.T @ (y - special.expit(eta))) + penalty * b
        return value, grad

    start = np.zeros(k)
    start[0] = special.logit(np.clip(y.mean(), 1e-6, 1 - 1e-6))
    start = np.clip(start, lo, hi)
    result = optimize.minimize(objective, start, jac=True, method="L-BFGS-B",
                               bounds=list(zip(np.where(np.isfinite(lo), lo, None),
                                               np.where(np.isfinite(hi), hi, None))),
                               options={"maxiter": 1000, "ftol": 1e-14, "gtol": 1e-9})
    b = result.x
    p = special.expit(design @ b)
    info = design.T @ ((p * (1 - p))[:, None] * design) + np.diag(penalty)
    return PenalisedFit(("intercept", *names), b, np.linalg.inv(info), lo, hi, len(y),
                        float(y @ (design @ b) - np.logaddexp(0.0, design @ b).sum()), float(ridge),
                        bool(result.success))


def fit_constrained_linear(features, response, names: Sequence[str], bounds: dict, ridge: float = 1.0
                           ) -> PenalisedFit:
    """Bounded ridge least squares: minimise |y - X b|^2 / (2 s^2) + ridge/2 sum_{j>=1} b_j^2 subject to
    bounds (scipy.optimize.lsq_linear on the augmented system), s^2 the unpenalised OLS residual variance
    (so the penalty is a N(0, 1/ridge) prior, as in the logit). Covariance s^2 (X'X + s^2 ridge I')^-1;
    residual_sd from the constrained fit's residuals (m - k - 1 degrees of freedom)."""
    x = np.asarray(features, float)
    y = np.asarray(response, float)
    design = np.column_stack([np.ones(len(y)), x])
    m, k = design.shape
    ols, *_ = np.linalg.lstsq(design, y, rcond=None)
    s2 = float(np.sum((y - design @ ols) ** 2) / max(m - k, 1))
    penalty = np.r_[0.0, np.full(k - 1, ridge)]
    lo, hi = _bounds(names, bounds)
    augmented = np.vstack([design, np.diag(np.sqrt(s2 * penalty))[1:]])
    target = np.r_[y, np.zeros(k - 1)]
    result = optimize.lsq_linear(augmented, target, bounds=(lo, hi), method="bvls", tol=1e-12)
    b = result.x
    resid = y - design @ b
    sd = float(np.sqrt(np.sum(resid**2) / max(m - k, 1)))
    cov = s2 * np.linalg.inv(design.T @ design + np.diag(s2 * penalty))
    log_lik = float(-0.5 * m * np.log(2 * np.pi * sd**2) - 0.5 * np.sum(resid**2) / sd**2)
    return PenalisedFit(("intercept", *names), b, cov, lo, hi, m, log_lik, float(ridge),
                        bool(result.success), sd)


# ---------------------------------------------------------------------------------------- the relations


@dataclass(frozen=True)
class BattleRelations:
    """The fitted relations: who wins, and the advance given the outcome (module docstring).

    win: the logit (WIN_FEATURES); advance: the log-normal regression of a won battle's positive advance
    (ADVANCE_FEATURES); share_advancing: pi; loss_mean (at most 0), loss_sd, loss_mean_se: a lost battle's
    advance in km/day; counts: what entered each fit and what was left out (and why).
    """

    win: PenalisedFit
    advance: PenalisedFit
    share_advancing: float
    loss_mean: float
    loss_sd: float
    loss_mean_se: float
    counts: dict[str, int] = field(default_factory=dict)

    def p_win(self, log_ratio, posture, air=0.0) -> np.ndarray:
        """P(attacker wins) at the point estimate, for battles described by arrays (m,)."""
        return special.expit(self.win.linear_predictor(win_features(log_ratio, posture, air)))

    def defence_multiplier(self) -> dict[str, float]:
        """Strength-equivalent multipliers M of the prepared and fortified postures (against hasty), at the
        point estimate: M_k = exp(-b_k / b_r) (inf if b_r = 0). The square-law equivalent is M^2."""
        b = dict(zip(self.win.feature_names, self.win.coef))
        with np.errstate(divide="ignore", over="ignore"):
            prep = float(np.exp(-b["prepared"] / b["log_ratio"])) if b["log_ratio"] > 0 else np.inf
            fort = float(np.exp(-(b["prepared"] + b["fortified"]) / b["log_ratio"])) if b["log_ratio"] > 0 else np.inf
        return {"prepared": prep, "fortified": fort}

    def case_estimate(self) -> np.ndarray:
        """The CASE_COEFFICIENTS at the point estimate, shape (8,)."""
        w = dict(zip(self.win.feature_names, self.win.coef))
        a = dict(zip(self.advance.feature_names, self.advance.coef))
        return np.array([w["intercept"], w["log_ratio"], w["prepared"], w["fortified"], w["air"],
                         a["intercept"], a["log_density"], self.loss_mean])

    def case_covariance(self) -> np.ndarray:
        """Covariance (8, 8) of the CASE_COEFFICIENTS: block diagonal (win fit, advance fit, loss mean;
        the three are fitted separately and their correlation is ignored)."""
        wi = [self.win.feature_names.index(n) for n in ("intercept", "log_ratio", "prepared", "fortified", "air")]
        cov = np.zeros((N_CASE_COEFFICIENTS, N_CASE_COEFFICIENTS))
        cov[:5, :5] = self.win.covariance[np.ix_(wi, wi)]
        cov[5:7, 5:7] = self.advance.covariance
        cov[7, 7] = self.loss_mean_se**2
        return cov

    def case_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        lo = np.full(N_CASE_COEFFICIENTS, -np.inf)
        hi = np.full(N_CASE_COEFFICIENTS, np.inf)
        hi[CASE_COEFFICIENTS.index("loss_mean")] = 0.0
        for i, name in enumerate(CASE_COEFFICIENTS):
            model, _, feature = name.partition("_")
            table = WIN_BOUNDS if model == "win" else ADVANCE_BOUNDS if model == "advance" else {}
            if feature in table:
                lo[i] = -np.inf if table[feature][0] is None else table[feature][0]
                hi[i] = np.inf if table[feature][1] is None else table[feature][1]
        return lo, hi

    def coefficients(self, z: np.ndarray | None = None) -> Coefficients:
        """The case's coefficients: the point estimate (z None), or per trial b + L z projected onto the
        bounds, z of shape (8,) or (n, 8) standard normal (L the Cholesky factor of case_covariance)."""
        est = self.case_estimate()
        if z is None:
            values = est
        else:
            lo, hi = self.case_bounds()
            values = np.clip(cal.draw_coefficients(est, self.case_covariance(), z), lo, hi)
        # per trial: unit-stride columns (fast loops); the point estimate: floats
        cols = [np.ascontiguousarray(values[..., i]) if values.ndim > 1 else float(values[i])
                for i in range(N_CASE_COEFFICIENTS)]
        return Coefficients(*cols, advance_sd=self.advance.residual_sd, share_advancing=self.share_advancing,
                            loss_sd=self.loss_sd)


@dataclass(frozen=True)
class Coefficients:
    """The relations' coefficients as the theatre reads them: each a float or an (n_trials,) array."""

    win_intercept: np.ndarray | float
    win_log_ratio: np.ndarray | float
    win_prepared: np.ndarray | float
    win_fortified: np.ndarray | float
    win_air: np.ndarray | float
    advance_intercept: np.ndarray | float
    advance_log_density: np.ndarray | float
    loss_mean: np.ndarray | float
    advance_sd: float = 1.0
    share_advancing: float = 1.0
    loss_sd: float = 0.0


def p_attacker_wins(c: Coefficients, log_ratio, posture_level: int, air=0.0) -> np.ndarray:
    """P(attacker wins) of a battle at log force ratio ln(A/D) against a defence at posture_level (HASTY,
    PREPARED or FORTIFIED), the attacker's air superiority air in [-1, 1]. Broadcasts."""
    eta = c.win_intercept + c.win_log_ratio * np.asarray(log_ratio, float) + c.win_air * air
    if posture_level >= PREPARED:
        eta = eta + c.win_prepared
    if posture_level == FORTIFIED:
        eta = eta + c.win_fortified
    return special.expit(eta)


def advance_moments_if_won(c: Coefficients, log_density) -> tuple[np.ndarray, np.ndarray]:
    """(E[v | win], E[v^2 | win]) in km/day and (km/day)^2 at log density ln(rho / 1000): pi exp(mu + s^2/2)
    and pi exp(2 mu + 2 s^2), mu = c0 + c_n ln(rho / 1000)."""
    mu = c.advance_intercept + c.advance_log_density * np.asarray(log_density, float)
    s2 = c.advance_sd**2
    return c.share_advancing * np.exp(mu + 0.5 * s2), c.share_advancing * np.exp(2.0 * mu + 2.0 * s2)


def fit_relations(battles: Battles, ridge: float = 1.0) -> BattleRelations:
    """Fit the win and advance relations to the record (module docstring). Counts what is excluded."""
    decided = battles.decided
    counts = {
        "battles": len(battles),
        "draws": int(np.sum(battles.outcome == 0)),
        "unknown_outcome": int(np.sum(battles.outcome == -9)),
        "posture_unknown": int(np.sum(np.isin(battles.outcome, (1, -1)) & (battles.posture == UNKNOWN))),
        "decided": int(decided.sum()),
    }
    d = battles.take(decided)
    won = d.outcome == 1
    win = fit_constrained_logit(win_features(d.log_ratio, d.posture, d.air), won, WIN_FEATURES, WIN_BOUNDS, ridge)

    rate = d.advance_km_per_day
    known = np.isfinite(rate)
    wins_known = won & known
    positive = wins_known & (rate > 0) & np.isfinite(d.log_density)
    share = float(np.mean(rate[wins_known] > 0)) if wins_known.any() else 1.0
    adv = fit_constrained_linear(advance_features(d.log_density[positive]), np.log(rate[positive]),
                                 ADVANCE_FEATURES, ADVANCE_BOUNDS, ridge)
    losses = (~won) & known
    loss_rates = rate[losses]
    counts.update({
        "advance_unknown": int(np.sum(~known)),
        "wins_advancing_with_front_width": int(positive.sum()),
        "wins_not_advancing": int(np.sum(wins_known & (rate <= 0))),
        "wins_without_front_width": int(np.sum(wins_known & (rate > 0) & ~np.isfinite(d.log_density))),
        "losses_with_advance": int(losses.sum()),
    })
    sd = float(np.std(loss_rates, ddof=1)) if loss_rates.size > 1 else 0.0
    loss_mean = min(float(np.mean(loss_rates)), 0.0) if loss_rates.size else 0.0  # bound: m_l <= 0
    return BattleRelations(win, adv, share, loss_mean, sd, sd / np.sqrt(max(loss_rates.size, 1)), counts)


# ------------------------------------------------------------------------------------- the record's rates


@dataclass(frozen=True)
class BinnedRates:
    """Empirical P(attacker wins) in force-ratio bands (rows) by posture (columns: all, then each posture)."""

    bands: tuple[tuple[float, float], ...]
    postures: tuple[str, ...]
    wins: np.ndarray  # (n_bands, n_postures)
    count: np.ndarray
    rate: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    median_ratio: np.ndarray  # (n_bands,) median force ratio of the band's battles (all postures)


def binned_win_rates(battles: Battles, edges: Sequence[float] = RATIO_BANDS) -> BinnedRates:
    """Win rates of decided battles by force-ratio band and posture, with Wilson (1927) 95% intervals."""
    d = battles.take(battles.decided)
    ratio = d.attacker_troops / d.defender_troops
    won = d.outcome == 1
    columns = [("all", np.ones(len(d), bool))] + [(POSTURE_NAMES[k], d.posture == k)
                                                  for k in (HASTY, PREPARED, FORTIFIED, DELAYING)]
    bands = tuple(itertools.pairwise(edges))
    wins = np.zeros((len(bands), len(columns)))
    count = np.zeros_like(wins)
    median = np.full(len(bands), np.nan)
    for i, (lo, hi) in enumerate(bands):
        in_band = (ratio > lo) & (ratio <= hi)
        if in_band.any():
            median[i] = float(np.median(ratio[in_band]))
        for j, (_, mask) in enumerate(columns):
            sel = in_band & mask
            wins[i, j], count[i, j] = won[sel].sum(), sel.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = wins / count
    lo, hi = wilson_interval(np.nan_to_num(rate), np.maximum(count, 1))
    lo, hi = np.where(count > 0, lo, np.nan), np.where(count > 0, hi, np.nan)
    return BinnedRates(bands, tuple(c for c, _ in columns), wins, count, rate, lo, hi, median)


# ----------------------------------------------------------------------------------- grouped validation


MODERN_ERA_FROM = 1939  # the era covariate the cross-validation tries: battles begun in 1939 or later


def cross_validated_p_win(battles: Battles, k: int = 5, ridge: float = 1.0, seed: int = 0,
                          features: Sequence[str] = WIN_FEATURES, era: bool = False, density: bool = False
                          ) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold P(attacker wins) for the decided battles, folds grouped by war (model.calibration.
    grouped_folds: no war on both sides of a split), with the win model restricted to ``features`` (a subset
    of WIN_FEATURES; none = the training folds' base rate), and optionally two covariates the used model
    leaves out, to show what they add on wars not fitted: the era (begun in MODERN_ERA_FROM or later) and the
    defender's log density (0 where the front width is unknown, with an indicator). Returns (p, won) over the
    decided battles."""
    d = battles.take(battles.decided)
    won = (d.outcome == 1).astype(float)
    fold = cal.grouped_folds(war_keys(d.war), k, seed)
    cols = [WIN_FEATURES.index(f) for f in features]
    x = win_features(d.log_ratio, d.posture, d.air)[:, cols]
    names = list(features)
    if era:
        x = np.column_stack([x, (d.year >= MODERN_ERA_FROM).astype(float)])
        names.append("modern_era")
    if density:
        known = np.isfinite(d.log_density)
        x = np.column_stack([x, np.where(known, d.log_density, 0.0), (~known).astype(float)])
        names += ["log_density", "density_unknown"]
    p = np.empty(len(d))
    for f in range(k):
        train, test = fold != f, fold == f
        if not test.any():
            continue
        if not names:
            p[test] = won[train].mean()
            continue
        bounds = {**WIN_BOUNDS, "modern_era": (None, None), "log_density": (None, None),
                  "density_unknown": (None, None)}
        fit = fit_constrained_logit(x[train], won[train], names, bounds, ridge)
        p[test] = special.expit(fit.linear_predictor(x[test]))
    return p, won


def cross_validated_log_advance(battles: Battles, k: int = 5, ridge: float = 1.0, seed: int = 0,
                                with_density: bool = True, with_posture: bool = False
                                ) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold predictions of ln(advance km/day) for the won battles that advanced and have a front
    width, folds grouped by war; with_density / with_posture choose the covariates (neither: the training
    folds' mean). Returns (predicted, observed)."""
    d = battles.take(battles.decided)
    rate = d.advance_km_per_day
    m = (d.outcome == 1) & np.isfinite(rate) & (rate > 0) & np.isfinite(d.log_density)
    y = np.log(rate[m])
    columns, names = [], []
    if with_posture:
        posture = d.posture[m]
        columns += [np.isin(posture, (PREPARED, FORTIFIED)).astype(float), (posture == FORTIFIED).astype(float),
                    (posture == DELAYING).astype(float)]
        names += ["prepared", "fortified", "delaying"]
    if with_density:
        columns.append(d.log_density[m])
        names.append("log_density")
    x = np.column_stack(columns) if columns else np.zeros((len(y), 0))
    bounds = {**ADVANCE_BOUNDS, "prepared": (None, 0.0), "fortified": (None, 0.0), "delaying": (None, None)}
    fold = cal.grouped_folds(war_keys(d.war[m]), k, seed)
    pred = np.empty(len(y))
    for f in range(k):
        train, test = fold != f, fold == f
        if not names:
            pred[test] = y[train].mean()
            continue
        fit = fit_constrained_linear(x[train], y[train], names, bounds, ridge)
        pred[test] = fit.linear_predictor(x[test])
    return pred, y
