"""The serviceUrl allow-list reads a URL as the HTTP client will: anything two parsers could
read differently is refused, an app id means https on port 443 to Microsoft's hosts, and
anonymous local mode reaches only this machine."""

from __future__ import annotations

import pytest

from bots.http import Refused
from bots.teams.service_url import ServiceUrls

APP = ServiceUrls.for_app(())
ANONYMOUS = ServiceUrls.anonymous()


@pytest.mark.parametrize("url", ["https://smba.trafficmanager.net/emea/", "https://SMBA.trafficmanager.net:443/amer/",
                                 "https://smba.infra.gcc.teams.microsoft.com/"])
def test_microsoft_connector_passes_with_an_app_id(url: str) -> None:
    assert APP.check(url) == url


@pytest.mark.parametrize("url", [
    "https://evil\\@smba.trafficmanager.net/",  # a backslash: urlsplit and the client disagree on the host
    "https://evil@smba.trafficmanager.net/",  # user information
    "http://smba.trafficmanager.net/",  # not https
    "https://smba.trafficmanager.net:8443/",  # not the default port
    "https://smba.trafficmanager.net.evil.example/",
    "https://evilsmba.trafficmanager.net/",
    "https://smba.trafficmanager.net/?x=1",
    "https://smba.trafficmanager.net/#x",
    "https://smba.trafficmanager.net /",
    "https://smba.trafficmanager.net\u3002evil/",
    "http://127.0.0.1:3978/",  # loopback is for anonymous mode only
])
def test_anything_else_is_refused_with_an_app_id(url: str) -> None:
    with pytest.raises(Refused) as refused:
        APP.check(url)
    assert refused.value.status == 403


@pytest.mark.parametrize("url", ["http://127.0.0.1:41234/", "https://localhost:1/", "http://[::1]:8080/base/"])
def test_anonymous_mode_reaches_this_machine_on_any_port(url: str) -> None:
    assert ANONYMOUS.check(url) == url


@pytest.mark.parametrize("url", [
    "http://127.0.0.2:41234\\@127.0.0.1/",
    "http://127.0.0.1@127.0.0.2:41234/",
    "http://127.0.0.2:41234/",  # loopback, but not an allowed host
    "http://2130706434:41234/",  # 127.0.0.2 as one number
    "http://[::ffff:127.0.0.2]:41234/",
    "http://localhost.:41234/",
    "https://smba.trafficmanager.net/",  # anonymous mode never talks to the internet
    "ftp://127.0.0.1/",
    "127.0.0.1:41234",
])
def test_anonymous_mode_refuses_everything_else(url: str) -> None:
    with pytest.raises(Refused) as refused:
        ANONYMOUS.check(url)
    assert refused.value.status == 403


def test_a_missing_service_url_is_a_400() -> None:
    for missing in (None, "", 7):
        with pytest.raises(Refused) as refused:
            ANONYMOUS.check(missing)
        assert refused.value.status == 400


def test_exact_extra_origins_are_for_a_local_fake_only() -> None:
    urls = ServiceUrls.for_app(("smba.example.net",), extra_origins=("http://127.0.0.1:5000/",))
    assert urls.check("http://127.0.0.1:5000/") == "http://127.0.0.1:5000/"
    assert urls.check("https://smba.example.net/x/") == "https://smba.example.net/x/"
    with pytest.raises(Refused):
        urls.check("http://127.0.0.1:5001/")
