"""The time of day as Spanish-locale spreadsheets write it ("01:15:00 p. m.", "a. m.",
"p.m.", with a space or a no-break space) is read by a format's %p, as AM/PM is: in a
ledger timestamp, in an entity's date, and by `mapping draft`'s guess."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
from sqlalchemy import text

from ironriver.ingest import ingest_mapping
from ironriver.ingest.clean import english_meridian
from ironriver.ingest.draft import draft_file
from ironriver.store import open_store

VALUES = [
    "25/03/2024 01:15:00 p. m.",
    "13/04/2024 12:00:00 a. m.",
    "02/05/2024 06:05:00 p.m.",
    "03/05/2024 11:59:00 AM",
    "04/05/2024 07:00:00 pm",
    "05/05/2024 07:30:00 p.\u00a0m.",  # Excel's no-break space
]
EXPECTED = [
    "2024-03-25 13:15:00",
    "2024-04-13 00:00:00",
    "2024-05-02 18:05:00",
    "2024-05-03 11:59:00",
    "2024-05-04 19:00:00",
    "2024-05-05 19:30:00",
]
MAPPING = """mx_fgr_ampm:
  agency: FGR
  country: MX
  marking: AMBER
  queries:
    - csv_url: ampm.csv
      delimiter: ";"
      entities:
        e:
          schema: Event
          keys: [FOLIO]
          properties:
            name: {column: FOLIO}
            date: {column: FECHA, format: "%d/%m/%Y %I:%M:%S %p"}
      ledger:
        name: ampm
        columns:
          folio: FOLIO
          fecha: {column: FECHA, type: timestamp, format: "%d/%m/%Y %I:%M:%S %p"}
"""


def test_spanish_am_pm_is_read_by_percent_p(tmp_path: Path) -> None:
    rows = "".join(f"A{i};{v}\n" for i, v in enumerate(VALUES))
    (tmp_path / "ampm.csv").write_text(f"FOLIO;FECHA\n{rows}", encoding="utf-8")
    (tmp_path / "m.yaml").write_text(MAPPING, encoding="utf-8")
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    result = ingest_mapping(store, tmp_path / "m.yaml", actor="test")
    assert result.rejected == 0
    table = pq.read_table(sorted(store.ledger_dir.rglob("part-*.parquet"))).sort_by("folio")
    assert [str(v) for v in table.column("fecha").to_pylist()] == EXPECTED
    with store.engine.connect() as conn:
        dates = conn.execute(
            text(
                "SELECT s.value FROM statements s JOIN props p ON p.id = s.prop_id "
                "WHERE p.prop = 'date' ORDER BY s.value"
            )
        ).scalars()
        got = sorted(dates)
    store.close()
    assert got == sorted(e.replace(" ", "T") for e in EXPECTED)


def test_the_draft_proposes_percent_p_for_spanish_am_pm(tmp_path: Path) -> None:
    rows = "".join(f"A{i};{v}\n" for i, v in enumerate(VALUES))
    (tmp_path / "ampm.csv").write_text(f"FOLIO;FECHA\n{rows}", encoding="utf-8")
    [_, fecha] = draft_file(tmp_path / "ampm.csv", country="MX").columns
    assert (fecha.type, fecha.format, fecha.flag) == ("timestamp", "%d/%m/%Y %I:%M:%S %p", None)
    assert english_meridian("1:15 p. m.") == "1:15 PM"
    assert english_meridian("Pam") == "Pam"  # no marker at the end: unchanged
