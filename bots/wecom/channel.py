"""Everything the WeCom channel is made of, built together by the composition root."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from wechatpy.enterprise.crypto import WeChatCrypto

from bots.config import Settings
from bots.wecom.api import WecomApi
from bots.wecom.callbacks import WecomCallbacks
from bots.wecom.class_delivery import CHECK
from bots.wecom.inbox import WecomInbox
from bots.wecom.messenger import WecomMessenger
from handlers.dispatch import Dispatcher
from handlers.not_saved import NotSaved
from handlers.runtime.doorbell import Doorbell
from policy_text.catalog import Catalog
from state.clock import Clock
from state.due import DueItem
from state.store import Store


@dataclass(frozen=True)
class WecomOptions:
    """Test and demo hooks: the sleep used while waiting for send slots or backing off (the
    demo's fast clock advances instead of sleeping) and the API call timeout."""

    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    timeout_seconds: float = 10.0


@dataclass(frozen=True)
class WecomChannel:
    api: WecomApi
    messenger: WecomMessenger
    callbacks: WecomCallbacks
    school_contacts: bool = False  # the roster follows the school contacts: their change callbacks are applied

    def timers(self) -> dict[str, Callable[[DueItem], Awaitable[None]]]:
        """WeCom's own timers: reading a group send's result back (bots/wecom/class_delivery.py)."""
        return {CHECK: self.messenger.class_chats.check}

    def inbox(self, dispatcher: Dispatcher) -> WecomInbox:
        return WecomInbox(self.api, self.callbacks.store, dispatcher, self.callbacks.clock, self.school_contacts)


def build_wecom(settings: Settings, store: Store, catalog: Catalog, clock: Clock, doorbell: Doorbell, not_saved: NotSaved,
                options: WecomOptions | None = None) -> WecomChannel | None:
    if not settings.wecom.configured:
        return None
    options = options or WecomOptions()
    wecom = settings.wecom
    api = WecomApi(wecom, store, timeout_seconds=options.timeout_seconds)
    messenger = WecomMessenger(api, store, catalog, clock, school_locale=settings.locale, sleep=options.sleep,
                               group_sends_per_month=wecom.group_sends_per_month)
    crypto = WeChatCrypto(wecom.token, wecom.encoding_aes_key, wecom.corp_id)

    async def tell_not_saved(userid: str) -> None:
        await messenger.tell_without_store(userid, not_saved(settings.locale), settings.locale)

    return WecomChannel(api, messenger, WecomCallbacks(crypto, store, clock, doorbell, tell_not_saved), wecom.school_contacts)
