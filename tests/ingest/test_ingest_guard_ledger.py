"""Guards found by mutation testing of ledger ingest (`validate`, `pipeline`, `compile`):
each test fails if one check is skipped or weakened."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from ironriver.errors import IngestError
from ironriver.ingest import ingest_mapping
from ironriver.policy.markings import Principal
from ironriver.store import Store
from ironriver.store.ledger import LedgerStore

HEAD = "us_cbp_x:\n  agency: CBP\n  country: US\n  marking: AMBER\n  releasable_to: [US]\n"


def _report(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _mapping(tmp_path: Path, csv_name: str, columns: str, key: str | None = None) -> Path:
    path = tmp_path / "m.yaml"
    keyed = f"      key: {key}\n" if key else ""
    path.write_text(
        f"{HEAD}  queries:\n  - csv_url: {csv_name}\n    ledger:\n      name: crossings\n"
        f"{keyed}      columns:\n{columns}",
        encoding="utf-8",
    )
    return path


def _rows(store: Store, order: str) -> list[tuple[object, ...]]:
    rel = LedgerStore(store.ledger_dir).visible_relation(
        duckdb.connect(), "crossings", Principal("a", "CBP", "US")
    )
    return [tuple(r) for r in rel.order(order).project("folio, monto").fetchall()]


def test_records_with_an_empty_key_never_conflict(sqlite_store: Store, tmp_path: Path) -> None:
    """A record whose key column is empty has no key: two such records with different
    values are not one key 'repeated with other values', and both are appended."""
    (tmp_path / "w.csv").write_text("folio,monto\nA1,10\n,20\n,30\nA2,40\n", encoding="utf-8")
    cols = "        folio: folio\n        monto: {column: monto, type: float}\n"
    path = _mapping(tmp_path, "w.csv", cols, key="folio")
    result = ingest_mapping(sqlite_store, path, actor="loader")
    assert (result.rejected, result.ledger_rows, result.ledger_rows_new) == (0, 4, 4)
    assert _rows(sqlite_store, "monto") == [
        ("A1", 10.0),
        (None, 20.0),
        (None, 30.0),
        ("A2", 40.0),
    ]


def test_a_key_added_to_a_ledger_whose_parts_lack_its_column(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A ledger first written without a key, whose mapping then gains a column and makes
    it the key: no stored part holds the key, so every record of the file is new (not a
    crash comparing a key column the parts do not have)."""
    (tmp_path / "a.csv").write_text("folio,ref,monto\nA1,R1,10\nA2,R2,20\n", encoding="utf-8")
    plain = "        folio: folio\n        monto: {column: monto, type: float}\n"
    path = _mapping(tmp_path, "a.csv", plain)
    assert ingest_mapping(sqlite_store, path, actor="loader").ledger_rows_new == 2
    (tmp_path / "b.csv").write_text("folio,ref,monto\nA1,R1,10\nA3,R3,30\n", encoding="utf-8")
    path = _mapping(tmp_path, "b.csv", plain + "        ref: ref\n", key="ref")
    result = ingest_mapping(sqlite_store, path, actor="loader")
    assert (result.rejected, result.ledger_rows, result.ledger_rows_new) == (0, 2, 2)
    again = ingest_mapping(sqlite_store, path, actor="loader")  # now the parts hold `ref`
    assert (again.ledger_rows, again.ledger_rows_new) == (2, 0)


def test_a_ledger_date_format_naming_months_reads_spanish_ones(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """Mexican agencies write `12-ENE-2024`: a ledger date whose format names months (%b)
    reads Spanish month names as well as English ones."""
    (tmp_path / "w.csv").write_text(
        "folio,fecha\nA1,12-ENE-2024\nA2,05-dic-2023\nA3,01-Mar-2024\n", encoding="utf-8"
    )
    cols = '        folio: folio\n        fecha: {column: fecha, type: date, format: "%d-%b-%Y"}\n'
    result = ingest_mapping(sqlite_store, _mapping(tmp_path, "w.csv", cols), actor="loader")
    assert (result.rejected, result.ledger_rows_new) == (0, 3)
    rel = LedgerStore(sqlite_store.ledger_dir).visible_relation(
        duckdb.connect(), "crossings", Principal("a", "CBP", "US")
    )
    got = rel.order("folio").project("folio, CAST(fecha AS VARCHAR)").fetchall()
    assert got == [("A1", "2024-01-12"), ("A2", "2023-12-05"), ("A3", "2024-03-01")]


def test_a_key_column_whose_type_the_mapping_changed_is_compared_as_text(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """`monto` was stored as an integer; the mapping now reads it as text. A record of a
    stored key whose monto is no number ('diez') is a conflict to report, not a failed cast
    of the stored value; the same key and value again is no conflict."""
    (tmp_path / "a.csv").write_text("folio,monto\nA1,10\n", encoding="utf-8")
    path = _mapping(
        tmp_path,
        "a.csv",
        "        folio: folio\n        monto: {column: monto, type: integer}\n",
        "folio",
    )
    assert ingest_mapping(sqlite_store, path, actor="loader").ledger_rows_new == 1
    (tmp_path / "b.csv").write_text("folio,monto\nA1,diez\nA2,20\n", encoding="utf-8")
    path = _mapping(tmp_path, "b.csv", "        folio: folio\n        monto: monto\n", "folio")
    with pytest.raises(IngestError) as err:
        ingest_mapping(sqlite_store, path, actor="loader")
    assert "1 record of 2 rejected" in err.value.message
    [bad] = _report(tmp_path / "m.yaml.errors.csv")
    assert (bad["row"], bad["value"], bad["reason"]) == (
        "1",
        "A1",
        "key already stored with other values",
    )
    (tmp_path / "b.csv").write_text("folio,monto\nA1,10\nA2,20\n", encoding="utf-8")
    result = ingest_mapping(sqlite_store, path, actor="loader")
    assert (result.rejected, result.ledger_rows, result.ledger_rows_new) == (0, 2, 1)


def test_a_value_whose_type_the_mapping_changed_is_the_same_value(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """`monto` was stored as text ('10', '10.50'); the mapping now reads it as a float. The
    same records again are no conflict: 10.0 is the stored '10', though its text is '10.0'
    (they were compared as texts and refused). A value that did change still is one."""
    (tmp_path / "a.csv").write_text("folio,monto\nA1,10\nA2,10.50\n", encoding="utf-8")
    path = _mapping(tmp_path, "a.csv", "        folio: folio\n        monto: monto\n", "folio")
    assert ingest_mapping(sqlite_store, path, actor="loader").ledger_rows_new == 2
    floats = "        folio: folio\n        monto: {column: monto, type: float}\n"
    (tmp_path / "b.csv").write_text("folio,monto\nA1,10\nA2,10.5\nA3,7\n", encoding="utf-8")
    result = ingest_mapping(sqlite_store, _mapping(tmp_path, "b.csv", floats, "folio"), actor="l")
    assert (result.rejected, result.ledger_rows, result.ledger_rows_new) == (0, 3, 1)
    (tmp_path / "c.csv").write_text("folio,monto\nA1,11\n", encoding="utf-8")
    with pytest.raises(IngestError, match="1 record of 1 rejected"):
        ingest_mapping(sqlite_store, _mapping(tmp_path, "c.csv", floats, "folio"), actor="l")


def test_a_key_whose_type_the_mapping_changed_is_the_same_key(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """The key itself stored as text ('7') and now read as a float (7.0, whose text is
    '7.0'): the record is already stored, not a new key appended a second time."""
    (tmp_path / "a.csv").write_text("folio,monto\n7,x\n", encoding="utf-8")
    path = _mapping(tmp_path, "a.csv", "        folio: folio\n        monto: monto\n", "folio")
    assert ingest_mapping(sqlite_store, path, actor="loader").ledger_rows_new == 1
    cols = "        folio: {column: folio, type: float}\n        monto: monto\n"
    (tmp_path / "b.csv").write_text("folio,monto\n7,x\n8,y\n", encoding="utf-8")
    result = ingest_mapping(sqlite_store, _mapping(tmp_path, "b.csv", cols, "folio"), actor="l")
    assert (result.rejected, result.ledger_rows, result.ledger_rows_new) == (0, 2, 1)


def test_a_retyped_column_is_read_by_the_ingests_own_parser(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A stored text is read as the new type as a record would be: '12.5' is no whole
    number (DuckDB's cast rounds it to 13, which made a changed value look unchanged), and
    an empty key equals no stored empty key (such records are always appended)."""
    (tmp_path / "a.csv").write_text("folio,monto\nK1,12.5\n,1\n", encoding="utf-8")
    path = _mapping(tmp_path, "a.csv", "        folio: folio\n        monto: monto\n", "folio")
    assert ingest_mapping(sqlite_store, path, actor="loader").ledger_rows_new == 2
    ints = "        folio: folio\n        monto: {column: monto, type: integer}\n"
    (tmp_path / "b.csv").write_text("folio,monto\nK1,13\n", encoding="utf-8")
    with pytest.raises(IngestError, match="1 record of 1 rejected"):
        ingest_mapping(sqlite_store, _mapping(tmp_path, "b.csv", ints, "folio"), actor="l")
    (tmp_path / "c.csv").write_text("folio,monto\n,1\n", encoding="utf-8")
    result = ingest_mapping(sqlite_store, _mapping(tmp_path, "c.csv", ints, "folio"), actor="l")
    assert (result.rejected, result.ledger_rows_new) == (0, 1)


def test_a_ledger_boolean_reads_spanish_yes(sqlite_store: Store, tmp_path: Path) -> None:
    """Mexican exports write sí/si for yes: a ledger boolean reads them as true (and
    rejects what is neither yes nor no)."""
    (tmp_path / "w.csv").write_text(
        "folio,armado\nA1,sí\nA2,SI\nA3,no\nA4,quizá\n", encoding="utf-8"
    )
    cols = "        folio: folio\n        armado: {column: armado, type: boolean}\n"
    report = tmp_path / "r.csv"
    result = ingest_mapping(
        sqlite_store,
        _mapping(tmp_path, "w.csv", cols),
        actor="loader",
        skip_invalid=True,
        report_path=report,
    )
    assert (result.rejected, result.ledger_rows_new) == (1, 3)
    assert [(r["row"], r["value"]) for r in _report(report)] == [("4", "quizá")]
    rel = LedgerStore(sqlite_store.ledger_dir).visible_relation(
        duckdb.connect(), "crossings", Principal("a", "CBP", "US")
    )
    got = rel.order("folio").project("folio, armado").fetchall()
    assert got == [("A1", True), ("A2", True), ("A3", False)]
