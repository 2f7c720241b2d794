"""Review R30 of `ingest --entities`: ids holding an invisible character (NUL crashed
PostgreSQL's COPY, the others were stored where no reference reaches them), id messages that
say what is wrong, FtM's text of NaN, an `iconv` hint that works for any path and names a
byte-order mark's encoding, and a schema-conflicts note that costs nothing per id."""

from __future__ import annotations

import csv
import json
import math
import shlex
from pathlib import Path

import pyarrow as pa
import pytest
from followthemoney.statement import Statement
from sales_fixtures import FGR_EXPORT as INFO  # type: ignore[import-not-found]
from sales_fixtures import snapshot  # type: ignore[import-not-found]

import ironriver.ingest.entity_bulk as entity_bulk
import ironriver.ingest.entity_files as entity_files
from ironriver.errors import IngestError
from ironriver.ingest import check_entities, ingest_entities
from ironriver.ingest.clean import Cleaner
from ironriver.ingest.entity_lines import entity_statements
from ironriver.model import get_model
from ironriver.policy import Principal, View
from ironriver.store import Store

# (id, the character the report names): each a space, separator, control or format
# character, or a lone surrogate, which no UTF-8 text holds
_BAD_IDS = [
    ("p1\u00a0", "U+00A0 NO-BREAK SPACE"),
    ("p\u20281", "U+2028 LINE SEPARATOR"),
    ("p\u00851", "U+0085"),
    ("p\x1c1", "U+001C"),
    ("p\u200b1", "U+200B ZERO WIDTH SPACE"),
    ("p\x001", "U+0000"),
    ("p\x7f1", "U+007F"),
    ("p\ufeff1", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
    ("p\ud8001", "U+D800"),
]


def _lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def _report(path: Path) -> list[tuple[int, str, str, str]]:
    with path.open(encoding="utf-8") as fh:
        return [(int(r["row"]), r["column"], r["value"], r["reason"]) for r in csv.DictReader(fh)]


def _id_lines() -> list[str]:
    """Each bad id twice: on a plain line (the bulk path's shape) and on one with a number
    (the per-line path's); then good ids, text of letters of any script, and a number."""
    lines = []
    for i, (entity_id, _) in enumerate(_BAD_IDS):
        quoted = json.dumps(entity_id)  # (escaped: "\u0000", "\ud800")
        lines.append(f'{{"id": {quoted}, "schema": "Person", "properties": {{"name": ["N{i}"]}}}}')
        lines.append(
            f'{{"id": {quoted}, "schema": "Person", "properties": {{"name": ["L{i}"], '
            '"height": [1.5]}}'
        )
    lines.append('{"id": "ok-1", "schema": "Person", "properties": {"name": ["Ana"]}}')
    lines.append('{"id": "José.ß-2", "schema": "Person", "properties": {"name": ["Bo"]}}')
    lines.append('{"id": 0, "schema": "Person", "properties": {"name": ["Cero"]}}')
    # spaces inside an id (a mapping's id_column keeps them: its export loads again) and the
    # joiners of scripts and emoji are kept (review R30c F2, F3)
    for i, entity_id in enumerate(GOOD_ODD_IDS):
        props = f'"properties": {{"name": ["G{i}"]}}'
        lines.append(f'{{"id": {json.dumps(entity_id)}, "schema": "Person", {props}}}')
    return lines


GOOD_ODD_IDS = ["AP/FGR 123", "B\u00a02", "\U0001f468\u200d\U0001f469", "\u0645\u06cc\u200c\u062e"]


def test_ids_with_invisible_characters_are_refused_on_every_backend(
    store: Store, tmp_path: Path
) -> None:
    """Review R30 F1: an id holding NUL crashed PostgreSQL's COPY (a traceback, even with
    --skip-invalid) and was stored by SQLite; one holding NBSP, U+2028, U+0085, U+200B...
    was stored on both, where no reference reaches it. Each line is reported now, naming the
    character, on both paths and every backend; with --skip-invalid the rest loads."""
    path = _lines(tmp_path / "ids.jsonl", _id_lines())
    before = snapshot(store)
    with pytest.raises(IngestError) as err:
        ingest_entities(store, path, INFO, actor="a")
    assert snapshot(store) == before
    total = 2 * len(_BAD_IDS) + 3 + len(GOOD_ODD_IDS)
    assert err.value.message.startswith(f"{2 * len(_BAD_IDS)} of {total} ")
    report = _report(Path(str(err.value.report_path)))
    reason = (
        "an entity id is one piece of text without line breaks, control or invisible "
        "characters, and no space at either end: it holds {}"
    )
    assert [(r[0], r[1], r[3]) for r in report] == [
        (2 * i + k, "id", reason.format(char))
        for i, (_, char) in enumerate(_BAD_IDS)
        for k in (1, 2)
    ]
    # the id as written, the characters the reason names escaped (review R30c F6)
    assert report[0][2] == "p1\\u00a0" and report[10][2] == "p\\u00001"
    result = ingest_entities(store, path, INFO, actor="a", skip_invalid=True)
    assert (result.rejected, result.statements_new) == (2 * len(_BAD_IDS), 3 + len(GOOD_ODD_IDS))
    kept = {e for _, e, _, _ in snapshot(store)[0]}
    assert kept == {"ok-1", "José.ß-2", "0", *GOOD_ODD_IDS}


def test_the_bulk_path_leaves_every_unusual_id_to_the_per_line_path() -> None:
    """The bulk path takes an id of letters, marks, numbers, punctuation and symbols only;
    any other (also a private-use character, which the per-line path takes) is the per-line
    path's to decide, so both read an id alike."""
    plain = [
        json.dumps({"id": entity_id, "schema": "Person", "properties": {"name": ["A"]}})
        for entity_id in [*(i for i, _ in _BAD_IDS), "p\ue0001", "José.ß-2", "x😀"]
    ]
    con = entity_bulk.connect_bulk(None, None)
    table = pa.table({"n": pa.array(range(1, len(plain) + 1), pa.int64()), "line": plain})
    doubt = entity_bulk.bulk_statements(con, Cleaner(con), table, "ds")
    assert doubt == list(range(1, len(_BAD_IDS) + 2))
    got, problems = entity_statements(plain[len(_BAD_IDS)], 1, "ds")
    assert problems == [] and {r[1] for r in got} == {"p\ue0001"}


def test_a_nul_in_a_value_is_removed_as_ftm_removes_it(store: Store, tmp_path: Path) -> None:
    """Review R30 F1, checked: a NUL inside a value (not the id) is removed, as FtM's
    cleaning removes it (a name's is a space: `clean.sanitize_name`), on both paths and
    every backend: no COPY fails on PostgreSQL. A reference holding one is refused, as an id
    holding one is: cleaned, it referred to another entity (review R31 F8)."""
    items = [
        {"id": "v1", "schema": "Person", "properties": {"notes": ["x\x00y"], "name": ["Ana"]}},
        {"id": "v2", "schema": "Person", "properties": {"notes": ["\x00z"], "height": [1.5]}},
        {"id": "v4", "schema": "Person", "properties": {"name": ["Eva\x00Cuatro"]}},
        {"id": "v3", "schema": "Ownership", "properties": {"owner": ["v\x001"]}},
    ]
    path = _lines(tmp_path / "nul.jsonl", [json.dumps(i) for i in items])
    with pytest.raises(IngestError, match=r"^1 entity of 4 rejected.* owner: .* U\+0000"):
        ingest_entities(store, path, INFO, actor="a")
    result = ingest_entities(store, path, INFO, actor="a", skip_invalid=True)
    assert result.rejected == 1
    model = get_model()
    expected = {
        (s.id, s.entity_id, s.prop, s.value)
        for item in items[:2]
        for s in Statement.from_entity(model.get_proxy(item, cleaned=False), INFO.name)
        if s.prop != "id"
    }
    name = Statement.make_key(INFO.name, "v4", "name", "Eva Cuatro", False)
    assert set(snapshot(store)[0]) == expected | {(name, "v4", "name", "Eva Cuatro")}
    assert {r[3] for r in expected if r[2] == "notes"} == {"xy", "z"}  # (FtM's removal)


_NOT = "an entity id is text or a whole number, not "


@pytest.mark.parametrize(
    ("raw", "value", "reason"),
    [
        ("1.0", "1.0", _NOT + "a number with a decimal point or an exponent"),
        ("1e3", "1000.0", _NOT + "a number with a decimal point or an exponent"),
        ("true", "true", _NOT + "a boolean (true or false)"),
        ("false", "false", _NOT + "a boolean (true or false)"),
        ('["p1"]', '["p1"]', _NOT + "a list"),
        ("[]", "[]", _NOT + "a list"),
        ('{"a": 1}', '{"a": 1}', _NOT + "an object"),
        ('""', "", "entity has no id"),
        ("null", "", "entity has no id"),
    ],
)
def test_an_id_of_the_wrong_json_type_says_which(raw: str, value: str, reason: str) -> None:
    """Review R30 F10: `"id": 1.0` and `"id": true` were said to hold spaces or line breaks,
    `"id": []` to be missing; each says its JSON type now."""
    line = f'{{"id": {raw}, "schema": "Person", "properties": {{"name": ["A"]}}}}'
    assert entity_statements(line, 1, "ds") == ([], [("id", value, reason)])


def test_id_zero_is_an_id_like_any_whole_number(sqlite_store: Store, tmp_path: Path) -> None:
    """Review R30 F10: `"id": 0` was "entity has no id" though whole numbers are ids (their
    digits): it is "0", and a reference of 0 reaches it."""
    path = _lines(
        tmp_path / "zero.jsonl",
        [
            '{"id": 0, "schema": "Person", "properties": {"name": ["Cero"]}}',
            '{"id": 42, "schema": "Company", "properties": {"name": ["Acme"]}}',
            '{"id": "o1", "schema": "Ownership", "properties": {"owner": [0], "asset": [42]}}',
        ],
    )
    result = ingest_entities(sqlite_store, path, INFO, actor="a")
    assert result.rejected == 0
    assert {(e, p, v) for _, e, p, v in snapshot(sqlite_store)[0]} == {
        ("0", "name", "Cero"),
        ("42", "name", "Acme"),
        ("o1", "owner", "0"),
        ("o1", "asset", "42"),
    }


def test_nan_is_ftms_text_and_statement_id() -> None:
    """Review R30 F11: a NaN was stored as JSON's "NaN" (NaN equals nothing, so it fell to
    `json.dumps`) where FtM writes "nan", as it writes "inf": the statement and its id are
    FtM's now."""
    line = '{"id": "n1", "schema": "Person", "properties": {"height": [NaN, Infinity, -Infinity]}}'
    rows, problems = entity_statements(line, 1, "ds")
    proxy = get_model().make_entity("Person")
    proxy.id = "n1"
    for value in (math.nan, math.inf, -math.inf):
        proxy.add("height", value)
    expected = {(s.id, s.value) for s in Statement.from_entity(proxy, "ds") if s.prop == "height"}
    assert problems == [] and {(r[0], r[4]) for r in rows} == expected
    assert {r[4] for r in rows} == {"nan", "inf", "-inf"}


def _hint(path: Path, sqlite_store: Store) -> list[str]:
    """The `iconv` command the refusal of `path` suggests, as a shell splits it."""
    with pytest.raises(IngestError) as err:
        ingest_entities(sqlite_store, path, INFO, actor="a")
    hint = str(err.value.hint)
    return shlex.split(hint.split("`")[1])


@pytest.mark.parametrize(
    ("encoding", "source"),
    [("utf-16", "utf-16"), ("utf-16-be", None), ("utf-32", "utf-32"), ("cp1252", None)],
)
def test_the_iconv_hint_works_for_any_path_and_names_a_marks_encoding(
    sqlite_store: Store, tmp_path: Path, encoding: str, source: str | None
) -> None:
    """Review R30 F12: the hint's `iconv` command named the file alone, unquoted (a space in
    its name broke it; outside its folder it found no file) and said cp1252 for a file whose
    byte-order mark says UTF-16. The paths are quoted now, the copy written beside the file,
    and the mark's encoding named (a UTF-16 file without one: cp1252, as any other)."""
    folder = tmp_path / "sub dir"
    folder.mkdir()
    path = folder / "my file's.jsonl"
    item = {"id": "p1", "schema": "Person", "properties": {"name": ["José"]}}
    line = json.dumps(item, ensure_ascii=False)
    path.write_bytes(f"{line}\n".encode(encoding))
    target = folder / "utf8-my file's.jsonl"
    assert _hint(path, sqlite_store) == [
        *("iconv", "-f", source or "cp1252", "-t", "utf-8"),
        *(str(path), ">", str(target)),
    ]
    if source:
        with pytest.raises(IngestError) as err:
            ingest_entities(sqlite_store, path, INFO, actor="a")
        assert f"(it starts with the byte-order mark of {source})" in str(err.value.hint)


def test_a_mark_of_the_encoding_given_is_no_news(tmp_path: Path) -> None:
    """A mapping's query that gives utf-16 for a UTF-16 file with a bad byte later is told
    the usual (set the real encoding), not to set the utf-16 it has."""
    from ironriver.ingest.encoding import check_encoding

    path = tmp_path / "u.csv"
    # (a lone low surrogate on line 2, in the first block read: the mark is in sight)
    path.write_bytes("a,b\n".encode("utf-16") + b"\x00\xdc" + "1,2\n".encode("utf-16-le"))
    with pytest.raises(IngestError) as err:
        check_encoding(path, "utf-16")
    assert "`encoding: utf-16`" not in str(err.value.hint)


def test_schema_conflicts_are_checked_once_per_set_of_schemata(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Review R30 F13: every id given several schemata was fetched into Python and its
    schemata checked (200,000 mergeable ids: 1.6 s and 100 MB more); the sets are grouped in
    SQL now, each checked once. The note's count and first id are as before."""
    lines = []
    for i in range(300):  # mergeable: no note
        lines.append({"id": f"m{i:03}", "schema": "Person", "properties": {"name": ["A"]}})
        lines.append({"id": f"m{i:03}", "schema": "LegalEntity", "properties": {"name": ["A"]}})
    for i in (7, 3):  # two conflicting sets, the first id in the second
        for schema in ("Person", "Company", "LegalEntity"):
            lines.append({"id": f"c{i}", "schema": schema, "properties": {"name": ["B"]}})
    for schema in ("Vessel", "Airplane"):
        lines.append({"id": "c5", "schema": schema, "properties": {"name": ["C"]}})
    path = _lines(tmp_path / "c.jsonl", [json.dumps(x) for x in lines])
    calls = []

    def counted(first: str, second: str) -> bool:
        calls.append((first, second))
        return real(first, second)

    real = entity_bulk.mergeable
    monkeypatch.setattr(entity_bulk, "mergeable", counted)
    notes = [str(n) for n in check_entities(path, INFO).notes]
    assert 0 < len(calls) < 20  # (3 sets: 4 + 1 + 4 pairs at most, and the pairs of a set)
    assert notes == [
        "c.jsonl: 3 ids are given schemata that cannot be one entity (first: c3, Company, "
        "LegalEntity, Person): a view shows each as one of them and leaves the others' "
        "properties out, listing them (an export's schema_conflicts). If they are different "
        "entities, give them different ids."
    ]


@pytest.mark.parametrize("first", ["LegalEntity", "Person"])
def test_one_value_under_two_mergeable_schemata_keeps_the_specific_one(
    first: str, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review R30 F3: a statement's id hashes no schema, so lines stating one value as a
    LegalEntity and as a Person give one statement: the store kept whichever its insert met
    first, and the entity was read as a LegalEntity by line order and backend. The Person's
    is kept, also where the two meet across a batch of the stream."""
    second = "Person" if first == "LegalEntity" else "LegalEntity"
    lines = [
        json.dumps({"id": f"p{i}", "schema": schema, "properties": {"name": [f"Luz {i}"]}})
        for i in range(5)
        for schema in (first, second)
    ]
    monkeypatch.setattr(entity_files, "BATCH_ROWS", 3)  # (a pair split across two batches)
    ingest_entities(store, _lines(tmp_path / "two.jsonl", lines), INFO, actor="a")
    rows = snapshot(store)[0]
    assert len(rows) == 5
    view = View(store, Principal("a", "FGR", "MX"), audit=False)
    entities_read = [view.entity(f"p{i}") for i in range(5)]
    assert {e.schema.name for e in entities_read if e is not None} == {"Person"}
