"""Listing a chain's audit events (see `ironriver.store.audit`): which ones (`EventFilter`),
as a range of seqs taken first (`span`), then streamed (`streamed`), a bounded number of
rows held at a time (`_STREAM_ROWS`). `AuditLog.events` and `stream_events` merge the two
chains' listings by time.

A span is bounded above by the newest matching event when it is taken, so events appended
while a listing is read are not among those listed; `_event` gives an event back as it was
appended (its `by` taken out of its `detail`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, func, or_, select

from ironriver.store.audit_append import BY_KEY, AuditEvent
from ironriver.store.audit_chain import Chain


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


def _split_by(detail: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """An event's `detail` without `BY_KEY`, and its `BY_KEY` ({} for events written before
    it was recorded)."""
    by = detail.get(BY_KEY)
    if not isinstance(by, dict):
        return detail, {}
    return {k: v for k, v in detail.items() if k != BY_KEY}, {str(k): str(v) for k, v in by.items()}


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


_STREAM_ROWS = 1_000  # events fetched at a time by `streamed` (~5 KB each)


def span(
    conn: Connection, chain: Chain, limit: int | None, where: EventFilter, newest: bool
) -> tuple[int, int, int]:
    """The chain's events `stream_events` takes, as a range of seqs (`low` to `high`, both
    included: its first `limit` matching events, or with `newest` its last `limit`, or all)
    and, with a `limit`, how many matching events lie in it (0 without: not counted). Read
    as keys, so that the events themselves can be streamed (`streamed`), and bounded above
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


def streamed(
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
