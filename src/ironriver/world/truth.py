"""The `truth/` folder: what really happened, as Parquet, for evaluations.

- persons, guns, vehicles: every true entity behind a record;
- memberships: organisation positions over time (cartel roles and ring roles);
- organisations, relations, rings, dealers, events, sales, trips, recoveries;
- chains: for each trafficked or stock gun, sale -> crossing -> recovery with time-to-crime;
- records: every agency record id -> true person, gun, vehicle (written while sensors run);
- world.json: the configuration and the run's outcome (e.g. which succession happened).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from ironriver.world import people
from ironriver.world.writer import write_parquet

if TYPE_CHECKING:
    from ironriver.world.config import WorldPaths
    from ironriver.world.generate import World


def _gid(idx: np.ndarray) -> np.ndarray:
    return np.array([f"G{i:08d}" if i >= 0 else "" for i in idx], dtype=object)


def write(world: World, paths: WorldPaths) -> None:
    t = paths.truth
    cfg = world.cfg
    rec = world.recoveries
    assert rec is not None
    for frame in world.record_frames:
        world.records_stream.write(pa.Table.from_pandas(frame, preserve_index=False))
    world.records_stream.close()
    write_parquet(world.persons, t / "persons.parquet")
    # sales and guns
    s = world.all_sales
    dealer_id = world.dealers["dealer_id"].to_numpy(object)
    ring_id = np.concatenate([world.rings.rings["ring_id"].to_numpy(object), [""]])
    sales = pd.DataFrame(
        {
            "sale_id": s["sale_id"],
            "kind": s["kind"],
            "dealer_id": dealer_id[s["dealer_idx"].to_numpy()],
            "buyer_id": s["buyer_id"],
            "gun_id": _gid(s["gun_idx"].to_numpy()),
            "date": s["date"],
            "ring_id": ring_id[s["ring_idx"].to_numpy()],
            "price": s["price"],
            "record_lost": s["record_lost"],
        }
    )
    write_parquet(sales, t / "sales.parquet")
    g = world.guns.copy()
    g["ring_id"] = ring_id[g["ring_idx"].to_numpy()]
    sale_of_gun = np.full(len(g), -1, np.int64)
    sale_of_gun[s["gun_idx"].to_numpy()] = np.arange(len(s))
    has = sale_of_gun >= 0
    g["sale_id"] = np.where(has, s["sale_id"].to_numpy(object)[np.maximum(sale_of_gun, 0)], "")
    g["first_purchaser_id"] = np.where(
        has, s["buyer_id"].to_numpy(object)[np.maximum(sale_of_gun, 0)], ""
    )
    g["dealer_id"] = np.where(
        has, dealer_id[s["dealer_idx"].to_numpy()][np.maximum(sale_of_gun, 0)], ""
    )
    g["sale_date"] = np.where(
        has, s["date"].to_numpy()[np.maximum(sale_of_gun, 0)], np.datetime64("NaT")
    )
    g = g.drop(columns=["ring_idx"])
    write_parquet(g, t / "guns.parquet")
    # vehicles
    pool = world.pool
    n = len(pool)
    v_pool = pd.DataFrame(
        {
            "vehicle_id": [f"V{i:08d}" for i in range(n)],
            "owner_id": [f"DRV{i:08d}" for i in range(n)],
            "ring_id": "",
            "home_port": world.port_df["port"].to_numpy(object)[pool["port_idx"].to_numpy()],
        }
    )
    rv = world.rings.vehicles
    v_ring = pd.DataFrame(
        {
            "vehicle_id": [f"RV{i:06d}" for i in rv["vehicle_idx"]],
            "owner_id": people.person_ids("ring", rv["owner_idx"].to_numpy()),
            "ring_id": rv["ring_id"].to_numpy(object),
            "home_port": "",
        }
    )
    cols = ["make", "model", "body", "color", "year", "plate", "plate_state", "plate_country"]
    vehicles = pd.concat(
        [
            pd.concat([v_pool, pool[cols].reset_index(drop=True)], axis=1),
            pd.concat([v_ring, rv[cols].reset_index(drop=True)], axis=1),
        ],
        ignore_index=True,
    )
    write_parquet(vehicles, t / "vehicles.parquet")
    # memberships: cartel positions and ring roles
    pos = world.dyn.positions
    mem = pd.DataFrame(
        {
            "person_id": people.person_ids("member", pos["person_idx"].to_numpy()),
            "org_id": pos["org_id"],
            "ring_id": "",
            "role": pos["role"],
            "function": pos["function"],
            "cell_id": pos["cell_id"],
            "plaza_id": pos["plaza_id"],
            "start_week": pos["start_week"],
            "end_week": pos["end_week"],
            "end_reason": pos["end_reason"],
        }
    )
    rm = world.rings.members
    r = world.rings.rings
    ring_mem = pd.DataFrame(
        {
            "person_id": people.person_ids("ring", rm["person_idx"].to_numpy()),
            "org_id": r["org_id"].to_numpy(object)[rm["ring_idx"].to_numpy()],
            "ring_id": rm["ring_id"],
            "role": rm["role"],
            "function": "arms_trafficking",
            "cell_id": r["cell_id"].to_numpy(object)[rm["ring_idx"].to_numpy()],
            "plaza_id": "",
            "start_week": -1,
            "end_week": -1,
            "end_reason": "",
        }
    )
    # a ring whose cell went to a faction in a split: with the parent before, the faction after
    moves = world.dyn.cell_moves.set_index("cell_id")
    moved = ring_mem["cell_id"].isin(moves.index).to_numpy()
    if moved.any():
        before = ring_mem[moved].copy()
        before["org_id"] = before["cell_id"].map(world.dyn.cell_org0).to_numpy(object)
        before["end_week"] = before["cell_id"].map(moves["week"]).to_numpy(np.int64)
        before["end_reason"] = "split"
        after = ring_mem[moved].copy()
        after["start_week"] = after["cell_id"].map(moves["week"]).to_numpy(np.int64)
        ring_mem = pd.concat([ring_mem[~moved], before, after]).sort_index(kind="stable")
    write_parquet(pd.concat([mem, ring_mem], ignore_index=True), t / "memberships.parquet")
    write_parquet(world.orgs.orgs, t / "organisations.parquet")
    write_parquet(world.orgs.relations, t / "relations.parquet")
    write_parquet(
        world.orgs.plazas.assign(
            boss_id=people.person_ids("member", world.orgs.plazas["boss_idx"].to_numpy())
        ),
        t / "plazas.parquet",
    )
    write_parquet(
        r.drop(columns=["weight"]).assign(
            cell_leader_id=people.person_ids("member", r["cell_leader_idx"].to_numpy())
        ),
        t / "rings.parquet",
    )
    write_parquet(world.dealers.drop(columns=["state_idx"]), t / "dealers.parquet")
    ev = world.dyn.events
    write_parquet(
        ev.assign(
            person_id=np.where(
                ev["person_idx"] >= 0,
                people.person_ids("member", np.maximum(ev["person_idx"].to_numpy(), 0)),
                "",
            )
        ),
        t / "events.parquet",
    )
    # trips and chains
    tr = world.trips.trips
    ports = world.port_df["port"].to_numpy(object)
    trips = pd.DataFrame(
        {
            "trip_id": [f"T{i:07d}" for i in tr["trip_idx"]],
            "ring_id": ring_id[tr["ring_idx"].to_numpy()],
            "date": tr["date"],
            "port": ports[tr["port_idx"].to_numpy()],
            "driver_id": people.person_ids("ring", tr["driver_idx"].to_numpy()),
            "vehicle_id": [f"RV{i:06d}" for i in tr["vehicle_idx"]],
            "n_guns": tr["n_guns"],
            "loaded": tr["loaded"],
            "inspected": tr["inspected"],
            "seized": tr["seized"],
            "crossing_id": [f"X{i:010d}" if i >= 0 else "" for i in world.trip_crossing],
        }
    )
    write_parquet(trips, t / "trips.parquet")
    rr = rec.recoveries.merge(world.obliteration, on="recovery_idx", how="left")
    recov = pd.DataFrame(
        {
            "recovery_id": [f"REC{i:08d}" for i in rr["recovery_idx"]],
            "event_id": [f"EV{i:07d}" for i in rr["event_idx"]],
            "gun_id": _gid(rr["gun_idx"].to_numpy()),
            "date": rr["date"],
            "mx_state": rr["mx_state"],
            "municipality": rr["municipality"],
            "circumstance": rr["circumstance"],
            "agency": rr["agency"],
            "possessor_id": np.where(
                rr["possessor_idx"] >= 0,
                people.person_ids("member", np.maximum(rr["possessor_idx"].to_numpy(), 0)),
                "",
            ),
            "org_id": rr["org_id"],
            "source": rr["source"],
            "serial_status": rr["serial_status"],
            "serial_observed": rr["serial_observed"],
            "incomplete": rr["incomplete"],
        }
    )
    write_parquet(recov, t / "recoveries.parquet")
    gun_trip = world.trips.gun_trip
    has_trip = gun_trip >= 0
    chains = pd.DataFrame(
        {
            "gun_id": g["gun_id"],
            "origin": g["origin"],
            "sale_id": g["sale_id"],
            "sale_date": g["sale_date"],
            "dealer_id": g["dealer_id"],
            "purchaser_id": g["first_purchaser_id"],
            "ring_id": g["ring_id"],
        }
    )
    gt = np.concatenate([gun_trip, np.full(len(g) - len(gun_trip), -1)])
    ht = np.concatenate([has_trip, np.zeros(len(g) - len(gun_trip), bool)])
    chains["trip_id"] = np.where(ht, trips["trip_id"].to_numpy(object)[np.maximum(gt, 0)], "")
    chains["crossing_id"] = np.where(
        ht, trips["crossing_id"].to_numpy(object)[np.maximum(gt, 0)], ""
    )
    chains["crossing_date"] = np.where(
        ht, tr["date"].to_numpy()[np.maximum(gt, 0)], np.datetime64("NaT")
    )
    chains["port"] = np.where(ht, trips["port"].to_numpy(object)[np.maximum(gt, 0)], "")
    chains["seized"] = np.where(ht, tr["seized"].to_numpy()[np.maximum(gt, 0)], False)
    chains = chains.merge(
        recov[["gun_id", "recovery_id", "date", "mx_state", "serial_status"]].rename(
            columns={"date": "recovery_date", "mx_state": "recovery_state"}
        ),
        on="gun_id",
        how="left",
    )
    chains = chains[chains["origin"] != "legit"].reset_index(drop=True)
    chains["ttc_days"] = (chains["recovery_date"] - chains["sale_date"]).dt.days
    for c in ("recovery_id", "recovery_state", "serial_status"):
        chains[c] = chains[c].fillna("")
    write_parquet(chains, t / "chains.parquet")
    if len(world.multiple_sales):
        ms = world.multiple_sales
        write_parquet(
            pd.DataFrame(
                {
                    "sale_id": s["sale_id"].to_numpy(object)[ms["sale_idx"].to_numpy()],
                    "form": ms["form"],
                    "report_no": ms["report_no"],
                }
            ),
            t / "multiple_sales.parquet",
        )
    summary = {
        "scale": cfg.scale,
        "years": cfg.years,
        "seed": cfg.seed,
        "start": cfg.start.isoformat(),
        "weeks": cfg.weeks,
        "decapitation_week": cfg.decapitation_week,
        "succession": world.dyn.succession,
        "decapitated_org": world.dyn.target_org if world.dyn.succession else "",
        "overrides": dict(sorted(cfg.overrides.items())),
    }
    (paths.root / "world.json").write_text(
        json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
