"""The command line's help in the reader's language: every command's and option's help
text, and click's own words (usage prefix, headings, the help option, `[default: ...]`),
translated from the catalogs of `ironriver.i18n`."""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Iterator

import click

from ironriver.i18n import Lang, t, translate


def help_template(text: str) -> tuple[str, str]:
    """A command-line help text's translatable prose (its paragraphs, each on one line, as
    click rewraps them anyway) and its tail, kept as written: a `\\b` block (examples)."""
    prose, marker, tail = inspect.cleandoc(text).partition("\b")
    paragraphs = [" ".join(p.split()) for p in prose.split("\n\n") if p.strip()]
    return "\n\n".join(paragraphs), marker + tail


def translate_help(text: str, lang: Lang) -> str:
    prose, tail = help_template(text)
    if not tail:
        return translate(prose, lang)
    tail = tail.replace("Example:", translate("Example:", lang), 1)
    return f"{translate(prose, lang)}\n\n{tail}" if prose else tail


class LocalizedHelpFormatter(click.HelpFormatter):
    """Click's help layout with its own words (headings, the usage prefix, the help option)
    in the current language."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, t("Usage: ") if prefix is None else prefix)

    def section(self, name: str) -> Iterator[None]:  # type: ignore[override]
        headings = {"Options": t("Options"), "Commands": t("Commands")}
        return super().section(headings.get(name, name))  # type: ignore[return-value]

    def write_dl(
        self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        own = {"Show this message and exit.": t("Show this message and exit.")}
        marks = {"[default: ": t("[default: "), "[required]": t("[required]")}

        def local(text: str) -> str:
            text = own.get(text, text)
            for english, translated in marks.items():
                text = text.replace(english, translated)
            return text

        super().write_dl([(term, local(text)) for term, text in rows], col_max, col_spacing)


class LocalizedContext(click.Context):
    formatter_class = LocalizedHelpFormatter


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
    for param in command.params:
        original = param.__dict__.setdefault("_ironriver_help", getattr(param, "help", None))
        if original:
            setattr(param, "help", translate_help(original, lang))  # noqa: B010
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            localize_help(sub, lang)
