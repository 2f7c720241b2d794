"""What the listings (`ironriver datasets`, `ironriver ledgers`) are told of the ledgers a
principal may see (`View.ledger_listing`): the visible rows per ledger (`LedgerListing`),
what is wrong on disk with a ledger whose count is therefore unknown (`LedgerDamage`), and
the notes a listing prints of it (`damage_notes`).

Invariants: a ledger is in at most one of a listing's counts, damage and empty ledgers; a
damaged ledger's count is unknown (None), never a number that leaves its lost rows out; the
notes name the ledger, say its count is unknown and what to do. Nothing here reads the store:
`LedgerRowsMixin.ledger_listing` (`ledger_rows`) builds these from what the view may see.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ironriver.i18n import Msg, nmsg


@dataclass(frozen=True)
class LedgerDamage:
    """What is wrong on disk with one ledger's parts, as a listing tells a principal who may
    see its dataset (`View.ledger_damage`): `missing`, how many parts the store's ingest
    events recorded are not in place (nor retracted); `unreadable`, the paths of the parts
    in place whose footer cannot be read (truncated, overwritten). How many of the ledger's
    rows the principal may see is then unknown: `View.ledger_counts` leaves it out."""

    missing: int = 0
    unreadable: tuple[str, ...] = ()


@dataclass(frozen=True)
class LedgerListing:
    """What `View.ledger_listing` found, in one pass over the parts: the visible rows per
    (dataset, ledger) of the ledgers counted whole (`counts`, as `View.ledger_counts`), and
    the ledgers whose count is unknown, with what is wrong (`damage`, as
    `View.ledger_damage`), and the ledgers of no visible row that hold a part of no row at
    all, of a dataset the principal may see (`empty`: those `View.ledger_rows` reads as
    holding no row, listed with 0; `LedgerCounts.empty`). No key is in two of them."""

    counts: dict[tuple[str, str], int]
    damage: dict[tuple[str, str], LedgerDamage]
    empty: tuple[tuple[str, str], ...] = ()

    def rows(self) -> dict[tuple[str, str], int | None]:
        """Visible rows per (dataset, ledger) as a listing shows them, in key order: 0 for
        an empty ledger's, None (unknown) for a damaged ledger's."""
        shown = {**dict.fromkeys(self.empty, 0), **self.counts, **dict.fromkeys(self.damage)}
        return dict(sorted(shown.items()))

    def rows_by_dataset(self) -> dict[str, int | None]:
        """Visible ledger rows per dataset: the sum of its ledgers', None (unknown) when one
        of them is damaged."""
        by: dict[str, int | None] = {}
        for (dataset, _ledger), n in self.rows().items():
            if dataset not in by or by[dataset] is not None:
                by[dataset] = None if n is None else (by.get(dataset) or 0) + n
        return by


def damage_notes(dataset: str, ledger: str, damage: LedgerDamage) -> list[Msg]:
    """What a listing (`datasets`, `ledgers`) says of a ledger whose parts are damaged
    (`View.ledger_damage`): a note for its missing parts, one for its unreadable parts
    (naming them), each saying its count is unknown and what to do."""
    notes = []
    if damage.missing:
        notes.append(missing_parts_note(dataset, ledger, damage.missing))
    if damage.unreadable:
        notes.append(unreadable_parts_note(dataset, ledger, damage.unreadable))
    return notes


def missing_parts_note(dataset: str, ledger: str, n: int) -> Msg:
    """What a listing (`datasets`, `ledgers`) says of a ledger with `n` recorded parts
    missing (`View.ledger_damage`): its count is unknown."""
    return nmsg(
        "Ledger {dataset}/{ledger} is missing {n} part file that an ingest wrote: how many "
        "of its rows you may see is unknown. Run `ironriver audit verify`; restore the file "
        "from a backup or re-ingest its source file.",
        "Ledger {dataset}/{ledger} is missing {n} part files that ingests wrote: how many of "
        "its rows you may see is unknown. Run `ironriver audit verify`; restore the files "
        "from a backup or re-ingest their source files.",
        n,
        dataset=dataset,
        ledger=ledger,
    )


def unreadable_parts_note(dataset: str, ledger: str, parts: Sequence[str]) -> Msg:
    """What a listing says of a ledger whose `parts` (their paths) are in place but cannot
    be read (`View.ledger_damage`): which files, that its count is unknown, what to do."""
    return nmsg(
        "Ledger {dataset}/{ledger} has {n} part file that cannot be read (truncated or "
        "overwritten): {parts}. How many of its rows you may see is unknown. Run `ironriver "
        "audit verify`; restore the file from a backup or re-ingest its source file.",
        "Ledger {dataset}/{ledger} has {n} part files that cannot be read (truncated or "
        "overwritten): {parts}. How many of its rows you may see is unknown. Run `ironriver "
        "audit verify`; restore the files from a backup or re-ingest their source files.",
        len(parts),
        dataset=dataset,
        ledger=ledger,
        parts=", ".join(parts),
    )
