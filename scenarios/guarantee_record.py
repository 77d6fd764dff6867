"""The guarantee record: reference classes of invoked alliance commitments, the penalised fit of P(honour) on
the record's covariates, ``accord calibrate guarantees`` and the ``guarantees`` kind of ``accord backtest``.

The outside view of a guarantee's credibility (MODELS.md section 1; Kahneman & Lovallo 1993): how often were
commitments of this era and type honoured when they were invoked? Reliability on the record: Leeds, Long &
Mitchell (2000) 74.5% honoured 1816-1944; Berkemeier & Fuhrmann (2018) 50% of invoked commitments 1816-2003,
66% before 1945 and 22% after, defence pacts 41%; Leeds & Anac (2005) no evidence that institutionalised
alliances are more reliable; Leeds (2003) changes in capabilities and domestic institutions since signature
predict violation. The tables are read by scenarios/reference.py (which rows are invocations, and why, is
written there); the estimators and scores are model/calibration.py's.

The model fitted to a table (``record_covariates``):

    P(honoured) = F(b0 + b_era post1945 + sum_t b_t type_t + b_m multilateral [+ the table's own covariates])

F the normal CDF (probit, DEFAULT_LINK: the link of the scenario's P(honour) = Phi(z), so the fitted index, the
printed class indices and the weights a config uses are on one scale) or, on request, the logistic (logit),
ridge-penalised: the default prior is N(0, 1) on each slope on the logit scale in either link, i.e. ridge 1
for logit and 1.6^2 = 2.56 for probit (N(0, 0.625^2) on a probit slope; Amemiya 1981's logit/probit scale
1.6), the intercept free, so that few, meaningful covariates generalise to wars the fit has not seen;
covariates are the record's codings (0/1 indicators, or Leeds & Anac's 0-2 scales), never codings made
knowing the outcome. Standard errors are those of the penalised maximum-likelihood estimate (the inverse
penalised Fisher information), not posterior standard deviations.

**Reference class = prediction cell.** A commitment's reference class is its cell of the record's class
covariates: era x commitment types (the exact combination) x bilateral/multilateral (``CLASS_COVARIATES``,
those the table codes). A prediction for a cell with at least one training case is the fit at that cell;
a cell with no training case is not extrapolated from the additive fit: it takes the fit's mean prediction
over the training cases of its wider class (era x multilateral; then era; then all cases), and is flagged
(``Support``). Covariates beyond the class (Leeds & Anac's institutionalisation and change since signature)
shift a prediction within its class. In grouped 5-fold cross-validation on the shipped Berkemeier &
Fuhrmann file (seeds 0-3, coding llm) this rule lowers the Brier score from 0.213 to 0.209; on Leeds & Anac
(whose classes are era x multilateral) it changes nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import special

import scenarios
from model import calibration as cal
from scenarios import backtest as bt
from scenarios import plots
from scenarios import reference as ref
from scenarios.config import ConfigError
from scenarios.results import Report, Table
from scenarios.schemas.guarantees import resolve_table  # a config's record table (validation reads it too)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

ROOT = Path(scenarios.__file__).resolve().parent.parent
RECORD_TABLE = ROOT / "configs" / "reference" / "alliances_berkemeier_fuhrmann_2018.csv"
ACCORD_TABLE = ROOT / "configs" / "reference" / "guarantees.csv"

# what each format's fit uses (MODELS.md section 1 and the issue: era, commitment type, multilateral; for
# Leeds & Anac institutionalisation and change since signature; accord's own table its mechanism features)
CLASS_COVARIATES = ("post1945", *ref.COMMITMENT_TYPES, "multilateral")
FIT_COVARIATES = {
    ref.BERKEMEIER_FUHRMANN.name: CLASS_COVARIATES,
    ref.LEEDS_ANAC.name: ("post1945", "multilateral", "milinst", "formal", "chcap2d", "dinstch2"),
    ref.ACCORD_GUARANTEES.name: ref.ACCORD_FEATURES,
}
DEFAULT_LINK = "probit"
DEFAULT_RIDGE = {"logit": 1.0, "probit": cal.LOGIT_PROBIT_SCALE**2}  # N(0, 1) on each slope on the logit scale


def default_ridge(link: str) -> float:
    """The ridge strength of the default prior, N(0, 1) on each slope on the logit scale, for this link."""
    return DEFAULT_RIDGE[link]


def record_covariates(cases: ref.AllianceCases) -> tuple[str, ...]:
    """The covariates the fit uses for this table's format (those the table has)."""
    return tuple(c for c in FIT_COVARIATES[cases.format] if c in cases.covariates)


def design(cases: ref.AllianceCases, covariates: tuple[str, ...]) -> np.ndarray:
    """(n, k) matrix of the named covariates."""
    if not covariates:
        return np.zeros((len(cases), 0))
    return np.column_stack([cases.covariates[c] for c in covariates])


def fit_record(cases: ref.AllianceCases, covariates: tuple[str, ...], link: str = DEFAULT_LINK,
               penalty: str = "ridge", ridge: float | None = None) -> cal.BinaryFit:
    """The penalised fit of P(honoured) on the named covariates; ConfigError when the cases have one outcome."""
    y = cases.honoured
    if y.min() == y.max():
        what = "honoured" if y[0] == 1 else "violated"
        raise ConfigError(f"all {len(y)} cases were {what}: a fit needs honoured and violated cases",
                          cases.source)
    ridge = default_ridge(link) if ridge is None else ridge
    return cal.BinaryResponse(link, penalty, ridge).fit(design(cases, covariates), y, covariates)


# ------------------------------------------------------------------------------------------ rates


@dataclass(frozen=True)
class ClassRate:
    """A reference class: k of n invoked commitments honoured, with the Wilson 95% interval."""

    label: str
    honoured: int
    n: int
    rate: float
    lo: float
    hi: float


def class_rate(label: str, honoured: np.ndarray) -> ClassRate:
    k, n = int(np.sum(honoured)), len(honoured)
    p, lo, hi = cal.rate(k, n)
    return ClassRate(label, k, n, p, lo, hi)


def class_rates(cases: ref.AllianceCases) -> list[ClassRate]:
    """Overall, by era, by commitment type (and type by era), by multilateral, and for Leeds & Anac by
    institutionalisation and change since signature: whatever the table codes."""
    y = cases.honoured
    cov = cases.covariates
    rows = [class_rate("all invocations", y)]
    if "post1945" in cov:
        for era in ref.ERAS:
            rows.append(class_rate(era, y[cases.era == era]))
    for t in cases.types():
        has = cov[t] == 1
        rows.append(class_rate(ref.TYPE_LABELS[t], y[has]))
        if "post1945" in cov:
            for era in ref.ERAS:
                rows.append(class_rate(f"{ref.TYPE_LABELS[t]} {era}", y[has & (cases.era == era)]))
    if "multilateral" in cov:
        rows.append(class_rate("bilateral", y[cov["multilateral"] == 0]))
        rows.append(class_rate("multilateral", y[cov["multilateral"] == 1]))
    for name, levels in (("milinst", (0, 1, 2)), ("formal", (0, 1, 2)), ("chcap2d", (0, 1)), ("dinstch2", (0, 1))):
        if name in cov:
            for level in levels:
                rows.append(class_rate(f"{ref.COVARIATE_LABELS[name]} = {level}", y[cov[name] == level]))
    return rows


ERA_MULTILATERAL = ("post1945", "multilateral")
SUPPORT_LEVELS = ("cell", "era x multilateral", "era", "all")


def class_columns(covariates: tuple[str, ...], level: str = "cell") -> list[int]:
    """Columns of ``covariates`` that define a reference class at this level: the cell (every class covariate
    the fit has: era, commitment types, multilateral), era x multilateral, era, or none (all cases)."""
    keep = {"cell": CLASS_COVARIATES, "era x multilateral": ERA_MULTILATERAL, "era": ("post1945",), "all": ()}[level]
    return [j for j, c in enumerate(covariates) if c in keep]


def class_label(covariates: tuple[str, ...], x: np.ndarray, level: str = "cell") -> str:
    """'defence + consultation pacts, multilateral, 1945-2003' for a class row x of ``covariates``."""
    values = {c: float(v) for c, v in zip(covariates, x)}
    parts = []
    types = [t for t in ref.COMMITMENT_TYPES if values.get(t) == 1.0]
    if level == "cell" and types:
        names = [ref.TYPE_LABELS[t].removesuffix(" pacts") for t in types]
        parts.append(" + ".join(names) + " pacts" + (" only" if len(types) == 1 and any(
            t in values for t in ref.COMMITMENT_TYPES if t != types[0]) else ""))
    else:
        parts.append("all commitments" if level != "cell" or not any(t in values for t in ref.COMMITMENT_TYPES)
                     else "commitments of no coded type")
    if "multilateral" in values and level in ("cell", "era x multilateral"):
        parts.append("multilateral" if values["multilateral"] >= 0.5 else "bilateral")
    if "post1945" in values and level != "all":
        parts.append(ref.ERAS[int(values["post1945"] >= 0.5)])
    return ", ".join(parts)


@dataclass(frozen=True)
class Support:
    """Where a prediction's reference class stands among the training cases: the exact cell's count, and the
    class the prediction uses (the cell when it has a case, else the first wider class that has one)."""

    level: str  # one of SUPPORT_LEVELS
    n_cell: int  # training cases in the exact cell
    mask: np.ndarray  # (n_train,) the training cases of the class used

    @property
    def extrapolated(self) -> bool:
        return self.level != "cell"


def support(train_x: np.ndarray, x: np.ndarray, covariates: tuple[str, ...]) -> Support:
    """The reference class of one row x (k,) among training rows train_x (m, k) (module docstring)."""
    cell = class_columns(covariates)
    in_cell = np.all(train_x[:, cell] == x[cell], axis=1) if cell else np.ones(len(train_x), dtype=bool)
    for level in SUPPORT_LEVELS:
        cols = class_columns(covariates, level)
        mask = np.all(train_x[:, cols] == x[cols], axis=1) if cols else np.ones(len(train_x), dtype=bool)
        if mask.any():
            return Support(level, int(in_cell.sum()), mask)
    raise ValueError("no training cases")


def predict_supported(fit: cal.BinaryFit, train_x: np.ndarray, x: np.ndarray
                      ) -> tuple[np.ndarray, list[Support]]:
    """P(honour) of rows x (n, k): the fit where the row's class cell has a training case; else the fit's mean
    prediction over the training cases of the wider class (``support``). Returns (p (n,), supports)."""
    covariates = tuple(fit.feature_names[1:])
    p = fit.predict(x) if len(x) else np.zeros(0)
    cell = class_columns(covariates)
    supports: list[Support] = []
    cache: dict[bytes, Support] = {}
    for i in range(len(x)):
        key = x[i, cell].tobytes()
        if key not in cache:
            cache[key] = support(train_x, x[i], covariates)
        s = cache[key]
        supports.append(s)
        if s.extrapolated:
            p[i] = float(np.mean(fit.predict(train_x[s.mask])))
    return p, supports


def matched_class(cases: ref.AllianceCases, covariates: tuple[str, ...], x: np.ndarray) -> tuple[ClassRate, Support]:
    """The reference class a commitment with class row x is matched to, the same class its prediction uses:
    its cell (era x commitment types x multilateral, where the table codes them), or, when the record holds no
    case of that cell, the wider class, labelled with why; k of n honoured with the Wilson interval."""
    s = support(design(cases, covariates), x, covariates)
    label = class_label(covariates, x, s.level)
    if s.extrapolated:
        label += f" (the record has no case of {class_label(covariates, x)})"
    return class_rate(label, cases.honoured[s.mask]), s


# ------------------------------------------------------------------------------------------ backtest kind


def _cases(path: Path, coding: str | None) -> bt.Cases:
    return as_backtest_cases(ref.read_alliances(path, coding or "llm"))


def as_backtest_cases(a: ref.AllianceCases) -> bt.Cases:
    """The alliance cases in the shape every backtest kind hands over (scenarios/backtest.py)."""
    excluded = f", {a.rows_read - len(a)} other rows not invocations" if a.rows_read > len(a) else ""
    coding_text = f", coding {a.coding}" if a.format == ref.BERKEMEIER_FUHRMANN.name else ""
    return bt.Cases(a.source, f"{len(a)} cases{excluded}; {a.title}{coding_text}", a.case_id, a.war, a.war_label,
                    a.war_key, a.honoured, a)


@dataclass(frozen=True)
class FittedRecord:
    """A record fit as the backtest sees it."""

    fit: cal.BinaryFit
    covariates: tuple[str, ...]
    left_out: tuple[str, ...]
    train_x: np.ndarray  # (m, k) the training cases' covariates: a prediction's class must have one of them

    def predict(self, cases: bt.Cases) -> np.ndarray:
        return predict_supported(self.fit, self.train_x, design(cases.payload, self.covariates))[0]

    def flags(self, cases: bt.Cases) -> np.ndarray:
        """Per case: "" when its class cell has training cases, else the wider class its prediction used."""
        _, supports = predict_supported(self.fit, self.train_x, design(cases.payload, self.covariates))
        return np.array(["" if not s.extrapolated else s.level for s in supports], dtype=object)

    def describe(self) -> str:
        terms = ", ".join(self.covariates) or "no covariates (the base rate)"
        penalty = f"ridge {self.fit.ridge:g}" if self.fit.penalty == "ridge" else self.fit.penalty
        text = (f"penalised {self.fit.link} ({penalty}) on {terms}; a case whose class cell (era x commitment "
                "types x multilateral, as coded) has no training case takes its wider class's fitted rate.")
        if self.left_out:
            text += f" Left out (not coded in both tables): {', '.join(self.left_out)}."
        return text

    def data(self) -> dict[str, Any]:
        return {"link": self.fit.link, "penalty": self.fit.penalty, "ridge": self.fit.ridge, "n_obs": self.fit.n_obs,
                "coefficients": {n: {"coef": float(c), "se": _finite(s)}
                                 for n, c, s in zip(self.fit.feature_names, self.fit.coef, self.fit.se)},
                "left_out": list(self.left_out)}


@dataclass(frozen=True)
class GuaranteeBacktest:
    """``accord backtest guarantees``: P(honour) of invoked commitments from the record's covariates."""

    name: str = "guarantees"
    title: str = "P(honour) of invoked alliance commitments"
    outcome_label: str = "honoured"
    prediction_label: str = "P(honour)"

    def read(self, path: Path, options: Mapping[str, Any]) -> bt.Cases:
        return _cases(path, options.get("coding"))

    def fit(self, train: bt.Cases, test: bt.Cases, options: Mapping[str, Any]) -> FittedRecord:
        coding = options.get("coding")
        bf = ref.BERKEMEIER_FUHRMANN.name
        if coding is not None and bf not in (train.payload.format, test.payload.format):
            raise ConfigError(f"--coding {coding} does not apply: neither table is Berkemeier & Fuhrmann's (2018), the "
                              f"one format with two codings (llm, bf); {train.payload.title} has one coding "
                              f"({train.payload.coding}). Leave --coding out", train.source, None, "--coding")
        wanted = record_covariates(train.payload)
        covariates = tuple(c for c in wanted if c in test.payload.covariates)
        left_out = tuple(c for c in wanted if c not in covariates)
        link = options.get("link") or DEFAULT_LINK
        fit = fit_record(train.payload, covariates, link, options.get("penalty", "ridge"), options.get("ridge"))
        return FittedRecord(fit, covariates, left_out, design(train.payload, covariates))


BACKTEST = GuaranteeBacktest()


# ------------------------------------------------------------------------------------------ calibrate


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(float(x)) else None


def _rates_table(rates: list[ClassRate]) -> Table:
    return Table(["class", "honoured", "n", "rate", "ci95_low", "ci95_high"],
                 [[r.label, r.honoured, r.n, r.rate, r.lo, r.hi] for r in rates])


def rates_text(rates: list[ClassRate]) -> list[str]:
    width = max(len(r.label) for r in rates) + 2
    lines = [f"{'class':<{width}} {'honoured':>8} {'n':>4} {'rate':>6}   95% CI (Wilson)"]
    for r in rates:
        if r.n == 0:
            lines.append(f"{r.label:<{width}} {0:>8} {0:>4} {'n/a':>6}")
            continue
        lines.append(f"{r.label:<{width}} {r.honoured:>8} {r.n:>4} {r.rate:>6.2f}   {r.lo:.2f}-{r.hi:.2f}")
    return lines


def class_probabilities(fit: cal.BinaryFit, cases: ref.AllianceCases) -> list[dict[str, Any]]:
    """P(honour) of each class the table can express (commitment type x era x bilateral/multilateral, as in the
    rates), as the fit's mean prediction over the record's cases of that class, beside the class's k of n.

    The mean runs over the cases' own values of every other covariate (Leeds & Anac's institutionalisation and
    change since signature; the other types an alliance carries), so no value is read off a combination of
    covariates the record never had; a class without cases is given no value (``p_honour`` None). With the
    probit index Phi^-1(P), the ``baseline`` an explicit-weights config would use."""
    covariates = fit.feature_names[1:]
    x = design(cases, tuple(covariates))
    p_case = fit.predict(x)
    types = [t for t in cases.types() if t in covariates] or [None]
    eras = ref.ERAS if "post1945" in covariates else (None,)
    sides = (0.0, 1.0) if "multilateral" in covariates else (None,)
    out = []
    for t in types:
        for era in eras:
            for side in sides:
                mask = np.ones(len(cases), dtype=bool)
                if t is not None:
                    mask &= cases.covariates[t] == 1
                if era is not None:
                    mask &= cases.era == era
                if side is not None:
                    mask &= cases.covariates["multilateral"] == side
                n = int(mask.sum())
                p = float(np.mean(p_case[mask])) if n else None
                out.append({"type": t, "era": era, "multilateral": None if side is None else bool(side),
                            "n": n, "honoured": int(cases.honoured[mask].sum()), "p_honour": p,
                            "probit_baseline": None if p is None else float(cal.link_function(p, "probit"))})
    return out


def _class_table_text(classes: list[dict[str, Any]]) -> list[str]:
    columns = sorted({(c["era"], c["multilateral"]) for c in classes}, key=lambda k: (str(k[0]), str(k[1])))

    def head(era: str | None, multi: bool | None) -> str:
        side = "" if multi is None else (" multilateral" if multi else " bilateral")
        return f"{era or 'any era'}{side}"

    def cell(c: dict[str, Any]) -> str:
        if c["p_honour"] is None:
            return "no cases"
        return f"{c['p_honour']:.2f} ({c['probit_baseline']:+.2f}) {c['honoured']}/{c['n']}"

    width = max(24, *(len(head(*c)) + 2 for c in columns))
    lines = [f"{'':<22}" + "".join(f"{head(*c):>{width}}" for c in columns)]
    for t in dict.fromkeys(c["type"] for c in classes):
        cells = {(c["era"], c["multilateral"]): c for c in classes if c["type"] == t}
        label = ref.TYPE_LABELS.get(t, "all commitments") if t else "all commitments"
        lines.append(f"{label:<22}" + "".join(f"{cell(cells[c]):>{width}}" for c in columns))
    return lines


def _support_text(predictions: bt.Predictions) -> list[str]:
    """How many cross-validated predictions fell in a class cell with no training case (flagged, not
    extrapolated)."""
    if predictions.flag is None or not np.any(predictions.flag != ""):
        return []
    n = int(np.sum(predictions.flag != ""))
    return [(f"{n} of {len(predictions.flag)} held-out cases fell in a class cell with no training case; they took "
            "their wider class's fitted rate (era x multilateral, else era), not an extrapolation of the fit.")]


def read_table(path: Path | str, coding: str | None = None) -> ref.AllianceCases:
    """An alliance table's invoked commitments. ``coding`` (llm | bf) chooses between Berkemeier & Fuhrmann's
    two codings (None: llm); given for a table of another format, which has one coding of its own, it is a
    ConfigError naming the codings that table supports."""
    cases = ref.read_alliances(path, coding or "llm")
    if coding is not None and cases.format != ref.BERKEMEIER_FUHRMANN.name:
        raise ConfigError(f"--coding {coding} does not apply: {cases.title} has one coding ({cases.coding}; "
                          f"{cases.rule}); --coding llm|bf chooses between Berkemeier & Fuhrmann's (2018) two codings. "
                          "Leave --coding out for this table", cases.source, None, "--coding")
    return cases


def calibrate(path: Path | str, coding: str | None = None, folds: int | None = None, seed: int = 0,
              link: str = DEFAULT_LINK, penalty: str = "ridge", ridge: float | None = None) -> Report:
    """``accord calibrate guarantees``: reference-class rates, the penalised fit with standard errors, grouped
    cross-validation by war (``folds``), and what a config can use. Any alliance table format (reference.py)."""
    path = Path(path)
    cases = read_table(path, coding)
    coding = cases.coding if cases.format == ref.BERKEMEIER_FUHRMANN.name else None
    ridge = default_ridge(link) if ridge is None else ridge
    covariates = record_covariates(cases)
    fit = fit_record(cases, covariates, link, penalty, ridge)
    rates = class_rates(cases)
    n_wars = len(np.unique(cases.war))
    excluded = ", ".join(f"{k} {v}" for k, v in cases.excluded.items())
    coding_text = f", coding {cases.coding}" if cases.format == ref.BERKEMEIER_FUHRMANN.name else ""
    lines = [
        f"Guarantee credibility on the record: {cases.source} ({cases.title}{coding_text}).",
        (f"Cases: {len(cases)} of {cases.rows_read} rows ({int(cases.honoured.sum())} honoured) from {n_wars} "
         f"{'crises' if cases.format == ref.ACCORD_GUARANTEES.name else 'wars'}; {cases.rule}"
         + (f" ({excluded})." if excluded else ".")),
        "", "Reference-class rates:", *rates_text(rates),
    ]
    if not cases.types():
        lines.append("(This table codes no commitment types: rates by type need Berkemeier & Fuhrmann's table.)")
    penalty_text = (f"ridge {fit.ridge:g} (a N(0, {1 / np.sqrt(fit.ridge):.3g}^2) prior on each slope)"
                    if penalty == "ridge" else penalty)
    lines += ["", (f"Fitted model: P(honoured) = {'logistic' if link == 'logit' else 'Phi'}(b0 + sum b_k x_k), "
                   f"{link} link, penalty {penalty_text}; {fit.n_obs} cases; converged: "
                   f"{'yes' if fit.converged else 'no'}. s.e.: standard errors of the penalised maximum-likelihood "
                   "estimate (inverse penalised information), not posterior standard deviations."),
              f"{'term':<13} {'coef':>8} {'s.e.':>7} {'z':>7}   covariate"]
    for name, c, se, z in zip(fit.feature_names, fit.coef, fit.se, fit.z_value):
        lines.append(f"{name:<13} {c:>8.3f} {se:>7.3f} {z:>7.2f}   {ref.COVARIATE_LABELS.get(name, 'constant')}")
    lines.append(
        f"In sample (optimistic): AUC {fit.auc:.3f}, log-likelihood {fit.log_likelihood:.2f} against "
        f"{fit.null_log_likelihood:.2f} for the base rate alone (McFadden R2 {fit.mcfadden_r2:.2f}); data separation: "
        f"{fit.separation}" + (" (the unpenalised estimates do not exist; read these as shrunk)." if fit.separation
                               != "none" else "."))
    data: dict[str, Any] = {
        "table": cases.source, "format": cases.format, "coding": cases.coding, "rule": cases.rule,
        "n_rows": cases.rows_read, "n_cases": len(cases), "n_honoured": int(cases.honoured.sum()), "n_wars": n_wars,
        "excluded": cases.excluded,
        "rates": [{"class": r.label, "honoured": r.honoured, "n": r.n, "rate": _finite(r.rate), "ci95_low": _finite(r.lo),
                   "ci95_high": _finite(r.hi)} for r in rates],
        "link": link, "penalty": penalty, "ridge": fit.ridge, "converged": fit.converged,
        "coefficients": {n: {"coef": float(c), "se": _finite(s), "z": _finite(z)}
                         for n, c, s, z in zip(fit.feature_names, fit.coef, fit.se, fit.z_value)},
        "covariance": fit.covariance.tolist(),
        "auc_in_sample": _finite(fit.auc), "log_likelihood": fit.log_likelihood,
        "null_log_likelihood": fit.null_log_likelihood, "mcfadden_r2": _finite(fit.mcfadden_r2),
        "separation": fit.separation,
    }
    tables = {"rates": _rates_table(rates),
              "coefficients": Table(["term", "coef", "se", "z", "covariate"],
                                    [[n, float(c), float(s), float(z), ref.COVARIATE_LABELS.get(n, "constant")]
                                     for n, c, s, z in zip(fit.feature_names, fit.coef, fit.se, fit.z_value)])}
    figures: dict[str, Figure] = {"rates": rates_figure(rates, cases)}

    if folds is not None:
        options = {"coding": coding, "link": link, "penalty": penalty, "ridge": ridge}
        predictions, _ = bt.predict_folds(BACKTEST, as_backtest_cases(cases), folds, seed, options)
        rows, diffs = bt.score_rows(predictions)
        lines += ["", (f"Grouped {folds}-fold cross-validation by war (fold seed {seed}; no war on both sides of a "
                       "split; each fold predicted by a fit on the others):"),
                  bt.CV_BASE_RATE_NOTE, *bt.scores_text(rows, diffs, "honoured")]
        lines += _support_text(predictions)
        data["cross_validation"] = {
            "folds": folds, "seed": seed,
            "model": rows[0].scores.as_dict(), "base_rate": rows[1].scores.as_dict(),
            "difference": {k: {"mean": d.mean, "se": _finite(d.se), "n_groups": d.n_groups} for k, d in diffs.items()},
        }
        tables["cross_validation"] = bt._score_table(rows, diffs)

    lines.append("")
    if cases.format == ref.ACCORD_GUARANTEES.name:
        lines += _mechanism_weights_text(fit, cases, covariates, data)
    else:
        classes = class_probabilities(fit, cases)
        data["classes"] = classes
        tables["classes"] = Table(["type", "era", "multilateral", "honoured", "n", "p_honour", "probit_baseline"],
                                  [[c["type"] or "", c["era"] or "", "" if c["multilateral"] is None else
                                    int(c["multilateral"]), c["honoured"], c["n"], c["p_honour"], c["probit_baseline"]]
                                   for c in classes])
        extra = (" (institutionalisation and change since signature at the class's own values)"
                 if cases.format == ref.LEEDS_ANAC.name else "")
        lines += [(f"Fitted P(honour) by class: the fit's mean over the class's cases{extra}, never read off a "
                   "combination the record lacks; in brackets the probit index Phi^-1(P); then honoured/cases:"),
                  *_class_table_text(classes), "",
                  ("To use this table as a config's outside view (the default, weights: calibrated, uses "
                   f"{RECORD_TABLE.relative_to(ROOT)} under coding llm; the scenario refits the table as a probit "
                   f"(ridge {default_ridge(RECORD_LINK):g}) on the class covariates it codes: era, commitment types, "
                   "multilateral; a guarantor's reference class is its cell of these, the same cell its index is read "
                   "from):"),
                  "  guarantee:", "    weights: calibrated",
                  f"    record: {{table: {cases.source}" + (f", coding: {cases.coding}" if coding_text else "")
                  + f", link: {RECORD_LINK}}}"]
        if link != RECORD_LINK:
            lines.append(f"(The scenario's fit is a {RECORD_LINK}; this run's {link} coefficients are not its "
                         f"weights: rerun with --link {RECORD_LINK} to see them.)")
        if cases.format == ref.LEEDS_ANAC.name:
            lines += _decay_text(fit, cases)
    return Report(kind="calibrate-guarantees", text="\n".join(lines), data=data, tables=tables, figures=figures,
                  inputs={"table": str(path), "coding": coding, "folds": folds, "seed": seed, "link": link,
                          "penalty": penalty, "ridge": ridge})


def _decay_text(fit: cal.BinaryFit, cases: ref.AllianceCases) -> list[str]:
    """Leeds (2003): what a change since signature did on the record, per the fit: the mean P(honour) over the
    1945-2003 cases with each change set to 0 and to 1, their other covariates as coded (a contrast averaged
    over real cases, not a prediction for a combination the record lacks)."""
    names = list(fit.feature_names[1:])
    x = design(cases, tuple(names))
    post = cases.era == ref.ERAS[1]
    if not post.any():
        return []
    parts = []
    for name in ("chcap2d", "dinstch2"):
        if name in names:
            x0, x1 = x[post].copy(), x[post].copy()
            x0[:, names.index(name)] = 0.0
            x1[:, names.index(name)] = 1.0
            parts.append(f"{ref.COVARIATE_LABELS[name]}: {float(fit.predict(x0).mean()):.2f} without, "
                         f"{float(fit.predict(x1).mean()):.2f} with")
    return ["", (f"Change since signature (Leeds 2003), averaged over the record's {int(post.sum())} commitments "
                 f"invoked 1945-2003 ({int(cases.honoured[post].sum())} honoured), P(honour) " + "; ".join(parts)
                 + ". The scenario's default applies no decay beyond the reference class (see README, 'On the "
                 "record').")]


def _mechanism_weights_text(fit: cal.BinaryFit, cases: ref.AllianceCases, covariates: tuple[str, ...],
                            data: dict[str, Any]) -> list[str]:
    """accord's own table: the probit fit's coefficients as the mechanism model's weights (the scenario's link;
    refitted as a probit with its default ridge when this run's link is logit)."""
    probit = fit if fit.link == RECORD_LINK else fit_record(cases, covariates, RECORD_LINK)
    c = probit.as_dict()
    weights = {"audience": c["binding"], "tau": c["tripwire"], "alpha": c["automatic"], "sigma": 1.0,
               "baseline": c["intercept"], "stake_weight": c["stake"], "cost_weight": -c["cost"]}
    data["model_weights"] = weights
    lines = [("These cases were coded after the fact, knowing the outcomes: read the fit as a description, not as "
             "evidence (the published tables code none of its features, so it cannot be scored on them)."),
             (f"As the mechanism model's weights (the probit fit, ridge {probit.ridge:g}"
              + ("" if probit is fit else ", refitted: the scenario's link is probit")
              + "; `weights: fitted` is this fit of the shipped table):"), "  guarantee:",
             "    weights: {" + ", ".join(f"{k}: {v:.3f}" for k, v in weights.items()) + "}"]
    if any(weights[k] < 0 for k in ("audience", "tau", "alpha", "stake_weight", "cost_weight")):
        lines.append("Note: a negative weight is outside the config's allowed range [0, 5]; the table gives no "
                     "evidence that the feature helps.")
    return lines


def rates_figure(rates: list[ClassRate], cases: ref.AllianceCases) -> Figure:
    """Each reference class's honour rate with its Wilson 95% interval and 'k of n' beside it."""
    shown = [r for r in rates if r.n > 0]
    fig = plots.figure(figsize=(7.0, 0.32 * len(shown) + 1.4))
    ax = fig.subplots()
    y = np.arange(len(shown))[::-1]
    rate = np.array([r.rate for r in shown])
    ax.errorbar(rate, y, xerr=[rate - [r.lo for r in shown], [r.hi for r in shown] - rate], fmt="o",
                color="#2166ac", ecolor="#92c5de", capsize=3)
    for yi, r in zip(y, shown):
        ax.annotate(f"{r.honoured} of {r.n}", (r.hi, yi), textcoords="offset points", xytext=(5, -3), fontsize=7)
    ax.set_yticks(y, [r.label for r in shown], fontsize=7)
    ax.axvline(rates[0].rate, color="grey", lw=0.8, ls="--")
    ax.set(xlim=(0, 1.12), xlabel="share honoured when invoked (Wilson 95% interval)")
    ax.grid(axis="x", alpha=0.3)
    coding = f", coding {cases.coding}" if cases.format == ref.BERKEMEIER_FUHRMANN.name else ""
    ax.set_title(f"Reference classes: {cases.title}{coding} ({len(cases)} cases)", fontsize=9)
    return fig


@functools.lru_cache(maxsize=8)
def _read_cached(path: str, mtime: float, coding: str) -> ref.AllianceCases:
    return ref.read_alliances(Path(path), coding)


def _mtime(path: Path) -> float:
    """A file's modification time (the cache key of its version); -1 when it cannot be read (the reader says why)."""
    try:
        return path.stat().st_mtime
    except OSError:
        return -1.0


# ------------------------------------------------------------------------------------------ the scenario's record


RECORD_LINK = "probit"  # the scenario's P(honour) = Phi(z): the record is fitted on the same scale


@dataclass(frozen=True)
class RecordModel:
    """The outside view a guarantee config uses: a probit ridge fit of P(honoured) on the class covariates a
    guarantor's coding gives (era, commitment types, multilateral; those the table codes).

    The fit is made when first used, not when the model is built: validating a config (which checks that its
    record table reads) then costs no fit, and `accord validate` / `show` start fast (issue 17)."""

    cases: ref.AllianceCases
    covariates: tuple[str, ...]

    @functools.cached_property
    def fit(self) -> cal.BinaryFit:
        return fit_record(self.cases, self.covariates, RECORD_LINK, "ridge", default_ridge(RECORD_LINK))

    def class_features(self, era: str, commitments: tuple[str, ...], multilateral: np.ndarray) -> np.ndarray:
        """(n, k) covariate rows of one guarantor's class, k = len(covariates); multilateral (n,) in [0, 1]."""
        n = len(multilateral)
        x = np.zeros((n, len(self.covariates)))
        for j, name in enumerate(self.covariates):
            if name == "post1945":
                x[:, j] = float(era == ref.ERAS[1])
            elif name == "multilateral":
                x[:, j] = multilateral
            elif name in ref.COMMITMENT_TYPES:
                x[:, j] = float(name in commitments)
        return x

    def class_row(self, era: str, commitments: tuple[str, ...], multilateral: float) -> np.ndarray:
        """(k,) the class row of a guarantor (multilateral read as 0/1 at 0.5: the cell it belongs to)."""
        return self.class_features(era, commitments, np.array([float(multilateral >= 0.5)]))[0]

    def matched(self, era: str, commitments: tuple[str, ...], multilateral: float
                ) -> tuple[ClassRate, Support]:
        """A guarantor's reference class, the same cell its record index is read from (``index``)."""
        return matched_class(self.cases, self.covariates, self.class_row(era, commitments, multilateral))

    def index(self, coef: np.ndarray, era: str, commitments: tuple[str, ...], multilateral: float,
              multilateral_draws: np.ndarray) -> np.ndarray:
        """eta (n,): the record's probit index of a guarantor's class per trial, coef (n, k + 1) drawn.

        In a cell with cases: b0 + x b (x with the trial's multilateral share). In a cell the record lacks:
        Phi^-1 of the mean over the wider class's cases i of Phi(b0 + x_i b), the fit's rate for that class."""
        _, s = self.matched(era, commitments, multilateral)
        if not s.extrapolated:
            x = self.class_features(era, commitments, multilateral_draws)  # (n, k)
            return coef[:, 0] + np.einsum("nk,nk->n", x, coef[:, 1:])
        xs = design(self.cases, self.covariates)[s.mask]  # (m, k)
        p = special.ndtr(coef[:, :1] + coef[:, 1:] @ xs.T).mean(axis=1)
        return special.ndtri(np.clip(p, 1e-12, 1 - 1e-12))

    def label(self) -> str:
        coding = f", coding {self.cases.coding}" if self.cases.format == ref.BERKEMEIER_FUHRMANN.name else ""
        return f"{self.cases.title}{coding}, {len(self.cases)} invocations"


@functools.lru_cache(maxsize=8)
def _record_model(path: str, mtime: float, coding: str) -> RecordModel:
    cases = _read_cached(path, mtime, coding)
    if cases.format == ref.ACCORD_GUARANTEES.name:
        raise ConfigError("the record must be a published alliance table (Berkemeier & Fuhrmann 2018 or Leeds & "
                          "Anac 2005); accord's guarantees.csv was coded knowing the outcomes (use weights: fitted "
                          "for its fit)", cases.source)
    covariates = tuple(c for c in CLASS_COVARIATES if c in cases.covariates)
    return RecordModel(cases, covariates)


def record_model(table: str | Path, coding: str = "llm") -> RecordModel:
    """The record fit for a config's ``guarantee.record`` (cached per process and file version)."""
    p = resolve_table(table)
    model = _record_model(str(p), _mtime(p), coding)
    if coding != "llm" and model.cases.format != ref.BERKEMEIER_FUHRMANN.name:
        raise ConfigError(f"coding {coding} does not apply: {model.cases.title} has one coding ({model.cases.coding}); "
                          "llm|bf chooses between Berkemeier & Fuhrmann's (2018) two codings", model.cases.source,
                          None, "guarantee.record.coding")
    return model
