"""The statement store: datasets, access labels, statements, judgements and the audit log.

One code path for SQLite (default, WAL) and PostgreSQL, chosen by URL. Writes go through
`Store.writer()`, one atomic transaction; reads go through `ironriver.policy.View`, never
directly. The schema is created and upgraded by Alembic migrations when the store opens
(`open_store`, in `ironriver.store.opening`); the write itself is `ironriver.store.writer`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, func, select

from ironriver.errors import NotFound, StoreError
from ironriver.i18n import msg
from ironriver.policy.markings import AccessLabel, Marking, parse_releasable, releasable_text
from ironriver.scratch import sweep
from ironriver.store import dialect
from ironriver.store.audit import AuditLog, read_audit_path
from ironriver.store.ledger_duck import LedgerDuck
from ironriver.store.opening import WITHDRAWN_MENTIONS as WITHDRAWN_MENTIONS
from ironriver.store.opening import _alembic_config as _alembic_config
from ironriver.store.opening import _cannot_open as _cannot_open
from ironriver.store.opening import _check_is_store as _check_is_store
from ironriver.store.opening import _full_disk as _full_disk
from ironriver.store.opening import _head_revision as _head_revision
from ironriver.store.opening import _ready as _ready
from ironriver.store.opening import _revision as _revision
from ironriver.store.opening import open_store as open_store
from ironriver.store.staging import STAGE_ALIAS, StatementStage
from ironriver.store.tables import datasets, labels, statements
from ironriver.store.writer import BATCH_ROWS as BATCH_ROWS
from ironriver.store.writer import LOOKUP_TABLES as LOOKUP_TABLES
from ironriver.store.writer import OPTIONAL_COLUMNS as OPTIONAL_COLUMNS
from ironriver.store.writer import REQUIRED_COLUMNS as REQUIRED_COLUMNS
from ironriver.store.writer import Writer as Writer

if TYPE_CHECKING:
    from ironriver.store.ledger_records import RecordedParts
    from ironriver.store.open_lock import OpenLock

# (`from ironriver.store.store import X` keeps working for the names above that moved to
# `ironriver.store.opening` and `ironriver.store.writer`)


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
        # the DuckDB database its views' ledger reads share (`View.ledger`)
        self.ledger_duck = LedgerDuck()
        # what `recorded_parts` read last, and at which newest writes-chain event
        self._recorded: tuple[tuple[int, str] | None, RecordedParts] | None = None
        # a SQLite file's open lock, held until `close` (`open_store`; `store.open_lock`)
        self.open_lock: OpenLock | None = None

    @property
    def dialect(self) -> str:
        return str(self.engine.dialect.name)

    def close(self) -> None:
        """Close its connections and files, and release its open lock (again: nothing)."""
        self.audit.close()
        self.engine.dispose()
        self.ledger_duck.release()
        if self.open_lock is not None:
            self.open_lock.release()

    def ingest_details(self) -> list[dict[str, Any]]:
        """The details of the store's ingest and retract events: an ingest's names the
        ledger parts it placed, a ledger retraction's its marker and the parts it retracted
        (`ledger_records.recover_parts`)."""
        from ironriver.store.audit import EventFilter

        return [
            e.detail
            for action in ("ingest", "retract")
            for e in self.audit.write_events(EventFilter(action=action))
        ]

    def recorded_parts(self) -> RecordedParts:
        """What the store's ingest and retract events recorded of its ledger parts
        (`ledger_records.recorded_parts`), as they are now: read again only when the writes
        chain's newest event changed (`recorded_head`: every ingest and retraction adds one),
        so that a keyed ingest's listing of a ledger's parts (`LedgerStore.parts`, once per
        query) costs one small query, not a read of every ingest event."""
        from ironriver.store.ledger_records import recorded_head, recorded_parts

        with self.engine.connect() as conn:
            head = recorded_head(conn)  # (first: an event committed after it changes it)
            cached = self._recorded
            if cached is not None and cached[0] == head:
                return cached[1]
            parts = recorded_parts(conn)
        self._recorded = (head, parts)
        return parts

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
        ingest it had committed (`ledger_records.recover_parts`; its statements and audit event are
        in the store, so its ledger rows must be too), then remove the scratch files it left
        (statement stages beside the store, parts no committed ingest names)."""
        from ironriver.store.ledger_records import recover_parts

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
