"""Reading the school's roster export: who is a student, a parent, staff or a lead.

Roles decide every duty (who supervises, who may acknowledge, who is refused a 1:1), so a bad
file is refused whole with every problem listed by line; nothing is half-imported. Consent is
the parents' consent to live lessons (000 §5.1–5.2, §5.10; 004 objective 13): an empty cell
means not recorded and counts as no.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, replace

from policy_text.catalog import normalise_locale
from state.models import CHANNELS, Person, Role

REQUIRED_COLUMNS = ("channel", "user_id", "name", "role", "class", "consent")
OPTIONAL_COLUMNS = ("locale",)
IMPORTABLE_ROLES = tuple(role.value for role in Role if role is not Role.UNKNOWN)
CONSENT_WORDS = {"yes": True, "no": False, "": None}


class RosterError(ValueError):
    """The file was refused; `problems` lists every one, by line number."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("roster refused, nothing imported:\n  " + "\n  ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ParsedRoster:
    people: tuple[Person, ...]

    @property
    def channels(self) -> frozenset[str]:
        return frozenset(person.channel for person in self.people)

    def pinned(self) -> ParsedRoster:
        """The rows as overrides of the directory: a merged file sets roles and locales that a
        directory sync keeps (handlers/directory_sync.py)."""
        return ParsedRoster(tuple(replace(person, pinned=True) for person in self.people))


IdSpelling = Callable[[str, str], str]
"""(channel, a user id as written in the file) -> the id as that channel's own events spell it
(bots/user_ids.py): an Entra id typed in capitals is still the person Teams sends in lower case."""


def parse_roster(data: bytes, spell: IdSpelling) -> ParsedRoster:
    """Parse a UTF-8 CSV (a BOM is fine) with a header row, columns in any order."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RosterError([f"the file is not UTF-8 (byte {error.start})"]) from None
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=_separator(text))
    header = [name.strip().casefold() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    unknown = [name for name in header if name not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if missing or unknown:
        raise RosterError([f"line 1: missing columns {missing}" if missing else f"line 1: unknown columns {unknown}"])
    reader.fieldnames = header
    people: list[Person] = []
    problems: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    for row in reader:
        line = reader.line_num
        if None in row or any(value is None for value in row.values()):
            problems.append(f"line {line}: wrong number of cells")
            continue
        cells = {key: (value or "").strip() for key, value in row.items()}
        if not any(cells.values()):
            continue
        person, errors = _person(cells, spell)
        if person is not None and (key := (person.channel, person.user_id)) in seen:
            errors.append(f"{person.channel}:{person.user_id} already on line {seen[key]}")
        problems += [f"line {line}: {error}" for error in errors]
        if person is not None and not errors:
            seen[(person.channel, person.user_id)] = line
            people.append(person)
    if problems:
        raise RosterError(problems)
    if not people:
        raise RosterError(["the file has no people in it"])
    return ParsedRoster(tuple(people))


def _separator(text: str) -> str:
    """Commas, or semicolons: a spreadsheet saved as CSV where the decimal mark is a comma (much
    of Europe) separates cells with `;`. The header row says which: it holds no other punctuation."""
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def _person(cells: dict[str, str], spell: IdSpelling) -> tuple[Person | None, list[str]]:
    errors = []
    channel = cells["channel"].casefold()
    if channel not in CHANNELS:
        errors.append(f"channel must be one of {list(CHANNELS)}, got {cells['channel']!r}")
    role = cells["role"].casefold()
    if role not in IMPORTABLE_ROLES:
        errors.append(f"role must be one of {list(IMPORTABLE_ROLES)}, got {cells['role']!r}")
    consent = cells["consent"].casefold()
    if consent not in CONSENT_WORDS:
        errors.append(f"consent must be yes, no or empty, got {cells['consent']!r}")
    if not cells["user_id"]:
        errors.append("user_id is empty")
    if not cells["name"]:
        errors.append("name is empty")
    locale = cells.get("locale", "")
    if locale and normalise_locale(locale, default="") == "":
        errors.append(f"locale must be en or zh_CN, got {locale!r}")
    if errors:
        return None, errors
    classes = tuple(part.strip() for part in cells["class"].split(";") if part.strip())
    return Person(
        channel=channel,
        user_id=spell(channel, cells["user_id"]),
        name=cells["name"],
        role=Role(role),
        classes=classes,
        consent=CONSENT_WORDS[consent],
        locale=normalise_locale(locale) if locale else None,
    ), []
