"""Structured logging: structlog over the standard library's `logging`, on stderr.

Each event is a name (`ingest.staged`) with fields (`dataset=…`, `statements=…`,
`seconds=…`), rendered as `key=value` text for people or as one JSON object per line for
machines. Level and format come from `IRONRIVER_LOG_LEVEL` (default WARNING, so commands stay
quiet) and `IRONRIVER_LOG_FORMAT` (`text` or `json`), or the CLI's `--log-level`/`--log-json`.

What a command tells its user in a sentence (in the reader's language: "Skipped 4 invalid
records; see ...") is logged at INFO, never WARNING: at the default level the reader reads it
once, not also as an English log line. WARNING is for what no sentence tells anyone (ledger
parts recovered after a crash, an unreadable read-audit file).

Logs are operational, never a second copy of the data: they name datasets, files, counts and
timings, but never a statement value, a search text or an entity's content (those reads are
in the audit log, which is part of the store and tamper-evident).

What is printed on stderr whatever the level (a command's progress and notes, and the error a
failed command ends with, `ironriver.progress`) follows the format `configure` chose
(`json_lines`), one `json_event` per line under json, so that a machine reading stderr as JSON
Lines reads them too.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, TextIO

import structlog

from ironriver.errors import ConfigError
from ironriver.i18n import msg

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_HANDLER_NAME = "ironriver"
# the format `configure` chose last ("text" before it is called, as in library use): set with
# the handler, as global as it is, so that what stderr carries besides events matches them
_format = "text"
_STAMP = structlog.processors.TimeStamper(fmt="iso", utc=True)
_JSON = structlog.processors.JSONRenderer(sort_keys=True)


class LogSettingError(ConfigError, ValueError):
    """An unknown log level or format (a `ValueError` too, as it always was)."""


def configure(
    level: str | None = None, fmt: str | None = None, stream: TextIO | None = None
) -> None:
    """Route ironriver's events to `stream` (stderr) at `level` in `fmt` (text or json).
    Unset arguments come from the environment (see the module doc). Safe to call again."""
    level = (level or os.environ.get("IRONRIVER_LOG_LEVEL") or "WARNING").upper()
    fmt = _format_asked(fmt)
    if level not in LEVELS:
        raise LogSettingError(
            msg(
                "log level must be one of {levels}, not {level!r}",
                levels=", ".join(LEVELS),
                level=level,
            ),
            hint=msg("Set IRONRIVER_LOG_LEVEL (or --log-level) to one of them, or unset it."),
        )
    if fmt not in ("text", "json"):
        raise LogSettingError(
            msg("log format must be text or json, not {format!r}", format=fmt),
            hint=msg("Set IRONRIVER_LOG_FORMAT to text or json, or unset it."),
        )
    renderer: Any = _JSON if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    formatter = structlog.stdlib.ProcessorFormatter(
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        foreign_pre_chain=_shared_processors(),
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter)
    root = logging.getLogger("ironriver")
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False
    global _format
    _format = fmt


def choose_format(fmt: str | None) -> None:
    """Set the format `json_lines` answers before `configure` sets it with the handler: the
    CLI calls it as it starts reading a command line, so that an error in that line (found
    before the group's options configure logging) is said in the format `--log-json` or
    `IRONRIVER_LOG_FORMAT` asks for. An unknown format is text here; `configure` refuses it."""
    global _format
    asked = _format_asked(fmt)
    _format = asked if asked in ("text", "json") else "text"


def _format_asked(fmt: str | None) -> str:
    return (fmt or os.environ.get("IRONRIVER_LOG_FORMAT") or "text").lower()


def json_lines() -> bool:
    """Whether `configure` (or `choose_format`) last chose JSON: what else is printed on
    stderr is JSON too."""
    return _format == "json"


def json_event(logger: str, event: str, level: str = "info", **fields: Any) -> str:
    """One JSON object, on one line, in the shape `configure` renders an event of `level`
    in under json (sorted keys; `event`, `level`, `logger`, an ISO UTC `timestamp`), for
    what is printed on stderr whatever the level (`ironriver.progress`)."""
    event_dict = {"event": event, "level": level, "logger": logger, **fields}
    rendered = _JSON(None, level, _STAMP(None, level, event_dict))
    return rendered if isinstance(rendered, str) else rendered.decode()


def _shared_processors() -> list[Any]:
    return [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        _STAMP,
    ]


structlog.configure(
    processors=[
        structlog.stdlib.filter_by_level,
        *_shared_processors(),
        structlog.processors.format_exc_info,
        structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
    ],
    logger_factory=structlog.stdlib.LoggerFactory(),
    wrapper_class=structlog.stdlib.BoundLogger,
    cache_logger_on_first_use=True,
)


def get_logger(name: str) -> Any:
    """A structlog logger under the `ironriver` logging tree (`get_logger(__name__)`)."""
    if not name.startswith("ironriver"):
        name = f"ironriver.{name}"
    return structlog.stdlib.get_logger(name)
