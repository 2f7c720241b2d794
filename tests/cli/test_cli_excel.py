"""`--excel`: the CSVs ironriver writes (`export --format statements`, `ledger --format csv`,
an ingest's error report), opened in Excel, show accents as written: UTF-8 with a byte-order
mark and CRLF line ends, only when asked (real SQLite store, the real CLI through click's
runner)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from ironriver.cli import cli
from ironriver.store import open_store
from samples import DETENIDOS_LEDGER as LEDGER_MAPPING
from samples import MX, load, table

BOM = b"\xef\xbb\xbf"


def run(*args: str) -> tuple[int, bytes, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout_bytes, result.stderr


def _excel_rows(data: bytes) -> list[list[str]]:
    """The rows of an Excel CSV, checking its form: the mark first, every line end CRLF."""
    assert data.startswith(BOM)
    assert data.count(b"\n") == data.count(b"\r\n") > 0
    return list(csv.reader(io.StringIO(data[len(BOM) :].decode("utf-8"), newline="")))


def _plain_rows(data: bytes) -> list[list[str]]:
    assert not data.startswith(BOM) and b"\r\n" not in data
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "x.db"
    store = open_store(f"sqlite:///{path}")
    load(store)
    with store.writer() as w:
        w.add_statements(
            table(MX.name, [("p3", "Individual", "name", "María Núñez")]), MX.name, MX.label
        )
    store.close()
    return str(path)


def test_a_statement_export_for_excel_has_the_mark_and_crlf(db: str, tmp_path: Path) -> None:
    args = ["export", "--db", db, "--as", "mx-fgr-analista", "--reason", "caso 7"]
    args += ["--format", "statements"]
    code, _, err = run(*args, "-o", str(tmp_path / "plain.csv"))
    assert code == 0, err
    code, _, err = run(*args, "--excel", "-o", str(tmp_path / "excel.csv"))
    assert code == 0, err
    excel = _excel_rows((tmp_path / "excel.csv").read_bytes())
    assert excel == _plain_rows((tmp_path / "plain.csv").read_bytes())  # the same cells
    assert ["María Núñez"] == [r[5] for r in excel if r[1] == "p3"]
    # to standard output too
    code, out, err = run(*args, "--excel")
    assert code == 0, err
    assert _excel_rows(out) == excel


def test_excel_goes_with_csv_only(db: str, tmp_path: Path) -> None:
    """--excel with an output that is not CSV is refused before anything is written, in
    the reader's language."""
    target = tmp_path / "x.jsonl"
    args = ["export", "--db", db, "--as", "mx-fgr-analista", "--reason", "caso 7", "--excel"]
    code, _, err = run(*args, "-o", str(target))
    assert code == 2 and "--excel escribe CSV para Excel: va con --format statements." in err
    assert not target.exists()
    code, _, err = run(
        "--lang", "en", "ledger", "us_atf_traces", "--excel", "--db", db, "--as", "loader"
    )
    assert code == 2 and "--excel writes CSV for Excel: it goes with --format csv." in err


def test_a_ledger_and_an_error_report_for_excel(tmp_path: Path) -> None:
    (tmp_path / "detenidos.csv").write_text(
        "NOMBRE,FECHA\nJosé Núñez,30/11/2026\nPeña Ñuño,31/02/2026\n", encoding="utf-8"
    )
    mapping = tmp_path / "m.yaml"
    mapping.write_text(LEDGER_MAPPING, encoding="utf-8")
    db = str(tmp_path / "l.db")
    ingest = ["ingest", str(mapping), "--db", db, "--as", "loader", "--skip-invalid"]
    code, _, err = run(*ingest, "--excel")
    assert code == 0, err
    report = _excel_rows((tmp_path / "m.yaml.errors.csv").read_bytes())
    assert report[0] == ["file", "row", "column", "value", "reason"]
    assert [r[:4] for r in report[1:]] == [["detenidos.csv", "2", "FECHA", "31/02/2026"]]
    code, _, err = run(*ingest, "--dry-run")  # (without: as before)
    assert code == 0, err
    assert _plain_rows((tmp_path / "m.yaml.errors.csv").read_bytes()) == report

    read = ["ledger", "mx_fgr_detenidos", "--db", db, "--as", "mx-fgr-analista", "--format", "csv"]
    code, out, err = run(*read, "--excel")
    assert code == 0, err
    rows = _excel_rows(out)
    assert rows[1][:2] == ["José Núñez", "2026-11-30"]
    code, out, err = run(*read)
    assert code == 0, err
    assert _plain_rows(out) == rows
