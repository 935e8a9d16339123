"""The shape check: every field the bot reads is checked for type, bad input is a 400 with the
reason, words are cleaned so they can always be stored, and what passes deserialises cleanly."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botbuilder.schema import Activity

from bots.http import Refused
from bots.teams.activity_shape import checked, parse
from bots.teams.fakes.activities import teams_activity

SERVICE = "http://127.0.0.1:9/"


def message(**changes: Any) -> dict[str, Any]:
    return teams_activity("personal_message", SERVICE, **changes)


def refusal(body: Any) -> str:
    with pytest.raises(Refused) as refused:
        checked(body)
    assert refused.value.status == 400
    return refused.value.reason


@pytest.mark.parametrize(("changes", "reason"), [
    ({"entities": "x"}, "entities must be a list"),
    ({"entities": [1]}, "an entity must be an object"),
    ({"entities": [{"type": None}]}, "entity.type must be text"),
    ({"membersAdded": [1]}, "membersAdded must be an object"),
    ({"membersAdded": [{"name": "no id"}]}, "membersAdded needs an id"),
    ({"timestamp": "garbage"}, "timestamp is not an ISO 8601 time"),
    ({"timestamp": 12}, "timestamp must be text"),
    ({"from": None}, "from must be an object"),
    ({"from": {"name": "x"}}, "from needs an id"),
    ({"conversation": {"id": 7}}, "conversation.id must be text"),
    ({"conversation": {"id": "a:\ud800"}}, "conversation.id is not valid Unicode"),
    ({"from": {"id": "29:s1", "aadObjectId": "\udfff"}}, "from.aadObjectId is not valid Unicode"),
    ({"id": None}, "activity needs an id"),
    ({"type": ""}, "activity needs a type"),
    ({"value": "x"}, "value must be an object"),
    ({"text": ["x"]}, "text must be text"),
    ({"channelData": {"tenant": "t"}}, "channelData.tenant must be an object"),
])
def test_a_wrong_field_is_a_400_naming_it(changes: dict[str, Any], reason: str) -> None:
    """Each field the bot reads has a type; a wrong one is refused with its name."""
    assert refusal(message(**changes)) == reason


def test_a_missing_from_is_refused() -> None:
    body = message()
    del body["from"]
    assert refusal(body) == "from must be an object"


def test_an_invoke_needs_an_object_value_with_an_execute_action() -> None:
    invoke = teams_activity("card_execute", SERVICE)
    assert refusal(invoke | {"value": "x"}) == "value must be an object"
    assert "Action.Execute" in refusal(invoke | {"value": {"action": {"type": "Action.Submit"}}})
    assert "verb" in refusal(invoke | {"value": {"action": {"type": "Action.Execute", "verb": 3}}})


def test_deep_nesting_is_refused_before_it_is_walked() -> None:
    """JSON nested past the recursion limit, and card data nested past what a card holds."""
    with pytest.raises(Refused, match="nested too deeply"):
        parse(b"[" * 100_000 + b"]" * 100_000)
    deep: dict[str, Any] = {}
    for _ in range(40):
        deep = {"d": deep}
    assert refusal(message(value=deep)) == "value is nested too deeply"
    assert refusal(message(value={"l": [[[[[[[[[[[[[[[[[[["x"]]]]]]]]]]]]]]]]]]]})) == "value is nested too deeply"


def test_words_with_a_lone_surrogate_are_cleaned_not_refused() -> None:
    """A report must be storable: a lone surrogate in the words becomes U+FFFD."""
    body = json.loads('{"text": "help \\ud83d me", "from": {"id": "29:s1", "name": "A\\udc00"}}')
    cleaned = checked(message(**body))
    assert cleaned["text"] == "help \ufffd me"
    assert cleaned["from"]["name"] == "A\ufffd"
    json.dumps(cleaned, ensure_ascii=False).encode()  # storable as UTF-8


def test_unknown_fields_are_dropped_and_the_rest_deserialises() -> None:
    """Only what the bot reads is kept; botbuilder deserialises it without surprises."""
    cleaned = checked(message(attachments="junk", callerId=5, localTimestamp="2026-11-23T10:10:00+01:00"))
    assert "attachments" not in cleaned
    assert "callerId" not in cleaned
    activity = Activity().deserialize(cleaned)
    assert (activity.text, activity.from_property.aad_object_id) == ("hello can we chat", "0F5A1C2E-1111-4A4A-9A9A-000000000001")
    assert activity.timestamp.isoformat() == "2026-11-23T09:10:00+00:00"


def test_a_type_the_bot_does_not_handle_keeps_only_what_answering_needs() -> None:
    assert checked({"type": "typing", "serviceUrl": SERVICE, "channelId": "msteams", "text": 5}) == {
        "type": "typing", "serviceUrl": SERVICE, "channelId": "msteams"}
