"""A neutral `Message` in WeCom's shapes: plain text; markdown for a title with lines sent to a
person; or a template card (模板卡片) for a message with buttons sent to a person (a case card).

Group posts cannot carry buttons on WeCom (appchat and robot messages are text or markdown), so
the welcome's "report a worry" buttons become a pointer to the app menu, whose item starts the
same private report (issue 5, item 4). A button's key is `verb` or `verb:case-reference`
(`ack:C-2026-000001`); `decode_button` reverses it when the click comes back.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from handlers.messenger import Button, Message
from policy_text.catalog import Speech

MENU_HINT_VERBS = frozenset({"report", "report_adult"})
TOGGLE_REPLY_HINT = "lesson.register_reply_hint"  # toggles are only used by the register (000 §5.6)
TITLE_LIMIT = 36  # template card main_title.title
SUBTITLE_LIMIT = 112  # sub_title_text
BUTTON_TEXT_LIMIT = 10
CODE = re.compile(r"`([^`]+)`")
FACTS_LIMIT, KEYNAME_LIMIT = 6, 10  # horizontal_content_list: rows, and a label's length (values are kept short by design)


def text(message: Message, catalog: Speech, locale: str, *, in_group: bool = False) -> str:
    """Title, facts and lines as one text; in a group, buttons become the app-menu hint."""
    parts = [catalog.say(message.key, locale, **message.fields), *facts(message, catalog, locale)]
    parts += [line for key, fields in message.lines if (line := catalog.say(key, locale, **fields))]  # "" is a retired sentence
    if in_group and any(button.verb in MENU_HINT_VERBS for button in message.buttons):
        parts.append(catalog.say("welcome.wecom_menu_hint", locale, menu_label=catalog.say("welcome.report_button", locale)))
    return plain("\n".join(parts))


def plain(words: str) -> str:
    """WeCom's plain text shows Markdown as typed: a `command` is quoted instead (“command”)."""
    return CODE.sub(r"“\1”", words)


def markdown(message: Message, catalog: Speech, locale: str) -> str:
    """A title with lines under it (a lead's `cases` list, one case's chronology) as WeCom
    markdown: the title in bold, each line quoted, so a long list stays readable. Toggles (a
    register's students) are numbered, with how to answer: app messages have no inputs."""
    title = catalog.say(message.key, locale, **message.fields)
    lines = [f"**{title}**", *(f"> {fact}" for fact in facts(message, catalog, locale)),
             *(f"> {line}" for key, fields in message.lines if (line := catalog.say(key, locale, **fields)))]
    if message.toggles:
        lines += [f"{number}. {label}" for number, (_, label) in enumerate(message.toggles, start=1)]
        lines.append(catalog.say(TOGGLE_REPLY_HINT, locale))
    return "\n".join(lines)


def template_card(message: Message, catalog: Speech, locale: str, *, task_id: str) -> dict[str, Any]:
    """A button-interaction card: the title; the facts as WeCom's labelled rows (at most six);
    the lines as the subtitle, whole lines only, and any that do not fit in its limit in the quote
    area below, so nothing is cut; one button per action."""
    sentences = [line for key, fields in message.lines if (line := catalog.say(key, locale, **fields))]
    fitting = 0
    while fitting < len(sentences) and len("\n".join(sentences[: fitting + 1])) <= SUBTITLE_LIMIT:
        fitting += 1
    card: dict[str, Any] = {
        "card_type": "button_interaction",
        "main_title": {"title": _clip(catalog.say(message.key, locale, **message.fields), TITLE_LIMIT)},
        "sub_title_text": _clip(plain("\n".join(sentences[:fitting]) or (sentences[0] if sentences else "")), SUBTITLE_LIMIT),
        "task_id": task_id,
        "button_list": [{"text": _clip(catalog.say(button.label_key, locale), BUTTON_TEXT_LIMIT), "style": 1, "key": encode_button(button)}
                        for button in message.buttons],
    }
    if message.facts:
        card["horizontal_content_list"] = [{"keyname": _clip(label, KEYNAME_LIMIT), "value": str(catalog.value(value, locale))}
                                           for key, value in message.facts[:FACTS_LIMIT] if (label := catalog.say(key, locale))]
    rest = sentences[max(fitting, 1):]
    if rest:
        card["quote_area"] = {"type": 0, "quote_text": plain("\n".join(rest))}
    return card


def facts(message: Message, catalog: Speech, locale: str) -> list[str]:
    """Each fact as `label: value`, for the texts that have no labelled rows."""
    return [catalog.say("format.fact", locale, label=label, value=catalog.value(value, locale))
            for key, value in message.facts if (label := catalog.say(key, locale))]


def task_id_for(userid: str, card: dict[str, Any], window: int) -> str:
    """Stable for the same card to the same person within one duplicate-check window, so a
    retried send is recognised by WeCom's `enable_duplicate_check`; new in the next window."""
    digest = hashlib.sha256(repr((userid, card, window)).encode()).hexdigest()[:40]
    return f"es-{digest}"


def encode_button(button: Button) -> str:
    extra = set(button.data) - {"case"}
    if extra:
        raise ValueError(f"a WeCom button key carries only a case reference, not {sorted(extra)}")
    return f"{button.verb}:{button.data['case']}" if "case" in button.data else button.verb


def decode_button(key: str) -> tuple[str, dict[str, Any]]:
    verb, _, case = key.partition(":")
    return verb, ({"case": case} if case else {})


def _clip(words: str, limit: int) -> str:
    return words if len(words) <= limit else words[: limit - 1] + "…"
