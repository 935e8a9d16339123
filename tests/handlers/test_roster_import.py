"""Roster CSV parsing: any column order, a BOM, every problem by line, nothing half-read."""

from __future__ import annotations

import pytest

from bots.user_ids import spell_user_id
from handlers.roster_import import RosterError, parse_roster
from state.models import Role

GOOD = (
    "\ufeffrole,name,user_id,channel,consent,class,locale\n"
    "student,Amira,0F5A-AAA,teams,yes,5A;5B,en-GB\n"
    "dsl,Lee,lead01,wecom,,,zh-CN\n"
    ",,,,,,\n"
)


def test_reads_columns_in_any_order_with_a_bom() -> None:
    """A UTF-8 BOM and shuffled columns are fine; Teams ids are case-folded; blank rows skipped."""
    roster = parse_roster(GOOD.encode(), spell_user_id)
    amira, lee = roster.people
    assert (amira.user_id, amira.role, amira.classes, amira.consent, amira.locale) == ("0f5a-aaa", Role.STUDENT, ("5A", "5B"), True, "en")
    assert (lee.user_id, lee.role, lee.consent, lee.locale) == ("lead01", Role.DSL, None, "zh_CN")
    assert roster.channels == {"teams", "wecom"}


def test_lists_every_problem_by_line() -> None:
    """Each bad row is reported with its line number, and the file is refused whole."""
    data = (
        b"channel,user_id,name,role,class,consent\n"
        b"teams,a,Ann,student,5A,yes\n"
        b"skype,b,Bo,pupil,5A,maybe\n"
        b"teams,,Cy,teacher,5A,\n"
        b"teams,A,Ann again,student,5A,\n"
    )
    with pytest.raises(RosterError) as caught:
        parse_roster(data, spell_user_id)
    problems = caught.value.problems
    assert any(p.startswith("line 3: channel") for p in problems)
    assert any(p.startswith("line 3: role") for p in problems)
    assert any(p.startswith("line 3: consent") for p in problems)
    assert "line 4: user_id is empty" in problems
    assert "line 5: teams:a already on line 2" in problems


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"channel,user_id,name,role\nteams,a,A,student\n", "missing columns"),
        (b"channel,user_id,name,role,class,consent,shoe_size\n", "unknown columns"),
        (b"channel,user_id,name,role,class,consent\n", "no people"),
        (b"channel,user_id,name,role,class,consent\nteams,a,A,student,5A\n", "wrong number of cells"),
        ("channel,user_id,name,role,class,consent\nteams,a,Zoë,student,5A,\n".encode("latin-1"), "not UTF-8"),
        (b"channel,user_id,name,role,class,consent,locale\nteams,a,A,student,5A,,fr\n", "locale"),
        (b"channel,user_id,name,role,class,consent\nteams,a,A,unknown,5A,\n", "role"),
    ],
)
def test_malformed_files_are_refused(data: bytes, message: str) -> None:
    """Malformed CSV gets one clear error; `unknown` is not a role a school can assign."""
    with pytest.raises(RosterError, match=message):
        parse_roster(data, spell_user_id)


def test_a_semicolon_separated_file_reads_as_the_same_roster() -> None:
    """Excel saves CSV with `;` where the decimal mark is a comma; a cell with several classes is quoted."""
    semicolons = GOOD.replace(",", ";").replace("5A;5B", '"5A;5B"')
    assert parse_roster(semicolons.encode(), spell_user_id) == parse_roster(GOOD.encode(), spell_user_id)
