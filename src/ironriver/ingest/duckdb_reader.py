"""Source files read by DuckDB's reader into a table: JSON Lines files, and the CSV files
Arrow's reader refuses (`arrow_csv.py`). `raw_table` parses the file and returns the table
and the SELECT of `_row` and the columns a query reads (as text; for a JSON list or object,
also its kind and items, which `source` sanitises and joins).

A CSV file is read with the query's dialect and the header's columns by position, nothing
sniffed (no column renamed, no comment mark guessed); its errors are said plainly with their
line (`malformed.reader_error`). A JSON Lines record must be one object naming each key
once, and every key the mapping reads must be in some record; keys differing from a mapped
one only in case are counted (`CaseMiss`), for the ingest's notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from ironriver.errors import IngestError
from ironriver.i18n import msg
from ironriver.ingest.clean import json_kind_name
from ironriver.ingest.header import (
    check_header,
    csv_header,
    missing_error,
    title_above,
    title_error,
)
from ironriver.ingest.malformed import reader_error
from ironriver.ingest.specs import SourceSpec
from ironriver.sqltext import ident, literal

_MIB = 1 << 20
MAX_RECORD_BYTES = 128 * _MIB
"""The longest CSV record read (DuckDB's reader takes 2 MB by default, which a long narrative
field can pass; Arrow's reader hands such a file over to it)."""


def raw_table(
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


def _raw_csv(con: duckdb.DuckDBPyConnection, path: Path, spec: SourceSpec, refs: list[str]) -> str:
    # A title above the header is refused even when the mapping reads its text as a column
    # name: Excel pads a title to the sheet's width (`REPORTE;;;;`), so its empty names send
    # the file here, and its records, the header's names first, would load under the title.
    row = title_above(path, spec)
    if row is not None:
        raise title_error(spec, row)
    header = csv_header(path, spec)
    check_header(spec, header, refs)
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
    # Not a TEMP table: `source._load_streamed` reads it through a second connection.
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
    # Not a TEMP table: `source._load_streamed` reads it through a second connection.
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
            raise missing_error(spec, missing, sorted(keys), read=refs)
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


ITEMS_PREFIX = "__items__:"  # a JSON list's values as read, until `source._with_sanitized`


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
    as text (`ITEMS_PREFIX`), which `source._with_sanitized` sanitizes and joins."""
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
        f"THEN json_extract_string(_doc, {path} || '[*]') END AS {ident(ITEMS_PREFIX + ref)}",
    ]


def _json_path(key: str) -> str:
    return '$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'
