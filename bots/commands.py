"""What each administrative CLI command does, against an open Store. `bots/cli.py` parses the
command line and calls these; `demo` calls them too, so the demo shows the real commands."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import IO

from handlers.audit import export_audit, record_decision
from handlers.groups import infer_class, resolve_group
from handlers.roster import import_roster
from handlers.roster_import import parse_roster
from state.clock import Clock
from state.store import RosterChange, Store

CLI_ACTOR = "cli"


async def roster_import(store: Store, clock: Clock, path: Path, *, merge: bool) -> RosterChange:
    return await import_roster(store, clock, parse_roster(await asyncio.to_thread(path.read_bytes)), merge=merge, actor=CLI_ACTOR)


async def roster_list(store: Store, out: IO[str], channel: str | None = None) -> int:
    people = await store.list_people(channel)
    for p in people:
        consent = {True: "yes", False: "no", None: "-"}[p.consent]
        out.write(f"{p.channel}:{p.user_id}\t{p.role.value}\t{';'.join(p.classes) or '-'}\tconsent={consent}\t{p.name}\n")
    return len(people)


async def groups_list(store: Store, out: IO[str]) -> int:
    groups = await store.list_groups()
    people = await store.list_people()
    for group in groups:
        inferred = infer_class(await store.group_members(group.key), people)
        class_name = group.class_name or (f"{inferred} (inferred)" if inferred else "-")
        out.write(f"{group.key}\t{group.name}\tclass={class_name}\t{group.supervision.value}\n")
    return len(groups)


async def groups_set_class(store: Store, clock: Clock, name: str, class_name: str) -> str:
    group = await resolve_group(store, name)
    await store.save_group(replace(group, class_name=class_name.strip()))
    await record_decision(store, clock, action="group.class_set", actor=CLI_ACTOR, group=str(group.key),
                          clause="000 §5", outcome=class_name.strip())
    return str(group.key)


async def audit_export(store: Store, out: IO[str]) -> int:
    return await export_audit(store, out)
