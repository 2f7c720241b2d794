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


def test_a_search_is_not_refused_for_a_sensitive_hit_its_schema_filter_drops(
    sqlite_store: Store,
) -> None:
    """An unjustified search refuses AMBER+STRICT hits it would show; a hit the `schema`
    filter drops is not shown, so it must not refuse the search (a search for Firearms
    without a reason was refused for an AMBER+STRICT Person named like the gun)."""
    from ironriver.policy import Marking
    from ironriver.store import DatasetInfo
    from samples import MX, table

    strict = DatasetInfo("mx_fgr_reservado", "FGR", "MX", Marking.AMBER_STRICT, frozenset())
    with sqlite_store.writer() as w:
        w.ensure_dataset(strict)
        w.ensure_dataset(MX)
        person = [("p9", "Individual", "name", "Glock Ramírez")]
        w.add_statements(table(strict.name, person), strict.name, strict.label)
        gun = [("g9", "Firearm", "name", "Glock 19")]
        w.add_statements(table(MX.name, gun), MX.name, MX.label)
    plain = View(sqlite_store, FGR)  # FGR sees its own AMBER+STRICT data; no reason given
    with pytest.raises(AccessDenied, match="must say why"):
        plain.search("glock")  # the Person would be shown
    assert [h.entity_id for h in plain.search("glock", schema="Firearm")] == ["g9"]
    assert plain.search("ramirez", schema="Firearm") == []


def test_a_sensitive_name_a_search_looked_at_but_does_not_show_refuses_nothing(
    sqlite_store: Store,
) -> None:
    """A search of three words looks at names lacking each word in turn and shows the best:
    an AMBER+STRICT name it looked at and the limit left out must not refuse it."""
    from ironriver.policy import Marking
    from ironriver.store import DatasetInfo
    from samples import MX, table

    strict = DatasetInfo("mx_fgr_reservado", "FGR", "MX", Marking.AMBER_STRICT, frozenset())
    with sqlite_store.writer() as w:
        w.ensure_dataset(strict)
        w.ensure_dataset(MX)
        secret = [("p9", "Individual", "name", "Beatriz Cruz " + "Z" * 20)]
        w.add_statements(table(strict.name, secret), strict.name, strict.label)
        plain = [("p1", "Individual", "name", "Ana Beatriz")]
        w.add_statements(table(MX.name, plain), MX.name, MX.label)
    view = View(sqlite_store, FGR)  # sees both; no reason given
    assert [h.entity_id for h in view.search("ana beatriz cruz", limit=1)] == ["p1"]
    with pytest.raises(AccessDenied, match="must say why"):
        view.search("ana beatriz cruz", limit=2)  # now the secret name is shown
