"""Everything the Teams channel is made of, built together by the composition root."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from botbuilder.integration.aiohttp import CloudAdapter

from bots.config import Settings
from bots.teams.adapter import allowed_service_hosts, build_adapter, teams_enabled
from bots.teams.bot import TeamsSafetyBot
from bots.teams.delivery import TeamsDelivery
from bots.teams.endpoint import TeamsEndpoint
from bots.teams.messenger import TeamsMessenger
from handlers.dispatch import Dispatcher
from policy_text.catalog import Catalog
from state.store import Store


@dataclass(frozen=True)
class TeamsOptions:
    """Test and demo hooks: local OpenID metadata / credentials, and the sleep used while
    waiting for send slots (the demo's fast clock advances instead of sleeping)."""

    credentials_factory: Any = None
    auth_overrides: dict[str, str] = field(default_factory=dict)
    sleep: Callable[[float], Awaitable[None]] | None = None
    unthrottled: bool = False  # benchmarks only: measure the machinery, not Microsoft's limits


@dataclass(frozen=True)
class TeamsChannel:
    adapter: CloudAdapter
    messenger: TeamsMessenger
    allowed_hosts: tuple[str, ...]

    def endpoint(self, dispatcher: Dispatcher, store: Store, catalog: Catalog) -> TeamsEndpoint:
        bot = TeamsSafetyBot(dispatcher, store, catalog)
        return TeamsEndpoint(self.adapter, bot.on_turn, store, self.allowed_hosts)


def build_teams(settings: Settings, store: Store, catalog: Catalog, options: TeamsOptions | None = None) -> TeamsChannel | None:
    if not teams_enabled(settings):
        return None
    options = options or TeamsOptions()
    adapter = build_adapter(settings, credentials_factory=options.credentials_factory, auth_overrides=options.auth_overrides)
    delivery = TeamsDelivery(store, sleep=options.sleep) if options.sleep else TeamsDelivery(store)
    if options.unthrottled:
        delivery = replace(delivery, sends_per_second=1_000_000, conversation_windows=((1_000_000, 1.0),))
    messenger = TeamsMessenger(adapter, store, catalog, delivery, app_id=settings.teams.APP_ID, school_locale=settings.locale)
    return TeamsChannel(adapter, messenger, allowed_service_hosts(settings))
