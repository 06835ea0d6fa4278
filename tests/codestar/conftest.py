"""Fixtures for the CodeStar tests."""

from __future__ import annotations

import pytest
from codestar_clients import codestar_client


@pytest.fixture
def cs(server, account):
    return codestar_client(server.endpoint_url, account)


@pytest.fixture
def make_cs(server, account):
    def make(key=None, region="us-east-1", **kw):
        return codestar_client(server.endpoint_url, key or account, region, **kw)

    return make
