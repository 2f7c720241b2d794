"""Tiny name-search samples shared by the search tests (`tests/policy/test_search_*.py`) and
the name-parts note's: names written straight into a store as one agency's records, read by
that agency (`add_names`, `agency_view`), and a SQLite store ingested through a real mapping
from a CSV of persons (`ingest_personas`, `ingest_names`), searched through the real CLI
(`run_search`, `cli_search`).

Each test keeps its own names and assertions; only the set-up lives here.
Import from any test: `from search_samples import FGR_X, add_names, agency_view`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from click.testing import CliRunner

from ironriver.cli import cli
from ironriver.ingest import ingest_mapping
from ironriver.policy import Marking, Principal, View
from ironriver.store import DatasetInfo, Store, open_store
from samples import table

ATF_X = DatasetInfo("us_atf_x", "ATF", "US", Marking.AMBER, frozenset({"US"}))
FGR_X = DatasetInfo("mx_fgr_x", "FGR", "MX", Marking.AMBER, frozenset({"MX"}))


def add_facts(
    store: Store, dataset: DatasetInfo, rows: Sequence[tuple[str, str, str, str]]
) -> None:
    """Write (entity id, schema, property, value) statements into `dataset`."""
    with store.writer() as w:
        w.ensure_dataset(dataset)
        w.add_statements(table(dataset.name, list(rows)), dataset.name, dataset.label)


def add_names(store: Store, dataset: DatasetInfo, names: Sequence[tuple[str, str]]) -> None:
    """One Individual's `name` per (entity id, name) (an entity may have several)."""
    add_facts(store, dataset, [(e, "Individual", "name", name) for e, name in names])


def agency_view(store: Store, dataset: DatasetInfo) -> View:
    """The store as an analyst of `dataset`'s agency reads it, unaudited ("atf" of ATF, US)."""
    agency = dataset.agency
    return View(store, Principal(agency.lower(), agency, dataset.country), audit=False)


# FGR's persons file, personas.csv, keyed by `pid`
PERSONAS_MAPPING = """\
mx_fgr_personas:
  agency: FGR
  country: MX
  marking: AMBER
  queries:
    - csv_url: personas.csv
      entities:
        persona:
          schema: {schema}
          keys: [pid]
          properties:
{properties}"""
NAME = {"name": "{column: nombre}"}  # the names searched, in column `nombre`


def personas_mapping(
    tmp_path: Path,
    rows: str,
    *,
    header: str = "pid,nombre",
    properties: Mapping[str, str] = NAME,
    schema: str = "Person",
) -> Path:
    """Write `tmp_path/personas.csv` (`header`, then `rows`) and its mapping `tmp_path/m.yml`
    (the entity's `schema`, and each property's YAML, as `{column: nombre}`); return the
    mapping's path."""
    (tmp_path / "personas.csv").write_text(f"{header}\n{rows}", encoding="utf-8")
    lines = "".join(f"            {prop}: {value}\n" for prop, value in properties.items())
    path = tmp_path / "m.yml"
    path.write_text(PERSONAS_MAPPING.format(schema=schema, properties=lines), encoding="utf-8")
    return path


def ingest_personas(
    tmp_path: Path, rows: str, *, header: str = "pid,nombre", properties: Mapping[str, str] = NAME
) -> str:
    """A SQLite store at tmp_path/s.db holding the persons of `rows`, ingested from
    personas.csv (`personas_mapping`); the store's path."""
    path = personas_mapping(tmp_path, rows, header=header, properties=properties)
    db = tmp_path / "s.db"
    store = open_store(f"sqlite:///{db}", ledger_dir=tmp_path / "ledgers")
    try:
        ingest_mapping(store, path, actor="test")
    finally:
        store.close()
    return str(db)


def ingest_names(tmp_path: Path, names: Sequence[str]) -> str:
    """`ingest_personas` of one person per name, pids 1, 2..."""
    return ingest_personas(tmp_path, "".join(f"{i},{name}\n" for i, name in enumerate(names, 1)))


def run_search(db: str, text: str, *more: str, lang: str = "en") -> tuple[int, str]:
    """`ironriver search TEXT` on `db` as FGR's analyst, in `lang`: its exit code and output
    (with --json, standard output alone, as a program reads it: the note of hits left out
    goes to standard error)."""
    args = ["--lang", lang, "search", text, "--db", db, "--as", "mx-fgr-analista"]
    result = CliRunner().invoke(cli, [*args, "--reason", "r", *more])
    return result.exit_code, result.stdout if "--json" in more else result.output


def cli_search(db: str, text: str, *more: str, lang: str = "en") -> str:
    """`run_search`'s output, the search having succeeded."""
    code, out = run_search(db, text, *more, lang=lang)
    assert code == 0, out
    return out
