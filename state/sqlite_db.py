"""One SQLite connection driven from one worker thread, so the event loop never blocks on disk.

The file is a school's safeguarding record: WAL with `synchronous=FULL` so a committed case
survives a power cut, and a busy timeout so the CLI and a running server can share the file.

Writes are group-committed: writes that arrive while the thread is busy are run together in
one transaction and committed with one fsync (if one of them fails, each is run again alone, so
the failure is its own). Nobody hears their write succeeded before the commit that holds it:
every caller is answered only after COMMIT returns (and all of them hear it if COMMIT fails).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from state.sqlite_audit import seal_existing_log
from state.sqlite_schema import SCHEMA
from state.store import StoreUnavailable

T = TypeVar("T")
log = logging.getLogger("esafety.store")
BUSY_TIMEOUT_MS = 10_000


Work = Callable[[sqlite3.Connection], Any]


class SqliteDatabase:
    def __init__(self, connection: sqlite3.Connection, executor: ThreadPoolExecutor) -> None:
        self._connection = connection
        self._executor = executor
        self._pending: list[tuple[Work, asyncio.Future[Any]]] = []
        self._committing: asyncio.Task[None] | None = None

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
        """Run `work` atomically (all of it is committed, or none), answered after its commit."""
        done: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._pending.append((work, done))
        if self._committing is None:
            self._committing = asyncio.create_task(self._commit_pending())
        return await done

    async def _commit_pending(self) -> None:
        """Commit what is waiting, one group at a time, until nothing is."""
        try:
            while self._pending:
                group, self._pending = self._pending, []
                works = [work for work, _ in group]
                try:
                    outcomes = await self._call(functools.partial(_in_one_transaction, group=works))
                except BaseException as error:  # the commit itself failed: nobody's write happened
                    outcomes = [error] * len(group)
                for (_, done), outcome in zip(group, outcomes, strict=True):
                    if done.done():
                        continue
                    if isinstance(outcome, sqlite3.OperationalError):
                        done.set_exception(StoreUnavailable(f"SQLite database unavailable: {outcome}"))
                    elif isinstance(outcome, BaseException):
                        done.set_exception(outcome)
                    else:
                        done.set_result(outcome)
        finally:
            self._committing = None

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
        if sealed := seal_existing_log(connection):
            log.warning("SQLite %s: the %d audit records written before the chain existed are sealed now", path, sealed)
    except sqlite3.Error:
        connection.close()
        raise
    return connection


def _in_one_transaction(connection: sqlite3.Connection, group: list[Work]) -> list[Any]:
    """The group's writes in one immediate transaction, committed once. If one raises, the whole
    transaction is rolled back and each write is run again in a transaction of its own, so a
    failing write takes nobody else's with it and its exception is its outcome."""
    if len(group) > 1:
        connection.execute("BEGIN IMMEDIATE")
        try:
            outcomes = [work(connection) for work in group]
        except Exception:
            connection.execute("ROLLBACK")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        else:
            connection.execute("COMMIT")
            return outcomes
    return [_alone(connection, work) for work in group]


def _alone(connection: sqlite3.Connection, work: Work) -> Any:
    connection.execute("BEGIN IMMEDIATE")
    try:
        outcome = work(connection)
    except Exception as error:
        connection.execute("ROLLBACK")
        return error
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
    return outcome
