"""`AuditLog.stream_events` (what `audit log --json` writes): the events `events` lists, in
its order, read a few at a time, for every limit, filter and direction; the events appended
once the stream has started are not in it; and `audit log --json` prints, byte for byte, the
JSON list of the events `events` gives (real stores: SQLite, PostgreSQL; click's runner)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import ironriver.store.audit_listing as listing_module
from ironriver.cli import cli
from ironriver.policy import (
    DEFAULT_PRINCIPALS_YAML,
    View,
    audited_agencies,
    listed_event,
    parse_principals,
)
from ironriver.store import EventFilter, Store, open_store
from samples import ATF, FGR, load, sample_db


def _events(store: Store) -> None:
    """Reads of two agencies (the reads chain) between events of the writes chain."""
    load(store)
    for n in range(7):
        View(store, (ATF, FGR)[n % 2], reason=f"case {n}").entity("g1")
        if n % 3 == 0:
            store.audit.append("loader", "ingest", f"file{n}.csv", "load", {"rows": n})


FILTERS = [
    EventFilter(),
    EventFilter(agency="FGR"),
    EventFilter(action="ingest"),
    EventFilter(agencies=frozenset({"ATF"})),
    EventFilter(actor="nobody"),
]


def test_streamed_events_are_the_listed_events(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    _events(store)
    monkeypatch.setattr(listing_module, "_STREAM_ROWS", 2)  # several fetches per chain
    assert len(list(store.audit.events())) > 10
    for where in FILTERS:
        for limit in (None, 1, 2, 3, 5, 100):
            for newest in (False, True):
                listed = list(store.audit.events(limit=limit, where=where, newest=newest))
                streamed = list(store.audit.stream_events(limit, where, newest))
                assert streamed == listed, (where, limit, newest)


def test_events_appended_once_streaming_started_are_left_out(store: Store) -> None:
    _events(store)
    listed = list(store.audit.events(limit=4, newest=True))
    stream = store.audit.stream_events(limit=4, newest=True)
    first = next(stream)
    View(store, ATF, reason="later").entity("p1")
    store.audit.append("loader", "ingest", "later.csv", "load")
    assert [first, *stream] == listed


def test_audit_log_json_prints_the_listed_events(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = sample_db(tmp_path)
    store = open_store(db, create=False)
    try:
        _events(store)
        atf = EventFilter(agency="ATF")  # (within what the US auditor reads)
        principals = parse_principals(yaml.safe_load(DEFAULT_PRINCIPALS_YAML))
        us = audited_agencies(principals["auditor"], principals.values())
        expected = [
            listed_event(e, us)  # (as one country's auditor lists them: no chain position)
            for e in store.audit.events(limit=3, where=atf, newest=True)
        ]
        assert us is not None and all("seq" not in e for e in expected)
    finally:
        store.close()
    monkeypatch.setattr(listing_module, "_STREAM_ROWS", 2)
    args = ["audit", "log", "--db", db, "--as", "auditor", "--json"]
    result = CliRunner().invoke(cli, [*args, "--agency", "ATF", "--limit", "3"])
    assert result.exit_code == 0, result.output
    assert (
        len(expected) == 3
        and result.stdout == json.dumps(expected, ensure_ascii=False, indent=2, default=str) + "\n"
    )
    result = CliRunner().invoke(cli, [*args, "--actor", "nobody"])
    assert (result.exit_code, result.stdout) == (0, "[]\n")
    result = CliRunner().invoke(cli, [*args, "--action", "reads"])  # a typo, not "none"
    assert result.exit_code == 2 and "read" in result.stderr
