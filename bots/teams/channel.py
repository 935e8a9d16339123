"""Everything the Teams channel is made of, built together by the composition root."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from botbuilder.integration.aiohttp import CloudAdapter

from bots.config import Settings
from bots.teams.adapter import ReusingClients, build_adapter, service_urls, teams_enabled
from bots.teams.bot import TeamsSafetyBot
from bots.teams.delivery import TeamsDelivery
from bots.teams.endpoint import TeamsEndpoint
from bots.teams.inbox import TeamsInbox
from bots.teams.messenger import TeamsMessenger
from handlers.dispatch import Dispatcher
from handlers.not_saved import NotSaved
from handlers.runtime.doorbell import Doorbell
from policy_text.catalog import Catalog
from state.clock import Clock
from state.store import Store


@dataclass(frozen=True)
class TeamsOptions:
    """Test and demo hooks: local OpenID metadata / credentials, the sleep used while waiting for
    send slots (the demo's fast clock advances instead of sleeping), and exact serviceUrl origins
    to allow besides Microsoft's (a local fake connector on the authenticated path)."""

    credentials_factory: Any = None
    auth_overrides: dict[str, str] = field(default_factory=dict)
    sleep: Callable[[float], Awaitable[None]] | None = None
    unthrottled: bool = False  # benchmarks only: measure the machinery, not Microsoft's limits
    extra_service_origins: tuple[str, ...] = ()


@dataclass(frozen=True)
class TeamsChannel:
    adapter: CloudAdapter
    clients: ReusingClients
    messenger: TeamsMessenger
    endpoint: TeamsEndpoint
    app_id: str

    def inbox(self, dispatcher: Dispatcher) -> TeamsInbox:
        return TeamsInbox(self.adapter, TeamsSafetyBot(dispatcher, self.endpoint.store), self.app_id)

    async def close(self) -> None:
        """End the connector clients' HTTP session (at shutdown, after the workers stopped)."""
        await self.clients.close()


def build_teams(settings: Settings, store: Store, catalog: Catalog, clock: Clock, doorbell: Doorbell, not_saved: NotSaved,
                options: TeamsOptions | None = None) -> TeamsChannel | None:
    if not teams_enabled(settings):
        return None
    options = options or TeamsOptions()
    adapter, clients = build_adapter(settings, credentials_factory=options.credentials_factory, auth_overrides=options.auth_overrides)
    delivery = TeamsDelivery(store, sleep=options.sleep) if options.sleep else TeamsDelivery(store)
    if options.unthrottled:
        delivery = replace(delivery, sends_per_second=1_000_000, conversation_windows=((1_000_000, 1.0),))
    messenger = TeamsMessenger(adapter, clients, store, catalog, delivery, app_id=settings.teams.APP_ID, school_locale=settings.locale)
    endpoint = TeamsEndpoint(adapter, store, catalog, clock, doorbell, service_urls(settings, options.extra_service_origins), not_saved)
    return TeamsChannel(adapter, clients, messenger, endpoint, settings.teams.APP_ID)
