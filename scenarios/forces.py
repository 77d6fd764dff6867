"""Scenario `forces`: what force caps, ceded ground, weapons limits and aid do to the balance over the peace.

Wires model/forces.py (MODELS.md section 2) to configs. Per trial, `balance_trajectory` gives, for each year
t = 1..T of the peace (T = ``forces.horizon_years``), the force ratio Russia:Ukraine in troops, the chance
that a renewed Russian offensive launched that year breaks through within D days, and the territory it would
be expected to take. An optional top-level ``cession:`` block says what the settlement hands over (area,
population) and what that does to the front (its length, the defence multiplier lost with the fortified
belt and how fast new lines are built).

Options. ``forces.label`` names the option; ``forces.compare_with`` lists other forces configs (file paths)
that `tables_figures` runs at the same seed and sampler (trials capped at COMPARE_TRIALS_CAP) and overlays.
A relative path is resolved against, in order: the folder of the file where ``compare_with`` is written (so
it works from a settlement config that extends a forces config), the folders of every file the config was
read from, the folder of the config itself, the current directory, and the shipped ``configs/forces/``.
Options with the same label as the running config are skipped (a config never compares with itself).
The comparisons draw their parameters from the same seed; parameters common to two configs in the same
order get the same draws (common random numbers), so differences between options are less noisy than
independent runs, but not exactly paired.

Per-trial outputs of `compute` (one chunk of n trials, T years):
  force_ratio (n, T)       Russian : Ukrainian troops at the start of year t
  p_breakthrough (n, T)    P(breakthrough within D days) of an offensive launched in year t
  km2_lost (n, T)          expected km2 that offensive takes (conditional on the war)
  cession_ceded_km2, cession_ceded_population, cession_front_km_before, cession_front_km_after,
  cession_multiplier_before, cession_multiplier_after, cession_density_before, cession_density_after (n,)
  and, with a cession block, cession_held_km2_before/after, cession_population_before/after (n,).
The engine keeps a quantile sample of every output, so only outputs that a table or another scenario uses
are returned; model.forces.balance_trajectory has the rest (effective ratio, multiplier, strengths by year).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field, model_validator

from model import forces as FM
from model.stats import Z95
from scenarios import plots
from scenarios.config import Block, Config, ConfigBase, ConfigError, Param, load, lookup_loc
from scenarios.engine import Draws, Summaries, summarise
from scenarios.results import Headline, Result, Table

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "forces"
SUMMARY = "force caps, ceded ground, weapons and aid limits: the military balance and P(breakthrough) by year"
COMPARE_TRIALS_CAP = 20_000
SHIPPED_DIR = Path(__file__).resolve().parent.parent / "configs" / "forces"
HEADLINE_YEARS = (1, 5, 10)

_D = FM.BALANCE_DEFAULTS


# ------------------------------------------------------------------------------------------- config


class ForcesBlock(Block):
    """The balance over the peace: both sides' forces, the defender's advantage, the campaign model."""

    label: str = Field("", description="the option's name in tables and figures (default: the config title)")
    compare_with: tuple[str, ...] = Field(
        (), description="other forces configs to overlay (paths relative to the file where this key is written)"
    )
    horizon_years: int = Field(10, ge=1, le=50, description="years of peace modelled (T)")
    law: Literal["square", "linear", "mixed"] = Field("square", description="Lanchester law of a renewed war")
    n_steps: int = Field(30, ge=5, le=1000, description="integrator steps per campaign (linear, mixed laws)")

    ukraine_now: Param(0, 3e6, "persons", "Ukraine's armed forces today") = _D["defender_strength_now_troops"]
    ukraine_cap: Param(0, 3e6, "persons", "cap on Ukraine's armed forces (omit: no cap)") | None = None
    equipment_depreciation_per_year: Param(0, 1, "share/year", "kit worn out or lost per year") = _D[
        "equipment_depreciation_per_year"
    ]
    domestic_equipping_per_year: Param(0, 1e6, "troop-equivalents/year", "kit Ukraine makes itself") = _D[
        "domestic_equipping_troops_per_year"
    ]
    aid_eur_bn_per_year: Param(0, 200, "EUR bn/year", "foreign military aid to Ukraine") = 36.0
    troops_equipped_per_eur_bn: Param(0, 2e4, "troop-equivalents per EUR bn", "kit one EUR bn of aid buys") = (
        2_300.0
    )

    russia_now: Param(0, 3e6, "persons", "Russian forces committed against Ukraine today") = _D[
        "attacker_strength_now_troops"
    ]
    russia_rearmament_per_year: Param(0, 1e6, "persons/year", "net peacetime growth of that force") = _D[
        "attacker_rearmament_troops_per_year"
    ]
    russia_max: Param(0, 3e6, "persons", "ceiling of the force Russia could commit") = _D["attacker_max_troops"]

    defence_multiplier: Param(1, 10, "x", "defender's advantage of prepared positions today (m)") = _D[
        "defence_multiplier_before"
    ]
    front_length_km: Param(1, 5000, "km", "length of the front today") = _D["front_length_before_km"]
    density_ref_troops_per_km: Param(1, 1e5, "troops/km", "force density at which the density factor is 63%") = (
        _D["density_ref_troops_per_km"]
    )

    russia_fire_effectiveness: Param(
        1e-15, 10, "per day (square); per troop per day (linear, mixed)", "alpha"
    ) = _D["attacker_fire_effectiveness_per_day"]
    ukraine_fire_effectiveness: Param(
        1e-15, 10, "per day (square, mixed); per troop per day (linear)", "beta, before m and density"
    ) = _D["defender_fire_effectiveness_per_day"]
    russia_reinforcement_per_day: Param(0, 1e5, "troops/day", "Russian reinforcement in a renewed war") = _D[
        "attacker_reinforcement_troops_per_day"
    ]
    ukraine_reinforcement_per_day: Param(0, 1e5, "troops/day", "Ukrainian reinforcement in a renewed war") = _D[
        "defender_reinforcement_troops_per_day"
    ]
    interdiction_share: Param(0, 1, "share", "Russian reinforcement denied by Ukraine's long-range strike") = _D[
        "interdiction_share"
    ]
    long_range_strike_ban: Param(0, 1, "share", "0 strike allowed, 1 fully banned (the 28-point plan)") = 0.0

    campaign_days: Param(1, 365, "days", "D: the renewed offensive's horizon") = _D["campaign_days"]
    breakthrough_threshold: Param(0.01, 100, "ratio", "effective ratio at which P(breakthrough) = 1/2") = _D[
        "breakthrough_threshold"
    ]
    breakthrough_noise_sigma: Param(0.01, 5, "log ratio", "spread of unmodelled factors") = _D[
        "breakthrough_noise_sigma"
    ]
    russia_breakpoint_share: Param(0, 0.99, "share", "offensive culminates at this share of its strength") = _D[
        "attacker_breakpoint_share"
    ]
    ukraine_breakpoint_share: Param(0, 0.99, "share", "defence collapses at this share of its strength") = _D[
        "defender_breakpoint_share"
    ]
    gain_now_km2_per_day: Param(0, 1000, "km2/day", "Russian gains at today's balance") = _D[
        "gain_now_km2_per_day"
    ]
    advance_elasticity: Param(0, 5, "1", "advance rate ~ (ratio / today's ratio)^e") = _D["advance_elasticity"]
    breakthrough_area_km2: Param(0, 1e6, "km2", "extra ground taken when a breakthrough happens") = _D[
        "breakthrough_area_km2"
    ]
    area_at_risk_km2: Param(0, 1e6, "km2", "most a renewed offensive could take (omit: no limit)") | None = None

    @model_validator(mode="after")
    def _fire_effectiveness_fits_the_law(self) -> ForcesBlock:
        """Under the linear and mixed laws alpha (and the linear law's beta) are per troop per day: a square-law
        value there (order 1e-4) destroys each army many times over on the first day. Check the first-day
        losses each coefficient implies at today's strengths (medians of the parameters)."""
        if self.law == "square":
            return self
        russia, ukraine = _median(self.russia_now), _median(self.ukraine_now)
        alpha, beta = _median(self.russia_fire_effectiveness), _median(self.ukraine_fire_effectiveness)
        shares = {"russia_fire_effectiveness": (alpha * russia, "Ukraine's", alpha / max(russia, 1.0))}
        if self.law == "linear":  # dA/dt = -beta A D: a share beta D of Russia's force per day
            shares["ukraine_fire_effectiveness"] = (beta * ukraine, "Russia's", beta / max(ukraine, 1.0))
        for key, (share, whose, hint) in shares.items():
            if share > 0.5:
                raise ValueError(
                    f"{key} = {_median(getattr(self, key)):g} under law: {self.law} (per troop per day) means "
                    f"{f'{share:.3g} times' if share >= 1 else f'{share:.0%} of'} {whose} force lost per day at "
                    "today's strengths; allowed: values losing at most "
                    f"half a force per day, e.g. a square-law value divided by the opposing strength ({hint:.2g}); "
                    "`accord calibrate lanchester` fits them from data"
                )
        return self


def _median(spec: object) -> float:
    """A parameter's median (its value if fixed)."""
    return float(spec.to_dist().ppf(np.array([0.5]))[0]) if hasattr(spec, "to_dist") else float(spec)


class CessionBlock(Block):
    """What the settlement hands over and what that does to the front (top-level key ``cession:``)."""

    ceded_km2: Param(0, 603_700, "km2", "area Ukraine gives up")
    ceded_population: Param(0, 5e7, "persons", "people living there")
    held_km2_before: Param(0, 603_700, "km2", "area under Kyiv's control before the cession") = 484_000.0
    held_population_before: Param(0, 5e7, "persons", "population under Kyiv's control before") = 31e6
    front_length_after_km: Param(1, 5000, "km", "front length after the withdrawal")
    defence_multiplier_loss: Param(0, 9, "x", "drop of m right after giving up the fortified belt") = 0.0
    multiplier_rebuild_per_year: Param(0, 5, "x/year", "m regained per year as new lines are built") = _D[
        "multiplier_rebuild_per_year"
    ]


class Schema(ConfigBase):
    forces: ForcesBlock
    cession: CessionBlock | None = None


# ------------------------------------------------------------------------------------------- model


def balance_params(forces: ForcesBlock, cession: CessionBlock | None, draws: Draws) -> dict[str, np.ndarray]:
    """The keyword arguments of model.forces.balance_trajectory, each of shape (n,)."""
    full = draws.full
    n = draws.n
    m_before = full(forces.defence_multiplier)
    front_before = full(forces.front_length_km)
    if cession is None:
        m_after, front_after, rebuild = m_before, front_before, np.zeros(n)
    else:
        m_after = np.maximum(1.0, m_before - full(cession.defence_multiplier_loss))
        front_after = full(cession.front_length_after_km)
        rebuild = full(cession.multiplier_rebuild_per_year)
    cap = np.full(n, np.inf) if forces.ukraine_cap is None else full(forces.ukraine_cap)
    area = np.full(n, np.inf) if forces.area_at_risk_km2 is None else full(forces.area_at_risk_km2)
    return {
        "defender_strength_now_troops": full(forces.ukraine_now),
        "defender_cap_troops": cap,
        "equipment_depreciation_per_year": full(forces.equipment_depreciation_per_year),
        "domestic_equipping_troops_per_year": full(forces.domestic_equipping_per_year),
        # the model's aid unit is a currency bn; here it is EUR bn with kit per EUR bn to match
        "aid_usd_bn_per_year": full(forces.aid_eur_bn_per_year),
        "troops_equipped_per_usd_bn": full(forces.troops_equipped_per_eur_bn),
        "attacker_strength_now_troops": full(forces.russia_now),
        "attacker_rearmament_troops_per_year": full(forces.russia_rearmament_per_year),
        "attacker_max_troops": full(forces.russia_max),
        "defence_multiplier_before": m_before,
        "defence_multiplier_after": m_after,
        "multiplier_rebuild_per_year": rebuild,
        "front_length_before_km": front_before,
        "front_length_after_km": front_after,
        "density_ref_troops_per_km": full(forces.density_ref_troops_per_km),
        "attacker_fire_effectiveness_per_day": full(forces.russia_fire_effectiveness),
        "defender_fire_effectiveness_per_day": full(forces.ukraine_fire_effectiveness),
        "attacker_reinforcement_troops_per_day": full(forces.russia_reinforcement_per_day),
        "defender_reinforcement_troops_per_day": full(forces.ukraine_reinforcement_per_day),
        "interdiction_share": full(forces.interdiction_share),
        "long_range_strike_ban": full(forces.long_range_strike_ban),
        "breakthrough_threshold": full(forces.breakthrough_threshold),
        "breakthrough_noise_sigma": full(forces.breakthrough_noise_sigma),
        "campaign_days": full(forces.campaign_days),
        "attacker_breakpoint_share": full(forces.russia_breakpoint_share),
        "defender_breakpoint_share": full(forces.ukraine_breakpoint_share),
        "gain_now_km2_per_day": full(forces.gain_now_km2_per_day),
        "advance_elasticity": full(forces.advance_elasticity),
        "breakthrough_area_km2": full(forces.breakthrough_area_km2),
        "area_at_risk_km2": area,
    }


def compute(forces: ForcesBlock, cession: CessionBlock | None, draws: Draws) -> dict[str, np.ndarray]:
    """Per-trial balance for one chunk: (n, T) arrays by year of the peace and (n,) cession effects.

    See the module docstring for the names; T = forces.horizon_years, year index 0 = year 1 of the peace.
    """
    p = balance_params(forces, cession, draws)
    bal = FM.balance_trajectory(forces.horizon_years, law=forces.law, n_steps=forces.n_steps, **p)
    out = {
        "force_ratio": bal["force_ratio"],
        "p_breakthrough": bal["p_breakthrough"],
        "km2_lost": bal["km2_lost"],
        "cession_ceded_km2": np.zeros(draws.n) if cession is None else draws.full(cession.ceded_km2),
        "cession_ceded_population": (
            np.zeros(draws.n) if cession is None else draws.full(cession.ceded_population)
        ),
        "cession_front_km_before": p["front_length_before_km"],
        "cession_front_km_after": p["front_length_after_km"],
        "cession_multiplier_before": p["defence_multiplier_before"],
        "cession_multiplier_after": p["defence_multiplier_after"],
        "cession_density_before": p["defender_strength_now_troops"] / p["front_length_before_km"],
        "cession_density_after": bal["force_density_troops_per_km"][:, 0],
    }
    if cession is not None:
        eff = FM.cession_effects(
            held_area_km2=draws.full(cession.held_km2_before),
            ceded_area_km2=out["cession_ceded_km2"],
            held_population=draws.full(cession.held_population_before),
            ceded_population=out["cession_ceded_population"],
            front_length_before_km=p["front_length_before_km"],
            front_length_after_km=p["front_length_after_km"],
            defence_multiplier_fortified=p["defence_multiplier_before"],
            defence_multiplier_open=p["defence_multiplier_after"],
            fortified_share_before=1.0,
            fortified_share_after=0.0,
        )
        out["cession_held_km2_before"] = eff.held_area_km2_before
        out["cession_held_km2_after"] = eff.held_area_km2_after
        out["cession_population_before"] = eff.population_before
        out["cession_population_after"] = eff.population_after
    return {k: np.asarray(v, dtype=float) for k, v in out.items()}


def evaluate(cfg: Schema, draws: Draws, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The scenario's outputs for one chunk: compute() of the config's blocks (no model randomness)."""
    return compute(cfg.forces, cfg.cession, draws)


# ------------------------------------------------------------------------------------------- options


def option_label(config: Config) -> str:
    """The option's name: forces.label, else the config's title, else its file stem."""
    return config.model.forces.label or config.model.title or config.stem  # type: ignore[attr-defined]


def resolve_compare_path(config: Config, entry: str, index: int = 0) -> Path:
    """Where a ``forces.compare_with`` entry points (see the module docstring for the search order)."""
    rel = Path(entry)
    if rel.is_absolute():
        if rel.is_file():
            return rel
        candidates: list[Path] = []
    else:
        candidates = []
        loc = lookup_loc(config.locs, ("forces", "compare_with", index))
        if loc and loc[0] and not str(loc[0]).startswith("--set"):
            candidates.append(Path(loc[0]).parent)
        candidates += [Path(f).parent for f in config.files if f and not f.startswith("--set")]
        if config.path:
            candidates.append(Path(config.path).parent)
        candidates += [Path.cwd(), SHIPPED_DIR]
        for base in candidates:
            if (base / rel).is_file():
                return base / rel
    loc = lookup_loc(config.locs, ("forces", "compare_with", index)) or (config.path or None, None)
    tried = ", ".join(dict.fromkeys(str(b) for b in candidates)) or "(absolute path)"
    raise ConfigError(
        f"compare_with names '{entry}', which does not exist; looked in: {tried}; allowed: paths of forces "
        "configs relative to the file where compare_with is written",
        loc[0],
        loc[1],
        f"forces.compare_with.{index}",
    )


def options(config: Config, s: Summaries) -> list[tuple[str, Summaries]]:
    """The running option first, then each compare_with config run at the same seed and sampler
    (trials = min(s.n_trials, COMPARE_TRIALS_CAP)); duplicates by label are dropped."""
    out = [(option_label(config), s)]
    seen = {out[0][0]}
    trials = min(s.n_trials, COMPARE_TRIALS_CAP)
    for i, entry in enumerate(config.model.forces.compare_with):  # type: ignore[attr-defined]
        other = load(resolve_compare_path(config, entry, i))
        if not hasattr(other.model, "forces"):
            raise ConfigError(
                f"compare_with names '{entry}', a '{other.scenario}' config without a forces block; allowed: "
                "forces (or settlement) configs",
                config.path or None,
                None,
                f"forces.compare_with.{i}",
            )
        label = option_label(other)
        if label in seen:
            continue
        seen.add(label)
        out.append((label, summarise(other, trials, s.seed, s.sampler)))
    return out


# ------------------------------------------------------------------------------------------- tables


def _prob_interval(mean: np.ndarray, se: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """95% interval of a mean of per-trial probabilities (not 0/1 outcomes, so not Wilson's)."""
    return np.clip(mean - Z95 * se, 0.0, 1.0), np.clip(mean + Z95 * se, 0.0, 1.0)


def balance_rows(label: str, s: Summaries) -> list[list]:
    """Rows of tables/balance.csv for one option (year 1..T)."""
    fr, pb, km = s["force_ratio"], s["p_breakthrough"], s["km2_lost"]
    q = fr.quantiles((0.05, 0.5, 0.95))
    p_mean, p_se, n = pb.mean_value(), pb.se(), pb.count
    lo, hi = _prob_interval(p_mean, p_se)
    km_mean, km_se = km.mean_value(), km.se()
    rows = []
    for t in range(len(p_mean)):
        rows.append([
            t + 1, label, float(fr.mean_value()[t]), float(q[0, t]), float(q[1, t]), float(q[2, t]),
            float(p_mean[t]), float(p_se[t]), float(lo[t]), float(hi[t]), float(km_mean[t]), float(km_se[t]),
            int(n[t]),
        ])
    return rows


BALANCE_COLUMNS = [
    "year", "option", "force_ratio_mean", "force_ratio_q05", "force_ratio_q50", "force_ratio_q95",
    "p_breakthrough", "p_breakthrough_se", "p_breakthrough_ci95_low", "p_breakthrough_ci95_high",
    "km2_lost_mean", "km2_lost_se", "n_trials",
]


def crossing_year(p: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[float, float, float]:
    """(first year P >= 1/2, earliest year its 95% upper bound does, first year its lower bound does);
    NaN where it never happens within the horizon. Years count from 1."""

    def first(mask: np.ndarray) -> float:
        idx = np.flatnonzero(mask)
        return float(idx[0] + 1) if idx.size else float("nan")

    return first(p >= 0.5), first(hi >= 0.5), first(lo >= 0.5)


def crossing_rows(label: str, s: Summaries) -> list:
    pb = s["p_breakthrough"]
    lo, hi = _prob_interval(pb.mean_value(), pb.se())
    year, early, late = crossing_year(pb.mean_value(), lo, hi)
    return [label, year, early, late, len(pb.mean_value()), int(pb.count[0])]


_CESSION_ROWS = (
    ("area ceded (cumulative)", "km2", None, "cession_ceded_km2"),
    ("population ceded (cumulative)", "persons", None, "cession_ceded_population"),
    ("area held by Kyiv", "km2", "cession_held_km2_before", "cession_held_km2_after"),
    ("population under Kyiv", "persons", "cession_population_before", "cession_population_after"),
    ("front length", "km", "cession_front_km_before", "cession_front_km_after"),
    ("defence multiplier m (year 1)", "x", "cession_multiplier_before", "cession_multiplier_after"),
    ("force density (today -> year 1)", "troops/km", "cession_density_before", "cession_density_after"),
)
CESSION_COLUMNS = ["option", "quantity", "unit", "before_mean", "before_q05", "before_q95", "after_mean",
                   "after_q05", "after_q95", "change_mean", "n_trials"]


def cession_rows(label: str, s: Summaries) -> list[list]:
    """Rows of tables/cession.csv for one option: mean and 5/95% quantiles over trials before and after the
    settlement, and the mean change. Rows whose outputs are absent (no cession block) are left out."""
    rows = []
    for name, unit, before, after in _CESSION_ROWS:
        if after not in s or (before is not None and before not in s):
            continue
        a = s.estimate(after)
        qa = s[after].quantiles((0.05, 0.95))
        if before is None:  # a cumulative amount: nothing ceded before the settlement
            b_mean, qb = 0.0, (0.0, 0.0)
        else:
            b_mean, qb = s.estimate(before).mean, s[before].quantiles((0.05, 0.95))
        rows.append([label, name, unit, b_mean, float(qb[0]), float(qb[1]), a.mean, float(qa[0]), float(qa[1]),
                     a.mean - b_mean, a.n])
    return rows


# ------------------------------------------------------------------------------------------- figures


def balance_figure(table: Table) -> Figure:
    """Fan charts of the force ratio over the horizon, one panel per option (5-95% band, median, mean)."""
    rec = table.records()
    labels = list(dict.fromkeys(r["option"] for r in rec))
    k = len(labels)
    ncols = min(k, 2)
    nrows = math.ceil(k / ncols)
    fig = plots.figure(figsize=(5.2 * ncols, 3.4 * nrows))
    axes = np.atleast_1d(fig.subplots(nrows, ncols, sharey=True, squeeze=False)).ravel()
    for ax, label in zip(axes, labels):
        rows = [r for r in rec if r["option"] == label]
        years = [r["year"] for r in rows]
        ax.fill_between(years, [r["force_ratio_q05"] for r in rows], [r["force_ratio_q95"] for r in rows],
                        alpha=0.25, color="#b2182b", label="5-95% of trials")
        ax.plot(years, [r["force_ratio_q50"] for r in rows], color="#b2182b", label="median")
        ax.plot(years, [r["force_ratio_mean"] for r in rows], color="#b2182b", ls="--", lw=1, label="mean")
        ax.axhline(1.0, color="grey", lw=0.8, ls=":")
        ax.set_title(f"{label} (n={rows[0]['n_trials']:,})", fontsize=9)
        ax.set_xlabel("year of the peace")
        ax.grid(alpha=0.3)
    for ax in axes[k:]:
        ax.set_visible(False)
    axes[0].set_ylabel("Russian : Ukrainian troops")
    axes[0].legend(fontsize=7, loc="upper left")
    fig.suptitle("Force ratio over the peace (fan: 5-95% of Monte Carlo trials)", fontsize=10)
    fig.tight_layout()
    return fig


def breakthrough_figure(table: Table, crossings: Table) -> Figure:
    """P(breakthrough) by year with 95% intervals, options overlaid, the year each crosses 50% marked."""
    rec = table.records()
    cross = {r["option"]: r["first_year_p_over_half"] for r in crossings.records()}
    fig = plots.figure(figsize=(7.5, 4.4))
    ax = fig.subplots()
    for label in dict.fromkeys(r["option"] for r in rec):
        rows = [r for r in rec if r["option"] == label]
        years = np.array([r["year"] for r in rows])
        p = np.array([r["p_breakthrough"] for r in rows])
        err = np.array([[r["p_breakthrough"] - r["p_breakthrough_ci95_low"] for r in rows],
                        [r["p_breakthrough_ci95_high"] - r["p_breakthrough"] for r in rows]])
        year = cross.get(label, float("nan"))
        when = f"crosses 50% in year {int(year)}" if np.isfinite(year) else "stays below 50%"
        line = ax.errorbar(years, p, yerr=np.maximum(err, 0.0), marker="o", ms=3, capsize=2,
                           label=f"{label} ({when}; n={rows[0]['n_trials']:,})")
        if np.isfinite(year):
            colour = line.lines[0].get_color()
            ax.axvline(year, color=colour, ls=":", lw=1)
            ax.plot([year], [p[int(year) - 1]], marker="*", ms=12, color=colour)
    ax.axhline(0.5, color="grey", lw=0.8, ls="--")
    ax.set(xlabel="year of the peace in which Russia attacks", ylabel="P(breakthrough within D days)",
           ylim=(0, 1.02))
    ax.set_title("Renewed offensive: chance of a breakthrough (95% Monte Carlo intervals)", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    return fig


def tables_figures(config: Config, s: Summaries) -> tuple[dict[str, Table], dict[str, Figure]]:
    """tables/{balance, breakthrough_crossing, cession}.csv and figures/{balance, breakthrough}.png, for the
    config's option and every option in forces.compare_with (run here; see `options`)."""
    opts = options(config, s)
    balance = Table(BALANCE_COLUMNS, [row for label, so in opts for row in balance_rows(label, so)])
    crossings = Table(
        ["option", "first_year_p_over_half", "earliest_year_ci95", "latest_year_ci95", "horizon_years",
         "n_trials"],
        [crossing_rows(label, so) for label, so in opts],
    )
    cession = Table(CESSION_COLUMNS, [row for label, so in opts for row in cession_rows(label, so)])
    tables = {"balance": balance, "breakthrough_crossing": crossings, "cession": cession}
    figures = {"balance": balance_figure(balance), "breakthrough": breakthrough_figure(balance, crossings)}
    return tables, figures


# ------------------------------------------------------------------------------------------- report


def headline(s: Summaries) -> dict[str, Headline]:
    """P(breakthrough) in years 1, 5 and 10 (those within the horizon, and the last year), expected km2
    lost in year 1, and the force ratio in year 1. Cheap: no model runs."""
    T = len(s["p_breakthrough"].mean_value())
    years = sorted({y for y in (*HEADLINE_YEARS, T) if y <= T})
    h = {}
    for y in years:
        h[f"p_breakthrough_y{y}"] = Headline(
            f"P(breakthrough) of a renewed offensive in year {y}",
            s.estimate("p_breakthrough", (y - 1,), proportion=True),
        )
    h["km2_lost_y1"] = Headline("expected km2 lost to a renewed offensive in year 1",
                                s.estimate("km2_lost", (0,)), percent=False)
    h["force_ratio_y1"] = Headline("force ratio Russia:Ukraine in year 1", s.estimate("force_ratio", (0,)),
                                   percent=False)
    return h


def _pct(e) -> str:
    return f"{e.mean:.0%} (95% CI {e.lo:.0%}-{e.hi:.0%})"


def summary_text(label: str, s: Summaries, crossings: Table, balance: Table, cfg: Schema) -> str:
    T = len(s["p_breakthrough"].mean_value())
    p1 = s.estimate("p_breakthrough", (0,), proportion=True)
    pT = s.estimate("p_breakthrough", (T - 1,), proportion=True)
    km1 = s.estimate("km2_lost", (0,))
    own = crossings.records()[0]
    year = own["first_year_p_over_half"]
    if np.isfinite(year):
        when = (f"the chance first exceeds 50% in year {int(year)} (95% band: year {int(own['earliest_year_ci95'])}"
                + (f" to {int(own['latest_year_ci95'])})" if np.isfinite(own["latest_year_ci95"]) else " or later)"))
    else:
        when = f"the chance stays below 50% throughout the {T} years"
    lines = [
        "## In one sentence", "",
        (f"Under {label}, a renewed Russian offensive launched in the first year of the peace would break through "
        f"within {_days(cfg)} with probability {_pct(p1)}, and one launched in year {T} with probability "
        f"{_pct(pT)}; {when} ({s.n_trials:,} simulated futures). Such an offensive would be expected to take "
        f"{km1.mean:,.0f} km2 in year 1 (95% CI {km1.lo:,.0f}-{km1.hi:,.0f})."),
        "",
        "## Options compared", "",
        "| option | P(breakthrough) year 1 | year 5 | last year | crosses 50% | trials |",
        "|---|---|---|---|---|---|",
    ]
    rec = balance.records()
    for c in crossings.records():
        rows = [r for r in rec if r["option"] == c["option"]]

        def cell(r):
            return f"{r['p_breakthrough']:.2f} ({r['p_breakthrough_ci95_low']:.2f}-{r['p_breakthrough_ci95_high']:.2f})"

        y5 = cell(rows[4]) if len(rows) >= 5 else "-"
        cy = f"year {int(c['first_year_p_over_half'])}" if np.isfinite(c["first_year_p_over_half"]) else "no"
        lines.append(f"| {c['option']} | {cell(rows[0])} | {y5} | {cell(rows[-1])} | {cy} | {c['n_trials']:,} |")
    lines += [
        "",
        ("P(breakthrough) is the mean over trials of the probit chance that the campaign's peak effective force "
        "ratio exceeds the threshold (model/forces.py); intervals are Wilson 95% intervals over trials. "
        "Options other than the first are re-run at the same seed (at most "
        f"{COMPARE_TRIALS_CAP:,} trials). Figures: `figures/balance.png` (force-ratio fans), "
        "`figures/breakthrough.png`. Tables: `tables/balance.csv`, `tables/breakthrough_crossing.csv`, "
        "`tables/cession.csv`."),
    ]
    return "\n".join(lines)


def _days(cfg: Schema) -> str:
    spec = cfg.forces.campaign_days
    dist = spec.to_dist()
    if spec.uncertain:
        return f"the campaign's {dist.describe()} days"
    return f"{float(dist.value):g} days"  # type: ignore[attr-defined]


def report(config: Config, s: Summaries) -> Result:
    cfg: Schema = config.model  # type: ignore[assignment]
    tables, figures = tables_figures(config, s)
    text = summary_text(option_label(config), s, tables["breakthrough_crossing"], tables["balance"], cfg)
    return Result(NAME, headline(s), tables, figures, text)


# ------------------------------------------------------------------------------------------- calibrate
# `accord calibrate lanchester` lives in scenarios/lanchester.py (issue 19); re-exported for older callers.

from scenarios.lanchester import (  # noqa: F401
    BATTLE_OPTIONAL,
    BATTLE_REQUIRED,
    calibrate_lanchester,
    fit_figure,
    read_battle,
)
