from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ironriver.strategy import PAPER_PARAMETERS, CartelNetwork
from ironriver.strategy.model import Rates, integrate, observe, step


def _c0(network: CartelNetwork, runs: int = 1) -> np.ndarray:
    return np.repeat(network.initial_shares()[None, :] * 115_000, runs, axis=0)


@pytest.mark.parametrize(
    ("runs", "vary"),
    [(1, False), (3, False), (3, True), (70, False)],
    ids=["single", "dense-batch", "sparse-small", "sparse-large"],
)
def test_integrator_paths_match_reference_step(
    network: CartelNetwork, runs: int, vary: bool
) -> None:
    rates = Rates.from_parameters(PAPER_PARAMETERS, runs)
    if vary or runs > 64:
        factor = np.linspace(0.5, 1.5, runs)[:, None]
        rates = Rates(rates.rho * factor, rates.eta, rates.theta * factor, rates.omega * factor)
    c0 = _c0(network, runs)
    final, totals, groups = integrate(c0, network.conflict(), rates, 10)
    c = c0
    mt = np.ascontiguousarray(network.conflict_matrix().T)
    for _ in range(10):
        c = step(c, mt, rates)
    np.testing.assert_allclose(final, c, rtol=1e-10)
    assert groups is not None
    np.testing.assert_allclose(groups[-1], c, rtol=1e-10)
    obs = observe(c, mt, rates)
    np.testing.assert_allclose(totals[-1, 0], obs.members, rtol=1e-10)
    np.testing.assert_allclose(totals[-1, 1], obs.deaths, rtol=1e-10)
    np.testing.assert_allclose(totals[-1, 2], obs.recruits, rtol=1e-10)
    np.testing.assert_allclose(totals[-1, 3], obs.incapacitated, rtol=1e-10)


def test_weekly_step_is_converged(network: CartelNetwork) -> None:
    rates = Rates.from_parameters(PAPER_PARAMETERS)
    coarse, _, _ = integrate(_c0(network), network.conflict(), rates, 520, keep_groups=False)
    fine, _, _ = integrate(
        _c0(network), network.conflict(), rates, 520, substeps=2, keep_groups=False
    )
    assert abs(coarse.sum() / fine.sum() - 1) < 1e-9


@settings(max_examples=15, deadline=None)
@given(
    recruitment=st.floats(0.0, 2.0),
    incapacitation=st.floats(0.0, 5.0),
    empty=st.integers(0, 149),
)
def test_members_stay_nonnegative_and_empty_groups_stay_empty(
    network: CartelNetwork, recruitment: float, incapacitation: float, empty: int
) -> None:
    rates = Rates.from_parameters(PAPER_PARAMETERS.scaled(recruitment, incapacitation))
    c0 = _c0(network)
    c0[0, empty] = 0.0
    _final, totals, groups = integrate(c0, network.conflict(), rates, 104)
    assert groups is not None
    assert np.all(groups >= 0)
    assert np.all(groups[:, 0, empty] == 0)
    assert np.all(totals[:, 1] >= 0)
    np.testing.assert_allclose(totals[:, 0, 0], groups[:, 0, :].sum(axis=1))
    np.testing.assert_allclose(totals[:, 2, 0], rates.rho[0, 0] * totals[:, 0, 0])
