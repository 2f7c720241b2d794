"""US-Mexico land ports: packaged BTS data, Mexican counterparts, weekly volumes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ironriver.world.ports import (
    TOTAL_OUTBOUND_LANES,
    WEEKS_PER_YEAR,
    monthly_factors,
    monthly_volumes,
    ports,
    weekly_volume,
)

SHARED_CSV = Path("/work/shared/data/bts_border_crossings/all_ports_2018.csv")
COUNTERPARTS = {
    "San Ysidro": ("Tijuana", "BC"),
    "Otay Mesa": ("Tijuana", "BC"),
    "Laredo": ("Nuevo Laredo", "TAMPS"),
    "Nogales": ("Nogales", "SON"),
    "El Paso": ("Ciudad Juárez", "CHIH"),
    "Calexico": ("Mexicali", "BC"),
    "Eagle Pass": ("Piedras Negras", "COAH"),
    "Brownsville": ("Matamoros", "TAMPS"),
}


def test_ports_table() -> None:
    df = ports()
    assert len(df) == 27
    assert df["code"].is_unique
    assert set(df["state"]) == {"CA", "AZ", "NM", "TX"}
    assert set(df["mx_state"]) == {"BC", "SON", "CHIH", "COAH", "TAMPS"}
    for port, (city, state) in COUNTERPARTS.items():
        row = df[df["port"] == port].iloc[0]
        assert (row["mx_city"], row["mx_state"]) == (city, state)
    assert df["share"].sum() == pytest.approx(1.0)
    assert df.iloc[0]["port"] == "San Ysidro"
    assert df["lanes"].sum() == TOTAL_OUTBOUND_LANES
    # Ports with vehicle traffic have lanes; pedestrian-only crossings have none.
    assert ((df["annual_personal_vehicles"] > 0) == (df["lanes"] > 0)).all()


def test_san_ysidro_supports_southbound_assumption() -> None:
    sy = ports().set_index("port").loc["San Ysidro"]
    per_day = sy["annual_personal_vehicles"] / 365
    assert 35_000 < per_day < 45_000  # SANDAG: ~38,000-40,000 southbound vehicles/day


@pytest.mark.skipif(not SHARED_CSV.exists(), reason="shared BTS file not available")
def test_totals_match_source_csv() -> None:
    src = pd.read_csv(SHARED_CSV)
    src = src[src["Border"] == "US-Mexico Border"]
    df = ports().set_index("code")
    for measure, column in [
        ("Personal Vehicles", "annual_personal_vehicles"),
        ("Trucks", "annual_trucks"),
        ("Buses", "annual_buses"),
        ("Pedestrians", "annual_pedestrians"),
    ]:
        expected = src[src["Measure"] == measure].groupby("Port Code")["Value"].sum()
        got = df[column]
        assert got[got > 0].sort_index().to_dict() == expected.sort_index().to_dict()
    packaged = monthly_volumes()
    assert (
        packaged["value"].sum()
        == src[src["Measure"].isin(["Personal Vehicles", "Trucks", "Buses", "Pedestrians"])][
            "Value"
        ].sum()
    )


def test_monthly_volumes_layout() -> None:
    mv = monthly_volumes()
    assert list(mv.columns) == ["port", "state", "code", "month", "measure", "value"]
    assert set(mv["month"]) == {f"2018-{m:02d}" for m in range(1, 13)}


def test_weekly_volume() -> None:
    df = ports()
    weekly = weekly_volume(df, 0.1)
    assert weekly.index.tolist() == df["port"].tolist()
    assert weekly.sum() == pytest.approx(
        df["annual_personal_vehicles"].sum() * 0.1 / WEEKS_PER_YEAR
    )
    with_trucks = weekly_volume(df, 0.1, include_trucks=True)
    assert (with_trucks >= weekly).all()
    assert with_trucks["Laredo"] > weekly["Laredo"]
    december = weekly_volume(df, 1.0, month=12)
    factor = float(monthly_factors()[12]["San Ysidro"])
    assert december["San Ysidro"] == pytest.approx(weekly["San Ysidro"] * 10 * factor)
    with pytest.raises(ValueError, match="month"):
        weekly_volume(df, 1.0, month=13)


def test_monthly_factors() -> None:
    f = monthly_factors()
    assert f.shape == (27, 12)
    assert np.isfinite(f.to_numpy()).all()
    busy = f.loc[["San Ysidro", "El Paso", "Laredo"]]
    assert (busy.mean(axis=1) - 1).abs().max() < 0.02
    assert (f.loc["Cross Border Xpress"] == 1.0).all()
