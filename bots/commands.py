"""What each administrative CLI command does, against an open Store. `bots/cli.py` parses the
command line and calls these; `demo` calls them too, so the demo shows the real commands."""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import replace
from pathlib import Path
from typing import IO

from handlers.audit import export_audit, record_decision
from handlers.case_export import export_cases, render_case
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


async def groups_set_webhook(store: Store, clock: Clock, name: str, url: str) -> str:
    """A WeCom group robot (群机器人) lets the bot post into a group it cannot otherwise reach."""
    group = await resolve_group(store, name)
    webhook = None if url == "none" else url
    await store.save_group(replace(group, webhook=webhook))
    await record_decision(store, clock, action="group.webhook_set", actor=CLI_ACTOR, group=str(group.key),
                          clause="000 §5", outcome="removed" if webhook is None else "set")
    return str(group.key)


async def audit_export(store: Store, out: IO[str]) -> int:
    return await export_audit(store, out)


async def cases(store: Store, clock: Clock, args: argparse.Namespace, out: IO[str]) -> int:
    """`cases list|show|export`; the words of a report only with --include-text, audited."""
    if args.action == "list":
        for listed in await store.list_cases():
            out.write(f"{listed.reference}\t{listed.state.value}\t{listed.urgency.value}\t{listed.received_at.isoformat()}\t"
                      f"{listed.group or '-'}\n")
        return 0
    if args.action == "show":
        found = await store.get_case(args.reference)
        if found is None:
            print(f"esafety-bot: error: no case {args.reference}", file=sys.stderr)
            return 1
        out.write(render_case(found, include_text=args.include_text))
        if args.include_text:
            await record_decision(store, clock, action="case.text_read", actor=CLI_ACTOR, clause="004 strategy 13", outcome=found.reference)
        return 0
    target = args.out
    all_cases = await store.list_cases()
    if target is None:
        count = await export_cases(store, clock, all_cases, out, fmt=args.format, include_text=args.include_text, reader=CLI_ACTOR)
    else:
        with target.open("w", encoding="utf-8", newline="") as handle:
            count = await export_cases(store, clock, all_cases, handle, fmt=args.format, include_text=args.include_text, reader=CLI_ACTOR)
    print(f"{count} cases exported", file=sys.stderr)
    return 0
