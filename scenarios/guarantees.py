"""Guarantee credibility: how likely each guarantor honours its promise, and whether that deters.

Wires ``model/guarantees.py`` (MODELS.md section 1) into a scenario. Per trial, each guarantor g honours with
p_honour_g = Phi(z_g). By default (``weights: calibrated``) the outside view comes first (Kahneman & Lovallo
1993): z_g is the record's probit index for the guarantor's reference class, shifted by the mechanism's
features measured from the record's typical commitment x_ref,

    z_g = eta_g + w_stake (stake_g - stake_ref) - w_cost (cost_g - cost_ref) + audience (binding_g - binding_ref)
              + tau (tripwire_g - tripwire_ref) + alpha (automatic_g - automatic_ref)
    eta_g = b0 + b_era 1{era 1945-2003} + sum_t b_t 1{g's commitment has type t} + b_m multilateral_g

b a ridge-penalised probit fit to the invoked alliance commitments of the record table (default: Berkemeier &
Fuhrmann 2018, coding llm; scenarios/guarantee_record.py), drawn per trial from its sampling distribution
(b = b_hat + L z, z the ``guarantee.record.draws`` standard normals z0..z7: parameters like any other, so
configs share them as common random numbers). The record codes no stakes, costs, bindingness, tripwires or triggers,
so their weights (``guarantee.shifts``) are assumptions with ranges (Schelling 1966; Fearon 1997; Huth 1988),
and x_ref (``guarantee.shifts.reference``) is the record's typical invoked commitment. The report sets each
guarantor's P(honour) beside its matched reference class ("defence pacts 1945-2003: 4 of 20 honoured").
Credibility decay over the horizon (Leeds 2003): none beyond the reference class, whose invocations came at
every age of their alliances (DECAY_NOTE).

The guarantors' decisions share a common factor with correlation rho; escape clauses void the guarantee with
p_void; the challenger sees q_eff = expected capability-weighted response x (1 - p_void); the challenger's war
payoff with the guarantee is payoff = (1 - q_eff)(V p - k) + q_eff (V p_g - k - P) (model.guarantees.war_payoff:
p its chance against the protected state alone, p_g against the state and a full guarantor response) and it is
deterred with P(deterred) = Phi(-payoff / s); q* is the credibility at which the attack stops paying.

Config keys (the settlement scenario reuses them, see notes/WIRING.md)::

    guarantee:            # GuaranteeBlock: shared settings
      rho: 0.7            # correlation of the guarantors' decisions (shared political will), [0, 1]
      free_riding: 0      # Olson & Zeckhauser (1966) stake dilution, [0, 1]
      weights: calibrated # calibrated | default | fitted | {audience, tau, alpha, sigma, baseline, stake_weight, cost_weight}
      era: "1945-2003"    # the record's era the guarantee is matched to (1816-1944 | 1945-2003)
      record: {table: configs/reference/alliances_berkemeier_fuhrmann_2018.csv, coding: llm}  # + draws.z0..z7
      shifts: {stake_weight, cost_weight, audience, tau, alpha, reference: {stake, cost, binding, tripwire, automatic}}
      escape_clauses:     # conditions that void the guarantee
        - {name: strike_on_moscow, p_triggered: 0.03, p_manufactured: 0.3, p_accepted: 0.3}
    guarantees:           # one Guarantor per guarantor, addressed by name: --set guarantees.us.binding=0.9
      - {name: us, stake: 0.75, cost: 1.5, binding: 0.3, tripwire: 0, automatic: 0.3, capability: 0.8,
         commitment: [defense], multilateral: 1}
    challenger: {value: 1, p_win: 0.5, p_win_guaranteed: 0.1, cost_of_war: 0.2, punishment: 1, noise_scale: 0.1}

The weights of the guarantor's utility (``guarantee.weights``) come in four forms:

* ``calibrated`` (the default): the record's class index plus assumed shifts, as above;
* ``default``: the mechanism model alone with its assumed weights (``model.guarantees.DEFAULT_WEIGHTS``:
  audience 1, tau 1.5, alpha 0.5, sigma 1, baseline 0; w_stake = w_cost = 1), features not centred;
* ``fitted``: the probit weights fitted with a ridge penalty (2.56, the record's default prior) to accord's own table
  ``configs/reference/guarantees.csv`` (23 cases coded knowing their outcomes: a description, not evidence;
  ``accord calibrate guarantees configs/reference/guarantees.csv`` reports them): intercept ->
  baseline, binding -> audience, tripwire -> tau, automatic -> alpha, stake -> w_stake, minus cost -> w_cost;
* a mapping of explicit weights (each a number or a distribution, so they can be swept), e.g.
  ``weights: {audience: 0.3}``; keys left out keep their default values.

Outputs of ``compute`` (one chunk of n trials): see its docstring. The report adds the historical references
``configs/reference/budapest_1994.yaml`` and ``configs/reference/nato_article5.yaml``, run with the config's
seed, weights, record and shifts at REFERENCE_TRIALS trials, beside the config's guarantee.
"""

from __future__ import annotations

import functools
import json
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import special

import scenarios
from model import guarantees as gm
from scenarios import forces as F
from scenarios import guarantee_record, plots, reference
from scenarios import world as W
from scenarios.config import Config, ConfigError
from scenarios.engine import Draws, Summaries
from scenarios.results import Headline, Result, Table

# The config (blocks, Schema, check) is scenarios/schemas/guarantees.py's, which imports no model code, so that
# `accord validate` and `show` start without NumPy (issue 17); its names are this module's too.
from scenarios.schemas.guarantees import (  # noqa: F401
    _SHIFT,
    _Z,
    COMMITMENT,
    ERA,
    Challenger,
    EscapeClause,
    GuaranteeBlock,
    Guarantor,
    Profile,
    Record,
    RecordDraws,
    Schema,
    Shifts,
    Weights,
    _as_tuple,
    _check_names,
    _fixed,
    _normal,
    _pert,
    check,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "guarantees"
SUMMARY = "how likely each guarantor honours a security guarantee, and whether it deters a renewed attack"

ROOT = Path(scenarios.__file__).resolve().parent.parent
REFERENCE_DIR = ROOT / "configs" / "reference"
REFERENCE_TABLE = REFERENCE_DIR / "guarantees.csv"
REFERENCES = ("budapest_1994.yaml", "nato_article5.yaml")
REFERENCE_TRIALS = 2000

FEATURES = ("stake", "cost", "binding", "tripwire", "automatic")
FEATURE_RANGES = reference.ACCORD_RANGES
# the terms of the probit index z_g, in the order of the (n, len(TERMS) + 1) "utility_terms.<name>" output
TERMS = ("baseline", "stake", "audience_binding", "tripwire", "automatic", "cost")
TERM_LABELS = {"baseline": "baseline", "stake": "stake", "audience_binding": "audience x binding",
               "tripwire": "tripwire", "automatic": "automatic trigger", "cost": "- cost"}
DETERRENCE_GRID = np.linspace(0.0, 1.0, 51)
CURVE_SAMPLE = 200_000  # trials used for the deterrence curve (a simple random sample of the run)


# ------------------------------------------------------------------------------------------ the weights


def _read_reference(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Case ids, features (m, 5) in FEATURES order and honoured (m,) of a table in accord's guarantees.csv
    format (scenarios/reference.py reads it; ConfigError naming file, line and column if bad)."""
    cases = reference.read_alliances(path)
    if cases.format != reference.ACCORD_GUARANTEES.name:
        raise ConfigError(f"weights: fitted needs a table in accord's guarantees.csv format (columns "
                          f"{', '.join(FEATURES)}); this is {cases.title}", cases.source)
    x = np.column_stack([cases.covariates[f] for f in FEATURES])
    if len(cases) < len(FEATURES) + 2:
        raise ConfigError(f"{len(cases)} cases; the fit needs at least {len(FEATURES) + 2}", cases.source)
    if cases.honoured.min() == cases.honoured.max():
        raise ConfigError("every case has the same outcome; the fit needs honoured (1) and dishonoured (0) cases",
                          cases.source, None, "honoured")
    return cases.case_id, x, cases.honoured


def model_weights(fit: gm.BinaryFit) -> dict[str, float]:
    """A fit's coefficients as the scenario's weights (probit scale; see the module docstring)."""
    c = gm.probit_scale_coefficients(fit)
    return {"audience": c["binding"], "tau": c["tripwire"], "alpha": c["automatic"], "sigma": 1.0,
            "baseline": c["intercept"], "stake_weight": c["stake"], "cost_weight": -c["cost"]}


@functools.lru_cache(maxsize=4)
def fitted_weights(path: Path = REFERENCE_TABLE) -> dict[str, float]:
    """Probit fit to the reference table with the record's default prior (ridge 2.56: N(0, 1) on each slope on the
    logit scale; guarantee_record.default_ridge), as weights; cached per process."""
    _, x, y = _read_reference(path)
    ridge = guarantee_record.default_ridge("probit")
    return model_weights(gm.fit_binary_response(x, y, FEATURES, link="probit", penalty="ridge", ridge=ridge))


DEFAULT_WEIGHTS = {"audience": gm.DEFAULT_WEIGHTS.audience, "tau": gm.DEFAULT_WEIGHTS.tau,
                   "alpha": gm.DEFAULT_WEIGHTS.alpha, "sigma": gm.DEFAULT_WEIGHTS.sigma,
                   "baseline": gm.DEFAULT_WEIGHTS.baseline, "stake_weight": 1.0, "cost_weight": 1.0}


CENTRE_KEYS = ("stake", "cost", "binding", "tripwire", "automatic")


def resolve_weights(weights: str | Weights, draws: Draws) -> dict[str, np.ndarray | float]:
    """The mechanism-only weights for one chunk (``default``, ``fitted`` or explicit): floats, or (n, 1)
    arrays (per trial, broadcast over guarantors). The calibrated weights need the guarantors too: see
    ``honour_weights``."""
    if weights == "default":
        return dict(DEFAULT_WEIGHTS)
    if weights == "fitted":
        return dict(fitted_weights())
    out: dict[str, np.ndarray | float] = {}
    for key in DEFAULT_WEIGHTS:
        value = draws[getattr(weights, key)]
        out[key] = np.asarray(value, dtype=float)[:, None] if np.ndim(value) else float(value)
    return out


def _per_trial(draws: Draws, spec: Any) -> np.ndarray | float:
    value = draws[spec]
    return np.asarray(value, dtype=float)[:, None] if np.ndim(value) else float(value)


def record_coefficients(record: Record, draws: Draws) -> tuple[guarantee_record.RecordModel, np.ndarray]:
    """The record fit and its coefficients per trial, (n, k + 1): b = b_hat + L z with z the record draws."""
    model = guarantee_record.record_model(record.table, record.coding)
    k = len(model.fit.feature_names)
    if k > len(RecordDraws.model_fields):
        raise ValueError(f"the record fit has {k} coefficients; guarantee.record.draws covers "
                         f"{len(RecordDraws.model_fields)}")
    z = np.column_stack([draws.full(getattr(record.draws, f"z{j}")) for j in range(k)])
    return model, model.fit.draw(z)


def honour_weights(guarantee: GuaranteeBlock, guarantors: tuple[Guarantor, ...], draws: Draws
                   ) -> dict[str, np.ndarray | float]:
    """Everything the honour index needs for one chunk: the weights (floats or (n, 1)), ``baseline`` (a float,
    (n, 1) or, calibrated, (n, G): each guarantor's record index) and the ``centre.<feature>`` values the
    features are measured from (0 unless calibrated: the record's typical commitment)."""
    if guarantee.weights != "calibrated":
        weights = resolve_weights(guarantee.weights, draws)
        weights.update({f"centre.{k}": 0.0 for k in CENTRE_KEYS})
        return weights
    model, coef = record_coefficients(guarantee.record, draws)
    baseline = np.column_stack([model.index(coef, guarantee.era, g.commitment, _point(g.multilateral),
                                            draws.full(g.multilateral)) for g in guarantors])  # (n, G)
    shifts = guarantee.shifts
    w: dict[str, np.ndarray | float] = {
        "baseline": baseline, "sigma": 1.0,
        "stake_weight": _per_trial(draws, shifts.stake_weight), "cost_weight": _per_trial(draws, shifts.cost_weight),
        "audience": _per_trial(draws, shifts.audience), "tau": _per_trial(draws, shifts.tau),
        "alpha": _per_trial(draws, shifts.alpha),
    }
    w.update({f"centre.{k}": _per_trial(draws, getattr(shifts.reference, k)) for k in CENTRE_KEYS})
    return w


def _point(spec: Any) -> float:
    """A parameter's mean (the cell a guarantor's class is matched on)."""
    return float(spec.to_dist().mean())


def weights_label(weights: str | Weights, guarantee: GuaranteeBlock | None = None) -> str:
    if weights == "calibrated" and guarantee is not None:
        model = guarantee_record.record_model(guarantee.record.table, guarantee.record.coding)
        return f"calibrated (record: {model.label()}; mechanism shifts assumed)"
    if isinstance(weights, str):
        return weights
    return "explicit (" + ", ".join(f"{k} {getattr(weights, k).describe()}" for k in DEFAULT_WEIGHTS) + ")"


# ------------------------------------------------------------------------------------------ the model


def _per_guarantor(draws: Draws, guarantors: tuple[Guarantor, ...], attribute: str) -> np.ndarray:
    """(n, G) array of one parameter of every guarantor."""
    return np.column_stack([draws.full(getattr(g, attribute)) for g in guarantors])


def compute(
    guarantee: GuaranteeBlock,
    guarantors: tuple[Guarantor, ...],
    challenger: Challenger | None,
    draws: Draws,
    gain: np.ndarray | None = None,
    gain_guaranteed: np.ndarray | None = None,
    cost_of_war: np.ndarray | None = None,
    punishment: np.ndarray | None = None,
    noise_scale: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Per-trial credibility and deterrence for one chunk of n trials.

    gain, gain_guaranteed: None uses the challenger's own V p_win and V p_win_guaranteed (p_g capped at p);
    (n,) arrays override them (a settlement passes the war model's expected gains). cost_of_war, punishment,
    noise_scale likewise override the challenger block's (a settlement, which has no challenger block, passes
    its war block's). Returns arrays of shape (n,) unless stated:

    - ``p_honour.<name>``: each guarantor's P(honour);
    - ``utility_terms.<name>`` (n, 7): the contributions of TERMS to the probit index z (utility / sigma),
      then z itself (their sum); p_honour = Phi(z);
    - ``p_any``, ``p_all``: P(at least one honours), P(all honour);
    - ``expected_response``: E[min(1, sum of the honouring guarantors' capability)];
    - ``p_void``: P(an escape clause voids the guarantee); ``q_eff`` = expected_response (1 - p_void);
    - ``net_gain`` (the war payoff at q_eff), ``p_deterred``, ``q_star`` (NaN where no credibility in [0, 1]
      deters), ``credibility_gap`` = q_eff - q_star;
    - ``challenger.payoff_unguaranteed`` = V p - k, ``challenger.guarantee_leverage`` = V p - V p_g + P,
      ``challenger.noise_scale``: what the deterrence curve P(deterred | q) needs per trial (the payoff at
      credibility q is payoff_unguaranteed - q guarantee_leverage).
    """
    n = draws.n
    if not guarantors:
        raise ValueError("a guarantee needs at least one guarantor")
    _check_names(guarantors)
    w = honour_weights(guarantee, guarantors, draws)
    stake = _per_guarantor(draws, guarantors, "stake")
    cost = _per_guarantor(draws, guarantors, "cost")
    binding = _per_guarantor(draws, guarantors, "binding") - w["centre.binding"]
    tripwire = _per_guarantor(draws, guarantors, "tripwire") - w["centre.tripwire"]
    automatic = _per_guarantor(draws, guarantors, "automatic") - w["centre.automatic"]
    capability = _per_guarantor(draws, guarantors, "capability")
    free_riding = draws.full(guarantee.free_riding)
    if np.any(free_riding != 0):
        stake = gm.free_riding_stake(stake, capability, free_riding[:, None])
    stake_utility = w["stake_weight"] * (stake - w["centre.stake"])
    cost_utility = w["cost_weight"] * (cost - w["centre.cost"])

    clauses = guarantee.escape_clauses
    p_void = np.broadcast_to(gm.void_probability(
        [draws.full(c.p_triggered) for c in clauses],
        [draws.full(c.p_manufactured) for c in clauses],
        [draws.full(c.p_accepted) for c in clauses],
    ), (n,))
    if challenger is not None:
        value = draws.full(challenger.value)
        cost_of_war = draws.full(challenger.cost_of_war) if cost_of_war is None else cost_of_war
        punishment = draws.full(challenger.punishment) if punishment is None else punishment
        noise_scale = draws.full(challenger.noise_scale) if noise_scale is None else noise_scale
        if gain is None:
            p_win = draws.full(challenger.p_win)
            gain = value * p_win
            gain_guaranteed = value * np.minimum(draws.full(challenger.p_win_guaranteed), p_win)
    if gain is None or cost_of_war is None or punishment is None or noise_scale is None:
        raise ValueError("without a challenger block, gain, cost_of_war, punishment and noise_scale are needed")
    cost_of_war, punishment, noise_scale = (np.broadcast_to(np.asarray(v, float), (n,))
                                            for v in (cost_of_war, punishment, noise_scale))
    gain = np.broadcast_to(np.asarray(gain, float), (n,))
    gain_guaranteed = gain if gain_guaranteed is None else np.broadcast_to(np.asarray(gain_guaranteed, float), (n,))

    res = gm.evaluate_guarantee(
        stake=stake_utility, cost=cost_utility, binding=binding, tripwire=tripwire, automatic=automatic,
        capability=capability, audience=w["audience"], tau=w["tau"], alpha=w["alpha"], sigma=w["sigma"],
        baseline=w["baseline"], rho=draws.full(guarantee.rho), p_void=p_void, gain=gain,
        gain_guaranteed=gain_guaranteed, cost_of_war=cost_of_war, punishment=punishment, noise_scale=noise_scale,
    )
    terms = gm.honour_utility_terms(stake_utility, cost_utility, binding, tripwire, automatic,
                                    audience=w["audience"], tau=w["tau"], alpha=w["alpha"], baseline=w["baseline"])
    sigma = np.asarray(w["sigma"], dtype=float)
    stacked = np.stack([np.broadcast_to(terms[t], stake.shape) for t in (*TERMS, "mean_utility")], axis=2)
    stacked = stacked / (sigma[:, :, None] if sigma.ndim == 2 else sigma)  # (n, G, 7), sigma units

    out: dict[str, np.ndarray] = {}
    for i, g in enumerate(guarantors):
        out[f"p_honour.{g.name}"] = res["p_honour"][:, i]
        out[f"utility_terms.{g.name}"] = stacked[:, i, :]
    if guarantee.weights == "calibrated":
        # the two views the calibrated P(honour) combines, each alone (summary_text): the record's class rate
        # Phi(eta_g), and the mechanism model with its hand-set weights and uncentred features
        p_record = special.ndtr(np.asarray(w["baseline"], dtype=float))
        d = DEFAULT_WEIGHTS
        p_mechanism = np.broadcast_to(gm.honour_probability(
            stake, cost, binding + w["centre.binding"], tripwire + w["centre.tripwire"],
            automatic + w["centre.automatic"], audience=d["audience"], tau=d["tau"], alpha=d["alpha"],
            sigma=d["sigma"], baseline=d["baseline"]), stake.shape)
        for i, g in enumerate(guarantors):
            out[f"p_record.{g.name}"] = p_record[:, i]
            out[f"p_mechanism.{g.name}"] = np.array(p_mechanism[:, i])
    for key in ("p_any", "p_all", "expected_response", "p_void", "q_eff", "net_gain", "p_deterred", "q_star",
                "credibility_gap"):
        out[key] = res[key]
    out["challenger.payoff_unguaranteed"] = gain - cost_of_war
    out["challenger.guarantee_leverage"] = gain - gain_guaranteed + punishment
    out["challenger.noise_scale"] = noise_scale
    return out


def evaluate(cfg: Schema, draws: Draws, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The scenario's per-trial outputs: ``compute`` with the challenger's own p_win, p_win_guaranteed; in a
    world, with the war model's expected gains in its first year of peace and the war block's costs (no
    randomness used)."""
    if cfg.terms is None:
        return compute(cfg.guarantee, cfg.guarantees, cfg.challenger, draws)
    war = cfg.war
    # the war model for the first year of peace only: the guarantee is tested there (the settlement runs the
    # whole horizon; its first year is the same)
    world = F.compute(cfg.forces, cfg.cession, draws, plan=W.forces_plan(cfg, draws),
                      response_troops=draws.full(war.response_troops), claimed_km2=draws.full(war.claimed_km2),
                      years=1)
    stake = W.war_in_stake(cfg, draws, world, draws.full(cfg.terms.territory))
    return compute(cfg.guarantee, cfg.guarantees, None, draws, gain=stake.gain_challenger[:, 0],
                   gain_guaranteed=stake.gain_challenger_guaranteed[:, 0], cost_of_war=draws.full(war.cost_challenger),
                   punishment=draws.full(war.punishment), noise_scale=draws.full(war.noise_scale))


# ------------------------------------------------------------------------------------------ summaries


def headline(s: Summaries) -> dict[str, Headline]:
    """Credibility, P(deterred) and P(at least one honours): means over trials with Monte Carlo s.e."""
    labels = {"q_eff": "expected response after escape clauses (credibility q)",
              "p_deterred": "P(challenger deterred)",
              "p_any": "P(at least one guarantor honours)"}
    return {k: Headline(label, s.estimate(k)) for k, label in labels.items() if k in s}


def _guarantor_names(s: Summaries) -> list[str]:
    return [k.removeprefix("p_honour.") for k in s.acc if k.startswith("p_honour.")]


def deterrence_curve(s: Summaries, grid: np.ndarray = DETERRENCE_GRID,
                     max_trials: int = CURVE_SAMPLE) -> tuple[np.ndarray, np.ndarray, int]:
    """P(deterred | credibility q) averaged over the parameter uncertainty, on ``grid``: (mean, se, trials).

    Per trial P(deterred | q) = Phi(-(payoff_unguaranteed - q guarantee_leverage) / noise_scale) (noise 0: a
    step; model.guarantees.war_payoff).
    """
    gain = s["challenger.payoff_unguaranteed"].values()[:max_trials]
    at_risk = s["challenger.guarantee_leverage"].values()[:max_trials]
    noise = s["challenger.noise_scale"].values()[:max_trials]
    net = gain[None, :] - grid[:, None] * at_risk[None, :]  # (len(grid), m)
    with np.errstate(divide="ignore", invalid="ignore"):
        smooth = special.ndtr(-net / np.where(noise > 0, noise, 1.0))
    p = np.where(noise > 0, smooth, (net <= 0).astype(float))
    m = p.shape[1]
    se = p.std(axis=1, ddof=1) / np.sqrt(m) if m > 1 else np.zeros(len(grid))
    return p.mean(axis=1), se, m


def _row_stats(s: Summaries, name: str, index: tuple = ()) -> list[float]:
    e = s.estimate(name, index)
    quantiles = s[name].quantiles((0.05, 0.5, 0.95))
    q = [float(np.asarray(v)[index]) for v in quantiles]
    return [e.mean, e.se, *q]


CREDIBILITY_COLUMNS = ["guarantee", "kind", "guarantor", "measure", "mean", "se", "q05", "q50", "q95", "n_trials",
                       "p_deterred", "p_deterred_se", "q_star_mean", "q_star_q50", "q_star_defined_share",
                       "reference_class", "class_honoured", "class_n", "class_rate", "class_ci95_low", "class_ci95_high"]
MEASURES = {"p_any": "P(at least one honours)", "p_all": "P(all honour)",
            "expected_response": "expected capability-weighted response", "p_void": "P(escape clause voids)",
            "q_eff": "credibility q (response after escape clauses)"}


def matched_classes(guarantee: GuaranteeBlock, guarantors: tuple[Guarantor, ...]
                    ) -> dict[str, guarantee_record.ClassRate]:
    """Each guarantor's reference class on the record: its cell (era x commitment types x multilateral), the same
    cell its record index is read from, or the wider class the index used where the record has no case of the
    cell (the label says so); k of n honoured."""
    model = guarantee_record.record_model(guarantee.record.table, guarantee.record.coding)
    return {g.name: model.matched(guarantee.era, g.commitment, _point(g.multilateral))[0] for g in guarantors}


def _class_cells(c: guarantee_record.ClassRate | None) -> list[Any]:
    if c is None:
        return ["", "", "", float("nan"), float("nan"), float("nan")]
    return [c.label, c.honoured, c.n, c.rate, c.lo, c.hi]


def class_text(c: guarantee_record.ClassRate) -> str:
    """'defence pacts 1945-2003: 4 of 20 honoured (0.20, 95% CI 0.08-0.42)'."""
    if c.n == 0:
        return f"{c.label}: no invocations in the record"
    return f"{c.label}: {c.honoured} of {c.n} honoured ({c.rate:.2f}, 95% CI {c.lo:.2f}-{c.hi:.2f})"


def credibility_rows(label: str, kind: str, s: Summaries,
                     classes: dict[str, guarantee_record.ClassRate] | None = None) -> list[list[Any]]:
    """Rows of tables/credibility.csv for one guarantee (CREDIBILITY_COLUMNS); each guarantor's row carries
    its matched reference class on the record (``classes``)."""
    classes = classes or {}
    det = s.estimate("p_deterred")
    qs = s["q_star"]
    defined = float(np.asarray(qs.count)) / s.n_trials if qs.count is not None else 0.0
    q_star_q50 = float(qs.quantiles((0.5,))[0]) if defined > 0 else float("nan")
    tail = [det.mean, det.se, s.estimate("q_star").mean if defined > 0 else float("nan"), q_star_q50, defined]
    rows = []
    for g in _guarantor_names(s):
        rows.append([label, kind, g, "p_honour", *_row_stats(s, f"p_honour.{g}"), s.n_trials, *tail,
                     *_class_cells(classes.get(g))])
    for key in MEASURES:
        rows.append([label, kind, "(all)", key, *_row_stats(s, key), s.n_trials, *tail, *_class_cells(None)])
    return rows


CONTRIBUTION_COLUMNS = ["guarantee", "kind", "weights", "guarantor", *TERMS, "index_z", "index_z_se",
                        "p_honour_at_mean_index", "p_honour_mean", "n_trials"]


def contribution_rows(label: str, kind: str, weights: str, s: Summaries) -> list[list[Any]]:
    """Rows of tables/contributions.csv: each term's mean contribution to the probit index z (sigma units)."""
    rows = []
    for g in _guarantor_names(s):
        acc = s[f"utility_terms.{g}"]
        mean, se = acc.mean_value(), acc.se()
        z = float(mean[-1])
        rows.append([label, kind, weights, g, *[float(v) for v in mean[:-1]], z, float(se[-1]),
                     float(special.ndtr(z)), s.estimate(f"p_honour.{g}").mean, s.n_trials])
    return rows


# ------------------------------------------------------------------------------------------ references


@functools.lru_cache(maxsize=32)
def _reference_run(path: str, mtime: float, overrides: tuple[str, ...], seed: int, trials: int) -> tuple[Config, Summaries]:
    from scenarios.config import load
    from scenarios.engine import summarise

    cfg = load(path, overrides)
    return cfg, summarise(cfg, trials, seed, "mc")


def reference_runs(config: Config, trials: int = REFERENCE_TRIALS) -> list[tuple[str, Config, Summaries]]:
    """The historical references (Budapest 1994, NATO Article 5), run with the config's seed and weights (and
    its record and shifts, when it sets them).

    A reference is skipped when it is the config itself or its file is missing. Cached per process.
    """
    out = []
    own = Path(config.path).resolve() if config.path else None
    block = config.data.get("guarantee") or {}
    overrides = tuple(f"guarantee.{key}={json.dumps(block[key])}" for key in ("weights", "record", "shifts")
                      if key in block)
    for name in REFERENCES:
        path = REFERENCE_DIR / name
        if not path.is_file() or (own is not None and path.resolve() == own):
            continue
        cfg, s = _reference_run(str(path), path.stat().st_mtime, overrides, config.model.run.seed, trials)
        out.append((cfg.model.title or path.stem, cfg, s))
    return out


# ------------------------------------------------------------------------------------------ figures


def credibility_figure(groups: list[tuple[str, str, dict[str, dict[str, Any]]]],
                       trials: dict[str, int] | None = None) -> Figure:
    """Box plots of P(honour) per guarantor and of q_eff, per guarantee, each guarantor's box beside the
    honour rate of its matched reference class on the record.

    groups: (guarantee label, kind 'config' | 'reference', {series label: {q05, q25, q50, q75, q95, mean[,
    class]}}), whiskers at the 5% and 95% quantiles over parameter uncertainty, the dot the mean; ``class`` (a
    guarantee_record.ClassRate) is drawn as a red diamond with its Wilson 95% interval and "k/n". ``trials``:
    {guarantee label: Monte Carlo trials}, stated under each group's label and in the title.
    """
    trials = trials or {}
    stats, positions, colours, ticks, tick_pos, spans, records = [], [], [], [], [], [], []
    x = 0.0
    for label, kind, series in groups:
        start = x
        for name, q in series.items():
            stats.append({"label": name, "whislo": q["q05"], "q1": q["q25"], "med": q["q50"], "q3": q["q75"],
                          "whishi": q["q95"], "mean": q["mean"], "fliers": []})
            positions.append(x)
            colours.append("#2166ac" if kind == "config" else "#999999")
            ticks.append(name)
            tick_pos.append(x)
            if q.get("class") is not None and q["class"].n > 0:
                records.append((x + 0.42, q["class"]))
            x += 1.0
        spans.append((label, start, x - 1.0))
        x += 0.8
    fig = plots.figure(figsize=(max(6.5, 0.95 * len(stats) + 2.0), 5.0))
    ax = fig.subplots()
    boxes = ax.bxp(stats, positions=positions, showmeans=True, patch_artist=True, widths=0.5,
                   meanprops={"marker": "o", "markerfacecolor": "black", "markeredgecolor": "black", "markersize": 4})
    for patch, colour in zip(boxes["boxes"], colours):
        patch.set_facecolor(colour)
        patch.set_alpha(0.55)
    for i, (xr, c) in enumerate(records):
        ax.errorbar([xr], [c.rate], yerr=[[max(c.rate - c.lo, 0.0)], [max(c.hi - c.rate, 0.0)]], fmt="D",
                    color="#b2182b", markersize=4, capsize=2, lw=1,
                    label="record: matched class rate, Wilson 95% (k/n)" if i == 0 else None)
        ax.annotate(f"{c.honoured}/{c.n}", (xr, c.hi), textcoords="offset points", xytext=(0, 2), ha="center",
                    fontsize=6, color="#b2182b")
    ax.set_xticks(tick_pos, ticks, rotation=45, ha="right", fontsize=8)
    for label, a, b in spans:
        n_label = next((f" ({n:,} trials)" for key, n in trials.items() if label.startswith(key)), "")
        ax.text((a + b) / 2, 1.02, textwrap.fill(label + n_label, max(14, int(9 * (b - a + 1)))), ha="center",
                va="bottom",
                fontsize=7, transform=ax.get_xaxis_transform())
        ax.axvspan(a - 0.5, b + 0.6, color="#f0f0f0" if "reference" not in label else "#fafafa", zorder=0)
    ax.set(ylim=(0, 1.05), ylabel="probability")
    ax.grid(axis="y", alpha=0.3)
    if records:
        ax.legend(fontsize=7, loc="upper right")
        classes = "; ".join(dict.fromkeys(c.label for _, c in records))
        fig.text(0.01, 0.005, textwrap.fill(f"Matched classes: {classes}", 150), fontsize=6, va="bottom")
    counts = ", ".join(dict.fromkeys(f"{n:,}" for n in trials.values()))
    ax.set_title("P(honour) per guarantor and credibility q" + (f" ({counts} trials per guarantee)" if counts else "")
                 + "\n(box 25-75%, whiskers 5-95% over parameter uncertainty; dot = mean; grey = historical "
                 "references)", fontsize=8, pad=34)
    return fig


def deterrence_figure(grid: np.ndarray, curve: np.ndarray, curve_se: np.ndarray, curve_trials: int,
                      q_star: tuple[float, float, float] | None, markers: dict[str, float], label: str) -> Figure:
    """P(deterred) against credibility q, with q* (median and 5-95% range) and each guarantee's q marked.

    markers: {guarantee label: mean q_eff}; q_star: (q05, q50, q95) over the trials where it exists.
    """
    fig = plots.figure(figsize=(7, 4.4))
    ax = fig.subplots()
    ax.plot(grid, curve, color="#2166ac", label=f"P(deterred | q), {label}")
    ax.fill_between(grid, curve - 1.96 * curve_se, curve + 1.96 * curve_se, color="#2166ac", alpha=0.25)
    if q_star is not None and np.isfinite(q_star[1]):
        ax.axvspan(q_star[0], q_star[2], color="#b2182b", alpha=0.08, label="q* 5-95% range")
        ax.axvline(q_star[1], color="#b2182b", ls="--", label=f"q* median = {q_star[1]:.2f}")
    for i, (name, q) in enumerate(markers.items()):
        p = float(np.interp(q, grid, curve))
        ax.plot([q], [p], marker="os^dv"[i % 5], ls="none", markersize=7, label=f"{name}: q = {q:.2f}")
    ax.set(xlim=(0, 1), ylim=(0, 1.02), xlabel="credibility q (expected response after escape clauses)",
           ylabel="P(challenger deterred)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    ax.set_title(f"Deterrence against credibility ({curve_trials:,} trials; band: 95% Monte Carlo interval)",
                 fontsize=9)
    return fig


def _box_stats(s: Summaries, name: str) -> dict[str, float]:
    q05, q25, q50, q75, q95 = (float(v) for v in s[name].quantiles((0.05, 0.25, 0.5, 0.75, 0.95)))
    return {"q05": q05, "q25": q25, "q50": q50, "q75": q75, "q95": q95, "mean": s.estimate(name).mean}


def _series(s: Summaries, classes: dict[str, guarantee_record.ClassRate] | None = None
            ) -> dict[str, dict[str, Any]]:
    classes = classes or {}
    out: dict[str, dict[str, Any]] = {}
    for g in _guarantor_names(s):
        out[g] = _box_stats(s, f"p_honour.{g}")
        if g in classes:
            out[g]["class"] = classes[g]
    out["q (all)"] = _box_stats(s, "q_eff")
    return out


# ------------------------------------------------------------------------------------------ report


def _label(config: Config) -> str:
    return config.model.title or config.stem


def tables_figures(config: Config, s: Summaries) -> tuple[dict[str, Table], dict[str, Figure]]:
    """tables/credibility.csv, tables/contributions.csv, figures/credibility.png, figures/deterrence.png.

    Built from config.model.guarantee/guarantees/challenger and compute()'s outputs in ``s``, plus the
    historical references (run here at REFERENCE_TRIALS trials). Empty when the config has no guarantee.
    """
    model = config.model
    if not getattr(model, "guarantees", None) or "q_eff" not in s:
        return {}, {}
    label = _label(config)
    weights = weights_label(model.guarantee.weights, model.guarantee)
    refs = reference_runs(config)
    classes = matched_classes(model.guarantee, model.guarantees)
    credibility = credibility_rows(label, "config", s, classes)
    contributions = contribution_rows(label, "config", weights, s)
    groups = [(label, "config", _series(s, classes))]
    for ref_label, ref_cfg, ref_s in refs:
        ref_classes = matched_classes(ref_cfg.model.guarantee, ref_cfg.model.guarantees)
        credibility += credibility_rows(ref_label, "reference", ref_s, ref_classes)
        contributions += contribution_rows(
            ref_label, "reference", weights_label(ref_cfg.model.guarantee.weights, ref_cfg.model.guarantee), ref_s)
        groups.append((f"{ref_label} (reference)", "reference", _series(ref_s, ref_classes)))
    views = view_rows(label, "config", s)
    for ref_label, _, ref_s in refs:
        views += view_rows(ref_label, "reference", ref_s)
    tables = {"credibility": Table(CREDIBILITY_COLUMNS, credibility),
              "contributions": Table(CONTRIBUTION_COLUMNS, contributions)}
    if views:
        tables["views"] = Table(VIEW_COLUMNS, views)

    grid = DETERRENCE_GRID
    curve, curve_se, m = deterrence_curve(s, grid)
    qs = s["q_star"]
    q_star = tuple(float(v) for v in qs.quantiles((0.05, 0.5, 0.95))) if np.asarray(qs.count) > 0 else None
    markers = {label: s.estimate("q_eff").mean}
    markers.update({ref_label: ref_s.estimate("q_eff").mean for ref_label, _, ref_s in refs})
    trials = {label: s.n_trials, **{f"{ref_label} (reference)": ref_s.n_trials for ref_label, _, ref_s in refs}}
    figures = {"credibility": credibility_figure(groups, trials),
               "deterrence": deterrence_figure(grid, curve, curve_se, m, q_star, markers, label)}
    return tables, figures


VIEW_COLUMNS = ["guarantee", "kind", "guarantor", "view", "mean", "se", "q05", "q95", "n_trials"]
VIEWS = {"p_record": "record class alone: Phi(eta), the class's fitted rate",
         "p_mechanism": "mechanism alone: hand-set weights, no record",
         "p_honour": "combined: class index + feature shifts (calibrated)"}


def view_rows(label: str, kind: str, s: Summaries) -> list[list[Any]]:
    """Rows of tables/views.csv (calibrated weights only): each guarantor's P(honour) from the record's class
    alone, from the mechanism alone, and combined, with Monte Carlo s.e. and the 5-95% range."""
    rows = []
    for g in _guarantor_names(s):
        if f"p_record.{g}" not in s:
            continue
        for key in VIEWS:
            e = s.estimate(f"{key}.{g}")
            q05, q95 = (float(v) for v in s[f"{key}.{g}"].quantiles((0.05, 0.95)))
            rows.append([label, kind, g, key, e.mean, e.se, q05, q95, s.n_trials])
    return rows


SELECTION_NOTE = (
    "How to read the record's number (the selection effect). The record gives P(honoured | invoked). A commitment "
    "is invoked when a challenger attacks in spite of it, and challengers attack the commitments they judge weak: "
    "a commitment that deters is never tested, so the invoked ones over-represent the weak (Smith 1995, 'Alliance "
    "Formation and War', International Studies Quarterly 39(4); Fearon 2002, 'Selection Effects and Deterrence', "
    "International Interactions 28(1)). The class rate is therefore a low anchor for a commitment whose features "
    "(a ratified treaty, troops on the soil, a core stake) make it strong; the mechanism alone ignores the record "
    "and is only as good as its hand-set weights. The combination (MODELS.md section 1: the outside view first, "
    "the mechanism's features as shifts; Kahneman & Lovallo 1993) starts from the class's probit index and moves it "
    "by the features' distance from the record's typical invoked commitment, at assumed weights with ranges "
    "(guarantee.shifts): how far a strong commitment rises above its class is those weights' call, and the first "
    "thing to sweep.")

DECAY_NOTE = (
    "Credibility decay over the horizon (Leeds 2003: changes in capabilities and domestic institutions since "
    "signature predict violation): none beyond the reference class. The record's invocations came at every age of "
    "their alliances, so its base rate already averages over the changes that accumulated before the test; "
    "`accord calibrate guarantees configs/reference/alliances_leeds_anac_2005.csv` reports what a change since "
    "signature did on the record.")


def _pct(x: float) -> str:
    return "n/a" if not np.isfinite(x) else f"{x:.0%}"


def summary_text(config: Config, s: Summaries, tables: dict[str, Table]) -> str:
    """The brief: a quotable sentence with uncertainty and trial count, then the comparison and the terms."""
    label = _label(config)
    n = s.n_trials
    q = s.estimate("q_eff")
    q05, q95 = (float(v) for v in s["q_eff"].quantiles((0.05, 0.95)))
    det = s.estimate("p_deterred")
    names = _guarantor_names(s)
    honour = {g: s.estimate(f"p_honour.{g}") for g in names}
    best = max(names, key=lambda g: honour[g].mean)
    qs = s["q_star"]
    defined = float(np.asarray(qs.count)) / n
    q_star_text = (f"the credibility needed to deter (q*) has median {float(qs.quantiles((0.5,))[0]):.2f} where it "
                   f"exists ({defined:.0%} of trials; in the rest no credibility up to 1 deters)" if defined > 0
                   else "no credibility up to 1 deters the challenger in any trial (q* does not exist)")
    lines = [
        "## In one sentence", "",
        (f"Under this config ({label}), a renewed attack would meet the expected response of the guarantors, "
        f"after escape clauses, with credibility q = {q.mean:.2f} (Monte Carlo 95% CI {q.lo:.2f}-{q.hi:.2f}; "
        f"5-95% range over the parameter uncertainty {q05:.2f}-{q95:.2f}; {n:,} trials); the most reliable "
        f"guarantor, `{best}`, honours with probability {honour[best].mean:.0%} "
        f"(s.e. {honour[best].se:.2%}), and the challenger is deterred in {det.mean:.0%} of trials "
        f"(95% CI {det.lo:.0%}-{det.hi:.0%}); {q_star_text}."),
        "",
        "## Each guarantor and the references", "",
        ("| guarantee | guarantor | P(honour) mean | 5-95% range | P(deterred) | matched reference class on the "
         "record |"), "|---|---|---|---|---|---|",
    ]
    for r in tables["credibility"].records():
        if r["measure"] in ("p_honour", "q_eff"):
            who = r["guarantor"] if r["measure"] == "p_honour" else "credibility q (all)"
            record = (class_text(guarantee_record.ClassRate(r["reference_class"], r["class_honoured"], r["class_n"],
                                                            r["class_rate"], r["class_ci95_low"], r["class_ci95_high"]))
                      if r["reference_class"] else "")
            lines.append(f"| {r['guarantee']}{' (reference)' if r['kind'] == 'reference' else ''} | {who} | "
                         f"{r['mean']:.3f} (s.e. {r['se']:.3f}, n={r['n_trials']:,}) | {r['q05']:.3f}-{r['q95']:.3f} | "
                         f"{_pct(r['p_deterred'])} | {record} |")
    lines += ["", "## Why: each term's contribution to the probit index z (sigma units; P(honour) = Phi(z))", "",
              "| guarantee | guarantor | " + " | ".join(TERM_LABELS[t] for t in TERMS) + " | z |",
              "|---|---|" + "---|" * (len(TERMS) + 1)]
    for r in tables["contributions"].records():
        lines.append(f"| {r['guarantee']} | {r['guarantor']} | " + " | ".join(f"{r[t]:+.2f}" for t in TERMS)
                     + f" | {r['index_z']:+.2f} |")
    if "views" in tables:
        lines += ["", "## The record alone, the mechanism alone, and the combination", "",
                  "| guarantee | guarantor | record class alone | mechanism alone | combined (calibrated) |",
                  "|---|---|---|---|---|"]
        cells: dict[tuple[str, str, str], dict[str, Any]] = {}
        for r in tables["views"].records():
            cells.setdefault((r["guarantee"], r["kind"], r["guarantor"]), {})[r["view"]] = r
        for (guarantee, kind, g), v in cells.items():
            lines.append(f"| {guarantee}{' (reference)' if kind == 'reference' else ''} | {g} | " + " | ".join(
                f"{v[k]['mean']:.3f} ({v[k]['q05']:.2f}-{v[k]['q95']:.2f})" for k in VIEWS) + " |")
        lines += ["", ("Each: mean P(honour) over the trials (5-95% range over the parameter uncertainty; Monte Carlo "
                       f"s.e. in tables/views.csv; {n:,} trials, references {REFERENCE_TRIALS:,}). Record class alone: "
                       "the fitted rate of the guarantor's matched class, its coefficients drawn per trial; mechanism "
                       "alone: `weights: default`, the features uncentred."), "", SELECTION_NOTE]
    weights = weights_label(config.model.guarantee.weights, config.model.guarantee)
    lines += ["", (f"Weights: {weights}. References run with the same seed and weights at {REFERENCE_TRIALS:,} "
              "trials each. Figures: `figures/credibility.png`, `figures/deterrence.png`. Tables: "
              "`tables/credibility.csv`, `tables/contributions.csv`."), "", DECAY_NOTE]
    return "\n".join(lines)


def report(config: Config, s: Summaries) -> Result:
    tables, figures = tables_figures(config, s)
    return Result(NAME, headline(s), tables, figures, summary_text(config, s, tables))
