"""A retracted statement ingested again stays retracted, and its lookup rows
(`statement_keys`, `statement_refs`) do not come back: on every write path (`add_statements`
on SQLite and PostgreSQL; the staged copy from a side file on a SQLite file, the Arrow stage
on in-memory SQLite and PostgreSQL), under the same label and under another one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from sqlalchemy import text

from ironriver.policy import View
from ironriver.store import Store, open_store
from ironriver.store.ids import statement_id
from samples import ATF, MX, US, US_ROWS, table

# (p1's name: statement_keys rows; s1's buyer p1: a statement_refs row)
RETRACTED = [("p1", "name", "José Luis Pérez López"), ("s1", "buyer", "p1")]
REFS = [(e, statement_id(US.name, e, p, v)) for e, p, v in RETRACTED]


def rows_table(dataset: str, rows: list[tuple[str, str, str, str]]) -> pa.Table:
    """Statements as the ingest produces them: one source file, a row number each."""
    t = table(dataset, rows).drop_columns(["source_ref"])
    return t.append_column("source_row", pa.array(range(2, len(rows) + 2), pa.int64()))


@pytest.fixture(params=["sqlite-file", "sqlite-memory", "postgresql"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite-file":
        url = f"sqlite:///{tmp_path / 's.db'}"
    elif request.param == "sqlite-memory":
        url = "sqlite://"
    else:
        url = str(request.getfixturevalue("pg_url"))
    s = open_store(url, ledger_dir=tmp_path / "ledgers")
    yield s
    s.close()


def _write(store: Store, staged: bool, relabel: bool) -> int:
    """US_ROWS from file us.csv, under US's label (MX's when `relabel`)."""
    label = MX.label if relabel else US.label
    rows = rows_table(US.name, US_ROWS)
    if not staged:
        with store.writer() as w:
            w.ensure_dataset(US)
            w.ensure_dataset(MX)
            return w.add_statements(rows, US.name, label, source="us.csv")
    with store.stage() as stage:
        stage.add(US.name, label, "us.csv", lambda: rows.to_batches(3), presorted=False)
        with store.writer(stage=stage) as w:
            w.ensure_dataset(US)
            w.ensure_dataset(MX)
            return w.add_staged(stage)


def _lookup_refs(store: Store) -> set[tuple[str, str]]:
    with store.engine.connect() as conn:
        return {
            (str(e), str(i))
            for name in ("statement_keys", "statement_refs")
            for e, i in conn.execute(text(f"SELECT entity_id, id FROM {name}"))
        }


@pytest.mark.parametrize("relabel", [False, True], ids=["same-label", "other-label"])
@pytest.mark.parametrize("staged", [False, True], ids=["direct", "staged"])
def test_a_retracted_statement_ingested_again_gets_no_lookup_rows(
    any_store: Store, staged: bool, relabel: bool
) -> None:
    store = any_store
    assert _write(store, staged, relabel=False) == len(US_ROWS)
    before = _lookup_refs(store)
    assert set(REFS) <= before  # each retracted statement had lookup rows
    with store.writer() as w:
        assert w.retract(REFS) == len(REFS)
    assert _lookup_refs(store) == before - set(REFS)
    assert _write(store, staged, relabel) == 0  # every statement was stored already
    assert _lookup_refs(store) == before - set(REFS)
    with store.engine.connect() as conn:
        flags = conn.execute(text("SELECT entity_id, id, retracted FROM statements")).all()
    assert {(e, i) for e, i, r in flags if r} == set(REFS)
    view = View(store, ATF)
    assert [h.entity_id for h in view.search("jose perez")] == []
    assert "s1" not in {n.entity_id for n in view.neighbours("p1")}
