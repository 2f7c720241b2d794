"""Guard: neighbours come from visible statements only, and a refused neighbours read (a
sensitive neighbour, no reason given) tells no id the reader has not been shown."""

from __future__ import annotations

import contextlib

import pytest

from ironriver.errors import AccessDenied
from ironriver.policy import AccessLabel, Marking, Principal, View, retract
from ironriver.store import DatasetInfo, Store
from samples import lookups_kept, table

US = DatasetInfo("us_atf_n", "ATF", "US", Marking.AMBER, frozenset({"US"}))
FGR_DS = DatasetInfo("mx_fgr_n", "FGR", "MX", Marking.AMBER_STRICT, frozenset({"FGR"}))
STRICT = AccessLabel("ATF", "US", Marking.AMBER_STRICT, frozenset({"ATF"}))
ATF = Principal("atf", "ATF", "US")
CBP = Principal("cbp", "CBP", "US")


def _load(store: Store) -> None:
    with store.writer() as w:
        w.ensure_dataset(US)
        w.ensure_dataset(FGR_DS)
        w.add_statements(
            table(
                US.name,
                [
                    ("p1", "Individual", "name", "Ana Ruiz"),
                    ("s1", "Sale", "buyer", "p1"),
                ],
            ),
            US.name,
            US.label,
        )
        # FGR's sale of p1 and its link from p1 (hidden from ATF and CBP)
        w.add_statements(
            table(
                FGR_DS.name,
                [
                    ("s2", "Sale", "buyer", "p1"),
                    ("s2", "Sale", "date", "2024-01-01"),
                    ("p1", "Individual", "associates", "s9"),
                ],
            ),
            FGR_DS.name,
            FGR_DS.label,
        )
        # ATF's own AMBER+STRICT sale of p1 (visible to ATF only, sensitive)
        w.add_statements(table(US.name, [("s3", "Sale", "buyer", "p1")]), US.name, STRICT)


def test_hidden_links_are_not_neighbours_either_way(sqlite_store: Store) -> None:
    _load(sqlite_store)
    cbp = View(sqlite_store, CBP, reason="guard")
    assert [(n.prop, n.direction, n.entity_id) for n in cbp.neighbours("p1")] == [
        ("buyer", "in", "s1")
    ]
    assert cbp.neighbour_count("p1") == 1
    assert cbp.neighbours("s2") == []  # its buyer link is FGR's, hidden
    atf = View(sqlite_store, ATF, reason="guard")
    assert [(n.prop, n.direction, n.entity_id, n.schema) for n in atf.neighbours("p1")] == [
        ("buyer", "in", "s1", "Sale"),
        ("buyer", "in", "s3", "Sale"),
    ]
    # a page is the first `limit` links; the count is of them all
    assert [n.entity_id for n in atf.neighbours("p1", limit=1)] == ["s1"]
    assert atf.neighbours("p1", limit=0) == []
    page, total = atf.neighbour_page("p1", limit=1)
    assert [n.entity_id for n in page] == ["s1"] and total == 2


def test_a_refused_neighbours_read_names_no_unseen_id(sqlite_store: Store) -> None:
    _load(sqlite_store)
    plain = View(sqlite_store, ATF)  # audited, no reason
    with pytest.raises(AccessDenied, match="A neighbour of 'p1' holds AMBER\\+STRICT") as refused:
        plain.neighbours("p1")
    assert "s3" not in str(refused.value)  # (it names the entity the reader named alone)
    assert "--neighbours 0" in str(refused.value.hint)
    reads = [e for e in sqlite_store.audit.events() if e.action == "neighbours"]
    assert reads == []  # refused before anything was shown or logged
    refusals = [(e.target, e.detail) for e in sqlite_store.audit.events() if e.action == "refused"]
    assert refusals == [("p1", {"attempt": "neighbours", "markings": "AMBER+STRICT"})]
    # with a reason, the read is shown and audited
    why = View(sqlite_store, ATF, reason="case 1")
    assert {n.entity_id for n in why.neighbours("p1")} == {"s1", "s3"}
    events = [e for e in sqlite_store.audit.events() if e.action == "neighbours"]
    assert [(e.target, e.reason, e.detail) for e in events] == [
        # the neighbours shown are named (review R32 F4); s1 and s3 show no other end
        ("p1", "case 1", {"n": 2, "shown": 2, "ids": ["s1", "s3"], "end_ids": []})
    ]


@pytest.mark.parametrize("kept", [False, True], ids=["lookups-dropped", "lookups-kept"])
def test_a_retracted_link_is_no_neighbour_either_way(sqlite_store: Store, kept: bool) -> None:
    """Review R15 (mutant V05): s1's buyer link retracted, p1 has no inbound neighbour s1
    and s1 no outbound p1, also if the link's reference row outlived the retraction
    (`lookups_kept`): the links are read from visible statements only."""
    _load(sqlite_store)
    loader = Principal("atf-loader", "ATF", "US", frozenset({"ingest"}))
    with lookups_kept(sqlite_store, "s1") if kept else contextlib.nullcontext():
        retract(sqlite_store, loader, "s1", reason="not this buyer", prop="buyer")
    cbp = View(sqlite_store, CBP, reason="guard")
    assert cbp.neighbours("p1") == [] and cbp.neighbour_count("p1") == 0
    assert cbp.neighbours("s1") == []
    atf = View(sqlite_store, ATF, reason="guard")
    assert [(n.prop, n.direction, n.entity_id) for n in atf.neighbours("p1")] == [
        ("buyer", "in", "s3")
    ]
