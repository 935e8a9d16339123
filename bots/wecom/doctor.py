"""`doctor`'s WeCom checks: the app's settings and an access token fetched with them.

A wrong corp id or app secret still lets callbacks arrive (they are checked with the callback
token and AES key), but nothing can be sent: every alert to a lead stops (004 strategy 9). So
doctor calls `gettoken` as the bot will, at WECOM_API_BASE_URL. A call that cannot reach WeCom is
"not checked", never a failure, as is WeCom saying it is busy. The secret travels only in the
request; nothing printed holds it. The school's proxy is used when HTTPS_PROXY is set.
"""

from __future__ import annotations

import re

import aiohttp
from yarl import URL

from bots.findings import Finding, not_checked, ok, problem
from bots.wecom.settings import WecomSettings

FETCH_TIMEOUT = aiohttp.ClientTimeout(total=10)
CORP_ID = re.compile(r"w[wx][0-9A-Za-z]{4,32}")
CHECK = "wecom credentials"
BUSY = (-1, 45009)  # system busy, frequency limit: WeCom's own state, not the credentials


async def wecom_findings(wecom: WecomSettings) -> list[Finding]:
    if not CORP_ID.fullmatch(wecom.corp_id):
        return [problem(CHECK, f"WECOM_CORP_ID {wecom.corp_id!r} does not look like a corp id (it starts with ww): copy it from "
                               f"My Company → Company Information in the WeCom admin console")]
    return [await fetch_token(wecom)]


async def fetch_token(wecom: WecomSettings) -> Finding:
    url = URL(wecom.api_base_url) / "gettoken"
    try:
        async with aiohttp.ClientSession(timeout=FETCH_TIMEOUT, trust_env=True) as session, \
                session.get(url, params={"corpid": wecom.corp_id, "corpsecret": wecom.secret}) as answer:
            status = answer.status
            body = await answer.json(content_type=None) if status < 500 else None
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        return not_checked(CHECK, f"{url.host} could not be reached from here ({type(error).__name__}): the token fetch was not tried")
    if status >= 500 or not isinstance(body, dict) or body.get("errcode") in BUSY:
        return not_checked(CHECK, f"WeCom is busy (HTTP {status}, errcode {body.get('errcode') if isinstance(body, dict) else '?'}): "
                                  f"try again later")
    if body.get("errcode", 0) == 0 and body.get("access_token"):
        return ok(CHECK, f"WeCom issued an access token to corp {wecom.corp_id}")
    return problem(CHECK, f"WeCom refused the app's credentials (errcode {body.get('errcode')}: {body.get('errmsg', '')}): check "
                          f"WECOM_CORP_ID and WECOM_SECRET (the app's Secret, not the callback token)")
