"""The read-audit chain: `audit_read_events` and `audit_read_head`, the same shape as
`audit_events` and `audit_head`.

Events of reads (entity reads, searches, neighbours, exports...) go to this second chain, so
an audited read never waits for a data write at the audit head (see `ironriver.store.audit`).
On a file-backed SQLite store the chain lives in its own file beside the store and these
tables stay empty in the store file; on PostgreSQL and in-memory SQLite they hold it. Events
written before this revision stay in `audit_events`. The append-only triggers are installed
by `open_store` (`install_guards`), like those of `audit_events`.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_read_events",
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
    op.create_table(
        "audit_read_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("audit_read_head")
    op.drop_table("audit_read_events")
