"""`statement_sources` (migration 0014): the other files that state a standing statement,
written by `Writer` when a write states again a statement stored with another file's
record, and only then (a first load, or the same file again, writes none). Through
`Writer.add_statements`, per-row `source_ref`s or one `source`, on SQLite and PostgreSQL
(`store`); the staged path of an ingest is covered by tests/ingest/test_replace.py."""

from __future__ import annotations

import pyarrow as pa
from sqlalchemy import select

from ironriver.store import Store, tables
from samples import US, table

ROWS = [
    ("p1", "Individual", "name", "Ana Pérez"),
    ("p1", "Individual", "birthDate", "1980-01-02"),
    ("p2", "Individual", "name", "Luis Ruiz"),
]


def _refs(rows: pa.Table, refs: list[str | None]) -> pa.Table:
    return rows.drop_columns(["source_ref"]).append_column(
        "source_ref", pa.array(refs, pa.string())
    )


def _recorded(store: Store) -> list[tuple[str, str, int | None]]:
    """(entity id, file, row) of each other source recorded."""
    ss, src = tables.statement_sources.c, tables.sources.c
    query = select(ss.entity_id, src.name, ss.source_row).join(
        tables.sources, src.id == ss.source_id
    )
    with store.engine.connect() as conn:
        return sorted((str(e), str(f), r) for e, f, r in conn.execute(query))


def test_another_file_stating_a_statement_again_is_recorded(store: Store) -> None:
    data = table(US.name, ROWS)
    with store.writer() as w:
        w.ensure_dataset(US)
        w.add_statements(_refs(data, ["jan.csv:2", "jan.csv:2", "jan.csv:3"]), US.name, US.label)
        # the same file again (another row even): nothing recorded
        w.add_statements(_refs(data, ["jan.csv:2", "jan.csv:2", "jan.csv:4"]), US.name, US.label)
    assert _recorded(store) == []
    with store.writer() as w:  # February states p1's name and p2's again; a new birth date
        feb = table(US.name, [ROWS[0], ("p1", "Individual", "birthDate", "1980-02-01"), ROWS[2]])
        w.add_statements(_refs(feb, ["feb.csv:7", "feb.csv:7", None]), US.name, US.label)
        march = feb.slice(0, 1).drop_columns(["source_ref"])
        march = march.append_column("source_row", pa.array([9], pa.int64()))
        w.add_statements(march, US.name, US.label, source="mar.csv")
    # p1's name by February's row 7 and March's row 9 (one `source`); p2's by no file
    assert _recorded(store) == [("p1", "feb.csv", 7), ("p1", "mar.csv", 9)]


def test_a_retracted_statement_stated_again_records_no_source(store: Store) -> None:
    data = table(US.name, ROWS[:1])
    with store.writer() as w:
        w.ensure_dataset(US)
        w.add_statements(_refs(data, ["jan.csv:2"]), US.name, US.label)
    with store.writer() as w:
        assert w.retract([("p1", data.column("id")[0].as_py())]) == 1
        w.add_statements(_refs(data, ["feb.csv:2"]), US.name, US.label)
    assert _recorded(store) == []
