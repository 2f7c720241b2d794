"""Gun catalogue and gun sampling for the synthetic world.

The catalogue (`data/gun_models.csv`, `data/gun_makers.yaml`) lists real makes and models
with type, caliber, action and magazine flags, country of manufacture and US importer, and
per-maker serial PATTERNS. Serial patterns are plausible look-alikes of each maker's marking,
never real serial ranges: no generated serial identifies a real firearm.

Two sampling mixes:

- `legit`: general US retail, raked so that the type shares match `LEGIT_TYPE_TARGETS`;
- `trafficked`: what trafficking rings buy (9mm pistols, AR/AK-pattern rifles, .38 Super,
  a few .50 BMG), raked so that type and caliber shares match the guns recovered in Mexico
  (`TRAFFICKED_TYPE_TARGETS`, `TRAFFICKED_CALIBER_TARGETS`; the `mix.*` figures of
  `ironriver.world.calibration.FIGURES`);
- `foreign`: foreign-made models reaching Mexico without passing through the US (the
  ~16-17% of recoveries that are not US-sourced); their importer is blanked on sampling.

Invariants: no two guns of one maker share a serial, within one `sample_guns` call and, when
each call passes the guns drawn before it as `taken`, across a whole world (a real maker never
marks two guns alike, 27 CFR 478.92; two makers may, so a trace keys on make, model and
serial). Same generator state gives the same guns.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal, overload

import numpy as np
import pandas as pd
import yaml
from numpy.typing import NDArray

from ironriver.errors import WorldError
from ironriver.i18n import msg

__all__ = [
    "GUN_TYPES",
    "LEGIT_TYPE_TARGETS",
    "TRAFFICKED_CALIBER_TARGETS",
    "TRAFFICKED_TYPE_TARGETS",
    "Target",
    "bore_over_22",
    "catalogue",
    "is_long_gun",
    "on_the_market",
    "sample_guns",
    "serial_regex",
    "spanish_description",
    "spanish_terms",
    "spanish_type",
]

Mix = Literal["legit", "trafficked", "foreign"]
GUN_TYPES = ("pistol", "revolver", "rifle", "shotgun")
LONG_GUN_TYPES = frozenset({"rifle", "shotgun"})


@dataclass(frozen=True)
class Target:
    """A share the sampling mix is raked to."""

    key: str
    share: float
    source: str


_NFCTA = (
    "NFCTA Vol. IV (2022-23 Mexico recoveries), press summary; the mix.* figures of "
    "ironriver.world.calibration.FIGURES"
)
_AFMER = (
    "ATF Annual Firearms Manufacturing and Export Report 2020, rounded (US production "
    "~5.5M pistols, ~2.8M rifles, ~1.0M revolvers, ~0.5M shotguns); assumption that "
    "retail sales follow production"
)

LEGIT_TYPE_TARGETS: tuple[Target, ...] = (
    Target("pistol", 0.56, _AFMER),
    Target("revolver", 0.10, _AFMER),
    Target("rifle", 0.29, _AFMER),
    Target("shotgun", 0.05, _AFMER),
)
TRAFFICKED_TYPE_TARGETS: tuple[Target, ...] = (
    Target("pistol", 0.50, _NFCTA + ": pistols ~50%"),
    Target("rifle", 0.32, _NFCTA + ": rifles ~32%"),
    Target("revolver", 0.10, "Assumption: handguns were 63% in 2017-22, so revolvers ~10%"),
    Target("shotgun", 0.08, "Assumption: remainder of long guns"),
)
TRAFFICKED_CALIBER_TARGETS: tuple[Target, ...] = (
    Target("9mm", 0.44, _NFCTA + ": 9mm 44%"),
    Target(".22 LR", 0.16, _NFCTA + ": .22 16%"),
    Target("other", 0.40, "Remainder"),
)
FOREIGN_EXTRA_WEIGHTS: dict[tuple[str, str], float] = {("Norinco", "Type 56"): 4.0}
"""Foreign mix: non-US-made models weighted as in the trafficked mix, plus these (military
AK-pattern exports that never passed through the US). Assumption."""

_LETTERS = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), dtype="<U1")
_DIGITS = np.array(list("0123456789"), dtype="<U1")


def _rake(
    weights: NDArray[np.floating[Any]],
    groups: list[tuple[NDArray[Any], tuple[Target, ...]]],
    iterations: int = 200,
) -> NDArray[np.float64]:
    """Iterative proportional fitting of model weights to marginal share targets."""
    w = weights.astype(np.float64).copy()
    for _ in range(iterations):
        for labels, targets in groups:
            for t in targets:
                sel = labels == t.key
                total = w[sel].sum()
                if total > 0:
                    w[sel] *= t.share / total
    out: NDArray[np.float64] = w / w.sum()
    return out


@cache
def _makers() -> dict[str, dict[str, Any]]:
    text = resources.files("ironriver.world").joinpath("data/gun_makers.yaml").read_text("utf-8")
    makers: dict[str, dict[str, Any]] = yaml.safe_load(text)
    return makers


@cache
def _catalogue() -> pd.DataFrame:
    text = resources.files("ironriver.world").joinpath("data/gun_models.csv").read_text("utf-8")
    raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    makers = _makers()
    unknown = sorted(set(raw["maker"]) - set(makers))
    if unknown:
        raise WorldError(
            msg(
                "{models} names makers missing from {makers}: {unknown}",
                models="gun_models.csv",
                makers="gun_makers.yaml",
                unknown=unknown,
            ),
            msg("add them to {path}", path="ironriver/world/data/gun_makers.yaml"),
        )
    maker_info = raw["maker"].map(makers)
    df = pd.DataFrame(
        {
            "maker": raw["maker"].astype(object),
            "model": raw["model"].astype(object),
            "type": raw["type"].astype(object),
            "caliber": raw["caliber"].astype(object),
            "semi_auto": raw["semi_auto"].eq("true"),
            "detachable_mag": raw["detachable_mag"].eq("true"),
            "platform": raw["platform"].astype(object),
            "country": np.where(
                raw["country"] != "", raw["country"], maker_info.map(lambda m: m["country"])
            ).astype(object),
            "importer": np.where(
                raw["country"] != "", raw["importer"], maker_info.map(lambda m: m["importer"])
            ).astype(object),
            "serial_format": np.where(
                raw["serial_format"] != "",
                raw["serial_format"],
                maker_info.map(lambda m: "|".join(m["serial_formats"])),
            ).astype(object),
            "introduced": raw["introduced"].astype(np.int64),
        }
    )
    bad = sorted(set(df["type"]) - set(GUN_TYPES))
    if bad:
        raise WorldError(
            msg("{file} has unknown gun types {bad}", file="gun_models.csv", bad=bad),
            msg("use one of {types}", types=GUN_TYPES),
        )
    legit = raw["weight_legit"].astype(float).to_numpy()
    trafficked = raw["weight_trafficked"].astype(float).to_numpy()
    types = df["type"].to_numpy()
    cal_group = np.where(df["caliber"].isin(["9mm", ".22 LR"]), df["caliber"], "other")
    df["weight_legit"] = _rake(legit, [(types, LEGIT_TYPE_TARGETS)])
    df["weight_trafficked"] = _rake(
        trafficked,
        [(types, TRAFFICKED_TYPE_TARGETS), (cal_group, TRAFFICKED_CALIBER_TARGETS)],
    )
    foreign = np.where(df["country"] != "United States", trafficked, 0.0)
    for (maker, model), weight in FOREIGN_EXTRA_WEIGHTS.items():
        foreign[((df["maker"] == maker) & (df["model"] == model)).to_numpy()] = weight
    df["weight_foreign"] = foreign / foreign.sum()
    return df


def catalogue() -> pd.DataFrame:
    """The gun catalogue, one row per model.

    Columns: maker, model, type (pistol/revolver/rifle/shotgun), caliber (canonical
    spelling, e.g. "9mm", ".223 Rem", "7.62x39mm"), semi_auto, detachable_mag, platform
    ("AR", "AK" or ""), country (of manufacture), importer ("" for US-made or not imported
    through the US), serial_format ("|"-separated patterns, "#" digit, "@" letter),
    introduced (the year the model came to the US market: approximate, from makers'
    announcements and reviews, public knowledge; `on_the_market` keeps sales after it),
    weight_legit, weight_trafficked, weight_foreign (each sums to 1).
    """
    return _catalogue().copy()


def serial_regex(pattern: str) -> str:
    """A full-match regular expression for one serial pattern ("@@@###" → "[A-Z]{1}...")."""
    parts = []
    for ch in pattern:
        if ch == "#":
            parts.append("[0-9]")
        elif ch == "@":
            parts.append("[A-Z]")
        else:
            parts.append("\\" + ch if ch in ".-^$*+?()[]{}|\\" else ch)
    return "".join(parts)


def _render(rng: np.random.Generator, pattern: str, n: int) -> NDArray[np.object_]:
    """`n` serials of one pattern, built as a character matrix (vectorised)."""
    k = len(pattern)
    chars = np.empty((n, k), dtype="<U1")
    for j, ch in enumerate(pattern):
        if ch == "#":
            chars[:, j] = _DIGITS[rng.integers(0, 10, size=n)]
        elif ch == "@":
            chars[:, j] = _LETTERS[rng.integers(0, 26, size=n)]
        else:
            chars[:, j] = ch
    return np.ascontiguousarray(chars).view(f"<U{k}").ravel().astype(object)


def _serial_keys(makers: Any, serials: Any) -> pd.Index[Any]:
    """What a serial is unique by: maker and serial, one string per gun."""
    maker = pd.Series(np.asarray(makers, dtype=object), dtype=object)
    serial = pd.Series(np.asarray(serials, dtype=object), dtype=object)
    keys: pd.Index[Any] = pd.Index((maker + "\x1f" + serial).to_numpy(object), dtype=object)
    return keys


def _taken_keys(guns: Sequence[pd.DataFrame]) -> pd.Index[Any] | None:
    frames = [g for g in guns if len(g)]
    if not frames:
        return None
    keys = [_serial_keys(g["maker"], g["serial"]).to_numpy(object) for g in frames]
    taken: pd.Index[Any] = pd.Index(np.concatenate(keys), dtype=object)
    return taken


def _serials(
    rng: np.random.Generator,
    patterns: NDArray[np.object_],
    makers: NDArray[np.object_],
    taken: pd.Index[Any] | None,
) -> NDArray[np.object_]:
    """One serial per row from its pattern; a serial its maker already used (in this draw or
    in `taken`, from `_serial_keys`) is redrawn until none is."""
    out = np.empty(len(patterns), dtype=object)
    codes, uniques = pd.factorize(pd.Series(patterns, dtype=object))
    todo = np.arange(len(patterns))
    for _ in range(100):
        if len(todo) == 0:
            return out
        for code in np.unique(codes[todo]):
            rows = todo[codes[todo] == code]
            out[rows] = _render(rng, str(uniques[code]), len(rows))
        drawn = _serial_keys(makers, out)
        clash = drawn.duplicated(keep="first").copy()
        if taken is not None and len(taken):
            clash |= drawn.isin(taken)
        todo = np.flatnonzero(clash)
    raise WorldError(
        msg("could not draw unique serials: the serial patterns are too narrow for this many guns"),
        msg(
            "widen the maker's {field} in {path}",
            field="serial_formats",
            path="ironriver/world/data/gun_makers.yaml",
        ),
    )


def sample_guns(
    rng: np.random.Generator,
    n: int,
    mix: Mix,
    *,
    taken: Sequence[pd.DataFrame] = (),
) -> pd.DataFrame:
    """Draw `n` guns from the catalogue with the given mix, each with a serial its maker
    uses once.

    Returns the catalogue columns (without the weights; `serial_format` holds the one
    pattern used) plus `serial`. No two guns of one maker share a serial, within the call
    or with a gun in `taken` (frames with `maker` and `serial`: pass every gun the world
    drew before, so that its serials are unique by maker across the whole world).
    For the "foreign" mix the importer is blanked (these guns did not pass through a US
    importer).
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    cat = _catalogue()
    column = {"legit": "weight_legit", "trafficked": "weight_trafficked"}.get(mix, "weight_foreign")
    if mix not in ("legit", "trafficked", "foreign"):
        raise ValueError(f"mix must be 'legit', 'trafficked' or 'foreign', got {mix!r}")
    p = cat[column].to_numpy(dtype=np.float64)
    idx = rng.choice(len(cat), size=n, p=p / p.sum())
    guns = (
        cat.drop(columns=["weight_legit", "weight_trafficked", "weight_foreign", "introduced"])
        .iloc[idx]
        .reset_index(drop=True)
    )
    formats = guns["serial_format"].to_numpy(dtype=object)
    patterns = np.empty(n, dtype=object)
    for fmt in pd.unique(formats):
        rows = np.flatnonzero(formats == fmt)
        options = np.array(str(fmt).split("|"), dtype=object)
        patterns[rows] = options[rng.integers(0, len(options), size=len(rows))]
    guns["serial_format"] = patterns
    makers = guns["maker"].to_numpy(dtype=object)
    guns["serial"] = _serials(rng, patterns, makers, _taken_keys(taken))
    if mix == "foreign":
        guns["importer"] = ""
    return guns


_GAUGE = re.compile(r"^\d+\s*(?:gauge|ga)\b")
_NUMBER = re.compile(r"^(\.?)(\d+)(?:\.(\d+))?(\s*mm)?")


def bore_over_22(caliber: str) -> bool:
    """Whether a calibre is "greater than .22" as the F 3310.12 demand letter means it.

    The letter leaves out the .22 rimfire class and smaller (.22 LR, .22 WMR, .22 Short,
    .17 HMR) and names .223/5.56 as included. An inch designation (".223 Rem", "22 LR",
    ".30-30 Win") counts by its figure: .223, .224 Valkyrie, .30 are over .22; .22 LR is
    not. A metric one ("5.56x45mm", "9mm", "6.5 Creedmoor") counts from 5.45 mm up: the
    centrefire cartridges that share the .22 bullet's diameter (5.45, 5.56, 5.7 mm) are the
    ones the letter names; 5.6x15mmR, the European name of .22 LR, is left out. Shotgun
    gauges are bores far over .22. Raises ValueError for a spelling it cannot read, so that
    a catalogue entry is never silently left off the report."""
    text = caliber.strip().lower()
    if _GAUGE.match(text):
        return True
    m = _NUMBER.match(text)
    if m is None:
        raise ValueError(f"unreadable calibre {caliber!r}")
    dot, whole, frac, mm = m.groups()
    if dot or (frac is None and mm is None):  # ".223 Rem"; "22 LR", "300 Blackout" (no dot)
        return bool(int(whole) / 10 ** len(whole) > 0.22)
    if text.replace(" ", "").startswith("5.6x15"):
        return False
    return float(f"{whole}.{frac or 0}") >= 5.45


_MODEL_COLUMNS = [
    "maker",
    "model",
    "type",
    "caliber",
    "semi_auto",
    "detachable_mag",
    "platform",
    "country",
    "importer",
]


def on_the_market(
    rng: np.random.Generator, guns: pd.DataFrame, sold: NDArray[np.datetime64]
) -> pd.DataFrame:
    """`guns` (as `sample_guns` draws them, plus an `origin` column: "legit", "foreign" or
    another, trafficked, origin) with every gun sold before its model came to market
    (`sold[i]`; NaT: no US sale) redrawn among the models on sale that year.

    The stand-in keeps what the calibration counts: a model of the same type and calibre if
    one was on sale, else of the same type and calibre group (9mm, .22 LR, other), else of
    the same type, else any; each drawn by its weight in the gun's mix. A redrawn gun gets a
    serial of its new maker's format, which no other gun of that maker in `guns` has. Returns a new frame; rows keep
    their order and index."""
    cat = _catalogue()
    key = pd.MultiIndex.from_frame(cat[["maker", "model"]])
    row = key.get_indexer(pd.MultiIndex.from_frame(guns[["maker", "model"]]))
    if (row < 0).any():
        raise ValueError("guns hold models that are not in the catalogue")
    year = pd.DatetimeIndex(np.asarray(sold, dtype="datetime64[D]")).year.to_numpy(float)
    early = np.flatnonzero(np.nan_to_num(year, nan=1e9) < cat["introduced"].to_numpy()[row])
    out = guns.copy()
    if len(early) == 0:
        return out
    origin = guns["origin"].to_numpy(object)[early] if "origin" in guns else None
    column = np.where(
        origin == "legit",
        "weight_legit",
        np.where(origin == "foreign", "weight_foreign", "weight_trafficked"),
    )
    group = np.where(cat["caliber"].isin(["9mm", ".22 LR"]), cat["caliber"], "other")
    ctype, ccal = cat["type"].to_numpy(object), cat["caliber"].to_numpy(object)
    intro = cat["introduced"].to_numpy()
    new_row = np.empty(len(early), np.int64)
    combos = pd.DataFrame({"row": row[early], "year": year[early], "column": column})
    groups: dict[Any, Any] = combos.groupby(["row", "year", "column"], sort=True).indices
    for (r, y, col), members in groups.items():
        on_sale = intro <= y
        tiers = (
            on_sale & (ctype == ctype[r]) & (ccal == ccal[r]),
            on_sale & (ctype == ctype[r]) & (group == group[r]),
            on_sale & (ctype == ctype[r]),
            on_sale,
        )
        pick = next((t for t in tiers if t.any()), np.ones(len(cat), bool))
        w = np.where(pick, cat[col].to_numpy(np.float64), 0.0)
        w = w if w.sum() > 0 else pick.astype(np.float64)
        new_row[members] = rng.choice(len(cat), size=len(members), p=w / w.sum())
    at = guns.index[early]
    for name in _MODEL_COLUMNS:
        out.loc[at, name] = cat[name].to_numpy()[new_row]
    patterns = np.empty(len(early), dtype=object)
    for k, fmt in enumerate(cat["serial_format"].to_numpy(object)[new_row]):
        options = str(fmt).split("|")
        patterns[k] = options[int(rng.integers(0, len(options)))]
    out.loc[at, "serial_format"] = patterns
    keep = np.ones(len(guns), bool)
    keep[early] = False
    taken = _serial_keys(
        guns["maker"].to_numpy(object)[keep], guns["serial"].to_numpy(object)[keep]
    )
    makers = out.loc[at, "maker"].to_numpy(object)
    out.loc[at, "serial"] = _serials(rng, patterns, makers, taken)
    if origin is not None:  # foreign-made guns that never passed through a US importer
        out.loc[at[origin == "foreign"], "importer"] = ""
    return out


def is_long_gun(gun_type: Any) -> Any:
    """True for rifles and shotguns (scalar or array-like; arrays give a bool array)."""
    if isinstance(gun_type, str):
        return gun_type in LONG_GUN_TYPES
    return np.isin(np.asarray(gun_type, dtype=object), list(LONG_GUN_TYPES))


_SPANISH_TYPE = {
    "pistol": "pistola",
    "revolver": "revólver",
    "rifle": "rifle",
    "shotgun": "escopeta",
}

spanish_terms: dict[str, dict[str, str]] = {
    "type": dict(_SPANISH_TYPE),
    "caliber": {
        "9mm": "cal. 9 mm",
        ".22 LR": "cal. .22",
        ".223 Rem": "calibre .223",
        "5.56x45mm": "calibre 5.56 mm",
        "7.62x39mm": "cal. 7.62x39 mm",
        ".38 Super": "cal. .38 Súper",
        ".380 ACP": "cal. .380",
        ".40 S&W": "cal. .40",
        ".45 ACP": "cal. .45",
        ".38 Special": "cal. .38 especial",
        ".357 Magnum": "cal. .357 mágnum",
        "12 gauge": "calibre 12",
        "20 gauge": "calibre 20",
        ".50 BMG": "calibre .50",
        "5.7x28mm": "cal. 5.7x28 mm",
        ".308 Win": "cal. .308",
        ".30-30 Win": "cal. 30-30",
    },
    "platform": {
        "AR": "AR-15 tipo fusil de asalto",
        "AK": 'AK-47 tipo "cuerno de chivo"',
    },
    "make": {
        "Smith & Wesson": "SMITH & WESSON",
        "Ruger": "STURM, RUGER",
        "Colt": "COLT",
        "Glock": "GLOCK",
        "Romarm/Cugir": "ROMARM CUGIR",
        "Century Arms": "CENTURY ARMS",
        "SIG Sauer": "SIG SAUER",
        "FN Herstal": "FN HERSTAL",
        "Heckler & Koch": "HECKLER & KOCH",
    },
    "action": {"semi": "semiautomático", "manual": "de repetición"},
    "country": {
        "Argentina": "Argentina",
        "Austria": "Austria",
        "Belgium": "Bélgica",
        "Brazil": "Brasil",
        "China": "China",
        "Croatia": "Croacia",
        "Czech Republic": "República Checa",
        "Germany": "Alemania",
        "Italy": "Italia",
        "Philippines": "Filipinas",
        "Romania": "Rumania",
        "Serbia": "Serbia",
        "Turkey": "Turquía",
        "United States": "Estados Unidos",
    },
}
"""How Mexican FGR/SEDENA records write gun terms (Spanish), keyed by canonical value."""


@overload
def spanish_type(gun_type: str, platform: str = "") -> str: ...
@overload
def spanish_type(gun_type: Any, platform: Any = None) -> NDArray[np.object_]: ...
def spanish_type(gun_type: Any, platform: Any = None) -> Any:
    """Spanish gun type as Mexican records write it: "pistola", "revólver", "rifle",
    "escopeta"; AR/AK-pattern rifles are "fusil" (assault-rifle pattern).

    Scalar in, scalar out; arrays give an object array.
    """
    if isinstance(gun_type, str):
        if gun_type == "rifle" and platform in ("AR", "AK"):
            return "fusil"
        return _SPANISH_TYPE[gun_type]
    types = np.asarray(gun_type, dtype=object)
    out = pd.Series(types, dtype=object).map(_SPANISH_TYPE).to_numpy(dtype=object)
    if platform is not None:
        plat = np.asarray(platform, dtype=object)
        out[(types == "rifle") & np.isin(plat, ["AR", "AK"])] = "fusil"
    return out


def spanish_description(guns: pd.DataFrame) -> NDArray[np.object_]:
    """One Spanish description per gun, as an FGR/SEDENA seizure record lists it, e.g.
    'fusil AR-15 tipo fusil de asalto, calibre .223, marca COLT, modelo LE6920'."""
    kind = spanish_type(guns["type"].to_numpy(), guns["platform"].to_numpy())
    plat = guns["platform"].map(spanish_terms["platform"]).fillna("").to_numpy(dtype=object)
    cal = guns["caliber"].map(spanish_terms["caliber"]).fillna("cal. " + guns["caliber"])
    make = guns["maker"].map(spanish_terms["make"]).fillna(guns["maker"].str.upper())
    head = np.where(plat != "", kind + " " + plat, kind)
    return np.asarray(
        head
        + ", "
        + cal.to_numpy(dtype=object)
        + ", marca "
        + make.to_numpy(dtype=object)
        + ", modelo "
        + guns["model"].to_numpy(dtype=object),
        dtype=object,
    )
