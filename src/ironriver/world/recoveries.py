"""Guns recovered in Mexico: crime scenes, arrests and raids.

Three sources fill each week's recoveries (`mexico_recoveries_per_year`, raised by the
week's violence):

- guns the simulated rings took south and that were not seized: a `recovered_share` of them
  is recovered after an exponential delay from its crossing (`recovery_mean_years`), if
  that falls in the run (so a one-year run's recoveries are mostly older guns, as Mexico's
  ~15-year mean time-to-crime says; longer runs drift shorter);
- older US guns trafficked before the run (the stock that makes Mexico's time-to-crime long):
  a first retail sale years earlier at a US dealer, drawn with the traffickers' state and
  dealer preferences; they top the US-sourced share up to `us_origin_share`;
- foreign-made guns that never passed through US commerce (`foreign_share`).

Recovered guns are grouped into events (a crime scene holds one or two guns, an arrest a
few, a raid up to a dozen or more), placed in a municipality of the possessing
organisation's territory or of the crossing port's Mexican state, and attributed to an
agency (SEDENA, FGR, Guardia Nacional, a state prosecutor).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ironriver.world import guns as gunlib
from ironriver.world.config import WorldConfig
from ironriver.world.crossings import Trips
from ironriver.world.dealers import pick
from ironriver.world.dynamics import Dynamics
from ironriver.world.organisations import Organisations
from ironriver.world.places import mx_municipality, trafficking_state_share
from ironriver.world.rings import Rings

CIRCUMSTANCES = np.array(["crime_scene", "arrest", "raid"])
CIRCUMSTANCE_SHARE = np.array([0.45, 0.35, 0.20])
EVENT_EXTRA = np.array([0.3, 1.0, 4.0])  # mean guns beyond the first, per circumstance
CORRIDOR_SHARE = 0.45  # stock guns recovered across from their source state (assumption)
AGENCIES = np.array(["SEDENA", "FGR", "GN", "FGE"])
AGENCY_SHARE = np.array([0.5, 0.2, 0.2, 0.1])


@dataclass
class Recoveries:
    recoveries: pd.DataFrame  # recovery_idx, event_idx, gun_idx, date, mx_state, municipality, circumstance, agency, possessor_idx, org_id, source
    extra_guns: pd.DataFrame  # stock and foreign guns, gun_idx continuing the sales guns
    stock_sales: pd.DataFrame  # first retail sales of stock guns (same columns as Sales.sales)


def simulate(
    cfg: WorldConfig,
    orgs: Organisations,
    dyn: Dynamics,
    rings: Rings,
    guns: pd.DataFrame,
    trips: Trips,
    port_df: pd.DataFrame,
    dealer_df: pd.DataFrame,
    n_buyers: int,
) -> Recoveries:
    rng = cfg.rng("recoveries")
    days = cfg.weeks * 7
    start = cfg.start64
    # --- simulated trafficked guns that crossed and were not seized
    t = trips.trips
    gt = trips.gun_trip
    crossed = np.flatnonzero(gt >= 0)
    crossed = crossed[~t["seized"].to_numpy()[gt[crossed]]]
    cross_day = (t["date"].to_numpy().astype("datetime64[D]")[gt[crossed]] - start).astype(np.int64)
    # only some guns are ever recovered (Mexico recovers ~25,000 a year of a ~135,000 flow);
    # those that are, after an exponential delay
    ever = rng.random(len(crossed)) < cfg.value("recovered_share")
    delay = rng.exponential(cfg.value("recovery_mean_years") * 365.25, len(crossed)).astype(
        np.int64
    )
    rec_day = cross_day + 1 + delay
    hit = (rec_day < days) & ever
    sim_gun, sim_day = crossed[hit], rec_day[hit]
    sim_port = t["port_idx"].to_numpy()[gt[sim_gun]]
    sim_ring = t["ring_idx"].to_numpy()[gt[sim_gun]]

    # --- weekly totals, raised by violence (the week's mean multiplier on killings)
    total_w = rng.poisson(cfg.per_week("mexico_recoveries_per_year") * dyn.weekly_violence)
    total = int(total_w.sum())
    n_foreign = round(total * cfg.value("foreign_share"))
    n_us = total - n_foreign
    n_stock = max(0, n_us - len(sim_gun))
    # stock and foreign recoveries follow the weekly totals
    week_p = total_w / max(1, total)
    st_week = rng.choice(cfg.weeks, size=n_stock, p=week_p) if n_stock else np.array([], np.int64)
    fo_week = (
        rng.choice(cfg.weeks, size=n_foreign, p=week_p) if n_foreign else np.array([], np.int64)
    )
    st_day = st_week * 7 + rng.integers(0, 7, n_stock)
    fo_day = fo_week * 7 + rng.integers(0, 7, n_foreign)

    # --- stock guns: a first retail sale years before the recovery
    base = len(guns)
    stock = gunlib.sample_guns(rng, n_stock, "trafficked", taken=[guns])
    ttc_years = rng.lognormal(np.log(cfg.value("stock_ttc_median_years")), 0.55, n_stock)
    ttc_days = np.maximum(200, (ttc_years * 365.25).astype(np.int64))
    sale_date = start + (st_day - ttc_days).astype("timedelta64[D]")
    # the stock's source states complete the simulated guns' states to the published shares
    sim_state = rings.rings["state_idx"].to_numpy()[sim_ring]
    st_state = _complete(rng, trafficking_state_share(), sim_state, n_stock)
    # older records are more often lost (dealer out of business, images only)
    record_lost = rng.random(n_stock) < 1.0 - np.exp(-ttc_years / cfg.value("record_loss_years"))
    stock_sales = pd.DataFrame(
        {
            "kind": "stock",
            "dealer_idx": pick(rng, dealer_df, st_state, "traffic_weight"),
            "buyer_kind": "buyer",
            "buyer_idx": n_buyers + np.arange(n_stock),
            "date": sale_date,
            "ring_idx": -1,
            "price": np.round(rng.lognormal(6.3, 0.45, n_stock), 2),
            "gun_idx": base + np.arange(n_stock),
            "record_lost": record_lost,
        }
    )
    stock["origin"] = "stock"
    foreign = gunlib.sample_guns(rng, n_foreign, "foreign", taken=[guns, stock])
    foreign["origin"] = "foreign"
    extra = pd.concat([stock, foreign], ignore_index=True)
    extra["acquired_date"] = np.full(len(extra), np.datetime64("NaT"), "datetime64[D]")
    extra["ring_idx"] = -1
    extra["gun_idx"] = base + np.arange(len(extra))

    # --- all recoveries
    gun = np.concatenate(
        [sim_gun, base + np.arange(n_stock), base + n_stock + np.arange(n_foreign)]
    )
    day = np.concatenate([sim_day, st_day, fo_day]).astype(np.int64)
    source = np.concatenate(
        [
            np.full(len(sim_gun), "trafficked", object),
            np.full(n_stock, "stock", object),
            np.full(n_foreign, "foreign", object),
        ]
    )
    n = len(gun)
    # who held it: a member of an organisation on the recovery date (alive, free, already
    # recruited), of the ring's organisation for simulated guns (the one holding the ring's
    # cell then); the place: half of the simulated guns stay near the crossing port, the
    # rest are recovered in the holder's plaza
    pos = dyn.positions
    holders = pos[pos["plaza_id"] != ""].reset_index(drop=True)
    plaza_state = orgs.plazas.set_index("plaza_id")["mx_state"]
    week = day // 7
    k = len(sim_gun)
    want = np.full(n, "", dtype=object)
    want[:k] = dyn.cell_org(rings.rings["cell_id"].to_numpy(object)[sim_ring], week[:k])
    pick_m = _holder(holders, week, want, rng.random(n))
    held = pick_m >= 0
    org = np.where(held, holders["org_id"].to_numpy(object)[np.maximum(pick_m, 0)], want)
    state = holders["plaza_id"].map(plaza_state).to_numpy(object)[np.maximum(pick_m, 0)]
    possessor = np.where(held, holders["person_idx"].to_numpy()[np.maximum(pick_m, 0)], -1)
    near = (rng.random(k) < 0.5) | ~held[:k]
    port_state = port_df["mx_state"].to_numpy(object)[sim_port]
    state[:k] = np.where(near, port_state, state[:k])
    # stock guns: a corridor share is recovered across the border from their source state
    across = rng.random(n_stock) < CORRIDOR_SHARE
    st_port = _port_for_state(rng, port_df, st_state)
    state[k : k + n_stock] = np.where(
        across, port_df["mx_state"].to_numpy(object)[st_port], state[k : k + n_stock]
    )
    o = np.lexsort((gun, state, day // 7))
    gun, day, source, org, state, possessor = (
        a[o] for a in (gun, day, source, org, state, possessor)
    )
    circ = rng.choice(3, size=n, p=CIRCUMSTANCE_SHARE)
    # events: runs of guns in the same week and state, sized by circumstance
    new_run = (
        np.concatenate([[True], (day[1:] // 7 != day[:-1] // 7) | (state[1:] != state[:-1])])
        if n
        else np.array([], bool)
    )
    size = 1 + rng.poisson(EVENT_EXTRA[circ])
    starts = np.zeros(n, bool)
    i = 0
    while i < n:
        starts[i] = True
        j = i + 1
        lim = i + int(size[i])
        while j < n and j < lim and not new_run[j]:
            j += 1
        i = j
    event = np.cumsum(starts) - 1
    head = np.flatnonzero(starts)
    circ = circ[head][event]
    day = day[head][event]
    org = org[head][event]
    possessor = np.where(circ == 0, -1, possessor[head][event])
    agency = rng.choice(len(AGENCIES), size=len(head), p=AGENCY_SHARE)[event]
    town = mx_municipality(rng, state[head])[event]
    rec = pd.DataFrame(
        {
            "recovery_idx": np.arange(n),
            "event_idx": event,
            "gun_idx": gun,
            "date": start + day.astype("timedelta64[D]"),
            "mx_state": state,
            "municipality": town,
            "circumstance": CIRCUMSTANCES[circ].astype(object),
            "agency": AGENCIES[agency].astype(object),
            "possessor_idx": possessor,
            "org_id": org,
            "source": source,
        }
    )
    return Recoveries(rec, extra, stock_sales)


def _holder(holders: pd.DataFrame, week: np.ndarray, want: np.ndarray, u: np.ndarray) -> np.ndarray:
    """For each recovery, the row of a position held in its `week` (of organisation `want`
    unless ""), chosen by `u` in [0, 1); -1 when that organisation has nobody then."""
    org = holders["org_id"].to_numpy(object)
    start = holders["start_week"].to_numpy(np.int64)
    end = holders["end_week"].to_numpy(np.int64)
    out = np.full(len(week), -1, np.int64)
    for w in np.unique(week):
        rows = np.flatnonzero(week == w)
        live = np.flatnonzero((start <= w) & ((end == -1) | (end > w)))
        live = live[np.argsort(org[live], kind="stable")]
        live_org = org[live].astype(str)
        anyone = want[rows] == ""
        pick = (u[rows] * len(live)).astype(np.int64)
        out[rows[anyone]] = live[pick[anyone]] if len(live) else -1
        mine = rows[~anyone]
        lo = np.searchsorted(live_org, want[mine].astype(str), side="left")
        hi = np.searchsorted(live_org, want[mine].astype(str), side="right")
        at = lo + (u[mine] * (hi - lo)).astype(np.int64)
        out[mine] = np.where(hi > lo, live[np.minimum(at, len(live) - 1)], -1)
    return out


def _complete(rng: np.random.Generator, share: np.ndarray, have: np.ndarray, n: int) -> np.ndarray:
    """`n` state indices such that `have` plus them follow `share` as closely as possible."""
    total = len(have) + n
    target = share * total
    need = np.maximum(0.0, target - np.bincount(have, minlength=len(share)))
    if n == 0:
        return np.zeros(0, np.int64)
    if need.sum() == 0:
        need = share.copy()
    quota = need / need.sum() * n
    counts = np.floor(quota).astype(np.int64)
    rest = n - int(counts.sum())
    counts[np.argsort(-(quota - counts), kind="stable")[:rest]] += 1
    out: np.ndarray = rng.permutation(np.repeat(np.arange(len(share)), counts))
    return out


def _port_for_state(
    rng: np.random.Generator, port_df: pd.DataFrame, state_idx: np.ndarray
) -> np.ndarray:
    """A crossing port for guns sourced in each US state, by port traffic share."""
    from ironriver.world.places import US_STATES
    from ironriver.world.rings import CROSSING_STATE

    states = list(US_STATES)
    out = np.zeros(len(state_idx), np.int64)
    pstate = port_df["state_code"].to_numpy(object)
    share = port_df["share"].to_numpy(float)
    for s in np.unique(state_idx):
        m = state_idx == s
        cand = np.flatnonzero(pstate == CROSSING_STATE[states[s]])
        w = share[cand] / share[cand].sum()
        out[m] = cand[rng.choice(len(cand), size=int(m.sum()), p=w)]
    return out
