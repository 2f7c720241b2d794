"""Everything that differs between SQLite and PostgreSQL lives here, and only here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine, event

STATEMENT_COLUMNS = (
    "entity_id",
    "id",
    "schema",
    "prop",
    "prop_type",
    "value",
    "search_key",
    "lang",
    "original_value",
    "origin",
    "first_seen",
    "last_seen",
    "dataset_id",
    "label_id",
    "legal_basis",
    "source_ref",
    "retracted",
)


def configure_engine(engine: Engine) -> None:
    """Per-connection settings: WAL, foreign-key and cache pragmas on SQLite."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA cache_size=-262144")  # 256 MB page cache for bulk loads
        cur.execute("PRAGMA temp_store=MEMORY")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # pysqlite's own transaction handling is off (isolation_level=None below); BEGIN
        # IMMEDIATE takes the write lock up front so concurrent writers queue, not deadlock.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def engine_options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        return {"connect_args": {"isolation_level": None, "check_same_thread": False}}
    return {"pool_pre_ping": True}


def insert_statement_rows(conn: Connection, rows: Sequence[tuple[Any, ...]]) -> int:
    """Insert statement rows (tuples in STATEMENT_COLUMNS order), ignoring known ids.

    Returns the number of rows actually added. SQLite: `INSERT OR IGNORE` through the driver's
    executemany (rows pre-sorted by the clustered key); PostgreSQL: COPY into a temporary
    table, then `INSERT ... ON CONFLICT DO NOTHING`.
    """
    if not rows:
        return 0
    cols = ", ".join(f'"{c}"' for c in STATEMENT_COLUMNS)  # fixed identifiers, not input
    if conn.dialect.name == "sqlite":
        marks = ", ".join("?" for _ in STATEMENT_COLUMNS)
        raw = conn.connection.driver_connection
        assert raw is not None
        before = raw.total_changes
        raw.executemany(f"INSERT OR IGNORE INTO statements ({cols}) VALUES ({marks})", rows)
        return int(raw.total_changes - before)
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS statements_stage "
            "(LIKE statements INCLUDING DEFAULTS) ON COMMIT DROP"
        )
        cur.execute("TRUNCATE statements_stage")
        with cur.copy(f"COPY statements_stage ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cur.execute(
            f"INSERT INTO statements ({cols}) SELECT {cols} FROM statements_stage "
            "ON CONFLICT DO NOTHING"
        )
        return int(cur.rowcount)
