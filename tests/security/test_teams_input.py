"""Hostile Teams input, generated: any body is either an activity the worker can read, or a
4xx with the reason; never an exception that would be a 5xx, and never an accepted activity
that then breaks the worker (it would be parked, and a child's message with it)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from botbuilder.schema import Activity
from hypothesis import given
from hypothesis import strategies as st

from bots.http import Refused
from bots.teams import translate
from bots.teams.activity_shape import CARD_ACTION_INVOKE, HANDLED, checked, parse
from bots.teams.endpoint import inbox_item
from bots.teams.fakes.activities import teams_activity

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
RECORDED = ("personal_message", "group_mention", "install_group", "member_added", "member_removed", "card_execute", "card_submit",
            "bot_removed_group", "install_personal")
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
                    max_leaves=12)


@st.composite
def mutated_activities(draw: st.DrawFn) -> Any:
    """A recorded activity with a few of its fields replaced by anything, or removed."""
    activity = copy.deepcopy(teams_activity(draw(st.sampled_from(RECORDED)), "https://smba.trafficmanager.net/emea/"))
    for _ in range(draw(st.integers(1, 4))):
        container, key = _somewhere(draw, activity)
        if draw(st.booleans()):
            container[key] = draw(JSON)
        else:
            container.pop(key, None)
    return activity


def _somewhere(draw: st.DrawFn, activity: dict[str, Any]) -> tuple[dict[str, Any], str]:
    container = activity
    while True:
        key = draw(st.sampled_from(sorted(container))) if container else draw(st.text(max_size=8))
        value = container.get(key)
        if isinstance(value, dict) and value and draw(st.booleans()):
            container = value
            continue
        return container, key


def read_as_the_worker_does(activity: dict[str, Any]) -> None:
    """What the webhook stores of an accepted activity, and what the inbox worker does with it,
    up to the neutral event. Kinds the bot does not handle are answered and dropped, as the webhook does."""
    if activity["type"] not in HANDLED or (activity["type"] == "invoke" and activity.get("name") != CARD_ACTION_INVOKE):
        return
    read = Activity().deserialize(inbox_item(activity, NOW).payload["activity"])
    if activity["type"] == "message":
        (translate.direct_message if translate.is_personal(read) else translate.group_message)(read)


@given(st.one_of(JSON, mutated_activities()))
def test_any_json_is_a_readable_activity_or_a_400(body: Any) -> None:
    try:
        activity = checked(body)
    except Refused as refusal:
        status = refusal.status
    else:
        read_as_the_worker_does(activity)
        return
    assert 400 <= status < 500


@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_any_bytes_are_json_or_a_400(body: bytes) -> None:
    try:
        parse(body)
    except Refused as refusal:
        status = refusal.status
    else:
        return
    assert status == 400


def test_json_nested_past_the_recursion_limit_is_a_400() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(Refused) as refused:
        checked(parse(deep))
    assert refused.value.status == 400
