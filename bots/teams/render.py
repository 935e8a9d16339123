"""A neutral `Message` as a Teams activity: plain text, or an Adaptive Card when it has lines
or buttons. Buttons are `Action.Execute` (verb + data), which Teams delivers as an
`adaptiveCard/action` invoke and lets the bot refresh the card in place for every viewer."""

from __future__ import annotations

from typing import Any

from botbuilder.schema import Activity, ActivityTypes, Attachment

from handlers.messenger import TOGGLE_PREFIX, Message
from policy_text.catalog import Speech

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"


def render(message: Message, catalog: Speech, locale: str) -> Activity:
    text = catalog.say(message.key, locale, **message.fields)
    if not message.facts and not message.lines and not message.buttons and not message.toggles:
        return Activity(type=ActivityTypes.message, text=text)
    return Activity(type=ActivityTypes.message, text=text, attachments=[
        Attachment(content_type=ADAPTIVE_CARD, content=card(message, catalog, locale))])


def card(message: Message, catalog: Speech, locale: str) -> dict[str, Any]:
    body: list[dict[str, Any]] = [{"type": "TextBlock", "text": catalog.say(message.key, locale, **message.fields),
                                   "weight": "Bolder", "size": "Medium", "wrap": True}]
    if message.facts:
        facts = [(catalog.say(label, locale), str(catalog.value(value, locale))) for label, value in message.facts]
        body.append({"type": "FactSet", "facts": [{"title": title, "value": value} for title, value in facts if title]})
    lines = [catalog.say(key, locale, **fields) for key, fields in message.lines]
    body += [{"type": "TextBlock", "text": line, "wrap": True} for line in lines if line]  # "" is a retired sentence
    body += [{"type": "Input.Toggle", "id": f"{TOGGLE_PREFIX}{toggle_id}", "title": label, "value": "false", "valueOn": "true",
              "valueOff": "false"} for toggle_id, label in message.toggles]
    actions = [{"type": "Action.Execute", "title": catalog.say(button.label_key, locale), "verb": button.verb, "data": button.data}
               for button in message.buttons]
    return {"type": "AdaptiveCard", "$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "version": "1.4",
            "body": body, "actions": actions}
