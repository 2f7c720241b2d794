"""Regression: an audit log wiped whole (every event and the head row of both chains) was
verified as ok, an empty log. Every store's writes chain holds a read-chain-start from the
moment it is created (or upgraded to migration 0004, in the same transaction), and `audit
verify` opens no older store, so an empty writes chain lost its events.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from ironriver.store import Store, open_store

WIPED = (
    "writes chain: it holds no events, though every store records a read-chain-start event in "
    "it when it is created or upgraded: its events were removed"
)


def _wipe(engine: Engine, events: str, head: str) -> None:
    with engine.begin() as conn:
        for trigger in ("no_delete", "read_no_delete"):
            conn.execute(text(f"DROP TRIGGER IF EXISTS audit_{trigger}"))
        conn.execute(text(f"DELETE FROM {events}"))
        conn.execute(text(f"DELETE FROM {head}"))


def _use(store: Store) -> None:
    for i in range(3):
        store.audit.append("analyst", "read", f"e{i}", "case 7")
    store.audit.append("loader", "ingest", "us_atf", "load")
    assert store.audit.verify().ok


@pytest.mark.parametrize("kind", ["sqlite-file", "sqlite-memory"])
def test_an_audit_log_wiped_whole_is_reported(tmp_path: Path, kind: str) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}" if kind == "sqlite-file" else "sqlite://"
    store = open_store(url, ledger_dir=tmp_path / "ledgers")
    _use(store)
    _wipe(store.audit.read_engine(), "audit_read_events", "audit_read_head")
    _wipe(store.engine, "audit_events", "audit_head")
    result = store.audit.verify()
    assert not result.ok and result.events == 0
    assert tuple(str(p) for p in result.problems) == (WIPED,)
    store.close()


def test_a_wiped_log_is_reported_after_the_store_is_opened_again(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    store = open_store(f"sqlite:///{db}", ledger_dir=tmp_path / "ledgers")
    _use(store)
    _wipe(store.audit.read_engine(), "audit_read_events", "audit_read_head")
    _wipe(store.engine, "audit_events", "audit_head")
    store.close()
    store = open_store(f"sqlite:///{db}", ledger_dir=tmp_path / "ledgers")  # opening adds none
    assert tuple(str(p) for p in store.audit.verify().problems) == (WIPED,)
    store.close()


def test_a_new_store_s_log_verifies(tmp_path: Path) -> None:
    """The one event a new store's writes chain holds is its read-chain-start."""
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}", ledger_dir=tmp_path / "ledgers")
    result = store.audit.verify()
    assert result.ok and result.chains == {"writes": 1, "reads": 0}
    store.close()
