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
The encoding checks are in `encoding.py`, the header checks in `header.py`; the plain
wording of a file a reader cannot parse, and the checks for quotes that merge records, in
`malformed.py`. Arrow's CSV reader is in `arrow_csv.py`, DuckDB's (CSV files Arrow refuses,
JSON Lines) in `duckdb_reader.py`; this module chooses between them, adds the sanitised
columns and makes `src`.

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

import os
import tempfile
import uuid
from collections.abc import Collection, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ironriver.errors import IngestError
from ironriver.i18n import msg
from ironriver.ingest.arrow_csv import read_csv_arrow, stream_csv_arrow
from ironriver.ingest.clean import (
    LIST_SEP,
    json_kind_name,
    name_differences,
    name_text_name,
    sanitize_arrays,
    sanitized_name,
)
from ironriver.ingest.duckdb_reader import ITEMS_PREFIX, CaseMiss, raw_table
from ironriver.ingest.encoding import (
    check_encoding,
    eof_mark,
    is_utf8,
    transcode,
    valid_utf8_blocks,
)
from ironriver.ingest.header import check_header, check_no_header_line
from ironriver.ingest.sheets import open_sheet
from ironriver.ingest.specs import SourceSpec
from ironriver.prefetch import prefetch
from ironriver.scratch import file_sha256, owner_tag, sweep
from ironriver.sqltext import ident

# SHA-256 of a source file's bytes, as the audit records it (one implementation, the store's
# too: `scratch.file_sha256`)
file_digest = file_sha256

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


def file_state(path: Path) -> tuple[int, ...] | None:
    """What tells one content of the file at `path` from another without reading it: its
    device, inode, size and modification and change times (None when it cannot be read:
    its reader reports that). See `check_unchanged`."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def check_unchanged(path: Path, before: tuple[int, ...] | None) -> None:
    """Refuse a file whose `file_state` changed since `before`, taken before its readers
    began: the digest the audit records, the encoding check and the parse each read the
    file, and a file rewritten (or cut short) meanwhile gives them different bytes, so the
    records loaded may be neither what the digest names nor the whole file. Nothing has
    been written yet when this runs."""
    if before is None or file_state(path) == before:
        return
    raise _changed(path)


def check_same_bytes(read: dict[Path, str], path: Path, digest: str) -> None:
    """Refuse a file that two queries of one ingest read as different bytes (their SHA-256,
    `digest` the later one's; `read` maps each file read so far to its digest, and gains
    this one). `check_unchanged` guards one query's reads; a file rewritten between two
    queries' (an entities query, then a ledger query of the same export) would load
    statements of one version and ledger rows of the other, under the audit's digest of
    only the last. Nothing has been written yet when this runs."""
    if read.setdefault(path.resolve(), digest) != digest:
        raise _changed(path)


def _changed(path: Path) -> IngestError:
    return IngestError(
        msg(
            "{file} changed while it was read (it was written to, replaced or cut short since "
            "the ingest began): nothing was ingested.",
            file=path.name,
        ),
        hint=msg(
            "Wait until whatever writes the file has finished (an export or a copy still "
            "running), or ingest a copy of it; then ingest again."
        ),
    )


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
    if not is_utf8(spec.encoding) or eof_mark(spec.path):
        check_encoding(spec.path, spec.encoding)
        with tempfile.TemporaryDirectory(prefix=SPILL_PREFIX) as tmp:
            utf8 = transcode(spec.path, spec.encoding, Path(tmp))
            return _load(con, utf8, spec, refs, table, materialize, stream, misses, names)
    # Validate while parsing (both release the GIL). A file that is not UTF-8 is reported as
    # such whatever the parse made of it, as when the check ran first.
    with ThreadPoolExecutor(max_workers=1) as pool:
        valid = pool.submit(valid_utf8_blocks, spec.path)
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
        data = read_csv_arrow(path, spec, refs)
        if data is not None:
            return data
    raw, sql = raw_table(con, path, spec, refs, misses)
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
        batches = stream_csv_arrow(path, spec, refs)
        if batches is not None:
            try:
                return _append(con, table, batches, refs, spec, names)
            except (pa.ArrowException, OSError, UnicodeDecodeError):
                drop_source(con, table)  # DuckDB's reader words the error (with the line)
    raw, sql = raw_table(con, path, spec, refs, misses)
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
        items = ITEMS_PREFIX + ref
        if (
            items in data.column_names
        ):  # a JSON Lines column holding lists (`duckdb_reader._json_kind_sql`)
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
        items = ITEMS_PREFIX + ref
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


def _arrow(con: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    """The result of `sql` as Arrow, in batches DuckDB can scan back in parallel."""
    return con.sql(sql).to_arrow_table(_BATCH_ROWS)
