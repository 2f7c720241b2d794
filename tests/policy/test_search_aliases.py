"""A name search's text written as records write a name and its alias ("Víctor Ruiz alias El
Gordito", "(a)", "a.k.a.", "aka", quoted) is read as the name and the alias, each searched,
an entity found by either a hit (`ironriver.policy.alias_query`); "Alias" as a name's word
still finds that name first. On real stores (SQLite, PostgreSQL) and through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ironriver.policy import View
from ironriver.policy.alias_query import AliasQuery, alias_parts
from ironriver.store import Store
from ironriver.store.ids import name_key
from search_samples import ATF_X, FGR_X, NAME, add_facts, agency_view, cli_search, ingest_personas

FACTS = [
    ("p1", "name", "Víctor Ruiz Soto"),
    ("p1", "alias", "El Gordito"),
    ("p2", "name", "Víctor Ruiz"),
    ("p3", "name", "Mario Gómez"),
    ("p3", "alias", "El Gordito"),
    ("p4", "name", "Pedro Alias Ruiz"),  # (Alias: a surname)
    ("p5", "name", "Pedro Ruiz"),
    ("p6", "name", "Ana López"),
]

FORMS = [
    "Víctor Ruiz alias El Gordito",
    "victor ruiz ALIAS el gordito",
    "Víctor Ruiz (a) El Gordito",
    "Víctor Ruiz a.k.a. El Gordito",
    "Víctor Ruiz aka El Gordito",
    "Víctor Ruiz a/k/a El Gordito",
    'Víctor Ruiz alias "El Gordito"',
    "Víctor Ruiz 'El Gordito'",
    'Víctor Ruiz "El Gordito"',
    "Víctor Ruiz “El Gordito”",
]


@pytest.mark.parametrize("text", FORMS)
def test_each_form_reads_a_name_and_an_alias(text: str) -> None:
    parsed = alias_parts(text)
    assert parsed is not None and [name_key(p) for p in parsed.parts] == [
        "victor ruiz",
        "el gordito",
    ]


@pytest.mark.parametrize(
    "text",
    ["Juan Alias", "alias juan", "aka", "Conan O'Brien", "D'Angelo", "jose perez", '"Ana López"'],
)
def test_a_text_without_both_a_name_and_an_alias_is_a_plain_search(text: str) -> None:
    assert alias_parts(text) is None


def test_a_marker_that_is_a_word_searches_the_whole_text_too() -> None:
    assert alias_parts("Pedro Alias Ruiz") == AliasQuery(("Pedro", "Ruiz"), whole=True)
    assert alias_parts("Pedro (a) Ruiz") == AliasQuery(("Pedro", "Ruiz"), whole=False)
    assert alias_parts("a alias b alias c") == AliasQuery(("a", "b", "c"), whole=True)
    assert alias_parts("D'Angelo O'Brien 'Jack'") == AliasQuery(
        ("D'Angelo O'Brien", "Jack"), whole=False
    )


def _view(store: Store) -> View:
    add_facts(store, ATF_X, [(e, "Person", prop, value) for e, prop, value in FACTS])
    return agency_view(store, ATF_X)


def test_a_name_with_its_alias_finds_either_both_first(store: Store) -> None:
    view = _view(store)
    for text in FORMS:
        hits = view.search(text)
        # p1 holds both; then the name's other hit, then the alias's
        assert [(h.entity_id, h.matched) for h in hits] == [
            ("p1", "Víctor Ruiz Soto"),
            ("p2", "Víctor Ruiz"),
            ("p3", "El Gordito"),
        ], text
    assert [h.entity_id for h in view.search("victor ruiz alias gordito", limit=2)] == ["p1", "p2"]
    assert [h.entity_id for h in view.search("ana lopez alias gordito", "Person")] == [
        "p6",
        "p1",
        "p3",
    ]


def test_alias_as_a_name_s_word_still_finds_that_name_first(store: Store) -> None:
    view = _view(store)
    # then Pedro Ruiz (by both parts), then the other hits of "ruiz"
    assert [h.entity_id for h in view.search("pedro alias ruiz")] == ["p4", "p5", "p2", "p1"]
    assert [h.entity_id for h in view.search("alias ruiz")] == ["p4"]
    assert [h.entity_id for h in view.search("pedro alias")] == ["p4"]


# "juan garcia" finds a, then x and y; "pepe" finds p1, p2, p3 (then x: its id sorts after
# theirs); x's alias "Pepe" is the reader's (ATF's), y's is FGR's, which ATF does not see
DEEP = [
    ("a", ATF_X, "name", "Juan García"),
    ("x", ATF_X, "name", "Juan García Reyes"),
    ("x", ATF_X, "alias", "Pepe"),
    ("y", ATF_X, "name", "Juan García López"),
    ("y", FGR_X, "alias", "Pepe"),
    ("p1", ATF_X, "name", "Pepe"),
    ("p2", ATF_X, "name", "Pepe"),
    ("p3", ATF_X, "name", "Pepe"),
]


def test_a_name_with_its_alias_shows_the_same_first_hits_whatever_its_limit(store: Store) -> None:
    """An entity both parts find came first only once the limit let each part's search
    reach it: "juan garcia alias pepe" showed a at a limit of 1, and x (the name's second
    hit, the alias's fourth) first at 4. It is first at every limit now (whether a hit of
    one part holds the other's words is read from its names), and y, whose alias "Pepe"
    the reader may not see, ranks by its name only."""
    for dataset in (ATF_X, FGR_X):
        rows = [(e, "Person", prop, value) for e, d, prop, value in DEEP if d == dataset]
        add_facts(store, dataset, rows)
    view = agency_view(store, ATF_X)
    every = [h.entity_id for h in view.search("juan garcia alias pepe", limit=10)]
    assert every == ["x", "a", "y", "p1", "p2", "p3"]
    for limit in range(1, len(every) + 1):
        hits = view.search("juan garcia alias pepe", limit=limit)
        assert [h.entity_id for h in hits] == every[:limit], limit
    assert view.search("juan garcia alias pepe", limit=1)[0].matched == "Juan García Reyes"


def test_the_cli_searches_a_name_and_its_alias(tmp_path: Path) -> None:
    rows = "1,Víctor Ruiz Soto,El Gordito\n2,Mario Gómez,El Gordito\n3,Ana López,\n"
    alias = {**NAME, "alias": "{column: alias}"}
    db = ingest_personas(tmp_path, rows, header="pid,nombre,alias", properties=alias)
    hits = json.loads(cli_search(db, "Víctor Ruiz (a) El Gordito", "--json"))
    assert [h["matched"] for h in hits] == ["Víctor Ruiz Soto", "El Gordito"]
