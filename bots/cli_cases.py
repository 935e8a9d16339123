"""`esafety-bot cases note|assign|close|reopen C-… … --as PERSON`: the case record's actions from
the command line (000 §3; 004 strategy 13). They run the very code a lead's 1:1 runs
(handlers/case_record.py). The command line has no signed-in user, so the person acting is
named with `--as`: their role is checked against the roster and they are recorded as the actor;
anyone not on the safeguarding staff is refused, and the refusal is audited.
"""

from __future__ import annotations

import argparse
import sys
from uuid import uuid4

from bots.cli_operations import CommandRefused
from handlers.audit import record_decision
from handlers.case_record import CLAUSE, CaseDesk, act_on_case
from policy_text.catalog import Catalog
from state.clock import Clock
from state.models import SAFEGUARDING_ROLES, Person
from state.store import Store


async def acting_as(store: Store, clock: Clock, named: str, verb: str) -> Person:
    """The roster's person named by `channel:user_id` or by their full name, if they may act on cases."""
    people = [p for p in await store.list_people() if named.casefold() in (str(p.ref).casefold(), p.name.casefold())]
    if len(people) != 1:
        raise CommandRefused(f"--as {named!r} names {'nobody' if not people else 'more than one person'} on the roster: "
                             "give channel:user_id as `esafety-bot roster list` shows it")
    person = people[0]
    if person.role not in SAFEGUARDING_ROLES:
        await record_decision(store, clock, action="case.command_refused", actor=str(person.ref), actor_role=person.role.value,
                              clause=CLAUSE, outcome=verb, detail={"via": "cli"})
        raise CommandRefused(f"{person.name or person.ref} is {person.role.value}: only a dsl, deputy_dsl or head may {verb} a case "
                             "(this refusal is audited)")
    return person


async def case_action(store: Store, clock: Clock, catalog: Catalog, args: argparse.Namespace, locale: str) -> int:
    """Run the action as `--as`; print what a lead would be told in chat. Exit 1 if it was refused."""
    actor = await acting_as(store, clock, args.acting_as, args.action)
    answer = await act_on_case(CaseDesk(store, clock, catalog), actor, args.action, " ".join([args.reference, *args.words]),
                               origin=f"cli:{uuid4().hex}")
    line = catalog.say(answer.message.key, actor.locale or locale, **answer.message.fields)
    print(line if answer.done else f"esafety-bot: refused: {line}", file=sys.stdout if answer.done else sys.stderr)
    return 0 if answer.done else 1
