"""The Messenger port: how a duty says something, without knowing Teams or WeCom.

Duties pass text keys from `policy_text/` and their fields, never literal sentences; each
channel renders them in the recipient's language and sends them its own way (a Teams card,
a WeCom template card, plain text). Each channel in `bots/` implements this protocol.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from state.models import Group, GroupKey, Member, PersonRef

TOGGLE_PREFIX = "toggle:"
"""A toggle comes back in a button's data as `toggle:<id>` → "true" / "false"."""


@dataclass(frozen=True, kw_only=True)
class Button:
    label_key: str
    verb: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Message:
    """One message: a text key with its fields, optional buttons, and for cards the labelled
    facts (each a label key and a value: text, or `words(...)`) and the extra lines shown under
    the title (each a key with fields). `toggles` are on/off choices, each an (id, label) pair (a
    register's students), submitted with the buttons' data; a channel without such inputs lists
    them numbered for a typed answer."""

    key: str
    fields: dict[str, Any] = field(default_factory=dict, repr=False)  # may hold a report's words (to a lead)
    facts: tuple[tuple[str, Any], ...] = field(default=(), repr=False)
    lines: tuple[tuple[str, dict[str, Any]], ...] = field(default=(), repr=False)
    buttons: tuple[Button, ...] = ()
    toggles: tuple[tuple[str, str], ...] = field(default=(), repr=False)  # labels may be children's names (to staff only)


class Unreachable(Exception):
    """The channel has no way to this group or person (e.g. a staff member who never installed
    the bot personally). Retrying will not help; a person must act, so the caller records it."""


@dataclass(frozen=True, kw_only=True)
class Sent:
    """A receipt for a sent message: enough for its channel to update it in place later (after
    an acknowledgement every lead's copy of the card shows who acknowledged)."""

    channel: str
    message_id: str
    address: dict[str, Any] = field(default_factory=dict)


class Messenger(Protocol):
    async def send_to_group(self, group: GroupKey, message: Message) -> Sent: ...

    async def send_to_person(self, person: PersonRef, message: Message) -> Sent: ...

    async def update(self, sent: Sent, message: Message) -> None:
        """Replace a message sent earlier (a card) with `message`, for everyone who sees it."""

    async def read_members(self, group: Group) -> list[Member] | None:
        """Everyone in the group now, read from the channel; None where the channel cannot say.
        The periodic re-check uses it: a roster can change without an event reaching us (000 §5)."""
