"""A SQLite store made by a command that then stored nothing in it, removed again.

`ironriver ingest` into a new `--db` must open, and so make, the store before it reads its
records (it stages them beside the store); refused for them (a malformed file, rejected
rows), it left an empty store behind, where a refusal decided before the store is opened (a
wrong mapping, a dataset the principal may not load) leaves none. `absent_paths`, taken
before the open, names what a SQLite store at that URL would make and is not there yet;
`remove_unused` removes those paths only when that open made the store (`Store.created`),
no other open of it exists, and nothing was stored in it since.

"No other open" is the store's open lock (`store.open_lock`): every open of a SQLite store
holds it SHARED until it closes, and the removal takes it EXCLUSIVE without waiting. Another
command that has the store open (an ingest reading its records into it, a search, whenever
it started) makes the removal keep the store (`Removal.IN_USE`); one that opens it while the
removal holds the lock waits, then finds no store, or makes a new one. Under the lock it
looks at what was stored (`Store.holds_data`: a dataset, a statement, a ledger part) and at
both audit chains: an event of any actor but the store's own (`ironriver`), in the writes
chain or in the read-audit file (a search another principal ran on the new store and
closed), keeps it too (`Removal.USED`). So a store that existed before the command is never
removed, nor one another process has open, wrote into, or read.

A server database (PostgreSQL) is never dropped, nor emptied: an ingest refused after it
made the store's tables in an empty database leaves them there (and its ledger folder).
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from enum import Enum
from pathlib import Path

from ironriver.logs import get_logger
from ironriver.settings import Settings
from ironriver.store.audit import READ_FILE_SUFFIX
from ironriver.store.open_lock import open_lock_path
from ironriver.store.opening import SYSTEM_ACTOR
from ironriver.store.store import Store

_SIDE_FILES = ("-wal", "-shm", "-journal")  # SQLite's, beside a database file
log = get_logger(__name__)


def absent_paths(settings: Settings) -> tuple[Path, ...]:
    """What opening a store at `settings` with `create=True` may make that does not exist
    now: for a SQLite file not there yet, the file, its read-audit file (each with SQLite's
    side files), its open lock file (`open_lock`) and its ledger folder (the one given,
    `IRONRIVER_LEDGERS`, only if it does not exist either). The file is the resolved one
    (`Settings.db_file`): through a link to no file yet, the file it points to, which the
    open makes (the link is the user's: it stays). Empty for an existing file, an in-memory
    store or a server store."""
    db = settings.db_file
    if db is None or db.exists() or db.is_symlink():
        return ()
    reads = db.with_name(db.name + READ_FILE_SUFFIX)
    paths = [Path(f"{base}{side}") for base in (db, reads) for side in ("", *_SIDE_FILES)]
    paths.append(open_lock_path(db))
    paths.append(settings.ledger_dir)
    return tuple(p for p in paths if not (p.exists() or p.is_symlink()))


class Removal(Enum):
    """What `remove_unused` did with the store."""

    REMOVED = "removed"
    NOT_MADE = "not made"  # not made by its open (it existed), or not a SQLite file: kept
    IN_USE = "in use"  # another open of it exists (in this process or another): kept
    USED = "used"  # something was stored in it, or read from it, since: kept


def remove_unused(store: Store, absent: Sequence[Path]) -> Removal:
    """Remove `absent` (`absent_paths`, taken before `store` was opened) when that open made
    the store, no other open of it exists and nothing was stored in it or read from it since
    (closing `store`); else leave it, and `store` open, as they are and say why."""
    lock = store.open_lock
    if not absent or not store.created or lock is None:
        return Removal.NOT_MADE
    with lock.exclusive() as alone:
        if not alone:
            log.info("store.unused_kept_in_use", path=str(absent[0]))
            return Removal.IN_USE
        if _used(store):
            return Removal.USED
        store.open_lock = None  # (held until the files are gone: released below)
        store.close()
        try:
            _remove(absent, lock.path)
        finally:
            lock.release()
    log.info("store.removed_unused", paths=[str(p) for p in absent])
    return Removal.REMOVED


def _used(store: Store) -> bool:
    """Whether anything was stored in `store`, or any event recorded in either audit chain
    but its own (a read another principal made included)."""
    return store.holds_data() or any(e.actor != SYSTEM_ACTOR for e in store.audit.events())


def _remove(absent: Sequence[Path], lock_file: Path) -> None:
    """Remove `absent`, its open lock file last (an open waiting on it then starts again)."""
    for path in sorted(absent, key=lambda p: p == lock_file):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
