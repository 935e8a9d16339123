"""`doctor`'s check of the console: the identity provider answers, names itself as configured,
and publishes signing keys. A console that cannot sign anyone in leaves the leads with chat only,
which they should hear from IT before they need the console."""

from __future__ import annotations

from bots.console.oidc import OpenIdClient, SignInFailed
from bots.console.settings import ConsoleSettings
from bots.findings import Finding, ok, problem
from state.clock import Clock


async def console_findings(settings: ConsoleSettings, clock: Clock) -> list[Finding]:
    if not settings.configured:
        return [ok("console", "off (ESAFETY_OIDC_ISSUER is not set): /console answers 503 saying how to turn it on")]
    client = OpenIdClient(settings, clock)
    try:
        keys = await client.check()
    except SignInFailed as failed:
        return [problem("console sign-in", f"{settings.issuer}: {failed}: nobody can sign in to /console")]
    finally:
        await client.close()
    return [ok("console sign-in", f"{settings.issuer} answers and publishes {keys} signing key(s)")]
