"""Policy text: both locales complete and consistent, every entry tied to a clause."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bots.findings import Verdict
from handlers.case_keys import EscalationStep
from handlers.case_queue import SECTIONS
from handlers.case_record import STAFF_WORDS
from handlers.group_delivery import STATES as DELIVERY_STATES
from handlers.health import LANE_NAMES
from handlers.read_trail import CHAT, CLI_EXPORT, CLI_SHOW, CONSOLE, DELIVERED, TRANSFER
from policy_text.catalog import LOCALES, Catalog, CatalogError, Entry, normalise_locale
from state.models import CHANNELS, Role, Supervision
from state.records import STEP_ACTIONS, CaseState, Outcome, Urgency

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load()


def test_shipped_catalog_is_consistent(catalog: Catalog) -> None:
    """Every key exists in every locale with the same placeholders and clause (checked at load)."""
    assert len(catalog.keys) > 50
    for key in catalog.keys:
        entries = [catalog.entry(key, locale) for locale in LOCALES]
        assert len({e.placeholders for e in entries}) == 1, key
        assert re.fullmatch(r"(00[04] [^;]+)(; 00[04] [^;]+)*", entries[0].clause), f"{key}: {entries[0].clause}"


def test_group_messages_have_no_slot_for_a_name(catalog: Catalog) -> None:
    """Nothing said to a whole group can carry a child's name (DEVELOPERS.md privacy)."""
    named = {"students", "name", "student", "guests", "person", "reporter", "staff"}
    for key in catalog.keys:
        entry = catalog.entry(key)
        if entry.audience == "group":
            assert not entry.placeholders & named, key


def test_say_fills_fields_and_picks_the_locale(catalog: Catalog) -> None:
    """`say` renders in the asked locale (mapped from platform spellings) and needs every field."""
    english = catalog.say("report.received", "en-GB", reference="C-2026-000001", minutes=5, contacts="999")
    chinese = catalog.say("report.received", "zh-CN", reference="C-2026-000001", minutes=5, contacts="110")
    assert "C-2026-000001" in english
    assert "C-2026-000001" in chinese
    assert english != chinese
    with pytest.raises(KeyError, match="reference"):
        catalog.say("report.received", "en", minutes=5, contacts="999")
    with pytest.raises(KeyError, match="no policy text"):
        catalog.say("no.such.key")


def test_inconsistent_catalogs_are_refused() -> None:
    """A missing key, differing placeholders or a missing clause stops start-up."""
    en = {"a": Entry("a", "Hi {name}", "000 §5", "staff"), "b": Entry("b", "Bye", "000 §5", "staff")}
    zh = {"a": Entry("a", "你好 {who}", "000 §5", "staff")}
    with pytest.raises(CatalogError) as caught:
        Catalog({"en": en, "zh_CN": zh})
    assert "zh_CN: missing b" in str(caught.value)
    assert "placeholders" in str(caught.value)
    with pytest.raises(CatalogError, match="cites no policy clause"):
        Catalog({"en": {"a": Entry("a", "x", "", "staff")}, "zh_CN": {"a": Entry("a", "x", "", "staff")}})


@pytest.mark.parametrize(("raw", "expected"), [("en-US", "en"), ("zh-Hans-CN", "zh_CN"), ("", "en"), ("de-DE", "en")])
def test_locale_normalisation(raw: str, expected: str) -> None:
    """Unknown languages fall back to the default rather than failing a child's message."""
    assert normalise_locale(raw) == expected


BUILT = {  # keys built at run time from a value: the code that builds each family, and every key it can build
    'f"case.urgency_{': {f"case.urgency_{urgency.value}" for urgency in Urgency},
    'f"role.{': {f"role.{role.value}" for role in Role},
    'f"channel.{': {f"channel.{channel}" for channel in CHANNELS},
    'f"weekday.{': {f"weekday.{day}" for day in range(7)},
    'f"month.{': {f"month.{month}" for month in range(1, 13)},
    'f"supervision.how_to_add_{': {f"supervision.how_to_add_{channel}" for channel in CHANNELS},
    'f"case.outcome_{': {f"case.outcome_{outcome.value}" for outcome in Outcome},
    'f"case.step_{': {f"case.step_{name}" for name in STAFF_WORDS},
    'f"case.how_{': {f"case.how_{how}" for how in (CHAT, CLI_SHOW, CLI_EXPORT, TRANSFER, CONSOLE, DELIVERED)},
    # the console's templates build these from a value with jinja's `~`
    '"console.section_" ~': {f"console.section_{section}" for section in SECTIONS},
    '"console.state_" ~': {f"console.state_{state.value}" for state in CaseState},
    '"console.supervision_" ~': {f"console.supervision_{state.value}" for state in Supervision},
    '"console.delivery_" ~': {f"console.delivery_{state}" for state in DELIVERY_STATES},
    '"console.lane_" ~': {f"console.lane_{lane}" for lane in LANE_NAMES.values()},
    '"console.written_" ~': {f"console.written_{name}" for name in STAFF_WORDS},
    '"console.verdict_" ~': {f"console.verdict_{verdict.name.lower()}" for verdict in Verdict},
    '"console." ~ reason ~ "_': {f"console.{reason}_{part}" for reason in ("stranger", "role", "words", "act")
                                 for part in ("title", "text")},
    'f"console.step_{': {f"console.step_{action}" for action in STEP_ACTIONS},
}
NAMED = re.compile(r'(?:\bkey=|\bwords\(|\bsay\(|label_key=|Refusal\(|\(person, )"([a-z_]+\.[a-z_0-9]*[a-z0-9])"'
                   r'|\(\s*"([a-z_]+\.[a-z_0-9]*[a-z0-9])",\s*(?:\{|words\(|[a-z_]+_words\()')
"""Where the product names a sentence: a message's key, a nested `words(...)`, a button label, a
refusal, a (key, fields) line or fact, or a console page's `say(...)` (a key ending in `_` is a
family's stem, built with a value)."""


def product_code() -> str:
    """The product's Python, and the console's templates (their words are policy text too)."""
    return "\n".join(path.read_text(encoding="utf-8") for folder in ("bots", "handlers", "state", "policy_text")
                     for pattern in ("*.py", "*.html") for path in (ROOT / folder).rglob(pattern))


def test_every_sentence_is_said_somewhere(catalog: Catalog) -> None:
    """A sentence no duty says is one nobody reviews: every key is named in the product's code,
    or belongs to a family built at run time (a role, an urgency, a weekday...)."""
    code = product_code()
    assert all(builder in code for builder in BUILT)  # each family is still built as this test assumes
    built = set().union(*BUILT.values())
    unsaid = [key for key in catalog.keys if key not in built and f'"{key}"' not in code]
    assert unsaid == []


def test_every_sentence_the_product_names_exists(catalog: Catalog) -> None:
    """A key named in the code but missing from the catalogue would fail in front of a reader."""
    named = {first or second for first, second in NAMED.findall(product_code())}
    assert len(named) > 80  # the pattern still finds the product's sentences
    assert sorted(named - catalog.keys) == []


def test_the_console_names_every_step_a_case_records() -> None:
    """Each action a case's chronology records has its words on the console's case page."""
    code = product_code()
    recorded = set(re.findall(r'CaseStep\(.*?action="([a-z_]+)"', code)) | set(re.findall(r'_step\(desk, actor, "([a-z_]+)"', code))
    recorded |= {step.taken for step in EscalationStep}
    assert len(recorded) >= 12  # the patterns still find where steps are made
    assert sorted(recorded - set(STEP_ACTIONS)) == []


def test_the_console_pages_say_nothing_outside_the_catalogue() -> None:
    """Every word of a console page comes from policy_text: a template's text, once its tags,
    jinja blocks and expressions are taken out, is punctuation, setting names and addresses."""
    for template in (ROOT / "bots" / "console" / "templates").glob("*.html"):
        text = re.sub(r"\{%.*?%\}|\{\{.*?\}\}|<code>.*?</code>|<[^>]+>|&[a-z]+;|esafety-bot", " ", template.read_text(), flags=re.S)
        assert re.findall(r"[A-Za-z\u4e00-\u9fff]{2,}", text) == [], template.name


REPORT_REPLIES = ("report.received", "report.received_urgent", "report.adult_received", "report.added", "report.acknowledged",
                  "report.out_of_hours", "report.no_lead")


@pytest.mark.parametrize("locale", LOCALES)
def test_every_reply_to_a_report_says_whom_to_call_in_danger(catalog: Catalog, locale: str) -> None:
    for key in REPORT_REPLIES:
        assert "contacts" in catalog.entry(key, locale).placeholders, key


def test_children_read_words_for_children(catalog: Catalog) -> None:
    """No staff jargon to a child, and what happens next; in Chinese, gentle words (告诉老师) are the
    way offered, never 举报, which reads as denouncing someone (it still works when typed)."""
    child = [key for key in catalog.keys if catalog.entry(key).audience == "child"]
    assert len(child) > 8
    for key in child:
        assert "safeguarding" not in catalog.entry(key, "en").text.casefold(), key
        assert "举报" not in catalog.entry(key, "zh_CN").text, key
    assert "talk to you" in catalog.entry("report.received", "en").text
    assert "告诉老师" in catalog.entry("direct.refusal_student", "zh_CN").text
