"""The column headers of the CLI's tables, one per `--json` key: a table for people names
each column as the JSON key it shows does, in the reader's language ("entity id" for
`entity_id`, never a bare "id" that could be a statement's), and one key has one header in
every command. `tests/cli/test_cli_columns.py` checks that each key here is one of the
JSON vocabulary's (docs/cli.md) and that no two keys share a header.
"""

from __future__ import annotations

from ironriver.i18n import current_lang, marked, translate

COLUMNS: dict[str, str] = {
    # an entity (`search`, the neighbours of `entity`)
    "entity_id": marked("entity id"),
    "schema": marked("schema"),
    "caption": marked("caption"),
    "matched": marked("matched"),
    "datasets": marked("datasets"),
    "direction": marked("direction"),
    # a statement (`entity`, `retract`); `prop` also the property that links a neighbour
    "id": marked("statement id"),
    "prop": marked("property"),
    "value": marked("value"),
    "dataset": marked("dataset"),
    "marking": marked("marking"),
    "source_ref": marked("source"),
    # a dataset (`datasets`: its owner) and a ledger (`ledgers`)
    "owner_agency": marked("owner"),
    "owner_country": marked("country"),
    "releasable_to": marked("releasable to"),
    "visible_statements": marked("visible statements"),
    "visible_ledger_rows": marked("visible ledger rows"),
    "ledger": marked("ledger"),
    # an audit event (`audit log`)
    "chain": marked("chain"),
    "seq": marked("seq"),
    "at": marked("at"),
    "actor": marked("actor"),
    "action": marked("action"),
    "target": marked("target"),
    "reason": marked("reason"),
}


def headers(*keys: str) -> list[str]:
    """The headers of a table whose columns show these `--json` keys, in the current
    language."""
    lang = current_lang()
    return [translate(COLUMNS[key], lang) for key in keys]
