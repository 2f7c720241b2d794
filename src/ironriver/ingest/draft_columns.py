"""A column of an agency file guessed from its sampled values (`guess_column`): its ledger
type (`date`, `timestamp`, `integer`, `float`, `boolean` or `string`), its date `format` or
`decimal` mark, an example, and a flag saying what the analyst should check; and the window of
a two-digit year column (`windowed`). `draft`'s module doc says how each type is guessed.

Invariants: a date or timestamp format is one of `DATE_FORMATS` / `TIMESTAMP_FORMATS` reading
at least `DATE_SHARE` of the values (the values it misses are flagged); when day-first and
month-first both read the values the owner country's order is taken, flagged; a column named
as an identifier (folio, serial, phone...: `_IDENTIFIER`) is never typed a number; a
spreadsheet's date cells come marked (`TYPED_FORMAT`, `draft_sample.sample_sheet`) and are
read in any layout.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import datetime

from ironriver.i18n import Msg, msg, nmsg
from ironriver.ingest.clean import english_meridian, english_months, names_months
from ironriver.ingest.specs import LedgerType
from ironriver.ingest.suggest import words

DATE_SHARE = 0.95
"""The share of a column's sampled values one date layout must read for a date column."""
DATE_FORMATS = (
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%Y/%m/%d",
    "%d.%m.%Y",
    "%d/%b/%Y",  # 31/ene/2024 (Spanish month names read too)
    "%d-%b-%Y",  # 31-ENE-2024, 31-JAN-2024 (DD-MON-YYYY: Oracle exports' default)
    "%d %b %Y",
    "%d de %B de %Y",  # 31 de enero de 2024
    "%b %Y",  # Dec 2021: a month
    "%B %Y",
    "%m/%Y",
    "%Y-%m",
    # two-digit years, after every four-digit layout (Python's %Y and %y take exactly four
    # and two digits, so none reads the other's values); drafted with a window (`_window`)
    "%d/%m/%y",
    "%m/%d/%y",
    "%d-%m-%y",
    "%m-%d-%y",
)
_CLOCKS = ("%H:%M:%S", "%H:%M", "%I:%M:%S %p", "%I:%M %p")  # 24-hour, then AM/PM
TIMESTAMP_FORMATS = (
    "%Y-%m-%dT%H:%M:%S",
    *(
        f"{day} {clock}"
        for day in (
            "%Y-%m-%d",
            "%d/%m/%Y",
            "%m/%d/%Y",
            "%d-%m-%Y",
            "%m-%d-%Y",
            "%d/%m/%y",
            "%m/%d/%y",
        )
        for clock in _CLOCKS
    ),
)
_DAY_FIRST = {  # and the month-first twin
    "%d/%m/%Y": "%m/%d/%Y",
    "%d-%m-%Y": "%m-%d-%Y",
    "%d/%m/%y": "%m/%d/%y",
    "%d-%m-%y": "%m-%d-%y",
}
_DAY_FIRST.update(
    {f"{d} {clock}": f"{m} {clock}" for d, m in list(_DAY_FIRST.items()) for clock in _CLOCKS}
)
# a spreadsheet's date cells are read with this format, so the guess knows them
_TYPED = "@@typed-date@@"  # (not a control character: str.strip() removes those)
TYPED_FORMAT = _TYPED + "%Y-%m-%dT%H:%M:%S"
EVENT_YEARS_FROM = 2000
"""The first year of a two-digit-year date column's window (`two_digit_years_from`, docs/
mapping.md) when the column is no birth date: agencies' records are of recent events, and
2000-2099 also reads a date a little ahead (a hearing, an expiry). Unless a sampled year
would then be later than the draft's year: then the hundred years ending that year."""
_BORN = {"nacimiento", "nac", "nacido", "natalicio", "birth", "birthdate", "dob", "born"}
"""Words of a birth date column's header: its two-digit years are read in the hundred years
ending the draft's year (no one is born in the future; a person born a hundred years ago
is rarer than one born last year)."""
_INTEGER = re.compile(r"^[+-]?[1-9]\d{0,8}$|^0$")
_FLOAT = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)$")
# numbers as Spanish-locale spreadsheets write them: a dot grouping thousands, a decimal comma
_COMMA_NUMBER = re.compile(r"^[+-]?([1-9]\d{0,2}(\.\d{3})+|\d+)(,\d+)?$")
_THOUSANDS_DOT = re.compile(r"^[+-]?[1-9]\d{0,2}(\.\d{3})+$")
_BOOLEANS = {"true", "false", "yes", "no", "sí", "si", "t", "f", "y", "n"}
_IDENTIFIER = re.compile(
    r"(^|_)(id|folio|serial|serie|numero|num|no|nro|placa|plate|vin|curp|rfc|phone|telefono|"
    r"tel|cel|celular|movil|mobile|cell|codigo|code|clave|licen[cs]e|licencia|ffl|txn|zip|cp|postal|calibre|caliber|"
    r"calibro|modelo|model)(_|$)"
)


@dataclass(frozen=True)
class ColumnGuess:
    """One column of the file and what the draft makes of it."""

    header: str  # as the file names it
    name: str  # the ledger column's name
    type: LedgerType
    format: str | None = None
    example: str | None = None  # a sampled value, as the file has it
    flag: Msg | None = None  # what to check
    values: int = 0  # how many sampled records have a value in it
    decimal: str | None = None  # a number column's declared decimal mark (docs/mapping.md)
    years_from: int | None = None  # a %y format's window (two_digit_years_from)
    years_note: Msg | None = None  # what that window reads, to check
    listed: bool = False  # a JSON key holding a list in some record: no ledger column


def guess_column(header: str, name: str, raw: list[str], country: str) -> ColumnGuess:
    values = [v.strip() for v in raw if v.strip()]
    typed = [v for v in values if v.startswith(_TYPED)]
    texts = [v for v in values if not v.startswith(_TYPED)]
    example = texts[0] if texts else (typed[0].removeprefix(_TYPED) if typed else None)
    guess = ColumnGuess(header, name, "string", example=example, values=len(values))
    if not values:
        return replace(guess, flag=msg("no value in the sample: typed as text"))
    if typed:  # date cells: any layout reads them; the dates typed as text choose it
        with_time = any(not v.endswith("T00:00:00") for v in typed)
        if not texts:
            fmt = TIMESTAMP_FORMATS[0] if with_time else DATE_FORMATS[0]
            return replace(guess, type="timestamp" if with_time else "date", format=fmt)
        formats, missed = _formats(texts, (TIMESTAMP_FORMATS if with_time else ()) + DATE_FORMATS)
        if not formats:
            mixed = msg("date cells mixed with text in no one date layout: typed as text")
            return replace(guess, flag=mixed)
        fmt, flag = _order(formats, country)
        flag = flag or _missed(fmt, missed)
        if "%H" in fmt:
            return replace(guess, type="timestamp", format=fmt, flag=flag)
        if with_time and flag is None:
            flag = msg("some date cells have a time, which the dates typed as text lack")
        return replace(guess, type="date", format=fmt, flag=flag)
    for kind, candidates in (("date", DATE_FORMATS), ("timestamp", TIMESTAMP_FORMATS)):
        formats, missed = _formats(values, candidates)
        if formats:
            fmt, flag = _order(formats, country)
            flag = flag or _missed(fmt, missed)
            return replace(guess, type=kind, format=fmt, flag=flag)  # type: ignore[arg-type]
    if all(v.lower() in _BOOLEANS for v in values):
        return replace(guess, type="boolean")
    if all(_INTEGER.match(v) for v in values) and not _IDENTIFIER.search(name):
        return replace(guess, type="integer")
    if not _IDENTIFIER.search(name) and (number := _comma_number(guess, values)) is not None:
        return number
    if (
        all(_FLOAT.match(v) for v in values)
        and any("." in v for v in values)
        and not _IDENTIFIER.search(name)
    ):
        return replace(guess, type="float")
    return guess


def _comma_number(guess: ColumnGuess, values: list[str]) -> ColumnGuess | None:
    """A number column written with a decimal comma and/or a dot grouping thousands
    ("7.345,80", "1.500"), declared with `decimal: ","`; None when the values are not all
    so written, or none shows it. Thousands dots alone (no comma) could be decimal points
    with three decimals: flagged."""
    if not all(_COMMA_NUMBER.match(v) for v in values):
        return None
    commas = any("," in v for v in values)
    if not commas and not any(_THOUSANDS_DOT.match(v) for v in values):
        return None
    if commas:
        return replace(guess, type="float", decimal=",")
    flag = msg(
        "every dot has three digits after it, as a thousands dot (1.500 read as 1500): if it "
        'is a decimal point, write decimal: "."'
    )
    return replace(guess, type="integer", decimal=",", flag=flag)


def _formats(values: list[str], candidates: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The candidate formats that read the most values, if they read at least `DATE_SHARE`
    of them (a typo or two does not make a date column text), and the values they miss."""
    best: list[str] = []
    missed: list[str] = values
    for fmt in candidates:
        misses = []
        for value in values:
            try:
                text = english_months(value) if names_months(fmt) else value
                datetime.strptime(english_meridian(text) if "%p" in fmt else text, fmt)
            except ValueError:
                misses.append(value)
                if len(misses) > (1 - DATE_SHARE) * len(values):
                    break
        else:
            if len(misses) < len(missed) or not best:
                best, missed = [fmt], misses
            elif len(misses) == len(missed):
                best.append(fmt)
    return best, (missed if best else [])


def _missed(fmt: str, missed: list[str]) -> Msg | None:
    if not missed:
        return None
    return nmsg(
        "{n} sampled value does not read as {format} ({example}): ingest will reject it",
        "{n} sampled values do not read as {format} (e.g. {example}): ingest will reject them",
        len(missed),
        format=fmt,
        example=json.dumps(missed[0], ensure_ascii=False),
    )


def _order(formats: list[str], country: str) -> tuple[str, Msg | None]:
    """One format among those that read every value, and a flag when the day-first and the
    month-first layouts both do (every sampled day is 12 or less)."""
    for day_first, month_first in _DAY_FIRST.items():
        if day_first in formats and month_first in formats:
            fmt = day_first if country == "MX" else month_first
            return fmt, msg(
                "every sampled day is 12 or less: is it day-first or month-first? {format} "
                "was chosen by the owner country",
                format=fmt,
            )
    return formats[0], None


def windowed(guess: ColumnGuess, raw: list[str], year: int) -> ColumnGuess:
    """`guess` with the window of its two-digit years (`two_digit_years_from`), which a %y
    format needs, and a note saying what it reads: for a birth date (`_BORN`) the hundred
    years ending `year`; else from `EVENT_YEARS_FROM`, unless a sampled year would then be
    later than `year`."""
    fmt = guess.format
    if fmt is None or "%y" not in fmt:
        return guess
    years = []
    for value in raw:
        try:
            text = english_meridian(value.strip()) if "%p" in fmt else value.strip()
            years.append(datetime.strptime(text, fmt).year % 100)
        except ValueError:
            continue  # (a spreadsheet's date cell, or a value the flag names)
    last = year - 99
    if set(words(guess.header)) & _BORN:
        note = msg(
            "two-digit years read as {start}-{end}, as a birth date is not in the future: if "
            "someone was born before {start}, lower two_digit_years_from",
            start=last,
            end=year,
        )
        return replace(guess, years_from=last, years_note=note)
    later = sorted({y for y in years if EVENT_YEARS_FROM + y > year})
    if not later:
        note = msg(
            "two-digit years read as {start}-{end}, as for recent events: if the file holds "
            "dates before {start}, lower two_digit_years_from",
            start=EVENT_YEARS_FROM,
            end=EVENT_YEARS_FROM + 99,
        )
        return replace(guess, years_from=EVENT_YEARS_FROM, years_note=note)
    note = msg(
        "two-digit years read as {start}-{end}, as {example} read as {later} would be in the "
        "future: if the column holds dates after {end}, raise two_digit_years_from",
        start=last,
        end=year,
        example=f"{later[-1]:02d}",
        later=EVENT_YEARS_FROM + later[-1],
    )
    return replace(guess, years_from=last, years_note=note)
