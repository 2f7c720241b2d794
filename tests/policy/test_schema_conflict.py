"""Two agencies type one id differently (a Firearm to one, a Sale to the other: schemata
that cannot be one entity): every view operation gives it the same schema, whichever
statements the database returns first."""

from __future__ import annotations

from ironriver.policy import Marking, View
from ironriver.policy.markings import AccessLabel
from ironriver.store import DatasetInfo, Store
from samples import ATF, FGR, MX, US, table

CLEAR_US = AccessLabel("ATF", "US", Marking.CLEAR, frozenset())


def test_a_conflicting_schema_is_the_same_in_every_operation(store: Store) -> None:
    firearm = [("make", "Glock")]
    sale = [("date", "2024-03-01")]
    with store.writer() as w:
        w.ensure_dataset(US)
        w.ensure_dataset(MX)
        # g8: the Firearm statements are written first; g9: the Sale statements
        w.add_statements(
            table(US.name, [("g8", "Firearm", *p) for p in firearm]), US.name, US.label
        )
        w.add_statements(table(MX.name, [("g8", "Sale", *p) for p in sale]), MX.name, MX.label)
        w.add_statements(table(MX.name, [("g9", "Sale", *p) for p in sale]), MX.name, MX.label)
        w.add_statements(
            table(US.name, [("g9", "Firearm", *p) for p in firearm]), US.name, US.label
        )
        w.add_statements(
            table(US.name, [("p1", "Individual", "name", "Ana"), ("s1", "Sale", "buyer", "p1")]),
            US.name,
            US.label,
        )
        links = [("s1", "Sale", "firearm", "g8"), ("s1", "Sale", "firearm", "g9")]
        w.add_statements(table(US.name, links), US.name, US.label)
    view = View(store, ATF, audit=False)
    for gun in ("g8", "g9"):
        entity = view.entity(gun)
        assert entity is not None and entity.schema.name == "Firearm"  # deeper than Sale
        assert entity.get("make") == ["Glock"]
        assert view.entities([gun])[gun].schema.name == "Firearm"
    assert {n.entity_id: n.schema for n in view.neighbours("s1")} == {
        "g8": "Firearm",
        "g9": "Firearm",
        "p1": "Individual",
    }
    assert view.counts().entities_by_schema == {"Firearm": 2, "Individual": 1, "Sale": 1}


def test_statements_a_conflicting_schema_lacks_are_reported_not_lost(store: Store) -> None:
    """Person and Company have no common schema: the entity is assembled as Company, whose
    FtM entity cannot hold a birth date; the view names what it left out (the export's
    summary reports it), and the statements stay in the statement export."""
    with store.writer() as w:
        w.ensure_dataset(US)
        person = [("p1", "Person", "name", "Pat"), ("p1", "Person", "birthDate", "1990")]
        company = [("p1", "Company", "name", "Pat Inc"), ("p1", "Company", "taxNumber", "R1")]
        w.add_statements(table(US.name, person + company), US.name, US.label)
        w.add_statements(table(US.name, [("p2", "Person", "name", "Ana")]), US.name, US.label)
    view = View(store, ATF, reason="r")
    exported = {e.id: e for e in view.export()}
    assert (
        exported["p1"].schema.name == "Company"
        and "birthDate" not in exported["p1"].to_dict()["properties"]
    )
    [conflict] = view.schema_conflicts.values()
    assert (conflict.entity_id, conflict.schema, conflict.schemata) == (
        "p1",
        "Company",
        ("Company", "Person"),
    )
    assert [(s.prop, s.value) for s in conflict.dropped] == [("birthDate", "1990")]
    assert View(store, ATF, reason="r").export_table().num_rows == 5  # every statement
    again = View(store, ATF, audit=False)
    assert again.entity("p1") is not None and set(again.schema_conflicts) == {"p1"}
    assert again.entity("p2") is not None and set(again.schema_conflicts) == {"p1"}


def test_a_phone_keeps_its_schema_against_a_line_typing_its_id_otherwise(store: Store) -> None:
    """A Phone's id is computed from its number (`key_clean`: the same in every dataset), so
    an agency that knows the number can type that id as a Person (review R25 F2). The
    Phone's owner still sees a Phone, the other line's statements reported as a conflict,
    not merged where a Phone cannot hold them; the other agency, who cannot see the Phone, sees its own Person; counts
    agree with the entity."""
    fgr_only = DatasetInfo(
        "mx_fgr_lineas", "FGR", "MX", Marking.AMBER, frozenset({"MX"}), "CNPP 251"
    )
    with store.writer() as w:
        w.ensure_dataset(fgr_only)
        w.ensure_dataset(US)
        phone = [("ph1", "Phone", "number", "+525566778899"), ("ph1", "Phone", "user", "p9")]
        w.add_statements(table(fgr_only.name, phone), fgr_only.name, fgr_only.label)
        w.add_statements(
            table(
                US.name,
                [("ph1", "Person", "name", "Decoy"), ("ph1", "Person", "birthDate", "1990")],
            ),
            US.name,
            CLEAR_US,
        )
    owner = View(store, FGR, audit=False)
    entity = owner.entity("ph1")
    assert entity is not None and entity.schema.name == "Phone"
    assert entity.get("number") == ["+525566778899"] and entity.get("user") == ["p9"]
    conflict = owner.schema_conflicts["ph1"]
    assert (conflict.schema, conflict.schemata) == ("Phone", ("Person", "Phone"))
    # (a Phone has a name: a shared id's statement, as any agency may make one, R11 F5)
    assert [s.prop for s in conflict.dropped] == ["birthDate"]
    assert owner.counts().entities_by_schema.get("Phone") == 1
    assert "Person" not in owner.counts().entities_by_schema
    other = View(store, ATF, audit=False)
    theirs = other.entity("ph1")
    assert theirs is not None and theirs.schema.name == "Person"
    assert not other.schema_conflicts
