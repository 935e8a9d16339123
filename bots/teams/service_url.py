"""Where a Teams activity says to send replies (`serviceUrl`), checked as the client will read it.

botbuilder sends every reply, and with an empty app id nothing else checks where (an open relay:
CHANNEL_NOTES.md T1b). A check that parses the URL one way while the HTTP client connects
another is no check: `http://127.0.0.2:P\\@127.0.0.1/` looks like loopback to `urlsplit` but is
sent to 127.0.0.2. So the URL is parsed with yarl (aiohttp's parser, strict per RFC 3986), and
anything two parsers could read differently is refused outright: a backslash, user information,
whitespace or control characters, a query or fragment. With an app id only `https` on the
default port to an allowed host passes; in anonymous local mode (tests, the demo) only
loopback, over `http` or `https`, on any port.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from yarl import URL

from bots.http import Refused

MICROSOFT_SERVICE_HOSTS = (
    "smba.trafficmanager.net",
    "smba.infra.gcc.teams.microsoft.com",
    "smba.infra.gov.teams.microsoft.us",
    "smba.infra.dod.teams.microsoft.us",
)
"""Where Teams' Bot Connector lives (public cloud and the government clouds)."""

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
"""Anonymous local mode may only talk to this machine (the fake connector), never the internet."""

Origin = tuple[str, str, int]


@dataclass(frozen=True)
class ServiceUrls:
    """The allow-list. `origins` are exact (scheme, host, port) triples; `loopback` admits any
    port on a loopback host (anonymous local mode only)."""

    origins: frozenset[Origin] = frozenset()
    loopback: bool = False

    @classmethod
    def for_app(cls, hosts: tuple[str, ...], *, extra_origins: tuple[str, ...] = ()) -> ServiceUrls:
        """With an app id: `https://host` on port 443 for each allowed host. `extra_origins`
        (`scheme://host:port`) is for tests that run the authenticated path against a local fake."""
        origins = {("https", host.casefold(), 443) for host in hosts or MICROSOFT_SERVICE_HOSTS}
        return cls(frozenset(origins | {_origin_of(URL(origin)) for origin in extra_origins}))

    @classmethod
    def anonymous(cls) -> ServiceUrls:
        return cls(loopback=True)

    def check(self, raw: object) -> str:
        """Return the serviceUrl if replies may go there; otherwise raise `Refused` (403)."""
        if not isinstance(raw, str) or not raw:
            raise Refused(400, "an activity needs a serviceUrl")
        scheme, host, port = _parsed(raw)
        if (scheme, host, port) in self.origins:
            return raw
        if self.loopback and scheme in ("http", "https") and host in LOOPBACK_HOSTS:
            return raw
        raise Refused(403, "serviceUrl is not an allowed Bot Connector address")


@lru_cache(maxsize=1024)
def _parsed(raw: str) -> Origin:
    """(scheme, host, port) exactly as the client would connect, or `Refused` (403). Cached: a
    school's activities come from a handful of serviceUrls."""
    if not raw.isascii() or not raw.isprintable() or any(ch in raw for ch in " \\@"):
        raise Refused(403, "serviceUrl has characters that URL parsers read differently")
    try:
        url = URL(raw)
        origin = _origin_of(url)
    except ValueError:
        raise Refused(403, "serviceUrl is not a valid URL") from None
    if url.user is not None or url.password is not None or url.query_string or url.raw_fragment:
        raise Refused(403, "serviceUrl may not carry user information, a query or a fragment")
    return origin


def _origin_of(url: URL) -> Origin:
    if not url.is_absolute() or not url.host or url.port is None:
        raise ValueError("not an absolute URL with a host")
    return url.scheme.casefold(), url.host.casefold(), url.port
