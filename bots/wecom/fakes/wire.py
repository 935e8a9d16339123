"""WeCom's wire shapes that the fake's routes share: its errcodes, and the text of a message body."""

from __future__ import annotations

from typing import Any

ERRORS = {40001: "invalid credential", 40013: "invalid corpid", 40014: "invalid access_token", 40056: "invalid agentid",
          41001: "access_token missing", 42001: "access_token expired", 45009: "api freq out of limit",
          81013: "user & party & tag all invalid", 86003: "chat not exists", 86215: "chat member count invalid",
          93000: "invalid webhook url", 95007: "response_code invalid or already used", 40050: "chatid not found",
          40029: "invalid code", 60123: "invalid party id", 60111: "userid not found", 40068: "invalid tagid",
          48002: "api forbidden", 90501: "not a customer group chat", 41063: "invalid msgid"}


class WecomFailure(Exception):
    def __init__(self, errcode: int) -> None:
        super().__init__(errcode)
        self.errcode = errcode


def text_of(body: dict[str, Any]) -> str:
    kind = body.get("msgtype", "")
    if kind == "template_card":
        return str(body["template_card"].get("main_title", {}).get("title", ""))
    return str((body.get(kind) or {}).get("content", ""))
