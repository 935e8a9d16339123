"""`doctor`'s WeCom checks: the app's settings and an access token fetched with them.

A wrong corp id or app secret still lets callbacks arrive (they are checked with the callback
token and AES key), but nothing can be sent: every alert to a lead stops (004 strategy 9). So
doctor calls `gettoken` as the bot will, at WECOM_API_BASE_URL; when the roster comes from the
school contacts, it also reads them and the app's parent scope (`school/agent/get_allow_scope`). A call that cannot reach WeCom is
"not checked", never a failure, as is WeCom saying it is busy. The secret travels only in the
request; nothing printed holds it. The school's proxy is used when HTTPS_PROXY is set.
"""

from __future__ import annotations

import re
from typing import Any

import aiohttp
from yarl import URL

from bots.findings import Finding, not_checked, ok, problem
from bots.wecom.settings import WecomSettings

FETCH_TIMEOUT = aiohttp.ClientTimeout(total=10)
CORP_ID = re.compile(r"w[wx][0-9A-Za-z]{4,32}")
CHECK = "wecom credentials"
SCHOOL, SCOPE = "school contacts (wecom)", "school notices (wecom)"
BUSY = (-1, 45009)  # system busy, frequency limit: WeCom's own state, not the credentials


async def wecom_findings(wecom: WecomSettings) -> list[Finding]:
    if not CORP_ID.fullmatch(wecom.corp_id):
        return [problem(CHECK, f"WECOM_CORP_ID {wecom.corp_id!r} does not look like a corp id (it starts with ww): copy it from "
                               f"My Company → Company Information in the WeCom admin console")]
    async with aiohttp.ClientSession(timeout=FETCH_TIMEOUT, trust_env=True) as session:
        finding, token = await fetch_token(session, wecom)
        if not (token and wecom.school_contacts):
            return [finding]
        return [finding, *await school_contacts_findings(session, wecom, token)]


async def fetch_token(session: aiohttp.ClientSession, wecom: WecomSettings) -> tuple[Finding, str]:
    """The credentials' verdict, and the token when WeCom issued one."""
    status, body = await _get(session, wecom, "gettoken", {"corpid": wecom.corp_id, "corpsecret": wecom.secret})
    if status == 0:
        return not_checked(CHECK, f"{URL(wecom.api_base_url).host} could not be reached from here: the token fetch was not tried"), ""
    if status >= 500 or body.get("errcode") in BUSY:
        return not_checked(CHECK, f"WeCom is busy (HTTP {status}, errcode {body.get('errcode', '?')}): try again later"), ""
    if body.get("errcode", 0) == 0 and body.get("access_token"):
        return ok(CHECK, f"WeCom issued an access token to corp {wecom.corp_id}"), str(body["access_token"])
    return problem(CHECK, f"WeCom refused the app's credentials (errcode {body.get('errcode')}: {body.get('errmsg', '')}): check "
                          f"WECOM_CORP_ID and WECOM_SECRET (the app's Secret, not the callback token)"), ""


async def school_contacts_findings(session: aiohttp.ClientSession, wecom: WecomSettings, token: str) -> list[Finding]:
    """The roster comes from the school contacts (ESAFETY_ROLE_GROUPS names WeCom groups): can the
    app read them, and which classes' families can a 学校通知 from it reach (get_allow_scope)?"""
    status, body = await _get(session, wecom, "school/department/list", {"access_token": token})
    if status != 200 or body.get("errcode", 0) != 0:
        return [problem(SCHOOL, f"the app cannot read the school contacts (HTTP {status}, errcode {body.get('errcode', '?')}): in the "
                                f"WeCom admin console, 家校沟通 → 配置, add the app to the apps that may read the school contacts")]
    classes = {int(each["id"]): str(each["name"]) for each in body.get("departments") or [] if each.get("type") == 1}
    chats = sum(1 for each in body.get("departments") or [] if each.get("type") == 1 and each.get("open_group_chat") == 1)
    found = [ok(SCHOOL, f"readable: {len(classes)} class(es), {chats} with an open 班级群")]
    status, body = await _get(session, wecom, "school/agent/get_allow_scope", {"access_token": token, "agentid": str(wecom.agent_id)})
    reachable = [classes[int(party)] for party in (body.get("allow_scope") or {}).get("departments", {}).get("partyid", [])
                 if int(party) in classes]
    if status != 200 or body.get("errcode", 0) != 0 or not reachable:
        return [*found, not_checked(SCOPE, "a 学校通知 from this app reaches no class's families: to use `groups set-delivery … "
                                           "school-notice`, add the app to 家校沟通 → 配置 → 家长可使用的应用 for those classes")]
    names = ", ".join(sorted(reachable))
    return [*found, ok(SCOPE, f"a 学校通知 from this app reaches the families of {len(reachable)} class(es): {names}")]


async def _get(session: aiohttp.ClientSession, wecom: WecomSettings, path: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """(HTTP status, JSON body) of a GET to WeCom; (0, {}) when it cannot be reached. The query
    (secret, token) travels only in the request."""
    try:
        async with session.get(URL(wecom.api_base_url) / path, params=params) as answer:
            body = await answer.json(content_type=None) if answer.status < 500 else None
            return answer.status, body if isinstance(body, dict) else {}
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return 0, {}
