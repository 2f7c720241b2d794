"""A record whose entity key columns are all empty makes no entity (FtM needs an id), so its
values of that entity are not stored: the ingest says how many records, of which entity,
and which (`ftm map` says nothing)."""

from __future__ import annotations

from pathlib import Path

from ironriver.ingest import check_mapping

MAPPING = """mx_fgr_missing:
  agency: FGR
  country: MX
  marking: AMBER
  queries:
    - csv_url: missing.csv
      delimiter: ";"
      entities:
        p:
          schema: Person
          keys: [FOLIO]
          properties:
            name: {column: NOMBRE}
            idNumber: {column: CURP}
        socio:
          schema: Person
          id_column: SOCIO_ID
          properties:
            name: {column: SOCIO}
"""


def _check(folder: Path, rows: list[str]) -> list[str]:
    (folder / "missing.csv").write_text(
        "FOLIO;NOMBRE;CURP;SOCIO_ID;SOCIO\n" + "".join(r + "\n" for r in rows), encoding="utf-8"
    )
    mapping = folder / "m.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    return [n.render("en") for n in check_mapping(mapping).notes]


def test_records_with_empty_keys_are_counted_and_named(tmp_path: Path) -> None:
    notes = _check(
        tmp_path,
        [
            "M1;JOSÉ PÉREZ;PEPJ900201HCHRRN09;S1;ANA",
            ";ANA LÓPEZ;LOPA900201MCHRRN01;;",  # record 2: no FOLIO, values lost
            ";LUIS DÍAZ;;;",  # record 3: the same
            "M4;RAÚL SOTO;;;",  # no SOCIO either: an optional second person, nothing lost
            ";;;;",  # a blank record: skipped (its number, 5, stays unused)
            "M6;EVA;;;BETO",  # record 6: a partner's name without its id
        ],
    )
    assert notes == [
        "mx_fgr_missing: 2 records of missing.csv make no p (Person): their key columns "
        "(FOLIO) are empty, so their values of CURP, NOMBRE are not stored (records 2, 3, "
        "header not counted). Fill in the key in the file, or key the entity on columns "
        "every record has.",
        "mx_fgr_missing: 1 record of missing.csv makes no socio (Person): its key columns "
        "(SOCIO_ID) are empty, so its values of SOCIO are not stored (record 6, header not "
        "counted). Fill in the key in the file, or key the entity on columns every record "
        "has.",
    ]


def test_no_note_when_every_record_has_its_keys(tmp_path: Path) -> None:
    assert _check(tmp_path, ["M1;JOSÉ;X;S1;ANA", "M2;LUIS;;;"]) == []
