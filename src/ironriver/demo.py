"""`ironriver demo`: generate a small synthetic world, ingest every agency's files, and show
what a US principal and a Mexican principal each see (in their own language, unless
`--lang` or `$IRONRIVER_LANG` chooses one for both).

One demo, one world, one store: record numbers restart in every generated world and are
entity keys, so two worlds in one store would merge unrelated people. The default store
(`WORKDIR/demo.db`) is therefore made afresh on every run, and a store given with `--db`
must be empty.

The library function `run_demo` returns a `DemoReport`; the command (`cli_demo.py`) only
prints it.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import click
import duckdb

from ironriver.cli_support import count_text, principal_lang, table
from ironriver.errors import ConfigError, NotFound
from ironriver.i18n import Lang, explicit_lang, msg, t
from ironriver.ingest import IngestResult, ingest_mapping
from ironriver.model.labels import prop_label, schema_label, shown_value
from ironriver.policy import Principal, View
from ironriver.settings import LEDGERS_SUFFIX, shown_url, sqlite_file, sqlite_url
from ironriver.store import Store, open_store
from ironriver.store.audit import READ_FILE_SUFFIX
from ironriver.store.dialect import SQLITE_FILES
from ironriver.world import WorldConfig, generate_world

DEMO_PRINCIPALS = (
    Principal("us-atf-analyst", "ATF", "US", frozenset({"analyst"})),
    Principal("mx-fgr-analista", "FGR", "MX", frozenset({"analyst"})),
)


@dataclass
class PrincipalView:
    principal: Principal
    lang: Lang
    entities_by_schema: dict[str, int]
    statements_by_dataset: dict[str, int]
    ledger_rows: dict[str, int]
    gun_id: str | None
    gun_properties: list[tuple[str, str, str]]  # (property, value, dataset)
    gun_sales: list[tuple[str, str, str, str]] = field(default_factory=list)


@dataclass
class DemoReport:
    world: Path
    db_url: str
    ingested: list[tuple[str, int, int, int]] = field(default_factory=list)
    views: list[PrincipalView] = field(default_factory=list)
    audit_events: int = 0
    audit_ok: bool = False


DEMO_DB = "demo.db"
#: What a SQLite store keeps beside its file (SQLite's own journals, ironriver's ledgers and
#: read-audit file): all of it belongs to the demo's store and goes with it.
STORE_SIDE_FILES = (*SQLITE_FILES, READ_FILE_SUFFIX, LEDGERS_SUFFIX)


def _remove_store(path: Path) -> None:
    """Remove the demo store a previous run left at `path` (see the module docstring)."""
    for suffix in STORE_SIDE_FILES:
        old = path.with_name(path.name + suffix)
        if old.is_dir():
            shutil.rmtree(old)
        elif old.exists():
            old.unlink()


def _sales_of(view: View, serial: str) -> list[tuple[str, str, str, str]]:
    """Visible dealer sales of `serial`: (sale date, dealer, dealer state, buyer)."""
    try:
        rel = view.ledger("dealer_sales")
    except NotFound:  # none of the dealer records is releasable to this principal
        return []
    rel = rel.filter(duckdb.ColumnExpression("serial") == duckdb.ConstantExpression(serial))
    rows = rel.project(
        "CAST(sale_date AS VARCHAR), dealer_name, dealer_state, "
        "concat_ws(' ', buyer_first_name, buyer_last_name)"
    ).fetchall()
    return sorted((str(a), str(b), str(c), str(d)) for a, b, c, d in rows)


def _pick_recovered_gun(store: Store) -> str | None:
    """A gun named by a Mexican recovery record, with a readable serial; preferably one the
    US dealer records also hold (a gun that traces to its first retail sale)."""
    fgr = View(store, DEMO_PRINCIPALS[1], reason="demo", audit=False)
    atf = View(store, DEMO_PRINCIPALS[0], reason="demo", audit=False)
    fallback: str | None = None
    with closing(fgr.export("Recovery")) as recoveries:
        for ent in recoveries:
            for gun_id, gun in sorted(fgr.entities(ent.get("firearm")).items()):
                serials = gun.get("serialNumber")
                if not serials:
                    continue
                fallback = fallback or gun_id
                if _sales_of(atf, serials[0]):
                    return gun_id
    return fallback


def _principal_view(store: Store, principal: Principal, gun_id: str | None) -> PrincipalView:
    view = View(store, principal, reason="demo: what each country sees")
    counts = view.counts()
    ledger_rows: dict[str, int] = {}
    for (_dataset, ledger), n in view.ledger_counts().items():
        ledger_rows[ledger] = ledger_rows.get(ledger, 0) + n
    props: list[tuple[str, str, str]] = []
    sales: list[tuple[str, str, str, str]] = []
    if gun_id is not None:
        props = [(s.prop, s.value, s.dataset) for s in view.statements(gun_id)]
        serials = sorted({v for p, v, _d in props if p == "serialNumber"})
        for serial in serials:
            sales += _sales_of(view, serial)
    return PrincipalView(
        principal,
        principal_lang(principal),
        counts.entities_by_schema,
        counts.statements_by_dataset,
        ledger_rows,
        gun_id,
        props,
        sales,
    )


def ingest_world(
    store: Store, mappings: list[Path], actor: str, reason: str
) -> Iterator[IngestResult]:
    """Ingest a generated world's agency mappings (`WorldPaths.mappings()`) into `store`, one
    at a time, yielding each one's result (the demo's load; `ironriver eval search` loads its
    store so too)."""
    for mapping in mappings:
        yield ingest_mapping(store, mapping, actor=actor, reason=reason)


def run_demo(
    workdir: Path, db_url: str | None = None, scale: float = 0.003, seed: int = 7, echo: bool = True
) -> DemoReport:
    """Generate, ingest and compare views; see the module docstring."""
    say = click.echo if echo else (lambda *_a, **_k: None)
    world_dir = workdir / "world"
    workdir.mkdir(parents=True, exist_ok=True)  # (the store is opened before the world is made)
    if db_url is None:
        _remove_store(workdir / DEMO_DB)
        db_url = sqlite_url((workdir / DEMO_DB).absolute())
    # a SQLite store's ledgers go where the CLI looks for them (beside the file), so the
    # demo's store can be explored afterwards: `ironriver ledgers --db .../demo.db`
    sqlite = db_url.startswith("sqlite:///")
    store = open_store(db_url, ledger_dir=None if sqlite else workdir / "demo.ledgers")
    # a store holding anything (ledger rows only, too) is someone's: the demo would mix its
    # synthetic records into theirs, and ledger rows cannot be retracted. How much it holds
    # is not said: the demo runs as no principal.
    if store.holds_data():
        store.close()
        raise ConfigError(
            msg(
                "The store {db} is not empty; the demo writes its synthetic world only into "
                "a new, empty store.",
                db=shown_url(db_url),
            ),
            hint=msg(
                "Leave out --db (the demo then makes a fresh store in its --workdir) or give "
                "a new, empty store."
            ),
        )
    try:
        say(
            t(
                "Generating a synthetic world (scale {scale}, seed {seed}) in {path}",
                scale=scale,
                seed=seed,
                path=world_dir,
            )
        )
        paths = generate_world(WorldConfig(scale=scale, years=1, seed=seed, out=world_dir))
        report = DemoReport(paths.root, db_url)
        mappings = paths.mappings()
        say(t("Ingesting {n} agency mappings into {db}", n=len(mappings), db=shown_url(db_url)))
        for result in ingest_world(store, mappings, actor="demo-loader", reason="demo load"):
            names = ", ".join(result.datasets)
            # what was stored (new to the store), as the views below count it: statements two
            # queries of one mapping both produce are stored once
            stored = result.statements_new
            report.ingested.append((names, result.records, stored, result.ledger_rows_new))
            say(
                t(
                    "  {dataset}: {records:,} records → {statements:,} statements, "
                    "{ledger:,} ledger rows",
                    dataset=names,
                    records=result.records,
                    statements=stored,
                    ledger=result.ledger_rows_new,
                )
            )
        gun_id = _pick_recovered_gun(store)
        report.views = [_principal_view(store, p, gun_id) for p in DEMO_PRINCIPALS]
        verify = store.audit.verify()
        report.audit_events, report.audit_ok = verify.events, verify.ok
    finally:
        store.close()
    return report


def print_report(report: DemoReport) -> None:
    """Each principal's view in its own language, unless one was chosen (`--lang`,
    `$IRONRIVER_LANG`: docs/i18n.md); the lines for both in both languages, or the chosen one."""
    chosen = explicit_lang()
    both: tuple[Lang, ...] = (chosen,) if chosen else ("en", "es")
    click.echo()
    for lang in both:
        click.echo(t("ironriver demo: one synthetic binational world, two countries' views", lang))
    for pv in report.views:
        lang = chosen or pv.lang
        p = pv.principal
        click.echo()
        click.echo("=" * 78)
        click.echo(
            t(
                "What {name} ({agency}, {country}) sees",
                lang,
                name=p.name,
                agency=p.agency,
                country=p.country,
            )
        )
        click.echo("=" * 78)
        click.echo(t("Entities by schema", lang))
        table(
            [
                (label, count_text(n))
                for label, n in sorted(
                    (schema_label(k, lang), n) for k, n in pv.entities_by_schema.items()
                )
            ],
            [t("schema", lang), t("entities", lang)],
        )
        click.echo()
        click.echo(t("Visible statements by dataset", lang))
        table(
            # (View.counts: in name order)
            [(d, count_text(n)) for d, n in pv.statements_by_dataset.items()],
            [t("dataset", lang), t("statements", lang)],
        )
        click.echo()
        click.echo(t("Visible ledger rows", lang))
        if pv.ledger_rows:
            table(
                [(lg, count_text(n)) for lg, n in sorted(pv.ledger_rows.items())],
                [t("ledger", lang), t("rows", lang)],
            )
        else:  # Mexico: every US ledger holds US-person records in bulk (docs/policy.md)
            click.echo(t("(nothing visible)", lang))
        click.echo()
        click.echo(
            f"{t('A gun recovered in Mexico, as this principal sees it', lang)}: {pv.gun_id}"
        )
        if pv.gun_properties:
            table(
                [
                    (prop_label("Firearm", p, lang), shown_value("Firearm", p, v, lang), d)
                    for p, v, d in pv.gun_properties
                ],
                [t("property", lang), t("value", lang), t("dataset", lang)],
            )
        else:
            click.echo(t("(nothing visible)", lang))
        click.echo()
        click.echo(t("Its first retail sale in the US (ATF dealer records)", lang))
        if pv.gun_sales:
            table(
                pv.gun_sales,
                [
                    t("date", lang),
                    t("dealer", lang),
                    t("state", lang),
                    t("buyer", lang),
                ],
            )
        else:
            click.echo(t("(nothing visible)", lang))
    click.echo()
    for lang in both:
        if report.audit_ok:
            line = t(
                "Audit log: {events} events, both hash chains (writes, reads) intact.",
                lang,
                events=report.audit_events,
            )
        else:
            line = t(
                "Audit log: {events} events, a hash chain BROKEN (run `ironriver audit verify`).",
                lang,
                events=report.audit_events,
            )
        click.echo(line)
    # the store stays: where to go from here, as each principal
    db = _db_option(report.db_url)
    click.echo()
    for pv in report.views:
        click.echo(
            t(
                'Explore it as {name}: {command} search "garcia" --db {db} --as {name} '
                '--reason "demo" (also: entity ID, ledgers, stats, export)',
                chosen or pv.lang,
                name=pv.principal.name,
                command=_command(),
                db=db,
            )
        )
    for lang in both:  # (the examples of every --help read $IRONRIVER_DB: H69)
        click.echo(
            t(
                "The examples of every --help run on this store once you type: "
                "export IRONRIVER_DB={db}",
                lang,
                db=db,
            )
        )


def _command() -> str:
    """How the reader runs ironriver from here: `ironriver` when that is the one on PATH,
    else the path of the running one (`make demo` runs `.venv/bin/ironriver`)."""
    running = Path(sys.argv[0])
    if running.name != "ironriver":  # `python -m`, tests
        return "ironriver"
    found = shutil.which("ironriver")
    if found is not None and Path(found).resolve() == running.resolve():
        return "ironriver"
    return _short(str(running))


def _db_option(db_url: str) -> str:
    """The `--db` value that opens the store at `db_url`, as typed in a shell: a SQLite
    store's file (its path, not the URL's escaped form: `%` and `?` are escaped there),
    else the URL with its password masked."""
    db_file = sqlite_file(db_url)
    return shlex.quote(_short(str(db_file)) if db_file is not None else shown_url(db_url))


def _short(path: str) -> str:
    """`path` relative to the working folder when it lies inside it, else as it is."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative
