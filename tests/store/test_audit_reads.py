"""The two audit chains: reads audited beside the data, writes inside it.

An audited read must not wait for a data write (an ingest holds a SQLite store's write lock
for seconds), so on a file-backed SQLite store read events go to their own file and chain;
data changes stay in the store, atomic with their data. Runs on both backends where the
behaviour is the same; the file-specific tests use SQLite files.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError, OperationalError

from conftest import _reset_pg, backend_url
from ironriver.errors import AccessDenied, AuditError, NotFound, StoreError
from ironriver.policy import View
from ironriver.policy.markings import AccessLabel, Marking
from ironriver.settings import Settings
from ironriver.store import Store, dialect, open_store
from ironriver.store.audit import READ_ACTIONS, READ_FILE_SUFFIX, AuditLog, EventFilter
from ironriver.store.audit_append import append_event
from ironriver.store.audit_chain import GENESIS, READ_CHAIN_START, READS, WRITE_CHAIN, WRITES
from ironriver.store.store import _alembic_config
from samples import ATF, US, load, table

# `statement_keys`' rows as every revision from 0005 on has them (0013 adds the label)
_OLD_KEYS = text("SELECT kind, rank, key, entity_id, id FROM statement_keys")


@pytest.fixture
def quick_store(tmp_path: Path) -> Iterator[Store]:
    """A SQLite file store whose connections give up on a lock after 1 s (not 120 s)."""
    settings = Settings.from_env({"IRONRIVER_BUSY_TIMEOUT": "1"}, db=str(tmp_path / "s.db"))
    store = open_store(settings, ledger_dir=tmp_path / "ledgers")
    load(store)
    yield store
    store.close()


def _hold_write_lock(db: Path) -> sqlite3.Connection:
    """Another connection holding the store's write lock, as an ingest does while it copies
    and commits."""
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    return other


def test_audited_read_does_not_wait_for_a_data_write(quick_store: Store, tmp_path: Path) -> None:
    store = quick_store
    holder = _hold_write_lock(tmp_path / "s.db")
    try:
        # the lock is real: a writes-chain event (a data change) cannot get in meanwhile
        with pytest.raises(OperationalError, match="database is locked"):
            store.audit.append("loader", "ingest", US.name, "load")
        view = View(store, ATF, reason="case 9")
        entity = view.entity("g1")
        hits = view.search("perez")
        # a new process (each CLI command) opens the store without taking the write lock
        settings = Settings.from_env({"IRONRIVER_BUSY_TIMEOUT": "1"}, db=str(tmp_path / "s.db"))
        other = open_store(settings, ledger_dir=tmp_path / "ledgers")
        assert View(other, ATF, reason="case 10").entity("p1") is not None
        other.close()
    finally:
        holder.rollback()
        holder.close()
    assert entity is not None and [h.entity_id for h in hits] == ["p1"]
    reads = [(e.action, e.target, e.reason) for e in store.audit.events() if e.chain == READS]
    assert reads == [
        ("read", "g1", "case 9"),
        ("search", "perez", "case 9"),
        ("read", "p1", "case 10"),
    ]
    result = store.audit.verify()
    assert result.ok and result.chains == {WRITES: 1, READS: 3}


def test_view_actions_are_all_reads(store: Store) -> None:
    """Every audited View operation lands in the reads chain, and READ_ACTIONS names no
    action the View does not log (a View action missing from it would block on ingests)."""
    load(store)
    view = View(store, ATF, reason="r")
    view.entity("g1")
    view.entities(["g1", "p1"])
    view.statements("g1")
    view.search("perez")
    view.by_identifier("ABC123")
    view.neighbours("p1")
    view.table(types=["name"])
    list(view.export())
    view.export_table()
    with pytest.raises(NotFound):
        view.ledger("no_such_ledger")
    strict = AccessLabel("ATF", "US", Marking.AMBER_STRICT, frozenset({"ATF"}))
    with store.writer() as w:
        w.add_statements(table(US.name, [("x3", "Individual", "name", "Tres")]), US.name, strict)
    with pytest.raises(AccessDenied):  # no reason for AMBER+STRICT: refused, on record
        View(store, ATF).entity("x3")
    events = list(store.audit.events())
    assert [e.action for e in events if e.chain == WRITES] == [READ_CHAIN_START]
    # (an ingest's dry run logs the one read action the View does not: test_dry_run_key_check)
    assert {e.action for e in events if e.chain == READS} == READ_ACTIONS - {"ingest-check"}
    assert store.audit.verify().ok


def test_reading_several_entities_is_one_audited_read(store: Store) -> None:
    """`View.entities(ids)` returns whole entities, so it is audited like `entity()`: one
    event per call, naming the ids (all of them in its detail)."""
    load(store)
    view = View(store, ATF, reason="case 4")
    found = view.entities(["p1", "g1", "nobody", "p1"])
    assert sorted(found) == ["g1", "p1"]
    many = [f"x{i:02}" for i in range(25)]
    view.entities(many)
    view.entities(["g1"])
    assert view.entities([]) == {}  # nothing asked, nothing read: no event
    view.neighbours("g1")  # reads its neighbours' captions: audited as `neighbours` only
    reads = [e for e in store.audit.events() if e.chain == READS]
    assert [(e.action, e.target) for e in reads] == [
        ("read-entities", "g1,nobody,p1"),
        ("read-entities", ",".join(many[:10]) + " (+15)"),
        ("read-entities", "g1"),
        ("neighbours", "g1"),
    ]
    assert reads[0].detail == {"ids": ["g1", "nobody", "p1"], "found": 2}
    assert reads[1].detail == {"ids": many, "found": 0}
    assert {(e.actor, e.agency, e.reason) for e in reads} == {("a", "ATF", "case 4")}
    # "who read g1": a read of g1 alone is found by its target, as an entity() read is
    assert [e.seq for e in store.audit.events(where=EventFilter(target="g1"))] == [3, 4]
    assert store.audit.verify().ok


def test_data_events_stay_atomic_with_their_data(store: Store) -> None:
    with store.writer() as w:
        w.ensure_dataset(US)
        w.add_statements(table(US.name, [("p1", "Individual", "name", "Uno")]), US.name, US.label)
        event = store.audit.append("loader", "ingest", US.name, "load", conn=w.conn)
    assert event.chain == WRITES
    with pytest.raises(RuntimeError), store.writer() as w:
        w.add_statements(table(US.name, [("p2", "Individual", "name", "Dos")]), US.name, US.label)
        store.audit.append("loader", "ingest", US.name, "load again", conn=w.conn)
        raise RuntimeError("the ingest fails after its event was appended")
    assert [e.reason for e in store.audit.events() if e.action == "ingest"] == ["load"]
    assert store.statement_count() == 1
    with pytest.raises(ValueError, match="is a read"), store.writer() as w:
        store.audit.append("a", "read", "p1", conn=w.conn)
    assert store.audit.verify().ok


def test_concurrent_audited_reads_form_one_unbroken_chain(store: Store) -> None:
    """Audited reads from several threads (each its own connection) serialise on the reads
    chain's head row: every event lands once, in one gapless chain, and ingests anchoring
    it meanwhile stay consistent with it."""
    import threading

    load(store)
    errors: list[BaseException] = []

    def reads(n: int) -> None:
        try:
            view = View(store, ATF, reason=f"thread {n}")
            for _ in range(15):
                view.entity("g1")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=reads, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for _ in range(3):  # writes-chain events anchoring the reads chain as it grows
        store.audit.checkpoint("auditor", "nightly")
    for thread in threads:
        thread.join(60)
    assert not errors
    reads_chain = [e for e in store.audit.events() if e.chain == READS]
    assert len(reads_chain) == 60
    assert [e.seq for e in reads_chain] == list(range(1, 61))
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(reads_chain))
    assert {e.reason for e in reads_chain} == {f"thread {n}" for n in range(4)}
    assert store.audit.verify().ok


def test_listing_merges_both_chains_in_time_order(store: Store) -> None:
    store.audit.append("a", "read", "e1")
    store.audit.append("loader", "ingest", "ds")
    store.audit.append("a", "search", "x")
    events = list(store.audit.events())
    assert [(e.chain, e.action) for e in events] == [
        (WRITES, READ_CHAIN_START),
        (READS, "read"),
        (WRITES, "ingest"),
        (READS, "search"),
    ]
    assert [e.at for e in events] == sorted(e.at for e in events)
    assert [e.action for e in store.audit.events(limit=2)] == [READ_CHAIN_START, "read"]
    assert [e.action for e in store.audit.events(actor="a")] == ["read", "search"]
    assert store.audit.count() == 4


def test_read_audit_file_is_protected(quick_store: Store, tmp_path: Path) -> None:
    store = quick_store
    path = store.audit.read_file
    assert path == tmp_path / "s.db.read-audit.sqlite" and path.exists()
    store.audit.append("a", "read", "g1", "why")
    with store.audit.read_engine().connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 1000
    with pytest.raises(DBAPIError, match="append-only"), store.audit.read_engine().begin() as c:
        c.execute(text("DELETE FROM audit_read_events"))
    # the store file's own read tables stay empty: reads went to the file
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_read_events")).scalar() == 0


def test_missing_read_audit_file_is_reported_not_recreated(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    store = open_store(str(db))
    store.audit.append("a", "read", "g1", "before the loss")
    path = store.audit.read_file
    assert path is not None
    store.close()
    path.unlink()
    store = open_store(str(db))
    with pytest.raises(AuditError, match=r"read-audit file .* is missing") as info:
        View(store, ATF, reason="r").entity("g1")
    assert "restart-reads" in (info.value.hint or "")
    assert not path.exists()  # opening and reading did not quietly start a new chain
    problems = tuple(str(p) for p in store.audit.verify().problems)
    assert len(problems) == 1 and problems[0].startswith("reads chain: the read-audit file")
    with pytest.raises(AuditError, match="Say why"):
        store.audit.restart_reads("loader", "")
    event = store.audit.restart_reads("loader", "disk failure")
    assert event.chain == WRITES and event.detail["replaces"]
    View(store, ATF, reason="after").entity("g1")
    # the new chain verifies; the loss stays reported (it is what an auditor must see)
    result = store.audit.verify()
    assert result.chains[READS] == 1 and [str(p) for p in result.problems] == [
        f"reads chain: writes-chain event {event.seq} (at {event.at}, by loader: 'disk "
        f"failure') started a new reads chain, abandoning the one started at "
        f"{next(store.audit.events()).at}, none of whose reads was anchored: any it held "
        "were lost with its read-audit file, or the restart was forged to erase them"
    ]
    with pytest.raises(AuditError, match="nothing to restart"):
        store.audit.restart_reads("loader", "again")
    store.close()


def test_bulk_table_read_fails_like_any_read_without_its_read_audit_file(
    tmp_path: Path,
) -> None:
    """`View.table()` is a read like `entity()`: without the read-audit file it is refused
    (it used to be audited in the writes chain, so it read everything regardless)."""
    db = tmp_path / "s.db"
    store = open_store(str(db))
    load(store)
    path = store.audit.read_file
    assert path is not None
    store.close()
    path.unlink()
    store = open_store(str(db))
    view = View(store, ATF, reason="analytics")
    for read in (lambda: view.entity("g1"), view.table, view.export_table):
        with pytest.raises(AuditError, match=r"read-audit file .* is missing"):
            read()
    assert [e.action for e in store.audit.events()] == [READ_CHAIN_START]
    store.close()


def test_replaced_read_audit_file_is_reported(tmp_path: Path) -> None:
    stores = [open_store(str(tmp_path / f"{name}.db")) for name in ("a", "b")]
    for s in stores:
        s.audit.append("a", "read", "g1", "why")
        assert s.audit.verify().ok
    paths = [s.audit.read_file for s in stores]
    for s in stores:
        s.close()
    assert paths[0] is not None and paths[1] is not None
    paths[0].unlink()
    paths[1].rename(paths[0])  # b's reads chain, self-consistent, put in a's place
    store = open_store(str(tmp_path / "a.db"))
    problems = tuple(str(p) for p in store.audit.verify().problems)
    assert problems == (
        "reads chain: event 1 does not start the chain the store recorded "
        "(the read-audit file was replaced, or belongs to another store)",
    )
    store.close()


def _garble(path: Path) -> None:
    for stale in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    path.write_bytes(b"not a database " * 500)


def _sql(*statements: str) -> Callable[[Path], None]:
    def run(path: Path) -> None:
        with sqlite3.connect(path) as conn:
            for statement in statements:
                conn.execute(statement)
        conn.close()

    return run


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (
            _sql("DROP TABLE audit_read_head"),
            ["has no audit_read_head table (it was dropped)"],
        ),
        (
            _sql("DROP TABLE audit_read_events"),
            [
                "has no audit_read_events table (it was dropped); its events are lost",
                "read events after seq 0 were removed",  # the anchor of the 2 reads says so
            ],
        ),
        (
            _sql("PRAGMA application_id = 0"),
            ["is not marked as a read-audit file (its application_id was changed"],
        ),
        (
            _sql("DROP TABLE audit_read_events", "CREATE TABLE audit_read_events (x TEXT)"),
            ["cannot be read as a reads chain (no such column: audit_read_events.seq)"],
        ),
        (_garble, ["cannot be read (file is not a database): it was overwritten"]),
    ],
    ids=["head-dropped", "events-dropped", "unmarked", "other-columns", "overwritten"],
)
def test_a_read_audit_file_tampered_with_is_reported_not_raised(
    tmp_path: Path, tamper: Callable[[Path], None], expected: list[str]
) -> None:
    """Dropping a table of the read-audit file, or unmarking or overwriting it, removes its
    reads: `verify` reports it (it was a traceback or a store error); listing the log is
    a clear error (it was a traceback)."""
    db = tmp_path / "s.db"
    store = open_store(str(db))
    store.audit.append("a", "read", "g1", "why")
    store.audit.append("a", "read", "p1", "why")
    store.audit.checkpoint("auditor")
    path = store.audit.read_file
    assert path is not None
    store.close()
    tamper(path)
    store = open_store(str(db))
    result = store.audit.verify()
    assert not result.ok and len(result.problems) == len(expected)
    for problem, part in zip(result.problems, expected, strict=True):
        assert str(problem).startswith("reads chain: ") and part in str(problem)
    if "head" not in str(result.problems[0]):
        with pytest.raises((AuditError, StoreError), match="read-audit file"):
            list(store.audit.events())
    store.close()


def test_new_store_refuses_a_leftover_read_audit_file(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    store = open_store(str(db))
    store.audit.append("a", "read", "g1", "why")
    store.close()
    db.unlink()  # the store file is deleted, its read-audit file left behind
    with pytest.raises(StoreError, match="already holds 1 read-audit events"):
        open_store(str(db))


def test_foreign_or_newer_read_audit_file_is_refused(tmp_path: Path) -> None:
    foreign = tmp_path / "x.db.read-audit.sqlite"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE notes (t TEXT)")
    conn.close()
    before = foreign.read_bytes()
    with pytest.raises(StoreError, match="is not an ironriver read-audit file"):
        open_store(str(tmp_path / "x.db"))
    assert foreign.read_bytes() == before  # not switched to WAL (review R23 F3)
    store = open_store(str(tmp_path / "y.db"))
    path = store.audit.read_file
    assert path is not None
    store.close()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 2")
    conn.close()
    store = open_store(str(tmp_path / "y.db"))
    with pytest.raises(StoreError, match="schema version 2"):
        store.audit.append("a", "read", "g1")
    store.close()


def _foreign(path: Path) -> None:
    """Another SQLite database (rollback journal, not WAL) put in the read-audit file's place."""
    path.unlink()
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (x)")
    conn.close()


@pytest.mark.parametrize(
    ("replace", "error"),
    [
        (_foreign, "is not an ironriver read-audit file"),
        (lambda path: path.write_bytes(b""), "read-audit file .* is empty: it was truncated"),
    ],
    ids=["foreign", "emptied"],
)
def test_a_read_refused_leaves_a_file_not_proven_ours_as_it_was(
    tmp_path: Path, replace: Callable[[Path], None], error: str
) -> None:
    """A read (or a write's anchor) refusing the file at the read-audit path writes nothing
    to it: it was switched to WAL first (a 0-byte file became 16 KB, another database's
    journal mode became `wal`), then refused (review R23 F3)."""
    db = tmp_path / "s.db"
    store = open_store(str(db))
    path = store.audit.read_file
    assert path is not None
    store.close()
    for stale in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    replace(path)
    before = path.read_bytes()
    store = open_store(str(db))
    with pytest.raises(StoreError, match=error):
        store.audit.append("a", "read", "g1", "why")
    store.audit.append("loader", "ingest", US.name, "load")  # its anchor: unreadable
    with pytest.raises(AuditError):
        store.audit.checkpoint("auditor")
    assert not store.audit.verify().ok
    store.close()
    assert path.read_bytes() == before
    assert not Path(f"{path}-wal").exists()


def test_an_emptied_read_audit_file_is_named_and_restarted(tmp_path: Path) -> None:
    """A read-audit file truncated to 0 bytes is named as this store's, emptied, by reads
    and by `verify`, each saying the way out; `restart_reads` accepts it as lost (it said
    "exists: there is nothing to restart") and records the loss (review R23 F4)."""
    db = tmp_path / "s.db"
    store = open_store(str(db))
    store.audit.append("a", "read", "g1", "why")
    store.audit.checkpoint("auditor")
    path = store.audit.read_file
    assert path is not None
    store.close()
    path.write_bytes(b"")
    store = open_store(str(db))
    with pytest.raises(StoreError, match="is empty: it was truncated or emptied") as raised:
        store.audit.append("a", "read", "g1", "why")
    assert "restart-reads" in str(raised.value.hint)
    problems = [str(p) for p in store.audit.verify().problems]
    assert len(problems) == 1 and "is empty: it was truncated or emptied" in problems[0]
    assert "restart-reads" in problems[0]
    store.audit.restart_reads("loader", "truncated, no backup")
    store.audit.append("a", "read", "p1", "why")
    problems = [str(p) for p in store.audit.verify().problems]
    assert len(problems) == 1 and "started a new reads chain" in problems[0]
    store.close()


def test_in_memory_store_keeps_both_chains_inside(tmp_path: Path) -> None:
    store = open_store("sqlite://", ledger_dir=tmp_path / "m")
    assert store.audit.read_file is None
    store.audit.append("a", "read", "g1")
    assert store.audit.verify().chains == {WRITES: 1, READS: 1}
    store.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_upgrade_keeps_old_events_and_starts_the_reads_chain(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    """A store from before the split (revision 0003) keeps its events, reads included, in
    the writes chain; its new reads go to the reads chain."""
    url = backend_url(backend, tmp_path / "old.db", request)
    engine = create_engine(url, **dialect.engine_options(url))
    dialect.configure_engine(engine)
    with dialect.write_transaction(engine) as conn:
        command.upgrade(_alembic_config(conn), "0003")
        # what the code of 0003 wrote: every event in audit_events, none with an anchor
        append_event(conn, WRITE_CHAIN, lambda: GENESIS, "loader", "ingest", "ds", "", None, "")
    with engine.begin() as conn:  # a read appended by the old code, in the old table
        append_event(conn, WRITE_CHAIN, lambda: GENESIS, "a", "read", "g1", "old", None, "")
    engine.dispose()
    store = open_store(url, ledger_dir=tmp_path / "ledgers")
    store.audit.append("a", "read", "g1", "new")
    events = [(e.chain, e.action, e.reason) for e in store.audit.events()]
    assert events == [
        (WRITES, "ingest", ""),
        (WRITES, "read", "old"),
        (WRITES, READ_CHAIN_START, "upgrade from 0003"),
        (READS, "read", "new"),
    ]
    assert store.audit.verify().ok
    store.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_upgrade_splits_compound_names_into_words(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    """Revision 0007 splits the words of names at hyphens and apostrophes: a store written
    before it (its rows made again by the downgrade) finds "Pérez-López" by "lopez" after
    the upgrade, as a store written after it does."""

    url = backend_url(backend, tmp_path / "old.db", request)
    store = open_store(url, ledger_dir=tmp_path / "ledgers")
    load(store)
    names = [("p7", "Individual", "name", "María Pérez-López"), ("p8", "Person", "name", "O'Brien")]
    with store.writer() as w:
        w.add_statements(table(US.name, names), US.name, US.label)
    view = View(store, ATF, audit=False)
    assert sorted(h.entity_id for h in view.search("lopez")) == ["p1", "p7"]
    assert [h.entity_id for h in view.search("obrien")] == ["p8"]
    with dialect.write_transaction(store.engine) as conn:
        command.downgrade(_alembic_config(conn), "0006")
        words = {str(r.key) for r in conn.execute(_OLD_KEYS)}
    store.close()
    assert "perez-lopez" in words and "lopez" in words  # p1's: no hyphen
    assert "obrien" not in words and "o'brien" in words
    store = open_store(url, ledger_dir=tmp_path / "ledgers")  # upgrades again
    view = View(store, ATF, audit=False)
    assert sorted(h.entity_id for h in view.search("lopez")) == ["p1", "p7"]
    assert sorted(h.entity_id for h in view.search("perez-lopez")) == ["p1", "p7"]
    assert [h.entity_id for h in view.search("o'brien")] == ["p8"]
    with store.engine.connect() as conn:
        assert "perez-lopez" not in {str(r.key) for r in conn.execute(_OLD_KEYS)}
    store.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_upgrade_folds_letters_a_reader_types_in_latin(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    """Revision 0010 folds compatibility forms and ß, Ł, Æ...: a store written before it (its
    rows made again by the downgrade) finds "Straße" by "strasse" and a full-width serial by
    its ASCII spelling after the upgrade, as a store written after it does."""

    url = backend_url(backend, tmp_path / "old.db", request)
    store = open_store(url, ledger_dir=tmp_path / "ledgers")
    load(store)
    rows = [
        ("p7", "Individual", "name", "Hans Straße"),
        ("p8", "Person", "name", "ŁÓDŹ Ærø"),
        ("g7", "Firearm", "serialNumber", "ＸＹＺ９８７"),
    ]
    with store.writer() as w:
        w.add_statements(table(US.name, rows), US.name, US.label)

    def found(view: View) -> tuple[list[str], list[str], list[str]]:
        return (
            [h.entity_id for h in view.search("strasse")],
            [h.entity_id for h in view.search("lodz aero")],
            [h.entity_id for h in view.by_identifier("xyz-987")],
        )

    assert found(View(store, ATF, audit=False)) == (["p7"], ["p8"], ["g7"])
    with dialect.write_transaction(store.engine) as conn:
        command.downgrade(_alembic_config(conn), "0009")
        keys = {str(r.key) for r in conn.execute(_OLD_KEYS)}
    store.close()
    assert {"straße", "łodz", "ærø"} <= keys and not {"strasse", "XYZ987"} & keys
    store = open_store(url, ledger_dir=tmp_path / "ledgers")  # upgrades again
    assert found(View(store, ATF, audit=False)) == (["p7"], ["p8"], ["g7"])
    with store.engine.connect() as conn:
        keys = {str(r.key) for r in conn.execute(_OLD_KEYS)}
    assert {"strasse", "lodz", "aero", "XYZ987"} <= keys and "straße" not in keys
    store.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_upgrade_keys_each_time_a_name_holds_a_word(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Revision 0011 keys a word a name holds twice twice: a store written before it (its
    rows made again by the downgrade) finds "Juan García García" and not "Juan García López"
    by "garcia garcia" after the upgrade, with the rows a store written after it has, also
    for a one-word value that NFKC breaks into words ("⑴⑴" is "(1)(1)"), and none for a word
    too long to key; the rows are inserted as each chunk of names is read, not held until
    the end."""
    import alembic.util.pyfiles
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    url = backend_url(backend, tmp_path / "old.db", request)
    store = open_store(url, ledger_dir=tmp_path / "ledgers")
    load(store)
    rows = [
        ("p7", "Individual", "name", "Juan García García"),
        ("p8", "Individual", "name", "Juan García López"),
        ("p9", "Person", "name", "MA. MA. Straße-STRASSE"),
        ("p10", "Person", "name", "⑴⑴"),
        ("p11", "Person", "name", "㈠㈠"),
        # a word over MAX_KEY_BYTES, twice: keyed neither time, by the upgrade neither
        ("p12", "Person", "name", "Alberto " + "a" * 1100 + " " + "a" * 1100),
    ]
    with store.writer() as w:
        w.add_statements(table(US.name, rows), US.name, US.label)

    def found(view: View) -> tuple[list[str], list[str], list[str]]:
        return (
            [h.entity_id for h in view.search("garcia garcia")],
            [h.entity_id for h in view.search("strasse strasse")],
            [h.entity_id for h in view.search("maria maria")],
        )

    def keys(conn: Any) -> list[tuple[object, ...]]:
        return sorted(tuple(r) for r in conn.execute(_OLD_KEYS))

    assert found(View(store, ATF, audit=False)) == (["p7"], ["p9"], ["p9"])
    with store.engine.connect() as conn:
        written = keys(conn)
    with dialect.write_transaction(store.engine) as conn:
        command.downgrade(_alembic_config(conn), "0010")
        old = keys(conn)
    store.close()
    # (garcia, ma, strasse, 1 and 一: each one row more)
    assert len(old) == len(written) - 5 and not [k for k in old if "\x01" in str(k[2])]

    # the upgrade reads names 2 at a time here: each INSERT holds the rows of 2 names at most
    load_module = alembic.util.pyfiles.load_module_py

    def small_chunks(module_id: str, path: Any) -> Any:
        module = load_module(module_id, path)
        if getattr(module, "revision", None) == "0011":
            module._CHUNK = 2
        return module

    inserted: list[int] = []

    def count(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.startswith("INSERT INTO statement_keys ("):  # (0011's, not 0013's copy)
            inserted.append(len(params) if isinstance(params, list) else 1)

    monkeypatch.setattr(alembic.util.pyfiles, "load_module_py", small_chunks)
    event.listen(Engine, "before_cursor_execute", count)
    try:
        store = open_store(url, ledger_dir=tmp_path / "ledgers")  # upgrades again
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    assert sum(inserted) == 5 and max(inserted) <= 4, inserted  # (p9's 3 and another's)
    assert found(View(store, ATF, audit=False)) == (["p7"], ["p9"], ["p9"])
    with store.engine.connect() as conn:
        assert keys(conn) == written
    store.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_processes_opening_a_new_store_at_once_all_open_it(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    """Several processes (here threads, each its own engine) opening a store that does not
    exist yet: one creates it, the others wait and open it; one reads chain is started
    (on PostgreSQL all but one failed on a duplicate catalog entry)."""
    import threading

    url = backend_url(backend, tmp_path / "new.db", request)
    errors: list[BaseException] = []
    stores: list[Store] = []
    start = threading.Barrier(5)

    def open_it() -> None:
        try:
            start.wait()
            stores.append(open_store(url, ledger_dir=tmp_path / "ledgers"))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors and len(stores) == 5
    starts = [e for e in stores[0].audit.events() if e.action == READ_CHAIN_START]
    assert len(starts) == 1 and stores[0].audit.verify().ok
    for store in stores:
        store.close()


def test_a_read_audit_file_that_cannot_be_read_now_is_no_tampering(
    quick_store: Store, tmp_path: Path
) -> None:
    """Locked (or on a full disk, or unreadable by permissions) is an error saying so, not
    a verdict of tampering (verify said the file had been overwritten or replaced)."""
    quick_store.audit.append("a", "read", "g1")
    path = quick_store.audit.read_file
    assert path is not None
    quick_store.audit.close()  # (its pooled connection to the file)
    impatient = AuditLog(quick_store.engine, path, busy_timeout_s=0.05)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError, match="this says nothing about its integrity"):
            impatient.verify()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert impatient.verify().ok  # readable again: nothing wrong
    assert quick_store.audit.verify().ok


def test_verify_opens_the_read_audit_file_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`verify` checks the read-audit file as a file and recomputes its chain on one
    connection (it opened the file twice: for the check, then as the log's read engine)."""
    db = tmp_path / "s.db"
    store = open_store(str(db))
    store.audit.append("a", "read", "g1", "why")
    store.close()
    store = open_store(str(db))
    opened: list[str] = []
    connect = sqlite3.dbapi2.connect  # (what SQLAlchemy's pysqlite dialect calls)

    def counted(database: str, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        opened.append(str(database))
        return connect(database, *args, **kwargs)

    monkeypatch.setattr(sqlite3.dbapi2, "connect", counted)
    result = store.audit.verify()
    monkeypatch.undo()
    store.close()
    assert result.ok and result.chains == {WRITES: 1, READS: 1}
    assert [Path(name).name for name in opened if name != str(db)] == [f"s.db{READ_FILE_SUFFIX}"]


def _state(url: str, path: Path | None) -> tuple[object, ...]:
    """What an open that writes would change: the schema, the events, the file's bytes and
    the files beside it."""
    import hashlib

    engine = create_engine(url)
    with engine.connect() as conn:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        events = conn.execute(text("SELECT count(*) FROM audit_events")).scalar()
    engine.dispose()
    if path is None:
        return revision, events
    files = sorted(p.name for p in path.parent.iterdir() if not p.name.endswith(("-wal", "-shm")))
    return revision, events, hashlib.sha256(path.read_bytes()).hexdigest(), files


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_verify_neither_upgrades_nor_writes_an_older_store(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    """`open_store(migrate=False)` (audit verify) opens a store of an older schema whose
    chains have today's form (0004 on) as it is, and verifies it; an older one (0003) is
    refused with what to do. Either way nothing is written (verify upgraded the store,
    appended a read-chain-start and made a read-audit file)."""
    path = None if backend == "postgresql" else tmp_path / "store" / "old.db"
    if path is None:
        url = str(request.getfixturevalue("pg_url"))
    else:
        path.parent.mkdir()
        url = f"sqlite:///{path}"
    store = open_store(url, ledger_dir=tmp_path / "ledgers")
    load(store)
    store.audit.append("a", "read", "g1")
    with dialect.write_transaction(store.engine) as conn:
        command.downgrade(_alembic_config(conn), "0006")
    store.close()
    before = _state(url, path)
    store = open_store(url, ledger_dir=tmp_path / "ledgers", create=False, migrate=False)
    result = store.audit.verify()
    store.close()
    assert result.ok and result.chains == {WRITES: 1, READS: 1}
    assert _state(url, path) == before and before[0] == "0006"

    if path is None:
        _reset_pg(url)
    else:
        path = tmp_path / "older" / "old.db"
        path.parent.mkdir()
        url = f"sqlite:///{path}"
    engine = create_engine(url, **dialect.engine_options(url))
    dialect.configure_engine(engine)
    with dialect.write_transaction(engine) as conn:
        command.upgrade(_alembic_config(conn), "0003")
        append_event(conn, WRITE_CHAIN, lambda: GENESIS, "loader", "ingest", "ds", "", None, "")
    engine.dispose()
    before = _state(url, path)
    with pytest.raises(StoreError, match="of schema 0003, from before the reads audit chain"):
        open_store(url, ledger_dir=tmp_path / "ledgers", create=False, migrate=False)
    assert _state(url, path) == before
