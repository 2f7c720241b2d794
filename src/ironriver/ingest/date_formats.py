"""Date formats as a mapping writes them (strptime's), read as Python's strptime (FtM's,
`ftm map`'s) reads them, in Python and as DuckDB SQL.

What DuckDB's strptime reads as Python's does (`fast_date_format`), and where it is laxer:
its %Y reads one to four digits (`four_digit_year`), its %y one or two
(`two_digit_year_guard`). A `%y` format's two-digit years can be read in a window of a
hundred years from a mapping's `two_digit_years_from` (`two_digit_year`, and
`two_digit_year_sql` for DuckDB's reading). The directives whose layout is the machine's
locale's (`locale_directives`) are named, for a mapping to refuse them. Spanish month
names and a.m./p.m. markers, as Mexican agencies write dates, are rewritten as the English
that strptime's %b, %B and %p read (`english_months`, `english_meridian`, and their SQL).

Invariants: each SQL builder reads a value as its Python counterpart (or Python's strptime)
does, or gives NULL where DuckDB's reading would differ (a %Y not written with four digits,
a 29 February that the window's year lacks); what NULL then means is the caller's. All are
pure functions of text: no connection, no state.
"""

from __future__ import annotations

import re
from datetime import datetime

from prefixdate import DatePrefix, Precision
from prefixdate.formats import format_precision

from ironriver.sqltext import literal

_FAST_DATE_DIRECTIVES = re.compile(r"%[YmdHMS%]")
PRECISION_FORMATS = {
    Precision.YEAR: "%Y",
    Precision.MONTH: "%Y-%m",
    Precision.DAY: "%Y-%m-%d",
    Precision.HOUR: "%Y-%m-%dT%H",
    Precision.MINUTE: "%Y-%m-%dT%H:%M",
    Precision.SECOND: "%Y-%m-%dT%H:%M:%S",
}


def fast_date_format(fmt: str) -> bool:
    """True when DuckDB's strptime reads `fmt` as Python's does (but for %Y: `four_digit_year`)."""
    rest = _FAST_DATE_DIRECTIVES.sub("", fmt)
    return "%" not in rest and format_precision(fmt) in PRECISION_FORMATS


_DIRECTIVE_SPLIT = re.compile(r"(%.)")  # a format's directives and literal text, in order
YEAR_1000 = "TIMESTAMP '1000-01-01'"


def has_two_digit_year(fmt: str | None) -> bool:
    """Whether a date format reads a two-digit year (`%y`; not a literal `%%y`)."""
    return fmt is not None and "%y" in _DIRECTIVE_SPLIT.split(fmt)


LOCALE_DIRECTIVES = ("%c", "%x", "%X")
"""strptime directives whose layout is the running machine's locale's (`%x` is `%m/%d/%y`
in the C locale: a two-digit year, and another layout on a machine set to es_MX)."""


def locale_directives(fmt: str | None) -> list[str]:
    """The `LOCALE_DIRECTIVES` a date format uses (not a literal `%%x`)."""
    parts = _DIRECTIVE_SPLIT.split(fmt or "")
    return [d for d in LOCALE_DIRECTIVES if d in parts]


# What Python's strptime reads for each directive of a format the ledger path reads with
# DuckDB's strptime, which is laxer: its %y also reads one digit ('1/1/5' as 2005)
_DIRECTIVE_TEXT = {
    "%y": "[0-9]{2}",
    "%Y": "[0-9]{4}",
    "%d": "[0-9]{1,2}",
    "%m": "[0-9]{1,2}",
    "%H": "[0-9]{1,2}",
    "%I": "[0-9]{1,2}",
    "%M": "[0-9]{1,2}",
    "%S": "[0-9]{1,2}",
    "%j": "[0-9]{1,3}",
    "%f": "[0-9]{1,6}",
    "%%": "%",
}


def two_digit_year_guard(text: str, fmt: str) -> str:
    """SQL: `text` writes each `%y` of `fmt` with exactly two digits, as Python's strptime
    (an entity date's parser) requires; DuckDB's reads '5' too. The format becomes a regular
    expression: the numeric directives as Python reads them, any other (%b, %p...) as a run
    of non-digits, a space as any run of spaces, the rest as literal text."""
    pattern = []
    for part in _DIRECTIVE_SPLIT.split(fmt):
        if part in _DIRECTIVE_TEXT:
            pattern.append(_DIRECTIVE_TEXT[part])
        elif _DIRECTIVE_SPLIT.fullmatch(part):
            pattern.append("[^0-9]+?")
        else:
            pattern.append(r"\s+".join(re.escape(word) for word in part.split(" ")))
    return f"regexp_full_match({text}, {literal(''.join(pattern))}, 'i')"


def window_year(year: int, start: int) -> int:
    """`year`, read from two digits, moved into the hundred years from `start` on: with
    1930, 2055 (strptime's reading of '55') is 1955 and 2024 stays 2024."""
    return start + (year - start) % 100


def two_digit_year(text: str, fmt: str, start: int) -> str | None:
    """FtM's `clean_text` of a date `text` in the `%y` format `fmt` (Python's strptime, an ISO
    prefix at the format's precision), with the two-digit year read in the hundred years from
    `start` on rather than in strptime's fixed 1969-2068; None when it does not read, or
    names a day that year lacks (29 February of 1900)."""
    try:
        parsed = datetime.strptime(text, fmt)
        parsed = parsed.replace(year=window_year(parsed.year, start))
    except (ValueError, TypeError):
        return None
    out: str | None = DatePrefix(parsed, precision=format_precision(fmt)).text
    return out


def two_digit_year_sql(parsed: str, start: int) -> str:
    """SQL: the timestamp `parsed` (DuckDB's strptime of a `%y` format, which reads 00-68 as
    2000-2068 and 69-99 as 1969-1999, as Python's does) with its year in the hundred years
    from `start` on; NULL for a 29 February that year lacks (adding years would make it the
    28th)."""
    year = f"year({parsed})"
    shift = f"((({year} - {start}) % 100 + 100) % 100 + {start} - {year})"
    new = f"({year} + {shift})"
    leap = f"(({new} % 4 = 0 AND {new} % 100 <> 0) OR {new} % 400 = 0)"
    return (
        f"(CASE WHEN month({parsed}) = 2 AND day({parsed}) = 29 AND NOT {leap} THEN NULL "
        f"ELSE {parsed} + to_years(CAST({shift} AS INTEGER)) END)"
    )


def four_digit_year(parsed: str, text: str, fmt: str) -> str:
    """SQL: `parsed` (DuckDB's `try_strptime(text, fmt)`), or NULL when a %Y of `fmt` was not
    written with four digits.

    DuckDB's %Y reads one to four digits, so '05/01/23' under '%d/%m/%Y' is the year 23;
    Python's (FtM's, `ftm map`'s) takes exactly four, and '0023' is the year 23. A year from
    1000 on has four digits: one comparison. An earlier one (rare) is read again with the
    zeros a four-digit year writes before it as literal text of the format, and must give
    the same value ('0023' read as '00%Y' is 23 again; '23' does not read). Where digits follow
    %Y directly ('%Y%m%d'), a year before 1000 does not read again and is rejected."""
    parts = _DIRECTIVE_SPLIT.split(fmt)
    if "%Y" not in parts:
        return parsed
    branches = [f"WHEN {parsed} >= {YEAR_1000} THEN {parsed}"]
    for zeros, since in (("0", "0100"), ("00", "0010"), ("000", "0001")):
        padded = "".join(zeros + part if part == "%Y" else part for part in parts)
        branches.append(
            f"WHEN {parsed} >= TIMESTAMP '{since}-01-01' "
            f"AND try_strptime({text}, {literal(padded)}) = {parsed} THEN {parsed}"
        )
    return f"(CASE {' '.join(branches)} END)"


# Spanish month names, as Mexican agencies write dates ("12-ENE-2024", "5 de marzo de
# 2024"), in English for strptime's %b / %B (which read English only). A format naming months
# reads both languages: the English and Spanish names that look alike (mar, may) mean the same.
SPANISH_MONTHS = {
    "enero": "January",
    "febrero": "February",
    "marzo": "March",
    "abril": "April",
    "mayo": "May",
    "junio": "June",
    "julio": "July",
    "agosto": "August",
    "septiembre": "September",
    "setiembre": "September",
    "octubre": "October",
    "noviembre": "November",
    "diciembre": "December",
    "ene": "Jan",
    "abr": "Apr",
    "ago": "Aug",
    "sept": "Sep",
    "set": "Sep",
    "dic": "Dec",
}
_SPANISH_MONTH = re.compile(r"\b(" + "|".join(SPANISH_MONTHS) + r")\b", re.IGNORECASE)


def names_months(fmt: str | None) -> bool:
    """Whether a date format reads month names (%b, %B), so also Spanish ones."""
    return fmt is not None and ("%b" in fmt or "%B" in fmt)


def english_months(text: str) -> str:
    """`text` with Spanish month names in English (`SPANISH_MONTHS`)."""
    return _SPANISH_MONTH.sub(lambda m: SPANISH_MONTHS[m.group(1).lower()], text)


def english_months_sql(text: str) -> str:
    """`english_months` as DuckDB SQL over the expression `text`."""
    for spanish, english in SPANISH_MONTHS.items():
        text = f"regexp_replace({text}, '\\b{spanish}\\b', '{english}', 'gi')"
    return text


# Spanish-locale spreadsheets write the time of day as "01:15:00 p. m." ("a. m.", "p.m.",
# with a space or a no-break space); strptime's %p (Python's in the C locale, DuckDB's) reads
# AM and PM only. A format with %p reads both: the marker is rewritten first.
# (after the time's last digit)
_MERIDIAN = re.compile(r"([0-9])[\s\u00a0\u202f]*([aApP])\.?[\s\u00a0\u202f]?[mM]\.?$")
_MERIDIAN_RE2 = r"([0-9])[\s\x{a0}\x{202f}]*([aApP])\.?[\s\x{a0}\x{202f}]?[mM]\.?$"


def reads_meridian(fmt: str | None) -> bool:
    """Whether a date format reads a.m./p.m. (%p), so also as Spanish writes them."""
    return fmt is not None and "%p" in fmt


def english_meridian(text: str) -> str:
    """`text` with a closing a.m./p.m. marker written as strptime's %p reads it ("01:15:00
    p. m." -> "01:15:00 PM")."""
    return _MERIDIAN.sub(lambda m: m.group(1) + " " + m.group(2).upper() + "M", text)


def english_meridian_sql(text: str) -> str:
    """`english_meridian` as DuckDB SQL over the expression `text`."""
    for letter in "AP":
        pattern = _MERIDIAN_RE2.replace("[aApP]", f"[{letter.lower()}{letter}]")
        text = f"regexp_replace({text}, {literal(pattern)}, '\\1 {letter}M')"
    return text
