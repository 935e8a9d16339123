"""The Messenger port for Teams: proactive sends to groups and private messages to people.

A group is reached through its stored conversation reference: the activity is addressed from it
(`TurnContext.apply_conversation_reference`, as a turn would) and posted with the connector
client kept for the bot's app id and that serviceUrl (the app id is required once one is set,
CHANNEL_NOTES.md T3). A whole proactive turn (`continue_conversation`) is kept for what needs a
turn context (a card replaced, a roster read): for a plain send it cost a fifth of a delivered
message's CPU (bench/teams_inbound.py). A person is reached, in order, through their stored
personal chat; else a new 1:1 created with their Teams member id from a roster read and the
tenant's serviceUrl; else `Unreachable` — they must install the bot.
"""

from __future__ import annotations

from typing import Any

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ChannelAccount, ConversationParameters, ConversationReference, ResourceResponse

from bots.teams.adapter import ReusingClients
from bots.teams.delivery import TeamsDelivery
from bots.teams.render import render
from bots.teams.roster import read_members
from handlers.messenger import Message, Sent, Unreachable
from policy_text.catalog import Catalog, Queued
from state.models import Group, GroupKey, Member, PersonRef
from state.store import Store

TEAMS_CHANNEL_ID = "msteams"


class TeamsMessenger:
    def __init__(self, adapter: CloudAdapter, clients: ReusingClients, store: Store, catalog: Catalog, delivery: TeamsDelivery, *,
                 app_id: str, school_locale: str) -> None:
        self._adapter = adapter
        self._clients = clients
        self._store = store
        self._catalog = Queued(catalog)  # a message queued by an earlier version still renders
        self._delivery = delivery
        self._app_id = app_id or None
        self._school_locale = school_locale

    async def send_to_group(self, group: GroupKey, message: Message) -> Sent:
        stored = await self._store.get_group(group)
        if stored is None or not stored.address:
            raise Unreachable(f"no conversation reference for {group}")
        return await self._post(stored.address, render(message, self._catalog, stored.locale))

    async def send_to_person(self, person: PersonRef, message: Message) -> Sent:
        known = await self._store.get_person(person.channel, person.user_id)
        activity = render(message, self._catalog, (known.locale if known else None) or self._school_locale)
        address = await self._store.get_person_address(person) or {}
        if address.get("reference"):
            return await self._post(address["reference"], activity)
        return await self._open_personal_chat(person, activity)

    async def update(self, sent: Sent, message: Message) -> None:
        """Replace a sent card in place (PUT …/activities/{id}), e.g. to show who acknowledged."""
        reference = ConversationReference().deserialize(sent.address)
        activity = render(message, self._catalog, reference.locale or self._school_locale)
        activity.id = sent.message_id

        async def replace(turn_context: TurnContext) -> None:
            await turn_context.update_activity(activity)

        await self._delivery.send(reference.conversation.id,
                                  lambda: self._adapter.continue_conversation(reference, replace, bot_app_id=self._app_id))

    async def read_members(self, group: Group) -> list[Member] | None:
        """The group's whole roster, read in a proactive turn on its stored reference."""
        if not group.address:
            return None
        reference = ConversationReference().deserialize(group.address)
        found: list[Member] = []

        async def read(turn_context: TurnContext) -> None:
            # A proactive turn has no channelData, which TeamsInfo reads (botbuilder 4.17.1 fails on None).
            tenant = reference.conversation.tenant_id
            turn_context.activity.channel_data = turn_context.activity.channel_data or ({"tenant": {"id": tenant}} if tenant else {})
            found.extend(await read_members(turn_context))

        await self._delivery.send(reference.conversation.id,
                                  lambda: self._adapter.continue_conversation(reference, read, bot_app_id=self._app_id))
        return found

    async def _post(self, address: dict[str, Any], activity: Activity) -> Sent:
        """Send into the conversation `address` (a stored reference, kept without an activity
        id: bots/teams/translate.py), as a new post; a reference stored with one is still
        answered as a reply to it."""
        reference = ConversationReference().deserialize(address)
        outgoing = TurnContext.apply_conversation_reference(activity, reference)

        async def post() -> ResourceResponse | None:
            conversations = (await self._clients.connector_for(self._app_id, reference.service_url)).conversations
            if outgoing.reply_to_id:
                return await conversations.reply_to_activity(outgoing.conversation.id, outgoing.reply_to_id, outgoing)
            return await conversations.send_to_conversation(outgoing.conversation.id, outgoing)

        response = await self._delivery.send(reference.conversation.id, post)
        return Sent(channel="teams", message_id=(response.id if response else None) or "", address=address)

    async def _open_personal_chat(self, person: PersonRef, activity: Activity) -> Sent:
        """Create a 1:1 with someone seen in a group roster, remember it, and send there."""
        found = await member_route(self._store, person)
        if found is None:
            raise Unreachable(f"{person} has no personal chat with the bot and is in no known group roster")
        member_id, group_reference = found
        tenant = (group_reference.get("conversation") or {}).get("tenantID")
        parameters = ConversationParameters(
            is_group=False, bot=ChannelAccount(id=(group_reference.get("bot") or {}).get("id")),
            members=[ChannelAccount(id=member_id)], tenant_id=tenant, channel_data={"tenant": {"id": tenant}})
        sent: dict[str, str] = {}

        async def send(turn_context: TurnContext) -> None:
            reference = TurnContext.get_conversation_reference(turn_context.activity)
            await self._store.save_person_address(person, {"reference": reference.serialize(), "member_id": member_id})
            response = await turn_context.send_activity(activity)
            sent["id"] = response.id if response else ""

        await self._delivery.send(f"create:{member_id}", lambda: self._adapter.create_conversation(
            self._app_id, send, parameters, TEAMS_CHANNEL_ID, group_reference["serviceUrl"]))
        stored = await self._store.get_person_address(person) or {}
        return Sent(channel="teams", message_id=sent.get("id", ""), address=stored.get("reference", {}))


async def member_route(store: Store, person: PersonRef) -> tuple[str, dict[str, Any]] | None:
    """Their Teams member id and a group's reference to open a 1:1 with, from a group roster that lists them."""
    for group in await store.list_groups():
        if group.key.channel != person.channel or not group.address.get("serviceUrl"):
            continue
        for member in await store.group_members(group.key):
            if member.user_id == person.user_id and member.platform_id:
                return member.platform_id, group.address
    return None


async def reachable_privately(store: Store, person: PersonRef) -> bool:
    """Whether a message to `person` can go now: a personal chat of theirs is stored, or one can be
    opened from a group roster (`doctor` names the staff for whom neither holds)."""
    address = await store.get_person_address(person) or {}
    return bool(address.get("reference")) or await member_route(store, person) is not None
