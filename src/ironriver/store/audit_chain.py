"""What the two audit chains share (see `ironriver.store.audit`), and what appending to them
(`audit`) and verifying them (`audit_verify`) both build on: each chain's tables and how its
appends serialise (`Chain`: `WRITE_CHAIN`, `READ_CHAIN`), how an event is hashed onto the one
before it (`event_digest`; `row_digest`, of an event given by its columns, is what both
call), the hash each chain starts from (`GENESIS`; a reads chain's `read_genesis`, from the
id its `READ_CHAIN_START` event gave it), and the marks of a read-audit file (`file_marks`,
`is_empty_file`, `check_file_version`)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table

from ironriver.errors import StoreError
from ironriver.i18n import msg
from ironriver.store.tables import audit_events, audit_head, audit_read_events, audit_read_head

GENESIS = "0" * 64
WRITES = "writes"
READS = "reads"

READ_CHAIN_START = "read-chain-start"

APPLICATION_ID = 0x49524155  # "IRAU": PRAGMA application_id of a read-audit file
READ_FILE_VERSION = 1  # PRAGMA user_version: the read-audit file's schema version


@dataclass(frozen=True)
class Chain:
    """One chain: its events and head tables, and how appends to it serialise."""

    name: str
    events: Table
    head: Table
    pg_lock: str  # serialises appends on PostgreSQL (SQLite writers are serial already)
    # whether an append serialises on the head row (`SELECT ... FOR UPDATE`) once the chain
    # has one, instead of `pg_lock`: the reads chain, appended to by every audited read, so
    # its lock is held for two round trips instead of five (the writes chain's lock is held
    # for a whole ingest anyway, and its anchor must be read under it)
    row_locked: bool = False
    # (a row-locked chain's `pg_lock`, for its first appends, before it has a head row, is
    # an advisory lock: every appender already holds a row-share lock on the head table from
    # its `FOR UPDATE`, which a table lock would wait for, each appender for the other's: a
    # deadlock)


WRITE_CHAIN = Chain(WRITES, audit_events, audit_head, "LOCK TABLE audit_events IN EXCLUSIVE MODE")
READ_CHAIN = Chain(
    READS,
    audit_read_events,
    audit_read_head,
    "SELECT pg_advisory_xact_lock(hashtext('ironriver.audit_read_head'))",
    row_locked=True,
)


def event_digest(
    prev_hash: str,
    seq: int,
    at: str,
    actor: str,
    agency: str,
    action: str,
    target: str,
    reason: str,
    detail: str,
) -> str:
    """An event's hash: SHA-256 over the previous event's hash and the event's canonical
    JSON, its sequence number included (`detail` as the JSON text stored)."""
    body = json.dumps(
        [seq, at, actor, agency, action, target, reason, detail],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def row_digest(event: Mapping[str, Any]) -> str:
    """`event_digest` of an event given by its columns as `audit_events` names them
    (`prev_hash`, `seq`, `at`, `actor`, `agency`, `action`, `target`, `reason`, `detail`):
    the values an append inserts, or a row read back (`Row._asdict()`) to verify it."""
    return event_digest(
        event["prev_hash"],
        event["seq"],
        event["at"],
        event["actor"],
        event["agency"],
        event["action"],
        event["target"],
        event["reason"],
        event["detail"],
    )


def read_genesis(chain_id: str) -> str:
    """The hash the first event of the reads chain `chain_id` follows."""
    return hashlib.sha256(f"ironriver read chain {chain_id}".encode()).hexdigest()


def file_marks(conn: Connection) -> tuple[int, int]:
    """A SQLite file's `application_id` and `user_version`: a read-audit file's are
    `APPLICATION_ID` and `READ_FILE_VERSION` (0, 0: a new, empty file)."""
    app_id = int(conn.exec_driver_sql("PRAGMA application_id").scalar_one())
    return app_id, int(conn.exec_driver_sql("PRAGMA user_version").scalar_one())


def is_empty_file(app_id: int, version: int, objects: int) -> bool:
    """Whether a SQLite file of these marks and `objects` (rows of `sqlite_master`) holds
    nothing: a file truncated to 0 bytes, emptied, or created but never given its schema."""
    return (app_id, version, objects) == (0, 0, 0)


def schema_objects(conn: Connection) -> int:
    """How many tables, indexes and triggers a SQLite file holds (read only)."""
    return int(conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar_one())


def check_file_version(path: Path, version: int) -> None:
    """Refuse the read-audit file `path` of schema `version` (its `file_marks`) unless it is
    `READ_FILE_VERSION`: one written by a newer ironriver."""
    if version != READ_FILE_VERSION:
        raise StoreError(
            msg(
                "The read-audit file {path} has schema version {version}; this ironriver "
                "knows version {known}.",
                path=path,
                version=version,
                known=READ_FILE_VERSION,
            ),
            hint=msg("Upgrade ironriver to the version that wrote this store."),
        )
