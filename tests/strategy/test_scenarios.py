from __future__ import annotations

import numpy as np
import pytest

from ironriver.errors import StrategyError
from ironriver.strategy import CartelNetwork, Simulation, Split, get_scenario, simulate
from ironriver.strategy.decapitation import split_network
from ironriver.strategy.evaluate import compare, interdiction_sweep
from ironriver.strategy.simulate import HISTORY_WEEKS, week_date, week_of


def test_week_dates() -> None:
    assert str(week_date(0)) == "2012-01-01"
    assert str(week_date(1)) == "2012-01-08"
    assert str(week_date(520)) == "2022-01-01"
    assert week_of(2027) == 780


def test_levers_multiply_on_top_of_a_scenario() -> None:
    s = get_scenario("half-recruitment").with_levers(
        recruitment=0.5, incapacitation=3, interdiction=0.5
    )
    assert s.recruitment == 0.25
    assert s.incapacitation == 3
    s2 = s.with_levers(interdiction=0.5)
    assert s2.interdiction == pytest.approx(0.75)
    assert s2.lethality == pytest.approx(1 - s2.elasticity * 0.75)
    with pytest.raises(StrategyError):
        s.with_levers(interdiction=1.5)
    with pytest.raises(StrategyError, match="Unknown scenario"):
        get_scenario("peace")


def test_history_is_shared_and_no_recruitment_stops_recruits(status_quo: Simulation) -> None:
    sim = simulate("no-recruitment", years=5)
    a, b = status_quo.series(), sim.series()
    np.testing.assert_allclose(a.iloc[: HISTORY_WEEKS + 1, 2:], b.iloc[: HISTORY_WEEKS + 1, 2:])
    assert np.all(b["recruits_per_week"].iloc[HISTORY_WEEKS + 1 :] == 0)
    assert b["members"].iloc[-1] < b["members"].iloc[HISTORY_WEEKS]


def test_interdiction_trades_deaths_for_members(status_quo: Simulation) -> None:
    sweep = interdiction_sweep(shares=(0.0, 0.25, 0.5), elasticities=(0.0, 0.35), years=5)
    assert set(sweep["year"]) == {2027}
    none = sweep[sweep["elasticity"] == 0.0]
    assert none["deaths_change_pct"].nunique() == 1  # e = 0: no effect at all
    e = sweep[sweep["elasticity"] == 0.35]
    assert np.all(np.diff(e["deaths_change_pct"]) < 0)
    assert np.all(np.diff(e["members_change_pct"]) > 0)
    base = 100 * (
        status_quo.at(2027)["deaths_per_week"] / status_quo.at(2022)["deaths_per_week"] - 1
    )
    assert e["deaths_change_pct"].iloc[0] == pytest.approx(base)


def test_split_parsing() -> None:
    s = Split.parse("CJNG:3@26")
    assert (s.group, s.factions, s.week, s.shares) == ("CJNG", 3, 26, None)
    np.testing.assert_allclose(Split.parse("Sinaloa:2@0:3,1").fractions(), [0.75, 0.25])
    for bad in ("CJNG", "CJNG:1@3", "CJNG:2@3:1"):
        with pytest.raises(StrategyError):
            Split.parse(bad)


def test_split_network_inherits_relations(network: CartelNetwork) -> None:
    parent = network.index_of("Sinaloa")
    net = split_network(network, parent, 3, rivalry_weight=9)
    assert net.size == 152
    f2, f3 = 150, 151
    assert net.rivalry[parent, f2] == net.rivalry[f2, f3] == 9
    others = [j for j in range(150) if j != parent]
    np.testing.assert_array_equal(net.rivalry[f2, others], network.rivalry[parent, others])
    np.testing.assert_array_equal(net.alliance[f3, others], network.alliance[parent, others])
    strength = net.alliance_strength()
    assert strength[f2] == strength[parent] == network.alliance_strength()[parent]
    np.testing.assert_array_equal(strength[:150], network.alliance_strength())
    np.testing.assert_array_equal(net.rivalry, net.rivalry.T)
    assert net.names[f2] == "Sinaloa f2"


def test_decapitation_conserves_members_and_adds_violence(status_quo: Simulation) -> None:
    week = 26
    scenario = get_scenario("status-quo").with_levers(splits=(Split("CJNG", 3, week, (2, 1, 1)),))
    sim = simulate(scenario, years=5)
    t = HISTORY_WEEKS + week
    groups = sim.by_group()
    before, after = sim.series().iloc[t], sim.series().iloc[t + 1]
    sq = status_quo.series()
    np.testing.assert_allclose(sim.series().iloc[: t + 1, 2:], sq.iloc[: t + 1, 2:])
    assert after["members"] == pytest.approx(sq.iloc[t + 1]["members"], rel=1e-3)
    assert after["deaths_per_week"] > 1.01 * sq.iloc[t + 1]["deaths_per_week"]
    assert before["deaths_per_week"] == pytest.approx(sq.iloc[t]["deaths_per_week"])
    assert groups["CJNG f2"].iloc[t + 1] == pytest.approx(groups["CJNG"].iloc[t + 1] / 2, rel=1e-2)
    assert groups["CJNG f2"].iloc[t] == 0


def test_fiercer_faction_rivalry_kills_more() -> None:
    split = (Split("CJNG", 2, 0),)
    deaths = [
        simulate(get_scenario("status-quo").with_levers(splits=split, faction_rivalry=w), years=1)
        .series()["deaths_per_week"]
        .iloc[HISTORY_WEEKS + 1]
        for w in (0.0, 5.0, 13.0)
    ]
    assert deaths[0] < deaths[1] < deaths[2]


def test_split_after_end_is_rejected() -> None:
    scenario = get_scenario("status-quo").with_levers(splits=(Split("CJNG", 2, 600),))
    with pytest.raises(StrategyError, match="after the end"):
        simulate(scenario, years=5)
    with pytest.raises(StrategyError, match="years"):
        simulate("status-quo", years=0)


def test_compare_table() -> None:
    table = compare(["status-quo", "half-recruitment"], years=5)
    assert list(table["scenario"]) == ["status-quo"] * 2 + ["half-recruitment"] * 2
    assert list(table["year"]) == [2022, 2027] * 2
    sq, half = table.iloc[1], table.iloc[3]
    assert half["members"] < sq["members"]
    assert half["deaths_from_2022"] < sq["deaths_from_2022"]
    assert table.iloc[0]["members_change_pct"] == 0 and table.iloc[0]["deaths_from_2022"] == 0


@pytest.mark.parametrize(
    "levers",
    [
        {"recruitment": float("nan")},
        {"recruitment": float("inf")},
        {"incapacitation": float("nan")},
        {"incapacitation": -1.0},
        {"interdiction": float("nan")},
        {"elasticity": float("nan")},
        {"faction_rivalry": float("nan")},
        {"faction_rivalry": float("inf")},
        {"faction_rivalry": -1.0},
    ],
)
def test_non_finite_or_negative_levers_are_refused(levers: dict[str, float]) -> None:
    # NaN passed the `< 0` check and ran a NaN model (a NaN table, `NaN` in --json)
    with pytest.raises(StrategyError):
        get_scenario("status-quo").with_levers(**levers)  # type: ignore[arg-type]


def test_a_scenario_changed_by_levers_says_what_was_run() -> None:
    base = get_scenario("interdiction-50")
    assert base.with_levers() == base
    assert base.with_levers(elasticity=base.elasticity) == base
    s = base.with_levers(elasticity=1.0)
    # the elasticity used to leave the name and the "(1 - 0.35 x 0.5)" description as they were
    assert s.name == "interdiction-50+levers"
    text = s.description_in("en")
    assert "elasticity 1" in text and "lethality x0.5" in text and "0.35" not in text
    assert "elasticidad 1" in s.description_in("es")
    rivalry = get_scenario("decapitate-cjng").with_levers(faction_rivalry=5.0)
    assert rivalry.name == "decapitate-cjng+levers"
    assert "faction rivalry 5" in rivalry.description_in("en")
    twice = s.with_levers(recruitment=0.5)
    assert twice.name == "interdiction-50+levers"
    assert "(elasticity 1, recruitment x0.5)" in twice.description_in("en")
