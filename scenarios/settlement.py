"""The settlement: is the plan adopted, and if it is, does the peace hold? One world per trial.

MODELS.md sections 0, 1 and 3. Per trial, the world is drawn once (scenarios/world.py: the plan's terms, the
world without it, the guarantee's text) and every model reads it through explicit maps (model/terms.py):

1. the one war model (scenarios.forces.compute; model/war.py) gives, for each year t of the peace, the
   distribution of a renewed war's territorial outcome over a campaign season, for either side attacking,
   and for the challenger against a full guarantor response; mapped to the bargaining model's stake shares
   from the settlement's line x (the plan's territory position): the expected gains G_A(t), G_Ag(t), G_B(t);
2. the coalition (scenarios/coalition.py) accepts or rejects the plan, each actor comparing it with no deal =
   the same war going on over the same horizon (its reservation value), the two sides' actors paying the same
   costs of war c_A, c_B the bargaining model uses; each trial carries its P(adopted) w as a weight;
3. the guarantee model gives the guarantors' expected response q (credibility after escape clauses), and the
   one war payoff (model.guarantees.war_payoff) gives the challenger's payoff of war over peace
   payoff_A(t) = (1 - q)(G_A - c_A) + q (G_Ag - c_A - P), the defender's payoff_B(t) = G_B - c_B;
4. survival (model/bargaining.py): the bargaining gap g(t) = max(payoff_A, payoff_B) and Powell's power-shift
   term s(t); under the mechanism rule the peace breaks in the first year g > 0 or s > 0.

Conditional on adoption, by weighting (Rao-Blackwellising the adoption coin): P(holds t | adopted) =
E[w S(t)] / E[w] over all trials, with a delta-method standard error (Cochran 1977, ch. 6), an interval from
Wilson (1927) on the effective sample n_eff = n E[w]^2 / E[w^2] (Kish 1965), and its spread over
assumptions: the w-weighted 10-90% range of the per-trial S(t). Because adoption and durability share their
draws, P(holds t | adopted) can differ from the unconditional P(holds t) (the selection effect; both shown).

Every run also evaluates the same world without the guarantee (q = 0 and the coalition's guarantee_strength
0, on the same draws): the "no guarantee" rows show the guarantee's contribution.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np

from model import bargaining as B
from model.stats import SPREAD_QUANTILES, Estimate, weighted_quantiles, wilson_interval
from scenarios import coalition as C
from scenarios import forces as F
from scenarios import guarantees as G
from scenarios import plots
from scenarios import world as W
from scenarios.config import Config
from scenarios.engine import Draws, Summaries, summarise, summarise_variants
from scenarios.report import caption
from scenarios.results import Headline, Result, Table, md_table, number_text

# The config (blocks, Schema, check) is scenarios/schemas/settlement.py's, which imports no model code, so that
# `accord validate` and `show` start without NumPy (issue 17); its names are this module's too.
from scenarios.schemas.settlement import (  # noqa: F401
    Schema,
    check,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "settlement"
SUMMARY = "the composite, one world per trial: adoption (coalition), the war model, the guarantee, bargaining"
MILESTONES = (1, 3, 5, 10)
OUTCOME_LABELS = ("not adopted (war continues)", "adopted and holds through the horizon", "adopted, breaks")
NO_GUARANTEE = "no_guarantee"
# the war model's outputs the forces tables and figures read (scenarios/forces.py tables_figures)
FORCES_OUTPUTS = F.SCENARIO_OUTPUTS  # the outputs the forces tables and figures read
VARIANT_LABELS = {"": "as configured", NO_GUARANTEE: "without the guarantee"}


def _has_guarantee(cfg: Schema) -> bool:
    return bool(cfg.guarantees) and cfg.guarantee is not None


# ------------------------------------------------------------------------------------------------ the model


def _survival(x: np.ndarray, q: np.ndarray | float, stake: W.WarInStake, gain_ag: np.ndarray,
              c_a: np.ndarray, c_b: np.ndarray, punish: np.ndarray, delta: np.ndarray, rule: str,
              h0: np.ndarray, gamma_gap: np.ndarray, gamma_shift: np.ndarray,
              size: np.ndarray) -> dict[str, np.ndarray]:
    """Per-trial survival S(t), t = 0..T, of one world (with credibility q) under the rule, the mechanism
    alone, and what drives them (MODELS.md section 3). size: the power shift d(t) (model.bargaining.shift_size
    of the military balance), the same in every world of a chunk (the guarantee does not move it)."""
    pa, pb = B.war_payoffs(q, stake.gain_challenger, gain_ag, stake.gain_defender, c_a, c_b, punish)
    gap, shift = B.bargaining_gap(pa, pb), B.commitment_shift(x, pa, pb, delta)
    mechanism = B.survival_from_break_year(B.mechanism_break_year(gap, shift), gap.shape[1])
    if rule == "mechanism":
        S = mechanism
    else:
        S = B.survival_from_hazard(B.combined_hazard(h0, gap, size, gamma_gap, gamma_shift))
    return {"S": S, "mechanism": mechanism, "payoff_a": pa, "payoff_b": pb, "gap": gap, "shift": shift,
            "shift_size": size}


def _weighted_outputs(out: dict[str, np.ndarray], w: np.ndarray, S: np.ndarray, suffix: str) -> None:
    """The ratio-estimator terms of the conditional headlines (see `conditional`) for one world."""
    w2 = w * w
    held = S[:, 1:].sum(axis=1)  # expected years of peace within the horizon: sum_{t >= 1} S(t)
    out[f"p_adopted{suffix}"] = w
    out[f"p_adopted{suffix}.w2"] = w2
    out[f"survival{suffix}"] = S
    out[f"survival{suffix}.w"] = w[:, None] * S
    out[f"survival{suffix}.w2v"] = w2[:, None] * S
    out[f"survival{suffix}.w2v2"] = w2[:, None] * S * S
    out[f"years_of_peace{suffix}"] = held
    out[f"years_of_peace{suffix}.w"] = w * held
    out[f"years_of_peace{suffix}.w2v"] = w2 * held
    out[f"years_of_peace{suffix}.w2v2"] = w2 * held * held


def evaluate(cfg: Schema, draws: Draws, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per-trial outputs, arrays (n,), (n, T) or (n, T+1); see the module docstring. Deterministic given the
    draws (no model-internal randomness)."""
    n = draws.n
    war = cfg.war
    guaranteed = _has_guarantee(cfg)
    x = draws.full(cfg.terms.territory)
    world = F.compute(cfg.forces, cfg.cession, draws, plan=W.forces_plan(cfg, draws),
                      response_troops=draws.full(war.response_troops) if guaranteed else None,
                      claimed_km2=draws.full(war.claimed_km2))
    stake = W.war_in_stake(cfg, draws, world, x)
    T = stake.gain_challenger.shape[1]

    plan = W.coalition_plan(cfg, draws)
    alternatives = {NO_GUARANTEE: {"guarantee_strength": 0.0}} if guaranteed and "guarantee_strength" in plan else {}
    coal = C.compute(cfg.coalition, draws, plan=plan, world=W.no_deal_war(cfg, draws, world),
                     alternatives=alternatives)
    w = coal.pop("p_adopted")

    c_a, c_b = draws.full(war.cost_challenger), draws.full(war.cost_defender)
    punish, delta = draws.full(war.punishment), draws.full(war.discount)
    gain_ag = stake.gain_challenger_guaranteed if guaranteed else stake.gain_challenger
    if guaranteed:
        gua = G.compute(cfg.guarantee, cfg.guarantees, None, draws, gain=stake.gain_challenger[:, 0],
                        gain_guaranteed=gain_ag[:, 0], cost_of_war=c_a, punishment=punish,
                        noise_scale=draws.full(war.noise_scale))
        q = gua["q_eff"]
    else:
        gua, q = {}, np.zeros(n)
    worlds = {"": (w, q)}
    if guaranteed:
        worlds[NO_GUARANTEE] = (coal.pop(f"p_adopted@{NO_GUARANTEE}", w), np.zeros(n))

    rule = cfg.settlement.rule
    h0 = W.reference_hazard(cfg, draws, rng, T)
    gamma_gap, gamma_shift = draws.full(cfg.settlement.gamma_gap), draws.full(cfg.settlement.gamma_shift)
    out: dict[str, np.ndarray] = {}
    if rule != "mechanism":  # the outside view alone, beside the mechanism alone and the combined model
        _weighted_outputs(out, w, B.survival_from_hazard(h0), "~reference")
    now = W.kyiv_km2_now(cfg, draws)
    ceded = world["cession_ceded_km2"]
    # the no-deal war's net change, capped at the geography (Russia's gains end at the oblasts it claims)
    nodeal_km2 = np.maximum(now - world["nodeal.cum_capped_km2"][:, T - 1], 0.0)
    size = B.shift_size(stake.balance, stake.net_gain_before if cfg.settlement.first_year_shift else None)
    for suffix_name, (w_v, q_v) in worlds.items():
        suffix = f"@{suffix_name}" if suffix_name else ""
        surv = _survival(x, q_v, stake, gain_ag, c_a, c_b, punish, delta, rule, h0, gamma_gap, gamma_shift, size)
        S = surv["S"]
        _weighted_outputs(out, w_v, S, suffix)
        if rule != "mechanism" and not suffix:
            _weighted_outputs(out, w_v, surv["mechanism"], "~mechanism")
        pmf = S[:, :-1] - S[:, 1:]  # P(breaks in year t | adopted), t = 0..T-1
        # the war that breaks the peace is the one its side prefers more; Kyiv loses (or regains) its ground
        ru = (1.0 - np.asarray(q_v)[:, None]) * world["war.ru.mean_km2"]
        if guaranteed:
            ru = ru + np.asarray(q_v)[:, None] * world["war.ru_resp.mean_km2"]
        change = np.where(surv["payoff_a"] >= surv["payoff_b"], -ru, world["war.ua.mean_km2"])
        km2_adopted = np.maximum(now - ceded + (pmf * change).sum(axis=1), 0.0)
        out[f"kyiv_km2_at_horizon{suffix}"] = w_v * km2_adopted + (1 - w_v) * nodeal_km2
        out[f"outcome_not_adopted{suffix}"] = 1 - w_v
        out[f"outcome_holds{suffix}"] = w_v * S[:, T]
        out[f"outcome_breaks_year{suffix}"] = w_v[:, None] * pmf
        if not suffix:
            out["payoff_challenger"] = surv["payoff_a"]
            out["payoff_defender"] = surv["payoff_b"]
            out["gap"] = surv["gap"]
            out["shift"] = np.where(np.isfinite(surv["shift"]), surv["shift"], np.nan)
            out["shift_size"] = surv["shift_size"]
    out["q_eff"] = np.asarray(q, dtype=float)
    out["gain_challenger"] = stake.gain_challenger
    out["gain_defender"] = stake.gain_defender
    out["settlement_share"] = x
    # the components' own per-trial outputs, so their tables and figures come with the default run (of the
    # war model's, only those its tables read: every output is summarised)
    for name in FORCES_OUTPUTS:
        if name in world:
            out[name] = world[name]
    for name, value in world.items():
        if name.startswith("cession_"):
            out[name] = value
    for part in (coal, gua):
        for name, value in part.items():
            out.setdefault(name, value)
    return out


# ---------------------------------------------------------------------------------------------- estimates


def conditional(s: Summaries, name: str, index: tuple = (), suffix: str = "", binary: bool = True) -> Estimate:
    """E[v | adopted] = E[w v] / E[w] over the trials (w = P(adopted | parameters)), with the delta-method
    standard error of a ratio estimator (Cochran 1977, ch. 6),

        R = mean(w v) / mean(w),   se(R) = sqrt((E[w^2 v^2] - 2 R E[w^2 v] + R^2 E[w^2]) / n) / mean(w),

    the effective sample size n_eff = n mean(w)^2 / mean(w^2) (Kish 1965), and for a probability (binary:
    v in [0, 1]) Wilson's (1927) interval on the effective sample, which stays honest where few trials carry
    the weight (a normal interval otherwise); the spread over assumptions is the w-weighted 10-90% range of v."""
    n = s.n_trials
    mw, mw2 = s[f"p_adopted{suffix}"].mean_value(), s[f"p_adopted{suffix}.w2"].mean_value()
    a = s[f"{name}{suffix}.w"].mean_value()[index]
    b = s[f"{name}{suffix}.w2v"].mean_value()[index]
    c = s[f"{name}{suffix}.w2v2"].mean_value()[index]
    nan = float("nan")
    if not mw > 0:
        return Estimate(nan, nan, nan, nan, n, n_eff=0.0)
    r = float(a / mw)
    se = float(np.sqrt(max(float(c - 2 * r * b + r * r * mw2), 0.0) / n) / mw)
    n_eff = float(n * mw * mw / mw2)
    if binary:
        r = min(max(r, 0.0), 1.0)  # a ratio of two float sums can stray past 1 by rounding
        # Wilson's interval on the sample size the estimate's own variance implies, p(1 - p) / se^2 (Korn &
        # Graubard 1998): where the per-trial values are 0/1 it is about Kish's n_eff, so the interval stays
        # honest where few trials carry the weight (never zero-width); where they are probabilities it matches
        # the s.e.; with no variance at all (every value 0 or 1 alike), Kish's n_eff. "At 0 or 1" to rounding
        # (1e-12): P(holds 0 years) = 1 in every trial comes out of the ratio as 1 - 1e-16 with an s.e. of 1e-9
        # from rounding alone, which would give a meaningless n* of ~100 and a 98% lower bound
        n_star = r * (1 - r) / (se * se) if se > 0 and 1e-12 < r < 1 - 1e-12 else n_eff
        lo, hi = wilson_interval(r, max(n_star, 1e-9))
    else:
        lo, hi = r - 1.959964 * se, r + 1.959964 * se
    values, weights = s[f"{name}{suffix}"].values(), s[f"p_adopted{suffix}"].values()
    m = min(len(values), len(weights))
    spread = (nan, nan)
    if m:
        v = values[:m][(slice(None), *index)] if index else values[:m]
        spread = tuple(float(q) for q in weighted_quantiles(v, weights[:m], SPREAD_QUANTILES))
    return Estimate(r, se, float(lo), float(hi), n, spread[0], spread[1], n_eff)


NO_ADOPTION_CLASS = "none shipped (the record codes how long agreements last, not how often plans are adopted)"


def reference_class_name(cfg: Any) -> str:
    """The reference class a settlement's survival starts from, in words (settlement.reference)."""
    ref = cfg.settlement.reference
    name = {"ucdp_peace_agreements": "UCDP peace agreements 1975-2011",
            "cow_interstate_wars": "COW inter-state war recurrence"}.get(ref.dataset, ref.dataset)
    if ref.filter:
        name += ", " + ", ".join(k if v in (1, True) else f"{k} {v}" for k, v in ref.filter.items())
    return name + (", the plan's provisions" if ref.provisions == "prespecified" else "")


def headline(s: Summaries, suffix: str = "", reference_class: str = "") -> dict[str, Headline]:
    """The headline metrics of one world (suffix "" as configured, "@no_guarantee" without the guarantee), each
    probability beside the reference class's rate of the same quantity where the record has one (the
    reference-class survival of the same trials, weighted by the same P(adopted))."""
    h = {"p_adopted": Headline("P(adopted)", s.estimate(f"p_adopted{suffix}", proportion=True),
                               reference_class=NO_ADOPTION_CLASS if reference_class else "")}
    if not suffix and "p_adopted_in_full" in s:  # a coalition detail output: every partial veto player accepts too
        h["p_adopted_in_full"] = Headline("P(adopted in full)", s.estimate("p_adopted_in_full", proportion=True))
    T = len(s[f"survival{suffix}.w"].mean_value()) - 1
    has_ref = bool(reference_class) and "p_adopted~reference" in s
    for m in MILESTONES:
        if m <= T:
            h[f"p_holds_{m}y"] = Headline(
                f"P(holds {m} year{'s' if m > 1 else ''} | adopted)", conditional(s, "survival", (m,), suffix),
                reference=conditional(s, "survival", (m,), "~reference") if has_ref else None,
                reference_class=reference_class if has_ref else "")
    if 5 <= T:
        h["p_holds_5y_unconditional"] = Headline(
            "P(holds 5 years), adopted or not (selection)", s.estimate(f"survival{suffix}", (5,), proportion=True),
            reference=s.estimate("survival~reference", (5,), proportion=True) if has_ref else None,
            reference_class=reference_class if has_ref else "")
        h["p_adopted_and_holds_5y"] = Headline("P(adopted and holds 5 years)",
                                               s.estimate(f"survival{suffix}.w", (5,), proportion=True))
    h["years_of_peace"] = Headline("expected years of peace | adopted",
                                   conditional(s, "years_of_peace", suffix=suffix, binary=False), percent=False)
    h["kyiv_km2_at_horizon"] = Headline("km2 under Kyiv's control at the horizon",
                                        s.estimate(f"kyiv_km2_at_horizon{suffix}"), percent=False)
    return h


def config_headline(config: Config, s: Summaries) -> dict[str, Headline]:
    """The headline `accord run` prints for this config (each survival probability beside the reference class's
    rate when the rule uses the record), without the rest of its report: what `accord compare` shows."""
    cfg: Schema = config.model  # type: ignore[assignment]
    return headline(s, reference_class=reference_class_name(cfg) if cfg.settlement.rule != "mechanism" else "")


CURVES = {"~reference": "reference class alone", "~mechanism": "mechanism alone"}


def survival_table(s: Summaries, suffix: str = "") -> Table:
    """P(holds t | adopted) under the config's rule (the headline) with both spreads and the effective
    sample, P(holds t) over all trials (adopted or not), and, under the combined rule, the reference class
    alone and the mechanism alone, each given adoption (MODELS.md section 3: the three curves)."""
    T = len(s[f"survival{suffix}.w"].mean_value()) - 1
    others = [k for k in CURVES if not suffix and f"p_adopted{k}" in s]
    rows = []
    for t in range(T + 1):
        e = conditional(s, "survival", (t,), suffix)
        u = s.estimate(f"survival{suffix}", (t,), proportion=True)
        row = [t, e.mean, e.se, e.lo, e.hi, e.spread_lo, e.spread_hi, round(e.effective_n, 1), e.n, u.mean, u.se]
        for k in others:
            c = conditional(s, "survival", (t,), k)
            row += [c.mean, c.se]
        rows.append(row)
    cols = ["year", "p_holds", "se", "ci95_low", "ci95_high", "spread10", "spread90", "n_effective", "n_trials",
            "p_holds_unconditional", "p_holds_unconditional_se"]
    for k in others:
        name = "reference" if k == "~reference" else "mechanism"
        cols += [f"p_holds_{name}", f"p_holds_{name}_se"]
    return Table(cols, rows)


def outcomes_table(s: Summaries) -> Table:
    rows = []
    for key, label in (("outcome_not_adopted", OUTCOME_LABELS[0]), ("outcome_holds", OUTCOME_LABELS[1])):
        e = s.estimate(key, proportion=True)
        rows.append([label, "", e.mean, e.se, e.lo, e.hi, e.n])
    acc = s["outcome_breaks_year"]
    mean, se = acc.mean_value(), acc.se()
    for t in range(len(mean)):
        rows.append([OUTCOME_LABELS[2], t + 1, float(mean[t]), float(se[t]), max(float(mean[t] - 1.959964 * se[t]), 0.0),
                     min(float(mean[t] + 1.959964 * se[t]), 1.0), s.n_trials])
    return Table(["outcome", "breaks_in_year", "probability", "se", "ci95_low", "ci95_high", "n_trials"], rows)


MECHANISM_COLUMNS = ("gain_challenger", "gain_defender", "payoff_challenger", "payoff_defender", "gap", "shift",
                     "shift_size")


def mechanism_table(s: Summaries) -> Table:
    """Why the peace holds or breaks, year by year: each side's expected gain of a season of war and payoff of
    war over peace (stake shares), the gap, Powell's shift condition s and the shift's size d (the hazard's
    term), how often the gap is positive, and the
    challenger's chance of reaching its stated objective in a season (forces.objective_km2; on the detail
    trials) (unconditional, over all trials)."""
    rows = []
    T = len(s["gap"].mean_value())
    for t in range(T):
        cells = [t + 1]
        for name in MECHANISM_COLUMNS:
            e = s.estimate(name, (t,))
            cells += [e.mean, e.se, e.spread_lo, e.spread_hi]
        cells.append(float(np.mean(s["gap"].values()[:, t] > 0)) if s["gap"].sample else float("nan"))
        e = s.estimate("war.ru.p_objective", (t,), proportion=True) if "war.ru.p_objective" in s else None
        cells += [e.mean, e.se, s.n_trials] if e else [float("nan"), float("nan"), s.n_trials]
        rows.append(cells)
    cols = ["year"]
    for name in MECHANISM_COLUMNS:
        cols += [name, f"{name}_se", f"{name}_spread10", f"{name}_spread90"]
    return Table(cols + ["share_gap_positive", "p_objective", "p_objective_se", "n_trials"], rows)


def paired_ratios(outputs: dict[str, np.ndarray]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per trial, the numerator and the denominator of each headline that is a ratio estimator (see
    `conditional`), and of the headlines that are means of a column of a per-year output (denominator 1):
    `accord compare` pairs them across options on common random numbers."""
    w = outputs["p_adopted"]
    survival = outputs["survival.w"]
    ratios = {f"p_holds_{m}y": (survival[:, m], w) for m in MILESTONES if m < survival.shape[1]}
    ratios["years_of_peace"] = (outputs["years_of_peace.w"], w)
    if survival.shape[1] > 5:  # plain means of a per-trial column (ratio to 1): paired all the same
        one = np.ones(len(w))
        ratios["p_holds_5y_unconditional"] = (outputs["survival"][:, 5], one)
        ratios["p_adopted_and_holds_5y"] = (survival[:, 5], one)
    return ratios


def per_draw(outputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each headline metric's value in each draw (trial: one joint draw of every uncertain parameter), (n,) per
    metric, for `accord compare`'s win shares and regret. P(adopted): the trial's P(adopted | parameters) = w.
    A conditional metric takes its value given adoption in that draw: P(holds t years | adopted) is the trial's
    survival S(t) if the plan is in force (a probability under the combined rule, 0 or 1 under the mechanism
    alone), expected years of peace | adopted the years S gives; both NaN where w = 0 (never adopted:
    undefined, left out of the comparison). P(adopted and holds 5 years) = w S(5); km2 at the horizon as the
    trial's expectation over adoption."""
    w = np.asarray(outputs["p_adopted"], dtype=float)
    adopted = w > 0
    survival = outputs["survival"]
    out = {"p_adopted": w}
    for m in MILESTONES:
        if m < survival.shape[1]:
            out[f"p_holds_{m}y"] = np.where(adopted, survival[:, m], np.nan)
    if survival.shape[1] > 5:
        out["p_adopted_and_holds_5y"] = outputs["survival.w"][:, 5]
    out["years_of_peace"] = np.where(adopted, outputs["years_of_peace"], np.nan)
    out["kyiv_km2_at_horizon"] = np.asarray(outputs["kyiv_km2_at_horizon"], dtype=float)
    return out


# ----------------------------------------------------------------------------------------------- figures


def effective_n(table: Table) -> float:
    """A survival table's effective sample (Kish, over the trials weighted by P(adopted)); NaN if it has none."""
    vals = [float(r["n_effective"]) for r in table.records() if "n_effective" in r]
    return min(vals) if vals else float("nan")


def survival_figure(curves: dict[str, Table], n_trials: int | None = None) -> Figure:
    """P(holds | adopted) per option (solid, with its 95% band), and where the table has them the reference
    class alone (dashed) and the mechanism alone (dotted) in the same colour. Each option's effective sample
    (trials weighted by P(adopted)) is in its legend entry, and in the title with the trial count when given."""
    fig = plots.figure(figsize=(7.5, 4.6))
    ax = fig.subplots()
    effective = []
    for label, table in curves.items():
        rec = table.records()
        years = [r["year"] for r in rec]
        n_eff = effective_n(table)
        effective.append(n_eff)
        notes = (["combined"] if "p_holds_reference" in table.columns else []) + (
            [f"effective n {n_eff:,.0f}"] if np.isfinite(n_eff) else [])
        line, = ax.step(years, [r["p_holds"] for r in rec], where="post",
                        label=f"{label} ({'; '.join(notes)})" if notes else label)
        ax.fill_between(years, [r["ci95_low"] for r in rec], [r["ci95_high"] for r in rec], step="post",
                        alpha=0.2, color=line.get_color())
        for column, style, what in (("p_holds_reference", "--", "reference class alone"),
                                    ("p_holds_mechanism", ":", "mechanism alone")):
            if column in table.columns:
                ax.step(years, [r[column] for r in rec], where="post", ls=style, color=line.get_color(), lw=1.2,
                        label=f"{label}: {what}")
    ax.set(xlabel="years since the settlement", ylabel="P(peace holds | adopted)", ylim=(0, 1.02))
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=7)
    finite = [f"{v:,.0f}" for v in effective if np.isfinite(v)]
    eff = f"effective n {finite[0]}" if len(finite) == 1 else "each curve's effective n in the legend" if finite else ""
    head = "; ".join(p for p in (f"{n_trials:,} trials" if n_trials else "", eff) if p)
    ax.set_title("Survival of the settlement, given adoption" + (f" ({head})" if head else "")
                 + "\nband: 95% interval, Wilson on the effective sample (trials weighted by P(adopted))", fontsize=9)
    return fig


def outcomes_figure(bars: dict[str, dict[str, tuple[float, float]]], n_trials: int | None = None) -> Figure:
    """bars: option -> {outcome label: (probability, se)}; stacked horizontal bars with the breaks split by
    early (years 1-3) and late. Each segment's right end carries its 95% Monte Carlo error bar (1.96 s.e.; for
    the breaks an upper bound, see `outcome_bars`); with one option the legend states each share. The legend
    sits under the axis label, in a row of its own (constrained layout)."""
    fig = plots.figure(figsize=(8, 1.9 + 0.55 * len(bars)))
    fig.set_layout_engine("constrained")
    ax = fig.subplots()
    colours = ["#b2182b", "#2166ac", "#f4a582", "#fddbc7"]
    single = len(bars) == 1
    for i, (option, parts) in enumerate(bars.items()):
        left = 0.0
        for j, (label, (p, se)) in enumerate(parts.items()):
            if i == 0 and single:
                err = f" +- {number_text(1.96 * se, True)}" if np.isfinite(se) else ""
                label = f"{label}: {number_text(p, True)}{err}"
            ax.barh(i, p, left=left, color=colours[j % len(colours)], label=label if i == 0 else None)
            left += p
            if np.isfinite(se) and se > 0:
                ax.errorbar(left, i, xerr=1.96 * se, color="black", capsize=3, lw=1)
    ax.set_yticks(range(len(bars)), list(bars), fontsize=8)
    ax.invert_yaxis()
    ax.set(xlim=(0, 1), xlabel="share of trials (weighted by P(adopted) where adopted)")
    fig.legend(fontsize=7, loc="outside lower center", ncol=2)
    n = f", {n_trials:,} trials" if n_trials else ""
    ax.set_title(f"Outcomes over the horizon{n} (error bars: 95% Monte Carlo interval)", fontsize=9)
    return fig


def outcome_bars(s: Summaries) -> dict[str, tuple[float, float]]:
    """Each outcome's share and its Monte Carlo s.e. The breaks' shares sum the per-year shares; their s.e. is
    bounded by the sum of the per-year s.e. (the standard deviation of a sum is at most the sum of the standard
    deviations; the covariances are not kept), so their error bars are conservative."""
    acc = s["outcome_breaks_year"]
    p_year, T = acc.mean_value(), len(acc.mean_value())
    se_year = acc.se()
    early = float(np.sum(p_year[: min(3, T)]))
    late = float(np.sum(p_year[min(3, T):]))
    return {
        OUTCOME_LABELS[0]: (s.estimate("outcome_not_adopted").mean, s.estimate("outcome_not_adopted").se),
        OUTCOME_LABELS[1]: (s.estimate("outcome_holds").mean, s.estimate("outcome_holds").se),
        "adopted, breaks in years 1-3": (early, float(np.sum(se_year[: min(3, T)]))),
        "adopted, breaks later": (late, float(np.sum(se_year[min(3, T):]))),
    }


# -------------------------------------------------------------------------------- what matters, variants

OAT_METRICS = {"p_adopted": "P(adopted)", "p_holds_5y": "P(holds 5 years | adopted)",
               "p_adopted_and_holds_5y": "P(adopted and holds 5 years)"}
OAT_OUTPUTS = ("p_adopted", "p_adopted.w2", "survival", "survival.w", "survival.w2v", "survival.w2v2")
VARIANT_TRIALS = 4000  # trials of each structural variant's re-run (at most the run's own)
OAT_TRIALS = 2000  # trials of each one-at-a-time re-run (at most the run's own)


def _rerun_trials(default: int, run_trials: int) -> int:
    """Trials of each of the brief's re-runs: the default, at most a quarter of the run's own (at least 200)."""
    return max(min(default, run_trials // 4), min(200, run_trials))


def _oat_metrics(s: Summaries) -> dict[str, Estimate]:
    out = {"p_adopted": s.estimate("p_adopted", proportion=True)}
    if len(s["survival.w"].mean_value()) > 5:
        out["p_holds_5y"] = conditional(s, "survival", (5,))
        out["p_adopted_and_holds_5y"] = s.estimate("survival.w", (5,), proportion=True)
    return out


def one_at_a_time(config: Config, trials: int = OAT_TRIALS, top: int = 5) -> list[dict]:
    """One-at-a-time sensitivity: each uncertain parameter set to its 10% and 90% quantiles, the others drawn
    as usual (same seed: common random numbers). Returns the ``top`` parameters ranked by the largest change
    they make in any headline (in probability points; not a product, which a tiny P(adopted) would
    dominate): dicts with path, kind "parameter", and per metric (value at 10%, value at 90%, change, s.e. of
    the change if the two runs were independent: an upper bound)."""
    # the record fit's coefficient draws (guarantee.record.draws.z*) are standard normals that mean something only
    # together (the fit's sampling distribution): one at a time they are not an assumption an analyst can change
    dists = {p: d for p, d in config.uncertain().items() if ".record.draws." not in p}
    variants = [{path: float(dist.ppf(np.array([q]))[0])} for path, dist in dists.items() for q in (0.1, 0.9)]
    summaries = summarise_variants(config, trials, config.model.run.seed, variants, outputs=OAT_OUTPUTS)
    rows = []
    for i, path in enumerate(dists):
        at = [_oat_metrics(summaries[2 * i]), _oat_metrics(summaries[2 * i + 1])]
        row: dict = {"path": path, "kind": "parameter", "low": "10%", "high": "90%"}
        for m in OAT_METRICS:
            if m in at[0]:
                lo, hi = at[0][m], at[1][m]
                row[m] = (lo.mean, hi.mean, hi.mean - lo.mean, float(np.hypot(lo.se, hi.se)))
        rows.append(row)
    return sorted(rows, key=_moves, reverse=True)[:top]


def _moves(row: dict) -> float:
    """What a row moves: the largest absolute change in any headline (NaN counts 0)."""
    changes = [abs(row[m][2]) for m in OAT_METRICS if m in row and np.isfinite(row[m][2])]
    return max(changes, default=0.0)


def structural_variants(config: Config) -> list[tuple[str, str, list[str]]]:
    """The named structural choices of a settlement config: (name, what it changes, --set overrides)."""
    cfg: Schema = config.model  # type: ignore[assignment]
    out: list[tuple[str, str, list[str]]] = []
    out.append(("coalition decisions independent", "coalition.rho = 0 (common shock off)", ["coalition.rho=0"]))
    out.append(("coalition decisions correlated", "coalition.rho = 0.5", ["coalition.rho=0.5"]))
    stages = [s.name for s in cfg.coalition.stages]
    if len(stages) > 1:
        last = stages[-1]
        kept = [s for s in config.data["coalition"]["stages"] if s["name"] != last]
        vetoes = {a for s in kept for a in s["actors"]}
        actors = [dict(a, veto=a["name"] in vetoes) for a in config.data["coalition"]["actors"]]
        out.append((f"without the {last} stage", f"veto set without stage '{last}'",
                    [f"coalition.stages={json.dumps(kept)}", f"coalition.actors={json.dumps(actors)}"]))
    if cfg.settlement.rule == "combined":
        flip = not cfg.settlement.first_year_shift
        out.append((f"power shift {'from' if flip else 'not from'} the wartime balance in year 1",
                    (f"settlement.first_year_shift = {str(flip).lower()} (the settlement's own change to the "
                     f"balance {'also' if flip else 'no longer'} counted as a shift)"),
                    [f"settlement.first_year_shift={str(flip).lower()}"]))
        out.append(("survival: mechanism alone", "settlement.rule = mechanism (no reference-class hazard)",
                    ["settlement.rule=mechanism"]))
        other = "cow_interstate_wars" if cfg.settlement.reference.dataset == "ucdp_peace_agreements" else \
            "ucdp_peace_agreements"
        out.append((f"reference class: {other}", f"settlement.reference = {other}, all cases",
                    [f"settlement.reference={{dataset: {other}}}"]))
        if cfg.settlement.reference.provisions == "none":
            out.append(("reference hazard with the plan's provisions",
                        ("settlement.reference.provisions = prespecified (the dataset's covariates fixed from "
                         "theory)"), ["settlement.reference.provisions=prespecified"]))
    # the within-country correlation of each country's veto players (ratification stages), all at the low ends
    # of their ranges together, then all at the high ends
    within = [f"coalition.countries.{c.name}.correlation" for c in cfg.coalition.countries]
    within = [p for p in within if p in config.uncertain()]
    if within:
        ends = {p: _range_ends(config, p) for p in within}
        for side, i in (("low", 0), ("high", 1)):
            values = ", ".join(f"{p.split('.')[2]} {ends[p][i]:g}" for p in within)
            out.append((f"within-country correlation at its {side} ends",
                        f"coalition.countries.*.correlation: {values}", [f"{p}={ends[p][i]!r}" for p in within]))
    partial = [a.name for a in cfg.coalition.actors if a.controls]
    if partial:
        out.append((f"{' and '.join(partial)} as full veto players",
                    (f"no partial vetoes: {', '.join(partial)} can block the whole plan, not only the dimensions "
                     "they control (coalition.actors.*.controls = [])"),
                    [f"coalition.actors.{name}.controls=[]" for name in partial]))
    if _has_guarantee(cfg):
        for weights in ("default", "fitted"):
            if cfg.guarantee.weights != weights:
                out.append((f"guarantee weights {weights}", f"guarantee.weights = {weights}",
                            [f"guarantee.weights={weights}"]))
        if cfg.guarantee.weights == "calibrated" and "guarantee.shifts.tau" in config.uncertain():
            lo, hi = _range_ends(config, "guarantee.shifts.tau")
            for side, v in (("low", lo), ("high", hi)):
                out.append((f"guarantee's tripwire weight at its {side} end",
                            f"guarantee.shifts.tau = {v:g} (probit units per unit of tripwire)",
                            [f"guarantee.shifts.tau={v!r}"]))
    return out


def _range_ends(config: Config, path: str) -> tuple[float, float]:
    """The ends of an uncertain parameter's range: its support if bounded, else its 1% and 99% quantiles."""
    dist = config.uncertain()[path]
    lo, hi = dist.support()
    if not (np.isfinite(lo) and np.isfinite(hi)):
        lo, hi = (float(v) for v in dist.ppf(np.array([0.01, 0.99])))
    return float(lo), float(hi)


def variants_rows(config: Config, s: Summaries, trials: int = VARIANT_TRIALS) -> list[dict]:
    """The headline under each structural choice beside the default: the no-guarantee world from the run
    itself (same draws, all trials), the others re-run with the config's seed at ``trials`` trials (the
    default re-run at the same count, so the comparison is like for like and on common random numbers)."""
    from scenarios.config import from_data

    rows = [{"variant": "as configured", "change": "(the run)", "trials": s.n_trials, **_oat_metrics(s)}]
    if NO_GUARANTEE in "".join(s.acc):
        rows.append({"variant": "without the guarantee", "change": "q = 0 and the coalition's guarantee_strength 0 "
                     "(same draws)", "trials": s.n_trials, **_no_guarantee_metrics(s)})
    named = structural_variants(config)
    if not named:
        return rows
    seed = config.model.run.seed
    base = summarise(config, trials, seed, "mc", detail_trials=0)
    rows.append({"variant": "as configured", "change": f"(re-run at {trials:,} trials for the rows below)",
                 "trials": trials, **_oat_metrics(base)})
    for name, change, overrides in named:
        cfg = from_data(config.data, config.locs, config.files, [*config.overrides, *overrides], path=config.path)
        rows.append({"variant": name, "change": change, "trials": trials,
                     **_oat_metrics(summarise(cfg, trials, seed, "mc", detail_trials=0))})
    return rows


def variant_moves(variants: list[dict]) -> list[dict]:
    """The structural variants as rows of the "assumptions that matter most" ranking, in the form of
    `one_at_a_time`'s rows: per metric (value as configured, value under the variant, change, s.e. of the change
    as if the two were independent: an upper bound, they share their draws). A variant's "as configured" is the
    row before it of the same trial count (the run itself for the no-guarantee world, the re-run otherwise)."""
    rows, base = [], None
    for r in variants:
        if r["variant"] == "as configured":
            base = r
            continue
        if base is None:
            continue
        row: dict = {"path": r["variant"], "kind": "structural", "low": "as configured", "high": r["variant"],
                     "change": r["change"]}
        for m in OAT_METRICS:
            if m in r and m in base:
                a, b = base[m], r[m]
                row[m] = (a.mean, b.mean, b.mean - a.mean, float(np.hypot(a.se, b.se)))
        rows.append(row)
    return rows


def ranking(oat: list[dict], variants: list[dict]) -> list[dict]:
    """The "assumptions that matter most": the parameters `one_at_a_time` kept and every structural variant,
    ranked together by the largest change each makes in any headline (`_moves`, probability points)."""
    return sorted([*oat, *variant_moves(variants)], key=_moves, reverse=True)


def selection_gap(w: np.ndarray, v: np.ndarray) -> tuple[float, float]:
    """The selection effect on one per-trial value v (e.g. S(5)): D = E[w v] / E[w] - E[v] (the mean given
    adoption minus the mean over all trials, w = P(adopted | parameters)), and the standard deviation of its
    per-trial delta-method linearisation z = (w v - R w) / E[w] - (v - E[v]) (Cochran 1977, ch. 6): the
    standard error of D over n trials is that / sqrt(n). (nan, nan) if no trial has any chance of adoption."""
    w, v = np.asarray(w, dtype=float), np.asarray(v, dtype=float)
    mw = float(np.mean(w)) if w.size else 0.0
    if not mw > 0 or w.size < 2:
        return float("nan"), float("nan")
    r, u = float(np.mean(w * v)) / mw, float(np.mean(v))
    z = (w * v - r * w) / mw - (v - u)
    return r - u, float(np.std(z, ddof=1))


def _selection_sentence(s: Summaries, e5: Headline, u5: Headline) -> str:
    """The brief's selection sentence: the difference P(holds 5 | adopted) - P(holds 5) with its standard error
    (per-trial variance from the trials the summaries keep, at most the first 100,000; n all trials), and
    "no detectable selection effect" when it is within 2 s.e. of zero."""
    d = e5.estimate.mean - u5.estimate.mean
    w, S = s["p_adopted"].values(), s["survival"].values()
    m = min(len(w), len(S))
    _, sd = selection_gap(w[:m], S[:m, 5]) if m > 1 and S.ndim == 2 and S.shape[1] > 5 else (d, float("nan"))
    se = sd / np.sqrt(s.n_trials) if np.isfinite(sd) else float("nan")
    points = f"{100 * d:+.1f} percentage points (s.e. {100 * se:.1f}, {s.n_trials:,} trials)"
    head = (f"Selection: over all simulated futures, adopted or not, the terms would hold five years with "
            f"probability {_pct(u5.estimate.mean)}; among the futures in which the plan is adopted, "
            f"{_pct(e5.estimate.mean)}, a difference of {points}")
    if not np.isfinite(se) or abs(d) <= 2 * se:
        return head + (": no detectable selection effect (the difference is within two standard errors of zero): "
                       "in this config, the futures in which the plan is adopted hold no more or less often than the "
                       "rest.")
    way = "more" if d > 0 else "less"
    return head + (f": the futures in which the plan is adopted hold {way} often than the rest, because adoption and "
                   "durability share their causes (the costs of war, the war model, the terms).")


def _no_guarantee_metrics(s: Summaries) -> dict[str, Estimate]:
    suffix = f"@{NO_GUARANTEE}"
    return {"p_adopted": s.estimate(f"p_adopted{suffix}", proportion=True),
            "p_holds_5y": conditional(s, "survival", (5,), suffix),
            "p_adopted_and_holds_5y": s.estimate(f"survival{suffix}.w", (5,), proportion=True)}


def variants_table(rows: list[dict]) -> Table:
    cols = ["variant", "change", "trials"]
    for m in OAT_METRICS:
        cols += [m, f"{m}_se", f"{m}_spread10", f"{m}_spread90"]
    out = []
    for r in rows:
        cells = [r["variant"], r["change"], r["trials"]]
        for m in OAT_METRICS:
            e = r.get(m)
            cells += [e.mean, e.se, e.spread_lo, e.spread_hi] if e else [float("nan")] * 4
        out.append(cells)
    return Table(cols, out)


# ------------------------------------------------------------------------------------------------ report


def _survival_text(cfg: Schema, survival: Table) -> list[str]:
    """Which survival model the headline uses, the reference class it starts from, and which provisions move it."""
    from model import survival as SV
    from scenarios.durability import reference_model, reference_survival

    ref = cfg.settlement.reference
    if cfg.settlement.rule == "mechanism":
        return [("The headline uses the mechanism alone (`settlement.rule: mechanism`): a trial's peace breaks in "
                 "the first year the terms leave the bargaining range or a power shift makes a preventive war pay; "
                 "the record's hazard is not used.")]
    km = reference_survival(ref.dataset, ref.filter or None, years=(1, 5, 10))
    model = reference_model(ref.dataset, ref.filter or None, () if ref.provisions == "none" else None)
    given = [k for k, v in cfg.terms.provisions.model_dump().items() if v.get("value", 1) != 0]
    unused = SV.unused_provisions(model, {k: 1 for k in given})
    used = [k for k in given if k not in unused]
    flt = ", ".join(f"{k} {v}" for k, v in (ref.filter or {}).items()) or "all cases"
    text = (f"The headline uses the combined model (MODELS.md section 3): the yearly hazard of the reference class, "
            f"{ref.dataset} ({flt}: {km['n']} cases, {km['events']} ended; Kaplan-Meier "
            f"{km['survival'][0]:.0%} in force after 1 year, {km['survival'][1]:.0%} after 5, {km['survival'][2]:.0%} "
            f"after 10; censored at {km['censored_at']}), for this plan's provisions "
            f"({', '.join(used) or 'none that the model weighs'}), its coefficients drawn per trial from the fit's "
            f"sampling distribution, times the mechanism's multiplier exp(gamma_gap g+ + gamma_shift d) (g the "
            f"bargaining gap, d the size of the year-on-year shift in the challenger's war share, Powell 2006).")
    if ref.provisions == "none":
        text += (" The plan's provisions do not move the reference hazard (`settlement.reference.provisions: none`): on "
                 "the record, agreements' provisions predict their survival no better than the base rate out of "
                 "sample (`accord backtest durability`); the structural variants give the prespecified model.")
    elif unused:
        text += (f" The record identifies no effect of {', '.join(unused)} in this reference class (model.survival."
                 "PROVISIONS says why; `accord calibrate durability` prints the hazard ratios).")
    return [text, "", ("The table gives the three curves: the combined model (the headline), the reference class "
                       "alone and the mechanism alone (deterministic: the terms leave the range or they do not).")]


def _pct(v: float) -> str:
    return number_text(v, percent=True)


def report(config: Config, s: Summaries) -> Result:
    cfg: Schema = config.model  # type: ignore[assignment]
    label = cfg.title or config.stem
    head = config_headline(config, s)
    guaranteed = _has_guarantee(cfg)
    if guaranteed:
        for k, h in headline(s, f"@{NO_GUARANTEE}").items():
            if k in ("p_adopted", "p_holds_5y", "p_adopted_and_holds_5y"):
                head[f"{k}@{NO_GUARANTEE}"] = Headline(f"{h.label}, without the guarantee", h.estimate, h.percent)
    survival = survival_table(s)
    tables = {"outcomes": outcomes_table(s), "survival": survival, "mechanism": mechanism_table(s)}
    curves = {label: survival}
    if guaranteed:
        tables["survival_no_guarantee"] = survival_table(s, f"@{NO_GUARANTEE}")
        curves[f"{label}, without the guarantee"] = tables["survival_no_guarantee"]
    tables["headline"] = Table(
        ["metric", "label", "mean", "se", "ci95_low", "ci95_high", "n_trials", "n_effective", "spread10",
         "spread90", "reference_rate", "reference_se", "reference_class"],
        [[k, h.label, *h.estimate.as_dict().values(), *((h.reference.mean, h.reference.se) if h.reference else
                                                          (float("nan"), float("nan"))), h.reference_class]
         for k, h in head.items()])
    # the brief's re-runs use at most a quarter of the run's trials (a quick run stays quick; at the default
    # 20,000 trials they get their full counts)
    rows = variants_rows(config, s, trials=_rerun_trials(VARIANT_TRIALS, s.n_trials))
    tables["variants"] = variants_table(rows)
    bars = outcome_bars(s)
    figures = {"survival": caption(survival_figure(curves, s.n_trials), _survival_caption(curves, s.n_trials)),
               "outcomes": caption(outcomes_figure({label: bars}, s.n_trials), (
                   f"Share of the {s.n_trials:,} trials ending in each outcome over the horizon (adopted outcomes "
                   "weighted by each trial's P(adopted)); error bars at each segment's right end: 95% Monte Carlo "
                   "intervals (for the breaks, bounded above by the sum of the per-year standard errors)."))}
    components = [C, F] + ([G] if guaranteed else [])
    for part in components:
        part_tables, part_figures = part.tables_figures(config, s)
        tables = {**part_tables, **tables}
        # the settlement's own figures (the headline's) first, then each component's in turn; its own win a clash
        figures = {**figures, **{k: v for k, v in part_figures.items() if k not in figures}}
    oat = one_at_a_time(config, trials=_rerun_trials(OAT_TRIALS, s.n_trials)) if config.uncertain() else []
    return Result(NAME, head, tables, figures, _brief(config, s, head, survival, rows, oat, tables, figures))


def _survival_caption(curves: dict[str, Table], n_trials: int) -> str:
    effs = "; ".join(f"{label}: effective n {effective_n(t):,.0f}" for label, t in curves.items())
    return (f"P(peace holds t years | adopted) from {n_trials:,} trials, each weighted by its P(adopted) ({effs}); "
            "bands are 95% intervals (Wilson on the effective sample). Where drawn, the dashed and dotted lines are the "
            "reference class alone and the mechanism alone.")


def _brief(config: Config, s: Summaries, head: dict[str, Headline], survival: Table, variants: list[dict],
           oat: list[dict], tables: dict, figures: dict) -> str:
    cfg: Schema = config.model  # type: ignore[assignment]
    label = cfg.title or config.stem
    pa = head["p_adopted"].estimate
    e5 = head.get("p_holds_5y")
    lines = ["## In one sentence", ""]
    sentence = (f"Under this config ({label}), the chance that the plan is adopted is {_pct(pa.mean)} (95% CI "
                f"{_pct(pa.lo)}-{_pct(pa.hi)}, {pa.n:,} simulated futures; 10-90% over the assumptions "
                f"{_pct(pa.spread_lo)}-{_pct(pa.spread_hi)})")
    if e5 and np.isfinite(e5.estimate.mean):
        e = e5.estimate
        sentence += (f"; if it is adopted, the peace still holds after five years with probability {_pct(e.mean)} "
                     f"(95% CI {_pct(e.lo)}-{_pct(e.hi)} on an effective sample of {e.effective_n:,.0f}; "
                     f"10-90% over the assumptions {_pct(e.spread_lo)}-{_pct(e.spread_hi)})")
    lines += [sentence + ".", ""]
    if "p_adopted_in_full" in head:
        lines += [C.in_full_sentence(cfg.coalition, s), ""]
    ng = head.get(f"p_holds_5y@{NO_GUARANTEE}")
    if ng is not None and e5 is not None:
        lines += [(f"Without the guarantee (the same draws, q = 0 and no guarantee on the table), P(adopted) would "
                   f"be {_pct(head[f'p_adopted@{NO_GUARANTEE}'].estimate.mean)} and P(holds 5 years | adopted) "
                   f"{_pct(ng.estimate.mean)} (95% CI {_pct(ng.estimate.lo)}-{_pct(ng.estimate.hi)})."), ""]
    u5 = head.get("p_holds_5y_unconditional")
    if u5 is not None and e5 is not None and np.isfinite(e5.estimate.mean):
        lines += [_selection_sentence(s, e5, u5), ""]
    lines += ["## P(peace holds | adopted)", ""] + _survival_text(cfg, survival) + [""]
    body = []
    for r in survival.records():
        if r["year"] in (0, *MILESTONES):
            ref, mech = (f"{r[c]:.3f}" if c in r else "n/a" for c in ("p_holds_reference", "p_holds_mechanism"))
            body.append([r["year"], f"{r['p_holds']:.3f}", f"{r['ci95_low']:.3f}-{r['ci95_high']:.3f}",
                         f"{r['spread10']:.3f}-{r['spread90']:.3f}", f"{r['n_effective']:,.0f}", ref, mech])
    lines += md_table(["years", "P(holds)", "95% interval", "10-90% over assumptions", "effective n",
                       "reference class alone", "mechanism alone"], body)
    lines += ["", "## Structural variants", "",
              ("The headline under each named structural choice beside the default (`tables/variants.csv`); the "
               "next section ranks them with the parameters by what they move:"), ""]
    body = []
    for r in variants:
        cells = [_pct(r[m].mean) if m in r and np.isfinite(r[m].mean) else "n/a" for m in OAT_METRICS]
        body.append([r["variant"], r["change"], f"{r['trials']:,}", *cells])
    lines += md_table(["variant", "change", "trials", *OAT_METRICS.values()], body)
    ranked = ranking(oat, variants)
    if ranked:
        lines += ["", "## The assumptions that matter most", "",
                  ("Parameters and structural choices ranked together by the largest change each makes in any "
                   "headline (probability points; not a product, which a tiny P(adopted) would dominate). A "
                   f"parameter: the {len(oat)} uncertain parameters that move most, each at its 10% and 90% "
                   f"quantile (others drawn as usual, {_rerun_trials(OAT_TRIALS, s.n_trials):,} trials each, common random "
                   "numbers). A structural "
                   "variant: the config as configured -> under the variant (the table above; same seed). The s.e. "
                   "of a change is that of two independent runs: an upper bound, they share their draws."), ""]
        body = []
        for r in ranked:
            cells = []
            for m in OAT_METRICS:
                if m in r:
                    lo, hi, _, se = r[m]
                    cells.append(f"{_pct(lo)} -> {_pct(hi)} (s.e. of the change <= {_pct(se)})")
                else:
                    cells.append("n/a")
            what = (f"`{r['path']}`", "parameter, 10% -> 90%") if r["kind"] == "parameter" else \
                (r["path"], "structural, as configured -> variant")
            body.append([*what, *cells])
        lines += md_table(["assumption", "kind", *(f"{v}" for v in OAT_METRICS.values())], body)
    lines += ["", "Figures: " + ", ".join(f"`figures/{k}.png`" for k in figures) + ". Tables: "
              + ", ".join(f"`tables/{k}.csv`" for k in tables) + "."]
    return "\n".join(lines)
