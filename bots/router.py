"""One Messenger for the duties, many channels behind it: each message goes to the channel its
group or person belongs to. A channel that is off raises `ChannelOff`."""

from __future__ import annotations

from collections.abc import Mapping

from handlers.messenger import Message, Messenger, Sent, Unreachable
from state.models import Group, GroupKey, Member, PersonRef


class ChannelOff(Unreachable):
    """Nobody can be reached on a channel that is not configured: the admin team is told at
    once, and the message waits (handlers/outbox.py) until the channel is on again."""


class MessengerByChannel:
    def __init__(self, channels: Mapping[str, Messenger]) -> None:
        self._channels = dict(channels)

    @property
    def channels(self) -> frozenset[str]:
        return frozenset(self._channels)

    def _for(self, channel: str) -> Messenger:
        try:
            return self._channels[channel]
        except KeyError:
            raise ChannelOff(f"the {channel} channel is off") from None

    async def send_to_group(self, group: GroupKey, message: Message) -> Sent:
        return await self._for(group.channel).send_to_group(group, message)

    async def send_to_person(self, person: PersonRef, message: Message) -> Sent:
        return await self._for(person.channel).send_to_person(person, message)

    async def update(self, sent: Sent, message: Message) -> None:
        await self._for(sent.channel).update(sent, message)

    async def read_members(self, group: Group) -> list[Member] | None:
        return await self._for(group.key.channel).read_members(group)
