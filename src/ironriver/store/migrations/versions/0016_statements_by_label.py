"""`statements` keyed by (entity_id, label_id, id): a read by id never visits a hidden row.

Before, `statements` was clustered on (entity_id, id) and a view's labels were a filter on
that range: reading an entity, its statements, its neighbours or a search hit stepped over
the entity's statements under labels the reader may not see, so the time of a read told how
many hidden statements an id holds (review R24 F5: 20,000 hidden statements on one id made
its read 17 -> 80,017 SQLite steps, 1.1 -> 13 ms). Keyed by label after the entity, a read
takes one range per label its view may see (`label_id IN (...)` on the key's second column),
as the lookup tables already do (0013).

A statement is still stored once, whatever the label it was loaded under: its id hashes its
dataset, so a copy can only be under a label of the same dataset, and a write skips a row
whose id the store holds under another label of its dataset (`Writer`; SQLite writes one at
a time). Those labels are read from `statement_tally`, which keeps a row for every (dataset,
label) a statement was ever stored under: this revision adds the rows (n = 0) of the pairs
whose statements were all retracted, which 0006 did not count. PostgreSQL writers run at
once, so there a write holds its dataset's advisory lock first (`Writer._guard_labels`). A
unique index on (entity_id, id) would keep the rule without it, but made a PostgreSQL ingest
~40% slower (a second B-tree on every statement).

SQLite rebuilds the table (a copy in near key order: the entity comes first in both keys);
PostgreSQL swaps the primary key's index. Downgrading restores the old key.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import re

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_OLD_KEY = "PRIMARY KEY (entity_id, id)"
_NEW_KEY = "PRIMARY KEY (entity_id, label_id, id)"


def upgrade() -> None:
    conn = op.get_bind()
    conn.exec_driver_sql(
        "INSERT INTO statement_tally (dataset_id, label_id, n) "
        "SELECT DISTINCT s.dataset_id, s.label_id, 0 FROM statements AS s WHERE s.retracted "
        "AND NOT EXISTS (SELECT 1 FROM statement_tally AS t "
        "WHERE t.dataset_id = s.dataset_id AND t.label_id = s.label_id)"
    )
    if conn.dialect.name == "postgresql":
        op.drop_constraint("statements_pkey", "statements", type_="primary")
        op.create_primary_key("statements_pkey", "statements", ["entity_id", "label_id", "id"])
        return
    _rebuild_sqlite(_OLD_KEY, _NEW_KEY)


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        op.drop_constraint("statements_pkey", "statements", type_="primary")
        op.create_primary_key("statements_pkey", "statements", ["entity_id", "id"])
        return
    _rebuild_sqlite(_NEW_KEY, _OLD_KEY)


def _rebuild_sqlite(old_key: str, new_key: str) -> None:
    """Copy `statements` into a table of the same columns keyed by `new_key` and put it in
    the old one's place (SQLite cannot change a WITHOUT ROWID table's key in place)."""
    conn = op.get_bind()
    ddl = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'statements'"
    ).scalar_one()
    if new_key in ddl:  # (keyed so already: a store set back by hand to an older revision)
        return
    if old_key not in ddl:
        raise RuntimeError(f"statements is not keyed {old_key!r} as expected: {ddl}")
    columns = [row[1] for row in conn.exec_driver_sql("PRAGMA table_info(statements)")]
    names = ", ".join(f'"{c}"' for c in columns)
    # (a renamed table's text names it quoted: `CREATE TABLE "statements"`)
    new, named = re.subn(
        r'^CREATE TABLE\s+"?statements"?',
        "CREATE TABLE statements_rekeyed",
        ddl.replace(old_key, new_key),
    )
    if named != 1:
        raise RuntimeError(f"statements' definition does not read as expected: {ddl}")
    conn.exec_driver_sql(new)
    conn.exec_driver_sql(
        f"INSERT INTO statements_rekeyed ({names}) SELECT {names} FROM statements "
        "ORDER BY entity_id"
    )
    conn.exec_driver_sql("DROP TABLE statements")
    conn.exec_driver_sql("ALTER TABLE statements_rekeyed RENAME TO statements")
