"""Group commit: writes that arrive together share one transaction and one fsync, yet each is
atomic on its own and nobody is answered before the commit that holds their write."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from state.sqlite_db import SqliteDatabase


async def test_a_failing_write_takes_nobody_elses_with_it(tmp_path: Path) -> None:
    database = await SqliteDatabase.open(tmp_path / "group.db")
    try:
        await database.write(lambda c: c.execute("CREATE TABLE t (x INTEGER PRIMARY KEY)"))

        def insert(x: int) -> int:
            def work(c: sqlite3.Connection) -> int:
                c.execute("INSERT INTO t (x) VALUES (?)", (x,))
                if x == 7:
                    c.execute("INSERT INTO t (x) VALUES (?)", (x + 100,))
                    raise ValueError("the seventh write fails after writing")
                return x

            return work

        outcomes = await asyncio.gather(*(database.write(insert(x)) for x in range(20)), return_exceptions=True)
        assert [o for o in outcomes if isinstance(o, BaseException)] == [outcomes[7]]
        assert isinstance(outcomes[7], ValueError)
        stored = await database.read(lambda c: [row[0] for row in c.execute("SELECT x FROM t ORDER BY x")])
        assert stored == [x for x in range(20) if x != 7], "the failed write left nothing, the others all committed"
    finally:
        await database.close()


async def test_each_caller_is_answered_after_the_commit(tmp_path: Path) -> None:
    """What a write returned is visible to a second connection (another process) at once."""
    database = await SqliteDatabase.open(tmp_path / "seen.db")
    try:
        await database.write(lambda c: c.execute("CREATE TABLE t (x INTEGER)"))
        await asyncio.gather(*(database.write(lambda c: c.execute("INSERT INTO t VALUES (1)")) for _ in range(30)))
        with sqlite3.connect(tmp_path / "seen.db") as other:
            assert other.execute("SELECT count(*) FROM t").fetchone() == (30,)
    finally:
        await database.close()

