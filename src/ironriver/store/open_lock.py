"""A SQLite store's open lock: which processes have the store open, for `store.unused`.

Every open of a file-backed SQLite store (`open_store`) holds a SHARED `flock` on a small
empty file beside it, `store.db.open-lock`, from before its first look at the store's files
until `Store.close` (or the process's end: the kernel releases a dead process's locks). An
open that may create the store (`create=True`: `init`, `ingest`) makes that file; one that
may not (every reading command, `audit verify`, on a backup too) uses it only where it
exists, so that it writes nothing beside a store it only reads. A store made by an open has
the file from before its database file existed.

`store.unused.remove_unused` removes the store a refused ingest made only while it holds the
lock EXCLUSIVE (`OpenLock.exclusive`, not waiting): then no other open of the store exists,
in this process or another, and none can start until the files are gone. It removes the
lock file last, still holding it; an open waiting on a lock file that was removed meanwhile
finds it is not the file at the path any more and starts again (a new store, or "no store").

Why a file of its own and not a `flock` on the database file: SQLite locks its files with
POSIX `fcntl` locks, which a process loses on every descriptor of the file when it closes
any one of them (`sqlite_files`); a descriptor of ours on the database file, closed when one
store closes, would drop the locks of another store of the same process on that file. A
`flock` is a lock of its own kind, held by an open file description: two opens in one
process conflict as two processes do, and SQLite's locks are not touched.

The lock file holds nothing and may be deleted while no process has the store open; copies
and backups need not carry it. `flock` is a POSIX (Linux, macOS) call: Windows is not a
target. On NFS, Linux emulates `flock` with POSIX locks of the whole file, which do not tell
two opens of one process apart (SQLite advises against network file systems anyway). PostgreSQL stores and in-memory SQLite have no lock file (a server database is never
removed).
"""

from __future__ import annotations

import fcntl
import os
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ironriver.logs import get_logger

OPEN_LOCK_SUFFIX = ".open-lock"
_ATTEMPTS = 100  # lock files replaced under an open waiting on them: never more than a few
log = get_logger(__name__)


def open_lock_path(db_file: str | Path) -> Path:
    """The lock file of the SQLite store file `db_file`, beside it. `db_file` is the resolved
    path its URL names (`settings.to_url`), as for the read-audit file and the ledger
    folder: every name of the store (a link, `..`) shares one lock."""
    path = Path(db_file)
    return path.with_name(path.name + OPEN_LOCK_SUFFIX)


class OpenLock:
    """A SHARED `flock` on one store's lock file, held until `release`."""

    def __init__(self, fd: int, path: Path, made: bool = False) -> None:
        self.path = path
        self.made = made  # whether the open that holds it made the lock file
        self._fd = fd
        # a store dropped without `close` releases its lock when it is collected
        self._finalizer = weakref.finalize(self, os.close, fd)

    @property
    def held(self) -> bool:
        return self._finalizer.alive

    def release(self) -> None:
        """Release the lock (closing its descriptor); again: nothing."""
        self._finalizer()

    def discard(self) -> None:
        """Release it, removing the lock file first if the open holding it made it and no
        other open holds it: what an open that failed (another application's database, a
        file that is not one) leaves beside the file is what was there."""
        if self.made and self.held:
            with self.exclusive() as alone:
                if alone and _is_at(self._fd, self.path):
                    self.path.unlink()
        self.release()

    @contextmanager
    def exclusive(self) -> Iterator[bool]:
        """Whether the lock could be made EXCLUSIVE now, without waiting: no other open of
        the store holds it. While the block runs it stays so (an open waits); after it, it
        is SHARED again, unless released within the block. A lock made exclusive is not
        shared on the way (Linux drops the shared lock first): taken again after a refusal."""
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fcntl.flock(self._fd, fcntl.LOCK_SH)
            yield False
            return
        try:
            yield True
        finally:
            if self.held:
                fcntl.flock(self._fd, fcntl.LOCK_SH)


def hold_open_lock(db_file: str | Path, create: bool) -> OpenLock | None:
    """The SHARED open lock of the SQLite store file `db_file`, waiting while a removal holds
    it; its lock file is made when `create`. None: no lock file and `create` false (a store
    made before this lock existed, or one whose removal finished: the caller finds no store
    then), or a lock file that cannot be made or opened (a read-only folder, a folder that
    does not exist: SQLite's own open then says what is wrong; nothing can remove a store
    there either)."""
    path = open_lock_path(db_file)
    for _ in range(_ATTEMPTS):
        try:
            fd, made = _open(path, create)
        except FileNotFoundError:
            if create:  # (its folder does not exist)
                return None
            if not Path(db_file).exists() or not path.exists():
                return None  # (a removal ended since: no store, or one made before locks)
            continue  # a store made at this path since (its lock file first): lock it
        except OSError as exc:
            log.debug("store.open_lock_unavailable", path=str(path), error=str(exc))
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)  # (waits only for a removal: milliseconds)
        except OSError as exc:  # (a file system without locks)
            os.close(fd)
            log.debug("store.open_lock_unavailable", path=str(path), error=str(exc))
            return None
        if _is_at(fd, path):
            return OpenLock(fd, path, made)
        os.close(fd)  # removed while this waited: the store it guarded is gone; again
    log.warning("store.open_lock_unsettled", path=str(path), attempts=_ATTEMPTS)
    return None


def _open(path: Path, create: bool) -> tuple[int, bool]:
    """A descriptor of the lock file `path`, and whether this made it (only when `create`);
    read-only when it may not be written (`flock` needs no write access)."""
    if create:
        try:
            return os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644), True
        except FileExistsError:
            pass
    try:
        return os.open(path, os.O_RDWR), False
    except PermissionError:
        return os.open(path, os.O_RDONLY), False


def _is_at(fd: int, path: Path) -> bool:
    """Whether the file `fd` has open is still the one at `path` (not removed, nor replaced)."""
    try:
        at = path.stat()
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (at.st_dev, at.st_ino)
