"""The one storage contract every duty relies on, shaped around the duties, not tables.

Two backends satisfy it and pass the same contract suite (tests/state/contract/, one class per port):
`state.sqlite.SqliteStore` (embedded default) and `state.redis.RedisStore` (production and
several instances). Anything two instances could race on — claiming due work, taking a case
reference, the audit order, a send slot, a token refresh — is one atomic operation here.
Times that decide expiry come from the store's injected clock, so tests never sleep.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from state.ports import AuditPort, CasesPort, CoverPort, DueWorkPort, GroupsPort, KeyValuePort, Lifecycle, RosterPort, SendSlotsPort

LOCK_SUFFIX, REPORT_WINDOW_PREFIX = ":lock", "report-window:"
"""Locks (`<name>:lock`, the form a lock had before it had an owner) and report windows share the
cache's key space under these affixes: a plain cache key must not use them."""


class StoreUnavailable(RuntimeError):
    """The database cannot be reached or read: a start-up error, never a silent no-op."""


class BackupRefused(RuntimeError):
    """This backend is backed up by its own tools; the message says which."""


class UnknownCase(KeyError):
    """A case reference that names no case."""


@dataclass(frozen=True)
class RosterChange:
    """What a roster import did, by `channel:user_id`; removals are audited (leavers)."""

    added: tuple[str, ...]
    updated: tuple[str, ...]
    removed: tuple[str, ...]


@dataclass(frozen=True)
class Durability:
    """What the database keeps through a crash or a power cut, as `doctor` reports it: `safe`
    is None when the database will not say (a managed Redis that refuses CONFIG and INFO)."""

    safe: bool | None
    detail: str


def format_case_reference(year: int, number: int) -> str:
    """`C-YYYY-NNNNNN`: what a child is told and what a lead types to acknowledge."""
    return f"C-{year:04d}-{number:06d}"


class Store(Lifecycle, RosterPort, GroupsPort, CasesPort, DueWorkPort, AuditPort, SendSlotsPort, KeyValuePort, CoverPort, Protocol):
    """Every port (state/ports.py): what one backend object implements."""
