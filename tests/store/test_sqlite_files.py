"""ADBC's SQLite and Python's sqlite3 are two SQLite libraries: when both held one store file
open in one process, closing either's descriptor dropped the other's POSIX locks. A store
opened twice in one process (a long-running server, a test) read stale rows through ADBC
after a write through the other store, and after a read while the other held a connection
the file could not be read at all ("disk I/O error"). `ironriver.store.sqlite_files` keeps
the rule: ADBC reads a file only when no sqlite3 connection of the process is open on it."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import adbc_driver_sqlite.dbapi
import pyarrow as pa
import pytest
from sqlalchemy import Connection, func, select

from ironriver.policy import Principal, View
from ironriver.policy.markings import Marking
from ironriver.store import DatasetInfo, Store, open_store
from ironriver.store.dialect import read_table, sqlite_file
from ironriver.store.sqlite_files import adbc_alone, open_connections
from ironriver.store.tables import statements

DATASET = DatasetInfo("atf_traces", "ATF", "US", Marking.AMBER)
IDS = pa.schema([("id", pa.string())])
ANALYST = Principal("atf-analyst", "ATF", "US")


def _write(store: Store, batch: int) -> None:
    """Add 40 statements of batch `batch` (new ids each time)."""
    n = 40
    rows = pa.table(
        {
            "id": [f"s{batch}-{i}" for i in range(n)],
            "entity_id": [f"p{i}" for i in range(n)],
            "schema": ["Person"] * n,
            "prop": ["name"] * n,
            "value": [f"Name {batch} {i}" for i in range(n)],
        }
    )
    with store.writer() as w:
        w.ensure_dataset(DATASET)
        w.add_statements(rows, DATASET.name, DATASET.label)


def _count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(statements)).scalar_one())


@pytest.fixture
def adbc_opens(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files ADBC's SQLite is asked to open, in order."""
    opened: list[str] = []
    connect = adbc_driver_sqlite.dbapi.connect

    def counted(uri: Any = None, **kwargs: Any) -> Any:
        opened.append(str(uri))
        return connect(uri, **kwargs)

    monkeypatch.setattr(adbc_driver_sqlite.dbapi, "connect", counted)
    return opened


@pytest.fixture
def two_stores(tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    """One SQLite store file opened twice in this process: a writer's store and a reader's."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    writer = open_store(url, ledger_dir=tmp_path / "ledgers")
    reader = open_store(url, ledger_dir=tmp_path / "ledgers", create=False)
    yield writer, reader
    writer.close()
    reader.close()


@pytest.mark.parametrize("holding", ["none", "reader", "writer", "both"])
def test_a_bulk_read_beside_another_store_on_the_file_sees_its_writes(
    two_stores: tuple[Store, Store], holding: str, adbc_opens: list[str], tmp_path: Path
) -> None:
    """Writes through one store and bulk reads through the other, in turns, with either
    store holding a connection checked out meanwhile (or neither): every read sees every
    statement written before it, and the file reads back whole once every store is closed.
    With no connection held, the reads go through ADBC (the writer's idle connections are
    closed first); with one held, through the engine."""
    writer, reader = two_stores
    with ExitStack() as held:
        for name, store in (("writer", writer), ("reader", reader)):
            if holding in (name, "both"):
                held.enter_context(store.engine.connect()).exec_driver_sql("SELECT 1")
        for batch in range(4):
            _write(writer, batch)
            ids = read_table(reader.engine, select(statements.c.id), IDS)
            assert ids.num_rows == 40 * (batch + 1)
            with writer.engine.connect() as conn:  # the writer's store still reads it
                assert _count(conn) == 40 * (batch + 1)
        visible = View(reader, ANALYST, reason="network analysis").table()
        assert visible.num_rows == 160
    assert len(adbc_opens) == (5 if holding == "none" else 0)
    writer.close()
    reader.close()
    with sqlite3.connect(tmp_path / "store.db") as fresh:  # (no "disk I/O error")
        assert fresh.execute("SELECT count(*) FROM statements").fetchone() == (160,)
        assert fresh.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_one_store_alone_reads_through_adbc(sqlite_store: Store, adbc_opens: list[str]) -> None:
    """The command line's case, one store in the process: its idle connections are closed
    and ADBC reads (the fast path stays); with a connection of its own checked out, the read
    goes through the engine, and gives the same rows; once it is back, ADBC again."""
    _write(sqlite_store, 0)
    query = select(statements.c.id).order_by(statements.c.id)
    fast = read_table(sqlite_store.engine, query, IDS)
    assert len(adbc_opens) == 1 and fast.num_rows == 40
    with sqlite_store.engine.connect() as conn:
        assert _count(conn) == 40
        slow = read_table(sqlite_store.engine, query, IDS)
    assert len(adbc_opens) == 1 and slow.equals(fast)
    again = read_table(sqlite_store.engine, query, IDS)  # (the connections idle again)
    assert len(adbc_opens) == 2 and again.equals(fast)


def test_a_connection_opened_during_an_adbc_read_waits_for_it(sqlite_store: Store) -> None:
    """While ADBC holds the file, a new sqlite3 connection to it (another thread's) waits
    until the read is done; an ADBC read is refused while a sqlite3 connection is open."""
    path = sqlite_file(sqlite_store.engine)
    assert path is not None
    counted: list[int] = []
    with adbc_alone(path) as alone:
        assert alone and open_connections(path) == 0

        def other() -> None:
            with sqlite_store.engine.connect() as conn:
                counted.append(_count(conn))

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(0.5)
        assert thread.is_alive() and counted == []  # waiting
    thread.join(10)
    assert counted == [0]
    with sqlite_store.engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
        with adbc_alone(path) as alone:
            assert not alone and open_connections(path) == 1
