"""Mapping files: parse and validate them into typed specs (no data is read here).

The format is FtM's mapping format plus a few keys of ours (documented in docs/mapping.md):
the top-level key names the dataset; `agency`, `country`, `marking`, `releasable_to` and
`legal_basis` give its access label; each query reads one CSV (`csv_url`), JSON Lines
(`jsonl_url`) or spreadsheet (`xlsx_url`, one sheet) file and maps it to FtM `entities`, to a
typed `ledger`, or both. A file using only FtM's keys runs unchanged under `ftm map`.

The specs are in `specs.py` (and importable from here, as `load_mapping` returns them);
the readers of single values, with their checks, in `mapping_fields.py`; the file's YAML and
its includes in `mapping_files.py`; a query's entities, their properties and their order in
`mapping_entities.py`; its ledger in `mapping_ledger.py`. This module reads the structure:
datasets, queries and their sources.

Invariant: a `DatasetMapping` returned by `load_mapping` names only schemata and properties
that exist in `ironriver.model.get_model()`, entity references that resolve inside their
query, and files that exist; everything else is an `IngestError` saying what to fix.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from ironriver.errors import ConfigError, IngestError
from ironriver.i18n import Msg, msg
from ironriver.ingest.mapping_entities import order_entities, read_entity
from ironriver.ingest.mapping_fields import (
    DATASET_KEYS,
    NAME_RE,
    QUERY_KEYS,
    Where,
    as_list,
    check_known_keys,
    check_yaml_text,
    fail,
    read_filters,
    read_header,
    read_null_values,
    read_sheet,
)
from ironriver.ingest.mapping_files import mapping_folder, read_yaml, resolve_includes
from ironriver.ingest.mapping_ledger import read_ledger
from ironriver.ingest.specs import (
    LEDGER_TYPES,
    DatasetMapping,
    EntitySpec,
    LedgerColumn,
    LedgerSpec,
    PropertySpec,
    QuerySpec,
    SourceKind,
    SourceSpec,
)
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
    entities = [read_entity(where, dataset, str(n), d) for n, d in ents_raw.items()]
    ledger = read_ledger(where, data["ledger"]) if data.get("ledger") is not None else None
    if not entities and ledger is None:
        raise fail(
            where,
            msg("the query maps no entities and no ledger."),
            msg("Add {first} or {second}.", first="entities:", second="ledger:"),
        )
    source = replace(source, date_formats=_date_formats(entities, ledger))
    return QuerySpec(source=source, entities=order_entities(where, entities), ledger=ledger)


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
    are the files its `include:` keys name (`mapping_files.resolve_includes`)."""
    path = Path(path)
    included: list[Path] = []
    config = resolve_includes(path, read_yaml(path, datasets=True), (path.resolve(),), included)
    # (an error names the files included too: what it is about may be in one of them; review
    # R30 F8)
    origin: str | Msg = str(path)
    if included:
        names = dict.fromkeys(_shown(f, path) for f in included)
        origin = msg("{path} (which includes {files})", path=str(path), files=", ".join(names))
    mappings = parse_mapping(config, mapping_folder(path), origin=origin)
    return [_with_path(m, path) for m in mappings]


def _shown(included: Path, path: Path) -> str:
    """An included file's name as the mapping at `path` would write it (relative to its
    folder where it is under it)."""
    try:
        return str(included.relative_to(mapping_folder(path)))
    except ValueError:
        return str(included)


def _with_path(mapping: DatasetMapping, path: Path) -> DatasetMapping:
    from dataclasses import replace

    return replace(mapping, path=path)
