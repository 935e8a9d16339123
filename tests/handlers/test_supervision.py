"""Supervision: both rules, every transition, the warning rate limit, escalation, guests,
consent gaps, the one-to-one case and bot removal."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Any

from handlers.dispatch import Dispatcher
from handlers.duties import Deps
from handlers.events import BotRemoved, GroupJoined
from handlers.group_lifecycle import on_bot_removed
from handlers.policies import SupervisionPolicy
from handlers.routes import policy_routes
from handlers.supervision import check_group
from handlers.supervision_rule import assess
from state.clock import ManualClock
from state.due import Queue
from state.effects import NO_EFFECTS, Effects
from state.models import Group, Supervision
from state.store import Store
from tests.conftest import START, StoreFactory
from tests.fakes.recording_messenger import RecordingMessenger
from tests.handlers.conftest import CLASS, SCHOOL, drain, join, keys_to, members, ref

ROSTER = {p.user_id: p for p in SCHOOL}


def group_keys(messenger: RecordingMessenger) -> list[str]:
    return [m.key for g, m in messenger.to_groups if g == CLASS]


def test_the_two_rules() -> None:
    """admin_team needs an admin-team member; two_adults needs two staff; no students, no rule."""
    teacher_only = members("s1", "s2", "t1")
    assert not assess(teacher_only, ROSTER, "admin_team").supervised
    assert assess(members("s1", "t1", "a1"), ROSTER, "admin_team").supervised
    assert assess(members("s1", "t1", "a1"), ROSTER, "two_adults").supervised
    assert not assess(members("s1", "a1"), ROSTER, "two_adults").supervised
    assert assess(members("t1", "p1"), ROSTER, "admin_team").supervised
    assert assess(members("s1", "t1"), ROSTER, "two_adults").one_to_one


async def grace_passes(deps: Deps) -> None:
    deps.clock.advance(deps.supervision.grace_seconds)  # type: ignore[attr-defined]
    await drain(deps)


async def test_join_welcomes_once_and_flags_an_unsupervised_group(school: Deps, messenger: RecordingMessenger) -> None:
    """Welcome with the report buttons; private alerts at once; a calm group warning only after
    the grace period; audited."""
    await join(school, "s1", "s2", "t1")
    await join(school, "s1", "s2", "t1")
    assert group_keys(messenger).count("welcome.summary") == 1
    assert keys_to(messenger, ref("lead")) == ["supervision.alert_unsupervised"]
    assert keys_to(messenger, ref("a1")) == ["supervision.alert_unsupervised"]  # admin of class 5A
    assert group_keys(messenger).count("supervision.group_warning") == 0
    await grace_passes(school)
    assert group_keys(messenger).count("supervision.group_warning") == 1
    group = await school.store.get_group(CLASS)
    assert group is not None
    assert (group.supervision, group.supervision_since) == (Supervision.UNSUPERVISED, START)
    assert "supervision.unsupervised" in [e.record.action for e in await school.store.read_audit()]
    for _, message in messenger.to_groups:
        assert not {"Amira Pupil", "Ben Pupil"} & {str(v) for v in message.fields.values()}


async def test_warning_is_rate_limited_and_resolution_announced(school: Deps, messenger: RecordingMessenger) -> None:
    """Repeated changes do not repeat the warning within the interval; adding an admin resolves it."""
    await join(school, "s1", "s2", "t1")
    await grace_passes(school)
    await join(school, "s1", "t1")
    school.clock.advance(school.supervision.warning_interval_seconds)  # type: ignore[attr-defined]
    await join(school, "s1", "s2", "t1")
    assert group_keys(messenger).count("supervision.group_warning") == 2
    await join(school, "s1", "s2", "t1", "a1")
    assert group_keys(messenger)[-1] == "supervision.group_resolved"
    assert keys_to(messenger, ref("lead"))[-1] == "supervision.alert_resolved"
    group = await school.store.get_group(CLASS)
    assert group is not None
    assert group.supervision is Supervision.SUPERVISED


async def test_long_unsupervised_escalates_to_deputies_and_head(school: Deps, messenger: RecordingMessenger) -> None:
    """Still unsupervised after the escalation time: the deputy and head are alerted, once."""
    await join(school, "s1", "s2", "t1")
    school.clock.advance(school.supervision.escalate_seconds)  # type: ignore[attr-defined]
    await drain(school)
    assert keys_to(messenger, ref("deputy")) == ["supervision.alert_escalated"]
    assert keys_to(messenger, ref("head")) == ["supervision.alert_escalated"]


async def test_one_to_one_is_named_as_such(school: Deps, messenger: RecordingMessenger) -> None:
    """One staff member and one student: the alert says it is the forbidden one-to-one."""
    deps = replace(school, supervision=SupervisionPolicy(rule="two_adults"))
    await join(deps, "s1", "t1")
    assert keys_to(messenger, ref("lead")) == ["supervision.alert_one_to_one"]


async def test_guests_and_consent_gaps_are_named_only_privately(school: Deps, messenger: RecordingMessenger) -> None:
    """A guest: the group hears 'an unknown account', staff get the name. A student without
    consent is named to the teacher privately; nothing with a name goes to the group."""
    await join(school, "s1", "s2", "t1", "a1", guest="Visitor Person")
    assert "supervision.group_warning_guest" in group_keys(messenger)
    ((_, alert),) = [(p, m) for p, m in messenger.to_people if p == ref("t1") and m.key == "supervision.alert_guest"]
    assert alert.fields["guests"] == "Visitor Person"
    ((_, gap),) = [(p, m) for p, m in messenger.to_people if p == ref("t1") and m.key == "supervision.alert_consent_gap"]
    assert gap.fields["students"] == "Ben Pupil"
    assert all("Visitor" not in str(m.fields) and "Ben" not in str(m.fields) for _, m in messenger.to_groups)
    actions = [e.record.action for e in await school.store.read_audit()]
    assert "supervision.guest_flagged" in actions
    assert "supervision.consent_gap" in actions


async def test_periodic_recheck_is_scheduled_and_runs(school: Deps, messenger: RecordingMessenger) -> None:
    """A roster change with no event (the admin leaves the roster) is caught by the re-check."""
    await join(school, "s1", "t1", "a1")
    await school.store.replace_roster({"teams"}, [p for p in SCHOOL if p.user_id != "a1"])
    school.clock.advance(school.supervision.recheck_seconds)  # type: ignore[attr-defined]
    await drain(school)
    group = await school.store.get_group(CLASS)
    assert group is not None
    assert group.supervision is Supervision.UNSUPERVISED


async def test_recheck_reads_the_roster_from_the_channel(school: Deps, messenger: RecordingMessenger) -> None:
    """The admin left the chat and no event reached the bot: the re-check reads the members from
    the channel, stores them and finds the group unsupervised."""
    await join(school, "s1", "t1", "a1")
    messenger.rosters[CLASS] = list(members("s1", "s2", "t1"))
    school.clock.advance(school.supervision.recheck_seconds)  # type: ignore[attr-defined]
    await drain(school)
    assert {m.user_id for m in await school.store.group_members(CLASS)} == {"s1", "s2", "t1"}
    group = await school.store.get_group(CLASS)
    assert group is not None
    assert group.supervision is Supervision.UNSUPERVISED


async def test_recheck_uses_the_last_members_seen_when_the_channel_fails(school: Deps, messenger: RecordingMessenger) -> None:
    class Down(RecordingMessenger):
        async def read_members(self, group: object) -> None:
            raise ConnectionError("channel down")

    await join(school, "s1", "t1")
    down = replace(school, messenger=Down())
    school.clock.advance(school.supervision.recheck_seconds)  # type: ignore[attr-defined]
    await drain(down)
    assert {m.user_id for m in await school.store.group_members(CLASS)} == {"s1", "t1"}
    next_check = await school.store.get_due(Queue.TIMERS, f"{CLASS}|recheck")
    assert next_check is not None
    assert next_check.due_at > school.clock.now(), "checked anyway, and the next re-check is scheduled"


async def test_a_removal_during_a_check_is_not_overwritten(school: Deps, messenger: RecordingMessenger) -> None:
    """The bot is removed after a check read the group but before it stored its outcome: the
    check's compare-and-set fails, it looks again, sees the group unmonitored and stops."""
    await join(school, "s1", "t1", "a1")

    class RemovedMidCheck:
        """The real Store; reading the members first lets the removal happen (fault injection)."""

        def __init__(self) -> None:
            self.fired = False

        def __getattr__(self, name: str) -> object:
            return getattr(school.store, name)

        async def group_members(self, key: object) -> object:
            if not self.fired:
                self.fired = True
                await on_bot_removed(BotRemoved(event_id="r", at=START, group=CLASS, by=ref("t1")), school)
            return await school.store.group_members(key)  # type: ignore[arg-type]

    await school.store.set_group_members(CLASS, list(members("s1", "t1")))  # the admin left: the check wants "unsupervised"
    assert await check_group(replace(school, store=RemovedMidCheck()), CLASS) is None  # type: ignore[arg-type]
    group = await school.store.get_group(CLASS)
    assert group is not None
    assert group.supervision is Supervision.UNMONITORED


async def test_bot_removed_is_a_safeguarding_event(school: Deps, messenger: RecordingMessenger) -> None:
    """The lead is told which group and by whom; the group is unmonitored; audited."""
    await join(school, "s1", "t1", "a1")
    await Dispatcher(policy_routes(), school).dispatch(BotRemoved(event_id="r", at=START, group=CLASS, by=ref("t1")))
    await drain(school)
    ((_, alert),) = [(p, m) for p, m in messenger.to_people if p == ref("lead") and m.key == "supervision.alert_bot_removed"]
    assert {name: school.catalog.value(value) for name, value in alert.fields.items()} == {
        "group": "Class 5A", "removed_by": "Tess Teacher (teacher, 5A)"}
    group = await school.store.get_group(CLASS)
    assert group is not None
    assert group.supervision is Supervision.UNMONITORED
    assert (await school.store.read_audit())[-1].record.action == "supervision.bot_removed"


class ReadBothFirst:
    """The real Store, except that a group's compare-and-set waits until both racing checks
    have read it: the interleaving two instances hit when they check one group at once."""

    def __init__(self, store: Store, barrier: asyncio.Barrier) -> None:
        self._store, self._barrier = store, barrier

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def replace_group(self, expected: Group, new: Group, effects: Effects = NO_EFFECTS) -> bool:
        await self._barrier.wait()
        return await self._store.replace_group(expected, new, effects)


async def test_two_racing_checks_alert_once(school: Deps, messenger: RecordingMessenger, store_factory: StoreFactory) -> None:
    """Two instances (a second apart) check one unsupervised group at once: one decision wins,
    so the lead is alerted once, the group warned once, one escalation timer, one audit row."""
    dispatcher = Dispatcher(policy_routes(), school)
    await dispatcher.dispatch(GroupJoined(event_id="j", at=START, group=CLASS, name="Class 5A", address={"serviceUrl": "x"}))
    await school.store.set_group_members(CLASS, list(members("s1", "s2", "t1")))
    barrier = asyncio.Barrier(2)
    later = ManualClock(START + timedelta(seconds=1))
    one = replace(school, store=ReadBothFirst(school.store, barrier))  # type: ignore[arg-type]
    two = replace(school, store=ReadBothFirst(await store_factory.open(), barrier), clock=later)  # type: ignore[arg-type]
    await asyncio.gather(check_group(one, CLASS), check_group(two, CLASS))
    audit = [e.record.action for e in await school.store.read_audit()]
    assert audit.count("supervision.unsupervised") == 1
    school.clock.advance(1)  # type: ignore[attr-defined]  # whichever decision won is due now
    await drain(school)
    assert keys_to(messenger, ref("lead")).count("supervision.alert_unsupervised") == 1
    school.clock.advance(school.supervision.escalate_seconds + 1)  # type: ignore[attr-defined]
    await drain(school)
    assert group_keys(messenger).count("supervision.group_warning") == 1
    assert keys_to(messenger, ref("deputy")).count("supervision.alert_escalated") == 1, "one escalation timer fired"
