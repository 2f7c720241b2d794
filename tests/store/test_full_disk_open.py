"""A store on a full disk: SQLite cannot even open it to read (it needs room for its WAL
index), and says "disk I/O error". The command says the disk is full (exit 6), not "check
the path", which sent a reviewer looking for a permissions problem."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError

from ironriver.errors import ResourceError, StoreError
from ironriver.store import opening as store_module


def _io_error() -> OperationalError:
    return OperationalError("PRAGMA journal_mode", {}, Exception("disk I/O error"))


def _usage(free: int) -> Any:
    return lambda _folder: shutil._ntuple_diskusage(100 << 20, (100 << 20) - free, free)  # type: ignore[attr-defined]


def test_a_full_disk_is_said_to_be_full(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 's.db'}")
    monkeypatch.setattr(store_module.shutil, "disk_usage", _usage(0))
    error = store_module._cannot_open("s.db", _io_error(), engine)
    assert isinstance(error, ResourceError) and error.exit_code == 6
    assert "the disk holding it is full (0 bytes free in" in error.render("en")
    assert "el disco que lo contiene está lleno" in error.render("es")


def test_room_to_spare_is_another_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 's.db'}")
    monkeypatch.setattr(store_module.shutil, "disk_usage", _usage(50 << 20))
    error = store_module._cannot_open("s.db", _io_error(), engine)
    assert type(error) is StoreError and "Check the path, and the disk" in error.render("en")
    pg = create_engine("postgresql+psycopg://u@127.0.0.1:1/x")
    assert type(store_module._cannot_open("pg", _io_error(), pg)) is StoreError
