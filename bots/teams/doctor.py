"""`doctor`'s Teams checks: the app's credentials, a token fetched with them, and the secret's expiry.

An app whose secret is wrong or has expired still starts and still answers Teams (inbound
tokens are Microsoft's, not ours), but every message the bot sends is refused: every alert to a
lead stops, silently (004 strategy 9). So doctor asks Microsoft for a token exactly as the bot
will (client credentials for the Bot Framework scope), and warns 30 days before the secret
expires when the school records the date in ESAFETY_TEAMS_SECRET_EXPIRES. A token fetch that
cannot reach Microsoft is "not checked", never a failure: doctor may run where the cloud is out
of reach.
"""

from __future__ import annotations

import uuid
from datetime import date

import aiohttp
from yarl import URL

from bots.findings import Finding, not_checked, ok, problem
from bots.teams.settings import TeamsSettings

MICROSOFT_LOGIN = "https://login.microsoftonline.com"
BOT_FRAMEWORK_SCOPE = "https://api.botframework.com/.default"
MULTI_TENANT_AUTHORITY = "botframework.com"
WARN_DAYS_AHEAD = 30
FETCH_TIMEOUT = aiohttp.ClientTimeout(total=10)
CHECK = "teams credentials"
EXPIRY = "teams client secret"


def credential_shape(teams: TeamsSettings) -> list[Finding]:
    """The settings' shape, before any network: an app id is the Entra application's GUID."""
    findings = []
    try:
        uuid.UUID(teams.APP_ID)
    except ValueError:
        findings.append(problem(CHECK, f"MicrosoftAppId {teams.APP_ID!r} is not a GUID: use the Application (client) ID of the "
                                       f"bot's app registration in Azure"))
    if teams.APP_TYPE != "UserAssignedMSI" and not teams.APP_PASSWORD:
        findings.append(problem(CHECK, "MicrosoftAppPassword is empty: the bot could receive messages but never send one"))
    return findings


async def fetch_token(teams: TeamsSettings, login_url: str = MICROSOFT_LOGIN) -> Finding:
    """Ask Microsoft's identity platform for a Bot Framework token with the app's credentials."""
    if teams.APP_TYPE == "UserAssignedMSI":
        return not_checked(CHECK, "a managed identity's token is only issued inside Azure: not fetched from here")
    authority = teams.APP_TENANTID if teams.APP_TYPE == "SingleTenant" else MULTI_TENANT_AUTHORITY
    url = URL(login_url) / authority / "oauth2/v2.0/token"
    form = {"grant_type": "client_credentials", "client_id": teams.APP_ID, "client_secret": teams.APP_PASSWORD,
            "scope": BOT_FRAMEWORK_SCOPE}
    try:
        async with aiohttp.ClientSession(timeout=FETCH_TIMEOUT, trust_env=True) as session, session.post(url, data=form) as answer:
            status = answer.status
            body = await answer.json(content_type=None) if answer.content_length != 0 else {}
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        return not_checked(CHECK, f"{url.host} could not be reached from here ({type(error).__name__}): the token fetch was not tried")
    if status == 200 and isinstance(body, dict) and body.get("access_token"):
        return ok(CHECK, f"Microsoft issued a token to app {teams.APP_ID}")
    if status in (400, 401) and isinstance(body, dict):
        reason = str(body.get("error_description") or body.get("error") or "no reason given").split("\r\n")[0].split(". ")[0]
        return problem(CHECK, f"Microsoft refused the app's credentials ({body.get('error', status)}: {reason}): check "
                              f"MicrosoftAppId, MicrosoftAppPassword and MicrosoftAppType")
    return not_checked(CHECK, f"Microsoft answered {status}: try again later")


def secret_expiry(teams: TeamsSettings, today: date) -> Finding:
    """An expired secret silently stops every alert: a problem from WARN_DAYS_AHEAD days before."""
    if teams.secret_expires is None:
        return not_checked(EXPIRY, "ESAFETY_TEAMS_SECRET_EXPIRES is not set: record the secret's expiry date (YYYY-MM-DD) and "
                                   f"doctor warns {WARN_DAYS_AHEAD} days ahead")
    days = (teams.secret_expires - today).days
    renew = "create a new client secret for the app in Azure, then set MicrosoftAppPassword and ESAFETY_TEAMS_SECRET_EXPIRES"
    if days < 0:
        return problem(EXPIRY, f"expired on {teams.secret_expires.isoformat()}: the bot cannot send anything, no alert reaches "
                               f"anyone; {renew}")
    if days <= WARN_DAYS_AHEAD:
        return problem(EXPIRY, f"expires in {days} day(s), on {teams.secret_expires.isoformat()}: then every alert stops; {renew}")
    return ok(EXPIRY, f"expires on {teams.secret_expires.isoformat()}, in {days} days")


async def teams_findings(teams: TeamsSettings, today: date, login_url: str = MICROSOFT_LOGIN) -> list[Finding]:
    """Every Teams check, for a configured app."""
    shape = credential_shape(teams)
    token = not_checked(CHECK, "token not fetched: fix the settings above first") if shape else await fetch_token(teams, login_url)
    return [*shape, token, secret_expiry(teams, today)]
