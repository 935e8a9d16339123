"""A local WeCom server API: the `/cgi-bin/` routes this bot calls, with WeCom's JSON shapes.

Nothing here can reach qyapi.weixin.qq.com, so the real wechatpy client is pointed at this
server through its API base URL (CHANNEL_NOTES.md W7) by the tests, `make demo` and the bench.
It issues and checks access tokens (and can expire them), records every message sent, enforces
the rules that shape the bot's design (single-use card response codes, all-invalid recipients →
81013, `enable_duplicate_check`, and the silent one: app messages to a member beyond 30 a minute
are answered ok and dropped; the group chats' own rules are in group_chats.py), and injects
faults: an errcode (e.g. 45009) or a bare HTTP 5xx.

Route shapes: `GET gettoken`, `POST message/send`, `POST message/update_template_card`,
`POST appchat/create`, `GET appchat/get`, `POST appchat/send`, `POST menu/create`,
`POST externalcontact/groupchat/get`, `POST externalcontact/add_msg_template`,
`POST externalcontact/get_groupmsg_send_result`,
`POST webhook/send?key=` (a group robot; no access token); the web login's `GET
/wwlogin/sso/login` page and `GET auth/getuserinfo` (web_login.py); the school contacts and the
staff directory (school.py).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bots.wecom.fakes.callbacks import CORP_ID
from bots.wecom.fakes.group_chats import GroupChatRoutes
from bots.wecom.fakes.school import SchoolContacts
from bots.wecom.fakes.web_login import LOGIN_PATH, WebLogin
from bots.wecom.fakes.wire import ERRORS, WecomFailure, text_of

CARD_WITH_CODE = frozenset({"button_interaction", "vote_interaction", "multiple_interaction"})

_EVERY_API: list[FakeWecomApi] = []


def every_wecom_api() -> list[FakeWecomApi]:
    """All fakes started in this process, for the suite-wide privacy scan."""
    return list(_EVERY_API)


@dataclass(frozen=True)
class WecomRequest:
    path: str
    body: dict[str, Any]
    query: dict[str, str]


@dataclass
class _Fault:
    errcode: int = 0
    http_status: int = 0
    retry_after: str | None = None
    delay_seconds: float = 0.0
    path: str | None = None


@dataclass
class FakeWecomApi(GroupChatRoutes):
    corp_id: str = CORP_ID
    secret: str = "fake-secret"
    agent_id: int = 1000002
    token_lifetime: int = 7200
    now: Callable[[], float] = time.monotonic
    received: list[WecomRequest] = field(default_factory=list)
    token_fetches: int = 0
    unknown_users: set[str] = field(default_factory=set)
    duplicates_suppressed: int = 0
    refused: list[tuple[str, int, float]] = field(default_factory=list)  # touser ("" if none), HTTP status or errcode, when
    member_limit_per_minute: int = 30  # WeCom's silent limit: app messages to one member beyond it are dropped, no error
    silently_dropped: int = 0
    card_updates: list[dict[str, Any]] = field(default_factory=list)
    menu: dict[str, Any] | None = None
    url: str = ""
    _tokens: dict[str, bool] = field(default_factory=dict)  # token → still valid
    _sent: list[tuple[dict[str, Any], str, float]] = field(default_factory=list)  # body, msgid, when
    _posts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    _codes: dict[str, bool] = field(default_factory=dict)  # response code → unused
    _app_chats: dict[str, dict[str, Any]] = field(default_factory=dict)
    _customer_groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    _templates: dict[str, dict[str, Any]] = field(default_factory=dict)  # group sends by msgid
    _robots: dict[str, str] = field(default_factory=dict)  # key → chat id
    _robot_times: dict[str, list[float]] = field(default_factory=dict)
    _faults: list[_Fault] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    web_login: WebLogin = field(init=False)
    school: SchoolContacts = field(default_factory=SchoolContacts)  # 家校通讯录 and the staff directory (school.py)

    def __post_init__(self) -> None:
        self.web_login = WebLogin(self.corp_id, self.agent_id)

    @property
    def base_url(self) -> str:
        return f"{self.url}/cgi-bin/"

    # -- what a test sets up -------------------------------------------------------------
    def expire_tokens(self) -> None:
        self._tokens = dict.fromkeys(self._tokens, False)

    def fail_next(self, errcode: int, *, times: int = 1, path: str | None = None) -> None:
        self._faults.extend(_Fault(errcode=errcode, path=path) for _ in range(times))

    def fail_http_next(self, status: int, *, times: int = 1, retry_after: str | None = None, path: str | None = None) -> None:
        """The next `times` calls (to `path`, or any) meet WeCom's front door failing (429 with or
        without Retry-After, 500, …) before WeCom sees them: nothing is sent."""
        self._faults.extend(_Fault(http_status=status, retry_after=retry_after, path=path) for _ in range(times))

    def slow_next(self, seconds: float, *, times: int = 1, path: str | None = None) -> None:
        """The next `times` calls (to `path`, or any) are answered after `seconds`, and done."""
        self._faults.extend(_Fault(delay_seconds=seconds, path=path) for _ in range(times))

    def issue_response_code(self) -> str:
        code = f"rc-{next(self._ids)}"
        self._codes[code] = True
        return code

    # -- what a test reads -----------------------------------------------------------------
    def sent_messages(self) -> list[dict[str, Any]]:
        """message/send bodies accepted, in order (a suppressed duplicate is not repeated)."""
        return [body for body, _, _ in self._sent]

    def texts_to_user(self, userid: str) -> list[str]:
        return [text_of(body) for body in self.sent_messages() if userid in str(body.get("touser", "")).split("|")]

    # -- lifecycle -----------------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/cgi-bin/{path:.+}", self._handle)
        app.router.add_get(LOGIN_PATH, self.web_login.page)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        _EVERY_API.append(self)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # -- the routes ---------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            return web.json_response({"errcode": 47001, "errmsg": "data format error"})
        self.received.append(WecomRequest(path, body, dict(request.query)))
        fault = self._take_fault(path)
        if fault and fault.delay_seconds:
            await asyncio.sleep(fault.delay_seconds)
        elif fault and fault.http_status:
            self.refused.append((str(body.get("touser", "")), fault.http_status, self.now()))
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            return web.Response(status=fault.http_status, text="upstream error", headers=headers)
        try:
            if fault and fault.errcode:
                self.refused.append((str(body.get("touser", "")), fault.errcode, self.now()))
                raise WecomFailure(fault.errcode)
            if path == "gettoken":
                return web.json_response(self._gettoken(request.query))
            if path == "webhook/send":
                return web.json_response(self._robot(request.query.get("key", ""), body))
            self._check_token(request.query.get("access_token", ""))
            route = self._routes().get(path)
            if route is None:
                return web.json_response({"errcode": 404, "errmsg": f"fake has no {path}"}, status=404)
            return web.json_response({"errcode": 0, "errmsg": "ok", **route(body, request.query)})
        except WecomFailure as failure:
            return web.json_response({"errcode": failure.errcode, "errmsg": ERRORS.get(failure.errcode, "error")})

    def _routes(self) -> dict[str, Callable[[dict[str, Any], Any], dict[str, Any]]]:
        return {"message/send": self._message_send, "message/update_template_card": self._update_card,
                "appchat/create": self._appchat_create, "appchat/get": self._appchat_get, "appchat/send": self._appchat_send,
                "menu/create": self._menu_create, "externalcontact/groupchat/get": self._groupchat_get,
                "externalcontact/add_msg_template": self._add_msg_template,
                "externalcontact/get_groupmsg_send_result": self._groupmsg_send_result, "auth/getuserinfo": self.web_login.user_info,
                **self.school.routes()}

    def _take_fault(self, path: str) -> _Fault | None:
        for index, fault in enumerate(self._faults):
            if fault.path is None or fault.path == path:
                return self._faults.pop(index)
        return None

    def _gettoken(self, query: Any) -> dict[str, Any]:
        if query.get("corpid") != self.corp_id:
            raise WecomFailure(40013)
        if query.get("corpsecret") != self.secret:
            raise WecomFailure(40001)
        self.token_fetches += 1
        token = f"tok-{next(self._ids)}"
        self._tokens[token] = True
        return {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": self.token_lifetime}

    def _check_token(self, token: str) -> None:
        if not token:
            raise WecomFailure(41001)
        if token not in self._tokens:
            raise WecomFailure(40014)
        if not self._tokens[token]:
            raise WecomFailure(42001)

    def _message_send(self, body: dict[str, Any], query: Any) -> dict[str, Any]:
        if body.get("agentid") != self.agent_id:
            raise WecomFailure(40056)
        users = [u for u in str(body.get("touser", "")).split("|") if u]
        invalid = [u for u in users if u in self.unknown_users]
        if users and len(invalid) == len(users):
            raise WecomFailure(81013)
        previous = self._duplicate_of(body)
        if previous is not None:
            self.duplicates_suppressed += 1
            return {"invaliduser": "|".join(invalid), "invalidparty": "", "invalidtag": "", "unlicenseduser": "", "msgid": previous}
        msgid = f"msg-{next(self._ids)}"
        if any(self._over_member_limit(user) for user in users if user not in invalid):
            self.silently_dropped += 1  # answered ok, never shown: what WeCom does past its per-member limit
            return {"invaliduser": "|".join(invalid), "invalidparty": "", "invalidtag": "", "unlicenseduser": "", "msgid": msgid}
        self._sent.append((body, msgid, self.now()))
        answer = {"invaliduser": "|".join(invalid), "invalidparty": "", "invalidtag": "", "unlicenseduser": "", "msgid": msgid}
        if body.get("msgtype") == "template_card" and body["template_card"].get("card_type") in CARD_WITH_CODE:
            answer["response_code"] = self.issue_response_code()
        return answer

    def _over_member_limit(self, userid: str) -> bool:
        recent = [when for body, _, when in self._sent if userid in str(body.get("touser", "")).split("|") and self.now() - when < 60]
        return len(recent) >= self.member_limit_per_minute

    def delivered_at(self, userid: str) -> list[float]:
        """When each message shown to `userid` was accepted (by the fake's clock)."""
        return [when for body, _, when in self._sent if userid in str(body.get("touser", "")).split("|")]

    def _duplicate_of(self, body: dict[str, Any]) -> str | None:
        if not body.get("enable_duplicate_check"):
            return None
        window = float(body.get("duplicate_check_interval") or 1800)
        same = _without_check(body)
        repeated = (msgid for earlier, msgid, when in reversed(self._sent)
                    if self.now() - when <= window and _without_check(earlier) == same)
        return next(repeated, None)

    def _update_card(self, body: dict[str, Any], query: Any) -> dict[str, Any]:
        code = str(body.get("response_code", ""))
        if not self._codes.get(code):
            raise WecomFailure(95007)
        self._codes[code] = False
        self.card_updates.append(body)
        return {"invaliduser": []}

    def _menu_create(self, body: dict[str, Any], query: Any) -> dict[str, Any]:
        if str(query.get("agentid")) != str(self.agent_id):
            raise WecomFailure(40056)
        self.menu = body
        return {}


def _without_check(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in ("enable_duplicate_check", "duplicate_check_interval")}
