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


# ==================================================================== revealed responses (issue 15, part 2)
# ``accord backtest responses CONFIG...``: the coalition model's P(accept) for each party's public response to an
# option (configs/reference/responses.csv), and whether its side of 1/2 is the side the party took. Nothing is
# fitted here: each config given is an option (its stem: plan_28_points, counterproposal, ...) and is run as it
# is; the table is read by scenarios/reference.py::read_responses.

ACCEPTANCE_SCENARIOS = ("coalition", "settlement")  # the scenarios whose outputs hold p_accept.<actor>
RESPONSES_TRIALS = 4000  # default trials per config: MC s.e. of a P(accept) below 0.005 (sd of a probability <= 1/2)
NEAR_CERTAIN = 0.02  # P(accept) within this of 0 or 1: acceptance near-deterministic (printed as 0.00 / 1.00 / 0.98+)
KNIFE_EDGE = 0.05  # |P(accept) - 1/2| below this: the side of 1/2 turns on assumptions the responses do not pin down
# Options the responses name that no config models, and why (listed in the output, not scored).
UNMODELLED_OPTIONS: dict[str, str] = {
    "geneva_framework": "the US-Ukrainian 19-point revision of Geneva (23-24 Nov 2025): its text is unpublished "
                        "(FACTS.md), so no config models it",
}


@dataclass(frozen=True)
class ResponseCheck:
    """One response against the model: ``estimate`` the mean over trials of P(accept) (None when no config was
    given for the option), ``on_side`` the share of trials whose P(accept) is on the response's side of 1/2 and
    its MC s.e., ``matches`` whether the mean is on that side (None for a conditional response or an option
    without a config), ``flag`` "near-certain", "knife-edge" or ""."""

    response: Any  # scenarios.reference.Response
    config: str | None
    estimate: Any  # model.stats.Estimate | None
    on_side: float
    on_side_se: float
    matches: bool | None
    flag: str
    note: str


def _option_name(path: Path) -> str:
    return Path(path).stem


def response_checks(configs: Mapping[str, Any], summaries: Mapping[str, Any], responses: list[Any]) -> list[ResponseCheck]:
    """Check each response against the summaries of its option's config (option -> Summaries of the run).

    P(accept) of an actor is the per-trial output ``p_accept.<actor>`` of the coalition model (for a signatory, its
    acceptance anticipating its own ratification; for a partial veto player, acceptance of the dimensions it
    controls); its estimate carries the MC error and the 10-90% spread over the assumptions (model.stats.estimate).
    A response matches when the mean is on its side of 1/2 (accept: > 1/2, reject: < 1/2)."""
    out = []
    for r in responses:
        s = summaries.get(r.option)
        if s is None:
            note = UNMODELLED_OPTIONS.get(r.option, "no config given for this option")
            out.append(ResponseCheck(r, None, None, float("nan"), float("nan"), None, "", f"not scored: {note}"))
            continue
        key = f"p_accept.{r.actor}"
        e = s.estimate(key, proportion=True)
        per_trial = s[key].values()
        if r.sign != 0 and per_trial.size:
            side = per_trial > 0.5 if r.sign > 0 else per_trial < 0.5
            on_side = float(side.mean())
            on_side_se = float(np.sqrt(on_side * (1 - on_side) / side.size))
        else:
            on_side, on_side_se = float("nan"), float("nan")
        matches = None if r.sign == 0 else bool((e.mean > 0.5) if r.sign > 0 else (e.mean < 0.5))
        flag = ("near-certain" if min(e.mean, 1 - e.mean) < NEAR_CERTAIN else
                "knife-edge" if abs(e.mean - 0.5) < KNIFE_EDGE else "")
        note = "conditional: no side of 1/2 to check" if r.sign == 0 else ""
        out.append(ResponseCheck(r, configs[r.option], e, on_side, on_side_se, matches, flag, note))
    return out


RESPONSE_COLUMNS = ["id", "date", "actor", "option", "response", "sign", "config", "p_accept", "se", "ci95_low",
                    "ci95_high", "spread10", "spread90", "share_of_trials_on_its_side", "share_se", "matches", "flag",
                    "n_trials", "note", "source"]


def _responses_table(checks: list[ResponseCheck]) -> Table:
    nan = float("nan")
    rows = []
    for c in checks:
        r, e = c.response, c.estimate
        nums = [e.mean, e.se, e.lo, e.hi, e.spread_lo, e.spread_hi] if e is not None else [nan] * 6
        rows.append([r.id, r.date.isoformat(), r.actor, r.option, r.response, r.sign, c.config or "", *nums, c.on_side,
                     c.on_side_se, "" if c.matches is None else int(c.matches), c.flag,
                     e.n if e is not None else 0, c.note, r.source])
    return Table(RESPONSE_COLUMNS, rows)


def responses_figure(checks: list[ResponseCheck], trials: int) -> Figure:
    """Each scored response's P(accept): the mean with its MC 95% interval (black) and the 10-90% spread over the
    assumptions (a thick bar), coloured by what the party said (accept green, reject red, conditional grey), with
    the line of 1/2; a cross marks a response whose side the model misses."""
    scored = [c for c in checks if c.estimate is not None]
    fig = plots.figure(figsize=(7.5, 0.45 * len(scored) + 1.4))
    ax = fig.subplots()
    colour = {1: "#1a9850", -1: "#d73027", 0: "#878787"}
    for y, c in enumerate(scored):
        e, r = c.estimate, c.response
        ax.plot([e.spread_lo, e.spread_hi], [y, y], color=colour[r.sign], lw=7, alpha=0.35, solid_capstyle="butt")
        ax.errorbar(e.mean, y, xerr=[[e.mean - e.lo], [e.hi - e.mean]], fmt="o", color=colour[r.sign], ecolor="black",
                    capsize=3, ms=6)
        if c.matches is False:
            ax.plot(e.mean, y, "x", color="black", ms=12, mew=2)
    ax.axvline(0.5, color="grey", ls="--", lw=1)
    ax.set_yticks(range(len(scored)), [f"{c.response.actor} on {c.response.option}\n({c.response.response}, "
                                       f"{c.response.date.isoformat()})" for c in scored], fontsize=7)
    ax.invert_yaxis()
    ax.set(xlim=(0, 1), xlabel="P(accept): mean over trials (dot, MC 95% bar) and 10-90% over the assumptions (band)")
    ax.set_title(f"Revealed responses against the coalition model ({trials:,} trials per option); "
                 "green accept, red reject, grey conditional; x: side missed", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    return fig


def responses(configs: list[Path], table: Path | None = None, trials: int | None = None, seed: int | None = None,
              workers: int = 1, overrides: tuple[str, ...] = ()) -> Report:
    """``accord backtest responses``: run each config (an option, named by its file's stem) and check every
    response of the table against the model's P(accept) for that actor and option (see `response_checks`).

    Errors (ConfigError, exit 2): a config without a coalition block; two configs with the same stem; a response
    naming an actor no config has, or an option that is neither a config given, a shipped option world nor one of
    UNMODELLED_OPTIONS (file, line and column, from read_responses). Rows of an option known but not given are
    listed as not scored."""
    from scenarios import engine
    from scenarios.config import load
    from scenarios.reference import RESPONSES, read_responses

    table = Path(table) if table is not None else RESPONSES
    if table.is_absolute() and table.is_relative_to(Path.cwd()):
        table = table.relative_to(Path.cwd())  # as the user would name it
    if not configs:
        raise ConfigError("give at least one config (an option: e.g. configs/coalition/plan_28_points.yaml)",
                          None, None, "CONFIG")
    loaded: dict[str, Any] = {}
    paths: dict[str, str] = {}
    for path in configs:
        option = _option_name(path)
        if option in loaded:
            raise ConfigError(f"two configs give the option {option!r} ({paths[option]} and {path}); give one per "
                              "option", str(path), None, "CONFIG")
        cfg = load(str(path), list(overrides))
        if cfg.scenario not in ACCEPTANCE_SCENARIOS or getattr(cfg.model, "coalition", None) is None:
            raise ConfigError(f"scenario {cfg.scenario!r} computes no P(accept) (it runs no coalition block); allowed: "
                              f"a {' or '.join(ACCEPTANCE_SCENARIOS)} config", str(path), None, "scenario")
        loaded[option], paths[option] = cfg, str(path)
    actors = sorted({a.name for cfg in loaded.values() for a in cfg.model.coalition.actors})
    shipped = sorted(p.stem for p in (Path(__file__).resolve().parent.parent / "configs" / "coalition").glob("*.yaml"))
    options = sorted(set(loaded) | set(shipped) | set(UNMODELLED_OPTIONS))
    rows = read_responses(table, actors=actors, options=options)
    for r in rows:  # an actor of one option's config must be in that config
        cfg = loaded.get(r.option)
        if cfg is not None and r.actor not in {a.name for a in cfg.model.coalition.actors}:
            raise ConfigError(f"actor {r.actor!r} is not an actor of {paths[r.option]}", str(table), r.line, "actor")
    summaries: dict[str, Any] = {}
    settings: dict[str, dict[str, Any]] = {}
    for option, cfg in loaded.items():
        n = RESPONSES_TRIALS if trials is None else int(trials)
        sd = cfg.model.run.seed if seed is None else int(seed)
        summaries[option] = engine.summarise(cfg, n, sd, "mc", workers=workers, detail_trials=0)
        settings[option] = {"config": paths[option], "trials": n, "seed": sd, "sampler": "mc"}
    checks = response_checks(paths, summaries, rows)
    return _responses_report(checks, table, settings, overrides)


def _responses_report(checks: list[ResponseCheck], table: Path, settings: dict[str, dict[str, Any]],
                      overrides: tuple[str, ...]) -> Report:
    signed = [c for c in checks if c.matches is not None]
    n_match = sum(bool(c.matches) for c in signed)
    trials = sorted({s["trials"] for s in settings.values()})
    run_text = ", ".join(f"{o} ({s['config']}, seed {s['seed']})" for o, s in settings.items())
    lines = [(f"Backtest of revealed responses: {len(checks)} public responses in {table} against the coalition "
             f"model's P(accept) of {len(settings)} option(s): {run_text}; {'/'.join(f'{t:,}' for t in trials)} "
             "trials each, sampler mc."),
             ("P(accept): mean over trials (MC s.e.) and its 10-90% range over the assumptions; 'on side': the share of "
             "trials whose P(accept) is on the side of 1/2 the party took."), ""]
    head = (f"{'response':<34} {'actor':<18} {'option':<16} {'said':<11} {'P(accept)':>9} {'s.e.':>6} "
            f"{'10-90%':>11} {'on side':>7}  match")
    lines.append(head)
    for c in checks:
        r, e = c.response, c.estimate
        if e is None:
            lines.append(f"{r.id:<34} {r.actor:<18} {r.option:<16} {r.response:<11} {'-':>9} {'':>6} {'':>11} {'':>7}  "
                         "(not scored: see below)")
            continue
        side = f"{c.on_side:.2f}" if np.isfinite(c.on_side) else "-"
        match = "-" if c.matches is None else ("yes" if c.matches else "NO")
        flag = f" ({c.flag})" if c.flag else ""
        lines.append(f"{r.id:<34} {r.actor:<18} {r.option:<16} {r.response:<11} {e.mean:>9.3f} {e.se:>6.3f} "
                     f"{e.spread_lo:>5.2f}-{e.spread_hi:<5.2f} {side:>7}  {match}{flag}")
    lines.append("")
    data: dict[str, Any] = {"n_responses": len(checks), "n_signed_scored": len(signed), "n_matched": n_match,
                            "options": settings, "table": str(table)}
    if signed:
        p = np.array([c.estimate.mean for c in signed])
        y = np.array([1 if c.response.sign > 0 else 0 for c in signed])
        model_s, coin = cal.binary_scores(p, y), cal.binary_scores(np.full(len(y), 0.5), y)
        lines.append(f"{n_match} of {len(signed)} accept/reject responses on the model's side of 1/2. Brier score "
                     f"{model_s.brier:.3f} and log loss {model_s.log_loss:.3f} against a coin's {coin.brier:.3f} and "
                     f"{coin.log_loss:.3f} (n = {len(signed)}: a description of fit, not a test).")
        data["model"], data["coin"] = model_s.as_dict(), coin.as_dict()
        missed = [c.response.id for c in signed if not c.matches]
        if missed:
            lines.append(f"Missed: {', '.join(missed)}.")
        data["missed"] = missed
    flagged = [c for c in checks if c.flag]
    if flagged:
        lines.append("Flagged: " + "; ".join(f"{c.response.id} {c.flag} (P {c.estimate.mean:.3f})" for c in flagged)
                     + f" (near-certain: within {NEAR_CERTAIN} of 0 or 1; knife-edge: within {KNIFE_EDGE} of 1/2).")
    data["flagged"] = {c.response.id: c.flag for c in flagged}
    unscored = [c for c in checks if c.estimate is None]
    if unscored:
        reasons: dict[str, list[str]] = {}
        for c in unscored:
            reasons.setdefault(c.note.removeprefix("not scored: "), []).append(c.response.id)
        lines.append("Not scored: " + "; ".join(f"{', '.join(ids)} ({why})" for why, ids in reasons.items()) + ".")
    lines.append(f"Conditional responses ({sum(c.response.sign == 0 for c in checks)}) have no side of 1/2 and are "
                 "shown, not scored. The shipped configs' ideal points, saliences and sigma were revisited with these "
                 "responses in view (issue 15): a check that the configs are consistent with what the parties said, "
                 "not an out-of-sample test.")
    data["responses"] = _responses_table(checks).records()
    tables = {"responses": _responses_table(checks)}
    figures = {"responses": responses_figure(checks, max(trials))} if any(c.estimate is not None for c in checks) else {}
    return Report(kind="backtest-responses", text="\n".join(lines), data=data, tables=tables, figures=figures,
                  inputs={"kind": "responses", "table": str(table), "options": settings, "set": list(overrides)})

# ============================================================= end of revealed responses (issue 15, part 2)
