"""One person, one id: a roster file's ids are spelled as each channel's own events spell them,
so the Store finds a person with an exact match whichever way the id came in."""

from __future__ import annotations

from botbuilder.schema import ChannelAccount

from bots.teams.translate import roster_id
from bots.user_ids import spell_user_id
from handlers.roster_import import parse_roster
from state.store import Store

ROSTER = "channel,user_id,name,role,class,consent\nteams, AAD-Alice ,Alice Pupil,student,5A,yes\nwecom,ZhangSan,张三,teacher,6B,\n"


async def test_an_entra_id_typed_in_capitals_is_the_person_teams_sends(store: Store) -> None:
    """Entra ids and user principal names ignore case: the file's `AAD-Alice` is the activity's `aad-alice`."""
    await store.merge_roster(parse_roster(ROSTER.encode(), spell_user_id).people)
    sent_by_teams = roster_id(ChannelAccount(id="29:1abc", aad_object_id="aad-ALICE"))
    assert sent_by_teams == "aad-alice"
    found = await store.get_person("teams", sent_by_teams)
    assert found is not None
    assert found.name == "Alice Pupil"


async def test_wecom_userids_keep_their_case(store: Store) -> None:
    """WeCom userids are case-sensitive: `ZhangSan` is not `zhangsan`."""
    await store.merge_roster(parse_roster(ROSTER.encode(), spell_user_id).people)
    assert spell_user_id("wecom", " ZhangSan ") == "ZhangSan"
    assert await store.get_person("wecom", "ZhangSan") is not None
    assert await store.get_person("wecom", "zhangsan") is None
