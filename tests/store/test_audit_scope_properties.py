"""Property: what one country's auditor lists of the audit log (`audit log`: the events of
`audited_agencies`' scope, each as `listed_event` gives it) tells nothing of what the other
country did. Generated sequences of reads, searches, ingests and checkpoints by principals of
both countries, and the system's upgrades (an event naming every dataset the store holds),
run on store A; the Mexican ones (and the system's) alone on store B, the US ones on C. The
Mexican auditor's listing of A equals its listing of B, the US auditor's of A that of C, each
event's time and host aside (they differ by run). A difference is an event of the other
country counted, dated, ordered or named: a chain position (both chains number both
countries' events), a reads-chain anchor, a system event's detail, an owner outside the scope
(review R24 F3, F4; R25 F3). Each country's datasets are released to that country alone, so
the other's actions leave nothing its own principals can read either.

Library calls on small stores (`view_facts.Stores` copies of a template), a clock that ticks
a second per event (so that both chains merge alike on every store), ~0.2 s an example."""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ironriver.store.audit_append as append_module
from ironriver.errors import AccessDenied
from ironriver.ingest.entities import ingest_entities
from ironriver.policy import Marking, Principal, View, audited_agencies, listed_event
from ironriver.store import DatasetInfo, EventFilter, Store
from ironriver.store.audit import LABELS_BASELINE
from ironriver.store.data_verify import LABELS_KEY, declared_labels
from ironriver.store.opening import SYSTEM_ACTOR
from view_facts import Stores, no_datasets, shared_stores

WORK = frozenset({"analyst", "ingest"})
ANALYSTS = [
    Principal("ana", "FGR", "MX", WORK),
    Principal("beto", "SEDENA", "MX", WORK),
    Principal("carla", "ATF", "US", WORK),
    Principal("dan", "CBP", "US", WORK),
]
AUDITORS = {
    "MX": Principal("mx-auditor", "SABG", "MX", frozenset({"auditor"})),
    "US": Principal("us-auditor", "OIG", "US", frozenset({"auditor"})),
}
PRINCIPALS = [*ANALYSTS, *AUDITORS.values()]
# each agency's dataset, released to its own country only (SEDENA's and CBP's AMBER+STRICT:
# a read of it without a reason is refused, and the refusal audited)
DATASETS = {
    p.agency: DatasetInfo(
        f"ds_{p.agency.lower()}",
        p.agency,
        p.country,
        Marking.AMBER_STRICT if p.agency in ("SEDENA", "CBP") else Marking.AMBER,
        frozenset({p.country}),
        "law",
    )
    for p in ANALYSTS
}
ENTITIES = ["p1", "p2"]  # (both countries' datasets may hold the same id)
NAMES = ["Zafiro Pérez", "Juan Zafiro", "Ana López"]
QUERIES = ["zafiro", "perez", "juan zafiro lopez", "nadie"]
REASONS = ["", "case 7"]

_search = st.tuples(st.just("search"), st.sampled_from(ANALYSTS), st.sampled_from(QUERIES))
_read = st.tuples(st.just("read"), st.sampled_from(ANALYSTS), st.sampled_from([*ENTITIES, "nope"]))
_ingest = st.tuples(
    st.just("ingest"),
    st.sampled_from(ANALYSTS),
    st.tuples(st.sampled_from(ENTITIES), st.sampled_from(NAMES)),
)
_checkpoint = st.tuples(st.just("checkpoint"), st.sampled_from(list(AUDITORS.values())), st.none())
_upgrade = st.tuples(st.just("upgrade"), st.none(), st.none())
# (an ingest costs ten reads: one action in seven)
_action = st.one_of(_search, _read, _search, _read, _ingest, _checkpoint, _upgrade).flatmap(
    lambda a: st.tuples(st.just(a), st.sampled_from(REASONS))
)
Action = tuple[tuple[str, Principal | None, Any], str]


class _Ticking(datetime):
    """`audit`'s clock: a second later at each event (a tie between the chains would merge
    them by chain, which a clock of real time makes differ by run)."""

    now_at = datetime(2030, 1, 1, tzinfo=UTC)

    @classmethod
    def now(cls, tz: Any = None) -> Any:
        _Ticking.now_at += timedelta(seconds=1)
        return _Ticking.now_at


def _run(store: Store, folder: Path, actions: list[Action]) -> None:
    """Each action on `store` as the CLI's commands run them (an ingest from a file in
    `folder` named after what it holds: the same name and bytes on every store; an action
    of no principal is the system's upgrade, `_record_baseline`)."""
    for (kind, who, arg), reason in actions:
        if who is None:
            _record_baseline(store)
            continue
        try:
            if kind == "search":
                View(store, who, reason).search(arg)
            elif kind == "read":
                View(store, who, reason).entity(arg)
            elif kind == "ingest":
                entity, name = arg
                path = folder / f"{who.agency}-{entity}-{NAMES.index(name)}.jsonl"
                line = {"id": entity, "schema": "Person", "properties": {"name": [name]}}
                path.write_text(json.dumps(line) + "\n", encoding="utf-8")
                ingest_entities(
                    store, path, DATASETS[who.agency], actor=who.name, reason=reason, principal=who
                )
            else:
                store.audit.checkpoint(who.name, reason, who.agency)
        except AccessDenied:  # (a read of AMBER+STRICT without a reason: audited)
            pass


def _record_baseline(store: Store) -> None:
    """The event an upgrade records of the store (migration 0015's `labels-baseline`,
    written here as `_record_labels_baseline` writes it, without an older store to upgrade):
    the system's, naming every dataset the store holds, of both countries (review R24 F4).
    Run by neither country, it is on every store."""
    infos = [info for _, info in store.datasets()]
    names = ",".join(info.name for info in infos)
    store.audit.append(
        SYSTEM_ACTOR, LABELS_BASELINE, names, "upgrade", {LABELS_KEY: declared_labels(infos)}
    )


def listing(store: Store, auditor: Principal) -> list[dict[str, Any]]:
    """What `audit log` lists to `auditor`, each event's time and host aside."""
    scope = audited_agencies(auditor, PRINCIPALS)
    events = store.audit.events(where=EventFilter(agencies=scope))
    listed = [listed_event(e, scope) for e in events]
    return [{k: v for k, v in e.items() if k not in ("at", "by")} for e in listed]


def _country(action: Action) -> str | None:
    """The country of the principal acting (None: the system's, on every store)."""
    who = action[0][1]
    return None if who is None else str(who.country)


def _path(stores: Stores, root: Path, key: str) -> Path:
    """Where store `key` is: one file name in folders of their own on SQLite (a checkpoint's
    target names the reads file), a name of its own on PostgreSQL (whose stores are
    databases named after the file's stem: one stem would be one store)."""
    if stores.backend == "postgresql":
        return root / f"{key.lower()}.db"
    (root / key).mkdir()
    return root / key / "s.db"


def check(stores: Stores, actions: list[Action]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        made: dict[str, Store] = {}
        try:
            for key, country in (("both", None), ("MX", "MX"), ("US", "US")):
                made[key] = store = stores.new(_path(stores, root, key), no_datasets)
                _run(
                    store,
                    root,
                    [a for a in actions if country is None or _country(a) in (None, country)],
                )
            for country, auditor in AUDITORS.items():
                got, alone = listing(made["both"], auditor), listing(made[country], auditor)
                assert got == alone, country
                # (and it lists its own country's events: the comparison is not of nothing)
                own = [a for a in actions if _country(a) == country]
                assert len([e for e in got if e["agency"]]) >= len(own)
        finally:
            for store in made.values():
                store.close()


_QUIET = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


@settings(max_examples=10, deadline=None, suppress_health_check=_QUIET)
@given(actions=st.lists(_action, min_size=1, max_size=7))
def test_a_countrys_auditor_lists_alike_whatever_the_other_country_did(
    monkeypatch: pytest.MonkeyPatch, actions: list[Action]
) -> None:
    monkeypatch.setattr(append_module, "datetime", _Ticking)
    check(shared_stores("sqlite"), actions)


@pytest.mark.postgres
@settings(max_examples=3, deadline=None, suppress_health_check=_QUIET)
@given(actions=st.lists(_action, min_size=1, max_size=7))
def test_a_countrys_auditor_lists_alike_whatever_the_other_country_did_on_postgresql(
    pg_stores: Stores, monkeypatch: pytest.MonkeyPatch, actions: list[Action]
) -> None:
    monkeypatch.setattr(append_module, "datetime", _Ticking)
    check(pg_stores, actions)
