"""The statement store: datasets, access labels, statements, judgements and the audit log.

One code path for SQLite (default, WAL) and PostgreSQL, chosen by URL. Writes go through
`Store.writer()`, one atomic transaction; reads go through `ironriver.policy.View`, never
directly. The schema is created and upgraded by Alembic migrations when the store opens.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError as AlembicCommandError
from sqlalchemy import (
    Connection,
    Engine,
    bindparam,
    create_engine,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import DatabaseError, OperationalError

from ironriver.errors import ConfigError, IronriverError, NotFound, ResourceError, StoreError
from ironriver.i18n import msg
from ironriver.logs import get_logger
from ironriver.policy.markings import AccessLabel, Marking, parse_releasable, releasable_text
from ironriver.prefetch import prefetch
from ironriver.scratch import sweep
from ironriver.settings import Settings, shown_url
from ironriver.store import dialect
from ironriver.store.audit import (
    READ_CHAIN_REVISION,
    AuditLog,
    guards_installed,
    install_guards,
    read_audit_path,
)
from ironriver.store.ids import KIND_IDENTIFIER, KIND_NAME, search_keys_arrow
from ironriver.store.ledger_folder import SETTINGS_REVISION, ledger_folder
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
    statement_tally,
    statements,
)

REQUIRED_COLUMNS = ("id", "entity_id", "schema", "prop", "value")
LOOKUP_TABLES = {"statement_keys": statement_keys, "statement_refs": statement_refs}
_ID_CHUNK = 500  # entity ids per IN list (well below the backends' bounds)
# a statement kind keyed in `statement_keys`, and an FtM type of its values (`search_key`)
_KEYED_AS = {KIND_NAME: "name", KIND_IDENTIFIER: "identifier"}
OPTIONAL_COLUMNS = ("lang", "original_value", "origin", "first_seen", "last_seen", "source_ref")
BATCH_ROWS = 200_000
log = get_logger(__name__)


@dataclass(frozen=True)
class DatasetInfo:
    """One agency collection: who owns it and how its facts are marked by default."""

    name: str
    agency: str
    country: str
    marking: Marking = Marking.AMBER
    releasable_to: frozenset[str] = frozenset()
    legal_basis: str = ""
    title: str = ""

    @property
    def label(self) -> AccessLabel:
        return AccessLabel(
            self.agency.upper(), self.country.upper(), self.marking, self.releasable_to
        )


@dataclass(frozen=True)
class LabelRow:
    id: int
    label: AccessLabel


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Store:
    """A statement store bound to one database (and one ledger folder). A file-backed
    SQLite store has a second file beside it, its read-audit log (`audit.read_file`)."""

    def __init__(
        self,
        engine: Engine,
        ledger_dir: Path,
        audit: AuditLog | None = None,
        created: bool = False,
    ) -> None:
        self.engine = engine
        self.ledger_dir = ledger_dir
        self.audit = audit or AuditLog(engine, read_audit_path(engine))
        # whether the open that made this object created the store (an empty database, or
        # no SQLite file): an ingest into a mistyped --db says so (`open_store`)
        self.created = created

    @property
    def dialect(self) -> str:
        return str(self.engine.dialect.name)

    def close(self) -> None:
        self.audit.close()
        self.engine.dispose()

    def ingest_details(self) -> list[dict[str, Any]]:
        """The details of the store's ingest and retract events: an ingest's names the
        ledger parts it placed, a ledger retraction's its marker and the parts it retracted
        (`ledger.recover_parts`)."""
        from ironriver.store.audit import EventFilter

        return [
            e.detail
            for action in ("ingest", "retract")
            for e in self.audit.write_events(EventFilter(action=action))
        ]

    # -- datasets and labels ---------------------------------------------------------------
    def ensure_dataset(self, info: DatasetInfo, conn: Connection | None = None) -> int:
        """Create the dataset if it is new; return its id. An existing dataset keeps its
        owner and its access label: re-declaring it with another agency, or with another
        country, marking, releasability or legal basis, is refused (`check_dataset`)."""
        if conn is None:
            with dialect.write_transaction(self.engine) as own:
                return self.ensure_dataset(info, own)
        row = conn.execute(select(datasets).where(datasets.c.name == info.name)).first()
        if row is not None:
            _check_declaration(row, info)
            return int(row.id)
        dialect.get_or_create(
            conn,
            datasets,
            datasets.c.name == info.name,
            {
                "name": info.name,
                "title": info.title or info.name,
                "agency": info.agency.upper(),
                "country": info.country.upper(),
                "marking": info.marking.value,
                "releasable_to": releasable_text(info.releasable_to),
                "legal_basis": info.legal_basis,
                "created_at": _now(),
            },
        )
        # read back through the checks: another writer may have declared it meanwhile
        return self.ensure_dataset(info, conn)

    def check_dataset(self, info: DatasetInfo) -> None:
        """Raise the `StoreError` `ensure_dataset` would raise for `info` (another owner, or
        another label or legal basis than the stored dataset's), reading only: an ingest
        calls it before it reads any file, and `ensure_dataset` checks again in its write
        transaction. A new dataset passes."""
        with self.engine.connect() as conn:
            row = conn.execute(select(datasets).where(datasets.c.name == info.name)).first()
        if row is not None:
            _check_declaration(row, info)

    def dataset(self, name: str) -> DatasetInfo:
        with self.engine.connect() as conn:
            row = conn.execute(select(datasets).where(datasets.c.name == name)).first()
        if row is None:
            raise NotFound(
                msg("No dataset named {name!r}.", name=name),
                hint=msg("List them: ironriver datasets"),
            )
        return _dataset_info(row)

    def datasets(self) -> list[tuple[int, DatasetInfo]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(datasets).order_by(datasets.c.name)).all()
        return [(int(r.id), _dataset_info(r)) for r in rows]

    def held_entities(self, entity_ids: Iterable[str]) -> set[str]:
        """The ids of `entity_ids` the store holds a statement of, whoever may see it: for
        whoever holds the store (an evaluation's own temporary store), never for a
        principal's read (`View`)."""
        wanted = sorted(set(entity_ids))
        held: set[str] = set()
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), 500):  # IN lists well below the backends' bounds
                part = wanted[start : start + 500]
                query = select(statements.c.entity_id).where(statements.c.entity_id.in_(part))
                held.update(conn.execute(query.distinct()).scalars())
        return held

    def labels(self) -> list[LabelRow]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(labels).order_by(labels.c.id)).all()
        return [
            LabelRow(
                int(r.id),
                AccessLabel(
                    r.owner_agency,
                    r.owner_country,
                    Marking(r.marking),
                    parse_releasable(r.releasable_to),
                ),
            )
            for r in rows
        ]

    # -- recovery --------------------------------------------------------------------------
    def recover(self) -> None:
        """After a process was killed outright: rename into place the ledger parts of an
        ingest it had committed (`ledger.recover_parts`; its statements and audit event are
        in the store, so its ledger rows must be too), then remove the scratch files it left
        (statement stages beside the store, parts no committed ingest names)."""
        from ironriver.store.ledger import recover_parts

        recover_parts(self.ledger_dir, self.ingest_details)
        db = dialect.sqlite_file(self.engine)
        sweep(Path(db).resolve().parent if db else self.ledger_dir.resolve().parent)

    # -- writing ---------------------------------------------------------------------------
    def stage(self) -> StatementStage:
        """A statement stage for a bulk write (see `ironriver.store.staging`): a side SQLite
        file next to a SQLite file store, else Arrow files beside the ledger folder. Use it
        as a context manager around `writer(stage=...)` so its files are always removed."""
        db = dialect.sqlite_file(self.engine)
        if db is None:
            arrow_dir = self.ledger_dir.resolve().parent
            sweep(arrow_dir)  # stage files of killed ingests
            return StatementStage(None, arrow_dir=arrow_dir)
        path = Path(db).resolve()
        sweep(path.parent)
        return StatementStage(path)

    @contextmanager
    def writer(self, stage: StatementStage | None = None) -> Iterator[Writer]:
        """One atomic write: everything added inside commits together or not at all. With a
        file-backed `stage`, its side file is attached for `Writer.add_staged`."""
        attach = {STAGE_ALIAS: stage.path} if stage is not None and stage.path else None
        with dialect.write_transaction(self.engine, attach) as conn:
            writer = Writer(self, conn)
            yield writer
            writer.flush_tally()

    def statement_count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(statements)).scalar_one())

    def holds_data(self) -> bool:
        """Whether anything was ever stored: a dataset declared, a statement, or a ledger
        part (a store holding only ledger rows has no statement). An admin's question (not
        filtered: callers must not tell a principal more than "not empty")."""
        with self.engine.connect() as conn:
            if conn.execute(select(datasets.c.id).limit(1)).first() is not None:
                return True
            if conn.execute(select(statements.c.id).limit(1)).first() is not None:
                return True
        return self.ledger_dir.is_dir() and any(self.ledger_dir.glob("*/*/part-*.parquet"))


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

    def ensure_dataset(self, info: DatasetInfo) -> int:
        ds_id = self.store.ensure_dataset(info, self.conn)
        self._dataset_ids[info.name] = ds_id
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
            row = {
                "owner_agency": label.owner_agency.upper(),
                "owner_country": label.owner_country.upper(),
                "marking": label.marking.value,
                "releasable_to": releasable_text(label.releasable_to),
            }
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

    def flush_tally(self) -> None:
        """Add the statements this write added or retracted to `statement_tally`
        (`Store.writer` calls it last, before the commit). Once per (dataset, label), in
        key order, at the end: each row is locked until the commit, so a write that
        updated it after its first batch made a second write into the same dataset wait
        there, and if that one had meanwhile added statements the first met in its next
        batch, each waited for the other (a deadlock on PostgreSQL)."""
        dialect.add_to_tally(self.conn, statement_tally, dict(sorted(self._tally.items())))
        self._tally.clear()

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
        if source is not None:
            [constants["source_id"]] = self._source_ids([source])
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
        added = 0
        for start in range(0, table.num_rows, BATCH_ROWS):
            part = table.slice(start, BATCH_ROWS).select(columns)
            added += dialect.insert_rows(
                self.conn, "statements", part, constants, keep_conflicts=keep_conflicts
            )
        self._add_lookups(table, label_id, fresh=added == table.num_rows)
        self._tally[(ds_id, label_id)] += added
        return added

    def _add_lookups(self, table: pa.Table, label_id: int, fresh: bool) -> None:
        """The `statement_keys` and `statement_refs` rows of these statements, each table
        in its own key order, under their statements' labels. `fresh`: every statement was
        new, so its label is `label_id`; else some were stored already, and those stored
        under another label (an entity file may be ingested under another label than its
        dataset's) or retracted since (their rows went with the retraction and must not come
        back) are read (`_odd_statements`, usually none): their rows take the stored label,
        or are left out."""
        odd = None if fresh else self._odd_statements(table, label_id)
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

    def _odd_statements(self, table: pa.Table, label_id: int) -> pa.Table:
        """(entity_id, id, label_id, retracted) of the statements of `table` stored under
        another label than `label_id` or retracted, read by entity id (the clustered key's
        prefix), in chunks; those of other entities' statements too (the join drops them)."""
        wanted = pc.unique(table.column("entity_id").combine_chunks()).to_pylist()
        s = statements.c
        query = select(s.entity_id, s.id, s.label_id, s.retracted).where(
            s.entity_id.in_(bindparam("ids", expanding=True)),
            or_(s.retracted.is_(True), s.label_id != label_id),
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
            }
        )

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
        if self.conn.dialect.name == "postgresql":  # (an Arrow stage: `add_statements`)
            return added + dialect.count_hidden_conflicts(self.conn, seen_ids)
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
        before = raw.total_changes
        raw.execute(
            f"INSERT OR IGNORE INTO statements ({targets}) "
            f"SELECT {values} FROM {STAGE_ALIAS}.{staged.table}"
            + ("" if staged.presorted else " ORDER BY entity_id, id")
        )
        added = int(raw.total_changes - before)
        self._tally[(ds_id, label_id)] += added
        # the lookup rows, staged beside the statements already in their key order (a scan
        # of the side table returns them in insertion order): appended without a sort, under
        # the write's label; when some statements were stored already, those stored under
        # another label or retracted (`_add_lookups`; found in the clustered order, usually
        # none) take their stored label, or none
        odd = "" if added == staged.rows else self._odd_staged(raw, staged.table, label_id)
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

    def _odd_staged(self, raw: Any, table: str, label_id: int) -> str:
        """A temporary table of the statements of staged table `table` stored under another
        label than `label_id` or retracted (entity_id, id, label_id, retracted), keyed by
        statement; "" (and no table) when there are none. One pass over the staged
        statements in the clustered order, each found by its key."""
        odd = f"temp.{table}_odd"
        raw.execute(
            f"CREATE TABLE {odd} (entity_id TEXT, id TEXT, label_id INTEGER, retracted BOOLEAN, "
            "PRIMARY KEY (entity_id, id)) WITHOUT ROWID"
        )
        raw.execute(
            f"INSERT OR IGNORE INTO {odd} SELECT s.entity_id, s.id, s.label_id, s.retracted "
            f"FROM {STAGE_ALIAS}.{table} AS t CROSS JOIN statements AS s "
            f"ON s.entity_id = t.entity_id AND s.id = t.id "
            f"WHERE s.retracted OR s.label_id <> {int(label_id)}"
        )
        if raw.execute(f"SELECT 1 FROM {odd} LIMIT 1").fetchone() is None:
            raw.execute(f"DROP TABLE {odd}")
            return ""
        return odd

    def retract(self, refs: Iterable[tuple[str, str]]) -> int:
        """Retract statements given as (entity_id, statement_id) pairs: a tombstone (the row
        stays, hidden from every view; re-ingesting it does not bring it back). Each pair is
        one primary-key lookup. Returns how many were visible before (already retracted or
        unknown pairs count 0). Policy (who may retract what) is `ironriver.policy.retract`."""
        query = (
            update(statements)
            .where(
                statements.c.entity_id == bindparam("e"),
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
        for entity_id, statement_id in refs:
            for ds_id, label_id, kind, value in self.conn.execute(
                query, {"e": entity_id, "i": statement_id}
            ):
                gone[(int(ds_id), int(label_id))] += 1
                retracted.append((entity_id, statement_id, int(label_id), int(kind), str(value)))
        self._tally.subtract(gone)
        self._drop_lookups(retracted)
        return sum(gone.values())

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


def _check_declaration(row: Any, info: DatasetInfo) -> None:
    """Refuse to declare the stored dataset `row` again as `info` when the owner, the access
    label (country, marking, releasability) or the legal basis differ. Statement ids are
    content hashes without the label, so a re-ingest under another label would keep the
    stored statements under their old label while the ledger gained a second copy of every
    row under the new one; and a new statement would show the dataset's stored legal basis,
    not the one declared. Re-marking stored data is not an ingest's job."""
    if row.agency.upper() != info.agency.upper():
        # (not naming the owner: the dataset may be one the ingesting agency cannot see)
        raise StoreError(
            msg(
                "Dataset name {dataset!r} is another agency's: {agency} cannot ingest into it.",
                dataset=info.name,
                agency=info.agency,
            ),
            hint=msg(
                "Use another dataset name (names are shared by every agency of the store: "
                "start it with your agency's, e.g. {example}).",
                example=f"{info.agency.lower()}_{info.name}",
            ),
        )
    stored = _dataset_info(row)
    country = stored.country.upper() != info.country.upper()
    basis = stored.legal_basis != info.legal_basis
    if not (
        country
        or basis
        or stored.marking != info.marking
        or stored.releasable_to != info.releasable_to
    ):
        return
    raise StoreError(
        msg(
            "Dataset {dataset!r} is stored as {stored}; this ingest declares it {declared}. "
            "Nothing was written.",
            dataset=info.name,
            stored=_declared_text(stored, country, basis),
            declared=_declared_text(info, country, basis),
        ),
        hint=msg(
            "An ingest never re-marks stored data (no ironriver command does). To add to this "
            "dataset, declare it with the stored values; to keep the new ones, ingest under a "
            "new dataset name; to re-mark the stored data, ask the store's administrator."
        ),
    )


def _declared_text(info: DatasetInfo, country: bool, basis: bool) -> str:
    """A dataset's label as a mapping declares it (`marking: RED, releasable_to: [US]`), with
    its country and legal basis when they are what differs: data, not translated."""
    parts = [f"country: {info.country.upper()}"] if country else []
    parts += [
        f"marking: {info.marking.value}",
        f"releasable_to: [{', '.join(sorted(info.releasable_to))}]",
    ]
    if basis:
        parts.append(f"legal_basis: {info.legal_basis!r}")
    return ", ".join(parts)


def _dataset_info(row: Any) -> DatasetInfo:
    return DatasetInfo(
        name=row.name,
        agency=row.agency,
        country=row.country,
        marking=Marking(row.marking),
        releasable_to=parse_releasable(row.releasable_to),
        legal_basis=row.legal_basis,
        title=row.title,
    )


def _check_is_store(conn: Connection, revision: str | None, shown: str, create: bool) -> str | None:
    """Refuse a database with no ironriver schema (`revision` None) that holds other tables
    (another application's), and, unless `create`, one with nothing in it (`open_store`).
    Returns the schema's revision: read again when tables appeared since `revision` was
    (another process made the store in between: it is a store now, not another
    application's database)."""
    if revision is not None:
        return revision
    tables = sa_inspect(conn).get_table_names()
    if tables and _VERSION_TABLE in tables and (again := _revision(conn)) is not None:
        return again
    if tables:
        raise StoreError(
            msg(
                "{url!r} is a database of another application (it holds tables such as "
                "{tables}), not an ironriver store: nothing was written.",
                url=shown,
                tables=", ".join(sorted(tables)[:3]),
            ),
            hint=msg(
                "Check --db (or IRONRIVER_DB): name an ironriver store, or a new path for "
                "ironriver init to create one."
            ),
        )
    if not create:
        raise _no_store(shown)
    return None


_VERSION_TABLE = "alembic_version"  # where Alembic keeps a store's schema revision

# what migration 0008 withdrew, left in the Alembic config's attributes (`WITHDRAWN` there)
WITHDRAWN_MENTIONS = "withdrawn_mentions"
_MIGRATING = "ironriver.migrate"  # PostgreSQL advisory lock key text: a store's migration


def _no_store(shown: str) -> ConfigError:
    return ConfigError(
        msg("There is no ironriver store at {url!r}.", url=shown),
        hint=msg(
            "Check --db (or IRONRIVER_DB), or create the store first: ironriver init --db ..."
        ),
    )


def _alembic_config(conn: Connection | None = None) -> Config:
    """The Alembic configuration of the store's migrations; with `conn`, the connection
    `migrations/env.py` runs them on (one configuration per migrating open: its attributes
    carry the connection in and `WITHDRAWN_MENTIONS` out)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("ironriver.store") / "migrations"))
    if conn is not None:
        cfg.attributes["connection"] = conn
    return cfg


@cache
def _scripts() -> ScriptDirectory:
    """The migration scripts, read once per process (`_head_revision`, `_check_unmigrated`;
    `command.upgrade` reads its own from the configuration it is given)."""
    return ScriptDirectory.from_config(_alembic_config())


def _head_revision() -> str | None:
    return _scripts().get_current_head()


def _revision(conn: Connection) -> str | None:
    """The store's schema revision (None: no ironriver schema). Read once per connection an
    open uses (again only if another process made the store meanwhile: `_check_is_store`):
    the read before the write lock may be stale once it is taken."""
    return MigrationContext.configure(conn).get_current_revision()


def _ready(conn: Connection, revision: str | None) -> bool:
    """Whether the schema (at `revision`, `_revision(conn)`) is at the newest migration with
    its audit guards in place."""
    return revision == _head_revision() and guards_installed(conn)


def open_store(
    settings: Settings | str,
    ledger_dir: Path | None = None,
    *,
    create: bool = True,
    migrate: bool = True,
) -> Store:
    """Open (creating and migrating if needed) the store named by `settings` or a URL.

    With `create=False` (what reading commands pass) a missing store is a `ConfigError`
    instead of a new one: a mistyped `--db` must not leave an empty store behind. Either way
    a database holding other tables and no ironriver schema (another application's) is
    refused, never turned into a store.

    A store at the newest schema is opened with reads only, so opening does not wait for an
    ingest holding the write lock; creating or upgrading it takes the write lock. A new
    store, or one upgraded past migration 0004, gets its reads audit chain (and, beside a
    SQLite file, its read-audit file: see `ironriver.store.audit`). The returned store's
    `created` says whether this open made it: no SQLite file or an empty one, an empty
    PostgreSQL database (of processes opening a new one at once, the one that made it).

    With `migrate=False` (what `audit verify` passes: it writes nothing, and may run on a
    backup) an older store is opened as it is, not upgraded: its audit chains have had
    today's form since migration 0004, so it can be verified; one older than that is a
    `StoreError` saying what to do, and the file is left as it was."""
    if isinstance(settings, str):
        settings = Settings.from_env({}, db=settings)
    url = settings.db_url
    shown = shown_url(url)  # what messages print: never the password
    try:
        engine = create_engine(url, **dialect.engine_options(url))
    except Exception as exc:
        raise StoreError(
            msg("Cannot open store {url!r}: {error}", url=shown, error=exc),
            hint=msg("Use sqlite:///path.db or postgresql+psycopg://user@host/db."),
        ) from exc
    db_file = dialect.sqlite_file(engine)
    if not create and db_file is not None and not Path(db_file).exists():
        engine.dispose()
        raise _no_store(shown)
    ready = False
    revision: str | None = None
    unmigrated = False  # opened as it is, at an older schema (`migrate=False`)
    created = False  # this open made the schema in an empty database
    try:
        # reads only, before the engine is configured: its settings would switch another
        # application's database to WAL mode just by looking at it
        with engine.connect() as conn:
            revision = _revision(conn)
            ready = _ready(conn, revision)
            if not ready:
                revision = _check_is_store(conn, revision, shown, create)
                _check_not_pre_release(conn, revision, shown)
                if not migrate:  # opened as it is (an empty one: created, if `create`)
                    ready = unmigrated = _check_unmigrated(revision, shown)
    except (ConfigError, StoreError):
        engine.dispose()
        raise
    except DatabaseError as exc:
        if not migrate:  # (nothing below may write: said here)
            engine.dispose()
            if isinstance(exc, OperationalError):
                raise _cannot_open(shown, exc, engine) from exc
            raise _not_a_database(shown, exc) from exc
        # (else unreadable, or not a database at all: said below, where it is written)
    engine.dispose()  # that connection was not configured: no later read may reuse it
    dialect.configure_engine(engine, settings.busy_timeout_s)
    audit = AuditLog(engine, read_audit_path(engine), settings.busy_timeout_s)
    try:
        if not ready:
            with dialect.write_transaction(engine) as conn:
                if conn.dialect.name == "postgresql":
                    # processes opening a new (or older) store at once migrate it one at a
                    # time: the others then find it ready (SQLite's BEGIN IMMEDIATE does it)
                    conn.execute(select(func.pg_advisory_xact_lock(func.hashtext(_MIGRATING))))
                before = _revision(conn)  # (another process may have migrated it since)
                if conn.dialect.name != "postgresql" or not _ready(conn, before):
                    config = _alembic_config(conn)
                    command.upgrade(config, "head")
                    install_guards(conn)
                    if before is None or before < READ_CHAIN_REVISION:
                        reason = "new store" if before is None else f"upgrade from {before}"
                        audit.start_reads(conn, "ironriver", reason)
                    created = before is None
                    _record_withdrawn_mentions(audit, conn, config)
    except OperationalError as exc:
        audit.close()
        engine.dispose()
        raise _cannot_open(shown, exc, engine) from exc
    except DatabaseError as exc:  # e.g. a file that is not a SQLite database
        audit.close()
        engine.dispose()
        raise _not_a_database(shown, exc) from exc
    except AlembicCommandError as exc:  # a revision this version does not know
        audit.close()
        engine.dispose()
        raise StoreError(
            msg(
                "Store {url!r} has a schema this version of ironriver does not know ({error}).",
                url=shown,
                error=exc,
            ),
            hint=msg(
                "It was written by a newer ironriver: upgrade ironriver to open it (stores "
                "are migrated forward only)."
            ),
        ) from exc
    except BaseException:
        audit.close()
        engine.dispose()
        raise
    # (an older store opened as it is has no `store_settings` table before 0009)
    recordable = not unmigrated or (revision or "") >= SETTINGS_REVISION
    return _opened(engine, settings, ledger_dir, audit, shown, migrate, recordable, created)


def _check_not_pre_release(conn: Connection, revision: str | None, shown: str) -> None:
    """Refuse a store made by the code before its first release (before commit afef528),
    whose migration 0001 was then rewritten in place (integer-coded properties and
    sources): it is stamped 0001 or 0002 (`revision`) but has the old `statements` table,
    which no migration can take forward ("no such column: kind" half-way through 0003)."""
    if revision not in ("0001", "0002"):
        return
    columns = {c["name"] for c in sa_inspect(conn).get_columns("statements")}
    if "prop_id" in columns:
        return
    raise StoreError(
        msg(
            "Store {url!r} is a pre-release store: it was made by an ironriver from before "
            "its first release (schema {revision} of that time, which differs from today's), "
            "and this version can neither open nor upgrade it. Nothing was written.",
            url=shown,
            revision=revision,
        ),
        hint=msg(
            "Re-create it from its source files: ironriver init --db NEW, then ingest the same "
            "mappings and entity files into it (statement ids are content hashes: the same "
            "data gets the same ids). Keep the old file for its audit log."
        ),
    )


def _cannot_open(shown: str, exc: OperationalError, engine: Engine) -> IronriverError:
    full = _full_disk(engine) if "disk i/o error" in str(exc.orig).lower() else None
    if full is not None:  # SQLite needs room for its WAL index even to read
        return ResourceError(
            msg(
                "Cannot open store {url!r}: the disk holding it is full ({free} bytes free in "
                "{folder}); SQLite needs a little room to open a store, even to read it. "
                "Nothing was written.",
                url=shown,
                free=full[1],
                folder=full[0],
            ),
            hint=msg("Free disk space there, then run the command again."),
        )
    return StoreError(
        msg("Cannot open store {url!r}: {error}", url=shown, error=exc.orig),
        hint=msg("Check the path or server, and that you may write there."),
    )


_NEARLY_FULL = 1 << 20  # bytes: less free than this and a SQLite "disk I/O error" is the disk


def _full_disk(engine: Engine) -> tuple[Path, int] | None:
    """(folder, bytes free) when `engine`'s SQLite file is on a disk with (almost) no room
    left, else None (a PostgreSQL store, an in-memory one, or room to spare)."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        return None
    folder = Path(database).resolve().parent
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return None
    return (folder, free) if free < _NEARLY_FULL else None


def _not_a_database(shown: str, exc: DatabaseError) -> StoreError:
    return StoreError(
        msg("Cannot open store {url!r}: {error}", url=shown, error=exc.orig),
        hint=msg(
            "--db (or IRONRIVER_DB) must name an ironriver store, or a new path to "
            "create one; this one exists but is not a database ironriver can read."
        ),
    )


def _check_unmigrated(revision: str | None, shown: str) -> bool:
    """Whether a store at `revision` can be opened as it is, without upgrading it: yes at a
    known schema from migration 0004 on (its audit chains have today's form); no for an
    empty database (`_check_is_store` refused it, or it is to be created). Refuses one whose
    chains are older (before 0004) or whose schema this version does not know (newer)."""
    if revision is None:
        return False
    if revision not in {s.revision for s in _scripts().walk_revisions()}:
        raise StoreError(
            msg(
                "Store {url!r} has a schema this version of ironriver does not know ({error}).",
                url=shown,
                error=revision,
            ),
            hint=msg(
                "It was written by a newer ironriver: upgrade ironriver to open it (stores "
                "are migrated forward only)."
            ),
        )
    if revision < READ_CHAIN_REVISION:
        raise StoreError(
            msg(
                "Store {url!r} is of schema {revision}, from before the reads audit chain "
                "(migration {first}); audit verify writes nothing, so it does not upgrade it, "
                "and the store was left as it is.",
                url=shown,
                revision=revision,
                first=READ_CHAIN_REVISION,
            ),
            hint=msg(
                "Verify it with the ironriver release that wrote it; or verify an upgraded "
                "copy: copy the store, open the copy with this version (e.g. ironriver "
                "datasets --db COPY --as YOU, which upgrades it and keeps every event), then run "
                "ironriver audit verify --db COPY."
            ),
        )
    return True


def _record_withdrawn_mentions(audit: AuditLog, conn: Connection, config: Config) -> None:
    """Record the `namesMentioned` copies migration 0008 withdrew (of names retracted
    before retraction took them) as one `retract` event, committed with their tombstones."""
    withdrawn: list[tuple[str, str]] = config.attributes.get(WITHDRAWN_MENTIONS) or []
    if not withdrawn:
        return
    audit.append(
        "ironriver",
        "retract",
        withdrawn[0][0] if len({e for e, _ in withdrawn}) == 1 else "namesMentioned",
        "migration 0008: the copies of names retracted before retraction withdrew them",
        {"statements": [], "mentions": [f"{e}/{i}" for e, i in withdrawn]},
        conn=conn,
    )


def _opened(
    engine: Engine,
    settings: Settings,
    ledger_dir: Path | None,
    audit: AuditLog,
    shown: str,
    recover: bool,
    recordable: bool,
    created: bool = False,
) -> Store:
    """The open store, its ledger folder bound (`ledger_folder`: with `recover`, this open
    may write, and may record it; `recordable`, the store can hold a record; `created`, this
    open made it: `Store.created`)."""
    if ledger_dir is None and settings.ledger_dir_given:
        ledger_dir = settings.ledger_dir
    try:
        folder = ledger_folder(
            engine, ledger_dir, settings.ledger_dir, write=recover, recorded=recordable
        )
    except BaseException:
        audit.close()
        engine.dispose()
        raise
    log.info(
        "store.opened",
        backend=engine.dialect.name,
        url=shown,
        read_audit=str(audit.read_file or "in the store"),
        ledgers=str(folder),
    )
    store = Store(engine, folder, audit, created=created)
    if recover:  # (not for `audit verify`, which writes nothing, a backup's files included)
        store.recover()  # what a killed process left (one glob and one listing when nothing)
    return store
