"""What a person hears when the Store cannot take their message: the truth, at once.

A child who reports while the database is down must never hear "received" for something nobody
will read, nor nothing at all (004 strategies 8 and 9: a worry must reach someone). Each
channel says this from text that needs no Store, in the message's language: it was not saved,
send it again or tell a trusted adult now, and whom to call in danger.
"""

from __future__ import annotations

from collections.abc import Callable

from handlers.messenger import Message
from handlers.policies import CasePolicy, emergency_contacts
from policy_text.catalog import Catalog

NotSaved = Callable[[str], Message]
"""The reply for a locale (the message's own, else the school's)."""


def not_saved_reply(catalog: Catalog, cases: CasePolicy, school_locale: str) -> NotSaved:
    def reply(locale: str) -> Message:
        chosen = locale or school_locale
        return Message(key="inbound.not_saved", fields={"contacts": catalog.value(emergency_contacts(cases), chosen)})

    return reply
