"""Scratch files and folders of a running write (statement stages, sort and spill folders),
named after their owner process so that a later run can remove those a killed process left;
`replacing(path)`, for a file that must appear whole or not at all; `InterruptSignals`, which
makes SIGTERM stop the command line as Ctrl-C does and remembers which came;
`HeldInterrupts`, which holds both back over the few steps that must finish once a commit is
made; and `interrupted(exc)`, whether an exception shows one of them.

Every scratch name holds `owner_tag()`: this host's name (letters, digits and `_` only) and
the process id, as `<host>.<pid>`. `sweep(directory)` removes the scratch entries of that
directory whose owner ran on this host and is no longer alive; entries of other hosts (a
shared folder) or of live processes are never touched. A reused process id only keeps an
orphan a little longer.
"""

from __future__ import annotations

import errno
import glob
import hashlib
import os
import re
import shutil
import signal
import socket
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from types import FrameType
from typing import Any

from ironriver.logs import get_logger

log = get_logger(__name__)

# the scratch kinds: a store's side file `.<db>.stage-<tag>-...`, Arrow stage files
# `.ironriver-stage-<tag>-...`, spill folders `ironriver-ingest-<tag>-...` (sort folders
# are named after their side file, so they carry its tag)
_SCRATCH = re.compile(r"(?:\.stage-|ironriver-stage-|ironriver-ingest-)(\w+)\.(\d+)-")


@cache
def _host() -> str:
    return re.sub(r"\W", "_", socket.gethostname()) or "host"


def owner_tag() -> str:
    """`<host>.<pid>` of this process, for scratch names."""
    return f"{_host()}.{os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def is_dead_scratch(path: Path) -> bool:
    """Whether `path` is a scratch entry of a dead process of this host."""
    found = _SCRATCH.search(path.name)
    return found is not None and found.group(1) == _host() and not _alive(int(found.group(2)))


def sweep(directory: Path) -> int:
    """Remove the scratch entries in `directory` left by dead processes of this host; return
    how many were removed (0 when the folder does not exist)."""
    try:
        entries = list(directory.iterdir())
    except OSError:
        return 0
    removed = 0
    for entry in entries:
        if not is_dead_scratch(entry):
            continue
        try:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        except FileNotFoundError:
            continue  # another sweeper was first
        removed += 1
    if removed:
        log.info("scratch.swept", directory=str(directory), removed=removed)
    return removed


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, hex (hashlib reads it without holding the GIL): what an
    ingest's audit event records of its source file and of each ledger part. Read, not
    memory-mapped: a page of a map past the end of a file truncated meanwhile (an export
    rewritten in place) kills the process (SIGBUS), where a read just ends early."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def synced(path: Path) -> None:
    """Make what was written to the file `path`, or the entries of the folder `path`,
    durable (fsync): a write that must outlive a power loss in order (a ledger part before
    the commit that records it; a file before the rename that makes it the one read).
    A file system that cannot sync a folder (some network ones) is let be."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as exc:
        if not path.is_dir() or exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


@contextmanager
def early_writeback(path: Path) -> Iterator[Callable[[], None]]:
    """A function that starts writing to disk, in a background thread, what has been
    written to the file `path` so far (`fdatasync`), while the caller writes on: the
    `synced` that must follow then waits only for the last writes. Each call starts one
    when none is running (it never queues). An error of a writeback is raised here, when
    the block ends, and not lost: a later fsync on a new descriptor may not report it."""
    fd = os.open(path, os.O_RDONLY)
    pending: list[Future[None]] = []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="writeback") as pool:

        def flush() -> None:
            if not pending or pending[-1].done():
                pending.append(pool.submit(os.fdatasync, fd))

        try:
            yield flush
        finally:
            done = [f.exception() for f in pending]  # (waits for the last one)
            os.close(fd)
        for error in done:
            if error is not None:
                raise error


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary path beside `path` to write to: renamed to `path` when the block ends
    normally, removed when it raises, so `path` is never half-written.

    The temporary name is this process's own (`owner_tag()` and a random part): two
    commands writing one path at once (two exports to one `-o`) each write their own file and
    the last rename wins whole, where one shared name mixed both outputs into a file reported
    as written. Those a killed process left beside `path` are removed here. A folder at `path`
    is refused at once (IsADirectoryError), before any work; an OSError about the temporary
    path names `path` instead, as the user knows no other.

    Once renamed, the file is in place whole and stays: the folder's entry is then synced
    (`_entry_synced`), and should that fail, `FolderNotSynced` says so (not an OSError of
    the write: nothing is removed)."""
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    for left in path.parent.glob(f".{glob.escape(path.name)}.ironriver-stage-*.part"):
        if is_dead_scratch(left):
            left.unlink(missing_ok=True)
    tmp = path.with_name(f".{path.name}.ironriver-stage-{owner_tag()}-{uuid.uuid4().hex[:12]}.part")
    try:
        yield tmp
        if tmp.exists():
            synced(tmp)  # on disk before its name is: a power loss leaves the old file
        tmp.replace(path)
    except OSError as exc:
        if exc.filename not in (str(tmp), tmp):
            raise
        raise OSError(exc.errno, exc.strerror, str(path)) from exc  # its subclass, by errno
    finally:
        tmp.unlink(missing_ok=True)
    try:
        _entry_synced(path.parent)
    except OSError as exc:
        raise FolderNotSynced(exc.errno, exc.strerror, str(path)) from exc


class FolderNotSynced(OSError):
    """`replacing` put its file in place, whole, but could not sync its folder (a failing
    disk): the file is there, yet a power loss could still undo its rename (`filename`: the
    file)."""


def _entry_synced(folder: Path) -> None:
    """`synced(folder)`, for the entry of a file `replacing` renamed there; a folder this
    user may write to but not read (a "drop box", mode 0333: it cannot be opened, to sync
    or otherwise) is let be. That is safe: the file was synced before its rename, so a
    power loss leaves the old file or the new one, whole, never a half-written one; only
    the rename may not outlive it, which no one but the folder's owner could prevent."""
    try:
        synced(folder)
    except PermissionError:
        log.info("scratch.folder_not_synced", folder=str(folder), why="not readable")


_HELD = (signal.SIGINT, signal.SIGTERM)


class Terminated(KeyboardInterrupt):
    """SIGTERM (a service manager or `kill` stopping the command), raised like Ctrl-C's
    KeyboardInterrupt so that the same clean-up runs (see `InterruptSignals`)."""


class InterruptSignals:
    """Ctrl-C (SIGINT) raises KeyboardInterrupt and SIGTERM `Terminated` in the main thread
    once `install()`ed (the command line does this; a library caller keeps its own
    handlers), and `received` keeps the first of them that came.

    The exception alone cannot tell: a library between the handler and the command may report
    it as an error of its own, dropping it. ADBC pulling rows from a Python generator raises an
    OperationalError that only names it; DuckDB ends a query a signal stopped with a bare
    "Query interrupted", whichever signal it was."""

    def __init__(self) -> None:
        self.received: int | None = None

    def install(self) -> None:
        for signum in _HELD:
            signal.signal(signum, self._raise)

    def _raise(self, signum: int, frame: FrameType | None) -> None:
        if self.received is None:
            self.received = signum
        raise Terminated if signum == signal.SIGTERM else KeyboardInterrupt


def interrupted(exc: BaseException) -> bool:
    """Whether `exc` shows Ctrl-C (SIGINT) or SIGTERM: a KeyboardInterrupt (`Terminated`
    for SIGTERM), click's Abort made of one, an error raised while handling one (ADBC's
    SIGINT handler tries to cancel its statement and raises the driver's "not implemented"
    from the KeyboardInterrupt), or DuckDB's own error for a query the signal stopped (we
    never interrupt queries ourselves)."""
    return any(isinstance(e, KeyboardInterrupt) or _duckdb_interrupt(e) for e in causes(exc))


def causes(exc: BaseException) -> Iterator[BaseException]:
    """`exc`, then what it was raised from or while handling, and so on."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        yield current
        seen.add(id(current))
        current = current.__cause__ or current.__context__


def _duckdb_interrupt(exc: BaseException) -> bool:
    duckdb = sys.modules.get("duckdb")
    if duckdb is not None and isinstance(exc, duckdb.InterruptException):
        return True
    # a query DuckDB runs for a registered Arrow object reports it as a bare RuntimeError
    return type(exc) is RuntimeError and str(exc) == "Query interrupted"


class HeldInterrupts:
    """SIGINT (Ctrl-C) and SIGTERM held back between `hold()` and `release()`: for the steps
    after a commit that must finish with it (renaming an ingest's ledger parts into place),
    so a signal cannot leave a committed ingest without its parts. `release()` restores the
    handlers and then delivers what came meanwhile, to them: Ctrl-C raises KeyboardInterrupt,
    a SIGTERM does what it did before (`Terminated` under the command line, else the process
    ends). Only the main thread receives signals; elsewhere this does nothing, and an ignored
    signal stays ignored."""

    def __init__(self, notice: Callable[[], None] | None = None) -> None:
        self._previous: dict[int, Any] = {}
        self.caught: list[int] = []
        self._notice = notice  # called once, at the first signal held (to say why we wait)

    def hold(self) -> None:
        if self._previous or threading.current_thread() is not threading.main_thread():
            return
        for signum in _HELD:
            previous = signal.getsignal(signum)
            if previous == signal.SIG_IGN:
                continue
            if previous is None:  # set outside Python: the default is the safe guess
                previous = signal.default_int_handler if signum == signal.SIGINT else signal.SIG_DFL
            self._previous[signum] = previous
            signal.signal(signum, self._catch)

    def _catch(self, signum: int, frame: FrameType | None) -> None:
        if not self.caught and self._notice is not None:
            self._notice()
        if signum not in self.caught:
            self.caught.append(signum)
        log.info("ingest.signal_held", signal=signal.Signals(signum).name)

    def release(self) -> None:
        previous, self._previous = self._previous, {}
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        caught, self.caught = self.caught, []
        for signum in sorted(caught, key=_HELD.index, reverse=True):  # SIGTERM first: if
            signal.raise_signal(signum)  # its handler raises, the Ctrl-C is moot
