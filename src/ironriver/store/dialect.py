"""Everything that differs between SQLite and PostgreSQL lives here, and only here."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any, Final, TypedDict
from urllib.parse import quote

import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    Table,
    event,
    make_url,
    select,
    tuple_,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from ironriver.errors import StoreError, from_lost_commit
from ironriver.i18n import msg
from ironriver.store.ids import KEY_SCHEMA, REF_SCHEMA
from ironriver.store.sqlite_files import TrackedConnection, adbc_alone, track_engine

STATEMENT_COLUMNS = (
    "entity_id",
    "id",
    "prop_id",
    "kind",
    "value",
    "lang",
    "original_value",
    "origin",
    "first_seen",
    "last_seen",
    "dataset_id",
    "label_id",
    "source_id",
    "source_row",
    "legal_basis",
    "retracted",
)


WRITE_OPTION = "ironriver_write"
SQLITE_FILES = ("", "-journal", "-wal", "-shm")
"""A SQLite database file's suffixes: itself, then SQLite's journals beside it."""


def bytewise(column: ColumnElement[str], engine: Engine) -> ColumnElement[str]:
    """`column` compared in byte order (code point order), as SQLite and Python compare
    text. PostgreSQL compares by the database's collation (`en_US.UTF-8` sorts `a1` before
    `B1`; byte order the other way), which would make an order or a `min()` that a user
    sees differ by backend and by how the server was set up."""
    return column.collate("C") if engine.dialect.name == "postgresql" else column


def sqlite_file(engine: Engine) -> str | None:
    """The file of a file-backed SQLite store; None for PostgreSQL and in-memory SQLite."""
    db = engine.url.database if engine.dialect.name == "sqlite" else None
    if not db or db == ":memory:" or db.startswith("file:"):
        return None
    return db


def add_to_tally(conn: Connection, table: Table, counts: dict[tuple[int, int], int]) -> None:
    """Add `counts` ((dataset_id, label_id) -> change) to `statement_tally`'s `n` (an upsert;
    concurrent writers add under the row's lock). A change of 0 makes the row (n = 0) if
    there is none, else leaves it as it is."""
    module = postgresql if conn.dialect.name == "postgresql" else sqlite
    for (dataset_id, label_id), delta in counts.items():
        stmt = module.insert(table).values(dataset_id=dataset_id, label_id=label_id, n=delta)
        if not delta:
            conn.execute(stmt.on_conflict_do_nothing())
            continue
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[table.c.dataset_id, table.c.label_id],
                set_={"n": table.c.n + stmt.excluded.n},
            )
        )


def get_or_create(
    conn: Connection, table: Table, where: ColumnElement[bool], values: dict[str, Any]
) -> int:
    """The id of `table`'s row matching `where` (one of its unique keys), inserting
    `values` when there is none. Two writers may register the same row at once (two
    ingests of a PostgreSQL node declaring the same new dataset): the insert skips a
    conflict, and the row the other writer committed is read back, instead of one ingest
    failing on the unique key. (SQLite writers take the write lock up front, so there they
    never meet.)"""
    found = conn.execute(select(table.c.id).where(where)).scalar()
    if found is not None:
        return int(found)
    module = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(module.insert(table).values(**values).on_conflict_do_nothing())
    found = conn.execute(select(table.c.id).where(where)).scalar()
    assert found is not None, f"{table.name}: inserted or committed by another writer"
    return int(found)


Key = tuple[Any, ...]


def register(
    conn: Connection, table: Table, keys: tuple[str, ...], rows: list[dict[str, Any]]
) -> dict[Key, int]:
    """The ids of a dictionary table's rows (`props`, `labels`, `sources`), by their values
    of `keys` (a unique key of `table`), inserting those of `rows` it lacks: one query when
    all are there, three when some are new (inserted in key order, a conflict with another
    writer skipped and its row read back). Writers on PostgreSQL call it on a connection of
    its own, committed at once (`Writer`): see `Writer.dictionary`."""
    wanted = {tuple(row[k] for k in keys): row for row in rows}
    found = _registered(conn, table, keys, list(wanted))
    missing = sorted(set(wanted) - set(found))
    if missing:
        module = postgresql if conn.dialect.name == "postgresql" else sqlite
        insert = module.insert(table).values([wanted[k] for k in missing])
        conn.execute(insert.on_conflict_do_nothing())
        found.update(_registered(conn, table, keys, missing))
    assert len(found) == len(wanted), f"{table.name}: inserted or committed by another writer"
    return found


def _registered(
    conn: Connection, table: Table, keys: tuple[str, ...], wanted: list[Key]
) -> dict[Key, int]:
    if not wanted:
        return {}
    columns = [table.c[k] for k in keys]
    query = select(table.c.id, *columns).where(tuple_(*columns).in_(wanted))
    return {tuple(row[1:]): int(row[0]) for row in conn.execute(query)}


def _switch_to_wal(cur: Any, busy_timeout_s: float) -> None:
    """`PRAGMA journal_mode=WAL`, retried while the file is locked. Switching a new file to
    WAL upgrades a read lock to an exclusive one, and SQLite answers BUSY at once there
    (its busy handler would risk a deadlock), so several processes opening a new store
    together failed now and then with "database is locked". Once the file is in WAL mode
    (the first switch stays in the file) the pragma takes no lock."""
    deadline = time.monotonic() + busy_timeout_s
    pause = 0.001
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


def configure_engine(engine: Engine, busy_timeout_s: float = 120.0) -> None:
    """Per-connection settings: WAL, foreign-key and cache pragmas on SQLite. A SQLite
    file's engine is registered on it, for ADBC reads (`sqlite_files.track_engine`)."""
    if engine.dialect.name != "sqlite":
        return
    if (path := sqlite_file(engine)) is not None:
        track_engine(engine, path)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
        cur.execute("PRAGMA page_size=16384")  # only takes effect on a new database file
        _switch_to_wal(cur, busy_timeout_s)
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA cache_size=-262144")  # 256 MB page cache for bulk loads
        cur.execute("PRAGMA temp_store=MEMORY")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # pysqlite's own transaction handling is off (isolation_level=None below). Writers
        # (see `write_transaction`) take the write lock up front with BEGIN IMMEDIATE so they
        # queue instead of deadlocking; readers use a deferred BEGIN and never block each other.
        if conn.get_execution_options().get(WRITE_OPTION):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


@contextmanager
def write_transaction(
    engine: Engine, attach: dict[str, Path] | None = None
) -> Iterator[Connection]:
    """A connection in a write transaction: committed on exit, rolled back on error. The
    connection lost during the COMMIT itself is a `CommitUnknown` (the server may have
    committed it), not the error of a loss before it, after which nothing was written.

    `attach` (SQLite only) names side database files to ATTACH for the transaction, under
    the given aliases; SQLite refuses ATTACH inside a transaction, so it happens before BEGIN,
    and DETACH after the commit or rollback."""
    with engine.connect() as conn:
        conn.execution_options(**{WRITE_OPTION: True})
        raw: Any = conn.connection.driver_connection
        for alias, path in (attach or {}).items():
            if not alias.isidentifier():
                raise ValueError(f"not an alias: {alias}")
            raw.execute(f"ATTACH DATABASE ? AS {alias}", (str(path),))
        try:
            with conn.begin() as transaction:
                yield conn
                try:
                    transaction.commit()
                except DBAPIError as exc:
                    unknown = from_lost_commit(exc)
                    if unknown is None:
                        raise
                    raise unknown from exc
        finally:
            for alias in attach or {}:
                raw.execute(f"DETACH DATABASE {alias}")


class _SQLiteConnect(TypedDict):
    isolation_level: None
    check_same_thread: bool
    factory: type[TrackedConnection]


_SQLITE_CONNECT: Final = _SQLiteConnect(
    isolation_level=None, check_same_thread=False, factory=TrackedConnection
)
"""`sqlite3.connect`'s options for every SQLite connection (typed, so the call that passes
them itself is checked): pysqlite's own transaction handling off (`configure_engine` issues
BEGIN), a connection usable from the thread the pool hands it to (and closable from the
thread of an ADBC read: `sqlite_files.adbc_alone`), and counted under its file while it is
open (`sqlite_files.TrackedConnection`), so that ADBC never reads a file it holds open."""


def engine_options(url: str) -> dict[str, Any]:
    """`create_engine`'s options for `url`. A SQLite file on a read-only file system (a
    backup's read-only mount, a snapshot) is opened immutable: WAL mode would otherwise need
    to create its `-shm` file beside it, and every command, `audit verify` included, would
    fail to open it. Such a file cannot change under the reader, which is what immutable
    promises; a WAL file left beside it (a copy taken while the store was written) would be
    ignored, so that copy is refused. Writes to it fail as writes to a read-only store."""
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:" and not path.startswith("file:"):
            if _on_read_only_media(Path(path)):
                return {"creator": partial(_connect_immutable, Path(path))}
        return {"connect_args": dict(_SQLITE_CONNECT)}  # (a copy: the engine owns it)
    return {"pool_pre_ping": True}


def _on_read_only_media(path: Path) -> bool:
    """Whether `path` is an existing file on a file system mounted read-only."""
    try:
        return path.is_file() and bool(os.statvfs(path.parent).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _connect_immutable(path: Path) -> sqlite3.Connection:
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size:
        raise StoreError(
            msg(
                "{path} is on a read-only file system, with a write-ahead log ({wal}) whose "
                "changes a read-only open cannot apply.",
                path=str(path),
                wal=wal.name,
            ),
            hint=msg(
                "Copy both files to a writable folder and open the copy there, or take the "
                "backup again from a store closed by every process."
            ),
        )
    uri = f"file:{quote(str(path.resolve()))}?mode=ro&immutable=1"
    return sqlite3.connect(uri, uri=True, **_SQLITE_CONNECT)  # (a TrackedConnection)


TABLE_COLUMNS = {
    "statements": STATEMENT_COLUMNS,
    # (a lookup row's `label_id` is its statement's, written as a constant: `Writer`)
    "statement_keys": (*KEY_SCHEMA.names, "label_id"),
    "statement_refs": (*REF_SCHEMA.names, "label_id"),
    "statement_sources": ("entity_id", "id", "source_id", "source_row"),
}


def insert_rows(
    conn: Connection,
    table: str,
    rows: pa.Table,
    constants: dict[str, int | bool | None] | None = None,
    keep_conflicts: bool = False,
    stored_under: Sequence[int] = (),
) -> int:
    """Insert `rows` (an Arrow table whose columns are columns of `table`, a statement or
    lookup table) ignoring primary keys the store already holds; return how many were added.
    `stored_under` (statements): labels under which a row's statement id may be stored
    already (`Writer._other_labels`): such a row is not added either, and counts as met.

    `constants` are integer (or NULL) columns that are the same for every row (dataset, label,
    retracted), written as SQL literals rather than sent per row. SQLite: `INSERT OR IGNORE`
    through the driver's executemany (rows pre-sorted by the primary key). PostgreSQL: Arrow
    writes the rows as CSV (in C++, no Python object per value), COPY loads them into a
    temporary table, then `INSERT ... ON CONFLICT DO NOTHING`; with `keep_conflicts`, the
    keys (entity_id, id) of rows it did not all add are kept in a temporary table for
    `count_hidden_conflicts` (PostgreSQL only).
    """
    constants = constants or {}
    columns = rows.column_names
    allowed = TABLE_COLUMNS[table]  # identifiers below come from these fixed lists only
    for name in (*columns, *constants):
        if name not in allowed:
            raise ValueError(f"not a column of {table}: {name}")
    if not rows.num_rows:
        return 0
    literal = {k: _literal(v) for k, v in constants.items()}
    all_cols = ", ".join(f'"{c}"' for c in (*columns, *literal))
    raw = conn.connection.driver_connection
    assert raw is not None
    if conn.dialect.name == "sqlite":
        values = ", ".join(["?"] * len(columns) + list(literal.values()))
        before = raw.total_changes
        data = zip(*(rows.column(c).to_pylist() for c in columns), strict=True)
        if table == "statements" and stored_under:
            # the row's own entity_id and id, by position, looked up under each other label
            at = {c: i + 1 for i, c in enumerate(columns)}
            under = ", ".join(str(int(i)) for i in stored_under)
            numbered = ", ".join(
                [*(f"?{i}" for i in range(1, len(columns) + 1)), *literal.values()]
            )
            raw.executemany(
                f"INSERT OR IGNORE INTO {table} ({all_cols}) SELECT {numbered} "
                f"WHERE NOT EXISTS (SELECT 1 FROM statements WHERE entity_id = ?{at['entity_id']} "
                f"AND label_id IN ({under}) AND id = ?{at['id']})",
                data,
            )
            return int(raw.total_changes - before)
        raw.executemany(f"INSERT OR IGNORE INTO {table} ({all_cols}) VALUES ({values})", data)
        return int(raw.total_changes - before)
    stage_cols = ", ".join(f'"{c}"' for c in columns)
    select_cols = ", ".join([f'"{c}"' for c in columns] + list(literal.values()))
    stage = f"{table}_stage"
    with raw.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {stage}")
        cur.execute(f"CREATE TEMP TABLE {stage} AS SELECT {stage_cols} FROM {table} WITH NO DATA")
        with cur.copy(f"COPY {stage} ({stage_cols}) FROM STDIN (FORMAT csv)") as copy:
            for chunk in _csv_chunks(rows):
                copy.write(chunk)
        held = not_stored_under(stored_under) if table == "statements" else ""
        cur.execute(
            f"INSERT INTO {table} ({all_cols}) SELECT {select_cols} FROM {stage} AS t{held} "
            "ON CONFLICT DO NOTHING"
        )
        added = int(cur.rowcount)
        if keep_conflicts and added < rows.num_rows:  # (a server-side copy: no row sent)
            cur.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {_CONFLICTS} (entity_id TEXT, id TEXT) "
                "ON COMMIT DROP"
            )
            cur.execute(f"INSERT INTO {_CONFLICTS} SELECT entity_id, id FROM {stage}")
        cur.execute(f"DROP TABLE {stage}")
        return added


def not_stored_under(label_ids: Sequence[int]) -> str:
    """A WHERE clause keeping the rows of a statements source aliased `t` whose statement
    is not stored under any of `label_ids` (each found by its whole key); "" for none
    (`Writer._other_labels`: a copy can be under the dataset's other labels only)."""
    if not label_ids:
        return ""
    return (
        " WHERE NOT EXISTS (SELECT 1 FROM statements AS s WHERE s.entity_id = t.entity_id "
        f"AND s.label_id IN ({', '.join(str(int(i)) for i in label_ids)}) AND s.id = t.id)"
    )


_CONFLICTS = "ironriver_conflicts"  # `insert_rows(keep_conflicts=True)`, PostgreSQL


def count_hidden_conflicts(conn: Connection, label_ids: list[int], within: list[int]) -> int:
    """PostgreSQL: how many distinct statements of the rows `insert_rows(keep_conflicts=
    True)` kept in this transaction the store held before it, retracted or under a label
    not among `label_ids`. A row this transaction added is told by its `xmin` (PostgreSQL
    13 and later): the store holds each key once, so a key kept that this transaction did
    not add was there before. Only the batches that met a stored key are kept, so an
    ingest of new statements pays nothing here. `within`: the labels the kept statements'
    datasets were stored under (the only ones a copy can be under), each statement found by
    its whole key under each, never by a range over its entity's statements."""
    raw = conn.connection.driver_connection
    assert raw is not None
    unseen = f"s.label_id NOT IN ({', '.join(str(int(i)) for i in label_ids)})"
    with raw.cursor() as cur:
        cur.execute("SELECT to_regclass(%s) IS NOT NULL", (f"pg_temp.{_CONFLICTS}",))
        row = cur.fetchone()
        if row is None or not row[0]:
            return 0
        cur.execute(f"ANALYZE {_CONFLICTS}")  # (its size, for the join's plan)
        cur.execute(
            "SELECT count(*) FROM (SELECT DISTINCT u.entity_id, u.id "
            f"FROM {_CONFLICTS} AS u JOIN statements AS s "
            "ON s.entity_id = u.entity_id "
            f"AND s.label_id IN ({', '.join(str(int(i)) for i in within) or 'NULL'}) "
            "AND s.id = u.id "
            "WHERE s.xmin <> pg_current_xact_id()::xid "
            f"AND (s.retracted OR {unseen if label_ids else 'TRUE'})) AS hidden"
        )
        row = cur.fetchone()
        return 0 if row is None else int(row[0])


_IDS_TABLE = "ironriver_ids"  # a temporary table of statement keys (`count_standing`)


def count_standing(
    conn: Connection,
    label_ids: list[int],
    tables: list[str] | None = None,
    batches: Iterable[pa.Table] = (),
    unique: bool = False,
) -> tuple[int, int]:
    """SQLite: (how many distinct statements (entity_id, id) there are among `tables`
    (tables of an attached database, `alias.name`, with those columns) or else among
    `batches` (Arrow tables with those columns), how many of them the store holds standing,
    not retracted, under one of the labels `label_ids`). `unique`: `tables` is one table
    holding each statement once (read as it is: making its rows distinct took 1.5 s of
    2.3 s on 1.09M statements). (PostgreSQL: `count_hidden_conflicts`.)"""
    for name in tables or ():  # identifiers below come from the caller's fixed names only
        if not all(part.isidentifier() for part in name.split(".")):
            raise ValueError(f"not a table name: {name}")
    raw = conn.connection.driver_connection
    assert raw is not None
    cur = raw.cursor()
    if tables:
        source = " UNION ".join(f"SELECT entity_id, id FROM {name}" for name in tables)
        if len(tables) == 1 and not unique:
            source = f"SELECT DISTINCT entity_id, id FROM {tables[0]}"
    else:  # (an in-memory store's Arrow stage: small)
        cur.execute(f"DROP TABLE IF EXISTS {_IDS_TABLE}")
        cur.execute(
            f"CREATE TEMP TABLE {_IDS_TABLE} (entity_id TEXT, id TEXT, PRIMARY KEY (entity_id, id))"
        )
        for batch in batches:
            ids = batch.select(["entity_id", "id"])
            rows = zip(*(ids.column(c).to_pylist() for c in ("entity_id", "id")), strict=True)
            cur.executemany(f"INSERT OR IGNORE INTO {_IDS_TABLE} VALUES (?, ?)", rows)
        source = f"SELECT entity_id, id FROM {_IDS_TABLE}"
    labels = ", ".join(str(int(i)) for i in label_ids) or "NULL"  # (IN (NULL): none)
    cur.execute(
        f"SELECT count(*), count(s.id) FROM ({source}) AS u LEFT JOIN statements AS s "
        "ON s.entity_id = u.entity_id AND s.id = u.id AND NOT s.retracted "
        f"AND s.label_id IN ({labels})"
    )
    distinct, standing = cur.fetchone()
    if not tables:
        cur.execute(f"DROP TABLE {_IDS_TABLE}")
    cur.close()
    return int(distinct), int(standing)


def _csv_chunks(rows: pa.Table, chunk_rows: int = 100_000) -> Iterator[memoryview]:
    """`rows` as PostgreSQL's CSV COPY format reads them: every string quoted (so an empty
    string stays empty), NULL as an unquoted empty field, booleans as true/false, no header."""
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    for start in range(0, rows.num_rows, chunk_rows):
        sink = pa.BufferOutputStream()
        pacsv.write_csv(rows.slice(start, chunk_rows), sink, options)
        yield memoryview(sink.getvalue())


def _literal(value: int | bool | None) -> str:
    """SQL literal for a constant column value (integers, booleans and NULL only)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(int(value))


# -- bulk reads: a query's rows as one Arrow table (for analytics over a view: `View.table`)
# A file-backed SQLite store is read by the ADBC SQLite driver, in C, with no Python object
# per value: ~1.2 s for 1.27M statements of 13 columns, where SQLAlchemy's rows take ~4 s
# before a value is even converted. The driver infers each column's Arrow type from the rows
# of a batch (SQLite declares none it must keep), so the whole result is read as one batch:
# a column whose first thousand rows are empty is not taken for an integer and then refused
# at its first text. PostgreSQL sends the rows as CSV (`COPY (query) TO STDOUT`), parsed by
# Arrow's CSV reader in C: 1.27M statements in ~2.4 s where its rows took 9 s (a NULL is an
# unquoted empty field there, an empty text a quoted one). In-memory SQLite goes row by row
# through SQLAlchemy, converted to Arrow a chunk at a time.
_ONE_BATCH = str(1 << 30)  # rows per ADBC batch (its limit is below 2**31): the whole result
_CHUNK_ROWS = 50_000


def read_table(
    engine: Engine, query: Select[Any], schema: pa.Schema, adbc: bool = True
) -> pa.Table:
    """The rows of `query` (its columns, in order, are `schema`'s fields) as a table of
    `schema`. Only literal values of plain types may be bound in `query` (ints, texts,
    booleans): the SQLite and PostgreSQL paths render them into the SQL text.

    A SQLite file is read by ADBC's SQLite only when no `sqlite3` connection of this process
    is left open on it once the idle ones are closed (`sqlite_files.adbc_alone`: the two
    libraries must never hold one file open at once); else, or with `adbc=False`, through
    the engine's own connections (the same rows, ~7x slower on a million statements)."""
    with read_snapshot(engine, adbc) as read:
        return read(query, schema)


@contextmanager
def read_snapshot(
    engine: Engine, adbc: bool = True
) -> Iterator[Callable[[Select[Any], pa.Schema], pa.Table]]:
    """A function reading queries' rows as `read_table` does (ADBC, COPY or the engine's
    rows), every query on one connection in one read transaction: one snapshot of the
    store, whatever commits meanwhile (SQLite in WAL mode: a read transaction; PostgreSQL:
    REPEATABLE READ, READ ONLY). The transaction ends (rolled back) with the block.

    On a SQLite file read by ADBC, no `sqlite3` connection of this process to the file can
    open until the block ends (`adbc_alone`): do not use the store inside it."""
    path = sqlite_file(engine) if adbc else None
    if path is not None:
        with adbc_alone(path, [engine]) as alone:
            if alone:
                with _adbc_snapshot(path, engine) as read:
                    yield read
                return
    with snapshot_connection(engine) as conn:
        if engine.dialect.name == "postgresql":
            yield partial(_read_pg_copy, conn)
        else:
            yield partial(_read_rows, conn)


@contextmanager
def snapshot_connection(engine: Engine) -> Iterator[Connection]:
    """A connection whose queries all read one snapshot of the store, whatever commits
    meanwhile (SQLite in WAL mode: the engine's `begin` hook, a deferred BEGIN held until
    the block ends; PostgreSQL: REPEATABLE READ, READ ONLY). Rolled back with the block:
    it writes nothing."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            # (before any query: the transaction's first statement sets its level)
            conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield conn
        conn.rollback()


def _read_rows(conn: Connection, query: Select[Any], schema: pa.Schema) -> pa.Table:
    """`query`'s rows through SQLAlchemy, converted to Arrow a chunk at a time."""
    chunks = []
    rows = conn.execution_options(yield_per=_CHUNK_ROWS).execute(query)
    try:
        while chunk := list(islice(rows, _CHUNK_ROWS)):
            columns = list(zip(*chunk, strict=True))
            chunks.append(
                pa.table(
                    [pa.array(col, type=f.type) for col, f in zip(columns, schema, strict=True)],
                    schema=schema,
                )
            )
    finally:
        rows.close()
    return pa.concat_tables(chunks) if chunks else schema.empty_table()


@contextmanager
def _adbc_snapshot(
    path: str, engine: Engine
) -> Iterator[Callable[[Select[Any], pa.Schema], pa.Table]]:
    import adbc_driver_sqlite.dbapi as adbc

    # ADBC links a SQLite of its own: two SQLite libraries in one process must not hold the
    # same file open at once, as closing either's descriptor drops the other's POSIX locks
    # (sqlite.org/howtocorrupt.html, 2.2.1). The caller holds `sqlite_files.adbc_alone`:
    # no sqlite3 connection of this process is open on `path` until this block is done.
    # (PEP 249's default, autocommit off: the driver's deferred BEGIN keeps one snapshot
    # over every query of the connection until it is rolled back.)
    with adbc.connect(path) as conn:
        try:
            yield partial(_read_adbc, conn, engine)
        finally:
            conn.rollback()


def _read_adbc(conn: Any, engine: Engine, query: Select[Any], schema: pa.Schema) -> pa.Table:
    sql = str(query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
    cur = conn.cursor()
    try:
        cur.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": _ONE_BATCH})
        cur.execute(sql)
        table = cur.fetch_arrow_table()
    finally:
        cur.close()
    # columns empty in every row come typed as integers: cast to the declared types
    return pa.table([table.column(i).cast(f.type) for i, f in enumerate(schema)], schema=schema)


def _read_pg_copy(conn: Connection, query: Select[Any], schema: pa.Schema) -> pa.Table:
    import io

    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    buffer = io.BytesIO()
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy:
        for chunk in copy:
            buffer.write(chunk)
    if not buffer.tell():
        return schema.empty_table()
    return pacsv.read_csv(
        pa.BufferReader(buffer.getbuffer()),
        read_options=pacsv.ReadOptions(column_names=schema.names),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types=schema,
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,  # "" is an empty text, a bare empty field NULL
        ),
    ).cast(schema)
