"""Ingest FtM entity JSON Lines (the output of `ftm map`, `ftm export`, other FtM tools).

Each line is one entity dict (`{"id": ..., "schema": ..., "properties": {...}}`). Every line
is validated against `ironriver.model.get_model()` — schema known, properties known and not
reverse (stub) properties, values cleaned by their type as FtM's `EntityProxy.add` cleans them
— before anything is written; bad lines go to the error report with the line number and the
store stays untouched (unless `skip_invalid`). Empty values are dropped, as FtM drops them.
Statement ids are FtM's (`Statement.make_key`); everything is written in one transaction.

The file is read once, in chunks of `CHUNK_STATEMENTS` statements that go straight into the
store's stage (`Store.stage`), so memory stays flat however large the export is.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from hashlib import sha1
from pathlib import Path

import pyarrow as pa
from followthemoney.exc import InvalidData
from followthemoney.value import string_list

from ironriver.errors import IngestError
from ironriver.ingest.pipeline import IngestResult
from ironriver.ingest.report import ErrorReport
from ironriver.ingest.source import check_encoding
from ironriver.model import get_model
from ironriver.policy import Principal, authorize_ingest
from ironriver.policy.markings import AccessLabel
from ironriver.store import DatasetInfo, Store

_COLUMNS = ("id", "entity_id", "schema", "prop", "value", "source_row")
CHUNK_STATEMENTS = 100_000

Row = tuple[str, str, str, str, str, int]


def _entity_statements(
    line: str, number: int, dataset: str
) -> tuple[list[Row], list[tuple[str, str, str]]]:
    """(statement rows, problems as (column, value, reason)) for one line.

    Each value is cleaned once, as `EntityProxy.add` cleans it (sanitised, then the type's
    `clean_text` with the property's format and the entity as context), and the statement
    ids are FtM's `Statement.make_key`, computed without building FtM objects per value."""
    model = get_model()
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return [], [("(line)", line[:80], f"not valid JSON: {exc.msg}")]
    if not isinstance(data, dict):
        return [], [("(line)", line[:80], "not a JSON object")]
    schema = model.get(str(data.get("schema")))
    if schema is None:
        return [], [("schema", str(data.get("schema")), "unknown schema")]
    if not data.get("id"):
        return [], [("id", "", "entity has no id")]
    props = data.get("properties") or {}
    if not isinstance(props, dict):
        return [], [("properties", str(props)[:80], "properties must be an object")]
    proxy = model.make_entity(schema)
    proxy.id = entity_id = str(data["id"])
    problems = []
    for name, values in props.items():
        prop = schema.get(name)
        if prop is None:
            problems.append((name, str(values)[:80], f"{schema.name} has no property {name!r}"))
            continue
        if prop.stub:
            problems.append((name, str(values)[:80], f"{name} is a reverse property"))
            continue
        for value in string_list(values, sanitize=True):
            try:
                clean = prop.type.clean_text(value, format=prop.format, proxy=proxy)
            except InvalidData as exc:  # e.g. an entity referring to itself
                problems.append((name, value[:80], str(exc)))
                continue
            if clean is None:
                problems.append((name, value[:80], f"not a valid {prop.type.name}"))
            elif proxy.unsafe_add(prop, clean, cleaned=True) is None:
                problems.append((name, value[:80], f"over FtM's size limit for {name}"))
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


class _EntityFile:
    """One pass over the file: statement batches out, problems and counts kept."""

    def __init__(self, path: Path, dataset: str) -> None:
        self.path = path
        self.dataset = dataset
        self.records = 0
        self.produced = 0
        self.bad: list[tuple[int, str, str, str]] = []

    def batches(self) -> Iterator[pa.Table]:
        self.records, self.produced, self.bad = 0, 0, []
        rows: list[Row] = []
        # utf-8-sig: a byte-order mark (as some Windows tools write) is no JSON
        with self.path.open(encoding="utf-8-sig") as fh:
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                self.records += 1
                got, problems = _entity_statements(line, number, self.dataset)
                self.bad.extend((number, c, v, r) for c, v, r in problems)
                rows.extend(got)
                if len(rows) >= CHUNK_STATEMENTS:
                    yield self._table(rows)
                    rows = []
        if rows:
            yield self._table(rows)

    def _table(self, rows: list[Row]) -> pa.Table:
        self.produced += len(rows)
        types = [pa.string()] * 5 + [pa.int64()]
        return pa.table(
            {
                c: pa.array([r[i] for r in rows], t)
                for i, (c, t) in enumerate(zip(_COLUMNS, types, strict=True))
            }
        )


def ingest_entities(
    store: Store,
    path: Path | str,
    dataset: DatasetInfo,
    label: AccessLabel | None = None,
    *,
    actor: str,
    reason: str = "",
    skip_invalid: bool = False,
    report_path: Path | str | None = None,
    principal: Principal | None = None,
) -> IngestResult:
    """Ingest an FtM entity JSON Lines file into `dataset` atomically (with `principal`,
    only if it may load that dataset: `authorize_ingest`)."""
    path, report_file, result, source = _open(path, dataset, report_path, principal)
    label = label or dataset.label
    with store.stage() as stage:
        # statements of valid lines only (a rejected line yields none); FtM exports are not
        # sorted by entity, so the stage sorts them
        stage.add(dataset.name, label, path.name, source.batches, presorted=False)
        _check(source, result, report_file, skip_invalid)  # before the store is touched
        with store.writer(stage=stage) as w:
            w.ensure_dataset(dataset)
            result.statements_new = w.add_staged(stage)
            store.audit.append(
                actor=actor,
                action="ingest",
                target=dataset.name,
                reason=reason,
                detail={
                    "entities_file": path.name,
                    "records": result.records,
                    "rejected": result.rejected,
                    "statements_new": result.statements_new,
                },
                conn=w.conn,
            )
    return result


def check_entities(
    path: Path | str,
    dataset: DatasetInfo,
    *,
    skip_invalid: bool = False,
    report_path: Path | str | None = None,
    principal: Principal | None = None,
) -> IngestResult:
    """Everything `ingest_entities` checks, without a store: returns what it would produce
    (`dry_run` set); rejected lines are reported and raise as they would there."""
    path, report_file, result, source = _open(path, dataset, report_path, principal)
    result.dry_run = True
    for _batch in source.batches():
        pass  # counted and checked as they are made
    _check(source, result, report_file, skip_invalid)
    return result


def _open(
    path: Path | str,
    dataset: DatasetInfo,
    report_path: Path | str | None,
    principal: Principal | None,
) -> tuple[Path, Path, IngestResult, _EntityFile]:
    """Authorise, check the file is there and UTF-8; its report file, result and reader."""
    if principal is not None:
        authorize_ingest(principal, dataset.name, dataset.agency)
    path = Path(path)
    if not path.is_file():
        raise IngestError(f"Input file {path} does not exist.", hint="Check the path.")
    check_encoding(path, "utf-8")
    report_file = Path(report_path) if report_path else path.with_name(path.name + ".errors.csv")
    return path, report_file, IngestResult(datasets=[dataset.name]), _EntityFile(path, dataset.name)


def _check(
    source: _EntityFile, result: IngestResult, report_file: Path, skip_invalid: bool
) -> None:
    """Once the file is read: counts into `result`; rejected lines into the report, and
    an `IngestError` unless `skip_invalid`."""
    result.records = source.records
    result.statements = source.produced
    if not source.bad:
        return
    bad = source.bad
    report = ErrorReport()
    report.add(
        source.path.name,
        pa.table(
            {
                "_row": [b[0] for b in bad],
                "column": [b[1] for b in bad],
                "value": [b[2] for b in bad],
                "reason": [b[3] for b in bad],
            }
        ),
    )
    result.rejected = len({b[0] for b in bad})
    result.report_path = report.write(report_file)
    if not skip_invalid:
        raise IngestError(
            f"{result.rejected} of {result.records} entities rejected, nothing was "
            f"ingested: {report.summary()}.",
            hint=f"See {report_file}. Fix those lines, or pass --skip-invalid.",
            report_path=str(report_file),
        )
