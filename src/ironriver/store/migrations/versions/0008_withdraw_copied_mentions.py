"""Withdraw the `namesMentioned` copies of names retracted before retraction took them.

An ingest copies the names of the entities a record refers to into the referring entity's
`namesMentioned` (FtM's inline names: a sale mentions its buyer's name). Retraction withdraws
those copies with the name, or with the reference that copied it
(`View.copied_mentions`), since commit 37c5fb2; a name retracted before that stayed readable
on the sale, and retracting it again is refused (it is already retracted). This revision
withdraws them now, by the same rule, for every retracted statement:

- a retracted name (a `name`-typed property other than `namesMentioned`): the non-retracted
  `namesMentioned` statements of the same dataset and value on the entities referring to its
  entity, directly or through up to three references;
- a retracted reference (an `entity`-typed property): the non-retracted `namesMentioned`
  statements of the same dataset on the referring entity whose value is a name of the
  referenced entity in that dataset.

References are followed through non-retracted statements (a retraction followed those its
principal could see; the copies are in the name's own dataset, which its owner sees). Each
copy gets a tombstone, as a retraction gives it, and `statement_tally` loses it. What was
withdrawn is left in the migration's `config.attributes["withdrawn_mentions"]`, for
`open_store` to record as one `retract` event in the writes chain, committed with the
tombstones. Downgrading keeps the tombstones (a retraction is not undone).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa
from alembic import context, op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

WITHDRAWN = "withdrawn_mentions"  # the config attribute `open_store` reads
_HOPS = 3  # how far a retraction follows references back to the referring entities

_statements = sa.table(
    "statements",
    sa.column("entity_id", sa.String),
    sa.column("id", sa.String),
    sa.column("prop_id", sa.Integer),
    sa.column("value", sa.Text),
    sa.column("dataset_id", sa.Integer),
    sa.column("label_id", sa.Integer),
    sa.column("retracted", sa.Boolean),
)
_refs = sa.table(
    "statement_refs",
    sa.column("value", sa.String),
    sa.column("entity_id", sa.String),
    sa.column("id", sa.String),
)
_props = sa.table(
    "props",
    sa.column("id", sa.Integer),
    sa.column("prop", sa.String),
    sa.column("prop_type", sa.String),
)
_tally = sa.table(
    "statement_tally",
    sa.column("dataset_id", sa.Integer),
    sa.column("label_id", sa.Integer),
    sa.column("n", sa.BigInteger),
)
_s = _statements.c


def _referrers(conn: sa.Connection, entity_id: str) -> set[str]:
    """The entities referring to `entity_id` by non-retracted statements, directly or
    through up to `_HOPS` references (a frozen copy of `View._referrers`)."""
    found: set[str] = set()
    frontier = {entity_id}
    for _ in range(_HOPS):
        join = _refs.join(
            _statements, sa.and_(_s.entity_id == _refs.c.entity_id, _s.id == _refs.c.id)
        )
        rows = conn.execute(
            sa.select(_s.entity_id)
            .select_from(join)
            .where(_refs.c.value.in_(sorted(frontier)), _s.retracted.is_(False))
        ).all()
        frontier = {str(r.entity_id) for r in rows} - found - {entity_id}
        if not frontier:
            break
        found |= frontier
    return found


def _copies(conn: sa.Connection) -> list[tuple[str, str]]:
    """The (entity id, statement id) pairs of the copies to withdraw."""
    types = conn.execute(sa.select(_props.c.id, _props.c.prop, _props.c.prop_type)).all()
    mention_ids = [r.id for r in types if r.prop == "namesMentioned"]
    name_ids = [r.id for r in types if r.prop_type == "name" and r.prop != "namesMentioned"]
    entity_ids = [r.id for r in types if r.prop_type == "entity"]
    if not mention_ids:
        return []
    # one scan of `statements` (no index on `retracted`), once per store: the whole
    # upgrade opening a SQLite store of 1.28M statements took 0.84 s, of 12M 3.7 s (none
    # retracted; 1.0 s and 2.8 s on the 1.28M with 100 and 1,000 retracted names)
    retracted = conn.execute(
        sa.select(_s.entity_id, _s.prop_id, _s.value, _s.dataset_id).where(
            _s.retracted.is_(True), _s.prop_id.in_(name_ids + entity_ids)
        )
    ).all()
    conditions: list[sa.ColumnElement[bool]] = []
    referrers: dict[str, set[str]] = {}
    for r in retracted:
        if r.prop_id in name_ids:
            if r.entity_id not in referrers:
                referrers[r.entity_id] = _referrers(conn, str(r.entity_id))
            if referrers[r.entity_id]:
                conditions.append(
                    sa.and_(
                        _s.value == r.value,
                        _s.dataset_id == r.dataset_id,
                        _s.entity_id.in_(sorted(referrers[r.entity_id])),
                    )
                )
        else:
            names = sa.select(_s.value).where(
                _s.entity_id == r.value, _s.dataset_id == r.dataset_id, _s.prop_id.in_(name_ids)
            )
            conditions.append(
                sa.and_(
                    _s.entity_id == r.entity_id,
                    _s.dataset_id == r.dataset_id,
                    _s.value.in_(names),
                )
            )
    found: set[tuple[str, str]] = set()
    for at in range(0, len(conditions), 200):  # (a bounded statement on either backend)
        rows = conn.execute(
            sa.select(_s.entity_id, _s.id).where(
                _s.prop_id.in_(mention_ids),
                _s.retracted.is_(False),
                sa.or_(*conditions[at : at + 200]),
            )
        ).all()
        found |= {(str(r.entity_id), str(r.id)) for r in rows}
    return sorted(found)


def upgrade() -> None:
    conn = op.get_bind()
    copies = _copies(conn)
    gone: Counter[tuple[int, int]] = Counter()
    retract = (
        sa.update(_statements)
        .where(
            _s.entity_id == sa.bindparam("e"),
            _s.id == sa.bindparam("i"),
            _s.retracted.is_(False),
        )
        .values(retracted=True)
        .returning(_s.dataset_id, _s.label_id)
    )
    for entity_id, statement_id in copies:
        for ds_id, label_id in conn.execute(retract, {"e": entity_id, "i": statement_id}):
            gone[(int(ds_id), int(label_id))] += 1
    for (ds_id, label_id), n in sorted(gone.items()):
        conn.execute(
            sa.update(_tally)
            .where(_tally.c.dataset_id == ds_id, _tally.c.label_id == label_id)
            .values(n=_tally.c.n - n)
        )
    context.config.attributes[WITHDRAWN] = copies


def downgrade() -> None:
    pass  # the tombstones stay: a retraction is not undone
