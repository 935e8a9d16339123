"""`/wecom/callback`: the self-built app's signed, AES-encrypted callbacks (CHANNEL_NOTES.md W6).

`GET` is WeCom's URL check: verify `msg_signature`, decrypt `echostr`, echo the plaintext.
`POST` answers are fixed (issue 5): a bad signature or a timestamp more than 5 minutes off → 403;
undecryptable or malformed XML (a DTD or entity included) → 400; a body over 256 KiB → 413;
a callback already accepted (WeCom's retry, a replay) → 200 `success`, not processed again;
the Store unable to take it → 503, so WeCom retries, and a person's message is answered at once
(`message/send`, which needs no Store) that it was not saved.

WeCom retries a callback not answered within about 5 s, so a good one is stored in the inbox
(its dedup key remembered in the same atomic step) *before* answering, answered at once, and
processed by the inbox worker; a crash after answering leaves it there for the next start.
The XML is parsed with defusedxml, which refuses DTDs and entities (no "billion laughs").
Each refusal is one log line with the reason, never the body or the query string.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import defusedxml.ElementTree as SafeET
from aiohttp import web
from defusedxml import DefusedXmlException
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException

from bots.http import Refused
from handlers.runtime.doorbell import Doorbell
from state.clock import Clock
from state.due import DueItem, Queue
from state.store import Store

log = logging.getLogger("esafety.wecom")
CALLBACK = "wecom.callback"
MAX_CLOCK_SKEW_SECONDS = 300
MAX_TIMESTAMP_DIGITS = 12  # a float subtraction of a 400-digit number overflows: refuse it as malformed first
REPLAY_MEMORY_SECONDS = 7 * 86_400
SUCCESS = "success"
NOT_SAVED_REPLY_SECONDS = 10.0
REPEATED = "ChangeList"  # change_school_contact_batch lists its changes as repeated flat entries


@dataclass(frozen=True)
class WecomCallbacks:
    crypto: WeChatCrypto
    store: Store
    clock: Clock
    doorbell: Doorbell
    tell_not_saved: Callable[[str], Awaitable[None]]  # to a userid, needing no Store

    async def verify_url(self, request: web.Request) -> web.Response:
        """WeCom's URL check when the callback URL is saved in the admin console."""
        try:
            signature, timestamp, nonce = self._signed(request)
            echo = request.query.get("echostr", "")
            if not echo:
                raise Refused(400, "echostr missing")
            try:
                plain = self.crypto.check_signature(signature, timestamp, nonce, echo)
            except InvalidSignatureException:
                raise Refused(403, "bad signature") from None
            except Exception as error:  # an echostr that will not decrypt
                raise Refused(400, f"echostr does not decrypt ({type(error).__name__})") from None
            return web.Response(text=plain if isinstance(plain, str) else plain.decode())
        except Refused as refusal:
            return _refused(refusal)

    async def receive(self, request: web.Request) -> web.Response:
        try:
            signature, timestamp, nonce = self._signed(request)
            plaintext, message = opened(self.crypto, await _body(request), signature, timestamp, nonce)
        except Refused as refusal:
            return _refused(refusal)
        key, sender = dedup_key(message), message.findtext("FromUserName") or ""
        item = DueItem(queue=Queue.INBOX, item_id=key, kind=CALLBACK, due_at=self.clock.now(), payload={"xml": plaintext},
                       partition=f"wecom:{sender}")
        try:
            fresh = await self.store.accept_inbound(f"wecom:callback:{key}", item, REPLAY_MEMORY_SECONDS)
        except Exception as error:  # the Store is down: WeCom retries a non-success answer; the person hears it now
            log.error("a wecom callback could not be stored (%s): WeCom will retry it", type(error).__name__)
            if message.findtext("MsgType") != "event" and sender:
                await self._tell_not_saved(sender)
            return web.Response(status=503, text="not saved")
        if fresh:
            self.doorbell.ring(Queue.INBOX)
        else:
            log.info("wecom callback already accepted: ignored")
        return web.Response(text=SUCCESS)

    async def _tell_not_saved(self, userid: str) -> None:
        try:
            await asyncio.wait_for(self.tell_not_saved(userid), NOT_SAVED_REPLY_SECONDS)
        except Exception as error:
            log.error("the sender of an unsaved wecom callback could not be told either (%s)", type(error).__name__)

    def _signed(self, request: web.Request) -> tuple[str, str, str]:
        signature, timestamp, nonce = (request.query.get(name, "") for name in ("msg_signature", "timestamp", "nonce"))
        if not (signature and timestamp and nonce):
            raise Refused(403, "msg_signature, timestamp and nonce are required")
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= MAX_TIMESTAMP_DIGITS):
            raise Refused(403, "timestamp is not a Unix time in seconds")
        sent_at = int(timestamp)
        if abs(self.clock.now().timestamp() - sent_at) > MAX_CLOCK_SKEW_SECONDS:
            raise Refused(403, f"timestamp more than {timedelta(seconds=MAX_CLOCK_SKEW_SECONDS)} off")
        return signature, timestamp, nonce


def opened(crypto: WeChatCrypto, body: bytes, signature: str, timestamp: str, nonce: str) -> tuple[str, ET.Element]:
    """The callback's plaintext and its parsed message, from the signed, encrypted envelope; or
    `Refused` (400 for what is malformed, 403 for a bad signature), never anything else."""
    envelope = _parse(body, "envelope")
    encrypted = envelope.findtext("Encrypt")
    if not encrypted:
        raise Refused(400, "envelope has no Encrypt element")
    try:
        plain = crypto.decrypt_message({"Encrypt": encrypted}, signature, timestamp, nonce)
    except InvalidSignatureException:
        raise Refused(403, "bad signature") from None
    except Exception as error:  # wrong key, padding or corp id
        raise Refused(400, f"message does not decrypt ({type(error).__name__})") from None
    plaintext = plain if isinstance(plain, str) else plain.decode()
    return plaintext, _well_formed(_parse(plaintext, "decrypted message"))


def _well_formed(message: ET.Element) -> ET.Element:
    """A message as WeCom writes one: flat, each field once (but for the flat `ChangeList`
    entries of change_school_contact_batch), a Unix CreateTime, a MsgType, an Event for an event,
    and who sent it. Anything else is refused here, with the reason, rather than accepted and then
    failing in the worker, where it would be parked unanswered."""
    tags = [child.tag for child in message if child.tag != REPEATED]
    if len(tags) != len(set(tags)):
        raise Refused(400, "a field appears twice in the message")
    if any(len(child) for child in message if child.tag != REPEATED) or any(len(part) for entry in message.iter(REPEATED)
                                                                          for part in entry):
        raise Refused(400, "a field of the message holds elements")
    created, kind = (message.findtext("CreateTime") or "").strip(), (message.findtext("MsgType") or "").strip()
    if not (created.isascii() and created.isdigit() and len(created) <= MAX_TIMESTAMP_DIGITS):
        raise Refused(400, "CreateTime is not a Unix time in seconds")
    if not kind or (kind == "event" and not (message.findtext("Event") or "").strip()):
        raise Refused(400, "the message has no MsgType, or an event no Event")
    if not (message.findtext("FromUserName") or "").strip():
        raise Refused(400, "the message has no FromUserName")
    return message


def dedup_key(message: ET.Element) -> str:
    """`MsgId` for a message; for an event (which has none) the fields that tell two events
    apart even when they share a second (W6)."""
    msg_id = message.findtext("MsgId")
    if msg_id:
        return f"msg:{msg_id}"
    fields = ("FromUserName", "CreateTime", "Event", "ChangeType", "ChatId", "ExternalUserID", "UpdateDetail", "EventKey", "TaskId",
              "UserID", "Id", "NewId")
    changes = [ET.tostring(entry, encoding="unicode") for entry in message.iter(REPEATED)]
    listed = "|" + hashlib.sha256("".join(changes).encode()).hexdigest()[:32] if changes else ""
    return "event:" + "|".join(message.findtext(name) or "" for name in fields) + listed


async def _body(request: web.Request) -> bytes:
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise Refused(413, "body too large") from None


def _parse(xml: bytes | str, what: str) -> ET.Element:
    try:
        root: ET.Element = SafeET.fromstring(xml, forbid_dtd=True)
    except DefusedXmlException:
        raise Refused(400, f"{what} has a DTD or entities") from None
    except ET.ParseError:
        raise Refused(400, f"{what} is not well-formed XML") from None
    if root.tag != "xml":
        raise Refused(400, f"{what} is not a WeCom <xml> document")
    return root


def _refused(refusal: Refused) -> web.Response:
    log.warning("wecom callback refused: %d %s", refusal.status, refusal.reason)
    return web.json_response({"error": refusal.reason}, status=refusal.status)
