"""`ironriver export` when the store fails mid-export (review R17, F3): the rows are read
whole, from one snapshot, before any is written, so standard output holds nothing that
reads as an export, no -o file is left, and the `export` event says no rows were exported
(`rows: 0`, its `outcome`); an error once output began (here decoding a batch) is said on
standard error to leave standard output incomplete, in English and Spanish (real SQLite
store, click's runner; the batch size made tiny). A failure once the event was written is
audited by a second `export` event saying how many left the store (R18, F2), and an -o file
that cannot be written is said as such (R18, F3; standard output: test_cli_export_output)."""

from __future__ import annotations

import csv
import errno
import io
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import ironriver.policy.export as export_module
import ironriver.policy.table as table_module
from ironriver.cli import cli
from samples import export_events, export_seqs, fail_second_call, fail_second_read, sample_db

ARGS = ("export", "--as", "mx-fgr-analista", "--reason", "case 9")
STATEMENTS = {"schemata": [], "types": []}  # (an export of them all: its filters)


def _export(db: str, *more: str) -> Result:
    return CliRunner().invoke(cli, ["--lang", "en", *ARGS, "--db", db, *more])


def _first(db: str) -> int:
    """The seq of the store's first `export` event (which a second one `ends`)."""
    return export_seqs(db)[0][0]


@pytest.fixture
def second_read_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export_module, "EXPORT_BATCH_ROWS", 2)  # FGR sees 5: three batches
    fail_second_read(monkeypatch)


@pytest.mark.usefixtures("second_read_fails")
def test_a_store_error_mid_export_leaves_no_whole_looking_csv(tmp_path: Path) -> None:
    db = sample_db(tmp_path)
    done = _export(db, "--format", "statements")
    assert done.exit_code != 0 and "server closed the connection" in done.stderr
    assert list(csv.reader(io.StringIO(done.stdout))) == []
    assert [d["rows"] for d in export_events(db)] == [0]


@pytest.mark.usefixtures("second_read_fails")
def test_an_export_that_wrote_nothing_is_audited_as_exporting_nothing(tmp_path: Path) -> None:
    db = sample_db(tmp_path)
    out = tmp_path / "x.csv"
    done = _export(db, "--format", "statements", "-o", str(out))
    assert done.exit_code != 0 and not out.exists()
    assert export_events(db) == [
        {"schemata": [], "types": [], "rows": 0, "outcome": "OperationalError"}
    ]


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        (
            "en",
            "The export on standard output is incomplete: it stopped at the error below "
            "after 2 statements.",
        ),
        (
            "es",
            "La exportación en la salida estándar está incompleta: se detuvo en el error "
            "de abajo tras 2 afirmaciones.",
        ),
    ],
)
def test_an_error_once_output_began_says_standard_output_is_incomplete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str, said: str
) -> None:
    db = sample_db(tmp_path)
    monkeypatch.setattr(export_module, "EXPORT_BATCH_ROWS", 2)
    fail_second_call(monkeypatch, table_module, ["decode"])
    done = CliRunner().invoke(cli, ["--lang", lang, *ARGS, "--db", db, "--format", "statements"])
    assert done.exit_code != 0 and "server closed the connection" in done.stderr
    assert len(list(csv.reader(io.StringIO(done.stdout)))) == 3  # the header, a batch
    assert said in done.stderr


def test_an_entity_export_stopped_mid_way_says_standard_output_is_incomplete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--format ftm` reads the store as it writes: an error after the first entity."""
    import ironriver.policy as policy

    db = sample_db(tmp_path)
    fail_second_call(monkeypatch, policy, ["entity_dict"])
    done = CliRunner().invoke(cli, ["--lang", "en", *ARGS, "--db", db])
    assert done.exit_code != 0 and len(done.stdout.splitlines()) == 1
    said = (
        "The export on standard output is incomplete: it stopped at the error below after 1 entity."
    )
    assert said in done.stderr


@pytest.mark.parametrize(
    ("fmt", "said", "ended"),
    [
        ("ftm", "after 1 entity.", {"entities": 1, "handed": 1}),
        ("statements", "after 2 statements.", {**STATEMENTS, "rows": 2, "handed": 2}),
    ],
)
def test_an_export_interrupted_mid_way_says_standard_output_is_incomplete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, said: str, ended: dict[str, Any]
) -> None:
    """R19 F9: Ctrl-C (a KeyboardInterrupt, no Exception) after some output was written."""
    import ironriver.policy as policy

    db = sample_db(tmp_path)
    monkeypatch.setattr(export_module, "EXPORT_BATCH_ROWS", 2)
    for module, name in ((policy, "entity_dict"), (table_module, "decode")):
        real = getattr(module, name)
        calls: list[int] = []

        def interrupted(*args: Any, _real: Any = real, _calls: list[int] = calls) -> Any:
            _calls.append(1)
            if len(_calls) == 2:
                raise KeyboardInterrupt
            return _real(*args)

        monkeypatch.setattr(module, name, interrupted)
    done = _export(db, "--format", fmt)
    assert done.exit_code != 0 and done.stdout  # (what was written before Ctrl-C)
    assert f"The export on standard output is incomplete: it was interrupted {said}" in done.stderr
    ended = {**ended, "outcome": "KeyboardInterrupt", "ends": _first(db)}
    assert export_events(db)[1:] == [ended]


# -- a failure once the export's event was written (review R18, F2 and F3) ------------------


def test_an_export_whose_file_was_not_kept_is_audited_as_such(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """R18 F2 as found: the second batch's decode fails, so the -o file is not kept; the
    first event (five rows) stays, a second says none left the store."""
    db = sample_db(tmp_path)
    monkeypatch.setattr(export_module, "EXPORT_BATCH_ROWS", 2)
    fail_second_call(monkeypatch, table_module, ["decode"])
    out = tmp_path / "x.csv"
    done = _export(db, "--format", "statements", "-o", str(out))
    assert done.exit_code != 0 and not out.exists()
    ended = {"rows": 0, "handed": 2, "outcome": "OperationalError", "ends": _first(db)}
    assert export_events(db) == [{**STATEMENTS, "rows": 5}, {**STATEMENTS, **ended}]


def test_an_export_stopped_on_standard_output_is_audited_with_what_it_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ironriver.policy as policy

    db = sample_db(tmp_path)
    monkeypatch.setattr(export_module, "EXPORT_BATCH_ROWS", 2)
    fail_second_call(monkeypatch, table_module, ["decode"])
    fail_second_call(monkeypatch, policy, ["entity_dict"])
    assert _export(db, "--format", "statements").exit_code != 0
    assert _export(db).exit_code != 0  # (FtM entities: the store read as they are written)
    first = [seq for seq, detail in export_seqs(db) if "outcome" not in detail]
    statements = {"rows": 2, "handed": 2, "outcome": "OperationalError", "ends": first[0]}
    entities = {"entities": 1, "handed": 1, "outcome": "OperationalError", "ends": first[1]}
    assert export_events(db) == [
        {**STATEMENTS, "rows": 5},
        {**STATEMENTS, **statements},
        {},
        entities,
    ]


class _FullDisk:
    """A file on a disk that is full: every write fails (ENOSPC)."""

    def __init__(self, file: Any) -> None:
        self._file = file

    def write(self, data: Any) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __enter__(self) -> _FullDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


@pytest.fixture
def full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """The -o file's (its scratch file's) disk is full."""
    real = Path.open

    def opening(path: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        file = real(path, mode, *args, **kwargs)
        return _FullDisk(file) if "w" in mode and path.name.endswith(".part") else file

    monkeypatch.setattr(Path, "open", opening)


@pytest.mark.usefixtures("full_disk")
@pytest.mark.parametrize(
    ("lang", "fmt", "said", "ended"),
    [
        (
            "en",
            "statements",
            "Could not write the export to {out}: No space left on device. No file was left there",
            {**STATEMENTS, "rows": 0, "handed": 0},
        ),
        (
            "es",
            "ftm",
            "No se pudo escribir la exportación en {out}: No queda espacio en el "
            "dispositivo. No quedó ningún archivo allí",
            {"entities": 0, "handed": 0},
        ),
    ],
)
def test_an_output_file_on_a_full_disk_is_said_and_left_as_it_was(
    tmp_path: Path, lang: str, fmt: str, said: str, ended: dict[str, Any]
) -> None:
    db = sample_db(tmp_path)
    out = tmp_path / "x.out"
    out.write_text("earlier")
    args = ["--lang", lang, *ARGS, "--db", db, "--format", fmt, "-o", str(out), "--overwrite"]
    done = CliRunner().invoke(cli, args)
    assert done.exit_code == 6 and said.format(out=out) in done.stderr
    assert out.read_text() == "earlier" and [p.name for p in tmp_path.iterdir()].count("x.out") == 1
    assert export_events(db)[1:] == [{**ended, "outcome": "OSError", "ends": _first(db)}]


def test_an_output_file_that_cannot_be_put_in_place_is_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Written whole, the -o file fails as it is synced to disk (`replacing`): not kept."""
    import ironriver.scratch as scratch

    def failing(path: Any) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(scratch, "synced", failing)
    db = sample_db(tmp_path)
    out = tmp_path / "x.csv"
    done = _export(db, "--format", "statements", "-o", str(out))
    said = f"Could not write the export to {out}: Input/output error. No file was left there"
    assert done.exit_code == 6 and said in done.stderr and not out.exists()
    ended = {"rows": 0, "handed": 5, "outcome": "OSError", "ends": _first(db)}
    assert export_events(db)[1:] == [{**STATEMENTS, **ended}]


# -- the export's temporary file (review R19, F3) ------------------------------------------


class _FullSpool:
    """The export's temporary file on a full disk: writes fail (ENOSPC), and so does closing
    it, which flushes what it buffers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._file = _REAL_TEMPORARY_FILE(*args, **kwargs)

    def write(self, data: Any) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def close(self) -> None:
        self._file.close()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


_REAL_TEMPORARY_FILE = export_module.tempfile.TemporaryFile


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        (
            "en",
            "Could not write the export's temporary file in {folder} (the temporary folder, "
            "TMPDIR): No space left on device. Nothing was exported",
        ),
        (
            "es",
            "No se pudo escribir el archivo temporal de la exportación en {folder} (la carpeta "
            "temporal, TMPDIR): No queda espacio en el dispositivo. No se exportó nada",
        ),
    ],
)
def test_an_export_whose_temporary_file_fills_its_disk_is_said_and_audited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str, said: str
) -> None:
    """The temporary folder (TMPDIR) is named, not the store's disk; the read is audited as
    `rows: 0` with its outcome (closing the temporary file failed again, before)."""
    import tempfile

    db = sample_db(tmp_path)
    monkeypatch.setattr(export_module.tempfile, "TemporaryFile", _FullSpool)
    out = tmp_path / "x.csv"
    args = ["--lang", lang, *ARGS, "--db", db, "--format", "statements", "-o", str(out)]
    done = CliRunner().invoke(cli, args)
    assert done.exit_code == 6 and said.format(folder=tempfile.gettempdir()) in done.stderr
    assert "beside the store" not in done.stderr and "junto al almacén" not in done.stderr
    assert not out.exists()
    assert export_events(db) == [{**STATEMENTS, "rows": 0, "outcome": "OSError"}]
