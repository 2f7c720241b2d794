"""People name schemata and properties as the tables show them (a label, in English or
Spanish, in any case), and a name that names nothing says what was meant and how to list
the names (a command that runs as written). Real SQLite store, real CLI (click's runner)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ironriver.cli import cli
from ironriver.model.labels import schema_label
from ironriver.model.names import schema_named
from samples import sample_db


def _ids(result: object) -> list[str]:
    return [h["entity_id"] for h in json.loads(result.stdout)]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("schema", "text", "found"),
    [
        ("Individuo", "perez", ["p1"]),  # our schema's Spanish label
        ("individual", "perez", ["p1"]),  # its name, any case
        ("persona", "perez", ["p1"]),  # FtM's Spanish label (an Individual is a Person)
        ("PERSON", "perez", ["p1"]),
        ("arma de fuego", "ABC123", ["g1"]),
        ("Firearm", "ABC123", ["g1"]),  # the name as before
        ("Venta", "ABC123", []),  # a Sale: a schema that holds no such hit
    ],
)
def test_search_takes_a_schemas_name_or_label_in_either_language(
    tmp_path: Path, schema: str, text: str, found: list[str]
) -> None:
    db = sample_db(tmp_path)
    for principal in ("us-atf-analyst", "mx-fgr-analista"):
        args = ["search", text, "--schema", schema, "--db", db, "--as", principal, "--json"]
        result = CliRunner().invoke(cli, [*args, "--reason", "r"])
        assert result.exit_code == 0, result.output
        assert _ids(result) == (found if principal.startswith("us") or text != "perez" else [])


def test_address_and_directorship_have_labels_of_their_own(tmp_path: Path) -> None:
    """FtM's Spanish catalog labels both Address and Directorship "Dirección"; ours says
    "Cargo directivo" for a directorship (docs/i18n.md), so each label names one schema."""
    db = sample_db(tmp_path)
    for label, schema in (("Dirección", "Address"), ("cargo directivo", "Directorship")):
        args = ["search", "perez", "--schema", label, "--db", db, "--reason", "r", "--json"]
        result = CliRunner().invoke(cli, [*args, "--as", "mx-fgr-analista"])
        assert result.exit_code == 0, (label, result.output)
        assert schema_named(label).name == schema
    assert schema_label("Directorship", "es") == "Cargo directivo"
    assert schema_label("Address", "es") == "Dirección"


def test_a_label_of_several_schemata_is_an_error_naming_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No two schemata share a label now; were a catalog to give two one (as FtM's gives
    Address and Directorship "Dirección"), the label names neither."""
    import ironriver.model.labels as labels

    monkeypatch.setattr(labels, "_instead_of_ftm", lambda lang: {"Directorship": "Dirección"})
    db = sample_db(tmp_path)
    args = ["search", "perez", "--schema", "Dirección", "--db", db, "--reason", "r"]
    es = CliRunner().invoke(cli, [*args, "--as", "mx-fgr-analista"])
    assert es.exit_code == 2
    assert (
        "'Dirección' es la etiqueta de varios esquemas: Address (Dirección), Directorship "
        "(Dirección).\n  Qué hacer: Indique el que quiere por su nombre: Address, Directorship."
    ) in es.output
    en = CliRunner().invoke(cli, [*args, "--as", "us-atf-analyst"])
    assert en.exit_code == 2
    assert "'Dirección' is the label of several schemata: Address, Directorship." in en.output
    assert "Name the one you mean by its name: Address, Directorship." in en.output


def test_an_unknown_schema_says_the_nearest_ones(tmp_path: Path) -> None:
    db = sample_db(tmp_path)
    args = ["--db", db, "--reason", "r"]
    es = CliRunner().invoke(
        cli, ["search", "perez", "--schema", "Persnoa", *args, "--as", "mx-fgr-analista"]
    )
    assert es.exit_code == 2
    assert "Esquema desconocido: 'Persnoa'.\n  Qué hacer: ¿Quiso decir Person (Persona)?" in (
        es.output
    )
    assert "FTM_MODEL_PATH=$(ironriver model-dir) ftm ref schemata" in es.output
    out = tmp_path / "x.jsonl"
    en = CliRunner().invoke(
        cli, ["export", "--schema", "Individul", "-o", str(out), *args, "--as", "us-atf-analyst"]
    )
    assert en.exit_code == 2 and not out.exists()
    assert "Unknown schema 'Individul'.\n  What to do: Did you mean Individual?" in en.output


def test_a_word_of_a_label_suggests_the_schemata_and_properties_holding_it(
    tmp_path: Path,
) -> None:
    """An unknown "arma" is a word of "Arma de fuego" (docs/i18n.md: the nearest names);
    difflib alone, comparing whole spellings, found nothing near."""
    db = sample_db(tmp_path)
    args = ["--db", db, "--reason", "r"]
    es = CliRunner().invoke(
        cli, ["search", "perez", "--schema", "arma", *args, "--as", "mx-fgr-analista"]
    )
    assert es.exit_code == 2
    assert "Qué hacer: ¿Quiso decir Firearm (Arma de fuego)? " in es.output
    en = CliRunner().invoke(
        cli, ["search", "perez", "--schema", "border", *args, "--as", "us-atf-analyst"]
    )  # a word a name starts with
    assert "What to do: Did you mean BorderCrossing (Border crossing)? " in en.output
    prop = ["retract", "p1", "--db", db, "--as", "us-atf-analyst", "--reason", "r"]
    result = CliRunner().invoke(cli, ["--lang", "es", *prop, "--prop", "nacimiento"])
    assert result.exit_code == 2
    assert (
        "¿Quiso decir birthCountry (País de nacimiento), birthDate (Fecha de nacimiento), "
        "birthPlace (Lugar de nacimiento)?"
    ) in result.output


def test_export_takes_a_schema_label(tmp_path: Path) -> None:
    db = sample_db(tmp_path)
    out = tmp_path / "guns.jsonl"
    args = ["export", "--schema", "arma de fuego", "-o", str(out), "--db", db, "--reason", "r"]
    result = CliRunner().invoke(cli, [*args, "--as", "us-atf-analyst"])
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["g1"]


def _retract(db: str, prop: str, principal: str = "us-atf-analyst") -> object:
    args = ["retract", "p1", "--prop", prop, "--db", db, "--as", principal, "--reason", "r"]
    return CliRunner().invoke(cli, [*args, "--json"])


def test_retract_takes_a_propertys_label_in_either_language(tmp_path: Path) -> None:
    db = sample_db(tmp_path)
    result = _retract(db, "APELLIDO PATERNO")  # (as the Spanish table shows it, any case)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    done = json.loads(result.stdout)  # type: ignore[attr-defined]
    assert [s["prop"] for s in done["retracted"]] == ["paternalSurname"]
    result = _retract(db, "name")  # a name as before
    assert [s["prop"] for s in json.loads(result.stdout)["retracted"]] == ["name"]  # type: ignore[attr-defined]


def test_a_label_of_several_properties_is_an_error_and_retracts_nothing(tmp_path: Path) -> None:
    db = sample_db(tmp_path)
    result = _retract(db, "Segundo nombre")  # FtM's Spanish label of middleName and secondName
    assert result.exit_code == 2  # type: ignore[attr-defined]
    error = json.loads(result.stdout)["error"]  # type: ignore[attr-defined]
    assert error["message"] == (
        "'Segundo nombre' is the label of several properties of Individual: middleName "
        "(Middle name), secondName (Second name)."
    )
    assert error["hint"] == "Name the one you mean by its name: middleName, secondName."
    result = CliRunner().invoke(cli, ["entity", "p1", "--db", db, "--as", "us-atf-analyst"])
    assert "Pérez" in result.output and "Retracted" not in result.output


def test_an_unknown_property_says_the_nearest_and_a_command_that_lists_them(
    tmp_path: Path,
) -> None:
    db = sample_db(tmp_path)
    result = _retract(db, "paternalSurnam")
    assert result.exit_code == 2  # type: ignore[attr-defined]
    error = json.loads(result.stdout)["error"]  # type: ignore[attr-defined]
    assert error["message"] == "'paternalSurnam' is not a property of Individual."
    command = "FTM_MODEL_PATH=$(ironriver model-dir) ftm ref schema Individual"
    assert error["hint"] == (
        "Did you mean paternalSurname (Paternal surname), maternalSurname (Maternal surname)? "
        f"See its properties with: {command}"
    )
    args = ["retract", "p1", "--prop", "apellido patern", "--db", db, "--as", "us-atf-analyst"]
    es = CliRunner().invoke(cli, ["--lang", "es", *args, "--reason", "r"])
    assert es.exit_code == 2
    assert (
        "Qué hacer: ¿Quiso decir paternalSurname (Apellido paterno), maternalSurname (Apellido "
        "materno)? Vea sus propiedades con: "
        f"{command}"
    ) in es.output
    # the command runs as written, with the ftm beside this Python (followthemoney's CLI)
    bin_dir = Path(sys.executable).parent
    if not (bin_dir / "ftm").exists() or not (bin_dir / "ironriver").exists():
        pytest.skip("ftm or ironriver is not installed beside this Python")
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    listed = subprocess.run(
        [shutil.which("bash") or "/bin/bash", "-c", command],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    assert "paternalSurname" in listed.stdout and "maternalSurname" in listed.stdout
