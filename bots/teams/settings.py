"""The Teams channel's settings: the Bot Framework app registration, checked at start-up."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from bots.settings_readers import ConfigError, read_date

APP_TYPES = {"multitenant": "MultiTenant", "singletenant": "SingleTenant", "userassignedmsi": "UserAssignedMSI"}


@dataclass(frozen=True, kw_only=True)
class TeamsSettings:
    """The Bot Framework names, under the attribute names botbuilder's
    ConfigurationBotFrameworkAuthentication reads (APP_ID, APP_PASSWORD, APP_TYPE, APP_TENANTID)."""

    APP_ID: str = ""
    APP_PASSWORD: str = field(default="", repr=False)
    APP_TYPE: str = "MultiTenant"
    APP_TENANTID: str = ""
    secret_expires: date | None = None  # ESAFETY_TEAMS_SECRET_EXPIRES: `doctor` warns 30 days ahead


def teams_settings(env: Mapping[str, str]) -> TeamsSettings:
    app_type_raw = env.get("MicrosoftAppType", "") or "MultiTenant"
    app_type = APP_TYPES.get(app_type_raw.strip().casefold())
    if app_type is None:
        raise ConfigError(f"MicrosoftAppType must be MultiTenant, SingleTenant or UserAssignedMSI, got {app_type_raw!r}")
    teams = TeamsSettings(
        APP_ID=env.get("MicrosoftAppId", "").strip(),
        APP_PASSWORD=env.get("MicrosoftAppPassword", ""),
        APP_TYPE=app_type,
        APP_TENANTID=env.get("MicrosoftAppTenantId", "").strip(),
        secret_expires=read_date(env, "ESAFETY_TEAMS_SECRET_EXPIRES"),
    )
    if teams.APP_PASSWORD and not teams.APP_ID:
        raise ConfigError("MicrosoftAppPassword is set but MicrosoftAppId is not")
    needs = {"SingleTenant": ("MicrosoftAppId", "MicrosoftAppPassword", "MicrosoftAppTenantId"),
             "UserAssignedMSI": ("MicrosoftAppId", "MicrosoftAppTenantId")}.get(app_type, ())
    missing = [name for name in needs if not env.get(name, "").strip()]
    if missing:
        raise ConfigError(f"MicrosoftAppType={app_type} needs {', '.join(missing)}")
    return teams
