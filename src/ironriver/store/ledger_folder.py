"""Which folder holds a store's ledgers, bound to the store.

A SQLite store's ledgers are beside its file (`store.db.ledgers`, or `IRONRIVER_LEDGERS`):
moving the file with its folder keeps them together, so nothing is recorded. A server
database (PostgreSQL) has no file to keep them beside, so the store records the absolute
folder in `store_settings` (migration 0009), and every command, run from any folder, finds
the same ledgers:

- a folder given explicitly (`IRONRIVER_LEDGERS`, or `open_store(ledger_dir=...)`) is used,
  and recorded when the record differs and the recorded folder is gone (the store's ledgers
  were moved there) or holds nothing but its marker. While the recorded folder is this
  store's and holds more, or nothing at all (not even the marker: `_in_use`), a different
  one is refused: any user of any principal could
  otherwise re-point every user's ledgers with one environment variable (ATF's ledgers
  vanishing from ATF's view, the next ingest writing another agency's rows into the user's
  own folder). Moving them is a file-system act (move
  the folder, then give the new one once), for whoever may move the folder. When the
  recorded folder belongs to another store (this store is a `CREATE DATABASE ... TEMPLATE`
  copy of it, which copied its record), the given folder is recorded: that is how a copy
  gets a folder of its own;
- else the recorded folder;
- else, for a store this open made, `./ironriver-ledgers/<database>` of the current folder
  (`.<schema>` added when the store is not in `public`), made absolute, which is then
  recorded (if another process recorded one meanwhile, its record wins): two stores made
  from one folder do not share one. A store made before 0009 (no record) keeps the folder
  those versions used, `./ironriver-ledgers`.

The folder names its owner in a marker file (`.ironriver-store`, JSON: the database and
schema of the store, which a copy made by `CREATE DATABASE ... TEMPLATE` or a store in
another schema does not share). An open that may write claims a folder without one (a new
folder, or one of a store made before the marker); every open, reads too, of a folder whose
marker names another store is refused before anything is read or written: the two stores
would otherwise show each other's ledger rows, and write their parts into one folder. (A
given folder that names the owner of the recorded folder this store leaves is a copy of that
folder: it is claimed.)

An open that may not write (`audit verify`, which also opens stores older than 0009, where
no table holds a record) records and claims nothing; it refuses a given folder that does not
exist or is empty while the store's own folder (recorded, or beside a SQLite file) holds
ledgers (`_check_given`), rather than report every part missing. So does the open of an
existing SQLite store by a command that may not make one (`existing`: `ledger`, `stats`,
`export`, `retract`...), and also when the store's ingests recorded ledger parts wherever
they are (`_check_given_existing`): a mistyped `IRONRIVER_LEDGERS` read as a store whose
ledgers are all lost (reads said so, and to restore the files or re-ingest them, which would
have written them into the mistyped folder). On PostgreSQL the recorded folder does that
(`_elsewhere`). An open that may make the store (`init`, `ingest`) takes the folder given.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Engine, func, select
from sqlalchemy.dialects import postgresql

from ironriver.errors import ConfigError
from ironriver.i18n import msg, nmsg
from ironriver.logs import get_logger
from ironriver.settings import LEDGERS_SUFFIX
from ironriver.store.dialect import sqlite_file
from ironriver.store.tables import store_settings

LEDGER_DIR = "ledger_dir"
SETTINGS_REVISION = "0009"
"""The migration that made `store_settings`."""
MARKER = ".ironriver-store"
"""The file in a server store's ledger folder naming the store that owns it."""
DEFAULT_SCHEMA = "public"

log = get_logger(__name__)


@dataclass(frozen=True)
class Owner:
    """The store a ledger folder belongs to: its database and schema on the server."""

    database: str
    schema: str

    def document(self) -> str:
        return json.dumps({"database": self.database, "schema": self.schema}) + "\n"


def ledger_folder(
    engine: Engine,
    given: Path | None,
    default: Path,
    *,
    write: bool,
    recorded: bool,
    created: bool = False,
    existing: bool = False,
) -> Path:
    """The ledger folder of the store on `engine`: `given` (explicit), else the recorded
    one, else `default` (of a store this open made, `created`: its own folder under it);
    see the module doc. `recorded`: whether the store can hold a record (at migration 0009
    or later); `write`: whether this open may write one, and claim the folder; `existing`:
    whether the open may not make a store (a given SQLite folder is held to the store's
    ledgers)."""
    if engine.dialect.name == "sqlite":
        if given is None:
            return default
        if (not write or existing) and (db := sqlite_file(engine)) is not None:
            beside = Path(db).resolve()
            own = beside.with_name(beside.name + LEDGERS_SUFFIX)
            if write:
                _check_given_existing(engine, own, given)
            else:
                _check_given(own, given)
        return given
    owner, stored = _owner_and_record(engine, recorded)
    leaving: Owner | None = None  # the owner of the recorded folder `given` replaces
    if given is not None:
        folder = given.absolute()
        if stored is not None and stored != str(folder):
            before = _owner_of_folder(Path(stored))
            if before is not None and before != owner:
                leaving = before
            elif write and recorded and _in_use(Path(stored)):
                raise _elsewhere(Path(stored), folder)
            elif not write:
                _check_given(Path(stored), folder)
    elif stored is not None:
        folder = Path(stored)
    else:
        folder = (own_default(default, owner) if created else default).absolute()
    found = _owner_of_folder(folder)
    if found is not None and found not in (owner, leaving):
        raise _belongs(folder, found, owner)
    if not (write and recorded):
        return folder
    if given is not None and stored != str(folder):
        _record(engine, folder, replace=True)
        if stored is not None:
            log.warning("store.ledger_folder_moved", before=stored, after=str(folder))
    elif stored is None:
        won = Path(_record(engine, folder, replace=False))
        if won != folder:  # another process recorded one meanwhile
            folder, found = won, _owner_of_folder(won)
            if found is not None and found != owner:
                raise _belongs(folder, found, owner)
    if found != owner:
        _claim(folder, owner, replace=found is not None)
    return folder


def own_default(default: Path, owner: Owner) -> Path:
    """A new server store's folder under `default`: named after its database, and
    `.<schema>` when not `public` (in each, characters other than letters, digits, `_` and
    `-` as `_`, so a name is one folder below `default`; two names made alike are told apart
    by the marker)."""
    parts = [owner.database] if owner.schema == DEFAULT_SCHEMA else [owner.database, owner.schema]
    return default / ".".join(re.sub(r"[^\w-]", "_", part) for part in parts)


def _in_use(folder: Path) -> bool:
    """Whether the recorded `folder` is in use, so that a different given folder is refused:
    whatever exists at its path, a file or a folder, empty or not, unless it is a folder
    holding its marker alone (with any `.part` of a claim being written). Gone, it is not:
    that is how its ledgers are moved. Marker alone, it is not: an open claims a new store's
    folder before any ledger is written, so that one may still be re-pointed. An empty
    folder is in use, as before markers (an existing folder was): every open of this store
    that may write leaves its marker there, so an empty one is not what this store left
    (its marker removed by hand, a mount point not mounted, a folder emptied but kept), and
    whether its ledgers are elsewhere or just not seen is not for an environment variable to
    decide."""
    if not folder.is_dir():
        return folder.exists()
    names = [entry.name for entry in folder.iterdir()]
    return not names or any(not name.startswith(MARKER) for name in names)


def _owner_and_record(engine: Engine, recorded: bool) -> tuple[Owner, str | None]:
    """The store's owner (its database and schema) and, when it can hold one (`recorded`),
    its recorded folder: one query (the record a subquery), as every open asks both."""
    columns: list[ColumnElement[Any]] = [func.current_database(), func.current_schema()]
    if recorded:
        record = select(store_settings.c.value).where(store_settings.c.name == LEDGER_DIR)
        columns.append(record.scalar_subquery())
    with engine.connect() as conn:
        database, schema, *found = conn.execute(select(*columns)).one()
    stored = found[0] if found else None
    return Owner(str(database), str(schema or "")), None if stored is None else str(stored)


def _owner_of_folder(folder: Path) -> Owner | None:
    """The owner `folder`'s marker names; None without a marker (or without the folder)."""
    marker = folder / MARKER
    try:
        document = json.loads(marker.read_text(encoding="utf-8"))
        return Owner(str(document["database"]), str(document["schema"]))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ConfigError(
            msg(
                "The ledger folder {folder} names its store in {marker}, which cannot be "
                "read ({error}): nothing was done.",
                folder=folder,
                marker=marker,
                error=error,
            ),
            hint=msg(
                "If the folder belongs to this store, remove {marker}: the next command "
                "that may write claims the folder again.",
                marker=marker,
            ),
        ) from None


def _claim(folder: Path, owner: Owner, *, replace: bool) -> None:
    """Write `folder`'s marker naming `owner` (`replace`: over another store's; else only
    where there is none: if another process claimed it meanwhile, its claim is checked).
    A folder this process may not write is left unclaimed (logged): an open that may write
    it claims it."""
    marker = folder / MARKER
    staged = folder / f"{MARKER}.{uuid.uuid4().hex}.part"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        staged.write_text(owner.document(), encoding="utf-8")
        if replace:
            os.replace(staged, marker)
            return
        try:
            os.link(staged, marker)  # (fails if the marker exists: one claim wins)
        except FileExistsError:
            found = _owner_of_folder(folder)
            if found != owner:
                raise _belongs(folder, found, owner) from None
    except OSError as error:  # (a read-only file system, a folder of another user)
        log.warning("store.ledger_folder_unclaimed", folder=str(folder), error=str(error))
    finally:
        staged.unlink(missing_ok=True)


def _belongs(folder: Path, found: Owner | None, owner: Owner) -> ConfigError:
    return ConfigError(
        msg(
            "The ledger folder {folder} belongs to another store, database {database} (schema "
            "{schema}), not to this one (database {ours}, schema {our_schema}): nothing was "
            "done.",
            folder=folder,
            database=found.database if found else "?",
            schema=found.schema if found else "?",
            ours=owner.database,
            our_schema=owner.schema,
        ),
        hint=msg(
            "Give this store a folder of its own: if it is a copy of {database}, copy the "
            "folder {folder} to a new place (else make a new, empty folder), then run one "
            "command with IRONRIVER_LEDGERS naming it: the store records that folder, and "
            "later commands find it without the variable.",
            database=found.database if found else "?",
            folder=folder,
        ),
    )


def _elsewhere(stored: Path, given: Path) -> ConfigError:
    return ConfigError(
        msg(
            "This store keeps its ledgers in {stored}, not in {given} (IRONRIVER_LEDGERS): "
            "nothing was done.",
            stored=stored,
            given=given,
        ),
        hint=msg(
            "Unset IRONRIVER_LEDGERS. To move the store's ledgers, move the folder {stored} "
            "to its new place first, then run one command with IRONRIVER_LEDGERS naming it: "
            "the store records the new folder.",
            stored=stored,
        ),
    )


def _check_given(own: Path, given: Path, done: bool = False) -> None:
    """Refuse, for an open that may not write (`audit verify`, which checks every part the
    store recorded against the folder it is given), a `given` folder that does not exist or
    holds nothing (its marker at most) while the store's own folder (`own`: recorded, or
    beside a SQLite file) holds ledgers: a mistyped or stale IRONRIVER_LEDGERS, not a store
    whose every part is lost, which is how `audit verify` reported it. A given folder that
    holds something (a copy of the ledgers, say) is checked as given. `done`: the refusal
    is of a command that would have done something, not checked (`_check_given_existing`)."""
    if given.absolute() == own.absolute() or _holds_ledgers(given) or not _holds_ledgers(own):
        return
    exists = given.is_dir()
    if not exists and given.exists():
        return  # (a file: the command says what it finds there)
    if done:
        said = (
            msg(
                "This store keeps its ledgers in {stored}, not in {given} (IRONRIVER_LEDGERS), "
                "which is empty: nothing was done.",
                stored=own,
                given=given,
            )
            if exists
            else msg(
                "This store keeps its ledgers in {stored}, not in {given} (IRONRIVER_LEDGERS), "
                "which does not exist: nothing was done.",
                stored=own,
                given=given,
            )
        )
    else:
        said = (
            msg(
                "This store keeps its ledgers in {stored}, not in {given} (IRONRIVER_LEDGERS), "
                "which is empty: nothing was checked.",
                stored=own,
                given=given,
            )
            if exists
            else msg(
                "This store keeps its ledgers in {stored}, not in {given} (IRONRIVER_LEDGERS), "
                "which does not exist: nothing was checked.",
                stored=own,
                given=given,
            )
        )
    raise ConfigError(
        said,
        hint=msg(
            "Unset IRONRIVER_LEDGERS (or set it to {stored}) and run the command again.",
            stored=own,
        ),
    )


def _check_given_existing(engine: Engine, own: Path, given: Path) -> None:
    """Refuse, for a command opening an existing SQLite store (`existing`), a `given` folder
    that does not exist or holds nothing while the store has ledgers: in its own folder
    beside the file (`own`, named: `_check_given`), or wherever its ingests' recorded parts
    are (one read of the writes chain, only when the given folder is missing or empty).
    Before, such a read showed no ledger row, or every part missing, and said to restore or
    re-ingest them (R23's gap: a mistyped IRONRIVER_LEDGERS)."""
    _check_given(own, given, done=True)
    if given.absolute() == own.absolute() or _holds_ledgers(given):
        return
    exists = given.is_dir()
    if not exists and given.exists():
        return  # (a file: the reads say what they find there)
    from ironriver.store.ledger_records import recorded_parts

    with engine.connect() as conn:
        parts = recorded_parts(conn)
    n = sum(1 for name in parts.recorded if name not in parts.retracted)
    if not n:
        return
    raise ConfigError(
        nmsg(
            "The ledger folder {given} (IRONRIVER_LEDGERS) is empty, but this store's "
            "ingests recorded {n:,} ledger part: nothing was done.",
            "The ledger folder {given} (IRONRIVER_LEDGERS) is empty, but this store's "
            "ingests recorded {n:,} ledger parts: nothing was done.",
            n,
            given=given,
        )
        if exists
        else nmsg(
            "The ledger folder {given} (IRONRIVER_LEDGERS) does not exist, but this store's "
            "ingests recorded {n:,} ledger part: nothing was done.",
            "The ledger folder {given} (IRONRIVER_LEDGERS) does not exist, but this store's "
            "ingests recorded {n:,} ledger parts: nothing was done.",
            n,
            given=given,
        ),
        hint=msg(
            "Set IRONRIVER_LEDGERS to the folder that holds this store's ledgers (its "
            "DATASET/LEDGER/part-*.parquet files), or unset it if they are beside the store "
            "in {own}. If that folder was lost, restore it from a backup, then run "
            "`ironriver audit verify`.",
            own=own,
        ),
    )


def _holds_ledgers(folder: Path) -> bool:
    """Whether `folder` is a folder holding anything but its marker."""
    return folder.is_dir() and any(not e.name.startswith(MARKER) for e in folder.iterdir())


def _record(engine: Engine, folder: Path, *, replace: bool) -> str:
    """Record `folder` (`replace`: over another record; else only where there is none);
    return the folder recorded then."""
    insert = postgresql.insert(store_settings).values(name=LEDGER_DIR, value=str(folder))
    if replace:
        statement = insert.on_conflict_do_update(
            index_elements=[store_settings.c.name], set_={"value": insert.excluded.value}
        )
    else:
        statement = insert.on_conflict_do_nothing()
    with engine.begin() as conn:
        conn.execute(statement)
        query = select(store_settings.c.value).where(store_settings.c.name == LEDGER_DIR)
        return str(conn.execute(query).scalar_one())
