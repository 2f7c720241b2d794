"""Check the stored statements themselves against what wrote them (`ironriver audit
verify-data`). The audit chains prove who did what; they do not cover the data. An agency's
only copy needs that too: a value edited, statements deleted, a label or a retraction
changed in the database by hand (sqlite3, psql) leave both chains intact.

Four checks, all in one read of every statement of every dataset (no principal: like `audit
verify`, this is the store's integrity, and it prints no values), each against what the
hash-chained writes chain records:
- **ids**: a statement's id is the SHA-1 of its dataset, entity, property and value (FtM's
  statement key), so a statement whose id differs from the hash of what it holds was edited
  after it was written;
- **count**: statements are never deleted (a retraction is a tombstone), so the store holds
  exactly as many as its ingest events say they added (`statements_new`, the count to the
  store, in each `ingest` event): fewer means deleted, more means written around ironriver;
- **labels**: who may see a statement is its label (owner agency and country, marking,
  releasability), and a dataset's never changes (`Store.ensure_dataset` refuses another).
  Each `ingest` event records the labels its load declared (`LABELS_KEY`), so a dataset's
  row in `datasets`, and the `labels` row of every statement of it, must equal the first
  label its events record. Ingest events written before they recorded labels say nothing;
  the upgrade to migration 0015 records, once, the labels of the datasets no event records,
  as their rows hold them then (a `labels-baseline` event: trust on first use, an edit of
  both rows alike made before the upgrade is what it records). A dataset no event records
  a label of (a store not upgraded yet, read as it is: `verify-data` does not upgrade) is
  checked for agreement only (every statement under its `datasets` row's label), and named
  in `DataCheck.labels_unrecorded`;
- **retractions**: a statement is retracted only by a `retract` event, which names it
  (`statements`, `mentions`, a `--replace` load's `replaced[].statement_ids`), and never
  stands again; a statement retracted that no event names, or named and standing, was
  changed by hand. Every version of ironriver recorded these.

And the ledger parts: each part whose ingest event recorded the SHA-256 of its bytes
(`LEDGER_FILES_KEY`) must still have it, so a value edited in a part (rewritten with as many
rows: `audit verify`, which reads only footers, sees the rows recorded) is found. That reads
every part's bytes (~15 MB per million rows, hashed at ~1 GB/s), which is why it is here and
not in `audit verify`. Parts an older version recorded without a hash are counted, not
hashed (`audit verify` checks their rows); missing ones are `audit verify`'s finding.

One dataset at a time is read into Arrow (`dialect.read_table`: ADBC's SQLite when no other
connection to the file is open in the process, `store.sqlite_files`, else the store's own
connections) and checked by DuckDB, so memory holds one dataset's statements. Measured on
the benchmark's 1.27M-statement store on a loaded 2-core host: 17 s through the store's
connections, 3.8 s through ADBC. On its 12.0M-statement store (ADBC, warm cache): 20.0 s with
the label and retraction checks, 19.0 s without (they read two narrow columns more in the
same pass and group them in DuckDB).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import case, func, select

from ironriver.i18n import Msg, msg, nmsg
from ironriver.policy.markings import releasable_text
from ironriver.store.audit import LABELS_BASELINE, EventFilter
from ironriver.store.dialect import read_table
from ironriver.store.ledger_bytes import LedgerBytes, verify_ledger_bytes
from ironriver.store.store import DatasetInfo, Store
from ironriver.store.tables import datasets, labels, props, statements

LABELS_KEY = "labels"
"""In an `ingest` event: the access label of each dataset the load declared, by name
(`declared_labels`), which `verify_data` holds the store's rows to; in a `labels-baseline`
event (migration 0015), those of the datasets no earlier event recorded, as found."""

_SHOWN_IDS = 5
_ROWS = pa.schema(
    [
        ("id", pa.string()),
        ("entity_id", pa.string()),
        ("prop", pa.string()),
        ("value", pa.string()),
        ("label_id", pa.int64()),
        ("retracted", pa.int8()),
    ]
)
# one pass over a dataset's statements: edited ones, retracted by no event, standing again
_CHECK = f"""
SELECT
  count(*) FILTER (WHERE sha1(? || '.' || r.entity_id || '.' || r.prop || '.' || r.value)
                   <> r.id),
  (list(r.id ORDER BY r.id) FILTER (
     WHERE sha1(? || '.' || r.entity_id || '.' || r.prop || '.' || r.value) <> r.id
  ))[1:{_SHOWN_IDS}],
  count(*) FILTER (WHERE r.retracted = 1 AND g.id IS NULL),
  (list(r.id ORDER BY r.id) FILTER (WHERE r.retracted = 1 AND g.id IS NULL))[1:{_SHOWN_IDS}],
  count(*) FILTER (WHERE r.retracted = 0 AND g.id IS NOT NULL),
  (list(r.id ORDER BY r.id) FILTER (WHERE r.retracted = 0 AND g.id IS NOT NULL))[1:{_SHOWN_IDS}],
  count(*) FILTER (WHERE r.retracted = 1)
FROM rows AS r LEFT JOIN gone AS g ON g.id = r.id
"""

Label = tuple[str, str, str, str]  # owner agency, owner country, marking, releasable_to (text)


def declared_labels(infos: Iterable[DatasetInfo]) -> dict[str, dict[str, str]]:
    """What an `ingest` event records under `LABELS_KEY`: each dataset's label as declared
    (and stored: `Store.ensure_dataset` writes these texts)."""
    return {
        info.name: {
            "agency": info.agency.upper(),
            "country": info.country.upper(),
            "marking": info.marking.value,
            "releasable_to": releasable_text(info.releasable_to),
        }
        for info in infos
    }


@dataclass(frozen=True)
class DataCheck:
    """The whole of `audit verify-data`: the statements' checks and the ledger parts'
    bytes. `ok` and `problems` cover both, so a caller of the library (an API, a cron
    script) that looks at them misses nothing the command reports."""

    statements: int  # stored, retracted ones included
    recorded: int | None  # what the ingest events say they added (None: some say nothing)
    statement_problems: tuple[Msg, ...]
    ledger: LedgerBytes  # the ledger parts' bytes held to their recorded hashes
    retracted: int = 0  # stored retracted (each by a recorded event when `ok`)
    # datasets whose label no ingest event records (older events): checked for agreement
    labels_unrecorded: tuple[str, ...] = ()

    @property
    def problems(self) -> tuple[Msg, ...]:
        """Every finding: the statements', then the ledger parts'."""
        return (*self.statement_problems, *self.ledger.problems)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _Recorded:
    """What the writes chain records: statements added, labels declared, retractions."""

    added: int | None = 0  # None: an ingest event of an older version records none
    labels: dict[str, Label] = field(default_factory=dict)  # by dataset, the first recorded
    retracted: set[str] = field(default_factory=set)  # statement ids


def verify_data(store: Store) -> DataCheck:
    """The checks (module doc) over every dataset of `store`, and its ledger parts' bytes
    (`verify_ledger_bytes`). Writes nothing."""
    problems: list[Msg] = []
    total = retracted = 0
    recorded = _recorded(store)
    declared = recorded.labels
    with store.engine.connect() as conn:
        stored = conn.execute(select(datasets).order_by(datasets.c.name)).all()
        stored_labels: dict[int, Label] = {
            int(r.id): (r.owner_agency, r.owner_country, r.marking, r.releasable_to)
            for r in conn.execute(select(labels))
        }
    con = duckdb.connect()
    try:
        con.register("gone", pa.table({"id": pa.array(sorted(recorded.retracted), pa.string())}))
        for row in stored:
            name = str(row.name)
            own: Label = (row.agency, row.country, row.marking, row.releasable_to)
            label = declared.get(name)
            if label is not None and own != label:
                problems.append(
                    msg(
                        "dataset {dataset}: its label in the datasets table is {stored}, but "
                        "its ingests declared {declared} (edited in the database: who may "
                        "see it changed): restore the store from a backup",
                        dataset=name,
                        stored=_shown(own),
                        declared=_shown(label),
                    )
                )
            query = (
                select(
                    statements.c.id,
                    statements.c.entity_id,
                    props.c.prop,
                    statements.c.value,
                    statements.c.label_id,
                    case((statements.c.retracted, 1), else_=0),
                )
                .select_from(statements.join(props, props.c.id == statements.c.prop_id))
                .where(statements.c.dataset_id == int(row.id))
            )
            rows = read_table(store.engine, query, _ROWS)
            total += rows.num_rows
            con.register("rows", rows)
            found = con.execute(_CHECK, [name, name]).fetchall()[0]
            under = con.execute(
                "SELECT label_id, count(*) FROM rows GROUP BY label_id ORDER BY label_id"
            ).fetchall()
            con.unregister("rows")
            retracted += int(found[6])
            problems += _statement_problems(name, found)
            for label_id, n in under:
                if stored_labels.get(int(label_id)) != (label or own):
                    problems.append(
                        _relabelled(
                            name, int(n), stored_labels, int(label_id), label or own, label is None
                        )
                    )
    finally:
        con.close()
    with store.engine.connect() as conn:  # (statements of no dataset: none, by a foreign key)
        unlisted = conn.execute(
            select(func.count())
            .select_from(statements)
            .where(statements.c.dataset_id.not_in(select(datasets.c.id)))
        ).scalar_one()
    total += int(unlisted)
    added = recorded.added
    if added is not None and added != total:
        problems.append(
            msg(
                "the store holds {stored:,} statements, but its ingest events record "
                "{recorded:,} added: {difference}",
                stored=total,
                recorded=added,
                difference=(
                    nmsg(
                        "{n:,} was deleted (statements are never deleted)",
                        "{n:,} were deleted (statements are never deleted)",
                        added - total,
                    )
                    if added > total
                    else nmsg(
                        "{n:,} was written without an ingest",
                        "{n:,} were written without an ingest",
                        total - added,
                    )
                ),
            )
        )
    unrecorded = tuple(str(r.name) for r in stored if str(r.name) not in declared)
    return DataCheck(
        total, added, tuple(problems), verify_ledger_bytes(store), retracted, unrecorded
    )


def _statement_problems(dataset: str, found: Any) -> list[Msg]:
    """The findings of `_CHECK` for one dataset."""
    out = []
    if found[0]:
        out.append(
            nmsg(
                "dataset {dataset}: {n:,} statement does not match its id (its "
                "dataset, entity, property or value was edited after it was "
                "written): {ids}",
                "dataset {dataset}: {n:,} statements do not match their ids (their "
                "dataset, entity, property or value was edited after they were "
                "written), e.g. {ids}",
                int(found[0]),
                dataset=dataset,
                ids=", ".join(found[1]),
            )
        )
    if found[2]:
        out.append(
            nmsg(
                "dataset {dataset}: {n:,} statement is retracted, but no retraction "
                "recorded in the audit log retracted it (marked retracted in the "
                "database: hidden from every view): {ids}; restore the store from a backup",
                "dataset {dataset}: {n:,} statements are retracted, but no retraction "
                "recorded in the audit log retracted them (marked retracted in the "
                "database: hidden from every view), e.g. {ids}; restore the store from a "
                "backup",
                int(found[2]),
                dataset=dataset,
                ids=", ".join(found[3]),
            )
        )
    if found[4]:
        out.append(
            nmsg(
                "dataset {dataset}: {n:,} statement stands again, but a retraction recorded "
                "in the audit log retracted it (its tombstone was cleared in the database: "
                "withdrawn data is shown again): {ids}; restore the store from a backup",
                "dataset {dataset}: {n:,} statements stand again, but retractions recorded "
                "in the audit log retracted them (their tombstones were cleared in the "
                "database: withdrawn data is shown again), e.g. {ids}; restore the store "
                "from a backup",
                int(found[4]),
                dataset=dataset,
                ids=", ".join(found[5]),
            )
        )
    return out


def _relabelled(
    dataset: str,
    n: int,
    stored: dict[int, Label],
    label_id: int,
    label: Label,
    unrecorded: bool,
) -> Msg:
    """`n` statements of `dataset` stored under label `label_id` (a row of `stored`, or
    none), not under `label`: the one its ingests declared, or (`unrecorded`) its dataset
    row's."""
    theirs = stored.get(label_id)
    shown = f"#{label_id} " + (_shown(theirs) if theirs is not None else "?")
    if unrecorded:
        return nmsg(
            "dataset {dataset}: {n:,} statement is stored under the label {stored}, not "
            "its dataset's {declared} (edited in the database: who may see it changed): "
            "restore the store from a backup",
            "dataset {dataset}: {n:,} statements are stored under the label {stored}, not "
            "their dataset's {declared} (edited in the database: who may see them "
            "changed): restore the store from a backup",
            n,
            dataset=dataset,
            stored=shown,
            declared=_shown(label),
        )
    return nmsg(
        "dataset {dataset}: {n:,} statement is stored under the label {stored}, not the "
        "{declared} its ingests declared (edited in the database: who may see it "
        "changed): restore the store from a backup",
        "dataset {dataset}: {n:,} statements are stored under the label {stored}, not the "
        "{declared} their ingests declared (edited in the database: who may see them "
        "changed): restore the store from a backup",
        n,
        dataset=dataset,
        stored=shown,
        declared=_shown(label),
    )


def _shown(label: Label) -> str:
    """A label as a finding names it: `RED CNI/MX [user:red-rita]` (data, not words)."""
    agency, country, marking, releasable = label
    return f"{marking} {agency}/{country}" + (f" [{releasable}]" if releasable else "")


def _recorded(store: Store) -> _Recorded:
    """What the writes chain's `ingest`, `labels-baseline` and `retract` events record
    (`_Recorded`)."""
    out = _Recorded()
    ingests = store.audit.write_events(EventFilter(action="ingest"))
    baselines = store.audit.write_events(EventFilter(action=LABELS_BASELINE))
    for event in sorted([*ingests, *baselines], key=lambda e: e.seq):
        if event.action == "ingest":
            value = event.detail.get("statements_new")
            if not isinstance(value, int) or isinstance(value, bool):
                out.added = None
            elif out.added is not None:
                out.added += value
        for name, label in (event.detail.get(LABELS_KEY) or {}).items():
            if name not in out.labels:  # (the first: a dataset's label never changes)
                out.labels[name] = (
                    str(label["agency"]),
                    str(label["country"]),
                    str(label["marking"]),
                    str(label["releasable_to"]),
                )
    for event in store.audit.write_events(EventFilter(action="retract")):
        detail = event.detail
        out.retracted.update(str(i) for i in detail.get("statements") or ())
        # ("entity/id": a statement id is a hash of its entity, among others: unique alone)
        out.retracted.update(str(m).rsplit("/", 1)[-1] for m in detail.get("mentions") or ())
        # (`ingest.replace.REPLACED_KEY`: a load with --replace)
        for replaced in detail.get("replaced") or ():
            out.retracted.update(str(i) for i in replaced.get("statement_ids") or ())
    return out
