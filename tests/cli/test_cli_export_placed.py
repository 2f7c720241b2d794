"""`ironriver export -o` once its file is in place (review R19, F2): a folder the user may
write to but not read (a "drop box", mode 0333) cannot be opened to sync its entry, which
`replacing` lets be: the export is written, said and audited as such (one `export` event).
A folder that fails to sync otherwise (a failing disk) is said, with the file kept whole
and audited as having left the store. Root opens a 0333 folder all the same, so the drop
box is made by refusing the folder's `os.open`, and for real in a process without root's
override of file permissions (`setpriv`, when the tests run as root)."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import ironriver
import ironriver.scratch as scratch
from ironriver.cli import cli
from samples import export_events, export_seqs, sample_db

ARGS = ("export", "--as", "mx-fgr-analista", "--reason", "case 9")


def _export(db: str, out: Path, lang: str = "en") -> Result:
    return CliRunner().invoke(cli, ["--lang", lang, *ARGS, "--db", db, "-o", str(out)])


def test_an_export_into_a_folder_it_may_not_read_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = sample_db(tmp_path)
    out = tmp_path / "drop" / "x.jsonl"
    out.parent.mkdir()
    real = os.open

    def opening(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if Path(path) == out.parent:  # (what a 0333 folder does to its non-root users)
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr(scratch.os, "open", opening)
    done = _export(db, out)
    assert done.exit_code == 0, done.output
    assert f"Exported 3 entities to {out}" in done.stderr
    assert len(out.read_text().splitlines()) == 3
    assert export_events(db) == [{}]  # (no second event: nothing failed)


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="needs root and setpriv (to drop root's override of file permissions)",
)
def test_an_export_into_a_real_drop_box_is_written(tmp_path: Path) -> None:
    db = sample_db(tmp_path)
    drop = tmp_path / "drop"
    drop.mkdir()
    drop.chmod(0o333)
    out = drop / "x.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith("IRONRIVER_")}
    paths = [str(Path(ironriver.__file__).resolve().parents[1])]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    command = [
        *("setpriv", "--bounding-set=-dac_override,-dac_read_search"),
        *(sys.executable, "-m", "ironriver", "--lang", "en", *ARGS, "--db", db, "-o", str(out)),
    ]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    drop.chmod(0o755)
    assert done.returncode == 0, done.stderr
    assert "No file was left there" not in done.stderr
    assert len(out.read_text().splitlines()) == 3
    assert export_events(db) == [{}]


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        (
            "en",
            "The export was written to {out} whole, but its folder could not be synced to "
            "disk: Input/output error.",
        ),
        (
            "es",
            "La exportación se escribió entera en {out}, pero su carpeta no se pudo "
            "sincronizar con el disco: Error de entrada/salida.",
        ),
    ],
)
def test_a_folder_that_fails_to_sync_keeps_the_file_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str, said: str
) -> None:
    db = sample_db(tmp_path)
    out = tmp_path / "x.jsonl"
    real = scratch.synced

    def synced(path: Path) -> None:
        if path.is_dir():
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        real(path)

    monkeypatch.setattr(scratch, "synced", synced)
    done = _export(db, out, lang)
    assert done.exit_code == 6 and said.format(out=out) in done.stderr
    assert len(out.read_text().splitlines()) == 3  # (kept, whole)
    first = export_seqs(db)[0][0]
    ended = {"entities": 3, "handed": 3, "outcome": "FolderNotSynced", "ends": first}
    assert export_events(db) == [{}, ended]
