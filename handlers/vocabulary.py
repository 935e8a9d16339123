"""What people type: command words and the small keyword lists that spot a worry or danger,
per language. Matching is case-insensitive and by substring; a false alarm only offers help
(004 objective 6: learners encouraged to report; strategy 9: concerns dealt with immediately).
"""

from __future__ import annotations

from dataclasses import dataclass

COMMANDS = {
    "report": "report", "告诉老师": "report", "求助": "report", "举报": "report", "报告": "report",
    "ack": "ack", "确认": "ack",
    "cases": "cases", "case": "case", "close": "close", "结案": "close",
    "note": "note", "备注": "note", "assign": "assign", "指派": "assign", "reopen": "reopen", "重开": "reopen",
    "cover": "cover", "代班": "cover",
    "help": "help", "帮助": "help",
    "status": "status", "状态": "status", "recheck": "recheck", "检查": "recheck",
    "schedule": "schedule", "提醒": "schedule",
    "lesson": "lesson", "课堂": "lesson", "register": "register", "点名": "register",
}
ADULT_WORDS = ("adult", "大人", "成人")
PREFIX_WORDS = ("告诉老师", "求助", "举报", "报告", "确认", "帮助", "状态", "检查", "点名",
                "结案", "备注", "指派", "重开")  # often typed without a space

WORRY_WORDS = (
    "hurt", "scared", "afraid", "bully", "bullied", "bullying", "unsafe", "threat", "frighten", "touched me",
    "send a photo", "send photos", "secret", "nobody to tell",
    "欺负", "害怕", "霸凌", "威胁", "伤害", "不安全", "骚扰", "裸照", "秘密",
)
DANGER_WORDS = (
    "hurt myself", "kill myself", "suicide", "end my life", "want to die", "not safe at home", "hits me", "going to hurt me",
    "自杀", "打我", "不想活", "想死", "家里不安全", "伤害自己",
)


@dataclass(frozen=True)
class Command:
    verb: str
    args: str


def parse_command(text: str) -> Command | None:
    """`report my text` → Command('report', 'my text'); `report adult …` → 'report_adult';
    `举报我被欺负` → Command('report', '我被欺负'); anything else → None."""
    stripped = text.strip()
    for word in PREFIX_WORDS:
        if stripped.startswith(word):
            return _with_adult(COMMANDS[word], stripped[len(word):].strip())
    head, _, rest = stripped.partition(" ")
    verb = COMMANDS.get(head.casefold())
    return _with_adult(verb, rest.strip()) if verb else None


def _with_adult(verb: str, args: str) -> Command:
    if verb == "report":
        head, _, rest = args.partition(" ")
        if head.casefold() in ADULT_WORDS:
            return Command("report_adult", rest.strip())
        for word in ADULT_WORDS[1:]:
            if args.startswith(word):
                return Command("report_adult", args[len(word):].strip())
    return Command(verb, args)


def sounds_worried(text: str) -> bool:
    folded = text.casefold()
    return any(word in folded for word in WORRY_WORDS)


def signals_danger(text: str) -> bool:
    folded = text.casefold()
    return any(word in folded for word in DANGER_WORDS)
