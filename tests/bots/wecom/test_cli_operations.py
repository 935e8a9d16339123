"""The WeCom commands as a person runs them (a real subprocess) against the fake WeCom API: the app
menu, a class chat created by the app and joined by the server, and a group robot's webhook."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bots.wecom.fakes.api import FakeWecomApi
from bots.wecom.fakes.callbacks import settings_env
from state.clock import ManualClock
from state.factory import open_store
from state.models import GroupKey, Supervision
from tests.bots.test_cli import run
from tests.bots.wecom.conftest import ADMIN, CUSTOMER_GROUP, DSL, TEACHER, start_harness, until


async def cli(tmp_path: Path, api: FakeWecomApi, *args: str, clock: ManualClock | None = None) -> tuple[int, str, str]:
    """The command on the test's clock (when given), so what it queues is due on the harness' clock."""
    now = clock.now() if clock else None
    done = await asyncio.to_thread(run, tmp_path, *args, now=now, ESAFETY_LOCALE="zh-CN", **settings_env(api.base_url))
    return done.returncode, done.stdout, done.stderr


async def test_wecom_menu_creates_the_report_items(tmp_path: Path, wecom_api: FakeWecomApi) -> None:
    code, out, err = await cli(tmp_path, wecom_api, "wecom-menu")
    assert code == 0, err
    assert wecom_api.menu is not None
    (top,) = wecom_api.menu["button"]
    assert top["name"] == "安全求助"
    assert [(item["type"], item["key"]) for item in top["sub_button"]] == [("click", "report"), ("click", "report_adult")]
    assert "私下说出我的担心" in out


async def test_wecom_commands_need_wecom_configured(tmp_path: Path) -> None:
    for command in (("wecom-menu",), ("wecom", "add-chat", "wrX", "--kind", "customer")):
        done = await asyncio.to_thread(run, tmp_path, *command)
        assert done.returncode == 1
        assert "WeCom is off: set WECOM_CORP_ID" in done.stderr


async def test_create_chat_then_the_server_joins_it(tmp_path: Path, wecom_api: FakeWecomApi, clock: ManualClock) -> None:
    """The app creates the chat (appchat/create) and queues a join; the server reads the members
    (appchat/get), registers and welcomes the group by posting into it (appchat/send)."""
    code, out, err = await cli(tmp_path, wecom_api, "wecom", "create-chat", "--name", "六年级B班", "--owner", TEACHER,
                               "--members", f"{TEACHER},{ADMIN}", clock=clock)
    assert code == 0, err
    chat_id = out.split("wecom:")[1].split(":")[0]
    harness = await start_harness(tmp_path / "cli.db", wecom_api, clock)
    try:
        await until(lambda: wecom_api.group_texts(chat_id))
        group = await harness.bot.store.get_group(GroupKey("wecom", chat_id))
        assert group is not None
        assert (group.kind, group.name) == ("appchat", "六年级B班")
        assert group.supervision is Supervision.SUPERVISED
        assert harness.bot.catalog.say("welcome.report_button", "zh_CN") in wecom_api.group_texts(chat_id)[0], "points to the menu"
    finally:
        await harness.client.close()


async def test_add_chat_for_a_customer_group(tmp_path: Path, wecom_api: FakeWecomApi, clock: ManualClock) -> None:
    code, _, err = await cli(tmp_path, wecom_api, "wecom", "add-chat", CUSTOMER_GROUP, "--kind", "customer", clock=clock)
    assert code == 0, err
    harness = await start_harness(tmp_path / "cli.db", wecom_api, clock)
    try:
        await until(lambda: wecom_api.texts_to_user(DSL))
        assert await harness.bot.store.get_group(GroupKey("wecom", CUSTOMER_GROUP)) is not None
    finally:
        await harness.client.close()


async def test_set_webhook_routes_group_posts_through_the_robot(tmp_path: Path, wecom_api: FakeWecomApi, clock: ManualClock) -> None:
    bad = await cli(tmp_path, wecom_api, "groups", "set-webhook", "x", "ftp://nope")
    assert bad[0] == 2
    assert "http(s) URL" in bad[2]
    harness = await start_harness(tmp_path / "cli.db", wecom_api, clock)
    await harness.deliver(harness.callbacks.external_chat(CUSTOMER_GROUP, "create"))
    await until(lambda: wecom_api.texts_to_user(DSL))
    await harness.client.close()
    url = wecom_api.add_robot("robot-6b", CUSTOMER_GROUP)
    code, out, err = await cli(tmp_path, wecom_api, "groups", "set-webhook", f"wecom:{CUSTOMER_GROUP}", url)
    assert code == 0, err
    assert "robot webhook set" in out
    store = await open_store(redis_url=None, sqlite_path=str(tmp_path / "cli.db"), clock=clock)
    try:
        group = await store.get_group(GroupKey("wecom", CUSTOMER_GROUP))
        assert group is not None
        assert group.webhook == url
        assert (await store.read_audit())[-1].record.action == "group.webhook_set"
    finally:
        await store.close()
