"""The facts the view properties draw, and the two stores each example compares
(`tests/policy/test_view_properties*.py`, `tests/cli/test_cli_view_properties.py`).

Store A receives every fact as drawn (a fact drawn twice under two labels: the store keeps
the first, and registers the second label all the same, as any write of stored statements
under another label does), then the owning agencies retract some (`retract`, which also
withdraws the names an ingest copied). Store B receives only what the principal sees in A:
the statements it may see that stand, the ledger rows it may see (under a label it may see,
of a dataset whose own label it may see: `LedgerReads.shown`), and the datasets it may
know of (`View.datasets`: those whose own label it may see, and those holding what it sees),
so that a read telling of another dataset's existence differs too (`build_pair`). A read of
A must equal the same read of B, which cannot know anything hidden. A may also hold a
damaged ledger part (truncated: its footer cannot be read) of a dataset the principal may
not see (`damage_hidden_part`), which B lacks: to that principal, it is not there (review R24
F1: it stopped every principal's `datasets` and `ledgers`, naming the hidden part).

Stores are made fast on both backends (`Stores`): each is a copy of a template store made
once per process (a new store's migrations took most of an example's time): a file copy on
SQLite, `CREATE DATABASE ... TEMPLATE` on PostgreSQL, in databases of their own named after
the test database and this process (so that neither the other tests' resets of the test
database nor another run of these tests touch them; collated as the test database; the role
needs CREATEDB, as `.ci/postgres.sh`'s has), dropped at exit (a run killed leaves them:
`DROP DATABASE` those named `<test database>_v<pid>_...`).
"""

from __future__ import annotations

import atexit
import dataclasses
import functools
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url

from ironriver.errors import NotFound
from ironriver.policy import AccessLabel, Marking, Principal, can_see, retract
from ironriver.settings import LEDGERS_SUFFIX
from ironriver.store import DatasetInfo, Store, open_store
from ironriver.store.ids import statement_id
from ironriver.store.tables import statements
from samples import write_ledgers

AGENCIES = {"ATF": "US", "CBP": "US", "FGR": "MX", "SEDENA": "MX"}
TOKENS = ["US", "MX", "ATF", "CBP", "FGR", "SEDENA", "user:ana", "user:beto"]

# (schemata a fact may be typed with, property, value), by entity
NAMES = [
    "José Pérez",
    "Juan López",
    "El Güero",
    "Álvaro Reyes Mendoza",
    "Álvaro Reyes",
    "MA. DOLORES GARCÍA",
    "María Dolores García López",
    "José Josefina Ruiz",
    "Josefina Ruiz",
    "María Pérez-López",
    "Łukasz Straße",
    "PEPE PÉREZ",  # José's hypocoristic: "jose perez" finds it after "José Pérez"
]
PHONES = ["+526671573741", "+19567189749", "+525512345678", "+15512345678"]
PERSON = ("Individual", "Person", "LegalEntity")
PERSON_FACTS: list[tuple[tuple[str, ...], str, str]] = [
    *((PERSON, "name", name) for name in NAMES),
    (PERSON, "alias", "Fco. Javier Pérez"),
    (PERSON, "alias", "Gpe. Mendoza"),
    (PERSON, "alias", "Lupe Reyes"),
    (("Individual",), "paternalSurname", "GARCÍA"),
    (("Individual",), "birthDate", "1990-01-02"),
    *((PERSON, "phone", phone) for phone in PHONES),
]
FACTS: dict[str, list[tuple[tuple[str, ...], str, str]]] = {
    "p1": PERSON_FACTS,
    "p2": PERSON_FACTS,
    "p3": PERSON_FACTS,
    # one agency's company, another's person: FtM has no schema that is both
    "c1": [
        (("Company",), "name", "Transportes Fco. Villa"),
        (("Company",), "incorporationDate", "2001-02-03"),
        (("Individual",), "name", "Francisco Villa"),
        (("Individual",), "birthDate", "1970-01-01"),
        (("Company", "Individual"), "phone", "+526671573741"),
    ],
    "g1": [
        (("Firearm",), "serialNumber", "ABC123"),
        (("Firearm",), "serialNumber", "XYZ-9"),
        (("Firearm",), "serialNumber", "6671573741"),  # a phone's digits, no phone
        (("Firearm",), "make", "Glock"),
    ],
    "s1": [
        (("Sale",), "buyer", "p1"),
        (("Sale",), "buyer", "c1"),
        (("Sale",), "firearm", "g1"),
        (("Sale",), "date", "2024-01-05"),
        # what an ingest copies from the buyer's names (a retraction withdraws it with them)
        (("Sale",), "namesMentioned", "José Pérez"),
        (("Sale",), "namesMentioned", "Álvaro Reyes Mendoza"),
    ],
    "s2": [
        (("Sale",), "buyer", "p2"),
        (("Sale",), "firearm", "g1"),
        (("Sale",), "namesMentioned", "María Dolores García López"),
    ],
    "r1": [
        (("Recovery",), "firearm", "g1"),
        (("Recovery",), "possessor", "p2"),
        (("Recovery",), "possessor", "p3"),
    ],
}
ENTITY_IDS = sorted(FACTS)
# what the newer forms of a search's text find (`query_forms`): a surname's particles apart
# and joined, a person's RFC and CURP of one base, a company's RFC (a base of 9); drawn as
# often as the facts above (`facts_st`), so that most examples hold some
FORM_PERSON_FACTS: list[tuple[tuple[str, ...], str, str]] = [
    (PERSON, "name", "JUAN DEL ÁNGEL RAMÍREZ"),
    (PERSON, "alias", "Juan Delangel"),
    (PERSON, "alias", "María de la Cruz"),
    (PERSON, "taxNumber", "NUPA850312AB1"),
    (PERSON, "idNumber", "NUPA850312HSLRRS09"),
]
FORM_FACTS: dict[str, list[tuple[tuple[str, ...], str, str]]] = {
    "p1": FORM_PERSON_FACTS,
    "p2": FORM_PERSON_FACTS,
    "p3": FORM_PERSON_FACTS,
    "c1": [(("Company",), "taxNumber", "TFV010203AB1")],
}
DATASETS = {agency: f"ds_{agency.lower()}" for agency in AGENCIES}


@dataclasses.dataclass(frozen=True)
class Fact:
    entity: str
    schema: str
    prop: str
    value: str
    label: AccessLabel
    retracted: bool
    source: str | None
    legal_basis: str | None

    @property
    def dataset(self) -> str:
        return DATASETS[self.label.owner_agency]

    @property
    def id(self) -> str:
        return statement_id(self.dataset, self.entity, self.prop, self.value)


label_st = st.builds(
    lambda agency, marking, rel: AccessLabel(agency, AGENCIES[agency], marking, frozenset(rel)),
    st.sampled_from(sorted(AGENCIES)),
    st.sampled_from(list(Marking)),
    st.sets(st.sampled_from(TOKENS), max_size=3),
)


# Records an ingest writes together, under one label: the sale names its buyer (the names
# an ingest copies into `namesMentioned`, which a retraction of the name withdraws), the
# recovery links a gun to its possessors, one agency's company is another's person, a
# person's names (particles apart and joined) come with its RFC and CURP.
RECORDS: list[list[tuple[str, str, str, str]]] = [
    [
        ("s1", "Sale", "buyer", "p1"),
        ("s1", "Sale", "firearm", "g1"),
        ("s1", "Sale", "namesMentioned", "José Pérez"),
        ("p1", "Individual", "name", "José Pérez"),
        ("p1", "Individual", "phone", "+526671573741"),
        ("g1", "Firearm", "serialNumber", "6671573741"),
    ],
    [
        ("s2", "Sale", "buyer", "p2"),
        ("s2", "Sale", "namesMentioned", "María Dolores García López"),
        ("p2", "Individual", "name", "María Dolores García López"),
        ("p2", "Individual", "phone", "+525512345678"),
    ],
    [
        ("r1", "Recovery", "firearm", "g1"),
        ("r1", "Recovery", "possessor", "p2"),
        ("r1", "Recovery", "possessor", "p3"),
        ("p3", "Individual", "name", "MA. DOLORES GARCÍA"),
        ("p3", "Individual", "alias", "Łukasz Straße"),
        ("p3", "Person", "phone", "+15512345678"),
    ],
    [
        ("c1", "Company", "name", "Transportes Fco. Villa"),
        ("c1", "Company", "phone", "+526671573741"),
        ("s1", "Sale", "buyer", "c1"),
    ],
    [
        ("c1", "Individual", "name", "Francisco Villa"),
        ("c1", "Individual", "birthDate", "1970-01-01"),
    ],
    [
        ("p3", "Individual", "name", "JUAN DEL ÁNGEL RAMÍREZ"),
        ("p3", "Individual", "alias", "Juan Delangel"),
        ("p3", "Individual", "taxNumber", "NUPA850312AB1"),
        ("p3", "Individual", "idNumber", "NUPA850312HSLRRS09"),
    ],
]


@st.composite
def fact_st(draw: Any, entities: list[str] = ENTITY_IDS, table: Any = FACTS) -> Fact:
    """A fact of one of `entities` (keys of `table`, `FACTS` or `FORM_FACTS`)."""
    entity = draw(st.sampled_from(entities))
    schemata, prop, value = draw(st.sampled_from(table[entity]))
    return Fact(
        entity,
        draw(st.sampled_from(schemata)),
        prop,
        value,
        draw(label_st),
        draw(st.integers(0, 3)) == 0,  # a quarter retracted
        draw(st.sampled_from([None, "file.csv:3", "otro.csv:12"])),
        draw(st.sampled_from([None, None, "court order 7"])),
    )


@st.composite
def record_st(draw: Any) -> list[Fact]:
    label = draw(label_st)
    source = draw(st.sampled_from([None, "file.csv:3"]))
    return [
        Fact(entity, schema, prop, value, label, draw(st.integers(0, 3)) == 0, source, None)
        for entity, schema, prop, value in draw(st.sampled_from(RECORDS))
    ]


# facts one by one (of `FACTS`, of `FORM_FACTS`), and records of several
facts_st = st.lists(
    st.one_of(
        fact_st().map(lambda f: [f]),
        fact_st(sorted(FORM_FACTS), FORM_FACTS).map(lambda f: [f]),
        record_st(),
    ),
    max_size=10,
).map(lambda items: [f for item in items for f in item])
ledger_row_st = st.tuples(st.integers(0, 5), label_st)

# principals of the owning agencies, and of agencies owning nothing (which see only what is
# released to them)
PRINCIPAL_AGENCIES = {**AGENCIES, "HSI": "US", "CNI": "MX"}
principal_st = st.builds(
    lambda name, agency: Principal(name, agency, PRINCIPAL_AGENCIES[agency]),
    st.sampled_from(["ana", "beto", "carla"]),
    st.sampled_from(sorted(PRINCIPAL_AGENCIES)),
)


def dataset_info(agency: str) -> DatasetInfo:
    """An agency's dataset: the FGR's is released to the US by default, the rest kept home."""
    country = AGENCIES[agency]
    rel = frozenset({"MX", "US"}) if agency == "FGR" else frozenset({country})
    return DatasetInfo(DATASETS[agency], agency, country, Marking.AMBER, rel, f"{agency} law")


def declare_datasets(store: Store) -> None:
    """Every agency's dataset (`dataset_info`)."""
    with store.writer() as w:
        for agency in AGENCIES:
            w.ensure_dataset(dataset_info(agency))


def no_datasets(store: Store) -> None:
    """None: a store B declares the datasets its principal may know of (`build_pair`)."""


class Stores:
    """Fresh stores of one backend ("sqlite", or "postgresql" on the server at `pg_url`),
    each a copy of a template store set up once per process by a `setup` function (module
    doc)."""

    def __init__(self, backend: str, pg_url: str | None = None) -> None:
        if backend not in ("sqlite", "postgresql") or (backend == "postgresql") != bool(pg_url):
            raise ValueError(f"backend {backend!r} with pg_url {pg_url!r}")
        self.backend = backend
        self._pg_url = pg_url
        self._folder = Path(tempfile.mkdtemp(prefix="ironriver-view-stores-"))
        self._templates: dict[str, str] = {}  # setup function's name: template (file, db)
        self._databases: list[str] = []  # PostgreSQL databases made, templates last
        self._admin: Engine | None = None
        atexit.register(self.close)

    def url(self, path: Path) -> str:
        """The URL of the store named after `path` (a SQLite file there, or a database)."""
        if self._pg_url is None:
            return f"sqlite:///{path}"
        return (
            make_url(self._pg_url)
            .set(database=self._database(path.stem))
            .render_as_string(hide_password=False)
        )

    def new(self, path: Path, setup: Callable[[Store], None] = declare_datasets) -> Store:
        """A fresh store named after `path` (a file there on SQLite; its ledgers beside
        it), a copy of `setup`'s template; a store named so before is replaced."""
        template = self._template(setup)
        # (on SQLite where the CLI looks for them, `<file>.ledgers`: `a.ledgers` left the
        # CLI properties reading no ledger row at all; a server store records its own)
        ledgers = path.with_name(path.name + LEDGERS_SUFFIX)
        if self._pg_url is None:
            for part in Path(template).parent.glob(f"{Path(template).name}*"):
                # (the template's read-audit file too)
                suffix = part.name[len(Path(template).name) :]
                shutil.copyfile(part, path.with_name(path.name + suffix))
        else:
            self._create(self._database(path.stem), template)
        return open_store(self.url(path), ledger_dir=ledgers)

    def _template(self, setup: Callable[[Store], None]) -> str:
        key = setup.__name__
        if key not in self._templates:
            if self._pg_url is None:
                path = self._folder / f"template-{key}.db"
                store = open_store(f"sqlite:///{path}", ledger_dir=self._folder / "ledgers")
                self._templates[key] = str(path)
            else:
                name = self._database(f"template_{key}")
                self._create(name, None)
                url = make_url(self._pg_url).set(database=name)
                store = open_store(  # (each template its own folder: a folder has one owner)
                    url.render_as_string(hide_password=False), ledger_dir=self._folder / f"l-{key}"
                )
                self._templates[key] = name
            setup(store)
            store.close()  # (SQLite: the WAL checkpointed into the file; PG: no connection)
        return self._templates[key]

    def _database(self, stem: str) -> str:
        base = make_url(self._pg_url).database if self._pg_url else None
        return f"{base}_v{os.getpid()}_{stem}".lower()

    def _engine(self) -> Engine:
        if self._admin is None:
            assert self._pg_url is not None
            # (pinged: a connection the server dropped since, as a restart does, is replaced)
            self._admin = create_engine(
                self._pg_url, isolation_level="AUTOCOMMIT", pool_pre_ping=True
            )
        return self._admin

    def _create(self, name: str, template: str | None) -> None:
        # names made here of the test database's name, a pid and fixed words: quoted all
        # the same (CREATE DATABASE takes no bound parameters)
        quoted = self._engine().dialect.identifier_preparer.quote
        with self._engine().connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {quoted(name)} WITH (FORCE)"))
            if template is None:  # collated as the test database is (README: C.UTF-8)
                collate, ctype = conn.execute(
                    text(
                        "SELECT datcollate, datctype FROM pg_database "
                        "WHERE datname = current_database()"
                    )
                ).one()
                like = "TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE {} LC_CTYPE {}".format(
                    *(_literal(str(v)) for v in (collate, ctype))
                )
            else:
                like = f"TEMPLATE {quoted(template)}"
            conn.execute(text(f"CREATE DATABASE {quoted(name)} {like}"))
        if name not in self._databases:
            self._databases.insert(0, name)

    def close(self) -> None:
        """Drop the databases made (PostgreSQL) and remove the templates' folder."""
        if self._admin is not None:
            quoted = self._admin.dialect.identifier_preparer.quote
            with self._engine().connect() as conn:
                for name in self._databases:
                    conn.execute(text(f"DROP DATABASE IF EXISTS {quoted(name)} WITH (FORCE)"))
            self._databases.clear()
            self._admin.dispose()
            self._admin = None
        shutil.rmtree(self._folder, ignore_errors=True)


def _literal(value: str) -> str:
    """`value` as an SQL string literal (for statements that take no bound parameters)."""
    return "'" + value.replace("'", "''") + "'"


@functools.cache
def shared_stores(backend: str, pg_url: str | None = None) -> Stores:
    """The process's `Stores` of `backend` (templates made once, whichever test asks)."""
    return Stores(backend, pg_url)


def add_one(
    store: Store,
    dataset: str,
    label: AccessLabel,
    fact: tuple[str, str, str, str],
    legal_basis: str | None = None,
    **columns: Any,
) -> None:
    """The (entity, schema, prop, value) `fact` as a write of its own, with its content id
    and any further `columns` (`source_ref`). One write each, not one for all: a write
    storing a dataset's statements under its own label and another is refused on
    PostgreSQL (`Writer._guard_labels`, review R26 F4), and the facts' labels are drawn."""
    entity, schema, prop, value = fact
    table = {
        "id": [statement_id(dataset, entity, prop, value)],
        "entity_id": [entity],
        "schema": [schema],
        "prop": [prop],
        "value": [value],
        **{name: [v] for name, v in columns.items()},
    }
    with store.writer() as w:
        w.add_statements(pa.table(table), dataset, label, legal_basis=legal_basis)


def add(store: Store, facts: list[Fact]) -> None:
    """Each fact as one write (`add_one`), in order (a known id is ignored: the first label
    stays)."""
    for f in facts:
        add_one(
            store,
            f.dataset,
            f.label,
            (f.entity, f.schema, f.prop, f.value),
            f.legal_basis,
            source_ref=f.source,
        )


def add_ledger(store: Store, rows: list[tuple[int, AccessLabel]]) -> None:
    """Each row as one part, all recorded by one ingest event (reads read only the parts
    the store's events name)."""
    write_ledgers(
        store,
        [
            (DATASETS[label.owner_agency], "crossings", label, pa.table({"rid": [rid]}))
            for rid, label in rows
        ],
    )


def sees_ledger_row(who: Principal, label: AccessLabel) -> bool:
    """Whether `who` sees a ledger row of `label` in its agency's dataset (`add_ledger`):
    its own label, and its dataset's (`dataset_info`), visible."""
    return can_see(who, label) and can_see(who, dataset_info(label.owner_agency).label)


def hidden_agencies(who: Principal) -> list[str]:
    """The agencies whose dataset's own label `who` may not see (every principal drawn
    has one at least: a dataset is released to its own country, or to both)."""
    return [a for a in sorted(AGENCIES) if not can_see(who, dataset_info(a).label)]


def damage_hidden_part(store: Store, who: Principal, pick: int) -> Path:
    """A `crossings` part of the dataset of the `pick`-th (modulo) agency of
    `hidden_agencies(who)`, under that dataset's own label, recorded as an ingest records
    its parts, then truncated to half its bytes (its footer cannot be read: a bad restore,
    a disk fault); its path."""
    hidden = hidden_agencies(who)
    agency = hidden[pick % len(hidden)]
    folder = store.ledger_dir / DATASETS[agency] / "crossings"
    before = set(folder.glob("part-*.parquet"))
    write_ledgers(
        store,
        [(DATASETS[agency], "crossings", dataset_info(agency).label, pa.table({"rid": [99]}))],
    )
    [part] = set(folder.glob("part-*.parquet")) - before
    data = part.read_bytes()
    part.write_bytes(data[: len(data) // 2])
    return part


def retract_as_owner(store: Store, facts: list[Fact]) -> None:
    """The owning agency retracts each of `facts` (the stored statement of its id)."""
    for f in facts:
        agency = f.label.owner_agency
        owner = Principal(f"loader-{agency}", agency, AGENCIES[agency], frozenset({"ingest"}))
        try:
            retract(store, owner, f.entity, reason="entered in error", statement_ids=[f.id])
        except NotFound:  # already withdrawn with a name it was copied from
            pass


def standing_ids(store: Store) -> set[str]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(statements.c.id).where(statements.c.retracted.is_(False)))
        return {str(r[0]) for r in rows}


def build_pair(
    stores: Stores,
    folder: Path,
    facts: list[Fact],
    ledger_rows: list[tuple[int, AccessLabel]],
    who: Principal,
    damaged: int | None = None,
) -> tuple[Store, Store]:
    """Store A (`folder/a.db`: every fact, the retracted ones then retracted, every ledger
    row, and with `damaged` a damaged part of a dataset hidden from `who`:
    `damage_hidden_part`) and store B (`folder/b.db`: what `who` sees standing in A), as
    the module doc says. The caller closes both."""
    full = stores.new(folder / "a.db")
    try:
        add(full, facts)
        retract_as_owner(full, [f for f in facts if f.retracted])
        add_ledger(full, ledger_rows)
        if damaged is not None:
            damage_hidden_part(full, who, damaged)
        standing = standing_ids(full)
        first: dict[str, Fact] = {}
        for f in facts:
            first.setdefault(f.id, f)  # the label the store kept
        visible = [f for f in first.values() if f.id in standing and can_see(who, f.label)]
        rows = [r for r in ledger_rows if sees_ledger_row(who, r[1])]
        alone = stores.new(folder / "b.db", no_datasets)
        try:
            # the datasets `who` may know of: those whose own label it may see, and those
            # holding a fact or a ledger row it sees (`View.datasets`)
            owners = {f.label.owner_agency for f in visible} | {r[1].owner_agency for r in rows}
            with alone.writer() as w:
                for agency in AGENCIES:
                    info = dataset_info(agency)
                    if agency in owners or can_see(who, info.label):
                        w.ensure_dataset(info)
            add(alone, visible)
            add_ledger(alone, rows)
        except BaseException:
            alone.close()
            raise
    except BaseException:
        full.close()
        raise
    return full, alone
