"""A store on a read-only file system (a backup's read-only mount): `audit verify` and the
other commands that write nothing run on it; those that write say so."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from ironriver.cli import cli
from ironriver.store import dialect
from samples import sample_db

READ_ONLY = "The store is read-only"


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def _backup(tmp_path: Path, into: Path) -> Path:
    """A store with the sample data, closed, and copied into `into` as a backup is: the
    store file and its read-audit file."""
    db = sample_db(tmp_path, "live.db")
    code, out = _run("search", "perez", "--db", db, "--as", "us-atf-analyst", "--reason", "r")
    assert code == 0, out  # a read, so the reads chain has an event to verify
    into.mkdir(exist_ok=True)
    for name in ("live.db", "live.db.read-audit.sqlite"):
        shutil.copy(tmp_path / name, into / name)
    return into / "live.db"


def _check_backup(db: Path) -> None:
    code, out = _run("audit", "verify", "--db", str(db))
    assert code == 0 and "Audit log intact" in out, out
    code, out = _run("stats", "--db", str(db), "--as", "us-atf-analyst")
    assert code == 0 and "Individual" in out, out
    # an audited read must write its event: refused, saying why, nothing written
    code, out = _run("search", "perez", "--db", str(db), "--as", "us-atf-analyst", "--reason", "r")
    assert code != 0 and READ_ONLY in out and "Traceback" not in out, out


@pytest.fixture
def read_only_mount(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs mounted at a folder of `tmp_path`, to be remounted read-only (needs root)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a read-only file system needs root (the other tests here cover it)")
    where = tmp_path / "backup"
    where.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(where)])
    if mounted.returncode:
        pytest.skip("cannot mount a tmpfs here (a container without CAP_SYS_ADMIN)")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_audit_verify_runs_on_a_read_only_mount(tmp_path: Path, read_only_mount: Path) -> None:
    """WAL mode needs a -shm file beside the store: on a read-only mount every command
    failed to open it, though docs/policy.md promises `verify` runs on a read-only backup."""
    db = _backup(tmp_path, read_only_mount)
    subprocess.run(["mount", "-o", "remount,ro", str(read_only_mount)], check=True)
    _check_backup(db)
    assert sorted(p.name for p in read_only_mount.iterdir()) == [
        "live.db",
        "live.db.read-audit.sqlite",
    ]


def test_a_read_only_store_is_opened_immutable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(The same, where no file system can be mounted: the store is taken to be on one.)
    It is opened without a -shm or -wal file, and an audited read is refused."""
    db = _backup(tmp_path, tmp_path / "copy")
    monkeypatch.setattr(dialect, "_on_read_only_media", lambda path: True)
    _check_backup(db)
    assert sorted(p.name for p in db.parent.iterdir()) == ["live.db", "live.db.read-audit.sqlite"]


def test_a_read_only_copy_with_a_write_ahead_log_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A copy taken while the store was written holds a -wal file whose changes a
    read-only open would silently ignore: refused, saying what to do."""
    db = _backup(tmp_path, tmp_path / "copy")
    (db.parent / "live.db-wal").write_bytes(b"\0" * 4096)
    monkeypatch.setattr(dialect, "_on_read_only_media", lambda path: True)
    code, out = _run("audit", "verify", "--db", str(db))
    assert code != 0 and "write-ahead log (live.db-wal)" in out, out
    assert "Copy both files to a writable folder" in out
