"""Spreadsheet sources (`xlsx_url`): a sheet with typed cells ingests exactly like the CSV
of the same records; rows are numbered as the spreadsheet shows them; a wrong sheet, header
row or file is a clear error and writes nothing."""

from __future__ import annotations

import csv
from datetime import date, datetime, time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import xlsxwriter
from sales_fixtures import (  # type: ignore[import-not-found]
    HEADER,
    LEDGER_QUERY,
    MAPPING,
    ROWS,
    make_sales_dir,
    snapshot,
)

from ironriver.errors import IngestError
from ironriver.ingest import ingest_mapping
from ironriver.ingest.mapping import SourceSpec
from ironriver.ingest.source import load_source
from ironriver.store import Store, open_store

SHEET_QUERY = "    - xlsx_url: sales.xlsx\n      sheet: Ventas\n      header_row: 3\n"


def _write_sheet(path: Path, rows: list[list[object]], header: list[str] = HEADER) -> Path:
    """A workbook as agencies send them: a cover sheet first, and on "Ventas" a title, a blank
    row, the header on row 3, then the records with typed cells."""
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("Portada").write(0, 0, "Registros de ventas")
    sheet = book.add_worksheet("Ventas")
    us_date = book.add_format({"num_format": "mm/dd/yyyy"})
    sheet.write(0, 0, "DEALER DISPOSITION RECORDS - SYNTHETIC")
    sheet.write_row(2, 0, header)
    for r, row in enumerate(rows, start=3):
        for c, value in enumerate(row):
            if isinstance(value, datetime | date | time):
                sheet.write_datetime(r, c, value, us_date)
            elif isinstance(value, int | float):
                sheet.write_number(r, c, value)
            elif value != "":
                sheet.write_string(r, c, str(value))
    book.close()
    return path


def _typed(row: list[str]) -> list[object]:
    """The fixture's CSV row with the cells a spreadsheet would type: the sale date (US
    month-first text) as a date cell, the price and a year-only birth date as numbers."""
    out: list[object] = list(row)
    month, day, year = (int(x) for x in row[1].split("/"))
    out[1] = datetime(year, month, day)
    if row[9]:
        out[9] = float(row[9])
    if row[6].isdigit():
        out[6] = int(row[6])
    elif row[6]:
        out[6] = datetime.fromisoformat(row[6])  # an ISO birth date typed as a date cell
    return out


def _sheet_dir(tmp_path: Path) -> Path:
    folder = make_sales_dir(tmp_path)
    rows = [_typed(r) for r in ROWS]
    rows[1][1] = ROWS[1][1]  # one sale date typed as text ("1/6/2023"), as happens
    _write_sheet(folder / "sales.xlsx", rows)
    sheet_mapping = (MAPPING + LEDGER_QUERY).replace("    - csv_url: sales.csv\n", SHEET_QUERY)
    (folder / "sheet.yaml").write_text(sheet_mapping, encoding="utf-8")
    return folder


def _ledger_rows(store: Store) -> list[dict[str, object]]:
    files = sorted(store.ledger_dir.rglob("part-*.parquet"))
    table = pq.read_table(files).drop_columns(["_source_ref"])
    return sorted(table.to_pylist(), key=lambda r: str(r["serial"]))


def test_a_sheet_ingests_like_its_csv(tmp_path: Path) -> None:
    folder = _sheet_dir(tmp_path)
    from_csv = open_store(f"sqlite:///{tmp_path / 'csv.db'}")
    from_sheet = open_store(f"sqlite:///{tmp_path / 'sheet.db'}")
    a = ingest_mapping(from_csv, folder / "sales.yaml", actor="test")
    b = ingest_mapping(from_sheet, folder / "sheet.yaml", actor="test")
    assert (b.records, b.rejected, b.statements) == (a.records, 0, a.statements)
    assert snapshot(from_sheet)[0] == snapshot(from_csv)[0]  # every statement, id and value
    assert _ledger_rows(from_sheet) == _ledger_rows(from_csv)
    again = ingest_mapping(from_sheet, folder / "sheet.yaml", actor="test")
    assert again.statements_new == 0 and again.ledger_rows_new == 0
    from_csv.close()
    from_sheet.close()


def test_sheet_cells_read_as_text_with_the_sheets_row_numbers(tmp_path: Path) -> None:
    import duckdb

    path = _write_sheet(
        tmp_path / "a.xlsx",
        [
            ["A-1", datetime(2024, 1, 31), 1234, "00123"],
            ["", "", "", ""],  # a blank row between records: skipped, numbers kept
            ["A-3", datetime(2024, 3, 1, 13, 45), 9.5, time(13, 45)],
            ["A-4", "15/02/2024", "", " "],
        ],
        header=["FOLIO", "FECHA", "NUM", "OTRO"],
    )
    con = duckdb.connect()
    spec = SourceSpec(path, kind="xlsx", sheet="Ventas", header_row=3)
    assert load_source(con, spec, ["FECHA", "FOLIO", "NUM", "OTRO"]) == 3
    assert con.execute(
        "SELECT _row, FOLIO, FECHA, NUM, OTRO FROM src ORDER BY _row"
    ).fetchall() == [
        (4, "A-1", "2024-01-31", "1234", "00123"),
        (6, "A-3", "2024-03-01T13:45:00", "9.5", "13:45:00"),
        (7, "A-4", "15/02/2024", None, " "),
    ]
    dated = SourceSpec(
        path, kind="xlsx", sheet=2, header_row=3, date_formats=(("FECHA", "%d/%m/%Y"),)
    )
    load_source(con, dated, ["FECHA"])
    assert [r[0] for r in con.execute("SELECT FECHA FROM src ORDER BY _row").fetchall()] == [
        "31/01/2024",
        "01/03/2024",
        "15/02/2024",
    ]


def test_a_date_cell_with_a_fraction_of_a_second_is_a_date_cell(tmp_path: Path) -> None:
    """fastexcel writes such a cell '2024-01-31 13:45:30.500', which was not taken for a date
    cell: its text was left as it was, and a mapping's format rejected it."""
    import duckdb

    stamps = [datetime(2024, 1, 31, 13, 45, 30), datetime(2024, 1, 31, 13, 45, 30, 500000)]
    path = _write_sheet(
        tmp_path / "a.xlsx", [["A-1", stamps[0]], ["A-2", stamps[1]]], header=["FOLIO", "HORA"]
    )
    con = duckdb.connect()

    def read(fmt: str | None) -> list[str]:
        formats = (("HORA", fmt),) if fmt else ()
        spec = SourceSpec(path, kind="xlsx", sheet=2, header_row=3, date_formats=formats)
        load_source(con, spec, ["HORA"])
        return [r[0] for r in con.execute("SELECT HORA FROM src ORDER BY _row").fetchall()]

    assert read(None) == ["2024-01-31T13:45:30", "2024-01-31T13:45:30.500"]
    # as Python's strftime writes the cell's datetime: %S whole seconds, %f microseconds
    for fmt in ("%d/%m/%Y %H:%M:%S", "%Y%m%d %H:%M:%S.%f", "%f%%f"):
        assert read(fmt) == [s.strftime(fmt) for s in stamps]


def test_number_cells_read_as_the_shortest_text_of_their_number(tmp_path: Path) -> None:
    """fastexcel's text of a number has nine decimals at most: 1e-10 read '0',
    0.000123456789 '0.000123457', 98765432.12 '98765432.120000005'. A number now reads as a
    text that reads back to it, as in a CSV export; text cells that spell numbers are kept
    as they are written, in a column of numbers or of both."""
    import duckdb

    numbers = [98765432.12, -99.1332081234, 0.000123456789, 1e-10, 12345.0, 3e-7, 2024]
    texts = ["007", "12.50", "0.0000001", "12345678901234567", "1e5"]
    path = _write_sheet(
        tmp_path / "a.xlsx",
        [[v, v if i % 2 else str(i)] for i, v in enumerate(numbers)]
        + [[t, t] for t in texts]
        + [["", datetime(2024, 1, 31)]],
        header=["NUM", "MIXTA"],
    )
    con = duckdb.connect()
    spec = SourceSpec(path, kind="xlsx", sheet=2, header_row=3)
    load_source(con, spec, ["NUM", "MIXTA"])
    got = con.execute("SELECT NUM, MIXTA FROM src ORDER BY _row").fetchall()
    shown = ["98765432.12", "-99.1332081234", "0.000123456789", "1e-10", "12345", "0.0000003"]
    assert [r[0] for r in got] == [*shown, "2024", *texts, None]
    assert [r[1] for r in got] == [
        *(v if i % 2 else str(i) for i, v in enumerate([*shown, "2024"])),
        *texts,
        "2024-01-31",
    ]
    assert [float(v) for v in shown] == numbers[:-1]


def test_a_bad_value_is_reported_at_its_sheet_row(tmp_path: Path) -> None:
    folder = _sheet_dir(tmp_path)
    rows = [_typed(r) for r in ROWS]
    rows[2][1] = "31/02/2023"  # the third record: sheet row 6
    _write_sheet(folder / "sales.xlsx", rows)
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    with pytest.raises(IngestError, match="first at row 6 of the sheet"):
        ingest_mapping(store, folder / "sheet.yaml", actor="test")
    with (folder / "sheet.yaml.errors.csv").open(encoding="utf-8") as fh:
        report = list(csv.DictReader(fh))
    assert {(r["file"], r["row"], r["column"]) for r in report} == {
        ("sales.xlsx[Ventas]", "6", "sold")  # the sheet named, and its row
    }
    assert snapshot(store) == ([], [])
    store.close()


@pytest.mark.parametrize(
    ("change", "says", "hint"),
    [
        ("sheet: Ventas", "has no sheet 'Sales'; its sheets are: 'Portada', 'Ventas'", "sheet"),
        ("header_row: 3", "lacks columns the mapping reads", "set the query's header_row"),
        ("xlsx_url: sales.xlsx", "Cannot read sales.csv as a spreadsheet", "csv_url"),
    ],
)
def test_wrong_sheet_header_row_or_file_is_a_clear_error(
    tmp_path: Path, change: str, says: str, hint: str
) -> None:
    folder = _sheet_dir(tmp_path)
    wrong = {
        "sheet: Ventas": "sheet: Sales",
        "header_row: 3": "header_row: 1",
        "xlsx_url: sales.xlsx": "xlsx_url: sales.csv",
    }[change]
    mapping = folder / "sheet.yaml"
    mapping.write_text(mapping.read_text(encoding="utf-8").replace(change, wrong), "utf-8")
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    with pytest.raises(IngestError) as caught:
        ingest_mapping(store, mapping, actor="test")
    assert says in caught.value.message and hint in str(caught.value.hint_text)
    assert snapshot(store) == ([], [])
    store.close()


def test_sheet_keys_are_for_spreadsheets_only(tmp_path: Path) -> None:
    folder = make_sales_dir(tmp_path)
    mapping = folder / "bad.yaml"
    text = MAPPING.replace(
        "    - csv_url: sales.csv\n", "    - csv_url: sales.csv\n      sheet: 1\n"
    )
    mapping.write_text(text, encoding="utf-8")
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    with pytest.raises(IngestError, match="for spreadsheets"):
        ingest_mapping(store, mapping, actor="test")
    store.close()


def test_a_header_read_twice_is_named_by_the_sheets_column_letters(tmp_path: Path) -> None:
    import duckdb

    from ironriver.ingest.sheets import _letters

    assert [_letters(p) for p in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]
    path = _write_sheet(
        tmp_path / "a.xlsx", [["A-1", "x", "y"]], header=["FOLIO", "SERIE", "FOLIO"]
    )
    spec = SourceSpec(path, kind="xlsx", sheet="Ventas", header_row=3)
    with pytest.raises(IngestError, match=r"names FOLIO more than once \(columns A, C\)") as e:
        load_source(duckdb.connect(), spec, ["FOLIO", "SERIE"])
    assert str(e.value.hint) == "Rename all but one of them in the sheet's header, row 3."
    assert load_source(duckdb.connect(), spec, ["SERIE"]) == 1  # a repeat not read is fine


def test_two_readings_of_one_file_into_one_ledger_keep_both(tmp_path: Path) -> None:
    """Two queries of one file into one ledger, by different filters or from two sheets of
    a workbook, made parts of one name: the second one's rows were silently dropped."""
    book = xlsxwriter.Workbook(str(tmp_path / "meses.xlsx"))
    for month, rows in (("Enero", [["E1", "a"], ["E2", "b"]]), ("Febrero", [["F1", "a"]])):
        sheet = book.add_worksheet(month)
        sheet.write_row(0, 0, ["FOLIO", "TIPO"])
        for r, row in enumerate(rows, start=1):
            sheet.write_row(r, 0, row)
    book.close()
    ledger = "    ledger:\n      name: folios\n      columns:\n        folio: {column: FOLIO}\n"
    queries = [
        "  - xlsx_url: meses.xlsx\n    sheet: Enero\n    filters: {TIPO: a}\n",
        "  - xlsx_url: meses.xlsx\n    sheet: Enero\n    filters: {TIPO: b}\n",
        "  - xlsx_url: meses.xlsx\n    sheet: Febrero\n",
    ]
    mapping = tmp_path / "meses.yaml"
    mapping.write_text(
        "mx_fgr_folios:\n  agency: FGR\n  country: MX\n  marking: AMBER\n  queries:\n"
        + "".join(q + ledger for q in queries),
        encoding="utf-8",
    )
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    result = ingest_mapping(store, mapping, actor="test")
    assert (result.ledger_rows, result.ledger_rows_new) == (3, 3)
    table = pq.read_table(sorted(store.ledger_dir.rglob("part-*.parquet")))
    refs = zip(table["folio"].to_pylist(), table["_source_ref"].to_pylist(), strict=True)
    assert sorted(refs) == [
        ("E1", "meses.xlsx[Enero]:2"),  # provenance names the sheet and its row
        ("E2", "meses.xlsx[Enero]:3"),
        ("F1", "meses.xlsx[Febrero]:2"),
    ]
    again = ingest_mapping(store, mapping, actor="test")
    assert again.ledger_rows_new == 0  # and each reading is still idempotent
    store.close()


def test_without_a_sheet_the_first_visible_one_is_read(tmp_path: Path) -> None:
    """A workbook whose first sheet is a hidden lookup table: a query naming no sheet reads
    the first one the program shows."""
    import duckdb

    path = tmp_path / "oculta.xlsx"
    book = xlsxwriter.Workbook(str(path))
    lookup = book.add_worksheet("Catalogo")
    lookup.write_row(0, 0, ["CLAVE", "DESCRIPCION"])
    lookup.hide()
    data = book.add_worksheet("Datos")
    data.write_row(0, 0, ["FOLIO"])
    data.write_row(1, 0, ["A-1"])
    data.activate()
    book.close()
    con = duckdb.connect()
    assert load_source(con, SourceSpec(path, kind="xlsx"), ["FOLIO"]) == 1
    assert con.execute("SELECT _row, FOLIO FROM src").fetchall() == [(2, "A-1")]
