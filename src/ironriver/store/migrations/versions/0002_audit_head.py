"""Audit head: the sequence number and hash of the newest audit event.

Written in the same transaction as each event, so deleting events from the end of the chain
(which the chain alone cannot show) is detected by `AuditLog.verify`.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.execute(
        "INSERT INTO audit_head (id, seq, hash) SELECT 1, seq, hash FROM audit_events "
        "WHERE seq = (SELECT MAX(seq) FROM audit_events)"
    )


def downgrade() -> None:
    op.drop_table("audit_head")
