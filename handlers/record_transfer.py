"""A child moves school: their whole safeguarding record, for the new school's safeguarding lead
(000 §3: formal procedures; 004 strategy 13: incidents recorded on the school's secured system).
UK guidance expects the file to follow the child, so it goes out complete: every case the child
reported, each chronology step as its own row (what was done, by whom, when, notes and reasons
included), with the report's words on the step that received them.

It is one reading of everything, by a named member of the safeguarding staff: each case's read
trail and the audit record it (`case.transferred`, never the words).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import IO

from handlers.audit import decision
from handlers.case_export import write_rows
from handlers.read_trail import CLAUSE, TRANSFER, record_reading
from state.clock import Clock
from state.models import Person, PersonRef
from state.records import Case
from state.store import Store

INTERNAL = ("item", "event", "recipients")
TRANSFER_FIELDS = ("reference", "reporter", "reporter_role", "received_at", "urgency", "about_adult", "group", "case_state",
                   "case_outcome", "assigned_to", "step", "at", "action", "actor", "detail", "words")
"""One row per chronology step; `detail` is the step's facts as JSON (outcome, reason, note, how,
to whom), `words` the report's words (with the child's own later words) on its `received` step."""


def transfer_rows(cases: Sequence[Case]) -> list[dict[str, str]]:
    rows = []
    for case in cases:
        about = {"reference": case.reference, "reporter": str(case.reporter), "reporter_role": case.reporter_role.value,
                 "received_at": case.received_at.isoformat(), "urgency": case.urgency.value, "about_adult": str(case.about_adult).lower(),
                 "group": str(case.group or ""), "case_state": case.state.value,
                 "case_outcome": case.outcome.value if case.outcome else "", "assigned_to": case.assigned_to or ""}
        for n, step in enumerate(case.steps, start=1):
            detail = {k: v for k, v in step.detail.items() if k not in INTERNAL}
            rows.append(about | {"step": str(n), "at": step.at.isoformat(), "action": step.action, "actor": step.actor,
                                 "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else "",
                                 "words": case.text if step.action == "received" else ""})
    return rows


async def export_record(store: Store, clock: Clock, child: PersonRef, out: IO[str], *, fmt: str, reader: Person, origin: str) -> int:
    """Write `child`'s record; each case's reading and the transfer itself are recorded. How many cases."""
    cases = [case for case in await store.list_cases() if case.reporter == child]
    rows = transfer_rows(cases)
    write_rows(out, rows, TRANSFER_FIELDS, fmt)
    for case in cases:
        await record_reading(store, clock, case, reader=str(reader.ref), reader_role=reader.role.value, how=TRANSFER, origin=origin)
    await store.append_audit(decision(clock, action="case.transferred", actor=str(reader.ref), actor_role=reader.role.value,
                                      subject=str(child), clause=CLAUSE, outcome=",".join(c.reference for c in cases)[:500],
                                      detail={"cases": str(len(cases)), "steps": str(len(rows))}))
    return len(cases)
