"""The commands the docs and `--help` show can be typed as written: a command that acts as a
principal names one (`--as`: else "No principal given"), and an example id is a whole one
(a shortened id such as "3f2a..." reads as if `entity` took prefixes; it does not)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from ironriver.cli import cli

ROOT = Path(__file__).parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# commands that act as a principal (`audit verify`, `mapping draft`, `ingest --dry-run`,
# `world`, `strategy`, `eval` and `init` need none)
AS_PRINCIPAL = ("ingest", "search", "entity", "export", "retract", "datasets", "ledgers", "stats")
AUDIT_AS_PRINCIPAL = ("log", "checkpoint", "restart-reads")


def _commands(path: Path) -> list[str]:
    """The `ironriver ...` command lines of `path`'s code blocks (fenced, or indented by
    four spaces), continuation lines joined, comments dropped."""
    out: list[str] = []
    fenced = False
    pending = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
            continue
        if not (fenced or line.startswith("    ")):
            continue
        text = pending + " " + line.strip() if pending else line.strip()
        if text.endswith("\\"):
            pending = text[:-1].strip()
            continue
        pending = ""
        if text.startswith("ironriver "):
            out.append(text.split("  #")[0].split(" # ")[0].strip())
    return out


def _acts_as_principal(words: list[str]) -> bool:
    command = words[1]
    if command == "ingest":
        return "--dry-run" not in words
    if command == "audit":
        return words[2] in AUDIT_AS_PRINCIPAL
    return command in AS_PRINCIPAL


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_documented_commands_that_act_as_someone_name_them(path: Path) -> None:
    missing = [
        line
        for line in _commands(path)
        if _acts_as_principal(words := shlex.split(line)) and "--as" not in words
    ]
    assert missing == [], f"{path.name}: add --as PRINCIPAL to {missing}"


def test_the_docs_show_commands_to_check() -> None:
    # (so the test above cannot pass by reading nothing)
    commands = [c for path in DOCS for c in _commands(path)]
    assert any(c.startswith("ironriver ingest sales.yaml --as") for c in commands)
    assert any(c.startswith("ironriver search") for c in commands)


@pytest.mark.parametrize("command", [["entity"], ["retract"], ["audit", "log"]])
def test_help_examples_show_a_whole_entity_id(command: list[str]) -> None:
    result = CliRunner().invoke(cli, ["--lang", "en", *command, "--help"])
    assert result.exit_code == 0
    example = re.split(r"Examples?:", result.output)[1].split("Options:")[0]
    assert "..." not in example and re.search(r"\b[0-9a-f]{40}\b", example), example


def _english_help(path: list[str]) -> str:
    """`path`'s `--help` in English. Asked without `--lang`, a help in process shows the
    language the command objects were last localized in (`cli_i18n.localize_help`; `main()`
    localizes them first, `CliRunner` does not): after `test_i18n.py`'s Spanish helps, the
    top-level help read "Ejemplo:" and the examples were not found."""
    return CliRunner().invoke(cli, ["--lang", "en", *path, "--help"]).output


def _command_paths(group: click.Group, path: list[str]) -> list[list[str]]:
    """`path` and every command and group under `group`, as the words that name them."""
    ctx = click.Context(group)
    out = [path]
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            out += _command_paths(command, [*path, name])
        else:
            out.append([*path, name])
    return out


def test_every_command_and_group_help_shows_an_example() -> None:
    """docs/cli.md: every `--help`, a group's (`audit`, `eval`) included, shows an example."""
    paths = _command_paths(cli, [])
    assert ["audit"] in paths and ["eval", "world"] in paths  # (the walk reads the tree)
    missing = [
        " ".join(path) or "ironriver"
        for path in paths
        if not re.search(r"Examples?:\s+\S*ironriver ", _english_help(path))
    ]
    assert missing == []


# a Python call's keyword arguments the docs write as `name=value`, not ledger filters
_NOT_COLUMNS = {"audit", "encoding"}


def test_ledger_filters_in_the_docs_name_columns_the_worlds_ledgers_have(tmp_path: Path) -> None:
    """Every `--where COLUMN=VALUE` of the README and the docs, and every `column=value`
    example of the pages that describe `ledger` (docs/cli.md, docs/policy.md), names a
    column of a world ledger: ledger columns are the mapping's names, not the CSV headers
    (R14: docs/cli.md showed `sold=30/11/2024`; the dealer sales' column is `sale_date`)."""
    import yaml

    from ironriver.world import WorldConfig, generate_world

    paths = generate_world(WorldConfig(scale=0.003, years=1, seed=3, out=tmp_path / "w"))
    columns: set[str] = set()
    for mapping in paths.mappings():
        for dataset in yaml.safe_load(mapping.read_text(encoding="utf-8")).values():
            for query in dataset.get("queries", []):
                columns |= set(query.get("ledger", {}).get("columns", {}))
    assert {"sale_date", "serial", "read_at", "plate"} <= columns
    named: set[tuple[str, str]] = set()
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        named |= {(path.name, c) for c in re.findall(r"--where[ =]([a-z_]+)=", text)}
        if path.name in {"cli.md", "policy.md"}:
            named |= {(path.name, c) for c in re.findall(r"`([a-z][a-z_]*)=[^`=]", text)}
    named = {(page, c) for page, c in named if c not in _NOT_COLUMNS}
    assert {c for _, c in named} >= {"sale_date", "read_at", "serial"}
    assert sorted((page, c) for page, c in named if c not in columns) == []


def _code_lines(path: Path, heading: str) -> list[str]:
    """The lines of the code blocks (indented by four spaces) of `path`'s section `heading`,
    comments dropped."""
    text = path.read_text(encoding="utf-8")
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return [
        line.strip().split("  #")[0].strip()
        for line in section.splitlines()
        if line.startswith("    ") and line.strip()
    ]


def test_the_readme_sets_up_in_two_commands_and_tours_in_ten_lines() -> None:
    """The README promises two set-up commands and a ten-line tour (it had grown to twelve)."""
    readme = ROOT / "README.md"
    assert _code_lines(readme, "Set up") == ["make demo", "make test"]
    tour = _code_lines(readme, "A ten-line tour of the CLI")
    assert len(tour) == 10 and all(line.startswith("ironriver ") for line in tour), tour


def _parse_error(words: list[str]) -> str | None:
    """What click says of the command line `words` (after `ironriver`) without running it: an
    unknown command or option, an option missing its value; None when it parses."""
    command: click.Command = cli
    ctx = click.Context(cli, info_name="ironriver")
    args = words
    while isinstance(command, click.Group):
        try:
            _, rest, _ = command.make_parser(ctx).parse_args(list(args))
        except click.UsageError as exc:
            return exc.format_message()
        if not rest:
            return "no command"
        sub = command.get_command(ctx, rest[0])
        if sub is None:
            return f"no command {rest[0]!r}"
        command, args = sub, rest[1:]
        ctx = click.Context(command, info_name=rest[0], parent=ctx)
    try:
        command.make_parser(ctx).parse_args(list(args))
    except click.UsageError as exc:
        return exc.format_message()
    return None


def test_documented_commands_name_commands_and_options_that_exist() -> None:
    """Every `ironriver ...` line of the docs' code blocks (the README's tour included) names
    a command that exists, with options it takes, as click reads them."""
    assert _parse_error(["search", "x", "--bogus"]) is not None  # (the check can fail)
    assert _parse_error(["nothing"]) is not None
    wrong = []
    for path in DOCS:
        for line in _commands(path):
            words = shlex.split(line.replace("[", "").replace("]", ""))[1:]
            if (error := _parse_error(words)) is not None:
                wrong.append(f"{path.name}: {line}: {error}")
    assert wrong == []


def _help_examples(path: list[str]) -> list[str]:
    """The `ironriver ...` command lines of the examples of `path`'s `--help`, continuation
    lines joined, comments dropped."""
    out = _english_help(path)
    block = re.split(r"Examples?:", out, maxsplit=1)[1]
    block = re.sub(r"\\\n\s*", " ", re.split(r"\n(?:Options|Commands):", block)[0])
    found = (re.search(r"\bironriver .*", line.split("  #")[0]) for line in block.splitlines())
    return [match.group(0).strip() for match in found if match]


def test_help_examples_are_read_in_english_after_a_spanish_help() -> None:
    """The checks of the help examples read them after any other test (order under
    pytest-xdist varies): one that left the help in Spanish made them find none."""
    assert CliRunner().invoke(cli, ["--lang", "es", "--help"]).output.count("Ejemplo")
    assert "ironriver demo" in _help_examples([])


def test_help_examples_that_act_as_someone_name_them() -> None:
    """As the docs' commands (above): `ironriver --help`'s `--log-json ingest sales.yaml`
    named no principal, so typed as shown it stopped at "No principal given"; so did `ingest
    --help`'s `--entities` example (H69; `test_help_examples_run.py` runs them all)."""
    paths = _command_paths(cli, [])
    missing = []
    for path in paths:
        for line in _help_examples(path):
            words = [w for w in shlex.split(line) if w not in {"--log-json", "--log-level", "info"}]
            if len(words) > 1 and _acts_as_principal(words) and "--as" not in words:
                missing.append(line)
    assert any("--log-json ingest" in line for line in _help_examples([]))  # (read)
    assert any("ingest --entities" in line for line in _help_examples(["ingest"]))
    assert missing == []


@pytest.mark.parametrize("lang", ["en", "es"])
def test_help_names_the_defaults_the_code_takes(lang: str) -> None:
    """`--lang` falls back to the locale ($LANG) and English (docs/i18n.md), and
    `--principals` to $IRONRIVER_PRINCIPALS, ./principals.yaml and the built-in principals:
    the help said neither."""
    top = CliRunner().invoke(cli, ["--lang", lang, "--help"], terminal_width=200).output
    assert "$LANG" in top.split("--lang")[1]
    shown = CliRunner().invoke(cli, ["--lang", lang, "datasets", "--help"], terminal_width=200)
    line = next(x for x in shown.output.splitlines() if "--principals" in x)
    assert "$IRONRIVER_PRINCIPALS" in line and "./principals.yaml" in line


@pytest.mark.parametrize("lang", ["en", "es"])
def test_eval_help_says_every_miss_that_exits_1(lang: str) -> None:
    """`eval search` also fails on a whole-name purity below its floor, `eval drafts` on a
    date layout that differs from its mapping's: their help named only recall (and "the
    floors")."""
    from ironriver.ingest.evaluate import ENTITY_RECALL_FLOOR
    from ironriver.policy.evaluate import WHOLE_PURITY_FLOORS

    assert WHOLE_PURITY_FLOORS and ENTITY_RECALL_FLOOR  # (the floors the help speaks of)
    words = {"en": ("purity", "date column"), "es": ("pureza", "columna de fecha")}[lang]
    for command, word in zip(["search", "drafts"], words, strict=True):
        shown = CliRunner().invoke(cli, ["--lang", lang, "eval", command, "--help"]).output
        exits = " ".join(shown.split()).split("Exits 1" if lang == "en" else "Sale con 1")[1]
        assert word in exits.split(".")[0], shown


@pytest.mark.parametrize("lang", ["en", "es"])
def test_model_dir_help_names_the_folder_it_writes_by_default(lang: str) -> None:
    """`model-dir` without TARGET writes `.ironriver-model` (docs/cli.md); its help did not
    say where."""
    command = cli.get_command(click.Context(cli), "model-dir")
    assert command is not None
    [target] = command.params
    shown = CliRunner().invoke(cli, ["--lang", lang, "model-dir", "--help"]).output
    assert str(target.default) in shown


@pytest.mark.parametrize("lang", ["en", "es"])
def test_retract_help_says_an_admin_may_do_what_its_examples_do(lang: str) -> None:
    """`retract --help` said "statements your agency made", and its examples retract as
    `loader`, an admin of OIG, what other agencies loaded (docs/policy.md, "Retraction":
    `admin`: any)."""
    import yaml

    from ironriver.policy import DEFAULT_PRINCIPALS_YAML, parse_principals

    loader = parse_principals(yaml.safe_load(DEFAULT_PRINCIPALS_YAML))["loader"]
    assert "admin" in loader.roles and loader.agency == "OIG"
    shown = CliRunner().invoke(cli, ["--lang", lang, "retract", "--help"]).output
    assert "--as loader" in shown
    words = {"en": "an admin may withdraw any agency's", "es": "un administrador puede retirar"}
    assert words[lang] in " ".join(shown.split())
