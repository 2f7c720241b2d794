"""The open lock a refused or declined `remove_unused` leaves: the store's own open still
holds it SHARED, neither lost (a refused EXCLUSIVE `flock` drops the shared lock it was
converting) nor left EXCLUSIVE (every other open of the store would wait on it). Found by
hand mutants of `OpenLock.exclusive`."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Any

import pytest

from ironriver.settings import Settings
from ironriver.store import DatasetInfo, Removal, Store, absent_paths, open_store, remove_unused
from ironriver.store.open_lock import open_lock_path


def _new(db: Path) -> tuple[Store, tuple[Path, ...]]:
    settings = Settings.from_env({}, db=f"sqlite:///{db}")
    absent = absent_paths(settings)
    return open_store(settings), absent


def _shared_now(db: Path) -> bool:
    """Whether another open could take the store's lock SHARED at once (without waiting)."""
    fd = os.open(open_lock_path(db), os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def test_a_removal_refused_while_in_use_keeps_its_store_s_lock(tmp_path: Path) -> None:
    """Refused (another open exists), the store's open still holds its lock: once that other
    open closed, a third one is not alone."""
    db = tmp_path / "s.db"
    store, absent = _new(db)
    other = open_store(f"sqlite:///{db}", create=False)
    assert remove_unused(store, absent) is Removal.IN_USE
    other.close()
    third = open_store(f"sqlite:///{db}", create=False)
    try:
        assert third.open_lock is not None
        with third.open_lock.exclusive() as alone:
            assert not alone  # `store` still has the store open
    finally:
        third.close()
        store.close()


def test_a_used_store_kept_is_shared_again(tmp_path: Path) -> None:
    """Kept because something was stored in it, the store's lock is SHARED again: another
    open takes it at once (an EXCLUSIVE one left behind made every open wait)."""
    db = tmp_path / "s.db"
    store, absent = _new(db)
    with store.writer() as w:
        w.ensure_dataset(DatasetInfo(name="mx_fgr_x", agency="FGR", country="MX"))
    assert remove_unused(store, absent) is Removal.USED
    try:
        assert _shared_now(db)
    finally:
        store.close()


def test_a_discarded_lock_keeps_the_lock_file_another_open_holds(tmp_path: Path) -> None:
    """`OpenLock.discard` of the open that made the lock file removes it only when no
    other open holds it: held by a second open, it stays (that open's lock is on it)."""
    from ironriver.store.open_lock import hold_open_lock

    db = tmp_path / "s.db"
    made = hold_open_lock(db, create=True)
    other = hold_open_lock(db, create=False)
    assert made is not None and made.made and other is not None and not other.made
    made.discard()
    assert open_lock_path(db).exists()
    other.release()
    again = hold_open_lock(db, create=True)
    assert again is not None and not again.made  # (the same file, still there)
    again.discard()


def test_a_lock_file_that_may_not_be_written_is_locked_read_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lock file this user may only read (a store shared read-only; refused here by an
    injected PermissionError, as root may write any file): the open still holds its lock,
    through a read-only descriptor (`flock` needs no write access)."""
    import ironriver.store.open_lock as open_lock

    db = tmp_path / "s.db"
    open_store(f"sqlite:///{db}").close()
    real_open = os.open

    def refused_writing(path: Any, flags: int, *args: Any) -> int:
        if str(path).endswith(".open-lock") and flags & os.O_RDWR:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", refused_writing)
    lock = open_lock.hold_open_lock(db, create=False)
    assert lock is not None and lock.held
    monkeypatch.undo()
    fd = os.open(open_lock_path(db), os.O_RDONLY)
    try:
        with pytest.raises(BlockingIOError):
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.close(fd)
        lock.release()


def test_the_lock_file_is_removed_last(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`remove_unused` removes the store's files while its lock file is still there (and
    held): removed first, an open starting meanwhile found no lock file, so took none, and
    opened a store being removed under it."""
    db = tmp_path / "s.db"
    store, absent = _new(db)
    lock_file = open_lock_path(db)
    (tmp_path / "s.db-wal").touch()  # (SQLite's side file: one more path to remove)
    seen: list[tuple[str, bool]] = []
    real_unlink = Path.unlink

    def unlink(path: Path, missing_ok: bool = False) -> None:
        seen.append((path.name, lock_file.exists()))
        real_unlink(path, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink)
    assert remove_unused(store, absent) is Removal.REMOVED
    monkeypatch.undo()
    assert seen[-1][0] == lock_file.name and len(seen) > 1
    assert all(held for _, held in seen)
    assert sorted(tmp_path.iterdir()) == []


def test_a_store_another_command_made_first_is_not_removed(tmp_path: Path) -> None:
    """The store was made by another command between `absent_paths` and this open (which
    then made nothing): kept, though nothing is stored in it and no other open exists."""
    db = tmp_path / "s.db"
    absent = absent_paths(Settings.from_env({}, db=f"sqlite:///{db}"))
    open_store(f"sqlite:///{db}").close()  # (the other command's, closed again)
    store = open_store(f"sqlite:///{db}")
    try:
        assert not store.created
        assert remove_unused(store, absent) is Removal.NOT_MADE
        assert db.exists()
    finally:
        store.close()
