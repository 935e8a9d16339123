"""What every duty receives: its dependencies, visible in one small value (STYLE.md lesson 1)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from handlers.events import Event
from handlers.messenger import Messenger
from handlers.policies import CasePolicy, ReminderPolicy, SupervisionPolicy
from handlers.runtime.doorbell import Doorbell
from handlers.spoken_time import school_time_words
from handlers.tallies import Tallies
from policy_text.catalog import Catalog
from state.clock import Clock
from state.models import CHANNELS
from state.store import Store

E = TypeVar("E", bound=Event, contravariant=True)


@dataclass(frozen=True, kw_only=True)
class Deps:
    store: Store
    messenger: Messenger
    clock: Clock
    catalog: Catalog
    school_locale: str = "en"
    school_timezone: str = "UTC"
    cases: CasePolicy = field(default_factory=CasePolicy)
    supervision: SupervisionPolicy = field(default_factory=SupervisionPolicy)
    reminders: ReminderPolicy = field(default_factory=ReminderPolicy)
    doorbell: Doorbell = field(default_factory=Doorbell)
    channels: frozenset[str] = frozenset(CHANNELS)  # the channels that are on: who can be reached at all
    tallies: Tallies = field(default_factory=Tallies)  # failed deliveries, counted for /metrics

    def school_time(self, at: datetime) -> datetime:
        """`at` on the school's clock: what a reference's year and any time told to people use."""
        return at.astimezone(ZoneInfo(self.school_timezone))

    def school_time_words(self, at: datetime) -> dict[str, Any]:
        """`at` as every message tells a time: the school's clock, in the reader's language
        (`Mon 30 Nov 08:00`, `11月30日（周一）08:00`)."""
        return school_time_words(at, self.school_timezone)


Duty = Callable[[E, Deps], Awaitable[None]]
