"""JSON Lines values that are not one piece of text: a list of values (`{"ids": ["A1",
"A2"]}`) was stored as the one text `["A1","A2"]`, an object as its JSON text. A list now
gives one value per element where a property reads it, and is refused where one value is
meant; an object, or a list of objects, is refused everywhere."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import text

from ironriver.i18n import render
from ironriver.ingest import check_mapping, ingest_mapping
from ironriver.store import Store

HEAD = "mx_fgr_j:\n  agency: FGR\n  country: MX\n  marking: AMBER\n  queries:\n"
NAME = "            name: {column: name}\n"
IDS = "            idNumber: {column: ids}\n"
DOB = "            birthDate: {column: dob, format: '%d/%m/%Y'}\n"
NATIONALITY = "            nationality: {column: country}\n"


def _person(*properties: str) -> str:
    return (
        "    - jsonl_url: p.jsonl\n      entities:\n"
        "        p:\n          schema: Person\n          keys: [id]\n          properties:\n"
        + "".join(properties)
    )


def _write(tmp_path: Path, records: list[dict[str, object]], body: str) -> Path:
    (tmp_path / "p.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in records), encoding="utf-8"
    )
    path = tmp_path / "m.yaml"
    path.write_text(HEAD + body, encoding="utf-8")
    return path


def _report(path: Path) -> list[tuple[str, str, str, str]]:
    with path.open(encoding="utf-8") as fh:
        return [(r["row"], r["column"], r["value"], r["reason"]) for r in csv.DictReader(fh)]


def _statements(store: Store) -> set[tuple[str, str, str | None]]:
    """(name of the entity, property, value) of every statement but the names."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT n.value, p.prop, s.value, s.original_value FROM statements s "
                "JOIN props p ON p.id = s.prop_id JOIN statements n ON n.entity_id = "
                "s.entity_id JOIN props np ON np.id = n.prop_id AND np.prop = 'name' "
                "WHERE p.prop <> 'name'"
            )
        ).fetchall()
    return {(str(a), str(b), str(c)) for a, b, c, _ in rows}


@pytest.mark.parametrize("memory_mb", [2048, 0], ids=["whole", "streamed"])
def test_a_list_of_values_is_one_value_per_element(
    sqlite_store: Store, tmp_path: Path, memory_mb: int
) -> None:
    """Each element is sanitized and cleaned as a plain value would be (a number is its
    text, a country name its code, an empty element or null no value); an empty list is
    no value; a column holding lists in some records and plain values in others reads
    both."""
    path = _write(
        tmp_path,
        [
            {"id": "1", "name": "Ana", "ids": ["A1", " A2 ", 3, None, ""], "country": ["mx"]},
            {"id": "2", "name": "Bo", "ids": "B1", "country": "Mexico"},
            {"id": "3", "name": "Cy", "ids": [], "dob": ["01/02/1990", "02/03/1991"]},
            {"id": "4", "name": "Di", "ids": ["D1", "D1"], "country": ["US", "México"]},
        ],
        _person(NAME, IDS, NATIONALITY, DOB),
    )
    result = ingest_mapping(sqlite_store, path, actor="loader", memory_mb=memory_mb)
    assert (result.records, result.rejected) == (4, 0)
    assert _statements(sqlite_store) == {
        ("Ana", "idNumber", "A1"),
        ("Ana", "idNumber", "A2"),
        ("Ana", "idNumber", "3"),
        ("Ana", "nationality", "mx"),
        ("Bo", "idNumber", "B1"),
        ("Bo", "nationality", "mx"),
        ("Cy", "birthDate", "1990-02-01"),
        ("Cy", "birthDate", "1991-03-02"),
        ("Di", "idNumber", "D1"),
        ("Di", "nationality", "us"),
        ("Di", "nationality", "mx"),
    }


def test_a_list_element_that_does_not_clean_rejects_the_record(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [
            {"id": "1", "name": "Ana", "dob": ["01/02/1990", "1990-02-01"]},
            {"id": "2", "name": "Bo", "dob": "01/02/1990"},
        ],
        _person(NAME, DOB),
    )
    report = tmp_path / "bad.csv"
    result = check_mapping(path, skip_invalid=True, report_path=report)
    assert (result.records, result.rejected, result.statements) == (2, 1, 2)
    [(row, column, value, reason)] = _report(report)
    assert (row, column, value) == ("1", "dob", '["01/02/1990","1990-02-01"]')
    assert "not a valid date in the format %d/%m/%Y (DD/MM/YYYY): written otherwise" in reason
    assert reason.endswith("(p.birthDate)")


def test_objects_and_lists_of_objects_are_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [
            {"id": "1", "name": "Ana", "ids": {"curp": "X"}},
            {"id": "2", "name": "Bo", "ids": [{"curp": "Y"}]},
            {"id": "3", "name": "Cy", "ids": ["C1", ["C2"]]},
            {"id": "4", "name": "Di", "ids": ["D1"]},
        ],
        _person(NAME, IDS),
    )
    report = tmp_path / "bad.csv"
    result = check_mapping(path, skip_invalid=True, report_path=report)
    assert (result.records, result.rejected) == (4, 3)
    bad = _report(report)
    assert [(r, c, v) for r, c, v, _ in bad] == [
        ("1", "ids", '{"curp":"X"}'),
        ("2", "ids", '[{"curp":"Y"}]'),
        ("3", "ids", '["C1",["C2"]]'),
    ]
    assert all("a JSON object, or a list holding objects or lists" in r for *_, r in bad)


def test_a_list_in_a_key_column_is_refused(sqlite_store: Store, tmp_path: Path) -> None:
    """An id hashed from a list would be an id of neither value (and of a list of one
    value the same as of that value): the record is rejected, saying why."""
    path = _write(
        tmp_path,
        [{"id": ["1", "2"], "name": "Ana"}, {"id": ["3"], "name": "Bo"}, {"id": "4", "name": "Cy"}],
        _person(NAME),
    )
    report = tmp_path / "bad.csv"
    result = ingest_mapping(
        sqlite_store, path, actor="loader", skip_invalid=True, report_path=report
    )
    assert (result.records, result.rejected) == (3, 2)
    bad = _report(report)
    assert [(r, c, v) for r, c, v, _ in bad] == [("1", "id", '["1","2"]'), ("2", "id", '["3"]')]
    assert "a JSON list in a key column (p.id): an id made from several values" in bad[0][3]
    with sqlite_store.engine.connect() as conn:
        names = conn.execute(text("SELECT value FROM statements")).fetchall()
    assert [n[0] for n in names] == ["Cy"]


def test_a_list_where_one_value_is_meant_is_refused(tmp_path: Path) -> None:
    """A ledger column, a join, a template and a filter take one value each."""
    body = (
        "    - jsonl_url: p.jsonl\n      filters: {estado: activo}\n      entities:\n"
        "        p:\n          schema: Person\n          keys: [id]\n          properties:\n"
        "            name: {columns: [first, last], join: ' '}\n"
        "            summary: {template: 'alias {{alias}}'}\n"
        "      ledger:\n        name: personas\n        columns:\n          folio: folio\n"
    )
    records: list[dict[str, object]] = [
        {"id": "1", "estado": "activo", "first": ["Ana", "Eva"], "last": "Paz"},
        {"id": "2", "estado": "activo", "first": "Bo", "alias": ["B", "Bob"]},
        {"id": "3", "estado": "activo", "first": "Cy", "folio": ["F1", "F2"]},
        {"id": "4", "estado": ["activo", "baja"], "first": "Di"},
        {"id": "5", "estado": "activo", "first": "Ed", "last": "Paz", "folio": "F5"},
    ]
    report = tmp_path / "bad.csv"
    result = check_mapping(_write(tmp_path, records, body), skip_invalid=True, report_path=report)
    assert (result.records, result.rejected, result.ledger_rows) == (5, 4, 1)
    bad = {(r, c): reason for r, c, _, reason in _report(report)}
    assert set(bad) == {("1", "first"), ("2", "alias"), ("3", "folio"), ("4", "estado")}
    assert "(p.name)" in bad[("1", "first")] and "(p.summary)" in bad[("2", "alias")]
    assert "(ledger personas.folio)" in bad[("3", "folio")] and "(filters)" in bad[("4", "estado")]
    assert all(reason.startswith("a JSON list where one value is meant") for reason in bad.values())


@pytest.mark.parametrize("memory_mb", [2048, 0], ids=["whole", "streamed"])
def test_a_mapped_key_written_in_another_case_is_noted(
    sqlite_store: Store, tmp_path: Path, memory_mb: int
) -> None:
    """Records that lack the mapped `name` but hold `Name` (or `NAME`) lose that value:
    the ingest says how many, naming both spellings. A record holding both, or `Name`
    null, loses nothing; one holding only `Name` was skipped as a record with no value."""
    path = _write(
        tmp_path,
        [
            {"id": "1", "name": "Ana"},
            {"id": "2", "Name": "Bo"},
            {"id": "3", "name": None, "Name": "Cy"},
            {"id": "4", "name": "Di", "Name": "Di"},
            {"id": "5", "Name": None},
            {"Name": "Ed", "NAME": "Ed"},
        ],
        _person(NAME),
    )
    result = ingest_mapping(sqlite_store, path, actor="loader", memory_mb=memory_mb)
    assert result.rejected == 0
    notes = [render(note, "en") for note in result.notes]
    assert notes == [
        "mx_fgr_j: 1 record of p.jsonl has no value under 'name', which the mapping reads, "
        "but one under 'NAME', the same key in another case: that value was not read (JSON "
        "keys are case-sensitive). Map 'NAME' too, or fix the export.",
        "mx_fgr_j: 3 records of p.jsonl have no value under 'name', which the mapping reads, "
        "but one under 'Name', the same key in another case: those values were not read "
        "(JSON keys are case-sensitive). Map 'Name' too, or fix the export.",
    ]
    assert "3 registros de p.jsonl no tienen valor en 'name'" in render(result.notes[1], "es")
    assert check_mapping(path).notes == result.notes  # the dry run too


def test_a_key_in_another_case_that_is_mapped_too_is_no_note(tmp_path: Path) -> None:
    body = _person(NAME, "            alias: {column: Name}\n")
    path = _write(tmp_path, [{"id": "1", "name": "Ana"}, {"id": "2", "Name": "Bo"}], body)
    result = check_mapping(path)
    assert (result.records, result.rejected, result.notes) == (2, 0, [])


@pytest.mark.parametrize("memory_mb", [2048, 0], ids=["whole", "streamed"])
def test_an_empty_list_is_no_value_where_one_value_is_meant_too(
    sqlite_store: Store, tmp_path: Path, memory_mb: int
) -> None:
    """`[]` is no value, as an absent key is: in a key column (the entity is left out of
    that record), a join, a ledger column or a filter column it is not a list to refuse."""
    body = (
        "    - jsonl_url: p.jsonl\n      filters_not: {estado: baja}\n      entities:\n"
        "        p:\n          schema: Person\n          keys: [id]\n          properties:\n"
        "            name: {columns: [first, last], join: ' '}\n"
        "      ledger:\n        name: personas\n        columns:\n          folio: folio\n"
    )
    records: list[dict[str, object]] = [
        {"id": "1", "estado": [], "first": "Ana", "last": [], "folio": []},
        {"id": [], "estado": "activo", "first": "Bo", "last": "Paz", "folio": "F2"},
    ]
    path = _write(tmp_path, records, body)
    report = tmp_path / "bad.csv"
    result = ingest_mapping(
        sqlite_store, path, actor="loader", report_path=report, memory_mb=memory_mb
    )
    assert (result.records, result.rejected, result.ledger_rows) == (2, 0, 2)
    with sqlite_store.engine.connect() as conn:
        names = conn.execute(text("SELECT value FROM statements")).fetchall()
    assert [n[0] for n in names] == ["Ana"]  # Bo's record has no key: no entity


def test_a_required_property_of_an_empty_list_is_missing(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """`[]` (or a list of blanks) meets no `required: true`, as an absent key does not; a
    list holding a value does, and so does a plain value."""
    records: list[dict[str, object]] = [
        {"id": "1", "name": "Ana", "ids": []},
        {"id": "2", "name": "Bo", "ids": ["A2", ""]},
        {"id": "3", "name": "Cy", "ids": "A3"},
        {"id": "4", "name": "Di"},
    ]
    required = "            idNumber: {column: ids, required: true}\n"
    path = _write(tmp_path, records, _person(NAME, required))
    report = tmp_path / "bad.csv"
    result = ingest_mapping(
        sqlite_store, path, actor="loader", report_path=report, skip_invalid=True
    )
    assert (result.records, result.rejected) == (4, 2)
    rows = _report(report)
    assert ("1", "ids", "", "required value missing (p.idNumber)") in rows
    assert ("4", "ids", "", "required value missing (p.idNumber)") in rows
    assert _statements(sqlite_store) == {("Bo", "idNumber", "A2"), ("Cy", "idNumber", "A3")}


def test_a_split_list_element_that_does_not_clean_is_reported_as_the_file_writes_it(
    tmp_path: Path,
) -> None:
    """A JSON list whose elements are split further: a part that does not clean rejects the
    record, reported as the list the file holds (review R30 F7: the report showed its parts
    joined by the internal separator, U+001F, "mx\\x1fxx")."""
    split = "            nationality: {column: country, split: ';'}\n"
    path = _write(
        tmp_path,
        [
            {"id": "1", "name": "Ana", "country": ["mx;xx"]},
            {"id": "2", "name": "Bo", "country": ["mx;us", "gt"]},
        ],
        _person(NAME, split),
    )
    report = tmp_path / "bad.csv"
    result = check_mapping(path, skip_invalid=True, report_path=report)
    assert (result.records, result.rejected, result.statements) == (2, 1, 4)
    [(row, column, value, reason)] = _report(report)
    assert (row, column, value) == ("1", "country", '["mx;xx"]')
    assert reason.startswith("not a valid country")
