"""`store_settings`: what a store records about itself, by name (text values).

Its first entry is `ledger_dir`, the absolute folder of a server database's ledgers. A
PostgreSQL store has no file to keep its ledgers beside, and the folder was the relative
`./ironriver-ledgers` of wherever a command ran: run from another folder, the same store
saw no ledgers, and a keyed ledger appended again the keys it already held. The store now
records the folder (`store.ledger_folder`). Nothing is written here: the folder is recorded
by the first open that knows it (no row: the table is empty on SQLite, whose ledgers stay
beside its file).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "store_settings",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("store_settings")
