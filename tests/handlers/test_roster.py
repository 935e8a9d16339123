"""Applying a roster: replace or merge, leavers audited, strangers are `unknown`."""

from __future__ import annotations

from bots.user_ids import spell_user_id
from handlers.roster import identify, import_roster
from handlers.roster_import import ParsedRoster, parse_roster
from state.clock import ManualClock
from state.models import Role
from state.store import Store

HEADER = "channel,user_id,name,role,class,consent\n"


def roster(rows: str) -> ParsedRoster:
    return parse_roster((HEADER + rows).encode(), spell_user_id)


async def test_replace_removes_and_audits_leavers(store: Store, clock: ManualClock) -> None:
    """A full import removes leavers of its channels and audits each removal."""
    await import_roster(store, clock, roster("teams,a,Ann,student,5A,yes\nteams,b,Bo,student,5A,\n"),
                        merge=False, actor="cli")
    change = await import_roster(store, clock, roster("teams,a,Ann,student,5B,yes\n"), merge=False, actor="cli")
    assert (change.updated, change.removed) == (("teams:a",), ("teams:b",))
    actions = [(e.record.action, e.record.subject) for e in await store.read_audit()]
    assert ("roster.removed", "teams:b") in actions
    assert actions[-1][0] == "roster.imported"


async def test_merge_keeps_everyone(store: Store, clock: ManualClock) -> None:
    """`--merge` adds and updates without removing anyone."""
    await import_roster(store, clock, roster("teams,a,Ann,student,5A,yes\n"), merge=False, actor="cli")
    change = await import_roster(store, clock, roster("wecom,w1,Wu,teacher,6B,\n"), merge=True, actor="cli")
    assert change.removed == ()
    assert len(await store.list_people()) == 2


async def test_strangers_are_unknown(store: Store) -> None:
    """Someone not in the roster gets role `unknown`: a guest with least privilege."""
    stranger = await identify(store, "teams", spell_user_id("teams", "Nobody@Example.org"))  # as Teams' translation gives it
    assert (stranger.role, stranger.user_id) == (Role.UNKNOWN, "nobody@example.org")
