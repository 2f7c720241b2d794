"""A title above a CSV file's header (`ingest.header`): Excel's "Save as CSV" pads a title in
A1, and the blank line under it, with delimiters to the sheet's width (`REPORTE;;;;`), as
wide as the header. The draft proposes `header_row` for it, and an ingest without
`header_row` is refused naming the line, even when the mapping reads the title as a column
(it loaded the header's names as a record, under the title's name)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from ironriver.errors import IngestError
from ironriver.ingest import ingest_mapping
from ironriver.ingest.draft import draft_file, render_yaml
from ironriver.ingest.header import csv_layout
from ironriver.ingest.source import load_source
from ironriver.ingest.specs import SourceSpec
from ironriver.store import open_store

ROWS = [
    ["FOLIO", "NOMBRE", "APELLIDO_PATERNO", "CURP", "FECHA"],
    ["0000201", "Luis", "Beltrán", "BEFL900101HSLXXS01", "01/02/2024"],
    ["0000202", "Ana", "Quiñónez", "QURA910202MSLXXN02", "13/02/2024"],
]


def _titled(folder: Path, delimiter: str) -> Path:
    """A detainees export as Excel saves a sheet titled in A1: the title and a blank line
    padded with delimiters, the header on line 3."""
    pad = delimiter * (len(ROWS[0]) - 1)
    lines = [f"REPORTE DE DETENIDOS{pad}", pad, *(delimiter.join(r) for r in ROWS)]
    path = folder / "detenidos.csv"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def _ingest(mapping: Path, tmp_path: Path) -> list[dict[str, object]]:
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    try:
        ingest_mapping(store, mapping, actor="test")
        return pq.read_table(sorted(store.ledger_dir.rglob("part-*.parquet"))).to_pylist()
    finally:
        store.close()


@pytest.mark.parametrize("delimiter", [";", ","])
def test_a_title_padded_with_delimiters_is_drafted_under_header_row(
    tmp_path: Path, delimiter: str
) -> None:
    path = _titled(tmp_path, delimiter)
    draft = draft_file(path, country="MX")
    assert (draft.delimiter, draft.header_row, draft.sampled) == (delimiter, 3, 2)
    assert [c.header for c in draft.columns] == ROWS[0]
    text = render_yaml(draft, agency="FGR", country="MX")
    assert "    header_row: 3\n" in text
    mapping = tmp_path / "detenidos.yaml"
    mapping.write_text(text, encoding="utf-8")
    rows = _ingest(mapping, tmp_path)
    assert sorted((r["folio"], r["nombre"]) for r in rows) == [
        ("0000201", "Luis"),
        ("0000202", "Ana"),
    ]
    # without header_row, the ingest is refused naming the line to set, in both languages
    mapping.write_text(text.replace("    header_row: 3\n", ""), encoding="utf-8")
    with pytest.raises(IngestError) as caught:
        _ingest(mapping, tmp_path)
    assert caught.value.message == (
        "Cannot parse detenidos.csv: its lines above line 3 look like a title, not the header "
        "and records."
    )
    assert caught.value.hint == "Set `header_row: 3` in the query."
    spanish = caught.value.render("es")
    assert (
        "No se puede leer detenidos.csv: sus líneas antes de la línea 3 parecen un título, "
        "no el encabezado y los registros." in spanish
    )
    assert "Ponga `header_row: 3` en la consulta." in spanish


@pytest.mark.parametrize("delimiter", [";", ","])
def test_a_mapping_reading_the_title_as_a_column_is_refused(tmp_path: Path, delimiter: str) -> None:
    """What the draft wrote before: one ledger column named by the title, which loaded
    FOLIO, 0000201, 0000202 into it."""
    path = _titled(tmp_path, delimiter)
    spec = SourceSpec(path, delimiter=delimiter)
    with pytest.raises(IngestError, match="above line 3 look like a title") as caught:
        load_source(duckdb.connect(), spec, ["REPORTE DE DETENIDOS"])
    assert caught.value.hint == "Set `header_row: 3` in the query."
    con = duckdb.connect()
    assert load_source(con, SourceSpec(path, delimiter=delimiter, header_row=3), ["FOLIO"]) == 2
    assert con.execute("SELECT FOLIO FROM src ORDER BY _row").fetchall() == [
        ("0000201",),
        ("0000202",),
    ]


def test_a_header_with_a_few_empty_names_is_still_the_header(tmp_path: Path) -> None:
    """Mostly empty is a title; a header short of a name or two (a column the export left
    unnamed, a delimiter ending each line) is kept, and loads."""
    assert csv_layout(["FOLIO;NOMBRE;;CURP;", "1;Ana;x;C1;", "2;Bo;y;C2;"]) == (";", 1)
    assert csv_layout(["id,name,,,", "1,Ana,,,", "2,Bo,,,"]) == (",", 1)
    # a title and a dated line over a header ending in two unnamed columns, the records
    # one field short at the end: only records naming two values vote for the width
    report = [
        "REPORTE DE DETENIDOS - FGR;;;;;;",
        "Generado: 01/03/2024;;;;;;",
        "FOLIO;NOMBRE ;APELLIDO PATERNO;APELLIDO MATERNO;OBSERVACIONES;CURP;;",
        "0000201;Luis;Beltrán;Félix;Sin observaciones;BEFL900101HSLXXS01;;",
        "0000202;Ana;Quiñónez;Ruíz;Sin observaciones;QURA910202MSLXXN02;;",
        ";;;;;;",
    ]
    assert csv_layout(report) == (";", 3)
    path = tmp_path / "a.csv"
    path.write_text("FOLIO;NOMBRE;;CURP;\n1;Ana;x;C1;\n2;Bo;y;C2;\n", encoding="utf-8")
    con = duckdb.connect()
    assert load_source(con, SourceSpec(path, delimiter=";"), ["FOLIO", "CURP"]) == 2
