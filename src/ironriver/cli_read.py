"""The read commands of `ironriver`: `datasets`, `ledgers`, `stats` and `search` here,
`entity` and `export` in their own modules (`cli_entity`, `cli_export`); `READ_COMMANDS`
holds all six. Each opens the store, reads through the principal's view
(`app.view(reason)`) and renders the result: a table for people, `--json` for programs. The
top-level CLI (`cli.py`) registers them with `cli.add_command`; they import nothing the
CLI's own start-up does not, so `ironriver --help` pays nothing for them being here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from ironriver.cli_columns import headers
from ironriver.cli_entity import entity
from ironriver.cli_export import export
from ironriver.cli_json import dataset_json
from ironriver.cli_schemata import schema_name
from ironriver.cli_support import (
    CountText,
    app_context,
    common_options,
    count_text,
    table,
)
from ironriver.errors import ConfigError
from ironriver.i18n import msg, nt, render, t
from ironriver.model.labels import schema_label, shown_caption
from ironriver.progress import stderr_note

if TYPE_CHECKING:  # the policy loads FtM, SQLAlchemy, Arrow and DuckDB: imported in the
    # commands' bodies, so that their `--help` needs none of them (`ironriver.cli`)
    from ironriver.policy import LedgerDamage, SearchHit, SearchPage


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
    page = view.find_page(text, schema_name(schema), limit, identifiers_only=identifier)
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


READ_COMMANDS = (datasets, ledgers, stats, search, entity, export)
