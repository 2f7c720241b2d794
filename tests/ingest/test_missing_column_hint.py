"""The hint of a file lacking a column the mapping reads: the nearest name it suggests is
one of the file's columns the mapping does not read (a column it reads, and the file has,
is not the renamed one), unless no other is near (user walkthrough, finding 1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ironriver.errors import IngestError
from ironriver.ingest import check_mapping

MAPPING = """
mx_fgr_detenciones:
  agency: FGR
  country: MX
  marking: AMBER
  queries:
    - {source}: {file}
      entities:
        detenido:
          schema: Individual
          keys: [FOLIO]
          properties:
            firstName: {{column: NOMBRE}}
            paternalSurname: {{column: APELLIDO_PATERNO}}
            maternalSurname: {{column: APELLIDO_MATERNO}}
"""


def _hint(tmp_path: Path, source: str, file: str) -> str:
    mapping = tmp_path / "detenciones.yaml"
    mapping.write_text(MAPPING.format(source=source, file=file), encoding="utf-8")
    with pytest.raises(IngestError) as info:
        check_mapping(mapping)
    assert "APELLIDO_PATERNO" in info.value.message
    return info.value.hint or ""


def test_a_renamed_column_is_suggested_not_one_the_mapping_reads(tmp_path: Path) -> None:
    (tmp_path / "detenciones.csv").write_text(
        "FOLIO,NOMBRE,APELLIDO_PAT,APELLIDO_MATERNO\n1,JUAN,PEREZ,LOPEZ\n", encoding="utf-8"
    )
    hint = _hint(tmp_path, "csv_url", "detenciones.csv")
    assert hint.startswith("Did you mean 'APELLIDO_PAT' for 'APELLIDO_PATERNO'?")


def test_a_json_lines_key_renamed_is_suggested_so_too(tmp_path: Path) -> None:
    record = {"FOLIO": "1", "NOMBRE": "JUAN", "APELLIDO_PAT": "PEREZ", "APELLIDO_MATERNO": "L"}
    (tmp_path / "detenciones.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    hint = _hint(tmp_path, "jsonl_url", "detenciones.jsonl")
    assert hint.startswith("Did you mean 'APELLIDO_PAT' for 'APELLIDO_PATERNO'?")


def test_a_column_the_mapping_reads_is_suggested_when_no_other_is_near(tmp_path: Path) -> None:
    (tmp_path / "detenciones.csv").write_text(
        "FOLIO,NOMBRE,APELLIDO_MATERNO,CIUDAD\n1,JUAN,LOPEZ,TIJUANA\n", encoding="utf-8"
    )
    hint = _hint(tmp_path, "csv_url", "detenciones.csv")
    assert hint.startswith("Did you mean 'APELLIDO_MATERNO' for 'APELLIDO_PATERNO'?")
