"""Building botbuilder's CloudAdapter from our settings.

ConfigurationBotFrameworkAuthentication reads the attribute names APP_ID, APP_PASSWORD,
APP_TYPE and APP_TENANTID, which `TeamsSettings` carries (CHANNEL_NOTES.md T1). With an empty
app id the SDK accepts unauthenticated requests and sends to any serviceUrl, so that mode is
only built when ESAFETY_ALLOW_ANONYMOUS=1 asks for it (T1b).
"""

from __future__ import annotations

from typing import Any

from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from msrest.universal_http.requests import ClientRetryPolicy

from bots.config import Settings
from bots.teams.service_url import ServiceUrls


def teams_enabled(settings: Settings) -> bool:
    return bool(settings.teams.APP_ID) or settings.allow_anonymous


def service_urls(settings: Settings, extra_origins: tuple[str, ...] = ()) -> ServiceUrls:
    """Where replies may go: Microsoft's connector (or the configured hosts) with an app id;
    only this machine in anonymous local mode."""
    if not settings.teams.APP_ID:
        return ServiceUrls.anonymous()
    return ServiceUrls.for_app(settings.teams_service_hosts, extra_origins=extra_origins)


def build_adapter(settings: Settings, *, credentials_factory: Any = None, auth_overrides: dict[str, str] | None = None) -> CloudAdapter:
    """The SDK adapter. `credentials_factory` and `auth_overrides` (OpenID metadata URL, token
    issuer) let tests run the authenticated path against local fakes."""
    _speed_up_msrest_retry_policy()
    config = type("BotFrameworkConfig", (), {**vars(settings.teams), **(auth_overrides or {})})()
    auth = ConfigurationBotFrameworkAuthentication(config, credentials_factory=credentials_factory)
    return CloudAdapter(auth)


def _speed_up_msrest_retry_policy() -> None:
    """CloudAdapter builds two msrest clients per incoming activity, and each builds a
    ClientRetryPolicy whose constructor tests 999 codes for membership in a 501-item *list*
    (msrest 0.7.1, universal_http/requests.py): about 3 ms each, three quarters of a direct
    message's answer time (bench/teams_webhook.py). `safe_codes` is only ever used for that
    membership test, so a frozenset with the same members changes nothing but the speed."""
    policy: Any = ClientRetryPolicy
    policy.safe_codes = frozenset(policy.safe_codes)
