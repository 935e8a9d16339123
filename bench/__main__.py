"""`make bench`: every benchmark in turn (`python -m bench`)."""

from __future__ import annotations

import asyncio

from bench import against_revision, children_first, concerns, fanout, store_ops, takeover, teams_inbound, wecom_callbacks

if __name__ == "__main__":
    asyncio.run(store_ops.main())
    asyncio.run(teams_inbound.main())
    against_revision.main(against_revision.BASELINE)
    asyncio.run(wecom_callbacks.main())
    asyncio.run(concerns.main())
    asyncio.run(fanout.main())
    asyncio.run(children_first.main())
    asyncio.run(takeover.main())
