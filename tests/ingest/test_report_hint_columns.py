"""The hint naming an ingest's error report names its columns as the report's header writes
them, in English and Spanish (user walkthrough, finding 4: it said "row, column, value,
reason" of a report whose header is `file,row,column,value,reason`)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner
from sales_fixtures import ROWS, write_csv  # type: ignore[import-not-found]

from ironriver.cli import cli


@pytest.mark.parametrize(
    ("lang", "words"),
    [("en", "See {report} ({columns})."), ("es", "sus columnas {columns} (con nombres")],
)
def test_the_report_hint_names_the_report_header(sales_dir: Path, lang: str, words: str) -> None:
    rows = [list(r) for r in ROWS]
    rows[1][1] = "2023-01-06"  # not the mapping's date format
    write_csv(sales_dir / "sales.csv", rows)
    mapping = sales_dir / "sales.yaml"
    result = CliRunner().invoke(cli, ["--lang", lang, "ingest", str(mapping), "--dry-run"])
    assert result.exit_code != 0
    report = sales_dir / "sales.yaml.errors.csv"
    with report.open(encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh))
    assert header == ["file", "row", "column", "value", "reason"]
    said = " ".join(result.output.split())  # (the message is wrapped to the terminal)
    assert words.format(report=report, columns=", ".join(header)) in said
