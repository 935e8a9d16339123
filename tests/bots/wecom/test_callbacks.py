"""`/wecom/callback` over HTTP: the URL check, good and forged callbacks, fixed refusals, replays,
and a crash between answering WeCom and processing the callback."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from defusedxml.ElementTree import fromstring
from wechatpy.enterprise.crypto import WeChatCrypto

from bots.app import bootstrap
from bots.config import load_settings
from bots.http import MAX_BODY_BYTES
from bots.waiting import eventually
from bots.wecom.callbacks import dedup_key
from bots.wecom.fakes.api import FakeWecomApi
from bots.wecom.fakes.callbacks import CORP_ID, TOKEN, WecomCallbacks, settings_env
from state.clock import ManualClock
from state.due import Queue
from state.redis_server import RedisServer
from tests.bots.wecom.conftest import INTERNAL_STUDENT, WecomHarness, start_harness, until
from tests.conftest import empty_redis

BILLION_LAUGHS = b"""<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><xml><Encrypt>&c;</Encrypt></xml>"""


async def test_url_check_echoes_the_decrypted_echostr(wecom: WecomHarness) -> None:
    response = await wecom.client.get("/wecom/callback", params=wecom.callbacks.url_check("1616140317555161061"))
    assert response.status == 200
    assert await response.text() == "1616140317555161061"


async def test_url_check_with_a_bad_signature_is_403(wecom: WecomHarness) -> None:
    query = {**wecom.callbacks.url_check(), "msg_signature": "0" * 40}
    assert (await wecom.client.get("/wecom/callback", params=query)).status == 403


async def test_a_good_callback_is_answered_success_and_processed(wecom: WecomHarness) -> None:
    response = await wecom.deliver(wecom.callbacks.text(INTERNAL_STUDENT, "你好"))
    assert response.status == 200
    assert await response.text() == "success"
    await until(lambda: wecom.api.texts_to_user(INTERNAL_STUDENT))


async def test_forged_stale_and_unsigned_callbacks_are_403_and_store_nothing(wecom: WecomHarness) -> None:
    plaintext = wecom.callbacks.text(INTERNAL_STUDENT, "你好")
    query, body = wecom.callbacks.seal(plaintext)
    forged = await wecom.client.post("/wecom/callback", params={**query, "msg_signature": "f" * 40}, data=body)
    stale_query, stale_body = wecom.callbacks.seal(plaintext, at=wecom.clock.now().replace(year=2025))
    stale = await wecom.client.post("/wecom/callback", params=stale_query, data=stale_body)
    unsigned = await wecom.client.post("/wecom/callback", data=body)
    assert [forged.status, stale.status, unsigned.status] == [403, 403, 403]
    assert await wecom.bot.store.claim_due(Queue.INBOX, limit=10, lease_seconds=1) == []


async def test_malformed_entity_bomb_undecryptable_and_oversized_bodies(wecom: WecomHarness, caplog: pytest.LogCaptureFixture) -> None:
    query, _ = wecom.callbacks.seal("<xml/>")
    other_key = WecomCallbacks(wecom.clock, crypto=WeChatCrypto(TOKEN, "Z" * 43, CORP_ID))
    wrong_query, wrong_body = other_key.seal(wecom.callbacks.text(INTERNAL_STUDENT, "你好"))
    answers = [
        await wecom.client.post("/wecom/callback", params=query, data=b"<xml><Encrypt>unclosed"),
        await wecom.client.post("/wecom/callback", params=query, data=BILLION_LAUGHS),
        await wecom.client.post("/wecom/callback", params=wrong_query, data=wrong_body),
        await wecom.client.post("/wecom/callback", params=query, data=b"<xml>" + b"a" * MAX_BODY_BYTES + b"</xml>"),
    ]
    assert [answer.status for answer in answers] == [400, 400, 400, 413]
    refusals = [r.getMessage() for r in caplog.records if "wecom callback refused" in r.getMessage()]
    assert len(refusals) == 4
    assert all("Encrypt" not in line and "aaaa" not in line for line in refusals)
    assert (await wecom.client.get("/healthz")).status == 200


async def test_a_replayed_callback_is_answered_but_processed_once(wecom: WecomHarness) -> None:
    query, body = wecom.callbacks.seal(wecom.callbacks.text(INTERNAL_STUDENT, "你好", msg_id="777"))
    first = await wecom.client.post("/wecom/callback", params=query, data=body)
    second = await wecom.client.post("/wecom/callback", params=query, data=body)
    retry_query, retry_body = wecom.callbacks.seal(wecom.callbacks.text(INTERNAL_STUDENT, "你好", msg_id="777"))
    retried = await wecom.client.post("/wecom/callback", params=retry_query, data=retry_body)  # WeCom's own retry: new nonce
    assert [await r.text() for r in (first, second, retried)] == ["success"] * 3
    await until(lambda: wecom.api.texts_to_user(INTERNAL_STUDENT))
    await wecom.clock.sleep(0)
    assert len(wecom.api.texts_to_user(INTERNAL_STUDENT)) == 1


def test_events_in_the_same_second_have_different_dedup_keys(clock: ManualClock) -> None:
    """Two `sys` events can share a CreateTime second (W6): the event fields tell them apart."""
    make = WecomCallbacks(clock)
    added = fromstring(make.external_chat("chat1", "update", detail="add_member"))
    removed = fromstring(make.external_chat("chat1", "update", detail="del_member"))
    other = fromstring(make.external_chat("chat2", "update", detail="add_member"))
    assert len({dedup_key(added), dedup_key(removed), dedup_key(other)}) == 3
    school = [fromstring(make.school_change("create_student", pupil)) for pupil in ("lin.xs", "wu.xs")]
    batches = [fromstring(make.school_change_batch([("delete_student", pupil)])) for pupil in ("lin.xs", "wu.xs")]
    assert len({dedup_key(each) for each in [*school, *batches]}) == 4


async def test_a_callback_accepted_before_a_crash_is_processed_after_restart(tmp_path: Path, wecom_api: FakeWecomApi,
                                                                          clock: ManualClock) -> None:
    """The first process stores the callback and answers, then dies before its inbox worker runs;
    the next start processes it (the student is answered)."""
    db = tmp_path / "crash.db"
    crashed = await bootstrap(load_settings({"ESAFETY_DB": str(db), **settings_env(wecom_api.base_url)}), clock=clock)
    assert crashed.wecom is not None
    answering_only = web.Application()
    answering_only.router.add_post("/wecom/callback", crashed.wecom.callbacks.receive)  # no workers: it dies first
    client: TestClient[object, object] = TestClient(TestServer(answering_only))
    await client.start_server()
    query, body = WecomCallbacks(clock).seal(WecomCallbacks(clock).text(INTERNAL_STUDENT, "你好"))
    assert await (await client.post("/wecom/callback", params=query, data=body)).text() == "success"
    await client.close()
    await crashed.store.close()
    assert wecom_api.texts_to_user(INTERNAL_STUDENT) == []

    restarted = await start_harness(db, wecom_api, clock)
    try:
        await until(lambda: wecom_api.texts_to_user(INTERNAL_STUDENT))
    finally:
        await restarted.client.close()


async def test_a_timestamp_that_is_not_a_unix_time_is_refused(wecom: WecomHarness) -> None:
    """400 digits (which would overflow the clock arithmetic), a sign or a decimal point: 403, the server serves on."""
    query, body = wecom.callbacks.seal(wecom.callbacks.text(INTERNAL_STUDENT, "你好"))
    for timestamp in ("9" * 400, "-1", "1.5", "１２３"):
        response = await wecom.client.post("/wecom/callback", params={**query, "timestamp": timestamp}, data=body)
        assert response.status == 403
    assert (await wecom.client.get("/healthz")).status == 200


async def test_a_signed_message_the_worker_could_not_read_is_refused_at_the_door(wecom: WecomHarness) -> None:
    """Found by the property tests (tests/security): a field twice, a nested field, a CreateTime
    that is not a number, an event without Event. Each is a 400 now, never a 'success' whose
    worker then fails and parks it unanswered."""
    good = wecom.callbacks.text(INTERNAL_STUDENT, "你好")
    for broken in (good.replace("<MsgType>", "<MsgType>text</MsgType><MsgType>", 1),
                   good.replace("<CreateTime>", "<CreateTime><MsgType>event</MsgType>", 1),
                   good.replace("<CreateTime>", "<CreateTime>:", 1),
                   good.replace("<FromUserName>", "<Other>", 1).replace("</FromUserName>", "</Other>", 1),
                   wecom.callbacks.event(INTERNAL_STUDENT, "click").replace("<Event><![CDATA[click]]></Event>", ""),
                   wecom.callbacks.school_change_batch([("delete_student", "x")]).replace("<Id>", "<Id><Id>y</Id>", 1)):
        query, body = wecom.callbacks.seal(broken)
        response = await wecom.client.post("/wecom/callback", params=query, data=body)
        assert response.status == 400, broken
    assert await wecom.bot.store.claim_due(Queue.INBOX, limit=10, lease_seconds=5) == []


async def test_a_message_while_the_store_is_down_is_answered_and_wecom_retries_it(
        tmp_path: Path, wecom_api: FakeWecomApi, clock: ManualClock, redis_server: RedisServer) -> None:
    """Redis stopped: the callback is answered 503 (so WeCom retries it) and the student is told at
    once with `message/send`, which needs no Store, that it was not saved. Redis back: WeCom's
    retry of the same callback is accepted and the report becomes a case."""
    await empty_redis(redis_server)
    wecom = await start_harness(tmp_path / "unused.db", wecom_api, clock, REDIS_URL=redis_server.url)
    sealed = wecom.callbacks.seal(wecom.callbacks.text(INTERNAL_STUDENT, "报告 有人打我"))
    try:
        redis_server.stop()
        down = await wecom.client.post("/wecom/callback", params=sealed[0], data=sealed[1])
        assert down.status == 503
        contacts = wecom.bot.catalog.say("emergency.contacts_gb", "zh_CN")
        assert wecom_api.texts_to_user(INTERNAL_STUDENT) == [wecom.bot.catalog.say("inbound.not_saved", "zh_CN", contacts=contacts)]
    finally:
        redis_server.start()
    try:
        retried = await wecom.client.post("/wecom/callback", params=sealed[0], data=sealed[1])
        assert await retried.text() == "success"

        async def received() -> bool:
            cases = await wecom.bot.store.list_cases()
            if len(cases) == 1 and any(cases[0].reference in text for text in wecom_api.texts_to_user(INTERNAL_STUDENT)):
                return True
            clock.advance(5)  # a first use of a connection broken by the restart fails and is retried after a back-off
            return False

        assert await eventually(received, seconds=30, step=0.2), "WeCom's retry did not become a case"
    finally:
        await wecom.client.close()
