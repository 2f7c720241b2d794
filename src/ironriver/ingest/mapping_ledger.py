"""A query's `ledger` read into a spec (`read_ledger`): its name, its typed columns (`type`,
`format`, `decimal`, `required`, `two_digit_years_from`) and its `key`.

Invariant: a `LedgerSpec` read here has a name and column names of lower-case letters, digits
and _, at least one column, each of a type of `LEDGER_TYPES`, and a key naming its columns;
anything else is an `IngestError` saying what to fix (`mapping_fields.fail`).
"""

from __future__ import annotations

from typing import Any

from ironriver.i18n import msg
from ironriver.ingest.clean import decimal_problem
from ironriver.ingest.mapping_fields import (
    LEDGER_COLUMN_KEYS,
    LEDGER_KEYS,
    NAME_RE,
    Where,
    check_known_keys,
    fail,
    read_flag,
    read_years_from,
)
from ironriver.ingest.specs import LEDGER_TYPES, LedgerColumn, LedgerSpec


def read_ledger(where: Where, data: Any) -> LedgerSpec:
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
