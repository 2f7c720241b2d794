"""The statement store's tables (SQLAlchemy Core), shared by SQLite and PostgreSQL.

Invariants:
- `statements` is clustered on (entity_id, label_id, id) (migration 0016): reading an entity
  is one range scan per label the reader may see, so no read visits a hidden row; a
  statement id (a content hash of dataset, entity, property and value, see
  `ironriver.store.ids`) is stored once only, whatever the label, so ingesting the same file
  twice changes nothing.
- Repeated texts are integer-coded: (schema, property, type) in `props`, source file names in
  `sources`; a statement's source record is `sources.name:source_row`. Narrow rows are what
  make bulk loads fast.
- Each statement refers to an access label (owner, marking, releasability); labels are few, so
  a view filters statements by the set of label ids its principal may see.
- names (by their words), identifiers and entity references are looked up through the
  `statement_keys` and `statement_refs` tables (see below), not through indexes on
  `statements`; its `search_key` column is no longer written (stores written before
  migration 0003 have it, which that migration reads). A lookup row carries its statement's
  label (the one it is stored under), and a retracted statement has none (migration 0013):
  a search reads the rows of the labels its view may see, never another's.
- `statement_sources` records the other files that state a standing statement, beyond the
  one it is stored with (migration 0014; see below).
- `statement_tally` keeps the number of non-retracted statements per (dataset, label),
  updated in the transaction of every write and retraction (migration 0006): a view's
  statements per dataset is a sum over its visible labels, not a scan of `statements`.
- The audit log is two hash chains of the same shape (see `ironriver.store.audit`):
  `audit_events`/`audit_head` for events that change data, written in the data's own
  transaction, and `audit_read_events`/`audit_read_head` for reads. Both are append-only
  (enforced by triggers). On a file-backed SQLite store the read chain lives in its own file
  beside the store, so these two tables stay empty in the store file itself.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

datasets = Table(
    "datasets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("title", Text, nullable=False, default=""),
    Column("agency", String(64), nullable=False),
    Column("country", String(8), nullable=False),
    Column("marking", String(16), nullable=False),
    Column("releasable_to", Text, nullable=False, default=""),
    Column("legal_basis", Text, nullable=False, default=""),
    Column("created_at", String(32), nullable=False),
)

labels = Table(
    "labels",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("owner_agency", String(64), nullable=False),
    Column("owner_country", String(8), nullable=False),
    Column("marking", String(16), nullable=False),
    Column("releasable_to", Text, nullable=False),
    UniqueConstraint("owner_agency", "owner_country", "marking", "releasable_to"),
)

props = Table(
    "props",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("schema", String(64), nullable=False),
    Column("prop", String(64), nullable=False),
    Column("prop_type", String(32), nullable=False),
    UniqueConstraint("schema", "prop"),
)

sources = Table(
    "sources",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False, unique=True),
)

# kind: what a statement's value is (KIND_* in ids.py): which lookup table it feeds
statements = Table(
    "statements",
    metadata,
    Column("entity_id", String(255), nullable=False),
    Column("id", String(64), nullable=False),
    Column("prop_id", Integer, nullable=False),
    Column("kind", SmallInteger, nullable=False),
    Column("value", Text, nullable=False),
    Column("search_key", Text, nullable=True),
    Column("lang", String(16), nullable=True),
    Column("original_value", Text, nullable=True),
    Column("origin", Text, nullable=True),
    Column("first_seen", String(32), nullable=True),
    Column("last_seen", String(32), nullable=True),
    Column("dataset_id", Integer, nullable=False),
    Column("label_id", Integer, nullable=False),
    Column("source_id", Integer, nullable=True),
    Column("source_row", Integer, nullable=True),
    Column("legal_basis", Text, nullable=True),
    Column("retracted", Boolean, nullable=False, default=False),
    # the label after the entity (migration 0016): a view reads one range of an entity per
    # label it may see, never a hidden row
    PrimaryKeyConstraint("entity_id", "label_id", "id"),
    # (one copy of a statement whatever its label: a write skips an id stored under another
    # label of its dataset, `Writer._other_labels`)
    sqlite_with_rowid=False,
)
# The two lookup tables replace secondary indexes on `statements`: rows are added in their
# own key order (sorted), which keeps bulk and incremental loads cache-friendly, and a name is
# found by its words rather than by scanning every name.
# - statement_keys: one row per word of a name value (kind 2; a word the name holds twice has
#   two, the second keyed with a mark after it: `ids.lookup_words`, migration 0011) and per
#   identifier/phone value (kind 3, the whole normalised key); search joins back to
#   `statements` for visibility (retraction, and the statement's own label).
# - statement_refs: one row per entity-typed value (the referenced entity id), for inbound
#   neighbours.
# Both hold the statement's `label_id` right after what is looked up (the kind; the
# referenced id), so a read takes one index range per label it may see and never visits a
# hidden row: a search's work, and its time, tell nothing of what it may not see.
statement_keys = Table(
    "statement_keys",
    metadata,
    Column("kind", SmallInteger, primary_key=True),
    # the statement's access label, before the rank: a search reads one index range per
    # label its view may see, so rows under other labels are never visited (migration 0013)
    Column("label_id", Integer, primary_key=True),
    # the length of the name the word comes from (0 for identifier keys): a word's rows come
    # shortest name first, so a search ranked by name length stops early (migration 0005)
    Column("rank", Integer, primary_key=True),
    # byte order on PostgreSQL too, so a word prefix is one index range
    Column("key", Text().with_variant(Text(collation="C"), "postgresql"), primary_key=True),
    Column("entity_id", String(255), primary_key=True),
    Column("id", String(64), primary_key=True),
    sqlite_with_rowid=False,
)
statement_refs = Table(
    "statement_refs",
    metadata,
    Column("value", String(255), primary_key=True),
    Column("label_id", Integer, primary_key=True),  # (as in `statement_keys`)
    Column("entity_id", String(255), primary_key=True),
    Column("id", String(64), primary_key=True),
    sqlite_with_rowid=False,
)

# The other files that state a standing statement (migration 0014). A statement is stored
# once, with the source record of the first file that stated it (`statements.source_id`,
# `source_row`); when a later load of another file states it again, that file's record is
# kept here, so that replacing one file (`ingest --replace`) retracts only what no other
# file still states (`ironriver.ingest.replace`). Written only when a load meets a standing
# statement stored under another source: none for a first load or a re-load of one file.
statement_sources = Table(
    "statement_sources",
    metadata,
    Column("entity_id", String(255), primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("source_id", Integer, primary_key=True),
    Column("source_row", Integer, nullable=True),
    Index("ix_statement_sources_source", "source_id"),
    sqlite_with_rowid=False,
)

statement_tally = Table(
    "statement_tally",
    metadata,
    Column("dataset_id", Integer, primary_key=True),
    Column("label_id", Integer, primary_key=True),
    Column("n", BigInteger, nullable=False),
)

# what a store records about itself, by name (migration 0009): `ledger_dir`, the absolute
# ledger folder of a server database (`ironriver.store.ledger_folder`)
store_settings = Table(
    "store_settings",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

judgements = Table(
    "judgements",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("left_id", String(255), nullable=False, index=True),
    Column("right_id", String(255), nullable=False, index=True),
    Column("judgement", String(16), nullable=False),
    Column("score", String(32), nullable=True),
    Column("reasons", Text, nullable=False, default=""),
    Column("actor", String(128), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("superseded", Boolean, nullable=False, default=False),
)


def _audit_event_columns() -> list[Column[object]]:
    return [
        Column("seq", Integer, primary_key=True, autoincrement=False),
        Column("at", String(32), nullable=False),
        Column("actor", String(128), nullable=False),
        Column("agency", String(64), nullable=False),
        Column("action", String(32), nullable=False),
        Column("target", Text, nullable=False),
        Column("reason", Text, nullable=False),
        Column("detail", Text, nullable=False),
        Column("prev_hash", String(64), nullable=False),
        Column("hash", String(64), nullable=False),
    ]


def _audit_head_columns() -> list[Column[object]]:
    return [
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("seq", Integer, nullable=False),
        Column("hash", String(64), nullable=False),
    ]


audit_events = Table("audit_events", metadata, *_audit_event_columns())
audit_head = Table("audit_head", metadata, *_audit_head_columns())
audit_read_events = Table("audit_read_events", metadata, *_audit_event_columns())
audit_read_head = Table("audit_read_head", metadata, *_audit_head_columns())
