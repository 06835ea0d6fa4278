"""What the state machines share: boto3 clients per account and region, expected errors, all pages of a List."""

from __future__ import annotations

import json
import urllib.request

import pytest
from botocore.exceptions import ClientError
from hypothesis import settings

from codestar_local import spec
from codestar_local.errors import FRAMEWORK

REGIONS = ("us-east-1", "eu-west-1")


def machine_settings(share: float = 0.6) -> settings:
    """The current profile with `share` of its examples: a machine run is many requests (the invariants read all)."""
    current = settings.default
    return settings(current, max_examples=max(3, int(current.max_examples * share)))


class Clients:
    """boto3 clients of one server, made once per (service, account, region): making one costs more than 100 calls."""

    def __init__(self, server):
        self.server = server
        self.made: dict = {}
        self.runs = self.steps = 0  # machine runs and invariant checks, for the report

    def __call__(self, service: str, account: str, region: str = REGIONS[0]):
        key = (service, account, region)
        if key not in self.made:
            self.made[key] = self.server.client(service, account=account, region=region)
        return self.made[key]

    def reset(self, account: str) -> None:
        req = urllib.request.Request(f"{self.server.endpoint_url}/_codestar-local/reset", method="POST",
                                     data=json.dumps({"AccountId": account}).encode())
        with urllib.request.urlopen(req, timeout=30) as r:
            assert r.status == 200


def expect_error(service: str, code: str, fn, **params) -> dict:
    """fn(**params) fails with `code`, the status the model gives it, and a code the operation may answer."""
    with pytest.raises(ClientError) as info:
        fn(**params)
    response = info.value.response
    got = response["Error"]["Code"]
    assert got == code, f"expected {code}, got {response}"
    svc = spec.services()[service]
    op = next(o for o in svc.operations.values() if o.method_name == fn.__name__)
    assert code in op.errors or code in FRAMEWORK, f"{op.name} does not model {code}"
    status = FRAMEWORK[code][1] if code in FRAMEWORK else svc.status_for(code)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status, response
    return response


def all_pages(fn, key: str, token: str, size_member: str, size: int | None, **params) -> list:
    """Every item of a List operation, page by page; no page is larger than asked, no item repeats."""
    items: list = []
    seen_tokens = set()
    while True:
        page = fn(**params, **({size_member: size} if size else {}))
        assert size is None or len(page[key]) <= size, page
        items += page[key]
        nxt = page.get(token)
        if not nxt:
            return items
        assert nxt not in seen_tokens, f"{fn.__name__} hands out {nxt} twice"
        seen_tokens.add(nxt)
        params = {**params, token: nxt}
