"""Retail sales as the law has them: which rifles F 3310.12 counts, who may buy what, and
when each model could be bought (truth of a generated world)."""

from __future__ import annotations

import pandas as pd
import pytest

from ironriver.world import WorldPaths
from ironriver.world.guns import bore_over_22, catalogue


@pytest.mark.parametrize(
    ("caliber", "over"),
    [
        (".22 LR", False),
        (".22 WMR", False),
        (".22 Short", False),
        ("22 LR", False),
        (".17 HMR", False),
        ("5.6x15mmR", False),
        (".223 Rem", True),
        ("5.56x45mm", True),
        (".224 Valkyrie", True),
        ("5.45x39mm", True),
        ("7.62x39mm", True),
        ("9mm", True),
        ("6.5 Creedmoor", True),
        ("300 Blackout", True),
        (".30-30 Win", True),
        ("12 gauge", True),
    ],
)
def test_bore_over_22_reads_the_calibre(caliber: str, over: bool) -> None:
    assert bore_over_22(caliber) is over


def test_bore_over_22_refuses_what_it_cannot_read() -> None:
    with pytest.raises(ValueError, match="calibre"):
        bore_over_22("unknown")


def _truth(world: WorldPaths, name: str) -> pd.DataFrame:
    return pd.read_parquet(world.truth / f"{name}.parquet")


def test_swb_rifle_reports_count_223_rifles(world_005: WorldPaths) -> None:
    """.223 Rem AR-15s were left off every F 3310.12 report (".223".startswith(".22"))."""
    reported = _truth(world_005, "multiple_sales")
    sales = _truth(world_005, "sales").set_index("sale_id")
    guns = _truth(world_005, "guns").set_index("gun_id")
    rifles = reported[reported["form"] == "3310.12"]
    calibers = guns["caliber"].reindex(sales["gun_id"].reindex(rifles["sale_id"])).value_counts()
    assert calibers.get(".223 Rem", 0) > 0
    assert calibers.get(".22 LR", 0) == 0


def test_buyers_are_of_age_for_the_gun_at_each_purchase(world_005: WorldPaths) -> None:
    """Buyers were 18-85 at the run's start whatever their sale's date: stock and secondary
    guns sold decades earlier went to children and the unborn, and dealers sold handguns to
    18-20-year-olds (18 U.S.C. 922(b)(1): 21 for a handgun, 18 for a long gun)."""
    sales = _truth(world_005, "sales")
    born = _truth(world_005, "persons").set_index("person_id")["birth_date"]
    kind = _truth(world_005, "guns").set_index("gun_id")["type"].reindex(sales["gun_id"])
    birth = pd.DatetimeIndex(born.reindex(sales["buyer_id"]))
    sold = pd.DatetimeIndex(sales["date"])
    assert not birth.isna().any()
    # whole years of age on the day of the sale
    before_birthday = sold.month * 100 + sold.day < birth.month * 100 + birth.day
    age = sold.year - birth.year - before_birthday
    handgun = kind.isin(["pistol", "revolver"]).to_numpy()
    assert sales["kind"].isin(["stock", "secondary"]).any()
    assert (age[handgun] >= 21).all()
    assert (age[~handgun] >= 18).all()
    atf = pd.read_csv(
        world_005.agency("atf") / "dealer_sales.csv", dtype=str, keep_default_na=False
    )
    atf = atf[atf["BUYER_DOB"] != ""]
    dob = pd.to_datetime(atf["BUYER_DOB"], format="%m/%d/%Y")
    assert (dob < pd.to_datetime(atf["DISPOSITION_DATE"], format="%m/%d/%Y")).all()


def test_no_model_is_sold_before_it_came_to_market(world_005: WorldPaths) -> None:
    """A Canik TP9SF (2014) was sold in 1992, a PSA Dagger (2020) in 1974."""
    sales = _truth(world_005, "sales")
    guns = _truth(world_005, "guns").set_index("gun_id")
    intro = catalogue().set_index(["maker", "model"])["introduced"]
    sold = guns.reindex(sales["gun_id"])
    year = intro.reindex(pd.MultiIndex.from_frame(sold[["maker", "model"]])).to_numpy()
    assert (pd.DatetimeIndex(sales["date"]).year.to_numpy() >= year).all()
    assert pd.DatetimeIndex(sales["date"]).year.min() < 2000  # old stock is in the test
