"""Building the adapter: who may be talked to."""

from __future__ import annotations

from bots.config import load_settings
from bots.teams.adapter import service_urls, teams_enabled
from bots.teams.service_url import MICROSOFT_SERVICE_HOSTS, ServiceUrls


def test_anonymous_mode_only_talks_to_this_machine() -> None:
    """Without an app id the SDK would post anywhere; we allow loopback only, and only on request."""
    assert not teams_enabled(load_settings({}))
    anonymous = load_settings({"ESAFETY_ALLOW_ANONYMOUS": "1"})
    assert teams_enabled(anonymous)
    assert service_urls(anonymous) == ServiceUrls.anonymous()
    with_app = service_urls(load_settings({"MicrosoftAppId": "a", "MicrosoftAppPassword": "p"}))
    assert with_app.origins == {("https", host, 443) for host in MICROSOFT_SERVICE_HOSTS}
    custom = load_settings({"MicrosoftAppId": "a", "ESAFETY_TEAMS_SERVICE_HOSTS": "smba.example.net, Other.Example"})
    assert service_urls(custom).origins == {("https", "smba.example.net", 443), ("https", "other.example", 443)}
