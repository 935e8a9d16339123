"""All settings, read from the environment once at start-up into one frozen object.

A bad value stops start-up with an error naming the variable. Secrets are kept out of `repr`,
so printing the settings (or a traceback holding them) never leaks them. Every variable is in
the README's configuration table. Each channel reads its own (bots/<channel>/settings.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bots.console.settings import ConsoleSettings, console_settings
from bots.settings_readers import ConfigError, read_choice, read_flag, read_int
from bots.teams.graph_settings import GraphSettings, graph_settings
from bots.teams.settings import TeamsSettings, teams_settings
from bots.wecom.settings import WecomSettings, wecom_settings
from handlers.cron import ScheduleError, check
from handlers.digest import digest_cron
from handlers.policies import (
    CONTACT_KEYS,
    DEFAULT_DIGEST,
    DEFAULT_QUIET_HOURS,
    DEFAULT_REMINDER_CRON,
    DEFAULT_SCHOOL_HOURS,
    CasePolicy,
    ReminderPolicy,
    SupervisionPolicy,
)
from handlers.school_hours import SchoolHours
from handlers.supervision_rule import RULES
from policy_text.catalog import LOCALES, normalise_locale

SWITCHES = {"teams": "MicrosoftAppId", "wecom": "WECOM_CORP_ID"}
"""The setting that turns each channel on."""
ANONYMOUS = "on (ANONYMOUS local mode)"
"""Teams with no app id, allowed for trying the bot out locally: nothing is signed."""


@dataclass(frozen=True, kw_only=True)
class Settings:
    port: int = 3978
    db_path: str = "esafety.db"
    redis_url: str | None = field(default=None, repr=False)
    allow_volatile_redis: bool = False
    locale: str = "en"
    timezone: str = "UTC"
    allow_anonymous: bool = False
    log_level: str = "INFO"
    teams_service_hosts: tuple[str, ...] = ()
    work_lease_seconds: int = 300
    auditor_margin_seconds: int = 120
    cases: CasePolicy = field(default_factory=CasePolicy)
    supervision: SupervisionPolicy = field(default_factory=SupervisionPolicy)
    reminders: ReminderPolicy = field(default_factory=ReminderPolicy)
    teams: TeamsSettings = field(default_factory=TeamsSettings)
    wecom: WecomSettings = field(default_factory=WecomSettings)
    console: ConsoleSettings = field(default_factory=ConsoleSettings)
    graph: GraphSettings = field(default_factory=GraphSettings)
    directory_sync: str = "0 2 * * *"  # ESAFETY_DIRECTORY_SYNC: when serve syncs the directories, in school time

    def channel_status(self) -> dict[str, str]:
        """Which channels are on, and for an off one, why (printed by `serve`, sent by its 503)."""
        teams = "on" if self.teams.APP_ID else ANONYMOUS if self.allow_anonymous else f"off: {SWITCHES['teams']} is not set"
        wecom = "on" if self.wecom.configured else f"off: {SWITCHES['wecom']} is not set"
        return {"teams": teams, "wecom": wecom}


DEFAULT = Settings()
"""Every setting's default, as the dataclasses above (and handlers/policies.py) give it: an unset
variable takes it from here, so a default is written in one place."""
CASES, SUPERVISION, REMINDERS = DEFAULT.cases, DEFAULT.supervision, DEFAULT.reminders


def load_settings(env: Mapping[str, str]) -> Settings:
    """Build and check the settings from `env` (os.environ at start-up; a dict in tests)."""
    return Settings(
        port=read_int(env, "PORT", DEFAULT.port, low=1, high=65535),
        db_path=env.get("ESAFETY_DB", "") or DEFAULT.db_path,
        redis_url=_redis_url(env.get("REDIS_URL", "")),
        allow_volatile_redis=read_flag(env, "ESAFETY_ALLOW_VOLATILE_REDIS"),
        locale=_locale(env.get("ESAFETY_LOCALE", "") or DEFAULT.locale),
        timezone=_timezone(env.get("ESAFETY_TIMEZONE", "") or DEFAULT.timezone),
        allow_anonymous=read_flag(env, "ESAFETY_ALLOW_ANONYMOUS"),
        log_level=read_choice(env, "ESAFETY_LOG_LEVEL", DEFAULT.log_level, {"DEBUG", "INFO", "WARNING", "ERROR"}),
        teams_service_hosts=_hosts(env.get("ESAFETY_TEAMS_SERVICE_HOSTS", "")),
        cases=_cases(env),
        supervision=SupervisionPolicy(
            rule=read_choice(env, "ESAFETY_SUPERVISION_RULE", SUPERVISION.rule.upper(), {r.upper() for r in RULES}).casefold(),
            recheck_seconds=read_int(env, "ESAFETY_RECHECK_SECONDS", SUPERVISION.recheck_seconds, low=60, high=86_400),
            warning_interval_seconds=read_int(env, "ESAFETY_WARNING_INTERVAL_SECONDS", SUPERVISION.warning_interval_seconds,
                                              low=60, high=604_800),
            grace_seconds=read_int(env, "ESAFETY_SUPERVISION_GRACE_SECONDS", SUPERVISION.grace_seconds, low=0, high=86_400),
            warnings_per_day=read_int(env, "ESAFETY_GROUP_WARNINGS_PER_DAY", SUPERVISION.warnings_per_day, low=0, high=24),
            escalate_seconds=read_int(env, "ESAFETY_UNSUPERVISED_ESCALATE_SECONDS", SUPERVISION.escalate_seconds, low=60, high=604_800),
            recording_retention_days=read_int(env, "ESAFETY_RECORDING_RETENTION_DAYS", SUPERVISION.recording_retention_days,
                                              low=1, high=3_650),
        ),
        reminders=_reminders(env),
        work_lease_seconds=read_int(env, "ESAFETY_WORK_LEASE_SECONDS", DEFAULT.work_lease_seconds, low=1, high=3_600),
        auditor_margin_seconds=read_int(env, "ESAFETY_AUDITOR_MARGIN_SECONDS", DEFAULT.auditor_margin_seconds, low=10, high=86_400),
        teams=teams_settings(env),
        wecom=wecom_settings(env),
        console=console_settings(env),
        graph=graph_settings(env),
        directory_sync=_directory_sync(env, DEFAULT.directory_sync),
    )


def _directory_sync(env: Mapping[str, str], default: str) -> str:
    """A cron line in school time, once an hour at most (a sync reads the whole directory)."""
    cron = env.get("ESAFETY_DIRECTORY_SYNC", "").strip() or default
    try:
        check(cron, env.get("ESAFETY_TIMEZONE", "") or DEFAULT.timezone)
    except ScheduleError as error:
        raise ConfigError(f"ESAFETY_DIRECTORY_SYNC: {error}") from None
    return cron


def _cases(env: Mapping[str, str]) -> CasePolicy:
    country = (env.get("ESAFETY_SCHOOL_COUNTRY", "") or CASES.school_country).strip().upper()
    if country not in CONTACT_KEYS:
        raise ConfigError(f"ESAFETY_SCHOOL_COUNTRY must be one of {sorted(CONTACT_KEYS)}, got {country!r}")
    try:
        hours = SchoolHours.parse(env.get("ESAFETY_SCHOOL_HOURS", "") or DEFAULT_SCHOOL_HOURS)
    except ValueError as error:
        raise ConfigError(f"ESAFETY_SCHOOL_HOURS: {error}") from None
    return CasePolicy(
        ack_timeout_seconds=read_int(env, "ESAFETY_CASE_ACK_TIMEOUT_SECONDS", CASES.ack_timeout_seconds, low=30, high=86_400),
        second_escalation_seconds=read_int(env, "ESAFETY_CASE_SECOND_ESCALATION_SECONDS", CASES.second_escalation_seconds,
                                           low=30, high=86_400),
        urgent_ack_timeout_seconds=read_int(env, "ESAFETY_URGENT_ACK_TIMEOUT_SECONDS", CASES.urgent_ack_timeout_seconds,
                                            low=30, high=3_600),
        report_window_seconds=read_int(env, "ESAFETY_REPORT_WINDOW_SECONDS", CASES.report_window_seconds, low=0, high=3_600),
        school_hours=hours,
        school_country=country,
        emergency_contacts=env.get("ESAFETY_EMERGENCY_CONTACTS", "").strip(),
        review_days=read_int(env, "ESAFETY_CASE_REVIEW_DAYS", CASES.review_days, low=1, high=365),
        review_repeat_hours=read_int(env, "ESAFETY_CASE_REVIEW_REPEAT_HOURS", CASES.review_repeat_hours, low=1, high=720),
        retention_days=_retention(env),
        drill_cron=_drill(env.get("ESAFETY_DRILL", "").strip()),
    )


def _drill(raw: str) -> str | None:
    """A cron line in school time, or `off` (the default): drills only when asked."""
    if raw.casefold() in ("", "off"):
        return None
    try:
        check(raw, "UTC")
    except ScheduleError as error:
        raise ConfigError(f"ESAFETY_DRILL: {error} (or off)") from None
    return raw


def _retention(env: Mapping[str, str]) -> int | None:
    """Unset or `forever`: nothing is ever purged. Else whole days, at least a year."""
    raw = env.get("ESAFETY_CASE_RETENTION_DAYS", "").strip()
    if raw.casefold() in ("", "forever"):
        return None
    return read_int(env, "ESAFETY_CASE_RETENTION_DAYS", 0, low=365, high=36_500)


def _reminders(env: Mapping[str, str]) -> ReminderPolicy:
    cron = env.get("ESAFETY_DEFAULT_SCHEDULE", "").strip() or DEFAULT_REMINDER_CRON
    try:
        if cron != "off":
            check(cron, "UTC")
    except ScheduleError as error:
        raise ConfigError(f"ESAFETY_DEFAULT_SCHEDULE: {error}") from None
    return ReminderPolicy(
        default_cron=None if cron == "off" else cron,
        quiet_hours=_quiet_hours(env.get("ESAFETY_QUIET_HOURS", "").strip() or DEFAULT_QUIET_HOURS),
        catchup_grace_seconds=read_int(env, "ESAFETY_CATCHUP_GRACE_SECONDS", REMINDERS.catchup_grace_seconds, low=0, high=86_400),
        lesson_notice_seconds=read_int(env, "ESAFETY_LESSON_NOTICE_SECONDS", REMINDERS.lesson_notice_seconds, low=60, high=7_200),
        digest_cron=_digest(env.get("ESAFETY_DIGEST", "").strip() or DEFAULT_DIGEST),
    )


def _digest(raw: str) -> str | None:
    try:
        return None if raw.casefold() == "off" else digest_cron(raw)
    except ValueError as error:
        raise ConfigError(f"ESAFETY_DIGEST: {error} (or off)") from None


def _quiet_hours(raw: str) -> tuple[time, time] | None:
    if raw == "off":
        return None
    try:
        start, end = (time.fromisoformat(part.strip()) for part in raw.split("-"))
    except ValueError:
        raise ConfigError(f"ESAFETY_QUIET_HOURS must be HH:MM-HH:MM (e.g. 21:00-07:00) or off, got {raw!r}") from None
    if start == end:
        raise ConfigError("ESAFETY_QUIET_HOURS must not start and end at the same time")
    return start, end


def _hosts(raw: str) -> tuple[str, ...]:
    hosts = tuple(host.strip().casefold() for host in raw.split(",") if host.strip())
    bad = [host for host in hosts if "/" in host or ":" in host]
    if bad:
        raise ConfigError(f"ESAFETY_TEAMS_SERVICE_HOSTS takes host names separated by commas, got {bad}")
    return hosts


def _locale(raw: str) -> str:
    locale = normalise_locale(raw, default="")
    if not locale:
        raise ConfigError(f"ESAFETY_LOCALE must be one of {list(LOCALES)} (or en-GB, zh-CN…), got {raw!r}")
    return locale


def _timezone(raw: str) -> str:
    try:
        ZoneInfo(raw.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"ESAFETY_TIMEZONE must be an IANA time zone such as Europe/London, got {raw!r}") from None
    return raw.strip()


def _redis_url(raw: str) -> str | None:
    raw = raw.strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in {"redis", "rediss", "unix"} or (parts.scheme != "unix" and not parts.hostname):
        raise ConfigError("REDIS_URL must look like redis://host:6379/0 (or rediss://, unix://)")
    try:
        parts.port  # noqa: B018 - reading it validates the port
    except ValueError:
        raise ConfigError("REDIS_URL has an invalid port") from None
    return raw
