"""The `esafety-bot` command line: every command, its arguments and its help, and `--version`.
`bots/cli.py` runs what this parses."""

from __future__ import annotations

import argparse
from datetime import date
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from urllib.parse import urlsplit

from bots.teams.package import Publisher

GROUP_HELP = "the group as `groups list` shows it: channel:conversation_id (or the conversation id alone)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="esafety-bot", description="School e-safety assistant for Teams and WeCom class groups.")
    parser.add_argument("--version", action="version", version=f"esafety-bot {installed_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="run the bot server (PORT, default 3978)")
    sub.add_parser("doctor", help="check the settings, Store, credentials, roster and outbox; exit 1 if anything is wrong")
    demo = sub.add_parser("demo", help="show every duty end to end against local fakes")
    demo.add_argument("--keep", type=Path, help="keep the demo's database and exports in this folder")
    demo.add_argument("--console", action="store_true", help="then keep the server up to click through the safeguarding console in a "
                                                             "browser, signed in through a demo identity provider, until Ctrl-C")
    roster = sub.add_parser("roster", help="the school roster").add_subparsers(dest="action", required=True)
    imp = roster.add_parser("import", help="import a roster CSV (replaces the channels it contains)")
    imp.add_argument("file", type=Path, help="the roster CSV (columns channel, user_id, name, role, class, consent, locale; "
                                              "comma or semicolon separated)")
    imp.add_argument("--merge", action="store_true", help="add and update only; remove nobody")
    imp.add_argument("--dry-run", action="store_true", help="print the changes by role and what would be refused; write nothing")
    imp.add_argument("--force", action="store_true", help="import even if it leaves no dsl, removes every deputy or head, "
                                                         "or removes more than half of a channel's people")
    listing = roster.add_parser("list", help="show the stored roster")
    listing.add_argument("--channel", choices=["teams", "wecom"], help="only this channel's people")
    directory = sub.add_parser("directory", help="the school's directory (Microsoft 365 for Teams)").add_subparsers(dest="action",
                                                                                                              required=True)
    sync = directory.add_parser("sync", help="read the directory now and apply it to the roster (consent is never taken from it)")
    sync.add_argument("--dry-run", action="store_true", help="print the changes by role and what would be refused; write nothing")
    sync.add_argument("--force", action="store_true", help="apply even if it leaves no dsl, removes every deputy or head, "
                                                          "or removes more than half of a channel's people")
    groups = sub.add_parser("groups", help="class groups the bot is in").add_subparsers(dest="action", required=True)
    groups.add_parser("list", help="every known group as channel:conversation_id")
    set_class = groups.add_parser("set-class", help="set a group's class")
    set_class.add_argument("group", help=GROUP_HELP)
    set_class.add_argument("class_name", metavar="CLASS", help="the class as the roster names it, e.g. 5A")
    webhook = groups.add_parser("set-webhook", help="post to a WeCom group through its group robot (20 messages a minute)")
    webhook.add_argument("group", help=GROUP_HELP)
    webhook.add_argument("url", type=webhook_url, help="the robot's webhook URL; 'none' removes it")
    delivery = groups.add_parser("set-delivery", help="how a WeCom 班级群 the app cannot post into gets reminders and notices")
    delivery.add_argument("group", help=GROUP_HELP)
    delivery.add_argument("mode", choices=["group-send", "school-notice", "owner"],
                          help="group-send: a group send its 班主任 confirms in WeCom; school-notice: a 学校通知 to the class's "
                               "families; owner: privately to its owner and staff to forward (the default)")
    schedule = sub.add_parser("schedule", help="a group's e-safety reminder times").add_subparsers(dest="action", required=True)
    schedule_set = schedule.add_parser("set", help="set a cron line (minute hour day month weekday) in a time zone")
    schedule_set.add_argument("group", help=GROUP_HELP)
    schedule_set.add_argument("--cron", required=True, help="e.g. '0 9 * * MON,THU'")
    schedule_set.add_argument("--tz", help="an IANA time zone (default: the schedule's or the group's)")
    for action, text in (("show", "the group's schedule and its next reminder"), ("off", "no more reminders for the group")):
        schedule.add_parser(action, help=text).add_argument("group", help=GROUP_HELP)
    calendar = sub.add_parser("calendar", help="the school's term dates").add_subparsers(dest="action", required=True)
    calendar.add_parser("import", help="replace the term dates with those in an .ics file").add_argument(
        "file", type=Path, help="an iCalendar (.ics) file of terms and holidays, as school calendars export them")
    calendar.add_parser("show", help="the stored terms and holidays")
    lessons = sub.add_parser("lessons", help="live lessons and their registers").add_subparsers(dest="action", required=True)
    lessons_export = lessons.add_parser("export", help="every lesson with who was present, as CSV")
    lessons_export.add_argument("--out", type=Path, help="file to write (default: standard output)")
    sub.add_parser("wecom-menu", help="create the WeCom app menu with 'report a worry privately' (menu/create)")
    wecom = sub.add_parser("wecom", help="WeCom class chats").add_subparsers(dest="action", required=True)
    add_chat = wecom.add_parser("add-chat", help="bring an existing chat under the bot (the server reads its members)")
    add_chat.add_argument("chat_id", help="the chat's id: an appchat chatid, or a customer group's chat_id")
    add_chat.add_argument("--kind", choices=["appchat", "customer"], required=True,
                          help="appchat: created by this app; customer: a customer group (客户群)")
    create_chat = wecom.add_parser("create-chat", help="create a class chat owned by the app (appchat/create) and join it")
    create_chat.add_argument("--name", required=True, help="the chat's name, as its members see it (e.g. 六年级B班)")
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
    audit.add_parser("verify", help="check every record against its seal and the chain's ends; exit 1 if any was edited, "
                                    "deleted or reordered")
    cases = sub.add_parser("cases", help="concern cases (report text only with --include-text, audited)").add_subparsers(
        dest="action", required=True)
    cases.add_parser("list", help="every case with its state")
    show = cases.add_parser("show", help="one case with its chronology")
    show.add_argument("reference", help="the case reference, e.g. C-2026-000001")
    show.add_argument("--include-text", action="store_true", help="also print what was reported (with --as; read trail, audited)")
    show.add_argument("--as", dest="acting_as", metavar="PERSON", help="who reads the words: a dsl, deputy_dsl or head, by name or "
                                                                       "channel:user_id (checked, recorded)")
    case_export = cases.add_parser("export", help="all cases with their chronology")
    case_export.add_argument("--format", choices=["csv", "json"], default="csv", help="csv (default) or json lines")
    case_export.add_argument("--out", type=Path, help="file to write (default: standard output)")
    case_export.add_argument("--include-text", action="store_true", help="include what was reported (with --as; read trail, audited)")
    case_export.add_argument("--person", metavar="ID", help="one child's whole record (every case they reported, one row per "
                                                            "chronology step, words included) for their new school: needs --as")
    case_export.add_argument("--as", dest="acting_as", metavar="PERSON", help="who reads the words: a dsl, deputy_dsl or head, by "
                                                                              "name or channel:user_id (checked, recorded)")
    record_help = {"note": ("add a note to a case's record (kept as written)", "TEXT", "the note"),
                   "assign": ("give a case to a named member of the safeguarding staff", "PERSON", "their name or channel:user_id"),
                   "close": ("close a case with its outcome and the reason", "OUTCOME REASON",
                             "advice, parents_informed, social_care, police or no_further_action, then the reason in words"),
                   "reopen": ("reopen a closed case", "REASON", "why it is reopened")}
    for action, (text, metavar, words) in record_help.items():
        acting = cases.add_parser(action, help=f"{text} (as a named dsl, deputy_dsl or head: audited)")
        acting.add_argument("reference", help="the case reference, e.g. C-2026-000001")
        acting.add_argument("words", nargs="+", metavar=metavar, help=words)
        acting.add_argument("--as", dest="acting_as", required=True, metavar="PERSON",
                            help="who is acting: a dsl, deputy_dsl or head, by name or channel:user_id (checked, recorded)")
    purge = cases.add_parser("purge", help="delete closed cases and audit records older than a date, for ever (only past "
                                           "ESAFETY_CASE_RETENTION_DAYS; asks to confirm; audited)")
    purge.add_argument("--before", required=True, type=date.fromisoformat, metavar="YYYY-MM-DD",
                       help="delete what is older than this date (school time)")
    purge.add_argument("--as", dest="acting_as", required=True, metavar="PERSON", help="who purges: a dsl or the head (checked, recorded)")
    purge.add_argument("--yes", action="store_true", help="do not ask to confirm (for a script that has asked already)")
    sub.add_parser("drill", help="send a marked test case down the whole chain now (the server runs it; the head and admins get the "
                                 "report); returns at once").set_defaults(action="")
    cover = sub.add_parser("cover", help="cover for a lead who is away: cases go to the cover person as to a lead").add_subparsers(
        dest="action", required=True)
    cover.add_parser("list", help="who is covering, until when")
    cover_set = cover.add_parser("set", help="have a member of staff cover as safeguarding lead until a date (audited)")
    cover_set.add_argument("person", help="the member of staff, by name or channel:user_id")
    cover_set.add_argument("--until", required=True, type=date.fromisoformat, metavar="YYYY-MM-DD", help="the last day of cover")
    cover_end = cover.add_parser("end", help="end a cover early (audited)")
    cover_end.add_argument("person", help="the member of staff, by name or channel:user_id")
    for acting in (cover_set, cover_end):
        acting.add_argument("--as", dest="acting_as", required=True, metavar="LEAD",
                            help="who sets it: a dsl or the head (checked, recorded)")
    backup = sub.add_parser("backup", help="an online, consistent copy of the SQLite database")
    backup.add_argument("file", type=Path, help="the new file to write the copy to (never overwritten)")
    package = sub.add_parser("teams-package", help="write the Teams app package (manifest + icons) to upload")
    package.add_argument("--app-id", required=True, help="the Azure Bot's Microsoft app id")
    package.add_argument("--out", type=Path, default=Path("esafety-bot.zip"), help="the zip to write (default esafety-bot.zip)")
    placeholder = Publisher()
    package.add_argument("--developer", default=placeholder.developer, help="publisher name shown in Teams")
    package.add_argument("--website", default=placeholder.website, help="the school's website (https)")
    package.add_argument("--privacy", default=placeholder.privacy, help="the school's privacy notice (https)")
    package.add_argument("--terms", default=placeholder.terms, help="terms of use (https)")
    package.add_argument("--app-version", default=placeholder.version,
                         help="the package's version, three numbers; raise it to upload an update (default 1.0.0)")
    return parser


def webhook_url(text: str) -> str:
    if text == "none" or urlsplit(text.strip()).scheme in {"http", "https"}:
        return text.strip()
    raise argparse.ArgumentTypeError(f"a robot webhook is an http(s) URL (or 'none'), got {text!r}")


def installed_version() -> str:
    """The version pip installed (pyproject.toml's), as `--version` and `doctor` print it."""
    try:
        return version("esafety-bot")
    except PackageNotFoundError:
        return "unknown (not installed: run make install)"
