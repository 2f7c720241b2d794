"""`IngestResult`: what an ingest did (or, checked only, would do), as `ingest_mapping`,
`check_mapping` and `ingest_entities` return it and the CLI reports it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ironriver.i18n import Msg
from ironriver.ingest.replace import Replaced


@dataclass
class IngestResult:
    """What an ingest did."""

    datasets: list[str] = field(default_factory=list)
    records: int = 0
    rejected: int = 0
    # statements produced: each query's, after de-duplication within that query (one that
    # two queries give counts twice here, once in `statements_new`)
    statements: int = 0
    # of which new to the loader: not among the statements it could see (`writes.new_to_loader`);
    # without a loader, new to the store
    statements_new: int = 0
    ledger_rows: int = 0  # ledger rows produced
    ledger_rows_new: int = (
        0  # of which new to the loader (`ledger_parts.rows_alone`), or to the store
    )
    report_path: Path | None = None
    dry_run: bool = False  # checked only: nothing was written (the *_new counts are 0)
    # what the reader should know though nothing failed (a query whose filters kept nothing)
    notes: list[Msg] = field(default_factory=list)
    # with `replace`: what was retracted of each file's earlier load (`ingest.replace`)
    replaced: list[Replaced] = field(default_factory=list)

    @property
    def kept(self) -> int:
        """The records ingested (or, in a dry run, that would be): all but the rejected."""
        return self.records - self.rejected
