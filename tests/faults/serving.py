"""The real `serve` as a child process the fault tests start, kill and start again on one port."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bots.sockets import free_port

PLAIN, CRASHING = "bots.cli", "tests.faults.crash_serve"
START_SECONDS = 30.0


def environment(tmp_path: Path, port: int | None = None, **settings: str) -> dict[str, str]:
    """The machine's environment without any esafety setting of its own, plus the test's: SQLite
    in `tmp_path` unless REDIS_URL is given, no Bot Framework authentication (the fake connector
    signs nothing), and a short work lease so a killed process's work is taken over in seconds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ESAFETY_", "REDIS_", "WECOM_", "Microsoft"))}
    return env | {"ESAFETY_DB": str(tmp_path / "bot.db"), "PORT": str(port or free_port()), "ESAFETY_ALLOW_ANONYMOUS": "1",
                  "ESAFETY_WORK_LEASE_SECONDS": "2"} | settings


async def run_cli(env: dict[str, str], *args: str) -> None:
    command = await asyncio.create_subprocess_exec(sys.executable, "-m", PLAIN, *args, env=env, stdout=asyncio.subprocess.DEVNULL)
    assert await command.wait() == 0, f"esafety-bot {' '.join(args)} failed"


async def answering(port: int, *, seconds: float = START_SECONDS, process: asyncio.subprocess.Process | None = None) -> bool:
    """Whether the server on `port` answers /healthz within `seconds` (False at once if `process` ended)."""
    async with aiohttp.ClientSession() as http:
        for _ in range(int(seconds / 0.05)):
            if process is not None and process.returncode is not None:
                return False
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return True
            await asyncio.sleep(0.05)
    return False


@dataclass
class ServedBot:
    """One instance: started plain or with a crash point armed, killed, started again. `kills`
    counts every SIGKILL, sent by the test or by the process to itself at its crash point."""

    env: dict[str, str]
    port: int = 0
    process: asyncio.subprocess.Process | None = None
    kills: int = 0

    def __post_init__(self) -> None:
        self.port = self.port or int(self.env["PORT"])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/messages"

    async def start(self, crash_at: str = "") -> None:
        """Started and answering, or (with `crash_at`) already dead at its crash point: work left
        from the last kill may reach it before the first request does."""
        module = CRASHING if crash_at else PLAIN
        env = self.env | {"PORT": str(self.port)} | ({"ESAFETY_TEST_CRASH_AT": crash_at} if crash_at else {})
        self.process = await asyncio.create_subprocess_exec(sys.executable, "-m", module, "serve", env=env,
                                                            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        if not await answering(self.port, process=self.process) and not (crash_at and self.process.returncode == -signal.SIGKILL):
            raise AssertionError(f"serve did not start (exit {self.process.returncode})")

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def crashed(self, *, seconds: float) -> bool:
        """Whether the process killed itself at its crash point within `seconds`."""
        assert self.process is not None
        try:
            code = await asyncio.wait_for(self.process.wait(), timeout=seconds)
        except TimeoutError:
            return False
        assert code == -signal.SIGKILL, f"serve exited with {code}, not by its crash point"
        self.kills += 1
        return True

    async def kill(self) -> None:
        assert self.process is not None
        assert self.process.returncode is None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        self.kills += 1

    async def stop(self) -> None:
        if self.process is not None and self.running:
            self.process.send_signal(signal.SIGTERM)
            await self.process.wait()
