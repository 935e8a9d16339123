"""Demo scene for the safeguarding console (000 §3; 004 strategies 9 and 13): the lead signs in
through the demo's stand-in for the school's identity provider, sees the day's open concerns
in the queue, and reads a report's words only on request, which the read trail records; a
visitor from outside the roster is refused. `esafety-bot demo --console` then keeps the
server up so a newcomer can click through the same pages in a browser."""

from __future__ import annotations

import csv
import io
import re

import aiohttp
from markupsafe import escape

from bots.console.fakes.identity_provider import Account, FakeIdentityProvider
from bots.demo.foundation import bundled_roster
from bots.demo.scene import Scene
from bots.wecom.fakes.api import FakeWecomApi
from bots.wecom.fakes.web_login import LOGIN_PATH
from handlers.read_trail import CONSOLE
from state.case_lifecycle import OPEN

CLIENT_ID, CLIENT_SECRET = "esafety-console-demo", "demo-only-console-secret"
VISITOR = Account(oid="99999999-0000-4000-8000-000000000001", username="visitor@elsewhere.example", name="A Visitor (not on the roster)")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def _roster_rows() -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(bundled_roster().decode("utf-8"))))


def demo_accounts() -> list[Account]:
    """The demo school's Teams people as its directory would list them, and one visitor."""
    accounts: list[Account] = []
    for row in _roster_rows():
        if row["channel"] != "teams":
            continue
        user_id, name = row["user_id"], row["name"]
        username = user_id if "@" in user_id else name.lower().replace(" ", ".") + "@demo-school.example"
        accounts.append(Account(oid=user_id if "@" not in user_id else f"00000000-0000-4000-8000-{len(accounts):012d}",
                                username=username, name=f"{name} ({row['role']})"))
    return [*accounts, VISITOR]


def wecom_members() -> dict[str, str]:
    """The demo school's WeCom members, as WeCom's login page offers them: userid → name (role)."""
    return {row["user_id"]: f"{row['name']} ({row['role']})" for row in _roster_rows() if row["channel"] == "wecom"}


def console_env(idp: FakeIdentityProvider, wecom_api: FakeWecomApi, port: int) -> dict[str, str]:
    """Sign-in both ways: the school's identity provider (Teams staff) and WeCom's web login (WeCom staff)."""
    wecom_api.web_login.members = wecom_members()
    return {"ESAFETY_OIDC_ISSUER": idp.issuer, "ESAFETY_OIDC_CLIENT_ID": CLIENT_ID, "ESAFETY_OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "ESAFETY_CONSOLE_URL": f"http://localhost:{port}", "ESAFETY_WECOM_LOGIN_URL": wecom_api.url + LOGIN_PATH}


async def play(scene: Scene, idp: FakeIdentityProvider, port: int) -> None:
    t, store = scene.transcript, scene.bot.store
    t.section("The safeguarding console: the lead signs in with the school's identity and works the queue (000 §3; 004 strategy 13)")
    base = f"http://localhost:{port}"
    lead = next(a for a in idp.accounts if a.name.endswith("(dsl)"))
    open_cases = [c.reference for c in await store.list_cases(OPEN) if not c.drill]
    async with _browser(base) as browser:
        idp.sign_in_as = lead
        async with browser.get("/console/sign-in/start") as response:
            queue = await response.text()
        t.expect(response.status == 200 and "Open concerns" in queue and all(ref in queue for ref in open_cases),
                 f"{lead.name} signs in (OpenID Connect with PKCE); the queue lists every open concern: {', '.join(open_cases) or 'none'}")
        case = next(c for c in await store.list_cases() if not c.drill and (c.reference in open_cases or not open_cases))
        async with browser.get(f"/console/cases/{case.reference}") as response:
            page = await response.text()
        words = str(escape(case.text))  # as the page writes it
        t.expect(words not in page and "Show the report" in page,
                 f"{case.reference}'s page shows its chronology, and its words only on request")
        token = CSRF.search(page)
        async with browser.post(f"/console/cases/{case.reference}/words", data={"csrf": token.group(1) if token else ""}) as response:
            shown = words in await response.text()
        read = await store.get_case(case.reference)
        t.expect(shown and read is not None and any(s.action == "read" and s.detail.get("how") == CONSOLE for s in read.steps),
                 "asking for the words shows them, and the reading goes into the case's read trail and the audit")
    async with _browser(base) as visitor:
        idp.sign_in_as = VISITOR
        async with visitor.get("/console/sign-in/start") as response:
            t.expect(response.status == 403, "a visitor who is not on the roster is refused, and the refusal is audited")
    idp.sign_in_as = None  # a person at a browser picks who to sign in as


def _browser(base: str) -> aiohttp.ClientSession:
    """An HTTP client that keeps the console's Secure cookie on localhost, as a browser does."""
    return aiohttp.ClientSession(base, cookie_jar=aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[base]))
