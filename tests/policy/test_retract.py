"""Retraction on both backends: who may withdraw which statements, the tombstone hides them
from every view, nothing is half-done, and each retraction is one writes-chain audit event."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from ironriver.errors import AccessDenied, ConfigError, NotFound
from ironriver.policy import Principal, View, retract
from ironriver.store import Store, dialect, open_store
from ironriver.store.audit_chain import WRITES
from ironriver.store.ids import statement_id
from ironriver.store.store import Writer, _alembic_config
from ironriver.store.tables import statement_tally
from samples import ATF, FGR, MX, MX_ROWS, US, load, table

ATF_LOADER = Principal("atf-loader", "ATF", "US", frozenset({"ingest"}))
FGR_LOADER = Principal("fgr-loader", "FGR", "MX", frozenset({"ingest"}))
# a loader who may also read the store (as `entity` does): it is told why it is refused
ATF_CLERK = Principal("atf-clerk", "ATF", "US", frozenset({"analyst", "ingest"}))
ADMIN = Principal("root", "OIG", "US", frozenset({"admin"}))


def _props(store: Store, principal: Principal, entity_id: str) -> set[tuple[str, str]]:
    role = "analyst" if principal.has_role("analyst") else "ingest"  # a loader: retracting
    view = View(store, principal, audit=False, role=role)
    return {(s.dataset, s.prop) for s in view.statements(entity_id)}


def test_reading_takes_the_analyst_role(store: Store) -> None:
    """An ingest-only principal (a loader) reads nothing but what a retraction of its own
    must choose from; nor does an auditor read data."""
    load(store)
    auditor = Principal("oig", "OIG", "US", frozenset({"auditor"}))
    for who in (ATF_LOADER, auditor, Principal("nobody", "ATF", "US", frozenset())):
        with pytest.raises(AccessDenied, match=f"{who.name} may not read the store"):
            View(store, who, reason="r")
    assert View(store, ATF, reason="r").entity("g1") is not None  # analyst (the default)
    assert View(store, ADMIN, reason="r").entity("g1") is not None  # admin: every role


def test_own_statement_is_hidden_from_every_view(store: Store) -> None:
    load(store)
    make = statement_id(US.name, "g1", "make", "Glock")
    done = retract(store, ATF_LOADER, "g1", reason="wrong make", statement_ids=[make])
    assert [s.id for s in done.statements] == [make]
    for who in (ATF, ATF_LOADER, ADMIN):
        # (an ingest-only principal reads only for a retraction: its view is made so)
        view = View(store, who, audit=False, role="ingest" if who is ATF_LOADER else "analyst")
        entity = view.entity("g1")
        assert entity is not None and entity.get("make") == []
        assert (US.name, "make") not in _props(store, who, "g1")
        assert [h.entity_id for h in view.by_identifier("ABC123")] == ["g1"]  # rest stays
    # the tombstone survives a re-ingest of the same record
    with store.writer() as w:
        w.add_statements(table(US.name, [("g1", "Firearm", "make", "Glock")]), US.name, US.label)
    entity = View(store, ATF, audit=False).entity("g1")
    assert entity is not None and entity.get("make") == []
    event = [e for e in store.audit.events() if e.action == "retract"]
    assert len(event) == 1 and event[0].chain == WRITES
    assert event[0].actor == "atf-loader" and event[0].reason == "wrong make"
    assert event[0].detail["statements"] == [make]
    assert store.audit.verify().ok


def test_edges_and_search_follow_a_retracted_reference(store: Store) -> None:
    load(store)
    retract(store, ATF_LOADER, "s1", reason="not this buyer", prop="buyer")
    view = View(store, ATF, audit=False)
    assert {(n.prop, n.entity_id) for n in view.neighbours("p1")} == set()
    assert view.counts().entities_by_schema["Individual"] == 2  # p1 (ATF), p2 (FGR)
    retract(store, ATF_LOADER, "p1", reason="record withdrawn")
    assert view.entity("p1") is None and view.search("perez") == []
    assert view.counts().entities_by_schema["Individual"] == 1


def test_other_agencies_statements_are_refused_and_nothing_is_retracted(store: Store) -> None:
    load(store)
    theirs = statement_id(MX.name, "g1", "caliber", "9mm")
    ours = statement_id(US.name, "g1", "make", "Glock")
    before = _props(store, ATF, "g1")
    with pytest.raises(AccessDenied, match="belongs to FGR"):
        retract(store, ATF_CLERK, "g1", reason="x", statement_ids=[ours, theirs])
    assert _props(store, ATF, "g1") == before  # all or nothing
    # "all of them" means all of the principal's own agency's statements
    done = retract(store, ATF_LOADER, "g1", reason="withdrawn")
    assert {s.dataset for s in done.statements} == {US.name}
    assert _props(store, FGR, "g1") == {(MX.name, p) for e, _, p, _ in MX_ROWS if e == "g1"}
    # the owner may; an admin may retract anyone's
    retract(store, ADMIN, "g1", reason="court order", statement_ids=[theirs])
    assert (MX.name, "caliber") not in _props(store, FGR, "g1")
    assert not [e for e in store.audit.events() if e.action == "retract" and not e.reason]


def test_bad_requests_are_clear_errors(store: Store) -> None:
    load(store)
    with pytest.raises(ConfigError, match="needs a reason"):
        retract(store, ATF_LOADER, "g1", reason=" ")
    with pytest.raises(
        NotFound, match="1 statement id is not a statement of 'g1' that you can see"
    ):
        retract(store, ATF_LOADER, "g1", reason="x", statement_ids=["nope"])
    with pytest.raises(NotFound, match="matches property 'alias'"):
        retract(store, ATF_LOADER, "g1", reason="x", prop="alias")
    with pytest.raises(ConfigError, match="'bogusProp' is not a property of Firearm"):
        retract(store, ATF_LOADER, "g1", reason="x", prop="bogusProp")  # a typo, not "none"
    # statements it sees, all another agency's: refused as such, not "nothing matches"
    assert {d for d, p in _props(store, ATF, "g1") if p == "caliber"} == {MX.name}
    with pytest.raises(AccessDenied, match=r"may not retract these statements of 'g1'.*FGR"):
        retract(store, ATF_CLERK, "g1", reason="x", prop="caliber")
    with pytest.raises(AccessDenied, match="a may not retract statements"):
        retract(store, ATF, "g1", reason="x", prop="make")  # an analyst, not a loader
    hidden = statement_id(US.name, "s1", "date", "2024-03-01")  # FGR cannot see US statements
    with pytest.raises(NotFound):
        retract(store, FGR_LOADER, "s1", reason="x", statement_ids=[hidden])
    retract(store, ATF_LOADER, "g1", reason="x", prop="make")
    with pytest.raises(NotFound):  # already retracted: not visible any more
        retract(store, ATF_LOADER, "g1", reason="again", prop="make")
    assert [e.action for e in store.audit.events()].count("retract") == 1


def _answer(store: Store, who: Principal, entity_id: str, **kw: object) -> tuple[str, str]:
    """The error `retract` raises, with the entity id written as ID (to set beside the
    answer for an entity that does not exist)."""
    with pytest.raises((AccessDenied, ConfigError, NotFound)) as raised:
        retract(store, who, entity_id, reason="x", **kw)  # type: ignore[arg-type]
    text = f"{raised.value} | {raised.value.hint}".replace(repr(entity_id), "ID")
    return type(raised.value).__name__, text.replace(f" {entity_id}", " ID")


def test_a_loader_who_may_not_read_learns_nothing_of_other_agencies_statements(
    store: Store,
) -> None:
    """An ingest-only principal may not run `entity`: retracting what it does not own is
    answered exactly as for an entity that does not exist (no schemata listed, no owner
    named, a guessed statement id not told apart from one never stored); a loader who may
    read keeps the answers that say why."""
    load(store)
    theirs = statement_id(MX.name, "g1", "caliber", "9mm")  # FGR's, readable by ATF's analysts
    cases: list[tuple[str, dict[str, object]]] = [
        ("p2", {"prop": "nme"}),  # p2: FGR's only
        ("p2", {}),
        ("g1", {"prop": "caliber"}),  # g1: ATF's and FGR's, caliber FGR's only
        ("g1", {"statement_ids": [theirs]}),
        ("r1", {"prop": "date"}),
    ]
    for entity_id, kw in cases:
        absent = _answer(store, ATF_LOADER, "nowhere", **kw)
        assert absent[0] == "NotFound"
        assert _answer(store, ATF_LOADER, entity_id, **kw) == absent, (entity_id, kw)
    # one who may read the entity is told why
    assert _answer(store, ATF_CLERK, "p2", prop="nme")[1].startswith(
        "'nme' is not a property of Individual"
    )
    kind, text = _answer(store, ATF_CLERK, "p2")
    assert kind == "AccessDenied" and "they belong to FGR" in text
    kind, text = _answer(store, ATF_CLERK, "g1", statement_ids=[theirs])
    assert kind == "AccessDenied" and "belongs to FGR" in text
    # its own statements it still retracts, and a typo in its own is still an error
    assert _answer(store, ATF_LOADER, "g1", prop="mak")[0] == "ConfigError"
    done = retract(store, ATF_LOADER, "g1", reason="withdrawn")
    assert {s.dataset for s in done.statements} == {US.name}
    assert (MX.name, "caliber") in _props(store, FGR, "g1")


def test_a_property_retracts_the_agencys_own_statements_of_it(store: Store) -> None:
    """Both agencies hold g1's serial number: FGR retracting the property withdraws its own
    statement and leaves ATF's (it is not refused for seeing ATF's)."""
    load(store)
    done = retract(store, FGR_LOADER, "g1", reason="misread serial", prop="serialNumber")
    assert [(s.dataset, s.prop) for s in done.statements] == [(MX.name, "serialNumber")]
    assert (US.name, "serialNumber") in _props(store, ATF, "g1")
    assert (MX.name, "serialNumber") not in _props(store, FGR, "g1")


def test_a_retracted_name_takes_its_copies_in_names_mentioned(store: Store) -> None:
    """An ingest copies a buyer's name into the sale's namesMentioned (FtM's inline names):
    retracting the name, or the reference that copied it, withdraws the copy too; the same
    name mentioned in another dataset stays."""
    load(store)
    name = "José Luis Pérez López"
    with store.writer() as w:
        mention = [("s1", "Sale", "namesMentioned", name), ("s2", "Sale", "buyer", "p1")]
        w.add_statements(table(US.name, mention), US.name, US.label)
        w.add_statements(
            table(US.name, [("s2", "Sale", "namesMentioned", name)]), US.name, US.label
        )
        w.add_statements(
            table(MX.name, [("r1", "Recovery", "namesMentioned", name)]), MX.name, MX.label
        )
    done = retract(store, ATF_LOADER, "p1", reason="wrong person", prop="name")
    assert sorted(done.mentions) == sorted(
        [("s1", statement_id(US.name, "s1", "namesMentioned", name)),
         ("s2", statement_id(US.name, "s2", "namesMentioned", name))]
    )  # fmt: skip
    view = View(store, ATF, audit=False)
    for sale in ("s1", "s2"):
        entity = view.entity(sale)
        assert entity is not None and entity.get("namesMentioned") == []
    assert (MX.name, "namesMentioned") in _props(store, FGR, "r1")  # FGR's own record
    event = [e for e in store.audit.events() if e.action == "retract"][-1]
    assert len(event.detail["mentions"]) == 2


def test_a_retracted_reference_takes_the_names_it_copied(store: Store) -> None:
    load(store)
    name = "José Luis Pérez López"
    with store.writer() as w:
        copied = [("s1", "Sale", "namesMentioned", name)]
        w.add_statements(table(US.name, copied), US.name, US.label)
    done = retract(store, ATF_LOADER, "s1", reason="not this buyer", prop="buyer")
    assert [m[0] for m in done.mentions] == ["s1"]
    entity = View(store, ATF, audit=False).entity("s1")
    assert entity is not None and entity.get("namesMentioned") == [] and entity.get("buyer") == []
    assert View(store, ATF, audit=False).entity("p1") is not None  # the buyer stays


def test_upgrade_withdraws_the_copies_of_names_retracted_before_it(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migration 0008: a name (or a reference) retracted by the code before retraction took
    the namesMentioned copies leaves them readable; upgrading withdraws them, as a
    retraction now does, keeps the statement tally right, and records one retract event."""
    load(store)
    name = "José Luis Pérez López"
    with store.writer() as w:
        mention = [("s1", "Sale", "namesMentioned", name), ("s2", "Sale", "buyer", "p3"),
                   ("s2", "Sale", "date", "2024-05-01")]  # fmt: skip
        w.add_statements(table(US.name, mention), US.name, US.label)
        others = [("p3", "Person", "name", "Ana Secreta"), ("s2", "Sale", "namesMentioned",
                  "Ana Secreta"), ("s3", "Sale", "namesMentioned", name)]  # fmt: skip
        w.add_statements(table(US.name, others), US.name, US.label)
        w.add_statements(
            table(MX.name, [("r1", "Recovery", "namesMentioned", name)]), MX.name, MX.label
        )
    url = store.engine.url.render_as_string(hide_password=False)
    with dialect.write_transaction(store.engine) as conn:
        command.downgrade(_alembic_config(conn), "0007")
    # what a retraction before 0008's code did: the named only (and it left their lookup
    # rows, which a store of 0007 holds without a label: 0013 drops them)
    monkeypatch.setattr(Writer, "_drop_lookups", lambda self, retracted: None)
    with store.writer() as w:
        w.retract(
            [("p1", statement_id(US.name, "p1", "name", name)),
             ("s2", statement_id(US.name, "s2", "buyer", "p3"))]
        )  # fmt: skip
    store.close()
    store = open_store(url, ledger_dir=tmp_path / "ledgers")  # upgrades to 0008
    view = View(store, ATF, audit=False)
    for sale in ("s1", "s2"):
        entity = view.entity(sale)
        assert entity is not None and entity.get("namesMentioned") == [], sale
    s3 = view.entity("s3")  # refers to no one: not a copy of the retracted name
    assert s3 is not None and s3.get("namesMentioned") == [name]
    assert (MX.name, "namesMentioned") in _props(store, FGR, "r1")  # another dataset's
    with store.engine.connect() as conn:
        tally = {(r.dataset_id, r.label_id): r.n for r in conn.execute(statement_tally.select())}
        scan = conn.execute(
            text(
                "SELECT dataset_id, label_id, count(*) AS n FROM statements "
                "WHERE NOT retracted GROUP BY dataset_id, label_id"
            )
        ).all()
    assert tally == {(r.dataset_id, r.label_id): r.n for r in scan}
    event = [e for e in store.audit.events() if e.action == "retract"][-1]
    assert event.chain == WRITES and event.actor == "ironriver"
    assert sorted(event.detail["mentions"]) == sorted(
        [f"s1/{statement_id(US.name, 's1', 'namesMentioned', name)}",
         f"s2/{statement_id(US.name, 's2', 'namesMentioned', 'Ana Secreta')}"]
    )  # fmt: skip
    assert store.audit.verify().ok
    store.close()
    store = open_store(url, ledger_dir=tmp_path / "ledgers")  # at the head: nothing again
    assert [e.action for e in store.audit.events()].count("retract") == 1
    store.close()
