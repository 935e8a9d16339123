"""The baseline every webhook is measured against: a bare aiohttp handler on loopback that does
the least the route must do (read the body, answer), run in the same process and the same run."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from bots.sockets import free_port


async def bare_server(path: str, handler: Callable[[web.Request], Awaitable[web.Response]]) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_post(path, handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}{path}"
