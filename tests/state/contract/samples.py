"""The records the Store contract tests write: people, a class group, due work, a case, an audit row."""

from __future__ import annotations

from datetime import timedelta

from state.due import DueItem, Queue
from state.models import Group, GroupKey, Person, Role
from state.records import AuditRecord, Case
from tests.conftest import START

ALICE = Person(channel="teams", user_id="aad-alice", name="Alice Pupil", role=Role.STUDENT, classes=("5A",), consent=True)
BOB = Person(channel="teams", user_id="aad-bob", name="Bob Pupil", role=Role.STUDENT, classes=("5A", "5B"))
LEAD = Person(channel="wecom", user_id="lead01", name="Lee Lead", role=Role.DSL, locale="zh_CN")
CLASS_5A = GroupKey("teams", "19:class5a@thread.v2")


def group(key: GroupKey = CLASS_5A, name: str = "5A maths") -> Group:
    return Group(key=key, name=name, joined_at=START, address={"serviceUrl": "http://x/", "conversation": {"id": key.conversation_id}})


def due(item_id: str, after: float = 0, queue: Queue = Queue.TIMERS) -> DueItem:
    return DueItem(queue=queue, item_id=item_id, kind="test", due_at=START + timedelta(seconds=after), payload={"n": item_id})


def case(reference: str, text: str = "someone is bullying me") -> Case:
    return Case(reference=reference, reporter=ALICE.ref, reporter_role=Role.STUDENT, received_at=START, text=text, group=CLASS_5A)


def audit(action: str) -> AuditRecord:
    return AuditRecord(at=START, action=action, actor="system", group=str(CLASS_5A), clause="000 §5")
