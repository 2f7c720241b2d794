"""Read a query's source file into DuckDB as a relation of text columns, one row per record.

The relation `src` holds `_row` (the 1-based record number, header not counted), every
column `c` the mapping reads, as VARCHAR (NULL when empty or absent), and beside it
`sanitized_name(c)`: FtM's `sanitize_text` of its values, computed in Arrow while the file is
in memory (`clean.sanitize_array`; `Cleaner.sanitize_columns` then only renames it); and for
a column read as a name (`name_refs`), `name_text_name(c)`: its text read as a name where that
differs (a control character is a space in a name: `clean.sanitize_name`), mostly NULL.
Nothing is typed here; `clean` and `compile` do that in SQL.

`src` is a temporary table, or with `materialize=False` a view over the Arrow table (no copy
into DuckDB's storage); `drop_source` removes it either way. Either way a plain scan of it
returns the records in file order.

Memory: the whole-file read peaks at about `READ_PEAK_FACTOR` times the file's size (the
parsed columns, their sanitised copies, Arrow's parse buffers). A file for which that exceeds
the ingest's memory budget (`fits_in_memory`) is instead read with `stream=True`: parsed,
sanitised and appended to the table `src` batch by batch (Arrow's streaming CSV reader, or
DuckDB's reader into a table that is then read back in batches), so only a few batches are
ever in Python; such a file's connection (`connect(memory_mb)`) holds DuckDB to the budget,
less what the rest of the process needs, and lets it spill its tables and operators to a
temporary folder, which DuckDB creates on first use and deletes when the connection is
closed. Both ways give the same `src`, row for
row, and the same errors.

Checks made here, each an `IngestError` naming the file and what to fix:
- encoding: the bytes must decode with the query's `encoding` (default utf-8). Invalid bytes
  are reported with their line number and a suggestion of `encoding: latin-1` / `cp1252`.
  A file said to be in a legacy encoding (latin-1, cp1252) that is UTF-8 text with accents
  is refused (`check_not_utf8`: read as latin-1 it would load silently as mojibake).
  Files in another encoding are transcoded to a temporary UTF-8 copy first (the readers
  take UTF-8 only).
- columns: every column the mapping reads must be in the header (CSV) or in some record
  (JSON Lines).
- structure: parser errors (ragged rows, unclosed quotes, bad JSON) are passed on with their
  line, as DuckDB's reader words them.
The header checks are in `header.py`; the plain wording of a file a reader cannot parse, and
the checks for quotes that merge records, in `malformed.py`.

CSV is parsed by Arrow (multi-threaded, several times faster than DuckDB's reader); files
Arrow refuses, or whose header repeats or omits a column name, go through DuckDB's reader,
told the query's dialect and the header's columns by position (nothing sniffed: no column
renamed, no comment mark guessed), whose errors are then said plainly with their line.
Arrow reads a value that opens with a quote up to the next quote, across lines: when a file
has more lines than header and records, a strict parse checks that no stray quote merged
records. JSON Lines go through DuckDB's reader; a bad line is named by Python's parser.

Spreadsheets (.xlsx, .xlsm, .xlsb, .xls, .ods; one sheet per query) are read by fastexcel
(calamine, in Rust) whole, every cell as text: a sheet holds at most 1,048,576 rows, so
`stream` does not apply. Cells typed as numbers read without a trailing ".0"; cells typed as
dates are written in the date `format` the mapping gives their column (else ISO 8601), so
that they and dates typed as text go through the same parser; time-only cells read as
HH:MM:SS.

In every format, a record with no value in any column the mapping reads (`,,,`, an empty
sheet row, `{}`) is skipped, as a blank line is: it is no record, neither counted nor
checked for duplicates, and its `_row` number is left unused.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import struct
import tempfile
import uuid
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ironriver.errors import IngestError
from ironriver.i18n import msg, nmsg
from ironriver.ingest.clean import (
    LIST_SEP,
    json_kind_name,
    name_differences,
    name_text_name,
    sanitize_arrays,
    sanitized_name,
)
from ironriver.ingest.header import (
    HEADER_BLOCK,
    check_header,
    check_twice,
    csv_header,
    missing_error,
    title_above,
    title_error,
)
from ironriver.ingest.malformed import check_last_record, check_records_are_lines, reader_error
from ironriver.ingest.mapping import SourceSpec
from ironriver.ingest.sheets import open_sheet
from ironriver.prefetch import prefetch
from ironriver.scratch import owner_tag, sweep
from ironriver.sqltext import ident, literal

_CHUNK = 1 << 24
_PARSE_BLOCK = 4 << 20  # Arrow parses blocks in parallel; ~36k-row batches for DuckDB
# Arrow's streaming CSV reader reads up to 32 blocks ahead: small blocks bound that, and
# `_grouped` hands DuckDB several at once (its order-keeping insert is slow over small ones)
_STREAM_BLOCK = 1 << 20
_BATCH_ROWS = 122_880
_STREAM_ROWS = 2 * _BATCH_ROWS  # rows per insert of a streamed file (at least)
_MIB = 1 << 20

READ_PEAK_FACTOR = 3
"""Peak memory of the whole-file read, per byte of file: 1.8 GB for the 635 MB CBP crossings
file of the scale-0.1 world (its parsed columns, their sanitised copies, parse buffers)."""
PROCESS_RESERVE_MB = 512
"""Of a streamed file's memory budget, what is left for the rest of the process rather than
DuckDB (MiB): the interpreter and libraries (~170 MB), batches on their way into DuckDB and
out of it to the Parquet writer or the statement stage (~300 MB)."""
MIN_MEMORY_MB = 128
"""The least memory DuckDB is given for a streamed file, whatever the budget (MiB): its
operators need a few blocks per thread to run at all."""
MAX_RECORD_BYTES = 128 * _MIB
"""The longest CSV record read (DuckDB's reader takes 2 MB by default, which a long narrative
field can pass; Arrow's reader hands such a file over to it)."""
SPILL_PREFIX = "ironriver-ingest-"
"""Name prefix of the temporary folders a streamed file's DuckDB spills to."""


def fits_in_memory(path: Path, memory_mb: int) -> bool:
    """Whether the whole-file read of `path` stays within `memory_mb` MiB (see module doc);
    else `load_source` is to stream it (into a `connect(memory_mb)` connection)."""
    try:
        size = path.stat().st_size
    except OSError:
        return True  # load_source reports the missing file
    return size * READ_PEAK_FACTOR <= memory_mb * _MIB


def connect(
    memory_mb: int | None = None, spill_root: Path | None = None
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection for one source file's work (records kept in insertion
    order). With `memory_mb`, the process's budget for a streamed file, DuckDB holds at most
    that less `PROCESS_RESERVE_MB` (and at least `MIN_MEMORY_MB`) and spills the rest to a
    new folder in `spill_root` (default: the system's temporary folder, `$TMPDIR`, which may
    be memory-backed: an ingest passes a folder beside the store), which DuckDB creates on
    first use and deletes, with its files, when the connection is closed."""
    config: dict[str, str | bool | int | float | list[str]] = {"preserve_insertion_order": True}
    if memory_mb is not None:
        root = spill_root if spill_root is not None else Path(tempfile.gettempdir())
        root.mkdir(parents=True, exist_ok=True)
        sweep(root)  # spill folders of killed ingests
        spill = root / f"{SPILL_PREFIX}{owner_tag()}-{uuid.uuid4().hex}"
        limit = max(memory_mb - PROCESS_RESERVE_MB, MIN_MEMORY_MB)
        config["memory_limit"] = f"{limit}MiB"
        config["temp_directory"] = str(spill)
    return duckdb.connect(config=config)


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, hex (hashlib reads it without holding the GIL)."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _is_utf8(encoding: str) -> bool:
    return encoding.lower().replace("_", "-") in ("utf-8", "utf8")


def _utf8_buffer(data: pa.Buffer) -> bool:
    """Whether `data` is valid UTF-8, by Arrow's vectorised validator (no copy)."""
    if not data.size:
        return True
    offsets = pa.py_buffer(struct.pack("=2q", 0, data.size))
    text = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, data])
    try:
        text.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _valid_utf8(path: Path) -> bool:
    """True when the whole file is valid UTF-8, checked over a memory map (no copy, no
    Python string)."""
    with pa.memory_map(str(path)) as mm:
        return _utf8_buffer(mm.read_buffer())


def _valid_utf8_blocks(path: Path) -> bool:
    """`_valid_utf8` one block at a time, for a file too large to map whole: each block is
    cut after its last newline, which no multi-byte character contains."""
    rest = b""
    with path.open("rb") as fh:
        while block := fh.read(_CHUNK):
            data = rest + block
            cut = data.rfind(b"\n") + 1
            if not _utf8_buffer(pa.py_buffer(memoryview(data)[:cut])):
                return False
            rest = data[cut:]
    return _utf8_buffer(pa.py_buffer(rest))


def check_encoding(path: Path, encoding: str) -> None:
    """Raise `IngestError` at the first byte sequence that is not valid `encoding`, or when a
    file said to be in a legacy encoding (latin-1, cp1252, ...) is UTF-8 text with accents
    (`check_not_utf8`)."""
    if _is_utf8(encoding):
        if _valid_utf8_blocks(path):
            return
    elif not codecs.lookup(encoding).name.startswith("utf"):
        check_not_utf8(path, encoding)
    # Invalid (or not UTF-8): find the first bad byte and its line with Python's decoder.
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = 0
    lines = 0
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(_CHUNK)
            final = not chunk
            try:
                decoder.decode(chunk, final=final)
            except UnicodeDecodeError as exc:
                line = lines + chunk.count(b"\n", 0, max(exc.start, 0)) + 1
                bad = chunk[exc.start : exc.start + 4]
                suggestion = "latin-1" if _is_utf8(encoding) else "utf-8"
                if offset == 0 and chunk[:2] in (b"\xff\xfe", b"\xfe\xff"):
                    suggestion = "utf-16"  # its byte-order mark: Excel's "Unicode text"
                raise IngestError(
                    nmsg(
                        "{file} is not valid {encoding}: byte {bytes!r} at line {line} "
                        "(byte offset {offset}).",
                        "{file} is not valid {encoding}: bytes {bytes!r} at line {line} "
                        "(byte offset {offset}).",
                        len(bad),
                        file=path.name,
                        encoding=encoding,
                        bytes=bad,
                        line=line,
                        offset=offset + exc.start,
                    ),
                    hint=msg(
                        "Set the file's real encoding in the mapping query, e.g. {example} "
                        "(or cp1252 for Windows exports), or re-save the file as {encoding}.",
                        example=f"`encoding: {suggestion}`",
                        encoding=encoding,
                    ),
                ) from None
            if final:
                return
            lines += chunk.count(b"\n")
            offset += len(chunk)


def check_not_utf8(path: Path, encoding: str) -> None:
    """Raise `IngestError` when `path`, said to be in `encoding` (a legacy one), is valid
    UTF-8 holding letters outside ASCII. Read as latin-1, every byte is a letter, so such a
    file loads without a word and stores "JosÃ© PÃ©rez" for "José Pérez": names that match
    nothing. A latin-1 or cp1252 file is almost never valid UTF-8 once it holds an accent (an
    accented letter would have to be followed by one of a few symbols, e.g. "Ã©"), so the
    first line with one is shown both ways. Blocks are scanned in C (`bytes.isascii`); only
    the block holding the first non-ASCII byte is split into lines."""
    before = 0  # line breaks before the current block
    with path.open("rb") as fh:
        while block := fh.read(_CHUNK):
            if block.isascii():
                before += block.count(b"\n")
                continue
            if not _valid_utf8_blocks(path):
                return
            first = next(i for i, byte in enumerate(block) if byte > 0x7F)
            start = block.rfind(b"\n", 0, first) + 1
            end = block.find(b"\n", first)
            line = block[start : end if end >= 0 else len(block)].rstrip(b"\r")
            line = line[max(0, first - start - 40) : first - start + 120]  # a CR-only file
            right = line.decode("utf-8", errors="replace")[:80]
            wrong = line.decode(encoding, errors="replace")[: len(right) + 20]
            raise IngestError(
                msg(
                    "{file} is UTF-8 text, not {encoding}: read as {encoding}, line {line} "
                    "{right!r} would be stored as {wrong!r}.",
                    file=path.name,
                    encoding=encoding,
                    line=before + block.count(b"\n", 0, first) + 1,
                    right=right,
                    wrong=wrong,
                ),
                hint=msg(
                    "Remove {example} from the mapping query (UTF-8 is the default), or "
                    "set the encoding the file really has.",
                    example=f"`encoding: {encoding}`",
                ),
            )


def check_no_header_line(spec: SourceSpec) -> None:
    """Raise `IngestError` when a CSV file read with the mapping's `header` (for files that
    start with data) starts with that header itself: its names would be ingested as a
    record (a Person named "first")."""
    import csv

    with spec.path.open(encoding=spec.encoding, errors="replace", newline="") as fh:
        first = next(csv.reader(fh, delimiter=spec.delimiter), [])
    names = [v.strip().lstrip("\ufeff").casefold() for v in first]
    if names and names == [h.strip().casefold() for h in spec.header]:
        raise IngestError(
            msg(
                "{file} starts with its header line ({names}), but the mapping gives "
                "`header:`, which is for files that start with data: the names would be "
                "ingested as a record.",
                file=spec.path.name,
                names=", ".join(first),
            ),
            hint=msg("Remove `header:` from the mapping query."),
        )


def transcode(path: Path, encoding: str, workdir: Path) -> Path:
    """Copy `path` to UTF-8 under `workdir` (the caller removes it), without a final DOS
    end-of-file mark (`_eof_mark`)."""
    target = workdir / (path.name + ".utf8")
    keep = path.stat().st_size - _eof_mark(path)
    with path.open("rb") as raw, target.open("w", encoding="utf-8", newline="") as dst:
        decoder = codecs.getincrementaldecoder(encoding)()
        while keep > 0:
            block = raw.read(min(_CHUNK, keep))
            if not block:
                break
            keep -= len(block)
            dst.write(decoder.decode(block, final=keep <= 0))
    return target


def _eof_mark(path: Path) -> int:
    """How many bytes at the end of the file are a DOS end-of-file mark: Ctrl-Z (0x1A),
    alone or followed by a line break, as legacy exports (e.g. OFAC's SDN CSV) end. It is
    no record; 0 when the file does not end so."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        fh.seek(max(0, size - 3))
        tail = fh.read()
    for mark in (b"\x1a\r\n", b"\x1a\n", b"\x1a"):
        if tail.endswith(mark):
            return len(mark)
    return 0


def load_source(
    con: duckdb.DuckDBPyConnection,
    spec: SourceSpec,
    refs: list[str],
    table: str = "src",
    *,
    materialize: bool = True,
    stream: bool = False,
    case_misses: list[CaseMiss] | None = None,
    name_refs: Collection[str] = (),
) -> int:
    """Create `table` (see module doc) and return its number of records. With `stream`, the
    file is never whole in memory and `table` is a table, whatever `materialize` says.
    `case_misses` receives, for a JSON Lines file, the mapped keys some records lack while
    holding the key spelled in another case (`CaseMiss`). `name_refs`: the columns of `refs`
    read as names, each of which also gets its text read as a name (`_with_sanitized`)."""
    misses = case_misses if case_misses is not None else []
    names = frozenset(name_refs)
    if not spec.path.is_file():
        raise IngestError(
            msg("Input file {path} does not exist.", path=spec.path),
            hint=msg("Check the mapping's csv_url."),
        )
    if spec.kind == "xlsx":  # text encoding is the format's own; read whole (module doc)
        return _load(con, spec.path, spec, refs, table, materialize or stream, False, misses, names)
    if spec.kind == "csv" and spec.header:
        check_no_header_line(spec)
    if spec.kind == "csv" and not spec.header and _is_blank(spec.path):  # not even a header
        raise IngestError(
            msg("{file} is empty: no header, no records.", file=spec.path.name),
            hint=msg("Check the export that made it (a failed or cut-short download?)."),
        )
    if not _is_utf8(spec.encoding) or _eof_mark(spec.path):
        check_encoding(spec.path, spec.encoding)
        with tempfile.TemporaryDirectory(prefix=SPILL_PREFIX) as tmp:
            utf8 = transcode(spec.path, spec.encoding, Path(tmp))
            return _load(con, utf8, spec, refs, table, materialize, stream, misses, names)
    # Validate while parsing (both release the GIL). A file that is not UTF-8 is reported as
    # such whatever the parse made of it, as when the check ran first.
    with ThreadPoolExecutor(max_workers=1) as pool:
        valid = pool.submit(_valid_utf8_blocks if stream else _valid_utf8, spec.path)
        try:
            rows = _load(con, spec.path, spec, refs, table, materialize, stream, misses, names)
        except IngestError:
            if not valid.result():
                check_encoding(spec.path, spec.encoding)
            raise
        if not valid.result():
            drop_source(con, table)
            check_encoding(spec.path, spec.encoding)
    return rows


def _load(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    spec: SourceSpec,
    refs: list[str],
    table: str,
    materialize: bool,
    stream: bool,
    misses: list[CaseMiss],
    names: frozenset[str] = frozenset(),
) -> int:
    """`load_source` of the UTF-8 file at `path` (`names`: its `name_refs`)."""
    if stream:
        return _load_streamed(con, path, spec, refs, table, misses, names)
    data = _with_sanitized(
        _read(con, path, spec, refs, misses),
        refs,
        spec.null_values,
        unquote=spec.kind == "csv",
        names=names,
    )
    if materialize:
        # DuckDB's order-keeping insert is slow over small batches: hand it row groups
        data = data.combine_chunks()
        data = pa.Table.from_batches(data.to_batches(max_chunksize=_BATCH_ROWS), data.schema)
        name = f"_{table}_arrow"
        con.register(name, data)
        try:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {ident(table)} AS FROM {ident(name)}")
        finally:
            con.unregister(name)
    else:
        con.register(table, data)
    return int(data.num_rows)


def _read(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    spec: SourceSpec,
    refs: list[str],
    misses: list[CaseMiss],
) -> pa.Table:
    """`_row` and the `refs` columns of the UTF-8 file at `path` (see module doc)."""
    if spec.kind == "xlsx":
        sheet = open_sheet(path, spec)
        check_header(spec, sheet.header, refs, sheet.letters)
        return sheet.read(refs)
    if spec.kind == "csv":
        data = _read_csv_arrow(path, spec, refs)
        if data is not None:
            return data
    raw, sql = _raw_table(con, path, spec, refs, misses)
    try:
        return _arrow(con, sql)
    finally:
        con.execute(f"DROP TABLE {raw}")


def _load_streamed(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    spec: SourceSpec,
    refs: list[str],
    table: str,
    misses: list[CaseMiss],
    names: frozenset[str] = frozenset(),
) -> int:
    """`table` filled batch by batch from the UTF-8 file at `path`, by the same readers as
    `_read` (see module doc; `names`: its `name_refs`)."""
    if spec.kind == "csv":
        batches = _stream_csv_arrow(path, spec, refs)
        if batches is not None:
            try:
                return _append(con, table, batches, refs, spec, names)
            except (pa.ArrowException, OSError, UnicodeDecodeError):
                drop_source(con, table)  # DuckDB's reader words the error (with the line)
    raw, sql = _raw_table(con, path, spec, refs, misses)
    reader = con.cursor()  # a second connection reads `raw` while `con` fills `table`
    try:
        batches = reader.sql(sql).to_arrow_reader(_BATCH_ROWS)
        return _append(con, table, batches, refs, spec, names)
    finally:
        reader.close()
        con.execute(f"DROP TABLE {raw}")


def _append(
    con: duckdb.DuckDBPyConnection,
    table: str,
    batches: pa.RecordBatchReader,
    refs: list[str],
    spec: SourceSpec,
    names: frozenset[str] = frozenset(),
) -> int:
    """Create `table` from `batches` of the file of `spec` plus their sanitised columns
    (`names`: the columns also read as names); return its rows. The next batches are read
    and sanitised in the background while DuckDB stores the current one."""
    name = f"_{table}_batch"
    sanitized = partial(
        _with_sanitized,
        refs=refs,
        null_values=spec.null_values,
        unquote=spec.kind == "csv",
        names=names,
    )
    con.register(name, sanitized(batches.schema.empty_table()))
    groups = prefetch(_grouped(batches, _STREAM_ROWS), sanitized)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {ident(table)} AS FROM {ident(name)}")
        rows = 0
        for data in groups:
            con.register(name, data)
            con.execute(f"INSERT INTO {ident(table)} FROM {ident(name)}")
            rows += data.num_rows
    finally:
        groups.close()  # stops the background reader now, also when the insert failed
        con.unregister(name)
    return rows


def _raw_table(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    spec: SourceSpec,
    refs: list[str],
    misses: list[CaseMiss],
) -> tuple[str, str]:
    """Parse the file with DuckDB's reader into a table; return its name and the SELECT of
    `_row` and the `refs` columns from it (the caller drops the table)."""
    try:
        if spec.kind == "csv":
            return "_raw_csv", _raw_csv(con, path, spec, refs)
        return "_raw_json", _raw_jsonl(con, path, spec, refs, misses)
    except duckdb.Error as exc:
        raise reader_error(path, spec, str(exc), MAX_RECORD_BYTES) from None


def _count_lines(path: Path) -> int:
    """The file's lines (a last line without a line break counts), by a memchr per block."""
    lines = 0
    last = b"\n"
    with path.open("rb") as fh:
        while block := fh.read(_CHUNK):
            lines += block.count(b"\n")
            last = block[-1:]
    return lines + (last != b"\n")


def _is_blank(path: Path) -> bool:
    """Whether the file holds nothing but white space (and a byte-order mark)."""
    with path.open("rb") as fh:
        head = fh.read(4096)
    return not head.lstrip(b"\xef\xbb\xbf").strip() and path.stat().st_size <= len(head)


def drop_source(con: duckdb.DuckDBPyConnection, table: str = "src") -> None:
    """Drop `table` as `load_source` made it (a table, or a view over Arrow)."""
    rows = con.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_name = ?", [table]
    ).fetchall()
    if rows:
        kind = "VIEW" if rows[0][0] == "VIEW" else "TABLE"
        con.execute(f"DROP {kind} {ident(table)}")


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


def _read_csv_arrow(path: Path, spec: SourceSpec, refs: list[str]) -> pa.Table | None:
    """`_row` and the `refs` columns as text, read by Arrow; None when the file is one for
    DuckDB's reader (see module doc)."""
    options = _csv_options(path, spec, refs)
    if options is None:
        return None
    parse, convert = options
    # lines are counted while Arrow parses (which releases the GIL) where a value may span
    # lines, for `check_records_are_lines`
    with ThreadPoolExecutor(max_workers=1) as pool:
        lines = pool.submit(_count_lines, path) if parse.newlines_in_values else None
        try:
            raw = pacsv.read_csv(
                path,
                read_options=_read_options(spec, _PARSE_BLOCK),
                parse_options=parse,
                convert_options=convert,
            )
        except (pa.ArrowException, OSError, UnicodeDecodeError):
            return None  # DuckDB's reader words the error (with the line)
        if lines is not None:
            _check_tail(path, spec, refs, raw, raw.num_rows, lines.result)
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


def _stream_csv_arrow(path: Path, spec: SourceSpec, refs: list[str]) -> pa.RecordBatchReader | None:
    """`_read_csv_arrow` as a stream of batches; reading it raises Arrow's error where the
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
            _check_tail(path, spec, refs, last_table, done, partial(_count_lines, path))

    return pa.RecordBatchReader.from_batches(schema, numbered())


def _grouped(batches: pa.RecordBatchReader, rows: int) -> Iterator[pa.Table]:
    """`batches` as tables of at least `rows` rows (the last may be shorter), not copied."""
    pending: list[pa.RecordBatch] = []
    held = 0
    for batch in batches:
        pending.append(batch)
        held += batch.num_rows
        if held >= rows:
            yield pa.Table.from_batches(pending, batches.schema)
            pending, held = [], 0
    if pending:
        yield pa.Table.from_batches(pending, batches.schema)


def _with_sanitized(
    data: pa.Table,
    refs: list[str],
    null_values: tuple[str, ...] = (),
    unquote: bool = False,
    names: frozenset[str] = frozenset(),
) -> pa.Table:
    """`data` plus `sanitized_name(c)` for every column `c` of `refs`, where a sanitised
    value among `null_values` (the mapping's markers of "no value") is NULL; without its
    rows that have no value in any column of `refs` (`,,,` reads as a blank line does, as a
    spreadsheet's empty row: no record). `unquote`: the text is a CSV file's (see
    `clean.sanitize_array`). A column of `names` (read as a name) also gets
    `name_text_name(c)`: its text read as a name where that differs (a control character
    is a space there: `clean.name_differences`), NULL elsewhere, and in every row when no
    value differs (the column is there in every batch of a streamed file)."""
    if not refs:
        return data
    data = _empty_lists_absent(data, refs)
    blank = pc.is_null(data.column(refs[0]))  # no value in any column read: no record
    for ref in refs[1:]:
        blank = pc.and_(blank, pc.is_null(data.column(ref)))
    if pc.any(blank).as_py():
        data = data.filter(pc.invert(blank))

    def sanitize(ref: str) -> tuple[Any, Any]:
        return sanitize_arrays(data.column(ref), unquote, names=ref in names)

    # Arrow's kernels release the GIL: sanitize the columns side by side.
    with ThreadPoolExecutor(max_workers=min(len(refs), os.cpu_count() or 1)) as pool:
        clean = list(pool.map(sanitize, refs))
    nulls = pa.array(null_values, pa.string()) if null_values else None
    for ref, (values, named) in zip(refs, clean, strict=True):
        values, named = _unmarked(values, nulls, named)
        items = _ITEMS_PREFIX + ref
        if items in data.column_names:  # a JSON Lines column holding lists (`_json_kind_sql`)
            plain = pc.is_null(data.column(json_kind_name(ref)))
            listed, listed_named = _joined(data.column(items), nulls, ref in names)
            if named is not None or listed_named is not None:
                named = pc.if_else(
                    plain,
                    values if named is None else named,
                    listed if listed_named is None else listed_named,
                )
            values = pc.if_else(plain, values, listed)
            data = data.drop_columns([items])
        data = data.append_column(sanitized_name(ref), values)
        if ref in names:
            differences = (
                pa.nulls(data.num_rows, pa.string())
                if named is None
                else name_differences(values, named)
            )
            data = data.append_column(name_text_name(ref), differences)
    return data


def _unmarked(values: Any, nulls: pa.Array | None, named: Any = None) -> tuple[Any, Any]:
    """`values` (a column's sanitized text) with each of `nulls` (the mapping's
    null_values) as NULL, and `named` (that text read as names; None: the same) NULL where
    `values` is: a marker is compared with the sanitized text only, so that a value is no
    value for every property reading it or for none. (Compared with each reading apart,
    `N\x01A` under the marker `NA` was no value for `notes`, whose sanitized text removes the
    control character, and the name "N A", whose reading makes it a space.)"""
    if values is None or nulls is None:
        return values, named
    marked = pc.is_in(values, value_set=nulls)
    if not pc.any(marked).as_py():
        return values, named
    return (
        pc.if_else(marked, None, values),
        None if named is None else pc.if_else(marked, None, named),
    )


def _empty_lists_absent(data: pa.Table, refs: list[str]) -> pa.Table:
    """`data` with a JSON list of no element (`[]`) as no value, as an absent key is."""
    for ref in refs:
        items = _ITEMS_PREFIX + ref
        if items not in data.column_names:
            continue
        empty = pc.fill_null(pc.equal(pc.list_value_length(data.column(items)), 0), False)
        if pc.any(empty).as_py():
            for name in (ref, json_kind_name(ref)):  # no value, so no list to refuse either
                index = data.column_names.index(name)
                data = data.set_column(index, name, pc.if_else(empty, None, data.column(name)))
    return data


def _joined(
    items: pa.ChunkedArray, nulls: pa.Array | None, names: bool = False
) -> tuple[pa.Array, pa.Array | None]:
    """Each JSON list's values sanitized (`sanitize_array`; a `null_values` marker or an
    empty value dropped), joined by `LIST_SEP`; NULL where none is left or no list. With
    `names`, also each list's values read as names (`clean.sanitize_arrays`) joined alike,
    None when that is the same."""
    lists = items.combine_chunks()
    values, named = sanitize_arrays(pc.list_flatten(lists), names=names)
    values, named = _unmarked(values, nulls, named)
    joined = _join(lists, values)
    return joined, None if named is None else _join(lists, named)


def _join(lists: pa.ListArray, values: pa.Array) -> pa.Array:
    """The `values` of `lists` (flattened) joined by `LIST_SEP` per list, a NULL dropped;
    NULL for a list with none left."""
    kept = pc.is_valid(values)
    values = pc.filter(values, kept)
    parents = pc.filter(pc.list_parent_indices(lists), kept).to_numpy(zero_copy_only=False)
    counts = np.bincount(parents, minlength=len(lists))
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    joined = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), values), LIST_SEP)
    return pc.if_else(pa.array(counts > 0), joined, None)


def _has_quote(path: Path) -> bool:
    """Whether the file holds a quote character (a memchr per block; most files have one in
    their first)."""
    with path.open("rb") as fh:
        while block := fh.read(_CHUNK):
            if b'"' in block:
                return True
    return False


def _raw_csv(con: duckdb.DuckDBPyConnection, path: Path, spec: SourceSpec, refs: list[str]) -> str:
    header = csv_header(path, spec)
    try:
        check_header(spec, header, refs)
    except IngestError:
        row = title_above(path, spec)
        if row is not None and not all(r in header for r in refs):
            raise title_error(spec, row) from None
        raise
    # Positional column names and the query's dialect, nothing sniffed: the header's names
    # are the file's own (DuckDB would rename a repeated or empty one, so that `a_1` could
    # read the second `a`, or another column literally named `a_1`), no character is taken
    # for a comment mark (its sniffer may take `#`, dropping records), and a line with more
    # or fewer fields than the header is an error naming its line.
    cols = "".join(
        f", CAST(c{header.index(r)} AS VARCHAR) AS {ident(r)}" for r in refs
    )  # after _one, which keeps the SELECT valid when the mapping reads no column
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(max(len(header), 1)))
    lines = "header = false" if spec.header else f"header = true, skip = {spec.header_row - 1}"
    # Parallel parse into a table; the record number is then its rowid (insertion order is
    # preserved), which avoids a single-threaded row_number() window over the whole file.
    # Not a TEMP table: `_load_streamed` reads it through a second connection.
    con.execute(
        f"CREATE OR REPLACE TABLE _raw_csv AS SELECT 1 AS _one{cols} "
        f"FROM read_csv({literal(str(path))}, auto_detect = false, {lines}, "
        f"columns = {{{columns}}}, delim = {literal(spec.delimiter)}, quote = '\"', "
        f"escape = '\"', max_line_size = {MAX_RECORD_BYTES})"
    )
    names = "".join(f", {ident(r)}" for r in refs)
    return f"SELECT CAST(rowid + 1 AS BIGINT) AS _row{names} FROM _raw_csv"


def _raw_jsonl(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    spec: SourceSpec,
    refs: list[str],
    misses: list[CaseMiss],
) -> str:
    # Not a TEMP table: `_load_streamed` reads it through a second connection.
    con.execute(
        f"CREATE OR REPLACE TABLE _raw_json AS SELECT CAST(row_number() OVER () AS BIGINT) "
        f"AS _row, json AS _doc FROM read_ndjson_objects({literal(str(path))})"
    )
    bad = con.execute(
        "SELECT min(_row) FROM _raw_json WHERE json_type(_doc) <> 'OBJECT'"
    ).fetchall()
    if bad and bad[0][0] is not None:
        raise IngestError(
            msg(
                "{file}: record {number} is not a JSON object.",
                file=spec.path.name,
                number=bad[0][0],
            ),
            hint=msg(
                "Each line of a JSON Lines file must be one {example} object.", example="{...}"
            ),
        )
    twice = con.execute(
        "SELECT _row, keys FROM (SELECT _row, json_keys(_doc) AS keys FROM _raw_json) "
        "WHERE len(keys) <> len(list_distinct(keys)) ORDER BY _row LIMIT 1"
    ).fetchall()
    if twice:
        number, keys = twice[0]
        repeated = sorted({k for k in keys if keys.count(k) > 1})
        raise IngestError(
            msg(
                "{file}: record {number} names {key} more than once: which value is meant is "
                "not known (readers differ: some keep the first, most the last).",
                file=spec.path.name,
                number=number,
                key=repr(repeated[0]),
            ),
            hint=msg("Fix the export that wrote it, so that each key is written once."),
        )
    if refs:
        # a DISTINCT (which DuckDB can spill), not a list of every record's keys
        present = con.execute("SELECT DISTINCT unnest(json_keys(_doc)) FROM _raw_json").fetchall()
        keys = [str(k[0]) for k in present]
        missing = [r for r in refs if r not in keys]
        if missing:
            raise missing_error(spec, missing, sorted(keys))
        misses.extend(_case_misses(con, refs, keys))
    # json_extract_string gives text for scalars and JSON text for arrays/objects.
    cols = ", ".join(
        f"json_extract_string(_doc, {literal(_json_path(r))}) AS {ident(r)}" for r in refs
    )
    cols += "".join(f", {sql}" for r in _structured(con, refs) for sql in _json_kind_sql(r))
    sep = ", " if cols else ""
    return f"SELECT _row{sep}{cols} FROM _raw_json"


@dataclass(frozen=True)
class CaseMiss:
    """JSON Lines records that lack a mapped key (or hold null there) but hold a value
    under the key spelled in another case (`name` mapped, `Name` written): their value is
    not read, and nothing would say so (JSON keys are case-sensitive, and the mapped key is
    in other records, so the file passes the missing-columns check)."""

    column: str  # the key the mapping reads
    other: str  # the same key in another case
    records: int


def _case_misses(
    con: duckdb.DuckDBPyConnection, refs: list[str], keys: list[str]
) -> list[CaseMiss]:
    """The `CaseMiss`es of `_raw_json` (one scan, only when a key of the file equals a
    mapped one but for case and is not mapped itself)."""
    pairs = [
        (ref, key)
        for ref in refs
        for key in sorted(keys)
        if key not in refs and key.casefold() == ref.casefold()
    ]
    if not pairs:
        return []

    def held(key: str) -> str:
        return f"coalesce(json_type(_doc, {literal(_json_path(key))}) <> 'NULL', FALSE)"

    counts = ", ".join(f"count(*) FILTER (WHERE NOT {held(r)} AND {held(k)})" for r, k in pairs)
    row = con.execute(f"SELECT {counts} FROM _raw_json").fetchall()[0]
    return [CaseMiss(r, k, int(n)) for (r, k), n in zip(pairs, row, strict=True) if n]


_ITEMS_PREFIX = "__items__:"  # a JSON list's values as read, until `_with_sanitized`


def _structured(con: duckdb.DuckDBPyConnection, refs: list[str]) -> list[str]:
    """The columns of `refs` that hold a JSON list or object in some record (one scan)."""
    if not refs:
        return []
    found = ", ".join(
        f"bool_or(json_type(_doc, {literal(_json_path(r))}) IN ('ARRAY', 'OBJECT'))" for r in refs
    )
    row = con.execute(f"SELECT {found} FROM _raw_json").fetchall()[0]
    return [r for r, has in zip(refs, row, strict=True) if has]


def _json_kind_sql(ref: str) -> list[str]:
    """SELECT items for a column holding a JSON list or object in some record: the column
    itself (an empty list is no value), `json_kind_name` (see `clean`) and the list's values
    as text (`_ITEMS_PREFIX`), which `_with_sanitized` sanitizes and joins."""
    path = literal(_json_path(ref))
    kind = f"json_type(_doc, {path})"
    nested = (
        f"{kind} = 'OBJECT' OR ({kind} = 'ARRAY' AND "
        f"list_has_any(json_type(_doc, {path} || '[*]'), ['ARRAY', 'OBJECT']))"
    )
    return [
        f"CASE WHEN {nested} THEN 'nested' WHEN {kind} = 'ARRAY' THEN 'list' END "
        f"AS {ident(json_kind_name(ref))}",
        f"CASE WHEN {kind} = 'ARRAY' AND NOT ({nested}) "
        f"THEN json_extract_string(_doc, {path} || '[*]') END AS {ident(_ITEMS_PREFIX + ref)}",
    ]


def _json_path(key: str) -> str:
    return '$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _arrow(con: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    """The result of `sql` as Arrow, in batches DuckDB can scan back in parallel."""
    return con.sql(sql).to_arrow_table(_BATCH_ROWS)
