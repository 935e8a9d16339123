"""The console as an aiohttp sub-application under `/console`, with its own middlewares (the
session cookie and the security headers), so the webhooks' hot path pays for none of them.

Every page needs a signed-in person (bots/console/context.py). Without an identity provider
configured, every console address answers 503 with a page saying how to turn it on.
"""

from __future__ import annotations

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bots.console import auth, groups_page, operations_page, pages
from bots.console.context import CONTEXT, ConsoleContext, Operations
from bots.console.oidc import OpenIdClient
from bots.console.session import Sessions
from bots.console.settings import ConsoleSettings
from bots.console.wecom_login import WecomSignIn
from bots.http import Handler
from bots.wecom.api import WecomApi
from handlers.duties import Deps

STATIC = "/console/static/"
SECURITY_HEADERS = {
    # Scripts, styles and images only from us (one small script: the queue's refresh), forms only to us, never in a frame.
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",  # a child's case must not stay in a shared computer's browser cache
}


def console_app(deps: Deps, settings: ConsoleSettings, wecom_api: WecomApi | None = None,
                operations: Operations | None = None) -> web.Application:
    """Sign-in through the school's OpenID Connect provider when it is configured, through WeCom's
    web login when the WeCom channel is on and ESAFETY_CONSOLE_URL says where to come back to."""
    app = web.Application(middlewares=[security_headers])
    aiohttp_jinja2.setup(app, loader=jinja2.PackageLoader("bots.console", "templates"), autoescape=True)
    app.router.add_static("/static/", _static_dir(), append_version=True)
    oidc = OpenIdClient(settings, deps.clock) if settings.configured else None
    wecom = WecomSignIn(wecom_api, settings.wecom_login_url) if wecom_api is not None and settings.public_url else None
    app[CONTEXT] = ConsoleContext(deps, settings, Sessions(deps.store, deps.clock, settings.idle_minutes), oidc, wecom,
                                  operations or Operations())
    if oidc is None and wecom is None:
        app.router.add_route("*", "", _not_configured)
        app.router.add_route("*", "/{tail:.*}", _not_configured)
        return app
    app.router.add_get("", pages.queue)
    app.router.add_get("/", pages.queue)
    app.router.add_get("/sign-in", auth.sign_in_page)
    if oidc is not None:
        app.router.add_get("/sign-in/start", auth.start)
        app.router.add_get("/signed-in", auth.signed_in)
    if wecom is not None:
        app.router.add_get("/sign-in/wecom", auth.start_wecom)
        app.router.add_get("/signed-in/wecom", auth.signed_in_wecom)
    app.router.add_post("/sign-out", auth.sign_out)
    app.router.add_get("/groups", groups_page.groups)
    app.router.add_get("/operations", operations_page.operations)
    app.router.add_post("/operations/retry", operations_page.retry_undelivered)
    app.router.add_post("/operations/doctor", operations_page.run_doctor)
    app.router.add_post("/operations/audit-verify", operations_page.run_audit_verify)
    app.router.add_get("/cases/{reference}", pages.case_page)
    app.router.add_post("/cases/{reference}/words", pages.words)
    app.router.add_post("/cases/{reference}/export", pages.export)
    app.router.add_post(r"/cases/{reference}/{action:" + "|".join(pages.ACTIONS) + "}", pages.act)

    async def close_client(_: web.Application) -> None:
        if oidc is not None:
            await oidc.close()

    app.on_cleanup.append(close_client)
    return app


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as error:
        error.headers.update(SECURITY_HEADERS)
        raise
    response.headers.update(SECURITY_HEADERS)
    return response


async def _not_configured(request: web.Request) -> web.Response:
    """How to turn the console on, in the school's language (nobody is signed in to have another)."""
    return await request.app[CONTEXT].render(request, "off.html", None, status=503)


def _static_dir() -> str:
    from importlib.resources import files
    return str(files("bots.console") / "static")
