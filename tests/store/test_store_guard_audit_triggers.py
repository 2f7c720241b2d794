"""Guard on the audit log's append-only triggers found missing by mutation testing, on a
real SQLite file store: a store missing any one of them is not "ready", so the next open
that may write puts it back (and deletes of audit events are refused again).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ironriver.store import open_store


@pytest.mark.parametrize("trigger", ["audit_no_delete", "audit_no_update"])
def test_an_open_puts_back_a_dropped_append_only_trigger(tmp_path: Path, trigger: str) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = open_store(url, ledger_dir=tmp_path / "ledgers")
    store.audit.append("loader", "ingest", "us_atf", "load")
    with store.engine.begin() as conn:
        conn.execute(text(f"DROP TRIGGER {trigger}"))
    store.close()
    store = open_store(url, ledger_dir=tmp_path / "ledgers")
    with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
        if trigger == "audit_no_delete":
            conn.execute(text("DELETE FROM audit_events WHERE seq = 2"))
        else:
            conn.execute(text("UPDATE audit_events SET reason = 'x' WHERE seq = 2"))
    assert store.audit.verify().ok
    store.close()
