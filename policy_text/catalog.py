"""Every sentence the bot says, per locale, each tagged with the policy clause it serves.

The catalogs are `en.toml` and `zh_CN.toml` beside this file. They are checked when the bot
starts: a key missing in one locale, placeholders that differ between locales, or a clause
that differs is a start-up error, never a surprise in front of a child.
"""

from __future__ import annotations

import logging
import string
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any, Protocol

log = logging.getLogger(__name__)
LOCALES = ("en", "zh_CN")
AUDIENCES = frozenset({"group", "child", "parent", "staff", "lead", "anyone"})


SAY = "say"


def words(key: str, **fields: Any) -> dict[str, Any]:
    """A field that is itself a sentence of the catalogue (a role, an urgency, a time, a
    duration), said in the reader's language when the message is rendered, not when it is
    queued. Plain data, so it is stored with the message in the outbox."""
    return {SAY: key, **fields}


class CatalogError(ValueError):
    """The policy text is inconsistent; the bot must not start with it."""


def normalise_locale(value: str | None, default: str = "en") -> str:
    """Map what a platform or a roster says (`en-GB`, `zh-CN`, `zh_Hans`) onto a catalog locale."""
    if not value:
        return default
    language = value.strip().replace("_", "-").split("-")[0].casefold()
    return {"en": "en", "zh": "zh_CN"}.get(language, default)


@dataclass(frozen=True)
class Entry:
    key: str
    text: str
    clause: str
    audience: str

    @property
    def placeholders(self) -> frozenset[str]:
        return frozenset(name for _, name, _, _ in string.Formatter().parse(self.text) if name is not None)


class Catalog:
    def __init__(self, entries: dict[str, dict[str, Entry]]) -> None:
        self._entries = MappingProxyType(entries)
        _validate(entries)

    @classmethod
    def load(cls) -> Catalog:
        folder = resources.files("policy_text")
        return cls({locale: _parse(tomllib.loads(folder.joinpath(f"{locale}.toml").read_text("utf-8"))) for locale in LOCALES})

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(self._entries[LOCALES[0]])

    def entry(self, key: str, locale: str = "en") -> Entry:
        try:
            return self._entries[normalise_locale(locale)][key]
        except KeyError:
            raise KeyError(f"no policy text {key!r}") from None

    def say(self, key: str, locale: str = "en", **fields: Any) -> str:
        """The sentence for `key` in `locale`, filled in; a field made with `words` is said in
        the same locale first. A missing field is a bug: it raises."""
        entry = self.entry(key, locale)
        missing = entry.placeholders - fields.keys()
        if missing:
            raise KeyError(f"policy text {key!r} needs {sorted(missing)}")
        return entry.text.format(**{name: self.value(value, locale) for name, value in fields.items()}).strip()

    def value(self, value: Any, locale: str = "en") -> Any:
        """A field's value as the reader sees it: `words(...)` said in `locale`, anything else as it is."""
        return said(value, locale, self.say)


class Speech(Protocol):
    """What renders a message: the catalogue itself, or `Queued` over it in the channels."""

    def say(self, key: str, locale: str = "en", **fields: Any) -> str: ...

    def value(self, value: Any, locale: str = "en") -> Any: ...


class Queued:
    """The catalogue as a channel renders a message from the outbox. A message queued by an
    earlier version may name a sentence since retired, or lack a field since added: it is still
    sent, that sentence left out and the missing field shown as "-", never failed and parked,
    since a lead's card must arrive (004 strategy 9). Each gap is logged by key, never content."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    def say(self, key: str, locale: str = "en", **fields: Any) -> str:
        try:
            entry = self._catalog.entry(key, locale)
        except KeyError:
            log.warning("a queued message names policy text %r, which this version does not have: it is left out", key)
            return ""
        missing = entry.placeholders - fields.keys()
        if missing:
            log.warning("a queued message lacks %s for policy text %r: shown as '-'", sorted(missing), key)
        return entry.text.format(**{name: self.value(fields.get(name, "-"), locale) for name in entry.placeholders}).strip()

    def value(self, value: Any, locale: str = "en") -> Any:
        return said(value, locale, self.say)


def said(value: Any, locale: str, say: Callable[..., str]) -> Any:
    """`value` with a `words(...)` field said in `locale` by `say`; anything else as it is."""
    if isinstance(value, dict) and SAY in value:
        return say(value[SAY], locale, **{name: part for name, part in value.items() if name != SAY})
    return value


def _parse(tree: dict[str, Any], prefix: str = "") -> dict[str, Entry]:
    entries: dict[str, Entry] = {}
    for name, value in tree.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict) and "text" in value:
            entries[key] = Entry(key, str(value["text"]), str(value.get("clause", "")), str(value.get("audience", "")))
        elif isinstance(value, dict):
            entries.update(_parse(value, f"{key}."))
    return entries


def _validate(entries: dict[str, dict[str, Entry]]) -> None:
    problems: list[str] = []
    reference = entries[LOCALES[0]]
    for locale in LOCALES:
        catalog = entries.get(locale, {})
        problems += [f"{locale}: missing {key}" for key in sorted(reference.keys() - catalog.keys())]
        problems += [f"{locale}: {key} is not in {LOCALES[0]}" for key in sorted(catalog.keys() - reference.keys())]
        for key in sorted(catalog.keys() & reference.keys()):
            mine, theirs = catalog[key], reference[key]
            if not mine.clause:
                problems.append(f"{locale}: {key} cites no policy clause")
            if mine.audience not in AUDIENCES:
                problems.append(f"{locale}: {key} has unknown audience {mine.audience!r}")
            if mine.placeholders != theirs.placeholders:
                problems.append(f"{locale}: {key} placeholders {sorted(mine.placeholders)} != {sorted(theirs.placeholders)}")
            if (mine.clause, mine.audience) != (theirs.clause, theirs.audience):
                problems.append(f"{locale}: {key} clause/audience differ from {LOCALES[0]}")
    if problems:
        raise CatalogError("policy text is inconsistent:\n  " + "\n  ".join(problems))
