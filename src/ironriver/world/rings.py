"""US trafficking rings, each tied to an organisation's arms-procurement cell.

A ring has a coordinator (in contact with the cell leader in Mexico), a recruiter, straw
purchasers and drivers, each with a phone; drivers have vehicles. Coordinators, recruiters
and straw purchasers live in the ring's US state (a straw purchaser buys as a resident of the
dealer's state). A driver owns the vehicle he drives: Mexican-plated for `ring_mx_plate_share`
of the drivers, chosen at random after membership, and then a Mexican resident of the plate's
state (mostly the one across a port of the ring) with a Mexican phone, as Mexican-plated
commuters are; US-plated in the ring's state otherwise. A ring works from one US
state (shares in `places.US_STATES`, after the `source_state.*` figures of
`ironriver.world.calibration.FIGURES`), buys at a few
favourite dealers there and crosses at one to three ports of the nearest border state.
Some rings are *evasive*: they buy one handgun per visit and spread visits so no dealer sees
two handguns from one buyer within five business days (F 3310.4).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ironriver.world import vehicles
from ironriver.world.config import WorldConfig
from ironriver.world.organisations import Organisations
from ironriver.world.places import US_STATES, mx_phone, trafficking_state_share, us_phone

GUNS_PER_RING_YEAR = 25.0  # within NFCTA Vol. III guns per case (16-30)
CROSSING_STATE = {
    "TX": "TX",
    "AZ": "AZ",
    "CA": "CA",
    "NM": "NM",
    "NV": "AZ",
    "CO": "NM",
    "IL": "TX",
    "FL": "TX",
    "GA": "TX",
    "OK": "TX",
    "WA": "CA",
}


@dataclass
class Rings:
    rings: (
        pd.DataFrame
    )  # ring_id, org_id, cell_id, cell_leader_idx, state, state_idx, evasive, weight, ports
    members: pd.DataFrame  # ring_id, role, person_idx, phone, vehicle_idx, mx_state (or "")
    vehicles: (
        pd.DataFrame
    )  # vehicle_idx, ring_id, owner person_idx, make, model, color, year, plate...
    dealer_prefs: pd.DataFrame  # ring_id, dealer_idx, weight
    cell_phones: pd.DataFrame  # cell_leader_idx, phone


def build(
    cfg: WorldConfig, orgs: Organisations, dealer_df: pd.DataFrame, port_df: pd.DataFrame
) -> Rings:
    from ironriver.world.dealers import pick

    rng = cfg.rng("rings")
    n = max(3, round(cfg.value("trafficked_guns_per_year") * cfg.scale / GUNS_PER_RING_YEAR))
    arms = orgs.cells[orgs.cells["function"] == "arms_procurement"].reset_index(drop=True)
    size = arms["org_id"].map(orgs.orgs.set_index("org_id")["members0"]).to_numpy(float)
    cell = rng.choice(len(arms), size=n, p=size / size.sum())
    states = list(US_STATES)
    state_idx = rng.choice(len(states), size=n, p=trafficking_state_share())
    weight = rng.gamma(2.0, 0.5, n)
    ring_ids = [f"R{k:05d}" for k in range(n)]
    port_state = port_df["state_code"].to_numpy(object)
    port_share = port_df["share"].to_numpy(float)
    ring_ports = []
    for s in state_idx:
        cand = np.flatnonzero(port_state == CROSSING_STATE[states[s]])
        w = port_share[cand] / port_share[cand].sum()
        k = min(len(cand), int(rng.integers(1, 4)))
        ring_ports.append(
            "|".join(str(p) for p in np.sort(rng.choice(cand, size=k, replace=False, p=w)))
        )
    rings = pd.DataFrame(
        {
            "ring_id": ring_ids,
            "org_id": arms["org_id"].to_numpy(object)[cell],
            "cell_id": arms["cell_id"].to_numpy(object)[cell],
            "cell_leader_idx": arms["leader_idx"].to_numpy(np.int64)[cell],
            "state": np.array(states, dtype=object)[state_idx],
            "state_idx": state_idx,
            "evasive": rng.random(n) < cfg.value("evasive_ring_share"),
            "weight": weight,
            "ports": ring_ports,
            "investigated": rng.random(n) < 0.3,
        }
    )
    n_straw = 2 + rng.poisson(3.0, n)
    n_drivers = 1 + rng.poisson(0.7, n)
    roles: list[np.ndarray] = []
    ring_of: list[np.ndarray] = []
    for k in range(n):
        r = (
            ["coordinator", "recruiter"]
            + ["straw_purchaser"] * int(n_straw[k])
            + ["driver"] * int(n_drivers[k])
        )
        roles.append(np.array(r, dtype=object))
        ring_of.append(np.full(len(r), k))
    role = np.concatenate(roles)
    ring_idx = np.concatenate(ring_of)
    m = len(role)
    members = pd.DataFrame(
        {
            "ring_idx": ring_idx,
            "ring_id": np.array(ring_ids, dtype=object)[ring_idx],
            "role": role,
            "person_idx": np.arange(m),
            "phone": us_phone(rng, state_idx[ring_idx]),
        }
    )
    drivers = np.flatnonzero(role == "driver")
    # residence is drawn from a stream of its own, after membership: it decides nothing
    home = cfg.rng("rings:residence")
    country = vehicles.plate_countries(home, len(drivers), cfg.value("ring_mx_plate_share"))
    veh = vehicles.sample(
        rng,
        len(drivers),
        country,
        np.array(states, dtype=object)[state_idx[ring_idx[drivers]]],
    )
    mexican = country == "MX"
    twin = port_df["mx_state_code"].to_numpy(object)[_a_port(home, ring_ports, ring_idx[drivers])]
    vehicles.home_plates(home, veh, twin, cfg.value("mx_plate_home_state_share"))
    members.loc[drivers[mexican], "phone"] = mx_phone(home, int(mexican.sum()))
    mx_state = np.full(m, "", dtype=object)
    mx_state[drivers[mexican]] = veh["plate_state"].to_numpy(object)[mexican]
    members["mx_state"] = mx_state
    veh.insert(0, "vehicle_idx", np.arange(len(drivers)))
    veh.insert(1, "ring_id", members["ring_id"].to_numpy(object)[drivers])
    veh.insert(2, "owner_idx", drivers)
    vidx = np.full(m, -1, np.int64)
    vidx[drivers] = np.arange(len(drivers))
    members["vehicle_idx"] = vidx
    # favourite dealers: 1-4 per ring in its state, drawn by traffickers' preference
    n_pref = rng.integers(1, 5, n)
    pref_ring = np.repeat(np.arange(n), n_pref)
    pref_dealer = pick(rng, dealer_df, state_idx[pref_ring], "traffic_weight")
    prefs = pd.DataFrame(
        {
            "ring_idx": pref_ring,
            "dealer_idx": pref_dealer,
            "weight": rng.gamma(1.0, 1.0, len(pref_ring)),
        }
    )
    prefs = prefs.groupby(["ring_idx", "dealer_idx"], as_index=False).agg(weight=("weight", "sum"))
    leaders = np.unique(rings["cell_leader_idx"].to_numpy())
    cell_phones = pd.DataFrame({"cell_leader_idx": leaders, "phone": mx_phone(rng, len(leaders))})
    return Rings(rings, members, veh, prefs, cell_phones)


def _a_port(rng: np.random.Generator, ring_ports: list[str], ring: np.ndarray) -> np.ndarray:
    """One of its ring's ports (port_df row) per entry of `ring`, at random."""
    ports = [ring_ports[r].split("|") for r in ring]
    pick = (rng.random(len(ports)) * np.array([len(p) for p in ports])).astype(np.int64)
    return np.array([int(p[k]) for p, k in zip(ports, pick, strict=True)], dtype=np.int64)
