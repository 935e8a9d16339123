"""A small HTTP load generator for the webhook benchmarks: closed loop (N clients, each sending
its next request when the last is answered) for the rate a server sustains, and open loop (a
fixed offered rate, whatever the answers do) for the latency a sender sees at that rate.

Open-loop latency is measured from when a request was *due*, not from when it was sent, so a
server that falls behind is charged for the queue it builds (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from bench.timing import p99

Body = Callable[[int], dict[str, Any]]


@dataclass(frozen=True)
class Load:
    name: str
    per_second: float
    p50_ms: float
    p99_ms: float
    failed: int = 0

    def line(self, baseline: Load | None = None) -> str:
        """One table row; with a baseline, the cost per request as a ratio to it (1.00x = as cheap)."""
        ratio = f"{baseline.per_second / self.per_second:>8.2f}x" if baseline else f"{'-':>9}"
        return f"  {self.name:<56} {self.per_second:>10,.0f}/s {self.p50_ms:>9.2f} {self.p99_ms:>10.2f} {ratio} {self.failed:>6}"


HEADER = f"  {'':<56} {'answered':>12} {'p50 ms':>9} {'p99 ms':>10} {'cost':>9} {'failed':>6}"


async def closed_loop(name: str, url: str, body: Body, *, count: int, clients: int) -> Load:
    """`count` POSTs by `clients` concurrent senders: the rate over the run, per-request latency."""
    latencies: list[float] = []
    failed = 0
    numbers = iter(range(count))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients)) as http:

        async def sender() -> None:
            nonlocal failed
            for n in numbers:
                before = time.perf_counter()
                async with http.post(url, json=body(n)) as response:
                    await response.read()
                    failed += response.status >= 300
                latencies.append(time.perf_counter() - before)

        started = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return _load(name, count / elapsed, latencies, failed)


async def open_loop(name: str, url: str, body: Body, *, rate: float, seconds: float, first: int = 0) -> Load:
    """POSTs offered at `rate` per second for `seconds`, each due at its slot whatever came back."""
    latencies: list[float] = []
    failed = 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:

        async def one(n: int, due: float) -> None:
            nonlocal failed
            try:
                async with http.post(url, json=body(first + n), timeout=aiohttp.ClientTimeout(total=60)) as response:
                    await response.read()
                    failed += response.status >= 300
            except (aiohttp.ClientError, TimeoutError):
                failed += 1
            latencies.append(time.perf_counter() - due)

        started = time.perf_counter()
        tasks = []
        for n in range(int(rate * seconds)):
            due = started + n / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            tasks.append(asyncio.create_task(one(n, due)))
        await asyncio.gather(*tasks)
    return _load(name, rate, latencies, failed)


def _load(name: str, per_second: float, latencies: list[float], failed: int) -> Load:
    latencies.sort()
    return Load(name, per_second, 1000 * statistics.median(latencies), 1000 * p99(latencies), failed)
