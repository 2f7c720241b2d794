"""`statement_tally`: non-retracted statements per (dataset, label).

`ironriver datasets` (a view's statements per dataset) scanned every statement: 6-8 s on a
store of 12M statements. The tally is kept in the transaction of every write and retraction
(`Writer.add_statements`, `Writer.add_staged`, `Writer.retract`), so a view's count per
dataset is a sum over its visible labels. Filled here from the statements (one scan).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "statement_tally",
        sa.Column("dataset_id", sa.Integer, primary_key=True),
        sa.Column("label_id", sa.Integer, primary_key=True),
        sa.Column("n", sa.BigInteger, nullable=False),
    )
    op.execute(
        "INSERT INTO statement_tally (dataset_id, label_id, n) "
        "SELECT dataset_id, label_id, count(*) FROM statements WHERE NOT retracted "
        "GROUP BY dataset_id, label_id"
    )


def downgrade() -> None:
    op.drop_table("statement_tally")
