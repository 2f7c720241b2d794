"""`strategy compare --years N` and `strategy sweep --years N` follow N (walkthrough finding:
`--years 7` showed only 2027, `--years 3` no year at all), and their JSON keys do not change
with it: a year is a value (`year`), not part of a key."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from ironriver.cli import cli
from ironriver.strategy import simulate
from ironriver.strategy.simulate import HISTORY_WEEKS

MILESTONE_KEYS = {
    "year",
    "members",
    "members_change_pct",
    "deaths_per_week",
    "deaths_change_pct",
    "deaths_from_2022",
}


def _out(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _row_years(output: str) -> list[int]:
    return [int(y) for y in re.findall(r"^members (\d{4}) ", output, re.MULTILINE)]


@pytest.mark.parametrize(
    ("years", "shown"),
    [
        (3, [2022, 2025]),
        (7, [2022, 2027, 2029]),
        (10, [2022, 2027, 2032]),
        (11, [2022, 2027, 2032, 2033]),
    ],
)
def test_compare_table_shows_the_years_up_to_the_horizon(
    runner: CliRunner, years: int, shown: list[int]
) -> None:
    out = _out(runner, "strategy", "compare", "--scenario", "status-quo", "--years", str(years))
    assert _row_years(out) == shown
    for year in shown[1:]:
        assert re.search(rf"^members change {year} \(%\) ", out, re.MULTILINE), out
        assert re.search(rf"^deaths change {year} \(%\) ", out, re.MULTILINE), out
    horizon = 2022 + years
    total = next(line for line in out.splitlines() if line.startswith("total deaths"))
    assert total.startswith(f"total deaths, Jan 2022 to Jan {horizon} "), out
    deaths = simulate("status-quo", years=years).series()["deaths_per_week"]
    assert total.split()[-1] == f"{round(deaths.iloc[HISTORY_WEEKS:-1].sum()):,}"


def test_compare_table_speaks_spanish(runner: CliRunner) -> None:
    out = _out(
        runner, "--lang", "es", "strategy", "compare", "--scenario", "status-quo", "--years", "3"
    )
    assert "integrantes 2025" in out and "muertes totales, ene 2022 a ene 2025" in out


@pytest.mark.parametrize("years", [3, 7])
def test_compare_json_keys_stay_and_the_year_is_a_value(runner: CliRunner, years: int) -> None:
    out = _out(
        runner,
        "strategy",
        "compare",
        "--scenario",
        "status-quo",
        "--scenario",
        "no-recruitment",
        "--years",
        str(years),
        "--json",
    )
    data = json.loads(out)
    assert data["years"] == years
    for row in data["scenarios"]:
        assert set(row) == {"scenario", "description", "milestones"}
        milestones = row["milestones"]
        assert all(set(m) == MILESTONE_KEYS for m in milestones), milestones
        assert milestones[0]["year"] == 2022 and milestones[0]["members_change_pct"] == 0
        assert milestones[-1]["year"] == 2022 + years
        series = simulate(row["scenario"], years=years).series()
        assert milestones[-1]["members"] == pytest.approx(series["members"].iloc[-1])
        total = series["deaths_per_week"].iloc[HISTORY_WEEKS:-1].sum()
        assert milestones[-1]["deaths_from_2022"] == pytest.approx(total)
    assert not re.search(r'"[a-z_]*\d{4}[a-z_]*":', out.replace('"deaths_from_2022":', ""))


def test_sweep_json_keys_stay_and_the_year_is_a_value(runner: CliRunner) -> None:
    data = json.loads(_out(runner, "strategy", "sweep", "--years", "2", "--json"))
    assert {row["year"] for row in data["sweep"]} == {2024}
    assert all("members_change_pct" in row and "deaths_change_pct" in row for row in data["sweep"])
    table = _out(runner, "strategy", "sweep", "--years", "2")
    assert "members change 2024 (%)" in table and "year" not in table
