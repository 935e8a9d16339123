"""Signing in: OpenID Connect with PKCE against the fake provider, the person matched to the
roster, the role taken from the roster; every refusal audited. Without a browser: the protocol."""

from __future__ import annotations

from html import unescape

import pytest
from aiohttp import ClientSession

from bots.console.fakes.identity_provider import FORGERIES
from tests.bots.console.conftest import ADMIN, DEPUTY, LEAD, STRANGER, TEACHER, Console, account


async def sign_in(client: ClientSession, console: Console) -> tuple[int, str]:
    """Follow the whole dance: /console → sign-in page → provider → back → where it lands."""
    async with client.get("/console/sign-in/start") as response:
        return response.status, unescape(await response.text())  # the page as read, not as escaped


async def test_a_lead_signs_in_and_lands_on_the_queue(console: Console, client: ClientSession) -> None:
    async with client.get("/console") as before:
        assert before.url.path == "/console/sign-in"
    console.idp.sign_in_as = account(LEAD)
    status, page = await sign_in(client, console)
    assert status == 200
    assert "Open concerns" in page
    assert "Lee Lead" in page
    assert await console.audit("console.") == [("console.signed_in", str(LEAD.ref), "")]


async def test_the_deputy_is_matched_by_user_principal_name(console: Console, client: ClientSession) -> None:
    console.idp.sign_in_as = account(DEPUTY)
    status, page = await sign_in(client, console)
    assert status == 200
    assert "Dee Deputy" in page


async def test_a_stranger_is_refused_and_audited(console: Console, client: ClientSession) -> None:
    console.idp.sign_in_as = STRANGER
    status, page = await sign_in(client, console)
    assert status == 403
    assert "Not on the school's roster" in page
    [(action, actor, outcome)] = await console.audit("console.")
    assert (action, outcome) == ("console.refused", "not_on_roster")
    assert actor.startswith("oidc:")
    async with client.get("/console") as after:  # and nothing was opened for them
        assert after.url.path == "/console/sign-in"


async def test_a_teacher_is_refused_by_role_and_audited(console: Console, client: ClientSession) -> None:
    console.idp.sign_in_as = account(TEACHER)
    status, page = await sign_in(client, console)
    assert status == 403
    assert "Not for your role" in page
    assert await console.audit("console.") == [("console.refused", str(TEACHER.ref), "role")]


@pytest.mark.parametrize("forgery", FORGERIES)
async def test_an_id_token_that_cannot_be_trusted_is_refused(console: Console, client: ClientSession, forgery: str) -> None:
    console.idp.sign_in_as, console.idp.forge = account(LEAD), forgery
    status, page = await sign_in(client, console)
    assert status == 401
    assert "Sign-in failed" in page
    assert await console.audit("console.") == [("console.refused", "unknown", "token_refused")]
    async with client.get("/console") as after:
        assert after.url.path == "/console/sign-in"


async def test_a_callback_this_browser_did_not_start_is_refused(console: Console, client: ClientSession) -> None:
    async with client.get("/console/signed-in", params={"code": "stolen", "state": "guessed"}) as response:
        assert response.status == 400
    assert console.idp.tokens_issued == 0


async def test_an_admin_gets_in(console: Console, client: ClientSession) -> None:
    console.idp.sign_in_as = account(ADMIN)
    status, page = await sign_in(client, console)
    assert status == 200
    assert "Adam Admin" in page


async def test_every_page_carries_a_strict_content_security_policy_and_no_store(console: Console, client: ClientSession) -> None:
    async with client.get("/console/sign-in") as response:
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy
        assert "form-action 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert response.headers["Cache-Control"] == "no-store"
    console.idp.sign_in_as = account(LEAD)
    await sign_in(client, console)
    cookie = next(c for c in client.cookie_jar if c.key == "esafety_console")
    assert cookie["secure"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/console"
