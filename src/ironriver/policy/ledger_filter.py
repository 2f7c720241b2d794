"""What a ledger read (`View.ledger_rows`, `View.ledger_stream`) asks of a ledger: the
columns chosen (`chosen_columns`) and the filter's conditions (`condition`), as DuckDB expressions
over the ledger's relation. Nothing here reads a row, checks a label or logs: the caller
filters the relation of rows the principal may see (`ledger_rows`).

Invariants (the rules themselves, value by column type, are the `ledger_rows` module doc's):
- Every value is read as its column's type; text compares `identifier_key`s (`text_equals`:
  case, accents, spaces and punctuation do not count); a value not of its column's type, a
  range that holds nothing or has no end, or a column the ledger lacks, is a `ConfigError`
  raised while the expression is built, so before any row is read.
- Each value or range becomes plain comparisons with constants of the column's type, which
  DuckDB pushes into its Parquet scan (row groups are skipped by their statistics).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from functools import reduce
from typing import TYPE_CHECKING, Any

from ironriver.errors import ConfigError
from ironriver.i18n import Msg, joined, msg
from ironriver.store.ids import IDENTIFIER_DROPPED, identifier_key
from ironriver.store.ledger_duck import IDENTIFIER_KEY_FUNCTION
from ironriver.year_last import year_last

if TYPE_CHECKING:
    import duckdb

KEY_FUNCTION = IDENTIFIER_KEY_FUNCTION  # identifier_key in DuckDB, for non-ASCII text
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[ T](?P<time>[0-9:]+)(?P<fraction>\.[0-9]+)?"
    r"(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)?"
)
# the span a time names, by the digits it is given to (hh, hhmm, hhmmss; colons aside): a
# time with a fraction of a second is one instant
_SPANS = {2: timedelta(hours=1), 4: timedelta(minutes=1), 6: timedelta(seconds=1)}
# the words a ledger `boolean` column is read from at ingest (`ingest.ledger_compile.ledger_value_sql`)
_TRUE = frozenset({"true", "t", "yes", "y", "1", "si", "sí"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})
_INTEGER_TYPES = frozenset(
    {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"}
    | {"UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"}
)
_DECIMAL_TYPES = frozenset({"DOUBLE", "FLOAT", "REAL"})  # (and DECIMAL(p, s))
_TIMESTAMP_TYPES = ("TIMESTAMP", "TIMESTAMP WITH TIME ZONE")
_RANGE = ".."  # between a range's ends: `LOW..HIGH`, `LOW..`, `..HIGH`
# a month (year first, or year last as people type it: `11/2024`) or a year, in a date or
# timestamp column
_MONTH = re.compile(r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})")
_MONTH_YEAR_LAST = re.compile(r"(?P<month>[0-9]{1,2})[/.-](?P<year>[0-9]{4})")
_YEAR = re.compile(r"[0-9]{4}")
_MONTH_HINT = msg(
    "A month as 2024-11 or 11/2024, a year as 2024; a range as LOW..HIGH, both ends included."
)


def _unknown_column(column: str, own: Sequence[str], shown: str) -> ConfigError:
    return ConfigError(
        msg("Ledger {ledger!r} has no column {column!r}.", ledger=shown, column=column),
        hint=msg("Use one of its columns: {columns}.", columns=", ".join(own)),
    )


def chosen_columns(columns: Sequence[str] | None, own: list[str], shown: str) -> list[str]:
    """The columns asked for (each once, in the order given), or all of the ledger's."""
    if columns is None:
        return own
    chosen: list[str] = []
    for column in columns:
        if column not in own:
            raise _unknown_column(column, own, shown)
        if column not in chosen:
            chosen.append(column)
    if not chosen:
        raise ConfigError(
            msg("No column chosen."),
            hint=msg("Use one of its columns: {columns}.", columns=", ".join(own)),
        )
    return chosen


def condition(
    column: str,
    types: dict[str, str],
    own: list[str],
    value: str,
    shown: str,
) -> duckdb.Expression:
    """`column` equals `value`, read as the column's type, or, for a number, date or
    timestamp column, lies in the range `LOW..HIGH` the value names (see the module doc)."""
    import duckdb

    if column not in own:
        raise _unknown_column(column, own, shown)
    kind = types[column]
    col = duckdb.ColumnExpression(column)
    text = value.strip()

    if kind == "VARCHAR":  # (`..` in text is itself: punctuation, which the key drops)
        key = identifier_key(value)
        if not key:
            raise ConfigError(
                msg(
                    "{value!r} has no letter or digit to look for in column {column!r} (text "
                    "is compared ignoring case, accents, spaces and punctuation).",
                    value=value,
                    column=column,
                ),
                hint=msg("Give the value's letters and digits, e.g. {example}.", example="ABC123"),
            )
        return text_equals(col, key)
    if kind == "BOOLEAN":
        word = text.lower()
        if word not in _TRUE | _FALSE:
            if _RANGE in text:
                raise ConfigError(
                    msg(
                        "Column {column!r} holds yes/no values, which have no range: "
                        "{value!r} is not one value.",
                        column=column,
                        value=value,
                    ),
                    hint=msg("Write one value, true or false."),
                )
            raise _wrong(column, value, msg("yes/no values"), msg("Write it as true or false."))
        return col == duckdb.ConstantExpression(word in _TRUE)
    if _takes_range(kind):
        if _RANGE in text:
            return _in_range(col, kind, column, value)
        low, high, inclusive = _bounds(kind, column, text, value)
        if inclusive and low == high:
            return col == duckdb.ConstantExpression(low)
        return _between(col, low, high, inclusive)
    # a type a mapping does not make (a column whose parts disagree is read as text: above)
    return col.cast(duckdb.sqltype("VARCHAR")) == duckdb.ConstantExpression(text)


def _takes_range(kind: str) -> bool:
    """Whether a column of DuckDB type `kind` takes a range: numbers, dates, timestamps."""
    return (
        kind in _INTEGER_TYPES
        or kind in _DECIMAL_TYPES
        or kind.startswith("DECIMAL")
        or kind in ("DATE", *_TIMESTAMP_TYPES)
    )


def _between(
    col: duckdb.Expression, low: Any | None, high: Any | None, inclusive: bool
) -> duckdb.Expression:
    """`low <= col`, and `col <= high` (`inclusive`) or `col < high`; an end None is open.
    Plain comparisons with constants of the column's type, which DuckDB pushes into its
    Parquet scan (a row group whose min/max statistics miss them is skipped)."""
    import duckdb

    parts = []
    if low is not None:
        parts.append(col >= duckdb.ConstantExpression(low))
    if high is not None:
        constant = duckdb.ConstantExpression(high)
        parts.append(col <= constant if inclusive else col < constant)
    return reduce(lambda a, b: a & b, parts)


def _in_range(col: duckdb.Expression, kind: str, column: str, value: str) -> duckdb.Expression:
    """`value` as `LOW..HIGH`, `LOW..` or `..HIGH`: from the start of what LOW names to the
    end of what HIGH names, both included (each end read as a single value of the column
    is: `2024-03..2024-05` is March to May). A range with no end, with more than one `..`,
    with an end not of the column's type, or that holds nothing (LOW after HIGH) is a
    ConfigError."""
    text = value.strip()
    low_text, _, high_text = (part.strip() for part in text.partition(_RANGE))
    if (not low_text and not high_text) or _RANGE in high_text or "..." in text:
        raise ConfigError(
            msg(
                "{value!r} for column {column!r} is not a range: write LOW..HIGH (both ends "
                "included), LOW.. or ..HIGH.",
                value=value,
                column=column,
            ),
            hint=msg("Write it as {example}.", example=f"{column}={_range_example(kind)}"),
        )
    low = _bounds(kind, column, low_text, low_text) if low_text else None
    high = _bounds(kind, column, high_text, high_text) if high_text else None
    if (
        low is not None
        and high is not None
        and (low[0] > high[1] or (low[0] == high[1] and not high[2]))
    ):
        raise ConfigError(
            msg(
                "The range {value!r} for column {column!r} holds nothing: {low} comes after "
                "{high}.",
                value=value,
                column=column,
                low=low_text,
                high=high_text,
            ),
            hint=msg(
                "Write the lower end first: {column}={high}..{low}.",
                column=column,
                low=low_text,
                high=high_text,
            ),
        )
    return _between(
        col,
        None if low is None else low[0],
        None if high is None else high[1],
        True if high is None else high[2],
    )


def _range_example(kind: str) -> str:
    if kind == "DATE":
        return "2024-03-01..2024-03-31"
    if kind in _TIMESTAMP_TYPES:
        return "2024-03-01T08:00..2024-03-01T17:59"
    if kind in _INTEGER_TYPES:
        return "10..20"
    return "100..250.5"


def _wrong(column: str, value: str, what: Msg, example: Msg) -> ConfigError:
    return ConfigError(
        msg(
            "Column {column!r} holds {what}: {value!r} is not one.",
            column=column,
            what=what,
            value=value,
        ),
        hint=example,
    )


def _bounds(kind: str, column: str, text: str, shown: str) -> tuple[Any, Any, bool]:
    """What the single value `text` (stripped) names in a number, date or timestamp column
    of type `kind`: (low, high, inclusive), a value of the column's type matching when
    `low <= it <= high` (`inclusive`) or `low <= it < high`. A number: itself (low == high);
    a date column's day, month or year: its first and last day; a timestamp column's span
    (day, hour, minute, second, month, year: start and end, the end excluded), or an
    instant. A ConfigError, naming `shown` (the value or end as typed), when `text` is not
    of the column's type."""
    if kind in _INTEGER_TYPES:
        if not _INTEGER.fullmatch(text):
            raise _wrong(
                column, shown, msg("whole numbers"), msg("Write it as {example}.", example="42")
            )
        number = int(text)
        if not -(2**63) <= number < 2**63:  # (no column a ledger holds goes further)
            raise _wrong(
                column,
                shown,
                msg("whole numbers from {low} to {high}", low=-(2**63), high=2**63 - 1),
                msg("Write it as {example}.", example="42"),
            )
        return number, number, True
    if kind in _DECIMAL_TYPES or kind.startswith("DECIMAL"):
        if not _DECIMAL.fullmatch(text):
            raise _wrong(
                column, shown, msg("numbers"), msg("Write it as {example}.", example="12.5")
            )
        return float(text), float(text), True
    if kind == "DATE":
        day = _date(text)
        if day is not None:
            return day, day, True
        days = _month_or_year(text)
        if days is not None:
            return days[0], days[1] - timedelta(days=1), True
        typed = _year_last_span(text, column, shown, days_only=True)
        if typed is None:
            raise _wrong(
                column,
                shown,
                msg("dates"),
                joined(
                    [
                        msg(
                            "Write a date as 2024-11-30 (year-month-day), or with the year "
                            "last: 30/11/2024."
                        ),
                        _MONTH_HINT,
                    ],
                    " ",
                ),
            )
        return typed[0].date(), typed[0].date(), True
    # a timestamp column
    span = _time_span(text)
    if span is None:
        days = _month_or_year(text)
        if days is not None:
            span = (
                datetime(days[0].year, days[0].month, days[0].day, tzinfo=UTC),
                datetime(days[1].year, days[1].month, days[1].day, tzinfo=UTC),
            )
    if span is None:
        typed = _year_last_span(text, column, shown)
        if typed is None:
            raise _wrong(
                column,
                shown,
                msg("timestamps"),
                joined(
                    [
                        msg(
                            "Write a day as 2024-11-30 (or with the year last: 30/11/2024), "
                            "an hour as 2024-11-30T14, a minute as 2024-11-30T14:30, a time "
                            "as 2024-11-30T14:30:05 (UTC, or with its offset)."
                        ),
                        _MONTH_HINT,
                    ],
                    " ",
                ),
            )
        moment = typed[0].replace(tzinfo=UTC)
        span = moment, moment + typed[1]
    start, end = span
    if kind == "TIMESTAMP":  # (a ledger's naive timestamps are in UTC)
        start = start.replace(tzinfo=None)
        end = None if end is None else end.replace(tzinfo=None)
    if end is None:  # an instant
        return start, start, True
    return start, end, False


def _month_or_year(text: str) -> tuple[date, date] | None:
    """The days a month (`2024-11`, or with the year last `11/2024`, `11-2024`, `11.2024`)
    or a year (`2024`) spans: its first day and the day after its last; None when `text` is
    none of these (or names a month 13, or a year after 9998, whose end has no date)."""
    found = _MONTH.fullmatch(text) or _MONTH_YEAR_LAST.fullmatch(text)
    if found is not None:
        year, month = int(found["year"]), int(found["month"])
        if not (1 <= year <= 9998 and 1 <= month <= 12):
            return None
        after = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
        return date(year, month, 1), after
    if _YEAR.fullmatch(text) and 1 <= int(text) <= 9998:
        return date(int(text), 1, 1), date(int(text) + 1, 1, 1)
    return None


def _date(text: str) -> date | None:
    if not _DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _year_last_span(
    text: str, column: str, value: str, days_only: bool = False
) -> tuple[datetime, timedelta] | None:
    """The moment a date typed with the year last names (`ironriver.year_last`: `30/11/2024`
    day first, `11/30/2024` month first, `30/11/2024 14:30`), naive, and the span it is given
    to; None when `text` is not such a date (with `days_only`, a date without a time). A date
    that reads as two different days is a ConfigError naming both, as a wrong guess would
    silently match another day's rows."""
    typed = year_last(text)
    if typed is None or not typed.readings:
        return None
    if days_only and typed.precision != timedelta(days=1):
        return None
    both = typed.two_ways()
    if both is not None:
        day_first, month_first = both
        raise ConfigError(
            msg(
                "{value!r} for column {column!r} reads as two dates: {day_first} (day first) "
                "or {month_first} (month first).",
                value=value,
                column=column,
                day_first=day_first,
                month_first=month_first,
            ),
            hint=msg(
                "Type the one you mean as year-month-day: {column}={day_first} or "
                "{column}={month_first}.",
                column=column,
                day_first=day_first,
                month_first=month_first,
            ),
        )
    return typed.readings[0], typed.precision


def _time_span(text: str) -> tuple[datetime, datetime | None] | None:
    """The span of time `text` names, as aware UTC times (start, end: a timestamp matches
    when start <= it < end; end None: it equals start), else None. A date is that whole day
    in UTC; a date and time, in UTC or at its offset, is the hour, minute or second it is
    given to (`2024-03-01T14:30` is 14:30:00 to 14:31:00), and with a fraction of a second
    the one instant."""
    day = _date(text)
    if day is not None:
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return start, start + timedelta(days=1)
    found = _TIMESTAMP.fullmatch(text)
    if found is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    start = (moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)).astimezone(UTC)
    if found["fraction"]:
        return start, None
    length = _SPANS.get(len(found["time"].replace(":", "")))
    if length is None:
        return None
    return start, start + length


def text_equals(col: duckdb.Expression, key: str) -> duckdb.Expression:
    """Whether the `identifier_key` of the text column `col` is `key` (itself a key: ASCII
    letters, digits and `?`). ASCII text, most values, is checked in SQL, exactly: its key
    is `key` when it is `key`'s characters in order, any case, with nothing but characters
    `identifier_key` drops (`IDENTIFIER_DROPPED`) around them, which one regular expression
    tells (2.4x faster than computing each key: most values fail at their first letter).
    Other text goes through Python (`KEY_FUNCTION`), as NFKC and accents need."""
    import duckdb

    drop = IDENTIFIER_DROPPED + "*"
    pattern = drop + "".join(
        (f"[{c}{c.lower()}]" if c.isalpha() else re.escape(c)) + drop for c in key
    )
    ascii_text = duckdb.FunctionExpression("strlen", col) == duckdb.FunctionExpression(
        "length", col
    )
    ascii_match = duckdb.FunctionExpression(
        "regexp_full_match", col, duckdb.ConstantExpression(pattern)
    )
    other = duckdb.FunctionExpression(KEY_FUNCTION, col) == duckdb.ConstantExpression(key)
    return duckdb.CaseExpression(ascii_text, ascii_match).otherwise(other)
