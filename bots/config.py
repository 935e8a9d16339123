"""All settings, read from the environment once at start-up into one frozen object.

A bad value stops start-up with an error naming the variable. Secrets are kept out of `repr`,
so printing the settings (or a traceback holding them) never leaks them. Every variable is in
the README's configuration table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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

APP_TYPES = {"multitenant": "MultiTenant", "singletenant": "SingleTenant", "userassignedmsi": "UserAssignedMSI"}
WECOM_PUBLIC_API = "https://qyapi.weixin.qq.com/cgi-bin/"
TRUE_WORDS, FALSE_WORDS = {"1", "true", "yes", "on"}, {"", "0", "false", "no", "off"}


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True, kw_only=True)
class TeamsSettings:
    """The Bot Framework names, under the attribute names botbuilder's
    ConfigurationBotFrameworkAuthentication reads (APP_ID, APP_PASSWORD, APP_TYPE, APP_TENANTID)."""

    APP_ID: str = ""
    APP_PASSWORD: str = field(default="", repr=False)
    APP_TYPE: str = "MultiTenant"
    APP_TENANTID: str = ""
    secret_expires: date | None = None  # ESAFETY_TEAMS_SECRET_EXPIRES: `doctor` warns 30 days ahead


@dataclass(frozen=True, kw_only=True)
class WecomSettings:
    corp_id: str = ""
    agent_id: int = 0
    secret: str = field(default="", repr=False)
    token: str = field(default="", repr=False)
    encoding_aes_key: str = field(default="", repr=False)
    api_base_url: str = WECOM_PUBLIC_API

    @property
    def configured(self) -> bool:
        return bool(self.corp_id)


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

    def channel_status(self) -> dict[str, str]:
        """Which channels are on, and for an off one, why (printed by `serve`, sent by its 503)."""
        teams = "on" if self.teams.APP_ID else "on (ANONYMOUS local mode)" if self.allow_anonymous else "off: MicrosoftAppId is not set"
        wecom = "on" if self.wecom.configured else "off: WECOM_CORP_ID is not set"
        return {"teams": teams, "wecom": wecom}


DEFAULT = Settings()
"""Every setting's default, as the dataclasses above (and handlers/policies.py) give it: an unset
variable takes it from here, so a default is written in one place."""
CASES, SUPERVISION, REMINDERS = DEFAULT.cases, DEFAULT.supervision, DEFAULT.reminders


def load_settings(env: Mapping[str, str]) -> Settings:
    """Build and check the settings from `env` (os.environ at start-up; a dict in tests)."""
    return Settings(
        port=_integer(env, "PORT", DEFAULT.port, low=1, high=65535),
        db_path=env.get("ESAFETY_DB", "") or DEFAULT.db_path,
        redis_url=_redis_url(env.get("REDIS_URL", "")),
        allow_volatile_redis=_flag(env, "ESAFETY_ALLOW_VOLATILE_REDIS"),
        locale=_locale(env.get("ESAFETY_LOCALE", "") or DEFAULT.locale),
        timezone=_timezone(env.get("ESAFETY_TIMEZONE", "") or DEFAULT.timezone),
        allow_anonymous=_flag(env, "ESAFETY_ALLOW_ANONYMOUS"),
        log_level=_choice(env, "ESAFETY_LOG_LEVEL", DEFAULT.log_level, {"DEBUG", "INFO", "WARNING", "ERROR"}),
        teams_service_hosts=_hosts(env.get("ESAFETY_TEAMS_SERVICE_HOSTS", "")),
        cases=_cases(env),
        supervision=SupervisionPolicy(
            rule=_choice(env, "ESAFETY_SUPERVISION_RULE", SUPERVISION.rule.upper(), {r.upper() for r in RULES}).casefold(),
            recheck_seconds=_integer(env, "ESAFETY_RECHECK_SECONDS", SUPERVISION.recheck_seconds, low=60, high=86_400),
            warning_interval_seconds=_integer(env, "ESAFETY_WARNING_INTERVAL_SECONDS", SUPERVISION.warning_interval_seconds,
                                              low=60, high=604_800),
            escalate_seconds=_integer(env, "ESAFETY_UNSUPERVISED_ESCALATE_SECONDS", SUPERVISION.escalate_seconds, low=60, high=604_800),
            recording_retention_days=_integer(env, "ESAFETY_RECORDING_RETENTION_DAYS", SUPERVISION.recording_retention_days,
                                              low=1, high=3_650),
        ),
        reminders=_reminders(env),
        work_lease_seconds=_integer(env, "ESAFETY_WORK_LEASE_SECONDS", DEFAULT.work_lease_seconds, low=1, high=3_600),
        auditor_margin_seconds=_integer(env, "ESAFETY_AUDITOR_MARGIN_SECONDS", DEFAULT.auditor_margin_seconds, low=10, high=86_400),
        teams=_teams(env),
        wecom=_wecom(env),
    )


def _integer(env: Mapping[str, str], name: str, default: int, *, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _date(env: Mapping[str, str], name: str) -> date | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a date as YYYY-MM-DD, got {raw!r}") from None


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().casefold()
    if raw not in TRUE_WORDS | FALSE_WORDS:
        raise ConfigError(f"{name} must be 1 or 0, got {raw!r}")
    return raw in TRUE_WORDS


def _choice(env: Mapping[str, str], name: str, default: str, allowed: set[str]) -> str:
    raw = (env.get(name, "") or default).strip().upper()
    if raw not in allowed:
        raise ConfigError(f"{name} must be one of {sorted(allowed)}, got {raw!r}")
    return raw


def _cases(env: Mapping[str, str]) -> CasePolicy:
    country = (env.get("ESAFETY_SCHOOL_COUNTRY", "") or CASES.school_country).strip().upper()
    if country not in CONTACT_KEYS:
        raise ConfigError(f"ESAFETY_SCHOOL_COUNTRY must be one of {sorted(CONTACT_KEYS)}, got {country!r}")
    try:
        hours = SchoolHours.parse(env.get("ESAFETY_SCHOOL_HOURS", "") or DEFAULT_SCHOOL_HOURS)
    except ValueError as error:
        raise ConfigError(f"ESAFETY_SCHOOL_HOURS: {error}") from None
    return CasePolicy(
        ack_timeout_seconds=_integer(env, "ESAFETY_CASE_ACK_TIMEOUT_SECONDS", CASES.ack_timeout_seconds, low=30, high=86_400),
        second_escalation_seconds=_integer(env, "ESAFETY_CASE_SECOND_ESCALATION_SECONDS", CASES.second_escalation_seconds,
                                           low=30, high=86_400),
        urgent_ack_timeout_seconds=_integer(env, "ESAFETY_URGENT_ACK_TIMEOUT_SECONDS", CASES.urgent_ack_timeout_seconds,
                                            low=30, high=3_600),
        report_window_seconds=_integer(env, "ESAFETY_REPORT_WINDOW_SECONDS", CASES.report_window_seconds, low=0, high=3_600),
        school_hours=hours,
        school_country=country,
        emergency_contacts=env.get("ESAFETY_EMERGENCY_CONTACTS", "").strip(),
    )


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
        catchup_grace_seconds=_integer(env, "ESAFETY_CATCHUP_GRACE_SECONDS", REMINDERS.catchup_grace_seconds, low=0, high=86_400),
        lesson_notice_seconds=_integer(env, "ESAFETY_LESSON_NOTICE_SECONDS", REMINDERS.lesson_notice_seconds, low=60, high=7_200),
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


def _teams(env: Mapping[str, str]) -> TeamsSettings:
    app_type_raw = env.get("MicrosoftAppType", "") or "MultiTenant"
    app_type = APP_TYPES.get(app_type_raw.strip().casefold())
    if app_type is None:
        raise ConfigError(f"MicrosoftAppType must be MultiTenant, SingleTenant or UserAssignedMSI, got {app_type_raw!r}")
    teams = TeamsSettings(
        APP_ID=env.get("MicrosoftAppId", "").strip(),
        APP_PASSWORD=env.get("MicrosoftAppPassword", ""),
        APP_TYPE=app_type,
        APP_TENANTID=env.get("MicrosoftAppTenantId", "").strip(),
        secret_expires=_date(env, "ESAFETY_TEAMS_SECRET_EXPIRES"),
    )
    if teams.APP_PASSWORD and not teams.APP_ID:
        raise ConfigError("MicrosoftAppPassword is set but MicrosoftAppId is not")
    needs = {"SingleTenant": ("MicrosoftAppId", "MicrosoftAppPassword", "MicrosoftAppTenantId"),
             "UserAssignedMSI": ("MicrosoftAppId", "MicrosoftAppTenantId")}.get(app_type, ())
    missing = [name for name in needs if not env.get(name, "").strip()]
    if missing:
        raise ConfigError(f"MicrosoftAppType={app_type} needs {', '.join(missing)}")
    return teams


def _wecom(env: Mapping[str, str]) -> WecomSettings:
    names = ("WECOM_CORP_ID", "WECOM_AGENT_ID", "WECOM_SECRET", "WECOM_TOKEN", "WECOM_ENCODING_AES_KEY")
    given = {name: env.get(name, "").strip() for name in names}
    base = env.get("WECOM_API_BASE_URL", "").strip() or WECOM_PUBLIC_API
    if urlsplit(base).scheme not in {"http", "https"}:
        raise ConfigError(f"WECOM_API_BASE_URL must be an http(s) URL, got {base!r}")
    if not any(given.values()):
        return WecomSettings(api_base_url=base)
    missing = [name for name, value in given.items() if not value]
    if missing:
        raise ConfigError(f"WeCom is partly configured: also set {', '.join(missing)}")
    if len(given["WECOM_ENCODING_AES_KEY"]) != 43:
        raise ConfigError("WECOM_ENCODING_AES_KEY must be the 43-character EncodingAESKey from the WeCom admin console")
    return WecomSettings(
        corp_id=given["WECOM_CORP_ID"],
        agent_id=_integer(env, "WECOM_AGENT_ID", 0, low=1, high=2**31 - 1),
        secret=given["WECOM_SECRET"],
        token=given["WECOM_TOKEN"],
        encoding_aes_key=given["WECOM_ENCODING_AES_KEY"],
        api_base_url=base.rstrip("/") + "/",
    )
