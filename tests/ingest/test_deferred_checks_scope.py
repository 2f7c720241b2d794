"""Which queries leave their ledger's checks to the part's write (`prepare._prepare`'s
`defer`): only a query that fills a ledger alone, without a key. One that also maps entities
must reject a record before its statements are made, and one with a key before its keys are
checked, so their checks run in `prepare` (found by hand mutants of the condition)."""

from __future__ import annotations

from pathlib import Path

from sales_fixtures import sales_ledger, snapshot  # type: ignore[import-not-found]

from ironriver.ingest import ingest_mapping
from ironriver.store import open_store


def test_a_record_rejected_by_its_ledger_check_makes_no_entity(tmp_path: Path) -> None:
    """--skip-invalid over a query with entities and a ledger: the record whose ledger value
    fails its check (a missing required `txn`) is left out of both, its person too."""
    mapping = sales_ledger(tmp_path, "s.csv", "T1,P1,Ana\n,P2,Bob\nT3,P3,Eva\n", buyers=True)
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    try:
        result = ingest_mapping(store, mapping, actor="test", skip_invalid=True)
        values = {row[3] for row in snapshot(store)[0]}
    finally:
        store.close()
    assert (result.rejected, result.ledger_rows) == (1, 2)
    assert {"Ana", "Eva"} <= values and "Bob" not in values


def test_a_keyed_ledger_counts_its_kept_rows_once(tmp_path: Path) -> None:
    """--skip-invalid over a keyed ledger with a record its check rejects (a missing
    required `txn`): the rows kept are counted once, and those stored are those kept."""
    mapping = sales_ledger(tmp_path, "s.csv", "T1,S1\n,S2\nT3,S3\n", key=True)
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    try:
        result = ingest_mapping(store, mapping, actor="test", skip_invalid=True)
    finally:
        store.close()
    assert (result.rejected, result.ledger_rows, result.ledger_rows_new) == (1, 2, 2)
