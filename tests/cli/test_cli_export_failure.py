"""`ironriver export` when the store fails mid-export (review R17, F3): the rows are read
whole, from one snapshot, before any is written, so standard output holds nothing that
reads as an export, no -o file is left, and the `export` event says no rows were exported
(`rows: 0`, its `outcome`); an error once output began (here decoding a batch) is said on
standard error to leave standard output incomplete, in English and Spanish (real SQLite
store, click's runner; the batch size made tiny)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import ironriver.policy.export as export_module
import ironriver.policy.table as table_module
from ironriver.cli import cli
from ironriver.store import open_store
from ironriver.store.audit_chain import READS
from samples import fail_second_call, fail_second_read, sample_db

ARGS = ("export", "--as", "mx-fgr-analista", "--reason", "case 9")


def _export(db: str, *more: str) -> Result:
    return CliRunner().invoke(cli, ["--lang", "en", *ARGS, "--db", db, *more])


def _events(db: str) -> list[dict[str, Any]]:
    store = open_store(db, create=False)
    try:
        return [e.detail for e in store.audit.events() if e.chain == READS and e.action == "export"]
    finally:
        store.close()


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
    assert [d["rows"] for d in _events(db)] == [0]


@pytest.mark.usefixtures("second_read_fails")
def test_an_export_that_wrote_nothing_is_audited_as_exporting_nothing(tmp_path: Path) -> None:
    db = sample_db(tmp_path)
    out = tmp_path / "x.csv"
    done = _export(db, "--format", "statements", "-o", str(out))
    assert done.exit_code != 0 and not out.exists()
    assert _events(db) == [{"schemata": [], "types": [], "rows": 0, "outcome": "OperationalError"}]


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
