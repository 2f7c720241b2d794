"""A data file given where a mapping is expected (`ironriver ingest fgr/detenciones.csv`):
told apart from a mapping with a YAML slip, so that the error says what the file is and how
to get a mapping for it (`mapping draft`), not where its "YAML" breaks.

A file is a data file (`is_data_file`) when its name ends as a data file's does
(`DATA_SUFFIXES`) and it holds no mapping: a spreadsheet always (it is not text); a text
file when it is not UTF-8, its YAML does not parse, or its document is not a mapping's (a
mapping written as JSON in `x.json` is still read as one). A file named otherwise is one
when its YAML is a single text whose lines read as CSV records of two values or more (a CSV
file YAML reads as one long string); a YAML error in such a file stays a YAML error, as a
mapping's slip shows lines of commas too (a draft's ledger columns).
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from ironriver.errors import IngestError
from ironriver.i18n import Msg, joined, msg
from ironriver.ingest.header import record_widths

# (`ingest.sheets.SUFFIXES`; not imported: that module loads its reader)
SHEET_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
ENTITY_SUFFIXES = (".jsonl", ".ndjson", ".json")  # what an FtM entity file may be named
DATA_SUFFIXES = (".csv", ".tsv", ".txt", *ENTITY_SUFFIXES, *SHEET_SUFFIXES)
_CSV_SCAN_LINES = 30  # the lines read to tell CSV records from prose


def data_name(path: Path) -> bool:
    """Whether `path` is named as a data file is (`DATA_SUFFIXES`)."""
    return path.suffix.lower() in DATA_SUFFIXES


def is_sheet(path: Path) -> bool:
    """Whether `path` is named as a spreadsheet is: never a mapping, whatever it holds."""
    return path.suffix.lower() in SHEET_SUFFIXES


def is_data_file(path: Path, text: str, document: Any, datasets: bool) -> bool:
    """Whether the file at `path`, whose text parses as the YAML `document`, is a data file
    (module doc). `datasets`: it is given as a mapping, so its document names datasets, each
    with a block of keys (else it is included in one, and its document is one block)."""
    if data_name(path):
        if not isinstance(document, dict) or not document:
            return True
        return datasets and not all(isinstance(block, dict) for block in document.values())
    return isinstance(document, str) and looks_like_csv(text)


def looks_like_csv(text: str) -> bool:
    """Whether the first lines of `text` that are not blank read as CSV records: the first of
    two values or more, and another with as many, with one of the delimiters `draft` reads."""
    lines = [line for line in text.splitlines()[:_CSV_SCAN_LINES] if line.strip()]
    for delimiter in (",", ";", "\t", "|"):
        widths = [n for _, n in record_widths(lines, delimiter)]
        if widths and widths[0] >= 2 and widths.count(widths[0]) >= 2:
            return True
    return False


def data_file_error(path: Path) -> IngestError:
    """The error of the data file at `path` given as a mapping: what it is, and the
    commands that make a mapping for it or load it (as FtM entities, a JSON Lines file)."""
    message = (
        msg("{path} is a data file, not a mapping.", path=str(path))
        if data_name(path)
        else msg("{path} looks like a CSV data file, not a mapping.", path=str(path))
    )
    mapping = path.with_suffix(".yaml")
    hints: list[Msg] = []
    if mapping.exists():  # (its mapping beside it? then the draft goes to another name)
        hints.append(
            msg(
                "If {mapping} is its mapping, run {command}.",
                mapping=str(mapping),
                command=f"`ironriver ingest {shlex.quote(str(mapping))}`",
            )
        )
        mapping = path.with_name(f"{path.stem}.draft.yaml")
    hints.append(
        msg(
            "Ingest reads a data file through a mapping, a YAML file that names its dataset "
            "and says how to read it: draft one with {draft}, check the lines marked {mark}, "
            "then run {ingest}.",
            draft=f"`ironriver mapping draft {shlex.quote(str(path))} "
            f"-o {shlex.quote(str(mapping))}`",
            mark=msg("CHECK"),
            ingest=f"`ironriver ingest {shlex.quote(str(mapping))} --dry-run`",
        )
    )
    if path.suffix.lower() in ENTITY_SUFFIXES:
        hints.append(
            msg(
                "If its lines are FtM entities (an export), load it with --entities, e.g. "
                "{command}.",
                command=f"`ironriver ingest --entities {shlex.quote(str(path))} "
                "--dataset mx_fgr_export --agency FGR --country MX`",
            )
        )
    return IngestError(message, hint=joined(hints, " "))
