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
