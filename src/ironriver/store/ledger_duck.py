"""The in-memory DuckDB database a store's ledger reads share (`LedgerDuck`, held by
`Store.ledger_duck` and used by `View.ledger` and `View.ledger_rows`): made at the first
read, not at each one (`duckdb.connect()` costs ~30 ms), with DuckDB's Parquet metadata
cache on, so that binding a read of many parts does not read every part's footer again (it
did at each read, although `ledger_read` caches them on our side).

Invariants:
- Each read gets a cursor of its own (DuckDB's name for another connection to the same
  database), handed out under a lock: a DuckDB connection is not to be used by two threads
  at once, and a relation stays bound to the connection it was made on. A cursor is dropped
  with the last relation made on it.
- What a read sets on its connection is set on its cursor (`enable_progress_bar`, the one
  setting): nothing a read does changes another's. The database holds only what is the
  same for every read: the metadata cache, and `IDENTIFIER_KEY_FUNCTION` (DuckDB keeps a
  function in the database, for every connection, and refuses to make one twice: a read
  made it on its own connection before), registered once when the database is made, with
  a module-level function, which outlives every database (DuckDB calls it through a
  reference that does not keep it alive).
- DuckDB trusts a cached footer only while its file is as it was (modification time and
  size: a part replaced under its name, even within the same second, is read with its own
  footer; `tests/store/test_ledger_duck.py`), as `ledger_read`'s own footer caches do.
- `release` (`Store.close`) drops the database. A relation already made keeps its cursor,
  and the cursor its database, alive: it stays readable, as one made on a connection of its
  own was.
"""

from __future__ import annotations

import threading

import duckdb

from ironriver.store.ids import identifier_keys_arrow

IDENTIFIER_KEY_FUNCTION = "ironriver_identifier_key"
"""`identifier_key` over text as a DuckDB function, in every shared database (`ledger_filter`
compares non-ASCII text with it)."""


class LedgerDuck:
    """One store's shared DuckDB for ledger reads (see the module doc)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._database: duckdb.DuckDBPyConnection | None = None

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A new connection to the shared database (made at the first call)."""
        with self._lock:
            if self._database is None:
                self._database = _new_database()
            cursor = self._database.cursor()
        cursor.execute("SET enable_progress_bar = false")  # (per connection: not global)
        return cursor

    def release(self) -> None:
        """Drop the database (`Store.close`); relations already made stay readable."""
        with self._lock:
            self._database = None


def _new_database() -> duckdb.DuckDBPyConnection:
    database = duckdb.connect()
    # (a database-wide setting: every cursor's read keeps and finds footers there)
    database.execute("SET GLOBAL parquet_metadata_cache = true")
    database.create_function(  # type: ignore[call-overload]  # (str enums)
        IDENTIFIER_KEY_FUNCTION,
        identifier_keys_arrow,
        [duckdb.sqltype("VARCHAR")],
        duckdb.sqltype("VARCHAR"),
        type="arrow",
    )
    return database
