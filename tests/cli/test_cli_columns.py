"""A table's column names what the `--json` key it shows names, in the reader's language:
`search` said "id" where `--json` says `entity_id`, and `entity`'s neighbours said "entity"
over a caption and "id" over an entity id. Each table is run for people and with --json on a
real SQLite store; its header is the labels of `ironriver.cli_columns.COLUMNS`, each of a key
the JSON document holds."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ironriver.cli import cli
from ironriver.cli_columns import COLUMNS
from ironriver.i18n import LANGS, Lang, translate
from samples import sample_db

DOC = Path(__file__).parents[2] / "docs" / "cli.md"

# each table: the command, the keys of its columns, and its header as a reader sees it in
# English and Spanish
TABLES: list[tuple[list[str], list[str], dict[str, list[str]]]] = [
    (
        ["search", "perez", "--reason", "r"],
        ["entity_id", "schema", "caption", "matched", "datasets"],
        {
            "en": ["entity id", "schema", "caption", "matched", "datasets"],
            "es": ["id de entidad", "esquema", "nombre", "coincidencia", "conjuntos de datos"],
        },
    ),
    (
        ["entity", "p1", "--reason", "r"],
        ["direction", "prop", "schema", "caption", "entity_id"],
        {
            "en": ["direction", "property", "schema", "caption", "entity id"],
            "es": ["sentido", "propiedad", "esquema", "nombre", "id de entidad"],
        },
    ),
    (
        ["entity", "p1", "--reason", "r"],
        ["prop", "value", "dataset", "marking", "source_ref"],
        {
            "en": ["property", "value", "dataset", "marking", "source"],
            "es": ["propiedad", "valor", "conjunto de datos", "marca TLP", "fuente"],
        },
    ),
    (
        ["datasets"],
        [
            "dataset",
            "owner_agency",
            "owner_country",
            "marking",
            "releasable_to",
            "visible_statements",
            "visible_ledger_rows",
        ],
        {
            "en": [
                "dataset",
                "owner",
                "country",
                "marking",
                "releasable to",
                "visible statements",
                "visible ledger rows",
            ],
            "es": [
                "conjunto de datos",
                "propietario",
                "país",
                "marca TLP",
                "divulgable a",
                "afirmaciones visibles",
                "filas de libro visibles",
            ],
        },
    ),
]


def _run(args: list[str], db: str, lang: str) -> str:
    result = CliRunner().invoke(
        cli, ["--lang", lang, *args, "--db", db, "--as", "us-atf-analyst"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.output


def _header(output: str, first: str) -> list[str]:
    """The cells of the header line (the one above a rule of dashes) whose first is `first`."""
    lines = output.splitlines()
    for line, rule in itertools.pairwise(lines):
        cells = re.split(r"\s{2,}", line.strip())
        if set(rule.replace(" ", "")) == {"-"} and cells[0] == first:
            return cells
    raise AssertionError(f"no table headed with {first!r} in:\n{output}")


def _keys(data: Any) -> set[str]:
    """Every key of a JSON document, at any depth."""
    if isinstance(data, dict):
        return set(data) | {k for v in data.values() for k in _keys(v)}
    if isinstance(data, list):
        return {k for v in data for k in _keys(v)}
    return set()


@pytest.fixture
def db(tmp_path: Path) -> str:
    return sample_db(tmp_path, "c.db")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("args", "keys", "shown"), TABLES)
def test_a_tables_columns_are_named_as_its_json_keys(
    db: str, lang: Lang, args: list[str], keys: list[str], shown: dict[str, list[str]]
) -> None:
    header = _header(_run(args, db, lang), shown[lang][0])
    assert header == shown[lang]
    assert header == [translate(COLUMNS[k], lang) for k in keys]
    assert set(keys) <= _keys(json.loads(_run([*args, "--json"], db, lang)))


def test_retract_names_the_statement_id_column(db: str) -> None:
    args = ["retract", "g1", "--prop", "make", "--reason", "typo"]
    out = _run(args, db, "es")
    assert _header(out, "id de afirmación") == [
        "id de afirmación",
        "propiedad",
        "valor",
        "conjunto de datos",
    ]


def test_each_column_is_a_documented_json_key_with_a_header_of_its_own() -> None:
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", DOC.read_text(encoding="utf-8"), re.M))
    assert set(COLUMNS) <= documented, set(COLUMNS) - documented
    for lang in LANGS:
        shown = [translate(label, lang) for label in COLUMNS.values()]
        assert len(set(shown)) == len(shown), f"{lang}: two keys share a header"
