"""One audit event, and how it is appended to a chain (see `ironriver.store.audit`).

`append_event` appends every event of either chain: it takes the chain's lock (the head row, or
on PostgreSQL the chain's `pg_lock` before the chain has one), reads the head, hashes the new
event onto it (`row_digest`, as `verify` recomputes it from the row) and writes the event and
the new head in the caller's transaction, so an event exists exactly when that transaction
commits. An anchor of the reads chain, when asked for, is read under that same lock (so anchors
follow the chain's order). Every event records who ran it, beside the caller's `detail`, under
`BY_KEY`; `AuditEvent` is an event as appended or read back, its `by` apart from `detail`.
The clock is read here (`datetime.now`), once per event.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    Connection,
    Select,
    bindparam,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy import text as sql

from ironriver.store.anchors import ANCHOR_KEY
from ironriver.store.audit_chain import WRITES, Chain, row_digest

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


def append_event(
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
