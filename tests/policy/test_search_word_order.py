"""Word order does not change which names a search finds, but among names of one length (and
one tier) those holding the words in the order typed come first: "martinez gonzalez" lists
"José MARTÍNEZ GONZÁLEZ" before "José GONZÁLEZ MARTÍNEZ" (the paternal surname first
identifies the person), whatever their entity ids; from visible names only. The brute-force
model of tests/policy/test_search_ranking.py checks the rule on many names; these are the
cases an analyst meets, in Spanish and English names, with and without accents."""

from __future__ import annotations

import pyarrow as pa

from ironriver.policy import AccessLabel, Marking, Principal, View
from ironriver.store import DatasetInfo, Store
from ironriver.store.ids import statement_id

ATF = AccessLabel("ATF", "US", Marking.AMBER, frozenset({"US", "MX"}))
FGR = AccessLabel("FGR", "MX", Marking.AMBER, frozenset({"MX"}))  # hidden from ATF
VIEWER = Principal("ana", "ATF", "US")

# entity ids sorted so that, ranked by id alone, the name out of the query's order comes first
NAMES = [
    ("p1", "José GONZÁLEZ MARTÍNEZ", ATF),
    ("p2", "José MARTÍNEZ GONZÁLEZ", ATF),
    ("p3", "Alice SMITH JONES", ATF),
    ("p4", "Alice JONES SMITH", ATF),
    ("p5", "Pepito GONZALEZ MARTINEZ", ATF),
    ("p6", "Pepito MARTINEZ GONZALEZ", ATF),
    # a hidden name of p7, in the query's order: it must not lift p7 above p8
    ("p7", "Ana NÚÑEZ PEÑA", ATF),
    ("p7", "Ana PEÑA NÚÑEZ", FGR),
    ("p8", "Ana PEÑA NÚÑEZ", ATF),
]


def _view(store: Store) -> View:
    with store.writer() as w:
        for label in (ATF, FGR):
            w.ensure_dataset(
                DatasetInfo(
                    f"ds_{label.owner_agency.lower()}", label.owner_agency, label.owner_country
                )
            )
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


def _hits(view: View, query: str) -> list[tuple[str, str]]:
    return [(h.entity_id, h.matched) for h in view.search(query)]


def test_names_in_the_query_order_rank_first(store: Store) -> None:
    view = _view(store)
    # Spanish surnames, typed with or without accents and capitals: both found, in order first
    assert _hits(view, "martinez gonzalez")[:2] == [
        ("p2", "José MARTÍNEZ GONZÁLEZ"),
        ("p1", "José GONZÁLEZ MARTÍNEZ"),
    ]
    assert _hits(view, "MARTÍNEZ GONZÁLEZ")[:2] == _hits(view, "martinez gonzalez")[:2]
    assert [e for e, _ in _hits(view, "gonzalez martinez")[:2]] == ["p1", "p2"]
    assert [e for e, _ in _hits(view, "Jose Martinez Gonzalez")][:2] == ["p2", "p1"]
    # English names
    assert [e for e, _ in _hits(view, "jones smith")] == ["p4", "p3"]
    assert [e for e, _ in _hits(view, "alice smith jones")] == ["p3", "p4"]
    # prefixes count in the order typed too
    assert [e for e, _ in _hits(view, "mart gon")[:2]] == ["p2", "p1"]


def test_the_order_ranks_within_each_tier(store: Store) -> None:
    """Names read through a nickname ("jose" for Pepito) and names lacking a word rank by the
    order typed too, each within its tier."""
    view = _view(store)
    hits = view.search("jose martinez gonzalez")
    assert [h.entity_id for h in hits] == ["p2", "p1", "p6", "p5"]
    assert [bool(h.read_as) for h in hits] == [False, False, True, True]
    # "lopez" is in no name: all lack it, in the order of the other words first
    lacking = view.search("jose martinez gonzalez lopez")
    assert [(h.entity_id, h.missing) for h in lacking][:2] == [("p2", "lopez"), ("p1", "lopez")]
    assert [h.entity_id for h in lacking] == ["p2", "p1", "p6", "p5"]


def test_a_hidden_name_does_not_change_the_order(store: Store) -> None:
    """p7's name in the query's order is FGR's, hidden from ATF: ATF's search ranks p7 by
    its visible name, after p8; FGR's analyst, who sees both, finds p7 by it, first."""
    view = _view(store)
    assert _hits(view, "pena nunez") == [("p8", "Ana PEÑA NÚÑEZ"), ("p7", "Ana NÚÑEZ PEÑA")]
    fgr = View(store, Principal("luis", "FGR", "MX"), audit=False)
    assert [(h.entity_id, h.matched) for h in fgr.search("pena nunez")] == [
        ("p7", "Ana PEÑA NÚÑEZ"),
        ("p8", "Ana PEÑA NÚÑEZ"),
    ]


def test_in_order_reads_compounds_either_way_and_the_words_as_typed() -> None:
    from ironriver.policy.name_match import _in_order, typed_words

    assert typed_words("MARTÍNEZ González-López") == ("martinez", "gonzalez", "lopez")
    assert typed_words("jo\u200bsé pérez") == ("jose", "perez")
    order = (typed_words("gonzalez martinez"),)
    assert _in_order("José González-Martínez", order)
    assert not _in_order("José Martínez-González", order)
    assert _in_order("José González Martínez", (("gonzalezm",),))  # (one word: any)
    assert _in_order("Ana Pérez-López García", (("perezlo", "garcia"),))  # the joined form
    assert not _in_order("Ana García Pérez-López", (("perezlo", "garcia"),))
    # through nicknames only for the words read so
    assert _in_order("Pepe García", (("jose", "garcia"),), frozenset({"jose"}))
    assert not _in_order("Pepe García", (("jose", "garcia"),))
