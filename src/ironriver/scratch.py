"""Scratch files and folders of a running write (statement stages, sort and spill folders),
named after their owner process so that a later run can remove those a killed process left;
and `replacing(path)`, for a file that must appear whole or not at all.

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
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
