"""`doctor`'s WeCom checks when the roster comes from the school contacts: can the app read
them, and which classes' families a 学校通知 from it reaches (school/agent/get_allow_scope)."""

from __future__ import annotations

from bots.config import load_settings
from bots.findings import Verdict
from bots.wecom.doctor import SCHOOL, SCOPE, wecom_findings
from bots.wecom.fakes.api import FakeWecomApi
from bots.wecom.fakes.callbacks import settings_env
from bots.wecom.fakes.school import SCHOOL_ROLE_GROUPS, small_school
from bots.wecom.settings import WecomSettings


def wecom_settings(api: FakeWecomApi, **env: str) -> WecomSettings:
    return load_settings({**settings_env(api.base_url), **env}).wecom


async def test_readable_school_contacts_and_the_classes_a_notice_reaches(wecom_api: FakeWecomApi) -> None:
    small_school(wecom_api.school)
    wecom_api.school.parent_scope = {3}
    found = {finding.check: finding for finding in await wecom_findings(wecom_settings(wecom_api, ESAFETY_ROLE_GROUPS=SCHOOL_ROLE_GROUPS))}
    assert (found[SCHOOL].verdict, found[SCHOOL].detail) == (Verdict.OK, "readable: 2 class(es), 1 with an open 班级群")
    assert (found[SCOPE].verdict, found[SCOPE].detail) == (Verdict.OK, "a 学校通知 from this app reaches the families of 1 class(es): "
                                                                       "一年级1班")
    assert "fake-secret" not in str(found)


async def test_an_app_that_may_not_read_them_is_a_problem_and_no_scope_is_said(wecom_api: FakeWecomApi) -> None:
    small_school(wecom_api.school)
    wecom_api.fail_next(48002, path="school/department/list")
    (school,) = [f for f in await wecom_findings(wecom_settings(wecom_api, ESAFETY_ROLE_GROUPS=SCHOOL_ROLE_GROUPS)) if f.check == SCHOOL]
    assert school.verdict is Verdict.PROBLEM
    assert "errcode 48002" in school.detail
    wecom_api.school.parent_scope = set()
    (scope,) = [f for f in await wecom_findings(wecom_settings(wecom_api, ESAFETY_ROLE_GROUPS=SCHOOL_ROLE_GROUPS)) if f.check == SCOPE]
    assert scope.verdict is Verdict.NOT_CHECKED
    assert "家长可使用的应用" in scope.detail


async def test_a_school_on_a_csv_roster_is_not_asked_about_school_contacts(wecom_api: FakeWecomApi) -> None:
    assert [finding.check for finding in await wecom_findings(wecom_settings(wecom_api))] == ["wecom credentials"]
