"""`ironriver export` when its output cannot be written (review R18, F2 and F3), in a real
process: standard output on a full disk (`/dev/full`) is said as such, in English and
Spanish, with the note that what is there is incomplete, exit code 6 and nothing more as the
process exits; the audit gets a second `export` event saying how it ended. A reader that
stops reading (`| head`, a closed pipe) ends it quietly, as before, audited all the same.
Python's standard output is block-buffered (a user's shell) or not (PYTHONUNBUFFERED): the
failure comes at the last flush or at the first write, and is said the same."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import ironriver
from samples import export_events, export_seqs, sample_db

SRC = Path(ironriver.__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parents[1]
ARGS = ("export", "--as", "mx-fgr-analista", "--reason", "case 9")
FULL = {
    "en": "Error: Could not write the export to standard output: No space left on device. Nothing "
    "was changed in the store.",
    "es": "Error: No se pudo escribir la exportación en la salida estándar: No queda espacio "
    "en el dispositivo. No se cambió nada en el almacén.",
}
INCOMPLETE = {
    "en": "The export on standard output is incomplete",
    "es": "La exportación en la salida estándar está incompleta",
}


def _export(db: str, lang: str, stdout: Any, *more: str, buffered: bool = True) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IRONRIVER_")}
    env.pop("PYTHONUNBUFFERED", None)
    if not buffered:
        env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), str(TESTS)])
    command = [sys.executable, "-m", "ironriver", "--lang", lang, *ARGS, "--db", db, *more]
    return subprocess.run(
        command, stdout=stdout, stderr=subprocess.PIPE, env=env, text=True, timeout=300
    )


STATEMENTS = {"schemata": [], "types": []}


@pytest.mark.parametrize(
    ("fmt", "lang", "buffered", "ended"),
    [  # (buffered: the rows fail at the last flush; unbuffered: at the CSV's header)
        ("statements", "en", True, {**STATEMENTS, "rows": 5, "handed": 5}),
        ("statements", "es", False, {**STATEMENTS, "rows": 0, "handed": 0}),
        ("parquet", "en", True, {**STATEMENTS, "rows": 5, "handed": 5}),
        ("ftm", "es", True, {"entities": 3, "handed": 3}),
    ],
)
def test_a_full_standard_output_is_said_and_audited(
    tmp_path: Path, fmt: str, lang: str, buffered: bool, ended: dict[str, Any]
) -> None:
    db = sample_db(tmp_path)
    with open("/dev/full", "w") as full:
        done = _export(db, lang, full, "--format", fmt, buffered=buffered)
    assert done.returncode == 6, done.stderr
    assert FULL[lang] in done.stderr
    assert (INCOMPLETE[lang] in done.stderr) == (ended["handed"] > 0)  # (after how many)
    assert "Exception ignored" not in done.stderr and "ingest" not in done.stderr
    first = export_seqs(db)[0][0]
    assert export_events(db)[1:] == [{**ended, "outcome": "OSError", "ends": first}]


@pytest.mark.parametrize("fmt", ["statements", "ftm"])
def test_a_reader_that_stopped_reading_ends_the_export_quietly(tmp_path: Path, fmt: str) -> None:
    db = sample_db(tmp_path)
    read, write = os.pipe()
    os.close(read)  # (the reader is gone before the first byte)
    with os.fdopen(write, "w") as closed:
        done = _export(db, "en", closed, "--format", fmt)
    assert done.returncode == 1
    assert "Error" not in done.stderr and INCOMPLETE["en"] not in done.stderr
    assert "Exception ignored" not in done.stderr
    assert export_events(db)[1]["outcome"] == "BrokenPipeError"
