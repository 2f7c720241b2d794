"""Every example of every `--help` runs as written after `ironriver demo` (H69).

An analyst copies an example from `--help` after `ironriver demo` (or `make demo`, in the
checkout: `examples/` is there) and expects it to work. `ironriver --help` says how: run the
demo, then `export IRONRIVER_DB=ironriver-demo/demo.db`. So the test makes a folder as the
analyst has it (the demo run in it by the real CLI, a copy of `examples/`), takes each example
line of every command's and group's English `--help` (continuation lines joined, comments
dropped; a line shown by two helps once), and runs it there as typed: in process through
click, or through bash for a shell line (`FTM_MODEL_PATH=$(ironriver model-dir) ftm ...`).
Each must exit 0 and, where cheap, do what it says (`CHECKS`: an `entity` example prints that
entity, a `retract` retracts, a `--where` finds its values, a `-o FILE` is written...).

The demo's world is seeded and its ids are content hashes, so the entity ids, serials and
plates the examples name are the same on every run: when the world generator changes, this
test names the examples to give new values (`ironriver demo` prints the recovered gun's id;
`search`/`entity` find the others).

Order: the examples that make what others read run first (a world: `eval`; an export: `ftm
validate`, `ingest --entities`), the audit log's last (it lists the reads before it); those
that change the store or a file others read run on a copy of the folder each (`_ON_A_COPY`).
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from ironriver.cli import cli
from ironriver.i18n import set_fallback_lang, set_lang

ROOT = Path(__file__).parents[2]
#: The analyst's first example (`ironriver --help`): the fixture runs it.
DEMO = "ironriver demo"
#: Examples that cannot run here, with why (keep it minimal): none. A pure `--help` is not an
#: example of a command's work and is left out by `_runs`.
NOT_RUN: dict[str, str] = {}


def _help_paths(group: click.Group, path: list[str]) -> Iterator[list[str]]:
    """`path` and every command and group under `group`, as the words that name them."""
    yield path
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            yield from _help_paths(command, [*path, name])
        else:
            yield [*path, name]


def help_examples() -> list[tuple[str, str]]:
    """(whose help, example line) of every English `--help`: the lines of its examples
    block, continuation lines (`\\`) joined, comments dropped; a line two helps show, once."""
    found: dict[str, str] = {}
    for path in _help_paths(cli, []):
        shown = CliRunner().invoke(cli, ["--lang", "en", *path, "--help"]).output
        block = re.split(r"Examples?:", shown, maxsplit=1)[1]
        block = re.split(r"\n(?:Options|Commands):", block)[0]
        for line in re.sub(r"\\\n\s*", " ", block).splitlines():
            line = line.split("  #")[0].strip()
            if line:
                found.setdefault(line, " ".join(["ironriver", *path]))
    return [(where, line) for line, where in found.items()]


def _command(words: list[str]) -> list[str]:
    """An `ironriver` line's words after the group's options (`--log-level info`...)."""
    rest = words[1:]
    while rest and rest[0].startswith("--"):
        rest = rest[2:] if rest[0] in ("--log-level", "--lang") else rest[1:]
    return rest


def _order(words: list[str]) -> int:
    """-1: sets the environment of the others; 0: makes what others read (a world, an
    export); 2: reads the audit log, after the reads and searches of the others; 1: the
    rest."""
    if words[0] == "export":  # `export IRONRIVER_DB=...`: before any
        return -1
    command = _command(words) if words[0] == "ironriver" else []
    if command[:2] == ["world", "generate"] or command[:1] == ["export"]:
        return 0
    return 2 if command[:1] == ["audit"] else 1


_ON_A_COPY = (
    ["ingest"],
    ["retract"],
    ["init"],
    ["audit", "restart-reads"],
    ["audit", "checkpoint"],
)


def _on_a_copy(words: list[str]) -> bool:
    """Changes the store (or `init`: writes ./principals.yaml, which every later command
    reads): runs on a copy of the folder of its own. A dry run writes nothing."""
    command = _command(words) if words[0] == "ironriver" else []
    if "--dry-run" in command:
        return False
    return any(command[: len(c)] == c for c in _ON_A_COPY)


def _option(words: list[str], *names: str) -> str | None:
    """The value of the first of `names` in `words`."""
    for name in names:
        if name in words:
            return words[words.index(name) + 1]
    return None


def _entity_shown(words: list[str], out: str, folder: Path) -> bool:
    return words[1] in out


def _hits(words: list[str], out: str, folder: Path) -> bool:
    return re.search(r"\b[0-9a-f]{40}\b", out) is not None  # an entity id: a hit's row


def _where_values_shown(words: list[str], out: str, folder: Path) -> bool:
    values = [w.split("=", 1)[1] for w in words[words.index("--where") :] if "=" in w]
    return bool(values) and all(v in out for v in values)


def _retracted(words: list[str], out: str, folder: Path) -> bool:
    if "--file" in words:  # a ledger file's rows: the file is named, its rows are gone
        return _option(words, "--file") in out and "Retracted" in out
    return words[1] in out and "Retracted" in out


def _ingested(words: list[str], out: str, folder: Path) -> bool:
    """Every dataset it loads (or checks) is named: `--dataset`, or each mapping's."""
    given = _option(words, "--dataset")
    datasets = [given] if given else []
    for word in words:
        if word.endswith(".yaml"):
            datasets += [*yaml.safe_load((folder / word).read_text(encoding="utf-8"))]
    return bool(datasets) and all(d in out for d in datasets)


def _a_mapping(words: list[str], out: str, folder: Path) -> bool:
    written = _option(words, "-o", "--out")
    text = (folder / written).read_text(encoding="utf-8") if written else out
    drafted = yaml.safe_load(text)
    return isinstance(drafted, dict) and all("queries" in d for d in drafted.values())


def _audit_log(words: list[str], out: str, folder: Path) -> bool:
    named = [_option(words, o) for o in ("--target", "--actor", "--action")]
    return all(n in out for n in named if n is not None)


def _valid_entities(words: list[str], out: str, folder: Path) -> bool:
    lines = out.splitlines()
    return bool(lines) and all("schema" in json.loads(line) for line in lines)


def _stats(words: list[str], out: str, folder: Path) -> bool:
    return bool(json.loads(out)["statements_by_dataset"])


#: What an example says it does, checked where cheap (beside its exit code and the files its
#: `-o`, `--out` or `--chart` names), by its command.
CHECKS: dict[tuple[str, ...], Callable[[list[str], str, Path], bool]] = {
    ("entity",): _entity_shown,
    ("search",): _hits,
    ("ledger",): _where_values_shown,
    ("retract",): _retracted,
    ("ingest",): _ingested,
    ("mapping", "draft"): _a_mapping,
    ("audit", "log"): _audit_log,
    ("audit", "verify"): lambda _w, out, _f: "Audit log intact" in out,
    ("audit", "verify-data"): lambda _w, out, _f: "Statements intact" in out,
    ("audit", "checkpoint"): lambda _w, out, _f: "Reads chain anchored" in out,
    ("audit", "restart-reads"): lambda _w, _o, folder: any(folder.rglob("*.read-audit.sqlite")),
    ("datasets",): lambda _w, out, _f: "us_atf_dealer_sales" in out,
    ("ledgers",): lambda _w, out, _f: "dealer_sales" in out,
    ("stats",): _stats,
    ("init",): lambda words, _o, folder: (folder / str(_option(words, "--db"))).is_file(),
    ("demo",): lambda words, _o, folder: (folder / str(_option(words, "--workdir"))).is_dir(),
    ("model-dir",): _valid_entities,  # (`ftm validate` prints the entities it accepts)
}


def _check(words: list[str], out: str, folder: Path) -> bool:
    """`CHECKS`' check of the example `words` (patterns expanded), given its standard output;
    a shell line is checked as the `ironriver` command in it."""
    if words[0] == "ironriver":
        command = _command(words)
    else:
        command = re.findall(r"\bironriver ([\w-]+)", " ".join(words))[:1]
    for path in (tuple(command[:2]), tuple(command[:1])):
        if path in CHECKS:
            return CHECKS[path](command, out, folder)
    return True


def _lose_the_read_audit_file(folder: Path) -> None:
    # what `audit restart-reads` records ("disk lost"): the read-audit file is gone
    for lost in folder.rglob("*.read-audit.sqlite"):
        lost.unlink()


#: What an example's own words say happened before it (its precondition).
BEFORE: dict[tuple[str, ...], Callable[[Path], None]] = {
    ("audit", "restart-reads"): _lose_the_read_audit_file,
}


def _expanded(word: str, folder: Path) -> list[str]:
    """A word as a shell gives it: a pattern (`*/mapping.yaml`) as the files it matches."""
    if not any(c in word for c in "*?["):
        return [word]
    matched = sorted(glob.glob(word, root_dir=folder))
    return matched or [word]


def _run(line: str, folder: Path, env: dict[str, str]) -> tuple[int, str, str]:
    """Run one example line in `folder` with `env` added: an `ironriver` line in process (as a
    new process would: no language chosen yet), any other through bash. Its exit code,
    standard output, and all it printed."""
    words = shlex.split(line)
    if words[0] != "ironriver":
        bin_dir = Path(sys.executable).parent  # (`ironriver` and `ftm` are there)
        assert (bin_dir / "ironriver").exists(), f"no ironriver beside {sys.executable}"
        path = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
        done = subprocess.run(
            ["bash", "-c", line],
            cwd=folder,
            env={**os.environ, **env, "PATH": path},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        return done.returncode, done.stdout, done.stdout + done.stderr
    args = [a for w in words[1:] for a in _expanded(w, folder)]
    set_lang(None)
    set_fallback_lang(None)
    with contextlib.chdir(folder):
        result = CliRunner().invoke(cli, args, env=env)
    out = result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        out += f"\n{type(result.exception).__name__}: {result.exception}"
    return result.exit_code, result.stdout, out


def _written(words: list[str]) -> list[str]:
    """The files or folders an example line names to write."""
    return [v for o in ("-o", "--out", "--chart") if (v := _option(words, o)) is not None]


@pytest.fixture(scope="module")
def after_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder as the analyst has it after `make demo` in the checkout: the demo's folder
    (`ironriver-demo`, made by the real CLI) and `examples/`; no principals file (the
    built-in principals, as the demo's own)."""
    folder = tmp_path_factory.mktemp("after-demo")
    shutil.copytree(ROOT / "examples", folder / "examples")
    with pytest.MonkeyPatch.context() as mp:
        for name in [n for n in os.environ if n.startswith("IRONRIVER_")]:
            mp.delenv(name)
        code, _, out = _run(DEMO, folder, {})
        assert code == 0, out
        yield folder


def _runs(line: str) -> bool:
    """Not an example of a command's work: a pure `--help`; the demo, which the fixture ran."""
    return line not in (DEMO, "ironriver --help") and line not in NOT_RUN


@pytest.mark.slow
def test_every_help_example_runs_after_the_demo(
    after_demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [n for n in os.environ if n.startswith("IRONRIVER_")]:
        monkeypatch.delenv(name)
    examples = help_examples()
    lines = [line for _, line in examples]
    assert DEMO in lines and len(lines) > 40  # (the examples were read)
    env: dict[str, str] = {}
    failed: list[str] = []
    copies = 0
    for where, line in sorted(examples, key=lambda e: _order(shlex.split(e[1]))):
        words = shlex.split(line)
        if words[0] == "export":  # `export NAME=VALUE`: for every example after it
            name, _, value = words[1].partition("=")
            env[name] = value
            continue
        if not _runs(line):
            continue
        folder = after_demo
        if _on_a_copy(words):
            copies += 1
            folder = tmp_path / f"copy{copies}"
            # (the generated worlds, `w` and `w-decap`: no example run on a copy reads them)
            worlds = shutil.ignore_patterns("w", "w-*")
            shutil.copytree(after_demo, folder, symlinks=True, ignore=worlds)
        command = _command(words) if words[0] == "ironriver" else []
        for path, before in BEFORE.items():
            if tuple(command[: len(path)]) == path:
                before(folder)
        code, stdout, out = _run(line, folder, env)
        missing = [w for w in _written(words) if not (folder / w).exists()]
        expanded = [a for w in words for a in _expanded(w, folder)]
        try:
            did = code == 0 and _check(expanded, stdout, folder)
        except (OSError, ValueError, KeyError) as exc:  # (what it printed or wrote is not so)
            did, out = False, f"{out}\n{exc!r}"
        if code != 0 or missing or not did:
            said = f"exit {code}" + (f", did not write {missing}" if missing else "")
            failed.append(f"{where}: {line}\n  ({said})\n  {out[-1200:]}")
    assert failed == [], "\n\n".join(failed)
    assert "IRONRIVER_DB" in env  # (`ironriver --help` says which store the examples read)
