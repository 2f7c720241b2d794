"""`ironriver ingest` as a command: success output, and a clean error naming the report."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sales_fixtures import ROWS, write_csv  # type: ignore[import-not-found]

from ironriver.ingest.cli import ingest_command


def test_cli_ingest_mapping(sales_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    runner = CliRunner()
    ok = runner.invoke(
        ingest_command,
        ["--db", str(db), "--as", "us-atf-analyst", "--json", str(sales_dir / "sales.yaml")],
    )
    assert ok.exit_code == 0, ok.output
    data = json.loads(ok.stdout)  # progress lines go to stderr
    assert data["ledger_rows_new"] == 4 and data["statements_new"] > 0
    rows = [list(r) for r in ROWS]
    rows[0][1] = "bad"
    write_csv(sales_dir / "sales.csv", rows)
    bad = runner.invoke(
        ingest_command, ["--db", str(db), "--as", "us-atf-analyst", str(sales_dir / "sales.yaml")]
    )
    assert bad.exit_code != 0
    assert "sales.yaml.errors.csv" in str(bad.exception)


def test_cli_ingest_entities(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_text(
        '{"id": "g1", "schema": "Firearm", "properties": {"serialNumber": ["X1"]}}\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        ingest_command,
        [
            "--db",
            str(tmp_path / "e.db"),
            "--as",
            "mx-fgr-analista",
            "--entities",
            str(path),
            "--dataset",
            "mx_fgr_export",
            "--agency",
            "FGR",
            "--country",
            "MX",
            "--releasable-to",
            "MX,US",
        ],
    )
    assert result.exit_code == 0, result.output
    # a Mexican agency's principal reads Spanish (the file is read in the stage's thread)
    assert "1 afirmación nueva" in result.stdout
    # progress on stderr: the lines read, what is staged, written, committed
    assert "e.jsonl: 1 entidad leída y revisada" in result.stderr
    assert "preparando 1 afirmación" in result.stderr
    assert "confirmando la escritura" in result.stderr


def test_dry_run_checks_counts_and_writes_nothing(sales_dir: Path, tmp_path: Path) -> None:
    """--dry-run reports exactly what an ingest would produce, opens no store, and fails on
    the same bad records with the same report."""
    db = tmp_path / "dry.db"
    runner = CliRunner()
    args = ["--db", str(db), "--as", "us-atf-analyst", "--json", str(sales_dir / "sales.yaml")]
    dry = runner.invoke(ingest_command, ["--dry-run", *args])
    assert dry.exit_code == 0, dry.output
    checked = json.loads(dry.stdout)
    assert checked["dry_run"] and checked["statements_new"] == checked["ledger_rows_new"] == 0
    assert not db.exists()  # no store was created or opened
    real = json.loads(runner.invoke(ingest_command, args).stdout)
    for key in ("records", "rejected", "statements", "ledger_rows"):
        assert checked[key] == real[key], key
    rows = [list(r) for r in ROWS]
    rows[0][1] = "bad"
    write_csv(sales_dir / "sales.csv", rows)
    report = sales_dir / "sales.yaml.errors.csv"
    bad = runner.invoke(ingest_command, ["--dry-run", *args])
    assert bad.exit_code != 0 and "sales.yaml.errors.csv" in str(bad.exception)
    assert "bad" in report.read_text(encoding="utf-8")
    skipped = runner.invoke(ingest_command, ["--dry-run", "--skip-invalid", *args])
    assert skipped.exit_code == 0, skipped.output
    counted = json.loads(skipped.stdout)
    assert counted["ledger_rows"] == real["ledger_rows"] - 1  # the bad row is left out
    args[1] = str(tmp_path / "other.db")
    kept = json.loads(runner.invoke(ingest_command, ["--skip-invalid", *args]).stdout)
    for key in ("records", "rejected", "statements", "ledger_rows"):
        assert counted[key] == kept[key], key


def test_dry_run_of_entities(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_text(
        '{"id": "g1", "schema": "Firearm", "properties": {"serialNumber": ["X1"]}}\n'
        '{"id": "g2", "schema": "Spaceship", "properties": {}}\n',
        encoding="utf-8",
    )
    args = [
        *("--db", str(tmp_path / "e.db"), "--as", "mx-fgr-analista", "--entities", str(path)),
        *("--dataset", "mx_fgr_export", "--agency", "FGR", "--country", "MX", "--dry-run"),
    ]
    # English chosen on purpose, over the Mexican principal's Spanish
    ok = CliRunner(env={"IRONRIVER_LANG": "en"}).invoke(ingest_command, [*args, "--skip-invalid"])
    assert ok.exit_code == 0, ok.output
    assert (
        "2 records would give 1 statement and" in ok.output and "Nothing was written" in ok.output
    )
    bad = CliRunner().invoke(ingest_command, args)
    assert bad.exit_code != 0 and "1 entity of 2 rejected" in str(bad.exception)
    assert not (tmp_path / "e.db").exists()
