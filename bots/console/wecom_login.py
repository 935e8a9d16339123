"""Signing in to the console with WeCom, for schools whose staff live in WeCom (企业微信): the
self-built app's web login (OAuth2 code, `login_type=CorpApp`), then `auth/getuserinfo`, which
names the member by their WeCom userid. No password of ours; WeCom's own login (a QR code scanned
in the WeCom app, with the school's security settings) vouches for the person.

It needs the app's existing WeCom settings and `ESAFETY_CONSOLE_URL`, the address WeCom sends the
browser back to (its domain must be the app's trusted domain, 可信域名).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from bots.console.oidc import SignInFailed
from bots.wecom.api import WecomApi, WecomError


class WecomSignIn:
    def __init__(self, api: WecomApi, login_url: str) -> None:
        self._api = api
        self._login_url = login_url

    def start_url(self, redirect_uri: str, state: str) -> str:
        query = {"login_type": "CorpApp", "appid": self._api.settings.corp_id, "agentid": str(self._api.agent_id),
                 "redirect_uri": redirect_uri, "state": state}
        return f"{self._login_url}?{urlencode(query)}"

    async def user_id(self, code: str) -> str:
        """The member WeCom says signed in; an outside contact (no userid) or a refused code is a SignInFailed."""
        def ask(client: Any) -> dict[str, Any]:
            answer: dict[str, Any] = client.get("auth/getuserinfo", params={"code": code})
            return answer

        try:
            answer = await self._api.call(ask)
        except WecomError as error:
            raise SignInFailed(f"WeCom did not accept the sign-in ({error.errcode}: {error.errmsg})") from None
        userid = answer.get("userid") or answer.get("UserId")
        if not userid:
            raise SignInFailed("WeCom knows this person only as an outside contact, not as a member of the school")
        return str(userid)
