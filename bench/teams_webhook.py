"""Teams webhook: direct messages answered per second and answer latency of `/api/messages`
(the real app, CloudAdapter in anonymous local mode, SQLite Store), against a bare aiohttp
handler that only parses the JSON and answers 200, measured in the same run."""

from __future__ import annotations

from typing import Any

import aiohttp
from aiohttp import web

from bench.baseline import bare_server
from bench.serving import serving
from bench.timing import Result, measure, report
from tests.fakes.bot_connector import FakeBotConnector
from tests.fakes.teams_activities import teams_activity

COUNT = 200


async def parse_and_answer(request: web.Request) -> web.Response:
    await request.json()
    return web.Response(status=200)


async def post_all(http: aiohttp.ClientSession, url: str, activities: list[dict[str, Any]], name: str) -> Result:
    async def send(i: int) -> None:
        async with http.post(url, json=activities[i % len(activities)] | {"id": f"bench-{name}-{i}"}) as response:
            assert response.status in (200, 201), response.status

    return await measure(name, send, count=COUNT)


async def main() -> None:
    print(f"\nTeams webhook, direct message, {COUNT} sequential requests per round, 5 rounds")
    connector = FakeBotConnector()
    await connector.start()
    bare, bare_url = await bare_server("/api/messages", parse_and_answer)
    activity = teams_activity("personal_message", connector.url)
    try:
        async with serving({"ESAFETY_ALLOW_ANONYMOUS": "1"}) as (_, base), aiohttp.ClientSession() as http:
            baseline = await post_all(http, bare_url, [activity], "baseline: bare aiohttp, parse JSON, 200")
            real = await post_all(http, f"{base}/api/messages", [activity], "esafety-bot /api/messages")
        report("POST /api/messages (loopback, one client)", [real], baseline)
    finally:
        await bare.cleanup()
        await connector.stop()
