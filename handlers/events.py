"""Neutral events: what happened, told the same way whichever channel saw it.

`bots/teams` and `bots/wecom` translate activities and callbacks into these; `handlers/`
decides on them. They carry ids, the channel, the locale, text and an aware timestamp, never
an SDK object, so one rule serves both channels (DESIGN.md, data flow).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from state.models import GroupKey, Member, PersonRef

LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # JSON decoders pair valid surrogates, so any left is lone


def storable_text(text: str) -> str:
    """Words as written, with anything that cannot be stored as UTF-8 (a lone surrogate) made
    U+FFFD: a child's report is cleaned so it can be stored, never refused forever."""
    return text if text.isascii() else LONE_SURROGATE.sub("\ufffd", text)


@dataclass(frozen=True, kw_only=True)
class Event:
    """`event_id` identifies the delivery (activity id, MsgId or event dedup key) in logs."""

    event_id: str
    at: datetime
    locale: str = ""


@dataclass(frozen=True, kw_only=True)
class GroupJoined(Event):
    """The bot was installed in, or added to, a group chat or team channel."""

    group: GroupKey
    name: str
    address: dict[str, Any] = field(default_factory=dict)
    kind: str = ""
    by: PersonRef | None = None
    directory_id: str = ""  # a class team's group id in the school's directory: its education class's id
    members_from_roster: bool = False  # the channel cannot list its members; its class on the roster stands in
    from_directory: bool = False  # joined because the school's directory names it; `by` is its class teacher


@dataclass(frozen=True, kw_only=True)
class BotRemoved(Event):
    """The bot was taken out of a group: a safeguarding event, not a goodbye (000 §5)."""

    group: GroupKey
    by: PersonRef | None = None


@dataclass(frozen=True, kw_only=True)
class MembersChanged(Event):
    """Who joined or left. With `complete`, `added` is everyone in the group now (a full roster
    read on join or re-check), so anyone stored but not listed has gone."""

    group: GroupKey
    added: tuple[Member, ...] = ()
    removed: tuple[Member, ...] = ()
    complete: bool = False


@dataclass(frozen=True, kw_only=True)
class DirectMessage(Event):
    """A one-to-one message to the bot (the channel keeps its own way back to the sender)."""

    sender: PersonRef
    text: str = field(repr=False)


@dataclass(frozen=True, kw_only=True)
class GroupMessage(Event):
    """A message in a group addressed to the bot (Teams @mention, mention already removed)."""

    group: GroupKey
    sender: PersonRef
    text: str = field(repr=False)


@dataclass(frozen=True, kw_only=True)
class CardAction(Event):
    """A button pressed on a card the bot sent: `verb` says which (`ack`, `report`, …)."""

    sender: PersonRef
    verb: str
    data: dict[str, Any] = field(default_factory=dict)
    group: GroupKey | None = None


@dataclass(frozen=True, kw_only=True)
class PersonReachable(Event):
    """Someone can now be messaged privately: they installed the bot or opened its 1:1, or
    the school's directory says they were added (handlers/redelivery.py)."""

    person: PersonRef
