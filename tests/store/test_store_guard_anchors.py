"""Guards on the reads chain's anchors found missing by mutation testing, on a real SQLite
file store: the exact edge of what an anchor protects (the anchored read itself, cut or
replaced) must be reported, and only what lies past the newest anchor may go unnoticed.

The intruder drops the read-audit file's triggers and rewrites its head row to match, so
the reads chain alone is valid: only the writes chain's anchors can tell.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, text

from ironriver.store import Store, open_store
from ironriver.store.audit_chain import event_digest


@pytest.fixture
def file_store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}", ledger_dir=tmp_path / "ledgers")
    yield store
    store.close()


def _reads(store: Store, n: int) -> None:
    for i in range(n):
        store.audit.append("analyst", "read", f"e{i}", "case 7")


def _intruder(store: Store) -> Connection:
    conn = store.audit.read_engine().connect()
    conn.execute(text("DROP TRIGGER IF EXISTS audit_read_no_delete"))
    conn.execute(text("DROP TRIGGER IF EXISTS audit_read_no_update"))
    conn.commit()
    return conn


def _set_head(conn: Connection, seq: int) -> None:
    """Rewrite the reads chain's head row to its event `seq`, leaving a valid chain."""
    found = conn.execute(text("SELECT hash FROM audit_read_events WHERE seq = :s"), {"s": seq})
    conn.execute(
        text("UPDATE audit_read_head SET seq = :s, hash = :h"), {"s": seq, "h": found.scalar_one()}
    )


def _problems(store: Store) -> tuple[str, ...]:
    return tuple(str(p) for p in store.audit.verify().problems)


def test_cutting_exactly_the_anchored_read_is_reported(file_store: Store) -> None:
    """The anchored read is the newest one protected: removing only it (nothing before it)
    is already reported."""
    _reads(file_store, 5)
    checkpoint = file_store.audit.checkpoint("auditor", "nightly")  # anchors read 5
    with _intruder(file_store) as conn:
        conn.execute(text("DELETE FROM audit_read_events WHERE seq = 5"))
        _set_head(conn, 4)
        conn.commit()
    [problem] = _problems(file_store)
    assert problem.startswith(
        "reads chain: the read-audit file is older than the store: read events after seq 4 "
        f"were removed or the file was replaced by an earlier copy (writes-chain event "
        f"{checkpoint.seq}, at "
    )
    assert problem.endswith("recorded read event 5)")


def test_the_anchored_read_replaced_by_a_valid_one_is_reported(file_store: Store) -> None:
    """The newest read anchored, and the chain ending there, rewritten to another valid
    event (chained and hashed, the head rewritten to match): its hash is not the one the
    anchor recorded."""
    _reads(file_store, 5)
    checkpoint = file_store.audit.checkpoint("auditor", "nightly")  # anchors read 5
    with _intruder(file_store) as conn:
        row: dict[str, Any] = dict(
            conn.execute(text("SELECT * FROM audit_read_events WHERE seq = 5")).one()._mapping
        )
        conn.execute(text("DELETE FROM audit_read_events WHERE seq = 5"))
        row["target"] = "someone else"
        row["hash"] = event_digest(
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
        conn.execute(
            text(
                "INSERT INTO audit_read_events (seq, at, actor, agency, action, target, reason, "
                "detail, prev_hash, hash) VALUES (:seq, :at, :actor, :agency, :action, :target, "
                ":reason, :detail, :prev_hash, :hash)"
            ),
            row,
        )
        _set_head(conn, 5)
        conn.commit()
    [problem] = _problems(file_store)
    assert problem.startswith(
        f"reads chain: event 5 is not the one writes-chain event {checkpoint.seq} (at "
    )


def test_a_restart_counts_the_newest_anchored_read_it_abandoned(tmp_path: Path) -> None:
    """Of several anchors of the abandoned chain, the newest says how many anchored reads
    were lost with it (not the oldest)."""
    db = tmp_path / "store.db"
    store = open_store(f"sqlite:///{db}", ledger_dir=tmp_path / "ledgers")
    path = store.audit.read_file
    assert path is not None
    _reads(store, 2)
    store.audit.checkpoint("auditor", "nightly")  # anchors read 2
    _reads(store, 3)
    store.audit.checkpoint("auditor", "nightly")  # anchors read 5
    store.close()
    for lost in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        lost.unlink(missing_ok=True)
    store = open_store(f"sqlite:///{db}", ledger_dir=tmp_path / "ledgers")
    store.audit.restart_reads("admin", "disk failure")
    [problem] = _problems(store)
    assert "and its 5 anchored reads, which can no longer be checked" in problem
    store.close()
