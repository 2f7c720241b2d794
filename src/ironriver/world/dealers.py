"""The US firearms trade: wholesalers and retail dealers (FFLs) by state.

About 8,700 dealers in AZ, CA, NM and TX at scale 1 (the F 3310.12 population), plus dealers
in interior states that source a quarter of traced guns. Each dealer has a legitimate sales
volume (lognormal) and a separate attractiveness to traffickers that is far more
concentrated (Pareto), which reproduces "1.2% of dealers -> 57.4% of traces" (ATF Commerce
in Firearms, 2000). A few dealers are out of business: their records survive only as images,
so a trace through them fails.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ironriver.world.calibration import figure
from ironriver.world.config import WorldConfig
from ironriver.world.places import (
    BORDER_STATES,
    US_STATES,
    legit_state_share,
    trafficking_state_share,
    us_city,
)

WHOLESALERS = [
    "Southwest Arms Distributors",
    "Gulf Coast Sporting Supply",
    "Desert Range Wholesale",
    "Pacific Outdoor Distributing",
    "Rio Grande Shooting Supply",
    "Great Plains Firearms Supply",
]
SUFFIXES = np.array(
    [
        "Guns",
        "Firearms",
        "Outdoors",
        "Pawn",
        "Sporting Goods",
        "Gun Shop",
        "Arms",
        "Trading Post",
        "Shooting Supply",
        "Hunting & Fishing",
    ]
)
STEMS = np.array(
    [
        "Lone Star",
        "Border",
        "Desert",
        "Mesa",
        "Canyon",
        "Eagle",
        "Patriot",
        "Frontier",
        "Valley",
        "Coyote",
        "Saguaro",
        "Rio",
        "Sierra",
        "Pecos",
        "Cactus",
        "Liberty",
        "Ranger",
        "Big Bend",
        "Copper",
        "Sunset",
        "Red Rock",
        "Gila",
        "Palo Verde",
        "Mustang",
        "Bluebonnet",
        "Longhorn",
        "Pinnacle",
    ]
)
# ATF region digit by state for the FFL number (first field); illustrative.
FFL_REGION = {
    "TX": "5",
    "AZ": "9",
    "CA": "9",
    "NM": "5",
    "NV": "9",
    "CO": "8",
    "IL": "3",
    "FL": "1",
    "GA": "1",
    "OK": "5",
    "WA": "9",
}


def build(cfg: WorldConfig) -> pd.DataFrame:
    """dealer_id, ffl, name, state, state_idx, city, volume, traffic_weight, out_of_business."""
    rng = cfg.rng("dealers")
    states = list(US_STATES)
    share = legit_state_share()
    border = np.isin(states, BORDER_STATES)
    border_total = cfg.value("border_state_dealers") * cfg.scale
    per_state = np.maximum(4, np.round(border_total * share / share[border].sum())).astype(int)
    state_idx = np.repeat(np.arange(len(states)), per_state)
    n = len(state_idx)
    stem = STEMS[rng.integers(0, len(STEMS), n)]
    suffix = SUFFIXES[rng.integers(0, len(SUFFIXES), n)]
    city = us_city(rng, state_idx)
    names = np.array([f"{a} {b}" for a, b in zip(stem, suffix, strict=True)], dtype=object)
    st = np.array(states, dtype=object)[state_idx]
    district = rng.integers(10, 99, n)
    county = rng.integers(1, 500, n)
    ffl = np.array(
        [
            f"{FFL_REGION[s]}-{d:02d}-{c:03d}-01-{5 + k % 4}{'ABCDEFGHJKL'[k % 11]}-{k:05d}"
            for k, (s, d, c) in enumerate(zip(st, district, county, strict=True))
        ],
        dtype=object,
    )
    volume = rng.lognormal(0.0, 1.0, n)
    traffic, favoured = _traffic_weight(state_idx, volume)
    return pd.DataFrame(
        {
            "dealer_id": [f"D{k:06d}" for k in range(n)],
            "ffl": ffl,
            "name": names,
            "state": st,
            "state_idx": state_idx,
            "city": city,
            "volume": volume,
            "traffic_weight": traffic,
            # the big dealers traffickers favour stay in business (records on file)
            "out_of_business": (rng.random(n) < 0.04) & ~favoured,
            "favoured": favoured,
            "wholesaler": np.array(WHOLESALERS, dtype=object)[rng.integers(0, len(WHOLESALERS), n)],
        }
    )


# Share of traced guns bought through traffickers' dealer preference (stock and straw
# purchases; secondary-market guns follow ordinary volume). Assumption, checked by the report.
PREFERENCE_SHARE = 1.0


def _traffic_weight(state_idx: np.ndarray, volume: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Traffickers' dealer preference, reproducing ATF's concentration figure at any scale.

    Exactly `dealers.top_dealer_share` (1.2%) of all dealers are *favoured*: allocated to
    states by trafficking share (largest remainder), the largest dealers of their state.
    In a state with favoured dealers they draw a mass `m` of traffickers' purchases, the rest
    share `1 - m` by volume; `m` is set so favoured dealers source `dealers.top_trace_share`
    (57.4%) of traces: m = 0.574 / (traffic share of states with favoured dealers).
    """
    share = trafficking_state_share()
    n_states = len(share)
    k_total = max(1, round(figure("dealers.top_dealer_share").value * len(volume)))
    quota = share * k_total
    k = np.floor(quota).astype(np.int64)
    k[np.argsort(-(quota - k), kind="stable")[: k_total - int(k.sum())]] += 1
    sizes = np.bincount(state_idx, minlength=n_states)
    k = np.minimum(k, sizes)
    covered = float(share[k > 0].sum())
    mass = min(0.95, figure("dealers.top_trace_share").value / (covered * PREFERENCE_SHARE))
    out = np.zeros(len(volume))
    hot_mask = np.zeros(len(volume), bool)
    for s in range(n_states):
        idx = np.flatnonzero(state_idx == s)
        if len(idx) == 0:
            continue
        order = idx[np.argsort(-volume[idx], kind="stable")]
        hot, rest = order[: k[s]], order[k[s] :]
        m = mass if k[s] > 0 else 0.0
        if k[s] > 0:
            out[hot] = m / k[s]
            hot_mask[hot] = True
        if len(rest):
            out[rest] = (1 - m) * volume[rest] / volume[rest].sum()
    return out, hot_mask


def pick(
    rng: np.random.Generator, dealers: pd.DataFrame, state_idx: np.ndarray, weight: str
) -> np.ndarray:
    """For each requested state, a dealer index in that state drawn by `weight`."""
    out = np.empty(len(state_idx), dtype=np.int64)
    dstate = dealers["state_idx"].to_numpy()
    w_all = dealers[weight].to_numpy()
    for s in np.unique(state_idx):
        m = state_idx == s
        cand = np.flatnonzero(dstate == s)
        w = w_all[cand]
        out[m] = cand[rng.choice(len(cand), size=int(m.sum()), p=w / w.sum())]
    return out
