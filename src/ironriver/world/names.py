"""Synthetic person names for Mexico and the US border states.

Every person is a random combination of common given names, surnames and nickname stems
(`data/names.yaml`), so no generated person is a real private individual. Generation is
vectorised (1M people in about a second) and fully determined by the `numpy.random.Generator`
passed in.

Invariants:

- `given_names`, `paternal_surname`, `maternal_surname` and `nickname` are plain strings;
  "absent" is the empty string, never NaN.
- `sex` ("M"/"F") is ground truth for name generation only; it must never be used as a risk
  feature.
- Names are canonical (accents, mixed case); sensor noise is applied later by
  `ironriver.world.noise`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml
from numpy.typing import NDArray

__all__ = [
    "NAME_PARAMETERS",
    "NameLists",
    "Parameter",
    "assign_nicknames",
    "full_name",
    "generate_people",
    "name_lists",
]

Population = Literal["mx", "us_border"]


@dataclass(frozen=True)
class Parameter:
    """A model parameter declared as data."""

    key: str
    value: float
    unit: str
    description: str
    source: str


NAME_PARAMETERS: dict[str, Parameter] = {
    p.key: p
    for p in (
        Parameter(
            "surname_zipf_exponent",
            1.0,
            "exponent",
            "Surname weight = 1 / (rank + surname_zipf_offset) ** exponent over the rank-ordered list.",
            "Assumption fitted to public Mexican surname rankings (INE voter-roll summaries "
            "in the press): Hernández ~4%, García ~3%, González ~2.4% of people, long tail.",
        ),
        Parameter(
            "surname_zipf_offset",
            6.0,
            "ranks",
            "Rank offset of the surname Zipf law (flattens the very top of the distribution).",
            "Assumption.",
        ),
        Parameter(
            "given_zipf_exponent",
            0.7,
            "exponent",
            "Given-name weight = 1 / (rank + 1) ** exponent over the (roughly rank-ordered) lists.",
            "Assumption; given names are more evenly spread than surnames.",
        ),
        Parameter(
            "mx_compound_share",
            0.30,
            "share",
            "Share of Mexican persons with a compound given name (José Luis, María Guadalupe).",
            "Assumption; compound names are very common in Mexican civil registries.",
        ),
        Parameter(
            "us_hispanic_share",
            0.40,
            "share",
            "Share of Hispanic persons among adults in the US border states (TX, AZ, NM, CA).",
            "US Census ACS: Hispanic share ~40% TX and CA, ~32% AZ, ~49% NM (rounded).",
        ),
        Parameter(
            "us_hispanic_two_surnames_share",
            0.35,
            "share",
            "Share of Hispanic US persons whose records carry both surnames.",
            "Assumption; US forms have one surname field, many Hispanic persons still use two.",
        ),
        Parameter(
            "us_hispanic_given_share",
            0.75,
            "share",
            "Share of Hispanic US persons with a Spanish given name (rest: an English one).",
            "Assumption.",
        ),
        Parameter(
            "male_share",
            0.5,
            "share",
            "Share of males in a generated population (actors can override by filtering).",
            "Assumption; the world chooses actors' sex itself where it matters.",
        ),
        Parameter(
            "age_min",
            18.0,
            "years",
            "Minimum age at the reference date (adults only: buyers, possessors).",
            "Federal minimum age to buy a long gun from a dealer is 18 (21 for handguns).",
        ),
        Parameter(
            "handgun_age_min",
            21.0,
            "years",
            "Minimum age of a handgun buyer at a dealer (pistols, revolvers) at the sale.",
            "18 U.S.C. 922(b)(1): a licensed dealer sells a handgun only to a buyer of 21+.",
        ),
        Parameter(
            "age_gamma_shape",
            2.0,
            "shape",
            "Age above age_min follows Gamma(shape, scale): mean 18 + 18 = 36 years.",
            "Assumption: adult population skewed to young adults.",
        ),
        Parameter(
            "age_gamma_scale",
            9.0,
            "years",
            "Scale of the Gamma age distribution above age_min.",
            "Assumption.",
        ),
        Parameter(
            "age_max",
            85.0,
            "years",
            "Ages are clipped at this maximum.",
            "Assumption.",
        ),
        Parameter(
            "nickname_suffix_share",
            0.15,
            "share",
            "Share of nicknames carrying a qualifier ('El Güero de Sonora', 'El Flaco 40').",
            "Assumption.",
        ),
        Parameter(
            "nickname_hypocoristic_share",
            0.15,
            "share",
            "Share of nicknames that are a plain hypocoristic ('Chuy', 'Pepe', 'Lupe').",
            "Assumption.",
        ),
    )
}

DEFAULT_AS_OF = np.datetime64("2022-01-01", "D")


def _param(key: str) -> float:
    return NAME_PARAMETERS[key].value


@dataclass(frozen=True)
class NameLists:
    """The name lists of `data/names.yaml` as arrays with sampling probabilities."""

    mx_given_male: NDArray[np.str_]
    mx_given_female: NDArray[np.str_]
    mx_compound_male: NDArray[np.str_]
    mx_compound_female: NDArray[np.str_]
    hispanic_surnames: NDArray[np.str_]
    anglo_given_male: NDArray[np.str_]
    anglo_given_female: NDArray[np.str_]
    anglo_surnames: NDArray[np.str_]
    nick_masculine: NDArray[np.str_]
    nick_feminine: NDArray[np.str_]
    nickname_suffixes: NDArray[np.str_]
    hypocoristics: dict[str, tuple[str, ...]]


def _unique(values: list[Any]) -> NDArray[np.str_]:
    """Strings in first-seen order without duplicates (the lists are rank-ordered)."""
    return np.array(list(dict.fromkeys(str(v) for v in values)), dtype=np.str_)


@cache
def name_lists() -> NameLists:
    """Load and cache the built-in name lists (packaged data, nothing read from outside)."""
    text = resources.files("ironriver.world").joinpath("data/names.yaml").read_text("utf-8")
    raw: dict[str, Any] = yaml.safe_load(text)
    adjectives: list[dict[str, str]] = raw["nickname_adjectives"]
    return NameLists(
        mx_given_male=_unique(raw["mx_given_male"]),
        mx_given_female=_unique(raw["mx_given_female"]),
        mx_compound_male=_unique(raw["mx_compound_male"]),
        mx_compound_female=_unique(raw["mx_compound_female"]),
        hispanic_surnames=_unique(raw["hispanic_surnames"]),
        anglo_given_male=_unique(raw["anglo_given_male"]),
        anglo_given_female=_unique(raw["anglo_given_female"]),
        anglo_surnames=_unique(raw["anglo_surnames"]),
        nick_masculine=np.array([a["m"] for a in adjectives], dtype=np.str_),
        nick_feminine=np.array([a["f"] for a in adjectives], dtype=np.str_),
        nickname_suffixes=_unique(raw["nickname_suffixes"]),
        hypocoristics={str(k): tuple(str(x) for x in v) for k, v in raw["hypocoristics"].items()},
    )


def _zipf(n: int, exponent: float, offset: float = 1.0) -> NDArray[np.float64]:
    w = 1.0 / (np.arange(n, dtype=np.float64) + offset) ** exponent
    out: NDArray[np.float64] = w / w.sum()
    return out


def _choose(
    rng: np.random.Generator, values: NDArray[np.str_], n: int, exponent: float
) -> NDArray[np.object_]:
    idx = rng.choice(len(values), size=n, p=_zipf(len(values), exponent))
    return values[idx].astype(object)


def _surnames(rng: np.random.Generator, n: int) -> NDArray[np.object_]:
    lists = name_lists()
    p = _zipf(
        len(lists.hispanic_surnames),
        _param("surname_zipf_exponent"),
        _param("surname_zipf_offset"),
    )
    return lists.hispanic_surnames[rng.choice(len(p), size=n, p=p)].astype(object)


def _mx_given(
    rng: np.random.Generator, male: NDArray[np.bool_], compound_share: float
) -> NDArray[np.object_]:
    lists = name_lists()
    n = len(male)
    exp = _param("given_zipf_exponent")
    out = np.where(
        male,
        _choose(rng, lists.mx_given_male, n, exp),
        _choose(rng, lists.mx_given_female, n, exp),
    ).astype(object)
    compound = rng.random(n) < compound_share
    comp = np.where(
        male,
        _choose(rng, lists.mx_compound_male, n, exp),
        _choose(rng, lists.mx_compound_female, n, exp),
    )
    out[compound] = comp[compound]
    return out


def _anglo_given(rng: np.random.Generator, male: NDArray[np.bool_]) -> NDArray[np.object_]:
    lists = name_lists()
    n = len(male)
    exp = _param("given_zipf_exponent")
    return np.where(
        male,
        _choose(rng, lists.anglo_given_male, n, exp),
        _choose(rng, lists.anglo_given_female, n, exp),
    ).astype(object)


def _birth_dates(
    rng: np.random.Generator,
    n: int,
    as_of: np.datetime64 | NDArray[np.datetime64],
    min_age: float | NDArray[np.floating[Any]] | None = None,
) -> NDArray[np.datetime64]:
    low = _param("age_min") if min_age is None else np.maximum(_param("age_min"), min_age)
    age_years = low + rng.gamma(_param("age_gamma_shape"), _param("age_gamma_scale"), size=n)
    age_years = np.minimum(age_years, _param("age_max"))
    # rounded up: N * 365.25 days, rounded up, hold N whole years, so no one is a day short
    age_days = np.ceil(age_years * 365.25).astype(np.int64)
    day = np.asarray(as_of).astype("datetime64[D]")
    out: NDArray[np.datetime64] = day - age_days.astype("timedelta64[D]")
    return out


def generate_people(
    rng: np.random.Generator,
    n: int,
    population: Population,
    *,
    as_of: np.datetime64 | NDArray[np.datetime64] = DEFAULT_AS_OF,
    min_age: float | NDArray[np.floating[Any]] | None = None,
) -> pd.DataFrame:
    """Generate `n` fictitious adults.

    `population="mx"`: Mexican persons, all with two surnames (paternal, maternal).
    `population="us_border"`: adults of TX/AZ/NM/CA: a `us_hispanic_share` of Hispanic
    persons (two surnames for `us_hispanic_two_surnames_share` of them, Spanish given name
    for most), the rest Anglo persons with one surname (maternal empty).

    Columns: given_names, paternal_surname, maternal_surname, sex ("M"/"F"), birth_date
    (whole days, ages 18-85 at `as_of`, one date or one per person; `min_age`, one figure or
    one per person, raises the youngest age, e.g. 21 for a handgun buyer; pandas stores it as datetime64[s] because it has
    no day resolution, `.to_numpy().astype("datetime64[D]")` gives days), nickname ("" for
    everyone; see `assign_nicknames`).
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    male = rng.random(n) < _param("male_share")
    paternal = _surnames(rng, n)
    maternal = _surnames(rng, n)
    if population == "mx":
        given = _mx_given(rng, male, _param("mx_compound_share"))
    elif population == "us_border":
        hispanic = rng.random(n) < _param("us_hispanic_share")
        spanish_given = hispanic & (rng.random(n) < _param("us_hispanic_given_share"))
        # US persons use compound names less often; half the Mexican share (assumption).
        given = np.where(
            spanish_given,
            _mx_given(rng, male, _param("mx_compound_share") / 2),
            _anglo_given(rng, male),
        ).astype(object)
        anglo_surname = _choose(
            rng, name_lists().anglo_surnames, n, _param("surname_zipf_exponent")
        )
        paternal = np.where(hispanic, paternal, anglo_surname).astype(object)
        two = hispanic & (rng.random(n) < _param("us_hispanic_two_surnames_share"))
        maternal = np.where(two, maternal, "").astype(object)
    else:
        raise ValueError(f"population must be 'mx' or 'us_border', got {population!r}")
    return pd.DataFrame(
        {
            "given_names": pd.Series(given, dtype=object),
            "paternal_surname": pd.Series(paternal, dtype=object),
            "maternal_surname": pd.Series(maternal, dtype=object),
            "sex": pd.Series(np.where(male, "M", "F"), dtype=object),
            "birth_date": _birth_dates(rng, n, as_of, min_age),
            "nickname": pd.Series(np.full(n, "", dtype=object), dtype=object),
        }
    )


def assign_nicknames(
    rng: np.random.Generator,
    n: int,
    *,
    sex: NDArray[Any] | pd.Series[Any] | None = None,
    given_names: NDArray[Any] | pd.Series[Any] | None = None,
) -> NDArray[np.object_]:
    """Draw `n` cartel-style nicknames ("El Güero", "La Flaca", "El Alacrán de Sonora").

    Built from generic adjectives, animals and trades with "El"/"La" by `sex` (default: all
    masculine), an optional qualifier, or, when `given_names` are passed, sometimes the
    hypocoristic of the first given name ("Chuy" for Jesús). Random combinations of generic
    words, never a real person's alias.
    """
    lists = name_lists()
    female = np.zeros(n, dtype=bool) if sex is None else (np.asarray(sex, dtype=object) == "F")
    k = rng.integers(0, len(lists.nick_masculine), size=n)
    stem = np.where(female, "La " + lists.nick_feminine[k], "El " + lists.nick_masculine[k])
    out = stem.astype(object)
    with_suffix = rng.random(n) < _param("nickname_suffix_share")
    suffix = lists.nickname_suffixes[rng.integers(0, len(lists.nickname_suffixes), size=n)]
    out[with_suffix] = out[with_suffix] + " " + suffix[with_suffix].astype(object)
    if given_names is not None:
        codes, uniques = pd.factorize(np.asarray(given_names, dtype=object))
        hyp_unique = np.array(
            [lists.hypocoristics.get(str(g).split(" ")[0], ("",))[0] for g in uniques],
            dtype=object,
        )
        hyp = np.where(codes >= 0, hyp_unique[codes], "").astype(object)
        use = (rng.random(n) < _param("nickname_hypocoristic_share")) & (hyp != "")
        out[use] = hyp[use]
    return out


def full_name(df: pd.DataFrame) -> pd.Series[str]:
    """Canonical "Given Paternal Maternal" (absent parts dropped, single spaces)."""
    cols = ["given_names", "paternal_surname", "maternal_surname"]
    given, paternal, maternal = (df[c].fillna("").to_numpy(dtype=object) for c in cols)
    joined = given + np.where(paternal != "", " " + paternal, "")
    joined = joined + np.where(maternal != "", " " + maternal, "")
    return pd.Series(joined, index=df.index, dtype=object).str.strip()
