"""The `forces` scenario end to end: shipped configs through the CLI, options overlaid, the cession table, and
monotonicity through compute() (`accord calibrate lanchester`: test_calibrate_lanchester.py)."""

import csv
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cli
from scenarios import forces as SF
from scenarios.config import ConfigError, load
from scenarios.engine import Draws, execute

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs" / "forces"
OPTIONS = {"28-point plan (600,000 cap)", "28-point plan (forces halved)", "E3 counter-proposal", "no deal"}


def _run(runner, config, out, *extra):
    res = runner.invoke(cli.main, ["run", str(config), "-n", "300", "--out", str(out), "--quiet", *extra])
    assert res.exit_code == 0, res.output
    return out


def _csv(path):
    """A table as a dict of columns (numbers as float arrays, text as object arrays)."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out = {}
    for col in rows[0]:
        values = [r[col] for r in rows]
        try:
            out[col] = np.array([float(v) for v in values])
        except ValueError:
            out[col] = np.array(values, dtype=object)
    return _Table(out)


class _Table(dict):
    """Columns with boolean-mask row selection: t[mask] gives the rows; len() is the row count."""

    def __getitem__(self, key):
        if isinstance(key, str):
            return dict.__getitem__(self, key)
        return _Table({c: v[key] for c, v in self.items()})

    def __len__(self):
        return len(next(iter(self.values())))

    def rows(self):
        return [dict(zip(self, vals)) for vals in zip(*self.values())]


# ------------------------------------------------------------------------------------------- runs


def test_validate_accepts_every_shipped_forces_config(runner):
    res = runner.invoke(cli.main, ["validate", *map(str, sorted(CONFIGS.glob("*.yaml")))])
    assert res.exit_code == 0, res.output
    assert res.output.count("ok ") == 4


def test_plan_run_writes_the_balance_and_the_war_for_every_option_and_the_cession(runner, tmp_path):
    out = _run(runner, CONFIGS / "plan_28_points.yaml", tmp_path / "r")
    for name in ("tables/balance.csv", "tables/war.csv", "tables/cession.csv", "figures/balance.png",
                 "figures/war.png", "summary.md"):
        assert (out / name).is_file(), name
    bal = _csv(out / "tables" / "balance.csv")
    assert set(bal["option"]) == OPTIONS
    assert len(bal) == 4 * 10 and set(bal["year"]) == set(range(1, 11))
    assert np.all(bal["force_ratio_q05"] <= bal["force_ratio_q50"])
    assert np.all(bal["force_ratio_q50"] <= bal["force_ratio_q95"])
    war = _csv(out / "tables" / "war.csv")
    assert set(war["option"]) == OPTIONS and np.all(war["n_trials"] == 300)
    for col in ("ru_p_success", "ru_p_objective"):
        assert np.all((war[col] >= 0) & (war[col] <= 1))
    assert np.all(war["ru_gain_km2_mean"] > 0) and np.all(war["ua_gain_km2_mean"] > 0)
    assert np.all(war["ru_gain_km2_q05"] <= war["ru_gain_km2_q95"])

    def ru(option):
        return war["ru_gain_km2_mean"][war["option"] == option]

    # fewer troops, no fortress belt, no strike, less aid: the plan never beats no deal in any year, and
    # halving the force is worse (common random numbers make the comparison sharp at 300 trials)
    assert np.all(ru("28-point plan (600,000 cap)") > ru("no deal"))
    assert np.all(ru("28-point plan (forces halved)") > ru("28-point plan (600,000 cap)"))

    ces = _csv(out / "tables" / "cession.csv")
    plan = ces[ces["option"] == "28-point plan (600,000 cap)"]
    row = {r["quantity"]: r for r in plan.rows()}
    assert 5000 <= row["area ceded (cumulative)"]["after_mean"] <= 6600
    fortified = row["share of Russia's battles meeting fortified lines (year 1)"]
    assert fortified["after_mean"] < fortified["before_mean"]
    assert row["front length"]["change_mean"] < 0
    nodeal = ces[ces["option"] == "no deal"]
    assert np.all(nodeal["change_mean"][nodeal["quantity"] != "force density (today -> year 1)"] == 0)

    summary = (out / "summary.md").read_text()
    assert "300 simulated futures" in summary and "95% CI" in summary


def test_counterproposal_runs_alone_with_its_cap_and_without_a_cession(runner, tmp_path):
    out = _run(runner, CONFIGS / "counterproposal.yaml", tmp_path / "r", "--json")
    ces = _csv(out / "tables" / "cession.csv")
    own = ces[ces["option"] == "E3 counter-proposal"]
    assert "area held by Kyiv" not in set(own["quantity"])
    assert np.all(own["change_mean"][own["quantity"] == "area ceded (cumulative)"] == 0)


def test_same_seed_gives_identical_tables(runner, tmp_path):
    a = _run(runner, CONFIGS / "no_deal.yaml", tmp_path / "a")
    b = _run(runner, CONFIGS / "no_deal.yaml", tmp_path / "b")
    for name in ("balance", "war", "cession"):
        assert (a / "tables" / f"{name}.csv").read_bytes() == (b / "tables" / f"{name}.csv").read_bytes()


def test_set_overrides_the_cap_and_the_aid():
    """In a world view the plan's cap and aid cut are terms (the forces block is the world without the plan)."""
    base = load(CONFIGS / "plan_28_points.yaml")
    cfg = load(CONFIGS / "plan_28_points.yaml",
               ["terms.force_cap=800000", "terms.aid_cut=0", "forces.compare_with=[]"])
    assert cfg.model.terms.force_cap.value == 800000
    assert cfg.model.terms.aid_cut.value == 0
    p_base = execute(load(CONFIGS / "plan_28_points.yaml", ["forces.compare_with=[]"]), trials=200).summaries
    p_new = execute(cfg, trials=200).summaries
    assert p_new.estimate("war.ru.mean_km2", (0,)).mean < p_base.estimate("war.ru.mean_km2", (0,)).mean
    assert p_new.estimate("war.ru.p_success", (0,)).mean < p_base.estimate("war.ru.p_success", (0,)).mean
    assert base.model.forces.compare_with  # the shipped plan compares with the other options


# ------------------------------------------------------------------------------------------- options


def test_compare_with_resolves_against_the_file_that_wrote_it(tmp_path):
    """A config elsewhere (as a settlement config would be) that extends the shipped plan keeps the plan's
    compare_with, written relative to configs/forces/."""
    other = tmp_path / "elsewhere" / "variant.yaml"
    other.parent.mkdir()
    other.write_text(textwrap.dedent(f"""\
        extends: {CONFIGS / "plan_28_points.yaml"}
        scenario: forces
        forces:
          label: "variant"
        terms:
          force_cap: {{value: 700000, source: "assumption: test"}}
        """))
    config = load(other)
    done = execute(config, trials=100)
    tables, figures = SF.tables_figures(config, done.summaries)
    labels = list(dict.fromkeys(tables["balance"].records()[i]["option"] for i in range(0, 40, 10)))
    assert labels == ["variant", "28-point plan (forces halved)", "E3 counter-proposal", "no deal"]
    assert set(figures) == {"balance", "war"}


def test_a_missing_compare_with_file_is_a_config_error(tmp_path):
    config = load(CONFIGS / "no_deal.yaml", ["forces.compare_with=[nowhere.yaml]"])
    done = execute(load(CONFIGS / "no_deal.yaml", ["forces.compare_with=[]"]), trials=50)
    with pytest.raises(ConfigError, match="nowhere.yaml"):
        SF.tables_figures(config, done.summaries)


# ------------------------------------------------------------------------------------------- compute


def _fixed_forces(horizon=6, **values):
    """A forces block of fixed values (the point estimates of the battle relations: nothing to draw)."""
    return SF.ForcesBlock.model_validate({"horizon_years": horizon, "estimation_uncertainty": False, **values})


def _draws(cfg, n, seed=1):
    from model import params as P

    dists = cfg.uncertain()
    paths = {id(spec): path for path, (spec, _) in cfg.params().items()}
    return Draws(P.draw(dists, P.Sampler(list(dists), seed, "mc"), 0, n), paths, n)


WAR_KEYS = ("war.ru.mean_km2", "war.ru.sd_km2", "war.ru.p_success", "war.ru.p_objective", "war.ua.mean_km2",
            "war.ua.sd_km2", "war.ua.p_success", "nodeal.cum_mean_km2", "nodeal.cum_sd_km2", "force_ratio")


def test_compute_gives_n_by_T_arrays_for_every_trial():
    cfg = load(CONFIGS / "plan_28_points.yaml", ["forces.horizon_years=7"])
    n = 64
    draws = _draws(cfg, n)
    out = SF.compute(cfg.model.forces, cfg.model.cession, draws, response_troops=np.full(n, 50_000.0))
    for key in (*WAR_KEYS, "war.ru_resp.mean_km2", "war.ru_resp.sd_km2"):
        assert out[key].shape == (n, 7), key
        assert np.all(np.isfinite(out[key])), key
    for key in ("cession_ceded_km2", "cession_held_km2_after", "cession_fortified_after", "war.intensity"):
        assert out[key].shape == (n,), key
    assert "war.ru_resp.mean_km2" not in SF.compute(cfg.model.forces, cfg.model.cession, draws)
    # reinforcing the defender never helps the attacker
    assert np.all(out["war.ru_resp.mean_km2"] <= out["war.ru.mean_km2"])
    # all fixed: still one row per trial
    fixed = SF.compute(_fixed_forces(3), None, Draws({}, {}, 5))
    assert fixed["war.ru.mean_km2"].shape == (5, 3)


def _compute(cfg, draws, **kwargs):
    """scenarios.forces.compute as the config's scenario calls it: a world view's plan from its terms."""
    from scenarios import world as WD

    plan = WD.forces_plan(cfg.model, draws) if getattr(cfg.model, "terms", None) is not None else None
    return SF.compute(cfg.model.forces, cfg.model.cession, draws, plan=plan, **kwargs)


def _at_medians(name, *extra):
    """A shipped config with every uncertain parameter but the relations' variates at its median."""
    cfg = load(CONFIGS / f"{name}.yaml")
    medians = [f"{p}={float(d.ppf(np.array([0.5]))[0])}" for p, d in cfg.uncertain().items() if "relations_z" not in p]
    return load(CONFIGS / f"{name}.yaml", [*medians, *extra])


def test_compute_is_reproducible():
    cfg = load(CONFIGS / "plan_28_points.yaml")
    draws = _draws(cfg, 200)
    a = SF.compute(cfg.model.forces, cfg.model.cession, draws)
    b = SF.compute(cfg.model.forces, cfg.model.cession, draws)
    for key in WAR_KEYS:
        np.testing.assert_array_equal(a[key], b[key])


def test_the_fits_uncertainty_matters_more_the_further_the_balance_is_from_todays():
    """With every other parameter at its median, the relations drawn per trial spread Russia's expected gain;
    the anchor pins today's balance, so the spread grows as a plan moves the balance away from it (no deal <
    the 600,000 cap < forces halved), and vanishes with the point estimates."""
    spread = {}
    for name in ("no_deal", "plan_28_points", "plan_28_points_halved"):
        cfg = _at_medians(name)
        gain = _compute(cfg, _draws(cfg, 2000))["war.ru.mean_km2"][:, 0]
        spread[name] = np.std(gain) / np.mean(gain)
    assert 0 < spread["no_deal"] < spread["plan_28_points"] < spread["plan_28_points_halved"], spread
    point = _at_medians("plan_28_points", "forces.estimation_uncertainty=false")
    flat = _compute(point, _draws(point, 50))["war.ru.mean_km2"]
    assert np.ptp(flat[:, 0]) == 0


def test_the_plan_replaces_the_settlement_path_but_not_the_no_deal_war():
    cfg = load(CONFIGS / "no_deal.yaml")
    n = 100
    draws = _draws(cfg, n)
    base = SF.compute(cfg.model.forces, None, draws)
    plan = {"ukraine_cap": np.full(n, 500_000.0), "long_range_strike_ban": np.ones(n),
            "aid_eur_bn_per_year": np.full(n, 10.0), "russia_rearmament_per_year": np.full(n, 150_000.0),
            "ceded_km2": np.full(n, 6000.0)}
    out = SF.compute(cfg.model.forces, None, draws, plan=plan)
    assert np.all(out["war.ru.mean_km2"] > base["war.ru.mean_km2"])
    assert np.all(out["war.ua.mean_km2"] < base["war.ua.mean_km2"])
    np.testing.assert_array_equal(out["nodeal.cum_mean_km2"], base["nodeal.cum_mean_km2"])
    np.testing.assert_array_equal(out["cession_ceded_km2"], 6000.0)
    # a forces config whose block holds an option's aid keeps today's aid in the war with no deal
    option = _fixed_forces(aid_eur_bn_per_year=10.0)
    today = _fixed_forces(aid_eur_bn_per_year=36.0)
    kept = _fixed_forces(aid_eur_bn_per_year=10.0, wartime_aid_eur_bn_per_year=36.0)
    one = Draws({}, {}, 1)
    cum = {k: SF.compute(b, None, one)["nodeal.cum_mean_km2"] for k, b in
           (("option", option), ("today", today), ("kept", kept))}
    np.testing.assert_array_equal(cum["kept"], cum["today"])
    assert cum["option"][0, -1] > cum["today"][0, -1]  # less aid, a weaker Ukraine, more Russian gains
    with pytest.raises(ValueError, match="unknown plan key"):
        SF.compute(cfg.model.forces, None, draws, plan={"ukrain_cap": np.ones(n)})


def test_todays_balance_reproduces_the_observed_rate_of_russian_gains():
    """The anchor: the war going on from today moves the line, in its first year, by the observed net rate of
    Russian gains (FACTS.md: ~5,000 km2 in 2025; 5,400 km2 January-November 2025, ~16 km2/day), trial by
    trial, whatever the relations drawn."""
    cfg = load(CONFIGS / "no_deal.yaml")
    draws = _draws(cfg, 500)
    out = SF.compute(cfg.model.forces, None, draws)
    observed = 365.0 * draws.full(cfg.model.forces.gain_now_km2_per_day)
    np.testing.assert_allclose(out["nodeal.cum_mean_km2"][:, 0], observed, rtol=1e-9)
    assert 4700 < float(np.mean(out["nodeal.cum_mean_km2"][:, 0])) < 6000


_CESSION = SF.CessionBlock.model_validate(
    {"ceded_km2": 5800, "ceded_population": 230000, "front_length_after_km": 1175,
     "fortified_share_after": 0.2, "fortified_rebuild_per_year": 0.05}
)


@settings(max_examples=40, deadline=None)
@given(
    which=st.sampled_from(["ukraine_cap", "fortified_share", "aid_eur_bn_per_year", "interdiction_share"]),
    low=st.floats(0.0, 1.0),
    bump=st.floats(0.01, 1.0),
    russia=st.floats(4e5, 1.2e6),
    rearm=st.floats(0, 2e5),
    ban=st.sampled_from([0.0, 1.0]),
    ceded=st.booleans(),
)
def test_a_stronger_defence_never_raises_russias_expected_gain(which, low, bump, russia, rearm, ban, ceded):
    """More troops (cap, aid), more fortified lines or more interdiction never raise the territory a renewed
    Russian offensive is expected to take, nor its chance of success (config level; tests/test_war.py checks
    the model). The anchor is held fixed (the war as fought today does not depend on the plan)."""
    ranges = {"ukraine_cap": (2e5, 1.2e6), "fortified_share": (0.0, 0.6), "aid_eur_bn_per_year": (0.0, 80.0),
              "interdiction_share": (0.0, 0.5)}
    lo, hi = ranges[which]
    x0 = lo + low * (hi - lo)
    x1 = min(x0 * (1 + bump) + 1e-6, hi)
    common = {"russia_now": russia, "russia_rearmament_per_year": rearm, "long_range_strike_ban": ban,
              "prepared_share": 0.3}
    cession = _CESSION if ceded else None
    draws = Draws({}, {}, 1)
    if which in ("fortified_share", "interdiction_share"):
        # these also move today's anchor (its level kappa and the balance the tempo is measured from, model.war.
        # intensity_factor); hold both fixed: divide out kappa, and keep the tempo at today's (elasticities 0)
        common.update({which: x0, "intensity_surplus_elasticity": 0.0, "intensity_space_elasticity": 0.0})
        base = SF.compute(_fixed_forces(**common), cession, draws)
        f = _fixed_forces(**{**common, which: x1})
        moved = SF.compute(f, cession, draws)
        kappa0, kappa1 = base["war.intensity"], moved["war.intensity"]
        g0 = base["war.ru.mean_km2"] / kappa0
        g1 = moved["war.ru.mean_km2"] / kappa1
    else:
        g0 = SF.compute(_fixed_forces(**common, **{which: x0}), cession, draws)
        g1 = SF.compute(_fixed_forces(**common, **{which: x1}), cession, draws)
        assert np.all(g1["war.ru.p_success"] <= g0["war.ru.p_success"] + 1e-12)
        g0, g1 = g0["war.ru.mean_km2"], g1["war.ru.mean_km2"]
    assert np.all(g1 <= g0 * (1 + 1e-12)), (which, g0, g1)


def test_the_fast_year_loop_is_the_war_model_applied_year_by_year():
    """compute()'s in-place year loop against model.war.offensive and season_gain called plainly on the
    balance, with the relations drawn as compute draws them."""
    from model import forces as FM
    from model import war as W

    cfg = load(CONFIGS / "plan_28_points.yaml")
    n = 300
    draws = _draws(cfg, n)
    f, c = cfg.model.forces, cfg.model.cession
    out = _compute(cfg, draws, response_troops=np.full(n, 80_000.0))
    coef = SF.coefficients(f, draws)
    full = draws.full
    from scenarios import world as WD

    peace = FM.balance_trajectory(f.horizon_years, **SF.balance_params(f, c, draws, WD.forces_plan(cfg.model, draws)))
    war = FM.balance_trajectory(f.horizon_years, wartime=True, **SF.balance_params(f, None, draws))
    air, conc, tempo = full(f.air_superiority), full(f.concentration), full(f.ukraine_offensive_tempo)
    counter = full(f.ukraine_counterattack_tempo)
    rf, rp = full(f.russia_fortified_share), full(f.russia_prepared_share)
    ops, season = full(f.operations_per_year), full(f.season_days)
    a0, d0, front0 = war["attacker_effective_troops"][:, 0], war["defender_strength_troops"][:, 0], war["front_length_km"]
    kappa = W.russian_intensity(full(f.gain_now_km2_per_day), front0,
                                W.offensive(coef, a0, d0, front0, war["fortified_share"][:, 0],
                                            war["prepared_share"][:, 0], air, conc),
                                W.offensive(coef, d0, a0, front0, rf, rp, -air, conc), counter)
    np.testing.assert_allclose(out["war.intensity"], kappa, rtol=1e-12)
    net = np.zeros(n)
    eta, zeta = full(f.intensity_surplus_elasticity), full(f.intensity_space_elasticity)

    top = np.inf if f.intensity_max_factor is None else full(f.intensity_max_factor)

    def tempo_factor(att, dfd, att_now, dfd_now, length, bounded=False):
        """(r / r_now)^eta (rho_now / rho)^zeta: r = att / dfd, rho = dfd / length (model.war.intensity_factor);
        Russia's offensives bounded above by the culminating point, x -> c tanh(x / c), c = ln(max factor)."""
        power = (att / dfd / (att_now / dfd_now)) ** eta * ((dfd_now / front0) / (dfd / length)) ** zeta
        if not bounded:
            return power
        x, c = np.log(power), np.log(top) * np.ones_like(power)
        return np.exp(np.where(x > 0, c * np.tanh(x / c), x))

    for t in range(f.horizon_years):
        a, d, front = peace["attacker_effective_troops"][:, t], peace["defender_strength_troops"][:, t], \
            peace["front_length_km"]
        k_ru = kappa * tempo_factor(a, d, a0, d0, front, bounded=True)
        ru = W.offensive(coef, a, d, front, peace["fortified_share"][:, t], peace["prepared_share"][:, t], air, conc)
        mean, sd = W.season_gain(ru, k_ru, front, season, ops * season / 365.0)
        np.testing.assert_allclose(out["war.ru.mean_km2"][:, t], mean, rtol=1e-10)
        np.testing.assert_allclose(out["war.ru.sd_km2"][:, t], sd, rtol=1e-10)
        np.testing.assert_allclose(out["war.ru.p_success"][:, t], ru.p_success, rtol=1e-12)
        resp = W.offensive(coef, a, d + 80_000.0, front, peace["fortified_share"][:, t], peace["prepared_share"][:, t],
                           air, conc)
        np.testing.assert_allclose(out["war.ru_resp.mean_km2"][:, t],
                                   W.season_gain(resp, kappa * tempo_factor(a, d + 80_000.0, a0, d0, front, True), front,
                                                 season, ops * season / 365.0)[0], rtol=1e-10)
        ua = W.offensive(coef, d, a, front, rf, rp, -air, conc)
        np.testing.assert_allclose(out["war.ua.mean_km2"][:, t],
                                   W.season_gain(ua, tempo * kappa * tempo_factor(d, a, d0, a0, front), front, season,
                                                 tempo * ops * season / 365.0)[0], rtol=1e-10)
        wa, wd = war["attacker_effective_troops"][:, t], war["defender_strength_troops"][:, t]
        g_ru = W.season_gain(W.offensive(coef, wa, wd, front0, war["fortified_share"][:, t],
                                         war["prepared_share"][:, t], air, conc),
                             kappa * tempo_factor(wa, wd, a0, d0, front0, True), front0, 365.0, ops)[0]
        g_ua = W.season_gain(W.offensive(coef, wd, wa, front0, rf, rp, -air, conc),
                             counter * kappa * tempo_factor(wd, wa, d0, a0, front0), front0, 365.0, counter * ops)[0]
        net += g_ru - g_ua
        np.testing.assert_allclose(out["nodeal.cum_mean_km2"][:, t], net, rtol=1e-10)


def test_ukraines_collapse_is_a_defined_outcome_counted_not_nan():
    """Ukraine's forces worn away to nothing (a wartime shortfall of 150,000 a year) or capped at zero: every
    output is finite, the collapsed years are counted, and the collapsed war takes the geography (the claimed
    oblasts, less what the plan ceded) with certainty."""
    cfg = load(CONFIGS / "no_deal.yaml", overrides=["forces.ukraine_wartime_growth_per_year=-150000",
                                                     "forces.claimed_km2=21000"])
    draws = _draws(cfg, 300)
    out = SF.compute(cfg.model.forces, None, draws, plan={"ukraine_cap": np.zeros(300)})
    for k, v in out.items():
        assert np.all(np.isfinite(v)), k
    assert out["nodeal.collapsed"][:, -1].mean() > 0.5  # 850-900k less 150k a year: gone by year 7
    assert np.all(np.diff(out["nodeal.collapsed"], axis=1) >= 0)  # once collapsed, collapsed
    np.testing.assert_allclose(out["war.ru.collapsed"], 1.0)  # capped at zero: no troops in any year
    np.testing.assert_allclose(out["war.ru.mean_km2"], 21000.0)
    np.testing.assert_allclose(out["war.ru.p_success"], 1.0)
    done = out["nodeal.collapsed"][:, -1] == 1
    np.testing.assert_allclose(out["nodeal.cum_capped_km2"][done, -1], 21000.0, rtol=1e-6)
    np.testing.assert_allclose(out["nodeal.p_claimed_taken"][done, -1], 1.0)


def test_no_deal_gains_are_capped_at_the_claimed_oblasts():
    """The no-deal war's cumulative gain (uncapped: several times the claimed area over ten years) is capped at
    the geography: E[min(X, C)] <= C, rising with the years, and P(all claimed taken) rises too."""
    cfg = load(CONFIGS / "no_deal.yaml", overrides=["forces.claimed_km2=21000"])
    out = SF.compute(cfg.model.forces, None, _draws(cfg, 300))
    capped = out["nodeal.cum_capped_km2"]
    assert np.all(capped <= 21000.0 + 1e-6)
    assert np.all(capped <= np.maximum(out["nodeal.cum_mean_km2"], 0.0) + 1e-6)
    assert np.all(np.diff(capped, axis=1) >= -1e-6)
    assert np.all(np.diff(out["nodeal.p_claimed_taken"], axis=1) >= -1e-9)
    assert np.all(out["war.ru.capped_km2"] <= 21000.0 + 1e-6)


def test_a_shorter_horizon_gives_the_full_horizons_first_years_exactly():
    """compute(years=k) (what the guarantees scenario asks for: year 1 only) equals the first k years of the
    full horizon, bit for bit, in a world with a plan, a response and a cession: no year depends on a later one."""
    from scenarios import world as W

    cfg = load(ROOT / "configs" / "plan_28_points.yaml")
    m, draws = cfg.model, _draws(cfg, 300)
    kw = {"plan": W.forces_plan(m, draws), "response_troops": draws.full(m.war.response_troops),
          "claimed_km2": draws.full(m.war.claimed_km2)}
    full = SF.compute(m.forces, m.cession, draws, **kw)
    T = m.forces.horizon_years
    assert T > 2
    for k in (1, 2):
        short = SF.compute(m.forces, m.cession, draws, years=k, **kw)
        assert set(short) == set(full)
        for key, value in full.items():
            value, got = np.asarray(value), np.asarray(short[key])
            want = value[..., :k] if value.ndim == 2 and value.shape[-1] == T else value
            np.testing.assert_array_equal(got, want, err_msg=key)


def test_p_objective_is_for_the_objectives_sector():
    """P(objective) reads the sector's share of the gain: a smaller share can only lower it; share 1 is the
    whole theatre's gain."""
    ps = {}
    for share in (0.5, 1.0):
        cfg = load(CONFIGS / "no_deal.yaml", overrides=[f"forces.objective_sector_share={share}"])
        draws = _draws(cfg, 200)  # detail_n = n: P(objective) on every trial
        ps[share] = SF.compute(cfg.model.forces, None, draws)["war.ru.p_objective"]
    assert np.all(ps[0.5] <= ps[1.0] + 1e-12) and np.any(ps[0.5] < ps[1.0])


def test_force_ratio_counts_troops_in_the_theatre_on_both_sides():
    """Ukraine's armed forces enter the ratio times their theatre share (Russia's count is its troops in the
    zone): halving the share doubles the ratio."""
    ratios = {}
    for share in (0.4, 0.8):
        cfg = load(CONFIGS / "no_deal.yaml", overrides=[f"forces.ukraine_theatre_share={share}"])
        ratios[share] = SF.compute(cfg.model.forces, None, _draws(cfg, 100))["force_ratio"]
    np.testing.assert_allclose(ratios[0.4], 2.0 * ratios[0.8], rtol=1e-12)
