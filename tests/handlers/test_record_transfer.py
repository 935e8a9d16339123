"""A child moves school: their whole record, one row per chronology step, for the new school's
lead; the transfer is a reading of every case, in the read trail and the audit. Both backends."""

from __future__ import annotations

import csv
import io
import json

from handlers.case_record import CaseDesk, act_on_case
from handlers.concerns import Report, receive_report
from handlers.duties import Deps
from handlers.read_trail import readings
from handlers.record_transfer import TRANSFER_FIELDS, export_record
from tests.handlers.conftest import SCHOOL, drain

ANN, BEN, LEAD = SCHOOL[0], SCHOOL[1], SCHOOL[5]


async def test_one_childs_whole_record_row_by_step(school: Deps) -> None:
    first = await receive_report(school, Report(reporter=ANN, text="ANN-FIRST words", origin="r1"))
    await receive_report(school, Report(reporter=BEN, text="BEN words", origin="r2"))
    second = await receive_report(school, Report(reporter=ANN, text="ANN-SECOND words", origin="r3"))
    assert first is not None
    assert second is not None
    await drain(school)
    desk = CaseDesk(school.store, school.clock, school.catalog)
    await act_on_case(desk, LEAD, "note", f"{first} met Ann with her mum", origin="n1")
    await act_on_case(desk, LEAD, "close", f"{first} parents_informed mum will watch her phone use", origin="n2")
    out = io.StringIO()
    assert await export_record(school.store, school.clock, ANN.ref, out, fmt="csv", reader=LEAD, origin="t1") == 2
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert tuple(rows[0]) == TRANSFER_FIELDS
    assert {row["reference"] for row in rows} == {first, second}
    assert "BEN words" not in out.getvalue()
    firsts = [row for row in rows if row["reference"] == first]
    assert [row["step"] for row in firsts] == [str(n) for n in range(1, len(firsts) + 1)]
    assert [row["words"] for row in firsts if row["words"]] == ["ANN-FIRST words"]  # on the received step only
    assert firsts[0]["action"] == "received"
    closing = next(row for row in firsts if row["action"] == "closed")
    assert json.loads(closing["detail"]) == {"outcome": "parents_informed", "reason": "mum will watch her phone use"}
    assert [json.loads(row["detail"])["note"] for row in firsts if row["action"] == "note"] == ["met Ann with her mum"]
    assert (closing["case_state"], closing["case_outcome"]) == ("closed", "parents_informed")
    transfers = [e.record for e in await school.store.read_audit() if e.record.action == "case.transferred"]
    assert [(r.actor, r.subject, r.detail["cases"]) for r in transfers] == [(str(LEAD.ref), str(ANN.ref), "2")]
    assert "ANN-FIRST" not in str(await school.store.read_audit())
    case = await school.store.get_case(first)
    assert case is not None
    assert (str(LEAD.ref), "transfer") in [(step.actor, how) for step, how in readings(case)]


async def test_as_json_lines_one_object_per_step(school: Deps) -> None:
    reference = await receive_report(school, Report(reporter=ANN, text="words", origin="r1"))
    out = io.StringIO()
    await export_record(school.store, school.clock, ANN.ref, out, fmt="json", reader=LEAD, origin="t1")
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [tuple(line) for line in lines] == [TRANSFER_FIELDS] * len(lines)
    assert lines[0]["reference"] == reference
