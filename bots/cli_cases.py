"""`esafety-bot cases …`: the cases at the command line (000 §3; 004 strategy 13).

`list`, `show` and `export` read them (names and school times for people, ids and ISO times in
the export). The words of a report are shown only with `--include-text --as PERSON`, and each
reading goes into that case's read trail and the audit. `note|assign|close|reopen C-… … --as
PERSON` run the very code a lead's 1:1 runs (handlers/case_record.py). The command line has no
signed-in user, so the person acting or reading is named with `--as`: their role is checked
against the roster and they are recorded; anyone not on the safeguarding staff is refused, and
the refusal is audited.
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from typing import IO
from uuid import uuid4

from bots.cli_operations import CommandRefused
from handlers.audit import record_decision
from handlers.case_export import Readable, case_line, export_cases, render_case
from handlers.case_record import CLAUSE, VERBS, CaseDesk, act_on_case, may_see_words
from handlers.read_trail import CLI_SHOW, record_reading
from handlers.record_transfer import export_record
from handlers.retention import PurgeRefused, check_may_purge, plan_purge, purge
from handlers.roster import named as named_people
from state.models import SAFEGUARDING_ROLES, Person, PersonRef, Role

TRANSFER_ROLES = frozenset({Role.DSL, Role.DEPUTY_DSL})
"""Who may send a child's whole record, every case's words included, to a new school."""


async def acting_as(desk: CaseDesk, who: str, verb: str, *, covering: bool = True) -> Person:
    """The roster's person named by `channel:user_id` or by their full name, if they may act on
    cases: as a lead if covering for one (`covering`, for the case chain's own actions), else by
    their roster role (a purge, a transfer, setting cover)."""
    people = named_people(await (desk.cover().case_people() if covering else desk.store.list_people()), who)
    if len(people) != 1:
        raise CommandRefused(f"--as {who!r} names {'nobody' if not people else 'more than one person'} on the roster: "
                             "give channel:user_id as `esafety-bot roster list` shows it")
    person = people[0]
    if person.role not in SAFEGUARDING_ROLES:
        await record_decision(desk.store, desk.clock, action="case.command_refused", actor=str(person.ref), actor_role=person.role.value,
                              clause=CLAUSE, outcome=verb, detail={"via": "cli"})
        raise CommandRefused(f"{person.name or person.ref} is {person.role.value}: only a dsl, deputy_dsl or head may {verb} a case "
                             "(this refusal is audited)")
    return person


async def cases(desk: CaseDesk, args: argparse.Namespace, out: IO[str], reading: Readable, locale: str) -> int:
    store, clock = desk.store, desk.clock
    if args.action in VERBS:
        return await case_action(desk, args, locale)
    if args.action == "purge":
        return await _purge(desk, args, out)
    if args.action == "list":
        for listed in await store.list_cases():
            out.write(case_line(listed, reading) + "\n")
        return 0
    reader = await _reader(desk, args)
    origin = f"cli:{uuid4().hex}"
    if args.action == "show":
        found = await store.get_case(args.reference)
        if found is None:
            raise CommandRefused(f"no case {args.reference}")
        with_text = reader is not None and may_see_words(reader, found)
        out.write(render_case(found, reading, include_text=with_text))
        if reader is not None and with_text:
            await record_reading(store, clock, found, reader=str(reader.ref), reader_role=reader.role.value, how=CLI_SHOW, origin=origin)
        return 0
    if args.person:
        return await _transfer(desk, args, out, origin)
    every = await store.list_cases()
    if args.out is None:
        count = await export_cases(store, clock, every, out, fmt=args.format, reader=reader, origin=origin)
    else:
        with args.out.open("w", encoding="utf-8", newline="") as handle:
            count = await export_cases(store, clock, every, handle, fmt=args.format, reader=reader, origin=origin)
    print(f"{count} cases exported", file=sys.stderr)
    return 0


async def _purge(desk: CaseDesk, args: argparse.Namespace, out: IO[str]) -> int:
    """`cases purge --before DATE --as PERSON`: only past the school's retention period, only by a
    dsl or the head, only once confirmed; audited (handlers/retention.py)."""
    if desk.retention_days is None:
        raise CommandRefused("ESAFETY_CASE_RETENTION_DAYS is not set, so the safeguarding record is kept for ever (UK guidance keeps it "
                             "until the child's date of birth plus 25 years): set it to the school's retention period first")
    latest = desk.school_today() - timedelta(days=desk.retention_days)
    if args.before > latest:
        raise CommandRefused(f"records are kept for {desk.retention_days} days (ESAFETY_CASE_RETENTION_DAYS): the latest date you may "
                             f"purge before is {latest.isoformat()}")
    actor = await acting_as(desk, args.acting_as, "purge", covering=False)
    try:  # before anything is counted or asked
        await check_may_purge(desk.store, desk.clock, actor)
    except PurgeRefused as refused:
        raise CommandRefused(str(refused)) from None
    plan = await plan_purge(desk.store, desk.school_midnight(args.before))
    out.write(f"This deletes for ever {len(plan.references)} closed case(s) received before {args.before.isoformat()} and the "
              f"{plan.audit_records} audit record(s) before it.\n")
    if not args.yes:
        out.write("Type PURGE to confirm: ")
        out.flush()
        if sys.stdin.readline().strip() != "PURGE":
            raise CommandRefused("not confirmed: nothing was deleted")
    purged = await purge(desk.store, desk.clock, plan, actor)
    out.write(f"purged {len(purged.cases)} case(s) and {purged.audit_records} audit record(s); the audit log now starts after record "
              f"{purged.anchor_seq} and still verifies (esafety-bot audit verify)\n")
    return 0


async def _transfer(desk: CaseDesk, args: argparse.Namespace, out: IO[str], origin: str) -> int:
    """`cases export --person ID --as PERSON`: a child's whole record for their new school."""
    try:
        child = PersonRef.parse(args.person)
    except ValueError as error:
        raise CommandRefused(f"--person: {error}") from None
    if not args.acting_as:
        raise CommandRefused("--person exports a child's whole record, words included: name who exports it with --as PERSON (a dsl or "
                             "deputy_dsl; recorded in each case's read trail and the audit)")
    reader = await acting_as(desk, args.acting_as, "transfer", covering=False)
    if reader.role not in TRANSFER_ROLES:
        raise CommandRefused(f"{reader.name or reader.ref} is {reader.role.value}: a child's whole record goes out only through a dsl or "
                             "deputy_dsl")
    if args.out is None:
        count = await export_record(desk.store, desk.clock, child, out, fmt=args.format, reader=reader, origin=origin)
    else:
        with args.out.open("w", encoding="utf-8", newline="") as handle:
            count = await export_record(desk.store, desk.clock, child, handle, fmt=args.format, reader=reader, origin=origin)
    print(f"{child}: {count} case(s) exported for transfer (audited as case.transferred)", file=sys.stderr)
    return 0


async def _reader(desk: CaseDesk, args: argparse.Namespace) -> Person | None:
    """Who will read the words: nobody without --include-text; with it, the person named by --as."""
    if not args.include_text:
        return None
    if not args.acting_as:
        raise CommandRefused("--include-text shows a child's words: name who reads them with --as PERSON (a dsl, deputy_dsl or head; "
                             "recorded in each case's read trail)")
    return await acting_as(desk, args.acting_as, "read")


async def case_action(desk: CaseDesk, args: argparse.Namespace, locale: str) -> int:
    """Run the action as `--as`; print what a lead would be told in chat. Exit 1 if it was refused."""
    actor, catalog = await acting_as(desk, args.acting_as, args.action), desk.catalog
    answer = await act_on_case(desk, actor, args.action, " ".join([args.reference, *args.words]),
                               origin=f"cli:{uuid4().hex}")
    line = catalog.say(answer.message.key, actor.locale or locale, **answer.message.fields)
    print(line if answer.done else f"esafety-bot: refused: {line}", file=sys.stdout if answer.done else sys.stderr)
    return 0 if answer.done else 1
