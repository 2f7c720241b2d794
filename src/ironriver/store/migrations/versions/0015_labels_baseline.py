"""The labels of the datasets no audit event records, recorded once, as found.

`audit verify-data` holds each dataset's `datasets` row, and the label of every statement of
it, to the first label the writes chain records for it: each `ingest` event records the labels
its load declared (`labels`). Events written before they did record none, so a dataset
ingested only by an older version was held to its own row alone, and an edit of both rows
alike (a RED dataset relabelled CLEAR in SQL) was not seen until its next ingest.

No table changes. This revision finds the datasets whose label no `ingest` (or earlier
`labels-baseline`) event records and leaves their labels, as their `datasets` rows hold them,
in the migration's `config.attributes["labels_baseline"]`, for `open_store` to record as one
`labels-baseline` event in the writes chain, committed with this revision: once, atomically,
hash-chained like every event. It is trust on first use: an edit made before the upgrade is
recorded as the label (nothing older says otherwise). Downgrading removes nothing (an event is
never removed), and a store that has recorded a baseline records none again: a dataset row
written by hand after the upgrade, with the store set back to 0014, would otherwise be
recorded as genuine by the next open (review R25 F4); it stays a dataset no event records
(`audit verify-data` names it).

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import context, op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

BASELINE = "labels_baseline"  # the config attribute `open_store` reads
_LABELS = "labels"  # in an event's detail (`data_verify.LABELS_KEY`)
_RECORDING = ("ingest", "labels-baseline")  # the actions whose events record labels

_datasets = sa.table(
    "datasets",
    sa.column("name", sa.String),
    sa.column("agency", sa.String),
    sa.column("country", sa.String),
    sa.column("marking", sa.String),
    sa.column("releasable_to", sa.Text),
)
_events = sa.table(
    "audit_events",
    sa.column("seq", sa.Integer),
    sa.column("action", sa.String),
    sa.column("detail", sa.Text),
)


def upgrade() -> None:
    conn = op.get_bind()
    done = conn.execute(
        sa.select(sa.func.count()).where(_events.c.action == "labels-baseline")
    ).scalar_one()
    if done:  # (recorded once per store: module doc)
        context.config.attributes[BASELINE] = {}
        return
    recorded: set[str] = set()
    for (detail,) in conn.execute(
        sa.select(_events.c.detail).where(_events.c.action.in_(_RECORDING))
    ):
        labels = json.loads(detail).get(_LABELS) or {}
        recorded.update(str(name) for name in labels)
    found: dict[str, dict[str, Any]] = {
        str(row.name): {
            "agency": row.agency,
            "country": row.country,
            "marking": row.marking,
            "releasable_to": row.releasable_to,
        }
        for row in conn.execute(sa.select(_datasets).order_by(_datasets.c.name))
        if str(row.name) not in recorded
    }
    context.config.attributes[BASELINE] = found


def downgrade() -> None:
    pass  # (the event stays: the writes chain is append-only)
