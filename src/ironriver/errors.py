"""The one exception hierarchy. Every error says what was wrong and what to do.

The CLI maps an `IronriverError` to a clean message and exit code, in the reader's language
(`render`); anything else is a bug. Messages and hints are `msg(...)` templates (see
`ironriver.i18n`); `message`/`hint`/`str()` give the English text.
"""

from __future__ import annotations

import errno
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from ironriver.i18n import Lang, Msg, msg, render, t


class IronriverError(Exception):
    """Root of every error ironriver raises on purpose."""

    exit_code = 1

    def __init__(self, message: str | Msg, hint: str | Msg | None = None) -> None:
        super().__init__(str(message))
        self.text = message
        self.hint_text = hint
        self.message = str(message)
        self.hint = str(hint) if hint is not None else None

    def render(self, lang: Lang | None = None) -> str:
        """The message and what to do, in `lang` (default: the current language)."""
        text = render(self.text, lang)
        if self.hint_text:
            hint = render(self.hint_text, lang)
            return t("{message}\n  What to do: {hint}", lang, message=text, hint=hint)
        return text

    def __str__(self) -> str:
        return self.render("en")


class ConfigError(IronriverError):
    """A setting, principal file or command-line option is missing or wrong."""

    exit_code = 2


class ModelError(IronriverError):
    """A schema, property or value does not fit the ironriver/FtM model."""


class StoreError(IronriverError):
    """The store cannot be opened, migrated or written."""


class CommitUnknown(StoreError):
    """The connection to the store's database was lost during the commit itself: the write
    may or may not have been committed (`from_lost_commit`). What the write left for after
    its commit (an ingest's ledger parts under their scratch names, a ledger retraction's
    marker) is kept, for the next command to put in place if the commit happened."""


class AccessDenied(IronriverError):
    """The principal may not see or do this."""

    exit_code = 3


class NotFound(IronriverError):
    """The requested entity, dataset or ledger does not exist (or is not visible)."""

    exit_code = 4


class IngestError(IronriverError):
    """An input file or mapping was rejected; the store was left exactly as it was.

    `report_path` points at the error report (row, column, reason) when one was written.
    """

    def __init__(
        self, message: str | Msg, hint: str | Msg | None = None, report_path: str | None = None
    ) -> None:
        super().__init__(message, hint)
        self.report_path = report_path


class AuditError(IronriverError):
    """The audit chain is broken or cannot be written."""

    exit_code = 5


class WorldError(IronriverError):
    """A synthetic world cannot be generated or read."""


class WorldOptionError(WorldError, ConfigError):
    """A world setting (scale, years, decapitation week) is out of range: a wrong option,
    so a configuration error (exit 2), not a failed generation."""


class StrategyError(IronriverError):
    """A strategy scenario or calibration request is invalid."""


class StrategyOptionError(StrategyError, ConfigError):
    """A lever, scenario name, split, horizon or run count is wrong: a wrong option, so a
    configuration error (exit 2); a `StrategyError` all the same."""


class ResourceError(IronriverError):
    """The machine ran out of something (disk space): nothing was half-written."""

    exit_code = 6


_NO_SPACE = ("no space left on device", "database or disk is full", "disk quota exceeded")


def from_environment(exc: BaseException) -> ResourceError | None:
    """A `ResourceError` for an exception the machine caused — a full disk, whether Python,
    SQLite or DuckDB noticed it — else None (then it is a bug, shown as such)."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        where = str(exc.filename) if exc.filename else ""
    elif any(text in str(exc).lower() for text in _NO_SPACE):
        where = ""
    else:
        return None
    return ResourceError(
        msg(
            "The disk is full{where}: the write was abandoned and rolled back, so the store "
            "and its ledgers are as they were.",
            where=msg(" writing {path}", path=where) if where else "",
        ),
        hint=msg(
            "Free disk space beside the store (a streamed ingest spills about 2.3x the size "
            "of its largest file there, and SQLite writes the data twice: write-ahead log, "
            "then the store), or lower IRONRIVER_INGEST_MEMORY_MB only if memory, not disk, "
            "is short; then run the command again."
        ),
    )


_LOST = (
    "connection is lost",
    "server closed the connection",
    "terminating connection",
    "connection refused",
    "could not connect",
    "connection timed out",
    "ssl syscall error",
)


# PostgreSQL's SQLSTATEs of a transaction it cancelled for another's sake: a deadlock, a
# serialization failure
_CONFLICTS = ("40P01", "40001")


def from_store_error(exc: BaseException) -> StoreError | None:
    """A `StoreError` for the store's database going away, staying locked or cancelling the
    write mid-command (a PostgreSQL restart, a network cut, a SQLite writer holding the
    lock past the busy timeout, a deadlock with another write), else None. Either way its
    transaction was rolled back: nothing of the command was written."""
    if "sqlalchemy" not in sys.modules:  # no store was opened (`--help`): nor is this its error
        return None
    from sqlalchemy.exc import OperationalError

    if not isinstance(exc, OperationalError):
        return None
    text = str(exc.orig).lower()
    if getattr(exc.orig, "sqlstate", None) in _CONFLICTS:
        return StoreError(
            msg(
                "Another write to the store conflicted with this one ({error}), and the "
                "database server cancelled this one: its transaction was rolled back, so "
                "nothing of this command was written.",
                error=str(exc.orig).strip().splitlines()[0],
            ),
            hint=msg(
                "Run the command again (once the other write has finished, if it still "
                "conflicts): what was not written is written then, and nothing twice."
            ),
        )
    if "database is locked" in text:
        return StoreError(
            msg(
                "The store stayed locked by another writer past the busy timeout: nothing of "
                "this command was written."
            ),
            hint=msg(
                "Wait for the other ingest or retraction to finish (or raise "
                "IRONRIVER_BUSY_TIMEOUT, in seconds), then run the command again."
            ),
        )
    if "readonly database" in text or "read-only file system" in text:
        return StoreError(
            msg(
                "The store is read-only (a read-only file system or file): this command "
                "writes to it (an ingest, a retraction, or the audit event of a read), so "
                "nothing of it was done."
            ),
            hint=msg(
                "Run it on a writable store. A read-only copy still answers `ironriver audit "
                "verify`, `stats`, `datasets` and `audit log`, which write nothing."
            ),
        )
    if _lost(exc):
        return StoreError(
            msg(
                "The connection to the store's database was lost ({error}): the server rolls "
                "back an unfinished transaction, so nothing of this command was written.",
                error=str(exc.orig).strip().splitlines()[0],
            ),
            hint=msg(
                "Check that the database server is up (was it restarted?), then run the command again."
            ),
        )
    return None


def _lost(exc: Any) -> bool:
    """Whether the SQLAlchemy error `exc` says the connection to the database was lost."""
    text = str(exc.orig).lower()
    return bool(exc.connection_invalidated) or any(part in text for part in _LOST)


def from_lost_commit(exc: BaseException) -> CommitUnknown | None:
    """A `CommitUnknown` for `exc`, raised by a transaction's COMMIT, when it says the
    connection was lost, else None. The server may have committed before the connection
    broke, or not: no one can tell from here (unlike a loss before the commit, which the
    server rolls back: `from_store_error`)."""
    from sqlalchemy.exc import OperationalError

    if not isinstance(exc, OperationalError) or not _lost(exc):
        return None
    return CommitUnknown(
        msg(
            "The connection to the store's database was lost while this command's write was "
            "being committed ({error}): whether the server committed it before the "
            "connection broke is not known.",
            error=str(exc.orig).strip().splitlines()[0],
        ),
        hint=msg(
            "Check that the database server is up, then look: `ironriver audit log` lists "
            "this command's event if it was written (an ingest's datasets also show in "
            "`ironriver datasets`). Running the same ingest again is safe either way: it "
            "adds only what the store does not hold yet, never anything twice."
        ),
    )


def bad_byte(exc: UnicodeDecodeError) -> dict[str, object]:
    """The fields `byte` (0xf3) and `at` (its position) of a file that is not UTF-8, for
    the messages that say so."""
    return {"byte": f"0x{exc.object[exc.start]:02x}", "at": exc.start}


SAVE_AS_UTF8 = msg('Save it as UTF-8 (an editor\'s "Save as" offers the encoding).')


_PROBLEMS = {
    errno.ENOENT: msg("No such file or directory"),
    errno.EACCES: msg("Permission denied"),
    errno.EPERM: msg("Operation not permitted"),
    errno.EEXIST: msg("File exists"),
    errno.EISDIR: msg("Is a directory"),
    errno.ENOTDIR: msg("Not a directory"),
    errno.ENOTEMPTY: msg("Directory not empty"),
    errno.ENAMETOOLONG: msg("File name too long"),
    errno.ELOOP: msg("Too many levels of symbolic links"),
    errno.EROFS: msg("Read-only file system"),
    errno.ENOSPC: msg("No space left on device"),
    errno.EDQUOT: msg("Disk quota exceeded"),
    errno.EFBIG: msg("File too large"),
    errno.EIO: msg("Input/output error"),
}


# the errors of a path the user named: missing, forbidden, a file where a folder is wanted or
# the reverse, too long, a read-only file system (a full disk is `from_environment`'s; a file
# too large or a failing device are the machine's, not the path's)
_PATH_ERRNOS = frozenset(_PROBLEMS) - {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO}


# Python's own texts of a JSON syntax error (`json.JSONDecodeError.msg`), English whatever
# the language: the common ones are ours
_JSON_PROBLEMS = {
    "Expecting value": msg("a value was expected"),
    "Extra data": msg("more text after the JSON document"),
    "Expecting property name enclosed in double quotes": msg(
        "a property name in double quotes was expected"
    ),
    "Expecting ':' delimiter": msg("a ':' was expected"),
    "Expecting ',' delimiter": msg("a ',' was expected"),
    "Unterminated string starting at": msg("a text is never closed"),
    "Invalid control character at": msg("a control character inside a text"),
    "Invalid \\escape": msg("an invalid \\ escape"),
    "Invalid \\uXXXX escape": msg("an invalid \\u escape"),
    # a byte-order mark where a line starts, past the file's first (files joined together)
    "Unexpected UTF-8 BOM (decode using utf-8-sig)": msg("a byte-order mark (BOM) before it"),
}


def json_problem(exc: ValueError) -> Msg | str:
    """What is wrong with a JSON document, in the reader's language (see `os_problem`)."""
    problem = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
    return _JSON_PROBLEMS.get(problem, problem)


def unsynced_hint() -> Msg:
    """What to do about a file written whole and put in place whose folder could not be
    synced (`scratch.FolderNotSynced`): `init`'s principals file, a draft mapping."""
    return msg(
        "Check the disk that holds that folder; once it is sound, run `sync` to write the "
        "folder's entries to disk."
    )


def os_problem(exc: OSError) -> Msg | str:
    """What went wrong with a file, in the reader's language: the system's own text
    (`strerror`) is English whatever the language, so the common ones are ours."""
    if exc.errno in _PROBLEMS:
        return _PROBLEMS[exc.errno]
    return exc.strerror or str(exc)


def from_path_error(exc: BaseException) -> ConfigError | None:
    """A `ConfigError` for a file or folder the user named that cannot be opened or made (a
    missing folder, no permission, a file where a folder is wanted or the reverse), else
    None."""
    if not isinstance(exc, OSError) or exc.errno not in _PATH_ERRNOS or exc.filename is None:
        return None
    if exc.errno in (errno.EEXIST, errno.ENOTDIR):
        hint = msg(
            "Check the path: a file stands where a folder is wanted; give another path or "
            "move that file away."
        )
    elif exc.errno == errno.EISDIR:
        hint = msg("Check the path: a folder stands where a file is wanted; name a file.")
    else:
        hint = msg(
            "Check the path: its folder must exist and you must be allowed to read or write there."
        )
    name = Path(os.fsdecode(exc.filename))
    if _SCRATCH_NAME.search(name.name):  # ours, not the user's: name its folder
        return ConfigError(
            msg(
                "Cannot write in {folder}, where the command keeps its scratch files (beside "
                "the store or the output file): {problem}.",
                folder=name.parent,
                problem=os_problem(exc),
            ),
            hint=msg(
                "Make that folder writable, or work on a copy of the store in a folder you "
                "may write to (reads need no scratch files)."
            ),
        )
    return ConfigError(
        msg("Cannot use {path}: {problem}.", path=exc.filename, problem=os_problem(exc)), hint=hint
    )


# a scratch file's name (`ironriver.scratch`): a store's side file, Arrow stage files, spill
# folders, an output file's scratch copy
_SCRATCH_NAME = re.compile(r"(?:\.stage-|ironriver-stage-|ironriver-ingest-)\w+\.\d+-")
