"""The two URL forms of a repository link's Git remote (no Git library needed to name them)."""

from __future__ import annotations

import functools
import urllib.parse

PREFIX = "/_codestar-local/git/"


def url(endpoint: str, link_id: str) -> str:
    return f"{endpoint.rstrip('/')}{PREFIX}{link_id}.git"


def name_url(endpoint: str, account: str, owner: str, repo: str) -> str:
    quote = functools.partial(urllib.parse.quote, safe="")
    return f"{endpoint.rstrip('/')}{PREFIX}{account}/{quote(owner)}/{quote(repo)}.git"
