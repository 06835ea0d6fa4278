"""CodeStar team members, user profiles, project tags and the quotas, through boto3."""

from __future__ import annotations

import time

import pytest
from codestar_clients import codestar_client, raises, user, wait_gone


def strip(out):
    return {k: v for k, v in out.items() if k != "ResponseMetadata"}


def test_creator_is_owner(cs, account):
    cs.create_project(name="p", id="owned")
    assert cs.list_team_members(projectId="owned")["teamMembers"] == [
        {"userArn": user(account, account), "projectRole": "Owner", "remoteAccessAllowed": False}
    ]


def test_associate_update_disassociate(cs, account):
    cs.create_project(name="p", id="team")
    alice, bob = user(account, "alice"), user(account, "bob")
    assert strip(cs.associate_team_member(projectId="team", userArn=alice, projectRole="Contributor")) == {}
    assert strip(cs.associate_team_member(projectId="team", userArn=bob, projectRole="Viewer", remoteAccessAllowed=True,
                                          clientRequestToken="assoc-bob")) == {"clientRequestToken": "assoc-bob"}
    members = cs.list_team_members(projectId="team")["teamMembers"]
    assert members[1:] == [
        {"userArn": alice, "projectRole": "Contributor", "remoteAccessAllowed": False},
        {"userArn": bob, "projectRole": "Viewer", "remoteAccessAllowed": True},
    ]
    # The same token and request again: the same answer, no error.
    assert strip(cs.associate_team_member(projectId="team", userArn=bob, projectRole="Viewer", remoteAccessAllowed=True,
                                          clientRequestToken="assoc-bob")) == {"clientRequestToken": "assoc-bob"}
    raises(cs.associate_team_member, "AssociateTeamMember", "ValidationException", projectId="team", userArn=alice,
           projectRole="Viewer", clientRequestToken="assoc-bob")
    message = raises(cs.associate_team_member, "AssociateTeamMember", "TeamMemberAlreadyAssociatedException",
                     projectId="team", userArn=alice, projectRole="Owner")
    assert message == "The team member is already associated with a role in this project."

    assert strip(cs.update_team_member(projectId="team", userArn=alice, projectRole="Owner")) == {
        "userArn": alice, "projectRole": "Owner", "remoteAccessAllowed": False}
    assert strip(cs.update_team_member(projectId="team", userArn=alice, remoteAccessAllowed=True))["remoteAccessAllowed"] is True
    raises(cs.update_team_member, "UpdateTeamMember", "TeamMemberNotFoundException", projectId="team",
           userArn=user(account, "carol"), projectRole="Viewer")
    raises(cs.update_team_member, "UpdateTeamMember", "ProjectNotFoundException", projectId="nope", userArn=alice)

    cs.disassociate_team_member(projectId="team", userArn=alice)
    cs.disassociate_team_member(projectId="team", userArn=alice)  # idempotent
    cs.disassociate_team_member(projectId="team", userArn=user(account, "never"))
    assert [m["userArn"] for m in cs.list_team_members(projectId="team")["teamMembers"]] == [user(account, account), bob]
    raises(cs.disassociate_team_member, "DisassociateTeamMember", "ProjectNotFoundException", projectId="nope", userArn=alice)
    raises(cs.associate_team_member, "AssociateTeamMember", "ProjectNotFoundException", projectId="nope", userArn=alice,
           projectRole="Owner")
    raises(cs.list_team_members, "ListTeamMembers", "ProjectNotFoundException", projectId="nope")


def test_members_while_deleting(cs, account):
    cs.create_project(name="p", id="going")
    cs.delete_project(id="going")
    raises(cs.associate_team_member, "AssociateTeamMember", "ConcurrentModificationException", projectId="going",
           userArn=user(account, "late"), projectRole="Viewer")
    raises(cs.tag_project, "TagProject", "ConcurrentModificationException", id="going", tags={"a": "b"})
    wait_gone(cs, "going")
    raises(cs.list_team_members, "ListTeamMembers", "ProjectNotFoundException", projectId="going")


def test_member_pages(cs, account):
    cs.create_project(name="p", id="big-team")
    users = [user(account, f"member-{n:02d}") for n in range(11)]
    for u in users:
        cs.associate_team_member(projectId="big-team", userArn=u, projectRole="Viewer")
    seen, token, sizes = [], None, []
    while True:
        page = cs.list_team_members(projectId="big-team", maxResults=5, **({"nextToken": token} if token else {}))
        sizes.append(len(page["teamMembers"]))
        seen += [m["userArn"] for m in page["teamMembers"]]
        token = page.get("nextToken")
        if not token:
            break
    assert sizes == [5, 5, 2] and seen == [user(account, account)] + users
    raises(cs.list_team_members, "ListTeamMembers", "InvalidNextTokenException", projectId="big-team", nextToken="Zm9v")


def test_member_quota(cs, account):
    cs.create_project(name="p", id="crowded")
    for n in range(99):  # the creator is the 100th
        cs.associate_team_member(projectId="crowded", userArn=user(account, f"u{n:03d}"), projectRole="Viewer")
    message = raises(cs.associate_team_member, "AssociateTeamMember", "LimitExceededException", projectId="crowded",
                     userArn=user(account, "one-too-many"), projectRole="Viewer")
    assert message.startswith("A resource limit has been exceeded.")
    cs.disassociate_team_member(projectId="crowded", userArn=user(account, "u000"))
    cs.associate_team_member(projectId="crowded", userArn=user(account, "one-too-many"), projectRole="Viewer")


def test_projects_per_user(make_cs, account):
    cs = make_cs()
    for n in range(10):
        cs.create_project(name="p", id=f"mine-{n}")
    # The creator is a member of each: an 11th project is one too many for that user.
    raises(cs.create_project, "CreateProject", "LimitExceededException", name="p", id="mine-10")
    # Another user of the account may be added to at most 10 projects too.
    carol = user(account, "carol")
    for n in range(10):
        cs.associate_team_member(projectId=f"mine-{n}", userArn=carol, projectRole="Viewer")
    cs.disassociate_team_member(projectId="mine-0", userArn=carol)
    cs.associate_team_member(projectId="mine-0", userArn=carol, projectRole="Viewer")
    cs.delete_project(id="mine-9")
    # Deleting a project frees its members' places at once.
    cs.create_project(name="p", id="mine-10")
    cs.associate_team_member(projectId="mine-10", userArn=carol, projectRole="Viewer")


def test_associate_beyond_ten_projects(fresh_server):
    """Two callers of account 000000000000: one already in 10 projects cannot join the other's."""
    full = codestar_client(fresh_server.endpoint_url, "FULLUSERKEY")
    for n in range(10):
        full.create_project(name="p", id=f"full-{n}")
    other = codestar_client(fresh_server.endpoint_url, "OTHERUSERKEY")
    other.create_project(name="p", id="elsewhere")
    raises(other.associate_team_member, "AssociateTeamMember", "LimitExceededException", projectId="elsewhere",
           userArn=user("000000000000", "FULLUSERKEY"), projectRole="Viewer")
    full.disassociate_team_member(projectId="full-0", userArn=user("000000000000", "FULLUSERKEY"))
    other.associate_team_member(projectId="elsewhere", userArn=user("000000000000", "FULLUSERKEY"), projectRole="Viewer")


def test_project_quota_per_account(fresh_server):
    """333 projects per account, made by 34 users (10 each) of account 000000000000 on a server of its own."""
    server = fresh_server
    if True:
        made = 0
        for n in range(34):
            client = codestar_client(server.endpoint_url, f"USER{n:02d}KEY")
            for k in range(10):
                if made == 333:
                    break
                client.create_project(name="p", id=f"q{n:02d}-{k}")
                made += 1
        last = codestar_client(server.endpoint_url, "USER99KEY")
        message = raises(last.create_project, "CreateProject", "LimitExceededException", name="p", id="one-more")
        assert "333" in message
        assert len(last.list_projects()["projects"]) == 100
        last.delete_project(id="q00-0")
        wait_gone(last, "q00-0")
        last.create_project(name="p", id="one-more")


def test_user_profiles(cs, account):
    alice = user(account, "alice")
    out = strip(cs.create_user_profile(userArn=alice, displayName="Alice", emailAddress="alice@example.com"))
    assert out["sshPublicKey"] == "" and out["createdTimestamp"] == out["lastModifiedTimestamp"]
    assert {k: out[k] for k in ("userArn", "displayName", "emailAddress")} == {
        "userArn": alice, "displayName": "Alice", "emailAddress": "alice@example.com"}
    message = raises(cs.create_user_profile, "CreateUserProfile", "UserProfileAlreadyExistsException", userArn=alice,
                     displayName="A", emailAddress="a@b.c")
    assert message.startswith("A user profile with that name already exists")
    assert strip(cs.describe_user_profile(userArn=alice)) == out
    time.sleep(0.02)
    updated = strip(cs.update_user_profile(userArn=alice, displayName="Alice B", sshPublicKey="ssh-ed25519 AAAA alice"))
    assert updated["displayName"] == "Alice B" and updated["emailAddress"] == "alice@example.com"
    assert updated["createdTimestamp"] == out["createdTimestamp"] < updated["lastModifiedTimestamp"]
    ghost = user(account, "ghost")
    raises(cs.describe_user_profile, "DescribeUserProfile", "UserProfileNotFoundException", userArn=ghost)
    raises(cs.update_user_profile, "UpdateUserProfile", "UserProfileNotFoundException", userArn=ghost, displayName="G")
    for n in range(4):
        cs.create_user_profile(userArn=user(account, f"p{n}"), displayName=f"P {n}", emailAddress=f"p{n}@example.com")
    pages, token = [], None
    while True:
        page = cs.list_user_profiles(maxResults=2, **({"nextToken": token} if token else {}))
        pages.append([p["userArn"] for p in page["userProfiles"]])
        token = page.get("nextToken")
        if not token:
            break
    assert pages == [[alice, user(account, "p0")], [user(account, "p1"), user(account, "p2")], [user(account, "p3")]]
    assert set(cs.list_user_profiles()["userProfiles"][0]) == {"userArn", "displayName", "emailAddress", "sshPublicKey"}
    raises(cs.list_user_profiles, "ListUserProfiles", "InvalidNextTokenException", nextToken="abc=")
    assert strip(cs.delete_user_profile(userArn=alice)) == {"userArn": alice}
    assert strip(cs.delete_user_profile(userArn=alice)) == {"userArn": alice}  # idempotent
    raises(cs.describe_user_profile, "DescribeUserProfile", "UserProfileNotFoundException", userArn=alice)


def test_profiles_are_per_account(make_cs, account):
    alice = user(account, "alice")
    make_cs().create_user_profile(userArn=alice, displayName="Alice", emailAddress="a@example.com")
    other = make_cs("".join(reversed(account)))
    assert other.list_user_profiles()["userProfiles"] == []
    raises(other.describe_user_profile, "DescribeUserProfile", "UserProfileNotFoundException", userArn=alice)
    other.delete_user_profile(userArn=alice)
    assert make_cs(region="ap-south-1").describe_user_profile(userArn=alice)["displayName"] == "Alice"


def test_tags(cs):
    cs.create_project(name="p", id="tagged", tags={"a": "1"})
    assert strip(cs.tag_project(id="tagged", tags={"b": "2", "a": "one"})) == {"tags": {"a": "one", "b": "2"}}
    assert cs.list_tags_for_project(id="tagged")["tags"] == {"a": "one", "b": "2"}
    assert strip(cs.untag_project(id="tagged", tags=["a", "missing"])) == {}
    assert cs.list_tags_for_project(id="tagged")["tags"] == {"b": "2"}
    cs.tag_project(id="tagged", tags={f"k{n:02d}": str(n) for n in range(49)})
    message = raises(cs.tag_project, "TagProject", "LimitExceededException", id="tagged", tags={"one-more": "x"})
    assert message.startswith("A resource limit has been exceeded.")
    assert len(cs.list_tags_for_project(id="tagged")["tags"]) == 50
    cs.tag_project(id="tagged", tags={"b": "replaced"})  # replacing keeps the count
    page1 = cs.list_tags_for_project(id="tagged", maxResults=30)
    page2 = cs.list_tags_for_project(id="tagged", maxResults=30, nextToken=page1["nextToken"])
    assert len(page1["tags"]) == 30 and len(page2["tags"]) == 20 and "nextToken" not in page2
    assert {**page1["tags"], **page2["tags"]} == cs.list_tags_for_project(id="tagged")["tags"]
    raises(cs.list_tags_for_project, "ListTagsForProject", "InvalidNextTokenException", id="tagged", nextToken="bad")
    raises(cs.create_project, "CreateProject", "LimitExceededException", name="p", id="too-many-tags",
           tags={f"k{n}": "v" for n in range(51)})
    for call, op, params in ((cs.tag_project, "TagProject", {"tags": {"a": "b"}}), (cs.untag_project, "UntagProject", {"tags": ["a"]}),
                             (cs.list_tags_for_project, "ListTagsForProject", {})):
        raises(call, op, "ProjectNotFoundException", id="nope", **params)


@pytest.mark.parametrize("op,params", [
    ("CreateProject", {"name": " padded", "id": "ok"}),
    ("CreateProject", {"name": "n", "id": "Upper"}),
    ("CreateProject", {"name": "n", "id": "x"}),
    ("CreateUserProfile", {"userArn": "arn:aws:iam::123456789012:role/not-a-user", "displayName": "d", "emailAddress": "a@b.c"}),
    ("CreateUserProfile", {"userArn": "arn:aws:iam::123456789012:user/u", "displayName": "d", "emailAddress": "no-at-sign"}),
    ("AssociateTeamMember", {"projectId": "ok", "userArn": "arn:aws:iam::123456789012:user/u", "projectRole": "Admin"}),
    ("ListProjects", {"maxResults": 0}),
    ("ListProjects", {"maxResults": 101}),
])
def test_model_validation(make_cs, op, params):
    from botocore import xform_name

    client = make_cs(validate=False)
    raises(getattr(client, xform_name(op)), op, "ValidationException", **params)
