"""The shape of a Teams activity, checked before anything reads it: bad input is a 400 with the
reason, never a 500 deep inside botbuilder (issue 12: `entities: "x"`, `membersAdded: [1]`, a
garbage timestamp, `from` missing, a string invoke `value`, JSON nested 1,000 levels deep).

Only the fields the bot reads are kept, each checked for type, so what is stored in the inbox and
deserialised later by botbuilder is known to be well formed. Identifiers must be valid Unicode
(a lone surrogate in an id is refused); words people wrote are cleaned instead (a lone
surrogate becomes U+FFFD), so a child's report can always be stored rather than refused forever.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bots.http import Refused
from handlers.events import LONE_SURROGATE, storable_text

HANDLED = frozenset({"message", "conversationUpdate", "installationUpdate", "invoke"})
"""Activity types that are stored and processed; any other type is answered and ignored."""

CARD_ACTION_INVOKE = "adaptiveCard/action"
MAX_DEPTH = 16  # card data nests a few levels; nothing the bot reads is deeper
ACCOUNT_FIELDS = frozenset({"id", "name", "aadObjectId", "role", "userRole", "userPrincipalName", "email", "givenName", "surname",
                            "tenantId"})
CONVERSATION_FIELDS = frozenset({"id", "name", "conversationType", "tenantId"})
TEAM_FIELDS = frozenset({"id", "name", "aadGroupId"})  # aadGroupId: a team's Microsoft 365 group (a class team's class)
WORDS = frozenset({"name", "givenName", "surname"})  # what people wrote: cleaned, never refused
TOP_LEVEL_IDS = ("id", "locale", "replyToId", "name", "action", "textFormat")


def parse(body: bytes) -> Any:
    """JSON, or `Refused(400)`: JSON nested past the interpreter's recursion limit is refused too."""
    try:
        return json.loads(body)
    except RecursionError:
        raise Refused(400, "body is nested too deeply") from None
    except (UnicodeDecodeError, ValueError):
        raise Refused(400, "body is not JSON") from None


def checked(body: Any) -> dict[str, Any]:
    """The activity's known fields, checked and cleaned; `Refused(400, reason)` otherwise."""
    if not isinstance(body, dict):
        raise Refused(400, "an activity is a JSON object")
    kind = _identifier(body, "type", required=True) or ""
    activity: dict[str, Any] = {"type": kind, "serviceUrl": body.get("serviceUrl")}
    if (channel := _identifier(body, "channelId")) is not None:
        activity["channelId"] = channel
    if kind not in HANDLED:
        return activity
    for name in TOP_LEVEL_IDS:
        if (value := _identifier(body, name, required=name == "id")) is not None:
            activity[name] = value
    activity["conversation"] = _account(body.get("conversation"), "conversation", CONVERSATION_FIELDS)
    if isinstance(body["conversation"].get("isGroup"), bool):
        activity["conversation"]["isGroup"] = body["conversation"]["isGroup"]
    activity["recipient"] = _account(body.get("recipient"), "recipient", ACCOUNT_FIELDS)
    if kind in ("message", "invoke") or body.get("from") is not None:
        activity["from"] = _account(body.get("from"), "from", ACCOUNT_FIELDS)
    activity |= _optional_fields(body)
    if kind == "invoke":
        _check_invoke(activity)
    return activity


def _optional_fields(body: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name in ("timestamp", "localTimestamp"):
        if body.get(name) is not None:
            fields[name] = _timestamp(body[name], name)
    if body.get("text") is not None:
        fields["text"] = storable_text(_expect(body["text"], str, "text"))
    for name in ("membersAdded", "membersRemoved"):
        if body.get(name) is not None:
            fields[name] = [_account(member, name, ACCOUNT_FIELDS) for member in _expect(body[name], list, name)]
    if body.get("entities") is not None:
        fields["entities"] = [_entity(entity) for entity in _expect(body["entities"], list, "entities")]
    if body.get("value") is not None:
        fields["value"] = _data(_expect(body["value"], dict, "value"), "value", 1)
    if body.get("channelData") is not None:
        fields["channelData"] = _channel_data(_expect(body["channelData"], dict, "channelData"))
    return fields


def _check_invoke(activity: dict[str, Any]) -> None:
    if activity.get("name") != CARD_ACTION_INVOKE:
        return
    action = (activity.get("value") or {}).get("action")
    if not isinstance(action, dict) or action.get("type") != "Action.Execute":
        raise Refused(400, "an adaptiveCard/action invoke needs value.action of type Action.Execute")
    if not isinstance(action.get("verb"), str) or not isinstance(action.get("data", {}), dict | None):
        raise Refused(400, "an Action.Execute needs a text verb and object data")


def _account(value: Any, what: str, allowed: frozenset[str]) -> dict[str, Any]:
    """An account's id (required) and the other known fields it has: names are words, cleaned;
    the rest are identifiers, refused if not valid Unicode."""
    account = _expect(value, dict, what)
    kept: dict[str, Any] = {"id": _identifier(account, "id", required=True, what=what)}
    for name, field in account.items():
        if field is None or name == "id" or name not in allowed:
            continue
        kept[name] = storable_text(_expect(field, str, f"{what}.{name}")) if name in WORDS else _identifier(account, name, what=what)
    return kept


def _entity(value: Any) -> dict[str, Any]:
    entity = _data(_expect(value, dict, "an entity"), "entities", 2)
    _expect(entity.get("type"), str, "entity.type")
    if entity.get("mentioned") is not None:
        entity["mentioned"] = _account(entity["mentioned"], "entity.mentioned", ACCOUNT_FIELDS)
    if entity.get("text") is not None:
        _expect(entity["text"], str, "entity.text")
    return entity


def _channel_data(data: dict[str, Any]) -> dict[str, Any]:
    """What botbuilder's TeamsChannelData and our tenant lookup read: the rest is dropped."""
    kept: dict[str, Any] = {}
    for name in ("tenant", "team", "channel"):
        if data.get(name) is not None:
            kept[name] = _account(data[name], f"channelData.{name}", TEAM_FIELDS)
    if data.get("eventType") is not None:
        kept["eventType"] = _identifier(data, "eventType", what="channelData")
    return kept


def _data(value: dict[str, Any], what: str, depth: int) -> dict[str, Any]:
    """Free-form card data: any JSON, not too deep, its words cleaned."""
    if depth > MAX_DEPTH:
        raise Refused(400, f"{what} is nested too deeply")
    return {storable_text(key): _datum(item, what, depth) for key, item in value.items()}


def _datum(value: Any, what: str, depth: int) -> Any:
    if isinstance(value, dict):
        return _data(value, what, depth + 1)
    if isinstance(value, list):
        if depth + 1 > MAX_DEPTH:
            raise Refused(400, f"{what} is nested too deeply")
        return [_datum(item, what, depth + 1) for item in value]
    return storable_text(value) if isinstance(value, str) else value


def _timestamp(value: Any, what: str) -> str:
    try:
        at = datetime.fromisoformat(_expect(value, str, what))
    except ValueError:
        raise Refused(400, f"{what} is not an ISO 8601 time") from None
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


def _identifier(container: dict[str, Any], name: str, *, required: bool = False, what: str = "activity") -> str | None:
    value = container.get(name)
    if value is None or value == "":
        if required:
            raise Refused(400, f"{what} needs {'an' if name[0] in 'aeiou' else 'a'} {name}")
        return None
    text: str = _expect(value, str, f"{what}.{name}")
    if LONE_SURROGATE.search(text):
        raise Refused(400, f"{what}.{name} is not valid Unicode")
    return text


def _expect(value: Any, kind: type | tuple[type, ...], what: str) -> Any:
    if not isinstance(value, kind):
        expected = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise Refused(400, f"{what} must be {_NAMES.get(expected, expected)}")
    return value


_NAMES = {"str": "text", "dict": "an object", "list": "a list"}
