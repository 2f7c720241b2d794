"""Row-level validation of one query: builds the `bad` table of rejected rows.

`bad` has one row per problem: `_row` (record number), `column`, `value`, `reason`. A record
is rejected when any check holds for it:

- duplicate: the record repeats an earlier record in every column the mapping reads
  (the first occurrence is kept; the later ones are rejected, pointing at the first);
- bad value: a non-empty value that does not clean to its property or ledger type
  (e.g. a date that does not match its `format`);
- required: a property or ledger column marked `required: true` has no value.

Structural problems (encoding, missing columns, unparseable lines) are whole-file errors
raised earlier by `source.py`.
"""

from __future__ import annotations

import duckdb

from ironriver.ingest.compile import Check
from ironriver.ingest.sqltext import ident, literal


def duplicate_check_sql(refs: list[str], table: str = "src") -> str:
    """SELECT of (_row, column, value, reason) for records repeating an earlier one."""
    cols = ", ".join(ident(r) for r in refs) or "1"
    src = ident(table)
    # Only records whose row hash repeats go through the exact (costly) window.
    candidates = f"hash({cols}) IN (SELECT hash({cols}) FROM {src} GROUP BY 1 HAVING count(*) > 1)"
    return (
        "SELECT _row, '(all columns)' AS \"column\", NULL AS value, "
        "'duplicate of row ' || CAST(_first AS VARCHAR) AS reason FROM ("
        f"SELECT _row, min(_row) OVER (PARTITION BY {cols}) AS _first FROM {src} "
        f"WHERE {candidates}) WHERE _row <> _first"
    )


def check_sql(check: Check, table: str) -> str:
    return (
        f'SELECT _row, {literal(check.column)} AS "column", CAST({check.value} AS VARCHAR) AS value, '
        f"{literal(check.reason)} AS reason FROM {ident(table)} WHERE {check.condition}"
    )


def build_bad_table(con: duckdb.DuckDBPyConnection, selects: list[str], table: str = "bad") -> int:
    """Create `table` from the UNION of check SELECTs; return the number of rejected records."""
    union = (
        "\nUNION ALL\n".join(selects)
        if selects
        else (
            'SELECT CAST(NULL AS BIGINT) AS _row, NULL AS "column", NULL AS value, '
            "NULL AS reason WHERE FALSE"
        )
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE {ident(table)} AS {union}")
    row = con.execute(f"SELECT count(DISTINCT _row) FROM {ident(table)}").fetchall()
    return int(row[0][0]) if row else 0
