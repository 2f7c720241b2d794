"""`statement_sources` (migration 0014): the other files that state a standing statement,
written by `Writer` when a write states again a statement stored with another file's
record, and only then (a first load, or the same file again, writes none). Through
`Writer.add_statements`, per-row `source_ref`s or one `source`, on SQLite and PostgreSQL
(`store`), and staged as an ingest writes (here and in tests/ingest/test_replace.py)."""

from __future__ import annotations

import pyarrow as pa
import pytest
from sqlalchemy import select

from ironriver.policy.markings import AccessLabel, Marking
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


@pytest.mark.parametrize("by", ["source", "source_ref"])
def test_a_statement_stored_with_no_source_stated_again_by_a_file_is_recorded(
    store: Store, by: str
) -> None:
    """A statement stored with no source file (no `source_ref`, no `source`), stated again
    by a file: that file is another one than the stored (none), so it is recorded, whether
    the write names the file once (`source`, with a `source_row` column) or per row
    (`source_ref`); a row of the same write with no source records nothing."""
    data = table(US.name, ROWS).drop_columns(["source_ref"])
    with store.writer() as w:
        w.ensure_dataset(US)
        w.add_statements(data, US.name, US.label)
    again = data.slice(0, 1)
    if by == "source":
        feb = again.append_column("source_row", pa.array([4], pa.int64()))
        with store.writer() as w:
            w.add_statements(feb, US.name, US.label, source="feb.csv")
    else:
        feb = _refs(
            data.append_column("source_ref", pa.nulls(3, pa.string())), ["feb.csv:4", None, None]
        )
        with store.writer() as w:
            w.add_statements(feb, US.name, US.label)
    assert _recorded(store) == [("p1", "feb.csv", 4)]


def _staged(store: Store, rows: pa.Table, source: str, label: AccessLabel = US.label) -> int:
    """Write `rows` (a `source_row` each) from file `source` as an ingest does: staged (the
    side file's copy on a SQLite file, the Arrow stage on PostgreSQL), under `label`."""
    with store.stage() as stage:
        stage.add(US.name, label, source, lambda: iter([rows]), presorted=False)
        with store.writer(stage=stage) as w:
            w.ensure_dataset(US)
            return w.add_staged(stage)


def test_a_retracted_statement_staged_again_from_another_file_records_no_source(
    store: Store,
) -> None:
    rows = table(US.name, ROWS).drop_columns(["source_ref"])
    rows = rows.append_column("source_row", pa.array([2, 3, 4], pa.int64()))
    assert _staged(store, rows, "jan.csv") == len(ROWS)
    with store.writer() as w:
        assert w.retract([("p1", rows.column("id")[0].as_py())]) == 1
    assert _staged(store, rows, "feb.csv") == 0
    # p1's birth date and p2's name stand and February states them again; p1's name is gone
    assert _recorded(store) == [("p1", "feb.csv", 3), ("p2", "feb.csv", 4)]


def test_a_forgotten_file_hands_its_statement_to_the_earliest_other_file(store: Store) -> None:
    """`forget_source` moves a statement to the other file stating it with the lowest source
    id (the earliest registered), whose record then leaves `statement_sources`."""
    data = table(US.name, ROWS[:1])
    with store.writer() as w:
        w.ensure_dataset(US)
        w.add_statements(_refs(data, ["jan.csv:2"]), US.name, US.label)
        w.add_statements(_refs(data, ["feb.csv:5"]), US.name, US.label)
        w.add_statements(_refs(data, ["mar.csv:9"]), US.name, US.label)
    assert _recorded(store) == [("p1", "feb.csv", 5), ("p1", "mar.csv", 9)]
    src, s = tables.sources.c, tables.statements.c
    with store.engine.connect() as conn:
        ids = {str(n): int(i) for n, i in conn.execute(select(src.name, src.id))}
    assert ids["jan.csv"] < ids["feb.csv"] < ids["mar.csv"]
    key = ("p1", data.column("id")[0].as_py())
    with store.writer() as w:
        assert w.forget_source(ids["jan.csv"], moved=[key], dropped=[], dataset=US.name) == []
    query = select(src.name, s.source_row).join(tables.sources, src.id == s.source_id)
    with store.engine.connect() as conn:
        assert conn.execute(query).all() == [("feb.csv", 5)]
    assert _recorded(store) == [("p1", "mar.csv", 9)]


def test_the_same_file_staged_again_under_another_label_records_no_source(
    store: Store,
) -> None:
    """The same file staged again under another label than its statements are stored
    under: the copy finds them (another label's: their lookup rows keep it), but they are
    stored with this very file's record, so no other file states them and nothing is
    recorded (a record of the file they are stored with would have `--replace` of it both
    retract them and count them as kept by another file)."""
    rows = table(US.name, ROWS).drop_columns(["source_ref"])
    rows = rows.append_column("source_row", pa.array([2, 3, 4], pa.int64()))
    assert _staged(store, rows, "jan.csv") == len(ROWS)
    red = AccessLabel(US.agency, US.country, Marking.RED)
    assert _staged(store, rows, "jan.csv", red) == 0
    assert _recorded(store) == []
    assert _staged(store, rows, "feb.csv", red) == 0  # another file, any label: recorded
    assert _recorded(store) == [("p1", "feb.csv", 2), ("p1", "feb.csv", 3), ("p2", "feb.csv", 4)]
