"""Southbound crossings at the US-Mexico land ports: traffic, trafficking trips, inspections.

Volume: southbound traffic per port is assumed equal to the BTS northbound counts
(personal vehicles and trucks; CBP does not count outbound, and Mexican customs' count at San
Ysidro, `border.san_ysidro_southbound_per_day` in `ironriver.world.calibration.FIGURES`,
supports it), at
`scale` per simulated year, Poisson per port and week. Each port has a pool of vehicles that
cross repeatedly (about 40 crossings a year on average, heavy-tailed: commuters), so plate
reads link up over time.

Trafficking: a ring gathers its guns and sends them south in loads of a few to a few dozen,
a few days after the last purchase of the load, with one of its drivers, at one of its
ports. Ring vehicles also cross empty now and then. Outbound inspections are random at
`outbound_inspection_rate`; an inspected load is found with `inspection_detection`.

The traffic is produced in chunks of weeks (`chunks`) so a scale-1 world never holds tens of
millions of crossings in memory at once. Crossing numbers are global and chronological.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ironriver.world import vehicles
from ironriver.world.config import WorldConfig
from ironriver.world.places import MX_STATE_CODES
from ironriver.world.rings import Rings

CROSSINGS_PER_VEHICLE_YEAR = 40.0
CHUNK_WEEKS = 4
# share of southbound vehicles by hour of day (assumption: morning and evening peaks)
HOUR_SHARE = np.array(
    [1, 0.6, 0.4, 0.3, 0.4, 1, 2.5, 4, 5, 5, 5, 5, 5.5, 6, 6.5, 7, 7.5, 7.5, 7, 6, 5, 4, 3, 2],
    float,
)
HOUR_SHARE /= HOUR_SHARE.sum()
STATE_CODES = {"Texas": "TX", "Arizona": "AZ", "California": "CA", "New Mexico": "NM"}


def port_frame() -> pd.DataFrame:
    """The teammate's `ports()` with a two-letter `state_code` column."""
    from ironriver.world.ports import ports

    df = ports()
    df = df[(df["annual_personal_vehicles"] + df["annual_trucks"]) > 0].reset_index(drop=True)
    df["state_code"] = [STATE_CODES.get(s, s) for s in df["state"]]
    names = {code: name for name, code in MX_STATE_CODES.items()}
    df["mx_state_code"] = df["mx_state"]
    df["mx_state"] = [names.get(s, s) for s in df["mx_state"]]
    return df


@dataclass
class Trips:
    trips: (
        pd.DataFrame
    )  # trip_idx, ring_idx, date, port_idx, driver_idx, vehicle_idx, n_guns, loaded
    gun_trip: np.ndarray  # per trafficked gun (by gun_idx): trip_idx or -1


@dataclass
class Chunk:
    """Truth of one chunk of crossings, chronological."""

    number: np.ndarray  # global crossing number
    ts: np.ndarray  # datetime64[s]
    port_idx: np.ndarray
    lane: np.ndarray
    vehicle: np.ndarray  # global vehicle index (pool) or -(ring vehicle idx + 1)
    trip_idx: np.ndarray  # -1 if not a ring crossing
    inspected: np.ndarray
    seized: np.ndarray


def plan_trips(cfg: WorldConfig, rings: Rings, guns: pd.DataFrame) -> Trips:
    rng = cfg.rng("trips")
    end = cfg.start64 + np.timedelta64(cfg.weeks * 7, "D")
    traf = guns[guns["origin"] == "trafficked"]
    gidx = traf["gun_idx"].to_numpy()
    ring = traf["ring_idx"].to_numpy()
    acq = traf["acquired_date"].to_numpy().astype("datetime64[D]")
    o = np.lexsort((gidx, acq, ring))
    gidx, ring, acq = gidx[o], ring[o], acq[o]
    n_r = len(rings.rings)
    load = 2 + rng.poisson(4.0, n_r)  # "ant" loads of a few guns
    # running count within ring -> load number
    first = np.concatenate([[True], ring[1:] != ring[:-1]]) if len(ring) else np.array([], bool)
    start_pos = np.maximum.accumulate(np.where(first, np.arange(len(ring)), 0))
    within = np.arange(len(ring)) - start_pos
    key = ring.astype(np.int64) * 1_000_000 + within // load[ring]
    _, head, trip_of = np.unique(key, return_index=True, return_inverse=True)
    n_t = len(head)
    last = np.zeros(n_t, "datetime64[D]")
    np.maximum.at(last.view(np.int64), trip_of, acq.view(np.int64))
    t_ring = ring[head]
    date = last + rng.integers(1, 11, n_t).astype("timedelta64[D]")
    # decoys: ring vehicles crossing without a load
    n_decoy = int(n_t * 1.5)
    d_ring = t_ring[rng.integers(0, max(1, n_t), n_decoy)] if n_t else np.array([], np.int64)
    d_date = cfg.start64 + rng.integers(0, cfg.weeks * 7, n_decoy).astype("timedelta64[D]")
    all_ring = np.concatenate([t_ring, d_ring])
    all_date = np.concatenate([date, d_date])
    loaded = np.concatenate([np.ones(n_t, bool), np.zeros(n_decoy, bool)])
    n_guns = np.concatenate([np.bincount(trip_of, minlength=n_t), np.zeros(n_decoy, np.int64)])
    mem = rings.members
    drv = mem[mem["role"] == "driver"]
    d_ring_arr = drv["ring_idx"].to_numpy()
    d_start = np.searchsorted(d_ring_arr, np.arange(n_r))
    d_count = np.bincount(d_ring_arr, minlength=n_r)
    k = d_start[all_ring] + (rng.random(len(all_ring)) * d_count[all_ring]).astype(np.int64)
    driver = drv["person_idx"].to_numpy()[k]
    vehicle = drv["vehicle_idx"].to_numpy()[k]
    ports = rings.rings["ports"].to_numpy(object)
    port = np.array([int(rng.choice(ports[r].split("|"))) for r in all_ring], dtype=np.int64)
    trips = pd.DataFrame(
        {
            "ring_idx": all_ring,
            "date": all_date,
            "port_idx": port,
            "driver_idx": driver,
            "vehicle_idx": vehicle,
            "n_guns": n_guns,
            "loaded": loaded,
        }
    )
    trips = trips[trips["date"] < end].sort_values(["date", "ring_idx"], kind="stable")
    keep_old = trips.index.to_numpy()
    trips = trips.reset_index(drop=True)
    new_of_old = np.full(n_t + n_decoy, -1, np.int64)
    new_of_old[keep_old] = np.arange(len(keep_old))
    trips.insert(0, "trip_idx", np.arange(len(trips)))
    trips["inspected"] = rng.random(len(trips)) < cfg.value("outbound_inspection_rate")
    trips["seized"] = (
        trips["inspected"]
        & trips["loaded"]
        & (rng.random(len(trips)) < cfg.value("inspection_detection"))
    )
    gun_trip = np.full(len(guns), -1, np.int64)
    gun_trip[gidx] = new_of_old[trip_of]
    return Trips(trips, gun_trip)


def vehicle_pool(cfg: WorldConfig, port_df: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Commuter vehicles per port: returns (vehicles, start offset of each port's pool).
    Mexican plates are mostly of the state across the port (`mx_plate_home_state_share`),
    and their owners live there (`people.build(mx_state=...)`)."""
    rng = cfg.rng("vehicle_pool")
    annual = (port_df["annual_personal_vehicles"] + port_df["annual_trucks"]).to_numpy(float)
    size = np.maximum(20, annual * cfg.scale / CROSSINGS_PER_VEHICLE_YEAR).astype(np.int64)
    offset = np.concatenate([[0], np.cumsum(size)[:-1]])
    n = int(size.sum())
    port_of = np.repeat(np.arange(len(port_df)), size)
    truck_share = (port_df["annual_trucks"] / annual.clip(1)).to_numpy()
    truck = rng.random(n) < truck_share[port_of]
    country = np.where(rng.random(n) < cfg.value("mx_plate_share"), "MX", "US").astype(object)
    us_state = port_df["state_code"].to_numpy(object)[port_of]
    v = vehicles.sample(rng, n, country, us_state, truck)
    # a Mexican-plated commuter mostly comes from the twin city across the port
    twin = port_df["mx_state_code"].to_numpy(object)[port_of]
    vehicles.home_plates(rng, v, twin, cfg.value("mx_plate_home_state_share"))
    v.insert(0, "port_idx", port_of)
    return v, offset


def chunks(
    cfg: WorldConfig,
    port_df: pd.DataFrame,
    pool_offset: np.ndarray,
    pool_size: np.ndarray,
    trips: Trips,
) -> Iterator[Chunk]:
    rng = cfg.rng("crossings")
    annual = (port_df["annual_personal_vehicles"] + port_df["annual_trucks"]).to_numpy(float)
    weekly = annual * cfg.scale / 52.0
    lanes = port_df["lanes"].to_numpy(np.int64).clip(1)
    insp_rate = cfg.value("outbound_inspection_rate")
    t = trips.trips
    t_day = (t["date"].to_numpy().astype("datetime64[D]") - cfg.start64).astype(np.int64)
    number = 0
    for w0 in range(0, cfg.weeks, CHUNK_WEEKS):
        w1 = min(cfg.weeks, w0 + CHUNK_WEEKS)
        counts = rng.poisson(np.outer(np.ones(w1 - w0), weekly)).astype(np.int64)  # [weeks, ports]
        port_idx = np.repeat(np.tile(np.arange(len(port_df)), w1 - w0), counts.ravel())
        week = np.repeat(np.repeat(np.arange(w0, w1), len(port_df)), counts.ravel())
        n = len(port_idx)
        day = week * 7 + rng.integers(0, 7, n)
        u = rng.random(n)
        vehicle = pool_offset[port_idx] + np.minimum(
            (pool_size[port_idx] * u**1.6).astype(np.int64), pool_size[port_idx] - 1
        )
        trip = np.full(n, -1, np.int64)
        sel = np.flatnonzero((t_day >= w0 * 7) & (t_day < w1 * 7))
        if len(sel):
            port_idx = np.concatenate([port_idx, t["port_idx"].to_numpy()[sel]])
            day = np.concatenate([day, t_day[sel]])
            vehicle = np.concatenate([vehicle, -(t["vehicle_idx"].to_numpy()[sel] + 1)])
            trip = np.concatenate([trip, t["trip_idx"].to_numpy()[sel]])
        m = len(port_idx)
        hour = rng.choice(24, size=m, p=HOUR_SHARE)
        secs = rng.integers(0, 3600, m)
        ts = cfg.start64.astype("datetime64[s]") + (day * 86400 + hour * 3600 + secs).astype(
            "timedelta64[s]"
        )
        lane = 1 + (rng.random(m) * lanes[port_idx]).astype(np.int64)
        inspected = rng.random(m) < insp_rate
        seized = np.zeros(m, bool)
        ring_rows = trip >= 0
        inspected[ring_rows] = t["inspected"].to_numpy()[trip[ring_rows]]
        seized[ring_rows] = t["seized"].to_numpy()[trip[ring_rows]]
        o = np.lexsort((lane, port_idx, ts))
        yield Chunk(
            np.arange(number, number + m),
            ts[o],
            port_idx[o],
            lane[o],
            vehicle[o],
            trip[o],
            inspected[o],
            seized[o],
        )
        number += m
