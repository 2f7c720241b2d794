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
    assert "1 new statements" in result.output
