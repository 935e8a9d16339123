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

from bots.config import Settings
from bots.teams.connector_http import AiohttpSender, send_with
from bots.teams.service_url import ServiceUrls


def teams_enabled(settings: Settings) -> bool:
    return bool(settings.teams.APP_ID) or settings.allow_anonymous


def service_urls(settings: Settings, extra_origins: tuple[str, ...] = ()) -> ServiceUrls:
    """Where replies may go: Microsoft's connector (or the configured hosts) with an app id;
    only this machine in anonymous local mode."""
    if not settings.teams.APP_ID:
        return ServiceUrls.anonymous()
    return ServiceUrls.for_app(settings.teams_service_hosts, extra_origins=extra_origins)


def build_adapter(settings: Settings, *, credentials_factory: Any = None,
                  auth_overrides: dict[str, str] | None = None) -> tuple[CloudAdapter, ReusingClients]:
    """The SDK adapter and the authentication it was built on (which keeps the connector
    clients). `credentials_factory` and `auth_overrides` (OpenID metadata URL, token issuer)
    let tests run the authenticated path against local fakes."""
    config = type("BotFrameworkConfig", (), {**vars(settings.teams), **(auth_overrides or {})})()
    clients = ReusingClients(config, credentials_factory=credentials_factory)
    return CloudAdapter(clients), clients


class ReusingClients(ConfigurationBotFrameworkAuthentication):  # type: ignore[misc]
    """botbuilder's authentication, except that every turn reuses the connector client for its
    (app, serviceUrl, audience) and the user-token client for its app, instead of building new
    ones (an msrest client, its configuration and a requests session: about half the CPU of a
    proactive send, bench/teams_inbound.py). BotFrameworkAdapter kept such a cache too; nothing
    in a turn closes them. The credentials inside refresh their own tokens. Every kept connector
    client sends through one aiohttp session (bots/teams/connector_http.py); `close` ends it."""

    def __init__(self, configuration: Any, **options: Any) -> None:
        super().__init__(configuration, **options)
        self._connectors: dict[tuple[str, str, str | None], Any] = {}
        self._token_clients: dict[str, Any] = {}
        self._sender = AiohttpSender()

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return _ReusedConnectors(super().create_connector_factory(claims_identity), _app_id(claims_identity), self._connectors,
                                 self._sender)

    async def connector_for(self, app_id: str | None, service_url: str) -> Any:
        """The kept connector client a proactive turn for `app_id` would be given (the same
        claims as CloudAdapterBase.create_claims_identity, the default audience)."""
        identity = ClaimsIdentity({AuthenticationConstants.AUDIENCE_CLAIM: app_id, AuthenticationConstants.APP_ID_CLAIM: app_id}, True)
        return await self.create_connector_factory(identity).create(service_url, None)

    async def close(self) -> None:
        await self._sender.close()

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> Any:
        app_id = _app_id(claims_identity)
        if app_id not in self._token_clients:
            _make_room(self._token_clients)
            self._token_clients[app_id] = await super().create_user_token_client(claims_identity)
        return self._token_clients[app_id]


class _ReusedConnectors(ConnectorFactory):  # type: ignore[misc]
    """A connector factory that hands out the kept client for (app, serviceUrl, audience)."""

    def __init__(self, factory: ConnectorFactory, app_id: str, kept: dict[tuple[str, str, str | None], Any],
                 sender: AiohttpSender) -> None:
        self._factory, self._app_id, self._kept, self._sender = factory, app_id, kept, sender

    async def create(self, service_url: str, audience: str | None = None) -> Any:
        key = (self._app_id, service_url, audience)
        if key not in self._kept:
            _make_room(self._kept)
            self._kept[key] = send_with(self._sender, await self._factory.create(service_url, audience))
        return self._kept[key]


CLIENTS_KEPT = 256  # a school's activities come from a handful of serviceUrls


def _app_id(claims_identity: ClaimsIdentity) -> str:
    claims = claims_identity.claims or {}
    return str(claims.get(AuthenticationConstants.AUDIENCE_CLAIM) or claims.get(AuthenticationConstants.APP_ID_CLAIM) or "")


def _make_room(kept: dict[Any, Any]) -> None:
    if len(kept) >= CLIENTS_KEPT:
        del kept[next(iter(kept))]
