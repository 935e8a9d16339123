"""The codec: what `dumps` writes is exactly `to_plain`'s JSON, and `loads` gives the value back."""

from __future__ import annotations

import json
from typing import Any

import pytest

from state import codec
from state.due import DueItem, Queue
from state.models import Group, GroupKey, PersonRef, Role, Supervision
from state.records import Case, CaseStep, Urgency
from tests.conftest import START

CASE = Case(reference="C-2026-000001", reporter=PersonRef("teams", "s1"), reporter_role=Role.STUDENT, received_at=START,
            text="someone keeps messaging me 你好", group=GroupKey("teams", "19:5a"), urgency=Urgency.URGENT,
            steps=(CaseStep(at=START, action="received", actor="teams:s1", detail={"event": "e1"}),))
GROUP = Group(key=GroupKey("wecom", "wr1"), name="6B", joined_at=START, address={"chat": {"id": "wr1"}}, supervision=Supervision.SUPERVISED,
              supervision_since=START)
ITEM = DueItem(queue=Queue.INBOX, item_id="teams:a:1|x", kind="teams.activity", due_at=START, payload={"activity": {"b": [1, {"z": None}]}},
               partition="teams:a:1")


@pytest.mark.parametrize("value", [CASE, GROUP, ITEM], ids=["case", "group", "due item"])
def test_dumps_writes_to_plains_json_and_loads_reads_it_back(value: Any) -> None:
    expected = json.dumps(codec.to_plain(value), ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    assert codec.dumps(value) == expected
    assert codec.loads(type(value), codec.dumps(value)) == value


def test_references_are_stored_as_text() -> None:
    stored = json.loads(codec.dumps(CASE))
    assert (stored["reporter"], stored["group"]) == ("teams:s1", "teams:19:5a")


def test_what_cannot_be_stored_is_refused() -> None:
    with pytest.raises(TypeError, match="object cannot be stored"):
        codec.dumps({"x": object()})
