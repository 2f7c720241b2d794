"""The readers of a mapping file's values, each checking one key of one place (a dataset
block, a query, an entity, a property, a ledger column) and raising an `IngestError` that
says where it is (`Where`) and what to write instead (`fail`).

YAML reads some unquoted values as other things than the text the file shows (`NO` as
false, `007` as 7, `2024-01-31` as a date); FtM ignores unknown keys. Where either would
silently change what is ingested or who may read it, these readers refuse the value
(`check_yaml_text`, `read_text`) or the key (`check_known_keys`, suggesting the nearest
known one). `mapping.py`, `mapping_entities.py` and `mapping_ledger.py` assemble what they
read into the specs (`specs.py`).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from ironriver import yamltext
from ironriver.errors import IngestError
from ironriver.i18n import Msg, msg
from ironriver.ingest.clean import has_two_digit_year, locale_directives

NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")  # the names of datasets, ledgers, ledger columns

Where = str | Msg  # a place in a mapping file ("sales.yaml, dataset 'x', query 1")


def fail(where: Where, message: str | Msg, hint: str | Msg | None) -> IngestError:
    return IngestError(
        msg("Mapping error in {where}: {message}", where=where, message=message), hint=hint
    )


# The keys each place of a mapping may hold. FtM ignores any other key; here a typo
# (`filter:` for `filters:`, `releasable-to:`) would silently change what is ingested or who
# may read it, so an unknown key is an error that suggests the nearest known one.
DATASET_KEYS = frozenset(
    {"agency", "country", "marking", "releasable_to", "legal_basis", "title", "queries", "query"}
    # FtM/Aleph dataset metadata, accepted and not used
    | {"label", "summary", "description", "category", "info_url", "data_url", "publisher"}
    | {"publisher_url", "countries", "languages", "frequency", "prefix"}
)
QUERY_KEYS = frozenset(
    {"csv_url", "csv_urls", "jsonl_url", "jsonl_urls", "xlsx_url", "xlsx_urls"}
    | {"encoding", "delimiter", "header", "header_row", "sheet", "null_values"}
    | {"filters", "filters_not", "entities", "ledger"}
    | {"database", "table", "tables", "joins"}  # FtM's SQL sources: refused by name below
)
ENTITY_KEYS = frozenset(
    {"schema", "key", "keys", "key_literal", "id_column", "properties"}
    | {"key_clean"}  # ours: keys hashed as a property cleans them (docs/mapping.md)
)
PROPERTY_KEYS = frozenset(
    {"column", "columns", "literal", "literals", "template", "entity"}
    | {"join", "split", "format", "fuzzy", "required", "two_digit_years_from"}
)
LEDGER_KEYS = frozenset({"name", "columns", "key"})
LEDGER_COLUMN_KEYS = frozenset(
    {"column", "type", "format", "required", "two_digit_years_from", "decimal"}
)


def check_known_keys(where: Where, data: dict[Any, Any], known: frozenset[str]) -> None:
    """Refuse a key of `data` that is not in `known`, suggesting the nearest known one."""
    found = yamltext.unknown_key(data, known)
    if found is not None:
        key, hint = found
        raise fail(where, msg("unknown key {key!r} (it would be ignored).", key=key), hint)


def as_list(data: dict[str, Any], *keys: str) -> list[Any]:
    """FtM's `keys_values`: a key may hold one value or a list; empty values dropped."""
    out: list[Any] = []
    for key in keys:
        value = data.get(key)
        if value is None:
            continue
        values = value if isinstance(value, list | tuple) else [value]
        out.extend(str(v) for v in values if v is not None and str(v).strip() != "")
    return out


def read_filters(where: Where, kind: str, raw: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """FtM's `filters` / `filters_not` (`kind`): {column: a value or a list of values}."""
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise fail(
            where,
            msg("filters must map column names to values."),
            msg("Write {example}.", example="filters: {col: value}"),
        )
    out = []
    for key, value in raw.items():
        values = value if isinstance(value, list) else [value]
        column = read_text(where, kind, key) if not isinstance(key, str) else key  # `yes:` too
        if not values:
            raise fail(
                where,
                msg(
                    "{place} lists no value: the query would keep no record.",
                    place=f"{kind}.{column}",
                ),
                msg("Give it the values to keep (or drop), or remove it."),
            )
        out.append((column, tuple(read_text(where, f"{kind}.{column}", v, column) for v in values)))
    return tuple(out)


def read_flag(where: Where, data: dict[str, Any], key: str) -> bool:
    """A yes/no option (`required`, `fuzzy`; default no): YAML's true or false only. Any
    other value was true (`required: "no"` rejected every record without the column)."""
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise fail(
            where,
            msg("{key} must be true or false, not {value!r}.", key=key, value=value),
            msg("Write {example}.", example=f"{key}: true"),
        )
    return value


YEARS_KEY = "two_digit_years_from"
_YEARS_EXAMPLE = 1930  # a birth date's window: 1930-2029


def read_years_from(
    where: Where, data: dict[str, Any], fmt: str | None, is_date: bool
) -> int | None:
    """`two_digit_years_from`: the first of the hundred years a `%y` format's two-digit years
    are read in (1930: '55' is 1955, '24' is 2024). A `%y` date format must give it: strptime
    (and `ftm map`) read 00-68 as 2000-2068, so a birth date '12/03/55' would be stored as
    2055, silently. A window relative to today would move values (and ids) from one year's
    ingest of a file to the next's; a stated one does not."""
    value = data.get(YEARS_KEY)
    local = locale_directives(fmt) if is_date else []
    if local:
        raise fail(
            where,
            msg(
                "the date format {format} uses {directives}, whose layout is the locale's of "
                "the machine running the ingest (%x is %m/%d/%y, a two-digit year, in the C "
                "locale): the same file would load other dates elsewhere.",
                format=repr(fmt),
                directives=", ".join(local),
            ),
            msg("Write the layout out, e.g. {example}.", example="'%m/%d/%Y'"),
        )
    two_digit = is_date and has_two_digit_year(fmt)
    if value is None:
        if two_digit:
            raise fail(
                where,
                msg(
                    "the date format {format} has a two-digit year (%y), which Python's "
                    "strptime reads as 2000-2068 for 00-68 and 1969-1999 for 69-99: a date of "
                    "birth written 55 would be stored as 2055.",
                    format=repr(fmt),
                ),
                msg(
                    "Say which hundred years the two-digit years fall in, e.g. {example} "
                    "(00-29 read as 2000-2029, 30-99 as 1930-1999: dates of birth); a later "
                    "year for recent events.",
                    example=f"{YEARS_KEY}: {_YEARS_EXAMPLE}",
                ),
            )
        return None
    if not two_digit:
        raise fail(
            where,
            msg(
                "{key} is only for a date whose format reads a two-digit year (%y).", key=YEARS_KEY
            ),
            msg("Remove it, or give the format with %y (e.g. {example}).", example="'%d/%m/%y'"),
        )
    if isinstance(value, bool) or not isinstance(value, int) or not 1000 <= value <= 2900:
        raise fail(
            where,
            msg(
                "{key} must be a year (from 1000 to 2900), not {value!r}.",
                key=YEARS_KEY,
                value=value,
            ),
            msg("Write {example}.", example=f"{YEARS_KEY}: {_YEARS_EXAMPLE}"),
        )
    return value


def check_yaml_text(where: Where, key: str, value: Any) -> None:
    """Refuse a value YAML did not read as text where text is meant: `literal: NO` (Norway)
    is false, `0012` the number 10, `country: NO` false; as their text, they would be other
    values, silently."""
    problem = yamltext.text_problem(key, value)
    if problem is not None:
        raise fail(where, *problem)


def read_text(where: Where, place: str, value: Any, column: str | None = None) -> str:
    """A value compared with a file's text (a filter's, a null marker), as the mapping wrote
    it. Unquoted, YAML makes some values something else: `yes`/`no`/`on`/`off` booleans,
    `007` the number 7, `1.10` 1.1, `2024-01-31` a date, an empty value null; their text
    (`True`, `7`) would equal no value of the file, and the query would silently keep, or
    drop, nothing. Any value that is not text is refused (what was written is lost once
    YAML has read it, even for `7`); quoting it keeps it as written."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        kind, shown, sample = msg("a boolean"), "true" if value else "false", "yes"
    elif isinstance(value, int | float):
        kind, shown, sample = msg("a number"), str(value), "007"
    elif isinstance(value, date):
        kind, shown, sample = msg("a date"), value.isoformat(), "2024-01-31"
    elif value is None:
        kind, shown, sample = msg("empty"), "null", "N/A"
    else:
        kind, shown, sample = msg("a list or a mapping"), str(value), "yes"
    example = f"{column}: '{sample}'" if column is not None else f"{place}: ['-0-', 'N/A']"
    raise fail(
        where,
        msg(
            "{place}: YAML read the value {value} as {kind}, not as text, so it would never "
            "equal a value in the file.",
            place=place,
            value=shown,
            kind=kind,
        ),
        msg(
            "Quote it, written as in the file (e.g. {example}). Unquoted, YAML reads yes, no, "
            "on and off as booleans, 007 as 7, 1.10 as 1.1 and an empty value as null.",
            example=example,
        ),
    )


def read_sheet(where: Where, data: dict[str, Any], kind: str) -> tuple[str | int | None, int]:
    """A spreadsheet query's `sheet` (a name, or a 1-based position; default the first) and a
    spreadsheet's or CSV file's `header_row` (the 1-based row of the column names, under a
    title; default 1)."""
    sheet, header_row = data.get("sheet"), data.get("header_row", 1)
    if sheet is not None and kind != "xlsx":
        raise fail(
            where,
            msg("sheet is for spreadsheets (xlsx_url) only."),
            msg("Remove it, or read the spreadsheet with xlsx_url."),
        )
    if "header_row" in data and kind == "jsonl":
        raise fail(
            where,
            msg("header_row is for CSV files and spreadsheets."),
            msg("Remove it: JSON Lines records name their keys."),
        )
    if isinstance(sheet, bool) or not (
        sheet is None or isinstance(sheet, str) or (isinstance(sheet, int) and sheet >= 1)
    ):
        raise fail(
            where,
            msg("sheet must be a sheet's name or its position (1 for the first)."),
            msg("Write {example}.", example='sheet: "Hoja1"'),
        )
    if isinstance(header_row, bool) or not isinstance(header_row, int) or header_row < 1:
        raise fail(
            where,
            msg("header_row must be the number of the row holding the column names (1 or more)."),
            msg("Write {example} when a title fills the first rows.", example="header_row: 3"),
        )
    if header_row != 1 and data.get("header"):
        raise fail(
            where,
            msg("header_row and header exclude each other."),
            msg("header names the columns of a file without a header line: keep one of them."),
        )
    return sheet, header_row


def read_strings(where: Where, key: str, raw: Any) -> tuple[str, ...]:
    if raw is None:
        return ()
    values = raw if isinstance(raw, list) else [raw]
    if not all(isinstance(v, str | int | float) for v in values):
        raise fail(
            where,
            msg("{key} must be a list of strings.", key=key),
            msg("Write {example}.", example=f'{key}: ["-0-", "N/A"]'),
        )
    return tuple(str(v) for v in values)


def read_null_values(where: Where, raw: Any) -> tuple[str, ...]:
    """`null_values:` one marker or a list of them, each text (see `read_text`)."""
    if raw is None:
        return ()
    values = raw if isinstance(raw, list) else [raw]
    return tuple(read_text(where, "null_values", v) for v in values)


def read_header(where: Where, raw: Any, kind: str) -> tuple[str, ...]:
    """`header:` names the columns of a CSV file that has no header line."""
    names = read_strings(where, "header", raw)
    if not names:
        return ()
    if kind != "csv":
        raise fail(
            where,
            msg("header is for CSV files only."),
            msg("JSON Lines records name their keys."),
        )
    if "" in names or len(set(names)) != len(names):
        raise fail(
            where,
            msg("header must name every column once, none empty."),
            msg(
                "List the file's columns in order, e.g. {example}.",
                example="header: [id, name, type]",
            ),
        )
    return names
