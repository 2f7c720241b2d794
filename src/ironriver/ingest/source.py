"""Read a query's source file into a DuckDB table of text columns, one row per record.

The table `src` holds `_row` (the 1-based record number, header not counted) and every
column the mapping reads, all VARCHAR (NULL when empty or absent). Nothing is typed here;
`clean` and `compile` do that in SQL.

Checks made here, each an `IngestError` naming the file and what to fix:
- encoding: the bytes must decode with the query's `encoding` (default utf-8). Invalid bytes
  are reported with their line number and a suggestion of `encoding: latin-1` / `cp1252`.
  Files in another encoding are transcoded to a temporary UTF-8 copy first (DuckDB reads
  UTF-8 only).
- columns: every column the mapping reads must be in the header (CSV) or in some record
  (JSON Lines).
- structure: DuckDB's parser errors (ragged rows, bad JSON) are passed on with their line.
"""

from __future__ import annotations

import codecs
import tempfile
from pathlib import Path

import duckdb

from ironriver.errors import IngestError
from ironriver.ingest.mapping import SourceSpec
from ironriver.ingest.sqltext import ident, literal

_CHUNK = 1 << 24


def check_encoding(path: Path, encoding: str) -> None:
    """Raise `IngestError` at the first byte sequence that is not valid `encoding`."""
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
                suggestion = (
                    "latin-1"
                    if encoding.lower().replace("_", "-") in ("utf-8", "utf8")
                    else "utf-8"
                )
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


def _csv_header(con: duckdb.DuckDBPyConnection, path: Path, spec: SourceSpec) -> list[str]:
    rel = con.sql(
        f"SELECT * FROM read_csv({literal(str(path))}, all_varchar = true, header = true, "
        f"delim = {literal(spec.delimiter)}, quote = '\"', escape = '\"') LIMIT 0"
    )
    return [str(c) for c in rel.columns]


def load_source(
    con: duckdb.DuckDBPyConnection, spec: SourceSpec, refs: list[str], table: str = "src"
) -> int:
    """Create `table` (see module doc) and return its number of records."""
    if not spec.path.is_file():
        raise IngestError(
            f"Input file {spec.path} does not exist.", hint="Check the mapping's csv_url."
        )
    check_encoding(spec.path, spec.encoding)
    with tempfile.TemporaryDirectory(prefix="ironriver-ingest-") as tmp:
        path = spec.path
        if spec.encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
            path = transcode(path, spec.encoding, Path(tmp))
        try:
            if spec.kind == "csv":
                return _load_csv(con, path, spec, refs, table)
            return _load_jsonl(con, path, spec, refs, table)
        except duckdb.Error as exc:
            raise IngestError(
                f"Cannot parse {spec.path.name}: {str(exc).splitlines()[0]}",
                hint="Fix the line named above (a row with the wrong number of fields, an "
                "unclosed quote or an invalid JSON line), then ingest again.",
            ) from None


def _missing(spec: SourceSpec, missing: list[str], present: list[str]) -> IngestError:
    return IngestError(
        f"{spec.path.name} lacks column(s) the mapping reads: {', '.join(missing)}.",
        hint=f"The file has: {', '.join(present) or '(no columns)'}. Fix the mapping's "
        "column names or the file's header (names are case-sensitive).",
    )


def _load_csv(
    con: duckdb.DuckDBPyConnection, path: Path, spec: SourceSpec, refs: list[str], table: str
) -> int:
    header = _csv_header(con, path, spec)
    missing = [r for r in refs if r not in header]
    if missing:
        raise _missing(spec, missing, header)
    cols = ", ".join(f"CAST({ident(r)} AS VARCHAR) AS {ident(r)}" for r in refs)
    # Parallel parse first; the record number is then the table's rowid (insertion order is
    # preserved), which avoids a single-threaded row_number() window over the whole file.
    raw = f"{table}_raw"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {ident(raw)} AS SELECT {cols} "
        f"FROM read_csv({literal(str(path))}, all_varchar = true, header = true, "
        f"delim = {literal(spec.delimiter)}, quote = '\"', escape = '\"')"
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {ident(table)} AS "
        f"SELECT CAST(rowid + 1 AS BIGINT) AS _row, * FROM {ident(raw)}"
    )
    con.execute(f"DROP TABLE {ident(raw)}")
    return _count(con, table)


def _load_jsonl(
    con: duckdb.DuckDBPyConnection, path: Path, spec: SourceSpec, refs: list[str], table: str
) -> int:
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
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {ident(table)} AS SELECT _row{sep}{cols} FROM _raw_json"
    )
    con.execute("DROP TABLE _raw_json")
    return _count(con, table)


def _json_path(key: str) -> str:
    return '$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {ident(table)}").fetchall()
    return int(row[0][0]) if row else 0
