"""A file put in place whole whose folder then fails to sync (`scratch.FolderNotSynced`: a
failing disk) is said as such, in English and Spanish, exit code 6, by every command that
writes one, as `export -o` says it (test_cli_export_placed): `init`'s principals file,
`mapping draft -o`, an ingest's error report. The file stays, whole; the message says what
else stands (the store `init` made; nothing ingested). Before, a traceback (an OSError of
EIO is no path error). The folder's sync is made to fail by `scratch.synced`, for that folder
only (the store's own folders sync as ever)."""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import ironriver.scratch as scratch
from ironriver.cli import cli
from ironriver.policy import DEFAULT_PRINCIPALS_YAML
from ironriver.store.ledger import LedgerStore
from samples import DETENIDOS_LEDGER as MAPPING


@pytest.fixture
def failing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder `out` whose fsync fails with an input/output error."""
    folder = tmp_path / "out"
    folder.mkdir()
    real = scratch.synced

    def synced(path: Path) -> None:
        if path == folder:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        real(path)

    monkeypatch.setattr(scratch, "synced", synced)
    return folder


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def _said(result: Result, text: str) -> None:
    assert result.exit_code == 6, result.output
    assert text in " ".join(result.stderr.split()), result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        (
            "en",
            "The starter principals file was written to {path} whole, but its folder could not "
            "be synced to disk: Input/output error. The file is there and the store is ready",
        ),
        (
            "es",
            "El archivo inicial de usuarios se escribió entero en {path}, pero su carpeta no se "
            "pudo sincronizar con el disco: Error de entrada/salida. El archivo está allí y el "
            "almacén está listo",
        ),
    ],
)
def test_init_s_principals_file(tmp_path: Path, failing: Path, lang: str, said: str) -> None:
    out = failing / "principals.yaml"
    db = tmp_path / "s.db"
    done = _run("--lang", lang, "init", "--db", str(db), "--principals-out", str(out))
    _said(done, said.format(path=out))
    assert out.read_text(encoding="utf-8") == DEFAULT_PRINCIPALS_YAML  # (kept, whole)
    assert _run("audit", "verify", "--db", str(db)).exit_code == 0  # (the store is ready)


def test_a_draft_mapping(tmp_path: Path, failing: Path) -> None:
    sales = tmp_path / "sales.csv"
    sales.write_text("txn\nT1\n", encoding="utf-8")
    out = failing / "sales.yaml"
    done = _run("--lang", "en", "mapping", "draft", str(sales), "-o", str(out))
    _said(
        done,
        f"The draft mapping was written to {out} whole, but its folder could not be synced "
        "to disk: Input/output error. The file is there; a power loss could still undo its "
        "writing.",
    )
    assert "Check the disk that holds that folder; once it is sound, run `sync`" in done.stderr
    assert out.read_text(encoding="utf-8").startswith("# Draft mapping for sales.csv")


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        (
            "en",
            "The error report was written to {path} whole, but its folder could not be synced "
            "to disk: Input/output error. The file is there; a power loss could still undo its "
            "writing. Nothing was ingested.",
        ),
        (
            "es",
            "El informe de errores se escribió entero en {path}, pero su carpeta no se pudo "
            "sincronizar con el disco: Error de entrada/salida. El archivo está allí; un corte "
            "de energía aún podría deshacer su escritura. No se cargó nada.",
        ),
    ],
)
def test_an_ingest_s_error_report(tmp_path: Path, failing: Path, lang: str, said: str) -> None:
    (failing / "detenidos.csv").write_text(
        "NOMBRE,FECHA\nJosé Núñez,30/11/2026\nPeña Ñuño,31/02/2026\n", encoding="utf-8"
    )
    mapping = failing / "m.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    db = tmp_path / "s.db"
    made = _run("init", "--db", str(db), "--principals-out", str(tmp_path / "p.yaml"))
    assert made.exit_code == 0, made.output
    args = ["ingest", str(mapping), "--db", str(db), "--as", "loader", "--skip-invalid"]
    done = _run("--lang", lang, *args)
    report = failing / "m.yaml.errors.csv"
    _said(done, said.format(path=report))
    assert len(report.read_text(encoding="utf-8").splitlines()) == 2  # (kept, whole)
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM datasets").fetchone() == (0,)
    assert LedgerStore(Path(f"{db}.ledgers")).ledgers() == []
    assert _run("audit", "verify", "--db", str(db)).exit_code == 0
