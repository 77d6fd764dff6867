"""`accord forecast CONFIG --dimension DIM`: the expected-utility model per trial on a coalition or settlement
config (issue 18), its wiring (positions, saliences, capabilities), the options' plan positions it is compared
with, reproducibility, and one-line errors."""

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest

import cli
from scenarios import config as C
from scenarios import games

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "configs" / "plan_28_points.yaml"


@pytest.fixture
def runner(monkeypatch):
    from click.testing import CliRunner

    monkeypatch.chdir(ROOT)
    return CliRunner()


def _tiny(tmp_path: Path, z_position: str = "0.5", z_capability: str = "{dist: uniform, low: 1, high: 2}") -> Path:
    """Three actors on two dimensions; z's capability is uncertain."""
    path = tmp_path / "tiny.yaml"
    path.write_text(textwrap.dedent(f"""\
        scenario: coalition
        run: {{trials: 100, seed: 3}}
        coalition:
          dimensions: [{{name: a}}, {{name: b}}]
          actors:
            - {{name: x, veto: true, capability: 3, ideal: {{a: 0.2, b: 0.5}}, salience: {{a: 0.5, b: 0.5}}}}
            - {{name: y, veto: true, capability: 1, ideal: {{a: 0.8, b: 0.5}}, salience: {{a: 0.25, b: 0.75}}}}
            - {{name: z, capability: {z_capability}, ideal: {{a: {z_position}, b: 0.5}}, salience: {{a: 1, b: 0}}}}
          no_deal: [{{name: war, probability: 1, position: {{a: 0.5, b: 0.5}}}}]
          stages: [{{name: sign, actors: [x, y]}}]
          plan: {{a: {{dist: uniform, low: 0.3, high: 0.5}}, b: 0.5}}
        """))
    return path


def _weighted_median(x: np.ndarray, w: np.ndarray) -> float:
    order = np.argsort(x)
    cum = np.cumsum(w[order])
    return float(x[order][np.searchsorted(cum, cum[-1] / 2)])


def test_round_zero_forecast_is_the_weighted_median_of_the_config_actors():
    """Black's (1948) median voter: with each actor's capability fixed at its mode, the round-0 forecast on
    territory is the median of the ideal points weighted by capability x salience, salience read relative to
    the actor's most salient dimension (computed here from the config's own values)."""
    raw = C.load(PLAN).model.coalition
    modes = [f"coalition.actors.{a.name}.capability={a.capability.mode}" for a in raw.actors]
    cfg = C.load(PLAN, modes).model.coalition
    x = np.array([a.ideal["territory"].value for a in cfg.actors])
    s = np.array([a.salience["territory"].value / max(v.value for v in a.salience.values()) for a in cfg.actors])
    c = np.array([a.capability.value for a in cfg.actors])
    rep = games.forecast_config(PLAN, "territory", overrides=modes, trials=20, rounds=1)
    start = rep.data["rounds"][0]["forecast"]
    assert start["q10"] == start["q90"] == pytest.approx(_weighted_median(x, c * s))
    by_actor = {a["actor"]: a for a in rep.data["actors"]}
    assert by_actor["ukraine_government"]["salience"]["median"] == pytest.approx(1.0)  # territory is its top issue
    assert by_actor["us_congress"]["salience"]["median"] == pytest.approx(0.12 / 0.22)


def test_salience_as_a_share_divides_by_the_actors_total():
    rep = games.forecast_config(PLAN, "territory", trials=20, rounds=1, salience="share")
    by_actor = {a["actor"]: a for a in rep.data["actors"]}
    assert by_actor["ukraine_government"]["salience"]["median"] == pytest.approx(0.22 / 1.00)
    assert by_actor["turkiye"]["salience"]["median"] == pytest.approx(1 / 11)


def test_actors_who_agree_forecast_their_common_position_and_never_move(tmp_path):
    """The limiting case of no disagreement: every actor at 0.3 on `a` (x and y moved there by --set), so the
    median voter position is 0.3 in every round of every trial and nobody challenges anybody."""
    path = _tiny(tmp_path, z_position="0.3")
    rep = games.forecast_config(path, "a", overrides=["coalition.actors.x.ideal.a=0.3", "coalition.actors.y.ideal.a=0.3"],
                                trials=40, options=[path])
    for r in rep.data["rounds"]:
        assert r["forecast"]["q10"] == r["forecast"]["q90"] == pytest.approx(0.3)
    assert rep.data["settled_share"] == 1.0
    assert all(c["share"] == 0 for c in rep.data["challenges"])


def test_capability_draws_move_the_forecast_as_the_median_voter_theorem_says(tmp_path):
    """x at 0.2 (c = 3, s = 1), y at 0.8 (c = 1, s = 0.25 / 0.75 = 1/3), z at 0.9 (c_z ~ U(1, 5), s = 1): the
    weighted median is 0.2 while c_z < 3 - 1/3, 0.8 while c_z < 3 + 1/3, and 0.9 beyond, i.e. in 5/12, 1/6
    and 5/12 of trials: round 0's 10%, 50% and 90% quantiles are 0.2, 0.8 and 0.9."""
    path = _tiny(tmp_path, z_position="0.9", z_capability="{dist: uniform, low: 1, high: 5}")
    n = 2000
    rep = games.forecast_config(path, "a", trials=n, rounds=1, options=[path])
    assert rep.tables["forecast"].records()[0]["n_trials"] == n
    start = rep.data["rounds"][0]["forecast"]
    assert (start["q10"], start["median"], start["q90"]) == pytest.approx((0.2, 0.8, 0.9))
    capability = games._case_arrays(games._coalition_config(path, forecast=True), 0, n, 3, "relative")["capability"]
    assert np.mean(capability[:, 2] > 3 + 1 / 3) == pytest.approx(5 / 12, abs=4 * np.sqrt(5 / 12 * 7 / 12 / n))


def test_option_positions_are_drawn_as_a_run_draws_them():
    """The settlement config and its coalition component draw `coalition.plan.territory` from the same keyed
    stream (common random numbers), so their samples are identical; the PERT(0.65, 0.75, 0.85) of the 28-point
    plan has mean 0.75 and sd sqrt(0.1 x 0.1 / 7)."""
    n = 4000
    opts = games.option_positions([PLAN, ROOT / "configs/coalition/plan_28_points.yaml",
                                   ROOT / "configs/coalition/no_deal.yaml"], "territory", n, 20251120)
    assert list(opts) == ["plan_28_points", "coalition/plan_28_points", "no_deal"]
    np.testing.assert_array_equal(opts["plan_28_points"], opts["coalition/plan_28_points"])
    sd = np.sqrt(0.01 / 7)
    assert opts["plan_28_points"].mean() == pytest.approx(0.75, abs=4 * sd / np.sqrt(n))
    assert opts["plan_28_points"].std() == pytest.approx(sd, rel=0.1)
    assert np.all(opts["no_deal"] == 0.5)


def test_forecast_json_on_the_shipped_case_through_the_cli(runner, tmp_path):
    res = runner.invoke(cli.main, ["forecast", "configs/plan_28_points.yaml", "--dimension", "territory", "-n", "200",
                                   "--rounds", "4", "--json", "-q", "--out", str(tmp_path / "fc")])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["n_trials"] == 200 and data["rule"] == "all_pairs" and len(data["rounds"]) == 5
    assert [o["option"] for o in data["options"]] == ["plan_28_points", "counterproposal", "no_deal"]
    assert sum(o["nearest_share"] for o in data["options"]) == pytest.approx(1.0)
    by_option = {o["option"]: o for o in data["options"]}
    assert by_option["counterproposal"]["nearest_share"] == pytest.approx(by_option["no_deal"]["nearest_share"])
    for r in data["rounds"]:
        f = r["forecast"]
        assert 0 <= f["q10"] <= f["median"] <= f["q90"] <= 1
        assert f["median_ci95"][0] <= f["median"] <= f["median_ci95"][1]
    assert len(data["challenges"]) == 13 * 12
    for name in ("forecast", "challenges"):
        assert (tmp_path / "fc" / "figures" / f"{name}.png").is_file()
    for name in ("forecast", "actors", "challenges", "options"):
        assert (tmp_path / "fc" / "tables" / f"{name}.csv").is_file()


def test_same_config_and_seed_give_identical_forecasts_and_the_rule_can_be_set_in_the_config(tmp_path):
    path = _tiny(tmp_path)
    a = games.forecast_config(path, "a", trials=30, options=[path]).data
    b = games.forecast_config(path, "a", trials=30, options=[path]).data
    assert a == b
    per_pair = games.forecast_config(path, "a", trials=30, options=[path], overrides=["negotiation.rule=per_pair"])
    assert per_pair.data["rule"] == "per_pair"
    by_option = games.forecast_config(path, "a", trials=30, options=[path], rule="all_pairs",
                                      overrides=["negotiation.rule=per_pair"])
    assert by_option.data["rule"] == "all_pairs"  # the command line wins over the config


@pytest.mark.parametrize(("args", "words"), [
    (["configs/plan_28_points.yaml", "-d", "teritory"], "--dimension: unknown dimension 'teritory' (did you mean 'territory'?)"),
    (["configs/plan_28_points.yaml"], "--dimension: needed with a config: one of territory"),
    (["configs/forces/no_deal.yaml", "-d", "territory"], "configs/forces/no_deal.yaml:4: scenario: a 'forces' config"),
    (["configs/plan_28_points.yaml", "-d", "territory", "--set", "negotiation.rul=per_pair"], "did you mean 'rule'?"),
    (["configs/plan_28_points.yaml", "-d", "territory", "--option", "configs/forces/no_deal.yaml"],
     "an option to compare needs a coalition or settlement config"),
])
def test_bad_forecast_arguments_exit_2_with_one_line(runner, args, words):
    res = runner.invoke(cli.main, ["forecast", *args])
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.output, res.output
    assert words in lines[0], lines[0]


def test_config_only_options_are_refused_for_a_csv(runner):
    res = runner.invoke(cli.main, ["forecast", "configs/games/emission_standards.csv", "--dimension", "territory"])
    assert res.exit_code == 2 and "--dimension: only with a config" in res.output


def test_csv_forecast_reports_round_one_risk_exponents_challenges_and_moves(runner, tmp_path):
    """The Scholz et al. (2011) example through the CLI: Table 2's round-1 median 8.4 (8.416 truncated), and
    round 1 as the model plays it (Belgium compromises towards France, Luxembourg and Ireland lose conflicts)."""
    res = runner.invoke(cli.main, ["forecast", "configs/games/emission_standards.csv", "--rounds", "2", "--json",
                                   "-q", "--out", str(tmp_path / "fc")])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["rounds"][1]["forecast"] == pytest.approx(8.416, abs=1e-3) and data["rule"] == "all_pairs"
    actors = {a["actor"]: a for a in data["actors"]}
    assert actors["Denmark"]["risk_exponent_round_1"] == pytest.approx(2.0)
    assert actors["Belgium"]["offers_by_round"].split()[0] == "compromise"
    assert actors["Luxembourg"]["offers_by_round"].split()[0] == "conflict"
    assert len(data["challenges"]) == 90 and (tmp_path / "fc" / "tables" / "challenges.csv").is_file()


# ------------------------------------------------------------------- what the output says about itself


def test_structural_variants_rerun_the_same_trials_and_mark_the_headline(tmp_path):
    """MODELS.md section 6: the forecast's headline sits in a table of its structural variants (rule x salience
    reading x compromise rule), each on the same trials and seed (common random numbers), so a variant's row is
    exactly what a run with those choices prints."""
    path = _tiny(tmp_path, z_position="0.9")
    rep = games.forecast_config(path, "a", trials=60, options=[path])
    rows = rep.data["variants"]
    assert {(v["rule"], v["salience"], v["compromise"]) for v in rows} == {
        (r, s, c) for r in ("all_pairs", "per_pair") for s in ("relative", "share")
        for c in ("lowest_weighted", "least_move")}
    head = [v for v in rows if v["headline"]]
    assert len(head) == 1 and (head[0]["rule"], head[0]["salience"], head[0]["compromise"]) == (
        "all_pairs", "relative", "lowest_weighted")
    assert head[0]["end"] == rep.data["end"]
    other = games.forecast_config(path, "a", trials=60, options=[path], rule="per_pair", salience="share",
                                  variants=False)
    row = next(v for v in rows if (v["rule"], v["salience"], v["compromise"]) == ("per_pair", "share",
                                                                                   "lowest_weighted"))
    assert row["end"] == other.data["end"] and row["settled_share"] == other.data["settled_share"]
    assert "variants" in rep.tables and len(rep.tables["variants"].rows) == 8
    assert "Structural variants" in rep.text and "The headline above is the row marked *" in rep.text
    assert other.data["variants"] == [] and "Structural variants" not in other.text


def test_the_output_says_when_nobody_challenges_and_the_forecast_is_the_round_0_median(tmp_path):
    path = _tiny(tmp_path, z_position="0.3")
    rep = games.forecast_config(path, "a", overrides=["coalition.actors.x.ideal.a=0.3", "coalition.actors.y.ideal.a=0.3"],
                                trials=30, options=[path], variants=False)
    assert rep.data["nobody_challenges_share"] == 1.0 and rep.data["nobody_challenges_unmoved_share"] == 1.0
    assert "NOBODY CHALLENGES ANYBODY" in rep.text and "round-0 weighted median" in rep.text
    assert "Settled: positions stopped moving" in rep.text


def test_the_output_says_when_the_process_has_not_settled_by_the_last_round():
    """On the shipped territory case the US Congress moves in every round (it capitulates to a different actor
    each time), so after 3 rounds no trial has settled, and the output says the forecast is not an outcome."""
    rep = games.forecast_config(PLAN, "territory", trials=40, rounds=3, variants=False)
    assert rep.data["settled_share"] == 0.0
    assert "NOT SETTLED in 100.0% of the 40 trials" in rep.text and "not a settled outcome" in rep.text


def test_csv_forecast_says_nobody_challenges_and_lists_its_variants(runner, tmp_path):
    """Two equal actors at the ends of the scale (r = 1 for both, U_s = 2, U_f = -2, U_sq = 0, all-pairs P = 1/4):
    E(U_ij) = 2 (1 - 2 s (1 - 1/4)) <= 0 for s >= 2/3, so with s = 0.8 nobody challenges, nobody moves and the
    forecast is the round-0 weighted median, 5. On the example the per-pair variant leaves the median at 7
    (tests/test_negotiation.py)."""
    pair = tmp_path / "pair.csv"
    pair.write_text("actor,capability,position,salience\na,1,0,0.8\nb,1,10,0.8\n")
    res = runner.invoke(cli.main, ["forecast", str(pair), "--rounds", "3", "--out", str(tmp_path / "p")])
    assert res.exit_code == 0, res.output
    assert "NOBODY CHALLENGES ANYBODY in any round" in res.output and "round-0 weighted median, 5" in res.output
    res = runner.invoke(cli.main, ["forecast", "configs/games/emission_standards.csv", "--rounds", "8", "--json", "-q",
                                   "--out", str(tmp_path / "fc")])
    data = json.loads(res.stdout)
    assert not data["converged"] and not data["nobody_challenges"]
    rows = {(v["rule"], v["compromise"]): v for v in data["variants"]}
    assert rows[("all_pairs", "lowest_weighted")]["headline"]
    assert rows[("all_pairs", "lowest_weighted")]["final_forecast"] == pytest.approx(9.671, abs=1e-3)
    assert rows[("per_pair", "lowest_weighted")]["final_forecast"] == pytest.approx(7.0)
