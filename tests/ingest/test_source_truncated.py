"""A source file that shrinks while the ingest reads it (an agency's export rewritten in place,
a share going away) gives an error or a short read, never a dead process: the readers of a
source file read it, not through a memory map, whose pages past the new end are SIGBUS
(review R18 F1: the ingest died with exit 135, no message, the new store left behind).

Each case runs one reader in a child process on a file big enough to take seconds, and
truncates the file once the child has started reading."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

# (each child prints "start" just before it reads the file named by its first argument)
READERS = {
    "sha256": "from ironriver.ingest.source import file_digest as read",
    "utf8": "from ironriver.ingest.encoding import valid_utf8_blocks as read",
    "csv": (
        "from ironriver.ingest.arrow_csv import _parse, _csv_options\n"
        "from ironriver.ingest.specs import SourceSpec\n"
        "def read(path):\n"
        "    spec = SourceSpec(path=path)\n"
        "    parse, convert = _csv_options(path, spec, ['txn', 'sold', 'price'])\n"
        "    return _parse(path, spec, parse, convert)\n"
    ),
}
CHILD = "{reader}\nimport sys\nfrom pathlib import Path\nprint('start', flush=True)\nread(Path(sys.argv[1]))\n"


def _big_file(path: Path, reader: str) -> None:
    """Seconds of work for `reader`: a sparse 3 GiB file for the hash and the UTF-8 check
    (no disk used), 120 MB of CSV rows for the parse."""
    if reader == "csv":
        block = "".join(f"T{i},01/05/2023,{i}.5\n" for i in range(40_000)).encode()
        with path.open("wb") as fh:
            fh.write(b"txn,sold,price\n")
            for _ in range(120_000_000 // len(block)):
                fh.write(block)
    else:
        with path.open("wb") as fh:
            fh.truncate(3 << 30)


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_source_truncated_while_read_does_not_kill_the_process(
    tmp_path: Path, reader: str
) -> None:
    path = tmp_path / "big.csv"
    _big_file(path, reader)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD.format(reader=READERS[reader]), str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None and child.stdout.readline() == b"start\n"
    time.sleep(0.3)  # (reading: seconds of it left)
    os.truncate(path, 4096)
    _, err = child.communicate(timeout=600)
    assert child.returncode != -signal.SIGBUS, "killed by SIGBUS"
    assert child.returncode == 0, err.decode()[-2000:]
