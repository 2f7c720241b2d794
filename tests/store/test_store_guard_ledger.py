"""Guards on ledgers found missing by mutation testing, with real Parquet parts and DuckDB:
the visibility filter holds row by row (not only file by file), and a part's name covers its
access label, so the same rows under another label are another part, not a no-op.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ironriver.errors import StoreError
from ironriver.policy.markings import AccessLabel, Marking, Principal
from ironriver.store.ledger import LedgerStore
from ironriver.store.ledger_records import PARTS_KEY, recover_parts

US_ONLY = AccessLabel("ATF", "US", Marking.AMBER, frozenset({"US"}))
MX_TOO = AccessLabel("ATF", "US", Marking.AMBER, frozenset({"US", "MX"}))
FGR = Principal("f", "FGR", "MX")


def _rids(store: LedgerStore, principal: Principal) -> list[int]:
    rel = store.visible_relation(duckdb.connect(), "crossings", principal)
    return sorted(int(r[0]) for r in rel.project("rid").fetchall())


def test_a_part_holding_two_labels_shows_only_the_visible_rows(tmp_path: Path) -> None:
    """Parts written by `LedgerStore` carry one label each; one that does not (copied in by
    hand, or by another tool) is still filtered row by row: the file being visible for one
    of its labels does not show the rows of the other."""
    store = LedgerStore(tmp_path)
    store.write("us_atf", "crossings", MX_TOO, pa.table({"rid": [1, 2]}))
    [part] = store.parts("us_atf", "crossings")
    written = pq.read_table(part)
    hidden = written.slice(0, 1).set_column(
        written.schema.get_field_index("_releasable_to"), "_releasable_to", pa.array(["US"])
    )
    hidden = hidden.set_column(hidden.schema.get_field_index("rid"), "rid", pa.array([3]))
    mixed = pa.concat_tables([written.cast(hidden.schema), hidden])
    pq.write_table(mixed, part.with_name("part-mixed.parquet"))
    assert _rids(store, FGR) == [1, 1, 2, 2]  # both files' MX-releasable rows, not rid 3
    assert _rids(store, Principal("a", "ATF", "US")) == [1, 1, 2, 2, 3]


def _mixed_part(store: LedgerStore) -> tuple[Path, Path]:
    """us_atf's crossings: a part of rows 1 and 2 released to the US and MX, and a part
    holding the same rows and a row 3 released to the US only (two labels in one file, as
    `test_a_part_holding_two_labels_shows_only_the_visible_rows` writes it)."""
    store.write("us_atf", "crossings", MX_TOO, pa.table({"rid": [1, 2]}))
    [part] = store.parts("us_atf", "crossings")
    written = pq.read_table(part)
    at = written.schema.get_field_index
    hidden = written.slice(0, 1).set_column(
        at("_releasable_to"), "_releasable_to", pa.array(["US"])
    )
    hidden = hidden.set_column(at("rid"), "rid", pa.array([3]))
    mixed = part.with_name("part-mixed.parquet")
    pq.write_table(pa.concat_tables([written.cast(hidden.schema), hidden]), mixed)
    return part, mixed


def test_a_part_holding_a_hidden_label_is_not_the_principals_to_retract(tmp_path: Path) -> None:
    """Review R15 (mutants R03, R07): a part of which a principal sees some rows only is
    not among its parts (`visible_parts`: what a retraction or a replacing ingest may
    take away), and the principal does not see all of it (`sees_all`)."""
    store = LedgerStore(tmp_path)
    part, mixed = _mixed_part(store)
    atf = Principal("a", "ATF", "US")
    assert [p.path for p in store.visible_parts("us_atf", "crossings", FGR)] == [part]
    assert [p.path for p in store.visible_parts("us_atf", "crossings", atf)] == sorted(
        [part, mixed]
    )
    assert store.sees_all([part], FGR) and not store.sees_all([mixed], FGR)
    assert not store.sees_all([part, mixed], FGR) and store.sees_all([part, mixed], atf)


def test_a_row_group_of_released_and_unreleased_rows_is_counted_by_its_rows(
    tmp_path: Path,
) -> None:
    """Review R15 (mutant R06): a row group (of a part not written by `LedgerStore`) whose
    GREEN rows are some released to the US only, some to everyone (no releasable_to: NULL)
    does not tell one label in its footer: its rows are read, and FGR's count is of the
    row it may see, as its read is."""
    store = LedgerStore(tmp_path)
    store.write(
        "us_atf",
        "crossings",
        AccessLabel("ATF", "US", Marking.GREEN, frozenset()),
        pa.table({"rid": [1, 2]}),
    )
    [part] = store.parts("us_atf", "crossings")
    written = pq.read_table(part)
    at = written.schema.get_field_index("_releasable_to")
    pq.write_table(
        written.set_column(at, "_releasable_to", pa.array([None, "US"], pa.string())), part
    )
    assert pq.ParquetFile(part).metadata.num_row_groups == 1
    assert _rids(store, FGR) == [1]
    assert store.visible_counts(FGR).rows == {("us_atf", "crossings"): 1}
    assert store.visible_counts(Principal("c", "CBP", "US")).rows == {("us_atf", "crossings"): 2}


def test_the_same_rows_under_another_label_are_another_part(tmp_path: Path) -> None:
    """With an `identity` (the source file's digest and mapping) the part's name is known
    before writing, so a part of that name is reused: the label must be in the name, or a
    re-labelled ingest would silently keep the rows under the old label."""
    store = LedgerStore(tmp_path)
    con = duckdb.connect()
    con.register("src", pa.table({"rid": [7, 8]}))
    sql = "SELECT rid, NULL::VARCHAR AS _source_ref FROM src"
    first = store.prepare_query(con, sql, "us_atf", "crossings", US_ONLY, identity="file:abc")
    assert first.commit() == 2
    again = store.prepare_query(con, sql, "us_atf", "crossings", US_ONLY, identity="file:abc")
    assert again.existed and again.commit() == 0  # the same identity and label: a no-op
    other = store.prepare_query(con, sql, "us_atf", "crossings", MX_TOO, identity="file:abc")
    assert not other.existed and other.commit() == 2
    assert len(store.parts("us_atf", "crossings")) == 2
    assert _rids(store, FGR) == [7, 8]  # the rows FGR may see: those released to MX


def test_a_write_that_fails_midway_leaves_no_part_and_no_scratch(tmp_path: Path) -> None:
    """A part appears whole or not at all: rows that fail after the first ones were written
    (DuckDB computes them as the writer encodes) leave neither a part nor the scratch file,
    and the ledger reads as before."""
    store = LedgerStore(tmp_path)
    store.write("us_atf", "crossings", US_ONLY, pa.table({"rid": [1]}))
    sql = (
        "SELECT CASE WHEN i < 300000 THEN i ELSE error('boom') END AS rid, "
        "NULL::VARCHAR AS _source_ref FROM range(400000) t(i)"
    )
    with pytest.raises(Exception, match="boom"):
        store.prepare_query(duckdb.connect(), sql, "us_atf", "crossings", US_ONLY)
    folder = tmp_path / "us_atf" / "crossings"
    assert [p.name for p in folder.iterdir()] == [store.parts("us_atf", "crossings")[0].name]
    assert _rids(store, Principal("a", "ATF", "US")) == [1]


def test_of_two_identical_pending_parts_the_second_commit_adds_nothing(tmp_path: Path) -> None:
    """Two ingests of the same rows, both prepared before either commits: the first puts
    the part in place, the second finds it there and reports no rows added (an ingest's
    count of new rows), leaving no scratch file."""
    store = LedgerStore(tmp_path)
    rows = pa.table({"rid": [1, 2, 3]})
    first = store.prepare("us_atf", "crossings", US_ONLY, rows)
    second = store.prepare("us_atf", "crossings", US_ONLY, rows)
    assert first.tmp is not None and second.tmp is not None and first.tmp != second.tmp
    assert first.final == second.final
    assert first.commit() == 3
    assert second.commit() == 0
    folder = tmp_path / "us_atf" / "crossings"
    assert [p.name for p in folder.iterdir()] == [first.final.name]


def test_recovery_leaves_a_live_writers_committed_part_to_it(tmp_path: Path) -> None:
    """Recovery renames the committed parts of *killed* ingests: a live one, between its
    commit and its rename, renames its own part and reports its rows."""
    details: list[dict[str, object]] = []
    store = LedgerStore(tmp_path, lambda: details)
    pending = store.prepare("us_atf", "crossings", US_ONLY, pa.table({"rid": [1, 2]}))
    details.append({PARTS_KEY: [pending.pending_names(tmp_path)]})  # its ingest committed
    assert recover_parts(tmp_path, lambda: details) == 0
    assert pending.tmp is not None and pending.tmp.exists() and not pending.final.exists()
    assert pending.commit() == 2
    assert _rids(store, Principal("a", "ATF", "US")) == [1, 2]


def test_a_label_spelled_in_lower_case_is_the_same_label(tmp_path: Path) -> None:
    """Agencies and countries are upper-cased in a part's label columns, as in the store:
    the same rows declared as `atf`/`us` and as `ATF`/`US` are one part, not twice the rows."""
    store = LedgerStore(tmp_path)
    rows = pa.table({"rid": [1, 2]})
    lower = AccessLabel("atf", "us", Marking.AMBER, frozenset({"US"}))
    assert store.write("us_atf", "crossings", lower, rows) == 2
    assert store.write("us_atf", "crossings", US_ONLY, rows) == 0
    rel = store.visible_relation(duckdb.connect(), "crossings", Principal("a", "ATF", "US"))
    assert rel.project("_owner_agency, _owner_country").distinct().fetchall() == [("ATF", "US")]


@pytest.mark.parametrize("column", ["_marking", "_releasable_to", "_owner_agency", "_part"])
def test_a_table_cannot_bring_its_own_label_columns(tmp_path: Path, column: str) -> None:
    """A column named like the hidden label columns (or `_part`) would stand beside the
    part's real label: refused, and nothing is written."""
    store = LedgerStore(tmp_path)
    rows = pa.table({"rid": [1], column: ["CLEAR"]})
    with pytest.raises(StoreError, match=f"Ledger column '{column}' is reserved"):
        store.write("us_atf", "crossings", US_ONLY, rows)
    assert store.parts("us_atf", "crossings") == []
