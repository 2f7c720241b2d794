"""Dataset names, agencies and principal names longer than the store's columns hold are
refused where they are declared, with what to do: PostgreSQL refused them with a traceback
mid-ingest (VARCHAR limits) or at a principal's first audited read, where SQLite kept them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ironriver.cli import cli
from ironriver.errors import ConfigError, IngestError
from ironriver.ingest import check_mapping
from ironriver.policy.markings import AGENCY_CHARS, DATASET_NAME_CHARS, PRINCIPAL_NAME_CHARS
from ironriver.policy.principals import load_principals
from ironriver.store import tables

MAPPING = """\
{name}:
  agency: {agency}
  country: MX
  marking: AMBER
  queries:
    - csv_url: p.csv
      entities:
        person: {{schema: Person, keys: [folio], properties: {{name: {{column: nombre}}}}}}
"""


def test_the_limits_are_the_columns() -> None:
    assert tables.datasets.c.name.type.length == DATASET_NAME_CHARS
    for column in (tables.datasets.c.agency, tables.labels.c.owner_agency):
        assert column.type.length == AGENCY_CHARS
    assert tables.audit_read_events.c.agency.type.length == AGENCY_CHARS
    assert tables.audit_read_events.c.actor.type.length == PRINCIPAL_NAME_CHARS


@pytest.mark.parametrize(
    ("name", "agency", "says"),
    [
        ("mx_" + "a" * 253, "FGR", "is 256 characters long; the store holds at most 255"),
        ("mx_fgr_p", "F" * 65, "is 65 characters long; the store holds at most 64"),
    ],
)
def test_a_mapping_declaring_too_long_a_name_is_refused(
    tmp_path: Path, name: str, agency: str, says: str
) -> None:
    (tmp_path / "p.csv").write_text("folio,nombre\n1,Ana Ruiz\n", encoding="utf-8")
    mapping = tmp_path / "m.yml"
    mapping.write_text(MAPPING.format(name=name, agency=agency), encoding="utf-8")
    with pytest.raises(IngestError) as caught:
        check_mapping(mapping)
    assert says in str(caught.value)
    # at the limit: accepted
    mapping.write_text(MAPPING.format(name=name[:255], agency=agency[:64]), encoding="utf-8")
    assert check_mapping(mapping).statements > 0


def test_an_entity_file_with_too_long_an_agency_is_refused_in_both_languages(
    tmp_path: Path,
) -> None:
    line = {"id": "p1", "schema": "Person", "properties": {"name": ["Ana Ruiz"]}}
    (tmp_path / "e.jsonl").write_text(json.dumps(line) + "\n", encoding="utf-8")
    args = [
        "ingest",
        "--db",
        str(tmp_path / "s.db"),
        "--as",
        "loader",
        "--entities",
        str(tmp_path / "e.jsonl"),
    ]
    args += ["--dataset", "oig_x", "--agency", "O" * 70, "--country", "US", "--marking", "AMBER"]
    got = CliRunner(env={"IRONRIVER_LANG": "en"}).invoke(cli, args)
    assert got.exit_code == 2
    assert "is 70 characters long; the store holds at most 64" in got.stderr
    assert "Give the agency's acronym" in got.stderr
    spanish = CliRunner(env={"IRONRIVER_LANG": "es"}).invoke(cli, args)
    assert "tiene 70 caracteres; el almacén guarda como máximo 64" in spanish.stderr
    assert not (tmp_path / "s.db").exists()  # refused before a store is made


def test_a_principal_with_too_long_a_name_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "principals.yaml"
    name = "u" * 129
    path.write_text(
        f"principals:\n  - name: {name}\n    agency: ATF\n    country: US\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError) as caught:
        load_principals(path)
    text = str(caught.value)
    assert str(path) in text and "is 129 characters long; the audit log holds at most 128" in text
    path.write_text(
        f"principals:\n  - name: {name[:128]}\n    agency: ATF\n    country: US\n", encoding="utf-8"
    )
    assert list(load_principals(path)) == [name[:128]]
