"""The append-only guards of the audit event tables (see `ironriver.store.audit`): triggers
that refuse UPDATE and DELETE on `audit_events` and `audit_read_events`, on SQLite and
PostgreSQL, installed by `install_guards` (when a store is opened and migrated, and in a new
read-audit file) and checked, without a lock, by `guards_installed`. The hash chains catch
whoever goes around them.
"""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy import text as sql

# the append-only triggers of each event table, as statements per backend
_SQLITE_GUARDS = {
    "audit_events": (
        "CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END",
        "CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END",
    ),
    "audit_read_events": (
        "CREATE TRIGGER IF NOT EXISTS audit_read_no_update BEFORE UPDATE ON audit_read_events "
        "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END",
        "CREATE TRIGGER IF NOT EXISTS audit_read_no_delete BEFORE DELETE ON audit_read_events "
        "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END",
    ),
}
_PG_GUARDS = {
    "audit_events": (
        "DROP TRIGGER IF EXISTS audit_no_change ON audit_events",
        "CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
    ),
    "audit_read_events": (
        "DROP TRIGGER IF EXISTS audit_read_no_change ON audit_read_events",
        "CREATE TRIGGER audit_read_no_change BEFORE UPDATE OR DELETE ON audit_read_events "
        "FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
    ),
}
_SQLITE_TRIGGERS = (
    "audit_no_update",
    "audit_no_delete",
    "audit_read_no_update",
    "audit_read_no_delete",
)
_PG_TRIGGERS = ("audit_no_change", "audit_read_no_change")


def install_guards(
    conn: Connection, tables: tuple[str, ...] = ("audit_events", "audit_read_events")
) -> None:
    """Refuse UPDATE and DELETE on the audit event tables (SQLite and PostgreSQL)."""
    if conn.dialect.name == "sqlite":
        for table in tables:
            for statement in _SQLITE_GUARDS[table]:
                conn.execute(sql(statement))
        return
    conn.execute(
        sql(
            "CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'audit log is append-only'; END; $$ LANGUAGE plpgsql"
        )
    )
    for table in tables:
        for statement in _PG_GUARDS[table]:
            conn.execute(sql(statement))


def guards_installed(conn: Connection) -> bool:
    """Whether the store's append-only triggers are all in place (a read, no lock taken).

    On PostgreSQL, each trigger on the store's own table: the table its name resolves to
    (`to_regclass`, through the connection's `search_path`, as every statement of the store
    does). Counted by name across the database, two stores in two schemas of one database
    held four triggers, so neither was ever found ready and each open took the migration's
    write lock; and a store missing its triggers passed when another schema had them."""
    if conn.dialect.name == "sqlite":
        query = sql(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN (:a, :b, :c, :d)"
        ).bindparams(**dict(zip("abcd", _SQLITE_TRIGGERS, strict=True)))
        return int(conn.execute(query).scalar_one()) == len(_SQLITE_TRIGGERS)
    query = sql(
        "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND ("
        "(tgname = :a AND tgrelid = to_regclass('audit_events')) OR "
        "(tgname = :b AND tgrelid = to_regclass('audit_read_events')))"
    ).bindparams(a=_PG_TRIGGERS[0], b=_PG_TRIGGERS[1])
    return int(conn.execute(query).scalar_one()) == len(_PG_TRIGGERS)
