"""A ledger part is on disk (fsync) under its scratch name before the commit that records it,
and its folder after the rename (review R12 F4: after a power loss, a committed ingest event
must never name a part the disk lacks); `replacing` syncs a file before renaming it in."""

from __future__ import annotations

import errno
import os
import threading
import time
from pathlib import Path

import pytest
from sales_fixtures import make_sales_dir  # type: ignore[import-not-found]
from sqlalchemy import event

from ironriver import scratch
from ironriver.ingest import ingest_mapping
from ironriver.store import open_store


@pytest.fixture
def synced_log(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths fsynced, in order (read back from each descriptor), with "COMMIT" entries
    added by the caller's listener."""
    log: list[str] = []
    real = os.fsync

    def recording(fd: int) -> None:
        log.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    monkeypatch.setattr(scratch.os, "fsync", recording)
    return log


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc to name descriptors")
def test_a_part_is_synced_before_the_commit_that_records_it(
    tmp_path: Path, synced_log: list[str]
) -> None:
    folder = make_sales_dir(tmp_path)
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    event.listen(store.engine, "commit", lambda conn: synced_log.append("COMMIT"))
    result = ingest_mapping(store, folder / "sales.yaml", actor="test")
    assert result.ledger_rows == 4
    [part] = list(store.ledger_dir.rglob("part-*.parquet"))
    staged = [
        i for i, p in enumerate(synced_log) if ".ironriver-stage-" in p and p.endswith(".parquet")
    ]
    assert staged, synced_log  # the part, under its scratch name
    folder_synced = [i for i, p in enumerate(synced_log) if p == str(part.parent)]
    assert folder_synced and folder_synced[0] == staged[0] + 1  # and its name in the folder
    commits = [i for i, p in enumerate(synced_log) if p == "COMMIT"]
    assert any(c > staged[0] for c in commits)  # the ingest's commit comes after
    assert folder_synced[-1] > max(commits)  # the folder again after the rename
    store.close()


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc to name descriptors")
def test_replacing_syncs_the_file_before_renaming_it(tmp_path: Path, synced_log: list[str]) -> None:
    target = tmp_path / "out.json"
    with scratch.replacing(target) as tmp:
        tmp.write_text("{}", encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "{}"
    assert len(synced_log) == 2
    assert ".out.json.ironriver-stage-" in synced_log[0]  # the file, under its scratch name
    assert synced_log[1] == str(tmp_path)  # then the folder holding its new name


def test_early_writeback_starts_one_at_a_time_on_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writeback runs beside the writer; a call while one runs starts none (no queue)."""
    path = tmp_path / "part.bin"
    path.write_bytes(b"")
    started: list[int] = []
    release = threading.Event()

    def slow(fd: int) -> None:
        started.append(os.fstat(fd).st_ino)
        release.wait(10)

    monkeypatch.setattr(scratch.os, "fdatasync", slow)
    with path.open("ab") as out, scratch.early_writeback(path) as flush:
        out.write(b"x" * 1000)
        flush()
        for _ in range(5):
            flush()  # the first still runs
        release.set()
    assert started == [path.stat().st_ino]  # (the block waited for it)
    with scratch.early_writeback(path) as flush:
        deadline = time.monotonic() + 10
        while len(started) < 3 and time.monotonic() < deadline:
            flush()  # once the one before has ended (release is set), another starts
            time.sleep(0.01)
    assert started == [path.stat().st_ino] * 3


def test_a_failed_writeback_is_raised_not_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An fsync error reported to the background writeback's descriptor may never be
    reported to the later fsync on a new one: the block raises it."""

    def failing(fd: int) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(scratch.os, "fdatasync", failing)
    path = tmp_path / "part.bin"
    path.write_bytes(b"x")
    with pytest.raises(OSError) as raised, scratch.early_writeback(path) as flush:
        flush()
    assert raised.value.errno == errno.EIO


def test_an_ingest_whose_part_writeback_fails_leaves_the_store_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_sales_dir(tmp_path)
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    before = list(store.audit.events())

    def failing(fd: int) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(scratch.os, "fdatasync", failing)
    with pytest.raises(OSError):
        ingest_mapping(store, folder / "sales.yaml", actor="test")
    assert [p for p in store.ledger_dir.rglob("*") if p.is_file()] == []  # no part, no scratch
    assert list(store.audit.events()) == before
    monkeypatch.undo()
    assert ingest_mapping(store, folder / "sales.yaml", actor="test").ledger_rows == 4
    store.close()
