"""Serials are unique by maker across a whole world, not only within one draw of guns."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ironriver.world import WorldConfig, WorldPaths, generate_world
from ironriver.world import guns as gunlib


def _truth_guns(world: WorldPaths) -> pd.DataFrame:
    return pd.read_parquet(world.truth / "guns.parquet", columns=["maker", "model", "serial"])


def test_a_world_never_gives_one_maker_a_serial_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Legitimate, trafficked, stock and foreign guns are drawn apart; each draw was unique
    in itself only, so at scale 1 some 3,300 guns shared maker and serial with another. A
    narrow pattern (2,600 serials a maker) makes the clash certain in a small world."""
    narrow = gunlib._catalogue().assign(serial_format="@##")
    monkeypatch.setattr(gunlib, "_catalogue", lambda: narrow)
    world = generate_world(WorldConfig(scale=0.002, years=1, seed=11, out=tmp_path))
    guns = _truth_guns(world)
    assert len(guns) > 5000 and guns["serial"].str.fullmatch("[A-Z][0-9]{2}").all()
    assert guns.groupby("maker").size().max() > 500  # one maker drew a fifth of its serials
    assert not guns.duplicated(["maker", "serial"]).any()


def test_the_calibration_world_keys_each_gun_by_make_model_and_serial(
    world_005: WorldPaths,
) -> None:
    guns = _truth_guns(world_005)
    assert not guns.duplicated(["maker", "serial"]).any()
    assert not guns.duplicated(["maker", "model", "serial"]).any()
