"""Anchors: the writes chain records the reads chain's head, so a read-audit chain that is
cut short, or put back from an earlier copy, is reported by `verify()` once anchored.

Real stores and real files: a backup of the read-audit file is taken with SQLite's backup
API and put back as an operator (or an intruder) would. Cutting a chain short means going
around the append-only triggers, as an intruder with the file would. Behaviour shared by
the backends runs on all three kinds of store (`kinds`); the file scenarios on SQLite files.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from conftest import backend_url
from ironriver.errors import AuditError
from ironriver.policy import Principal, retract
from ironriver.settings import Settings
from ironriver.store import AuditEvent, Store, open_store
from ironriver.store.anchors import ANCHOR_KEY
from ironriver.store.audit import READ_CHAIN_CHECKPOINT
from ironriver.store.audit_append import append_event
from ironriver.store.audit_chain import GENESIS, READ_CHAIN_START, READS, WRITE_CHAIN
from ironriver.store.audit_file import open_read_file
from samples import US, load, table

ATF_LOADER = Principal("atf-loader", "ATF", "US", frozenset({"ingest"}))


@pytest.fixture(params=["sqlite-file", "sqlite-memory", "postgresql"])
def kinds(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh store of each kind: reads chain in its own file, or in the store."""
    url = {
        "sqlite-file": f"sqlite:///{tmp_path / 's.db'}",
        "sqlite-memory": "sqlite://",
    }.get(request.param) or str(request.getfixturevalue("pg_url"))
    store = open_store(url, ledger_dir=tmp_path / "ledgers")
    yield store
    store.close()


def _reads(store: Store, n: int) -> None:
    for i in range(n):
        store.audit.append("analyst", "read", f"e{i}", "case 7")


def _ingest(store: Store) -> AuditEvent:
    """A small ingest as the pipeline does it: data and its event in one transaction."""
    n = store.statement_count() + 1  # one new statement each time
    rows = [(f"p{n}", "Individual", "name", f"Name {n}")]
    with store.writer() as w:
        w.ensure_dataset(US)
        w.add_statements(table(US.name, rows), US.name, US.label)
        return store.audit.append("loader", "ingest", US.name, "load", {"n": 1}, conn=w.conn)


def _read_hash(store: Store, seq: int) -> str:
    with store.audit.read_engine().connect() as conn:
        query = text("SELECT hash FROM audit_read_events WHERE seq = :s")
        return str(conn.execute(query, {"s": seq}).scalar_one())


def _cut_reads(store: Store, keep: int) -> None:
    """What an intruder with write access does: drop the append-only trigger, delete the
    newest read events and rewrite the head row to match, leaving a valid, shorter chain."""
    engine = store.audit.read_engine()
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER IF EXISTS audit_read_no_delete"))
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS audit_read_no_change ON audit_read_events"))
        kept = conn.execute(text("SELECT hash FROM audit_read_events WHERE seq = :k"), {"k": keep})
        head = {"k": keep, "h": kept.scalar_one()}
        conn.execute(text("DELETE FROM audit_read_events WHERE seq > :k"), {"k": keep})
        conn.execute(text("DELETE FROM audit_read_head"))
        conn.execute(text("INSERT INTO audit_read_head (id, seq, hash) VALUES (1, :k, :h)"), head)


def _backup(path: Path, dest: Path) -> None:
    """A consistent copy of a live SQLite file (WAL included), as a backup job takes it."""
    source, target = sqlite3.connect(path), sqlite3.connect(dest)
    with target:
        source.backup(target)
    source.close()
    target.close()


def _put_back(backup: Path, path: Path) -> None:
    """Replace the (closed) read-audit file with an older copy of itself."""
    for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    shutil.copyfile(backup, path)


def test_every_write_records_the_reads_head(kinds: Store) -> None:
    store = kinds
    start = next(e for e in store.audit.events() if e.action == READ_CHAIN_START)
    assert start.read_anchor is None  # a chain's start has no head to anchor yet
    assert _ingest(store).read_anchor == {"seq": 0}  # no read yet
    _reads(store, 3)
    second = _ingest(store)
    assert second.read_anchor == {"seq": 3, "hash": _read_hash(store, 3)}
    assert second.detail["n"] == 1  # the caller's detail is kept beside the anchor
    checkpoint = store.audit.checkpoint("auditor", "nightly")
    assert checkpoint.action == READ_CHAIN_CHECKPOINT
    assert checkpoint.read_anchor == {"seq": 3, "hash": _read_hash(store, 3)}
    result = store.audit.verify()
    assert result.ok and result.anchored == 3 and result.chains[READS] == 3
    with pytest.raises(ValueError, match="'read_anchor' is reserved"):
        store.audit.append("loader", "ingest", US.name, detail={ANCHOR_KEY: {"seq": 99}})


def test_an_edited_anchor_is_an_edited_event(tmp_path: Path) -> None:
    """The anchor is hashed with its event: moving it back (to hide later reads) breaks the
    writes chain."""
    store = open_store(str(tmp_path / "s.db"))
    _reads(store, 3)
    event = _ingest(store)
    with store.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER audit_no_update"))
        conn.execute(
            text("UPDATE audit_events SET detail = replace(detail, '\"seq\": 3', '\"seq\": 1')")
        )
    assert tuple(str(p) for p in store.audit.verify().problems) == (
        f"writes chain: event {event.seq} was edited (its hash does not match)",
    )
    store.close()


def test_a_retraction_anchors_too(kinds: Store) -> None:
    store = kinds
    load(store)
    _reads(store, 2)
    retract(store, ATF_LOADER, "g1", reason="wrong make", prop="make")
    event = next(e for e in store.audit.events() if e.action == "retract")
    # 3: the retraction's own look at the statements it withdraws is an audited read
    assert event.read_anchor is not None and event.read_anchor["seq"] == 3
    assert store.audit.verify().anchored == 3


def test_cut_off_reads_are_detected_once_anchored(kinds: Store) -> None:
    """Deleting the newest reads and rewriting the head consistently leaves a valid chain:
    undetectable after the newest anchor (the documented window), detected before it."""
    store = kinds
    _reads(store, 5)
    store.audit.checkpoint("auditor")  # anchors read 5
    _reads(store, 2)
    _cut_reads(store, keep=5)  # reads 6 and 7, after the newest anchor
    result = store.audit.verify()
    assert result.ok and result.chains[READS] == 5 and result.anchored == 5
    _cut_reads(store, keep=3)  # reads 4 and 5: read 5 was anchored
    result = store.audit.verify()
    problems = tuple(str(p) for p in result.problems)
    advice = [str(a) for a in result.advice]
    assert len(problems) == 1
    if store.audit.read_file is None:  # the store's own table: no file, no earlier copy of it
        assert problems[0].startswith(
            "reads chain: the audit_read_events table of the store's database ends before a "
            "read the store anchored: read events after seq 3 were deleted from it "
            "(writes-chain event 2, at "
        )
        assert len(advice) == 1 and advice[0].startswith(
            "Reads chain: read events were changed in the audit_read_events table"
        )
        assert "restore the database from that dump" in advice[0]
        assert "file" not in problems[0] + advice[0]
    else:
        assert problems[0].startswith(
            "reads chain: the read-audit file is older than the store: read events after "
            "seq 3 were removed or the file was replaced by an earlier copy (writes-chain "
            "event 2, at "
        )
        assert len(advice) == 2 and "restore the read-audit file from that backup" in advice[0]
        assert advice[1].startswith(
            "If this store was restored from a backup, its read-audit file may have been "
            "copied before the store (the wrong order"
        )
        assert "put a later copy" in advice[1] and "read 5, anchored at" in advice[1]
    assert problems[0].endswith("recorded read event 5)")


def test_older_copy_of_the_read_audit_file_is_detected(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    store = open_store(str(db))
    path = store.audit.read_file
    assert path is not None
    _reads(store, 2)
    _backup(path, tmp_path / "week-ago.sqlite")
    _reads(store, 3)
    _ingest(store)  # anchors read 5
    _ingest(store)  # and again: one problem names the newest anchor, and counts the rest
    store.close()
    _put_back(tmp_path / "week-ago.sqlite", path)
    store = open_store(str(db))
    result = store.audit.verify()
    assert not result.ok and result.chains[READS] == 2
    assert len(result.problems) == 1
    problem = str(result.problems[0])
    assert "read events after seq 2 were removed or the file was replaced by an earlier copy" in (
        problem
    )
    assert "writes-chain event 3" in problem and "recorded read event 5; 1 more anchors" in problem
    # the copy is then written to again: longer than the anchor, but not the anchored events
    _reads(store, 4)
    problems = tuple(str(p) for p in store.audit.verify().problems)
    assert len(problems) == 1 and problems[0].startswith(
        "reads chain: event 5 is not the one writes-chain event 2 (at "
    )
    assert "replaced by an earlier copy that has been appended to since; 1 more" in problems[0]
    store.close()


def test_older_copy_without_a_later_anchor_goes_unnoticed(tmp_path: Path) -> None:
    """The remaining window, asserted so that it stays documented: reads after the newest
    anchor can be removed by putting back a copy taken after that anchor."""
    db = tmp_path / "s.db"
    store = open_store(str(db))
    path = store.audit.read_file
    assert path is not None
    _reads(store, 2)
    _ingest(store)  # anchors read 2
    _backup(path, tmp_path / "copy.sqlite")
    _reads(store, 3)  # reads 3 to 5: no anchor after them
    store.close()
    _put_back(tmp_path / "copy.sqlite", path)
    store = open_store(str(db))
    result = store.audit.verify()
    assert result.ok and result.chains[READS] == 2 and result.anchored == 2
    store.close()


def test_restart_reads_is_reported_with_the_anchored_reads_it_abandoned(
    tmp_path: Path,
) -> None:
    """A legitimate restart (the read-audit file was lost) stays a problem: reads were lost,
    and verify cannot tell it from a forged one. The new chain is checked on its own."""
    db = tmp_path / "s.db"
    store = open_store(str(db))
    path = store.audit.read_file
    assert path is not None
    _reads(store, 3)
    _ingest(store)  # anchors read 3 of the first chain
    store.close()
    path.unlink()
    store = open_store(str(db))
    restart = store.audit.restart_reads("loader", "disk failure", "OIG")
    result = store.audit.verify()  # the new chain is empty, and is not held to read 3
    assert result.anchored == 0 and result.chains[READS] == 0
    [problem] = result.problems
    assert str(problem).startswith(
        f"reads chain: writes-chain event {restart.seq} (at {restart.at}, by loader: "
        "'disk failure') started a new reads chain, abandoning the one started at "
    )
    assert "and its 3 anchored reads, which can no longer be checked" in str(problem)
    _reads(store, 1)
    event = store.audit.checkpoint("auditor")
    assert event.read_anchor is not None and event.read_anchor["seq"] == 1
    result = store.audit.verify()
    assert result.anchored == 1 and result.problems == (problem,)
    store.close()


def _forge_restart(store: Store) -> None:
    """What an intruder who can write the store does to erase anchored reads with INSERTs
    alone: append a read-chain-start to the writes chain (an unkeyed SHA-256 chain anyone
    can extend) and put an empty reads chain in place of the old one."""
    detail = {"chain_id": uuid.uuid4().hex, "location": "store"}
    with store.writer() as w:
        append_event(
            w.conn,
            WRITE_CHAIN,
            lambda: GENESIS,
            "ironriver",
            READ_CHAIN_START,
            "store",
            "upgrade",
            detail,
            "",
        )
    path = store.audit.read_file
    if path is None:  # in the store: emptied (TRUNCATE goes around the row triggers)
        with store.engine.begin() as conn:
            conn.execute(text("TRUNCATE audit_read_events, audit_read_head"))
        return
    store.audit.close()
    for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    open_read_file(path, 5, create=True).dispose()  # a fresh, empty read-audit file


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_forged_restart_does_not_erase_anchored_reads_unnoticed(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    url = backend_url(backend, tmp_path / "s.db", request)
    store = open_store(url, ledger_dir=tmp_path / "ledgers")
    _reads(store, 3)
    store.audit.checkpoint("auditor", "nightly")  # anchors the 3 reads
    assert store.audit.verify().ok
    _forge_restart(store)
    result = store.audit.verify()  # was: ok, 0 reads, nothing anchored
    assert not result.ok and result.chains[READS] == 0
    [problem] = result.problems
    assert "by ironriver: 'upgrade') started a new reads chain" in str(problem)
    assert "its 3 anchored reads, which can no longer be checked" in str(problem)
    store.close()


def test_a_fresh_store_s_first_reads_chain_abandons_nothing(kinds: Store) -> None:
    assert [e.action for e in kinds.audit.events()] == [READ_CHAIN_START]
    _reads(kinds, 2)
    _ingest(kinds)
    result = kinds.audit.verify()
    assert result.ok and result.anchored == 2


def test_write_goes_ahead_when_the_reads_chain_cannot_be_read(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    store = open_store(str(db))
    path = store.audit.read_file
    assert path is not None
    store.close()
    path.unlink()
    store = open_store(str(db))
    event = _ingest(store)
    assert event.read_anchor == {"unavailable": "missing"}
    with pytest.raises(
        AuditError, match=r"Cannot anchor the reads chain: its file .* is missing"
    ) as info:
        store.audit.checkpoint("auditor")
    assert "restart-reads" in (info.value.hint or "")
    problems = tuple(str(p) for p in store.audit.verify().problems)
    assert len(problems) == 1 and "read-audit file" in problems[0] and "is missing" in problems[0]
    store.close()
    with sqlite3.connect(path) as conn:  # something else in its place
        conn.execute("CREATE TABLE notes (t TEXT)")
    conn.close()
    store = open_store(str(db))
    assert _ingest(store).read_anchor == {"unavailable": "unreadable"}
    store.close()


@contextmanager
def _reads_lock_held(store: Store, url: str) -> Iterator[None]:
    """Another connection holding the lock a read append takes: the read-audit file's write
    lock beside a SQLite store, the EXCLUSIVE lock on the reads table on PostgreSQL. Checks
    that it is held (a second taker gives up at once) before yielding."""
    path = store.audit.read_file
    if path is not None:
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()
        try:
            yield
        finally:
            holder.rollback()
            holder.close()
        return
    engine = create_engine(url)
    lock = text("LOCK TABLE audit_read_events IN EXCLUSIVE MODE")
    with engine.connect() as holder, engine.connect() as other:
        holder.execute(lock)
        other.execute(text("SET lock_timeout = '50ms'"))
        with pytest.raises(DBAPIError, match="lock timeout"):
            other.execute(lock)
        other.rollback()
        try:
            yield
        finally:
            holder.rollback()
    engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_anchoring_does_not_wait_for_a_read_being_appended(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    """A write reads the reads chain's head while a read append holds its lock: a WAL reader,
    or a plain SELECT, does not wait for that lock, so neither does the write."""
    url = backend_url(backend, tmp_path / "s.db", request)
    settings = Settings.from_env({"IRONRIVER_BUSY_TIMEOUT": "5"}, db=url)
    store = open_store(settings, ledger_dir=tmp_path / "ledgers")
    _reads(store, 2)
    written: list[AuditEvent] = []
    # in a thread, so that a write that does wait fails this test instead of hanging it
    writer = threading.Thread(target=lambda: written.append(_ingest(store)))
    with _reads_lock_held(store, url):
        writer.start()
        # a write that waited for the lock would give up after the busy timeout (5 s: no
        # event written) or still be waiting when the lock is let go: no wall-clock bound,
        # which a loaded machine breaks
        writer.join(timeout=60.0)
        done_while_held = not writer.is_alive()
    writer.join()
    assert done_while_held and [e.read_anchor for e in written] == [
        {"seq": 2, "hash": _read_hash(store, 2)}
    ]
    store.close()


def test_events_from_before_anchors_still_verify(kinds: Store) -> None:
    """Writes-chain events appended as the code before anchors did (no anchor in detail)
    verify as before, beside anchored ones."""
    store = kinds
    _reads(store, 2)
    with store.writer() as w:
        append_event(
            w.conn, WRITE_CHAIN, lambda: GENESIS, "loader", "ingest", US.name, "", None, ""
        )
    result = store.audit.verify()
    assert result.ok and result.anchored == 0
    _ingest(store)
    result = store.audit.verify()
    assert result.ok and result.anchored == 2
