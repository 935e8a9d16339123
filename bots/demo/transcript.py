"""The demo's readable transcript, and its verdict: every expected step must have happened, and
nothing may be logged as an error that the demo did not stage on purpose."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO


class StagedErrors(logging.Filter):
    """Errors the demo causes on purpose (a server started before its roster, a worker stopped)
    are taken off stderr and told in the transcript instead; any other error stays on stderr and
    fails the demo, so its output can be trusted."""

    def __init__(self) -> None:
        super().__init__()
        self.expected: list[tuple[str, str]] = []
        self.staged: list[str] = []
        self.unexpected: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.ERROR:
            return True
        message = record.getMessage()
        if any(record.name.startswith(logger) and fragment in message for logger, fragment in self.expected):
            self.staged.append(message)
            return False
        self.unexpected.append(f"{record.name}: {message[:200]}")
        return True


class Transcript:
    def __init__(self, out: IO[str] | None = None) -> None:
        self._out = out or sys.stdout
        self.failures: list[str] = []
        self.checks = 0
        self.errors = StagedErrors()

    def section(self, title: str) -> None:
        self._out.write(f"\n== {title}\n")

    def say(self, text: str) -> None:
        for line in text.rstrip("\n").splitlines():
            self._out.write(f"   {line}\n")

    def expect(self, happened: bool, step: str) -> None:
        """Record whether an expected step happened; the demo fails if any did not."""
        self.checks += 1
        self._out.write(f"  {'✔' if happened else '✘ MISSING:'} {step}\n")
        if not happened:
            self.failures.append(step)

    @contextmanager
    def watching(self, root: logging.Logger) -> Iterator[None]:
        """While the demo runs, every handler of `root` passes errors through StagedErrors."""
        handlers = list(root.handlers)
        for handler in handlers:
            handler.addFilter(self.errors)
        try:
            yield
        finally:
            for handler in handlers:
                handler.removeFilter(self.errors)

    @contextmanager
    def staged(self, logger: str, fragment: str, step: str) -> Iterator[None]:
        """An error the next steps cause on purpose: expected, shown here, kept off stderr."""
        expectation = (logger, fragment)
        before = len(self.errors.staged)
        self.errors.expected.append(expectation)
        try:
            yield
        finally:
            self.errors.expected.remove(expectation)
        logged = [message for message in self.errors.staged[before:] if fragment in message]
        self.expect(bool(logged), step)
        if logged:
            self.say(f"server log (expected): ERROR {logged[0][:240]}")

    def verdict(self) -> int:
        failures = [*self.failures, *(f"an unexpected error was logged: {error}" for error in self.errors.unexpected)]
        if failures:
            self._out.write(f"\nDEMO FAILED: {len(failures)} problem(s) in {self.checks} expected steps:\n")
            for step in failures:
                self._out.write(f"  - {step}\n")
            return 1
        self._out.write(f"\nDemo complete: all {self.checks} expected steps happened, and no unexpected error was logged.\n")
        return 0
