"""`mapping draft` scored against a world's hand-written agency mappings
(`ironriver eval drafts --world DIR`): for every column a mapping reads as a date with a
layout, does the draft of that file (from a sample of its records) type it the same way?
The date layout is what the draft is for: a wrong day/month order loads wrong dates."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from ironriver.ingest.draft import SAMPLE_ROWS, draft_file
from ironriver.ingest.mapping import load_mapping
from ironriver.world.config import WorldPaths


@dataclass(frozen=True)
class DraftCheck:
    """One dated column: what the agency's mapping reads, what the draft guessed."""

    file: str
    column: str
    expected: str  # "date %d/%m/%Y"
    drafted: str
    ok: bool | None  # None: the sample holds no value of it (e.g. a file of no records)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def draft_agreement(world: Path, rows: int = SAMPLE_ROWS) -> list[DraftCheck]:
    """Every dated column of the world's agency files, with the draft's guess for it."""
    checks = []
    for mapping_path in WorldPaths(Path(world)).mappings():
        for dataset in load_mapping(mapping_path):
            for query in dataset.queries:
                formats = dict(query.source.date_formats)
                if not formats:
                    continue
                draft = draft_file(query.source.path, country=dataset.country, rows=rows)
                guessed = {c.header: c for c in draft.columns}
                for column, fmt in sorted(formats.items()):
                    expected = f"{'timestamp' if '%H' in fmt else 'date'} {fmt}"
                    guess = guessed.get(column)
                    drafted = f"{guess.type} {guess.format or ''}".strip() if guess else ""
                    ok = None if guess is not None and not guess.values else drafted == expected
                    checks.append(DraftCheck(query.source.path.name, column, expected, drafted, ok))
    return checks
