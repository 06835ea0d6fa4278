"""Hypothesis profiles of the fuzzing suites (tests/fuzz/conftest.py describes them).

Imported by tests/conftest.py: the Hypothesis pytest plugin loads --hypothesis-profile when pytest configures
itself, so the profiles must be registered by then, from the top of the suite as from tests/fuzz.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

CI_EXAMPLES = 15
CI_STEPS = 15
LONG_FACTOR = 20

COMMON = dict(
    deadline=None,
    print_blob=True,
    # Every example goes over HTTP to a real server, and models hold big strings (16 KiB certificates).
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "ci", max_examples=CI_EXAMPLES, stateful_step_count=CI_STEPS, derandomize=True, database=None, **COMMON
)
# Random seeds and Hypothesis' default example database (.hypothesis/), which replays a failure on the next run.
settings.register_profile("long", max_examples=CI_EXAMPLES * LONG_FACTOR, stateful_step_count=CI_STEPS * 2, **COMMON)
# The default; --hypothesis-profile, which the plugin applies after this import, overrides it.
settings.load_profile("ci")
