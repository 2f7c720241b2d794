"""A recovered gun's possessor is, on the recovery date, a living, free member of the
organisation the record names."""

from __future__ import annotations

import json

import pandas as pd

from ironriver.world import WorldPaths


def test_possessor_is_a_member_on_the_recovery_date(world_005: WorldPaths) -> None:
    truth = world_005.truth
    meta = json.loads((world_005.root / "world.json").read_text(encoding="utf-8"))
    r = pd.read_parquet(truth / "recoveries.parquet")
    r = r[r["possessor_id"] != ""].copy()
    assert len(r) > 500
    r["week"] = (r["date"] - pd.Timestamp(meta["start"])).dt.days // 7
    m = pd.read_parquet(truth / "memberships.parquet")
    cartel = m[m["ring_id"] == ""]
    j = r.merge(cartel, left_on="possessor_id", right_on="person_id", suffixes=("", "_held"))
    j = j[
        (j["start_week"] <= j["week"])
        & ((j["end_week"] == -1) | (j["end_week"] > j["week"]))
        & (j["org_id_held"] == j["org_id"])
    ]
    # one position held then, in the record's organisation, for every recovery
    assert set(j["recovery_id"]) == set(r["recovery_id"])
    ev = pd.read_parquet(truth / "events.parquet")
    gone = ev[ev["kind"].isin(["killed", "arrested"])].set_index("person_id")["week"]
    assert not (r["possessor_id"].map(gone) < r["week"]).any()
