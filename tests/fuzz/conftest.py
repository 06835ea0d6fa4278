"""The fuzzing suites (issue 10): Hypothesis profiles and one server per module.

Profiles (`--hypothesis-profile NAME`; "ci" without one, locally and under CI=true):

- ci: a bounded number of examples per test, derandomized (every run draws the same examples, so a failure in CI
  reproduces by running the test again), no example database, no deadline, the reproduction blob printed.
- long: LONG_FACTOR times the examples and steps, random seeds; a failure prints its seed
  (`--hypothesis-seed`) and its `@reproduce_failure` blob, and the example database (.hypothesis/) replays it.

Hypothesis' pytest plugin reads --hypothesis-profile when pytest configures itself, before tests/fuzz is collected
from the top of the suite, so the registration lives in tests/hypothesis_profiles.py, which tests/conftest.py imports.
"""

from __future__ import annotations

import os
import sys

import hypothesis_profiles  # noqa: F401  (registers "ci" and "long"; tests/conftest.py imported it already)
import pytest

from servers import Server

# spine_http (raw HTTP helpers) lives with the wire tests.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "api"))


@pytest.fixture(scope="module")
def fuzz_server():
    """One server for the module, in memory; CodeStar projects and VPC hosts settle at once, so models stay exact."""
    s = Server(extra=["--project-seconds", "0", "--vpc-init-seconds", "0"])
    yield s
    s.stop()
