"""Lookup rows carry their statement's access label, after the kind: a search reads the
labels its view may see, and nothing else.

`statement_keys` was keyed by (kind, rank, key, ...) and `statement_refs` by (value, ...),
so a name search read every lookup row of a word prefix, visible or not, and dropped the
hidden ones only when it joined them to their statements: as CBP, after another agency
ingested 100,000 hidden "ZAFIRO ..." names, "zafiro" took 1.2 s and "zafirx" 1.3 ms, a
timing side channel (a hidden name's existence shows in a search's time) and a slowness for
every reader. Keyed by (kind, label_id, rank, key, ...) and (value, label_id, ...), a search
reads one index range per label it may see (per name length), and a row under another label
is never visited: the search's work follows what its view may see.

The rows of retracted statements go too: no view shows one, and a retraction now deletes
them (`Writer.retract`), so a search's work does not follow retractions either.

Each table is rebuilt by one `INSERT ... SELECT` run by the database itself, no row coming
into Python: the old rows joined to their statements (one primary-key probe each) for the
label, in the new key order, so SQLite appends to its new B-tree (it sorts in its temporary
store, on disk past its cache) and PostgreSQL builds its primary key once, after the copy,
by one sort. Downgrading rebuilds them without the label (the retracted rows stay gone: no
search of that revision showed them).

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# each lookup table's columns before the label, and after it, in key order
_KEYS = {
    "statement_keys": (("kind", "rank", "key", "entity_id", "id"), ("kind",)),
    "statement_refs": (("value", "entity_id", "id"), ("value",)),
}


def _column(name: str) -> sa.Column[Any]:
    types: dict[str, Any] = {
        "kind": sa.SmallInteger,
        "label_id": sa.Integer,
        "rank": sa.Integer,
        "key": sa.Text().with_variant(sa.Text(collation="C"), "postgresql"),
        "entity_id": sa.String(255),
        "id": sa.String(64),
        "value": sa.String(255),
    }
    return sa.Column(name, types[name], nullable=False)


def _rebuild(table: str, order: list[str], select_sql: str) -> None:
    """Replace `table` by a copy keyed by `order`, filled by `select_sql` (its columns in
    `order`'s order)."""
    conn = op.get_bind()
    new = f"{table}_new"
    postgres = conn.dialect.name == "postgresql"
    columns = [_column(c) for c in order]
    if postgres:  # the primary key is built after the copy, by one sort
        op.create_table(new, *columns)
    else:
        op.create_table(new, *columns, sa.PrimaryKeyConstraint(*order), sqlite_with_rowid=False)
    names = ", ".join(order)
    # (SQLite: in key order, appended; by position, as both tables name the join's columns)
    ordered = "" if postgres else " ORDER BY " + ", ".join(map(str, range(1, len(order) + 1)))
    conn.execute(sa.text(f"INSERT INTO {new} ({names}) {select_sql}{ordered}"))
    op.drop_table(table)
    op.rename_table(new, table)
    if postgres:
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY ({names})")


def upgrade() -> None:
    for table, (columns, before) in _KEYS.items():
        order = [*before, "label_id", *columns[len(before) :]]
        picked = ", ".join("s.label_id" if c == "label_id" else f"k.{c}" for c in order)
        _rebuild(
            table,
            order,
            f"SELECT {picked} FROM {table} k "
            "JOIN statements s ON s.entity_id = k.entity_id AND s.id = k.id "
            "WHERE NOT s.retracted",
        )


def downgrade() -> None:
    for table, (columns, _before) in _KEYS.items():
        _rebuild(table, list(columns), f"SELECT DISTINCT {', '.join(columns)} FROM {table}")
