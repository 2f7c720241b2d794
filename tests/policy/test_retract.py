"""Retraction on both backends: who may withdraw which statements, the tombstone hides them
from every view, nothing is half-done, and each retraction is one writes-chain audit event."""

from __future__ import annotations

import pytest

from ironriver.errors import AccessDenied, ConfigError, NotFound
from ironriver.policy import Principal, View, retract
from ironriver.store import Store
from ironriver.store.audit_chain import WRITES
from ironriver.store.ids import statement_id
from samples import ATF, FGR, MX, MX_ROWS, US, load, table

ATF_LOADER = Principal("atf-loader", "ATF", "US", frozenset({"ingest"}))
FGR_LOADER = Principal("fgr-loader", "FGR", "MX", frozenset({"ingest"}))
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
        retract(store, ATF_LOADER, "g1", reason="x", statement_ids=[ours, theirs])
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
    with pytest.raises(AccessDenied, match="a may not retract statements"):
        retract(store, ATF, "g1", reason="x", prop="make")  # an analyst, not a loader
    hidden = statement_id(US.name, "s1", "date", "2024-03-01")  # FGR cannot see US statements
    with pytest.raises(NotFound):
        retract(store, FGR_LOADER, "s1", reason="x", statement_ids=[hidden])
    retract(store, ATF_LOADER, "g1", reason="x", prop="make")
    with pytest.raises(NotFound):  # already retracted: not visible any more
        retract(store, ATF_LOADER, "g1", reason="again", prop="make")
    assert [e.action for e in store.audit.events()].count("retract") == 1


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
