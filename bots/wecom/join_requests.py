"""Joins the server makes for chats WeCom sends no "joined" event for: a chat this app created,
one added by hand, or a class's 班级群 named by the school contacts. Queued on the durable inbox
so the CLI and a directory sync need no running server."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from state.due import DueItem, Queue

JOIN = "wecom.join"


def join_request(chat_id: str, kind: str, at: datetime, place: Mapping[str, str] | None = None) -> DueItem:
    """Queued by `esafety-bot wecom add-chat` / `create-chat`, and by a directory sync for each
    class's 班级群 (`place`: its class and 班主任): the server reads the roster and joins, exactly
    as if WeCom had told it (the CLI needs no running server)."""
    return DueItem(queue=Queue.INBOX, item_id=f"join:{chat_id}", kind=JOIN, due_at=at,
                   payload={"chat_id": chat_id, "kind": kind, "place": dict(place or {})})
