"""The config of scenario `coalition` (scenarios/coalition.py): the block `coalition:` (dimensions, actors, no-deal
outcomes, ratification stages, influence, the plan) and the schema of a coalition config. No model code
(scenarios/schemas/__init__.py)."""


from typing import Any

from pydantic import Field, model_validator

from scenarios.config import Block, ConfigBase, Param
from scenarios.schemas import world as W

Position = Param(0, 1, "issue scale 0-1", "position on the dimension")


class Anchor(Block):
    at: float = Field(ge=0, le=1, description="point on the 0-1 scale")
    means: str = Field(description="what a plan at this point says")


class Dimension(Block):
    name: str
    doc: str = ""
    anchors: tuple[Anchor, ...] = ()
    source: str = ""


class Actor(Block):
    name: str
    label: str = ""
    ideal: dict[str, Position] = Field(description="ideal point per dimension (every dimension)")
    salience: dict[str, Param(0, 1, "weight", "salience of the dimension; renormalised to sum 1 per actor")]
    capability: Param(0, 1000, "relative weight", "capability (influence drawing and forecasts)") = 1.0
    cost: Param(0, 5, "utility units", "extra expected cost of no deal to the actor (c_i)") = 0.0
    beliefs: dict[str, Param(0, 1, "probability", "belief in a no-deal outcome")] | None = None
    veto: bool = Field(False, description="veto player: must be a member of some stage, and every stage member is one")
    controls: tuple[str, ...] = Field(
        (), description="a partial veto player: the dimensions it alone decides (e.g. EU sanctions, EU-held assets); its "
        "rejection keeps them at `status_quo` and cannot block the plan; empty = a full veto player")
    audience_cost: Param(0, 5, "utility units", "cost to a signatory of signing at all (A; Fearon 1994)") = 0.0
    failed_ratification_cost: Param(
        0, 5, "utility units", "cost to a signatory beyond no deal if its country fails to ratify (k; Putnam 1988)") = 0.0
    source: str = ""


class NoDealOutcome(Block):
    name: str
    doc: str = ""
    probability: Param(0, 1, "probability", "default belief in this outcome (actors without beliefs)")
    position: dict[str, Position]
    source: str = ""


class Country(Block):
    name: str
    actors: tuple[str, ...] = Field(min_length=1, description="its veto players (government first in stage order)")
    correlation: Param(0, 1, "correlation", "within-country correlation of its actors' decisions (rho_c); "
                       "the schema default 0.8 is an assumption: set it") = 0.8
    source: str = ""


class Stage(Block):
    name: str
    actors: tuple[str, ...]
    source: str = ""


class Edge(Block):
    leaner: str = Field(description="the actor who leans on (presses) the other")
    leaned_on: str = Field(description="the actor leaned on, who gives weight to the leaner's position")
    weight: Param(0, 100, "relative weight", "weight the leaned-on actor gives to the leaner's position")
    source: str = ""


class InfluenceBlock(Block):
    edges: tuple[Edge, ...] = ()
    self_weight: Param(0, 100, "relative weight", "weight each actor gives its own position") = 1.0
    susceptibility: dict[str, Param(0, 1, "share", "Friedkin-Johnsen susceptibility lambda_i")] = Field(
        default_factory=dict)
    default_susceptibility: Param(0, 1, "share", "susceptibility of actors not listed") = 0.0
    rounds: int | None = Field(None, ge=0, le=10_000, description="influence rounds; none = the equilibrium")
    source: str = ""


class PreferenceUncertainty(Block):
    """Per-trial uncertainty of the actors' coded ideal points and saliences (issue 15 review J3), an assumption:

        x*_ik ~ clip(x*_ik(coded) + U(-h, h), 0, 1),     s_i ~ Dirichlet(c s_i(coded))

    (the coded saliences normalised to sum 1; a Dirichlet keeps their sum at 1 and their mean at the coding, with
    s.d. sqrt(s (1 - s) / (c + 1)) per weight: c = 60 gives +-0.055 on a weight of .25, about the x[0.5, 1.5]
    sweep range configs/base.yaml suggests for a weight of .15). Drawn from the chunk's own stream
    (`Draws.stream`): reproducible, shared by every option run on the same seed, not a sampled parameter (so
    not in `accord sensitivity`'s indices; it is in the 10-90% spread over assumptions)."""

    enabled: bool = Field(False, description="draw the ideal points and saliences per trial (false: the coding)")
    ideal_half_width: float = Field(0.15, ge=0, le=0.5, description="h: ideal points move uniformly within +-h "
                                                                    "(0-1 scale), clipped to [0, 1]")
    salience_concentration: float = Field(60.0, gt=1, le=1e6, description="c: Dirichlet concentration around the "
                                                                          "coded saliences (larger: tighter)")
    source: str = ""


class CoalitionBlock(Block):
    dimensions: tuple[Dimension, ...] = Field(min_length=1)
    actors: tuple[Actor, ...] = Field(min_length=1)
    no_deal: tuple[NoDealOutcome, ...] = Field(min_length=1)
    stages: tuple[Stage, ...] = Field(min_length=1)
    influence: InfluenceBlock = InfluenceBlock()
    countries: tuple[Country, ...] = Field(
        (), description="veto players grouped by country (a common factor per country); an actor in none is a country "
        "of its own")
    status_quo: dict[str, Position] = Field(
        default_factory=dict, description="where a dimension stays if its partial veto player rejects it")
    plan: dict[str, Position] | None = Field(
        None, description="the plan's position per dimension (every dimension); in a settlement it is mapped from "
                          "the plan's `terms` instead (model/terms.py)")
    negotiable: tuple[str, ...] = Field((), description="dimensions `accord amend` may change")
    sigma: Param(0.001, 1, "utility units", "acceptance noise: scale of the logistic") = 0.05
    rho: Param(0, 1, "correlation", "correlation of the decisions of actors of different countries (rho_g)") = 0.0
    loss_power: float = Field(2.0, gt=0, le=4, description="p of the loss |x - x*|^p (1 linear, 2 quadratic)")
    preference_uncertainty: PreferenceUncertainty = PreferenceUncertainty()

    @model_validator(mode="after")
    def _consistent(self) -> "CoalitionBlock":
        dims = [d.name for d in self.dimensions]
        actors = [a.name for a in self.actors]
        outcomes = [o.name for o in self.no_deal]
        for what, names in (("dimension", dims), ("actor", actors), ("no_deal outcome", outcomes),
                            ("stage", [s.name for s in self.stages])):
            dup = sorted({x for x in names if names.count(x) > 1})
            if dup:
                raise ValueError(f"duplicate {what} name(s): {', '.join(dup)}")

        def check_keys(keys, allowed, where, complete):
            bad = [k for k in keys if k not in allowed]
            if bad:
                raise ValueError(f"{where}: unknown name(s) {', '.join(bad)}; allowed: {', '.join(allowed)}")
            missing = [k for k in allowed if k not in keys]
            if complete and missing:
                raise ValueError(f"{where}: missing {', '.join(missing)} (every one of {', '.join(allowed)} is needed)")

        if self.plan is not None:
            check_keys(self.plan, dims, "plan", True)
        check_keys(self.negotiable, dims, "negotiable", False)
        for o in self.no_deal:
            check_keys(o.position, dims, f"no_deal.{o.name}.position", True)
        in_stage = {a for s in self.stages for a in s.actors}
        for s in self.stages:
            check_keys(s.actors, actors, f"stages.{s.name}.actors", False)
        for a in self.actors:
            check_keys(a.ideal, dims, f"actors.{a.name}.ideal", True)
            check_keys(a.salience, dims, f"actors.{a.name}.salience", False)
            if a.beliefs is not None:
                check_keys(a.beliefs, outcomes, f"actors.{a.name}.beliefs", True)
            if a.veto != (a.name in in_stage):
                raise ValueError(
                    f"actors.{a.name}.veto is {str(a.veto).lower()} but the actor is "
                    f"{'in' if a.name in in_stage else 'in no'} stage; veto players are exactly the stage members"
                )
        for e in self.influence.edges:
            check_keys((e.leaner, e.leaned_on), actors, "influence.edges", False)
        check_keys(self.influence.susceptibility, actors, "influence.susceptibility", False)
        self._check_countries_and_partial_vetoes(dims, actors)
        return self

    def _check_countries_and_partial_vetoes(self, dims: list[str], actors: list[str]) -> None:
        """Errors located at the offending key (a ValidationError raised here keeps its location)."""
        index = {a: i for i, a in enumerate(actors)}
        names = [c.name for c in self.countries]
        dup = sorted({x for x in names if names.count(x) > 1})
        if dup:
            _fail(("countries",), f"duplicate country name(s): {', '.join(dup)}", names)
        seen: dict[str, str] = {}
        for j, country in enumerate(self.countries):
            for k, a in enumerate(country.actors):
                if a not in index:
                    _fail(("countries", j, "actors", k), f"unknown actor {a!r}{_hint(a, actors)}; allowed: "
                          f"{', '.join(actors)}", a)
                if a in seen:
                    _fail(("countries", j, "actors", k), f"actor {a!r} is already in country {seen[a]!r}; an actor "
                          "belongs to one country", a)
                seen[a] = country.name
        for k in self.status_quo:
            if k not in dims:
                _fail(("status_quo", k), f"unknown dimension {k!r}{_hint(k, dims)}; allowed: {', '.join(dims)}", k)
        controllers: dict[tuple[str, str], str] = {}
        for i, a in enumerate(self.actors):
            for j, d in enumerate(a.controls):
                where = ("actors", i, "controls", j)
                if d not in dims:
                    _fail(where, f"partial veto over unknown dimension {d!r}{_hint(d, dims)}; allowed: "
                          f"{', '.join(dims)}", d)
                if not a.veto:
                    _fail(where, f"{a.name} controls {d!r} but is not a veto player (veto: false); a partial veto "
                          "player must be a stage member", d)
                if d not in self.status_quo:
                    _fail(where, f"{a.name} controls {d!r}, which has no `status_quo` position; add "
                          f"coalition.status_quo.{d} (where {d} stays if {a.name} rejects)", d)
                country = seen.get(a.name, a.name)
                other = controllers.setdefault((country, d), a.name)
                if other != a.name:
                    _fail(where, f"{d!r} is controlled by both {other} and {a.name} of country {country!r}; "
                          "one partial veto player per dimension and country", d)


def _hint(bad: str, allowed: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(bad, allowed, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _fail(loc: tuple, message: str, value: Any) -> None:
    """Raise a validation error at `loc` (relative to the coalition block), naming the key in the message."""
    from pydantic import ValidationError
    from pydantic_core import InitErrorDetails, PydanticCustomError

    error = InitErrorDetails(type=PydanticCustomError("coalition", message), loc=loc, input=value)
    raise ValidationError.from_exception_data("coalition", [error])


# The world view's forces and guarantee blocks: imported here, after CoalitionBlock, because the world views of
# scenarios/schemas/forces.py and scenarios/schemas/guarantees.py need CoalitionBlock (any of the three may be
# imported first).
from scenarios.schemas import forces as F
from scenarios.schemas import guarantees as G


class Schema(ConfigBase):
    """A coalition config: the block alone (with its `plan`), or a view of a settlement's world (a config that
    extends one and sets `scenario: coalition`): then the plan is mapped from the world's `terms` and no deal
    is the war going on under its war model (scenarios/world.py)."""

    coalition: CoalitionBlock
    terms: W.TermsBlock | None = None
    war: W.WarBlock | None = None
    forces: F.ForcesBlock | None = None
    cession: F.CessionBlock | None = None
    guarantee: G.GuaranteeBlock | None = None
    guarantees: tuple[G.Guarantor, ...] = ()
    settlement: W.SettlementBlock | None = None

    @model_validator(mode="after")
    def _has_plan(self) -> "Schema":
        if self.coalition.plan is None and self.terms is None:
            raise ValueError("coalition.plan is required (the plan's position on every dimension), or the world's "
                             "`terms` to map it from")
        W.require_world_blocks(self)
        return self


check = W.check_view  # the registry calls a scenario schema's `check`
