"""Every Redis key the Store uses, built here and nowhere else, all under one prefix."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import NamedTuple

from state.due import Queue
from state.models import GroupKey


class DueKeys(NamedTuple):
    """One due queue, in the order every due script takes its KEYS."""

    by_time: str  # zset id -> due time (queued, not parked; a claim moves it to the lease end)
    items: str  # hash id -> DueItem JSON (queued or parked)
    leases: str  # hash id -> token of the current claim
    parked: str  # set of parked ids


@dataclass(frozen=True)
class RedisKeys:
    """Every key the Store uses, built here and nowhere else, all under one prefix. Each fixed
    key is its field name under the prefix (`groups` -> `esafety:groups`)."""

    prefix: str
    people_channels: str = field(init=False)  # set of channels that have a roster
    person_addresses: str = field(init=False)  # hash person ref -> address JSON
    groups: str = field(init=False)  # hash group key -> Group
    group_members: str = field(init=False)  # hash group key -> [Member]
    schedules: str = field(init=False)  # hash group key -> Schedule
    calendar: str = field(init=False)  # [SchoolDays] JSON
    covers: str = field(init=False)  # hash person ref -> Cover
    lessons: str = field(init=False)  # hash lesson_id -> Lesson
    lessons_by_start: str = field(init=False)  # zset lesson_id -> started_at
    cases_by_received: str = field(init=False)  # zset upper-cased reference -> received_at
    audit_seq: str = field(init=False)  # counter: the last audit seq handed out
    audit_log: str = field(init=False)  # list of "seq<TAB>prev<TAB>seal<TAB>AuditRecord"; seq n at index n - anchor seq - 1
    audit_head: str = field(init=False)  # the seal of the last record appended (state/audit_chain.py)
    audit_anchor: str = field(init=False)  # "seq seal" the first stored record follows (absent: 0 and GENESIS)
    audit_sealing: str = field(init=False)  # "seq seal" reached while a log from before the chain is sealed, chunk by chunk
    audit_log_sealed: str = field(init=False)  # that log's records sealed so far, renamed into audit_log when done
    instances: str = field(init=False)  # hash holder -> alive until (heartbeats)
    tallies: str = field(init=False)  # hash name -> running total (the /metrics counters)

    def __post_init__(self) -> None:
        for fixed in fields(self)[1:]:
            object.__setattr__(self, fixed.name, self._key(fixed.name))

    def _key(self, *parts: object) -> str:
        return self.prefix + ":".join(str(part) for part in parts)

    def people(self, channel: str) -> str:  # hash user_id (as imported) -> Person
        return self._key("people", channel)

    def rotation(self, group: GroupKey) -> str:  # counter
        return self._key("rotation", group)

    def active_lesson(self, group: GroupKey) -> str:  # lesson_id of the group's running lesson
        return self._key("active_lesson", group)

    def case(self, reference: str) -> str:  # Case JSON, by upper-cased reference
        return self._key("case", reference)

    def case_counter(self, year: int) -> str:
        return self._key("case_counter", year)

    def case_origin(self, origin: str) -> str:  # reference of the case made from an event
        return self._key("case_origin", origin)

    def due(self, queue: Queue) -> DueKeys:
        return DueKeys(*(self._key("due", queue.value, part) for part in DueKeys._fields))

    def seen(self, key: str) -> str:  # expires_at of a remembered key
        return self._key("seen", key)

    def cache(self, key: str) -> str:  # hash value, expires_at
        return self._key("cache", key)

    def send_slots(self, bucket: str) -> str:  # zset unique member -> send time
        return self._key("send_slots", bucket)
