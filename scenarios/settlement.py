"""The settlement: is the plan adopted, and if it is, does the peace hold?

Per trial the composite runs coalition -> (forces, guarantees) -> bargaining (MODELS.md section 3):

1. coalition acceptance gives P(adopted); rather than tossing that coin, each trial carries it as a weight, and
   metrics conditional on adoption are weighted means over all trials (``conditional``);
2. the force model gives the challenger's chance of a breakthrough in a renewed war, year by year, p_b(t), and
   the expected territory a renewed offensive takes; Fearon's p (the challenger's expected share of the
   stake from war) is p(t) = x + p_b(t) (1 - x) for a war fought from the settlement's line x
   (model.bargaining.expected_war_share);
3. the guarantee model gives the expected response q (credibility after escape clauses), which raises the
   challenger's cost of war: c_A_eff = c_A + q * P_punish;
4. the settlement breaks in the first year its terms leave Fearon's (1995) bargaining range
   p(t) - c_A_eff <= x <= p(t) + c_B (optionally also when Powell's (2006) commitment condition holds),
   or, as a configured alternative, by a yearly hazard from the challenger's net gain.

Outcomes (probabilities, averaged over trials): not adopted (war continues), adopted and holds through the
horizon, adopted and breaks in year t. Territory under Kyiv's control at the horizon: today's area, minus the cession if adopted, minus the
expected loss of a renewed offensive if the peace breaks, or minus the continued war's yearly losses if the
plan is not adopted (a linear extrapolation, marked as an assumption in the configs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np

from model import bargaining as B
from model.stats import Z95, Estimate
from scenarios import coalition as C
from scenarios import forces as F
from scenarios import guarantees as G
from scenarios import plots
from scenarios.config import Block, Config, ConfigBase, Param
from scenarios.engine import Draws, Summaries, summarise_variants
from scenarios.results import Headline, Result, Table, number_text

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "settlement"
SUMMARY = "the composite: adoption (coalition), then the balance (forces), guarantees and bargaining year by year"
MILESTONES = (1, 3, 5, 10)
OUTCOME_LABELS = ("not adopted (war continues)", "adopted and holds through the horizon", "adopted, breaks")


class TerritoryBlock(Block):
    kyiv_km2_now: Param(0, 603_700, "km2", "area under Kyiv's control today (the cession's held_km2_before when the "
                        "config has a `cession:` block)")
    ceded_km2: Param(0, 603_700, "km2", "area Ukraine gives up (used only when the config has no `cession:` block)") = 0.0
    war_loss_km2_per_year: Param(0, 100_000, "km2/year", "Russian gains per year if the war goes on") = 0.0


class SettlementBlock(Block):
    rule: Literal["range", "hazard"] = "range"
    include_commitment: bool = False
    settlement_share: Param(0, 1, "share of the stake", "the challenger's share under the settlement (Fearon's x)")
    cost_challenger: Param(0, 1, "share of the stake", "the challenger's cost of a renewed war (c_A)")
    cost_defender: Param(0, 1, "share of the stake", "the defender's cost of a renewed war (c_B)")
    punishment: Param(0, 2, "share of the stake",
                      "cost a full guarantor response imposes (P_punish); default: the challenger block's") | None = None
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
    """Per-trial outputs, arrays (n,), (n, T) or (n, T+1).

    Adoption is not sampled: each trial carries its probability of adoption w = P(adopted | parameters) as a
    weight (conditioning by weighting, i.e. Rao-Blackwellisation of the adoption coin), so that
    P(holds t | adopted) = E[w * alive_t] / E[w] uses every trial, not only the few in which a rarely
    accepted plan happens to be adopted. The outputs ending in ``.w`` and ``.w2`` feed that ratio estimator
    and its delta-method standard error (see ``conditional``)."""
    n = draws.n
    s = cfg.settlement
    coal = C.compute(cfg.coalition, draws)
    w = np.broadcast_to(np.asarray(coal["p_adopted"], float), (n,))

    bal = F.compute(cfg.forces, cfg.cession, draws)
    p_path = np.clip(bal["p_breakthrough"], 0.0, 1.0)  # (n, T)
    T = p_path.shape[1]
    km2_lost = bal["km2_lost"]  # (n, T): expected loss of a renewed offensive launched in year t

    if cfg.guarantees and cfg.guarantee is not None and cfg.challenger is not None:
        # the challenger's chance of winning a renewed war at the start of the peace (year 1)
        gua = G.compute(cfg.guarantee, cfg.guarantees, cfg.challenger, draws, gain=p_path[:, 0])
        q = np.broadcast_to(gua["q_eff"], (n,))
    else:
        gua, q = {}, np.zeros(n)

    # one draw per trial of each quantity the components share: the punishment a full response imposes
    # (the guarantee model's challenger.punishment) and the area Kyiv holds today (the cession's)
    if s.punishment is not None:
        punishment = draws[s.punishment]
    elif cfg.challenger is not None:
        punishment = draws[cfg.challenger.punishment]
    else:
        punishment = 0.0  # no guarantee, nobody to punish
    share = draws[s.settlement_share]
    break_year = B.settlement_breaks(
        share, B.expected_war_share(share, p_path), q, punishment, draws[s.cost_challenger],
        draws[s.cost_defender], draws[s.discount], rule=s.rule, include_commitment=s.include_commitment,
        hazard_midpoint=draws[s.hazard_midpoint], hazard_scale=draws[s.hazard_scale], rng=rng,
    )  # (n,) in 0..T: the number of years the peace holds if the plan is in force; T = through the horizon
    years = np.arange(T + 1)
    alive = (break_year[:, None] >= years[None, :]).astype(float)  # (n, T+1): held at least t years
    held_years = np.minimum(break_year, T).astype(float)

    t = s.territory
    now = bal["cession_held_km2_before"] if "cession_held_km2_before" in bal else draws.full(t.kyiv_km2_now)
    war_loss = draws.full(t.war_loss_km2_per_year)
    # one draw of the ceded area per trial: the force model's cession, when the config has one
    ceded = bal["cession_ceded_km2"] if cfg.cession is not None else draws.full(t.ceded_km2)
    breaks = break_year < T
    lost_in_renewed_war = np.where(breaks, km2_lost[np.arange(n), np.minimum(break_year, T - 1)], 0.0)
    km2_if_adopted = np.maximum(now - ceded - lost_in_renewed_war, 0.0)
    km2_if_not = np.maximum(now - war_loss * T, 0.0)

    w2 = w * w
    out = {
        "p_adopted": w,
        "p_adopted.w2": w2,
        "survival.w": w[:, None] * alive,
        "survival.w2": w2[:, None] * alive,
        "years_of_peace.w": w * held_years,
        "years_of_peace.w2": w2 * held_years,
        "years_of_peace.w2v2": w2 * held_years**2,
        "kyiv_km2_at_horizon": w * km2_if_adopted + (1 - w) * km2_if_not,
        "outcome_not_adopted": 1 - w,
        "outcome_holds": w * (~breaks),
        "outcome_breaks_year": w[:, None] * (break_year[:, None] == years[None, :T]),
        "q_eff": q,
        "p_breakthrough": p_path,
    }
    for m in MILESTONES:
        if m <= T:
            out[f"p_adopted_and_holds_{m}y"] = w * alive[:, m]
    # the components' own per-trial outputs, so their tables and figures come with the default run
    for part in (coal, bal, gua):
        for name, value in part.items():
            out.setdefault(name, value)
    return out


def paired_ratios(outputs: dict[str, np.ndarray]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per trial, the numerator and the denominator of each headline that is a ratio estimator (see
    `conditional`): `accord compare` pairs them across options on common random numbers."""
    w = outputs["p_adopted"]
    survival = outputs["survival.w"]
    ratios = {f"p_holds_{m}y": (survival[:, m], w) for m in MILESTONES if m < survival.shape[1]}
    ratios["years_of_peace"] = (outputs["years_of_peace.w"], w)
    return ratios


def per_draw(outputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each headline metric's value in each draw (trial: one joint draw of every uncertain parameter), (n,) per
    metric, for `accord compare`'s win shares and regret. P(adopted): the trial's P(adopted | parameters) = w. A
    conditional metric takes its value given adoption in that draw: P(holds t years | adopted) is whether the
    peace holds t years if the plan is in force (1 or 0 under the range rule; the hazard rule's draw otherwise),
    expected years of peace | adopted the years it holds; both NaN where w = 0 (never adopted: undefined, left
    out of the comparison). P(adopted and holds 5 years) = w x holds; km2 at the horizon as the trial's
    expectation over adoption. The lead maintains this with the settlement's outputs."""
    w = np.asarray(outputs["p_adopted"], dtype=float)

    def given(weighted: np.ndarray) -> np.ndarray:  # (w v) / w, exactly v for a 0/1 v; NaN where w = 0
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(w > 0, weighted / w, np.nan)

    survival = outputs["survival.w"]
    out = {"p_adopted": w}
    for m in MILESTONES:
        if m < survival.shape[1]:
            out[f"p_holds_{m}y"] = given(survival[:, m])
    if "p_adopted_and_holds_5y" in outputs:
        out["p_adopted_and_holds_5y"] = np.asarray(outputs["p_adopted_and_holds_5y"], dtype=float)
    out["years_of_peace"] = given(outputs["years_of_peace.w"])
    out["kyiv_km2_at_horizon"] = np.asarray(outputs["kyiv_km2_at_horizon"], dtype=float)
    return out


def conditional(s: Summaries, name: str, index: tuple = (), binary: bool = True) -> tuple[Estimate, float]:
    """E[v | adopted] = E[w v] / E[w] over the trials (w = P(adopted | parameters)), with the delta-method
    standard error of a ratio estimator (Cochran 1977, ch. 6):

        R = mean(w v) / mean(w),   se(R) = sqrt((E[w^2 v^2] - 2 R E[w^2 v] + R^2 E[w^2]) / n) / mean(w)

    and the effective sample size n_eff = n mean(w)^2 / mean(w^2). For a 0/1 v, E[w^2 v^2] = E[w^2 v].
    Returns (estimate with a normal 95% interval, clipped to [0, 1] for 0/1 outcomes; n_eff)."""
    n = s.n_trials
    mw, mw2 = s["p_adopted"].mean_value(), s["p_adopted.w2"].mean_value()
    a = s[f"{name}.w"].mean_value()[index]
    b = s[f"{name}.w2"].mean_value()[index]
    c = b if binary else s[f"{name}.w2v2"].mean_value()[index]
    if not mw > 0:
        nan = float("nan")
        return Estimate(nan, nan, nan, nan, n), 0.0
    r = float(a / mw)
    var = max(float(c - 2 * r * b + r * r * mw2), 0.0)
    se = float(np.sqrt(var / n) / mw)
    if binary:
        r = min(max(r, 0.0), 1.0)  # a ratio of two float sums can stray past 1 by rounding
    lo, hi = r - Z95 * se, r + Z95 * se
    if binary:
        lo, hi = max(lo, 0.0), min(hi, 1.0)
    return Estimate(r, se, lo, hi, n), float(n * mw * mw / mw2)


def headline(s: Summaries) -> dict[str, Headline]:
    h = {"p_adopted": Headline("P(adopted)", s.estimate("p_adopted", proportion=True))}
    T = len(s["survival.w"].mean_value()) - 1
    for m in MILESTONES:
        if m <= T:
            h[f"p_holds_{m}y"] = Headline(f"P(holds {m} year{'s' if m > 1 else ''} | adopted)", conditional(s, "survival", (m,))[0])
    if 5 <= T:
        h["p_adopted_and_holds_5y"] = Headline("P(adopted and holds 5 years)",
                                               s.estimate("p_adopted_and_holds_5y", proportion=True))
    h["years_of_peace"] = Headline("expected years of peace | adopted", conditional(s, "years_of_peace",
                                                                               binary=False)[0], percent=False)
    h["kyiv_km2_at_horizon"] = Headline("km2 under Kyiv's control at the horizon", s.estimate("kyiv_km2_at_horizon"),
                                        percent=False)
    return h


def survival_table(s: Summaries) -> Table:
    T = len(s["survival.w"].mean_value()) - 1
    rows = []
    for t in range(T + 1):
        e, n_eff = conditional(s, "survival", (t,))
        rows.append([t, e.mean, e.se, e.lo, e.hi, round(n_eff, 1), e.n])
    return Table(["year", "p_holds", "se", "ci95_low", "ci95_high", "n_effective", "n_trials"], rows)


def outcomes_table(s: Summaries) -> Table:
    rows = []
    for key, label in (("outcome_not_adopted", OUTCOME_LABELS[0]), ("outcome_holds", OUTCOME_LABELS[1])):
        e = s.estimate(key, proportion=True)
        rows.append([label, "", e.mean, e.se, e.lo, e.hi])
    acc = s["outcome_breaks_year"]
    mean, se = acc.mean_value(), acc.se()
    for t in range(len(mean)):
        rows.append([OUTCOME_LABELS[2], t + 1, float(mean[t]), float(se[t]), max(float(mean[t] - Z95 * se[t]), 0.0),
                     min(float(mean[t] + Z95 * se[t]), 1.0)])
    return Table(["outcome", "breaks_in_year", "probability", "se", "ci95_low", "ci95_high"], rows)


def survival_figure(curves: dict[str, Table]) -> Figure:
    fig = plots.figure(figsize=(7, 4.2))
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
    fig = plots.figure(figsize=(7, 0.9 + 0.6 * len(bars)))
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


OAT_METRICS = ("p_adopted", "p_holds_5y")


def one_at_a_time(config: Config, trials: int = 2000, top: int = 3) -> list[dict]:
    """Quick one-at-a-time sensitivity: each uncertain parameter set to its 10% and 90% quantiles, the others
    drawn as usual (same seed: common random numbers), effect on P(adopted) and P(holds 5 years | adopted).
    Returns the ``top`` parameters by the larger of the two swings: dicts with path and, per metric,
    (value at 10%, value at 90%, swing, s.e. of the swing if the two runs were independent: an upper bound),
    ranked by the relative swing of their product, P(adopted and holds 5 years)."""
    dists = config.uncertain()
    variants = [{path: float(dist.ppf(np.array([q]))[0])} for path, dist in dists.items() for q in (0.1, 0.9)]
    # each variant as if run alone with `--set path=value` (same seed, sampler mc), without re-validating
    summaries = summarise_variants(config, trials, config.model.run.seed, variants,
                                   outputs=("p_adopted", "p_adopted.w2", "survival.w", "survival.w2"))

    def metrics(s: Summaries) -> dict[str, Estimate]:  # OAT_METRICS, as the headline computes them
        out = {"p_adopted": s.estimate("p_adopted", proportion=True)}
        if len(s["survival.w"].mean_value()) > 5:
            out["p_holds_5y"] = conditional(s, "survival", (5,))[0]
        return out

    rows = []
    for i, path in enumerate(dists):
        at = [metrics(summaries[2 * i]), metrics(summaries[2 * i + 1])]
        row: dict = {"path": path}
        for m in OAT_METRICS:
            if m in at[0]:
                lo, hi = at[0][m], at[1][m]
                row[m] = (lo.mean, hi.mean, abs(hi.mean - lo.mean), float(np.hypot(lo.se, hi.se)))
        # rank by the relative swing of P(adopted and holds 5 years) = P(adopted) * P(holds 5 | adopted)
        lo_joint = np.prod([row[m][0] for m in OAT_METRICS if m in row])
        hi_joint = np.prod([row[m][1] for m in OAT_METRICS if m in row])
        with np.errstate(divide="ignore", invalid="ignore"):
            swing = abs(float(np.log(hi_joint) - np.log(lo_joint)))
        row["swing"] = swing if np.isfinite(swing) else (0.0 if lo_joint == hi_joint else np.inf)
        row["joint"] = (float(lo_joint), float(hi_joint))
        rows.append(row)
    rows.sort(key=lambda r: -r["swing"])
    return rows[:top]



def report(config: Config, s: Summaries) -> Result:
    cfg: Schema = config.model  # type: ignore[assignment]
    label = cfg.title or config.stem
    head = headline(s)
    survival = survival_table(s)
    tables = {"outcomes": outcomes_table(s), "survival": survival}
    tables["headline"] = Table(["metric", "label", "mean", "se", "ci95_low", "ci95_high", "n_trials"],
                               [[k, h.label, *h.estimate.as_dict().values()] for k, h in head.items()])
    figures = {"survival": survival_figure({label: survival}), "outcomes": outcomes_figure({label: outcome_bars(s)})}
    components = [C, F] + ([G] if cfg.guarantees and cfg.guarantee is not None and cfg.challenger is not None else [])
    for part in components:
        part_tables, part_figures = part.tables_figures(config, s)
        tables = {**part_tables, **tables}
        figures = {**part_figures, **figures}

    oat = one_at_a_time(config) if config.uncertain() else []
    e5 = head.get("p_holds_5y")
    pa = head["p_adopted"].estimate
    lines = [
        "## In one sentence", "",
        f"Under this config ({label}), the chance that the plan is adopted is {number_text(pa.mean, percent=True)} "
        f"(95% CI {number_text(pa.lo, percent=True)}-{number_text(pa.hi, percent=True)}, {pa.n:,} simulated futures)"
        + (f"; if it is adopted, the peace still holds after five years with probability {number_text(e5.estimate.mean, percent=True)} "
           f"(95% CI {number_text(e5.estimate.lo, percent=True)}-{number_text(e5.estimate.hi, percent=True)})." if e5 and np.isfinite(e5.estimate.mean) else "."),
        "",
        ("Conditional figures weight each simulated future by its probability of adoption (effective sample size "
         f"{survival.records()[0]['n_effective']:,.0f} of {pa.n:,})."),
        "",
        "## P(peace holds | adopted)", "",
        "| years | P(holds) | 95% interval |", "|---|---|---|",
    ]
    for r in survival.records():
        if r["year"] in (0, *MILESTONES):
            lines.append(f"| {r['year']} | {r['p_holds']:.3f} | {r['ci95_low']:.3f}-{r['ci95_high']:.3f} |")
    if oat:
        lines += ["", "## The assumptions that matter most", "",
                  ("One at a time, each uncertain parameter at its 10% and 90% quantile (others drawn as usual, 2,000 "
                   "trials each, common random numbers), ranked by the relative change in P(adopted and holds 5 "
                   "years):"), "",
                  ("| parameter | P(adopted) at 10% -> 90% | P(holds 5 years given adoption) at 10% -> 90% | "
                   "P(adopted and holds 5 years) changes by |"),
                  "|---|---|---|---|"]
        for r in oat:
            cells = []
            for m in OAT_METRICS:
                if m in r:
                    lo, hi, _, se = r[m]
                    cells.append(f"{number_text(lo, percent=True)} -> {number_text(hi, percent=True)} (s.e. of the swing <= {number_text(se, percent=True)})")
                else:
                    cells.append("n/a")
            lo_j, hi_j = r["joint"]
            ratio = hi_j / lo_j if lo_j > 0 else np.inf
            factor = "n/a" if not np.isfinite(ratio) else f"x{ratio:,.0f}" if ratio >= 100 else f"x{ratio:.2g}"
            lines.append(f"| `{r['path']}` | {cells[0]} | {cells[1]} | {factor} |")
    where = ("Figures: " + ", ".join(f"`figures/{k}.png`" for k in figures) + ". Tables: "
             + ", ".join(f"`tables/{k}.csv`" for k in tables) + ".")
    lines += ["", where]
    return Result(NAME, head, tables, figures, "\n".join(lines))

