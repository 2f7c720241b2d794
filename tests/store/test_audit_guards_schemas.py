"""Two stores in two schemas of one PostgreSQL database: each finds its own audit guards.

A store's tables are those its connection's `search_path` names (a URL's
`?options=-csearch_path%3D...`), so one database may hold several stores. `guards_installed`
decides whether an open may skip the migration (and its write lock); it must read the
store's own triggers, not every schema's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ironriver.store import Store, open_store
from ironriver.store.audit import guards_installed

SCHEMAS = ("ironriver_guards_a", "ironriver_guards_b")


def _schema_url(url: str, schema: str) -> str:
    return (
        make_url(url)
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )


@pytest.fixture
def two_schemas(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    """The store URLs of two empty schemas of the test database (dropped afterwards), run
    from `tmp_path` (where their stores' first opens make their ledger folders)."""
    monkeypatch.chdir(tmp_path)
    engine = create_engine(pg_url, isolation_level="AUTOCOMMIT")

    def drop() -> None:
        with engine.connect() as conn:
            for schema in SCHEMAS:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))

    drop()
    with engine.connect() as conn:
        for schema in SCHEMAS:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield {schema: _schema_url(pg_url, schema) for schema in SCHEMAS}
    finally:
        drop()
        engine.dispose()


def _guarded(store: Store) -> bool:
    with store.engine.connect() as conn:
        return guards_installed(conn)


@pytest.mark.postgres
def test_each_store_of_a_database_reads_its_own_audit_guards(
    two_schemas: dict[str, str],
) -> None:
    a, b = (open_store(two_schemas[s]) for s in SCHEMAS)
    try:
        with a.engine.connect() as conn:  # the stores are apart: each its own audit tables
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        assert schema == SCHEMAS[0]
        # counted across the database, four triggers were not the two each store holds
        assert _guarded(a) and _guarded(b)
        # one store's guard gone: that store is not ready, the other still is
        with b.engine.begin() as conn:
            conn.execute(text("DROP TRIGGER audit_no_change ON audit_events"))
        assert _guarded(a) and not _guarded(b)
    finally:
        a.close()
        b.close()
    # opening it again puts its guard back (the migration path): its events (the reads
    # chain's start) cannot be deleted
    b = open_store(two_schemas[SCHEMAS[1]])
    try:
        assert _guarded(b)
        with pytest.raises(Exception, match="append-only"), b.engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_events"))
    finally:
        b.close()


@pytest.mark.postgres
def test_a_store_without_its_guards_is_not_ready_when_another_schema_has_them(
    two_schemas: dict[str, str],
) -> None:
    a, b = (open_store(two_schemas[s]) for s in SCHEMAS)
    try:
        with b.engine.begin() as conn:
            conn.execute(text("DROP TRIGGER audit_no_change ON audit_events"))
            conn.execute(text("DROP TRIGGER audit_read_no_change ON audit_read_events"))
        # the database still holds two triggers of those names, both the other store's
        assert _guarded(a) and not _guarded(b)
    finally:
        a.close()
        b.close()
