"""The console's groups page: the supervision board, filtered by class and by state (000 §5;
004 strategy 18). For the admin team and the safeguarding staff; no report words appear here."""

from __future__ import annotations

from aiohttp import web

from bots.console.context import CONTEXT
from handlers.group_board import STATES, filtered, group_board


async def groups(request: web.Request) -> web.Response:
    console = request.app[CONTEXT]
    person, session = await console.viewer(request)
    rows = await group_board(console.deps.store, console.deps.supervision.rule)
    class_name = request.query.get("class", "")
    state = request.query.get("state", "") if request.query.get("state", "") in STATES else ""
    classes = sorted({row.group.class_name for row in rows if row.group.class_name})
    return await console.render(request, "groups.html", person, session, rows=filtered(rows, class_name=class_name, state=state),
                                total=len(rows), classes=classes, states=STATES, chosen_class=class_name, chosen_state=state)
