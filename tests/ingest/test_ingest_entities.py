"""ingest_entities: FtM entity JSON Lines in, statements with FtM's ids out; bad lines rejected."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import pytest
from followthemoney.statement import Statement
from hypothesis import given, settings
from hypothesis import strategies as st
from sales_fixtures import FGR_EXPORT as INFO  # type: ignore[import-not-found]
from sales_fixtures import snapshot  # type: ignore[import-not-found]

from ironriver.errors import IngestError, StoreError
from ironriver.i18n import use_lang
from ironriver.ingest import ingest_entities
from ironriver.policy import Principal
from ironriver.policy.markings import Marking
from ironriver.store import MAX_ID_LENGTH, EventFilter, Store

GOOD = [
    {
        "id": "p1",
        "schema": "Individual",
        "properties": {"name": ["Ana Pérez"], "paternalSurname": ["Pérez"]},
    },
    {
        "id": "g1",
        "schema": "Firearm",
        "properties": {"serialNumber": ["SN1"], "countryOfManufacture": ["Austria"]},
    },
]


def _write(path: Path, items: list[object]) -> Path:
    path.write_text("\n".join(json.dumps(i) for i in items) + "\n", encoding="utf-8")
    return path


def test_ingest_entities(sqlite_store: Store, tmp_path: Path) -> None:
    path = _write(tmp_path / "e.jsonl", list(GOOD))
    result = ingest_entities(sqlite_store, path, INFO, actor="a")
    rows, _ = snapshot(sqlite_store)
    assert result.statements_new == len(rows) == 4
    key = Statement.make_key("mx_fgr_export", "g1", "countryOfManufacture", "at", False)
    assert (key, "g1", "countryOfManufacture", "at") in rows
    assert ingest_entities(sqlite_store, path, INFO, actor="a").statements_new == 0


def test_entities_under_another_marking_are_refused(sqlite_store: Store, tmp_path: Path) -> None:
    """The same file again with another marking would add nothing (statement ids leave the
    label out) and say nothing: refused, the store unchanged."""
    path = _write(tmp_path / "e.jsonl", list(GOOD))
    ingest_entities(sqlite_store, path, INFO, actor="a")
    before = snapshot(sqlite_store)
    with pytest.raises(StoreError, match="is stored as marking: AMBER, releasable_to: \\[MX\\]"):
        ingest_entities(sqlite_store, path, replace(INFO, marking=Marking.RED), actor="a")
    assert snapshot(sqlite_store) == before
    assert sqlite_store.dataset(INFO.name).marking is Marking.AMBER


def test_ingest_event_names_the_ingesting_agency(store: Store, tmp_path: Path) -> None:
    path = _write(tmp_path / "e.jsonl", list(GOOD))
    loader = Principal("fgr-carga", "FGR", "MX", frozenset({"ingest"}))
    ingest_entities(store, path, INFO, actor=loader.name, principal=loader)
    [event] = store.audit.events(where=EventFilter(agency="FGR"))
    assert (event.action, event.actor, event.target) == ("ingest", "fgr-carga", INFO.name)
    assert event.detail["file_sha256"] == {"e.jsonl": hashlib.sha256(path.read_bytes()).hexdigest()}


def test_bad_lines_leave_store_unchanged(store: Store, tmp_path: Path) -> None:
    """On SQLite the file is checked while staging, before the store is touched; on
    PostgreSQL it is read inside the transaction, which the rejection rolls back."""
    sqlite_store = store
    ingest_entities(sqlite_store, _write(tmp_path / "ok.jsonl", list(GOOD)), INFO, actor="a")
    before = snapshot(sqlite_store)
    items: list[object] = [
        {"id": "p2", "schema": "Individual", "properties": {"name": ["Bo"]}},
        {"id": "x", "schema": "Spaceship", "properties": {}},
        {"id": "p3", "schema": "Person", "properties": {"birthDate": ["yesterday"]}},
    ]
    path = _write(tmp_path / "bad.jsonl", items)
    with path.open("a", encoding="utf-8") as fh:
        fh.write("{not json\n")
    with pytest.raises(IngestError) as err:
        ingest_entities(sqlite_store, path, INFO, actor="a")
    assert snapshot(sqlite_store) == before
    report = Path(str(err.value.report_path)).read_text(encoding="utf-8")
    assert (
        "unknown schema" in report and "not a valid date" in report and "not valid JSON" in report
    )
    # Python's own text of the JSON error is English: the report says it in its language
    assert "a property name in double quotes was expected" in report
    # an entities file's rows are its lines (the first bad one: line 2 of the file)
    assert "(first at line 2)" in err.value.message and "record" not in err.value.message
    with use_lang("es"), pytest.raises(IngestError) as err:
        ingest_entities(sqlite_store, path, INFO, actor="a")
    spanish = Path(str(err.value.report_path)).read_text(encoding="utf-8")
    assert "se esperaba un nombre de propiedad entre comillas dobles" in spanish
    assert "Expecting" not in spanish
    result = ingest_entities(sqlite_store, path, INFO, actor="a", skip_invalid=True)
    assert result.rejected == 3 and result.statements_new == 1


def test_objects_as_values_and_ids_no_reference_reaches_are_rejected(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """Review R29b F1, F4: an object (or a nested list) among a property's values was dropped
    silently (a name of objects only dropped the entity as keys-only); an id that is a list,
    or holds a space or a line break, was stored as its Python text or as written, where no
    reference reaches it. Each line is rejected now, naming the property or the id."""
    before = snapshot(sqlite_store)
    items: list[object] = [
        {"id": "v1", "schema": "Person", "properties": {"name": ["Ana"], "notes": [{"x": 1}]}},
        {"id": "v2", "schema": "Person", "properties": {"name": ["Ana", {"x": 1}]}},
        {"id": "v3", "schema": "Person", "properties": {"name": ["Ana"], "notes": {"x": "y"}}},
        {"id": "v4", "schema": "Person", "properties": {"name": [["Ana"]]}},
        {"id": ["p1"], "schema": "Person", "properties": {"name": ["A"]}},
        {"id": "p\n1", "schema": "Person", "properties": {"name": ["B"]}},
        {"id": " p2 ", "schema": "Person", "properties": {"name": ["C"]}},
        {"id": "p2", "schema": "Person", "properties": {"name": ["D"], "notes": ["a", 1]}},
    ]
    path = _write(tmp_path / "odd.jsonl", items)
    with pytest.raises(IngestError) as err:
        ingest_entities(sqlite_store, path, INFO, actor="a")
    assert snapshot(sqlite_store) == before
    assert "7 of 8 entities rejected" in err.value.message
    report = Path(str(err.value.report_path)).read_text(encoding="utf-8")
    assert report.count("a JSON object or nested list is not a value of") == 4
    assert report.count("an entity id is one piece of text without line breaks") == 2
    assert report.count("an entity id is text or a whole number, not a list") == 1  # (R30 F2)
    result = ingest_entities(sqlite_store, path, INFO, actor="a", skip_invalid=True)
    assert result.rejected == 7 and result.statements_new == 3  # p2: name, two notes


def test_large_export_in_chunks(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many chunks, entities in no particular order, one entity repeated: the store holds
    each statement once, exactly FtM's statements."""
    import ironriver.ingest.entity_files as entity_files

    monkeypatch.setattr(entity_files, "CHUNK_LINES", 7)
    items: list[object] = [
        {"id": f"g{(i * 37) % 101}", "schema": "Firearm", "properties": {"serialNumber": [f"S{i}"]}}
        for i in range(101)
    ]
    items.append(items[0])
    path = _write(tmp_path / "big.jsonl", items)
    result = ingest_entities(store, path, INFO, actor="a")
    rows, _ = snapshot(store)
    assert result.records == 102 and result.statements_new == len(rows) == 101
    expected = {
        (Statement.make_key(INFO.name, f"g{(i * 37) % 101}", "serialNumber", f"S{i}", False))
        for i in range(101)
    }
    assert {r[0] for r in rows} == expected


VARIED: list[dict[str, object]] = [
    {
        "id": "p9",
        "schema": "Individual",
        "properties": {
            "name": ["  José  Pérez ", "José  Pérez", "", "JOSÉ PÉREZ"],
            "birthDate": ["1990-01-02", "1990-01", "1990"],
            "nationality": ["Mexico", "mx", "United States"],
            "phone": ["+52 55 1234 5678"],
            "email": ["Ana@Example.org"],
            "alias": "El Güero",
            "weight": [72, 72.5],
        },
    },
    {
        "id": "o1",
        "schema": "Organization",
        "properties": {"name": ["Cártel X"], "country": ["MX"], "website": ["cartel.example"]},
    },
    {
        "id": "m1",
        "schema": "Membership",
        "properties": {"member": ["p9"], "organization": [{"id": "o1"}], "role": ["jefe"]},
    },
    {
        "id": "g9",
        "schema": "Firearm",
        "properties": {"serialNumber": ["ab-123"], "countryOfManufacture": ["Austria"]},
    },
]


def test_statements_equal_ftm_proxy_statements(tmp_path: Path) -> None:
    """Each value cleaned as FtM's EntityProxy.add cleans it, ids as FtM's make_key: the rows
    equal `Statement.from_entity` of FtM's own proxy for the same line."""
    from ironriver.ingest.entity_lines import entity_statements
    from ironriver.model import get_model

    model = get_model()
    for number, item in enumerate(VARIED, start=1):
        rows, problems = entity_statements(json.dumps(item), number, "ds")
        assert problems == []
        proxy = model.get_proxy(item, cleaned=False)
        expected = {
            (s.id, s.entity_id, s.schema, s.prop, s.value, number)
            for s in Statement.from_entity(proxy, "ds")
            if s.prop != "id"
        }
        assert set(rows) == expected and len(rows) == len(expected), item["id"]


def test_reverse_and_self_references_are_reported(tmp_path: Path) -> None:
    from ironriver.ingest.entity_lines import entity_statements

    rows, problems = entity_statements(
        json.dumps(
            {"id": "o1", "schema": "Organization", "properties": {"membershipMember": ["m1"]}}
        ),
        1,
        "ds",
    )
    assert rows == [] and "reverse property" in problems[0][2]
    rows, problems = entity_statements(
        json.dumps({"id": "m1", "schema": "Membership", "properties": {"member": ["m1"]}}), 2, "ds"
    )
    assert (rows, problems) == (
        [],
        [("member", "m1", "a reference to the entity itself (Membership m1)")],
    )


def test_byte_order_mark_is_no_json(sqlite_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + _write(tmp_path / "x.jsonl", list(GOOD)).read_bytes())
    result = ingest_entities(sqlite_store, path, INFO, actor="a")
    assert result.rejected == 0 and result.statements_new == 4


# -- the bulk path (DuckDB) against the per-line path (FtM's own cleaning) ----------------

PLAIN: list[dict[str, object]] = [
    {
        "id": "p10",
        "schema": "Person",
        "properties": {
            "name": ["  Ana   María  ", "'Quoted'", "Ana María", "José\u00a0Núñez", ""],
            "firstName": "Ana",
            "birthDate": ["1990-01-02", "1990-01", "1990", "2023-02-30"[:7]],
            "nationality": ["Mexico", "mx", "méxico"],
            "country": ["us"],
            "phone": ["+52 55 1234 5678", "+1 202 555 0143"],
            "email": ["Ana@Example.org"],
            "website": ["example.org/x"],
            "notes": ["a\tb  c", "x" * 500],
            "idNumber": ["AB-12 3"],
            "gender": ["female"],
        },
        "referents": [],
        "datasets": ["x"],
    },
    {
        "id": "o-2.x",
        "schema": "Organization",
        "properties": {
            "name": ["Cártel  X"],
            "jurisdiction": ["MX"],
            "leiCode": ["529900T8BM49AURSDO55"],
        },
    },
    {
        "id": "m2",
        "schema": "Membership",
        "properties": {"member": ["p10"], "organization": ["o-2.x"]},
    },
    {"id": "e1", "schema": "Person", "properties": {}},
    {"id": "e2", "schema": "Person"},
    {"id": "e3", "schema": "Person", "properties": None},
    {"id": "g10", "schema": "Firearm", "properties": {"serialNumber": ["ab-123", None]}},
]
DOUBTFUL: list[str] = [
    '{"id": "d1", "schema": "Person", "properties": {"weight": [72]}}',  # a number
    '{"id": "d2", "schema": "Membership", "properties": {"member": [{"id": "p1"}]}}',
    '{"id": "d3", "schema": "Person", "properties": {"name": ["A"], "name": ["B"]}}',
    '{"id": "d4", "id": "d5", "schema": "Person", "properties": {"name": ["A"]}}',
    '{"id": "d6", "schema": "Person", "properties": {"name": ["A"],}}',  # Python rejects
    '{"id": "d7", "schema": "Spaceship", "properties": {}}',
    '{"id": "d8", "schema": "Person", "properties": {"wingspan": ["3"]}}',
    '{"id": "d9", "schema": "Organization", "properties": {"membershipMember": ["m1"]}}',
    '{"id": "d10", "schema": "Person", "properties": {"birthDate": ["yesterday"]}}',
    '{"id": "d11", "schema": "Membership", "properties": {"member": ["d11"]}}',
    '{"id": "d12", "schema": "Person", "properties": {"name": "\\"id\\""}}',
    '{"id": "d13", "schema": "Person", "properties": {"name": ["A"]}} x',
    '{"id": 14, "schema": "Person", "properties": {"name": ["A"]}}',
    '{"id": "", "schema": "Person", "properties": {"name": ["A"]}}',
    '{"id": "d15", "schema": "Person", "properties": ["name"]}',
    '{"id": "d16", "schema": "Person", "properties": {"name": [["A", "B"]]}}',
    '{"id": "d17", "schema": "Person", "properties": {"name": [NaN]}}',
    '\t{"id": "d18", "schema": "Person", "properties": {"name": ["A"]}}',
    '["not", "an", "object"]',
    '{"id": "d19", "schema": "Person", "properties": {"phone": ["12"]}}',
    # a key repeated in an escaped spelling ("\\u0069d" is "id"): Python keeps the last
    '{"\\u0069d": "evil", "id": "d20", "schema": "Person", "properties": {"name": ["A"]}}',
    '{"id": "d21", "schem\\u0061": "Company", "schema": "Person", "properties": {"name": ["A"]}}',
    '{"id": "d22", "schema": "Person", "properties": {"name": ["A"]}, '
    '"propertie\\u0073": {"name": ["B"]}}',
    '{"id": "d23", "schema": "Person", "properties": {"name": ["A"], "n\\u0061me": ["B"]}}',
]


def _both_paths(path: Path, dataset: str = "ds") -> tuple[set[tuple[object, ...]], list[object]]:
    """(statement rows, problems) of the whole file (bulk path with per-line fallback)."""
    from ironriver.ingest.entity_files import EntityFile

    source = EntityFile(path, dataset)
    rows = {tuple(r.values()) for b in source.batches() for r in b.to_pylist()}
    return rows, sorted(source.bad)


def _line_path(
    lines: list[str], dataset: str = "ds"
) -> tuple[set[tuple[object, ...]], list[object]]:
    """The same from the per-line path alone, line by line."""
    from ironriver.ingest.entity_lines import entity_statements
    from ironriver.model import most_specific_first

    rows: set[tuple[object, ...]] = set()
    bad: list[object] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        got, problems = entity_statements(line, number, dataset)
        rows |= set(got)
        bad.extend((number, c, v, r) for c, v, r in problems)
    # one row per statement id, as the file's stream gives it: the most specific schema's,
    # then the first line's (review R30 F3)
    order = most_specific_first(str(r[2]) for r in rows)
    kept: dict[object, tuple[object, ...]] = {}
    for row in sorted(rows, key=lambda r: (order.index(str(r[2])), int(r[5]))):  # type: ignore[call-overload]
        kept.setdefault(row[0], row)
    return set(kept.values()), sorted(bad)  # type: ignore[type-var]


def test_bulk_path_takes_plain_lines_and_equals_ftm(tmp_path: Path) -> None:
    import pyarrow as pa

    from ironriver.ingest.clean import Cleaner
    from ironriver.ingest.entity_bulk import bulk_statements, connect_bulk
    from ironriver.model import get_model

    lines = [json.dumps(item) for item in PLAIN]
    con = connect_bulk(None, None)
    table = pa.table({"n": pa.array(range(1, len(lines) + 1), pa.int64()), "line": lines})
    doubt = bulk_statements(con, Cleaner(con), table, "ds")
    assert doubt == []  # every line was the bulk path's
    got = con.execute("FROM stmts_out").fetchall()
    model = get_model()
    expected = {
        (s.id, s.entity_id, s.schema, s.prop, s.value, number)
        for number, item in enumerate(PLAIN, start=1)
        for s in Statement.from_entity(model.get_proxy(item, cleaned=False), "ds")
        if s.prop != "id"
    }
    assert set(got) == expected and len(got) == len(expected)


def test_doubtful_lines_get_the_line_paths_answer(tmp_path: Path) -> None:
    """Each line the bulk path cannot be sure of goes to the per-line path: rows and problems
    equal that path's alone, among plain lines and blank ones, across chunks."""
    import ironriver.ingest.entity_files as entity_files

    lines: list[str] = []
    for i, odd in enumerate(DOUBTFUL):
        lines += [json.dumps(PLAIN[i % len(PLAIN)]), odd, "" if i % 3 else "   "]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    expected = _line_path(lines)
    # 12 of them are wrong (d16's nested list too: review R29b F1), the others fine (d1, d2,
    # d12, d14's number as its text...)
    assert len(expected[1]) == 12
    assert _both_paths(path) == expected
    old = entity_files.CHUNK_LINES
    try:
        entity_files.CHUNK_LINES = 4
        assert _both_paths(path) == expected
    finally:
        entity_files.CHUNK_LINES = old


_SCHEMATA = ["Person", "Organization", "Membership", "Firearm", "Sale", "Phone", "Address"]
_VALUES = [
    "Ana María",
    "  'José'  ",
    "e\u0301",
    "1990-01-02",
    "02/01/1990",
    "1990-13",
    "Mexico",
    "mx",
    "zz",
    "+52 55 1234 5678",
    "a@b.org",
    "p1",
    "p1 x",
    "AB-12",
    "",
    " ",
    "true",
    "a\u200bb",
    "Eva\x01Cuatro",  # (a space in a name, removed elsewhere: `clean.sanitize_name`)
    "\x00",
]


@st.composite
def _entity_lines(draw: st.DrawFn) -> str:
    from ironriver.model import get_model

    schema_name = draw(st.sampled_from(_SCHEMATA))
    schema = get_model().get(schema_name)
    assert schema is not None
    names = [*sorted(schema.properties), "noSuchProperty"]
    value = st.one_of(st.sampled_from(_VALUES), st.text(max_size=12))
    props = draw(
        st.dictionaries(
            st.sampled_from(names),
            st.one_of(
                st.lists(value, max_size=3),
                value,
                st.just(None),
                st.lists(st.one_of(value, st.integers(0, 9), st.none()), max_size=2),
            ),
            max_size=4,
        )
    )
    entity_id = draw(st.sampled_from(["p1", "x.2", "e-3"]))
    return json.dumps({"id": entity_id, "schema": schema_name, "properties": props})


@given(st.lists(_entity_lines(), min_size=1, max_size=12))
@settings(max_examples=80, deadline=None)
def test_random_lines_bulk_equals_line_path(lines: list[str]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "e.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        assert _both_paths(path) == _line_path(lines)


def test_keys_spelled_with_escapes_are_read_as_ftm_reads_them(tmp_path: Path) -> None:
    """A key repeated in an escaped spelling ({"\\u0069d": "evil", "id": "p1"}) is the
    same key to JSON: the entity is FtM's (the last one), not the bulk path's first; a value
    with escapes (json.dumps writes "Jos\\u00e9"), keys spelled with escapes but not repeated,
    and a repeated key FtM ignores stay on the bulk path, or go to the per-line path (the
    repeat), with FtM's statements either way."""
    import pyarrow as pa

    from ironriver.ingest.clean import Cleaner
    from ironriver.ingest.entity_bulk import bulk_statements, connect_bulk
    from ironriver.model import get_model

    plain = {"id": "v1", "schema": "Person", "properties": {"name": ["José", "a\\\\b: c"]}}
    lines = [
        *DOUBTFUL[-4:],
        json.dumps(plain),
        '{"\\u0069d": "v2", "schem\\u0061": "Person", "propertie\\u0073": {"n\\u0061me": ["Eve"]}}',
        '{"id": "v3", "schema": "Person", "properties": {"name": ["\\"id\\": \\"x\\""]}}',
        '{"id": "v4", "datasets": ["a"], "schema": "Person", "properties": {"name": ["Kay"]}, '
        '"datasets": ["b"]}',
    ]
    path = tmp_path / "escaped.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows, bad = _both_paths(path)
    assert bad == []
    model = get_model()
    expected = {
        (s.id, s.entity_id, s.schema, s.prop, s.value, number)
        for number, line in enumerate(lines, start=1)
        for s in Statement.from_entity(model.get_proxy(json.loads(line), cleaned=False), "ds")
        if s.prop != "id"
    }
    assert rows == expected
    assert {(r[1], r[2]) for r in rows} == {("d20", "Person"), ("d21", "Person"),
                                            ("d22", "Person"), ("d23", "Person"),
                                            ("v1", "Person"), ("v2", "Person"),
                                            ("v3", "Person"), ("v4", "Person")}  # fmt: skip
    con = connect_bulk(None, None)
    table = pa.table({"n": pa.array(range(1, 9), pa.int64()), "line": lines})
    assert bulk_statements(con, Cleaner(con), table, "ds") == [1, 2, 3, 4, 8]


def test_ids_and_references_longer_than_ftms_limit_are_reported(
    store: Store, tmp_path: Path
) -> None:
    """An entity id or a reference longer than FtM's 200 characters goes to the error
    report on every backend alike (PostgreSQL's VARCHAR(255) raised a traceback on one
    longer than 255, SQLite kept it); 200 is still taken."""
    longest, too_long = "a" * MAX_ID_LENGTH, "nk-" + "a" * 260
    items: list[object] = [
        {"id": longest, "schema": "Person", "properties": {"name": ["Kept"]}},
        {"id": too_long, "schema": "Person", "properties": {"name": ["Long Id"]}},
        {"id": "m1", "schema": "Membership", "properties": {"member": ["b" * 201]}},
    ]
    path = _write(tmp_path / "long.jsonl", items)
    with pytest.raises(IngestError) as err:
        ingest_entities(store, path, INFO, actor="a")
    report = Path(str(err.value.report_path)).read_text(encoding="utf-8")
    assert report.count("longer than 200 characters, FtM's limit for an entity id") == 2
    result = ingest_entities(store, path, INFO, actor="a", skip_invalid=True)
    assert result.rejected == 2 and result.statements_new == 1
    assert {e for _, e, _, _ in snapshot(store)[0]} == {longest}


def test_entities_with_no_property_are_noted_not_silently_dropped(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """An id-only entity (what `ftm map` writes for a keys-only entity, or a line whose
    properties are misspelt as "props") gives no statement: the result says how many."""
    from ironriver.i18n import render

    path = tmp_path / "e.jsonl"
    lines = [
        {"id": "p1", "schema": "Person", "properties": {"name": ["Ana"]}},
        {"id": "p2", "schema": "Person", "props": {"name": ["Bea"]}},
        {"id": "p3", "schema": "Person"},
        {"id": "p4", "schema": "Persn", "properties": {"name": ["Cy"]}},  # rejected
        {"id": "p1", "schema": "Person", "properties": {"alias": ["La Ana"]}},
    ]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    result = ingest_entities(sqlite_store, path, INFO, actor="a", skip_invalid=True)
    assert (result.records, result.rejected, result.statements) == (5, 1, 2)
    [note] = result.notes
    assert render(note, "en").startswith("e.jsonl: 2 entities have no properties")
    assert "2 entidades no tienen propiedades" in render(note, "es")
    path.write_text(json.dumps(lines[0]) + "\n", encoding="utf-8")
    assert ingest_entities(sqlite_store, path, INFO, actor="a").notes == []


def test_json_numbers_are_stored_as_the_file_writes_them() -> None:
    """A float as FtM writes it (two decimals) where that is the number, else as JSON writes
    it: FtM stored 1e-07 as 0.00 and 0.125 as 0.12 (review R29b F7). An integer is its
    digits, as in FtM."""
    from ironriver.ingest.entity_lines import entity_statements

    heights = [1e-07, 1.5, 180, 0.125]
    line = {"id": "n1", "schema": "Person", "properties": {"height": heights, "weight": 72.5}}
    rows, problems = entity_statements(json.dumps(line), 1, "ds")
    assert problems == []
    assert sorted((r[3], r[4]) for r in rows) == [
        ("height", "0.125"),
        ("height", "1.50"),
        ("height", "180"),
        ("height", "1e-07"),
        ("weight", "72.50"),
    ]
