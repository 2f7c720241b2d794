"""A SQLite store made by a command that then stored nothing in it, removed again.

`ironriver ingest` into a new `--db` must open, and so make, the store before it reads its
records (it stages them beside the store); refused for them (a malformed file, rejected
rows), it left an empty store behind, where a refusal decided before the store is opened (a
wrong mapping, a dataset the principal may not load) leaves none. `absent_paths`, taken
before the open, names what a SQLite store at that URL would make and is not there yet;
`remove_unused` removes those paths only when that open made the store (`Store.created`)
and nothing was stored in it since (`Store.holds_data`: no dataset, statement or ledger
part; and no audit event but the store's own, actor `ironriver`). So a store that existed
before the command is never removed, nor one another process wrote into meanwhile. (A
process opening the same new path between that check and the removal would lose the store
it found: two commands making one new store at the same instant, one of them refused.)

A server database (PostgreSQL) is never dropped, nor emptied: an ingest refused after it
made the store's tables in an empty database leaves them there (and its ledger folder).
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.engine import make_url

from ironriver.logs import get_logger
from ironriver.settings import Settings
from ironriver.store.audit import READ_FILE_SUFFIX, EventFilter
from ironriver.store.opening import SYSTEM_ACTOR
from ironriver.store.store import Store

_SIDE_FILES = ("-wal", "-shm", "-journal")  # SQLite's, beside a database file
log = get_logger(__name__)


def absent_paths(settings: Settings) -> tuple[Path, ...]:
    """What opening a store at `settings` with `create=True` may make that does not exist
    now: for a SQLite file not there yet, the file, its read-audit file (each with SQLite's
    side files) and its ledger folder (the one given, `IRONRIVER_LEDGERS`, only if it does
    not exist either). Empty for an existing file, an in-memory store or a server store."""
    url = make_url(settings.db_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return ()
    db = Path(url.database)
    if db.exists() or db.is_symlink():
        return ()
    resolved = db.resolve()
    reads = resolved.with_name(resolved.name + READ_FILE_SUFFIX)
    paths = [Path(f"{base}{side}") for base in (db, reads) for side in ("", *_SIDE_FILES)]
    paths.append(settings.ledger_dir)
    return tuple(p for p in paths if not (p.exists() or p.is_symlink()))


def remove_unused(store: Store, absent: Sequence[Path]) -> bool:
    """Close `store` and remove `absent` (`absent_paths`, taken before it was opened) when
    that open made it and nothing was stored in it since; return whether it was removed
    (a store that existed, or that holds anything, is left as it is, open)."""
    if not absent or not store.created or store.holds_data():
        return False
    if any(e.actor != SYSTEM_ACTOR for e in store.audit.write_events(EventFilter())):
        return False
    store.close()
    for path in absent:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    log.info("store.removed_unused", paths=[str(p) for p in absent])
    return True
