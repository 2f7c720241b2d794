"""`ironriver ingest` and `ironriver mapping`: thin commands over `ingest_mapping` /
`ingest_entities` and the mapping draft.

The top-level CLI loads them on first use (`LAZY_COMMANDS` in `cli_lazy.py`); they use the
shared option bundle (`--db`, `--as`, `--principals`, `--json`) and record the acting
principal as actor. Their help texts are English here and translated by the top-level CLI
(`cli_i18n.localize_help`, from `locale/es/LC_MESSAGES/ingest.po`); what they print goes
through `t(...)`. The module lives outside the `ingest` package and imports the library in
the commands' bodies, so that their `--help` loads neither DuckDB nor the store
(docs/performance.md, "CLI start-up"); the markings and sample size the help states are light
copies (`MARKINGS`, `SAMPLE_ROWS`), which a test holds equal to the library's.

`--entities -` (standard input), or a path that is no regular file (`/dev/stdin`, a named
pipe), is first copied to a scratch file (`_entities_file`): the library reads its file more
than once (a digest, the encoding check, the statements), where a pipe gives its bytes once.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ironriver.cli_support import AppContext, app_context, common_options, excel_option
from ironriver.errors import ConfigError, IronriverError, ResourceError, os_problem, unsynced_hint
from ironriver.i18n import Msg, joined, msg, nmsg, nt, render, t
from ironriver.logs import get_logger
from ironriver.progress import Progress, no_progress, stderr_note, stderr_progress
from ironriver.scratch import FolderNotSynced, replacing

if TYPE_CHECKING:
    from ironriver.ingest import IngestResult
    from ironriver.policy import Principal
    from ironriver.store import Store

log = get_logger(__name__)

#: `policy.markings.Marking`'s values, in its order (`mapping draft --marking`'s choices)
MARKINGS = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")
#: `ingest.draft.SAMPLE_ROWS` (`mapping draft --rows`' default)
SAMPLE_ROWS = 1000


_DASH = Path("-")  # (click's `-`, standard input)


class _InputPath(click.Path):
    """An input file's path, where `-` is standard input: and a file named `-`, given as
    `./-`, that file (its path made absolute: `Path("./-")` equals `Path("-")`)."""

    def __init__(self) -> None:
        super().__init__(exists=True, dir_okay=False, allow_dash=True, path_type=Path)

    def coerce_path_result(self, value: str | os.PathLike[str]) -> Any:
        out = super().coerce_path_result(value)
        if out == _DASH and os.fsdecode(value) != "-":
            return Path(value).absolute()
        return out


@click.command("ingest")
@common_options
@click.argument(
    "mappings",
    metavar="[MAPPING]...",
    nargs=-1,
    # (`-` let through, to be refused in words: a mapping's paths start at its folder)
    type=_InputPath(),
)
@click.option("--skip-invalid", is_flag=True, help="Ingest the valid rows; report the others.")
@click.option(
    "--allow-bad-dates",
    is_flag=True,
    help="With --skip-invalid: skip the records of a date column even when its format "
    "rejects a large share of its values (refused by default: the layout is likely wrong).",
)
@click.option(
    "--report",
    "report",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Error report CSV (default: <input>.errors.csv; for standard input, "
    "stdin.errors.csv in the current folder).",
)
@excel_option
@click.option("--reason", default="", help="Why this data is loaded (audited).")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Check the mapping, files and every record, and report; write nothing.",
)
@click.option(
    "--replace",
    is_flag=True,
    help="A corrected re-send: retract what an earlier load of each file (of the same name, "
    "into the same dataset) made and this load no longer makes, in the same transaction. "
    "With --dry-run: say what would be retracted.",
)
@click.option(
    "--entities",
    type=_InputPath(),
    default=None,
    help="Ingest an FtM entity JSON Lines file instead of a mapping (- reads standard input).",
)
@click.option("--dataset", default=None, help="With --entities: the dataset name.")
@click.option("--title", default="", help="With --entities: the dataset title.")
@click.option("--agency", default=None, help="With --entities: owner agency (e.g. FGR).")
@click.option("--country", default=None, help="With --entities: owner country (US or MX).")
@click.option(
    "--marking", default="AMBER", show_default=True, help="With --entities: TLP 2.0 marking."
)
@click.option("--releasable-to", default="", help="With --entities: e.g. US,MX.")
@click.option("--legal-basis", default="", help="With --entities: the legal basis.")
@click.option(
    "--relabel",
    is_flag=True,
    help="With --entities: load entities that come from the owner agency's other stored "
    "datasets (their lines' \"datasets\") under this dataset's label though it differs from "
    "theirs (refused by default: an export re-loaded could release what was held back).",
)
@click.pass_context
def ingest_command(
    ctx: click.Context,
    mappings: tuple[Path, ...],
    skip_invalid: bool,
    allow_bad_dates: bool,
    report: Path | None,
    reason: str,
    dry_run: bool,
    replace: bool,
    entities: Path | None,
    dataset: str | None,
    title: str,
    agency: str | None,
    country: str | None,
    marking: str,
    releasable_to: str,
    legal_basis: str,
    relabel: bool,
) -> None:
    """Ingest agency files through a mapping (CSV / JSON Lines / spreadsheets → statements or
    a ledger), or FtM entity JSON Lines. Each mapping file is written whole or not at all, and not
    unless all its input is valid (see --skip-invalid); rejected rows go to an error report.

    \b
    Examples:
      ironriver ingest examples/ofac_sdn/mapping.yaml --as loader --dry-run  # check only: counts and error report
      ironriver ingest examples/ofac_sdn/mapping.yaml --as loader --reason "sanctions screening"
      ironriver ingest ironriver-demo/world/agencies/atf/mapping.yaml --as loader --replace \\
          --reason "January re-sent, corrected"
      ironriver ingest ironriver-demo/world/agencies/*/mapping.yaml --as loader  # each its own transaction
      ironriver ingest --entities fgr.ftm.jsonl --dataset mx_fgr_export --as mx-fgr-analista \\
          --agency FGR --country MX --marking AMBER --releasable-to MX,US
    """
    from ironriver.policy.rights import agency_countries

    app = app_context(ctx)
    if _DASH in mappings:
        raise ConfigError(
            msg(
                "A MAPPING is read from a file, not from standard input (-): the files its "
                "queries name are found from the mapping's folder."
            ),
            hint=msg(
                "Save the mapping to a file first, e.g. {example}, and give its path.",
                example="`... > mapping.yaml`",
            ),
        )
    # a dry run without --as checks the files only; with it, also that it may load them
    # (a dry run of --replace reads the store as the loader would)
    principal = None if dry_run and not replace and not app.settings.principal else app.principal()
    # the principals file's agencies, each with its countries (for notes on labels no one
    # here would read, and where an admin may place an agency's dataset)
    agencies = None if principal is None else agency_countries(app.principals().values())
    if bool(mappings) == (entities is not None):
        raise ConfigError(
            msg("Give either a MAPPING file or --entities FILE."),
            hint=msg("See {command} for both forms.", command="`ironriver ingest --help`"),
        )
    if allow_bad_dates and not skip_invalid:
        raise ConfigError(
            msg("--allow-bad-dates goes with --skip-invalid."),
            hint=msg("Pass both to ingest the records whose dates read, or neither."),
        )
    if replace and entities is not None:
        raise ConfigError(
            msg("--replace goes with a MAPPING, not with --entities."),
            hint=msg("Retract an entity's statements with `ironriver retract`."),
        )
    if relabel and entities is None:
        raise ConfigError(
            msg("--relabel goes with --entities, not with a MAPPING."),
            hint=msg("A mapping's records come from agency files, not from an export."),
        )
    if len(mappings) > 1 and report is not None:
        raise ConfigError(
            msg("--report names one error report: give it with one MAPPING."),
            hint=msg("Leave --report out: each mapping's report goes beside it."),
        )
    if mappings:
        _ingest_each(
            app,
            principal,
            agencies,
            mappings,
            dry_run,
            (skip_invalid, allow_bad_dates),
            report,
            reason,
            replace,
        )
        return
    assert entities is not None  # the --entities form
    from ironriver.ingest import check_entities, ingest_entities
    from ironriver.policy.markings import (
        Marking,
        check_lengths,
        check_releasable,
        parse_country,
        parse_releasable_input,
    )
    from ironriver.policy.rights import authorize_ingest
    from ironriver.store import DatasetInfo, absent_paths

    if not (dataset and agency and country):
        raise ConfigError(
            msg("--entities needs --dataset, --agency and --country."),
            hint=msg("e.g. {example}", example="--dataset mx_fgr_export --agency FGR --country MX"),
        )
    check_lengths(dataset=dataset, agency=agency.strip())
    info = DatasetInfo(
        name=dataset,
        agency=agency.upper(),
        country=parse_country(country),
        marking=Marking.parse(marking),
        releasable_to=parse_releasable_input(releasable_to),
        legal_basis=legal_basis,
        title=title,
    )
    check_releasable(info.marking, info.releasable_to)
    if entities == _DASH and sys.stdin is not None and sys.stdin.isatty():
        raise ConfigError(
            msg("--entities - reads the entities from standard input, which is a terminal here."),
            hint=msg(
                "Pipe them in, e.g. {example}, or give the file's path.",
                example="`ftm map mapping.yml | ironriver ingest --entities - ...`",
            ),
        )
    if report is None and _unwritable_folder(entities):  # (not beside /dev/stdin)
        report = Path(f"{_input_name(entities)}.errors.csv")
    if principal is not None:
        # refused before standard input is read or the store opened (a new --db is not made
        # for nothing); the library checks again
        authorize_ingest(principal, info.name, info.agency, info.country, agencies)
    if dry_run:
        # a dry run opens no store: a pipe's copy goes where its spill folders go ($TMPDIR)
        with _entities_file(entities, Path(tempfile.gettempdir())) as path:
            result = check_entities(
                path,
                info,
                skip_invalid=skip_invalid,
                report_path=report,
                principal=principal,
                memory_mb=app.settings.ingest_memory_mb,
                agencies=agencies,
                homes=agencies,
            )
    else:
        assert principal is not None  # (only a dry run goes without one)
        absent = absent_paths(app.settings)  # what the open may make: a refusal removes it
        store = app.open_store(create=True, announce=True)
        progress = stderr_progress()
        try:
            # a pipe's copy goes beside the store's data, as `ingest_entities`' spill folders
            root = store.ledger_dir.resolve().parent
            with _entities_file(entities, root, progress) as path:
                result = ingest_entities(
                    store,
                    path,
                    info,
                    actor=principal.name,
                    reason=reason,
                    skip_invalid=skip_invalid,
                    report_path=report,
                    principal=principal,
                    memory_mb=app.settings.ingest_memory_mb,
                    progress=progress,
                    agencies=agencies,
                    homes=agencies,
                    relabel=relabel,
                )
        except (IronriverError, KeyboardInterrupt):
            _remove_if_unused(store, absent)
            raise
    app.emit([_as_dict(result)], lambda: _human(result))


_COPY_BLOCK = 1 << 20  # bytes copied at a time from a pipe


def _is_stream(path: Path) -> bool:
    """Whether `path` (--entities) is standard input (`-`), or no regular file: a pipe
    (`/dev/stdin` fed by one, a named pipe), which gives its bytes once."""
    return path == _DASH or not path.is_file()


def _input_name(path: Path) -> str:
    """The name the input is known by in messages, the error report and the audit event:
    stdin for `-`, else its file name (`/dev/stdin`: stdin too)."""
    return "stdin" if path == _DASH else path.name


def _unwritable_folder(path: Path) -> bool:
    """Whether the default error report beside `path` (`<input>.errors.csv`) cannot be: `-`
    or a copied pipe (its copy's folder is removed), a device (`/dev/stdin` given a file)."""
    return _is_stream(path) or path.absolute().parts[1:2] in (("dev",), ("proc",))


@contextmanager
def _entities_file(path: Path, root: Path, progress: Progress = no_progress) -> Iterator[Path]:
    """`path` itself when it is a regular file; for standard input (`-`) or a pipe, a copy
    of its bytes named `_input_name(path)` in a new scratch folder in `root` (the spill
    folders' name, so that `scratch.sweep` removes it if the process is killed), removed
    when the block ends, also on an error or Ctrl-C. The copy is checked to be UTF-8 text
    here, where a hint can fix the pipe (`iconv` or `gunzip` in it): the library's own
    check would name the scratch file, which the user never sees."""
    if not _is_stream(path):
        yield path
        return
    from ironriver.ingest.encoding import check_encoding
    from ironriver.ingest.source import SPILL_PREFIX
    from ironriver.scratch import owner_tag, sweep

    root.mkdir(parents=True, exist_ok=True)
    sweep(root)  # (copies and spill folders of killed ingests)
    folder = root / f"{SPILL_PREFIX}{owner_tag()}-{uuid.uuid4().hex}"
    copy = folder / _input_name(path)
    progress(
        msg("copying {input} to {folder}, to read it from there", input=copy.name, folder=folder)
    )
    try:
        folder.mkdir()
        # (`-` is standard input, which `open_file` leaves open)
        with click.open_file(str(path), "rb") as stream, copy.open("wb") as out:
            shutil.copyfileobj(stream, out, _COPY_BLOCK)
        check_encoding(copy, "utf-8", settable=False, piped=True)
        yield copy
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _ingest_each(
    app: AppContext,
    principal: Principal | None,
    agencies: dict[str, frozenset[str]] | None,
    mappings: tuple[Path, ...],
    dry_run: bool,
    skips: tuple[bool, bool],
    report: Path | None,
    reason: str,
    replace: bool = False,
) -> None:
    """Check or ingest each mapping in turn, each in its own transaction; stop at the first
    that fails, saying which were ingested before it (running the command again is safe:
    what is in the store is not added twice). --json prints a list of the results, one per
    mapping, however many were given (a glob may match one file or several). `principal`:
    the acting principal (None: a dry run without --as, which checks the files only);
    `agencies`: the principals file's (None with no principal); `skips`: --skip-invalid
    and --allow-bad-dates."""
    from ironriver.ingest import authorized_mappings, check_mapping, ingest_mapping
    from ironriver.store import absent_paths

    skip_invalid, allow_bad_dates = skips
    # a dry run opens no store, but one of --replace reads what it would retract there
    store = None
    first = None  # the first mapping's datasets, read and checked here: not read again
    absent: tuple[Path, ...] = ()  # what opening a new store made: a refusal removes it
    if not dry_run or replace:
        # the first mapping read and its rights checked before the store is opened: what
        # they refuse (a wrong mapping, a dataset the principal may not load) makes no store
        # at a new --db (a later mapping's refusal comes after the earlier ones were written)
        first = authorized_mappings(mappings[0], principal, agencies, replace)
        absent = () if dry_run else absent_paths(app.settings)
        store = app.open_store(create=not dry_run, announce=True)
    results: list[IngestResult] = []
    for i, mapping in enumerate(mappings):
        authorized = first if i == 0 else None
        try:
            if store is None:  # a dry run needs no store, and opens none
                result = check_mapping(
                    mapping,
                    skip_invalid=skip_invalid,
                    allow_bad_dates=allow_bad_dates,
                    report_path=report,
                    principal=principal,
                    memory_mb=app.settings.ingest_memory_mb,
                    agencies=agencies,
                    homes=agencies,
                    authorized=authorized,
                )
            else:
                assert principal is not None  # (only a dry run goes without one)
                result = ingest_mapping(
                    store,
                    mapping,
                    actor=principal.name,
                    reason=reason,
                    skip_invalid=skip_invalid,
                    allow_bad_dates=allow_bad_dates,
                    report_path=report,
                    principal=principal,
                    progress=stderr_progress(),
                    memory_mb=app.settings.ingest_memory_mb,
                    agencies=agencies,
                    homes=agencies,
                    replace=replace,
                    dry_run=dry_run,
                    authorized=authorized,
                )
        except (IronriverError, KeyboardInterrupt):
            if results and store is not None and not dry_run:
                done = ", ".join(str(m) for m in mappings[: len(results)])
                stderr_note(
                    t(
                        "Ingested before {mapping} failed: {done}. Running the command again "
                        "is safe: what is in the store is not added twice.",
                        mapping=mapping,
                        done=done,
                    )
                )
            elif not results and store is not None:  # (a new store holding nothing: gone)
                _remove_if_unused(store, absent)
            raise
        results.append(result)
        if not app.as_json:
            _human(result)
    if app.as_json:
        data = [_as_dict(r) for r in results]
        app.emit(data, lambda: None)


def _remove_if_unused(store: Store, absent: tuple[Path, ...]) -> None:
    """After a refused ingest: remove the store its open made at a new path if no other
    command has it open and nothing was stored in it (`remove_unused`), saying what became
    of it (it said it made one). A failure here is logged, never raised: the refusal being
    handled is what the user must read."""
    from ironriver.store import Removal, remove_unused

    try:
        removal = remove_unused(store, absent)
    except Exception as exc:  # (e.g. the disk that refused the ingest refuses the removal)
        log.warning("ingest.new_store_kept", error=str(exc), paths=[str(p) for p in absent])
        return
    if removal is Removal.REMOVED:
        note = t("Removed the new store at {path}: nothing was ingested into it.", path=absent[0])
    elif removal is Removal.IN_USE:
        note = t(
            "Kept the new store at {path}: another command has it open (it was not removed "
            "from under it). Remove it yourself once that command is done if it holds nothing "
            "you need.",
            path=absent[0],
        )
    elif removal is Removal.USED:
        note = t(
            "Kept the new store at {path}: another command stored data in it, or read from "
            "it, meanwhile (its audit events are kept).",
            path=absent[0],
        )
    else:  # (not made by this command: it said nothing of it)
        return
    stderr_note(note)


def _as_dict(result: IngestResult) -> dict[str, object]:
    """`result` as `--json` prints it (docs/cli.md, "JSON output"): its counts of statements
    and ledger rows produced are `*_produced` (`statements` is a list of statements, as
    `entity --json` prints them)."""
    new_unknown = result.dry_run  # a dry run opens no store: what is new to it is not known
    return {
        "datasets": list(result.datasets),
        "records": result.records,
        "rejected": result.rejected,
        "statements_produced": result.statements,
        "statements_new": None if new_unknown else result.statements_new,
        "ledger_rows_produced": result.ledger_rows,
        "ledger_rows_new": None if new_unknown else result.ledger_rows_new,
        "report_path": str(result.report_path) if result.report_path else None,
        "dry_run": result.dry_run,
        "notes": [render(note, "en") for note in result.notes],  # data: English
        "replaced": [
            {
                "dataset": r.dataset,
                "file": r.file,
                "sha256_old": r.sha256_old,
                "sha256_new": r.sha256_new,
                "statements_retracted": len(r.statements),
                "statements_kept": len(r.kept),
                "ledger_rows_retracted": r.ledger_rows,
            }
            for r in result.replaced
        ],
    }


def _records(n: int) -> Msg:
    return nmsg("{n:,} record", "{n:,} records", n)


def _human(result: IngestResult) -> None:
    for note in result.notes:  # before the summary, which a note qualifies
        stderr_note(t("Note: {note}", note=note))
    for r in result.replaced:  # what --replace retracted (or, in a dry run, would)
        statements = nmsg("{n:,} statement", "{n:,} statements", len(r.statements))
        ledger_rows = nmsg("{n:,} ledger row", "{n:,} ledger rows", r.ledger_rows)
        if result.dry_run:
            line = t(
                "{dataset}: of the earlier load of {file}, {statements} and {ledger_rows} "
                "would be retracted.",
                dataset=r.dataset,
                file=r.file,
                statements=statements,
                ledger_rows=ledger_rows,
            )
        else:
            line = t(
                "{dataset}: of the earlier load of {file}, {statements} and {ledger_rows} "
                "were retracted.",
                dataset=r.dataset,
                file=r.file,
                statements=statements,
                ledger_rows=ledger_rows,
            )
        click.echo(line)
        if r.kept:  # no longer in this file, but another file of the dataset states them
            n = len(r.kept)
            kept = (
                nmsg(
                    "{dataset}: {n:,} statement of the earlier load of {file} would stay: "
                    "another file states it too.",
                    "{dataset}: {n:,} statements of the earlier load of {file} would stay: "
                    "other files state them too.",
                    n,
                    dataset=r.dataset,
                    file=r.file,
                )
                if result.dry_run
                else nmsg(
                    "{dataset}: {n:,} statement of the earlier load of {file} stays: another "
                    "file states it too.",
                    "{dataset}: {n:,} statements of the earlier load of {file} stay: other "
                    "files state them too.",
                    n,
                    dataset=r.dataset,
                    file=r.file,
                )
            )
            click.echo(render(kept))
    datasets = ", ".join(result.datasets)
    if result.dry_run:
        click.echo(
            t(
                "Checked {datasets}: {records} would give {statements} and {ledger_rows} "
                "(before de-duplication against the store). Nothing was written.",
                datasets=datasets,
                records=_records(result.kept),
                statements=nmsg("{n:,} statement", "{n:,} statements", result.statements),
                ledger_rows=nmsg("{n:,} ledger row", "{n:,} ledger rows", result.ledger_rows),
            )
        )
        if result.rejected:
            stderr_note(
                nt(
                    "{rejected} invalid record would be skipped; see {report}",
                    "{rejected} invalid records would be skipped; see {report}",
                    result.rejected,
                    rejected=result.rejected,
                    report=result.report_path,
                )
            )
        return
    # what the file gave: statements, ledger rows or both (a part it did not give is left out)
    parts = []
    if result.statements or not result.ledger_rows:
        parts.append(
            nmsg(
                "{new:,} new statement ({produced:,} produced)",
                "{new:,} new statements ({produced:,} produced)",
                result.statements_new,
                new=result.statements_new,
                produced=result.statements,
            )
        )
    if result.ledger_rows:
        parts.append(
            nmsg(
                "{new:,} new ledger row ({produced:,} produced)",
                "{new:,} new ledger rows ({produced:,} produced)",
                result.ledger_rows_new,
                new=result.ledger_rows_new,
                produced=result.ledger_rows,
            )
        )
    click.echo(
        t(
            "Ingested {datasets}: {records}, {parts}.",
            datasets=datasets,
            records=_records(result.kept),
            parts=joined(parts, ", "),
        )
    )
    if result.rejected:
        stderr_note(
            nt(
                "Skipped {rejected} invalid record; see {report}",
                "Skipped {rejected} invalid records; see {report}",
                result.rejected,
                rejected=result.rejected,
                report=result.report_path,
            )
        )


@click.group("mapping")
def mapping_group() -> None:
    """Mapping files: draft one for a new agency file.

    \b
    Example:
      ironriver mapping draft ironriver-demo/world/agencies/fgr/aseguramientos_armas.csv \\
          --agency FGR --country MX -o fgr.yaml
    """


@mapping_group.command("draft")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dataset", default="", help="Dataset name (default: country_agency_file).")
@click.option("--agency", default="", help="Owner agency (e.g. FGR); left empty if not given.")
@click.option("--country", default="", help="Owner country (US or MX); also the date order.")
@click.option(
    "--marking",
    type=click.Choice(list(MARKINGS), case_sensitive=False),
    default="AMBER",
    show_default=True,
    help="TLP 2.0 marking.",
)
@click.option("--releasable-to", default="", help="Countries or agencies, e.g. US,MX.")
@click.option("--sheet", default=None, help="A spreadsheet's sheet: name or position (1 = first).")
@click.option(
    "--header-row",
    type=click.IntRange(min=1),
    default=None,
    help="The row of the column names, under a title (default: guessed).",
)
@click.option(
    "--rows",
    type=click.IntRange(min=1),
    default=SAMPLE_ROWS,
    show_default=True,
    help="How many records to sample.",
)
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the mapping to this new file (default: standard output).",
)
def draft_command(
    file: Path,
    dataset: str,
    agency: str,
    country: str,
    marking: str,
    releasable_to: str,
    sheet: str | None,
    header_row: int | None,
    rows: int,
    out: Path | None,
) -> None:
    """Draft a mapping for a new agency file (CSV, JSON Lines or a spreadsheet) from a sample
    of its records: how to read it, a typed ledger of every column (dates with their layout)
    and the entities its column names suggest. Lines marked CHECK are guesses to confirm.

    \b
    Examples:
      ironriver mapping draft examples/bts_border_crossings/all_ports_2018.csv --agency BTS \\
          --country US --releasable-to US,MX
      ironriver mapping draft ironriver-demo/world/agencies/fgr/aseguramientos_armas.csv \\
          --agency FGR --country MX -o fgr.yaml
    """
    if out is not None and out.exists():
        raise ConfigError(
            msg("{path} already exists: a draft never replaces a file.", path=out),
            hint=msg("Choose another --out, or remove that file first."),
        )
    from ironriver.ingest.draft import draft_file, render_yaml
    from ironriver.policy.markings import parse_country, parse_releasable_input

    if country:  # (a draft may leave it to fill in: CHECK)
        country = parse_country(country)
    where = int(sheet) if sheet is not None and sheet.isdigit() else sheet
    draft = draft_file(file, country=country, sheet=where, header_row=header_row, rows=rows)
    text = render_yaml(
        draft,
        dataset=dataset,
        agency=agency,
        country=country,
        marking=marking,
        releasable_to=sorted(parse_releasable_input(releasable_to)) if releasable_to else None,
        out=out,
        anywhere=out is None,  # (standard output, saved anywhere: the file's full path)
    )
    if out is None:
        click.echo(text, nl=False)
        return
    try:
        with replacing(out) as tmp:
            tmp.write_text(text, encoding="utf-8")
    except FolderNotSynced as exc:
        raise ResourceError(
            msg(
                "The draft mapping was written to {path} whole, but its folder could not be "
                "synced to disk: {problem}. The file is there; a power loss could still undo "
                "its writing.",
                path=out,
                problem=os_problem(exc),
            ),
            hint=unsynced_hint(),
        ) from exc
    stderr_note(t("Wrote a draft mapping to {path}.", path=out))
