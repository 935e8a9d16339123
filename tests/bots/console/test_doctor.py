"""`doctor` checks the console's identity provider: it answers, names itself as configured, and publishes keys."""

from __future__ import annotations

from bots.console.doctor import console_findings
from bots.console.settings import ConsoleSettings
from bots.findings import Verdict
from state.clock import ManualClock
from tests.bots.console.conftest import CLIENT_ID, CLIENT_SECRET, Console


async def test_a_working_provider_is_ok(console: Console, clock: ManualClock) -> None:
    [finding] = await console_findings(ConsoleSettings(issuer=console.idp.issuer, client_id=CLIENT_ID, client_secret=CLIENT_SECRET), clock)
    assert (finding.verdict, finding.detail) == (Verdict.OK, f"{console.idp.issuer} answers and publishes 1 signing key(s)")


async def test_a_provider_that_names_itself_otherwise_is_a_problem(console: Console, clock: ManualClock) -> None:
    wrong = ConsoleSettings(issuer=console.idp.issuer.replace("127.0.0.1", "localhost"), client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    [finding] = await console_findings(wrong, clock)
    assert finding.verdict is Verdict.PROBLEM
    assert "not ESAFETY_OIDC_ISSUER" in finding.detail


async def test_an_unreachable_provider_is_a_problem(clock: ManualClock) -> None:
    [finding] = await console_findings(ConsoleSettings(issuer="http://127.0.0.1:9", client_id="x", client_secret="y"), clock)
    assert finding.verdict is Verdict.PROBLEM
    assert "did not answer" in finding.detail


async def test_an_unconfigured_console_is_fine_and_says_so(clock: ManualClock) -> None:
    [finding] = await console_findings(ConsoleSettings(), clock)
    assert (finding.verdict, finding.check) == (Verdict.OK, "console")
