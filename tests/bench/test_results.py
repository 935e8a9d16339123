"""bench/RESULTS.md from given figures: the date and machine it was measured on, one table per
section with each figure beside its baseline, its cost ratio and its goal, and how to reproduce."""

from __future__ import annotations

from datetime import UTC, datetime

from bench.results import Figure, Machine, Section, render

MACHINE = Machine(cores=2, platform="Linux-6.1-x86_64", python="3.11.9", sqlite="3.45.1",
                  redis="Redis server v=7.0.15 sha=00000000:0", wrk="wrk 4.1.0 [epoll]", load=(0.5, 1.25, 2.0))
DATE = datetime(2026, 11, 23, 9, 5, tzinfo=UTC)
ACCEPTANCE = Section("Webhook acceptance: Teams", "Baseline: a bare aiohttp handler.", (
    Figure("answered", 2500.0, "req/s", 10_000.0, "cost ≤ 3x", False),
    Figure("p99 answer", 12.5, "ms", 2.5, "our goal: ≤ 100 ms", True),
))
OUTBOX = Section("Outbox", "No baseline.", (Figure("cases delivered", 27.04, "cases/s", None, "—", None),))


def test_the_ratio_is_a_cost_above_one_when_costlier_for_rates_and_times_alike() -> None:
    assert ACCEPTANCE.figures[0].ratio == 4.0  # a quarter of the bare rate
    assert ACCEPTANCE.figures[1].ratio == 5.0  # five times the bare time
    assert OUTBOX.figures[0].ratio is None


def test_the_document_says_when_on_what_machine_and_how_to_reproduce() -> None:
    document = render([ACCEPTANCE], MACHINE, DATE, took_seconds=450)
    assert document.startswith("# Benchmark results\n\nWritten by `make bench` on 2026-11-23 09:05 UTC; the run took 7.5 min.")
    assert "reproduce with `make bench`" in document
    for fact in ("| CPU cores | 2 |", "| platform | Linux-6.1-x86_64 |", "| Python | 3.11.9 |", "| SQLite | 3.45.1 |",
                 "| Redis | Redis server v=7.0.15 sha=00000000:0 |", "| wrk | wrk 4.1.0 [epoll] |",
                 "| load average at start (1, 5, 15 min) | 0.50, 1.25, 2.00 |"):
        assert fact in document.splitlines()


def test_each_section_is_a_table_of_figures_beside_baseline_ratio_and_goal() -> None:
    document = render([ACCEPTANCE, OUTBOX], MACHINE, DATE, took_seconds=60)
    tables = document.split("\n## ")[1:]
    assert tables[0].splitlines() == [
        "Webhook acceptance: Teams",
        "",
        "Baseline: a bare aiohttp handler.",
        "",
        "| figure | measured | baseline | ratio | goal | met |",
        "|---|--:|--:|--:|---|---|",
        "| answered | 2,500 req/s | 10,000 req/s | 4.00x | cost ≤ 3x | **no** |",
        "| p99 answer | 12.5 ms | 2.50 ms | 5.00x | our goal: ≤ 100 ms | yes |",
    ]
    assert tables[1].splitlines()[-1] == "| cases delivered | 27.0 cases/s | — | — | — | — |"
    assert document.endswith("|\n")
