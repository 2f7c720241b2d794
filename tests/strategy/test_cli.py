from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ironriver.cli_strategy import strategy
from ironriver.errors import StrategyError
from ironriver.strategy import simulate

SERIES_KEYS = {"date", "members", "deaths_per_week", "recruits_per_week", "incapacitated_per_week"}


def _json(runner: CliRunner, *args: str) -> dict[str, object]:
    result = runner.invoke(strategy, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.output)
    return data


def test_run_json_shape(runner: CliRunner) -> None:
    data = _json(runner, "run", "--scenario", "status-quo", "--years", "5", "--json")
    series = data["series"]
    assert isinstance(series, list)
    assert len(series) == 520 + 5 * 52 + 1
    assert all(set(row) == SERIES_KEYS for row in series)
    assert series[0]["date"] == "2012-01-01"
    assert series[520]["date"] == "2022-01-01"
    dates = [dt.date.fromisoformat(row["date"]) for row in series]
    assert all(7 <= (b - a).days <= 9 for a, b in itertools.pairwise(dates))
    assert all(isinstance(row["members"], float) for row in series)
    assert series[520]["members"] == pytest.approx(174_000, rel=0.03)


@pytest.mark.parametrize(
    "name", ["status-quo", "half-recruitment", "double-incapacitation", "no-recruitment"]
)
def test_named_scenarios_run(runner: CliRunner, name: str) -> None:
    result = runner.invoke(strategy, ["run", "--scenario", name, "--years", "1"])
    assert result.exit_code == 0, result.output
    assert "2023-01-01" in result.output
    assert "Largest groups" in result.output


def test_lever_flags_multiply_on_the_scenario(runner: CliRunner) -> None:
    data = _json(runner, "run", "--recruitment", "0.5", "--years", "2", "--json")
    expected = simulate("half-recruitment", years=2).series()
    got = [row["members"] for row in data["series"]]  # type: ignore[union-attr]
    assert got == pytest.approx(expected["members"].tolist(), rel=1e-12)
    data = _json(
        runner,
        "run",
        "--scenario",
        "half-recruitment",
        "--recruitment",
        "0",
        "--incapacitation",
        "2",
        "--interdiction",
        "0.5",
        "--split",
        "CJNG:2@10",
        "--years",
        "1",
        "--json",
    )
    assert data["recruitment"] == 0
    assert data["incapacitation"] == 2
    assert data["splits"] == ["CJNG:2@10"]
    assert "CJNG f2" in data["groups_final"]  # type: ignore[operator]


def test_run_with_monte_carlo_bands_and_charts(runner: CliRunner, tmp_path: Path) -> None:
    png, svg = tmp_path / "run.png", tmp_path / "compare.svg"
    data = _json(runner, "run", "--years", "1", "--runs", "20", "--json", "--chart", str(png))
    bands = data["bands"]
    assert isinstance(bands, list) and len(bands) == 520 + 52 + 1
    assert bands[-1]["members_q05"] <= bands[-1]["members_q95"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    result = runner.invoke(strategy, ["compare", "--years", "5", "--chart", str(svg)])
    assert result.exit_code == 0, result.output
    assert "<svg" in svg.read_text()
    for name in ("status-quo", "half-recruitment", "double-incapacitation", "no-recruitment"):
        assert name in result.output


def test_compare_json(runner: CliRunner) -> None:
    data = _json(
        runner,
        "compare",
        "--scenario",
        "status-quo",
        "--scenario",
        "no-recruitment",
        "--years",
        "5",
        "--json",
    )
    rows = data["scenarios"]
    assert [r["scenario"] for r in rows] == ["status-quo", "no-recruitment"]  # type: ignore[union-attr]
    last = [r["milestones"][-1] for r in rows]  # type: ignore[index]
    assert [m["year"] for m in last] == [2027, 2027]
    assert last[1]["members"] < last[0]["members"]


def test_calibrate_json(runner: CliRunner, tmp_path: Path) -> None:
    chart = tmp_path / "fit.png"
    data = _json(runner, "calibrate", "--json", "--chart", str(chart))
    names = [p["parameter"] for p in data["parameters"]]  # type: ignore[union-attr]
    assert names == ["rho", "eta", "theta", "omega", "initial_members"]
    assert data["fit"]["r2"] > 0.7  # type: ignore[index]
    assert any(p["parameter"] == "interdiction_elasticity" for p in data["declared_parameters"])  # type: ignore[union-attr]
    assert chart.exists()


def test_sweep_json(runner: CliRunner) -> None:
    data = _json(runner, "sweep", "--years", "2", "--json")
    rows = data["sweep"]
    assert len(rows) == 20  # type: ignore[arg-type]


def test_bad_input_is_a_strategy_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(strategy, ["run", "--split", "CJNG-3", "--years", "1"])
    assert isinstance(result.exception, StrategyError)
    assert "GROUP:K@WEEK" in str(result.exception)
    result = runner.invoke(strategy, ["run", "--split", "Nobody:2@1", "--years", "1"])
    assert isinstance(result.exception, StrategyError)
    result = runner.invoke(strategy, ["run", "--years", "1", "--chart", str(tmp_path / "x.gif")])
    assert isinstance(result.exception, StrategyError)
    result = runner.invoke(strategy, ["run", "--scenario", "peace"])
    assert result.exit_code == 2


def test_reproduce_json(runner: CliRunner) -> None:
    data = _json(runner, "reproduce", "--runs", "30", "--json")
    rows = data["reproduction"]
    assert all(r["ok"] for r in rows)  # type: ignore[union-attr]
    assert len(data["horizon"]) == 4  # type: ignore[arg-type]
    assert all(b["q05"] <= b["q50"] <= b["q95"] for b in data["bands"])  # type: ignore[union-attr]


@pytest.mark.parametrize("flag", ["--recruitment", "--incapacitation", "--faction-rivalry"])
@pytest.mark.parametrize("value", ["nan", "inf"])
def test_non_finite_levers_are_refused(runner: CliRunner, flag: str, value: str) -> None:
    result = runner.invoke(strategy, ["run", flag, value, "--years", "1", "--json"])
    assert isinstance(result.exception, StrategyError), result.output
    assert "NaN" not in result.output


def test_json_output_never_holds_nan_or_infinity() -> None:
    from ironriver.cli_strategy import _json_text

    assert json.loads(_json_text({"x": 1.5, "y": None})) == {"x": 1.5, "y": None}
    for bad in (float("nan"), float("inf"), -float("inf")):
        with pytest.raises(StrategyError, match="not a finite number"):
            _json_text({"groups_final": {"CJNG": bad}})


def test_run_header_describes_the_levers_run(runner: CliRunner) -> None:
    result = runner.invoke(strategy, ["run", "--recruitment", "0.5", "--years", "1"])
    header = result.output.splitlines()[0]
    assert header.startswith("Scenario status-quo with levers: modified (recruitment x0.5)")
    assert "rates continue" not in header
    data = _json(runner, "run", "--scenario", "interdiction-50", "--elasticity", "1", "--json")
    assert data["changed"] == ["elasticity 1"]
    assert "lethality x0.5" in data["description"]  # type: ignore[operator]


def test_groups_final_keeps_every_group(runner: CliRunner) -> None:
    data = _json(runner, "run", "--years", "1", "--json")
    final = data["groups_final"]
    assert isinstance(final, dict) and isinstance(data["series"], list)
    assert len(final) == 150
    assert sum(final.values()) == pytest.approx(data["series"][-1]["members"], rel=1e-9)


def test_an_ambiguous_split_group_is_refused(runner: CliRunner) -> None:
    from ironriver.cli import cli

    args = ["strategy", "run", "--years", "1", "--split", "Tequileros:2@0"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert "N10010" in result.output and "N10129" in result.output
    assert "Traceback" not in result.output
    ok = runner.invoke(strategy, ["run", "--years", "1", "--split", "N10129:2@0", "--json"])
    assert ok.exit_code == 0, ok.output
    assert "Tequileros (N10129) f2" in json.loads(ok.output)["groups_final"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--split", "CJNG:2@0:0..5,1"], "Cannot read the shares"),
        (["--split", "CJNG:2@0:."], "Cannot read the shares"),
        (["--split", "CJNG:100000@0"], "2 to 20 factions"),
        (["--runs", "100000000"], "1 to 10000 runs"),
        (["--runs", "-5"], "1 to 10000 runs"),
    ],
)
def test_out_of_range_split_and_runs_are_clean_errors(
    runner: CliRunner, args: list[str], says: str
) -> None:
    from ironriver.cli import cli

    result = runner.invoke(cli, ["strategy", "run", "--years", "1", *args])
    assert result.exit_code == 2, result.output
    assert says in result.output
    assert "What to do:" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["--recruitment", "600"],
        ["--recruitment", "1e308"],
        ["--incapacitation", "1e308"],
        ["--faction-rivalry", "1e6", "--split", "CJNG:2@0"],
    ],
)
def test_levers_beyond_the_accurate_range_are_refused(runner: CliRunner, args: list[str]) -> None:
    # recruitment x600 gave 0 members (LSODA: 349M), 1e308 a NaN table with exit 0
    from ironriver.cli import cli

    result = runner.invoke(cli, ["strategy", "run", "--years", "1", *args])
    assert result.exit_code == 2, result.output
    assert "NaN" not in result.output and "nan" not in result.output
    assert "What to do:" in result.output


def test_charts_are_byte_stable(runner: CliRunner, tmp_path: Path) -> None:
    # matplotlib stamps the SVG with the current date and random element ids by default
    for suffix in ("svg", "png"):
        outputs = []
        for n in (1, 2):
            path = tmp_path / f"run{n}.{suffix}"
            args = ["run", "--years", "1", "--split", "CJNG:2@10", "--chart", str(path)]
            result = runner.invoke(strategy, args, catch_exceptions=False)
            assert result.exit_code == 0, result.output
            outputs.append(path.read_bytes())
        assert outputs[0] == outputs[1], suffix
        assert b"<dc:date>" not in outputs[0]


def test_a_long_chart_title_fits_the_figure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import matplotlib.pyplot as plt

    from ironriver.strategy import Split, charts, get_scenario

    spans = []
    close = plt.close

    def measure(fig: object = None) -> None:
        renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
        box = fig.axes[0].title.get_window_extent(renderer)  # type: ignore[attr-defined]
        spans.append((box.x0, box.x1, fig.bbox.width))  # type: ignore[attr-defined]
        close(fig)  # type: ignore[arg-type]

    monkeypatch.setattr(plt, "close", measure)
    scenario = get_scenario("status-quo").with_levers(
        recruitment=0.5, interdiction=0.3, splits=(Split("CJNG", 3, 52),)
    )
    charts.scenario_chart(simulate(scenario, years=2), tmp_path / "c.png")
    x0, x1, width = spans[-1]
    assert 0 <= x0 and x1 <= width
