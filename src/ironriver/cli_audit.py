"""`ironriver audit`: read, verify and anchor the hash-chained audit log (`verify`, `log`,
`restart-reads`, `checkpoint`), each a thin command over `AuditLog` (`store.audit`).

The top-level CLI wires it with `cli.add_command(audit)`; its commands use the shared option
bundle (`--db`, `--as`, `--principals`, `--json`), and those that act as a principal check its
role (`log`, `checkpoint`: auditor; `restart-reads`: admin).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain
from typing import Any

import click

from ironriver.cli_columns import headers
from ironriver.cli_dates import typed_time
from ironriver.cli_support import app_context, common_options, table
from ironriver.errors import ConfigError
from ironriver.i18n import LANGS, Lang, Msg, current_lang, joined, msg, nt, pt, render, t
from ironriver.model.names import folded, near
from ironriver.progress import stderr_note

# The policy and the store (FtM, SQLAlchemy, Arrow, DuckDB) are imported in the commands'
# bodies: `audit --help` needs none of them (`ironriver.cli`).


@click.group()
def audit() -> None:
    """Read and verify the hash-chained audit log: a writes chain (ingests and other data
    changes, in the store) and a reads chain (reads, searches, exports; beside a SQLite
    store, in its read-audit file STORE.read-audit.sqlite).

    \b
    Example: ironriver audit verify
             ironriver audit log --as auditor --action search
    """


@audit.command("verify")
@common_options
@click.pass_context
def audit_verify(ctx: click.Context) -> None:
    """Check that no audit event was edited, removed or reordered, in either chain, that
    the reads chain still holds every read the writes chain anchored (reads after the newest
    anchor are not covered yet: see `audit checkpoint`), that every ledger part an ingest
    recorded is there, whole, with its rows, and that the ledger folders hold no part that
    no ingest recorded. Writes nothing.

    \b
    Example: ironriver audit verify
    """
    from ironriver.store.audit_verify import verify_ledger_parts

    app = app_context(ctx)
    store = app.open_store(migrate=False)
    result = verify_ledger_parts(store.audit.verify(), store.engine, store.ledger_dir)
    data = {
        "ok": result.ok,
        "events": result.events,
        "chains": result.chains,
        "anchored": result.anchored,
        "problems": [*result.problems, *result.ledger_problems, *result.ledger_strays],
        "advice": list(result.advice),
        "ledger_parts": result.ledger_parts,
        "ledger_pending": list(result.ledger_pending),
        "unrecorded_ingests": result.unrecorded_ingests,
    }

    def human() -> None:
        names = {"writes": t("writes chain"), "reads": t("reads chain")}
        chains = ", ".join(f"{names.get(name, name)}: {n}" for name, n in result.chains.items())
        reads, anchored = result.chains.get("reads", 0), result.anchored
        intact = [
            nt(
                "Audit log intact: {n:,} event ({chains}).",
                "Audit log intact: {n:,} events ({chains}).",
                result.events,
                chains=chains,
            ),
            t(
                "Reads anchored in the writes chain: {anchored} of {reads}.",
                anchored=anchored,
                reads=reads,
            ),
        ]
        if reads > anchored:
            intact.append(
                nt(
                    "  The newest is not yet (its removal would go unnoticed): the next "
                    "ingest, retraction or `ironriver audit checkpoint` anchors it.",
                    "  The {n} newest are not yet (their removal would go unnoticed): the "
                    "next ingest, retraction or `ironriver audit checkpoint` anchors them.",
                    reads - anchored,
                )
            )
        _echo_check(
            result.problems,
            lambda n: nt(
                "AUDIT LOG TAMPERED ({n} problem):", "AUDIT LOG TAMPERED ({n} problems):", n
            ),
            intact,
        )
        if result.advice:
            click.echo(t("What to do:"))
            for advice in result.advice:
                click.echo(f"  - {render(advice)}")
        _echo_check(
            result.ledger_problems,
            lambda n: nt(
                "LEDGER PART MISSING OR DAMAGED ({n} problem):",
                "LEDGER PARTS MISSING OR DAMAGED ({n} problems):",
                n,
            ),
            [  # (nothing to say when no ingest recorded a part)
                nt(
                    "Ledger parts intact: {n:,} part recorded by ingests.",
                    "Ledger parts intact: {n:,} parts recorded by ingests.",
                    result.ledger_parts,
                )
            ]
            if result.ledger_parts
            else [],
        )
        if result.ledger_parts and not result.ledger_problems:
            click.echo(
                t(
                    "  Their rows are checked here; their bytes, against the hashes their "
                    "ingests recorded, by `ironriver audit verify-data`."
                )
            )
        if result.ledger_pending:
            click.echo(
                nt(
                    "Ledger part not in place yet ({n}), nothing lost:",
                    "Ledger parts not in place yet ({n}), nothing lost:",
                    len(result.ledger_pending),
                )
            )
            for note in result.ledger_pending:
                click.echo(f"  - {render(note)}")
        _echo_check(
            result.ledger_strays,
            lambda n: nt(
                "LEDGER PART NO INGEST RECORDED ({n} problem):",
                "LEDGER PARTS NO INGEST RECORDED ({n} problems):",
                n,
            ),
            [],
        )
        if result.unrecorded_ingests:
            click.echo(
                nt(
                    "  {n} ingest event wrote ledger rows before ingests recorded their "
                    "parts: its parts are not checked, nor are part files that no ingest "
                    "recorded looked for.",
                    "  {n} ingest events wrote ledger rows before ingests recorded their "
                    "parts: their parts are not checked, nor are part files that no ingest "
                    "recorded looked for.",
                    result.unrecorded_ingests,
                )
            )

    app.emit(data, human)
    if not result.ok:
        ctx.exit(5)


@audit.command("log")
@common_options
@click.option(
    "--limit",
    default=50,
    show_default=True,
    type=click.IntRange(min=1),
    help="Show the newest this many matching events (in time order).",
)
@click.option("--actor", default=None, help="Only this principal's events.")
@click.option("--agency", default=None, help="Only events of this agency's principals.")
@click.option(
    "--action",
    default=None,
    help="Only this action: its name (read, search, export, ingest, retract…) or its meaning "
    "in Spanish (buscar, exportar, cargar…); a wrong one lists them with their meanings.",
)
@click.option("--target", default=None, help="Only events about this entity id or dataset.")
@click.option(
    "--since",
    default=None,
    help="Only events at or after this date or time (UTC): 2026-11-30, 2026-11-30T14:30, or "
    "30/11/2026 (the year last: read the only way it can be; 01/02/2026 is refused).",
)
@click.option("--until", default=None, help="Only events before this date or time (UTC).")
@click.pass_context
def audit_log(
    ctx: click.Context,
    limit: int,
    actor: str | None,
    agency: str | None,
    action: str | None,
    target: str | None,
    since: str | None,
    until: str | None,
) -> None:
    """Show audit events of both chains, the newest matching ones, in time order; the
    `chain` column says which chain each came from (needs the auditor role). An auditor
    reads the events of its own country's agencies and the system's; an admin reads all.

    \b
    Example: ironriver audit log --as mx-auditor --action read \\
               --target 3039c5378e6bffeac0774e08cb52ac5fcfa34f11
             ironriver audit log --as auditor --actor us-atf-analyst --since 2026-11-01
    """
    from ironriver.policy import audited_agencies, listed_event, require_role
    from ironriver.store import AUDIT_ACTIONS, EventFilter

    app = app_context(ctx)
    principal = app.principal()
    require_role(principal, "auditor", msg("read the audit log"))
    action = action_named(action) if action is not None else None
    store = app.open_store()
    scope = audited_agencies(principal, app.principals().values())
    where = EventFilter(
        actor=actor,
        agency=agency.upper() if agency else None,
        action=action,
        target=target,
        since=_iso_time(since, "--since"),
        until=_iso_time(until, "--until"),
        agencies=scope,
    )
    if scope is not None and not app.as_json:  # said first: "no event" is read with it
        stderr_note(
            t(
                "You read the events of {country}'s agencies ({agencies}) and the system's; "
                "an administrator reads all.",
                country=principal.country,
                agencies=", ".join(sorted(scope)),
            )
        )
    scoped = scope is not None  # (what one country's auditor lists: `listed_event`)
    if app.as_json:  # written as read: `--limit` may ask for every event of a large store
        _echo_events_json(
            (
                listed_event(e, scope)
                for e in store.audit.stream_events(limit=limit, where=where, newest=True)
            ),
            action,
        )
        return
    events = list(store.audit.events(limit=limit, where=where, newest=True))
    if not events and action is not None and action not in AUDIT_ACTIONS:
        raise _unknown_action(action)  # a typo ("reads") is not "nothing happened"
    data = [listed_event(e, scope) for e in events]
    chains = {"writes": t("writes"), "reads": t("reads")}
    if not events:
        principals = app.principals().values()
        unknown_actor = actor if actor and all(p.name != actor for p in principals) else None
        unknown_agency = (
            agency
            if agency and all(p.agency.upper() != agency.upper() for p in principals)
            else None
        )
        said = _nothing_matches(unknown_actor, unknown_agency, scope is not None)
        app.emit(data, lambda: click.echo(said))
        return
    lang = current_lang()
    shown: dict[str, Callable[[dict[str, Any]], object]] = {
        "chain": lambda e: chains.get(e["chain"], e["chain"]),
        "seq": lambda e: e["seq"],
        "at": lambda e: _shown_time(e["at"]),
        "actor": lambda e: e["actor"],
        "action": lambda e: _Actions.one(e["action"], lang),
        "target": lambda e: e["target"][:40] or "-",
        "reason": lambda e: shown_reason(e["actor"], e["reason"], lang),
    }
    columns = [c for c in shown if c != "seq" or not scoped]  # (`listed_event`)
    app.emit(
        data,
        lambda: table(
            [[shown[c](e) for c in columns] for e in data],
            headers(*columns),
        ),
    )


def _nothing_matches(actor: str | None, agency: str | None, scoped: bool) -> str:
    """What `audit log` says when no event matches: a `--actor` or `--agency` that no
    principal of the principals file has is said to (a typo, or principals since removed),
    and to an auditor (`scoped`) that such events are an admin's to read (docs/policy.md,
    "Audit"). No count of them: their agencies' countries are not known, so how many there
    are may be another country's to know."""
    if actor is not None:
        line = t(
            "No audit event matches: no principal named {actor} in the principals file.",
            actor=actor,
        )
    elif agency is not None:
        line = t(
            "No audit event matches: no principal of agency {agency} in the principals file.",
            agency=agency.upper(),
        )
    else:
        return t("No audit event matches.")
    if scoped:
        return (
            line
            + " "
            + t(
                "Check the name. Events of an agency no principal in the file belongs to any "
                "more (its principals removed from it) are not shown to auditors, who read "
                "the agencies of the file's principals; an admin reads them."
            )
        )
    return line + " " + t("Check the name; events of a principal since removed keep its name.")


def _echo_events_json(events: Iterator[dict[str, Any]], action: str | None) -> None:
    """`events` as the JSON list `AppContext.emit` prints of them (the same text, byte for
    byte: `json.dumps(..., indent=2)` of the list), each written as it is read, so that
    only one is held; none under an unknown `--action` is refused first, as without --json."""
    from ironriver.store import AUDIT_ACTIONS

    first = next(events, None)
    if first is None:
        if action is not None and action not in AUDIT_ACTIONS:
            raise _unknown_action(action)  # a typo ("reads") is not "nothing happened"
        click.echo("[]")
        return
    click.echo("[", nl=False)
    for n, event in enumerate(chain([first], events)):
        text = json.dumps(event, ensure_ascii=False, indent=2, default=str)
        click.echo(("," if n else "") + "\n  " + text.replace("\n", "\n  "), nl=False)
    click.echo("\n]")


# The reasons ironriver itself records, as its actor "ironriver" (`store/opening.py`: a new
# store, an upgrade, migration 0008's withdrawn copies), shown in the reader's language;
# `--json` keeps the stored English, which the event's hash covers. A principal's reason is
# shown as typed, whatever it says.
_SYSTEM_ACTOR = "ironriver"  # (`store.opening.SYSTEM_ACTOR`: not imported, it loads the store)
_UPGRADE = re.compile(r"upgrade from (?P<revision>\S+)")
_MENTIONS_0008 = "migration 0008: the copies of names retracted before retraction withdrew them"


def shown_reason(actor: str, reason: str, lang: Lang) -> str:
    """An audit event's reason as the table shows it: one ironriver wrote in `lang`, any
    other as it was given."""
    if actor != _SYSTEM_ACTOR:
        return reason
    if reason == "new store":
        return pt("audit reason", "new store", lang)
    if reason == _MENTIONS_0008:
        return pt(
            "audit reason",
            "migration 0008: the copies of names retracted before retraction withdrew them",
            lang,
        )
    upgrade = _UPGRADE.fullmatch(reason)
    if upgrade is not None:
        return pt("audit reason", "upgrade from {revision}", lang, revision=upgrade["revision"])
    return reason


def action_labels(lang: Lang) -> dict[str, str]:
    """Each audit action's meaning in `lang`, by its name (one per `AUDIT_ACTIONS`: a test
    keeps them the same). The name is the API (`--json`, the table and the filter keep it);
    a Spanish reader may type the meaning."""
    return {  # the English meaning is the name, read as words
        "read": pt("audit action", "read", lang),  # View.entity: one entity
        "read-entities": pt("audit action", "read entities", lang),
        "read-statements": pt("audit action", "read statements", lang),
        "search": pt("audit action", "search", lang),
        "search-identifier": pt("audit action", "search identifier", lang),
        "neighbours": pt("audit action", "neighbours", lang),
        "read-table": pt("audit action", "read table", lang),
        "export": pt("audit action", "export", lang),
        "ledger": pt("audit action", "ledger", lang),
        "refused": pt("audit action", "refused", lang),  # a read without a reason, an ingest (F3)
        "ingest": pt("audit action", "ingest", lang),
        # a dry run of an ingest that read the store (its stored keys, statements, earlier load)
        "ingest-check": pt("audit action", "ingest check", lang),
        "retract": pt("audit action", "retract", lang),
        "read-chain-start": pt("audit action", "read chain start", lang),
        "read-chain-checkpoint": pt("audit action", "read chain checkpoint", lang),
        # the labels of datasets no ingest recorded, as an upgrade found them (migration 0015)
        "labels-baseline": pt("audit action", "labels baseline", lang),
    }


def action_named(text: str) -> str:
    """The audit action `text` names: a name as it is (an older store's actions too), or
    the name whose meaning it is, in English or Spanish ("buscar": search), ignoring case,
    accents and hyphens."""
    from ironriver.store import AUDIT_ACTIONS

    if text in AUDIT_ACTIONS:
        return text
    key = _action_key(text)
    for lang in LANGS:
        for action, label in action_labels(lang).items():
            if _action_key(label) == key or _action_key(action) == key:
                return action
    return text


def _action_key(text: str) -> str:
    return folded(text.replace("-", " "))


@dataclass(frozen=True)
class _Actions(Msg):
    """Audit actions as a refusal lists them: each name with its meaning in the reader's
    language where that reads otherwise ("search (buscar)")."""

    names: tuple[str, ...] = ()

    def render(self, lang: Lang | None = None) -> str:
        return ", ".join(self.one(name, lang or current_lang()) for name in self.names)

    @staticmethod
    def one(name: str, lang: Lang) -> str:
        """`name`, with its meaning in `lang` where that reads otherwise."""
        label = action_labels(lang).get(name, name)
        return name if _action_key(label) == _action_key(name) else f"{name} ({label})"


def _shown_time(at: str) -> str:
    """An event's time as a table shows it: to the second, in UTC, said ("2026-11-30
    11:52:51 UTC"); `--json` keeps the stored ISO 8601 text with its microseconds."""
    try:
        when = datetime.fromisoformat(at)
    except ValueError:
        return at
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%d %H:%M:%S") + " UTC"


def _unknown_action(action: str) -> ConfigError:
    """`action`, which no event holds and ironriver never records, as an error naming the
    nearest actions and all of them, each with its meaning."""
    from ironriver.store import AUDIT_ACTIONS

    spellings = [
        (spelling, a)
        for a in sorted(AUDIT_ACTIONS)
        for spelling in {a, *(action_labels(lang)[a] for lang in LANGS)}
    ]
    close = near(action, spellings)
    listing = msg(
        "The actions are: {actions}.", actions=_Actions("", names=tuple(sorted(AUDIT_ACTIONS)))
    )
    return ConfigError(
        msg("{action!r} is not an audit action.", action=action),
        hint=joined(
            [msg("Did you mean {names}?", names=_Actions("", names=tuple(close))), listing], " "
        )
        if close
        else listing,
    )


def _iso_time(value: str | None, option: str) -> str | None:
    """A date or time typed for `option` (ISO, or 30/11/2026: `cli_dates`) as the audit
    log's UTC timestamps compare with it."""
    return None if value is None else typed_time(value, option).isoformat()


@audit.command("restart-reads")
@common_options
@click.option("--reason", required=True, help="Why the read-audit file is lost (audited).")
@click.pass_context
def audit_restart_reads(ctx: click.Context, reason: str) -> None:
    """Record that a SQLite store's read-audit file is lost, and start a new one (needs the
    admin role). Restore the file from a backup instead if you can: its events are gone, and
    `audit verify` reports the loss (who, when, how many anchored reads) from then on.

    \b
    Example: ironriver audit restart-reads --as loader --reason "disk lost"
    """
    from ironriver.policy import require_role

    app = app_context(ctx)
    principal = app.principal()
    require_role(principal, "admin", msg("restart the read-audit log"))
    store = app.open_store()
    event = store.audit.restart_reads(principal.name, reason, principal.agency)
    data = {"event": event.__dict__, "read_audit_file": str(store.audit.read_file)}
    app.emit(
        data,
        lambda: click.echo(
            t(
                "New read-audit file {path}; its loss is writes-chain event {seq}.",
                path=store.audit.read_file,
                seq=event.seq,
            )
        ),
    )


@audit.command("checkpoint")
@common_options
@click.option("--reason", default="", help="Why now (recorded; e.g. 'nightly').")
@click.pass_context
def audit_checkpoint(ctx: click.Context, reason: str) -> None:
    """Anchor the reads chain in the writes chain now, so that `audit verify` detects the
    removal of any read up to here (needs the auditor role). Ingests and retractions anchor
    too; run this from cron (e.g. nightly) to cover the hours between them. On SQLite it
    waits for a running ingest to commit.

    \b
    Example: ironriver audit checkpoint --as auditor --reason nightly
    """
    from ironriver.policy import require_role

    app = app_context(ctx)
    principal = app.principal()
    require_role(principal, "auditor", msg("checkpoint the audit log"))
    event = app.open_store().audit.checkpoint(principal.name, reason, principal.agency)
    app.emit(
        event.__dict__,
        lambda: click.echo(
            t(
                "Reads chain anchored at read event {read} by writes-chain event {seq}.",
                read=(event.read_anchor or {}).get("seq"),
                seq=event.seq,
            )
        ),
    )


@audit.command("verify-data")
@common_options
@click.pass_context
def audit_verify_data(ctx: click.Context) -> None:
    """Check the stored statements themselves: that each one's id still equals the hash of
    its dataset, entity, property and value (an edit in the database changes what it holds,
    not its id), and that the store holds as many as its ingest events say they added (fewer:
    deleted; more: written around ironriver), that each dataset and its statements are under
    the label its ingests declared and that the retracted ones are those the retractions
    recorded (who may see what, edited by hand), and that each ledger part still holds the
    bytes its ingest recorded (their SHA-256). Reads every statement and every part, shows no
    value, writes nothing; `audit verify` checks the audit log itself.

    \b
    Example: ironriver audit verify-data
    """
    from ironriver.store.data_verify import verify_data

    app = app_context(ctx)
    result = verify_data(app.open_store(migrate=False))
    parts = result.ledger
    data = {
        "ok": result.ok,
        "statements_stored": result.statements,
        "statements_recorded": result.recorded,
        "labels_unrecorded": list(result.labels_unrecorded),
        "problems": list(result.problems),
        "ledger_parts_hashed": parts.hashed,
        "ledger_parts_unhashed": parts.unhashed,
    }

    def human() -> None:
        compared = (
            t("  As many as the ingest events record adding.")
            if result.recorded is not None
            else t(
                "  Not compared with the ingests' counts: an ingest event of an older "
                "version records none."
            )
        )
        _echo_check(
            result.statement_problems,
            lambda n: nt(
                "STATEMENTS ALTERED ({n} problem):", "STATEMENTS ALTERED ({n} problems):", n
            ),
            [
                nt(
                    "Statements intact: {n:,} statement, each matching its id.",
                    "Statements intact: {n:,} statements, each matching its id.",
                    result.statements,
                ),
                compared,
                t(
                    "  Each under the label its ingests declared, and retracted only as the "
                    "retractions recorded."
                ),
            ],
        )
        if result.labels_unrecorded:  # (findings or not: what was not held to the record)
            click.echo(
                nt(
                    "  {n} dataset's label is not in the audit log (ingested by an older "
                    "version): {names}; its statements were checked against its dataset row "
                    "only, until the store's upgrade to this version (by the first other "
                    "command to open it: audit verify and verify-data write nothing) or its "
                    "next ingest records it, as it is then.",
                    "  {n} datasets' labels are not in the audit log (ingested by an older "
                    "version): {names}; their statements were checked against their dataset "
                    "rows only, until the store's upgrade to this version (by the first other "
                    "command to open it: audit verify and verify-data write nothing) or their "
                    "next ingests record them, as they are then.",
                    len(result.labels_unrecorded),
                    names=", ".join(result.labels_unrecorded),
                )
            )
        _echo_check(
            parts.problems,
            lambda n: nt(
                "LEDGER PART ALTERED ({n} problem):", "LEDGER PARTS ALTERED ({n} problems):", n
            ),
            [
                nt(
                    "Ledger parts intact: {n:,} part holds the bytes its ingest recorded.",
                    "Ledger parts intact: {n:,} parts hold the bytes their ingests recorded.",
                    parts.hashed,
                )
            ]
            if parts.hashed
            else [],
        )
        if parts.unhashed:
            click.echo(
                nt(
                    "  {n} ledger part was recorded by an older version, with no hash of its "
                    "bytes: only its rows are checked, by `ironriver audit verify`.",
                    "  {n} ledger parts were recorded by an older version, with no hash of "
                    "their bytes: only their rows are checked, by `ironriver audit verify`.",
                    parts.unhashed,
                )
            )

    app.emit(data, human)
    if not data["ok"]:
        ctx.exit(5)


def _echo_check(problems: Sequence[Msg], title: Callable[[int], str], intact: list[str]) -> None:
    """One check's verdict, for people: when it found `problems`, `title(n)` ("AUDIT LOG
    TAMPERED (2 problems):") then one line each, in the reader's language; else the
    `intact` lines (what was checked and found whole)."""
    if not problems:
        for line in intact:
            click.echo(line)
        return
    click.echo(title(len(problems)))
    for p in problems:
        click.echo(f"  - {render(p)}")
