"""A name holding every word typed as a whole word ranks before one holding a word typed only
as the start of a longer word, whatever their lengths: "María Mora" lists "María Mora Ruiz"
before the shorter "María Morales" (an analyst typing a complete surname means that surname);
a prefix no name holds whole ("mor") ranks as before, shortest first. Through a nickname, a
name counts as whole only when the nickname is a whole word of it too, and it ranks after
the names holding the words whole as typed, before those holding a word only as a prefix.
The brute-force model of tests/policy/test_search_ranking.py checks the rule on many names;
these are the cases of the seed-1 evaluation world (H85)."""

from __future__ import annotations

import pyarrow as pa

from ironriver.policy import AccessLabel, Marking, Principal, View
from ironriver.store import DatasetInfo, Store
from ironriver.store.ids import statement_id

ATF = AccessLabel("ATF", "US", Marking.AMBER, frozenset({"US", "MX"}))
FGR = AccessLabel("FGR", "MX", Marking.AMBER, frozenset({"MX"}))  # hidden from ATF
VIEWER = Principal("ana", "ATF", "US")

NAMES = [
    ("p1", "María Morales", ATF),
    ("p2", "María Mora Ruiz", ATF),
    ("p3", "María del Rosario", ATF),
    ("p4", "Rosa Pérez García", ATF),
    ("p5", "MARÍA MARTÍNEZ", ATF),
    ("p6", "MARÍA MARTIN LÓPEZ", ATF),
    ("p7", "Mary Martinez", ATF),
    # a hidden whole name of p8 must not lift it above p9
    ("p8", "Ana Morales", ATF),
    ("p8", "Ana Mora Vega Soto", FGR),
    ("p9", "Ana Mora Vega", ATF),
    ("p10", "José Pérez-López", ATF),
    ("p11", "José Pérez-Lopezgarza", ATF),
]


def _view(store: Store) -> View:
    with store.writer() as w:
        for label in (ATF, FGR):
            agency = label.owner_agency
            w.ensure_dataset(DatasetInfo(f"ds_{agency.lower()}", agency, label.owner_country))
        for entity, name, label in NAMES:
            dataset = f"ds_{label.owner_agency.lower()}"
            rows = {
                "id": [statement_id(dataset, entity, "name", name)],
                "entity_id": [entity],
                "schema": ["Person"],
                "prop": ["name"],
                "value": [name],
            }
            w.add_statements(pa.table(rows), dataset, label)
    return View(store, VIEWER, audit=False)


def _ids(view: View, query: str, **kw: object) -> list[str]:
    return [h.entity_id for h in view.search(query, **kw)]  # type: ignore[arg-type]


def test_a_name_holding_the_words_whole_ranks_first(store: Store) -> None:
    view = _view(store)
    # "María Mora Ruiz" (15 letters) before "María Morales" (13): mora is its word
    assert _ids(view, "María Mora") == ["p2", "p1"]
    assert _ids(view, "maria mora", limit=1) == ["p2"]
    assert view.search("MARIA MORA")[0].matched == "María Mora Ruiz"
    # a given name typed alone: the name holding it whole first, then its longer words
    assert _ids(view, "rosa") == ["p4", "p3"]
    # a prefix no name holds whole reads as before: shortest first
    assert _ids(view, "maria mor") == ["p1", "p2"]
    assert _ids(view, "ros") == ["p3", "p4"]
    # a compound's words or its joined form are whole words; a joined form's start is not
    assert _ids(view, "jose perez") == ["p10", "p11"]
    assert _ids(view, "jose perezlopez") == ["p10", "p11"]
    assert _ids(view, "jose perezlopezg") == ["p11"]
    # with a schema too
    assert _ids(view, "maria mora", schema="Person") == ["p2", "p1"]


def test_through_a_nickname_only_a_whole_nickname_counts(store: Store) -> None:
    """ "mary" reads as María (its nickname, a whole word): "Mary Martin" lists the María
    MARTIN, whose words are all whole, before the Martínez, as typed ("Mary Martinez") or
    through the nickname ("MARÍA MARTÍNEZ"); among these, as typed first."""
    view = _view(store)
    hits = view.search("Mary Martin")
    assert [h.entity_id for h in hits] == ["p6", "p7", "p5"]
    assert [bool(h.read_as) for h in hits] == [True, False, True]
    assert hits[0].read_as == (("mary", "maria"),)


def test_a_hidden_whole_name_does_not_lift_an_entity(store: Store) -> None:
    """p8's name holding "mora" whole is FGR's, hidden from ATF: ATF ranks p8 by "Ana
    Morales", after p9; FGR's analyst, who sees both, finds p8 whole too (by length)."""
    view = _view(store)
    assert _ids(view, "ana mora") == ["p9", "p8"]
    assert view.search("ana mora")[1].matched == "Ana Morales"
    fgr = View(store, Principal("luis", "FGR", "MX"), audit=False)
    hits = fgr.search("ana mora")
    assert [(h.entity_id, h.matched) for h in hits] == [
        ("p9", "Ana Mora Vega"),
        ("p8", "Ana Mora Vega Soto"),
    ]


def test_whole_words_are_matched_as_equal_words() -> None:
    from ironriver.policy.name_match import _has_words, _in_order

    assert _has_words("María Mora Ruiz", ["maria", "mora"], whole=True)
    assert not _has_words("María Morales", ["maria", "mora"], whole=True)
    assert _has_words("María Morales", ["maria", "mora"])
    assert _has_words("Ma. Mora", ["maria", "mora"], whole=True)  # an abbreviation is whole
    assert _has_words("Pepe Mora", ["jose", "mora"], frozenset({"jose"}), whole=True)
    assert not _has_words("Pepito Mora", ["pepe", "mora"], whole=True)
    assert _has_words("Ana Pérez-López", ["perezlopez"], whole=True)
    assert not _has_words("Ana Pérez-López", ["perezlo"], whole=True)
    assert _in_order("Mora Ana Morales", (("ana", "mora"),))
    assert not _in_order("Mora Ana Morales", (("ana", "mora"),), whole=True)
