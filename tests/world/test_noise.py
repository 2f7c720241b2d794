"""Sensor noise: each kind is applied, at roughly its rate, deterministically per seed."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from ironriver.world.names import assign_nicknames, generate_people
from ironriver.world.noise import (
    CALIBER_VARIANTS,
    MAKE_VARIANTS,
    SERIAL_CONFUSIONS,
    NameNoise,
    caliber_variant,
    drop_accents,
    drop_values,
    format_dates,
    join_particles,
    make_variant,
    name_variants,
    obliterate_serials,
    serial_misread,
    swap_day_month,
    typo,
)

N = 20_000
OFF = NameNoise(**{f: 0.0 for f in NameNoise.__dataclass_fields__})


@pytest.fixture(scope="module")
def people() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    df = generate_people(rng, N, "mx")
    has_nick = rng.random(N) < 0.3
    df["nickname"] = np.where(has_nick, assign_nicknames(rng, N, sex=df["sex"]), "")
    return df


def _only(**rates: float) -> NameNoise:
    return NameNoise(**{**OFF.__dict__, **rates})


def test_no_noise_is_identity(people: pd.DataFrame) -> None:
    out = name_variants(np.random.default_rng(0), people, OFF)
    pd.testing.assert_frame_equal(out, people)


def test_name_variants_deterministic(people: pd.DataFrame) -> None:
    a = name_variants(np.random.default_rng(5), people)
    b = name_variants(np.random.default_rng(5), people)
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == list(people.columns)
    assert (a.index == people.index).all()
    assert (a["birth_date"] == people["birth_date"]).all()


def test_drop_maternal(people: pd.DataFrame) -> None:
    out = name_variants(np.random.default_rng(1), people, _only(drop_maternal=0.2))
    rate = (out["maternal_surname"] == "").mean()
    assert 0.18 < rate < 0.22
    assert (out["paternal_surname"] == people["paternal_surname"]).all()


def test_swap_surnames(people: pd.DataFrame) -> None:
    out = name_variants(np.random.default_rng(1), people, _only(swap_surnames=0.1))
    swapped = (
        (out["paternal_surname"] == people["maternal_surname"])
        & (out["maternal_surname"] == people["paternal_surname"])
        & (people["paternal_surname"] != people["maternal_surname"])
    )
    assert 0.08 < swapped.mean() < 0.12


def test_drop_accents_and_upper(people: pd.DataFrame) -> None:
    out = name_variants(np.random.default_rng(1), people, _only(drop_accents=1.0))
    joined = "".join(out["paternal_surname"]) + "".join(out["given_names"])
    assert not re.search("[áéíóúñÁÉÍÓÚÑü]", joined)
    out = name_variants(np.random.default_rng(1), people, _only(upper_case=0.3))
    upper = out["paternal_surname"].str.isupper()
    assert 0.27 < upper.mean() < 0.33
    assert drop_accents(["Peña Núñez", "Güero"]).tolist() == ["Pena Nunez", "Guero"]


def test_given_name_forms(people: pd.DataFrame) -> None:
    out = name_variants(np.random.default_rng(1), people, _only(shorten_given=1.0))
    assert not out["given_names"].str.contains(" ").any()
    assert (out.loc[people["given_names"] == "José Luis", "given_names"] == "José").all()
    out = name_variants(np.random.default_rng(1), people, _only(abbreviate_maria=1.0))
    maria = people["given_names"].str.startswith("María ")
    assert out.loc[maria, "given_names"].str.startswith("Ma. ").all()
    assert (out.loc[~maria, "given_names"] == people.loc[~maria, "given_names"]).all()
    out = name_variants(np.random.default_rng(1), people, _only(alias=1.0))
    assert (out.loc[people["given_names"] == "Jesús", "given_names"] == "Chuy").all()


def test_nickname_only(people: pd.DataFrame) -> None:
    out = name_variants(np.random.default_rng(1), people, _only(nickname_only=0.5))
    blanked = out["given_names"] == ""
    assert (people.loc[blanked, "nickname"] != "").all()
    assert 0.4 < blanked[people["nickname"] != ""].mean() < 0.6
    assert (out.loc[blanked, "paternal_surname"] == "").all()


def test_name_typo_rate(people: pd.DataFrame) -> None:
    out = name_variants(np.random.default_rng(1), people, _only(typo=0.1))
    cols = ["given_names", "paternal_surname", "maternal_surname"]
    changed = (out[cols] != people[cols]).any(axis=1)
    assert 0.08 < changed.mean() < 0.105
    assert ((out[cols] != people[cols]).sum(axis=1) <= 1).all()


def test_name_noise_validates() -> None:
    with pytest.raises(ValueError, match="typo"):
        NameNoise(typo=1.5)


def test_typo_kinds() -> None:
    values = np.array(["Hernández"] * 5_000, dtype=object)
    out, changed = typo(np.random.default_rng(2), values, 0.5)
    assert 0.45 < changed.mean() < 0.52
    lengths = pd.Series(out[changed]).str.len()
    assert set(lengths) == {8, 9}  # deletions and substitutions/transpositions
    assert values[0] == "Hernández"  # input untouched
    assert typo(np.random.default_rng(2), ["", "x"], 1.0)[1].tolist() == [False, True]


def test_serial_misread() -> None:
    serials = np.array(["OSB1Z2", "AAA"] * 5_000, dtype=object)
    out, changed = serial_misread(np.random.default_rng(3), serials, 0.3)
    assert not changed[1::2].any()
    assert 0.27 < changed[::2].mean() < 0.33
    for before, after in zip(serials[changed][:200], out[changed][:200], strict=True):
        diff = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
        assert len(diff) == 1
        assert SERIAL_CONFUSIONS[diff[0][0]] == diff[0][1]


def test_obliterate_serials() -> None:
    serials = np.array([f"ABC{i:06d}" for i in range(20_000)], dtype=object)
    out, status = obliterate_serials(np.random.default_rng(4), serials, 0.15, 0.4)
    counts = pd.Series(status).value_counts(normalize=True)
    assert abs(counts["obliterated"] - 0.15 * 0.6) < 0.01
    assert abs(counts["partial"] - 0.15 * 0.4) < 0.01
    assert (out[status == "obliterated"] == "").all()
    assert (out[status == "intact"] == serials[status == "intact"]).all()
    for obs, truth in zip(out[status == "partial"], serials[status == "partial"], strict=True):
        assert len(obs) == len(truth)
        assert re.fullmatch(r"[^?]*\?+[^?]*", obs)
        assert obs.count("?") < len(truth)
        assert all(o in ("?", t) for o, t in zip(obs, truth, strict=True))


def test_drop_values() -> None:
    out, mask = drop_values(np.random.default_rng(5), np.arange(10_000), 0.1, missing=None)
    assert 0.09 < mask.mean() < 0.11
    assert all(v is None for v in out[mask])


def test_make_and_caliber_variants() -> None:
    makes = np.array(["Smith & Wesson"] * 2_000 + ["Unknown Co"] * 10, dtype=object)
    out, mask = make_variant(np.random.default_rng(6), makes, 0.5)
    assert 0.45 < mask[:2_000].mean() < 0.55
    assert not mask[2_000:].any()
    assert set(out[mask]) == set(MAKE_VARIANTS["Smith & Wesson"])
    cals = np.array(["9mm", ".223 Rem", ".22 LR"] * 1_000, dtype=object)
    out, mask = caliber_variant(np.random.default_rng(6), cals, 1.0)
    assert mask.all()
    assert {"9 mm", "9MM", "9x19", "9 mm Luger"} <= set(out[::3])
    assert set(out[1::3]) <= set(CALIBER_VARIANTS[".223 Rem"])


def test_variant_tables_cover_catalogue() -> None:
    from ironriver.world.guns import catalogue

    cat = catalogue()
    assert set(cat["maker"]) <= set(MAKE_VARIANTS)
    assert set(cat["caliber"]) <= set(CALIBER_VARIANTS)


def test_format_dates() -> None:
    dates = np.array(["2022-03-04", "NaT"], dtype="datetime64[D]")
    assert format_dates(dates, "mx").tolist() == ["04/03/2022", ""]
    assert format_dates(dates, "us").tolist() == ["03/04/2022", ""]
    assert format_dates(pd.Series(pd.to_datetime(["2021-12-31"])), "iso").tolist() == ["2021-12-31"]


def test_swap_day_month() -> None:
    dates = np.array(["2022-03-04", "2022-03-24", "2022-05-05"], dtype="datetime64[D]")
    out, mask = swap_day_month(np.random.default_rng(0), dates, 1.0)
    assert mask.tolist() == [True, False, False]
    assert out[0] == np.datetime64("2022-04-03")
    assert (out[1:] == dates[1:]).all()


def test_rates_validated() -> None:
    with pytest.raises(ValueError, match="rate"):
        typo(np.random.default_rng(0), ["a"], 2.0)


def test_join_particles() -> None:
    assert join_particles(["De la Cruz", "DEL ÁNGEL", "de los Santos", "García"]).tolist() == [
        "Delacruz",
        "DELÁNGEL",
        "Delossantos",
        "García",
    ]
    rng = np.random.default_rng(3)
    people = pd.DataFrame(
        {
            "given_names": ["Juan"] * 4000,
            "paternal_surname": ["De la Cruz", "Delgado", "De León", "Ruiz"] * 1000,
            "maternal_surname": ["Del Ángel", "De la Rosa", "Gómez", ""] * 1000,
            "nickname": [""] * 4000,
        }
    )
    out = name_variants(rng, people, _only(join_particles=0.3))
    led = people["paternal_surname"].str.startswith("De ")
    joined = out["paternal_surname"] != people["paternal_surname"]
    assert not joined[~led].any()  # "Delgado", "Ruiz" untouched
    assert 0.25 < joined[led].mean() < 0.35
    assert set(out.loc[joined, "paternal_surname"]) == {"Delacruz", "Deleón"}
    assert (out["maternal_surname"] != people["maternal_surname"]).sum() > 0
    # drawn last: every other distortion draws as without it (a world keeps its other noise)
    base = name_variants(np.random.default_rng(4), people, _only(typo=0.2, upper_case=0.5))
    both = name_variants(
        np.random.default_rng(4), people, _only(typo=0.2, upper_case=0.5, join_particles=0.5)
    )
    assert (both["given_names"] == base["given_names"]).all()
    kept = both["paternal_surname"] == base["paternal_surname"]
    assert 0.2 < (~kept).mean() < 0.3  # half the rows have a particle, rate 0.5
    assert (
        join_particles(base.loc[~kept, "paternal_surname"]) == both.loc[~kept, "paternal_surname"]
    ).all()
