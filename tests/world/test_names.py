"""Synthetic names: determinism, variety, population mix, nicknames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ironriver.world.names import (
    NAME_PARAMETERS,
    assign_nicknames,
    full_name,
    generate_people,
    name_lists,
)

COLUMNS = ["given_names", "paternal_surname", "maternal_surname", "sex", "birth_date", "nickname"]


@pytest.fixture(scope="module")
def mx() -> pd.DataFrame:
    return generate_people(np.random.default_rng(7), 50_000, "mx")


@pytest.fixture(scope="module")
def us() -> pd.DataFrame:
    return generate_people(np.random.default_rng(7), 50_000, "us_border")


def test_same_seed_same_people() -> None:
    a = generate_people(np.random.default_rng(1), 2_000, "mx")
    b = generate_people(np.random.default_rng(1), 2_000, "mx")
    c = generate_people(np.random.default_rng(2), 2_000, "mx")
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_columns_and_types(mx: pd.DataFrame) -> None:
    assert list(mx.columns) == COLUMNS
    assert set(mx["sex"]) == {"M", "F"}
    assert pd.api.types.is_datetime64_any_dtype(mx["birth_date"])
    assert (mx["nickname"] == "").all()
    assert not mx[["given_names", "paternal_surname", "maternal_surname"]].isna().any().any()


def test_mexicans_have_two_surnames_and_compound_names(mx: pd.DataFrame) -> None:
    assert (mx["maternal_surname"] != "").all()
    compound = mx["given_names"].str.contains(" ").mean()
    assert 0.2 < compound < 0.4
    assert {"José Luis", "María Guadalupe"} <= set(mx["given_names"])


def test_variety(mx: pd.DataFrame) -> None:
    assert mx["given_names"].nunique() > 300
    assert mx["paternal_surname"].nunique() > 250
    assert full_name(mx).nunique() > 0.9 * len(mx)


def test_surname_frequencies_are_realistic(mx: pd.DataFrame) -> None:
    shares = mx["paternal_surname"].value_counts(normalize=True)
    assert shares.index[0] == "Hernández"
    assert 0.03 < shares["Hernández"] < 0.06
    assert 0.02 < shares["García"] < 0.05
    assert shares.iloc[:5].sum() < 0.25


def test_given_names_follow_sex(mx: pd.DataFrame) -> None:
    lists = name_lists()
    male_names = set(lists.mx_given_male) | set(lists.mx_compound_male)
    males = mx[mx["sex"] == "M"]["given_names"]
    assert males.isin(male_names).all()
    assert 0.45 < (mx["sex"] == "M").mean() < 0.55


def test_us_border_mix(us: pd.DataFrame) -> None:
    hispanic_share = NAME_PARAMETERS["us_hispanic_share"].value
    hispanic = us["paternal_surname"].isin(set(name_lists().hispanic_surnames))
    # Anglo surnames never collide with the Hispanic list.
    assert abs(hispanic.mean() - hispanic_share) < 0.02
    two = (us["maternal_surname"] != "").mean()
    expected = hispanic_share * NAME_PARAMETERS["us_hispanic_two_surnames_share"].value
    assert abs(two - expected) < 0.02
    assert (us.loc[~hispanic, "maternal_surname"] == "").all()
    assert "Smith" in set(us["paternal_surname"])


def test_adult_ages(mx: pd.DataFrame) -> None:
    age = (np.datetime64("2022-01-01") - mx["birth_date"].to_numpy()).astype(
        "timedelta64[D]"
    ).astype(int) / 365.25
    assert age.min() >= 18
    assert age.max() <= 85.01
    assert 30 < age.mean() < 42


def test_nicknames() -> None:
    rng = np.random.default_rng(3)
    sex = np.where(rng.random(5_000) < 0.5, "M", "F")
    given = np.where(sex == "M", "Jesús", "Guadalupe")
    nick = assign_nicknames(rng, 5_000, sex=sex, given_names=given)
    assert len(nick) == 5_000
    assert (nick != "").all()
    assert len(set(nick)) > 200
    stems = pd.Series(nick).str.split(" ").str[0]
    assert set(stems[sex == "M"]) <= {"El", "Chuy"}
    assert set(stems[sex == "F"]) <= {"La", "Lupe"}
    assert 0.08 < np.isin(nick, ["Chuy", "Lupe"]).mean() < 0.22
    again = assign_nicknames(np.random.default_rng(3), 3)
    assert all(n.startswith("El ") for n in again)


def test_full_name() -> None:
    df = pd.DataFrame(
        {
            "given_names": ["José Luis", "Mary"],
            "paternal_surname": ["García", "Smith"],
            "maternal_surname": ["López", ""],
        }
    )
    assert full_name(df).tolist() == ["José Luis García López", "Mary Smith"]


def test_bad_population() -> None:
    with pytest.raises(ValueError, match="population"):
        generate_people(np.random.default_rng(0), 3, "fr")  # type: ignore[arg-type]
