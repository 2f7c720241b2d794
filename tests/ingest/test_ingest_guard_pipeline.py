"""Guards found by mutation testing of `pipeline`: what is checked before any file is read,
what a failed ingest leaves behind, how records are counted and how parts are named."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest
from sales_fixtures import snapshot  # type: ignore[import-not-found]

from ironriver.errors import IngestError, StoreError
from ironriver.ingest import check_mapping, ingest_mapping
from ironriver.policy.markings import Principal
from ironriver.store import Store
from ironriver.store.ledger import LedgerStore

HEAD = "us_cbp_x:\n  agency: CBP\n  country: US\n  marking: AMBER\n  releasable_to: [US]\n"


def _report(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_a_remarked_dataset_is_refused_before_its_files_are_read(
    sqlite_store: Store, sales_dir: Path
) -> None:
    """The stored label is checked before any file is read: a re-marked mapping whose
    file is broken is refused for its marking (what the loader must fix first), not for
    the file, and no error report is written."""
    ingest_mapping(sqlite_store, sales_dir / "sales.yaml", actor="alice")
    before = snapshot(sqlite_store)
    mapping = (sales_dir / "sales.yaml").read_text(encoding="utf-8")
    (sales_dir / "red.yaml").write_text(
        mapping.replace("marking: AMBER", "marking: RED").replace(
            "releasable_to: [US, MX]", "releasable_to: [user:ana]"
        ),
        encoding="utf-8",
    )
    (sales_dir / "sales.csv").write_bytes(b"txn,sold\nT1,\xff\n")  # neither UTF-8 nor complete
    with pytest.raises(StoreError, match="'us_atf_dealer_sales' is stored as"):
        ingest_mapping(sqlite_store, sales_dir / "red.yaml", actor="alice")
    assert snapshot(sqlite_store) == before
    assert not (sales_dir / "red.yaml.errors.csv").exists()


def test_a_successful_ingest_removes_the_stale_report_of_a_failed_one(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """The default report beside the mapping describes its last run: once the file is
    fixed and ingests, a report left by the failed run would point at rows that are fine."""
    (tmp_path / "a.csv").write_text("folio,monto\nA1,10\nA2,diez\n", encoding="utf-8")
    path = tmp_path / "m.yaml"
    path.write_text(
        f"{HEAD}  queries:\n  - csv_url: a.csv\n    ledger:\n      name: crossings\n"
        "      columns:\n        folio: folio\n        monto: {column: monto, type: float}\n",
        encoding="utf-8",
    )
    with pytest.raises(IngestError) as err:
        ingest_mapping(sqlite_store, path, actor="loader")
    report = tmp_path / "m.yaml.errors.csv"
    assert err.value.report_path == str(report)
    assert [(r["row"], r["column"], r["value"]) for r in _report(report)] == [
        ("2", "monto", "diez")
    ]
    (tmp_path / "a.csv").write_text("folio,monto\nA1,10\nA2,12\n", encoding="utf-8")
    result = ingest_mapping(sqlite_store, path, actor="loader")
    assert result.ledger_rows_new == 2 and result.report_path is None
    assert not report.exists()


def test_two_filtered_queries_of_one_file_into_one_ledger_each_add_their_rows(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """Two queries reading one file by different filters into one ledger make two parts:
    were a part named by the file and the ledger only, the second would be taken for the
    first, already written, and its rows silently lost."""
    (tmp_path / "a.csv").write_text(
        "folio,estado,monto\nA1,TX,10\nA2,CA,20\nA3,TX,30\n", encoding="utf-8"
    )
    query = (
        "  - csv_url: a.csv\n    filters: {{estado: {state}}}\n    ledger:\n"
        "      name: crossings\n      columns:\n        folio: folio\n"
        "        monto: {{column: monto, type: float}}\n"
    )
    path = tmp_path / "m.yaml"
    path.write_text(
        HEAD + "  queries:\n" + query.format(state="TX") + query.format(state="CA"),
        encoding="utf-8",
    )
    result = ingest_mapping(sqlite_store, path, actor="loader")
    assert (result.records, result.ledger_rows, result.ledger_rows_new) == (3, 3, 3)
    rel = LedgerStore(sqlite_store.ledger_dir).visible_relation(
        duckdb.connect(), "crossings", Principal("a", "CBP", "US")
    )
    assert rel.order("folio").project("folio").fetchall() == [("A1",), ("A2",), ("A3",)]


def test_a_dry_run_with_skip_invalid_counts_the_ledger_rows_an_ingest_would_keep(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """`check_mapping(skip_invalid=True)` says what an ingest would write: the rejected
    records are not among its ledger rows, in the dry run as in the ingest."""
    (tmp_path / "a.csv").write_text("folio,monto\nA1,10\nA2,diez\nA3,30\nA4,x\n", encoding="utf-8")
    path = tmp_path / "m.yaml"
    path.write_text(
        f"{HEAD}  queries:\n  - csv_url: a.csv\n    ledger:\n      name: crossings\n"
        "      columns:\n        folio: folio\n        monto: {column: monto, type: float}\n",
        encoding="utf-8",
    )
    dry = check_mapping(path, skip_invalid=True, report_path=tmp_path / "dry.csv")
    assert (dry.records, dry.rejected, dry.kept, dry.ledger_rows) == (4, 2, 2, 2)
    result = ingest_mapping(
        sqlite_store, path, actor="loader", skip_invalid=True, report_path=tmp_path / "r.csv"
    )
    assert (result.rejected, result.ledger_rows, result.ledger_rows_new) == (2, 2, 2)
    assert [r["row"] for r in _report(tmp_path / "r.csv")] == ["2", "4"]


def test_the_report_lists_rejections_in_row_order_across_queries(
    sqlite_store: Store, sales_dir: Path
) -> None:
    """sales.yaml reads sales.csv twice (entities, then a ledger): the report lists each
    bad row's problems together, in the file's row order, not query after query."""
    from sales_fixtures import ROWS, write_csv  # type: ignore[import-not-found]

    rows = [list(r) for r in ROWS]
    rows[1][1] = "2023-01-06"
    rows[3][1] = "13/45/2023"
    write_csv(sales_dir / "sales.csv", rows)
    with pytest.raises(IngestError) as err:
        ingest_mapping(sqlite_store, sales_dir / "sales.yaml", actor="alice")
    assert "2 of 4 records rejected" in err.value.message
    # each kind of problem names the first row it was found at
    assert "(first at record 2, header not counted)" in err.value.message
    assert "(first at record 4" not in err.value.message
    report = _report(Path(str(err.value.report_path)))
    assert [(r["file"], r["row"], r["column"]) for r in report] == [
        ("sales.csv", "2", "sold"),
        ("sales.csv", "2", "sold"),
        ("sales.csv", "4", "sold"),
        ("sales.csv", "4", "sold"),
    ]
    assert {r["reason"] for r in report if r["row"] == "2"} == {
        "not a valid date in the format %m/%d/%Y (MM/DD/YYYY): written otherwise, or no such "
        "day (sale.date)",
        "not a valid date in the format %m/%d/%Y (MM/DD/YYYY): written otherwise, or no such "
        "day (ledger dealer_sales.sale_date)",
    }
