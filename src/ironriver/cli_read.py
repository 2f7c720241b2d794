"""The read commands of `ironriver`: `datasets`, `ledgers`, `stats`, `search`, `entity` and
`export`. Each opens the store, reads through the principal's view (`app.view(reason)`) and
renders the result: a table for people, `--json` for programs. The top-level CLI
(`cli.py`) registers them with `cli.add_command`; they import nothing the CLI's own start-up
does not, so `ironriver --help` pays nothing for them being here."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections import Counter
from contextlib import ExitStack, closing
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ironriver.cli_columns import headers
from ironriver.cli_json import dataset_json, statement_json
from ironriver.cli_output import give_up_stdout, pipe_closed
from ironriver.cli_support import (
    CountText,
    app_context,
    common_options,
    count_text,
    excel_option,
    table,
)
from ironriver.csvcells import EXCEL
from ironriver.errors import ConfigError, ResourceError, os_problem
from ironriver.i18n import msg, nt, render, t
from ironriver.model.labels import prop_label, schema_label, shown_caption, shown_value
from ironriver.model.names import schema_named
from ironriver.progress import stderr_note
from ironriver.scratch import FolderNotSynced, interrupted, replacing

if TYPE_CHECKING:  # the policy loads FtM, SQLAlchemy, Arrow and DuckDB: imported in the
    # commands' bodies, so that their `--help` needs none of them (`ironriver.cli`)
    from collections.abc import Iterator, Mapping

    import pyarrow as pa
    from followthemoney.statement.entity import StatementEntity

    from ironriver.policy import (
        LedgerDamage,
        Neighbour,
        SchemaConflict,
        SearchHit,
        SearchPage,
        StatementRecord,
        View,
    )


def _table_or_say(rows: list[list[Any]], headers: list[str], empty: str) -> None:
    """A table of `rows`, or when there are none, `empty` on stderr (not a bare header)."""
    if rows:
        table(rows, headers)
    else:
        stderr_note(empty)


def _say_damage(damage: dict[tuple[str, str], LedgerDamage]) -> None:
    """A note on stderr for each ledger whose parts are damaged (`View.ledger_damage`):
    recorded parts missing from disk, parts in place that cannot be read (each named), and
    what to do. The listing shows its count as unknown, which must read neither as "no rows"
    nor as all of them."""
    from ironriver.policy.ledger_rows import damage_notes

    for (dataset, ledger), found in damage.items():
        for note in damage_notes(dataset, ledger, found):
            stderr_note(render(note))


def _rows_text(n: int | None) -> str:
    """Visible ledger rows as a listing shows them: "unknown" for a damaged ledger's (None),
    aligned as the counts it stands among."""
    return count_text(n) if n is not None else CountText(t("unknown"))


def _listed_damaged(ctx: click.Context, damage: dict[tuple[str, str], LedgerDamage]) -> None:
    """After a listing: the notes on the damaged ledgers it could not count, and exit code 1
    when there are any (the listing is all there is, but not whole; 1: store damage, as a
    read of that ledger exits), so that a script can tell."""
    if damage:
        _say_damage(damage)
        ctx.exit(1)


@click.command()
@common_options
@click.pass_context
def datasets(ctx: click.Context) -> None:
    """List datasets with owner, marking and releasability. A dataset with a ledger whose
    part files are missing or cannot be read is listed with its visible ledger rows unknown
    (null with --json), the ledger and its files are named on standard error with what to
    do, and the command exits with code 1.

    \b
    Example: ironriver datasets --as us-atf-analyst
    """
    app = app_context(ctx)
    view = app.view()
    listing = view.ledger_listing()  # (read once: the table, the notes and the exit agree)
    rows = [dataset_json(d) for d in view.datasets(listing)]
    damage = listing.damage
    shown = ("dataset", "owner_agency", "owner_country", "marking")
    app.emit(
        rows,
        lambda: _table_or_say(
            [
                [
                    *(r[k] for k in shown),
                    ",".join(r["releasable_to"]),
                    count_text(r["visible_statements"]),
                    _rows_text(r["visible_ledger_rows"]),
                ]
                for r in rows
            ],
            headers(
                "dataset",
                "owner_agency",
                "owner_country",
                "marking",
                "releasable_to",
                "visible_statements",
                "visible_ledger_rows",
            ),
            t("No dataset is visible to you."),
        ),
    )
    _listed_damaged(ctx, damage)


@click.command()
@common_options
@click.pass_context
def ledgers(ctx: click.Context) -> None:
    """List the ledgers (high-volume records) with the rows the principal may see. A ledger
    whose part files are missing or cannot be read is listed with its visible rows unknown
    (null with --json), it and its files are named on standard error with what to do, and
    the command exits with code 1.

    \b
    Example: ironriver ledgers --as us-atf-analyst
    """
    app = app_context(ctx)
    view = app.view()
    listing = view.ledger_listing()
    rows: list[dict[str, Any]] = [
        {"dataset": d, "ledger": lg, "visible_ledger_rows": n}
        for (d, lg), n in listing.rows().items()
    ]
    app.emit(
        rows,
        lambda: _table_or_say(
            [[r["dataset"], r["ledger"], _rows_text(r["visible_ledger_rows"])] for r in rows],
            headers("dataset", "ledger", "visible_ledger_rows"),
            t("No ledger is visible to you."),
        ),
    )
    _listed_damaged(ctx, listing.damage)


@click.command()
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
        stderr_note(t("Counting entities over {n:,} visible statements…", n=total))
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
            stderr_note(t("Nothing is visible to you yet: no statement you may see."))
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
    word it lacks as typed, quoted: 'PEPE GARCIA (jose read as pepe; without "López")'; an
    identifier found by the RFC base typed says so: 'NUPA850312AB1 (by its RFC base)'; a
    name found by reading a surname's particles joined or apart says how: 'JUAN DEL ÁNGEL
    (particle surname Delangel read as DEL ÁNGEL)'."""
    notes = [t("{word} read as {stored}", word=q, stored=w) for q, w in hit.read_as]
    if hit.rfc_base:
        notes.append(t("by its RFC base"))
    if hit.joined:
        typed, stored = hit.joined
        notes.append(t("particle surname {typed} read as {stored}", typed=typed, stored=stored))
    if hit.missing:
        notes.append(t('without "{word}"', word=hit.missing_typed or hit.missing))
    return (hit.matched or "") + (" (" + "; ".join(notes) + ")" if notes else "")


@click.command()
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
    "--limit",
    default=20,
    show_default=True,
    type=click.IntRange(min=1),
    help="Hits at most (the command says how many more it found).",
)
@click.pass_context
def search(
    ctx: click.Context, text: str, schema: str | None, identifier: bool, reason: str, limit: int
) -> None:
    """Search the entities you may see (people, organizations, guns, vehicles, phones... of
    the graph, not ledger records) by name or identifier: an identifier of one equal to TEXT
    (a gun's serial, a vehicle's plate, a phone, ignoring case and punctuation; a phone also as dialled at home, without
    its country code; an RFC typed without its homoclave, NUPA850312, also finds the RFCs
    and CURPs starting with it, after, marked "by its RFC base") comes first, then names with words starting with each word of TEXT,
    then names holding a given name's nickname for it or the reverse (Pepe for José, marked
    "read as"), then names writing a surname's particles joined or apart otherwise (del
    Ángel for Delangel, marked "particle surname"; of three words or more, then names
    lacking one, marked "without"). A name
    and its alias ("victor ruiz alias el gordito", "(a)", "aka", or the alias quoted) find
    either, those holding both first. Hits ranked alike come in the order of their entity
    ids. Sales, crossings and plate reads kept only in
    ledgers are read with `ironriver ledger DATASET --where COLUMN=VALUE` (`ironriver
    ledgers` lists them).

    \b
    Example: ironriver search "jose hernandez" --as us-atf-analyst --reason "case 42"
             ironriver search PSA343193 --as mx-fgr-analista --reason "case 7"
    """
    app = app_context(ctx)  # (reads the principal, and so the reader's language)
    if not text.strip():
        raise ConfigError(
            msg("Nothing to search for: TEXT is empty."),
            hint=msg("Give a name or an identifier, e.g. {example}.", example='"jose perez"'),
        )
    view = app.view(reason)
    page = view.find_page(text, _schema_name(schema), limit, identifiers_only=identifier)
    hits = page.hits
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
            headers("entity_id", "schema", "caption", "matched", "datasets"),
            t("No match among the entities you may see.") + "\n" + _ledger_hint(),
        ),
    )
    if page.more:  # (also with --json: a note for people, on stderr)
        stderr_note(_more_note(page))


def _more_note(page: SearchPage) -> str:
    """How many hits a search found beyond those shown, and how to see them."""
    shown, found = len(page.hits), page.found
    if page.counted_all:
        return nt(
            "{shown:,} of {found:,} hit shown; more with --limit {found}.",
            "{shown:,} of {found:,} hits shown; more with --limit {found}.",
            found,
            shown=shown,
            found=found,
        )
    return t(
        "{shown:,} of more than {found:,} hits shown; more with --limit {found}, or make "
        "the search narrower (--schema, more words).",
        shown=shown,
        found=found,
    )


def _ledger_hint() -> str:
    """Where records a search does not cover are read: a fixed text (naming no ledger, so
    it says nothing of those the reader may not see)."""
    return t(
        "Sales, crossings and plate reads kept in ledgers are not searched: read them with "
        "`ironriver ledger DATASET --where COLUMN=VALUE`; `ironriver ledgers` lists those "
        "you may see."
    )


def _schema_name(text: str | None) -> str | None:
    """The name of the schema `text` names as people type it (a label in either language,
    any case: `ironriver.model.names.schema_named`), for the library, which takes names."""
    return None if text is None else str(schema_named(text).name)


@click.command()
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
@click.option(
    "--neighbours-from",
    "first_neighbour",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Show the neighbours from this one on (the 51st: 51), in the table's order: the "
    "next page of a dealer's thousands of sales.",
)
@click.pass_context
def entity(
    ctx: click.Context, entity_id: str, reason: str, max_neighbours: int, first_neighbour: int
) -> None:
    """Show one entity, its statements with provenance, and its neighbours.

    \b
    Example: ironriver entity 3039c5378e6bffeac0774e08cb52ac5fcfa34f11 --as mx-fgr-analista
    """
    from ironriver.policy import entity_dict

    app = app_context(ctx)  # (reads the principal, and so the reader's language)
    if not entity_id.strip():
        raise ConfigError(
            msg("No entity to show: ENTITY_ID is empty."),
            hint=msg("Give an entity's id, e.g. a hit of: ironriver search NAME"),
        )
    # (an id none of whose statements is visible is still answered with the visible
    # statements of other entities that refer to it: a gun another agency holds, in a sale
    # the reader sees; the same answer whether its own statements are hidden or held by no
    # one)
    view = app.view(reason)
    read = view.entity_page(entity_id, max_neighbours, first_neighbour - 1)
    ent, stmts, neigh, total = read.entity, read.statements, read.neighbours, read.neighbours_total
    conflict = read.schema_conflict
    data: dict[str, Any] = {
        "entity": entity_dict(ent) if ent is not None else None,
        "statements": [statement_json(s) for s in stmts],
        "neighbours": [dataclasses.asdict(n) for n in neigh],
        "neighbours_total": total,
    }
    if conflict is not None:
        data["schema_conflict"] = conflict.as_dict()

    def human() -> None:
        if ent is None:
            click.echo(
                t(
                    "No statement of {entity_id!r} is visible to you; visible statements of "
                    "other entities refer to it:",
                    entity_id=entity_id,
                )
            )
            if neigh:
                _neighbour_table(neigh, entity_id, None, view.schema_conflicts)
        else:
            _entity_table(ent, stmts, conflict)
            if neigh:
                click.echo()
                _neighbour_table(neigh, entity_id, ent.schema.name, view.schema_conflicts)
        if total > len(neigh):
            click.echo(_page_note(first_neighbour, len(neigh), total))

    app.emit(data, human)


def _page_note(first: int, shown: int, total: int) -> str:
    """What a page of `shown` of `total` links from the `first`th leaves out, and the option
    that shows the next page."""
    last = first + shown - 1
    if not shown:
        return nt(
            "Its {total:,} link is not shown; show it with --neighbours 1.",
            "None of the {total:,} links shown; show them with --neighbours N, from "
            "--neighbours-from K (1 to {total}).",
            total,
            total=total,
        )
    if last < total:
        return nt(
            "{first:,} to {last:,} of {total:,} link shown; the next with --neighbours-from "
            "{next}.",
            "{first:,} to {last:,} of {total:,} links shown; the next with --neighbours-from "
            "{next}.",
            total,
            first=first,
            last=last,
            total=total,
            next=last + 1,
        )
    return nt(
        "{first:,} to {last:,} of {total:,} link shown.",
        "{first:,} to {last:,} of {total:,} links shown.",
        total,
        first=first,
        last=last,
        total=total,
    )


def _entity_table(
    ent: StatementEntity, stmts: list[StatementRecord], conflict: SchemaConflict | None
) -> None:
    """An entity's header line and its statements' table."""
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
        headers("prop", "value", "dataset", "marking", "source_ref"),
    )


def _link_label(
    n: Neighbour, entity_id: str, schema: str | None, conflicts: Mapping[str, SchemaConflict]
) -> str:
    """The label of the property linking `n`: of the entity's schema for its own (`out`),
    of the neighbour's for another's (`in`). An entity of schemata that cannot be one is
    shown as one that lacks some of its statements' properties: its property is labelled
    by the first of its statements' schemata that has it (review R32 F5: a Person-and-Sale
    neighbour's `dealer` was shown as the name itself)."""
    from ironriver.model import get_model

    owner, base = (n.entity_id, n.schema) if n.direction == "in" else (entity_id, schema)
    conflict = conflicts.get(owner)
    model = get_model()
    for name in [base or "", *(conflict.schemata if conflict is not None else ())]:
        found = model.get(name)
        if found is not None and found.get(n.prop) is not None:
            return prop_label(name, n.prop)
    return n.prop


def _neighbour_table(
    neigh: list[Neighbour],
    entity_id: str,
    schema: str | None,
    conflicts: Mapping[str, SchemaConflict],
) -> None:
    """The neighbours' table of `entity_id`, shown as `schema` (None: none of its
    statements is visible, and every link is another entity's); `conflicts`: the view's
    entities of schemata that cannot be one (`View.schema_conflicts`)."""
    table(
        [
            [
                t("in") if n.direction == "in" else t("out"),
                _link_label(n, entity_id, schema, conflicts),
                schema_label(n.schema) if n.schema else "?",
                # a link's other ends beside it ("Membership → Juan Pérez")
                " → ".join([shown_caption(n.caption, n.schema), *(e.caption for e in n.ends)]),
                n.entity_id,  # in full: what `entity` takes to go there
            ]
            for n in neigh
        ],
        headers("direction", "prop", "schema", "caption", "entity_id"),
    )


@click.command()
@common_options
@click.option(
    "-o",
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Output file, written whole or not at all (default: standard output).",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace the file -o names if it exists (else refused).",
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
@excel_option
@click.option("--reason", default="", help="Why you export (audited).")
@click.pass_context
def export(
    ctx: click.Context,
    out: Path | None,
    overwrite: bool,
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
    An existing -o file is replaced only with --overwrite; --excel writes the CSV for Excel.

    \b
    Examples:
      ironriver export --as us-atf-analyst -o us.ftm.jsonl --reason "partner share"
      ironriver export --format statements -o us.csv --as us-atf-analyst --reason "case 42"
      ironriver export --format statements --excel -o mx.csv --as mx-fgr-analista \\
          --reason "case 42"
      ironriver export --as mx-fgr-analista --dataset mx_fgr_detenciones -o fgr.ftm.jsonl \\
          --reason "case 42"
    """
    from ironriver.policy import authorize_export

    app = app_context(ctx)
    authorize_export(app.principal())
    schema = _schema_name(schema)
    if EXCEL.get() and fmt != "statements":
        raise ConfigError(
            msg("--excel writes CSV for Excel: it goes with --format statements."),
            hint=msg("Add --format statements, or leave out --excel."),
        )
    if out is not None and not overwrite and _taken(out):
        raise ConfigError(
            msg("{path} already exists: an export does not replace a file unasked.", path=out),
            hint=msg("Choose another -o, or pass --overwrite to replace it."),
        )
    if fmt == "parquet" and out is None and _to_terminal():  # (a pipe or a file takes it)
        raise ConfigError(
            msg("Parquet goes to a file, not to the terminal."),
            hint=msg("Pass -o FILE.parquet."),
        )
    view = app.view(reason)
    n = _write_export(view, out, fmt, schema, datasets)
    done = _done_text(fmt, n, out)
    conflicts = sorted(view.schema_conflicts.values(), key=lambda c: c.entity_id)
    markings = view.export_markings if fmt == "ftm" else []
    if not (out and app.as_json):  # (stderr: standard output may be the export)
        if conflicts:
            stderr_note(_conflicts_text(conflicts))
        if markings:
            stderr_note(_markings_text(markings, view.export_marked_entities, n))
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
        app.emit(summary, lambda: stderr_note(done))


def _write_export(
    view: View, out: Path | None, fmt: str, schema: str | None, datasets: tuple[str, ...]
) -> int:
    """Write the export to `out` (whole or not at all: `replacing`) or to standard output;
    the statements (entities) written. Should the output or the store fail once the
    export's event is written, the view audits how it ended (`View.export_failed`: with -o
    nothing left, the file is not kept, unless it was put in place and only its folder
    could not be synced); on standard output a note says that what is there is incomplete
    (whatever stopped it, Ctrl-C too; not for a reader that stopped reading: `| head`),
    and an output that could not be written (a full disk) is said as such
    (`_output_failure`). An export that ended well is `export_completed`."""
    output = _Output()
    handed = [0]  # statements (entities) handed to the output so far
    try:
        with ExitStack() as stack:
            target: Path | None = None
            if out:
                target = stack.enter_context(replacing(out))
                try:
                    target.open("wb").close()
                except OSError as exc:
                    raise ConfigError(
                        msg("Cannot write {path}: {problem}.", path=out, problem=os_problem(exc)),
                        hint=msg(
                            "Give -o a path in a folder that exists and that you may write to."
                        ),
                    ) from exc
            _write_to(output, stack, target, view, fmt, schema, datasets, handed)
            output.flush()  # (here, not as the process exits, past this handling)
            output.written = True  # (what fails from here is closing -o, putting it in place)
    except BaseException as exc:
        kept = out is None or isinstance(exc, FolderNotSynced)  # (in place, whole)
        view.export_failed(exc, handed[0], kept=kept)
        failure = _output_failure(exc, output, out)
        if out is None and handed[0] and not pipe_closed(exc):
            stderr_note(_incomplete_text(fmt, handed[0], interrupted(exc)))
        if failure is None:
            raise
        if out is None:
            give_up_stdout()  # (what it holds cannot be written either)
        raise failure from exc
    view.export_completed()
    return handed[0]


def _write_to(
    output: _Output,
    stack: ExitStack,
    target: Path | None,
    view: View,
    fmt: str,
    schema: str | None,
    datasets: tuple[str, ...],
    handed: list[int],
) -> None:
    """Write the export in `fmt` to `target` (opened in `stack`) or standard output through
    `output`, counting in `handed[0]` the statements (entities) handed to it."""
    from ironriver.policy import entity_dict
    from ironriver.policy.table import write_statements

    if fmt != "ftm":
        # (read whole from one snapshot and audited before any output)
        sink = stack.enter_context(target.open("wb")) if target else sys.stdout.buffer
        output.sink = sink
        batches = stack.enter_context(closing(view.export_batches(schema, datasets)))
        write_statements(_counted(batches, handed), output, fmt)
        return
    text = stack.enter_context(target.open("w", encoding="utf-8")) if target else sys.stdout
    output.sink = text
    for ent in view.export(schema, datasets):
        output.write(json.dumps(entity_dict(ent), ensure_ascii=False, sort_keys=True) + "\n")
        handed[0] += 1


class _Output:
    """The file an export writes (`sink`: standard output or the -o file), passing writes
    on and keeping the OSError that writing or flushing it raised: the output's failure,
    told apart from the store's; `written` once it holds the whole export."""

    def __init__(self) -> None:
        self.sink: Any = None
        self.error: OSError | None = None
        self.written = False

    def write(self, data: Any) -> int:
        try:
            return int(self.sink.write(data))
        except OSError as exc:
            self.error = exc
            raise

    def flush(self) -> None:
        try:
            self.sink.flush()
        except OSError as exc:
            self.error = exc
            raise

    def __getattr__(self, name: str) -> Any:  # (`closed`, `tell`...: the sink's)
        return getattr(self.sink, name)


def _output_failure(exc: BaseException, output: _Output, out: Path | None) -> ResourceError | None:
    """What to say when `exc` is the export's output failing (a write or flush of it, or
    putting the -o file in place), but for a closed pipe; else None (`exc` is raised as
    it is: the store's error, a bug)."""
    error = output.error
    if error is None and output.written and isinstance(exc, OSError):
        error = exc
    if error is None or pipe_closed(error):
        return None
    problem = os_problem(error)
    if isinstance(error, FolderNotSynced):
        return ResourceError(
            msg(
                "The export was written to {path} whole, but its folder could not be synced "
                "to disk: {problem}. The file is there; a power loss could still undo its "
                "writing.",
                path=out,
                problem=problem,
            ),
            hint=msg("Check the disk that holds that folder; export again once it is sound."),
        )
    if out is None:
        return ResourceError(
            msg(
                "Could not write the export to standard output: {problem}. Nothing was "
                "changed in the store.",
                problem=problem,
            ),
            hint=msg(
                "Free space (or check the disk) where standard output goes, or send it "
                "elsewhere; then export again."
            ),
        )
    return ResourceError(
        msg(
            "Could not write the export to {path}: {problem}. No file was left there (one it "
            "would have replaced is as it was), and nothing was changed in the store.",
            path=out,
            problem=problem,
        ),
        hint=msg(
            "Free space (or check the disk) in that folder, or give -o another path; then "
            "export again."
        ),
    )


def _done_text(fmt: str, n: int, out: Path | None) -> str:
    """What a finished export to `out` says (with -o, on standard error)."""
    if fmt == "ftm":
        return nt(
            "Exported {n:,} entity to {path}", "Exported {n:,} entities to {path}", n, path=out
        )
    return nt(
        "Exported {n:,} statement to {path}", "Exported {n:,} statements to {path}", n, path=out
    )


def _counted(batches: Iterator[pa.Table], handed: list[int]) -> Iterator[pa.Table]:
    """`batches`, adding each one's rows to `handed[0]` as it is handed over."""
    for batch in batches:
        handed[0] += batch.num_rows
        yield batch


def _incomplete_text(fmt: str, n: int, interrupted: bool) -> str:
    """The note on standard error when an export to standard output stopped after `n`
    statements (entities) were handed to it, at an error or `interrupted` (Ctrl-C, SIGTERM:
    the command line's "Interrupted." follows, about the store and files): what is there is
    not the export. (About `n` are there: a write that a signal interrupts may still be
    flushed as the command ends, whole or cut short, or be lost with what Python's buffers
    held for it.)"""
    if interrupted and fmt == "ftm":
        return nt(
            "The export on standard output is incomplete: it was interrupted after {n:,} "
            "entity. Discard what was written and export again.",
            "The export on standard output is incomplete: it was interrupted after {n:,} "
            "entities. Discard what was written and export again.",
            n,
        )
    if interrupted:
        return nt(
            "The export on standard output is incomplete: it was interrupted after {n:,} "
            "statement. Discard what was written and export again.",
            "The export on standard output is incomplete: it was interrupted after {n:,} "
            "statements. Discard what was written and export again.",
            n,
        )
    if fmt == "ftm":
        return nt(
            "The export on standard output is incomplete: it stopped at the error below after "
            "{n:,} entity. Discard what was written and export again.",
            "The export on standard output is incomplete: it stopped at the error below after "
            "{n:,} entities. Discard what was written and export again.",
            n,
        )
    return nt(
        "The export on standard output is incomplete: it stopped at the error below after "
        "{n:,} statement. Discard what was written and export again.",
        "The export on standard output is incomplete: it stopped at the error below after "
        "{n:,} statements. Discard what was written and export again.",
        n,
    )


def _taken(path: Path) -> bool:
    """Whether writing `path` would replace a file (or a link) there; a folder is refused
    as such when it is written."""
    return path.is_symlink() or (path.exists() and not path.is_dir())


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


READ_COMMANDS = (datasets, ledgers, stats, search, entity, export)
