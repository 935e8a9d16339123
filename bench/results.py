"""What `make bench` writes down: every figure beside its baseline and its goal, in
bench/RESULTS.md, with the machine and the date, so a reader can judge a figure (and whether its
goal was met) without running anything, and can tell a slow machine from a slow change.

Each benchmark's `main()` prints its own table and returns `Section`s; `bench/__main__.py`
renders them all here. Rendering is pure (the date and the machine are passed in), so a test
checks the document from given figures.
"""

from __future__ import annotations

import os
import platform
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Figure:
    """One measured figure. `baseline` is in the same unit (the section says what it is);
    `met` is None when there is no goal to check."""

    name: str
    value: float
    unit: str
    baseline: float | None
    goal: str
    met: bool | None

    @property
    def ratio(self) -> float | None:
        """The figure's cost against its baseline, read the same way for every figure: above 1 is
        costlier. For a rate (unit `…/s`) the baseline's rate over ours, for a time ours over
        the baseline's."""
        if self.baseline is None:
            return None
        return self.baseline / self.value if self.unit.endswith("/s") else self.value / self.baseline


@dataclass(frozen=True)
class Section:
    title: str
    note: str  # what was measured, what the baseline is
    figures: tuple[Figure, ...]


@dataclass(frozen=True)
class Machine:
    cores: int | None
    platform: str
    python: str
    sqlite: str
    redis: str
    wrk: str
    load: tuple[float, float, float]  # another job's load shows here: figures are only comparable on a quiet machine

    @classmethod
    def this_one(cls) -> Machine:
        return cls(os.cpu_count(), platform.platform(), sys.version.split()[0], sqlite3.sqlite_version,
                   _first_line("redis-server", "--version"), _first_line("wrk", "-v"), os.getloadavg())


def _first_line(command: str, flag: str) -> str:
    """A tool's version line (`wrk -v` exits 1 after printing it, so the exit code is ignored)."""
    if shutil.which(command) is None:
        return "not installed"
    done = subprocess.run([command, flag], capture_output=True, text=True, timeout=10, check=False)
    return (done.stdout or done.stderr).strip().splitlines()[0]


def render(sections: Sequence[Section], machine: Machine, date: datetime, took_seconds: float) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"Written by `make bench` on {date:%Y-%m-%d %H:%M} UTC; the run took {took_seconds / 60:.1f} min. "
        "Every figure below comes from that one run; reproduce with `make bench`.",
        "",
        "| machine | |",
        "|---|---|",
        f"| CPU cores | {machine.cores} |",
        f"| platform | {machine.platform} |",
        f"| Python | {machine.python} |",
        f"| SQLite | {machine.sqlite} |",
        f"| Redis | {machine.redis} |",
        f"| wrk | {machine.wrk} |",
        f"| load average at start (1, 5, 15 min) | {', '.join(f'{load:.2f}' for load in machine.load)} |",
        "",
        "A figure is the median of its rounds unless its name says p50, p99 or max. **Ratio** is its cost against the "
        "baseline: for a rate the baseline's over ours, for a time ours over the baseline's; 1.00x is as cheap, above "
        "is costlier. A goal marked *our goal* is one we set where the benchmark's brief states none.",
    ]
    for section in sections:
        lines += ["", f"## {section.title}", "", section.note, "",
                  "| figure | measured | baseline | ratio | goal | met |", "|---|--:|--:|--:|---|---|"]
        lines += [_row(figure) for figure in section.figures]
    return "\n".join(lines) + "\n"


def _row(figure: Figure) -> str:
    baseline = "—" if figure.baseline is None else f"{_number(figure.baseline)} {figure.unit}"
    ratio = "—" if figure.ratio is None else f"{figure.ratio:.2f}x"
    met = {True: "yes", False: "**no**", None: "—"}[figure.met]
    return f"| {figure.name} | {_number(figure.value)} {figure.unit} | {baseline} | {ratio} | {figure.goal} | {met} |"


def _number(value: float) -> str:
    """Three significant figures or so, thousands separated: enough to compare runs, no false precision."""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"
