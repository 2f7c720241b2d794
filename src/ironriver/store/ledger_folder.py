"""Which folder holds a store's ledgers, bound to the store.

A SQLite store's ledgers are beside its file (`store.db.ledgers`, or `IRONRIVER_LEDGERS`):
moving the file with its folder keeps them together, so nothing is recorded. A server
database (PostgreSQL) has no file to keep them beside, so the store records the absolute
folder in `store_settings` (migration 0009), and every command, run from any folder, finds
the same ledgers:

- a folder given explicitly (`IRONRIVER_LEDGERS`, or `open_store(ledger_dir=...)`) is used,
  and recorded when the record differs and the recorded folder is gone (the store's ledgers
  were moved there). While the recorded folder exists, a different one is refused: any user
  of any principal could otherwise re-point every user's ledgers with one environment
  variable (ATF's ledgers vanishing from ATF's view, the next ingest writing another
  agency's rows into the user's own folder). Moving them is a file-system act (move the
  folder, then give the new one once), for whoever may move the folder;
- else the recorded folder;
- else (a new store, or one made before 0009) `./ironriver-ledgers` of the current folder,
  made absolute, which is then recorded (if another process recorded one meanwhile, its
  record wins).

An open that may not write (`audit verify`, which also opens stores older than 0009, where
no table holds a record) records nothing.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql

from ironriver.errors import ConfigError
from ironriver.i18n import msg
from ironriver.logs import get_logger
from ironriver.store.tables import store_settings

LEDGER_DIR = "ledger_dir"
SETTINGS_REVISION = "0009"
"""The migration that made `store_settings`."""

log = get_logger(__name__)


def ledger_folder(
    engine: Engine, given: Path | None, default: Path, *, write: bool, recorded: bool
) -> Path:
    """The ledger folder of the store on `engine`: `given` (explicit), else the recorded
    one, else `default`; see the module doc. `recorded`: whether the store can hold a
    record (at migration 0009 or later); `write`: whether this open may write one."""
    if engine.dialect.name == "sqlite":
        return given if given is not None else default
    stored = _recorded(engine) if recorded else None
    if given is not None:
        folder = given.absolute()
        if write and recorded and stored != str(folder):
            if stored is not None and Path(stored).exists():
                raise _elsewhere(Path(stored), folder)
            _record(engine, folder, replace=True)
            if stored is not None:
                log.warning("store.ledger_folder_moved", before=stored, after=str(folder))
        return folder
    if stored is not None:
        return Path(stored)
    folder = default.absolute()
    if write and recorded:
        folder = Path(_record(engine, folder, replace=False))
    return folder


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


def _recorded(engine: Engine) -> str | None:
    with engine.connect() as conn:
        query = select(store_settings.c.value).where(store_settings.c.name == LEDGER_DIR)
        found = conn.execute(query).scalar()
    return None if found is None else str(found)


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
