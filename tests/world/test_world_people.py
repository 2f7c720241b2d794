"""Who lives where: a commuter's residence follows their vehicle's plates."""

from __future__ import annotations

import pandas as pd

from ironriver.world import WorldPaths
from ironriver.world.crossings import port_frame
from ironriver.world.places import MX_PLACES, MX_STATE_CODES, US_STATES


def _commuters(world: WorldPaths) -> pd.DataFrame:
    persons = pd.read_parquet(world.truth / "persons.parquet").set_index("person_id")
    vehicles = pd.read_parquet(world.truth / "vehicles.parquet")
    pool = vehicles[vehicles["ring_id"] == ""]
    assert pool["owner_id"].str.startswith("DRV").all()
    return pool.join(persons, on="owner_id")


def test_a_mexican_plated_commuter_lives_in_the_plates_state(tiny_world: WorldPaths) -> None:
    """Owners of Mexican-plated commuter vehicles were built as US border-state persons (a
    Texas licence and a Texas city for a Sonora plate); they live where the plate is."""
    c = _commuters(tiny_world)
    mx = c[c["plate_country"] == "MX"]
    us = c[c["plate_country"] == "US"]
    assert len(mx) > 500 and len(us) > 300
    assert (mx["country"] == "MX").all() and (mx["us_state"] == "").all()
    names = {code: name for name, code in MX_STATE_CODES.items()}
    assert (mx["mx_state"] == mx["plate_state"].map(names)).all()
    assert all(city in MX_PLACES[st] for st, city in zip(mx["mx_state"], mx["city"], strict=True))
    assert (mx["id_number"].str[:-8] == mx["plate_state"]).all()
    assert (mx["maternal_surname"] != "").all()  # a Mexican person's two surnames
    # US-plated commuters keep their US residence, in the plate's state
    assert (us["country"] == "US").all() and (us["us_state"] == us["plate_state"]).all()
    assert (us["mx_state"] == "").all() and us["city"].isin(
        [city for cities, *_ in US_STATES.values() for city in cities]
    ).all()
    # mostly the twin city's state across the port (mx_plate_home_state_share, 0.9)
    twin = port_frame().set_index("port")["mx_state_code"]
    home = (mx["plate_state"] == mx["home_port"].map(twin)).mean()
    assert 0.85 < home < 0.97


def test_only_commuters_and_the_people_of_records_have_a_residence(tiny_world: WorldPaths) -> None:
    persons = pd.read_parquet(tiny_world.truth / "persons.parquet")
    by_kind = persons.groupby("kind")["country"].agg(lambda s: set(s))
    assert by_kind["member"] == {""}  # cartel members have no address in the world
    assert by_kind["ring"] == {"US", "MX"}  # drivers of Mexican-plated ring vehicles
    assert by_kind["buyer"] == {"US"}
    assert by_kind["driver"] == {"US", "MX"}
