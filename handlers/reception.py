"""Someone must be there to receive a report.

A report is only worth making if a safeguarding lead can read it (004 strategy 9: concerns go to
the designated staff immediately; 000 §3: a formal procedure, not a hope). The leads are the
roster's `dsl` people on a channel that is on. When there is none, the bot still stores every
report, but says so: loudly at start-up, as `degraded` on /readyz, honestly to the child, and
to the head and the admin team on every channel they are on.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence

from handlers.audit import decision
from handlers.case_keys import CaseKeys
from handlers.duties import Deps
from handlers.messenger import Message
from handlers.outbox import outbox_item
from state.due import DueItem
from state.models import Person, Role
from state.records import AuditRecord, Case

log = logging.getLogger(__name__)
CLAUSE = "004 strategy 9; 000 §3"
TOLD_INSTEAD = (Role.HEAD, Role.ADMIN)


def leads_on(people: Sequence[Person], channels: Collection[str]) -> list[Person]:
    """The safeguarding leads a case can reach: `dsl` on a channel that is on."""
    return [person for person in people if person.role is Role.DSL and person.channel in channels]


def reception_gap(people: Sequence[Person], channels: Collection[str]) -> str | None:
    """Why nobody would receive a report now, or None when a lead would."""
    if not channels:
        return "no channel is on (set MicrosoftAppId or WECOM_CORP_ID): nobody can report, and nobody can be told"
    if not leads_on(people, channels):
        return (f"no safeguarding lead (role dsl) is on the roster of {' or '.join(sorted(channels))}: reports are stored, "
                f"but nobody receives them (roster import a dsl)")
    return None


def nobody_to_receive(case: Case, people: Sequence[Person], deps: Deps) -> tuple[list[DueItem], AuditRecord]:
    """What follows a case no lead can receive: the head and the admin team alerted (each of
    their roster entries, so every channel they are on), and the decision audited."""
    alert = Message(key="case.no_lead", fields={"reference": case.reference})
    told = [person for person in people if person.role in TOLD_INSTEAD]
    alerts = [outbox_item(person.ref, alert, key=CaseKeys(case.reference).no_lead_alert(person.ref), due_at=case.received_at, first=True)
              for person in told]
    log.error("case %s: no safeguarding lead can receive it; the head and admins (%d) are told", case.reference, len(told))
    audit = decision(deps.clock, action="case.no_lead", actor="system", subject=str(case.reporter), group=str(case.group or ""),
                     clause=CLAUSE, outcome=case.reference, detail={"told": str(len(told))})
    return alerts, audit
