"""Signing in with the school's identity provider: OpenID Connect's authorization-code flow with
PKCE (RFC 7636), never a password of ours. The provider enforces the second factor (what the
school's IT already set up for Microsoft 365 or its own identity provider).

authlib makes the PKCE challenge and the random state and nonce; joserfc (authlib's JOSE
library) checks the ID token's signature against the provider's published keys and its claims:
issuer, audience, expiry and the nonce this browser was given. Keys are fetched once and again
only when a token names a key we have not seen (a provider rotating its keys).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlencode

import aiohttp
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, KeySetSerialization

from bots.console.settings import ConsoleSettings
from state.clock import Clock

log = logging.getLogger("esafety.console")
TIMEOUT = aiohttp.ClientTimeout(total=10)
ALGORITHMS = ("RS256", "PS256", "ES256")


class SignInFailed(Exception):
    """The provider's answer could not be trusted or used; the message says why (never a token)."""


@dataclass(frozen=True)
class SignInStart:
    """Where to send the browser, and what to keep in its session until it comes back."""

    url: str
    state: str
    nonce: str
    verifier: str


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in: the claims the roster can be matched on."""

    subject: str
    object_id: str = ""  # Entra ID's `oid`: the id Teams gives the same person
    username: str = ""  # `preferred_username` (Entra's user principal name)
    email: str = ""
    name: str = ""

    def names(self) -> tuple[str, ...]:
        """Every spelling of this person a roster may use, folded as Teams ids are."""
        return tuple(dict.fromkeys(value.strip().casefold() for value in (self.object_id, self.username, self.email) if value.strip()))


class OpenIdClient:
    def __init__(self, settings: ConsoleSettings, clock: Clock) -> None:
        self._settings = settings
        self._clock = clock
        self._session: aiohttp.ClientSession | None = None
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def start(self, redirect_uri: str) -> SignInStart:
        metadata = await self._discovery()
        state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
        query = {"response_type": "code", "client_id": self._settings.client_id, "redirect_uri": redirect_uri,
                 "scope": "openid profile email", "state": state, "nonce": nonce,
                 "code_challenge": create_s256_code_challenge(verifier), "code_challenge_method": "S256"}
        return SignInStart(f"{metadata['authorization_endpoint']}?{urlencode(query)}", state, nonce, verifier)

    async def finish(self, code: str, *, verifier: str, nonce: str, redirect_uri: str) -> Identity:
        """Trade the code for tokens (with the PKCE verifier and our client secret) and check the ID token."""
        metadata = await self._discovery()
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": verifier,
                "client_id": self._settings.client_id, "client_secret": self._settings.client_secret}
        answer = await self._json("POST", metadata["token_endpoint"], data=form)
        id_token = answer.get("id_token")
        if not isinstance(id_token, str):
            raise SignInFailed(f"the provider's token answer has no id_token ({answer.get('error', 'no error given')})")
        return await self._identity(id_token, nonce)

    async def check(self) -> int:
        """Discovery and the signing keys, fetched now (for `doctor`): how many keys were published."""
        metadata = await self._discovery()
        self._keys = KeySet.import_key_set(cast(KeySetSerialization, await self._json("GET", metadata["jwks_uri"])))
        if not self._keys.keys:
            raise SignInFailed("the provider publishes no signing key")
        return len(self._keys.keys)

    async def _identity(self, id_token: str, nonce: str) -> Identity:
        try:
            token = jwt.decode(id_token, await self._key_set(id_token), algorithms=ALGORITHMS)
        except (JoseError, ValueError) as error:
            raise SignInFailed(f"the ID token's signature does not verify ({type(error).__name__})") from None
        claims = jwt.JWTClaimsRegistry(
            now=lambda: int(self._clock.now().timestamp()), leeway=60,
            iss={"essential": True, "value": self._settings.issuer}, aud={"essential": True, "value": self._settings.client_id},
            exp={"essential": True}, sub={"essential": True}, nonce={"essential": True, "value": nonce})
        try:
            claims.validate(token.claims)
        except JoseError as error:
            raise SignInFailed(f"the ID token was refused: {error.error}: {error.description or ''}".rstrip(": ")) from None
        said = token.claims
        return Identity(subject=str(said["sub"]), object_id=str(said.get("oid", "")), username=str(said.get("preferred_username", "")),
                        email=str(said.get("email", "")), name=str(said.get("name", "")))

    async def _key_set(self, id_token: str) -> KeySet:
        """The provider's keys; fetched again once when the token names a key not among them."""
        kid = _header_kid(id_token)
        if self._keys is None or (kid and not any(key.kid == kid for key in self._keys.keys)):
            await self.check()
        assert self._keys is not None
        return self._keys

    async def _discovery(self) -> dict[str, Any]:
        if self._metadata is None:
            metadata = await self._json("GET", f"{self._settings.issuer}/.well-known/openid-configuration")
            if metadata.get("issuer", "").rstrip("/") != self._settings.issuer:
                raise SignInFailed(f"the provider calls itself {metadata.get('issuer')!r}, not ESAFETY_OIDC_ISSUER")
            missing = [name for name in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not metadata.get(name)]
            if missing:
                raise SignInFailed(f"the provider's discovery document lacks {', '.join(missing)}")
            self._metadata = metadata
        return self._metadata

    async def _json(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT)
        try:
            async with self._session.request(method, url, **kwargs) as response:
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise SignInFailed(f"the identity provider did not answer usefully ({type(error).__name__})") from None
        if not isinstance(body, dict):
            raise SignInFailed("the identity provider answered with something other than a JSON object")
        if response.status >= 400:
            log.warning("identity provider %s answered %d: %s", response.url.path, response.status, body.get("error", "?"))
        return body


def _header_kid(id_token: str) -> str:
    try:
        return str(jws.extract_compact(id_token.encode()).headers().get("kid", ""))
    except (JoseError, ValueError):
        return ""
