"""Scenario `forces`: what force caps, ceded ground, weapons limits and aid do to the balance, and to a renewed war.

Wires model/forces.py (the balance year by year) and model/war.py (the theatre war, on the battle record's
relations of model/battles.py; MODELS.md sections 0 and 2) to configs. Per trial, for each year t = 1..T of
the peace (T = ``forces.horizon_years``): the force ratio Russia:Ukraine in troops, and what a renewed
offensive launched that year would take in one campaign season (``forces.season_days``), Russia's against
Ukraine alone and Ukraine's against Russia, with the calibrated chance that the offensive's engagements
succeed; and, for comparison, the war going on from today with no settlement. An optional top-level
``cession:`` block says what the settlement hands over (area, population) and what that does to the front
(its length, the fortified lines lost with the belt and how fast new ones are built).

The battle relations are fitted once per process to the shipped CDB90 table
(configs/reference/battles_cdb90.csv; `accord calibrate battles` prints the fit); their estimation
uncertainty is drawn per trial through the config's ``forces.relations_z`` (eight standard normal parameters,
drawn like any other, so compared options share them: common random numbers): coefficients = estimate + L z,
projected onto the signs theory implies (model.battles.BattleRelations.coefficients). ``forces.
estimation_uncertainty: false`` uses the point estimates.

Options. ``forces.label`` names the option; ``forces.compare_with`` lists other forces configs (file paths)
that `tables_figures` runs at the same seed and sampler (trials capped at COMPARE_TRIALS_CAP) and overlays.
A relative path is resolved against, in order: the folder of the file where ``compare_with`` is written (so
it works from a settlement config that extends a forces config), the folders of every file the config was
read from, the folder of the config itself, the current directory, and the shipped ``configs/forces/``.
Options with the same label as the running config are skipped (a config never compares with itself).

Per-trial outputs of `compute` (one chunk of n trials, T years): see its docstring.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from model import battles as MB
from model import forces as FM
from model import terms as TM
from model import war as W
from model.stats import Z95
from scenarios import plots
from scenarios import world as WD
from scenarios.config import Config, ConfigError, load, lookup_loc
from scenarios.engine import Draws, Summaries, summarise
from scenarios.results import Headline, Result, Table

# The config (blocks, Schema, check) is scenarios/schemas/forces.py's, which imports no model code, so that
# `accord validate` and `show` start without NumPy (issue 17); its names are this module's too.
from scenarios.schemas.forces import (  # noqa: F401
    CessionBlock,
    ForcesBlock,
    Schema,
    check,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "forces"
SUMMARY = ("force caps, ceded ground, weapons and aid limits: the balance and what a renewed war would take, "
           "by year")
COMPARE_TRIALS_CAP = 20_000
SHIPPED_DIR = Path(__file__).resolve().parent.parent / "configs" / "forces"
BATTLE_TABLE = Path(__file__).resolve().parent.parent / "configs" / "reference" / "battles_cdb90.csv"
HEADLINE_YEARS = (1, 5, 10)
DAYS_PER_YEAR = 365.0

@functools.lru_cache(maxsize=2)
def battle_relations(path: Path = BATTLE_TABLE, ridge: float = 1.0) -> MB.BattleRelations:
    """The battle relations fitted to a CDB90 table (the shipped one by default); cached per process."""
    from scenarios.reference import read_cdb90

    return MB.fit_relations(read_cdb90(path).battles, ridge=ridge)


# ------------------------------------------------------------------------------------------- model

PLAN_KEYS = ("ukraine_cap", "long_range_strike_ban", "aid_eur_bn_per_year", "russia_rearmament_per_year",
             "ceded_km2", "held_km2_before")


def balance_params(forces: ForcesBlock, cession: CessionBlock | None, draws: Draws,
                   plan: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """The keyword arguments of model.forces.balance_trajectory, each of shape (n,); ``plan`` replaces the
    forces block's cap, strike ban, aid and rearmament (see `compute`)."""
    full = draws.full
    n = draws.n
    plan = plan or {}

    def value(key: str, default: np.ndarray) -> np.ndarray:
        return np.broadcast_to(np.asarray(plan[key], float), (n,)) if key in plan else default

    f_before = full(forces.fortified_share)
    front_before = full(forces.front_length_km)
    if cession is None:
        f_after, front_after, rebuild = f_before, front_before, np.zeros(n)
    else:
        f_after = full(cession.fortified_share_after)
        front_after = full(cession.front_length_after_km)
        rebuild = full(cession.fortified_rebuild_per_year)
    cap = np.full(n, np.inf) if forces.ukraine_cap is None else full(forces.ukraine_cap)
    return {
        "defender_strength_now_troops": full(forces.ukraine_now),
        "defender_cap_troops": value("ukraine_cap", cap),
        "equipment_depreciation_per_year": full(forces.equipment_depreciation_per_year),
        "domestic_equipping_troops_per_year": full(forces.domestic_equipping_per_year),
        "aid_bn_per_year": value("aid_eur_bn_per_year", full(forces.aid_eur_bn_per_year)),
        "troops_equipped_per_bn": full(forces.troops_equipped_per_eur_bn),
        "attacker_strength_now_troops": full(forces.russia_now),
        "attacker_rearmament_troops_per_year": value("russia_rearmament_per_year",
                                                     full(forces.russia_rearmament_per_year)),
        "attacker_max_troops": full(forces.russia_max),
        "fortified_share_before": f_before,
        "fortified_share_after": f_after,
        "prepared_share": full(forces.prepared_share),
        "fortified_rebuild_per_year": rebuild,
        "front_length_before_km": front_before,
        "front_length_after_km": front_after,
        "interdiction_share": full(forces.interdiction_share),
        "long_range_strike_ban": value("long_range_strike_ban", full(forces.long_range_strike_ban)),
        "attacker_wartime_growth_per_year": full(forces.russia_wartime_growth_per_year),
        "defender_wartime_growth_per_year": full(forces.ukraine_wartime_growth_per_year),
        "defender_theatre_share": full(forces.ukraine_theatre_share),
    }


def coefficients(forces: ForcesBlock, draws: Draws) -> MB.Coefficients:
    """The battle relations for this chunk: per trial (n,) draws, or the point estimates."""
    relations = battle_relations()
    if not forces.estimation_uncertainty:
        return relations.coefficients()
    z = np.column_stack([draws.full(spec) for spec in forces.relations_z])
    return relations.coefficients(z)


CLAIMED_KM2_DEFAULT = 21_000.0  # the geography cap where neither war.claimed_km2 nor forces.claimed_km2 is given
COLLAPSE_TROOPS = 0.0  # a defender with no more troops than this in the theatre has collapsed
FORCE_RATIO_CAP = 10.0  # force ratios of 10:1 or more (a collapsed defender's is infinite) are reported as 10


def geography_cap(forces: ForcesBlock, draws: Draws, claimed_km2: np.ndarray | None = None) -> np.ndarray:
    """(n,) km2: how much Russia's gains can take, the Kyiv-held rest of the oblasts it claims: the world's
    war.claimed_km2 (passed by the caller), else forces.claimed_km2, else CLAIMED_KM2_DEFAULT (see
    configs/settlement_common.yaml for its sources)."""
    if claimed_km2 is not None:
        return np.broadcast_to(np.asarray(claimed_km2, float), (draws.n,))
    if forces.claimed_km2 is not None:
        return draws.full(forces.claimed_km2)
    return np.full(draws.n, CLAIMED_KM2_DEFAULT)


def compute(forces: ForcesBlock, cession: CessionBlock | None, draws: Draws, *,
            plan: dict[str, np.ndarray] | None = None,
            response_troops: np.ndarray | None = None,
            claimed_km2: np.ndarray | None = None,
            years: int | None = None) -> dict[str, np.ndarray]:
    """The balance and the war, per trial, for one chunk: arrays (n, T) by year t = 0..T-1 of the peace (year
    index 0 = year 1) unless noted. T = forces.horizon_years, or ``years`` when given (at most that): a caller
    that reads the first years only (the guarantees scenario reads year 1) gets those years' values as the full
    horizon gives them (no year depends on a later one).

    plan: (n,) arrays replacing the forces block's values on the settlement's path, any of PLAN_KEYS:
      ukraine_cap, long_range_strike_ban, aid_eur_bn_per_year, russia_rearmament_per_year, ceded_km2 (the
      last replaces the cession's ceded area in the cession outputs). The no-deal war ignores the plan.
    response_troops: (n,) troop-equivalents the guarantors add to Ukraine's defence when they respond in
      full; None omits the war.ru_resp outputs.
    claimed_km2: (n,) the geography cap (`geography_cap`): a world passes its war.claimed_km2.

    Strengths are troops in the theatre on both sides (Ukraine's armed forces times
    forces.ukraine_theatre_share). Offensive tempo follows the balance (model.war.intensity_factor: the
    attacker's surplus and the defender's density relative to today's, elasticities forces.intensity_*).

    Outputs (km2 per campaign season of ``forces.season_days`` days; model/war.py):
      war.ru.mean_km2, war.ru.sd_km2   Russia's gain in an offensive launched in year t against Ukraine alone
                                       (the gamma model's moments, uncapped)
      war.ru.capped_km2                E[min(gain, geography)]: the same, capped at what is left of the claimed
                                       oblasts after the cession (model.terms.expected_min_gamma)
      war.ru.room_km2 (n,)             that cap: max(claimed - ceded, 0) km2
      war.ru.p_success                 the calibrated chance that the offensive's engagements succeed (CDB90's
                                       "attacker wins", averaged over Ukraine's posture mix)
      war.ru.p_objective (m, T)        P(the gain in the objective's sector >= forces.objective_km2): the sector
                                       takes forces.objective_sector_share of the gain (model.war.exceedance,
                                       gamma), on the chunk's first m = draws.detail_n trials (run.detail_trials;
                                       absent when 0)
      war.ru.collapsed                 1 where Ukraine has no troops in the theatre in year t (its collapse:
                                       the offensive takes the geography cap with certainty), else 0
      war.ua.mean_km2, war.ua.sd_km2, war.ua.p_success   Ukraine's offensive against Russia in year t
      war.ru_resp.mean_km2, war.ru_resp.sd_km2, war.ru_resp.p_success   Russia attacking when the guarantors
                                       respond in full (Ukraine reinforced by response_troops)
      war.now_ru.mean_km2, war.now_ru.sd_km2, war.now_ua.mean_km2, war.now_ua.sd_km2 (n,)   the same
                                       season's offensives (same tempo and intensity definitions) at the
                                       wartime balance of year 0, the day before a settlement: Powell's
                                       year-0 reference (scenarios.world.war_in_stake)
      nodeal.cum_mean_km2, nodeal.cum_sd_km2   no settlement: Russia's cumulative net territorial change
                                       (its gains minus Ukraine's) by the end of year t + 1, the war going on
                                       from today at the wartime balance (model.forces.balance_trajectory
                                       with wartime=True: the forces block's own values, without the plan,
                                       the cession, a cap or a strike ban; forces.wartime_aid_eur_bn_per_year
                                       where a forces config's block holds an option's aid); normal, uncapped
                                       (model.terms.position_moments clips it itself)
      nodeal.cum_capped_km2            E[min(that change, geography)] (model.terms.expected_min_and_exceedance)
      nodeal.p_claimed_taken           P(that change >= geography): Russia holds all it claims by year t + 1
      nodeal.collapsed                 1 where Ukraine's forces have collapsed by year t + 1 (D = 0), else 0
      force_ratio                      Russian : Ukrainian troops in the theatre at the start of year t (peace),
                                       at most FORCE_RATIO_CAP (10: a collapsed defender's ratio is infinite)
      war.intensity (n,)               Russia's offensive intensity kappa_R fixed by the anchor
      cession_ceded_km2, cession_ceded_population, cession_front_km_before, cession_front_km_after,
      cession_fortified_before, cession_fortified_after, cession_density_before, cession_density_after (n,),
      and, with a cession block, cession_held_km2_before/after, cession_population_before/after (n,).
    Within a season the gain is gamma-distributed with the given mean and sd (model.war.exceedance).
    """
    for key in plan or {}:
        if key not in PLAN_KEYS:
            raise ValueError(f"unknown plan key {key!r}; allowed: {', '.join(PLAN_KEYS)}")
    n = draws.n
    T = forces.horizon_years if years is None else max(1, min(int(years), forces.horizon_years))
    full = draws.full
    p = balance_params(forces, cession, draws, plan)
    peace = FM.balance_trajectory(T, **p)
    war_params = balance_params(forces, None, draws)
    if forces.wartime_aid_eur_bn_per_year is not None:  # today's aid, where the block holds an option's
        war_params["aid_bn_per_year"] = full(forces.wartime_aid_eur_bn_per_year)
    wartime = FM.balance_trajectory(T, wartime=True, **war_params)
    coef = coefficients(forces, draws)
    claimed = geography_cap(forces, draws, claimed_km2)

    air = full(forces.air_superiority)
    conc = full(forces.concentration)
    tempo = full(forces.ukraine_offensive_tempo)  # a renewed war: Ukraine's own offensive
    counter = full(forces.ukraine_counterattack_tempo)  # the war as fought today (the anchor, no deal)
    eta, zeta = full(forces.intensity_surplus_elasticity), full(forces.intensity_space_elasticity)
    top = np.inf if forces.intensity_max_factor is None else full(forces.intensity_max_factor)
    russia_fortified, russia_prepared = full(forces.russia_fortified_share), full(forces.russia_prepared_share)
    if np.any(russia_fortified + russia_prepared > 1):
        raise ValueError("forces.russia_fortified_share + russia_prepared_share must be <= 1 (the rest is hasty)")
    ops_year = full(forces.operations_per_year)
    season = full(forces.season_days)
    season_ops = ops_year * season / DAYS_PER_YEAR
    # Ukraine runs tempo times as many operations as Russia (at least a trace, so tempo 0 divides nothing by 0)
    ua_ops_season, ua_ops_year = np.maximum(tempo * season_ops, 1e-12), np.maximum(counter * ops_year, 1e-12)
    russia = W.SideRelations.of(coef, air, conc)  # Russia attacking
    ukraine = W.SideRelations.of(coef, -air, conc)  # Ukraine attacking (Russia's air superiority against it)

    # year-major (T, n) views: each year's row is contiguous, so the year loop below works in cache
    def rows(bal: dict, key: str) -> np.ndarray:
        return bal[key].T

    def safe_log(x: np.ndarray) -> np.ndarray:
        """ln of a strength, floored at one troop: a collapsed side (0 troops) is handled by its mask."""
        floored = np.maximum(x, 1.0)
        return np.log(floored, out=floored)

    # the anchor: the war as fought today (the wartime balance of year 0) reproduces the observed net gains
    d_war = rows(wartime, "defender_strength_troops")
    war_collapsed = d_war <= COLLAPSE_TROOPS
    log_a_war = safe_log(rows(wartime, "attacker_effective_troops"))
    log_d_war = safe_log(d_war)
    log_front_war = np.log(wartime["front_length_km"])
    fort_war, prep_war = rows(wartime, "fortified_share"), rows(wartime, "prepared_share")
    ru_now = W.offensive_from_logs(russia, log_a_war[0], log_d_war[0], log_front_war, fort_war[0], prep_war[0])
    ua_now = W.offensive_from_logs(ukraine, log_d_war[0], log_a_war[0], log_front_war, russia_fortified,
                                   russia_prepared)
    kappa = W.russian_intensity(full(forces.gain_now_km2_per_day), wartime["front_length_km"], ru_now, ua_now,
                                counter)
    # today's balance, the reference of the tempo's response (model.war.intensity_factor)
    ratio_now = log_a_war[0] - log_d_war[0]  # ln(A / D) today, Russia attacking
    ru_density_now = log_d_war[0] - log_front_war  # ln(Ukraine's troops per km) today
    ua_density_now = log_a_war[0] - log_front_war  # ln(Russia's troops per km) today

    d_peace = rows(peace, "defender_strength_troops")
    collapsed = d_peace <= COLLAPSE_TROOPS
    log_a, log_d = safe_log(rows(peace, "attacker_effective_troops")), safe_log(d_peace)
    front = peace["front_length_km"]
    log_front = np.log(front)
    fort, prep = rows(peace, "fortified_share"), rows(peace, "prepared_share")
    names = ["war.ru.mean_km2", "war.ru.sd_km2", "war.ru.p_success", "war.ua.mean_km2", "war.ua.sd_km2",
             "war.ua.p_success", "nodeal.cum_mean_km2", "nodeal.cum_sd_km2"]
    if response_troops is not None:
        names += ["war.ru_resp.mean_km2", "war.ru_resp.sd_km2", "war.ru_resp.p_success"]
        log_d_resp = safe_log(d_peace + np.broadcast_to(np.asarray(response_troops, float), (n,)))
    # what is left of the claimed oblasts after the cession (the renewed offensive's geography cap)
    ceded = np.zeros(n) if cession is None or cession.ceded_km2 is None else full(cession.ceded_km2)
    if "ceded_km2" in (plan or {}):
        ceded = np.broadcast_to(np.asarray(plan["ceded_km2"], float), (n,))
    room = np.maximum(claimed - ceded, 0.0)
    # each offensive's season: mean = scale f e, sd = scale f / sqrt(N) sqrt(e2 - e^2) (model.war.season_gain;
    # f the year's intensity factor)
    ru_scale = kappa * front * season
    ua_scale = tempo * ru_scale
    war_scale = kappa * wartime["front_length_km"] * DAYS_PER_YEAR
    y = {k: np.empty((T, n)) for k in names}
    # the same season's offensives at the wartime balance of year 0 (the day before a settlement), with the
    # same tempo (intensity factor, here at today's balance) and scales as the renewed war's: the level
    # Powell's shift in the first year of the peace is measured from (model.bargaining.shift_size)
    now_scale = kappa * wartime["front_length_km"] * season
    f0_ru = W.intensity_factor(ratio_now, ratio_now, ru_density_now, ru_density_now, eta, zeta, top)
    f0_ua = W.intensity_factor(-ratio_now, -ratio_now, ua_density_now, ua_density_now, eta, zeta)
    now = {"war.now_ru": W.season_moments(ru_now, now_scale * f0_ru, now_scale * f0_ru / np.sqrt(season_ops)),
           "war.now_ua": W.season_moments(ua_now, tempo * now_scale * f0_ua,
                                          tempo * now_scale * f0_ua / np.sqrt(ua_ops_season))}
    if war_collapsed[0].any():  # Ukraine has nothing in the theatre today: the season takes the claimed oblasts
        c = war_collapsed[0]
        now["war.now_ru"][0][c], now["war.now_ru"][1][c] = claimed[c], 0.0
        now["war.now_ua"][0][c], now["war.now_ua"][1][c] = 0.0, 0.0
    for t in range(T):
        f_ru = W.intensity_factor(log_a[t] - log_d[t], ratio_now, log_d[t] - log_front, ru_density_now, eta, zeta,
                                  top)
        ru = W.offensive_from_logs(russia, log_a[t], log_d[t], log_front, fort[t], prep[t])
        y["war.ru.mean_km2"][t], y["war.ru.sd_km2"][t] = W.season_moments(ru, ru_scale * f_ru,
                                                                          ru_scale * f_ru / np.sqrt(season_ops))
        y["war.ru.p_success"][t] = ru.p_success
        f_ua = W.intensity_factor(log_d[t] - log_a[t], -ratio_now, log_a[t] - log_front, ua_density_now, eta, zeta)
        ua = W.offensive_from_logs(ukraine, log_d[t], log_a[t], log_front, russia_fortified, russia_prepared)
        y["war.ua.mean_km2"][t], y["war.ua.sd_km2"][t] = W.season_moments(ua, ua_scale * f_ua,
                                                                          ua_scale * f_ua / np.sqrt(ua_ops_season))
        y["war.ua.p_success"][t] = ua.p_success
        if response_troops is not None:
            f_re = W.intensity_factor(log_a[t] - log_d_resp[t], ratio_now, log_d_resp[t] - log_front,
                                      ru_density_now, eta, zeta, top)
            resp = W.offensive_from_logs(russia, log_a[t], log_d_resp[t], log_front, fort[t], prep[t])
            y["war.ru_resp.mean_km2"][t], y["war.ru_resp.sd_km2"][t] = W.season_moments(
                resp, ru_scale * f_re, ru_scale * f_re / np.sqrt(season_ops))
            y["war.ru_resp.p_success"][t] = resp.p_success
        # no deal: a year of war, Russia's offensive and Ukraine's counter-offensives at once
        if t == 0:  # the first year of the war is today's balance: the anchor's offensives and tempo
            fw_ru, fw_ua, w_ru, w_ua = f0_ru, f0_ua, ru_now, ua_now
        else:
            fw_ru = W.intensity_factor(log_a_war[t] - log_d_war[t], ratio_now, log_d_war[t] - log_front_war,
                                       ru_density_now, eta, zeta, top)
            fw_ua = W.intensity_factor(log_d_war[t] - log_a_war[t], -ratio_now, log_a_war[t] - log_front_war,
                                       ua_density_now, eta, zeta)
            w_ru = W.offensive_from_logs(russia, log_a_war[t], log_d_war[t], log_front_war, fort_war[t],
                                         prep_war[t])
            w_ua = W.offensive_from_logs(ukraine, log_d_war[t], log_a_war[t], log_front_war, russia_fortified,
                                         russia_prepared)
        g_ru, s_ru = W.season_moments(w_ru, war_scale * fw_ru, war_scale * fw_ru / np.sqrt(ops_year))
        g_ua, s_ua = W.season_moments(w_ua, counter * war_scale * fw_ua,
                                      counter * war_scale * fw_ua / np.sqrt(ua_ops_year))
        # a collapsed defender: the year takes everything the geography leaves, with certainty
        np.subtract(np.where(war_collapsed[t], claimed, g_ru), np.where(war_collapsed[t], 0.0, g_ua),
                    out=y["nodeal.cum_mean_km2"][t])
        s_ru *= s_ru
        s_ua *= s_ua
        np.add(s_ru, s_ua, out=y["nodeal.cum_sd_km2"][t])
        y["nodeal.cum_sd_km2"][t][war_collapsed[t]] = 0.0
        if collapsed[t].any():  # Ukraine has nothing in the theatre in year t of the peace
            c = collapsed[t]
            y["war.ru.mean_km2"][t][c], y["war.ru.sd_km2"][t][c], y["war.ru.p_success"][t][c] = room[c], 0.0, 1.0
            y["war.ua.mean_km2"][t][c], y["war.ua.sd_km2"][t][c], y["war.ua.p_success"][t][c] = 0.0, 0.0, 0.0
            if response_troops is not None:
                c2 = c & (np.broadcast_to(np.asarray(response_troops, float), (n,)) <= COLLAPSE_TROOPS)
                y["war.ru_resp.mean_km2"][t][c2], y["war.ru_resp.sd_km2"][t][c2] = room[c2], 0.0
                y["war.ru_resp.p_success"][t][c2] = 1.0
    np.cumsum(y["nodeal.cum_mean_km2"], axis=0, out=y["nodeal.cum_mean_km2"])
    np.sqrt(np.cumsum(y["nodeal.cum_sd_km2"], axis=0), out=y["nodeal.cum_sd_km2"])
    out = {k: v.T for k, v in y.items()}  # (n, T), stored year by year
    for key, (mean, sd) in now.items():
        out[f"{key}.mean_km2"], out[f"{key}.sd_km2"] = mean, sd
    # capped at the geography: a season's expected gain, and the no-deal war's cumulative change
    out["war.ru.capped_km2"] = TM.expected_min_gamma(out["war.ru.mean_km2"], out["war.ru.sd_km2"], room[:, None])
    out["war.ru.room_km2"] = room
    out["war.ru.collapsed"] = collapsed.T.astype(float)
    out["nodeal.cum_capped_km2"], out["nodeal.p_claimed_taken"] = TM.expected_min_and_exceedance(
        out["nodeal.cum_mean_km2"], out["nodeal.cum_sd_km2"], claimed[:, None])
    out["nodeal.collapsed"] = np.maximum.accumulate(war_collapsed, axis=0).T.astype(float)
    # once Ukraine's forces have collapsed, Russia holds all it claims, whatever the years before did
    gone = out["nodeal.collapsed"] > 0
    out["nodeal.cum_capped_km2"] = np.where(gone, claimed[:, None], out["nodeal.cum_capped_km2"])
    out["nodeal.p_claimed_taken"] = np.where(gone, 1.0, out["nodeal.p_claimed_taken"])
    # P(the sector's gain >= objective): a costly special function, so on the run's detail trials only
    m = draws.detail_n
    if m:
        share = full(forces.objective_sector_share)[:m]
        out["war.ru.p_objective"] = W.exceedance(full(forces.objective_km2)[:m], share * y["war.ru.mean_km2"][:, :m],
                                                 share * y["war.ru.sd_km2"][:, :m]).T
    # a collapsed defender's ratio is infinite: reported at FORCE_RATIO_CAP (and counted in war.ru.collapsed)
    out["force_ratio"] = np.minimum(peace["force_ratio"], FORCE_RATIO_CAP)
    out["war.intensity"] = kappa

    out.update({
        "cession_ceded_km2": ceded,
        "cession_ceded_population": np.zeros(n) if cession is None else full(cession.ceded_population),
        "cession_front_km_before": p["front_length_before_km"],
        "cession_front_km_after": p["front_length_after_km"],
        "cession_fortified_before": p["fortified_share_before"],
        "cession_fortified_after": peace["fortified_share"][:, 0],
        "cession_density_before": (p["defender_theatre_share"] * p["defender_strength_now_troops"]
                                   / p["front_length_before_km"]),
        "cession_density_after": peace["force_density_troops_per_km"][:, 0],
    })
    if cession is not None:
        eff = FM.cession_effects(
            held_area_km2=(np.broadcast_to(np.asarray(plan["held_km2_before"], float), (n,))
                           if plan and "held_km2_before" in plan else full(cession.held_km2_before)),
            ceded_area_km2=ceded,
            held_population=full(cession.held_population_before),
            ceded_population=out["cession_ceded_population"],
            front_length_before_km=p["front_length_before_km"],
            front_length_after_km=p["front_length_after_km"],
            fortified_share_before=p["fortified_share_before"],
            fortified_share_after=p["fortified_share_after"],
        )
        out["cession_held_km2_before"] = eff.held_area_km2_before
        out["cession_held_km2_after"] = eff.held_area_km2_after
        out["cession_population_before"] = eff.population_before
        out["cession_population_after"] = eff.population_after
    return {k: np.asarray(v, dtype=float) for k, v in out.items()}


def war_year_at(forces: ForcesBlock, draws: Draws, russia_troops, ukraine_troops) -> tuple[np.ndarray, np.ndarray]:
    """(mean, sd) per trial, km2 per year, of Russia's net gain in a year of the war as fought today (Russia's
    offensive, Ukraine's counter-attacks at forces.ukraine_counterattack_tempo) at another balance: Russia's
    troops in the zone and Ukraine's armed forces (all personnel; times forces.ukraine_theatre_share in the
    theatre), the rest of the balance as today's. The anchor and the tempo's reference stay today's (the
    forces block's), so this is the model's backcast (or projection) of a year at that balance; at today's
    balance the mean is 365 forces.gain_now_km2_per_day. Scalars or (n,) arrays."""
    full = draws.full
    coef = coefficients(forces, draws)
    air, conc = full(forces.air_superiority), full(forces.concentration)
    counter = full(forces.ukraine_counterattack_tempo)
    eta, zeta = full(forces.intensity_surplus_elasticity), full(forces.intensity_space_elasticity)
    top = np.inf if forces.intensity_max_factor is None else full(forces.intensity_max_factor)
    ru_f, ru_p = full(forces.russia_fortified_share), full(forces.russia_prepared_share)
    russia, ukraine = W.SideRelations.of(coef, air, conc), W.SideRelations.of(coef, -air, conc)
    params = balance_params(forces, None, draws)
    now = FM.balance_trajectory(1, wartime=True, **params)
    then = FM.balance_trajectory(1, wartime=True, **{
        **params, "attacker_strength_now_troops": np.broadcast_to(np.asarray(russia_troops, float), (draws.n,)),
        "attacker_max_troops": np.broadcast_to(np.asarray(russia_troops, float), (draws.n,)),
        "defender_strength_now_troops": np.broadcast_to(np.asarray(ukraine_troops, float), (draws.n,))})
    log_front = np.log(now["front_length_km"])
    fort, prep = now["fortified_share"][:, 0], now["prepared_share"][:, 0]

    def logs(bal):
        return np.log(bal["attacker_effective_troops"][:, 0]), np.log(bal["defender_strength_troops"][:, 0])

    (a0, d0), (a1, d1) = logs(now), logs(then)
    ru_now = W.offensive_from_logs(russia, a0, d0, log_front, fort, prep)
    ua_now = W.offensive_from_logs(ukraine, d0, a0, log_front, ru_f, ru_p)
    kappa = W.russian_intensity(full(forces.gain_now_km2_per_day), now["front_length_km"], ru_now, ua_now, counter)
    scale = kappa * now["front_length_km"] * DAYS_PER_YEAR
    ops = full(forces.operations_per_year)
    f_ru = W.intensity_factor(a1 - d1, a0 - d0, d1 - log_front, d0 - log_front, eta, zeta, top)
    f_ua = W.intensity_factor(d1 - a1, d0 - a0, a1 - log_front, a0 - log_front, eta, zeta)
    g_ru, s_ru = W.season_moments(W.offensive_from_logs(russia, a1, d1, log_front, fort, prep), scale * f_ru,
                                  scale * f_ru / np.sqrt(ops))
    g_ua, s_ua = W.season_moments(W.offensive_from_logs(ukraine, d1, a1, log_front, ru_f, ru_p),
                                  counter * scale * f_ua, counter * scale * f_ua / np.sqrt(np.maximum(counter * ops,
                                                                                                       1e-12)))
    return g_ru - g_ua, np.sqrt(s_ru * s_ru + s_ua * s_ua)


# the outputs the forces scenario's own tables and figures read (the engine summarises every output returned)
SCENARIO_OUTPUTS = (
    "force_ratio", "war.ru.mean_km2", "war.ru.sd_km2", "war.ru.capped_km2", "war.ru.p_success", "war.ru.p_objective",
    "war.ru.collapsed", "war.ua.mean_km2", "war.ua.p_success", "nodeal.cum_mean_km2", "nodeal.cum_capped_km2",
    "nodeal.p_claimed_taken", "nodeal.collapsed",
)


def evaluate(cfg: Schema, draws: Draws, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The scenario's outputs for one chunk: compute() of the config's blocks (no model randomness), the
    outputs its tables read and the cession's."""
    plan = WD.forces_plan(cfg, draws) if cfg.terms is not None else None
    claimed = draws.full(cfg.war.claimed_km2) if cfg.war is not None else None
    out = compute(cfg.forces, cfg.cession, draws, plan=plan, claimed_km2=claimed)
    return {k: v for k, v in out.items() if k in SCENARIO_OUTPUTS or k.startswith("cession_")}
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


# ------------------------------------------------------------------------------------------- tables


def _prob_interval(mean: np.ndarray, se: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """95% interval of a mean of per-trial probabilities (not 0/1 outcomes, so not Wilson's)."""
    return np.clip(mean - Z95 * se, 0.0, 1.0), np.clip(mean + Z95 * se, 0.0, 1.0)


BALANCE_COLUMNS = ["year", "option", "force_ratio_mean", "force_ratio_q05", "force_ratio_q50", "force_ratio_q95",
                   "n_trials"]


def balance_rows(label: str, s: Summaries) -> list[list]:
    """Rows of tables/balance.csv for one option (year 1..T): the force ratio over trials."""
    fr = s["force_ratio"]
    q = fr.quantiles((0.05, 0.5, 0.95))
    mean, n = fr.mean_value(), fr.count
    return [[t + 1, label, float(mean[t]), float(q[0, t]), float(q[1, t]), float(q[2, t]), int(n[t])]
            for t in range(len(mean))]


WAR_COLUMNS = [
    "year", "option",
    "ru_gain_km2_mean", "ru_gain_km2_se", "ru_gain_km2_q05", "ru_gain_km2_q95", "ru_gain_sd_km2_mean",
    "ru_p_success", "ru_p_success_ci95_low", "ru_p_success_ci95_high",
    "ru_p_objective", "ru_p_objective_ci95_low", "ru_p_objective_ci95_high", "ru_p_objective_n_trials",
    "ua_gain_km2_mean", "ua_gain_km2_se", "ua_p_success",
    "nodeal_cum_net_km2_mean", "nodeal_cum_net_km2_se",
    "ru_gain_capped_km2_mean", "ru_gain_capped_km2_se", "ru_p_collapsed",
    "nodeal_cum_capped_km2_mean", "nodeal_cum_capped_km2_se", "nodeal_cum_capped_km2_q05", "nodeal_cum_capped_km2_q95",
    "nodeal_p_claimed_taken", "nodeal_p_collapsed",
    "n_trials",
]


def war_rows(label: str, s: Summaries) -> list[list]:
    """Rows of tables/war.csv for one option (year 1..T): a renewed offensive launched that year (km2 in one
    campaign season; uncapped and capped at the geography), and the cumulative net Russian gain by the end of
    that year if the war goes on (no deal; km2 since today, uncapped and capped at the claimed oblasts, with
    P(all claimed taken) and P(Ukraine's forces collapsed)).
    Means over trials with their standard errors (the Monte Carlo error) and the 5-95% range of the
    per-trial mean (the spread over parameters and the fit's uncertainty)."""
    ru, ru_sd = s["war.ru.mean_km2"], s["war.ru.sd_km2"]
    q = ru.quantiles((0.05, 0.95))
    ps = s["war.ru.p_success"]
    ps_lo, ps_hi = _prob_interval(ps.mean_value(), ps.se())
    T = len(ru.mean_value())
    if "war.ru.p_objective" in s:  # a detail output (run.detail_trials)
        po = s["war.ru.p_objective"]
        po_mean, po_n = po.mean_value(), po.count
        po_lo, po_hi = _prob_interval(po_mean, po.se())
    else:
        po_mean = po_lo = po_hi = np.full(T, np.nan)
        po_n = np.zeros(T, dtype=int)
    ua, nd = s["war.ua.mean_km2"], s["nodeal.cum_mean_km2"]
    cap, ndc = s["war.ru.capped_km2"], s["nodeal.cum_capped_km2"]
    ndq = ndc.quantiles((0.05, 0.95))
    rows = []
    for t in range(len(ru.mean_value())):
        rows.append([
            t + 1, label,
            float(ru.mean_value()[t]), float(ru.se()[t]), float(q[0, t]), float(q[1, t]),
            float(ru_sd.mean_value()[t]),
            float(ps.mean_value()[t]), float(ps_lo[t]), float(ps_hi[t]),
            float(po_mean[t]), float(po_lo[t]), float(po_hi[t]), int(po_n[t]),
            float(ua.mean_value()[t]), float(ua.se()[t]), float(s["war.ua.p_success"].mean_value()[t]),
            float(nd.mean_value()[t]), float(nd.se()[t]),
            float(cap.mean_value()[t]), float(cap.se()[t]), float(s["war.ru.collapsed"].mean_value()[t]),
            float(ndc.mean_value()[t]), float(ndc.se()[t]), float(ndq[0, t]), float(ndq[1, t]),
            float(s["nodeal.p_claimed_taken"].mean_value()[t]), float(s["nodeal.collapsed"].mean_value()[t]),
            int(ru.count[t]),
        ])
    return rows


_CESSION_ROWS = (
    ("area ceded (cumulative)", "km2", None, "cession_ceded_km2"),
    ("population ceded (cumulative)", "persons", None, "cession_ceded_population"),
    ("area held by Kyiv", "km2", "cession_held_km2_before", "cession_held_km2_after"),
    ("population under Kyiv", "persons", "cession_population_before", "cession_population_after"),
    ("front length", "km", "cession_front_km_before", "cession_front_km_after"),
    ("share of Russia's battles meeting fortified lines (year 1)", "share", "cession_fortified_before",
     "cession_fortified_after"),
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


def war_figure(table: Table, season_text: str, objective_text: str) -> Figure:
    """A renewed war by the year it starts, options overlaid: Russia's expected gain in one season (mean
    with its 95% Monte Carlo interval, band: 5-95% of trials), P(that gain reaches the objective), and
    Ukraine's expected gain in its own offensive."""
    rec = table.records()
    fig = plots.figure(figsize=(12.5, 4.2))
    ax_ru, ax_obj, ax_ua = fig.subplots(1, 3)
    for label in dict.fromkeys(r["option"] for r in rec):
        rows = [r for r in rec if r["option"] == label]
        years = np.array([r["year"] for r in rows])
        n = rows[0]["n_trials"]
        mean = np.array([r["ru_gain_km2_mean"] for r in rows])
        se = np.array([r["ru_gain_km2_se"] for r in rows])
        line = ax_ru.errorbar(years, mean, yerr=Z95 * se, marker="o", ms=3, capsize=2, label=f"{label} (n={n:,})")
        colour = line.lines[0].get_color()
        ax_ru.fill_between(years, [r["ru_gain_km2_q05"] for r in rows], [r["ru_gain_km2_q95"] for r in rows],
                           color=colour, alpha=0.12)
        p = np.array([r["ru_p_objective"] for r in rows])
        if np.all(np.isfinite(p)):
            err = np.array([[r["ru_p_objective"] - r["ru_p_objective_ci95_low"] for r in rows],
                            [r["ru_p_objective_ci95_high"] - r["ru_p_objective"] for r in rows]])
            ax_obj.errorbar(years, p, yerr=np.maximum(err, 0.0), marker="o", ms=3, capsize=2, color=colour)
        ua = np.array([r["ua_gain_km2_mean"] for r in rows])
        ua_se = np.array([r["ua_gain_km2_se"] for r in rows])
        ax_ua.errorbar(years, ua, yerr=Z95 * ua_se, marker="o", ms=3, capsize=2, color=colour)
    ax_ru.set(xlabel="year of the peace in which Russia attacks", ylabel="km2 taken in one season", ylim=(0, None))
    ax_ru.set_title("Russia's offensive: expected gain\n(95% MC interval; band 5-95% of trials)", fontsize=9)
    ax_obj.set(xlabel="year of the peace in which Russia attacks", ylabel="P(the objective's sector falls in one season)",
               ylim=(0, 1.02))
    ax_obj.set_title("Russia's offensive reaches the objective\n(95% MC interval)", fontsize=9)
    ax_ua.set(xlabel="year of the peace in which Ukraine attacks", ylabel="km2 taken in one season", ylim=(0, None))
    ax_ua.set_title("Ukraine's offensive: expected gain\n(95% MC interval)", fontsize=9)
    for ax in (ax_ru, ax_obj, ax_ua):
        ax.grid(alpha=0.3)
    fig.legend(*ax_ru.get_legend_handles_labels(), fontsize=7, loc="lower center", ncol=4)
    fig.suptitle(f"A renewed war in {season_text}: the battle record's relations (CDB90), anchored on today's "
                 "rate of Russian gains", fontsize=10)
    fig.tight_layout(rect=(0, 0.08, 1, 0.95))
    from scenarios.report import caption

    first = rec[0]
    objective_n = first["ru_p_objective_n_trials"]
    return caption(fig, (
        f"A renewed offensive launched in each year of the peace, one campaign season: Russia's expected gain (mean "
        f"with its 95% Monte Carlo interval; band: 5-95% of trials, the spread over parameters and the battle "
        f"relations' estimation uncertainty), P(that season takes {objective_text}) and Ukraine's expected gain in "
        f"its own offensive. {first['n_trials']:,} trials per option"
        + (f" (P(objective) on the first {objective_n:,}, run.detail_trials)" if 0 < objective_n < first["n_trials"]
           else "") + "; options at the same seed (common random numbers)."))


def _season_text(cfg: Schema) -> str:
    spec = cfg.forces.season_days
    if spec.uncertain:
        return f"a season of {spec.describe()} days"
    return f"a {float(spec.to_dist().value):g}-day season"  # type: ignore[attr-defined]


def _objective_text(cfg: Schema) -> str:
    spec = cfg.forces.objective_km2
    area = f"{spec.describe()} km2" if spec.uncertain else f"{float(spec.to_dist().value):,.0f} km2"  # type: ignore[attr-defined]
    share = cfg.forces.objective_sector_share
    part = share.describe() if share.uncertain else f"{float(share.to_dist().value):.0%}"  # type: ignore[attr-defined]
    return f"{cfg.forces.objective_name}, {area}, in a sector that gets {part} of the offensive's gains"


def tables_figures(config: Config, s: Summaries) -> tuple[dict[str, Table], dict[str, Figure]]:
    """tables/{balance, war, cession}.csv and figures/{balance, war}.png, for the config's option and every
    option in forces.compare_with (run here; see `options`)."""
    cfg: Schema = config.model  # type: ignore[assignment]
    opts = options(config, s)
    balance = Table(BALANCE_COLUMNS, [row for label, so in opts for row in balance_rows(label, so)])
    war = Table(WAR_COLUMNS, [row for label, so in opts for row in war_rows(label, so)])
    cession = Table(CESSION_COLUMNS, [row for label, so in opts for row in cession_rows(label, so)])
    tables = {"balance": balance, "war": war, "cession": cession}
    figures = {"balance": balance_figure(balance),
               "war": war_figure(war, _season_text(cfg), _objective_text(cfg))}
    return tables, figures


# ------------------------------------------------------------------------------------------- report


SEASON_UNIT = "km2 per campaign season"


def headline(s: Summaries) -> dict[str, Headline]:
    """Russia's expected gain in a renewed offensive in years 1, 5 and 10 (those within the horizon, and the
    last year), km2 per campaign season capped at what is left of the claimed oblasts; P(success) and P(the
    objective's sector falls) in year 1; Ukraine's gain in year 1; the force ratio (troops in the theatre) in
    year 1; and the no-deal war at the horizon: Russia's net gain in km2 capped at the claimed oblasts, P(it
    holds all it claims) and P(Ukraine's forces collapse). Cheap: no model runs."""
    T = len(s["war.ru.mean_km2"].mean_value())
    years = sorted({y for y in (*HEADLINE_YEARS, T) if y <= T})
    h = {}
    for y in years:
        h[f"ru_gain_km2_y{y}"] = Headline(
            f"km2 per campaign season a renewed Russian offensive takes, launched in year {y} (capped at the "
            "claimed oblasts)", s.estimate("war.ru.capped_km2", (y - 1,)), percent=False, unit=SEASON_UNIT)
    h["ru_p_success_y1"] = Headline("P(success) of a renewed Russian offensive's engagements in year 1",
                                    s.estimate("war.ru.p_success", (0,)), percent=True)
    if "war.ru.p_objective" in s:  # a detail output: absent when run.detail_trials is 0 (sweeps)
        h["ru_p_objective_y1"] = Headline("P(a renewed Russian offensive in year 1 takes the objective's sector in "
                                          "one season)", s.estimate("war.ru.p_objective", (0,)), percent=True)
    h["ua_gain_km2_y1"] = Headline("km2 per campaign season a Ukrainian offensive takes, launched in year 1",
                                   s.estimate("war.ua.mean_km2", (0,)), percent=False, unit=SEASON_UNIT)
    h["force_ratio_y1"] = Headline("force ratio Russia:Ukraine in year 1 (troops in the theatre)",
                                   s.estimate("force_ratio", (0,)), percent=False,
                                   unit="ratio of troops in the theatre")
    h["nodeal_cum_net_km2"] = Headline(
        f"no deal: km2 Russia gains net over {T} years of war (capped at the claimed oblasts)",
        s.estimate("nodeal.cum_capped_km2", (T - 1,)), percent=False, unit=f"km2 over {T} years")
    h["nodeal_p_claimed_taken"] = Headline(f"no deal: P(Russia holds all the oblasts it claims within {T} years)",
                                           s.estimate("nodeal.p_claimed_taken", (T - 1,)), percent=True)
    h["nodeal_p_collapsed"] = Headline(f"no deal: P(Ukraine's forces in the theatre collapse within {T} years)",
                                       s.estimate("nodeal.collapsed", (T - 1,)), percent=True)
    return h


def _km2(e) -> str:
    return f"{e.mean:,.0f} km2 (95% CI {e.lo:,.0f}-{e.hi:,.0f})"


def _pct(e) -> str:
    return f"{e.mean:.1%} (95% CI {e.lo:.1%}-{e.hi:.1%})"


def summary_text(label: str, s: Summaries, war: Table, cfg: Schema) -> str:
    T = len(s["war.ru.mean_km2"].mean_value())
    g1, gT = s.estimate("war.ru.capped_km2", (0,)), s.estimate("war.ru.capped_km2", (T - 1,))
    p1 = s.estimate("war.ru.p_success", (0,))
    u1 = s.estimate("war.ua.mean_km2", (0,))
    nd = s.estimate("nodeal.cum_capped_km2", (T - 1,))
    nd_q = s["nodeal.cum_capped_km2"].quantiles((0.05, 0.95))[:, T - 1]
    nd_all = s.estimate("nodeal.p_claimed_taken", (T - 1,))
    nd_collapse = s.estimate("nodeal.collapsed", (T - 1,))
    season = _season_text(cfg)
    lines = [
        "## In one sentence", "",
        (f"Under {label}, a renewed Russian offensive launched in the first year of the peace would be expected to "
         f"take {_km2(g1)} in {season}, its engagements succeeding with probability {_pct(p1)}"
         + (f", and would take the objective ({_objective_text(cfg)}) with probability "
            f"{_pct(s.estimate('war.ru.p_objective', (0,)))}" if "war.ru.p_objective" in s else "")
         + f"; launched in year {T}, it would take {_km2(gT)} in a season. A Ukrainian offensive in year 1 would "
         f"take {_km2(u1)} in a season. With no settlement, the war going on from today would move the line by "
         f"{_km2(nd)} in Russia's favour over {T} years (5-95% of trials {nd_q[0]:,.0f}-{nd_q[1]:,.0f} km2), capped at "
         f"the Kyiv-held rest of the oblasts Russia claims, which it would hold entirely with probability "
         f"{_pct(nd_all)}; Ukraine's forces in the theatre collapse in {nd_collapse.mean:.1%} of trials "
         f"({s.n_trials:,} simulated futures). Beyond two or three years this is an extrapolation of the 2024-25 "
         "war far past any observed year: read it as a bound, not a forecast."),
        "",
        "## Options compared", "",
        ("| option | Russia's gain, year 1 (km2 per season, capped) | year 5 | last year | P(success) year 1 | "
         "P(objective) year 1 | Ukraine's gain, year 1 (km2 per season) | trials |"),
        "|---|---|---|---|---|---|---|---|",
    ]
    rec = war.records()
    for label_ in dict.fromkeys(r["option"] for r in rec):
        rows = [r for r in rec if r["option"] == label_]

        def km(r):
            return f"{r['ru_gain_capped_km2_mean']:,.0f} ± {Z95 * r['ru_gain_capped_km2_se']:,.0f}"

        y5 = km(rows[4]) if len(rows) >= 5 else "-"
        r0 = rows[0]
        lines.append(
            f"| {label_} | {km(r0)} | {y5} | {km(rows[-1])} | {r0['ru_p_success']:.2f} | "
            + (f"{r0['ru_p_objective']:.2f} ({r0['ru_p_objective_ci95_low']:.2f}-{r0['ru_p_objective_ci95_high']:.2f})"
               if np.isfinite(r0["ru_p_objective"]) else "-")
            + " | "
            f"{r0['ua_gain_km2_mean']:,.0f} ± {Z95 * r0['ua_gain_km2_se']:,.0f} | {r0['n_trials']:,} |")
    lines += [
        "",
        ("± is a 95% Monte Carlo interval of the mean"
         + (f"; P(objective) is computed on the first {int(s['war.ru.p_objective'].count[0]):,} trials "
            "(`run.detail_trials`)" if "war.ru.p_objective" in s and s["war.ru.p_objective"].count[0] < s.n_trials
            else "")
         + ". The war model (model/war.py) turns each year's balance into "
         "the territory an offensive takes through the battle record's relations (CDB90, fitted by "
         "model/battles.py; their estimation uncertainty drawn per trial), with the level fixed so that the war "
         "as fought today reproduces the observed rate of Russian gains. P(success) is the calibrated chance "
         "that the offensive's engagements succeed (CDB90's 'attacker wins'); P(objective) that the season's "
         "gain reaches the objective (gamma distribution with the season's mean and spread). Options other than "
         f"the first are re-run at the same seed (at most {COMPARE_TRIALS_CAP:,} trials). Figures: "
         "`figures/balance.png` (force-ratio fans), `figures/war.png`. Tables: `tables/balance.csv`, "
         "`tables/war.csv`, `tables/cession.csv`."),
    ]
    return "\n".join(lines)


def report(config: Config, s: Summaries) -> Result:
    cfg: Schema = config.model  # type: ignore[assignment]
    tables, figures = tables_figures(config, s)
    text = summary_text(option_label(config), s, tables["war"], cfg)
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
