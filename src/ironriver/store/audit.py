"""The append-only, hash-chained audit log: who read, searched, exported or ingested what,
when and why.

Two chains of the same shape, one API (`AuditLog.append` routes by action):

- the **writes** chain (`audit_events`, in the store) holds events that change data: ingests,
  retractions, the start of a read chain, and any action not in `READ_ACTIONS`. They are
  appended inside the transaction of the data they describe (`conn=`), so an event exists
  exactly when its data does.
- the **reads** chain (`audit_read_events`) holds the events of reads (`READ_ACTIONS`: entity
  reads, searches, neighbours, bulk table reads, exports, ledgers). Each is appended in its own short
  transaction, which never waits for a data write: on a file-backed SQLite store the chain
  lives in its own file beside the store, `<store file>.read-audit.sqlite`
  (`read_audit_path`), which the ingest never writes, so a read does not queue behind an
  ingest that holds the store's write lock for seconds. On PostgreSQL and in-memory SQLite
  both chains live in the store itself (separate tables, so on PostgreSQL a read does not
  wait at the writes chain's head either).

Each event's hash is SHA-256 over the previous event's hash and the event's own canonical
JSON (sequence number included), so `verify()` detects any edited, removed or reordered event
within either chain; a head row per chain, written with each event, catches events removed from
the end. Triggers refuse UPDATE and DELETE on both event tables; the chains catch whoever goes
around them. A chain cannot catch a copy of itself, though: an older backup of the read-audit
file, or one whose newest events were cut off and its head row rewritten to match, is a valid
chain. So the reads chain is **anchored** in the writes chain:

- at its start: when a store gets its reads chain (created, or upgraded to migration 0004) a
  `read-chain-start` event with a fresh chain id is appended to the writes chain, and the first
  read event chains from a genesis hash derived from that id. A read-audit file that is
  deleted, emptied and recreated, or taken from another store, is reported by `verify()`;
  opening the store never recreates a missing read-audit file (reads then fail with a message
  saying what to do), and `restart_reads()` records its loss in the writes chain before
  starting a new one. `verify()` reports every such restart from then on (who, when, and how
  many anchored reads of the abandoned chain can no longer be checked): reads were lost, and
  an unkeyed chain cannot tell a restart recorded by an admin from one forged to erase reads.
- at its head, regularly: every other writes-chain event (ingests, retractions) records the
  seq and hash of the reads chain's newest event at that moment (seq 0: no read yet) in its
  `detail`, under `read_anchor` (`ANCHOR_KEY`; hashed with the event, so it cannot be edited
  either), and `checkpoint()` appends a `read-chain-checkpoint` event that records just that
  (`ironriver audit checkpoint`, e.g. nightly from cron). `verify()` checks every anchor after
  the newest read-chain-start (anchors of a chain abandoned by a restart are not held
  against its successor; the restart itself is reported): a reads chain that ends before an anchored seq, or holds another
  event there, was cut short or replaced by an earlier copy, and is reported. Events written
  before anchors existed have none and verify as they always did.

What anchors do not cover: read events after the newest anchor can still be removed (or the
file rolled back to just before them) without `verify()` noticing, until the next ingest,
retraction or checkpoint anchors them. `VerifyResult.anchored` says where that window starts.

Anchoring never makes a write wait on reads, and cannot deadlock: beside a SQLite file store
the head is read on the read-audit file's own engine, as a WAL snapshot (a reader waits for no
writer; at most `ANCHOR_WAIT_S` should the file be locked otherwise), and the reads side never
waits for the store's write lock in return; in the store (PostgreSQL, in-memory SQLite) it is a
plain SELECT inside the write's own transaction, which a read append's table lock does not
block. If the read-audit file cannot be read then (missing, not a read-audit file, locked),
the write goes ahead exactly as without anchors and its anchor records `unavailable`
(`missing` or `unreadable`) instead of a head; `checkpoint()` refuses instead.
How anchors are recorded, read and checked: `ironriver.store.anchors`. What the two chains
share (their tables, the hash, where each starts): `ironriver.store.audit_chain`; how
`verify()` checks them: `ironriver.store.audit_verify`.

The read-audit file gets the store's protections: WAL, the busy timeout, the append-only
triggers; it is created with its schema in one transaction, marked with a SQLite
`application_id` and a `user_version` (its schema version, checked on open). Backups and
copies of a SQLite store take both files. Events written before migration 0004 stay in the
writes chain, whatever their action. Audit is separate from logging: it is part of the
store and travels with it.

Who acted: `actor` and `agency` are the principal the command was run as (`--as`), which the
command line cannot check (it trusts its user: docs/policy.md, "Who is acting"). So every event
also records, in its `detail` under `by` (`BY_KEY`, hashed with the event), the operating-system
account and host that ran it; `AuditEvent.by` holds it, apart from the caller's `detail`.
"""

from __future__ import annotations

import getpass
import heapq
import json
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cache, lru_cache
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BindParameter,
    Connection,
    Engine,
    Select,
    bindparam,
    create_engine,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy import text as sql
from sqlalchemy.exc import DBAPIError

from ironriver.errors import AuditError, StoreError
from ironriver.i18n import msg
from ironriver.logs import get_logger
from ironriver.settings import sqlite_url
from ironriver.store.anchors import ANCHOR_KEY, file_head, read_head
from ironriver.store.audit_chain import (
    APPLICATION_ID,
    GENESIS,
    READ_CHAIN,
    READ_CHAIN_START,
    READ_FILE_VERSION,
    WRITE_CHAIN,
    WRITES,
    Chain,
    check_file_version,
    file_marks,
    is_empty_file,
    read_genesis,
    row_digest,
    schema_objects,
)
from ironriver.store.audit_verify import VerifyResult, verify_chains
from ironriver.store.dialect import (
    configure_engine,
    engine_options,
    sqlite_file,
    write_transaction,
)
from ironriver.store.tables import audit_events, audit_read_events, audit_read_head

READ_ACTIONS = frozenset(
    {
        "read",
        "read-entities",
        "read-statements",
        "search",
        "search-identifier",
        "neighbours",
        "read-table",
        "export",
        "ledger",
        "refused",
        "ingest-check",
    }
)
"""Actions that change no data (what `ironriver.policy.View` logs): their events go to the
reads chain. Every other action changes data and goes to the writes chain."""

READ_CHAIN_CHECKPOINT = "read-chain-checkpoint"  # a writes-chain event that only anchors
# the labels of the datasets no ingest event recorded, as found at the upgrade to 0015
LABELS_BASELINE = "labels-baseline"
AUDIT_ACTIONS = READ_ACTIONS | {
    "ingest",
    "retract",
    READ_CHAIN_START,
    READ_CHAIN_CHECKPOINT,
    LABELS_BASELINE,
}
"""Every action ironriver records: the reads, and the writes chain's ingests, retractions,
read-chain starts (a new store, a lost read-audit file restarted), checkpoints and the labels
baseline of an upgraded store. What `audit log --action` may name (a store's older events may
hold others: they still match)."""
READ_FILE_SUFFIX = ".read-audit.sqlite"
READ_CHAIN_REVISION = "0004"  # the migration that gave stores a reads chain


BY_KEY = "by"
"""In every event's detail: the operating-system account and host that wrote it."""


@lru_cache(maxsize=1)
def running_as() -> dict[str, str]:
    """The operating-system account and host of this process, as an event records them
    ("" for what cannot be told: a container without a password entry)."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no $USER/$LOGNAME and no password entry for the uid
        user = f"uid:{os.getuid()}"
    try:
        host = socket.gethostname()
    except OSError:
        host = ""
    return {"user": user, "host": host}


def _split_by(detail: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """An event's `detail` without `BY_KEY`, and its `BY_KEY` ({} for events written before
    it was recorded)."""
    by = detail.get(BY_KEY)
    if not isinstance(by, dict):
        return detail, {}
    return {k: v for k, v in detail.items() if k != BY_KEY}, {str(k): str(v) for k, v in by.items()}


@dataclass(frozen=True)
class AuditEvent:
    seq: int
    at: str
    actor: str
    agency: str
    action: str
    target: str
    reason: str
    detail: dict[str, Any]
    prev_hash: str
    hash: str
    chain: str = WRITES
    # the operating-system account and host that wrote it (`BY_KEY`; {} before it was kept)
    by: dict[str, str] = field(default_factory=dict)

    @property
    def read_anchor(self) -> dict[str, Any] | None:
        """The reads chain's head this writes-chain event recorded (`ANCHOR_KEY`), if any."""
        value = self.detail.get(ANCHOR_KEY)
        return value if isinstance(value, dict) else None


# the append-only triggers of each event table, as statements per backend
_SQLITE_GUARDS = {
    "audit_events": (
        "CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END",
        "CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END",
    ),
    "audit_read_events": (
        "CREATE TRIGGER IF NOT EXISTS audit_read_no_update BEFORE UPDATE ON audit_read_events "
        "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END",
        "CREATE TRIGGER IF NOT EXISTS audit_read_no_delete BEFORE DELETE ON audit_read_events "
        "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END",
    ),
}
_PG_GUARDS = {
    "audit_events": (
        "DROP TRIGGER IF EXISTS audit_no_change ON audit_events",
        "CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
    ),
    "audit_read_events": (
        "DROP TRIGGER IF EXISTS audit_read_no_change ON audit_read_events",
        "CREATE TRIGGER audit_read_no_change BEFORE UPDATE OR DELETE ON audit_read_events "
        "FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
    ),
}
_SQLITE_TRIGGERS = (
    "audit_no_update",
    "audit_no_delete",
    "audit_read_no_update",
    "audit_read_no_delete",
)
_PG_TRIGGERS = ("audit_no_change", "audit_read_no_change")

log = get_logger(__name__)


def read_audit_path(engine: Engine) -> Path | None:
    """Where a store's reads chain lives in a file of its own: beside a file-backed SQLite
    store; None (the store itself) for PostgreSQL and in-memory SQLite."""
    db = sqlite_file(engine)
    if db is None:
        return None
    path = Path(db).resolve()
    return path.with_name(path.name + READ_FILE_SUFFIX)


def install_guards(
    conn: Connection, tables: tuple[str, ...] = ("audit_events", "audit_read_events")
) -> None:
    """Refuse UPDATE and DELETE on the audit event tables (SQLite and PostgreSQL)."""
    if conn.dialect.name == "sqlite":
        for table in tables:
            for statement in _SQLITE_GUARDS[table]:
                conn.execute(sql(statement))
        return
    conn.execute(
        sql(
            "CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'audit log is append-only'; END; $$ LANGUAGE plpgsql"
        )
    )
    for table in tables:
        for statement in _PG_GUARDS[table]:
            conn.execute(sql(statement))


def guards_installed(conn: Connection) -> bool:
    """Whether the store's append-only triggers are all in place (a read, no lock taken).

    On PostgreSQL, each trigger on the store's own table: the table its name resolves to
    (`to_regclass`, through the connection's `search_path`, as every statement of the store
    does). Counted by name across the database, two stores in two schemas of one database
    held four triggers, so neither was ever found ready and each open took the migration's
    write lock; and a store missing its triggers passed when another schema had them."""
    if conn.dialect.name == "sqlite":
        query = sql(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN (:a, :b, :c, :d)"
        ).bindparams(**dict(zip("abcd", _SQLITE_TRIGGERS, strict=True)))
        return int(conn.execute(query).scalar_one()) == len(_SQLITE_TRIGGERS)
    query = sql(
        "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND ("
        "(tgname = :a AND tgrelid = to_regclass('audit_events')) OR "
        "(tgname = :b AND tgrelid = to_regclass('audit_read_events')))"
    ).bindparams(a=_PG_TRIGGERS[0], b=_PG_TRIGGERS[1])
    return int(conn.execute(query).scalar_one()) == len(_PG_TRIGGERS)


@dataclass(frozen=True)
class _ChainSql:
    """One chain's append statements, built once: each append only binds its values.
    Built per append, SQLAlchemy derived a cache key from every statement's values each
    time (two thirds of an audited entity read's Python time, measured)."""

    head_for_update: Select[Any]
    last_event: Select[Any]
    insert_event: Any  # Insert, bound by column name
    update_head: Any  # Update: seq, hash
    insert_head: Any  # Insert: id, seq, hash
    delete_head: Any
    pg_event_and_head: Any  # PostgreSQL: the event and the head in one statement


@cache
def _chain_sql(chain: Chain) -> _ChainSql:
    head, events = chain.head, chain.events
    event = insert(events).values({c.name: bindparam(c.name) for c in events.columns})
    head_seq: BindParameter[int] = bindparam("seq")
    head_hash: BindParameter[str] = bindparam("hash")
    return _ChainSql(
        head_for_update=select(head.c.seq, head.c.hash).with_for_update(),
        last_event=select(events.c.seq, events.c.hash).order_by(events.c.seq.desc()).limit(1),
        insert_event=insert(events),
        update_head=update(head).values(seq=bindparam("head_seq"), hash=bindparam("head_hash")),
        insert_head=insert(head).values(
            id=1, seq=bindparam("head_seq"), hash=bindparam("head_hash")
        ),
        delete_head=delete(head),
        pg_event_and_head=update(head).values(seq=head_seq, hash=head_hash).add_cte(event.cte()),
    )


def _append(
    conn: Connection,
    chain: Chain,
    genesis: Callable[[], str],
    actor: str,
    action: str,
    target: str,
    reason: str,
    detail: dict[str, Any] | None,
    agency: str,
    anchor: Callable[[Connection], dict[str, Any] | None] | None = None,
) -> AuditEvent:
    pg = conn.dialect.name == "postgresql"
    q = _chain_sql(chain)
    last = None
    if chain.row_locked:
        # the head row, locked until commit: the next appender waits here, then reads the
        # head this one wrote (READ COMMITTED re-reads a row it waited for)
        last = conn.execute(q.head_for_update).first()
    if last is None and pg:
        conn.execute(sql(chain.pg_lock))
        if chain.row_locked:  # another first append may have made the head row meanwhile
            last = conn.execute(q.head_for_update).first()
    had_head = last is not None
    if last is None:
        # The anchor is read under the chain's lock: anchors then follow the chain's order,
        # and every PostgreSQL writer takes the writes chain's lock before touching the reads
        # table, as a schema upgrade (install_guards) does, so the two cannot deadlock.
        head = None if anchor is None else anchor(conn)
        if head is not None:
            detail = {**(detail or {}), ANCHOR_KEY: head}
        last = conn.execute(q.last_event).first()
    seq = 1 if last is None else int(last.seq) + 1
    prev = genesis() if last is None else str(last.hash)
    at = datetime.now(UTC).isoformat(timespec="microseconds")
    by = running_as()
    recorded = {**(detail or {}), BY_KEY: by}
    detail_text = json.dumps(recorded, sort_keys=True, ensure_ascii=False, default=str)
    row: dict[str, Any] = {
        "seq": seq,
        "at": at,
        "actor": actor,
        "agency": agency,
        "action": action,
        "target": target,
        "reason": reason,
        "detail": detail_text,
        "prev_hash": prev,
    }
    digest = row_digest(row)  # of the values inserted, as verify recomputes it from the row
    event = {**row, "hash": digest}
    if had_head and pg:  # one round trip: the event and the head in one statement
        conn.execute(q.pg_event_and_head, event)
    elif had_head:
        conn.execute(q.insert_event, event)
        conn.execute(q.update_head, {"head_seq": seq, "head_hash": digest})
    else:
        conn.execute(q.insert_event, event)
        conn.execute(q.delete_head)
        conn.execute(q.insert_head, {"head_seq": seq, "head_hash": digest})
    return AuditEvent(
        seq, at, actor, agency, action, target, reason, detail or {}, prev, digest, chain.name, by
    )


@dataclass(frozen=True)
class EventFilter:
    """Which audit events to list: each given field must match (`since` inclusive, `until`
    exclusive: ISO dates or times, compared with the events' UTC ISO timestamps)."""

    actor: str | None = None
    agency: str | None = None
    action: str | None = None
    target: str | None = None
    since: str | None = None
    until: str | None = None
    # the agencies whose events may be listed at all, plus the system's (no agency); None:
    # every event (`policy.rights.audited_agencies`)
    agencies: frozenset[str] | None = None


def _matching(query: Select[Any], chain: Chain, where: EventFilter) -> Select[Any]:
    """`query` over `chain`'s events limited to those `where` lets through."""
    c = chain.events.c
    for column, value in (
        (c.actor, where.actor),
        (c.agency, where.agency),
        (c.action, where.action),
        (c.target, where.target),
    ):
        if value:
            query = query.where(column == value)
    if where.agencies is not None:
        query = query.where(or_(c.agency.in_(sorted(where.agencies)), c.agency == ""))
    if where.since:
        query = query.where(c.at >= where.since)
    if where.until:
        query = query.where(c.at < where.until)
    return query


def _event(row: Any, chain: Chain) -> AuditEvent:
    detail, by = _split_by(json.loads(row.detail))
    return AuditEvent(
        row.seq,
        row.at,
        row.actor,
        row.agency,
        row.action,
        row.target,
        row.reason,
        detail,
        row.prev_hash,
        row.hash,
        chain.name,
        by,
    )


_STREAM_ROWS = 1_000  # events fetched at a time by `_streamed` (~5 KB each)


def _span(
    conn: Connection, chain: Chain, limit: int | None, where: EventFilter, newest: bool
) -> tuple[int, int, int]:
    """The chain's events `stream_events` takes, as a range of seqs (`low` to `high`, both
    included: its first `limit` matching events, or with `newest` its last `limit`, or all)
    and, with a `limit`, how many matching events lie in it (0 without: not counted). Read
    as keys, so that the events themselves can be streamed (`_streamed`), and bounded above
    by the newest matching event at this moment, so that events appended meanwhile are not
    among them."""
    c = chain.events.c
    seqs = _matching(select(c.seq), chain, where)
    if limit and limit <= _STREAM_ROWS:  # (few keys: read at once, one query)
        order = c.seq.desc() if newest else c.seq
        keys = conn.execute(seqs.order_by(order).limit(limit)).scalars().all()
        return (min(keys), max(keys), len(keys)) if keys else (0, -1, 0)
    top = conn.execute(seqs.order_by(c.seq.desc()).limit(1)).scalar()
    if top is None:
        return 0, -1, 0
    if not limit:
        return 0, int(top), 0
    # the limit-th newest (oldest) matching event up to `top`, if there are that many
    bounded = seqs.where(c.seq <= top)
    edge = conn.execute(
        bounded.order_by(c.seq.desc() if newest else c.seq).offset(limit - 1).limit(1)
    ).scalar()
    if edge is None:  # fewer match: all of them
        n = conn.execute(select(func.count()).select_from(bounded.subquery())).scalar_one()
        return 0, int(top), int(n)
    return (int(edge), int(top), limit) if newest else (0, int(edge), limit)


def _streamed(
    conn: Connection, chain: Chain, where: EventFilter, low: int, high: int
) -> Iterator[AuditEvent]:
    """`chain`'s matching events of seqs `low` to `high`, oldest first, `_STREAM_ROWS` held
    at a time."""
    c = chain.events.c
    query = _matching(select(chain.events), chain, where).where(c.seq.between(low, high))
    rows = conn.execution_options(yield_per=_STREAM_ROWS).execute(query.order_by(c.seq))
    try:
        for row in rows:
            yield _event(row, chain)
    finally:  # (also when the caller stops early: PostgreSQL holds a server cursor)
        rows.close()


def _latest_read_chain(conn: Connection) -> dict[str, Any] | None:
    """The detail of the newest read-chain-start event of the writes chain, if any."""
    row = conn.execute(
        select(audit_events.c.detail)
        .where(audit_events.c.action == READ_CHAIN_START)
        .order_by(audit_events.c.seq.desc())
        .limit(1)
    ).first()
    return None if row is None else dict(json.loads(row.detail))


def _open_read_file(path: Path, busy_timeout_s: float, create: bool) -> Engine:
    """An engine on a read-audit file, checked to be one (and of a schema version this code
    knows); with `create`, an empty or missing file is given the schema first. The file is
    checked as it is before the engine that switches it to WAL touches it: a file that is
    not proven to be a read-audit file (another database, an emptied one) is not written."""
    if not path.exists():
        if not create:
            raise AuditError(
                msg("The read-audit file {path} is missing.", path=path), hint=_MISSING_HINT
            )
    else:
        app_id, version, objects = _marks_as_is(path)
        if is_empty_file(app_id, version, objects):
            if not create:
                raise _emptied(path)
        elif app_id != APPLICATION_ID:
            raise _not_read_audit(path)
    url = sqlite_url(path)
    engine = create_engine(url, **engine_options(url))
    configure_engine(engine, busy_timeout_s)
    try:
        try:
            with engine.connect() as conn:
                app_id, version = file_marks(conn)
        except DBAPIError as exc:  # e.g. overwritten: "file is not a database"
            raise _cannot_read(path, exc) from exc
        if (app_id, version) == (0, 0) and create:
            with write_transaction(engine) as conn:  # BEGIN IMMEDIATE: one creator wins
                app_id, version = file_marks(conn)
                if is_empty_file(app_id, version, schema_objects(conn)):
                    audit_read_events.create(conn)
                    audit_read_head.create(conn)
                    install_guards(conn, ("audit_read_events",))
                    conn.exec_driver_sql(f"PRAGMA application_id = {APPLICATION_ID}")
                    conn.exec_driver_sql(f"PRAGMA user_version = {READ_FILE_VERSION}")
                    app_id, version = APPLICATION_ID, READ_FILE_VERSION
        if app_id != APPLICATION_ID:  # (replaced since `_marks_as_is`)
            raise _not_read_audit(path)
        check_file_version(path, version)
    except BaseException:
        engine.dispose()
        raise
    return engine


def _marks_as_is(path: Path) -> tuple[int, int, int]:
    """The `file_marks` of the SQLite file `path` and its number of schema objects, read on
    a connection with no pragma (as `audit verify` reads it), which writes nothing to it."""
    url = sqlite_url(path)
    engine = create_engine(url, **engine_options(url))
    try:
        with engine.connect() as conn:
            app_id, version = file_marks(conn)
            return app_id, version, schema_objects(conn)
    except DBAPIError as exc:  # e.g. overwritten: "file is not a database"
        raise _cannot_read(path, exc) from exc
    finally:
        engine.dispose()


def read_file_emptied(path: Path) -> bool:
    """Whether the read-audit file `path` exists and holds nothing (see `is_empty_file`)."""
    return path.exists() and is_empty_file(*_marks_as_is(path))


def _cannot_read(path: Path, exc: DBAPIError) -> StoreError:
    return StoreError(
        msg("{path} cannot be read as a read-audit file ({error}).", path=path, error=exc.orig),
        hint=_DAMAGED_HINT,
    )


def _not_read_audit(path: Path) -> StoreError:
    return StoreError(
        msg("{path} is not an ironriver read-audit file.", path=path),
        hint=msg(
            "Move it away: a store's read-audit file is '<store file>{suffix}'.",
            suffix=READ_FILE_SUFFIX,
        ),
    )


def _emptied(path: Path) -> StoreError:
    return StoreError(
        msg(
            "This store's read-audit file {path} is empty: it was truncated or emptied, and "
            "the read events it held are lost unless it is restored.",
            path=path,
        ),
        hint=EMPTIED_HINT,
    )


EMPTIED_HINT = msg(
    "Restore it from the backup (docs/operations.md); if there is none, record "
    "the loss with `ironriver audit restart-reads --as ADMIN --reason WHY`, which starts it "
    "again."
)


_DAMAGED_HINT = msg(
    "Run `ironriver audit verify` to see what is wrong with it, and restore it from the "
    "backup or copy this store came from."
)

_MISSING_HINT = msg(
    "A SQLite store is two files: restore the read-audit file from the backup or copy this "
    "store came from, beside the store file. If it is lost, record that with "
    "`ironriver audit restart-reads --as ADMIN --reason WHY` and reads are audited again."
)


class AuditLog:
    """Append to, list and verify the two audit chains of one store."""

    def __init__(
        self, engine: Engine, read_file: Path | None = None, busy_timeout_s: float = 120.0
    ) -> None:
        self._engine = engine
        self.read_file = read_file
        """The read-audit file beside a file-backed SQLite store; None when the reads chain
        lives in the store itself (PostgreSQL, in-memory SQLite)."""
        self._busy_timeout_s = busy_timeout_s
        self._read_engine: Engine | None = None
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            if self._read_engine is not None:
                self._read_engine.dispose()
                self._read_engine = None

    def read_engine(self) -> Engine:
        """The engine holding the reads chain: the read-audit file's, opened once per
        `AuditLog` (not per read), or the store's own."""
        if self.read_file is None:
            return self._engine
        with self._lock:
            if self._read_engine is None:
                self._read_engine = _open_read_file(
                    self.read_file, self._busy_timeout_s, create=False
                )
            return self._read_engine

    def append(
        self,
        actor: str,
        action: str,
        target: str,
        reason: str = "",
        detail: dict[str, Any] | None = None,
        agency: str = "",
        conn: Connection | None = None,
    ) -> AuditEvent:
        """Append one event. A read (`READ_ACTIONS`) goes to the reads chain in its own
        transaction; any other action to the writes chain, inside `conn`'s transaction when
        given (so it commits with the data it describes), else in its own, with the reads
        chain's head recorded in its `detail` under `ANCHOR_KEY` (see the module doc)."""
        if action in READ_ACTIONS:
            if conn is not None:
                raise ValueError(
                    f"'{action}' is a read: its event goes to the reads chain in its own "
                    "transaction, not inside a data transaction (do not pass conn)"
                )
            with write_transaction(self.read_engine()) as own:
                in_store = None if self.read_file is not None else own
                return _append(
                    own,
                    READ_CHAIN,
                    lambda: self._read_genesis(in_store),
                    actor,
                    action,
                    target,
                    reason,
                    detail,
                    agency,
                )
        if detail and ANCHOR_KEY in detail:
            raise ValueError(f"'{ANCHOR_KEY}' is reserved in an event's detail (its anchor)")
        if conn is None:
            with write_transaction(self._engine) as own:
                return self.append(actor, action, target, reason, detail, agency, own)
        # a read-chain-start begins a new reads chain: there is no head of it to anchor yet
        anchor = None if action == READ_CHAIN_START else self._anchor
        return _append(
            conn,
            WRITE_CHAIN,
            lambda: GENESIS,
            actor,
            action,
            target,
            reason,
            detail,
            agency,
            anchor,
        )

    def checkpoint(self, actor: str, reason: str = "", agency: str = "") -> AuditEvent:
        """Anchor the reads chain in the writes chain now: append a `read-chain-checkpoint`
        event recording the reads chain's head, so `verify()` detects the removal of any read
        up to it. Ingests and retractions anchor too; this covers the quiet hours between
        them (run it from cron). It is a write: on SQLite it waits for a running ingest.
        Raises AuditError, writing nothing, when the reads chain cannot be read."""

        def available(conn: Connection) -> dict[str, Any]:
            anchor = self._anchor(conn)
            if "unavailable" in anchor:
                raise AuditError(
                    msg(
                        "Cannot anchor the reads chain: its file {path} is missing.",
                        path=self.read_file,
                    )
                    if anchor["unavailable"] == "missing"
                    else msg(
                        "Cannot anchor the reads chain: its file {path} is unreadable.",
                        path=self.read_file,
                    ),
                    hint=_MISSING_HINT,
                )
            return anchor

        where = self.read_file.name if self.read_file is not None else "store"
        with write_transaction(self._engine) as conn:
            return _append(
                conn,
                WRITE_CHAIN,
                lambda: GENESIS,
                actor,
                READ_CHAIN_CHECKPOINT,
                where,
                reason,
                None,
                agency,
                available,
            )

    def _anchor(self, conn: Connection) -> dict[str, Any]:
        """What a writes-chain event appended in `conn`'s transaction records of the reads
        chain: its newest event's seq and hash (`{"seq": 0}`: no read yet), or why it could
        not be read at once (see `ironriver.store.anchors`)."""
        if self.read_file is None:
            head = read_head(conn)
        else:
            try:
                head = file_head(self.read_engine(), self._busy_timeout_s)
            except AuditError:
                return {"unavailable": "missing"}
            except (StoreError, DBAPIError) as exc:
                log.warning("audit.anchor_unavailable", read_file=str(self.read_file), error=exc)
                return {"unavailable": "unreadable"}
        return {"seq": 0} if head is None else {"seq": head[0], "hash": head[1]}

    def _read_genesis(self, conn: Connection | None) -> str:
        """The genesis of the current reads chain (from the writes chain, in the store)."""
        if conn is None:
            with self._engine.connect() as own:
                start = _latest_read_chain(own)
        else:
            start = _latest_read_chain(conn)
        return read_genesis(str(start["chain_id"])) if start else GENESIS

    def start_reads(
        self, conn: Connection, actor: str, reason: str, agency: str = ""
    ) -> AuditEvent:
        """Give the store a new reads chain, recorded by a read-chain-start event in the
        writes chain, inside `conn`'s (the store's) write transaction. Beside a SQLite file
        store the read-audit file is created (or adopted, if it exists and is empty: a
        creation that did not commit). `open_store` calls this once, when it creates a store
        or upgrades it to migration 0004."""
        chain_id = uuid.uuid4().hex
        detail: dict[str, Any] = {"chain_id": chain_id, "location": "store"}
        previous = _latest_read_chain(conn)
        if previous is not None:
            detail["replaces"] = previous.get("chain_id")
        if self.read_file is not None:
            detail["location"] = self.read_file.name
            engine = _open_read_file(self.read_file, self._busy_timeout_s, create=True)
            with engine.connect() as read_conn:
                held = read_conn.execute(
                    select(func.count()).select_from(audit_read_events)
                ).scalar_one()
            if held:
                engine.dispose()
                raise StoreError(
                    msg(
                        "{path} already holds {n} read-audit events of another store (or of "
                        "an earlier store of the same name).",
                        path=self.read_file,
                        n=held,
                    ),
                    hint=msg(
                        "Move that file away (keep it if it is evidence) and open the store again."
                    ),
                )
            with self._lock:
                if self._read_engine is not None:
                    self._read_engine.dispose()
                self._read_engine = engine
        location = detail["location"]
        return self.append(actor, READ_CHAIN_START, location, reason, detail, agency, conn)

    def restart_reads(self, actor: str, reason: str, agency: str = "") -> AuditEvent:
        """Record that a SQLite store's read-audit file is lost (missing, or emptied: see
        `is_empty_file`) and start a new one (in the emptied file's place). The
        events it held are gone; the writes chain says when and by whom that was accepted,
        and `verify()` reports it from then on (the loss is what an auditor must see)."""
        if self.read_file is None:
            raise AuditError(
                msg(
                    "This store keeps its reads chain inside the store: there is no "
                    "read-audit file to restart."
                ),
                hint=msg("Run `ironriver audit verify` to check both chains."),
            )
        if self.read_file.exists() and not read_file_emptied(self.read_file):
            raise AuditError(
                msg(
                    "The read-audit file {path} exists: there is nothing to restart.",
                    path=self.read_file,
                ),
                hint=msg(
                    "Run `ironriver audit verify`; move the file away first only if it is "
                    "not this store's."
                ),
            )
        if not reason:
            raise AuditError(
                msg("Say why the read-audit file is lost."), hint=msg("Pass --reason.")
            )
        with write_transaction(self._engine) as conn:
            return self.start_reads(conn, actor, reason, agency)

    def events(
        self,
        limit: int | None = None,
        actor: str | None = None,
        where: EventFilter | None = None,
        newest: bool = False,
    ) -> Iterator[AuditEvent]:
        """Events of both chains matching `where` (and `actor`), merged by time, oldest
        first (each says its `chain`); with `limit`, the first `limit` of them, or with
        `newest` the last `limit` (what an auditor asks first: the most recent; `limit=0`:
        none). A missing read-audit file lists the writes chain only (`verify` reports it).
        They are all read, and the connections given back, before the first is yielded: the
        caller may write to the store meanwhile. (`stream_events` materialised: one way of
        listing them.)"""
        where = where or EventFilter()
        if actor:
            where = replace(where, actor=actor)
        yield from list(self.stream_events(limit, where, newest))

    def stream_events(
        self, limit: int | None = None, where: EventFilter | None = None, newest: bool = False
    ) -> Iterator[AuditEvent]:
        """The events `events` lists, in the same order, read as they are yielded (a
        thousand at a time from each chain: memory bounded whatever `limit`), for a caller
        that writes each as it comes (`audit log --json`). The two chains' connections stay
        open until the iterator is exhausted or closed: do not write to the store meanwhile.
        The events listed are those matching when the first is asked for (each chain's newest
        then bounds its range).

        Each chain's matching events are taken in seq order: the first (last) `limit` of
        them, as keys (`_span`), hold every event of that chain among the first (last)
        `limit` of the merge. Both chains are then merged by time (a tie: the writes chain's
        first) and the first `limit`, or the last `limit` of the `n` merged, yielded."""
        if limit is not None and limit < 0:
            raise ValueError(f"limit must be None or at least 0, not {limit}")
        if limit == 0:
            return
        where = where or EventFilter()
        with ExitStack() as stack:
            conn = stack.enter_context(self._engine.connect())
            low, high, n = _span(conn, WRITE_CHAIN, limit, where, newest)
            chains = [_streamed(conn, WRITE_CHAIN, where, low, high)]
            if self.read_file is None or self.read_file.exists():
                # (both chains in an in-memory SQLite store: read on its one connection, on
                # which a second `connect()` could not begin a transaction of its own)
                if self.read_file is not None or conn.dialect.name != "sqlite":
                    conn = stack.enter_context(self._reading())
                low, high, k = _span(conn, READ_CHAIN, limit, where, newest)
                chains.append(_streamed(conn, READ_CHAIN, where, low, high))
                n += k
            merged = heapq.merge(*chains, key=lambda e: e.at)
            if limit and newest:
                yield from islice(merged, max(0, n - limit), None)
            else:
                yield from islice(merged, limit)

    def write_events(self, where: EventFilter) -> list[AuditEvent]:
        """Events of the writes chain matching `where`, oldest first (the read-audit file
        is not opened: ingests and retractions are never there), read as `stream_events`
        reads that chain."""
        with self._engine.connect() as conn:
            low, high, _ = _span(conn, WRITE_CHAIN, None, where, False)
            return list(_streamed(conn, WRITE_CHAIN, where, low, high))

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        """A connection to list the reads chain on; a read-audit file whose tables were
        dropped or altered is an AuditError pointing to `verify`, not a traceback."""
        with self.read_engine().connect() as conn:
            try:
                yield conn
            except DBAPIError as exc:
                if self.read_file is None:
                    raise
                raise AuditError(
                    msg(
                        "The read-audit file {path} cannot be read ({error}).",
                        path=self.read_file,
                        error=exc.orig,
                    ),
                    hint=_DAMAGED_HINT,
                ) from exc

    def count(self) -> int:
        """Events in both chains."""
        with self._engine.connect() as conn:
            n = int(conn.execute(select(func.count()).select_from(audit_events)).scalar_one())
        if self.read_file is None or self.read_file.exists():
            with self._reading() as conn:
                query = select(func.count()).select_from(audit_read_events)
                n += int(conn.execute(query).scalar_one())
        return n

    def verify(self) -> VerifyResult:
        """Recompute both chains: report edited, removed or reordered events, naming the
        chain; a reads chain that is missing or is not the one the store recorded (a
        read-audit file overwritten, unmarked or missing a table included); and one
        that is shorter than, or disagrees with, what the writes chain anchored of it.
        Read-only: it takes no write lock (anchor with `checkpoint()`)."""
        return verify_chains(self._engine, self.read_file, self._busy_timeout_s)
