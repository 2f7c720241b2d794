"""The vocabulary of `--json` outputs (docs/cli.md, "JSON output"): library objects as the
JSON the commands print, so that one concept has one key and one type in every command.

Invariants: a dataset is `dataset`; its owner `owner_agency`/`owner_country` (an audit
event's `agency` is the acting principal's); `releasable_to` is a sorted list of strings;
counts are integers; a statement keeps FtM's statement keys. The library objects keep their
own fields (other callers read them); only what the CLI prints is renamed here.
`tests/cli/test_json_vocabulary.py` checks every command's output against the doc's table.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # (the evaluations and the world load heavy modules: typing only)
    from ironriver.ingest.evaluate import DraftEvaluation
    from ironriver.policy import DatasetSummary, StatementRecord
    from ironriver.policy.evaluate import SearchEvaluation
    from ironriver.world.report import ReportRow


def releasable_list(text: str) -> list[str]:
    """A stored releasability (`releasable_text`: sorted, comma-joined) as a sorted list."""
    from ironriver.policy import parse_releasable

    return sorted(parse_releasable(text))


def dataset_json(summary: DatasetSummary) -> dict[str, Any]:
    """A dataset as `datasets --json` lists it."""
    info = summary.info
    return {
        "dataset": info.name,
        "owner_agency": info.agency,
        "owner_country": info.country,
        "marking": info.marking.value,
        "releasable_to": sorted(info.releasable_to),
        "visible_statements": summary.visible_statements,
        "visible_ledger_rows": summary.visible_ledger_rows,
    }


def statement_json(statement: StatementRecord) -> dict[str, Any]:
    """A visible statement (`entity`, `retract`): FtM's statement keys plus its provenance,
    its releasability as a list."""
    data = dict(statement.__dict__)
    data["releasable_to"] = releasable_list(statement.releasable_to)
    return data


def report_row_json(row: ReportRow) -> dict[str, Any]:
    """A calibration figure beside the world's (`world report`, `eval world`): `figure` its
    key, `target_value` its value (an audit event's `target` is another thing)."""
    return {
        "figure": row.key,
        "description": row.description,
        "unit": row.unit,
        "target_value": row.target,
        "low": row.low,
        "high": row.high,
        "world": row.world,
        "ok": row.ok,
        "unmeasurable": row.unmeasurable,
    }


def drafts_json(result: DraftEvaluation) -> dict[str, Any]:
    """`eval drafts`: the pairs left out and extra under the names its summary gives them
    (`missed` is `eval search`'s list of queries)."""
    score = result.entities
    return {
        "dates": [c.as_dict() for c in result.dates],
        "entities": {
            "suggested": score.suggested,
            "mapped": score.mapped,
            "agreed": score.agreed,
            "not_suggested": score.missed,
            "not_in_mappings": score.extra,
            "precision": score.precision,
            "recall": score.recall,
        },
    }


# `SearchEvaluation.as_dict`'s counts per dataset, as `stats` names such maps (`records` is
# an ingest's count of records)
_BY_DATASET = ("records", "hidden", "alias_only", "unmapped", "scored")


def search_evaluation_json(result: SearchEvaluation) -> dict[str, Any]:
    """`eval search`: counts per dataset as `X_by_dataset`; a score over every dataset has
    `dataset` null (not "")."""
    data: dict[str, Any] = {
        (f"{key}_by_dataset" if key in _BY_DATASET else key): value
        for key, value in result.as_dict().items()
    }
    data["scores"] = [{**s.as_dict(), "dataset": s.dataset or None} for s in result.scores]
    return data


def json_text(data: object) -> str:
    """`data` as every command prints its JSON: indented by 2, text as it is (not \\u
    escapes); a value JSON has no type for as its `str`."""
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)
