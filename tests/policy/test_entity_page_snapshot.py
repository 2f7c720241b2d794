"""`View.entity_page` (what `ironriver entity` shows) reads one snapshot of the store: the
entity, its statement records and its neighbours agree even when an ingest commits while
the page is being read. The records are made of the very rows the entity is assembled from
(they were read twice, by two connections, and a write between the reads made them
disagree). Real stores, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pytest
from sqlalchemy import select

from ironriver.errors import AccessDenied
from ironriver.policy import AccessLabel, Marking, Principal, View
from ironriver.store import DatasetInfo, Store, open_store
from ironriver.store.tables import datasets, labels, sources, statements
from samples import table

US = DatasetInfo("us_atf_page", "ATF", "US", Marking.AMBER, frozenset({"US"}), "GCA 923(g)")
HSI = DatasetInfo("us_hsi_page", "HSI", "US", Marking.AMBER, frozenset({"US"}), "19 USC 1595a")
STRICT = AccessLabel("HSI", "US", Marking.AMBER_STRICT, frozenset({"ATF", "HSI"}))
ATF = Principal("atf", "ATF", "US")


def _add(store: Store, rows: list[tuple[str, str, str, str]]) -> None:
    with store.writer() as w:
        w.ensure_dataset(US)
        w.add_statements(table(US.name, rows), US.name, US.label)


def test_a_write_while_the_page_is_read_is_in_none_of_it(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    _add(store, [("p1", "Person", "name", "Ana Ruiz"), ("s1", "Sale", "buyer", "p1")])
    real = View._assemble
    writes: list[int] = []

    def assemble_then_write(self: View, rows: Iterable[Sequence[Any]], *a: Any, **kw: Any) -> Any:
        entity = real(self, rows, *a, **kw)
        if not writes:  # once the entity's own statements are read: another command commits
            writes.append(1)
            _add(store, [("p1", "Person", "alias", "La Güera"), ("s2", "Sale", "buyer", "p1")])
        return entity

    monkeypatch.setattr(View, "_assemble", assemble_then_write)
    page = View(store, ATF, reason="case 7").entity_page("p1")
    assert writes == [1]
    assert page.entity is not None
    # the records are the statements the entity was assembled from, and nothing else
    # (FtM adds a statement of the entity's id to those it was made of)
    held = sorted(s.id for s in page.entity.statements if s.prop != "id")
    assert sorted(str(r.id) for r in page.statements) == held
    assert [(r.prop, r.value) for r in page.statements] == [("name", "Ana Ruiz")]
    # the neighbours are those of the same moment: the sale committed meanwhile is not one
    assert [(n.prop, n.direction, n.entity_id) for n in page.neighbours] == [("buyer", "in", "s1")]
    assert page.neighbours_total == 1

    monkeypatch.setattr(View, "_assemble", real)
    after = View(store, ATF, reason="case 7").entity_page("p1")
    assert [(r.prop, r.value) for r in after.statements] == [
        ("alias", "La Güera"),
        ("name", "Ana Ruiz"),
    ]
    assert [n.entity_id for n in after.neighbours] == ["s1", "s2"]
    assert after.neighbours_total == 2


def test_the_records_carry_the_labels_datasets_and_sources_the_store_holds(store: Store) -> None:
    """What `statements` tells of each statement (marking, releasability, owner, dataset,
    legal basis, source), now taken from the view's own tables of labels, datasets and
    sources: the same as a join of the store's tables gives."""
    _add(store, [("p1", "Person", "name", "Ana Ruiz"), ("p1", "Person", "birthDate", "1990")])
    with store.writer() as w:
        w.ensure_dataset(HSI)
        w.add_statements(table(HSI.name, [("p1", "Person", "alias", "Anita")]), HSI.name, STRICT)
    view = View(store, ATF, reason="case 7")
    page = view.entity_page("p1")
    assert page.statements == view.statements("p1")
    query = (
        select(
            statements.c.id,
            datasets.c.name,
            datasets.c.legal_basis,
            labels.c.marking,
            labels.c.releasable_to,
            labels.c.owner_agency,
            sources.c.name,
            statements.c.source_row,
        )
        .join(datasets, datasets.c.id == statements.c.dataset_id)
        .join(labels, labels.c.id == statements.c.label_id)
        .join(sources, sources.c.id == statements.c.source_id)
        .where(statements.c.entity_id == "p1")
    )
    with store.engine.connect() as conn:
        held = {
            r[0]: (r[1], r[2] or None, r[3], r[4], r[5], f"{r[6]}:{r[7]}")
            for r in conn.execute(query)
        }
    shown = {
        r.id: (r.dataset, r.legal_basis, r.marking, r.releasable_to, r.owner_agency, r.source_ref)
        for r in page.statements
    }
    assert shown == held
    assert sorted({v[2] for v in shown.values()}) == ["AMBER", "AMBER+STRICT"]
    assert {v[1] for v in shown.values()} == {"GCA 923(g)", "19 USC 1595a"}


@pytest.mark.parametrize("held", ["own", "neighbour"])
def test_a_refused_page_is_audited_on_an_in_memory_store(held: str) -> None:
    """A refusal is an audit write, made once the page's snapshot is done with: inside its
    read transaction it failed on an in-memory store, whose one connection holds both."""
    store = open_store("sqlite://")
    red = AccessLabel("ATF", "US", Marking.RED, frozenset({"ATF"}))
    with store.writer() as w:
        w.ensure_dataset(US)
        own = red if held == "own" else US.label
        w.add_statements(table(US.name, [("p1", "Person", "name", "Ana Ruiz")]), US.name, own)
        w.add_statements(table(US.name, [("s1", "Sale", "buyer", "p1")]), US.name, red)
    with pytest.raises(AccessDenied):
        View(store, ATF).entity_page("p1")
    refused = [(e.action, e.target) for e in store.audit.events() if e.action == "refused"]
    assert refused == [("refused", "p1")]
    page = View(store, ATF, reason="case 7").entity_page("p1")
    assert page.entity is not None and [n.entity_id for n in page.neighbours] == ["s1"]
    # a property first stored after the view was made is read on the page's connection
    view = View(store, ATF, reason="case 7")
    with store.writer() as w:  # (under a label the view knows: one made later is not its)
        w.add_statements(table(US.name, [("p1", "Person", "nationality", "mx")]), US.name, own)
    assert "nationality" in {r.prop for r in view.entity_page("p1").statements}
    assert store.audit.verify().ok
    store.close()
