"""ingest_entities: FtM entity JSON Lines in, statements with FtM's ids out; bad lines rejected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from followthemoney.statement import Statement
from sales_fixtures import snapshot  # type: ignore[import-not-found]

from ironriver.errors import IngestError
from ironriver.ingest import ingest_entities
from ironriver.policy.markings import Marking
from ironriver.store import DatasetInfo, Store

INFO = DatasetInfo(
    name="mx_fgr_export",
    agency="FGR",
    country="MX",
    marking=Marking.AMBER,
    releasable_to=frozenset({"MX"}),
)
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
    result = ingest_entities(sqlite_store, path, INFO, actor="a", skip_invalid=True)
    assert result.rejected == 3 and result.statements_new == 1


def test_large_export_in_chunks(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many chunks, entities in no particular order, one entity repeated: the store holds
    each statement once, exactly FtM's statements."""
    import ironriver.ingest.entities as entities

    monkeypatch.setattr(entities, "CHUNK_STATEMENTS", 7)
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
    from ironriver.ingest.entities import _entity_statements
    from ironriver.model import get_model

    model = get_model()
    for number, item in enumerate(VARIED, start=1):
        rows, problems = _entity_statements(json.dumps(item), number, "ds")
        assert problems == []
        proxy = model.get_proxy(item, cleaned=False)
        expected = {
            (s.id, s.entity_id, s.schema, s.prop, s.value, number)
            for s in Statement.from_entity(proxy, "ds")
            if s.prop != "id"
        }
        assert set(rows) == expected and len(rows) == len(expected), item["id"]


def test_reverse_and_self_references_are_reported(tmp_path: Path) -> None:
    from ironriver.ingest.entities import _entity_statements

    rows, problems = _entity_statements(
        json.dumps(
            {"id": "o1", "schema": "Organization", "properties": {"membershipMember": ["m1"]}}
        ),
        1,
        "ds",
    )
    assert rows == [] and "reverse property" in problems[0][2]
    rows, problems = _entity_statements(
        json.dumps({"id": "m1", "schema": "Membership", "properties": {"member": ["m1"]}}), 2, "ds"
    )
    assert rows == [] and "Self-relationship" in problems[0][2]


def test_byte_order_mark_is_no_json(sqlite_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + _write(tmp_path / "x.jsonl", list(GOOD)).read_bytes())
    result = ingest_entities(sqlite_store, path, INFO, actor="a")
    assert result.rejected == 0 and result.statements_new == 4
