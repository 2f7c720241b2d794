"""Guard: bulk reads are audited as what they are (an export of statements is an `export`,
a table a `read-table`), with what they returned; refused reads leave no event."""

from __future__ import annotations

import pytest

from ironriver.errors import AccessDenied
from ironriver.policy import View
from ironriver.store import Store
from ironriver.store.audit_chain import READS
from samples import ATF, FGR, MX_ROWS, load


def _reads(store: Store) -> list[tuple[str, str, str]]:
    return [(e.action, e.target, e.reason) for e in store.audit.events() if e.chain == READS]


def test_a_statement_export_is_audited_as_an_export(sqlite_store: Store) -> None:
    load(sqlite_store)
    view = View(sqlite_store, FGR, reason="case 3")
    exported = view.export_table()
    assert exported.num_rows == len(MX_ROWS)
    view.export_table("Firearm")
    view.table(types=["name"])
    assert _reads(sqlite_store) == [
        ("export", "*", "case 3"),
        ("export", "Firearm", "case 3"),
        ("read-table", "name", "case 3"),
    ]
    details = [e.detail for e in sqlite_store.audit.events() if e.chain == READS]
    assert details[0] == {"schemata": [], "types": [], "rows": len(MX_ROWS)}
    assert details[1]["rows"] == 2  # FGR's g1: serialNumber and caliber


def test_unjustified_bulk_reads_are_refused_unlogged(sqlite_store: Store) -> None:
    load(sqlite_store)
    plain = View(sqlite_store, ATF)  # audited, no reason
    for refused in (plain.table, plain.export_table, lambda: list(plain.export())):
        with pytest.raises(AccessDenied, match="must say why"):
            refused()
    assert _reads(sqlite_store) == []
