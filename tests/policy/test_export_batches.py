"""`View.export_batches`: an export of statements read a fixed number of rows at a time
writes the same file as the whole table read at once (CSV byte for byte, for Excel too;
Parquet read back equal, types included), is audited once before the first batch, exactly as
the one-table read is, and a failure after the first batch leaves no Parquet that reads as
whole (real stores, SQLite and PostgreSQL)."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ironriver.csvcells import EXCEL
from ironriver.policy import AccessLabel, Marking, View
from ironriver.policy.table import write_statements
from ironriver.store import DatasetInfo, Store
from ironriver.store.audit_chain import READS
from samples import FGR, US, load, table

# FGR's: texts a spreadsheet would run, quotes, line breaks, accents; the optional columns
# empty in the first entities' rows and filled after (a batch of empty ones comes first)
OWN = DatasetInfo("mx_fgr_propio", "FGR", "MX", Marking.GREEN, frozenset({"MX"}))
ROWS = [
    ("a1", "Person", "name", '=HYPERLINK("http://x","y")'),
    ("a1", "Person", "notes", 'dijo "no"\nen la línea dos'),
    ("a2", "Person", "name", "Núñez, María"),
    ("a3", "Person", "phone", "-12.5"),
    ("a4", "Person", "name", "@Lupe"),
    ("z9", "Vehicle", "registrationNumber", "ABC-123"),
]


def _store(store: Store) -> Store:
    load(store)  # FGR sees its MX rows and ATF's none
    own = table(OWN.name, ROWS[:3])
    later = table(OWN.name, ROWS[3:]).append_column("lang", pa.array(["spa"] * 3))
    later = later.append_column("first_seen", pa.array(["2024-01-02"] * 3))
    with store.writer() as w:
        w.ensure_dataset(OWN)
        w.add_statements(own.drop(["source_ref"]), OWN.name, OWN.label)
        w.add_statements(later, OWN.name, OWN.label)
        hidden = AccessLabel("ATF", "US", Marking.AMBER, frozenset({"US"}))  # (not to FGR)
        w.add_statements(table(US.name, [("a2", "Person", "alias", "oculto")]), US.name, hidden)
    return store


def _written(batches: pa.Table | Iterator[pa.Table], fmt: str) -> bytes:
    sink = io.BytesIO()
    write_statements(batches, sink, fmt)
    return sink.getvalue()


@pytest.mark.parametrize("excel", [False, True])
def test_batched_csv_is_the_one_table_csv_byte_for_byte(store: Store, excel: bool) -> None:
    view = View(_store(store), FGR, reason="case 9")
    token = EXCEL.set(excel)
    try:
        assert view.export_table().num_rows == 5 + len(ROWS)  # FGR's MX rows, its own
        whole = _written(view.export_table(), "statements")
        for size in (1, 2, 3, 100):
            assert _written(view.export_batches(batch_rows=size), "statements") == whole
        whole = _written(view.export_table("Person"), "statements")
        assert _written(view.export_batches("Person", batch_rows=2), "statements") == whole
        whole = _written(view.export_table(datasets=[OWN.name]), "statements")
        batched = view.export_batches(datasets=[OWN.name], batch_rows=4)
        assert _written(batched, "statements") == whole
    finally:
        EXCEL.reset(token)
    assert b"'=HYPERLINK" in whole and b"oculto" not in whole


def test_batched_parquet_reads_back_as_the_one_table_parquet(store: Store) -> None:
    view = View(_store(store), FGR, reason="case 9")
    whole = pq.read_table(io.BytesIO(_written(view.export_table(), "parquet")))
    for size in (1, 2, 3, 100):
        parts = pq.ParquetFile(
            io.BytesIO(_written(view.export_batches(batch_rows=size), "parquet"))
        )
        batched = parts.read()
        assert batched.schema.equals(whole.schema, check_metadata=True)
        assert batched.equals(whole)
        assert parts.metadata.num_row_groups == -(-whole.num_rows // size)
    # the first batch's optional columns are all empty: still texts, as the store declares
    first = next(view.export_batches(batch_rows=1))
    assert first.column("lang").type == pa.string() and first.column("lang").null_count == 1


def test_a_batched_export_is_audited_once_before_it_is_read(store: Store) -> None:
    view = View(_store(store), FGR, reason="case 9")
    expected = view.export_table(datasets=[OWN.name])
    batches = view.export_batches(datasets=[OWN.name], batch_rows=2)  # none handed over yet
    events = [e for e in store.audit.events() if e.chain == READS and e.action == "export"]
    assert [(e.target, e.detail) for e in events] == [
        ("*", {"schemata": [], "types": [], "rows": expected.num_rows, "datasets": [OWN.name]})
    ] * 2
    assert sum(b.num_rows for b in batches) == expected.num_rows


def test_a_failure_after_the_first_batch_leaves_no_whole_parquet(store: Store) -> None:
    """A Parquet file is whole once its footer is written: when a batch fails, the footer
    the writer writes as it closes is dropped, so what reached a pipe reads as no file."""
    view = View(_store(store), FGR, reason="case 9")

    def failing() -> Iterator[pa.Table]:
        batches = view.export_batches(batch_rows=2)
        yield next(batches)
        raise OSError("the store went away")

    sink = io.BytesIO()
    with pytest.raises(OSError, match="went away"):
        write_statements(failing(), sink, "parquet")
    assert sink.getvalue().startswith(b"PAR1") and not sink.getvalue().endswith(b"PAR1")
    with pytest.raises(pa.ArrowInvalid):
        pq.read_table(io.BytesIO(sink.getvalue()))
