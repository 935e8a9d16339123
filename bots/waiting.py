"""Waiting for something the running bot does in the background (a delivery reaching a fake),
bounded in time, for the tests, the demo and the benchmarks alike."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable


async def eventually(check: Callable[[], object], *, seconds: float = 10.0, step: float = 0.05) -> bool:
    """True as soon as `check()` is truthy; False if it is still not after `seconds`. `check`
    may be a coroutine function (e.g. one that reads the Store)."""
    for _ in range(max(1, int(seconds / step))):
        if await _value(check()):
            return True
        await asyncio.sleep(step)
    return bool(await _value(check()))


async def _value(result: object) -> object:
    return await result if inspect.isawaitable(result) else result
