"""The CSV writers ironriver has agree on every cell: `ledger --format csv`'s Arrow kernels
(`cli_ledger._csv_lines`, its header included) write, byte for byte, what Python's
`csv.writer` writes of the same cells made `inert_cell`, with either line end; and the Arrow
CSV writer of `export --format statements` and of an ingest's error report
(`csvcells.write_csv`, which quotes every text) writes cells that a CSV reader reads back as
the same ones. Generated cells: quotes, commas, CR and LF, a formula's first characters
(`= + - @`, tab, CR), numbers, spaces, non-ASCII, empty and none; two or three columns
(a CSV of ironriver's has several; a row of one empty cell, which csv.writer writes `""`
and Arrow's writer as a blank line, is none of theirs)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from ironriver.cli_ledger import _csv_lines, _csv_rows
from ironriver.csvcells import inert_cell, write_csv
from ironriver.policy.ledger_rows import LedgerStream

ALPHABET = ['"', ",", "\r", "\n", "=", "+", "-", "@", "\t", "'", " ", "ñ", "日", "\u2028",
            "1", ".", "e", "a"]  # fmt: skip
CELL = st.one_of(st.none(), st.text(alphabet=ALPHABET, max_size=5))
TABLE = st.integers(2, 3).flatmap(
    lambda width: st.lists(st.lists(CELL, min_size=width, max_size=width), min_size=1)
)


def csv_module_text(rows: list[list[Any]], end: str) -> str:
    """What `csv.writer` writes of `rows` (cells made `inert_cell`), quoted as for CRLF line
    ends (a cell holding a CR or an LF quoted: with LF ends it would leave a lone CR bare,
    which CSV readers read as a line end), each row ending with `end`."""
    lines = []
    for row in rows:
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerow([inert_cell(v) for v in row])
        lines.append(out.getvalue()[: -len("\r\n")] + end)
    return "".join(lines)


def _columns(rows: list[list[Any]]) -> list[pa.Array]:
    return [pa.array(list(column), pa.string()) for column in zip(*rows, strict=True)]


def _read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


@settings(max_examples=300, deadline=None)
@given(rows=TABLE)
def test_ledger_kernels_write_what_csv_writer_writes(rows: list[list[Any]]) -> None:
    for end in ("\n", "\r\n"):
        assert _csv_lines(_columns(rows), end) == csv_module_text(rows, end), end


@settings(max_examples=200, deadline=None)
@given(rows=TABLE)
def test_every_writer_writes_cells_read_back_as_they_were(rows: list[list[Any]]) -> None:
    names = [f"c{i}" for i in range(len(rows[0]))]
    arrow = io.BytesIO()
    write_csv(pa.table(_columns(rows), names=names), arrow)
    export = io.BytesIO()
    write_csv(pa.table(_columns(rows), names=names), export, "all_valid")
    expected = [["" if v is None else inert_cell(v) for v in row] for row in rows]
    for end in ("\n", "\r\n"):
        assert _read(_csv_lines(_columns(rows), end)) == expected
    assert _read(arrow.getvalue().decode("utf-8")) == [names, *expected]
    assert _read(export.getvalue().decode("utf-8")) == [names, *expected]


def test_ledger_header_is_written_as_its_rows() -> None:
    """The header of `ledger --format csv` (column names are data: `=x` made inert too)."""
    columns = ["=x", 'q"', "a,b", "ñ"]
    read = LedgerStream("d", "l", columns, 0, 0, iter([]), lambda: None)
    out = io.StringIO()
    _csv_rows(read, out)
    label = ["_marking", "_releasable_to", "_owner_agency", "_owner_country", "_source_ref"]
    assert out.getvalue() == csv_module_text([[*columns, *label]], "\n")
    assert out.getvalue().startswith('\'=x,"q""","a,b",ñ,_marking')
