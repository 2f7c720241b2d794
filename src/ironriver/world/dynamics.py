"""Weekly membership dynamics: recruitment, arrests, killings, and an optional decapitation.

Rates per Prieto-Curiel et al. (`cartels.*` in `ironriver.world.calibration.FIGURES`): ~19,300 recruits, ~6,500 deaths and ~5,700
incapacitations per year at scale 1, shared by size; recruits join a random cell of an
organisation chosen by size. A decapitation at week W removes the largest organisation's
leader. Then either a recognised successor (regional boss of the home region) takes over and
violence stays flat (Jones 2013), or the regional bosses split the organisation into rival
factions, and killings rise as Lindo & Padilla-Romo (2018) measured homicides after a
kingpin capture: by `decapitation_violence` (+80%) for `decapitation_local_weeks` (a year)
in the municipality of the capture (the organisation's home plaza), and by
`decapitation_violence_territory` (+30%) for `decapitation_territory_weeks` (six months)
in the other municipalities of its territory. The rise is in the municipality, so it falls
on whoever is killed there, whatever their organisation; nothing else changes elsewhere.

Invariant: a position row is one person holding one role in one organisation over
[start_week, end_week); end_week = -1 means still held at the end of the run. Every event
leaves `simulate` placed: one true day and municipality, which every agency's record of it
follows (so no caller can forget to place them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ironriver.world.config import WorldConfig, week_dates
from ironriver.world.organisations import Organisations
from ironriver.world.places import MX_PLACES, mx_municipality

LOSS_ROLES = ("member", "cell_leader")


@dataclass
class Dynamics:
    positions: (
        pd.DataFrame
    )  # person_idx, org_id, role, cell_id, function, plaza_id, start_week, end_week, end_reason
    # week, kind, org_id, person_idx, plaza_id, date, mx_state, municipality
    events: pd.DataFrame
    violence: np.ndarray  # [weeks, municipalities + 1] multiplier on killings (last: no plaza)
    municipalities: pd.DataFrame  # mx_state, municipality: the columns of `violence`
    weekly_violence: np.ndarray  # [weeks] mean multiplier over those who could be killed
    n_persons: int
    succession: str  # "", "successor" or "split"
    target_org: str
    cell_org0: pd.Series  # cell_id -> the organisation holding it at week 0
    cell_moves: pd.DataFrame  # cells that changed hands (a split): cell_id, org_id, week

    def cell_org(self, cells: Any, weeks: Any) -> np.ndarray:
        """The organisation holding each cell in each week (-1 or later: at the end)."""
        cells = np.asarray(cells, dtype=object)
        weeks = np.asarray(weeks)
        out: np.ndarray = pd.Series(cells).map(self.cell_org0).to_numpy(object)
        for cell, org, week in self.cell_moves.sort_values("week").itertuples(index=False):
            out[(cells == cell) & ((weeks >= week) | (weeks < 0))] = org
        return out


def simulate(cfg: WorldConfig, orgs: Organisations) -> Dynamics:
    """Run the weekly dynamics over `orgs` (to which a split adds its factions) and place
    every event on its true day and municipality."""
    rng = cfg.rng("dynamics")
    st = orgs.structure
    org_ids = list(orgs.orgs["org_id"])
    code = {o: i for i, o in enumerate(org_ids)}
    p_org = st["org_id"].map(code).to_numpy(np.int64)
    p_role = st["role"].to_numpy(object)
    p_cell = st["cell_id"].to_numpy(object)
    p_plaza = st["plaza_id"].to_numpy(object)
    p_person = st["person_idx"].to_numpy(np.int64)
    p_start = np.full(len(st), -1, np.int64)
    p_end = np.full(len(st), -1, np.int64)
    p_reason = np.full(len(st), "", object)
    p_region = st["region"].to_numpy(np.int64)
    # killings rise by municipality: each plaza's, and one column for people without plaza
    munis = orgs.plazas[["mx_state", "municipality"]].drop_duplicates(ignore_index=True)
    muni_code = orgs.plazas.merge(munis.reset_index(), on=["mx_state", "municipality"])
    plaza_muni = pd.Series(muni_code["index"].to_numpy(np.int64), index=muni_code["plaza_id"])
    no_plaza = len(munis)
    p_muni = st["plaza_id"].map(plaza_muni).fillna(no_plaza).to_numpy(np.int64)
    n_persons = int(p_person.max()) + 1 if len(p_person) else 0
    cells_by_org = [orgs.cells.loc[orgs.cells["org_id"] == o] for o in org_ids]
    plaza_region = orgs.plazas.set_index("plaza_id")["region"]
    # each organisation's cells: ids, plazas and regions (a cell's members share its region)
    cell_arrays = [
        (
            c["cell_id"].to_numpy(object),
            c["plaza_id"].to_numpy(object),
            c["plaza_id"].map(plaza_region).to_numpy(np.int64),
            c["plaza_id"].map(plaza_muni).to_numpy(np.int64),
        )
        for c in cells_by_org
    ]
    moves: list[tuple[str, str, int]] = []

    extra: list[dict[str, np.ndarray]] = []
    events: list[tuple[int, str, str, int, str]] = []
    weeks = cfg.weeks
    violence = np.ones((weeks, no_plaza + 1))
    weekly_violence = np.ones(weeks)
    lam_death = cfg.per_week("deaths_per_year")
    lam_arrest = cfg.per_week("arrests_per_year")
    lam_recruit = cfg.per_week("recruits_per_year")
    succession = ""
    target = org_ids[int(np.argmax(orgs.orgs["members0"].to_numpy()))] if org_ids else ""
    capture = capture_plaza(orgs, target)

    def cat(name: str, base: np.ndarray) -> np.ndarray:
        parts = [base] + [e[name] for e in extra]
        return np.concatenate(parts) if len(parts) > 1 else base

    def people_so_far() -> dict[str, np.ndarray]:
        """Every person's arrays: the base ones plus the recruits appended since."""
        base = dict(
            org=p_org,
            role=p_role,
            cell=p_cell,
            plaza=p_plaza,
            person=p_person,
            start=p_start,
            end=p_end,
            reason=p_reason,
            region=p_region,
            muni=p_muni,
        )
        return {k: cat(k, v) for k, v in base.items()}

    for w in range(weeks):
        if cfg.decapitation_week is not None and w == cfg.decapitation_week and target:
            succession, new, arrays, faction_of = _decapitate(
                cfg, rng, w, code[target], capture, people_so_far(), org_ids, orgs, events
            )
            p_org, p_role, p_cell, p_plaza, p_person = (
                arrays[k] for k in ("org", "role", "cell", "plaza", "person")
            )
            p_start, p_end, p_reason, p_region, p_muni = (
                arrays[k] for k in ("start", "end", "reason", "region", "muni")
            )
            _kingpin_violence(cfg, w, target, capture, succession, orgs, plaza_muni, violence)
            extra = []
            parent = cell_arrays[code[target]]
            for fid in new:
                code[fid] = len(org_ids)
                org_ids.append(fid)
            # each cell goes, with its members, to the faction of its region
            holder = np.array([faction_of(r) for r in parent[2]], np.int64)
            for k, fid in enumerate(new):
                mine = holder == k
                cell_arrays.append(tuple(part[mine] for part in parent))
                moves += [(str(c), fid, w) for c in parent[0][mine]]
            if new:
                # the split moved every cell to a faction; the parent recruits no more
                empty = np.array([], object)
                none = np.array([], np.int64)
                cell_arrays[code[target]] = (empty, empty, none, none)
        org_all = cat("org", p_org)
        end_all = cat("end", p_end)
        role_all = cat("role", p_role)
        active = end_all == -1
        eligible = np.flatnonzero(active & np.isin(role_all, LOSS_ROLES))
        if len(eligible) == 0:
            continue
        mult = violence[w, cat("muni", p_muni)[eligible]]
        weekly_violence[w] = mult.mean()
        n_d = min(int(rng.poisson(lam_death * mult.mean())), len(eligible))
        dead = (
            rng.choice(eligible, size=n_d, replace=False, p=mult / mult.sum())
            if n_d
            else eligible[:0]
        )
        rest = np.setdiff1d(eligible, dead)
        n_a = min(int(rng.poisson(lam_arrest)), len(rest))
        arrested = rng.choice(rest, size=n_a, replace=False) if n_a else rest[:0]
        for idx, why in ((dead, "killed"), (arrested, "arrested")):
            idx = np.sort(idx)
            _set(extra, p_end, p_reason, idx, w, why)
            person_all = cat("person", p_person)
            plaza_all = cat("plaza", p_plaza)
            for i in idx:
                events.append((w, why, org_ids[org_all[i]], int(person_all[i]), str(plaza_all[i])))
        # recruits, by organisation size, into a random cell of it
        sizes = np.bincount(org_all[active], minlength=len(org_ids)).astype(float)
        has_cells = np.array([len(c[0]) > 0 for c in cell_arrays], bool)
        sizes[~has_cells] = 0
        # recruits: an exact weekly rate (cumulative rounding), the paper's steady inflow
        n_r = round(lam_recruit * (w + 1)) - round(lam_recruit * w) if sizes.sum() > 0 else 0
        if n_r:
            o = np.sort(rng.choice(len(org_ids), size=n_r, p=sizes / sizes.sum()))
            cell = np.empty(n_r, object)
            plaza = np.empty(n_r, object)
            region = np.zeros(n_r, np.int64)
            muni = np.zeros(n_r, np.int64)
            u = rng.random(n_r)
            for k in np.unique(o):
                m = o == k
                cids, pids, regs, mids = cell_arrays[k]
                j = (u[m] * len(cids)).astype(np.int64)
                cell[m], plaza[m], region[m], muni[m] = cids[j], pids[j], regs[j], mids[j]
            extra.append(
                dict(
                    org=o,
                    role=np.full(n_r, "member", object),
                    cell=cell,
                    plaza=plaza,
                    person=np.arange(n_persons, n_persons + n_r),
                    start=np.full(n_r, w),
                    end=np.full(n_r, -1),
                    reason=np.full(n_r, "", object),
                    region=region,
                    muni=muni,
                )
            )
            n_persons += n_r
    final = people_so_far()
    positions = pd.DataFrame(
        {
            "person_idx": final["person"],
            "org_id": np.array(org_ids, object)[final["org"]],
            "role": final["role"],
            "cell_id": final["cell"],
            "plaza_id": final["plaza"],
            "start_week": final["start"],
            "end_week": final["end"],
            "end_reason": final["reason"],
        }
    )
    fn = dict(zip(orgs.cells["cell_id"], orgs.cells["function"], strict=True))
    positions["function"] = positions["cell_id"].map(fn).fillna("command")
    ev = pd.DataFrame(events, columns=["week", "kind", "org_id", "person_idx", "plaza_id"])
    cell_moves = pd.DataFrame(moves, columns=["cell_id", "org_id", "week"])
    cell_org0 = pd.Series(orgs.cells["org_id"].to_numpy(object), index=orgs.cells["cell_id"])
    _place_events(cfg, orgs, ev)
    return Dynamics(
        positions,
        ev,
        violence,
        munis,
        weekly_violence,
        n_persons,
        succession,
        target,
        cell_org0,
        cell_moves,
    )


def capture_plaza(orgs: Organisations, org: str) -> str:
    """Where a decapitation of `org` happens: its home plaza (the first, of region 0), or ""
    when it holds none. The capture event and the violence after it both use this one."""
    home = orgs.plazas.loc[orgs.plazas["org_id"] == org, "plaza_id"]
    return str(home.iloc[0]) if len(home) else ""


def _place_events(cfg: WorldConfig, orgs: Organisations, ev: pd.DataFrame) -> None:
    """Give every event one true day and place, which every agency's record of it follows:
    a day of its week, and the municipality of its plaza (else a town of the organisation's
    home state)."""
    rng = cfg.rng("events")
    plazas = orgs.plazas.set_index("plaza_id")
    home = orgs.orgs.set_index("org_id")["state"]
    where = ev["plaza_id"].map(plazas["mx_state"]).fillna(ev["org_id"].map(home))
    known = where.isin(list(MX_PLACES)).to_numpy(bool)
    state: np.ndarray = np.where(known, where.to_numpy(object), "Ciudad de México")
    town: np.ndarray = ev["plaza_id"].map(plazas["municipality"]).fillna("").to_numpy(object)
    town = np.where(town == "", mx_municipality(rng, state), town)
    ev["date"] = week_dates(cfg, ev["week"].to_numpy(np.int64), rng.integers(0, 7, len(ev)))
    ev["mx_state"] = state.astype(object)
    ev["municipality"] = town.astype(object)


def _set(
    extra: list[dict[str, np.ndarray]],
    end: np.ndarray,
    reason: np.ndarray,
    idx: np.ndarray,
    w: int,
    why: str,
) -> None:
    """Close positions by global index across the base arrays and the appended chunks."""
    off = 0
    for arr_end, arr_reason in [(end, reason)] + [(e["end"], e["reason"]) for e in extra]:
        n = len(arr_end)
        local = idx[(idx >= off) & (idx < off + n)] - off
        arr_end[local] = w
        arr_reason[local] = why
        off += n


def _decapitate(
    cfg: WorldConfig,
    rng: np.random.Generator,
    w: int,
    t: int,
    capture: str,
    a: dict[str, np.ndarray],
    org_ids: list[str],
    orgs: Organisations,
    events: list[tuple[int, str, str, int, str]],
) -> tuple[str, list[str], dict[str, np.ndarray], Callable[[int], int]]:
    """Remove organisation `t`'s leader at week `w` (captured at plaza `capture`); then a
    successor, or a split into one faction per regional boss. Returns the outcome, the factions' ids, every person's arrays
    and which faction (0, 1...) takes a region's members and cells."""
    active = a["end"] == -1
    in_org = active & (a["org"] == t)
    leader = np.flatnonzero(in_org & (a["role"] == "leader"))
    bosses = np.flatnonzero(in_org & (a["role"] == "regional_boss"))
    mode = cfg.succession
    if mode == "random":
        mode = "split" if rng.random() < 0.5 else "successor"
    if len(bosses) < 2:
        mode = "successor"
    for i in leader:
        a["end"][i], a["reason"][i] = w, "killed"
        events.append((w, "decapitation", org_ids[t], int(a["person"][i]), capture))
    if mode == "successor" or len(bosses) == 0:
        if len(bosses):
            b = bosses[np.argmin(a["region"][bosses])]
            a["end"][b], a["reason"][b] = w, "promoted"
            new = {k: v[[b]].copy() for k, v in a.items()}
            new["role"][:] = "leader"
            new["start"][:] = w
            new["end"][:] = -1
            new["reason"][:] = ""
            a = {k: np.concatenate([a[k], new[k]]) for k in a}
            events.append((w, "succession", org_ids[t], int(a["person"][b]), ""))
        return "successor", [], a, lambda region: 0
    regions = np.unique(a["region"][bosses])
    members = np.flatnonzero(in_org & (a["role"] != "leader"))
    new_ids = [f"{org_ids[t]}-F{r}" for r in regions]
    moved = {k: v[members].copy() for k, v in a.items()}
    faction = {int(r): k for k, r in enumerate(regions)}

    def faction_of(region: int) -> int:
        return faction.get(int(region), 0)

    moved["org"] = np.array([len(org_ids) + faction_of(r) for r in moved["region"]], np.int64)
    moved["role"] = np.where(moved["role"] == "regional_boss", "leader", moved["role"]).astype(
        object
    )
    moved["start"][:] = w
    moved["end"][:] = -1
    moved["reason"][:] = ""
    a["end"][members] = w
    a["reason"][members] = "split"
    a = {k: np.concatenate([a[k], moved[k]]) for k in a}
    for nid in new_ids:
        events.append((w, "split", nid, -1, ""))
    _register_factions(orgs, org_ids[t], new_ids)
    return "split", new_ids, a, faction_of


def _kingpin_violence(
    cfg: WorldConfig,
    w: int,
    org: str,
    capture: str,
    succession: str,
    orgs: Organisations,
    plaza_muni: pd.Series,
    violence: np.ndarray,
) -> None:
    """Raise killings after a contested succession in `org`, as Lindo & Padilla-Romo (2018)
    measured homicides after a kingpin capture: in the municipality of the `capture` plaza,
    and for a shorter time elsewhere in its territory. After a
    recognised successor, `decapitation_violence_successor` (1: no change, Jones 2013)."""
    plazas = orgs.plazas.loc[orgs.plazas["org_id"] == org, "plaza_id"]
    if not len(plazas):
        return
    territory = np.unique(plazas.map(plaza_muni).to_numpy(np.int64))
    if succession != "split":
        violence[w:, territory] *= cfg.value("decapitation_violence_successor")
        return
    local = int(plaza_muni[capture])
    elsewhere = territory[territory != local]
    local_end = w + round(cfg.value("decapitation_local_weeks"))
    territory_end = w + round(cfg.value("decapitation_territory_weeks"))
    violence[w:territory_end, elsewhere] *= cfg.value("decapitation_violence_territory")
    violence[w:local_end, local] *= cfg.value("decapitation_violence")


def _register_factions(orgs: Organisations, parent: str, new_ids: list[str]) -> None:
    row = orgs.orgs.loc[orgs.orgs["org_id"] == parent].iloc[0]
    add = pd.DataFrame(
        {
            "org_id": new_ids,
            "name": [f"{row['name']} (facción {k + 1})" for k in range(len(new_ids))],
            "short_name": [f"{row['short_name']} F{k + 1}" for k in range(len(new_ids))],
            "state": row["state"],
            "weight": 0.0,
            "rank": 0,
            "members0": 0,
        }
    )
    add["parent_id"] = parent
    orgs.orgs = pd.concat([orgs.orgs, add], ignore_index=True)
    rel = [(a, b, "rivalry", 10.0) for i, a in enumerate(new_ids) for b in new_ids[i + 1 :]]
    orgs.relations = pd.concat(
        [orgs.relations, pd.DataFrame(rel, columns=["org_a", "org_b", "kind", "weight"])],
        ignore_index=True,
    )
