"""The open lock a refused or declined `remove_unused` leaves: the store's own open still
holds it SHARED, neither lost (a refused EXCLUSIVE `flock` drops the shared lock it was
converting) nor left EXCLUSIVE (every other open of the store would wait on it). Found by
hand mutants of `OpenLock.exclusive`."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

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
