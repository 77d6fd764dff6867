"""``accord backtest KIND``: fit an outside-view model on one table, predict the cases of another, and score
the predictions against the training table's base rate. One design for every kind (guarantee credibility,
durability of a peace, battle outcomes): one way to score, one table of scores, one reliability figure.

Two modes, the same outputs:

* ``--train A --test B``: fit on every case of A, predict every case of B. Test cases whose war (group) also
  appears in A are flagged (``seen_group``), and the scores are given for all test cases and, when some were
  seen, for the cases from wars the model never saw.
* ``--train A --folds K``: grouped K-fold cross-validation on A (model.calibration.grouped_folds; no war on
  both sides of a split): each fold is predicted by a model fitted on the other folds, and the base rate is
  that of the other folds too.

Scores (model/calibration.py), for the model and for the base rate alike: Brier score, log loss, AUC
(undefined, and said so, when the scored cases have one outcome only), n; the model's loss minus the base
rate's with a standard error clustered by war. Outputs, written atomically through scenarios.results'
Report machinery: ``tables/predictions.csv`` (case id, war, observed 0/1, predicted, base rate, fold or
seen_group), ``tables/scores.csv``, ``tables/reliability.csv`` and ``figures/reliability.png`` (a reliability
diagram with the count of cases in every bin). ``--json`` prints ``{"model": {"brier", "log_loss", "auc",
"n"}, "base_rate": {... and "rate"}, ...}``.

Extension points (how a new kind plugs in)
-------------------------------------------
1. Write an object with the ``Kind`` attributes and methods below (in your scenario's module, e.g.
   ``scenarios/durability.py``):

   - ``name`` (the command word), ``title`` (what is predicted, for people), ``outcome_label`` (what
     outcome 1 means, e.g. "honoured"), ``prediction_label`` (e.g. "P(honour)");
   - ``read(path, options) -> Cases``: read a table (through scenarios/reference.py), raising ConfigError
     for bad input; ``Cases.payload`` holds the kind's own view of the cases and must have
     ``subset(mask)`` (cross-validation takes subsets);
   - ``fit(train, test, options) -> Fitted``: fit on ``train``; ``test`` is given so the kind can keep to
     what both tables have (e.g. covariates coded in both); ``Fitted`` has ``predict(cases) -> (n,)
     probabilities of outcome 1``, ``describe() -> str`` (one sentence: the model and its inputs) and
     ``data() -> dict`` (for the JSON and the manifest);
   - optionally ``base_rate(train) -> float`` (default: the share of outcome 1; a survival kind may
     want a Kaplan-Meier estimate at its horizon instead).
   A kind whose outcome is not a 0/1 event may instead define ``run(train_path, test_path, folds, seed,
   options) -> Report`` and score itself with this module's conventions (durability: censored times of
   peace, scored by concordance and IPCW Brier scores at several horizons against the training set's
   Kaplan-Meier curve, with ``model.calibration``'s folds, paired differences and reliability bins and
   ``reliability_figure``); ``run`` below then hands over to it.
2. Register it in ``KINDS`` below: ``"durability": "scenarios.durability:BACKTEST"`` (imported lazily).
3. Add a click subcommand in cli.py's backtest section with ``@backtest_options`` plus the kind's own
   options, calling ``backtest.run("durability", train, test, folds, seed, {...options})``.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from model import calibration as cal
from scenarios import plots
from scenarios.config import ConfigError
from scenarios.results import Report, Table

if TYPE_CHECKING:
    from matplotlib.figure import Figure

KINDS: dict[str, str] = {
    "guarantees": "scenarios.guarantee_record:BACKTEST",
    "durability": "scenarios.durability:BACKTEST",  # a survival kind with its own run (see the contract)
    "battles": "scenarios.battles:BACKTEST",  # issue 19: P(attacker wins) of CDB90 battles
}
RELIABILITY_BINS = 10


# ------------------------------------------------------------------------------------------ the contract


@dataclass(frozen=True)
class Cases:
    """The scored cases of one table, shape (n,) each, plus the kind's own view of them (``payload``)."""

    source: str  # the file, as named in messages
    description: str  # e.g. "102 invocations (Berkemeier & Fuhrmann (2018), coding llm)"
    case_id: np.ndarray
    group: np.ndarray  # war (or battle series): cross-validation keeps a group whole
    group_label: np.ndarray  # the group for people
    group_key: np.ndarray  # matches groups across tables ("cow139"); "" where unknown
    outcome: np.ndarray  # 0/1
    payload: Any

    def __len__(self) -> int:
        return len(self.outcome)

    def subset(self, mask: np.ndarray) -> Cases:
        m = np.asarray(mask, dtype=bool)
        return Cases(self.source, self.description, self.case_id[m], self.group[m], self.group_label[m],
                     self.group_key[m], self.outcome[m], self.payload.subset(m))


class Fitted(Protocol):
    def predict(self, cases: Cases) -> np.ndarray: ...

    def describe(self) -> str: ...

    def data(self) -> dict[str, Any]: ...


class Kind(Protocol):
    name: str
    title: str
    outcome_label: str
    prediction_label: str

    def read(self, path: Path, options: Mapping[str, Any]) -> Cases: ...

    def fit(self, train: Cases, test: Cases, options: Mapping[str, Any]) -> Fitted: ...


def kind(name: str) -> Kind:
    """The registered kind (imported on first use)."""
    if name not in KINDS:
        raise ConfigError(f"unknown backtest kind {name!r}; allowed: {', '.join(sorted(KINDS))}")
    module, attribute = KINDS[name].split(":")
    return getattr(importlib.import_module(module), attribute)


def base_rate(k: Kind, train: Cases) -> float:
    custom = getattr(k, "base_rate", None)
    return float(custom(train)) if custom is not None else float(np.mean(train.outcome))


# ------------------------------------------------------------------------------------------ running


@dataclass(frozen=True)
class Predictions:
    """Out-of-sample predictions of one backtest, shape (n,) each."""

    cases: Cases
    predicted: np.ndarray
    base: np.ndarray  # the base rate each case was given (per fold in cross-validation)
    fold: np.ndarray | None  # cross-validation fold, else None
    seen_group: np.ndarray | None  # test mode: the case's war is also in the training table
    flag: np.ndarray | None = None  # per case, "" or why its prediction is flagged (a kind's ``flags``)


CV_BASE_RATE_NOTE = ("The base rate each held-out case is scored against is fitted on the same training folds as "
                     "the model (the share of outcome 1 there), so neither forecast sees the held-out wars: a fair "
                     "comparison, not a handicap of the base rate.")


def _flags(fitted: Any, cases: Cases) -> np.ndarray | None:
    flags = getattr(fitted, "flags", None)
    return None if flags is None else np.asarray(flags(cases), dtype=object)


def predict_test(k: Kind, train: Cases, test: Cases, options: Mapping[str, Any]) -> tuple[Predictions, Fitted]:
    fitted = k.fit(train, test, options)
    predicted = np.asarray(fitted.predict(test), dtype=float)
    known = {key for key in train.group_key if key}
    seen = np.array([bool(key) and key in known for key in test.group_key], dtype=bool)
    return Predictions(test, predicted, np.full(len(test), base_rate(k, train)), None, seen,
                       _flags(fitted, test)), fitted


def predict_folds(k: Kind, cases: Cases, folds: int, seed: int, options: Mapping[str, Any]
                  ) -> tuple[Predictions, list[Fitted]]:
    n_groups = len(np.unique(cases.group))
    if not 2 <= folds <= n_groups:
        raise ConfigError(f"{folds} folds need at least {folds} wars (a war is never split); the {len(cases)} cases "
                          f"come from {n_groups} wars", cases.source, None, "--folds")
    fold = cal.grouped_folds(cases.group, folds, seed)
    predicted = np.empty(len(cases))
    base = np.empty(len(cases))
    flag: np.ndarray | None = None
    fits = []
    for j in range(folds):
        held = fold == j
        train, test = cases.subset(~held), cases.subset(held)
        fitted = k.fit(train, test, options)
        predicted[held] = fitted.predict(test)
        base[held] = base_rate(k, train)
        f = _flags(fitted, test)
        if f is not None:
            flag = np.full(len(cases), "", dtype=object) if flag is None else flag
            flag[held] = f
        fits.append(fitted)
    return Predictions(cases, predicted, base, fold, None, flag), fits


@dataclass(frozen=True)
class ScoreRow:
    forecast: str  # "model" | "base rate"
    subset: str  # "all" | "unseen wars"
    scores: cal.BinaryScores


def headline_mask(p: Predictions) -> np.ndarray:
    """The cases the headline scores: in test mode, when some test cases come from wars the training table
    also holds, only those from the other wars (held out by war, as in grouped cross-validation); else all."""
    if p.seen_group is not None and p.seen_group.any() and not p.seen_group.all():
        return ~p.seen_group
    return np.ones(len(p.cases), dtype=bool)


def score_rows(p: Predictions) -> tuple[list[ScoreRow], dict[str, cal.PairedDifference]]:
    """Scores of the model and of the base rate, the headline subset first (``headline_mask``: the unseen wars
    when some test wars were seen, then all cases as a second pair of rows), and the model-minus-base-rate
    loss differences on the headline subset with their clustered s.e."""
    y = p.cases.outcome
    head = headline_mask(p)
    subsets = [("all", head)] if head.all() else [("unseen wars", head), ("all", np.ones(len(y), dtype=bool))]
    rows = []
    for name, m in subsets:
        rows.append(ScoreRow("model", name, cal.binary_scores(p.predicted[m], y[m])))
        rows.append(ScoreRow("base rate", name, cal.binary_scores(p.base[m], y[m])))
    groups = p.cases.group[head]
    pr, b, yy = p.predicted[head], p.base[head], y[head]
    diffs = {
        "brier": cal.paired_difference(cal.brier_losses(pr, yy), cal.brier_losses(b, yy), groups),
        "log_loss": cal.paired_difference(cal.log_losses(pr, yy), cal.log_losses(b, yy), groups),
    }
    return rows, diffs


def run(kind_name: str, train_path: Path, test_path: Path | None = None, folds: int | None = None,
        seed: int = 0, options: Mapping[str, Any] | None = None) -> Report:
    """Backtest one kind (see the module docstring); give a test table or a number of folds, not both."""
    options = dict(options or {})
    if (test_path is None) == (folds is None):
        raise ConfigError("give a test table (--test B.csv) or cross-validation folds (--folds K), not both "
                          "and not neither", None, None, "--test/--folds")
    k = kind(kind_name)
    own_run = getattr(k, "run", None)
    if own_run is not None:  # a kind whose outcome is not 0/1 (durability: censored times) scores itself
        return own_run(Path(train_path), None if test_path is None else Path(test_path), folds, seed, options)
    train = k.read(Path(train_path), options)
    fits: list[Fitted]
    if test_path is not None:
        test = k.read(Path(test_path), options)
        predictions, fitted = predict_test(k, train, test, options)
        fits = [fitted]
        mode = (f"fitted on {train.source} ({train.description}), predicting {test.source} "
                f"({test.description})")
    else:
        predictions, fits = predict_folds(k, train, int(folds), seed, options)
        mode = (f"grouped {folds}-fold cross-validation on {train.source} ({train.description}; "
                f"{len(np.unique(train.group))} wars, none on both sides of a split; fold seed {seed})")
    rows, diffs = score_rows(predictions)
    return _report(k, train, predictions, rows, diffs, fits, mode,
                   {"kind": kind_name, "train": str(train_path), "test": None if test_path is None else str(test_path),
                    "folds": folds, "seed": seed, **options})


# ------------------------------------------------------------------------------------------ the report


SCORE_COLUMNS = ["forecast", "subset", "n", "n_events", "brier", "log_loss", "auc", "auc_undefined",
                 "brier_minus_base_rate", "brier_difference_se", "log_loss_minus_base_rate",
                 "log_loss_difference_se", "n_groups"]


def _fmt(x: float, digits: int = 3) -> str:
    return f"{x:.{digits}f}" if np.isfinite(x) else "n/a"


def scores_text(rows: list[ScoreRow], diffs: Mapping[str, cal.PairedDifference], outcome: str) -> list[str]:
    """The console table of scores, the same for every kind."""
    lines = [f"{'forecast':<10} {'cases':<12} {'n':>5} {outcome:>9} {'Brier':>7} {'log loss':>9} {'AUC':>6}"]
    notes = []
    for r in rows:
        s = r.scores
        auc = _fmt(s.auc, 2) if s.auc_note is None else "undef."
        lines.append(f"{r.forecast:<10} {r.subset:<12} {s.n:>5} {s.n_events:>9} {_fmt(s.brier):>7} "
                     f"{_fmt(s.log_loss):>9} {auc:>6}")
        if s.auc_note and s.auc_note not in notes:
            notes.append(s.auc_note)
    lines.append("")
    b, ll = diffs["brier"], diffs["log_loss"]
    verdict = ("beats" if b.mean < 0 else "does not beat")
    subset = "cases from unseen wars" if rows[0].subset == "unseen wars" else "all cases"
    lines.append(f"Model minus base rate ({subset}): Brier {b.mean:+.3f} (s.e. {_fmt(b.se)}), log loss {ll.mean:+.3f} "
                 f"(s.e. {_fmt(ll.se)}); s.e. clustered by war ({b.n_groups} wars). The model {verdict} the base rate "
                 "on Brier" + (f" by {abs(b.mean) / b.se:.1f} s.e." if np.isfinite(b.se) and b.se > 0 else ""))
    for note in notes:
        lines.append(f"AUC undefined: {note}.")
    return lines


def _score_table(rows: list[ScoreRow], diffs: Mapping[str, cal.PairedDifference]) -> Table:
    out = []
    for r in rows:
        s = r.scores
        is_diffed = r.forecast == "model" and r.subset == rows[0].subset
        d = [diffs["brier"].mean, diffs["brier"].se, diffs["log_loss"].mean, diffs["log_loss"].se,
             diffs["brier"].n_groups] if is_diffed else [float("nan")] * 4 + [""]
        out.append([r.forecast, r.subset, s.n, s.n_events, s.brier, s.log_loss, s.auc, s.auc_note or "", *d])
    return Table(SCORE_COLUMNS, out)


def _prediction_table(p: Predictions, prediction_label: str) -> Table:
    c = p.cases
    extra_name = "fold" if p.fold is not None else "seen_group"
    extra = p.fold if p.fold is not None else (p.seen_group.astype(int) if p.seen_group is not None else
                                                  np.zeros(len(c), dtype=int))
    rows = [[cid, group, label, int(y), float(pr), float(b), int(e)]
            for cid, group, label, y, pr, b, e in zip(c.case_id, c.group, c.group_label, c.outcome, p.predicted,
                                                      p.base, extra)]
    columns = ["case_id", "war", "war_label", "observed", "predicted", "base_rate", extra_name]
    if p.flag is not None:
        rows = [[*r, f or "cell"] for r, f in zip(rows, p.flag)]
        columns.append("support")
    return Table(columns, rows)


def _reliability_table(bins: cal.ReliabilityBins) -> Table:
    rows = [[float(bins.edges[j]), float(bins.edges[j + 1]), int(bins.count[j]), float(bins.mean_predicted[j]),
             float(bins.observed[j]), float(bins.observed_lo[j]), float(bins.observed_hi[j])]
            for j in range(len(bins.count))]
    return Table(["bin_low", "bin_high", "n", "mean_predicted", "observed", "observed_lo95", "observed_hi95"], rows)


def reliability_figure(bins: cal.ReliabilityBins, base: float, title: str, prediction_label: str,
                       outcome_label: str, brier: tuple[float, float]) -> Figure:
    """Observed rate against mean prediction per bin (Wilson 95% bars), each bin's case count written beside
    it, the diagonal of perfect calibration, the base rate as a dashed line; below, the number of cases per
    bin. brier: (model, base rate) on the same cases."""
    fig = plots.figure(figsize=(6.4, 6.4))
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    full = bins.count > 0
    x, y = bins.mean_predicted[full], bins.observed[full]
    lo, hi = bins.observed_lo[full], bins.observed_hi[full]
    top.plot([0, 1], [0, 1], color="grey", lw=0.8, ls=":", label="perfect calibration")
    top.axhline(base, color="#b2182b", lw=1, ls="--", label=f"base rate {base:.2f} (Brier {brier[1]:.3f})")
    top.errorbar(x, y, yerr=[np.clip(y - lo, 0, None), np.clip(hi - y, 0, None)], fmt="o", color="#2166ac", ecolor="#92c5de", capsize=3,
                 label=f"model (Brier {brier[0]:.3f}); bars: Wilson 95%")
    for xi, yi, n in zip(x, y, bins.count[full]):
        top.annotate(f"n={n}", (xi, yi), textcoords="offset points", xytext=(6, 4 if yi < 0.1 else -10), fontsize=7)
    top.set(xlim=(0, 1), ylim=(-0.04, 1.04), ylabel=f"observed share {outcome_label}")
    top.grid(alpha=0.3)
    top.legend(fontsize=7, loc="upper left")
    top.set_title(title, fontsize=9)
    widths = np.diff(bins.edges)
    bottom.bar(bins.edges[:-1], bins.count, width=widths, align="edge", color="#2166ac", alpha=0.5,
               edgecolor="white")
    for left, w, n in zip(bins.edges[:-1], widths, bins.count):
        if n:
            bottom.text(left + w / 2, n, str(n), ha="center", va="bottom", fontsize=7)
    bottom.set(xlabel=f"predicted {prediction_label} (bins of {widths[0]:.1f})", ylabel="cases")
    bottom.set_ylim(0, max(1, int(bins.count.max())) * 1.25)
    return fig


def _report(k: Kind, train: Cases, p: Predictions, rows: list[ScoreRow], diffs: Mapping[str, cal.PairedDifference],
            fits: list[Fitted], mode: str, inputs: dict[str, Any]) -> Report:
    model_all, base_all = rows[0].scores, rows[1].scores  # the headline subset (score_rows)
    head = headline_mask(p)
    bins = cal.reliability_bins(p.predicted[head], p.cases.outcome[head], RELIABILITY_BINS)
    base_mean = float(np.mean(p.base))
    lines = [f"Backtest of {k.title}: {mode}.", f"Model: {fits[0].describe()}"]
    if p.fold is not None:
        lines[-1] += f" Refitted in each of the {len(fits)} folds on the other folds' cases."
    if p.seen_group is not None and p.seen_group.any():
        n_seen = int(p.seen_group.sum())
        if head.all():
            lines.append(f"Note: all {n_seen} test cases come from wars that are also in the training table: no "
                         "score here is on unseen wars.")
        else:
            lines.append(f"Headline: the {int(head.sum())} test cases from wars the training table does not hold (the "
                         f"'unseen wars' rows, held out by war as in grouped cross-validation); the other {n_seen} "
                         "come from wars the model was fitted on and are scored apart ('all' rows), not headlined.")
    base_text = (f"base rate {base_mean:.3f} ({int(train.outcome.sum())} of {len(train)} training cases "
                 f"{k.outcome_label})" if p.fold is None else
                 f"base rate: the share {k.outcome_label} in the training folds, {p.base.min():.3f}-{p.base.max():.3f}")
    lines += [f"Every case is scored against the {base_text}."]
    if p.fold is not None:
        lines.append(CV_BASE_RATE_NOTE)
    lines += [""] + scores_text(rows, diffs, k.outcome_label)
    if p.flag is not None and np.any(p.flag != ""):
        n_flag = int(np.sum(p.flag != ""))
        lines.append(f"Flagged: {n_flag} of {len(p.flag)} predictions fall where the training cases do not reach "
                     "(column `support` of tables/predictions.csv says which wider class each used instead).")
    if p.fold is not None:
        lines.append("(In cross-validation the base rate differs from fold to fold, so its AUC is not 0.5; it "
                     "ranks folds, not cases, and says nothing about skill.)")
    bins_text = ", ".join(f"{bins.edges[j]:.1f}-{bins.edges[j + 1]:.1f}: {bins.count[j]}"
                          for j in range(len(bins.count)) if bins.count[j])
    lines.append(f"Reliability bins (cases per bin of predicted {k.prediction_label}"
                 f"{'' if head.all() else ', unseen wars'}): {bins_text}.")
    title = (f"{k.title}: {'cross-validated' if p.fold is not None else 'test'} predictions, "
             f"{int(head.sum())} {'cases' if head.all() else 'cases from unseen wars'} "
             f"({int(p.cases.outcome[head].sum())} {k.outcome_label})")
    figure = reliability_figure(bins, base_mean, title, k.prediction_label, k.outcome_label,
                                (model_all.brier, base_all.brier))
    data: dict[str, Any] = {
        "model": model_all.as_dict(),
        "base_rate": {**base_all.as_dict(), "rate": base_mean},
        "difference": {name: {"mean": d.mean, "se": d.se if np.isfinite(d.se) else None, "n_groups": d.n_groups}
                       for name, d in diffs.items()},
        "kind": k.name, "mode": "folds" if p.fold is not None else "test",
        "train": train.source, "test": None if p.fold is not None else p.cases.source,
        "fits": [f.data() for f in fits],
    }
    data["headline_subset"] = rows[0].subset
    unseen = [r for r in rows if r.subset == "unseen wars"]
    if unseen:
        data["unseen_wars"] = {"model": unseen[0].scores.as_dict(), "base_rate": unseen[1].scores.as_dict()}
        data["all_cases"] = {"model": rows[2].scores.as_dict(), "base_rate": rows[3].scores.as_dict()}
    tables = {"predictions": _prediction_table(p, k.prediction_label), "scores": _score_table(rows, diffs),
              "reliability": _reliability_table(bins)}
    return Report(kind=f"backtest-{k.name}", text="\n".join(lines), data=data, tables=tables,
                  figures={"reliability": figure}, inputs=inputs)
