"""The Teams activity handler: translate, store the way back, dispatch. No policy decisions.

One install sends both `installationUpdate` and `conversationUpdate`; joining is idempotent
in the group registry, so either (or both) lead to one registration (CHANNEL_NOTES.md T3).
"""

from __future__ import annotations

from typing import Any

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.schema import ChannelAccount
from botbuilder.schema.teams import TeamInfo

from bots.teams import translate
from bots.teams.roster import read_members
from handlers.dispatch import Dispatcher
from state.store import Store


class TeamsSafetyBot(TeamsActivityHandler):  # type: ignore[misc]
    def __init__(self, dispatcher: Dispatcher, store: Store) -> None:
        super().__init__()
        self._dispatcher = dispatcher
        self._store = store

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        await self._arrived(turn_context)

    async def on_installation_update_remove(self, turn_context: TurnContext) -> None:
        if not translate.is_personal(turn_context.activity):
            await self._dispatcher.dispatch(translate.bot_removed(turn_context.activity))

    async def on_teams_members_added(self, members: list[Any], team_info: TeamInfo, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if any(member.id == activity.recipient.id for member in members):
            await self._arrived(turn_context)
            return
        if not translate.is_personal(activity):
            added = [translate.member_of(member) for member in members]
            await self._dispatcher.dispatch(translate.members_changed(activity, added, []))

    async def on_teams_members_removed(self, members: list[Any], team_info: TeamInfo, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if translate.is_personal(activity):
            return
        if any(member.id == activity.recipient.id for member in members):
            await self._dispatcher.dispatch(translate.bot_removed(activity))
            return
        removed = [translate.member_of(member) for member in members]
        await self._dispatcher.dispatch(translate.members_changed(activity, [], removed))

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        address = translate.address_of(activity) if translate.is_personal(activity) else None
        if address is not None:
            await self._remember_personal_chat(turn_context, address)
        if isinstance(activity.value, dict) and activity.value.get("verb"):  # Action.Submit
            await self._dispatcher.dispatch(translate.card_action(activity, str(activity.value["verb"]), _data(activity.value)))
        elif address is not None:
            await self._dispatcher.dispatch(translate.direct_message(activity))
        else:
            await self._dispatcher.dispatch(translate.group_message(activity))

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        """Action.Execute arrives as an `adaptiveCard/action` invoke (the webhook stores only
        those). Its answer to Teams was given by the webhook when it stored the action; here
        the action is only carried out."""
        activity = turn_context.activity
        action = (activity.value or {}).get("action") or {}
        await self._dispatcher.dispatch(translate.card_action(activity, str(action.get("verb") or ""), _data(action)))
        return InvokeResponse(status=200)

    async def _arrived(self, turn_context: TurnContext) -> None:
        """Installed in a group: register it and read its whole roster. Installed personally by
        someone: keep their personal chat so alerts can reach them later."""
        activity = turn_context.activity
        if translate.is_personal(activity):
            await self._remember_personal_chat(turn_context)
            return
        await self._dispatcher.dispatch(translate.joined(activity))
        members = await read_members(turn_context)
        await self._dispatcher.dispatch(translate.members_changed(activity, members, [], complete=True))

    async def _remember_personal_chat(self, turn_context: TurnContext, reference: dict[str, Any] | None = None) -> None:
        """Kept when new or changed (most messages come from a chat already known: a read, not a
        write); then whatever waited for them is sent (handlers/redelivery.py)."""
        sender: ChannelAccount = turn_context.activity.from_property
        person = translate.person_of(sender)
        address = {"reference": reference or translate.address_of(turn_context.activity), "member_id": sender.id}
        if await self._store.get_person_address(person) != address:
            await self._store.save_person_address(person, address)
            await self._dispatcher.dispatch(translate.reachable(turn_context.activity))


def _data(action: dict[str, Any]) -> dict[str, Any]:
    data = action.get("data")
    return dict(data) if isinstance(data, dict) else {}
