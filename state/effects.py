"""What follows a decision, written in the same atomic step as the decision itself.

A duty decides (a case is received, a group found unsupervised, a case acknowledged) and what
must follow — messages to send, timers to arm or disarm, audit rows — travels with that one
write. So no alert, timer or audit row exists for a decision that did not commit (two checks
racing on one group alert once: the loser's compare-and-set fails and takes its effects with
it), and a retry that finds the decision already made writes nothing again (DESIGN.md, data
flow: effects follow the commit, never precede it).
"""

from __future__ import annotations

from dataclasses import dataclass

from state.due import DueItem
from state.records import AuditRecord

OUTBOX_KEY_PREFIX = "outbox-key:"
"""An outbox entry's id is remembered under this prefix, however it was queued, so it is sent once."""

ONCE_PREFIX = "once:"
"""An event's (or a decision's) idempotency key is remembered under this prefix."""

ONCE_MEMORY_SECONDS = 30 * 86_400
"""How long an idempotency key (an outbox entry's, an event's) is remembered: far longer than
any retry, redelivery or lease hand-over."""


@dataclass(frozen=True, kw_only=True)
class Effects:
    messages: tuple[DueItem, ...] = ()  # outbox entries; each id is queued at most once (remembered ONCE_MEMORY_SECONDS)
    timers: tuple[DueItem, ...] = ()  # armed; a pending timer with the same id is replaced
    disarmed: tuple[str, ...] = ()  # ids of timers to cancel
    audit: tuple[AuditRecord, ...] = ()

    def __add__(self, other: Effects) -> Effects:
        return Effects(messages=self.messages + other.messages, timers=self.timers + other.timers,
                       disarmed=self.disarmed + other.disarmed, audit=self.audit + other.audit)


NO_EFFECTS = Effects()
