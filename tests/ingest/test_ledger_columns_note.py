"""A file whose ledger columns differ from those its ledger already holds says so: a column
renamed in a monthly export, or two files of other layouts drafted into one ledger, left
half-empty columns without a word."""

from __future__ import annotations

from pathlib import Path

from ironriver.i18n import render
from ironriver.ingest import ingest_mapping
from ironriver.policy import Principal
from ironriver.store import Store

HEAD = """\
mx_fgech_aseg:
  agency: FGECH
  country: MX
  marking: AMBER
  queries:
"""
QUERY = """\
    - csv_url: {file}
      ledger:
        name: aseguramientos
        columns:
          folio: FOLIO
          {surname}: {{column: {source}}}
"""


def _mapping(tmp_path: Path, name: str, *queries: tuple[str, str, str]) -> Path:
    body = HEAD
    for file, surname, source in queries:
        (tmp_path / file).write_text(
            f"FOLIO,{source}\n{file}-1,PÉREZ\n{file}-2,LÓPEZ\n", encoding="utf-8"
        )
        body += QUERY.format(file=file, surname=surname, source=source)
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def _notes(result: object, lang: str) -> list[str]:
    return [render(n, lang) for n in getattr(result, "notes")]  # noqa: B009


def test_a_renamed_column_is_noted(sqlite_store: Store, tmp_path: Path) -> None:
    ingest_mapping(
        sqlite_store,
        _mapping(tmp_path, "enero.yml", ("enero.csv", "paterno", "PATERNO")),
        actor="a",
    )
    same = ingest_mapping(
        sqlite_store,
        _mapping(tmp_path, "febrero.yml", ("febrero.csv", "paterno", "AP_PATERNO")),
        actor="a",
    )
    assert same.ledger_rows_new == 2 and _notes(same, "en") == []  # same ledger columns
    renamed = ingest_mapping(
        sqlite_store,
        _mapping(tmp_path, "marzo.yml", ("marzo.csv", "apellido_paterno", "APELLIDO_PATERNO")),
        actor="a",
    )
    assert renamed.ledger_rows_new == 2  # still loaded: a note, not a refusal
    [note] = _notes(renamed, "en")
    assert note.startswith(
        "mx_fgech_aseg: ledger aseguramientos already holds rows with other columns (this "
        "file's rows have no paterno; its stored rows have no apellido_paterno)."
    )
    [nota] = _notes(renamed, "es")
    assert "ya tiene filas con otras columnas (las filas de este archivo no tienen paterno" in nota


def test_two_files_of_one_ingest_into_one_ledger(sqlite_store: Store, tmp_path: Path) -> None:
    both = _mapping(
        tmp_path, "both.yml", ("a.csv", "paterno", "PATERNO"), ("b.csv", "apellido", "APELLIDO")
    )
    result = ingest_mapping(sqlite_store, both, actor="a")
    [note] = _notes(result, "en")
    assert "(this file's rows have no paterno; its stored rows have no apellido)" in note


def test_a_loader_who_cannot_see_the_ledger_is_told_nothing(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """The stored columns are the dataset's rows' business: a loader who may not read them
    (an administrator loading for an agency) learns nothing of them."""
    ingest_mapping(
        sqlite_store,
        _mapping(tmp_path, "enero.yml", ("enero.csv", "paterno", "PATERNO")),
        actor="a",
    )
    admin = Principal("admin-us", "ATF", "US", frozenset({"admin", "ingest"}))
    result = ingest_mapping(
        sqlite_store,
        _mapping(tmp_path, "marzo.yml", ("marzo.csv", "apellido", "APELLIDO")),
        actor=admin.name,
        principal=admin,
    )
    assert result.ledger_rows_new == 2 and _notes(result, "en") == []
