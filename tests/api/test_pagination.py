"""ListConnections / ListHosts paging: complete, duplicate-free and stable while the set changes."""

from __future__ import annotations

import random

import pytest
from spine_http import expect_error

PAGE = 5


def walk(list_fn, key, page_size=PAGE, between=None, **filters):
    """Every page of a listing; between(pages so far) runs before each next page."""
    pages = []
    token = None
    while True:
        kw = dict(filters)
        if page_size is not None:
            kw["MaxResults"] = page_size
        if token:
            kw["NextToken"] = token
        out = list_fn(**kw)
        pages.append(out[key])
        token = out.get("NextToken")
        if not token:
            return pages
        assert len(pages) < 100, "paging does not end"
        if between is not None:
            between(pages)


def arns(pages, key):
    return [item[key] for page in pages for item in page]


def make_connections(client, n, types=("GitHub",)):
    return [client.create_connection(ProviderType=types[i % len(types)], ConnectionName=f"p{i}")["ConnectionArn"] for i in range(n)]


def make_hosts(client, n, start=0):
    return [
        client.create_host(Name=f"h{i}", ProviderType="GitHubEnterpriseServer", ProviderEndpoint=f"https://h{i}.example.com")["HostArn"]
        for i in range(start, start + n)
    ]


KINDS = {
    "connections": (make_connections, "list_connections", "Connections", "ConnectionArn"),
    "hosts": (make_hosts, "list_hosts", "Hosts", "HostArn"),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_pages_cover_everything_once(client, kind):
    make, list_name, key, arn_key = KINDS[kind]
    made = make(client, 23)
    pages = walk(getattr(client, list_name), key)
    assert [len(p) for p in pages] == [5, 5, 5, 5, 3]
    listed = arns(pages, arn_key)
    assert len(set(listed)) == len(listed)
    assert listed == made  # oldest first
    # The whole set in one call: MaxResults absent, 0 and 100 all mean a page of 100.
    for size in (None, 0, 100):
        assert walk(getattr(client, list_name), key, page_size=size) == [[item for page in pages for item in page]]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_full_last_page_has_no_token(client, kind):
    make, list_name, key, arn_key = KINDS[kind]
    made = make(client, 10)
    pages = walk(getattr(client, list_name), key)
    assert [len(p) for p in pages] == [5, 5]
    assert arns(pages, arn_key) == made


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_stable_while_inserting_and_deleting(client, kind):
    make, list_name, key, arn_key = KINDS[kind]
    made = make(client, 23)
    delete = client.delete_connection if kind == "connections" else client.delete_host
    arn_param = "ConnectionArn" if kind == "connections" else "HostArn"
    rng = random.Random(7)
    removed = set()
    unseen_removed = set()
    added = []

    def change(pages_so_far):
        listed_so_far = set(arns(pages_so_far, arn_key))
        seen = [a for a in made if a in listed_so_far and a not in removed]
        unseen = [a for a in made if a not in listed_so_far and a not in removed]
        # Drop one item already listed and one not listed yet; add two new ones.
        victim = rng.choice(seen)
        delete(**{arn_param: victim})
        removed.add(victim)
        if unseen:
            victim = rng.choice(unseen)
            delete(**{arn_param: victim})
            removed.add(victim)
            unseen_removed.add(victim)
        added.extend(make(client, 2, *([] if kind == "connections" else [100 + len(added)])))

    listed = arns(walk(getattr(client, list_name), key, between=change), arn_key)
    assert len(set(listed)) == len(listed), "an item was listed twice"
    # Every item that existed throughout was listed, in creation order; new items follow the old ones.
    assert [a for a in listed if a in made and a not in removed] == [a for a in made if a not in removed]
    assert [a for a in listed if a in added] == added
    # Items removed before their page came are not listed.
    assert not unseen_removed & set(listed)
    assert len(unseen_removed) >= 3 and len(removed) > len(unseen_removed)


def test_filters_with_pages(client):
    github = []
    for i in range(23):
        provider = "GitHub" if i % 2 == 0 else "Bitbucket"
        arn = client.create_connection(ProviderType=provider, ConnectionName=f"f{i}")["ConnectionArn"]
        if provider == "GitHub":
            github.append(arn)
    pages = walk(client.list_connections, "Connections", ProviderTypeFilter="GitHub")
    assert [len(p) for p in pages] == [5, 5, 2]
    assert arns(pages, "ConnectionArn") == github
    assert walk(client.list_connections, "Connections", ProviderTypeFilter="GitLab") == [[]]


@pytest.fixture(scope="module")
def hundred_and_one(server):
    """An account holding 101 connections, shared by the default-page-size tests."""
    account = "".join(random.choice("0123456789") for _ in range(12))
    client = server.client("codeconnections", account=account)
    return account, make_connections(client, 101, ("GitHub", "GitLab"))


@pytest.mark.parametrize("size", [None, 0])
def test_default_page_size_is_100(server, service, hundred_and_one, size):
    account, made = hundred_and_one
    client = server.client(service, account=account)
    pages = walk(client.list_connections, "Connections", page_size=size)
    assert [len(p) for p in pages] == [100, 1]
    assert arns(pages, "ConnectionArn") == made


@pytest.mark.parametrize("operation", ["list_connections", "list_hosts"])
def test_bad_next_token(make_client, service, operation):
    client = make_client(service, validate=False)
    make_connections(client, 3)
    make_hosts(client, 3)
    lister = getattr(client, operation)
    for token in ("garbage", "eyJ2IjoxfQ", "%%%", "x" * 1024):
        response = expect_error(service, "ValidationException", lister, NextToken=token, MaxResults=1)
        assert "NextToken" in response["Error"]["Message"] or "nextToken" in response["Error"]["Message"]
    # Too long or empty: the model's own constraint.
    for token in ("x" * 1025, ""):
        response = expect_error(service, "ValidationException", lister, NextToken=token)
        assert "at 'nextToken' failed to satisfy constraint" in response["Error"]["Message"]
    # A token of the other listing is not accepted.
    other = client.list_hosts if operation == "list_connections" else client.list_connections
    foreign = other(MaxResults=1)["NextToken"]
    expect_error(service, "ValidationException", lister, NextToken=foreign)
