"""Scratch files and folders of a running write (statement stages, sort and spill folders),
named after their owner process so that a later run can remove those a killed process left;
`replacing(path)`, for a file that must appear whole or not at all; and `HeldInterrupts`, which
holds Ctrl-C back over the few steps that must finish once a commit is made.

Every scratch name holds `owner_tag()`: this host's name (letters, digits and `_` only) and
the process id, as `<host>.<pid>`. `sweep(directory)` removes the scratch entries of that
directory whose owner ran on this host and is no longer alive; entries of other hosts (a
shared folder) or of live processes are never touched. A reused process id only keeps an
orphan a little longer.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from ironriver.logs import get_logger

log = get_logger(__name__)

# the scratch kinds: a store's side file `.<db>.stage-<tag>-...`, Arrow stage files
# `.ironriver-stage-<tag>-...`, spill folders `ironriver-ingest-<tag>-...` (sort folders
# are named after their side file, so they carry its tag)
_SCRATCH = re.compile(r"(?:\.stage-|ironriver-stage-|ironriver-ingest-)(\w+)\.(\d+)-")


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


def sweep(directory: Path) -> int:
    """Remove the scratch entries in `directory` left by dead processes of this host; return
    how many were removed (0 when the folder does not exist)."""
    try:
        entries = list(directory.iterdir())
    except OSError:
        return 0
    host = _host()
    removed = 0
    for entry in entries:
        found = _SCRATCH.search(entry.name)
        if found is None or found.group(1) != host or _alive(int(found.group(2))):
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


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary path beside `path` to write to: renamed to `path` when the block ends
    normally, removed when it raises, so `path` is never half-written."""
    tmp = path.with_name(f".{path.name}.part")
    try:
        yield tmp
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


class HeldInterrupts:
    """Ctrl-C (SIGINT) held back between `hold()` and `release()`: for the steps after a
    commit that must finish with it (renaming an ingest's ledger parts into place), so an
    interrupt cannot leave a committed ingest without its parts. `release()` restores the
    handler and says whether an interrupt came meanwhile (the caller raises it then). Only
    the main thread receives signals; elsewhere, and when SIGINT is ignored, this does
    nothing."""

    def __init__(self) -> None:
        self._previous: Any = None
        self._held = False
        self.caught = False

    def hold(self) -> None:
        if self._held or threading.current_thread() is not threading.main_thread():
            return
        previous = signal.getsignal(signal.SIGINT)
        if previous == signal.SIG_IGN:
            return
        self._previous = signal.default_int_handler if previous is None else previous
        signal.signal(signal.SIGINT, self._catch)
        self._held = True

    def _catch(self, signum: int, frame: FrameType | None) -> None:
        self.caught = True
        log.info("ingest.interrupt_held")

    def release(self) -> bool:
        if self._held:
            signal.signal(signal.SIGINT, self._previous)
            self._held = False
        return self.caught
