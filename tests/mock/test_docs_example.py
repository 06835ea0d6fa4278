"""The example test file in docs/MOCK.md runs and passes, as a user would run it."""

from __future__ import annotations

import pathlib
import re

pytest_plugins = ["pytester"]

DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "MOCK.md"
ENV = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION", "AWS_DATA_PATH",
       "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_CODESTAR_CONNECTIONS", "AWS_ENDPOINT_URL_CODECONNECTIONS",
       "AWS_ENDPOINT_URL_CODESTAR")


def example() -> str:
    block = re.search(r"<!-- example:start -->\s*```python\n(.*?)```\s*<!-- example:end -->", DOC.read_text(), re.S)
    assert block, "docs/MOCK.md lost its example block"
    return block.group(1)


def test_the_documented_example_passes(pytester, monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    source = example()
    pytester.makepyfile(test_example=source)
    result = pytester.runpytest("-p", "no:cacheprovider")
    tests = len(re.findall(r"^\s*(?:async )?def test_", source, re.M))
    result.assert_outcomes(passed=tests)
