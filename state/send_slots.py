"""The sliding-window arithmetic behind `Store.reserve_send_slot` for the embedded backend.

The Redis backend does the same sums inside a Lua script (state/redis_scripts_standalone.py) so they are
atomic across instances; both pass the same contract tests.
"""

from __future__ import annotations

from collections.abc import Sequence


def seconds_until_free(sent_at: Sequence[float], now: float, windows: Sequence[tuple[int, float]]) -> float:
    """0 if one more send fits every `(count, per_seconds)` window, else the wait until it does.

    `sent_at` are the bucket's earlier sends, oldest first. In a window that is full, the send
    that must age out is the `count`-th newest one inside it.
    """
    wait = 0.0
    for count, per in windows:
        recent = [at for at in sent_at if at > now - per]
        if len(recent) >= count:
            blocking = recent[len(recent) - count]
            wait = max(wait, blocking + per - now)
    return wait
