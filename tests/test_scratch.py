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


def test_two_writers_of_one_path_never_mix(tmp_path: Path) -> None:
    """Two exports to one `-o` at once: each writes a file of its own, the last rename wins
    whole (one shared scratch name mixed both outputs into a file reported as written)."""
    from ironriver.scratch import replacing

    target = tmp_path / "c.jsonl"
    with replacing(target) as first:
        first.write_text("A1\n", encoding="utf-8")
        with replacing(target) as second:
            assert second != first
            second.write_text("B1\nB2\n", encoding="utf-8")
        assert target.read_text(encoding="utf-8") == "B1\nB2\n"
        with first.open("a", encoding="utf-8") as fh:  # the first writer goes on, unharmed
            fh.write("A2\n")
    assert target.read_text(encoding="utf-8") == "A1\nA2\n"
    assert sorted(tmp_path.iterdir()) == [target]


def test_replacing_removes_what_a_killed_writer_left(tmp_path: Path) -> None:
    from ironriver.scratch import replacing

    target = tmp_path / "c.jsonl"
    dead = tmp_path / f".c.jsonl.ironriver-stage-{_host()}.{_dead_pid()}-0123456789ab.part"
    live = tmp_path / f".c.jsonl.ironriver-stage-{owner_tag()}-0123456789ab.part"
    other = tmp_path / f".d.jsonl.ironriver-stage-{_host()}.{_dead_pid()}-0123456789ab.part"
    for path in (dead, live, other):
        path.write_bytes(b"half")
    with replacing(target) as tmp:
        tmp.write_text("whole", encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in (target, live, other)
    )
