"""The suite-wide privacy scan: no report's words in any log line or any group message.

Every text a Store is asked to keep as a case (or to add to one) is noted; every log record
at any level is kept; at the end of the session both are compared, together with every
message the fake connectors saw in a group conversation (DEVELOPERS.md privacy rule).
"""

from __future__ import annotations

import logging
from typing import Any

MIN_LENGTH = 12  # shorter texts could match by accident


class PrivacyScan(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.report_texts: set[str] = set()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record) + (record.exc_text or ""))

    def note(self, text: str) -> None:
        for line in text.splitlines():
            if len(line.strip()) >= MIN_LENGTH:
                self.report_texts.add(line.strip())

    def leaks(self, group_messages: list[dict[str, Any]]) -> list[str]:
        found = []
        for text in self.report_texts:
            found += [f"log line: {line[:120]}" for line in self.lines if text in line]
            found += [f"group message: {str(body)[:120]}" for body in group_messages if text in str(body)]
        return found
