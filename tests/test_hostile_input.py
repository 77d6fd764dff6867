"""Hostile and broken input (issue 16): every case ends in one line `accord: error: FILE:LINE: KEY: ...` and exit
code 2 (or a quiet exit 0 for a closed pipe), in bounded time, with nothing written; never a traceback."""

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import cli
from scenarios import config as C

ROOT = Path(__file__).resolve().parent.parent
BAD = ROOT / "tests" / "data" / "bad_configs"

# file in tests/data/bad_configs -> (line, key named (or ""), words of the explanation)
HOSTILE = {
    # the loader: bounded by construction
    "alias_bomb.yaml": (1, "", "more than 50,000 values once its aliases and merge keys are expanded"),
    "merge_key_bomb.yaml": (1, "", "ACCORD_MAX_VALUES"),
    "recursive_alias.yaml": (2, "", "recursive alias"),
    "deep_nesting.yaml": (2, "", "nested too deeply; the limit is 64 (set ACCORD_MAX_DEPTH"),
    "python_tag.yaml": (2, "", "the YAML tag !!python/object/apply:os.system is not allowed"),
    "binary_tag.yaml": (2, "", "the YAML tag !!binary is not allowed"),
    "local_tag.yaml": (3, "", "the YAML tag !custom is not allowed"),
    "two_documents.yaml": (2, "", "malformed YAML"),
    "complex_key.yaml": (2, "", "keys must be plain names"),
    "boolean_key.yaml": (3, "settlement", "read as a boolean"),
    "merge_key_wrong_value.yaml": (3, "settlement", "a merge key (<<) takes a mapping"),
    "list_as_config.yaml": (1, "", "a config must be a mapping of keys, got a list"),
    # bytes
    "binary.yaml": (2, "", "not UTF-8 text: byte 0x80 at line 2"),
    "not_utf8.yaml": (2, "", "not UTF-8 text: byte 0xe9 at line 2"),
    "nul_bytes.yaml": (2, "", "control character U+0000"),
    "utf16_bom.yaml": (3, "coalition.sigma", "not a finite number"),  # UTF-16 with a BOM and CRLF reads fine
    "crlf.yaml": (3, "war.cost_challenger", "expected a number or a distribution"),
    # empty files
    "empty.yaml": (1, "", "the config is empty"),
    "only_comments.yaml": (1, "", "the config is empty"),
    # one rule for every number: finite, not a boolean, in range
    "nan_sigma.yaml": (3, "coalition.sigma", "got nan, not a finite number; allowed: a number in [0.001, 1]"),
    "nan_capitalised.yaml": (3, "coalition.sigma", "not a finite number"),
    "nan_upper.yaml": (3, "coalition.sigma", "not a finite number"),
    "nan_tagged.yaml": (3, "war.cost_challenger", "got nan, not a finite number"),
    "nan_cost_challenger.yaml": (3, "war.cost_challenger", "allowed: a number in [0, 2]"),
    "nan_in_distribution.yaml": (3, "war.cost_challenger.low", "not a finite number"),
    "nan_value_block.yaml": (3, "war.cost_challenger", "got nan, not a finite number"),
    "inf_huge_float.yaml": (3, "war.cost_challenger", "not a finite number"),
    "huge_integer.yaml": (3, "forces.ukraine_cap", "an integer of 400 digits, far too large"),
    "too_many_digits.yaml": (3, "", "too many digits"),
    "boolean_cap.yaml": (3, "forces.ukraine_cap", "got true (a boolean)"),
    "boolean_trials.yaml": (3, "run.trials", "expected a number, got true (a boolean)"),
    "boolean_in_choice.yaml": (3, "war.cost_challenger.values.1", "got false (a boolean)"),
    # messages
    "mapping_for_a_list.yaml": (2, "guarantees", "expected a list, got"),
    "pert_mode_below_low.yaml": (3, "war.punishment", "pert needs low <= mode <= high"),
    "scenario_typo.yaml": (1, "scenaro", "did you mean 'scenario'?"),
    "unknown_top_level_key.yaml": (2, "setings", "extends, forces"),
    "empty_extends.yaml": (1, "extends", "a list of file names"),
}


def _one_error_line(res) -> str:
    assert res.exit_code == 2, (res.exit_code, res.output)
    assert "Traceback" not in res.output and "internal error" not in res.output, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("accord: error: "), lines[0]
    return lines[0]


def test_the_table_covers_every_hostile_file():
    assert all((BAD / name).is_file() for name in HOSTILE)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_config_exits_2_with_one_line_naming_file_line_and_key(name, monkeypatch, runner):
    monkeypatch.chdir(ROOT)
    line, key, words = HOSTILE[name]
    t0 = time.perf_counter()
    res = runner.invoke(cli.main, ["validate", f"tests/data/bad_configs/{name}"])
    assert time.perf_counter() - t0 < 10
    msg = _one_error_line(res)
    assert f"tests/data/bad_configs/{name}:{line}: " in msg, msg
    assert f": {key}: " in msg if key else True, msg
    assert words in msg, msg


@pytest.mark.parametrize("name", ["binary.yaml", "not_utf8.yaml", "alias_bomb.yaml", "nan_sigma.yaml", "boolean_cap.yaml"])
def test_run_refuses_it_too_and_writes_nothing(name, monkeypatch, runner, tmp_path):
    monkeypatch.chdir(ROOT)
    res = runner.invoke(cli.main, ["run", f"tests/data/bad_configs/{name}", "--out", str(tmp_path / "r")])
    msg = _one_error_line(res)
    assert f"{name}:{HOSTILE[name][0]}: " in msg  # with its line, as `validate` says it
    assert not (tmp_path / "r").exists()


def test_an_alias_bomb_is_refused_in_well_under_a_second():
    text = (BAD / "alias_bomb.yaml").read_text()
    t0 = time.perf_counter()
    with pytest.raises(C.ConfigError):
        C._compose(text, "bomb.yaml")
    assert time.perf_counter() - t0 < 1.0
    assert len(text) < 1100  # the 1 KB file: 9 ** 9 = 387,420,489 values when expanded


def test_aliases_are_expanded_within_the_limits_and_the_limits_can_be_lifted(monkeypatch):
    text = "a: &a [1, 2, 3]\nb: [*a, *a]\n"
    data, _ = C._compose(text, "x.yaml")
    assert data == {"a": [1, 2, 3], "b": [[1, 2, 3], [1, 2, 3]]}
    data["b"][0].append(4)
    assert data["b"][1] == [1, 2, 3]  # copies, not one shared list
    monkeypatch.setenv("ACCORD_MAX_ALIASES", "1")
    with pytest.raises(C.ConfigError, match=r"too many YAML aliases.*ACCORD_MAX_ALIASES") as e:
        C._compose(text, "x.yaml")
    assert e.value.line == 2
    monkeypatch.setenv("ACCORD_MAX_ALIASES", "2")
    monkeypatch.setenv("ACCORD_MAX_VALUES", "10")
    with pytest.raises(C.ConfigError, match="more than 10 values"):
        C._compose(text, "x.yaml")
    monkeypatch.setenv("ACCORD_MAX_VALUES", "1000")
    assert C._compose(text, "x.yaml")[0]["b"][1] == [1, 2, 3]


def test_a_bad_limit_variable_is_an_error_naming_it(monkeypatch, runner, tmp_path):
    monkeypatch.setenv("ACCORD_MAX_DEPTH", "lots")
    p = tmp_path / "c.yaml"
    p.write_text("scenario: settlement\n")
    msg = _one_error_line(runner.invoke(cli.main, ["validate", str(p)]))
    assert "environment: ACCORD_MAX_DEPTH: got 'lots'; allowed: a whole number from 1 to 200" in msg


def test_merge_keys_follow_yaml_explicit_keys_win_then_the_first_merged_mapping():
    data, locs = C._compose("a: &a {x: 1, y: 1}\nb: &b {x: 2, z: 2}\nc:\n  <<: [*a, *b]\n  y: 3\n", "m.yaml")
    assert data["c"] == {"x": 1, "y": 3, "z": 2}
    assert locs[("c", "y")] == ("m.yaml", 5) and locs[("c", "z")] == ("m.yaml", 2)


def test_dates_stay_text_and_yes_is_a_boolean_value():
    data, _ = C._compose("title: 2025-11-21\nflag: yes\n", "d.yaml")
    assert data == {"title": "2025-11-21", "flag": True}


def test_a_config_file_that_is_not_a_regular_file_is_refused_without_reading_it(runner, tmp_path):
    os.mkfifo(tmp_path / "fifo.yaml")  # opening a FIFO would block until a writer came
    (tmp_path / "dir.yaml").mkdir()
    (tmp_path / "loop1.yaml").symlink_to(tmp_path / "loop2.yaml")
    (tmp_path / "loop2.yaml").symlink_to(tmp_path / "loop1.yaml")
    (tmp_path / "ext.yaml").write_text("extends: loop1.yaml\n")
    cases = {"/dev/zero": "not a regular file", str(tmp_path / "fifo.yaml"): "not a regular file",
             str(tmp_path / "dir.yaml"): "is a directory", str(tmp_path / "loop1.yaml"): "symbolic links",
             str(tmp_path / "ext.yaml"): "extends names 'loop1.yaml'", str(tmp_path / "none.yaml"): "no such file"}
    for path, words in cases.items():
        t0 = time.perf_counter()
        res = runner.invoke(cli.main, ["validate", path])
        assert time.perf_counter() - t0 < 5
        assert words in _one_error_line(res), (path, res.stderr)


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(monkeypatch, runner, tmp_path):
    monkeypatch.setenv("ACCORD_MAX_CONFIG_BYTES", "1000")
    p = tmp_path / "big.yaml"
    p.write_text("title: " + "x" * 2000 + "\n")
    msg = _one_error_line(runner.invoke(cli.main, ["validate", str(p)]))
    assert "2,008 bytes" in msg and "the limit is 1,000 (set ACCORD_MAX_CONFIG_BYTES to lift it)" in msg


def test_extends_fan_out_is_bounded(monkeypatch, tmp_path):
    """a extends [b] x 10, b extends [c] x 10, ...: exponential reads are refused by the file count."""
    for i in range(5):
        (tmp_path / f"l{i}.yaml").write_text(f"extends: [{', '.join([f'l{i + 1}.yaml'] * 10)}]\n")
    (tmp_path / "l5.yaml").write_text("scenario: settlement\n")
    t0 = time.perf_counter()
    with pytest.raises(C.ConfigError, match="ACCORD_MAX_EXTENDS"):
        C.load(tmp_path / "l0.yaml")
    assert time.perf_counter() - t0 < 5


def test_control_characters_in_a_key_are_shown_escaped_on_one_line(tmp_path, runner):
    p = tmp_path / "c.yaml"
    p.write_text('extends: %s\nsettlement:\n  "evil\\e[31m\\nkey": 1\n' % (ROOT / "configs" / "plan_28_points.yaml"))
    msg = _one_error_line(runner.invoke(cli.main, ["validate", str(p)]))
    assert "\\x1b[31m\\nkey" in msg


# -------------------------------------------------------------------------------------- numbers and --set


@pytest.mark.parametrize("setting, words", [
    ("forces.ukraine_cap=.nan", "got nan, not a finite number; allowed: a number in [0, 3e+06] persons"),
    ("forces.ukraine_cap=.NaN", "not a finite number"),
    ("forces.ukraine_cap=.inf", "got inf, not a finite number"),
    ("forces.ukraine_cap=-.Inf", "not a finite number"),
    ("forces.ukraine_cap=nan", "not a finite number"),
    ("forces.ukraine_cap=true", "got true (a boolean)"),
    ("run.seed=false", "expected a number, got false (a boolean)"),
    ("war.cost_challenger={dist: uniform, low: 0, high: .nan}", "not a finite number"),
    ("forces.ukraine_now=", "empty value (an unset shell variable?); forces.ukraine_now does not allow none"),
    ("run.trials=", "does not allow none"),
    ("nosuchblock.x=5", "unknown key 'nosuchblock'"),
    ("forces.ukraine_cap=!!python/name:os.system", "the YAML tag !!python/name:os.system is not allowed"),
    ("forces.ukraine_cap=[&a [1, 1], [*a, *a]]", "expected a number or a distribution"),
])
def test_bad_set_values_follow_the_same_rules_as_files(setting, words, monkeypatch, runner, tmp_path):
    monkeypatch.chdir(ROOT)
    res = runner.invoke(cli.main, ["run", "configs/plan_28_points.yaml", "--set", setting, "--out", str(tmp_path / "r")])
    msg = _one_error_line(res)
    assert msg.startswith(f"accord: error: --set {setting}: "), msg  # blamed on the --set, not the file
    assert words in msg, msg
    assert not (tmp_path / "r").exists()


def test_an_empty_set_value_for_a_key_that_allows_none_sets_none_and_says_so(monkeypatch, runner):
    monkeypatch.chdir(ROOT)
    res = runner.invoke(cli.main, ["validate", "configs/plan_28_points.yaml", "--set", "forces.ukraine_cap="])
    assert res.exit_code == 0, res.output
    assert "accord: note: --set forces.ukraine_cap=: the empty value sets forces.ukraine_cap to none" in res.stderr
    cfg = C.load(ROOT / "configs" / "plan_28_points.yaml", ["forces.ukraine_cap="])
    assert cfg.model.forces.ukraine_cap is None and cfg.notes
    assert not C.load(ROOT / "configs" / "plan_28_points.yaml", ["forces.ukraine_cap=null"]).notes


def test_the_number_rule_holds_for_plain_fields_of_any_block():
    """Strict is the base of every Block and spec: a new block's float, int, list and dict fields get it."""
    from scenarios.config import Block

    class Fresh(Block):
        rate: float = 1.0
        count: int = 1
        shares: tuple[float, ...] = ()
        weights: dict[str, float] | None = None

    for bad in ({"rate": float("nan")}, {"rate": True}, {"count": False}, {"shares": [0.5, True]},
                {"weights": {"a": float("-inf")}}):
        with pytest.raises(Exception) as e:
            Fresh.model_validate(bad)
        assert e.value.errors()[0]["type"] in ("finite_number", "bool_not_number"), bad
    assert Fresh.model_validate({"rate": 2, "count": 3, "shares": [1, 0.5]}).rate == 2.0


def test_trials_beyond_the_limit_are_refused_at_once(monkeypatch, runner):
    monkeypatch.chdir(ROOT)
    t0 = time.perf_counter()
    msg = _one_error_line(runner.invoke(cli.main, ["run", "--trials", "1000000000000"]))
    assert time.perf_counter() - t0 < 5
    assert "--trials: 1000000000000 is not in the range 1<=x<=1000000000" in msg
    assert cli.MAX_TRIALS == C.MAX_TRIALS


def test_work_estimated_past_the_limit_asks_for_yes(monkeypatch, runner, tmp_path, toy):
    from tests.conftest import write_toy_config

    cfg = write_toy_config(tmp_path / "toy.yaml", 1000)
    monkeypatch.setenv("ACCORD_MAX_SECONDS", "0.001")
    res = runner.invoke(cli.main, ["run", str(cfg), "-n", "300000", "--out", str(tmp_path / "r")])
    msg = _one_error_line(res)
    assert "--trials: estimated 300,000 trials: about" in msg and "add --yes to run it anyway" in msg, msg
    assert "pilot chunks of 1,000" in msg and not (tmp_path / "r").exists()
    res = runner.invoke(cli.main, ["run", str(cfg), "-n", "300000", "--yes", "--out", str(tmp_path / "r")])
    assert res.exit_code == 0, res.output
    assert "accord: note: estimated 300,000 trials" in res.stderr


def test_the_estimate_is_within_a_factor_of_a_few_of_the_run(tmp_path, toy):
    from scenarios import engine
    from tests.conftest import write_toy_config

    cfg = C.load(write_toy_config(tmp_path / "toy.yaml", 1000))
    estimates, reals = [], []
    for _ in range(2):  # the best of two of each: this machine is shared
        estimates.append(engine.estimate_work(cfg, 1_000_000, 1, "mc", 1, refine_above=0))
        t0 = time.perf_counter()
        engine.summarise(cfg, 1_000_000, 1, "mc")
        reals.append(time.perf_counter() - t0)
    est, real = min(estimates, key=lambda e: e.seconds), min(reals)
    assert real / 5 < est.seconds < real * 5, (est.seconds, real)
    assert 0 < est.peak_bytes < 4 * 2**30


# --------------------------------------------------------------------------------------------- merging


def test_a_child_overriding_one_key_of_a_block_with_a_value_field_merges(tmp_path):
    """`challenger` has a field named `value`: the block is not a `{value: x}` parameter (the issue's bug)."""
    p = tmp_path / "child.yaml"
    p.write_text(f"extends: {ROOT / 'configs' / 'reference' / 'budapest_1994.yaml'}\nchallenger: {{p_win: 0.6}}\n")
    cfg = C.load(p)
    parent = C.load(ROOT / "configs" / "reference" / "budapest_1994.yaml")
    assert cfg.model.challenger.p_win.value == 0.6
    assert cfg.model.challenger.cost_of_war == parent.model.challenger.cost_of_war


def test_parameter_mappings_replace_and_blocks_merge():
    assert C._replaces({"value": 1, "source": "a"}, {"dist": "uniform", "low": 0, "high": 1})
    assert C._replaces({"dist": "uniform", "low": 0, "high": 1}, {"value": 2})
    assert not C._replaces({"value": 1, "p_win": 0.5}, {"p_win": 0.6})  # a block with a `value` field
    assert not C._replaces({"value": 1, "p_win": 0.5}, {"value": 2})
    locs = {("a", "x"): ("base", 1), ("a", "y"): ("base", 2)}
    merged = C._merge({"a": {"x": 1, "y": 2}}, {"a": {"y": 3}}, locs, {("a", "y"): ("child", 5)})
    assert merged == {"a": {"x": 1, "y": 3}} and locs == {("a", "x"): ("base", 1), ("a", "y"): ("child", 5)}


def test_the_scenario_check_hook_runs_after_validation(tmp_path, toy, monkeypatch):
    import tests.toy_scenario as T
    from tests.conftest import write_toy_config

    def check(config):
        line = config.locs[("toy", "x")][1]
        raise C.ConfigError("x must exceed y here", config.locs[("toy", "x")][0], line, "toy.x")

    monkeypatch.setattr(T, "check", check, raising=False)
    with pytest.raises(C.ConfigError, match="x must exceed y") as e:
        C.load(write_toy_config(tmp_path / "toy.yaml", 100))
    assert e.value.line == 4


# ------------------------------------------------------------------------------------- usage and commands


@pytest.mark.parametrize("argv, words", [
    (["rn"], "unknown command 'rn' (did you mean 'run'?); allowed: amend, "),
    (["calibrate", "lanchster"], "unknown command 'lanchster' (did you mean 'lanchester'?)"),
    (["run", "--trails", "5"], "--trails: unknown option (did you mean --trials?); see 'accord run --help'"),
    (["run", "--trials", "0"], "--trials: 0 is not in the range 1<=x<=1000000000"),
    (["run", "--sampler", "halton"], "--sampler: 'halton' is not one of 'mc', 'lhs', 'sobol'"),
    (["run", "--format", "gif"], "--format: 'gif' not allowed; allowed: png, svg, pdf"),
    (["run", "--set"], "--set: needs a value"),
    (["validate"], "CONFIGS: missing; this argument is required; see 'accord validate --help'"),
    (["discover", "somewhere"], "--outcome: missing; this option is required"),
    (["run", "a.yaml", "b.yaml"], "got unexpected extra argument (b.yaml)"),
    (["sensitivity", "--n", "20"], "--n: renamed --base-samples (SALib's base sample N); -n is --trials"),
])
def test_usage_errors_are_one_line_in_accords_format(argv, words, runner):
    msg = _one_error_line(runner.invoke(cli.main, argv))
    assert words in msg, msg
    assert "Usage:" not in msg and "Error:" not in msg


def test_help_and_version_still_work(runner):
    assert runner.invoke(cli.main, ["--version"]).exit_code == 0
    res = runner.invoke(cli.main, [])
    assert res.exit_code == 0 and "accord run" in res.stdout
    res = runner.invoke(cli.main, ["sensitivity", "--help"])
    assert "--base-samples" in res.stdout and "--n " not in res.stdout


def test_a_new_command_gets_the_error_handling_without_asking(runner, monkeypatch):
    """What another engineer adds with @main.command is an AccordCommand: no decorator to remember."""

    @cli.main.command("explode-for-test")
    def explode() -> None:
        raise C.ConfigError("a bad thing", "x.yaml", 3, "a.b")

    try:
        res = runner.invoke(cli.main, ["explode-for-test"])
    finally:
        cli.main.commands.pop("explode-for-test")
    assert _one_error_line(res) == "accord: error: x.yaml:3: a.b: a bad thing"


@pytest.mark.parametrize("argv", [["show", "configs/plan_28_points.yaml"], ["show", "configs/plan_28_points.yaml", "--json"]])
def test_a_closed_pipe_ends_quietly_with_exit_0(argv):
    """`accord show CONFIG | head -1`: the reader goes away; accord stops quietly, as head-friendly tools do.
    (The output is larger than a pipe's buffer, so accord is still writing when the reader leaves.)"""
    proc = subprocess.Popen([sys.executable, "-m", "cli", *argv], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout.readline()
    proc.stdout.close()
    rc = proc.wait(timeout=60)
    err = proc.stderr.read().decode()
    assert rc == 0 and err == "", (rc, err)


def test_sensitivity_example_in_the_readme_uses_the_renamed_option():
    readme = (ROOT / "README.md").read_text()
    assert "accord sensitivity" in readme and " --n " not in readme


def test_manifest_with_nonsense_is_a_config_error(tmp_path, runner):
    m = tmp_path / "manifest.json"
    for text in ["[" * 100000, json.dumps({"config": {"resolved": {}}, "trials": True, "seed": 1, "sampler": "mc"}),
                 json.dumps({"config": {"resolved": [1]}, "trials": 10, "seed": 1, "sampler": "mc"}), "\xff"]:
        m.write_text(text)
        msg = _one_error_line(runner.invoke(cli.main, ["run", "--from", str(m), "--out", str(tmp_path / "r")]))
        assert str(m) in msg
    assert not (tmp_path / "r").exists()


def test_hostile_voting_game_is_refused_too(runner, tmp_path):
    p = tmp_path / "game.yaml"
    p.write_text(textwrap.dedent("""\
        a: &a [x, x, x, x, x, x, x, x, x, x]
        b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
        c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
        d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
        e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
        f: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
        """))
    assert "ACCORD_MAX_VALUES" in _one_error_line(runner.invoke(cli.main, ["power", str(p)]))


def test_a_voting_game_with_a_number_beyond_floats_range_is_refused(runner, monkeypatch):
    """Found by the fuzzer: numpy cannot test 10**400 for finiteness (TypeError); it is a bad value, exit 2."""
    monkeypatch.chdir(ROOT)
    msg = _one_error_line(runner.invoke(cli.main, ["power", "tests/data/bad_configs/game_huge_quota.yaml"]))
    assert "game_huge_quota.yaml:2: quota: expected a number" in msg
