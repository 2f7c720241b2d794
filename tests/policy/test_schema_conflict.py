"""Two agencies type one id differently (a Firearm to one, a Sale to the other: schemata
that cannot be one entity): every view operation gives it the same schema, whichever
statements the database returns first."""

from __future__ import annotations

from ironriver.policy import View
from ironriver.store import Store
from samples import ATF, MX, US, table


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
