"""The game commands: `accord power GAME.yaml` (power indices of a weighted voting game, model/power.py) and
`accord forecast` (Bueno de Mesquita's expected-utility forecast as specified by Scholz, Calbert & Smith 2011,
model/negotiation.py), from an actors CSV (one deterministic run) or from a coalition or settlement config
(`forecast_config`: the actors of `coalition.actors` on one issue dimension, drawn per trial, and the forecast's
end compared with the options' plan positions, which only `option_positions` reads). Each reads its input,
validates it with errors naming file, line and key or column, and returns a :class:`scenarios.results.Report`.
"""

from __future__ import annotations

import csv
import difflib
import functools
import io
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import Field, create_model

from model import negotiation as N
from model import params as P
from model import power as PW
from scenarios import plots
from scenarios.config import Block, ConfigError, _compose
from scenarios.results import Report, Table

if TYPE_CHECKING:
    from matplotlib.figure import Figure

GAME_KEYS = ("name", "source", "quota", "members")
MEMBER_KEYS = ("name", "weight", "veto")
FORECAST_COLUMNS = ("actor", "capability", "position", "salience")
OFFER_NAMES = {N.CONFLICT: "conflict", N.COMPROMISE: "compromise", N.CAPITULATION: "capitulation", N.NO_MOVE: "none"}


def _read_text(path: Path) -> str:
    if not path.is_file():
        raise ConfigError("file does not exist" if not path.exists() else "is not a file", str(path))
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the file: {exc}", str(path)) from None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            number = float(value)  # a Python int beyond float's range (10**400) overflows; numpy cannot test it
        except OverflowError:
            return None
        return number if np.isfinite(number) else None
    return None


# ----------------------------------------------------------------------------------------------- power


def read_game(path: Path) -> dict[str, Any]:
    """Read and check a voting-game YAML (format: configs/games/un_security_council.yaml).

    Returns {"name", "source", "quota", "names", "weights", "veto"}; raises ConfigError naming line and key.
    """
    label = str(path)
    data, locs = _compose(_read_text(path), label)

    def where(*key: Any) -> int | None:
        for n in range(len(key), 0, -1):
            if key[:n] in locs:
                return locs[key[:n]][1]
        return None

    def err(message: str, *key: Any) -> ConfigError:
        return ConfigError(message, label, where(*key), ".".join(map(str, key)) or None)

    if not isinstance(data, dict):
        raise ConfigError("expected a mapping with keys name, quota, members", label, 1)
    for k in data:
        if k not in GAME_KEYS:
            raise err(f"unknown key '{k}'; allowed keys: {', '.join(GAME_KEYS)}", k)
    for k in ("quota", "members"):
        if k not in data:
            raise ConfigError(f"missing required key '{k}'", label, 1, k)
    quota = _number(data["quota"])
    if quota is None or quota <= 0:
        raise err(f"expected a number > 0, got {data['quota']!r}", "quota")
    members = data["members"]
    if not isinstance(members, list) or not members:
        raise err("expected a non-empty list of members {name, weight, veto}", "members")
    names, weights, veto = [], [], []
    for i, m in enumerate(members):
        if not isinstance(m, dict):
            raise err(f"expected a mapping {{name, weight, veto}}, got {m!r}", "members", i)
        for k in m:
            if k not in MEMBER_KEYS:
                raise err(f"unknown key '{k}'; allowed keys: {', '.join(MEMBER_KEYS)}", "members", i, k)
        if "name" not in m or not isinstance(m["name"], (str, int)) or str(m["name"]).strip() == "":
            raise err("missing or empty 'name'", "members", i, "name")
        name = str(m["name"])
        if name in names:
            raise err(f"duplicate member name '{name}'", "members", i, "name")
        if "weight" not in m:
            raise err("missing required key 'weight'", "members", i, "weight")
        w = _number(m["weight"])
        if w is None or w < 0:
            raise err(f"expected a number >= 0, got {m['weight']!r}", "members", i, "weight")
        v = m.get("veto", False)
        if not isinstance(v, bool):
            raise err(f"expected true or false, got {v!r}", "members", i, "veto")
        names.append(name)
        weights.append(w)
        veto.append(v)
    if sum(weights) < quota:
        raise err(f"no coalition wins: the quota {quota:g} exceeds the total weight {sum(weights):g}", "quota")
    return {"name": str(data.get("name", path.stem)), "source": str(data.get("source", "")), "quota": quota,
            "names": names, "weights": np.array(weights), "veto": np.array(veto, dtype=bool)}


def power(path: Path, method: str = "auto", samples: int = 200_000, seed: int = 0) -> Report:
    """Shapley-Shubik (1954) and Banzhaf (1965) indices of the weighted voting game in `path`.

    method: "auto" (exact by generating functions when it fits), "exact" or "monte_carlo" (`samples`
    orderings and coalitions, generator seeded by `seed`; standard errors reported).
    """
    path = Path(path)
    game = read_game(path)
    rng = np.random.default_rng(seed)
    try:
        res = PW.power_indices(game["weights"], game["quota"], game["veto"], game["names"], method=method,
                               n_samples=samples, rng=rng)
    except ValueError as exc:
        raise ConfigError(str(exc), str(path), None, "members") from None
    sampled = res.method == "monte_carlo"

    def se(arr: np.ndarray | None, i: int) -> float:
        return float(arr[i]) if arr is not None else 0.0

    rows, members = [], []
    for i, name in enumerate(res.names):
        rec = {"name": name, "weight": float(res.weights[i]), "veto": bool(res.veto[i]),
               "shapley_shubik": float(res.shapley_shubik[i]), "shapley_shubik_se": se(res.shapley_shubik_se, i),
               "banzhaf": float(res.banzhaf[i]), "banzhaf_se": se(res.banzhaf_se, i),
               "banzhaf_absolute": float(res.banzhaf_absolute[i]),
               "banzhaf_absolute_se": se(res.banzhaf_absolute_se, i)}
        if res.swings is not None:
            rec["swings"] = int(res.swings[i])
        members.append(rec)
        rows.append([rec[k] for k in ("name", "weight", "veto", "shapley_shubik", "shapley_shubik_se", "banzhaf",
                                       "banzhaf_se", "banzhaf_absolute", "banzhaf_absolute_se")])
    table = Table(["member", "weight", "veto", "shapley_shubik", "shapley_shubik_se", "banzhaf", "banzhaf_se",
                   "banzhaf_absolute", "banzhaf_absolute_se"], rows)
    how = (f"Monte Carlo, {res.n_samples:,} samples (seed {seed}); s.e. = Monte Carlo standard error"
           if sampled else "exact (generating functions)")
    width = max(len(n) for n in res.names)
    lines = [(f"{game['name']}: quota {game['quota']:g}, {len(res.names)} members, "
             f"{int(res.veto.sum())} with a veto; method {how}."),
             f"{'member':<{width}}  weight  veto  Shapley-Shubik  Banzhaf (normalised)  Banzhaf (absolute)"]
    for m in members:
        ss = f"{m['shapley_shubik']:.4f}" + (f" +- {m['shapley_shubik_se']:.4f}" if sampled else "")
        bz = f"{m['banzhaf']:.4f}" + (f" +- {m['banzhaf_se']:.4f}" if sampled else "")
        ba = f"{m['banzhaf_absolute']:.4f}" + (f" +- {m['banzhaf_absolute_se']:.4f}" if sampled else "")
        lines.append(f"{m['name']:<{width}}  {m['weight']:>6g}  {'yes' if m['veto'] else 'no':<4}  {ss:<14}  "
                     f"{bz:<20}  {ba}")
    data = {"game": game["name"], "source": game["source"], "quota": game["quota"], "method": res.method,
            "n_samples": res.n_samples, "seed": seed if sampled else None, "members": members}
    inputs = {"game": str(path), "method": method, "samples": samples, "seed": seed}
    fig = _power_figure(members, game["name"], res.n_samples if sampled else None, seed)
    return Report("power", "\n".join(lines), data, {"power": table}, {"power": fig}, inputs)


def _power_figure(members: list[dict[str, Any]], title: str, samples: int | None = None, seed: int = 0) -> Figure:
    fig = plots.figure(figsize=(max(6.0, 0.45 * len(members) + 2), 4))
    ax = fig.subplots()
    x = np.arange(len(members))
    for off, key, label in ((-0.2, "shapley_shubik", "Shapley-Shubik"), (0.2, "banzhaf", "Banzhaf (normalised)")):
        ax.bar(x + off, [m[key] for m in members], width=0.4, label=label,
               yerr=[1.96 * m[f"{key}_se"] for m in members], capsize=2)
    ax.set_xticks(x, [m["name"] for m in members], rotation=60, ha="right", fontsize=7)
    ax.set(ylabel="share of power (index, 0-1)", xlabel="member")
    ax.legend(fontsize=8)
    how = (f"Monte Carlo, n = {samples:,} samples; bars 95% intervals" if samples
           else "exact (generating functions): no sampling error")
    ax.set_title(f"Power indices: {title}\n{how}", fontsize=9)
    from scenarios.report import caption

    if samples:
        return caption(fig, f"Shapley-Shubik and normalised Banzhaf index of each member of {title}, estimated from "
                            f"n = {samples:,} sampled orderings and coalitions (seed {seed}); error bars are 95% "
                            "Monte Carlo intervals (1.96 s.e.).")
    return caption(fig, f"Shapley-Shubik and normalised Banzhaf index of each member of {title}, computed exactly "
                        "by generating functions over every coalition: no trials, no sampling error.")


# -------------------------------------------------------------------------------------------- forecast


def read_actors(path: Path) -> dict[str, Any]:
    """Read an actors CSV with columns actor, capability, position, salience (header names case-insensitive;
    salience on 0-1, or 0-100 if any value exceeds 1). Raises ConfigError naming the line and the column."""
    label = str(path)
    text = _read_text(path)
    reader = csv.reader(io.StringIO(text))
    rows = [(i + 1, r) for i, r in enumerate(reader) if any(c.strip() for c in r)]
    if not rows:
        raise ConfigError(f"empty file; expected a header {', '.join(FORECAST_COLUMNS)}", label, 1)
    header_line, header = rows[0]
    cols = [c.strip().lower() for c in header]
    for c in cols:
        if c not in FORECAST_COLUMNS:
            raise ConfigError(f"unknown column '{c}'; allowed columns: {', '.join(FORECAST_COLUMNS)}", label,
                              header_line, c)
    for c in FORECAST_COLUMNS:
        if c not in cols:
            raise ConfigError(f"missing column '{c}'; the header needs {', '.join(FORECAST_COLUMNS)}", label,
                              header_line, c)
    if len(set(cols)) != len(cols):
        raise ConfigError("duplicate column in the header", label, header_line)
    idx = {c: cols.index(c) for c in FORECAST_COLUMNS}
    actors, values = [], {c: [] for c in FORECAST_COLUMNS[1:]}
    lines = {}
    for line, r in rows[1:]:
        if len(r) != len(cols):
            raise ConfigError(f"expected {len(cols)} values, got {len(r)}", label, line)
        name = r[idx["actor"]].strip()
        if not name:
            raise ConfigError("empty actor name", label, line, "actor")
        if name in lines:
            raise ConfigError(f"duplicate actor '{name}' (first on line {lines[name]})", label, line, "actor")
        lines[name] = line
        actors.append(name)
        for c in FORECAST_COLUMNS[1:]:
            raw = r[idx[c]].strip()
            try:
                v = float(raw)
            except ValueError:
                raise ConfigError(f"expected a number, got {raw!r}", label, line, c) from None
            if not np.isfinite(v):
                raise ConfigError(f"expected a finite number, got {raw!r}", label, line, c)
            if c == "capability" and v < 0:
                raise ConfigError(f"capability must be >= 0, got {raw}", label, line, c)
            if c == "salience" and not 0 <= v <= 100:
                raise ConfigError(f"salience must be in 0-1 or 0-100, got {raw}", label, line, c)
            values[c].append(v)
    if len(actors) < 2:
        raise ConfigError(f"need at least two actors, got {len(actors)}", label, rows[-1][0])
    sal = np.array(values["salience"])
    scale = 100.0 if np.any(sal > 1) else 1.0
    cap = np.array(values["capability"])
    if np.sum(cap * sal) <= 0:
        raise ConfigError("at least one actor needs capability > 0 and salience > 0", label, None, "salience")
    return {"actors": actors, "capability": cap, "position": np.array(values["position"]), "salience": sal / scale,
            "salience_scale": scale}


RULE_TEXT = {"all_pairs": "P normalised over all pairs (the default; reproduces Scholz et al.'s Table 2)",
             "per_pair": "P normalised per pair (Scholz et al.'s eq. 31 as printed)"}
COMPROMISE_TEXT = {"lowest_weighted": "compromises chosen as Scholz et al.'s program did",
                   "least_move": "compromises chosen by the least move"}


def _moves_text(names: list[str], before: np.ndarray, after: np.ndarray, kind: np.ndarray, source: np.ndarray) -> str:
    """One round's moves as words: 'Belgium compromises with France (7 -> 8.416)'."""
    verb = {N.CONFLICT: "loses a conflict to", N.COMPROMISE: "compromises with", N.CAPITULATION: "capitulates to"}
    moves = [f"{names[i]} {verb[int(k)]} {names[int(j)]} ({before[i]:.4g} -> {after[i]:.4g})"
             for i, (k, j) in enumerate(zip(kind, source)) if k != N.NO_MOVE]
    return "; ".join(moves) if moves else "nobody moves"


def forecast(path: Path, rounds: int = 10, rule: str = "all_pairs", compromise: str = "lowest_weighted") -> Report:
    """The expected-utility forecast (Bueno de Mesquita 1994, as specified by Scholz, Calbert & Smith 2011),
    round by round from an actors CSV: every actor's position, the median-voter forecast, the weighted mean,
    the risk exponents, each actor's offer and who challenges whom in round 1 (model/negotiation.py)."""
    path = Path(path)
    a = read_actors(path)
    res = N.expected_utility_forecast(a["capability"], a["position"], a["salience"], n_rounds=rounds, rule=rule,
                                      compromise=compromise)
    names = a["actors"]
    round_rows, round_recs = [], []
    for t in range(rounds + 1):
        pos = [float(v) for v in res.positions[t]]
        round_rows.append([t, float(res.forecast[t]), float(res.mean_position[t]), *pos])
        round_recs.append({"round": t, "forecast": float(res.forecast[t]), "mean_position": float(res.mean_position[t]),
                           "positions": dict(zip(names, pos))})
    rounds_table = Table(["round", "forecast_median", "weighted_mean", *names], round_rows)
    actor_rows = []
    for i, n in enumerate(names):
        kinds = [OFFER_NAMES[int(k)] for k in res.offer_kind[:, i]]
        sources = [names[int(j)] if j >= 0 else "" for j in res.offer_from[:, i]]
        risk = float(res.risk_exponent[0, i]) if rounds else 1.0
        actor_rows.append([n, float(a["capability"][i]), float(a["position"][i]), float(a["salience"][i]),
                           float(res.positions[-1, i]), risk, " ".join(kinds), " ".join(s or "-" for s in sources)])
    actors_table = Table(["actor", "capability", "position", "salience_0_1", "final_position", "risk_exponent_round_1",
                          "offers_by_round", "offer_from_by_round"], actor_rows)
    eu = res.first_round_eu
    challenge_rows = [[names[i], names[j], float(eu[i, j]), bool(eu[i, j] > 0)]
                      for i in range(len(names)) for j in range(len(names)) if i != j]
    challenges_table = Table(["challenger", "target", "eu_round_1", "challenges"], challenge_rows)
    final = float(res.forecast[-1])
    stop = (f"settled after round {int(res.rounds_run)} (no position moves any more)" if bool(res.converged)
            else f"NOT SETTLED: positions still moving in round {rounds}, so the forecast is where round {rounds} left "
                 "the process, not a settled outcome")
    quiet = bool(rounds) and int(np.sum(res.n_challenges)) == 0
    variant_rows = []
    for v_rule in N.RULES:
        for v_comp in N.COMPROMISE_RULES:
            v = res if (v_rule, v_comp) == (rule, compromise) else N.expected_utility_forecast(
                a["capability"], a["position"], a["salience"], n_rounds=rounds, rule=v_rule, compromise=v_comp)
            variant_rows.append([v_rule, v_comp, (v_rule, v_comp) == (rule, compromise), float(v.forecast[-1]),
                                 float(v.mean_position[-1]), bool(v.converged)])
    lines = [(f"Expected-utility forecast for {len(names)} actors from {path.name} ({rounds} rounds at most; "
             f"salience read on a 0-{a['salience_scale']:g} scale); {RULE_TEXT[rule]}, {COMPROMISE_TEXT[compromise]}, "
             "Q = 1."),
             (f"Forecast (median voter position): start {res.forecast[0]:.4g}, after round {rounds} {final:.4g}; "
              f"weighted mean {res.mean_position[-1]:.4g}; {stop}."),
             ("Deterministic model: no Monte Carlo error. See model/negotiation.py for the equations and each "
              "departure from the printed text.")]
    if quiet:
        lines.append("NOBODY CHALLENGES ANYBODY in any round (every E^i(U_ij) <= 0): " + (
            f"nobody moves, and the forecast is the round-0 weighted median, {res.forecast[0]:.4g}."
            if np.all(res.positions == res.positions[0]) else
            "actors move only by yielding to challenges they merely perceive (E^i(U_ji) > 0 in their own risk "
            "exponent)."))
    lines += ["", "round  forecast  weighted mean"]
    for r in round_recs:
        lines.append(f"{r['round']:>5}  {r['forecast']:>8.4g}  {r['mean_position']:>13.4g}")
    if rounds:
        risk = ", ".join(f"{n} {res.risk_exponent[0, i]:.3g}" for i, n in enumerate(names))
        who = [f"{n} -> {', '.join(names[j] for j in range(len(names)) if eu[i, j] > 0) or 'nobody'}"
               for i, n in enumerate(names)]
        lines += ["", f"Round 1 risk exponents: {risk}.",
                  f"Round 1, who challenges whom (E^i(U_ij) > 0): {'; '.join(who)}.",
                  f"Round 1 moves: {_moves_text(names, res.positions[0], res.positions[1], res.offer_kind[0], res.offer_from[0])}."]
    width = max(len(r) for r in N.COMPROMISE_RULES)
    lines += ["", (f"Structural variants (the same data after round {rounds}; * = the run above): "
                   "rule x compromise rule."),
              f"   {'rule':<10} {'compromise':<{width}}  forecast  weighted mean  settled"]
    lines += [f"{'*' if h else ' '}  {r:<10} {c:<{width}}  {f:>8.4g}  {m:>13.4g}  {'yes' if ok else 'no'}"
              for r, c, h, f, m, ok in variant_rows]
    variants_table = Table(["rule", "compromise", "headline", "final_forecast", "final_weighted_mean", "settled"],
                           variant_rows)
    data = {"actors": [dict(zip(actors_table.columns, row)) for row in actor_rows], "rounds": round_recs,
            "final_forecast": final, "rounds_run": int(res.rounds_run), "converged": bool(res.converged),
            "nobody_challenges": quiet, "n_challenges": [int(v) for v in np.atleast_1d(res.n_challenges)],
            "variants": [dict(zip(variants_table.columns, row)) for row in variant_rows],
            "salience_scale": a["salience_scale"], "rule": rule, "compromise": compromise,
            "challenges": [dict(zip(challenges_table.columns, row)) for row in challenge_rows]}
    inputs = {"actors": str(path), "rounds": rounds, "rule": rule, "compromise": compromise}
    fig = _forecast_figure(res.positions, res.forecast, names, rule)
    return Report("forecast", "\n".join(lines), data,
                  {"forecast": rounds_table, "actors": actors_table, "challenges": challenges_table,
                   "variants": variants_table}, {"forecast": fig}, inputs)


def _forecast_figure(positions: np.ndarray, forecast_path: np.ndarray, names: list[str], rule: str) -> Figure:
    fig = plots.figure(figsize=(8, 4.5))
    ax = fig.subplots()
    t = np.arange(positions.shape[0])
    for i, n in enumerate(names):  # a small vertical offset per actor keeps actors at one position apart
        ax.plot(t, positions[:, i] + 0.03 * (i - len(names) / 2) / len(names), lw=1, alpha=0.75, label=n)
    ax.plot(t, forecast_path, "k-", lw=3, label="forecast (median voter)")
    ax.set(xlabel="round", ylabel="position", xticks=t)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    ax.set_title(f"Expected-utility negotiation (Bueno de Mesquita; Scholz, Calbert & Smith 2011), rule {rule}",
                 fontsize=9)
    fig.subplots_adjust(right=0.75)
    from scenarios.report import caption

    return caption(fig, f"Each of the {len(names)} actors' positions round by round (lines nudged apart slightly so "
                        "that equal positions stay visible) and the forecast, the median voter position (black), "
                        f"under rule {rule}. Deterministic model: no trials, no sampling error.")


# ------------------------------------------------------------------------------------ forecast on a case

FORECAST_TRIALS = 2_000
SLICE_CELLS = 2_000_000  # trials x actor pairs per model call (each pair array is ~16 MB; results do not depend on it)
PATH_CAP = 20_000  # trials whose every actor's path is kept for the figure's per-actor medians
ROOT = Path(__file__).resolve().parent.parent
# the three options of the shipped case, compared with the forecast by default
OPTION_CONFIGS = tuple(ROOT / "configs" / "coalition" / f"{name}.yaml"
                       for name in ("plan_28_points", "counterproposal", "no_deal"))
SALIENCE_READINGS = ("relative", "share")


class NegotiationBlock(Block):
    """`negotiation:` in a coalition or settlement config, read by `accord forecast CONFIG` only."""

    rule: Literal["all_pairs", "per_pair"] = Field(
        "all_pairs", description="normalisation of P_ij: over all pairs (Scholz et al.'s results) or per pair (eq. 31)")
    compromise: Literal["lowest_weighted", "least_move"] = Field(
        "lowest_weighted", description="which compromise an actor takes: as Scholz et al.'s program, or the least move")
    salience: Literal["relative", "share"] = Field(
        "relative", description=("the model's salience s_i from the config's weights: relative to the actor's most "
                                 "salient dimension (1 there), or the weight's share of the actor's total"))
    rounds: int = Field(10, ge=1, le=1000, description="bargaining rounds at most")
    q_status_quo: float = Field(1.0, ge=0, le=1, description="Q, probability a target keeps its position unchallenged")
    trials: int = Field(FORECAST_TRIALS, ge=10, le=200_000, description="Monte Carlo trials of the forecast")


@functools.cache
def _with_negotiation(base: type) -> type:
    return create_model(f"{base.__name__}Forecast", __base__=base,
                        negotiation=(NegotiationBlock, NegotiationBlock()))


def _forecast_schema(name: str) -> type | None:
    """The scenario's schema plus an optional `negotiation:` block, for scenarios that have `coalition:`."""
    from scenarios import registry

    base = registry.schema_for(name)
    if base is None or "coalition" not in base.model_fields:
        return base
    return _with_negotiation(base)


def _coalition_config(path: Path, overrides: Sequence[str] = (), *, forecast: bool = False) -> Any:
    """Load a config that has a `coalition:` block (coalition or settlement); ConfigError otherwise."""
    from scenarios import config as C

    cfg = C.load(path, list(overrides), schema_for=_forecast_schema if forecast else None)
    if getattr(cfg.model, "coalition", None) is None:
        loc = cfg.locs.get(("scenario",), (str(path), None))
        need = ("the forecast needs a coalition or settlement config (coalition.actors)" if forecast else
                "an option to compare needs a coalition or settlement config (coalition.plan)")
        raise ConfigError(f"a '{cfg.scenario}' config has no coalition block; {need}", loc[0], loc[1], "scenario")
    return cfg


def _check_dimension(cfg: Any, dimension: str | None, label: str) -> int:
    dims = [d.name for d in cfg.model.coalition.dimensions]
    if dimension is None:
        raise ConfigError(f"needed with a config: one of {', '.join(dims)}", label, None, "--dimension")
    if dimension not in dims:
        close = difflib.get_close_matches(dimension, dims, n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ConfigError(f"unknown dimension '{dimension}'{hint}; allowed: {', '.join(dims)}", label, None,
                          "--dimension")
    return dims.index(dimension)


def _draw_chunks(cfg: Any, trials: int, seed: int):
    """Yield Draws of the config's parameters, chunk by chunk as `accord run` draws them (same chunking, so
    trial t here is trial t of a run of the same config and seed)."""
    from scenarios.engine import Draws

    dists = cfg.uncertain()
    paths = {id(spec): path for path, (spec, _) in cfg.params().items()}
    sampler = P.Sampler(list(dists), seed, cfg.model.run.sampler)
    start = 0
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*balance properties of Sobol.*")
        for chunk, n in enumerate(P.chunk_sizes(trials, cfg.model.run.chunk_size)):
            yield Draws(P.draw(dists, sampler, chunk, n, start=start), paths, n)
            start += n


def option_positions(paths: Sequence[Path | str], dimension: str, trials: int, seed: int) -> dict[str, np.ndarray]:
    """Where each option stands on `dimension`: {label: samples of shape (trials,)}, label = the config's stem.

    THE one place that reads an option's plan position: a world's (a settlement config or a view of one) is
    mapped from its terms and guarantee (scenarios.world.coalition_plan, model/terms.py), a coalition block on
    its own gives `coalition.plan.<dimension>`; drawn with the config's own sampler and the given seed (trial
    t as in `accord run`).
    """
    from scenarios import world as W

    out: dict[str, np.ndarray] = {}
    for path in map(Path, paths):
        cfg = _coalition_config(path)
        model = cfg.model
        mapped = getattr(model, "terms", None) is not None
        dims = [d.name for d in model.coalition.dimensions]
        if dimension not in dims or not mapped and dimension not in (model.coalition.plan or {}):
            raise ConfigError(f"no plan position on '{dimension}'", str(path), None, f"coalition.plan.{dimension}")
        if mapped:
            samples = np.concatenate([np.broadcast_to(W.coalition_plan(model, draws)[dimension], (draws.n,))
                                      for draws in _draw_chunks(cfg, trials, seed)])
        else:
            samples = np.concatenate([draws.full(model.coalition.plan[dimension])
                                      for draws in _draw_chunks(cfg, trials, seed)])
        label = path.stem if path.stem not in out else f"{path.parent.name}/{path.stem}"
        out[label] = samples
    return out


def _case_arrays(cfg: Any, k: int, trials: int, seed: int, reading: str) -> dict[str, np.ndarray]:
    """Capability, position and salience of every actor on dimension k, per trial: (trials, n_actors) each."""
    co = cfg.model.coalition
    dims = [d.name for d in co.dimensions]
    caps, xs, ss = [], [], []
    for draws in _draw_chunks(cfg, trials, seed):
        caps.append(np.stack([draws.full(a.capability) for a in co.actors], axis=-1))
        xs.append(np.stack([draws.full(a.ideal[dims[k]]) for a in co.actors], axis=-1))
        weights = np.stack([np.stack([draws.full(a.salience[d]) if d in a.salience else np.zeros(draws.n)
                                      for d in dims], axis=-1) for a in co.actors], axis=1)  # (n, A, K)
        scale = weights.max(axis=-1) if reading == "relative" else weights.sum(axis=-1)
        if np.any(scale <= 0):
            bad = co.actors[int(np.argmax(np.any(scale <= 0, axis=0)))].name
            raise ConfigError(f"actor '{bad}' has no positive salience on any dimension", cfg.files[0], None,
                              f"coalition.actors.{bad}.salience")
        ss.append(weights[..., k] / scale)
    return {"capability": np.concatenate(caps), "position": np.concatenate(xs), "salience": np.concatenate(ss)}


def _median_ci(samples: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """95% interval of the median from order statistics (the binomial(n, 1/2) ranks n/2 -+ 1.96 sqrt(n)/2)."""
    n = samples.shape[axis]
    ordered = np.sort(samples, axis=axis)
    lo = int(max(0, np.floor(n / 2 - 0.98 * np.sqrt(n))))
    hi = int(min(n - 1, np.ceil(n / 2 + 0.98 * np.sqrt(n))))
    return np.take(ordered, lo, axis=axis), np.take(ordered, hi, axis=axis)


def _spread(samples: np.ndarray) -> dict[str, Any]:
    """Median (with its 95% CI), 10% and 90% quantiles over trials (axis 0), as plain floats or lists."""
    q10, med, q90 = np.quantile(samples, [0.1, 0.5, 0.9], axis=0)
    lo, hi = _median_ci(samples)

    def plain(v: Any) -> Any:
        return v.tolist() if isinstance(v, np.ndarray) else float(v)

    return {"median": plain(med), "q10": plain(q10), "q90": plain(q90), "median_ci95": [plain(lo), plain(hi)]}


def forecast_config(path: Path | str, dimension: str | None, *, overrides: Sequence[str] = (),
                    trials: int | None = None, seed: int | None = None, rounds: int | None = None,
                    rule: str | None = None, compromise: str | None = None, salience: str | None = None,
                    options: Sequence[Path | str] | None = None, variants: bool = True) -> Report:
    """The expected-utility forecast on one issue dimension of a coalition or settlement config.

    Actors are the config's `coalition.actors`: position = the actor's ideal point on the dimension, salience
    = its weight there (relative to its most salient dimension, or its share; `negotiation.salience`),
    capability = its `capability`. All three are drawn per trial from their distributions, and the model runs
    on every trial at once (in slices of SLICE_CELLS / n_actors^2 trials). Arguments left None come from the config's
    `negotiation:` block (defaults in NegotiationBlock) and `run:` (seed). The final-round forecast is compared
    with each option's plan position on the dimension (option_positions; default: the three shipped options).

    The spread over trials reflects the drawn capabilities, positions and saliences only. The structural
    choices move the forecast more (MODELS.md section 6), so with ``variants`` (the default) the model is run
    again on the same trials under every combination of rule (all_pairs, per_pair), salience reading
    (relative, share) and compromise rule (lowest_weighted, least_move), and the table of the eight says which
    row the headline is. The output also says in how many trials nobody challenged anybody (the forecast then
    moves only through actors yielding to challenges they perceive) and in how many the process had not
    settled by the last round (the forecast is then where the last round left it).
    """
    path = Path(path)
    label = str(path)
    cfg = _coalition_config(path, overrides, forecast=True)
    k = _check_dimension(cfg, dimension, label)
    neg: NegotiationBlock = getattr(cfg.model, "negotiation", NegotiationBlock())
    trials = trials or neg.trials
    seed = cfg.model.run.seed if seed is None else seed
    rounds = rounds or neg.rounds
    rule, compromise, salience = rule or neg.rule, compromise or neg.compromise, salience or neg.salience
    co = cfg.model.coalition
    dim = co.dimensions[k]
    names = [a.name for a in co.actors]
    A = len(names)
    case = _case_arrays(cfg, k, trials, seed, salience)
    if np.any(np.sum(case["capability"] * case["salience"], axis=-1) <= 0):
        raise ConfigError(f"no actor has capability > 0 and salience > 0 on '{dim.name}' in some trials", label,
                          None, "coalition.actors")

    run = _run_case(case, rounds, neg.q_status_quo, rule, compromise, keep=True)
    forecast, mean, final, paths = run["forecast"], run["mean"], run["final"], run["paths"]
    challenges, eu_sum, first_kind, first_from = run["challenges"], run["eu_sum"], run["first_kind"], run["first_from"]

    opts = option_positions(OPTION_CONFIGS if options is None else options, dim.name, trials, seed)
    end = forecast[:, -1]
    labels = list(opts)
    plans = np.stack([opts[o] for o in labels])  # (n_options, trials)
    credit = _nearest_credit(plans, end)
    option_recs = []
    for i, o in enumerate(labels):
        share = float(credit[i].mean())
        option_recs.append({"option": o, "plan": _spread(plans[i]), "nearest_share": share,
                            "nearest_se": float(credit[i].std(ddof=1) / np.sqrt(trials)),
                            "end_minus_plan": _spread(end - plans[i])})

    round_recs = [{"round": t, "forecast": _spread(forecast[:, t]), "mean_position": _spread(mean[:, t])}
                  for t in range(rounds + 1)]
    settled = float(np.mean(run["converged"]))
    quiet = run["nobody_challenges"]
    unmoved = np.abs(forecast[:, -1] - forecast[:, 0]) <= 1e-9
    actor_recs = []
    for i, a in enumerate(co.actors):
        moved = 1.0 - first_kind[i, N.NO_MOVE] / trials
        top = int(np.argmax(first_from[i])) if first_from[i].sum() > 0 else -1
        actor_recs.append({
            "actor": a.name, "capability": _spread(case["capability"][:, i]),
            "position": _spread(case["position"][:, i]), "salience": _spread(case["salience"][:, i]),
            "final_position": _spread(final[:, i]), "moves_in_round_1": float(moved),
            "round_1_offers": {OFFER_NAMES[kk]: float(first_kind[i, kk] / trials) for kk in range(3)},
            "round_1_most_often_from": names[top] if top >= 0 else None,
            "round_1_most_often_from_share": float(first_from[i, top] / trials) if top >= 0 else 0.0,
        })
    challenge_recs = [{"challenger": names[i], "target": names[j], "share": float(challenges[i, j] / trials),
                       "mean_eu": float(eu_sum[i, j] / trials)} for i in range(A) for j in range(A) if i != j]

    settings = {"rule": rule, "compromise": compromise, "salience": salience, "q_status_quo": neg.q_status_quo,
                "max_rounds": rounds}
    variant_recs = []
    if variants:
        cases = {salience: case}
        for v_salience in SALIENCE_READINGS:
            if v_salience not in cases:
                cases[v_salience] = _case_arrays(cfg, k, trials, seed, v_salience)
        for v_rule in N.RULES:
            for v_salience in SALIENCE_READINGS:
                for v_comp in N.COMPROMISE_RULES:
                    headline = (v_rule, v_salience, v_comp) == (rule, salience, compromise)
                    v = run if headline else _run_case(cases[v_salience], rounds, neg.q_status_quo, v_rule, v_comp)
                    v_end = v["forecast"][:, -1]
                    shares = _nearest_shares(plans, v_end)
                    top = int(np.argmax(shares))
                    tied = [labels[i] for i in range(len(labels)) if abs(shares[i] - shares[top]) < 1e-12]
                    variant_recs.append({
                        "rule": v_rule, "salience": v_salience, "compromise": v_comp, "headline": headline,
                        "end": _spread(v_end), "mean_end": _spread(v["mean"][:, -1]),
                        "settled_share": float(np.mean(v["converged"])),
                        "nobody_challenges_share": float(np.mean(v["nobody_challenges"])),
                        "nearest": tied, "nearest_share": float(shares[top])})
    data = {"config": label, "title": cfg.model.title, "dimension": dim.name, "dimension_doc": dim.doc,
            "anchors": [{"at": a.at, "means": a.means} for a in dim.anchors], "n_trials": trials, "seed": seed,
            "sampler": cfg.model.run.sampler, **settings, "settled_share": settled,
            "nobody_challenges_share": float(np.mean(quiet)),
            "nobody_challenges_unmoved_share": float(np.mean(unmoved[quiet])) if quiet.any() else None,
            "rounds": round_recs, "end": _spread(end), "options": option_recs, "actors": actor_recs,
            "challenges": challenge_recs, "variants": variant_recs}
    text = _case_text(data, names, challenges / trials)
    tables = _case_tables(data, names)
    figures = {"forecast": _case_figure(forecast, mean, np.median(paths, axis=0), opts, data),
               "challenges": _challenge_figure(challenges / trials, names, dim.name, trials)}
    inputs = {"config": label, "overrides": list(overrides), "dimension": dim.name, "trials": trials, "seed": seed,
              **settings, "options": [str(p) for p in (OPTION_CONFIGS if options is None else options)],
              "variants": variants, "config_digest": cfg.digest()}
    return Report("forecast", text, data, tables, figures, inputs)


def _run_case(case: dict[str, np.ndarray], rounds: int, q_status_quo: float, rule: str, compromise: str,
              keep: bool = False) -> dict[str, Any]:
    """The model on every trial of a case (slices of SLICE_CELLS / n_actors^2 trials): per trial the forecast
    and the weighted mean per round, the final positions, whether it settled and whether anybody challenged
    anybody in any round; with ``keep``, also the round-1 bookkeeping (who challenges whom, who takes whose
    offer) and up to PATH_CAP trials' paths of every actor."""
    trials, n = case["position"].shape
    out: dict[str, Any] = {"forecast": np.empty((trials, rounds + 1)), "mean": np.empty((trials, rounds + 1)),
                           "final": np.empty((trials, n)), "converged": np.empty(trials, dtype=bool),
                           "nobody_challenges": np.empty(trials, dtype=bool)}
    if keep:
        out.update(paths=np.empty((min(trials, PATH_CAP), rounds + 1, n)), challenges=np.zeros((n, n)),
                   eu_sum=np.zeros((n, n)), first_kind=np.zeros((n, 4)), first_from=np.zeros((n, n)))
    size = int(np.clip(SLICE_CELLS // n**2, 100, 20_000))
    for lo in range(0, trials, size):
        part = slice(lo, min(trials, lo + size))
        res = N.expected_utility_forecast(case["capability"][part], case["position"][part], case["salience"][part],
                                          n_rounds=rounds, q_status_quo=q_status_quo, rule=rule,
                                          compromise=compromise)
        out["forecast"][part], out["mean"][part], out["final"][part] = (res.forecast, res.mean_position,
                                                                        res.positions[:, -1])
        out["converged"][part] = res.converged
        out["nobody_challenges"][part] = res.n_challenges.sum(axis=-1) == 0
        if not keep:
            continue
        if lo < len(out["paths"]):
            out["paths"][lo:part.stop] = res.positions[: len(out["paths"]) - lo]
        out["challenges"] += (res.first_round_eu > 0).sum(axis=0)
        out["eu_sum"] += res.first_round_eu.sum(axis=0)
        kind, source = res.offer_kind[:, 0], res.offer_from[:, 0]
        for kk in range(4):
            out["first_kind"][:, kk] += (kind == kk).sum(axis=0)
        for j in range(n):
            out["first_from"][:, j] += (source == j).sum(axis=0)
    if keep:
        np.fill_diagonal(out["challenges"], 0.0)
    return out


def _nearest_credit(plans: np.ndarray, end: np.ndarray) -> np.ndarray:
    """(n_options, trials): 1 for the option whose plan position is nearest the forecast's end in a trial,
    shared equally among ties (options with the same term)."""
    distance = np.abs(plans - end)
    nearest = distance <= distance.min(axis=0) + 1e-12
    return nearest / nearest.sum(axis=0)


def _nearest_shares(plans: np.ndarray, end: np.ndarray) -> np.ndarray:
    return _nearest_credit(plans, end).mean(axis=1)


def _num(v: float) -> str:
    return f"{v:.2f}"


def _band(s: dict[str, Any]) -> str:
    return f"{_num(s['median'])} (10-90%: {_num(s['q10'])} to {_num(s['q90'])})"


def _case_text(d: dict[str, Any], names: list[str], share: np.ndarray) -> str:
    anchors = "; ".join(f"{a['at']:g} = {a['means']}" for a in d["anchors"])
    anchors = f" ({anchors})" if anchors else ""
    how = {"all_pairs": "P normalised over all pairs", "per_pair": "P normalised per pair (eq. 31 as printed)"}
    comp = {"lowest_weighted": "compromises as Scholz et al.'s program", "least_move": "least-move compromises"}
    sal = {"relative": "salience relative to each actor's top dimension", "share": "salience as a share"}
    n, last = d["n_trials"], d["rounds"][-1]
    end = d["end"]
    lines = [
        (f"Expected-utility forecast on '{d['dimension']}'{anchors} among the {len(names)} actors of "
         f"{d['config']}: {n:,} trials, seed {d['seed']}, sampler {d['sampler']}; {how[d['rule']]}, "
         f"{comp[d['compromise']]}, {sal[d['salience']]}, Q = {d['q_status_quo']:g}, {d['max_rounds']} rounds at most."),
        (f"Forecast (median voter position) after round {last['round']}: {_num(end['median'])} (median of {n:,} "
         f"trials, 95% CI {_num(end['median_ci95'][0])} to {_num(end['median_ci95'][1])}; 10-90%: "
         f"{_num(end['q10'])} to {_num(end['q90'])}); weighted mean {_band(last['mean_position'])}. The 10-90% "
         "range is over the drawn capabilities, positions and saliences only; the structural variants below "
         "move it more."),
        _settled_text(d["settled_share"], n, last["round"]),
        _quiet_text(d["nobody_challenges_share"], d["nobody_challenges_unmoved_share"], n),
        "",
        "round  forecast: median   10%    90%   weighted mean: median   10%    90%",
    ]
    for r in d["rounds"]:
        f, m = r["forecast"], r["mean_position"]
        lines.append(f"{r['round']:>5}  {f['median']:>16.2f}  {f['q10']:>5.2f}  {f['q90']:>5.2f}  "
                     f"{m['median']:>21.2f}  {m['q10']:>5.2f}  {m['q90']:>5.2f}")
    lines += ["", (f"Against the options' terms on '{d['dimension']}' (plan positions from option_positions: "
                   f"coalition.plan.{d['dimension']}; shares are of trials, ties split):")]
    rows = [["option", "plan position", "nearest to the end", "end - plan"]]
    for o in d["options"]:
        p = o["plan"]
        rows.append([o["option"], _num(p["median"]) if p["q10"] == p["q90"] else _band(p),
                     f"{o['nearest_share']:.1%} (s.e. {o['nearest_se']:.1%})", _band(o["end_minus_plan"])])
    widths = [max(len(r[c]) for r in rows) for c in range(4)]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
    best = max(d["options"], key=lambda o: o["nearest_share"])
    tied = [o["option"] for o in d["options"] if abs(o["nearest_share"] - best["nearest_share"]) < 1e-12]
    lines.append(f"The negotiation is forecast to end nearest to the term of {' and '.join(tied)} "
                 f"({best['nearest_share']:.1%} of trials{' each' if len(tied) > 1 else ''}).")
    lines += ["", "Who challenges whom in round 1 (share of trials with E^i(U_ij) > 0; row i challenges column j):"]
    width = max(len(x) for x in names)
    lines.append(" " * (width + 5) + "".join(f"{j + 1:>5}" for j in range(len(names))))
    for i, x in enumerate(names):
        cells = "".join("    -" if i == j else f"{share[i, j]:>5.0%}" for j in range(len(names)))
        lines.append(f"{i + 1:>2}  {x:<{width}} {cells}")
    verbs = {"conflict": "loses a conflict", "compromise": "compromises", "capitulation": "capitulates"}
    moves = []
    for a in d["actors"]:
        if a["moves_in_round_1"] > 0:
            how = ", ".join(f"{verbs[k]} {v:.0%}" for k, v in a["round_1_offers"].items() if v > 0)
            moves.append(f"{a['actor']} moves in {a['moves_in_round_1']:.0%} of trials ({how}; most often to "
                         f"{a['round_1_most_often_from']}, {a['round_1_most_often_from_share']:.0%})")
    lines.append("Round 1 moves (an actor also yields to challenges it only perceives, E^i(U_ji) > 0 in its own "
                 f"risk exponent): {'; '.join(moves) if moves else 'nobody moves'}.")
    if d["variants"]:
        lines += ["", _variants_text(d)]
    return "\n".join(lines)


def _settled_text(settled: float, n: int, last_round: int) -> str:
    if settled >= 1.0:
        return f"Settled: positions stopped moving before round {last_round} in every one of the {n:,} trials."
    return (f"NOT SETTLED in {1 - settled:.1%} of the {n:,} trials: positions were still moving in round {last_round}, "
            "so the forecast there is where the last round left the process, not a settled outcome (more rounds "
            "may move it; the example of Scholz et al. cycles for ever).")


def _quiet_text(quiet: float, unmoved: float | None, n: int) -> str:
    if quiet <= 0.0:
        return f"Some actor challenges another (E^i(U_ij) > 0) in every one of the {n:,} trials."
    head = ("NOBODY CHALLENGES ANYBODY" if quiet >= 1.0 else "Nobody challenges anybody") + \
        f" (every E^i(U_ij) <= 0, in every round) in {quiet:.1%} of the {n:,} trials"
    return (f"{head}: there the forecast moves only if actors yield to challenges they merely perceive "
            f"(E^i(U_ji) > 0 in their own risk exponent: capitulations and compromises); it ended at the round-0 "
            f"weighted median of the positions in {unmoved:.1%} of those trials.")


VARIANT_NOTE = ("rule: P_ij normalised over all pairs or per pair; salience: the config's weight relative to the "
                "actor's top dimension, or its share; compromise: as Scholz et al.'s program (lowest weighted "
                "position) or the least move")


def _variants_text(d: dict[str, Any]) -> str:
    n = d["n_trials"]
    head = next(v for v in d["variants"] if v["headline"])
    lines = [(f"Structural variants (MODELS.md section 6): the same {n:,} trials and seed under each combination of "
              f"{VARIANT_NOTE}. The headline above is the row marked * (rule {head['rule']}, salience "
              f"{head['salience']}, compromise {head['compromise']}; set by the command line or the config's "
              "negotiation: block).")]
    rows = [["", "rule", "salience", "compromise", "forecast: median (95% CI)", "10-90%", "settled",
             "nobody challenges", "nearest option (share of trials)"]]
    for v in d["variants"]:
        e = v["end"]
        rows.append(["*" if v["headline"] else "", v["rule"], v["salience"], v["compromise"],
                     f"{_num(e['median'])} ({_num(e['median_ci95'][0])}-{_num(e['median_ci95'][1])})",
                     f"{_num(e['q10'])}-{_num(e['q90'])}", f"{v['settled_share']:.0%}",
                     f"{v['nobody_challenges_share']:.0%}",
                     f"{' = '.join(v['nearest'])} ({v['nearest_share']:.0%}{' each' if len(v['nearest']) > 1 else ''})"])
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
    ends = [v["end"]["median"] for v in d["variants"]]
    lines.append(f"Across the variants the median forecast runs from {_num(min(ends))} to {_num(max(ends))}.")
    return "\n".join(lines)


def _case_tables(d: dict[str, Any], names: list[str]) -> dict[str, Table]:
    rounds = Table(["round", "forecast_median", "forecast_median_ci_low", "forecast_median_ci_high", "forecast_q10",
                    "forecast_q90", "mean_median", "mean_q10", "mean_q90", "n_trials"],
                   [[r["round"], r["forecast"]["median"], *r["forecast"]["median_ci95"], r["forecast"]["q10"],
                     r["forecast"]["q90"], r["mean_position"]["median"], r["mean_position"]["q10"],
                     r["mean_position"]["q90"], d["n_trials"]] for r in d["rounds"]])
    actors = Table(["actor", "capability_median", "position_median", "position_q10", "position_q90",
                    "salience_median", "final_position_median", "final_position_q10", "final_position_q90",
                    "moves_in_round_1", "round_1_most_often_from", "round_1_most_often_from_share"],
                   [[a["actor"], a["capability"]["median"], a["position"]["median"], a["position"]["q10"],
                     a["position"]["q90"], a["salience"]["median"], a["final_position"]["median"],
                     a["final_position"]["q10"], a["final_position"]["q90"], a["moves_in_round_1"],
                     a["round_1_most_often_from"] or "", a["round_1_most_often_from_share"]] for a in d["actors"]])
    challenges = Table(["challenger", "target", "share_of_trials", "mean_eu", "n_trials"],
                       [[c["challenger"], c["target"], c["share"], c["mean_eu"], d["n_trials"]]
                        for c in d["challenges"]])
    options = Table(["option", "plan_median", "plan_q10", "plan_q90", "nearest_share", "nearest_se",
                     "end_minus_plan_median", "end_minus_plan_q10", "end_minus_plan_q90", "n_trials"],
                    [[o["option"], o["plan"]["median"], o["plan"]["q10"], o["plan"]["q90"], o["nearest_share"],
                      o["nearest_se"], o["end_minus_plan"]["median"], o["end_minus_plan"]["q10"],
                      o["end_minus_plan"]["q90"], d["n_trials"]] for o in d["options"]])
    out = {"forecast": rounds, "actors": actors, "challenges": challenges, "options": options}
    if d["variants"]:
        out["variants"] = Table(
            ["rule", "salience", "compromise", "headline", "end_median", "end_median_ci_low", "end_median_ci_high",
             "end_q10", "end_q90", "mean_end_median", "settled_share", "nobody_challenges_share", "nearest_options",
             "nearest_share", "n_trials"],
            [[v["rule"], v["salience"], v["compromise"], v["headline"], v["end"]["median"], *v["end"]["median_ci95"],
              v["end"]["q10"], v["end"]["q90"], v["mean_end"]["median"], v["settled_share"],
              v["nobody_challenges_share"], " = ".join(v["nearest"]), v["nearest_share"], d["n_trials"]]
             for v in d["variants"]])
    return out


def _case_figure(forecast: np.ndarray, mean: np.ndarray, actor_paths: np.ndarray, opts: dict[str, np.ndarray],
                 d: dict[str, Any]) -> Figure:
    """The forecast per round (median and 10-90% band over trials), each actor's median path, and the options'
    plan positions (median line, 10-90% band); options with the same median share a line."""
    import textwrap

    fig = plots.figure(figsize=(8, 4.8))
    ax = fig.subplots()
    t = np.arange(forecast.shape[1])
    for i in range(actor_paths.shape[1]):
        ax.plot(t, actor_paths[:, i], color="0.6", lw=0.8, alpha=0.7,
                label="each actor's position (median over trials)" if i == 0 else None)
    q10, med, q90 = np.quantile(forecast, [0.1, 0.5, 0.9], axis=0)
    ax.fill_between(t, q10, q90, color="k", alpha=0.15, lw=0, label="forecast, 10-90% of trials")
    ax.plot(t, med, "k-", lw=2.5, marker="o", ms=3, label="forecast (median voter position), median")
    ax.plot(t, np.median(mean, axis=0), "k--", lw=1, label="weighted mean position, median")
    groups: dict[float, list[str]] = {}
    for o, samples in opts.items():
        groups.setdefault(round(float(np.median(samples)), 6), []).append(o)
    colours = ("tab:red", "tab:blue", "tab:green", "tab:purple", "tab:orange")
    for i, (mid, members) in enumerate(groups.items()):
        c = colours[i % len(colours)]
        ax.axhline(mid, color=c, lw=1.3, ls="--", label=f"{' = '.join(members)}: plan position {mid:.2f}")
        lo, hi = np.quantile(np.concatenate([opts[o] for o in members]), [0.1, 0.9])
        if hi > lo:
            ax.axhspan(lo, hi, color=c, alpha=0.08, lw=0)
    ax.set(xlabel="round", ylabel=f"position on '{d['dimension']}'", ylim=(-0.02, 1.02), xticks=t)
    for a in d["anchors"]:
        text = "\n".join(textwrap.wrap(f"{a['at']:g}: {a['means']}", 34)[:2])
        ax.annotate(text, (1.0, a["at"]), xycoords=("axes fraction", "data"), xytext=(4, 0),
                    textcoords="offset points", fontsize=6, va="center", color="0.35")
    ax.legend(fontsize=7, loc="best", framealpha=0.9)
    ax.set_title(f"Expected-utility forecast on '{d['dimension']}' ({d['n_trials']:,} trials; rule {d['rule']}, "
                 f"salience {d['salience']})", fontsize=9)
    fig.subplots_adjust(left=0.08, right=0.74)
    return fig


def _challenge_figure(share: np.ndarray, names: list[str], dimension: str, trials: int) -> Figure:
    fig = plots.figure(figsize=(6.5, 5.5))
    ax = fig.subplots()
    shown = share.copy()
    np.fill_diagonal(shown, np.nan)
    image = ax.imshow(shown, vmin=0, vmax=1, cmap="Reds")
    for i in range(len(names)):
        for j in range(len(names)):
            if i != j and share[i, j] >= 0.005:
                ax.text(j, i, f"{share[i, j]:.0%}", ha="center", va="center", fontsize=5.5,
                        color="white" if share[i, j] > 0.6 else "black")
    ax.set_xticks(range(len(names)), names, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(len(names)), names, fontsize=7)
    ax.set(xlabel="target j", ylabel="challenger i")
    fig.colorbar(image, ax=ax, label="share of trials with E^i(U_ij) > 0")
    ax.set_title(f"Who challenges whom in round 1 on '{dimension}' ({trials:,} trials)", fontsize=9)
    fig.tight_layout()
    return fig
