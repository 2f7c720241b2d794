"""Standard output of the `ironriver` command, when it cannot be written: a full disk
(`> /dev/full`), a failing device, or a reader that stopped reading (`| head`).

`main` wraps standard output in a `GuardedStdout`, which keeps the OSError that writing or
flushing it raised; the group (`IronriverGroup.invoke`) turns that error, whichever command
wrote, into one clean message (`stdout_failure`, exit code 6), and `main` flushes standard
output before it exits, so that what fails at the last flush is said the same way instead of
as Python's "Exception ignored" (exit code 120). Once writing failed, standard output is
`Unflushed`: what it still holds cannot be written either, and is dropped silently. A closed
pipe is no failure: the command ends quietly, exit code 1, as click ends it.

Standard output closed (`>&-`: `sys.stdout` is None, and click prints to nowhere) is refused
before any command runs (`closed_stdout_refusal`, exit code 2), nothing read, written or
audited, unless the command prints nothing there: an `export` or `mapping draft` given a
file (`-o`) and not `--json`.
"""

from __future__ import annotations

import errno
import sys
from collections.abc import Sequence
from contextlib import suppress
from typing import Any, TextIO

import click

from ironriver.cli_support import command_path, flag_given, option_given
from ironriver.errors import ConfigError, ResourceError, os_problem
from ironriver.i18n import msg


class GuardedStdout:
    """Standard output, passing writes on and keeping the OSError that writing or flushing
    it raised (`error`): told apart from an error of the same kind elsewhere (a full disk
    beside the store)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.error: OSError | None = None

    def write(self, text: Any) -> int:
        try:
            return int(self._stream.write(text))
        except OSError as exc:
            self.error = exc
            raise

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as exc:
            self.error = exc
            raise

    @property
    def buffer(self) -> _GuardedBuffer:
        """The stream's bytes (what `export --format statements` and `ledger --excel`
        write), guarded alike."""
        return _GuardedBuffer(self._stream.buffer, self)

    def __getattr__(self, name: str) -> Any:  # (`isatty`, `encoding`...: the stream's)
        return getattr(self._stream, name)


class _GuardedBuffer:
    """Standard output's binary buffer, keeping its OSError in its `GuardedStdout`."""

    def __init__(self, buffer: Any, guard: GuardedStdout) -> None:
        self._buffer = buffer
        self._guard = guard

    def write(self, data: Any) -> int:
        try:
            return int(self._buffer.write(data))
        except OSError as exc:
            self._guard.error = exc
            raise

    def flush(self) -> None:
        try:
            self._buffer.flush()
        except OSError as exc:
            self._guard.error = exc
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self._buffer, name)


class Unflushed:
    """Standard output once writing it failed: writing or flushing it again (an error's
    JSON, the flush as the process exits) fails silently, instead of after the error was
    said (Python's "Exception ignored", exit code 120)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: Any) -> int:
        with suppress(OSError):
            return int(self._stream.write(text))
        return 0

    def flush(self) -> None:
        with suppress(OSError):
            self._stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def give_up_stdout() -> None:
    """Make standard output `Unflushed` (once): its writing failed."""
    if sys.stdout is not None and not isinstance(sys.stdout, Unflushed):
        sys.stdout = Unflushed(sys.stdout)  # type: ignore[assignment]


def pipe_closed(exc: BaseException) -> bool:
    """Whether `exc` is the program reading standard output having stopped (`| head`):
    no failure to report (click ends the command quietly, exit code 1)."""
    return isinstance(exc, OSError) and exc.errno == errno.EPIPE


def stdout_error(exc: BaseException) -> OSError | None:
    """The OSError of writing standard output (kept by `GuardedStdout`) that `exc` is, or
    was raised from or while handling; else None."""
    stream = sys.stdout
    while isinstance(stream, Unflushed):
        stream = stream._stream
    error = stream.error if isinstance(stream, GuardedStdout) else None
    if error is None:
        return None
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if current is error:
            return error
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def stdout_failure(error: OSError) -> ResourceError:
    """What any command says when standard output could not be written (`error`)."""
    return ResourceError(
        msg("Could not write to standard output: {problem}.", problem=os_problem(error)),
        hint=msg(
            "Free space (or check the disk) where standard output goes, or send it "
            "elsewhere; then run the command again (`ironriver audit log` lists what the "
            "command read or wrote before it stopped)."
        ),
    )


# The commands that print nothing on standard output when given a file to write (`-o`) and
# not `--json` (an export's summary then goes to standard error; `mapping draft` has none)
_TO_FILE = frozenset({("export",), ("mapping", "draft")})


def closed_stdout_refusal(ctx: click.Context, args: Sequence[str]) -> ConfigError | None:
    """The error that refuses the command `args` name (`ctx`: the top-level group's), read
    before click parses them, when standard output is closed (`>&-`) and the command would
    print there (its results, its help, its JSON); else None. Asked in one place, the
    group's `parse_args`, so that no command prints its results to nowhere and exits 0."""
    if sys.stdout is not None:
        return None
    names = command_path(ctx, args)
    command = " ".join(["ironriver", *names])
    helped = flag_given(ctx, args, "--help", "-h", "--version")
    if tuple(names) in _TO_FILE and not helped:
        if not _file_given(ctx, args):
            return ConfigError(
                msg(
                    "Standard output is closed, and `{command}` writes there without -o.",
                    command=command,
                ),
                hint=msg("Give -o FILE, or send standard output to a file or a program."),
            )
        if not flag_given(ctx, args, "--json"):
            return None  # (its note goes to standard error)
    return ConfigError(
        msg(
            "Standard output is closed, and `{command}` prints its results there.", command=command
        ),
        hint=msg(
            "Send standard output to a file or a program (`> FILE`, `| less`), then run the "
            "command again."
        ),
    )


def _file_given(ctx: click.Context, args: Sequence[str]) -> bool:
    """Whether `args` give `-o FILE` (`--out FILE`, `-oFILE`)."""
    if option_given(ctx, args, "-o") is not None or option_given(ctx, args, "--out") is not None:
        return True
    return any(a.startswith("-o") and len(a) > 2 for a in args[: _end(args)])


def _end(args: Sequence[str]) -> int:
    return args.index("--") if "--" in args else len(args)
