"""The DuckDB database a store's ledger reads share (`Store.ledger_duck`, `View.ledger`): a
part replaced under its name is read as it is now, a relation outlives its store's close,
reads in several threads each have their own connection. Real stores, both backends."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pyarrow as pa

from ironriver.policy import View
from ironriver.policy.markings import AccessLabel, Marking, Principal
from ironriver.store import Store
from ironriver.store.ledger import LedgerStore
from samples import RecordedLedgers, write_ledger

ATF = Principal("a", "ATF", "US")
LABEL = AccessLabel("ATF", "US", Marking.AMBER, frozenset({"US"}))


def _rids(store: Store) -> list[int]:
    relation = View(store, ATF, audit=False).ledger("sales")
    return sorted(int(r[0]) for r in relation.project("rid").fetchall())


def test_a_part_replaced_within_the_same_second_is_read_as_it_is_now(store: Store) -> None:
    """DuckDB trusts a footer it cached while the file's modification time, to the second,
    is unchanged: a part replaced under its name (by hand: ironriver never does) within
    that second is read with its own footer, not the cached one of the file before."""
    write_ledger(store, "us_atf", "sales", LABEL, pa.table({"rid": [1, 2, 3]}))
    [part] = LedgerStore(store.ledger_dir).files("sales")
    second = part.stat().st_mtime_ns // 10**9 * 10**9
    os.utime(part, ns=(second, second + 100))
    assert _rids(store) == [1, 2, 3]  # (DuckDB keeps this footer)
    other = store.ledger_dir.parent / "other"
    LedgerStore(other).write("us_atf", "sales", LABEL, pa.table({"rid": list(range(10, 2010))}))
    [replacement] = LedgerStore(other).files("sales")
    part.write_bytes(replacement.read_bytes())
    os.utime(part, ns=(second, second + 200))  # (the same second, as DuckDB reads it)
    assert _rids(store) == list(range(10, 2010))


def test_a_relation_stays_readable_after_its_store_is_closed(store: Store) -> None:
    """`Store.close` drops the shared database; a relation made before keeps it alive, as
    one made on a connection of its own did."""
    write_ledger(store, "us_atf", "sales", LABEL, pa.table({"rid": [4, 5]}))
    relation = View(store, ATF, audit=False).ledger("sales")
    store.close()
    assert sorted(relation.project("rid").fetchall()) == [(4,), (5,)]


def test_reads_in_several_threads_each_read_their_rows(store: Store) -> None:
    """Each `View.ledger` without a connection gets a cursor of its own: reads made and
    run at once in several threads each find every row."""
    ledgers = RecordedLedgers(store)  # (as an ingest records its parts: reads read those)
    for i in range(4):
        ledgers.write(f"ds{i}", "sales", LABEL, pa.table({"rid": list(range(i, 40_000, 4))}))
    found: list[object] = []
    start = threading.Barrier(4)

    def read() -> None:
        start.wait()
        try:
            for _ in range(3):
                found.append(_rids(store) == list(range(40_000)))
        except Exception as exc:  # (reported below, with what it was)
            found.append(exc)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert found == [True] * 12


def test_parts_of_other_schemas_are_read_by_name(tmp_path: Path) -> None:
    """Parts of one schema are read as they are, others matched by name (`parts_sql`): a
    part whose columns come in another order, a number column whole in one part and
    decimal in another (DuckDB would read 4.5 as 4 as the first part's integer), and a
    part lacking a column (NULL there) are each read as written."""
    import duckdb

    ledgers = LedgerStore(tmp_path)
    cases = {
        "swapped": ([{"a": [1], "b": ["x"]}, {"b": ["z"], "a": [3]}], [(1, "x"), (3, "z")]),
        "numbers": ([{"a": [1], "b": ["x"]}, {"a": [4.5], "b": ["w"]}], [(1.0, "x"), (4.5, "w")]),
        "lacking": ([{"a": [1], "b": ["x"]}, {"a": [5]}], [(1, "x"), (5, None)]),
        "same": ([{"a": [1], "b": ["x"]}, {"a": [2], "b": ["y"]}], [(1, "x"), (2, "y")]),
    }
    for ledger, (tables, _rows) in cases.items():
        for i, table in enumerate(tables):
            ledgers.write(f"ds{i}", ledger, LABEL, pa.table(table))
    con = duckdb.connect()
    read = {
        ledger: ledgers.visible_relation(con, ledger, ATF).project("a, b").order("a").fetchall()
        for ledger in cases
    }
    assert read == {ledger: rows for ledger, (_tables, rows) in cases.items()}
