"""The Git remote itself: both URL forms, the admin token as the password, large pushes, where repositories live
and how they follow links, resets and snapshots; `codestar-local sync remote`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request

import pytest

from servers import Server

from .gitwork import TEMPLATE, Work, deployment, handshake, name_url, ready_link, remote_url, settled

TOKEN = "git-sync-admin-token-1234567890"


@pytest.fixture
def work(tmp_path):
    return Work(tmp_path / "work", tmp_path / "home").init()


def commit_stack(work: Work, folder: str = "stacks/web", note: str = "") -> str:
    work.write(f"{folder}/deployment.yaml", deployment(f"{folder}/template.yaml", Env="dev"))
    work.write(f"{folder}/template.yaml", TEMPLATE + (f"# {note}\n" if note else ""))
    return work.commit(note or "stack")


def test_clone_fetch_and_push_through_both_url_forms(git, work, server, tmp_path, account):
    link = ready_link(git, server, owner="octo-org", repo="infra.live")
    link_id = link["RepositoryLinkId"]
    git.config(link_id, "web", config_file="stacks/web/deployment.yaml")
    by_id = remote_url(server.endpoint_url, link_id)
    by_name = name_url(server.endpoint_url, account, "octo-org", "infra.live")
    first = commit_stack(work)
    work.push(by_id)

    # Clone through the provider-like URL, push from the clone through it.
    other = Work(tmp_path / "clone", tmp_path / "home")
    work.git("clone", "-q", by_name, other.path, cwd=str(tmp_path))
    assert other.head() == first
    assert other.git("rev-parse", "--abbrev-ref", "HEAD").stdout.strip() == "main"  # HEAD followed the first branch
    second = commit_stack(other, note="from the clone")
    other.push(by_name)
    assert settled(git.client, "web", second)["LatestSync"]["Status"] == "SUCCEEDED"

    # Fetch it back through the id URL.
    work.git("fetch", "-q", by_id, "main")
    assert work.git("rev-parse", "FETCH_HEAD").stdout.strip() == second
    assert work.git("ls-remote", by_name).stdout.split()[0] == second
    # Another account's path, or an unknown link, is not found.
    missing = work.git("ls-remote", name_url(server.endpoint_url, "999999999999", "octo-org", "infra.live"), check=False)
    assert missing.returncode != 0 and "not found" in missing.stderr.lower()
    unknown = work.git("ls-remote", remote_url(server.endpoint_url, "00000000-0000-4000-8000-000000000000"), check=False)
    assert unknown.returncode != 0


def test_the_name_form_of_two_links_to_one_repository_is_ambiguous(git, work, server, account):
    one = git.link(git.connection(name="one"), owner="shared", repo="repo")["RepositoryLinkId"]
    two = git.link(git.connection(name="two"), owner="shared", repo="repo")["RepositoryLinkId"]
    out = work.git("ls-remote", name_url(server.endpoint_url, account, "shared", "repo"), check=False)
    assert out.returncode != 0
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(name_url(server.endpoint_url, account, "shared", "repo") + "/info/refs?service=git-upload-pack")
    assert e.value.code == 409
    text = e.value.read().decode()
    assert one in text and two in text
    # Each id URL still works.
    assert work.git("ls-remote", remote_url(server.endpoint_url, one)).returncode == 0


def test_a_push_larger_than_the_api_body_limit(git, work, server):
    link_id = ready_link(git, server, owner="octo", repo="big")["RepositoryLinkId"]
    git.config(link_id, "big-stack", config_file="stacks/web/deployment.yaml")
    work.write("assets/blob.bin", os.urandom(3 * 1024 * 1024))  # random: the pack cannot compress it below 2 MiB
    sha = commit_stack(work)
    url = remote_url(server.endpoint_url, link_id)
    work.push(url)
    assert settled(git.client, "big-stack", sha)["LatestSync"]["Status"] == "SUCCEEDED"
    # The clone's answer (over 3 MiB) streams back whole.
    clone = Work(work.path + "-clone", work.env["HOME"])
    work.git("clone", "-q", url, clone.path, cwd=os.path.dirname(work.path))
    with open(os.path.join(clone.path, "assets/blob.bin"), "rb") as a, open(os.path.join(work.path, "assets/blob.bin"), "rb") as b:
        assert a.read() == b.read()


def test_the_admin_token_is_the_git_password(tmp_path):
    server = Server(extra=["--admin-token", TOKEN])
    try:
        client = server.client("codeconnections", account="123456789012")
        conn = client.create_connection(ProviderType="GitLab", ConnectionName="guarded")["ConnectionArn"]
        handshake(server.endpoint_url, conn, TOKEN)
        link_id = client.create_repository_link(ConnectionArn=conn, OwnerId="grp", RepositoryName="app")["RepositoryLinkInfo"]["RepositoryLinkId"]
        client.create_sync_configuration(Branch="main", ConfigFile="stacks/web/deployment.yaml", RepositoryLinkId=link_id,
                                         ResourceName="guarded-web", RoleArn="arn:aws:iam::123456789012:role/r", SyncType="CFN_STACK_SYNC")
        work = Work(tmp_path / "work", tmp_path / "home").init()
        sha = commit_stack(work)
        url = remote_url(server.endpoint_url, link_id)
        # No password: git asks for one (the 401 says Basic); with prompts off it fails.
        refused = work.push(url, check=False)
        assert refused.returncode != 0 and "could not read Username" in refused.stderr
        wrong = work.push(url.replace("http://", "http://git:wrong@"), check=False)
        assert wrong.returncode != 0 and "Authentication failed" in wrong.stderr
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(url + "/info/refs?service=git-receive-pack")
        assert e.value.code == 401 and e.value.headers["WWW-Authenticate"].startswith("Basic ")
        # The token as the password (any user name): push and clone work.
        with_token = url.replace("http://", f"http://git:{TOKEN}@")
        work.push(with_token)
        assert settled(client, "guarded-web", sha)["LatestSync"]["Status"] == "SUCCEEDED"
        clone = Work(tmp_path / "clone", tmp_path / "home")
        work.git("clone", "-q", with_token, clone.path, cwd=str(tmp_path))
        assert clone.head() == sha
        # The CLI prints the URL once the token lets it see the link.
        printed = _cli("sync", "remote", "--link", link_id, "--endpoint", server.endpoint_url, "--admin-token", TOKEN)
        assert printed.returncode == 0 and printed.stdout.strip() == url
        denied = _cli("sync", "remote", "--link", link_id, "--endpoint", server.endpoint_url)
        assert denied.returncode == 1 and "admin token" in denied.stderr
    finally:
        server.stop()


def _cli(*args, env=None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k != "CODESTAR_LOCAL_ADMIN_TOKEN"}
    return subprocess.run([sys.executable, "-m", "codestar_local.cli", *args], capture_output=True, text=True, timeout=60,
                          env={**clean, **(env or {})})


def test_sync_remote_prints_the_url(git, server):
    link_id = git.link(owner="octo", repo="cli")["RepositoryLinkId"]
    out = _cli("sync", "remote", "--link", link_id, "--endpoint", server.endpoint_url)
    assert out.returncode == 0, out.stderr
    assert out.stdout == remote_url(server.endpoint_url, link_id) + "\n"
    missing = _cli("sync", "remote", "--link", "00000000-0000-4000-8000-000000000000", "--endpoint", server.endpoint_url)
    assert missing.returncode == 1 and "No repository link" in missing.stderr
    bad = _cli("sync", "remote", "--link", "nope", "--endpoint", server.endpoint_url)
    assert bad.returncode == 1 and "not a RepositoryLinkId" in bad.stderr


def _post(endpoint: str, path: str, body=None, method="POST") -> dict:
    data = json.dumps(body or {}).encode() if method != "GET" else None
    req = urllib.request.Request(f"{endpoint}/_codestar-local/{path}", data=data, method=method)
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def test_repositories_follow_links_resets_and_snapshots(tmp_path):
    git_dir = tmp_path / "repos"
    server = Server(state=str(tmp_path / "state.db"), extra=["--git-dir", str(git_dir)])
    try:
        client = server.client("codestar-connections", account="210987654321")
        conn = client.create_connection(ProviderType="Bitbucket", ConnectionName="repos")["ConnectionArn"]

        def link(name):
            return client.create_repository_link(ConnectionArn=conn, OwnerId="ws", RepositoryName=name)["RepositoryLinkInfo"]["RepositoryLinkId"]

        kept, dropped = link("kept"), link("dropped")
        for link_id in (kept, dropped):
            work = Work(tmp_path / link_id, tmp_path / "home").init()
            work.write("README.md", link_id)
            work.commit()
            work.push(remote_url(server.endpoint_url, link_id))
            assert (git_dir / f"{link_id}.git" / "HEAD").is_file()

        # A snapshot without `dropped`: the import keeps `kept`'s repository and removes the other.
        snapshot = _post(server.endpoint_url, "state", method="GET")
        snapshot["items"] = [i for i in snapshot["items"] if i["data"].get("RepositoryLinkId") != dropped]
        req = urllib.request.Request(f"{server.endpoint_url}/_codestar-local/state", data=json.dumps(snapshot).encode(), method="PUT")
        with urllib.request.urlopen(req, timeout=30) as r:
            assert json.loads(r.read())["imported"] is True
        assert (git_dir / f"{kept}.git").is_dir()
        assert not (git_dir / f"{dropped}.git").exists()
        out = Work(tmp_path / "check", tmp_path / "home")
        assert out.git("ls-remote", remote_url(server.endpoint_url, kept), cwd=str(tmp_path)).stdout.strip()
        assert out.git("ls-remote", remote_url(server.endpoint_url, dropped), cwd=str(tmp_path), check=False).returncode != 0

        # DeleteRepositoryLink removes its repository.
        third = link("third")
        out.git("ls-remote", remote_url(server.endpoint_url, third), cwd=str(tmp_path))  # made on first use
        assert (git_dir / f"{third}.git").is_dir()
        client.delete_repository_link(RepositoryLinkId=third)
        assert not (git_dir / f"{third}.git").exists()

        # A reset removes them all.
        assert _post(server.endpoint_url, "reset")["reset"] is True
        assert not (git_dir / f"{kept}.git").exists()
    finally:
        server.stop()


def test_git_dir_defaults_beside_the_state_file(tmp_path):
    server = Server(state=str(tmp_path / "state.db"))
    try:
        client = server.client("codeconnections", account="333333333333")
        conn = client.create_connection(ProviderType="GitHub", ConnectionName="d")["ConnectionArn"]
        link_id = client.create_repository_link(ConnectionArn=conn, OwnerId="o", RepositoryName="r")["RepositoryLinkInfo"]["RepositoryLinkId"]
        work = Work(tmp_path / "work", tmp_path / "home").init()
        work.write("a.txt", "a")
        work.commit()
        work.push(remote_url(server.endpoint_url, link_id))
        assert (tmp_path / "state.db-git" / f"{link_id}.git" / "HEAD").is_file()
    finally:
        server.stop()


def _http(url: str, data=None, content_type=None, method=None, headers=None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=data, method=method, headers={**({"Content-Type": content_type} if content_type else {}), **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


RECEIVE = "application/x-git-receive-pack-request"
UPLOAD = "application/x-git-upload-pack-request"


def test_bad_git_requests_are_client_errors(git, server):
    link_id = git.link(owner="octo", repo="hostile")["RepositoryLinkId"]
    base = remote_url(server.endpoint_url, link_id)
    update = b"0" * 40 + b" " + b"1" * 40 + b" refs/heads/main\0report-status\n"
    cases = [
        (base + "/git-receive-pack", b"garbage", RECEIVE, {}, 400),
        (base + "/git-receive-pack", os.urandom(300), RECEIVE, {}, 400),
        (base + "/git-upload-pack", b"0032want " + b"a" * 40 + b"\n00000009done\n", UPLOAD, {}, 400),
        (base + "/git-upload-pack", b"not gzip", UPLOAD, {"Content-Encoding": "gzip"}, 400),
        (base + "/git-upload-pack", b"x", "text/plain", {}, 403),
        (base + "/info/refs?service=git-nope", None, None, {}, 403),
        (base + "/nothing-here", None, None, {}, 404),
        (f"{server.endpoint_url}/_codestar-local/git/../../etc/passwd", None, None, {}, 404),
        (f"{server.endpoint_url}/_codestar-local/git/{link_id}.gitx/info/refs", None, None, {}, 404),
        (f"{server.endpoint_url}/_codestar-local/git/", None, None, {}, 404),
    ]
    for url, data, content_type, headers, expected in cases:
        status, body = _http(url, data, content_type, headers=headers)
        assert status == expected, (url, data, status, body)
        assert b"Traceback" not in body
    # A broken pack after valid commands: receive-pack's own report (as git http-backend answers), no ref moves.
    status, body = _http(base + "/git-receive-pack", b"%04x" % (len(update) + 4) + update + b"0000PACKnot a pack", RECEIVE)
    assert status == 200 and b"unpack " in body and b"unpack ok" not in body
    assert b"refs/heads/main" not in _http(base + "/info/refs?service=git-upload-pack")[1]
    # A state-changing Git request from a web page elsewhere is refused before it runs.
    status, body = _http(base + "/git-receive-pack", b"0000", RECEIVE, headers={"Origin": "http://evil.example"})
    assert status == 403 and b"another web origin" in body
    assert _http(f"{server.endpoint_url}/_codestar-local/health")[0] == 200


def test_the_git_body_limit_is_its_own(tmp_path):
    server = Server(extra=["--max-git-body", "200000"])
    try:
        client = server.client("codeconnections", account="444444444444")
        conn = client.create_connection(ProviderType="GitHub", ConnectionName="limit")["ConnectionArn"]
        link_id = client.create_repository_link(ConnectionArn=conn, OwnerId="o", RepositoryName="r")["RepositoryLinkInfo"]["RepositoryLinkId"]
        url = remote_url(server.endpoint_url, link_id)
        status, body = _http(url + "/git-receive-pack", b"0" * 200001, RECEIVE)
        assert status == 413 and b"--max-git-body" in body
        work = Work(tmp_path / "work", tmp_path / "home").init()
        work.write("big.bin", os.urandom(400_000))
        work.commit()
        refused = work.push(url, check=False)
        assert refused.returncode != 0
        assert work.git("ls-remote", url).stdout == ""  # nothing landed
    finally:
        server.stop()
