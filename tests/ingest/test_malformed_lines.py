"""A CSV line DuckDB's reader refuses is named as an editor shows it (`ingest.malformed`):
the line number counts the lines of a quoted value spanning lines (DuckDB counts a record
as one line), the text is the file's (DuckDB's copy of a CRLF line opened with the line
feed, so it read as empty: "holds only spaces or tabs"), and a line of only delimiters says
so."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ironriver.errors import IngestError
from ironriver.ingest.source import load_source
from ironriver.ingest.specs import SourceSpec

REPORT = (
    "REPORTE DE DETENIDOS - FGR DELEGACIÓN SINALOA;;;;;;\r\n"
    "Generado: 01/03/2024;;;;;;\r\n"
    "FOLIO;NOMBRE ;APELLIDO PATERNO;APELLIDO MATERNO;OBSERVACIONES;CURP;;\r\n"
    '0000201;Luis Ángel;Beltrán;Félix;"Detenido en\r\nretén; portaba arma";BEFL900101HSLXXS01;;\r\n'
    "0000202;Ana Sofía;Quiñónez;Ruíz;Sin observaciones;QURA910202MSLXXN02;;\r\n"
    ";;;;;;\r\n"
)


def _error(path: Path, text: str, refs: list[str], header_row: int = 1) -> IngestError:
    path.write_text(text, encoding="utf-8", newline="")
    spec = SourceSpec(path, delimiter=";", header_row=header_row)
    with pytest.raises(IngestError) as caught:
        load_source(duckdb.connect(), spec, refs)
    return caught.value


def test_a_line_of_only_delimiters_says_so_on_the_editors_line(tmp_path: Path) -> None:
    """The export's last line, a spreadsheet's empty row saved one field short, on line 7
    (the record above the quoted line break is lines 4 and 5)."""
    error = _error(tmp_path / "reporte.csv", REPORT, ["FOLIO", "CURP"], header_row=3)
    assert error.message == (
        "Cannot parse reporte.csv: line 7 holds only delimiters (;;;;;;), 7 empty fields "
        "where the header has 8."
    )
    assert error.hint == (
        "Delete that line (it holds no value: a spreadsheet's empty row?), then ingest again."
    )
    spanish = error.render("es")
    assert (
        "No se puede leer reporte.csv: la línea 7 solo contiene delimitadores (;;;;;;), 7 "
        "campos vacíos donde el encabezado tiene 8." in spanish
    )
    assert "Borre esa línea (no contiene ningún valor" in spanish


@pytest.mark.parametrize("end", ["\n", "\r\n"])
def test_a_short_line_is_named_on_the_editors_line_with_its_text(tmp_path: Path, end: str) -> None:
    path = tmp_path / "a.csv"
    spanning = f'a;b;c{end}1;"x{end}y";3{end}{end}2;z{end}'
    error = _error(path, spanning, ["a", "b"])
    assert error.message == "Cannot parse a.csv: line 5 has 2 fields where the header has 3: 2;z"
    plain = _error(path, f"a;b;c{end}1;x;3{end}2;z{end}", ["a", "b"])
    assert plain.message == "Cannot parse a.csv: line 3 has 2 fields where the header has 3: 2;z"
    spaces = _error(path, f'a;b;c{end}1;"x{end}y";3{end}   {end}', ["a", "b"])
    assert spaces.message == "Cannot parse a.csv: line 4 holds only spaces or tabs."


@pytest.mark.parametrize("encoding", ["utf-16", "cp1252"])
def test_a_short_line_of_a_file_in_another_encoding_is_named(tmp_path: Path, encoding: str) -> None:
    """The reader reads a UTF-8 copy of such a file; the error path read that copy in the
    query's encoding: a UTF-16 file raised UnicodeError ("stream does not start with BOM")
    instead of naming its short line (cp1252, the common case, beside it)."""
    path = tmp_path / "d.csv"
    path.write_text(
        "folio;nombre;fecha\n1;Ana Peña;01/02/2020\n2;Luis Ñúñez\n3;Eva Sol;03/04/2021\n",
        encoding=encoding,
    )
    spec = SourceSpec(path, delimiter=";", encoding=encoding)
    with pytest.raises(IngestError) as caught:
        load_source(duckdb.connect(), spec, ["folio", "nombre"])
    assert caught.value.message == (
        "Cannot parse d.csv: line 3 has 2 fields where the header has 3: 2;Luis Ñúñez"
    )
