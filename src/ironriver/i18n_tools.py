"""Keep the Spanish catalogs complete: find every text a user reads, and what lacks Spanish.

Texts come from three places:
- templates marked in the code with `t(...)`, `msg(...)` or `marked(...)` (found in the syntax tree);
- the labels, plurals and descriptions of ironriver's own schemata (`model/schema/*.yaml`;
  FtM's catalogs translate FtM's own), and FtM's own labels its Spanish catalog lacks;
- the command line's help: every command's and option's help text, read from the `ironriver`
  command tree itself (so nothing needs marking twice), the prose of its examples
  (comments, --reason values: `cli_i18n.example_texts`) and its placeholders (`TEXT`,
  `[OPTIONS]`: `cli_i18n.metavars`);
- click's own texts (its errors and help words, marked `_(...)`/`ngettext(...)` in its source,
  read from the installed click: a click upgrade with new texts fails the check).

`python -m ironriver.i18n_tools missing` prints a PO entry, with an empty translation and the
places it comes from, for every text no catalog translates yet: paste them into the
catalog of their area (`src/ironriver/locale/es/LC_MESSAGES/<area>.po`) and translate.
`python -m ironriver.i18n_tools check` exits 1 on any problem (what `tests/test_i18n.py`
asserts): a missing translation, a translation whose `{fields}` differ from its template's, a
template that is not a literal string, a catalog entry nothing uses any more, or one text
translated differently in two catalogs.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import click

from ironriver.cli_i18n import (
    EXAMPLE_CONTEXT,
    EXAMPLE_WORDS,
    METAVAR_CONTEXT,
    example_texts,
    help_template,
    metavars,
)
from ironriver.i18n import LOCALE_DIR, Lang, catalog_key, fields_of

PACKAGE = Path(__file__).resolve().parent
KEYWORDS = ("t", "msg", "marked", "pt", "nt", "nmsg")
PLURAL = ("nt", "nmsg")  # (singular, plural, n, ...): two templates


@dataclass
class Texts:
    """Every user-facing text, with where it comes from."""

    places: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    not_literal: list[str] = field(default_factory=list)  # places of t()/msg() with no literal


def code_texts(root: Path = PACKAGE) -> Texts:
    """Templates marked with `t(...)`/`msg(...)` in the package's Python files: calls of
    those names in modules that import them from `ironriver.i18n` (a local variable `t`
    elsewhere is no template)."""
    texts = Texts()
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent)
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        marked = _imported_markers(tree)
        if path.name == "i18n.py":
            marked = set(KEYWORDS)
        if not marked:
            continue
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in marked
            ):
                continue
            # pt(context, template, ...); nt/nmsg(singular, plural, n, ...): two templates;
            # the others (template, ...)
            plural = node.func.id in PLURAL
            literals = node.args[: 2 if node.func.id == "pt" or plural else 1]
            if literals and all(
                isinstance(a, ast.Constant) and isinstance(a.value, str) for a in literals
            ):
                values = [str(a.value) for a in literals]  # type: ignore[attr-defined]
                if plural:
                    keys = values
                else:
                    keys = [catalog_key(values[-1], values[0] if len(values) == 2 else "")]
                for key in keys:
                    texts.places[key].append(f"{rel}:{node.lineno}")
            elif path.name != "i18n.py":  # i18n's own helpers pass templates through
                texts.not_literal.append(f"{rel}:{node.lineno}")
    return texts


def _imported_markers(tree: ast.Module) -> set[str]:
    """The marker names (`t`, `msg`) a module imports from `ironriver.i18n`."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "ironriver.i18n":
            names |= {a.asname or a.name for a in node.names if a.name in KEYWORDS}
    return names


def help_texts(texts: Texts | None = None) -> Texts:
    """The help of every command and option of the `ironriver` command tree."""
    from ironriver.cli import cli
    from ironriver.cli_lazy import LAZY_COMMANDS

    texts = texts or Texts()
    ctx = click.Context(cli)
    for name in LAZY_COMMANDS:  # load the lazily imported groups
        cli.get_command(ctx, name)

    def add(text: str | None, place: str) -> None:
        prose, tail = help_template(text or "")
        if prose:
            texts.places[prose].append(place)
        for word in EXAMPLE_WORDS:
            if word in tail:
                texts.places[word].append(place)
                break
        for example in example_texts(tail):
            texts.places[catalog_key(example, EXAMPLE_CONTEXT)].append(f"example in {place}")

    def walk(cmd: click.Command, path: str) -> None:
        for placeholder in metavars(cmd):
            texts.places[catalog_key(placeholder, METAVAR_CONTEXT)].append(f"usage of `{path}`")
        original = cmd.__dict__.get("_ironriver_help", {})  # English, if localized before
        add(original.get("help", cmd.help), f"help of `{path}`")
        add(original.get("short_help", cmd.short_help), f"short help of `{path}`")
        for param in cmd.params:
            text = param.__dict__.get("_ironriver_help", getattr(param, "help", None))
            add(text, f"help of `{path} {param.opts[-1]}`")
        if isinstance(cmd, click.Group):
            for sub_name, sub in sorted(cmd.commands.items()):
                walk(sub, f"{path} {sub_name}")

    walk(cli, "ironriver")
    return texts


def model_texts(texts: Texts | None = None) -> Texts:
    """Labels, plurals and descriptions of ironriver's own schemata, and the labels of FtM's
    own that FtM's catalog does not translate (it translates the others)."""
    from ironriver.model import schema_dir
    from ironriver.model.labels import ftm_label_texts, ftm_translates, yaml_texts

    texts = texts or Texts()
    for text, place in [*yaml_texts(schema_dir()), *ftm_label_texts()]:
        if text and not ftm_translates(text, "es"):  # else FtM's own catalog is used
            texts.places[text].append(place)
    return texts


def click_texts(texts: Texts | None = None) -> Texts:
    """The texts click marks for gettext in its own modules (both forms of an `ngettext`),
    plus "required", which it translates through a variable."""
    from ironriver.cli_i18n import CLICK_MODULES

    texts = texts or Texts()
    folder = Path(click.__file__).resolve().parent
    for module in CLICK_MODULES:
        path = folder / f"{module.rpartition('.')[2]}.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("_", "ngettext")
            ):
                continue
            forms = node.args[: 2 if node.func.id == "ngettext" else 1]
            for arg in forms:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    texts.places[arg.value].append(f"click/{path.name}:{node.lineno}")
    texts.places["required"].append("click/core.py (get_help_extra)")
    return texts


def all_texts() -> Texts:
    return click_texts(model_texts(help_texts(code_texts())))


def catalogs(lang: Lang = "es") -> dict[str, dict[str, str]]:
    """Each catalog file's translations (name -> {template: translation}), fuzzy and empty
    entries included as '' (so that they count as missing)."""
    from babel.messages.pofile import read_po

    out: dict[str, dict[str, str]] = {}
    for path in sorted((LOCALE_DIR / lang / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as fh:
            entries = {}
            for message in read_po(fh, locale=lang):
                if isinstance(message.id, str) and message.id:
                    ok = isinstance(message.string, str) and not message.fuzzy
                    key = catalog_key(message.id, message.context or "")
                    entries[key] = str(message.string) if ok else ""
            out[path.name] = entries
    return out


def problems(lang: Lang = "es") -> list[str]:
    texts = all_texts()
    cats = catalogs(lang)
    found: list[str] = [
        f"not a literal template (cannot be translated): {p}" for p in texts.not_literal
    ]
    merged: dict[str, tuple[str, str]] = {}
    for name, entries in cats.items():
        for template, translation in entries.items():
            if template in merged and translation and merged[template][1] != translation:
                found.append(
                    f"{template!r} is translated differently in {merged[template][0]} and {name}"
                )
            if translation:
                merged[template] = (name, translation)
            if template not in texts.places:
                found.append(f"{name}: {template!r} is used nowhere any more (remove it)")
    for template, places in sorted(texts.places.items()):
        if template not in merged:
            found.append(f"no {lang} translation of {template!r} ({', '.join(places[:3])})")
            continue
        name, translation = merged[template]
        english = template.rpartition("\x04")[2]  # without its context
        if fields_of(english) != fields_of(translation):
            found.append(
                f"{name}: the fields of {template!r} {sorted(fields_of(english))} differ "
                f"from its translation's {sorted(fields_of(translation))}"
            )
    return found


def missing_entries(lang: Lang = "es") -> str:
    """PO entries (empty translations) for the texts no catalog translates."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    texts = all_texts()
    have = {t for entries in catalogs(lang).values() for t, s in entries.items() if s}
    cat = Catalog(locale=lang)
    for key, places in sorted(texts.places.items()):
        if key not in have:
            context, _, template = key.rpartition("\x04")
            cat.add(template, "", auto_comments=places[:5], context=context or None)
    import io

    buf = io.BytesIO()
    write_po(buf, cat, omit_header=True, width=100)
    return buf.getvalue().decode("utf-8")


def problems_line(count: int) -> str:
    """The check's last line: "0 problems", "1 problem" (developer output, English only; a
    proper plural, as docs/i18n.md asks of every text about n things)."""
    return f"{count} problem" if count == 1 else f"{count} problems"


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "missing":
        sys.stdout.write(missing_entries())
        return 0
    if command == "check":
        found = problems()
        for line in found:
            print(line)
        print(problems_line(len(found)))
        return 1 if found else 0
    print("usage: python -m ironriver.i18n_tools [check|missing]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
