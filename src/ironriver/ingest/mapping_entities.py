"""The entities of a mapping's query read into specs (`read_entity`): schema, keys or
`id_column`, `key_literal`, `key_clean` and properties, each checked against the model; and
the entities of one query in dependency order (`order_entities`).

Invariant: an `EntitySpec` read here names a schema and properties the model has (no reverse
property), plain literals (not parts of a join, template or split) its properties' types
clean, and a `key_clean` of key columns read as one value by a phone or email property;
`order_entities` returns references that resolve inside the query to an entity of the right
schema, referenced entities first, no cycle, and no two entities whose ids always coincide
unless their schemata merge. Anything else is an `IngestError` saying what to fix
(`mapping_fields.fail`).
"""

from __future__ import annotations

from typing import Any

from normality import stringify

from ironriver.i18n import msg
from ironriver.ingest.clean import clean_literal
from ironriver.ingest.mapping_fields import (
    ENTITY_KEYS,
    PROPERTY_KEYS,
    Where,
    as_list,
    check_known_keys,
    check_yaml_text,
    fail,
    read_flag,
    read_years_from,
)
from ironriver.ingest.specs import (
    KEY_CLEAN_TYPES,
    CleanKey,
    EntitySpec,
    IdSignature,
    PropertySpec,
    id_signature,
)
from ironriver.model import get_model, mergeable
from ironriver.model.labels import type_label
from ironriver.model.names import properties_hint, schema_hint


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


def read_entity(where: Where, dataset: str, name: str, data: Any) -> EntitySpec:
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


def order_entities(where: Where, entities: list[EntitySpec]) -> tuple[EntitySpec, ...]:
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
