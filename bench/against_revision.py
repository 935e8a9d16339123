"""The Teams end-to-end figure of this working tree against an earlier revision, in one run.

`python -m bench.against_revision REV` checks REV out into a scratch git worktree and measures
both, alternately (ROUNDS times each, so a slow moment of the machine falls on both): a
student's direct message in, the refusal delivered at the fake Bot Connector, exactly as
bench/teams_inbound.py measures it. Each server runs in its own process from its own tree; the
load and the fake connector are this tree's. `make bench-against REV=…` runs it.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.results import Figure, Section
from bench.teams_inbound import ENV, end_to_end, messages
from bots.teams.fakes.bot_connector import FakeBotConnector

ROUNDS = 3
BASELINE = "1427968"
"""The revision whose end-to-end figure the webhook work set out to triple (`make bench` compares with it)."""
GOAL = 3.0
# Only what every revision since the end-to-end figure was first taken has: bootstrap,
# run_bot and TeamsOptions(unthrottled=True).
SERVER = """
import asyncio, json, signal, sys, tempfile
from pathlib import Path
from bots.app import bootstrap
from bots.config import load_settings
from bots.server import run_bot
from bots.sockets import free_port
from bots.teams.channel import TeamsOptions

async def main():
    with tempfile.TemporaryDirectory() as scratch:
        port, stop, started = free_port(), asyncio.Event(), asyncio.Event()
        settings = load_settings({"ESAFETY_DB": str(Path(scratch) / "bench.db"), "ESAFETY_LOG_LEVEL": "WARNING", **json.loads(sys.argv[1])})
        bot = await bootstrap(settings, teams_options=TeamsOptions(unthrottled=True))
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        server = asyncio.create_task(run_bot(bot, host="127.0.0.1", port=port, stop=stop, started=started))
        await started.wait()
        print(f"http://127.0.0.1:{port}", flush=True)
        await server

asyncio.run(main())
"""


async def per_second(tree: Path) -> float:
    """One end-to-end figure for the server in `tree`."""
    connector = FakeBotConnector()
    await connector.start()
    server = await asyncio.create_subprocess_exec(sys.executable, "-c", SERVER, json.dumps(ENV), cwd=tree,
                                                  env={**os.environ, "PYTHONPATH": str(tree)},
                                                  stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    try:
        assert server.stdout is not None
        url = (await server.stdout.readline()).decode().strip()
        return await end_to_end(url, connector, messages(connector.url, "flow"))
    finally:
        server.terminate()
        await asyncio.wait_for(server.wait(), timeout=30)
        await connector.stop()


def main(revision: str) -> Section:
    """Print the figures; return them, the earlier revision as the baseline."""
    here = Path.cwd()
    figures: dict[str, list[float]] = {revision: [], "working tree": []}
    with tempfile.TemporaryDirectory(prefix="esafety-revision-") as scratch:
        earlier = Path(scratch) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", str(earlier), revision], check=True, capture_output=True)
        try:
            for _ in range(ROUNDS):
                figures[revision].append(asyncio.run(per_second(earlier)))
                figures["working tree"].append(asyncio.run(per_second(here)))
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(earlier)], check=True)
    print(f"\nTeams end to end, {revision} against the working tree ({ROUNDS} rounds, alternately):")
    for name, rates in figures.items():
        each = ", ".join(f"{rate:.1f}" for rate in rates)
        print(f"  {name:>14}: median {statistics.median(rates):6.1f} refusals delivered per second  ({each})")
    ours, theirs = statistics.median(figures["working tree"]), statistics.median(figures[revision])
    judged = revision == BASELINE  # the goal is against that revision only
    print(f"  the working tree delivers {ours / theirs:.2f}x as many per second" + (f" (goal: at least {GOAL:.0f}x)" if judged else ""))
    delivered = Figure(f"refusals delivered by the working tree (median of {ROUNDS})", ours, "msg/s", theirs,
                       f"≥ {GOAL:.0f}x {revision}'s rate (cost ≤ {1 / GOAL:.2f}x)" if judged else "—",
                       ours >= GOAL * theirs if judged else None)
    return Section(f"End to end against {revision}", f"The end-to-end figure for this working tree and for {revision}, each server in "
                   f"its own process, {ROUNDS} rounds alternately. Baseline: {revision}, in the same run.", (delivered,))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m bench.against_revision REVISION")
    main(sys.argv[1])
