"""The `ironriver` command: one click group; each command opens the store, calls one library
function and renders the result (a table for people, `--json` for programs). This module
holds the group itself (its options, the reader's language, errors as clean messages,
standard output that cannot be written or is closed (`cli_output`), the entry point `main`)
and the commands that write (`init`, `retract`, `model-dir`); the read
commands are listed in `cli_read.py` (`READ_COMMANDS`; `entity` in `cli_entity.py`, `export`
in `cli_export.py`), the `audit` commands in
`cli_audit.py`; `eval`, `ledger` and the capability groups in `LAZY_COMMANDS`, in their own
modules, imported on first use.

`--version` and every `--help` import no FollowTheMoney, SQLAlchemy, Arrow, DuckDB or NumPy
(a subprocess test holds it): the command modules import the policy, the store and the
analytics in the bodies of the commands that use them, or for typing only."""

from __future__ import annotations

import os
import signal
import sys
import traceback
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

import click

from ironriver.cli_audit import audit
from ironriver.cli_columns import headers
from ironriver.cli_i18n import localize_help, speak_click
from ironriver.cli_json import json_text
from ironriver.cli_lazy import LAZY_COMMANDS, listing_stub, load_lazy
from ironriver.cli_output import (
    GuardedStdout,
    closed_stdout_refusal,
    give_up_stdout,
    pipe_closed,
    stdout_error,
    stdout_failure,
)
from ironriver.cli_read import READ_COMMANDS
from ironriver.cli_support import (
    JSON_OUTPUT,
    app_context,
    common_options,
    json_asked,
    principal_lang_given,
    table,
    undecodable_argument,
)
from ironriver.csvcells import EXCEL
from ironriver.errors import (
    ConfigError,
    IronriverError,
    ResourceError,
    from_environment,
    from_path_error,
    from_store_error,
    os_problem,
    unsynced_hint,
)
from ironriver.i18n import (
    LANG_ENV,
    LANGS,
    current_lang,
    locale_lang,
    msg,
    nt,
    parse_lang,
    render,
    set_fallback_lang,
    set_lang,
    t,
)
from ironriver.logs import LEVELS, choose_format, get_logger, json_lines
from ironriver.logs import configure as configure_logging
from ironriver.model.labels import prop_label
from ironriver.model.names import folded
from ironriver.progress import stderr_error
from ironriver.scratch import (
    FolderNotSynced,
    InterruptSignals,
    Terminated,
    causes,
    interrupted,
    replacing,
)
from ironriver.settings import shown_url

log = get_logger(__name__)

speak_click()  # click's own errors and help words in the reader's language


class UserError(click.ClickException):
    """An `IronriverError` shown as a clean message with the error's own exit code."""

    def __init__(self, error: IronriverError) -> None:
        super().__init__(error.render())  # in the reader's language
        self.error = error
        setattr(self, "exit_code", error.exit_code)  # noqa: B010 - per-instance exit code

    def show(self, file: IO[Any] | None = None) -> None:
        error = self.error
        hint = render(error.hint_text) if error.hint_text else None
        said = _error_fields(type(error).__name__, error.exit_code, render(error.text), hint)

        def text() -> None:
            click.echo(t("Error: {message}", message=self.format_message()), file=file, err=True)

        stderr_error(said, text, file)
        if JSON_OUTPUT.get():  # for programs: the same error, on standard output
            _echo_error_json(said)


def _error_fields(kind: str, exit_code: int, message: str, hint: str | None) -> dict[str, Any]:
    """What a failed command's error says to programs: the error document of `--json` on
    standard output, and under --log-json the error event on stderr (`stderr_error`)."""
    return {"kind": kind, "exit_code": exit_code, "message": message, "hint": hint}


def _echo_error_json(error: dict[str, Any]) -> None:
    """The JSON error document of a `--json` command, on standard output."""
    click.echo(json_text({"error": error}))


class IronriverGroup(click.Group):
    """The top-level group: maps every `IronriverError` to a clean message and exit code, and
    loads the capability groups in `LAZY_COMMANDS` on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    listing = False  # while `format_commands` lists the commands for --help

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_COMMANDS and cmd_name not in self.commands:
            if self.listing:  # the help's list needs only the one-line help
                stub = listing_stub(cmd_name)
                if stub is not None:
                    return stub
            self.add_command(load_lazy(cmd_name), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self.listing = True
        try:
            super().format_commands(ctx, formatter)
        finally:
            self.listing = False

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        JSON_OUTPUT.set(False)  # until this command's --json says otherwise
        EXCEL.set(False)  # (its --excel)
        set_lang(None)  # (a test process runs many commands)
        set_fallback_lang(locale_lang())  # the user's locale, when nothing else chooses
        given = list(args)
        choose_format("json" if _log_json_given(given) else None)  # (for an error in `args`)
        if parse_lang(os.environ.get(LANG_ENV)) is None:
            # the principal's language, for the help and click's errors too (as --lang's)
            ctx.meta[_PRINCIPAL_LANG] = principal_lang_given(ctx, given)
        early = _lang_given(given)  # `--help --lang es`: click runs eager options in order
        if early is not None or ctx.meta.get(_PRINCIPAL_LANG) or current_lang() != "en":
            _choose_lang(ctx, early)  # (the help of a Spanish locale too)
        closed = closed_stdout_refusal(ctx, given)  # (before `--help` prints to nowhere)
        if closed is not None:
            raise UserError(closed)
        rest = super().parse_args(ctx, args)  # --lang first, for the error's language
        error = undecodable_argument(ctx, given)
        if error is not None:
            # (the command's own --json is not parsed yet: its JSON error document too)
            JSON_OUTPUT.set(json_asked(ctx, given))
            raise UserError(error)
        return rest

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except IronriverError as exc:
            log.info(  # the user sees the error itself; the log keeps the record
                "command.failed",
                command=ctx.invoked_subcommand,
                error=type(exc).__name__,
                exit_code=exc.exit_code,
            )
            raise UserError(exc) from exc
        except Exception as exc:  # a full disk or a bad path is no bug
            written = stdout_error(exc)  # (first: its full disk is not the store's)
            if written is not None and not pipe_closed(written):
                give_up_stdout()
                failure = stdout_failure(written)
                log.info(
                    "command.failed",
                    command=ctx.invoked_subcommand,
                    error=type(exc).__name__,
                    exit_code=failure.exit_code,
                )
                raise UserError(failure) from exc
            resource = from_environment(exc) or from_store_error(exc) or from_path_error(exc)
            if resource is None:
                raise  # a bug (or click's own exits): as it is
            log.info(
                "command.failed",
                command=ctx.invoked_subcommand,
                error=type(exc).__name__,
                exit_code=resource.exit_code,
            )
            raise UserError(resource) from exc
        except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM: `main` says so
            if not json_lines():
                raise  # (click's own handler closes the terminal's ^C with a blank line)
            raise click.Abort() from exc  # (which it does not: stderr stays JSON Lines)


@click.group(cls=IronriverGroup, context_settings={"help_option_names": ["-h", "--help"]})
# the help given (click's own would be in the language at import, as click cleans it up into
# a plain string); the message is click's, in the language of the moment (`ClickText`)
@click.version_option(package_name="ironriver", help="Show the version and exit.")
@click.option(
    "--log-level",
    type=click.Choice(LEVELS, case_sensitive=False),
    default=None,
    help="Log events at this level and above on stderr (default: $IRONRIVER_LOG_LEVEL or WARNING).",
)
@click.option("--log-json", is_flag=True, help="Log events as JSON lines.")
@click.option(
    "--lang",
    type=click.Choice(LANGS, case_sensitive=False),
    default=None,
    is_eager=True,
    expose_value=False,
    callback=lambda ctx, _param, value: _choose_lang(ctx, value),
    help="Language of messages, tables and help: en or es (default: $IRONRIVER_LANG, "
    "else the principal's: Spanish for Mexican agencies; else the locale's, as $LANG; "
    "else English).",
)
def cli(log_level: str | None, log_json: bool) -> None:
    """ironriver: link, trace, target, degrade, weigh.

    \b
    Example:
      ironriver demo
      export IRONRIVER_DB=ironriver-demo/demo.db  # the examples of every --help read this store
      ironriver --help
      ironriver --log-level info --log-json ingest ironriver-demo/world/agencies/atf/mapping.yaml \\
          --as us-atf-analyst
    """
    configure_logging(log_level, "json" if log_json else None)


def _lang_given(args: list[str]) -> str | None:
    """The group's `--lang` among `args` (before the command's name), if it names one of
    `LANGS`; anything else is left to click, which says what is wrong with it."""
    for option, value in _group_options(args):
        if option == "--lang" and value is not None and value.lower() in LANGS:
            return value.lower()
    return None


def _log_json_given(args: list[str]) -> bool:
    """Whether the group's `--log-json` is among `args` (before the command's name): read
    before click parses them, for an error in them to be said as JSON (`choose_format`)."""
    return any(option == "--log-json" and value is None for option, value in _group_options(args))


def _group_options(args: list[str]) -> Iterator[tuple[str, str | None]]:
    """The options among `args` before the command's name, each with its value: the next
    argument for those of `_VALUE_OPTIONS`, the text after `=` for one given so, else None."""
    i = 0
    while i < len(args) and args[i].startswith("-") and args[i] != "--":
        option, has_value, value = args[i].partition("=")
        if option in _VALUE_OPTIONS and not has_value:
            i += 1
            yield option, args[i] if i < len(args) else ""
        else:
            yield option, value if has_value else None
        i += 1


_VALUE_OPTIONS = ("--lang", "--log-level")  # the group's options that take a value


_PRINCIPAL_LANG = "ironriver.principal_lang"  # ctx.meta: the language of --as/$IRONRIVER_AS


def _choose_lang(ctx: click.Context, value: str | None) -> None:
    """`--lang`, else `$IRONRIVER_LANG`, else the language of the principal --as or
    $IRONRIVER_AS names (`principal_lang_given`, read before click parses the command line);
    the help texts follow at once."""
    set_lang(parse_lang(value) or ctx.meta.get(_PRINCIPAL_LANG))
    localize_help(ctx.command, current_lang())


@cli.command()
@common_options
@click.option(
    "--principals-out",
    type=click.Path(path_type=Path),
    default=Path("principals.yaml"),
    show_default=True,
    help="Write a starter principals file here if none exists.",
)
@click.pass_context
def init(ctx: click.Context, principals_out: Path) -> None:
    """Create (or upgrade) the store and a starter principals file.

    \b
    Example: ironriver init --db ironriver.db
    """
    from ironriver.policy import DEFAULT_PRINCIPALS_YAML

    app = app_context(ctx)
    wrote = not principals_out.exists()
    try:
        with ExitStack() as stack:
            if wrote:  # staged first: a path it cannot write fails before the store is made
                staged = stack.enter_context(replacing(principals_out))
                staged.write_text(DEFAULT_PRINCIPALS_YAML, encoding="utf-8")
            store = app.open_store(create=True)  # (the file is renamed into place once it is)
    except FolderNotSynced as exc:  # (the store is made by then)
        raise ResourceError(
            msg(
                "The starter principals file was written to {path} whole, but its folder "
                "could not be synced to disk: {problem}. The file is there and the store is "
                "ready; a power loss could still undo the file's writing.",
                path=principals_out,
                problem=os_problem(exc),
            ),
            hint=unsynced_hint(),
        ) from exc
    read_file = store.audit.read_file
    ledger_dir = store.ledger_dir

    def human() -> None:
        if wrote:
            click.echo(t("Wrote starter principals to {path}", path=principals_out))
        click.echo(t("Store ready: {url}", url=shown_url(app.settings.db_url)))
        click.echo(t("Ledger folder: {path}", path=ledger_dir.absolute()))
        if read_file is not None:
            click.echo(
                t(
                    "Read-audit log: {path} (part of the store: back up, copy and move it "
                    "with the store file)",
                    path=read_file,
                )
            )

    data = {
        "store": shown_url(app.settings.db_url),
        "principals_written": str(principals_out) if wrote else None,
        "read_audit_file": str(read_file) if read_file is not None else None,
        "ledger_dir": str(ledger_dir.absolute()),
    }
    app.emit(data, human)


@cli.command()
@common_options
@click.argument("entity_id", required=False)
@click.option(
    "--statement",
    "statement_ids",
    multiple=True,
    help="A statement id to retract (repeatable; see `ironriver entity ID --json`).",
)
@click.option(
    "--prop",
    default=None,
    help="Retract the entity's statements of this property: its name or its label, in English "
    "or Spanish (alias, Alias, Apellido paterno).",
)
@click.option(
    "--ledger",
    "ledger_name",
    default=None,
    metavar="DATASET/LEDGER",
    help="Retract ledger rows instead of statements: those --file loaded into this ledger.",
)
@click.option(
    "--file",
    "file_name",
    default=None,
    help="With --ledger: the source file whose rows to retract, as their source record names "
    "it (FILE of FILE:ROW).",
)
@click.option(
    "--reason", required=True, help="Why the statements or ledger rows are withdrawn (audited)."
)
@click.pass_context
def retract(
    ctx: click.Context,
    entity_id: str | None,
    statement_ids: tuple[str, ...],
    prop: str | None,
    ledger_name: str | None,
    file_name: str | None,
    reason: str,
) -> None:
    """Withdraw statements your agency made about an entity (a tombstone: hidden from every
    view, kept for the audit trail; needs the ingest role, and an admin may withdraw any
    agency's). Without --statement or --prop: all of them. With --ledger and --file instead
    of ENTITY_ID: withdraw the ledger rows that file loaded.

    \b
    Examples:
      ironriver retract 2a6ff5d30f92978dbd98f504813c83b4dfb0e0d5 --prop alias \\
          --as loader --reason "wrong person"
      ironriver retract --ledger us_atf_dealer_sales/dealer_sales --file dealer_sales.csv \\
          --as loader --reason "re-sent corrected"
    """
    from ironriver.cli_json import statement_json
    from ironriver.policy import retract as retract_statements
    from ironriver.policy import retract_ledger_file

    app = app_context(ctx)
    principal = app.principal()  # an unknown principal fails before the store is opened
    if ledger_name is not None or file_name is not None:
        dataset, ledger, file = _ledger_retraction(
            entity_id, statement_ids, prop, ledger_name, file_name
        )
        gone = retract_ledger_file(
            app.open_store(), principal, dataset, ledger, file, reason=reason
        )

        def human_rows() -> None:
            click.echo(
                nt(
                    "Retracted {n:,} row of {file} from ledger {ledger}.",
                    "Retracted {n:,} rows of {file} from ledger {ledger}.",
                    gone.rows,
                    file=gone.file,
                    ledger=f"{gone.dataset}/{gone.ledger}",
                )
            )
            if gone.statements_kept:  # (review R22: the file's entities stayed unsaid)
                click.echo(
                    nt(
                        "{n:,} statement {file} gave {dataset} (entities and their "
                        "properties) stays: a ledger retraction takes rows only. To withdraw "
                        "what the file gave, ingest its corrected version with --replace; "
                        "to withdraw an entity's statements, retract ENTITY_ID.",
                        "{n:,} statements {file} gave {dataset} (entities and their "
                        "properties) stay: a ledger retraction takes rows only. To withdraw "
                        "what the file gave, ingest its corrected version with --replace; "
                        "to withdraw an entity's statements, retract ENTITY_ID.",
                        gone.statements_kept,
                        file=gone.file,
                        dataset=gone.dataset,
                    )
                )

        app.emit(
            {
                "dataset": gone.dataset,
                "ledger": gone.ledger,
                "file": gone.file,
                "parts": list(gone.parts),
                "ledger_rows_retracted": gone.rows,
                "statements_kept": gone.statements_kept,
            },
            human_rows,
        )
        return
    if entity_id is None:
        raise ConfigError(
            msg("Say what to retract: an ENTITY_ID, or --ledger DATASET/LEDGER with --file FILE."),
            hint=msg("See: ironriver retract --help"),
        )
    done = retract_statements(
        app.open_store(),
        principal,
        entity_id,
        reason=reason,
        statement_ids=statement_ids,
        prop=prop,
    )
    rows = [[s.id, prop_shown(s.schema, s.prop), s.value, s.dataset] for s in done.statements]

    def human() -> None:
        click.echo(
            nt(
                "Retracted {n} statement of {entity}:",
                "Retracted {n} statements of {entity}:",
                len(rows),
                entity=entity_id,
            )
        )
        table(rows, headers("id", "prop", "value", "dataset"))
        if done.mentions:
            click.echo(
                nt(
                    "and {count} copy of those names in a referring entity's namesMentioned.",
                    "and {count} copies of those names in referring entities' namesMentioned.",
                    len(done.mentions),
                    count=len(done.mentions),
                )
            )

    app.emit(
        {
            "entity_id": entity_id,
            "retracted": [statement_json(s) for s in done.statements],
            "mentions": [{"entity_id": e, "id": i} for e, i in done.mentions],
        },
        human,
    )


def prop_shown(schema: str, prop: str) -> str:
    """A property as `retract`'s table shows it: its label in the reader's language, as
    `entity` shows it, with its name after it where that is not the label's own words
    ("Fecha de nacimiento (birthDate)", "Alias"): the name is what `--prop` and `--json`
    take, and the label alone may be one several properties carry."""
    label = prop_label(schema, prop)
    if _words(label) == _words(prop):
        return label
    return f"{label} ({prop})"


def _words(text: str) -> str:
    return "".join(ch for ch in folded(text) if ch.isalnum())


def _ledger_retraction(
    entity_id: str | None,
    statement_ids: tuple[str, ...],
    prop: str | None,
    ledger_name: str | None,
    file_name: str | None,
) -> tuple[str, str, str]:
    """The (dataset, ledger, file) of `retract --ledger DATASET/LEDGER --file FILE`, checked
    before the store is opened: statements and ledger rows are not retracted at once."""
    if entity_id is not None or statement_ids or prop is not None:
        raise ConfigError(
            msg("Retract either an entity's statements or a file's ledger rows, not both."),
            hint=msg(
                "Drop ENTITY_ID, --statement and --prop to retract ledger rows, or --ledger "
                "and --file to retract statements."
            ),
        )
    if ledger_name is None or file_name is None:
        raise ConfigError(
            msg("--ledger and --file go together: the ledger, and the file whose rows to retract."),
            hint=msg(
                "Pass both, e.g. --ledger us_atf_sales/dealer_sales --file sales-2024-02.csv."
            ),
        )
    dataset, _, ledger = ledger_name.partition("/")
    if not dataset or not ledger or "/" in ledger or not file_name.strip():
        raise ConfigError(
            msg(
                "--ledger takes DATASET/LEDGER (e.g. us_atf_sales/dealer_sales) and --file a "
                "file name, not {ledger!r} and {file!r}.",
                ledger=ledger_name,
                file=file_name,
            ),
            hint=msg(
                "List the ledgers you may see, with their datasets, with `ironriver ledgers`."
            ),
        )
    return dataset, ledger, file_name


cli.add_command(audit)
for _command in READ_COMMANDS:
    cli.add_command(_command)


@cli.command("model-dir")
@click.argument("target", type=click.Path(path_type=Path), default=Path(".ironriver-model"))
def model_dir(target: Path) -> None:
    """Write FtM's schemata plus ironriver's into TARGET (default: .ironriver-model in the
    current folder) and print its path.

    \b
    Example: FTM_MODEL_PATH=$(ironriver model-dir) ftm validate -i us.ftm.jsonl
    """
    from ironriver.model import write_model_dir

    click.echo(str(write_model_dir(target).absolute()))


def main() -> None:
    signals = InterruptSignals()
    signals.install()  # SIGTERM cleans up as Ctrl-C does
    if sys.stdout is not None:  # (closed: `>&-`; a command that prints there is refused)
        sys.stdout = GuardedStdout(sys.stdout)  # type: ignore[assignment]
    try:
        _main(signals)
    except BaseException as exc:
        _drop_unwritable_stdout()  # (an error is said already: not a second one at exit)
        signum = _stopped_by(exc, signals)
        if signum is None:
            if isinstance(exc, Exception) and json_lines():
                _show_bug(exc)  # (in text, Python's traceback as ever)
                sys.exit(1)
            raise
        # every write is one transaction or a file renamed into place once whole, and an
        # interrupt during an ingest's commit waits for its ledger parts (HeldInterrupts)
        said = t(  # (an export to standard output says first that it is incomplete)
            "Interrupted. The store and the files the command writes (not its standard "
            "output) were left whole: what had begun to be written to them either "
            "finished whole or left them as they were. Running the command again is safe."
        )

        def text() -> None:
            click.echo("", err=True)  # (past the terminal's ^C)
            click.echo(said, err=True)

        exit_code = 128 + signum  # 130 for Ctrl-C, 143 for SIGTERM, as shells report them
        stderr_error(_error_fields("Interrupted", exit_code, said, None), text)
        sys.exit(exit_code)


def _main(signals: InterruptSignals) -> None:
    set_fallback_lang(locale_lang())
    localize_help(cli, current_lang())  # `--help` may come before `--lang` is read
    try:
        rc = cli(standalone_mode=False, prog_name="ironriver")
        _flush_stdout()  # (here, where its failure is said, not as the process exits)
        if isinstance(rc, int) and rc:
            sys.exit(rc)
    except click.exceptions.Abort as exc:
        if signals.received is not None or interrupted(exc):
            raise
        said = t("Aborted.")
        stderr_error(_error_fields("Abort", 1, said, None), lambda: click.echo(said, err=True))
        sys.exit(1)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        if signals.received is not None:
            raise  # the signal's exception, reported as an error on its way here
        _show_click_error(exc)
        sys.exit(exc.exit_code)
    except OSError as exc:  # the group's own `--help`, `--version` (before any command)
        written = stdout_error(exc)
        if written is None:
            raise
        give_up_stdout()
        if pipe_closed(written):
            sys.exit(1)
        failed = UserError(stdout_failure(written))
        failed.show()
        sys.exit(failed.exit_code)


def _show_click_error(exc: click.ClickException) -> None:
    """An error click raised, or a `UserError`, as people read it, or under --log-json as
    an error event; a mistake in the command line (an unknown option, a file that does not
    exist), which click finds before the command runs, is also the JSON error document
    every `--json` command prints (`UserError.show`) when the line passes `--json`: kind
    `UsageError`, exit code 2."""
    if isinstance(exc, UserError):
        exc.show()
        return
    if not isinstance(exc, click.UsageError):
        said = _error_fields(type(exc).__name__, exc.exit_code, exc.format_message(), None)
        stderr_error(said, exc.show)
        return
    command = exc.ctx.command_path if exc.ctx is not None else "ironriver"
    hint = t("Run `{command} --help` to see its arguments and options.", command=command)
    said = _error_fields("UsageError", exc.exit_code, exc.format_message(), hint)
    stderr_error(said, exc.show)
    if _asks_json(sys.argv[1:]):
        _echo_error_json(said)


def _show_bug(exc: Exception) -> None:
    """Under --log-json, an unexpected error (a bug) as an error event, its traceback in
    `exception` as a log event's (structlog's `format_exc_info`), exit code 1 as Python's."""
    said = _error_fields(type(exc).__name__, 1, str(exc), None)
    stderr_error({**said, "exception": "".join(traceback.format_exception(exc))}, lambda: None)


def _asks_json(args: list[str]) -> bool:
    """Whether the command line passes `--json` (before a `--`, after which all is
    arguments): a mistake in the line is then said as JSON too."""
    return "--json" in args[: args.index("--")] if "--" in args else "--json" in args


def _flush_stdout() -> None:
    """Write out what standard output still holds; a failure is the command's
    (`stdout_failure`), a reader that stopped reading ends it quietly (exit code 1)."""
    if sys.stdout is None:
        return
    try:
        sys.stdout.flush()
    except OSError as exc:
        give_up_stdout()
        if pipe_closed(exc):
            sys.exit(1)
        raise UserError(stdout_failure(exc)) from exc


def _drop_unwritable_stdout() -> None:
    """Flush standard output now, and if it cannot be written, drop what it holds: the
    command failed and said why; its output failing as well would only add Python's
    "Exception ignored" as the process exits."""
    if sys.stdout is None:
        return
    try:
        sys.stdout.flush()
    except OSError:
        give_up_stdout()


def _stopped_by(exc: BaseException, signals: InterruptSignals) -> int | None:
    """The signal that stopped the command with `exc`, else None (`exc` goes on as it is):
    the one our handler heard, whatever error came of it, else one the exception shows (a
    handler of a library's own ran instead of ours). A command that ended well after all
    ended well."""
    if isinstance(exc, SystemExit) and not exc.code:
        return None
    if signals.received is not None:
        return signals.received
    if any(isinstance(e, Terminated) for e in causes(exc)):
        return signal.SIGTERM
    return signal.SIGINT if interrupted(exc) else None


if __name__ == "__main__":
    main()
