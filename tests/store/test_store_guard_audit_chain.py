"""Guards on `ironriver audit verify` found missing by mutation testing: tampering an
intruder with write access to the store (or its read-audit file) can do, on a real SQLite
file store, each of which `verify()` must report.

The intruder goes around the append-only triggers and, where it says so, knows the (unkeyed)
hash: it recomputes an edited event's hash with `event_digest`, as anyone reading the source
can. What the chain cannot catch then (an edit of the newest event with its head rewritten to
match) is the anchors' business; these tests stop short of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text

from ironriver.store import AuditEvent, Store, open_store
from ironriver.store.audit_chain import READS, WRITES, event_digest

# (chain, an action that goes to it, its events table, its head table)
CHAINS = [
    (READS, "read", "audit_read_events", "audit_read_head"),
    (WRITES, "ingest", "audit_events", "audit_head"),
]
CHAIN_IDS = [c[0] for c in CHAINS]

FIELDS = ("at", "actor", "agency", "action", "target", "reason", "detail")


@pytest.fixture
def file_store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}", ledger_dir=tmp_path / "ledgers")
    yield store
    store.close()


def _append(store: Store, action: str, n: int) -> list[AuditEvent]:
    return [
        store.audit.append(f"analyst{i}", action, f"e{i}", f"case {i}", {"i": i}, agency="ATF")
        for i in range(n)
    ]


def _engine(store: Store, chain: str) -> Engine:
    return store.audit.read_engine() if chain == READS else store.engine


def _unguard(store: Store) -> None:
    """Drop the append-only triggers of both chains, as an intruder with the files would."""
    with store.engine.begin() as conn:
        for name in ("no_update", "no_delete", "read_no_update", "read_no_delete"):
            conn.execute(text(f"DROP TRIGGER IF EXISTS audit_{name}"))
    with store.audit.read_engine().begin() as conn:
        for name in ("read_no_update", "read_no_delete"):
            conn.execute(text(f"DROP TRIGGER IF EXISTS audit_{name}"))


def _row(conn: Connection, events: str, seq: int) -> dict[str, Any]:
    row = conn.execute(text(f"SELECT * FROM {events} WHERE seq = :s"), {"s": seq}).one()
    return dict(row._mapping)


def _digest(row: dict[str, Any]) -> str:
    return event_digest(
        row["prev_hash"],
        row["seq"],
        row["at"],
        row["actor"],
        row["agency"],
        row["action"],
        row["target"],
        row["reason"],
        row["detail"],
    )


def _problems(store: Store) -> tuple[str, ...]:
    return tuple(str(p) for p in store.audit.verify().problems)


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("where", ["first", "middle", "last"])
@pytest.mark.parametrize(("chain", "action", "events", "head"), CHAINS, ids=CHAIN_IDS)
def test_every_field_of_every_event_is_hashed(
    file_store: Store, chain: str, action: str, events: str, head: str, field: str, where: str
) -> None:
    """Who, what, when, why and the detail of any event, the chain's first and newest
    included, cannot be edited without `verify()` naming that event."""
    appended = _append(file_store, action, 3)
    assert file_store.audit.verify().ok
    first = 1  # the writes chain's event 1 is the store's read-chain-start
    seq = {"first": first, "middle": appended[1].seq, "last": appended[-1].seq}[where]
    _unguard(file_store)
    with _engine(file_store, chain).begin() as conn:
        old = _row(conn, events, seq)[field]
        new = '{"i": 99}' if field == "detail" else f"{old}X"
        conn.execute(text(f"UPDATE {events} SET {field} = :v WHERE seq = :s"), {"v": new, "s": seq})
    assert _problems(file_store) == (
        f"{chain} chain: event {seq} was edited (its hash does not match)",
    )


@pytest.mark.parametrize(("chain", "action", "events", "head"), CHAINS, ids=CHAIN_IDS)
def test_an_edit_whose_hash_was_recomputed_breaks_the_next_link(
    file_store: Store, chain: str, action: str, events: str, head: str
) -> None:
    """Rehashing the edited event is not enough: the event after it chains from the old
    hash (its own hash covers `prev_hash`, so that link cannot be patched either)."""
    appended = _append(file_store, action, 3)
    seq = appended[1].seq
    _unguard(file_store)
    with _engine(file_store, chain).begin() as conn:
        row = _row(conn, events, seq)
        row["reason"] = "nothing to see"
        conn.execute(
            text(f"UPDATE {events} SET reason = :r, hash = :h WHERE seq = :s"),
            {"r": row["reason"], "h": _digest(row), "s": seq},
        )
    assert _problems(file_store) == (
        f"{chain} chain: event {seq + 1} does not follow the event before it (removed or "
        "reordered events)",
    )
    # patching the next event's link as well leaves that event's own hash wrong
    with _engine(file_store, chain).begin() as conn:
        conn.execute(
            text(f"UPDATE {events} SET prev_hash = :p WHERE seq = :s"),
            {"p": _digest(row), "s": seq + 1},
        )
    assert _problems(file_store) == (
        f"{chain} chain: event {seq + 1} was edited (its hash does not match)",
    )


@pytest.mark.parametrize(("chain", "action", "events", "head"), CHAINS, ids=CHAIN_IDS)
def test_a_newest_event_replaced_by_a_valid_forgery_is_caught_by_the_head(
    file_store: Store, chain: str, action: str, events: str, head: str
) -> None:
    """Delete the newest event and append a well-chained forgery at its seq, leaving the
    head row alone: the head still holds the real event's hash."""
    last = _append(file_store, action, 3)[-1]
    _unguard(file_store)
    with _engine(file_store, chain).begin() as conn:
        row = _row(conn, events, last.seq)
        conn.execute(text(f"DELETE FROM {events} WHERE seq = :s"), {"s": last.seq})
        row["target"] = "someone else"
        row["hash"] = _digest(row)
        conn.execute(
            text(
                f"INSERT INTO {events} (seq, at, actor, agency, action, target, reason, detail, "
                "prev_hash, hash) VALUES (:seq, :at, :actor, :agency, :action, :target, "
                ":reason, :detail, :prev_hash, :hash)"
            ),
            row,
        )
    assert _problems(file_store) == (
        f"{chain} chain: the newest event should be {last.seq}, but the chain ends at "
        f"{last.seq} (events removed from the end)",
    )


@pytest.mark.parametrize(("chain", "action", "events", "head"), CHAINS, ids=CHAIN_IDS)
def test_a_head_row_edited_or_removed_is_reported(
    file_store: Store, chain: str, action: str, events: str, head: str
) -> None:
    last = _append(file_store, action, 2)[-1]
    with _engine(file_store, chain).begin() as conn:
        conn.execute(text(f"UPDATE {head} SET seq = seq + 1"))
    assert _problems(file_store) == (
        f"{chain} chain: the newest event should be {last.seq + 1}, but the chain ends at "
        f"{last.seq} (events removed from the end)",
    )
    with _engine(file_store, chain).begin() as conn:
        conn.execute(text(f"DELETE FROM {head}"))
    assert _problems(file_store) == (f"{chain} chain: the audit head record is missing",)


@pytest.mark.parametrize(("chain", "action", "events", "head"), CHAINS, ids=CHAIN_IDS)
def test_an_event_renumbered_with_its_successors_is_named(
    file_store: Store, chain: str, action: str, events: str, head: str
) -> None:
    """An event's seq moved up by one, its successors' too (they stay consecutive, the head
    follows, every link and every other field is left as it was): the gap left is
    reported, and so is each moved event, as the seq is hashed."""
    appended = _append(file_store, action, 3)
    seq, last = appended[1].seq, appended[-1].seq
    _unguard(file_store)
    with _engine(file_store, chain).begin() as conn:
        for moved in range(last, seq - 1, -1):  # the newest first: seqs stay unique
            conn.execute(text(f"UPDATE {events} SET seq = seq + 1 WHERE seq = :s"), {"s": moved})
        conn.execute(text(f"UPDATE {head} SET seq = seq + 1"))
    assert _problems(file_store) == (
        f"{chain} chain: event {seq} is missing (next event found is {seq + 1})",
        *(
            f"{chain} chain: event {moved + 1} was edited (its hash does not match)"
            for moved in range(seq, last + 1)
        ),
    )


@pytest.mark.parametrize(("chain", "action", "events", "head"), CHAINS, ids=CHAIN_IDS)
def test_an_appended_event_is_returned_as_stored(
    file_store: Store, chain: str, action: str, events: str, head: str
) -> None:
    """The event `append` returns carries the hash and link stored (what a caller records
    or shows of it), and the next event chains from that hash."""
    first, second = _append(file_store, action, 2)
    with _engine(file_store, chain).connect() as conn:
        stored = [_row(conn, events, e.seq) for e in (first, second)]
    for event, row in zip((first, second), stored, strict=True):
        assert (event.hash, event.prev_hash) == (row["hash"], row["prev_hash"])
        assert event.hash == _digest(row)
    assert second.prev_hash == first.hash
