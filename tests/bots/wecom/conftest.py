"""WeCom test harness: the real app and wechatpy code, a fake WeCom API, callbacks sealed with
the same WeChatCrypto WeCom uses, and a roster of staff (userids) and families (external ids)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bots.app import Bot, bootstrap, build_app
from bots.config import load_settings
from bots.waiting import eventually
from bots.wecom.channel import WecomOptions
from bots.wecom.fakes.api import FakeWecomApi
from bots.wecom.fakes.callbacks import WecomCallbacks, settings_env
from state.clock import ManualClock
from state.models import Person, Role

CUSTOMER_GROUP = "wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA"
STUDENTS = {"wm_student_li": "李同学", "wm_student_wang": "王同学"}
TEACHER, ADMIN, DSL, DEPUTY = "zhang.laoshi", "chen.zhuren", "liu.dsl", "zhao.deputy"
INTERNAL_STUDENT = "zhou.xiaoming"  # a student in the school's own directory: can message the app 1:1
ROSTER = [
    Person(channel="wecom", user_id="wm_student_li", name="李同学", role=Role.STUDENT, classes=("6B",), consent=True, locale="zh_CN"),
    Person(channel="wecom", user_id="wm_student_wang", name="王同学", role=Role.STUDENT, classes=("6B",), locale="zh_CN"),
    Person(channel="wecom", user_id=INTERNAL_STUDENT, name="周小明", role=Role.STUDENT, classes=("6B",), consent=True,
           locale="zh_CN"),
    Person(channel="wecom", user_id="wm_parent_li", name="李家长", role=Role.PARENT, classes=("6B",), locale="zh_CN"),
    Person(channel="wecom", user_id=TEACHER, name="张老师", role=Role.TEACHER, classes=("6B",), locale="zh_CN"),
    Person(channel="wecom", user_id=ADMIN, name="陈主任", role=Role.ADMIN, classes=("6B",), locale="zh_CN"),
    Person(channel="wecom", user_id=DSL, name="刘老师", role=Role.DSL, locale="zh_CN"),
    Person(channel="wecom", user_id=DEPUTY, name="赵老师", role=Role.DEPUTY_DSL, locale="zh_CN"),
]
CLASS_MEMBERS = [(TEACHER, 1), ("wm_student_li", 2), ("wm_student_wang", 2)]


@dataclass
class WecomHarness:
    client: TestClient[Any, Any]
    bot: Bot
    api: FakeWecomApi
    callbacks: WecomCallbacks
    clock: ManualClock

    async def deliver(self, plaintext: str) -> Any:
        """POST a sealed callback, as WeCom does."""
        query, body = self.callbacks.seal(plaintext)
        return await self.client.post("/wecom/callback", params=query, data=body, headers={"Content-Type": "text/xml"})


async def start_harness(db: Path, api: FakeWecomApi, clock: ManualClock, *, timeout_seconds: float = 5, **env: str) -> WecomHarness:
    settings = load_settings({"ESAFETY_DB": str(db), "ESAFETY_LOCALE": "zh-CN", **settings_env(api.base_url), **env})
    bot = await bootstrap(settings, clock=clock, wecom_options=WecomOptions(sleep=clock.sleep, timeout_seconds=timeout_seconds))
    await bot.store.merge_roster(ROSTER)
    client: TestClient[Any, Any] = TestClient(TestServer(build_app(bot)))
    await client.start_server()
    return WecomHarness(client, bot, api, WecomCallbacks(clock), clock)


@pytest.fixture
async def wecom_api(clock: ManualClock) -> AsyncIterator[FakeWecomApi]:
    api = FakeWecomApi(now=lambda: clock.now().timestamp())  # WeCom's windows on the test's clock
    await api.start()
    api.add_customer_group(CUSTOMER_GROUP, name="六年级B班家长群", owner=TEACHER, members=CLASS_MEMBERS)
    yield api
    await api.stop()


@pytest.fixture
async def wecom(tmp_path: Path, wecom_api: FakeWecomApi, clock: ManualClock) -> AsyncIterator[WecomHarness]:
    harness = await start_harness(tmp_path / "wecom.db", wecom_api, clock)
    yield harness
    await harness.client.close()


async def until(check: Callable[[], Any]) -> None:
    assert await eventually(check, seconds=5), "the expected effect did not happen"
