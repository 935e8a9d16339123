"""Each enabled channel's school directory, read whole: Microsoft 365 for Teams (issue 21).
The sync itself is channel-neutral (handlers/directory_sync.py); this is where the channels'
readers are chosen from the settings, for `esafety-bot directory sync` and for `serve`'s
periodic sync alike."""

from __future__ import annotations

from bots.config import Settings
from bots.teams.directory import read_directory
from bots.teams.graph import GraphClient, GraphError, Sleep
from handlers.directory_schedule import Reader
from handlers.directory_sync import DirectoryError, Listing
from state.clock import Clock


def directory_channels(settings: Settings) -> list[str]:
    """The channels whose directory the school asked to sync."""
    return ["teams"] if settings.graph.wanted else []


def directory_readers(settings: Settings, clock: Clock, *, sleep: Sleep | None = None) -> dict[str, Reader]:
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
    return readers
