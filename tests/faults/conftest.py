"""How hard the fault tests push: a bounded run in `make test`, the long soak in `make faults`
(ESAFETY_TEST_PROFILE=soak, which also gives the hostile-input properties more examples)."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    kills_per_point: int  # five named crash points
    random_kills: int


PROFILES = {"test": Profile(kills_per_point=3, random_kills=6), "soak": Profile(kills_per_point=12, random_kills=45)}
PROFILE = PROFILES[os.environ.get("ESAFETY_TEST_PROFILE", "test")]
