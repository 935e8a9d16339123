"""Building botbuilder's CloudAdapter from our settings.

ConfigurationBotFrameworkAuthentication reads the attribute names APP_ID, APP_PASSWORD,
APP_TYPE and APP_TENANTID, which `TeamsSettings` carries (CHANNEL_NOTES.md T1). With an empty
app id the SDK accepts unauthenticated requests and sends to any serviceUrl, so that mode is
only built when ESAFETY_ALLOW_ANONYMOUS=1 asks for it (T1b).
"""

from __future__ import annotations

from typing import Any

from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botframework.connector.auth import AuthenticationConstants, ClaimsIdentity, ConnectorFactory
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
    auth = ReusingClients(config, credentials_factory=credentials_factory)
    return CloudAdapter(auth)


class ReusingClients(ConfigurationBotFrameworkAuthentication):  # type: ignore[misc]
    """botbuilder's authentication, except that every turn reuses the connector client for its
    (app, serviceUrl, audience) and the user-token client for its app, instead of building new
    ones (an msrest client, its configuration and a requests session: about half the CPU of a
    proactive send, bench/teams_inbound.py). BotFrameworkAdapter kept such a cache too; nothing
    in a turn closes them. The credentials inside refresh their own tokens."""

    def __init__(self, configuration: Any, **options: Any) -> None:
        super().__init__(configuration, **options)
        self._connectors: dict[tuple[str, str, str | None], Any] = {}
        self._token_clients: dict[str, Any] = {}

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return _ReusedConnectors(super().create_connector_factory(claims_identity), _app_id(claims_identity), self._connectors)

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> Any:
        app_id = _app_id(claims_identity)
        if app_id not in self._token_clients:
            _make_room(self._token_clients)
            self._token_clients[app_id] = await super().create_user_token_client(claims_identity)
        return self._token_clients[app_id]


class _ReusedConnectors(ConnectorFactory):  # type: ignore[misc]
    """A connector factory that hands out the kept client for (app, serviceUrl, audience)."""

    def __init__(self, factory: ConnectorFactory, app_id: str, kept: dict[tuple[str, str, str | None], Any]) -> None:
        self._factory, self._app_id, self._kept = factory, app_id, kept

    async def create(self, service_url: str, audience: str | None = None) -> Any:
        key = (self._app_id, service_url, audience)
        if key not in self._kept:
            _make_room(self._kept)
            self._kept[key] = await self._factory.create(service_url, audience)
        return self._kept[key]


CLIENTS_KEPT = 256  # a school's activities come from a handful of serviceUrls


def _app_id(claims_identity: ClaimsIdentity) -> str:
    claims = claims_identity.claims or {}
    return str(claims.get(AuthenticationConstants.AUDIENCE_CLAIM) or claims.get(AuthenticationConstants.APP_ID_CLAIM) or "")


def _make_room(kept: dict[Any, Any]) -> None:
    if len(kept) >= CLIENTS_KEPT:
        del kept[next(iter(kept))]


def _speed_up_msrest_retry_policy() -> None:
    """CloudAdapter builds two msrest clients per incoming activity, and each builds a
    ClientRetryPolicy whose constructor tests 999 codes for membership in a 501-item *list*
    (msrest 0.7.1, universal_http/requests.py): about 3 ms each, three quarters of a direct
    message's answer time (bench/teams_webhook.py). `safe_codes` is only ever used for that
    membership test, so a frozenset with the same members changes nothing but the speed."""
    policy: Any = ClientRetryPolicy
    policy.safe_codes = frozenset(policy.safe_codes)
