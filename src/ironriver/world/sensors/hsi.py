"""HSI/ATF case files on trafficking rings: subjects, phones, vehicles and links.

About a third of the rings are under investigation. A case file lists the subjects the
investigators identified (most of the ring, not all), each with name as found in records,
date of birth when known, alias, phone, city and vehicle; the ring's Mexican contact appears
only by alias and phone number (the arms-procurement cell leader). Links record who works
with whom and phone contact.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ironriver.world import people
from ironriver.world.sensors.common import (
    US_FORM_NOISE,
    fmt_dates,
    lookup,
    noisy_names,
    records,
    us_last_name,
)
from ironriver.world.writer import write_csv, write_yaml

if TYPE_CHECKING:
    from ironriver.world.config import WorldPaths
    from ironriver.world.generate import World

AGENCY = "hsi"


def write(world: World, paths: WorldPaths) -> list[pd.DataFrame]:
    rng = world.cfg.rng("sensor:hsi")
    out = paths.agency(AGENCY)
    rings = world.rings.rings
    mem = world.rings.members
    inv = np.flatnonzero(rings["investigated"].to_numpy(bool))
    m = mem[np.isin(mem["ring_idx"].to_numpy(), inv)].reset_index(drop=True)
    seen_p = np.where(m["role"].to_numpy() == "coordinator", 0.9, 0.75)
    m = m[rng.random(len(m)) < seen_p].reset_index(drop=True)
    pid = people.person_ids("ring", m["person_idx"].to_numpy())
    who = lookup(world.persons, pid)
    nm = noisy_names(rng, who, US_FORM_NOISE)
    veh = world.rings.vehicles
    vrow = m["vehicle_idx"].to_numpy()
    has_v = vrow >= 0
    plate = np.where(has_v, veh["plate"].to_numpy(object)[np.maximum(vrow, 0)], "")
    vmake = np.where(has_v, veh["make"].to_numpy(object)[np.maximum(vrow, 0)], "")
    vmodel = np.where(has_v, veh["model"].to_numpy(object)[np.maximum(vrow, 0)], "")
    year = world.cfg.start.year
    case_no = np.array([f"HSI-{year}-{r:05d}" for r in m["ring_idx"]], dtype=object)
    subj = m.groupby("ring_idx").cumcount().to_numpy() + 1
    subject_no = np.array([f"S{s:02d}" for s in subj], dtype=object)
    dob = fmt_dates(who["birth_date"].to_numpy(), "%m/%d/%Y")
    dob[rng.random(len(dob)) < 0.2] = ""
    org_name = world.orgs.orgs.set_index("org_id")["short_name"]
    sus_org = rings["org_id"].map(org_name).to_numpy(object)[m["ring_idx"].to_numpy()]
    frame = pd.DataFrame(
        {
            "CASE_NO": case_no,
            "SUBJECT_NO": subject_no,
            "ROLE_ASSESSED": m["role"].str.replace("_", " ").to_numpy(object),
            "LAST_NAME": us_last_name(nm),
            "FIRST_NAME": nm["given_names"].to_numpy(object),
            "DOB": dob,
            "ALIAS": nm["nickname"].to_numpy(object),
            "PHONE": m["phone"].to_numpy(object),
            "CITY": who["city"].to_numpy(object),
            # a Mexican-resident driver's state is a Mexican state's name ("Tijuana, Baja
            # California")
            "STATE": np.where(who["country"] == "MX", who["mx_state"], who["us_state"]),
            "PLATE": plate,
            "VEHICLE_MAKE": vmake,
            "VEHICLE_MODEL": vmodel,
            "SUSPECTED_ORG": sus_org,
        }
    )
    # the Mexican contact of each case, by alias and phone only
    cases = np.unique(m["ring_idx"].to_numpy())
    leader = rings["cell_leader_idx"].to_numpy()[cases]
    leader_pid = people.person_ids("member", leader)
    lp = lookup(world.persons, leader_pid)
    phones = world.rings.cell_phones.set_index("cell_leader_idx")["phone"]
    contact = pd.DataFrame(
        {
            "CASE_NO": np.array([f"HSI-{year}-{r:05d}" for r in cases], dtype=object),
            "SUBJECT_NO": "MX1",
            "ROLE_ASSESSED": "source of supply (Mexico)",
            "LAST_NAME": "",
            "FIRST_NAME": "",
            "DOB": "",
            "ALIAS": np.where(
                lp["nickname"].to_numpy(object) != "", lp["nickname"].to_numpy(object), "UNKNOWN"
            ),
            "PHONE": phones.reindex(leader).to_numpy(object),
            "CITY": "",
            "STATE": "",
            "PLATE": "",
            "VEHICLE_MAKE": "",
            "VEHICLE_MODEL": "",
            "SUSPECTED_ORG": rings["org_id"].map(org_name).to_numpy(object)[cases],
        }
    )
    frame = pd.concat([frame, contact], ignore_index=True).sort_values(
        ["CASE_NO", "SUBJECT_NO"], ignore_index=True
    )
    frame["NAME"] = np.where(
        frame["LAST_NAME"] != "", frame["FIRST_NAME"] + " " + frame["LAST_NAME"], frame["ALIAS"]
    )
    write_csv(frame, out / "case_subjects.csv")
    truth_pid = pd.Series(
        np.concatenate([pid, leader_pid]),
        index=np.concatenate(
            [case_no + "/" + subject_no, contact["CASE_NO"].to_numpy(object) + "/MX1"]
        ),
    )
    rec_id = (frame["CASE_NO"] + "/" + frame["SUBJECT_NO"]).to_numpy(object)
    # links: every identified subject works with the coordinator; coordinator calls Mexico
    links = []
    for case, grp in frame.groupby("CASE_NO", sort=True):
        roles = grp["ROLE_ASSESSED"].to_numpy(object)
        subs = grp["SUBJECT_NO"].to_numpy(object)
        hub = subs[roles == "coordinator"][0] if (roles == "coordinator").any() else subs[0]
        for s in subs:
            if s == hub:
                continue
            kind = "phone contact" if s == "MX1" else "associate"
            links.append((case, hub, s, kind, int(rng.integers(1, 60))))
    lk = pd.DataFrame(
        links, columns=["CASE_NO", "FROM_SUBJECT", "TO_SUBJECT", "LINK_TYPE", "CONTACTS"]
    )
    write_csv(lk, out / "case_links.csv")
    # formatted per row: np.char.zfill fails on an empty array (a tiny world with no HSI case)
    vid = np.array([f"RV{v:06d}" if v >= 0 else "" for v in vrow], dtype=object)
    vtruth = pd.Series(vid, index=case_no + "/" + subject_no)
    write_yaml(_mapping(), out / "mapping.yaml")
    return [
        records(
            "us_hsi_cases",
            rec_id,
            truth_pid.reindex(rec_id).fillna("").to_numpy(object),
            vehicle_id=vtruth.reindex(rec_id).fillna("").to_numpy(object),
        )
    ]


def _mapping() -> dict[str, Any]:
    return {
        "us_hsi_cases": {
            "title": "HSI/ATF case files on firearms trafficking rings",
            "agency": "HSI",
            "country": "US",
            "marking": "AMBER+STRICT",
            "releasable_to": ["HSI", "ATF", "FGR"],
            "legal_basis": "18 U.S.C. 554, 922, 924, 932-933 (Bipartisan Safer Communities Act)",
            "queries": [
                {
                    "csv_url": "case_subjects.csv",
                    # HSI's forms write UNKNOWN for a Mexican contact known by phone only:
                    # read as no value, not as a person named "UNKNOWN" (docs/mapping.md)
                    "null_values": ["UNKNOWN"],
                    "entities": {
                        "subject": {
                            "schema": "Individual",
                            "keys": ["CASE_NO", "SUBJECT_NO"],
                            "properties": {
                                "name": {"column": "NAME"},
                                "firstName": {"column": "FIRST_NAME"},
                                "lastName": {"column": "LAST_NAME"},
                                "alias": {"column": "ALIAS"},
                                "birthDate": {"column": "DOB", "format": "%m/%d/%Y"},
                                "phone": {"column": "PHONE"},
                                "address": {"columns": ["CITY", "STATE"], "join": ", "},
                                "position": {"column": "ROLE_ASSESSED"},
                            },
                        },
                        "phone": {
                            "schema": "Phone",
                            "keys": ["PHONE"],
                            "properties": {
                                "number": {"column": "PHONE"},
                                "user": {"entity": "subject"},
                            },
                        },
                        "vehicle": {
                            "schema": "Vehicle",
                            "keys": ["PLATE"],
                            "properties": {
                                "registrationNumber": {"column": "PLATE"},
                                "model": {"column": "VEHICLE_MODEL"},
                                "name": {"columns": ["VEHICLE_MAKE", "VEHICLE_MODEL"], "join": " "},
                                "operator": {"entity": "subject"},
                            },
                        },
                        "org": {
                            "schema": "Organization",
                            "keys": ["SUSPECTED_ORG"],
                            "properties": {"name": {"column": "SUSPECTED_ORG"}},
                        },
                        "membership": {
                            "schema": "Membership",
                            "keys": ["CASE_NO", "SUBJECT_NO", "SUSPECTED_ORG"],
                            "key_literal": "membership",
                            "properties": {
                                "member": {"entity": "subject"},
                                "organization": {"entity": "org"},
                                "role": {"column": "ROLE_ASSESSED"},
                                "status": {"literal": "suspected"},
                            },
                        },
                    },
                },
                {
                    "csv_url": "case_links.csv",
                    "entities": {
                        "a": {
                            "schema": "Individual",
                            "keys": ["CASE_NO", "FROM_SUBJECT"],
                            "properties": {},
                        },
                        "b": {
                            "schema": "Individual",
                            "keys": ["CASE_NO", "TO_SUBJECT"],
                            "properties": {},
                        },
                        "link": {
                            "schema": "Associate",
                            "keys": ["CASE_NO", "FROM_SUBJECT", "TO_SUBJECT"],
                            "key_literal": "link",
                            "properties": {
                                "person": {"entity": "a"},
                                "associate": {"entity": "b"},
                                "relationship": {"column": "LINK_TYPE"},
                                "description": {"column": "CONTACTS"},
                            },
                        },
                    },
                },
            ],
        }
    }
