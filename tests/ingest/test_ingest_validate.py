"""build_bad_table: checks on one table evaluated in one scan give the rows each alone gives."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ironriver.errors import IngestError
from ironriver.ingest import check_mapping
from ironriver.ingest.mapping import load_mapping
from ironriver.ingest.prepare import Prepared, prepare_query
from ironriver.ingest.record_checks import Check
from ironriver.ingest.report import ErrorReport
from ironriver.ingest.validate import (
    CheckSelect,
    build_bad_table,
    check_sql,
    duplicate_check_sql,
    hashes_repeat,
    separating_columns,
)
from ironriver.progress import no_progress


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


_ROWS = st.lists(
    st.tuples(*[st.sampled_from(["a", "b", "ab", None]) for _ in range(4)]), max_size=40
)


@settings(max_examples=150, deadline=None)
@given(rows=_ROWS, narrow=st.lists(st.sampled_from(["w", "x", "y", "z"]), unique=True))
def test_duplicates_narrowed_to_some_columns_are_all_the_duplicates(
    rows: list[tuple[str | None, ...]], narrow: list[str]
) -> None:
    """Narrowing the comparison to records that repeat in some columns finds exactly the
    records that repeat an earlier one in every column (NULL equal to NULL), pointing at the
    first, with or without a filter."""
    con = duckdb.connect()
    con.execute("CREATE TABLE t (_row BIGINT, w VARCHAR, x VARCHAR, y VARCHAR, z VARCHAR)")
    if rows:
        con.executemany(
            "INSERT INTO t VALUES (?, ?, ?, ?, ?)", [(i, *r) for i, r in enumerate(rows, 1)]
        )
    refs = ["w", "x", "y", "z"]
    for where, keep in (
        ("TRUE", lambda r: True),
        ("w IS DISTINCT FROM 'b'", lambda r: r[0] != "b"),
    ):
        first: dict[tuple[str | None, ...], int] = {}
        expected = set()
        for i, r in enumerate(rows, 1):
            if keep(r):
                if r in first:
                    expected.add((i, f"duplicate of row {first[r]}"))
                first.setdefault(r, i)
        got = con.execute(duplicate_check_sql(refs, "t", where, narrow)).fetchall()
        assert {(r[0], r[3]) for r in got} == expected
        assert len(got) == len(expected)
        # the pre-check that spares an ingest this one: no repeated hash, no duplicate
        kept = [tuple(r[refs.index(c)] for c in narrow or refs) for r in rows if keep(r)]
        repeat = hashes_repeat(con, narrow or refs, "t", where)
        assert repeat == (len(set(kept)) < len(kept))  # (no hash collision among these)
        assert repeat or not expected


def test_separating_columns_pick_the_fewest_that_tell_records_apart() -> None:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t AS SELECT i AS _row, 'T' || i AS txn, CAST(i % 3 AS VARCHAR) AS make, "
        "CAST(i % 7 AS VARCHAR) AS a, CAST(i // 7 AS VARCHAR) AS c FROM range(1, 5000) r(i)"
    )
    assert separating_columns(con, ["make", "txn", "a"], "t") == ["txn"]
    # no one column tells the records apart, two do (i = 7 * c + a), most distinct first
    assert separating_columns(con, ["make", "a", "c"], "t") == ["c", "a"]
    # only all columns together tell them apart (here: none repeats at all): none is picked
    con.execute(
        "CREATE TABLE u AS SELECT i AS _row, CAST(i % 2 AS VARCHAR) AS p, "
        "CAST(i // 2 AS VARCHAR) AS q FROM range(1, 100) r(i)"
    )
    assert separating_columns(con, ["p", "q"], "u") == []
    # with a filter, the records it keeps are the sample
    assert separating_columns(con, ["make", "a"], "t", "make = '0'") == ["a"]
    assert separating_columns(con, ["txn"], "t") == []


def test_records_a_filter_leaves_out_are_no_duplicates_when_narrowed() -> None:
    """Records the filter leaves out are never compared, also when the kept records repeat in
    the narrowing column (review R15, mutant D05: the filter dropped from the narrowed set)."""
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t AS SELECT * FROM (VALUES (1, 'a', '1', 'p'), (2, 'a', '1', 'q'), "
        "(3, 'b', '1', 'r'), (4, 'b', '1', 'r')) v(_row, w, x, y)"
    )
    where = "w IS DISTINCT FROM 'b'"
    assert con.execute(duplicate_check_sql(["w", "x", "y"], "t", where, ["x"])).fetchall() == []
    # without the filter, row 4 repeats row 3
    got = con.execute(duplicate_check_sql(["w", "x", "y"], "t", "TRUE", ["x"])).fetchall()
    assert [(r[0], r[3]) for r in got] == [(4, "duplicate of row 3")]


def _prepared(tmp_path: Path, csv: str) -> Prepared:
    (tmp_path / "d.csv").write_text(csv, encoding="utf-8")
    (tmp_path / "m.yaml").write_text(
        "t:\n  agency: ATF\n  country: US\n  marking: AMBER\n  queries:\n"
        "  - csv_url: d.csv\n    ledger:\n      name: sales\n      columns:\n"
        "        txn: {column: txn, type: string}\n        make: {column: make, type: string}\n",
        encoding="utf-8",
    )
    (mapping,) = load_mapping(tmp_path / "m.yaml")
    return prepare_query(mapping, mapping.queries[0], ErrorReport(), False, no_progress, 1024, None)


def test_the_exact_duplicate_check_runs_only_for_a_file_with_repeated_hashes(
    tmp_path: Path,
) -> None:
    """The duplicate check (a hash aggregate over every record, then a window over those that
    repeat) is left out of a file whose records all differ in the columns it compares first
    (`hashes_repeat`: a sort in NumPy, a quarter of its CPU): it could reject none."""
    distinct = _prepared(tmp_path, "txn,make\nT1,Glock\nT2,Glock\nT3,Colt\n")
    try:
        assert distinct.rejected == 0
        assert all(isinstance(c, CheckSelect) for c in distinct.checks)  # no duplicate check
    finally:
        distinct.con.close()
    repeated = _prepared(tmp_path, "txn,make\nT1,Glock\nT2,Glock\nT1,Glock\n")
    try:
        assert repeated.rejected == 1
        got = repeated.con.execute("SELECT _row, reason FROM bad").fetchall()
        assert got == [(3, "duplicate of row 1")]
    finally:
        repeated.con.close()
