"""Retail firearm sales (Form 4473 dispositions) and the multiple-sale rules.

Three kinds of first retail sale, all written to the same dealer records:

- `legit`: buyers in the dealers' states, visits of one to a few guns; a heavy-tailed buyer
  choice makes some collectors repeat customers.
- `straw`: a ring's straw purchaser buys at one of the ring's favourite dealers; ordinary
  rings buy several guns per visit, evasive rings one per visit.
- `secondary`: a trafficked gun bought first by an unrelated buyer (private sale or gun show
  later), up to four years before the ring acquires it.

Multiple-sale rules (`flag_multiple_sales`), applied per dealer and buyer as 27 CFR
478.126a and the 2011 demand letter require: F 3310.4 for 2+ handguns within 5 consecutive
business days; F 3310.12 for dealers in AZ, CA, NM, TX, 2+ semi-automatic rifles larger than
.22 with detachable magazines within 5 business days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ironriver.world import guns as gunlib
from ironriver.world.config import WorldConfig
from ironriver.world.dealers import pick
from ironriver.world.places import BORDER_STATES, legit_state_share
from ironriver.world.rings import Rings

HANDGUN = ("pistol", "revolver")
WINDOW_BDAYS = 5


@dataclass
class Sales:
    sales: (
        pd.DataFrame
    )  # sale_idx, kind, dealer_idx, buyer_kind, buyer_idx, gun_idx, date, ring_idx, price
    guns: pd.DataFrame  # gun_idx + sample_guns columns + acquired_week, ring_idx (-1 legit)
    n_buyers: int  # size of the legit buyer index space


def _visit_sizes(rng: np.random.Generator, n: int, mean_extra: float) -> np.ndarray:
    return 1 + rng.geometric(1.0 / (1.0 + mean_extra), n) - 1


def simulate(cfg: WorldConfig, dealer_df: pd.DataFrame, rings: Rings) -> Sales:
    rng = cfg.rng("sales")
    days = cfg.weeks * 7
    start = cfg.start64
    # ---- legitimate visits
    n_guns_target = int(rng.poisson(cfg.value("legit_sales_per_year") * cfg.scale * cfg.years))
    size = _visit_sizes(rng, max(1, int(n_guns_target / 1.15)), 0.15)
    n_visits = len(size)
    share = legit_state_share()
    v_state = rng.choice(len(share), size=n_visits, p=share)
    v_dealer = pick(rng, dealer_df, v_state, "volume")
    v_date = start + rng.integers(0, days, n_visits).astype("timedelta64[D]")
    # buyer pools per state, ~0.8 buyers per visit, skewed to repeat buyers
    pool = np.maximum(1, np.bincount(v_state, minlength=len(share)) * 0.8).astype(np.int64)
    offset = np.concatenate([[0], np.cumsum(pool)[:-1]])
    u = rng.random(n_visits)
    v_buyer = offset[v_state] + np.minimum(
        (pool[v_state] * u**2).astype(np.int64), pool[v_state] - 1
    )
    n_buyers = int(pool.sum())
    legit = pd.DataFrame(
        {
            "kind": "legit",
            "dealer_idx": np.repeat(v_dealer, size),
            "buyer_kind": "buyer",
            "buyer_idx": np.repeat(v_buyer, size),
            "date": np.repeat(v_date, size),
            "ring_idx": -1,
        }
    )
    legit_guns = gunlib.sample_guns(rng, len(legit), "legit")

    # ---- trafficked guns: acquisition week and ring
    r = rings.rings
    n_traf = round(cfg.value("trafficked_guns_per_year") * cfg.scale * cfg.years)
    w = r["weight"].to_numpy()
    ring = np.sort(rng.choice(len(r), size=n_traf, p=w / w.sum()))
    acq_day = rng.integers(0, days, n_traf)
    order = np.lexsort((acq_day, ring))
    ring, acq_day = ring[order], acq_day[order]
    traf_guns = gunlib.sample_guns(rng, n_traf, "trafficked", taken=[legit_guns])
    secondary = rng.random(n_traf) < cfg.value("secondary_market_share")
    straw = ~secondary
    evasive = r["evasive"].to_numpy()[ring]

    # visits of ordinary rings group consecutive purchases (same ring) into one visit
    grp = np.zeros(n_traf, np.int64)
    idx = np.flatnonzero(straw & ~evasive)
    if len(idx):
        sizes = _visit_sizes(rng, len(idx), 1.4)
        pos = np.minimum(np.cumsum(sizes), len(idx))
        starts = np.zeros(len(idx), bool)
        starts[np.concatenate([[0], pos[:-1]])[np.concatenate([[0], pos[:-1]]) < len(idx)]] = True
        ring_change = np.concatenate([[True], ring[idx][1:] != ring[idx][:-1]])
        grp[idx] = np.cumsum(starts | ring_change)
    ev = np.flatnonzero(straw & evasive)
    grp[ev] = grp.max() + 1 + np.arange(len(ev))
    sec = np.flatnonzero(secondary)
    grp[sec] = grp.max() + 1 + np.arange(len(sec))
    _, head, visit_no = np.unique(grp, return_index=True, return_inverse=True)

    # per visit: purchaser and dealer
    mem = rings.members
    straw_m = mem[mem["role"] == "straw_purchaser"]
    s_ring = straw_m["ring_idx"].to_numpy()
    s_person = straw_m["person_idx"].to_numpy()
    s_start = np.searchsorted(s_ring, np.arange(len(r)))
    s_count = np.bincount(s_ring, minlength=len(r))
    pref = rings.dealer_prefs
    p_ring = pref["ring_idx"].to_numpy()
    p_start = np.searchsorted(p_ring, np.arange(len(r)))
    p_count = np.bincount(p_ring, minlength=len(r))
    p_cum = pref.groupby("ring_idx")["weight"].cumsum().to_numpy()
    p_tot = pref.groupby("ring_idx")["weight"].transform("sum").to_numpy()
    h_ring = ring[head]
    pick_s = s_start[h_ring] + (rng.random(len(head)) * s_count[h_ring]).astype(np.int64)
    # weighted favourite dealer: inverse CDF within the ring's block
    uu = rng.random(len(head))
    pd_idx = np.empty(len(head), np.int64)
    for k in range(len(head)):
        a, c = p_start[h_ring[k]], p_count[h_ring[k]]
        target = uu[k] * p_tot[a]
        pd_idx[k] = a + min(int(np.searchsorted(p_cum[a : a + c], target)), c - 1)
    head_dealer = pref["dealer_idx"].to_numpy()[pd_idx]
    head_buyer = s_person[pick_s]
    head_kind = np.full(len(head), "ring", dtype=object)
    head_date = start + acq_day[head].astype("timedelta64[D]")
    # secondary-market guns: an unrelated buyer in the ring's state bought it earlier
    hs = secondary[head]
    st = r["state_idx"].to_numpy()[h_ring[hs]]
    head_dealer[hs] = pick(rng, dealer_df, st, "volume")
    head_kind[hs] = "buyer"
    head_buyer[hs] = n_buyers + np.arange(int(hs.sum()))
    n_buyers += int(hs.sum())
    head_date[hs] = head_date[hs] - rng.integers(1, 4 * 365, int(hs.sum())).astype("timedelta64[D]")
    traf = pd.DataFrame(
        {
            "kind": np.where(secondary, "secondary", "straw"),
            "dealer_idx": head_dealer[visit_no],
            "buyer_kind": head_kind[visit_no],
            "buyer_idx": head_buyer[visit_no],
            "date": head_date[visit_no],
            "ring_idx": ring,
        }
    )
    sales = pd.concat([legit, traf], ignore_index=True)
    gun_df = pd.concat([legit_guns, traf_guns], ignore_index=True)
    gun_df["acquired_date"] = np.concatenate(
        [
            np.full(len(legit), np.datetime64("NaT"), "datetime64[D]"),
            start + acq_day.astype("timedelta64[D]"),
        ]
    )
    gun_df["ring_idx"] = np.concatenate([np.full(len(legit), -1), ring])
    gun_df["origin"] = np.concatenate(
        [np.full(len(legit), "legit", object), np.full(n_traf, "trafficked", object)]
    )
    sales["price"] = np.round(rng.lognormal(6.4, 0.45, len(sales)), 2)
    # chronological order for the dealer records; guns follow their sale
    order = np.lexsort(
        (sales["buyer_idx"].to_numpy(), sales["dealer_idx"].to_numpy(), sales["date"].to_numpy())
    )
    sales = sales.iloc[order].reset_index(drop=True)
    gun_df = gun_df.iloc[order].reset_index(drop=True)
    sales["gun_idx"] = np.arange(len(sales))
    sales["sale_idx"] = np.arange(len(sales))
    gun_df["gun_idx"] = np.arange(len(gun_df))
    return Sales(sales, gun_df, n_buyers)


def is_handgun(types: np.ndarray) -> np.ndarray:
    return np.isin(types, HANDGUN)


def is_3310_12_rifle(guns: pd.DataFrame) -> np.ndarray:
    """Semi-automatic rifles with a detachable magazine and a calibre over .22 (.223/5.56
    included, .22 rimfire left out: `guns.bore_over_22`), the guns F 3310.12 counts."""
    cal = guns["caliber"].astype(str)
    over = {c: gunlib.bore_over_22(c) for c in pd.unique(cal)}
    out: np.ndarray = (
        (guns["type"].to_numpy() == "rifle")
        & guns["semi_auto"].to_numpy(bool)
        & guns["detachable_mag"].to_numpy(bool)
        & cal.map(over).to_numpy(bool)
    )
    return out


def flag_multiple_sales(
    sales: pd.DataFrame, guns: pd.DataFrame, dealer_df: pd.DataFrame, buyer_key: np.ndarray
) -> pd.DataFrame:
    """Report rows: sale_idx, form, report_no (one report per dealer, buyer and cluster)."""
    bday = np.busday_count(
        np.datetime64("1970-01-01"), sales["date"].to_numpy().astype("datetime64[D]")
    )
    out = []
    border = dealer_df["state"].isin(BORDER_STATES).to_numpy()
    for form, eligible in (
        ("3310.4", is_handgun(guns["type"].to_numpy())),
        ("3310.12", is_3310_12_rifle(guns) & border[sales["dealer_idx"].to_numpy()]),
    ):
        idx = np.flatnonzero(eligible)
        d = sales["dealer_idx"].to_numpy()[idx]
        b = buyer_key[idx]
        t = bday[idx]
        o = np.lexsort((t, b, d))
        idx, d, b, t = idx[o], d[o], b[o], t[o]
        same = np.concatenate([[False], (d[1:] == d[:-1]) & (b[1:] == b[:-1])])
        gap_ok = np.concatenate([[False], (t[1:] - t[:-1]) < WINDOW_BDAYS])
        linked = same & gap_ok  # linked to the previous sale
        # cluster = run of linked sales; a report needs 2+ sales in the cluster
        cluster = np.cumsum(~linked)
        counts = np.bincount(cluster)
        hit = counts[cluster] >= 2
        out.append(pd.DataFrame({"sale_idx": idx[hit], "form": form, "cluster": cluster[hit]}))
    rep = pd.concat(out, ignore_index=True)
    key = rep["form"] + ":" + rep["cluster"].astype(str)
    rep["report_no"] = pd.factorize(key)[0]
    return rep.drop(columns="cluster").sort_values(["report_no", "sale_idx"], ignore_index=True)
