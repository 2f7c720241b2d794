"""A name's word or an identifier too long to key (`ids.MAX_KEY_BYTES`) is stored and shown
alike on every backend, and keyed on none: PostgreSQL cannot index a B-tree row of more than
2704 bytes, and its ingest failed where SQLite's took the value (a differential hunt on a
generated world: a free-text column mapped as an identifier)."""

from __future__ import annotations

import json
import random
import string
from pathlib import Path

from ironriver.ingest.entities import ingest_entities
from ironriver.policy import View
from ironriver.store import Store
from ironriver.store.ids import MAX_KEY_BYTES
from samples import ATF, US, table

# random letters: PostgreSQL compresses a repetitive key below its limit, not these
_RNG = random.Random(7)
LONG_ID = "".join(_RNG.choice(string.ascii_uppercase + string.digits) for _ in range(3000))
LONG_WORD = "".join(_RNG.choice(string.ascii_lowercase) for _ in range(3000))


def _check(store: Store, entity_id: str) -> None:
    view = View(store, ATF)
    found = view.entity(entity_id)
    assert found is not None
    assert LONG_ID in found.get("idNumber")
    assert view.find("gil seis")[0].entity_id == entity_id  # its other words are keyed
    assert view.find(LONG_ID) == []  # (kept only up to the bound: found on no backend)
    assert view.search(LONG_WORD[:40]) == []


def test_long_keys_are_left_unkeyed_by_a_writer(store: Store) -> None:
    rows = [
        ("p1", "Person", "name", f"Gil Seis {LONG_WORD}"),
        ("p1", "Person", "idNumber", LONG_ID),
        ("p1", "Person", "passportNumber", "X" * MAX_KEY_BYTES),  # at the bound: keyed
    ]
    with store.writer() as w:
        w.ensure_dataset(US)
        w.add_statements(table(US.name, rows), US.name, US.label)
    _check(store, "p1")
    assert View(store, ATF).find("X" * MAX_KEY_BYTES)[0].entity_id == "p1"


def test_long_keys_are_left_unkeyed_by_an_ingest(store: Store, tmp_path: Path) -> None:
    # an ingest stages its statements (on a SQLite file, copied in SQL: `Writer.add_staged`)
    path = tmp_path / "e.jsonl"
    entity = {
        "id": "p2",
        "schema": "Person",
        "properties": {"name": [f"Gil Seis {LONG_WORD}"], "idNumber": [LONG_ID]},
    }
    path.write_text(json.dumps(entity) + "\n", encoding="utf-8")
    result = ingest_entities(store, path, US, actor="loader")
    assert result.statements_new == 2
    _check(store, "p2")
