"""The read-audit file: where a file-backed SQLite store keeps its reads chain, beside the
store file (`read_audit_path`: `<store file>` + `READ_FILE_SUFFIX`), and how it is opened
(`open_read_file`; see `ironriver.store.audit`).

A file is written only once it is proven to be a read-audit file: its marks (`application_id`,
`user_version`, schema objects) are read as it is, on a connection with no pragma, before an
engine that switches it to WAL touches it. Another database, an emptied file or a missing one
is an error saying what to do (`MISSING_HINT`, `EMPTIED_HINT`, `DAMAGED_HINT`); only with
`create` is an empty or missing file given the schema, in one `BEGIN IMMEDIATE` transaction
(one creator wins), with its append-only guards and marks.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import DBAPIError

from ironriver.errors import AuditError, StoreError
from ironriver.i18n import msg
from ironriver.settings import sqlite_url
from ironriver.store.audit_chain import (
    APPLICATION_ID,
    READ_FILE_VERSION,
    check_file_version,
    file_marks,
    is_empty_file,
    schema_objects,
)
from ironriver.store.audit_guards import install_guards
from ironriver.store.dialect import (
    configure_engine,
    engine_options,
    sqlite_file,
    write_transaction,
)
from ironriver.store.tables import audit_read_events, audit_read_head

READ_FILE_SUFFIX = ".read-audit.sqlite"


def read_audit_path(engine: Engine) -> Path | None:
    """Where a store's reads chain lives in a file of its own: beside a file-backed SQLite
    store; None (the store itself) for PostgreSQL and in-memory SQLite."""
    db = sqlite_file(engine)
    if db is None:
        return None
    path = Path(db).resolve()
    return path.with_name(path.name + READ_FILE_SUFFIX)


def open_read_file(path: Path, busy_timeout_s: float, create: bool) -> Engine:
    """An engine on a read-audit file, checked to be one (and of a schema version this code
    knows); with `create`, an empty or missing file is given the schema first. The file is
    checked as it is before the engine that switches it to WAL touches it: a file that is
    not proven to be a read-audit file (another database, an emptied one) is not written."""
    if not path.exists():
        if not create:
            raise AuditError(
                msg("The read-audit file {path} is missing.", path=path), hint=MISSING_HINT
            )
    else:
        app_id, version, objects = _marks_as_is(path)
        if is_empty_file(app_id, version, objects):
            if not create:
                raise _emptied(path)
        elif app_id != APPLICATION_ID:
            raise _not_read_audit(path)
    url = sqlite_url(path)
    engine = create_engine(url, **engine_options(url))
    configure_engine(engine, busy_timeout_s)
    try:
        try:
            with engine.connect() as conn:
                app_id, version = file_marks(conn)
        except DBAPIError as exc:  # e.g. overwritten: "file is not a database"
            raise _cannot_read(path, exc) from exc
        if (app_id, version) == (0, 0) and create:
            with write_transaction(engine) as conn:  # BEGIN IMMEDIATE: one creator wins
                app_id, version = file_marks(conn)
                if is_empty_file(app_id, version, schema_objects(conn)):
                    audit_read_events.create(conn)
                    audit_read_head.create(conn)
                    install_guards(conn, ("audit_read_events",))
                    conn.exec_driver_sql(f"PRAGMA application_id = {APPLICATION_ID}")
                    conn.exec_driver_sql(f"PRAGMA user_version = {READ_FILE_VERSION}")
                    app_id, version = APPLICATION_ID, READ_FILE_VERSION
        if app_id != APPLICATION_ID:  # (replaced since `_marks_as_is`)
            raise _not_read_audit(path)
        check_file_version(path, version)
    except BaseException:
        engine.dispose()
        raise
    return engine


def _marks_as_is(path: Path) -> tuple[int, int, int]:
    """The `file_marks` of the SQLite file `path` and its number of schema objects, read on
    a connection with no pragma (as `audit verify` reads it), which writes nothing to it."""
    url = sqlite_url(path)
    engine = create_engine(url, **engine_options(url))
    try:
        with engine.connect() as conn:
            app_id, version = file_marks(conn)
            return app_id, version, schema_objects(conn)
    except DBAPIError as exc:  # e.g. overwritten: "file is not a database"
        raise _cannot_read(path, exc) from exc
    finally:
        engine.dispose()


def read_file_emptied(path: Path) -> bool:
    """Whether the read-audit file `path` exists and holds nothing (see `is_empty_file`)."""
    return path.exists() and is_empty_file(*_marks_as_is(path))


def _cannot_read(path: Path, exc: DBAPIError) -> StoreError:
    return StoreError(
        msg("{path} cannot be read as a read-audit file ({error}).", path=path, error=exc.orig),
        hint=DAMAGED_HINT,
    )


def _not_read_audit(path: Path) -> StoreError:
    return StoreError(
        msg("{path} is not an ironriver read-audit file.", path=path),
        hint=msg(
            "Move it away: a store's read-audit file is '<store file>{suffix}'.",
            suffix=READ_FILE_SUFFIX,
        ),
    )


def _emptied(path: Path) -> StoreError:
    return StoreError(
        msg(
            "This store's read-audit file {path} is empty: it was truncated or emptied, and "
            "the read events it held are lost unless it is restored.",
            path=path,
        ),
        hint=EMPTIED_HINT,
    )


EMPTIED_HINT = msg(
    "Restore it from the backup (docs/operations.md); if there is none, record "
    "the loss with `ironriver audit restart-reads --as ADMIN --reason WHY`, which starts it "
    "again."
)


DAMAGED_HINT = msg(
    "Run `ironriver audit verify` to see what is wrong with it, and restore it from the "
    "backup or copy this store came from."
)

MISSING_HINT = msg(
    "A SQLite store is two files: restore the read-audit file from the backup or copy this "
    "store came from, beside the store file. If it is lost, record that with "
    "`ironriver audit restart-reads --as ADMIN --reason WHY` and reads are audited again."
)
