"""WeCom's silent limit: app messages to one member beyond 30 a minute are answered ok and never
shown. A burst to one lead (a bad morning: many cases and alerts at once) is paced under it, so
nothing is dropped, and all of it arrives."""

from __future__ import annotations

from bots.waiting import eventually
from bots.wecom.fakes.api import FakeWecomApi
from handlers.messenger import Message
from handlers.outbox import send_durably
from state.models import PersonRef
from tests.bots.wecom.conftest import DSL, WecomHarness

BURST = 75


async def test_the_fake_drops_past_the_limit_as_wecom_does(wecom_api: FakeWecomApi, wecom: WecomHarness) -> None:
    """Sent straight to the API, 31 in a minute: the 31st is answered ok and dropped."""
    for n in range(31):
        await wecom.bot.wecom.api.call(lambda client, n=n: client.message.send_text(wecom.bot.wecom.api.agent_id, [DSL], f"m{n}"))
    assert (len(wecom_api.texts_to_user(DSL)), wecom_api.silently_dropped) == (30, 1)


async def test_a_burst_to_one_lead_is_paced_and_nothing_is_dropped(wecom_api: FakeWecomApi, wecom: WecomHarness) -> None:
    lead = PersonRef("wecom", DSL)
    for n in range(BURST):
        await send_durably(wecom.bot.deps, lead, Message(key="case.not_found", fields={"reference": f"C-2026-{n:06d}"}), key=f"burst-{n}")
    assert await eventually(lambda: len(wecom_api.texts_to_user(DSL)) >= BURST, seconds=60), len(wecom_api.texts_to_user(DSL))
    assert wecom_api.silently_dropped == 0
    times = wecom_api.delivered_at(DSL)
    assert max(sum(1 for other in times if start <= other < start + 60) for start in times) <= 30  # every minute-long window
    assert times[-1] - times[0] >= 60  # 75 messages cannot go in under two minutes at 30 a minute
