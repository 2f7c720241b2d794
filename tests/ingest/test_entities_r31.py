"""Review R31 of `ingest --entities`: a file of FtM statements is refused (it loaded as
nothing and declared the dataset), a lone carriage return is no line break, the error report
writes JSON for an unknown property's values, a reference holding what no id may hold is
refused rather than sanitized into another id, and `referents` that are not loaded get a
note."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest
from sales_fixtures import FGR_EXPORT as INFO  # type: ignore[import-not-found]
from sales_fixtures import snapshot  # type: ignore[import-not-found]

import ironriver.ingest.entity_bulk as entity_bulk
from ironriver.errors import IngestError
from ironriver.ingest import check_entities, ingest_entities
from ironriver.ingest.clean import Cleaner
from ironriver.ingest.entity_lines import entity_statements
from ironriver.policy import View, entity_dict
from ironriver.policy.table import write_statements
from ironriver.store import DatasetInfo, Store
from samples import FGR

FTM = Path(sys.executable).with_name("ftm")  # (the FtM command line of this environment)

ENTITIES = [
    {"id": "p1", "schema": "Person", "properties": {"name": ["Ana"], "birthDate": ["1980"]}},
    {"id": "p2", "schema": "Person", "properties": {"name": ["Bea"]}},
    {"id": "s1", "schema": "Sanction", "properties": {"entity": ["p1"], "program": ["X"]}},
]


def _jsonl(path: Path, items: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), "utf-8")
    return path


def _report(path: Path) -> list[tuple[int, str, str, str]]:
    with path.open(encoding="utf-8") as fh:
        return [(int(r["row"]), r["column"], r["value"], r["reason"]) for r in csv.DictReader(fh)]


def _state(store: Store) -> tuple[object, ...]:
    """What a refused ingest must leave as it was: statements, ledger files, datasets."""
    return snapshot(store), sorted(info.name for _, info in store.datasets())


def _ftm_statements(path: Path, fmt: str) -> Path:
    """`ENTITIES` as FtM's statements, as `ftm statements -f FMT` writes them."""
    entities_file = _jsonl(path.with_name("entities.jsonl"), ENTITIES)
    command = [str(FTM), "statements", str(entities_file), "-f", fmt, "-d", "ds", "-o", str(path)]
    subprocess.run(command, check=True, capture_output=True)
    return path


@pytest.mark.parametrize("fmt", ["json", "csv", "pack", "ironriver"])
def test_a_statements_file_is_refused_and_declares_nothing(
    store: Store, tmp_path: Path, fmt: str
) -> None:
    """F2: `ftm statements -f json` lines have an `id` and a `schema`, and loaded as
    entities of no property: "success", 0 statements, the dataset declared under the label
    given. The CSV forms (also `ironriver export --format statements`) failed every line as
    JSON. Each is refused now, before the store is touched, with the `ftm` command that
    rolls it up into entities, which works."""
    ingest_entities(store, _jsonl(tmp_path / "first.jsonl", ENTITIES[:1]), INFO, actor="a")
    if fmt == "ironriver":
        path, fmt = tmp_path / "export.csv", "csv"
        write_statements(View(store, FGR, audit=False).table(), str(path), "statements")
    else:
        path = _ftm_statements(tmp_path / f"stmts.{fmt}", fmt)
    before = _state(store)
    other = DatasetInfo("mx_fgr_statements", "FGR", "MX")
    with pytest.raises(IngestError, match="holds FtM statements") as err:
        ingest_entities(store, path, other, actor="a")
    assert _state(store) == before  # (no dataset declared)
    assert err.value.hint is not None
    command = f"ftm aggregate-statements -f {fmt} -i {path} -o {path.with_suffix('.ftm.jsonl')}"
    assert f"`{command}`" in str(err.value.hint)
    with pytest.raises(IngestError, match="holds FtM statements"):
        check_entities(path, other)
    # the hint's command makes entities that load
    subprocess.run([str(FTM), *command.split()[1:]], check=True, capture_output=True)
    # (an export's lines name their dataset: loaded under another label, --relabel)
    result = ingest_entities(store, path.with_suffix(".ftm.jsonl"), other, actor="a", relabel=True)
    assert result.rejected == 0 and result.statements > 0


def test_a_statement_line_among_entities_is_rejected(sqlite_store: Store, tmp_path: Path) -> None:
    """F2: a statement line below an entity line (the file is judged by its first line) is
    a rejected line, not an entity of no property."""
    statement = _ftm_statements(tmp_path / "s.json", "json").read_text("utf-8").splitlines()[0]
    path = tmp_path / "mixed.jsonl"
    path.write_text(json.dumps(ENTITIES[1]) + "\n" + statement + "\n", encoding="utf-8")
    before = _state(sqlite_store)
    with pytest.raises(IngestError, match=r"^1 entity of 2 rejected"):
        ingest_entities(sqlite_store, path, INFO, actor="a")
    assert _state(sqlite_store) == before
    [(row, column, _, reason)] = _report(tmp_path / "mixed.jsonl.errors.csv")
    assert (row, column) == (2, "(line)") and reason.startswith("an FtM statement")


def test_id_only_entities_still_declare_the_dataset(sqlite_store: Store, tmp_path: Path) -> None:
    """F2, decided: a file of id-only entities (FtM's output for a keys-only mapping) loads as
    an empty file does: the dataset is declared, under the label the loader gave, and a note
    says nothing was stored."""
    path = _jsonl(tmp_path / "ids.jsonl", [{"id": "k1", "schema": "Person"}])
    result = ingest_entities(sqlite_store, path, INFO, actor="a")
    assert result.statements_new == 0 and "no properties" in str(result.notes[0])
    assert [info.name for _, info in sqlite_store.datasets()] == [INFO.name]


@pytest.mark.parametrize("memory_mb", [2048, 0], ids=["whole", "streamed"])
def test_a_lone_carriage_return_is_whitespace_inside_a_line(
    store: Store, tmp_path: Path, memory_mb: int
) -> None:
    """F3: a lone CR (JSON whitespace) split its line in two, so a valid file was "3 of 3
    entities rejected" and the lines after it were misnumbered. A line ends at "\\n" only;
    a CRLF file and a last line without a line break still read."""
    path = tmp_path / "cr.jsonl"
    path.write_bytes(
        b'{"id":"cr1",\r"schema":"Person","properties":{"name":["A"]}}\n'
        b'{"id":"cr2","schema":"Person","properties":{"birthDate":["bad"]}}\n'
    )
    before = _state(store)
    with pytest.raises(IngestError, match=r"^1 entity of 2 rejected"):
        ingest_entities(store, path, INFO, actor="a", memory_mb=memory_mb)
    assert _state(store) == before
    assert [r[:2] for r in _report(tmp_path / "cr.jsonl.errors.csv")] == [(2, "birthDate")]
    path.write_bytes(
        b'{"id":"cr1",\r"schema":"Person","properties":{"name":["A"]}}\r\n'
        b"\r\n"  # (a blank line, counted)
        b'{"id":"cr3","schema":"Person",\r\r"properties":{"name":["C"]}}\r\n'
        b'{"id":"cr4","schema":"Person","properties":{"name":["D"], "height": [1.5]}}'
    )
    result = ingest_entities(store, path, INFO, actor="a", memory_mb=memory_mb)
    assert (result.records, result.rejected, result.statements_new) == (3, 0, 4)
    table = View(store, FGR, audit=False).table()
    refs = dict(zip(table["entity_id"].to_pylist(), table["source_ref"].to_pylist(), strict=True))
    assert refs == {"cr1": "cr.jsonl:1", "cr3": "cr.jsonl:3", "cr4": "cr.jsonl:4"}


def test_an_unknown_or_reverse_propertys_values_are_reported_as_json(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """F7: the report wrote Python's repr (`['123']`) for them; JSON now, as for a nested
    object."""
    path = _jsonl(
        tmp_path / "props.jsonl",
        [
            {"id": "u1", "schema": "Person", "properties": {"shoeSize": ["123", "Núñez"]}},
            {"id": "u2", "schema": "Person", "properties": {"sanctions": ["s1"]}},
        ],
    )
    with pytest.raises(IngestError):
        ingest_entities(sqlite_store, path, INFO, actor="a")
    report = _report(tmp_path / "props.jsonl.errors.csv")
    assert [(r[1], r[2]) for r in report] == [
        ("shoeSize", '["123", "Núñez"]'),
        ("sanctions", '["s1"]'),
    ]


_ID_REASON = (
    "an entity id is one piece of text without line breaks, control or invisible characters, "
    "and no space at either end: it holds {}"
)
# references FtM's sanitizing turned into another id ("s"), and the character each holds
_HIDDEN = [
    ("s\ud800", "U+D800"),
    ("s\u200b", "U+200B ZERO WIDTH SPACE"),
    ("\ufeffs", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
    ("s\u2028", "U+2028 LINE SEPARATOR"),
    ("s\x00", "U+0000"),
    (" s ", "U+0020 SPACE"),
]


def _reference_lines() -> list[dict[str, object]]:
    """Each hidden reference on a plain line (the bulk path's shape, but for a lone
    surrogate, which DuckDB reads as no JSON) and on one with a number (the per-line
    path's); then references any id may be: a no-break space inside, an entity given whole,
    a joiner (which FtM's sanitizing removes: the reference would miss the id)."""
    lines: list[dict[str, object]] = [
        {"id": "s", "schema": "Person", "properties": {"name": ["Real S"]}}
    ]
    for i, (ref, _) in enumerate(_HIDDEN):
        props: dict[str, object] = {"entity": [ref], "program": [f"P{i}"]}
        lines.append({"id": f"a{i}", "schema": "Sanction", "properties": props})
        lines.append({"id": f"b{i}", "schema": "Sanction", "properties": {**props, "summary": [1]}})
    for i, ref in enumerate(["x\u00a0y", {"id": "s"}, "x\u200dy"]):
        lines.append({"id": f"ok{i}", "schema": "Sanction", "properties": {"entity": [ref]}})
    return lines


@pytest.mark.parametrize("memory_mb", [2048, 0], ids=["whole", "streamed"])
def test_a_reference_no_id_could_be_is_not_sanitized_into_another(
    store: Store, tmp_path: Path, memory_mb: int
) -> None:
    """F8: "s\\ud800" or "s\\u200b" as a reference was stored as a reference to "s" (FtM's
    sanitizing removes the character), where the same text as an id is refused. It is
    refused as a reference too, with the id's reason, on both paths and every backend."""
    path = tmp_path / "refs.jsonl"
    # (written with ensure_ascii: a lone surrogate is no UTF-8)
    path.write_text("".join(json.dumps(x) + "\n" for x in _reference_lines()), "utf-8")
    before = _state(store)
    with pytest.raises(IngestError, match=rf"^{2 * len(_HIDDEN)} of "):
        ingest_entities(store, path, INFO, actor="a", memory_mb=memory_mb)
    assert _state(store) == before
    report = _report(tmp_path / "refs.jsonl.errors.csv")
    assert [(r[0], r[1], r[3]) for r in report] == [
        (2 + 2 * i + k, "entity", _ID_REASON.format(char))
        for i, (_, char) in enumerate(_HIDDEN)
        for k in (0, 1)
    ]
    assert report[0][2] == "s\\ud800" and report[2][2] == "s\\u200b"  # (shown escaped)
    result = ingest_entities(store, path, INFO, actor="a", skip_invalid=True, memory_mb=memory_mb)
    assert result.rejected == 2 * len(_HIDDEN)
    refs = {
        str(e["id"]): e["properties"]["entity"]
        for e in map(entity_dict, View(store, FGR, audit=False).export())
        if e["schema"] == "Sanction"
    }
    assert refs == {"ok0": ["x\u00a0y"], "ok1": ["s"], "ok2": ["x\u200dy"]}


def test_the_bulk_path_leaves_a_reference_its_sanitizing_changes_to_the_per_line_path() -> None:
    """F8: both paths answer alike: a plain line whose reference sanitizes to other text is
    the per-line path's to decide, which refuses what no id may hold (a zero-width space, a
    NUL, a space at an end)."""
    plain = [
        json.dumps({"id": f"t{i}", "schema": "Sanction", "properties": {"entity": [ref]}})
        for i, ref in enumerate(["s\u200b", "s\x00", " s", "s"])
    ]
    con = entity_bulk.connect_bulk(None, None)
    try:
        table = pa.table({"n": pa.array(range(1, 5), pa.int64()), "line": plain})
        assert entity_bulk.bulk_statements(con, Cleaner(con), table, "ds") == [1, 2, 3]
    finally:
        con.close()
    assert entity_statements(plain[0], 1, "ds")[1][0][2] == _ID_REASON.format(
        "U+200B ZERO WIDTH SPACE"
    )
    assert entity_statements(plain[1], 2, "ds")[1][0][2] == _ID_REASON.format("U+0000")
    assert entity_statements(plain[2], 3, "ds")[1][0][2] == _ID_REASON.format("U+0020 SPACE")


def test_referents_get_one_note_and_the_stores_own_export_none(
    store: Store, tmp_path: Path
) -> None:
    """F9: a nomenklatura or yente export's `referents` (ids merged into the entity) are not
    loaded: one note per file says how many lines list some (on both paths). An ironriver
    export writes `"referents": []` (and `caption`, `datasets`): it loads with no note."""
    items = [
        {**ENTITIES[0], "referents": ["ofac-1", "eu-2"], "caption": "Ana", "target": True},
        {**ENTITIES[1], "referents": [], "first_seen": "2024-01-01T00:00:00"},
        {**ENTITIES[2], "referents": ["un-3"], "last_change": "2024-02-01T00:00:00"},
        {  # (the per-line path's: a number among the values)
            "id": "p3",
            "schema": "Person",
            "properties": {"name": ["Eva"], "height": [1.5]},
            "referents": ["x-9"],
        },
    ]
    result = ingest_entities(store, _jsonl(tmp_path / "yente.jsonl", items), INFO, actor="a")
    assert [str(n) for n in result.notes] == [
        "yente.jsonl: 3 entities list referents (the ids of the records a deduplication "
        "merged into them, as nomenklatura and yente write them): they were not loaded, so "
        "looking an entity up by one of them finds nothing. The other keys such exports add "
        "(caption, first_seen, last_seen, last_change, target) are derived from the entity or "
        "are the exporter's bookkeeping: nothing of the entities is lost with them."
    ]
    exported = [entity_dict(e) for e in View(store, FGR, audit=False).export()]
    assert all(e["referents"] == [] and "caption" in e for e in exported)
    again = ingest_entities(store, _jsonl(tmp_path / "own.jsonl", exported), INFO, actor="a")
    assert (again.notes, again.statements_new) == ([], 0)
