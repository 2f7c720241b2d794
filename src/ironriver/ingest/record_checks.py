"""A record check: an SQL condition that rejects a record, with the column, the value and the
reason its error report shows (`validate.build_bad_table` evaluates the checks and builds the
`bad` table), and the reasons themselves.

A reason is read by whoever fixes the file, so it is rendered in the current language when the
check is built (`invalid_reason`, `missing_reason`, ...), once per check, never per record.
`json_value_checks` are the checks over `san` of the JSON Lines values no column may hold
where one value is meant (an object; a list in a key, a join, a template, a ledger column or
a filter).
"""

from __future__ import annotations

from dataclasses import dataclass

from ironriver.i18n import t
from ironriver.ingest.clean import json_kind_name
from ironriver.ingest.report import date_layout
from ironriver.ingest.specs import QuerySpec
from ironriver.model.labels import type_label
from ironriver.sqltext import ident
from ironriver.store import MAX_ID_LENGTH


@dataclass(frozen=True)
class Check:
    """Rows where `condition` holds are rejected with `reason` (column/value for the report).

    `reason` is read by whoever fixes the file: it is rendered in the current language when
    the check is built (`invalid_reason`, `missing_reason`)."""

    condition: str
    column: str
    value: str
    reason: str
    date_format: str | None = None  # a date check's declared format (to suggest another)


def invalid_reason(type_name: str, fmt: str | None, place: str) -> str:
    """The report's reason for a value that does not clean to its type, in the current
    language (`place`: the entity's property or ledger column it was meant for)."""
    if type_name == "phone":
        return phone_reason(fmt, place)
    kind = type_label(type_name)
    # (a date's layout; another type's format, an identifier's "iban", is named as it is)
    layout = date_layout(fmt) if fmt and type_name in ("date", "timestamp") else None
    if fmt and layout is not None:
        # (one reason for every rejected value of the column: "31/02/2025" is rejected
        # because no such day exists, not because it is written otherwise)
        return t(
            "not a valid {type} in the format {format} ({layout}): written otherwise, or "
            "no such day ({place})",
            type=kind,
            format=fmt,
            layout=layout,
            place=place,
        )
    if fmt:
        return t(
            "not a valid {type} in the format {format} ({place})",
            type=kind,
            format=fmt,
            place=place,
        )
    return t("not a valid {type} ({place})", type=kind, place=place)


def phone_reason(fmt: str | None, place: str) -> str:
    """The report's reason for a value of a phone property that is no phone number, in the
    current language: dialled in the country `fmt` (the property's format) or, without
    one, written with its country code (what FtM requires then)."""
    if fmt:
        return t(
            "not a phone number of {country} ({place}): check its digits (the area code "
            "too); a number of another country needs its country code (+1 ..., +52 ...)",
            country=fmt,
            place=place,
        )
    return t(
        "not a phone number with its country code (+52 ..., +1 ...) ({place}): check its "
        "digits, or give the property the country its numbers are dialled in as its "
        "format (format: MX)",
        place=place,
    )


def long_id_reason(place: str) -> str:
    """The report's reason for an entity id longer than a store takes, in the current
    language."""
    return t(
        "entity id longer than {n} characters, FtM's limit for an entity id ({place}): "
        "shorten it (or hash it)",
        n=MAX_ID_LENGTH,
        place=place,
    )


def refused_id_reason(place: str) -> str:
    """The report's reason for an entity id holding a character of `entity_ids.ID_REFUSED`, in
    the current language."""
    return t(
        "an entity id is one piece of text without line breaks, control or invisible "
        "characters ({place}): it holds the character shown as \\uXXXX in the value; "
        "remove it from the column",
        place=place,
    )


def missing_reason(place: str) -> str:
    """The report's reason for a required value that is missing, in the current language."""
    return t("required value missing ({place})", place=place)


def json_value_checks(query: QuerySpec, listed: frozenset[str], where: str) -> list[Check]:
    """Checks over `san` for the JSON Lines columns of `listed` (holding a list or an object
    in some record, `clean.json_kind_name`): an object, or a list holding objects or lists,
    is no value anywhere; a list of values is one value per element for a property's
    `column`, and refused where one value is meant: a key or `id_column` (an id made from a
    list is ambiguous), a `join` or `template`, a ledger column, a filter. A filter column is
    checked in every record, as the filter cannot tell whether to keep it; the others in the
    records the filters keep (`where`)."""
    if not listed:
        return []
    keys: dict[str, list[str]] = {}
    single: dict[str, list[str]] = {}
    for entity in query.entities:
        for column in (*entity.keys, *([entity.id_column] if entity.id_column else [])):
            keys.setdefault(column, []).append(f"{entity.name}.id")
        for prop in entity.properties:
            if prop.template is not None or prop.join is not None:
                for column in prop.refs:
                    single.setdefault(column, []).append(f"{entity.name}.{prop.name}")
    if query.ledger is not None:
        for col in query.ledger.columns:
            place = t("ledger {column}", column=f"{query.ledger.name}.{col.name}")
            single.setdefault(col.column, []).append(place)
    filtered = {c for c, _ in (*query.source.filters, *query.source.filters_not)}
    for column in filtered:
        single.setdefault(column, []).append("filters")
    checks = []
    for column in sorted(listed):
        kind = ident(json_kind_name(column))
        scope = "TRUE" if column in filtered else f"({where})"
        nested = t(
            "a JSON object, or a list holding objects or lists, where a value is meant: map "
            "a key holding text, a number or a list of them"
        )
        checks.append(Check(f"{scope} AND {kind} = 'nested'", column, ident(column), nested))
        if column in keys:
            reason = t(
                "a JSON list in a key column ({place}): an id made from several values is "
                "ambiguous; key the entity on a column holding one value",
                place=", ".join(keys[column]),
            )
            checks.append(Check(f"{scope} AND {kind} = 'list'", column, ident(column), reason))
        if column in single:
            reason = t(
                "a JSON list where one value is meant ({place}): a property's column takes "
                "one value per element, a ledger column, a join, a template or a filter one "
                "value",
                place=", ".join(single[column]),
            )
            checks.append(Check(f"{scope} AND {kind} = 'list'", column, ident(column), reason))
    return checks
