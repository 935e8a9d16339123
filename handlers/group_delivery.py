"""What became of the messages a group receives through someone's hands (issue 22).

A WeCom 班级群 cannot be posted into by the app: its reminders and recording notices go as a
group send its 班主任 confirms in WeCom, or as a 学校通知 straight to the class's families. The
channel reports each step here; each is audited as `delivery.<state>` against the group, its
latest is kept for `groups list`, and the weekly digest counts them per group, so a reminder
nobody confirmed is seen by the leads, not lost (000 §5.5 and closing paragraph: the class must
actually receive its reminders and recording notices).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from handlers.audit import record_decision
from state.clock import Clock
from state.models import GroupKey
from state.store import Store

CONFIRM_ASKED = "confirm_asked"  # a group send prepared: the teacher was asked to confirm it
CONFIRMED = "confirmed"  # the teacher confirmed it: WeCom sent it into the group
UNCONFIRMED = "unconfirmed"  # never confirmed in the time allowed
NOT_SENT = "not_sent"  # WeCom refused it (the group is not the teacher's, or it already had its send)
CAP_REACHED = "cap_reached"  # WeCom's monthly limit of group sends reached: forwarded by staff instead
NOTICE_SENT = "notice_sent"  # a 学校通知 sent to the class's families
STATES = (CONFIRM_ASKED, CONFIRMED, UNCONFIRMED, NOT_SENT, CAP_REACHED, NOTICE_SENT)
CLAUSE = "000 §5.5"
LAST = "delivery:last:{group}"
KEEP_SECONDS = 400 * 86_400


@dataclass(frozen=True)
class DeliveryNote:
    state: str
    at: datetime


async def note_delivery(store: Store, clock: Clock, group: GroupKey, state: str, *, key: str | None = None) -> None:
    """Audit one step (once per `key`) and keep it as the group's latest."""
    if state not in STATES:
        raise ValueError(f"unknown delivery state {state!r}")
    await record_decision(store, clock, key=key, action=f"delivery.{state}", actor="delivery", group=str(group), clause=CLAUSE)
    await store.cache_set(LAST.format(group=group), json.dumps({"state": state, "at": clock.now().isoformat()}), KEEP_SECONDS)


async def last_delivery(store: Store, group: GroupKey) -> DeliveryNote | None:
    raw = await store.cache_get(LAST.format(group=group))
    if raw is None:
        return None
    data = json.loads(raw)
    return DeliveryNote(str(data["state"]), datetime.fromisoformat(data["at"]))
