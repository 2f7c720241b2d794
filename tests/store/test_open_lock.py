"""A SQLite store's open lock (`store.open_lock`) and `remove_unused`, which removes a new
store only while no other open of it exists: real SQLite stores, opened in this process and
in another, real one (a `python -c` that opens the store and holds it until told)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ironriver.errors import ConfigError
from ironriver.settings import Settings
from ironriver.store import Removal, Store, absent_paths, open_store, remove_unused
from ironriver.store.open_lock import open_lock_path

_HOLDER = """
import sys
from ironriver.store import open_store
store = open_store(sys.argv[1], create=False)
print("open", flush=True)
sys.stdin.readline()
store.close()
print("closed", flush=True)
sys.stdin.readline()
"""


@contextmanager
def _holder(db: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process that has the store at `db` open until a line is written to it (then
    closes it, and says so); killed at the end."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    command = [sys.executable, "-c", _HOLDER, f"sqlite:///{db}"]
    pipe = subprocess.PIPE
    with subprocess.Popen(command, stdin=pipe, stdout=pipe, text=True, env=env) as proc:
        try:
            assert proc.stdout is not None and proc.stdout.readline() == "open\n"
            yield proc
        finally:
            proc.kill()


def _new(db: Path) -> tuple[Store, tuple[Path, ...]]:
    """The store a command makes at the new path `db`, and what its open made there."""
    settings = Settings.from_env({}, db=f"sqlite:///{db}")
    absent = absent_paths(settings)
    store = open_store(settings)
    assert store.created and absent
    return store, absent


def test_a_lone_new_store_is_removed_with_its_lock_file(tmp_path: Path) -> None:
    """A new store nothing else opened: removed, its files and lock file with it."""
    folder = tmp_path / "new"
    folder.mkdir()
    store, absent = _new(folder / "s.db")
    assert open_lock_path(folder / "s.db") in absent and open_lock_path(folder / "s.db").exists()
    assert remove_unused(store, absent) is Removal.REMOVED
    assert sorted(folder.iterdir()) == []


def test_a_store_another_process_has_open_is_kept_until_it_closes(tmp_path: Path) -> None:
    """Another process opened the new store (and holds it open): the removal keeps it, and
    the store stays usable; once that process closed it, a second removal removes it."""
    db = tmp_path / "s.db"
    store, absent = _new(db)
    with _holder(db) as holder:
        assert remove_unused(store, absent) is Removal.IN_USE
        assert db.exists() and not store.holds_data()  # kept, and still open here
        assert holder.stdin is not None and holder.stdout is not None
        holder.stdin.write("close\n")
        holder.stdin.flush()
        assert holder.stdout.readline() == "closed\n"
        assert remove_unused(store, absent) is Removal.REMOVED
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_killed_process_holds_no_lock(tmp_path: Path) -> None:
    """A process killed with the store open (SIGKILL: no close) holds it no longer."""
    db = tmp_path / "s.db"
    store, absent = _new(db)
    with _holder(db) as holder:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        assert remove_unused(store, absent) is Removal.REMOVED
    assert not db.exists()


def test_an_open_in_this_process_keeps_it_until_closed(tmp_path: Path) -> None:
    """Two opens in one process are two opens: the other's keeps the store; its close
    releases its lock (the lock is the open's, not the process's)."""
    db = tmp_path / "s.db"
    store, absent = _new(db)
    other = open_store(f"sqlite:///{db}", create=False)
    assert remove_unused(store, absent) is Removal.IN_USE
    other.close()
    other.close()  # (again: nothing)
    assert remove_unused(store, absent) is Removal.REMOVED
    assert sorted(tmp_path.iterdir()) == []


def test_opens_waiting_on_a_removal_find_no_store_or_make_their_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opens that start while the removal holds the lock wait for it. Then a reading one
    finds no store (and makes no file); an ingest's (create) makes a new store, under a lock
    file of its own at the path (not the removed one it waited on): a later open of that
    store holds the same lock, so that the new store's own removal sees it."""
    import ironriver.store.unused as unused

    db = tmp_path / "s.db"
    store, absent = _new(db)
    results: dict[bool, Store | ConfigError] = {}
    opens = [threading.Thread(target=_open_into, args=(db, create, results)) for create in (0, 1)]
    remove = unused._remove

    def remove_while_opens_wait(paths: tuple[Path, ...], lock_file: Path) -> None:
        for thread in opens:
            thread.start()
        opens[1].join(0.5)
        assert all(thread.is_alive() for thread in opens)  # waiting for the removal's lock
        remove(paths, lock_file)

    monkeypatch.setattr(unused, "_remove", remove_while_opens_wait)
    assert remove_unused(store, absent) is Removal.REMOVED
    for thread in opens:
        thread.join(30)
    reading, made = results[False], results[True]
    assert isinstance(reading, ConfigError) and "There is no ironriver store" in str(reading)
    assert isinstance(made, Store) and made.created and made.open_lock is not None
    later = open_store(f"sqlite:///{db}", create=False)
    try:
        with made.open_lock.exclusive() as alone:
            assert not alone  # `later` holds the lock `made` holds: one file
    finally:
        later.close()
        made.close()


def _open_into(db: Path, create: bool, results: dict[bool, Store | ConfigError]) -> None:
    try:
        results[create] = open_store(f"sqlite:///{db}", create=create)
    except ConfigError as exc:
        results[create] = exc


def test_a_reading_open_makes_no_lock_file(tmp_path: Path) -> None:
    """A store without a lock file (made before it existed, or it was deleted): a reading
    open takes none and makes none (nothing written beside a store only read); an open that
    may create one makes it."""
    db = tmp_path / "s.db"
    open_store(f"sqlite:///{db}").close()
    open_lock_path(db).unlink()
    reading = open_store(f"sqlite:///{db}", create=False)
    assert reading.open_lock is None and not open_lock_path(db).exists()
    reading.close()
    with pytest.raises(ConfigError):
        open_store(f"sqlite:///{tmp_path / 'missing.db'}", create=False)
    assert sorted(p.name for p in tmp_path.iterdir() if "missing" in p.name) == []
    writing = open_store(f"sqlite:///{db}")
    assert writing.open_lock is not None and open_lock_path(db).exists()
    assert not writing.created
    writing.close()


def test_a_server_store_has_no_open_lock_and_is_never_removed(pg_url: str, tmp_path: Path) -> None:
    """PostgreSQL: no lock file, nothing to remove (a server database is never dropped)."""
    settings = Settings.from_env({}, db=pg_url)
    absent = absent_paths(settings)
    store = open_store(settings, ledger_dir=tmp_path / "ledgers")
    try:
        assert store.created and store.open_lock is None and absent == ()
        assert remove_unused(store, absent) is Removal.NOT_MADE
        assert store.datasets() == []  # (still open, its tables there)
    finally:
        store.close()
