"""Spreadsheet sources: one sheet of an .xlsx, .xlsm, .xlsb, .xls or .ods workbook as text
columns, read by fastexcel (calamine, in Rust) into Arrow.

A query reads the sheet it names, else the first visible one. Rows are numbered as the
spreadsheet program shows them (`header_row` is 1-based; the first
record under it is row `header_row + 1`), so an error report's row is the row to open.
Every cell is read as text, as from a CSV file, with three rules for typed cells:
- numbers read as a text that reads back to the same number, the shortest without an
  exponent (12345, not 12345.0; 98765432.12; 0.0000003), else the shortest (1e-10):
  fastexcel's own text of a number has nine decimals at most (1e-10 was '0', 98765432.12
  was '98765432.120000005'), so columns holding numbers are read a second time as numbers
  (`_exact_numbers`);
- dates are written in the date `format` the mapping gives their column, or else as ISO 8601
  (2024-01-31, 2024-01-31T13:45:00 with a time, 2024-01-31T13:45:30.500 with a fraction of a
  second, which a format without %f leaves out): a column mixing typed dates and dates
  typed as text then goes through one parser, and a text date in another layout is still
  caught by it;
- a time without a date (a cell formatted as time only) reads as HH:MM:SS.
Rows with no value in any column the mapping reads are skipped, as blank CSV lines are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ironriver.errors import IngestError
from ironriver.i18n import msg
from ironriver.ingest.specs import SourceSpec

SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
# how fastexcel writes a date-typed cell as text; a time-only cell is one on Excel's day 0
_STAMP = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$"
_DAY_ZERO = "1899-12-31 "
# how fastexcel writes a number cell as text: nine decimals, trailing zeros dropped ('-0')
_NUMBER = r"^-?(0|[1-9][0-9]*)(\.[0-9]{0,8}[1-9])?$"


@dataclass
class Sheet:
    """An opened sheet: its name, its header row's cells with their column positions, and
    every cell from the header row down, as text (the sheet is parsed once)."""

    path: Path
    name: str
    header_row: int  # 1-based
    header: list[str]  # the header row's cells as written ("" for an empty one)
    positions: list[int]  # each header cell's column (0 for A)
    date_formats: dict[str, str]  # the mapping's date format of a column, if any
    cells: pa.Table  # the header row, then the records; one text column per header cell

    @property
    def letters(self) -> list[str]:
        """The header cells' column letters (A, B, ..., AA), as the program shows them."""
        return [_letters(position) for position in self.positions]

    def below(self, header_row: int) -> Sheet:
        """The same sheet with its header on row `header_row` (at or below this one's): the
        rows above dropped, without parsing the sheet again."""
        cells = self.cells.slice(header_row - self.header_row)
        return _sheet(self.path, self.name, header_row, self.positions, cells, self.date_formats)

    def read(self, refs: list[str]) -> pa.Table:
        """`_row` (the sheet's row number) and the `refs` columns as text (NULL when empty);
        every ref must be in `header`, once."""
        data = self.cells.slice(1)
        n = data.num_rows
        rows = pa.array(np.arange(self.header_row + 1, self.header_row + 1 + n, dtype=np.int64))
        out = {"_row": rows}
        for ref in refs:
            text = data.column(self.header.index(ref)).cast(pa.string())
            out[ref] = _typed_dates(text, self.date_formats.get(ref))
        table = pa.table(out)
        if not refs:
            return table
        blank = pc.is_null(table.column(refs[0]))  # no value in any column read: skipped
        for ref in refs[1:]:
            blank = pc.and_(blank, pc.is_null(table.column(ref)))
        return table.filter(pc.invert(blank))


def open_sheet(path: Path, spec: SourceSpec) -> Sheet:
    """Open the query's sheet and read it; an `IngestError` saying what to fix when the file
    is not a workbook, the sheet does not exist or is empty."""
    import fastexcel  # imported on first use: most ingests read no spreadsheet

    try:
        reader = fastexcel.read_excel(str(path))
        name, loaded = _pick(path, reader, spec)
        infos = loaded.available_columns()
        cells = loaded.to_arrow() if infos else None
    except fastexcel.FastExcelError as exc:
        raise IngestError(
            msg(
                "Cannot read {file} as a spreadsheet: {error}",
                file=path.name,
                error=str(exc).splitlines()[0],
            ),
            hint=msg(
                "xlsx_url reads .xlsx, .xlsm, .xlsb, .xls and .ods workbooks: check that the "
                "file opens in a spreadsheet program (a CSV file goes in csv_url) and is not "
                "password-protected."
            ),
        ) from None
    if cells is not None and not isinstance(cells, pa.Table):  # a record batch
        cells = pa.Table.from_batches([cells])
    positions = [int(info.absolute_index) for info in infos]
    if cells is not None:
        cells = _exact_numbers(reader, name, spec.header_row, positions, cells)
    return _sheet(path, name, spec.header_row, positions, cells, dict(spec.date_formats))


def _sheet(
    path: Path,
    name: str,
    header_row: int,
    positions: list[int],
    cells: pa.Table | None,
    date_formats: dict[str, str],
) -> Sheet:
    """A `Sheet` from its cells (the header row first), or the error for a sheet that has
    no such row."""
    if cells is None or cells.num_rows == 0:
        raise IngestError(
            msg(
                "Sheet {sheet} of {file} has no row {row}: it is empty or shorter.",
                sheet=repr(name),
                file=path.name,
                row=header_row,
            ),
            hint=msg(
                "Set the query's header_row to the row holding the column names, or sheet to "
                "the sheet holding the records."
            ),
        )
    header = [str(cells.column(i)[0].as_py() or "") for i in range(cells.num_columns)]
    return Sheet(path, name, header_row, header, positions, date_formats, cells)


def _load(
    reader: Any, name: str, header_row: int, dtypes: str = "string", columns: Any = None
) -> Any:
    """A sheet from its header row down, every cell as text, or as `dtypes` (fastexcel
    parses the whole sheet whatever is asked of it, so it is asked once for text)."""
    return reader.load_sheet(
        name,
        header_row=None,
        skip_rows=header_row - 1,
        dtypes=dtypes,
        use_columns=columns,
        skip_whitespace_tail_rows=True,
    )


def _exact_numbers(
    reader: Any, name: str, header_row: int, positions: list[int], cells: pa.Table
) -> pa.Table:
    """`cells` with the text of number cells that fastexcel rounded, or wrote with more digits
    than the number needs, replaced by the shortest text of the number.

    The columns with a cell written like a number are read again as numbers (a second parse
    of the sheet, only when it holds numbers). A text cell reads as the number its text
    spells ('007' as 7, '0.0000001' as 1e-7), so a cell whose text does not read back to its
    number is a number cell fastexcel rounded (1e-10 written '0'); one whose text does is
    left as written unless the shortest text is shorter and has no exponent
    ('98765432.120000005' for 98765432.12; but '0.000000001' stays, not '1e-9')."""
    looks = [pc.match_substring_regex(column, _NUMBER) for column in cells.columns]
    wanted = [i for i, match in enumerate(looks) if pc.any(match).as_py()]
    if not wanted:
        return cells
    import fastexcel

    try:
        loaded = _load(reader, name, header_row, "float", [positions[i] for i in wanted])
        numbers = loaded.to_arrow()
    except fastexcel.FastExcelError:  # (it read as text): keep fastexcel's text
        return cells
    if numbers.num_rows != cells.num_rows:  # not the same rows: keep fastexcel's text
        return cells
    columns = list(cells.columns)
    for i, number in zip(wanted, numbers.columns, strict=True):
        text, match = columns[i], looks[i]
        shortest = _shortest(number)
        rounded = pc.not_equal(pc.cast(pc.if_else(match, text, _NULL_TEXT), pa.float64()), number)
        longer = pc.and_(
            pc.less(pc.utf8_length(shortest), pc.utf8_length(text)),
            pc.invert(pc.match_substring(shortest, "e")),
        )
        replace = pc.fill_null(pc.and_(match, pc.or_(rounded, longer)), False)
        columns[i] = pc.if_else(replace, shortest, text)
    return pa.table(columns, names=cells.column_names)


_NULL_TEXT = pa.scalar(None, pa.string())
_NULL_NUMBER = pa.scalar(None, pa.float64())


def _shortest(numbers: pa.Array) -> pa.Array:
    """The shortest text that reads back to each number (Arrow's, as Python's `repr`), a
    whole number without a point or an exponent up to 10^18 (1234567890123456, not
    1.234567890123456e+15)."""
    whole = pc.and_(pc.equal(numbers, pc.floor(numbers)), pc.less(pc.abs(numbers), pa.scalar(1e18)))
    integers = pc.cast(pc.if_else(whole, numbers, _NULL_NUMBER), pa.int64())
    return pc.if_else(whole, pc.cast(integers, pa.string()), pc.cast(numbers, pa.string()))


def _pick(path: Path, reader: Any, spec: SourceSpec) -> tuple[str, Any]:
    """The sheet a query reads, loaded: the one it names (by name or 1-based position),
    else the first the program shows (a hidden lookup sheet before it is passed over)."""
    names = list(reader.sheet_names)
    if not names:
        raise IngestError(
            msg("{file} holds no sheet.", file=path.name),
            hint=msg("Check the export that made it."),
        )
    wanted = spec.sheet
    if wanted is None:
        for name in names:
            loaded = _load(reader, name, spec.header_row)
            if loaded.visible == "visible":
                return name, loaded
        return names[0], _load(reader, names[0], spec.header_row)
    if isinstance(wanted, int) and 1 <= wanted <= len(names):
        return names[wanted - 1], _load(reader, names[wanted - 1], spec.header_row)
    if isinstance(wanted, str) and wanted in names:
        return wanted, _load(reader, wanted, spec.header_row)
    raise IngestError(
        msg(
            "{file} has no sheet {sheet}; its sheets are: {sheets}.",
            file=path.name,
            sheet=repr(wanted),
            sheets=", ".join(repr(n) for n in names),
        ),
        hint=msg("Set the query's sheet to one of them (a name, or 1 for the first)."),
    )


def _letters(position: int) -> str:
    """A column's letters from its 0-based position: 0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    n = position + 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _typed_dates(values: pa.Array, fmt: str | None) -> pa.Array:
    """`values` with the text of date-typed cells rewritten (module doc)."""
    typed = pc.match_substring_regex(values, _STAMP)
    if not pc.any(typed).as_py():
        return values
    stamps = pc.strptime(
        pc.if_else(typed, pc.utf8_slice_codeunits(values, 0, 19), _NULL_TEXT),
        format="%Y-%m-%d %H:%M:%S",
        unit="s",
        error_is_null=True,
    )
    typed = pc.and_(typed, pc.is_valid(stamps))  # (text like '2024-13-45 10:00:00' stays)
    if fmt is not None:
        # the fraction of a second, as %f writes it: 6 digits ('.5' -> '500000')
        fraction = pc.utf8_slice_codeunits(pc.utf8_rpad(values, 26, "0"), 20, 26)
        text = _strftime(stamps, fraction, fmt)
    else:  # ISO 8601: the stamp with T, the fraction of a second as fastexcel writes it
        midnight = pc.ends_with(values, " 00:00:00")
        text = pc.if_else(
            midnight,
            pc.utf8_slice_codeunits(values, 0, 10),
            pc.replace_substring(values, " ", "T", max_replacements=1),
        )
    time_only = pc.starts_with(values, _DAY_ZERO)
    text = pc.if_else(time_only, pc.utf8_slice_codeunits(values, len(_DAY_ZERO)), text)
    return pc.if_else(typed, text, values)


def _strftime(seconds: pa.Array, fraction: pa.Array, fmt: str) -> pa.Array:
    """Whole-second `seconds` written in `fmt`, with `fraction` (six digits) for its %f:
    Arrow's strftime knows no %f (and its %S of a finer timestamp writes the fraction)."""
    parts: list[pa.Array] = []
    piece = ""
    for token in [*re.split(r"(%.)", fmt), "%f"]:  # a last %f flushes the last piece
        if token != "%f":
            piece += token
            continue
        if piece:
            parts.append(pc.strftime(seconds, format=piece))
        parts.append(fraction)
        piece = ""
    parts.pop()
    if len(parts) == 1:
        return parts[0]
    return pc.binary_join_element_wise(*parts, "")
