"""Signing in to the console with WeCom's web login: the OAuth2 code, then `auth/getuserinfo`
against the fake WeCom API, the member matched to the roster by WeCom userid; refusals audited.
One run drives it in the browser through the fake's login page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp import ClientSession, CookieJar, web
from aiohttp.test_utils import TestServer
from playwright.async_api import expect

from bots.config import load_settings
from bots.console.app import console_app
from bots.console.settings import ConsoleSettings
from bots.sockets import free_port
from bots.wecom.api import WecomApi
from bots.wecom.fakes.api import FakeWecomApi
from bots.wecom.fakes.callbacks import settings_env
from bots.wecom.fakes.web_login import LOGIN_PATH
from handlers.duties import Deps
from policy_text.catalog import Catalog
from state.clock import ManualClock
from state.models import Person, Role
from state.store import Store
from tests.bots.console.browser import browser_page, snap
from tests.fakes.recording_messenger import RecordingMessenger

LEAD = Person(channel="wecom", user_id="liu.dsl", name="刘老师", role=Role.DSL, locale="zh_CN")
TEACHER = Person(channel="wecom", user_id="zhang.laoshi", name="张老师", role=Role.TEACHER, classes=("6B",), locale="zh_CN")
SAME_ID_ON_TEAMS = Person(channel="teams", user_id="wang.visitor", name="Wang on Teams", role=Role.DSL)


@dataclass
class WecomConsole:
    url: str
    api: FakeWecomApi
    store: Store

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
        yield WecomConsole(url, api, store)
    finally:
        await server.close()
        await api.stop()


async def sign_in(console: WecomConsole, userid: str | None) -> tuple[int, str]:
    console.api.web_login.sign_in_as = userid
    jar = CookieJar(unsafe=True, treat_as_secure_origin=[console.url])
    async with ClientSession(console.url, cookie_jar=jar) as http, http.get("/console/sign-in/wecom") as response:
        return response.status, await response.text()


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
        await expect(page.get_by_role("heading", name="Open concerns")).to_be_visible()
        await expect(page.locator(".who")).to_contain_text("刘老师")
        await snap(page, "queue-wecom-lead")
    assert await wecom_console.audit() == [("console.signed_in", str(LEAD.ref), "")]
