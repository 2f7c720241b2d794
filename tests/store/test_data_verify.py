"""`audit verify-data`: a statement edited or deleted in the database by hand (sqlite3, psql)
left both audit chains intact and nothing noticed; now the stored statements are checked
against their content-hash ids and against what the ingest events record adding."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select, text

from ironriver.cli import cli
from ironriver.ingest import ingest_mapping
from ironriver.policy import Principal, retract
from ironriver.store import Store
from ironriver.store.data_verify import verify_data
from ironriver.store.tables import statements

MAPPING = """\
mx_fgr_armas:
  agency: FGR
  country: MX
  marking: AMBER
  queries:
    - csv_url: armas.csv
      entities:
        arma:
          schema: Firearm
          keys: [serie]
          properties:
            serialNumber: {column: serie}
            model: {column: modelo}
"""


def _load(store: Store, tmp_path: Path) -> int:
    (tmp_path / "armas.csv").write_text(
        "serie,modelo\nA1,AK-47\nA2,AR-15\nA3,Barrett\n", encoding="utf-8"
    )
    (tmp_path / "m.yml").write_text(MAPPING, encoding="utf-8")
    return ingest_mapping(store, tmp_path / "m.yml", actor="loader").statements_new


def test_an_untouched_store_verifies(store: Store, tmp_path: Path) -> None:
    added = _load(store, tmp_path)
    _load(store, tmp_path)  # a re-ingest adds nothing, and records so
    loader = Principal("fgr-carga", "FGR", "MX", frozenset({"ingest", "analyst"}))
    with store.engine.connect() as conn:
        entity = conn.execute(select(statements.c.entity_id).limit(1)).scalar_one()
    retract(store, loader, entity, reason="entered in error")  # a tombstone, not a deletion
    check = verify_data(store)
    assert check.ok and check.problems == ()
    assert check.statements == check.recorded == added > 0


def test_an_edited_value_is_found(store: Store, tmp_path: Path) -> None:
    _load(store, tmp_path)
    with store.engine.begin() as conn:
        edited = conn.execute(text("SELECT id FROM statements WHERE value = 'AK-47'")).scalar_one()
        conn.execute(text("UPDATE statements SET value = 'AK-74' WHERE value = 'AK-47'"))
    check = verify_data(store)
    assert not check.ok
    [problem] = check.problems
    assert problem.render("en") == (
        "dataset mx_fgr_armas: 1 statement does not match its id (its dataset, entity, property "
        f"or value was edited after it was written): {edited}"
    )
    assert "se editó después de escribirse" in problem.render("es")


def test_deleted_statements_are_found(store: Store, tmp_path: Path) -> None:
    added = _load(store, tmp_path)
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM statements WHERE value IN ('A1', 'A2')"))
    check = verify_data(store)
    assert (check.statements, check.recorded) == (added - 2, added)
    [problem] = check.problems
    assert problem.render("en").endswith(
        f"but its ingest events record {added:,} added: 2 were deleted (statements are never "
        "deleted)"
    )


def test_the_command(sqlite_store: Store, tmp_path: Path) -> None:
    _load(sqlite_store, tmp_path)
    db = ["--db", str(sqlite_store.engine.url)]
    runner = CliRunner()
    fine = runner.invoke(cli, ["audit", "verify-data", *db, "--json"])
    assert fine.exit_code == 0, fine.output
    assert json.loads(fine.output)["ok"] is True
    with sqlite_store.engine.begin() as conn:
        conn.execute(text("DELETE FROM statements WHERE value = 'A3'"))
    sqlite_store.engine.dispose()  # (this process's connections: the command opens its own)
    bad = runner.invoke(cli, ["--lang", "es", "audit", "verify-data", *db])
    assert bad.exit_code == 5
    assert "AFIRMACIONES ALTERADAS (1 problema):" in bad.output
