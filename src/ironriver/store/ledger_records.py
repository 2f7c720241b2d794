"""Recorded ledger parts and retraction markers: what the ingest and retract events of a
store say of its ledger parts (`PARTS_KEY`, `LEDGER_FILES_KEY`, `RETRACT_KEY`, `MARKERS_KEY`),
a retraction's marker and renames (`PendingRetraction`), the recovery of what a process
killed between its commit and its renames left (`recover_parts`), and the one reader of the
parts the events recorded (`recorded_parts`: `audit verify`'s check, a read's refusal of a
ledger missing parts, the parts every read reads, `RecordedParts.stray`; an ingest's trust
in a part in place). See `ironriver.store.ledger` for the layout and invariants.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from ironriver.logs import get_logger
from ironriver.scratch import file_sha256 as file_sha256  # (re-exported: ledger, ledger_bytes)
from ironriver.scratch import is_dead_scratch, synced
from ironriver.store.tables import audit_events

if TYPE_CHECKING:
    from ironriver.store.ledger import PendingPart

log = get_logger("ironriver.store.ledger")  # (the name its log lines always had)


def retracted_name(part: Path) -> Path:
    """Where a retracted part goes: `retracted-<its digest>.parquet` beside it, out of the
    `part-*.parquet` glob of every read."""
    return part.with_name("retracted-" + part.name.removeprefix("part-"))


@dataclass
class PendingRetraction:
    """A retraction of ledger parts whose marker is written (`prepare_retraction`): its audit
    event names the marker (`marker_name`); after the commit, `commit()` renames the parts
    out of every read, else `discard()` removes the marker."""

    marker: Path
    parts: list[Path]

    def marker_name(self, root: Path) -> str:
        return str(self.marker.relative_to(root))

    def commit(self) -> None:
        for part in self.parts:
            _retract_part(part)
        self.marker.unlink(missing_ok=True)

    def discard(self) -> None:
        self.marker.unlink(missing_ok=True)


def _retract_part(part: Path) -> bool:
    """Rename `part` to its retracted name; False when it is not there (renamed already)."""
    try:
        part.replace(retracted_name(part))
    except FileNotFoundError:
        return False
    synced(part.parent)  # (a power loss must not bring the part back under its name)
    return True


_SCRATCH = ".ironriver-stage-*"  # a part's scratch name (`prepare_query`), or a marker
_MARKER_SUFFIX = ".retract"  # a retraction's marker (`prepare_retraction`)
PARTS_KEY = "ledger_parts"
"""In an ingest's audit event detail: its ledger parts as [scratch name, final name] pairs
under the ledger root, renamed into place after the commit."""
RETRACT_KEY = "ledger_marker"
"""In a ledger retraction's audit event detail: its marker's name under the ledger root
(`prepare_retraction`); the detail's `parts` names the retracted parts of its `dataset`'s
`ledger` (their file names), renamed out of every read after the commit."""

MARKERS_KEY = "ledger_markers"
"""In the `retract` event of a load that replaced an earlier one's ledger parts
(`ironriver.ingest.replace`): one `{"marker": its name under the ledger root, "parts":
[the parts it retracts, under the root]}` per ledger folder (`RETRACT_KEY` names one)."""


def recover_parts(
    root: Path, committed: Callable[[], Iterable[dict[str, Any]]], folder: Path | None = None
) -> int:
    """Finish what a process killed between its commit and its renames left: rename into
    place the ledger parts its ingest left under their scratch names (the commit is the
    ingest's truth: its statements and audit event are in the store, its ledger rows must be
    too), and rename out of every read the parts its retraction's marker stands for (its
    `retract` event is committed: the rows must go); return how many parts were renamed.
    `committed` lists the details of the store's ingest and retract events (read only when a
    dead process's scratch part or marker is found: most calls are one glob). With `folder`
    (one ledger's, under `root`), only the files in it. A scratch part no committed ingest
    names is left for `sweep`; a marker no committed retraction names is removed (nothing
    was retracted)."""
    if not root.exists():
        return 0
    found = folder.glob(_SCRATCH) if folder is not None else root.glob(f"*/*/{_SCRATCH}")
    dead = [p for p in found if is_dead_scratch(p)]
    if not dead:
        return 0
    named: dict[str, str] = {}
    retracted: dict[str, list[str]] = {}
    for detail in committed():
        for pair in detail.get(PARTS_KEY) or []:
            named[str(pair[0])] = str(pair[1])
        if detail.get(RETRACT_KEY):
            retracted[str(detail[RETRACT_KEY])] = [str(p) for p in detail.get("parts") or []]
        for marker in detail.get(MARKERS_KEY) or []:  # (a load that replaced parts)
            retracted[str(marker["marker"])] = [str(p) for p in marker["parts"]]
    moved = 0
    for scratch in dead:
        name = str(scratch.relative_to(root))
        if scratch.name.endswith(_MARKER_SUFFIX):
            for part in retracted.get(name, []):
                moved += _retract_part(scratch.parent / Path(part).name)
            scratch.unlink(missing_ok=True)
            continue
        final = named.get(name)
        if final is None or not scratch.name.endswith(".parquet"):
            continue
        target = root / final
        try:
            if target.exists():  # an identical ingest placed it meanwhile
                scratch.unlink()
            else:
                scratch.replace(target)
                synced(target.parent)
                moved += 1
        except FileNotFoundError:
            continue  # another process recovered it first
    if moved:
        log.warning("ledger.parts_recovered", parts=moved, root=str(root))
    return moved


LEDGER_FILES_KEY = "ledger_files"
"""In an ingest's audit event detail: the ledger parts it committed (written, or found in
place), each `{"path": its name under the ledger root, "rows": its rows, "sha256": the
SHA-256 of its bytes}`; `audit verify` checks that each is there with that many rows
(`ironriver.store.audit_verify`), `audit verify-data` that its bytes have that hash
(`ironriver.store.ledger_bytes`). No `sha256`: a part an older version wrote, or one found in
place that its first record gives none."""


def committed_files(root: Path, parts: Iterable[PendingPart]) -> list[dict[str, Any]]:
    """The `LEDGER_FILES_KEY` entries of an ingest's `parts` under the ledger root `root`
    (a keyed ledger's file whose records were all stored already has no part, and a file
    whose rows were retracted adds none: both left out)."""
    return [
        {"path": str(p.final.relative_to(root)), "rows": p.rows}
        | ({} if p.sha256 is None else {"sha256": p.sha256})
        for p in parts
        if p.final != Path() and not p.retracted
    ]


@dataclass(frozen=True)
class RecordedParts:
    """What the store's ingest and retract events say of its ledger parts (`recorded_parts`:
    the one reader of them, for `audit verify`, reads and ingests)."""

    recorded: dict[str, tuple[int, int]]
    """Each part an ingest recorded (`LEDGER_FILES_KEY`; its name under the ledger root) ->
    (its rows, the seq of the first ingest event that recorded it)."""
    retracted: set[str]
    """The parts a `retract` event names, by their name under the ledger root."""
    unrecorded: int
    """Ingest events that wrote ledger rows before ingests recorded their parts."""
    staged: dict[str, str] = field(default_factory=dict)
    """Each part an ingest event names for its renames (`PARTS_KEY`; its final name under
    the ledger root) -> its scratch name there: where a process killed between the commit
    and the rename left it (`recover_parts` renames it into place)."""

    sha256: dict[str, str] = field(default_factory=dict)
    """Each recorded part whose first record gives the SHA-256 of its bytes -> that hash
    (parts an older version recorded have none: their rows alone are checked)."""

    def rows(self, name: str) -> int | None:
        """The rows the first ingest event to record the part `name` (under the ledger root)
        gave it; None when none recorded it."""
        found = self.recorded.get(name)
        return None if found is None else found[0]

    def accounted(self, name: str, root: Path) -> bool:
        """Whether the recorded part `name` was renamed out of the reads by a retraction (a
        `retract` event names it, or its `retracted-<digest>.parquet` twin is beside it)."""
        path = root / name
        return (
            name in self.retracted
            or path.with_name("retracted-" + path.name.removeprefix("part-")).exists()
        )

    def known(self, name: str) -> bool:
        """Whether an ingest or retract event names the part `name` (under the ledger root)."""
        return name in self.recorded or name in self.staged or name in self.retracted

    def stray(self, name: str) -> bool:
        """Whether the part file `name` (under the ledger root) is not this store's data: no
        ingest or retract event names it (copied in by hand, or a ledger folder copied after
        the database, holding parts of later ingests). The one rule for it: `audit verify`
        reports these parts (`ledger_strays`) and every read leaves them out
        (`LedgerReads.accounted`). None is while some ingest events predate the records
        (`unrecorded`): their parts cannot be told from any other, so every part is read."""
        return not self.unrecorded and not self.known(name)

    def missing(self, root: Path) -> list[str]:
        """The recorded parts (names under `root`) neither in place nor retracted, in the
        order of the events that recorded them. Looks at the disk at each call (a stat or
        two per recorded part): a part removed since the events were read is missing."""
        return [
            name
            for name, _ in sorted(self.recorded.items(), key=lambda kv: kv[1][1])
            if not (root / name).exists() and not self.accounted(name, root)
        ]

    def missing_per_ledger(self, root: Path) -> dict[tuple[str, str], int]:
        """How many recorded parts are `missing` per (dataset, ledger) under `root`. For
        reads, which must not take "no rows" for "data is missing"; they choose which of
        these the principal may be told of (`View.ledger_damage`)."""
        found: dict[tuple[str, str], int] = {}
        for name in self.missing(root):
            dataset, ledger, *_ = Path(name).parts
            found[(dataset, ledger)] = found.get((dataset, ledger), 0) + 1
        return found


def recorded_parts(conn: Connection) -> RecordedParts:
    """The ledger parts the ingest events of the store on `conn` recorded, and those its
    retract events renamed out of the reads (one query; events that do not parse are
    skipped: the chain check reports them)."""
    recorded: dict[str, tuple[int, int]] = {}  # part -> (rows, the first ingest's seq)
    retracted: set[str] = set()
    staged: dict[str, str] = {}  # final name -> scratch name
    hashes: dict[str, str] = {}  # part -> its bytes' SHA-256, as its first record gives it
    unrecorded = 0
    rows = conn.execute(
        select(audit_events.c.seq, audit_events.c.action, audit_events.c.detail)
        .where(audit_events.c.action.in_(("ingest", "retract")))
        .order_by(audit_events.c.seq)
    )
    for seq, action, text in rows:
        try:
            detail = json.loads(text or "{}")
        except ValueError:
            continue  # an edited event: the chain check reports it
        if not isinstance(detail, dict):
            continue
        if action == "retract":  # parts named in their ledger's folder, or under the root
            folder = Path(str(detail.get("dataset")), str(detail.get("ledger")))
            for part in detail.get("parts") or []:
                retracted.add(str(part) if "/" in str(part) else str(folder / str(part)))
            continue
        for pair in detail.get(PARTS_KEY) or []:
            if isinstance(pair, list) and len(pair) == 2:
                staged.setdefault(str(pair[1]), str(pair[0]))
        if LEDGER_FILES_KEY in detail:
            for entry in detail[LEDGER_FILES_KEY] or []:
                name = str(entry["path"])
                if name in recorded:
                    continue  # (the first record counts)
                recorded[name] = (int(entry["rows"]), int(seq))
                if entry.get("sha256"):
                    hashes[name] = str(entry["sha256"])
        elif detail.get("ledger_rows"):
            unrecorded += 1
    return RecordedParts(recorded, retracted, unrecorded, staged, hashes)


def recorded_head(conn: Connection) -> tuple[int, str] | None:
    """The seq and hash of the writes chain's newest event (None: it has none). Every
    ingest and retraction appends one there, in its own transaction: what `recorded_parts`
    read is current while this stays the same (read it first: an event committed between
    the two reads then changes it at the next look)."""
    last = conn.execute(
        select(audit_events.c.seq, audit_events.c.hash).order_by(audit_events.c.seq.desc()).limit(1)
    ).first()
    return None if last is None else (int(last.seq), str(last.hash))
