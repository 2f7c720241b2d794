"""Agencies' forms write a word for a missing name ("UNKNOWN", "Desconocido", "N/A") where
they know none: read as a name, it made a searchable "person" of every such record (`search
unknown`) and its caption. The ingest says so (rigour's null words) and names the fix,
`null_values`; with it, nothing is said and no such name is stored."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from ironriver.i18n import render
from ironriver.ingest import check_mapping, ingest_mapping
from ironriver.store import Store

MAPPING = """\
us_hsi_sujetos:
  agency: HSI
  country: US
  marking: AMBER
  queries:
    - csv_url: sujetos.csv
      {null_values}
      entities:
        sujeto:
          schema: Person
          keys: [caso]
          properties:
            name: {{column: nombre}}
            alias: {{column: alias}}
            notes: {{column: nota}}
"""
ROWS = (
    "caso,nombre,alias,nota\n"
    "C1,Ana Ruiz,UNKNOWN,\n"
    "C2,UNKNOWN,El Flaco,unknown\n"
    "C3, desconocido ,Unknown,\n"
    "C4,Luis Paz,,\n"
)


def _mapping(tmp_path: Path, null_values: str = "") -> Path:
    (tmp_path / "sujetos.csv").write_text(ROWS, encoding="utf-8")
    path = tmp_path / "m.yaml"
    path.write_text(MAPPING.format(null_values=null_values), encoding="utf-8")
    return path


def test_names_that_say_a_name_is_missing_are_noted(sqlite_store: Store, tmp_path: Path) -> None:
    result = ingest_mapping(sqlite_store, _mapping(tmp_path), actor="loader")
    [note] = [render(n, "en") for n in result.notes]
    assert note == (
        "us_hsi_sujetos: 4 values of name columns (alias, nombre) of the query reading "
        "sujetos.csv say a name is missing (UNKNOWN (2), Unknown (1), desconocido (1)) but are "
        "read as names, which search finds and captions show. Add them to the query's "
        "null_values (null_values: [UNKNOWN, Unknown, desconocido]) to read no value."
    )
    assert "falta el nombre" in render(result.notes[0], "es")
    assert check_mapping(_mapping(tmp_path)).notes == result.notes  # the dry run says it too


def test_with_null_values_nothing_is_said_and_no_such_name_is_stored(
    sqlite_store: Store, tmp_path: Path
) -> None:
    path = _mapping(tmp_path, "null_values: [UNKNOWN, Unknown, desconocido]")
    result = ingest_mapping(sqlite_store, path, actor="loader")
    assert result.notes == []
    with sqlite_store.engine.connect() as conn:
        names = conn.execute(
            text(
                "SELECT s.value FROM statements s JOIN props p ON p.id = s.prop_id "
                "WHERE p.prop IN ('name', 'alias') ORDER BY s.value"
            )
        ).fetchall()
    assert [n[0] for n in names] == ["Ana Ruiz", "El Flaco", "Luis Paz"]


def test_mexican_and_us_forms_placeholders_are_noted_too(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """Review R22: "SIN ALIAS", "SE IGNORA", "NO REFIERE", "NINGUNO", "N/D" (Mexican forms)
    and FNU (US: first name unknown) are not in rigour's list; stored unnoticed, `search
    "sin alias"` found every person whose form said so. A real alias is left alone."""
    (tmp_path / "sujetos.csv").write_text(
        "caso,nombre,alias,nota\n"
        "C1,Ana Ruiz,SIN ALIAS,\n"
        "C2,Gus Rey,sin alias,\n"
        "C3,FNU Perez,SE IGNORA,\n"
        "C4,Luis Paz,NO REFIERE,\n"
        "C5,Eva Sol, Ninguno ,\n"
        "C6,Rita Luz,N/D,\n"
        "C7,FNU,El Güero,\n",
        encoding="utf-8",
    )
    path = tmp_path / "m.yaml"
    path.write_text(MAPPING.format(null_values=""), encoding="utf-8")
    [note] = [render(n, "en") for n in ingest_mapping(sqlite_store, path, actor="loader").notes]
    assert "7 values of name columns (alias, nombre)" in note, note
    for value in ("SIN ALIAS (1)", "sin alias (1)", "SE IGNORA", "NO REFIERE", "Ninguno", "N/D"):
        assert value in note, (value, note)
    assert "FNU (1)" in note and "El Güero" not in note and "FNU Perez" not in note
