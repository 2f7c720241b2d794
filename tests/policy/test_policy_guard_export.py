"""Guard: a statement export carries each statement's access label (marking, releasability,
owner) after FtM's columns, so that its recipient knows how each fact may be shared; and
it holds only what the exporter sees."""

from __future__ import annotations

import csv
import io

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
