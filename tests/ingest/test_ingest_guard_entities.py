"""Guards found by mutation testing of `entities`: a file that is not UTF-8 is a clear
error, and a line with several problems is one rejected entity."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sales_fixtures import FGR_EXPORT as INFO  # type: ignore[import-not-found]
from sales_fixtures import snapshot  # type: ignore[import-not-found]

from ironriver.errors import IngestError
from ironriver.ingest import ingest_entities
from ironriver.store import Store

GOOD = {"id": "p1", "schema": "Person", "properties": {"name": ["Ana"]}}


def test_an_entity_file_not_in_utf8_is_refused_with_its_line(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A Latin-1 export is named as such, with the line of its first bad byte, before
    anything is read into the store (not a decoding traceback half-way through)."""
    ingest_entities(sqlite_store, _lines(tmp_path / "seed.jsonl", [GOOD]), INFO, actor="a")
    before = snapshot(sqlite_store)
    path = tmp_path / "e.jsonl"
    item = {"id": "p2", "schema": "Person", "properties": {"name": ["José"]}}
    text = json.dumps(item, ensure_ascii=False)
    path.write_bytes((json.dumps(GOOD) + "\n" + text + "\n").encode("latin-1"))
    with pytest.raises(IngestError) as caught:
        ingest_entities(sqlite_store, path, INFO, actor="a")
    assert caught.value.message.startswith("e.jsonl is not valid utf-8: byte")
    assert "at line 2" in caught.value.message
    # no mapping query to set an encoding in: convert the file (review R29b F5)
    assert str(caught.value.hint).startswith("Convert the file to utf-8, e.g. `iconv -f cp1252")
    assert "mapping" not in str(caught.value.hint)
    assert snapshot(sqlite_store) == before


def test_a_line_with_two_problems_is_one_rejected_entity(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """The count of rejected entities counts lines, not problems: a line with a bad date
    and an unknown property is one entity rejected, reported twice."""
    bad = {
        "id": "p2",
        "schema": "Person",
        "properties": {"birthDate": ["not a date"], "nope": ["x"]},
    }
    other = {"id": "p3", "schema": "Person", "properties": {"name": ["Bo"]}}
    path = _lines(tmp_path / "e.jsonl", [GOOD, bad, other])
    with pytest.raises(IngestError) as caught:
        ingest_entities(sqlite_store, path, INFO, actor="a")
    assert caught.value.message.startswith("1 entity of 3 rejected, nothing was ingested")
    report = tmp_path / "r.csv"
    result = ingest_entities(
        sqlite_store, path, INFO, actor="a", skip_invalid=True, report_path=report
    )
    assert (result.records, result.rejected) == (3, 1)
    with report.open(encoding="utf-8") as fh:
        rows = sorted((r["row"], r["column"]) for r in csv.DictReader(fh))
    assert rows == [("2", "birthDate"), ("2", "nope")]
    names = {v for _, _, p, v in snapshot(sqlite_store)[0] if p == "name"}
    assert names == {"Ana", "Bo"}


def _lines(path: Path, items: list[object]) -> Path:
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return path


def test_entity_statements_carry_their_datasets_label_only(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """`ingest_entities` took a label of its own, which could name another owner (an owner
    always sees its own facts, review R7): statements now carry their dataset's label, and
    no caller can give another."""
    import inspect

    from ironriver.policy import View
    from ironriver.policy.markings import Principal

    assert "label" not in inspect.signature(ingest_entities).parameters
    ingest_entities(sqlite_store, _lines(tmp_path / "e.jsonl", [GOOD]), INFO, actor="a")
    owner = Principal("o", INFO.agency, INFO.country, frozenset({"analyst"}))
    rows = View(sqlite_store, owner, reason="test").statements("p1")
    assert rows and {(s.marking, s.owner_agency) for s in rows} == {
        (INFO.marking.value, INFO.agency)
    }


@pytest.mark.parametrize("text", ["", "\n  \n\n"])
def test_an_entity_file_of_no_entity_is_noted(
    sqlite_store: Store, tmp_path: Path, text: str
) -> None:
    """As a CSV of a header alone is (review R29b F6): an ingest of nothing that succeeds
    looks like a load, and a cut-short export is the usual cause."""
    path = tmp_path / "none.jsonl"
    path.write_text(text, encoding="utf-8")
    result = ingest_entities(sqlite_store, path, INFO, actor="a")
    assert result.records == 0 and result.statements_new == 0
    assert [str(n) for n in result.notes] == [
        f"{INFO.name}: none.jsonl holds no entity (it is empty, or only blank lines): nothing "
        "was loaded from it. Check the export that made it (a failed or cut-short download, a "
        "query that matched nothing?)."
    ]


def test_an_id_given_schemata_that_cannot_merge_is_noted(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """Review R29b F3: a Person and a Company on one id in the loader's own file loaded with
    no word, and a view then left the Person's properties out. Schemata that merge (a
    LegalEntity and a Person) are one entity, as in FtM, and no note."""
    path = _lines(
        tmp_path / "c.jsonl",
        [
            {"id": "p1", "schema": "Person", "properties": {"birthDate": ["1980"]}},
            {"id": "p1", "schema": "Company", "properties": {"name": ["Acme"]}},
            {"id": "p2", "schema": "LegalEntity", "properties": {"name": ["Ana"]}},
            {"id": "p2", "schema": "Person", "properties": {"birthDate": ["1981"]}},
        ],
    )
    result = ingest_entities(sqlite_store, path, INFO, actor="a")
    assert result.statements_new == 4
    assert [str(n) for n in result.notes] == [
        "c.jsonl: 1 id is given schemata that cannot be one entity (first: p1, Company, "
        "Person): a view shows it as one of them and leaves the others' properties out, "
        "listing them (an export's schema_conflicts). If they are different entities, give "
        "them different ids."
    ]
