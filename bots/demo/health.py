"""Demo scenes for IT: /metrics as Prometheus reads it, and a worker that silently stops caught
by the auditor, which tells the admins directly (004 strategy 9; 000 §3). They run on an
instance serving without its workers, on the same database the school day used."""

from __future__ import annotations

import asyncio

import aiohttp

from bots.app import bootstrap
from bots.config import Settings
from bots.demo.transcript import Transcript
from bots.server import run_bot
from bots.sockets import free_port
from bots.teams.channel import TeamsOptions
from bots.teams.fakes.activities import teams_activity
from bots.teams.fakes.bot_connector import FakeBotConnector
from bots.wecom.channel import WecomOptions
from bots.wecom.fakes.api import FakeWecomApi
from handlers.auditor import Auditor
from state.clock import ManualClock

METRICS = ("esafety_cases_open", "esafety_oldest_unacknowledged_case_seconds", "esafety_outbox_depth", "esafety_outbox_undelivered",
           "esafety_deliveries_failed_total", "esafety_groups_unsupervised", "esafety_webhook_refused_total", "esafety_auditor_overdue",
           "esafety_chain_degraded")
WECOM_ADMIN = "chen.zhuren"


async def play(settings: Settings, clock: ManualClock, connector: FakeBotConnector, wecom_api: FakeWecomApi, t: Transcript) -> None:
    bot = await bootstrap(settings, clock=clock, teams_options=TeamsOptions(sleep=clock.sleep),
                          wecom_options=WecomOptions(sleep=clock.sleep))
    port, stop, started = free_port(), asyncio.Event(), asyncio.Event()
    server = asyncio.create_task(run_bot(bot, host="127.0.0.1", port=port, stop=stop, started=started, workers=False))
    await started.wait()
    try:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:
            t.section("IT's view: GET /metrics (Prometheus text, read from the Store)")
            async with http.get("/metrics") as answer:
                text = await answer.text()
            lines = [line for line in text.splitlines() if line.startswith("esafety_")]
            t.say("\n".join(lines))
            t.expect(answer.status == 200 and all(any(line.startswith(name) for line in lines) for name in METRICS),
                     "/metrics shows every esafety_* metric, with the day's cases, outbox and refusals")

            t.section("A worker silently stops: the auditor catches it (004 strategy 9)")
            t.say("this instance accepts webhooks but its workers are not running; a child writes to the bot")
            activity = teams_activity("personal_message", connector.url, id="demo-stuck", text="report someone is scaring me online")
            async with http.post("/api/messages", json=activity) as accepted:
                t.expect(accepted.status < 300, "the webhook accepts the child's message into the durable inbox")
            clock.advance(bot.settings.auditor_margin_seconds + 60)
            with t.staged("handlers.auditor", "LATE WORK", "the auditor logs the late work as an error, for the server's log watchers"):
                late = await Auditor(bot.deps, bot.settings.auditor_margin_seconds).check()
            t.expect(bool(late), f"{bot.settings.auditor_margin_seconds + 60} s later the auditor finds the message still waiting")
            t.expect(any("延误" in text for text in wecom_api.texts_to_user(WECOM_ADMIN)),
                     "the admins are told directly, on every channel they are on (here 陈主任 on WeCom)")
            t.say(f"bot → 陈主任: {next(text for text in wecom_api.texts_to_user(WECOM_ADMIN) if '延误' in text)}")
            async with http.get("/readyz") as ready:
                body = await ready.json()
            t.say(f"GET /readyz → {ready.status} {body}")
            t.expect(ready.status == 200 and body["status"] == "degraded", "/readyz says degraded, with the finding")
            async with http.get("/metrics") as answer:
                watched = ("esafety_auditor_overdue", 'esafety_chain_degraded{reason="overdue"}')
                overdue = [line for line in (await answer.text()).splitlines() if line.startswith(watched)]
            t.say("\n".join(overdue))
            t.expect('esafety_chain_degraded{reason="overdue"} 1.0' in overdue, "/metrics counts it for IT's alert rules")
    finally:
        stop.set()
        await server
