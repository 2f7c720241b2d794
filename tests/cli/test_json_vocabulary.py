"""Every `--json` output speaks one vocabulary: the table of docs/cli.md, "JSON output".

One module-scoped run builds a tiny world and a real SQLite store from it with the CLI
itself, then runs every command that takes `--json` (click's runner, in process) and keeps
each JSON document. The tests then read the doc's table and check the documents against it:
a key the table lacks, a value of another type, a command the table does not name for a
key, a documented key no command prints, and a command with `--json` that is not run here
all fail (a new command must be added to `_run_everything` and its keys to the doc)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from ironriver.cli import cli
from ironriver.policy import DEFAULT_PRINCIPALS_YAML
from ironriver.world import WorldConfig, generate_world

DOC = Path(__file__).parents[2] / "docs" / "cli.md"
TABLE_MARK = "<!-- vocabulary: the test reads this table -->"
ANY = "any"  # the doc's name for every command that takes --json
PLACEHOLDERS = {"{q}": r"(?:05|50|95)"}


# -- the documented vocabulary -------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    name: str  # as documented, placeholders included
    pattern: re.Pattern[str]
    type: str
    check: Callable[[Any], bool]
    commands: frozenset[str]


_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)")
_DATE = re.compile(r"\d{4}-\d\d-\d\d")
_BASE: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v),
    "boolean": lambda v: isinstance(v, bool),
    "timestamp": lambda v: isinstance(v, str) and _TIMESTAMP.fullmatch(v) is not None,
    "date": lambda v: isinstance(v, str) and _DATE.fullmatch(v) is not None,
    "object": lambda v: isinstance(v, dict),
    "any": lambda v: True,
    "FtM entity": lambda v: (
        isinstance(v, dict)
        and {"id", "schema", "properties"} <= set(v)
        and all(isinstance(vs, list) for vs in v["properties"].values())
    ),
}


def type_check(spec: str) -> Callable[[Any], bool]:
    """The check of a documented type: a base type, `list of T`, `map of T`, `T or null`."""
    if spec.endswith(" or null"):
        inner = type_check(spec.removesuffix(" or null"))
        return lambda v: v is None or inner(v)
    if spec.startswith("list of "):
        item = type_check(spec.removeprefix("list of "))
        return lambda v: isinstance(v, list) and all(item(x) for x in v)
    if spec.startswith("map of "):
        value = type_check(spec.removeprefix("map of "))
        return lambda v: isinstance(v, dict) and all(value(x) for x in v.values())
    if spec not in _BASE:
        raise AssertionError(f"docs/cli.md uses a type it does not define: {spec!r}")
    return _BASE[spec]


def _nested(spec: str) -> bool:
    """Whether values of this type hold objects whose keys are the vocabulary's."""
    return spec.removesuffix(" or null").removeprefix("list of ") == "object"


def _code_spans(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def documented() -> list[Key]:
    """The rows of the doc's vocabulary table."""
    text = DOC.read_text(encoding="utf-8")
    assert TABLE_MARK in text, "docs/cli.md lost its vocabulary table"
    lines = text.split(TABLE_MARK, 1)[1].strip().splitlines()
    assert lines[0].startswith("| key | type | meaning | commands |"), lines[0]
    keys = []
    for line in lines[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        assert len(cells) == 4, f"a vocabulary row of {len(cells)} cells: {line}"
        [name], [spec] = _code_spans(cells[0]), _code_spans(cells[1])
        pattern = re.escape(name)
        for placeholder, regex in PLACEHOLDERS.items():
            pattern = pattern.replace(re.escape(placeholder), regex)
        commands = frozenset(_code_spans(cells[3]))
        assert commands, f"{name}: no command named"
        keys.append(Key(name, re.compile(pattern), spec, type_check(spec), commands))
    return keys


def lookup(keys: list[Key], key: str) -> Key | None:
    found = [k for k in keys if k.pattern.fullmatch(key)]
    assert len(found) <= 1, f"{key} matches several rows: {[k.name for k in found]}"
    return found[0] if found else None


# -- every command, on a real store ---------------------------------------------------------


@dataclass(frozen=True)
class Output:
    command: str  # "audit log", as the doc names it
    args: tuple[str, ...]
    document: Any


def _invoke(args: list[str], exit_codes: tuple[int, ...] = (0,)) -> Any:
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code in exit_codes, (args, result.exit_code, result.output)
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"{args}: not one JSON document: {result.stdout[:500]!r}") from None


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> list[Output]:
    return list(_run_everything(tmp_path_factory.mktemp("json_vocabulary")))


def _run_everything(tmp: Path) -> Iterator[Output]:
    world = generate_world(WorldConfig(scale=0.003, years=1, seed=3, out=tmp / "world"))
    principals = tmp / "principals.yaml"
    principals.write_text(DEFAULT_PRINCIPALS_YAML, encoding="utf-8")
    db = str(tmp / "store.db")
    store = ["--db", db, "--principals", str(principals), "--json"]

    def run(command: str, *args: str, exit_codes: tuple[int, ...] = (0,)) -> Output:
        words = command.split()
        if words[0] in ("strategy", "eval", "world"):
            full = [*words, *args, "--json"]
        else:
            full = [*words, *args, *store]
        return Output(command, tuple(full), _invoke(full, exit_codes))

    def fails(command: str, *args: str, exit_code: int) -> Output:
        out = run(command, *args, exit_codes=(exit_code,))
        assert list(out.document) == ["error"], (out.args, out.document)
        return out

    yield run("init", "--principals-out", str(tmp / "written.yaml"))
    mappings = [str(m) for m in world.mappings()]
    yield run("ingest", mappings[0], "--dry-run")
    yield run("ingest", *mappings, "--as", "loader", "--reason", "load")
    yield run("ingest", mappings[0], "--replace", "--dry-run", "--as", "loader")
    # an id typed Person by one line and Company by another: a schema conflict to print
    conflict = tmp / "conflict.jsonl"
    lines = [
        {"id": "c1", "schema": "Person", "properties": {"name": ["Pat"], "birthDate": ["1990"]}},
        {"id": "c1", "schema": "Company", "properties": {"name": ["Pat Inc"]}},
    ]
    conflict.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    owner = ("--agency", "FGR", "--country", "MX", "--releasable-to", "MX,US")
    yield run(
        "ingest", "--entities", str(conflict), "--dataset", "mx_fgr_c", *owner, "--as", "loader"
    )
    reader = ("--as", "us-atf-analyst")
    yield run("datasets", *reader)
    yield run("ledgers", *reader)
    sales = run("ledger", "us_atf_dealer_sales", "--limit", "2", *reader, "--reason", "trace")
    yield sales
    yield run("stats", *reader)
    hits = run("search", "garcia", *reader, "--reason", "case")
    yield hits
    yield run("entity", hits.document[0]["entity_id"], *reader, "--reason", "case")
    yield run("entity", "c1", *reader, "--reason", "case")
    yield run("export", *reader, "--reason", "share", "-o", str(tmp / "x.jsonl"))
    yield run(
        "export", *reader, "--reason", "share", "--format", "statements", "-o", str(tmp / "x.csv")
    )
    yield run("retract", "c1", "--prop", "birthDate", "--as", "mx-fgr-analista", "--reason", "r")
    ledger = f"us_atf_dealer_sales/{sales.document['ledger']}"
    loaded = str(sales.document["rows"][0]["source_ref"]).rsplit(":", 1)[0]
    yield run("retract", "--ledger", ledger, "--file", loaded, "--as", "loader", "--reason", "r")
    yield fails("entity", "nope", *reader, "--reason", "case", exit_code=4)
    yield run("audit verify")
    yield run("audit verify-data")
    yield run("audit log", "--as", "auditor")  # one country's (no chain positions)
    yield run("audit log", "--as", "loader")  # an admin's: every key
    yield run("audit checkpoint", "--as", "auditor", "--reason", "nightly")
    Path(db + ".read-audit.sqlite").unlink()  # lost: restart it
    yield run("audit restart-reads", "--as", "loader", "--reason", "disk lost")
    root = str(world.root)
    empty = tmp / "not-a-world"
    empty.mkdir()
    # every group's errors are JSON too (`fails`: the document is the error's)
    yield fails("world report", str(empty), exit_code=2)
    yield fails("eval world", "--world", str(empty), exit_code=2)
    yield fails("eval drafts", "--world", str(empty), exit_code=2)
    yield fails("eval search", "--world", str(empty), exit_code=2)
    yield fails("strategy sweep", "--years", "0", exit_code=2)
    yield run("world report", root)
    yield run("eval world", "--world", root, exit_codes=(0, 1))  # a tiny world misses some
    yield run("eval drafts", "--world", root, exit_codes=(0, 1))
    yield run("eval search", "--world", root, exit_codes=(0, 1))
    yield run("eval strategy")
    yield run("strategy run", "--years", "1", "--runs", "3")
    yield run("strategy run", "--years", "1", "--split", "CJNG:3@26")
    yield fails("strategy run", "--split", "bogus", exit_code=2)
    yield run("strategy compare", "--years", "1")
    yield run("strategy sweep", "--years", "1")
    yield run("strategy reproduce", "--runs", "3")
    yield run("strategy calibrate", "--max-evals", "1")


def json_commands() -> set[str]:
    """Every command of the CLI that takes `--json`, as "group command"."""
    found: set[str] = set()

    def walk(command: click.Command, ctx: click.Context, path: list[str]) -> None:
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                assert sub is not None
                walk(sub, ctx, [*path, name])
        elif any(isinstance(p, click.Option) and "--json" in p.opts for p in command.params):
            found.add(" ".join(path))

    with click.Context(cli) as ctx:
        walk(cli, ctx, [])
    return found


# -- the checks -----------------------------------------------------------------------------


def _walk(
    value: Any, keys: list[Key], where: str, seen: set[tuple[str, str]], problems: list[str]
) -> None:
    """Check each key of the objects in `value` (and of their objects, at any depth)."""
    items = value if isinstance(value, list) else [value]
    for item in items:
        if not isinstance(item, dict):
            problems.append(f"{where}: {item!r} is not an object")
            continue
        for name, v in item.items():
            key = lookup(keys, name)
            if key is None:
                problems.append(f"{where}: key {name!r} is not in docs/cli.md")
                continue
            seen.add((where.split(":")[0], key.name))
            if not key.check(v):  # (one line per key and place, however many values)
                problems.append(f"{where}: {name} is not {key.type}, e.g. {v!r:.60}")
            elif _nested(key.type) and v is not None:
                _walk(v, keys, f"{where.split(':')[0]}: {name}", seen, problems)


def _checked(outputs: list[Output]) -> tuple[list[Key], set[tuple[str, str]], list[str]]:
    keys = documented()
    seen: set[tuple[str, str]] = set()
    problems: list[str] = []
    for out in outputs:
        _walk(out.document, keys, out.command, seen, problems)
    return keys, seen, problems


@pytest.mark.slow
def test_every_json_key_is_documented_with_its_type(outputs: list[Output]) -> None:
    _keys, _seen, problems = _checked(outputs)
    first: dict[str, str] = {}
    for problem in problems:
        first.setdefault(problem.split(", e.g. ")[0], problem)
    assert not first, "\n".join(sorted(first.values()))


@pytest.mark.slow
def test_the_doc_names_the_commands_of_each_key(outputs: list[Output]) -> None:
    """Each key is printed by the commands its row names, and each row's commands print it
    (`any`: the error keys, of every command)."""
    keys, seen, _problems = _checked(outputs)
    unnamed = sorted(
        f"{command} prints {key}, which the doc does not say"
        for command, key in seen
        if command not in next(k for k in keys if k.name == key).commands
        and ANY not in next(k for k in keys if k.name == key).commands
    )
    assert not unnamed, "\n".join(unnamed)
    stale = sorted(
        f"the doc says {command} prints {k.name}; it did not"
        for k in keys
        for command in k.commands - {ANY}
        if (command, k.name) not in seen
    )
    assert not stale, "\n".join(stale)
    never = sorted(k.name for k in keys if not any(key == k.name for _c, key in seen))
    assert not never, f"documented keys no command printed: {never}"


@pytest.mark.slow
def test_every_command_with_json_is_run(outputs: list[Output]) -> None:
    """A new command with --json fails here until `_run_everything` runs it (and so checks
    its keys against the doc)."""
    assert json_commands() == {out.command for out in outputs}


def test_the_doc_table_is_well_formed() -> None:
    """Every row parses (its type is one the doc defines), no key is documented twice, and
    the rows are in key order, so that a reader finds a key."""
    keys = documented()
    names = [k.name for k in keys]
    assert len(set(names)) == len(names), [n for n in names if names.count(n) > 1]
    assert names == sorted(names), "rows not in key order"
    commands = set().union(*(k.commands for k in keys)) - {ANY}
    assert commands <= json_commands(), commands - json_commands()
