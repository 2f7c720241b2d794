"""`AuditLog.events` and `AuditLog.stream_events` against a plain model of what they list:
every event of both chains, read straight from their tables, filtered in Python, merged by
time (a tie: the writes chain's first, then by seq) and sliced (`limit` first or, with
`newest`, last ones; `limit=0`: none), on real stores (SQLite file, PostgreSQL), with
generated events, a clock that often gives two events the same time, every filter field, and
(SQLite) the read-audit file missing. A clock set back, which the merge cannot order by time,
is `test_a_clock_set_back_lists_alike_both_ways`."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

import ironriver.store.audit_append as append_module
import ironriver.store.audit_listing as listing_module
from ironriver.store import EventFilter, Store, open_store
from ironriver.store.audit import AuditEvent
from ironriver.store.tables import audit_events, audit_read_events
from view_facts import Stores, no_datasets, shared_stores

ACTORS = ["alice", "bob"]
AGENCIES = ["ATF", "FGR", ""]
ACTIONS = ["read", "search", "ingest", "retract"]
TARGETS = ["t1", "t2"]
# microseconds between two events: often none (a tie, within a chain and across them)
STEPS = [0, 0, 1, 1_000_000]
LIMITS = [None, 0, 1, 2, 3, 5, 50]


START = datetime(2030, 1, 1, tzinfo=UTC)


class _Clock:
    """The time `append_event` stamps events with: set by the test."""

    now = START


def _stopped_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    class Stopped(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return _Clock.now

    monkeypatch.setattr(append_module, "datetime", Stopped)


def _append(store: Store, events: list[tuple[str, str, str, str, int]]) -> None:
    for action, actor, agency, target, step in events:
        _Clock.now += timedelta(microseconds=step)
        store.audit.append(actor, action, target, "case", {"n": step}, agency)


def _chain_rows(conn: Any, table: Any, chain: str) -> list[tuple[str, int, dict[str, Any]]]:
    rows = conn.execute(select(table).order_by(table.c.seq))
    return [(chain, int(r.seq), dict(r._mapping)) for r in rows]


def _all_events(store: Store, missing: bool) -> list[tuple[str, int, dict[str, Any]]]:
    """Every event of both chains (none of the reads chain when its file is missing), read
    from their tables, each chain in seq order."""
    with store.engine.connect() as conn:
        writes = _chain_rows(conn, audit_events, "writes")
    if missing:
        return writes
    with store.audit.read_engine().connect() as conn:
        return writes + _chain_rows(conn, audit_read_events, "reads")


def _model(
    events: list[tuple[str, int, dict[str, Any]]],
    limit: int | None,
    where: EventFilter,
    newest: bool,
) -> list[tuple[str, int]]:
    def matches(row: dict[str, Any]) -> bool:
        fields = ("actor", "agency", "action", "target")
        if any(getattr(where, f) and row[f] != getattr(where, f) for f in fields):
            return False
        if where.agencies is not None and row["agency"] not in where.agencies | {""}:
            return False
        return (not where.since or row["at"] >= where.since) and (
            not where.until or row["at"] < where.until
        )

    kept = [(row["at"], chain != "writes", seq) for chain, seq, row in events if matches(row)]
    merged = [("reads" if reads else "writes", seq) for _, reads, seq in sorted(kept)]
    if limit is None:
        return merged
    return merged[max(0, len(merged) - limit) :] if newest else merged[:limit]


def _listed(events: list[AuditEvent]) -> list[tuple[str, int]]:
    return [(e.chain, e.seq) for e in events]


_EVENT = st.tuples(
    st.sampled_from(ACTIONS),
    st.sampled_from(ACTORS),
    st.sampled_from(AGENCIES),
    st.sampled_from(TARGETS),
    st.sampled_from(STEPS),
)


def _optional(values: list[str]) -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), st.sampled_from(values))


def _where(data: st.DataObject, times: list[str]) -> EventFilter:
    """A filter of any of its fields; `since`/`until` often an event's exact time."""
    bound = st.one_of(st.none(), st.sampled_from(times), st.just("2030-01-01"))
    return EventFilter(
        actor=data.draw(_optional(ACTORS)),
        agency=data.draw(_optional(AGENCIES[:2])),
        action=data.draw(_optional(ACTIONS)),
        target=data.draw(_optional(TARGETS)),
        since=data.draw(bound),
        until=data.draw(bound),
        agencies=data.draw(st.one_of(st.none(), st.just(frozenset({"ATF"})))),
    )


def _hide_read_file(store: Store) -> None:
    """Move a SQLite store's read-audit file away (its WAL checkpointed first)."""
    store.audit.read_engine().dispose()
    assert store.audit.read_file is not None
    store.audit.read_file.rename(store.audit.read_file.with_suffix(".away"))


def _check(stores: Stores, events: list[tuple[str, str, str, str, int]], data: Any) -> None:
    """A fresh store holding `events` (after its own read-chain-start), listed under a few
    filters, limits and directions, both ways, a few rows fetched at a time."""
    _Clock.now = START
    with tempfile.TemporaryDirectory() as folder:
        store = stores.new(Path(folder) / "a.db", no_datasets)
        try:
            _append(store, events)
            missing = store.audit.read_file is not None and data.draw(st.booleans())
            everything = _all_events(store, missing)
            times = sorted({row["at"] for _, _, row in everything})
            if missing:
                _hide_read_file(store)
            for _ in range(4):
                where = _where(data, times)
                actor = data.draw(st.sampled_from([None, "alice"]))
                limit = data.draw(st.sampled_from(LIMITS))
                newest = data.draw(st.booleans())
                model_where = replace(where, actor=actor) if actor else where
                expected = _model(everything, limit, model_where, newest)
                listed = list(store.audit.events(limit, actor, where, newest))
                assert _listed(listed) == expected, (where, actor, limit, newest)
                streamed = list(store.audit.stream_events(limit, model_where, newest))
                assert streamed == listed, (where, limit, newest)
            writes = [(chain, seq) for chain, seq, _ in everything if chain == "writes"]
            assert _listed(store.audit.write_events(EventFilter())) == writes
        finally:
            store.close()


_QUIET = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


@settings(max_examples=60, deadline=None, suppress_health_check=_QUIET)
@given(events=st.lists(_EVENT, max_size=12), data=st.data())
def test_events_and_stream_events_list_the_model(
    monkeypatch: pytest.MonkeyPatch, events: list[tuple[str, str, str, str, int]], data: Any
) -> None:
    _stopped_clock(monkeypatch)
    monkeypatch.setattr(listing_module, "_STREAM_ROWS", 2)
    _check(shared_stores("sqlite"), events, data)


@pytest.mark.postgres
@settings(max_examples=20, deadline=None, suppress_health_check=_QUIET)
@given(events=st.lists(_EVENT, max_size=12), data=st.data())
def test_events_and_stream_events_list_the_model_on_postgresql(
    pg_stores: Stores,
    monkeypatch: pytest.MonkeyPatch,
    events: list[tuple[str, str, str, str, int]],
    data: Any,
) -> None:
    _stopped_clock(monkeypatch)
    monkeypatch.setattr(listing_module, "_STREAM_ROWS", 2)
    _check(pg_stores, events, data)


def test_a_clock_set_back_lists_alike_both_ways(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Events dated before earlier ones (a clock set back: `verify` reports it) cannot be
    listed in time order and in each chain's order at once: each chain keeps its order and
    the merge takes the earlier of the two chains' next events. The first `limit` are the
    first of the whole listing; with `newest`, the last `limit` of each chain, merged so;
    `events` and `stream_events` list the same."""
    _stopped_clock(monkeypatch)
    monkeypatch.setattr(listing_module, "_STREAM_ROWS", 2)
    back = -2_000_000
    _append(
        store,
        [
            ("read", "alice", "ATF", "t1", 10),
            ("ingest", "bob", "", "t1", 10),
            ("read", "alice", "ATF", "t2", back),
            ("ingest", "bob", "", "t2", 3),
            ("search", "alice", "FGR", "t1", back),
            ("retract", "bob", "", "t2", 1),
        ],
    )
    everything = _all_events(store, missing=False)
    whole = list(store.audit.events())
    assert {(e.chain, e.seq) for e in whole} == {(c, s) for c, s, _ in everything}
    for chain in ("writes", "reads"):  # each chain in its own order
        seqs = [e.seq for e in whole if e.chain == chain]
        assert seqs == sorted(seqs)
    for limit in LIMITS:
        for newest in (False, True):
            listed = list(store.audit.events(limit=limit, newest=newest))
            assert list(store.audit.stream_events(limit, None, newest)) == listed
            if not newest and limit is not None:
                assert listed == whole[:limit]
            for chain in ("writes", "reads"):
                seqs = [e.seq for e in listed if e.chain == chain]
                every = [e.seq for e in whole if e.chain == chain]
                assert seqs == (every[len(every) - len(seqs) :] if newest else every[: len(seqs)])


def test_events_can_be_held_while_the_store_is_written(store: Store) -> None:
    """`events` has read them all, its connections given back, when it yields the first: a
    caller may write the store (either chain) while it goes through them, which
    `stream_events`, whose connections stay open, does not allow."""
    _append(store, [("read", "alice", "ATF", "t1", 1), ("ingest", "bob", "", "t1", 1)] * 3)
    before = list(store.audit.events())
    listing = store.audit.events()
    seen = [next(listing)]
    engines = {store.engine, store.audit.read_engine()}
    assert [engine.pool.checkedout() for engine in engines] == [0] * len(engines)  # type: ignore[attr-defined]
    for event in listing:
        store.audit.append("carol", "ingest" if event.chain == "reads" else "read", "x", "r")
        seen.append(event)
    assert seen == before
    assert len(list(store.audit.events())) == 2 * len(before) - 1


def test_an_in_memory_store_lists_both_chains_both_ways(monkeypatch: pytest.MonkeyPatch) -> None:
    """In memory, both chains are in the store, behind its one connection: read on it (a
    second connection's BEGIN failed there, within the first's transaction)."""
    _stopped_clock(monkeypatch)
    monkeypatch.setattr(listing_module, "_STREAM_ROWS", 2)
    _Clock.now = START
    store = open_store("sqlite://")
    try:
        _append(store, [("read", "alice", "ATF", "t1", 1), ("ingest", "bob", "", "t1", 0)] * 3)
        everything = _all_events(store, missing=False)
        for limit in LIMITS:
            for newest in (False, True):
                listed = list(store.audit.events(limit=limit, newest=newest))
                assert _listed(listed) == _model(everything, limit, EventFilter(), newest)
                assert list(store.audit.stream_events(limit, None, newest)) == listed
    finally:
        store.close()
