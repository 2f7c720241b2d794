from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from ironriver.errors import StrategyError
from ironriver.strategy import CartelNetwork
from ironriver.strategy.network import read_data_file


def test_packaged_data_without_bom() -> None:
    nodes = read_data_file("BACRIM2020_Nodes.csv")
    assert list(nodes.columns) == ["Node", "Group", "State", "ShortName"]
    assert len(nodes) == 150


def test_counts_match_calibration_sheet(network: CartelNetwork) -> None:
    assert network.size == 150
    assert int((np.triu(network.rivalry) > 0).sum()) == 92
    assert int((np.triu(network.alliance) > 0).sum()) == 91
    for w in (network.rivalry, network.alliance):
        np.testing.assert_array_equal(w, w.T)
        assert np.all(np.diag(w) == 0)


def test_rank_order_is_by_total_strength(network: CartelNetwork) -> None:
    strength = network.rivalry.sum(1) + network.alliance.sum(1)
    assert np.all(np.diff(strength) <= 0)
    np.testing.assert_allclose(strength, network.nodes["strength"])
    assert network.names[:2] == ["CJNG", "Sinaloa"]


def test_conflict_matrix_formula(network: CartelNetwork) -> None:
    m = network.conflict_matrix()
    i, j = network.index_of("CJNG"), network.index_of("NFMichoacana")
    a_i = network.alliance[i].sum()
    assert network.rivalry[i, j] == 13
    assert m[i, j] == pytest.approx((13 + 1) / (a_i + 1))
    assert np.all(np.diag(m) == 0)
    np.testing.assert_allclose(network.conflict().dense(), m)


def test_initial_shares_follow_one_over_rank(network: CartelNetwork) -> None:
    shares = network.initial_shares()
    assert shares.sum() == pytest.approx(1.0)
    assert shares[0] / shares[9] == pytest.approx(10.0)


def test_group_lookup(network: CartelNetwork) -> None:
    assert network.index_of("cjng") == network.index_of("N10025") == 0
    with pytest.raises(StrategyError, match="No cartel group"):
        network.index_of("Nobody")


def test_groups_sharing_a_short_name_stay_apart(network: CartelNetwork) -> None:
    # N10010 "Cártel de Los Tequileros" and N10129 "Los Tequileros" are both "Tequileros"
    assert len(set(network.names)) == network.size == 150
    both = [n for n in network.names if n.startswith("Tequileros")]
    assert sorted(both) == ["Tequileros (N10010)", "Tequileros (N10129)"]
    assert network.index_of("tequileros (n10129)") == network.index_of("N10129")
    with pytest.raises(StrategyError, match=r"names 2 cartel groups: .*N10010.*N10129"):
        network.index_of("Tequileros")


def test_groups_named_after_a_person_carry_the_worlds_neutral_label(
    runner: CliRunner, tmp_path: Path
) -> None:
    """No table, JSON or chart of the strategy model prints a real person's name from the
    CIDE/BACRIM network: those groups carry the synthetic world's neutral labels; names of
    organisations of public record stay."""
    from ironriver.cli import cli
    from ironriver.strategy.network import load_network, read_data_file
    from ironriver.world.organisations import PERSON_NAMED
    from ironriver.world.organisations import load_network as world_network

    raw = read_data_file("BACRIM2020_Nodes.csv")
    person = raw[raw["Node"].isin(PERSON_NAMED)]
    real = set(person["Group"]) | set(person["ShortName"])
    assert "Francisco Javier Arvizo Márquez, Jaguar" in real  # the shipped file as published
    nodes = load_network().nodes.set_index("Node")
    assert nodes.loc["N10056", "ShortName"] == "GD-10056"
    assert nodes.loc["N10056", "Group"] == "Grupo delictivo 10056"
    orgs = world_network()[0].set_index("org_id")
    assert (nodes["Group"] == orgs.loc[nodes.index, "name"]).all()  # the world's own labels
    assert not real & (set(nodes["Group"]) | set(nodes["ShortName"]))

    chart = tmp_path / "run.svg"
    args = ["strategy", "run", "--years", "1", "--split", "GD-10056:2@0"]
    data = json.loads(runner.invoke(cli, [*args, "--json"]).output)
    final = data["groups_final"]
    assert {"CJNG", "Sinaloa", "GD-10056", "GD-10056 f2", "GD-10036"} <= set(final)
    assert not real & set(final)
    table = runner.invoke(cli, [*args, "--chart", str(chart)]).output
    svg = chart.read_text(encoding="utf-8")
    for name in real:
        if len(name) >= 8:  # (short ones, "H", "Cano", are parts of other words)
            assert name not in table and name not in svg
            assert name not in json.dumps(data, ensure_ascii=False)
    assert "CJNG" in table and "<!-- CJNG -->" in svg  # (the SVG keeps each text as a comment)
