"""Measuring without fooling ourselves: several rounds, medians, and a baseline from the same run."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    name: str
    ops_per_second: float
    p50_ms: float
    p99_ms: float


async def measure(name: str, operation: Callable[[int], Awaitable[object]], *, count: int, rounds: int = 5) -> Result:
    """Run `operation(i)` `count` times per round; report the median round's rate and per-op
    latency percentiles over all rounds."""
    rates: list[float] = []
    latencies: list[float] = []
    for round_number in range(rounds):
        started = time.perf_counter()
        for i in range(count):
            before = time.perf_counter()
            await operation(round_number * count + i)
            latencies.append(time.perf_counter() - before)
        rates.append(count / (time.perf_counter() - started))
    latencies.sort()
    return Result(name, statistics.median(rates), 1000 * statistics.median(latencies), 1000 * p99(latencies))


def p99(ordered: Sequence[float]) -> float:
    """The 99th percentile of sorted samples: the one at rank ⌊0.99 n⌋, at least the first."""
    return ordered[max(0, int(len(ordered) * 0.99) - 1)]


def report(title: str, results: list[Result], baseline: Result) -> None:
    print(f"\n{title}")
    print(f"  {'operation':<42} {'ops/s (median)':>15} {'p50 ms':>8} {'p99 ms':>8} {'vs baseline':>12}")
    for result in [baseline, *results]:
        ratio = result.ops_per_second / baseline.ops_per_second
        print(f"  {result.name:<42} {result.ops_per_second:>15,.0f} {result.p50_ms:>8.3f} {result.p99_ms:>8.3f} {ratio:>11.2f}x")


async def measure_concurrently(name: str, operation: Callable[[int], Awaitable[object]], *, count: int, clients: int) -> Result:
    """`count` operations by `clients` concurrent callers: the rate over the whole run and the
    latency percentiles of single operations under that load."""
    latencies: list[float] = []
    next_index = iter(range(count))

    async def client() -> None:
        for i in next_index:
            before = time.perf_counter()
            await operation(i)
            latencies.append(time.perf_counter() - before)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    rate = count / (time.perf_counter() - started)
    latencies.sort()
    return Result(name, rate, 1000 * statistics.median(latencies), 1000 * p99(latencies))
