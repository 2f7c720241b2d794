"""Criminal organisations in Mexico: groups, hierarchy, cells, alliances and rivalries.

Groups come from the BACRIM 2020 network (150 groups, alliances, rivalries; CC0, shipped in
`data/cartel_network`). Initial sizes follow Prieto-Curiel et al. (2023): members split by
1/rank, rank by total alliance + rivalry weight, 175,000 members at scale 1 (CJNG ~17.9%).

Groups the network names after a person (a personal name, or one person's alias: "Célula
liderada por ...", "El Chepe") get a neutral synthetic label (`NEUTRAL_LABEL`) in everything
the world writes: generated records never attribute synthetic members, arrests or plazas to
a real individual. The shipped network files stay as published.

Each organisation with enough members has a leader, regional bosses, plaza bosses (each
plaza a municipality), and cells of 6-15 by function (gunmen, lookouts, logistics, finance,
arms procurement). Membership changes over time live in `dynamics.py`; this module builds
the structure at week 0.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd

from ironriver.world.config import WorldConfig
from ironriver.world.places import MX_PLACES, mx_municipality

FUNCTIONS = np.array(["gunmen", "lookouts", "logistics", "finance", "arms_procurement"])
FUNCTION_WEIGHTS = np.array([0.45, 0.25, 0.13, 0.05, 0.12])
MIN_MEMBERS = 3  # smaller groups are dropped (a leader, a regional and a plaza boss)


# BACRIM 2020 nodes named after an individual (full or partial personal name, or the alias of
# one person); organisation names of public record (CJNG, Los Zetas, family cartels such as
# the Arellano Félix) keep their names.
PERSON_NAMED = frozenset(
    {
        "N10002", "N10016", "N10033", "N10034", "N10036", "N10039", "N10040", "N10041",
        "N10042", "N10043", "N10044", "N10045", "N10046", "N10047", "N10048", "N10049",
        "N10050", "N10051", "N10052", "N10053", "N10054", "N10056", "N10062", "N10064",
        "N10065", "N10067", "N10068", "N10071", "N10074", "N10077", "N10078", "N10082",
        "N10135", "N10140", "N10141", "N10142",
    }
)  # fmt: skip
NEUTRAL_LABEL = "Grupo delictivo {number}"
NEUTRAL_SHORT = "GD-{number}"


def _read(name: str) -> list[dict[str, str]]:
    ref = resources.files("ironriver.world") / "data" / "cartel_network" / name
    text = ref.read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


@dataclass
class Organisations:
    orgs: pd.DataFrame  # org_id, name, short_name, state, rank, members0
    relations: pd.DataFrame  # org_a, org_b, kind (alliance|rivalry), weight
    structure: pd.DataFrame  # one row per position: person_idx, org_id, role, cell_id...
    cells: pd.DataFrame  # cell_id, org_id, function, plaza_id, leader_idx
    plazas: pd.DataFrame  # plaza_id, org_id, mx_state, municipality, boss_idx, region


def neutral_labels(frame: pd.DataFrame, ids: str, name: str, short: str) -> pd.DataFrame:
    """`frame` with its groups named after a person (`PERSON_NAMED`, by the node id in
    column `ids`) given neutral labels in its `name` and `short` columns; others as they
    are."""
    out = frame.copy()
    node = out[ids].astype(str)
    named = node.isin(PERSON_NAMED)
    number = node.str.lstrip("N")
    out.loc[named, name] = [NEUTRAL_LABEL.format(number=k) for k in number[named]]
    out.loc[named, short] = [NEUTRAL_SHORT.format(number=k) for k in number[named]]
    return out


def load_network() -> tuple[pd.DataFrame, pd.DataFrame]:
    nodes = _read("BACRIM2020_Nodes.csv")
    orgs = pd.DataFrame(
        {
            "org_id": [n["Node"] for n in nodes],
            "name": [n["Group"] for n in nodes],
            "short_name": [n["ShortName"] for n in nodes],
            "state": [n["State"] for n in nodes],
        }
    )
    orgs = neutral_labels(orgs, "org_id", "name", "short_name")
    rel = []
    for kind, fname in (
        ("alliance", "BACRIM2020_Alliances.csv"),
        ("rivalry", "BACRIM2020_Rivals.csv"),
    ):
        for r in _read(fname):
            a, b = r["Node"], r["RNode"]
            if a < b:
                rel.append((a, b, kind, float(r["weight"])))
    relations = pd.DataFrame(rel, columns=["org_a", "org_b", "kind", "weight"])
    relations = relations.groupby(["org_a", "org_b", "kind"], as_index=False).agg(
        weight=("weight", "max")
    )
    relations = relations.sort_values(["org_a", "org_b", "kind"], ignore_index=True)
    weight = (
        pd.concat(
            [relations.groupby("org_a")["weight"].sum(), relations.groupby("org_b")["weight"].sum()]
        )
        .groupby(level=0)
        .sum()
    )
    orgs["weight"] = orgs["org_id"].map(weight).fillna(0.0)
    order = np.argsort(-orgs["weight"].to_numpy(), kind="stable")
    rank = np.empty(len(orgs), dtype=np.int64)
    rank[order] = np.arange(1, len(orgs) + 1)
    orgs["rank"] = rank
    return orgs, relations


def build(cfg: WorldConfig) -> Organisations:
    """Structure at week 0. Person indices are 0..n-1 into the members' person table."""
    rng = cfg.rng("organisations")
    orgs, relations = load_network()
    total = cfg.value("members_2022") * cfg.scale
    harmonic = (1.0 / np.arange(1, len(orgs) + 1)).sum()
    members = np.round(total * (1.0 / orgs["rank"].to_numpy()) / harmonic).astype(np.int64)
    orgs["members0"] = members
    orgs = orgs[orgs["members0"] >= MIN_MEMBERS].reset_index(drop=True)
    keep = set(orgs["org_id"])
    relations = relations[relations["org_a"].isin(keep) & relations["org_b"].isin(keep)]
    relations = relations.reset_index(drop=True)

    pos_org: list[str] = []
    pos_role: list[str] = []
    pos_cell: list[str] = []
    pos_plaza: list[str] = []
    pos_region: list[int] = []

    def add(org: str, role: str, cell: str, plaza: str, region: int) -> None:
        pos_org.append(org)
        pos_role.append(role)
        pos_cell.append(cell)
        pos_plaza.append(plaza)
        pos_region.append(region)

    cell_rows: list[tuple[str, str, str, str, int]] = []
    plaza_rows: list[tuple[str, str, str, str, int, int]] = []
    person = 0
    for org_id, state, n in zip(orgs["org_id"], orgs["state"], orgs["members0"], strict=True):
        home = state if state in MX_PLACES else "Ciudad de México"
        n_regions = int(np.clip(round(n / 900), 2 if n >= 60 else 1, 8))
        n_plazas = int(np.clip(round(n / 120), 1, 60))
        states = [home, *rng.choice(sorted(MX_PLACES), size=n_regions - 1, replace=False)]
        # the leader
        add(org_id, "leader", "", "", 0)
        person += 1
        for r in range(n_regions):
            add(org_id, "regional_boss", "", "", r)
            person += 1
        plaza_region = rng.integers(0, n_regions, n_plazas)
        plaza_region[0] = 0
        plaza_state = np.array([states[r] for r in plaza_region], dtype=object)
        towns = mx_municipality(rng, plaza_state)
        plaza_ids = []
        for p in range(n_plazas):
            pid = f"{org_id}-PZ{p:03d}"
            plaza_ids.append(pid)
            plaza_rows.append(
                (pid, org_id, str(plaza_state[p]), str(towns[p]), person, int(plaza_region[p]))
            )
            add(org_id, "plaza_boss", "", pid, int(plaza_region[p]))
            person += 1
        remaining = int(n) - 1 - n_regions - n_plazas
        sizes = []
        while remaining > 0:
            s = min(remaining, int(rng.integers(6, 16)))
            sizes.append(s)
            remaining -= s
        funcs = rng.choice(len(FUNCTIONS), size=len(sizes), p=FUNCTION_WEIGHTS)
        if len(sizes) > 1:
            funcs[0] = 4  # every organisation buys arms
        for c, (size, f) in enumerate(zip(sizes, funcs, strict=True)):
            cid = f"{org_id}-C{c:04d}"
            p = int(rng.integers(0, n_plazas))
            cell_rows.append((cid, org_id, str(FUNCTIONS[f]), plaza_ids[p], person))
            for k in range(size):
                pos_org.append(org_id)
                pos_role.append("cell_leader" if k == 0 else "member")
                pos_cell.append(cid)
                pos_plaza.append(plaza_ids[p])
                pos_region.append(int(plaza_region[p]))
                person += 1
    structure = pd.DataFrame(
        {
            "person_idx": np.arange(person),
            "org_id": pos_org,
            "role": pos_role,
            "cell_id": pos_cell,
            "plaza_id": pos_plaza,
            "region": pos_region,
        }
    )
    cells = pd.DataFrame(
        cell_rows, columns=["cell_id", "org_id", "function", "plaza_id", "leader_idx"]
    )
    plazas = pd.DataFrame(
        plaza_rows, columns=["plaza_id", "org_id", "mx_state", "municipality", "boss_idx", "region"]
    )
    cell_fn = dict(zip(cells["cell_id"], cells["function"], strict=True))
    structure["function"] = structure["cell_id"].map(cell_fn).fillna("command")
    return Organisations(orgs, relations, structure, cells, plazas)
