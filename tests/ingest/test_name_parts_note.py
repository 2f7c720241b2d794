"""FtM's parts of a person's name (firstName, lastName...) are `string` properties, which
name search does not read: an ingest notes an entity mapping that maps them without any
name-typed property (its entities could never be found by name), and a joined `name` is
found."""

from __future__ import annotations

from pathlib import Path

from ironriver.i18n import render
from ironriver.ingest import check_mapping, ingest_mapping
from ironriver.policy import Principal, View
from ironriver.store import Store
from search_samples import personas_mapping

PARTS = {"firstName": "{column: nombre}", "lastName": "{column: apellido}"}
NOTE = (
    "mx_fgr_personas: entity mapping persona of the query reading personas.csv maps parts of "
    "a name (firstName, lastName) but no name-typed property (name, alias...): FtM's name "
    "parts are text, which name search does not read, so these entities cannot be found by "
    'name search. Map name: {columns: ["nombre", "apellido"], join: \' \'}.'
)
ANALYST = Principal("fgr", "FGR", "MX")


def _mapping(tmp_path: Path, properties: dict[str, str], schema: str = "Person") -> Path:
    rows = "1,Ana,García\n2,Luis,Pérez\n"
    header = "pid,nombre,apellido"
    return personas_mapping(tmp_path, rows, header=header, properties=properties, schema=schema)


def _notes(path: Path) -> list[str]:
    return [render(n, "en") for n in check_mapping(path).notes]


def test_name_parts_without_a_name_are_noted(store: Store, tmp_path: Path) -> None:
    path = _mapping(tmp_path, PARTS)
    result = ingest_mapping(store, path, actor="test")
    assert [render(n, "en") for n in result.notes] == [NOTE]
    assert "no encuentra estas entidades" in render(result.notes[0], "es")
    view = View(store, ANALYST, audit=False)
    assert view.search("ana") == []  # as the note says
    # the fix the note gives: the parts joined into name, now found (and no note)
    joined = {**PARTS, "name": "{columns: [nombre, apellido], join: ' '}"}
    result = ingest_mapping(store, _mapping(tmp_path, joined), actor="test")
    assert result.notes == []
    assert [h.matched for h in view.search("ana garcia")] == ["Ana García"]


def test_a_name_typed_property_beside_the_parts_says_nothing(tmp_path: Path) -> None:
    assert _notes(_mapping(tmp_path, {**PARTS, "alias": "{column: nombre}"})) == []
    # our Individual's surnames are names: found by them
    surname = {"firstName": "{column: nombre}", "paternalSurname": "{column: apellido}"}
    assert _notes(_mapping(tmp_path, surname, "Individual")) == []
    assert _notes(_mapping(tmp_path, PARTS, "Individual")) == [NOTE]
