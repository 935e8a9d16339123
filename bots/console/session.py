"""The console's sessions: who is signed in, for how long, and the forms they may submit.

The cookie holds only a random session id (Secure, HttpOnly, SameSite=Lax, path /console); the
session itself is kept in the Store, so signing out ends it on every instance and a copied
cookie dies with it. Lax, not Strict, because the identity provider sends the browser back to us
by a cross-site redirect, which a Strict cookie would not survive; forms are guarded by the
session's CSRF token as well. A session idle for `ESAFETY_CONSOLE_IDLE_MINUTES` ends (on the
bot's clock, so tests can move time), as a case-management system's does: a lead's screen left
open in a staff room must not stay a door into children's records.
"""

from __future__ import annotations

import hmac
import json
import secrets
from dataclasses import asdict, dataclass, replace

from aiohttp import web

from state.clock import Clock
from state.models import PersonRef
from state.store import Store

COOKIE = "esafety_console"
SESSION_PREFIX, PENDING_PREFIX = "console-session:", "console-sign-in:"
SIGN_IN_SECONDS = 600.0
"""How long a sign-in may spend at the identity provider (a second factor included)."""


@dataclass(frozen=True)
class Session:
    sid: str
    who: str
    csrf: str
    seen: float
    flash: str = ""

    @property
    def person(self) -> PersonRef:
        return PersonRef.parse(self.who)


@dataclass(frozen=True)
class PendingSignIn:
    """What a browser sent to the provider must bring back: kept here, never in the cookie."""

    state: str
    nonce: str
    verifier: str


@dataclass(frozen=True)
class Sessions:
    store: Store
    clock: Clock
    idle_minutes: int

    @property
    def idle_seconds(self) -> float:
        return self.idle_minutes * 60.0

    async def begin_sign_in(self, response: web.StreamResponse, pending: PendingSignIn) -> None:
        sid = secrets.token_urlsafe(32)
        await self.store.cache_set(PENDING_PREFIX + sid, json.dumps(asdict(pending)), SIGN_IN_SECONDS)
        _set_cookie(response, sid)

    async def take_pending(self, request: web.Request) -> PendingSignIn | None:
        """The sign-in this browser started, once: a second use of the same callback finds nothing."""
        sid = request.cookies.get(COOKIE, "")
        raw = await self.store.cache_get(PENDING_PREFIX + sid) if sid else None
        if raw is None:
            return None
        await self.store.cache_delete(PENDING_PREFIX + sid)
        return PendingSignIn(**json.loads(raw))

    async def sign_in(self, response: web.StreamResponse, who: PersonRef) -> None:
        """A new session id, so no id chosen before sign-in (session fixation) survives it."""
        session = Session(secrets.token_urlsafe(32), str(who), secrets.token_urlsafe(32), self.clock.now().timestamp())
        await self._save(session)
        _set_cookie(response, session.sid)

    async def current(self, request: web.Request) -> tuple[Session | None, bool]:
        """This request's live session, its idle time started again; and whether one just ran out."""
        sid = request.cookies.get(COOKIE, "")
        raw = await self.store.cache_get(SESSION_PREFIX + sid) if sid else None
        if raw is None:
            return None, False
        session = Session(**json.loads(raw))
        now = self.clock.now().timestamp()
        if now - session.seen > self.idle_seconds:
            await self.store.cache_delete(SESSION_PREFIX + sid)
            return None, True
        session = replace(session, seen=now)
        await self._save(session)
        return session, False

    async def tell(self, session: Session, flash: str) -> None:
        """A line the next page shows once (what a form did)."""
        await self._save(replace(session, flash=flash))

    async def told(self, session: Session) -> str:
        if session.flash:
            await self._save(replace(session, flash=""))
        return session.flash

    async def end(self, session: Session, response: web.StreamResponse) -> None:
        await self.store.cache_delete(SESSION_PREFIX + session.sid)
        response.del_cookie(COOKIE, path="/console")

    async def _save(self, session: Session) -> None:
        # Kept an hour past the idle time, so a late click is told its session ended, not met as a stranger.
        await self.store.cache_set(SESSION_PREFIX + session.sid, json.dumps(asdict(session)), self.idle_seconds + 3600)


def same_token(expected: object, sent: object) -> bool:
    """Both are non-empty strings and equal, compared in constant time."""
    return isinstance(expected, str) and bool(expected) and isinstance(sent, str) and hmac.compare_digest(expected, sent)


def redirect(location: str) -> web.Response:
    """A 303 that can carry a cookie (an HTTPException raised would lose the one just set)."""
    return web.Response(status=303, headers={"Location": location})


def _set_cookie(response: web.StreamResponse, sid: str) -> None:
    response.set_cookie(COOKIE, sid, path="/console", secure=True, httponly=True, samesite="Lax")
