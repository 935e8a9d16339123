"""The `esafety-bot` command: serve, demo, and the administrative commands.

Every failure a person can cause (a bad setting, an unreachable Store, a malformed roster, an
unknown group) ends with one clear line on stderr and a non-zero exit; nothing is half-written.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import IO

from bots import cli_operations
from bots.backup import backup_database
from bots.cli_cases import cases
from bots.cli_cover import cover
from bots.cli_directory import directory_sync
from bots.cli_operations import CLI_ACTOR, CommandRefused
from bots.cli_parser import build_parser, installed_version
from bots.config import Settings, load_settings
from bots.doctor import examine, report
from bots.settings_readers import ConfigError
from bots.store import store_for
from bots.teams.package import PackageError, Publisher, build_package
from bots.wecom import cli_operations as wecom_operations
from bots.wecom.api import WecomApi, WecomError
from handlers.calendar_import import CalendarError
from handlers.case_record import CaseDesk
from handlers.cron import ScheduleError
from handlers.directory_sync import DirectoryError
from handlers.drill import queue_drill
from handlers.groups import GroupNotFound
from handlers.outbox_view import NotWaiting
from handlers.roster_import import RosterError
from policy_text.catalog import Catalog, CatalogError
from state.clock import SystemClock
from state.store import BackupRefused, Store, StoreUnavailable

EXIT_FAILED, EXIT_USAGE = 1, 2
WECOM_OFF = ("WeCom is off: set WECOM_CORP_ID, WECOM_AGENT_ID, WECOM_SECRET, WECOM_TOKEN and WECOM_ENCODING_AES_KEY "
             "(the README's configuration table), then run this again")
log = logging.getLogger("esafety.cli")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "doctor":  # doctor reports a bad setting itself, among everything else
        logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
        print(f"esafety-bot {installed_version()} doctor")
        try:
            return report(asyncio.run(examine(os.environ, SystemClock())), sys.stdout)
        except Exception as error:  # never a traceback: what stopped it, and a failing exit
            print(f"esafety-bot: doctor could not finish ({type(error).__name__}): run it again; if it persists, check the server's log",
                  file=sys.stderr)
            return EXIT_FAILED
    try:
        settings = load_settings(os.environ)
        level = settings.log_level if args.command != "demo" or "ESAFETY_LOG_LEVEL" in os.environ else logging.ERROR
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
        return asyncio.run(_run(args, settings))
    except (ConfigError, StoreUnavailable, BackupRefused, NotWaiting, RosterError, GroupNotFound, CatalogError, PackageError,
            FileNotFoundError, FileExistsError, ScheduleError, CalendarError, CommandRefused, DirectoryError) as error:
        return _fail(str(error))
    except OSError as error:  # a file that is a folder, unreadable, a port in use: what and where
        return _fail(os_error_line(error))
    except UsageError as error:  # a command line argparse could not check: usage, as argparse answers
        print(f"esafety-bot: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_FAILED
    except Exception as error:  # never a traceback: the kind of failure, and where the details are
        log.debug("esafety-bot failed", exc_info=True)
        return _fail(f"unexpected {type(error).__name__}; run again with ESAFETY_LOG_LEVEL=DEBUG for the details")


class UsageError(ValueError):
    """The command line itself is wrong in a way argparse cannot check (exit 2, as argparse's own)."""


def _fail(line: str) -> int:
    print(f"esafety-bot: error: {line}", file=sys.stderr)
    return EXIT_FAILED


def os_error_line(error: OSError) -> str:
    """One line a person can act on: a folder given for a file, a file they may not read, a port in use."""
    where = f" {error.filename}" if error.filename else ""
    if isinstance(error, IsADirectoryError):
        return f"{error.filename} is a folder: give the file itself"
    if isinstance(error, PermissionError):
        return f"not allowed to use{where}: check its permissions"
    if error.errno == errno.EADDRINUSE:
        return "the port is already in use: stop the other server, or set PORT to a free port"
    return f"{error.strerror or type(error).__name__}{':' + where if where else ''}"


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "serve":
        from bots.server import serve

        await serve(settings)
        return 0
    if args.command == "demo":
        from bots.demo import run_demo
        from bots.server import stop_on_signals

        return await run_demo(keep=args.keep, browse=stop_on_signals() if args.console else None)
    if args.command == "teams-package":
        publisher = Publisher(developer=args.developer, website=args.website, privacy=args.privacy, terms=args.terms,
                              version=args.app_version)
        data = build_package(args.app_id, publisher)
        for option in publisher.placeholders():
            print(f"esafety-bot: warning: {option} is still the placeholder: Teams shows it to everyone; give the school's own",
                  file=sys.stderr)
        await asyncio.to_thread(args.out.write_bytes, data)
        print(f"wrote {args.out} ({len(data)} bytes): upload it in Teams admin center → Manage apps → Upload")
        return 0
    if args.command == "backup":
        await backup_database(settings, args.file)
        print(f"backed up {settings.db_path} to {args.file}")
        return 0
    if args.command in ("wecom", "wecom-menu") and not settings.wecom.configured:
        raise CommandRefused(WECOM_OFF)
    if args.command == "wecom-menu" or (args.command, getattr(args, "action", "")) == ("wecom", "create-chat"):
        return await _with_store(settings, lambda store: _wecom_api(args, settings, store))
    return await _with_store(settings, lambda store: _admin(args, store, settings))


async def _wecom_api(args: argparse.Namespace, settings: Settings, store: Store) -> int:
    """The commands that call WeCom's API (to the configured WECOM_API_BASE_URL)."""
    api = WecomApi(settings.wecom, store)
    try:
        if args.command == "wecom-menu":
            menu = await wecom_operations.create_menu(api, Catalog.load(), settings.locale)
            items = ", ".join(item["name"] for item in menu["button"][0]["sub_button"])
            print(f"WeCom app menu created: {menu['button'][0]['name']} → {items}")
            return 0
        members = [userid.strip() for userid in args.members.split(",") if userid.strip()]
        chat_id = await wecom_operations.create_chat(api, store, SystemClock(), name=args.name, owner=args.owner, members=members)
        print(f"created wecom:{chat_id}: the server reads its members and joins it")
        return 0
    except WecomError as error:
        print(f"esafety-bot: error: {error}", file=sys.stderr)
        return EXIT_FAILED


async def _with_store(settings: Settings, work: Callable[[Store], Awaitable[int]]) -> int:
    store = await store_for(settings, SystemClock())
    try:
        return await work(store)
    finally:
        await store.close()


async def _admin(args: argparse.Namespace, store: Store, settings: Settings) -> int:
    clock, out = SystemClock(), sys.stdout
    match (args.command, args.action):
        case ("roster", "import") if args.dry_run:
            plan = await cli_operations.roster_dry_run(store, args.file, out, merge=args.merge)
            change = plan.change
            print(f"dry run, nothing written: {len(change.added)} would be added, {len(change.updated)} updated, "
                  f"{len(change.removed)} removed")
        case ("roster", "import"):
            change = await cli_operations.roster_import(store, clock, args.file, merge=args.merge, force=args.force)
            print(f"roster imported: {len(change.added)} added, {len(change.updated)} updated, {len(change.removed)} removed")
        case ("directory", "sync"):
            return await directory_sync(settings, store, clock, out, dry_run=args.dry_run, force=args.force)
        case ("roster", "list"):
            print(f"{await cli_operations.roster_list(store, out, args.channel)} people", file=sys.stderr)
        case ("groups", "list"):
            print(f"{await cli_operations.groups_list(store, out)} groups", file=sys.stderr)
        case ("groups", "set-class"):
            print(f"{await cli_operations.groups_set_class(store, clock, args.group, args.class_name)}: class set to {args.class_name}")
        case ("groups", "set-webhook"):
            print(f"{await cli_operations.groups_set_webhook(store, clock, args.group, args.url)}: robot webhook "
                  f"{'removed' if args.url == 'none' else 'set'}")
        case ("groups", "set-delivery"):
            print(f"{await wecom_operations.set_delivery(store, clock, args.group, args.mode)}: reminders and notices now go by "
                  f"{args.mode}")
        case ("schedule", "set"):
            print(await cli_operations.schedule_set(store, clock, args.group, args.cron, args.tz))
        case ("schedule", "off"):
            print(await cli_operations.schedule_off(store, clock, args.group))
        case ("schedule", "show"):
            print(await cli_operations.schedule_show(store, clock, args.group))
        case ("calendar", "import"):
            imported = await cli_operations.calendar_import(store, clock, args.file)
            terms = sum(1 for span in imported.spans if span.kind == "term")
            print(f"calendar imported: {terms} terms, {len(imported.spans) - terms} holidays"
                  + (f"; ignored: {', '.join(imported.ignored)}" if imported.ignored else ""))
        case ("calendar", "show"):
            print(f"{await cli_operations.calendar_show(store, out)} spans", file=sys.stderr)
        case ("lessons", "export"):
            await _write(args.out, lambda handle: cli_operations.lessons_export(store, handle), "lessons")
        case ("wecom", "add-chat"):
            await wecom_operations.add_chat(store, clock, args.chat_id, args.kind)
            print(f"wecom:{args.chat_id} queued: the server reads its members and joins it")
        case ("outbox", "list"):
            print(f"{await cli_operations.outbox_list(store, out)} undelivered", file=sys.stderr)
        case ("outbox", "retry"):
            if bool(args.ids) == args.all:
                raise UsageError("outbox retry: give SHORT_ID(s) from `esafety-bot outbox list`, or --all")
            print(f"{await cli_operations.outbox_retry(store, clock, [] if args.all else args.ids)} message(s) will be sent again now")
        case ("audit", "verify"):
            return await cli_operations.audit_verify(store, out)
        case ("audit", "export"):
            await _write(args.out, lambda handle: cli_operations.audit_export(store, handle), "audit records")
        case ("cases", _):
            reading = await cli_operations.readable(store, Catalog.load(), settings.locale, settings.timezone)
            return await cases(_case_desk(store, settings), args, out, reading, settings.locale)
        case ("drill", _):
            drill = await queue_drill(store, clock, by=CLI_ACTOR)
            print(f"{drill} queued: the server sends a marked test case down the chain now; the head and the admin team get the report "
                  "when it is acknowledged, or when it is not in the time a real case would take to reach the head")
        case ("cover", _):
            return await cover(_case_desk(store, settings), args, out, settings.locale)
    return 0


def _case_desk(store: Store, settings: Settings) -> CaseDesk:
    return CaseDesk(store, SystemClock(), Catalog.load(), settings.cases.review_days, settings.cases.retention_days, settings.timezone)


async def _write(target: Path | None, export: Callable[[IO[str]], Awaitable[int]], what: str) -> None:
    if target is None:
        count = await export(sys.stdout)
    else:
        with target.open("w", encoding="utf-8", newline="") as out:
            count = await export(out)
    print(f"{count} {what} exported", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
