"""The suite-wide privacy scan: no report's words in any log line or any group message, and no
student's name in any group message.

Every text a Store is asked to keep as a case (or to add to one) is noted, and every student
name a roster brings; every log record at any level is kept; at the end of the session they are
compared with every message the fakes saw go to a group (DEVELOPERS.md privacy rule; issue 6).
"""

from __future__ import annotations

import logging
import re
from typing import Any

MIN_LENGTH = 12  # shorter texts could match by accident
READ = frozenset({"text", "title", "content", "name", "replace_name"})


class PrivacyScan(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.report_texts: set[str] = set()
        self.student_names: set[str] = set()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record) + (record.exc_text or ""))

    def note(self, text: str) -> None:
        for line in text.splitlines():
            if len(line.strip()) >= MIN_LENGTH:
                self.report_texts.add(line.strip())

    def note_student(self, name: str) -> None:
        if len(name.strip()) >= 2:
            self.student_names.add(name.strip())

    def leaks(self, group_messages: list[Any]) -> list[str]:
        found = []
        for text in self.report_texts:
            found += [f"log line: {line[:120]}" for line in self.lines if text in line]
            found += [f"group message: {str(body)[:120]}" for body in group_messages if text in str(body)]
        said = [" ".join(_words(body)) for body in group_messages]
        for name in self.student_names:
            pattern = re.compile(rf"\b{re.escape(name)}\b" if name.isascii() else re.escape(name))
            found += [f"a student's name ({name}) in a group message: {text[:120]}" for text in said if pattern.search(text)]
        return found


def _words(body: Any) -> list[str]:
    """What people read in a message (texts, titles, contents), not its JSON keys and ids."""
    if isinstance(body, dict):
        return [w for key, value in body.items() for w in ([value] if key in READ and isinstance(value, str) else _words(value))]
    if isinstance(body, list):
        return [w for item in body for w in _words(item)]
    return []
