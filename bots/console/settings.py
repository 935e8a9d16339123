"""The console's settings: the school's OpenID Connect provider, and how long a session may sit idle."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bots.settings_readers import ConfigError, check_url, read_int

WECOM_LOGIN_URL = "https://login.work.weixin.qq.com/wwlogin/sso/login"


@dataclass(frozen=True, kw_only=True)
class ConsoleSettings:
    issuer: str = ""  # ESAFETY_OIDC_ISSUER, e.g. https://login.microsoftonline.com/TENANT/v2.0
    client_id: str = ""  # ESAFETY_OIDC_CLIENT_ID
    client_secret: str = field(default="", repr=False)  # ESAFETY_OIDC_CLIENT_SECRET; also keys the session cookie
    idle_minutes: int = 30  # ESAFETY_CONSOLE_IDLE_MINUTES
    public_url: str = ""  # ESAFETY_CONSOLE_URL: the console as people reach it (behind a proxy); else the request's own address
    wecom_login_url: str = WECOM_LOGIN_URL  # ESAFETY_WECOM_LOGIN_URL: WeCom's web login page (the demo and tests: the fake's)

    @property
    def configured(self) -> bool:
        """OpenID Connect sign-in is set up (WeCom sign-in is decided with the WeCom channel's settings)."""
        return bool(self.issuer)


def console_settings(env: Mapping[str, str]) -> ConsoleSettings:
    """All three OpenID Connect settings, or none (the console then answers 503 saying how to turn it on)."""
    names = ("ESAFETY_OIDC_ISSUER", "ESAFETY_OIDC_CLIENT_ID", "ESAFETY_OIDC_CLIENT_SECRET")
    given = {name: env.get(name, "").strip() for name in names}
    missing = [name for name, value in given.items() if not value]
    if missing and len(missing) < len(names):
        raise ConfigError(f"the console's sign-in needs all of {', '.join(names)}: {', '.join(missing)} not set")
    issuer = given["ESAFETY_OIDC_ISSUER"].rstrip("/")
    public_url = env.get("ESAFETY_CONSOLE_URL", "").strip().rstrip("/")
    login_url = env.get("ESAFETY_WECOM_LOGIN_URL", "").strip() or WECOM_LOGIN_URL
    for name, url in (("ESAFETY_OIDC_ISSUER", issuer), ("ESAFETY_CONSOLE_URL", public_url), ("ESAFETY_WECOM_LOGIN_URL", login_url)):
        check_url(name, url)
    return ConsoleSettings(issuer=issuer, client_id=given["ESAFETY_OIDC_CLIENT_ID"], client_secret=given["ESAFETY_OIDC_CLIENT_SECRET"],
                           idle_minutes=read_int(env, "ESAFETY_CONSOLE_IDLE_MINUTES", 30, low=1, high=480), public_url=public_url,
                           wecom_login_url=login_url)

