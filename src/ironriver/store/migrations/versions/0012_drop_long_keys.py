"""No lookup key longer than `ids.MAX_KEY_BYTES`: the rows an older write keyed are deleted.

Since commit b5a4482 a name's word or an identifier's key longer than 1,024 bytes in UTF-8
is not keyed on any backend (PostgreSQL cannot index a B-tree row of more than 2704 bytes,
and its ingest failed on one). A store written before it may hold such `statement_keys`
rows: any SQLite store, and a PostgreSQL store for a key its index took (a B-tree entry is
compressed first, so a repetitive key of many kilobytes may have been). Through them a
search found the statement by that word on an old store and not on a new one written from
the same files. This deletes them; the statements stay, stored and shown as they were,
found by their other words.

One `DELETE`, which the database runs as one scan of `statement_keys` without a row coming
into Python (0010 and 0011 compute keys in Python, so they read in chunks); few rows match.
Downgrading leaves the store as it is: a store at 0011 written by the code of that revision
holds no such row either.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_MAX_KEY_BYTES = 1024  # a frozen copy of `ids.MAX_KEY_BYTES`: a longer key is not keyed


def upgrade() -> None:
    conn = op.get_bind()
    # the key's length in bytes: SQLite counts a TEXT value's characters, a BLOB's bytes
    size = "octet_length(key)" if conn.dialect.name == "postgresql" else "length(CAST(key AS BLOB))"
    conn.execute(
        sa.text(f"DELETE FROM statement_keys WHERE {size} > :most"), {"most": _MAX_KEY_BYTES}
    )


def downgrade() -> None:
    pass
