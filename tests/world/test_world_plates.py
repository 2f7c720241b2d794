"""Plate country, a proxy for residence, must not tell trafficking vehicles from the rest:
rings have Mexican-plated vehicles at the commuters' share, driven by Mexican residents, and
residence is drawn after ring membership, so it decides nothing about who traffics."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from ironriver.world import WorldConfig, WorldPaths
from ironriver.world.config import rate
from ironriver.world.generate import simulate
from ironriver.world.places import MX_PLACES, MX_STATE_CODES

# how far the Mexican-plate share of ring vehicles may sit from the other vehicles' share
VEHICLE_TOLERANCE = 0.03
# the same for loaded trips against all commuter vehicles: rings differ in how many loads
# they send, so the share over trips varies more than over vehicles
TRIP_TOLERANCE = 0.08


def _vehicles(world: WorldPaths) -> pd.DataFrame:
    persons = pd.read_parquet(world.truth / "persons.parquet").set_index("person_id")
    return pd.read_parquet(world.truth / "vehicles.parquet").join(persons, on="owner_id")


def test_plate_country_does_not_separate_ring_vehicles(world_005: WorldPaths) -> None:
    v = _vehicles(world_005)
    ring = v[v["ring_id"] != ""]
    other = v[v["ring_id"] == ""]
    assert set(ring["plate_country"]) == {"US", "MX"} == set(other["plate_country"])
    ring_mx = (ring["plate_country"] == "MX").mean()
    other_mx = (other["plate_country"] == "MX").mean()
    assert len(ring) > 300
    assert abs(ring_mx - rate("ring_mx_plate_share")) <= 1 / len(ring)  # held exactly
    assert abs(ring_mx - other_mx) <= VEHICLE_TOLERANCE
    # what a targeting model would learn from: the vehicles of loaded crossings
    trips = pd.read_parquet(world_005.truth / "trips.parquet")
    loaded = trips[trips["loaded"]].join(v.set_index("vehicle_id")["plate_country"], "vehicle_id")
    assert len(loaded) > 500
    assert abs((loaded["plate_country"] == "MX").mean() - other_mx) <= TRIP_TOLERANCE


def test_a_mexican_plated_ring_driver_lives_in_the_plates_state(tiny_world: WorldPaths) -> None:
    """The owner (driver) of a Mexican-plated ring vehicle is a Mexican resident, built as a
    Mexican-plated commuter is; everyone else in a ring lives in the ring's US state."""
    v = _vehicles(tiny_world)
    ring = v[v["ring_id"] != ""]
    mx = ring[ring["plate_country"] == "MX"]
    us = ring[ring["plate_country"] == "US"]
    assert len(mx) > 5 and len(us) > 5
    names = {code: name for name, code in MX_STATE_CODES.items()}
    assert (mx["country"] == "MX").all() and (mx["us_state"] == "").all()
    assert (mx["mx_state"] == mx["plate_state"].map(names)).all()
    assert all(city in MX_PLACES[st] for st, city in zip(mx["mx_state"], mx["city"], strict=True))
    assert (mx["id_number"].str[:-8] == mx["plate_state"]).all()
    assert (mx["maternal_surname"] != "").all()
    assert (us["country"] == "US").all() and (us["us_state"] == us["plate_state"]).all()
    persons = pd.read_parquet(tiny_world.truth / "persons.parquet")
    ring_people = persons[persons["kind"] == "ring"]
    drivers = set(ring["owner_id"])
    assert (ring_people[~ring_people["person_id"].isin(drivers)]["country"] == "US").all()
    # HSI case files give a Mexican resident's Mexican state, not an empty US one
    cases = pd.read_csv(tiny_world.agencies / "hsi" / "case_subjects.csv", dtype=str)
    mexican_states = set(MX_STATE_CODES)
    assert cases["STATE"].dropna().isin(mexican_states).any()


def test_residence_decides_nothing_about_conduct(tmp_path: Path) -> None:
    """Ring membership, purchases, loads, trips and recoveries are the same bytes whatever
    share of the drivers is Mexican: residence comes from a stream of its own, drawn last."""
    cfg = WorldConfig(scale=0.003, years=1, seed=11, out=tmp_path)
    worlds = [
        simulate(replace(cfg, overrides={"ring_mx_plate_share": share}))
        for share in (0.0, 0.6, 1.0)
    ]
    base = worlds[0]
    assert (base.rings.vehicles["plate_country"] == "US").all()
    assert (worlds[2].rings.vehicles["plate_country"] == "MX").all()
    for w in worlds[1:]:
        members = w.rings.members.drop(columns=["phone", "mx_state"])
        pd.testing.assert_frame_equal(members, base.rings.members[members.columns])
        pd.testing.assert_frame_equal(w.rings.rings, base.rings.rings)
        pd.testing.assert_frame_equal(w.trips.trips, base.trips.trips)
        pd.testing.assert_frame_equal(w.guns, base.guns)
        assert w.recoveries is not None and base.recoveries is not None
        pd.testing.assert_frame_equal(w.recoveries.recoveries, base.recoveries.recoveries)
        # a Mexican resident carries a Mexican phone
        m = w.rings.members
        mexican = (m["mx_state"] != "").to_numpy()
        assert mexican.any() and (m["role"].to_numpy()[mexican] == "driver").all()
        assert np.char.startswith(m["phone"].to_numpy(str)[mexican], "+52").all()
