"""`esafety-bot directory sync [--dry-run] [--force]`: read each enabled channel's school
directory now and apply it to the roster through the roster guard (handlers/directory_sync.py).
A dry run prints the change by role and what the guard would refuse, and writes nothing."""

from __future__ import annotations

from typing import IO

from bots.cli_operations import CLI_ACTOR, CommandRefused, print_plan
from bots.config import Settings
from bots.directories import directory_readers
from handlers.directory_sync import sync_listing
from state.clock import Clock
from state.store import Store

NO_DIRECTORY = ("no directory is set up: set ESAFETY_ROLE_GROUPS (Entra group ids for Teams, and ESAFETY_GRAPH_* when the "
                "bot's own app registration does not read the directory; dept:ID or tag:ID for WeCom's school contacts); the "
                "README's section on rosters from Microsoft 365 has the steps")


async def directory_sync(settings: Settings, store: Store, clock: Clock, out: IO[str], *, dry_run: bool, force: bool) -> int:
    readers = directory_readers(settings, store, clock)
    if not readers:
        raise CommandRefused(NO_DIRECTORY)
    for channel, read in readers.items():
        outcome = await sync_listing(store, clock, channel, await read(), dry_run=dry_run, force=force, actor=f"{CLI_ACTOR}:directory")
        if dry_run:
            print_plan(outcome.plan, out)
        for person in outcome.kept_pinned:
            out.write(f"kept from the school's file: {person.name} ({person.ref}) stays {person.role.value}\n")
        change = outcome.change or outcome.plan.change
        verb = "would be" if dry_run else "were"
        out.write(f"{channel}: {len(change.added)} {verb} added, {len(change.updated)} updated, {len(change.removed)} removed"
                  f"{' (dry run, nothing written)' if dry_run else ''}\n")
        for key in outcome.joining:
            out.write(f"{channel}: class group {key} {'would be' if dry_run else 'is being'} joined (the server reads its members)\n")
    return 0
