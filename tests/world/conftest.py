"""Fixtures for the world tests. Use `world_005` (one scale-0.05 world, generated once per
session, ~15 s) for anything that reads a realistic world; `tiny_world` (scale 0.003) when
only structure matters. Do not generate worlds inside tests unless the test is about
generation itself (determinism, CLI)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ironriver.world import WorldConfig, WorldPaths, generate_world

CALIBRATION_SEED = 20240101


@pytest.fixture(scope="session")
def world_005(tmp_path_factory: pytest.TempPathFactory) -> WorldPaths:
    out = tmp_path_factory.mktemp("world_005")
    return generate_world(WorldConfig(scale=0.05, years=1, seed=CALIBRATION_SEED, out=out))


@pytest.fixture(scope="session")
def tiny_world(tmp_path_factory: pytest.TempPathFactory) -> WorldPaths:
    out: Path = tmp_path_factory.mktemp("tiny_world")
    return generate_world(WorldConfig(scale=0.003, years=1, seed=3, out=out))
