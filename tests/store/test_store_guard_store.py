"""Guards on the statement store found missing by mutation testing, on a real SQLite file
store: a retraction is a tombstone that no re-ingest, staged (the bulk path) or direct,
brings back.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pytest
from sqlalchemy import text

from ironriver.errors import StoreError
from ironriver.policy import AccessLabel, View
from ironriver.store import DatasetInfo, Store, open_store
from ironriver.store.ids import statement_id
from samples import ATF, US, US_ROWS, table

SERIAL = ("g1", "Firearm", "serialNumber", "ABC123")


@pytest.fixture
def file_store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}", ledger_dir=tmp_path / "ledgers")
    yield store
    store.close()


def _staged_rows() -> pa.Table:
    """The US sample as the ingest stages it: one source file, a row number each."""
    t = table(US.name, US_ROWS).drop_columns(["source_ref"])
    return t.append_column("source_row", pa.array(range(2, len(US_ROWS) + 2), pa.int64()))


def _stage_us(store: Store) -> int:
    rows = _staged_rows()
    with store.stage() as stage:
        stage.add(US.name, US.label, "us.csv", lambda: iter([rows]))
        assert stage.file_backed  # the SQLite bulk path: INSERT ... SELECT from the side file
        with store.writer(stage=stage) as w:
            w.ensure_dataset(US)
            return w.add_staged(stage)


def _retracted(store: Store, sid: str) -> bool:
    with store.engine.connect() as conn:
        query = text("SELECT retracted FROM statements WHERE id = :i")
        return bool(conn.execute(query, {"i": sid}).scalar_one())


def test_a_staged_reingest_does_not_bring_a_retracted_statement_back(file_store: Store) -> None:
    assert _stage_us(file_store) == len(US_ROWS)
    sid = statement_id(US.name, SERIAL[0], SERIAL[2], SERIAL[3])
    with file_store.writer() as w:
        assert w.retract([(SERIAL[0], sid)]) == 1
    assert View(file_store, ATF, audit=False).by_identifier("abc-123") == []
    assert _stage_us(file_store) == 0  # the same file again: nothing new
    assert _retracted(file_store, sid)
    assert View(file_store, ATF, audit=False).by_identifier("abc-123") == []
    assert file_store.statement_count() == len(US_ROWS)  # the tombstone stays, once


def test_a_direct_reingest_does_not_bring_a_retracted_statement_back(file_store: Store) -> None:
    with file_store.writer() as w:
        w.ensure_dataset(US)
        assert w.add_statements(table(US.name, US_ROWS), US.name, US.label) == len(US_ROWS)
    sid = statement_id(US.name, SERIAL[0], SERIAL[2], SERIAL[3])
    with file_store.writer() as w:
        assert w.retract([(SERIAL[0], sid)]) == 1
    with file_store.writer() as w:
        assert w.add_statements(table(US.name, US_ROWS), US.name, US.label) == 0
    assert _retracted(file_store, sid)


def test_a_stage_refuses_per_row_legal_bases(file_store: Store) -> None:
    """A stage copies the dataset's legal basis, not a column of its own: a table that
    brings one is refused, rather than its bases silently replaced by the dataset's."""
    rows = _staged_rows()
    rows = rows.append_column("legal_basis", pa.array(["warrant 7"] * rows.num_rows))
    with pytest.raises(StoreError, match="legal basis"), file_store.stage() as stage:
        stage.add(US.name, US.label, "us.csv", lambda: iter([rows]))
    assert file_store.statement_count() == 0


def test_a_label_spelled_in_lower_case_is_the_stores_label(file_store: Store) -> None:
    """Agencies and countries are upper-cased when a label is registered, as a dataset's
    are: statements written under `atf`/`us` carry the one label `ATF`/`US`."""
    lower = AccessLabel("atf", "us", US.marking, US.releasable_to)
    with file_store.writer() as w:
        w.ensure_dataset(US)
        w.add_statements(table(US.name, US_ROWS[:2]), US.name, lower)
        w.add_statements(table(US.name, US_ROWS[2:]), US.name, US.label)
    assert [row.label for row in file_store.labels()] == [US.label]


def test_a_dataset_declared_in_lower_case_is_stored_as_the_store_spells_it(
    file_store: Store,
) -> None:
    """The catalogue names a dataset's owner as the store spells agencies and countries:
    upper-cased, whatever the mapping's spelling; the same declaration is accepted again."""
    lower = DatasetInfo("us_atf_x", "atf", "us", US.marking, US.releasable_to)
    first = file_store.ensure_dataset(lower)
    assert file_store.ensure_dataset(replace(lower, agency="ATF", country="US")) == first
    stored = file_store.dataset("us_atf_x")
    assert (stored.agency, stored.country) == ("ATF", "US")
    assert stored.label == replace(lower, agency="ATF", country="US").label


@pytest.mark.parametrize("column", ["entity_id", "value"])
def test_a_statement_with_an_empty_required_column_is_refused(
    file_store: Store, column: str
) -> None:
    rows = table(US.name, US_ROWS)
    values = rows.column(column).to_pylist()
    values[1] = None
    rows = rows.set_column(rows.schema.get_field_index(column), column, pa.array(values))
    with pytest.raises(StoreError, match=f"Statement column '{column}' has empty values"):
        with file_store.writer() as w:
            w.ensure_dataset(US)
            w.add_statements(rows, US.name, US.label)
    assert file_store.statement_count() == 0
