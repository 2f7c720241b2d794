"""`ironriver ingest --entities -` reads FtM entities from standard input, as FtM's tools pipe
them (`ftm map ... | ironriver ingest --entities - ...`), and so does a path that is a pipe
(`/dev/stdin`, a named pipe): the bytes are copied to a scratch folder (beside the store; a
dry run's in $TMPDIR), removed afterwards, also when interrupted, and the input is named
`stdin` in the audit event, the error report (in the current folder) and the messages, whose
hints fix the pipe, not a scratch file. A MAPPING given as `-` is refused in words; one read
from `/dev/stdin` reads its files from the current folder. Every case runs the real command
on tiny real files."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
from io import BytesIO
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ironriver.cli import cli
from ironriver.store import open_store

ENTITY = b'{"id": "g1", "schema": "Firearm", "properties": {"serialNumber": ["X1"]}}\n'
AS_FGR = ["--dataset", "mx_fgr_x", "--agency", "FGR", "--country", "MX", "--as", "mx-fgr-analista"]
SCRATCH = "ironriver-ingest-*"  # (the spill folders' name, which the copy's folder takes)


def _ingest(*args: str, lang: str = "en", stdin: object = None) -> Result:
    return CliRunner().invoke(cli, ["--lang", lang, "ingest", *args], input=stdin)  # type: ignore[arg-type]


@pytest.fixture
def tmpdir_(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """$TMPDIR for this test: a folder of its own, watched for scratch left behind."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_entities_from_standard_input_are_ingested_and_audited_as_stdin(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    result = _ingest("--db", str(db), "--entities", "-", *AS_FGR, "--json", stdin=ENTITY)
    assert result.exit_code == 0, result.output
    [data] = json.loads(result.stdout)
    assert data["records"] == 1 and data["statements_new"] == 1
    assert "copying stdin to " in result.stderr  # (where the disk space goes)
    store = open_store(str(db))
    try:
        [event] = [e for e in store.audit.events() if e.action == "ingest"]
    finally:
        store.close()
    assert event.detail["entities_file"] == "stdin"  # not a scratch path
    assert event.detail["file_sha256"] == {"stdin": hashlib.sha256(ENTITY).hexdigest()}
    assert not list(tmp_path.glob(SCRATCH))  # the copy, beside the store, is gone


def test_a_dry_run_copies_to_tmpdir_and_removes_the_copy(tmpdir_: Path) -> None:
    result = _ingest("--entities", "-", *AS_FGR, "--dry-run", "--json", stdin=ENTITY)
    assert result.exit_code == 0, result.output
    [data] = json.loads(result.stdout)
    assert data["dry_run"] and data["records"] == 1 and data["statements_produced"] == 1
    assert not list(tmpdir_.glob(SCRATCH))


def test_rejected_lines_from_stdin_are_reported_in_the_current_folder(
    tmp_path: Path, tmpdir_: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    bad = b'{"id": "x", "schema": "Nope"}\n'
    result = _ingest("--entities", "-", *AS_FGR, "--dry-run", stdin=ENTITY + bad)
    assert result.exit_code == 1, result.output
    assert "1 × stdin schema: unknown schema (first at line 2)" in result.output
    assert "See stdin.errors.csv." in result.output
    report = (tmp_path / "stdin.errors.csv").read_text(encoding="utf-8")
    assert '"stdin",2,"schema","Nope","unknown schema"' in report
    assert not list(tmpdir_.glob(SCRATCH))


@pytest.mark.parametrize("lang", ["en", "es"])
def test_compressed_stdin_is_decompressed_in_the_pipe(tmpdir_: Path, lang: str) -> None:
    result = _ingest(
        "--entities", "-", *AS_FGR, "--dry-run", lang=lang, stdin=gzip.compress(ENTITY)
    )
    assert result.exit_code == 1, result.output
    pipe = "`... | gunzip -c | ironriver ingest --entities - ...`"
    said = {
        "en": ("stdin is compressed (gzip), not text.", f"Decompress it in the pipe, e.g. {pipe}."),
        "es": (
            "stdin está comprimido (gzip), no es texto.",
            f"Descomprímalo en la tubería, p. ej., {pipe}.",
        ),
    }[lang]
    assert all(text in result.output for text in said), result.output
    assert "ironriver-ingest-" not in result.output and not list(tmpdir_.glob(SCRATCH))


def test_stdin_not_utf8_is_converted_in_the_pipe(tmpdir_: Path) -> None:
    result = _ingest("--entities", "-", *AS_FGR, "--dry-run", stdin=b"caf\xe9\n")
    assert result.exit_code == 1, result.output
    assert "stdin is not valid utf-8: bytes b'\\xe9\\n' at line 1" in result.output
    pipe = "`... | iconv -f cp1252 -t utf-8 | ironriver ingest --entities - ...`"
    assert f"Convert it to utf-8 in the pipe, e.g. {pipe}" in result.output
    assert "ironriver-ingest-" not in result.output  # (no scratch path the user never sees)


class _Interrupted(BytesIO):
    """Standard input that gives one block, then is interrupted (Ctrl-C while copying)."""

    def read(self, size: int | None = -1) -> bytes:
        if self.tell():
            raise KeyboardInterrupt
        return super().read(len(ENTITY))


def test_an_interrupted_copy_leaves_no_scratch_and_no_new_store(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    result = _ingest("--db", str(db), "--entities", "-", *AS_FGR, stdin=_Interrupted(ENTITY * 3))
    assert result.exit_code != 0
    assert not list(tmp_path.glob(SCRATCH))
    assert not db.exists()  # the store this ingest made, holding nothing, is removed


class _Terminal(BytesIO):
    def isatty(self) -> bool:
        return True


def test_stdin_from_a_terminal_is_refused_at_once(tmp_path: Path) -> None:
    result = _ingest("--db", str(tmp_path / "s.db"), "--entities", "-", *AS_FGR, stdin=_Terminal())
    assert result.exit_code == 2, result.output
    assert "--entities - reads the entities from standard input, which is a terminal here." in (
        result.output
    )
    assert not (tmp_path / "s.db").exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_a_named_pipe_is_read_once_and_named_as_itself(tmp_path: Path, tmpdir_: Path) -> None:
    fifo = tmp_path / "fgr.ftm.jsonl"
    os.mkfifo(fifo)
    writer = threading.Thread(target=fifo.write_bytes, args=(ENTITY,), daemon=True)
    writer.start()
    result = _ingest("--entities", str(fifo), *AS_FGR, "--dry-run", "--json")
    writer.join(timeout=30)
    assert not writer.is_alive()
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["records"] == 1
    assert not list(tmpdir_.glob(SCRATCH))


def test_dev_stdin_fed_by_a_pipe(tmp_path: Path) -> None:
    """`cat f.jsonl | ironriver ingest --entities /dev/stdin ...` (a real process: the test
    runner's standard input is no pipe)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IRONRIVER_")}
    env["TMPDIR"] = str(tmp_path)
    command = [sys.executable, "-m", "ironriver", "--lang", "en", "ingest"]
    command += ["--entities", "/dev/stdin", *AS_FGR, "--dry-run", "--json"]
    done = subprocess.run(
        command, input=ENTITY, capture_output=True, env=env, cwd=tmp_path, timeout=300
    )
    assert done.returncode == 0, done.stderr.decode()
    assert json.loads(done.stdout)[0]["records"] == 1
    assert not list(tmp_path.glob(SCRATCH))


def test_a_mapping_from_standard_input_is_refused_in_words() -> None:
    result = _ingest("-", "--as", "us-atf-analyst", "--dry-run", stdin=b"x: 1\n")
    assert result.exit_code == 2, result.output
    assert "A MAPPING is read from a file, not from standard input (-)" in result.output
    assert "does not exist" not in result.output


@pytest.mark.parametrize("where", ["current", "elsewhere"])
def test_a_mapping_from_dev_stdin_reads_its_files_from_the_current_folder(
    sales_dir: Path, tmp_path: Path, where: str
) -> None:
    """`cat graph.yaml | ironriver ingest /dev/stdin ...` (or a shell's `<(...)`): the
    mapping's folder was `/proc/PID/fd`, where its `sales.csv` was looked for. Its relative
    paths now start at the current folder (a real process: the runner's stdin is no pipe)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IRONRIVER_")}
    command = [sys.executable, "-m", "ironriver", "--lang", "en", "ingest", "/dev/stdin"]
    command += ["--as", "us-atf-analyst", "--dry-run", "--json"]
    cwd = sales_dir if where == "current" else tmp_path / "other"
    cwd.mkdir(exist_ok=True)
    done = subprocess.run(
        command,
        input=(sales_dir / "graph.yaml").read_bytes(),
        capture_output=True,
        env=env,
        cwd=cwd,
        timeout=300,
    )
    if where == "current":
        assert done.returncode == 0, done.stderr.decode()
        assert json.loads(done.stdout)[0]["records"] > 0
        return
    assert done.returncode == 1
    error = done.stderr.decode()
    assert f"Input file {cwd / 'sales.csv'} does not exist" in error, error
    assert "at the current folder for a mapping read from a pipe" in error


def test_a_file_named_dash_given_as_dot_slash_dash_is_that_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`Path("./-")` equals `Path("-")`: a file named `-`, given as `./-`, was read as
    standard input (here: none, so nothing). It is the file now; `-` stays standard input."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "-").write_bytes(ENTITY)
    db = str(tmp_path / "d.db")
    result = _ingest("--db", db, "--entities", "./-", *AS_FGR, "--json", stdin=b"")
    assert result.exit_code == 0, result.output
    [data] = json.loads(result.stdout)
    assert data["records"] == 1 and data["statements_new"] == 1
    assert "copying" not in result.stderr  # (a regular file: read where it is)
    piped = _ingest("--db", db, "--entities", "-", *AS_FGR, "--json", stdin=b"")
    assert piped.exit_code == 0, piped.output
    assert json.loads(piped.stdout)[0]["records"] == 0
