"""Exporting cases for the safeguarding record (004 strategy 13: incidents recorded).

Each case is one row with its whole chronology: received, delivered, escalated,
acknowledged, closed — when and by whom. The child's words are left out unless a named reader
who may read them asks, and every such read is in the case's read trail and the audit (who,
which case, how; never the words).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from handlers.case_record import STAFF_WORDS, may_see_words
from handlers.read_trail import CLI_EXPORT, readings, record_reading
from state.clock import Clock
from state.models import Person
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


async def export_cases(store: Store, clock: Clock, cases: Sequence[Case], out: IO[str], *, fmt: str, reader: Person | None = None,
                       origin: str = "", how: str = CLI_EXPORT) -> int:
    """Write `cases`; with a `reader`, the words of those they may read, each reading recorded
    in that case's read trail and the audit (handlers/read_trail.py)."""
    shown = [reader is not None and may_see_words(reader, case) for case in cases]
    rows = [case_row(case, include_text=with_text) for case, with_text in zip(cases, shown, strict=True)]
    write_rows(out, rows, CSV_FIELDS, fmt)
    for case, with_text in zip(cases, shown, strict=True):
        if reader is not None and with_text:
            await record_reading(store, clock, case, reader=str(reader.ref), reader_role=reader.role.value, how=how, origin=origin)
    return len(rows)


def write_rows(out: IO[str], rows: Sequence[dict[str, str]], fields: Sequence[str], fmt: str) -> None:
    """CSV with a header row, or JSON lines: one object per row."""
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
        return
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")


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
    seen = readings(case)
    buffer.write(f"{'seen by':>16}: " + ("; ".join(f"{readable.name(step.actor)} ({how}, {readable.time(step.at)})" for step, how in seen)
                                        or "nobody yet") + "\n")
    if include_text:
        buffer.write(f"{'text':>16}: {case.text}\n")
    return buffer.getvalue()
