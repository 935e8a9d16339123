"""Settings: read once, validated, secrets kept out of repr."""

from __future__ import annotations

import pytest

from bots.config import DEFAULT, Settings, load_settings
from bots.settings_readers import ConfigError

AES_KEY = "a" * 43
WECOM = {"WECOM_CORP_ID": "ww1", "WECOM_AGENT_ID": "1000002", "WECOM_SECRET": "s3cret", "WECOM_TOKEN": "tok",
         "WECOM_ENCODING_AES_KEY": AES_KEY}
OIDC = {"ESAFETY_OIDC_ISSUER": "https://login.microsoftonline.com/tenant/v2.0", "ESAFETY_OIDC_CLIENT_ID": "console",
        "ESAFETY_OIDC_CLIENT_SECRET": "oidc-secret-QQ"}


def test_defaults_need_no_environment() -> None:
    """With nothing set the bot runs on SQLite with both channels off."""
    settings = load_settings({})
    assert (settings.port, settings.db_path, settings.redis_url) == (3978, "esafety.db", None)
    assert (settings.locale, settings.timezone) == ("en", "UTC")
    cases = settings.cases
    assert (cases.ack_timeout_seconds, cases.urgent_ack_timeout_seconds, cases.school_country) == (900, 120, "GB")
    assert (cases.review_days, cases.review_repeat_hours, cases.retention_days) == (7, 24, None)  # kept for ever
    assert load_settings({"ESAFETY_CASE_RETENTION_DAYS": "forever"}).cases.retention_days is None
    assert load_settings({"ESAFETY_CASE_RETENTION_DAYS": "9125"}).cases.retention_days == 9125
    assert settings.channel_status() == {"teams": "off: MicrosoftAppId is not set", "wecom": "off: WECOM_CORP_ID is not set"}


@pytest.mark.parametrize(("raw", "expected"), [("en-GB", "en"), ("zh-CN", "zh_CN"), ("zh_CN", "zh_CN"), ("EN", "en")])
def test_incoming_locales_map_onto_catalog_locales(raw: str, expected: str) -> None:
    """Platform locales such as en-GB or zh-CN map onto en and zh_CN."""
    assert load_settings({"ESAFETY_LOCALE": raw}).locale == expected


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"PORT": "eighty"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"ESAFETY_LOCALE": "fr"}, "ESAFETY_LOCALE"),
        ({"ESAFETY_TIMEZONE": "Mars/Olympus"}, "ESAFETY_TIMEZONE"),
        ({"ESAFETY_CASE_ACK_TIMEOUT_SECONDS": "0"}, "ESAFETY_CASE_ACK_TIMEOUT_SECONDS"),
        ({"ESAFETY_CASE_REVIEW_DAYS": "0"}, "ESAFETY_CASE_REVIEW_DAYS"),
        ({"ESAFETY_CASE_RETENTION_DAYS": "30"}, "ESAFETY_CASE_RETENTION_DAYS"),
        ({"ESAFETY_CASE_REVIEW_REPEAT_HOURS": "a day"}, "ESAFETY_CASE_REVIEW_REPEAT_HOURS"),
        ({"ESAFETY_ALLOW_ANONYMOUS": "perhaps"}, "ESAFETY_ALLOW_ANONYMOUS"),
        ({"REDIS_URL": "http://localhost:6379"}, "REDIS_URL"),
        ({"REDIS_URL": "redis://localhost:port"}, "REDIS_URL"),
        ({"MicrosoftAppType": "Tenantless"}, "MicrosoftAppType"),
        ({"MicrosoftAppType": "SingleTenant", "MicrosoftAppId": "id", "MicrosoftAppPassword": "pw"}, "MicrosoftAppTenantId"),
        ({"MicrosoftAppPassword": "pw"}, "MicrosoftAppId"),
        ({"WECOM_CORP_ID": "ww1"}, "WECOM_SECRET"),
        ({**WECOM, "WECOM_ENCODING_AES_KEY": "short"}, "WECOM_ENCODING_AES_KEY"),
        ({**WECOM, "WECOM_AGENT_ID": "x"}, "WECOM_AGENT_ID"),
        ({"WECOM_API_BASE_URL": "ftp://x"}, "WECOM_API_BASE_URL"),
        ({"ESAFETY_SCHOOL_HOURS": "weekdays"}, "ESAFETY_SCHOOL_HOURS"),
        ({"ESAFETY_SCHOOL_HOURS": "MON-FRI 16:00-08:00"}, "ESAFETY_SCHOOL_HOURS"),
        ({"ESAFETY_SCHOOL_COUNTRY": "FR"}, "ESAFETY_SCHOOL_COUNTRY"),
        ({"ESAFETY_URGENT_ACK_TIMEOUT_SECONDS": "5"}, "ESAFETY_URGENT_ACK_TIMEOUT_SECONDS"),
        ({"ESAFETY_CASE_SECOND_ESCALATION_SECONDS": "x"}, "ESAFETY_CASE_SECOND_ESCALATION_SECONDS"),
        ({"ESAFETY_REPORT_WINDOW_SECONDS": "-1"}, "ESAFETY_REPORT_WINDOW_SECONDS"),
        ({"ESAFETY_OIDC_ISSUER": "https://login.example/v2.0"}, "ESAFETY_OIDC_CLIENT_ID"),
        ({**OIDC, "ESAFETY_OIDC_ISSUER": "http://login.example/v2.0"}, "ESAFETY_OIDC_ISSUER"),
        ({**OIDC, "ESAFETY_CONSOLE_URL": "console.school.example"}, "ESAFETY_CONSOLE_URL"),
        ({**OIDC, "ESAFETY_CONSOLE_IDLE_MINUTES": "0"}, "ESAFETY_CONSOLE_IDLE_MINUTES"),
        ({"ESAFETY_WECOM_LOGIN_URL": "http://login.example/sso"}, "ESAFETY_WECOM_LOGIN_URL"),
    ],
)
def test_bad_values_are_start_up_errors_naming_the_variable(env: dict[str, str], named: str) -> None:
    """A malformed setting stops start-up and the message says which variable."""
    with pytest.raises(ConfigError, match=named):
        load_settings(env)


def test_channels_turn_on_with_their_credentials() -> None:
    """A configured channel is on; Teams without an app id is on only in explicit anonymous mode."""
    settings = load_settings({**WECOM, "MicrosoftAppType": "singletenant", "MicrosoftAppId": "app", "MicrosoftAppPassword": "pw",
                              "MicrosoftAppTenantId": "tenant"})
    assert settings.teams.APP_TYPE == "SingleTenant"
    assert settings.channel_status() == {"teams": "on", "wecom": "on"}
    assert settings.wecom.agent_id == 1000002
    assert load_settings({"ESAFETY_ALLOW_ANONYMOUS": "1"}).channel_status()["teams"] == "on (ANONYMOUS local mode)"


def test_secrets_never_appear_in_repr() -> None:
    """Printing the settings (or a traceback holding them) leaks no secret."""
    settings = load_settings({**WECOM, **OIDC, "MicrosoftAppId": "app", "MicrosoftAppPassword": "pw-XYZ",
                              "REDIS_URL": "redis://:hunter2@h:6379/0"})
    text = repr(settings)
    for secret in ("pw-XYZ", "s3cret", AES_KEY, "hunter2", "'tok'", OIDC["ESAFETY_OIDC_CLIENT_SECRET"]):
        assert secret not in text


def test_an_empty_environment_gives_every_default_as_written_once() -> None:
    """The parsed defaults (school hours, schedules, quiet hours, digest) equal the dataclasses' own."""
    assert load_settings({}) == DEFAULT == Settings()


def test_the_console_turns_on_with_all_three_sign_in_settings() -> None:
    assert not load_settings({}).console.configured
    console = load_settings({**OIDC, "ESAFETY_CONSOLE_IDLE_MINUTES": "15"}).console
    assert console.configured
    assert (console.issuer, console.idle_minutes) == ("https://login.microsoftonline.com/tenant/v2.0", 15)
    assert load_settings({**OIDC, "ESAFETY_OIDC_ISSUER": "http://localhost:9000"}).console.issuer == "http://localhost:9000"  # the demo
