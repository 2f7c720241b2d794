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

from ironriver.errors import WorldError
from ironriver.i18n import msg
from ironriver.ingest.draft import SAMPLE_ROWS, draft_file
from ironriver.ingest.mapping import load_mapping
from ironriver.ingest.suggest import suggest
from ironriver.world.config import WorldPaths


@dataclass(frozen=True)
class DraftCheck:
    """One dated column: what the agency's mapping reads, what the draft guessed."""

    file: str  # the agency's folder and the file's name: "fgr/aseguramientos_armas.csv"
    column: str
    expected: str  # "date %d/%m/%Y"
    drafted: str
    ok: bool | None  # None: the sample holds no value of it (e.g. a file of no records)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


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
    missed: list[str]  # "agency/file:COLUMN Schema.property" the mappings make, the draft not
    extra: list[str]  # ... the draft suggests and the mappings do not make

    @property
    def precision(self) -> float:
        return self.agreed / self.suggested if self.suggested else 0.0

    @property
    def recall(self) -> float:
        return self.agreed / self.mapped if self.mapped else 0.0

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "precision": self.precision, "recall": self.recall}


@dataclass(frozen=True)
class DraftEvaluation:
    """The drafts of a world's agency files beside the agencies' own mappings."""

    dates: list[DraftCheck]
    entities: EntityScore

    @property
    def dates_judged(self) -> list[DraftCheck]:
        """The date checks with a sampled value to judge by."""
        return [c for c in self.dates if c.ok is not None]

    @property
    def ok(self) -> bool:
        """Every judged date column agrees (and there is one), and the suggested entities
        are at or above the floors."""
        judged = self.dates_judged
        return (
            bool(judged)
            and all(c.ok for c in judged)
            and self.entities.precision >= ENTITY_PRECISION_FLOOR
            and self.entities.recall >= ENTITY_RECALL_FLOOR
        )

    def as_dict(self) -> dict[str, object]:
        return {"dates": [c.as_dict() for c in self.dates], "entities": self.entities.as_dict()}


def evaluate_drafts(world: Path, rows: int = SAMPLE_ROWS) -> DraftEvaluation:
    """Draft each of the world's agency files once and score it (module doc): its dated
    columns against the layouts the mappings give them, and the entities `suggest` makes of
    its column names against the (column, Schema.property) pairs the mappings map. A pair is
    one column read into one property of one schema of `SCORED_SCHEMATA`; a join of several
    columns is not scored."""
    countries: dict[Path, str] = {}
    formats: dict[Path, dict[str, str]] = {}
    mapped: dict[Path, set[tuple[str, str]]] = {}
    mapping_paths = WorldPaths(Path(world)).mappings()
    if not mapping_paths:  # (not a world, or not yet written: scoring nothing is no score)
        raise WorldError(
            msg("{path} holds no agency mapping (agencies/*/mapping*.yaml).", path=world),
            hint=msg("Generate the world with {command}.", command="`ironriver world generate`"),
        )
    for mapping_path in mapping_paths:
        for dataset in load_mapping(mapping_path):
            for query in dataset.queries:
                path = query.source.path
                countries.setdefault(path, dataset.country)
                formats.setdefault(path, {}).update(query.source.date_formats)
                pairs = mapped.setdefault(path, set())
                for entity in query.entities:
                    if entity.schema not in SCORED_SCHEMATA:
                        continue
                    for prop in entity.properties:
                        if len(prop.columns) == 1 and prop.entity is None:
                            pairs.add((prop.columns[0], f"{entity.schema}.{prop.name}"))
    checks: list[DraftCheck] = []
    suggested = agreed = total = 0
    missed: list[str] = []
    extra: list[str] = []
    for path in sorted(countries):
        if not formats[path] and not mapped[path]:
            continue
        draft = draft_file(path, country=countries[path], rows=rows)
        guessed = {c.header: c for c in draft.columns}
        for column, fmt in sorted(formats[path].items()):
            expected = f"{'timestamp' if '%H' in fmt else 'date'} {fmt}"
            guess = guessed.get(column)
            drafted = f"{guess.type} {guess.format or ''}".strip() if guess else ""
            ok = None if guess is not None and not guess.values else drafted == expected
            checks.append(DraftCheck(_named(path), column, expected, drafted, ok))
        expected_pairs = mapped[path]
        if not expected_pairs:
            continue
        drafted_pairs = {
            (column, f"{s.schema}.{prop}")
            for s in suggest([c.header for c in draft.columns])
            for prop, column in s.properties.items()
        }
        suggested += len(drafted_pairs)
        total += len(expected_pairs)
        agreed += len(drafted_pairs & expected_pairs)
        missed += [f"{_named(path)}:{c} {p}" for c, p in sorted(expected_pairs - drafted_pairs)]
        extra += [f"{_named(path)}:{c} {p}" for c, p in sorted(drafted_pairs - expected_pairs)]
    return DraftEvaluation(checks, EntityScore(suggested, total, agreed, missed, extra))


def _named(path: Path) -> str:
    """An agency file as the scores name it: with its agency's folder, since two agencies
    may name their files alike (FGR's and SEDENA's `aseguramientos_armas.csv`)."""
    return f"{path.parent.name}/{path.name}"


def draft_agreement(world: Path, rows: int = SAMPLE_ROWS) -> list[DraftCheck]:
    """Every dated column of the world's agency files, with the draft's guess for it."""
    return evaluate_drafts(world, rows).dates


def entity_agreement(world: Path) -> EntityScore:
    """`suggest` scored against the world's mappings (`evaluate_drafts`)."""
    return evaluate_drafts(world).entities
