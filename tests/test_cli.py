"""The CLI end to end (in process, on the test fixture scenario): exit codes, --json, errors, run dirs."""

import json
import textwrap

import pytest

import cli


@pytest.fixture
def toy_file(tmp_path, toy):
    p = tmp_path / "toy.yaml"
    p.write_text(textwrap.dedent("""\
        scenario: toy
        run: {trials: 2000, seed: 1}
        toy:
          x: {dist: uniform, low: 0, high: 10, source: "assumption, for the test"}
          items: [{name: us, weight: 0.4}]
        """))
    return p


def test_run_writes_a_run_directory_and_json_names_it(runner, toy_file, tmp_path):
    res = runner.invoke(cli.main, ["run", str(toy_file), "--out", str(tmp_path / "r"), "--json", "--quiet"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["run_dir"] == str(tmp_path / "r") and out["headline"]["above_5"]["n_trials"] == 2000
    assert (tmp_path / "r" / "manifest.json").is_file()


def test_run_options_override_the_config(runner, toy_file, tmp_path):
    res = runner.invoke(cli.main, ["run", str(toy_file), "-n", "300", "--seed", "5", "--sampler", "lhs",
                                   "--set", "toy.items.us.weight=0.1", "--out", str(tmp_path / "r"), "--json"])
    out = json.loads(res.stdout)
    assert (out["trials"], out["seed"], out["sampler"]) == (300, 5, "lhs")
    assert out["overrides"] == ["toy.items.us.weight=0.1"]


def test_bad_set_exits_2_with_one_line_and_writes_nothing(runner, toy_file, tmp_path):
    res = runner.invoke(cli.main, ["run", str(toy_file), "--set", "toy.items.us.wieght=0.1", "--out", str(tmp_path / "r")])
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "did you mean 'weight'" in lines[0] and "Traceback" not in res.output
    assert not (tmp_path / "r").exists()


def test_bad_option_values_exit_2(runner, toy_file):
    assert runner.invoke(cli.main, ["run", str(toy_file), "--trials", "0"]).exit_code == 2
    assert runner.invoke(cli.main, ["run", str(toy_file), "--sampler", "halton"]).exit_code == 2
    assert runner.invoke(cli.main, ["run", str(toy_file), "--format", "gif"]).exit_code == 2
    assert runner.invoke(cli.main, ["run", "missing.yaml"]).exit_code == 2


def test_validate_reports_each_file(runner, toy_file, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("scenario: toy\ntoy: {x: 20}\n")
    res = runner.invoke(cli.main, ["validate", str(toy_file), str(bad)])
    assert res.exit_code == 2
    assert "ok  " in res.stdout and f"{bad.name}:2: toy.x:" in res.stderr


def test_show_lists_parameters_with_sources_and_json(runner, toy_file):
    res = runner.invoke(cli.main, ["show", str(toy_file), "--set", "toy.y=3"])
    assert res.exit_code == 0 and "assumption, for the test" in res.stdout and "--set toy.y=3" in res.stdout
    data = json.loads(runner.invoke(cli.main, ["show", str(toy_file), "--json"]).stdout)
    assert data["parameters"]["toy.x"]["uncertain"] is True and data["parameters"]["toy.x"]["set_at"].endswith(":4")


def test_rerun_from_manifest(runner, toy_file, tmp_path):
    runner.invoke(cli.main, ["run", str(toy_file), "--out", str(tmp_path / "a"), "-q"])
    res = runner.invoke(cli.main, ["run", "--from", str(tmp_path / "a" / "manifest.json"), "--out", str(tmp_path / "b"), "-q"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "a" / "tables" / "metrics.csv").read_text() == (tmp_path / "b" / "tables" / "metrics.csv").read_text()
    assert runner.invoke(cli.main, ["run", "--from", str(tmp_path / "nothing.json")]).exit_code == 2


def test_set_reaches_one_item_of_a_list_left_at_its_default(runner):
    """`--set forces.relations_z.0=0.3` where the config leaves forces.relations_z at the schema's default (eight
    standard normals): that item becomes 0.3, the other seven keep the default and its location; an index out of
    range is a one-line exit-2 error naming the key and the allowed indices."""
    config = "configs/forces/plan_28_points.yaml"
    res = runner.invoke(cli.main, ["show", config, "--json", "--set", "forces.relations_z.0=0.3"])
    assert res.exit_code == 0, res.output
    params = json.loads(res.stdout)["parameters"]
    first = params["forces.relations_z.0"]
    assert first["spec"] == {"dist": "fixed", "value": 0.3} and first["set_at"] == "--set forces.relations_z.0=0.3"
    for i in range(1, 8):
        item = params[f"forces.relations_z.{i}"]
        assert item["uncertain"] is True and item["spec"]["dist"] == "normal" and not item["set_at"].startswith("--set")
    assert "forces.relations_z.8" not in params
    bad = runner.invoke(cli.main, ["show", config, "--set", "forces.relations_z.8=0.3"])
    assert bad.exit_code == 2
    lines = bad.stderr.strip().splitlines()
    assert len(lines) == 1 and "forces.relations_z.8" in lines[0] and "indices 0..7" in lines[0]


# ------------------------------------------------------------------ commands registered on first use (issue 17)


def _commands(group, path=()):
    """Every command under a group, by its path of names."""
    import click

    out = {}
    for name in group.list_commands(None):
        cmd = group.get_command(None, name)
        out[path + (name,)] = cmd
        if isinstance(cmd, click.Group):
            out.update(_commands(cmd, path + (name,)))
    return out


def test_the_static_listing_is_the_commands_own():
    """`accord --help` lists the commands of cli_commands.py from cli.LAZY_COMMANDS without building them: the
    table names exactly those commands, and each entry gives the short help the command itself gives, at any
    width."""
    import click

    import cli_commands  # noqa: F401 - registers its commands on cli.main

    eager = set(cli.main.commands) - set(cli.LAZY_COMMANDS)
    assert eager == {"list", "show", "validate", "report"}
    assert set(cli.main.list_commands(None)) == eager | set(cli.LAZY_COMMANDS)
    for name, first in cli.LAZY_COMMANDS.items():
        real = cli.main.commands[name]
        stand_in = click.Command(name, help=first)
        assert not real.hidden and not real.short_help
        for limit in range(5, 400):
            assert stand_in.get_short_help_str(limit) == real.get_short_help_str(limit), (name, limit)


def test_help_is_the_same_before_and_after_the_commands_load():
    """The listing from the table and the listing from the commands (loaded, as after any of them ran) agree
    byte for byte; a fresh `accord --help` does not import cli_commands.py."""
    import subprocess
    import sys

    code = ("import sys; sys.argv = ['accord', '--help']; import cli\n"
            "try:\n    cli.main()\nexcept SystemExit:\n    pass\n"
            "{load}print('LOADED', 'cli_commands' in sys.modules)\n")
    env = {**__import__("os").environ, "COLUMNS": "100"}
    fresh, loaded = (subprocess.run([sys.executable, "-c", code.format(load=load)], cwd=cli.HERE, env=env,
                                    capture_output=True, text=True, timeout=120, check=True).stdout
                     for load in ("", "import cli_commands; cli.main.main(['--help'], standalone_mode=False)\n"))
    assert fresh.endswith("LOADED False\n")
    assert "Commands:" in fresh and "sweep" in fresh
    help_text = fresh.removesuffix("LOADED False\n")
    assert loaded == help_text + help_text + "LOADED True\n"


def test_every_command_answers_under_python_m_cli():
    """`python -m cli` is one module (cli_commands.py imports it as `cli`): a command registered on first use is
    found, runs and reports its usage errors as accord's one line."""
    import subprocess
    import sys

    def run(*args):
        return subprocess.run([sys.executable, "-m", "cli", *args], cwd=cli.HERE, capture_output=True, text=True,
                              timeout=120, check=False)

    done = run("calibrate", "--help")
    assert done.returncode == 0 and "guarantees" in done.stdout
    done = run("sweep", "configs/plan_28_points.yaml")
    assert done.returncode == 2
    assert done.stderr == ("accord: error: give at least one of --grid, --values or --lhs (see --help); "
                           "see 'accord sweep --help'\n")
    assert {path for path in _commands(cli.main)} >= {("run",), ("calibrate", "guarantees"), ("backtest", "battles")}


def test_the_commands_load_beside_cli_when_not_on_the_path(tmp_path):
    """An editable install made before cli_commands.py existed maps only cli, model and scenarios: the commands
    are then loaded from beside cli.py."""
    import subprocess
    import sys

    code = ("import importlib.util, sys\n"
            f"spec = importlib.util.spec_from_file_location('cli', {str(cli.HERE / 'cli.py')!r})\n"
            "m = importlib.util.module_from_spec(spec); sys.modules['cli'] = m; spec.loader.exec_module(m)\n"
            "class Stale:  # the editable install's finder, which does not know cli_commands\n"
            "    def find_spec(name, path=None, target=None):\n"
            "        if name == 'cli_commands':\n"
            "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
            "sys.meta_path.insert(0, Stale)\n"
            "m.main(['power', '--help'])\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Usage: accord power [OPTIONS] GAME")
