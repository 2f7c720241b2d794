"""A name search's text written as records write a name and its alias ("Víctor Ruiz alias El
Gordito", "(a)", "a.k.a.", "aka", quoted) is read as the name and the alias, each searched,
an entity found by either a hit (`ironriver.policy.alias_query`); "Alias" as a name's word
still finds that name first. On real stores (SQLite, PostgreSQL) and through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ironriver.cli import cli
from ironriver.ingest import ingest_mapping
from ironriver.policy import Marking, Principal, View
from ironriver.policy.alias_query import AliasQuery, alias_parts
from ironriver.store import DatasetInfo, Store, open_store
from ironriver.store.ids import name_key
from samples import table

ATF = DatasetInfo("us_atf_x", "ATF", "US", Marking.AMBER, frozenset({"US"}))
FACTS = [
    ("p1", "name", "Víctor Ruiz Soto"),
    ("p1", "alias", "El Gordito"),
    ("p2", "name", "Víctor Ruiz"),
    ("p3", "name", "Mario Gómez"),
    ("p3", "alias", "El Gordito"),
    ("p4", "name", "Pedro Alias Ruiz"),  # (Alias: a surname)
    ("p5", "name", "Pedro Ruiz"),
    ("p6", "name", "Ana López"),
]

FORMS = [
    "Víctor Ruiz alias El Gordito",
    "victor ruiz ALIAS el gordito",
    "Víctor Ruiz (a) El Gordito",
    "Víctor Ruiz a.k.a. El Gordito",
    "Víctor Ruiz aka El Gordito",
    "Víctor Ruiz a/k/a El Gordito",
    'Víctor Ruiz alias "El Gordito"',
    "Víctor Ruiz 'El Gordito'",
    'Víctor Ruiz "El Gordito"',
    "Víctor Ruiz “El Gordito”",
]


@pytest.mark.parametrize("text", FORMS)
def test_each_form_reads_a_name_and_an_alias(text: str) -> None:
    parsed = alias_parts(text)
    assert parsed is not None and [name_key(p) for p in parsed.parts] == [
        "victor ruiz",
        "el gordito",
    ]


@pytest.mark.parametrize(
    "text",
    ["Juan Alias", "alias juan", "aka", "Conan O'Brien", "D'Angelo", "jose perez", '"Ana López"'],
)
def test_a_text_without_both_a_name_and_an_alias_is_a_plain_search(text: str) -> None:
    assert alias_parts(text) is None


def test_a_marker_that_is_a_word_searches_the_whole_text_too() -> None:
    assert alias_parts("Pedro Alias Ruiz") == AliasQuery(("Pedro", "Ruiz"), whole=True)
    assert alias_parts("Pedro (a) Ruiz") == AliasQuery(("Pedro", "Ruiz"), whole=False)
    assert alias_parts("a alias b alias c") == AliasQuery(("a", "b", "c"), whole=True)
    assert alias_parts("D'Angelo O'Brien 'Jack'") == AliasQuery(
        ("D'Angelo O'Brien", "Jack"), whole=False
    )


def _view(store: Store) -> View:
    with store.writer() as w:
        w.ensure_dataset(ATF)
        rows = [(e, "Person", prop, value) for e, prop, value in FACTS]
        w.add_statements(table(ATF.name, rows), ATF.name, ATF.label)
    return View(store, Principal("atf", "ATF", "US"), audit=False)


def test_a_name_with_its_alias_finds_either_both_first(store: Store) -> None:
    view = _view(store)
    for text in FORMS:
        hits = view.search(text)
        # p1 holds both; then the name's other hit, then the alias's
        assert [(h.entity_id, h.matched) for h in hits] == [
            ("p1", "Víctor Ruiz Soto"),
            ("p2", "Víctor Ruiz"),
            ("p3", "El Gordito"),
        ], text
    assert [h.entity_id for h in view.search("victor ruiz alias gordito", limit=2)] == ["p1", "p2"]
    assert [h.entity_id for h in view.search("ana lopez alias gordito", "Person")] == [
        "p6",
        "p1",
        "p3",
    ]


def test_alias_as_a_name_s_word_still_finds_that_name_first(store: Store) -> None:
    view = _view(store)
    # then Pedro Ruiz (by both parts), then the other hits of "ruiz"
    assert [h.entity_id for h in view.search("pedro alias ruiz")] == ["p4", "p5", "p2", "p1"]
    assert [h.entity_id for h in view.search("alias ruiz")] == ["p4"]
    assert [h.entity_id for h in view.search("pedro alias")] == ["p4"]


MAPPING = """\
mx_fgr_personas:
  agency: FGR
  country: MX
  marking: AMBER
  queries:
    - csv_url: personas.csv
      entities:
        persona:
          schema: Person
          keys: [pid]
          properties: {name: {column: nombre}, alias: {column: alias}}
"""


def test_the_cli_searches_a_name_and_its_alias(tmp_path: Path) -> None:
    rows = "1,Víctor Ruiz Soto,El Gordito\n2,Mario Gómez,El Gordito\n3,Ana López,\n"
    (tmp_path / "personas.csv").write_text("pid,nombre,alias\n" + rows, encoding="utf-8")
    (tmp_path / "m.yml").write_text(MAPPING, encoding="utf-8")
    db = tmp_path / "s.db"
    store = open_store(f"sqlite:///{db}", ledger_dir=tmp_path / "ledgers")
    try:
        ingest_mapping(store, tmp_path / "m.yml", actor="test")
    finally:
        store.close()
    args = ["search", "Víctor Ruiz (a) El Gordito", "--db", str(db), "--as", "mx-fgr-analista"]
    result = CliRunner().invoke(cli, [*args, "--reason", "r", "--json"])
    assert result.exit_code == 0, result.output
    assert [h["matched"] for h in json.loads(result.output)] == ["Víctor Ruiz Soto", "El Gordito"]
