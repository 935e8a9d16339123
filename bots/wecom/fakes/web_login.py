"""The fake WeCom's web login (企业微信登录, the OAuth2 code flow of a self-built app): the
`wwlogin/sso/login` page where a member is picked (the real one shows a QR code to scan with
WeCom), the redirect back with `code` and `state`, and `auth/getuserinfo`, which trades a code,
once, for the member's `userid`. An unknown or used code is 40029, as WeCom answers."""

from __future__ import annotations

import html
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bots.wecom.fakes.wire import WecomFailure

INVALID_CODE = 40029
LOGIN_PATH = "/wwlogin/sso/login"


@dataclass
class WebLogin:
    corp_id: str
    agent_id: int
    members: dict[str, str] = field(default_factory=dict)  # userid → name, offered on the login page
    sign_in_as: str | None = None  # skip the page (tests without a browser)
    _codes: dict[str, str] = field(default_factory=dict)  # code → userid, each used once

    async def page(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        if query.get("appid") != self.corp_id or query.get("agentid") != str(self.agent_id) or not query.get("redirect_uri"):
            return web.Response(status=400, text="unknown app")
        back, state = query["redirect_uri"], query.get("state", "")
        if self.sign_in_as is not None:
            raise web.HTTPFound(self._back(back, state, self.sign_in_as))
        if "userid" in query and query["userid"] in self.members:
            raise web.HTTPFound(self._back(back, state, query["userid"]))
        choices = "".join(f'<li><a href="?{urlencode({**query, "userid": userid})}">{html.escape(name)}</a></li>'
                          for userid, name in self.members.items())
        page = (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>企业微信登录（演示）</title></head><body>'
                f"<h1>企业微信登录（演示）</h1><p>A stand-in for WeCom's login, where a member scans a QR code with WeCom. "
                f"Sign in as:</p><ul>{choices}</ul></body></html>")
        return web.Response(text=page, content_type="text/html")

    def user_info(self, body: dict[str, Any], query: Any) -> dict[str, Any]:
        userid = self._codes.pop(str(query.get("code", "")), None)
        if userid is None:
            raise WecomFailure(INVALID_CODE)
        return {"userid": userid}

    def _back(self, redirect_uri: str, state: str, userid: str) -> str:
        code = secrets.token_urlsafe(24)
        self._codes[code] = userid
        return f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{urlencode({'code': code, 'state': state, 'appid': self.corp_id})}"
