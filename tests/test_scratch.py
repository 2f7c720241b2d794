"""Scratch entries of killed processes are swept; live ones, other hosts' and other files
are left alone; a real stage is named so."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ironriver.scratch import _host, owner_tag, sweep
from ironriver.store import Store


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_sweep_removes_only_dead_local_owners(tmp_path: Path) -> None:
    dead = f"{_host()}.{_dead_pid()}"
    alive = owner_tag()
    orphans = [
        tmp_path / f".store.db.stage-{dead}-abc.sqlite",
        tmp_path / f".store.db.stage-{dead}-abc.sqlite-journal",
        tmp_path / f".ironriver-stage-{dead}-abc-0.arrow",
    ]
    spill = tmp_path / f"ironriver-ingest-{dead}-abc"
    sort = tmp_path / f"..store.db.stage-{dead}-abc.sqlite.sort-def"
    kept = [
        tmp_path / f".store.db.stage-{alive}-abc.sqlite",  # a running ingest (this process)
        tmp_path / f".ironriver-stage-otherhost.{_dead_pid()}-abc-0.arrow",  # another host
        tmp_path / "store.db",
        tmp_path / "ironriver-ingest-notatag",
    ]
    for path in [*orphans, *kept]:
        path.write_bytes(b"x")
    for folder in (spill, sort):
        folder.mkdir()
        (folder / "duckdb_temp_block-1.block").write_bytes(b"x" * 100)
    assert sweep(tmp_path) == len(orphans) + 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in kept)
    assert sweep(tmp_path / "missing") == 0


def test_stage_names_carry_the_owner(sqlite_store: Store) -> None:
    with sqlite_store.stage() as stage:
        assert stage.path is not None and f".stage-{owner_tag()}-" in stage.path.name


def test_replacing_writes_whole_or_not_at_all(tmp_path: Path) -> None:
    import pytest

    from ironriver.scratch import replacing

    target = tmp_path / "out.txt"
    with replacing(target) as tmp:
        tmp.write_text("whole", encoding="utf-8")
        assert not target.exists()
    assert target.read_text(encoding="utf-8") == "whole"
    with pytest.raises(RuntimeError), replacing(target) as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("failed half-way")
    assert target.read_text(encoding="utf-8") == "whole" and sorted(tmp_path.iterdir()) == [target]
