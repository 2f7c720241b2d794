"""The command line in the reader's language: every command's and option's help text, and
click's own words (usage prefix, headings, `[default: ...]`, and its errors: "No such
option", "Missing argument", "Invalid value for ..."), translated from the catalogs of
`ironriver.i18n`.

Click marks its own texts for gettext (each of its modules imports `gettext as _` and
`ngettext`); `speak_click()` points those names at our catalogs (`click.po`) in the current
language, so click's errors and help words need no rewriting after the fact. Click asks for
some of them once, as the command tree is built (at import, before `--lang` is read): the
version message, `Path`'s metavar words (PATH, FILE). Those come back as `ClickText`, which
keeps its English: `localize_help` puts the words in the reader's language with the rest of
the help, and the message is put in it as it is formatted. (An option's help click gives is
a plain string by then: give it yourself, as `--version`'s is.)"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Iterable
from typing import Any

import click

from ironriver.i18n import LANGS, Lang, current_lang, marked, t, translate

# click's modules that mark texts (`_winconsole` is Windows-only)
CLICK_MODULES = (
    "click._termui_impl",
    "click.core",
    "click.decorators",
    "click.exceptions",
    "click.formatting",
    "click.parser",
    "click.shell_completion",
    "click.termui",
    "click.types",
    "click.utils",
)
HELP_OPTION = "Show this message and exit."

# Click's `Path` errors start with the kind of path, title-cased ("File 'x' does not exist.");
# Spanish says it with its article ("El archivo 'x' no existe.", "La ruta 'x' no existe."), so
# that subject is a text of its own.
PATH_SUBJECTS = {
    "file": marked("File"),
    "directory": marked("Directory"),
    "path": marked("Path"),
}
PATH_MESSAGE = "{name} {filename!r} "  # how click's `Path` errors start
# Click's number types name themselves in English in "{value!r} is not a valid
# {number_type}." (`IntRange.name`...), not marked for translation: translated here.
NUMBER_TYPES = {
    "integer": marked("integer"),
    "integer range": marked("integer range"),
    "float": marked("float"),
    "float range": marked("float range"),
}


def _path_subject(name: str) -> str:
    """A `Path` error's `{name}` (click's "file", "directory" or "path", title-cased, in the
    language click asked for it) as the subject of the sentence in the current language."""
    for kind, subject in PATH_SUBJECTS.items():
        if any(name.lower() == translate(kind, lang).lower() for lang in LANGS):
            return translate(subject, current_lang())
    return name


class ClickText(str):
    """One of click's texts in the language of the moment click asked for it, keeping its
    English (`english`): one asked for as the command tree is built can be shown later in
    another language (`localize_help`), and formatting it with `%` (click's version message)
    uses the language of the moment it is formatted."""

    english: str

    def __new__(cls, english: str, lang: Lang) -> ClickText:
        text = super().__new__(cls, translate(english, lang))
        text.english = english
        return text

    def __mod__(self, values: Any) -> str:
        return str(translate(self.english, current_lang()) % values)

    def format(self, *args: object, **kwargs: object) -> str:
        name = kwargs.get("name")
        if self.english.startswith(PATH_MESSAGE) and isinstance(name, str):
            kwargs["name"] = _path_subject(name)
        number_type = kwargs.get("number_type")
        if isinstance(number_type, str) and number_type in NUMBER_TYPES:
            kwargs["number_type"] = translate(NUMBER_TYPES[number_type], current_lang())
        return super().format(*args, **kwargs)


def click_gettext(message: str) -> str:
    """Click's `_`: `message` in the current language."""
    return ClickText(message, current_lang())


def click_ngettext(singular: str, plural: str, n: int) -> str:
    """Click's `ngettext`. Spanish chooses its form as English does (one, or other), so each
    form is a plain entry of the catalog."""
    return ClickText(singular if n == 1 else plural, current_lang())


def speak_click() -> None:
    """Make click's own texts follow the current language (idempotent; English stays
    click's English)."""
    for name in CLICK_MODULES:
        module = importlib.import_module(name)
        if hasattr(module, "_"):
            module._ = click_gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = click_ngettext  # type: ignore[attr-defined]


EXAMPLE_WORDS = ("Examples:", "Example:")
"""The headings of a help text's examples block, translated (longest first)."""

EXAMPLE_CONTEXT = "help example"  # the catalogs' context of the prose in examples
# The prose of an examples block: a comment ("# check only: ...") and the value of --reason
# ("case 42", nightly). The commands, options and data values (a search text, a file name)
# stay as written.
_EXAMPLE_PROSE = re.compile(
    r'(?<=--reason )(?:"(?P<quoted>[^"]+)"|(?P<word>[^\s"\\]+))|(?<= )# (?P<comment>.+)$',
    re.MULTILINE,
)
_PROSE_GROUPS = ("quoted", "word", "comment")


def example_texts(tail: str) -> list[str]:
    """The prose of an examples block (`help_template`'s tail) a catalog translates, under
    the context `EXAMPLE_CONTEXT`."""
    return [next(m[g] for g in _PROSE_GROUPS if m[g]) for m in _EXAMPLE_PROSE.finditer(tail)]


def _translate_examples(tail: str, lang: Lang) -> str:
    def prose(match: re.Match[str]) -> str:
        group = next(g for g in _PROSE_GROUPS if match[g])
        text = translate(match[group], lang, EXAMPLE_CONTEXT)
        if group == "word" and len(text.split()) > 1:
            text = f'"{text}"'  # a bare word translated into words: one argument still
        start, end = match.span(group)
        whole = match[0]
        return whole[: start - match.start()] + text + whole[end - match.start() :]

    return _EXAMPLE_PROSE.sub(prose, tail)


def help_template(text: str) -> tuple[str, str]:
    """A command-line help text's translatable prose (its paragraphs, each on one line, as
    click rewraps them anyway) and its tail, kept as written: a `\\b` block (examples)."""
    prose, marker, tail = inspect.cleandoc(text).partition("\b")
    paragraphs = [" ".join(p.split()) for p in prose.split("\n\n") if p.strip()]
    return "\n\n".join(paragraphs), marker + tail


def translate_help(text: str, lang: Lang) -> str:
    """A help text in `lang`: its prose, and of its examples the heading and the prose
    (`example_texts`)."""
    prose, tail = help_template(text)
    if not tail:
        return translate(prose, lang)
    for word in EXAMPLE_WORDS:  # the examples' heading; the commands stay as written
        tail = tail.replace(word, translate(word, lang), 1)
    if lang != "en":
        tail = _translate_examples(tail, lang)
    return f"{translate(prose, lang)}\n\n{tail}" if prose else tail


class LocalizedHelpFormatter(click.HelpFormatter):
    """Click's help layout. Its words come translated through `speak_click`, except the
    help option's: click builds that option once per command and keeps it, in the language
    of its first use (a test process switches languages)."""

    def write_dl(
        self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        own = t("Show this message and exit.")
        stale = {translate(HELP_OPTION, lang) for lang in LANGS}
        super().write_dl(
            [(term, own if text in stale else text) for term, text in rows], col_max, col_spacing
        )


class LocalizedContext(click.Context):
    formatter_class = LocalizedHelpFormatter


METAVAR_CONTEXT = "metavar"  # the catalogs' context of placeholders (TEXT -> TEXTO)


def metavars(command: click.Command) -> list[str]:
    """The English placeholders `command`'s usage and options show that a catalog
    translates (context `METAVAR_CONTEXT`): `[OPTIONS]`, a group's `COMMAND [ARGS]...`, and
    each value's (TEXT, INTEGER, FILE, COLUMN=VALUE...). Not a list of choices or a date
    format (values, typed as shown), nor a `Path` option's PATH/FILE (click's own words,
    translated as `ClickText`)."""
    out = [_original(command, "options_metavar")]
    if isinstance(command, click.Group):
        out.append(_original(command, "subcommand_metavar"))
    ctx = click.Context(command)
    for param in command.params:
        english = _english_metavar(param, ctx)
        if english:
            out.append(english)
    return [text for text in out if text]


def _original(obj: object, attr: str) -> Any:
    """`obj`'s English `attr`, kept the first time it is localized."""
    return obj.__dict__.setdefault(f"_ironriver_{attr}", getattr(obj, attr))


def _english_metavar(param: click.Parameter, ctx: click.Context) -> str | None:
    if isinstance(param, click.Option) and (param.is_flag or param.count or param.hidden):
        return None
    if isinstance(param.type, click.Choice | click.DateTime):
        return None
    original = _original(param, "metavar")
    if original is None and isinstance(param, click.Option) and isinstance(param.type, click.Path):
        return None
    shown = param.metavar
    param.metavar = original
    try:
        return param.make_metavar(ctx)
    finally:
        param.metavar = shown


def _localize_metavars(command: click.Command, lang: Lang) -> None:
    """`command`'s placeholders (`metavars`) in `lang`: set on the objects click reads as it
    writes usage lines, help and its errors ("Falta el argumento 'TEXTO'"); the English
    ones are kept (`_original`) and restored for English."""
    command.options_metavar = _original(command, "options_metavar")
    if isinstance(command, click.Group):
        command.subcommand_metavar = _original(command, "subcommand_metavar")
    for param in command.params:
        param.metavar = _original(param, "metavar")
    if lang == "en":
        return
    if command.options_metavar:
        command.options_metavar = translate(command.options_metavar, lang, METAVAR_CONTEXT)
    if isinstance(command, click.Group) and command.subcommand_metavar:
        text = command.subcommand_metavar
        command.subcommand_metavar = translate(text, lang, METAVAR_CONTEXT)
    ctx = click.Context(command)
    for param in command.params:
        english = _english_metavar(param, ctx)
        if english:
            param.metavar = translate(english, lang, METAVAR_CONTEXT)


def localize_help(command: click.Command, lang: Lang) -> None:
    """Show `command`'s help (and its options' and subcommands') in `lang`. The English
    texts are kept on the objects, so switching back (tests run many commands in one
    process) restores them."""
    command.context_class = LocalizedContext
    originals: dict[str, str | None] = command.__dict__.setdefault(
        "_ironriver_help", {"help": command.help, "short_help": command.short_help}
    )
    for attr, text in originals.items():
        setattr(command, attr, translate_help(text, lang) if text else text)
    _localize_metavars(command, lang)
    for param in command.params:
        original = param.__dict__.setdefault("_ironriver_help", getattr(param, "help", None))
        if original:
            setattr(param, "help", translate_help(original, lang))  # noqa: B010
        name = getattr(param.type, "name", None)  # `Path`'s: the metavar, PATH or RUTA
        if isinstance(name, ClickText):
            param.type.name = ClickText(name.english, lang)
        elif isinstance(param.type, click.Path) and name in PATH_SUBJECTS:
            # built before `speak_click` (a command module imported before `ironriver.cli`):
            # click's English word, a plain string
            param.type.name = ClickText(name, lang)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            localize_help(sub, lang)
