"""The config of scenario `forces` (scenarios/forces.py): the block `forces:` (the balance over the peace and the
war model's case parameters), the block `cession:` and the schema of a forces config. No model code
(scenarios/schemas/__init__.py).

The defaults of the balance are model.forces.BALANCE_DEFAULTS (the Russia-Ukraine case, late 2025, with their
sources there), written out here so that reading a config needs no NumPy; N_CASE_COEFFICIENTS is
model.battles.N_CASE_COEFFICIENTS. tests/test_fast_start.py checks that they agree."""


from pydantic import Field

from scenarios.config import Block, ConfigBase, Param

# model.forces.BALANCE_DEFAULTS, the keys a config reads
_D: dict[str, float] = {
    "defender_strength_now_troops": 880_000.0,
    "equipment_depreciation_per_year": 0.15,
    "domestic_equipping_troops_per_year": 50_000.0,
    "aid_bn_per_year": 36.0,
    "troops_equipped_per_bn": 2_300.0,
    "defender_wartime_growth_per_year": 0.0,
    "attacker_strength_now_troops": 700_000.0,
    "attacker_rearmament_troops_per_year": 80_000.0,
    "attacker_wartime_growth_per_year": 45_000.0,
    "attacker_max_troops": 1_000_000.0,
    "fortified_share_before": 0.5,
    "prepared_share": 0.3,
    "defender_theatre_share": 0.7,
    "front_length_before_km": 1_250.0,
    "interdiction_share": 0.1,
}
N_CASE_COEFFICIENTS = 8  # model.battles.N_CASE_COEFFICIENTS: the battle relations' case coefficients
_Z = {"dist": "normal", "mean": 0.0, "sd": 1.0,
      "source": "estimation uncertainty of the CDB90 battle relations: coefficients = estimate + L z "
                "(L the Cholesky factor of the fit's covariance; model/battles.py)"}


class ForcesBlock(Block):
    """The balance over the peace and the war model's case parameters (units and ranges in each field)."""

    label: str = Field("", description="the option's name in tables and figures (default: the config title)")
    compare_with: tuple[str, ...] = Field(
        (), description="other forces configs to overlay (paths relative to the file where this key is written)"
    )
    horizon_years: int = Field(10, ge=1, le=50, description="years of peace modelled (T)")

    ukraine_now: Param(1, 3e6, "persons", "Ukraine's armed forces today") = _D["defender_strength_now_troops"]
    ukraine_cap: Param(0, 3e6, "persons", "cap on Ukraine's armed forces (omit: no cap)") | None = None
    equipment_depreciation_per_year: Param(0, 1, "share/year", "kit worn out or lost per year") = _D[
        "equipment_depreciation_per_year"
    ]
    domestic_equipping_per_year: Param(0, 1e6, "troop-equivalents/year", "kit Ukraine makes itself") = _D[
        "domestic_equipping_troops_per_year"
    ]
    aid_eur_bn_per_year: Param(0, 200, "EUR bn/year", "foreign military aid to Ukraine") = _D["aid_bn_per_year"]
    troops_equipped_per_eur_bn: Param(0, 2e4, "troop-equivalents per EUR bn", "kit one EUR bn of aid buys") = _D[
        "troops_equipped_per_bn"
    ]
    wartime_aid_eur_bn_per_year: Param(0, 200, "EUR bn/year", "aid while the war goes on with no settlement "
                                       "(omit: aid_eur_bn_per_year)") | None = None
    ukraine_wartime_growth_per_year: Param(-5e5, 5e5, "persons/year",
                                           "net change of Ukraine's forces while the war goes on") = _D[
        "defender_wartime_growth_per_year"
    ]

    russia_now: Param(1, 3e6, "persons", "Russian forces committed against Ukraine today") = _D[
        "attacker_strength_now_troops"
    ]
    russia_rearmament_per_year: Param(0, 1e6, "persons/year", "net peacetime growth of that force") = _D[
        "attacker_rearmament_troops_per_year"
    ]
    russia_wartime_growth_per_year: Param(-5e5, 5e5, "persons/year",
                                          "net change of that force while the war goes on") = _D[
        "attacker_wartime_growth_per_year"
    ]
    russia_max: Param(0, 3e6, "persons", "ceiling of the force Russia could commit") = _D["attacker_max_troops"]

    fortified_share: Param(0, 1, "share", "of Russia's battles that meet Ukraine's fortified lines today") = _D[
        "fortified_share_before"
    ]
    prepared_share: Param(0, 1, "share", "of Russia's battles that meet prepared (not fortified) positions") = _D[
        "prepared_share"
    ]
    russia_fortified_share: Param(0, 1, "share", "of Ukraine's battles that meet Russia's fortified lines") = 0.3
    russia_prepared_share: Param(0, 1, "share", "of Ukraine's battles that meet Russia's prepared positions") = 0.4
    ukraine_theatre_share: Param(0, 1, "share", "of Ukraine's armed forces (all personnel, the unit of its cap) in "
                                 "the theatre, so the ratio compares troops in the theatre on both sides") = _D[
        "defender_theatre_share"
    ]
    front_length_km: Param(1, 5000, "km", "length of the front today") = _D["front_length_before_km"]
    interdiction_share: Param(0, 1, "share", "of Russia's strength in the field denied by Ukraine's long-range "
                              "strike") = _D["interdiction_share"]
    long_range_strike_ban: Param(0, 1, "share", "0 strike allowed, 1 fully banned (the 28-point plan)") = 0.0
    air_superiority: Param(-1, 1, "CDB90 AEROA scale", "Russia's theatre air superiority (+1 Russia, 0 neither, "
                           "-1 Ukraine)") = 0.0
    concentration: Param(1, 10, "x", "the attacker's local superiority at the points of attack over the theatre "
                         "ratio") = 1.5

    gain_now_km2_per_day: Param(0, 1000, "km2/day", "Russia's net gains at today's balance (the anchor)") = 14.0
    intensity_surplus_elasticity: Param(0, 10, "dimensionless", "eta: the offensive tempo's elasticity to the "
                                        "attacker's theatre ratio (model/war.py intensity_factor)") = 1.0
    intensity_space_elasticity: Param(0, 10, "dimensionless", "zeta: the offensive tempo's elasticity to the "
                                      "thinning of the defender's density (force-to-space)") = 0.5
    intensity_max_factor: Param(1, 100, "x today's", "the culminating point: the most Russia's offensive tempo "
                                "can rise above today's however the balance moves (model/war.py "
                                "intensity_factor)") | None = None
    claimed_km2: Param(100, 603_700, "km2", "the geography cap of Russia's gains: the Kyiv-held rest of the oblasts "
                       "it claims (in a settlement's world: war.claimed_km2)") | None = None
    ukraine_offensive_tempo: Param(0, 1, "x Russia's", "the intensity of a dedicated Ukrainian offensive (a "
                                   "renewed war) relative to Russia's") = 0.3
    ukraine_counterattack_tempo: Param(0, 1, "x Russia's", "the intensity of Ukraine's counter-attacks in the war "
                                       "as fought today relative to Russia's offensive") = 0.05
    season_days: Param(1, 365, "days", "a renewed offensive's campaign season") = 180.0
    operations_per_year: Param(1, 1000, "per year", "independent offensive operations a side runs in a year") = 24.0
    objective_km2: Param(0, 603_700, "km2", "area of a renewed Russian offensive's objective, a sector of the front "
                         "(P(the gain in that sector >= it) is reported)") = 6000.0
    objective_name: str = Field("the rest of Donetsk oblast", description="the objective's name in reports")
    objective_sector_share: Param(0, 1, "share", "of a Russian offensive's gains made in the objective's sector"
                                  ) = 0.75

    estimation_uncertainty: bool = Field(True, description="draw the battle relations' coefficients per trial")
    relations_z: tuple[Param(None, None, "sd", "standard normal variate of the fit's uncertainty"), ...] = Field(
        (_Z,) * N_CASE_COEFFICIENTS, min_length=N_CASE_COEFFICIENTS, max_length=N_CASE_COEFFICIENTS,
        description="the standard normal variates behind each trial's draw of the battle relations")


class CessionBlock(Block):
    """What the settlement hands over and what that does to the front (top-level key ``cession:``)."""

    ceded_km2: Param(0, 603_700, "km2", "area Ukraine gives up (in a settlement's world: the plan's terms.ceded_km2)"
                     ) | None = None
    ceded_population: Param(0, 5e7, "persons", "people living there")
    held_km2_before: Param(0, 603_700, "km2", "area under Kyiv's control before the cession") = 484_000.0
    held_population_before: Param(0, 5e7, "persons", "population under Kyiv's control before") = 31e6
    front_length_after_km: Param(1, 5000, "km", "front length after the withdrawal")
    fortified_share_after: Param(0, 1, "share", "of Russia's battles meeting fortified lines right after the "
                                 "withdrawal (the rest of what was fortified is then prepared)")
    fortified_rebuild_per_year: Param(0, 1, "share/year", "moved back from prepared to fortified per year as new "
                                      "lines are built (up to today's share)") = 0.05


# The world view's blocks: imported here, after the forces blocks, because scenarios/schemas/coalition.py and
# scenarios/schemas/guarantees.py import this module for them (any of the three may be imported first).
from scenarios.schemas import coalition as C
from scenarios.schemas import guarantees as G
from scenarios.schemas import world as WD


class Schema(ConfigBase):
    """A forces config: the balance on its own (today's levels and trends, with a plan's changes written into
    the block), or a view of a settlement's world (a config that extends one and sets `scenario: forces`):
    then the plan's cap, strike ban, aid cut, sanctions relief and cession come from the world's `terms`
    (scenarios/world.py forces_plan) and the block is the world without the plan."""

    forces: ForcesBlock
    cession: CessionBlock | None = None
    terms: WD.TermsBlock | None = None
    war: WD.WarBlock | None = None
    coalition: C.CoalitionBlock | None = None
    guarantee: G.GuaranteeBlock | None = None
    guarantees: tuple[G.Guarantor, ...] = ()
    settlement: WD.SettlementBlock | None = None


check = WD.check_view  # the registry calls a scenario schema's `check`
