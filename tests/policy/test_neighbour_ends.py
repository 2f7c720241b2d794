"""A neighbour that links entities (a Membership of a cartel) is shown with its other ends:
its own caption is its schema's label, so an organization's twenty members were twenty rows
saying "Membership". Its ends come from visible statements only, as the neighbours do."""

from __future__ import annotations

from ironriver.policy import LinkEnd, Principal, View
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
        ("d1", "Directorship", "jefe de plaza", (LinkEnd("director", "p1", "Ana Ruiz"),)),
        ("m1", "Membership", "Membership", (LinkEnd("member", "p1", "Ana Ruiz"),)),
        ("m2", "Membership", "Membership", ()),
    ]
    by_id = {n.entity_id: n for n in hsi.neighbours("o1")}
    assert by_id["m2"].ends == ()  # p2 holds no statement HSI may see
    # seen from the person, a link's other end is the organization; an entity that is no
    # link has none
    assert {n.entity_id: n.ends for n in hsi.neighbours("p1")} == {
        "m1": (LinkEnd("organization", "o1", "Cartel Uno"),),
        "d1": (LinkEnd("organization", "o1", "Cartel Uno"),),
    }
    assert {n.entity_id: n.ends for n in hsi.neighbours("m1")} == {"o1": (), "p1": ()}
    # FGR sees p2's name but none of the links
    assert View(sqlite_store, FGR, audit=False).neighbours("p2") == []


def test_a_links_ends_come_by_role_whatever_their_ids(sqlite_store: Store) -> None:
    """A Sale seen from its dealer: its buyer, then its firearm (its schema's edge source,
    then target), whichever id sorts first (review R32 F7: in id order, the buyer and the
    gun swapped places from one sale to the next)."""
    with sqlite_store.writer() as w:
        w.ensure_dataset(US)
        w.add_statements(
            table(
                US.name,
                [
                    ("d1", "Company", "name", "Big Box Guns"),
                    ("a-buyer", "Person", "name", "Ann Buyer"),
                    ("z-buyer", "Person", "name", "Zoe Buyer"),
                    ("m-gun", "Firearm", "serialNumber", "SN-1"),
                    ("s1", "Sale", "dealer", "d1"),
                    ("s1", "Sale", "buyer", "a-buyer"),
                    ("s1", "Sale", "firearm", "m-gun"),
                    ("s2", "Sale", "dealer", "d1"),
                    ("s2", "Sale", "buyer", "z-buyer"),
                    ("s2", "Sale", "firearm", "m-gun"),
                ],
            ),
            US.name,
            US.label,
        )
    sales = View(sqlite_store, HSI, audit=False).neighbours("d1")
    assert [[(e.prop, e.entity_id, e.caption) for e in n.ends] for n in sales] == [
        [("buyer", "a-buyer", "Ann Buyer"), ("firearm", "m-gun", "SN-1")],
        [("buyer", "z-buyer", "Zoe Buyer"), ("firearm", "m-gun", "SN-1")],
    ]
