"""A data file given to `ironriver ingest` as its mapping (`ingest fgr/detenciones.csv`) is
said to be a data file, with the commands that draft a mapping for it (and, for JSON Lines,
load it as FtM entities), not parsed as YAML that breaks at "line 1, column 8" (user
walkthrough, finding 2). A mapping's own YAML slip is still said as one."""

from __future__ import annotations

import json
from pathlib import Path

import xlsxwriter
from click.testing import CliRunner

from ironriver.cli import cli

CSV = "FOLIO,FECHA: HORA,NOMBRE\n1,02/01/2024: 10:00,JUAN PEREZ\n2,03/01/2024: 11:30,ANA\n"


def _ingest(mapping: Path, lang: str = "en") -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--lang", lang, "ingest", str(mapping), "--dry-run"])
    return result.exit_code, " ".join(result.output.split())


def _draft_hint(data: Path, mapping: Path) -> str:
    return (
        f"draft one with `ironriver mapping draft {data} -o {mapping}`, check the lines marked "
        f"CHECK, then run `ironriver ingest {mapping} --dry-run`."
    )


def test_a_csv_file_given_as_the_mapping_is_said_to_be_data(tmp_path: Path) -> None:
    data = tmp_path / "detenciones.csv"
    data.write_text(CSV, encoding="utf-8")
    code, out = _ingest(data)
    assert code != 0
    assert f"Error: {data} is a data file, not a mapping." in out
    assert "YAML syntax" not in out and "not valid YAML" not in out
    assert _draft_hint(data, tmp_path / "detenciones.yaml") in out
    assert "--entities" not in out
    code, spanish = _ingest(data, "es")
    assert f"{data} es un archivo de datos, no un mapeo." in spanish
    assert f"`ironriver mapping draft {data} -o {tmp_path / 'detenciones.yaml'}`" in spanish
    assert "revise las líneas marcadas REVISAR" in spanish


def test_a_csv_that_parses_as_yaml_text_is_said_to_be_data_too(tmp_path: Path) -> None:
    """A CSV YAML reads as one string is no YAML error, whatever its name; a cp1252 one is
    no "not UTF-8" error either."""
    data = tmp_path / "detenciones.csv"
    data.write_text("FOLIO;NOMBRE\n1;JUAN\n2;ANA\n", encoding="utf-8")
    assert f"{data} is a data file, not a mapping." in _ingest(data)[1]
    named = tmp_path / "detenciones"
    named.write_text("FOLIO;NOMBRE\n1;JUAN\n2;ANA\n", encoding="utf-8")
    assert f"{named} looks like a CSV data file, not a mapping." in _ingest(named)[1]
    latin = tmp_path / "exportacion.txt"
    latin.write_bytes("FOLIO,NOMBRE\n1,JOSÉ NÚÑEZ\n".encode("cp1252"))
    code, out = _ingest(latin)
    assert code != 0 and f"{latin} is a data file, not a mapping." in out
    assert "UTF-8" not in out


def test_its_mapping_beside_it_is_named(tmp_path: Path) -> None:
    data = tmp_path / "detenciones.csv"
    data.write_text(CSV, encoding="utf-8")
    (tmp_path / "detenciones.yaml").write_text("# a mapping\n", encoding="utf-8")
    out = _ingest(data)[1]
    mapping = tmp_path / "detenciones.yaml"
    assert f"If {mapping} is its mapping, run `ironriver ingest {mapping}`." in out
    assert _draft_hint(data, tmp_path / "detenciones.draft.yaml") in out


def test_a_json_lines_file_is_pointed_to_entities_too(tmp_path: Path) -> None:
    data = tmp_path / "fgr.ftm.jsonl"
    lines = [
        {"id": f"p{i}", "schema": "Person", "properties": {"name": [f"Persona {i}"]}}
        for i in range(2)
    ]
    data.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    one = tmp_path / "one.jsonl"  # (one line parses as a YAML mapping: of no dataset blocks)
    one.write_text(json.dumps(lines[0]) + "\n", encoding="utf-8")
    for path in (data, one):
        code, out = _ingest(path)
        assert code != 0 and f"{path} is a data file, not a mapping." in out
        assert f"load it with --entities, e.g. `ironriver ingest --entities {path} " in out


def test_a_spreadsheet_given_as_the_mapping_is_said_to_be_data(tmp_path: Path) -> None:
    data = tmp_path / "aseguramientos.xlsx"
    book = xlsxwriter.Workbook(str(data))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["FOLIO", "MATRICULA"])
    sheet.write_row(1, 0, ["1", "A123"])
    book.close()
    code, out = _ingest(data)
    assert code != 0 and f"{data} is a data file, not a mapping." in out
    assert _draft_hint(data, tmp_path / "aseguramientos.yaml") in out


def test_a_mapping_with_a_yaml_slip_is_still_a_yaml_error(tmp_path: Path) -> None:
    mapping = tmp_path / "fgr.yaml"
    mapping.write_text("mx_fgr:\n  agency: FGR\n   country: MX\n", encoding="utf-8")
    code, out = _ingest(mapping)
    assert code != 0 and f"Mapping {mapping} is not valid YAML" in out
    assert "Fix the YAML syntax at the position shown." in out and "data file" not in out


def test_a_mapping_written_as_json_is_read_as_a_mapping(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("FOLIO,NOMBRE\n1,JUAN\n", encoding="utf-8")
    mapping = tmp_path / "mapping.json"
    ledger = {"name": "d", "columns": {"folio": {"column": "FOLIO", "type": "string"}}}
    block: dict[str, object] = {"agency": "FGR", "country": "MX", "marking": "AMBER"}
    block["queries"] = [{"csv_url": "d.csv", "ledger": ledger}]
    mapping.write_text(json.dumps({"mx_fgr_d": block}), encoding="utf-8")
    code, out = _ingest(mapping)
    assert code == 0, out
    assert "Checked mx_fgr_d: 1 record" in out
