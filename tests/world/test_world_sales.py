"""Retail sales as the law has them: which rifles F 3310.12 counts, who may buy what, and
when each model could be bought (truth of a generated world)."""

from __future__ import annotations

import pandas as pd
import pytest

from ironriver.world import WorldPaths
from ironriver.world.guns import bore_over_22


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
