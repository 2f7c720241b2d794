"""Guard: a statement export carries each statement's access label (marking, releasability,
owner) after FtM's columns, so that its recipient knows how each fact may be shared; and
it holds only what the exporter sees."""

from __future__ import annotations

import csv
import io

import pytest

from ironriver.policy import AccessLabel, Marking, View
from ironriver.policy.table import write_statements
from ironriver.store import Store
from samples import ATF, FGR, MX, US, load, table

STRICT = AccessLabel("ATF", "US", Marking.AMBER_STRICT, frozenset({"ATF", "CBP"}))


def test_the_statement_csv_carries_each_access_label(sqlite_store: Store) -> None:
    load(sqlite_store)
    with sqlite_store.writer() as w:
        w.add_statements(table(US.name, [("x1", "Firearm", "make", "Colt")]), US.name, STRICT)
    sink = io.BytesIO()
    write_statements(
        View(sqlite_store, ATF, reason="guard").export_table("Firearm"), sink, "statements"
    )
    rows = list(csv.DictReader(io.StringIO(sink.getvalue().decode("utf-8"))))
    labels = {(r["entity_id"], r["prop"], r["dataset"]): r for r in rows}
    x1 = labels[("x1", "make", US.name)]
    assert (x1["marking"], x1["releasable_to"], x1["owner_agency"]) == (
        "AMBER+STRICT",
        "ATF,CBP",
        "ATF",
    )
    g1 = labels[("g1", "make", US.name)]
    assert (g1["marking"], g1["releasable_to"], g1["owner_agency"]) == ("AMBER", "US", "ATF")
    assert g1["source_ref"] == "file.csv:5"
    fgr = labels[("g1", "caliber", "mx_fgr_aseguramientos")]  # FGR's, released to the US
    assert (fgr["marking"], fgr["releasable_to"], fgr["owner_agency"]) == ("AMBER", "MX,US", "FGR")
    # FGR sees none of ATF's statements: its export holds none, nor their labels
    sink = io.BytesIO()
    write_statements(View(sqlite_store, FGR, reason="guard").export_table(), sink, "statements")
    rows = list(csv.DictReader(io.StringIO(sink.getvalue().decode("utf-8"))))
    assert rows and {(r["dataset"], r["owner_agency"]) for r in rows} == {(MX.name, "FGR")}


def test_an_export_of_some_datasets_holds_theirs_only_and_hides_the_hidden(store: Store) -> None:
    """`datasets` limits both exports to the visible statements of those datasets; a
    dataset hidden from the principal is refused as one that does not exist (the message
    does not tell it exists), before anything is read or audited; the entity export counts
    the entities whose statements' markings it cannot carry."""
    from ironriver.errors import NotFound

    load(store)
    with store.writer() as w:
        w.add_statements(table(US.name, [("x1", "Firearm", "make", "Colt")]), US.name, STRICT)
    view = View(store, ATF, reason="own")
    ents = {e.id: e for e in view.export(datasets=[US.name])}
    # g1 is also FGR's (its caliber): not in an export of ATF's own
    assert sorted(ents) == ["g1", "p1", "s1", "x1"] and ents["g1"].get("caliber") == []
    assert view.export_marked_entities == 4
    assert view.export_markings == [
        ("AMBER+STRICT", ("ATF", "CBP"), 1),
        ("AMBER", ("US",), 3),  # x1 is AMBER+STRICT only
    ]
    rows = view.export_table("Firearm", datasets=[MX.name]).to_pylist()
    assert {(r["entity_id"], r["prop"]) for r in rows} == {
        ("g1", "serialNumber"),
        ("g1", "caliber"),
    }
    exports = [e.detail for e in store.audit.events() if e.action == "export"]
    assert [d.get("datasets") for d in exports] == [[US.name], [MX.name]]
    refusals = []
    fgr = View(store, FGR, reason="probe")
    for name in (US.name, "us_atf_nothing"):
        with pytest.raises(NotFound) as err:
            list(fgr.export(datasets=[MX.name, name]))
        refusals.append(str(err.value).replace(name, "NAME"))
        with pytest.raises(NotFound):
            fgr.export_table(datasets=[name])
    assert refusals[0] == refusals[1]
    assert len([e for e in store.audit.events() if e.action == "export"]) == 2
