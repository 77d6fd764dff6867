"""Test-only scenario: the Ishigami function (Ishigami & Homma 1990), a standard check of global
sensitivity analysis, run through the same pipeline (config -> draws -> evaluate -> headline) as any scenario.

    y = sin(x1) + a sin(x2)^2 + b x3^4 sin(x1),   x1, x2, x3 ~ uniform(-pi, pi) independently.

Analytic Sobol' indices (Sobol' & Levitan 1999; for a = 7, b = 0.1):
V = a^2/8 + b pi^4/5 + b^2 pi^8/18 + 1/2, V1 = (1 + b pi^4/5)^2 / 2, V2 = a^2/8, V3 = 0,
V13 = b^2 pi^8 (1/18 - 1/50); S1 = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437).
"""

from __future__ import annotations

import math

import numpy as np

from scenarios.config import Block, ConfigBase, Param
from scenarios.results import Headline, Result

NAME = "ishigami"
SUMMARY = "test fixture: the Ishigami function of three uniform(-pi, pi) inputs"


class Inputs(Block):
    x1: Param(-math.pi, math.pi, "1") = 0.0
    x2: Param(-math.pi, math.pi, "1") = 0.0
    x3: Param(-math.pi, math.pi, "1") = 0.0
    a: Param(None, None, "1") = 7.0
    b: Param(None, None, "1") = 0.1


class Schema(ConfigBase):
    ishigami: Inputs = Inputs()


def ishigami(x1, x2, x3, a: float = 7.0, b: float = 0.1):
    """y = sin(x1) + a sin(x2)^2 + b x3^4 sin(x1); arrays broadcast, shape (n,)."""
    return np.sin(x1) + a * np.sin(x2) ** 2 + b * x3**4 * np.sin(x1)


def evaluate(cfg: Schema, draws, rng: np.random.Generator) -> dict[str, np.ndarray]:
    c = cfg.ishigami
    y = ishigami(draws.full(c.x1), draws.full(c.x2), draws.full(c.x3), draws[c.a], draws[c.b])
    return {"y": y}


def headline(s) -> dict[str, Headline]:
    return {"y": Headline("Ishigami y", s.estimate("y"), percent=False)}


def report(config, s) -> Result:
    return Result(NAME, headline(s), {}, {}, "Ishigami function")
