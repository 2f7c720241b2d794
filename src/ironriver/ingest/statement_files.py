"""FtM statements told from FtM entities. A file of statements (`ftm statements`, `ironriver
export --format statements`: JSON Lines, CSV or pack CSV) given as an entities file is refused
before anything is read into the store (`check_not_statements`), with the `ftm` command that
rolls it up into entities; it is judged by its first non-blank line alone. A statement's JSON
object is told from an entity's by `is_statement` (the per-line path refuses such a line).
"""

from __future__ import annotations

import csv
import json
import shlex
from collections.abc import Mapping
from pathlib import Path

from ironriver.errors import IngestError
from ironriver.i18n import msg
from ironriver.ingest.source import SPILL_PREFIX

# A statements CSV header names these columns (`Statement.to_dict`'s keys: `ftm statements
# -f csv`, `ironriver export --format statements`; `-f pack` writes the first three only)
_STATEMENT_COLUMNS = frozenset({"entity_id", "prop", "value"})
_FIRST_LINE_MAX = 1 << 20  # (a longer first line is no statement and no header)


def is_statement(data: Mapping[str, object]) -> bool:
    """Whether a line's JSON object is an FtM statement (`Statement.to_dict`: an
    `entity_id`, a `prop`, a `value`; also an `id` and a `schema`), not an entity."""
    return "entity_id" in data and "prop" in data and "properties" not in data


def _statements_format(path: Path) -> str | None:
    """The `ftm aggregate-statements` format (json, csv or pack) of the FtM statements file
    at `path`, judged by its first non-blank line: a statement's JSON object (`is_statement`)
    or a statements CSV header; None for anything else (an entities file)."""
    with path.open(encoding="utf-8-sig", newline="\n") as fh:
        line = ""
        while not line.strip() and (line := fh.readline(_FIRST_LINE_MAX)):
            pass
    try:
        data = json.loads(line)
    except json.JSONDecodeError:
        columns = {c.strip() for c in next(csv.reader([line.rstrip("\r\n")]), [])}
        if _STATEMENT_COLUMNS <= columns:
            return "csv" if "schema" in columns else "pack"
        return None
    return "json" if isinstance(data, dict) and is_statement(data) else None


def check_not_statements(path: Path) -> None:
    """Raise `IngestError` when the file at `path` holds FtM statements, not entities: each
    line of `ftm statements -f json` has an `id` and a `schema` and read as an entity of no
    property, so the file loaded as nothing, declaring the dataset under the label given
    (review R31 F2); a statements CSV failed every line as JSON. Refused before the store is
    touched, with the `ftm` command that rolls statements up into entities."""
    found = _statements_format(path)
    if found is None:
        return
    converter = f"ftm aggregate-statements -f {found}"
    note = msg(
        "it joins the statements of an entity that are next to each other, as those commands "
        "write them"
    )
    if path.name == "stdin" and path.parent.name.startswith(SPILL_PREFIX):  # (a pipe's copy)
        hint = msg(
            "Roll them up into entities in the pipe, e.g. {command} ({note}).",
            command=f"`... | {converter} | ironriver ingest --entities - ...`",
            note=note,
        )
    else:
        target = path.with_name(f"{path.stem}.ftm.jsonl")
        hint = msg(
            "Roll them up into entities with {command} ({note}), then load that file with "
            "--entities.",
            command=f"`{converter} -i {shlex.quote(str(path))} -o {shlex.quote(str(target))}`",
            note=note,
        )
    raise IngestError(
        msg(
            "{file} holds FtM statements ({format}: one value of one property per line, as "
            "ftm statements and ironriver export --format statements write them), not FtM "
            "entity JSON Lines (one entity per line): nothing was ingested.",
            file=path.name,
            format={"json": "JSON Lines", "csv": "CSV", "pack": "pack CSV"}[found],
        ),
        hint=hint,
    )
