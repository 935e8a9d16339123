"""The `esafety-bot` command: serve, demo, and the administrative commands.

Every failure a person can cause (a bad setting, an unreachable Store, a malformed roster, an
unknown group) ends with one clear line on stderr and a non-zero exit; nothing is half-written.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from bots import cli_operations
from bots.backup import backup_database
from bots.config import ConfigError, Settings, load_settings
from bots.doctor import examine, report
from bots.store import store_for
from bots.teams.package import PackageError, build_package
from bots.wecom import cli_operations as wecom_operations
from bots.wecom.api import WecomApi, WecomError
from handlers.calendar_import import CalendarError
from handlers.cron import ScheduleError
from handlers.groups import GroupNotFound
from handlers.outbox_view import NotWaiting
from handlers.roster_import import RosterError
from policy_text.catalog import Catalog, CatalogError
from state.clock import SystemClock
from state.store import Store, StoreUnavailable

EXIT_FAILED, EXIT_USAGE = 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="esafety-bot", description="School e-safety assistant for Teams and WeCom class groups.")
    parser.add_argument("--version", action="version", version=f"esafety-bot {installed_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="run the bot server (PORT, default 3978)")
    sub.add_parser("doctor", help="check the settings, Store, credentials, roster and outbox; exit 1 if anything is wrong")
    demo = sub.add_parser("demo", help="show every duty end to end against local fakes")
    demo.add_argument("--keep", type=Path, help="keep the demo's database and exports in this folder")
    roster = sub.add_parser("roster", help="the school roster").add_subparsers(dest="action", required=True)
    imp = roster.add_parser("import", help="import a roster CSV (replaces the channels it contains)")
    imp.add_argument("file", type=Path)
    imp.add_argument("--merge", action="store_true", help="add and update only; remove nobody")
    imp.add_argument("--dry-run", action="store_true", help="print the changes by role and what would be refused; write nothing")
    imp.add_argument("--force", action="store_true", help="import even if it leaves no dsl, removes every deputy or head, "
                                                         "or removes more than half of a channel's people")
    listing = roster.add_parser("list", help="show the stored roster")
    listing.add_argument("--channel", choices=["teams", "wecom"])
    groups = sub.add_parser("groups", help="class groups the bot is in").add_subparsers(dest="action", required=True)
    groups.add_parser("list", help="every known group as channel:conversation_id")
    set_class = groups.add_parser("set-class", help="set a group's class")
    set_class.add_argument("group")
    set_class.add_argument("class_name", metavar="CLASS")
    webhook = groups.add_parser("set-webhook", help="post to a WeCom group through its group robot (20 messages a minute)")
    webhook.add_argument("group")
    webhook.add_argument("url", type=_webhook_url, help="the robot's webhook URL; 'none' removes it")
    schedule = sub.add_parser("schedule", help="a group's e-safety reminder times").add_subparsers(dest="action", required=True)
    schedule_set = schedule.add_parser("set", help="set a cron line (minute hour day month weekday) in a time zone")
    schedule_set.add_argument("group")
    schedule_set.add_argument("--cron", required=True, help="e.g. '0 9 * * MON,THU'")
    schedule_set.add_argument("--tz", help="an IANA time zone (default: the schedule's or the group's)")
    for action, text in (("show", "the group's schedule and its next reminder"), ("off", "no more reminders for the group")):
        schedule.add_parser(action, help=text).add_argument("group")
    calendar = sub.add_parser("calendar", help="the school's term dates").add_subparsers(dest="action", required=True)
    calendar.add_parser("import", help="replace the term dates with those in an .ics file").add_argument("file", type=Path)
    calendar.add_parser("show", help="the stored terms and holidays")
    lessons = sub.add_parser("lessons", help="live lessons and their registers").add_subparsers(dest="action", required=True)
    lessons_export = lessons.add_parser("export", help="every lesson with who was present, as CSV")
    lessons_export.add_argument("--out", type=Path, help="file to write (default: standard output)")
    sub.add_parser("wecom-menu", help="create the WeCom app menu with 'report a worry privately' (menu/create)")
    wecom = sub.add_parser("wecom", help="WeCom class chats").add_subparsers(dest="action", required=True)
    add_chat = wecom.add_parser("add-chat", help="bring an existing chat under the bot (the server reads its members)")
    add_chat.add_argument("chat_id")
    add_chat.add_argument("--kind", choices=["appchat", "customer"], required=True,
                          help="appchat: created by this app; customer: a customer group (客户群)")
    create_chat = wecom.add_parser("create-chat", help="create a class chat owned by the app (appchat/create) and join it")
    create_chat.add_argument("--name", required=True)
    create_chat.add_argument("--owner", required=True, help="the owner's WeCom userid")
    create_chat.add_argument("--members", required=True, help="WeCom userids separated by commas (2–500, staff directory)")
    outbox = sub.add_parser("outbox", help="messages not delivered yet, and why").add_subparsers(dest="action", required=True)
    outbox.add_parser("list", help="every message that failed at least once: id, recipient, what, next try or parked, reason")
    retry = outbox.add_parser("retry", help="send undelivered messages again now (audited)")
    retry.add_argument("ids", nargs="*", metavar="SHORT_ID", help="ids from `outbox list`")
    retry.add_argument("--all", action="store_true", help="every undelivered message")
    audit = sub.add_parser("audit", help="the audit log").add_subparsers(dest="action", required=True)
    export = audit.add_parser("export", help="write the audit log as JSON lines")
    export.add_argument("--out", type=Path, help="file to write (default: standard output)")
    cases = sub.add_parser("cases", help="concern cases (report text only with --include-text, audited)").add_subparsers(
        dest="action", required=True)
    cases.add_parser("list", help="every case with its state")
    show = cases.add_parser("show", help="one case with its chronology")
    show.add_argument("reference")
    show.add_argument("--include-text", action="store_true", help="also print what was reported (audited)")
    case_export = cases.add_parser("export", help="all cases with their chronology")
    case_export.add_argument("--format", choices=["csv", "json"], default="csv")
    case_export.add_argument("--out", type=Path, help="file to write (default: standard output)")
    case_export.add_argument("--include-text", action="store_true", help="include what was reported (audited)")
    backup = sub.add_parser("backup", help="an online, consistent copy of the SQLite database")
    backup.add_argument("file", type=Path)
    package = sub.add_parser("teams-package", help="write the Teams app package (manifest + icons) to upload")
    package.add_argument("--app-id", required=True, help="the Azure Bot's Microsoft app id")
    package.add_argument("--out", type=Path, default=Path("esafety-bot.zip"))
    package.add_argument("--developer", default="Your school", help="publisher name shown in Teams")
    package.add_argument("--website", default="https://example.org/", help="the school's website")
    package.add_argument("--privacy", default="https://example.org/privacy", help="the school's privacy notice")
    package.add_argument("--terms", default="https://example.org/terms", help="terms of use")
    return parser


def _webhook_url(text: str) -> str:
    if text == "none" or urlsplit(text.strip()).scheme in {"http", "https"}:
        return text.strip()
    raise argparse.ArgumentTypeError(f"a robot webhook is an http(s) URL (or 'none'), got {text!r}")


def installed_version() -> str:
    """The version pip installed (pyproject.toml's), as `--version` and `doctor` print it."""
    try:
        return version("esafety-bot")
    except PackageNotFoundError:
        return "unknown (not installed: run make install)"


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
        logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
        return asyncio.run(_run(args, settings))
    except (ConfigError, StoreUnavailable, NotWaiting, RosterError, GroupNotFound, CatalogError, PackageError, FileNotFoundError,
            FileExistsError, ScheduleError, CalendarError) as error:
        print(f"esafety-bot: error: {error}", file=sys.stderr)
        return EXIT_USAGE if isinstance(error, ConfigError) else EXIT_FAILED
    except KeyboardInterrupt:
        return EXIT_FAILED


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "serve":
        from bots.server import serve

        await serve(settings)
        return 0
    if args.command == "demo":
        from bots.demo import run_demo

        return await run_demo(keep=args.keep)
    if args.command == "teams-package":
        data = build_package(args.app_id, developer=args.developer, website=args.website, privacy=args.privacy, terms=args.terms)
        await asyncio.to_thread(args.out.write_bytes, data)
        print(f"wrote {args.out} ({len(data)} bytes): upload it in Teams admin center → Manage apps → Upload")
        return 0
    if args.command == "backup":
        await backup_database(settings, args.file)
        print(f"backed up {settings.db_path} to {args.file}")
        return 0
    if args.command == "wecom-menu" or (args.command, getattr(args, "action", "")) == ("wecom", "create-chat"):
        return await _with_store(settings, lambda store: _wecom_api(args, settings, store))
    return await _with_store(settings, lambda store: _admin(args, store))


async def _wecom_api(args: argparse.Namespace, settings: Settings, store: Store) -> int:
    """The commands that call WeCom's API (to the configured WECOM_API_BASE_URL)."""
    if not settings.wecom.configured:
        raise ConfigError("WeCom is not configured: set WECOM_CORP_ID, WECOM_AGENT_ID, WECOM_SECRET, WECOM_TOKEN, WECOM_ENCODING_AES_KEY")
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


async def _admin(args: argparse.Namespace, store: Store) -> int:
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
        case ("roster", "list"):
            print(f"{await cli_operations.roster_list(store, out, args.channel)} people", file=sys.stderr)
        case ("groups", "list"):
            print(f"{await cli_operations.groups_list(store, out)} groups", file=sys.stderr)
        case ("groups", "set-class"):
            print(f"{await cli_operations.groups_set_class(store, clock, args.group, args.class_name)}: class set to {args.class_name}")
        case ("groups", "set-webhook"):
            print(f"{await cli_operations.groups_set_webhook(store, clock, args.group, args.url)}: robot webhook "
                  f"{'removed' if args.url == 'none' else 'set'}")
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
                raise ConfigError("outbox retry: give SHORT_ID(s) from `esafety-bot outbox list`, or --all")
            print(f"{await cli_operations.outbox_retry(store, clock, [] if args.all else args.ids)} message(s) will be sent again now")
        case ("audit", "export"):
            await _write(args.out, lambda handle: cli_operations.audit_export(store, handle), "audit records")
        case ("cases", _):
            return await cli_operations.cases(store, clock, args, out)
    return 0


async def _write(target: Path | None, export: Callable[[IO[str]], Awaitable[int]], what: str) -> None:
    if target is None:
        count = await export(sys.stdout)
    else:
        with target.open("w", encoding="utf-8", newline="") as out:
            count = await export(out)
    print(f"{count} {what} exported", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
