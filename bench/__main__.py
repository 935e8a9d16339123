"""`make bench`: every benchmark in turn (`python -m bench`), each printing its table, then all
their figures written to bench/RESULTS.md beside their baselines and goals (bench/results.py).
The machine's load is read before anything runs, so a busy machine shows in the document."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import against_revision, children_first, concerns, fanout, store_ops, takeover, teams_inbound, wecom_callbacks
from bench.results import Machine, render

RESULTS = Path(__file__).parent / "RESULTS.md"

if __name__ == "__main__":
    date, began, machine = datetime.now(UTC), time.monotonic(), Machine.this_one()
    teams_acceptance, teams_end_to_end = asyncio.run(teams_inbound.main())
    sections = [teams_acceptance, asyncio.run(wecom_callbacks.main()), teams_end_to_end,
                against_revision.main(against_revision.BASELINE), asyncio.run(concerns.main()),
                asyncio.run(children_first.main()), asyncio.run(takeover.main()), *asyncio.run(store_ops.main()),
                asyncio.run(fanout.main())]
    RESULTS.write_text(render(sections, machine, date, time.monotonic() - began), encoding="utf-8")
    print(f"\nwritten to {RESULTS}")
