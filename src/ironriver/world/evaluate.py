"""Measure a generated world against the published figures it is calibrated to.

`measure(root)` reads `truth/*.parquet` (and counts one port's crossings in the CBP file)
and returns each figure's simulated value under the same key as `calibration.FIGURES`, plus
a few world-only figures (`world.*`) whose tolerances are this project's documented
assumptions. A trace here is what ATF's would conclude from the records: a recovery is
*traced to the US* when its gun went through US commerce and its record is complete enough
(serial not fully obliterated, make present); *with a purchaser* when the first retail sale
record is still available and the serial is fully legible.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from ironriver.errors import WorldError
from ironriver.i18n import msg
from ironriver.world.config import WorldPaths

BORDER = ("TX", "AZ", "CA", "NM")


@dataclass(frozen=True)
class WorldFigure:
    """A figure only the world defines (no public source): value and accepted range."""

    key: str
    value: float
    low: float
    high: float
    unit: str
    description: str


WORLD_FIGURES = (
    WorldFigure(
        "world.multiple_sale_straw_share",
        0.45,
        0.2,
        0.7,
        "share",
        "Straw-purchased trafficked guns that appear on a multiple-sale report "
        "(assumption: evasive rings keep it well below 1).",
    ),
    WorldFigure(
        "world.multiple_sale_evasive_share",
        0.05,
        0.0,
        0.2,
        "share",
        "Same, for rings that spread purchases (assumption).",
    ),
    WorldFigure(
        "world.successor_homicide_local",
        0.0,
        -0.5,
        0.5,
        "relative increase",
        "Killings in the municipality of the capture for a year after a decapitation with a "
        "recognised successor, as cartels.kingpin_homicide_local measures them (Jones 2013: "
        "no added violence); the range allows for the few killings of one municipality.",
    ),
)


def _read(root: Path, name: str) -> pd.DataFrame:
    path = root / "truth" / f"{name}.parquet"
    if not path.exists():
        raise WorldError(
            msg("{path} is missing.", path=path),
            hint=msg("Generate the world with {command}.", command="`ironriver world generate`"),
        )
    return pd.read_parquet(path)


def trace_outcomes(root: Path) -> pd.DataFrame:
    """One row per recovery: outcome (us_purchaser, us_no_purchaser, foreign, undetermined),
    the gun's type and caliber, source state, dealer and time-to-crime in years."""
    rec = _read(root, "recoveries")
    guns = _read(root, "guns").set_index("gun_id")
    dealers = _read(root, "dealers").set_index("dealer_id")
    sales = _read(root, "sales")
    lost_ids = set(sales.loc[sales["record_lost"], "sale_id"])
    g = guns.loc[rec["gun_id"]]
    origin = g["origin"].to_numpy(object)
    us = origin != "foreign"
    readable = (rec["serial_status"] != "obliterated").to_numpy() & ~rec["incomplete"].to_numpy(
        bool
    )
    dealer = g["dealer_id"].to_numpy(object)
    closed = dealers["out_of_business"].reindex(dealer).fillna(False).to_numpy(bool)
    lost = pd.Series(g["sale_id"].to_numpy(object)).isin(lost_ids).to_numpy()
    purchaser = (rec["serial_status"] == "intact").to_numpy() & ~closed & ~lost
    outcome = np.where(
        ~us,
        "foreign",
        np.where(~readable, "undetermined", np.where(purchaser, "us_purchaser", "us_no_purchaser")),
    )
    ttc = (rec["date"].to_numpy() - g["sale_date"].to_numpy()).astype("timedelta64[D]").astype(
        float
    ) / 365.25
    return pd.DataFrame(
        {
            "recovery_id": rec["recovery_id"].to_numpy(),
            "outcome": outcome,
            "type": g["type"].to_numpy(object),
            "caliber": g["caliber"].to_numpy(object),
            "dealer_id": dealer,
            "source_state": dealers["state"].reindex(dealer).fillna("").to_numpy(object),
            "mx_state": rec["mx_state"].to_numpy(object),
            "ttc_years": ttc,
            "serial_status": rec["serial_status"].to_numpy(object),
        }
    )


def measure(root: Path | str) -> dict[str, float]:
    """Simulated value of every figure the world can speak to."""
    root = WorldPaths(Path(root)).require().root
    meta = json.loads((root / "world.json").read_text(encoding="utf-8"))
    scale, years = float(meta["scale"]), int(meta["years"])
    out: dict[str, float] = {}
    guns = _read(root, "guns")
    trips = _read(root, "trips")
    traf = int((guns["origin"] == "trafficked").sum())
    out["flow.guns_per_year"] = traf / scale / years
    crossed = float(trips.loc[trips["loaded"], "n_guns"].sum())
    seized = float(trips.loc[trips["seized"], "n_guns"].sum())
    out["cbp.outbound_seizure_share"] = seized / crossed if crossed else float("nan")

    t = trace_outcomes(root)
    traced = t["outcome"].isin(["us_purchaser", "us_no_purchaser"])
    with_p = t[t["outcome"] == "us_purchaser"]
    out["traces.us_sourced_share"] = float(traced.mean())
    out["traces.foreign_made_share"] = float((t["outcome"] == "foreign").mean())
    out["traces.no_purchaser_share"] = float(
        (t["outcome"] == "us_no_purchaser").sum() / max(1, traced.sum())
    )
    out["traces.ttc_mexico_mean_years"] = float(with_p["ttc_years"].mean())
    typ = t["type"]
    out["mix.pistol_share"] = float((typ == "pistol").mean())
    out["mix.rifle_share"] = float((typ == "rifle").mean())
    out["mix.handgun_share_2017_22"] = float(typ.isin(["pistol", "revolver"]).mean())
    out["mix.long_gun_share_2017_22"] = float(typ.isin(["rifle", "shotgun"]).mean())
    cal = t["caliber"].astype(str)
    out["mix.caliber_9mm_share"] = float(cal.str.match(r"^9\s?mm").mean())
    out["mix.caliber_22_share"] = float(cal.str.match(r"^\.22(\s|$)").mean())
    st = with_p["source_state"]
    for s in ("tx", "az"):
        out[f"source_state.{s}_share"] = float((st == s.upper()).mean())
    out["source_state.ca_nm_share"] = float(st.isin(["CA", "NM"]).mean())
    four = st[st.isin(BORDER)]
    for s in BORDER:
        out[f"source_state.border_share_{s.lower()}"] = float((four == s).mean())
    out["source_state.az_sonora_corridor_share"] = float(
        ((st == "AZ") & (with_p["mx_state"] == "Sonora")).mean()
    )
    tampered = t["serial_status"] != "intact"
    out["serial.tampered_share"] = float(tampered.mean())
    out["serial.partial_share"] = float(
        (t["serial_status"] == "partial").sum() / max(1, tampered.sum())
    )
    dealers = _read(root, "dealers")
    per_dealer = with_p["dealer_id"].value_counts()
    top = max(1, round(0.012 * len(dealers)))
    out["dealers.top_trace_share"] = float(per_dealer.iloc[:top].sum() / max(1, per_dealer.sum()))
    sales = _read(root, "sales")
    start = np.datetime64(meta["start"])
    in_run = sales["date"].to_numpy() >= start
    traf_sales = sales[in_run & sales["kind"].isin(["straw", "secondary"])]
    rings = _read(root, "rings")
    inv = rings.loc[rings["investigated"], "ring_id"]
    per_ring = traf_sales[traf_sales["ring_id"].isin(inv)].groupby("ring_id").size()
    out["cases.guns_per_case"] = float(per_ring.mean() / years) if len(per_ring) else float("nan")
    # cartels
    mem = _read(root, "memberships")
    cartel = mem[mem["ring_id"] == ""]
    at_start = cartel[cartel["start_week"] < 0]
    members0 = at_start["person_id"].nunique()
    out["cartels.members_2022"] = members0 / scale
    largest = at_start.groupby("org_id")["person_id"].nunique().max()
    out["cartels.cjng_share"] = float(largest / members0)
    first = cartel.groupby("person_id")["start_week"].min()
    out["cartels.recruits_per_week"] = int((first >= 0).sum()) / (52 * years) / scale
    ev = _read(root, "events")
    out["cartels.death_rate_per_year"] = float((ev["kind"] == "killed").sum() / members0 / years)
    out["cartels.incapacitation_rate_per_year"] = float(
        (ev["kind"] == "arrested").sum() / members0 / years
    )
    out["cartels.loss_rate_per_year"] = (
        out["cartels.death_rate_per_year"] + out["cartels.incapacitation_rate_per_year"]
    )
    # multiple-sale hits
    ms_path = root / "truth" / "multiple_sales.parquet"
    reported = set(pd.read_parquet(ms_path)["sale_id"]) if ms_path.exists() else set()
    straw = sales[in_run & (sales["kind"] == "straw")].merge(
        rings[["ring_id", "evasive"]], on="ring_id"
    )
    hit = straw["sale_id"].isin(reported)
    out["world.multiple_sale_straw_share"] = float(hit[~straw["evasive"]].mean())
    out["world.multiple_sale_evasive_share"] = float(hit[straw["evasive"]].mean())
    if meta.get("decapitation_week") is not None and meta.get("succession"):
        local, territory = kingpin_effects(
            ev,
            _read(root, "plazas"),
            str(meta["decapitated_org"]),
            int(str(meta["decapitation_week"])),
            int(str(meta["weeks"])),
        )
        if meta["succession"] == "split":
            out["cartels.kingpin_homicide_local"] = local
            out["cartels.kingpin_homicide_territory"] = territory
        else:
            out["world.successor_homicide_local"] = local
    # border volume at San Ysidro (southbound assumed = northbound)
    csv = root / "agencies" / "cbp" / "outbound_crossings.csv"
    if csv.exists():
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")
        count = con.execute(
            "SELECT count(*) FROM read_csv(?, header=true, all_varchar=true) WHERE PORT_NAME = 'San Ysidro'",
            [str(csv)],
        ).fetchone()
        con.close()
        out["border.san_ysidro_southbound_per_day"] = (
            float(count[0] if count else 0) / (364 * years) / scale
        )
    return out


def kingpin_effects(
    events: pd.DataFrame, plazas: pd.DataFrame, org: str, week: int, weeks: int
) -> tuple[float, float]:
    """What Lindo & Padilla-Romo (2018) measure after a kingpin capture, in a world's truth:
    the relative increase of killings (of anyone) in the municipality of the capture over the
    year after it, and in the other municipalities of the organisation's territory over the
    six months after it, each against the same span before the capture (up to a year) and
    net of the change in every other municipality (the controls). NaN when a span is empty
    or holds no killing (a capture in a world's first or last week: not measurable)."""
    where = events["mx_state"].astype(str) + "|" + events["municipality"].astype(str)
    decap = events["kind"] == "decapitation"
    if not decap.any():
        return float("nan"), float("nan")
    capture = str(where[decap].iloc[0])
    own = plazas[plazas["org_id"] == org]
    territory = set(own["mx_state"].astype(str) + "|" + own["municipality"].astype(str))
    territory.discard(capture)
    killed = events["kind"] == "killed"
    wk = events["week"].to_numpy()
    start = max(0, week - 52)

    def change(place: pd.Series, span: int) -> float:
        end = min(weeks, week + span)
        before = (killed & place & (wk >= start) & (wk < week)).sum() / max(1, week - start)
        after = (killed & place & (wk >= week) & (wk < end)).sum() / max(1, end - week)
        return float(after / before) if before and end > week else float("nan")

    def net(place: pd.Series, span: int) -> float:
        base = change(control, span)  # 0 when the controls had no killing after (a short span)
        return change(place, span) / base - 1.0 if base > 0 else float("nan")

    control = ~where.isin(territory | {capture})
    return net(where == capture, 52), net(where.isin(territory), 26)
