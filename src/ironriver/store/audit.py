"""The append-only, hash-chained audit log: who read, searched, exported or ingested what,
when and why.

Each event's hash is SHA-256 over the previous event's hash and the event's own canonical
JSON (sequence number included), so `verify()` detects any edited, removed or reordered event.
Triggers refuse UPDATE and DELETE on the table; the chain catches whoever goes around them.
Audit is separate from logging: it is part of the store and travels with it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, text

from ironriver.store.dialect import write_transaction
from ironriver.store.tables import audit_events, audit_head

GENESIS = "0" * 64


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


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    events: int
    problems: tuple[str, ...]


def _digest(
    prev_hash: str,
    seq: int,
    at: str,
    actor: str,
    agency: str,
    action: str,
    target: str,
    reason: str,
    detail: str,
) -> str:
    body = json.dumps(
        [seq, at, actor, agency, action, target, reason, detail],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def install_guards(conn: Connection) -> None:
    """Refuse UPDATE and DELETE on audit_events (SQLite and PostgreSQL)."""
    if conn.dialect.name == "sqlite":
        for op in ("UPDATE", "DELETE"):
            conn.execute(
                text(
                    f"CREATE TRIGGER IF NOT EXISTS audit_no_{op.lower()} BEFORE {op} ON "
                    "audit_events BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END"
                )
            )
    else:
        conn.execute(
            text(
                "CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$ "
                "BEGIN RAISE EXCEPTION 'audit log is append-only'; END; $$ LANGUAGE plpgsql"
            )
        )
        conn.execute(text("DROP TRIGGER IF EXISTS audit_no_change ON audit_events"))
        conn.execute(
            text(
                "CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit_events "
                "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
            )
        )


class AuditLog:
    """Append to and verify the audit chain of one store."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

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
        """Append one event; inside `conn`'s transaction when given (so it commits with it)."""
        if conn is None:
            with write_transaction(self._engine) as own:
                return self._append(own, actor, action, target, reason, detail, agency)
        return self._append(conn, actor, action, target, reason, detail, agency)

    def _append(
        self,
        conn: Connection,
        actor: str,
        action: str,
        target: str,
        reason: str,
        detail: dict[str, Any] | None,
        agency: str,
    ) -> AuditEvent:
        if conn.dialect.name == "postgresql":
            conn.execute(text("LOCK TABLE audit_events IN EXCLUSIVE MODE"))
        last = conn.execute(
            select(audit_events.c.seq, audit_events.c.hash)
            .order_by(audit_events.c.seq.desc())
            .limit(1)
        ).first()
        seq = 1 if last is None else int(last.seq) + 1
        prev = GENESIS if last is None else str(last.hash)
        at = datetime.now(UTC).isoformat(timespec="microseconds")
        detail_text = json.dumps(detail or {}, sort_keys=True, ensure_ascii=False, default=str)
        digest = _digest(prev, seq, at, actor, agency, action, target, reason, detail_text)
        conn.execute(
            insert(audit_events).values(
                seq=seq,
                at=at,
                actor=actor,
                agency=agency,
                action=action,
                target=target,
                reason=reason,
                detail=detail_text,
                prev_hash=prev,
                hash=digest,
            )
        )
        conn.execute(delete(audit_head))
        conn.execute(insert(audit_head).values(id=1, seq=seq, hash=digest))
        return AuditEvent(
            seq, at, actor, agency, action, target, reason, detail or {}, prev, digest
        )

    def events(self, limit: int | None = None, actor: str | None = None) -> Iterator[AuditEvent]:
        query = select(audit_events).order_by(audit_events.c.seq)
        if actor:
            query = query.where(audit_events.c.actor == actor)
        if limit:
            query = query.limit(limit)
        with self._engine.connect() as conn:
            for row in conn.execute(query):
                yield AuditEvent(
                    row.seq,
                    row.at,
                    row.actor,
                    row.agency,
                    row.action,
                    row.target,
                    row.reason,
                    json.loads(row.detail),
                    row.prev_hash,
                    row.hash,
                )

    def count(self) -> int:
        with self._engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(audit_events)).scalar_one())

    def verify(self) -> VerifyResult:
        """Recompute the chain: report edited, removed or reordered events."""
        problems: list[str] = []
        prev = GENESIS
        expected_seq = 1
        n = 0
        with self._engine.connect() as conn:
            rows = conn.execute(select(audit_events).order_by(audit_events.c.seq))
            for row in rows:
                n += 1
                if row.seq != expected_seq:
                    problems.append(
                        f"event {expected_seq} is missing (next event found is {row.seq})"
                    )
                if row.prev_hash != prev:
                    problems.append(
                        f"event {row.seq} does not follow the event before it "
                        "(removed or reordered events)"
                    )
                digest = _digest(
                    row.prev_hash,
                    row.seq,
                    row.at,
                    row.actor,
                    row.agency,
                    row.action,
                    row.target,
                    row.reason,
                    row.detail,
                )
                if digest != row.hash:
                    problems.append(f"event {row.seq} was edited (its hash does not match)")
                prev = row.hash
                expected_seq = row.seq + 1
            head = conn.execute(select(audit_head.c.seq, audit_head.c.hash)).first()
        if head is not None and (head.seq != expected_seq - 1 or head.hash != prev):
            problems.append(
                f"the newest event should be {head.seq}, but the chain ends at "
                f"{expected_seq - 1} (events removed from the end)"
            )
        if head is None and n:
            problems.append("the audit head record is missing")
        return VerifyResult(ok=not problems, events=n, problems=tuple(problems))
