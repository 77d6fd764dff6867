"""The game commands: `accord power GAME.yaml` (power indices of a weighted voting game, model/power.py) and
`accord forecast ACTORS.csv` (Bueno de Mesquita's expected-utility forecast as specified by Scholz, Calbert &
Smith 2011, model/negotiation.py). Both read a file, validate it with errors naming file, line and key or
column, and return a :class:`scenarios.results.Report`.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from model import negotiation as N
from model import power as PW
from scenarios import plots
from scenarios.config import ConfigError, _compose
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
        return float(value) if np.isfinite(value) else None
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


def forecast(path: Path, rounds: int = 10) -> Report:
    """The expected-utility forecast (Bueno de Mesquita 1994, as specified by Scholz, Calbert & Smith 2011),
    round by round: every actor's position, the median-voter forecast and the weighted mean."""
    path = Path(path)
    a = read_actors(path)
    res = N.expected_utility_forecast(a["capability"], a["position"], a["salience"], n_rounds=rounds)
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
        actor_rows.append([n, float(a["capability"][i]), float(a["position"][i]), float(a["salience"][i]),
                           float(res.positions[-1, i]), " ".join(kinds)])
    actors_table = Table(["actor", "capability", "position", "salience_0_1", "final_position", "offers_by_round"],
                         actor_rows)
    final = float(res.forecast[-1])
    lines = [(f"Expected-utility forecast for {len(names)} actors from {path.name} ({rounds} rounds at most; "
             f"salience read on a 0-{a['salience_scale']:g} scale)."),
             f"Forecast (median voter position): start {res.forecast[0]:g}, after round {int(res.rounds_run)} "
             f"{final:g}; weighted mean {res.mean_position[-1]:.3g}; "
             + ("converged (no position moves any more)." if bool(res.converged) else "not converged."),
             ("Deterministic model: no Monte Carlo error. Model as printed by Scholz et al. (2011); see "
             "model/negotiation.py for how far it reproduces their Table 2."), "",
             "round  forecast  weighted mean"]
    for r in round_recs:
        lines.append(f"{r['round']:>5}  {r['forecast']:>8.3g}  {r['mean_position']:>13.3g}")
    data = {"actors": [dict(zip(actors_table.columns, row)) for row in actor_rows], "rounds": round_recs,
            "final_forecast": final, "rounds_run": int(res.rounds_run), "converged": bool(res.converged),
            "salience_scale": a["salience_scale"]}
    inputs = {"actors": str(path), "rounds": rounds}
    fig = _forecast_figure(res.positions, res.forecast, names)
    return Report("forecast", "\n".join(lines), data, {"forecast": rounds_table, "actors": actors_table},
                  {"forecast": fig}, inputs)


def _forecast_figure(positions: np.ndarray, forecast_path: np.ndarray, names: list[str]) -> Figure:
    fig = plots.figure(figsize=(7, 4.5))
    ax = fig.subplots()
    t = np.arange(positions.shape[0])
    for i, n in enumerate(names):
        ax.plot(t, positions[:, i] + 0.03 * (i - len(names) / 2) / len(names), lw=1, alpha=0.7, label=n)
    ax.plot(t, forecast_path, "k-", lw=3, label="forecast (median voter)")
    ax.set(xlabel="round", ylabel="position on the issue (the actors' scale)")
    ax.legend(fontsize=6, ncol=2)
    ax.set_title("Expected-utility negotiation (Bueno de Mesquita; Scholz, Calbert & Smith 2011)\n"
                 "deterministic model: no trials, no sampling error", fontsize=9)
    from scenarios.report import caption

    return caption(fig, f"Each of the {len(names)} actors' positions round by round (lines nudged apart slightly so "
                        "that equal positions stay visible) and the forecast, the capability- and salience-weighted "
                        "median position (black). Deterministic model: no trials, no sampling error.")
