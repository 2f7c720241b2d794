"""`ironriver eval`: each capability scored against ground truth (a generated world's) or
published science, exiting 1 on a miss. The top-level CLI loads it on first use
(`LAZY_COMMANDS` in `cli_lazy.py`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from ironriver.cli_json import drafts_json, json_text, report_row_json, search_evaluation_json
from ironriver.cli_support import json_flag, table
from ironriver.i18n import nt, t
from ironriver.model.labels import yes_no
from ironriver.progress import stderr_note


@click.group("eval")
def eval_group() -> None:
    """Score a capability against ground truth or published science (exit 1 on a miss).

    \b
    Example: ironriver eval strategy
             ironriver eval world --world w
    """


def _world_options(command: Callable[..., None]) -> Callable[..., None]:
    """`--world DIR` and `--json` of an evaluation on a generated world (and the context).
    Click refuses a path that does not exist; the command checks that the folder holds a
    world (`WorldPaths.require`), which says what to pass when it does not."""
    command = click.pass_context(command)
    command = json_flag()(command)
    return click.option(
        "--world",
        "world_dir",
        type=click.Path(path_type=Path, exists=True),
        required=True,
        help="A folder made by `ironriver world generate`.",
    )(command)


@eval_group.command("world")
@_world_options
def eval_world(ctx: click.Context, world_dir: Path, as_json: bool) -> None:
    """Each calibration figure beside the world's value, with its tolerance.

    The figures, each with its published source, are ironriver.world.calibration.FIGURES,
    taken from the team's calibration brief; exits 1 when one is outside its tolerance.

    \b
    Example: ironriver eval world --world w
    """
    from ironriver.world import format_report, world_report

    rows = world_report(world_dir, include_unmeasured=False)
    if as_json:
        click.echo(json_text([report_row_json(r) for r in rows]))
    else:
        click.echo(format_report(rows))
    missed = [r.key for r in rows if r.ok is False]
    if missed:
        stderr_note(
            nt(
                "{n} figure outside tolerance: {keys}",
                "{n} figures outside tolerance: {keys}",
                len(missed),
                keys=", ".join(missed),
            )
        )
        ctx.exit(1)


@eval_group.command("drafts")
@_world_options
def eval_drafts(ctx: click.Context, world_dir: Path, as_json: bool) -> None:
    """`mapping draft` beside the agencies' own mappings: the layout of every date column,
    and the entities suggested from the column names (precision and recall). Exits 1 when a
    date column's layout differs from its mapping's, or precision or recall is below its
    floor.

    \b
    Example: ironriver eval drafts --world w
    """
    from ironriver.ingest.evaluate import evaluate_drafts
    from ironriver.world import WorldPaths

    result = evaluate_drafts(WorldPaths(world_dir).require().root)
    checks, score = result.dates, result.entities
    if as_json:
        click.echo(json_text(drafts_json(result)))
    else:
        headers = [t("file"), t("column"), t("mapping"), t("draft"), t("agrees")]
        rows = [
            [
                c.file,
                c.column,
                c.expected,
                c.drafted,
                t("no value") if c.ok is None else yes_no(c.ok),
            ]
            for c in checks
        ]
        table(rows, headers)
    judged = result.dates_judged
    stderr_note(
        t(
            "{agree} of {n} date columns drafted as their mapping reads them ({empty} with no "
            "value in the sample)",
            agree=sum(1 for c in judged if c.ok),
            n=len(judged),
            empty=len(checks) - len(judged),
        )
    )
    stderr_note(
        t(
            "Entities from column names: precision {precision:.2f} ({agreed} of {suggested} "
            "suggested column-property pairs are the mappings'), recall {recall:.2f} ({agreed} "
            "of their {mapped}).",
            precision=score.precision,
            recall=score.recall,
            agreed=score.agreed,
            suggested=score.suggested,
            mapped=score.mapped,
        )
    )
    for missed in score.missed:
        stderr_note(t("  not suggested: {pair}", pair=missed))
    for extra in score.extra:
        stderr_note(t("  not in the mappings: {pair}", pair=extra))
    if not result.ok:
        ctx.exit(1)


@eval_group.command("search")
@_world_options
def eval_search(ctx: click.Context, world_dir: Path, as_json: bool) -> None:
    """Name search beside the world's truth: every agency file ingested into a temporary
    store, each record of a person looked for by the forms of the true name an analyst types
    (recall and purity of the first 10 hits; success@1, MRR@10 and nDCG@10, where the
    person's records rank among them). Exits 1 when a recall, the purity of the hits holding
    every word (a namesake, another person whose true name holds every word, counted right),
    an MRR@10 or an nDCG@10 is below its floor, or a record's entity is not in the store.

    \b
    Example: ironriver eval search --world w
    """
    from ironriver.i18n import current_lang, translate
    from ironriver.policy.evaluate import (
        EVAL_PRINCIPAL,
        FORM_LABELS,
        evaluate_search,
    )
    from ironriver.world import WorldPaths

    world = WorldPaths(world_dir).require()
    stderr_note(
        t(
            "Ingesting the world's {n} agency mappings into a temporary store, then searching "
            "as {principal} (about 20 s at scale 0.02)...",
            n=len(world.mappings()),
            principal=EVAL_PRINCIPAL,
        )
    )
    result = evaluate_search(world_dir)
    lang = current_lang()
    if as_json:
        click.echo(json_text(search_evaluation_json(result)))
    else:
        headers = [
            t("form"),
            t("dataset"),
            t("queries"),
            t("found"),
            t("recall@10"),
            t("purity@10"),
            t("purity, all words"),
            t("success@1"),
            t("MRR@10"),
            t("nDCG@10"),
        ]
        rows = [
            [
                translate(FORM_LABELS[s.form], lang),
                s.dataset or t("all"),
                s.queries,
                s.found,
                _share(s.recall, s.queries),
                _share(s.purity, s.hits),
                _share(s.whole_purity, s.whole_hits),
                _share(s.success_at_1, s.queries),
                _share(s.mrr, s.queries),
                _share(s.ndcg, s.queries),
            ]
            for s in result.scores
        ]
        table(rows, headers)
        shown: set[tuple[str, str]] = set()
        for miss in result.missed:  # one of each form and dataset (a few of each: --json)
            if (miss.form, miss.dataset) not in shown:
                shown.add((miss.form, miss.dataset))
                click.echo(
                    t(
                        "  not found: {query} ({dataset}: {names})",
                        query=miss.query,
                        dataset=miss.dataset,
                        names="; ".join(miss.names),
                    )
                )
    total = sum(result.records.values())
    stderr_note(
        t(
            "As {principal}: {scored} of {total} records of a person looked for; {alias} name "
            "the person only by an alias (not scored), {hidden} are not visible.",
            principal=result.principal,
            scored=sum(result.scored.values()),
            total=total,
            alias=sum(result.alias_only.values()),
            hidden=sum(result.hidden.values()),
        )
    )
    for form in FORM_LABELS:
        score = result.overall(form)
        if score.whole_hits:
            stderr_note(
                t(
                    "{form}: {namesakes} of the {whole} hits holding every word are namesakes "
                    "(another person whose true name holds every word typed; counted right), "
                    "{right} the person looked for ({own:.3f}).",
                    form=translate(FORM_LABELS[form], lang),
                    namesakes=score.whole_namesakes,
                    whole=score.whole_hits,
                    right=score.whole_right,
                    own=score.whole_person_purity,
                )
            )
    for lat in result.latency:
        stderr_note(
            t(
                "{form}: median {median:.1f} ms, 95th percentile {p95:.1f} ms per search "
                "({n} searches).",
                form=translate(FORM_LABELS[lat.form], lang),
                median=lat.median_ms,
                p95=lat.p95_ms,
                n=lat.queries,
            )
        )
    unmapped = sum(result.unmapped.values())
    if unmapped:
        stderr_note(
            nt(
                "{n} record's entity is not in the store (the evaluation computed its id "
                "otherwise than the ingest did): {datasets}",
                "{n} records' entities are not in the store (the evaluation computed their "
                "ids otherwise than the ingest did): {datasets}",
                unmapped,
                datasets=", ".join(sorted(result.unmapped)),
            )
        )
    if not result.scored:
        stderr_note(t("No record of a person to look for in this world."))
    for metric, form, value, floor in result.shortfalls():
        label = translate(FORM_LABELS[form], lang)
        if metric == "recall":
            text = t(
                "Recall@10 of {form}: {recall:.3f}, below its floor {floor:.2f}.",
                form=label,
                recall=value,
                floor=floor,
            )
        elif metric == "whole_purity":
            text = t(
                "Purity of the hits holding every word, {form}: {purity:.3f}, below its "
                "floor {floor:.2f}.",
                form=label,
                purity=value,
                floor=floor,
            )
        else:
            text = t(
                "{metric} of {form}: {value:.3f}, below its floor {floor:.2f}.",
                metric={"mrr": "MRR@10", "ndcg": "nDCG@10"}[metric],  # as IR writes it
                form=label,
                value=value,
                floor=floor,
            )
        stderr_note(text)
    if not result.ok:
        ctx.exit(1)


def _share(value: float, of: int) -> str:
    """A share of `of` things as a table shows it: "n/a" ("n/d") of none, which is no score
    (a dataset with no hit holding every word is not 0% pure)."""
    return f"{value:.3f}" if of else t("n/a")


@eval_group.command("strategy")
@json_flag()
@click.pass_context
def eval_strategy(ctx: click.Context, as_json: bool) -> None:
    """The cartel model's headlines beside Prieto-Curiel et al. (2023).

    \b
    Example: ironriver eval strategy
    """
    from ironriver.strategy.evaluate import reproduction
    from ironriver.strategy.tables import records

    frame = reproduction()
    if as_json:  # (not pandas' `to_json`: its JSON is spaced and escaped otherwise)
        click.echo(json_text(records(frame)))
    else:
        from ironriver.strategy.tables import shown_reproduction

        click.echo(shown_reproduction(frame).to_string(index=False))
    if not bool(frame["ok"].all()):
        ctx.exit(1)
