"""A school's identity provider in miniature: discovery, an authorize page where you pick who
signs in, the token endpoint (authorization code + PKCE + client secret) and the JWKS, with ID
tokens signed by a real RSA key. Like Entra ID, a token carries `oid`, `preferred_username`,
`email` and `name`.

`sign_in_as` skips the page (tests that do not drive a browser); `forge` makes the next ID token
untrustworthy in one named way, so the tests see the console refuse it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from joserfc import jwt
from joserfc.jwk import RSAKey

FORGERIES = ("foreign_key", "audience", "expired", "nonce", "issuer")


@dataclass(frozen=True)
class Account:
    """One person the provider knows: `oid` is the Entra object id Teams uses for them too."""

    oid: str
    username: str
    name: str
    email: str = ""


@dataclass
class _Pending:
    client_id: str
    redirect_uri: str
    state: str
    nonce: str
    challenge: str


class FakeIdentityProvider:
    def __init__(self, *, client_id: str, client_secret: str, accounts: list[Account], now: Callable[[], float] = time.time) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.accounts = list(accounts)
        self.now = now
        self.sign_in_as: Account | None = None
        self.forge: str | None = None
        self.tokens_issued = 0
        self._key = RSAKey.generate_key(2048, parameters={"kid": "fake-idp-1", "use": "sig"})
        self._pending: dict[str, _Pending] = {}  # ticket → the authorize request waiting for someone to pick an account
        self._codes: dict[str, tuple[_Pending, Account]] = {}  # code → what it was issued for (used once)
        self._runner: web.AppRunner | None = None
        self.issuer = ""

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application()
        app.router.add_get("/.well-known/openid-configuration", self._discovery)
        app.router.add_get("/authorize", self._authorize)
        app.router.add_get("/authorize/as", self._chosen)
        app.router.add_post("/token", self._token)
        app.router.add_get("/keys", self._keys)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.issuer = f"http://{host}:{bound}"
        return self.issuer

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _discovery(self, request: web.Request) -> web.Response:
        return web.json_response({
            "issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize", "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/keys", "response_types_supported": ["code"], "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"], "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post"]})

    async def _keys(self, request: web.Request) -> web.Response:
        return web.json_response({"keys": [self._key.as_dict(private=False)]})

    async def _authorize(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        if query.get("client_id") != self.client_id or query.get("response_type") != "code" or not query.get("redirect_uri"):
            return _error_page("unknown client, or not an authorization-code request")
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return _error_page("this provider requires PKCE with S256")
        pending = _Pending(self.client_id, query["redirect_uri"], query.get("state", ""), query.get("nonce", ""), query["code_challenge"])
        if self.sign_in_as is not None:
            return self._redirect_with_code(pending, self.sign_in_as)
        ticket = secrets.token_urlsafe(16)
        self._pending[ticket] = pending
        choices = "".join(f'<li><a href="/authorize/as?{urlencode({"ticket": ticket, "who": account.oid})}">{html.escape(account.name)}'
                          f'</a> <small>{html.escape(account.username)}</small></li>' for account in self.accounts)
        page = (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>Demo school sign-in</title></head><body>"
                f"<h1>Demo school sign-in</h1><p>A stand-in for the school's identity provider, where a real one asks for a password "
                f"and a second factor. Sign in as:</p><ul>{choices}</ul></body></html>")
        return web.Response(text=page, content_type="text/html")

    async def _chosen(self, request: web.Request) -> web.StreamResponse:
        pending = self._pending.pop(request.query.get("ticket", ""), None)
        account = next((a for a in self.accounts if a.oid == request.query.get("who")), None)
        if pending is None or account is None:
            return _error_page("this sign-in request has expired: start again")
        return self._redirect_with_code(pending, account)

    def _redirect_with_code(self, pending: _Pending, account: Account) -> web.StreamResponse:
        code = secrets.token_urlsafe(24)
        self._codes[code] = (pending, account)
        raise web.HTTPFound(f"{pending.redirect_uri}?{urlencode({'code': code, 'state': pending.state})}")

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("client_id") != self.client_id or not hmac.compare_digest(str(form.get("client_secret", "")), self.client_secret):
            return web.json_response({"error": "invalid_client"}, status=401)
        issued = self._codes.pop(str(form.get("code", "")), None)
        if form.get("grant_type") != "authorization_code" or issued is None:
            return web.json_response({"error": "invalid_grant", "error_description": "unknown or used code"}, status=400)
        pending, account = issued
        verifier = str(form.get("code_verifier", ""))
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if form.get("redirect_uri") != pending.redirect_uri or not hmac.compare_digest(challenge, pending.challenge):
            return web.json_response({"error": "invalid_grant", "error_description": "PKCE verifier or redirect_uri mismatch"}, status=400)
        self.tokens_issued += 1
        return web.json_response({"token_type": "Bearer", "expires_in": 3600, "access_token": secrets.token_urlsafe(24),
                                  "id_token": self._id_token(account, pending.nonce)})

    def _id_token(self, account: Account, nonce: str) -> str:
        forge, self.forge = self.forge, None
        now = int(self.now())
        claims: dict[str, Any] = {
            "iss": "https://elsewhere.example" if forge == "issuer" else self.issuer,
            "aud": "another-app" if forge == "audience" else self.client_id,
            "sub": hashlib.sha256(account.oid.encode()).hexdigest()[:32], "oid": account.oid, "preferred_username": account.username,
            "email": account.email, "name": account.name, "nonce": "not-yours" if forge == "nonce" else nonce,
            "iat": now, "nbf": now, "exp": now - 600 if forge == "expired" else now + 3600}
        key = RSAKey.generate_key(2048, parameters={"kid": "fake-idp-1"}) if forge == "foreign_key" else self._key
        return jwt.encode({"alg": "RS256", "kid": "fake-idp-1"}, claims, key)


def _error_page(reason: str) -> web.Response:
    page = f"<!doctype html><title>Sign-in error</title><p>{html.escape(reason)}</p>"
    return web.Response(status=400, text=page, content_type="text/html")
