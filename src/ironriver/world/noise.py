"""Sensor noise: how agencies' records distort the ground truth.

Each function takes an explicit `numpy.random.Generator`, works on whole columns (numpy
arrays, pandas Series or sequences of strings) and, where useful, returns
`(new_values, changed_mask)` so the world can keep the truth and know which records were
distorted. Inputs are never modified in place. Outputs are numpy object arrays (strings),
positionally aligned with the input.

A `rate` is the probability that one record is distorted in that way, among the records
where the distortion is possible (e.g. a serial misread needs a confusable character, a
swapped surname order needs two surnames); the realised rate over eligible records is
therefore `rate` up to sampling noise.

The noise kinds follow what record-linkage work on Mexican/US records sees: two surnames,
dropped maternal surname, swapped order, dropped accents, nicknames and hypocoristics,
typing errors, serial misreads of similar glyphs, obliterated serials, missing fields,
make and caliber spelling variants and day/month order of dates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ironriver.world.names import name_lists

__all__ = [
    "CALIBER_VARIANTS",
    "MAKE_VARIANTS",
    "SERIAL_CONFUSIONS",
    "NameNoise",
    "caliber_variant",
    "country_variant",
    "drop_accents",
    "drop_values",
    "format_dates",
    "join_particles",
    "make_variant",
    "name_variants",
    "obliterate_serials",
    "serial_misread",
    "swap_day_month",
    "typo",
]

if TYPE_CHECKING:
    Values: TypeAlias = NDArray[Any] | pd.Series[Any] | pd.Index[Any] | Sequence[Any]
else:
    Values = Any
Result: TypeAlias = tuple[NDArray[np.object_], NDArray[np.bool_]]

# Glyphs read for one another on stamped/engraved serials and in handwriting.
SERIAL_CONFUSIONS: dict[str, str] = {
    "O": "0",
    "0": "O",
    "I": "1",
    "1": "I",
    "S": "5",
    "5": "S",
    "B": "8",
    "8": "B",
    "Z": "2",
    "2": "Z",
}

# Spellings seen for a canonical make on US and Mexican forms (assumption from common usage:
# abbreviations, "and" for "&", capitals, dropped words; ATF trace forms are typed freely).
MAKE_VARIANTS: dict[str, tuple[str, ...]] = {
    "Glock": ("GLOCK", "Glock GmbH", "Glock Inc", "GLOK"),
    "Smith & Wesson": ("S&W", "SMITH AND WESSON", "Smith Wesson", "S & W", "SMITH & WESSON"),
    "Ruger": ("Sturm Ruger", "STURM, RUGER & CO", "RUGER", "Sturm, Ruger"),
    "Taurus": ("TAURUS", "Forjas Taurus", "Taurus Brasil"),
    "SIG Sauer": ("Sig Sauer", "SIG", "SIGSAUER", "Sig-Sauer"),
    "Colt": ("COLT", "Colt's Mfg", "Colt's Manufacturing", "Colts"),
    "Springfield Armory": ("Springfield", "SPRINGFIELD ARMORY", "Springfield Arm.", "HS Produkt"),
    "Beretta": ("BERETTA", "P. Beretta", "Beretta USA", "Pietro Beretta"),
    "Century Arms": ("Century International Arms", "CAI", "CENTURY ARMS", "Century Intl"),
    "Romarm/Cugir": ("Romarm", "Cugir", "ROMARM", "Romarm SA"),
    "Palmetto State Armory": ("PSA", "Palmetto", "PALMETTO STATE ARMORY"),
    "Anderson Manufacturing": ("Anderson", "ANDERSON MFG", "Anderson Mfg."),
    "Bushmaster": ("BUSHMASTER", "Bushmaster Firearms"),
    "FN Herstal": ("FN", "FNH", "FN America", "Fabrique Nationale"),
    "Kel-Tec": ("Keltec", "KEL TEC", "KelTec"),
    "Hi-Point": ("Hi Point", "HIPOINT", "Hi-Point Firearms", "Beemiller"),
    "Mossberg": ("O.F. Mossberg", "MOSSBERG", "Mossberg & Sons"),
    "Remington": ("REMINGTON", "Remington Arms", "Rem"),
    "Heckler & Koch": ("H&K", "HK", "HECKLER AND KOCH", "Heckler Koch"),
    "Barrett": ("BARRETT", "Barrett Firearms"),
    "Winchester": ("WINCHESTER", "Winchester Repeating Arms"),
    "Marlin": ("MARLIN", "Marlin Firearms"),
    "Savage Arms": ("Savage", "SAVAGE"),
    "Norinco": ("NORINCO", "China North Industries"),
    "Zastava": ("ZASTAVA", "Zastava Arms", "Zastava Oruzje"),
    "CZ": ("Ceska Zbrojovka", "CZ-USA", "C.Z."),
    "Bersa": ("BERSA",),
    "Canik": ("CANIK", "Canik55", "Samsun Yurt"),
    "Rock Island Armory": ("RIA", "Armscor", "ROCK ISLAND ARMORY", "Rock Island"),
    "Diamondback": ("DIAMONDBACK", "Diamondback Firearms"),
    "Daniel Defense": ("DD", "DANIEL DEFENSE"),
}

# Spellings of canonical calibers (US and Mexican forms, lab reports).
CALIBER_VARIANTS: dict[str, tuple[str, ...]] = {
    "9mm": ("9 mm", "9MM", "9x19", "9 mm Luger", "9mm Parabellum", "9"),
    ".22 LR": ("22LR", ".22", "22", ".22 Long Rifle", "22 L.R."),
    ".223 Rem": ("223", "5.56", ".223", "223 REM", "5.56/.223"),
    "5.56x45mm": ("5.56", "5.56 NATO", "223", "5.56mm", ".223"),
    "7.62x39mm": ("7.62", "7.62x39", "7.62 x 39", "7.62mm"),
    ".38 Super": ("38 Super", ".38 SUP", "38 SUPER", ".38"),
    ".380 ACP": ("380", ".380", "9mm Kurz", "380 AUTO"),
    ".40 S&W": ("40", ".40", "40 SW", ".40 cal"),
    ".45 ACP": ("45", ".45", "45 AUTO", ".45 cal"),
    ".38 Special": (".38", "38 SPL", ".38 Spl", "38"),
    ".357 Magnum": (".357", "357 MAG", "357"),
    "12 gauge": ("12 GA", "12ga", "12", "cal. 12"),
    "20 gauge": ("20 GA", "20ga", "20"),
    ".50 BMG": (".50", "50 BMG", "50", "12.7x99"),
    "5.7x28mm": ("5.7", "5.7x28", "5.7 mm"),
    ".308 Win": ("308", "7.62x51", ".308", "7.62 NATO"),
    ".30-30 Win": ("30-30", ".30-30", "30 WIN"),
    "7.62x54R": ("7.62x54", "7.62", "7.62 x 54R"),
    ".25 ACP": ("25", ".25", "6.35mm"),
}

_ACCENTS = str.maketrans("áéíóúÁÉÍÓÚüÜñÑ", "aeiouAEIOUuUnN")
_LETTERS = np.array(list("abcdefghijklmnopqrstuvwxyz"))
_KEYBOARD_NEIGHBOURS = {
    a: b
    for a, b in zip(
        "qwertyuiopasdfghjklzxcvbnm",
        [
            "wa",
            "qes",
            "wrd",
            "etf",
            "ryg",
            "tuh",
            "yij",
            "uok",
            "ipl",
            "ol",
            "qsz",
            "awdx",
            "sefc",
            "drgv",
            "fthb",
            "gyjn",
            "hukm",
            "jil",
            "kop",
            "asx",
            "zsdc",
            "xdfv",
            "cfgb",
            "vghn",
            "bhjm",
            "njk",
        ],
        strict=True,
    )
}


def _as_object(values: Values) -> NDArray[np.object_]:
    """A fresh object array of the values (the input is never modified)."""
    if isinstance(values, pd.Series | pd.Index):
        return values.to_numpy(dtype=object, copy=True)
    return np.array(values, dtype=object, copy=True)


def _draw(rng: np.random.Generator, eligible: NDArray[np.bool_], rate: float) -> NDArray[np.bool_]:
    """Select eligible positions, each with probability `rate`."""
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"rate must be within [0, 1], got {rate}")
    return eligible & (rng.random(len(eligible)) < rate)


def _nonempty(values: NDArray[np.object_]) -> NDArray[np.bool_]:
    return np.fromiter(
        (isinstance(v, str) and v != "" for v in values), dtype=bool, count=len(values)
    )


def _typo_one(value: str, op: int, pos: float, pick: float) -> str:
    """One keyboard error: 0 substitution (neighbouring key), 1 transposition, 2 deletion."""
    n = len(value)
    if n < 2 and op != 0:
        op = 0
    i = min(int(pos * n), n - 1)
    if op == 0:
        ch = value[i]
        near = _KEYBOARD_NEIGHBOURS.get(ch.lower(), "")
        if near:
            new = near[min(int(pick * len(near)), len(near) - 1)]
        else:
            new = str(_LETTERS[min(int(pick * 26), 25)])
        new = new.upper() if ch.isupper() else new
        return value[:i] + new + value[i + 1 :]
    if op == 1:
        i = min(i, n - 2)
        return value[:i] + value[i + 1] + value[i] + value[i + 2 :]
    return value[:i] + value[i + 1 :]


def typo(rng: np.random.Generator, values: Values, rate: float) -> Result:
    """One typing error (keyboard-neighbour substitution, transposition or deletion).

    Applies to non-empty strings with probability `rate`. A transposition of two equal
    letters leaves the string as it was; such records are not counted as changed.
    """
    out = _as_object(values)
    chosen = np.flatnonzero(_draw(rng, _nonempty(out), rate))
    ops = rng.integers(0, 3, size=len(chosen))
    pos = rng.random(len(chosen))
    pick = rng.random(len(chosen))
    for k, i in enumerate(chosen):
        out[i] = _typo_one(out[i], int(ops[k]), float(pos[k]), float(pick[k]))
    changed = np.zeros(len(out), dtype=bool)
    changed[chosen] = out[chosen] != _as_object(values)[chosen]
    return out, changed


def drop_values(rng: np.random.Generator, values: Values, rate: float, missing: Any = "") -> Result:
    """Missing fields: replace each value by `missing` with probability `rate`."""
    out = _as_object(values)
    mask = _draw(rng, np.ones(len(out), dtype=bool), rate)
    out[mask] = missing
    return out, mask


def drop_accents(values: Values) -> NDArray[np.object_]:
    """Strip Spanish diacritics (á→a, ü→u, ñ→n), as US systems and keyboards often do."""
    out = _as_object(values)
    return np.array([v.translate(_ACCENTS) if isinstance(v, str) else v for v in out], dtype=object)


# Words that lead a Spanish surname ("De la Cruz", "Del Ángel", "De los Santos", "De León")
_SURNAME_PARTICLES = frozenset({"de", "del", "la", "las", "los"})


def _led_by_particle(values: NDArray[np.object_]) -> NDArray[np.bool_]:
    """Which values are a surname of several words whose first is a particle."""
    return np.fromiter(
        (
            isinstance(v, str) and " " in v and v.split(" ", 1)[0].lower() in _SURNAME_PARTICLES
            for v in values
        ),
        dtype=bool,
        count=len(values),
    )


def join_particles(values: Values) -> NDArray[np.object_]:
    """A surname's words written as one: "De la Cruz" → "Delacruz", "DEL ÁNGEL" →
    "DELÁNGEL" (capitals kept for a name in capitals, else only the first letter)."""
    out = _as_object(values)
    for i, v in enumerate(out):
        if isinstance(v, str) and " " in v:
            word = v.replace(" ", "")
            out[i] = word if word.isupper() else word[:1].upper() + word[1:].lower()
    return out


def serial_misread(rng: np.random.Generator, serials: Values, rate: float) -> Result:
    """Read one confusable glyph of a serial as its twin (O/0, I/1, S/5, B/8, Z/2).

    `rate` applies among serials holding at least one confusable character.
    """
    out = _as_object(serials)
    positions = [
        [i for i, ch in enumerate(s) if ch in SERIAL_CONFUSIONS] if isinstance(s, str) else []
        for s in out
    ]
    eligible = np.fromiter((len(p) > 0 for p in positions), dtype=bool, count=len(out))
    mask = _draw(rng, eligible, rate)
    pick = rng.random(len(out))
    for i in np.flatnonzero(mask):
        cand = positions[i]
        j = cand[min(int(pick[i] * len(cand)), len(cand) - 1)]
        s = out[i]
        out[i] = s[:j] + SERIAL_CONFUSIONS[s[j]] + s[j + 1 :]
    return out, mask


def obliterate_serials(
    rng: np.random.Generator, serials: Values, share: float, partial_share: float
) -> tuple[NDArray[np.object_], NDArray[np.object_]]:
    """Filed-off serials, as recovered guns present them.

    `share`: probability that a serial was tampered with. `partial_share`: probability that
    a tampered serial stays partly legible (a run of characters replaced by "?", at least
    one character left readable); the rest are fully obliterated (""). So the fully
    obliterated share is `share * (1 - partial_share)`.

    Returns `(observed, status)` with status "intact", "partial" or "obliterated".
    Empty serials are left "intact" (there is nothing to file off).
    """
    if not 0.0 <= partial_share <= 1.0:
        raise ValueError(f"partial_share must be within [0, 1], got {partial_share}")
    out = _as_object(serials)
    tampered = _draw(rng, _nonempty(out), share)
    partial = tampered & (rng.random(len(out)) < partial_share)
    status = np.full(len(out), "intact", dtype=object)
    status[tampered] = "obliterated"
    out[tampered & ~partial] = ""
    u_len = rng.random(len(out))
    u_start = rng.random(len(out))
    for i in np.flatnonzero(partial):
        s = out[i]
        n = len(s)
        if n < 2:
            out[i] = ""
            continue
        # Between one character and all but one hidden; run length uniform.
        run = 1 + min(int(u_len[i] * (n - 1)), n - 2)
        start = min(int(u_start[i] * (n - run + 1)), n - run)
        out[i] = s[:start] + "?" * run + s[start + run :]
        status[i] = "partial"
    return out, status


def _variant(
    rng: np.random.Generator,
    values: Values,
    rate: float,
    table: dict[str, tuple[str, ...]],
) -> Result:
    out = _as_object(values)
    eligible = np.fromiter(
        (isinstance(v, str) and v in table for v in out), dtype=bool, count=len(out)
    )
    mask = _draw(rng, eligible, rate)
    pick = rng.random(len(out))
    idx = np.flatnonzero(mask)
    for i in idx:
        options = table[out[i]]
        out[i] = options[min(int(pick[i] * len(options)), len(options) - 1)]
    return out, mask


def make_variant(rng: np.random.Generator, makes: Values, rate: float) -> Result:
    """Spell a canonical make another way ("Smith & Wesson"→"S&W", "SMITH AND WESSON").

    Applies to makes listed in `MAKE_VARIANTS` (every catalogue make is).
    """
    return _variant(rng, makes, rate, MAKE_VARIANTS)


def caliber_variant(
    rng: np.random.Generator,
    calibers: Values,
    rate: float,
    table: dict[str, tuple[str, ...]] = CALIBER_VARIANTS,
) -> Result:
    """Spell a canonical caliber another way ("9mm"→"9 mm"/"9x19", ".223 Rem"→"5.56");
    `table` gives each canonical caliber's spellings (default `CALIBER_VARIANTS`)."""
    return _variant(rng, calibers, rate, table)


def country_variant(rng: np.random.Generator, countries: Values, rate: float) -> Result:
    """Write a Spanish country name another way: capitals ("ESTADOS UNIDOS"), accents
    dropped ("Turquia"), the long form ("Estados Unidos de América"). Every spelling is one
    FtM's country type reads (an abbreviation such as "EUA" it does not)."""
    out = _as_object(countries)
    eligible = np.fromiter((isinstance(v, str) and v != "" for v in out), bool, len(out))
    mask = _draw(rng, eligible, rate)
    kind = rng.integers(0, 3, len(out))
    for i in np.flatnonzero(mask):
        v = str(out[i])
        if kind[i] == 0:
            out[i] = v.upper()
        elif kind[i] == 1 or v != "Estados Unidos":
            out[i] = str(drop_accents(np.array([v], dtype=object))[0])
        else:
            out[i] = "Estados Unidos de América"
    return out, mask


def format_dates(dates: Values, style: Literal["iso", "us", "mx"]) -> NDArray[np.object_]:
    """Dates as text: "iso" YYYY-MM-DD, "us" MM/DD/YYYY, "mx" DD/MM/YYYY; missing → ""."""
    formats = {"iso": "%Y-%m-%d", "us": "%m/%d/%Y", "mx": "%d/%m/%Y"}
    if style not in formats:
        raise ValueError(f"style must be one of {sorted(formats)}, got {style!r}")
    idx = pd.DatetimeIndex(pd.to_datetime(np.asarray(dates)))
    text = idx.strftime(formats[style])
    return np.array([t if isinstance(t, str) else "" for t in text], dtype=object)


def swap_day_month(
    rng: np.random.Generator, dates: Values, rate: float
) -> tuple[NDArray[np.datetime64], NDArray[np.bool_]]:
    """Read a date with day and month exchanged (a US clerk reading a Mexican form).

    Only dates with day <= 12 and day != month are eligible (otherwise the swap is
    impossible or invisible). Returns datetime64[D] values.
    """
    arr = np.asarray(pd.to_datetime(np.asarray(dates))).astype("datetime64[D]")
    idx = pd.DatetimeIndex(arr)
    day = np.asarray(idx.day)
    month = np.asarray(idx.month)
    eligible = ~np.isnat(arr) & (day <= 12) & (day != month)
    mask = _draw(rng, eligible, rate)
    out = arr.copy()
    years = np.asarray(idx.year)
    for i in np.flatnonzero(mask):
        out[i] = np.datetime64(f"{years[i]:04d}-{day[i]:02d}-{month[i]:02d}", "D")
    return out, mask


@dataclass(frozen=True)
class NameNoise:
    """Rates of each name distortion, per record (among records where it is possible).

    Defaults are assumptions for a typical Mexican/US administrative record; agencies pass
    their own (e.g. a US dealer's Form 4473 drops the maternal surname far more often).
    """

    shorten_given: float = 0.15
    """Compound given name cut to its first word ("José Luis" → "José")."""
    abbreviate_maria: float = 0.30
    """"María X" written "Ma. X" (common on Mexican forms)."""
    alias: float = 0.03
    """First given name replaced by its hypocoristic ("Jesús" → "Chuy", "José" → "Pepe")."""
    nickname_only: float = 0.02
    """Only the nickname is known: names blanked (records where a nickname exists)."""
    drop_maternal: float = 0.20
    """Maternal surname left out (two-surname persons)."""
    swap_surnames: float = 0.03
    """Paternal and maternal surnames exchanged (two-surname persons)."""
    drop_accents: float = 0.30
    """Accents and ñ stripped ("Peña" → "Pena")."""
    typo: float = 0.03
    """One typing error in one name field."""
    upper_case: float = 0.30
    """Whole name written in capitals."""
    join_particles: float = 0.0
    """A surname led by particles written as one word ("De la Cruz" → "Delacruz", "DEL
    ÁNGEL" → "DELÁNGEL"), per surname that has them: systems whose surname field takes one
    word, and people who write it so. Off by default (drawn last, and only when on, so a
    world generated without it keeps every other draw)."""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"NameNoise.{f.name} must be within [0, 1], got {value}")


_NAME_COLUMNS = ("given_names", "paternal_surname", "maternal_surname")


def name_variants(
    rng: np.random.Generator, df: pd.DataFrame, rates: NameNoise | None = None
) -> pd.DataFrame:
    """Distort person names as an agency would record them.

    `df` needs given_names, paternal_surname and maternal_surname (nickname optional);
    the result has the same columns and index, other columns copied unchanged. Distortions
    are applied in a realistic order: given-name forms, surnames, accents, typos, capitals.
    """
    rates = rates or NameNoise()
    missing = [c for c in _NAME_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"name_variants needs columns {missing}; pass a people frame")
    out = df.copy()
    n = len(df)
    given = _as_object(df["given_names"].fillna(""))
    paternal = _as_object(df["paternal_surname"].fillna(""))
    maternal = _as_object(df["maternal_surname"].fillna(""))
    nickname = _as_object(df["nickname"].fillna("")) if "nickname" in df else np.full(n, "", object)
    given_s = pd.Series(given, dtype=object)

    compound = given_s.str.contains(" ", regex=False).to_numpy(dtype=bool)
    short = _draw(rng, compound, rates.shorten_given)
    given[short] = given_s[short].str.split(" ", n=1).str[0].to_numpy(dtype=object)

    given_s = pd.Series(given, dtype=object)
    maria = given_s.str.startswith("María ").to_numpy(dtype=bool)
    abbr = _draw(rng, maria, rates.abbreviate_maria)
    given[abbr] = "Ma. " + given_s[abbr].str.slice(6).to_numpy(dtype=object)

    hyp = name_lists().hypocoristics
    codes, uniques = pd.factorize(given)
    alias_u = np.array([hyp.get(str(g).split(" ")[0], ("",))[0] for g in uniques], dtype=object)
    alias_of = np.where(codes >= 0, alias_u[codes], "")
    use_alias = _draw(rng, alias_of != "", rates.alias)
    given[use_alias] = alias_of[use_alias]

    nick_only = _draw(rng, nickname != "", rates.nickname_only)
    given[nick_only] = ""
    paternal[nick_only] = ""
    maternal[nick_only] = ""

    two = (paternal != "") & (maternal != "")
    swap = _draw(rng, two, rates.swap_surnames)
    paternal[swap], maternal[swap] = maternal[swap], paternal[swap].copy()
    drop = _draw(rng, two & ~swap, rates.drop_maternal)
    maternal[drop] = ""

    columns = [given, paternal, maternal, nickname]
    accents = _draw(rng, np.ones(n, dtype=bool), rates.drop_accents)
    for col in columns:
        col[accents] = drop_accents(col[accents])

    field = rng.integers(0, 3, size=n)
    has_typo = _draw(rng, np.ones(n, dtype=bool), rates.typo)
    for k, col in enumerate(columns[:3]):
        sel = np.flatnonzero(has_typo & (field == k))
        col[sel], _ = typo(rng, col[sel], 1.0)

    upper = _draw(rng, np.ones(n, dtype=bool), rates.upper_case)
    for col in columns:
        col[upper] = pd.Series(col[upper], dtype=object).str.upper().to_numpy(dtype=object)

    if rates.join_particles > 0:
        for col in (paternal, maternal):
            joined = _draw(rng, _led_by_particle(col), rates.join_particles)
            col[joined] = join_particles(col[joined])
    # Keep each column's dtype (object or pandas string), whatever pandas would infer.
    for name, col in zip([*_NAME_COLUMNS, "nickname"], columns, strict=True):
        if name in df:
            out[name] = pd.Series(col, index=out.index, dtype=df[name].dtype)
    return out
