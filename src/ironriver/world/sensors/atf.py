"""ATF: dealer disposition records (Form 4473 fields) and multiple-sale reports.

What ATF sees: every first retail sale at a dealer still in business (an out-of-business
dealer's records survive only as images, so they are missing here and a trace through them
fails), with the buyer's name as written on the form (one last-name box, maternal surname
often dropped, accents stripped, capitals), date of birth, city and ID number, and the gun's
make, model, serial, type and caliber as the clerk typed them. Multiple-sale reports (F
3310.4, F 3310.12) repeat the same fields for each gun, one row per gun.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ironriver.world import noise
from ironriver.world.sales import flag_multiple_sales
from ironriver.world.sensors.common import (
    US_FORM_NOISE,
    fmt_dates,
    ledger_spec,
    lookup,
    noisy_names,
    records,
    us_last_name,
)
from ironriver.world.writer import write_csv, write_yaml

if TYPE_CHECKING:
    from ironriver.world.config import WorldPaths
    from ironriver.world.generate import World

AGENCY = "atf"

SALES_COLUMNS = {
    "record_id": ("TXN_NO", "string"),
    "ffl": ("FFL_NO", "string"),
    "dealer_name": ("DEALER_NAME", "string"),
    "dealer_state": ("DEALER_STATE", "string"),
    "sale_date": ("DISPOSITION_DATE", "date"),
    "buyer_last_name": ("BUYER_LAST", "string"),
    "buyer_first_name": ("BUYER_FIRST", "string"),
    "buyer_dob": ("BUYER_DOB", "date"),
    "buyer_city": ("BUYER_CITY", "string"),
    "buyer_state": ("BUYER_STATE", "string"),
    "buyer_id_number": ("BUYER_ID_NO", "string"),
    "make": ("MANUFACTURER", "string"),
    "model": ("MODEL", "string"),
    "serial": ("SERIAL_NO", "string"),
    "weapon_type": ("WEAPON_TYPE", "string"),
    "caliber": ("CALIBER", "string"),
    "price": ("PRICE_USD", "float"),
}
MS_COLUMNS = {
    "report_no": ("REPORT_NO", "string"),
    "form": ("FORM", "string"),
    "record_id": ("TXN_NO", "string"),
    "ffl": ("FFL_NO", "string"),
    "dealer_state": ("DEALER_STATE", "string"),
    "sale_date": ("SALE_DATE", "date"),
    "buyer_last_name": ("PURCHASER_LAST", "string"),
    "buyer_first_name": ("PURCHASER_FIRST", "string"),
    "buyer_dob": ("PURCHASER_DOB", "date"),
    "make": ("MANUFACTURER", "string"),
    "model": ("MODEL", "string"),
    "serial": ("SERIAL_NO", "string"),
    "weapon_type": ("WEAPON_TYPE", "string"),
    "caliber": ("CALIBER", "string"),
}
US_DATE = "%m/%d/%Y"


def write(world: World, paths: WorldPaths) -> list[pd.DataFrame]:
    rng = world.cfg.rng("sensor:atf")
    out = paths.agency(AGENCY)
    sales = world.all_sales
    guns = world.guns
    dealers = world.dealers
    g = guns.iloc[sales["gun_idx"].to_numpy()].reset_index(drop=True)
    d = dealers.iloc[sales["dealer_idx"].to_numpy()].reset_index(drop=True)
    buyers = lookup(world.persons, sales["buyer_id"].to_numpy())
    names = noisy_names(rng, buyers, US_FORM_NOISE)
    serial, _ = noise.serial_misread(rng, g["serial"].to_numpy(object), 0.01)
    make, _ = noise.make_variant(rng, g["maker"].to_numpy(object), 0.15)
    caliber, _ = noise.caliber_variant(rng, g["caliber"].to_numpy(object), 0.15)
    dob, _ = noise.drop_values(rng, fmt_dates(buyers["birth_date"].to_numpy(), US_DATE), 0.01)
    txn = np.array(
        [f"{f}-{i:09d}" for f, i in zip(d["ffl"], sales["sale_idx"], strict=True)], dtype=object
    )
    frame = pd.DataFrame(
        {
            "TXN_NO": txn,
            "FFL_NO": d["ffl"].to_numpy(object),
            "DEALER_NAME": d["name"].to_numpy(object),
            "DEALER_STATE": d["state"].to_numpy(object),
            "DISPOSITION_DATE": fmt_dates(sales["date"].to_numpy(), US_DATE),
            "BUYER_LAST": us_last_name(names),
            "BUYER_FIRST": names["given_names"].to_numpy(object),
            "BUYER_DOB": dob,
            "BUYER_CITY": buyers["city"].to_numpy(object),
            "BUYER_STATE": buyers["us_state"].to_numpy(object),
            "BUYER_ID_NO": buyers["id_number"].to_numpy(object),
            "MANUFACTURER": make,
            "MODEL": g["model"].to_numpy(object),
            "SERIAL_NO": serial,
            "WEAPON_TYPE": g["type"].to_numpy(object),
            "CALIBER": caliber,
            "PRICE_USD": sales["price"].to_numpy(float),
        }
    )
    lost = sales["record_lost"].to_numpy(bool)
    visible = ~d["out_of_business"].to_numpy(bool) & ~lost
    write_csv(frame[visible], out / "dealer_sales.csv")
    recs = [
        records(
            "us_atf_dealer_sales",
            txn[visible],
            sales["buyer_id"].to_numpy(object)[visible],
            g["gun_id"].to_numpy(object)[visible],
        )
    ]

    # multiple-sale reports, filed for sales inside the run
    key = pd.factorize(sales["buyer_id"].to_numpy(object))[0]
    rep = flag_multiple_sales(sales, g, dealers, key)
    in_run = sales["date"].to_numpy() >= world.cfg.start64
    rep = rep[in_run[rep["sale_idx"].to_numpy()]].reset_index(drop=True)
    rep["report_no"] = pd.factorize(rep["report_no"])[0]
    s = rep["sale_idx"].to_numpy()
    ms = pd.DataFrame(
        {
            "REPORT_NO": [
                f"MS{f.replace('.', '')}-{n:07d}"
                for f, n in zip(rep["form"], rep["report_no"], strict=True)
            ],
            "FORM": ("ATF F " + rep["form"]).to_numpy(object),
            "TXN_NO": txn[s],
            "FFL_NO": frame["FFL_NO"].to_numpy(object)[s],
            "DEALER_STATE": frame["DEALER_STATE"].to_numpy(object)[s],
            "SALE_DATE": frame["DISPOSITION_DATE"].to_numpy(object)[s],
            "PURCHASER_LAST": frame["BUYER_LAST"].to_numpy(object)[s],
            "PURCHASER_FIRST": frame["BUYER_FIRST"].to_numpy(object)[s],
            "PURCHASER_DOB": frame["BUYER_DOB"].to_numpy(object)[s],
            "MANUFACTURER": frame["MANUFACTURER"].to_numpy(object)[s],
            "MODEL": frame["MODEL"].to_numpy(object)[s],
            "SERIAL_NO": frame["SERIAL_NO"].to_numpy(object)[s],
            "WEAPON_TYPE": frame["WEAPON_TYPE"].to_numpy(object)[s],
            "CALIBER": frame["CALIBER"].to_numpy(object)[s],
        }
    )
    write_csv(ms, out / "multiple_sales.csv")
    world.multiple_sales = rep
    recs.append(
        records(
            "us_atf_multiple_sales",
            ms["REPORT_NO"].to_numpy(object) + "/" + txn[s],
            sales["buyer_id"].to_numpy(object)[s],
            g["gun_id"].to_numpy(object)[s],
        )
    )
    world.sale_record_id = txn
    write_yaml(
        {
            "us_atf_dealer_sales": {
                "title": "Dealer disposition records (ATF Form 4473 fields)",
                "agency": "ATF",
                "country": "US",
                "marking": "AMBER",
                "releasable_to": ["US"],
                "legal_basis": "18 U.S.C. 923(g); trace requests under the Gun Control Act",
                "queries": [
                    {
                        "csv_url": "dealer_sales.csv",
                        "ledger": ledger_spec("dealer_sales", SALES_COLUMNS, US_DATE),
                    }
                ],
            },
            "us_atf_multiple_sales": {
                "title": "Multiple-sale reports (ATF F 3310.4 and F 3310.12)",
                "agency": "ATF",
                "country": "US",
                "marking": "AMBER",
                # the same buyers' 4473 identity as dealer_sales: US only (docs/policy.md)
                "releasable_to": ["US"],
                "legal_basis": "18 U.S.C. 923(g)(3)(A); 27 CFR 478.126a; F 3310.12 demand letter (2011)",
                "queries": [
                    {
                        "csv_url": "multiple_sales.csv",
                        "ledger": ledger_spec("multiple_sales", MS_COLUMNS, US_DATE),
                    }
                ],
            },
        },
        out / "mapping.yaml",
    )
    return recs
