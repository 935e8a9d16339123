"""Who is who, and where: people, roles and groups, as the Store keeps them.

These are plain frozen values. They carry ids and facts, never a channel SDK object, so that
`handlers/` can decide on them without knowing Teams or WeCom (DESIGN.md, data flow).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Self

CHANNELS = ("teams", "wecom")


class Role(StrEnum):
    """A person's role at school; `unknown` is anyone the roster does not list (a guest)."""

    STUDENT = "student"
    PARENT = "parent"
    TEACHER = "teacher"
    ADMIN = "admin"
    HEAD = "head"
    DSL = "dsl"
    DEPUTY_DSL = "deputy_dsl"
    UNKNOWN = "unknown"


STAFF_ROLES = frozenset({Role.TEACHER, Role.ADMIN, Role.HEAD, Role.DSL, Role.DEPUTY_DSL})
"""Adults employed by the school (004 strategy 18: 'another adult present')."""

SAFEGUARDING_ROLES = frozenset({Role.DSL, Role.DEPUTY_DSL, Role.HEAD})
"""Who may read and acknowledge a concern (004 strategy 9)."""


def _split_ref(text: str, what: str) -> tuple[str, str]:
    channel, _, rest = text.partition(":")
    if channel not in CHANNELS or not rest:
        raise ValueError(f"not {what}: {text!r}")
    return channel, rest


@dataclass(frozen=True, order=True)
class _OnChannel:
    """Something on one channel, written `channel:id` wherever it is stored or named (the
    Store, the CLI, staff commands); `parse` reads that text back."""

    channel: str
    ID_FIELD: ClassVar[str]
    WANT: ClassVar[str]

    def __str__(self) -> str:
        return f"{self.channel}:{getattr(self, self.ID_FIELD)}"

    @classmethod
    def parse(cls, text: str) -> Self:
        channel, local_id = _split_ref(text, cls.WANT)
        return cls(**{"channel": channel, cls.ID_FIELD: local_id})


@dataclass(frozen=True, order=True)
class PersonRef(_OnChannel):
    """A person on one channel, written `channel:user_id`."""

    user_id: str
    ID_FIELD, WANT = "user_id", "a person reference (want channel:user_id)"


@dataclass(frozen=True, order=True)
class GroupKey(_OnChannel):
    """A group (class chat) on one channel, written `channel:conversation_id` everywhere the
    CLI or a staff command names a group."""

    conversation_id: str
    ID_FIELD, WANT = "conversation_id", "a group id (want channel:conversation_id)"


@dataclass(frozen=True, kw_only=True)
class Person:
    """One roster row. `consent` is parental consent to live lessons and recording
    (000 §5.1–5.2, §5.10; 004 objective 13): True, False, or None when not recorded,
    which every duty treats as no."""

    channel: str
    user_id: str
    name: str
    role: Role
    classes: tuple[str, ...] = ()
    consent: bool | None = None
    locale: str | None = None
    from_directory: bool = False  # put on the roster by a directory sync, so a later sync removes them when the directory does
    pinned: bool = False  # role and locale set by the school's file (roster import --merge): a directory sync keeps them

    @property
    def ref(self) -> PersonRef:
        return PersonRef(self.channel, self.user_id)

    @property
    def has_consent(self) -> bool:
        return self.consent is True


@dataclass(frozen=True, kw_only=True)
class Member:
    """Someone the platform says is in a group. `user_id` is the roster id (Entra object id
    or WeCom userid); `platform_id` is the channel's own id (Teams `29:…`) used to reach them;
    `platform_guest` is the platform's own guest flag (Teams `userRole: guest`)."""

    user_id: str
    display_name: str = ""
    platform_id: str = ""
    platform_guest: bool = False


class Supervision(StrEnum):
    """Where a group stands against 000 §5 / 004 strategy 18."""

    UNCHECKED = "unchecked"
    SUPERVISED = "supervised"
    UNSUPERVISED = "unsupervised"
    UNMONITORED = "unmonitored"  # the bot was removed: nobody is watching any more


@dataclass(frozen=True, kw_only=True)
class Group:
    """A class group the bot is in. `address` is the channel's opaque way back to it (a Teams
    conversation reference, a WeCom chat id and kind), stored so proactive sends survive a
    restart."""

    key: GroupKey
    name: str
    joined_at: datetime
    address: dict[str, Any] = field(default_factory=dict)
    kind: str = ""
    class_name: str = ""
    locale: str = "en"
    timezone: str = "UTC"
    webhook: str | None = None
    supervision: Supervision = Supervision.UNCHECKED
    supervision_since: datetime | None = None
    last_warning_at: datetime | None = None
    warnings_day: str = ""  # the group's local date of `warnings_on_day`, as YYYY-MM-DD
    warnings_on_day: int = 0  # group warnings posted on that day (a daily cap)
    added_by: PersonRef | None = None  # who added the bot: told first, privately, when the group is unsupervised
    directory_id: str = ""  # a class team's group id, which is its education class's id in the school's directory
    members_from_roster: bool = False  # the channel cannot list its members: they are its class's people on the roster
    joined_from_directory: bool = False  # the directory named it (a 班级群): `added_by` is its class teacher, who added no one
    delivery: str = ""  # how a group the app cannot post into gets its messages ("": through its owner and staff, to forward)
