"""The graph reads of a `View`: an entity's neighbours, one per visible link, paged
(`View.neighbours`, `View.neighbour_page`) and counted (`View.neighbour_count`).

`GraphReadsMixin` holds these methods and `View` inherits them, so a neighbour is read
through exactly what its view sees: a link is a visible entity-typed statement, either the
entity's own (`out`) or another entity's referring to it (`in`, through `statement_refs`
under the view's labels); the linked entities and the ends of an edge entity (a Sale's
buyer and firearm: `LinkEnd`) are assembled by the view from their visible statements. A
page is ordered, de-duplicated, cut and counted in SQL (`_link_queries`), and justified as
one read of everything it shows before it is logged (`View._justify_neighbours`).
`View.entity_page` reads its page through `_neighbour_page` and logs it with `shown_detail`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from followthemoney.statement.entity import StatementEntity
from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    String,
    bindparam,
    func,
    literal,
    select,
    union_all,
)

from ironriver.policy.search import statement_of
from ironriver.store.dialect import bytewise
from ironriver.store.ids import KIND_ENTITY
from ironriver.store.tables import props, statement_refs, statements

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from ironriver.store import Store

# the LIMIT of a page of every link (a bound parameter: one query whatever the limit)
_ALL_LINKS = 2**62


@dataclass(frozen=True)
class LinkEnd:
    """One other end of a neighbour that links entities (FtM's edge schemata): the property
    naming it (its role: a Sale's `buyer`, its `firearm`), its id and caption."""

    prop: str
    entity_id: str
    caption: str


@dataclass(frozen=True)
class Neighbour:
    """An entity adjacent to another through a visible entity-typed statement."""

    prop: str
    direction: str  # "out": the entity's property points at it; "in": it points at the entity
    entity_id: str
    schema: str | None
    caption: str
    # a neighbour that links entities (FtM's edge schemata: a Membership, a Sale...): its
    # other visible ends, which its own caption rarely names ("Membership"), by role: its
    # schema's edge source then target (a Sale's buyer, then its firearm), each by id
    # (review R32 F7: by id alone, a sale's buyer and gun swapped places from row to row)
    ends: tuple[LinkEnd, ...] = ()


class GraphReadsMixin:
    """The neighbour reads of `View`, which inherits them (see the module doc)."""

    if TYPE_CHECKING:  # the view's own, which a neighbour read goes through
        store: Store
        label_ids: list[int]
        _links_built: tuple[Select[Any], Select[Any]] | None

        def _visible(self) -> ColumnElement[bool]: ...
        def _log(
            self, action: str, target: str, detail: dict[str, Any] | None = None
        ) -> int | None: ...
        def _entities(
            self,
            conn: Connection,
            ids: list[str],
            named: bool = True,
            labels: set[int] | None = None,
        ) -> dict[str, StatementEntity]: ...
        def _justify_neighbours(self, label_ids: Iterable[int], entity_id: str) -> None: ...

    def neighbours(self, entity_id: str, limit: int | None = None) -> list[Neighbour]:
        """Entities linked to `entity_id` by visible entity-typed statements, both ways, one
        per link (property, direction, entity id), in that order; the first `limit` of them
        (a cartel's organization entity may have thousands of memberships:
        `neighbour_count` says how many links there are). A neighbour linked by two
        properties, or both ways, comes once per link: pages of links cut one list."""
        return self.neighbour_page(entity_id, limit)[0]

    def neighbour_page(
        self, entity_id: str, limit: int | None = None, offset: int = 0
    ) -> tuple[list[Neighbour], int]:
        """`neighbours` from the `offset`th on (at most `limit`; None: all), and how many
        (property, direction, entity) links there are in all: the page is a slice of
        `neighbours(entity_id)`. Ordered, de-duplicated, cut and counted in SQL, in one
        query (review R32 F2: a dealer's 100,000 sales were all read, decoded and sorted in
        Python for a page of 50; each was one more object, 33 MB for the page). Without a
        reason, refused when the page's neighbours (or their ends shown beside them) hold
        AMBER+STRICT or RED statements (`_justify_neighbours`)."""
        result, total = self._neighbour_page(entity_id, limit, offset)
        self._log("neighbours", entity_id, shown_detail(result, total))
        return result, total

    def _neighbour_page(
        self, entity_id: str, limit: int | None, offset: int
    ) -> tuple[list[Neighbour], int]:
        """`neighbour_page`, justified (`_justify_neighbours`) but not logged."""
        with self.store.engine.connect() as conn:
            result, total, labels = self._neighbour_rows(entity_id, limit, offset, conn)
        self._justify_neighbours(labels, entity_id)
        return result, total

    def _neighbour_rows(
        self, entity_id: str, limit: int | None, offset: int, conn: Connection
    ) -> tuple[list[Neighbour], int, set[int]]:
        """`_neighbour_page` read by `conn` (`View.entity_page` reads the entity and its
        neighbours in one snapshot), with the labels of the statements it was made of,
        which the caller justifies once `conn` is done with: a refusal is an audit write,
        which must not come inside a read's transaction (an in-memory store has one
        connection)."""
        offset = max(offset, 0)
        chosen: list[tuple[str, str, str]] = []
        total = None
        if limit is None or limit > 0:
            query, _count = self._link_queries()
            rows = conn.execute(
                query,
                {
                    "entity_id": entity_id,
                    "limit": _ALL_LINKS if limit is None else limit,
                    "offset": offset,
                },
            ).all()
            chosen = [(str(r.prop), str(r.direction), str(r.other)) for r in rows]
            total = int(rows[0].total) if rows else None
        if total is None:  # (no row to count with: an empty page, or past the end)
            total = self._link_count(conn, entity_id)
        # the linked entities' schema and caption are part of this audited neighbours read;
        # their labels are justified together, once both are read (nothing is shown yet)
        labels: set[int] = set()
        found = self._entities(conn, sorted({p[2] for p in chosen}), False, labels)
        ends = {other: _edge_ends(ent, entity_id) for other, ent in found.items()}
        far_ids = sorted({e for pairs in ends.values() for _prop, e in pairs})
        far = self._entities(conn, far_ids, False, labels)
        result = []
        for prop, direction, other in chosen:
            ent = found.get(other)
            result.append(
                Neighbour(
                    prop,
                    direction,
                    other,
                    ent.schema.name if ent is not None else None,
                    ent.caption if ent is not None else other,
                    tuple(
                        LinkEnd(prop, e, far[e].caption)
                        for prop, e in ends.get(other, ())
                        if e in far
                    ),
                )
            )
        return result, total, labels

    def neighbour_count(self, entity_id: str) -> int:
        """How many (property, direction, entity) links `neighbours` has for `entity_id`
        (a SQL count: nothing is read of the linked entities; not audited as a read of
        them)."""
        with self.store.engine.connect() as conn:
            return self._link_count(conn, entity_id)

    def _link_count(self, conn: Connection, entity_id: str) -> int:
        _page, count = self._link_queries()
        return int(conn.execute(count, {"entity_id": entity_id}).scalar_one())

    def _link_queries(self) -> tuple[Select[Any], Select[Any]]:
        """The page of an entity's links and their count, as two queries built once per
        view (building them per read cost more than reading a small entity's links), the
        entity id, limit and offset bound per read.

        A link is a distinct (property, direction, other entity): `out`, the entity's own
        entity-typed statements (their values); `in`, the statements of other entities
        referring to it (through `statement_refs`, under the labels the view may see only:
        one index range each). Distinct by the property's name, as an entity of two
        schemata may state one property under both; the two ways never share a row. The
        page is in (property, direction, entity id) order compared as bytes on both
        backends (`bytewise`: as Python sorts text), each row with the count of all links
        (a window over the rows before the LIMIT: one pass for both)."""
        if self._links_built is None:
            entity_id = bindparam("entity_id", type_=String)
            prop = props.c.prop.label("prop")
            out_links = (
                select(prop, literal("out", String).label("direction"), statements.c.value)
                .select_from(statements.join(props, props.c.id == statements.c.prop_id))
                .where(
                    statements.c.entity_id == entity_id,
                    statements.c.kind == KIND_ENTITY,
                    self._visible(),
                )
                .distinct()
            )
            refs = statement_refs
            in_links = (
                select(prop, literal("in", String).label("direction"), statements.c.entity_id)
                .select_from(
                    refs.join(statements, statement_of(refs)).join(
                        props, props.c.id == statements.c.prop_id
                    )
                )
                .where(
                    refs.c.value == entity_id,
                    refs.c.label_id.in_(self.label_ids),
                    self._visible(),
                )
                .distinct()
            )
            links = union_all(out_links, in_links).subquery()
            prop_col, way, other = links.c  # (the union's columns: its first select's names)
            engine = self.store.engine
            page = (
                select(
                    prop_col.label("prop"),
                    way.label("direction"),
                    other.label("other"),
                    func.count().over().label("total"),
                )
                .order_by(bytewise(prop_col, engine), way, bytewise(other, engine))
                .limit(bindparam("limit"))
                .offset(bindparam("offset"))
            )
            self._links_built = (page, select(func.count()).select_from(links))
        return self._links_built


def _edge_ends(entity: StatementEntity, seen_from: str) -> list[tuple[str, str]]:
    """The (property, id) an edge entity (`Schema.edge`: a Membership links its member and
    its organization) links, but `seen_from`: its source's, then its target's, each in id
    order; none for any other entity."""
    schema = entity.schema
    if not schema.edge:
        return []
    sides = [p for p in (schema.edge_source, schema.edge_target) if p is not None]
    return [(p, v) for p in sides for v in sorted(set(entity.get(p, quiet=True))) if v != seen_from]


def shown_detail(page: Sequence[Neighbour], total: int) -> dict[str, Any]:
    """The detail of a `neighbours` event: how many links there are (`n`) and were shown
    (`shown`), and the ids of the entities whose schema and caption were shown, the page's
    neighbours (`ids`, in its order) and the ends of links shown beside them (`end_ids`,
    sorted): what `read-entities` records of its own (review R32 F4: a RED Ownership shown
    as a neighbour was named by no event). As many as the page shows, at most."""
    return {
        "n": total,
        "shown": len(page),
        "ids": [n.entity_id for n in page],
        "end_ids": sorted({e.entity_id for n in page for e in n.ends}),
    }
