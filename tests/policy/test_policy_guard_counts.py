"""Guard: what `View.datasets` lists and what `View.counts` counts come from what the principal
sees: statements under labels it may see and not retracted, and ledger rows it may see. A
dataset it may not know of (its own label hidden, nothing of it visible) is not listed; one
whose own label is hidden but from which it sees a statement is. Ledger rows are read only
from the datasets whose own label it may see (`LedgerReads.shown`, review R24 F1): a row a
library wrote under a wider label than its dataset's (no command does) shows nothing of a
dataset hidden. Review R15: no fast test killed its mutants V07, V10, V11 (the slow
property tests timed out); these do."""

from __future__ import annotations

import pyarrow as pa

from ironriver.policy import AccessLabel, Marking, Principal, View, retract
from ironriver.store import DatasetInfo, Store
from samples import RecordedLedgers, table

US_DS = DatasetInfo("us_atf_c", "ATF", "US", Marking.AMBER, frozenset({"US"}))
# three FGR datasets whose own label is MX-only (hidden from ATF): one holds nothing ATF may
# see, one statements shared with the US, one a ledger row under a label shared with the US
# (which ATF is not shown: its dataset's own label is hidden)
HIDDEN_DS = DatasetInfo("mx_fgr_c", "FGR", "MX", Marking.AMBER, frozenset({"MX"}))
SHARED_DS = DatasetInfo("mx_fgr_c2", "FGR", "MX", Marking.AMBER, frozenset({"MX"}))
LEDGER_DS = DatasetInfo("mx_fgr_c3", "FGR", "MX", Marking.AMBER, frozenset({"MX"}))
SHARED = AccessLabel("FGR", "MX", Marking.AMBER, frozenset({"MX", "US"}))
ATF = Principal("atf", "ATF", "US")
ATF_LOADER = Principal("atf-loader", "ATF", "US", frozenset({"ingest"}))
FGR = Principal("fgr", "FGR", "MX")


def _load(store: Store) -> None:
    with store.writer() as w:
        for info in (US_DS, HIDDEN_DS, SHARED_DS, LEDGER_DS):
            w.ensure_dataset(info)
        us = [
            ("p1", "Individual", "name", "Ana Ruiz"),
            ("p1", "Individual", "birthDate", "1990-02-03"),
            ("g1", "Firearm", "serialNumber", "KX100"),
            ("g1", "Firearm", "make", "Glock"),  # retracted below
            ("s1", "Sale", "buyer", "p1"),
            ("s1", "Sale", "firearm", "g1"),
        ]
        w.add_statements(table(US_DS.name, us), US_DS.name, US_DS.label)
        # FGR's own: an alias of ATF's p1 and a person p2, both hidden from ATF
        hidden = [("p1", "Individual", "alias", "La Güera"), ("p2", "Individual", "name", "Eva")]
        w.add_statements(table(HIDDEN_DS.name, hidden), HIDDEN_DS.name, HIDDEN_DS.label)
        shared = [
            ("p3", "Individual", "name", "Luz Mora"),
            ("p3", "Individual", "gender", "female"),
        ]
        w.add_statements(table(SHARED_DS.name, shared), SHARED_DS.name, SHARED)
    retract(store, ATF_LOADER, "g1", reason="wrong make", prop="make")
    sales = pa.table({"serial": ["KX100"], "_source_ref": ["ventas.csv:2"]})
    RecordedLedgers(store).write(LEDGER_DS.name, "ventas", SHARED, sales)


def test_datasets_lists_those_the_principal_may_know_of(store: Store) -> None:
    _load(store)
    seen = {
        d.info.name: (d.visible_statements, d.visible_ledger_rows)
        for d in View(store, ATF).datasets()
    }
    assert seen == {"us_atf_c": (5, 0), "mx_fgr_c2": (2, 0)}
    fgr = {d.info.name for d in View(store, FGR).datasets()}
    assert fgr == {"mx_fgr_c", "mx_fgr_c2", "mx_fgr_c3"}  # its own, even the empty one


def test_counts_are_of_visible_statements_and_entities(store: Store) -> None:
    _load(store)
    counts = View(store, ATF).counts()
    assert counts.entities_by_schema == {"Firearm": 1, "Individual": 2, "Sale": 1}
    assert counts.statements_by_dataset == {"mx_fgr_c2": 2, "us_atf_c": 5}
    assert counts.entities_by_dataset == {"mx_fgr_c2": 1, "us_atf_c": 3}
    fgr = View(store, FGR).counts()
    assert fgr.entities_by_schema == {"Individual": 3}  # p1 by its alias, p2, p3
    assert fgr.statements_by_dataset == {"mx_fgr_c": 2, "mx_fgr_c2": 2}
    assert fgr.entities_by_dataset == {"mx_fgr_c": 2, "mx_fgr_c2": 1}
