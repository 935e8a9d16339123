"""The lead's card: everything a lead needs to act from, at a glance, in their own language
(004 strategies 9 and 13; 000 §3). Six facts, each short enough for WeCom's labelled rows: when
it was received (the school's clock), how long ago, urgency, who reported it (name and role), the
class (the roster's, when the report came in a private chat), and where (the group or a private
chat, and the channel). Then what to
do next, and the Acknowledge button; the report's own words follow as a separate message. An
escalated card is laid out as an escalation: passed on, from whom, after how long. Once
acknowledged, every copy keeps its facts and says who has it, without the button. A drill's card
says it is a drill (handlers/drill.py) in its title and first line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from handlers.duties import Deps
from handlers.messenger import Button, Message
from handlers.names import class_of, group_words, person_words
from handlers.spoken_time import duration_words
from policy_text.catalog import words
from state.models import Group, Person
from state.records import Case

Line = tuple[str, dict[str, Any]]


def case_card(deps: Deps, case: Case, *, group: Group | None, reporter: Person | None, groups: Sequence[Group] = (),
              escalated: Line | None = None) -> Message:
    """`escalated`: why the card came to its reader (a deputy, after the leads), said first."""
    class_name = class_of(group, reporter)
    place = group_words(group, groups) if case.group else words("case.private_chat")
    facts: tuple[tuple[str, Any], ...] = (
        ("case.fact_received", deps.school_time_words(case.received_at)),
        ("case.fact_elapsed", duration_words((deps.clock.now() - case.received_at).total_seconds())),
        ("case.fact_urgency", words(f"case.urgency_{case.urgency.value}")),
        ("case.fact_reporter", person_words(reporter, with_classes=False)),
        ("case.fact_class", class_name or words("case.class_unknown")),
        ("case.fact_where", words("case.where_value", place=place, channel=words(f"channel.{case.reporter.channel}"))),
    )
    lines: list[Line] = [*([("drill.card_note", {})] if case.drill else []), *([escalated] if escalated else []),
                         *([("case.adult_subject", {})] if case.about_adult else []), ("case.next_step", {}), ("case.text_follows", {})]
    title = "drill.card_title" if case.drill else "case.card_title_escalated" if escalated else "case.card_title"
    return Message(key=title, fields={"reference": case.reference},
                   facts=facts, lines=tuple(lines),
                   buttons=(Button(label_key="case.ack_button", verb="ack", data={"case": case.reference}),))


async def card_for(deps: Deps, case: Case, *, escalated: Line | None = None) -> Message:
    """The card, with the group and the reporter read from the Store."""
    group = await deps.store.get_group(case.group) if case.group else None
    reporter = await deps.store.get_person(case.reporter.channel, case.reporter.user_id)
    return case_card(deps, case, group=group, reporter=reporter, groups=await deps.store.list_groups(), escalated=escalated)


def acknowledged(card: Message, line: Line) -> Message:
    """The same card, saying who has the case now instead of what to do, and without its button."""
    return replace(card, key=card.key if card.key == "drill.card_title" else "case.card_title", lines=(line,), buttons=())
