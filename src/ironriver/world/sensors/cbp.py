"""CBP: outbound crossings, plate reads, inspections and seizure reports.

What CBP sees: every southbound vehicle passes a lane with a licence-plate reader (since
2009 on all outbound lanes); the reader misses some plates and misreads a few characters.
The crossing log keeps port, lane, time and vehicle class. A few crossings are inspected;
the inspection record names the driver (from the document shown) and the vehicle; an
inspection that finds guns produces a seizure report listing each firearm.

Crossings and plate reads are streamed chunk by chunk: at scale 1 they are tens of millions
of rows and never all in memory.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ironriver.world import crossings, noise, people
from ironriver.world.sensors.common import (
    US_FORM_NOISE,
    fmt_dates,
    ledger_spec,
    lookup,
    noisy_names,
    records,
    us_last_name,
)
from ironriver.world.writer import CsvStream, write_csv, write_yaml

if TYPE_CHECKING:
    from ironriver.world.config import WorldPaths
    from ironriver.world.generate import World

AGENCY = "cbp"
TS = "%Y-%m-%d %H:%M:%S"


def _ids(prefix: str, nums: np.ndarray, width: int) -> pa.Array:
    s = pc.utf8_lpad(pc.cast(pa.array(nums, pa.int64()), pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(pa.scalar(prefix), s, "")


def write(world: World, paths: WorldPaths) -> list[pd.DataFrame]:
    cfg = world.cfg
    rng = cfg.rng("sensor:cbp")
    out = paths.agency(AGENCY)
    port_df = world.port_df
    pool = world.pool
    rv = world.rings.vehicles
    n_pool = len(pool)
    plate_all = np.concatenate([pool["plate"].to_numpy(object), rv["plate"].to_numpy(object)])
    pstate_all = np.concatenate(
        [pool["plate_state"].to_numpy(object), rv["plate_state"].to_numpy(object)]
    )
    truck_all = np.concatenate([pool["body"].to_numpy(object) == "truck", np.zeros(len(rv), bool)])
    # each plate's likely misreading (O/0, I/1, S/5, B/8), chosen per read below
    plate_alt, _ = noise.serial_misread(rng, plate_all, 1.0)
    plate_arr = pa.array(plate_all, pa.string())
    plate_alt_arr = pa.array(plate_alt, pa.string())
    pstate_arr = pa.array(pstate_all, pa.string())
    trips = world.trips.trips
    trip_driver = pa.array(people.person_ids("ring", trips["driver_idx"].to_numpy()), pa.string())
    codes = port_df["code"].astype(str).to_numpy(object)
    names = port_df["port"].to_numpy(object)
    codes_arr = pa.array(codes, pa.string())
    names_arr = pa.array(names, pa.string())
    width = int(port_df["lanes"].max()) + 1
    cams = pa.array([f"{c}-OB-{lane:02d}" for c in codes for lane in range(width)], pa.string())
    vclass = pa.array(["POV", "TRK"], pa.string())
    constants = pa.array(["us_cbp_outbound_crossings", "us_cbp_plate_reads", ""], pa.string())
    world.trip_crossing = np.full(len(trips), -1, np.int64)
    xs = CsvStream(out / "outbound_crossings.csv")
    lpr = CsvStream(out / "plate_reads.csv")
    truth_stream = world.records_stream
    inspected: list[pd.DataFrame] = []
    read_rate = cfg.value("lpr_read_rate")
    for ch in crossings.chunks(cfg, port_df, world.pool_offset, world.pool_size, world.trips):
        m = len(ch.number)
        vrow = np.where(ch.vehicle >= 0, ch.vehicle, n_pool + (-ch.vehicle - 1))
        ring_rows = ch.trip_idx >= 0
        world.trip_crossing[ch.trip_idx[ring_rows]] = ch.number[ring_rows]
        xid = _ids("X", ch.number, 10)
        read = rng.random(m) < read_rate
        rid = _ids("L", ch.number, 10)
        ts_text = pc.cast(pa.array(ch.ts.astype("datetime64[s]")), pa.string())
        xs.write(
            pa.table(
                {
                    "CROSSING_ID": xid,
                    "PORT_CODE": codes_arr.take(ch.port_idx),
                    "PORT_NAME": names_arr.take(ch.port_idx),
                    "LANE": pa.array(ch.lane, pa.int64()),
                    "CROSSING_DT": ts_text,
                    "VEHICLE_CLASS": vclass.take(truck_all[vrow].astype(np.int8)),
                    "LPR_READ_ID": pc.if_else(pa.array(read), rid, pa.scalar("")),
                }
            )
        )
        r = np.flatnonzero(read)
        vr = vrow[r]
        bad = pa.array(rng.random(len(r)) < 0.02)
        plate = pc.if_else(bad, plate_alt_arr.take(vr), plate_arr.take(vr))
        pstate = pc.if_else(pa.array(rng.random(len(r)) < 0.05), pa.scalar(""), pstate_arr.take(vr))
        conf = np.round(0.7 + 0.3 * rng.random(len(r)), 2)
        rr = pa.array(r, pa.int64())
        lpr.write(
            pa.table(
                {
                    "READ_ID": rid.take(rr),
                    "CAMERA_ID": cams.take(ch.port_idx[r] * width + ch.lane[r]),
                    "READ_DT": ts_text.take(rr),
                    "PLATE": plate,
                    "PLATE_STATE": pstate,
                    "CONFIDENCE": pa.array(conf, pa.float64()),
                }
            )
        )
        pool_rows = pa.array(ch.vehicle >= 0)
        vid_arr = pc.if_else(
            pool_rows, _ids("V", np.maximum(ch.vehicle, 0), 8), _ids("RV", -ch.vehicle - 1, 6)
        )
        pid_arr = pc.if_else(
            pool_rows,
            _ids("DRV", np.maximum(ch.vehicle, 0), 8),
            trip_driver.take(np.maximum(ch.trip_idx, 0)) if len(trips) else pa.scalar(""),
        )
        empty = constants.take(np.full(m, 2))
        truth_stream.write(
            pa.table(
                {
                    "dataset": constants.take(np.zeros(m, np.int64)),
                    "record_id": xid,
                    "person_id": pid_arr,
                    "gun_id": empty,
                    "vehicle_id": vid_arr,
                }
            )
        )
        truth_stream.write(
            pa.table(
                {
                    "dataset": constants.take(np.ones(len(r), np.int64)),
                    "record_id": rid.take(rr),
                    "person_id": pid_arr.take(rr),
                    "gun_id": empty.take(rr),
                    "vehicle_id": vid_arr.take(rr),
                }
            )
        )
        i = np.flatnonzero(ch.inspected)
        vid = np.asarray(vid_arr.take(pa.array(i, pa.int64())).to_pylist(), dtype=object)
        pid = np.asarray(pid_arr.take(pa.array(i, pa.int64())).to_pylist(), dtype=object)
        inspected.append(
            pd.DataFrame(
                {
                    "number": ch.number[i],
                    "ts": ch.ts[i],
                    "port_idx": ch.port_idx[i],
                    "lane": ch.lane[i],
                    "vrow": vrow[i],
                    "vehicle_id": vid,
                    "person_id": pid,
                    "trip_idx": ch.trip_idx[i],
                    "seized": ch.seized[i],
                }
            )
        )
    xs.close()
    lpr.close()
    insp = pd.concat(inspected, ignore_index=True)
    recs = _inspections(world, paths, insp, rng, plate_all, pstate_all, codes, names)
    write_yaml(_mapping(), out / "mapping.yaml")
    return recs


def _inspections(
    world: World,
    paths: WorldPaths,
    insp: pd.DataFrame,
    rng: np.random.Generator,
    plate_all: np.ndarray,
    pstate_all: np.ndarray,
    codes: np.ndarray,
    names: np.ndarray,
) -> list[pd.DataFrame]:
    cfg = world.cfg
    out = paths.agency(AGENCY)
    # every commuter vehicle's driver (its owner, DRV + pool row) is a person of the world: the
    # crossings, plate reads and vehicles name them all, so the truth must hold them all
    pool_idx = np.arange(len(world.pool))
    plate_state = world.pool["plate_state"].to_numpy(object)
    mexican = world.pool["plate_country"].to_numpy(object) == "MX"
    drivers = people.build(
        cfg,
        "driver",
        pool_idx,
        0.0,
        _state_idx(np.where(mexican, "", plate_state)),
        mx_state=np.where(mexican, plate_state, "").astype(object),
    )
    world.persons = pd.concat([world.persons, drivers], ignore_index=True)
    vrow = insp["vrow"].to_numpy()
    who = lookup(world.persons, insp["person_id"].to_numpy(object))
    nm = noisy_names(rng, who, US_FORM_NOISE)
    veh = (
        pd.concat(
            [
                world.pool.drop(columns="port_idx"),
                world.rings.vehicles.drop(columns=["vehicle_idx", "ring_id", "owner_idx"]),
            ],
            ignore_index=True,
        )
        .iloc[vrow]
        .reset_index(drop=True)
    )
    iid = np.array([f"INS{n:010d}" for n in insp["number"]], dtype=object)
    xid = np.array([f"X{n:010d}" for n in insp["number"]], dtype=object)
    frame = pd.DataFrame(
        {
            "INSPECTION_ID": iid,
            "CROSSING_ID": xid,
            "PORT_CODE": codes[insp["port_idx"].to_numpy()],
            "PORT_NAME": names[insp["port_idx"].to_numpy()],
            "LANE": insp["lane"].to_numpy(),
            "INSPECTION_DT": fmt_dates(insp["ts"].to_numpy(), TS),
            "PLATE": plate_all[vrow],
            "PLATE_STATE": pstate_all[vrow],
            "VEHICLE_MAKE": veh["make"].to_numpy(object),
            "VEHICLE_MODEL": veh["model"].to_numpy(object),
            "VEHICLE_COLOR": veh["color"].to_numpy(object),
            "DRIVER_LAST": us_last_name(nm),
            "DRIVER_FIRST": nm["given_names"].to_numpy(object),
            "DRIVER_DOB": fmt_dates(who["birth_date"].to_numpy(), "%m/%d/%Y"),
            "RESULT": np.where(insp["seized"].to_numpy(bool), "SEIZURE", "NEGATIVE"),
        }
    )
    write_csv(frame, out / "inspections.csv")
    world.inspections = insp.assign(inspection_id=iid)
    recs = [
        records(
            "us_cbp_inspections",
            iid,
            insp["person_id"].to_numpy(object),
            vehicle_id=insp["vehicle_id"].to_numpy(object),
        )
    ]
    # seizure reports: one row per seized firearm
    seized = np.flatnonzero(insp["seized"].to_numpy(bool))
    gun_trip = world.trips.gun_trip
    rows: list[dict[str, Any]] = []
    guns = world.guns
    for k, i in enumerate(seized):
        t = int(insp["trip_idx"].to_numpy()[i])
        for item, g in enumerate(np.flatnonzero(gun_trip == t)):
            rows.append({"i": i, "gun": g, "item": item + 1, "no": k})
    s = pd.DataFrame(rows, columns=["i", "gun", "item", "no"])
    gi = s["gun"].to_numpy(np.int64)
    ii = s["i"].to_numpy(np.int64)
    serial, _ = noise.serial_misread(rng, guns["serial"].to_numpy(object)[gi], 0.02)
    year = insp["ts"].to_numpy().astype("datetime64[Y]").astype(int)[ii] + 1970
    seizure_no = np.array(
        [
            f"{y}-{c}-{n:05d}"
            for y, c, n in zip(year, frame["PORT_CODE"].to_numpy(object)[ii], s["no"], strict=True)
        ],
        dtype=object,
    )
    sz = pd.DataFrame(
        {
            "SEIZURE_NO": seizure_no,
            "ITEM_NO": s["item"].to_numpy(),
            "INSPECTION_ID": iid[ii],
            "SEIZURE_DATE": fmt_dates(insp["ts"].to_numpy()[ii], "%m/%d/%Y"),
            "PORT_CODE": frame["PORT_CODE"].to_numpy(object)[ii],
            "PORT_NAME": frame["PORT_NAME"].to_numpy(object)[ii],
            "DRIVER_LAST": frame["DRIVER_LAST"].to_numpy(object)[ii],
            "DRIVER_FIRST": frame["DRIVER_FIRST"].to_numpy(object)[ii],
            "DRIVER_DOB": frame["DRIVER_DOB"].to_numpy(object)[ii],
            "PLATE": frame["PLATE"].to_numpy(object)[ii],
            "PLATE_STATE": frame["PLATE_STATE"].to_numpy(object)[ii],
            "VEHICLE_MAKE": frame["VEHICLE_MAKE"].to_numpy(object)[ii],
            "VEHICLE_MODEL": frame["VEHICLE_MODEL"].to_numpy(object)[ii],
            "FIREARM_MAKE": guns["maker"].to_numpy(object)[gi],
            "FIREARM_MODEL": guns["model"].to_numpy(object)[gi],
            "FIREARM_SERIAL": serial,
            "FIREARM_TYPE": guns["type"].to_numpy(object)[gi],
            "FIREARM_CALIBER": guns["caliber"].to_numpy(object)[gi],
        }
    )
    write_csv(sz, out / "seizures.csv")
    recs.append(
        records(
            "us_cbp_seizures",
            seizure_no + "/" + s["item"].astype(str).to_numpy(object),
            insp["person_id"].to_numpy(object)[ii],
            guns["gun_id"].to_numpy(object)[gi],
            insp["vehicle_id"].to_numpy(object)[ii],
        )
    )
    return recs


def _state_idx(plate_state: np.ndarray) -> np.ndarray:
    """US state index for a US plate state (0 for none: a Mexican plate's owner lives in
    Mexico, `people.build(mx_state=...)`)."""
    from ironriver.world.places import US_STATES

    idx = pd.Index(list(US_STATES)).get_indexer(pd.Index(plate_state))
    return np.where(idx < 0, 0, idx).astype(np.int64)


def _mapping() -> dict[str, Any]:
    base = {
        "agency": "CBP",
        "country": "US",
        "marking": "AMBER",
        # every traveller's crossing, plate read and inspection stays in the US; a seizure of
        # guns bound for Mexico is case information shared with Mexico (docs/policy.md)
        "releasable_to": ["US"],
        "legal_basis": "19 U.S.C. 1581, 1582; 31 U.S.C. 5317 (outbound enforcement)",
    }
    return {
        "us_cbp_outbound_crossings": {
            "title": "Southbound crossings at US land ports (outbound lanes)",
            **base,
            "queries": [
                {
                    "csv_url": "outbound_crossings.csv",
                    "ledger": ledger_spec(
                        "outbound_crossings",
                        {
                            "record_id": ("CROSSING_ID", "string", None),
                            "port_code": ("PORT_CODE", "string", None),
                            "port": ("PORT_NAME", "string", None),
                            "lane": ("LANE", "integer", None),
                            "crossed_at": ("CROSSING_DT", "timestamp", TS),
                            "vehicle_class": ("VEHICLE_CLASS", "string", None),
                            "plate_read_id": ("LPR_READ_ID", "string", None),
                        },
                    ),
                }
            ],
        },
        "us_cbp_plate_reads": {
            "title": "Outbound licence-plate reads",
            **base,
            "queries": [
                {
                    "csv_url": "plate_reads.csv",
                    "ledger": ledger_spec(
                        "plate_reads",
                        {
                            "record_id": ("READ_ID", "string", None),
                            "camera_id": ("CAMERA_ID", "string", None),
                            "read_at": ("READ_DT", "timestamp", TS),
                            "plate": ("PLATE", "string", None),
                            "plate_state": ("PLATE_STATE", "string", None),
                            "confidence": ("CONFIDENCE", "float", None),
                        },
                    ),
                }
            ],
        },
        "us_cbp_inspections": {
            "title": "Outbound inspections",
            **base,
            "queries": [
                {
                    "csv_url": "inspections.csv",
                    "ledger": ledger_spec(
                        "inspections",
                        {
                            "record_id": ("INSPECTION_ID", "string", None),
                            "crossing_id": ("CROSSING_ID", "string", None),
                            "port_code": ("PORT_CODE", "string", None),
                            "port": ("PORT_NAME", "string", None),
                            "lane": ("LANE", "integer", None),
                            "inspected_at": ("INSPECTION_DT", "timestamp", TS),
                            "plate": ("PLATE", "string", None),
                            "plate_state": ("PLATE_STATE", "string", None),
                            "vehicle_make": ("VEHICLE_MAKE", "string", None),
                            "vehicle_model": ("VEHICLE_MODEL", "string", None),
                            "vehicle_color": ("VEHICLE_COLOR", "string", None),
                            "driver_last_name": ("DRIVER_LAST", "string", None),
                            "driver_first_name": ("DRIVER_FIRST", "string", None),
                            "driver_dob": ("DRIVER_DOB", "date", "%m/%d/%Y"),
                            "result": ("RESULT", "string", None),
                        },
                    ),
                }
            ],
        },
        "us_cbp_seizures": {
            "title": "Outbound seizure reports (firearms)",
            **base,
            "releasable_to": ["US", "MX"],
            "queries": [
                {
                    "csv_url": "seizures.csv",
                    "entities": {
                        "driver": {
                            "schema": "Individual",
                            "keys": ["SEIZURE_NO", "DRIVER_LAST", "DRIVER_FIRST"],
                            "properties": {
                                "firstName": {"column": "DRIVER_FIRST"},
                                "lastName": {"column": "DRIVER_LAST"},
                                "name": {"columns": ["DRIVER_FIRST", "DRIVER_LAST"], "join": " "},
                                "birthDate": {"column": "DRIVER_DOB", "format": "%m/%d/%Y"},
                            },
                        },
                        "vehicle": {
                            "schema": "Vehicle",
                            "keys": ["PLATE", "PLATE_STATE"],
                            "properties": {
                                "registrationNumber": {"column": "PLATE"},
                                "name": {"columns": ["VEHICLE_MAKE", "VEHICLE_MODEL"], "join": " "},
                                "model": {"column": "VEHICLE_MODEL"},
                            },
                        },
                        "firearm": {
                            "schema": "Firearm",
                            "keys": ["FIREARM_SERIAL", "FIREARM_MAKE", "FIREARM_MODEL"],
                            "properties": {
                                "serialNumber": {"column": "FIREARM_SERIAL"},
                                "make": {"column": "FIREARM_MAKE"},
                                "model": {"column": "FIREARM_MODEL"},
                                "caliber": {"column": "FIREARM_CALIBER"},
                                "weaponType": {"column": "FIREARM_TYPE"},
                            },
                        },
                        "crossing": {
                            "schema": "BorderCrossing",
                            "keys": ["INSPECTION_ID"],
                            "properties": {
                                "port": {"column": "PORT_NAME"},
                                "portCode": {"column": "PORT_CODE"},
                                "direction": {"literal": "southbound"},
                                "startDate": {"column": "SEIZURE_DATE", "format": "%m/%d/%Y"},
                                "vehicle": {"entity": "vehicle"},
                                "driver": {"entity": "driver"},
                                "inspected": {"literal": "yes"},
                                "outcome": {"literal": "seizure"},
                            },
                        },
                        "seizure": {
                            "schema": "Recovery",
                            "keys": ["SEIZURE_NO", "ITEM_NO"],
                            "key_literal": "seizure",
                            "properties": {
                                "firearm": {"entity": "firearm"},
                                "possessor": {"entity": "driver"},
                                "recoveringAgency": {"literal": "CBP"},
                                "caseNumber": {"column": "SEIZURE_NO"},
                                "date": {"column": "SEIZURE_DATE", "format": "%m/%d/%Y"},
                                "place": {"column": "PORT_NAME"},
                                "circumstance": {"literal": "outbound inspection"},
                                "country": {"literal": "us"},
                            },
                        },
                    },
                }
            ],
        },
    }
