"""Signing in to the console with WeCom's web login: the OAuth2 code, then `auth/getuserinfo`
against the fake WeCom API, the member matched to the roster by WeCom userid; refusals audited.
One run drives it in the browser through the fake's login page."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from html import unescape

import pytest
from aiohttp import ClientSession, CookieJar, web
from aiohttp.test_utils import TestServer
from playwright.async_api import Page, expect

from bots.config import load_settings
from bots.console.app import console_app
from bots.console.settings import ConsoleSettings
from bots.sockets import free_port
from bots.wecom.api import WecomApi
from bots.wecom.fakes.api import FakeWecomApi
from bots.wecom.fakes.callbacks import settings_env
from bots.wecom.fakes.web_login import LOGIN_PATH
from handlers.concerns import Report, receive_report
from handlers.duties import Deps
from policy_text.catalog import Catalog
from state.clock import ManualClock
from state.models import Person, Role
from state.store import Store
from tests.bots.console.browser import browser_page, serious_violations, snap
from tests.fakes.recording_messenger import RecordingMessenger

LEAD = Person(channel="wecom", user_id="liu.dsl", name="刘老师", role=Role.DSL, locale="zh_CN")
TEACHER = Person(channel="wecom", user_id="zhang.laoshi", name="张老师", role=Role.TEACHER, classes=("6B",), locale="zh_CN")
PUPIL = Person(channel="wecom", user_id="li.xuesheng", name="李同学", role=Role.STUDENT, classes=("6B",), consent=True, locale="zh_CN")
WORDS = "有人晚上一直给我发很难听的消息"
SAME_ID_ON_TEAMS = Person(channel="teams", user_id="wang.visitor", name="Wang on Teams", role=Role.DSL)


@dataclass
class WecomConsole:
    url: str
    api: FakeWecomApi
    store: Store
    deps: Deps

    async def audit(self) -> list[tuple[str, str, str]]:
        return [(e.record.action, e.record.actor, e.record.outcome) for e in await self.store.read_audit()
                if e.record.action.startswith("console.")]


@pytest.fixture
async def wecom_console(store: Store, clock: ManualClock) -> AsyncIterator[WecomConsole]:
    api = FakeWecomApi(now=lambda: clock.now().timestamp())
    await api.start()
    api.web_login.members = {person.user_id: person.name for person in (LEAD, TEACHER)} | {"wang.visitor": "王访客"}
    await store.merge_roster([LEAD, TEACHER, SAME_ID_ON_TEAMS])
    wecom = WecomApi(load_settings(settings_env(api.base_url)).wecom, store, timeout_seconds=5)
    deps = Deps(store=store, messenger=RecordingMessenger(), clock=clock, catalog=Catalog.load(), school_timezone="Asia/Shanghai")
    port = free_port()
    url = f"http://localhost:{port}"
    app = web.Application()
    app.add_subapp("/console", console_app(deps, ConsoleSettings(public_url=url, wecom_login_url=api.url + LOGIN_PATH), wecom))
    server = TestServer(app, host="127.0.0.1", port=port)
    await server.start_server()
    try:
        yield WecomConsole(url, api, store, deps)
    finally:
        await server.close()
        await api.stop()


async def sign_in(console: WecomConsole, userid: str | None) -> tuple[int, str]:
    console.api.web_login.sign_in_as = userid
    jar = CookieJar(unsafe=True, treat_as_secure_origin=[console.url])
    async with ClientSession(console.url, cookie_jar=jar) as http, http.get("/console/sign-in/wecom") as response:
        return response.status, unescape(await response.text())  # the page as read, not as escaped


async def test_a_lead_on_wecom_signs_in_by_userid(wecom_console: WecomConsole) -> None:
    status, page = await sign_in(wecom_console, LEAD.user_id)
    assert status == 200
    assert "刘老师" in page
    assert await wecom_console.audit() == [("console.signed_in", str(LEAD.ref), "")]


async def test_a_teacher_on_wecom_is_refused_by_role(wecom_console: WecomConsole) -> None:
    status, _ = await sign_in(wecom_console, TEACHER.user_id)
    assert status == 403
    assert await wecom_console.audit() == [("console.refused", str(TEACHER.ref), "role")]


async def test_a_member_not_on_the_wecom_roster_is_refused_even_with_the_same_id_on_teams(wecom_console: WecomConsole) -> None:
    status, page = await sign_in(wecom_console, "wang.visitor")
    assert status == 403
    assert "Not on the school's roster" in page
    assert await wecom_console.audit() == [("console.refused", "wecom:wang.visitor", "not_on_roster")]


async def test_a_code_wecom_does_not_know_is_refused(wecom_console: WecomConsole) -> None:
    jar = CookieJar(unsafe=True, treat_as_secure_origin=[wecom_console.url])
    async with ClientSession(wecom_console.url, cookie_jar=jar) as http:
        async with http.get("/console/sign-in/wecom", allow_redirects=False) as start:
            login = start.headers["Location"]
        assert "login_type=CorpApp" in login
        state = login.split("state=")[1].split("&")[0]
        async with http.get("/console/signed-in/wecom", params={"code": "made-up", "state": state}) as back:
            assert back.status == 401
            assert "40029" in await back.text()
    assert await wecom_console.audit() == [("console.refused", "unknown", "token_refused")]


@pytest.mark.timeout(120)
async def test_wecom_sign_in_in_the_browser(wecom_console: WecomConsole) -> None:
    async with browser_page() as page:
        await page.goto(wecom_console.url + "/console")
        await page.get_by_role("link", name="Sign in with WeCom (企业微信)").click()
        await expect(page.get_by_role("heading", name="企业微信登录（演示）")).to_be_visible()
        await snap(page, "wecom-login")
        await page.get_by_role("link", name="刘老师").click()
        await expect(page.get_by_role("heading", name="未结事件")).to_be_visible()  # the lead reads Chinese on the roster
        await expect(page.locator(".who")).to_contain_text("刘老师")
        await snap(page, "queue-wecom-lead")
    assert await wecom_console.audit() == [("console.signed_in", str(LEAD.ref), "")]


ENGLISH_ALLOWED = {"esafety", "bot", "CSV", "WeCom", "doctor"}
"""Latin words a Chinese page may carry: the product's name, a file format, the channel and the command's name."""


async def english_words(page: Page) -> set[str]:
    """Latin words on the page beyond those allowed, once the roster's names (a deputy may be called Wang on Teams) are set aside."""
    text = (await page.locator("body").inner_text()).replace(SAME_ID_ON_TEAMS.name, "")
    return set(re.findall(r"[A-Za-z]{2,}", text)) - ENGLISH_ALLOWED


@pytest.mark.timeout(180)
async def test_a_lead_whose_roster_locale_is_chinese_uses_the_console_in_chinese(wecom_console: WecomConsole) -> None:
    """Every page follows the signed-in person's roster locale, every word from policy_text: the
    lead reads the queue, a case, its words and the acknowledgement, the groups and the
    operations pages in Chinese, with no English left on them, and each still passes axe."""
    await wecom_console.store.merge_roster([PUPIL])
    reference = await receive_report(wecom_console.deps, Report(reporter=PUPIL, text=WORDS, origin="zh-1"))
    assert reference is not None
    async with browser_page(bypass_csp=True) as page:
        await page.goto(wecom_console.url + "/console/sign-in/wecom")
        await page.get_by_role("link", name="刘老师").click()
        await expect(page.get_by_role("heading", name="未结事件")).to_be_visible()
        assert await page.locator("html").get_attribute("lang") == "zh-CN"
        await expect(page.locator(".who")).to_contain_text("儿童保护负责人")
        await expect(page.get_by_role("region", name=re.compile("^新事件，尚未送达"))).to_contain_text("6B")
        assert await english_words(page) == set()
        assert await serious_violations(page) == [], "queue in Chinese"
        await snap(page, "zh-queue")

        await page.get_by_role("link", name=reference).click()
        await page.get_by_role("button", name="显示报告原文").click()
        await expect(page.get_by_text(WORDS)).to_be_visible()
        await expect(page.get_by_text("你这次阅读已记入事件的阅读记录。")).to_be_visible()
        await page.get_by_role("button", name="确认接手：由我负责此事件").click()
        await expect(page.get_by_role("status")).to_contain_text(reference)
        assert await english_words(page) - {reference.split("-")[0]} == set()
        assert await serious_violations(page) == [], "case in Chinese"
        await snap(page, "zh-case")

        for link, heading, shot in (("群组", "班级群", "groups"), ("运行状况", "运行状况", "operations")):
            await page.get_by_role("navigation").get_by_role("link", name=link).click()
            await expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
            assert await english_words(page) == set(), heading
            assert await serious_violations(page) == [], heading
            await snap(page, f"zh-{shot}")
    case = await wecom_console.store.get_case(reference)
    assert case is not None
    assert case.acknowledged_by == str(LEAD.ref)
