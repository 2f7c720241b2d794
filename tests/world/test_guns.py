"""Gun catalogue: serial formats and uniqueness, mix shares, Spanish terms."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from ironriver.world.guns import (
    GUN_TYPES,
    TRAFFICKED_CALIBER_TARGETS,
    TRAFFICKED_TYPE_TARGETS,
    catalogue,
    is_long_gun,
    sample_guns,
    serial_regex,
    spanish_description,
    spanish_terms,
    spanish_type,
)

REQUIRED_MAKERS = {
    "Glock",
    "Smith & Wesson",
    "Ruger",
    "Taurus",
    "SIG Sauer",
    "Colt",
    "Springfield Armory",
    "Beretta",
    "Century Arms",
    "Romarm/Cugir",
    "Palmetto State Armory",
    "Anderson Manufacturing",
    "Bushmaster",
    "FN Herstal",
    "Kel-Tec",
    "Hi-Point",
    "Mossberg",
    "Remington",
}


@pytest.fixture(scope="module")
def trafficked() -> pd.DataFrame:
    return sample_guns(np.random.default_rng(21), 100_000, "trafficked")


@pytest.fixture(scope="module")
def legit() -> pd.DataFrame:
    return sample_guns(np.random.default_rng(22), 100_000, "legit")


def test_catalogue_contents() -> None:
    cat = catalogue()
    assert REQUIRED_MAKERS <= set(cat["maker"])
    assert set(cat["type"]) == set(GUN_TYPES)
    assert {"9mm", ".22 LR", ".38 Super", ".50 BMG", "7.62x39mm", ".223 Rem"} <= set(cat["caliber"])
    for col in ("weight_legit", "weight_trafficked", "weight_foreign"):
        assert cat[col].sum() == pytest.approx(1.0)
        assert (cat[col] >= 0).all()
    foreign = cat[cat["country"] != "United States"]
    wasr = cat[cat["model"] == "WASR-10"].iloc[0]
    assert wasr["country"] == "Romania" and wasr["importer"] == "Century Arms"
    assert (cat.loc[cat["country"] == "United States", "importer"] == "").all()
    assert len(foreign) > 10
    # Revolvers and pump shotguns are not semi-automatic.
    assert not cat.loc[cat["type"].isin(["revolver", "shotgun"]), "semi_auto"].any()


def test_same_seed_same_guns() -> None:
    a = sample_guns(np.random.default_rng(1), 1_000, "legit")
    b = sample_guns(np.random.default_rng(1), 1_000, "legit")
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(sample_guns(np.random.default_rng(2), 1_000, "legit"))


def test_serials_unique_and_follow_maker_formats(legit: pd.DataFrame) -> None:
    assert not legit.duplicated(["maker", "serial"]).any()
    cat = catalogue()
    formats = dict(zip(cat["maker"] + "/" + cat["model"], cat["serial_format"], strict=True))
    for key, group in legit.groupby(legit["maker"] + "/" + legit["model"]):
        patterns = str(formats[str(key)]).split("|")
        regex = re.compile("|".join(f"(?:{serial_regex(p)})" for p in patterns))
        bad = [s for s in group["serial"] if not regex.fullmatch(s)]
        assert not bad, (key, bad[:3])


@pytest.mark.parametrize(
    ("maker", "regex"),
    [
        ("Glock", r"[A-Z]{3,4}[0-9]{3}"),
        ("Ruger", r"[0-9]{3,4}-[0-9]{5}"),
        ("Smith & Wesson", r"[A-Z]{2,3}[0-9]{4,5}"),
        ("Romarm/Cugir", r"(1-[A-Z][0-9]{5}|RO-[0-9]{4})-[0-9]{2}"),
    ],
)
def test_known_maker_formats(legit: pd.DataFrame, maker: str, regex: str) -> None:
    serials = legit.loc[legit["maker"] == maker, "serial"]
    assert len(serials) > 50
    assert serials.str.fullmatch(regex).all()


def test_serials_unique_for_narrow_formats() -> None:
    # Kel-Tec "@@@##" has 1.7M values: a big draw still comes out unique.
    guns = sample_guns(np.random.default_rng(3), 300_000, "legit")
    assert not guns.duplicated(["maker", "serial"]).any()


def test_serials_avoid_taken() -> None:
    """The same generator state draws the same serials: each one `taken` is redrawn."""
    first = sample_guns(np.random.default_rng(5), 20_000, "legit")
    second = sample_guns(np.random.default_rng(5), 20_000, "legit", taken=[first])
    both = pd.concat([first, second], ignore_index=True)
    assert not both.duplicated(["maker", "serial"]).any()


def test_trafficked_mix_matches_mexico_recoveries(trafficked: pd.DataFrame) -> None:
    types = trafficked["type"].value_counts(normalize=True)
    for t in TRAFFICKED_TYPE_TARGETS:
        assert types[t.key] == pytest.approx(t.share, abs=0.01)
    cal = trafficked["caliber"].value_counts(normalize=True)
    for t in TRAFFICKED_CALIBER_TARGETS:
        if t.key != "other":
            assert cal[t.key] == pytest.approx(t.share, abs=0.01)
    assert types["pistol"] == pytest.approx(0.50, abs=0.01)
    assert types["rifle"] == pytest.approx(0.32, abs=0.01)
    assert cal["9mm"] == pytest.approx(0.44, abs=0.01)
    assert cal[".22 LR"] == pytest.approx(0.16, abs=0.01)
    assert 0.0 < cal[".50 BMG"] < 0.02
    assert cal[".38 Super"] > 0.01


def test_trafficked_mix_favours_ring_guns(trafficked: pd.DataFrame, legit: pd.DataFrame) -> None:
    for col, value, ratio in [
        ("platform", "AK", 1.5),
        ("platform", "AR", 1.2),
        ("caliber", ".38 Super", 3.0),
        ("caliber", ".50 BMG", 3.0),
    ]:
        assert (trafficked[col] == value).mean() > ratio * (legit[col] == value).mean()


def test_legit_mix_is_pistol_heavy(legit: pd.DataFrame) -> None:
    types = legit["type"].value_counts(normalize=True)
    assert types["pistol"] == pytest.approx(0.56, abs=0.01)
    assert types["shotgun"] == pytest.approx(0.05, abs=0.01)


def test_foreign_mix() -> None:
    guns = sample_guns(np.random.default_rng(4), 5_000, "foreign")
    assert (guns["country"] != "United States").all()
    assert (guns["importer"] == "").all()
    assert "Norinco" in set(guns["maker"])


def test_is_long_gun() -> None:
    assert is_long_gun("rifle") and is_long_gun("shotgun")
    assert not is_long_gun("pistol")
    assert is_long_gun(np.array(["rifle", "revolver"])).tolist() == [True, False]


def test_spanish_terms() -> None:
    assert spanish_type("pistol") == "pistola"
    assert spanish_type("revolver") == "revólver"
    assert spanish_type("shotgun") == "escopeta"
    assert spanish_type("rifle") == "rifle"
    assert spanish_type("rifle", "AK") == "fusil"
    arr = spanish_type(np.array(["rifle", "rifle", "pistol"]), np.array(["AR", "", "AK"]))
    assert arr.tolist() == ["fusil", "rifle", "pistola"]
    assert "cuerno de chivo" in spanish_terms["platform"]["AK"]
    assert spanish_terms["caliber"]["9mm"] == "cal. 9 mm"
    assert set(catalogue()["caliber"]) <= set(spanish_terms["caliber"])


def test_spanish_description(trafficked: pd.DataFrame) -> None:
    text = spanish_description(trafficked.head(500))
    assert len(text) == 500
    ak = trafficked.head(500)["platform"].eq("AK").to_numpy()
    assert all("cuerno de chivo" in t for t in text[ak])
    assert all(", marca " in t for t in text)


def test_bad_mix() -> None:
    with pytest.raises(ValueError, match="mix"):
        sample_guns(np.random.default_rng(0), 3, "stolen")  # type: ignore[arg-type]
