"""`View(store, principal)`: the only way to read the store.

A view holds exactly the statements its principal may see: those whose access label passes
`can_see` and that are not retracted. Everything a view returns (entities, search hits,
neighbours, counts, exports, ledger rows) is computed from those statements alone, so a
hidden fact cannot leak by inference: an edge whose statements are hidden disappears, and a
count or facet never includes it. Entity reads, searches and exports are audited with the
reason the caller gives.

The searches are in `search.py` (`SearchMixin`, which `View` inherits), the bulk reads and
exports in `export.py` (`ExportMixin`), the reads of ledger rows in `ledger_rows.py`
(`LedgerRowsMixin`), the neighbours in `graph_reads.py` (`GraphReadsMixin`), the
`namesMentioned` copies a retraction withdraws in `copied_mentions.py`
(`CopiedMentionsMixin`); the schemata a view names and resolves in `schemata.py`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

from followthemoney.dataset import Dataset
from followthemoney.exc import InvalidData
from followthemoney.schema import Schema
from followthemoney.statement import Statement
from followthemoney.statement.entity import StatementEntity
from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    Text,
    and_,
    bindparam,
    cast,
    func,
    select,
)

from ironriver.errors import AccessDenied, NotFound
from ironriver.i18n import Msg, msg
from ironriver.model import get_model
from ironriver.policy.copied_mentions import CopiedMentionsMixin
from ironriver.policy.entity_rows import ENTITY_ROW
from ironriver.policy.export import ExportMixin
from ironriver.policy.graph_reads import GraphReadsMixin, shown_detail

# (re-exported: `ironriver.policy` and callers import them from here, as before the
# neighbour reads moved to `graph_reads`)
from ironriver.policy.graph_reads import LinkEnd as LinkEnd
from ironriver.policy.graph_reads import Neighbour as Neighbour
from ironriver.policy.ledger_rows import LedgerListing, LedgerRowsMixin
from ironriver.policy.markings import (
    Marking,
    Principal,
    can_see,
    limits_handling,
    releasable_text,
)
from ironriver.policy.rights import require_role
from ironriver.policy.schemata import bound_caption, entity_schema
from ironriver.policy.search import SearchMixin
from ironriver.store.dialect import snapshot_connection
from ironriver.store.ids import (
    KIND_NAME,
    NOT_SEARCHED,
    kind_of,
)
from ironriver.store.tables import (
    datasets,
    props,
    sources,
    statement_tally,
    statements,
)

if TYPE_CHECKING:
    from ironriver.store import DatasetInfo, Store
    from ironriver.store.ledger_records import RecordedParts

# ids an audited read of several entities names in its event's target (the column `audit
# log` shows and filters on); its detail lists them all
_TARGET_IDS = 10
_ID_CHUNK = 5_000  # entity ids per IN (...) lookup: below SQLite's and PostgreSQL's bounds

_DATASET = Dataset({"name": "ironriver", "title": "ironriver view"})

# Markings whose reads must say why (DESIGN: "every sensitive read and every export is
# justified and audited"); AMBER and below are the everyday sharing levels.
SENSITIVE = frozenset({Marking.AMBER_STRICT, Marking.RED})


@dataclass(frozen=True)
class StatementRecord:
    """One visible statement with its provenance."""

    id: str
    entity_id: str
    schema: str
    prop: str
    value: str
    dataset: str
    marking: str
    releasable_to: str
    owner_agency: str
    legal_basis: str | None
    source_ref: str | None
    first_seen: str | None
    last_seen: str | None
    lang: str | None
    original_value: str | None


@dataclass(frozen=True)
class EntityPage:
    """An entity as `View.entity_page` reads it: `entity` None when none of its own
    statements is visible but visible statements of other entities link to it."""

    entity: StatementEntity | None
    statements: list[StatementRecord]
    neighbours: list[Neighbour]
    neighbours_total: int  # (property, direction, entity) links in all
    schema_conflict: SchemaConflict | None


@dataclass(frozen=True)
class DatasetSummary:
    """A dataset as one principal sees it."""

    info: DatasetInfo
    visible_statements: int
    visible_ledger_rows: int | None  # None: unknown, a ledger of it damaged (`ledger_damage`)


@dataclass(frozen=True)
class SchemaConflict:
    """An entity whose visible statements name schemata that cannot be one entity (Person
    and Company: FtM has no schema that is both). It is assembled as `schema` (the more
    specific, `entity_schema`), which lacks the properties of the statements in `dropped`:
    they are not in its FtM entity (an export says so), yet stay visible as statements
    (`View.statements`, `export --format statements`)."""

    entity_id: str
    schema: str
    schemata: tuple[str, ...]
    dropped: tuple[Statement, ...]

    def as_dict(self) -> dict[str, Any]:
        """For `--json` and summaries: the dropped statements by id, property and schema."""
        return {
            "entity_id": self.entity_id,
            "schema": self.schema,
            "schemata": list(self.schemata),
            "left_out": [{"id": s.id, "prop": s.prop, "schema": s.schema} for s in self.dropped],
        }


@dataclass(frozen=True)
class Counts:
    entities_by_schema: dict[str, int] = field(default_factory=dict)
    statements_by_dataset: dict[str, int] = field(default_factory=dict)
    entities_by_dataset: dict[str, int] = field(default_factory=dict)


class View(SearchMixin, ExportMixin, LedgerRowsMixin, GraphReadsMixin, CopiedMentionsMixin):
    """What one principal may see of one store (its searches: `SearchMixin`; its bulk reads
    and exports: `ExportMixin`; its ledger rows: `LedgerRowsMixin`; its neighbours:
    `GraphReadsMixin`; the copies a retraction withdraws: `CopiedMentionsMixin`)."""

    def __init__(
        self,
        store: Store,
        principal: Principal,
        reason: str = "",
        audit: bool = True,
        *,
        role: str = "analyst",
    ) -> None:
        """A view for `principal`, who must have `role`: `analyst` (reads and searches), or
        the role of the work the view serves (a retraction reads as `ingest`); else
        `AccessDenied`."""
        require_role(principal, role, msg("read the store"))
        self.store = store
        self.principal = principal
        self.reason = reason
        self.audit = audit
        visible = [r for r in store.labels() if can_see(principal, r.label)]
        self.label_ids = sorted(r.id for r in visible)
        # an entity's visible statements (`ENTITY_ROW`), built once: only the id is bound
        # per read (building it per read cost SQLAlchemy a cache key each time)
        self._entity_query = select(*ENTITY_ROW).where(
            statements.c.entity_id == bindparam("entity_id"), self._visible()
        )
        self._sensitive = {r.id: r.label.marking for r in visible if r.label.marking in SENSITIVE}
        # the labels whose handling rules an FtM entity cannot carry (`limits_handling`),
        # as (marking, releasability): an entity export counts the entities holding them
        self._limited = {
            r.id: (r.label.marking.value, tuple(sorted(r.label.releasable_to)))
            for r in visible
            if limits_handling(r.label)
        }
        self._labels = {
            r.id: (
                r.label.marking.value,
                releasable_text(r.label.releasable_to),
                r.label.owner_agency,
            )
            for r in visible
        }
        # the owner country of each label it may see (a phone search's default regions are
        # those of the labels holding statements it sees: `_owner_countries`)
        self._label_countries = {r.id: r.label.owner_country.upper() for r in visible}
        self._load_catalog()
        get_model()  # statements are assembled with the merged model
        # the entities assembled so far whose statements' schemata could not be one, by id:
        # what their FtM entities lack (an export reports them)
        self.schema_conflicts: dict[str, SchemaConflict] = {}
        # the last entity export's entities holding statements whose marking limits their
        # sharing (`export_markings`)
        self._export_marked: Counter[tuple[str, tuple[str, ...]]] = Counter()
        self.export_marked_entities = 0
        # the ledger parts the store's events recorded, and at which writes-chain event
        # (`LedgerRowsMixin._recorded_parts`)
        self._recorded: tuple[tuple[int, str] | None, RecordedParts] | None = None
        # an entity's links' page and count queries (`_link_queries`), built at first use
        self._links_built: tuple[Select[Any], Select[Any]] | None = None
        # an entity's visible statements with their provenance (`_records_query`), built at
        # first use
        self._records_built: Select[Any] | None = None

    # A view reads the store as it is at each call; the small tables it keeps in memory
    # (properties, dataset names) are read again when an ingest made after the view added
    # to them (a long-lived view must neither fail nor mislabel on new data). Its label ids
    # stay those of its making: statements under a label made later are not visible to it
    # (make a view per request; making one is a few small queries).
    def _load_catalog(self) -> None:
        """Read the small code tables a view decodes statements with (properties, dataset
        and source names): at its making, and again before a bulk read."""
        known = self.store.datasets()
        self._dataset_names = {i: info.name for i, info in known}
        # (their own labels: which datasets' ledger parts its reads list, `_dataset_label`)
        self._dataset_labels = {info.name: info.label for _i, info in known}
        with self.store.engine.connect() as conn:
            self._load_props(conn)
            self._sources = {int(r.id): str(r.name) for r in conn.execute(select(sources))}

    def _load_props(self, conn: Connection) -> None:
        prop_rows = conn.execute(select(props)).all()
        self._props = {int(r.id): (str(r.schema), str(r.prop)) for r in prop_rows}
        self._prop_types = {int(r.id): str(r.prop_type) for r in prop_rows}
        # the properties whose values a name search reads (a statement's `kind`)
        self._searched_names = frozenset(
            int(r.id) for r in prop_rows if kind_of(str(r.prop_type), str(r.prop)) == KIND_NAME
        )
        self._not_searched = [i for i, (_s, p) in self._props.items() if p in NOT_SEARCHED]

    def _prop(self, prop_id: int) -> tuple[str, str]:
        """(schema, property) of a statement's `prop_id`."""
        found = self._props.get(prop_id)
        if found is None:  # registered after this view was made
            with self.store.engine.connect() as conn:
                self._load_props(conn)
            found = self._props[prop_id]
        return found

    def _current_props(self, conn: Connection) -> None:
        """Read the properties again if an ingest registered one since (before a search,
        whose SQL names the properties it leaves out)."""
        newest = conn.execute(select(func.max(props.c.id))).scalar()
        if newest is not None and int(newest) not in self._props:
            self._load_props(conn)

    def _dataset_name(self, dataset_id: int) -> str:
        name = self._dataset_names.get(dataset_id)
        if name is None:  # made after this view
            self._load_catalog()
            name = self._dataset_names.get(dataset_id, str(dataset_id))
        return name

    def datasets(self, listing: LedgerListing | None = None) -> list[DatasetSummary]:
        """Datasets this principal may know of, with what it sees of each: those whose own
        (default) label it may see, or from which it sees a statement. (Ledger rows are read
        only from the first: `LedgerReads.shown`; unknown, None, for a dataset of which a
        ledger is damaged: `ledger_listing`, read here unless the caller gives the one it
        shows the damage of, so that both tell of one reading; review R26 F5.)"""
        statements_by = self._statements_by_dataset()
        listing = listing if listing is not None else self.ledger_listing()
        ledger_by = listing.rows_by_dataset()
        return [
            DatasetSummary(info, statements_by.get(info.name, 0), ledger_by.get(info.name, 0))
            for _id, info in self.store.datasets()
            if can_see(self.principal, info.label) or statements_by.get(info.name)
        ]

    def statement_count(self) -> int:
        """How many statements this principal sees (from the tally: no scan)."""
        return sum(self._statements_by_dataset().values())

    def _statements_by_dataset(self) -> dict[str, int]:
        """Visible statements per dataset (`counts().statements_by_dataset`), summed from
        the tally of non-retracted statements per (dataset, label) over the visible labels:
        no scan of the statements."""
        query = (
            select(statement_tally.c.dataset_id, func.sum(statement_tally.c.n))
            .where(statement_tally.c.label_id.in_(self.label_ids))
            .group_by(statement_tally.c.dataset_id)
        )
        with self.store.engine.connect() as conn:
            return {self._dataset_name(int(ds_id)): int(n) for ds_id, n in conn.execute(query) if n}

    def _owner_countries(self) -> frozenset[str]:
        """The countries of the owners of the statements this view sees (a phone search's
        default regions, `SearchMixin._phone_countries`): of its labels, those the tally
        counts standing statements under. A label it may see that holds none (its
        statements all retracted; or registered by a write that added none: an ingest that
        failed on PostgreSQL, whose labels are committed at once, or one whose statements
        were all stored already, under another label) gives no country: which numbers a
        search finds would tell of facts no view shows. Read at each call (a small table),
        as the view reads the store as it is then."""
        query = (
            select(statement_tally.c.label_id)
            .where(statement_tally.c.label_id.in_(self.label_ids), statement_tally.c.n > 0)
            .distinct()
        )
        with self.store.engine.connect() as conn:
            held = conn.execute(query).scalars().all()
        return frozenset(self._label_countries[int(i)] for i in held)

    # -- the visibility predicate --------------------------------------------------------
    def _visible(self) -> ColumnElement[bool]:
        return and_(statements.c.label_id.in_(self.label_ids), statements.c.retracted.is_(False))

    def _log(self, action: str, target: str, detail: dict[str, Any] | None = None) -> int | None:
        """Audit a read of this view (when it is audited): its event's seq, else None."""
        if not self.audit:
            return None
        return self.store.audit.append(
            self.principal.name, action, target, self.reason, detail, agency=self.principal.agency
        ).seq

    @property
    def _unjustified(self) -> bool:
        """An audited read that gives no reason."""
        return self.audit and not self.reason.strip()

    def _justify(
        self,
        label_ids: Iterable[int],
        entity_id: str | None,
        attempt: dict[str, Any] | None = None,
    ) -> None:
        """Refuse an audited read of AMBER+STRICT or RED statements that gives no reason.
        `entity_id`: the entity the reader named, else None (a search hit, a neighbour: the
        refusal must not tell an id that nothing audited has shown); `attempt`: what was
        asked, for the refusal's audit event (`_refuse`)."""
        if self._unjustified and self._sensitive:
            markings = (self._sensitive[i] for i in label_ids if i in self._sensitive)
            found = _sensitive_text(markings)
            if found is None:
                return
            if entity_id is None:
                self._refuse(
                    msg(
                        "A result holds {markings} statements: reading it must say why (the "
                        "reason is audited).",
                        markings=found,
                    ),
                    "",
                    {**(attempt or {}), "markings": found},
                )
            self._refuse(
                msg(
                    "Entity {entity_id!r} holds {markings} statements: reading them must "
                    "say why (the reason is audited).",
                    entity_id=entity_id,
                    markings=found,
                ),
                entity_id,
                {**(attempt or {}), "markings": found},
            )

    def _justify_neighbours(self, label_ids: Iterable[int], entity_id: str) -> None:
        """Refuse an audited neighbours read of `entity_id` without a reason when the
        neighbours it shows hold AMBER+STRICT or RED statements: saying so names the entity
        the reader named (nothing more), and that leaving the neighbours out is the other
        way (review R32 F3: it said "A result holds RED statements" and "Pass --reason")."""
        found = _sensitive_text(self._sensitive[i] for i in label_ids if i in self._sensitive)
        if self._unjustified and found is not None:
            self._refuse(
                msg(
                    "A neighbour of {entity_id!r} holds {markings} statements: showing the "
                    "neighbours must say why (the reason is audited).",
                    entity_id=entity_id,
                    markings=found,
                ),
                entity_id,
                {"attempt": "neighbours", "markings": found},
                hint=msg(
                    'Pass --reason "why you need it", or --neighbours 0 to leave the '
                    "neighbours out."
                ),
            )

    def _justify_ledger(
        self, markings: Iterable[str], name: str, attempt: dict[str, Any] | None = None
    ) -> None:
        """Refuse an audited read of AMBER+STRICT or RED ledger rows that gives no reason."""
        found = _sensitive_text(markings)
        if self._unjustified and found is not None:
            self._refuse(
                msg(
                    "Ledger {name!r} holds {markings} rows: reading them must say why (the "
                    "reason is audited).",
                    name=name,
                    markings=found,
                ),
                name,
                {**(attempt or {}), "markings": found},
            )

    def _refuse(
        self, text: Msg, target: str, detail: dict[str, Any], hint: Msg | None = None
    ) -> NoReturn:
        """Raise the refusal of a read that gave no reason, after recording the attempt as
        a `refused` event: the refusal itself tells the reader that sensitive facts match
        (a plate on a watch list), so the attempt must be on record like a read
        (review R7)."""
        self._log("refused", target, detail)
        # (shown by the command line: its words; a library caller knows its View's reason)
        raise AccessDenied(text, hint=hint or msg('Pass --reason "why you need it".'))

    def _entity_rows(self, conn: Connection, entity_id: str) -> Sequence[Sequence[Any]]:
        """The `ENTITY_ROW` columns of an entity's visible statements."""
        return conn.execute(self._entity_query, {"entity_id": entity_id}).all()

    def _stmt(self, row: Sequence[Any]) -> Statement:
        """A Statement from a row of `ENTITY_ROW` (positional: attribute access on rows costs
        more than the rest of an export)."""
        (entity_id, stmt_id, prop_id, value, dataset_id, lang, original, first, last, origin) = row[
            :10
        ]
        schema, prop = self._prop(prop_id)
        return Statement(
            entity_id=entity_id,
            prop=prop,
            schema=schema,
            value=value,
            dataset=self._dataset_name(dataset_id),
            lang=lang,
            original_value=original,
            first_seen=first,
            last_seen=last,
            origin=origin,
            id=stmt_id,
        )

    def _assemble(
        self,
        rows: Iterable[Sequence[Any]],
        named: bool = True,
        wanted: Schema | None = None,
        justify: bool = True,
    ) -> StatementEntity | None:
        """The entity of `rows`; `named`: the reader named its id (see `_justify`). With
        `wanted`, None for an entity not of that schema (or a descendant), before any
        refusal: a search for Firearms without a reason was refused for an AMBER+STRICT
        Person it would not have shown. Without `justify`, the caller justifies what it
        shows (a search looks at more entities than it shows)."""
        rows = list(rows)
        if not rows:
            return None
        if wanted is not None:  # (before the statements are made: a search drops thousands)
            held = frozenset(self._prop(r[2])[0] for r in rows)
            schema = get_model().get(entity_schema(held))
            if schema is None or not schema.is_a(wanted):
                return None
        stmts = [self._stmt(r) for r in rows]
        if justify:
            self._justify((r[10] for r in rows), rows[0][0] if named else None)
        try:
            return bound_caption(StatementEntity.from_statements(_DATASET, stmts))
        except InvalidData:
            # Visible statements disagree on schema (two agencies typed one id differently):
            # the schema `counts` gives it, whatever order the rows came in
            model = get_model()
            schemata = {s.schema for s in stmts}
            schema = model.get(entity_schema(frozenset(schemata)))
            fixed = [s.clone(schema=schema.name) for s in stmts if schema.get(s.prop)]
            dropped = tuple(s for s in stmts if not schema.get(s.prop))
            if dropped:
                entity_id = str(rows[0][0])
                self.schema_conflicts[entity_id] = SchemaConflict(
                    entity_id, schema.name, tuple(sorted(schemata)), dropped
                )
            return bound_caption(StatementEntity.from_statements(_DATASET, fixed))

    # -- entities ------------------------------------------------------------------------
    def entity(self, entity_id: str) -> StatementEntity | None:
        """The entity assembled from its visible statements, or None when none is visible."""
        with self.store.engine.connect() as conn:
            rows = self._entity_rows(conn, entity_id)
        entity = self._assemble(rows)  # (refuses an unjustified sensitive read, unlogged)
        self._log("read", entity_id)
        return entity

    def entity_page(self, entity_id: str, limit: int | None = None, offset: int = 0) -> EntityPage:
        """What `ironriver entity` shows: the entity (`entity`), its statements
        (`statements`) and a page of its neighbours (`neighbour_page`), audited as those
        three reads. Every justification is decided before any of them is logged: the
        entity's own statements, then the page's neighbours (review R32 F3: a neighbour's
        refusal came after the entity had been logged as read). An id with no visible
        statement of its own but visible links is answered with them (`entity` None; review
        R32 F1); one with neither raises `not_visible`, whether its statements are hidden
        or held by no one."""
        # One snapshot for the whole page, and one read of the entity's statements (its
        # records are made of the rows it is assembled from). Assembled and justified once
        # the snapshot is done with: a refusal is an audit write and a property new to the
        # view is read again, neither of which may come inside the read's transaction on an
        # in-memory store (one connection holds both).
        with snapshot_connection(self.store.engine) as conn:
            rows = conn.execute(self._records_query(), {"entity_id": entity_id}).all()
            neighbours, total, labels = self._neighbour_rows(entity_id, limit, offset, conn)
        entity = self._assemble(rows)  # (refuses an unjustified sensitive read, unlogged)
        records = self._records(rows) if entity is not None else []
        self._justify_neighbours(labels, entity_id)
        self._log("read", entity_id)
        if entity is None and not total:
            raise not_visible(entity_id)
        if entity is not None:
            self._log("read-statements", entity_id)
        self._log("neighbours", entity_id, shown_detail(neighbours, total))
        return EntityPage(entity, records, neighbours, total, self.schema_conflicts.get(entity_id))

    def require(self, entity_id: str) -> StatementEntity:
        """`entity`, or `not_visible` raised when none of its statements is visible."""
        entity = self.entity(entity_id)
        if entity is None:
            raise not_visible(entity_id)
        return entity

    def entities(self, entity_ids: Iterable[str]) -> dict[str, StatementEntity]:
        """The visible entities among `entity_ids`, by id (an id with no visible statement
        is left out). Audited, as `entity()` is, with one `read-entities` event per call
        (none for no ids): its target names the ids (`_ids_target`), its detail lists every
        id asked for and how many were found. Sensitive entities need a reason as in
        `entity()`: without one the whole call is refused, unlogged, before anything is shown."""
        ids = sorted(set(entity_ids))
        with self.store.engine.connect() as conn:
            out = self._entities(conn, ids)
        if ids:
            self._log("read-entities", _ids_target(ids), {"ids": ids, "found": len(out)})
        return out

    def _entities(
        self,
        conn: Connection,
        ids: list[str],
        named: bool = True,
        labels: set[int] | None = None,
    ) -> dict[str, StatementEntity]:
        """`entities` of sorted, distinct `ids` read by `conn`, unaudited (for reads
        audited otherwise); `named`: the reader named them (see `_justify`)."""
        out: dict[str, StatementEntity] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = conn.execute(
                select(*ENTITY_ROW)
                .where(statements.c.entity_id.in_(chunk), self._visible())
                .order_by(statements.c.entity_id)
            ).all()
            if labels is not None:  # (the caller justifies them: `_neighbour_page`)
                labels.update(int(r[10]) for r in rows)
            for ent in self._group(rows, named, justify=labels is None):
                assert ent.id is not None
                out[ent.id] = ent
        return out

    def _group(
        self, rows: Iterable[Sequence[Any]], named: bool = True, justify: bool = True
    ) -> Iterator[StatementEntity]:
        """Entities of `ENTITY_ROW` rows ordered by entity id."""
        for _rows, ent in self._groups(rows, named, justify):
            yield ent

    def _groups(
        self, rows: Iterable[Sequence[Any]], named: bool = True, justify: bool = True
    ) -> Iterator[tuple[list[Sequence[Any]], StatementEntity]]:
        """`_group`'s entities, each with the rows it was assembled from."""
        current: list[Sequence[Any]] = []
        for row in rows:
            if current and current[0][0] != row[0]:
                ent = self._assemble(current, named, justify=justify)
                if ent is not None:
                    yield current, ent
                current = []
            current.append(row)
        if current:
            ent = self._assemble(current, named, justify=justify)
            if ent is not None:
                yield current, ent

    def statements(self, entity_id: str) -> list[StatementRecord]:
        """The entity's visible statements, each with dataset, marking and source record."""
        records, label_ids = self._statement_records(entity_id)
        self._justify(label_ids, entity_id)
        self._log("read-statements", entity_id)
        return records

    def _statement_records(self, entity_id: str) -> tuple[list[StatementRecord], list[int]]:
        """`statements`, unjustified and unaudited, and the labels they are under."""
        with self.store.engine.connect() as conn:
            rows = conn.execute(self._records_query(), {"entity_id": entity_id}).all()
        return self._records(rows), [int(r[10]) for r in rows]

    def _records_query(self) -> Select[Any]:
        """An entity's visible statements: the `ENTITY_ROW` columns (an entity is assembled
        from them), then the statement's and its dataset's legal basis, its source and row
        (`_records`). Built at first use; only the id is bound per read."""
        if self._records_built is None:
            self._records_built = self._entity_query.add_columns(
                statements.c.legal_basis,
                datasets.c.legal_basis.label("dataset_legal_basis"),
                statements.c.source_id,
                statements.c.source_row,
            ).join_from(statements, datasets, datasets.c.id == statements.c.dataset_id)
        return self._records_built

    def _records(self, rows: Iterable[Sequence[Any]]) -> list[StatementRecord]:
        """The statement records of `_records_query`'s rows, ordered by property, value and
        dataset; their labels' texts are those this view was made with (the only labels
        whose statements it sees)."""
        records = []
        for r in rows:
            marking, releasable, owner = self._labels[int(r[10])]
            records.append(
                StatementRecord(
                    r[1],
                    r[0],
                    *self._prop(r[2]),
                    r[3],
                    self._dataset_name(r[4]),
                    marking,
                    releasable,
                    owner,
                    r[11] or r[12] or None,
                    self._source_ref(r[13], r[14]),
                    r[7],
                    r[8],
                    r[5],
                    r[6],
                )
            )
        return sorted(records, key=lambda rec: (rec.prop, rec.value, rec.dataset))

    def _source_ref(self, source_id: int | None, row: int | None) -> str | None:
        if source_id is None:
            return None
        if source_id not in self._sources:  # a source registered after this view was made
            self._load_catalog()
        name = self._sources.get(source_id, str(source_id))
        return name if row is None else f"{name}:{row}"

    def held_elsewhere(self, entity_ids: Sequence[str], dataset: str) -> dict[str, int]:
        """How many of `entity_ids` (distinct) each dataset other than `dataset` holds
        visible statements about: the entities an ingest of `dataset` with these ids would
        merge with, as far as the principal may know (another agency's hidden entities are
        merged all the same, but telling the loader of them would tell what it may not
        see). Read by the statements' key (entity_id first), in chunks; not audited (a
        count, asked by the ingest, which is)."""
        held: Counter[str] = Counter()
        query = (
            select(statements.c.dataset_id, func.count(statements.c.entity_id.distinct()))
            .where(statements.c.entity_id.in_(bindparam("ids", expanding=True)), self._visible())
            .group_by(statements.c.dataset_id)
        )
        with self.store.engine.connect() as conn:
            for start in range(0, len(entity_ids), _ID_CHUNK):
                chunk = list(entity_ids[start : start + _ID_CHUNK])
                for dataset_id, n in conn.execute(query, {"ids": chunk}):
                    held[self._dataset_name(int(dataset_id))] += int(n)
        held.pop(dataset, None)
        return dict(held)

    # -- aggregates ----------------------------------------------------------------------
    def counts(self) -> Counts:
        """Entities by schema and statements/entities by dataset, from visible statements,
        each in name order.

        One scan in entity order (the table's clustered key): per entity, its statements'
        schemata and the dataset of each statement; then one row per distinct combination,
        tallied here (few: entities of one kind from one source look alike)."""
        by_schema: Counter[str] = Counter()
        by_ds_stmts: Counter[str] = Counter()
        by_ds_ents: Counter[str] = Counter()
        with self.store.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                schemata = func.string_agg(func.distinct(props.c.schema), ",")
                dsets = func.string_agg(cast(statements.c.dataset_id, Text), ",")
            else:
                schemata = func.group_concat(func.distinct(props.c.schema))
                dsets = func.group_concat(statements.c.dataset_id)
            per_entity = (
                select(schemata.label("schemata"), dsets.label("dsets"))
                .select_from(statements.join(props, props.c.id == statements.c.prop_id))
                .where(self._visible())
                .group_by(statements.c.entity_id)
                .subquery()
            )
            rows = conn.execute(
                select(per_entity.c.schemata, per_entity.c.dsets, func.count().label("n")).group_by(
                    per_entity.c.schemata, per_entity.c.dsets
                )
            )
            for r in rows:
                n = int(r.n)
                by_schema[entity_schema(frozenset(str(r.schemata).split(",")))] += n
                for ds_id, k in Counter(str(r.dsets).split(",")).items():
                    name = self._dataset_name(int(ds_id))
                    by_ds_stmts[name] += k * n
                    by_ds_ents[name] += n
        # in name order: the backends' GROUP BY orders differ, callers should not see it
        return Counts(*(dict(sorted(c.items())) for c in (by_schema, by_ds_stmts, by_ds_ents)))


def not_visible(entity_id: str) -> NotFound:
    """The answer to a read of an id of which the reader sees nothing: no statement of its
    own, nor (for `ironriver entity`) one of another entity referring to it. The same
    whether its statements are hidden or held by no one."""
    return NotFound(
        msg("No entity {entity_id!r} is visible to you.", entity_id=entity_id),
        hint=msg("Check the id, or search: ironriver search NAME"),
    )


def entity_dict(entity: StatementEntity) -> dict[str, Any]:
    """FtM's dict of `entity` (`to_dict()`), with every list sorted: FtM builds them from
    sets, whose order changes from one process to the next, so two exports of the same
    visible statements would differ in their bytes. Sorted, they are equal (diffable,
    hashable, signable)."""
    data = entity.to_dict()
    data["properties"] = {prop: sorted(values) for prop, values in data["properties"].items()}
    for key in ("referents", "datasets", "origin"):
        if key in data:
            data[key] = sorted(data[key])
    return data


def _ids_target(ids: Sequence[str]) -> str:
    """The audit target of a read of `ids` (sorted): the id itself for one, so that
    `audit log --target ID` finds it like an `entity()` read; the first `_TARGET_IDS` ids,
    comma-separated, and how many more, for many."""
    shown = ",".join(ids[:_TARGET_IDS])
    more = len(ids) - _TARGET_IDS
    return f"{shown} (+{more})" if more > 0 else shown


def _sensitive_text(markings: Iterable[str]) -> str | Msg | None:
    """The AMBER+STRICT and RED markings among `markings`, as a phrase ("AMBER+STRICT and
    RED"), or None when there is none."""
    found = sorted({str(m) for m in markings} & set(SENSITIVE))
    if not found:
        return None
    if len(found) == 1:
        return found[0]
    return msg("{first} and {second}", first=found[0], second=found[1])
