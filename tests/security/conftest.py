"""Hypothesis profiles: a capped one in `make test`, a larger one in `make faults`
(ESAFETY_TEST_PROFILE=soak, which also soaks the fault tests). No deadline: this machine is shared and noisy; what matters is that
every input is answered, not how fast one example ran."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("test", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("soak", max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("ESAFETY_TEST_PROFILE", "test"))
