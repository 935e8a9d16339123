"""The chain's health as IT watches it, read from the Store so every instance reports the same.

A school's IT team cannot read the audit log every morning; they add an alert to their
monitoring. This is what those alerts read (bots/metrics.py serves it as Prometheus metrics):
open cases and how long the oldest has waited for a lead (004 strategy 9: concerns go to the
designated staff at once), the outbox and what it could not deliver, unsupervised groups (000
§5, 004 strategy 18), late work (handlers/auditor.py) and whether the chain is degraded. Only
counts and ages: no report's words, no child's name.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from handlers.auditor import late_work
from handlers.outbox import undelivered_in_every_lane
from handlers.reception import reception_gap
from state.case_lifecycle import OPEN, UNACKNOWLEDGED
from state.due import OUTBOX_LANES, Queue
from state.models import Supervision
from state.records import CaseState
from state.store import Store

LANE_NAMES = {Queue.OUTBOX_FIRST: "first", Queue.OUTBOX: "routine"}
"""The outbox's lanes as IT reads them: `first` (replies to children, urgent cases) and `routine`."""


@dataclass(frozen=True, kw_only=True)
class ChainHealth:
    cases_open: dict[CaseState, int]
    oldest_unacknowledged_seconds: float
    outbox_depth: dict[str, int]
    undelivered: int
    groups_unsupervised: int
    overdue: int
    degraded: dict[str, bool]  # no_lead (or no channel on), overdue (a worker stopped), undelivered (a person must act)
    tallies: dict[str, int]


async def read_health(store: Store, channels: Collection[str], now: datetime, margin_seconds: float) -> ChainHealth:
    """Everything /metrics shows, as the Store holds it at `now`."""
    cases = [case for case in await store.list_cases(OPEN) if not case.drill]  # a drill is never counted as a real case
    waiting = [(now - case.received_at).total_seconds() for case in cases if case.state in UNACKNOWLEDGED]
    late = await late_work(store, now, margin_seconds)
    undelivered = len(await undelivered_in_every_lane(store))
    no_lead = reception_gap(await store.list_people(), channels) is not None
    return ChainHealth(
        cases_open={state: sum(case.state is state for case in cases) for state in OPEN},
        oldest_unacknowledged_seconds=max(waiting, default=0.0),
        outbox_depth={LANE_NAMES[lane]: await store.due_depth(lane) for lane in OUTBOX_LANES},
        undelivered=undelivered,
        groups_unsupervised=sum(group.supervision is Supervision.UNSUPERVISED for group in await store.list_groups()),
        overdue=sum(each.overdue.count for each in late),
        degraded={"no_lead": no_lead, "overdue": bool(late), "undelivered": bool(undelivered)},
        tallies=await store.read_tallies(),
    )
