"""Guard: the search box (`View.find`) and identifier search as a reader meets them: each
entity once, at most `limit`, identifiers only when asked; `matched` is one of the entity's
visible, searchable names, never another property's text or a hidden statement's value."""

from __future__ import annotations

import contextlib

import pytest

from ironriver.policy import Marking, Principal, View, retract
from ironriver.store import DatasetInfo, Store
from samples import lookups_kept, table

US = DatasetInfo("us_atf_s", "ATF", "US", Marking.AMBER, frozenset({"US"}))
FGR_DS = DatasetInfo("mx_fgr_s", "FGR", "MX", Marking.AMBER, frozenset({"FGR"}))
ATF = Principal("atf", "ATF", "US")
ATF_LOADER = Principal("atf-loader", "ATF", "US", frozenset({"ingest"}))


def _load(store: Store) -> None:
    with store.writer() as w:
        w.ensure_dataset(US)
        w.ensure_dataset(FGR_DS)
        w.add_statements(
            table(
                US.name,
                [
                    # a firearm named by its serial: found both ways, shown once
                    ("g1", "Firearm", "serialNumber", "KX100"),
                    ("g1", "Firearm", "name", "KX100"),
                    ("g2", "Firearm", "serialNumber", "KX-100"),
                    ("g3", "Firearm", "serialNumber", "kx 100"),
                    ("g4", "Firearm", "name", "KX100 Custom"),  # by its name only
                    # a person whose position (not a name) holds a query word
                    ("p1", "Individual", "name", "Ana María Ruiz"),
                    ("p1", "Individual", "position", "Ana"),
                    ("p2", "Individual", "name", "Ana Bel"),
                ],
            ),
            US.name,
            US.label,
        )
        # FGR's shorter name of p1 and identifier of p2: hidden from ATF
        w.add_statements(
            table(
                FGR_DS.name,
                [
                    ("p1", "Individual", "alias", "Ana R"),
                    ("p2", "Individual", "idNumber", "KX100"),
                ],
            ),
            FGR_DS.name,
            FGR_DS.label,
        )


def test_find_shows_each_entity_once_within_the_limit(sqlite_store: Store) -> None:
    _load(sqlite_store)
    view = View(sqlite_store, ATF, reason="guard")
    # identifiers first, then names; g1 (both) once
    assert [h.entity_id for h in view.find("KX100")] == ["g1", "g2", "g3", "g4"]
    assert [h.entity_id for h in view.find("KX100", limit=3)] == ["g1", "g2", "g3"]
    assert [h.entity_id for h in view.find("KX100", limit=2)] == ["g1", "g2"]
    assert [h.entity_id for h in view.find("ana", limit=1)] == ["p2"]
    assert [h.entity_id for h in view.find("ana")] == ["p2", "p1"]
    # identifiers only: no name hits, even where no identifier matches
    assert view.find("ana", identifiers_only=True) == []
    assert [h.entity_id for h in view.find("KX100", identifiers_only=True)] == ["g1", "g2", "g3"]


def test_identifier_search_keeps_its_limit(sqlite_store: Store) -> None:
    _load(sqlite_store)
    view = View(sqlite_store, ATF, reason="guard")
    assert [h.entity_id for h in view.by_identifier("kx100", limit=1)] == ["g1"]
    assert [h.entity_id for h in view.by_identifier("kx100", limit=2)] == ["g1", "g2"]
    # p2's identifier is FGR's: not a hit, nor its value shown
    assert [h.entity_id for h in view.by_identifier("kx100")] == ["g1", "g2", "g3"]


def test_matched_is_a_visible_searchable_name(sqlite_store: Store) -> None:
    _load(sqlite_store)
    view = View(sqlite_store, ATF, reason="guard")
    hits = {h.entity_id: h.matched for h in view.search("ana")}
    assert hits == {"p1": "Ana María Ruiz", "p2": "Ana Bel"}
    assert [(h.entity_id, h.matched) for h in view.search("ana r")] == [("p1", "Ana María Ruiz")]
    fgr = View(sqlite_store, Principal("fgr", "FGR", "MX"), reason="guard")
    assert [(h.entity_id, h.matched) for h in fgr.search("ana r")] == [("p1", "Ana R")]


def test_find_page_counts_past_the_hits_shown_up_to_its_cap(sqlite_store: Store) -> None:
    """`find_page` counts up to `count_to` past the limit: a count that stops there says
    more than the hits shown, whatever the limit (it said "1 of 1" for 1 shown of 4)."""
    _load(sqlite_store)
    view = View(sqlite_store, ATF, reason="guard")
    page = view.find_page("ana", limit=1, count_to=1)
    assert ([h.entity_id for h in page.hits], page.found, page.counted_all) == (["p2"], 2, True)
    page = view.find_page("KX100", limit=1, count_to=1)  # 4 hits: counted to 2
    assert ([h.entity_id for h in page.hits], page.found, page.counted_all) == (["g1"], 2, False)
    assert page.more == 1
    page = view.find_page("KX100", limit=2, count_to=5)
    assert (page.found, page.counted_all, page.more) == (4, True, 2)
    page = view.find_page("KX100", limit=5)
    assert (len(page.hits), page.found, page.counted_all, page.more) == (4, 4, True, 0)


@pytest.mark.parametrize("kept", [False, True], ids=["lookups-dropped", "lookups-kept"])
def test_a_retracted_identifier_or_name_finds_nothing(sqlite_store: Store, kept: bool) -> None:
    """Review R15 (mutants S01, N02): an entity still shown by its other statements is not
    found by an identifier or a name it no longer has. A retraction deletes the lookup rows
    of what it retracts; a search takes visible statements only all the same, also if a
    lookup row was left behind (`lookups_kept`)."""
    _load(sqlite_store)
    with lookups_kept(sqlite_store, "g1", "p1") if kept else contextlib.nullcontext():
        retract(sqlite_store, ATF_LOADER, "g1", reason="wrong serial", prop="serialNumber")
        retract(sqlite_store, ATF_LOADER, "p1", reason="wrong name", prop="name")
    view = View(sqlite_store, ATF, reason="guard")
    assert view.entity("g1") is not None and view.entity("p1") is not None  # still shown
    assert [h.entity_id for h in view.by_identifier("kx100")] == ["g2", "g3"]
    assert [h.entity_id for h in view.find("KX100", identifiers_only=True)] == ["g2", "g3"]
    assert [(h.entity_id, h.matched) for h in view.search("ana")] == [("p2", "Ana Bel")]
    assert view.search("ana maria ruiz") == []


def test_an_entity_found_by_two_keys_is_one_hit(sqlite_store: Store) -> None:
    """Review R15 (mutant S04): a text found both as an identifier and as an RFC's base
    (a person's taxNumber holds both) gives the entity once, as the better match."""
    with sqlite_store.writer() as w:
        w.ensure_dataset(US)
        rows = [
            ("t1", "Individual", "name", "Pedro Nuñez Paredes"),
            ("t1", "Individual", "taxNumber", "NUPA850312"),
            ("t1", "Individual", "taxNumber", "NUPA850312AB1"),
            ("t2", "Individual", "taxNumber", "NUPA850312XY9"),
        ]
        w.add_statements(table(US.name, rows), US.name, US.label)
    view = View(sqlite_store, ATF, reason="guard")
    hits = view.by_identifier("NUPA850312")
    assert [(h.entity_id, h.rfc_base) for h in hits] == [("t1", False), ("t2", True)]
    assert [(h.entity_id, h.matched) for h in hits] == [
        ("t1", "NUPA850312"),
        ("t2", "NUPA850312XY9"),
    ]
