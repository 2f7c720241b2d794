"""Mapping files: parse and validate them into typed specs (no data is read here).

The format is FtM's mapping format plus a few keys of ours (documented in docs/mapping.md):
the top-level key names the dataset; `agency`, `country`, `marking`, `releasable_to` and
`legal_basis` give its access label; each query reads one CSV (`csv_url`), JSON Lines
(`jsonl_url`) or spreadsheet (`xlsx_url`, one sheet) file and maps it to FtM `entities`, to a
typed `ledger`, or both. A file using only FtM's keys runs unchanged under `ftm map`.

The specs are in `specs.py` (and importable from here, as `load_mapping` returns them);
the readers of single values, with their checks, in `mapping_fields.py`; this module reads
the structure: datasets, queries, entities (in dependency order), properties, ledgers.

Invariant: a `DatasetMapping` returned by `load_mapping` names only schemata and properties
that exist in `ironriver.model.get_model()`, entity references that resolve inside their
query, and files that exist; everything else is an `IngestError` saying what to fix.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml
from normality import stringify

from ironriver import yamltext
from ironriver.errors import SAVE_AS_UTF8, ConfigError, IngestError, bad_byte, os_problem
from ironriver.i18n import Msg, msg
from ironriver.ingest.clean import clean_literal, decimal_problem
from ironriver.ingest.data_as_mapping import data_file_error, data_name, is_data_file, is_sheet
from ironriver.ingest.encoding import check_not_packed, packed_format
from ironriver.ingest.mapping_fields import (
    DATASET_KEYS,
    ENTITY_KEYS,
    LEDGER_COLUMN_KEYS,
    LEDGER_KEYS,
    NAME_RE,
    PROPERTY_KEYS,
    QUERY_KEYS,
    Where,
    as_list,
    check_known_keys,
    check_yaml_text,
    fail,
    read_filters,
    read_flag,
    read_header,
    read_null_values,
    read_sheet,
    read_years_from,
)
from ironriver.ingest.specs import (
    KEY_CLEAN_TYPES,
    LEDGER_TYPES,
    CleanKey,
    DatasetMapping,
    EntitySpec,
    IdSignature,
    LedgerColumn,
    LedgerSpec,
    PropertySpec,
    QuerySpec,
    SourceKind,
    SourceSpec,
    id_signature,
)
from ironriver.model import get_model, mergeable
from ironriver.model.labels import type_label
from ironriver.model.names import properties_hint, schema_hint
from ironriver.policy.markings import (
    Marking,
    check_lengths,
    check_releasable,
    parse_country,
    parse_releasable_input,
)

# The specs `load_mapping` returns are this module's public names too: callers outside
# `ingest` import them from here (as `policy.evaluate` does); `ingest`'s own modules take them
# from `specs` (which does not load the YAML parser).
__all__ = [
    "LEDGER_TYPES",
    "DatasetMapping",
    "EntitySpec",
    "LedgerColumn",
    "LedgerSpec",
    "PropertySpec",
    "QuerySpec",
    "SourceKind",
    "SourceSpec",
    "load_mapping",
    "parse_mapping",
]


def _source(where: Where, data: dict[str, Any], base: Path) -> SourceSpec:
    csv_urls = as_list(data, "csv_url", "csv_urls")
    jsonl_urls = as_list(data, "jsonl_url", "jsonl_urls")
    xlsx_urls = as_list(data, "xlsx_url", "xlsx_urls")
    kinds: tuple[SourceKind, ...] = ("csv", "jsonl", "xlsx")
    urls = [
        (u, k)
        for k, found in zip(kinds, (csv_urls, jsonl_urls, xlsx_urls), strict=True)
        for u in found
    ]
    if any(k in data for k in ("database", "table", "tables", "joins")):  # FtM's SQL keys
        raise fail(
            where,
            msg("SQL database sources are not supported by ironriver ingest."),
            msg("Export the table to CSV and use csv_url."),
        )
    if len(urls) != 1:
        raise fail(
            where,
            msg(
                "each query needs exactly one csv_url, jsonl_url or xlsx_url, found {n}.",
                n=len(urls),
            ),
            msg("Split multi-file queries into one query per file."),
        )
    url, kind = urls[0]
    if "://" in url:
        raise fail(
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
            hint=msg(
                "Check csv_url/jsonl_url/xlsx_url; relative paths start at the mapping file's "
                "folder (at the current folder for a mapping read from a pipe, such as "
                "/dev/stdin)."
            ),
        )
    encoding = str(data.get("encoding") or "utf-8")
    try:
        "".encode(encoding)
    except LookupError:
        raise fail(
            where,
            msg("unknown encoding {encoding!r}.", encoding=encoding),
            msg("Use a Python codec name such as utf-8, latin-1 or cp1252."),
        ) from None
    delimiter = str(data.get("delimiter") or ",")
    if len(delimiter) != 1:
        raise fail(
            where,
            msg("delimiter {delimiter!r} must be one character.", delimiter=delimiter),
            msg("Use e.g. ',' or ';'."),
        )
    sheet, header_row = read_sheet(where, data, kind)
    return SourceSpec(
        path=path.resolve(),
        kind=kind,
        encoding=encoding,
        delimiter=delimiter,
        filters=read_filters(where, "filters", data.get("filters")),
        filters_not=read_filters(where, "filters_not", data.get("filters_not")),
        header=read_header(where, data.get("header"), kind),
        null_values=read_null_values(where, data.get("null_values")),
        sheet=sheet,
        header_row=header_row,
    )


def _property(where: Where, schema: Any, name: str, data: Any) -> PropertySpec:
    prop = schema.get(name)
    if prop is None:
        raise fail(
            where,
            msg("schema {schema} has no property {name!r}.", schema=schema.name, name=name),
            properties_hint(name, [schema.name]),
        )
    if prop.stub:
        raise fail(
            where,
            msg("property {name!r} is a reverse (stub) property.", name=name),
            msg("Map the relation from the entity holding the forward property."),
        )
    if isinstance(data, str):
        data = {"column": data}
    if not isinstance(data, dict):
        raise fail(
            where,
            msg("property {name!r} must be a mapping.", name=name),
            msg("Write {example}.", example="{column: NAME}"),
        )
    here = msg("{where}, property {name!r}", where=where, name=name)
    check_known_keys(here, data, PROPERTY_KEYS)
    for key in ("literal", "literals"):  # `literal: NO` is false, `0012` the number 10
        raw = data.get(key)
        for value in raw if isinstance(raw, list) else [] if raw is None else [raw]:
            check_yaml_text(here, key, value)
    for key in ("split", "join"):  # `split: [";"]` was the text "[';']"
        if data.get(key) is not None and not isinstance(data[key], str):
            raise fail(
                here,
                msg("{key} must be text, not {value!r}.", key=key, value=data[key]),
                msg("Write {example}.", example=f"{key}: ';'"),
            )
    fmt = str(data["format"]) if data.get("format") else prop.format
    spec = PropertySpec(
        name=name,
        type_name=str(prop.type.name),
        columns=tuple(as_list(data, "column", "columns")),
        literals=tuple(as_list(data, "literal", "literals")),
        # (a blank template states nothing: told below, as a blank literal; review R30 F9)
        template=(
            str(data["template"])
            if data.get("template") is not None and str(data["template"]).strip()
            else None
        ),
        entity=str(data["entity"]) if data.get("entity") else None,
        join=str(data["join"]) if data.get("join") is not None else None,
        split=str(data["split"]) if data.get("split") is not None else None,
        # the model's own format (iban, bic, lei, ...) unless the mapping gives one, as FtM
        format=fmt,
        fuzzy=read_flag(here, data, "fuzzy"),
        required=read_flag(here, data, "required"),
        two_digit_years_from=read_years_from(here, data, fmt, prop.type.name == "date"),
    )
    if not (spec.columns or spec.literals or spec.template is not None or spec.entity):
        for key in ("literal", "literals", "column", "columns", "template"):
            if data.get(key) is not None:  # (given, but blank: review R29 F5)
                raise fail(
                    where,
                    msg(
                        "property {name!r}: the value of {key} is blank ({value!r}), so it "
                        "states nothing.",
                        name=name,
                        key=key,
                        value=data[key],
                    ),
                    msg("Write a value there, or remove the property."),
                )
        raise fail(
            where,
            msg("property {name!r} names no column, literal, template or entity.", name=name),
            msg("Add one of {keys}.", keys="column/columns/literal/template/entity"),
        )
    if spec.entity and prop.type.name != "entity":
        raise fail(
            where,
            msg("property {name!r} is not an entity reference.", name=name),
            msg("Use column/literal for plain values."),
        )
    if spec.join is None and spec.template is None and spec.split is None:
        _check_literals(where, spec)
    return spec


def _check_literals(where: Where, spec: PropertySpec) -> None:
    """Refuse a plain literal its property's type does not clean (`literal: Narnia` for a
    country, a phone without its country, a reference holding a tab): no record would state
    it, and `ftm map` drops it without a word. A blank one is none (told above, when alone).
    The literals of a `join`, `template` or `split` are parts of a value, cleaned whole."""
    for lit in spec.literals:
        if not lit.strip():
            continue
        cleaned = clean_literal(
            spec.type_name, lit, spec.format, spec.fuzzy, spec.two_digit_years_from
        )
        if cleaned is None:
            raise fail(
                where,
                msg(
                    "property {name!r}: the literal {value!r} is not a valid {type}, so no "
                    "record would state it (ftm map drops it without a word).",
                    name=spec.name,
                    value=lit,
                    type=type_label(spec.type_name),
                ),
                msg("Write it as a valid {type}, or remove it.", type=type_label(spec.type_name)),
            )


def _entity(where: Where, dataset: str, name: str, data: Any) -> EntitySpec:
    model = get_model()
    if not isinstance(data, dict):
        raise fail(
            where,
            msg("entity {name!r} must be a mapping.", name=name),
            msg("Write {example}.", example="{schema: ..., keys: [...]}"),
        )
    check_known_keys(msg("{where}, entity {name!r}", where=where, name=name), data, ENTITY_KEYS)
    schema_name = data.get("schema")
    schema = model.get(str(schema_name)) if schema_name else None
    if schema is None:
        raise fail(
            where,
            msg("entity {name!r} has unknown schema {schema!r}.", name=name, schema=schema_name),
            schema_hint(str(schema_name or "")),
        )
    keys = tuple(as_list(data, "key", "keys"))
    id_column = str(data["id_column"]) if data.get("id_column") else None
    if not keys and id_column is None:
        raise fail(
            where,
            msg("entity {name!r} has no keys.", name=name),
            msg("Add {example}.", example="keys: [column, ...]"),
        )
    if keys and id_column is not None:
        raise fail(
            where,
            msg("entity {name!r} has both keys and id_column.", name=name),
            msg("Use one of them."),
        )
    props_raw = data.get("properties") or {}
    if not isinstance(props_raw, dict):
        raise fail(
            where,
            msg("properties of {name!r} must be a mapping.", name=name),
            msg("Write {example}.", example="properties: {prop: {column: ...}}"),
        )
    props = tuple(
        _property(msg("{where}, entity {name!r}", where=where, name=name), schema, str(p), d)
        for p, d in props_raw.items()
    )
    literal = data.get("key_literal")
    here = msg("{where}, entity {name!r}", where=where, name=name)
    return EntitySpec(
        name=name,
        schema=str(schema.name),
        keys=keys,
        # as FtM hashes it: normality's text of the YAML value (1.0 -> "1", a date in ISO)
        key_literal=stringify(literal),
        id_column=id_column,
        properties=props,
        key_clean=_key_clean(here, data.get("key_clean"), keys, props),
    )


def _key_clean(
    where: Where, raw: Any, keys: tuple[str, ...], props: tuple[PropertySpec, ...]
) -> tuple[CleanKey, ...]:
    """An entity's `key_clean` (ours): {key column: the property of the entity whose cleaning
    the column's value takes before it is hashed into the id}. The property must read the
    column as one value (`column`/`columns`, no `split`, `join` or `template`), so that the
    key is the very value the entity stores, and be of a type whose cleaned value names one
    thing wherever it is written (`KEY_CLEAN_TYPES`)."""
    if raw is None:
        return ()
    example = "key_clean: {TELEFONO: number}"
    if not isinstance(raw, dict) or not raw:
        raise fail(
            where,
            msg("key_clean must map key columns to properties of the entity."),
            msg("Write {example}.", example=example),
        )
    if not keys:
        raise fail(
            where,
            msg("key_clean needs keys (an id_column is taken as it is)."),
            msg("Write {example}.", example="keys: [TELEFONO]"),
        )
    by_name = {p.name: p for p in props}
    out = []
    for column, prop_name in raw.items():
        column, prop_name = str(column), str(prop_name)
        if column not in keys:
            raise fail(
                where,
                msg(
                    "key_clean names the column {column!r}, which is not one of the entity's "
                    "keys ({keys}).",
                    column=column,
                    keys=", ".join(keys),
                ),
                msg("Add it to keys, or take it out of key_clean."),
            )
        prop = by_name.get(prop_name)
        reads = f"{prop_name}: {{column: {column}}}"
        if prop is None:
            raise fail(
                where,
                msg(
                    "key_clean cleans {column!r} as the property {prop!r}, which the entity "
                    "does not map.",
                    column=column,
                    prop=prop_name,
                ),
                msg("Map the property from the column ({example}).", example=reads),
            )
        alone = prop.template is None and prop.join is None and prop.split is None
        if column not in prop.columns or not alone:
            raise fail(
                where,
                msg(
                    "key_clean cleans {column!r} as the property {prop!r}, which does not read "
                    "that column as one value (with column or columns; no split, join or "
                    "template).",
                    column=column,
                    prop=prop_name,
                ),
                msg("Map the property from the column ({example}).", example=reads),
            )
        if prop.type_name not in KEY_CLEAN_TYPES:
            raise fail(
                where,
                msg(
                    "key_clean cleans {column!r} as the property {prop!r}, of the type "
                    "{type}: a key is cleaned as a phone or an email only, whose cleaned "
                    "value names one line or one mailbox wherever it is written.",
                    column=column,
                    prop=prop_name,
                    type=prop.type_name,
                ),
                msg("Take the column out of key_clean: it is hashed as the file writes it."),
            )
        out.append(CleanKey(column, prop.name, prop.type_name, prop.format))
    return tuple(sorted(out, key=lambda k: keys.index(k.column)))


def _check_distinct_ids(where: Where, entities: list[EntitySpec]) -> None:
    """Refuse two entities whose ids would always coincide and whose schemata cannot be one
    entity (FtM would silently merge, say, a gun and its recovery into one entity). Two whose
    schemata merge (Person and LegalEntity) are one entity of the more specific schema, as
    FtM's `ftm map` makes them: its way of giving one entity properties from two mappings."""
    seen: dict[IdSignature, list[EntitySpec]] = {}
    for entity in entities:
        same = seen.setdefault(id_signature(entity), [])
        # (each one against every other on its keys: Person and Company each merge with
        # LegalEntity, not with each other; review R30 F2)
        other = next((o for o in same if not mergeable(o.schema, entity.schema)), None)
        same.append(entity)
        if other is not None:
            raise fail(
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
                raise fail(
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
                raise fail(
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
            raise fail(
                where,
                msg("circular entity references."),
                msg("Remove the cycle between entities."),
            )
    return tuple(ordered)


def _ledger(where: Where, data: Any) -> LedgerSpec:
    if not isinstance(data, dict) or not data.get("name"):
        raise fail(
            where,
            msg("a ledger needs a name and columns."),
            msg("Write {example}.", example="ledger: {name: ..., columns: {...}}"),
        )
    check_known_keys(where, data, LEDGER_KEYS)
    name = str(data["name"])
    if not NAME_RE.match(name):
        raise fail(
            where,
            msg("ledger name {name!r} must be lower-case letters, digits and _.", name=name),
            msg("Rename it, e.g. {example}.", example="dealer_sales"),
        )
    cols_raw = data.get("columns")
    if not isinstance(cols_raw, dict) or not cols_raw:
        raise fail(
            where,
            msg("ledger {name!r} has no columns.", name=name),
            msg("Add {example}.", example="columns: {out_name: {column: ..., type: ...}}"),
        )
    cols = []
    for out, spec in cols_raw.items():
        out = str(out)
        if not NAME_RE.match(out):
            raise fail(
                where,
                msg("ledger column {name!r} must be lower-case letters, digits and _.", name=out),
                msg("Rename it (names starting with _ are reserved)."),
            )
        if isinstance(spec, str):
            spec = {"column": spec}
        if not isinstance(spec, dict):
            raise fail(
                where,
                msg("ledger column {name!r} must be a mapping.", name=out),
                msg("Write {example}.", example="{column: ..., type: ...}"),
            )
        check_known_keys(
            msg("{where}, ledger column {name!r}", where=where, name=out), spec, LEDGER_COLUMN_KEYS
        )
        typ = str(spec.get("type", "string"))
        if typ not in LEDGER_TYPES:
            raise fail(
                where,
                msg("ledger column {name!r} has unknown type {type!r}.", name=out, type=typ),
                msg("Use one of: {types}.", types=", ".join(LEDGER_TYPES)),
            )
        fmt = str(spec["format"]) if spec.get("format") else None
        here = msg("{where}, ledger column {name!r}", where=where, name=out)
        if (problem := decimal_problem(spec.get("decimal"), typ)) is not None:
            raise fail(here, *problem)
        cols.append(
            LedgerColumn(
                name=out,
                column=str(spec.get("column") or out),
                type=typ,  # type: ignore[arg-type]  # checked against LEDGER_TYPES above
                format=fmt,
                required=read_flag(where, spec, "required"),
                two_digit_years_from=read_years_from(here, spec, fmt, typ in ("date", "timestamp")),
                decimal=spec.get("decimal"),
            )
        )
    raw_key = data.get("key") or []
    key = [raw_key] if isinstance(raw_key, str) else raw_key
    names = [c.name for c in cols]
    if not isinstance(key, list) or any(not isinstance(k, str) or k not in names for k in key):
        raise fail(
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
        raise fail(
            where,
            msg("a query must be a mapping."),
            msg("See {doc} for the layout.", doc="docs/mapping.md"),
        )
    check_known_keys(where, data, QUERY_KEYS)
    source = _source(where, data, base)
    ents_raw = data.get("entities") or {}
    if not isinstance(ents_raw, dict):
        raise fail(
            where,
            msg("entities must be a mapping of names."),
            msg("Write {example}.", example="entities: {name: {...}}"),
        )
    entities = [_entity(where, dataset, str(n), d) for n, d in ents_raw.items()]
    ledger = _ledger(where, data["ledger"]) if data.get("ledger") is not None else None
    if not entities and ledger is None:
        raise fail(
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
        if not NAME_RE.match(name):
            raise fail(
                where,
                msg("dataset names are lower-case letters, digits and _."),
                msg("Rename it, e.g. {example}.", example="us_atf_dealer_sales"),
            )
        if not isinstance(block, dict):
            raise fail(
                where,
                msg("the dataset block must be a mapping."),
                msg("See {doc}.", doc="docs/mapping.md"),
            )
        check_known_keys(where, block, DATASET_KEYS)
        for key in ("agency", "country", "marking"):
            if block.get(key) is not None:  # `country: NO` is the boolean false
                check_yaml_text(where, key, block[key])
        for key in ("agency", "country", "marking"):
            if not block.get(key):
                raise fail(
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
            raise fail(where, exc.text, exc.hint_text) from None
        queries_raw = _as_query_list(block)
        if not queries_raw:
            raise fail(
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
    """Read and validate a mapping YAML file; data files are resolved relative to it, and so
    are the files its `include:` keys name (`_resolve_includes`)."""
    path = Path(path)
    included: list[Path] = []
    config = _resolve_includes(path, _read_yaml(path, datasets=True), (path.resolve(),), included)
    # (an error names the files included too: what it is about may be in one of them; review
    # R30 F8)
    origin: str | Msg = str(path)
    if included:
        names = dict.fromkeys(_shown(f, path) for f in included)
        origin = msg("{path} (which includes {files})", path=str(path), files=", ".join(names))
    mappings = parse_mapping(config, mapping_folder(path), origin=origin)
    return [_with_path(m, path) for m in mappings]


def mapping_folder(path: Path) -> Path:
    """The folder the relative paths of the mapping at `path` start at: the mapping file's,
    or the current folder for a mapping that is no file on disk (`/dev/stdin`, a shell's
    `<(...)`: its folder was `/proc/PID/fd`, where no data file is)."""
    try:
        on_disk = path.is_file()
    except OSError:
        on_disk = False
    return path.resolve().parent if on_disk else Path.cwd()


def _shown(included: Path, path: Path) -> str:
    """An included file's name as the mapping at `path` would write it (relative to its
    folder where it is under it)."""
    try:
        return str(included.relative_to(mapping_folder(path)))
    except ValueError:
        return str(included)


def _read_yaml(path: Path, datasets: bool = False) -> Any:
    """The YAML document of the mapping file at `path`, or an IngestError saying why not: a
    data file given as a mapping (`data_as_mapping`) is said to be one. `datasets`: the file
    is a mapping (its document names datasets), not one included in a mapping."""
    if is_sheet(path):
        raise data_file_error(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise IngestError(
            msg("Cannot read mapping {path}: {problem}.", path=path, problem=os_problem(exc)),
            hint=msg("Check the path."),
        ) from None
    except UnicodeDecodeError as exc:
        if (packed := packed_format(path)) is not None and packed[0] == "compressed":
            check_not_packed(path, settable=False)  # (m.yaml.gz, f.csv.gz: say so, and how)
        if data_name(path):  # (a CSV file in cp1252, as agencies' exports often are)
            raise data_file_error(path) from None
        raise IngestError(
            msg(
                "Mapping {path} is not UTF-8 text (byte {byte} at position {at}).",
                path=path,
                **bad_byte(exc),
            ),
            hint=SAVE_AS_UTF8,
        ) from None
    try:
        document = yamltext.load(text)
    except yaml.YAMLError as exc:
        if data_name(path):
            raise data_file_error(path) from None
        raise IngestError(
            msg(
                "Mapping {path} is not valid YAML: {error}", path=path, error=yamltext.problem(exc)
            ),
            hint=msg("Fix the YAML syntax at the position shown."),
        ) from None
    if is_data_file(path, text, document, datasets):
        raise data_file_error(path)
    return document


def _resolve_includes(path: Path, data: Any, chain: tuple[Path, ...], included: list[Path]) -> Any:
    """FtM's `include:` (`ftm map`'s `resolve_includes`): at any level of the mapping file at
    `path`, a block's `include: FILE` (or a list of files), named relative to that file,
    adds the keys of FILE's block to it; FILE may include others in turn, and an empty FILE
    adds nothing. A key both hold with two values is refused: FtM lets FILE's win, which
    silently changed a dataset's marking (review R30 F4), as a key repeated in one file
    would. `chain`: the files being read, so that a file including itself is an error, not
    an endless loop; `included` gets each file read."""
    if isinstance(data, list):
        return [_resolve_includes(path, item, chain, included) for item in data]
    if not isinstance(data, dict):
        return data
    names = data.pop("include", None)
    setter = dict.fromkeys(data, path)  # (the file each key came from: the message names it)
    for name in names if isinstance(names, list) else [names]:
        if name is None:
            continue
        if not isinstance(name, str) or not name.strip():
            raise IngestError(
                msg(
                    "Mapping {path}: include must name a file, not {value!r}.",
                    path=path,
                    value=name,
                ),
                hint=msg("Write {example}.", example="include: entities.yaml"),
            )
        file = (mapping_folder(path) / name).resolve()
        included.append(file)
        if file in chain:
            raise IngestError(
                msg(
                    "Mapping {path} includes {included}, which includes it in turn.",
                    path=path,
                    included=file,
                ),
                hint=msg("Remove one of the include: keys."),
            )
        block = _resolve_includes(file, _read_yaml(file), (*chain, file), included)
        if block is None:  # (an empty file, as `ftm map` reads it)
            continue
        if not isinstance(block, dict):
            raise IngestError(
                msg(
                    "Mapping {path} includes {included}, which holds no block of keys.",
                    path=path,
                    included=file,
                ),
                hint=msg("Write the included file's keys as key: value lines."),
            )
        for key, value in block.items():
            if key in data and data[key] != value:
                raise IngestError(
                    msg(
                        "{setter} sets {key} to {value!r}, and {included} sets it to "
                        "{other!r}: both are read into one block of mapping {path}.",
                        setter=setter[key],
                        key=key,
                        value=data[key],
                        included=file,
                        other=value,
                        path=path,
                    ),
                    hint=msg("Set {key} in one of the two files only.", key=key),
                )
            data[key] = value
            setter.setdefault(key, file)
    return {key: _resolve_includes(path, value, chain, included) for key, value in data.items()}


def _with_path(mapping: DatasetMapping, path: Path) -> DatasetMapping:
    from dataclasses import replace

    return replace(mapping, path=path)
