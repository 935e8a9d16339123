"""The WeCom API client against the fake, with real Store backends: one shared token, a token
error refreshes once (never without bound), 45009 is left to the worker, and every call has a timeout."""

from __future__ import annotations

import logging

import pytest

from bots.config import load_settings
from bots.wecom.api import WecomApi, WecomError, WecomRateLimited, WecomThrottled
from bots.wecom.fakes.api import FakeWecomApi
from bots.wecom.fakes.callbacks import settings_env
from handlers.runtime.retry import TryAgain
from state.clock import ManualClock
from state.store import Store

USER = "zhang.laoshi"


def api_for(fake: FakeWecomApi, store: Store, clock: ManualClock, **options: float) -> WecomApi:
    settings = load_settings(settings_env(fake.base_url)).wecom
    return WecomApi(settings, store, timeout_seconds=options.get("timeout", 5.0))


async def send(api: WecomApi, text: str = "hello") -> dict[str, object]:
    result: dict[str, object] = await api.call(lambda client: client.message.send_text(api.agent_id, [USER], text))
    return result


async def test_two_instances_share_one_token(wecom_api: FakeWecomApi, store: Store, clock: ManualClock) -> None:
    first, second = api_for(wecom_api, store, clock), api_for(wecom_api, store, clock)
    await send(first)
    await send(second)
    assert wecom_api.token_fetches == 1


async def test_an_expired_token_is_refreshed_once_and_the_call_retried(wecom_api: FakeWecomApi, store: Store,
                                                                      clock: ManualClock) -> None:
    api = api_for(wecom_api, store, clock)
    await send(api, "one")
    wecom_api.expire_tokens()
    await send(api, "two")
    assert wecom_api.token_fetches == 2
    assert wecom_api.texts_to_user(USER) == ["one", "two"]


async def test_repeated_token_errors_stop_after_one_refresh(wecom_api: FakeWecomApi, store: Store, clock: ManualClock) -> None:
    """wechatpy's own auto_retry recursed 187 times here (W7); ours refreshes once, then fails."""
    api = api_for(wecom_api, store, clock)
    wecom_api.fail_next(42001, times=50, path="message/send")
    with pytest.raises(WecomError) as raised:
        await send(api)
    assert raised.value.errcode == 42001
    assert wecom_api.token_fetches == 2
    assert sum(1 for request in wecom_api.received if request.path.endswith("message/send")) == 2


async def test_the_frequency_limit_is_for_the_worker_to_wait_out(wecom_api: FakeWecomApi, store: Store, clock: ManualClock) -> None:
    """45009: one attempt, no sleep in the client; the worker tries again a minute later."""
    api = api_for(wecom_api, store, clock)
    started = clock.now()
    wecom_api.fail_next(45009, times=1, path="message/send")
    with pytest.raises(WecomRateLimited) as limited:
        await send(api)
    assert (limited.value.errcode, limited.value.after_seconds, clock.now()) == (45009, 60.0, started)
    assert isinstance(limited.value, TryAgain)
    await send(api)
    assert wecom_api.texts_to_user(USER) == ["hello"]


async def test_a_lasting_frequency_limit_is_raised_for_the_outbox(wecom_api: FakeWecomApi, store: Store, clock: ManualClock) -> None:
    api = api_for(wecom_api, store, clock)
    wecom_api.fail_next(45009, times=10, path="message/send")
    with pytest.raises(WecomError) as raised:
        await send(api)
    assert raised.value.errcode == 45009
    assert "hello" not in str(raised.value)


async def test_no_secret_or_token_reaches_a_log_line(wecom_api: FakeWecomApi, store: Store, clock: ManualClock,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    """urllib3 logs whole URLs at DEBUG, and WeCom's carry the app secret and the access token."""
    with caplog.at_level(logging.DEBUG):
        api = api_for(wecom_api, store, clock)
        wecom_api.expire_tokens()
        await send(api)
        await send(api)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "gettoken" not in logged or "fake-secret" not in logged
    assert "fake-secret" not in logged
    assert "tok-" not in logged


async def test_http_errors_and_slow_answers_become_wecom_errors(wecom_api: FakeWecomApi, store: Store, clock: ManualClock) -> None:
    api = api_for(wecom_api, store, clock, timeout=0.5)
    await send(api)
    wecom_api.fail_http_next(502)
    with pytest.raises(WecomError, match="HTTP 502"):
        await send(api)
    wecom_api.slow_next(2.0)
    with pytest.raises(WecomError):
        await send(api)


async def test_a_throttled_front_door_is_tried_again_when_it_asks(wecom_api: FakeWecomApi, store: Store, clock: ManualClock) -> None:
    """HTTP 429 or 503 before WeCom sees the call: a TryAgain for the worker, with the
    Retry-After it named, or none (the policy's back-off) when it named none."""
    api = api_for(wecom_api, store, clock)
    await send(api)
    wecom_api.fail_http_next(429, retry_after="7")
    with pytest.raises(WecomThrottled) as asked:
        await send(api)
    assert isinstance(asked.value, TryAgain)
    assert asked.value.after_seconds == 7.0
    wecom_api.fail_http_next(503)
    with pytest.raises(WecomThrottled) as unasked:
        await send(api)
    assert unasked.value.after_seconds is None
    assert wecom_api.texts_to_user(USER) == ["hello"]
