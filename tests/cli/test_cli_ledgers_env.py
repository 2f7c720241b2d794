"""A mistyped IRONRIVER_LEDGERS, for commands that read a SQLite store: `ledger` said every
part was missing from disk and to restore it or re-ingest it (which would have written it
into the mistyped folder), `ledgers` showed none; R23 made only `audit verify` refuse it.
Now a command that opens an existing store refuses a given folder that does not exist or
is empty while the store has ledgers, naming the folder that holds them when it is the one
beside the store, else counting the parts its ingests recorded. The real CLI, in English
and Spanish."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ironriver.cli import cli

MAPPING = """\
us_atf_sales:
  agency: ATF
  country: US
  marking: AMBER
  releasable_to: [US, MX]
  queries:
  - csv_url: sales.csv
    ledger:
      name: dealer_sales
      columns:
        txn: {column: txn, type: string, required: true}
        serial: {column: serial, type: string}
"""
READS = [
    ["ledger", "us_atf_sales"],
    ["ledgers"],
    ["stats"],
    ["export", "--reason", "case 7"],
]


@pytest.fixture(autouse=True)
def _no_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("IRONRIVER_LEDGERS", "IRONRIVER_DB", "IRONRIVER_AS"):
        monkeypatch.delenv(name, raising=False)


def run(*args: str, ledgers: Path | None = None) -> tuple[int, str]:
    env = {"IRONRIVER_LEDGERS": str(ledgers)} if ledgers is not None else {}
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.output


def _store(tmp_path: Path, ledgers: Path | None = None) -> str:
    (tmp_path / "sales.csv").write_text("txn,serial\nT1,ABC-123\nT2,XYZ9\n", encoding="utf-8")
    (tmp_path / "sales.yaml").write_text(MAPPING, encoding="utf-8")
    db = str(tmp_path / "s.db")
    mapping = str(tmp_path / "sales.yaml")
    code, out = run("ingest", mapping, "--db", db, "--as", "loader", ledgers=ledgers)
    assert code == 0, out
    return db


def test_a_mistyped_folder_is_refused_naming_the_one_beside_the_store(tmp_path: Path) -> None:
    db = _store(tmp_path)
    own = tmp_path / "s.db.ledgers"
    (tmp_path / "empty").mkdir()
    for given, state in (("typo", "which does not exist"), ("empty", "which is empty")):
        for read in READS:
            code, out = run(*read, "--db", db, "--as", "us-atf-analyst", ledgers=tmp_path / given)
            assert code == 2, (read, out)
            assert (
                f"This store keeps its ledgers in {own}, not in {tmp_path / given} "
                f"(IRONRIVER_LEDGERS), {state}: nothing was done." in out
            ), (read, out)
            assert f"Unset IRONRIVER_LEDGERS (or set it to {own})" in out
            assert "missing" not in out and "re-ingest" not in out
    assert not (tmp_path / "typo").exists()  # (nothing made there)
    code, out = run(
        "--lang", "es", "ledger", "us_atf_sales", "--db", db, "--as", "us-atf-analyst",
        ledgers=tmp_path / "typo",
    )  # fmt: skip
    assert code == 2 and "que no existe: no se hizo nada." in out, out
    code, out = run("ledger", "us_atf_sales", "--db", db, "--as", "us-atf-analyst", ledgers=own)
    assert code == 0 and "ABC-123" in out, out  # (the right folder, given: read)


def test_a_store_whose_ledgers_are_elsewhere_counts_its_recorded_parts(tmp_path: Path) -> None:
    """No ledger beside the store: its folder is only ever given, so a typo is told by the
    parts the store's ingests recorded."""
    elsewhere = tmp_path / "data" / "ledgers"
    db = _store(tmp_path, ledgers=elsewhere)
    assert not (tmp_path / "s.db.ledgers").exists()
    code, out = run(
        "ledger", "us_atf_sales", "--db", db, "--as", "us-atf-analyst",
        ledgers=tmp_path / "data" / "ledger",
    )  # fmt: skip
    assert code == 2, out
    assert (
        f"The ledger folder {tmp_path / 'data' / 'ledger'} (IRONRIVER_LEDGERS) does not exist, "
        "but this store's ingests recorded 1 ledger part: nothing was done." in out
    ), out
    assert "Set IRONRIVER_LEDGERS to the folder that holds this store's ledgers" in out
    code, out = run("--lang", "es", "stats", "--db", db, "--as", "us-atf-analyst", ledgers=tmp_path)
    assert code == 0, out  # (a folder holding something is taken as given, as before)
    code, out = run("ledgers", "--db", db, "--as", "us-atf-analyst", ledgers=elsewhere)
    assert code == 0 and "dealer_sales" in out, out


def test_a_store_with_no_ledger_takes_any_folder(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text("id,nombre\n1,Ana\n", encoding="utf-8")
    (tmp_path / "p.yaml").write_text(
        "us_atf_p:\n  agency: ATF\n  country: US\n  marking: AMBER\n  releasable_to: [US]\n"
        "  queries:\n  - csv_url: p.csv\n    entities:\n      p:\n        schema: Person\n"
        "        keys: [id]\n        properties:\n          name: {column: nombre}\n",
        encoding="utf-8",
    )
    db = str(tmp_path / "s.db")
    code, out = run("ingest", str(tmp_path / "p.yaml"), "--db", db, "--as", "loader")
    assert code == 0, out
    code, out = run("stats", "--db", db, "--as", "us-atf-analyst", ledgers=tmp_path / "typo")
    assert code == 0, out
