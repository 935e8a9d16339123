"""The audit log: one helper for every duty, exported as documented JSON lines."""

from __future__ import annotations

import io
import json

from handlers.audit import EXPORT_FIELDS, export_audit, record_decision
from state.clock import ManualClock
from state.store import Store


async def test_export_writes_documented_fields_in_order(store: Store, clock: ManualClock) -> None:
    """Each line has exactly the documented fields, in sequence order, stamped by the clock."""
    await record_decision(store, clock, action="dm.refused", actor="teams:s1", actor_role="student", clause="000 §5")
    clock.advance(60)
    await record_decision(store, clock, action="supervision.alert", actor="system", group="teams:19:a", clause="000 §5",
                          detail={"missing": "admin_team"})
    out = io.StringIO()
    assert await export_audit(store, out) == 2
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [tuple(line) for line in lines] == [EXPORT_FIELDS, EXPORT_FIELDS]
    assert [line["seq"] for line in lines] == [1, 2]
    assert lines[1]["at"] == "2026-11-23T09:01:00+00:00"
    assert lines[1]["detail"] == {"missing": "admin_team"}
