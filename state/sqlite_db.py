"""One SQLite connection driven from one worker thread, so the event loop never blocks on disk.

The file is a school's safeguarding record: WAL with `synchronous=FULL` so a committed case
survives a power cut, and a busy timeout so the CLI and a running server can share the file.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from state.sqlite_schema import SCHEMA
from state.store import StoreUnavailable

T = TypeVar("T")
BUSY_TIMEOUT_MS = 10_000


class SqliteDatabase:
    def __init__(self, connection: sqlite3.Connection, executor: ThreadPoolExecutor) -> None:
        self._connection = connection
        self._executor = executor

    @classmethod
    async def open(cls, path: str | Path) -> SqliteDatabase:
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-store")
        loop = asyncio.get_running_loop()
        try:
            connection = await loop.run_in_executor(executor, _connect, str(path))
        except (sqlite3.Error, OSError) as error:
            executor.shutdown(wait=False)
            raise StoreUnavailable(f"cannot open the SQLite database {path}: {error}") from error
        return cls(connection, executor)

    async def read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        return await self._call(work)

    async def write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` in one immediate transaction: all of it is committed, or none."""
        return await self._call(lambda connection: _in_transaction(connection, work))

    async def close(self) -> None:
        await self._call(lambda connection: connection.close())
        self._executor.shutdown(wait=True)

    async def backup_to(self, target: str | Path) -> None:
        """An online, consistent copy through SQLite's backup API."""

        def copy(connection: sqlite3.Connection) -> None:
            with sqlite3.connect(str(target)) as destination:
                connection.backup(destination)
            destination.close()

        await self._call(copy)

    async def _call(self, work: Callable[[sqlite3.Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, work, self._connection)
        except sqlite3.OperationalError as error:
            raise StoreUnavailable(f"SQLite database unavailable: {error}") from error


def _connect(path: str) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        verdict = connection.execute("PRAGMA quick_check").fetchone()[0]
        if verdict != "ok":
            raise sqlite3.DatabaseError(f"integrity check failed: {verdict}")
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = FULL")
        connection.executescript(SCHEMA)
    except sqlite3.Error:
        connection.close()
        raise
    return connection


def _in_transaction(connection: sqlite3.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    connection.execute("BEGIN IMMEDIATE")
    try:
        result = work(connection)
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
    return result
