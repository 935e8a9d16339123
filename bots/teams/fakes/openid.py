"""A local Bot Framework token authority: OpenID metadata, its JWKS, signed tokens, and the
identity platform's client-credentials token endpoint (`doctor` checks an app's secret there).

botbuilder fetches the metadata with a *blocking* `requests.get` inside the event loop
(CHANNEL_NOTES.md T2), so this server runs in its own thread, never on the test's loop.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class FakeTokenAuthority:
    def __init__(self, key_id: str = "local-key-1") -> None:
        self.key_id = key_id
        self.app_secrets: dict[str, str] = {}  # app id → client secret, for the token endpoint
        self.key = new_key()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def metadata_url(self) -> str:
        return f"{self.url}/v1/.well-known/openidconfiguration"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def token(self, *, app_id: str, service_url: str, key: rsa.RSAPrivateKey | None = None, issuer: str = BOT_FRAMEWORK_ISSUER,
              lifetime: int = 3600, **extra: Any) -> str:
        now = int(time.time())
        claims = {"iss": issuer, "aud": app_id, "serviceurl": service_url, "nbf": now - 10, "exp": now + lifetime, **extra}
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": self.key_id})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        authority = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body: dict[str, Any]
                if self.path.endswith("openidconfiguration"):
                    body = {"issuer": BOT_FRAMEWORK_ISSUER, "jwks_uri": f"{authority.url}/keys",
                            "id_token_signing_alg_values_supported": ["RS256"]}
                elif self.path == "/keys":
                    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(authority.key.public_key()))
                    body = {"keys": [{**jwk, "kid": authority.key_id, "use": "sig"}]}
                else:
                    self.send_error(404)
                    return
                self._answer(200, body)

            def do_POST(self) -> None:
                """The identity platform's client-credentials grant (`/{tenant}/oauth2/v2.0/token`):
                a token for an app whose secret is in `authority.app_secrets`, else invalid_client."""
                if not self.path.endswith("/oauth2/v2.0/token"):
                    self.send_error(404)
                    return
                length = int(self.headers.get("Content-Length") or 0)
                form = {key: values[0] for key, values in parse_qs(self.rfile.read(length).decode()).items()}
                app_id = form.get("client_id", "")
                if form.get("grant_type") != "client_credentials" or authority.app_secrets.get(app_id) != form.get("client_secret"):
                    self._answer(401, {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret "
                                       "provided. Ensure the secret being sent in the request is the client secret value."})
                    return
                self._answer(200, {"token_type": "Bearer", "expires_in": 3599,
                                   "access_token": authority.token(app_id=BOT_FRAMEWORK_ISSUER, service_url="", appid=app_id)})

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler


class StaticTokenCredentialsFactory:
    """Outbound credentials that need no Entra token endpoint: every call to the connector is
    signed with one fixed bearer token, which the fake connector records."""

    def __init__(self, app_id: str, token: str = "local-outbound-token") -> None:
        self.app_id = app_id
        self.token = token

    async def is_valid_app_id(self, app_id: str) -> bool:
        return app_id == self.app_id

    async def is_authentication_disabled(self) -> bool:
        return False

    async def create_credentials(self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool) -> Any:
        from botframework.connector.auth import MicrosoftAppCredentials

        token = self.token

        class StaticCredentials(MicrosoftAppCredentials):  # type: ignore[misc]
            def get_access_token(self, force_refresh: bool = False) -> str:
                return token

        return StaticCredentials(app_id, "unused", oauth_scope=oauth_scope)
