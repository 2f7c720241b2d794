"""The `ironriver` command: one click group; each command opens the store, calls one library
function and renders the result (a table for people, `--json` for programs). The `audit`
commands are in `cli_audit.py`; `eval`, `ledger` and the capability groups in
`LAZY_COMMANDS`, in their own modules."""

from __future__ import annotations

import json
import os
import signal
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any, TextIO

import click

from ironriver.cli_audit import audit
from ironriver.cli_i18n import localize_help, speak_click
from ironriver.cli_json import (
    dataset_json,
    statement_json,
)
from ironriver.cli_lazy import LAZY_COMMANDS, listing_stub, load_lazy
from ironriver.cli_support import (
    JSON_OUTPUT,
    app_context,
    common_options,
    count_text,
    principal_lang_given,
    table,
    undecodable_argument,
)
from ironriver.errors import (
    ConfigError,
    IronriverError,
    from_environment,
    from_path_error,
    from_store_error,
    os_problem,
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
from ironriver.logs import LEVELS, get_logger
from ironriver.logs import configure as configure_logging
from ironriver.model.labels import prop_label, schema_label, shown_caption, shown_value
from ironriver.model.names import schema_named
from ironriver.policy import (
    DEFAULT_PRINCIPALS_YAML,
    SchemaConflict,
    SearchHit,
    authorize_export,
    entity_dict,
    retract_ledger_file,
)
from ironriver.policy import retract as retract_statements
from ironriver.policy.table import write_statements
from ironriver.scratch import InterruptSignals, Terminated, replacing
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
        click.echo(t("Error: {message}", message=self.format_message()), file=file, err=True)
        if JSON_OUTPUT.get():  # for programs: the same error, on standard output
            error = self.error
            data = {
                "kind": type(error).__name__,
                "exit_code": error.exit_code,
                "message": render(error.text),
                "hint": render(error.hint_text) if error.hint_text else None,
            }
            click.echo(json.dumps({"error": data}, ensure_ascii=False, indent=2))


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
        set_lang(None)  # (a test process runs many commands)
        set_fallback_lang(locale_lang())  # the user's locale, when nothing else chooses
        given = list(args)
        if parse_lang(os.environ.get(LANG_ENV)) is None:
            # the principal's language, for the help and click's errors too (as --lang's)
            ctx.meta[_PRINCIPAL_LANG] = principal_lang_given(ctx, given)
        early = _lang_given(given)  # `--help --lang es`: click runs eager options in order
        if early is not None or ctx.meta.get(_PRINCIPAL_LANG) or current_lang() != "en":
            _choose_lang(ctx, early)  # (the help of a Spanish locale too)
        rest = super().parse_args(ctx, args)  # --lang first, for the error's language
        error = undecodable_argument(ctx, given)
        if error is not None:
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
    "else the principal's: Spanish for Mexican agencies).",
)
def cli(log_level: str | None, log_json: bool) -> None:
    """ironriver: link, trace, target, degrade, weigh.

    \b
    Example:
      ironriver demo
      ironriver --help
      ironriver --log-level info --log-json ingest sales.yaml
    """
    configure_logging(log_level, "json" if log_json else None)


def _lang_given(args: list[str]) -> str | None:
    """The group's `--lang` among `args` (before the command's name), if it names one of
    `LANGS`; anything else is left to click, which says what is wrong with it."""
    i = 0
    while i < len(args) and args[i].startswith("-") and args[i] != "--":
        option, has_value, value = args[i].partition("=")
        if option in _VALUE_OPTIONS and not has_value:
            value = args[i + 1] if i + 1 < len(args) else ""
            i += 1
        if option == "--lang" and value.lower() in LANGS:
            return value.lower()
        i += 1
    return None


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
    app = app_context(ctx)
    store = app.open_store(create=True)
    wrote = not principals_out.exists()
    if wrote:
        principals_out.write_text(DEFAULT_PRINCIPALS_YAML, encoding="utf-8")
    read_file = store.audit.read_file

    def human() -> None:
        if wrote:
            click.echo(t("Wrote starter principals to {path}", path=principals_out))
        click.echo(t("Store ready: {url}", url=shown_url(app.settings.db_url)))
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
    }
    app.emit(data, human)


def _table_or_say(rows: list[list[Any]], headers: list[str], empty: str) -> None:
    """A table of `rows`, or when there are none, `empty` on stderr (not a bare header)."""
    if rows:
        table(rows, headers)
    else:
        click.echo(empty, err=True)


@cli.command()
@common_options
@click.pass_context
def datasets(ctx: click.Context) -> None:
    """List datasets with owner, marking and releasability.

    \b
    Example: ironriver datasets --as us-atf-analyst
    """
    app = app_context(ctx)
    rows = [dataset_json(d) for d in app.view().datasets()]
    shown = ("dataset", "owner_agency", "owner_country", "marking")
    app.emit(
        rows,
        lambda: _table_or_say(
            [
                [
                    *(r[k] for k in shown),
                    ",".join(r["releasable_to"]),
                    count_text(r["visible_statements"]),
                    count_text(r["visible_ledger_rows"]),
                ]
                for r in rows
            ],
            [
                t("dataset"),
                t("agency"),
                t("country"),
                t("marking"),
                t("releasable"),
                t("statements"),
                t("ledger rows"),
            ],
            t("No dataset is visible to you."),
        ),
    )


@cli.command()
@common_options
@click.pass_context
def ledgers(ctx: click.Context) -> None:
    """List the ledgers (high-volume records) with the rows the principal may see.

    \b
    Example: ironriver ledgers --as mx-fgr-analista
    """
    app = app_context(ctx)
    counts = app.view().ledger_counts()
    rows = [
        {"dataset": d, "ledger": lg, "visible_ledger_rows": n}
        for (d, lg), n in sorted(counts.items())
    ]
    app.emit(
        rows,
        lambda: _table_or_say(
            [[r["dataset"], r["ledger"], count_text(r["visible_ledger_rows"])] for r in rows],
            [t("dataset"), t("ledger"), t("visible rows")],
            t("No ledger is visible to you."),
        ),
    )


@cli.command()
@common_options
@click.pass_context
def stats(ctx: click.Context) -> None:
    """Counts by schema and dataset of what the principal may see.

    \b
    Example: ironriver stats --as mx-fgr-analista --json
    """
    app = app_context(ctx)
    view = app.view()
    total = view.statement_count()
    if total >= 1_000_000:  # a scan of every visible statement: say so before it starts
        click.echo(t("Counting entities over {n:,} visible statements…", n=total), err=True)
    counts = view.counts()
    data = {
        "principal": app.settings.principal,
        # View.counts gives each in name order, so SQLite and PostgreSQL print one document
        "entities_by_schema": counts.entities_by_schema,
        "statements_by_dataset": counts.statements_by_dataset,
        "entities_by_dataset": counts.entities_by_dataset,
    }

    def human() -> None:
        if not counts.statements_by_dataset:
            click.echo(t("Nothing is visible to you yet: no statement you may see."), err=True)
            return
        table(
            [
                (label, count_text(n))
                for label, n in sorted(
                    (schema_label(k), n) for k, n in counts.entities_by_schema.items()
                )
            ],
            [t("schema"), t("entities")],
        )
        click.echo()
        table(
            [(d, count_text(n)) for d, n in counts.statements_by_dataset.items()],
            [t("dataset"), t("statements")],
        )

    app.emit(data, human)


def _matched_note(hit: SearchHit) -> str:
    """A hit's matched name, with the query words it holds only through a nickname and the
    word it lacks: "PEPE GARCIA (jose read as pepe; without lopez)"."""
    notes = [t("{word} read as {stored}", word=q, stored=w) for q, w in hit.read_as]
    if hit.missing:
        notes.append(t("without {word}", word=hit.missing))
    return (hit.matched or "") + (" (" + "; ".join(notes) + ")" if notes else "")


@cli.command()
@common_options
@click.argument("text")
@click.option(
    "--schema",
    default=None,
    help="Only entities of this schema: its name or its label, in English or Spanish "
    "(Person, persona, Individuo).",
)
@click.option(
    "--identifier",
    is_flag=True,
    help="Only identifiers (serials, plates, phones), not names.",
)
@click.option("--reason", default="", help="Why you search (audited).")
@click.option(
    "--limit", default=20, show_default=True, type=click.IntRange(min=1), help="Hits at most."
)
@click.pass_context
def search(
    ctx: click.Context, text: str, schema: str | None, identifier: bool, reason: str, limit: int
) -> None:
    """Search visible entities by name or identifier: an identifier equal to TEXT (a serial,
    a plate, a phone, ignoring case and punctuation; a phone also as dialled at home, without
    its country code) comes first, then names with words starting with each word of TEXT,
    then names holding a given name's nickname for it or the reverse (Pepe for José, marked
    "read as"; of three words or more, then names lacking one, marked "without"). A name
    and its alias ("victor ruiz alias el gordito", "(a)", "aka", or the alias quoted) find
    either, those holding both first.

    \b
    Example: ironriver search "jose perez" --as us-atf-analyst --reason "case 42"
             ironriver search BER535120 --as mx-fgr-analista --reason "case 7"
    """
    app = app_context(ctx)  # (reads the principal, and so the reader's language)
    if not text.strip():
        raise ConfigError(
            msg("Nothing to search for: TEXT is empty."),
            hint=msg("Give a name or an identifier, e.g. {example}.", example='"jose perez"'),
        )
    view = app.view(reason)
    hits = view.find(text, _schema_name(schema), limit, identifiers_only=identifier)
    data = [h.__dict__ for h in hits]

    app.emit(
        data,
        lambda: _table_or_say(
            [
                [
                    h.entity_id,
                    schema_label(h.schema),
                    shown_caption(h.caption, h.schema),
                    _matched_note(h),
                    ", ".join(h.datasets),
                ]
                for h in hits
            ],
            [t("id"), t("schema"), t("caption"), t("matched"), t("datasets")],
            t("No match among the entities you may see."),
        ),
    )


def _schema_name(text: str | None) -> str | None:
    """The name of the schema `text` names as people type it (a label in either language,
    any case: `ironriver.model.names.schema_named`), for the library, which takes names."""
    return None if text is None else str(schema_named(text).name)


@cli.command()
@common_options
@click.argument("entity_id")
@click.option("--reason", default="", help="Why you read it (audited).")
@click.option(
    "--neighbours",
    "max_neighbours",
    default=50,
    show_default=True,
    type=click.IntRange(min=0),
    help="Show at most this many neighbours (an organization may have thousands).",
)
@click.pass_context
def entity(ctx: click.Context, entity_id: str, reason: str, max_neighbours: int) -> None:
    """Show one entity, its statements with provenance, and its neighbours.

    \b
    Example: ironriver entity 0eaefe14c61e0e45b1e8f2018dfa00768ba68c69 --as mx-fgr-analista
    """
    app = app_context(ctx)
    view = app.view(reason)
    ent = view.require(entity_id)
    stmts = view.statements(entity_id)
    neigh, total = view.neighbour_page(entity_id, limit=max_neighbours)
    conflict = view.schema_conflicts.get(entity_id)
    data: dict[str, Any] = {
        "entity": entity_dict(ent),
        "statements": [statement_json(s) for s in stmts],
        "neighbours": [n.__dict__ for n in neigh],
        "neighbours_total": total,
    }
    if conflict is not None:
        data["schema_conflict"] = conflict.as_dict()

    def human() -> None:
        caption = shown_caption(ent.caption, ent.schema.name)
        click.echo(f"{schema_label(ent.schema.name)}: {caption}  ({ent.id})")
        if conflict is not None:
            click.echo(
                t(
                    "Its statements are of schemata that cannot be one entity ({schemata}): "
                    "shown as {schema}, whose entity lacks {props} (listed below).",
                    schemata=", ".join(schema_label(s) for s in conflict.schemata),
                    schema=schema_label(conflict.schema),
                    props=_left_out(conflict),
                )
            )
        # as a reader takes in an entity: its schema's featured properties first (a person's
        # name, then surnames and birth date), then the others by their label
        featured = {name: i for i, name in enumerate(ent.schema.featured)}
        label = {s.prop: prop_label(s.schema, s.prop) for s in stmts}
        ordered = sorted(
            stmts,
            key=lambda s: (featured.get(s.prop, len(featured)), label[s.prop].casefold(), s.value),
        )
        table(
            [
                [
                    label[s.prop],
                    shown_value(s.schema, s.prop, s.value),  # a country by its name
                    s.dataset,
                    s.marking,
                    s.source_ref or "",
                ]
                for s in ordered
            ],
            [t("property"), t("value"), t("dataset"), t("marking"), t("source")],
        )
        if neigh:
            click.echo()
            table(
                [
                    [
                        t("in") if n.direction == "in" else t("out"),
                        prop_label(
                            (n.schema or "") if n.direction == "in" else ent.schema.name, n.prop
                        ),
                        schema_label(n.schema) if n.schema else "?",
                        shown_caption(n.caption, n.schema),
                        n.entity_id,  # in full: what `entity` takes to go there
                    ]
                    for n in neigh
                ],
                [t("direction"), t("via"), t("schema"), t("entity"), t("id")],
            )
        if total > len(neigh):
            click.echo(
                nt(
                    "{shown:,} of {total:,} neighbour shown; more with --neighbours {total}.",
                    "{shown:,} of {total:,} neighbours shown; more with --neighbours {total}.",
                    total,
                    shown=len(neigh),
                    total=total,
                )
            )

    app.emit(data, human)


@cli.command()
@common_options
@click.option(
    "-o",
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Output file (default: standard output).",
)
@click.option(
    "--schema",
    default=None,
    help="Only this schema (and descendants): its name or its label, in English or Spanish.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["ftm", "statements", "parquet"]),
    default="ftm",
    show_default=True,
    help="ftm: FtM entity JSON Lines; statements: FtM's statement CSV (read by ftm and "
    "nomenklatura), with each statement's marking and source; parquet: those statements "
    "as Parquet.",
)
@click.option(
    "--dataset",
    "datasets",
    multiple=True,
    help="Only the statements of this dataset (repeatable): e.g. your agency's own.",
)
@click.option("--reason", default="", help="Why you export (audited).")
@click.pass_context
def export(
    ctx: click.Context,
    out: Path | None,
    schema: str | None,
    fmt: str,
    datasets: tuple[str, ...],
    reason: str,
) -> None:
    """Export what the principal may see as FtM entity JSON Lines (or its statements).

    FtM entity JSON carries no markings: when the entities hold statements marked AMBER or
    stricter (or released to named countries or agencies only), a note on standard error
    says how many, by marking; --format statements keeps each statement's marking and
    releasability. With -o, --json prints the summary as JSON (the number of entities or
    statements, the format, the path, and those markings); without -o the export itself
    goes to standard output, JSON Lines or CSV as --format says, and --json changes nothing.

    \b
    Example: ironriver export --as us-atf-analyst -o us.ftm.jsonl --reason "partner share"
             ironriver export --format statements -o us.csv --as us-atf-analyst --reason "case 42"
             ironriver export --as mx-fgr-analista --dataset mx_fgr_detenciones -o d.jsonl \\
                 --reason "case 42"
    """
    app = app_context(ctx)
    authorize_export(app.principal())
    schema = _schema_name(schema)
    if fmt == "parquet" and out is None and _to_terminal():  # (a pipe or a file takes it)
        raise ConfigError(
            msg("Parquet goes to a file, not to the terminal."),
            hint=msg("Pass -o FILE.parquet."),
        )
    view = app.view(reason)
    with ExitStack() as stack:
        target: Path | None = None
        if out:  # written whole or not at all (`replacing`)
            target = stack.enter_context(replacing(out))
            try:
                target.open("wb").close()
            except OSError as exc:
                raise ConfigError(
                    msg("Cannot write {path}: {problem}.", path=out, problem=os_problem(exc)),
                    hint=msg("Give -o a path in a folder that exists and that you may write to."),
                ) from exc
        if fmt != "ftm":
            table = view.export_table(schema, datasets)
            write_statements(table, str(target) if target else sys.stdout.buffer, fmt)
            n = table.num_rows
            done = nt(
                "Exported {n:,} statement to {path}",
                "Exported {n:,} statements to {path}",
                n,
                path=out,
            )
        else:
            handle: TextIO = sys.stdout
            if target is not None:
                handle = stack.enter_context(target.open("w", encoding="utf-8"))
            n = 0
            for ent in view.export(schema, datasets):
                handle.write(
                    json.dumps(entity_dict(ent), ensure_ascii=False, sort_keys=True) + "\n"
                )
                n += 1
            done = nt(
                "Exported {n:,} entity to {path}", "Exported {n:,} entities to {path}", n, path=out
            )
    conflicts = sorted(view.schema_conflicts.values(), key=lambda c: c.entity_id)
    markings = view.export_markings if fmt == "ftm" else []
    if not (out and app.as_json):  # (stderr: standard output may be the export)
        if conflicts:
            click.echo(_conflicts_text(conflicts), err=True)
        if markings:
            click.echo(_markings_text(markings, view.export_marked_entities, n), err=True)
    if out:  # (`exported`: entities or statements, as `format` says)
        summary: dict[str, Any] = {"exported": n, "format": fmt, "path": str(out)}
        if conflicts:
            summary["schema_conflicts"] = [c.as_dict() for c in conflicts]
        if markings:
            summary["entities_marked"] = view.export_marked_entities
            summary["markings_not_carried"] = [
                {"marking": m, "releasable_to": list(rel), "entities_marked": k}
                for m, rel, k in markings
            ]
        app.emit(summary, lambda: click.echo(done, err=True))


def _to_terminal() -> bool:
    """Whether standard output is a terminal (not a pipe or a file)."""
    return sys.stdout.isatty()


def _markings_text(markings: list[tuple[str, tuple[str, ...], int]], marked: int, n: int) -> str:
    """What an FtM entity export does not carry: how many of its `n` entities hold
    statements whose marking limits their sharing (`marked`), by marking and releasability."""
    lines = [
        nt(
            "Note: FtM entity JSON carries no markings, and {marked:,} of the {total:,} entity "
            "exported holds statements whose marking limits their sharing:",
            "Note: FtM entity JSON carries no markings, and {marked:,} of the {total:,} "
            "entities exported hold statements whose marking limits their sharing:",
            n,
            marked=marked,
            total=n,
        )
    ]
    for marking, releasable, k in markings:
        to = ", ".join(releasable) if releasable else t("no one beyond its owner")
        lines.append(
            nt(
                "  {marking}, releasable to {to}: {k:,} entity",
                "  {marking}, releasable to {to}: {k:,} entities",
                k,
                marking=marking,
                to=to,
                k=k,
            )
        )
    lines.append(
        t(
            "Share the file only as those markings allow, or export with --format statements, "
            "which keeps each statement's marking and releasability."
        )
    )
    return "\n".join(lines)


def _left_out(conflict: SchemaConflict) -> str:
    """The properties left out, as their labels in the reader's language, each with how many
    statements."""
    counts = Counter(prop_label(s.schema, s.prop) for s in conflict.dropped)
    return ", ".join(f"{label} ({counts[label]})" for label in sorted(counts))


def _conflicts_text(conflicts: list[SchemaConflict]) -> str:
    """What an FtM export left out: the statements of entities whose schemata could not be
    one, of properties the schema they were exported as lacks."""
    lines = [
        nt(
            "{n:,} entity has statements of schemata that cannot be one entity: its FtM "
            "entity leaves out the statements of properties its schema lacks.",
            "{n:,} entities have statements of schemata that cannot be one entity: their FtM "
            "entities leave out the statements of properties their schema lacks.",
            len(conflicts),
        )
    ]
    lines += [
        t(
            "  {entity}: exported as {schema} (its statements: {schemata}); left out: {props}",
            entity=c.entity_id,
            schema=c.schema,
            schemata=", ".join(c.schemata),
            props=_left_out(c),
        )
        for c in conflicts[:10]
    ]
    if len(conflicts) > 10:
        lines.append(t("  ... and {n:,} more (--json lists them all)", n=len(conflicts) - 10))
    lines.append(
        t(
            "Every statement is in: ironriver export --format statements. To fix the data, "
            "retract the statements typed wrongly (ironriver retract ID --prop NAME)."
        )
    )
    return "\n".join(lines)


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
    view, kept for the audit trail). Without --statement or --prop: all of them. With
    --ledger and --file instead of ENTITY_ID: withdraw the ledger rows that file loaded.

    \b
    Example: ironriver retract 0eaefe14c61e0e45b1e8f2018dfa00768ba68c69 --prop alias \\
               --as loader --reason "wrong person"
             ironriver retract --ledger us_atf_sales/dealer_sales --file sales-2024-02.csv \\
               --as loader --reason "re-sent corrected"
    """
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

        app.emit(
            {
                "dataset": gone.dataset,
                "ledger": gone.ledger,
                "file": gone.file,
                "parts": list(gone.parts),
                "ledger_rows_retracted": gone.rows,
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
    rows = [[s.id, s.prop, s.value, s.dataset] for s in done.statements]

    def human() -> None:
        click.echo(
            nt(
                "Retracted {n} statement of {entity}:",
                "Retracted {n} statements of {entity}:",
                len(rows),
                entity=entity_id,
            )
        )
        table(rows, [t("statement"), t("property"), t("value"), t("dataset")])
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


@cli.command("model-dir")
@click.argument("target", type=click.Path(path_type=Path), default=Path(".ironriver-model"))
def model_dir(target: Path) -> None:
    """Write FtM's schemata plus ironriver's into TARGET and print its path.

    \b
    Example: FTM_MODEL_PATH=$(ironriver model-dir) ftm validate -i us.ftm.jsonl
    """
    from ironriver.model import write_model_dir

    click.echo(str(write_model_dir(target).absolute()))


def main() -> None:
    signals = InterruptSignals()
    signals.install()  # SIGTERM cleans up as Ctrl-C does
    try:
        _main(signals)
    except BaseException as exc:
        signum = _stopped_by(exc, signals)
        if signum is None:
            raise
        # every write is one transaction or a file renamed into place once whole, and an
        # interrupt during an ingest's commit waits for its ledger parts (HeldInterrupts)
        click.echo("", err=True)
        click.echo(
            t(
                "Interrupted. Nothing was half-written: what had begun to be written either "
                "finished whole or left the store and files as they were. Running the command "
                "again is safe."
            ),
            err=True,
        )
        sys.exit(128 + signum)  # 130 for Ctrl-C, 143 for SIGTERM, as shells report them


def _main(signals: InterruptSignals) -> None:
    set_fallback_lang(locale_lang())
    localize_help(cli, current_lang())  # `--help` may come before `--lang` is read
    try:
        rc = cli(standalone_mode=False, prog_name="ironriver")
        if isinstance(rc, int) and rc:
            sys.exit(rc)
    except click.exceptions.Abort as exc:
        if signals.received is not None or _interrupted(exc):
            raise
        click.echo(t("Aborted."), err=True)
        sys.exit(1)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        if signals.received is not None:
            raise  # the signal's exception, reported as an error on its way here
        exc.show()
        sys.exit(exc.exit_code)


def _stopped_by(exc: BaseException, signals: InterruptSignals) -> int | None:
    """The signal that stopped the command with `exc`, else None (`exc` goes on as it is):
    the one our handler heard, whatever error came of it, else one the exception shows (a
    handler of a library's own ran instead of ours). A command that ended well after all
    ended well."""
    if isinstance(exc, SystemExit) and not exc.code:
        return None
    if signals.received is not None:
        return signals.received
    if any(isinstance(e, Terminated) for e in _causes(exc)):
        return signal.SIGTERM
    return signal.SIGINT if _interrupted(exc) else None


def _interrupted(exc: BaseException) -> bool:
    """Whether `exc` shows Ctrl-C (SIGINT) or SIGTERM: a KeyboardInterrupt (`Terminated`
    for SIGTERM), click's Abort made of one, an error raised while handling one (ADBC's
    SIGINT handler tries to cancel its statement and raises the driver's "not implemented"
    from the KeyboardInterrupt), or DuckDB's own error for a query the signal stopped (we
    never interrupt queries ourselves)."""
    return any(isinstance(e, KeyboardInterrupt) or _duckdb_interrupt(e) for e in _causes(exc))


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """`exc`, then what it was raised from or while handling, and so on."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        yield current
        seen.add(id(current))
        current = current.__cause__ or current.__context__


def _duckdb_interrupt(exc: BaseException) -> bool:
    duckdb = sys.modules.get("duckdb")
    if duckdb is not None and isinstance(exc, duckdb.InterruptException):
        return True
    # a query DuckDB runs for a registered Arrow object reports it as a bare RuntimeError
    return type(exc) is RuntimeError and str(exc) == "Query interrupted"


if __name__ == "__main__":
    main()
