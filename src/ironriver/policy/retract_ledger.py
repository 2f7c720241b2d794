"""Retraction of the ledger rows one file loaded: an agency that re-sends a corrected file
withdraws what the first one put in a ledger (as `retract` withdraws statements).

A ledger part holds one file's rows (one query of one ingest), so a retraction takes whole
parts: those of the dataset's ledger whose rows all came from the file (`_source_ref`) and
that the principal may all see. Nothing is deleted: each part is renamed
`retracted-<digest>.parquet` (`store.ledger_records.retracted_name`), out of every read (rows,
counts, a keyed ledger's stored keys, the `ledgers` listing), and stays for the audit
trail; ingesting the identical file again adds nothing (its part's twin is retracted), a
corrected file (other bytes) loads.

Who: the `ingest` role, only a dataset its agency owns (`admin`: any), only parts it can
see; a file none of whose parts it can see is not found, whether or not it was loaded. Each
retraction needs a reason and is one `retract` event in the writes chain. Like an ingest's,
it is whole or absent: a marker is written before the event's commit, the parts are renamed
after it with Ctrl-C and SIGTERM held, and a process killed in between leaves the marker,
from which the next one to open the store renames them (`store.ledger_records.recover_parts`).
A connection lost during the COMMIT itself (`CommitUnknown`: the server may have committed)
keeps the marker too, as an ingest keeps its scratch parts: if the event was committed, the
next process to open the store renames the parts; if not, no event names the marker, and it
is removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ironriver.errors import CommitUnknown, ConfigError, NotFound
from ironriver.i18n import msg
from ironriver.policy.markings import AccessLabel, Principal
from ironriver.policy.retract import check_may_retract
from ironriver.policy.rights import require_role
from ironriver.scratch import HeldInterrupts

if TYPE_CHECKING:  # (ironriver.store imports ironriver.policy: no cycle at run time)
    from ironriver.store import Store
    from ironriver.store.ledger import LedgerStore
    from ironriver.store.ledger_read import StoredPart


@dataclass(frozen=True)
class LedgerRetraction:
    """What `retract_ledger_file` withdrew: the parts (file names in the ledger's folder,
    as the audit event names them) and their rows; and `statements_kept`, the standing
    statements the same file gave the dataset that the principal sees (entities and their
    properties), which a ledger retraction leaves (review R22: nothing said so)."""

    dataset: str
    ledger: str
    file: str
    parts: tuple[str, ...]
    rows: int
    statements_kept: int = 0


def retract_ledger_file(
    store: Store,
    principal: Principal,
    dataset: str,
    ledger: str,
    file: str,
    *,
    reason: str,
) -> LedgerRetraction:
    """Retract the rows `file` loaded into `dataset`'s `ledger` (`file` as the rows'
    `_source_ref` names it: `<file>:<row>`), that is, every part of the ledger holding
    that file's rows that `principal` can see.

    Raises `ConfigError` without a reason, `NotFound` when no part it can see holds rows of
    `file` (the hint lists the files those it can see hold rows of), and `AccessDenied`
    when the dataset belongs to another agency (nothing is retracted then)."""
    from ironriver.store.ledger import LedgerStore
    from ironriver.store.ledger_records import RETRACT_KEY

    require_role(principal, "ingest", msg("retract ledger rows"))
    if not reason.strip():
        raise ConfigError(
            msg("A retraction needs a reason (it is audited)."),
            hint=msg('Pass --reason "why these rows are withdrawn".'),
        )
    # (of a dataset whose own label it may not see, no part is opened: a damaged one is
    # not told of, as the dataset is not: `LedgerReads.shown`)
    ledgers = LedgerStore(
        store.ledger_dir,
        store.ingest_details,
        store.recorded_parts,
        dataset_label=lambda name: _dataset_label(store, name),
    )
    # what it may see and retract is checked before the ledger's lock is taken: a refused
    # or absent target creates no lock file (nor folder), and waits on no other agency's
    # ingest (how long it waited would tell that one is running)
    _chosen(ledgers, principal, dataset, ledger, file)
    check_may_retract(principal, dataset, store.dataset(dataset).agency, rows=True)
    # one retraction or keyed ingest of this ledger at a time: a keyed ingest reads the
    # stored keys, which a part renamed meanwhile would take away
    with ledgers.key_lock(dataset, ledger):
        chosen = _chosen(ledgers, principal, dataset, ledger, file)  # as they are now
        shown = f"{dataset}/{ledger}"
        for part in chosen:  # (a library write may mix files in a part; an ingest does not)
            if part.files != (file,):
                raise ConfigError(
                    msg(
                        "A part of ledger {ledger} holds rows of several files ({files}): "
                        "its rows cannot be retracted one file at a time.",
                        ledger=shown,
                        files=", ".join(part.files),
                    ),
                    hint=msg("Nothing was retracted."),
                )
        names = tuple(p.path.name for p in chosen)
        rows = sum(p.rows for p in chosen)
        pending = ledgers.prepare_retraction(dataset, ledger, [p.path for p in chosen])
        held_signals = HeldInterrupts()
        committed = False
        try:
            with store.writer() as w:
                store.audit.append(
                    principal.name,
                    "retract",
                    dataset,
                    reason,
                    {
                        "dataset": dataset,
                        "ledger": ledger,
                        "file": file,
                        "parts": list(names),
                        "rows": rows,
                        RETRACT_KEY: pending.marker_name(ledgers.root),
                    },
                    agency=principal.agency,
                    conn=w.conn,
                )
                held_signals.hold()  # from the commit until the parts are renamed
            committed = True
            pending.commit()
        except CommitUnknown as exc:  # the marker stays: its event may have been committed
            raise _lost_commit(exc) from exc
        except BaseException:
            if not committed:  # (committed: the marker stays for `recover_parts`)
                pending.discard()
            raise
        finally:
            held_signals.release()
    kept = file_statements(store, principal, dataset, file)
    return LedgerRetraction(dataset, ledger, file, names, rows, kept)


def file_statements(store: Store, principal: Principal, dataset: str, file: str) -> int:
    """The standing (not retracted) statements of `dataset` that `file` stated (the first
    file to state one is its source record; later ones are in `statement_sources`) and
    that `principal` may see: counted per access label, the labels judged as `Store.labels`
    gives them."""
    from sqlalchemy import func, select

    from ironriver.policy.markings import can_see
    from ironriver.store.tables import datasets, sources, statement_sources, statements
    from ironriver.store.writer import labels_of

    s, ss = statements.c, statement_sources.c
    counts: dict[int, int] = {}
    with store.engine.connect() as conn:
        source_id = conn.execute(select(sources.c.id).where(sources.c.name == file)).scalar()
        if source_id is None:
            return 0
        standing = (datasets.c.name == dataset, s.retracted.is_(False))
        first = (
            select(s.label_id, func.count())
            .join(datasets, datasets.c.id == s.dataset_id)
            .where(s.source_id == source_id, *standing)
            .group_by(s.label_id)
        )
        also = (
            select(s.label_id, func.count())
            .select_from(statement_sources)
            .join(
                statements,
                (s.entity_id == ss.entity_id)
                & s.label_id.in_(labels_of(dataset))  # (by the whole key)
                & (s.id == ss.id),
            )
            .join(datasets, datasets.c.id == s.dataset_id)
            .where(ss.source_id == source_id, *standing)
            .group_by(s.label_id)
        )
        for query in (first, also):
            for label_id, n in conn.execute(query):
                counts[label_id] = counts.get(label_id, 0) + int(n)
    if not counts:
        return 0
    return sum(
        counts[row.id]
        for row in store.labels()
        if row.id in counts and can_see(principal, row.label)
    )


def _lost_commit(exc: CommitUnknown) -> CommitUnknown:
    """`exc` (a connection lost during the COMMIT of a retraction's event), with what to do
    about a retraction rather than an ingest."""
    return CommitUnknown(
        exc.text,
        hint=msg(
            "Check that the database server is up, then look: `ironriver audit log --action "
            "retract` lists this retraction's event if it was written; if it was, the next "
            "command to open the store takes the file's rows out of every read. Running the "
            "same retraction again is safe either way: it retracts the rows if they were not, "
            "or says that none of that file are left to retract."
        ),
    )


def _dataset_label(store: Store, name: str) -> AccessLabel | None:
    """The own label of `store`'s dataset `name`; None when it has none of that name."""
    try:
        return store.dataset(name).label
    except NotFound:
        return None


def _chosen(
    ledgers: LedgerStore, principal: Principal, dataset: str, ledger: str, file: str
) -> list[StoredPart]:
    """The parts of `dataset`'s `ledger` holding rows of `file` that `principal` may all
    see; `NotFound` when none (a ledger or dataset that does not exist reads the same, and
    nothing is created for it)."""
    parts = ledgers.visible_parts(dataset, ledger, principal)
    chosen = [p for p in parts if file in p.files]
    if not chosen:
        held = sorted({f for p in parts for f in p.files})
        raise NotFound(
            msg(
                "No rows of {file!r} that you can see are in ledger {ledger}.",
                file=file,
                ledger=f"{dataset}/{ledger}",
            ),
            hint=msg("Its rows you can see come from: {files}.", files=", ".join(held[:20]))
            if held
            else msg(
                "List the ledgers you may see, with their datasets, with `ironriver ledgers`."
            ),
        )
    return chosen
