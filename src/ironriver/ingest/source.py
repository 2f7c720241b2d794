"""Read a query's source file into DuckDB as a relation of text columns, one row per record.

The relation `src` holds `_row` (the 1-based record number, header not counted), every
column `c` the mapping reads, as VARCHAR (NULL when empty or absent), and beside it
`sanitized_name(c)`: FtM's `sanitize_text` of its values, computed in Arrow while the file is
in memory (`clean.sanitize_array`; `Cleaner.sanitize_columns` then only renames it). Nothing
is typed here; `clean` and `compile` do that in SQL.

`src` is a temporary table, or with `materialize=False` a view over the Arrow table (no copy
into DuckDB's storage); `drop_source` removes it either way. Either way a plain scan of it
returns the records in file order.

Checks made here, each an `IngestError` naming the file and what to fix:
- encoding: the bytes must decode with the query's `encoding` (default utf-8). Invalid bytes
  are reported with their line number and a suggestion of `encoding: latin-1` / `cp1252`.
  Files in another encoding are transcoded to a temporary UTF-8 copy first (the readers
  take UTF-8 only).
- columns: every column the mapping reads must be in the header (CSV) or in some record
  (JSON Lines).
- structure: parser errors (ragged rows, unclosed quotes, bad JSON) are passed on with their
  line, as DuckDB's reader words them.

CSV is parsed by Arrow (multi-threaded, several times faster than DuckDB's reader); files
Arrow refuses, or whose header repeats or omits a column name, go through DuckDB's reader,
which renames such columns and words the errors. JSON Lines go through DuckDB's reader.
"""

from __future__ import annotations

import codecs
import hashlib
import mmap
import os
import struct
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from ironriver.errors import IngestError
from ironriver.ingest.clean import sanitize_array, sanitized_name
from ironriver.ingest.mapping import SourceSpec
from ironriver.ingest.sqltext import ident, literal

_CHUNK = 1 << 24
_HEADER_BLOCK = 1 << 20  # the header must fit in the first block Arrow reads
_PARSE_BLOCK = 4 << 20  # Arrow parses blocks in parallel; ~36k-row batches for DuckDB
_BATCH_ROWS = 122_880


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, hex (hashlib reads it without holding the GIL)."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _is_utf8(encoding: str) -> bool:
    return encoding.lower().replace("_", "-") in ("utf-8", "utf8")


def _valid_utf8(path: Path) -> bool:
    """True when the whole file is valid UTF-8, checked by Arrow's vectorised validator over
    a memory map (no copy, no Python string)."""
    with pa.memory_map(str(path)) as mm:
        data = mm.read_buffer()
        if not data.size:
            return True
        offsets = pa.py_buffer(struct.pack("=2q", 0, data.size))
        text = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, data])
        try:
            text.validate(full=True)
        except pa.ArrowInvalid:
            return False
        return True


def check_encoding(path: Path, encoding: str) -> None:
    """Raise `IngestError` at the first byte sequence that is not valid `encoding`."""
    if _is_utf8(encoding) and _valid_utf8(path):
        return
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
                raise IngestError(
                    f"{path.name} is not valid {encoding}: byte(s) {bad!r} at line {line} "
                    f"(byte offset {offset + exc.start}).",
                    hint=f"Set the file's real encoding in the mapping query, e.g. "
                    f"`encoding: {suggestion}` (or cp1252 for Windows exports), or re-save "
                    f"the file as {encoding}.",
                ) from None
            if final:
                return
            lines += chunk.count(b"\n")
            offset += len(chunk)


def transcode(path: Path, encoding: str, workdir: Path) -> Path:
    """Copy `path` to UTF-8 under `workdir` (the caller removes it)."""
    target = workdir / (path.name + ".utf8")
    with (
        path.open("r", encoding=encoding, newline="") as src,
        target.open("w", encoding="utf-8", newline="") as dst,
    ):
        while True:
            text = src.read(_CHUNK)
            if not text:
                break
            dst.write(text)
    return target


def load_source(
    con: duckdb.DuckDBPyConnection,
    spec: SourceSpec,
    refs: list[str],
    table: str = "src",
    *,
    materialize: bool = True,
) -> int:
    """Create `table` (see module doc) and return its number of records."""
    if not spec.path.is_file():
        raise IngestError(
            f"Input file {spec.path} does not exist.", hint="Check the mapping's csv_url."
        )
    if _is_utf8(spec.encoding):
        # Validate while parsing (both release the GIL). A file that is not UTF-8 is reported
        # as such whatever the parse made of it, as when the check ran first.
        with ThreadPoolExecutor(max_workers=1) as pool:
            valid = pool.submit(_valid_utf8, spec.path)
            try:
                data = _read(con, spec.path, spec, refs)
            except IngestError:
                if not valid.result():
                    check_encoding(spec.path, spec.encoding)
                raise
            if not valid.result():
                check_encoding(spec.path, spec.encoding)
    else:
        check_encoding(spec.path, spec.encoding)
        with tempfile.TemporaryDirectory(prefix="ironriver-ingest-") as tmp:
            data = _read(con, transcode(spec.path, spec.encoding, Path(tmp)), spec, refs)
    data = _with_sanitized(data, refs)
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
    con: duckdb.DuckDBPyConnection, path: Path, spec: SourceSpec, refs: list[str]
) -> pa.Table:
    """`_row` and the `refs` columns of the UTF-8 file at `path` (see module doc)."""
    try:
        if spec.kind == "csv":
            data = _read_csv_arrow(path, spec, refs)
            return data if data is not None else _read_csv_duckdb(con, path, spec, refs)
        return _read_jsonl(con, path, spec, refs)
    except duckdb.Error as exc:
        raise IngestError(
            f"Cannot parse {spec.path.name}: {str(exc).splitlines()[0]}",
            hint="Fix the line named above (a row with the wrong number of fields, an "
            "unclosed quote or an invalid JSON line), then ingest again.",
        ) from None


def drop_source(con: duckdb.DuckDBPyConnection, table: str = "src") -> None:
    """Drop `table` as `load_source` made it (a table, or a view over Arrow)."""
    rows = con.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_name = ?", [table]
    ).fetchall()
    if rows:
        kind = "VIEW" if rows[0][0] == "VIEW" else "TABLE"
        con.execute(f"DROP {kind} {ident(table)}")


def _missing(spec: SourceSpec, missing: list[str], present: list[str]) -> IngestError:
    return IngestError(
        f"{spec.path.name} lacks column(s) the mapping reads: {', '.join(missing)}.",
        hint=f"The file has: {', '.join(present) or '(no columns)'}. Fix the mapping's "
        "column names or the file's header (names are case-sensitive).",
    )


def _read_csv_arrow(path: Path, spec: SourceSpec, refs: list[str]) -> pa.Table | None:
    """`_row` and the `refs` columns as text, read by Arrow; None when the file is one for
    DuckDB's reader (see module doc)."""
    parse = pacsv.ParseOptions(
        delimiter=spec.delimiter,
        quote_char='"',
        double_quote=True,  # as DuckDB's escape = '"'
        escape_char=False,
        newlines_in_values=_has_quote(path),  # only a quoted value can hold a newline
    )
    try:
        with pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(use_threads=False, block_size=_HEADER_BLOCK),
            parse_options=parse,
        ) as head:
            header = head.schema.names
    except (pa.ArrowException, OSError):
        return None
    if len(set(header)) != len(header) or "" in header:
        return None  # DuckDB renames repeated or empty names (a, a_1, column2)
    missing = [r for r in refs if r not in header]
    if missing:
        raise _missing(spec, missing, header)
    convert = pacsv.ConvertOptions(
        include_columns=refs,
        column_types={r: pa.string() for r in refs},
        strings_can_be_null=True,  # empty, quoted or not, is NULL (as in DuckDB)
        quoted_strings_can_be_null=True,
        null_values=[""],
    )
    try:
        raw = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=_PARSE_BLOCK),
            parse_options=parse,
            convert_options=convert,
        )
    except (pa.ArrowException, OSError):
        return None  # DuckDB's reader words the error (with the line)
    n = raw.num_rows
    rows = pa.Array.from_buffers(
        pa.int64(), n, [None, pa.py_buffer(np.arange(1, n + 1, dtype=np.int64))]
    )
    # chunked as the text columns, so DuckDB scans whole record batches in parallel
    lengths = [len(c) for c in raw.column(0).chunks] if raw.num_columns else []
    offsets = np.cumsum([0, *lengths[:-1]])
    row_chunks = [rows.slice(int(o), k) for o, k in zip(offsets, lengths, strict=True)]
    columns = {"_row": pa.chunked_array(row_chunks or [rows], pa.int64())}
    for ref in refs:
        columns[ref] = raw.column(ref)
    return pa.table(columns)


def _with_sanitized(data: pa.Table, refs: list[str]) -> pa.Table:
    """`data` plus `sanitized_name(c)` for every column `c` of `refs`."""
    if not refs:
        return data
    # Arrow's kernels release the GIL: sanitize the columns side by side.
    with ThreadPoolExecutor(max_workers=min(len(refs), os.cpu_count() or 1)) as pool:
        clean = list(pool.map(sanitize_array, [data.column(ref) for ref in refs]))
    for ref, values in zip(refs, clean, strict=True):
        data = data.append_column(sanitized_name(ref), values)
    return data


def _has_quote(path: Path) -> bool:
    """Whether the file holds a quote character (a memchr over a memory map)."""
    with path.open("rb") as fh:
        if fh.seek(0, 2) == 0:
            return False
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            return mm.find(b'"') >= 0


def _csv_header(con: duckdb.DuckDBPyConnection, path: Path, spec: SourceSpec) -> list[str]:
    rel = con.sql(
        f"SELECT * FROM read_csv({literal(str(path))}, all_varchar = true, header = true, "
        f"delim = {literal(spec.delimiter)}, quote = '\"', escape = '\"') LIMIT 0"
    )
    return [str(c) for c in rel.columns]


def _read_csv_duckdb(
    con: duckdb.DuckDBPyConnection, path: Path, spec: SourceSpec, refs: list[str]
) -> pa.Table:
    header = _csv_header(con, path, spec)
    missing = [r for r in refs if r not in header]
    if missing:
        raise _missing(spec, missing, header)
    cols = "".join(f", CAST({ident(r)} AS VARCHAR) AS {ident(r)}" for r in refs)  # after _one,
    # which keeps the SELECT valid when the mapping reads no column
    # Parallel parse into a table; the record number is then its rowid (insertion order is
    # preserved), which avoids a single-threaded row_number() window over the whole file.
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _raw_csv AS SELECT 1 AS _one{cols} "
        f"FROM read_csv({literal(str(path))}, all_varchar = true, header = true, "
        f"delim = {literal(spec.delimiter)}, quote = '\"', escape = '\"')"
    )
    names = "".join(f", {ident(r)}" for r in refs)
    try:
        return _arrow(con, f"SELECT CAST(rowid + 1 AS BIGINT) AS _row{names} FROM _raw_csv")
    finally:
        con.execute("DROP TABLE _raw_csv")


def _read_jsonl(
    con: duckdb.DuckDBPyConnection, path: Path, spec: SourceSpec, refs: list[str]
) -> pa.Table:
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _raw_json AS SELECT CAST(row_number() OVER () AS BIGINT) "
        f"AS _row, json AS _doc FROM read_ndjson_objects({literal(str(path))})"
    )
    bad = con.execute(
        "SELECT min(_row) FROM _raw_json WHERE json_type(_doc) <> 'OBJECT'"
    ).fetchall()
    if bad and bad[0][0] is not None:
        raise IngestError(
            f"{spec.path.name}: record {bad[0][0]} is not a JSON object.",
            hint="Each line of a JSON Lines file must be one {...} object.",
        )
    if refs:
        present = con.execute(
            "SELECT list_distinct(flatten(list(json_keys(_doc)))) FROM _raw_json"
        ).fetchall()
        keys = [str(k) for k in (present[0][0] if present and present[0][0] else [])]
        missing = [r for r in refs if r not in keys]
        if missing:
            raise _missing(spec, missing, sorted(keys))
    # json_extract_string gives text for scalars and JSON text for arrays/objects.
    cols = ", ".join(
        f"json_extract_string(_doc, {literal(_json_path(r))}) AS {ident(r)}" for r in refs
    )
    sep = ", " if cols else ""
    try:
        return _arrow(con, f"SELECT _row{sep}{cols} FROM _raw_json")
    finally:
        con.execute("DROP TABLE _raw_json")


def _json_path(key: str) -> str:
    return '$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _arrow(con: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    """The result of `sql` as Arrow, in batches DuckDB can scan back in parallel."""
    return con.sql(sql).to_arrow_table(_BATCH_ROWS)
