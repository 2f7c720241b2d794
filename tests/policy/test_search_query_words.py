"""Name search reads the words of its query as an analyst means them, on a real store
ingested from a CSV: an over-long query is refused as bad input (not a database error)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from ironriver.cli import cli
from ironriver.ingest import ingest_mapping
from ironriver.store import open_store

MAPPING = """\
mx_fgr_personas:
  agency: FGR
  country: MX
  marking: AMBER
  queries:
    - csv_url: personas.csv
      entities:
        persona:
          schema: Person
          keys: [pid]
          properties: {name: {column: nombre}}
"""


def _ingest(tmp_path: Path, names: list[str]) -> str:
    """A SQLite store at tmp_path/s.db holding one Person per name (ingested from a CSV)."""
    rows = "".join(f"{i},{name}\n" for i, name in enumerate(names, 1))
    (tmp_path / "personas.csv").write_text("pid,nombre\n" + rows, encoding="utf-8")
    (tmp_path / "m.yml").write_text(MAPPING, encoding="utf-8")
    db = tmp_path / "s.db"
    store = open_store(f"sqlite:///{db}", ledger_dir=tmp_path / "ledgers")
    try:
        ingest_mapping(store, tmp_path / "m.yml", actor="test")
    finally:
        store.close()
    return str(db)


def _search(db: str, text: str, *more: str, lang: str = "en") -> tuple[int, str]:
    args = [
        "--lang",
        lang,
        "search",
        text,
        "--db",
        db,
        "--as",
        "mx-fgr-analista",
        "--reason",
        "r",
        *more,
    ]
    result = CliRunner().invoke(cli, args)
    return result.exit_code, result.output


def test_an_over_long_query_is_refused_as_bad_input(tmp_path: Path) -> None:
    db = _ingest(tmp_path, ["José Pérez López"])
    long = " ".join(f"w{i}" for i in range(600))  # 600 distinct words: SQLite's limit is 500
    code, out = _search(db, long, "--json")
    assert code == 2, out
    error = json.loads(out[out.index("{") :])["error"]
    assert error["kind"] == "ConfigError" and error["exit_code"] == 2
    assert error["message"] == ("The search text has 600 words: a name search takes at most 32.")
    code, out = _search(db, long, lang="es")
    assert code == 2 and "una búsqueda por nombre admite como máximo 32" in out
    # 32 words is still a search (finding nothing here), 33 are not
    code, out = _search(db, " ".join(f"w{i}" for i in range(32)), "--json")
    assert code == 0 and json.loads(out) == []
    code, out = _search(db, " ".join(f"w{i}" for i in range(33)), "--json")
    assert code == 2 and "has 33 words" in out
    code, out = _search(db, "jose perez", "--json")
    assert code == 0 and [h["matched"] for h in json.loads(out)] == ["José Pérez López"]
    # identifiers only: no name words are read, so no limit on them
    code, out = _search(db, long, "--identifier", "--json")
    assert code == 0 and json.loads(out) == []
