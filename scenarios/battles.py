"""The battle record (CDB90) as the war model's outside view: `accord calibrate battles` and `accord backtest
battles` (MODELS.md section 2; the relations in model/battles.py, the theatre that reads them in model/war.py).

``calibrate`` reads a CDB90 table (scenarios/reference.py: read_cdb90), prints the attacker's win rates by
force-ratio band and defender posture with Wilson intervals, the fitted relations with standard errors
(who wins: a sign-constrained ridge logit on the log force ratio, posture and air superiority; how far a won
battle advances: log-normal on the defender's density), what the posture is worth as a defence multiplier
(strength and square-law readings), and the relations' scores in cross-validation grouped by war against
simpler models; and draws P(attacker wins) against the force ratio with the record's binned rates on top.

``BACKTEST`` is the `battles` kind of scenarios/backtest.py: fit the win relation on one table, predict
P(attacker wins) for every decided battle of another, scored by the framework against the training table's
base rate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from model import battles as MB
from model import calibration as cal
from scenarios import backtest as bt
from scenarios import plots
from scenarios.reference import BattleRecord, read_cdb90
from scenarios.results import Report, Table

if TYPE_CHECKING:
    from matplotlib.figure import Figure

DEFAULT_TABLE = Path(__file__).resolve().parent.parent / "configs" / "reference" / "battles_cdb90.csv"
DEFAULT_RIDGE = 1.0
BAND_DRAWS = 4000  # coefficient draws behind the figure's 95% bands (seeded: the figure is reproducible)
BOUND_TEXT = {"log_ratio": ">= 0", "prepared": "<= 0", "fortified": "<= 0", "air": ">= 0", "log_density": "<= 0"}


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def exclusions_text(record: BattleRecord, relations: MB.BattleRelations) -> str:
    """What was left out of the win fit, and why (one sentence)."""
    c = relations.counts
    parts = [f"{c['draws']} draws", f"{c['unknown_outcome']} unknown outcomes"]
    if c["posture_unknown"]:
        parts.append(f"{c['posture_unknown']} without a posture")
    na = record.excluded.get("strength_not_available", 0)
    lead = f"{c['battles']} battles with both strengths" + (
        f" ({na} left out: strength not available)" if na else "")
    return f"{lead}; {c['decided']} decided ({', '.join(parts)} left out)"


def _coefficient_rows(relations: MB.BattleRelations) -> list[list[Any]]:
    rows = []
    for model, fit in (("win", relations.win), ("advance", relations.advance)):
        for name, coef, se, at in zip(fit.feature_names, fit.coef, fit.se, fit.at_bound):
            rows.append([model, name, float(coef), float(se), BOUND_TEXT.get(name, ""), bool(at), fit.n_obs])
    rows.append(["advance", "residual_sd", relations.advance.residual_sd, float("nan"), "", False,
                 relations.advance.n_obs])
    rows.append(["advance", "share_advancing", relations.share_advancing, float("nan"), "", False,
                 relations.counts["wins_advancing_with_front_width"] + relations.counts["wins_not_advancing"]])
    rows.append(["loss", "mean_km_per_day", relations.loss_mean, relations.loss_mean_se, "<= 0",
                 relations.loss_mean == 0.0, relations.counts["losses_with_advance"]])
    rows.append(["loss", "sd_km_per_day", relations.loss_sd, float("nan"), "", False,
                 relations.counts["losses_with_advance"]])
    return rows


def cross_validation_rows(battles: MB.Battles, folds: int, ridge: float, seed: int) -> list[list[Any]]:
    """Held-out scores (folds grouped by war) of the chosen relations and simpler ones."""
    rows = []
    for label, features, era, density in (
            ("base rate", (), False, False), ("log force ratio", ("log_ratio",), False, False),
            ("log force ratio + air", ("log_ratio", "air"), False, False),
            ("log force ratio + posture + air (used)", MB.WIN_FEATURES, False, False),
            (f"used + era ({MB.MODERN_ERA_FROM} on)", MB.WIN_FEATURES, True, False),
            ("used + defender's density", MB.WIN_FEATURES, False, True)):
        p, y = MB.cross_validated_p_win(battles, folds, ridge, seed, features, era, density)
        s = cal.binary_scores(p, y)
        rows.append(["who wins", label, s.n, s.brier, s.log_loss, s.auc, float("nan")])
    for label, density, posture in (("mean", False, False), ("density (used)", True, False),
                                    ("density + posture", True, True)):
        pred, y = MB.cross_validated_log_advance(battles, folds, ridge, seed, density, posture)
        rows.append(["advance of a won battle", label, len(y), float("nan"), float("nan"), float("nan"),
                     float(np.mean((pred - y) ** 2))])
    return rows


def rates_table(rates: MB.BinnedRates) -> Table:
    rows = []
    for i, (lo, hi) in enumerate(rates.bands):
        for j, posture in enumerate(rates.postures):
            rows.append([float(lo), float(hi), posture, int(rates.count[i, j]), int(rates.wins[i, j]),
                         float(rates.rate[i, j]), float(rates.ci_low[i, j]), float(rates.ci_high[i, j])])
    return Table(["ratio_low", "ratio_high", "posture", "battles", "attacker_wins", "win_rate", "ci95_low",
                  "ci95_high"], rows)


def _band_text(lo: float, hi: float) -> str:
    if lo == 0:
        return f"<= {hi:g}:1"
    if not np.isfinite(hi):
        return f"> {lo:g}:1"
    return f"{lo:g}-{hi:g}:1"


def _cell(rates: MB.BinnedRates, i: int, j: int) -> str:
    n = int(rates.count[i, j])
    if n == 0:
        return "-"
    return f"{rates.rate[i, j]:.2f} {int(rates.wins[i, j])}/{n} ({rates.ci_low[i, j]:.2f}-{rates.ci_high[i, j]:.2f})"


def win_figure(relations: MB.BattleRelations, battles: MB.Battles, rates: MB.BinnedRates) -> Figure:
    """P(attacker wins) against the force ratio: averaged over the record's postures and air (black, with a
    95% band from coefficient draws), against each posture at air 0 (colours), and the record's win rates by
    ratio band (points at the band's median ratio, Wilson 95% bars, the count beside); and, right, a won
    battle's advance against the defender's density with the fitted mean."""
    ratio = np.geomspace(0.25, 12.0, 120)
    z = np.random.default_rng(0).standard_normal((BAND_DRAWS, MB.N_CASE_COEFFICIENTS))
    c = relations.coefficients(z)
    c_col = MB.Coefficients(**{k: (v[:, None] if isinstance(v, np.ndarray) else v) for k, v in c.__dict__.items()})
    d = battles.take(battles.decided)
    fig = plots.figure(figsize=(12.0, 4.8))
    ax, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    # the record's mix: the mean over decided battles of P(win | ratio, their posture and air)
    levels = np.where(d.posture == MB.DELAYING, MB.HASTY, d.posture)
    mix = np.zeros((BAND_DRAWS, ratio.size))
    for level in (MB.HASTY, MB.PREPARED, MB.FORTIFIED):
        for air in (-1.0, 0.0, 1.0):
            share = float(np.mean((levels == level) & (d.air == air)))
            if share:
                mix += share * MB.p_attacker_wins(c_col, np.log(ratio), level, air)
    point = relations.coefficients()
    est = sum(float(np.mean((levels == lv) & (d.air == a))) * MB.p_attacker_wins(point, np.log(ratio), lv, a)
              for lv in (MB.HASTY, MB.PREPARED, MB.FORTIFIED) for a in (-1.0, 0.0, 1.0))
    lo, hi = np.percentile(mix, [2.5, 97.5], axis=0)
    ax.fill_between(ratio, lo, hi, color="black", alpha=0.12, label="95% band (coefficient draws)")
    ax.plot(ratio, est, color="black", lw=2, label="fitted, the record's mix of postures and air")
    for level, colour, style in ((MB.HASTY, "#1b9e77", "--"), (MB.PREPARED, "#7570b3", ":"),
                                 (MB.FORTIFIED, "#d95f02", "--")):
        ax.plot(ratio, MB.p_attacker_wins(point, np.log(ratio), level, 0.0), color=colour, lw=1.2, ls=style,
                label=f"fitted, {MB.POSTURE_NAMES[level]} defence, no air superiority")
    j = rates.postures.index("all")
    ok = rates.count[:, j] > 0
    x, y = rates.median_ratio[ok], rates.rate[ok, j]
    ax.errorbar(x, y, yerr=[y - rates.ci_low[ok, j], rates.ci_high[ok, j] - y], fmt="o", color="#b2182b",
                capsize=3, ms=6, label="record: win rate by ratio band (Wilson 95%)", zorder=5)
    for xi, yi, n in zip(x, y, rates.count[ok, j]):
        ax.annotate(f"n={int(n)}", (xi, yi), textcoords="offset points", xytext=(6, -12), fontsize=7)
    ax.set_xscale("log")
    ticks = [0.25, 0.5, 1, 2, 4, 8]
    ax.set_xticks(ticks, [f"{t:g}:1" for t in ticks])
    ax.set(xlabel="force ratio attacker : defender (personnel engaged)", ylabel="P(attacker wins)", ylim=(0, 1))
    ax.axhline(0.5, color="grey", lw=0.6, ls=":")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title(f"Who wins: {relations.win.n_obs} decided CDB90 battles", fontsize=9)

    rate = d.advance_km_per_day
    won = (d.outcome == 1) & np.isfinite(rate) & (rate > 0) & np.isfinite(d.log_density)
    density = np.exp(d.log_density[won]) * MB.DENSITY_REF_TROOPS_PER_KM
    ax2.scatter(density, rate[won], s=8, color="#2166ac", alpha=0.5, label="won battles (advance > 0)")
    grid = np.geomspace(max(density.min(), 10.0), density.max(), 100)
    mean_adv, _ = MB.advance_moments_if_won(point, np.log(grid / MB.DENSITY_REF_TROOPS_PER_KM))
    ax2.plot(grid, mean_adv / relations.share_advancing, color="black", lw=2, label="fitted mean (advancing wins)")
    median_adv = np.exp(point.advance_intercept + point.advance_log_density
                        * np.log(grid / MB.DENSITY_REF_TROOPS_PER_KM))
    ax2.plot(grid, median_adv, color="black", lw=1, ls="--", label="fitted median")
    ax2.set_xscale("log")
    ax2.set_yscale("log")
    ax2.set(xlabel="defender's density (troops per km of front)", ylabel="advance (km/day)")
    ax2.grid(alpha=0.3, which="both")
    ax2.legend(fontsize=7, loc="lower left")
    ax2.set_title(f"How far a won battle advances ({relations.advance.n_obs} battles)", fontsize=9)
    fig.tight_layout()
    return fig


def calibrate(path: Path = DEFAULT_TABLE, ridge: float = DEFAULT_RIDGE, folds: int = 5, seed: int = 0) -> Report:
    """`accord calibrate battles`: the empirical rates, the fitted relations and their held-out scores."""
    record = read_cdb90(path)
    battles = record.battles
    relations = MB.fit_relations(battles, ridge)
    rates = MB.binned_win_rates(battles)
    cv = cross_validation_rows(battles, folds, ridge, seed)
    mult = relations.defence_multiplier()
    c = relations.counts

    names = {"all": "all postures", MB.POSTURE_NAMES[MB.DELAYING]: "delaying (DL, WD)"}
    header = (f"{'ratio band':<12}" + "".join(f"{names.get(p, p):<24}" for p in rates.postures)).rstrip()
    lines = [
        f"Battle relations fitted to {record.path} (CDB90): {exclusions_text(record, relations)}.",
        "",
        "The record: the attacker's win rate by force ratio and the defender's posture (rate, wins/battles, Wilson 95% interval):",
        header,
    ]
    for i, (lo, hi) in enumerate(rates.bands):
        lines.append((f"{_band_text(lo, hi):<12}" + "".join(f"{_cell(rates, i, j):<24}"
                                                            for j in range(len(rates.postures)))).rstrip())
    all_j = rates.postures.index("all")
    total_wins, total = int(rates.wins[:, all_j].sum()), int(rates.count[:, all_j].sum())
    lines += [f"{'all':<12}{total_wins / total:.2f} ({total_wins}/{total})", ""]

    lines.append(f"Who wins: logit, ridge {ridge:g}, signs imposed (n={relations.win.n_obs} decided battles):")
    lines.append(f"  {'term':<14}{'coef':>8}{'s.e.':>8}   bound")
    for row in _coefficient_rows(relations):
        model, name, coef, se, bound, at, _ = row
        if model != "win":
            continue
        note = " (at its bound: the record shows no effect of this sign)" if at else ""
        lines.append(f"  {name:<14}{coef:>8.3f}{se:>8.3f}   {bound}{note}".rstrip())
    lines.append(
        f"  posture as a defence multiplier against a hasty defence (M = exp(-b / b_ratio), a strength multiplier; "
        f"under the square law the fire-effectiveness multiplier is m = M^2): prepared M = {mult['prepared']:.2f} "
        f"(m = {mult['prepared'] ** 2:.2f}), fortified M = {mult['fortified']:.2f} (m = {mult['fortified'] ** 2:.1f})")
    lines.append("")
    a = dict(zip(relations.advance.feature_names, relations.advance.coef))
    a_se = dict(zip(relations.advance.feature_names, relations.advance.se))
    lines += [
        (f"How far a won battle advances (km/day; log-normal, n={relations.advance.n_obs} won battles that advanced "
         f"and have a front width; {c['wins_not_advancing']} won without advancing, pi = "
         f"{relations.share_advancing:.3f}):"),
        (f"  ln v = {a['intercept']:.3f} (s.e. {a_se['intercept']:.3f}) {a['log_density']:+.3f} (s.e. "
         f"{a_se['log_density']:.3f}) ln(density / 1,000 troops per km); residual sd {relations.advance.residual_sd:.3f}"),
    ]
    point = relations.coefficients()
    examples = []
    for rho in (250.0, 1000.0, 4000.0):
        ev, _ = MB.advance_moments_if_won(point, np.log(rho / MB.DENSITY_REF_TROOPS_PER_KM))
        examples.append(f"{float(ev):.1f} km/day at {rho:,.0f} troops/km")
    lines += [f"  E[v | win]: {'; '.join(examples)}",
              (f"A lost battle: mean advance {relations.loss_mean:+.2f} km/day (s.e. {relations.loss_mean_se:.2f}, "
               f"sd {relations.loss_sd:.2f}, n={c['losses_with_advance']}; bound <= 0)."),
              ""]
    lines.append(f"Held out ({folds} folds grouped by war, no war on both sides of a split; fold seed {seed}):")
    lines.append(f"  {'relation':<26}{'model':<42}{'n':>5}{'Brier':>8}{'log loss':>10}{'AUC':>7}{'MSE ln v':>10}")
    for what, label, n, brier, ll, auc, mse in cv:
        def f(x, d=3):
            return f"{x:.{d}f}" if np.isfinite(x) else "-"
        lines.append(f"  {what:<26}{label:<42}{n:>5}{f(brier):>8}{f(ll):>10}{f(auc, 2):>7}{f(mse):>10}")
    lines.append("  (The base rate's AUC only ranks the folds, whose training base rates differ: it says nothing about "
                 "skill.)")
    lines += ["", ("The war model (model/war.py) reads these relations, their estimation uncertainty drawn per trial; "
                   "`accord backtest battles --train A.csv --test B.csv` scores the win relation on another table.")]

    coefficients = Table(["model", "term", "coef", "se", "bound", "at_bound", "n"], _coefficient_rows(relations))
    cv_table = Table(["relation", "model", "n", "brier", "log_loss", "auc", "mse_log_advance"], cv)
    data = {
        "table": record.path, "ridge": ridge, "folds": folds, "seed": seed,
        "counts": {**c, "strength_not_available": record.excluded.get("strength_not_available", 0)},
        "win": {n: {"coef": float(b), "se": _finite(s), "at_bound": bool(at)}
                for n, b, s, at in zip(relations.win.feature_names, relations.win.coef, relations.win.se,
                                       relations.win.at_bound)},
        "advance": {**{n: {"coef": float(b), "se": _finite(s)} for n, b, s in
                       zip(relations.advance.feature_names, relations.advance.coef, relations.advance.se)},
                    "residual_sd": relations.advance.residual_sd, "share_advancing": relations.share_advancing},
        "loss": {"mean": relations.loss_mean, "se": relations.loss_mean_se, "sd": relations.loss_sd},
        "defence_multiplier": {k: {"strength": _finite(v), "square_law": _finite(v * v)} for k, v in mult.items()},
        "cross_validation": [dict(zip(cv_table.columns, [_finite(x) if isinstance(x, float) else x for x in r]))
                             for r in cv],
        "win_rates": rates_table(rates).records(),
    }
    return Report(
        kind="calibrate-battles", text="\n".join(lines), data=data,
        tables={"win_rates": rates_table(rates), "coefficients": coefficients, "cross_validation": cv_table},
        figures={"battles": win_figure(relations, battles, rates)},
        inputs={"table": str(path), "ridge": ridge, "folds": folds, "seed": seed},
    )


# ------------------------------------------------------------------------------------------ backtest kind


def _cases(path: Path) -> bt.Cases:
    """The decided battles of a CDB90 table as backtest cases (outcome 1: the attacker won)."""
    record = read_cdb90(path)
    b = record.battles
    d = b.take(b.decided)
    left = {"draws": int(np.sum(b.outcome == 0)), "unknown outcomes": int(np.sum(b.outcome == -9)),
            "without a posture": int(np.sum(np.isin(b.outcome, (1, -1)) & (b.posture == MB.UNKNOWN))),
            "strength not available": record.excluded.get("strength_not_available", 0)}
    shown = ", ".join(f"{n} {k}" for k, n in left.items() if n)
    description = f"{len(d)} decided battles" + (f"; left out: {shown}" if shown else "")
    war = MB.war_keys(d.war)  # grouping key: one war whatever its theatre label or spelling
    return bt.Cases(record.path, description, np.asarray(d.battle_id, dtype=object), war, war, war,
                    (d.outcome == 1).astype(float), d)


@dataclass(frozen=True)
class FittedBattles:
    """The win relation fitted on a training table, as the backtest sees it."""

    relations: MB.BattleRelations

    def predict(self, cases: bt.Cases) -> np.ndarray:
        d: MB.Battles = cases.payload
        return self.relations.p_win(d.log_ratio, d.posture, d.air)

    def describe(self) -> str:
        w = self.relations.win
        terms = ", ".join(f"{n} {b:+.3f}" for n, b in zip(w.feature_names, w.coef))
        return (f"sign-constrained ridge logit ({w.ridge:g}) of the attacker's win on the log force ratio, the "
                f"defender's posture and air superiority (model/battles.py), fitted on {w.n_obs} battles: {terms}.")

    def data(self) -> dict[str, Any]:
        w = self.relations.win
        return {"ridge": w.ridge, "n_obs": w.n_obs,
                "coefficients": {n: {"coef": float(b), "se": _finite(s), "at_bound": bool(at)}
                                 for n, b, s, at in zip(w.feature_names, w.coef, w.se, w.at_bound)}}


@dataclass(frozen=True)
class BattleBacktest:
    """``accord backtest battles``: P(attacker wins) of decided CDB90 battles."""

    name: str = "battles"
    title: str = "P(attacker wins) of decided land battles (CDB90)"
    outcome_label: str = "won"
    prediction_label: str = "P(attacker wins)"

    def read(self, path: Path, options: Mapping[str, Any]) -> bt.Cases:
        return _cases(path)

    def fit(self, train: bt.Cases, test: bt.Cases, options: Mapping[str, Any]) -> FittedBattles:
        return FittedBattles(MB.fit_relations(train.payload, float(options.get("ridge", DEFAULT_RIDGE))))


BACKTEST = BattleBacktest()
