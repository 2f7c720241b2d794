"""`statement_sources`: the other files that state a standing statement.

A statement id hashes its content (dataset, entity, property, value), so a statement is
stored once, with the source record of the first file that stated it. When January's and
February's files both stated a value, the store recorded January only, and `ingest
--replace` of a corrected January that dropped the value retracted it although February
still stated it. A load that meets a standing statement stored under another file now
records its own file here (`Writer`), and a replace retracts a statement only when no other
file still states it (`ironriver.ingest.replace`).

An empty table: a store written before this revision never recorded the other files, so
what they stated before is not known (their next load records it). Downgrading drops it.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "statement_sources",
        sa.Column("entity_id", sa.String(255), primary_key=True),
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("source_id", sa.Integer, primary_key=True),
        sa.Column("source_row", sa.Integer, nullable=True),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_statement_sources_source", "statement_sources", ["source_id"])


def downgrade() -> None:
    op.drop_index("ix_statement_sources_source", table_name="statement_sources")
    op.drop_table("statement_sources")
