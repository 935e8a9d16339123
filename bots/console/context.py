"""What every console page needs, built once per app: the bot's duties, the sessions, the
sign-in client, and who is looking at the page."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bots.console.oidc import OpenIdClient
from bots.console.session import Session, Sessions
from bots.console.settings import ConsoleSettings
from bots.console.wecom_login import WecomSignIn
from bots.findings import Finding
from handlers.case_queue import may_see_queue
from handlers.case_record import CaseDesk
from handlers.duties import Deps
from handlers.spoken_time import duration_words, school_time_words
from state.models import Person

Doctor = Callable[[], Awaitable[list[Finding]]]


@dataclass(frozen=True)
class Operations:
    """What the operations page reads beyond the Store: each channel's state as `serve` reports
    it, the auditor's margin, and `doctor` (absent where there is no environment to check)."""

    channels: dict[str, str] = field(default_factory=dict)
    margin_seconds: float = 120.0
    doctor: Doctor | None = None


@dataclass(frozen=True)
class ConsoleContext:
    deps: Deps
    settings: ConsoleSettings
    sessions: Sessions
    oidc: OpenIdClient | None  # the school's OpenID Connect provider, when configured
    wecom: WecomSignIn | None  # WeCom's web login, when the WeCom channel and ESAFETY_CONSOLE_URL are set
    operations: Operations = field(default_factory=Operations)

    @property
    def desk(self) -> CaseDesk:
        deps = self.deps
        return CaseDesk(deps.store, deps.clock, deps.catalog, deps.cases.review_days, timezone=deps.school_timezone)

    def redirect_uri(self, request: web.Request, path: str = "/console/signed-in") -> str:
        base = self.settings.public_url or str(request.url.origin())
        return f"{base}{path}"

    async def viewer(self, request: web.Request) -> tuple[Person, Session]:
        """The signed-in person as the case chain sees them now (covering for a lead counts), or
        off to the sign-in page. The roster is asked on every request: a role taken away, or a
        person removed, takes effect at their next click, not at their next sign-in."""
        session, expired = await self.sessions.current(request)
        if session is None:
            raise web.HTTPSeeOther("/console/sign-in" + ("?expired=1" if expired else ""))
        person = next((p for p in await self.desk.cover().case_people() if p.ref == session.person), None)
        if person is None or not may_see_queue(person):
            gone = web.HTTPSeeOther("/console/sign-in?left=1")
            await self.sessions.end(session, gone)
            raise gone
        return person, session

    def locale(self, person: Person | None) -> str:
        return (person.locale if person else None) or self.deps.school_locale

    def say(self, person: Person | None, key: str, **fields: Any) -> str:
        return self.deps.catalog.say(key, self.locale(person), **fields)

    async def render(self, request: web.Request, template: str, person: Person | None, session: Session | None = None,
                     status: int = 200, **values: Any) -> web.Response:
        """A page in the viewer's language (their roster locale, else the school's), every word
        from policy_text like all else the bot says, with the session's CSRF token and a new form
        id for each form (a form sent twice is one action: handlers key what they record by it)."""
        locale = self.locale(person)
        catalog, timezone, now = self.deps.catalog, self.deps.school_timezone, self.deps.clock.now()
        page = {
            "viewer": person, "csrf": session.csrf if session else "", "flash": await self.sessions.told(session) if session else "",
            "locale": locale,
            "say": lambda key, **fields: catalog.say(key, locale, **fields),
            "when": lambda at: catalog.value(school_time_words(at, timezone), locale) if at else "-",
            "how_long_ago": lambda delta: catalog.say("time.ago", locale, duration=duration_words(delta.total_seconds())),
            "step_words": lambda action: catalog.say(f"console.step_{action}", locale) if f"console.step_{action}" in catalog.keys
            else action,
            "until": lambda at: catalog.say("console.due_now", locale) if at <= now else
            catalog.say("console.due_in", locale, duration=duration_words((at - now).total_seconds())),
            "form_id": lambda: secrets.token_hex(16), **values}
        return aiohttp_jinja2.render_template(template, request, page, status=status)


CONTEXT = web.AppKey[ConsoleContext]("console")
