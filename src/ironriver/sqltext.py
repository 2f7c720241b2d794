"""Quoting for the DuckDB SQL that ironriver generates (ingest, ledger reads): the one place
text becomes SQL.

Column names come from agency files, literals from mapping files and file paths from the
disk, so every identifier goes through `ident` and every string literal through `literal`;
nothing else is pasted into generated SQL. (A top-level module, so that `store` and
`ingest` share it without one importing the other.)
"""

from __future__ import annotations


def ident(name: str) -> str:
    """A double-quoted SQL identifier (embedded quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """A single-quoted SQL string literal (DuckDB strings have no backslash escapes)."""
    if "\x00" in value:
        raise ValueError("NUL characters cannot appear in SQL literals")
    return "'" + value.replace("'", "''") + "'"
