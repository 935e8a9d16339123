"""A Messenger that keeps what duties send, for handler tests that need no channel.

It satisfies the real `handlers.messenger.Messenger` port (cosmicpython's fake-by-port); the
channel tests use the fake Bot Connector and fake WeCom API instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from handlers.messenger import Message, Sent, Unreachable
from state.models import Group, GroupKey, Member, PersonRef


@dataclass
class RecordingMessenger:
    to_groups: list[tuple[GroupKey, Message]] = field(default_factory=list)
    to_people: list[tuple[PersonRef, Message]] = field(default_factory=list)
    updates: list[tuple[Sent, Message]] = field(default_factory=list)
    rosters: dict[GroupKey, list[Member]] = field(default_factory=dict)  # what the "channel" says is in a group now
    unreachable: set[PersonRef] = field(default_factory=set)  # people who never installed the bot

    async def send_to_group(self, group: GroupKey, message: Message) -> Sent:
        self.to_groups.append((group, message))
        return Sent(channel=group.channel, message_id=f"g{len(self.to_groups)}")

    async def send_to_person(self, person: PersonRef, message: Message) -> Sent:
        if person in self.unreachable:
            raise Unreachable(f"{person} never installed the bot")
        self.to_people.append((person, message))
        return Sent(channel=person.channel, message_id=f"p{len(self.to_people)}")

    async def update(self, sent: Sent, message: Message) -> None:
        self.updates.append((sent, message))

    async def read_members(self, group: Group) -> list[Member] | None:
        return self.rosters.get(group.key)
