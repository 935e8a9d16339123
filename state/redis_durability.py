"""What a Redis keeps on disk, read before any case is trusted to it.

A child is told "your report is safe" once the Store has it (004 strategy 9: concerns reported
immediately; 000 §3: formal procedures). A Redis that keeps nothing on disk forgets every case on
restart, so it is refused unless ESAFETY_ALLOW_VOLATILE_REDIS=1 (tests, throwaway demos). What
each accepted setting can still lose is said at start-up, in the words of the README's
configuration section.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from redis.exceptions import ResponseError

from state.store import Durability, StoreUnavailable

UNKNOWN = "unknown"


class VolatileRedis(StoreUnavailable):
    """The Redis keeps nothing on disk; the message says which setting to change."""


@dataclass(frozen=True)
class Persistence:
    """Redis' `appendonly`, `appendfsync` and `save` settings (`save` is UNKNOWN when CONFIG
    is not allowed, as on some managed services: then only INFO's `aof_enabled` is known)."""

    append_only: bool
    append_fsync: str
    snapshots: str

    @property
    def keeps_nothing(self) -> bool:
        return not self.append_only and not self.snapshots.strip()

    @property
    def safe(self) -> bool | None:
        """Whether a crash loses nothing written (None: the settings cannot be read)."""
        if self.append_only and self.append_fsync in ("always", "everysec"):
            return True
        if self.snapshots == UNKNOWN:  # CONFIG refused: at most whether an append-only file is on is known
            return None
        return False

    def risk(self) -> str:
        """What a crash or a power cut can lose with these settings."""
        if self.append_only and self.append_fsync == "always":
            return "append-only file, fsync always: a crash or a power cut loses nothing"
        if self.append_only and self.append_fsync == "everysec":
            return "append-only file, fsync every second: a Redis crash loses nothing; a power cut up to about a second of writes"
        if self.append_only:
            return (f"append-only file, fsync {self.append_fsync}: the system decides when writes reach the disk; a power cut "
                    f"can lose up to about 30 seconds of writes (set appendfsync everysec or always)")
        if self.snapshots == UNKNOWN:
            return "no append-only file, and the snapshot schedule cannot be read (CONFIG is not allowed): a crash can lose " \
                   "everything since the last snapshot, if any (set appendonly yes)"
        return (f"snapshots only (save {self.snapshots!r}): a crash loses every write since the last snapshot "
                f"(set appendonly yes)")


async def read_persistence(client: Any) -> Persistence:
    """Ask Redis itself: CONFIG GET, or INFO persistence where CONFIG is refused (and where
    both are, the settings are unknown: accepted, with that risk said)."""
    try:
        config = await client.config_get("appendonly")
        config |= await client.config_get("appendfsync")
        config |= await client.config_get("save")
    except ResponseError:
        try:
            info = await client.info("persistence")
        except ResponseError:  # INFO refused too: nothing can be known, and the risk is said so
            return Persistence(append_only=False, append_fsync=UNKNOWN, snapshots=UNKNOWN)
        return Persistence(append_only=str(info.get("aof_enabled", 0)) == "1", append_fsync=UNKNOWN, snapshots=UNKNOWN)
    return Persistence(append_only=_text(config.get("appendonly")) == "yes", append_fsync=_text(config.get("appendfsync")),
                       snapshots=_text(config.get("save")))


def refuse_if_volatile(persistence: Persistence, where: str) -> None:
    if persistence.keeps_nothing:
        raise VolatileRedis(_keeps_nothing(where))


def durability_of(persistence: Persistence, where: str) -> Durability:
    """What `doctor` says of these settings."""
    return Durability(persistence.safe, _keeps_nothing(where) if persistence.keeps_nothing else f"Redis at {where}: {persistence.risk()}")


def _keeps_nothing(where: str) -> str:
    return (f"Redis at {where} keeps nothing on disk (appendonly no, save ''): every case would be lost on its restart. "
            f"Set `appendonly yes` (with `appendfsync everysec` or `always`) in its configuration, "
            f"or ESAFETY_ALLOW_VOLATILE_REDIS=1 for a throwaway test")


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value or "")
