"""The true persons of the world, with stable ids by kind.

- `MXP…` cartel members (every position holder, recruits included), Mexican names, most
  with a nickname;
- `USP…` US ring members, border-state names, some with a nickname;
- `BUY…` retail buyers who appear in a dealer record (legitimate, secondary, stock), of age
  at their first purchase (21 if they buy a handgun, else 18);
- `DRV…` commuter drivers, one per commuter vehicle (its owner), all of them: every
  crossing, plate read and vehicle of the truth names one.

Names come from `names.generate_people` (random combinations, never real persons). Only
persons who appear in some record or true table are materialised.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ironriver.world.config import WorldConfig
from ironriver.world.names import assign_nicknames, generate_people
from ironriver.world.places import US_STATES, us_city

PREFIX = {"member": "MXP", "ring": "USP", "buyer": "BUY", "driver": "DRV"}


def person_ids(kind: str, idx: np.ndarray) -> np.ndarray:
    return _padded(PREFIX[kind], np.asarray(idx, np.int64))


def _padded(prefix: str | np.ndarray, number: np.ndarray, width: int = 8) -> np.ndarray:
    """prefix + the number zero-padded to `width` digits, for each row (vectorised: a
    scale-1 world names millions of commuter drivers)."""
    digits = pc.utf8_lpad(pc.cast(pa.array(number, pa.int64()), pa.string()), width, "0")
    joined = pc.binary_join_element_wise(prefix, digits, "")
    return np.asarray(joined.to_numpy(zero_copy_only=False), dtype=object)


def build(
    cfg: WorldConfig,
    kind: str,
    idx: np.ndarray,
    nickname_share: float,
    us_state_idx: np.ndarray | None = None,
    *,
    as_of: np.ndarray | None = None,
    min_age: np.ndarray | None = None,
) -> pd.DataFrame:
    """Persons of one kind for the sorted unique indices `idx`.

    Everyone is an adult at the run's start, or, where `as_of` gives a date per person (a
    buyer's first purchase), at that date, of at least `min_age` (per person: 21 for one
    who buys a handgun from a dealer, 18 for a long gun, 18 U.S.C. 922(b)(1))."""
    rng = cfg.rng(f"people:{kind}")
    idx = np.unique(idx)
    n = len(idx)
    when = cfg.start64 if as_of is None else np.asarray(as_of, "datetime64[D]")
    pop = "mx" if kind == "member" else "us_border"
    df = generate_people(rng, n, pop, as_of=when, min_age=min_age)  # type: ignore[arg-type]
    nick = assign_nicknames(
        rng, n, sex=df["sex"].to_numpy(), given_names=df["given_names"].to_numpy()
    )
    has = rng.random(n) < nickname_share
    df["nickname"] = np.where(has, nick, "").astype(object)
    df.insert(0, "person_id", person_ids(kind, idx))
    df.insert(1, "kind", kind)
    df["birth_date"] = df["birth_date"].to_numpy().astype("datetime64[D]")
    if us_state_idx is not None:
        st = np.asarray(us_state_idx)
        df["us_state"] = np.array(list(US_STATES), dtype=object)[st]
        df["city"] = us_city(rng, st)
        df["id_number"] = _padded(
            pa.array(df["us_state"].to_numpy(object), pa.string()), rng.integers(0, 10**8, n)
        )
    else:
        df["us_state"] = ""
        df["city"] = ""
        df["id_number"] = ""
    return df
