"""A first mapping for a new agency file, guessed from a sample of its records
(`ironriver mapping draft FILE`).

Onboarding a file is mostly reading it: its encoding and delimiter, the sheet and the row
holding the column names, and for every column whether it holds dates, and in which order
(31/01/2024 or 01/31/2024). The draft does that reading and writes a mapping with a typed
ledger of every column, which ingests as it is once the dataset's owner and marking are
filled in; the FtM entities, which need the analyst's judgement (which columns make a person,
which a firearm), are left to write (docs/mapping.md).

Guesses, from up to `SAMPLE_ROWS` records:
- encoding: UTF-8 when the sample decodes as UTF-8, else cp1252 (Windows exports), else
  latin-1; delimiter: of , ; tab |, the one that splits the most of the first lines into the
  same number of fields; header row: the first line split so (a title above it is skipped).
- a workbook's sheet, when none is named: the visible one with the most columns, the first
  of them on a tie (a cover page holds one or two), said on the `sheet:` line;
- a sheet's header row: the first of its first rows holding at least 60% as many values as
  the fullest of them (a title or a logo row above the header holds one or two).
- a JSON Lines file's encoding as a CSV file's (past a byte-order mark); a key holding
  lists is no ledger column but may be an entity's property, one holding objects neither.
- a column's type: `date` or `timestamp` when one format reads 95% or more of the sampled
  values (a spreadsheet's date cells read in any), flagged when it misses some; when both
  day-first and month-first read them all (every day is 12 or less) the owner country's
  order is taken (day-first for MX) and the column is flagged; two-digit years (%y) come
  with their window, flagged (`draft_columns.windowed`); `integer` for whole numbers of at most 9 digits
  without leading zeros, and `float` for decimal numbers, unless the header names an
  identifier or a designation (folio, serial, phone, calibre...), and the same with
  `decimal: ","` for numbers written with a decimal comma or a dot grouping thousands
  (7.345,80; 1.500 alone is flagged: a decimal point?); `boolean` for true/false, yes/no,
  sí/no; else `string`. A header name the file repeats is left out, flagged (ingest could not tell
  the columns apart); the columns no suggested entity reads are named in a comment.

The file is sampled by `draft_sample` (how to read it, and its records), each column guessed
by `draft_columns`; this module holds `draft_file`, which does both, and the mapping it makes
(`render_yaml`).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import unicodedata
from dataclasses import replace
from datetime import date
from pathlib import Path

from ironriver.errors import IngestError
from ironriver.i18n import msg, nt, t
from ironriver.ingest.draft_columns import guess_column, windowed
from ironriver.ingest.draft_sample import Draft, sample_csv, sample_jsonl, sample_sheet
from ironriver.ingest.sheets import SUFFIXES
from ironriver.ingest.suggest import suggest

SAMPLE_ROWS = 1000


def draft_file(
    path: Path,
    country: str = "",
    sheet: str | int | None = None,
    header_row: int | None = None,
    rows: int = SAMPLE_ROWS,
    year: int | None = None,
) -> Draft:
    """Read a sample of `path` (CSV, JSON Lines or a spreadsheet, by its suffix) and guess
    how to map it (module doc); `country` (US or MX) settles ambiguous date orders, `year`
    (default: this year) the windows of two-digit years."""
    if not path.is_file():
        raise IngestError(
            msg("Input file {path} does not exist.", path=path),
            hint=msg("Name the agency file to draft a mapping for."),
        )
    suffix = path.suffix.lower()
    if suffix in SUFFIXES:
        draft, samples = sample_sheet(path, sheet, header_row, rows)
    elif suffix in (".jsonl", ".ndjson"):
        draft, samples = sample_jsonl(path, rows)
    else:
        draft, samples = sample_csv(path, rows, header_row)
    names = _names([c.header for c in draft.columns])
    year = year or date.today().year
    columns = [
        replace(
            windowed(guess_column(column.header, name, values, country.upper()), values, year),
            listed=column.listed,
        )
        for column, name, values in zip(draft.columns, names, samples, strict=True)
    ]
    return replace(draft, columns=columns)


def _names(headers: list[str]) -> list[str]:
    """Ledger column names from headers: ASCII lower-case words joined by _, unique."""
    out: list[str] = []
    for i, header in enumerate(headers):
        plain = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode()
        name = re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_") or f"column_{i + 1}"
        if not name[0].isalpha():
            name = f"c_{name}"
        base, n = name, 2
        while name in out:
            name, n = f"{base}_{n}", n + 1
        out.append(name)
    return out


def render_yaml(
    draft: Draft,
    dataset: str = "",
    agency: str = "",
    country: str = "",
    marking: str = "AMBER",
    releasable_to: list[str] | None = None,
    out: Path | None = None,
    anywhere: bool = False,
) -> str:
    """The mapping file of `draft`: every column in a typed ledger; the dataset's owner and
    access label from the arguments, left empty (which ingest refuses) when not given. `out`
    is where the mapping will be written (the file is named relative to it, and the header's
    command names `out` as given); by default beside the file. `anywhere`: where it will be
    saved is not known (`mapping draft` to standard output, saved with `>` in any folder):
    the file is named by its absolute path, and the header says what to save it as."""
    stem = _names([draft.path.stem])[0]
    mark = t("CHECK")
    if out is not None:
        where = os.path.relpath(draft.path.resolve(), out.resolve().parent)
    else:
        where = str(draft.path.resolve()) if anywhere else draft.path.name
    saved = str(out) if out is not None else f"{stem}.yaml"
    step = t("Check every line marked {mark}, fill in what is empty, then run:", mark=mark)
    if anywhere and out is None:
        step = t(
            "Save it as {file} (or run the draft with {option}), check every line marked "
            "{mark}, fill in what is empty, then run:",
            file=saved,
            option=f"-o {shlex.quote(saved)}",
            mark=mark,
        )
    if not dataset:
        dataset = "_".join(p for p in (country.lower(), agency.lower(), stem) if p)
        dataset = _names([dataset])[0]
    lines = [
        "# "
        + nt(
            "Draft mapping for {file}, from {n:,} sampled record.",
            "Draft mapping for {file}, from {n:,} sampled records.",
            draft.sampled,
            file=draft.path.name,
        ),
        "# " + step,
        f"#   ironriver ingest {shlex.quote(saved)} --dry-run",
        f"{json.dumps(dataset)}:",
        f"  title: {json.dumps(draft.path.stem, ensure_ascii=False)}",
        f"  agency: {json.dumps(agency.upper())}"
        if agency
        else f"  agency:  # {mark}: FGR, ATF...",
        f"  country: {json.dumps(country.upper())}" if country else f"  country:  # {mark}: MX, US",
        f"  marking: {json.dumps(marking.upper())}",
        f"  releasable_to: {json.dumps(releasable_to or [])}",
        "  queries:",
    ]
    url = {"csv": "csv_url", "jsonl": "jsonl_url", "xlsx": "xlsx_url"}[draft.kind]
    lines.append(f"  - {url}: {json.dumps(where, ensure_ascii=False)}")
    if draft.kind in ("csv", "jsonl") and draft.encoding != "utf-8":
        lines.append(f"    encoding: {draft.encoding}")
    if draft.kind == "csv":
        if draft.delimiter != ",":
            lines.append(f"    delimiter: {json.dumps(draft.delimiter)}")
    if draft.kind == "xlsx":
        note = f"  # {mark}: {draft.sheet_note.render()}" if draft.sheet_note else ""
        lines.append(f"    sheet: {json.dumps(draft.sheet, ensure_ascii=False)}{note}")
    if draft.header_row != 1:
        lines.append(f"    header_row: {draft.header_row}")
    lines += _entity_lines(draft, mark, country.upper())
    lines += [
        "    ledger:",
        f"      name: {json.dumps(stem)}",
        "      columns:",
    ]
    headers = [c.header for c in draft.columns]
    flagged: set[str] = set()
    for key in draft.objects:
        objects = t(
            "{column} holds JSON objects, which neither a ledger nor an entity reads: flatten "
            "the export to map them",
            column=json.dumps(key, ensure_ascii=False),
        )
        lines.append(f"        # {mark}: {objects}")
    for column in draft.columns:
        if not column.header or column.header in flagged:
            continue  # a column without a name cannot be read
        if column.listed:
            listed = t(
                "{column} holds lists, which a ledger column does not (one value each): an "
                "entity's property reads each element",
                column=json.dumps(column.header, ensure_ascii=False),
            )
            lines.append(f"        # {listed}")
            continue
        if headers.count(column.header) > 1:
            flagged.add(column.header)
            repeated = t(
                "{column} names more than one column: rename them in the file to map them",
                column=json.dumps(column.header, ensure_ascii=False),
            )
            lines.append(f"        # {mark}: {repeated}")
            continue
        spec: dict[str, object] = {"column": column.header, "type": column.type}
        if column.format:
            spec["format"] = column.format
        if column.years_from is not None:
            spec["two_digit_years_from"] = column.years_from
        if column.decimal:
            spec["decimal"] = column.decimal
        # keys quoted: YAML reads a bare `no:` or `on:` as a boolean
        line = f"        {json.dumps(column.name)}: " + json.dumps(spec, ensure_ascii=False)
        notes = []
        if column.example is not None:
            notes.append(
                t("e.g. {example}", example=json.dumps(column.example, ensure_ascii=False))
            )
        for flag in (column.flag, column.years_note):
            if flag is not None:
                notes.append(f"{mark}: {flag.render()}")
        lines.append(line + ("  # " + "; ".join(notes) if notes else ""))
    return "\n".join(lines) + "\n"


def _keys_note(keyed_by: str, mark: str) -> str:
    """The comment on a suggested person's `keys` line: what keying it so merges."""
    if keyed_by == "names":
        note = t(
            "keyed on the name columns: people of the same name become one entity; key on a "
            "record id or an identifier column (CURP) if the file has one"
        )
        return f"  # {mark}: {note}"
    if keyed_by == "record":
        note = t(
            "one person per record: the same person in two records is two entities (not "
            "merged yet: a search by name or identifier finds each)"
        )
        return f"  # {note}"
    if keyed_by == "identifier":
        note = t("a record without this identifier makes no person (the ingest counts them)")
        return f"  # {mark}: {note}"
    return ""


def _entity_lines(draft: Draft, mark: str, country: str) -> list[str]:
    """The `entities:` block the column names suggest (`suggest`), or a pointer to the docs,
    and which columns no suggested entity reads; phone numbers without their international
    prefix are read as `country`'s."""
    headers = [c.header for c in draft.columns]
    suggestions = suggest(headers, lists={c.header for c in draft.columns if c.listed})
    if not suggestions:
        return ["    # " + t("entities: map records to FtM entities here (see docs/mapping.md)")]
    dates = {c.header: c for c in draft.columns if c.type in ("date", "timestamp")}
    note = t("suggested from the column names: keep, fix or remove (see docs/mapping.md)")
    lines = [f"    entities:  # {mark}: {note}"]
    read: set[str] = set()
    for entity in suggestions:
        read.update(entity.keys, entity.properties.values(), entity.name_from)
        lines += [
            f"      {json.dumps(entity.name)}:",
            f"        schema: {json.dumps(entity.schema)}",
            f"        keys: {json.dumps(entity.keys, ensure_ascii=False)}"
            + _keys_note(entity.keyed_by, mark),
        ]
        if entity.key_literal:
            lines.append(f"        key_literal: {json.dumps(entity.key_literal)}")
        if entity.key_clean:
            cleaned = json.dumps(entity.key_clean, ensure_ascii=False)
            note = t(
                "the id hashes the number as stored (+52...): one phone however the files "
                "write it, whichever dataset holds it"
            )
            lines.append(f"        key_clean: {cleaned}  # {note}")
        lines.append("        properties:")
        for prop, header in entity.properties.items():
            spec: dict[str, object] = {"column": header}
            comment = ""
            if (column := dates.get(header)) is not None and column.format:
                spec["format"] = column.format
                if column.years_from is not None and column.years_note is not None:
                    spec["two_digit_years_from"] = column.years_from
                    comment = f"  # {mark}: {column.years_note.render()}"
            elif entity.schema == "Phone" and prop == "number" and country:
                spec["format"] = country
            spec_text = json.dumps(spec, ensure_ascii=False)
            lines.append(f"          {json.dumps(prop)}: {spec_text}{comment}")
        if entity.name_from:
            spec_name = {"columns": entity.name_from, "join": " "}
            lines.append(f'          "name": {json.dumps(spec_name, ensure_ascii=False)}')
    unread = [c for c in draft.columns if c.header not in read and headers.count(c.header) == 1]
    kept = [c.header for c in unread if c.header and not c.listed]
    lost = [c.header for c in unread if c.header and c.listed]
    if kept:
        left = nt(
            "no entity above reads {columns}: add it to one if analysts need it (the ledger "
            "below keeps its values)",
            "no entity above reads {columns}: add them to one if analysts need them (the "
            "ledger below keeps their values)",
            len(kept),
            columns=", ".join(json.dumps(h, ensure_ascii=False) for h in kept),
        )
        lines.append(f"    # {mark}: {left}")
    if lost:
        left = nt(
            "no entity above reads {columns}, which holds lists (no ledger column): map it to "
            "an entity's property or its values are not loaded",
            "no entity above reads {columns}, which hold lists (no ledger column): map them "
            "to an entity's property or their values are not loaded",
            len(lost),
            columns=", ".join(json.dumps(h, ensure_ascii=False) for h in lost),
        )
        lines.append(f"    # {mark}: {left}")
    return lines
