"""Verifying the two audit chains (`AuditLog.verify`, `ironriver audit verify`): each chain's
events recomputed (edited, removed or reordered events, an event 1 that does not start the
chain the store recorded, events cut from the end, a writes chain emptied whole); the
read-audit file checked as a file before its chain is read (overwritten, unmarked, a table
dropped or replaced: reported as tampering, not raised); and the reads chain held against
what the writes chain says of it: its restarts (`anchors.check_restarts`) and its anchors
(`anchors.check_anchors`), counted from the newest read-chain-start. Read-only: nothing here
takes a write lock.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, select
from sqlalchemy.exc import DBAPIError

from ironriver.errors import StoreError
from ironriver.i18n import Msg, msg, nmsg
from ironriver.scratch import is_dead_scratch
from ironriver.settings import sqlite_url
from ironriver.store.anchors import (
    ANCHOR_KEY,
    Anchor,
    Restart,
    beyond_end,
    check_anchors,
    check_restarts,
    parse_anchor,
)
from ironriver.store.audit_chain import (
    APPLICATION_ID,
    GENESIS,
    READ_CHAIN,
    READ_CHAIN_START,
    READS,
    WRITE_CHAIN,
    WRITES,
    Chain,
    check_file_version,
    file_marks,
    is_empty_file,
    read_genesis,
    row_digest,
    schema_objects,
)
from ironriver.store.dialect import engine_options
from ironriver.store.ledger_read import part_rows
from ironriver.store.ledger_records import RecordedParts, recorded_parts
from ironriver.store.tables import audit_read_events, audit_read_head


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    events: int
    problems: tuple[Msg, ...]
    """What is wrong, one finding each: `str(p)` is English, `p.render(lang)` translates."""
    chains: dict[str, int] = field(default_factory=dict)  # events per chain
    anchored: int = 0
    """The newest read event (seq) of the current reads chain that the writes chain anchors:
    removing reads up to it is detected; reads after it are not protected yet."""
    ledger_parts: int = 0
    """Ledger parts checked against the ingest events that recorded them (`verify_ledger_parts`)."""
    ledger_problems: tuple[Msg, ...] = ()
    """Those parts missing or damaged, one finding each (not the audit log's: `problems`)."""
    unrecorded_ingests: int = 0
    """Ingest events that wrote ledger rows before ingests recorded their parts: unchecked."""
    ledger_strays: tuple[Msg, ...] = ()
    """Part files in a ledger folder that no ingest event recorded, one finding each (not
    this store's data: reads leave them out, `RecordedParts.stray`; a problem all the same,
    like a missing part: the folder and the database disagree)."""
    advice: tuple[Msg, ...] = ()
    """What to do about `problems`: one paragraph per chain that has some, and one for a
    reads chain that ends before an anchored read (a backup taken in the wrong order?)."""
    ledger_pending: tuple[Msg, ...] = ()
    """Recorded parts not in place yet but whole under the scratch name their ingest event
    names (a process killed between its commit and its renames): no problem, a note."""


def verify_chains(engine: Engine, read_file: Path | None, busy_timeout_s: float) -> VerifyResult:
    """`AuditLog.verify` of the store on `engine`, whose reads chain is in the store itself or,
    with `read_file`, in that file beside it."""
    with engine.connect() as conn:
        writes = _verify_chain(conn, WRITE_CHAIN, GENESIS)
    start = writes.read_chain
    genesis = read_genesis(str(start.get("chain_id"))) if start else GENESIS
    anchors = writes.anchors
    problems = writes.problems + check_restarts(writes.restarts)
    if not writes.events:  # (`audit verify` opens no store older than migration 0004)
        problems.append(
            msg(
                "writes chain: it holds no events, though every store records a "
                "read-chain-start event in it when it is created or upgraded: its events "
                "were removed"
            )
        )
    reads = _ChainCheck()
    advice = _advice(writes, reads, [], [], read_file)
    if read_file is not None and not read_file.exists():
        if start is not None:
            problems.append(
                msg(
                    "reads chain: the read-audit file {path} is missing (the store "
                    "started it at {at}); its events are lost unless it is restored",
                    path=read_file,
                    at=writes.read_chain_at,
                )
            )
    else:
        anchored = frozenset(a.seq for a in anchors)
        checked: _ChainCheck | None
        if read_file is None:
            with engine.connect() as conn:
                checked = _verify_chain(conn, READ_CHAIN, genesis, anchored)
        else:
            checked, found = _verify_read_file(read_file, busy_timeout_s, genesis, anchored)
            problems += found
        if checked is not None:
            reads = checked
            in_store = read_file is None
            found_anchors = check_anchors(anchors, reads.last, reads.hashes, in_store)
            problems += reads.problems + found_anchors
            advice = _advice(writes, reads, found_anchors, anchors, read_file)
    return VerifyResult(
        ok=not problems,
        events=writes.events + reads.events,
        problems=tuple(problems),
        advice=tuple(advice),
        chains={WRITES: writes.events, READS: reads.events},
        anchored=max((a.seq for a in anchors), default=0),
    )


def _advice(
    writes: _ChainCheck,
    reads: _ChainCheck,
    found_anchors: list[Msg],
    anchors: list[Anchor],
    read_file: Path | None,
) -> list[Msg]:
    """What to do about the findings of recomputing each chain and of its anchors: compare
    with a backup, tell the security officer, restore; and, for a read-audit file that ends
    before an anchored read, how to tell a backup taken in the wrong order from tampering
    (docs/operations.md, "Backing up a SQLite node")."""
    advice: list[Msg] = []
    if writes.problems:
        advice.append(
            msg(
                "Writes chain: its events were changed in the store's database by someone "
                "who could write it. Run `ironriver audit verify` on the newest backup of "
                "the store; if it is intact, compare `ironriver audit log --as ADMIN` of the "
                "backup and of this store to see which events changed, tell your security "
                "officer, and restore the store from that backup (docs/operations.md, "
                '"Restoring, and checking a copy").'
            )
        )
    if not (reads.problems or found_anchors):
        return advice
    if read_file is None:
        advice.append(
            msg(
                "Reads chain: read events were changed in the audit_read_events table of the "
                "store's database by someone who could write it. Restore the newest dump into "
                "a new database (`pg_restore -d NEWDB`) and run `ironriver audit verify --db` "
                "on it; if it is intact, compare `ironriver audit log --as ADMIN --action "
                "read` of both to see which reads changed, tell your security officer, and "
                'restore the database from that dump (docs/operations.md, "PostgreSQL").'
            )
        )
        return advice
    advice.append(
        msg(
            "Reads chain: read events were changed in the read-audit file {path}. Run "
            "`ironriver audit verify` on the newest backup (the store and its read-audit "
            "file side by side); if it is intact, compare `ironriver audit log --as ADMIN "
            "--action read` of both to see which reads changed, tell your security officer, "
            "and restore the read-audit file from that backup.",
            path=read_file,
        )
    )
    newest = beyond_end(anchors, reads.last)
    if newest is not None:
        advice.append(
            msg(
                "If this store was restored from a backup, its read-audit file may have been "
                'copied before the store (the wrong order: docs/operations.md, "Backing up '
                'a SQLite node"): then nothing was removed, and read {seq}, anchored at {at}, '
                "is in a later copy of the file. To tell: put a later copy (the live node's, "
                "or the next backup's) in place of {path} and run `ironriver audit verify` "
                "again. If the reads chain is intact then, the backup was only taken in the "
                "wrong order: keep that copy. If no copy holds read {seq}, reads were removed.",
                seq=newest.seq,
                at=newest.at,
                path=read_file,
            )
        )
    return advice


def _verify_read_file(
    path: Path, busy_timeout_s: float, genesis: str, anchored: frozenset[int]
) -> tuple[_ChainCheck | None, list[Msg]]:
    """The reads chain in the read-audit file `path` recomputed (None: it cannot be read at
    all), and what is wrong with the file. The file is opened once, as it is (no pragma that
    writes), and read in one transaction: its marks, tables and chain are of one moment."""
    url = sqlite_url(path)
    engine = create_engine(url, **engine_options(url))
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
            conn.exec_driver_sql("BEGIN")  # deferred: no lock but a reader's
            return _verify_file_chain(conn, path, genesis, anchored)
    except DBAPIError as exc:  # opening or first reading it: not a database, or locked
        return None, [_unreadable(path, exc)]
    finally:
        engine.dispose()


def _verify_file_chain(
    conn: Connection, path: Path, genesis: str, anchored: frozenset[int]
) -> tuple[_ChainCheck | None, list[Msg]]:
    """`_verify_read_file` on `conn`, once the file is open: one that is not marked as a
    read-audit file, or that lost one of its tables, was tampered with, and is reported as
    such rather than raised; one of a schema version this code does not know is refused."""
    app_id, version = file_marks(conn)
    if is_empty_file(app_id, version, schema_objects(conn)):
        return None, [
            msg(
                "reads chain: this store's read-audit file {path} is empty: it was truncated "
                "or emptied; its events are lost unless it is restored from the backup "
                "(docs/operations.md); if there is none, record the loss with `ironriver "
                "audit restart-reads --as ADMIN --reason WHY`",
                path=path,
            )
        ]
    names = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")
    tables = frozenset(str(name) for (name,) in names)
    if app_id != APPLICATION_ID:
        return None, [
            msg(
                "reads chain: {path} is not marked as a read-audit file (its application_id "
                "was changed, or another file was put in its place); its events cannot be "
                "checked",
                path=path,
            )
        ]
    problems = [
        msg(
            "reads chain: the read-audit file {path} has no {table} table (it was dropped){lost}",
            path=path,
            table=table.name,
            lost=msg("; its events are lost unless the file is restored")
            if table is audit_read_events
            else "",
        )
        for table in (audit_read_events, audit_read_head)
        if table.name not in tables
    ]
    if audit_read_events.name not in tables:
        return _ChainCheck(), problems  # an empty chain: anchors say what it lost
    check_file_version(path, version)
    try:
        has_head = audit_read_head.name in tables
        return _verify_chain(conn, READ_CHAIN, genesis, anchored, has_head), problems
    except DBAPIError as exc:  # e.g. a table replaced by one of other columns
        problems.append(
            msg(
                "reads chain: the read-audit file {path} cannot be read as a reads chain ({error})",
                path=path,
                error=exc.orig,
            )
        )
        return None, problems


@dataclass
class _ChainCheck:
    """What recomputing one chain found, and what it collected for the checks across chains."""

    events: int = 0
    problems: list[Msg] = field(default_factory=list)
    read_chain: dict[str, Any] | None = None  # the newest read-chain-start event's detail
    read_chain_at: str = ""
    anchors: list[Anchor] = field(default_factory=list)  # writes: since the newest start
    restarts: list[Restart] = field(default_factory=list)  # writes: starts after the first
    hashes: dict[int, str] = field(default_factory=dict)  # reads chain: of the anchored seqs
    last: int = 0  # the seq the chain ends at


def _verify_chain(
    conn: Connection,
    chain: Chain,
    genesis: str,
    anchored: frozenset[int] = frozenset(),
    has_head: bool = True,
) -> _ChainCheck:
    """Recompute one chain: report edited, removed or reordered events, naming the chain.
    Collects the writes chain's anchors, and the reads chain's hashes at `anchored` seqs.
    `has_head`: whether the chain's head table exists (its loss is reported by the caller)."""
    check = _ChainCheck()
    problems = check.problems
    name = msg("writes chain") if chain is WRITE_CHAIN else msg("reads chain")
    prev = genesis
    expected_seq = 1
    latest: tuple[int, datetime, str] | None = None  # the latest-dated event so far
    for row in conn.execute(select(chain.events).order_by(chain.events.c.seq)):
        check.events += 1
        if row.seq != expected_seq:
            problems.append(
                msg(
                    "{chain}: event {seq} is missing (next event found is {found})",
                    chain=name,
                    seq=expected_seq,
                    found=row.seq,
                )
            )
        if row.prev_hash != prev:
            if check.events == 1 and row.seq == 1:
                problems.append(
                    msg(
                        "{chain}: event 1 does not start the chain the store recorded (the "
                        "read-audit file was replaced, or belongs to another store)",
                        chain=name,
                    )
                )
            else:
                problems.append(
                    msg(
                        "{chain}: event {seq} does not follow the event before it (removed "
                        "or reordered events)",
                        chain=name,
                        seq=row.seq,
                    )
                )
        digest = row_digest(row._asdict())
        if digest != row.hash:
            problems.append(
                msg(
                    "{chain}: event {seq} was edited (its hash does not match)",
                    chain=name,
                    seq=row.seq,
                )
            )
        if row.action == READ_CHAIN_START and chain is WRITE_CHAIN:
            if check.read_chain is not None:  # a chain before this one is abandoned
                newest = max((a.seq for a in check.anchors), default=0)
                restart = Restart(
                    row.seq, row.at, row.actor, row.reason, check.read_chain_at, newest
                )
                check.restarts.append(restart)
            try:
                check.read_chain, check.read_chain_at = json.loads(row.detail), row.at
            except ValueError:
                check.read_chain = {}
            check.anchors.clear()  # earlier anchors were of the chain this one abandons
        elif chain is WRITE_CHAIN and ANCHOR_KEY in row.detail and digest == row.hash:
            # an edited event's anchor is no evidence (the edit is reported above)
            anchor = parse_anchor(row.seq, row.at, row.detail)
            if anchor is not None:
                check.anchors.append(anchor)
        if row.seq in anchored:
            check.hashes[row.seq] = row.hash
        at = _when(row.at)
        if at is not None and latest is not None and latest[1] - at > CLOCK_SLACK:
            problems.append(
                msg(
                    "{chain}: event {seq} is dated {at}, before event {before} ({before_at}): "
                    "the clock was set back while events were written, so windows of "
                    "`audit log --since/--until` may leave events out",
                    chain=name,
                    seq=row.seq,
                    at=row.at,
                    before=latest[0],
                    before_at=latest[2],
                )
            )
        if at is not None and (latest is None or at > latest[1]):
            latest = (row.seq, at, row.at)
        prev = row.hash
        expected_seq = row.seq + 1
    head = conn.execute(select(chain.head.c.seq, chain.head.c.hash)).first() if has_head else None
    if head is not None and (head.seq != expected_seq - 1 or head.hash != prev):
        problems.append(
            msg(
                "{chain}: the newest event should be {head}, but the chain ends at {last} "
                "(events removed from the end)",
                chain=name,
                head=head.seq,
                last=expected_seq - 1,
            )
        )
    if head is None and check.events and has_head:
        problems.append(msg("{chain}: the audit head record is missing", chain=name))
    check.last = expected_seq - 1
    return check


CLOCK_SLACK = timedelta(minutes=5)
"""How far an event may be dated before an earlier one without a finding: a clock corrected
by NTP steps back by seconds; a clock set back by hand, or a host restored from a snapshot,
by more."""


def _when(at: str) -> datetime | None:
    try:
        return datetime.fromisoformat(at)
    except (TypeError, ValueError):  # an edited time: the hash check reports it
        return None


def _unreadable(path: Path, exc: DBAPIError) -> Msg:
    """What `verify()` reports of a read-audit file that cannot be opened or read as a SQLite
    database: overwritten or replaced. Locked, a full disk or an I/O error says nothing
    about the file: a `StoreError` (a file not a database is a DatabaseError)."""
    if isinstance(exc.orig, sqlite3.OperationalError):
        raise StoreError(
            msg(
                "Cannot read the read-audit file {path} ({error}): this says nothing "
                "about its integrity.",
                path=path,
                error=exc.orig,
            ),
            hint=msg(
                "Free disk space, check the file's permissions, or wait for the process "
                "holding it; then run ironriver audit verify again."
            ),
        ) from exc
    return msg(
        "reads chain: the read-audit file {path} cannot be read ({error}): it was "
        "overwritten or replaced; its events are lost unless it is restored",
        path=path,
        error=exc.orig,
    )


def verify_ledger_parts(result: VerifyResult, engine: Engine, root: Path) -> VerifyResult:
    """`result` with the ledger parts under `root` held against the ingest events that
    committed them (`LEDGER_FILES_KEY`): each must be there, its footer readable, giving the
    rows recorded. A part that a retraction renamed out of the reads (a `retract` event names
    it, or its `retracted-<digest>.parquet` twin is beside it) is accounted for. Ingest events
    written before ingests recorded their parts are counted, not checked. Reads footers only;
    writes nothing (no recovery either: a part a killed ingest left whole under the scratch
    name its event names is a note, `ledger_pending`, saying what finishes it). Then every
    `part-*.parquet` of a ledger folder that no ingest or retract event names (`ledger_strays`:
    copied in by hand, or a ledger folder backed up after the database), unless some ingest
    events predate the records (`unrecorded_ingests`: their parts cannot be told apart)."""
    with engine.connect() as conn:
        parts = recorded_parts(conn)
    recorded, unrecorded = parts.recorded, parts.unrecorded
    problems: list[Msg] = []
    pending: list[Msg] = []
    for name, (rows_recorded, seq) in sorted(recorded.items(), key=lambda kv: kv[1][1]):
        path = root / name
        if parts.accounted(name, root):
            continue
        if not path.exists():
            scratch = _staged(root, parts.staged.get(name), rows_recorded)
            if scratch is not None:
                pending.append(_pending(path, scratch, rows_recorded, seq))
                continue
            problems.append(
                msg(
                    "ledger part {path} is missing ({rows:,} rows, written by ingest event "
                    "{seq}): restore it from a backup, or re-ingest that event's source file, "
                    "which writes it again",
                    path=path,
                    rows=rows_recorded,
                    seq=seq,
                )
            )
            continue
        found = part_rows(path)
        if found is None:
            problems.append(
                msg(
                    "ledger part {path} is damaged: its footer cannot be read (written by "
                    "ingest event {seq}, {rows:,} rows): restore it from a backup, or re-ingest "
                    "that event's source file, which moves it aside and writes it again",
                    path=path,
                    rows=rows_recorded,
                    seq=seq,
                )
            )
        elif found != rows_recorded:
            problems.append(
                msg(
                    "ledger part {path} holds {found:,} rows, but ingest event {seq} wrote "
                    "{rows:,}: restore it from a backup, or re-ingest that event's source "
                    "file, which moves it aside and writes it again",
                    path=path,
                    found=found,
                    rows=rows_recorded,
                    seq=seq,
                )
            )
    strays = _strays(root, parts)
    return replace(
        result,
        ok=result.ok and not problems and not strays,
        ledger_parts=len(recorded),
        ledger_problems=tuple(problems),
        unrecorded_ingests=unrecorded,
        ledger_strays=tuple(strays),
        ledger_pending=tuple(pending),
    )


def _staged(root: Path, scratch: str | None, rows: int) -> Path | None:
    """The scratch file `scratch` (its name under `root`, as an ingest event names it) when
    it is there, whole, with the `rows` recorded; else None."""
    if scratch is None:
        return None
    path = root / scratch
    return path if path.exists() and part_rows(path) == rows else None


def _pending(path: Path, scratch: Path, rows: int, seq: int) -> Msg:
    """What `verify_ledger_parts` says of a recorded part still under its scratch name."""
    if is_dead_scratch(scratch):
        return msg(
            "ledger part {path} is not in place yet: it was left by a killed ingest (event "
            "{seq} committed it, {rows:,} rows, and its process was killed before renaming it "
            "from its scratch name {scratch}, where it is whole). Nothing is lost: any command "
            "but `audit verify` and `audit verify-data` finishes it when it opens the store "
            "(e.g. `ironriver stats --as NAME`)",
            path=path,
            seq=seq,
            rows=rows,
            scratch=scratch.name,
        )
    return msg(
        "ledger part {path} is not in place yet: ingest event {seq} committed it ({rows:,} "
        "rows) under its scratch name {scratch}, whose process is still running or ran on "
        "another host; it renames it into place (or, if it was killed, the next command "
        "that opens the store on that host). Run `ironriver audit verify` again then",
        path=path,
        seq=seq,
        rows=rows,
        scratch=scratch.name,
    )


def _strays(root: Path, parts: RecordedParts) -> list[Msg]:
    """A finding for each `part-*.parquet` of a ledger folder under `root` that no ingest or
    retract event of the store names (`RecordedParts.stray`: the rule by which every read
    leaves it out; none while some ingest events predate the records)."""
    found: list[Msg] = []
    for path in sorted(root.glob("*/*/part-*.parquet")) if root.exists() else []:
        if not parts.stray(str(path.relative_to(root))):
            continue
        rows = part_rows(path)
        said = (
            nmsg("{n:,} row", "{n:,} rows", rows)
            if rows is not None
            else msg("its footer cannot be read")
        )
        found.append(
            msg(
                "ledger part {path} ({said}) was recorded by no ingest event of this store: "
                "it is not this store's data (copied into the ledger folder by hand, or a "
                "ledger folder copied after the database, holding parts of later ingests), "
                "and reads leave it out. Move it out of the ledger folder",
                path=path,
                said=said,
            )
        )
    return found
