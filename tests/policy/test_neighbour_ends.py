"""A neighbour that links entities (a Membership of a cartel) is shown with its other ends:
its own caption is its schema's label, so an organization's twenty members were twenty rows
saying "Membership". Its ends come from visible statements only, as the neighbours do."""

from __future__ import annotations

from ironriver.policy import Principal, View
from ironriver.policy.markings import Marking
from ironriver.store import DatasetInfo, Store
from samples import table

US = DatasetInfo("us_hsi_m", "HSI", "US", Marking.AMBER, frozenset({"US"}))
FGR_DS = DatasetInfo("mx_fgr_m", "FGR", "MX", Marking.AMBER, frozenset({"FGR"}))
HSI = Principal("hsi", "HSI", "US")
FGR = Principal("fgr", "FGR", "MX")


def _load(store: Store) -> None:
    with store.writer() as w:
        w.ensure_dataset(US)
        w.ensure_dataset(FGR_DS)
        w.add_statements(
            table(
                US.name,
                [
                    ("o1", "Organization", "name", "Cartel Uno"),
                    ("p1", "Person", "name", "Ana Ruiz"),
                    ("m1", "Membership", "member", "p1"),
                    ("m1", "Membership", "organization", "o1"),
                    ("m2", "Membership", "member", "p2"),
                    ("m2", "Membership", "organization", "o1"),
                    ("d1", "Directorship", "director", "p1"),
                    ("d1", "Directorship", "organization", "o1"),
                    ("d1", "Directorship", "role", "jefe de plaza"),
                ],
            ),
            US.name,
            US.label,
        )
        # p2's name is FGR's alone: HSI knows an m2 member, not who
        w.add_statements(
            table(FGR_DS.name, [("p2", "Person", "name", "Beto Soto")]), FGR_DS.name, FGR_DS.label
        )


def test_a_links_other_ends_are_its_visible_ones(sqlite_store: Store) -> None:
    _load(sqlite_store)
    hsi = View(sqlite_store, HSI, audit=False)
    assert [(n.entity_id, n.schema, n.caption, n.ends) for n in hsi.neighbours("o1")] == [
        ("d1", "Directorship", "jefe de plaza", ("Ana Ruiz",)),
        ("m1", "Membership", "Membership", ("Ana Ruiz",)),
        ("m2", "Membership", "Membership", ()),
    ]
    by_id = {n.entity_id: n for n in hsi.neighbours("o1")}
    assert by_id["m1"].ends == ("Ana Ruiz",)
    assert by_id["m2"].ends == ()  # p2 holds no statement HSI may see
    assert by_id["d1"].ends == ("Ana Ruiz",)
    # seen from the person, a link's other end is the organization; an entity that is no
    # link has none
    assert {n.entity_id: n.ends for n in hsi.neighbours("p1")} == {
        "m1": ("Cartel Uno",),
        "d1": ("Cartel Uno",),
    }
    assert {n.entity_id: n.ends for n in hsi.neighbours("m1")} == {"o1": (), "p1": ()}
    # FGR sees p2's name but none of the links
    assert View(sqlite_store, FGR, audit=False).neighbours("p2") == []
