"""`esafety-bot serve` as a process: it starts on the SQLite default, says which channels are
on, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bots.sockets import free_port


def test_serve_starts_reports_channels_and_stops_on_sigterm(tmp_path: Path) -> None:
    """The server answers /healthz, names its off channels, and exits 0 after SIGTERM."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ESAFETY_", "REDIS_", "WECOM_", "Microsoft"))}
    env |= {"PORT": str(port), "ESAFETY_DB": str(tmp_path / "serve.db")}
    process = subprocess.Popen([sys.executable, "-m", "bots.cli", "serve"], env=env, cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                assert time.monotonic() < deadline, "server did not come up"
                time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert "channel teams: off: MicrosoftAppId is not set" in output
    assert "channel wecom: off: WECOM_CORP_ID is not set" in output
    assert f"SQLite ({tmp_path / 'serve.db'})" in output
    assert "GET /healthz 200" in output
    assert "shutting down" in output
