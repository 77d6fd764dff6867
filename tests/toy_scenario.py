"""A minimal scenario used only by the tests of the spine (config, sampling, engine, run directories)."""

from __future__ import annotations

import numpy as np

from scenarios.config import Block, ConfigBase, Param
from scenarios.results import Headline, Result, Table

NAME = "toy"
SUMMARY = "test fixture: sums its parameters"


class Item(Block):
    name: str
    weight: Param(0, 1, "share")


class Toy(Block):
    x: Param(0, 10, "km")
    y: Param() = 0.0
    items: tuple[Item, ...] = ()


class Schema(ConfigBase):
    toy: Toy


def evaluate(cfg: Schema, draws, rng: np.random.Generator) -> dict[str, np.ndarray]:
    x = draws.full(cfg.toy.x)
    total = x + draws[cfg.toy.y] + sum(draws[i.weight] for i in cfg.toy.items)
    return {"x": x, "total": total, "above_5": (x > 5).astype(float), "noise": rng.random(draws.n)}


def report(config, s) -> Result:
    rows = []
    for name in ("x", "total", "noise"):
        e = s.estimate(name)
        q05, q50, q95 = s[name].quantiles()
        rows.append([name, e.mean, e.se, q05, q50, q95])
    table = Table(["metric", "mean", "se", "q05", "q50", "q95"], rows)
    head = {"above_5": Headline("P(x > 5)", s.estimate("above_5", proportion=True))}
    return Result(NAME, head, {"metrics": table}, {}, "toy brief")
