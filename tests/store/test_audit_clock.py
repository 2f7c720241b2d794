"""`audit verify` reports events dated before earlier ones by more than a clock correction: a
clock set back while events were written (a host restored from a snapshot, a clock set by
hand) leaves them out of `audit log --since/--until` windows, silently before."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

import ironriver.store.audit_append as append_module
from ironriver.store import Store
from ironriver.store.audit_verify import CLOCK_SLACK


def _clock(monkeypatch: pytest.MonkeyPatch, back: timedelta) -> None:
    class Shifted(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return datetime.now(tz) - back

    monkeypatch.setattr(append_module, "datetime", Shifted)


@pytest.mark.parametrize("back", [timedelta(days=400), CLOCK_SLACK + timedelta(minutes=1)])
def test_a_clock_set_back_is_reported(
    store: Store, monkeypatch: pytest.MonkeyPatch, back: timedelta
) -> None:
    store.audit.append("alice", "ingest", "ds", "monday", {})
    store.audit.append("bob", "read", "e1", "monday's read", {})
    _clock(monkeypatch, back)
    store.audit.append("alice", "ingest", "ds", "backdated", {})
    store.audit.append("bob", "read", "e1", "backdated read", {})
    result = store.audit.verify()
    assert not result.ok
    texts = [p.render("en") for p in result.problems]
    assert any(
        "writes chain: event 3 is dated" in t and "the clock was set back" in t for t in texts
    )
    assert any("reads chain" in t and "clock was set back" in t for t in texts)
    assert all("reloj" in p.render("es") for p in result.problems)


def test_a_small_correction_is_not_a_finding(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    store.audit.append("alice", "ingest", "ds", "monday", {})
    _clock(monkeypatch, timedelta(seconds=30))  # NTP stepping the clock back
    store.audit.append("alice", "ingest", "ds", "a little earlier", {})
    assert store.audit.verify().ok
