"""Effects (state/effects.py) as the arguments of one Lua step: the keys they touch, in KEYS,
and a JSON spec that names them by position, so a decision and all that follows it are
written by one script, atomically, on any instance."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from state import codec
from state.due import DueItem, Queue
from state.effects import ONCE_MEMORY_SECONDS, OUTBOX_KEY_PREFIX, Effects

GC_MARGIN_MS = 86_400_000  # a real Redis TTL only collects garbage, a day after the logical (clock) expiry


def gc_ms(ttl_seconds: float) -> int:
    return max(int(ttl_seconds * 1000), 0) + GC_MARGIN_MS


class EffectsArgs:
    """KEYS for a script: its own `fixed` keys first, then those the effects need."""

    def __init__(self, fixed: Sequence[str], *, due: Callable[[Queue], Sequence[str]], seen: Callable[[str], str],
                 audit: tuple[str, str, str], now: float) -> None:
        self.keys = list(fixed)
        self._due, self._seen, self._audit, self._now = due, seen, audit, now

    def key(self, name: str) -> int:
        """The 1-based position of `name` in KEYS, added at the end if new."""
        if name not in self.keys:
            self.keys.append(name)
        return self.keys.index(name) + 1

    def queue(self, queue: Queue) -> int:
        """The position of a due queue's first key; its four keys stand together, in order."""
        names = list(self._due(queue))
        if names[0] not in self.keys:
            self.keys += names
        return self.keys.index(names[0]) + 1

    def once(self, key: str | None) -> dict[str, Any]:
        if key is None:
            return {"once": 0}
        return {"once": self.key(self._seen(key)), "once_until": repr(self._now + ONCE_MEMORY_SECONDS),
                "once_gc": str(gc_ms(ONCE_MEMORY_SECONDS))}

    def spec(self, effects: Effects, *, once: str | None = None) -> str:
        until, memory = repr(self._now + ONCE_MEMORY_SECONDS), str(gc_ms(ONCE_MEMORY_SECONDS))
        spec: dict[str, Any] = {
            **self.once(once),
            "m": [[self.key(self._seen(OUTBOX_KEY_PREFIX + item.item_id)), *_queued(self, item), until, memory]
                  for item in effects.messages],
            "t": [_queued(self, item) for item in effects.timers],
            "d": [[self.queue(Queue.TIMERS), item_id] for item_id in effects.disarmed],
            "a": [codec.dumps(record) for record in effects.audit],
            "seq": self.key(self._audit[0]), "log": self.key(self._audit[1]), "head": self.key(self._audit[2]),
        }
        return json.dumps(spec, ensure_ascii=False)


def _queued(args: EffectsArgs, item: DueItem) -> list[Any]:
    return [args.queue(item.queue), item.item_id, repr(item.due_at.timestamp()), codec.dumps(item)]
