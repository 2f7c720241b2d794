"""Fixtures for ironriver.strategy tests: real runs of the model, computed once per session.

Use `network` for the packaged 150-group network, `status_quo` for a deterministic 5-year
status-quo run (2012-2027) and `runner` for CLI tests through click's CliRunner.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from ironriver.strategy import CartelNetwork, Simulation, load_network, simulate


@pytest.fixture(scope="session")
def network() -> CartelNetwork:
    return load_network()


@pytest.fixture(scope="session")
def status_quo() -> Simulation:
    return simulate("status-quo", years=5)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
