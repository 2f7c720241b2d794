"""US-Mexico land ports: 2018 crossing volumes and the southbound-volume assumption.

Data ship inside the package (`data/ports_2018.csv`, `data/port_counterparts.csv`, see
`data/SOURCE.txt`): BTS monthly NORTHBOUND counts for the 27 US-Mexico land ports in 2018,
each port's Mexican counterpart city and an approximate number of outbound lanes.

Assumption (`border.san_ysidro_southbound_per_day` in `ironriver.world.calibration.FIGURES`
supports it): CBP does not count outbound traffic, so the southbound volume
of a port is taken equal to its northbound volume. Port shares and weekly volumes are of
personal vehicles, the vehicles gun smugglers mostly use.
"""

from __future__ import annotations

import io
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from ironriver.errors import WorldError
from ironriver.i18n import msg

__all__ = [
    "MEASURES",
    "STATE_CODES",
    "TOTAL_OUTBOUND_LANES",
    "WEEKS_PER_YEAR",
    "monthly_factors",
    "monthly_volumes",
    "ports",
    "weekly_volume",
]

MEASURES = ("Personal Vehicles", "Trucks", "Buses", "Pedestrians")
STATE_CODES = {"California": "CA", "Arizona": "AZ", "New Mexico": "NM", "Texas": "TX"}
TOTAL_OUTBOUND_LANES = 110
"""Outbound lanes to Mexico with licence-plate readers (CBP, since 2009)."""
WEEKS_PER_YEAR = 365.25 / 7


def _read(name: str) -> pd.DataFrame:
    text = resources.files("ironriver.world").joinpath(f"data/{name}").read_text("utf-8")
    return pd.read_csv(io.StringIO(text), keep_default_na=False)


@cache
def _monthly() -> pd.DataFrame:
    return _read("ports_2018.csv")


def monthly_volumes() -> pd.DataFrame:
    """BTS 2018 monthly northbound counts: port, state, code, month, measure, value."""
    return _monthly().copy()


@cache
def _ports() -> pd.DataFrame:
    monthly = _monthly()
    annual = monthly.pivot_table(
        index=["code", "port", "state"],
        columns="measure",
        values="value",
        aggfunc="sum",
        fill_value=0,
    ).reset_index()
    for measure in MEASURES:
        if measure not in annual:
            annual[measure] = 0
    mx = _read("port_counterparts.csv")
    df = annual.merge(mx.drop(columns=["port"]), on="code", how="left", validate="1:1")
    if df["mx_city"].isna().any():
        missing = df.loc[df["mx_city"].isna(), "port"].tolist()
        raise WorldError(
            msg("{file} lacks ports {missing}", file="port_counterparts.csv", missing=missing),
            msg("add their Mexican city, state and lanes to {path}", path="ironriver/world/data"),
        )
    personal = df["Personal Vehicles"].astype(np.int64)
    out = pd.DataFrame(
        {
            "port": df["port"].astype(object),
            "state": df["state"].map(STATE_CODES).astype(object),
            "code": df["code"].astype(np.int64),
            "mx_city": df["mx_city"].astype(object),
            "mx_state": df["mx_state"].astype(object),
            "annual_personal_vehicles": personal,
            "annual_trucks": df["Trucks"].astype(np.int64),
            "annual_buses": df["Buses"].astype(np.int64),
            "annual_pedestrians": df["Pedestrians"].astype(np.int64),
            "lanes": df["lanes"].astype(np.int64),
            "share": personal / personal.sum(),
        }
    )
    return out.sort_values("annual_personal_vehicles", ascending=False, kind="stable").reset_index(
        drop=True
    )


def ports() -> pd.DataFrame:
    """One row per US-Mexico land port (27), largest first.

    Columns: port, state (CA/AZ/NM/TX), code (BTS port code), mx_city, mx_state (BC, SON,
    CHIH, COAH, TAMPS), annual_personal_vehicles, annual_trucks, annual_buses,
    annual_pedestrians (2018 northbound, taken as the southbound volume), lanes (approximate
    outbound vehicle lanes, total 110), share (of personal vehicles, sums to 1).
    """
    return _ports().copy()


def monthly_factors() -> pd.DataFrame:
    """Seasonality: a port's daily personal-vehicle rate in each month (1..12) divided by
    its 2018 annual daily rate (so month length does not count as seasonality).

    Ports without personal-vehicle traffic get a flat 1.0.
    """
    monthly = _monthly()
    pv = monthly[monthly["measure"] == "Personal Vehicles"]
    table = pv.pivot_table(index="port", columns="month", values="value", aggfunc="sum")
    days = pd.Series(pd.PeriodIndex(table.columns.astype(str), freq="M").days_in_month)
    daily = table.div(days.to_numpy(), axis=1)
    factors = daily.div(table.sum(axis=1) / days.sum(), axis=0)
    factors.columns = [int(str(c)[5:7]) for c in table.columns]
    all_ports = pd.Index(_ports()["port"], name="port")
    return factors.reindex(index=all_ports, columns=range(1, 13)).fillna(1.0)


def weekly_volume(
    port_df: pd.DataFrame,
    scale: float,
    *,
    month: int | None = None,
    include_trucks: bool = False,
) -> pd.Series[float]:
    """Expected southbound vehicles per week per port, at the world's `scale`.

    `port_df` is `ports()` or a subset of it. With `month` (1-12) the week takes that
    month's seasonality; `include_trucks` adds commercial trucks. Indexed by port name.
    """
    if scale < 0:
        raise ValueError(f"scale must be >= 0, got {scale}")
    annual = port_df["annual_personal_vehicles"].astype(np.float64)
    if include_trucks:
        annual = annual + port_df["annual_trucks"].astype(np.float64)
    weekly = pd.Series(
        annual.to_numpy() * scale / WEEKS_PER_YEAR, index=pd.Index(port_df["port"], name="port")
    )
    if month is not None:
        if not 1 <= month <= 12:
            raise ValueError(f"month must be within 1..12, got {month}")
        weekly = weekly * monthly_factors()[month].reindex(weekly.index).fillna(1.0)
    return weekly.rename("southbound_vehicles_per_week")
