"""A local WeCom server API: the `/cgi-bin/` routes this bot calls, with WeCom's JSON shapes.

Nothing here can reach qyapi.weixin.qq.com, so the real wechatpy client is pointed at this
server through its API base URL (CHANNEL_NOTES.md W7) by the tests, `make demo` and the bench.
It issues and checks access tokens (and can expire them), records every message sent, enforces
the rules that shape the bot's design (appchat only for chats this app created, a robot's
20 messages a minute, single-use card response codes, all-invalid recipients → 81013,
`enable_duplicate_check`), and injects faults: an errcode (e.g. 45009) or a bare HTTP 5xx.

Route shapes: `GET gettoken`, `POST message/send`, `POST message/update_template_card`,
`POST appchat/create`, `GET appchat/get`, `POST appchat/send`, `POST menu/create`,
`POST externalcontact/groupchat/get`, `POST externalcontact/add_msg_template`,
`POST webhook/send?key=` (a group robot; no access token).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

ERRORS = {40001: "invalid credential", 40013: "invalid corpid", 40014: "invalid access_token", 40056: "invalid agentid",
          41001: "access_token missing", 42001: "access_token expired", 45009: "api freq out of limit",
          81013: "user & party & tag all invalid", 86003: "chat not exists", 86215: "chat member count invalid",
          93000: "invalid webhook url", 95007: "response_code invalid or already used", 40050: "chatid not found"}
CARD_WITH_CODE = frozenset({"button_interaction", "vote_interaction", "multiple_interaction"})

_EVERY_API: list[FakeWecomApi] = []


def every_wecom_api() -> list[FakeWecomApi]:
    """All fakes started in this process, for the suite-wide privacy scan."""
    return list(_EVERY_API)


class WecomFailure(Exception):
    def __init__(self, errcode: int) -> None:
        super().__init__(errcode)
        self.errcode = errcode


@dataclass(frozen=True)
class WecomRequest:
    path: str
    body: dict[str, Any]
    query: dict[str, str]


@dataclass
class _Fault:
    errcode: int = 0
    http_status: int = 0
    delay_seconds: float = 0.0
    path: str | None = None


@dataclass
class FakeWecomApi:
    corp_id: str = "ww-fake-corp"
    secret: str = "fake-secret"
    agent_id: int = 1000002
    token_lifetime: int = 7200
    now: Callable[[], float] = time.monotonic
    received: list[WecomRequest] = field(default_factory=list)
    token_fetches: int = 0
    unknown_users: set[str] = field(default_factory=set)
    duplicates_suppressed: int = 0
    card_updates: list[dict[str, Any]] = field(default_factory=list)
    menu: dict[str, Any] | None = None
    url: str = ""
    _tokens: dict[str, bool] = field(default_factory=dict)  # token → still valid
    _sent: list[tuple[dict[str, Any], str, float]] = field(default_factory=list)  # body, msgid, when
    _posts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    _codes: dict[str, bool] = field(default_factory=dict)  # response code → unused
    _app_chats: dict[str, dict[str, Any]] = field(default_factory=dict)
    _customer_groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    _robots: dict[str, str] = field(default_factory=dict)  # key → chat id
    _robot_times: dict[str, list[float]] = field(default_factory=dict)
    _faults: list[_Fault] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return f"{self.url}/cgi-bin/"

    # -- what a test sets up -------------------------------------------------------------
    def add_app_chat(self, chat_id: str, *, name: str, owner: str, userlist: Sequence[str]) -> str:
        self._app_chats[chat_id] = {"chatid": chat_id, "name": name, "owner": owner, "userlist": list(userlist), "chat_type": 0}
        return chat_id

    def add_customer_group(self, chat_id: str, *, name: str, owner: str, members: Sequence[tuple[str, int]]) -> None:
        self._customer_groups[chat_id] = {"chat_id": chat_id, "name": name, "owner": owner, "create_time": 1_700_000_000,
                                          "notice": "", "admin_list": [], "member_list": []}
        self.set_customer_group_members(chat_id, members)

    def set_customer_group_members(self, chat_id: str, members: Sequence[tuple[str, int]]) -> None:
        """Members as (userid or external_userid, type): type 1 = staff, 2 = external contact."""
        self._customer_groups[chat_id]["member_list"] = [
            {"userid": userid, "type": kind, "join_time": 1_700_000_000, "join_scene": 1, "name": userid,
             **({"unionid": f"union-{userid}"} if kind == 2 else {})} for userid, kind in members]

    def add_robot(self, key: str, chat_id: str) -> str:
        self._robots[key] = chat_id
        return f"{self.url}/cgi-bin/webhook/send?key={key}"

    def expire_tokens(self) -> None:
        self._tokens = dict.fromkeys(self._tokens, False)

    def fail_next(self, errcode: int, *, times: int = 1, path: str | None = None) -> None:
        self._faults.extend(_Fault(errcode=errcode, path=path) for _ in range(times))

    def fail_http_next(self, status: int, *, times: int = 1) -> None:
        self._faults.extend(_Fault(http_status=status) for _ in range(times))

    def slow_next(self, seconds: float, *, times: int = 1) -> None:
        self._faults.extend(_Fault(delay_seconds=seconds) for _ in range(times))

    def issue_response_code(self) -> str:
        code = f"rc-{next(self._ids)}"
        self._codes[code] = True
        return code

    # -- what a test reads -----------------------------------------------------------------
    def sent_messages(self) -> list[dict[str, Any]]:
        """message/send bodies accepted, in order (a suppressed duplicate is not repeated)."""
        return [body for body, _, _ in self._sent]

    def texts_to_user(self, userid: str) -> list[str]:
        return [_content(body) for body in self.sent_messages() if userid in str(body.get("touser", "")).split("|")]

    def group_posts(self) -> list[tuple[str, dict[str, Any]]]:
        """(chat id, body) of every appchat/send and robot webhook post."""
        return list(self._posts)

    def group_texts(self, chat_id: str) -> list[str]:
        return [_content(body) for target, body in self._posts if target == chat_id]

    # -- lifecycle -----------------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/cgi-bin/{path:.+}", self._handle)
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
            return web.Response(status=fault.http_status, text="upstream error")
        try:
            if fault and fault.errcode:
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
                "externalcontact/add_msg_template": self._add_msg_template}

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
        self._sent.append((body, msgid, self.now()))
        answer = {"invaliduser": "|".join(invalid), "invalidparty": "", "invalidtag": "", "unlicenseduser": "", "msgid": msgid}
        if body.get("msgtype") == "template_card" and body["template_card"].get("card_type") in CARD_WITH_CODE:
            answer["response_code"] = self.issue_response_code()
        return answer

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

    def _appchat_create(self, body: dict[str, Any], query: Any) -> dict[str, Any]:
        users = list(body.get("userlist") or [])
        if not 2 <= len(users) <= 500:
            raise WecomFailure(86215)
        chat_id = str(body.get("chatid") or f"chat-{next(self._ids)}")
        self.add_app_chat(chat_id, name=str(body.get("name", "")), owner=str(body.get("owner", "")), userlist=users)
        return {"chatid": chat_id}

    def _appchat_get(self, body: dict[str, Any], query: Any) -> dict[str, Any]:
        chat = self._app_chats.get(query.get("chatid", ""))
        if chat is None:
            raise WecomFailure(86003)
        return {"chat_info": chat}

    def _appchat_send(self, body: dict[str, Any], query: Any) -> dict[str, Any]:
        chat_id = str(body.get("chatid", ""))
        if chat_id not in self._app_chats:
            raise WecomFailure(86003)
        self._posts.append((chat_id, body))
        return {}

    def _menu_create(self, body: dict[str, Any], query: Any) -> dict[str, Any]:
        if str(query.get("agentid")) != str(self.agent_id):
            raise WecomFailure(40056)
        self.menu = body
        return {}

    def _groupchat_get(self, body: dict[str, Any], query: Any) -> dict[str, Any]:
        group = self._customer_groups.get(str(body.get("chat_id", "")))
        if group is None:
            raise WecomFailure(40050)
        return {"group_chat": group}

    def _add_msg_template(self, body: dict[str, Any], query: Any) -> dict[str, Any]:
        return {"fail_list": [], "msgid": f"msgGAJ-{next(self._ids)}"}

    def _robot(self, key: str, body: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._robots.get(key)
        if chat_id is None:
            raise WecomFailure(93000)
        recent = [t for t in self._robot_times.get(key, []) if self.now() - t < 60]
        if len(recent) >= 20:
            raise WecomFailure(45009)
        self._robot_times[key] = [*recent, self.now()]
        self._posts.append((chat_id, body))
        return {"errcode": 0, "errmsg": "ok"}


def _content(body: dict[str, Any]) -> str:
    kind = body.get("msgtype", "")
    if kind == "template_card":
        return str(body["template_card"].get("main_title", {}).get("title", ""))
    return str((body.get(kind) or {}).get("content", ""))


def _without_check(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in ("enable_duplicate_check", "duplicate_check_interval")}
