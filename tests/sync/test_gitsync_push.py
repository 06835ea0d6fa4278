"""Git sync from real Git: `git push` to a link's remote, the emulator reads the files and checks the template.

Both connection endpoints (the `git` fixture is parametrized over them), boto3 for the API, the git binary for
the repository.
"""

from __future__ import annotations

import time

import pytest

from .gitwork import BROKEN_YAML, TEMPLATE, UNKNOWN_TYPE, Work, deployment, handshake, ready_link, remote_url, repository_settled, settled, texts

WEB = "stacks/web"


@pytest.fixture
def work(tmp_path):
    return Work(tmp_path / "work", tmp_path / "home").init()


@pytest.fixture
def linked(git, server):
    """A link with one sync configuration (stack `web`, stacks/web/deployment.yaml on main) and its remote."""
    link = ready_link(git, server, owner="octo", repo="infra")
    git.config(link["RepositoryLinkId"], "web", config_file=f"{WEB}/deployment.yaml")
    return link, remote_url(server.endpoint_url, link["RepositoryLinkId"])


def valid_web(work: Work) -> None:
    work.write(f"{WEB}/deployment.yaml", deployment(f"{WEB}/template.yaml", Env="dev"))
    work.write(f"{WEB}/template.yaml", TEMPLATE)


def test_push_a_valid_template_succeeds_with_that_commit(git, work, linked):
    link, url = linked
    valid_web(work)
    sha = work.commit("the web stack")
    pushed = work.push(url)
    returned = time.monotonic()
    # The push's answer says what started.
    assert "Git sync of stack web: INITIATED" in pushed.stderr
    status = settled(git.client, "web", sha)
    assert time.monotonic() - returned < 2.0
    latest = status["LatestSync"]
    assert latest["Status"] == "SUCCEEDED"
    assert latest["TargetRevision"] == {"Branch": "main", "Directory": WEB, "OwnerId": "octo", "RepositoryName": "infra",
                                        "ProviderType": "GitHub", "Sha": sha}
    assert status["DesiredState"]["Sha"] == sha
    assert status["LatestSuccessfulSync"]["TargetRevision"]["Sha"] == sha
    repo = repository_settled(git.client, link["RepositoryLinkId"], sha)
    assert repo["Status"] == "SUCCEEDED"
    assert f"Commit {sha[:7]} detected on branch main" in texts(repo)
    assert git.blockers("web") == []


def test_yaml_error_fails_with_the_message_and_a_blocker(git, work, linked):
    _, url = linked
    work.write(f"{WEB}/deployment.yaml", deployment(f"{WEB}/template.yaml", Env="dev"))
    work.write(f"{WEB}/template.yaml", BROKEN_YAML)
    sha = work.commit("broken YAML")
    pushed = work.push(url)
    assert "fails: Template stacks/web/template.yaml could not be parsed" in pushed.stderr
    latest = settled(git.client, "web", sha)["LatestSync"]
    assert latest["Status"] == "FAILED"
    failed = latest["Events"][-1]
    assert failed["Type"] == "FAILED"
    assert failed["Event"].startswith(f"Template {WEB}/template.yaml could not be parsed at line ")
    [blocker] = git.blockers("web")
    assert blocker["Status"] == "ACTIVE" and blocker["Type"] == "AUTOMATED"
    assert blocker["CreatedReason"] == failed["Event"]
    assert {"Key": "CommitId", "Value": sha} in blocker["Contexts"]


def test_cfn_lint_error_fails_then_resolve_and_fix_succeeds(git, work, linked):
    link, url = linked
    work.write(f"{WEB}/deployment.yaml", deployment(f"{WEB}/template.yaml", Env="dev"))
    work.write(f"{WEB}/template.yaml", UNKNOWN_TYPE)
    bad = work.commit("a typo in the resource type")
    work.push(url)
    status = settled(git.client, "web", bad)
    latest = status["LatestSync"]
    assert latest["Status"] == "FAILED"
    assert "LatestSuccessfulSync" not in status
    reason = latest["Events"][-1]["Event"]
    assert reason.startswith(f"Template {WEB}/template.yaml failed cfn-lint with 1 error: E3006 line 8, column 5: ")
    assert "AWS::S3::Buckett" in reason
    lint = [e for e in latest["Events"] if e["Type"] == "LINT_ERROR"]
    assert lint and lint[0]["Event"].startswith(f"{WEB}/template.yaml: E3006 line 8, column 5: ")
    [blocker] = git.blockers("web")
    assert blocker["Status"] == "ACTIVE" and "E3006" in blocker["CreatedReason"]
    assert repository_settled(git.client, link["RepositoryLinkId"], bad)["Status"] == "FAILED"

    # The fix lands while the blocker is active: recorded (DesiredState), not synced.
    work.write(f"{WEB}/template.yaml", TEMPLATE)
    fix = work.commit("fix the type")
    pushed = work.push(url)
    assert f"BLOCKED by sync blocker {blocker['Id']}" in pushed.stderr
    status = git.resource_status("web")
    assert status["DesiredState"]["Sha"] == fix
    assert status["LatestSync"]["TargetRevision"]["Sha"] == bad

    # Resolve it, push again: the stack syncs to the fix.
    out = git.client.update_sync_blocker(Id=blocker["Id"], SyncType="CFN_STACK_SYNC", ResourceName="web", ResolvedReason="fixed the type")
    assert out["SyncBlocker"]["Status"] == "RESOLVED"
    work.write(f"{WEB}/README.md", "The web stack.\n")
    again = work.commit("a note beside the stack")
    work.push(url)
    status = settled(git.client, "web", again)
    assert status["LatestSync"]["Status"] == "SUCCEEDED"
    assert status["LatestSuccessfulSync"]["TargetRevision"]["Sha"] == again
    # Nothing had succeeded before: InitialRevision is the target itself.
    assert status["LatestSync"]["InitialRevision"]["Sha"] == again
    assert [b["Status"] for b in git.blockers("web")] == ["RESOLVED"]


def test_change_outside_the_config_folder_syncs_nothing(git, work, linked):
    link, url = linked
    valid_web(work)
    first = work.commit("the web stack")
    work.push(url)
    settled(git.client, "web", first)
    work.write("README.md", "# infra\n")
    work.write("docs/notes.md", "notes\n")
    other = work.commit("docs only")
    pushed = work.push(url)
    assert "Git sync of stack web: SKIPPED" in pushed.stderr
    time.sleep(0.7)  # longer than a sync takes: a resource sync would have shown by now
    status = git.resource_status("web")
    assert status["LatestSync"]["TargetRevision"]["Sha"] == first
    assert status["DesiredState"]["Sha"] == first
    # The branch itself was read at the new commit.
    assert repository_settled(git.client, link["RepositoryLinkId"], other)["Status"] == "SUCCEEDED"


def test_template_outside_the_folder_counts_as_the_stack_s_file(git, work, linked):
    _, url = linked
    work.write(f"{WEB}/deployment.yaml", deployment("templates/web.yaml", Env="dev"))
    work.write("templates/web.yaml", TEMPLATE)
    first = work.commit("template elsewhere")
    work.push(url)
    assert settled(git.client, "web", first)["LatestSync"]["Status"] == "SUCCEEDED"
    work.write("templates/web.yaml", UNKNOWN_TYPE)
    second = work.commit("break the shared template")
    work.push(url)
    assert settled(git.client, "web", second)["LatestSync"]["Status"] == "FAILED"


def test_two_sync_configurations_on_one_branch(git, work, server):
    link = ready_link(git, server, owner="octo", repo="platform")
    link_id = link["RepositoryLinkId"]
    git.config(link_id, "web", config_file="web/deployment.yaml")
    git.config(link_id, "db", config_file="db/deployment.yaml", TriggerResourceUpdateOn="FILE_CHANGE")
    url = remote_url(server.endpoint_url, link_id)
    for name in ("web", "db"):
        work.write(f"{name}/deployment.yaml", deployment(f"{name}/template.yaml", Env=name))
        work.write(f"{name}/template.yaml", TEMPLATE)
    first = work.commit("two stacks")
    work.push(url)
    for name in ("web", "db"):
        status = settled(git.client, name, first)
        assert status["LatestSync"]["Status"] == "SUCCEEDED"
        assert status["LatestSync"]["TargetRevision"]["Directory"] == name
    # Only db's template breaks: db fails and is blocked, web is not touched.
    work.write("db/template.yaml", UNKNOWN_TYPE)
    second = work.commit("break db")
    pushed = work.push(url)
    assert "Git sync of stack web: SKIPPED" in pushed.stderr
    assert settled(git.client, "db", second)["LatestSync"]["Status"] == "FAILED"
    assert git.resource_status("web")["LatestSync"]["TargetRevision"]["Sha"] == first
    assert [b["Status"] for b in git.blockers("db")] == ["ACTIVE"]
    assert git.blockers("web") == []
    repo = repository_settled(git.client, link_id, second)
    assert repo["Status"] == "FAILED" and "db" in repo["Events"][-1]["Event"]
    # FILE_CHANGE: another file in db's folder is not db's file.
    work.write("db/README.md", "db\n")
    third = work.commit("a note")
    assert "Git sync of stack db: SKIPPED" in work.push(url).stderr
    assert git.resource_status("db")["LatestSync"]["TargetRevision"]["Sha"] == second
    assert third


PROBLEMS = {
    # folder: (deployment file or None, {other files}, what the FAILED event says)
    "missing-deployment": (None, {"missing-deployment/template.yaml": TEMPLATE},
                           "Deployment file missing-deployment/deployment.yaml does not exist in commit"),
    "bad-deployment": ("parameters: [1, 2]\n", {}, "Deployment file bad-deployment/deployment.yaml is not valid: "),
    "bad-deployment-yaml": ("template-file-path: [\n", {}, "Deployment file bad-deployment-yaml/deployment.yaml is not valid YAML at line"),
    "unknown-key": ("template-file: x.yaml\n", {}, "unknown key template-file"),
    "missing-template": (deployment("missing-template/nope.yaml"), {},
                         "Template missing-template/nope.yaml (template-file-path of missing-template/deployment.yaml) does not exist"),
    "no-resources": (deployment("no-resources/t.yaml"), {"no-resources/t.yaml": "Outputs: {}\n"},
                     "Template no-resources/t.yaml is not valid: it has no Resources"),
    "missing-parameter": (deployment("missing-parameter/t.yaml"), {"missing-parameter/t.yaml": TEMPLATE},
                          "Template missing-parameter/t.yaml needs parameter Env without a Default, and deployment file "
                          "missing-parameter/deployment.yaml does not give it"),
    "unknown-parameter": (deployment("unknown-parameter/t.yaml", Env="dev", Size="9"), {"unknown-parameter/t.yaml": TEMPLATE},
                          "gives parameter Size that template unknown-parameter/t.yaml does not declare"),
    "json-template": (deployment("json-template/t.json", Env="dev"),
                      {"json-template/t.json": '{"Parameters": {"Env": {"Type": "String"}}, "Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}'},
                      None),
}


def test_deployment_file_and_template_problems(git, work, server):
    link_id = ready_link(git, server, owner="octo", repo="problems")["RepositoryLinkId"]
    for folder in PROBLEMS:
        git.config(link_id, folder, config_file=f"{folder}/deployment.yaml")
    for folder, (deploy, files, _) in PROBLEMS.items():
        if deploy is not None:
            work.write(f"{folder}/deployment.yaml", deploy)
        for path, text in files.items():
            work.write(path, text)
    sha = work.commit("every problem at once")
    work.push(remote_url(server.endpoint_url, link_id))
    for folder, (_, _, expected) in PROBLEMS.items():
        latest = settled(git.client, folder, sha)["LatestSync"]
        if expected is None:
            assert latest["Status"] == "SUCCEEDED", (folder, latest)
            continue
        assert latest["Status"] == "FAILED", (folder, latest)
        assert expected in latest["Events"][-1]["Event"], (folder, latest["Events"][-1])
        [blocker] = git.blockers(folder)
        assert blocker["Status"] == "ACTIVE" and expected in blocker["CreatedReason"]


def test_deleting_the_branch_changes_nothing(git, work, server):
    link_id = ready_link(git, server, owner="octo", repo="branches")["RepositoryLinkId"]
    git.config(link_id, "feature-stack", branch="feature", config_file=f"{WEB}/deployment.yaml")
    url = remote_url(server.endpoint_url, link_id)
    valid_web(work)
    work.commit("main")
    work.push(url)
    work.git("checkout", "-q", "-b", "feature")
    work.write(f"{WEB}/template.yaml", TEMPLATE.replace("the web stack", "the feature"))
    sha = work.commit("feature")
    work.push(url, "feature")
    before = settled(git.client, "feature-stack", sha)
    repo_before = repository_settled(git.client, link_id, sha, branch="feature")
    deleted = work.push(url, ":feature")
    assert "[deleted]" in deleted.stderr
    time.sleep(0.7)
    assert git.resource_status("feature-stack") == before
    assert git.repository_status(link_id, branch="feature") == repo_before
    assert "feature" not in work.git("ls-remote", url).stdout


def test_simulated_push_still_works_beside_git(git, work, linked, control):
    link, url = linked
    valid_web(work)
    sha = work.commit("real")
    work.push(url)
    settled(git.client, "web", sha)
    out = control.push(link["RepositoryLinkId"], CommitId="f" * 40, Outcome="FAILED", Reason="told by hand", DurationSeconds=0)
    assert out["Resources"][0]["Status"] == "INITIATED"
    latest = git.resource_status("web")["LatestSync"]
    assert latest["Status"] == "FAILED" and latest["Events"][-1]["Event"] == "told by hand"


def test_a_connection_that_is_not_available_cannot_be_read(git, work, server):
    connection = git.connection(name="pending")
    link_id = git.link(connection, owner="octo", repo="pending")["RepositoryLinkId"]
    git.config(link_id, "pending-web", config_file=f"{WEB}/deployment.yaml")
    url = remote_url(server.endpoint_url, link_id)
    valid_web(work)
    sha = work.commit("before the handshake")
    pushed = work.push(url)  # the push itself is accepted: the remote is the emulator's
    assert "Git sync of stack pending-web: NOT_SYNCED" in pushed.stderr
    repo = repository_settled(git.client, link_id, sha)
    assert repo["Status"] == "FAILED"
    assert repo["Events"][-1]["Event"] == (f"Connection {connection} is PENDING; Git sync reads the repository only through an "
                                           "AVAILABLE connection (complete its handshake)")
    with pytest.raises(git.client.exceptions.ResourceNotFoundException):
        git.client.get_resource_sync_status(ResourceName="pending-web", SyncType="CFN_STACK_SYNC")
    assert git.blockers("pending-web") == []
    # After the handshake the next push syncs.
    handshake(server.endpoint_url, connection)
    work.write(f"{WEB}/template.yaml", TEMPLATE + "# after\n")
    after = work.commit("after the handshake")
    work.push(url)
    assert settled(git.client, "pending-web", after)["LatestSync"]["Status"] == "SUCCEEDED"
