"""`ironriver entity`: one entity as the principal may see it, its statements with their
provenance (its schema's featured properties first, then the others by their label) and a
page of its neighbours, with the option that shows the next page. An id none of whose
statements is visible is still answered, with the visible statements of other entities
that refer to it. As every read command (`cli_read`), it imports the policy and the model
in its body or for typing only: its `--help` loads neither."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import click

from ironriver.cli_columns import headers
from ironriver.cli_json import statement_json
from ironriver.cli_schemata import left_out
from ironriver.cli_support import app_context, common_options, table
from ironriver.errors import ConfigError
from ironriver.i18n import msg, nt, t
from ironriver.model.labels import prop_label, schema_label, shown_caption, shown_value

if TYPE_CHECKING:  # the policy loads FtM, SQLAlchemy, Arrow and DuckDB (`cli_read`)
    from collections.abc import Mapping

    from followthemoney.statement.entity import StatementEntity

    from ironriver.policy import Neighbour, SchemaConflict, StatementRecord


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
                props=left_out(conflict),
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
