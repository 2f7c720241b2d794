"""The `namesMentioned` copies of statements a retraction withdraws with them
(`View.copied_mentions`, which `retract` calls).

An ingest copies FtM's inline names: an entity referring to another mentions its names.
`CopiedMentionsMixin` holds the method and `View` inherits it, so the copies are found
among the statements the view sees only, through the references they make
(`statement_refs`, under the view's labels): which copies go must not depend on, and so
tell, a statement the principal may not see. Not audited: it reads no more than the
retraction's own statements name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, Connection, and_, or_, select

from ironriver.model import get_model
from ironriver.policy.search import statement_of
from ironriver.store.tables import statement_refs, statements

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ironriver.policy.view import StatementRecord
    from ironriver.store import Store


class CopiedMentionsMixin:
    """The copied-mentions read of `View`, which inherits it (see the module doc)."""

    if TYPE_CHECKING:  # the view's own, which the read goes through
        store: Store
        label_ids: list[int]
        _props: dict[int, tuple[str, str]]
        _dataset_names: dict[int, str]

        def _visible(self) -> ColumnElement[bool]: ...

    def copied_mentions(self, chosen: Iterable[StatementRecord]) -> list[tuple[str, str]]:
        """The visible `namesMentioned` statements an ingest copied from the `chosen`
        statements (FtM's inline names: an entity referring to another mentions its names),
        as (entity id, statement id) pairs, for a retraction to withdraw with them: copies
        of a chosen name on the entities of its dataset referring to its entity (up to
        three references away), and copies of the names of a chosen reference's target on
        the referring entity. A copy is one statement per (entity, value): it goes also
        when another referenced entity had the same name. Not audited: it reads no more
        than the retraction's own statements name."""
        model = get_model()
        mention_ids, name_ids = [], []
        for pid, (schema, prop_name) in self._props.items():
            prop = model.get(schema).get(prop_name) if model.get(schema) else None
            if prop_name == "namesMentioned":
                mention_ids.append(pid)
            elif prop is not None and prop.type.name == "name":
                name_ids.append(pid)
        dataset_ids = {name: i for i, name in self._dataset_names.items()}
        conditions: list[ColumnElement[bool]] = []
        with self.store.engine.connect() as conn:
            for s in chosen:
                schema = model.get(s.schema)
                prop = schema.get(s.prop) if schema is not None else None
                dataset = dataset_ids.get(s.dataset)
                if prop is None or dataset is None or s.prop == "namesMentioned":
                    continue
                if prop.type.name == "name":
                    referrers = self._referrers(conn, s.entity_id, hops=3)
                    if referrers:
                        conditions.append(
                            and_(
                                statements.c.value == s.value,
                                statements.c.dataset_id == dataset,
                                statements.c.entity_id.in_(sorted(referrers)),
                            )
                        )
                elif prop.type.name == "entity":
                    # the target's names the principal sees: which copies go must not
                    # depend on (and so tell) a name it may not see
                    names = select(statements.c.value).where(
                        statements.c.entity_id == s.value,
                        statements.c.dataset_id == dataset,
                        statements.c.prop_id.in_(name_ids),
                        self._visible(),
                    )
                    conditions.append(
                        and_(
                            statements.c.entity_id == s.entity_id,
                            statements.c.dataset_id == dataset,
                            statements.c.value.in_(names),
                        )
                    )
            if not conditions or not mention_ids:
                return []
            rows = conn.execute(
                select(statements.c.entity_id, statements.c.id).where(
                    statements.c.prop_id.in_(mention_ids), self._visible(), or_(*conditions)
                )
            ).all()
        return sorted((str(r.entity_id), str(r.id)) for r in rows)

    def _referrers(self, conn: Connection, entity_id: str, hops: int) -> set[str]:
        """The entities referring to `entity_id` by visible statements, directly or through
        up to `hops` references."""
        found: set[str] = set()
        frontier = {entity_id}
        for _ in range(hops):
            rows = conn.execute(
                select(statements.c.entity_id)
                .select_from(statement_refs.join(statements, statement_of(statement_refs)))
                .where(
                    statement_refs.c.value.in_(sorted(frontier)),
                    statement_refs.c.label_id.in_(self.label_ids),
                    self._visible(),
                )
            ).all()
            frontier = {str(r.entity_id) for r in rows} - found - {entity_id}
            if not frontier:
                break
            found |= frontier
        return found
