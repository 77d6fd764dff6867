"""Every shipped config validates; every broken config exits 2 with one line naming file, line and key."""

from pathlib import Path

import pytest
from click.testing import CliRunner

import cli

ROOT = Path(__file__).resolve().parent.parent
# model configs, fragments and the voting games of `accord power`
SHIPPED = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "configs").rglob("*.yaml"))
BAD = ROOT / "tests" / "data" / "bad_configs"

# file -> (key path named in the message, line, a word of the explanation[, the file the line is in when it is
# not the file itself: a cycle is reported at the `extends` that closes it])
BROKEN = {
    "wrong_type.yaml": ("run.trials", 3, "whole number"),
    "out_of_range.yaml": ("war.cost_challenger", 3, "[0, 2]"),
    "unknown_key.yaml": ("war.cost_challengr", 3, "did you mean 'cost_challenger'"),
    "unknown_block.yaml": ("setlement", 2, "did you mean 'settlement'"),
    "bad_distribution_name.yaml": ("war.punishment.dist", 3, "unknown distribution 'gaussian'"),
    "uniform_low_above_high.yaml": ("war.punishment", 3, "low < high"),
    "normal_missing_sd.yaml": ("war.punishment.sd", 3, "missing required key 'sd'"),
    "distribution_outside_range.yaml": ("war.cost_defender", 3, "truncate"),
    "negative_sd.yaml": ("war.punishment.sd", 3, "must be > 0"),
    "choice_weights_mismatch.yaml": ("war.punishment", 3, "one weight per value"),
    "cycle_a.yaml": ("extends", 1, "extends cycle: tests/data/bad_configs/cycle_a.yaml -> ", "cycle_b.yaml"),
    "missing_extends.yaml": ("extends", 1, "does not exist"),
    "malformed.yaml": ("", 4, "malformed YAML"),
    "bad_sampler.yaml": ("run.sampler", 3, "allowed: 'mc', 'lhs' or 'sobol'"),
    "unknown_scenario.yaml": ("scenario", 2, "did you mean 'settlement'"),
    "duplicate_key.yaml": ("war.discount", 4, "duplicate key"),
    "bad_rule.yaml": ("settlement.rule", 3, "allowed"),
    "not_a_number.yaml": ("terms.ceded_km2", 4, "expected a number or a distribution"),
    "pert_mode_outside.yaml": ("war.punishment", 3, "low <= mode <= high"),
}


@pytest.mark.parametrize("path", SHIPPED)
def test_shipped_config_validates(path, monkeypatch):
    monkeypatch.chdir(ROOT)
    res = CliRunner().invoke(cli.main, ["validate", path])
    assert res.exit_code == 0, res.stderr


def test_there_are_at_least_fifteen_broken_configs():
    assert len(BROKEN) >= 15 and all((BAD / f).is_file() for f in BROKEN)


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_config_exits_2_with_one_line_naming_file_line_and_key(name, monkeypatch):
    monkeypatch.chdir(ROOT)
    key, line, words, *where = BROKEN[name]
    res = CliRunner().invoke(cli.main, ["validate", f"tests/data/bad_configs/{name}"])
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    msg = lines[0]
    assert "Traceback" not in res.output and msg.startswith("accord: error: ")
    assert f"{where[0] if where else name}:{line}:" in msg, msg
    assert key in msg and words in msg, msg


@pytest.mark.parametrize("setting, words", [
    ("settlement.nope=1", "unknown key 'nope'"),
    ("guarantees.martians.binding=0.5", "no list item 'martians'"),
    ("war.cost_challenger=abc", "expected a number"),
    ("war.cost_challenger", "KEY=VALUE"),
    ("war.cost_challenger={dist: uniform, low: 0, high: 3}", "[0, 2]"),
])
def test_bad_set_exits_2_with_one_line(setting, words, monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    res = CliRunner().invoke(cli.main, ["run", "configs/plan_28_points.yaml", "--set", setting, "--out", str(tmp_path / "r")])
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "--set" in lines[0], res.stderr
    assert not (tmp_path / "r").exists()
