"""WeCom callbacks built the way WeCom builds them: the plaintext XML of a message or event,
AES-encrypted and signed with the same `WeChatCrypto` under a test token and EncodingAESKey,
wrapped in `<xml><ToUserName/><AgentID/><Encrypt/></xml>` with `msg_signature`, `timestamp`
and `nonce` in the query (CHANNEL_NOTES.md W6). Used by the WeCom tests, the demo and the bench.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import datetime

from wechatpy.enterprise.crypto import WeChatCrypto

from state.clock import Clock

TOKEN = "esafetyTestToken"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, as WeCom issues them
CORP_ID = "wwfakecorp000001"  # shaped like a real corp id, which doctor checks before asking for a token
AGENT_ID = 1000002


def settings_env(api_base_url: str) -> dict[str, str]:
    """The environment that points the bot at the fake WeCom API with these test secrets."""
    return {"WECOM_CORP_ID": CORP_ID, "WECOM_AGENT_ID": str(AGENT_ID), "WECOM_SECRET": "fake-secret", "WECOM_TOKEN": TOKEN,
            "WECOM_ENCODING_AES_KEY": AES_KEY, "WECOM_API_BASE_URL": api_base_url}


@dataclass
class WecomCallbacks:
    clock: Clock
    crypto: WeChatCrypto = field(default_factory=lambda: WeChatCrypto(TOKEN, AES_KEY, CORP_ID))
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def url_check(self, echo: str = "echo-check") -> dict[str, str]:
        """The query WeCom sends when the callback URL is saved: an encrypted, signed echostr."""
        nonce, timestamp = self._nonce(), str(int(self.clock.now().timestamp()))
        sealed = _parts(self.crypto.encrypt_message(echo, nonce, timestamp))
        return {"msg_signature": sealed["MsgSignature"], "timestamp": timestamp, "nonce": nonce, "echostr": sealed["Encrypt"]}

    def seal(self, plaintext: str, *, at: datetime | None = None) -> tuple[dict[str, str], bytes]:
        """Query and body of a POST carrying `plaintext`, encrypted and signed."""
        nonce = self._nonce()
        timestamp = str(int((at or self.clock.now()).timestamp()))
        sealed = _parts(self.crypto.encrypt_message(plaintext, nonce, timestamp))
        body = (f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><AgentID><![CDATA[{AGENT_ID}]]></AgentID>"
                f"<Encrypt><![CDATA[{sealed['Encrypt']}]]></Encrypt></xml>")
        return {"msg_signature": sealed["MsgSignature"], "timestamp": timestamp, "nonce": nonce}, body.encode()

    # -- plaintext messages and events, as WeCom sends them ----------------------------------
    def text(self, sender: str, content: str, *, msg_id: str | None = None) -> str:
        return self._xml(sender, "text", Content=content, MsgId=msg_id or str(10_000 + next(self._ids)), AgentID=str(AGENT_ID))

    def image(self, sender: str) -> str:
        return self._xml(sender, "image", PicUrl="http://example.invalid/p.jpg", MediaId="media", MsgId=str(10_000 + next(self._ids)),
                         AgentID=str(AGENT_ID))

    def menu_click(self, sender: str, key: str) -> str:
        return self._xml(sender, "event", Event="click", EventKey=key, AgentID=str(AGENT_ID))

    def enter_agent(self, sender: str) -> str:
        return self._xml(sender, "event", Event="enter_agent", EventKey="", AgentID=str(AGENT_ID))

    def card_click(self, sender: str, key: str, *, task_id: str, response_code: str) -> str:
        return self._xml(sender, "event", Event="template_card_event", EventKey=key, TaskId=task_id, CardType="button_interaction",
                         ResponseCode=response_code, AgentID=str(AGENT_ID))

    def event(self, sender: str, event: str, **fields: str) -> str:
        """Any other event, with its own fields (e.g. change_contact)."""
        return self._xml(sender, "event", Event=event, **fields)

    def external_chat(self, chat_id: str, change: str, *, detail: str = "", count: int = 0) -> str:
        """`change_external_chat` from `sys`: create / update (add_member, del_member) / dismiss."""
        return self._xml("sys", "event", Event="change_external_chat", ChatId=chat_id, ChangeType=change, UpdateDetail=detail,
                         JoinScene="1", MemChangeCnt=str(count))

    def school_change(self, change: str, changed_id: str, *, new_id: str = "") -> str:
        """`change_school_contact` from `sys`: create_student, update_parent, delete_department, …"""
        return self._xml("sys", "event", Event="change_school_contact", ChangeType=change, Id=changed_id,
                         **({"NewId": new_id} if new_id else {}))

    def school_change_batch(self, changes: list[tuple[str, str]]) -> str:
        """`change_school_contact_batch`: a burst of (ChangeType, Id) changes merged into one callback."""
        listed = "".join(f"<ChangeList><ChangeType><![CDATA[{change}]]></ChangeType><Id><![CDATA[{changed_id}]]></Id></ChangeList>"
                         for change, changed_id in changes)
        return self._xml("sys", "event", Event="change_school_contact_batch").replace("</xml>", f"{listed}</xml>")

    def _xml(self, sender: str, msg_type: str, **fields: str) -> str:
        created = str(int(self.clock.now().timestamp()))
        body = "".join(f"<{name}><![CDATA[{value}]]></{name}>" for name, value in fields.items())
        return (f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[{sender}]]></FromUserName>"
                f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>{body}</xml>")

    def _nonce(self) -> str:
        return f"nonce{next(self._ids)}"


def _parts(sealed_xml: str) -> dict[str, str]:
    return {name: _text(sealed_xml, name) for name in ("Encrypt", "MsgSignature")}


def _text(xml: str, name: str) -> str:
    found = re.search(rf"<{name}>(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?</{name}>", xml, re.S)
    assert found, name
    return found.group(1)
