"""The typed specs a mapping file is read into (`mapping.load_mapping`): a dataset
(`DatasetMapping`: its access label and queries), each query's source file (`SourceSpec`),
its entity mappings (`EntitySpec`, `PropertySpec`) and its ledger (`LedgerSpec`,
`LedgerColumn`).

Frozen dataclasses, no parsing and no I/O: the modules that read files and compile queries
(`source`, `compile`, `validate`, `draft`...) take them without depending on the YAML
parser. A spec made by `load_mapping` holds its invariant (see `mapping`'s module doc).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ironriver.policy.markings import AccessLabel, Marking
from ironriver.policy.schemata import GLOBAL_ID_SCHEMATA

LEDGER_TYPES = ("string", "integer", "float", "boolean", "date", "timestamp")
# the property types whose cleaned value names one thing wherever it is written down, so an
# entity may be keyed on it (`key_clean`, docs/mapping.md): "55 6677 8899" under MX and
# "+52 55 6677 8899" are one line, +525566778899
KEY_CLEAN_TYPES = ("phone", "email")
LedgerType = Literal["string", "integer", "float", "boolean", "date", "timestamp"]
SourceKind = Literal["csv", "jsonl", "xlsx"]
_TEMPLATE_REF = re.compile("{{([^(}})]*)}}")  # the pattern FtM's PropertyMapping uses


@dataclass(frozen=True)
class PropertySpec:
    """One property of an entity mapping (FtM's PropertyMapping keys)."""

    name: str
    type_name: str
    columns: tuple[str, ...] = ()
    literals: tuple[str, ...] = ()
    template: str | None = None
    entity: str | None = None
    join: str | None = None
    split: str | None = None
    format: str | None = None
    fuzzy: bool = False
    required: bool = False
    # the first of the hundred years a `%y` date format's two-digit years are read in
    two_digit_years_from: int | None = None

    @property
    def refs(self) -> tuple[str, ...]:
        if self.template is not None:
            return tuple(_TEMPLATE_REF.findall(self.template))
        return self.columns


@dataclass(frozen=True)
class CleanKey:
    """A key column whose value is hashed into the entity's id as the entity's property
    `prop` cleans it (ours: `key_clean`), not as the file writes it: the phone number in
    E.164 form, whatever its spelling."""

    column: str
    prop: str
    type_name: str  # one of KEY_CLEAN_TYPES
    format: str | None = None  # the property's (a phone's country)


@dataclass(frozen=True)
class EntitySpec:
    """One entity mapping: schema, how its id is made, and its properties."""

    name: str
    schema: str
    keys: tuple[str, ...] = ()
    key_literal: str | None = None
    id_column: str | None = None
    properties: tuple[PropertySpec, ...] = ()
    key_clean: tuple[CleanKey, ...] = ()  # the keys hashed cleaned (ours), in `keys` order

    def cleaned(self, column: str) -> CleanKey | None:
        """How the key `column` is cleaned before it is hashed, or None (as written)."""
        return next((k for k in self.key_clean if k.column == column), None)

    @property
    def global_id(self) -> bool:
        """Whether the id is the same in every dataset: an entity that is its own cleaned
        value (`GLOBAL_ID_SCHEMATA`: a Phone is its number), every key cleaned
        (`key_clean`), so the id hashes the schema, not the dataset's name
        (docs/mapping.md). A person or a company keyed on a phone or an email keeps the
        dataset's name: two agencies' people who share a line are two people (review R25
        F1), linked through the Phone, not merged."""
        return (
            self.schema in GLOBAL_ID_SCHEMATA
            and bool(self.keys)
            and all(self.cleaned(k) is not None for k in self.keys)
        )

    @property
    def id_prefix(self) -> str | None:
        """What the id hashes before the key values when it does not hash the dataset's
        name (`global_id`): the schema and the `key_literal`; None otherwise."""
        return self.schema + (self.key_literal or "") if self.global_id else None

    @property
    def refs(self) -> set[str]:
        refs = set(self.keys)
        if self.id_column:
            refs.add(self.id_column)
        for prop in self.properties:
            refs.update(prop.refs)
        return refs


@dataclass(frozen=True)
class LedgerColumn:
    name: str
    column: str
    type: LedgerType = "string"
    format: str | None = None
    required: bool = False
    two_digit_years_from: int | None = None  # see PropertySpec
    decimal: str | None = None  # a number's decimal mark, "," or "." (clean.decimal_problem)


@dataclass(frozen=True)
class LedgerSpec:
    name: str
    columns: tuple[LedgerColumn, ...]
    # the columns naming a record (e.g. a sale's record number): a row whose key the
    # ledger already holds is not appended again (an agency's cumulative exports)
    key: tuple[str, ...] = ()


@dataclass(frozen=True)
class SourceSpec:
    """The file a query reads and how to read it."""

    path: Path
    kind: SourceKind = "csv"
    encoding: str = "utf-8"
    delimiter: str = ","
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()
    filters_not: tuple[tuple[str, tuple[str, ...]], ...] = ()
    header: tuple[str, ...] = ()  # a CSV without a header line: its column names
    null_values: tuple[str, ...] = ()  # values that mean "no value" (after sanitising)
    sheet: str | int | None = None  # a spreadsheet's sheet: its name, or 1-based position
    header_row: int = 1  # the header's row (1-based): a spreadsheet's, or a CSV file's line
    # the date format the mapping gives each column it reads as a date: a spreadsheet's date
    # cells are written in it, so typed and text cells go through one date parser
    date_formats: tuple[tuple[str, str], ...] = ()

    @property
    def label(self) -> str:
        """The source as provenance and error reports name it: the file's name, and a
        spreadsheet's sheet when the query names one (meses.xlsx[Enero])."""
        if self.kind == "xlsx" and self.sheet is not None:
            return f"{self.path.name}[{self.sheet}]"
        return self.path.name


@dataclass(frozen=True)
class QuerySpec:
    source: SourceSpec
    entities: tuple[EntitySpec, ...] = ()  # in dependency order (referenced ones first)
    ledger: LedgerSpec | None = None

    @property
    def refs(self) -> list[str]:
        """Every column the query reads, sorted."""
        refs: set[str] = set()
        for entity in self.entities:
            refs.update(entity.refs)
        if self.ledger is not None:
            refs.update(col.column for col in self.ledger.columns)
        refs.update(key for key, _ in self.source.filters)
        refs.update(key for key, _ in self.source.filters_not)
        return sorted(refs)

    @property
    def name_refs(self) -> list[str]:
        """The columns the query reads as (part of) a name-typed property, sorted."""
        return sorted(
            {
                ref
                for entity in self.entities
                for prop in entity.properties
                if prop.type_name == "name"
                for ref in prop.refs
            }
        )


@dataclass(frozen=True)
class DatasetMapping:
    """One dataset block of a mapping file."""

    name: str
    agency: str
    country: str
    marking: Marking
    releasable_to: frozenset[str]
    queries: tuple[QuerySpec, ...]
    title: str = ""
    legal_basis: str = ""
    path: Path | None = None

    @property
    def label(self) -> AccessLabel:
        return AccessLabel(
            self.agency.upper(), self.country.upper(), self.marking, self.releasable_to
        )


IdSignature = tuple[
    tuple[str, ...], str | None, str | None, tuple[tuple[str, str, str], ...], str | None
]


def id_signature(entity: EntitySpec) -> IdSignature:
    """What an entity's id is computed from: two entities with the same signature get the
    same id for every record. A key hashed cleaned (`key_clean`) counts with its type and
    format; an id the same in every dataset (`global_id`) with the schema it hashes."""
    clean = tuple(sorted((k.column, k.type_name, k.format or "") for k in entity.key_clean))
    return (
        tuple(sorted(entity.keys)),
        entity.key_literal,
        entity.id_column,
        clean,
        entity.id_prefix,
    )
