"""Closed-loop load from `wrk` (a C load generator on its own core), so the figure is the
server's, not a Python client's. Each request is the n-th body of a template whose `{N}` is
replaced by a counter, so every Teams activity has an id of its own (a replay would be cheaper)."""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
from pathlib import Path

from bench.load import Load

SCRIPT = """
local template = [==[%s]==]
local n = 0
request = function()
  n = n + 1
  local body = template:gsub("{N}", tostring(n))
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format('RESULT {"requests": %%d, "seconds": %%f, "p50_us": %%d, "p99_us": %%d, "failed": %%d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99), summary.errors.status + errors))
end
"""


async def closed_loop(name: str, url: str, template: str, *, seconds: int, clients: int) -> Load:
    """`clients` connections from one wrk thread for `seconds`: answered per second and latency."""
    binary = shutil.which("wrk")
    if binary is None:
        raise RuntimeError("wrk is not installed: run `make bench`, which installs it")
    with tempfile.TemporaryDirectory() as scratch:
        script = Path(scratch) / "post.lua"
        script.write_text(SCRIPT % template)
        process = await asyncio.create_subprocess_exec(binary, "-t1", f"-c{clients}", f"-d{seconds}s", "-s", str(script), url,
                                                       stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await process.communicate()
    line = next((line for line in out.decode().splitlines() if line.startswith("RESULT ")), None)
    if process.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed: {err.decode().strip()}")
    result = json.loads(line.removeprefix("RESULT "))
    return Load(name, result["requests"] / result["seconds"], result["p50_us"] / 1000, result["p99_us"] / 1000, result["failed"])
