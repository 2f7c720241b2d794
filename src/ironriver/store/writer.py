"""Writing statements: `Writer`, the one transaction of `Store.writer()`.

It registers dictionary rows (properties, sources, access labels), adds Arrow tables of
statements and their lookup rows (`statement_keys`, `statement_refs`), copies a staged
ingest in (`ironriver.store.staging`), retracts statements (tombstones) and keeps
`statement_tally` in step. Nothing here commits: `Store.writer` does, once, at the end.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Select, bindparam, delete, func, or_, select, true, update

from ironriver.errors import NotFound, StoreError
from ironriver.i18n import msg
from ironriver.policy.markings import AccessLabel, Marking, parse_releasable, releasable_text
from ironriver.prefetch import prefetch
from ironriver.store import dialect
from ironriver.store.ids import KIND_IDENTIFIER, KIND_NAME, search_keys_arrow
from ironriver.store.staging import (
    LOOKUPS,
    STAGE_ALIAS,
    PropCoder,
    StagedTable,
    StatementStage,
    as_table,
    prop_type,
    staged_lookup,
)
from ironriver.store.tables import (
    datasets,
    labels,
    props,
    sources,
    statement_keys,
    statement_refs,
    statement_sources,
    statement_tally,
    statements,
)

if TYPE_CHECKING:  # (store.py imports this module)
    from ironriver.store.store import DatasetInfo, Store


REQUIRED_COLUMNS = ("id", "entity_id", "schema", "prop", "value")
LOOKUP_TABLES = {"statement_keys": statement_keys, "statement_refs": statement_refs}
_ID_CHUNK = 500  # entity ids per IN list (well below the backends' bounds)
# a statement kind keyed in `statement_keys`, and an FtM type of its values (`search_key`)
_KEYED_AS = {KIND_NAME: "name", KIND_IDENTIFIER: "identifier"}
OPTIONAL_COLUMNS = ("lang", "original_value", "origin", "first_seen", "last_seen", "source_ref")
BATCH_ROWS = 200_000


_DATASET_LOCK = "ironriver.dataset."  # PostgreSQL advisory lock key text (`_guard_labels`)


def _label_row(label: AccessLabel) -> dict[str, str]:
    """An access label as its `labels` row's columns (not its id)."""
    return {
        "owner_agency": label.owner_agency.upper(),
        "owner_country": label.owner_country.upper(),
        "marking": label.marking.value,
        "releasable_to": releasable_text(label.releasable_to),
    }


def labels_of(dataset: str) -> Select[Any]:
    """The labels statements of `dataset` were ever stored under (its `statement_tally`
    rows, kept for every (dataset, label) written: `Writer.flush_tally`), as a subquery for
    `statements.c.label_id.in_(...)`: with the entity id and the statement id, a statement
    found by its whole key, never by a range over the entity's statements of other labels
    (their number would tell in the time of a retraction or a replace; review R26 F1)."""
    return (
        select(statement_tally.c.label_id)
        .join(datasets, datasets.c.id == statement_tally.c.dataset_id)
        .where(datasets.c.name == dataset)
    )


class Writer:
    """Adds statements inside one transaction (see `Store.writer`)."""

    def __init__(self, store: Store, conn: Connection) -> None:
        self.store = store
        self.conn = conn
        self._dataset_ids: dict[str, int] = {}
        self._props: dict[tuple[str, str], int] = {}
        self._sources: dict[str, int] = {}
        self._labels: dict[AccessLabel, int] = {}
        self._tally: Counter[tuple[int, int]] = Counter()
        self._guarded: dict[int, bool] = {}  # dataset id -> locked alone (`_guard_labels`)
        self._own_labels: dict[int, int | None] = {}  # dataset id -> its own label's id
        self._written: set[tuple[int, int]] = set()  # (dataset, label) this write stored under
        # statement rows this write updated (a retraction, a source record moved): locked
        # until its commit, so a lock taken alone after them could deadlock (`_guard_labels`)
        self._rows_locked = False

    def ensure_dataset(self, info: DatasetInfo) -> int:
        ds_id = self.store.ensure_dataset(info, self.conn)
        self._dataset_ids[info.name] = ds_id
        self._own_labels.pop(ds_id, None)  # (its label may have changed: `_guard_labels`)
        return ds_id

    def _dataset_id(self, name: str) -> int:
        if name not in self._dataset_ids:
            found = self.conn.execute(select(datasets.c.id).where(datasets.c.name == name)).scalar()
            if found is None:
                raise NotFound(
                    msg("Dataset {name!r} is not declared.", name=name),
                    hint=msg(
                        "Declare it first (Store.ensure_dataset or the mapping's dataset block)."
                    ),
                )
            self._dataset_ids[name] = int(found)
        return self._dataset_ids[name]

    @contextmanager
    def dictionary(self) -> Iterator[Connection]:
        """The connection that registers dictionary rows (`props`, `labels`, `sources`).

        PostgreSQL: a connection of its own, committed at once. Inserted in the write's long
        transaction, a new row stayed locked until its commit, so two ingests meeting the
        same two new properties in opposite orders each waited for the other's (a deadlock,
        which PostgreSQL ended by failing one of them). Committed at once, these rows lock
        nothing the write holds. One that no statement uses (its ingest then failed) is
        harmless: nothing lists or counts dictionary rows, a view reads them only through
        the statements it may see. SQLite: the write's own transaction (its writers take
        turns, and a second connection would wait for this one's write lock)."""
        if self.conn.dialect.name != "postgresql":
            yield self.conn
            return
        with self.store.engine.begin() as own:
            yield own

    def _prop_ids(self, pairs: list[tuple[str, str]]) -> list[int]:
        """The props.id of each (schema, property), registering the new ones."""
        new = [pair for pair in dict.fromkeys(pairs) if pair not in self._props]
        if new:
            rows = [{"schema": s, "prop": p, "prop_type": prop_type(s, p)} for s, p in new]
            with self.dictionary() as conn:
                found = dialect.register(conn, props, ("schema", "prop"), rows)
            self._props.update({(str(s), str(p)): i for (s, p), i in found.items()})
        return [self._props[pair] for pair in pairs]

    def _source_ids(self, names: list[str]) -> list[int]:
        """The sources.id of each source file name, registering the new ones."""
        new = [name for name in dict.fromkeys(names) if name not in self._sources]
        if new:
            with self.dictionary() as conn:
                found = dialect.register(conn, sources, ("name",), [{"name": n} for n in new])
            self._sources.update({str(n): i for (n,), i in found.items()})
        return [self._sources[name] for name in names]

    def _label_id(self, label: AccessLabel) -> int:
        """The labels.id of an access label, registering it when new."""
        if label not in self._labels:
            row = _label_row(label)
            with self.dictionary() as conn:
                [label_id] = dialect.register(conn, labels, tuple(row), [row]).values()
            self._labels[label] = label_id
        return self._labels[label]

    def _encode_props(self, table: pa.Table) -> pa.Table:
        """Replace schema/prop by prop_id and kind (row order kept); add search keys."""
        coder = PropCoder()
        table = coder.encode(table)
        ids = pa.array(self._prop_ids(coder.props), pa.int32())
        prop_ids = pc.take(ids, table.column("pcode"))
        return table.drop_columns(["pcode"]).append_column("prop_id", prop_ids)

    def _encode_sources(self, table: pa.Table) -> pa.Table:
        """Split `source_ref` ("file.csv:12") into source_id and source_row."""
        if "source_ref" not in table.column_names:
            return table
        refs = table.column("source_ref").combine_chunks()
        table = table.drop_columns(["source_ref"])
        if refs.null_count == len(refs):
            return table
        parts = pc.extract_regex(refs, pattern=r"^(?P<file>.*):(?P<row>[0-9]+)$")
        files = pc.if_else(pc.is_valid(parts), pc.struct_field(parts, "file"), refs)
        rows = pc.cast(pc.struct_field(parts, "row"), pa.int64())
        encoded = files.dictionary_encode()
        names = [str(name) for name in encoded.dictionary.to_pylist()]
        ids = pa.array(self._source_ids(names), pa.int32())
        table = table.append_column("source_id", pc.take(ids, encoded.indices))
        return table.append_column("source_row", rows)

    def _guard_labels(self, dataset_id: int, label_id: int) -> None:
        """PostgreSQL: hold the dataset's advisory lock until the commit, shared by writes
        under its own label, alone by a write under another (a library write, `Writer`'s
        callers: no command makes one, `ingest` refuses a label other than the dataset's),
        before `_other_labels` is read: writers run at once there, and two writes of one
        statement under two labels, each blind to the other's uncommitted row, would store
        it twice (under one label the key keeps it once). A write holding it shared that
        then wants it alone is refused (two such writes would wait for each other; review
        R26 F4), and so is one wanting it alone after it updated statement rows
        (`_rows_locked`: a retraction; review R28 F1). SQLite writes one at a time: nothing
        to hold."""
        if self.conn.dialect.name != "postgresql":
            return
        if dataset_id not in self._own_labels:
            row = self.conn.execute(select(datasets).where(datasets.c.id == dataset_id)).one()
            info = AccessLabel(
                row.agency, row.country, Marking(row.marking), parse_releasable(row.releasable_to)
            )
            self._own_labels[dataset_id] = self.conn.execute(  # (read, not registered: a
                # label no write used has no row)
                select(labels.c.id).where(
                    *(labels.c[column] == v for column, v in _label_row(info).items())
                )
            ).scalar()
        own = self._own_labels[dataset_id]
        alone = own is None or label_id != int(own)
        if dataset_id in self._guarded and (self._guarded[dataset_id] or not alone):
            return  # (held already, as needed)
        if dataset_id in self._guarded:  # shared, now wanted alone: two such writes deadlock
            raise StoreError(
                msg(
                    "One write stores statements of dataset {dataset_id} under its own label "
                    "and another (PostgreSQL).",
                    dataset_id=dataset_id,
                ),
                hint=msg("Store them in two writes (Store.writer), one per label."),
            )
        if alone and self._rows_locked:
            # holding statement rows, it would wait alone for the writers under the dataset's
            # own label while one of them may wait for a row it holds (review R28 F1: a
            # retraction, then a write under another label, deadlocked with a load of the
            # retracted statement). (Another dataset's lock held first is allowed: library
            # writes of several datasets do it, and two such writes taking their datasets
            # alone in opposite orders are the one cycle left: PostgreSQL cancels one.)
            raise StoreError(
                msg(
                    "A write under a label other than dataset {dataset_id}'s own comes after "
                    "retractions in one write (PostgreSQL).",
                    dataset_id=dataset_id,
                ),
                hint=msg("Make it a write of its own (Store.writer), or the first of its write."),
            )
        lock = func.pg_advisory_xact_lock if alone else func.pg_advisory_xact_lock_shared
        self.conn.execute(select(lock(func.hashtext(f"{_DATASET_LOCK}{int(dataset_id)}"))))
        self._guarded[dataset_id] = alone

    def _other_labels(self, dataset_id: int, label_id: int) -> list[int]:
        """The labels other than `label_id` that statements of the dataset were stored under
        (retracted ones too): the only labels a copy of one of its statements can be under
        (a statement id hashes its dataset). `statement_tally` keeps a row for each (never
        removed; 0016 added those of retracted statements), and this write's own are in
        `_tally` until its end. Usually none: a dataset keeps its label."""
        return sorted(set(self.dataset_labels(dataset_id)) - {label_id})

    def dataset_labels(self, dataset_id: int) -> list[int]:
        """Every label statements of the dataset were stored under, this write's included
        (`_other_labels`)."""
        found = self.conn.execute(
            select(statement_tally.c.label_id).where(statement_tally.c.dataset_id == dataset_id)
        ).scalars()
        pending = (lb for ds, lb in self._written if ds == dataset_id)
        return sorted({int(i) for i in found} | set(pending))

    def flush_tally(self) -> None:
        """Add the statements this write added or retracted to `statement_tally`
        (`Store.writer` calls it last, before the commit). Once per (dataset, label), in
        key order, at the end: each row is locked until the commit, so a write that
        updated it after its first batch made a second write into the same dataset wait
        there, and if that one had meanwhile added statements the first met in its next
        batch, each waited for the other (a deadlock on PostgreSQL)."""
        # (a pair this write stored under keeps its row even at n = 0: statements added and
        # retracted in one write are still stored under it, `_other_labels`; review R26 F3)
        counts = {pair: 0 for pair in self._written} | dict(self._tally)
        dialect.add_to_tally(self.conn, statement_tally, dict(sorted(counts.items())))
        self._tally.clear()
        self._written.clear()

    def add_statements(
        self,
        table: pa.Table,
        dataset: str,
        label: AccessLabel,
        legal_basis: str | None = None,
        source: str | None = None,
        presorted: bool = False,
        keep_conflicts: bool = False,
    ) -> int:
        """Add an Arrow table of statements (see REQUIRED/OPTIONAL_COLUMNS); return how many
        were new. Known statement ids are ignored, so adding the same table twice is a no-op.

        `legal_basis` is only for statements whose basis differs from their dataset's (the
        dataset's own applies otherwise). Each statement's source record is either `source_ref` ("file.csv:12") per row, or the
        file name `source` with an integer `source_row` column. `presorted` says the rows
        already come in (entity_id, id) order (saves a sort)."""
        missing = [c for c in REQUIRED_COLUMNS if c not in table.column_names]
        if missing:
            raise StoreError(
                msg("Statement table lacks columns {columns}.", columns=missing),
                hint=msg("Provide {columns}.", columns=list(REQUIRED_COLUMNS)),
            )
        if table.num_rows == 0:
            return 0
        ds_id = self._dataset_id(dataset)
        label_id = self._label_id(label)
        for col in REQUIRED_COLUMNS:
            if table.column(col).null_count:
                raise StoreError(
                    msg("Statement column {column!r} has empty values.", column=col),
                    hint=msg("Every statement needs an id, entity, schema, prop, value."),
                )
        table = self._encode_sources(self._encode_props(table))
        constants: dict[str, int | bool | None] = {
            "dataset_id": ds_id,
            "label_id": label_id,
            "retracted": False,
        }
        source_id = None  # (else each row's own, if any: `source_ref`)
        if source is not None:
            [source_id] = self._source_ids([source])
            constants["source_id"] = source_id
        if not presorted:  # clustered-key order makes the inserts near-sequential
            table = table.sort_by([("entity_id", "ascending"), ("id", "ascending")])
        if legal_basis is not None:
            table = table.append_column(
                "legal_basis", pa.repeat(pa.scalar(legal_basis, pa.string()), table.num_rows)
            )
        columns = [
            c
            for c in dialect.STATEMENT_COLUMNS
            if c in table.column_names
            and (c in REQUIRED_COLUMNS or table.column(c).null_count < table.num_rows)
        ]
        self._guard_labels(ds_id, label_id)
        others = self._other_labels(ds_id, label_id)
        added = 0
        for start in range(0, table.num_rows, BATCH_ROWS):
            part = table.slice(start, BATCH_ROWS).select(columns)
            added += dialect.insert_rows(
                self.conn,
                "statements",
                part,
                constants,
                keep_conflicts=keep_conflicts,
                stored_under=others,
            )
        odd = None
        if added < table.num_rows:  # some were stored already (`_odd_statements`)
            odd = self._odd_statements(table, label_id, source_id, [label_id, *others])
            self._add_sources(table, odd, source_id)
        self._add_lookups(table, label_id, odd)
        self._tally[(ds_id, label_id)] += added
        if added:
            self._written.add((ds_id, label_id))
        return added

    def _add_lookups(self, table: pa.Table, label_id: int, odd: pa.Table | None) -> None:
        """The `statement_keys` and `statement_refs` rows of these statements, each table
        in its own key order, under their statements' labels. `odd` None: every statement
        was new, so its label is `label_id`; else some were stored already, and those stored
        under another label (an entity file may be ingested under another label than its
        dataset's) or retracted since (their rows went with the retraction and must not come
        back) are among `odd` (`_odd_statements`, usually none): their rows take the stored
        label, or are left out."""
        if odd is not None:
            odd = odd.filter(
                pc.or_(odd.column("retracted"), pc.not_equal(odd.column("label_id"), label_id))
            )
        for name, make in LOOKUPS.items():
            rows = make(table)
            if not rows.num_rows:
                continue
            order = [(c, "ascending") for c in rows.column_names]
            parts = [(rows, label_id)]
            if odd is not None and odd.num_rows:
                keys = ["entity_id", "id"]
                parts = [(rows.join(odd, keys, join_type="left anti"), label_id)]
                labelled = rows.join(
                    odd.filter(pc.invert(odd.column("retracted"))), keys, join_type="inner"
                )
                for label in sorted(pc.unique(labelled.column("label_id")).to_pylist()):
                    part = labelled.filter(pc.equal(labelled.column("label_id"), label))
                    parts.append((part.select(rows.column_names), int(label)))
            for part, label in parts:
                if part.num_rows:
                    dialect.insert_rows(self.conn, name, part.sort_by(order), {"label_id": label})

    def _odd_statements(
        self, table: pa.Table, label_id: int, source_id: int | None, within: list[int]
    ) -> pa.Table:
        """(entity_id, id, label_id, retracted, source_id) of the statements of `table`
        stored under another label than `label_id`, retracted, or stored with another
        source file than this write's `source_id` (with a `source_id` column instead, one
        per row: all of them, whatever file or none they are stored with, compared row by
        row in `_add_sources`), read by entity id (the clustered key's prefix), in chunks; those of other entities'
        statements too (the joins drop them)."""
        wanted = pc.unique(table.column("entity_id").combine_chunks()).to_pylist()
        s = statements.c
        odd = [s.retracted.is_(True), s.label_id != label_id]
        if source_id is not None:
            odd.append(s.source_id.is_distinct_from(source_id))
        elif "source_id" in table.column_names:  # one per row (`source_ref`): compared below
            # any stored source, none included: a row's file is another than none too,
            # recorded as a `source` write records it (`_add_sources` skips rows of no file)
            odd.append(true())
        # under the dataset's labels (`within`) only: a copy can be under no other, and the
        # entity's statements under other labels (other agencies' hidden ones among them)
        # are not read (review R27 F1: 20,000 of them were, at each re-ingest)
        query = select(s.entity_id, s.id, s.label_id, s.retracted, s.source_id).where(
            s.entity_id.in_(bindparam("ids", expanding=True)),
            s.label_id.in_(sorted(set(within))),
            or_(*odd),
        )
        found: list[Any] = []
        for start in range(0, len(wanted), _ID_CHUNK):
            found += self.conn.execute(query, {"ids": wanted[start : start + _ID_CHUNK]}).all()
        return pa.table(
            {
                "entity_id": pa.array([r[0] for r in found], pa.string()),
                "id": pa.array([r[1] for r in found], pa.string()),
                "label_id": pa.array([r[2] for r in found], pa.int64()),
                "retracted": pa.array([bool(r[3]) for r in found], pa.bool_()),
                "source_id": pa.array([r[4] for r in found], pa.int64()),
            }
        )

    def _add_sources(self, table: pa.Table, odd: pa.Table, source_id: int | None) -> None:
        """Record in `statement_sources` the source file (and row) by which `table` states
        again a standing statement stored with another source (among `odd`:
        `_odd_statements`); `source_id`: the write's file, else each row's own column."""
        if source_id is None and "source_id" not in table.column_names:
            return  # (no source file: nothing to record)
        keys = ["entity_id", "id"]
        standing = odd.filter(pc.invert(odd.column("retracted")))
        if not standing.num_rows:
            return
        ours = table.select(keys)
        ours = ours.append_column(
            "source_id",
            pa.repeat(pa.scalar(source_id, pa.int64()), table.num_rows)
            if source_id is not None
            else table.column("source_id").cast(pa.int64()),
        )
        rows = table.column("source_row") if "source_row" in table.column_names else None
        ours = ours.append_column(
            "source_row",
            rows.cast(pa.int64()) if rows is not None else pa.nulls(table.num_rows, pa.int64()),
        )
        stored = standing.select([*keys, "source_id"]).rename_columns([*keys, "stored"])
        met = ours.join(stored, keys, join_type="inner")
        other = pc.and_(
            pc.is_valid(met.column("source_id")),
            pc.fill_null(pc.not_equal(met.column("source_id"), met.column("stored")), True),
        )
        met = met.filter(other).select([*keys, "source_id", "source_row"])
        if met.num_rows:
            order = [(c, "ascending") for c in (*keys, "source_id")]
            dialect.insert_rows(self.conn, "statement_sources", met.sort_by(order))

    def add_staged(self, stage: StatementStage) -> int:
        """Copy every staged table into the store (see `ironriver.store.staging`); return
        how many statements were new. File-backed: one `INSERT OR IGNORE ... SELECT` per
        staged table, run by SQLite in C; otherwise the batches go through `add_statements`."""
        for staged in stage.tables:
            if staged.table is None:  # an Arrow stage (rows counted when staged)
                for table in prefetch(staged.batches(), as_table):
                    staged.added += self.add_statements(
                        table,
                        staged.dataset,
                        staged.label,
                        source=staged.source,
                        presorted=staged.presorted,
                        keep_conflicts=True,  # (for `new_to`)
                    )
                continue
            staged.added += self._copy_staged(staged)
        return sum(staged.added for staged in stage.tables)

    def new_to(self, stage: StatementStage, seen: Callable[[AccessLabel], bool]) -> int:
        """How many of the statements `stage` holds (each once), once `add_staged` copied
        them, were not standing under a label `seen` accepts before it did: new to a
        principal who sees those labels (`ironriver.ingest`: new *to the loader*), whether the
        store lacked them or held them unseen (another label's, or retracted, which the copy
        left as they were). Equal to `add_staged`'s count when that added every row
        staged: the store then held none of them (no query). PostgreSQL: what it added, and
        the statements it held before and hides (`dialect.count_hidden_conflicts`, over the
        batches that met a stored key); SQLite: the staged statements less those standing
        under a label `seen` accepts that were there before (`dialect.count_standing`)."""
        added = sum(staged.added for staged in stage.tables)
        if added == stage.rows:
            return added
        rows = self.conn.execute(select(labels)).all()
        seen_ids = [
            int(r.id)
            for r in rows
            if seen(
                AccessLabel(
                    r.owner_agency,
                    r.owner_country,
                    Marking(r.marking),
                    parse_releasable(r.releasable_to),
                )
            )
        ]
        # a staged statement can be stored only under a label of its own dataset: those
        # alone are looked up, each a primary-key probe (review R26 F2: one per label seen;
        # R27 F1: on PostgreSQL, a range over the entity's statements of every label)
        own = {
            label
            for staged in stage.tables
            for label in self.dataset_labels(self._dataset_id(staged.dataset))
        }
        if self.conn.dialect.name == "postgresql":  # (an Arrow stage: `add_statements`)
            return added + dialect.count_hidden_conflicts(self.conn, seen_ids, sorted(own))
        seen_ids = [i for i in seen_ids if i in own]
        if stage.file_backed:
            tables = [s for s in stage.tables if s.table is not None]
            names = [f"{STAGE_ALIAS}.{s.table}" for s in tables]
            unique = len(tables) == 1 and tables[0].unique
            distinct, standing = dialect.count_standing(
                self.conn, seen_ids, tables=names, unique=unique
            )
        else:
            batches = (
                as_table(batch).select(["entity_id", "id"])
                for staged in stage.tables
                for batch in staged.batches()
            )
            distinct, standing = dialect.count_standing(self.conn, seen_ids, batches=batches)
        # the rows the copy added stand now, under their staged table's label
        added_seen = sum(s.added for s in stage.tables if seen(s.label))
        return distinct - (standing - added_seen)

    def _copy_staged(self, staged: StagedTable) -> int:
        assert staged.table is not None and staged.table.isidentifier()
        ds_id = self._dataset_id(staged.dataset)
        label_id = self._label_id(staged.label)
        source_id = self._source_ids([staged.source])[0] if staged.source is not None else None
        whens = " ".join(
            f"WHEN {code} THEN {prop_id}"
            for code, prop_id in enumerate(self._prop_ids(staged.props))
        )
        copied = [c for c in staged.columns if c != "pcode"]
        for name in copied:  # identifiers below come from fixed lists only
            if name not in dialect.STATEMENT_COLUMNS:
                raise ValueError(f"not a statement column: {name}")
        fixed = {
            "prop_id": f"CASE pcode {whens} END",
            "dataset_id": str(ds_id),
            "label_id": str(label_id),
            "source_id": "NULL" if source_id is None else str(source_id),
            "retracted": "0",
        }
        targets = ", ".join([*(f'"{c}"' for c in copied), *fixed])
        values = ", ".join([*(f'"{c}"' for c in copied), *fixed.values()])
        raw = self.conn.connection.driver_connection
        assert raw is not None
        # a statement the store holds under another label of its dataset is not copied
        # (the key holds the label: `_other_labels`); usually there is none to look in
        others = self._other_labels(ds_id, label_id)
        held = dialect.not_stored_under(others)
        before = raw.total_changes
        raw.execute(
            f"INSERT OR IGNORE INTO statements ({targets}) "
            f"SELECT {values} FROM {STAGE_ALIAS}.{staged.table} AS t{held}"
            + ("" if staged.presorted else " ORDER BY entity_id, id")
        )
        added = int(raw.total_changes - before)
        self._tally[(ds_id, label_id)] += added
        if added:
            self._written.add((ds_id, label_id))
        # the lookup rows, staged beside the statements already in their key order (a scan
        # of the side table returns them in insertion order): appended without a sort, under
        # the write's label; when some statements were stored already, those stored under
        # another label or retracted (`_add_lookups`; found in the clustered order, usually
        # none) take their stored label, or none (those `_odd_staged` finds stored with
        # another source file take theirs too, which is the write's)
        odd = ""
        if added < staged.rows:
            row = "t.source_row" if "source_row" in staged.columns else "NULL"
            odd = self._odd_staged(raw, staged.table, [label_id, *others], source_id, row)
        if odd and source_id is not None:  # this file states them again: recorded
            raw.execute(
                "INSERT OR IGNORE INTO statement_sources (entity_id, id, source_id, source_row) "
                f"SELECT entity_id, id, {int(source_id)}, source_row FROM {odd} "
                f"WHERE NOT retracted AND source_id IS NOT {int(source_id)} ORDER BY entity_id, id"
            )
        for name in LOOKUPS:
            names = [c for c in dialect.TABLE_COLUMNS[name] if c != "label_id"]
            cols = ", ".join(f'"{c}"' for c in names)
            side = f"{STAGE_ALIAS}.{staged_lookup(staged.table, name)}"
            into = f'INSERT OR IGNORE INTO {name} ({cols}, "label_id") '
            if not odd:
                raw.execute(f"{into}SELECT {cols}, {label_id} FROM {side}")
                continue
            raw.execute(
                f"{into}SELECT {cols}, {label_id} FROM {side} AS k WHERE NOT EXISTS "
                f"(SELECT 1 FROM {odd} AS o WHERE o.entity_id = k.entity_id AND o.id = k.id)"
            )
            raw.execute(
                f"{into}SELECT {', '.join(f'k.{c}' for c in names)}, o.label_id "
                f"FROM {odd} AS o JOIN {side} AS k ON o.entity_id = k.entity_id "
                "AND o.id = k.id WHERE NOT o.retracted"
            )
        if odd:
            raw.execute(f"DROP TABLE {odd}")
        return added

    def _odd_staged(
        self, raw: Any, table: str, label_ids: list[int], source_id: int | None, source_row: str
    ) -> str:
        """A temporary table of the statements of staged table `table` stored under another
        label than the write's (`label_ids[0]`; the others are the dataset's other labels,
        `_other_labels`, the only ones a copy can be under), retracted, or (`source_id` not
        None) stored with another source file (entity_id, id, label_id, retracted,
        source_id, and the staged `source_row`, an expression of the staged table `t`),
        keyed by statement; "" (and no table) when there are none. One pass over the staged
        statements in the clustered order, each found by its key under each label."""
        odd = f"temp.{table}_odd"
        label_id = label_ids[0]
        within = ", ".join(str(int(i)) for i in label_ids)
        other = "" if source_id is None else f" OR s.source_id IS NOT {int(source_id)}"
        raw.execute(
            f"CREATE TABLE {odd} (entity_id TEXT, id TEXT, label_id INTEGER, retracted BOOLEAN, "
            "source_id INTEGER, source_row INTEGER, PRIMARY KEY (entity_id, id)) WITHOUT ROWID"
        )
        raw.execute(
            f"INSERT OR IGNORE INTO {odd} SELECT s.entity_id, s.id, s.label_id, s.retracted, "
            f"s.source_id, {source_row} FROM {STAGE_ALIAS}.{table} AS t CROSS JOIN statements "
            f"AS s ON s.entity_id = t.entity_id AND s.label_id IN ({within}) AND s.id = t.id "
            f"WHERE s.retracted OR s.label_id <> {int(label_id)}{other}"
        )
        if raw.execute(f"SELECT 1 FROM {odd} LIMIT 1").fetchone() is None:
            raw.execute(f"DROP TABLE {odd}")
            return ""
        return odd

    def retract(
        self, refs: Iterable[tuple[str, str]], label_ids: Collection[int] | None = None
    ) -> int:
        """Retract statements given as (entity_id, statement_id) pairs: a tombstone (the row
        stays, hidden from every view; re-ingesting it does not bring it back). `label_ids`:
        the labels they are stored under (a view's, for statements it shows; a dataset's,
        `labels_of`), so that each pair is one primary-key lookup per label, never a range
        over its entity's statements (their number would tell in its time, and an entity of
        20,000 took minutes to retract whole; review R26 F1); None: every label of the
        store (few). Returns how many were visible before (already retracted or unknown
        pairs count 0). Policy (who may retract what) is `ironriver.policy.retract`."""
        if label_ids is None:
            label_ids = self.conn.execute(select(labels.c.id)).scalars().all()
        under = statements.c.label_id.in_(sorted(int(i) for i in label_ids))
        query = (
            update(statements)
            .where(
                statements.c.entity_id == bindparam("e"),
                under,
                statements.c.id == bindparam("i"),
                statements.c.retracted.is_(False),
            )
            .values(retracted=True)
            .returning(
                statements.c.dataset_id,
                statements.c.label_id,
                statements.c.kind,
                statements.c.value,
            )
        )
        gone: Counter[tuple[int, int]] = Counter()
        retracted: list[tuple[str, str, int, int, str]] = []
        self._rows_locked = True  # (`_guard_labels`)
        for entity_id, statement_id in refs:
            for ds_id, label_id, kind, value in self.conn.execute(
                query, {"e": entity_id, "i": statement_id}
            ):
                gone[(int(ds_id), int(label_id))] += 1
                retracted.append((entity_id, statement_id, int(label_id), int(kind), str(value)))
        self._tally.subtract(gone)
        self._drop_lookups(retracted)
        return sum(gone.values())

    def forget_source(
        self,
        source_id: int,
        moved: Iterable[tuple[str, str]],
        dropped: Iterable[tuple[str, str]],
        dataset: str,
    ) -> list[tuple[str, str]]:
        """Source file `source_id` no longer states these standing statements (entity_id,
        id), which another file still does (`ironriver.ingest.replace`). `dropped`: recorded
        in `statement_sources` as stated by it too: that record goes. `moved`: stored with
        it: each takes the record of the other file that states it (the lowest source id,
        the earliest file registered), which leaves `statement_sources`; those of `moved`
        that no other file states (none, unless the caller was wrong) are returned, not
        moved, for the caller to retract. They are statements of `dataset`, found under its
        labels (`labels_of`). One primary-key lookup or delete each; nothing is retracted
        here."""
        ss = statement_sources.c
        self._rows_locked = True  # (`_guard_labels`)
        key = (ss.entity_id == bindparam("e"), ss.id == bindparam("i"))
        forget = delete(statement_sources).where(*key, ss.source_id == bindparam("f"))
        records = [{"e": e, "i": i, "f": source_id} for e, i in dropped]
        if records:
            self.conn.execute(forget, records)
        other = (
            select(ss.source_id, ss.source_row)
            .where(*key, ss.source_id != source_id)
            .order_by(ss.source_id)
            .limit(1)
        )
        s = statements.c
        move = (
            update(statements)
            .where(
                s.entity_id == bindparam("e"),
                s.label_id.in_(labels_of(dataset)),
                s.id == bindparam("i"),
            )
            .values(source_id=bindparam("f"), source_row=bindparam("r"))
        )
        alone = []
        for e, i in moved:
            found = self.conn.execute(other, {"e": e, "i": i}).first()
            if found is None:
                alone.append((e, i))
                continue
            row = {"e": e, "i": i, "f": int(found.source_id), "r": found.source_row}
            self.conn.execute(move, row)
            self.conn.execute(forget, row)
        return alone

    def _drop_lookups(self, retracted: list[tuple[str, str, int, int, str]]) -> None:
        """Delete the lookup rows of the `retracted` statements (entity_id, id, label_id,
        kind, value): no view shows a retracted statement, so no search may read its rows
        (their number would tell of it in a search's time), and a re-ingest does not bring
        them back (`_add_lookups`). Each is one primary-key delete, its keys computed as a
        write computes them (`LOOKUPS`)."""
        if not retracted:
            return
        entity_ids, ids, label_ids, kinds, values = (list(c) for c in zip(*retracted, strict=True))
        prop_types = [_KEYED_AS.get(k, "") for k in kinds]
        table = pa.table(
            {
                "entity_id": pa.array(entity_ids, pa.string()),
                "id": pa.array(ids, pa.string()),
                "kind": pa.array(kinds, pa.int8()),
                "value": pa.array(values, pa.string()),
                "search_key": search_keys_arrow(
                    pa.array(prop_types, pa.string()), pa.array(values, pa.string())
                ),
            }
        )
        label_of = dict(zip(zip(entity_ids, ids, strict=True), label_ids, strict=True))
        for name, make in LOOKUPS.items():
            rows = make(table).to_pylist()
            if not rows:
                continue
            lookup = LOOKUP_TABLES[name]
            for row in rows:
                row["label_id"] = label_of[(row["entity_id"], row["id"])]
            self.conn.execute(
                delete(lookup).where(*(lookup.c[c] == bindparam(c) for c in rows[0])), rows
            )
