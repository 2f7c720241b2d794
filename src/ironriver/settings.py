"""One typed settings object, built once from `IRONRIVER_*` variables and flags.

Nothing here is read at import time: call `Settings.from_env()` and pass the result on.
"""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from ironriver.errors import ConfigError, os_problem
from ironriver.i18n import msg

LEDGERS_SUFFIX = ".ledgers"
"""A SQLite store's ledger folder is its file's path plus this, by default."""

DEFAULT_DB = "ironriver.db"
DEFAULT_INGEST_MEMORY_MB = 2048
DEFAULT_BUSY_TIMEOUT_S = 120


# a file-backed SQLite URL: `sqlite:///` (any driver), the file's path, its query
_SQLITE_URL = re.compile(r"(?P<scheme>sqlite(?:\+\w+)?:///)(?P<path>[^?]*)(?P<query>\?.*)?")


def to_url(db: str) -> str:
    """Accept a SQLAlchemy URL or a plain file path (taken as SQLite, `~` expanded). A
    SQLite store's file is named by its resolved path (`store_file`): however `db` spells it
    (a symbolic link, `..`, relative to the current folder), the URL names the one file, and
    every file beside the store (ledger folder, read-audit file, open lock) follows from it."""
    if "://" not in db:  # (a plain path: a `%` or `?` in it is the file's own)
        return sqlite_url(store_file(Path(db).expanduser()))
    parts = _sqlite_parts(db)
    if parts is None:
        return db  # (a server; in memory; a `file:` URI, which SQLite reads itself)
    scheme, path, query = parts
    return f"{scheme}{_quoted(store_file(path))}{query}"


def sqlite_url(path: Path) -> str:
    """The SQLite URL of the file at `path`, whatever characters its name holds."""
    return f"sqlite:///{_quoted(path)}"


def _quoted(path: Path) -> str:
    """`path` as a SQLite URL's file part: SQLAlchemy decodes `%xx` in it and reads a `?` as
    the start of the URL's query, so those two are escaped (`sqlite_file` reads it back)."""
    return str(path).replace("%", "%25").replace("?", "%3F")


def sqlite_file(url: str) -> Path | None:
    """The file of a file-backed SQLite URL (resolved, when `to_url` made the URL); None for
    a server store, an in-memory one or a `file:` URI."""
    parts = _sqlite_parts(url)
    return None if parts is None else parts[1]


def _sqlite_parts(url: str) -> tuple[str, Path, str] | None:
    """(scheme, file, query) of a file-backed SQLite URL, the file's path read as SQLAlchemy
    reads it (unquoted); None for any other URL."""
    found = _SQLITE_URL.fullmatch(url)
    if found is None:
        return None
    path = unquote(found["path"])
    if path in ("", ":memory:") or path.startswith("file:"):
        return None
    return found["scheme"], Path(path), found["query"] or ""


def store_file(path: Path) -> Path:
    """The file a SQLite store's `path` names, spelled one way: absolute, with symbolic links
    and `..` resolved. A link to no file yet names the file it points to: a new store is
    made there (as SQLite, and any program writing through a link, would), and a refused
    ingest removes that file again, not the link (`store.unused`). A link loop names no
    file: a `ConfigError`."""
    try:
        return path.resolve()
    except RuntimeError:  # (a symbolic link loop: Python 3.11 raises RuntimeError)
        pass
    except OSError as exc:  # (a relative path once the current folder was removed)
        if exc.errno != errno.ELOOP:
            raise ConfigError(
                msg(
                    "Cannot find the store path {path}: {problem}.",
                    path=path,
                    problem=os_problem(exc),
                ),
                hint=msg(
                    "Give the store's full path with --db (or IRONRIVER_DB), or run the "
                    "command from a folder that exists (the current one may have been removed)."
                ),
            ) from None
    raise ConfigError(
        msg(
            "The store path {path} runs into a loop of symbolic links (a link that "
            "leads, through others or none, back to itself): it names no file.",
            path=path,
        ),
        hint=msg(
            "Point the link at the store's file (ln -sfn FILE LINK), or give the file's "
            "own path with --db (or IRONRIVER_DB)."
        ),
    ) from None


def shown_url(url: str) -> str:
    """`url` as it may be printed or logged: its password masked
    (`postgresql+psycopg://analyst:***@host/db`)."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy reads: mask what looks like user:password@
        return re.sub(r"(//[^/:@]*:)[^@/]*@", r"\1***@", url)


def _ingest_memory_mb(value: str | None) -> int:
    if not value:
        return DEFAULT_INGEST_MEMORY_MB
    try:
        mb = int(value)
    except ValueError:
        mb = -1
    if mb < 0:
        raise ConfigError(
            msg(
                "IRONRIVER_INGEST_MEMORY_MB must be a whole number of MiB (0 or more), not "
                "{value!r}.",
                value=value,
            ),
            hint=msg(
                "e.g. IRONRIVER_INGEST_MEMORY_MB=4096, or unset it for the default ({default}).",
                default=DEFAULT_INGEST_MEMORY_MB,
            ),
        )
    return mb


@dataclass(frozen=True)
class Settings:
    """Where the store lives and who is asking.

    db_url: SQLAlchemy URL (`sqlite:////abs/ironriver.db`, `postgresql+psycopg://...`); a
        SQLite file's path resolved (`to_url`), whichever name (a link, `..`) `--db` gave.
    ledger_dir: folder of the Parquet ledgers: `IRONRIVER_LEDGERS` (`ledger_dir_given`);
        else beside the SQLite file's resolved path (`store.db.ledgers`: move the two
        together; a link to the file finds the folder beside the file); for a
        server database, the folder its store recorded, whatever the current folder, and
        for a new one its own folder under `./ironriver-ledgers` (named after its database)
        made absolute, which the store then records (`ironriver.store.ledger_folder`). A given folder is recorded by a server store, so
        later commands find it without the variable.
    ledger_dir_given: whether `ledger_dir` was given (`IRONRIVER_LEDGERS`), not a default.
    principals_file: YAML file declaring principals (see `ironriver.policy`).
    principal: the name of the principal the CLI acts as (`--as`).
    busy_timeout_s: how long a SQLite connection waits for another writer
        (`IRONRIVER_BUSY_TIMEOUT`, seconds). Reads do not wait for writers (WAL, and their
        audit events go to the read-audit file); writes (ingests, retractions) wait for each
        other's write window (copy and commit: seconds per 100,000 rows); the default covers
        a 1M-row ingest on a 2-core machine.
    ingest_memory_mb: the memory an ingest may use for one source file
        (`IRONRIVER_INGEST_MEMORY_MB`, MiB). A file is read whole into memory when that
        needs no more (about 3 bytes per byte of file); a larger one is streamed into
        DuckDB, which keeps this much less 512 (at least 128) in memory and spills the rest
        to a temporary folder beside the store's ledgers. 0 streams every file.
    """

    db_url: str
    ledger_dir: Path
    ledger_dir_given: bool = False
    principals_file: Path | None = None
    principal: str | None = None
    busy_timeout_s: float = float(DEFAULT_BUSY_TIMEOUT_S)
    ingest_memory_mb: int = DEFAULT_INGEST_MEMORY_MB

    @property
    def db_file(self) -> Path | None:
        """The SQLite store's file, resolved; None for a server or in-memory store."""
        return sqlite_file(self.db_url)

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        db: str | None = None,
        principal: str | None = None,
        principals_file: str | None = None,
    ) -> Settings:
        env = os.environ if env is None else env
        db_url = to_url(db or env.get("IRONRIVER_DB") or DEFAULT_DB)
        ledger_env = env.get("IRONRIVER_LEDGERS")
        if ledger_env:
            ledger_dir = Path(ledger_env)
        elif (db_file := sqlite_file(db_url)) is not None:  # (resolved: `to_url`)
            ledger_dir = db_file.with_name(db_file.name + LEDGERS_SUFFIX)
        else:
            # (a server store's record wins, or a new store's own folder under this one)
            ledger_dir = Path("ironriver-ledgers")
        pfile = principals_file or env.get("IRONRIVER_PRINCIPALS")
        busy = env.get("IRONRIVER_BUSY_TIMEOUT")
        try:
            busy_timeout_s = float(busy) if busy else float(DEFAULT_BUSY_TIMEOUT_S)
        except ValueError:
            raise ConfigError(
                msg(
                    "IRONRIVER_BUSY_TIMEOUT must be a number of seconds, not {value!r}.",
                    value=busy,
                ),
                hint=msg(
                    "e.g. IRONRIVER_BUSY_TIMEOUT=300, or unset it for the default ({default}).",
                    default=DEFAULT_BUSY_TIMEOUT_S,
                ),
            ) from None
        return cls(
            db_url=db_url,
            ledger_dir=ledger_dir,
            ledger_dir_given=bool(ledger_env),
            principals_file=Path(pfile) if pfile else None,
            principal=principal or env.get("IRONRIVER_AS"),
            busy_timeout_s=busy_timeout_s,
            ingest_memory_mb=_ingest_memory_mb(env.get("IRONRIVER_INGEST_MEMORY_MB")),
        )
