"""Recorded Teams activity shapes (JSON files beside this module), pointed at a fake connector.
Used by the Teams tests and by `make demo`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PAYLOADS = Path(__file__).parent / "payloads"


def teams_activity(name: str, service_url: str, **changes: Any) -> dict[str, Any]:
    data = json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8").replace("{SERVICE_URL}", service_url))
    return {**data, **changes}
