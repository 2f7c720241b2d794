"""`AuditLog.stream_events(limit=N, newest=True)` lists the N newest matching events even
when another command appends one while it finds their range (review R17, F5: on
PostgreSQL each of `_span`'s queries is its own snapshot, and the range then held N-1).
Real stores, SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from ironriver.store import Store


def test_an_event_appended_while_the_range_is_read_drops_none(store: Store) -> None:
    for n in range(5):
        store.audit.append("loader", "ingest", f"f{n}.csv", "load", {"rows": n})
    expected = [e.target for e in store.audit.events(limit=3, newest=True)]
    appended: list[str] = []

    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "audit_events" in statement and "DESC" in statement and not appended:
            appended.append(statement)  # the newest seq was just read: another command appends
            store.audit.append("loader", "ingest", "late.csv", "load", {"rows": 9})

    event.listen(store.engine, "after_cursor_execute", after)
    try:
        streamed = [e.target for e in store.audit.stream_events(limit=3, newest=True)]
    finally:
        event.remove(store.engine, "after_cursor_execute", after)
    assert appended, "the hook did not fire"
    assert streamed == expected == ["f2.csv", "f3.csv", "f4.csv"]
