"""The web console over plain HTTP: pages, forms without JavaScript, JSON for the script, escaping."""

from __future__ import annotations

import html
import re
import urllib.parse

import pytest
from control_http import console_csrf, http

BASE = "/_codestar-local/console"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def page(server, account, region="us-east-1", **extra):
    answer = http(server, "GET", f"{BASE}?" + urllib.parse.urlencode({"account": account, "region": region, **extra}))
    assert answer.status == 200, answer.text
    return answer


def post_form(server, path, accept_json=False, **fields):
    """A console form as a browser posts it: with the CSRF token of a page and its cookie."""
    token, cookie = console_csrf(server)
    headers = {**FORM, "Cookie": cookie}
    if accept_json:
        headers["Accept"] = "application/json"
    return http(server, "POST", BASE + path, raw=urllib.parse.urlencode({"csrf": token, **fields}).encode(), headers=headers)


def row(text: str, arn: str) -> str:
    """The <tr> of one resource."""
    match = re.search(r'<tr data-arn="' + re.escape(html.escape(arn)) + r'".*?</tr>', text, re.S)
    assert match, f"no row for {arn}"
    return match.group(0)


def test_page_lists_the_resources_of_the_account_and_region(server, account):
    east = server.client("codestar-connections", account=account)
    west = server.client("codeconnections", account=account, region="eu-west-1")
    conn = east.create_connection(ConnectionName="east-conn", ProviderType="GitHub",
                                  Tags=[{"Key": "team", "Value": "platform"}])["ConnectionArn"]
    host = east.create_host(Name="east-host", ProviderType="GitHubEnterpriseServer", ProviderEndpoint="https://e.example.com")["HostArn"]
    west_host = west.create_host(Name="west-host", ProviderType="GitLabSelfManaged", ProviderEndpoint="https://w.example.com")["HostArn"]
    answer = page(server, account)
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    text = answer.text
    assert 'data-status="PENDING"' in row(text, conn)
    assert "east-conn" in row(text, conn)
    assert "platform" in row(text, conn)
    assert "Complete handshake" in row(text, conn)
    assert "Set up host" in row(text, host)
    # Hosts are regional: the other region's host shows on its own page only.
    assert west_host not in text
    west_page = page(server, account, "eu-west-1").text
    assert west_host in west_page
    # Connections are global: listed in every region of the account.
    assert conn in west_page
    # The switcher offers the regions that have resources.
    assert f'<option value="{account}" selected>' in text
    assert '<option value="eu-west-1">eu-west-1 (1)</option>' in text


def test_script_in_a_connection_name_is_inert(server, account):
    client = server.client("codestar-connections", account=account)
    names = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "&\"'<>"]
    arns = [client.create_connection(ConnectionName=name, ProviderType="GitHub",
                                     Tags=[{"Key": "<b>k</b>", "Value": "<i>v</i>"}])["ConnectionArn"] for name in names]
    pages = [page(server, account).text]
    pages += [http(server, "GET", f"{BASE}/handshake?" + urllib.parse.urlencode({"arn": arn, "account": account})).text for arn in arns]
    for text in pages:
        assert "<script>alert" not in text
        assert "<img src=x" not in text
        assert "<b>k</b>" not in text and "<i>v</i>" not in text
    for name in names:
        assert html.escape(name) in pages[0]
    # Every script the page loads is our own file.
    scripts = re.findall(r"<script\b[^>]*>", pages[0])
    assert scripts == [f'<script src="{BASE}/static/console.js" defer>']


def test_handshake_form_without_javascript(server, account):
    client = server.client("codeconnections", account=account)
    arn = client.create_connection(ConnectionName="flow", ProviderType="Bitbucket")["ConnectionArn"]
    step = http(server, "GET", f"{BASE}/handshake?" + urllib.parse.urlencode({"arn": arn, "account": account}))
    assert step.status == 200
    assert "Bitbucket workspace" in step.text
    choices = re.findall(r'name="installation" value="([^"]+)"', step.text)
    assert len(choices) == 4 and choices[-1] == "new"
    answer = post_form(server, "/connections/handshake", arn=arn, installation=html.unescape(choices[1]), account=account,
                       region="us-east-1")
    assert answer.status == 303
    location = answer.headers["location"]
    assert location.startswith(f"{BASE}?")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
    assert query["notice"] == ["handshake"] and query["account"] == [account]
    assert client.get_connection(ConnectionArn=arn)["Connection"]["ConnectionStatus"] == "AVAILABLE"
    shown = http(server, "GET", location.split("#")[0]).text
    assert "Connection flow is now AVAILABLE." in shown
    assert html.unescape(choices[1]) in html.unescape(row(shown, arn))
    assert "Complete handshake" not in row(shown, arn)


def test_handshake_page_for_a_connection_on_a_pending_host(server, account):
    client = server.client("codestar-connections", account=account)
    host = client.create_host(Name="gh", ProviderType="GitHubEnterpriseServer", ProviderEndpoint="https://gh.example.com")["HostArn"]
    arn = client.create_connection(ConnectionName="on-host", HostArn=host)["ConnectionArn"]
    step = http(server, "GET", f"{BASE}/handshake?" + urllib.parse.urlencode({"arn": arn, "account": account})).text
    assert "Set up the host before" in step
    assert 'name="installation"' not in step
    refused = post_form(server, "/connections/handshake", arn=arn, account=account)
    assert refused.status == 303
    assert "error=HostNotAvailable" in refused.headers["location"]
    assert "uses a host that is not set up yet" in http(server, "GET", refused.headers["location"].split("#")[0]).text
    assert post_form(server, "/hosts/setup", arn=host, account=account).status == 303
    assert client.get_host(HostArn=host)["Status"] == "AVAILABLE"
    assert post_form(server, "/connections/handshake", arn=arn, account=account, installation="new").status == 303
    assert client.get_connection(ConnectionArn=arn)["Connection"]["ConnectionStatus"] == "AVAILABLE"


def test_forms_answer_json_to_the_script(server, account):
    client = server.client("codestar-connections", account=account)
    arn = client.create_connection(ConnectionName="js", ProviderType="GitHub")["ConnectionArn"]
    host = client.create_host(Name="hj", ProviderType="GitLabSelfManaged", ProviderEndpoint="https://hj.example.com")["HostArn"]
    answer = post_form(server, "/connections/status", accept_json=True, arn=arn, status="ERROR", account=account)
    assert answer.status == 200
    assert answer.json["message"] == "Connection js is now ERROR."
    assert answer.json["resource"] == client.get_connection(ConnectionArn=arn)["Connection"]
    answer = post_form(server, "/hosts/status", accept_json=True, arn=host, status="VPC_CONFIG_DELETING", message="bye",
                       account=account)
    assert answer.json["resource"]["StatusMessage"] == "bye"
    assert client.get_host(HostArn=host)["Status"] == "VPC_CONFIG_DELETING"
    refused = post_form(server, "/hosts/setup", accept_json=True, arn=host, account=account)
    assert refused.status == 409
    assert refused.error == "InvalidState"
    missing = post_form(server, "/connections/status", accept_json=True, arn=arn + "x", status="ERROR", account=account)
    assert missing.status == 404
    bad = post_form(server, "/connections/status", accept_json=True, arn=arn, status="BROKEN", account=account)
    assert bad.status == 400


def test_reset_form_deletes_one_account(server, account):
    client = server.client("codestar-connections", account=account)
    client.create_connection(ConnectionName="doomed", ProviderType="GitHub")
    answer = post_form(server, "/reset", account=account)
    assert answer.status == 303
    assert client.list_connections()["Connections"] == []


def test_data_endpoint_changes_with_the_state(server, account):
    client = server.client("codestar-connections", account=account)
    arn = client.create_connection(ConnectionName="live", ProviderType="GitHub")["ConnectionArn"]
    url = f"{BASE}/data.json?account={account}&region=us-east-1"
    first = http(server, "GET", url).json
    assert [(c["arn"], c["status"]) for c in first["connections"]] == [(arn, "PENDING")]
    assert first["counts"]["connections"] == 1
    assert first["fingerprint"] in page(server, account).text
    http(server, "POST", "/_codestar-local/connections/handshake", body={"ConnectionArn": arn})
    second = http(server, "GET", url).json
    assert second["connections"][0]["status"] == "AVAILABLE"
    assert second["fingerprint"] != first["fingerprint"]


@pytest.mark.parametrize("query", ["account=123", "account=abcdefghijkl", "region=mars", "region=<script>"])
def test_bad_scope_is_a_400_page(server, query):
    answer = http(server, "GET", f"{BASE}?{query}")
    assert answer.status == 400
    assert "text/html" in answer.headers["content-type"]
    assert "<script>" not in answer.text.split("<body>", 1)[1].replace('<script src=', '')


def test_bad_scope_in_json_and_forms_is_400(server):
    assert http(server, "GET", f"{BASE}/data.json?account=1").status == 400
    answer = post_form(server, "/connections/status", arn="x", status="ERROR", account="nope")
    assert answer.status == 400
    assert answer.error == "InvalidParameter"


def test_unknown_connection_handshake_page_is_404(server, account):
    answer = http(server, "GET", f"{BASE}/handshake?account={account}&arn=arn:aws:codestar-connections:us-east-1:{account}:connection/x")
    assert answer.status == 404
    assert "does not exist" in answer.text


def test_static_files(server):
    css = http(server, "GET", f"{BASE}/static/console.css")
    assert css.status == 200
    assert css.headers["content-type"].startswith("text/css")
    again = http(server, "GET", f"{BASE}/static/console.css", headers={"If-None-Match": css.headers["etag"]})
    assert again.status == 304
    js = http(server, "GET", f"{BASE}/static/console.js")
    assert js.status == 200 and "javascript" in js.headers["content-type"]
    assert http(server, "GET", f"{BASE}/static/favicon.svg").status == 200
    for name in ("nope.css", "..%2F..%2Fapp.py", "../__init__.py"):
        assert http(server, "GET", f"{BASE}/static/{name}").status == 404
    # Everything the page references is served here: no CDN.
    text = page(server, "000000000000").text
    for ref in re.findall(r'(?:src|href)="([^"#]+)"', text):
        assert ref.startswith("/_codestar-local/"), ref


def test_cross_origin_form_post_is_refused(server, account):
    client = server.client("codestar-connections", account=account)
    arn = client.create_connection(ConnectionName="csrf", ProviderType="GitHub")["ConnectionArn"]
    answer = http(server, "POST", f"{BASE}/connections/status", raw=urllib.parse.urlencode({"arn": arn, "status": "ERROR"}).encode(),
                  headers={**FORM, "Origin": "http://attacker.example"})
    assert answer.status == 403
    assert client.get_connection(ConnectionArn=arn)["Connection"]["ConnectionStatus"] == "PENDING"


# -- CodeStar ------------------------------------------------------------------------
@pytest.fixture
def codestar(server, account, monkeypatch):
    """A boto3 codestar client (botocore no longer ships the model: codestar-local does).

    AWS_DATA_PATH is set for this test only (the suite's boto_session is keyed by it): other
    test modules check that `codestar` is unknown without it."""
    from codestar_local import spec

    monkeypatch.setenv("AWS_DATA_PATH", str(spec.models_path()))
    return lambda region="us-east-1": server.client("codestar", account=account, region=region)


def project_row(text: str, project_id: str) -> str:
    match = re.search(r'<tr data-arn="[^"]*" data-project-id="' + re.escape(project_id) + r'".*?</tr>', text, re.S)
    assert match, f"no row for project {project_id}"
    return match.group(0)


def wait_for(check, timeout=10.0):
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def test_codestar_projects_and_profiles_are_shown(server, account, codestar):
    cs = codestar()
    arn = cs.create_project(name="Web <app>", id="web-app", description="the <b>shop</b> front",
                            tags={"team": "web", "env": "dev"})["arn"]
    bob = f"arn:aws:iam::{account}:user/bob"
    cs.associate_team_member(projectId="web-app", userArn=bob, projectRole="Contributor", remoteAccessAllowed=True)
    profile = cs.create_user_profile(userArn=bob, displayName="Bob <Builder>", emailAddress="bob@example.com")
    owner = f"arn:aws:iam::{account}:user/{account}"

    text = page(server, account).text
    found = project_row(text, "web-app")
    assert arn in found
    assert html.escape("Web <app>") in found and "<app>" not in found
    assert html.escape("the <b>shop</b> front") in found and "<b>shop" not in found
    assert re.search(r'data-status="(CreateInProgress|CreateComplete)"', found)
    assert re.search(r'badge-(wait|ok)">(CreateInProgress|CreateComplete)<', found)
    assert '<span class="tag-key">team</span><span class="tag-value">web</span>' in found
    assert '<span class="tag-key">env</span><span class="tag-value">dev</span>' in found
    assert f'data-user-arn="{owner}"' in found and f'data-user-arn="{bob}"' in found
    assert ">Owner<" in found and ">Contributor<" in found and "remote-yes" in found
    # The user profile: per account, so every region shows it; projects are regional.
    assert html.escape("Bob <Builder>") in row(text, bob)
    assert "bob@example.com" in row(text, bob)
    west = page(server, account, "eu-west-1").text
    assert "bob@example.com" in row(west, bob)
    assert 'data-project-id="web-app"' not in west
    assert '<option value="us-east-1" selected>us-east-1 (2)</option>' in text

    data = http(server, "GET", f"{BASE}/data.json?account={account}&region=us-east-1").json
    (shown,) = data["projects"]
    assert shown["id"] == "web-app" and shown["arn"] == arn and shown["name"] == "Web <app>"
    assert shown["tags"] == {"team": "web", "env": "dev"}
    assert shown["state"] in ("CreateInProgress", "CreateComplete")
    assert {(m["userArn"], m["projectRole"], m["remoteAccessAllowed"]) for m in shown["teamMembers"]} == {
        (owner, "Owner", False), (bob, "Contributor", True)}
    # (boto3 parses the timestamps to microseconds.)
    assert data["userProfiles"] == [{"userArn": bob, "displayName": "Bob <Builder>", "emailAddress": "bob@example.com",
                                     "sshPublicKey": False,
                                     "created": pytest.approx(profile["createdTimestamp"].timestamp(), abs=1e-3),
                                     "modified": pytest.approx(profile["lastModifiedTimestamp"].timestamp(), abs=1e-3)}]
    assert data["counts"]["projects"] == 1 and data["counts"]["userProfiles"] == 1
    assert sum(data["counts"]["projectsByState"].values()) == 1
    west_data = http(server, "GET", f"{BASE}/data.json?account={account}&region=eu-west-1").json
    assert west_data["projects"] == [] and len(west_data["userProfiles"]) == 1

    # CreateInProgress turns CreateComplete by itself (0.5 s): the fingerprint follows, without a write.
    url = f"{BASE}/data.json?account={account}&region=us-east-1"
    done = wait_for(lambda: (d := http(server, "GET", url).json)["projects"][0]["state"] == "CreateComplete" and d)
    assert done, "the project never showed CreateComplete"
    assert done["counts"]["projectsByState"]["CreateComplete"] == 1
    assert 'badge-ok">CreateComplete<' in project_row(page(server, account).text, "web-app")


def test_deleted_codestar_project_goes_away(server, account, codestar):
    cs = codestar()
    cs.create_project(name="Doomed", id="doomed", tags={"a": "b"})
    cs.create_project(name="Kept", id="kept")
    url = f"{BASE}/data.json?account={account}&region=us-east-1"
    before = http(server, "GET", url).json
    cs.delete_project(id="doomed")
    during = http(server, "GET", url).json
    states = {p["id"]: p["state"] for p in during["projects"]}
    # DeleteInProgress for 0.5 s (the server default), then gone.
    if "doomed" in states:
        assert states["doomed"] == "DeleteInProgress"
        assert during["counts"]["projectsByState"]["DeleteInProgress"] == 1
        assert 'badge-bad">DeleteInProgress<' in project_row(page(server, account).text, "doomed")
    gone = wait_for(lambda: (d := http(server, "GET", url).json) and [p["id"] for p in d["projects"]] == ["kept"] and d)
    assert gone, "the deleted project stayed on the page"
    assert gone["counts"]["projects"] == 1
    assert gone["fingerprint"] != before["fingerprint"]
    text = page(server, account).text
    assert 'data-project-id="doomed"' not in text
    assert 'data-project-id="kept"' in text
    # The switcher no longer counts it either.
    assert f'<option value="{account}" selected>{account} (1)</option>' in text


def test_no_codestar_resources_say_how_to_make_them(server, account):
    text = page(server, account).text
    assert 'id="codestar-projects"' in text and "No CodeStar projects in us-east-1." in text
    assert 'id="user-profiles"' in text and "No CodeStar user profiles in this account." in text
