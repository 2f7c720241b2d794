"""Progress for long work: library functions take an optional `progress(message)` callback;
the CLI passes `stderr_progress()`, which prints each step with the time elapsed.

A message is shown to users: pass `msg("writing {n:,} statements", n=...)` (see
`ironriver.i18n`), which the reporter renders in the current language; a plain string is
printed as it is.

Progress, a command's notes to its user on stderr (`stderr_note`) and the error a failed
command ends with (`stderr_error`) are printed whenever the command runs, whatever the log
level: they are not log events. But they share stderr with the events, so they follow the log
format (`ironriver.logs.json_lines`): `[  12.3s] message` lines and sentences as they are in
text; under `--log-json` (`IRONRIVER_LOG_FORMAT=json`) one JSON object per line shaped as the
events are, `event` "progress" (with `elapsed_s`), "note" or "error" (level error, with the
error's `kind`, `hint` and `exit_code`), the sentence in `message` in the reader's language,
so that stderr stays JSON Lines."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import IO, Any

import click

from ironriver.i18n import Msg, render
from ironriver.logs import json_event, json_lines

Progress = Callable[[str | Msg], None]


def no_progress(_message: str | Msg) -> None:
    """The default: say nothing."""


def stderr_progress() -> Progress:
    """A reporter printing `[  12.3s] message` lines to standard error (under --log-json,
    `{"elapsed_s": 12.3, "event": "progress", "message": "message", ...}`)."""
    start = time.perf_counter()

    def report(message: str | Msg) -> None:
        elapsed = time.perf_counter() - start
        if json_lines():
            line = json_event(
                __name__, "progress", message=render(message), elapsed_s=round(elapsed, 3)
            )
        else:
            line = f"[{elapsed:7.1f}s] {render(message)}"
        print(line, file=sys.stderr, flush=True)

    return report


def stderr_note(text: str) -> None:
    """Say `text`, a sentence for the user rendered in their language, on standard error:
    as it is, or under --log-json as `{"event": "note", "message": text, ...}`."""
    click.echo(
        json_event("ironriver.cli", "note", message=text) if json_lines() else text, err=True
    )


def stderr_error(
    error: dict[str, Any], show: Callable[[], None], file: IO[Any] | None = None
) -> None:
    """Say the error a command fails with on standard error (or `file`): in text as `show`
    says it, or under --log-json as `{"event": "error", "level": "error", "kind": ...,
    "message": ..., "hint": ..., "exit_code": ..., ...}`, `error` holding those fields (the
    ones `--json` prints on standard output, in the reader's language) and any others."""
    if json_lines():
        line = json_event("ironriver.cli", "error", level="error", **error)
        click.echo(line, file=file, err=True)
    else:
        show()
