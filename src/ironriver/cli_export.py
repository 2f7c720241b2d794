"""`ironriver export`: what the principal may see, as FtM entity JSON Lines, FtM's
statement CSV or Parquet, to standard output or to the file -o names. Invariants: the -o
file is written whole or not at all (`replacing`), and a file already there is replaced
only with --overwrite; the view audits how every export ended (`View.export_completed`, or
`View.export_failed` with what was handed over); the output's own failure (a full disk) is
told apart from the store's and said as such; an export to standard output cut short says
so on standard error; what FtM entity JSON cannot carry (markings, the properties of a
schema an entity's others conflict with) is said on standard error. As every read command
(`cli_read`), it imports the policy in its body or for typing only."""

from __future__ import annotations

import json
import sys
from contextlib import ExitStack, closing
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ironriver.cli_output import give_up_stdout, pipe_closed
from ironriver.cli_schemata import left_out, schema_name
from ironriver.cli_support import app_context, common_options, excel_option
from ironriver.csvcells import EXCEL
from ironriver.errors import ConfigError, ResourceError, os_problem
from ironriver.i18n import msg, nt, t
from ironriver.progress import stderr_note
from ironriver.scratch import FolderNotSynced, interrupted, replacing

if TYPE_CHECKING:  # the policy loads FtM, SQLAlchemy, Arrow and DuckDB (`cli_read`)
    from collections.abc import Iterator

    import pyarrow as pa

    from ironriver.policy import SchemaConflict, View


@click.command()
@common_options
@click.option(
    "-o",
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Output file, written whole or not at all (default: standard output).",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace the file -o names if it exists (else refused).",
)
@click.option(
    "--schema",
    default=None,
    help="Only this schema (and descendants): its name or its label, in English or Spanish.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["ftm", "statements", "parquet"]),
    default="ftm",
    show_default=True,
    help="ftm: FtM entity JSON Lines; statements: FtM's statement CSV (read by ftm and "
    "nomenklatura), with each statement's marking and source; parquet: those statements "
    "as Parquet.",
)
@click.option(
    "--dataset",
    "datasets",
    multiple=True,
    help="Only the statements of this dataset (repeatable): e.g. your agency's own.",
)
@excel_option
@click.option("--reason", default="", help="Why you export (audited).")
@click.pass_context
def export(
    ctx: click.Context,
    out: Path | None,
    overwrite: bool,
    schema: str | None,
    fmt: str,
    datasets: tuple[str, ...],
    reason: str,
) -> None:
    """Export what the principal may see as FtM entity JSON Lines (or its statements).

    FtM entity JSON carries no markings: when the entities hold statements marked AMBER or
    stricter (or released to named countries or agencies only), a note on standard error
    says how many, by marking; --format statements keeps each statement's marking and
    releasability. With -o, --json prints the summary as JSON (the number of entities or
    statements, the format, the path, and those markings); without -o the export itself
    goes to standard output, JSON Lines or CSV as --format says, and --json changes nothing.
    An existing -o file is replaced only with --overwrite; --excel writes the CSV for Excel.

    \b
    Examples:
      ironriver export --as us-atf-analyst -o us.ftm.jsonl --reason "partner share"
      ironriver export --format statements -o us.csv --as us-atf-analyst --reason "case 42"
      ironriver export --format statements --excel -o mx.csv --as mx-fgr-analista \\
          --reason "case 42"
      ironriver export --as mx-fgr-analista --dataset mx_fgr_detenciones -o fgr.ftm.jsonl \\
          --reason "case 42"
    """
    from ironriver.policy import authorize_export

    app = app_context(ctx)
    authorize_export(app.principal())
    schema = schema_name(schema)
    if EXCEL.get() and fmt != "statements":
        raise ConfigError(
            msg("--excel writes CSV for Excel: it goes with --format statements."),
            hint=msg("Add --format statements, or leave out --excel."),
        )
    if out is not None and not overwrite and _taken(out):
        raise ConfigError(
            msg("{path} already exists: an export does not replace a file unasked.", path=out),
            hint=msg("Choose another -o, or pass --overwrite to replace it."),
        )
    if fmt == "parquet" and out is None and _to_terminal():  # (a pipe or a file takes it)
        raise ConfigError(
            msg("Parquet goes to a file, not to the terminal."),
            hint=msg("Pass -o FILE.parquet."),
        )
    view = app.view(reason)
    n = _write_export(view, out, fmt, schema, datasets)
    done = _done_text(fmt, n, out)
    conflicts = sorted(view.schema_conflicts.values(), key=lambda c: c.entity_id)
    markings = view.export_markings if fmt == "ftm" else []
    if not (out and app.as_json):  # (stderr: standard output may be the export)
        if conflicts:
            stderr_note(_conflicts_text(conflicts))
        if markings:
            stderr_note(_markings_text(markings, view.export_marked_entities, n))
    if out:  # (`exported`: entities or statements, as `format` says)
        summary: dict[str, Any] = {"exported": n, "format": fmt, "path": str(out)}
        if conflicts:
            summary["schema_conflicts"] = [c.as_dict() for c in conflicts]
        if markings:
            summary["entities_marked"] = view.export_marked_entities
            summary["markings_not_carried"] = [
                {"marking": m, "releasable_to": list(rel), "entities_marked": k}
                for m, rel, k in markings
            ]
        app.emit(summary, lambda: stderr_note(done))


def _write_export(
    view: View, out: Path | None, fmt: str, schema: str | None, datasets: tuple[str, ...]
) -> int:
    """Write the export to `out` (whole or not at all: `replacing`) or to standard output;
    the statements (entities) written. Should the output or the store fail once the
    export's event is written, the view audits how it ended (`View.export_failed`: with -o
    nothing left, the file is not kept, unless it was put in place and only its folder
    could not be synced); on standard output a note says that what is there is incomplete
    (whatever stopped it, Ctrl-C too; not for a reader that stopped reading: `| head`),
    and an output that could not be written (a full disk) is said as such
    (`_output_failure`). An export that ended well is `export_completed`."""
    output = _Output()
    handed = [0]  # statements (entities) handed to the output so far
    try:
        with ExitStack() as stack:
            target: Path | None = None
            if out:
                target = stack.enter_context(replacing(out))
                try:
                    target.open("wb").close()
                except OSError as exc:
                    raise ConfigError(
                        msg("Cannot write {path}: {problem}.", path=out, problem=os_problem(exc)),
                        hint=msg(
                            "Give -o a path in a folder that exists and that you may write to."
                        ),
                    ) from exc
            _write_to(output, stack, target, view, fmt, schema, datasets, handed)
            output.flush()  # (here, not as the process exits, past this handling)
            output.written = True  # (what fails from here is closing -o, putting it in place)
    except BaseException as exc:
        kept = out is None or isinstance(exc, FolderNotSynced)  # (in place, whole)
        view.export_failed(exc, handed[0], kept=kept)
        failure = _output_failure(exc, output, out)
        if out is None and handed[0] and not pipe_closed(exc):
            stderr_note(_incomplete_text(fmt, handed[0], interrupted(exc)))
        if failure is None:
            raise
        if out is None:
            give_up_stdout()  # (what it holds cannot be written either)
        raise failure from exc
    view.export_completed()
    return handed[0]


def _write_to(
    output: _Output,
    stack: ExitStack,
    target: Path | None,
    view: View,
    fmt: str,
    schema: str | None,
    datasets: tuple[str, ...],
    handed: list[int],
) -> None:
    """Write the export in `fmt` to `target` (opened in `stack`) or standard output through
    `output`, counting in `handed[0]` the statements (entities) handed to it."""
    from ironriver.policy import entity_dict
    from ironriver.policy.table import write_statements

    if fmt != "ftm":
        # (read whole from one snapshot and audited before any output)
        sink = stack.enter_context(target.open("wb")) if target else sys.stdout.buffer
        output.sink = sink
        batches = stack.enter_context(closing(view.export_batches(schema, datasets)))
        write_statements(_counted(batches, handed), output, fmt)
        return
    text = stack.enter_context(target.open("w", encoding="utf-8")) if target else sys.stdout
    output.sink = text
    for ent in view.export(schema, datasets):
        output.write(json.dumps(entity_dict(ent), ensure_ascii=False, sort_keys=True) + "\n")
        handed[0] += 1


class _Output:
    """The file an export writes (`sink`: standard output or the -o file), passing writes
    on and keeping the OSError that writing or flushing it raised: the output's failure,
    told apart from the store's; `written` once it holds the whole export."""

    def __init__(self) -> None:
        self.sink: Any = None
        self.error: OSError | None = None
        self.written = False

    def write(self, data: Any) -> int:
        try:
            return int(self.sink.write(data))
        except OSError as exc:
            self.error = exc
            raise

    def flush(self) -> None:
        try:
            self.sink.flush()
        except OSError as exc:
            self.error = exc
            raise

    def __getattr__(self, name: str) -> Any:  # (`closed`, `tell`...: the sink's)
        return getattr(self.sink, name)


def _output_failure(exc: BaseException, output: _Output, out: Path | None) -> ResourceError | None:
    """What to say when `exc` is the export's output failing (a write or flush of it, or
    putting the -o file in place), but for a closed pipe; else None (`exc` is raised as
    it is: the store's error, a bug)."""
    error = output.error
    if error is None and output.written and isinstance(exc, OSError):
        error = exc
    if error is None or pipe_closed(error):
        return None
    problem = os_problem(error)
    if isinstance(error, FolderNotSynced):
        return ResourceError(
            msg(
                "The export was written to {path} whole, but its folder could not be synced "
                "to disk: {problem}. The file is there; a power loss could still undo its "
                "writing.",
                path=out,
                problem=problem,
            ),
            hint=msg("Check the disk that holds that folder; export again once it is sound."),
        )
    if out is None:
        return ResourceError(
            msg(
                "Could not write the export to standard output: {problem}. Nothing was "
                "changed in the store.",
                problem=problem,
            ),
            hint=msg(
                "Free space (or check the disk) where standard output goes, or send it "
                "elsewhere; then export again."
            ),
        )
    return ResourceError(
        msg(
            "Could not write the export to {path}: {problem}. No file was left there (one it "
            "would have replaced is as it was), and nothing was changed in the store.",
            path=out,
            problem=problem,
        ),
        hint=msg(
            "Free space (or check the disk) in that folder, or give -o another path; then "
            "export again."
        ),
    )


def _done_text(fmt: str, n: int, out: Path | None) -> str:
    """What a finished export to `out` says (with -o, on standard error)."""
    if fmt == "ftm":
        return nt(
            "Exported {n:,} entity to {path}", "Exported {n:,} entities to {path}", n, path=out
        )
    return nt(
        "Exported {n:,} statement to {path}", "Exported {n:,} statements to {path}", n, path=out
    )


def _counted(batches: Iterator[pa.Table], handed: list[int]) -> Iterator[pa.Table]:
    """`batches`, adding each one's rows to `handed[0]` as it is handed over."""
    for batch in batches:
        handed[0] += batch.num_rows
        yield batch


def _incomplete_text(fmt: str, n: int, interrupted: bool) -> str:
    """The note on standard error when an export to standard output stopped after `n`
    statements (entities) were handed to it, at an error or `interrupted` (Ctrl-C, SIGTERM:
    the command line's "Interrupted." follows, about the store and files): what is there is
    not the export. (About `n` are there: a write that a signal interrupts may still be
    flushed as the command ends, whole or cut short, or be lost with what Python's buffers
    held for it.)"""
    if interrupted and fmt == "ftm":
        return nt(
            "The export on standard output is incomplete: it was interrupted after {n:,} "
            "entity. Discard what was written and export again.",
            "The export on standard output is incomplete: it was interrupted after {n:,} "
            "entities. Discard what was written and export again.",
            n,
        )
    if interrupted:
        return nt(
            "The export on standard output is incomplete: it was interrupted after {n:,} "
            "statement. Discard what was written and export again.",
            "The export on standard output is incomplete: it was interrupted after {n:,} "
            "statements. Discard what was written and export again.",
            n,
        )
    if fmt == "ftm":
        return nt(
            "The export on standard output is incomplete: it stopped at the error below after "
            "{n:,} entity. Discard what was written and export again.",
            "The export on standard output is incomplete: it stopped at the error below after "
            "{n:,} entities. Discard what was written and export again.",
            n,
        )
    return nt(
        "The export on standard output is incomplete: it stopped at the error below after "
        "{n:,} statement. Discard what was written and export again.",
        "The export on standard output is incomplete: it stopped at the error below after "
        "{n:,} statements. Discard what was written and export again.",
        n,
    )


def _taken(path: Path) -> bool:
    """Whether writing `path` would replace a file (or a link) there; a folder is refused
    as such when it is written."""
    return path.is_symlink() or (path.exists() and not path.is_dir())


def _to_terminal() -> bool:
    """Whether standard output is a terminal (not a pipe or a file)."""
    return sys.stdout.isatty()


def _markings_text(markings: list[tuple[str, tuple[str, ...], int]], marked: int, n: int) -> str:
    """What an FtM entity export does not carry: how many of its `n` entities hold
    statements whose marking limits their sharing (`marked`), by marking and releasability."""
    lines = [
        nt(
            "Note: FtM entity JSON carries no markings, and {marked:,} of the {total:,} entity "
            "exported holds statements whose marking limits their sharing:",
            "Note: FtM entity JSON carries no markings, and {marked:,} of the {total:,} "
            "entities exported hold statements whose marking limits their sharing:",
            n,
            marked=marked,
            total=n,
        )
    ]
    for marking, releasable, k in markings:
        to = ", ".join(releasable) if releasable else t("no one beyond its owner")
        lines.append(
            nt(
                "  {marking}, releasable to {to}: {k:,} entity",
                "  {marking}, releasable to {to}: {k:,} entities",
                k,
                marking=marking,
                to=to,
                k=k,
            )
        )
    lines.append(
        t(
            "Share the file only as those markings allow, or export with --format statements, "
            "which keeps each statement's marking and releasability."
        )
    )
    return "\n".join(lines)


def _conflicts_text(conflicts: list[SchemaConflict]) -> str:
    """What an FtM export left out: the statements of entities whose schemata could not be
    one, of properties the schema they were exported as lacks."""
    lines = [
        nt(
            "{n:,} entity has statements of schemata that cannot be one entity: its FtM "
            "entity leaves out the statements of properties its schema lacks.",
            "{n:,} entities have statements of schemata that cannot be one entity: their FtM "
            "entities leave out the statements of properties their schema lacks.",
            len(conflicts),
        )
    ]
    lines += [
        t(
            "  {entity}: exported as {schema} (its statements: {schemata}); left out: {props}",
            entity=c.entity_id,
            schema=c.schema,
            schemata=", ".join(c.schemata),
            props=left_out(c),
        )
        for c in conflicts[:10]
    ]
    if len(conflicts) > 10:
        lines.append(t("  ... and {n:,} more (--json lists them all)", n=len(conflicts) - 10))
    lines.append(
        t(
            "Every statement is in: ironriver export --format statements. To fix the data, "
            "retract the statements typed wrongly (ironriver retract ID --prop NAME)."
        )
    )
    return "\n".join(lines)
