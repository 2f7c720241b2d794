"""Guards on listing the audit log (`AuditLog.events`, what `ironriver audit log` shows)
found missing by mutation testing, on a real SQLite file store: `since` is inclusive and
`until` exclusive at the exact timestamp of an event, and `newest` gives the last events.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ironriver.store import Store, open_store
from ironriver.store.audit import EventFilter


@pytest.fixture
def file_store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}", ledger_dir=tmp_path / "ledgers")
    yield store
    store.close()


def test_since_is_inclusive_and_until_exclusive_at_an_events_own_time(
    file_store: Store,
) -> None:
    events = [file_store.audit.append("analyst", "read", f"e{i}", "case 7") for i in range(3)]
    middle = events[1]
    assert len({e.at for e in events}) == 3  # microseconds: each its own time

    def targets(where: EventFilter) -> list[str]:
        return [e.target for e in file_store.audit.events(where=where)]

    assert targets(EventFilter(actor="analyst", since=middle.at)) == ["e1", "e2"]
    assert targets(EventFilter(actor="analyst", until=middle.at)) == ["e0"]
    assert targets(EventFilter(actor="analyst", since=middle.at, until=events[2].at)) == ["e1"]


def test_newest_lists_the_last_events_of_both_chains(file_store: Store) -> None:
    for i in range(3):
        file_store.audit.append("analyst", "read", f"r{i}", "case 7")
        file_store.audit.append("loader", "ingest", f"w{i}", "load")
    listed = [e.target for e in file_store.audit.events(limit=3, newest=True)]
    assert listed == ["w1", "r2", "w2"]  # oldest first, of the newest three
    assert [e.target for e in file_store.audit.events(limit=2)][1:] == ["r0"]
