"""The per-line path of the entity import: one FtM entity JSON line checked and cleaned by
FtM's own rules, with the entity as context.

`entity_statements` reads a line as `EntityProxy.add` would (each value sanitised, then the
type's `clean_text` with the property's format and the entity as context; a phone written with
Mexico's old `+52 1` read too, `store.ids.clean_phone`, as a mapping's is; empty values
dropped, as FtM drops them) and returns either the line's statements, with FtM's ids
(`Statement.make_key`), or every problem found in it, as (column, value, reason) with the reason
in the current language: never both. It is the reference the bulk path (`entity_bulk`) is held
to: that path leaves this one every line it cannot be sure of, and for a good line both give
the same statements (`tests/ingest/test_ingest_entities.py` compares them). Reads no file and
no store.
"""

from __future__ import annotations

import json
import math
from hashlib import sha1

from followthemoney.exc import InvalidData
from followthemoney.proxy import EntityProxy
from followthemoney.types import registry
from followthemoney.value import string_list

from ironriver.errors import json_problem
from ironriver.i18n import t
from ironriver.ingest.clean import id_problem, reference_text, sanitize_name, shown_id
from ironriver.ingest.statement_files import is_statement
from ironriver.model import get_model
from ironriver.model.labels import type_label
from ironriver.store import MAX_ID_LENGTH
from ironriver.store.ids import clean_phone

Row = tuple[str, str, str, str, str, int]


def _long_id_reason() -> str:
    """The report's reason for an entity id or reference longer than a store takes, in the
    current language."""
    return t(
        "longer than {n} characters, FtM's limit for an entity id: shorten it (or hash it)",
        n=MAX_ID_LENGTH,
    )


def entity_statements(
    line: str, number: int, dataset: str
) -> tuple[list[Row], list[tuple[str, str, str]]]:
    """(statement rows, problems as (column, value, reason)) for one line; the reasons are
    in the current language (also in the stage's prefetch thread, which runs in the
    caller's context).

    Each value is cleaned once, as `EntityProxy.add` cleans it (sanitised, then the type's
    `clean_text` with the property's format and the entity as context), and the statement
    ids are FtM's `Statement.make_key`, computed without building FtM objects per value."""
    model = get_model()
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        reason = t("not valid JSON: {error}", error=json_problem(exc))
        return [], [(t("(line)"), line[:80], reason)]
    if not isinstance(data, dict):
        return [], [(t("(line)"), line[:80], t("not a JSON object"))]
    if is_statement(data):  # (its "id" and "schema" would make an entity of nothing)
        reason = t(
            "an FtM statement (entity_id, prop, value), not an entity: roll statements up "
            "into entities with ftm aggregate-statements"
        )
        return [], [(t("(line)"), line[:80], reason)]
    schema = model.get(str(data.get("schema")))
    if schema is None:
        return [], [("schema", str(data.get("schema")), t("unknown schema"))]
    raw_id = data.get("id")
    if raw_id is None or raw_id == "":  # (0 is an id: review R30 F10)
        return [], [("id", "", t("entity has no id"))]
    if (refused := id_problem(raw_id)) is not None:
        # (the id as JSON writes it, not a list's Python text)
        text = (
            shown_id(raw_id) if isinstance(raw_id, str) else json.dumps(raw_id, ensure_ascii=False)
        )
        return [], [("id", text[:80], refused)]
    props = data.get("properties") or {}
    if not isinstance(props, dict):
        return [], [("properties", str(props)[:80], t("properties must be an object"))]
    if len(str(data["id"])) > MAX_ID_LENGTH:
        return [], [("id", str(data["id"])[:80], _long_id_reason())]
    proxy = model.make_entity(schema)
    proxy.id = entity_id = str(data["id"])
    problems = []
    for name, values in props.items():
        prop = schema.get(name)
        if prop is None:
            reason = t("{schema} has no property {name!r}", schema=schema.name, name=name)
            problems.append((name, json.dumps(values, ensure_ascii=False)[:80], reason))
            continue
        if prop.stub:
            reason = t("{name} is a reverse property", name=name)
            problems.append((name, json.dumps(values, ensure_ascii=False)[:80], reason))
            continue
        if _holds_object(values):  # (not text: `string_list` would drop it, review R29b F1)
            reason = t("a JSON object or nested list is not a value of {name}", name=name)
            problems.append((name, json.dumps(values, ensure_ascii=False)[:80], reason))
            continue
        if prop.type.name == "entity":  # (as written: `_reference_texts`)
            for value in _reference_texts(values):
                if (problem := id_problem(value)) is not None:
                    problems.append((name, shown_id(value)[:80], problem))
            if problems:
                continue
        texts = _reference_texts(values) if prop.type.name == "entity" else None
        for value in texts if texts is not None else _texts(values, prop.type.name):
            try:
                if prop.type.name == "phone":  # (Mexico's old prefixes read, as in bulk)
                    clean = clean_phone(value, prop.format)
                elif prop.type.name == "entity":  # (any id the store takes: `_reference`)
                    clean = _reference(value, entity_id, proxy)
                else:
                    clean = prop.type.clean_text(value, format=prop.format, proxy=proxy)
            except InvalidData as exc:  # e.g. an entity referring to itself
                reason = (  # (FtM's own words name a Python object: review R29b F7)
                    t(
                        "a reference to the entity itself ({schema} {id})",
                        schema=schema.name,
                        id=entity_id,
                    )
                    if prop.type.name == "entity" and value == entity_id
                    else str(exc)
                )
                problems.append((name, value[:80], reason))
                continue
            if clean is not None and prop.type.name == "entity" and len(clean) > MAX_ID_LENGTH:
                problems.append((name, value[:80], _long_id_reason()))
            elif clean is None:
                reason = t("not a valid {type}", type=type_label(prop.type.name))
                problems.append((name, value[:80], reason))
            elif proxy.unsafe_add(prop, clean, cleaned=True) is None:
                reason = t("over FtM's size limit for {name}", name=name)
                problems.append((name, value[:80], reason))
    if problems:
        return [], problems
    prefix = f"{dataset}.{entity_id}."
    rows: list[Row] = [
        (
            sha1(f"{prefix}{prop.name}.{value}".encode()).hexdigest(),
            entity_id,
            schema.name,
            prop.name,
            value,
            number,
        )
        for prop, value in proxy.itervalues()
    ]
    return rows, []


def _reference(value: str, entity_id: str, proxy: EntityProxy) -> str | None:
    """`value` as a reference to an entity (`clean.reference_text`), or None; a reference to
    the entity itself is refused as FtM refuses it (`InvalidData`)."""
    if value == entity_id:
        registry.entity.clean_text(value, proxy=proxy)  # (raises FtM's InvalidData)
    return reference_text(value)  # (one longer than an id may be: said so by the caller)


def _reference_texts(values: object) -> list[str]:
    """A property's references as written (an entity given whole: its `id`), not sanitized:
    an id is read as written (`id_problem`), so a reference must be too, or the two do not
    meet ("x\u200dy", whose joiner the sanitizing removes, referred to "xy"), and one holding
    what no id may hold would become a reference to another entity ("s\ud800", "v\x001": "s",
    "v1"). Such a reference is refused with the id's reason, naming the character (review
    R31 F8). The bulk path leaves a line to this path when a reference's sanitized text is
    not as written (`entity_bulk._bulk_registered`'s doubt)."""
    listed = values if isinstance(values, list) else [values]
    out: list[str] = []
    for value in listed:
        if isinstance(value, dict):
            value = value.get("id")
        if isinstance(value, str):
            if value:  # (an empty one is no value, as FtM reads it)
                out.append(value)
        elif value is not None:  # (a number: its text, as FtM writes it)
            out.extend(_texts([value], "entity"))
    return out


def _holds_object(values: object) -> bool:
    """Whether a property's JSON value is, or lists, an object or a list that is no value (a
    value is text, a number or a boolean, or an entity given whole, an object with an `id`,
    which FtM reads as that id; a list of those is several values)."""

    def odd(value: object) -> bool:
        return isinstance(value, list) or (isinstance(value, dict) and "id" not in value)

    if isinstance(values, list):
        return any(odd(v) for v in values)
    return odd(values)


def _float_text(value: float) -> str:
    """FtM's text of `value` where it reads back as `value`, else JSON's (`_texts`). NaN,
    which equals nothing, is FtM's "nan" too (as "inf" is), not JSON's "NaN": the statement
    and its id are FtM's (review R30 F11)."""
    text = string_list(value)[0]  # ("72.50"; "nan" and "inf" as such)
    return text if float(text) == value or math.isnan(value) else json.dumps(value)


def _texts(values: object, type_name: str) -> list[str]:
    """A property's values sanitized as `EntityProxy.add` does (`string_list`), but a name's
    with a control character as a space (`clean.sanitize_name`), as the bulk path reads it.
    A JSON number with a fraction is FtM's text of it (two decimals: 72.5 is "72.50") where
    that is the number, else as the file writes it (FtM stored 1e-07 as "0.00" and 0.125 as
    "0.12": review R29b F7)."""
    if isinstance(values, float) or (
        isinstance(values, list) and any(isinstance(v, float) for v in values)
    ):
        listed = values if isinstance(values, list) else [values]
        values = [_float_text(v) if isinstance(v, float) else v for v in listed]
    if type_name != "name":
        return string_list(values, sanitize=True)
    return [text for v in string_list(values) if (text := sanitize_name(v))]


def line_extras(line: str) -> tuple[set[str], bool]:
    """The datasets one line names (`"datasets"`: a list of names or one name), and whether
    it lists referents (`entity_bulk.WITH_REFERENTS`), if it is a JSON object."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError:
        return set(), False
    if not isinstance(data, dict):
        return set(), False
    named, referents = data.get("datasets"), data.get("referents")
    has_referents = isinstance(referents, (list, str)) and len(referents) > 0
    if isinstance(named, str):
        return {named}, has_referents
    names = {v for v in named if isinstance(v, str)} if isinstance(named, list) else set()
    return names, has_referents
