from __future__ import annotations

import numpy as np
import pytest

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
