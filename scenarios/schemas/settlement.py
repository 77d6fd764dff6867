"""The config of scenario `settlement` (scenarios/settlement.py), the composite: one world per trial, its blocks
those of the other scenarios and of the world (scenarios/schemas/world.py). No model code
(scenarios/schemas/__init__.py)."""


from scenarios.config import Config, ConfigBase
from scenarios.schemas import coalition as C
from scenarios.schemas import forces as F
from scenarios.schemas import guarantees as G
from scenarios.schemas import world as W


class Schema(ConfigBase):
    terms: W.TermsBlock
    war: W.WarBlock
    coalition: C.CoalitionBlock
    forces: F.ForcesBlock
    cession: F.CessionBlock | None = None
    guarantee: G.GuaranteeBlock | None = None
    guarantees: tuple[G.Guarantor, ...] = ()
    challenger: G.Challenger | None = None  # not in a world config: check() says where its quantities live
    settlement: W.SettlementBlock = W.SettlementBlock()


def check(config: Config) -> None:
    """One draw per real-world quantity (scenarios.world.check_world)."""
    W.check_world(config)
