"""Text shown to users, in English and Spanish.

Messages are written in English where they arise, marked for translation, and translated
from gettext catalogs, one per area of the code (`ironriver/locale/es/LC_MESSAGES/*.po`; any
PO editor or a text editor will do):

- `t(template, lang, **fields)`: the text now, in `lang` (default: the current language);
  `pt(context, template, ...)` when one English text means two things (gettext's msgctxt);
- `msg(template, **fields)`: a `Msg`, rendered later in the reader's language. Errors are
  raised deep in the library, long before the command line knows who will read them;
  `IronriverError` keeps its `Msg` and `render(lang)` translates it.
- `nt(singular, plural, n, ...)` / `nmsg(...)`: a text about `n` things ("1 problem",
  "2 problems"); each form is a plain catalog entry, as Spanish chooses its form the way
  English does (one, or other);
- `marked(template)`: the template itself, marked (texts kept as English data and
  translated where shown, with `translate`);
- `use_lang(lang)` / `current_lang()`: the language the command line (later the API) speaks.

Templates are `str.format` strings; a field whose value is a `Msg` is rendered in the same
language. Data values (names, file names, column names) are fields and never translated.
`tests/test_i18n.py` extracts every template marked with `t(...)` or `msg(...)` (Babel's
extractor) and fails when one has no Spanish translation with exactly the same fields, when
a template is not a literal, or when a catalog keeps a template the code no longer uses.
"""

from __future__ import annotations

import os
import string
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

Lang = Literal["en", "es"]
LANGS: tuple[Lang, ...] = ("en", "es")
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANG_ENV = "IRONRIVER_LANG"

_current: ContextVar[Lang | None] = ContextVar("ironriver_lang", default=None)
# the command line's last resort before English: the user's POSIX locale (`locale_lang`),
# set by the CLI for its process only (an API server's locale is not its users')
_fallback: Lang | None = None


@dataclass(frozen=True)
class Msg:
    """A message to be rendered in the reader's language: an English template and its
    fields. `str(m)` is the English text."""

    template: str
    fields: Mapping[str, object] = field(default_factory=dict)
    context: str = ""  # gettext's msgctxt: tells apart one English text meaning two things

    def render(self, lang: Lang | None = None) -> str:
        lang = lang or current_lang()
        values = {k: v.render(lang) if isinstance(v, Msg) else v for k, v in self.fields.items()}
        return translate(self.template, lang, self.context).format(**values)

    def __str__(self) -> str:
        return self.render("en")


@dataclass(frozen=True)
class _Joined(Msg):
    parts: tuple[Msg, ...] = ()
    sep: str = "; "

    def render(self, lang: Lang | None = None) -> str:
        return self.sep.join(part.render(lang) for part in self.parts)


def joined(parts: Iterable[Msg], sep: str = "; ") -> Msg:
    """`parts` one after the other, separated by `sep`, as one message (each part rendered
    in the reader's language)."""
    return _Joined("", parts=tuple(parts), sep=sep)


def msg(template: str, **fields: object) -> Msg:
    """Mark `template` for translation; render it later (see the module doc)."""
    return Msg(template, fields)


def nmsg(singular: str, plural: str, n: int, **fields: object) -> Msg:
    """`msg` for a text about `n` things: `singular` when n == 1, else `plural` (both are
    templates; `n` is a field of both unless given otherwise)."""
    fields.setdefault("n", n)
    return Msg(singular if n == 1 else plural, fields)


def nt(singular: str, plural: str, n: int, lang: Lang | None = None, **fields: object) -> str:
    """`t` for a text about `n` things (see `nmsg`)."""
    return nmsg(singular, plural, n, **fields).render(lang)


def marked(template: str) -> str:
    """`template` itself, marked for translation (gettext's `N_`): for English texts kept as
    data and translated where they are shown (`translate(text, lang)`)."""
    return template


def t(template: str, lang: Lang | None = None, **fields: object) -> str:
    """`template` in `lang` (default: the current language), with `{fields}` filled in."""
    return Msg(template, fields).render(lang)


def pt(context: str, template: str, lang: Lang | None = None, **fields: object) -> str:
    """`t` for an English text that means different things in different places (gettext's
    `pgettext`): `context` names the place ("calibration table")."""
    return Msg(template, fields, context).render(lang)


def catalog_key(template: str, context: str = "") -> str:
    """How a catalog keys a template: gettext's "context\x04template" when it has one."""
    return f"{context}\x04{template}" if context else template


def render(text: str | Msg | None, lang: Lang | None = None) -> str:
    """A message or an untranslated text (a data value) as the reader sees it."""
    if text is None:
        return ""
    return text.render(lang) if isinstance(text, Msg) else text


def translate(template: str, lang: Lang, context: str = "") -> str:
    """The catalog's translation of `template` (in `context`), or the template itself
    (English, or a template the catalog lacks: a test keeps that from shipping)."""
    if lang == "en":
        return template
    return catalog(lang).get(catalog_key(template, context), template)


@cache
def catalog(lang: Lang) -> dict[str, str]:
    """Every translated template of `lang`: the union of its `.po` files (fuzzy and empty
    entries left out, as gettext does)."""
    from babel.messages.pofile import read_po

    out: dict[str, str] = {}
    folder = LOCALE_DIR / lang / "LC_MESSAGES"
    for path in sorted(folder.glob("*.po")):
        with path.open("rb") as fh:
            for message in read_po(fh, locale=lang):
                if (
                    isinstance(message.id, str)
                    and message.id
                    and isinstance(message.string, str)
                    and message.string
                    and not message.fuzzy
                ):
                    out[catalog_key(message.id, message.context or "")] = message.string
    return out


def fields_of(template: str) -> set[str]:
    """The `str.format` field names a template uses."""
    return {name for _text, name, _spec, _conv in string.Formatter().parse(template) if name}


def parse_lang(value: str | None) -> Lang | None:
    """`en`/`es` (also `es_MX`, `es-MX.UTF-8`, `EN`...), else None."""
    if not value:
        return None
    code = value.strip().lower().replace("-", "_").split("_")[0].split(".")[0]
    for lang in LANGS:
        if code == lang:
            return lang
    return None


def lang_for_country(country: str) -> Lang:
    return "es" if country.upper() == "MX" else "en"


def current_lang() -> Lang:
    """The language set by `use_lang`, else `$IRONRIVER_LANG`, else the fallback the command
    line set (`set_fallback_lang`: the user's locale), else English."""
    return explicit_lang() or _fallback or "en"


def set_fallback_lang(lang: Lang | None) -> None:
    """The language `current_lang` falls back to when none was chosen (None: English)."""
    global _fallback
    _fallback = lang


def locale_lang(environ: Mapping[str, str] | None = None) -> Lang | None:
    """The language of the user's POSIX locale, as gettext reads it: the first of `LC_ALL`,
    `LC_MESSAGES`, `LANG` that is set names the locale (`es_MX.UTF-8`: Spanish; `C`,
    `POSIX`, `C.UTF-8`: none), and GNU's `$LANGUAGE` list, when set and that locale is not
    C, comes first. None when neither names a language of `LANGS`."""
    env = os.environ if environ is None else environ
    locale = next((env[k] for k in ("LC_ALL", "LC_MESSAGES", "LANG") if env.get(k)), "")
    if not locale or locale.split(".")[0].upper() in ("C", "POSIX"):
        return None
    for wanted in env.get("LANGUAGE", "").split(":"):
        if lang := parse_lang(wanted):
            return lang
    return parse_lang(locale)


def explicit_lang() -> Lang | None:
    """The language chosen on purpose (`use_lang`/`set_lang`, `$IRONRIVER_LANG`), if any."""
    return _current.get() or parse_lang(os.environ.get(LANG_ENV))


def set_lang(lang: Lang | None) -> None:
    """Set the current language (None: back to `$IRONRIVER_LANG`/English)."""
    _current.set(lang)


@contextmanager
def use_lang(lang: Lang | None) -> Iterator[None]:
    token = _current.set(lang)
    try:
        yield
    finally:
        _current.reset(token)
