"""Row-level validation of one query: builds the `bad` table of rejected rows.

`bad` has one row per problem: `_row` (record number), `column`, `value`, `reason`. A record
is rejected when any check holds for it:

- duplicate: the record repeats an earlier record in every column the mapping reads
  (the first occurrence is kept; the later ones are rejected, pointing at the first); only
  the records the query's `filters` keep are compared;
- bad value: a non-empty value that does not clean to its property or ledger type
  (e.g. a date that does not match its `format`);
- required: a property or ledger column marked `required: true` has no value.

Structural problems (encoding, missing columns, unparseable lines) are whole-file errors
raised earlier by `source.py`.

`build_bad_table` evaluates all the checks on one table in a single scan of it (the table may
be a view that types its values as it is read), then splits the few matching rows per check.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ironriver.i18n import t
from ironriver.ingest.compile import Check
from ironriver.ingest.sqltext import ident, literal

_ROW = "\x00"  # stands for the row number in a translated template (never in a template)


def duplicate_check_sql(refs: list[str], table: str = "src", where: str = "TRUE") -> str:
    """SELECT of (_row, column, value, reason) for records of `table` repeating an earlier
    one, among the records `where` keeps (a query's `filters`: a record it leaves out is
    never read, so it neither is nor makes a duplicate); the reason is in the current
    language (the row number of the first is joined in by SQL)."""
    cols = ", ".join(ident(r) for r in refs) or "1"
    src = ident(table)
    # Only records whose row hash repeats go through the exact (costly) window.
    candidates = (
        f"hash({cols}) IN (SELECT hash({cols}) FROM {src} WHERE {where} "
        "GROUP BY 1 HAVING count(*) > 1)"
    )
    before, _, after = t("duplicate of row {row}", row=_ROW).partition(_ROW)
    reason = f"{literal(before)} || CAST(_first AS VARCHAR) || {literal(after)}"
    column = literal(t("(all columns)"))
    return (
        f'SELECT _row, {column} AS "column", NULL AS value, '
        f"{reason} AS reason FROM ("
        f"SELECT _row, min(_row) OVER (PARTITION BY {cols}) AS _first FROM {src} "
        f"WHERE ({where}) AND {candidates}) WHERE _row <> _first"
    )


class CheckSelect(str):
    """The SELECT of one check's rejected rows (a str, usable alone), remembering its check
    and table so that `build_bad_table` can evaluate the checks of one table together."""

    check: Check
    table: str

    def __new__(cls, check: Check, table: str) -> CheckSelect:
        sql = (
            f'SELECT _row, {literal(check.column)} AS "column", '
            f"CAST({check.value} AS VARCHAR) AS value, {literal(check.reason)} AS reason "
            f"FROM {ident(table)} WHERE {check.condition}"
        )
        self = super().__new__(cls, sql)
        self.check = check
        self.table = table
        return self


def check_sql(check: Check, table: str) -> CheckSelect:
    """SELECT of (_row, column, value, reason) for the rows of `table` `check` rejects."""
    return CheckSelect(check, table)


def _fused(table: str, checks: list[Check], name: str) -> tuple[str, list[str]]:
    """A CTE scanning `table` once for the rows any of `checks` rejects, and one SELECT per
    check over it."""
    flags = []
    conds = []
    for i, c in enumerate(checks):
        flags.append(
            f"coalesce({c.condition}, FALSE) AS _k{i}, CAST({c.value} AS VARCHAR) AS _v{i}"
        )
        conds.append(f"({c.condition})")
    cte = (
        f"{name} AS MATERIALIZED (SELECT _row, {', '.join(flags)} FROM {ident(table)} "
        f"WHERE {' OR '.join(conds)})"
    )
    selects = [
        f'SELECT _row, {literal(c.column)} AS "column", _v{i} AS value, '
        f"{literal(c.reason)} AS reason FROM {name} WHERE _k{i}"
        for i, c in enumerate(checks)
    ]
    return cte, selects


def build_bad_table(con: duckdb.DuckDBPyConnection, selects: list[str], table: str = "bad") -> int:
    """Create `table` from the UNION of check SELECTs; return the number of rejected records.

    `CheckSelect`s on the same table are evaluated in one scan of it (see module doc)."""
    by_table: dict[str, list[Check]] = {}
    plain: list[str] = []
    for sql in selects:
        if isinstance(sql, CheckSelect):
            by_table.setdefault(sql.table, []).append(sql.check)
        else:
            plain.append(sql)
    ctes: list[str] = []
    parts: list[str] = []
    for i, (name, checks) in enumerate(by_table.items()):
        cte, fused = _fused(name, checks, f"_hits{i}")
        ctes.append(cte)
        parts.extend(fused)
    parts.extend(plain)
    union = (
        "\nUNION ALL\n".join(parts)
        if parts
        else (
            'SELECT CAST(NULL AS BIGINT) AS _row, NULL AS "column", NULL AS value, '
            "NULL AS reason WHERE FALSE"
        )
    )
    with_ = f"WITH {', '.join(ctes)}\n" if ctes else ""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {ident(table)} AS {with_}{union}")
    row = con.execute(f"SELECT count(DISTINCT _row) FROM {ident(table)}").fetchall()
    return int(row[0][0]) if row else 0


def key_conflict_sql(
    columns: list[str], key: list[str], stored: list[Path], table: str = "led"
) -> list[str]:
    """SELECTs of (_row, column, value, reason) for ledger rows of `table` whose `key` (a
    ledger's record key) repeats with other values: an earlier row's of the file, or a row
    the ledger's `stored` parts already hold (rows are kept as first stored; a record
    whose values changed is not a repeat to skip but a conflict to report). Rows with a
    key column empty have no key."""
    keys = ", ".join(ident(k) for k in key)
    named = " AND ".join(f"{ident(k)} IS NOT NULL" for k in key)
    shown = " || '/' || ".join(f"CAST({ident(k)} AS VARCHAR)" for k in key)
    column = literal(", ".join(key))
    cols = ", ".join(ident(c) for c in columns)
    before, _, after = t("key repeats row {row}'s with other values", row=_ROW).partition(_ROW)
    reason = f"{literal(before)} || CAST(_first AS VARCHAR) || {literal(after)}"
    selects = [
        f'SELECT _row, {column} AS "column", {shown} AS value, {reason} AS reason FROM ('
        f"SELECT _row, {keys}, min(_row) OVER (PARTITION BY {keys}) AS _first, "
        f"count(DISTINCT hash({cols})) OVER (PARTITION BY {keys}) AS _versions "
        f"FROM {ident(table)} WHERE {named}) WHERE _versions > 1 AND _row <> _first"
    ]
    if stored:
        files = "[" + ", ".join(literal(str(p)) for p in stored) + "]"
        old = f"read_parquet({files}, union_by_name = true)"
        same = " AND ".join(f"o.{ident(k)} = n.{ident(k)}" for k in key)
        differs = " OR ".join(f"o.{ident(c)} IS DISTINCT FROM n.{ident(c)}" for c in columns)
        stored_reason = literal(t("key already stored with other values"))
        nshown = " || '/' || ".join(f"CAST(n.{ident(k)} AS VARCHAR)" for k in key)
        selects.append(
            f'SELECT n._row, {column} AS "column", {nshown} AS value, {stored_reason} AS reason '
            f"FROM {ident(table)} n WHERE EXISTS (SELECT 1 FROM {old} o WHERE {same} AND "
            f"({differs}))"
        )
    return selects
