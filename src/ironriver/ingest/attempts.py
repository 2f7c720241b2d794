"""The audit events of an ingest that read the store and wrote nothing (review finding F3).

An ingest's answer can depend on what the store holds, whoever may see it: a keyed ledger
refuses a record whose key it stores with other values, a dataset name stored as another
agency's or under another label is refused. Such an answer is a read of the store, so it is
on record like one, in the reads chain (`READ_ACTIONS`), in its own short transaction once the
ingest's own transaction (if it began one) was rolled back: the store's statements, ledgers
and writes chain stay exactly as they were.

- A dry run that opens the store (`ingest_mapping(dry_run=True)`): `ingest-check`, whether it
  passed or refused the files (`IngestAttempt.checked`).
- A real ingest refused for what the store holds: `refused` (`IngestAttempt.refused`; detail
  `attempt: ingest` and `because`), as a read refused for want of a reason and an `--entities`
  ingest refused for originator control always was. `because` is one of `DECLARED`,
  `STORED_KEYS`, `ANOTHER_AGENCYS`, `RELABELLED` (below).

A refusal decided without the store (a mapping, a file or a record that is wrong on its own;
an ingest the principal may not make; another agency's dataset under `--replace`, decided by
the owner the mapping declares) records nothing: it tells nothing the store holds. The
events name the files and datasets and count the records, never a stored value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ironriver.errors import IronriverError
from ironriver.ingest.result import IngestResult
from ironriver.policy import Principal
from ironriver.store import Store

DECLARED = "dataset-declared"
"""A dataset the store holds under another owner, label or legal basis than the ingest
declares (`Store.check_dataset`, `Writer.ensure_dataset`): the refusal tells that the name is
stored (another agency's), or how its owner's agency stored it."""

STORED_KEYS = "stored-keys"
"""Records rejected (no `skip_invalid`) once a keyed ledger's stored rows were read to check
the file's keys: the error report tells row by row which keys are stored with other values
("key already stored with other values"), and by their absence which are not, whatever else
it rejects."""

ANOTHER_AGENCYS = "another-agencys"
"""An `--entities` file whose lines name stored datasets another agency owns (originator
control, review R11 F1): the refusal tells that those names are stored, and whose they are
where the loader may see them (review R24 F7). Its event names each such dataset, its agency
and how many entities come from it."""

RELABELLED = "relabelled"
"""An `--entities` file whose lines name the owner's other stored datasets, labelled otherwise
than the dataset loaded, without `relabel`: the refusal tells how they are stored."""


@dataclass(frozen=True)
class IngestAttempt:
    """Who ingests what, for the events of an ingest that writes nothing. `source`: what the
    ingest reads, as its `ingest` event names it (`mapping` and `files`, or `entities_file`)."""

    store: Store
    actor: str
    reason: str
    principal: Principal | None
    datasets: list[str]
    source: Mapping[str, Any]

    def checked(
        self,
        result: IngestResult,
        replace: bool,
        digests: dict[str, str],
        skipped: list[str],
        error: IronriverError | None = None,
    ) -> None:
        """Record a dry run (`ingest-check`: it read stored statements, a keyed ledger's
        stored keys, an earlier load's parts, the stored datasets), whether it passed or
        refused the files: a refusal ("key already stored with other values") tells as much
        as a pass. `digests`: each file read and its SHA-256; `skipped`: the keyed ledgers
        not checked against stored rows (the loader may not see them all)."""
        self._append(
            "ingest-check",
            {
                "mapping": self.source["mapping"],
                "files": sorted(digests),
                "file_sha256": digests,
                "records": result.records,
                "rejected": result.rejected,
                "statements": result.statements,
                "ledger_rows": result.ledger_rows,
                "replace": replace,
                "keys_not_checked": skipped,
                "outcome": "checked" if error is None else type(error).__name__,
            },
        )

    def refused(
        self,
        because: str,
        error: IronriverError,
        result: IngestResult | None = None,
        **detail: Any,
    ) -> None:
        """Record a real ingest refused for what the store holds (`because`: `DECLARED`,
        `STORED_KEYS`, `ANOTHER_AGENCYS`, `RELABELLED`), with the error's kind, the records counted so far and
        `detail` (what was checked: names and counts, no stored value)."""
        counts = {"records": result.records, "rejected": result.rejected} if result else {}
        self._append(
            "refused",
            {
                "attempt": "ingest",
                **self.source,
                **detail,
                **counts,
                "because": because,
                "outcome": type(error).__name__,
            },
        )

    def _append(self, action: str, detail: dict[str, Any]) -> None:
        self.store.audit.append(
            actor=self.actor,
            action=action,
            target=",".join(self.datasets),
            reason=self.reason,
            detail=detail,
            agency=self.principal.agency if self.principal is not None else "",
        )


def mapping_source(mapping_path: Path, files: list[str]) -> dict[str, Any]:
    """A mapping ingest's `source` (`IngestAttempt`): the mapping and every file it names."""
    return {"mapping": str(mapping_path), "files": files}
