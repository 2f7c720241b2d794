"""`ironriver mapping draft`: a mapping guessed from a sample of a new agency file reads the
file right (encoding, delimiter, sheet, header row, date layouts) and ingests as written."""

from __future__ import annotations

import codecs
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import xlsxwriter
import yaml
from click.testing import CliRunner
from sales_fixtures import make_sales_dir  # type: ignore[import-not-found]
from sqlalchemy import text as sql_text

from ironriver.cli import cli
from ironriver.errors import IngestError
from ironriver.i18n import use_lang
from ironriver.ingest import ingest_mapping
from ironriver.ingest.draft import draft_file, render_yaml
from ironriver.store import open_store


def _ingest_draft(folder: Path, text: str, tmp_path: Path) -> list[dict[str, object]]:
    mapping = folder / "draft.yaml"
    mapping.write_text(text, encoding="utf-8")
    store = open_store(f"sqlite:///{tmp_path / 'draft.db'}")
    result = ingest_mapping(store, mapping, actor="test")
    assert result.rejected == 0
    rows = pq.read_table(sorted(store.ledger_dir.rglob("part-*.parquet"))).to_pylist()
    store.close()
    return rows


def test_a_draft_of_a_us_csv_types_its_columns_and_ingests(tmp_path: Path) -> None:
    folder = make_sales_dir(tmp_path)
    draft = draft_file(folder / "sales.csv", country="US")
    guessed = {c.name: (c.type, c.format) for c in draft.columns}
    assert guessed["sold"] == ("date", "%m/%d/%Y")
    assert guessed["price"] == ("float", None)
    assert guessed["txn"] == ("string", None) and guessed["ffl"] == ("string", None)
    assert guessed["dob"] == ("string", None)  # "1985" beside "1990-02-03": one layout reads none
    [sold] = [c for c in draft.columns if c.name == "sold"]
    assert sold.flag is not None and "day-first or month-first" in sold.flag.render("en")
    text = render_yaml(draft, agency="ATF", country="US", releasable_to=["MX", "US"])
    assert yaml.safe_load(text)["us_atf_sales"]["queries"][0]["csv_url"] == "sales.csv"
    rows = _ingest_draft(folder, text, tmp_path)
    assert sorted(str(r["sold"]) for r in rows) == [
        "2023-01-05",
        "2023-01-06",
        "2023-02-07",
        "2023-03-09",
    ]
    assert sorted(r["price"] for r in rows if r["price"] is not None) == [350.0, 499.99, 899.0]


def test_a_draft_reads_a_windows_semicolon_export_with_mexican_dates(tmp_path: Path) -> None:
    path = tmp_path / "aseguramientos.csv"
    lines = [
        "FOLIO;FECHA DE ASEGURAMIENTO;CANTIDAD;APELLIDO PATERNO;¿ARMA LARGA?",
        "000123;31/01/2024;2;Núñez;Sí",
        "000124;05/02/2024;15;Peña;No",
    ]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    draft = draft_file(path, country="MX")
    assert (draft.encoding, draft.delimiter) == ("cp1252", ";")
    guessed = {c.name: (c.type, c.format, c.flag) for c in draft.columns}
    assert guessed == {
        "folio": ("string", None, None),  # leading zeros: an identifier
        "fecha_de_aseguramiento": ("date", "%d/%m/%Y", None),  # 31: day-first, no doubt
        "cantidad": ("integer", None, None),
        "apellido_paterno": ("string", None, None),
        "arma_larga": ("boolean", None, None),
    }
    text = render_yaml(draft, agency="FGR", country="MX", releasable_to=["MX"])
    rows = _ingest_draft(tmp_path, text, tmp_path)
    assert [
        (r["folio"], str(r["fecha_de_aseguramiento"]), r["apellido_paterno"]) for r in rows
    ] == [
        ("000123", "2024-01-31", "Núñez"),
        ("000124", "2024-02-05", "Peña"),
    ]
    assert [r["arma_larga"] for r in rows] == [True, False]


def test_a_draft_finds_a_sheets_header_under_its_title(tmp_path: Path) -> None:
    path = tmp_path / "decomisos.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("Portada")
    sheet = book.add_worksheet("Decomisos")
    day_first = book.add_format({"num_format": "dd/mm/yyyy"})
    sheet.write(0, 0, "SECRETARÍA DE LA DEFENSA NACIONAL")
    sheet.write(1, 0, "Decomisos de armas, enero 2024")
    sheet.write_row(3, 0, ["No.", "Fecha", "Serie", "Calibre", "Estado"])
    records = [
        (1, datetime(2024, 1, 3), "ABC123", ".38", "Sinaloa"),
        (2, "09/01/2024", "00451", "9", "Sonora"),  # a date typed as text, day-first
        (3, datetime(2024, 1, 30), "XZ-9", "7.62", "Chihuahua"),
    ]
    for r, record in enumerate(records, start=4):
        for c, value in enumerate(record):
            if isinstance(value, datetime):
                sheet.write_datetime(r, c, value, day_first)
            else:
                sheet.write(r, c, value)
    book.close()
    draft = draft_file(path, country="MX", sheet=2)
    assert (draft.sheet, draft.header_row, draft.sampled) == ("Decomisos", 4, 3)
    guessed = {c.name: (c.type, c.format) for c in draft.columns}
    assert guessed["fecha"] == ("date", "%d/%m/%Y")
    assert guessed["calibre"] == ("string", None)  # a designation, not a number
    assert guessed["serie"] == ("string", None)
    rows = _ingest_draft(tmp_path, render_yaml(draft, agency="SEDENA", country="MX"), tmp_path)
    assert [r["fecha"] for r in rows] == [date(2024, 1, 3), date(2024, 1, 9), date(2024, 1, 30)]
    assert [r["calibre"] for r in rows] == [".38", "9", "7.62"]


def test_a_draft_of_json_lines_reads_the_top_level_keys(tmp_path: Path) -> None:
    path = tmp_path / "cruces.jsonl"
    records = [
        {"plate": "ABC1234", "at": "2024-03-01T08:15:00", "lane": 3, "meta": {"x": 1}},
        {"plate": "XYZ9876", "at": "2024-03-01T09:40:00", "lane": 4, "secondary": True},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    draft = draft_file(path, country="US")
    guessed = {c.name: (c.type, c.format) for c in draft.columns}
    assert guessed == {
        "plate": ("string", None),
        "at": ("timestamp", "%Y-%m-%dT%H:%M:%S"),
        "lane": ("integer", None),
        "secondary": ("boolean", None),
    }


def test_a_draft_of_json_lines_leaves_out_a_key_holding_lists_in_some_records(
    tmp_path: Path,
) -> None:
    """Ingest refuses a JSON list where one value is meant, a ledger column among them: a
    key holding one in any sampled record is left out of the draft's ledger (said on a
    comment), which then ingests every record; a key holding an object is named too."""
    path = tmp_path / "cruces.jsonl"
    records = [
        {"plate": "ABC1234", "aliases": "Beto", "meta": {"x": 1}},
        {"plate": "XYZ9876", "aliases": ["Pepe", "Pepito"]},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    draft = draft_file(path, country="MX")
    assert [(c.name, c.listed) for c in draft.columns] == [("plate", False), ("aliases", True)]
    text = render_yaml(draft, agency="FGR", country="MX")
    query = yaml.safe_load(text)["mx_fgr_cruces"]["queries"][0]
    assert list(query["ledger"]["columns"]) == ["plate"]
    assert '# "aliases" holds lists, which a ledger column does not' in text
    assert '# CHECK: "meta" holds JSON objects, which neither a ledger nor an entity reads' in text
    rows = _ingest_draft(tmp_path, text, tmp_path)
    assert [r["plate"] for r in rows] == ["ABC1234", "XYZ9876"]


def test_the_draft_command_speaks_the_readers_language_and_never_replaces_a_file(
    tmp_path: Path,
) -> None:
    folder = make_sales_dir(tmp_path)
    out = folder / "sales.draft.yaml"
    args = ["--lang", "es", "mapping", "draft", str(folder / "sales.csv"), "--country", "US"]
    result = CliRunner().invoke(cli, [*args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "# Borrador de mapeo para sales.csv" in text and "REVISAR" in text
    assert yaml.safe_load(text)["us_sales"]["agency"] is None  # left for the analyst
    again = CliRunner().invoke(cli, [*args, "-o", str(out)])
    assert again.exit_code == 2 and "ya existe" in again.output
    assert out.read_text(encoding="utf-8") == text


@pytest.mark.parametrize("name", ["missing.csv"])
def test_a_missing_file_is_a_clear_error(tmp_path: Path, name: str) -> None:
    result = CliRunner().invoke(cli, ["mapping", "draft", str(tmp_path / name)])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_a_typo_does_not_make_a_date_column_text_but_is_flagged(tmp_path: Path) -> None:
    path = tmp_path / "detenciones.csv"
    dates = [f"{d:02d}/{m:02d}/2024" for m in (1, 2, 3) for d in range(1, 29)]
    lines = ["FOLIO,FECHA", *(f"F{i},{v}" for i, v in enumerate(dates)), "F99,3O/03/2024"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    [_, fecha] = draft_file(path, country="US").columns  # days past 12: day-first anyway
    assert (fecha.type, fecha.format) == ("date", "%d/%m/%Y")
    assert fecha.flag is not None
    assert fecha.flag.render("en") == (
        '1 sampled value does not read as %d/%m/%Y ("3O/03/2024"): ingest will reject it'
    )


def test_drafts_of_real_public_files_read_their_dates(tmp_path: Path) -> None:
    """The BTS border-crossing files (examples/bts_border_crossings, public domain): a US
    12-hour clock with AM/PM, and month names with no day. Drafted and ingested whole."""
    import shutil

    real = Path(__file__).resolve().parents[2] / "examples" / "bts_border_crossings"
    expected = {
        "all_ports_2018.csv": (
            "timestamp",
            "%m/%d/%Y %I:%M:%S %p",
            "2018-01-01",
            "2018-12-01",
            9534,
        ),
        "san_ysidro_1996_2021.csv": ("date", "%b %Y", "1996-01-01", "2021-12-01", 3285),
    }
    for name, (kind, fmt, first, last, rows) in expected.items():
        folder = tmp_path / name.split(".")[0]
        folder.mkdir()
        shutil.copy(real / name, folder / name)
        draft = draft_file(folder / name, country="US")
        [when] = [c for c in draft.columns if c.header == "Date"]
        assert (when.type, when.format) == (kind, fmt), name
        text = render_yaml(draft, agency="CBP", country="US", releasable_to=["US"])
        dates = sorted(str(r["date"])[:10] for r in _ingest_draft(folder, text, folder))
        assert (dates[0], dates[-1], len(dates)) == (first, last, rows)


def test_entities_are_suggested_from_spanish_and_english_column_names(tmp_path: Path) -> None:
    path = tmp_path / "revisiones.csv"
    header = [
        "FOLIO", "CONDUCTOR_NOMBRE", "CONDUCTOR_PATERNO", "CONDUCTOR_MATERNO",
        "CONDUCTOR_FECHA_DE_NACIMIENTO", "PLACAS", "ARMA_MARCA", "ARMA_CALIBRE",
        "NUMERO_DE_SERIE", "TELEFONO", "PORT_NAME", "ESTADO",
    ]  # fmt: skip
    row = [
        "R-1", "Ana", "López", "Pérez", "03/02/1990", "ABC123", "Glock", "9mm", "XK1",
        "5512345678", "San Ysidro", "BC",
    ]  # fmt: skip
    path.write_text(",".join(header) + "\n" + ",".join(row) + "\n", encoding="utf-8")
    draft = draft_file(path, country="MX")
    text = render_yaml(draft, agency="FGR", country="MX", releasable_to=["MX"])
    entities = yaml.safe_load(text)["mx_fgr_revisiones"]["queries"][0]["entities"]
    assert {name: e["schema"] for name, e in entities.items()} == {
        "conductor": "Individual",
        "vehicle": "Vehicle",
        "firearm": "Firearm",  # ARMA_MARCA, ARMA_CALIBRE and NUMERO_DE_SERIE: one firearm
        "phone": "Phone",
    }
    assert entities["firearm"]["properties"] == {
        "make": {"column": "ARMA_MARCA"},
        "caliber": {"column": "ARMA_CALIBRE"},
        "serialNumber": {"column": "NUMERO_DE_SERIE"},
    }
    assert entities["phone"]["properties"] == {"number": {"column": "TELEFONO", "format": "MX"}}
    person = entities["conductor"]["properties"]
    assert person["paternalSurname"] == {"column": "CONDUCTOR_PATERNO"}
    assert person["maternalSurname"] == {"column": "CONDUCTOR_MATERNO"}
    assert person["birthDate"] == {"column": "CONDUCTOR_FECHA_DE_NACIMIENTO", "format": "%d/%m/%Y"}
    assert person["name"] == {
        "columns": ["CONDUCTOR_NOMBRE", "CONDUCTOR_PATERNO", "CONDUCTOR_MATERNO"],
        "join": " ",
    }
    assert entities["vehicle"]["properties"] == {"registrationNumber": {"column": "PLACAS"}}
    assert "PORT_NAME" not in json.dumps(entities)  # a port's name is no person's
    assert 'CHECK: no entity above reads "PORT_NAME", "ESTADO": add them' in text
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    (tmp_path / "draft.yaml").write_text(text, encoding="utf-8")
    result = ingest_mapping(store, tmp_path / "draft.yaml", actor="test")
    assert (result.rejected, result.statements) == (0, 10)  # 5 + 1 + 3 + 1
    store.close()


def test_a_draft_skips_a_title_above_a_csv_header(tmp_path: Path) -> None:
    path = tmp_path / "aseguramientos.csv"
    path.write_text(
        "FISCALÍA GENERAL DE LA REPÚBLICA\nAseguramientos de armas, enero 2024\n\n"
        "FOLIO;FECHA;MARCA;CALIBRE\nA1;31/01/2024;Glock;9mm\nA2;15/01/2024;Colt;.38\n",
        encoding="utf-8",
    )
    draft = draft_file(path, country="MX")
    assert (draft.delimiter, draft.header_row, draft.sampled) == (";", 4, 2)
    text = render_yaml(draft, agency="FGR", country="MX", releasable_to=["MX"])
    assert "header_row: 4" in text
    rows = _ingest_draft(tmp_path, text, tmp_path)
    assert sorted(str(r["fecha"]) for r in rows) == ["2024-01-15", "2024-01-31"]
    # a header row the user gives is taken as given (--header-row; it was ignored for CSV):
    # a title of as many fields as the header is taken for the header by the guess
    path.write_text(
        "REPORTE;FGR;ENERO;2024\nFOLIO;FECHA;MARCA;CALIBRE\nA1;31/01/2024;Glock;9mm\n",
        encoding="utf-8",
    )
    assert draft_file(path, country="MX").header_row == 1
    given = draft_file(path, country="MX", header_row=2)
    assert (given.delimiter, given.header_row, given.sampled) == (";", 2, 1)
    assert [c.header for c in given.columns] == ["FOLIO", "FECHA", "MARCA", "CALIBRE"]


def test_a_unicode_text_export_is_drafted_and_a_binary_file_refused(tmp_path: Path) -> None:
    """Excel's "Unicode text" export is UTF-16 with tabs: read as such. Bytes that are not
    text are refused rather than drafted as garbage columns."""
    path = tmp_path / "detenidos.txt"
    path.write_bytes("FOLIO\tNOMBRE\r\nA1\tJosé Núñez\r\n".encode("utf-16"))
    draft = draft_file(path, country="MX")
    assert (draft.encoding, draft.delimiter, [c.header for c in draft.columns]) == (
        "utf-16",
        "\t",
        ["FOLIO", "NOMBRE"],
    )
    rows = _ingest_draft(tmp_path, render_yaml(draft, agency="FGR", country="MX"), tmp_path)
    assert [r["nombre"] for r in rows] == ["José Núñez"]
    binary = tmp_path / "foto.csv"
    binary.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(IngestError, match="does not look like a text"):
        draft_file(binary)


def test_a_draft_refuses_an_unknown_marking(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from ironriver.cli import cli

    path = tmp_path / "d.csv"
    path.write_text("nombre,serie\nJuan,A1\n", encoding="utf-8")
    bad = CliRunner().invoke(cli, ["mapping", "draft", str(path), "--marking", "BOGUS"])
    assert bad.exit_code == 2 and "BOGUS" in bad.output
    ok = CliRunner().invoke(cli, ["mapping", "draft", str(path), "--marking", "amber+strict"])
    assert ok.exit_code == 0 and 'marking: "AMBER+STRICT"' in ok.output


def test_a_draft_refuses_an_unknown_country(tmp_path: Path) -> None:
    """The draft would write `country: XX`, which the ingest then refuses: said at once."""
    from click.testing import CliRunner

    from ironriver.cli import cli

    path = tmp_path / "d.csv"
    path.write_text("nombre,fecha\nJuan,03/04/2024\n", encoding="utf-8")
    bad = CliRunner().invoke(cli, ["mapping", "draft", str(path), "--country", "Mexico"])
    assert bad.exit_code == 2 and "Unknown country code 'Mexico'" in bad.output
    assert "Use its code: MX." in bad.output
    ok = CliRunner().invoke(cli, ["mapping", "draft", str(path), "--country", "mx"])
    assert ok.exit_code == 0 and 'country: "MX"' in ok.output, ok.output


def _detentions(path: Path, delimiter: str = ";") -> None:
    """A state prosecutor's export: `;`-separated, decimal commas, and descriptions whose
    quoted values hold a `;`, doubled quotes and a line break (as R8's det_2ml.csv)."""
    header = "FOLIO;NOMBRE;APELLIDO_PATERNO;MONTO;DESCRIPCION;MUNICIPIO"
    lines = [header]
    for i in range(1, 13):
        text = '"Se aseguró arma ""tipo fusil"";\nel detenido dijo ""halcón"""' if i % 2 else "Sin"
        lines.append(f"F-{i:03};ÁNGEL;PÉREZ;{i}.345,80;{text};OJINAGA")
    path.write_text("\n".join(lines).replace(";", delimiter) + "\n", encoding="utf-8")


def test_a_draft_counts_fields_per_record_not_per_line(tmp_path: Path) -> None:
    """Quoted values with line breaks do not make a `;` file with decimal commas look
    `,`-separated with its header on line 2 (fields were counted per line)."""
    path = tmp_path / "detenidos.csv"
    _detentions(path)
    draft = draft_file(path, country="MX")
    assert (draft.delimiter, draft.header_row, draft.sampled) == (";", 1, 12)
    assert [c.header for c in draft.columns][:2] == ["FOLIO", "NOMBRE"]
    for delimiter in ("\t", "|"):
        _detentions(path, delimiter)
        assert draft_file(path, country="MX").delimiter == delimiter


def _person(tmp_path: Path, header: list[str], rows: list[list[str]]) -> tuple[dict[str, Any], str]:
    path = tmp_path / "detenidos.csv"
    lines = [";".join(header)] + [";".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    text = render_yaml(draft_file(path, country="MX"), agency="FGR", country="MX")
    entities = yaml.safe_load(text)["mx_fgr_detenidos"]["queries"][0]["entities"]
    return entities["person"], text


def test_a_draft_keys_a_person_on_the_record_id_or_curp_not_the_name(tmp_path: Path) -> None:
    """Keyed on the name columns, two people of one name were one entity: a record id
    (FOLIO, NUM_REGISTRO...) keys the person when the file has one, else an identifier
    (CURP); FECHA_NAC / F_NAC read as the birth date, CURP as idNumber. Names alone key it
    only when nothing else does, and the draft says what that merges."""
    header = ["FOLIO", "NOMBRE", "APELLIDO_PATERNO", "FECHA_NAC", "CURP"]
    rows = [
        ["F1", "JUAN", "PÉREZ", "01/02/1990", "PEPJ900201HCHRRN09"],
        ["F2", "JUAN", "PÉREZ", "13/05/1971", ""],  # another Juan Pérez
    ]
    person, text = _person(tmp_path, header, rows)
    assert (person["keys"], person["key_literal"]) == (["FOLIO"], "person")
    assert person["properties"]["birthDate"] == {"column": "FECHA_NAC", "format": "%d/%m/%Y"}
    assert person["properties"]["idNumber"] == {"column": "CURP"}
    (tmp_path / "draft.yaml").write_text(text, encoding="utf-8")
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    result = ingest_mapping(store, tmp_path / "draft.yaml", actor="test")
    with store.engine.connect() as conn:
        people = conn.execute(
            sql_text(
                "SELECT count(DISTINCT s.entity_id) FROM statements s "
                "JOIN props p ON p.id = s.prop_id WHERE p.prop = 'firstName'"
            )
        ).scalar_one()
    store.close()
    assert result.rejected == 0 and people == 2  # two Juan Pérez, two people
    person, _ = _person(tmp_path, ["NUM_REGISTRO", "NOMBRE", "F_NAC"], [["1", "A", "01/02/1990"]])
    assert person["keys"] == ["NUM_REGISTRO"] and "birthDate" in person["properties"]
    person, text = _person(tmp_path, ["NOMBRE", "CURP"], [["JUAN PÉREZ", "X"]])
    assert person["keys"] == ["CURP"] and "key_literal" not in person
    assert "a record without this identifier makes no person" in text
    person, text = _person(tmp_path, ["NOMBRE", "APELLIDO_PATERNO"], [["JUAN", "PÉREZ"]])
    assert person["keys"] == ["NOMBRE", "APELLIDO_PATERNO"]
    assert "CHECK: keyed on the name columns: people of the same name become one entity" in text


@pytest.mark.parametrize(
    ("values", "fmt"),
    [
        (["12-ENE-2024", "03-feb-2024", "28-DIC-2023"], "%d-%b-%Y"),  # Spanish, Oracle-style
        (["12-JAN-2024", "03-Feb-2024", "28-DEC-2023"], "%d-%b-%Y"),
        (["12-01-2024 13:45", "03-02-2024 09:05", "28-12-2023 23:59"], "%d-%m-%Y %H:%M"),
    ],
)
def test_a_draft_reads_day_month_year_dates_written_with_dashes(
    tmp_path: Path, values: list[str], fmt: str
) -> None:
    """DD-MON-YYYY (docs/mapping.md's own `12-ENE-2024`, and Oracle's export default) and
    day-first stamps with dashes were typed as text."""
    path = tmp_path / "aseguramientos.csv"
    path.write_text(
        "FOLIO;FECHA\n" + "".join(f"F{i};{v}\n" for i, v in enumerate(values)), encoding="utf-8"
    )
    [_, fecha] = draft_file(path, country="MX").columns
    assert (fecha.type, fecha.format) == ("timestamp" if ":" in fmt else "date", fmt)
    text = render_yaml(draft_file(path, country="MX"), agency="FGR", country="MX")
    rows = _ingest_draft(tmp_path, text, tmp_path)
    assert [str(r["fecha"])[:10] for r in rows] == ["2024-01-12", "2024-02-03", "2023-12-28"]


# a Mexican prosecutor's export (as R22's hechos_cp1252.csv): `;`, cp1252, two-digit years,
# the headers of Mexican forms (Nombre(s), Alias o apodo, Teléfono celular)
HECHOS = (
    "No. Folio;Nombre(s);Apellido Paterno;Apellido Materno;Alias o apodo;"
    "Fecha de Nacimiento;Teléfono celular;Fecha del hecho;Monto asegurado\n"
    "0000101;Juan Carlos;Pérez;López;El Tigre;03/04/85;(55) 1234-5678;01/02/24;1.500,50\n"
    "0000102;María;de la Torre;Núñez;La Jefa;15/11/72;55 8765 4321;02/02/24;12.000,00\n"
    "0000103;Pedro;Gómez;;;07/07/01;;13/02/24;350\n"
)


def _statements(store_path: Path, prop: str) -> list[str]:
    store = open_store(f"sqlite:///{store_path}")
    with store.engine.connect() as conn:
        values = conn.execute(
            sql_text(
                "SELECT s.value FROM statements s JOIN props p ON p.id = s.prop_id "
                "WHERE p.prop = :prop ORDER BY s.value"
            ),
            {"prop": prop},
        ).scalars()
        out = [str(v) for v in values]
    store.close()
    return out


def test_two_digit_years_are_drafted_with_a_window_marked_to_check(tmp_path: Path) -> None:
    """`03/04/85` was typed as text, and the birth date property written without a format:
    every record rejected. A %y layout now comes with its window, marked CHECK: a birth
    date's hundred years end this year, an event's run from 2000, unless a sampled year
    would then lie in the future."""
    path = tmp_path / "hechos.csv"
    path.write_bytes(HECHOS.encode("cp1252"))
    draft = draft_file(path, country="MX", year=2026)
    guessed = {c.name: (c.type, c.format, c.years_from) for c in draft.columns}
    assert guessed["fecha_de_nacimiento"] == ("date", "%d/%m/%y", 1927)
    assert guessed["fecha_del_hecho"] == ("date", "%d/%m/%y", 2000)
    text = render_yaml(draft, agency="FGR", country="MX")
    person = yaml.safe_load(text)["mx_fgr_hechos"]["queries"][0]["entities"]["person"]
    assert person["properties"]["birthDate"] == {
        "column": "Fecha de Nacimiento",
        "format": "%d/%m/%y",
        "two_digit_years_from": 1927,
    }
    assert (
        text.count(
            "CHECK: two-digit years read as 1927-2026, as a birth date is not in the future: if "
            "someone was born before 1927, lower two_digit_years_from"
        )
        == 2
    )  # the property's line and the ledger column's
    assert "CHECK: two-digit years read as 2000-2099, as for recent events" in text
    with use_lang("es"):
        spanish = render_yaml(draft, agency="FGR", country="MX")
    assert "REVISAR: los años de dos dígitos se leen como 1927-2026" in spanish
    rows = _ingest_draft(tmp_path, text, tmp_path)
    assert [str(r["fecha_de_nacimiento"]) for r in rows] == [
        "1985-04-03",
        "1972-11-15",
        "2001-07-07",
    ]
    assert [str(r["fecha_del_hecho"]) for r in rows] == ["2024-02-01", "2024-02-02", "2024-02-13"]
    assert _statements(tmp_path / "draft.db", "birthDate") == [
        "1972-11-15",
        "1985-04-03",
        "2001-07-07",
    ]
    # an event column holding a year that 2000-2099 would put in the future: it is older
    path.write_text("FOLIO;FECHA DE INGRESO\nA1;03/04/85\nA2;15/11/24\n", encoding="utf-8")
    [_, ingreso] = draft_file(path, country="MX", year=2026).columns
    assert (ingreso.format, ingreso.years_from) == ("%d/%m/%y", 1927)
    assert ingreso.years_note is not None
    assert ingreso.years_note.render("en") == (
        "two-digit years read as 1927-2026, as 85 read as 2085 would be in the future: if the "
        "column holds dates after 2026, raise two_digit_years_from"
    )
    # month-first two-digit years, for a US owner, with a time
    path.write_text("ID,STAMP\n1,12/31/24 13:05\n2,01/15/99 08:00\n", encoding="utf-8")
    [_, stamp] = draft_file(path, country="US", year=2026).columns
    assert (stamp.type, stamp.format, stamp.years_from) == ("timestamp", "%m/%d/%y %H:%M", 1927)


@pytest.mark.parametrize("bom", [True, False])
def test_a_json_lines_file_with_a_byte_order_mark_or_in_cp1252_is_drafted(
    tmp_path: Path, bom: bool
) -> None:
    """`mapping draft` refused a JSON Lines file starting with a UTF-8 byte-order mark, which
    the ingest reads ("Unexpected UTF-8 BOM", Python's English in a Spanish message), and
    stopped on a Windows export with a traceback: both are drafted, the latter with its
    `encoding`, and ingest as drafted."""
    path = tmp_path / "informes.jsonl"
    lines = '{"folio": "CNI-1", "nombre_completo": "José Núñez"}\n{"folio": "CNI-2"}\n'
    path.write_bytes(codecs.BOM_UTF8 + lines.encode() if bom else lines.encode("cp1252"))
    draft = draft_file(path, country="MX")
    assert (draft.encoding, [c.header for c in draft.columns]) == (
        "utf-8" if bom else "cp1252",
        ["folio", "nombre_completo"],
    )
    result = CliRunner().invoke(cli, ["--lang", "es", "mapping", "draft", str(path)])
    assert result.exit_code == 0, result.output
    assert ("encoding: cp1252" in result.output) is not bom
    rows = _ingest_draft(tmp_path, render_yaml(draft, agency="FGR", country="MX"), tmp_path)
    assert [r["nombre_completo"] for r in rows] == ["José Núñez", None]


def _workbook(path: Path, sheets: dict[str, list[list[object]]]) -> None:
    book = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            sheet.write_row(r, 0, row)
    book.close()


def test_a_workbook_is_drafted_from_its_sheet_with_the_most_columns(tmp_path: Path) -> None:
    """A cover page first was drafted as the data, silently (a one-column ledger of "1
    sampled records"): with no --sheet, the sheet with the most columns is drafted (the
    first of them on a tie), and the draft says so, naming the sheets and --sheet."""
    path = tmp_path / "libro.xlsx"
    datos = [
        ["FISCALÍA GENERAL"],
        ["FOLIO", "NOMBRE", "MONTO"],
        ["F1", "Ana", 10],
        ["F2", "Luis", 5],
    ]
    _workbook(path, {"Portada": [["Informe mensual"], ["Elaborado por: FGR"]], "Datos": datos})
    draft = draft_file(path, country="MX")
    assert (draft.sheet, draft.header_row, draft.sampled) == ("Datos", 2, 2)
    text = render_yaml(draft, agency="FGR", country="MX")
    assert (
        'sheet: "Datos"  # CHECK: of the workbook\'s sheets "Portada", "Datos", the one with '
        "the most columns (the first of them on a tie); to draft another, pass --sheet NAME"
    ) in text
    assert [r["nombre"] for r in _ingest_draft(tmp_path, text, tmp_path)] == ["Ana", "Luis"]
    named = draft_file(path, country="MX", sheet=1)  # as asked, without a note
    assert (named.sheet, named.sheet_note) == ("Portada", None)
    _workbook(path, {"Enero": datos, "Febrero": [*datos, ["F3", "Eva", 1]]})
    assert draft_file(path, country="MX").sheet == "Enero"  # a tie: the first
    _workbook(path, {"Datos": datos})
    alone = draft_file(path, country="MX")
    assert (alone.sheet, alone.sheet_note) == ("Datos", None)


@pytest.mark.parametrize(
    ("header", "prop"),
    [
        ("Nombre(s)", "firstName"),
        ("NOMBRE (S)", "firstName"),
        ("Alias o apodo", "alias"),
        ("Apodo", "alias"),
        ("Alias", "alias"),
        ("SOBRENOMBRE", "alias"),
        ("Nickname", "alias"),
        ("Teléfono celular", "number"),
        ("Celular", "number"),
        ("Tel. celular", "number"),
        ("NUMERO_DE_TELEFONO", "number"),
        ("Cell phone", "number"),
        ("Mobile", "number"),
    ],
)
def test_the_headers_of_mexican_forms_are_suggested(tmp_path: Path, header: str, prop: str) -> None:
    path = tmp_path / "d.csv"
    path.write_text(f"FOLIO;APELLIDO PATERNO;{header}\nF1;Pérez;x\n", encoding="utf-8")
    text = render_yaml(draft_file(path, country="MX"), agency="FGR", country="MX")
    entities = yaml.safe_load(text)["mx_fgr_d"]["queries"][0]["entities"]
    found = {
        p: spec.get("column") for e in entities.values() for p, spec in e["properties"].items()
    }
    assert found[prop] == header
    assert "no entity above reads" not in text  # every column is read by one


def test_the_draft_says_which_columns_no_entity_reads(tmp_path: Path) -> None:
    """Columns outside the vocabulary were left to the ledger without a word: a comment
    under the entities names them (singular and plural, in both languages)."""
    path = tmp_path / "hechos.csv"
    path.write_bytes(HECHOS.encode("cp1252"))
    text = render_yaml(draft_file(path, country="MX", year=2026), agency="FGR", country="MX")
    entities = yaml.safe_load(text)["mx_fgr_hechos"]["queries"][0]["entities"]
    assert entities["person"]["properties"]["firstName"] == {"column": "Nombre(s)"}
    assert entities["person"]["properties"]["alias"] == {"column": "Alias o apodo"}
    assert entities["phone"]["properties"]["number"] == {
        "column": "Teléfono celular",
        "format": "MX",
    }
    assert (
        '    # CHECK: no entity above reads "Fecha del hecho", "Monto asegurado": add them to '
        "one if analysts need them (the ledger below keeps their values)"
    ) in text
    path.write_text("FOLIO;NOMBRE;MUNICIPIO\nF1;Ana;Ojinaga\n", encoding="utf-8")
    with use_lang("es"):
        text = render_yaml(draft_file(path, country="MX"), agency="FGR", country="MX")
    assert (
        '# REVISAR: ninguna entidad de arriba lee "MUNICIPIO": agréguela a una si los '
        "analistas la necesitan"
    ) in text


def test_a_json_list_of_aliases_is_suggested_as_the_persons_alias(tmp_path: Path) -> None:
    """The CNI's `alias` holds a list: it was dropped from the draft altogether. Suggested as
    the person's alias (each element a statement), never as a key nor a ledger column."""
    path = tmp_path / "informes.jsonl"
    records = [
        {"folio": "CNI-1", "nombre_completo": "José Núñez", "alias": ["El Güero", "Pepe"]},
        {"folio": "CNI-2", "nombre_completo": "Ana Ríos", "alias": ["La Güera"]},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    text = render_yaml(draft_file(path, country="MX"), agency="CNI", country="MX")
    query = yaml.safe_load(text)["mx_cni_informes"]["queries"][0]
    person = query["entities"]["person"]
    assert (person["keys"], person["properties"]["alias"]) == (["folio"], {"column": "alias"})
    assert "alias" not in query["ledger"]["columns"]
    _ingest_draft(tmp_path, text, tmp_path)
    assert _statements(tmp_path / "draft.db", "alias") == ["El Güero", "La Güera", "Pepe"]
    # a person keyed by names: a list is no key, so no person rather than rejected records
    path.write_text(json.dumps({"aliases": ["X"], "n": 1}) + "\n", encoding="utf-8")
    text = render_yaml(draft_file(path, country="MX"), agency="CNI", country="MX")
    assert "entities:" not in text.replace("# entities:", "")


def test_one_sampled_record_reads_in_the_singular(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("FOLIO,MONTO\nF1,3\n", encoding="utf-8")
    draft = draft_file(path)
    assert render_yaml(draft).startswith("# Draft mapping for d.csv, from 1 sampled record.\n")
    with use_lang("es"):
        spanish = render_yaml(draft)
    assert spanish.startswith("# Borrador de mapeo para d.csv, a partir de 1 registro de muestra.")
    path.write_text("FOLIO,MONTO\nF1,3\nF2,4\n", encoding="utf-8")
    assert "from 2 sampled records." in render_yaml(draft_file(path))
