"""Guard: a retraction chooses among what its principal sees, and what it withdraws (and
reports) says nothing of what it does not see: a named id it cannot see refuses the whole
request, and the names an ingest copied are followed through visible references only."""

from __future__ import annotations

import contextlib

import pytest

from ironriver.errors import NotFound
from ironriver.policy import AccessLabel, Marking, Principal, View, retract
from ironriver.store import DatasetInfo, Store
from ironriver.store.ids import statement_id
from samples import MX, US, load, lookups_kept, table

FGR_LOADER = Principal("fgr-loader", "FGR", "MX", frozenset({"ingest"}))
ADMIN = Principal("root", "OIG", "US", frozenset({"admin"}))
FGR_ANALYST = Principal("fgr", "FGR", "MX")
FGR_DS = DatasetInfo("mx_fgr_r", "FGR", "MX", Marking.AMBER, frozenset({"US", "MX"}))
SHARED = FGR_DS.label
HIDDEN = AccessLabel("FGR", "MX", Marking.AMBER_STRICT, frozenset({"FGR"}))  # not for OIG
NAME = "Rosa Elena Quintero"


def test_a_named_id_it_cannot_see_refuses_the_whole_request(sqlite_store: Store) -> None:
    load(sqlite_store)
    own = statement_id(MX.name, "g1", "caliber", "9mm")
    hidden = statement_id(US.name, "g1", "make", "Glock")  # ATF's: FGR cannot see it
    with pytest.raises(NotFound, match="1 statement id is not a statement of 'g1'"):
        retract(sqlite_store, FGR_LOADER, "g1", reason="x", statement_ids=[own, hidden])
    statements = View(sqlite_store, FGR_LOADER, audit=False, role="ingest").statements("g1")
    assert own in {s.id for s in statements}  # nothing was retracted
    assert [e for e in sqlite_store.audit.events() if e.action == "retract"] == []


def _load_copies(store: Store, reference: AccessLabel, mention: AccessLabel) -> None:
    """FGR's person p9 (shared), a sale s9 referring to it under `reference`, and the name
    an ingest copied into the sale's namesMentioned under `mention`."""
    with store.writer() as w:
        w.ensure_dataset(FGR_DS)
        w.add_statements(
            table(FGR_DS.name, [("p9", "Individual", "name", NAME)]), FGR_DS.name, SHARED
        )
        w.add_statements(
            table(FGR_DS.name, [("s9", "Sale", "buyer", "p9")]), FGR_DS.name, reference
        )
        w.add_statements(
            table(FGR_DS.name, [("s9", "Sale", "namesMentioned", NAME)]), FGR_DS.name, mention
        )


def test_a_copy_under_a_label_it_cannot_see_is_neither_withdrawn_nor_named(
    sqlite_store: Store,
) -> None:
    _load_copies(sqlite_store, reference=SHARED, mention=HIDDEN)
    done = retract(sqlite_store, ADMIN, "p9", reason="court order", prop="name")
    assert [s.prop for s in done.statements] == ["name"] and done.mentions == ()
    (event,) = [e for e in sqlite_store.audit.events() if e.action == "retract"]
    assert event.detail["mentions"] == []
    # the copy ADMIN could not see is still FGR's statement (not withdrawn unseen)
    sale = View(sqlite_store, FGR_ANALYST, audit=False).entity("s9")
    assert sale is not None and sale.get("namesMentioned") == [NAME]


def test_copies_are_followed_through_visible_references_only(sqlite_store: Store) -> None:
    """The sale's reference is hidden from ADMIN: withdrawing the visible copy would tell
    that s9 refers to p9."""
    _load_copies(sqlite_store, reference=HIDDEN, mention=SHARED)
    done = retract(sqlite_store, ADMIN, "p9", reason="court order", prop="name")
    assert done.mentions == ()
    sale = View(sqlite_store, ADMIN, audit=False).entity("s9")
    assert sale is not None and sale.get("namesMentioned") == [NAME]


def test_a_copy_already_retracted_is_not_withdrawn_again(sqlite_store: Store) -> None:
    _load_copies(sqlite_store, reference=SHARED, mention=SHARED)
    copy = statement_id(FGR_DS.name, "s9", "namesMentioned", NAME)
    retract(sqlite_store, ADMIN, "s9", reason="first", statement_ids=[copy])
    done = retract(sqlite_store, ADMIN, "p9", reason="second", prop="name")
    assert done.mentions == ()


def test_a_retracted_reference_takes_no_copy_of_a_name_it_cannot_see(
    sqlite_store: Store,
) -> None:
    """Regression: ADMIN cannot see p9 at all (its one name is FGR's AMBER+STRICT), yet
    retracting s9's reference withdrew, and reported, the sale's copy of that name: the
    outcome told that p9 has the hidden name. Only names it sees count (as only references
    it sees do for a retracted name)."""
    with sqlite_store.writer() as w:
        w.ensure_dataset(FGR_DS)
        w.add_statements(
            table(FGR_DS.name, [("p9", "Individual", "name", NAME)]), FGR_DS.name, HIDDEN
        )
        copied = [("s9", "Sale", "buyer", "p9"), ("s9", "Sale", "namesMentioned", NAME)]
        w.add_statements(table(FGR_DS.name, copied), FGR_DS.name, SHARED)
    assert View(sqlite_store, ADMIN, audit=False).entity("p9") is None
    done = retract(sqlite_store, ADMIN, "s9", reason="not this buyer", prop="buyer")
    assert [s.prop for s in done.statements] == ["buyer"] and done.mentions == ()
    (event,) = [e for e in sqlite_store.audit.events() if e.action == "retract"]
    assert event.detail["mentions"] == []
    # the copy stays FGR's to withdraw (FGR sees the name it copies)
    sale = View(sqlite_store, FGR_ANALYST, audit=False).entity("s9")
    assert sale is not None and sale.get("namesMentioned") == [NAME]


@pytest.mark.parametrize("kept", [False, True], ids=["lookups-dropped", "lookups-kept"])
def test_copies_are_not_followed_through_a_retracted_reference(
    sqlite_store: Store, kept: bool
) -> None:
    """Review R15 (mutant V12): ownership records o8 and o9 refer to vehicle v9, owned by
    p9, and each holds a copy of p9's name. o9's reference retracted (which takes no copy:
    v9 has no name), retracting p9's name withdraws o8's copy, not o9's: o9 no longer
    refers to p9, also if its reference row outlived the retraction (`lookups_kept`)."""
    with sqlite_store.writer() as w:
        w.ensure_dataset(FGR_DS)
        rows = [("p9", "Individual", "name", NAME), ("v9", "Vehicle", "owner", "p9")]
        for o in ("o8", "o9"):
            rows += [(o, "Ownership", "asset", "v9"), (o, "Ownership", "namesMentioned", NAME)]
        w.add_statements(table(FGR_DS.name, rows), FGR_DS.name, SHARED)
    link = statement_id(FGR_DS.name, "o9", "asset", "v9")
    with lookups_kept(sqlite_store, "o9") if kept else contextlib.nullcontext():
        done = retract(sqlite_store, ADMIN, "o9", reason="not this vehicle", statement_ids=[link])
    assert done.mentions == ()
    done = retract(sqlite_store, ADMIN, "p9", reason="court order", prop="name")
    assert done.mentions == (("o8", statement_id(FGR_DS.name, "o8", "namesMentioned", NAME)),)
    record = View(sqlite_store, FGR_ANALYST, audit=False).entity("o9")
    assert record is not None and record.get("namesMentioned") == [NAME]
