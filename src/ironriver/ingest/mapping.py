"""Mapping files: parse and validate them into typed specs (no data is read here).

The format is FtM's mapping format plus a few keys of ours (documented in docs/mapping.md):
the top-level key names the dataset; `agency`, `country`, `marking`, `releasable_to` and
`legal_basis` give its access label; each query reads one CSV (`csv_url`), JSON Lines
(`jsonl_url`) or spreadsheet (`xlsx_url`, one sheet) file and maps it to FtM `entities`, to a
typed `ledger`, or both. A file using only FtM's keys runs unchanged under `ftm map`.

Invariant: a `DatasetMapping` returned by `load_mapping` names only schemata and properties
that exist in `ironriver.model.get_model()`, entity references that resolve inside their
query, and files that exist; everything else is an `IngestError` saying what to fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from normality import stringify

from ironriver import yamltext
from ironriver.errors import SAVE_AS_UTF8, ConfigError, IngestError, bad_byte, os_problem
from ironriver.i18n import Msg, msg
from ironriver.ingest.clean import has_two_digit_year, locale_directives
from ironriver.model import get_model
from ironriver.model.names import properties_hint, schema_hint
from ironriver.policy.markings import (
    AccessLabel,
    Marking,
    check_lengths,
    check_releasable,
    parse_country,
    parse_releasable_input,
)

LEDGER_TYPES = ("string", "integer", "float", "boolean", "date", "timestamp")
LedgerType = Literal["string", "integer", "float", "boolean", "date", "timestamp"]
SourceKind = Literal["csv", "jsonl", "xlsx"]
_TEMPLATE_REF = re.compile("{{([^(}})]*)}}")  # the pattern FtM's PropertyMapping uses
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


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
class EntitySpec:
    """One entity mapping: schema, how its id is made, and its properties."""

    name: str
    schema: str
    keys: tuple[str, ...] = ()
    key_literal: str | None = None
    id_column: str | None = None
    properties: tuple[PropertySpec, ...] = ()

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


Where = str | Msg  # a place in a mapping file ("sales.yaml, dataset 'x', query 1")


def _fail(where: Where, message: str | Msg, hint: str | Msg | None) -> IngestError:
    return IngestError(
        msg("Mapping error in {where}: {message}", where=where, message=message), hint=hint
    )


# The keys each place of a mapping may hold. FtM ignores any other key; here a typo
# (`filter:` for `filters:`, `releasable-to:`) would silently change what is ingested or who
# may read it, so an unknown key is an error that suggests the nearest known one.
_DATASET_KEYS = frozenset(
    {"agency", "country", "marking", "releasable_to", "legal_basis", "title", "queries", "query"}
    # FtM/Aleph dataset metadata, accepted and not used
    | {"label", "summary", "description", "category", "info_url", "data_url", "publisher"}
    | {"publisher_url", "countries", "languages", "frequency", "prefix"}
)
_QUERY_KEYS = frozenset(
    {"csv_url", "csv_urls", "jsonl_url", "jsonl_urls", "xlsx_url", "xlsx_urls"}
    | {"encoding", "delimiter", "header", "header_row", "sheet", "null_values"}
    | {"filters", "filters_not", "entities", "ledger"}
    | {"database", "table", "tables", "joins"}  # FtM's SQL sources: refused by name below
)
_ENTITY_KEYS = frozenset({"schema", "key", "keys", "key_literal", "id_column", "properties"})
_PROPERTY_KEYS = frozenset(
    {"column", "columns", "literal", "literals", "template", "entity"}
    | {"join", "split", "format", "fuzzy", "required", "two_digit_years_from"}
)
_LEDGER_KEYS = frozenset({"name", "columns", "key"})
_LEDGER_COLUMN_KEYS = frozenset({"column", "type", "format", "required", "two_digit_years_from"})


def _known_keys(where: Where, data: dict[Any, Any], known: frozenset[str]) -> None:
    """Refuse a key of `data` that is not in `known`, suggesting the nearest known one."""
    found = yamltext.unknown_key(data, known)
    if found is not None:
        key, hint = found
        raise _fail(where, msg("unknown key {key!r} (it would be ignored).", key=key), hint)


def _as_list(data: dict[str, Any], *keys: str) -> list[Any]:
    """FtM's `keys_values`: a key may hold one value or a list; empty values dropped."""
    out: list[Any] = []
    for key in keys:
        value = data.get(key)
        if value is None:
            continue
        values = value if isinstance(value, list | tuple) else [value]
        out.extend(str(v) for v in values if v is not None and str(v).strip() != "")
    return out


def _filters(where: Where, kind: str, raw: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """FtM's `filters` / `filters_not` (`kind`): {column: a value or a list of values}."""
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise _fail(
            where,
            msg("filters must map column names to values."),
            msg("Write {example}.", example="filters: {col: value}"),
        )
    out = []
    for key, value in raw.items():
        values = value if isinstance(value, list) else [value]
        column = _text(where, kind, key) if not isinstance(key, str) else key  # `yes:` too
        if not values:
            raise _fail(
                where,
                msg(
                    "{place} lists no value: the query would keep no record.",
                    place=f"{kind}.{column}",
                ),
                msg("Give it the values to keep (or drop), or remove it."),
            )
        out.append((column, tuple(_text(where, f"{kind}.{column}", v, column) for v in values)))
    return tuple(out)


def _flag(where: Where, data: dict[str, Any], key: str) -> bool:
    """A yes/no option (`required`, `fuzzy`; default no): YAML's true or false only. Any
    other value was true (`required: "no"` rejected every record without the column)."""
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise _fail(
            where,
            msg("{key} must be true or false, not {value!r}.", key=key, value=value),
            msg("Write {example}.", example=f"{key}: true"),
        )
    return value


YEARS_KEY = "two_digit_years_from"
_YEARS_EXAMPLE = 1930  # a birth date's window: 1930-2029


def _years_from(where: Where, data: dict[str, Any], fmt: str | None, is_date: bool) -> int | None:
    """`two_digit_years_from`: the first of the hundred years a `%y` format's two-digit years
    are read in (1930: '55' is 1955, '24' is 2024). A `%y` date format must give it: strptime
    (and `ftm map`) read 00-68 as 2000-2068, so a birth date '12/03/55' would be stored as
    2055, silently. A window relative to today would move values (and ids) from one year's
    ingest of a file to the next's; a stated one does not."""
    value = data.get(YEARS_KEY)
    local = locale_directives(fmt) if is_date else []
    if local:
        raise _fail(
            where,
            msg(
                "the date format {format} uses {directives}, whose layout is the locale's of "
                "the machine running the ingest (%x is %m/%d/%y, a two-digit year, in the C "
                "locale): the same file would load other dates elsewhere.",
                format=repr(fmt),
                directives=", ".join(local),
            ),
            msg("Write the layout out, e.g. {example}.", example="'%m/%d/%Y'"),
        )
    two_digit = is_date and has_two_digit_year(fmt)
    if value is None:
        if two_digit:
            raise _fail(
                where,
                msg(
                    "the date format {format} has a two-digit year (%y), which Python's "
                    "strptime reads as 2000-2068 for 00-68 and 1969-1999 for 69-99: a date of "
                    "birth written 55 would be stored as 2055.",
                    format=repr(fmt),
                ),
                msg(
                    "Say which hundred years the two-digit years fall in, e.g. {example} "
                    "(00-29 read as 2000-2029, 30-99 as 1930-1999: dates of birth); a later "
                    "year for recent events.",
                    example=f"{YEARS_KEY}: {_YEARS_EXAMPLE}",
                ),
            )
        return None
    if not two_digit:
        raise _fail(
            where,
            msg(
                "{key} is only for a date whose format reads a two-digit year (%y).", key=YEARS_KEY
            ),
            msg("Remove it, or give the format with %y (e.g. {example}).", example="'%d/%m/%y'"),
        )
    if isinstance(value, bool) or not isinstance(value, int) or not 1000 <= value <= 2900:
        raise _fail(
            where,
            msg(
                "{key} must be a year (from 1000 to 2900), not {value!r}.",
                key=YEARS_KEY,
                value=value,
            ),
            msg("Write {example}.", example=f"{YEARS_KEY}: {_YEARS_EXAMPLE}"),
        )
    return value


def _yaml_text(where: Where, key: str, value: Any) -> None:
    """Refuse a value YAML did not read as text where text is meant: `literal: NO` (Norway)
    is false, `0012` the number 10, `country: NO` false; as their text, they would be other
    values, silently."""
    problem = yamltext.text_problem(key, value)
    if problem is not None:
        raise _fail(where, *problem)


def _text(where: Where, place: str, value: Any, column: str | None = None) -> str:
    """A value compared with a file's text (a filter's, a null marker), as the mapping wrote
    it. Unquoted, YAML makes some values something else: `yes`/`no`/`on`/`off` booleans,
    `007` the number 7, `1.10` 1.1, `2024-01-31` a date, an empty value null; their text
    (`True`, `7`) would equal no value of the file, and the query would silently keep, or
    drop, nothing. Any value that is not text is refused (what was written is lost once
    YAML has read it, even for `7`); quoting it keeps it as written."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        kind, shown, sample = msg("a boolean"), "true" if value else "false", "yes"
    elif isinstance(value, int | float):
        kind, shown, sample = msg("a number"), str(value), "007"
    elif isinstance(value, date):
        kind, shown, sample = msg("a date"), value.isoformat(), "2024-01-31"
    elif value is None:
        kind, shown, sample = msg("empty"), "null", "N/A"
    else:
        kind, shown, sample = msg("a list or a mapping"), str(value), "yes"
    example = f"{column}: '{sample}'" if column is not None else f"{place}: ['-0-', 'N/A']"
    raise _fail(
        where,
        msg(
            "{place}: YAML read the value {value} as {kind}, not as text, so it would never "
            "equal a value in the file.",
            place=place,
            value=shown,
            kind=kind,
        ),
        msg(
            "Quote it, written as in the file (e.g. {example}). Unquoted, YAML reads yes, no, "
            "on and off as booleans, 007 as 7, 1.10 as 1.1 and an empty value as null.",
            example=example,
        ),
    )


def _source(where: Where, data: dict[str, Any], base: Path) -> SourceSpec:
    csv_urls = _as_list(data, "csv_url", "csv_urls")
    jsonl_urls = _as_list(data, "jsonl_url", "jsonl_urls")
    xlsx_urls = _as_list(data, "xlsx_url", "xlsx_urls")
    kinds: tuple[SourceKind, ...] = ("csv", "jsonl", "xlsx")
    urls = [
        (u, k)
        for k, found in zip(kinds, (csv_urls, jsonl_urls, xlsx_urls), strict=True)
        for u in found
    ]
    if any(k in data for k in ("database", "table", "tables", "joins")):  # FtM's SQL keys
        raise _fail(
            where,
            msg("SQL database sources are not supported by ironriver ingest."),
            msg("Export the table to CSV and use csv_url."),
        )
    if len(urls) != 1:
        raise _fail(
            where,
            msg(
                "each query needs exactly one csv_url, jsonl_url or xlsx_url, found {n}.",
                n=len(urls),
            ),
            msg("Split multi-file queries into one query per file."),
        )
    url, kind = urls[0]
    if "://" in url:
        raise _fail(
            where,
            msg("remote source {url!r} is not supported.", url=url),
            msg("Download the file and name it by a path relative to the mapping file."),
        )
    path = Path(url)
    if not path.is_absolute():
        path = base / path
    if not path.exists():
        raise IngestError(
            msg("Input file {path} does not exist (named in {where}).", path=path, where=where),
            hint=msg("Check csv_url/jsonl_url/xlsx_url; relative paths start at the mapping file."),
        )
    encoding = str(data.get("encoding") or "utf-8")
    try:
        "".encode(encoding)
    except LookupError:
        raise _fail(
            where,
            msg("unknown encoding {encoding!r}.", encoding=encoding),
            msg("Use a Python codec name such as utf-8, latin-1 or cp1252."),
        ) from None
    delimiter = str(data.get("delimiter") or ",")
    if len(delimiter) != 1:
        raise _fail(
            where,
            msg("delimiter {delimiter!r} must be one character.", delimiter=delimiter),
            msg("Use e.g. ',' or ';'."),
        )
    sheet, header_row = _sheet(where, data, kind)
    return SourceSpec(
        path=path.resolve(),
        kind=kind,
        encoding=encoding,
        delimiter=delimiter,
        filters=_filters(where, "filters", data.get("filters")),
        filters_not=_filters(where, "filters_not", data.get("filters_not")),
        header=_header(where, data.get("header"), kind),
        null_values=_null_values(where, data.get("null_values")),
        sheet=sheet,
        header_row=header_row,
    )


def _sheet(where: Where, data: dict[str, Any], kind: str) -> tuple[str | int | None, int]:
    """A spreadsheet query's `sheet` (a name, or a 1-based position; default the first) and a
    spreadsheet's or CSV file's `header_row` (the 1-based row of the column names, under a
    title; default 1)."""
    sheet, header_row = data.get("sheet"), data.get("header_row", 1)
    if sheet is not None and kind != "xlsx":
        raise _fail(
            where,
            msg("sheet is for spreadsheets (xlsx_url) only."),
            msg("Remove it, or read the spreadsheet with xlsx_url."),
        )
    if "header_row" in data and kind == "jsonl":
        raise _fail(
            where,
            msg("header_row is for CSV files and spreadsheets."),
            msg("Remove it: JSON Lines records name their keys."),
        )
    if isinstance(sheet, bool) or not (
        sheet is None or isinstance(sheet, str) or (isinstance(sheet, int) and sheet >= 1)
    ):
        raise _fail(
            where,
            msg("sheet must be a sheet's name or its position (1 for the first)."),
            msg("Write {example}.", example='sheet: "Hoja1"'),
        )
    if isinstance(header_row, bool) or not isinstance(header_row, int) or header_row < 1:
        raise _fail(
            where,
            msg("header_row must be the number of the row holding the column names (1 or more)."),
            msg("Write {example} when a title fills the first rows.", example="header_row: 3"),
        )
    if header_row != 1 and data.get("header"):
        raise _fail(
            where,
            msg("header_row and header exclude each other."),
            msg("header names the columns of a file without a header line: keep one of them."),
        )
    return sheet, header_row


def _strings(where: Where, key: str, raw: Any) -> tuple[str, ...]:
    if raw is None:
        return ()
    values = raw if isinstance(raw, list) else [raw]
    if not all(isinstance(v, str | int | float) for v in values):
        raise _fail(
            where,
            msg("{key} must be a list of strings.", key=key),
            msg("Write {example}.", example=f'{key}: ["-0-", "N/A"]'),
        )
    return tuple(str(v) for v in values)


def _null_values(where: Where, raw: Any) -> tuple[str, ...]:
    """`null_values:` one marker or a list of them, each text (see `_text`)."""
    if raw is None:
        return ()
    values = raw if isinstance(raw, list) else [raw]
    return tuple(_text(where, "null_values", v) for v in values)


def _header(where: Where, raw: Any, kind: str) -> tuple[str, ...]:
    """`header:` names the columns of a CSV file that has no header line."""
    names = _strings(where, "header", raw)
    if not names:
        return ()
    if kind != "csv":
        raise _fail(
            where,
            msg("header is for CSV files only."),
            msg("JSON Lines records name their keys."),
        )
    if "" in names or len(set(names)) != len(names):
        raise _fail(
            where,
            msg("header must name every column once, none empty."),
            msg(
                "List the file's columns in order, e.g. {example}.",
                example="header: [id, name, type]",
            ),
        )
    return names


def _property(where: Where, schema: Any, name: str, data: Any) -> PropertySpec:
    prop = schema.get(name)
    if prop is None:
        raise _fail(
            where,
            msg("schema {schema} has no property {name!r}.", schema=schema.name, name=name),
            properties_hint(name, [schema.name]),
        )
    if prop.stub:
        raise _fail(
            where,
            msg("property {name!r} is a reverse (stub) property.", name=name),
            msg("Map the relation from the entity holding the forward property."),
        )
    if isinstance(data, str):
        data = {"column": data}
    if not isinstance(data, dict):
        raise _fail(
            where,
            msg("property {name!r} must be a mapping.", name=name),
            msg("Write {example}.", example="{column: NAME}"),
        )
    here = msg("{where}, property {name!r}", where=where, name=name)
    _known_keys(here, data, _PROPERTY_KEYS)
    for key in ("literal", "literals"):  # `literal: NO` is false, `0012` the number 10
        raw = data.get(key)
        for value in raw if isinstance(raw, list) else [] if raw is None else [raw]:
            _yaml_text(here, key, value)
    for key in ("split", "join"):  # `split: [";"]` was the text "[';']"
        if data.get(key) is not None and not isinstance(data[key], str):
            raise _fail(
                here,
                msg("{key} must be text, not {value!r}.", key=key, value=data[key]),
                msg("Write {example}.", example=f"{key}: ';'"),
            )
    fmt = str(data["format"]) if data.get("format") else prop.format
    spec = PropertySpec(
        name=name,
        type_name=str(prop.type.name),
        columns=tuple(_as_list(data, "column", "columns")),
        literals=tuple(_as_list(data, "literal", "literals")),
        template=str(data["template"]) if data.get("template") is not None else None,
        entity=str(data["entity"]) if data.get("entity") else None,
        join=str(data["join"]) if data.get("join") is not None else None,
        split=str(data["split"]) if data.get("split") is not None else None,
        # the model's own format (iban, bic, lei, ...) unless the mapping gives one, as FtM
        format=fmt,
        fuzzy=_flag(here, data, "fuzzy"),
        required=_flag(here, data, "required"),
        two_digit_years_from=_years_from(here, data, fmt, prop.type.name == "date"),
    )
    if not (spec.columns or spec.literals or spec.template is not None or spec.entity):
        raise _fail(
            where,
            msg("property {name!r} names no column, literal, template or entity.", name=name),
            msg("Add one of {keys}.", keys="column/columns/literal/template/entity"),
        )
    if spec.entity and prop.type.name != "entity":
        raise _fail(
            where,
            msg("property {name!r} is not an entity reference.", name=name),
            msg("Use column/literal for plain values."),
        )
    return spec


def _entity(where: Where, dataset: str, name: str, data: Any) -> EntitySpec:
    model = get_model()
    if not isinstance(data, dict):
        raise _fail(
            where,
            msg("entity {name!r} must be a mapping.", name=name),
            msg("Write {example}.", example="{schema: ..., keys: [...]}"),
        )
    _known_keys(msg("{where}, entity {name!r}", where=where, name=name), data, _ENTITY_KEYS)
    schema_name = data.get("schema")
    schema = model.get(str(schema_name)) if schema_name else None
    if schema is None:
        raise _fail(
            where,
            msg("entity {name!r} has unknown schema {schema!r}.", name=name, schema=schema_name),
            schema_hint(str(schema_name or "")),
        )
    keys = tuple(_as_list(data, "key", "keys"))
    id_column = str(data["id_column"]) if data.get("id_column") else None
    if not keys and id_column is None:
        raise _fail(
            where,
            msg("entity {name!r} has no keys.", name=name),
            msg("Add {example}.", example="keys: [column, ...]"),
        )
    if keys and id_column is not None:
        raise _fail(
            where,
            msg("entity {name!r} has both keys and id_column.", name=name),
            msg("Use one of them."),
        )
    props_raw = data.get("properties") or {}
    if not isinstance(props_raw, dict):
        raise _fail(
            where,
            msg("properties of {name!r} must be a mapping.", name=name),
            msg("Write {example}.", example="properties: {prop: {column: ...}}"),
        )
    props = tuple(
        _property(msg("{where}, entity {name!r}", where=where, name=name), schema, str(p), d)
        for p, d in props_raw.items()
    )
    literal = data.get("key_literal")
    return EntitySpec(
        name=name,
        schema=str(schema.name),
        keys=keys,
        # as FtM hashes it: normality's text of the YAML value (1.0 -> "1", a date in ISO)
        key_literal=stringify(literal),
        id_column=id_column,
        properties=props,
    )


def id_signature(entity: EntitySpec) -> tuple[tuple[str, ...], str | None, str | None]:
    """What an entity's id is computed from: two entities with the same signature get the
    same id for every record."""
    return (tuple(sorted(entity.keys)), entity.key_literal, entity.id_column)


def _check_distinct_ids(where: Where, entities: list[EntitySpec]) -> None:
    """Refuse two entities of different schemata whose ids would always coincide (FtM would
    silently merge, say, a gun and its recovery into one entity)."""
    seen: dict[tuple[tuple[str, ...], str | None, str | None], EntitySpec] = {}
    for entity in entities:
        other = seen.setdefault(id_signature(entity), entity)
        if other is not entity and other.schema != entity.schema:
            raise _fail(
                where,
                msg(
                    "entities {first!r} ({first_schema}) and {second!r} ({second_schema}) are "
                    "keyed on the same columns, so they would get the same id in every record.",
                    first=other.name,
                    first_schema=other.schema,
                    second=entity.name,
                    second_schema=entity.schema,
                ),
                msg(
                    "Give one of them a key_literal (e.g. {example}).",
                    example=f"key_literal: {entity.name}",
                ),
            )


def _order(where: Where, entities: list[EntitySpec]) -> tuple[EntitySpec, ...]:
    """Referenced entities first (as FtM's QueryMapping does); check reference ranges."""
    model = get_model()
    by_name = {e.name: e for e in entities}
    for entity in entities:
        schema = model.get(entity.schema)
        for prop in entity.properties:
            if prop.entity is None:
                continue
            target = by_name.get(prop.entity)
            if target is None:
                raise _fail(
                    where,
                    msg(
                        "{prop} refers to unknown entity {target!r}.",
                        prop=f"{entity.name}.{prop.name}",
                        target=prop.entity,
                    ),
                    msg("Define {target!r} in the same query.", target=prop.entity),
                )
            rng = schema.get(prop.name).range
            if rng is None or not model.get(target.schema).is_a(rng):
                raise _fail(
                    where,
                    msg(
                        "{prop} must be a {expected}, not {schema}.",
                        prop=f"{entity.name}.{prop.name}",
                        expected=rng.name if rng else "?",
                        schema=target.schema,
                    ),
                    msg("Point it at an entity of the right schema."),
                )
    _check_distinct_ids(where, entities)
    ordered: list[EntitySpec] = []
    pending = list(entities)
    while pending:
        for entity in pending:
            deps = {p.entity for p in entity.properties if p.entity}
            if deps <= {e.name for e in ordered}:
                ordered.append(entity)
                pending.remove(entity)
                break
        else:
            raise _fail(
                where,
                msg("circular entity references."),
                msg("Remove the cycle between entities."),
            )
    return tuple(ordered)


def _ledger(where: Where, data: Any) -> LedgerSpec:
    if not isinstance(data, dict) or not data.get("name"):
        raise _fail(
            where,
            msg("a ledger needs a name and columns."),
            msg("Write {example}.", example="ledger: {name: ..., columns: {...}}"),
        )
    _known_keys(where, data, _LEDGER_KEYS)
    name = str(data["name"])
    if not _NAME_RE.match(name):
        raise _fail(
            where,
            msg("ledger name {name!r} must be lower-case letters, digits and _.", name=name),
            msg("Rename it, e.g. {example}.", example="dealer_sales"),
        )
    cols_raw = data.get("columns")
    if not isinstance(cols_raw, dict) or not cols_raw:
        raise _fail(
            where,
            msg("ledger {name!r} has no columns.", name=name),
            msg("Add {example}.", example="columns: {out_name: {column: ..., type: ...}}"),
        )
    cols = []
    for out, spec in cols_raw.items():
        out = str(out)
        if not _NAME_RE.match(out):
            raise _fail(
                where,
                msg("ledger column {name!r} must be lower-case letters, digits and _.", name=out),
                msg("Rename it (names starting with _ are reserved)."),
            )
        if isinstance(spec, str):
            spec = {"column": spec}
        if not isinstance(spec, dict):
            raise _fail(
                where,
                msg("ledger column {name!r} must be a mapping.", name=out),
                msg("Write {example}.", example="{column: ..., type: ...}"),
            )
        _known_keys(
            msg("{where}, ledger column {name!r}", where=where, name=out), spec, _LEDGER_COLUMN_KEYS
        )
        typ = str(spec.get("type", "string"))
        if typ not in LEDGER_TYPES:
            raise _fail(
                where,
                msg("ledger column {name!r} has unknown type {type!r}.", name=out, type=typ),
                msg("Use one of: {types}.", types=", ".join(LEDGER_TYPES)),
            )
        fmt = str(spec["format"]) if spec.get("format") else None
        here = msg("{where}, ledger column {name!r}", where=where, name=out)
        cols.append(
            LedgerColumn(
                name=out,
                column=str(spec.get("column") or out),
                type=typ,  # type: ignore[arg-type]  # checked against LEDGER_TYPES above
                format=fmt,
                required=_flag(where, spec, "required"),
                two_digit_years_from=_years_from(here, spec, fmt, typ in ("date", "timestamp")),
            )
        )
    raw_key = data.get("key") or []
    key = [raw_key] if isinstance(raw_key, str) else raw_key
    names = [c.name for c in cols]
    if not isinstance(key, list) or any(not isinstance(k, str) or k not in names for k in key):
        raise _fail(
            where,
            msg(
                "ledger {name!r}: key {key} must name columns of the ledger ({columns}).",
                name=name,
                key=repr(raw_key),
                columns=", ".join(names),
            ),
            msg("Write {example}.", example="key: [record_id]"),
        )
    return LedgerSpec(name=name, columns=tuple(cols), key=tuple(dict.fromkeys(key)))


def _query(where: Where, dataset: str, data: Any, base: Path) -> QuerySpec:
    if not isinstance(data, dict):
        raise _fail(
            where,
            msg("a query must be a mapping."),
            msg("See {doc} for the layout.", doc="docs/mapping.md"),
        )
    _known_keys(where, data, _QUERY_KEYS)
    source = _source(where, data, base)
    ents_raw = data.get("entities") or {}
    if not isinstance(ents_raw, dict):
        raise _fail(
            where,
            msg("entities must be a mapping of names."),
            msg("Write {example}.", example="entities: {name: {...}}"),
        )
    entities = [_entity(where, dataset, str(n), d) for n, d in ents_raw.items()]
    ledger = _ledger(where, data["ledger"]) if data.get("ledger") is not None else None
    if not entities and ledger is None:
        raise _fail(
            where,
            msg("the query maps no entities and no ledger."),
            msg("Add {first} or {second}.", first="entities:", second="ledger:"),
        )
    source = replace(source, date_formats=_date_formats(entities, ledger))
    return QuerySpec(source=source, entities=_order(where, entities), ledger=ledger)


def _date_formats(
    entities: list[EntitySpec], ledger: LedgerSpec | None
) -> tuple[tuple[str, str], ...]:
    """Each column read as a date with a `format`, and that format (the first one given)."""
    found: dict[str, str] = {}
    for entity in entities:
        for prop in entity.properties:
            if prop.type_name == "date" and prop.format:
                for column in prop.columns:
                    found.setdefault(column, prop.format)
    for col in ledger.columns if ledger is not None else ():
        if col.type in ("date", "timestamp") and col.format:
            found.setdefault(col.column, col.format)
    return tuple(sorted(found.items()))


def parse_mapping(config: Any, base: Path, origin: str | Msg | None = None) -> list[DatasetMapping]:
    """Validate a parsed mapping document (dataset name → block); `origin` names it in
    errors (default: "mapping")."""
    origin = origin if origin is not None else msg("mapping")
    if not isinstance(config, dict) or not config:
        raise IngestError(
            msg("{origin} is not a mapping of dataset names to blocks.", origin=origin),
            hint=msg(
                "Start the file with {example} (see {doc}).",
                example="`dataset_name:`",
                doc="docs/mapping.md",
            ),
        )
    out = []
    for name, block in config.items():
        name = str(name)
        where = msg("{origin}, dataset {name!r}", origin=origin, name=name)
        if not _NAME_RE.match(name):
            raise _fail(
                where,
                msg("dataset names are lower-case letters, digits and _."),
                msg("Rename it, e.g. {example}.", example="us_atf_dealer_sales"),
            )
        if not isinstance(block, dict):
            raise _fail(
                where,
                msg("the dataset block must be a mapping."),
                msg("See {doc}.", doc="docs/mapping.md"),
            )
        _known_keys(where, block, _DATASET_KEYS)
        for key in ("agency", "country", "marking"):
            if block.get(key) is not None:  # `country: NO` is the boolean false
                _yaml_text(where, key, block[key])
        for key in ("agency", "country", "marking"):
            if not block.get(key):
                raise _fail(
                    where,
                    msg("missing {key!r}.", key=key),
                    msg("Every dataset names its agency, country and TLP marking."),
                )
        try:
            check_lengths(dataset=name, agency=str(block["agency"]).strip())
            marking = Marking.parse(str(block["marking"]))
            country = parse_country(str(block["country"]))
            releasable_to = parse_releasable_input(block.get("releasable_to"))
            check_releasable(marking, releasable_to)
        except ConfigError as exc:
            raise _fail(where, exc.text, exc.hint_text) from None
        queries_raw = _as_query_list(block)
        if not queries_raw:
            raise _fail(
                where,
                msg("no queries."),
                msg("Add {example}.", example="queries: [{csv_url: ..., entities: ...}]"),
            )
        queries = tuple(
            _query(msg("{where}, query {number}", where=where, number=i + 1), name, q, base)
            for i, q in enumerate(queries_raw)
        )
        out.append(
            DatasetMapping(
                name=name,
                agency=str(block["agency"]).strip().upper(),  # "ATF " is ATF
                country=country,
                marking=marking,
                releasable_to=releasable_to,
                queries=queries,
                title=str(block.get("title") or ""),
                legal_basis=str(block.get("legal_basis") or ""),
            )
        )
    return out


def _as_query_list(block: dict[str, Any]) -> list[Any]:
    out: list[Any] = []
    for key in ("queries", "query"):
        value = block.get(key)
        if isinstance(value, list):
            out.extend(value)
        elif value is not None:
            out.append(value)
    return out


def load_mapping(path: Path | str) -> list[DatasetMapping]:
    """Read and validate a mapping YAML file; data files are resolved relative to it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise IngestError(
            msg("Cannot read mapping {path}: {problem}.", path=path, problem=os_problem(exc)),
            hint=msg("Check the path."),
        ) from None
    except UnicodeDecodeError as exc:
        raise IngestError(
            msg(
                "Mapping {path} is not UTF-8 text (byte {byte} at position {at}).",
                path=path,
                **bad_byte(exc),
            ),
            hint=SAVE_AS_UTF8,
        ) from None
    try:
        config = yamltext.load(text)
    except yaml.YAMLError as exc:
        raise IngestError(
            msg(
                "Mapping {path} is not valid YAML: {error}", path=path, error=yamltext.problem(exc)
            ),
            hint=msg("Fix the YAML syntax at the position shown."),
        ) from None
    mappings = parse_mapping(config, path.resolve().parent, origin=str(path))
    return [_with_path(m, path) for m in mappings]


def _with_path(mapping: DatasetMapping, path: Path) -> DatasetMapping:
    from dataclasses import replace

    return replace(mapping, path=path)
