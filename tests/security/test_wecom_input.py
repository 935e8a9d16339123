"""Hostile WeCom input, generated: callbacks built as WeCom builds them, encrypted and signed
properly, then mutated (and envelopes mutated after sealing). Each is read or refused with a 4xx,
never an exception that would be a 5xx; what is accepted, the worker can parse."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from wechatpy.enterprise.crypto import WeChatCrypto

from bots.http import Refused
from bots.wecom import translate
from bots.wecom.callbacks import dedup_key, opened
from bots.wecom.fakes.callbacks import AES_KEY, CORP_ID, TOKEN, WecomCallbacks
from bots.wecom.wechat_events import parse_callback
from state.clock import ManualClock

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
MAKE = WecomCallbacks(ManualClock(NOW))
CRYPTO = WeChatCrypto(TOKEN, AES_KEY, CORP_ID)
NASTY = st.sampled_from(["<!DOCTYPE x [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;\">]>", "<!ENTITY x SYSTEM \"file:///etc/passwd\">",
                         "&x;", "]]>", "<![CDATA[", "\x00", "\ud800", "<MsgType>event</MsgType>", "<xml>", "</xml>"])


@st.composite
def plaintexts(draw: st.DrawFn) -> str:
    """A real callback's plaintext with a slice of it replaced by text, markup or worse."""
    base = draw(st.sampled_from([
        MAKE.text("zhang.san", draw(st.text(max_size=30))), MAKE.menu_click("zhang.san", "report"),
        MAKE.card_click("lead01", "ack:C-2026-000001", task_id="t1", response_code="rc"),
        MAKE.external_chat("wr-6b", draw(st.sampled_from(["create", "update", "dismiss"])), detail="add_member"),
        MAKE.event("sys", "change_contact", ChangeType="update_user", UserID="lead01")]))
    start = draw(st.integers(0, len(base)))
    end = draw(st.integers(start, len(base)))
    return base[:start] + draw(st.text(max_size=20) | NASTY) + base[end:]


def accepted_or_refused(query: dict[str, str], body: bytes) -> None:
    try:
        plaintext, message = opened(CRYPTO, body, query["msg_signature"], query["timestamp"], query["nonce"])
    except Refused as refusal:
        status = refusal.status
    else:
        dedup_key(message)
        read = parse_callback(plaintext)  # what the worker does
        if read.type == "text":
            translate.direct_message(read, "e1")
        return
    assert 400 <= status < 500


@given(plaintexts())
def test_a_sealed_mutated_callback_is_read_or_refused(plaintext: str) -> None:
    try:
        query, body = MAKE.seal(plaintext)
    except UnicodeEncodeError:  # WeCom cannot send what cannot be encoded either
        return
    accepted_or_refused(query, body)


@given(st.integers(0, 400), st.integers(0, 400), st.text(max_size=20) | NASTY)
def test_an_envelope_mutated_after_sealing_is_refused(start: int, length: int, junk: str) -> None:
    query, body = MAKE.seal(MAKE.text("zhang.san", "hello"))
    mutated = body[:start] + junk.encode("utf-8", "surrogatepass") + body[start + length:]
    accepted_or_refused(query, mutated)


@given(st.text(alphabet="0123456789abcdef", min_size=40, max_size=40))
def test_a_forged_signature_is_a_403(signature: str) -> None:
    query, body = MAKE.seal(MAKE.text("zhang.san", "hello"))
    if signature == query["msg_signature"]:
        return
    with pytest.raises(Refused) as refused:
        opened(CRYPTO, body, signature, query["timestamp"], query["nonce"])
    assert refused.value.status == 403
