"""Progress for long work: library functions take an optional `progress(message)` callback;
the CLI passes `stderr_progress()`, which prints each step with the time elapsed.

A message is shown to users: pass `msg("writing {n:,} statements", n=...)` (see
`ironriver.i18n`), which the reporter renders in the current language; a plain string is
printed as it is."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from ironriver.i18n import Msg, render

Progress = Callable[[str | Msg], None]


def no_progress(_message: str | Msg) -> None:
    """The default: say nothing."""


def stderr_progress() -> Progress:
    """A reporter printing `[  12.3s] message` lines to standard error."""
    start = time.perf_counter()

    def report(message: str | Msg) -> None:
        elapsed = time.perf_counter() - start
        print(f"[{elapsed:7.1f}s] {render(message)}", file=sys.stderr, flush=True)

    return report
