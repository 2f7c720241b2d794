"""Lookup tables instead of secondary indexes on `statements`.

`statement_keys` holds one row per word of a name value and per identifier value;
`statement_refs` one row per entity-typed value. Both are filled in their own key order by
every write, which keeps loads into a large store cache-friendly (an index on `statements`
was updated in random order), and a name is found by its words instead of a scan of every
name. The two partial indexes they replace are dropped. Existing statements are copied over.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_KIND_ENTITY, _KIND_NAME, _KIND_IDENTIFIER = 1, 2, 3
_CHUNK = 50_000


def upgrade() -> None:
    op.create_table(
        "statement_keys",
        sa.Column("kind", sa.SmallInteger, primary_key=True),
        sa.Column(
            "key", sa.Text().with_variant(sa.Text(collation="C"), "postgresql"), primary_key=True
        ),
        sa.Column("entity_id", sa.String(255), primary_key=True),
        sa.Column("id", sa.String(64), primary_key=True),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "statement_refs",
        sa.Column("value", sa.String(255), primary_key=True),
        sa.Column("entity_id", sa.String(255), primary_key=True),
        sa.Column("id", sa.String(64), primary_key=True),
        sqlite_with_rowid=False,
    )
    conn = op.get_bind()
    conn.execute(
        sa.text(
            "INSERT INTO statement_refs (value, entity_id, id) SELECT value, entity_id, id "
            f"FROM statements WHERE kind = {_KIND_ENTITY} ORDER BY value, entity_id, id"
        )
    )
    conn.execute(
        sa.text(
            "INSERT INTO statement_keys (kind, key, entity_id, id) "
            f"SELECT {_KIND_IDENTIFIER}, search_key, entity_id, id FROM statements "
            f"WHERE kind = {_KIND_IDENTIFIER} AND search_key IS NOT NULL AND search_key <> '' "
            "ORDER BY search_key, entity_id, id"
        )
    )
    # name words, split here in Python (a frozen copy of `ids.name_words`)
    keys = sa.table(
        "statement_keys",
        sa.column("kind"),
        sa.column("key"),
        sa.column("entity_id"),
        sa.column("id"),
    )
    # streamed in chunks, so memory stays flat on a large store (a statement's words are
    # made distinct here, and no two statements share a key row, so chunks never collide)
    result = conn.execute(
        sa.text(
            "SELECT entity_id, id, search_key FROM statements "
            f"WHERE kind = {_KIND_NAME} AND search_key IS NOT NULL"
        ),
        execution_options={"yield_per": _CHUNK},  # this statement only, not the connection
    )
    try:
        for chunk in result.partitions():
            rows = [
                {"kind": _KIND_NAME, "key": word, "entity_id": r.entity_id, "id": r.id}
                for r in chunk
                for word in sorted({w for w in str(r.search_key).split(" ") if w})
            ]
            if rows:
                conn.execute(keys.insert(), rows)
    finally:
        result.close()
    op.drop_index("ix_statements_ref", table_name="statements")
    op.drop_index("ix_statements_search", table_name="statements")


def downgrade() -> None:
    op.create_index(
        "ix_statements_ref",
        "statements",
        ["value"],
        sqlite_where=sa.text("kind = 1"),
        postgresql_where=sa.text("kind = 1"),
    )
    op.create_index(
        "ix_statements_search",
        "statements",
        ["search_key"],
        sqlite_where=sa.text("search_key IS NOT NULL"),
        postgresql_where=sa.text("search_key IS NOT NULL"),
    )
    op.drop_table("statement_refs")
    op.drop_table("statement_keys")
