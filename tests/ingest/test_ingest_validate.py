"""build_bad_table: checks on one table evaluated in one scan give the rows each alone gives."""

from __future__ import annotations

import duckdb

from ironriver.ingest.compile import Check
from ironriver.ingest.validate import build_bad_table, check_sql, duplicate_check_sql


def test_fused_checks_equal_separate_selects() -> None:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t AS SELECT * FROM (VALUES (1, 'a', '5'), (2, NULL, 'x'), (3, 'c', NULL), "
        "(4, 'a', '5'), (5, NULL, NULL)) v(_row, s, n)"
    )
    checks = [
        Check("s IS NULL", "s", "NULL", "required value missing"),
        Check("try_cast(n AS INTEGER) IS NULL AND n IS NOT NULL", "n", "n", "not an integer"),
        Check("n = '5'", "n", "n", "five"),  # NULL for rows 3 and 5: not rejected
    ]
    selects = [check_sql(c, "t") for c in checks]
    separate = sorted(
        tuple(r) for sql in selects for r in con.execute(sql).fetchall()
    )  # each SELECT still runs alone
    assert build_bad_table(con, [*selects, duplicate_check_sql(["s", "n"], "t")]) == 4
    got = con.execute('SELECT _row, "column", value, reason FROM bad').fetchall()
    dup = (4, "(all columns)", None, "duplicate of row 1")
    assert sorted(got, key=str) == sorted([*separate, dup], key=str)
    assert (2, "n", "x", "not an integer") in got and (3, "s", None, "five") not in got


def test_no_checks() -> None:
    con = duckdb.connect()
    assert build_bad_table(con, []) == 0
    assert con.execute("SELECT count(*) FROM bad").fetchall() == [(0,)]
