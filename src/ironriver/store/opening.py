"""Opening a store: `open_store` and its checks.

A URL is opened, told apart from what is not an ironriver store (another application's
database, a pre-release store, a schema newer than this code), created or migrated by Alembic
under the write lock when it must be, and bound to its ledger folder. Errors say what was
wrong and what to do; whatever fails, the engine and audit log opened are closed again.
"""

from __future__ import annotations

import re
import shutil
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, create_engine, func, select, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import DatabaseError, OperationalError

from ironriver.errors import ConfigError, IronriverError, ResourceError, StoreError
from ironriver.i18n import Msg, msg, nmsg
from ironriver.logs import get_logger
from ironriver.progress import Progress, no_progress
from ironriver.settings import Settings, shown_url
from ironriver.store import dialect
from ironriver.store.audit import (
    LABELS_BASELINE,
    READ_CHAIN_REVISION,
    AuditLog,
    guards_installed,
    install_guards,
    read_audit_path,
)
from ironriver.store.ledger_folder import SETTINGS_REVISION, ledger_folder
from ironriver.store.open_lock import OpenLock, hold_open_lock

if TYPE_CHECKING:  # (store.py imports this module; Alembic is imported when migrating)
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from ironriver.store.store import Store


log = get_logger(__name__)


def _check_is_store(conn: Connection, revision: str | None, shown: str, create: bool) -> str | None:
    """Refuse a database with no ironriver schema (`revision` None) that holds other tables
    (another application's), and, unless `create`, one with nothing in it (`open_store`).
    Returns the schema's revision: read again when tables appeared since `revision` was
    (another process made the store in between: it is a store now, not another
    application's database)."""
    if revision is not None:
        return revision
    tables = sa_inspect(conn).get_table_names()
    if tables and _VERSION_TABLE in tables and (again := _revision(conn)) is not None:
        return again
    if tables:
        raise StoreError(
            msg(
                "{url!r} is a database of another application (it holds tables such as "
                "{tables}), not an ironriver store: nothing was written.",
                url=shown,
                tables=", ".join(sorted(tables)[:3]),
            ),
            hint=msg(
                "Check --db (or IRONRIVER_DB): name an ironriver store, or a new path for "
                "ironriver init to create one."
            ),
        )
    if not create:
        raise _no_store(shown)
    return None


_VERSION_TABLE = "alembic_version"  # where Alembic keeps a store's schema revision

# what migration 0008 withdrew, left in the Alembic config's attributes (`WITHDRAWN` there)
WITHDRAWN_MENTIONS = "withdrawn_mentions"
# the labels migration 0015 found no event recording (`BASELINE` there)
LABELS_FOUND = "labels_baseline"
SYSTEM_ACTOR = "ironriver"  # the actor of the events a store records of itself
_MIGRATING = "ironriver.migrate"  # PostgreSQL advisory lock key text: a store's migration


# one name of a `search_path`: a quoted identifier ("My schema", "" for a quote) or a bare one
_PATH_NAME = re.compile(r'"((?:[^"]|"")*)"|([^,\s]+)')


def _check_schema(conn: Connection, shown: str) -> None:
    """Refuse a PostgreSQL URL whose `search_path` (`?options=-csearch_path%3DNAME`) names only
    schemas the database lacks: there the store's tables can be neither found nor created,
    which would read as "there is no ironriver store" and then fail `init` with PostgreSQL's
    "no schema has been selected to create in". Asked only of a database with no store in
    reach (one query); a schema there but not usable by this user is left to PostgreSQL's
    own error."""
    if conn.dialect.name != "postgresql":
        return
    if conn.execute(select(func.current_schema())).scalar() is not None:
        return  # (a schema of the path exists: the store is, or can be made, there)
    path = str(conn.execute(text("SHOW search_path")).scalar() or "")
    user = str(conn.execute(select(func.current_user())).scalar())
    names = [
        quoted.replace('""', '"') if quoted else (user if bare == "$user" else bare)
        for quoted, bare in _PATH_NAME.findall(path)
    ]
    present = {
        name
        for (name,) in conn.execute(
            text("SELECT nspname FROM pg_namespace WHERE nspname = ANY(:names)"),
            {"names": names},
        )
    }
    missing = [name for name in dict.fromkeys(names) if name not in present]
    if not missing:
        return
    listed = ", ".join(missing)
    raise ConfigError(
        nmsg(
            "Schema {schema} does not exist in the PostgreSQL database of {url!r}: the URL's "
            "search_path names it, so the store's tables can be neither found nor created "
            "there. Nothing was written.",
            "Schemas {schema} do not exist in the PostgreSQL database of {url!r}: the URL's "
            "search_path names them, so the store's tables can be neither found nor created "
            "there. Nothing was written.",
            len(missing),
            schema=listed,
            url=shown,
        ),
        hint=nmsg(
            "Create it (in psql: CREATE SCHEMA {first};) and run the command again, or remove "
            "it from the URL's search_path to use the database's own schema (public).",
            "Create them (in psql: CREATE SCHEMA {first}; and so on) and run the command "
            "again, or remove them from the URL's search_path to use the database's own "
            "schema (public).",
            len(missing),
            first=_sql_name(missing[0]),
        ),
    )


def _sql_name(name: str) -> str:
    """`name` as SQL must spell it: as it is when lower-case and plain, else quoted."""
    if re.fullmatch(r"[a-z_][a-z0-9_$]*", name):
        return name
    return '"' + name.replace('"', '""') + '"'


def _no_store(shown: str) -> ConfigError:
    return ConfigError(
        msg("There is no ironriver store at {url!r}.", url=shown),
        hint=msg(
            "Check --db (or IRONRIVER_DB), or create the store first: ironriver init --db ..."
        ),
    )


def _alembic_config(conn: Connection | None = None) -> Config:
    """The Alembic configuration of the store's migrations; with `conn`, the connection
    `migrations/env.py` runs them on (one configuration per migrating open: its attributes
    carry the connection in and `WITHDRAWN_MENTIONS` out)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("ironriver.store") / "migrations"))
    if conn is not None:
        cfg.attributes["connection"] = conn
    return cfg


# The newest migration's revision. An open that finds the store there (every command but
# the first after an upgrade) reads it with one query and imports no Alembic (~0.1 s of each
# command: the import and parsing every script); a test holds it equal to the scripts' head.
HEAD_REVISION = "0016"


@cache
def _scripts() -> ScriptDirectory:
    """The migration scripts, read once per process (`_check_unmigrated`; `command.upgrade`
    reads its own from the configuration it is given)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config())


def _head_revision() -> str | None:
    return HEAD_REVISION


def _revision(conn: Connection) -> str | None:
    """The store's schema revision (None: no ironriver schema), from Alembic's version table
    as Alembic reads it (the table of the connection's default schema). Read once per
    connection an open uses (again only if another process made the store meanwhile:
    `_check_is_store`): the read before the write lock may be stale once it is taken."""
    if not conn.dialect.has_table(conn, _VERSION_TABLE):
        return None
    found = conn.execute(text(f"SELECT version_num FROM {_VERSION_TABLE}")).scalars().all()
    if len(found) > 1:  # (branches: none here) Alembic says what is wrong
        from alembic.runtime.migration import MigrationContext

        return MigrationContext.configure(conn).get_current_revision()
    return str(found[0]) if found else None


def _ready(conn: Connection, revision: str | None) -> bool:
    """Whether the schema (at `revision`, `_revision(conn)`) is at the newest migration with
    its audit guards in place."""
    return revision == _head_revision() and guards_installed(conn)


def open_store(
    settings: Settings | str,
    ledger_dir: Path | None = None,
    *,
    create: bool = True,
    migrate: bool = True,
    progress: Progress = no_progress,
) -> Store:
    """Open (creating and migrating if needed) the store named by `settings` or a URL.
    `progress` hears of an upgrade of an existing store before it starts (it holds the write
    lock, and rebuilding a large table takes minutes: 0016's 12M statements, 70 s).

    With `create=False` (what reading commands pass) a missing store is a `ConfigError`
    instead of a new one: a mistyped `--db` must not leave an empty store behind. Either way
    a database holding other tables and no ironriver schema (another application's) is
    refused, never turned into a store.

    A store at the newest schema is opened with reads only, so opening does not wait for an
    ingest holding the write lock; creating or upgrading it takes the write lock. A new
    store, or one upgraded past migration 0004, gets its reads audit chain (and, beside a
    SQLite file, its read-audit file: see `ironriver.store.audit`). The returned store's
    `created` says whether this open made it: no SQLite file or an empty one, an empty
    PostgreSQL database (of processes opening a new one at once, the one that made it).

    With `migrate=False` (what `audit verify` passes: it writes nothing, and may run on a
    backup) an older store is opened as it is, not upgraded: its audit chains have had
    today's form since migration 0004, so it can be verified; one older than that is a
    `StoreError` saying what to do, and the file is left as it was."""
    if isinstance(settings, str):
        settings = Settings.from_env({}, db=settings)
    url = settings.db_url
    shown = shown_url(url)  # what messages print: never the password
    try:
        engine = create_engine(url, **dialect.engine_options(url))
    except Exception as exc:
        raise StoreError(
            msg("Cannot open store {url!r}: {error}", url=shown, error=exc),
            hint=msg("Use sqlite:///path.db or postgresql+psycopg://user@host/db."),
        ) from exc
    db_file = dialect.sqlite_file(engine)
    # held from before the first look at the files until `Store.close` (`open_lock`)
    lock = hold_open_lock(db_file, create) if db_file is not None else None
    if not create and db_file is not None and not Path(db_file).exists():
        _release(lock)  # (none; or removed by then: `store.unused`)
        engine.dispose()
        raise _no_store(shown)
    try:
        return _open_locked(engine, settings, ledger_dir, create, migrate, lock, progress)
    except BaseException:
        if lock is not None:
            lock.discard()  # (a lock file this open made is not left beside what it refused)
        raise


def _release(lock: OpenLock | None) -> None:
    if lock is not None:
        lock.release()


def _open_locked(
    engine: Engine,
    settings: Settings,
    ledger_dir: Path | None,
    create: bool,
    migrate: bool,
    lock: OpenLock | None,
    progress: Progress = no_progress,
) -> Store:
    """`open_store`'s work once the store's open lock (if it has one) is held: the lock
    becomes the store's (`Store.close` releases it)."""
    shown = shown_url(settings.db_url)
    ready = False
    revision: str | None = None
    unmigrated = False  # opened as it is, at an older schema (`migrate=False`)
    created = False  # this open made the schema in an empty database
    try:
        # reads only, before the engine is configured: its settings would switch another
        # application's database to WAL mode just by looking at it
        with engine.connect() as conn:
            revision = _revision(conn)
            ready = _ready(conn, revision)
            if not ready:
                if revision is None:
                    _check_schema(conn, shown)
                revision = _check_is_store(conn, revision, shown, create)
                _check_not_pre_release(conn, revision, shown)
                if not migrate:  # opened as it is (an empty one: created, if `create`)
                    ready = unmigrated = _check_unmigrated(revision, shown)
    except (ConfigError, StoreError):
        engine.dispose()
        raise
    except DatabaseError as exc:
        if not migrate:  # (nothing below may write: said here)
            engine.dispose()
            if isinstance(exc, OperationalError):
                raise _cannot_open(shown, exc, engine) from exc
            raise _not_a_database(shown, exc) from exc
        # (else unreadable, or not a database at all: said below, where it is written)
    engine.dispose()  # that connection was not configured: no later read may reuse it
    dialect.configure_engine(engine, settings.busy_timeout_s)
    audit = AuditLog(engine, read_audit_path(engine), settings.busy_timeout_s)
    try:
        if not ready:
            with dialect.write_transaction(engine) as conn:
                if conn.dialect.name == "postgresql":
                    # processes opening a new (or older) store at once migrate it one at a
                    # time: the others then find it ready (SQLite's BEGIN IMMEDIATE does it)
                    conn.execute(select(func.pg_advisory_xact_lock(func.hashtext(_MIGRATING))))
                before = _revision(conn)  # (another process may have migrated it since)
                if conn.dialect.name != "postgresql" or not _ready(conn, before):
                    config = _alembic_config(conn)
                    if before is not None:
                        progress(
                            msg(
                                "Upgrading store {url} from schema {before} to {head}: on a "
                                "large store this takes minutes, and other commands on it "
                                "wait.",
                                url=shown,
                                before=before,
                                head=HEAD_REVISION,
                            )
                        )
                    _upgrade(config, shown)
                    install_guards(conn)
                    if before is None or before < READ_CHAIN_REVISION:
                        reason = "new store" if before is None else f"upgrade from {before}"
                        audit.start_reads(conn, SYSTEM_ACTOR, reason)
                    created = before is None
                    _record_withdrawn_mentions(audit, conn, config)
                    _record_labels_baseline(audit, conn, config, before)
    except OperationalError as exc:
        audit.close()
        engine.dispose()
        raise _cannot_open(shown, exc, engine) from exc
    except DatabaseError as exc:  # e.g. a file that is not a SQLite database
        audit.close()
        engine.dispose()
        raise _not_a_database(shown, exc) from exc
    except BaseException:
        audit.close()
        engine.dispose()
        raise
    # (an older store opened as it is has no `store_settings` table before 0009)
    recordable = not unmigrated or (revision or "") >= SETTINGS_REVISION
    store = _opened(
        engine, settings, ledger_dir, audit, shown, migrate, recordable, created, not create
    )
    store.open_lock = lock
    return store


def _upgrade(config: Config, shown: str) -> None:
    """Alembic's upgrade to the newest migration; a revision this version does not know (a
    newer ironriver's) is a `StoreError` saying so."""
    from alembic import command
    from alembic.util.exc import CommandError

    try:
        command.upgrade(config, "head")
    except CommandError as exc:
        raise StoreError(
            msg(
                "Store {url!r} has a schema this version of ironriver does not know ({error}).",
                url=shown,
                error=exc,
            ),
            hint=msg(
                "It was written by a newer ironriver: upgrade ironriver to open it (stores "
                "are migrated forward only)."
            ),
        ) from exc


def _check_not_pre_release(conn: Connection, revision: str | None, shown: str) -> None:
    """Refuse a store made by the code before its first release (before commit afef528),
    whose migration 0001 was then rewritten in place (integer-coded properties and
    sources): it is stamped 0001 or 0002 (`revision`) but has the old `statements` table,
    which no migration can take forward ("no such column: kind" half-way through 0003)."""
    if revision not in ("0001", "0002"):
        return
    columns = {c["name"] for c in sa_inspect(conn).get_columns("statements")}
    if "prop_id" in columns:
        return
    raise StoreError(
        msg(
            "Store {url!r} is a pre-release store: it was made by an ironriver from before "
            "its first release (schema {revision} of that time, which differs from today's), "
            "and this version can neither open nor upgrade it. Nothing was written.",
            url=shown,
            revision=revision,
        ),
        hint=msg(
            "Re-create it from its source files: ironriver init --db NEW, then ingest the same "
            "mappings and entity files into it (statement ids are content hashes: the same "
            "data gets the same ids). Keep the old file for its audit log."
        ),
    )


def _cannot_open(shown: str, exc: OperationalError, engine: Engine) -> IronriverError:
    full = _full_disk(engine) if "disk i/o error" in str(exc.orig).lower() else None
    if full is not None:  # SQLite needs room for its WAL index even to read
        return ResourceError(
            msg(
                "Cannot open store {url!r}: the disk holding it is full ({free} bytes free in "
                "{folder}); SQLite needs a little room to open a store, even to read it. "
                "Nothing was written.",
                url=shown,
                free=full[1],
                folder=full[0],
            ),
            hint=msg("Free disk space there, then run the command again."),
        )
    return StoreError(
        msg("Cannot open store {url!r}: {error}", url=shown, error=exc.orig),
        hint=_open_hint(str(exc.orig), engine),
    )


_PG_MISSING_DATABASE = re.compile(r'database "([^"]+)" does not exist')
_PG_NO_SERVER = (
    "connection refused",
    "could not connect",
    "failed to resolve host",
    "could not translate host name",
    "timeout expired",
    "no such file or directory",  # a Unix socket that is not there
)
_PG_REFUSED_LOGIN = ("authentication failed", 'role "', "no pg_hba.conf entry")
_SQLITE_NOT_WRITABLE = ("readonly database", "unable to open database file", "permission denied")


def _open_hint(error: str, engine: Engine) -> Msg:
    """What to do when the store on `engine` cannot be opened with `error` (its driver's
    message, in English: a server set to another language falls to the general hint): the
    cause's own remedy, so a missing database or a stopped server is not told to check
    write permissions."""
    lowered = error.lower()
    if engine.dialect.name == "postgresql":
        missing = _PG_MISSING_DATABASE.search(error)
        if missing is not None:
            return msg(
                "The database {name} does not exist on that server: check its name in the "
                "URL, or create it (`createdb {name}`, or `CREATE DATABASE {name};` in psql), "
                "then run `ironriver init --db URL` to make it a store.",
                name=missing.group(1),
            )
        if any(cause in lowered for cause in _PG_NO_SERVER):
            return msg(
                "No PostgreSQL server answered at {host}:{port}: check that it runs there, "
                "and the host and port in the URL.",
                host=engine.url.host or "localhost",
                port=engine.url.port or 5432,
            )
        if any(cause in lowered for cause in _PG_REFUSED_LOGIN):
            return msg(
                "The server refused the user or password in the URL: check them (and, "
                "for its administrator, the server's pg_hba.conf)."
            )
        return msg("Check the URL, and that the PostgreSQL server runs and accepts you.")
    if any(cause in lowered for cause in _SQLITE_NOT_WRITABLE):
        return msg(
            "Check the path, and that you may write there (SQLite writes beside the file "
            "even to read it)."
        )
    return msg("Check the path, and the disk that holds it.")


_NEARLY_FULL = 1 << 20  # bytes: less free than this and a SQLite "disk I/O error" is the disk


def _full_disk(engine: Engine) -> tuple[Path, int] | None:
    """(folder, bytes free) when `engine`'s SQLite file is on a disk with (almost) no room
    left, else None (a PostgreSQL store, an in-memory one, or room to spare)."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        return None
    folder = Path(database).resolve().parent
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return None
    return (folder, free) if free < _NEARLY_FULL else None


def _not_a_database(shown: str, exc: DatabaseError) -> StoreError:
    return StoreError(
        msg("Cannot open store {url!r}: {error}", url=shown, error=exc.orig),
        hint=msg(
            "--db (or IRONRIVER_DB) must name an ironriver store, or a new path to "
            "create one; this one exists but is not a database ironriver can read."
        ),
    )


def _check_unmigrated(revision: str | None, shown: str) -> bool:
    """Whether a store at `revision` can be opened as it is, without upgrading it: yes at a
    known schema from migration 0004 on (its audit chains have today's form); no for an
    empty database (`_check_is_store` refused it, or it is to be created). Refuses one whose
    chains are older (before 0004) or whose schema this version does not know (newer)."""
    if revision is None:
        return False
    if revision not in {s.revision for s in _scripts().walk_revisions()}:
        raise StoreError(
            msg(
                "Store {url!r} has a schema this version of ironriver does not know ({error}).",
                url=shown,
                error=revision,
            ),
            hint=msg(
                "It was written by a newer ironriver: upgrade ironriver to open it (stores "
                "are migrated forward only)."
            ),
        )
    if revision < READ_CHAIN_REVISION:
        raise StoreError(
            msg(
                "Store {url!r} is of schema {revision}, from before the reads audit chain "
                "(migration {first}); audit verify writes nothing, so it does not upgrade it, "
                "and the store was left as it is.",
                url=shown,
                revision=revision,
                first=READ_CHAIN_REVISION,
            ),
            hint=msg(
                "Verify it with the ironriver release that wrote it; or verify an upgraded "
                "copy: copy the store, open the copy with this version (e.g. ironriver "
                "datasets --db COPY --as YOU, which upgrades it and keeps every event), then run "
                "ironriver audit verify --db COPY."
            ),
        )
    return True


def _record_withdrawn_mentions(audit: AuditLog, conn: Connection, config: Config) -> None:
    """Record the `namesMentioned` copies migration 0008 withdrew (of names retracted
    before retraction took them) as one `retract` event, committed with their tombstones."""
    withdrawn: list[tuple[str, str]] = config.attributes.get(WITHDRAWN_MENTIONS) or []
    if not withdrawn:
        return
    audit.append(
        SYSTEM_ACTOR,
        "retract",
        withdrawn[0][0] if len({e for e, _ in withdrawn}) == 1 else "namesMentioned",
        "migration 0008: the copies of names retracted before retraction withdrew them",
        {"statements": [], "mentions": [f"{e}/{i}" for e, i in withdrawn]},
        conn=conn,
    )


def _record_labels_baseline(
    audit: AuditLog, conn: Connection, config: Config, before: str | None
) -> None:
    """Record the labels of the datasets no event recorded, as migration 0015 found them in
    their `datasets` rows, as one `labels-baseline` event, committed with the revision: from
    then on `audit verify-data` holds them to it (trust on first use: an edit made before the
    upgrade is what is recorded)."""
    found: dict[str, dict[str, str]] = config.attributes.get(LABELS_FOUND) or {}
    if not found:
        return
    from ironriver.store.data_verify import LABELS_KEY  # (it imports the store: not at the top)

    audit.append(
        SYSTEM_ACTOR,
        LABELS_BASELINE,
        ",".join(sorted(found)),
        f"upgrade from {before}",
        {LABELS_KEY: found},
        conn=conn,
    )


def _opened(
    engine: Engine,
    settings: Settings,
    ledger_dir: Path | None,
    audit: AuditLog,
    shown: str,
    recover: bool,
    recordable: bool,
    created: bool = False,
    existing: bool = False,
) -> Store:
    """The open store, its ledger folder bound (`ledger_folder`: with `recover`, this open
    may write, and may record it; `recordable`, the store can hold a record; `created`, this
    open made it: `Store.created`; `existing`, the open may not make a store: a reading
    command's, whose given folder is held to the ledgers the store has)."""
    if ledger_dir is None and settings.ledger_dir_given:
        ledger_dir = settings.ledger_dir
    try:
        folder = ledger_folder(
            engine,
            ledger_dir,
            settings.ledger_dir,
            write=recover,
            recorded=recordable,
            created=created,
            existing=existing,
        )
    except BaseException:
        audit.close()
        engine.dispose()
        raise
    log.info(
        "store.opened",
        backend=engine.dialect.name,
        url=shown,
        read_audit=str(audit.read_file or "in the store"),
        ledgers=str(folder),
    )
    from ironriver.store.store import Store  # (store.py imports this module)

    store = Store(engine, folder, audit, created=created)
    if recover:  # (not for `audit verify`, which writes nothing, a backup's files included)
        store.recover()  # what a killed process left (one glob and one listing when nothing)
    return store
