"""A control character inside a name is a word break: FtM's `sanitize_text` removes it, which
joined the words either side ("Eva\\x01Cuatro" was stored as "EvaCuatro", and no search for
"cuatro" found it). A name's value now holds a space there (`clean.sanitize_name`), on every
path an ingest takes: a mapped file read whole or streamed, a JSON Lines list, a join, and
an FtM entity file's bulk and per-line paths. Any other value, an identifier's included,
keeps FtM's cleaning: the character is removed ("AB\\x00123" is the serial AB123)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import text

from ironriver.errors import IngestError
from ironriver.ingest import ingest_entities, ingest_mapping
from ironriver.policy import View, entity_dict
from ironriver.store import DatasetInfo, Store
from samples import FGR

HEAD = "mx_fgr_c:\n  agency: FGR\n  country: MX\n  marking: AMBER\n  queries:\n"
MAPPING = HEAD + (
    "    - csv_url: p.csv\n      entities:\n"
    "        p:\n          schema: Person\n          keys: [id]\n          properties:\n"
    "            name: {column: name}\n"
    "            alias: {columns: [first, last], join: ' '}\n"
    "            notes: {column: name}\n"
    "            idNumber: {column: serial}\n"
)
ROWS = [
    ["1", "Eva\x01Cuatro", "Ana\x85Beta", "LOPEZ\x00GARCIA", "AB\x00123"],
    ["2", "JUAN\tPEREZ", "Uno\x7fDos\x1f", "", "CD\x1f456"],
]


def _values(store: Store) -> set[tuple[str, str]]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT p.prop, s.value FROM statements s JOIN props p ON p.id = s.prop_id")
        ).fetchall()
    return {(str(p), str(v)) for p, v in rows}


def _found(store: Store, *searches: str) -> list[int]:
    """How many entities each search finds."""
    view = View(store, FGR, audit=False)
    return [len(view.search(s)) for s in searches]


@pytest.mark.parametrize("memory_mb", [2048, 0], ids=["whole", "streamed"])
def test_a_control_character_in_a_mapped_name_breaks_words(
    store: Store, tmp_path: Path, memory_mb: int
) -> None:
    with (tmp_path / "p.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "name", "first", "last", "serial"])
        writer.writerows(ROWS)
    (tmp_path / "m.yaml").write_text(MAPPING, encoding="utf-8")
    ingest_mapping(store, tmp_path / "m.yaml", actor="loader", memory_mb=memory_mb)
    assert _values(store) == {
        ("name", "Eva Cuatro"),
        ("name", "JUAN PEREZ"),  # (a tab was a space already: FtM's name cleaning)
        ("alias", "Ana Beta LOPEZ GARCIA"),
        ("alias", "Uno Dos"),
        ("notes", "EvaCuatro"),  # a string: FtM's cleaning
        ("notes", "JUAN\tPEREZ"),
        ("idNumber", "AB123"),  # an identifier: FtM's cleaning
        ("idNumber", "CD456"),
    }
    assert _found(store, "cuatro", "eva cuatro", "garcia", "beta", "dos") == [1, 1, 1, 1, 1]
    view = View(store, FGR, audit=False)
    assert len(view.by_identifier("AB123")) == 1


def test_a_control_character_in_a_listed_name_breaks_words(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A JSON Lines list's names, each read as a plain value is; a plain value in another
    record of the same column too."""
    records = [
        {"id": "1", "aliases": ["Eva\x01Cuatro", "Bo"], "ids": ["AB\x00123"]},
        {"id": "2", "aliases": "Uno\x00Dos", "ids": "CD1"},
    ]
    (tmp_path / "p.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in records), encoding="utf-8"
    )
    (tmp_path / "m.yaml").write_text(
        HEAD + "    - jsonl_url: p.jsonl\n      entities:\n"
        "        p:\n          schema: Person\n          keys: [id]\n          properties:\n"
        "            alias: {column: aliases}\n            idNumber: {column: ids}\n",
        encoding="utf-8",
    )
    ingest_mapping(sqlite_store, tmp_path / "m.yaml", actor="loader")
    assert _values(sqlite_store) == {
        ("alias", "Eva Cuatro"),
        ("alias", "Bo"),
        ("alias", "Uno Dos"),
        ("idNumber", "AB123"),
        ("idNumber", "CD1"),
    }
    assert _found(sqlite_store, "cuatro", "dos") == [1, 1]


def test_a_control_character_in_an_entity_files_name_breaks_words(
    store: Store, tmp_path: Path
) -> None:
    """Alike on the bulk path (p1, a plain line) and the per-line path (p2: a number as a
    value sends its line there)."""
    lines = [
        {"id": "p1", "schema": "Person", "properties": {"name": ["Eva\x01Cuatro"]}},
        {
            "id": "p2",
            "schema": "Person",
            "properties": {"name": ["Uno\x00Dos"], "idNumber": ["AB\x00123", 7]},
        },
    ]
    path = tmp_path / "e.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    info = DatasetInfo("mx_fgr_export", "FGR", "MX")
    ingest_entities(store, path, info, actor="loader")
    assert _values(store) == {
        ("name", "Eva Cuatro"),
        ("name", "Uno Dos"),
        ("idNumber", "AB123"),
        ("idNumber", "7"),
    }
    assert _found(store, "cuatro", "dos") == [1, 1]


@pytest.mark.parametrize("memory_mb", [2048, 0], ids=["whole", "streamed"])
def test_a_null_values_marker_is_compared_alike_for_a_name_and_any_other_value(
    sqlite_store: Store, tmp_path: Path, memory_mb: int
) -> None:
    """A marker is compared with the value's sanitized text (its control characters removed,
    as every property but a name reads it): `N\\x01A` under the marker `NA` is no value for
    the name as for `notes` (the name read it "N A" and kept it), and `N\\x01B` is a value of
    both (`NB`, the name "N B"). A marker that only the name's reading equals (`N C`) is no
    marker of `N\\x01C`, whose text is `NC`. Alike in a JSON Lines list."""
    with (tmp_path / "p.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "name", "first", "last", "serial"])
        writer.writerows(
            [
                ["1", "N\x01A", "", "", "S1"],
                ["2", "N\x01B", "", "", "S2"],
                ["3", "N\x01C", "", "", "S3"],
            ]
        )
    mapping = MAPPING.replace(
        "    - csv_url: p.csv\n", "    - csv_url: p.csv\n      null_values: [NA, N C]\n"
    )
    (tmp_path / "m.yaml").write_text(mapping, encoding="utf-8")
    ingest_mapping(sqlite_store, tmp_path / "m.yaml", actor="loader", memory_mb=memory_mb)
    assert {(p, v) for p, v in _values(sqlite_store) if p in ("name", "notes")} == {
        ("name", "N B"),
        ("notes", "NB"),
        ("name", "N C"),
        ("notes", "NC"),
    }


def test_a_null_values_marker_in_a_listed_name_is_compared_with_its_text(
    sqlite_store: Store, tmp_path: Path
) -> None:
    records = [{"id": "1", "aliases": ["N\x01A", "Bo"], "notes": ["N\x01A", "Bo"]}]
    (tmp_path / "p.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in records), encoding="utf-8"
    )
    (tmp_path / "m.yaml").write_text(
        HEAD + "    - jsonl_url: p.jsonl\n      null_values: [NA]\n      entities:\n"
        "        p:\n          schema: Person\n          keys: [id]\n          properties:\n"
        "            alias: {column: aliases}\n            notes: {column: notes}\n",
        encoding="utf-8",
    )
    ingest_mapping(sqlite_store, tmp_path / "m.yaml", actor="loader")
    assert _values(sqlite_store) == {("alias", "Bo"), ("notes", "Bo")}


ID_MAPPING = HEAD + (
    "    - csv_url: p.csv\n      entities:\n"
    "        p:\n          schema: Person\n          id_column: pid\n          properties:\n"
    "            name: {column: name}\n"
)
# what FtM's sanitizing keeps of an id: a tab and bidi controls (refused), spaces inside
# (kept); it removes a zero-width space or joiner, U+0085 and a space at either end
KEPT_ODD_IDS = ["AP/FGR 123", "\u0645\u06cc\u062e", "ab", "gh"]


@pytest.mark.parametrize("memory_mb", [2048, 0], ids=["whole", "streamed"])
def test_a_mapped_id_the_entity_import_would_refuse_is_refused(
    store: Store, tmp_path: Path, memory_mb: int
) -> None:
    """An `id_column` holding a tab or a bidi control was stored, and the store's own export
    of it was then refused by `ingest --entities`: the mapping refuses it now, as the entity
    import does, and the report shows the character escaped. What is stored loads again."""
    with (tmp_path / "p.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["pid", "name"])
        writer.writerows(
            [
                ["a\tb", "Uno"],
                ["c\u202ed", "Dos"],
                ["AP/FGR 123", "Tres"],
                ["\u0645\u06cc\u200c\u062e", "Cuatro"],
                ["a\u200bb ", "Cinco"],
                ["e\u2066f\u2069", "Seis"],
                ["g\x85h", "Siete"],
            ]
        )
    mapping = tmp_path / "m.yaml"
    mapping.write_text(ID_MAPPING, encoding="utf-8")
    with pytest.raises(IngestError, match=r"^3 of 7 records rejected"):
        ingest_mapping(store, mapping, actor="loader", memory_mb=memory_mb)
    assert _values(store) == set()
    with (tmp_path / "m.yaml.errors.csv").open(encoding="utf-8") as fh:
        report = [(r["row"], r["column"], r["value"], r["reason"]) for r in csv.DictReader(fh)]
    reason = (
        "an entity id is one piece of text without line breaks, control or invisible "
        "characters (p.id_column): it holds the character shown as \\uXXXX in the value; "
        "remove it from the column"
    )
    assert report == [
        ("1", "pid", "a\\u0009b", reason),
        ("2", "pid", "c\\u202ed", reason),
        ("6", "pid", "e\\u2066f\\u2069", reason),
    ]
    result = ingest_mapping(store, mapping, actor="loader", memory_mb=memory_mb, skip_invalid=True)
    assert (result.rejected, result.statements_new) == (3, 4)
    view = View(store, FGR, audit=False)
    exported = [entity_dict(ent) for ent in view.export()]
    assert sorted(e["id"] for e in exported) == sorted(KEPT_ODD_IDS)
    path = tmp_path / "e.jsonl"
    path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in exported), "utf-8")
    again = ingest_entities(store, path, DatasetInfo("mx_fgr_export", "FGR", "MX"), actor="l")
    assert (again.rejected, again.statements_new) == (0, 4)
