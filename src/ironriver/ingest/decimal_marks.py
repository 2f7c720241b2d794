"""Numbers written with a decimal comma or thousands separators, as a ledger number
column's `decimal` reads them (docs/mapping.md): `decimal_problem` checks the setting,
`number_text_sql` makes such text a plain number's text in DuckDB SQL.

Invariant: under "," only text grouped as that mark writes it is a number (any other text is
NULL); under "." text without grouping is left as it is, for the column's cast to read.
"""

from __future__ import annotations

from typing import Any

from ironriver.i18n import Msg, msg
from ironriver.sqltext import literal

# A ledger number column's `decimal` (docs/mapping.md): "," reads "1.500,50" as 1500.5 and
# "1.500" as 1500 (a dot groups thousands, as Spanish-locale spreadsheets write them); "."
# reads "1,500.50" as 1500.5 and says that "1.500" is 1.5. Without it a float column would
# read "1.500" as 1.5 (`validate.number_layout_error` refuses such a column).
DECIMAL_MARKS = (",", ".")
_GROUPED = {  # a number whose thousands are grouped by the other mark, its decimals after
    ",": r"[+-]?([1-9][0-9]{0,2}(\.[0-9]{3})+|[0-9]+)(,[0-9]+)?",
    ".": r"[+-]?[1-9][0-9]{0,2}(,[0-9]{3})+(\.[0-9]+)?",
}


def decimal_problem(value: Any, type_name: str) -> tuple[Msg, Msg] | None:
    """What is wrong with a ledger column's `decimal` (None if nothing): a number column's,
    one of `DECIMAL_MARKS`."""
    if value is None:
        return None
    if type_name not in ("integer", "float"):
        return (
            msg("decimal is for number columns (integer, float), not {type}.", type=type_name),
            msg("Remove it, or type the column as a number."),
        )
    if value not in DECIMAL_MARKS:
        return (
            msg(
                "decimal must be {comma} or {dot}, not {value}.",
                comma='","',
                dot='"."',
                value=repr(value),
            ),
            msg(
                'Write decimal: "," for 1.500,50 (one thousand five hundred and a half), '
                'decimal: "." for 1,500.50.'
            ),
        )
    return None


def number_text_sql(text: str, decimal: str) -> str:
    """SQL: the sanitized text `text` of a number written with `decimal` as its decimal mark
    (and the other mark grouping thousands) as a plain number's text ("1.500,50" ->
    "1500.50" under ","); under "," any other text is NULL (not a number so written), under
    "." text without grouping is left as it is."""
    grouped = f"regexp_full_match({text}, {literal(_GROUPED[decimal])})"
    if decimal == ",":
        return f"(CASE WHEN {grouped} THEN replace(replace({text}, '.', ''), ',', '.') END)"
    return f"(CASE WHEN {grouped} THEN replace({text}, ',', '') ELSE {text} END)"
