"""The settlement: is the plan adopted, and if it is, does the peace hold?

Per trial the composite runs coalition -> (forces, guarantees) -> bargaining (MODELS.md section 3):

1. coalition acceptance gives P(adopted); the trial's plan is adopted with that probability;
2. the force model gives the challenger's chance of a breakthrough in a renewed war, year by year, p(t)
   (taken as its chance of winning, Fearon's p), and the expected territory a renewed offensive takes;
3. the guarantee model gives the expected response q (credibility after escape clauses), which raises the
   challenger's cost of war: c_A_eff = c_A + q * P_punish;
4. the settlement breaks in the first year its terms leave Fearon's (1995) bargaining range
   p(t) - c_A_eff <= x <= p(t) + c_B (optionally also when Powell's (2006) commitment condition holds),
   or, as a configured alternative, by a yearly hazard from the challenger's net gain.

Outcomes per trial: not adopted (war continues), adopted and holds through the horizon, adopted and breaks in
year t. Territory under Kyiv's control at the horizon: today's area, minus the cession if adopted, minus the
expected loss of a renewed offensive if the peace breaks, or minus the continued war's yearly losses if the
plan is not adopted (a linear extrapolation, marked as an assumption in the configs).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from matplotlib.figure import Figure

from model import bargaining as B
from model.stats import wilson_interval
from scenarios import coalition as C
from scenarios import forces as F
from scenarios import guarantees as G
from scenarios.config import Block, Config, ConfigBase, Param, from_data
from scenarios.engine import Draws, Summaries, summarise
from scenarios.results import Headline, Result, Table

NAME = "settlement"
SUMMARY = "the composite: adoption (coalition), then the balance (forces), guarantees and bargaining year by year"
MILESTONES = (1, 3, 5, 10)
OUTCOME_LABELS = ("not adopted (war continues)", "adopted and holds through the horizon", "adopted, breaks")


class TerritoryBlock(Block):
    kyiv_km2_now: Param(0, 603_700, "km2", "area under Kyiv's control today")
    ceded_km2: Param(0, 603_700, "km2", "area Ukraine gives up under the plan") = 0.0
    war_loss_km2_per_year: Param(0, 100_000, "km2/year", "Russian gains per year if the war goes on") = 0.0


class SettlementBlock(Block):
    rule: Literal["range", "hazard"] = "range"
    include_commitment: bool = False
    settlement_share: Param(0, 1, "share of the stake", "the challenger's share under the settlement (Fearon's x)")
    cost_challenger: Param(0, 1, "share of the stake", "the challenger's cost of a renewed war (c_A)")
    cost_defender: Param(0, 1, "share of the stake", "the defender's cost of a renewed war (c_B)")
    punishment: Param(0, 2, "share of the stake", "cost a full guarantor response imposes (P_punish)")
    discount: Param(0, 0.99, "per year", "discount factor (Powell's delta)") = 0.9
    hazard_midpoint: Param(-1, 1, "share of the stake", "net gain at which the yearly hazard is 1/2") = 0.0
    hazard_scale: Param(0.001, 1, "share of the stake", "spread of the hazard's logistic") = 0.05
    territory: TerritoryBlock


class Schema(ConfigBase):
    coalition: C.CoalitionBlock
    forces: F.ForcesBlock
    cession: F.CessionBlock | None = None
    guarantee: G.GuaranteeBlock | None = None
    guarantees: tuple[G.Guarantor, ...] = ()
    challenger: G.Challenger | None = None
    settlement: SettlementBlock


def evaluate(cfg: Schema, draws: Draws, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per-trial outcomes; arrays (n,) or (n, T+1) for survival; NaN where a metric is conditional on
    adoption and the trial's plan was not adopted."""
    n = draws.n
    s = cfg.settlement
    coal = C.compute(cfg.coalition, draws)
    p_adopted = np.broadcast_to(coal["p_adopted"], (n,))
    adopted = rng.random(n) < p_adopted

    bal = F.compute(cfg.forces, draws)
    p_path = np.clip(bal["p_breakthrough"], 0.0, 1.0)  # (n, T)
    T = p_path.shape[1]
    km2_lost = bal["km2_lost"]  # (n, T): expected loss of a renewed offensive launched in year t

    if cfg.guarantees and cfg.guarantee is not None and cfg.challenger is not None:
        gua = G.compute(cfg.guarantee, cfg.guarantees, cfg.challenger, draws, p_win=p_path)
        q = np.broadcast_to(gua["q_eff"], (n,))
    else:
        gua, q = {}, np.zeros(n)

    break_year = B.settlement_breaks(
        draws[s.settlement_share], p_path, q, draws[s.punishment], draws[s.cost_challenger],
        draws[s.cost_defender], draws[s.discount], rule=s.rule, include_commitment=s.include_commitment,
        hazard_midpoint=draws[s.hazard_midpoint], hazard_scale=draws[s.hazard_scale], rng=rng,
    )  # (n,) in 0..T; T = held through the horizon
    years = np.arange(T + 1)
    alive = (break_year[:, None] >= years[None, :]).astype(float)  # (n, T+1): held at least t years
    cond = np.where(adopted, 1.0, np.nan)

    t = s.territory
    now, ceded, war_loss = draws.full(t.kyiv_km2_now), draws.full(t.ceded_km2), draws.full(t.war_loss_km2_per_year)
    breaks = break_year < T
    lost_in_renewed_war = np.where(breaks, km2_lost[np.arange(n), np.minimum(break_year, T - 1)], 0.0)
    kyiv_km2 = np.where(adopted, now - ceded - lost_in_renewed_war, now - war_loss * T)

    out = {
        "p_adopted": p_adopted,
        "adopted": adopted.astype(float),
        "survival": alive * cond[:, None],
        "years_of_peace": np.where(adopted, np.minimum(break_year, T), np.nan).astype(float),
        "kyiv_km2_at_horizon": np.maximum(kyiv_km2, 0.0),
        "outcome_not_adopted": (~adopted).astype(float),
        "outcome_holds": (adopted & ~breaks).astype(float),
        "outcome_breaks_year": np.where(adopted[:, None], (break_year[:, None] == years[None, :T]), False).astype(float),
        "q_eff": q,
        "p_breakthrough": p_path,
    }
    for m in MILESTONES:
        if m <= T:
            out[f"p_holds_{m}y"] = np.where(adopted, (break_year >= m).astype(float), np.nan)
            out[f"p_adopted_and_holds_{m}y"] = (adopted & (break_year >= m)).astype(float)
    for name, value in coal.items():
        if name.startswith("p_accept."):
            out[name] = np.broadcast_to(value, (n,))
    return out


def headline(s: Summaries) -> dict[str, Headline]:
    h = {"p_adopted": Headline("P(adopted)", s.estimate("p_adopted", proportion=True))}
    for m in MILESTONES:
        if f"p_holds_{m}y" in s:
            h[f"p_holds_{m}y"] = Headline(f"P(holds {m} years | adopted)", s.estimate(f"p_holds_{m}y", proportion=True))
    for m in MILESTONES:
        if f"p_adopted_and_holds_{m}y" in s and m == 5:
            h["p_adopted_and_holds_5y"] = Headline("P(adopted and holds 5 years)",
                                                   s.estimate("p_adopted_and_holds_5y", proportion=True))
    h["years_of_peace"] = Headline("expected years of peace | adopted", s.estimate("years_of_peace"), percent=False)
    h["kyiv_km2_at_horizon"] = Headline("km2 under Kyiv's control at the horizon", s.estimate("kyiv_km2_at_horizon"),
                                        percent=False)
    return h


def survival_table(s: Summaries) -> Table:
    acc = s["survival"]
    mean, n = acc.mean_value(), acc.count
    lo, hi = wilson_interval(mean, n)
    rows = [[int(t), float(mean[t]), float(acc.se()[t]), float(lo[t]), float(hi[t]), int(n[t])] for t in range(len(mean))]
    return Table(["year", "p_holds", "se", "ci95_low", "ci95_high", "n_adopted_trials"], rows)


def outcomes_table(s: Summaries) -> Table:
    rows = []
    for key, label in (("outcome_not_adopted", OUTCOME_LABELS[0]), ("outcome_holds", OUTCOME_LABELS[1])):
        e = s.estimate(key, proportion=True)
        rows.append([label, "", e.mean, e.se, e.lo, e.hi])
    acc = s["outcome_breaks_year"]
    lo, hi = wilson_interval(acc.mean_value(), acc.count)
    for t, (p, se) in enumerate(zip(acc.mean_value(), acc.se())):
        rows.append([OUTCOME_LABELS[2], t + 1, float(p), float(se), float(lo[t]), float(hi[t])])
    return Table(["outcome", "breaks_in_year", "probability", "se", "ci95_low", "ci95_high"], rows)


def survival_figure(curves: dict[str, Table]) -> Figure:
    fig = Figure(figsize=(7, 4.2))
    ax = fig.subplots()
    for label, table in curves.items():
        rec = table.records()
        years = [r["year"] for r in rec]
        line, = ax.step(years, [r["p_holds"] for r in rec], where="post", label=label)
        ax.fill_between(years, [r["ci95_low"] for r in rec], [r["ci95_high"] for r in rec], step="post",
                        alpha=0.2, color=line.get_color())
    ax.set(xlabel="years since the settlement", ylabel="P(peace holds | adopted)", ylim=(0, 1.02))
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)
    ax.set_title("Survival of the settlement (95% Monte Carlo band)")
    return fig


def outcomes_figure(bars: dict[str, dict[str, tuple[float, float]]]) -> Figure:
    """bars: option -> {outcome label: (probability, se)}; stacked horizontal bars with the breaks split by
    early (years 1-3) and late."""
    fig = Figure(figsize=(7, 0.9 + 0.6 * len(bars)))
    ax = fig.subplots()
    colours = ["#b2182b", "#2166ac", "#f4a582", "#fddbc7"]
    for i, (option, parts) in enumerate(bars.items()):
        left = 0.0
        for j, (label, (p, _)) in enumerate(parts.items()):
            ax.barh(i, p, left=left, color=colours[j % len(colours)], label=label if i == 0 else None)
            left += p
    ax.set_yticks(range(len(bars)), list(bars))
    ax.set(xlim=(0, 1), xlabel="share of trials")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=2)
    ax.set_title("Outcomes over the horizon")
    return fig


def outcome_bars(s: Summaries) -> dict[str, tuple[float, float]]:
    acc = s["outcome_breaks_year"]
    p_year, T = acc.mean_value(), len(acc.mean_value())
    early = float(np.sum(p_year[: min(3, T)]))
    late = float(np.sum(p_year[min(3, T):]))
    return {
        OUTCOME_LABELS[0]: (s.estimate("outcome_not_adopted").mean, s.estimate("outcome_not_adopted").se),
        OUTCOME_LABELS[1]: (s.estimate("outcome_holds").mean, s.estimate("outcome_holds").se),
        "adopted, breaks in years 1-3": (early, float("nan")),
        "adopted, breaks later": (late, float("nan")),
    }


def one_at_a_time(config: Config, metric: str = "p_adopted_and_holds_5y", trials: int = 2000,
                  top: int = 3) -> list[tuple[str, float, float, float]]:
    """Quick one-at-a-time sensitivity: each uncertain parameter set to its 10% and 90% quantiles, the others
    drawn as usual (same seed: common random numbers). Returns the ``top`` (parameter, low, high, swing)."""
    seed = config.model.run.seed
    swings = []
    for path, dist in config.uncertain().items():
        vals = []
        for q in (0.1, 0.9):
            x = float(dist.ppf(np.array([q]))[0])
            cfg = from_data(config.data, overrides=[f"{path}={x!r}"], path=config.path)
            vals.append(summarise(cfg, trials, seed, "mc").estimate(metric).mean)
        swings.append((path, vals[0], vals[1], abs(vals[1] - vals[0])))
    swings.sort(key=lambda r: -r[3])
    return swings[:top]


def report(config: Config, s: Summaries) -> Result:
    cfg: Schema = config.model  # type: ignore[assignment]
    label = cfg.title or config.stem
    head = headline(s)
    survival = survival_table(s)
    tables = {"outcomes": outcomes_table(s), "survival": survival}
    tables["headline"] = Table(["metric", "label", "mean", "se", "ci95_low", "ci95_high", "n_trials"],
                               [[k, h.label, *h.estimate.as_dict().values()] for k, h in head.items()])
    acc = [[a.removeprefix("p_accept."), s.estimate(a, proportion=True).mean, s.estimate(a).se]
           for a in sorted(k for k in s.acc if k.startswith("p_accept."))]
    tables["acceptance"] = Table(["actor", "p_accept", "se"], acc)
    pb = s["p_breakthrough"]
    q05, q50, q95 = pb.quantiles()
    tables["breakthrough"] = Table(
        ["year", "p_breakthrough_mean", "se", "q05", "q50", "q95"],
        [[t + 1, float(pb.mean_value()[t]), float(pb.se()[t]), float(q05[t]), float(q50[t]), float(q95[t])]
         for t in range(len(q50))],
    )
    figures = {"survival": survival_figure({label: survival}), "outcomes": outcomes_figure({label: outcome_bars(s)})}

    oat = one_at_a_time(config) if config.uncertain() else []
    e5 = head.get("p_holds_5y")
    pa = head["p_adopted"].estimate
    lines = [
        "## In one sentence", "",
        f"Under this config ({label}), the plan is adopted in {pa.mean:.0%} of {pa.n:,} simulated futures "
        f"(95% CI {pa.lo:.0%}-{pa.hi:.0%})"
        + (f"; if adopted, the peace still holds after five years in {e5.estimate.mean:.0%} of them "
           f"(95% CI {e5.estimate.lo:.0%}-{e5.estimate.hi:.0%})." if e5 and np.isfinite(e5.estimate.mean) else "."),
        "",
        "## P(peace holds | adopted)", "",
        "| years | P(holds) | 95% interval |", "|---|---|---|",
    ]
    for r in survival.records():
        if r["year"] in (0, *MILESTONES):
            lines.append(f"| {r['year']} | {r['p_holds']:.3f} | {r['ci95_low']:.3f}-{r['ci95_high']:.3f} |")
    if oat:
        intro = ("One at a time, each uncertain parameter at its 10% and 90% quantile (others drawn as usual, "
                 "2,000 trials each, common random numbers); effect on P(adopted and holds 5 years):")
        lines += ["", "## The assumptions that matter most", "", intro, ""]
        for path, lo, hi, swing in oat:
            lines.append(f"- `{path}`: {lo:.3f} -> {hi:.3f} (swing {swing:.3f}, Monte Carlo s.e. about "
                         f"{np.sqrt(0.25 / 2000) * np.sqrt(2):.3f})")
    where = ("Figures: `figures/survival.png`, `figures/outcomes.png`. Tables: `tables/outcomes.csv`, "
             "`tables/survival.csv`, `tables/breakthrough.csv`, `tables/acceptance.csv`.")
    lines += ["", where]
    return Result(NAME, head, tables, figures, "\n".join(lines))

