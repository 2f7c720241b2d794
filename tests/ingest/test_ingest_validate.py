"""build_bad_table: checks on one table evaluated in one scan give the rows each alone gives."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ironriver.errors import IngestError
from ironriver.ingest import check_mapping
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


def test_month_first_dates_mapped_day_first_get_a_hint(tmp_path: Path) -> None:
    """The classic binational slip: US month-first dates under a Mexican day-first format.
    The rejected values are tried in other layouts and the one they all read in is named."""
    from ironriver.ingest.report import date_format_hint

    hint = date_format_hint("FECHA", "%d/%m/%Y", ["12/31/2024", "11/25/2023"])
    assert hint is not None and str(hint).startswith("The rejected dates of FECHA read as %m/%d/%Y")
    assert date_format_hint("FECHA", "%d/%m/%Y", ["garbage"]) is None
    assert date_format_hint("FECHA", "%d/%m/%Y", []) is None
    (tmp_path / "d.csv").write_text(
        "folio,fecha\nA1,12/31/2024\nA2,01/02/2024\nA3,11/25/2023\n", encoding="utf-8"
    )
    (tmp_path / "m.yaml").write_text(
        "mx_t:\n  agency: FGR\n  country: MX\n  marking: AMBER\n  queries:\n"
        "  - csv_url: d.csv\n    entities:\n      e:\n        schema: Event\n"
        "        keys: [folio]\n        properties:\n"
        '          date: {column: fecha, format: "%d/%m/%Y"}\n',
        encoding="utf-8",
    )
    with pytest.raises(IngestError) as info:
        check_mapping(tmp_path / "m.yaml")
    assert "read as %m/%d/%Y (e.g. '12/31/2024'), not %d/%m/%Y" in str(info.value.hint)
    assert "se leen como %m/%d/%Y" in info.value.render("es")
    # one odd date among twenty is a typo, not a file written month-first: no such hint
    rows = "".join(f"A{i},{i + 1:02d}/01/2024\n" for i in range(19))
    (tmp_path / "d.csv").write_text(f"folio,fecha\n{rows}B1,12/31/2024\n", encoding="utf-8")
    with pytest.raises(IngestError) as info:
        check_mapping(tmp_path / "m.yaml")
    assert "1 record of 20 rejected" in info.value.message
    assert "read as" not in str(info.value.hint)
