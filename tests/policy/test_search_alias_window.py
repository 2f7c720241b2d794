"""A name with its alias ("juan garcia alias pepe"): an entity found by one part, past the
other part's first hits, still counts as found by both when one of its names holds the
other part's words as that part's search reads them (`NameSearchMixin._with_aliases`,
`_part_ways`): through a nickname, with particles read joined, lacking one word of three;
and only its names count, not another property's text. Each world puts more than the
hundred hits `_BOTH_FROM` looks at before that entity in one part. Found by hand mutants."""

from __future__ import annotations

import pytest

from ironriver.store import Store
from search_samples import ATF_X, add_facts, agency_view

CROWD = 105  # more than `_BOTH_FROM` hits before the entity both parts find


def _first(store: Store, crowd: str, rows: list[tuple[str, str, str]], text: str) -> str:
    """The first hit of `text` at a limit of 1 over `CROWD` persons named `crowd`, then
    `rows` (entity, property, value)."""
    people = [(f"c{i:03}", "Person", "name", crowd) for i in range(CROWD)]
    add_facts(store, ATF_X, people + [(e, "Person", p, v) for e, p, v in rows])
    hits = agency_view(store, ATF_X).search(text, limit=1)
    return str(hits[0].entity_id)


def test_an_alias_hit_past_the_limit_holding_the_name_is_first(store: Store) -> None:
    """x is the alias's fourth hit, past a limit of 1 (the name's hits are the crowd's)."""
    rows = [("p1", "name", "Pepe"), ("p2", "name", "Pepe"), ("p3", "name", "Pepe")]
    rows += [("x", "name", "Juan García Reyes"), ("x", "alias", "Pepe")]
    assert _first(store, "Juan García", rows, "juan garcia alias pepe") == "x"


@pytest.mark.parametrize(
    ("crowd", "name", "text"),
    [
        ("Pepe García", "José García Reyes", "pepe garcia alias gordito"),  # (a nickname)
        ("Juan Delangel", "Juan Del Ángel Ramírez", "juan delangel alias gordito"),  # (joined)
        ("Juan Carlos García", "Juan García Reyes", "juan carlos garcia alias gordito"),  # (2 of 3)
    ],
)
def test_an_alias_hit_holding_the_name_as_its_search_reads_it_is_first(
    store: Store, crowd: str, name: str, text: str
) -> None:
    """x, past the name's first hundred hits (the crowd's names hold its words as typed),
    is the alias's hit, and its name holds the name's words as the name's search reads
    them: found by both, first."""
    rows = [("x", "name", name), ("x", "alias", "El Gordito")]
    assert _first(store, crowd, rows, text) == "x"


def test_a_property_that_is_no_name_does_not_make_a_hit_found_by_both(store: Store) -> None:
    """x's notes say "Gordito", none of its names does: it is the name's hit only, after
    the shorter name."""
    rows = [("a", "name", "Juan García"), ("x", "name", "Juan García Reyes")]
    rows += [("x", "notes", "Gordito"), ("g", "alias", "El Gordito"), ("g", "name", "Luis Paz")]
    add_facts(store, ATF_X, [(e, "Person", p, v) for e, p, v in rows])
    hits = agency_view(store, ATF_X).search("juan garcia alias gordito")
    assert [h.entity_id for h in hits] == ["a", "x", "g"]
