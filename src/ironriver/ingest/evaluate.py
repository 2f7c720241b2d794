"""`mapping draft` scored against a world's hand-written agency mappings
(`ironriver eval drafts --world DIR`): for every column a mapping reads as a date with a
layout, does the draft of that file (from a sample of its records) type it the same way (a
wrong day/month order loads wrong dates)? And of the entities the draft suggests from the
column names, how many column-property pairs are the mappings' own (precision), and how many
of theirs it suggests (recall)?

The world's column names were in view when `suggest`'s words were chosen, so its score
here is an upper bound; `tests/ingest/test_ingest_draft.py` holds it to column names the
world does not use."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from ironriver.ingest.draft import SAMPLE_ROWS, draft_file
from ironriver.ingest.mapping import load_mapping
from ironriver.ingest.suggest import suggest
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


SCORED_SCHEMATA = ("Individual", "Firearm", "Vehicle", "Phone", "Organization")
"""The things `suggest` names (events are the analyst's to map)."""
ENTITY_PRECISION_FLOOR = 0.95
ENTITY_RECALL_FLOOR = 0.85
"""`ironriver eval drafts` fails below these (measured 2026-11-29: 1.00 and 0.91 on a
scale-0.05 world). Precision matters more: a wrong suggestion loads wrong facts if nobody
checks it; a missing one is only work left to do."""


@dataclass(frozen=True)
class EntityScore:
    """The draft's suggested (column, Schema.property) pairs against the mappings' own, over
    the world's files whose mappings map entities of `SCORED_SCHEMATA`."""

    suggested: int
    mapped: int
    agreed: int
    missed: list[str]  # "file:COLUMN Schema.property" the mappings make and the draft does not
    extra: list[str]  # ... the draft suggests and the mappings do not make

    @property
    def precision(self) -> float:
        return self.agreed / self.suggested if self.suggested else 0.0

    @property
    def recall(self) -> float:
        return self.agreed / self.mapped if self.mapped else 0.0

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "precision": self.precision, "recall": self.recall}


def entity_agreement(world: Path) -> EntityScore:
    """`suggest` scored against the world's mappings (`EntityScore`): a pair is one column
    read into one property of one schema; a join of several columns is not scored."""
    mapped: dict[Path, set[tuple[str, str]]] = {}
    for mapping_path in WorldPaths(Path(world)).mappings():
        for dataset in load_mapping(mapping_path):
            for query in dataset.queries:
                pairs = mapped.setdefault(query.source.path, set())
                for entity in query.entities:
                    if entity.schema not in SCORED_SCHEMATA:
                        continue
                    for prop in entity.properties:
                        if len(prop.columns) == 1 and prop.entity is None:
                            pairs.add((prop.columns[0], f"{entity.schema}.{prop.name}"))
    suggested = agreed = total = 0
    missed: list[str] = []
    extra: list[str] = []
    for path, expected in sorted(mapped.items()):
        if not expected:
            continue
        draft = draft_file(path, rows=100)
        drafted = {
            (column, f"{s.schema}.{prop}")
            for s in suggest([c.header for c in draft.columns])
            for prop, column in s.properties.items()
        }
        suggested += len(drafted)
        total += len(expected)
        agreed += len(drafted & expected)
        missed += [f"{path.name}:{c} {p}" for c, p in sorted(expected - drafted)]
        extra += [f"{path.name}:{c} {p}" for c, p in sorted(drafted - expected)]
    return EntityScore(suggested, total, agreed, missed, extra)
