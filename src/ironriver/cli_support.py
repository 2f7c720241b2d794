"""Shared option bundle for every `ironriver` command: `--db`, `--as`, `--principals`,
`--json`. Commands receive an `AppContext` and only call library functions through it."""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable, Sequence
from contextlib import suppress
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ironriver.cli_json import json_text
from ironriver.csvcells import EXCEL
from ironriver.errors import ConfigError, IronriverError
from ironriver.i18n import (
    Lang,
    Msg,
    explicit_lang,
    lang_for_country,
    msg,
    parse_lang,
    set_lang,
    t,
)
from ironriver.progress import stderr_note
from ironriver.settings import Settings, shown_url

if TYPE_CHECKING:  # the policy and the store load FtM, SQLAlchemy, Arrow, DuckDB: a command
    # imports them when it runs, so that `--help` and `--version` need none of them
    from ironriver.policy import Principal, View
    from ironriver.store import Store

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class AppContext:
    settings: Settings
    as_json: bool = False
    _store: Store | None = field(default=None, repr=False)
    _principals: dict[str, Principal] | None = field(default=None, repr=False)

    def open_store(
        self, create: bool = False, migrate: bool = True, announce: bool = False
    ) -> Store:
        """The command's store; `create` (init, ingest): made if missing, else a missing
        store is an error (a mistyped --db must not leave an empty store behind);
        `migrate=False` (audit verify, which writes nothing): an older store is not
        upgraded (`ironriver.store.open_store`); `announce`: say when the store is made (an
        ingest into a mistyped --db, or into an empty PostgreSQL database)."""
        if self._store is None:
            from ironriver.progress import stderr_progress
            from ironriver.store import open_store

            self._store = open_store(
                self.settings, create=create, migrate=migrate, progress=stderr_progress()
            )
            if announce and self._store.created:  # a mistyped --db makes a store; say so
                path = self.settings.db_file or shown_url(self.settings.db_url)
                stderr_note(
                    t("Created a new store at {path}: there was none (check --db).", path=path)
                )
            ctx = click.get_current_context(silent=True)
            if ctx is not None:  # closed with the command (its connections, its files)
                ctx.call_on_close(self._store.close)
        return self._store

    def principals(self) -> dict[str, Principal]:
        """The principals file's principals (read once per command)."""
        if self._principals is None:
            self._principals = self._load_principals()
        return self._principals

    def _load_principals(self) -> dict[str, Principal]:
        return read_principals(self.settings)

    def principal(self) -> Principal:
        """The principal of `--as`; messages from here on are in its language unless
        `--lang` or `$IRONRIVER_LANG` chose one."""
        from ironriver.policy import get_principal

        principal = get_principal(self.principals(), self.settings.principal)
        if explicit_lang() is None:
            set_lang(principal_lang(principal))
        return principal

    def view(self, reason: str = "") -> View:
        from ironriver.policy import View

        principal = self.principal()  # (first: what opening says is in its language)
        return View(self.open_store(), principal, reason=reason)

    def emit(self, data: Any, human: Callable[[], object]) -> None:
        """Print `data` as JSON with --json, else call `human()` to print a table."""
        if self.as_json:
            click.echo(json_text(data))
        else:
            human()


def principal_lang(principal: Principal) -> Lang:
    """A principal's language: its own `lang:`, else Spanish for Mexican agencies."""
    return parse_lang(principal.lang) or lang_for_country(principal.country)


def read_principals(settings: Settings, quiet: bool = False) -> dict[str, Principal]:
    """The principals a command reads: the file of --principals/$IRONRIVER_PRINCIPALS, else
    ./principals.yaml, else the built-in demo principals, which it says (unless `quiet`)."""
    from ironriver.policy import DEFAULT_PRINCIPALS_YAML, load_principals, parse_principals

    path = _principals_path(settings)
    if path is not None:
        return load_principals(path)
    import yaml

    if not quiet:
        # said every time: from a folder without the store's principals file, these would
        # silently stand in for it (a principal removed there would still act from here)
        stderr_note(
            t(
                "No principals file (--principals, $IRONRIVER_PRINCIPALS or ./principals.yaml): "
                "using the built-in demo principals, any of which anyone may act as."
            )
        )
    return parse_principals(yaml.safe_load(DEFAULT_PRINCIPALS_YAML), "built-in principals")


def _principals_path(settings: Settings) -> Path | None:
    """The principals file a command reads (`read_principals`); None: the built-in ones."""
    if settings.principals_file is not None:
        return settings.principals_file
    local = Path("principals.yaml")
    return local if local.exists() else None


def principal_langs(settings: Settings) -> dict[str, Lang]:
    """The language of each principal `read_principals` would read, by name: from the YAML
    alone when the file is plainly written (`principals_file.plain_langs`: no policy, store
    or FtM loaded), else through the policy's `parse_principals`. Raises where
    `read_principals` would, though not always the same error (a missing file: an OSError)."""
    import yaml

    from ironriver import yamltext
    from ironriver.principals_file import DEFAULT_PRINCIPALS_YAML, plain_langs

    path = _principals_path(settings)
    if path is None:
        data = yaml.safe_load(DEFAULT_PRINCIPALS_YAML)
    else:
        data = yamltext.load(path.read_text(encoding="utf-8"))
    langs = plain_langs(data)
    if langs is not None:
        return langs
    from ironriver.policy import parse_principals

    return {n: principal_lang(p) for n, p in parse_principals(data).items()}


def principal_lang_given(ctx: click.Context, args: Sequence[str]) -> Lang | None:
    """The language of the principal that `--as` among `args` (else $IRONRIVER_AS) names,
    read before click parses `args` (`ctx`: the top-level group's), so that `--help` and
    click's own errors speak it too, as `--lang` makes them. A name no principal has takes
    the language of the principal its error suggests (`nearest_principal`: "mx-fgr-analist"
    is a Spanish reader's slip); None when no principal is named, or the principals file
    cannot be read (the command says why, in the default language). Costs one read of the
    principals file (~2 ms), the command's own read aside; loads the policy only for a file
    not plainly written (`principal_langs`)."""
    name = option_given(ctx, args, "--as") or os.environ.get("IRONRIVER_AS")
    if not name:
        return None
    from ironriver.principals_file import nearest_principal

    try:
        settings = Settings.from_env(
            principal=name, principals_file=option_given(ctx, args, "--principals")
        )
        langs = principal_langs(settings)
    except Exception:  # a guess: the command reads the file again and says what is wrong
        return None
    return langs.get(name) or langs.get(nearest_principal(langs, name) or "")


def common_options(func: F) -> F:
    """Add --db, --as, --principals and --json to a command and build the AppContext."""

    def _set(name: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
        def callback(ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
            opts = ctx.meta.setdefault("ironriver.opts", {})
            if value is not None and value is not False:
                opts[name] = value
                if name == "json":  # an error, too, is then printed as JSON
                    JSON_OUTPUT.set(True)
            return value

        return callback

    options = [
        click.option(
            "--db",
            "db",
            default=None,
            expose_value=False,
            callback=_set("db"),
            help="Store URL or SQLite path (default: $IRONRIVER_DB or ironriver.db).",
        ),
        click.option(
            "--as",
            "as_",
            default=None,
            expose_value=False,
            callback=_set("as"),
            help="Principal to act as (default: $IRONRIVER_AS).",
        ),
        click.option(
            "--principals",
            default=None,
            expose_value=False,
            callback=_set("principals"),
            help="Principals YAML file (default: $IRONRIVER_PRINCIPALS, else ./principals.yaml, "
            "else the built-in demo principals).",
        ),
        click.option(
            "--json",
            "as_json",
            is_flag=True,
            default=False,
            expose_value=False,
            callback=_set("json"),
            help="Machine-readable JSON output.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


# Whether the command was asked for JSON (`--json`): its error is then also one JSON document
# on standard output, `{"error": {"kind", "exit_code", "message", "hint"}}`.
JSON_OUTPUT: ContextVar[bool] = ContextVar("ironriver_json_output", default=False)


def json_flag(text: str = "Machine-readable JSON output.") -> Callable[[F], F]:
    """`--json` (as `as_json`) of a command that opens no store (`strategy`, `world`, `eval`),
    which then prints its errors as JSON too, as `common_options`' commands do."""

    def callback(_ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
        if value:
            JSON_OUTPUT.set(True)
        return value

    return click.option("--json", "as_json", is_flag=True, help=text, callback=callback)


def excel_option(func: F) -> F:
    """`--excel`, of the commands that write CSV (`export`, `ledger`, `ingest`'s error
    report): their CSV for Excel, with a byte-order mark and CRLF line ends
    (`ironriver.csvcells.EXCEL`)."""

    def callback(_ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
        if value:
            EXCEL.set(True)
        return value

    return click.option(
        "--excel",
        is_flag=True,
        expose_value=False,
        callback=callback,
        help="Write the CSV for Excel: UTF-8 with a byte-order mark and CRLF line ends "
        "(without them Excel shows Núñez as NÃºÃ±ez; other programs may not expect the mark).",
    )(func)


def app_context(ctx: click.Context) -> AppContext:
    """Build (once) the AppContext from the shared options of this command and its parents."""
    found: dict[str, Any] = {}
    node: click.Context | None = ctx
    chain: list[click.Context] = []
    while node is not None:
        chain.append(node)
        node = node.parent
    for node in reversed(chain):
        found.update(node.meta.get("ironriver.opts", {}))
    settings = Settings.from_env(
        db=found.get("db"), principal=found.get("as"), principals_file=found.get("principals")
    )
    app = AppContext(settings=settings, as_json=bool(found.get("json")))
    if settings.principal and explicit_lang() is None:
        # speak the principal's language even in commands that need no principal (`audit
        # verify`); a wrong name is reported by the commands that use it
        with suppress(IronriverError):
            app.principal()
    return app


# Characters a table cell shows as an escape (`\n`, `\u202e`) rather than writes: line
# breaks and other controls would break the table's lines, and bidirectional overrides and
# isolates would make a value read otherwise than its text (an alias reversed on screen, but
# not for search or matching). JSON output keeps values as they are.
_BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"  # embeddings, isolates
    "\u200e\u200f\u061c"  # direction marks
    "\u2028\u2029"  # line and paragraph separators (a line break to some terminals)
)


class CountText(str):
    """A count written by `count_text`: text, which `table` knows for a number."""

    __slots__ = ()


def count_text(n: object) -> str:
    """A count as tables and messages show it, in both languages: thousands separated by a
    comma (151,686), as Mexico writes them too (a decimal point, a thousands comma). A
    `table` column of such counts is aligned to the right."""
    return CountText(f"{n:,}") if isinstance(n, int) else str(n)


def _is_number(value: object) -> bool:
    return isinstance(value, CountText | float) or (
        isinstance(value, int) and not isinstance(value, bool)
    )


def cell_text(value: Any) -> str:
    """`value` as one line of a table cell: controls and bidirectional overrides escaped."""
    text = str(value)
    if text.isprintable() and not _BIDI_CONTROLS.intersection(text):
        return text
    out = []
    for ch in text:
        if ch in _BIDI_CONTROLS or unicodedata.category(ch) == "Cc":
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
    return "".join(out)


def display_width(text: str) -> int:
    """Columns `text` takes in a terminal: wide (CJK, full-width) characters two, combining
    marks and zero-width format characters none, the rest one."""
    if text.isascii():
        return len(text)
    width = 0
    for ch in text:
        if ch != "\u00ad" and (  # a soft hyphen shows as one column
            unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf")
        ):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def table(
    rows: Sequence[Sequence[Any]], headers: Sequence[str], widths: list[int] | None = None
) -> list[int]:
    """Print a plain aligned table (cells as `cell_text`, aligned by `display_width`), and
    return its columns' widths. A column of numbers (`int`, `float`, `count_text`; empty
    cells aside) is aligned to the right, its header too, as spreadsheets and analysts'
    tools show them; text is aligned to the left, digits or not (a serial "004512" is text).
    Given the `widths` of a table printed before, print `rows` as more of its rows, without
    the headers: aligned to those widths, or wider where a cell of theirs is (a table
    printed a batch of rows at a time)."""
    text_rows = [[cell_text(c) for c in row] for row in rows]
    more = widths is not None
    widths = [display_width(h) for h in headers] if widths is None else list(widths)
    for row in text_rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], display_width(cell))
    right = [
        any(_is_number(row[i]) for row in rows)
        and all(_is_number(row[i]) or row[i] == "" for row in rows)
        for i in range(len(widths))
    ]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            " " * (w - display_width(c)) + c if r else c + " " * (w - display_width(c))
            for c, w, r in zip(cells, widths, right, strict=True)
        )

    if not more:
        click.echo(line(headers))
        click.echo("  ".join("-" * w for w in widths))
    for row in text_rows:
        click.echo(line(row))
    return widths


def undecodable_argument(ctx: click.Context, args: Sequence[str]) -> ConfigError | None:
    """A `ConfigError` naming the first of `args` that is not UTF-8 text, else None.

    The OS hands Python undecodable bytes (a Latin-1 terminal typing "García") as lone
    surrogates, which no store, log or audit event can hold: refused before the command
    runs, so nothing is written. `ctx` is the top-level group's: its subcommands' options
    tell an option's value from an argument."""
    bad = next((i for i, arg in enumerate(args) if not _utf8(arg)), None)
    if bad is None:
        return None
    name, value = _named(ctx, args, bad)
    shown = value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return ConfigError(
        msg('{name} is not UTF-8 text: "{value}".', name=name, value=shown),
        hint=msg(
            "Set the terminal to UTF-8 (e.g. LANG=es_MX.UTF-8) and type it again; a file "
            "whose name is not UTF-8 must be renamed first."
        ),
    )


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _named(ctx: click.Context, args: Sequence[str], at: int) -> tuple[str | Msg, str]:
    """How to name `args[at]` to the user, and its value: `--opt` for an option's value
    (`--opt VALUE` or `--opt=VALUE`), else "An argument"."""
    arg = args[at]
    if arg.startswith("--") and "=" in arg:
        name, _, value = arg.partition("=")
        return name, value
    valued = _valued_options(ctx, args[:at])
    if at > 0 and args[at - 1] in valued:
        return args[at - 1], arg
    return msg("An argument"), arg


def option_given(ctx: click.Context, args: Sequence[str], option: str) -> str | None:
    """The value `args` give `option` of a command they name (`--as NAME`, `--as=NAME`; the
    last one, as click takes it), before `--`, and not as another option's value; else None.
    `ctx` is the top-level group's."""
    found: str | None = None
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == option and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith(option + "="):
            value = arg.partition("=")[2]
        else:
            continue
        if i == 0 or args[i - 1] not in _valued_options(ctx, args[:i]):
            found = value
    return found


def flag_given(ctx: click.Context, args: Sequence[str], *flags: str) -> bool:
    """Whether `args` give one of `flags` (`--json`, `--help`) before `--`, and not as
    another option's value. `ctx` is the top-level group's."""
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg in flags and (i == 0 or args[i - 1] not in _valued_options(ctx, args[:i])):
            return True
    return False


def json_asked(ctx: click.Context, args: Sequence[str]) -> bool:
    """Whether `args` give `--json` to a command that takes it, read before click parses
    them (an error found then, such as an argument that is not UTF-8, is written as that
    command's JSON error too). `ctx` is the top-level group's."""
    if not flag_given(ctx, args, "--json"):
        return False
    command: click.Command | None = ctx.command
    for name in command_path(ctx, args):
        command = command.get_command(ctx, name) if isinstance(command, click.Group) else None
    return command is not None and any("--json" in p.opts for p in command.params)


def command_path(ctx: click.Context, args: Sequence[str]) -> list[str]:
    """The names of the command and subcommands `args` name (`["audit", "verify"]`), read
    before click parses them; `[]` for the group itself (`--help`, `--version`). A name
    that is no command ends it (click says what is wrong). `ctx` is the top-level group's."""
    command: click.Command = ctx.command
    names: list[str] = []
    for i, arg in enumerate(args):
        if arg == "--" or not isinstance(command, click.Group):
            break
        if arg.startswith("-") or (i > 0 and args[i - 1] in _valued_options(ctx, args[:i])):
            continue  # an option, or its value
        sub = command.get_command(ctx, arg)
        if sub is None:
            break
        names.append(arg)
        command = sub
    return names


def _valued_options(ctx: click.Context, args: Sequence[str]) -> set[str]:
    """The options that take a value, of the top-level group and the subcommands `args`
    name."""
    command: click.Command | None = ctx.command
    valued: set[str] = set()
    for arg in [None, *args]:
        if arg is not None:
            if not isinstance(command, click.Group):
                break
            sub = command.get_command(ctx, arg)
            if sub is None:
                continue  # an option or its value
            command = sub
        for param in command.params if command is not None else ():
            if isinstance(param, click.Option) and not param.is_flag and not param.count:
                valued.update(param.opts, param.secondary_opts)
    return valued
