"""Signing in and out of the console. The person the identity provider vouches for is matched to
the roster (Teams entries by Entra object id, user principal name or email; WeCom entries by
WeCom userid); their role comes from the roster, never from the provider. The safeguarding staff and the admin team get in;
anyone else is refused, and every sign-in and refusal is audited (004 strategy 13).
"""

from __future__ import annotations

import secrets

from aiohttp import web

from bots.console.context import CONTEXT
from bots.console.oidc import SignInFailed
from bots.console.session import PendingSignIn, redirect, same_token
from handlers.audit import record_decision
from handlers.case_queue import may_see_queue
from state.models import Person

CLAUSE = "004 strategy 13"
WECOM_BACK = "/console/signed-in/wecom"


async def sign_in_page(request: web.Request) -> web.Response:
    console = request.app[CONTEXT]
    return await console.render(request, "sign_in.html", None, expired="expired" in request.query, left="left" in request.query,
                                with_oidc=console.oidc is not None, with_wecom=console.wecom is not None)


async def start(request: web.Request) -> web.Response:
    """Off to the provider; the state, nonce and PKCE verifier wait in the Store for the browser to come back."""
    console = request.app[CONTEXT]
    assert console.oidc is not None  # the route exists only then
    try:
        begun = await console.oidc.start(console.redirect_uri(request))
    except SignInFailed as failed:
        return await console.render(request, "refused.html", None, status=502, reason="provider", detail=str(failed))
    response = web.Response(status=302, headers={"Location": begun.url})
    await console.sessions.begin_sign_in(response, PendingSignIn(begun.state, begun.nonce, begun.verifier))
    return response


async def signed_in(request: web.Request) -> web.Response:
    """The provider sent the browser back: check it is the sign-in this browser started, trade the
    code, check the ID token, then find the person on the roster."""
    console = request.app[CONTEXT]
    pending = await console.sessions.take_pending(request)
    if pending is None or not same_token(pending.state, request.query.get("state")):
        return await console.render(request, "refused.html", None, status=400, reason="stale")
    code = request.query.get("code", "")
    assert console.oidc is not None  # the route exists only then
    if not code:
        return await console.render(request, "refused.html", None, status=400, reason="provider",
                                    detail=request.query.get("error_description") or request.query.get("error") or "no code")
    try:
        identity = await console.oidc.finish(code, verifier=pending.verifier, nonce=pending.nonce,
                                             redirect_uri=console.redirect_uri(request))
    except SignInFailed as failed:
        await _audit_refusal(request, actor="unknown", role="", why="token_refused")
        return await console.render(request, "refused.html", None, status=401, reason="token", detail=str(failed))
    return await _admit(request, await _on_roster(request, "teams", identity.names()), stranger=f"oidc:{identity.subject}")


async def start_wecom(request: web.Request) -> web.Response:
    """Off to WeCom's web login; the state waits in the Store for the browser to come back."""
    console = request.app[CONTEXT]
    assert console.wecom is not None  # the route exists only then
    state = secrets.token_urlsafe(32)
    response = web.Response(status=302, headers={"Location": console.wecom.start_url(console.redirect_uri(request, WECOM_BACK), state)})
    await console.sessions.begin_sign_in(response, PendingSignIn(state, "", ""))
    return response


async def signed_in_wecom(request: web.Request) -> web.Response:
    """WeCom sent the browser back with a code: the same checks, then `auth/getuserinfo` names the member."""
    console = request.app[CONTEXT]
    assert console.wecom is not None
    pending = await console.sessions.take_pending(request)
    if pending is None or not same_token(pending.state, request.query.get("state")):
        return await console.render(request, "refused.html", None, status=400, reason="stale")
    try:
        userid = await console.wecom.user_id(request.query.get("code", ""))
    except SignInFailed as failed:
        await _audit_refusal(request, actor="unknown", role="", why="token_refused")
        return await console.render(request, "refused.html", None, status=401, reason="token", detail=str(failed))
    return await _admit(request, await _on_roster(request, "wecom", (userid,)), stranger=f"wecom:{userid}")


async def _admit(request: web.Request, person: Person | None, *, stranger: str) -> web.Response:
    """Whoever the provider vouched for, if the roster lists them in a role that may use the console."""
    console = request.app[CONTEXT]
    if person is None:
        await _audit_refusal(request, actor=stranger, role="", why="not_on_roster")
        return await console.render(request, "refused.html", None, status=403, reason="stranger")
    if not may_see_queue(person):
        await _audit_refusal(request, actor=str(person.ref), role=person.role.value, why="role")
        return await console.render(request, "refused.html", person, status=403, reason="role")
    response = redirect("/console")
    await console.sessions.sign_in(response, person.ref)
    await record_decision(console.deps.store, console.deps.clock, action="console.signed_in", actor=str(person.ref),
                          actor_role=person.role.value, clause=CLAUSE)
    return response


async def sign_out(request: web.Request) -> web.Response:
    console = request.app[CONTEXT]
    session, _ = await console.sessions.current(request)
    response = redirect("/console/sign-in")
    if session is not None and same_token(session.csrf, (await request.post()).get("csrf")):
        await console.sessions.end(session, response)
    return response


async def _on_roster(request: web.Request, channel: str, names: tuple[str, ...]) -> Person | None:
    """The one roster entry on `channel` (cover counted) spelt as one of `names`."""
    people = [p for p in await request.app[CONTEXT].desk.cover().case_people() if p.channel == channel and p.user_id in names]
    return people[0] if len(people) == 1 else None


async def _audit_refusal(request: web.Request, *, actor: str, role: str, why: str) -> None:
    deps = request.app[CONTEXT].deps
    await record_decision(deps.store, deps.clock, action="console.refused", actor=actor, actor_role=role, clause=CLAUSE, outcome=why)
