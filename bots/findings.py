"""What `esafety-bot doctor` found, check by check (bots/doctor.py and each channel's checks)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Verdict(StrEnum):
    OK = "ok"
    PROBLEM = "PROBLEM"
    NOT_CHECKED = "not checked"  # could not be checked from here (e.g. the cloud is out of reach): never a failure


@dataclass(frozen=True)
class Finding:
    check: str
    verdict: Verdict
    detail: str


def ok(check: str, detail: str) -> Finding:
    return Finding(check, Verdict.OK, detail)


def problem(check: str, detail: str) -> Finding:
    return Finding(check, Verdict.PROBLEM, detail)


def not_checked(check: str, detail: str) -> Finding:
    return Finding(check, Verdict.NOT_CHECKED, detail)
