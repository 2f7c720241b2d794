"""Ingest speaks the reader's language: errors render in Spanish (`err.render("es")`) and stay
English in `str(err)`; the error report's reasons are in the language current when the
checks are built; the CSV header stays English (programs read it)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner
from sales_fixtures import FGR_EXPORT as INFO  # type: ignore[import-not-found]
from sales_fixtures import ROWS, write_csv  # type: ignore[import-not-found]

from ironriver.cli_ingest import ingest_command
from ironriver.errors import ConfigError, IngestError
from ironriver.i18n import use_lang
from ironriver.ingest import check_entities, check_mapping, ingest_entities
from ironriver.policy.markings import Marking
from ironriver.store import Store


def _report(path: str | None) -> list[dict[str, str]]:
    assert path is not None
    with Path(path).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _bad_rows(sales_dir: Path) -> None:
    """Row 2: a date not in the mapping's format; row 5 repeats row 3."""
    rows = [list(r) for r in ROWS]
    rows[1][1] = "2023-01-06"
    write_csv(sales_dir / "sales.csv", [*rows, rows[2]])


def test_mapping_error_in_both_languages(sales_dir: Path) -> None:
    mapping = sales_dir / "sales.yaml"
    mapping.write_text(
        mapping.read_text(encoding="utf-8").replace("schema: Firearm", "schema: Gun"),
        encoding="utf-8",
    )
    with pytest.raises(IngestError) as info:
        check_mapping(mapping)
    err = info.value
    assert str(err).startswith(f"Mapping error in {mapping}, dataset 'us_atf_dealer_sales'")
    assert "entity 'firearm' has unknown schema 'Gun'." in err.message
    assert err.hint == (
        "List the schemata with: FTM_MODEL_PATH=$(ironriver model-dir) ftm ref schemata"
    )
    spanish = err.render("es")
    assert spanish.startswith(
        f"Error de mapeo en {mapping}, conjunto de datos 'us_atf_dealer_sales', consulta 1: "
        "la entidad 'firearm' tiene un esquema desconocido: 'Gun'."
    )
    assert "Vea la lista de esquemas con: FTM_MODEL_PATH=" in spanish
    assert "List the schemata" not in spanish


def test_a_mistyped_name_in_a_mapping_says_the_nearest_and_a_command_that_runs(
    sales_dir: Path,
) -> None:
    """The hint's command is `ftm ref schema NAME` with our model folder (`ftm ref NAME`, as
    it said, fails: and without the folder `ftm` knows no Individual nor Firearm)."""
    mapping = sales_dir / "sales.yaml"
    original = mapping.read_text(encoding="utf-8")
    mapping.write_text(original.replace("serialNumber:", "serialNumbr:"), encoding="utf-8")
    with pytest.raises(IngestError) as info:
        check_mapping(mapping)
    command = "FTM_MODEL_PATH=$(ironriver model-dir) ftm ref schema Firearm"
    assert info.value.hint == (
        f"Did you mean serialNumber (Serial number)? See its properties with: {command}"
    )
    assert info.value.render("es").endswith(
        "Qué hacer: ¿Quiso decir serialNumber (Matrícula)? Vea sus propiedades con: " + command
    )
    mapping.write_text(original.replace("schema: Firearm", "schema: Firarm"), encoding="utf-8")
    with pytest.raises(IngestError) as info:
        check_mapping(mapping)
    assert info.value.hint is not None
    assert info.value.hint.startswith("Did you mean Firearm? List the schemata with: ")


def test_passed_on_error_keeps_its_translation(sales_dir: Path) -> None:
    """A policy error inside a mapping (a bad marking) is translated as its own raiser
    wrote it."""
    mapping = sales_dir / "sales.yaml"
    mapping.write_text(
        mapping.read_text(encoding="utf-8").replace("marking: AMBER", "marking: PURPLE"),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as inner:
        Marking.parse("PURPLE")
    with pytest.raises(IngestError) as info:
        check_mapping(mapping)
    err = info.value
    assert inner.value.message in err.message
    assert err.render("es").startswith("Error de mapeo en ")
    assert inner.value.render("es").split("\n")[0] in err.render("es")


def test_rejected_records_in_both_languages(sales_dir: Path) -> None:
    _bad_rows(sales_dir)
    with pytest.raises(IngestError) as info:
        check_mapping(sales_dir / "sales.yaml")
    err = info.value
    assert str(err).startswith("2 of 5 records rejected, nothing was ingested: ")
    assert "(first at record 2, header not counted)" in err.message
    assert "What to do: " in str(err) and " See " in str(err)
    spanish = err.render("es")
    assert spanish.startswith("Se rechazaron 2 de 5 registros; no se cargó nada: ")
    assert "(el primero en el registro 2, sin contar el encabezado)" in spanish
    # the report's English headers, said in Spanish
    assert (
        "sus columnas file, row, column, value, reason (con nombres en inglés, para los" in spanish
    )
    # the reasons were built in English (the language then current), the CSV stays English
    report = _report(err.report_path)
    assert list(report[0]) == ["file", "row", "column", "value", "reason"]
    assert ("5", "(all columns)", "duplicate of row 3") in {
        (r["row"], r["column"], r["reason"]) for r in report
    }


def test_report_reasons_in_spanish(sales_dir: Path) -> None:
    _bad_rows(sales_dir)
    with use_lang("es"), pytest.raises(IngestError) as info:
        check_mapping(sales_dir / "sales.yaml")
    report = _report(info.value.report_path)
    assert list(report[0]) == ["file", "row", "column", "value", "reason"]
    reasons = {(r["row"], r["column"], r["reason"]) for r in report}
    assert ("5", "(todas las columnas)", "duplicado de la fila 3") in reasons
    assert (
        "2",
        "sold",
        "no es un valor válido de tipo fecha en el formato %m/%d/%Y (MM/DD/AAAA): está escrito "
        "de otro modo, o ese día no existe (sale.date)",
    ) in reasons
    assert (
        "2",
        "sold",
        "no es un valor válido de tipo fecha en el formato %m/%d/%Y (MM/DD/AAAA): está escrito "
        "de otro modo, o ese día no existe (libro de registro dealer_sales.sale_date)",
    ) in reasons
    # the message, rendered in the current language, says the same in Spanish
    with use_lang("es"):
        text = info.value.render()
    assert "sold: no es un valor válido de tipo fecha" in text
    assert "(el primero en el registro 2, sin contar el encabezado)" in text


def test_required_value_reason_in_spanish(sales_dir: Path) -> None:
    rows = [list(r) for r in ROWS]
    rows[2][7] = ""  # serial: required by the firearm and by the ledger
    write_csv(sales_dir / "sales.csv", rows)
    with use_lang("es"), pytest.raises(IngestError) as info:
        check_mapping(sales_dir / "sales.yaml")
    reasons = {r["reason"] for r in _report(info.value.report_path)}
    assert "falta un valor obligatorio (firearm.serialNumber)" in reasons
    assert "falta un valor obligatorio (libro de registro dealer_sales.serial)" in reasons


def _entities_file(tmp_path: Path) -> Path:
    path = tmp_path / "e.jsonl"
    path.write_text(
        '{"id": "g1", "schema": "Firearm", "properties": {"serialNumber": ["X1"]}}\n'
        '{"id": "g2", "schema": "Gun", "properties": {}}\n',
        encoding="utf-8",
    )
    return path


def test_entity_reasons_in_spanish(sqlite_store: Store, tmp_path: Path) -> None:
    """The entity file is read in the stage's background thread: its reasons are still in
    the caller's language."""
    path = _entities_file(tmp_path)
    with use_lang("es"), pytest.raises(IngestError) as info:
        ingest_entities(sqlite_store, path, INFO, actor="t")
    assert [r["reason"] for r in _report(info.value.report_path)] == ["esquema desconocido"]
    assert str(info.value).startswith("1 entity of 2 rejected, nothing was ingested: ")
    assert info.value.render("es").startswith("Se rechazó 1 de 2 entidades; no se cargó nada")
    with pytest.raises(IngestError) as english:
        check_entities(path, INFO)
    assert [r["reason"] for r in _report(english.value.report_path)] == ["unknown schema"]


def test_cli_dry_run_in_spanish(sales_dir: Path) -> None:
    result = CliRunner().invoke(
        ingest_command, ["--as", "us-atf-analyst", "--dry-run", str(sales_dir / "sales.yaml")]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Checked us_atf_dealer_sales: 4 records would give ")
    with use_lang("es"):
        result = CliRunner().invoke(
            ingest_command, ["--as", "us-atf-analyst", "--dry-run", str(sales_dir / "sales.yaml")]
        )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        "Revisión de us_atf_dealer_sales: con 4 registros, el resultado sería "
    )
    assert "No se escribió nada." in result.stdout


def test_a_day_that_does_not_exist_and_the_layout_in_the_readers_words(sales_dir: Path) -> None:
    """31/02/2025 is refused as no such day, not only as "not in the format"; the format is
    also said as people write it (MM/DD/AAAA in Spanish), and the summary's row is the record,
    header not counted (record 2 is the file's line 3)."""
    rows = [list(r) for r in ROWS]
    rows[1][1] = "02/31/2025"  # (the fixture's format is %m/%d/%Y)
    write_csv(sales_dir / "sales.csv", rows)
    with use_lang("es"), pytest.raises(IngestError) as info:
        check_mapping(sales_dir / "sales.yaml")
    reasons = {r["reason"] for r in _report(info.value.report_path) if r["row"] == "2"}
    assert any("(MM/DD/AAAA): está escrito de otro modo, o ese día no existe" in r for r in reasons)
    lines = (sales_dir / "sales.csv").read_text(encoding="utf-8").splitlines()
    assert lines[2].split(",")[1] == "02/31/2025"  # record 2: line 3, after the header
    text = info.value.render("es")
    assert "(el primero en el registro 2, sin contar el encabezado)" in text


def test_the_summary_of_one_new_statement_agrees_in_spanish() -> None:
    """Review R22: "1 afirmación nueva (1 producidas)": what was produced is told as a total,
    which agrees with any count."""
    from ironriver.i18n import nmsg

    for singular, plural in (
        (
            "{new:,} new statement ({produced:,} produced)",
            "{new:,} new statements ({produced:,} produced)",
        ),
        (
            "{new:,} new ledger row ({produced:,} produced)",
            "{new:,} new ledger rows ({produced:,} produced)",
        ),
    ):
        one = nmsg(singular, plural, 1, new=1, produced=1).render("es")
        assert one.endswith("nueva (total producido: 1)") or "nueva de libro" in one, one
        assert "producidas" not in one and "(total producido: 1)" in one, one
        many = nmsg(singular, plural, 2, new=2, produced=1_200).render("es")
        assert "nuevas" in many and many.endswith("(total producido: 1,200)"), many
