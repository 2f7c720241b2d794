"""Every command prints its JSON one way (`CliContext.emit`: `json.dumps(..., indent=2,
ensure_ascii=False)`): `eval strategy` printed pandas' JSON (`"quantity":"..."`, unspaced,
numbers cut to 10 digits) and the `strategy` commands one unindented line."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from ironriver.cli import cli


@pytest.mark.parametrize(
    "args",
    [
        ["eval", "strategy", "--json"],
        ["strategy", "compare", "--scenario", "status-quo", "--years", "1", "--json"],
        ["strategy", "run", "--years", "1", "--json"],
    ],
)
def test_json_is_printed_as_every_command_prints_it(args: list[str]) -> None:
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert result.output == json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def test_eval_strategy_keeps_every_digit() -> None:
    from ironriver.strategy.evaluate import reproduction

    result = CliRunner().invoke(cli, ["eval", "strategy", "--json"], catch_exceptions=False)
    rows = json.loads(result.output)
    assert [r["ours"] for r in rows] == reproduction()["ours"].tolist()
    assert all(isinstance(r["ok"], bool) for r in rows)
