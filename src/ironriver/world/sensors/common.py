"""Helpers shared by the sensors: record-truth frames and name field layouts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ironriver.world.noise import NameNoise, name_variants

RECORD_COLUMNS = ["dataset", "record_id", "person_id", "gun_id", "vehicle_id"]
RECORD_SCHEMA = pa.schema([(c, pa.string()) for c in RECORD_COLUMNS])

US_FORM_NOISE = NameNoise(
    drop_maternal=0.55,
    swap_surnames=0.02,
    drop_accents=0.8,
    typo=0.02,
    upper_case=0.7,
    alias=0.01,
    nickname_only=0.0,
    shorten_given=0.3,
    # assumption: US record systems whose last-name field takes one word (NCIC-style
    # entry rules drop the spaces of a surname) and dealers typing a Form 4473 so
    join_particles=0.3,
)
MX_FORM_NOISE = NameNoise(
    drop_maternal=0.08,
    swap_surnames=0.03,
    drop_accents=0.3,
    typo=0.03,
    upper_case=0.6,
    nickname_only=0.03,
    join_particles=0.05,  # assumption: a few Mexican records write "DELACRUZ" too
)


def ledger_spec(
    name: str,
    columns: Mapping[str, tuple[str, str] | tuple[str, str, str | None]],
    date_format: str | None = None,
) -> dict[str, Any]:
    """A mapping's `ledger:` block. Each column is (file column, type) or (file column, type,
    format); a date without its own format takes `date_format`."""
    spec: dict[str, Any] = {}
    for out, (col, typ, *rest) in columns.items():
        fmt = rest[0] if rest else (date_format if typ == "date" else None)
        spec[out] = {"column": col, "type": typ, **({"format": fmt} if fmt else {})}
    return {"name": name, "columns": spec}


def records(
    dataset: str,
    record_id: np.ndarray,
    person_id: np.ndarray | None = None,
    gun_id: np.ndarray | None = None,
    vehicle_id: np.ndarray | None = None,
) -> pd.DataFrame:
    n = len(record_id)
    empty = np.full(n, "", dtype=object)
    return pd.DataFrame(
        {
            "dataset": dataset,
            "record_id": np.asarray(record_id, dtype=object),
            "person_id": empty if person_id is None else np.asarray(person_id, dtype=object),
            "gun_id": empty if gun_id is None else np.asarray(gun_id, dtype=object),
            "vehicle_id": empty if vehicle_id is None else np.asarray(vehicle_id, dtype=object),
        }
    )


def noisy_names(rng: np.random.Generator, people: pd.DataFrame, rates: NameNoise) -> pd.DataFrame:
    """Name columns as one agency wrote them (given, paternal, maternal, nickname)."""
    cols = ["given_names", "paternal_surname", "maternal_surname", "nickname"]
    base = people[cols].reset_index(drop=True)
    return name_variants(rng, base, rates)


def us_last_name(noisy: pd.DataFrame) -> np.ndarray:
    """A US form has one last-name box: both surnames when the buyer wrote both."""
    p = noisy["paternal_surname"].to_numpy(object)
    m = noisy["maternal_surname"].to_numpy(object)
    return np.where(m != "", p + " " + m, p).astype(object)


def lookup(people: pd.DataFrame, person_id: np.ndarray) -> pd.DataFrame:
    """Rows of the persons table for each id (ids must exist)."""
    idx = pd.Index(people["person_id"]).get_indexer(pd.Index(person_id))
    if (idx < 0).any():
        missing = pd.Index(person_id)[idx < 0][:3].tolist()
        raise KeyError(f"persons missing from truth: {missing}")
    out: pd.DataFrame = people.iloc[idx].reset_index(drop=True)
    return out


def fmt_dates(values: np.ndarray, fmt: str) -> np.ndarray:
    """Format datetime64 values with strftime codes (NaT -> "")."""
    arr = pa.array(np.asarray(values).astype("datetime64[s]"))
    out = pc.fill_null(pc.strftime(arr, format=fmt), "")
    return np.asarray(out.to_numpy(zero_copy_only=False), dtype=object)
