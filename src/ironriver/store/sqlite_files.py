"""The SQLite files this process holds open through Python's `sqlite3`, so that the ADBC
SQLite driver (which links a SQLite library of its own) reads a file only while `sqlite3`
holds none of it open.

Why: POSIX advisory locks belong to a process and a file, not to a descriptor. Closing any
descriptor of a file drops every lock the process holds on it, and two locks of one process
never conflict. One SQLite library knows this (it keeps a file's descriptors open until its
last lock on the file is released, and tells its own connections apart itself); two
libraries in one process do not know of each other (sqlite.org/howtocorrupt.html, 2.2.1).
With a store opened twice in one process, an ADBC read through one store missed the rows
the other had committed since, and after a read while the other held a connection, the
file could not be read at all ("disk I/O error"): `tests/store/test_sqlite_files.py`.

The rule, kept by construction:
- every `sqlite3` connection of the store's engines is a `TrackedConnection`
  (`dialect.engine_options`), counted under its file while it is open;
- an engine configured for a store file is registered on it (`track_engine`, called by
  `dialect.configure_engine`; weak references: a closed, dropped store is forgotten);
- a bulk read (`dialect.read_table`) takes `adbc_alone`: it closes the idle connections of
  every engine registered on the file (their pools open new ones when next used), and uses
  ADBC only if no `sqlite3` connection to the file is left open anywhere in the process (one
  checked out, by this thread or another, means it reads through the engine instead: slower,
  never wrong);
- while an ADBC read holds the file, a new `sqlite3` connection to it waits until it is done.

A file is known by its resolved path: a hard link to a store's file under another name is
another file here (ironriver makes none).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import Engine


@dataclass
class _File:
    """What this process holds of one SQLite file."""

    connections: weakref.WeakSet[TrackedConnection] = field(default_factory=weakref.WeakSet)
    engines: weakref.WeakSet[Engine] = field(default_factory=weakref.WeakSet)
    adbc_reads: int = 0  # ADBC reads in progress: a new sqlite3 connection waits for them


# one lock for every file's entry (held for microseconds: a count, an open, a pool's idle
# connections closed); re-entrant, as closing a pool's connections under it runs `close`
_changed = threading.Condition(threading.RLock())
_files: dict[str, _File] = {}


def file_key(path: str) -> str:
    """The key of the SQLite file `path` (a path as an engine's URL gives it)."""
    return os.path.realpath(path)


def _uri_file(database: str, uri: bool) -> str | None:
    """The file `sqlite3.connect(database, uri=uri)` opens; None for an in-memory database."""
    if uri and database.startswith("file:"):
        parts = urlsplit(database)
        if "mode=memory" in parts.query.split("&"):
            return None
        database = unquote(parts.path)
    if not database or database == ":memory:":
        return None
    return file_key(database)


def _entry(key: str) -> _File:
    return _files.setdefault(key, _File())


class TrackedConnection(sqlite3.Connection):
    """A `sqlite3` connection that is counted under its file while it is open, and whose
    opening waits while an ADBC read holds that file (see the module's docstring). Pass it
    as `sqlite3.connect`'s `factory`."""

    def __init__(self, database: str, *args: Any, **kwargs: Any) -> None:
        key = _uri_file(str(database), bool(kwargs.get("uri")))
        if key is None:
            super().__init__(database, *args, **kwargs)
            return
        with _changed:
            entry = _entry(key)
            _changed.wait_for(lambda: not entry.adbc_reads)
            super().__init__(database, *args, **kwargs)  # (opens the file's descriptor)
            entry.connections.add(self)
        self._ironriver_file = key

    def close(self) -> None:
        try:
            super().close()
        finally:
            key = getattr(self, "_ironriver_file", None)
            if key is not None:
                with _changed:
                    _entry(key).connections.discard(self)


def track_engine(engine: Engine, path: str) -> None:
    """Register `engine`, whose connections open the SQLite file `path`: an ADBC read of
    that file closes its idle connections first (`adbc_alone`)."""
    with _changed:
        _entry(file_key(path)).engines.add(engine)


def open_connections(path: str) -> int:
    """How many `sqlite3` connections of this process's store engines are open on `path`."""
    with _changed:
        entry = _files.get(file_key(path))
        return 0 if entry is None else len(entry.connections)


@contextmanager
def adbc_alone(path: str, engines: Iterable[Engine] = ()) -> Iterator[bool]:
    """Whether ADBC may read the SQLite file `path` now (see the module's docstring): the
    idle connections of the engines registered on it (and of `engines`) are closed first;
    true when no `sqlite3` connection to it is left open in this process, and then, until
    the block ends, a new one waits. False: read through an engine instead."""
    key = file_key(path)
    with _changed:
        entry = _entry(key)
        for engine in {*entry.engines, *engines}:
            # the pool's checked-in connections (a checked-out one stays open, and counted)
            engine.pool.dispose()
        alone = not entry.connections
        if alone:
            entry.adbc_reads += 1
    try:
        yield alone
    finally:
        if alone:
            with _changed:
                entry.adbc_reads -= 1
                _changed.notify_all()
