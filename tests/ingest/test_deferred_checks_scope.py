"""Which queries leave their ledger's checks to the part's write (`prepare._prepare`'s
`defer`): only a query that fills a ledger alone, without a key. One that also maps entities
must reject a record before its statements are made, and one with a key before its keys are
checked, so their checks run in `prepare`. And what `ledger_parts.ledger_part` writes
around a deferred check: a refused file once, an empty keyless part. (Found by hand
mutants of `_prepare` and `ledger_part`.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sales_fixtures import sales_ledger, snapshot  # type: ignore[import-not-found]

from ironriver.errors import IngestError
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


def test_a_refused_file_s_rows_are_written_once_then_not_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --skip-invalid, a ledger-only file whose write meets a bad row (after two
    batches) is refused having written its part once, stopped there: its checks then run,
    and its rows are not written a second time (the ingest fails with its report)."""
    import ironriver.store.ledger as ledger_module

    rows = "".join(f"T{i},S{i}\n" for i in range(5)) + ",S5\n"
    mapping = sales_ledger(tmp_path, "s.csv", rows)
    writes: list[Path] = []
    real = ledger_module._write_parquet

    def counted(reader: Any, consts: Any, path: Path, *args: Any, **kwargs: Any) -> int:
        writes.append(path)
        return int(real(reader, consts, path, *args, **kwargs))

    monkeypatch.setattr(ledger_module, "ROW_GROUP_ROWS", 2)
    monkeypatch.setattr(ledger_module, "_write_parquet", counted)
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    try:
        with pytest.raises(IngestError, match="1 record of 6 rejected"):
            ingest_mapping(store, mapping, actor="test")
    finally:
        store.close()
    assert len(writes) == 1 and not writes[0].exists()


def test_an_empty_file_into_a_keyless_ledger_writes_its_empty_part(tmp_path: Path) -> None:
    """A file of no rows into a ledger without a key: its part is written, of no rows (the
    columns, and its file named in the footer); only a keyed ledger, whose every key is
    stored, writes no empty part."""
    import pyarrow.parquet as pq

    mapping = sales_ledger(tmp_path, "s.csv", "")
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    try:
        result = ingest_mapping(store, mapping, actor="test")
        parts = sorted(store.ledger_dir.rglob("part-*.parquet"))
    finally:
        store.close()
    assert (result.rejected, result.ledger_rows) == (0, 0)
    assert len(parts) == 1 and pq.read_metadata(parts[0]).num_rows == 0
