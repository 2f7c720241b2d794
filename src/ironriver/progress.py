"""Progress for long work: library functions take an optional `progress(message)` callback;
the CLI passes `stderr_progress()`, which prints each step with the time elapsed."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

Progress = Callable[[str], None]


def no_progress(_message: str) -> None:
    """The default: say nothing."""


def stderr_progress() -> Progress:
    """A reporter printing `[  12.3s] message` lines to standard error."""
    start = time.perf_counter()

    def report(message: str) -> None:
        print(f"[{time.perf_counter() - start:7.1f}s] {message}", file=sys.stderr, flush=True)

    return report
