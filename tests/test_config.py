"""The config loader: extends, deep merge, --set overrides, validation errors with file/line/key, provenance."""

import textwrap

import pytest

from scenarios import config as C


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


@pytest.fixture
def base(tmp_path, toy):
    write(tmp_path, "base.yaml", """\
        scenario: toy
        run: {trials: 1000, seed: 3}
        toy:
          x: {value: 4, source: "a report"}
          y: {dist: uniform, low: 0, high: 1}
          items:
            - {name: us, weight: 0.5}
            - {name: uk, weight: {dist: beta, a: 2, b: 2, source: "assumption"}}
        """)
    return tmp_path


def test_extends_merges_mappings_deeply_and_replaces_lists(base):
    p = write(base, "child.yaml", """\
        extends: base.yaml
        toy:
          x: 6
          items: [{name: fr, weight: 0.1}]
        """)
    cfg = C.load(p)
    assert cfg.model.toy.x.value == 6
    assert cfg.model.toy.y.dist == "uniform"  # kept from the parent
    assert [i.name for i in cfg.model.toy.items] == ["fr"]
    assert cfg.model.run.trials == 1000
    assert len(cfg.files) == 2 and cfg.files[1].endswith("base.yaml")


def test_extends_any_depth_relative_to_each_file(base):
    (base / "sub").mkdir()
    write(base, "sub/mid.yaml", "extends: ../base.yaml\ntoy: {y: 2}\n")
    p = write(base, "sub/leaf.yaml", "extends: mid.yaml\ntitle: leaf\n")
    cfg = C.load(p)
    assert cfg.model.toy.y.value == 2 and cfg.model.title == "leaf" and len(cfg.files) == 3


def test_extends_cycle_is_an_error_naming_the_files(base):
    write(base, "a.yaml", "extends: b.yaml\n")
    write(base, "b.yaml", "extends: a.yaml\n")
    with pytest.raises(C.ConfigError) as e:
        C.load(base / "a.yaml")
    assert "cycle" in e.value.message and "a.yaml" in e.value.message and "b.yaml" in e.value.message


def test_override_addresses_list_items_by_name_and_parses_yaml(base):
    cfg = C.load(base / "base.yaml", ["toy.items.uk.weight=0.9", "toy.x={dist: uniform, low: 1, high: 2}"])
    assert cfg.model.toy.items[1].weight.value == 0.9
    assert cfg.model.toy.x.dist == "uniform"
    assert cfg.params()["toy.items.uk.weight"][1][0].startswith("--set")


def test_override_by_index(base):
    cfg = C.load(base / "base.yaml", ["toy.items.0.weight=0.2"])
    assert cfg.model.toy.items[0].weight.value == 0.2


def test_bad_override_path_names_the_allowed_items(base):
    with pytest.raises(C.ConfigError) as e:
        C.load(base / "base.yaml", ["toy.items.de.weight=0.2"])
    assert "us, uk" in e.value.text()


def test_override_out_of_range_is_reported_against_the_set_option(base):
    with pytest.raises(C.ConfigError) as e:
        C.load(base / "base.yaml", ["toy.items.us.weight=1.5"])
    text = e.value.text()
    assert "--set toy.items.us.weight=1.5" in text and "toy.items.us.weight" in text and "[0, 1]" in text


def test_unknown_key_suggests_the_nearest(base):
    p = write(base, "typo.yaml", "extends: base.yaml\ntoy:\n  wieght: 1\n")
    with pytest.raises(C.ConfigError) as e:
        C.load(p)
    assert e.value.line == 3 and "unknown key 'wieght'" in e.value.text() and "typo.yaml" in e.value.text()


def test_unknown_distribution_is_named_with_the_allowed_ones(base):
    p = write(base, "d.yaml", "extends: base.yaml\ntoy:\n  x: {dist: gaussian, mean: 1, sd: 1}\n")
    with pytest.raises(C.ConfigError) as e:
        C.load(p)
    assert "unknown distribution 'gaussian'" in e.value.text() and "normal" in e.value.text() and e.value.line == 3


def test_distribution_outside_the_parameter_range_is_an_error(base):
    p = write(base, "r.yaml", "extends: base.yaml\ntoy:\n  x: {dist: normal, mean: 5, sd: 1}\n")
    with pytest.raises(C.ConfigError) as e:
        C.load(p)
    assert "[0, 10]" in e.value.text() and "truncate" in e.value.text()
    p = write(base, "ok.yaml", "extends: base.yaml\ntoy:\n  x: {dist: normal, mean: 5, sd: 1, low: 0, high: 10}\n")
    assert C.load(p).model.toy.x.dist == "normal"


def test_malformed_yaml_names_the_line(base):
    p = write(base, "m.yaml", "scenario: toy\ntoy:\n  x: [1, 2\n  y: 3\n")
    with pytest.raises(C.ConfigError) as e:
        C.load(p)
    assert "malformed YAML" in e.value.text() and e.value.line is not None


def test_missing_extends_file(base):
    p = write(base, "x.yaml", "extends: nowhere.yaml\n")
    with pytest.raises(C.ConfigError) as e:
        C.load(p)
    assert "nowhere.yaml" in e.value.text() and e.value.line == 1


def test_every_spec_knows_its_source_and_line(base):
    cfg = C.load(base / "base.yaml")
    params = cfg.params()
    spec, loc = params["toy.x"]
    assert spec.source == "a report" and loc[1] == 4
    assert params["toy.items.uk.weight"][0].source == "assumption"
    assert set(cfg.uncertain()) == {"toy.y", "toy.items.uk.weight"}


def test_defaults_are_fresh_per_instance(tmp_path, toy):
    p = write(tmp_path, "c.yaml", "scenario: toy\ntoy: {x: 1}\n")
    a, b = C.load(p).model, C.load(p).model
    assert a.toy.y is not b.toy.y


SPECS = [
    {"value": 0.25}, {"value": -3e5, "source": "s"},
    {"dist": "uniform", "low": -1, "high": 2.5},
    {"dist": "normal", "mean": 0.5, "sd": 0.1}, {"dist": "normal", "mean": 1, "sd": 2, "low": 0},
    {"dist": "normal", "mean": 1, "sd": 2, "high": 3}, {"dist": "normal", "mean": 1, "sd": 2, "low": -1, "high": 3},
    {"dist": "triangular", "low": 0, "mode": 0.2, "high": 1}, {"dist": "triangular", "low": 1, "mode": 1, "high": 4},
    {"dist": "pert", "low": 0, "mode": 0.8, "high": 1}, {"dist": "pert", "low": 5, "mode": 6, "high": 9, "shape": 2},
    {"dist": "beta", "a": 2, "b": 3}, {"dist": "beta", "a": 0.5, "b": 4, "low": -2, "high": 6},
    {"dist": "lognormal", "median": 600000, "sigma": 0.2},
    {"dist": "choice", "values": [3, 1, 2]}, {"dist": "choice", "values": [0.1, 0.9], "weights": [1, 3]},
]


@pytest.mark.parametrize("raw", SPECS, ids=lambda r: r.get("dist", "fixed"))
def test_a_spec_states_the_support_text_and_uncertainty_of_its_distribution(raw):
    """Validating and showing a config read a spec's own support, text and uncertainty (no NumPy, issue 17); the
    samplers draw from `to_dist()`: the two must agree (a PERT is drawn as a scaled beta and says `pert(...)`)."""
    from pydantic import TypeAdapter

    from model import params as P

    spec = TypeAdapter(C.ParamSpec).validate_python(raw)
    dist = spec.to_dist()
    assert spec.support() == dist.support()
    assert spec.uncertain == (not isinstance(dist, P.Fixed))
    if raw.get("dist") == "pert":
        assert spec.describe() == f"pert({raw['low']:g}, {raw['mode']:g}, {raw['high']:g})"
        assert isinstance(dist, P.Beta) and (dist.low, dist.high) == (raw["low"], raw["high"])
    else:
        assert spec.describe() == dist.describe()


def test_display_paths_walk_each_prefix_once_and_agree_with_display_path():
    """`display_paths` (a batch, each shared prefix walked once) gives what `display_path` gives for each key path:
    list items by name where they have one, by index otherwise, keys the data does not hold as they are."""
    from pathlib import Path

    from scenarios.config import display_path, display_paths

    data = {"a": [{"name": "us", "x": 1}, {"y": [1, {"name": 7}]}], "b": {"c": None}, 3: "three"}
    keypaths = [(), ("a",), ("a", 0), ("a", 0, "x"), ("a", 1, "y", 1), ("a", 1, "y", 0), ("a", 5), ("b", "c", "d"),
                (3,), ("z", 0, "q"), ("a", 0, "x")]
    assert display_paths(keypaths, data) == [display_path(k, data) for k in keypaths]
    assert display_paths(keypaths, data)[4] == "a.1.y.7" and display_paths(keypaths, data)[2] == "a.us"
    for rel in ("configs/plan_28_points.yaml", "configs/coalition/plan_28_points.yaml"):
        cfg = C.load(Path(__file__).resolve().parent.parent / rel)
        specs = [k for k, _ in C.walk_specs(cfg.model)]
        assert display_paths(specs, cfg.data) == [display_path(k, cfg.data) for k in specs]
