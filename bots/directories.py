"""Each enabled channel's school directory, read whole: Microsoft 365 for Teams (issue 21), the
school contacts (家校通讯录) for WeCom (issue 22).
The sync itself is channel-neutral (handlers/directory_sync.py); this is where the channels'
readers are chosen from the settings, for `esafety-bot directory sync` and for `serve`'s
periodic sync alike."""

from __future__ import annotations

from collections.abc import Mapping

from bots.config import Settings
from bots.teams.directory import read_directory
from bots.teams.graph import GraphClient, GraphError, Sleep
from bots.wecom.api import WecomApi, WecomError
from bots.wecom.school_changes import read_changes
from bots.wecom.school_contacts import ParentName, read_school
from handlers.directory_schedule import ChangeReader, Reader
from handlers.directory_sync import Changes, DirectoryError, Listing
from policy_text.catalog import Catalog
from state.clock import Clock
from state.store import Store


def directory_channels(settings: Settings) -> list[str]:
    """The channels whose directory the school asked to sync."""
    return [channel for channel, wanted in (("teams", settings.graph.wanted), ("wecom", settings.wecom.school_contacts)) if wanted]


def directory_readers(settings: Settings, store: Store, clock: Clock, *, sleep: Sleep | None = None) -> dict[str, Reader]:
    """Each of `directory_channels` with its reader."""
    readers: dict[str, Reader] = {}
    graph = settings.graph
    if "teams" in directory_channels(settings):
        async def read_teams() -> Listing:
            client = GraphClient(graph, clock, sleep=sleep)
            try:
                read = await read_directory(client, graph.role_groups)
                return Listing(read.people, read.classes)
            except GraphError as error:
                raise DirectoryError(f"teams: Microsoft Graph: {error}") from None
            finally:
                await client.close()

        readers["teams"] = read_teams
    if "wecom" in directory_channels(settings):
        async def read_wecom() -> Listing:
            try:
                return await read_school(WecomApi(settings.wecom, store), settings.wecom.role_groups, parent_namer(settings.locale),
                                         now=clock.now())
            except WecomError as error:
                raise DirectoryError(f"wecom: school contacts: {error}") from None

        readers["wecom"] = read_wecom
    return readers


def change_readers(settings: Settings, store: Store) -> dict[str, ChangeReader]:
    """The channels whose directory reports its changes one by one (WeCom's change_school_contact)."""
    if "wecom" not in directory_channels(settings):
        return {}

    async def read_wecom_change(change: Mapping[str, str]) -> Changes:
        try:
            return await read_changes(WecomApi(settings.wecom, store), change, parent_namer(settings.locale))
        except WecomError as error:
            raise DirectoryError(f"wecom: school contacts ({change.get('change')}): {error}") from None

    return {"wecom": read_wecom_change}


def parent_namer(locale: str) -> ParentName:
    """A parent's roster name in the school's language: "王小明的爸爸", or the child's name and
    "parent" when WeCom records no relation."""
    catalog = Catalog.load()
    return lambda child, relation: catalog.say("name.parent_of", locale, child=child,
                                               relation=relation or catalog.say("role.parent", locale))
