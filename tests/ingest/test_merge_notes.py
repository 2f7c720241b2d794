"""Ingest says when it merges or keeps what the mapping's author did not mean to, where
`ftm map` is silent: two entity mappings keyed otherwise that get one id in a record, filter
values that match no record, and `id_column` ids that look like row numbers (ids are global,
so another dataset's record 1 is the same entity)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ironriver.cli_ingest import ingest_command
from ironriver.i18n import render
from ironriver.ingest import check_mapping, ingest_mapping
from ironriver.policy import Principal, View
from ironriver.store import Store

HEAD = """\
{name}:
  agency: FGR
  country: MX
  marking: AMBER
  queries:
"""

SALES = """\
    - {kind}_url: {file}
      entities:
        buyer:
          schema: Person
          keys: [buyer_id]
          properties: {{name: {{column: buyer}}}}
        seller:
          schema: Person
          {seller_keys}
          properties: {{name: {{column: seller}}}}
        sale:
          schema: Sale
          keys: [txn]
          properties: {{buyer: {{entity: buyer}}, dealer: {{entity: seller}}}}
"""

# rows 1 and 3: the same number in buyer_id and seller_id (per-sale numbers, not people)
SALE_ROWS = [
    {"txn": "T1", "buyer_id": "1", "buyer": "Ana", "seller_id": "1", "seller": "Luis"},
    {"txn": "T2", "buyer_id": "2", "buyer": "Eva", "seller_id": "3", "seller": "Raúl"},
    {"txn": "T3", "buyer_id": "4", "buyer": "Sol", "seller_id": "4", "seller": "Iker"},
    {"txn": "T4", "buyer_id": "5", "buyer": "Noé", "seller_id": "", "seller": ""},
]


def _sales(tmp_path: Path, kind: str, seller_keys: str = "keys: [seller_id]") -> Path:
    if kind == "csv":
        lines = [",".join(SALE_ROWS[0])] + [",".join(r.values()) for r in SALE_ROWS]
        (tmp_path / "sales.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    else:
        text = "".join(json.dumps(r) + "\n" for r in SALE_ROWS)
        (tmp_path / "sales.jsonl").write_text(text, encoding="utf-8")
    path = tmp_path / "m.yml"
    query = SALES.format(kind=kind, file=f"sales.{kind}", seller_keys=seller_keys)
    path.write_text(HEAD.format(name="mx_fgr_ventas") + query, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("kind", "memory_mb"), [("csv", 1024), ("csv", 0), ("jsonl", 1024)], ids=str
)
def test_two_mappings_keyed_otherwise_with_one_id_are_noted(
    sqlite_store: Store, tmp_path: Path, kind: str, memory_mb: int
) -> None:
    """The in-memory CSV read, the streamed one (memory_mb=0) and JSON Lines all run the
    compiled query; each says it."""
    result = ingest_mapping(
        sqlite_store, _sales(tmp_path, kind), actor="loader", memory_mb=memory_mb
    )
    [note] = result.notes
    assert render(note, "en") == (
        f"mx_fgr_ventas: entity mappings buyer and seller of the query reading sales.{kind} "
        "compute their ids from different keys, but in 2 records both got the same id, so "
        "there they are one entity. If they are different entities, give each a distinct "
        "key_literal, or keys that identify them."
    )
    assert "en 2 registros ambas recibieron el mismo id" in render(note, "es")
    # what it warns of: Ana and Luis are one Person
    view = View(sqlite_store, Principal("f", "FGR", "MX"), reason="test", audit=False)
    names = sorted(sorted(e.get("name")) for e in view.export("Person"))
    assert names == [["Ana", "Luis"], ["Eva"], ["Iker", "Sol"], ["Noé"], ["Raúl"]]


def test_mappings_keyed_alike_or_never_equal_say_nothing(
    sqlite_store: Store, tmp_path: Path
) -> None:
    # FtM's way of giving one entity properties from two mappings: the same keys
    same = ingest_mapping(sqlite_store, _sales(tmp_path, "csv", "keys: [buyer_id]"), actor="x")
    assert same.notes == [] and same.statements > 0
    # keyed otherwise, but with a key_literal the ids never coincide
    salted = "keys: [seller_id]\n          key_literal: seller"
    assert ingest_mapping(sqlite_store, _sales(tmp_path, "csv", salted), actor="x").notes == []
    # keyed alike but salted otherwise: the ids differ in every record
    other = "keys: [buyer_id]\n          key_literal: seller"
    assert check_mapping(_sales(tmp_path, "csv", other)).notes == []


def test_id_column_against_id_column_or_keys(tmp_path: Path) -> None:
    """One column as id_column twice is one spec (silent); two columns are two specs, noted
    where their ids meet."""
    mapping = _sales(tmp_path, "csv", "id_column: buyer_id")
    text = mapping.read_text(encoding="utf-8").replace("keys: [buyer_id]", "id_column: buyer_id")
    mapping.write_text(text, encoding="utf-8")
    assert _id_notes(mapping) == []
    seller = "id_column: buyer_id\n          properties: {name: {column: seller}}"
    mapping.write_text(text.replace(seller, seller.replace("buyer_id", "seller_id")), "utf-8")
    [note] = _id_notes(mapping)
    assert "buyer and seller" in note and "in 2 records" in note


def _id_notes(mapping: Path) -> list[str]:
    """The notes of two entity mappings with one id (not those on id_column numbers)."""
    notes = [render(n, "en") for n in check_mapping(mapping).notes]
    return [n for n in notes if "compute their ids" in n]


FILTERED = """\
    - csv_url: pedidos.csv
      {filters}
      entities:
        pedido:
          schema: Sale
          keys: [folio]
          properties: {{summary: {{column: estado}}}}
"""


def _filtered(tmp_path: Path, filters: str) -> Path:
    (tmp_path / "pedidos.csv").write_text(
        "folio,estado\nP1,ACTIVE\nP2,Cancelado\nP3,ACTIVE\nP4,\n", encoding="utf-8"
    )
    path = tmp_path / "f.yml"
    body = FILTERED.format(filters=filters)
    path.write_text(HEAD.format(name="mx_fgr_pedidos") + body, encoding="utf-8")
    return path


def test_a_filters_not_value_that_matches_nothing_is_noted(
    sqlite_store: Store, tmp_path: Path
) -> None:
    mapping = _filtered(tmp_path, "filters_not: {estado: [CANCELLED, Cancelado, BAJA]}")
    result = ingest_mapping(sqlite_store, mapping, actor="loader")
    assert result.kept == 4  # (the filters drop nothing from the count of records read)
    assert [render(n, "en") for n in result.notes] == [  # one note naming both values
        "mx_fgr_pedidos: filters_not estado = CANCELLED | BAJA of the query reading pedidos.csv "
        "match none of the file's records, so they left none out. Filter values are compared "
        "with the file's text exactly (after trimming): check their spelling and case."
    ]
    assert "no excluyeron ninguno" in render(result.notes[0], "es")
    assert check_mapping(mapping).notes == result.notes  # the dry run says it too
    spelled = _filtered(tmp_path, "filters_not: {estado: Cancelado}")
    assert check_mapping(spelled).notes == []


def test_filters_values_that_match_nothing_are_noted(tmp_path: Path) -> None:
    mapping = _filtered(tmp_path, "filters: {estado: [ACTIVE, activo, Activa]}")
    result = check_mapping(mapping)
    [note] = result.notes
    assert render(note, "en") == (
        "mx_fgr_pedidos: of the values of filters estado of the query reading pedidos.csv, "
        "activo | Activa match none of the file's records. Filter values are compared with the "
        "file's text exactly (after trimming): check their spelling and case."
    )
    assert "no coinciden con ningún registro" in render(note, "es")
    one = check_mapping(_filtered(tmp_path, "filters: {estado: [ACTIVE, activo]}"))
    assert "activo matches none" in render(one.notes[0], "en")
    assert check_mapping(_filtered(tmp_path, "filters: {estado: [ACTIVE, Cancelado]}")).notes == []
    # none kept: the note that says so, not one per value as well
    [none] = check_mapping(_filtered(tmp_path, "filters: {estado: [activo, Activa]}")).notes
    assert "kept none of its 4 records" in render(none, "en")


PEOPLE = """\
    - csv_url: {file}
      entities:
        persona:
          schema: Person
          id_column: pid
          properties: {{name: {{column: nombre}}}}
"""


def _people(tmp_path: Path, dataset: str, rows: list[tuple[str, str]]) -> Path:
    file = f"{dataset}.csv"
    lines = "".join(f"{pid},{name}\n" for pid, name in rows)
    (tmp_path / file).write_text("pid,nombre\n" + lines, encoding="utf-8")
    path = tmp_path / f"{dataset}.yml"
    path.write_text(HEAD.format(name=dataset) + PEOPLE.format(file=file), encoding="utf-8")
    return path


NUMBERED = (
    "{dataset}: entity mapping persona of the query reading {dataset}.csv takes its ids from "
    "column pid as they are, and all are numbers of at most 9 digits, as row or sequence "
    "numbers are. Entity ids are global across datasets: another dataset's record with the "
    "same number would be merged with it. Use keys: instead of id_column (hashed with the "
    "dataset's name and key_literal), or prefix the ids."
)


def test_id_column_ids_like_row_numbers_are_noted(tmp_path: Path) -> None:
    result = check_mapping(_people(tmp_path, "mx_fgr_a", [("1", "Ana"), ("2", "Eva")]))
    assert [render(n, "en") for n in result.notes] == [NUMBERED.format(dataset="mx_fgr_a")]
    assert "son globales" in render(result.notes[0], "es")
    prefixed = [("FGR-1", "Ana"), ("2", "Eva")]
    assert check_mapping(_people(tmp_path, "mx_fgr_b", prefixed)).notes == []
    long = [("1234567890", "Ana")]  # ten digits: a national id number, not a row number
    assert check_mapping(_people(tmp_path, "mx_fgr_c", long)).notes == []


# an analyst who loads: told of the datasets it may see (a loader without the analyst
# role, of its own agency's only: `test_a_loader_that_may_not_read_is_told_of_its_agencys_only`)
FGR_LOADER = Principal("fgr-carga", "FGR", "MX", frozenset({"analyst", "ingest"}))
HELD = (
    "{dataset}: ids of entity mapping persona (column pid of {dataset}.csv) are already "
    "entities of other datasets you may see, so these records are merged with them "
    "(dataset: shared ids): {held}. Unless they are the same entities, use keys: instead of "
    "id_column, or prefix the ids."
)


def test_id_column_ids_held_by_another_dataset_are_noted(store: Store, tmp_path: Path) -> None:
    def load(dataset: str, rows: list[tuple[str, str]]) -> list[str]:
        path = _people(tmp_path, dataset, rows)
        result = ingest_mapping(store, path, actor=FGR_LOADER.name, principal=FGR_LOADER)
        return [render(n, "en") for n in result.notes]

    first = [("1", "Ana"), ("2", "Eva"), ("7", "Sol")]
    assert load("mx_fgr_a", first) == [NUMBERED.format(dataset="mx_fgr_a")]
    # its own ids again: only the first note
    assert load("mx_fgr_a", first) == [NUMBERED.format(dataset="mx_fgr_a")]
    second = load("mx_fgr_b", [("1", "Luis"), ("2", "Raúl"), ("3", "Noé")])
    assert second == [
        NUMBERED.format(dataset="mx_fgr_b"),
        HELD.format(dataset="mx_fgr_b", held="mx_fgr_a: 2"),
    ]
    es = ingest_mapping(
        store, _people(tmp_path, "mx_fgr_b", [("1", "Luis")]), actor="x", principal=FGR_LOADER
    )
    assert "ya son entidades de otros conjuntos" in render(es.notes[1], "es")
    third = load("mx_fgr_c", [("2", "Iker"), ("3", "Noé"), ("9", "Leo")])
    assert HELD.format(dataset="mx_fgr_c", held="mx_fgr_a: 1, mx_fgr_b: 2") in third
    # without a principal (a library caller), nothing is looked up: the first note only
    fourth = ingest_mapping(store, _people(tmp_path, "mx_fgr_d", [("1", "Eva")]), actor="x")
    assert [render(n, "en") for n in fourth.notes] == [NUMBERED.format(dataset="mx_fgr_d")]


def test_ids_held_by_a_dataset_the_loader_may_not_see_are_not_told(
    store: Store, tmp_path: Path
) -> None:
    """Another agency's entities are merged all the same (ids are global), but the note
    may only speak of what the loader may see: naming the hidden dataset, or counting its
    ids, would tell the loader which of its ids another agency holds."""
    hidden = _people(tmp_path, "us_atf_numeros", [("1", "Ana"), ("2", "Eva")])
    text = hidden.read_text(encoding="utf-8").replace("agency: FGR", "agency: ATF")
    hidden.write_text(
        text.replace("country: MX", "country: US").replace(
            "marking: AMBER", "marking: AMBER\n  releasable_to: [US]"
        ),
        encoding="utf-8",
    )
    ingest_mapping(store, hidden, actor="atf")
    notes = ingest_mapping(
        store,
        _people(tmp_path, "mx_fgr_a", [("1", "Luis"), ("2", "Raúl")]),
        actor=FGR_LOADER.name,
        principal=FGR_LOADER,
    ).notes
    assert [render(n, "en") for n in notes] == [NUMBERED.format(dataset="mx_fgr_a")]
    seen = View(
        store,
        Principal("atf-carga", "ATF", "US", frozenset({"ingest"})),
        audit=False,
        role="ingest",
    )
    assert seen.held_elsewhere(["1", "2", "3"], "mx_fgr_a") == {"us_atf_numeros": 2}


def _people_of(
    tmp_path: Path, dataset: str, agency: str, country: str, rows: list[tuple[str, str]]
) -> Path:
    """`_people`'s mapping, declared as `agency`'s of `country`, AMBER released to MX and US."""
    path = _people(tmp_path, dataset, rows)
    text = path.read_text(encoding="utf-8")
    for old, new in (
        ("agency: FGR", f"agency: {agency}"),
        ("country: MX", f"country: {country}"),
        ("marking: AMBER", "marking: AMBER\n  releasable_to: [MX, US]"),
    ):
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_loader_that_may_not_read_is_told_of_its_agencys_only(
    store: Store, tmp_path: Path
) -> None:
    """Review R24 F6: a loader without the analyst role may not read the store (`entity`
    refuses it), so the note may not tell it which of its ids another agency's dataset
    holds, even one released to it: probing with ids would list what exists. Its own
    agency's datasets it loads and may retract: those it is told of, in words that say
    whose they are. An analyst of the same agency keeps the note on what it may see."""
    fgr = _people_of(tmp_path, "mx_fgr_testigos", "FGR", "MX", [("1001", "Ana"), ("1003", "Eva")])
    ingest_mapping(store, fgr, actor="loader")
    clerk = Principal("cbp-clerk", "CBP", "US", frozenset({"ingest"}))
    officer = Principal("cbp-officer", "CBP", "US", frozenset({"analyst", "ingest"}))
    probe = [("1001", "a"), ("1002", "b"), ("1003", "c"), ("1004", "d")]

    def notes(dataset: str, principal: Principal) -> list[str]:
        path = _people_of(tmp_path, dataset, "CBP", "US", probe)
        result = ingest_mapping(store, path, actor=principal.name, principal=principal)
        return [render(n, "en") for n in result.notes]

    assert notes("us_cbp_a", clerk) == [NUMBERED.format(dataset="us_cbp_a")]
    assert notes("us_cbp_b", officer) == [
        NUMBERED.format(dataset="us_cbp_b"),
        HELD.format(dataset="us_cbp_b", held="mx_fgr_testigos: 2, us_cbp_a: 4"),
    ]
    own = notes("us_cbp_c", clerk)
    assert own == [
        NUMBERED.format(dataset="us_cbp_c"),
        "us_cbp_c: ids of entity mapping persona (column pid of us_cbp_c.csv) are already "
        "entities of other datasets of CBP, so these records are merged with them (dataset: "
        "shared ids): us_cbp_a: 4, us_cbp_b: 4. Unless they are the same entities, use keys: "
        "instead of id_column, or prefix the ids.",
    ]
    es = ingest_mapping(
        store, _people_of(tmp_path, "us_cbp_c", "CBP", "US", probe), actor="x", principal=clerk
    )
    assert "ya son entidades de otros conjuntos de datos de CBP" in render(es.notes[1], "es")


def test_the_cli_prints_the_notes(tmp_path: Path) -> None:
    mapping = _filtered(tmp_path, "filters_not: {estado: CANCELLED}")
    args = ["--db", str(tmp_path / "cli.db"), "--as", "mx-fgr-analista", str(mapping)]
    runner = CliRunner(env={"IRONRIVER_LANG": "en"})
    human = runner.invoke(ingest_command, args)
    assert human.exit_code == 0, human.output
    assert "Note: mx_fgr_pedidos: filters_not estado = CANCELLED of the query" in human.stderr
    as_json = runner.invoke(ingest_command, ["--json", *args])
    [data] = json.loads(as_json.stdout)
    assert data["notes"] == [
        "mx_fgr_pedidos: filters_not estado = CANCELLED of the query reading pedidos.csv "
        "matches none of the file's records, so it left none out. Filter values are compared "
        "with the file's text exactly (after trimming): check its spelling and case."
    ]
