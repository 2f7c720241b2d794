"""A name's word or an identifier too long to key (`ids.MAX_KEY_BYTES`) is stored and shown
alike on every backend, and keyed on none: PostgreSQL cannot index a B-tree row of more than
2704 bytes, and its ingest failed where SQLite's took the value (a differential hunt on a
generated world: a free-text column mapped as an identifier)."""

from __future__ import annotations

import json
import random
import string
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import column, select
from sqlalchemy import table as sql_table

from conftest import backend_url
from ironriver.ingest.entities import ingest_entities
from ironriver.policy import View
from ironriver.store import Store, dialect, open_store
from ironriver.store.ids import MAX_KEY_BYTES
from ironriver.store.store import _alembic_config
from samples import ATF, US, table

# `statement_keys` as revisions 0005 to 0012 have it (0013 adds the label)
_OLD_KEYS = sql_table(
    "statement_keys", *(column(c) for c in ("kind", "rank", "key", "entity_id", "id"))
)

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


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_upgrade_drops_the_long_keys_an_older_write_made(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    """Revision 0012 deletes the `statement_keys` rows longer than MAX_KEY_BYTES that a
    write before commit b5a4482 made (here inserted into a store taken back to 0011, as such
    a write inserted them; 1,100 bytes, which PostgreSQL's index took too): the old store
    found the statements by those keys, the upgraded one finds them as a fresh write does,
    by their other words only. A key at the bound stays."""
    word = "".join(_RNG.choice(string.ascii_lowercase) for _ in range(1100))
    serial = "".join(_RNG.choice(string.ascii_uppercase) for _ in range(1100))
    url = backend_url(backend, tmp_path / "old.db", request)
    store = open_store(url, ledger_dir=tmp_path / "ledgers")
    rows = [
        ("p1", "Person", "name", f"Gil Seis {word}"),
        ("p1", "Person", "idNumber", serial),
        ("p1", "Person", "passportNumber", "X" * MAX_KEY_BYTES),  # at the bound: keyed
    ]
    with store.writer() as w:
        w.ensure_dataset(US)
        w.add_statements(table(US.name, rows), US.name, US.label)
    with store.engine.connect() as conn:
        fresh = sorted(tuple(r) for r in conn.execute(select(_OLD_KEYS)))
    name_id, serial_id, _ = table(US.name, rows).column("id").to_pylist()
    old_rows = [  # what a write before b5a4482 keyed besides a fresh write's rows
        {"kind": 2, "rank": len(rows[0][3]), "key": word, "entity_id": "p1", "id": name_id},
        {"kind": 3, "rank": 0, "key": serial, "entity_id": "p1", "id": serial_id},
        # 600 characters, 1,200 bytes: long in bytes, which the bound counts, not characters
        {"kind": 3, "rank": 0, "key": "ж" * 600, "entity_id": "p1", "id": serial_id},
    ]
    with dialect.write_transaction(store.engine) as conn:
        command.downgrade(_alembic_config(conn), "0011")
        conn.execute(_OLD_KEYS.insert(), old_rows)
        # the old store's rows, by which its search found them (this version's search
        # reads the label a store of 0013 has)
        held = sorted(tuple(r) for r in conn.execute(select(_OLD_KEYS)))
    store.close()
    assert held == sorted([*fresh, *(tuple(r.values()) for r in old_rows)])
    store = open_store(url, ledger_dir=tmp_path / "ledgers")  # upgrades
    view = View(store, ATF, audit=False)
    assert view.search(word[:40]) == [] and view.find(serial) == []
    assert [h.entity_id for h in view.search("gil seis")] == ["p1"]
    assert [h.entity_id for h in view.find("X" * MAX_KEY_BYTES)] == ["p1"]
    with store.engine.connect() as conn:
        assert sorted(tuple(r) for r in conn.execute(select(_OLD_KEYS))) == fresh
    store.close()
