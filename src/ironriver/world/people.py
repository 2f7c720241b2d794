"""The true persons of the world, with stable ids by kind.

- `MXP…` cartel members (every position holder, recruits included), Mexican names, most
  with a nickname;
- `USP…` members of US trafficking rings, some with a nickname: living in the ring's US
  state (border-state names), except the drivers of Mexican-plated ring vehicles, who, like
  those commuters, live in the plate's Mexican state (`rings.build`);
- `BUY…` retail buyers who appear in a dealer record (legitimate, secondary, stock), of age
  at their first purchase (21 if they buy a handgun, else 18);
- `DRV…` commuter drivers, one per commuter vehicle (its owner), all of them: every
  crossing, plate read and vehicle of the truth names one. The owner of a Mexican-plated
  vehicle lives in the plate's Mexican state (a Mexican person: two surnames, a town of that
  state, a state driving licence); of a US-plated one, in the port's US state.

Names come from `names.generate_people` (random combinations, never real persons). Only
persons who appear in some record or true table are materialised. Residence columns:
`country` ("US", "MX", or "" where the world gives a person no address, as for cartel
members), `us_state` (code) or `mx_state` (name), `city` (a US city or a Mexican
municipality) and `id_number` (a driving licence: state code + 8 digits). Where someone
lives never decides what they do in the world: who traffics is decided by ring membership.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ironriver.world.config import WorldConfig
from ironriver.world.names import assign_nicknames, generate_people
from ironriver.world.places import MX_STATE_CODES, US_STATES, mx_municipality, us_city

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
    mx_state: np.ndarray | None = None,
    as_of: np.ndarray | None = None,
    min_age: np.ndarray | None = None,
) -> pd.DataFrame:
    """Persons of one kind for the sorted unique indices `idx`.

    Everyone is an adult at the run's start, or, where `as_of` gives a date per person (a
    buyer's first purchase), at that date, of at least `min_age` (per person: 21 for one
    who buys a handgun from a dealer, 18 for a long gun, 18 U.S.C. 922(b)(1)).
    `us_state_idx` gives each person a US residence (an index of `US_STATES`); `mx_state`,
    where given, a Mexican one instead for the persons whose entry is a Mexican state code
    (`MX_STATE_CODES`, as on a plate; "" for those living in the US)."""
    rng = cfg.rng(f"people:{kind}")
    idx = np.unique(idx)
    n = len(idx)
    when = cfg.start64 if as_of is None else np.asarray(as_of, "datetime64[D]")
    in_mx = np.zeros(n, bool) if mx_state is None else np.asarray(mx_state, object) != ""
    if kind == "member":
        df = generate_people(rng, n, "mx", as_of=when, min_age=min_age)
    elif in_mx.any():
        df = _residents(rng, in_mx, when, min_age)
    else:
        df = generate_people(rng, n, "us_border", as_of=when, min_age=min_age)
    nick = assign_nicknames(
        rng, n, sex=df["sex"].to_numpy(), given_names=df["given_names"].to_numpy()
    )
    has = rng.random(n) < nickname_share
    df["nickname"] = np.where(has, nick, "").astype(object)
    df.insert(0, "person_id", person_ids(kind, idx))
    df.insert(1, "kind", kind)
    df["birth_date"] = df["birth_date"].to_numpy().astype("datetime64[D]")
    df["country"] = ""
    df["us_state"] = ""
    df["mx_state"] = ""
    df["city"] = ""
    df["id_number"] = ""
    if us_state_idx is not None:
        st = np.asarray(us_state_idx)[~in_mx]
        _reside(
            rng, df, ~in_mx, "US", np.array(list(US_STATES), dtype=object)[st], us_city(rng, st)
        )
    if in_mx.any():
        code = np.asarray(mx_state, object)[in_mx]
        state = pd.Series(code).map({c: name for name, c in MX_STATE_CODES.items()})
        _reside(rng, df, in_mx, "MX", code, mx_municipality(rng, state.to_numpy(object)), state)
    return df


def _reside(
    rng: np.random.Generator,
    df: pd.DataFrame,
    rows: np.ndarray,
    country: str,
    code: np.ndarray,
    city: np.ndarray,
    mx_state: pd.Series | None = None,
) -> None:
    """Give `rows` of `df` a residence: a state (`code`, and for Mexico the state's name), a
    city there and a driving licence of that state (its code and 8 digits)."""
    df.loc[rows, "country"] = country
    if mx_state is None:
        df.loc[rows, "us_state"] = code
    else:
        df.loc[rows, "mx_state"] = mx_state.to_numpy(object)
    df.loc[rows, "city"] = city
    df.loc[rows, "id_number"] = _padded(
        pa.array(code, pa.string()), rng.integers(0, 10**8, len(code))
    )


def _residents(
    rng: np.random.Generator,
    in_mx: np.ndarray,
    as_of: np.datetime64 | np.ndarray,
    min_age: np.ndarray | None,
) -> pd.DataFrame:
    """People living in Mexico (where `in_mx`) or in the US border states (elsewhere), in
    that order of rows: each drawn from their own population of names."""
    parts = []
    for mask, population in ((in_mx, "mx"), (~in_mx, "us_border")):
        when = as_of if np.ndim(as_of) == 0 else np.asarray(as_of)[mask]
        least = None if min_age is None else np.asarray(min_age)[mask]
        part = generate_people(rng, int(mask.sum()), population, as_of=when, min_age=least)  # type: ignore[arg-type]
        part.index = np.flatnonzero(mask)
        parts.append(part)
    return pd.concat(parts).sort_index().reset_index(drop=True)
