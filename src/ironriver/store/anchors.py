"""Anchors of the reads chain in the writes chain (see `ironriver.store.audit`): what a
writes-chain event records of the reads chain's head, how that head is read without making
the write wait, and what the recorded anchors say about a reads chain when it is verified.

Invariants:
- An anchor lives in its event's `detail` under `ANCHOR_KEY`, so it is hashed with the event
  (no schema change, and events from before anchors, which have none, verify as before). It
  is `{"seq", "hash"}`: the reads chain's newest event then (`{"seq": 0}`: no read yet); or
  `{"unavailable": "missing" | "unreadable"}` when the read-audit file could not be read
  then, which checks nothing.
- An anchor belongs to the reads chain started by the newest `read-chain-start` event before
  it in the writes chain (writes are serial, and a read-chain-start is appended in the same
  transaction that gives the store its new chain), so it needs no chain id of its own, and
  finding it costs a write no scan of the writes chain.
- The reads chain is append-only, so an event anchored once stays at its seq with its hash:
  a reads chain that ends before an anchor, or holds another event at its seq, lost events.
- Reading the head never waits for a read being appended: a WAL snapshot read on a file of
  its own (bounded by `ANCHOR_WAIT_S` all the same), or a plain SELECT in the store.
- A `read-chain-start` after the first abandons the reads chain before it (`Restart`): a
  store holds one reads chain at a time, so that chain's events are gone from it and its
  anchors can no longer be checked. Such a restart is legitimate only when the read-audit
  file was lost (`AuditLog.restart_reads`), and the hash chain is unkeyed, so one written by
  whoever can write the store verifies like a real one: `check_restarts` reports every
  restart (who, when, how many anchored reads it abandoned) rather than forgive it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, select

from ironriver.i18n import Msg, msg, nmsg
from ironriver.store.tables import audit_read_events

ANCHOR_KEY = "read_anchor"
"""The key of a writes-chain event's `detail` that holds its anchor of the reads chain.
Reserved: `AuditLog.append` refuses a caller's detail that uses it."""

ANCHOR_WAIT_S = 2.0
"""Seconds a write waits, at most, to read the read-audit file's head for its anchor. A WAL
reader waits for no writer, so this only bounds the odd case (a file left in another journal
mode, a recovery after a crash); past it the write records its anchor as unavailable rather
than keep the store's write lock. Short, since a data write is holding that lock meanwhile."""


@dataclass(frozen=True)
class Anchor:
    """A writes-chain event's record of the reads chain's head."""

    event: int  # the writes-chain event that recorded it
    at: str
    seq: int  # of the reads chain's newest event then
    hash: str


@dataclass(frozen=True)
class Restart:
    """A writes-chain `read-chain-start` that abandoned an earlier reads chain."""

    event: int  # the read-chain-start's seq
    at: str
    actor: str
    reason: str
    started: str  # when the abandoned chain was started
    anchored: int  # the newest read of the abandoned chain an anchor recorded (0: none)


def read_head(conn: Connection) -> tuple[int, str] | None:
    """The seq and hash of the reads chain's newest event (None: it has none yet)."""
    last = conn.execute(
        select(audit_read_events.c.seq, audit_read_events.c.hash)
        .order_by(audit_read_events.c.seq.desc())
        .limit(1)
    ).first()
    return None if last is None else (int(last.seq), str(last.hash))


def file_head(engine: Engine, busy_timeout_s: float) -> tuple[int, str] | None:
    """`read_head` of a read-audit file, on a pooled connection of its `engine`, waiting at
    most `ANCHOR_WAIT_S` for a lock; the connection's own `busy_timeout_s` is put back after."""
    with engine.connect() as conn:
        conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(ANCHOR_WAIT_S * 1000)}")
        try:
            return read_head(conn)
        finally:
            conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")


def parse_anchor(seq: int, at: str, detail: str) -> Anchor | None:
    """The anchor writes-chain event `seq` recorded in its `detail` (JSON); None if it has
    none, or recorded the reads chain as unavailable."""
    try:
        value = json.loads(detail).get(ANCHOR_KEY)
    except (ValueError, AttributeError):
        return None
    if not isinstance(value, dict) or not isinstance(value.get("seq"), int):
        return None
    return Anchor(seq, at, value["seq"], str(value.get("hash", "")))


def beyond_end(anchors: list[Anchor], last: int) -> Anchor | None:
    """The anchor that shows best that a reads chain ending at `last` lost anchored reads:
    of those beyond its end, the newest (None: none is)."""
    beyond = [a for a in anchors if a.seq > last]
    return max(beyond, key=lambda a: (a.seq, a.event)) if beyond else None


def check_anchors(
    anchors: list[Anchor], last: int, hashes: dict[int, str], in_store: bool = False
) -> list[Msg]:
    """What `anchors` (those of the current reads chain) say about it, which ends at `last`
    and has `hashes` at the anchored seqs: one that ends before an anchored event was cut
    short or rolled back to an earlier copy; one that holds another event at an anchored seq
    was rewritten, or replaced by an earlier copy written to since. One problem per kind,
    naming the anchor that shows it best, so fifty anchored ingests do not make fifty lines.
    `in_store`: the reads chain is the store's own `audit_read_events` table (PostgreSQL),
    not a read-audit file, so no earlier copy of a file can explain it."""
    problems: list[Msg] = []
    beyond = [a for a in anchors if a.seq > last]
    newest = beyond_end(anchors, last)
    if newest is not None:
        more = (
            msg("; {n} more anchors lie beyond its end", n=len(beyond) - 1)
            if len(beyond) > 1
            else ""
        )
        problems.append(
            msg(
                "reads chain: the audit_read_events table of the store's database ends "
                "before a read the store anchored: read events after seq {last} were deleted "
                "from it (writes-chain event {event}, at {at}, recorded read event {seq}{more})",
                last=last,
                event=newest.event,
                at=newest.at,
                seq=newest.seq,
                more=more,
            )
            if in_store
            else msg(
                "reads chain: the read-audit file is older than the store: read events after "
                "seq {last} were removed or the file was replaced by an earlier copy "
                "(writes-chain event {event}, at {at}, recorded read event {seq}{more})",
                last=last,
                event=newest.event,
                at=newest.at,
                seq=newest.seq,
                more=more,
            )
        )
    differ = [a for a in anchors if 0 < a.seq <= last and hashes.get(a.seq) != a.hash]
    if differ:
        first = min(differ, key=lambda a: (a.seq, a.event))
        more = msg("; {n} more anchors disagree too", n=len(differ) - 1) if len(differ) > 1 else ""
        problems.append(
            msg(
                "reads chain: event {seq} is not the one writes-chain event {event} (at {at}) "
                "recorded: read events up to it were rewritten in the audit_read_events table "
                "of the store's database{more}",
                seq=first.seq,
                event=first.event,
                at=first.at,
                more=more,
            )
            if in_store
            else msg(
                "reads chain: event {seq} is not the one writes-chain event {event} (at {at}) "
                "recorded: read events up to it were rewritten, or the file was replaced by "
                "an earlier copy that has been appended to since{more}",
                seq=first.seq,
                event=first.event,
                at=first.at,
                more=more,
            )
        )
    return problems


def check_restarts(restarts: list[Restart]) -> list[Msg]:
    """What each restart of the reads chain says: the reads of the chain it abandoned are
    gone from the store, those anchored and any after them, whether the read-audit file was
    lost (`restart-reads` records that) or the restart was forged to erase them; `verify`
    cannot tell the two apart, so it reports both, one problem per restart."""
    problems: list[Msg] = []
    for r in restarts:
        if r.anchored:
            problems.append(
                nmsg(
                    "reads chain: writes-chain event {event} (at {at}, by {actor}: {reason!r}) "
                    "started a new reads chain, abandoning the one started at {started} and "
                    "its {n} anchored read, which can no longer be checked: it was lost with "
                    "that chain's read-audit file, or the restart was forged to erase it",
                    "reads chain: writes-chain event {event} (at {at}, by {actor}: {reason!r}) "
                    "started a new reads chain, abandoning the one started at {started} and "
                    "its {n} anchored reads, which can no longer be checked: they were lost "
                    "with that chain's read-audit file, or the restart was forged to erase them",
                    r.anchored,
                    event=r.event,
                    at=r.at,
                    actor=r.actor,
                    reason=r.reason,
                    started=r.started,
                )
            )
        else:
            problems.append(
                msg(
                    "reads chain: writes-chain event {event} (at {at}, by {actor}: {reason!r}) "
                    "started a new reads chain, abandoning the one started at {started}, none "
                    "of whose reads was anchored: any it held were lost with its read-audit "
                    "file, or the restart was forged to erase them",
                    event=r.event,
                    at=r.at,
                    actor=r.actor,
                    reason=r.reason,
                    started=r.started,
                )
            )
    return problems
