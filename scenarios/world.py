"""One world per trial (MODELS.md section 0): the plan's terms, the one war model, the one war payoff.

A settlement config describes one world: the plan's ``terms:`` (drawn once per trial), the world without the
plan (``forces:`` today's levels and trends, ``coalition:`` the actors, ``war:`` the costs and stakes of a
renewed war), and the guarantee's text (``guarantee:``, ``guarantees:``). Every model reads what it needs
through the explicit maps of model/terms.py, so no quantity is drawn twice:

    terms.territory                 -> coalition plan.territory; the settlement share x (bargaining)
    terms.ceded_km2                 -> the force model's cession; Kyiv's area after the settlement
    terms.force_cap                 -> forces.ukraine_cap; coalition plan.force_cap (force_cap_position)
    terms.long_range_strike_ban     -> forces.long_range_strike_ban; coalition plan.weapons_limits (with aid_cut)
    terms.aid_cut                   -> forces.aid_eur_bn_per_year (aid_under_plan); plan.weapons_limits
    terms.sanctions_relief          -> coalition plan.sanctions_relief; Russia's rearmament (rearmament_with_relief)
    guarantees.*.binding/capability -> coalition plan.guarantee_strength (guarantee_strength); the guarantee
    terms.<other dimension>         -> coalition plan.<dimension> (identity)
    war.cost_challenger (c_A)       -> bargaining, deterrence (k), the challenger's actors' cost of no deal
    war.cost_defender (c_B)         -> bargaining, the defender's actors' cost of no deal

The war model (scenarios.forces.compute, model/war.py) gives, year by year, the distribution of a renewed
war's territorial outcome in a campaign season, for either side attacking and for the challenger against a
full guarantor response; `war_in_stake` turns it into the bargaining model's stake shares, and the no-deal
war (the war going on over the horizon) into the coalition's reservation values (`no_deal_war`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from model import terms as TM
from scenarios.engine import Draws

# The config (blocks, Schema, check) is scenarios/schemas/world.py's, which imports no model code, so that
# `accord validate` and `show` start without NumPy (issue 17); its names are this module's too.
from scenarios.schemas.world import (  # noqa: F401
    IDENTITY_DIMENSIONS,
    MAPPED_DIMENSIONS,
    SET_ONCE,
    Position,
    ProvisionsBlock,
    ReferenceBlock,
    SettlementBlock,
    TermsBlock,
    WarBlock,
    check_world,
    readers,
)

# ------------------------------------------------------------------------------------------------ the maps


def coalition_plan(cfg: Any, draws: Draws) -> dict[str, np.ndarray | float]:
    """The plan's position on every coalition dimension, mapped from the terms and the guarantee."""
    t: TermsBlock = cfg.terms
    out: dict[str, np.ndarray | float] = {}
    for d in cfg.coalition.dimensions:
        k = d.name
        if k == "territory":
            out[k] = draws[t.territory]
        elif k == "force_cap":
            out[k] = TM.force_cap_position(np.inf if t.force_cap is None else draws[t.force_cap])
        elif k == "weapons_limits":
            out[k] = TM.weapons_limits_position(draws[t.long_range_strike_ban], draws[t.aid_cut])
        elif k == "guarantee_strength":
            out[k] = guarantee_strength(cfg, draws)
        elif k == "elections":
            out[k] = 0.0 if t.elections_within_days is None else TM.elections_position(draws[t.elections_within_days])
        elif k in t.positions:
            out[k] = draws[t.positions[k]]
        else:
            out[k] = draws[getattr(t, k)]
    return out


def guarantee_strength(cfg: Any, draws: Draws) -> np.ndarray | float:
    """The coalition's guarantee_strength of the config's guarantors (0 without a guarantee)."""
    guarantors = getattr(cfg, "guarantees", ()) or ()
    if not guarantors:
        return 0.0
    binding = np.column_stack([draws.full(g.binding) for g in guarantors])
    capability = np.column_stack([draws.full(g.capability) for g in guarantors])
    return TM.guarantee_strength(binding, capability)


def forces_plan(cfg: Any, draws: Draws) -> dict[str, np.ndarray]:
    """What the plan changes in the force model (the `plan` of scenarios.forces.compute)."""
    t: TermsBlock = cfg.terms
    f = cfg.forces
    out = {
        "long_range_strike_ban": draws.full(t.long_range_strike_ban),
        "aid_eur_bn_per_year": TM.aid_under_plan(draws.full(f.aid_eur_bn_per_year), draws.full(t.aid_cut)),
        "russia_rearmament_per_year": TM.rearmament_with_relief(
            draws.full(f.russia_rearmament_per_year), draws.full(t.sanctions_relief),
            draws.full(cfg.war.rearmament_at_full_relief)),
        "ceded_km2": draws.full(t.ceded_km2),
        "held_km2_before": kyiv_km2_now(cfg, draws),
    }
    if t.force_cap is not None:
        out["ukraine_cap"] = draws.full(t.force_cap)
    return out


def kyiv_km2_now(cfg: Any, draws: Draws) -> np.ndarray:
    """The area under Kyiv's control today (km2): Ukraine's area less the area Russia holds (one draw of
    war.occupied_km2, not a second quantity)."""
    return draws.full(cfg.war.ukraine_km2) - draws.full(cfg.war.occupied_km2)


@dataclass(frozen=True)
class WarInStake:
    """The one war model's outcomes in the bargaining model's stake shares, per trial and year (n, T).

    A renewed war voids the text and starts from the physical line L (model.terms.physical_line): its
    outcome for a side is L moved by the season's gains, against the settlement's x. So

    gain_challenger: E[the challenger's war outcome] - x = (L - x) + E[its gain] of an offensive against the
        defender alone (capped at the scale's end);
    gain_challenger_guaranteed: the same against a full guarantor response (None without a guarantee);
    gain_defender: x - E[the position after the defender's own offensive] = (x - L) + E[its gain];
    line: L (n, 1); balance: m = E[challenger's gain] - E[defender's gain] (its net war share is p = L + m);
        net_gain_before: m under the wartime balance on the day before the settlement, from
        the line of contact (n,), or None. Powell's shift is the change in m, the military balance: the
        ground the settlement hands over moves L, which is the deal itself, not a shift of power."""

    gain_challenger: np.ndarray
    gain_challenger_guaranteed: np.ndarray | None
    gain_defender: np.ndarray
    line: np.ndarray
    balance: np.ndarray
    net_gain_before: np.ndarray | None = None


def war_in_stake(cfg: Any, draws: Draws, war: dict[str, np.ndarray], share: np.ndarray) -> WarInStake:
    """Map the war model's km2 outcomes (war.ru.*, war.ru_resp.*, war.ua.*, war.now_*.* of
    scenarios.forces.compute) to stake shares (model.terms): each side's war outcome against the settlement's
    x, from the physical line the plan's cession leaves (WarInStake)."""
    w: WarBlock = cfg.war
    claimed, occupied = draws.full(w.claimed_km2)[:, None], draws.full(w.occupied_km2)[:, None]
    ceded = draws.full(cfg.terms.ceded_km2)[:, None]
    up, _ = TM.territory_slopes(claimed, occupied)
    line = TM.physical_line(ceded, claimed)
    x = np.asarray(share, dtype=float)[:, None]
    # the challenger's gain, E[min(up G, 1 - L)] = up E[min(G, room)]: (1 - L) / up = C - min(ceded, C) is the
    # war model's own geography cap after the cession, max(C - ceded, 0) km2, whose capped gain
    # scenarios.forces.compute has already evaluated (war.ru.capped_km2) when it ran on this world's claimed
    # and ceded areas (war.ru.room_km2 says); otherwise it is evaluated here
    room = np.maximum(claimed - np.maximum(ceded, 0.0), 0.0)
    if "war.ru.capped_km2" in war and np.array_equal(war.get("war.ru.room_km2"), room[:, 0]):
        raw_a = up * war["war.ru.capped_km2"]
    else:
        raw_a = up * TM.expected_min_gamma(war["war.ru.mean_km2"], war["war.ru.sd_km2"], room)
    gain_ag = None
    if "war.ru_resp.mean_km2" in war:
        gain_ag = line - x + up * TM.expected_min_gamma(war["war.ru_resp.mean_km2"], war["war.ru_resp.sd_km2"], room)
    raw_b = TM.defender_gain_share(war["war.ua.mean_km2"], war["war.ua.sd_km2"], ceded, claimed, occupied)
    before = None
    if "war.now_ru.mean_km2" in war:  # the wartime balance of year 0, from the line of contact (L = 0.5)
        c, o = claimed[:, 0], occupied[:, 0]
        before = (TM.expected_gain_share(war["war.now_ru.mean_km2"], war["war.now_ru.sd_km2"], 0.5 / c, 0.5)
                  - TM.defender_gain_share(war["war.now_ua.mean_km2"], war["war.now_ua.sd_km2"], 0.0, c, o))
    return WarInStake(line - x + raw_a, gain_ag, x - line + raw_b, line, raw_a - raw_b, before)


def no_deal_war(cfg: Any, draws: Draws, war: dict[str, np.ndarray]):
    """No deal = the war going on over the horizon (nodeal.* of scenarios.forces.compute) as the coalition's
    reservation inputs (scenarios.coalition.WarReservation): the territory position's discounted moments
    from the no-deal state's line (the coalition's single no-deal state: today's line of contact) and each
    fighting actor's cost share."""
    from scenarios.coalition import WarReservation

    w: WarBlock = cfg.war
    line = draws.full(cfg.coalition.no_deal[0].position[w.territory_dimension])[:, None]
    mean, var = TM.position_moments(line, war["nodeal.cum_mean_km2"], war["nodeal.cum_sd_km2"],
                                    draws.full(w.claimed_km2)[:, None], draws.full(w.occupied_km2)[:, None])
    T = mean.shape[1]
    delta = np.asarray(draws.full(w.discount), dtype=float)[:, None]
    weights = delta ** np.arange(T)[None, :]
    weights = weights / weights.sum(axis=1, keepdims=True)
    m1 = (weights * mean).sum(axis=1)
    m2 = (weights * (var + mean * mean)).sum(axis=1)
    c_a, c_b = draws.full(w.cost_challenger), draws.full(w.cost_defender)
    side = {a: c_a for a in w.challenger_actors} | {a: c_b for a in w.defender_actors}
    return WarReservation(w.territory_dimension, m1, m2, side)


def reference_hazard(cfg: Any, draws: Draws, rng: np.random.Generator, years: int) -> np.ndarray:
    """The reference class's yearly hazard h0(t), t = 1..years, for each trial's provisions, its coefficients
    drawn from the fit's sampling distribution (standard normals from `rng`, the chunk's own stream, so a
    seed gives the same numbers whatever the workers): (n, years). scenarios/durability.py fits the class
    once per process."""
    from model import survival as SV
    from scenarios.durability import reference_model

    ref = cfg.settlement.reference
    model = reference_model(ref.dataset, ref.filter or None, () if ref.provisions == "none" else None)
    prov = cfg.terms.provisions
    values = {name: draws.full(getattr(prov, name)) for name in type(prov).model_fields}
    design = SV.provision_design(model, values, draws.n)
    theta = SV.draw_coefficients(model, rng.standard_normal((draws.n, len(model.coef))))
    return SV.yearly_hazard(model, design, theta, years)


