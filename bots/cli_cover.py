"""`esafety-bot cover list|set|end`: cover for a lead who is away, from the command line (000 §3;
004 strategy 9). The same code as `cover …` in a lead's 1:1 (handlers/cover.py), acting as the
lead or head named with `--as`, whose role is checked and recorded.
"""

from __future__ import annotations

import argparse
import sys
from typing import IO
from uuid import uuid4

from bots.cli_cases import acting_as
from bots.cli_operations import CommandRefused
from handlers.case_record import CaseDesk
from handlers.cover import COVER_ROLES, cover_command, who_covers
from handlers.messenger import Message


async def cover(desk: CaseDesk, args: argparse.Namespace, out: IO[str], locale: str) -> int:
    if args.action == "list":
        return _print(desk, await who_covers(desk.cover()), out, locale)
    actor = await acting_as(desk, args.acting_as, "cover", covering=False)
    if actor.role not in COVER_ROLES:
        raise CommandRefused(f"{actor.name or actor.ref} is {actor.role.value}: only a dsl or the head may set cover")
    asked = f"{args.person} until {args.until.isoformat()}" if args.action == "set" else f"{args.person} off"
    message, changed = await cover_command(desk.cover(), actor, asked, origin=f"cli:{uuid4().hex}")
    if not changed:
        print(f"esafety-bot: refused: {desk.catalog.say(message.key, locale, **message.fields)}", file=sys.stderr)
        return 1
    return _print(desk, message, out, locale)


def _print(desk: CaseDesk, message: Message, out: IO[str], locale: str) -> int:
    lines = [desk.catalog.say(message.key, locale, **message.fields), *(desk.catalog.say(k, locale, **f) for k, f in message.lines)]
    out.write("\n".join(lines) + "\n")
    return 0
