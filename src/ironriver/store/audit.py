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
`verify()` checks them: `ironriver.store.audit_verify`. How an event is appended to a chain:
`ironriver.store.audit_append`; how a chain's events are listed: `audit_listing`; the
read-audit file and how it is opened: `audit_file`; the append-only triggers: `audit_guards`.
This module keeps `AuditLog`, which routes each action to its chain, anchors, restarts and
lists them, and the actions it knows.

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

import heapq
import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import DBAPIError

from ironriver.errors import AuditError, StoreError
from ironriver.i18n import msg
from ironriver.logs import get_logger
from ironriver.store.anchors import ANCHOR_KEY, file_head, read_head
from ironriver.store.audit_append import BY_KEY as BY_KEY
from ironriver.store.audit_append import AuditEvent as AuditEvent
from ironriver.store.audit_append import append_event
from ironriver.store.audit_chain import (
    GENESIS,
    READ_CHAIN,
    READ_CHAIN_START,
    WRITE_CHAIN,
    read_genesis,
)
from ironriver.store.audit_file import (
    DAMAGED_HINT,
    MISSING_HINT,
    open_read_file,
    read_file_emptied,
)
from ironriver.store.audit_file import READ_FILE_SUFFIX as READ_FILE_SUFFIX
from ironriver.store.audit_file import read_audit_path as read_audit_path
from ironriver.store.audit_guards import guards_installed as guards_installed
from ironriver.store.audit_guards import install_guards as install_guards
from ironriver.store.audit_listing import EventFilter as EventFilter
from ironriver.store.audit_listing import span, streamed
from ironriver.store.audit_verify import VerifyResult, verify_chains
from ironriver.store.dialect import write_transaction
from ironriver.store.tables import audit_events, audit_read_events

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
READ_CHAIN_REVISION = "0004"  # the migration that gave stores a reads chain

log = get_logger(__name__)


def _latest_read_chain(conn: Connection) -> dict[str, Any] | None:
    """The detail of the newest read-chain-start event of the writes chain, if any."""
    row = conn.execute(
        select(audit_events.c.detail)
        .where(audit_events.c.action == READ_CHAIN_START)
        .order_by(audit_events.c.seq.desc())
        .limit(1)
    ).first()
    return None if row is None else dict(json.loads(row.detail))


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
                self._read_engine = open_read_file(
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
                return append_event(
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
        return append_event(
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
                    hint=MISSING_HINT,
                )
            return anchor

        where = self.read_file.name if self.read_file is not None else "store"
        with write_transaction(self._engine) as conn:
            return append_event(
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
            engine = open_read_file(self.read_file, self._busy_timeout_s, create=True)
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
        them, as keys (`span`), hold every event of that chain among the first (last)
        `limit` of the merge. Both chains are then merged by time (a tie: the writes chain's
        first) and the first `limit`, or the last `limit` of the `n` merged, yielded."""
        if limit is not None and limit < 0:
            raise ValueError(f"limit must be None or at least 0, not {limit}")
        if limit == 0:
            return
        where = where or EventFilter()
        with ExitStack() as stack:
            conn = stack.enter_context(self._engine.connect())
            low, high, n = span(conn, WRITE_CHAIN, limit, where, newest)
            chains = [streamed(conn, WRITE_CHAIN, where, low, high)]
            if self.read_file is None or self.read_file.exists():
                # (both chains in an in-memory SQLite store: read on its one connection, on
                # which a second `connect()` could not begin a transaction of its own)
                if self.read_file is not None or conn.dialect.name != "sqlite":
                    conn = stack.enter_context(self._reading())
                low, high, k = span(conn, READ_CHAIN, limit, where, newest)
                chains.append(streamed(conn, READ_CHAIN, where, low, high))
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
            low, high, _ = span(conn, WRITE_CHAIN, None, where, False)
            return list(streamed(conn, WRITE_CHAIN, where, low, high))

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
                    hint=DAMAGED_HINT,
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
