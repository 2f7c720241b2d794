"""Recorded ledger parts and retraction markers: what the ingest and retract events of a
store say of its ledger parts (`PARTS_KEY`, `LEDGER_FILES_KEY`, `RETRACT_KEY`, `MARKERS_KEY`),
a retraction's marker and renames (`PendingRetraction`), and the recovery of what a process
killed between its commit and its renames left (`recover_parts`). See
`ironriver.store.ledger` for the layout and invariants.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ironriver.logs import get_logger
from ironriver.scratch import is_dead_scratch

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
                moved += 1
        except FileNotFoundError:
            continue  # another process recovered it first
    if moved:
        log.warning("ledger.parts_recovered", parts=moved, root=str(root))
    return moved


LEDGER_FILES_KEY = "ledger_files"
"""In an ingest's audit event detail: the ledger parts it committed (written, or found in
place), each `{"path": its name under the ledger root, "rows": its rows}`; `audit verify`
checks that each is there with that many rows (`ironriver.store.audit_verify`)."""


def committed_files(root: Path, parts: Iterable[PendingPart]) -> list[dict[str, Any]]:
    """The `LEDGER_FILES_KEY` entries of an ingest's `parts` under the ledger root `root`
    (a keyed ledger's file whose records were all stored already has no part, and a file
    whose rows were retracted adds none: both left out)."""
    return [
        {"path": str(p.final.relative_to(root)), "rows": p.rows}
        for p in parts
        if p.final != Path() and not p.retracted
    ]
