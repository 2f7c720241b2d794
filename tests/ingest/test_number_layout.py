"""Numbers written with a thousands dot or a decimal comma ("1.500", "1.500,50", as
Spanish-locale spreadsheets export them): a ledger number column declares its `decimal`
mark, and one that holds such numbers without it is refused rather than stored misread
("1.500" read as 1.5)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from ironriver.cli import cli
from ironriver.errors import IngestError
from ironriver.ingest import check_mapping, ingest_mapping, load_mapping
from ironriver.ingest.draft import draft_file, render_yaml
from ironriver.ingest.specs import LedgerColumn, LedgerSpec
from ironriver.ingest.validate import NUMBER_LAYOUT_MIN, number_layout_error
from ironriver.store import open_store

MONTOS = ["1.500", "2.000", "12.345", "1.234.567", "350", "1.500,50", ""]


def _mapping(folder: Path, values: list[str], column: str, kind: str = "csv") -> Path:
    rows = "".join(f"A{i};{v}\n" for i, v in enumerate(values))
    (folder / "montos.csv").write_text(f"FOLIO;MONTO\n{rows}", encoding="utf-8")
    path = folder / "m.yaml"
    path.write_text(
        "mx_fgr_montos:\n  agency: FGR\n  country: MX\n  marking: AMBER\n  queries:\n"
        '  - csv_url: montos.csv\n    delimiter: ";"\n    ledger:\n      name: montos\n'
        f"      columns:\n        folio: FOLIO\n        monto: {column}\n",
        encoding="utf-8",
    )
    return path


def _ingest(mapping: Path, tmp_path: Path) -> list[object]:
    tmp_path.mkdir(exist_ok=True)
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    try:
        result = ingest_mapping(store, mapping, actor="test")
        assert result.rejected == 0
        rows = pq.read_table(sorted(store.ledger_dir.rglob("part-*.parquet"))).to_pylist()
    finally:
        store.close()
    return [r["monto"] for r in sorted(rows, key=lambda r: str(r["folio"]))]


@pytest.mark.parametrize("kind", ["float", "integer"])
def test_a_number_column_of_thousands_dots_is_refused_without_decimal(
    tmp_path: Path, kind: str
) -> None:
    assert NUMBER_LAYOUT_MIN == 2  # (as docs/mapping.md says)
    mapping = _mapping(tmp_path, MONTOS, f"{{column: MONTO, type: {kind}}}")
    with pytest.raises(IngestError) as err:
        check_mapping(mapping)
    text = err.value.render("en")
    assert "ledger column montos.monto" in text and "thousands dot or a decimal comma" in text
    assert f'`monto: {{column: MONTO, type: {kind}, decimal: ","}}`' in text
    assert "1.500 would be stored as 1.5" in text
    assert "separador de miles" in err.value.render("es")
    # --skip-invalid does not pass it either, and nothing is stored
    result = CliRunner().invoke(
        cli, ["--lang", "en", "ingest", str(mapping), "--db", str(tmp_path / "s.db"),
              "--as", "mx-fgr-analista", "--skip-invalid"],
    )  # fmt: skip
    assert result.exit_code == 1 and 'decimal: ","' in result.stderr
    assert not list(tmp_path.glob("s.db.ledgers/**/*.parquet"))


def test_one_such_value_or_real_decimals_are_not_refused(tmp_path: Path) -> None:
    """One thousands-looking value is not several; and a column with a dot that groups no
    thousands (12.5) writes 12.345 as a decimal too."""
    column = "{column: MONTO, type: float}"
    assert _ingest(_mapping(tmp_path, ["1.500", "350"], column), tmp_path) == [1.5, 350.0]
    values = ["12.345", "1.500", "12.5", "0.250"]
    got = _ingest(_mapping(tmp_path, values, column), tmp_path / "b")
    assert got == [12.345, 1.5, 12.5, 0.25]


def test_decimal_comma_reads_thousands_dots_and_decimal_commas(tmp_path: Path) -> None:
    column = '{column: MONTO, type: float, decimal: ","}'
    got = _ingest(_mapping(tmp_path, MONTOS, column), tmp_path)
    assert got == [1500.0, 2000.0, 12345.0, 1234567.0, 350.0, 1500.5, None]
    # text that is not so written is a rejected value, not a guess
    store = open_store(f"sqlite:///{tmp_path / 'r.db'}")
    with pytest.raises(IngestError, match="1 record of 2 rejected") as err:
        ingest_mapping(store, _mapping(tmp_path, ["1,500.50", "12,5"], column), actor="t")
    store.close()
    assert "not a valid decimal number" in err.value.render("en")  # 1,500.50; 12,5 is 12.5
    integer = '{column: MONTO, type: integer, decimal: ","}'
    got = _ingest(_mapping(tmp_path, ["1.500", "-2.000", "350"], integer), tmp_path / "i")
    assert got == [1500, -2000, 350]


def test_decimal_dot_reads_thousands_commas_and_keeps_dots_decimal(tmp_path: Path) -> None:
    column = '{column: MONTO, type: float, decimal: "."}'
    got = _ingest(_mapping(tmp_path, ["1,500.50", "1.500", "12.345", "7"], column), tmp_path)
    assert got == [1500.5, 1.5, 12.345, 7.0]


@pytest.mark.parametrize(
    ("column", "error"),
    [
        ('{column: MONTO, type: float, decimal: ";"}', 'decimal must be "," or "."'),
        ('{column: MONTO, type: string, decimal: ","}', "decimal is for number columns"),
    ],
)
def test_a_bad_decimal_is_a_mapping_error(tmp_path: Path, column: str, error: str) -> None:
    with pytest.raises(IngestError, match=error):
        load_mapping(_mapping(tmp_path, ["1"], column))


def test_a_draft_declares_a_decimal_comma(tmp_path: Path) -> None:
    _mapping(tmp_path, ["7.345,80", "5.083,44", "350", "67.560,12"], "x")
    draft = draft_file(tmp_path / "montos.csv", country="MX")
    [monto] = [c for c in draft.columns if c.name == "monto"]
    assert (monto.type, monto.decimal) == ("float", ",")
    text = render_yaml(draft, agency="FGR", country="MX")
    assert '"decimal": ","' in text
    (tmp_path / "draft.yaml").write_text(text, encoding="utf-8")
    assert _ingest(tmp_path / "draft.yaml", tmp_path) == [7345.8, 5083.44, 350.0, 67560.12]


class _Recorded:
    """A DuckDB connection that keeps the SQL it is given."""

    def __init__(self) -> None:
        self.con = duckdb.connect()
        self.sql: list[str] = []

    def execute(self, sql: str) -> duckdb.DuckDBPyConnection:
        self.sql.append(sql)
        return self.con.execute(sql)


@pytest.mark.parametrize(
    ("values", "cast", "refused"),
    [
        (["999.99", "12.5", "350", "1,5"], False, False),  # plain decimals, one comma
        (["1.500", "2.250", "12.5"], True, False),  # 3-decimal dots, told apart by 12.5
        (["1.500", "2.250", "350"], True, True),  # thousands dots
        (["1.500", "7,25"], False, True),  # a comma: no cast to decide
    ],
)
def test_every_value_is_cast_only_for_a_column_of_3_decimal_dots(
    values: list[str], cast: bool, refused: bool
) -> None:
    """The layout check reads a column with a LIKE and a search; the plain decimals that tell
    3-decimal dots apart from thousands dots are counted (a cast of every value) only for a
    column with such dots and no comma, which few are (the bench's prices: none)."""
    recorded = _Recorded()
    recorded.con.execute("CREATE TABLE san (_s0 VARCHAR)")
    recorded.con.executemany("INSERT INTO san VALUES (?)", [(v,) for v in values])
    ledger = LedgerSpec("montos", (LedgerColumn("monto", "MONTO", "float"),))
    found = number_layout_error(recorded, ledger, {"MONTO": "_s0"}, "TRUE", "m.csv")  # type: ignore[arg-type]
    assert (found is not None) == refused
    assert any("try_cast" in sql for sql in recorded.sql) == cast
