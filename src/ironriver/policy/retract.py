"""Retraction: an agency withdraws statements it made (a record entered in error, a source
burned, a court order). Nothing is deleted: each statement gets a tombstone, disappears from
every view, and stays for the audit trail; re-ingesting the same record does not bring it
back (its id, a content hash, is already taken). A correction is a new statement.

Who may retract: a principal with the `ingest` role, and only statements of datasets owned
by its own agency (`admin`: any), chosen among the statements it can see: all of an
entity's, or those of one property (of those, its agency's), or named by id (all its
agency's, else nothing is retracted). One that may not read the store (no `analyst` role)
chooses among its own agency's statements only: another agency's are, to it, absent (a
named id is not found, a property is matched against its own statements' schemata, no
owner is named), as they are to `entity`, which it may not run. Every retraction
needs a reason and is one event in the store's writes audit chain, committed with the
tombstones it describes. The copies an ingest made of a retracted name (or of the names
behind a retracted reference) into referring entities' `namesMentioned` go with it: a
withdrawn name must not stay readable on the sale that mentioned it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ironriver.errors import AccessDenied, ConfigError, NotFound
from ironriver.i18n import msg, nmsg
from ironriver.model.names import prop_named
from ironriver.policy.markings import Principal
from ironriver.policy.rights import require_role, speaks_for
from ironriver.policy.view import StatementRecord, View

if TYPE_CHECKING:  # (ironriver.store imports ironriver.policy: no cycle at run time)
    from ironriver.store import Store


def check_may_retract(
    principal: Principal, dataset: str, owner: str, *, rows: bool = False
) -> None:
    """Raise `AccessDenied` unless `principal` may retract what `dataset` (owned by agency
    `owner`) holds: its own agency's, or any as `admin` (the `ingest` role is checked
    apart). `rows`: the refusal speaks of ledger rows, else of statements. The one refusal
    of `retract`, `retract_ledger_file` and an ingest that replaces an earlier load."""
    if speaks_for(principal, owner):
        return
    if rows:
        raise AccessDenied(
            msg(
                "{name} ({agency}) may not retract rows of {dataset!r}, which belongs to {owner}.",
                name=principal.name,
                agency=principal.agency,
                dataset=dataset,
                owner=owner,
            ),
            hint=msg(
                "Only the owning agency (or an administrator) may retract them; ask {owners}.",
                owners=owner,
            ),
        )
    raise AccessDenied(
        msg(
            "{name} ({agency}) may not retract statements of {dataset!r}, which belongs to "
            "{owner}.",
            name=principal.name,
            agency=principal.agency,
            dataset=dataset,
            owner=owner,
        ),
        hint=msg(
            "Only {owner} (or an administrator) may retract them: name only your agency's "
            "statements.",
            owner=owner,
        ),
    )


@dataclass(frozen=True)
class Retraction:
    entity_id: str
    statements: tuple[StatementRecord, ...]  # what was retracted, as it read before
    # the names an ingest copied from them into referring entities' namesMentioned
    # ((entity id, statement id) pairs), withdrawn with them
    mentions: tuple[tuple[str, str], ...] = ()


def retract(
    store: Store,
    principal: Principal,
    entity_id: str,
    *,
    reason: str,
    statement_ids: Collection[str] = (),
    prop: str | None = None,
) -> Retraction:
    """Retract the statements of `entity_id` that `principal` sees, narrowed to
    `statement_ids` and/or property `prop` (neither: all of them that its agency owns): its
    name, or its label in English or Spanish (`ironriver.model.names.prop_named`).

    Raises `ConfigError` without a reason or a selection, `NotFound` when a named statement
    is not one the principal sees of this entity or nothing matches, and `AccessDenied` when
    a chosen statement belongs to another agency's dataset (nothing is retracted then). A
    principal without the `analyst` role sees only its own agency's statements here: for it,
    the last case is `NotFound` too, exactly as for an entity that does not exist."""
    require_role(principal, "ingest", msg("retract statements"))
    if not reason.strip():
        raise ConfigError(
            msg("A retraction needs a reason (it is audited)."),
            hint=msg('Pass --reason "why these statements are withdrawn".'),
        )
    # the statements to choose from are read as the retraction's role allows
    view = View(store, principal, reason=reason, role="ingest")
    visible = view.statements(entity_id)
    if not principal.has_role("analyst"):
        # one who may not read the store chooses among its own agency's statements only:
        # another agency's read as absent, so that no answer (its owners, its schemata, a
        # named id refused rather than not found) tells what `entity` would not
        held_by = {name: store.dataset(name).agency for name in {s.dataset for s in visible}}
        visible = [s for s in visible if speaks_for(principal, held_by[s.dataset])]
    wanted = set(statement_ids)
    unknown = wanted - {s.id for s in visible}
    if unknown:
        raise NotFound(
            nmsg(
                "{n} statement id is not a statement of {entity_id!r} that you can see: {ids}.",
                "{n} statement ids are not statements of {entity_id!r} that you can see: {ids}.",
                len(unknown),
                entity_id=entity_id,
                ids=", ".join(sorted(unknown)[:5]),
            ),
            hint=msg("List them with: ironriver entity {entity_id} --json", entity_id=entity_id),
        )
    if prop is not None and visible:  # a typo is an error, not "no match"
        prop = prop_named(prop, {s.schema for s in visible})
    chosen = [
        s for s in visible if (not wanted or s.id in wanted) and (prop is None or s.prop == prop)
    ]
    owner = {name: store.dataset(name).agency for name in {s.dataset for s in chosen}}
    if not wanted:  # all of them, or all of a property: the ones this agency may retract
        theirs = chosen
        chosen = [s for s in chosen if speaks_for(principal, owner[s.dataset])]
        if theirs and not chosen:  # there are some, all of other agencies: refused, not absent
            owners = ", ".join(sorted({owner[s.dataset] for s in theirs}))
            raise AccessDenied(
                msg(
                    "{name} ({agency}) may not retract these statements of {entity_id!r}: "
                    "they belong to {owners}.",
                    name=principal.name,
                    agency=principal.agency,
                    entity_id=entity_id,
                    owners=owners,
                ),
                hint=msg(
                    "Only the owning agency (or an administrator) may retract them; ask {owners}.",
                    owners=owners,
                ),
            )
    if not chosen:
        raise NotFound(
            msg(
                "No statement of {entity_id!r} that you can see and retract matches property "
                "{prop!r}.",
                entity_id=entity_id,
                prop=prop,
            )
            if prop
            else msg(
                "No statement of {entity_id!r} that you can see and retract matches.",
                entity_id=entity_id,
            ),
            hint=msg(
                "See its statements and their datasets with: ironriver entity {entity_id}",
                entity_id=entity_id,
            ),
        )
    for s in chosen:  # named statements: all or nothing, refused before writing anything
        check_may_retract(principal, s.dataset, owner[s.dataset])
    chosen_ids = {(s.entity_id, s.id) for s in chosen}
    mentions = [m for m in view.copied_mentions(chosen) if m not in chosen_ids]
    with store.writer() as w:
        w.retract([*sorted(chosen_ids), *mentions], view.label_ids)  # (all shown by it)
        store.audit.append(
            principal.name,
            "retract",
            entity_id,
            reason,
            {
                "statements": sorted(s.id for s in chosen),
                "datasets": sorted({s.dataset for s in chosen}),
                "props": sorted({s.prop for s in chosen}),
                "mentions": [f"{e}/{i}" for e, i in mentions],
            },
            agency=principal.agency,
            conn=w.conn,
        )
    return Retraction(entity_id, tuple(chosen), tuple(mentions))
