"""The revealed-responses table (configs/reference/responses.csv) and its reader (issue 15)."""

import pytest

from scenarios.config import ConfigError, load
from scenarios.reference import RESPONSES, read_responses


def test_shipped_responses_name_the_shipped_actors_and_carry_a_source_and_date():
    cfg = load("configs/coalition/plan_28_points.yaml")
    actors = [a.name for a in cfg.model.coalition.actors]
    rows = read_responses(RESPONSES, actors=actors)
    assert len(rows) >= 6
    assert all(r.source and r.date.year == 2025 for r in rows)
    # FACTS.md's: Putin (21 Nov) and Ushakov (24 Nov) on the US plan, Ushakov on the E3 text (24 Nov)
    said = {(r.actor, r.option, r.date.isoformat()): r.sign for r in rows}
    assert said[("russia", "plan_28_points", "2025-11-21")] == 1
    assert said[("russia", "counterproposal", "2025-11-24")] == -1
    assert said[("russia", "plan_28_points", "2025-11-24")] == 1


@pytest.mark.parametrize("column, value, message", [
    ("actor", "kremlin", "unknown actor 'kremlin'"),
    ("option", "plan_29_points", "unknown option 'plan_29_points'"),
    ("sign", "1", "sign 1 disagrees with response 'reject'"),
    ("date", "24/11/2025", "expected a date YYYY-MM-DD"),
])
def test_a_bad_row_is_an_error_naming_file_line_and_column(tmp_path, column, value, message):
    text = RESPONSES.read_text(encoding="utf-8").splitlines()
    header = text[0].split(",")
    row = text[5].split(",")  # ushakov_e3_unconstructive (line 6): a reject; its cells before the quote
    row[header.index(column)] = value
    path = tmp_path / "responses.csv"
    path.write_text("\n".join([text[0], *text[1:5], ",".join(row), *text[6:]]) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        read_responses(path, actors=["russia", "ukraine_government", "us_administration", "eu_council"],
                       options=["plan_28_points", "counterproposal", "geneva_framework"])
    e = err.value
    assert message in e.text() and e.line == 6 and e.key == column and "responses.csv" in e.text()
