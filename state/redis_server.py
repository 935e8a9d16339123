"""A real `redis-server` on a free loopback port, owned by the test (or benchmark) that starts it.

Never the machine's 6379: tests stop and restart this one to prove nothing is lost, so it runs
with the append-only file on and fsync on every write, as a production Store should.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from bots.sockets import free_port


class RedisServer:
    """`durable=False` runs it keeping nothing on disk, for the test that the Store refuses that."""

    def __init__(self, directory: Path, *, durable: bool = True) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed: run `make test`, which installs it")
        self.binary = binary
        self.directory = directory
        self.port = free_port()
        self.persistence = ["--appendonly", "yes", "--appendfsync", "always"] if durable else ["--appendonly", "no"]
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self._process = subprocess.Popen(
            [
                self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", str(self.directory), *self.persistence,
                "--save", "", "--daemonize", "no", "--loglevel", "warning",
            ],
            stdout=subprocess.DEVNULL,
            env=_without_fake_time(os.environ),
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self._process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("redis-server did not answer PING within 10 s")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=10)
        self._process = None

    def crash(self) -> None:
        """Stop it as a power cut would (SIGKILL): only what the append-only file holds survives."""
        self._running().kill()
        self._running().wait(timeout=10)
        self._process = None

    def pause(self) -> None:
        """Stop the process answering without closing its sockets (SIGSTOP), as a stalled host would."""
        self._running().send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self._running().send_signal(signal.SIGCONT)

    def _running(self) -> subprocess.Popen[bytes]:
        if self._process is None:
            raise RuntimeError("redis-server is not running: start() it first")
        return self._process

    def restart(self) -> None:
        self.stop()
        self.start()


def _without_fake_time(environment: os._Environ[str]) -> dict[str, str]:
    """redis-server runs on the machine's real clock even when the suite runs under libfaketime
    (`make test`'s date check): its allocator clashes with libfaketime, and the Store never asks
    Redis for the time anyway (every logical time comes from the injected clock)."""
    return {name: value for name, value in environment.items() if name not in ("LD_PRELOAD", "FAKETIME")}
