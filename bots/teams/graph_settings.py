"""Where the bot reads a Teams school's directory: Microsoft Graph, app-only.

The school's classes, students and teachers live in Microsoft 365 (School Data Sync or the
education API), and its staff roles in Entra groups; the roster is read from there instead of a
CSV exported by hand (000 §5: the roster decides who supervises a group; 004 strategy 18). By
default the bot's own Microsoft app registration (MicrosoftAppId, MicrosoftAppPassword,
MicrosoftAppTenantId) reads it; ESAFETY_GRAPH_* name another one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bots.role_groups import microsoft_groups, read_role_groups
from bots.settings_readers import ConfigError, read_url
from state.models import Role

GRAPH_URL = "https://graph.microsoft.com/v1.0"
LOGIN_URL = "https://login.microsoftonline.com"
WANTING = ("ESAFETY_GRAPH_TENANT_ID", "ESAFETY_GRAPH_CLIENT_ID", "ESAFETY_GRAPH_CLIENT_SECRET", "ESAFETY_GRAPH_BASE_URL")


@dataclass(frozen=True, kw_only=True)
class GraphSettings:
    tenant_id: str = ""
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    base_url: str = GRAPH_URL  # ESAFETY_GRAPH_BASE_URL: the fake's address in tests and the demo
    login_url: str = LOGIN_URL  # ESAFETY_GRAPH_LOGIN_URL: where the client-credentials token is asked for
    role_groups: Mapping[Role, tuple[str, ...]] = field(default_factory=dict)  # ESAFETY_ROLE_GROUPS
    wanted: bool = False  # the school asked for the directory: an ESAFETY_GRAPH_* setting, or an Entra group in ESAFETY_ROLE_GROUPS

    @property
    def configured(self) -> bool:
        return bool(self.tenant_id and self.client_id and self.client_secret)


def graph_settings(env: Mapping[str, str]) -> GraphSettings:
    """The ESAFETY_GRAPH_* settings, each defaulting to the bot's own app registration. The sync
    is on when the school asks for it; asked for without credentials, start-up stops."""
    groups = microsoft_groups(read_role_groups(env.get("ESAFETY_ROLE_GROUPS", "")))
    settings = GraphSettings(
        tenant_id=(env.get("ESAFETY_GRAPH_TENANT_ID", "") or env.get("MicrosoftAppTenantId", "")).strip(),
        client_id=(env.get("ESAFETY_GRAPH_CLIENT_ID", "") or env.get("MicrosoftAppId", "")).strip(),
        client_secret=env.get("ESAFETY_GRAPH_CLIENT_SECRET", "") or env.get("MicrosoftAppPassword", ""),
        base_url=read_url(env, "ESAFETY_GRAPH_BASE_URL", GRAPH_URL),
        login_url=read_url(env, "ESAFETY_GRAPH_LOGIN_URL", LOGIN_URL),
        role_groups=groups,
        wanted=bool(groups) or any(env.get(name, "").strip() for name in WANTING),
    )
    if settings.wanted and not settings.configured:
        raise ConfigError("the directory sync needs a tenant, an app id and its secret: set ESAFETY_GRAPH_TENANT_ID, "
                          "ESAFETY_GRAPH_CLIENT_ID and ESAFETY_GRAPH_CLIENT_SECRET (or the bot's own MicrosoftAppTenantId, "
                          "MicrosoftAppId and MicrosoftAppPassword)")
    return settings

