"""The Graph client against the fake Graph: paging, throttling, tokens, nested role groups, and
errors that name the setting to fix without the secret."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bots.settings_readers import ConfigError
from bots.teams.fakes.graph import FakeClass, FakeGraph, FakeUser
from bots.teams.graph import MAX_TRIES, GraphClient, GraphError
from bots.teams.graph_settings import GraphSettings, graph_settings
from state.clock import ManualClock

TENANT, CLIENT, SECRET = "tenant-1", "graph-app", "graph-secret-for-tests"


class Waits:
    """Stands in for asyncio.sleep: records how long the client waited, without waiting."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    fake = FakeGraph(tenant_id=TENANT, client_id=CLIENT, client_secret=SECRET, page_size=2)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


def client_for(graph: FakeGraph, clock: ManualClock, waits: Waits, secret: str = SECRET) -> GraphClient:
    settings = GraphSettings(tenant_id=TENANT, client_id=CLIENT, client_secret=secret, base_url=graph.base_url, login_url=graph.url)
    return GraphClient(settings, clock, sleep=waits)


async def test_every_page_is_read(graph: FakeGraph, clock: ManualClock) -> None:
    for number in range(5):
        graph.classes[f"class-{number}"] = FakeClass(f"class-{number}", f"{number + 1}A")
    client = client_for(graph, clock, Waits())
    try:
        classes = await client.classes()
    finally:
        await client.close()
    assert [each.name for each in classes] == ["1A", "2A", "3A", "4A", "5A"]
    assert graph.requests.count("/v1.0/education/classes") == 3  # pages of two, joined by @odata.nextLink


async def test_a_throttled_request_waits_as_graph_asks_then_goes_on(graph: FakeGraph, clock: ManualClock) -> None:
    graph.add_user(FakeUser("u1", "Amira Pupil", "amira@school.example", "student"))
    graph.classes["c1"] = FakeClass("c1", "5A", students=["u1"])
    graph.throttle(2)
    waits = Waits()
    client = client_for(graph, clock, waits)
    try:
        members = await client.class_members("c1")
    finally:
        await client.close()
    assert [(m.id, m.name, m.primary_role) for m in members] == [("u1", "Amira Pupil", "student")]
    assert waits.seconds == [graph.retry_after, graph.retry_after]


async def test_throttled_without_end_fails_loudly(graph: FakeGraph, clock: ManualClock) -> None:
    graph.throttle(100)
    client = client_for(graph, clock, Waits())
    try:
        with pytest.raises(GraphError, match=f"after {MAX_TRIES} tries"):
            await client.users()
    finally:
        await client.close()


async def test_a_token_is_kept_until_it_nears_expiry_and_renewed_once_when_refused(graph: FakeGraph, clock: ManualClock) -> None:
    graph.add_user(FakeUser("t1", "Tess Teacher", "tess@school.example", "teacher"))
    client = client_for(graph, clock, Waits())
    try:
        await client.users()
        await client.users()
        assert graph.tokens_issued == 1
        graph.revoke_tokens()  # Graph answers 401: one new token, and the read goes on
        assert [user.name for user in await client.users()] == ["Tess Teacher"]
        assert graph.tokens_issued == 2
        clock.advance(3599 - 5 * 60 + 1)  # within five minutes of expiry: asked again
        await client.users()
        assert graph.tokens_issued == 3
    finally:
        await client.close()


async def test_a_wrong_secret_names_the_setting_and_not_the_secret(graph: FakeGraph, clock: ManualClock) -> None:
    client = client_for(graph, clock, Waits(), secret="not-the-secret")
    try:
        with pytest.raises(GraphError) as refused:
            await client.classes()
    finally:
        await client.close()
    assert "ESAFETY_GRAPH_CLIENT_ID" in str(refused.value)
    assert "not-the-secret" not in str(refused.value)


async def test_role_group_members_include_nested_groups_and_only_users(graph: FakeGraph, clock: ManualClock) -> None:
    graph.add_user(FakeUser("lead", "Lee Lead", "lee@school.example"))
    graph.add_user(FakeUser("deputy", "Dee Deputy", "dee@school.example"))
    graph.groups = {"safeguarding": ["lead", "group:deputies"], "deputies": ["deputy"]}
    client = client_for(graph, clock, Waits())
    try:
        members = await client.group_members("safeguarding")
    finally:
        await client.close()
    assert sorted(member.name for member in members) == ["Dee Deputy", "Lee Lead"]


def test_graph_settings_default_to_the_bots_own_app_registration() -> None:
    settings = graph_settings({"MicrosoftAppId": "app", "MicrosoftAppPassword": "pw", "MicrosoftAppTenantId": "t"})
    assert (settings.client_id, settings.client_secret, settings.tenant_id, settings.configured) == ("app", "pw", "t", True)
    other = graph_settings({"MicrosoftAppId": "app", "ESAFETY_GRAPH_CLIENT_ID": "reader", "ESAFETY_GRAPH_CLIENT_SECRET": "s2",
                            "ESAFETY_GRAPH_TENANT_ID": "t2"})
    assert (other.client_id, other.client_secret, other.tenant_id) == ("reader", "s2", "t2")
    assert "s2" not in repr(other)
    assert not settings.wanted  # the bot's credentials alone do not turn the directory sync on
    with pytest.raises(ConfigError, match="ESAFETY_GRAPH_BASE_URL"):
        graph_settings({"ESAFETY_GRAPH_BASE_URL": "http://graph.example/v1.0"})
    with pytest.raises(ConfigError, match="the directory sync needs a tenant"):
        graph_settings({"ESAFETY_ROLE_GROUPS": "dsl=G1"})
