"""The demo's readable transcript, and its verdict: every expected step must have happened."""

from __future__ import annotations

import sys
from typing import IO


class Transcript:
    def __init__(self, out: IO[str] | None = None) -> None:
        self._out = out or sys.stdout
        self.failures: list[str] = []
        self.checks = 0

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

    def verdict(self) -> int:
        if self.failures:
            self._out.write(f"\nDEMO FAILED: {len(self.failures)} of {self.checks} expected steps did not happen:\n")
            for step in self.failures:
                self._out.write(f"  - {step}\n")
            return 1
        self._out.write(f"\nDemo complete: all {self.checks} expected steps happened.\n")
        return 0
