"""Tiny two-agency sample data (a US ATF dataset and a Mexican FGR dataset) for store tests.

Import from any test: `from samples import load, ATF, FGR, SEDENA`; a CLI test's store file
holding it: `sample_db(tmp_path)`; ledger rows written into a store as an ingest records
them: `write_ledger(store, ...)`; the store's connection lost at an export's second read:
`fail_second_read(monkeypatch)` (any function's second call: `fail_second_call`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import OperationalError

import ironriver.store.dialect as dialect
from ironriver.policy import Marking, Principal
from ironriver.policy.markings import AccessLabel
from ironriver.store import DatasetInfo, Store, open_store
from ironriver.store.ids import statement_id
from ironriver.store.ledger import LedgerStore
from ironriver.store.ledger_records import LEDGER_FILES_KEY, committed_files
from ironriver.store.writer import LOOKUP_TABLES

US = DatasetInfo("us_atf_traces", "ATF", "US", Marking.AMBER, frozenset({"US"}))
MX = DatasetInfo("mx_fgr_aseguramientos", "FGR", "MX", Marking.AMBER, frozenset({"MX", "US"}))
ATF = Principal("a", "ATF", "US")
FGR = Principal("f", "FGR", "MX")
SEDENA = Principal("s", "SEDENA", "MX")


def table(dataset: str, rows: list[tuple[str, str, str, str]]) -> pa.Table:
    return pa.table(
        {
            "id": [statement_id(dataset, e, p, v) for e, _, p, v in rows],
            "entity_id": [r[0] for r in rows],
            "schema": [r[1] for r in rows],
            "prop": [r[2] for r in rows],
            "value": [r[3] for r in rows],
            "source_ref": [f"file.csv:{i + 2}" for i in range(len(rows))],
        }
    )


US_ROWS = [
    ("p1", "Individual", "name", "José Luis Pérez López"),
    ("p1", "Individual", "paternalSurname", "Pérez"),
    ("g1", "Firearm", "serialNumber", "ABC123"),
    ("g1", "Firearm", "make", "Glock"),
    ("s1", "Sale", "buyer", "p1"),
    ("s1", "Sale", "firearm", "g1"),
    ("s1", "Sale", "date", "2024-03-01"),
]
MX_ROWS = [
    ("r1", "Recovery", "firearm", "g1"),
    ("r1", "Recovery", "date", "2024-09-12"),
    ("g1", "Firearm", "serialNumber", "ABC123"),
    ("g1", "Firearm", "caliber", "9mm"),
    ("p2", "Individual", "name", "Juan Carlos Ramírez"),
]


def load(store: Store) -> None:
    with store.writer() as w:
        w.ensure_dataset(US)
        w.ensure_dataset(MX)
        w.add_statements(table(US.name, US_ROWS), US.name, US.label)
        w.add_statements(table(MX.name, MX_ROWS), MX.name, MX.label)


def sample_db(folder: Path, name: str = "cli.db") -> str:
    """A SQLite store file `folder/name` holding the sample (`load`), closed; its path (the
    CLI's --db)."""
    path = folder / name
    store = open_store(f"sqlite:///{path}")
    load(store)
    store.close()
    return str(path)


def write_ledger(
    store: Store, dataset: str, ledger: str, label: AccessLabel, rows: pa.Table
) -> int:
    """`rows` appended to `store`'s ledger as one part, recorded as an ingest records its
    parts (`write_ledgers`); the rows added (0: already there)."""
    return write_ledgers(store, [(dataset, ledger, label, rows)])


def write_ledgers(store: Store, writes: list[tuple[str, str, AccessLabel, pa.Table]]) -> int:
    """Each (dataset, ledger, label, rows) of `writes` appended to `store`'s ledgers as one
    part, recorded as an ingest records its parts (`ingest.pipeline`): the parts written
    under their scratch names, one `ingest` event naming them all (`LEDGER_FILES_KEY`)
    committed, then the parts renamed into place. Reads read only the parts the store's
    events name (`LedgerReads.accounted`): a part written with `LedgerStore.write` alone is
    not this store's data. A dataset the store has not declared is declared first, under
    the label of its first write (as an ingest declares its dataset): reads list only the
    parts of datasets whose own label the reader may see (`LedgerReads.shown`). The rows
    added (0: all there already)."""
    if not writes:
        return 0
    declared = {info.name for _id, info in store.datasets()}
    for dataset, _ledger, label, _rows in writes:
        if dataset not in declared:
            store.ensure_dataset(
                DatasetInfo(
                    dataset,
                    label.owner_agency,
                    label.owner_country,
                    label.marking,
                    label.releasable_to,
                )
            )
            declared.add(dataset)
    ledgers = LedgerStore(store.ledger_dir, store.ingest_details, store.recorded_parts)
    parts = []
    try:
        for dataset, ledger, label, rows in writes:
            parts.append(ledgers.prepare(dataset, ledger, label, rows))
        with store.writer() as w:
            store.audit.append(
                "test",
                "ingest",
                ",".join(sorted({dataset for dataset, *_ in writes})),
                detail={
                    "ledger_rows": sum(p.rows for p in parts),
                    LEDGER_FILES_KEY: committed_files(ledgers.root, parts),
                },
                conn=w.conn,
            )
    except BaseException:
        for part in parts:
            part.discard()
        raise
    return sum(part.commit() for part in parts)


def record_parts(store: Store, parts: list[Path]) -> None:
    """Record the ledger parts `parts` (files in place under `store`'s ledger folder, e.g.
    written by hand) as an ingest records the parts it found in place: one `ingest` event
    naming each with its rows (`LEDGER_FILES_KEY`)."""
    files = [
        {"path": str(p.relative_to(store.ledger_dir)), "rows": pq.ParquetFile(p).metadata.num_rows}
        for p in parts
    ]
    with store.writer() as w:
        store.audit.append(
            "test",
            "ingest",
            ",".join(sorted({p.parent.parent.name for p in parts})),
            detail={"ledger_rows": sum(int(f["rows"]) for f in files), LEDGER_FILES_KEY: files},
            conn=w.conn,
        )


class RecordedLedgers:
    """`LedgerStore.write` into `store`'s ledgers through `write_ledger` (recorded)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def write(self, dataset: str, ledger: str, label: AccessLabel, rows: pa.Table) -> int:
        return write_ledger(self.store, dataset, ledger, label, rows)


@contextmanager
def lookups_kept(store: Store, *entity_ids: str) -> Iterator[None]:
    """Put back, after the block, the lookup rows (`statement_keys`, `statement_refs`) of
    `entity_ids`' statements that the block deleted: as when a retraction misses them
    (rows keyed by an older release's key function, which its delete does not compute).
    The reads must still take visible statements only: the lookups find candidates, the
    statements decide (review R15's mutants S01, N02, V05, V12 dropped that check)."""

    def rows() -> dict[str, list[dict[str, object]]]:
        with store.engine.connect() as conn:
            return {
                name: [
                    dict(r)
                    for r in conn.execute(select(t).where(t.c.entity_id.in_(entity_ids))).mappings()
                ]
                for name, t in LOOKUP_TABLES.items()
            }

    before = rows()
    yield
    after = rows()
    gone = {name: [r for r in before[name] if r not in after[name]] for name in before}
    assert any(gone.values()), "the block deleted no lookup row"
    with store.engine.begin() as conn:
        for name, rows_gone in gone.items():
            if rows_gone:
                conn.execute(insert(LOOKUP_TABLES[name]), rows_gone)


def fail_second_call(monkeypatch: pytest.MonkeyPatch, module: Any, names: list[str]) -> list[int]:
    """Make the second call of the functions `names` of `module` together (those it has)
    raise a lost connection ("server closed the connection"); return the list that gets
    one item per call."""
    calls: list[int] = []
    for name in names:
        real = getattr(module, name, None)
        if real is None:
            continue

        def failing(*args: Any, _real: Callable[..., Any] = real) -> Any:
            calls.append(1)
            if len(calls) == 2:
                raise OperationalError("SELECT", {}, Exception("server closed the connection"))
            return _real(*args)

        monkeypatch.setattr(module, name, failing)
    return calls


def fail_second_read(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The store's connection lost at the second query of an export's rows, whichever way
    they are read (ADBC, COPY, the engine's rows): `fail_second_call`."""
    return fail_second_call(monkeypatch, dialect, ["_read_adbc", "_read_pg_copy", "_read_rows"])


def export_events(db: str) -> list[dict[str, Any]]:
    """The details of the `export` events on the reads chain of the store at `db`, oldest
    first."""
    return [detail for _seq, detail in export_seqs(db)]


def export_seqs(db: str) -> list[tuple[int, dict[str, Any]]]:
    """The seqs and details of the `export` events on the reads chain of the store at `db`,
    oldest first (a second event `ends` the seq of the first)."""
    from ironriver.store.audit_chain import READS

    store = open_store(db, create=False)
    try:
        return [
            (e.seq, e.detail)
            for e in store.audit.events()
            if e.chain == READS and e.action == "export"
        ]
    finally:
        store.close()


# A Mexican agency's ledger mapping (detainees: a required name, a day-first date)
DETENIDOS_LEDGER = """\
mx_fgr_detenidos:
  agency: FGR
  country: MX
  marking: AMBER
  releasable_to: [MX]
  queries:
  - csv_url: detenidos.csv
    ledger:
      name: detenidos
      columns:
        nombre: {column: NOMBRE, type: string, required: true}
        fecha: {column: FECHA, type: date, format: "%d/%m/%Y"}
"""


# A plate-reads ledger of one dataset: `.format(dataset=, agency=, country=, marking=,
# releasable=)` (the ledger damage tests)
PLATE_READS_LEDGER = """\
{dataset}:
  agency: {agency}
  country: {country}
  marking: {marking}
  releasable_to: [{releasable}]
  queries:
  - csv_url: {dataset}.csv
    ledger:
      name: plate_reads
      columns:
        plate: {{column: plate, type: string}}
        seen: {{column: seen, type: date}}
"""
