"""Reproduction of the published headlines of Prieto-Curiel, Campedelli & Hope (2023).

The model runs with the published parameters; the asserted ranges are those agreed for
the reproduction (README table), not values copied from our own output.
"""

from __future__ import annotations

import numpy as np
import pytest

from ironriver.strategy import Simulation, bands, monte_carlo, reproduction, simulate
from ironriver.strategy.simulate import week_of


def pct(sim: Simulation, column: str, year: int = 2027) -> float:
    s = sim.series()[column]
    return float(100 * (s.iloc[week_of(year)] / s.iloc[week_of(2022)] - 1))


def test_members_january_2022(status_quo: Simulation) -> None:
    members = status_quo.at(2022)["members"]
    assert members == pytest.approx(174_000, rel=0.03)


def test_recruits_per_week_2012_2021(status_quo: Simulation) -> None:
    recruits = status_quo.series()["recruits_per_week"].iloc[: week_of(2022)]
    assert 350 <= recruits.mean() <= 370


def test_status_quo_2027(status_quo: Simulation) -> None:
    assert 20 <= pct(status_quo, "members") <= 28
    assert 33 <= pct(status_quo, "deaths_per_week") <= 42


def test_recruitment_halved_2027() -> None:
    assert pct(simulate("half-recruitment", years=5), "members") == pytest.approx(-10, abs=3)


def test_incapacitation_doubled_keeps_growing() -> None:
    members = simulate("double-incapacitation", years=10).series()["members"]
    after = members.iloc[week_of(2022) :].to_numpy()
    assert after[-1] > after[0]
    assert np.all(np.diff(after) > 0)


def test_reproduction_table_all_within_range() -> None:
    table = reproduction()
    assert len(table) == 6
    assert table["ok"].all(), table.to_string()


def test_monte_carlo_bands_bracket_the_headline() -> None:
    sim = monte_carlo("status-quo", years=5, runs=200, seed=1)
    assert sim.runs == 200
    b = bands(sim).iloc[week_of(2022)]
    assert b["members_q05"] < b["members_q50"] < b["members_q95"]
    assert b["members_q50"] == pytest.approx(174_000, rel=0.05)
    # the deterministic run lies inside the 5-95% band
    det = simulate("status-quo", years=5).at(2027)
    end = bands(sim).iloc[week_of(2027)]
    assert end["members_q05"] <= det["members"] <= end["members_q95"]
    assert end["deaths_per_week_q05"] <= det["deaths_per_week"] <= end["deaths_per_week_q95"]


def test_monte_carlo_is_reproducible_by_seed() -> None:
    a = monte_carlo("status-quo", years=1, runs=5, seed=7).totals
    b = monte_carlo("status-quo", years=1, runs=5, seed=7).totals
    c = monte_carlo("status-quo", years=1, runs=5, seed=8).totals
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_paper_headlines_match_the_2027_average() -> None:
    """Documented finding: the paper's 2027 figures match the 2027 mean (see docs)."""
    from ironriver.strategy.evaluate import horizon_check

    table = horizon_check().set_index(["scenario", "quantity"])["mean_2027_pct"]
    assert table[("status-quo", "members")] == pytest.approx(26, abs=1.5)
    assert table[("status-quo", "deaths_per_week")] == pytest.approx(40, abs=1.5)
    assert table[("half-recruitment", "members")] == pytest.approx(-11, abs=1.5)
    assert table[("double-incapacitation", "members")] > 0
