"""Words ironriver itself writes are shown in the reader's language: the reasons the system
records in the audit log (a new store...), and the properties `retract` lists, by their
labels as `entity` shows them (real SQLite store, click's runner); `--json` keeps the data."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from ironriver.cli import cli
from ironriver.cli_audit import shown_reason
from ironriver.store import open_store
from samples import MX, load, table


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def _store(tmp_path: Path) -> str:
    db = tmp_path / "w.db"
    store = open_store(f"sqlite:///{db}")
    load(store)
    with store.writer() as w:
        rows = [
            ("p2", "Individual", "birthDate", "1980-01-02"),
            ("p2", "Individual", "alias", "El Güero"),
        ]
        w.add_statements(table(MX.name, rows), MX.name, MX.label)
    store.close()
    return str(db)


def _rows(out: str, actor: str) -> list[list[str]]:
    """The rows of `audit log`'s table of events by `actor` (cells: runs of two spaces)."""
    rows = [re.split(r"\s{2,}", line.strip()) for line in out.splitlines()]
    return [row for row in rows if len(row) == 6 and row[2] == actor]  # (no seq: a country's)


def test_the_reasons_ironriver_records_are_shown_in_spanish(tmp_path: Path) -> None:
    db = _store(tmp_path)
    # a principal's own reason is shown as typed, even when it reads as the system's
    run("entity", "p2", "--db", db, "--as", "mx-fgr-analista", "--reason", "new store")
    code, out = run("audit", "log", "--db", db, "--as", "mx-auditor", "--json")
    assert code == 0, out
    events = json.loads(out)
    assert [(e["actor"], e["reason"]) for e in events if e["actor"] == "ironriver"] == [
        ("ironriver", "new store")  # the stored text: the event's hash covers it
    ]
    code, out = run("audit", "log", "--db", db, "--as", "mx-auditor")
    assert code == 0, out
    assert [row[-1] for row in _rows(out, "ironriver")] == ["almacén nuevo"]
    assert {row[-1] for row in _rows(out, "mx-fgr-analista")} == {"new store"}
    code, out = run("--lang", "en", "audit", "log", "--db", db, "--as", "mx-auditor")
    assert [row[-1] for row in _rows(out, "ironriver")] == ["new store"]


def test_each_reason_ironriver_records_has_its_spanish() -> None:
    assert shown_reason("ironriver", "upgrade from 0007", "es") == "actualización desde 0007"
    assert shown_reason("ironriver", "anything else", "es") == "anything else"
    assert shown_reason("loader", "upgrade from 0007", "es") == "upgrade from 0007"


def test_retract_shows_labels_with_their_names(tmp_path: Path) -> None:
    db = _store(tmp_path)
    args = ("--db", db, "--as", "mx-fgr-analista", "--reason", "persona equivocada")
    code, out = run("retract", "p2", "--prop", "fecha de nacimiento", *args)
    assert code == 0, out
    rows = [line for line in out.splitlines() if "1980-01-02" in line]
    assert len(rows) == 1 and "Fecha de nacimiento (birthDate)" in rows[0]
    code, out = run("--lang", "en", "retract", "p2", "--prop", "alias", *args)
    assert code == 0, out
    rows = [re.split(r"\s{2,}", line) for line in out.splitlines() if "El Güero" in line]
    assert len(rows) == 1 and rows[0][1] == "Alias"  # the label is the name's own words
    code, out = run("retract", "p2", "--prop", "name", *args, "--json")
    assert code == 0 and [s["prop"] for s in json.loads(out)["retracted"]] == ["name"]
