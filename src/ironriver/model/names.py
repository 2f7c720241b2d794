"""A schema or property as a person names it, and what to say when it names none.

People type what tables show them: a label in their language ("Individuo", "Alias"), not
always the name (`Individual`, `alias`). `schema_named` and `prop_named` take a name or a
label in English or Spanish, ignoring case and accents ("persona", "pertenencia"), when it
names one thing: a name first (names are unique), else a label; a label that several
things carry ("Segundo nombre": middleName and secondName) is an error listing their
names. Every "not found" says the names nearest to what was typed (`difflib`) and how to list them all
(`properties_command`): FtM's own `ftm ref` reads our schemata only through a model
folder. The library's own filters take names only (`ironriver.policy.schemata`); the command
line resolves what people type with these before calling it.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from ironriver.errors import ConfigError
from ironriver.i18n import LANGS, Lang, Msg, current_lang, joined, msg

MODEL_DIR_ENV = "FTM_MODEL_PATH=$(ironriver model-dir)"


def properties_command(schema: str) -> str:
    """The shell command that lists `schema`'s properties with FtM's `ftm` (its `ref schema`
    reads ironriver's schemata from the folder `ironriver model-dir` writes)."""
    return f"{MODEL_DIR_ENV} ftm ref schema {schema}"


def schemata_command() -> str:
    """The shell command that lists every schema, ironriver's included."""
    return f"{MODEL_DIR_ENV} ftm ref schemata"


def folded(text: str) -> str:
    """`text` as names are compared: case, accents and runs of spaces ignored."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def near(text: str, names: Iterable[tuple[str, str]], n: int = 3) -> list[str]:
    """The names (of `(spelling, name)` pairs: a name, or one of its labels) `text` most
    likely means, at most `n`, each once: first those a spelling of which holds `text` as
    its words ("arma", "fuego": "Arma de fuego"), then those a word of which starts with it
    ("pater": "Apellido paterno", "Fire": Firearm), then the spellings nearest to it (a typo:
    difflib's ratio 0.7 or more). The first two need three letters or more ("de" would name
    half the model)."""
    by_spelling: dict[str, list[str]] = {}
    for spelling, name in names:
        by_spelling.setdefault(folded(spelling), []).append(name)
    key = _words(folded(text))
    holding: list[str] = []
    starting: list[str] = []
    if len(key) >= 3:
        for spelling in by_spelling:
            words = f" {_words(spelling)} "
            if f" {key} " in words:
                holding.append(spelling)
            elif f" {key}" in words:
                starting.append(spelling)
    close = difflib.get_close_matches(folded(text), list(by_spelling), n=n, cutoff=0.7)
    out: list[str] = []
    for spelling in [*holding, *starting, *close]:
        for name in by_spelling[spelling]:
            if name not in out:
                out.append(name)
    return out[:n]


def _words(text: str) -> str:
    """`text`'s words (letters and digits), one space apart: "nombre(s)" -> "nombre s"."""
    return " ".join(re.findall(r"[^\W_]+", text))


def _spellings(name: str, labels: Iterable[str]) -> list[tuple[str, str]]:
    return [(name, name), *((label, name) for label in labels)]


def _pick(text: str, spellings: list[tuple[str, str]]) -> list[str]:
    """The names `text` names: its exact name, else the names equal to it folded, else the
    names one of whose labels is (several: ambiguous; none: unknown)."""
    names = {name for _s, name in spellings}
    if text in names:
        return [text]
    key = folded(text)
    by_name = sorted({n for n in names if folded(n) == key})
    if by_name:
        return by_name
    return sorted({name for spelling, name in spellings if folded(spelling) == key})


def _schema_spellings() -> list[tuple[str, str]]:
    from ironriver.model import get_model
    from ironriver.model.labels import schema_label

    out: list[tuple[str, str]] = []
    for name in sorted(get_model().schemata):
        out += _spellings(name, {schema_label(name, lang) for lang in LANGS})
    return out


@dataclass(frozen=True)
class _Shown(Msg):
    """Names as a hint lists them, each with its label in the reader's language when that
    reads otherwise ("Individual (Individuo)"): rendered late, as every `Msg` is. Names of
    properties of `schemata`, else of schemata."""

    names: tuple[str, ...] = ()
    schemata: tuple[str, ...] = ()

    def render(self, lang: Lang | None = None) -> str:
        from ironriver.model import get_model
        from ironriver.model.labels import prop_label, schema_label

        lang = lang or current_lang()
        model = get_model()
        out = []
        for name in self.names:
            if self.schemata:
                schema = next(s for s in self.schemata if model.get(s) and model.get(s).get(name))
                text = prop_label(schema, name, lang)
            else:
                text = schema_label(name, lang)
            out.append(name if folded(text) == folded(name) else f"{name} ({text})")
        return ", ".join(out)


def _shown(names: Iterable[str], schemata: Iterable[str] = ()) -> _Shown:
    return _Shown("", names=tuple(names), schemata=tuple(sorted(schemata)))


def schema_named(text: str) -> Any:
    """The model's schema `text` names (module doc): `ConfigError` (exit 2: a wrong option
    value, not a missing record) for none, with the nearest names, and for a label of
    several schemata."""
    from ironriver.model import get_model

    spellings = _schema_spellings()
    found = _pick(text.strip(), spellings)
    if len(found) > 1:
        raise ConfigError(
            msg(
                "{text!r} is the label of several schemata: {names}.",
                text=text,
                names=_shown(found),
            ),
            hint=msg("Name the one you mean by its name: {names}.", names=", ".join(found)),
        )
    if not found:
        raise ConfigError(
            msg("Unknown schema {schema!r}.", schema=text),
            hint=schema_hint(text),
        )
    return get_model().get(found[0])


def schema_hint(text: str) -> Msg:
    """What to do about an unknown schema `text`: the nearest schemata, and how to list them."""

    close = near(text, _schema_spellings())
    listing = msg("List the schemata with: {command}", command=schemata_command())
    if not close:
        return listing
    return joined([msg("Did you mean {names}?", names=_shown(close)), listing], " ")


def _prop_spellings(schemata: Collection[str]) -> list[tuple[str, str]]:
    """Each property of `schemata` that holds values (not FtM's reverse "stub" ones), by its
    name and its labels."""
    from ironriver.model import get_model
    from ironriver.model.labels import prop_label

    model = get_model()
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for schema_name in sorted(schemata):
        schema = model.get(schema_name)
        for prop in sorted(schema.properties.values() if schema else (), key=lambda p: p.name):
            if prop.stub or prop.name in seen:
                continue
            seen.add(prop.name)
            labels = {prop_label(schema_name, prop.name, lang) for lang in LANGS}
            out += _spellings(prop.name, labels)
    return out


def prop_named(text: str, schemata: Collection[str]) -> str:
    """The name of the property of `schemata` (an entity's) that `text` names (module doc):
    `ConfigError` (exit 2) for none, with the nearest names and how to list them all, and
    for a label of several properties."""
    from ironriver.model import get_model

    model = get_model()
    if any((s := model.get(name)) is not None and s.get(text) for name in schemata):
        return text  # a name, reverse properties included (as before labels were read)
    shown = ", ".join(sorted(schemata))
    found = _pick(text.strip(), _prop_spellings(schemata))
    if len(found) > 1:
        raise ConfigError(
            msg(
                "{text!r} is the label of several properties of {schemata}: {names}.",
                text=text,
                schemata=shown,
                names=_shown(found, schemata),
            ),
            hint=msg("Name the one you mean by its name: {names}.", names=", ".join(found)),
        )
    if not found:
        raise ConfigError(
            msg("{prop!r} is not a property of {schemata}.", prop=text, schemata=shown),
            hint=properties_hint(text, schemata),
        )
    return found[0]


def properties_hint(text: str, schemata: Collection[str]) -> Msg:
    """What to do about `text`, no property of `schemata`: the nearest properties, and the
    command that lists them all."""
    close = near(text, _prop_spellings(schemata))
    listing = msg("See its properties with: {command}", command=properties_command(min(schemata)))
    if not close:
        return listing
    suggestion = msg("Did you mean {names}?", names=_shown(close, schemata))
    return joined([suggestion, listing], " ")
