"""Check the stored statements themselves against what wrote them (`ironriver audit
verify-data`). The audit chains prove who did what; they do not cover the data. An agency's
only copy needs that too: a value edited or statements deleted in the database by hand
(sqlite3, psql) leave both chains intact.

Two checks, both reading every statement of every dataset (no principal: like `audit
verify`, this is the store's integrity, and it prints no values):
- **ids**: a statement's id is the SHA-1 of its dataset, entity, property and value (FtM's
  statement key), so a statement whose id differs from the hash of what it holds was edited
  after it was written;
- **count**: statements are never deleted (a retraction is a tombstone), so the store holds
  exactly as many as its ingest events say they added (`statements_new`, the count to the
  store, in each `ingest` event of the hash-chained writes chain): fewer means deleted,
  more means written around ironriver.

One dataset at a time is read into Arrow (`dialect.read_table`: ADBC's SQLite when no other
connection to the file is open in the process, `store.sqlite_files`, else the store's own
connections) and hashed by DuckDB, so memory holds one dataset's statements. Measured on
the benchmark's 1.27M-statement store on a loaded 2-core host: 17 s through the store's
connections, 3.8 s through ADBC.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa
from sqlalchemy import func, select

from ironriver.i18n import Msg, msg, nmsg
from ironriver.store.audit import EventFilter
from ironriver.store.dialect import read_table
from ironriver.store.store import Store
from ironriver.store.tables import datasets, props, statements

_SHOWN_IDS = 5
_ROWS = pa.schema(
    [
        ("id", pa.string()),
        ("entity_id", pa.string()),
        ("prop", pa.string()),
        ("value", pa.string()),
    ]
)


@dataclass(frozen=True)
class DataCheck:
    ok: bool
    statements: int  # stored, retracted ones included
    recorded: int | None  # what the ingest events say they added (None: some say nothing)
    problems: tuple[Msg, ...]


def verify_data(store: Store) -> DataCheck:
    """Both checks (module doc) over every dataset of `store`."""
    problems: list[Msg] = []
    total = 0
    with store.engine.connect() as conn:
        named = conn.execute(select(datasets.c.id, datasets.c.name).order_by(datasets.c.name))
        stored = [(int(r.id), str(r.name)) for r in named]
    con = duckdb.connect()
    try:
        for dataset_id, name in stored:
            query = (
                select(statements.c.id, statements.c.entity_id, props.c.prop, statements.c.value)
                .select_from(statements.join(props, props.c.id == statements.c.prop_id))
                .where(statements.c.dataset_id == dataset_id)
            )
            rows = read_table(store.engine, query, _ROWS)
            total += rows.num_rows
            con.register("rows", rows)
            edited = con.execute(
                "SELECT count(*), list(id ORDER BY id)[1:?] FROM rows "
                "WHERE sha1(? || '.' || entity_id || '.' || prop || '.' || value) <> id",
                [_SHOWN_IDS, name],
            ).fetchall()[0]
            con.unregister("rows")
            if edited[0]:
                problems.append(
                    nmsg(
                        "dataset {dataset}: {n:,} statement does not match its id (its "
                        "dataset, entity, property or value was edited after it was "
                        "written): {ids}",
                        "dataset {dataset}: {n:,} statements do not match their ids (their "
                        "dataset, entity, property or value was edited after they were "
                        "written), e.g. {ids}",
                        int(edited[0]),
                        dataset=name,
                        ids=", ".join(edited[1]),
                    )
                )
    finally:
        con.close()
    with store.engine.connect() as conn:  # (statements of no dataset: none, by a foreign key)
        unlisted = conn.execute(
            select(func.count())
            .select_from(statements)
            .where(statements.c.dataset_id.not_in(select(datasets.c.id)))
        ).scalar_one()
    total += int(unlisted)
    recorded = _recorded(store)
    if recorded is not None and recorded != total:
        problems.append(
            msg(
                "the store holds {stored:,} statements, but its ingest events record "
                "{recorded:,} added: {difference}",
                stored=total,
                recorded=recorded,
                difference=(
                    nmsg(
                        "{n:,} was deleted (statements are never deleted)",
                        "{n:,} were deleted (statements are never deleted)",
                        recorded - total,
                    )
                    if recorded > total
                    else nmsg(
                        "{n:,} was written without an ingest",
                        "{n:,} were written without an ingest",
                        total - recorded,
                    )
                ),
            )
        )
    return DataCheck(not problems, total, recorded, tuple(problems))


def _recorded(store: Store) -> int | None:
    """The statements the writes chain's `ingest` events say they added to the store; None
    when one of them does not say."""
    added = 0
    for event in store.audit.write_events(EventFilter(action="ingest")):
        value = event.detail.get("statements_new")
        if not isinstance(value, int) or isinstance(value, bool):
            return None
        added += value
    return added
