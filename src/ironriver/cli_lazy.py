"""Capability command groups that the top-level CLI imports only when one is used.

`ironriver search` should not pay for loading SciPy, pandas and the world generator, and
`ironriver --help`, which lists every command with its one-line help, should not import
them either (it took 3.5-6.5 s on a loaded 2-core host, ~1 s of it the CLI's own imports).
So the listing reads a lazy command's help from its module's source: the docstring of the
function its decorator turns into the command, which is exactly the text click makes the
command's help from. A command whose help its source does not state that plainly (a `help=`
or `short_help=` argument, an attribute that is not a decorated function) is imported as
before; tests compare both ways for every lazy command and language.
"""

from __future__ import annotations

import ast
import importlib
from functools import cache
from pathlib import Path

import click

from ironriver.cli_i18n import localize_help, translate_help
from ironriver.i18n import current_lang

LAZY_COMMANDS = {
    "demo": "ironriver.cli_demo:demo_command",
    "eval": "ironriver.cli_eval:eval_group",
    "ingest": "ironriver.cli_ingest:ingest_command",
    "ledger": "ironriver.cli_ledger:ledger",
    "mapping": "ironriver.cli_ingest:mapping_group",
    "strategy": "ironriver.cli_strategy:strategy",
    "world": "ironriver.cli_world:world",
}

_PACKAGE_DIR = Path(__file__).parent


def load_lazy(name: str) -> click.Command:
    """Import lazy command `name`, its help in the current language."""
    module_name, attr = LAZY_COMMANDS[name].split(":")
    command = getattr(importlib.import_module(module_name), attr)
    assert isinstance(command, click.Command)
    localize_help(command, current_lang())
    return command


def listing_stub(name: str) -> click.Command | None:
    """A stand-in for lazy command `name` in the top-level help's list, carrying the help
    its module's source gives (translated), or None when the source does not give it
    plainly (then the command is imported). It is never run."""
    doc = source_help(name)
    if doc is None:
        return None
    return click.Command(name, help=translate_help(doc, current_lang()) if doc else None)


@cache
def source_help(name: str) -> str | None:
    """The English help of lazy command `name` as click makes it from the decorated
    function's docstring ("" when it has none), read from the module's source without
    running it; None when the source does not say it plainly."""
    module_name, attr = LAZY_COMMANDS[name].split(":")
    path = _PACKAGE_DIR.joinpath(*module_name.split(".")[1:]).with_suffix(".py")
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):  # e.g. installed without sources
        return None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == attr:
            makers = [d for d in node.decorator_list if _makes_command(d)]
            if len(makers) != 1 or _names_help(makers[0]):
                return None
            doc = ast.get_docstring(node, clean=True) or ""
            return doc.split("\f", 1)[0]  # click drops what follows a form feed
    return None


def _makes_command(decorator: ast.expr) -> bool:
    """Whether `decorator` is click's `command(...)` or `group(...)` (as `click.command`)."""
    func = decorator.func if isinstance(decorator, ast.Call) else decorator
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name in {"command", "group"}


def _names_help(decorator: ast.expr) -> bool:
    """Whether the command's decorator gives help of its own, hides or deprecates it, or
    makes it of another class (which the docstring alone does not tell)."""
    return isinstance(decorator, ast.Call) and any(
        k.arg in {"help", "short_help", "hidden", "deprecated", "cls"} for k in decorator.keywords
    )
