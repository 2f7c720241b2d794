"""Initial schema: datasets, labels, props, sources, statements, judgements, audit events.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "datasets",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(255), nullable=False, unique=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("agency", sa.String(64), nullable=False),
        sa.Column("country", sa.String(8), nullable=False),
        sa.Column("marking", sa.String(16), nullable=False),
        sa.Column("releasable_to", sa.Text, nullable=False),
        sa.Column("legal_basis", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "labels",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("owner_agency", sa.String(64), nullable=False),
        sa.Column("owner_country", sa.String(8), nullable=False),
        sa.Column("marking", sa.String(16), nullable=False),
        sa.Column("releasable_to", sa.Text, nullable=False),
        sa.UniqueConstraint("owner_agency", "owner_country", "marking", "releasable_to"),
    )
    op.create_table(
        "props",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("schema", sa.String(64), nullable=False),
        sa.Column("prop", sa.String(64), nullable=False),
        sa.Column("prop_type", sa.String(32), nullable=False),
        sa.UniqueConstraint("schema", "prop"),
    )
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.Text, nullable=False, unique=True),
    )
    op.create_table(
        "statements",
        sa.Column("entity_id", sa.String(255), primary_key=True),
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("prop_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.SmallInteger, nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("search_key", sa.Text, nullable=True),
        sa.Column("lang", sa.String(16), nullable=True),
        sa.Column("original_value", sa.Text, nullable=True),
        sa.Column("origin", sa.Text, nullable=True),
        sa.Column("first_seen", sa.String(32), nullable=True),
        sa.Column("last_seen", sa.String(32), nullable=True),
        sa.Column("dataset_id", sa.Integer, nullable=False),
        sa.Column("label_id", sa.Integer, nullable=False),
        sa.Column("source_id", sa.Integer, nullable=True),
        sa.Column("source_row", sa.Integer, nullable=True),
        sa.Column("legal_basis", sa.Text, nullable=True),
        sa.Column("retracted", sa.Boolean, nullable=False),
        sqlite_with_rowid=False,
    )
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
    op.create_table(
        "judgements",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("left_id", sa.String(255), nullable=False, index=True),
        sa.Column("right_id", sa.String(255), nullable=False, index=True),
        sa.Column("judgement", sa.String(16), nullable=False),
        sa.Column("score", sa.String(32), nullable=True),
        sa.Column("reasons", sa.Text, nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("superseded", sa.Boolean, nullable=False),
    )
    op.create_table(
        "audit_events",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("agency", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "audit_events",
        "judgements",
        "statements",
        "sources",
        "props",
        "labels",
        "datasets",
    ):
        op.drop_table(table)
