"""CSV files read by Arrow: `_row` and the columns a query reads, as text, whole
(`read_csv_arrow`) or as a stream of batches (`stream_csv_arrow`).

Arrow parses in parallel, several times faster than DuckDB's reader. A file Arrow refuses,
or whose header repeats or omits a column name, is left to DuckDB's reader
(`duckdb_reader.py`): these functions return None for it (`_csv_options`), and a
stream raises Arrow's error where Arrow fails half way (a ragged row, an unclosed quote).
Arrow reads a value that opens with a quote up to the next quote, across lines: when a file
has a quote, the records are checked to be its lines once it is read (`_check_tail`: no
quote left open, no stray quote merging records; `malformed.py`).

Arrow splits a file into blocks at line breaks to parse them in parallel; told that a value
may span lines (`newlines_in_values`), it finds the breaks by lexing the quotes first, a
serial pass that makes the read of a quoted file ~1.5x slower on two cores. Most quoted
files (exports that quote every value) have no value spanning lines, so `read_csv_arrow`
first parses as if none did (`_parse_by_lines`) and keeps that parse only when it is
provably the same: no error, no lone carriage return, exactly one record per line of
the file (every line break then ends a record, so the parser was outside quotes at each
one and read each line as the lexing parse would), and no value ending with a line feed: told
that no value spans lines, Arrow ends a record at a line break even inside a quote left
open, and the value holds the break (a CR LF file with `12,"` on one line read as the value
CR LF instead of being refused; found by the property test). Otherwise it parses again,
lexing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from ironriver.ingest.duckdb_reader import MAX_RECORD_BYTES
from ironriver.ingest.encoding import CHUNK_BYTES
from ironriver.ingest.header import HEADER_BLOCK, check_header, check_twice
from ironriver.ingest.malformed import check_last_record, check_records_are_lines
from ironriver.ingest.specs import SourceSpec

_PARSE_BLOCK = 4 << 20  # Arrow parses blocks in parallel; ~36k-row batches for DuckDB
# Arrow's streaming CSV reader reads up to 32 blocks ahead: small blocks bound that, and
# `source._grouped` hands DuckDB several at once (its order-keeping insert is slow over small ones)
_STREAM_BLOCK = 1 << 20


def _csv_options(
    path: Path, spec: SourceSpec, refs: list[str]
) -> tuple[pacsv.ParseOptions, pacsv.ConvertOptions] | None:
    """Arrow's options for reading `_row` and the `refs` columns as text, once the header is
    checked; None when the file is one for DuckDB's reader (see module doc)."""
    parse = pacsv.ParseOptions(
        delimiter=spec.delimiter,
        quote_char='"',
        double_quote=True,  # as DuckDB's escape = '"'
        escape_char=False,
        newlines_in_values=_has_quote(path),  # only a quoted value can hold a newline
    )
    if spec.header:
        header = list(spec.header)
    else:
        try:
            with pacsv.open_csv(
                path,
                read_options=_read_options(spec, HEADER_BLOCK, use_threads=False),
                parse_options=parse,
            ) as head:
                header = head.schema.names
        except (pa.ArrowException, OSError, UnicodeDecodeError):
            return None
    if len(set(header)) != len(header) or "" in header:
        check_twice(spec, header, refs)
        return None  # DuckDB renames repeated or empty names (a, a_1, column2)
    check_header(spec, header, refs)
    convert = pacsv.ConvertOptions(
        include_columns=refs,
        column_types={r: pa.string() for r in refs},
        strings_can_be_null=True,  # empty, quoted or not, is NULL (as in DuckDB)
        quoted_strings_can_be_null=True,
        null_values=[""],
    )
    return parse, convert


def _read_options(spec: SourceSpec, block_size: int, use_threads: bool = True) -> pacsv.ReadOptions:
    """How Arrow reads the file: `block_size` bytes at a time, from its header row on, with
    the mapping's `header` as the column names for a file without a header line (then every
    line is a record), else the names on the file's first line."""
    return pacsv.ReadOptions(
        use_threads=use_threads,
        block_size=block_size,
        column_names=list(spec.header) if spec.header else None,
        skip_rows=spec.header_row - 1,
    )


def _check_tail(
    path: Path,
    spec: SourceSpec,
    refs: list[str],
    last: pa.Table,
    records: int,
    lines: Callable[[], int],
) -> None:
    """Once Arrow has read a file where a value may span lines: that no quote was left open
    (`check_last_record`, on `last`, whose last row is the file's last record) and that the
    records are lines (`check_records_are_lines`, given `records` and the file's `lines`,
    counted meanwhile)."""
    check_last_record(path, spec, last.slice(max(last.num_rows - 1, 0)), refs)
    check_records_are_lines(path, spec, records, lines(), MAX_RECORD_BYTES)


def _row_numbers(start: int, n: int) -> pa.Array:
    """start, start + 1, ... (n values), from a NumPy buffer (no Python int per row)."""
    values = np.arange(start, start + n, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), n, [None, pa.py_buffer(values)])


def read_csv_arrow(path: Path, spec: SourceSpec, refs: list[str]) -> pa.Table | None:
    """`_row` and the `refs` columns as text, read by Arrow; None when the file is one for
    DuckDB's reader (see module doc)."""
    options = _csv_options(path, spec, refs)
    if options is None:
        return None
    parse, convert = options
    # line breaks are counted while Arrow parses (which releases the GIL) where a value may
    # span lines, for `_parse_by_lines` and `check_records_are_lines`
    with ThreadPoolExecutor(max_workers=1) as pool:
        ends = pool.submit(_line_ends, path) if parse.newlines_in_values else None
        raw = None if ends is None else _parse_by_lines(path, spec, parse, convert, ends.result)
        if raw is None:
            raw = _parse(path, spec, parse, convert)
            if raw is None:
                return None  # DuckDB's reader words the error (with the line)
        if ends is not None:
            _check_tail(path, spec, refs, raw, raw.num_rows, lambda: ends.result()[0])
    n = raw.num_rows
    rows = _row_numbers(1, n)
    # chunked as the text columns, so DuckDB scans whole record batches in parallel
    lengths = [len(c) for c in raw.column(0).chunks] if raw.num_columns else []
    offsets = np.cumsum([0, *lengths[:-1]])
    row_chunks = [rows.slice(int(o), k) for o, k in zip(offsets, lengths, strict=True)]
    columns = {"_row": pa.chunked_array(row_chunks or [rows], pa.int64())}
    for ref in refs:
        columns[ref] = raw.column(ref)
    return pa.table(columns)


def _header_lines(spec: SourceSpec) -> int:
    """The lines of the file before its first record (as `check_records_are_lines` counts
    them)."""
    return 0 if spec.header else spec.header_row


def _parse_by_lines(
    path: Path,
    spec: SourceSpec,
    parse: pacsv.ParseOptions,
    convert: pacsv.ConvertOptions,
    line_ends: Callable[[], tuple[int, int]],
) -> pa.Table | None:
    """The file parsed by Arrow as if no value spanned lines (blocks split at any line
    break, in parallel), when that parse is provably the lexing one (module doc): no error,
    no lone carriage return, one record per line (`line_ends`: the file's lines and lone
    carriage returns). None otherwise: the caller parses again, lexing. A blank line (which
    Arrow skips) also sends the file to the lexing parse."""
    by_lines = pacsv.ParseOptions(
        delimiter=parse.delimiter,
        quote_char=parse.quote_char,
        double_quote=parse.double_quote,
        escape_char=parse.escape_char,
        newlines_in_values=False,
    )
    raw = _parse(path, spec, by_lines, convert)
    if raw is None:
        return None
    lines, lone_cr = line_ends()
    if lone_cr or raw.num_rows + _header_lines(spec) != lines or _ends_with_break(raw):
        return None
    return raw


def _ends_with_break(table: pa.Table) -> bool:
    """Whether a value of `table` (text columns) ends with a line feed: what a parse by
    lines makes of a quote left open before a line break (the value runs to the break,
    which it holds, and the next line is a record again). A chunk's text is first searched
    for a line feed at all (a vectorised scan, ~10 ms for the bench's 1M rows of 7 columns);
    only a chunk holding one has the last byte of each value read through the offsets (a
    gather, three times the CPU of the scan)."""
    for column in table.columns:
        for chunk in column.chunks:
            if not len(chunk):
                continue
            if not pa.types.is_string(chunk.type):  # (the reader makes `string` columns)
                return True  # (not one this check reads: the lexing parse decides)
            _, offsets_buffer, data_buffer = chunk.buffers()
            if data_buffer is None or not data_buffer.size:
                continue
            offsets = np.frombuffer(
                offsets_buffer, np.int32, count=len(chunk) + 1, offset=chunk.offset * 4
            )
            data = np.frombuffer(data_buffer, np.uint8)
            if not np.any(data[offsets[0] : offsets[-1]] == 10):
                continue  # no value holds a line feed (a third of the CPU of the gather)
            # (an empty value reads the byte before it: a false alarm at worst, which the
            # lexing parse settles)
            last = data[np.maximum(offsets[1:] - 1, 0)]
            if np.any(last == 10):
                return True
    return False


def _parse(
    path: Path, spec: SourceSpec, parse: pacsv.ParseOptions, convert: pacsv.ConvertOptions
) -> pa.Table | None:
    """The whole file parsed by Arrow in parallel blocks; None where Arrow fails. Read, not
    memory-mapped (`source.file_digest`: a map of a file truncated meanwhile is SIGBUS)."""
    try:
        return pacsv.read_csv(
            path,
            read_options=_read_options(spec, _PARSE_BLOCK),
            parse_options=parse,
            convert_options=convert,
        )
    except (pa.ArrowException, OSError, UnicodeDecodeError):
        return None


def stream_csv_arrow(path: Path, spec: SourceSpec, refs: list[str]) -> pa.RecordBatchReader | None:
    """`read_csv_arrow` as a stream of batches; reading it raises Arrow's error where the
    file is one for DuckDB's reader (a ragged row, an unclosed quote)."""
    options = _csv_options(path, spec, refs)
    if options is None:
        return None
    parse, convert = options
    try:
        reader = pacsv.open_csv(
            path,
            read_options=_read_options(spec, _STREAM_BLOCK, use_threads=False),
            parse_options=parse,
            convert_options=convert,
        )
    except (pa.ArrowException, OSError, UnicodeDecodeError):
        return None
    schema = pa.schema([("_row", pa.int64()), *((r, pa.string()) for r in refs)])

    def numbered() -> Iterator[pa.RecordBatch]:
        done = 0
        last = None
        with reader:
            for batch in reader:
                n = batch.num_rows
                columns = [_row_numbers(done + 1, n), *(batch.column(r) for r in refs)]
                done += n
                if n:
                    last = batch
                yield pa.RecordBatch.from_arrays(columns, schema=schema)
        if last is not None and parse.newlines_in_values:
            last_table = pa.Table.from_batches([last])
            _check_tail(path, spec, refs, last_table, done, lambda: _line_ends(path)[0])

    return pa.RecordBatchReader.from_batches(schema, numbered())


def _has_quote(path: Path) -> bool:
    """Whether the file holds a quote character (a memchr per block; most files have one in
    their first, so blocks are small: no 16 MiB read for the first bytes)."""
    buffer = bytearray(_QUOTE_BLOCK)
    with path.open("rb", buffering=0) as fh:
        while n := fh.readinto(buffer):
            if buffer.find(b'"', 0, n) >= 0:
                return True
    return False


_QUOTE_BLOCK = 1 << 20


def _line_ends(path: Path) -> tuple[int, int]:
    """The file's lines (a last line without a line break counts) and its carriage returns
    not followed by a line feed (a CR LF split across two blocks is counted whole). Line
    feeds are counted by NumPy (`bytes.count` of one byte is a plain loop in CPython: 60%
    more CPU for the bench's 117 MB), carriage returns only in a block that holds one (a
    memchr)."""
    lines = lone_cr = 0
    last = b"\n"
    buffer = bytearray(CHUNK_BYTES)  # (read into again and again: no new pages per block)
    codes = np.frombuffer(buffer, np.uint8)
    with path.open("rb", buffering=0) as fh:
        while n := fh.readinto(buffer):
            lines += int(np.count_nonzero(codes[:n] == 10))
            if buffer.find(b"\r", 0, n) >= 0:
                lone_cr += buffer.count(b"\r", 0, n) - buffer.count(b"\r\n", 0, n)
            if last == b"\r" and buffer.startswith(b"\n", 0, n):
                lone_cr -= 1  # the CR ending the previous block was not lone
            last = bytes(buffer[n - 1 : n])
    return lines + (last != b"\n"), lone_cr
