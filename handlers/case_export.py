"""Exporting cases for the safeguarding record (004 strategy 13: incidents recorded).

Each case is one row with its whole chronology: received, delivered, escalated,
acknowledged, closed — when and by whom. The child's words are left out unless the reader
asks with `include_text`, and every such read is audited (who, which cases; never the words).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from handlers.audit import record_decision
from handlers.case_record import STAFF_WORDS
from state.clock import Clock
from state.records import Case
from state.store import Store

CSV_FIELDS = ("reference", "state", "urgency", "about_adult", "received_at", "reporter", "reporter_role", "group",
              "acknowledged_by", "acknowledged_at", "chronology", "text")


def case_row(case: Case, *, include_text: bool) -> dict[str, str]:
    chronology = "; ".join(f"{step.at.isoformat()} {step.action} {step.actor}".strip() for step in case.steps)
    return {
        "reference": case.reference, "state": case.state.value, "urgency": case.urgency.value,
        "about_adult": str(case.about_adult).lower(), "received_at": case.received_at.isoformat(),
        "reporter": str(case.reporter), "reporter_role": case.reporter_role.value, "group": str(case.group or ""),
        "acknowledged_by": case.acknowledged_by or "", "acknowledged_at": case.acknowledged_at.isoformat() if case.acknowledged_at else "",
        "chronology": chronology, "text": case.text if include_text else "",
    }


async def export_cases(store: Store, clock: Clock, cases: Sequence[Case], out: IO[str], *, fmt: str, include_text: bool,
                       reader: str) -> int:
    rows = [case_row(case, include_text=include_text) for case in cases]
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=CSV_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    else:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    if include_text and rows:
        await record_decision(store, clock, action="case.text_read", actor=reader, clause="004 strategy 13",
                              outcome=",".join(row["reference"] for row in rows)[:500], detail={"cases": str(len(rows))})
    return len(rows)


@dataclass(frozen=True)
class Readable:
    """How a person reads a case at the command line: people and groups by name (ids only for
    someone the roster does not list), times on the school's clock."""

    names: Mapping[str, str]
    time: Callable[[datetime], str]

    def name(self, ref: str | None) -> str:
        return self.names.get(ref, ref) if ref else "-"


def case_line(case: Case, readable: Readable) -> str:
    """One case in `cases list`: reference, state, urgency, when, who, where."""
    return "\t".join((case.reference, case.state.value, case.urgency.value, readable.time(case.received_at),
                      readable.name(str(case.reporter)), readable.name(str(case.group)) if case.group else "-"))


def render_case(case: Case, readable: Readable, *, include_text: bool) -> str:
    buffer = io.StringIO()
    row = case_row(case, include_text=include_text) | {
        "received_at": readable.time(case.received_at), "reporter": readable.name(str(case.reporter)),
        "group": readable.name(str(case.group)) if case.group else "-", "acknowledged_by": readable.name(case.acknowledged_by),
        "acknowledged_at": readable.time(case.acknowledged_at) if case.acknowledged_at else "-"}
    for field in CSV_FIELDS[:10]:
        buffer.write(f"{field:>16}: {row[field]}\n")
    for step in case.steps:
        hidden = ("item", "recipients", "event", *(() if include_text else STAFF_WORDS))  # staff's words go with the report's
        extra = " ".join(f"{k}={v}" for k, v in step.detail.items() if k not in hidden)
        buffer.write(f"{'':>16}  {readable.time(step.at)}  {step.action:<22} {readable.name(step.actor)} {extra}".rstrip() + "\n")
    if include_text:
        buffer.write(f"{'text':>16}: {case.text}\n")
    return buffer.getvalue()
