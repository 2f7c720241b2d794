"""Originator control over the entities an import re-releases (review R11 F1): the datasets an
entity file's lines name (`"datasets"`, as an export's do) are checked against the store's
before it is written (`check_origins`). Entities of another agency's stored datasets are
refused; those of the owner's other datasets, labelled otherwise, too unless relabelled (the
agency's choice). A name the store does not hold is not checked. Each refusal is recorded as a
`refused` event before it is raised; it names another dataset's owner only to a loader that may
see that dataset (`_knows_owner`), the event every owner (the audit log is not a view).
"""

from __future__ import annotations

from collections.abc import Mapping

from ironriver.errors import AccessDenied
from ironriver.i18n import Msg, joined, msg, nmsg
from ironriver.ingest.attempts import ANOTHER_AGENCYS, RELABELLED, IngestAttempt
from ironriver.ingest.entity_files import EntityFile
from ironriver.ingest.result import IngestResult
from ironriver.policy import Principal, can_see
from ironriver.policy.markings import releasable_text
from ironriver.store import DatasetInfo, Store


def check_origins(
    store: Store,
    dataset: DatasetInfo,
    source: EntityFile,
    attempt: IngestAttempt,
    relabel: bool,
    result: IngestResult,
) -> tuple[list[Msg], dict[str, int]]:
    """Originator control over re-released entities (review R11 F1): raise `AccessDenied`
    (recording a `refused` event) when the file's lines name, in their `"datasets"` (as
    an export's do), stored datasets another agency than `dataset`'s owns: a receiver may
    not re-release them under a label of its own. Lines naming the owner's own other stored
    datasets, labelled otherwise than `dataset` (another marking or releasability, stricter
    or not: an export re-loaded as CLEAR would release what AMBER held back), raise
    `AccessDenied` too unless `relabel` (the agency's choice; that refusal is recorded as
    a `refused` event too): then it returns notes saying so and the count of such entities
    by dataset (for the ingest's audit event). A name the store does not hold is not
    checked (no owner is known). The refusal names the owner of a dataset only to a loader
    that may see it (`_knows_owner`); the `refused` event records every owner (the audit
    log is not a view)."""
    stored = {info.name: info for _id, info in store.datasets()}
    owner = dataset.agency.upper()
    named = {name: n for name, n in source.named.items() if name in stored}
    foreign = {name: n for name, n in named.items() if stored[name].agency.upper() != owner}
    if foreign:
        error = _another_agencys(source.path.name, owner, foreign, stored, attempt.principal)
        attempt.refused(
            ANOTHER_AGENCYS,
            error,
            result,
            datasets={
                name: {"agency": stored[name].agency.upper(), "entities": n}
                for name, n in sorted(foreign.items())
            },
        )
        raise error
    # the owner's other stored datasets the file's entities come from, labelled otherwise
    relabelled = {
        name: n
        for name, n in named.items()
        if name != dataset.name
        and (stored[name].marking, stored[name].releasable_to)
        != (dataset.marking, dataset.releasable_to)
    }
    notes = [
        nmsg(
            "{count:,} entity comes from {source}, marked {marking} there (releasable to "
            "{releasable}); in {dataset} it is marked {new_marking} (releasable to "
            "{new_releasable}).",
            "{count:,} entities come from {source}, marked {marking} there (releasable to "
            "{releasable}); in {dataset} they are marked {new_marking} (releasable to "
            "{new_releasable}).",
            n,
            count=n,
            source=name,
            marking=stored[name].marking.value,
            releasable=releasable_text(stored[name].releasable_to) or "-",
            dataset=dataset.name,
            new_marking=dataset.marking.value,
            new_releasable=releasable_text(dataset.releasable_to) or "-",
        )
        for name, n in sorted(relabelled.items())
    ]
    if notes and not relabel:
        error = AccessDenied(
            msg(
                "{file} holds entities of {owner}'s other datasets, labelled otherwise there: "
                "{relabelled} Nothing was ingested.",
                file=source.path.name,
                owner=owner,
                relabelled=joined(notes, " "),
            ),
            hint=msg(
                "If they may be shared under {dataset}'s label, pass --relabel; else load "
                "them with their datasets' label, or remove them from the file.",
                dataset=dataset.name,
            ),
        )
        attempt.refused(RELABELLED, error, result, datasets=dict(sorted(relabelled.items())))
        raise error
    return notes, relabelled


def _knows_owner(principal: Principal | None, info: DatasetInfo) -> bool:
    """Whether an originator-control refusal may name the owner of stored dataset `info` to
    `principal` (None: a library ingest, which sees all): one that reads the store (the
    `analyst` role) and may see the dataset's label. To any other the refusal says only that
    the name is another agency's, as the refusal of a dataset name does
    (`Store.check_dataset`): who owns a dataset it may not see is not its to learn (review
    R24 F7)."""
    if principal is None:
        return True
    return principal.has_role("analyst") and can_see(principal, info.label)


def _another_agencys(
    file: str,
    owner: str,
    foreign: Mapping[str, int],
    stored: Mapping[str, DatasetInfo],
    principal: Principal | None,
) -> AccessDenied:
    """The refusal of an `--entities` file whose lines name `foreign` (dataset -> entities),
    stored datasets another agency than `owner` owns: each named with its owner where the
    loader may know it (`_knows_owner`), else with its count alone."""
    known = {name for name in foreign if _knows_owner(principal, stored[name])}
    datasets = joined(
        (
            nmsg(
                "{dataset} of {agency}: {count:,} entity",
                "{dataset} of {agency}: {count:,} entities",
                n,
                dataset=name,
                agency=stored[name].agency.upper(),
                count=n,
            )
            if name in known
            else nmsg(
                "{dataset}: {count:,} entity",
                "{dataset}: {count:,} entities",
                n,
                dataset=name,
                count=n,
            )
            for name, n in sorted(foreign.items())
        ),
        "; ",
    )
    if len(known) == len(foreign):
        hint = msg(
            'Remove those entities from the file (each line\'s "datasets" says where it '
            "came from), or ask {owners} to share that data with whom it should reach.",
            owners=", ".join(sorted({stored[name].agency.upper() for name in foreign})),
        )
    else:
        hint = msg(
            'Remove those entities from the file (each line\'s "datasets" says where it '
            "came from), or ask the agency that owns that data to share it with whom it "
            "should reach."
        )
    return AccessDenied(
        msg(
            "Entities of {file} come from datasets another agency owns ({datasets}): "
            "{owner} may not re-release them under a label of its own; nothing was "
            "ingested.",
            file=file,
            datasets=datasets,
            owner=owner,
        ),
        hint=hint,
    )
