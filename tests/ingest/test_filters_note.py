"""A query whose filters keep none of its file's records says so: `ftm map` is silent, and an
ingest of nothing looked like success."""

from __future__ import annotations

from pathlib import Path

from ironriver.i18n import render
from ironriver.ingest import check_mapping, ingest_mapping
from ironriver.store import Store

MAPPING = """\
mx_fgr_x:
  agency: FGR
  country: MX
  marking: AMBER
  queries:
    - csv_url: armas.csv
      filters: {{estado: '{state}'}}
      entities:
        arma:
          schema: Firearm
          keys: [serie]
          properties: {{serialNumber: {{column: serie}}}}
"""


def _mapping(tmp_path: Path, state: str) -> Path:
    (tmp_path / "armas.csv").write_text(
        "serie,estado\nA1,ACTIVO\nA2,ACTIVO\nA3,BAJA\n", encoding="utf-8"
    )
    path = tmp_path / "m.yml"
    path.write_text(MAPPING.format(state=state), encoding="utf-8")
    return path


def test_filters_that_keep_nothing_are_noted(sqlite_store: Store, tmp_path: Path) -> None:
    result = ingest_mapping(sqlite_store, _mapping(tmp_path, "activo"), actor="loader")
    assert (result.records, result.statements) == (3, 0)
    [note] = result.notes
    assert render(note, "en").startswith(
        "mx_fgr_x: the filters of the query reading armas.csv (filters estado = activo) kept "
        "none of its 3 records, so none was ingested."
    )
    assert "no conservaron ninguno de sus 3 registros" in render(note, "es")
    assert check_mapping(_mapping(tmp_path, "activo")).notes == [note]  # the dry run too


def test_filters_that_keep_a_record_say_nothing(sqlite_store: Store, tmp_path: Path) -> None:
    result = ingest_mapping(sqlite_store, _mapping(tmp_path, "ACTIVO"), actor="loader")
    assert result.statements > 0 and result.notes == []
