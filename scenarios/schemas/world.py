"""The blocks of a settlement's world (scenarios/world.py: one world per trial, MODELS.md section 0): the plan's
``terms:``, the renewed war's ``war:``, how its survival is read (``settlement:``), and the check that a world
config draws each real-world quantity once. No model code (scenarios/schemas/__init__.py)."""


from typing import Any, Literal

from pydantic import Field

from scenarios.config import Block, Config, ConfigError, Param, lookup_loc

Position = Param(0, 1, "issue scale 0-1", "the plan's position on the coalition dimension of the same name")

# coalition dimensions mapped from terms (the Ukraine case's dimensions, configs/base.yaml); any other
# dimension of a config's coalition must be given in terms.positions (identity)
MAPPED_DIMENSIONS = {
    "territory": "terms.territory",
    "force_cap": "terms.force_cap (model.terms.force_cap_position)",
    "weapons_limits": "terms.long_range_strike_ban, terms.aid_cut (model.terms.weapons_limits_position)",
    "guarantee_strength": "guarantees.*.binding, capability (model.terms.guarantee_strength)",
    "elections": "terms.elections_within_days (model.terms.elections_position)",
}
IDENTITY_DIMENSIONS = ("foreign_troops", "sanctions_relief", "frozen_assets", "nato_membership", "domestic_policy",
                       "amnesty")


class ProvisionsBlock(Block):
    """The agreement's provisions, as the reference class codes them (model.survival.PROVISIONS); each 0/1, or a
    probability the plan contains it (a `choice` of 0 and 1, or a share)."""

    ceasefire: Param(0, 1, "0/1", "the agreement contains a ceasefire") = 0.0
    demilitarised_zone: Param(0, 1, "0/1", "a demilitarised zone (UCDP codes the nearest: withdrawal)") = 0.0
    withdrawal: Param(0, 1, "0/1", "withdrawal of forces") = 0.0
    peacekeepers: Param(0, 1, "0/1", "a peacekeeping operation is deployed") = 0.0
    guarantor_troops: Param(0, 1, "0/1", "a guarantor's troops on the ground (UCDP: peacekeeping, partly)") = 0.0
    implementation_commission: Param(0, 1, "0/1", "a commission oversees implementation") = 0.0
    third_party_guarantors: Param(0, 1, "0/1", "third parties named as guarantors") = 0.0
    full_agreement: Param(0, 1, "0/1", "the agreement settles the whole incompatibility") = 0.0


class TermsBlock(Block):
    """The plan's terms, in the units they are reported in; drawn once per trial, read by every model."""

    territory: Position = Field(description="territorial terms on the coalition's territory scale (0 = 1991 "
                                            "borders, 0.5 = line of contact, 1 = Russian June 2025 memorandum)")
    ceded_km2: Param(0, 603_700, "km2", "Kyiv-held land the plan hands over") = 0.0
    force_cap: Param(0, 3e6, "persons", "cap on Ukraine's armed forces (omit: no cap)") | None = None
    long_range_strike_ban: Param(0, 1, "share", "share of Ukraine's long-range strike the plan bans") = 0.0
    aid_cut: Param(0, 1, "share", "the plan's cut of foreign military aid, as a share of today's") = 0.0
    elections_within_days: Param(1, 3650, "days", "elections imposed within this many days (omit: none)") | None = None
    foreign_troops: Position = 0.0
    sanctions_relief: Position = 0.0
    frozen_assets: Position = 0.0
    nato_membership: Position = 0.0
    domestic_policy: Position = 0.0
    amnesty: Position = 0.0
    positions: dict[str, Position] = Field(
        default_factory=dict, description="positions on further coalition dimensions (identity maps)")
    provisions: ProvisionsBlock = Field(
        ProvisionsBlock(), description="the agreement's provisions, for the reference class's hazard")


class WarBlock(Block):
    """A renewed war and the territorial stake: what bargaining, deterrence and acceptance share."""

    cost_challenger: Param(0, 2, "share of the stake per season",
                           "c_A: the challenger's cost of a season of renewed war (k in deterrence)")
    cost_defender: Param(0, 2, "share of the stake per season", "c_B: the defender's cost of a season of war")
    punishment: Param(0, 5, "share of the stake",
                      "P: the further cost a full guarantor response imposes (sanctions, losses)") = 0.0
    response_troops: Param(0, 5e6, "troop-equivalents",
                           "what a full guarantor response adds to the defender in the war model") = 0.0
    noise_scale: Param(0, 2, "share of the stake", "spread of the challenger's private assessment (deterrence)") = 0.1
    claimed_km2: Param(100, 603_700, "km2", "C: the Kyiv-held rest of the claimed oblasts (the line of contact to "
                                            "the memorandum: half the territory scale)")
    occupied_km2: Param(100, 603_700, "km2", "O: the area Russia holds (the 1991 borders to the line of contact)")
    ukraine_km2: Param(100, 1e6, "km2", "Ukraine's area in its 1991 borders (603,628 km2, State Statistics "
                                        "Service of Ukraine); Kyiv holds it less war.occupied_km2") = 603_628.0
    rearmament_at_full_relief: Param(0, 1e6, "persons/year",
                                     "extra net Russian force growth if all sanctions were lifted") = 0.0
    discount: Param(0, 0.99, "per year", "delta: Powell's discount factor; also weighs the horizon's years") = 0.9
    challenger_actors: tuple[str, ...] = Field(
        ("russia",), description="coalition actors who bear the challenger's cost of no deal (war.cost_challenger)")
    defender_actors: tuple[str, ...] = Field(
        ("ukraine_government", "verkhovna_rada", "ukrainian_voters"),
        description="coalition actors who bear the defender's cost of no deal (war.cost_defender)")
    territory_dimension: str = Field("territory", description="the coalition dimension that is the stake")


class ReferenceBlock(Block):
    """The outside view: which record's survival the settlement's hazard starts from (scenarios/durability.py)."""

    dataset: Literal["ucdp_peace_agreements", "cow_interstate_wars"] = Field(
        "ucdp_peace_agreements", description="ucdp_peace_agreements (UCDP peace agreements 1975-2011, with their "
        "provisions) or cow_interstate_wars (recurrence of war between the same pair of states, COW 1823-2003)")
    filter: dict[str, Any] = Field(default_factory=dict, description="the class within it: years: [first, last] "
                                   "and covariate: 0/1 (e.g. territorial: 1)")
    provisions: Literal["none", "prespecified"] = Field(
        "none", description="none: the reference class's hazard alone (the base rate; the record's provisions "
        "predict no better out of sample: `accord backtest durability`); prespecified: the dataset's covariates "
        "fixed from theory (scenarios/durability.py DEFAULTS), so the plan's provisions move the hazard")
    source: str = ""


class SettlementBlock(Block):
    """How the settlement's survival is read (model/bargaining.py; MODELS.md section 3)."""

    rule: Literal["combined", "mechanism"] = Field(
        "combined", description="combined: the reference class's hazard for the plan's provisions times the "
        "mechanism's multiplier exp(gamma_gap g+ + gamma_shift d) (the headline); mechanism: the first year the "
        "terms leave the bargaining range or a power shift makes war pay (deterministic)")
    reference: ReferenceBlock = ReferenceBlock()
    gamma_gap: Param(0, 200, "per stake share", "how the hazard rises with the bargaining gap g") = 10.0
    gamma_shift: Param(0, 200, "per stake share", "how the hazard rises with the size d of the year-on-year shift "
                       "in the challenger's war share (Powell 2006)") = 10.0
    first_year_shift: bool = Field(
        False, description="false (default): the power shift starts in the peace's second year; what the settlement "
        "itself changes at once (the cap, the fortified ground ceded, the aid cut) is priced by the bargaining gap, "
        "the terms against the new balance (Fearon 1995; Werner 1999). true: that change also counts as a shift, "
        "from the wartime balance of the day before (a structural variant: it counts the same change twice over)")


# -------------------------------------------------------------------------------------- one draw, checked


# quantities a world config must not set a second time: (path, where the world's value comes from)
SET_ONCE = (
    (("coalition", "plan"), "terms (model/terms.py maps the plan's terms to the coalition's plan position)"),
    (("forces", "ukraine_cap"), "terms.force_cap"),
    (("forces", "long_range_strike_ban"), "terms.long_range_strike_ban"),
    (("cession", "ceded_km2"), "terms.ceded_km2"),
    (("cession", "held_km2_before"), "war.ukraine_km2 less war.occupied_km2"),
    (("forces", "claimed_km2"), "war.claimed_km2 (the geography cap of the war model)"),
    (("challenger",), "war (cost_challenger, punishment, noise_scale; the war model gives V p and V p_g)"),
    (("forces", "wartime_aid_eur_bn_per_year"),
     "forces.aid_eur_bn_per_year (the world without the plan) and terms.aid_cut"),
)


def require_world_blocks(model: Any) -> None:
    """A view of a world (a coalition, guarantees or forces config that extends a settlement's): its `terms`
    need the world's `war` and `forces` blocks. A pydantic model validator's check (raises ValueError)."""
    if model.terms is not None and (model.war is None or model.forces is None):
        raise ValueError("a world's `terms` need its `war` and `forces` blocks (extend the settlement config)")


def check_view(config: Config) -> None:
    """A view of a world: one draw per real-world quantity (`check_world`), when the config has the world's
    `terms`; a block configured on its own is not a world."""
    if getattr(config.model, "terms", None) is not None:
        check_world(config)


def check_world(config: Config) -> None:
    """One draw per real-world quantity: a world config that sets a mapped quantity a second time, or leaves
    a model input without a map, is a ConfigError naming the key (exit code 2)."""
    data, model = config.data, config.model
    label = config.files[0] if config.files else config.path

    def fail(path: tuple, message: str) -> None:
        loc = lookup_loc(config.locs, path) or (label, None)
        raise ConfigError(message, loc[0], loc[1], ".".join(map(str, path)))

    for path, source in SET_ONCE:
        node: Any = data
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        if node is not None:
            fail(path, f"set twice: in a settlement this quantity comes from {source}; remove it here")
    for block in ("terms", "war", "forces", "coalition"):
        if getattr(model, block, None) is None:
            fail((block,), f"a world config needs a `{block}:` block (see configs/plan_28_points.yaml)")
    dims = [d.name for d in model.coalition.dimensions]
    terms = model.terms
    for k in dims:
        if k not in MAPPED_DIMENSIONS and k not in IDENTITY_DIMENSIONS and k not in terms.positions:
            fail(("coalition", "dimensions"), f"dimension '{k}' has no map from the plan's terms; give its position "
                 f"in terms.positions.{k} (mapped: {', '.join([*MAPPED_DIMENSIONS, *IDENTITY_DIMENSIONS])})")
    for k in terms.positions:
        if k not in dims:
            fail(("terms", "positions", k), f"unknown coalition dimension '{k}'; allowed: {', '.join(dims)}")
        if k in MAPPED_DIMENSIONS or k in IDENTITY_DIMENSIONS:
            fail(("terms", "positions", k), f"set twice: {k} is mapped from {MAPPED_DIMENSIONS.get(k, 'terms.' + k)}")
    if "territory" not in dims or model.war.territory_dimension not in dims:
        fail(("war", "territory_dimension"), f"the stake '{model.war.territory_dimension}' is not a coalition "
             f"dimension; allowed: {', '.join(dims)}")
    actors = {a.name: a for a in model.coalition.actors}
    for key in ("challenger_actors", "defender_actors"):
        for a in getattr(model.war, key):
            if a not in actors:
                fail(("war", key), f"unknown actor '{a}'; allowed: {', '.join(actors)}")
            if "cost" in (data["coalition"]["actors"][list(actors).index(a)] or {}):
                i = list(actors).index(a)
                fail(("coalition", "actors", i, "cost"), f"set twice: {a}'s cost of no deal is war."
                     f"{'cost_challenger' if key == 'challenger_actors' else 'cost_defender'} x the stake's worth to it")
    for i, a in enumerate(model.coalition.actors):
        if a.beliefs is not None:
            fail(("coalition", "actors", i, "beliefs"), "set twice: in a settlement the war model gives the no-deal "
                 "outcome (the war going on); remove the actor's beliefs")
    if len(model.coalition.no_deal) != 1:
        fail(("coalition", "no_deal"), "a settlement's no deal is the war going on (the war model): give one "
             "no-deal state for the other dimensions")
    if getattr(model, "guarantees", ()) and "punishment" not in (data.get("war") or {}):
        fail(("war", "punishment"), "a guarantee needs war.punishment (the cost its full response imposes)")
    if getattr(model, "guarantees", ()) and "response_troops" not in (data.get("war") or {}):
        fail(("war", "response_troops"), "a guarantee needs war.response_troops (what a full response adds)")


def readers() -> dict[str, str]:
    """What reads each world quantity (for `accord show`), by path prefix."""
    return {
        "terms.territory": "coalition plan.territory; bargaining x (settlement share)",
        "terms.ceded_km2": "forces cession; Kyiv's area after the settlement; the physical line L a renewed war "
                           "starts from (physical_line)",
        "war.ukraine_km2": "Kyiv's area today (less war.occupied_km2): the cession and the km2 headline",
        "terms.force_cap": "forces ukraine_cap; coalition plan.force_cap (force_cap_position)",
        "terms.long_range_strike_ban": "forces; coalition plan.weapons_limits (weapons_limits_position)",
        "terms.aid_cut": "forces aid (aid_under_plan); coalition plan.weapons_limits",
        "terms.sanctions_relief": "coalition plan.sanctions_relief; forces rearmament (rearmament_with_relief)",
        "terms.elections_within_days": "coalition plan.elections (elections_position)",
        "terms.provisions.": "survival: the reference class's hazard (scenarios/durability.py)",
        "terms.": "coalition plan (identity)",
        "guarantees.": "guarantee credibility; coalition plan.guarantee_strength (binding, capability)",
        "war.cost_challenger": "bargaining c_A; deterrence k; the challenger's actors' cost of no deal",
        "war.cost_defender": "bargaining c_B; the defender's actors' cost of no deal",
        "war.punishment": "bargaining and deterrence (war payoff P)",
        "war.response_troops": "war model against a full guarantor response (V p_g)",
        "war.claimed_km2": "territory scale (km2 -> stake shares)",
        "war.occupied_km2": "territory scale (km2 -> stake shares); Kyiv's area today (war.ukraine_km2 less it)",
        "war.": "settlement",
        "forces.": "war model (year by year)",
        "cession.": "war model (the front after the cession)",
        "coalition.": "coalition acceptance",
        "guarantee.": "guarantee credibility",
        "settlement.": "survival (combined hazard)",
    }
